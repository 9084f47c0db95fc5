"""The process stages of a container, one file each, and the messages between them.

    P, the caller (parent.py)        state dir, exec fifo, fork; answers the messages below
     └─ stage 1 (stage1.py)          setns into joined namespaces, unshare (user first), fork
         └─ stage 2, the init         PID 1 of the new pid namespace (init.py): mounts, /dev,
                                      pivot_root, console, paths; then finish.py: identity,
                                      capabilities, seccomp, wait for `start`, execve
    exec (exec.py)                   a process in a running container: setns, fork, chroot,
                                      then the same finish.py

The messages between them, and the channel that carries them: messages.py.
"""
