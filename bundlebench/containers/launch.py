"""Launching a bundle as a container through the shim, after validating it."""

from __future__ import annotations

import copy
import os
import re
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bundlebench.errors import BundlebenchError
from bundlebench.spec.problems import Problem

if TYPE_CHECKING:
    from bundlebench.bundle import Bundle

_UNSAFE_ID_CHARS = re.compile(r"[^A-Za-z0-9_+.-]+")


class LaunchRefused(BundlebenchError):
    """The bundle has errors; ``problems`` lists them instead of a container."""

    def __init__(self, message: str, problems: list[Problem]) -> None:
        super().__init__(message)
        self.problems = problems

    def error_lines(self) -> list[str]:
        """One line per error, its field first ("/process/cwd: ...")."""
        return [f"{problem.pointer or '/'}: {problem.message}" for problem in self.problems]


@dataclass
class LaunchOptions:
    """How to launch: what the launch dialog asks (None and empty: as the config says)."""

    container_id: str | None = None
    args: list[str] | None = None
    terminal: bool | None = None
    rootless: bool = False
    start: bool = True
    attach: bool = True
    remove_on_exit: bool = False

    def as_record(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Launched:
    id: str
    root: str
    init_pid: int
    shim_pid: int
    edited: bool = False

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
                  runtime: list[str] | None = None, attach_first: bool = False, *,
                  config: dict[str, Any] | None = None,
                  options: LaunchOptions | None = None) -> Launched:
    """Validate the config, then create (and start) it in a shim; LaunchRefused on errors.

    ``config``: launch this (edited) config instead of the bundle's config.json, which
    stays as it is; ``options`` change it further (args, terminal, rootless) and say
    whether to start and whether to remove the container when it exits.
    ``attach_first``: start the container only once a client attached, so that a
    foreground client sees all of its output.
    """
    from bundlebench.bundle import Bundle
    from bundlebench.containers import records
    from bundlebench.spec.validate import validate
    from runtime.ids import validate_id
    from shim import ShimError, launch

    options = options or LaunchOptions()
    bundle = Bundle.open(bundle_path)
    edited = config is not None
    if not edited:
        bundle.check()  # a config.json that does not parse: its own sentence, not "N errors"
    base = copy.deepcopy(config if edited else bundle.config.data)
    effective = apply_options(base, options)
    changed = edited or effective != bundle.config.data
    problems = [p for p in validate(effective, bundle.path) if p.severity == "error"]
    if problems:
        raise LaunchRefused(
            f"{bundle.path} has {len(problems)} error(s) in config.json: fix them "
            "(`bundlebench validate` lists them) before launching",
            problems,
        )
    container_id = options.container_id or container_id or new_container_id(bundle.path)
    try:
        validate_id(container_id)
    except Exception as error:  # the runtime's own sentence names the id
        raise BundlebenchError(str(error)) from None
    root = runtime_root(root)
    os.makedirs(root, mode=0o700, exist_ok=True)
    if os.path.isdir(os.path.join(root, container_id)):
        raise BundlebenchError(f"container {container_id!r} already exists: choose another id")
    try:  # a bundle launched as it is needs no record (`bundlebench run` makes none)
        private = records.write_record(
            root, container_id, bundle.path, options.as_record(),
            private_config(effective, bundle), edited) if changed else None
    except OSError as error:
        raise BundlebenchError(f"could not record {container_id} under {root}: "
                               f"{error.strerror}") from None
    try:
        result = launch(root, private or str(bundle.path), container_id, runtime,
                        attach_first=attach_first, start=options.start,
                        remove_on_exit=options.remove_on_exit)
    except ShimError as error:
        if changed:
            records.remove_record(root, container_id)
        raise BundlebenchError(f"could not launch {container_id}: {error}") from None
    if changed:
        records.mark_made(root, container_id)
    return Launched(container_id, root, result.init_pid, result.shim_pid, edited=changed)


def apply_options(config: dict[str, Any], options: LaunchOptions) -> dict[str, Any]:
    """``config`` (a copy of its own) changed as the options ask."""
    result = copy.deepcopy(config)
    process = result.get("process")
    if isinstance(process, dict):
        if options.args:
            process["args"] = list(options.args)
        if options.terminal is not None:
            process["terminal"] = options.terminal
    if options.rootless and not _has_user_namespace(result):
        from bundlebench.bundle.config import ConfigDocument
        from bundlebench.edit import EditSession, actions

        session = EditSession(ConfigDocument(Path("config.json"), result))
        actions.make_rootless(session)
        result = session.data
    return result


def private_config(config: dict[str, Any], bundle: Bundle) -> dict[str, Any]:
    """``config`` for a private bundle dir: root.path and relative bind sources made
    absolute, pointing into the real bundle."""
    from runtime.config import resolve_rootfs
    from runtime.errors import RuntimeFailure

    result = copy.deepcopy(config)
    try:  # the runtime's own resolution: a real directory, reached through no symlink
        result["root"]["path"] = resolve_rootfs(str(bundle.path), result["root"]["path"])
    except RuntimeFailure as refusal:
        raise BundlebenchError(str(refusal)) from None
    real_bundle = os.path.realpath(bundle.path)
    for mount in result.get("mounts") or []:
        if isinstance(mount, dict) and _is_bind(mount):
            source = mount.get("source")
            if isinstance(source, str) and source and not source.startswith("/"):
                mount["source"] = os.path.normpath(os.path.join(real_bundle, source))
    return result


def _is_bind(mount: dict[str, Any]) -> bool:
    options = mount.get("options")
    return mount.get("type") == "bind" or (
        isinstance(options, list) and any(o in ("bind", "rbind") for o in options))


def _has_user_namespace(config: dict[str, Any]) -> bool:
    linux = config.get("linux")
    namespaces = linux.get("namespaces") if isinstance(linux, dict) else None
    return isinstance(namespaces, list) and any(
        isinstance(ns, dict) and ns.get("type") == "user" for ns in namespaces)
