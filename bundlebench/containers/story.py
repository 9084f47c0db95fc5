"""A container's setup story: its trace explained in our words, and its transitions.

Pure reading, no screen: the TUI's lifecycle view and `bundlebench trace` both build on
it. The runtime states facts (runtime.api.Runtime.trace); bundlebench.spec.steps explains
them against the config the container was launched with.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from functools import cached_property
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


# Who does which part of a setup (runtime/process/): the runtime's own process writes the
# id maps and makes the cgroups; its first child unshares; the container's init does the
# rest, and is the pid the state records.
PARENT_STEPS = frozenset({"userns", "cgroups"})


@dataclass(frozen=True)
class Story:
    """One container's setup, for a handout: who it is, and each explained step."""

    container_id: str
    bundle: str
    init_pid: int
    steps: list[ExplainedStep]

    def stage(self, step: ExplainedStep) -> str:
        """Which process did ``step``: "runtime", "stage 1", "init", or "" (not known)."""
        return self.stages.get(step.pid, "")

    @cached_property
    def stages(self) -> dict[int, str]:
        """Each pid of the trace whose stage is known, and that stage."""
        known: dict[int, str] = {}
        if self.init_pid:
            known[self.init_pid] = "init"
        for step in self.steps:
            if step.pid and step.pid not in known and step.step in PARENT_STEPS:
                known[step.pid] = "runtime"
        first = next((s for s in self.steps if s.step == "namespace" and s.pid
                      and s.pid not in known), None)
        if first is not None:
            known[first.pid] = "stage 1"
        return known


def read_story(root: str, container_id: str) -> Story:
    """The story of a container; BundlebenchError (one sentence) when there is none."""
    from bundlebench.errors import BundlebenchError
    from runtime.api import Runtime, RuntimeFailure
    from runtime.trace import TRACE_FILE

    runtime = Runtime(root)
    try:
        directory = runtime.store.path(container_id)
        if not os.path.isdir(directory):
            raise BundlebenchError(f"no container {container_id!r} under {root}: "
                                   "`bundlebench ps` lists the containers there")
        state = runtime.store.load(container_id)
    except RuntimeFailure as error:  # a bad id, a corrupt state: the runtime's sentence
        raise BundlebenchError(str(error)) from None
    path = os.path.join(directory, TRACE_FILE)
    try:
        with open(path, "rb"):
            pass
    except FileNotFoundError:
        raise BundlebenchError(
            f"container {container_id!r} has no setup trace ({path}): it was made by "
            "another runtime, or its create did not get far; run it again with "
            "bundlebench to see one") from None
    except OSError as error:
        raise BundlebenchError(
            f"cannot read the setup trace of {container_id!r} ({path}): "
            f"{error.strerror}; read it as the container's owner") from None
    events = runtime.trace(container_id)
    if not events:
        raise BundlebenchError(
            f"the setup trace of {container_id!r} ({path}) holds no step it can read: "
            "it is empty or damaged; run the container again to record a new one")
    steps = explain(events, state.config or None)
    return Story(container_id, _bundle_of(root, container_id, state.bundle),
                 state.pid, steps)


def _bundle_of(root: str, container_id: str, launched: str) -> str:
    """The bundle a person launched: a workbench launch runs a private copy of its config."""
    from bundlebench.containers.records import read_record

    record = read_record(root, container_id) or {}
    bundle = record.get("bundle")
    return bundle if isinstance(bundle, str) and bundle else launched
