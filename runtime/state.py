"""Container state on disk: one private dir per id under the runtime root.

<root>/<id>/state.json   written atomically (temp file + rename)
<root>/<id>/exec.fifo    exists while the container is `created`; `start` consumes it
<root>/<id>/trace.jsonl  setup trace

Liveness is the recorded pid being alive (not a zombie) AND its start time (field 22
of /proc/PID/stat) equal to the recorded one, so a recycled pid never looks alive.
"""

from __future__ import annotations

import os
import time

from runtime import OCI_VERSION
from runtime.errors import RuntimeFailure
from runtime.ids import validate_id
from runtime.jsonlite import dumps

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any

STATE_FILE = "state.json"
FIFO_NAME = "exec.fifo"

CREATING, CREATED, RUNNING, STOPPED = "creating", "created", "running", "stopped"


def default_root() -> str:
    """runc's rule: /run/<name> for root, $XDG_RUNTIME_DIR/<name> for a user."""
    if os.geteuid() == 0:
        return "/run/bundlebench"
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg:
        return os.path.join(xdg, "bundlebench")
    return f"/tmp/bundlebench-{os.geteuid()}"


def rfc3339_now() -> str:
    ns = time.time_ns()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 10**9)) + f".{ns % 10**9:09d}Z"


def proc_stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time in clock ticks) of a pid, or None when it does not exist."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            raw = handle.read(4096)
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return parse_proc_stat(raw)


def parse_proc_stat(raw: bytes) -> tuple[str, int] | None:
    """Parse /proc/PID/stat: the comm field may hold spaces and parens, so split after ')'."""
    end = raw.rfind(b")")
    if end < 0:
        return None
    fields = raw[end + 2:].split()
    # fields[0] is field 3 (state); field 22 (starttime) is fields[19].
    if len(fields) < 20:
        return None
    return chr(fields[0][0]), int(fields[19])  # chr: no codec import


def is_alive(pid: int, starttime: int) -> bool:
    if pid <= 0:
        return False
    info = proc_stat(pid)
    return info is not None and info[0] not in ("Z", "X") and info[1] == starttime


def open_pidfd(pid: int) -> int | None:
    """A pidfd of pid (readable once it exits), or None: gone already, or a kernel
    before 5.3."""
    try:
        return os.pidfd_open(pid)
    except (OSError, AttributeError):
        return None


def wait_exit(pid: int, timeout: float, handle: int | None = None) -> bool:
    """Wait until pid has exited (a zombie counts as exited); True when it did within
    timeout seconds. A pidfd wakes us at the exit itself: no polling interval is paid."""
    own = handle is None
    if own:
        handle = open_pidfd(pid)
    try:
        if handle is not None:
            import select
            poller = select.poll()
            poller.register(handle, select.POLLIN)
            return bool(poller.poll(max(0, int(timeout * 1000))))
        deadline = time.monotonic() + timeout
        while True:  # no pidfd: poll /proc
            info = proc_stat(pid)
            if info is None or info[0] in ("Z", "X"):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.002)
    finally:
        if own and handle is not None:
            os.close(handle)


class ContainerState:
    """What state.json records about one container."""

    def __init__(self, id: str, bundle: str, rootfs: str, pid: int = 0, starttime: int = 0,
                 created: str = "", owner: str = "", annotations: dict[str, str] | None = None,
                 config: dict[str, Any] | None = None, rootless: bool = False,
                 no_pivot: bool = False) -> None:
        self.id = id
        self.bundle = bundle
        self.rootfs = rootfs
        self.pid = pid
        self.starttime = starttime
        self.created = created
        self.owner = owner
        self.annotations = annotations or {}
        self.config = config or {}
        self.rootless = rootless
        self.no_pivot = no_pivot
        # A dir without state.json: a create that is still at work, or one that died.
        self.half_created = False

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ContainerState) and vars(self) == vars(other)

    def __repr__(self) -> str:
        return f"ContainerState(id={self.id!r}, pid={self.pid}, bundle={self.bundle!r})"

    def to_json(self) -> str:
        return dumps({
            "ociVersion": OCI_VERSION, "id": self.id, "pid": self.pid, "bundle": self.bundle,
            "rootfs": self.rootfs, "created": self.created, "owner": self.owner,
            "annotations": self.annotations, "starttime": self.starttime,
            "rootless": self.rootless, "noPivot": self.no_pivot, "config": self.config,
        })

    @classmethod
    def from_json(cls, text: str | bytes) -> ContainerState:
        """The state a state.json holds; ValueError (one sentence) when it is not one."""
        from runtime.jsonread import JSONInputError, read_json
        try:
            data = read_json(text, "state.json", max_bytes=MAX_STATE_BYTES)
        except JSONInputError as exc:
            raise ValueError(f"it {exc.reason}") from None
        if not isinstance(data, dict):
            raise ValueError("state.json must hold an object")
        for name, kind in _STATE_FIELDS.items():
            if name in data and data[name] is not None and not isinstance(data[name], kind):
                raise ValueError(f"state.json's {name} must be {_KIND_WORDS[kind]}")
        for name in ("id", "bundle", "rootfs"):
            if name not in data:
                raise ValueError(f"state.json has no {name}")
        return cls(id=data["id"], bundle=data["bundle"], rootfs=data["rootfs"],
                   pid=data.get("pid") or 0, starttime=data.get("starttime") or 0,
                   created=data.get("created") or "", owner=data.get("owner") or "",
                   annotations=data.get("annotations") or {}, config=data.get("config") or {},
                   rootless=bool(data.get("rootless")), no_pivot=bool(data.get("noPivot")))


