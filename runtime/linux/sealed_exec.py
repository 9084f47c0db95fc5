"""The last execve into a container goes through a sealed helper (CVE-2019-5736).

While a runtime process execs the container's program, the kernel resolves
`/proc/self/exe` to the runtime's own binary: for us, the host's Python interpreter.
Anything that makes that path the program (a symlink, `exec ID /proc/self/exe`, a nested
or swapped shebang) would run the host interpreter inside the container, where the image's
libraries load into it and can write to the host binary through `/proc/self/exe`.

Names cannot be checked safely (symlinks, nesting and races win), so the runtime never
execs into a container itself. It execs a tiny static program from a sealed memfd, and
that program execs the container's. Whatever reaches `/proc/self/exe` during that second
execve finds the memfd: no host file, and writes fail (EPERM, F_SEAL_WRITE). The helper
has no interpreter and no libraries, so the image's ld.so never runs in it; started again
by a path (that is, from inside the container, not by fd) it refuses with a sentence
instead of looping. Its source is `exec_helper/<arch>.s`; tests re-assemble it where
binutils are installed and compare the bytes below.

The helper's argv is `[path, *argv]`: it runs execve(path, argv, envp). If that fails it
writes the errno to fd 2 and exits 127 (126 for EACCES and ENOEXEC, as shells do).
"""

from __future__ import annotations

import os

from runtime.linux import libc

# Machine code of exec_helper/<arch>.s (`as` then `objcopy -O binary -j .text`).
_CODE = {
    "x86_64": (62, (
        "488b0c244c8d6424084d8d6ccc084885c90f84ed0000004c89ef488b074883c7084885c075f4488b074885c0"
        "0f84d20000004883f81f74064883c710ebe8488b7708488b0648ba2f6465762f66642f4839d0742c48ba2f70"
        "726f632f73654839d00f859d000000817e086c662f660f859000000066817e0c642f0f8584000000498b3c24"
        "498d7424084c89eab83b0000000f05f7d841be7f00000083f80d750641be7e00000083f808750641be7e0000"
        "004c8d7c24f041c6070ab90a00000031d2f7f180c23049ffcf41881785c075efbf02000000488d354c000000"
        "ba4a000000b8010000000f05bf020000004c89fe488d5424f14c29fab8010000000f054489f7eb1dbf020000"
        "00488d3562000000baaf000000b8010000000f05bf7e000000b8e70000000f0562756e646c6562656e63682d"
        "72756e74696d653a2074686520636f6e7461696e657227732070726f6772616d20636f756c64206e6f742062"
        "652065786563757465643a206572726e6f2062756e646c6562656e63682d72756e74696d653a207265667573"
        "65643a207468652072756e74696d65277320657865632068656c706572207761732073746172746564206167"
        "61696e2066726f6d20696e736964652074686520636f6e7461696e65722c20776869636820697320686f7720"
        "6120636f6e7461696e65722072656163686573207468652072756e74696d652773206f776e2062696e617279"
        "20284356452d323031392d35373336290a")),
    "aarch64": (183, (
        "e90340f9ea2300914b0d098b6b210091e90700b4ec030baa808540f8e0ffffb5800140f9400700b41f7c00f1"
        "600000548c410091fbffff17810540f9200040f9820700581f0002eb80010054620700581f0002ebc1050054"
        "200840b9820600181f00026b410500542018407982ec85521f00026bc1040054400140f941210091e2030baa"
        "a81b80d2010000d4e00300cbf30f80d21f3400f1600000541f2000f141000054d30f80d2ff8300d1f4430091"
        "4301805283020039f50314aa0408c39a8580039ba5c00091b50600d1a5020039e00304aa40ffffb5400080d2"
        "21030010420980d2080880d2010000d4400080d2e10315aa82060091420015cb080880d2010000d4e00313aa"
        "07000014400080d2c1030050e21580d2080880d2010000d4c00f80d2c80b80d2010000d46c662f662f646576"
        "2f66642f2f70726f632f736562756e646c6562656e63682d72756e74696d653a2074686520636f6e7461696e"
        "657227732070726f6772616d20636f756c64206e6f742062652065786563757465643a206572726e6f206275"
        "6e646c6562656e63682d72756e74696d653a20726566757365643a207468652072756e74696d652773206578"
        "65632068656c70657220776173207374617274656420616761696e2066726f6d20696e736964652074686520"
        "636f6e7461696e65722c20776869636820697320686f77206120636f6e7461696e6572207265616368657320"
        "7468652072756e74696d652773206f776e2062696e61727920284356452d323031392d35373336290a")),
}
_CODE["arm64"] = _CODE["aarch64"]

