"""runtime.cli.cgroups: pause, resume, ps, events and update against a real state
store in a tmp dir and a fake cgroup v2 dir (plain files)."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from runtime.cgroups import control, manager
from runtime.cgroups.v2 import V2Manager
from runtime.cli import cgroups as commands
from runtime.errors import RuntimeFailure
from runtime.state import ContainerState, StateStore, proc_stat
from runtime.status import container_status

FILES = {"cgroup.procs": "", "cgroup.freeze": "0", "cgroup.events": "frozen 0\n",
         "memory.max": "", "memory.swap.max": "", "memory.current": "100",
         "memory.swap.current": "0", "memory.events": "oom 0\noom_kill 0\n",
         "pids.max": "", "pids.current": "1", "cpu.max": "max 100000", "cpu.weight": "100",
         "cpu.stat": "usage_usec 1\n"}


@pytest.fixture
def env(tmp_path: Path):
    store = StateStore(str(tmp_path / "root"))
    store.create_dir("c1")
    info = proc_stat(os.getpid())
    assert info is not None
    state = ContainerState(id="c1", bundle="/b", rootfs="/b/rootfs", pid=os.getpid(),
                           starttime=info[1], config={"linux": {"resources": {
                               "memory": {"limit": 1 << 30}, "pids": {"limit": 10}}}})
    store.save(state)
    cgdir = tmp_path / "cg/c1"
    cgdir.mkdir(parents=True)
    for name, text in FILES.items():
        (cgdir / name).write_text(text)
    (cgdir / "cgroup.procs").write_text(f"{os.getpid()}\n")
    manager.save(V2Manager(str(cgdir), str(tmp_path / "cg")), store.path("c1"))
    return store, cgdir


def test_status_paused_pause_resume(env) -> None:
    store, cgdir = env
    state = store.load("c1")
    assert container_status(store, state) == "running"
    with pytest.raises(RuntimeFailure, match="not paused"):
        commands.resume(store, {}, ["c1"])
    (cgdir / "cgroup.events").write_text("frozen 1\n")
    assert commands.pause(store, {}, ["c1"]) == 0
    assert (cgdir / "cgroup.freeze").read_text() == "1"
    assert container_status(store, state) == "paused"
    with pytest.raises(RuntimeFailure, match="it is paused, not running"):
        commands.pause(store, {}, ["c1"])
    (cgdir / "cgroup.events").write_text("frozen 0\n")
    assert commands.resume(store, {}, ["c1"]) == 0
    assert container_status(store, state) == "running"


def test_pause_without_cgroup_is_explained(env) -> None:
    store, _ = env
    os.unlink(os.path.join(store.path("c1"), manager.STATE_FILE))
    with pytest.raises(RuntimeFailure, match="it has no cgroup"):
        commands.pause(store, {}, ["c1"])


def test_ps_table_and_json(env, capsys) -> None:
    store, _ = env
    me = os.getpid()
    fake = f"UID  PID  PPID C CMD\nroot {me} 1 0 python\nroot 99999999 1 0 other\n"
    commands.ps(store, {}, ["c1", "--", "-o", "pid"], run_ps=lambda args: fake)
    out = capsys.readouterr().out
    assert out.splitlines() == ["UID  PID  PPID C CMD", f"root {me} 1 0 python"]
    commands.ps(store, {"format": "json"}, ["c1"])
    assert json.loads(capsys.readouterr().out) == [me]
    with pytest.raises(RuntimeFailure, match="use table or json"):
        commands.ps(store, {"format": "yaml"}, ["c1"])


def test_filter_ps_needs_pid_column() -> None:
    with pytest.raises(RuntimeFailure, match="no PID column"):
        commands.filter_ps("USER CMD\nroot x\n", [1])


def test_events_stats_once_and_stream(env) -> None:
    store, cgdir = env
    out = io.StringIO()
    commands.events(store, {"stats": True}, ["c1"], out=out)
    record = json.loads(out.getvalue())
    assert record["type"] == "stats" and record["id"] == "c1"
    assert record["data"]["pids"] == {"current": 1}
    assert '"type":"stats"' in out.getvalue()  # compact, as Go's encoder writes

    class Out(io.StringIO):
        def write(self, text: str) -> int:  # the OOM killer strikes after the first stats
            (cgdir / "memory.events").write_text("oom 1\noom_kill 1\n")
            return super().write(text)
    out = Out()
    commands.events(store, {"interval": "10ms"}, ["c1"], out=out, max_rounds=3)
    kinds = [json.loads(line)["type"] for line in out.getvalue().splitlines()]
    assert kinds.count("stats") == 3 and kinds.count("oom") == 1


def test_event_line() -> None:
    assert commands.event("oom", "c1") == '{"type":"oom","id":"c1"}\n'


@pytest.mark.parametrize("text,seconds", [("5s", 5), ("100ms", 0.1), ("1m30s", 90),
                                          ("1.5h", 5400)])
def test_parse_duration(text: str, seconds: float) -> None:
    assert commands.parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["", "5", "5x", "0s"])
def test_parse_duration_errors(bad: str) -> None:
    with pytest.raises(RuntimeFailure, match="interval"):
        commands.parse_duration(bad)


@pytest.mark.parametrize("text,value", [("1024", 1024), ("64m", 64 << 20), ("1g", 1 << 30),
                                        ("512KiB", 512 << 10), ("1.5g", 3 << 29),
                                        ("-1", -1), ("10b", 10), ("2 MB", 2 << 20)])
def test_parse_size(text: str, value: int) -> None:
    assert commands.parse_size(text, "memory") == value


def test_parse_size_error() -> None:
    with pytest.raises(RuntimeFailure, match="--memory 'lots' is not a size"):
        commands.parse_size("lots", "memory")


def test_resources_from_flags_and_merge(tmp_path: Path) -> None:
    resources = tmp_path / "r.json"
    resources.write_text(json.dumps({"cpu": {"shares": 100}, "pids": {"limit": 3}}))
    fragment = commands.resources_from_flags({"resources": str(resources), "memory": "64m",
                                              "cpu_quota": "5000", "pids_limit": "7",
                                              "cpuset_cpus": "0"})
    assert fragment == {"cpu": {"shares": 100, "quota": 5000, "cpus": "0"},
                        "pids": {"limit": 7}, "memory": {"limit": 64 << 20}}
    merged = control.merge_resources({"memory": {"limit": 1, "swap": 5},
                                       "devices": [{"allow": False}]}, fragment)
    assert merged["memory"] == {"limit": 64 << 20, "swap": 5}
    assert merged["devices"] == [{"allow": False}]
    with pytest.raises(RuntimeFailure, match="cannot change linux.resources.devices"):
        control.merge_resources({}, {"devices": []})
    with pytest.raises(RuntimeFailure, match="Intel RDT"):
        commands.resources_from_flags({"l3_cache_schema": "L3:0=f"})
    stdin = io.StringIO('{"pids": {"limit": 9}}')
    assert commands.resources_from_flags({"resources": "-"}, stdin) == {"pids": {"limit": 9}}


def test_update_applies_and_records(env) -> None:
    store, cgdir = env
    assert commands.update(store, {"memory": "256m", "pids_limit": "20"}, ["c1"]) == 0
    assert (cgdir / "memory.max").read_text() == str(256 << 20)
    assert (cgdir / "pids.max").read_text() == "20"
    saved = store.load("c1").config["linux"]["resources"]
    assert saved == {"memory": {"limit": 256 << 20}, "pids": {"limit": 20}}


def test_flag_tables_match_runc_names() -> None:
    update = commands.FLAGS["update"]
    for flag in ("memory", "memory-swap", "cpu-quota", "pids-limit", "cpu-share",
                 "blkio-weight", "r", "resources"):
        assert flag in update
    assert commands.FLAGS["events"]["interval"] == ("interval", True, False)
    assert set(commands.HANDLERS) == set(commands.OPERANDS)
