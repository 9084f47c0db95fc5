"""HOME for the image's user, from the rootfs's own /etc/passwd (as Docker and podman do).

The file is read through `Rootfs` (resolved inside the rootfs, regular files only, a
bounded prefix), so a hostile /etc/passwd that links to the host's reads nothing of it.
"""

from __future__ import annotations

from bundlebench.bundle.rootfs import Rootfs, RootfsError
from bundlebench.image.users import ID_FILE_LIMIT

ROOT_HOME = "/root"
NO_HOME = "/"
_HOME_LIMIT = 4096


def _passwd_lines(rootfs: Rootfs) -> list[str]:
    try:
        data = rootfs.read_bytes("/etc/passwd", ID_FILE_LIMIT + 1)
    except RootfsError:
        return []
    lines = data.decode("utf-8", "replace").split("\n")
    if len(data) > ID_FILE_LIMIT:
        lines = lines[:-1]  # the file goes on: its cut last line is not trusted
    return lines


def _home_field(line: str) -> tuple[str, str, str] | None:
    """(name, uid, home) of a well-formed passwd line, else None."""
    if line.startswith("#"):
        return None
    fields = line.split(":")
    if len(fields) != 7 or not fields[0] or not fields[2].isdigit():
        return None
    home = fields[5]
    usable = (home.startswith("/") and len(home) <= _HOME_LIMIT
              and not any(ord(c) < 32 or c in "\x7f\ufffd" for c in home))
    return fields[0], str(int(fields[2])), home if usable else NO_HOME


def home_directory(user_spec: str, uid: int, rootfs: Rootfs) -> str:
    """The passwd home of ``user_spec`` (name or uid, before any ``:group``).

    A user the file does not list gets /root for uid 0 and / otherwise.
    """
    user = user_spec.strip().partition(":")[0]
    by_uid = user.isdigit() or not user
    wanted = str(uid) if by_uid else user
    for line in _passwd_lines(rootfs):
        row = _home_field(line)
        if row is not None and row[1 if by_uid else 0] == wanted:
            return row[2]
    return ROOT_HOME if uid == 0 else NO_HOME
