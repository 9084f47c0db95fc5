"""Launching a bundle as a container through the shim, after validating it."""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from bundlebench.errors import BundlebenchError
from bundlebench.spec.problems import Problem

_UNSAFE_ID_CHARS = re.compile(r"[^A-Za-z0-9_+.-]+")


class LaunchRefused(BundlebenchError):
    """The bundle has errors; ``problems`` lists them instead of a container."""

    def __init__(self, message: str, problems: list[Problem]) -> None:
        super().__init__(message)
        self.problems = problems


@dataclass
class Launched:
    id: str
    root: str
    init_pid: int
    shim_pid: int

    @property
    def state_dir(self) -> str:
        return os.path.join(self.root, self.id)


def runtime_root(root: str | None = None) -> str:
    """The runtime root: given, or the runtime's default for this user."""
    from runtime.state import default_root

    return os.path.abspath(root) if root else default_root()


def new_container_id(bundle: Path) -> str:
    """A fresh id from the bundle's name, e.g. ``demo-bundle-3f9a``."""
    stem = _UNSAFE_ID_CHARS.sub("-", bundle.name).strip("-.") or "container"
    return f"{stem[:40]}-{secrets.token_hex(2)}"


def launch_bundle(bundle_path: Path, container_id: str | None = None, root: str | None = None,
                  runtime: list[str] | None = None, attach_first: bool = False) -> Launched:
    """Validate the bundle, then start it in a shim; raise LaunchRefused on errors.

    ``attach_first``: start the container only once a client attached, so that a
    foreground client sees all of its output.
    """
    from bundlebench.bundle import Bundle
    from bundlebench.spec.validate import validate
    from runtime.ids import validate_id
    from shim import ShimError, launch

    bundle = Bundle.open(bundle_path)
    problems = [p for p in validate(bundle.config.data, bundle.path) if p.severity == "error"]
    if problems:
        raise LaunchRefused(
            f"{bundle.path} has {len(problems)} error(s) in config.json: fix them "
            "(`bundlebench validate` lists them) before launching",
            problems,
        )
    container_id = container_id or new_container_id(bundle.path)
    try:
        validate_id(container_id)
    except Exception as error:  # the runtime's own sentence names the id
        raise BundlebenchError(str(error)) from None
    root = runtime_root(root)
    os.makedirs(root, mode=0o700, exist_ok=True)
    try:
        result = launch(root, str(bundle.path), container_id, runtime,
                        attach_first=attach_first)
    except ShimError as error:
        raise BundlebenchError(f"could not launch {container_id}: {error}") from None
    return Launched(container_id, root, result.init_pid, result.shim_pid)
