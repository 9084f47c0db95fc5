"""The names of the messages between P and its setup children (the table is in
runtime/process/__init__.py)."""

USERNS = "userns"   # stage 1 -> P: write my id maps
PID = "pid"         # stage 1 or exec -> P: the process that will exec has this pid
HOOKS = "hooks"     # init -> P: run prestart and createRuntime now
PTY = "pty"         # init or exec -> P: the pty master follows over the socket
READY = "ready"     # init or exec -> P: set up, about to wait for start
ERROR = "error"     # any child -> P: setup failed, this is why

OK = "ok"           # P -> child: done
CGROUP = "cgroup"   # P -> init: you are in your cgroup now
