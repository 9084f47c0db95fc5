"""Resolve paths inside a root through fds, so a symlink never leads out of it.

openat2(RESOLVE_IN_ROOT) when the kernel has it, else a component-by-component walk
that treats every symlink as relative to the root. Both return O_PATH fds that the
caller uses as `/proc/self/fd/N` mount targets or as dir_fd for *at calls.
"""

from __future__ import annotations

import errno
import os
import posixpath
import stat

from runtime.linux import openat2

MAX_SYMLINKS = 40


def fd_path(fd: int) -> str:
    return f"/proc/self/fd/{fd}"


def clean(path: str) -> str:
    """Lexically clean an in-container path to a relative one ('.' for the root)."""
    cleaned = posixpath.normpath("/" + path).lstrip("/")
    return cleaned or "."


def open_in_root(root_fd: int, path: str, flags: int = os.O_PATH,
                 no_symlinks: bool = False, use_openat2: bool | None = None) -> int:
    """Open path inside root_fd; symlinks resolve as if root_fd were '/'."""
    rel = clean(path)
    if use_openat2 is None:
        use_openat2 = openat2.available()
    if use_openat2:
        resolve = openat2.RESOLVE_IN_ROOT | openat2.RESOLVE_NO_MAGICLINKS
        if no_symlinks:
            resolve |= openat2.RESOLVE_NO_SYMLINKS
        return openat2.openat2(root_fd, rel, flags, resolve)
    return _walk(root_fd, rel, flags, no_symlinks)


def _walk(root_fd: int, rel: str, flags: int, no_symlinks: bool) -> int:
    parts = [] if rel == "." else rel.split("/")
    stack = [os.dup(root_fd)]
    budget = MAX_SYMLINKS
    try:
        while parts:
            name = parts.pop(0)
            if name in ("", "."):
                continue
            if name == "..":
                if len(stack) > 1:
                    os.close(stack.pop())
                continue
            fd = os.open(name, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=stack[-1])
            mode = os.fstat(fd).st_mode
            if stat.S_ISLNK(mode):
                os.close(fd)
                if no_symlinks:
                    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), name)
                budget -= 1
                if budget < 0:
                    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), name)
                target = os.readlink(name, dir_fd=stack[-1])
                if target.startswith("/"):
                    while len(stack) > 1:
                        os.close(stack.pop())
                parts = [p for p in target.split("/") if p] + parts
                continue
            if parts and not stat.S_ISDIR(mode):
                os.close(fd)
                raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), name)
            stack.append(fd)
        final = stack.pop()
    finally:
        for fd in stack:
            os.close(fd)
    if flags & ~(os.O_CLOEXEC | os.O_NOFOLLOW) == os.O_PATH:
        return final
    try:
        # Reopen the verified O_PATH fd with the access the caller wants.
        return os.open(fd_path(final), flags | os.O_CLOEXEC)
    finally:
        os.close(final)


def mkdir_all(root_fd: int, path: str, mode: int = 0o755, _depth: int = 0) -> int:
    """Create path and its parents inside the root; return an O_PATH fd of the dir.

    A dangling symlink on the way is followed inside the root, as runc's securejoin does.
    """
    if _depth > MAX_SYMLINKS:
        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), path)
    rel = clean(path)
    try:
        return open_in_root(root_fd, rel, os.O_PATH | os.O_DIRECTORY)
    except FileNotFoundError:
        pass
    parent = posixpath.dirname(rel) or "."
    parent_fd = mkdir_all(root_fd, parent, mode, _depth + 1)
    try:
        name = posixpath.basename(rel)
        try:
            os.mkdir(name, mode, dir_fd=parent_fd)
        except FileExistsError:
            st = os.stat(name, dir_fd=parent_fd, follow_symlinks=False)
            if stat.S_ISLNK(st.st_mode):
                target = os.readlink(name, dir_fd=parent_fd)
                if not target.startswith("/"):
                    target = posixpath.join(parent, target)
                os.close(mkdir_all(root_fd, target, mode, _depth + 1))
        return open_in_root(root_fd, rel, os.O_PATH | os.O_DIRECTORY)
    finally:
        os.close(parent_fd)


def make_file(root_fd: int, path: str, mode: int = 0o644) -> int:
    """Ensure path exists inside the root as a non-directory; return an O_PATH fd."""
    rel = clean(path)
    try:
        return open_in_root(root_fd, rel, os.O_PATH)
    except FileNotFoundError:
        pass
    parent_fd = mkdir_all(root_fd, posixpath.dirname(rel) or ".")
    try:
        name = posixpath.basename(rel)
        try:
            fd = os.open(name, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC,
                         mode, dir_fd=parent_fd)
            os.close(fd)
        except FileExistsError:
            pass
        return open_in_root(root_fd, rel, os.O_PATH)
    finally:
        os.close(parent_fd)


def parent_and_name(root_fd: int, path: str) -> tuple[int, str]:
    """O_PATH fd of the (created) parent dir of path inside the root, and the last name."""
    rel = clean(path)
    if rel == ".":
        raise OSError(errno.EINVAL, "the root itself has no parent", path)
    return mkdir_all(root_fd, posixpath.dirname(rel) or "."), posixpath.basename(rel)
