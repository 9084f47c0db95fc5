"""A container's setup story: its trace explained in our words, and its transitions.

Pure reading, no screen: the TUI's lifecycle view and `bundlebench trace` both build on
it. The runtime states facts (runtime.api.Runtime.trace); bundlebench.spec.steps explains
them against the config the container was launched with.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from bundlebench.spec.steps import ExplainedStep, explain


@dataclass
class Lifecycle:
    """What the lifecycle view shows of one container (read off the event loop)."""

    steps: list[ExplainedStep] = field(default_factory=list)
    transitions: list[tuple[str, str]] = field(default_factory=list)  # (time, what)


def launched_config(root: str, container_id: str) -> dict[str, Any] | None:
    """The config the container was launched with, as the runtime recorded it at create
    (not the bundle's file, which may have changed since or never held it)."""
    from runtime.api import Runtime, RuntimeFailure

    try:
        config = Runtime(root).store.load(container_id).config
    except RuntimeFailure:
        return None
    return config if isinstance(config, dict) and config else None


def read_lifecycle(root: str, container_id: str, status: str | None = None) -> Lifecycle:
    """The explained trace and the transitions of a container (blocking: call from a
    thread)."""
    from bundlebench.containers.records import read_record
    from runtime.api import Runtime, RuntimeFailure

    runtime = Runtime(root)
    steps = explain(runtime.trace(container_id), launched_config(root, container_id))
    transitions: list[tuple[str, str]] = []
    record = read_record(root, container_id) or {}
    try:
        created = str(runtime.state(container_id).get("created", ""))
    except RuntimeFailure:
        created = ""
    if created:  # the runtime's times are UTC, and so are the record's
        how = ("created with unsaved edits" if record.get("edited") else
               "created with the launch's overrides" if record.get("changed") else "created")
        transitions.append((created[11:19], how))
    for item in record.get("transitions", []):
        if isinstance(item, dict) and isinstance(item.get("at"), int | float):
            moment = time.strftime("%H:%M:%S", time.gmtime(item["at"]))
            transitions.append((moment, str(item.get("what", ""))))
    if status:
        transitions.append(("now", status))
    return Lifecycle(steps, transitions)


def read_steps(root: str, container_id: str) -> list[ExplainedStep]:
    """The explained trace of a container, its fields resolved against the config it was
    launched with (blocking: call from a thread)."""
    return read_lifecycle(root, container_id).steps

