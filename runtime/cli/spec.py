"""spec: write the default config.json, as `runc spec` does."""

from __future__ import annotations

import os

from runtime.errors import RuntimeFailure

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def write_spec(flags: dict[str, Any]) -> int:
    """Write the default config.json into --bundle (or .), refusing to replace one."""
    from runtime.defaults import default_config, dumps
    directory = flags.get("bundle") or "."
    path = os.path.join(directory, "config.json")
    if os.path.lexists(path):
        raise RuntimeFailure(f"File {path} exists. Remove it first")
    text = dumps(default_config(rootless=bool(flags.get("rootless"))))
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    except OSError as exc:
        raise RuntimeFailure(f"cannot write {path}: {exc.strerror}") from None
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)
    return 0
