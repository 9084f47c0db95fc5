"""config.json as a document: parsed, edited, and saved without losing anything."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bundlebench.bundle.atomic import write_atomic
from bundlebench.errors import BundlebenchError


class ConfigError(BundlebenchError):
    """config.json cannot be read, parsed or saved."""


class ConfigChangedOnDisk(ConfigError):
    """config.json was changed by someone else since it was loaded."""


class ConfigParseError(ConfigError):
    """config.json is not a JSON object; ``line`` and ``column`` (1-based) say where."""

    def __init__(self, message: str, *, line: int = 1, column: int = 1,
                 reason: str = "") -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.reason = reason or message  # the sentence without the file's name


@dataclass
class ConfigDocument:
    """A parsed config.json that remembers how it was written.

    ``data`` keeps the key order of the file (dicts preserve insertion order), and every
    field, known or not. ``save`` writes it back in the file's own indentation style.
    """

    path: Path
    data: dict[str, Any]
    indent: str | int | None = "\t"
    loaded_hash: str | None = None
    original: bytes | None = field(default=None, repr=False)

    @classmethod
    def load(cls, path: Path) -> ConfigDocument:
        """Read and parse ``path``; raise ConfigError with a sentence on any failure."""
        path = Path(path)
        raw = read_config_bytes(path)
        return cls.load_parsed(path, raw, parse_config_bytes(raw, path))

    @classmethod
    def load_parsed(cls, path: Path, raw: bytes, data: dict[str, Any]) -> ConfigDocument:
        """The document of ``raw``, already parsed into ``data``."""
        return cls(path=Path(path), data=data, indent=detect_indent(raw),
                   loaded_hash=_hash(raw), original=raw)

    @classmethod
    def unparsed(cls, path: Path, raw: bytes | None) -> ConfigDocument:
        """An empty document standing for a file that does not parse (``raw``) or is
        missing (None): saving it replaces exactly that file, and nothing else."""
        return cls(path=Path(path), data={}, indent=detect_indent(raw or b""),
                   loaded_hash=None if raw is None else _hash(raw))

    def render(self) -> bytes:
        """The document as it would be saved: the file's indentation, a final newline.

        An unedited document renders as the exact bytes it was read from.
        """
        if self.original is not None and json.loads(self.original) == self.data:
            return self.original if self.original.endswith(b"\n") else self.original + b"\n"
        text = json.dumps(self.data, indent=self.indent, ensure_ascii=False)
        return (text + "\n").encode("utf-8")

    def changed_on_disk(self) -> bool:
        """True when the file on disk is not what was loaded (or last saved)."""
        try:
            current = self.path.read_bytes()
        except FileNotFoundError:
            return self.loaded_hash is not None
        return _hash(current) != self.loaded_hash

    def save(self, *, force: bool = False, backup: bool = True) -> None:
        """Write atomically, keeping the previous content as config.json.bak.

        Refuses (ConfigChangedOnDisk) when the file changed since it was loaded,
        unless ``force``.
        """
        try:
            previous: bytes | None = self.path.read_bytes()
        except FileNotFoundError:
            previous = None
        if not force and previous is not None and _hash(previous) != self.loaded_hash:
            raise ConfigChangedOnDisk(
                f"{self.path} changed on disk since it was loaded: reload it, "
                "or save with force to overwrite the other change"
            )
        new = self.render()
        try:
            if backup and previous is not None:
                write_atomic(self.path.with_name(self.path.name + ".bak"), previous)
            write_atomic(self.path, new)
        except PermissionError:
            raise ConfigError(f"{self.path} cannot be written: permission denied") from None
        except OSError as error:
            raise ConfigError(f"{self.path} could not be saved: {error.strerror}") from None
        self.loaded_hash = _hash(new)
        self.original = new


def read_config_bytes(path: Path) -> bytes:
    """The bytes of config.json, or ConfigError with one sentence (FileNotFoundError's
    sentence names `bundlebench spec`)."""
    from runtime.config import MAX_CONFIG_BYTES
    from runtime.jsonread import JSONInputError, read_regular

    try:
        return read_regular(str(path), MAX_CONFIG_BYTES)
    except JSONInputError as error:  # a fifo or a device: opening it could block
        raise ConfigError(f"{path} is not a regular file: config.json must be one; "
                          "replace it with a file") from error
    except FileNotFoundError:
        raise ConfigError(
            f"{path} does not exist: create one with `bundlebench spec --bundle {path.parent}`"
        ) from None
    except IsADirectoryError:
        raise ConfigError(f"{path} is a directory, not a file: remove or rename it") from None
    except PermissionError:
        raise ConfigError(f"{path} cannot be read: permission denied") from None
    except OSError as error:
        raise ConfigError(f"{path} cannot be read: {error.strerror or error}") from None


def parse_config_bytes(raw: bytes, path: Path) -> dict[str, Any]:
    """Parse config.json bytes into a dict, or raise ConfigParseError naming line and column."""
    from runtime.config import MAX_CONFIG_BYTES
    from runtime.jsonread import JSONInputError, read_json

    try:
        data = read_json(raw, str(path), max_bytes=MAX_CONFIG_BYTES)
    except JSONInputError as error:
        raise ConfigParseError(
            f"{error}, or rewrite it with `bundlebench spec`",
            line=error.line or 1, column=error.column or 1, reason=error.detail,
        ) from None
    if not isinstance(data, dict):
        raise ConfigParseError(
            f"{path} must hold a JSON object, but holds a {type(data).__name__}",
            reason=f"the config must be a JSON object, not {type(data).__name__}")
    return data


_INDENT_RE = re.compile(rb"^[ \t]*\{\s*?\n([ \t]+)\S", re.MULTILINE)


def detect_indent(raw: bytes) -> str | int | None:
    """The indentation of the first nested line: a tab string, a space count, or None."""
    match = _INDENT_RE.search(raw)
    if not match:
        body = raw.strip()
        # A one-line file stays one line; an empty or odd one gets runc's tabs.
        return None if len(body) > 2 and b"\n" not in body else "\t"
    unit = match.group(1)
    if unit.startswith(b"\t"):
        return "\t"
    return len(unit)


def _hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()
