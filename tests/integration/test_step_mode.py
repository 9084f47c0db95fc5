"""Step mode for real (root): a create that stops before each setup step, driven by the
client in runtime/step_client.py and by `bundlebench step`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from runtime import step_client
from runtime.trace import read_trace
from tests.integration.conftest import ROOT_ONLY, _bundlebench_cgroups

pytestmark = ROOT_ONLY

# Records of what was decided, not steps the runtime takes: nothing to stop before.
RECORDS_ONLY = {"not_applied"}


def _rich_config(rt: Any) -> dict[str, Any]:
    """Many kinds of step: sysctl, rlimits, a user, a seccomp profile, masks, devices."""
    config = rt.config(["true"])
    config["linux"]["sysctl"] = {"net.ipv4.ip_forward": "0"}
    config["process"]["user"] = {"uid": 0, "gid": 0, "additionalGids": [1]}
    config["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["kexec_load"], "action": "SCMP_ACT_ERRNO"}]}
    config["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}]
    return config


@contextmanager
def stepped_create(rt: Any, config: dict[str, Any], *flags: str
                   ) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    """`create --step` in the background: (id, state dir, the create process)."""
    cid = rt.new_id("step")
    bundle = rt.bundle(config=config)
    err = tempfile.TemporaryFile()  # noqa: SIM115 - read after the create ends
    command = [sys.executable, "-m", "runtime", "--root", str(rt.root), "create", "--step",
               *flags, "-b", str(bundle), cid]
    create = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=err)
    state_dir = rt.root / cid
    deadline = time.monotonic() + 10
    while not (state_dir / "step.sock").exists() and create.poll() is None:
        assert time.monotonic() < deadline, "no step.sock"
        time.sleep(0.01)
    try:
        yield cid, state_dir, create
    finally:
        if create.poll() is None:
            subprocess.run([sys.executable, "-m", "runtime", "--root", str(rt.root), "delete",
                            "-f", cid], capture_output=True, timeout=30)
            create.wait(15)
        err.seek(0)
        create.stderr_text = err.read().decode()  # type: ignore[attr-defined]
        err.close()


def _created(rt: Any, cid: str):
    def created() -> bool:
        result = rt("state", cid)
        return result.returncode == 0 and json.loads(result.stdout)["status"] == "created"
    return created


def _ns(pid: int, kind: str) -> str:
    return os.readlink(f"/proc/{pid}/ns/{kind}")


def test_every_step_kind_can_be_stopped_at(rt) -> None:
    with stepped_create(rt, _rich_config(rt)) as (cid, state_dir, create):
        kinds: list[str] = []
        stages: set[str] = set()
        started = False
        while True:
            stop = step_client.wait_stop(str(state_dir), 20, _created(rt, cid))
            if stop is None:
                break
            if stop == step_client.WAITING_FOR_START:
                assert not started, "waiting for start twice"
                assert create.wait(10) == 0
                rt("start", cid, check=True)
                started = True
                continue
            kinds.append(stop.step)
            stages.add(stop.stage)
            stop.send("next")
        assert started
        rt.wait_status(cid, "stopped")
        traced = {event["step"] for event in read_trace(str(state_dir / "trace.jsonl"))}
    assert stages == {"runtime", "stage 1", "init"}
    # Every kind the trace recorded was a stop (records of decisions aside), in order
    # the runtime took them: the last one is execve.
    assert traced - RECORDS_ONLY <= set(kinds), traced - RECORDS_ONLY - set(kinds)
    assert {"cgroups", "namespace", "mount", "device", "pivot_root", "hostname", "rlimit",
            "user", "capabilities", "no_new_privs", "seccomp", "sysctl", "masked",
            "readonly", "exec"} <= set(kinds)
    assert kinds[-1] == "exec" and kinds.index("namespace") < kinds.index("pivot_root")


def test_proc_at_a_stop_shows_what_the_step_changed(rt) -> None:
    with stepped_create(rt, rt.config(["true"])) as (cid, state_dir, _):
        stop = step_client.wait_stop(str(state_dir), 20)
        stop.send("to namespace")
        stop = step_client.wait_stop(str(state_dir), 20)
        assert stop.stage == "stage 1" and stop.syscall.startswith("unshare(")
        before = _ns(stop.pid, "mnt")
        assert before == _ns(os.getpid(), "mnt")  # not yet its own
        stage1 = stop.pid
        stop.send("next")
        stop = step_client.wait_stop(str(state_dir), 20)
        assert stop.pid == stage1  # lo comes up in the new network namespace next
        assert _ns(stage1, "mnt") != before and _ns(stage1, "net") != _ns(os.getpid(), "net")
        stop.send("to pivot_root")
        stop = step_client.wait_stop(str(state_dir), 20)
        assert stop.stage == "init"
        init = stop.pid
        rootfs = os.stat(rt.rootfs)
        seen = os.stat(f"/proc/{init}/root")
        assert (seen.st_dev, seen.st_ino) != (rootfs.st_dev, rootfs.st_ino)
        stop.send("next")
        stop = step_client.wait_stop(str(state_dir), 20)
        seen = os.stat(f"/proc/{init}/root")  # the rootfs is its / now
        assert seen.st_ino == rootfs.st_ino
        stop.send("continue")


def test_delete_force_gets_through_while_a_client_holds_the_stop(rt) -> None:
    with stepped_create(rt, rt.config(["true"])) as (cid, state_dir, create):
        held = step_client.wait_stop(str(state_dir), 20)  # and never answered
        assert held.stage == "runtime"
        result = rt("delete", "-f", cid, timeout=20)
        assert result.returncode == 0, result.stderr
        assert create.wait(15) == 1 and not state_dir.exists()
        held.send("next")  # too late: nobody listens, and that is no error


@pytest.mark.parametrize("where", ["runtime", "stage 1", "init", "created"])
def test_delete_force_at_a_stop_leaves_nothing(rt, where: str) -> None:
    cgroups_before = _bundlebench_cgroups()
    with stepped_create(rt, rt.config(["true"])) as (cid, state_dir, create):
        pids = []
        while True:
            stop = step_client.wait_stop(str(state_dir), 20, _created(rt, cid))
            if stop == step_client.WAITING_FOR_START:
                assert where == "created"
                break
            pids.append(stop.pid)
            if stop.stage == where:
                stop.send("look")  # stay here
                break
            stop.send("next")
        result = rt("delete", "-f", cid)
        assert result.returncode == 0, result.stderr
        assert create.wait(15) == (0 if where == "created" else 1)
        assert not state_dir.exists()
    if where != "created":
        assert "aborted before the" in create.stderr_text  # type: ignore[attr-defined]
    assert _bundlebench_cgroups() == cgroups_before
    for pid in set(pids) - {os.getpid()}:
        assert not os.path.exists(f"/proc/{pid}") or _zombie_or_other(pid, cid)
    with open("/proc/self/mountinfo") as handle:
        assert str(state_dir) not in handle.read()


def _zombie_or_other(pid: int, cid: str) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return cid.encode() not in handle.read()
    except OSError:
        return True


def test_no_client_continues_after_the_timeout(rt) -> None:
    with stepped_create(rt, rt.config(["true"]), "--step-timeout", "0.5") as (cid, _, create):
        assert create.wait(20) == 0  # one stop waited, then every step ran
        assert rt.state(cid)["status"] == "created"


def test_no_client_with_step_destroy_gives_the_container_up(rt) -> None:
    with stepped_create(rt, rt.config(["true"]), "--step-timeout", "0.5",
                        "--step-destroy") as (cid, state_dir, create):
        assert create.wait(20) == 1
        assert not state_dir.exists()
    assert "no client for 0.5 s" in create.stderr_text  # type: ignore[attr-defined]


def test_step_mode_is_off_unless_asked(rt) -> None:
    cid = rt.new_id()
    rt("create", "-b", str(rt.bundle(["true"])), cid, check=True)
    assert not (rt.root / cid / "step.sock").exists()
    result = subprocess.run([sys.executable, "-m", "bundlebench", "step", "--root",
                             str(rt.root), cid], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0 and "was not created in step mode" in result.stderr


def test_bundlebench_step_shows_the_stop_in_words(rt) -> None:
    with stepped_create(rt, rt.config(["true"])) as (cid, _, create):
        def step(*args: str) -> str:
            result = subprocess.run([sys.executable, "-m", "bundlebench", "step", "--root",
                                     str(rt.root), cid, *args], capture_output=True,
                                    text=True, timeout=30)
            assert result.returncode == 0, result.stderr
            return result.stdout
        first = step()
        assert "stop 1" in first and "about to" in first and "runtime (pid" in first
        assert step() .splitlines()[0] == first.splitlines()[0]  # look: still there
        assert "sent: to pivot_root" in step("to", "pivot_root")
        text = step("next")
        assert "Switch root" in text and "/root/path" in text
        assert "sent: continue" in step("continue")
        assert create.wait(20) == 0
        assert "waiting for start" in step()


def test_run_step_stops_then_runs_to_the_exit_code(rt) -> None:
    cid = rt.new_id("step")
    bundle = rt.bundle(["sh", "-c", "exit 7"])
    run = subprocess.Popen([sys.executable, "-m", "runtime", "--root", str(rt.root), "run",
                            "--step", "-b", str(bundle), cid], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        state_dir = rt.root / cid
        deadline = time.monotonic() + 10
        while not (state_dir / "step.sock").exists():
            assert time.monotonic() < deadline and run.poll() is None
            time.sleep(0.01)
        stop = step_client.wait_stop(str(state_dir), 20)
        assert stop.number == 1 and stop.stage == "runtime"
        assert run.poll() is None  # held at the stop
        stop.send("to exec")
        stop = step_client.wait_stop(str(state_dir), 20)
        assert stop.step == "exec" and "exit 7" in stop.syscall
        stop.send("next")
        assert run.wait(20) == 7
        assert not state_dir.exists()  # run deletes it, as without --step
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
