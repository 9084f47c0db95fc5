"""Config.User resolved through the rootfs's own /etc/passwd and /etc/group.

Never the host's: the files are read through `Rootfs`, so a symlinked /etc/passwd
that points at the host's is followed inside the rootfs only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bundlebench.bundle.rootfs import Rootfs, RootfsError
from bundlebench.image.errors import ImageError

ID_FILE_LIMIT = 4 << 20
MAX_ID = (1 << 32) - 2


@dataclass
class ResolvedUser:
    """What process.user becomes."""

    uid: int
    gid: int
    additional_gids: list[int] = field(default_factory=list)


def _rows(rootfs: Rootfs, path: str) -> list[list[str]]:
    try:
        text = rootfs.read_bytes(path, ID_FILE_LIMIT).decode("utf-8", "replace")
    except RootfsError:
        return []
    return [line.split(":") for line in text.splitlines()
            if line and not line.startswith("#")]


def _number(text: str, what: str) -> int | None:
    if not text.isdigit():
        return None
    value = int(text)
    if value > MAX_ID:
        raise ImageError(f"image config User gives {what} {value}, beyond the largest id")
    return value


def resolve_user(spec: str, rootfs: Rootfs) -> ResolvedUser:
    """Resolve ``user``, ``uid``, ``user:group`` or ``uid:gid`` inside ``rootfs``."""
    spec = spec.strip()
    if not spec:
        return ResolvedUser(0, 0)
    user_part, _, group_part = spec.partition(":")
    passwd = [row for row in _rows(rootfs, "/etc/passwd") if len(row) >= 4]
    uid = _number(user_part, "uid")
    name: str | None = None
    gid = 0
    if uid is None:
        row = next((r for r in passwd if r[0] == user_part), None)
        if row is None or not row[2].isdigit() or not row[3].isdigit():
            raise ImageError(
                f"image config User {spec!r} names user {user_part!r}, which the rootfs's "
                "/etc/passwd does not have: fix the image or edit process.user"
            )
        name, uid, gid = user_part, int(row[2]), int(row[3])
    else:
        row = next((r for r in passwd if r[2] == user_part and r[3].isdigit()), None)
        if row is not None:
            gid = int(row[3])
    groups = [row for row in _rows(rootfs, "/etc/group") if len(row) >= 3]
    if group_part:
        number = _number(group_part, "gid")
        if number is None:
            match = next((r for r in groups if r[0] == group_part and r[2].isdigit()), None)
            if match is None:
                raise ImageError(
                    f"image config User {spec!r} names group {group_part!r}, which the "
                    "rootfs's /etc/group does not have: fix the image or edit process.user"
                )
            number = int(match[2])
        return ResolvedUser(uid, number)
    if name is None:
        return ResolvedUser(uid, gid)  # a numeric user keeps its groups as they are
    extra = sorted({int(r[2]) for r in groups
                    if len(r) >= 4 and r[2].isdigit() and name in r[3].split(",")} - {gid})
    return ResolvedUser(uid, gid, extra)
