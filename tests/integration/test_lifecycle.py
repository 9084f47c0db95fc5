"""The lifecycle state machine of runtime.md, with every error case, from the CLI."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from tests.integration.conftest import ROOT_ONLY

pytestmark = ROOT_ONLY


def _gone(pid: int) -> bool:
    from runtime.state import proc_stat
    info = proc_stat(pid)
    return info is None or info[0] in ("Z", "X")


def test_run_returns_exit_code_and_deletes(rt) -> None:
    cid = rt.new_id()
    result = rt("run", "-b", str(rt.bundle(["sh", "-c", "echo out; echo err >&2; exit 7"])), cid)
    assert result.returncode == 7
    assert result.stdout == "out\n"
    assert result.stderr == "err\n"
    assert not (rt.root / cid).exists()


def test_run_killed_by_signal_is_128_plus_n(rt) -> None:
    import subprocess
    import sys
    cid = rt.new_id()
    command = [sys.executable, "-m", "runtime", "--root", str(rt.root), "run", "-b",
               str(rt.bundle(["sleep", "60"])), cid]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while rt("state", cid).returncode != 0 or rt.state(cid)["status"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert rt("kill", cid, "KILL").returncode == 0
        assert proc.wait(timeout=10) == 137
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not (rt.root / cid).exists()


def test_run_keep_leaves_stopped_container(rt) -> None:
    cid = rt.new_id()
    assert rt("run", "--keep", "-b", str(rt.bundle(["true"])), cid).returncode == 0
    assert rt.state(cid)["status"] == "stopped"
    assert rt.state(cid)["pid"] == 0
    assert rt("delete", cid).returncode == 0
    assert not (rt.root / cid).exists()


def test_create_start_kill_delete(rt) -> None:
    cid = rt.new_id()
    bundle = rt.bundle(["sleep", "60"])
    pid_file = bundle / "pid"
    assert rt("create", "-b", str(bundle), "--pid-file", str(pid_file), cid).returncode == 0
    state = rt.state(cid)
    assert state["status"] == "created"
    assert state["id"] == cid and state["bundle"] == str(bundle)
    assert state["rootfs"] == str(rt.rootfs)
    assert state["ociVersion"] == "1.3.0"
    assert int(pid_file.read_text()) == state["pid"] > 0
    assert set(state) >= {"ociVersion", "id", "pid", "status", "bundle", "rootfs", "created",
                          "owner"}
    # Wrong-state operations fail and change nothing.
    again = rt("create", "-b", str(bundle), cid)
    assert again.returncode != 0 and "already exists" in again.stderr
    refused = rt("delete", cid)
    assert refused.returncode != 0 and "created" in refused.stderr
    assert rt.state(cid)["status"] == "created"
    assert rt("start", cid).returncode == 0
    assert rt.state(cid)["status"] == "running"
    second = rt("start", cid)
    assert second.returncode != 0 and "running" in second.stderr
    refused = rt("delete", cid)
    assert refused.returncode != 0 and "running" in refused.stderr
    assert rt.state(cid)["status"] == "running"
    assert rt("kill", cid, "KILL").returncode == 0
    assert rt.wait_status(cid, "stopped")["status"] == "stopped"
    dead = rt("kill", cid)
    assert dead.returncode != 0 and "stopped" in dead.stderr
    stopped_start = rt("start", cid)
    assert stopped_start.returncode != 0
    assert rt("delete", cid).returncode == 0
    for command in (("state", cid), ("start", cid), ("kill", cid), ("delete", cid)):
        missing = rt(*command)
        assert missing.returncode != 0 and "does not exist" in missing.stderr


def test_kill_signal_forms_and_default_term(rt) -> None:
    # PID 1 of a pid namespace only receives signals it handles: trap TERM.
    loop = ["sh", "-c", "trap 'exit 3' TERM; while :; do sleep 0.05; done"]
    for signal in ("TERM", "SIGTERM", "15", None):
        cid = rt.new_id()
        rt("run", "-d", "-b", str(rt.bundle(loop)), cid, check=True)
        args = ("kill", cid) if signal is None else ("kill", cid, signal)
        assert rt(*args).returncode == 0
        assert rt.wait_status(cid, "stopped")["status"] == "stopped"
        rt("delete", cid, check=True)
    cid = rt.new_id()
    rt("run", "-d", "-b", str(rt.bundle(["sleep", "60"])), cid, check=True)
    bad = rt("kill", cid, "NOPE")
    assert bad.returncode != 0 and "NOPE" in bad.stderr
    assert rt.state(cid)["status"] == "running"
    assert rt("kill", cid, "0").returncode == 0  # runc's liveness probe: nothing is sent
    assert rt.state(cid)["status"] == "running"
    assert rt("kill", cid, "65").returncode != 0


def test_kill_all_reaches_every_process(rt) -> None:
    cid = rt.new_id()
    bundle = rt.bundle(["sh", "-c", "trap '' TERM; sleep 60 & sleep 61 & wait"])
    rt("run", "-d", "-b", str(bundle), cid, check=True)
    time.sleep(0.3)
    pid = rt.state(cid)["pid"]
    assert rt("kill", "--all", cid, "KILL").returncode == 0
    assert rt.wait_status(cid, "stopped")["status"] == "stopped"
    assert _gone(pid)


def test_delete_force_kills_running(rt) -> None:
    cid = rt.new_id()
    rt("run", "-d", "-b", str(rt.bundle(["sleep", "60"])), cid, check=True)
    pid = rt.state(cid)["pid"]
    assert rt("delete", "-f", cid).returncode == 0
    assert not (rt.root / cid).exists()
    time.sleep(0.1)
    assert _gone(pid)
    assert rt("delete", "-f", cid).returncode == 0  # missing + force: like runc, success


def test_init_death_reports_stopped(rt) -> None:
    cid = rt.new_id()
    rt("run", "-d", "-b", str(rt.bundle(["sh", "-c", "sleep 0.2"])), cid, check=True)
    assert rt.wait_status(cid, "stopped")["status"] == "stopped"


def test_list_formats(rt) -> None:
    cid = rt.new_id()
    rt("create", "-b", str(rt.bundle(["sleep", "60"])), cid, check=True)
    table = rt("list", check=True).stdout.splitlines()
    assert table[0].split() == ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]
    assert any(line.split()[0] == cid and line.split()[2] == "created" for line in table[1:])
    listed = json.loads(rt("list", "-f", "json", check=True).stdout)
    assert cid in [item["id"] for item in listed]
    assert cid in rt("list", "-q", check=True).stdout.split()


def test_a_half_created_container_is_listed_stated_and_deleted(rt) -> None:
    # What a create leaves when it is killed before state.json: its dir (0700), maybe the
    # cgroup it claimed in advance. While a create holds the dir's lock, it is creating.
    import fcntl

    cid = rt.new_id()
    rt.root.mkdir(parents=True, exist_ok=True)
    directory = rt.root / cid
    directory.mkdir(mode=0o700)
    cgroup = Path("/sys/fs/cgroup/pids/bundlebench") / cid
    if not Path("/sys/fs/cgroup/pids/cgroup.procs").exists():
        cgroup = Path("/sys/fs/cgroup/bundlebench") / cid  # cgroup v2
    cgroup.mkdir(parents=True)
    (directory / "cgroup.json").write_text(json.dumps(
        {"version": "v1" if "pids" in cgroup.parts else "v2", "path": str(cgroup),
         "paths": {"pids": str(cgroup)}, "owned": [str(cgroup)]}))
    held = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert rt.state(cid)["status"] == "creating"
        listed = {item["id"]: item for item in json.loads(rt("list", "-f", "json").stdout)}
        assert listed[cid]["status"] == "creating"
        again = rt("create", "-b", str(rt.bundle(["true"])), cid)
        assert again.returncode != 0 and "already exists" in again.stderr
    finally:
        os.close(held)  # the create "dies"
    assert rt.state(cid)["status"] == "stopped"
    rt("delete", cid, check=True)
    assert not directory.exists() and not cgroup.exists()
    gone = rt("state", cid)
    assert gone.returncode != 0 and "does not exist" in gone.stderr
    # The runtime's own dot-dirs in its root are never listed as containers.
    (rt.root / ".seccomp-cache").mkdir(exist_ok=True)
    assert ".seccomp-cache" not in rt("list", "-q", check=True).stdout.split()
    assert rt("state", ".seccomp-cache").returncode != 0


def test_features_document(rt) -> None:
    doc = json.loads(rt("features", check=True).stdout)
    assert doc["ociVersionMin"] == "1.0.0" and doc["ociVersionMax"] == "1.3.0"
    assert "rbind" in doc["mountOptions"] and "rslave" in doc["mountOptions"]
    assert set(doc["linux"]["namespaces"]) == {"pid", "network", "mount", "ipc", "uts", "user",
                                               "cgroup", "time"}
    assert doc["linux"]["seccomp"]["enabled"] is True


def test_version_and_usage(rt) -> None:
    out = rt("--version", check=True).stdout
    assert "spec: 1.3.0" in out
    bad = rt("frobnicate")
    assert bad.returncode == 3 and "unknown command" in bad.stderr  # runc's code


def test_log_json_records_errors(rt, tmp_path) -> None:
    log = tmp_path / "log.json"
    result = rt("--log", str(log), "--log-format", "json", "state", "nope-missing")
    assert result.returncode != 0
    entry = json.loads(log.read_text().splitlines()[-1])
    assert entry["level"] == "error" and "does not exist" in entry["msg"]


def test_spec_writes_default_and_refuses_overwrite(rt, tmp_path) -> None:
    assert rt("spec", "-b", str(tmp_path)).returncode == 0
    text = (tmp_path / "config.json").read_text()
    assert text.startswith("{\n\t\"ociVersion\"")
    again = rt("spec", "-b", str(tmp_path))
    assert again.returncode != 0 and "exists" in again.stderr
    rootless_dir = tmp_path / "rl"
    rootless_dir.mkdir()
    assert rt("spec", "--rootless", "-b", str(rootless_dir)).returncode == 0
    config = json.loads((rootless_dir / "config.json").read_text())
    assert {"type": "user"} in config["linux"]["namespaces"]


def test_trace_records_each_step(rt) -> None:
    cid = rt.new_id()
    rt("create", "-b", str(rt.bundle(["true"])), cid, check=True)
    lines = (rt.root / cid / "trace.jsonl").read_text().splitlines()
    events = [json.loads(line) for line in lines]
    assert all(set(e) == {"step", "syscall", "result", "us", "pid", "t"} for e in events)
    steps = [e["step"] for e in events]
    for step in ("namespace", "rootfs", "mount", "device", "pivot_root", "hostname", "rlimit"):
        assert step in steps, step
    assert any("unshare(" in e["syscall"] for e in events)
    assert any(e["syscall"].startswith("pivot_root(") for e in events)
    assert all(e["result"] in ("ok", "skipped") for e in events)
    assert "masked" in steps and "readonly" in steps
    skipped = [e for e in events if e["step"] == "not_applied"]
    assert not skipped or "linux.maskedPaths" not in skipped[0]["syscall"]
