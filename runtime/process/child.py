"""What every setup child shares: its one error path to P, its host pid, small writes."""

from __future__ import annotations

import os

from runtime.process import messages as msg

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from runtime.sync import Channel


def write_small_file(path: str, text: str) -> None:
    """One write to an existing file (uid_map, timens_offsets: the kernel wants one)."""
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def describe_os_error(exc: OSError) -> str:
    """An OSError as 'strerror (file) [ENAME]'."""
    import errno
    name = errno.errorcode.get(exc.errno or 0, "")
    where = f" ({exc.filename})" if exc.filename else ""
    return f"{exc.strerror or exc}{where} [{name}]"


def report_error(channel: Channel, message: str) -> None:
    """The one way a setup child tells P why it failed (P may be gone: then nobody)."""
    try:  # noqa: SIM105 (no contextlib on the start path)
        channel.send(msg.ERROR, message)
    except OSError:
        pass


def report_failure(channel: Channel, exc: BaseException,
                   what: str = "container setup failed") -> None:
    """report_error with the sentence for exc: a RuntimeFailure says its own."""
    from runtime.errors import RuntimeFailure
    if isinstance(exc, RuntimeFailure):
        message = str(exc)
    elif isinstance(exc, OSError):
        message = f"{what}: {describe_os_error(exc)}"
    else:
        message = f"{what}: {type(exc).__name__}: {exc}"
    report_error(channel, message)


def host_pid() -> int | None:
    """Our pid as the host sees it: the first NSpid of the host's /proc (before pivot)."""
    try:
        with open("/proc/self/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"NSpid:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None
