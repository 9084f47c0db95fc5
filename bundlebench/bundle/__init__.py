"""The bundle model: config document, safe rootfs access, atomic save."""

from bundlebench.bundle.config import ConfigChangedOnDisk, ConfigDocument, ConfigError
from bundlebench.bundle.model import Bundle, BundleError

__all__ = ["Bundle", "BundleError", "ConfigChangedOnDisk", "ConfigDocument", "ConfigError"]
