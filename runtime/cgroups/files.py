"""Reading and writing cgroup files, each write explained by the config field it serves."""

from __future__ import annotations

import errno
import os

from runtime.errors import RuntimeFailure

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any


def _write_raw(path: str, text: str) -> None:
    """cgroupfs takes one value per write(2), through the syscall seam; a missing file is
    an error (the kernel's own file, never created)."""
    from runtime.linux import seam  # ctypes: only where a cgroup is written
    seam.kernel().write_file(path, text)


class Writer:
    """Writes cgroup files, tracing each write when a tracer (runtime.trace.Tracer) is set."""

    def __init__(self, tracer: Any = None) -> None:
        self.tracer = tracer

    def write(self, directory: str, name: str, value: str | int, what: str) -> None:
        """Write value to directory/name; failure -> RuntimeFailure naming `what`."""
        path = os.path.join(directory, name)
        text = str(value)
        try:
            if self.tracer is not None:
                self.tracer.call("cgroups", f"write({path}, {text!r})", _write_raw, path, text)
            else:
                _write_raw(path, text)
        except OSError as exc:
            raise RuntimeFailure(f"cannot set {what} to {text!r}: {path}: "
                                 f"{_reason(exc)}") from None

    def mkdir(self, path: str) -> None:
        from runtime.linux import seam
        if self.tracer is not None:
            seam.traced(self.tracer).mkdir(path, 0o755, step="cgroups")
        else:
            seam.kernel().mkdir(path, 0o755)


def _reason(exc: OSError) -> str:
    name = errno.errorcode.get(exc.errno or 0, "")
    hint = ""
    if exc.errno == errno.ENOENT:
        hint = " (this kernel or controller does not offer that file)"
    elif exc.errno == errno.EINVAL:
        hint = " (the kernel refused the value)"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = " (no permission: the cgroup is not delegated to this user)"
    elif exc.errno == errno.ENOSPC:
        hint = " (an empty cpuset.cpus or cpuset.mems accepts no task)"
    elif exc.errno == errno.EBUSY:
        hint = " (busy: the cgroup still holds processes or children)"
    return f"{exc.strerror or exc} [{name}]{hint}"


def read_text(path: str) -> str | None:
    """File contents, or None when it cannot be read."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def read_int(path: str, default: int = 0) -> int:
    """One integer ('max' reads as 2**64-1), or default."""
    text = read_text(path)
    if text is None:
        return default
    text = text.strip()
    if text == "max":
        return 2**64 - 1
    try:
        return int(text)
    except ValueError:
        return default


def read_keyed(path: str) -> dict[str, int]:
    """A flat keyed file ('key value' per line) as a dict of ints."""
    result: dict[str, int] = {}
    for line in (read_text(path) or "").splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                result[parts[0]] = int(parts[1])
            except ValueError:
                continue
    return result


def read_pids(path: str) -> list[int]:
    """The pids listed in a cgroup.procs file."""
    result = []
    for line in (read_text(path) or "").split():
        if line.isdigit():
            result.append(int(line))
    return result
