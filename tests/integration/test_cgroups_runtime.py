"""Issue 8 wired into the runtime: real containers in their own cgroups, with runc's
pause/resume/ps/events/update commands."""

from __future__ import annotations

import json
import os
import time

import pytest

from runtime.cgroups.detect import NONE, detect
from tests.integration.conftest import ROOT_ONLY

HOST = detect()
pytestmark = [ROOT_ONLY, pytest.mark.skipif(HOST.mode == NONE,
                                            reason="this host mounts no cgroup hierarchy")]

LIMITED = {"memory": {"limit": 64 << 20}, "pids": {"limit": 40}}


def _config(rt, args: list[str]) -> dict:
    config = rt.config(args)
    config["linux"]["resources"] = {**config["linux"].get("resources", {}), **LIMITED}
    return config


def _start(rt, args: list[str] | None = None) -> str:
    cid = rt.new_id()
    # "& wait": a shell (busybox sh, newer dash) may exec the last command of -c itself,
    # and the tests count three processes: the shell and two sleeps.
    config = _config(rt, args or ["sh", "-c", "sleep 300 & sleep 300 & wait"])
    rt("run", "-d", "-b", str(rt.bundle(config=config)), cid, check=True)
    return cid


def _cgroup_record(rt, cid: str) -> dict:
    return json.loads((rt.root / cid / "cgroup.json").read_text())


def _limit_file(record: dict, controller: str, v1_name: str, v2_name: str) -> str:
    if record["version"] == "v1":
        return os.path.join(record["paths"][controller], v1_name)
    return os.path.join(record["path"], v2_name)


def test_limits_are_seen_inside_and_on_the_host(rt) -> None:
    cid = _start(rt)
    record = _cgroup_record(rt, cid)
    with open(_limit_file(record, "memory", "memory.limit_in_bytes", "memory.max")) as handle:
        assert handle.read().strip() == str(64 << 20)
    with open(_limit_file(record, "pids", "pids.max", "pids.max")) as handle:
        assert handle.read().strip() == "40"
    if record["version"] == "v1":
        out = rt("exec", cid, "cat", "/proc/self/cgroup", check=True).stdout
        assert f"pids:/bundlebench/{cid}" in out or ":pids:/\n" in out
        pids_dir = record["paths"]["pids"]
        with open(os.path.join(pids_dir, "cgroup.procs")) as handle:
            procs = [int(p) for p in handle.read().split()]
        assert rt.state(cid)["pid"] in procs


def test_a_fork_loop_stops_at_the_pids_limit(rt) -> None:
    # dash gives up at the first failed fork; the cgroup counts the refusals.
    script = "i=0; while [ $i -lt 30 ]; do sleep 0.5 & i=$((i+1)); done; wait"
    config = _config(rt, ["sh", "-c", script])
    config["linux"]["resources"]["pids"] = {"limit": 10}
    cid = rt.new_id()
    result = rt("run", "--keep", "-b", str(rt.bundle(config=config)), cid)
    assert result.returncode != 0 and "fork" in result.stderr.lower(), result
    record = _cgroup_record(rt, cid)
    with open(_limit_file(record, "pids", "pids.events", "pids.events")) as handle:
        assert int(handle.read().split()[1]) > 0  # "max N": forks refused at the limit


def test_pause_resume_state_and_ps(rt) -> None:
    cid = _start(rt)
    rt("pause", cid, check=True)
    assert rt.state(cid)["status"] == "paused"
    again = rt("pause", cid)
    assert again.returncode == 1 and "paused" in again.stderr
    start = rt("start", cid)
    assert start.returncode == 1 and "paused" in start.stderr
    rt("resume", cid, check=True)
    assert rt.state(cid)["status"] == "running"
    pids = json.loads(rt("ps", "-f", "json", cid, check=True).stdout)
    assert rt.state(cid)["pid"] in pids and len(pids) == 3
    table = rt("ps", cid, check=True).stdout.splitlines()
    assert "PID" in table[0].split() and len(table) == 4
    assert sum(line.split()[7:] == ["sleep", "300"] for line in table) == 2


