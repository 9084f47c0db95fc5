"""Replace a small file so that readers see the old content or the new, never half."""

from __future__ import annotations

import os


def write_file(path: str, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to a temp file beside ``path`` and rename it over ``path``."""
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC | os.O_NOFOLLOW,
                 mode)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.rename(tmp, path)
    except BaseException:
        try:  # noqa: SIM105 (contextlib stays off the container start path)
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_pid_file(path: str, pid: int) -> None:
    """Write --pid-file; an error names that file, not the temp file beside it."""
    path = os.path.abspath(path)
    try:
        write_file(path, str(pid).encode())
    except OSError as exc:
        raise OSError(exc.errno, f"cannot write the pid file: {exc.strerror}", path) from None
