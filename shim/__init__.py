"""The per-container shim: the role conmon plays for podman.

It creates and starts the container through a runc-compatible runtime (its command line
only), holds the pty master (or the stdio pipes), keeps a bounded scrollback, serves an
owner-only attach socket in the state dir, records the exit status there, and exits after
the container has ended. It outlives whoever launched it: closing the app never kills a
container.

    launcher.py   launch(): start a shim, wait until its container runs (or why not)
    daemon.py     the shim process: python -m shim --root ROOT --bundle DIR --id ID
    relay.py      its event loop: container output to clients and the log, input back
    protocol.py   the attach socket's frames, and the files in the state dir

Standard library only, and small: one shim runs per container.
"""

from shim.launcher import LaunchResult, ShimError, default_runtime_command, launch

__all__ = ["LaunchResult", "ShimError", "default_runtime_command", "launch"]
