"""A scripted step source and /proc reader for the step view's tests (no root)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from textual.app import App

from bundlebench.containers.inspect import Namespace, Security
from bundlebench.containers.proc_view import ProcessView
from bundlebench.tui.screens.step import StepScreen
from runtime.step_client import WAITING_FOR_START

BASE_MOUNTS = ["/ ext4 /dev/sda1 rw,relatime", "/proc proc proc rw,nosuid"]


@dataclass
class FakeStop:
    number: int
    pid: int
    stage: str
    step: str
    syscall: str
    sent: list[str] = field(default_factory=list)

    def send(self, command: str) -> None:
        self.sent.append(command)


class FakeSource:
    """Hands out ``stops`` in order (then WAITING_FOR_START, then None); records what was
    sent to each and whether the setup was abandoned."""

    container_id = "demo-step"

    def __init__(self, stops: list[Any], config: dict[str, Any] | None = None) -> None:
        self.results = list(stops)
        self.config = config
        self.abandoned: list[Any] = []
        self.started = False
        self.waits = 0
        self._lock = threading.Lock()

    def wait(self) -> Any:
        with self._lock:
            self.waits += 1
            return self.results.pop(0) if self.results else None

    def abandon(self, held: Any) -> None:
        if held is not None:
            held.send("abort")
        self.abandoned.append(held)

    def start(self) -> None:
        self.started = True


def fake_reader(pid: int) -> ProcessView:
    """Pid 200 and above has its own mount namespace with /mnt/new mounted."""
    mine = 4026532000 + pid if pid >= 200 else 4026531841
    mounts = BASE_MOUNTS + (["/mnt/new tmpfs tmpfs rw"] if pid >= 200 else [])
    return ProcessView(pid, namespaces=[Namespace("mnt", mine, 4026531841),
                                        Namespace("net", 4026531840, 4026531840)],
                       mounts=mounts,
                       security=Security({"effective": ["CAP_CHOWN", "CAP_SYS_ADMIN"]}, False,
                                         "disabled"),
                       uid="0 0 0 0", gid="0 0 0 0", uid_map=[(0, 0, 4294967295)],
                       cgroups=["0::/bundlebench/demo-step"],
                       limits=["Max open files 1024 1024 files"], cwd="/", root="/")


def stops() -> list[Any]:
    return [FakeStop(1, 100, "stage 1", "namespace", "unshare(CLONE_NEWNS|CLONE_NEWNET)"),
            FakeStop(2, 200, "stage 1", "mount", 'mount("tmpfs", "/mnt/new", "tmpfs")'),
            WAITING_FOR_START]


class StepHost(App[None]):
    """Pushes a StepScreen over an empty screen and keeps what it was dismissed with."""

    def __init__(self, source: FakeSource) -> None:
        super().__init__()
        self.source = source
        self.ended: list[str | None] = []

    def on_mount(self) -> None:
        self.push_screen(StepScreen(self.source, reader=fake_reader), self.ended.append)


async def open_step_view(pilot: Any, app: App[Any]) -> StepScreen:
    """Press S on the containers screen; the step view once its first stop shows."""
    from tests.tui.containers_host import wait_for

    await pilot.press("S")
    screen = await wait_for(pilot, lambda: isinstance(app.screen, StepScreen)
                            and app.screen, what="the step view")
    await wait_for(pilot, lambda: screen.stop is not None, what="the first stop")
    return screen