MAX_STATE_BYTES = 64 << 20  # the launched config (up to 16 MiB) travels in it
_STATE_FIELDS = {"id": str, "bundle": str, "rootfs": str, "pid": int, "starttime": int,
                 "created": str, "owner": str, "annotations": dict, "config": dict,
                 "rootless": bool, "noPivot": bool}
_KIND_WORDS = {str: "a string", int: "an integer", dict: "an object", bool: "a boolean"}


class StateStore:
    """The runtime root: creating, locking, reading and removing container dirs."""

    def __init__(self, root: str | None = None) -> None:
        self.root = os.path.abspath(root or default_root())
        self._held: set[str] = set()  # ids whose lock this process took

    def path(self, container_id: str) -> str:
        return os.path.join(self.root, validate_id(container_id))

    def ensure_root(self) -> None:
        try:
            os.makedirs(self.root, mode=0o700, exist_ok=True)
        except OSError as exc:
            raise RuntimeFailure(
                f"cannot create runtime root {self.root}: {exc.strerror}") from None

    def create_dir(self, container_id: str) -> str:
        """Make the container's dir (0700); fails when the id is taken."""
        self.ensure_root()
        path = self.path(container_id)
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            raise RuntimeFailure(f"container {container_id!r} already exists") from None
        except OSError as exc:
            raise RuntimeFailure(f"cannot create {path}: {exc.strerror}") from None
        return path

    def lock(self, container_id: str, missing_ok: bool = False) -> int | None:
        """Take the container's exclusive lock; returns the fd holding it."""
        import fcntl
        try:
            fd = os.open(self.path(container_id),
                         os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except (FileNotFoundError, NotADirectoryError):
            if missing_ok:
                return None
            raise RuntimeFailure(f"container {container_id!r} does not exist") from None
        except OSError as exc:
            if exc.errno == 40:  # ELOOP: a symlink where our dir should be
                raise RuntimeFailure(f"container {container_id!r} does not exist") from None
            raise
        fcntl.flock(fd, fcntl.LOCK_EX)
        self._held.add(container_id)
        return fd

    def being_created(self, container_id: str) -> bool:
        """Whether another process holds the container's lock: a live create does until
        state.json is written; a create that was killed holds nothing."""
        if container_id in self._held:
            return False  # our lock: whoever made the dir is gone
        import fcntl
        try:
            fd = os.open(self.path(container_id),
                         os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)  # closing drops the lock we may have taken
        return False

    def _is_dir(self, container_id: str) -> bool:
        import stat
        try:
            return stat.S_ISDIR(os.lstat(self.path(container_id)).st_mode)
        except OSError:
            return False

    def exists(self, container_id: str) -> bool:
        return os.path.isfile(os.path.join(self.path(container_id), STATE_FILE))

    def save(self, state: ContainerState) -> None:
        from runtime.atomic import write_file

        write_file(os.path.join(self.path(state.id), STATE_FILE), state.to_json().encode(), 0o600)

    def load(self, container_id: str) -> ContainerState:
        path = os.path.join(self.path(container_id), STATE_FILE)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            if container_id.startswith(".") or not self._is_dir(container_id):
                raise RuntimeFailure(f"container {container_id!r} does not exist") from None
            # The dir without state.json: `state` says creating (or stopped, if its
            # create died), `delete` removes it and whatever cgroup it claimed.
            state = ContainerState(id=container_id, bundle="", rootfs="")
            state.half_created = True
            return state
        try:
            raw = os.read(fd, MAX_STATE_BYTES + 1)
        finally:
            os.close(fd)
        try:
            return ContainerState.from_json(raw)
        except ValueError as exc:
            raise RuntimeFailure(f"state of container {container_id!r} is corrupt ({exc}): "
                                 f"delete it with `delete -f {container_id}`") from None

    def status(self, state: ContainerState) -> str:
        if state.half_created:
            return CREATING if self.being_created(state.id) else STOPPED
        if not is_alive(state.pid, state.starttime):
            return STOPPED
        if os.path.exists(os.path.join(self.path(state.id), FIFO_NAME)):
            return CREATED
        return RUNNING

    def ids(self) -> list[str]:
        try:
            names = sorted(os.listdir(self.root))
        except FileNotFoundError:
            return []
        result = []
        for name in names:
            try:
                validate_id(name)
            except RuntimeFailure:
                continue
            # Half-created ones too (they hold the id); dot-dirs are the runtime's own
            # (e.g. .seccomp-cache), never a container.
            if not name.startswith(".") and self._is_dir(name):
                result.append(name)
        return result

    def remove_dir(self, container_id: str) -> None:
        """Remove the container's dir without following any symlink inside it."""
        path = self.path(container_id)
        for _ in range(5):  # a racing writer (e.g. a late exec's trace) may add a file
            try:
                dfd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
            except FileNotFoundError:
                return
            try:
                for name in os.listdir(dfd):
                    try:
                        os.unlink(name, dir_fd=dfd)
                    except IsADirectoryError:
                        os.rmdir(name, dir_fd=dfd)
                    except FileNotFoundError:
                        pass
            finally:
                os.close(dfd)
            try:
                os.rmdir(path)
                return
            except FileNotFoundError:
                return
            except OSError as exc:
                if exc.errno != 39:  # ENOTEMPTY: list again
                    raise
        raise RuntimeFailure(f"cannot remove {path}: files keep appearing in it")
