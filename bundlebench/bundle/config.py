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
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise ConfigError(
                f"{path} does not exist: create one with `bundlebench spec --bundle {path.parent}`"
            ) from None
        except IsADirectoryError:
            raise ConfigError(f"{path} is a directory, not a file: remove or rename it") from None
        except PermissionError:
            raise ConfigError(f"{path} cannot be read: permission denied") from None
        data = parse_config_bytes(raw, path)
        return cls(path=path, data=data, indent=detect_indent(raw), loaded_hash=_hash(raw),
                   original=raw)

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


def parse_config_bytes(raw: bytes, path: Path) -> dict[str, Any]:
    """Parse config.json bytes into a dict, or raise ConfigError naming line and column."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{path} is not UTF-8 text (bad byte at offset {error.start}): save it as UTF-8"
        ) from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise ConfigError(
            f"{path} nests arrays or objects too deeply (hundreds of levels): no config "
            "needs that; flatten it or rewrite it with `bundlebench spec`"
        ) from None
    except json.JSONDecodeError as error:
        raise ConfigError(
            f"{path} is not valid JSON: {error.msg} at line {error.lineno}, "
            f"column {error.colno}; fix it in an editor or rewrite it with `bundlebench spec`"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a JSON object, but holds a {type(data).__name__}")
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
