"""Bundles built by the TUI tests: fixed contents and mtimes, so screens are reproducible."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

FIXED_MTIME = 1_704_164_645  # 2024-01-02 03:04:05 UTC
SNAPSHOT_BUNDLE = Path("/tmp/bundlebench-tui-snapshots/bundle")

PYTHON_SOURCE = '''\
"""Greets whoever runs the container."""

import os


def greet(name: str) -> str:
    return f"hello, {name}!"


if __name__ == "__main__":
    print(greet(os.environ.get("USER", "container")))
'''

SHELL_PROFILE = '''\
# /etc/profile: read by login shells
export PATH=/usr/local/bin:/usr/bin:/bin
if [ "$(id -u)" -eq 0 ]; then
    PS1='# '
else
    PS1='$ '
fi
'''


def fake_elf(interpreter: str = "/lib/ld-musl-x86_64.so.1") -> bytes:
    """A small, well-formed 64-bit ELF executable header with a PT_INTERP segment."""
    interp = interpreter.encode() + b"\0"
    phoff, phentsize, phnum = 64, 56, 1
    interp_off = phoff + phentsize * phnum
    header = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    header += struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0x401000, phoff, 0, 0, 64,
                          phentsize, phnum, 64, 0, 0)
    segment = struct.pack("<IIQQQQQQ", 3, 4, interp_off, interp_off, interp_off,
                          len(interp), len(interp), 1)
    return header + segment + interp + bytes(range(256))


def _write(path: Path, data: str | bytes, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    path.chmod(mode)


def build_bundle(bundle: Path, *, many: int = 300, hostile: bool = True) -> Path:
    """A bundle with text files, a fake ELF, a fifo, hidden files and hostile links."""
    from runtime.defaults import default_config

    rootfs = bundle / "rootfs"
    uid, gid = os.getuid(), os.getgid()
    _write(rootfs / "etc/passwd", f"builder:x:{uid}:{gid}:builder:/root:/bin/sh\n")
    _write(rootfs / "etc/group", f"builders:x:{gid}:\n")
    _write(rootfs / "etc/hostname", "rootfs-own-hostname\n")
    _write(rootfs / "etc/profile", SHELL_PROFILE)
    _write(rootfs / "etc/shadow", "rootfs-own-shadow\n", 0o600)
    _write(rootfs / "usr/bin/greet.py", PYTHON_SOURCE, 0o755)
    _write(rootfs / "usr/bin/tool", fake_elf(), 0o755)
    _write(rootfs / "usr/share/empty.txt", b"")
    _write(rootfs / "root/.profile", "# root's own profile\n")
    _write(rootfs / ".hidden-top", "hidden\n")
    (rootfs / "tmp").mkdir()
    (rootfs / "tmp").chmod(0o1777)
    many_dir = rootfs / "var/many"
    many_dir.mkdir(parents=True)
    for i in range(many):
        (many_dir / f"item-{i:04}.log").write_text(f"line {i}\n")
    (rootfs / "run").mkdir()
    os.mkfifo(rootfs / "run/pipe")
    os.symlink("usr/bin", rootfs / "bin")
    os.symlink("../share/empty.txt", rootfs / "usr/bin/empty-link")
    if hostile:
        links = {
            "etc/host-shadow": "/etc/shadow",  # absolute: resolves to the rootfs's own
            "etc/climb": "../../../../../../etc/hostname",  # climbs: stops at the rootfs root
            "etc/dangling": "/no/such/file",
            "etc/loop-a": "loop-b",
            "etc/loop-b": "loop-a",
            "etc/proc-root": "/proc/self/root/etc/hostname",
            "hostetc": "/etc",
            "etc/pipe-link": "/run/pipe",
        }
        for name, target in links.items():
            os.symlink(target, rootfs / name)
    config = default_config(rootless=False)
    config["hostname"] = "tui-test"
    _write(bundle / "config.json", json.dumps(config, indent="\t") + "\n")
    _fix_mtimes(bundle)
    return bundle


def _fix_mtimes(top: Path) -> None:
    """Same mtimes everywhere, and directory modes that do not depend on the umask."""
    for directory, dirs, files in os.walk(top, topdown=False):
        if not directory.endswith("/rootfs/tmp"):
            os.chmod(directory, 0o755)
        for name in files + dirs:
            os.utime(os.path.join(directory, name), (FIXED_MTIME, FIXED_MTIME),
                     follow_symlinks=False)
        os.utime(directory, (FIXED_MTIME, FIXED_MTIME))