_BASE = 0x400000
_HEADERS = 64 + 2 * 56  # ELF header, PT_LOAD and PT_GNU_STACK
MFD_CLOEXEC, MFD_ALLOW_SEALING, MFD_EXEC = 0x1, 0x2, 0x10
F_SEAL_SEAL, F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE = 0x1, 0x2, 0x4, 0x8
SEALS = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE
AT_EMPTY_PATH = 0x1000


def _u16(value: int) -> bytes:
    return value.to_bytes(2, "little")


def _u32(value: int) -> bytes:
    return value.to_bytes(4, "little")


def _u64(value: int) -> bytes:
    return value.to_bytes(8, "little")


def helper_image(machine: str | None = None) -> bytes:
    """The helper as a static ELF executable for `machine` (default: this one)."""
    machine = machine or os.uname().machine
    if machine not in _CODE:
        raise OSError(f"no exec helper for the {machine} architecture")
    e_machine, code_hex = _CODE[machine]
    code = bytes.fromhex(code_hex)
    size = _HEADERS + len(code)
    header = (b"\x7fELF\x02\x01\x01" + bytes(9)            # 64-bit, little-endian, SysV
              + _u16(2) + _u16(e_machine) + _u32(1)        # ET_EXEC, machine, version
              + _u64(_BASE + _HEADERS) + _u64(64) + _u64(0)  # entry, phoff, shoff
              + _u32(0) + _u16(64) + _u16(56) + _u16(2)    # flags, ehsize, phentsize, phnum
              + _u16(64) + _u16(0) + _u16(0))              # shentsize, shnum, shstrndx
    load = (_u32(1) + _u32(5) + _u64(0) + _u64(_BASE) + _u64(_BASE)  # PT_LOAD, R+X
            + _u64(size) + _u64(size) + _u64(0x1000))
    stack = _u32(0x6474E551) + _u32(6) + bytes(48)          # PT_GNU_STACK, RW (no exec)
    return header + load + stack + code


_image: bytes | None = None


def helper_fd() -> int:
    """A close-on-exec memfd holding the helper, sealed against every write."""
    global _image
    if _image is None:
        _image = helper_image()
    try:
        fd = os.memfd_create("bundlebench-exec", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC)
    except OSError:  # MFD_EXEC is Linux 6.3+; older kernels refuse unknown flags
        fd = os.memfd_create("bundlebench-exec", MFD_CLOEXEC | MFD_ALLOW_SEALING)
    try:
        os.write(fd, _image)
        libc.add_seals(fd, SEALS)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _encode(text: str) -> bytes:
    raw = os.fsencode(text)
    if b"\0" in raw:
        raise OSError(22, f"{text!r} holds a NUL byte, which execve cannot pass")
    return raw


def execve(path: str, argv: list[str], env: dict[str, str], fd: int | None = None) -> None:
    """execve(path, argv, env) through the sealed helper; returns only by raising OSError.

    `fd` is a helper from helper_fd() made earlier (before a seccomp filter that might
    forbid memfd_create); without it one is made now."""
    own = fd is None
    if fd is None:
        fd = helper_fd()
    args = [_encode(path), *(_encode(a) for a in argv)]
    envp = [_encode(f"{key}={value}") for key, value in env.items()]
    try:
        libc.execveat(fd, b"", args, envp, AT_EMPTY_PATH)
    except OSError as exc:
        if exc.errno not in (1, 38):
            raise
        # EPERM/ENOSYS: a seccomp profile may allow execve but not execveat.
        libc.execve(f"/proc/self/fd/{fd}".encode(), args, envp)
    finally:
        if own:
            os.close(fd)
