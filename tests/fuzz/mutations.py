"""Malformed configs the way a careless user or an attacker makes them: a few random
mutations of the default config (and the rootless one). Shared by the property test and
the mutation run (`python -m tests.fuzz.run_mutations`)."""

from __future__ import annotations

import copy
import random
from typing import Any

from runtime.defaults import default_config

HOSTILE_TEXT = ["", "\x00", "\udcff", "\u202e", "\x1b]2;x\x07", "../../etc", "/" * 300,
                "a" * 5000, "CAP_SYS_ADMIN", "rbind", "tmpfs", "0", "-1", "root"]
# Keys the runtime reads that the default config leaves out.
EXTRA = [("hooks",), ("annotations",), ("domainname",), ("linux", "seccomp"),
         ("linux", "devices"), ("linux", "timeOffsets"), ("linux", "sysctl"),
         ("linux", "uidMappings"), ("linux", "gidMappings"), ("linux", "rootfsPropagation"),
         ("linux", "personality"), ("process", "rlimits"), ("process", "consoleSize"),
         ("process", "user", "additionalGids"), ("process", "capabilities", "ambient"),
         ("linux", "resources", "memory"), ("linux", "resources", "devices"),
         ("linux", "cgroupsPath"), ("linux", "intelRdt"), ("process", "scheduler")]


def random_value(rng: random.Random, depth: int = 0) -> Any:
    """Any JSON value: scalars of every type, hostile strings, nesting, long arrays."""
    roll = rng.random()
    if depth > 3 or roll < 0.45:
        return rng.choice([None, True, False, 0, -1, 1 << 40, -(1 << 70), 2.5, 1e308,
                           rng.choice(HOSTILE_TEXT), rng.randint(-5, 70000)])
    if roll < 0.55:
        nested: Any = "x"
        for _ in range(rng.choice([10, 63, 64, 65, 200])):
            nested = [nested] if rng.random() < 0.5 else {"k": nested}
        return nested
    if roll < 0.6:
        return [rng.choice(HOSTILE_TEXT)] * rng.choice([50, 2000])
    if roll < 0.8:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(["type", "path", "source", "destination", "options", "names",
                        "action", "args", rng.choice(HOSTILE_TEXT)]): random_value(rng, depth + 1)
            for _ in range(rng.randint(0, 4))}


def paths_of(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (tuple of keys and indexes) in a JSON value, the root first."""
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths_of(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths_of(value, (*prefix, index))
    return found


def mutate(config: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """One mutation: replace, delete, swap a type, or add a field the runtime reads."""
    paths = [p for p in paths_of(config) if p] + EXTRA
    path = rng.choice(paths)
    parent: Any = config
    for token in path[:-1]:
        if isinstance(parent, dict):
            parent = parent.setdefault(token, {}) if isinstance(parent.get(token, {}),
                                                                 dict | list) else None
        elif isinstance(parent, list) and isinstance(token, int) and token < len(parent):
            parent = parent[token]
        else:
            parent = None
        if parent is None:
            return config
    last = path[-1]
    action = rng.random()
    if isinstance(parent, dict):
        if action < 0.15:
            parent.pop(last, None)
        elif action < 0.3 and isinstance(parent.get(last), str):
            parent[last] = parent[last] + rng.choice(HOSTILE_TEXT)
        else:
            parent[last] = random_value(rng)
    elif isinstance(parent, list) and isinstance(last, int) and last < len(parent):
        if action < 0.15:
            del parent[last]
        else:
            parent[last] = random_value(rng)
    return config


def mutated_config(seed: int) -> dict[str, Any]:
    """The config of one seed: 1 to 4 mutations of the default (or rootless) config."""
    rng = random.Random(seed)
    config = copy.deepcopy(default_config(rootless=rng.random() < 0.3))
    for _ in range(rng.randint(1, 4)):
        config = mutate(config, rng)
    return config


def apply(config: dict[str, Any], path: tuple, value: Any, delete: bool = False
          ) -> dict[str, Any]:
    """Set (or delete) the value at path, making the objects on the way; a path through a
    non-container is left alone."""
    parent: Any = config
    for token in path[:-1]:
        if isinstance(parent, dict):
            if not isinstance(parent.get(token), dict | list):
                parent[token] = {}
            parent = parent[token]
        elif isinstance(parent, list) and isinstance(token, int) and token < len(parent):
            parent = parent[token]
        else:
            return config
    last = path[-1]
    if isinstance(parent, dict):
        if delete:
            parent.pop(last, None)
        else:
            parent[last] = value
    elif isinstance(parent, list) and isinstance(last, int) and last < len(parent):
        if delete:
            del parent[last]
        else:
            parent[last] = value
    return config


PATHS = sorted({p for p in paths_of(default_config()) + paths_of(default_config(rootless=True))
                if p} | set(EXTRA), key=repr)
