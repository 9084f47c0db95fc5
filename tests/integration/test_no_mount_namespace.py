"""A config without a mount namespace runs as runc runs it: in the host's mount namespace,
its mounts made under the rootfs, the init chrooted into it (no pivot_root); delete, a
failed create and `delete -f` after a SIGKILL'd create take every such mount away."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.integration.conftest import ROOT_ONLY

pytestmark = ROOT_ONLY


def _without_mount_ns(config: dict) -> dict:
    config["linux"]["namespaces"] = [ns for ns in config["linux"]["namespaces"]
                                     if ns["type"] != "mount"]
    return config


def _mounts_under(rootfs: Path) -> list[str]:
    with open("/proc/self/mountinfo") as handle:
        targets = [line.split()[4] for line in handle]
    return [t for t in targets if t == str(rootfs) or t.startswith(f"{rootfs}/")]


@pytest.fixture
def own_rootfs(demo_rootfs: Path, tmp_path: Path) -> Path:
    """A private copy: these mounts are the host's, so no other test may share the dir."""
    rootfs = tmp_path / "rootfs"
    shutil.copytree(demo_rootfs, rootfs, symlinks=True)
    (rootfs / "etc" / "only-in-rootfs").write_text("rootfs\n")
    return rootfs


def test_the_process_runs_chrooted_in_the_host_s_mount_namespace(rt, own_rootfs) -> None:
    config = _without_mount_ns(rt.config(["sleep", "60"]))
    config["root"] = {"path": str(own_rootfs), "readonly": True}
    bundle = rt.bundle(config=config)
    cid = rt.new_id()
    rt("create", "-b", str(bundle), cid, check=True)
    pid = rt.state(cid)["pid"]
    # Its mount namespace is ours; its root is the rootfs, not the host's /.
    assert os.readlink(f"/proc/{pid}/ns/mnt") == os.readlink("/proc/self/ns/mnt")
    assert os.path.realpath(f"/proc/{pid}/root") == str(own_rootfs)
    mounted = _mounts_under(own_rootfs)
    assert str(own_rootfs) in mounted and f"{own_rootfs}/proc" in mounted, mounted
    masked = [path for path in config["linux"]["maskedPaths"] if os.path.exists(path)]
    assert masked and all(f"{own_rootfs}{path}" in mounted for path in masked), mounted
    rt("start", cid, check=True)
    seen = rt("exec", cid, "sh", "-c",
              "cat /etc/only-in-rootfs; (: > /x) 2>&1; cat /proc/1/comm", check=True).stdout
    lines = seen.splitlines()
    assert lines[0] == "rootfs"  # the rootfs's file, from inside
    assert "Read-only file system" in seen  # the read-only root holds on the host's bind
    assert lines[-1] == "sleep"  # its own pid namespace: pid 1 is the init
    steps = [json.loads(line).get("step") for line in
             (rt.root / cid / "trace.jsonl").read_text().splitlines() if line.strip()]
    assert "chroot" in steps and "pivot_root" not in steps, steps
    rt("delete", "-f", cid, check=True)
    assert _mounts_under(own_rootfs) == []


def test_a_failed_create_takes_its_host_mounts_away(rt, own_rootfs) -> None:
    config = _without_mount_ns(rt.config(["true"]))
    config["root"] = {"path": str(own_rootfs)}
    config["mounts"].append({"destination": "/mnt/missing", "type": "bind",
                             "source": str(own_rootfs / "etc"), "options": ["bind"]})
    config["process"]["cwd"] = "/proc/no/such/dir"  # fails after the mounts are made
    bundle = rt.bundle(config=config)
    cid = rt.new_id()
    result = rt("create", "-b", str(bundle), cid)
    assert result.returncode != 0
    assert not (rt.root / cid).exists()
    assert _mounts_under(own_rootfs) == []


def test_delete_force_after_a_killed_create_takes_the_mounts_away(rt, own_rootfs) -> None:
    config = _without_mount_ns(rt.config(["sleep", "30"]))
    config["root"] = {"path": str(own_rootfs)}
    bundle = rt.bundle(config=config)
    for delay in (0.05, 0.1, 0.15, 0.2, 0.3):
        cid = rt.new_id()
        proc = subprocess.Popen([rt.interpreter, "-m", "runtime", "--root", str(rt.root),
                                 "create", "-b", str(bundle), cid], env=rt.env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if (rt.root / cid).exists():
            assert rt("delete", "-f", cid).returncode == 0
        assert _mounts_under(own_rootfs) == [], delay


@pytest.mark.parametrize(("change", "words"), [
    (lambda c: c["linux"].__setitem__("rootfsPropagation", "shared"),
     "rootfsPropagation needs a mount namespace"),
    (lambda c: c["linux"]["namespaces"].append({"type": "user"}) or c["linux"].update(
        uidMappings=[{"containerID": 0, "hostID": 100000, "size": 65536}],
        gidMappings=[{"containerID": 0, "hostID": 100000, "size": 65536}]),
     "needs a mount namespace too"),
    (lambda c: c.__setitem__("root", {"path": "/"}), "root.path is the host's /"),
])
def test_what_cannot_run_without_one_is_refused_by_validate_and_create(
        rt, change, words: str) -> None:
    from runtime.rules import check

    config = _without_mount_ns(rt.config(["true"]))
    change(config)
    bundle = rt.bundle(config=config)
    said = [p.message for p in check(config, str(bundle)) if p.severity == "error"]
    assert any(words in message for message in said), said
    cid = rt.new_id()
    result = rt("create", "-b", str(bundle), cid)
    assert result.returncode == 1 and words in result.stderr, result.stderr
    assert not (rt.root / cid).exists()
