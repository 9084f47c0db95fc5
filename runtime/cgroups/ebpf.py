"""The cgroup v2 device filter: an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE.

cgroup v2 has no devices.allow file; the kernel asks an eBPF program attached to the
cgroup instead. The program here is assembled from the rules: it reads the request
(device type, access, major, minor) from its context and walks the rules from the last
to the first, the first match deciding (later rules win, as with v1). An allow rule
matches when the request asks for nothing the rule does not grant; a deny rule matches
when the request asks for anything the rule names.
"""

from __future__ import annotations

import ctypes
import os
import struct

from runtime.errors import RuntimeFailure

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any

BPF_PROG_LOAD, BPF_PROG_ATTACH, BPF_PROG_DETACH = 5, 8, 9
BPF_PROG_GET_FD_BY_ID, BPF_PROG_QUERY = 13, 16
BPF_PROG_TYPE_CGROUP_DEVICE = 15
BPF_CGROUP_DEVICE = 6
BPF_F_ALLOW_MULTI = 2

# struct bpf_cgroup_dev_ctx: access_type (type | access << 16), major, minor; all u32.
DEV_BLOCK, DEV_CHAR = 1, 2
ACC_MKNOD, ACC_READ, ACC_WRITE = 1, 2, 4
ACCESS_BITS = {"m": ACC_MKNOD, "r": ACC_READ, "w": ACC_WRITE}
ALL_ACCESS = ACC_MKNOD | ACC_READ | ACC_WRITE

# Opcodes (class | op | source).
LDX_MEM_W = 0x61
ALU32_AND_K = 0x54
ALU32_RSH_K = 0x74
ALU32_MOV_X = 0xBC
ALU64_MOV_K = 0xB7
JMP_JNE_K = 0x55
JMP_JEQ_K = 0x15
JMP_EXIT = 0x95

SYS_BPF = 321 if os.uname().machine == "x86_64" else 280


def _insn(code: int, dst: int = 0, src: int = 0, off: int = 0, imm: int = 0) -> bytes:
    return struct.pack("<BBhi", code, (src << 4) | dst, off, imm)


def _access_mask(access: str) -> int:
    mask = 0
    for letter in access:
        mask |= ACCESS_BITS[letter]
    return mask


def assemble(rules: list[Any]) -> bytes:
    """The program for a rule list (runtime.cgroups.devices.Rule objects)."""
    from runtime.cgroups.devices import WILDCARD, default_allows
    last_all = max((i for i, r in enumerate(rules) if r.is_all), default=-1)
    default = default_allows(rules) if last_all >= 0 else False
    program = [
        _insn(LDX_MEM_W, 2, 1, 0),       # r2 = ctx->access_type
        _insn(ALU32_AND_K, 2, imm=0xFFFF),  # r2 = device type
        _insn(LDX_MEM_W, 3, 1, 0),
        _insn(ALU32_RSH_K, 3, imm=16),   # r3 = access
        _insn(LDX_MEM_W, 4, 1, 4),       # r4 = major
        _insn(LDX_MEM_W, 5, 1, 8),       # r5 = minor
    ]
    for rule in reversed(rules[last_all + 1:]):
        block: list[tuple[int, int, int, int, int]] = []
        jumps = []
        if rule.type in ("b", "c"):
            jumps.append(len(block))
            block.append((JMP_JNE_K, 2, 0, 0, DEV_BLOCK if rule.type == "b" else DEV_CHAR))
        mask = _access_mask(rule.access)
        if mask != ALL_ACCESS or not rule.allow:
            block.append((ALU32_MOV_X, 6, 3, 0, 0))
            if rule.allow:
                block.append((ALU32_AND_K, 6, 0, 0, ALL_ACCESS & ~mask))
                jumps.append(len(block))
                block.append((JMP_JNE_K, 6, 0, 0, 0))
            else:
                block.append((ALU32_AND_K, 6, 0, 0, mask))
                jumps.append(len(block))
                block.append((JMP_JEQ_K, 6, 0, 0, 0))
        for reg, value in ((4, rule.major), (5, rule.minor)):
            if value != WILDCARD:
                jumps.append(len(block))
                block.append((JMP_JNE_K, reg, 0, 0, value))
        block.append((ALU64_MOV_K, 0, 0, 0, 1 if rule.allow else 0))
        block.append((JMP_EXIT, 0, 0, 0, 0))
        for index, (code, dst, src, _off, imm) in enumerate(block):
            off = len(block) - index - 1 if index in jumps else 0
            program.append(_insn(code, dst, src, off, imm))
    program.append(_insn(ALU64_MOV_K, 0, imm=1 if default else 0))
    program.append(_insn(JMP_EXIT))
    return b"".join(program)


