"""linux.seccomp through the system's libseccomp, loaded as late as possible.

Three steps, so that each can run where it belongs:

- ``plan(seccomp)``: pure. Reads the config into a ``Plan`` of ``Rule`` objects with
  libseccomp's action and operator numbers; refuses bad input naming the field.
- ``compile_plan(plan)``: ctypes on libseccomp.so.2. Builds the filter (default action,
  architectures, rules; unknown syscall names skipped as runc does) and exports it as a
  classic BPF program. Run it in the runtime parent before fork: the container never
  needs the library, and the rootfs need not contain it.
- ``Program.load()``: one seccomp(2) (or prctl) call with the exported program and the
  config's filter flags. Call it last, after no_new_privs, right before execve.
"""

from __future__ import annotations

import os

from runtime.linux.constants import SECCOMP_ACTIONS, SECCOMP_ARCHES, SECCOMP_OPERATORS
from runtime.seccomp.plan import (  # noqa: F401 - the package's face
    _LISTENER_ONLY_FLAGS,
    ACTION_VALUES,
    FLAG_VALUES,
    NEW_LISTENER,
    NOTIFY,
    OPERATOR_VALUES,
    Condition,
    Plan,
    Rule,
    action_value,
    arch_name,
    check_listener,
    conditions_of,
    plan,
)
from runtime.seccomp.program import Program, available, compile_plan  # noqa: F401
from runtime.trace import NULL_TRACER, Tracer

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any


def prepare(config: dict[str, Any], tracer: Tracer = NULL_TRACER,
            cache_dir: str | None = None) -> Program | None:
    """plan + compile for a whole config; None when linux.seccomp is absent.

    With cache_dir (a directory only the runtime's user can write, such as a private
    dir under the runtime root) the exported BPF is kept per profile, so a second start
    with the same profile skips libseccomp entirely.
    """
    seccomp = (config.get("linux") or {}).get("seccomp")
    if seccomp is None:
        return None
    filter_plan = plan(seccomp)
    if filter_plan.listener is not None:
        from runtime.seccomp import listener
        listener.check_present(filter_plan.listener)
    path = _cache_path(seccomp, cache_dir) if cache_dir else None
    program = _cache_read(path, filter_plan) if path else None
    if program is None:
        program = compile_plan(filter_plan, tracer)
        if path:
            _cache_write(path, program)
    else:
        tracer.emit("seccomp", f"<{program.rules} rules from the BPF cache>")
    program.listener, program.metadata = filter_plan.listener, filter_plan.metadata
    program.prepare()
    return program


_CACHE_VERSION = "1"


def _cache_path(seccomp: dict[str, Any], cache_dir: str) -> str | None:
    import hashlib

    from runtime.jsonlite import dumps
    try:
        st = os.lstat(cache_dir)
    except OSError:
        return None
    # A filter read from a directory someone else can write would be theirs, not ours.
    if not (st.st_mode & 0o170000 == 0o040000 and st.st_uid == os.geteuid()
            and not st.st_mode & 0o022):
        return None
    uname = os.uname()
    key = f"{_CACHE_VERSION}\0{uname.machine}\0{uname.release}\0{dumps(seccomp)}"
    return os.path.join(cache_dir, hashlib.sha256(key.encode()).hexdigest() + ".bpf")


def _cache_read(path: str, filter_plan: Plan) -> Program | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if st.st_uid != os.geteuid() or st.st_mode & 0o022 or st.st_size > 1 << 22:
            return None
        data = os.read(fd, st.st_size)
    finally:
        os.close(fd)
    head, _, bpf = data.partition(b"\n")
    if not head.isdigit() or not bpf or len(bpf) % 8:
        return None
    return Program(bpf, filter_plan.flags, int(head))


def _cache_write(path: str, program: Program) -> None:
    from runtime.atomic import write_file

    try:  # noqa: SIM105 (contextlib stays off the container start path)
        write_file(path, str(program.rules).encode() + b"\n" + program.bpf, 0o600)
    except OSError:
        pass  # a cache that cannot be written only makes the next start slower


def features() -> dict[str, Any]:
    """The linux.seccomp object of the runtime-spec features document."""
    if not available():
        return {"enabled": False}
    return {
        "enabled": True,
        "actions": list(SECCOMP_ACTIONS),  # SCMP_ACT_NOTIFY with linux.seccomp.listenerPath
        "operators": list(SECCOMP_OPERATORS),
        "archs": list(SECCOMP_ARCHES),
        "knownFlags": list(FLAG_VALUES),
        "supportedFlags": [f for f in FLAG_VALUES
                           if not FLAG_VALUES[f] & _LISTENER_ONLY_FLAGS or _kernel_at_least(5, 19)],
    }


def _kernel_at_least(major: int, minor: int) -> bool:
    """WAIT_KILLABLE_RECV (applied with a listener) came in Linux 5.19."""
    parts = os.uname().release.split(".")[:2]
    try:
        return (int(parts[0]), int(parts[1].split("-")[0])) >= (major, minor)
    except (ValueError, IndexError):
        return False
