"""What start, state and delete need of a container's cgroup, read straight from the
cgroup.json in its state dir: whether it is paused, and removing it when it is empty.

These run on every call of those commands, and building a manager (v1/v2, detection,
resources) costs about a millisecond of imports; the manager is the fallback for
anything less simple.
"""

from __future__ import annotations

import os

from runtime.errors import RuntimeFailure

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any

STATE_FILE = "cgroup.json"  # runtime.cgroups.manager writes it, and reads it through load()


def load(state_dir: str) -> dict[str, Any] | None:
    """cgroup.json of a state dir as saved, or None when the container has no cgroup."""
    path = os.path.join(state_dir, STATE_FILE)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    try:
        raw = os.read(fd, 1 << 20)
    finally:
        os.close(fd)
    from runtime.jsonread import read_json
    try:
        saved = read_json(raw, path)
    except ValueError:
        saved = None
    if not isinstance(saved, dict):
        raise RuntimeFailure(f"{path} is corrupt")
    return saved


def is_paused(state_dir: str) -> bool:
    """freeze.is_paused of the saved cgroup, without a manager."""
    saved = load(state_dir)
    if saved is None:
        return False
    try:
        if saved.get("version") == "v2":
            target: tuple[str, str] | None = ("v2", saved["path"])
        elif (saved.get("paths") or {}).get("freezer"):
            target = ("v1", saved["paths"]["freezer"])
        else:
            target = ("v2", saved["unified"]) if saved.get("unified") else None
    except (KeyError, TypeError, AttributeError):
        raise RuntimeFailure(f"{os.path.join(state_dir, STATE_FILE)} is corrupt") from None
    from runtime.cgroups.freeze import frozen  # only here: delete of a stopped one skips it
    return frozen(target)


def _rmdir(path: str) -> None:
    os.rmdir(path)


def remove_if_empty(state_dir: str) -> bool:
    """rmdir every dir the container owns; True when none is left (or it has no cgroup).
    False (nothing harmed: a busy cgroup refuses rmdir) means sub-cgroups, processes, or a
    record without the owned list: manager.teardown does the rest."""
    saved = load(state_dir)
    if saved is None:
        return True
    owned = saved.get("owned")
    if not isinstance(owned, list) or not all(isinstance(d, str) for d in owned):
        return False
    for directory in owned:
        try:
            _rmdir(directory)
        except FileNotFoundError:
            continue
        except OSError:
            return False
    return True