def test_delete_force_of_a_paused_container(rt) -> None:
    # A frozen task keeps its SIGKILL pending until thawed: delete -f must thaw it.
    cid = _start(rt)
    rt("exec", "-d", cid, "sleep", "301", check=True)
    rt("pause", cid, check=True)
    record = _cgroup_record(rt, cid)
    pids = json.loads(rt("ps", "-f", "json", cid, check=True).stdout)
    assert len(pids) == 4
    started = time.monotonic()
    rt("delete", "-f", cid, check=True)
    assert time.monotonic() - started < 3
    assert not (rt.root / cid).exists()
    assert all(not os.path.exists(f"/proc/{pid}") or _zombie(pid) for pid in pids)
    for directory in record.get("owned", []):
        assert not os.path.exists(directory), directory


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def test_pause_stops_progress_and_resume_continues(rt) -> None:
    cid = rt.new_id()
    # Appended, never rewritten: a freeze between a truncate and its write would leave
    # the file empty. Each line is one short write, so the last line is always whole.
    config = _config(rt, ["sh", "-c", "i=0; while true; do i=$((i+1)); echo $i >> /tmp/n; "
                                      "sleep 0.02; done"])
    config["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                             "options": ["size=1m"]})
    rt("run", "-d", "-b", str(rt.bundle(config=config)), cid, check=True)
    def last(text: str) -> int:
        return int((text.split() or ["0"])[-1])

    def count() -> int:
        return last(rt("exec", cid, "cat", "/tmp/n", check=True).stdout)
    time.sleep(0.3)
    rt("pause", cid, check=True)
    record = _cgroup_record(rt, cid)
    if record["version"] == "v1":
        path = os.path.join(record["paths"]["freezer"], "freezer.state")
        with open(path) as handle:
            assert handle.read().strip() == "FROZEN"
    rt("resume", cid, check=True)
    first = count()
    rt("pause", cid, check=True)
    # exec refuses a paused container; read the counter through the host instead.
    root = f"/proc/{rt.state(cid)['pid']}/root/tmp/n"
    with open(root) as handle:
        frozen = last(handle.read())
    time.sleep(0.3)
    with open(root) as handle:
        assert last(handle.read()) == frozen
    assert frozen >= first
    rt("resume", cid, check=True)
    time.sleep(0.3)
    assert count() > frozen


def test_events_stats_json(rt) -> None:
    cid = _start(rt)
    out = rt("events", "--stats", cid, check=True).stdout
    event = json.loads(out.splitlines()[0])
    assert event["type"] == "stats" and event["id"] == cid
    data = event["data"]
    assert data["cpu"]["usage"]["total"] > 0
    assert data["memory"]["usage"]["limit"] == 64 << 20
    assert data["pids"]["current"] == 3 and data["pids"]["limit"] == 40


def test_update_changes_a_live_limit(rt) -> None:
    cid = _start(rt)
    rt("update", "--pids-limit", "25", "--memory", "32m", cid, check=True)
    record = _cgroup_record(rt, cid)
    with open(_limit_file(record, "pids", "pids.max", "pids.max")) as handle:
        assert handle.read().strip() == "25"
    with open(_limit_file(record, "memory", "memory.limit_in_bytes", "memory.max")) as handle:
        assert handle.read().strip() == str(32 << 20)
    state = json.loads((rt.root / cid / "state.json").read_text())
    assert state["config"]["linux"]["resources"]["pids"]["limit"] == 25


def test_kill_all_and_sigkill_of_a_paused_container(rt) -> None:
    cid = _start(rt)
    rt("pause", cid, check=True)
    rt("kill", "--all", cid, "KILL", check=True)
    assert rt.wait_status(cid, "stopped")["status"] == "stopped"
    rt("delete", cid, check=True)
    assert not (rt.root / cid).exists()


def test_delete_removes_every_cgroup_dir(rt) -> None:
    cid = _start(rt)
    record = _cgroup_record(rt, cid)
    dirs = list(record["paths"].values()) if record["version"] == "v1" else [record["path"]]
    assert dirs and all(os.path.isdir(d) for d in dirs)
    rt("delete", "-f", cid, check=True)
    assert not [d for d in dirs if os.path.exists(d)]


def test_failed_create_leaves_no_cgroup(rt) -> None:
    config = _config(rt, ["/no/such/binary"])
    cid = rt.new_id()
    result = rt("create", "-b", str(rt.bundle(config=config)), cid)
    assert result.returncode == 1
    assert not (rt.root / cid).exists()
    leftovers = []
    for mount in ("/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"):
        path = os.path.join(mount, "bundlebench", cid)
        if os.path.exists(path):
            leftovers.append(path)
    assert not leftovers


def test_exec_joins_the_containers_cgroup(rt) -> None:
    cid = _start(rt)
    record = _cgroup_record(rt, cid)
    procs_dir = record["paths"]["pids"] if record["version"] == "v1" else record["path"]
    out = rt("exec", cid, "sh", "-c", "cat /proc/self/cgroup; echo $$ > /dev/null",
             check=True).stdout
    assert out
    with open(os.path.join(procs_dir, "cgroup.procs")) as handle:
        assert len(handle.read().split()) == 3  # the exec'd shell has gone again


def test_systemd_cgroup_flag_is_refused(rt) -> None:
    result = rt("--systemd-cgroup", "state", "nope")
    assert result.returncode == 1 and "--systemd-cgroup" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_features_report_cgroups(rt) -> None:
    doc = json.loads(rt("features", check=True).stdout)
    assert doc["linux"]["cgroup"]["v1"] is True and doc["linux"]["cgroup"]["systemd"] is False
    assert "cgroups" in doc["annotations"]["org.bundlebench.runtime.applied"]
