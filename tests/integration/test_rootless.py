"""Rootless: the CLI as a plain user (uid 65534) with a user namespace mapping only itself."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

import runtime

REPO = Path(runtime.__file__).resolve().parents[1]
NOBODY = 65534


def _user_python() -> list[str] | None:
    """A python the plain user can run, with the runtime importable."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        return None
    for python in (sys.executable, "/usr/bin/python3"):
        if not python or not os.path.exists(python):
            continue
        command = ["setpriv", "--reuid", str(NOBODY), "--regid", str(NOBODY), "--clear-groups",
                   "env", f"PYTHONPATH={REPO}", python, "-S", "-c", "import runtime.cli"]
        try:
            if subprocess.run(command, capture_output=True, timeout=30).returncode == 0:
                return command[:-4] + [python, "-S", "-m", "runtime"]
        except (OSError, subprocess.TimeoutExpired):
            continue
    return None


def _userns_works() -> bool:
    if not shutil.which("unshare"):
        return False
    command = ["setpriv", "--reuid", str(NOBODY), "--regid", str(NOBODY), "--clear-groups",
               "unshare", "--user", "--map-root-user", "true"]
    return subprocess.run(command, capture_output=True, timeout=30).returncode == 0


USER_PYTHON = _user_python()
pytestmark = pytest.mark.skipif(
    USER_PYTHON is None or not _userns_works(),
    reason="needs root to become uid 65534 (setpriv), a python that user can run, and "
           "unprivileged user namespaces")


@pytest.fixture
def rootless(session_dir, demo_rootfs):
    state = session_dir / "rootless-state"
    state.mkdir(exist_ok=True)
    os.chown(state, NOBODY, NOBODY)
    os.chmod(state, 0o700)
    for parent in (demo_rootfs.parent, session_dir):
        os.chmod(parent, 0o755)
    bundles = session_dir / f"rl-{uuid.uuid4().hex[:8]}"
    bundles.mkdir(mode=0o755)
    ids: list[str] = []

    def run(args: list[str], cid: str | None = None, detach: bool = False,
            **config_changes) -> subprocess.CompletedProcess:
        from runtime.defaults import default_config
        config = default_config(rootless=True, args=args)
        config["process"]["terminal"] = False
        config["root"]["path"] = str(demo_rootfs)
        for key in ("uidMappings", "gidMappings"):
            config["linux"][key][0]["hostID"] = NOBODY
        config.update(config_changes)
        bundle = bundles / uuid.uuid4().hex[:8]
        bundle.mkdir(mode=0o755)
        (bundle / "config.json").write_text(json.dumps(config))
        cid = cid or f"rl-{uuid.uuid4().hex[:8]}"
        ids.append(cid)
        return cli("run", *(["-d"] if detach else []), "-b", str(bundle), cid)

    def cli(*args: str) -> subprocess.CompletedProcess:
        import tempfile
        command = [*USER_PYTHON, "--root", str(state), *args]
        # Files, not pipes: a detached container keeps its caller's stdio open.
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            proc = subprocess.run(command, stdout=out, stderr=err, timeout=60,
                                  stdin=subprocess.DEVNULL)
            out.seek(0)
            err.seek(0)
            return subprocess.CompletedProcess(command, proc.returncode, out.read().decode(),
                                               err.read().decode())

    run.cli = cli
    yield run
    for cid in ids:
        cli("delete", "-f", cid)
    shutil.rmtree(bundles, ignore_errors=True)
    leftover = os.listdir(state)
    shutil.rmtree(state, ignore_errors=True)
    assert not leftover, f"rootless state dirs left: {leftover}"


def test_rootless_run_maps_only_the_caller(rootless) -> None:
    result = rootless(["sh", "-c", "id -u; cat /proc/self/uid_map /proc/self/gid_map; hostname"])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split("\n")
    assert lines[0] == "0"
    assert lines[1].split() == ["0", str(NOBODY), "1"]
    assert lines[2].split() == ["0", str(NOBODY), "1"]
    assert lines[3] == "runc"


def test_rootless_setgroups_denied_and_readonly(rootless) -> None:
    result = rootless(["sh", "-c", "cat /proc/self/setgroups; touch /x 2>/dev/null || echo RO;"
                       " ls -l /dev/null"])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "deny" and lines[1] == "RO"
    # GNU ls prints "1, 3", busybox "1,   3".
    assert lines[2].startswith("crw-rw-rw-") and re.search(r"\b1,\s+3\b", lines[2])


def test_rootless_cgroupfs_is_read_only(rootless) -> None:
    """CVE-2023-25809: no writable /sys/fs/cgroup without a private cgroup namespace."""
    result = rootless(["sh", "-c", "mkdir /sys/fs/cgroup/escape 2>&1; touch /sys/fs/cgroup/x "
                       "2>&1; true"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Read-only file system") == 2


def test_rootless_exit_code_and_errors(rootless) -> None:
    assert rootless(["sh", "-c", "exit 4"]).returncode == 4
    missing = rootless(["no-such-binary"])
    assert missing.returncode != 0 and "no-such-binary" in missing.stderr



def test_rootless_detached_and_exec(rootless) -> None:
    cid = f"rl-{uuid.uuid4().hex[:8]}"
    result = rootless(["sleep", "60"], cid, detach=True)
    assert result.returncode == 0, result.stderr
    state = json.loads(rootless.cli("state", cid).stdout)
    assert state["status"] == "running"
    out = rootless.cli("exec", cid, "sh", "-c", "id -u; cat /proc/self/uid_map")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0", "0", str(NOBODY), "1"]
    assert rootless.cli("kill", cid, "KILL").returncode == 0
    assert rootless.cli("delete", "-f", cid).returncode == 0
