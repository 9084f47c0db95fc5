"""Step mode's two ends in one process: a Stepper's stops (in a thread) and the client."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from runtime import step_client
from runtime.step import Aborted, Stepper


class Steps:
    """Runs steps through a Stepper in a thread; records which ones ran."""

    def __init__(self, stepper: Stepper, kinds: list[str]) -> None:
        self.ran: list[str] = []
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(stepper, kinds), daemon=True)
        self.thread.start()

    def _run(self, stepper: Stepper, kinds: list[str]) -> None:
        try:
            for kind in kinds:
                stepper.before(kind, f"{kind}(...)", 1)
                self.ran.append(kind)
        except BaseException as exc:  # noqa: BLE001 - the test reads it
            self.error = exc

    def join(self) -> None:
        self.thread.join(10)
        assert not self.thread.is_alive()


def _stop(state_dir: Path) -> step_client.Stop:
    stop = step_client.wait_stop(str(state_dir), 5)
    assert isinstance(stop, step_client.Stop)
    return stop


def test_next_look_to_and_continue(tmp_path: Path) -> None:
    stepper = Stepper(str(tmp_path), timeout=5)
    steps = Steps(stepper, ["cgroups", "namespace", "mount", "mount", "pivot_root", "user",
                            "exec"])
    first = _stop(tmp_path)
    assert (first.number, first.step, first.syscall) == (1, "cgroups", "cgroups(...)")
    first.send("look")
    again = _stop(tmp_path)
    assert again.number == 1 and steps.ran == []  # look: still before the first step
    again.send("next")
    second = _stop(tmp_path)
    assert second.step == "namespace" and steps.ran == ["cgroups"]
    second.send("to pivot_root")
    third = _stop(tmp_path)
    assert third.step == "pivot_root" and steps.ran == ["cgroups", "namespace", "mount",
                                                        "mount"]
    third.send("continue")
    steps.join()
    assert steps.ran[-1] == "exec" and steps.error is None


def test_abort_fails_the_step_with_a_sentence(tmp_path: Path) -> None:
    stepper = Stepper(str(tmp_path), timeout=5)
    steps = Steps(stepper, ["mount", "exec"])
    _stop(tmp_path).send("abort")
    steps.join()
    assert isinstance(steps.error, Aborted) and steps.ran == []
    assert "aborted before the mount step" in str(steps.error)


def test_an_unanswered_stop_is_taken_over_by_a_newer_client(tmp_path: Path) -> None:
    stepper = Stepper(str(tmp_path), timeout=5)
    steps = Steps(stepper, ["mount", "exec"])
    held = _stop(tmp_path)  # never answered
    assert step_client.abort(str(tmp_path), timeout=5)
    steps.join()
    assert isinstance(steps.error, Aborted)
    held.send("next")  # nobody listens any more: no error


@pytest.mark.parametrize("destroy", [False, True])
def test_no_client_within_the_timeout(tmp_path: Path, destroy: bool) -> None:
    stepper = Stepper(str(tmp_path), timeout=0.2, destroy_on_timeout=destroy)
    started = time.monotonic()
    steps = Steps(stepper, ["mount", "mount", "exec"])
    steps.join()
    if destroy:
        assert isinstance(steps.error, Aborted) and "no client for 0.2 s" in str(steps.error)
    else:  # one stop waited, then every step ran
        assert steps.ran == ["mount", "mount", "exec"] and steps.error is None
        assert time.monotonic() - started < 2


def test_a_garbled_command_leaves_the_process_stopped(tmp_path: Path) -> None:
    stepper = Stepper(str(tmp_path), timeout=5)
    steps = Steps(stepper, ["mount", "exec"])
    _stop(tmp_path).send("to")  # `to` without a kind
    stop = _stop(tmp_path)
    assert stop.number == 1 and steps.ran == []
    stop.send("continue")
    steps.join()


def test_no_socket_means_no_more_stops(tmp_path: Path) -> None:
    assert step_client.wait_stop(str(tmp_path), 1) is None
    assert not step_client.stepping(str(tmp_path))


def test_a_client_holding_the_stop_is_not_timed_out(tmp_path: Path) -> None:
    stepper = Stepper(str(tmp_path), timeout=0.3)
    steps = Steps(stepper, ["mount", "exec"])
    held = _stop(tmp_path)
    time.sleep(0.8)  # longer than the timeout, while the client shows the stop
    assert steps.ran == []
    held.send("next")
    steps.join()
    assert steps.ran == ["mount", "exec"]  # the next stop had no client: it went on


def test_the_socket_appears_only_once_it_listens(tmp_path: Path, monkeypatch) -> None:
    # A client that finds step.sock must be able to connect: between bind and listen a
    # connect is refused, which clients read as "no more stops" (CI once saw it so).
    import os
    import socket

    import runtime.step as step_module

    renames: list[tuple[str, str]] = []
    real_rename = os.rename

    def rename(source: str, target: str) -> None:
        assert not os.path.exists(target), "step.sock was there before it listened"
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.connect(source)  # it listens already
        probe.close()
        renames.append((source, target))
        real_rename(source, target)

    monkeypatch.setattr(step_module.os, "rename", rename)
    stepper = Stepper(str(tmp_path), timeout=1)
    assert [os.path.basename(target) for _source, target in renames] == ["step.sock"]
    assert oct(os.stat(tmp_path / "step.sock").st_mode & 0o777) == "0o600"
    stepper.server.close()
