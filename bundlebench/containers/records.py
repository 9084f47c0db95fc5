"""The workbench's record of each container it launched, beside the runtime's state.

    <root>/@bundlebench/<id>/launch.json      the bundle, whether its config was edited,
                                              the launch options, transitions seen
    <root>/@bundlebench/<id>/bundle/config.json
                                              the config the container was launched with,
                                              when it differs from the bundle's file

"@" is not allowed in a container id, so the runtime never takes this directory for a
container and no container can ever be called that. The private bundle holds only
config.json: its root.path is the real rootfs's absolute path, so the bundle's own files
stay as they are. A record is made when the launched config is not the bundle's file, or when
the workbench first notes a transition; it goes with its container (``remove_record``),
and records whose container was deleted by someone else are pruned when the root is
listed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

from bundlebench.bundle.atomic import write_atomic
from runtime.jsonread import read_json

RECORDS_DIR = "@bundlebench"
LAUNCH_FILE = "launch.json"
PRIVATE_BUNDLE = "bundle"
MAX_RECORD_BYTES = 8 << 20
# A record younger than this may belong to a launch whose container is still being made.
PRUNE_AFTER_SECONDS = 120.0


def record_dir(root: str, container_id: str) -> str:
    return os.path.join(root, RECORDS_DIR, container_id)


def private_bundle_dir(root: str, container_id: str) -> str:
    return os.path.join(record_dir(root, container_id), PRIVATE_BUNDLE)


def write_record(root: str, container_id: str, bundle: Path, options: dict[str, Any],
                 config: dict[str, Any] | None, edited: bool = False) -> str | None:
    """Write the record of a launch; with ``config``, the private bundle too.

    ``edited``: the config holds edits that were not saved (not only the launch's options).

    Returns the private bundle's directory, or None when the bundle itself is launched.
    """
    base = record_dir(root, container_id)
    shutil.rmtree(base, ignore_errors=True)  # a stale record of an earlier container
    os.makedirs(os.path.dirname(base), mode=0o700, exist_ok=True)
    os.mkdir(base, 0o700)
    private = None
    if config is not None:
        private = private_bundle_dir(root, container_id)
        os.mkdir(private, 0o700)
        write_atomic(Path(private, "config.json"),
                     json.dumps(config, indent="\t").encode() + b"\n", mode=0o600)
    record = {"bundle": str(bundle), "changed": config is not None, "edited": edited,
              "options": options,
              "launched": time.time(), "transitions": []}
    _save(base, record)
    return private


def read_record(root: str, container_id: str) -> dict[str, Any] | None:
    """The record of a container, or None (not ours, unreadable, or a wrong shape)."""
    path = os.path.join(record_dir(root, container_id), LAUNCH_FILE)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_RECORD_BYTES + 1)
    except OSError:
        return None
    if len(raw) > MAX_RECORD_BYTES:
        return None
    try:
        data = read_json(raw, path)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("bundle"), str):
        return None
    if not isinstance(data.get("transitions"), list):
        data["transitions"] = []
    return data


def add_transition(root: str, container_id: str, what: str) -> None:
    """Note a transition (``what`` in a few words) in the container's record; a container
    launched without one (its own bundle, or by another program) gets one now."""
    record = read_record(root, container_id)
    base = record_dir(root, container_id)
    if record is None:
        if not os.path.isdir(os.path.join(root, container_id)):
            return
        record = {"bundle": "", "changed": False, "edited": False, "options": {},
                  "made": True,
                  "transitions": []}
    record["transitions"].append({"at": time.time(), "what": what})
    with contextlib.suppress(OSError):
        os.makedirs(base, mode=0o700, exist_ok=True)
        _save(base, record)


def mark_made(root: str, container_id: str) -> None:
    """The launch is over and the container was made: from now on, a record without its
    container is stale at once (it was removed on exit, or deleted by someone else)."""
    record = read_record(root, container_id)
    if record is not None:
        record["made"] = True
        with contextlib.suppress(OSError):
            _save(record_dir(root, container_id), record)


def remove_record(root: str, container_id: str) -> None:
    """Remove a container's record and, when it was the last, the records dir."""
    shutil.rmtree(record_dir(root, container_id), ignore_errors=True)
    with contextlib.suppress(OSError):
        os.rmdir(os.path.join(root, RECORDS_DIR))  # fails while other records remain


def prune_records(root: str, live_ids: set[str]) -> None:
    """Remove the records whose container is gone (removed on exit, deleted by another
    program); one whose launch may still be making it is kept for a while."""
    base = os.path.join(root, RECORDS_DIR)
    try:
        names = os.listdir(base)
    except OSError:
        return
    now = time.time()
    for name in names:
        if name in live_ids:
            continue
        try:
            age = now - os.lstat(os.path.join(base, name)).st_mtime
        except OSError:
            continue
        made = (read_record(root, name) or {}).get("made")
        if made or age > PRUNE_AFTER_SECONDS:
            remove_record(root, name)


def _save(base: str, record: dict[str, Any]) -> None:
    write_atomic(Path(base, LAUNCH_FILE), json.dumps(record, indent=1).encode() + b"\n",
                 mode=0o600)
