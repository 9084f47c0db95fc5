"""exec: a second process joins every namespace and the root of a running container."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from tests.integration.conftest import ROOT_ONLY
from tests.integration.test_setup import parse_ns_listing
from tests.integration.test_terminal import _read_until_exit

pytestmark = ROOT_ONLY


def _running(rt, args=None) -> tuple[str, int]:
    cid = rt.new_id()
    script = "echo marker > /dev/shm/marker; sleep 60"
    rt("run", "-d", "-b", str(rt.bundle(args or ["sh", "-c", script])), cid, check=True)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        result = rt("exec", cid, "cat", "/dev/shm/marker")
        if result.returncode == 0:
            break
        time.sleep(0.05)
    return cid, rt.state(cid)["pid"]


def test_exec_joins_namespaces_and_root(rt) -> None:
    cid, pid = _running(rt)
    result = rt("exec", cid, "ls", "-l", "/proc/self/ns")
    assert result.returncode == 0, result.stderr
    inside = parse_ns_listing(result.stdout)
    for name in ("pid", "net", "ipc", "uts", "mnt"):
        assert inside[name] == os.readlink(f"/proc/{pid}/ns/{name}"), name
    assert rt("exec", cid, "cat", "/dev/shm/marker", check=True).stdout == "marker\n"
    assert rt("exec", cid, "hostname", check=True).stdout == "bbtest\n"


def test_exec_exit_code_env_cwd_user(rt) -> None:
    cid, _ = _running(rt)
    assert rt("exec", cid, "sh", "-c", "exit 9").returncode == 9
    out = rt("exec", "-e", "FOO=bar", "-e", "PATH=/bin", "--cwd", "/dev", "-u", "1000:1001",
             cid, "sh", "-c", "echo $FOO $PATH; pwd; id -u; id -g", check=True).stdout.split()
    assert out == ["bar", "/bin", "/dev", "1000", "1001"]


def test_exec_process_json_and_detach(rt, tmp_path) -> None:
    cid, _ = _running(rt)
    process = {"args": ["sh", "-c", "echo from-json > /dev/shm/json; sleep 30"], "cwd": "/",
               "env": ["PATH=/bin"], "user": {"uid": 0, "gid": 0}, "terminal": False}
    path = tmp_path / "process.json"
    path.write_text(json.dumps(process))
    pid_file = tmp_path / "exec.pid"
    rt("exec", "-d", "--pid-file", str(pid_file), "-p", str(path), cid, check=True)
    exec_pid = int(pid_file.read_text())
    assert os.path.exists(f"/proc/{exec_pid}")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        result = rt("exec", cid, "cat", "/dev/shm/json")
        if result.returncode == 0:
            break
        time.sleep(0.05)
    assert result.stdout == "from-json\n"


def test_exec_errors(rt) -> None:
    cid, _ = _running(rt)
    missing = rt("exec", cid, "no-such-tool")
    assert missing.returncode != 0 and "no-such-tool" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
    outside = rt("exec", "--cwd", "/proc/self/fd/3", cid, "pwd")
    assert outside.returncode != 0
    rt("kill", cid, "KILL", check=True)
    rt.wait_status(cid, "stopped")
    stopped = rt("exec", cid, "true")
    assert stopped.returncode != 0 and "stopped" in stopped.stderr
    unknown = rt("exec", "nope-unknown", "true")
    assert unknown.returncode != 0 and "does not exist" in unknown.stderr


def test_exec_with_terminal(rt) -> None:
    cid, _ = _running(rt)
    master, slave = os.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "runtime", "--root", str(rt.root), "exec", "-t", cid, "sh", "-c",
         "tty; exit 3"], stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    try:
        out = _read_until_exit(master, proc)
        assert proc.wait(timeout=20) == 3
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(slave)
        os.close(master)
    assert b"/dev/pts/" in out


def test_exec_steps_are_traced(rt) -> None:
    cid, pid = _running(rt)
    rt("exec", cid, "true", check=True)
    lines = (rt.root / cid / "trace.jsonl").read_text().splitlines()
    events = [json.loads(line) for line in lines]
    assert any(e["step"] == "exec" and "setns(<mount ns" in e["syscall"] for e in events)
    assert any(e["syscall"].startswith("chroot(/proc/") for e in events)


def test_exec_into_no_pivot_container(rt) -> None:
    cid = rt.new_id()
    rt("run", "-d", "--no-pivot", "-b", str(rt.bundle(["sleep", "60"])), cid, check=True)
    out = rt("exec", cid, "sh", "-c", "ls /; hostname", check=True).stdout.split()
    assert "bin" in out and "etc" in out and out[-1] == "bbtest"


def test_exec_into_user_namespace(rt) -> None:
    config = rt.config(["sleep", "60"])
    config["linux"]["namespaces"].append({"type": "user"})
    config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    cid = rt.new_id()
    rt("run", "-d", "-b", str(rt.bundle(config=config)), cid, check=True)
    out = rt("exec", "-u", "1000", cid, "sh", "-c", "id -u; cat /proc/self/uid_map",
             check=True).stdout.split()
    assert out == ["1000", "0", "100000", "65536"]
    pid = rt("exec", "-d", cid, "sleep", "30").returncode
    assert pid == 0
