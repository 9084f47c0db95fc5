"""Copying a directory tree fd to fd, for tmpcopyup: owners, modes, times and xattrs
kept, symlinks copied as links, never followed (every entry opened relative to its
parent's fd with O_NOFOLLOW). Called through the seam (Kernel.copy_tree)."""

from __future__ import annotations

import os
import stat

_NOFOLLOW = os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK


def copy_tree(src: int, dst: int) -> None:
    """Copy the dir at fd src into the dir at fd dst (both O_RDONLY dirs), and its root's
    owner, mode and times; a socket is skipped, as runc's copy does."""
    for entry in os.scandir(src):
        _copy_entry(src, dst, entry.name)
    _copy_meta(src, dst)


def _copy_entry(src: int, dst: int, name: str) -> None:
    st = os.stat(name, dir_fd=src, follow_symlinks=False)
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        os.mkdir(name, 0o700, dir_fd=dst)
        sub_src = os.open(name, os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW, dir_fd=src)
        try:
            sub_dst = os.open(name, os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW, dir_fd=dst)
            try:
                copy_tree(sub_src, sub_dst)
            finally:
                os.close(sub_dst)
        finally:
            os.close(sub_src)
    elif stat.S_ISREG(mode):
        _copy_file(src, dst, name, st.st_size)
    elif stat.S_ISLNK(mode):
        os.symlink(os.readlink(name, dir_fd=src), name, dir_fd=dst)
        os.chown(name, st.st_uid, st.st_gid, dir_fd=dst, follow_symlinks=False)
        os.utime(name, ns=(st.st_atime_ns, st.st_mtime_ns), dir_fd=dst, follow_symlinks=False)
    elif stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        os.mknod(name, stat.S_IFMT(mode) | 0o600, st.st_rdev, dir_fd=dst)
        node = os.open(name, os.O_PATH | _NOFOLLOW, dir_fd=dst)
        try:
            os.chown(name, st.st_uid, st.st_gid, dir_fd=dst, follow_symlinks=False)
            os.chmod(f"/proc/self/fd/{node}", stat.S_IMODE(mode))
            os.utime(name, ns=(st.st_atime_ns, st.st_mtime_ns), dir_fd=dst,
                     follow_symlinks=False)
        finally:
            os.close(node)


def _copy_file(src: int, dst: int, name: str, size: int) -> None:
    fin = os.open(name, os.O_RDONLY | _NOFOLLOW, dir_fd=src)
    try:
        fout = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600,
                       dir_fd=dst)
        try:
            done = 0
            while done < size:
                sent = os.sendfile(fout, fin, None, size - done)
                if not sent:
                    break  # the file shrank meanwhile
                done += sent
            _copy_meta(fin, fout)
        finally:
            os.close(fout)
    finally:
        os.close(fin)


def _copy_meta(src: int, dst: int) -> None:
    """Owner, mode (after chown, which clears set-id bits), xattrs, times: fd to fd."""
    st = os.fstat(src)
    os.fchown(dst, st.st_uid, st.st_gid)
    os.fchmod(dst, stat.S_IMODE(st.st_mode))
    try:
        names = os.listxattr(src)
    except OSError:
        names = []
    for attr in names:
        try:  # noqa: SIM105 (no contextlib on the start path)
            os.setxattr(dst, attr, os.getxattr(src, attr))
        except OSError:
            pass  # a namespace the tmpfs does not take (security.*, trusted.* as non-root)
    os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns))
