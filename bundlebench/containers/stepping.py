"""Step launch: `bundlebench-runtime create --step` of a bundle in a helper process,
and the client that answers its stops (runtime/step_client.py).

The TUI never forks namespaces itself: the create runs as its own process, stdio on
/dev/null (step mode shows no terminal, so the config's process.terminal is turned off
for this launch). The blocking calls here (wait, send, abort, start) run in workers.
"""

from __future__ import annotations

import contextlib
import copy
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from bundlebench.containers import control, records
from bundlebench.containers.launch import (
    LaunchOptions,
    LaunchRefused,
    apply_options,
    new_container_id,
    private_config,
    runtime_root,
)
from bundlebench.errors import BundlebenchError

# The kinds `r` offers: the runtime's step ids, in the order a setup takes them.
STEP_KINDS = ("cgroups", "namespace", "userns", "mount", "device", "masked", "readonly",
              "pivot_root", "sysctl", "hostname", "rlimit", "user", "capabilities",
              "no_new_privs", "seccomp", "exec")
WAIT_SECONDS = 30.0
SOCKET_SECONDS = 10.0


class StopLike(Protocol):
    """What the view needs of a stop (runtime.step_client.Stop, or a test's fake)."""

    number: int
    pid: int
    stage: str
    step: str
    syscall: str

    def send(self, command: str) -> None: ...


class StepSource(Protocol):
    """Where the stops of one stepped container come from."""

    container_id: str
    config: dict[str, Any] | None

    def wait(self) -> StopLike | str | None: ...

    def abandon(self, held: StopLike | None) -> None: ...

    def start(self) -> None: ...


@dataclass
class SteppedCreate:
    """A `create --step` running in its own process: the client side of its stops."""

    container_id: str
    root: str
    process: subprocess.Popen[bytes]
    config: dict[str, Any] | None = None
    edited: bool = False

    @property
    def state_dir(self) -> str:
        return os.path.join(self.root, self.container_id)

    def created(self) -> bool:
        """Create is done: the init waits for `start`."""
        if self.process.poll() is None:
            return False
        try:
            from runtime.api import Runtime
            return Runtime(self.root).state(self.container_id)["status"] == "created"
        except Exception:  # noqa: BLE001 - gone, or not there yet: not created
            return False

    def wait(self) -> StopLike | str | None:
        """The next stop, WAITING_FOR_START, or None (no more stops)."""
        from runtime import step_client
        from runtime.errors import RuntimeFailure

        if self.process.poll() not in (None, 0):
            return None  # create failed: its cleanup ran, there is no stop to wait for
        try:
            return step_client.wait_stop(self.state_dir, WAIT_SECONDS, self.created)
        except RuntimeFailure as error:
            raise BundlebenchError(str(error)) from None

    def start(self) -> None:
        control.start(self.root, self.container_id)

    def abandon(self, held: StopLike | None) -> None:
        """Fail the setup (at the held stop, else at the next one) or delete the created
        container; wait until nothing of it is left."""
        from runtime import step_client

        if held is not None:
            held.send("abort")
        elif self.process.poll() is None:
            step_client.abort(self.state_dir)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(15)
        if os.path.isdir(self.state_dir):  # created (or started): delete -f
            control.delete(self.root, self.container_id)
        records.remove_record(self.root, self.container_id)


def _runtime_command() -> list[str]:
    from shim import default_runtime_command
    return default_runtime_command()


def step_create(bundle_path: Path, root: str | None = None, *,
                config: dict[str, Any] | None = None,
                container_id: str | None = None) -> SteppedCreate:
    """Validate, then start `create --step --step-destroy` and wait for its step socket.

    ``config``: step this (edited) config instead of config.json, which stays as it is.
    --step-destroy: when nobody answers a stop (the app went away), nothing is left.
    """
    from bundlebench.bundle import Bundle
    from bundlebench.spec.validate import validate

    bundle = Bundle.open(bundle_path)
    edited = config is not None
    if not edited:
        bundle.check()
    effective = apply_options(copy.deepcopy(config if edited else bundle.config.data),
                              LaunchOptions(terminal=False))
    problems = [p for p in validate(effective, bundle.path) if p.severity == "error"]
    if problems:
        raise LaunchRefused(f"{bundle.path} has {len(problems)} error(s) in config.json: fix "
                            "them before a step launch", problems)
    root = runtime_root(root)
    os.makedirs(root, mode=0o700, exist_ok=True)
    container_id = container_id or new_container_id(bundle.path)
    why = control.check_new_id(root, container_id)
    if why:
        raise BundlebenchError(why)
    changed = effective != bundle.config.data
    try:
        private = records.write_record(
            root, container_id, bundle.path, {"step": True, "terminal": False},
            private_config(effective, bundle), edited) if changed else None
    except OSError as error:
        raise BundlebenchError(f"could not record {container_id} under {root}: "
                               f"{error.strerror}") from None
    command = [*_runtime_command(), "--root", root, "create", "--step", "--step-destroy",
               "-b", private or str(bundle.path), container_id]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    stepped = SteppedCreate(container_id, root, process, effective, edited)
    socket_path = os.path.join(stepped.state_dir, "step.sock")
    deadline = time.monotonic() + SOCKET_SECONDS
    while not os.path.exists(socket_path):
        code = process.poll()
        if code is not None or time.monotonic() > deadline:
            if code is None:
                process.kill()
                process.wait()
            records.remove_record(root, container_id)
            raise BundlebenchError(f"`create --step` of {container_id} ended (code {code}) "
                                   "before its first stop: `bundlebench-runtime create "
                                   "--step` in a shell shows why")
        time.sleep(0.01)
    if changed:
        records.mark_made(root, container_id)
    return stepped
