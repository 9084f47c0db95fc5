"""File previews: a bounded prefix of a regular file, classified as text or binary."""

from __future__ import annotations

import os
from dataclasses import dataclass

from bundlebench.bundle.elf import ElfError, ElfInfo, is_elf, read_elf
from bundlebench.bundle.rootfs import Entry, Rootfs, RootfsError, read_prefix

PREVIEW_LIMIT = 64 * 1024


@dataclass
class Preview:
    """What a preview pane shows for one path."""

    path: str
    kind: str  # text | binary | empty | not-regular | error
    data: bytes = b""
    size: int = 0
    truncated: bool = False
    elf: ElfInfo | None = None
    message: str = ""

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", "replace")


def preview_file(rootfs: Rootfs, path: str, limit: int = PREVIEW_LIMIT) -> Preview:
    """Preview ``path``: never follows a link out of the rootfs, never opens a non-file."""
    try:
        entry = rootfs.stat(path)
    except RootfsError as error:
        return Preview(path, "error", message=str(error))
    if entry.kind != "file":
        return Preview(path, "not-regular", size=entry.size, message=describe_special(entry))
    try:
        fd = rootfs.open_regular(path)
    except RootfsError as error:
        return Preview(path, "error", message=str(error))
    try:
        size = os.fstat(fd).st_size
        data = read_prefix(fd, limit)
        elf = None
        if is_elf(data):
            try:
                elf = read_elf(fd)
            except (ElfError, OSError, ValueError):
                elf = None
    finally:
        os.close(fd)
    if not data:
        kind = "empty"
    elif looks_binary(data):
        kind = "binary"
    else:
        kind = "text"
    return Preview(path, kind, data=data, size=size, truncated=size > len(data), elf=elf)


def looks_binary(data: bytes) -> bool:
    """True for data that is not text: NUL bytes, or not UTF-8 and many control bytes."""
    sample = data[:8192]
    if b"\0" in sample:
        return True
    try:
        sample.decode("utf-8")
        return False
    except UnicodeDecodeError as error:
        if error.start >= len(sample) - 4:
            return False  # a multi-byte character cut at the end of the sample
    control = sum(1 for byte in sample if byte < 32 and byte not in (9, 10, 12, 13, 27))
    # Latin-1 style text has few control bytes; binaries have many.
    return control > len(sample) // 20


def describe_special(entry: Entry) -> str:
    """One line for something that is described but never opened."""
    kind = entry.kind
    if kind == "dir":
        return "a directory"
    if kind in ("chardev", "blockdev"):
        major, minor = entry.device_numbers
        what = "character" if kind == "chardev" else "block"
        return f"a {what} device {major}:{minor}; devices are described, never opened"
    if kind == "fifo":
        return "a named pipe (fifo); opening it could block, so it is not opened"
    if kind == "socket":
        return "a unix socket; it is not opened"
    return f"a {kind}"


def hex_dump(data: bytes, width: int = 16, limit: int = 4096) -> str:
    """Classic offset / hex / ascii dump of a bounded prefix."""
    lines = []
    for offset in range(0, min(len(data), limit), width):
        chunk = data[offset : offset + width]
        hexes = " ".join(f"{b:02x}" for b in chunk)
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{offset:08x}  {hexes:<{width * 3}} {text}")
    return "\n".join(lines)
