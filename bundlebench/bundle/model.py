"""The Bundle: a directory with config.json and the rootfs it names.

A bundle that cannot be run can still be opened to be repaired: ``Bundle.open`` raises
only when there is nothing to repair (no such directory, or one you cannot read); a
config.json that is missing or does not parse, and a rootfs that is missing, unreadable
or refused, are told by ``config_trouble`` and ``rootfs_trouble`` instead.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from bundlebench.bundle.config import (
    ConfigDocument,
    ConfigError,
    ConfigParseError,
    parse_config_bytes,
    read_config_bytes,
)
from bundlebench.errors import BundlebenchError

if TYPE_CHECKING:
    from bundlebench.bundle.rootfs import Rootfs

CONFIG_NAME = "config.json"

ConfigTroubleKind = Literal["missing", "unparsable"]
RootfsTroubleKind = Literal["unknown", "missing", "not-a-directory", "unreadable", "refused"]


class BundleError(BundlebenchError):
    """The bundle directory cannot be used as it is."""


@dataclass(frozen=True)
class ConfigTrouble:
    """Why config.json cannot be edited field by field yet.

    ``text`` is the file as read (for the raw editor); ``line`` and ``column`` (1-based)
    mark where it stops parsing, ``reason`` says why without naming the file.
    """

    kind: ConfigTroubleKind
    message: str
    text: str = ""
    line: int = 1
    column: int = 1
    reason: str = ""


@dataclass(frozen=True)
class RootfsTrouble:
    """Why the rootfs cannot be browsed; ``path`` is where root.path points, when known.

    Only a ``missing`` rootfs can be made in place: anything else at ``path`` belongs
    to the user and is never replaced.
    """

    kind: RootfsTroubleKind
    message: str
    path: Path | None = None

    @property
    def can_make(self) -> bool:
        return self.kind == "missing" and self.path is not None


@dataclass
class Bundle:
    """An OCI bundle opened from disk, perhaps broken (see the troubles)."""

    path: Path
    config: ConfigDocument
    config_trouble: ConfigTrouble | None = None

    @classmethod
    def open(cls, path: Path | str) -> Bundle:
        """Open the bundle at ``path``; raise BundleError or ConfigError (one sentence)
        only when there is nothing to repair."""
        path = Path(path).absolute()
        _check_directory(path)
        config_path = path / CONFIG_NAME
        try:
            raw = read_config_bytes(config_path)
        except ConfigError:
            if _lexists(config_path):
                raise  # unreadable, or a directory: the user must look at it
            return cls(path, ConfigDocument.unparsed(config_path, None), ConfigTrouble(
                "missing",
                f"{path} has no config.json: write the default one (what `bundlebench spec` "
                "writes), or copy yours there"))
        try:
            data = parse_config_bytes(raw, config_path)
        except ConfigParseError as error:
            text = raw.decode("utf-8", errors="replace")
            return cls(path, ConfigDocument.unparsed(config_path, raw), ConfigTrouble(
                "unparsable", str(error), text, error.line, error.column, error.reason))
        document = ConfigDocument.load_parsed(config_path, raw, data)
        return cls(path, document)

    def check(self) -> Bundle:
        """The bundle itself, or ConfigError when its config.json cannot be used."""
        if self.config_trouble is not None:
            raise ConfigError(self.config_trouble.message)
        return self

    def config_repaired(self) -> None:
        """The config now holds a parsed document (the raw editor fixed the text)."""
        self.config_trouble = None

    @property
    def root_path_text(self) -> str:
        """root.path exactly as config.json writes it."""
        root = self.config.data.get("root")
        if not isinstance(root, dict):
            raise ConfigError(
                f"{self.config.path} has no \"root\" object: add "
                '"root": {"path": "rootfs"} naming the root filesystem'
            )
        text = root.get("path")
        if not isinstance(text, str) or not text:
            raise ConfigError(
                f"{self.config.path} has no root.path: set it to the rootfs directory, "
                'e.g. "rootfs"'
            )
        return text

    @property
    def rootfs_trouble(self) -> RootfsTrouble | None:
        """What keeps the rootfs from being browsed now, or None (read from the disk and
        the config as edited, every time: a repair shows at once)."""
        if self.config_trouble is not None:
            what = ("there is no config.json" if self.config_trouble.kind == "missing"
                    else "config.json does not parse")
            return RootfsTrouble("unknown", f"{what}, so no root.path names a rootfs: fix "
                                 "that on the config screen (2) first")
        try:
            text = self.root_path_text
        except ConfigError as error:
            return RootfsTrouble("unknown", str(error))
        return _rootfs_trouble(self.path, text)

    @property
    def rootfs_path(self) -> Path:
        """The host path of the rootfs; BundleError when it cannot be browsed."""
        trouble = self.rootfs_trouble
        if trouble is not None:
            raise BundleError(trouble.message)
        text = self.root_path_text
        return Path(text) if Path(text).is_absolute() else self.path / text

    def rootfs(self) -> Rootfs:
        """Safe access to the rootfs (every path resolved inside it)."""
        from bundlebench.bundle.rootfs import Rootfs

        return Rootfs(self.rootfs_path)


def _check_directory(path: Path) -> None:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise BundleError(f"bundle directory {path} does not exist: check the path") from None
    except PermissionError:
        raise BundleError(f"bundle directory {path} cannot be reached: permission denied "
                          "on a directory above it") from None
    except OSError as error:
        raise BundleError(f"bundle directory {path} cannot be read: "
                          f"{error.strerror or error}") from None
    if not os.path.isdir(path):
        raise BundleError(f"{path} is not a directory: a bundle is a directory")
    if not os.access(path, os.R_OK | os.X_OK):
        raise BundleError(
            f"bundle directory {path} cannot be read: permission denied (mode "
            f"{info.st_mode & 0o7777:o}, owner uid {info.st_uid}); open it as its owner "
            "or change its mode")


def _lexists(path: Path) -> bool:
    try:
        os.lstat(path)
    except FileNotFoundError:
        return False
    except OSError:
        return True
    return True


def _rootfs_trouble(bundle: Path, text: str) -> RootfsTrouble | None:
    rootfs = Path(text) if Path(text).is_absolute() else bundle / text
    try:
        info = os.lstat(rootfs)
    except FileNotFoundError:
        return RootfsTrouble("missing", f"root.path {text!r} does not exist ({rootfs}): "
                             "make a rootfs there, or point root.path at one", rootfs)
    except OSError as error:
        return _unreadable(text, rootfs, error)
    if not stat.S_ISDIR(info.st_mode) and not stat.S_ISLNK(info.st_mode):
        return RootfsTrouble("not-a-directory", f"root.path {text!r} is not a directory "
                             f"({rootfs}): point root.path at the rootfs directory", rootfs)
    from runtime.config import resolve_rootfs
    from runtime.errors import RuntimeFailure

    try:  # the runtime's rule: never browse what a link makes of it (the host's / ...)
        resolve_rootfs(str(bundle), text)
    except RuntimeFailure as refusal:
        return RootfsTrouble("refused", str(refusal), rootfs)
    except OSError as error:
        return _unreadable(text, rootfs, error)
    try:
        fd = os.open(rootfs, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as error:
        return _unreadable(text, rootfs, error)
    os.close(fd)
    if not os.access(rootfs, os.X_OK):
        return _unreadable(text, rootfs, PermissionError(errno.EACCES, "Permission denied"))
    return None


def _unreadable(text: str, rootfs: Path, error: OSError) -> RootfsTrouble:
    reason = ("permission denied" if isinstance(error, PermissionError)
              else error.strerror or str(error))
    return RootfsTrouble("unreadable", f"root.path {text!r} cannot be read ({rootfs}): "
                         f"{reason}; open the bundle as the rootfs's owner or change its mode",
                         rootfs)
