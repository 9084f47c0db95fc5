"""The Bundle: a directory with config.json and the rootfs it names."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bundlebench.bundle.config import ConfigDocument, ConfigError
from bundlebench.errors import BundlebenchError

CONFIG_NAME = "config.json"


class BundleError(BundlebenchError):
    """The bundle directory cannot be used as it is."""


@dataclass
class Bundle:
    """An OCI bundle opened from disk."""

    path: Path
    config: ConfigDocument

    @classmethod
    def open(cls, path: Path | str) -> Bundle:
        """Open the bundle at ``path``; raise BundleError or ConfigError with one sentence."""
        path = Path(path).absolute()
        if not path.exists():
            raise BundleError(f"bundle directory {path} does not exist: check the path")
        if not path.is_dir():
            raise BundleError(f"{path} is not a directory: a bundle is a directory")
        config_path = path / CONFIG_NAME
        if not config_path.exists():
            raise BundleError(
                f"{path} has no config.json: create one with `bundlebench spec --bundle {path}`"
            )
        bundle = cls(path=path, config=ConfigDocument.load(config_path))
        bundle.rootfs_path  # noqa: B018 - fail now, not when the rootfs is first used
        return bundle

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
    def rootfs_path(self) -> Path:
        """The host path of the rootfs (root.path, relative to the bundle or absolute)."""
        text = self.root_path_text
        rootfs = Path(text) if Path(text).is_absolute() else self.path / text
        if not rootfs.is_dir():
            what = "does not exist" if not rootfs.exists() else "is not a directory"
            raise BundleError(
                f"root.path {text!r} {what} ({rootfs}): create the rootfs there "
                "or point root.path at it"
            )
        from runtime.config import resolve_rootfs
        from runtime.errors import RuntimeFailure

        try:  # the runtime's rule: never browse what a link makes of it (the host's / ...)
            resolve_rootfs(str(self.path), text)
        except RuntimeFailure as refusal:
            raise BundleError(str(refusal)) from None
        return rootfs

    def rootfs(self):  # -> Rootfs; imported lazily to keep Bundle.open cheap
        """Safe access to the rootfs (every path resolved inside it)."""
        from bundlebench.bundle.rootfs import Rootfs

        return Rootfs(self.rootfs_path)
