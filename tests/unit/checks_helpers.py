"""Helpers for the semantic-check tests: a tiny bundle and config mutators."""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bundlebench.spec.problems import split_pointer
from runtime.defaults import default_config

Mutator = Callable[[dict[str, Any], Path], None]


def make_bundle(tmp_path: Path) -> Path:
    """A bundle dir with rootfs/bin/sh (an executable file) and rootfs/tmp."""
    sh = tmp_path / "rootfs" / "bin" / "sh"
    sh.parent.mkdir(parents=True)
    sh.write_bytes(b"#!/bin/sh\n")
    sh.chmod(0o755)
    (tmp_path / "rootfs" / "tmp").mkdir()
    return tmp_path


def _parent(config: Any, ptr: str) -> tuple[Any, str]:
    tokens = split_pointer(ptr)
    node = config
    for token in tokens[:-1]:
        node = node[int(token)] if isinstance(node, list) else node.setdefault(token, {})
    return node, tokens[-1]


def put(ptr: str, value: Any) -> Mutator:
    def mutate(config: dict[str, Any], bundle: Path) -> None:
        node, last = _parent(config, ptr)
        if isinstance(node, list):
            node[int(last)] = copy.deepcopy(value)
        else:
            node[last] = copy.deepcopy(value)

    return mutate


def append(ptr: str, value: Any) -> Mutator:
    def mutate(config: dict[str, Any], bundle: Path) -> None:
        node, last = _parent(config, ptr)
        node = node[int(last)] if isinstance(node, list) else node.setdefault(last, [])
        node.append(copy.deepcopy(value))

    return mutate


def drop(ptr: str) -> Mutator:
    def mutate(config: dict[str, Any], bundle: Path) -> None:
        node, last = _parent(config, ptr)
        del node[int(last) if isinstance(node, list) else last]

    return mutate


def without_ns(kind: str) -> Mutator:
    def mutate(config: dict[str, Any], bundle: Path) -> None:
        linux = config["linux"]
        linux["namespaces"] = [n for n in linux["namespaces"] if n["type"] != kind]

    return mutate


def rootless(config: dict[str, Any], bundle: Path) -> None:
    config.clear()
    config.update(default_config(rootless=True))


def nothing(config: dict[str, Any], bundle: Path) -> None:
    return None


def file_in(rel: str, data: bytes = b"", mode: int = 0o644) -> Mutator:
    def mutate(config: dict[str, Any], bundle: Path) -> None:
        path = bundle / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(mode)

    return mutate


def dir_in(rel: str) -> Mutator:
    def mutate(config: dict[str, Any], bundle: Path) -> None:
        (bundle / rel).mkdir(parents=True, exist_ok=True)

    return mutate


def symlink_in(rel: str, target: str) -> Mutator:
    def mutate(config: dict[str, Any], bundle: Path) -> None:
        os.symlink(target, bundle / rel)

    return mutate


def chain(*mutators: Mutator) -> Mutator:
    def mutate(config: dict[str, Any], bundle: Path) -> None:
        for mutator in mutators:
            mutator(config, bundle)

    return mutate
