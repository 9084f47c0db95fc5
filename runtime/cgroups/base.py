"""What the v1 and v2 managers share: creating and removing cgroup dirs, listing pids."""

from __future__ import annotations

import errno
import os
import time

from runtime.cgroups.files import Writer, read_pids
from runtime.errors import RuntimeFailure

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any

# Removal waits this long in total for exiting tasks to leave a cgroup.
REMOVE_TIMEOUT = 2.0


def _rmdir(path: str) -> None:
    os.rmdir(path)


class Base:
    """State and behaviour common to V1Manager and V2Manager."""

    version = ""
    # hugetlb file names, by page size: the limit and the reservation limit.
    HUGETLB_LIMIT = ""
    HUGETLB_RSVD = ""

    def __init__(self, *, tracer: Any = None, rootless: bool = False,
                 default_parent: bool = False, warnings: list[str] | None = None,
                 owned: list[str] | None = None) -> None:
        self.writer = Writer(tracer)
        self.rootless = rootless
        self.default_parent = default_parent
        self.warnings: list[str] = list(warnings or [])
        self.created: list[str] = []
        # The dirs this container may remove and whose processes it may kill: the ones
        # it created (or all under the runtime's own default parent). A cgroupsPath
        # naming someone else's cgroup is joined, never torn down. None: all of them.
        self.owned: list[str] | None = owned

    def _claim(self) -> None:
        """After create: record which dirs are ours."""
        made = set(self.created)
        self.owned = [d for d in self.dirs() if self.default_parent or d in made]

    def claim_in_advance(self) -> None:
        """Before create: the dirs it will make (all, under the default parent). Recorded
        then, they let `delete` clean up after a runtime that died halfway through."""
        self.owned = [d for d in self.dirs() if self.default_parent or not os.path.isdir(d)]

    def owns(self, directory: str) -> bool:
        return self.owned is None or directory in self.owned

    # -- to be provided by subclasses --------------------------------------------------
    def dirs(self) -> list[str]:
        """Every distinct real directory of this cgroup, main one first."""
        raise NotImplementedError

    def procs_dir(self) -> str | None:
        """The directory whose cgroup.procs tells the container's processes."""
        dirs = self.dirs()
        return dirs[0] if dirs else None

    # -- shared -------------------------------------------------------------------------
    def _make(self, path: str) -> list[str]:
        """mkdir -p; returns the dirs this call created, top first."""
        made: list[str] = []
        missing = []
        probe = path
        while not os.path.isdir(probe):
            missing.append(probe)
            parent = os.path.dirname(probe)
            if parent == probe:
                break
            probe = parent
        for directory in reversed(missing):
            try:
                self.writer.mkdir(directory)
            except FileExistsError:
                continue
            except OSError as exc:
                self._remove_made(made)
                raise RuntimeFailure(f"cannot create cgroup {directory}: {exc.strerror}"
                                     ) from None
            made.append(directory)
        self.created.extend(made)
        return made

    def _remove_made(self, made: list[str]) -> None:
        for directory in reversed(made):
            try:  # noqa: SIM105
                _rmdir(directory)
            except OSError:
                pass

    def join(self, pid: int = 0) -> None:
        """Move a process (0: the calling process) into every dir of this cgroup."""
        for directory in self.dirs():
            self.writer.write(directory, "cgroup.procs", pid, "the container's cgroup "
                              f"(linux.cgroupsPath) membership of pid {pid or os.getpid()}")

    def pids(self) -> list[int]:
        """Pids in the cgroup and its descendants (for ps, kill --all)."""
        top = self.procs_dir()
        if top is None:
            return []
        found: list[int] = []
        for dirpath, _dirnames, _files in os.walk(top):
            for pid in read_pids(os.path.join(dirpath, "cgroup.procs")):
                if pid not in found:
                    found.append(pid)
        return found

    def exists(self) -> bool:
        return any(os.path.isdir(d) for d in self.dirs())

    def destroy(self) -> None:
        """Remove every dir of this cgroup, children first, waiting (bounded) for exiting
        tasks to leave. Missing dirs are fine."""
        failures = []
        for directory in self.dirs():
            if not self.owns(directory):
                continue
            error = remove_tree(directory)
            if error:
                failures.append(error)
        # The shared `bundlebench` parent stays, empty, as podman's libpod_parent does:
        # making and removing it with every container costs each start and delete about
        # twenty cgroupfs calls.
        if failures:
            raise RuntimeFailure("cannot remove the container's cgroup: " + "; ".join(failures))

    def _set_hugetlb(self, directory: str, r: dict[str, Any]) -> None:
        from runtime.cgroups import resources as res

        for i, entry in enumerate(r.get("hugepageLimits") or []):
            where = f"linux.resources.hugepageLimits[{i}]"
            size = res.text(entry, "pageSize", where)
            limit = res.number(entry, "limit", where)
            if not size or limit is None:
                raise RuntimeFailure(f"{where} needs a pageSize and a limit")
            name = self.HUGETLB_LIMIT.format(size)
            if not os.path.exists(os.path.join(directory, name)):
                raise RuntimeFailure(f"{where}.pageSize {size!r} is not a huge page size "
                                     "this cgroup offers (see /sys/kernel/mm/hugepages)")
            self.writer.write(directory, name, limit, where)
            rsvd = self.HUGETLB_RSVD.format(size)
            if os.path.exists(os.path.join(directory, rsvd)):
                self.writer.write(directory, rsvd, limit, where)



def remove_tree(top: str, timeout: float = REMOVE_TIMEOUT) -> str | None:
    """rmdir a cgroup and its sub-cgroups (deepest first), retrying while tasks drain.
    Returns None on success, else a sentence about what stayed."""
    try:  # the common case: no sub-cgroup, no task left
        _rmdir(top)
        return None
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno not in (errno.EBUSY, errno.ENOTEMPTY):
            return f"{top}: {exc.strerror}"
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        try:
            subdirs = [dirpath for dirpath, _d, _f in os.walk(top, topdown=False)]
        except OSError:
            subdirs = []
        if not subdirs and not os.path.isdir(top):
            return None
        last: OSError | None = None
        for directory in subdirs:
            try:
                _rmdir(directory)
            except FileNotFoundError:
                continue
            except OSError as exc:
                last = exc
        if last is None and not os.path.isdir(top):
            return None
        if last is not None and last.errno not in (errno.EBUSY, errno.ENOTEMPTY):
            return f"{top}: {last.strerror}"
        if time.monotonic() >= deadline:
            left = read_pids(os.path.join(top, "cgroup.procs"))
            return f"{top} still holds processes {left}" if left else f"{top} is busy"
        time.sleep(delay)
        delay = min(delay * 2, 0.1)
