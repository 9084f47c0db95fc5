"""Waiting for a container's process: runc's exit code convention, signals forwarded."""

from __future__ import annotations

import os


def exit_code(status: int) -> int:
    """runc's convention: the exit code, or 128+N when killed by signal N."""
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def wait_forwarding(pid: int) -> int:
    """Wait for our child pid, forwarding the usual termination signals to it."""
    import _signal as signal  # the C module: `signal` pulls in enum (milliseconds)
    import gc
    # The entry point turned it off for start-up; this wait may last days. Frozen
    # first, the start-up's objects are never scanned (a full pass costs milliseconds).
    gc.freeze()
    gc.enable()

    def forward(signum: int, _frame: object) -> None:
        try:  # noqa: SIM105 (no contextlib on the start path)
            os.kill(pid, signum)
        except ProcessLookupError:
            pass
    sigs = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1,
            signal.SIGUSR2)
    old = {sig: signal.signal(sig, forward) for sig in sigs}
    try:
        _, status = os.waitpid(pid, 0)
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
    return status
