"""Applying layers in order: whiteouts, opaque directories, replacements, xattrs.

`LayerWriter` extends the safe `RootfsWriter` (every member placed through directory
fds resolved inside the rootfs) with the layer rules of the image-spec: an entry over
an existing path replaces it (a directory over a directory keeps its contents),
``.wh.NAME`` removes NAME from lower layers, ``.wh..wh..opq`` hides everything lower
layers put in its directory, whatever the order of the entries in the tar.
"""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from bundlebench.bundle.extract import (
    ExtractStats,
    ProgressCallback,
    RootfsWriter,
    member_path,
)
from bundlebench.bundle.rootfs import RootfsError
from bundlebench.image.tracker import ProvenanceBuilder

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
XATTR_PREFIX = "SCHILY.xattr."

ProgressFactory = Callable[[str], AbstractContextManager[ProgressCallback | None]]
"""Makes one progress callback per layer, given the layer's description."""


def _join(parent: str, name: str) -> str:
    return f"{parent}/{name}" if parent else name


def _kind(member: tarfile.TarInfo) -> str:
    if member.isdir():
        return "dir"
    if member.issym():
        return "symlink"
    if member.ischr() or member.isblk():
        return "device"
    if member.isfifo():
        return "fifo"
    return "file"


class LayerWriter(RootfsWriter):
    """A RootfsWriter that applies layer changesets and feeds the provenance builder."""

    def __init__(self, root: Path, builder: ProvenanceBuilder, *,
                 as_root: bool | None = None) -> None:
        super().__init__(root, as_root=as_root)
        self.builder = builder
        self.layer = 0
        self.skipped_xattrs = 0
        self.failed_xattrs = 0
        self._this_layer: set[str] = set()
        self._opaque: list[str] = []
        self._current = ""

    # -- layer boundaries ------------------------------------------------------------
    def begin_layer(self, index: int) -> None:
        self.layer = index
        self._this_layer = set()
        self._opaque = []

    def end_layer(self) -> None:
        """Apply the opaque markers of the layer, now that all its own entries are known."""
        for directory in dict.fromkeys(self._opaque):
            try:
                real = self.root.realpath("/" + directory).strip("/") if directory else ""
                fd = self.root.open("/" + real, os.O_RDONLY | os.O_DIRECTORY)
            except RootfsError:
                continue  # the directory is gone: nothing to hide
            try:
                self._clear_lower(real, fd)
            finally:
                os.close(fd)

    def finish_directories(self) -> None:
        """Apply directory modes last, skipping a directory that a later layer moved
        behind a symlink (its mode must not land on whatever the link points to)."""
        kept = []
        for entry in self._dir_modes:
            try:
                if self.root.realpath("/" + entry[0]) == "/" + entry[0]:
                    kept.append(entry)
            except RootfsError:
                continue
        self._dir_modes = kept
        super().finish_directories()

    # -- members ---------------------------------------------------------------------
    def apply_member(self, member: tarfile.TarInfo, tar: tarfile.TarFile,
                     stats: ExtractStats) -> None:
        """Apply one tar member of the current layer."""
        rel = member_path(member.name)
        if not rel:
            return
        parent, _, base = rel.rpartition("/")
        if base.startswith(WHITEOUT):
            self._whiteout(parent, base)
            return
        canonical = self._canonical(rel)
        if member.isdir() and not self._make_room_for_directory(rel, canonical):
            return
        self._current = canonical
        if (member.ischr() or member.isblk()) and not self.as_root:
            # Not created (only root can), but what it replaces is gone all the same.
            dir_fd, name = self.parent_fd(rel)
            try:
                _remove(dir_fd, name)
            finally:
                os.close(dir_fd)
            self.builder.record(canonical, self.layer, "device", 0, member.mode, member.uid,
                                member.gid)
            self._mark(canonical)
        self.apply(member, tar, stats)

    def placed(self, rel: str, member: tarfile.TarInfo, dir_fd: int | None, name: str) -> None:
        canonical = self._current
        if dir_fd is None and self._dir_modes and self._dir_modes[-1][0] == rel:
            self._dir_modes[-1] = (canonical, *self._dir_modes[-1][1:])
        self._set_xattrs(rel, member, dir_fd, name)
        size = member.size if member.isreg() else 0
        self.builder.record(canonical, self.layer, _kind(member), size, member.mode,
                            member.uid, member.gid)
        self._mark(canonical)

    def _mark(self, path: str) -> None:
        while path and path not in self._this_layer:
            self._this_layer.add(path)
            path = path.rpartition("/")[0]

    def _canonical(self, rel: str) -> str:
        """Where ``rel`` really lands, when a symlinked directory is on its way."""
        if not self.builder.has_symlink_ancestor(rel):
            return rel
        parent, _, name = rel.rpartition("/")
        try:
            real = self.root.realpath("/" + parent).strip("/")
        except RootfsError:
            return rel
        return _join(real, name)

    # -- replacing and removing ------------------------------------------------------
    def _make_room_for_directory(self, rel: str, canonical: str) -> bool:
        """Remove a non-directory where a directory entry goes; False to skip the entry."""
        parent, _, name = rel.rpartition("/")
        try:
            dir_fd = self.root.open("/" + parent, os.O_PATH | os.O_DIRECTORY)
        except RootfsError:
            return True  # the parents get created
        try:
            try:
                info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
            except FileNotFoundError:
                return True
            if stat.S_ISDIR(info.st_mode):
                return True
            if stat.S_ISLNK(info.st_mode) and self._is_dir_inside(rel):
                # As containerd does: `lib/` over `lib -> usr/lib` keeps the link.
                return False
            os.unlink(name, dir_fd=dir_fd)  # the provenance calls this a change
            return True
        finally:
            os.close(dir_fd)

    def _is_dir_inside(self, rel: str) -> bool:
        try:
            fd = self.root.open("/" + rel, os.O_PATH | os.O_DIRECTORY)
        except RootfsError:
            return False
        os.close(fd)
        return True

    def _remove_existing(self, dir_fd: int, name: str) -> None:
        _remove(dir_fd, name)

    def _whiteout(self, parent: str, base: str) -> None:
        if base == OPAQUE:
            self._opaque.append(parent)
            return
        name = base[len(WHITEOUT):]
        if base.startswith(WHITEOUT + WHITEOUT) or name in ("", ".", ".."):
            return  # aufs bookkeeping (.wh..wh.plnk and friends), never a real path
        canonical = self._canonical(_join(parent, name))
        if canonical in self._this_layer:
            return  # whiteouts apply to lower layers only
        try:
            dir_fd = self.root.open("/" + parent, os.O_PATH | os.O_DIRECTORY)
        except RootfsError:
            return  # nothing there to remove
        try:
            was_dir = _remove(dir_fd, name)
        finally:
            os.close(dir_fd)
        self.builder.remove(canonical, self.layer)
        if was_dir:
            self._forget_directories(canonical)

    def _clear_lower(self, path: str, fd: int) -> None:
        """Remove what lower layers left under ``path``, keeping this layer's entries."""
        with os.scandir(fd) as scan:
            entries = [(entry.name, entry.is_dir(follow_symlinks=False)) for entry in scan]
        for name, is_dir in entries:
            child = _join(path, name)
            if child not in self._this_layer:
                _remove(fd, name)
                self.builder.remove(child, self.layer)
                if is_dir:
                    self._forget_directories(child)
            elif is_dir:
                sub = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                              dir_fd=fd)
                try:
                    self._clear_lower(child, sub)
                finally:
                    os.close(sub)

    def _forget_directories(self, rel: str) -> None:
        """Drop pending directory modes under a removed path (a later entry may reuse it)."""
        prefix = rel + "/"
        self._dir_modes = [d for d in self._dir_modes
                           if d[0] != rel and not d[0].startswith(prefix)]

    # -- attributes ------------------------------------------------------------------
    def _set_xattrs(self, rel: str, member: tarfile.TarInfo, dir_fd: int | None,
                    name: str) -> None:
        attrs = {key[len(XATTR_PREFIX):]: value for key, value in member.pax_headers.items()
                 if key.startswith(XATTR_PREFIX)}
        if not attrs or member.islnk() or member.issym():
            return
        if not self.as_root:
            self.skipped_xattrs += len(attrs)
            return
        try:
            if dir_fd is None:
                fd = self.root.open("/" + rel, os.O_PATH | os.O_DIRECTORY, follow=False)
            else:
                fd = os.open(name, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
        except (OSError, RootfsError):
            self.failed_xattrs += len(attrs)
            return
        try:
            for key, value in attrs.items():
                try:
                    # set after chown: chown would clear security.capability
                    os.setxattr(f"/proc/self/fd/{fd}", key,
                                value.encode("utf-8", "surrogateescape"))
                except OSError:
                    self.failed_xattrs += 1
        finally:
            os.close(fd)


def _remove(dir_fd: int, name: str) -> bool:
    """Remove ``name`` (a whole tree for a directory); True when it was a directory."""
    try:
        info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    if stat.S_ISDIR(info.st_mode):
        shutil.rmtree(name, dir_fd=dir_fd)
        return True
    os.unlink(name, dir_fd=dir_fd)
    return False
