"""The container process: rlimits, user, cwd, umask, no_new_privs, oom score, execve."""

from __future__ import annotations

import os
import stat

from runtime.errors import RuntimeFailure
from runtime.linux import libc, seam
from runtime.linux.constants import RLIMITS
from runtime.trace import NULL_TRACER, Tracer

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def parse_user_spec(text: str) -> dict[str, int]:
    """`-u UID[:GID]` as runc exec takes it (numeric ids only)."""
    uid_text, _, gid_text = text.partition(":")
    try:
        user = {"uid": int(uid_text)}
        if gid_text:
            user["gid"] = int(gid_text)
    except ValueError:
        raise RuntimeFailure(f"user {text!r} must be UID or UID:GID in numbers") from None
    if user["uid"] < 0 or user.get("gid", 0) < 0:
        raise RuntimeFailure(f"user {text!r} must not be negative")
    return user


def find_executable(name: str, env: dict[str, str], exists=os.path.exists,
                    is_exec=None) -> str:
    """Resolve args[0] as execvp would, in the current (container) root; RuntimeFailure if not.

    The sentences carry runc's words ("executable file not found in $PATH", "no such file
    or directory", "permission denied"): podman and containerd read them to exit 127 or 126."""
    if is_exec is None:
        is_exec = _is_executable_file
    if "/" in name:
        if not exists(name):
            raise RuntimeFailure(f"process.args[0] {name}: no such file or directory in the "
                                 "container")
        if not is_exec(name):
            raise RuntimeFailure(f"process.args[0] {name}: permission denied: it is not an "
                                 "executable file")
        return name
    found_non_exec = ""
    for directory in (env.get("PATH") or DEFAULT_PATH).split(":"):
        candidate = os.path.join(directory or ".", name)
        if exists(candidate):
            if is_exec(candidate):
                return candidate
            found_non_exec = found_non_exec or candidate
    # As runc (Go's LookPath): a match that is not executable is still "not found".
    also = f" ({found_non_exec} is not an executable file)" if found_non_exec else ""
    raise RuntimeFailure(f"process.args[0] {name!r}: executable file not found in $PATH of "
                         f"the container{also}")


def refuse_self_exe_interpreter(path: str) -> None:
    """CVE-2019-5736: a `#!/proc/self/exe` script would run the runtime's own host binary
    (the Python interpreter) inside the container, which could then rewrite it.

    Only an early, clear error: the defence is that the last execve goes through the
    sealed helper (runtime/linux/sealed_exec.py), which no name trick can get around."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return
    try:
        head = os.read(fd, 256)
    finally:
        os.close(fd)
    if not head.startswith(b"#!"):
        return
    words = head[2:].split(b"\n", 1)[0].split()
    if not words:
        return
    interpreter = os.fsdecode(words[0])
    try:
        target = os.stat(interpreter)
        ours = os.stat("/proc/self/exe")
    except OSError:
        target = ours = None
    resolved = os.path.realpath(interpreter)
    if resolved.startswith("/proc/") or (
            target is not None and (target.st_dev, target.st_ino) == (ours.st_dev, ours.st_ino)):
        raise RuntimeFailure(f"process.args[0] {path} is a script run by {interpreter}, which "
                             "reaches the runtime's own binary: refusing (CVE-2019-5736)")


def _is_executable_file(path: str) -> bool:
    try:
        st = os.stat(path)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and os.access(path, os.X_OK)


def home_of(uid: int, passwd_text: str) -> str:
    """The home dir of uid in a container's /etc/passwd text, else '/' (runc's rule)."""
    for line in passwd_text.splitlines():
        fields = line.split(":")
        if len(fields) >= 6 and fields[2] == str(uid) and fields[5]:
            return fields[5]
    return "/"


def ensure_home(env: dict[str, str], uid: int) -> None:
    """runc sets HOME from the container's /etc/passwd when the config leaves it out."""
    if "HOME" in env:
        return
    try:
        fd = os.open("/etc/passwd", os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        try:
            text = os.read(fd, 1 << 20).decode(errors="replace")
        finally:
            os.close(fd)
    except OSError:
        text = ""
    env["HOME"] = home_of(uid, text)


def rlimit_values(process: dict[str, Any]) -> list[tuple[str, int, int, int]]:
    """(name, resource number, soft, hard) for each process.rlimits entry."""
    result = []
    for item in process.get("rlimits") or []:
        name = item["type"]
        soft, hard = int(item.get("soft", 0)), int(item.get("hard", 0))
        if soft > hard:
            raise RuntimeFailure(f"process.rlimits {name}: soft {soft} is above hard {hard}")
        result.append((name, RLIMITS[name], soft, hard))
    return result


def set_rlimits(values: list[tuple[str, int, int, int]], tracer: Tracer = NULL_TRACER) -> None:
    """setrlimit for each (name, resource, soft, hard) of rlimit_values."""
    k = seam.traced(tracer)
    for name, number, soft, hard in values:
        try:
            k.setrlimit(number, soft, hard, text=f"setrlimit({name}, soft={soft}, hard={hard})")
        except (OSError, ValueError) as exc:
            raise RuntimeFailure(f"process.rlimits {name} ({soft}/{hard}) cannot be set: "
                                 f"{getattr(exc, 'strerror', None) or exc}") from None


def set_oom_score_adj(value: int | None, tracer: Tracer = NULL_TRACER) -> None:
    if value is None:
        return
    try:
        seam.traced(tracer).write_file("/proc/self/oom_score_adj", str(int(value)),
                                       step="oom_score_adj")
    except OSError as exc:
        raise RuntimeFailure(f"process.oomScoreAdj {value} cannot be set: {exc.strerror}"
                             ) from None


def set_user(uid: int, gid: int, extra: list[int], setgroups_allowed: bool,
             tracer: Tracer = NULL_TRACER) -> None:
    k = seam.traced(tracer)
    try:
        if setgroups_allowed:
            k.setgroups(extra)
        elif extra:
            raise RuntimeFailure("process.user.additionalGids cannot be set in a user namespace "
                                 "with setgroups denied (rootless)")
        k.setresgid(gid, gid, gid)
        k.setresuid(uid, uid, uid)
    except OSError as exc:
        raise RuntimeFailure(f"process.user {uid}:{gid} cannot be set: {exc.strerror} "
                             "(is the id mapped in the user namespace?)") from None


def enter_cwd(cwd: str, tracer: Tracer = NULL_TRACER) -> None:
    """chdir into cwd and prove it lies inside the container root (CVE-2024-21626)."""
    try:
        seam.traced(tracer).chdir(cwd)
    except OSError as exc:
        raise RuntimeFailure(f"process.cwd {cwd}: {exc.strerror} in the container") from None
    try:
        where = os.getcwd()
    except OSError:
        where = "(unreachable)"
    if not where.startswith("/"):
        raise RuntimeFailure(f"process.cwd {cwd} lies outside the container root")


def no_new_privileges(tracer: Tracer = NULL_TRACER) -> None:
    seam.traced(tracer).prctl(libc.PR_SET_NO_NEW_PRIVS, 1, step="no_new_privs")


