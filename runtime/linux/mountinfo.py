"""/proc/PID/mountinfo, parsed once for everyone who needs it (see proc(5))."""

from __future__ import annotations


class MountInfo:
    """One row of mountinfo; paths unescaped."""

    __slots__ = ("mount_id", "parent_id", "device", "root", "target", "options", "fstype",
                 "source", "super_options")

    def __init__(self, mount_id: str, parent_id: str, device: str, root: str, target: str,
                 options: str, fstype: str, source: str, super_options: str) -> None:
        self.mount_id = mount_id
        self.parent_id = parent_id
        self.device = device
        self.root = root
        self.target = target
        self.options = options
        self.fstype = fstype
        self.source = source
        self.super_options = super_options

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MountInfo) and all(
            getattr(self, k) == getattr(other, k) for k in self.__slots__)

    def __hash__(self) -> int:
        return hash((self.mount_id, self.target))

    def __repr__(self) -> str:
        return f"MountInfo({self.target!r}, {self.fstype!r}, root={self.root!r})"


def unescape(text: str) -> str:
    """mountinfo escapes space, tab, newline and backslash as \\ooo."""
    if "\\" not in text:
        return text
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 4 <= len(text) and text[i + 1:i + 4].isdigit():
            out.append(chr(int(text[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def parse(text: str) -> list[MountInfo]:
    """Every well-formed row of a mountinfo text, in mount order; others are skipped."""
    rows = []
    for line in text.splitlines():
        left, sep, right = line.partition(" - ")
        head, tail = left.split(), right.split()
        if not sep or len(head) < 6 or len(tail) < 2:
            continue
        rows.append(MountInfo(head[0], head[1], head[2], unescape(head[3]), unescape(head[4]),
                              head[5], tail[0], unescape(tail[1]),
                              tail[2] if len(tail) > 2 else ""))
    return rows
