"""Just enough ELF to say what a binary is and what it needs at run time."""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field

ELF_MAGIC = b"\x7fELF"
_MACHINES = {
    3: "x86",
    8: "MIPS",
    20: "PowerPC",
    21: "PowerPC64",
    22: "S/390",
    40: "ARM",
    62: "x86-64",
    183: "AArch64",
    243: "RISC-V",
    258: "LoongArch",
}
_TYPES = {1: "relocatable", 2: "executable", 3: "shared object", 4: "core"}
PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
DT_NULL, DT_NEEDED, DT_STRTAB, DT_STRSZ = 0, 1, 5, 10
MAX_READ = 1 << 20  # bound every read of untrusted data


class ElfError(ValueError):
    """The file is not a well-formed ELF file."""


@dataclass
class ElfInfo:
    """The summary of an ELF file."""

    elf_class: int  # 32 or 64
    little_endian: bool
    machine: str
    type: str
    interpreter: str | None = None
    needed: list[str] = field(default_factory=list)

    def describe(self) -> str:
        parts = [f"ELF {self.elf_class}-bit {'LSB' if self.little_endian else 'MSB'}", self.type,
                 self.machine]
        if self.interpreter:
            parts.append(f"interpreter {self.interpreter}")
        return ", ".join(parts)


def is_elf(prefix: bytes) -> bool:
    return prefix[:4] == ELF_MAGIC


def read_elf(fd: int) -> ElfInfo:
    """Parse the ELF file open at ``fd`` (read with pread; the position is untouched).
    A malformed header is an ElfError: the file comes from the rootfs, anything goes."""
    try:
        return _read_elf(fd)
    except (struct.error, OverflowError) as error:
        raise ElfError(f"a malformed ELF header ({error})") from None


def _read_elf(fd: int) -> ElfInfo:
    ident = os.pread(fd, 64, 0)
    if len(ident) < 52 or ident[:4] != ELF_MAGIC:
        raise ElfError("not an ELF file")
    is64 = ident[4] == 2
    endian = "<" if ident[5] == 1 else ">"
    if is64:
        e_type, e_machine, _, _, e_phoff, _, _, _, e_phentsize, e_phnum = struct.unpack_from(
            endian + "HHIQQQIHHH", ident, 16
        )
    else:
        e_type, e_machine, _, _, e_phoff, _, _, _, e_phentsize, e_phnum = struct.unpack_from(
            endian + "HHIIIIIHHH", ident, 16
        )
    info = ElfInfo(
        elf_class=64 if is64 else 32,
        little_endian=endian == "<",
        machine=_MACHINES.get(e_machine, f"machine {e_machine}"),
        type=_TYPES.get(e_type, f"type {e_type}"),
    )
    if e_phnum == 0 or e_phentsize * e_phnum > MAX_READ or e_phentsize < (56 if is64 else 32):
        return info  # no program headers to read (or entries too small to be any)
    table = os.pread(fd, e_phentsize * e_phnum, e_phoff)
    segments = []
    for i in range(e_phnum):
        chunk = table[i * e_phentsize : (i + 1) * e_phentsize]
        if len(chunk) < e_phentsize:
            break
        if is64:
            p_type, _, p_offset, p_vaddr, _, p_filesz, _, _ = struct.unpack_from(
                endian + "IIQQQQQQ", chunk
            )
        else:
            p_type, p_offset, p_vaddr, _, p_filesz, _, _, _ = struct.unpack_from(
                endian + "IIIIIIII", chunk
            )
        segments.append((p_type, p_offset, p_vaddr, p_filesz))
    for p_type, offset, _, size in segments:
        if p_type == PT_INTERP and 0 < size < 4096:
            info.interpreter = os.pread(fd, size, offset).split(b"\0", 1)[0].decode("utf-8",
                                                                                 "replace")
    info.needed = _needed(fd, segments, is64, endian)
    return info


Segment = tuple[int, int, int, int]  # type, file offset, vaddr, file size


def _needed(fd: int, segments: list[Segment], is64: bool, endian: str) -> list[str]:
    dynamic = next((s for s in segments if s[0] == PT_DYNAMIC), None)
    if dynamic is None or dynamic[3] > MAX_READ:
        return []
    data = os.pread(fd, dynamic[3], dynamic[1])
    entry = struct.Struct(endian + ("qQ" if is64 else "iI"))
    needed_offsets: list[int] = []
    strtab = strsz = None
    for pos in range(0, len(data) - entry.size + 1, entry.size):
        tag, value = entry.unpack_from(data, pos)
        if tag == DT_NULL:
            break
        if tag == DT_NEEDED:
            needed_offsets.append(value)
        elif tag == DT_STRTAB:
            strtab = value
        elif tag == DT_STRSZ:
            strsz = value
    if strtab is None or not needed_offsets:
        return []
    file_offset = _vaddr_to_offset(segments, strtab)
    if file_offset is None:
        return []
    table = os.pread(fd, min(strsz or MAX_READ, MAX_READ), file_offset)
    names = []
    for offset in needed_offsets:
        if offset < len(table):
            names.append(table[offset:].split(b"\0", 1)[0].decode("utf-8", "replace"))
    return names


def _vaddr_to_offset(segments: list[Segment], vaddr: int) -> int | None:
    for p_type, offset, seg_vaddr, filesz in segments:
        if p_type == PT_LOAD and seg_vaddr <= vaddr < seg_vaddr + filesz:
            return offset + (vaddr - seg_vaddr)
    return None