def _bpf(cmd: int, attr: ctypes.Array) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    result = libc.syscall(ctypes.c_long(SYS_BPF), ctypes.c_int(cmd), attr,
                          ctypes.c_uint(len(attr)))
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return int(result)


def load(program: bytes) -> int:
    """BPF_PROG_LOAD; returns the program fd."""
    insns = ctypes.create_string_buffer(program, len(program))
    license_ = ctypes.create_string_buffer(b"Apache-2.0")
    log = ctypes.create_string_buffer(65536)
    attr = ctypes.create_string_buffer(128)
    struct.pack_into("<IIQQIIQ", attr, 0, BPF_PROG_TYPE_CGROUP_DEVICE, len(program) // 8,
                     ctypes.addressof(insns), ctypes.addressof(license_), 1, len(log),
                     ctypes.addressof(log))
    struct.pack_into("<I", attr, 68, BPF_CGROUP_DEVICE)  # expected_attach_type
    try:
        return _bpf(BPF_PROG_LOAD, attr)
    except OSError as exc:
        detail = log.value.decode(errors="replace").strip().splitlines()[-1:] or [""]
        raise OSError(exc.errno, f"{exc.strerror} {detail[0]}".strip()) from None


def attached(cgroup_fd: int) -> list[int]:
    """Ids of the device programs attached to a cgroup."""
    ids = (ctypes.c_uint32 * 64)()
    attr = ctypes.create_string_buffer(64)
    struct.pack_into("<IIIIQI", attr, 0, cgroup_fd, BPF_CGROUP_DEVICE, 0, 0,
                     ctypes.addressof(ids), 64)
    _bpf(BPF_PROG_QUERY, attr)
    count = struct.unpack_from("<I", attr, 24)[0]
    return list(ids[:count])


def _detach(cgroup_fd: int, prog_id: int) -> None:
    attr = ctypes.create_string_buffer(64)
    struct.pack_into("<I", attr, 0, prog_id)
    prog_fd = _bpf(BPF_PROG_GET_FD_BY_ID, attr)
    try:
        attr = ctypes.create_string_buffer(64)
        struct.pack_into("<III", attr, 0, cgroup_fd, prog_fd, BPF_CGROUP_DEVICE)
        _bpf(BPF_PROG_DETACH, attr)
    finally:
        os.close(prog_fd)


def can_attach() -> bool:
    """Whether this process may load and attach device programs (CAP_SYS_ADMIN, CAP_BPF)."""
    return os.geteuid() == 0


def apply_device_filter(directory: str, rules: list[Any], tracer: Any = None) -> None:
    """Replace the device filter of a v2 cgroup with one built from rules."""
    program = assemble(rules)
    cgroup_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        try:
            before = attached(cgroup_fd)
        except OSError:
            before = []
        prog_fd = load(program)
        try:
            attr = ctypes.create_string_buffer(64)
            struct.pack_into("<IIII", attr, 0, cgroup_fd, prog_fd, BPF_CGROUP_DEVICE,
                             BPF_F_ALLOW_MULTI)
            if tracer is not None:
                tracer.call("cgroups", f"bpf(BPF_PROG_ATTACH, {directory}, "
                            f"<{len(program) // 8} insns, {len(rules)} device rules>)",
                            _bpf, BPF_PROG_ATTACH, attr)
            else:
                _bpf(BPF_PROG_ATTACH, attr)
        finally:
            os.close(prog_fd)
        # The new filter is in place before the old ones go: no window without one.
        for prog_id in before:
            try:  # noqa: SIM105
                _detach(cgroup_fd, prog_id)
            except OSError:
                pass
    except OSError as exc:
        raise RuntimeFailure(f"linux.resources.devices: cannot install the eBPF device "
                             f"filter on {directory}: {exc.strerror}") from None
    finally:
        os.close(cgroup_fd)
