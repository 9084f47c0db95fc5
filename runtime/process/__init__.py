"""The process stages of a container, one file each, and the messages between them.

    P, the caller (parent.py)        state dir, exec fifo, fork; answers the messages below
     └─ stage 1 (stage1.py)          setns into joined namespaces, unshare (user first), fork
         └─ stage 2, the init         PID 1 of the new pid namespace (init.py): mounts, /dev,
                                      pivot_root, console, paths; then finish.py: identity,
                                      capabilities, seccomp, wait for `start`, execve
    exec (exec.py)                   a process in a running container: setns, fork, chroot,
                                      then the same finish.py

Messages (runtime/sync.py carries them: one line child -> P, one reply line P -> child;
the names are the constants of messages.py):

    message   from            to   payload         P does, then replies
    userns    stage 1         P    -               writes uid_map/gid_map     -> ok
    pid       stage 1, exec   P    the init's pid  creates the cgroup, moves the init in,
                                                   saves state.json           -> cgroup (*)
    hooks     init            P    host pid        runs prestart, createRuntime -> ok
    pty       init, exec      P    the master fd   sizes the terminal         -> ok
    ready     init, exec      P    -               (the init now blocks on exec.fifo)
    error     any child       P    one sentence    fails create with it

(*) only when the cgroup was not made before the fork; the init waits for it before its
first cgroup mount. A child's end of the channel closes at execve (close-on-exec), so P
reads end-of-file once the init runs the container's program.
"""
