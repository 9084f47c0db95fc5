"""runtime.cgroups against the host's real cgroup hierarchy (root only).

Every test works in cgroups named bundlebench-test-<pid>-<random> that it creates; the
`cgroup_name` fixture asserts afterwards that none of them is left in any hierarchy, and
kills only the processes the test started.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import pytest

pytestmark = [pytest.mark.root,
              pytest.mark.skipif(os.geteuid() != 0,
                                 reason="needs root: creates cgroups in the host hierarchy")]

from runtime.cgroups import freeze, manager, stats  # noqa: E402
from runtime.cgroups.detect import HYBRID, NONE, V2, detect  # noqa: E402

HOST = detect()
if HOST.mode == NONE:
    pytestmark.append(pytest.mark.skip(reason="this host mounts no cgroup hierarchy"))


def _all_mountpoints() -> list[str]:
    points = {m.mountpoint for m in HOST.v1.values()}
    if HOST.unified is not None:
        points.add(HOST.unified.mountpoint)
    return sorted(points)


@pytest.fixture
def cgroup_name() -> Iterator[str]:
    """An absolute cgroupsPath of our own; afterwards it must be gone everywhere."""
    name = f"/bundlebench-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    yield name
    leftovers = [m + name for m in _all_mountpoints() if os.path.exists(m + name)]
    for path in leftovers:  # best effort, then fail loudly
        for dirpath, _dirs, _files in os.walk(path, topdown=False):
            try:  # noqa: SIM105
                os.rmdir(dirpath)
            except OSError:
                pass
    assert not leftovers, f"test cgroups leaked: {leftovers}"


class Child:
    """A process we start, stopped on stdin until the test lets it go."""

    def __init__(self, code: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def go(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"\n")
        self.proc.stdin.flush()

    def output(self, timeout: float = 30) -> str:
        out, _ = self.proc.communicate(timeout=timeout)
        return out.decode()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


WAIT = "import sys; sys.stdin.readline()\n"


def _setup(name: str, resources: dict | None = None, devices: list | None = None):
    linux: dict = {"cgroupsPath": name, "resources": dict(resources or {})}
    if devices is not None:
        linux["resources"]["devices"] = devices
    cg = manager.setup({"linux": linux}, "t", host=HOST)
    assert cg is not None
    return cg


def _read(path: str) -> str:
    with open(path) as handle:
        return handle.read().strip()


def _proc_cgroup(pid: int) -> str:
    with open(f"/proc/{pid}/cgroup") as handle:
        return handle.read()


def test_create_join_limits_stats_remove(cgroup_name: str) -> None:
    resources = {"memory": {"limit": 64 << 20, "reservation": 32 << 20},
                 "cpu": {"shares": 512, "quota": 20000, "period": 100000},
                 "pids": {"limit": 50}}
    cg = _setup(cgroup_name, resources)
    # v1 does not move a task's memory charge with it: let it allocate after joining.
    child = Child(WAIT + "x = bytearray(8 << 20)\nprint('ok', flush=True)\n" + WAIT)
    try:
        cg.join(child.pid)
        assert cgroup_name in _proc_cgroup(child.pid)
        child.go()
        assert child.proc.stdout is not None and child.proc.stdout.readline() == b"ok\n"
        assert child.pid in cg.pids()
        if cg.version == "v1":
            assert _read(cg.paths["memory"] + "/memory.limit_in_bytes") == \
                str(64 << 20)
            assert _read(cg.paths["pids"] + "/pids.max") == "50"
            assert _read(cg.paths["cpu"] + "/cpu.cfs_quota_us") == "20000"
        else:
            assert _read(cg.path + "/memory.max") == str(64 << 20)
            assert _read(cg.path + "/pids.max") == "50"
            assert _read(cg.path + "/cpu.max") == "20000 100000"
        data = stats.stats(cg)
        assert data["pids"]["current"] >= 1 and data["pids"]["limit"] == 50
        assert data["memory"]["usage"]["usage"] >= 8 << 20
        assert data["memory"]["usage"]["limit"] == 64 << 20
        assert "usage" in data["cpu"] and "throttling" in data["cpu"]
        # update changes a live limit
        cg.apply({"pids": {"limit": 60}, "memory": {"limit": 80 << 20,
                                                    "checkBeforeUpdate": True}},
                 update=True)
        assert stats.stats(cg)["pids"]["limit"] == 60
    finally:
        child.stop()
        cg.destroy()
    assert not cg.exists()


def test_cpu_quota_shows_in_throttling(cgroup_name: str) -> None:
    cg = _setup(cgroup_name, {"cpu": {"quota": 5000, "period": 10000}})
    child = Child(WAIT + "import time\nend = time.time() + 0.6\nwhile time.time() < end: pass\n")
    try:
        cg.join(child.pid)
        child.go()
        child.output()
        throttling = stats.stats(cg)["cpu"]["throttling"]
        assert throttling.get("throttledPeriods", 0) > 0, throttling
    finally:
        child.stop()
        cg.destroy()


def test_memory_hog_is_oom_killed_and_counted(cgroup_name: str) -> None:
    limit = 32 << 20
    cg = _setup(cgroup_name, {"memory": {"limit": limit, "swap": limit}})
    notifier = None
    try:
        notifier = stats.OomNotifier(cg)
    except (OSError, ValueError):
        notifier = None
    hog = Child(WAIT + "chunks = []\nwhile True: chunks.append(bytearray(1 << 20))\n")
    try:
        cg.join(hog.pid)
        before = stats.oom_kill_count(cg)
        hog.go()
        hog.proc.wait(timeout=60)
        assert hog.proc.returncode == -9
        assert stats.oom_kill_count(cg) > before
        if notifier is not None:
            ready, _, _ = select.select([notifier], [], [], 5)
            assert ready, "no OOM notification arrived"
    finally:
        if notifier is not None:
            notifier.close()
        hog.stop()
        cg.destroy()


def test_fork_loop_stops_at_pids_max(cgroup_name: str) -> None:
    cg = _setup(cgroup_name, {"pids": {"limit": 5}})
    code = WAIT + (
        "import os, time\nok = 0\nkids = []\n"
        "for _ in range(20):\n"
        "    try:\n        pid = os.fork()\n    except OSError:\n        break\n"
        "    if pid == 0:\n        time.sleep(5)\n        os._exit(0)\n"
        "    kids.append(pid)\n    ok += 1\n"
        "print(ok, flush=True)\n"
        "for k in kids: os.kill(k, 9); os.waitpid(k, 0)\n")
    child = Child(code)
    try:
        cg.join(child.pid)
        child.go()
        assert int(child.output()) == 4  # the parent is the fifth task
    finally:
        child.stop()
        cg.destroy()


def _try_open(paths: list[str]) -> str:
    return WAIT + (
        "import os\nout = []\n"
        f"for p in {paths!r}:\n"
        "    try:\n        os.close(os.open(p, os.O_RDONLY | os.O_NOCTTY)); out.append('ok')\n"
        "    except OSError as e:\n        out.append(str(e.errno))\n"
        "print(' '.join(out), flush=True)\n")


@pytest.mark.skipif(HOST.mode != V2 and "devices" not in HOST.v1,
                    reason="no devices controller and no cgroup v2")
def test_denied_device_cannot_be_opened(cgroup_name: str) -> None:
    cg = _setup(cgroup_name, devices=[{"allow": False, "access": "rwm"}])
    child = Child(_try_open(["/dev/null", "/dev/kmsg"]))
    try:
        cg.join(child.pid)
        child.go()
        assert child.output().split() == ["ok", "1"]  # EPERM for /dev/kmsg
    finally:
        child.stop()
        cg.destroy()


def _counter_code(path: str) -> str:
    return WAIT + (f"import time\nn = 0\nwhile True:\n    n += 1\n"
                   f"    open({path!r}, 'w').write(str(n))\n    time.sleep(0.005)\n")


def _read_counter(path: str) -> int:
    try:
        return int(open(path).read() or 0)
    except (OSError, ValueError):
        return 0


def test_pause_freezes_and_resume_continues(cgroup_name: str, tmp_path) -> None:
    cg = _setup(cgroup_name)
    counter = str(tmp_path / "n")
    child = Child(_counter_code(counter))
    try:
        cg.join(child.pid)
        child.go()
        deadline = time.time() + 10
        while _read_counter(counter) < 3 and time.time() < deadline:
            time.sleep(0.01)
        freeze.freeze(cg)
        assert freeze.is_paused(cg)
        time.sleep(0.05)
        frozen_at = _read_counter(counter)
        time.sleep(0.3)
        assert _read_counter(counter) == frozen_at
        freeze.thaw(cg)
        assert not freeze.is_paused(cg)
        deadline = time.time() + 10
        while _read_counter(counter) <= frozen_at and time.time() < deadline:
            time.sleep(0.01)
        assert _read_counter(counter) > frozen_at
    finally:
        if freeze.is_paused(cg):
            freeze.thaw(cg)
        child.stop()
        cg.destroy()


def test_remove_is_bounded_and_reports_live_tasks(cgroup_name: str) -> None:
    from runtime.cgroups import base
    cg = _setup(cgroup_name)
    child = Child(WAIT)
    try:
        cg.join(child.pid)
        os.makedirs(cg.dirs()[0] + "/sub")
        started = time.monotonic()
        error = base.remove_tree(cg.dirs()[0], timeout=0.2)
        assert error and str(child.pid) in error
        assert time.monotonic() - started < 2
        assert not os.path.exists(cg.dirs()[0] + "/sub")  # children go first
    finally:
        child.stop()
        cg.destroy()  # the task has left: removal now succeeds


def test_save_load_roundtrip(cgroup_name: str, tmp_path) -> None:
    cg = _setup(cgroup_name)
    manager.save(cg, str(tmp_path))
    again = manager.load(str(tmp_path))
    assert again is not None and again.dirs() == cg.dirs()
    again.destroy()
    assert not cg.exists()


@pytest.mark.skipif(HOST.mode != HYBRID, reason="the unified-mount checks are for hybrid hosts")
def test_v2_manager_on_the_hybrid_unified_mount(cgroup_name: str, tmp_path) -> None:
    """v2 logic on the real kernel: eBPF device filter, cgroup.freeze, removal."""
    from runtime.cgroups.devices import effective_rules
    from runtime.cgroups.v2 import V2Manager
    assert HOST.unified is not None
    mount = HOST.unified.mountpoint
    cg = V2Manager(mount + cgroup_name, mount)
    cg.create({})
    counter = str(tmp_path / "n")
    opener = Child(_try_open(["/dev/zero", "/dev/kmsg"]))
    busy = Child(_counter_code(counter))
    try:
        cg.apply({}, effective_rules({"linux": {"resources": {"devices": [
            {"allow": False, "access": "rwm"}]}}}))
        cg.join(opener.pid)
        cg.join(busy.pid)
        opener.go()
        assert opener.output().split() == ["ok", "1"]
        busy.go()
        deadline = time.time() + 10
        while _read_counter(counter) < 2 and time.time() < deadline:
            time.sleep(0.01)
        freeze.freeze(cg)
        assert freeze.is_paused(cg)
        at = _read_counter(counter)
        time.sleep(0.2)
        assert _read_counter(counter) == at
        freeze.thaw(cg)
        assert not freeze.is_paused(cg)
    finally:
        opener.stop()
        busy.stop()
        cg.destroy()
    assert not os.path.exists(mount + cgroup_name)


def test_commands_on_a_live_process(cgroup_name: str, tmp_path, capsys) -> None:
    """pause/resume/ps/events/update handlers with a real cgroup and a recorded state."""
    import io
    import json

    from runtime.cli import cgroups as commands
    from runtime.state import ContainerState, StateStore, proc_stat
    from runtime.status import container_status
    cg = _setup(cgroup_name, {"pids": {"limit": 30}})
    counter = str(tmp_path / "n")
    child = Child(_counter_code(counter))
    store = StateStore(str(tmp_path / "state"))
    try:
        cg.join(child.pid)
        child.go()
        store.create_dir("live")
        info = proc_stat(child.pid)
        assert info is not None
        state = ContainerState(id="live", bundle=str(tmp_path), rootfs=str(tmp_path),
                               pid=child.pid, starttime=info[1],
                               config={"linux": {"cgroupsPath": cgroup_name,
                                                 "resources": {"pids": {"limit": 30}}}})
        store.save(state)
        manager.save(cg, store.path("live"))
        commands.pause(store, {}, ["live"])
        assert container_status(store, state) == "paused"
        commands.resume(store, {}, ["live"])
        assert container_status(store, state) == "running"
        commands.ps(store, {"format": "json"}, ["live"])
        assert child.pid in json.loads(capsys.readouterr().out)
        commands.ps(store, {}, ["live"])
        lines = capsys.readouterr().out.splitlines()
        assert "PID" in lines[0].split() and any(str(child.pid) in line for line in lines[1:])
        out = io.StringIO()
        commands.events(store, {"stats": True}, ["live"], out=out)
        data = json.loads(out.getvalue())["data"]
        assert data["pids"]["limit"] == 30
        commands.update(store, {"pids_limit": "40", "memory": "128m"}, ["live"])
        assert stats.stats(cg)["pids"]["limit"] == 40
        assert stats.stats(cg)["memory"]["usage"]["limit"] == 128 << 20
        assert store.load("live").config["linux"]["resources"]["pids"] == {"limit": 40}
    finally:
        if freeze.is_paused(cg):
            freeze.thaw(cg)
        child.stop()
        cg.destroy()
        store.remove_dir("live")


def test_teardown_kills_leftovers_even_when_paused(cgroup_name: str, tmp_path) -> None:
    cg = _setup(cgroup_name)
    child = Child(WAIT)
    try:
        cg.join(child.pid)
        manager.save(cg, str(tmp_path))
        freeze.freeze(cg)
        manager.teardown(str(tmp_path))
        assert child.proc.wait(timeout=10) == -9
        assert not cg.exists()
    finally:
        child.stop()
        if cg.exists():
            cg.destroy()


def test_child_joins_before_unsharing_its_cgroup_namespace(cgroup_name: str) -> None:
    """The create contract: the parent sets the cgroup up, the forked child joins with
    join(0) first, so a cgroup namespace it then unshares is rooted at the container's
    cgroup (/proc/self/cgroup reads '/')."""
    from runtime.linux import libc
    from runtime.linux.constants import NAMESPACES
    cg = _setup(cgroup_name, {"pids": {"limit": 10}})
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(read_end)
            cg.join(0)
            libc.unshare(NAMESPACES["cgroup"][0])
            with open("/proc/self/cgroup") as handle:
                os.write(write_end, handle.read().encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    try:
        with os.fdopen(read_end) as handle:
            text = handle.read()
        _, status = os.waitpid(pid, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
        lines = parse_lines(text)
        assert lines["pids"] == "/" and lines["memory"] == "/"
    finally:
        cg.destroy()


def parse_lines(text: str) -> dict[str, str]:
    from runtime.cgroups.detect import parse_proc_cgroup
    return parse_proc_cgroup(text)


def test_events_reports_a_real_oom(cgroup_name: str, tmp_path) -> None:
    import io
    import json
    import threading

    from runtime.cli import cgroups as commands
    from runtime.state import ContainerState, StateStore, proc_stat
    limit = 32 << 20
    cg = _setup(cgroup_name, {"memory": {"limit": limit, "swap": limit}})
    init = Child(WAIT)
    hog = Child(WAIT + "chunks = []\nwhile True: chunks.append(bytearray(1 << 20))\n")
    store = StateStore(str(tmp_path / "state"))
    out = io.StringIO()
    try:
        cg.join(init.pid)
        cg.join(hog.pid)
        store.create_dir("oom")
        info = proc_stat(init.pid)
        assert info is not None
        state = ContainerState(id="oom", bundle=str(tmp_path), rootfs=str(tmp_path),
                               pid=init.pid, starttime=info[1])
        store.save(state)
        manager.save(cg, store.path("oom"))
        thread = threading.Thread(target=commands.events, args=(
            store, {"interval": "300ms"}, ["oom"]), kwargs={"out": out, "max_rounds": 8})
        thread.start()
        time.sleep(0.2)
        hog.go()
        hog.proc.wait(timeout=60)
        thread.join(timeout=30)
        kinds = [json.loads(line)["type"] for line in out.getvalue().splitlines()]
        assert "oom" in kinds and "stats" in kinds
    finally:
        hog.stop()
        init.stop()
        cg.destroy()
        store.remove_dir("oom")


def test_block_io_throttle_on_the_root_disk(cgroup_name: str) -> None:
    dev = os.stat("/").st_dev
    major, minor = os.major(dev), os.minor(dev)
    if not os.path.exists(f"/sys/dev/block/{major}:{minor}"):
        pytest.skip("/ is not on a block device")
    if HOST.mode != V2 and "blkio" not in HOST.v1:
        pytest.skip("no blkio controller")
    throttle = {"throttleReadBpsDevice": [{"major": major, "minor": minor,
                                           "rate": 1 << 20}],
                "throttleWriteIOPSDevice": [{"major": major, "minor": minor, "rate": 100}]}
    cg = _setup(cgroup_name, {"blockIO": throttle})
    try:
        if cg.version == "v1":
            assert _read(cg.paths["blkio"] + "/blkio.throttle.read_bps_device") == \
                f"{major}:{minor} {1 << 20}"
            assert _read(cg.paths["blkio"] + "/blkio.throttle.write_iops_device") == \
                f"{major}:{minor} 100"
        else:
            line = _read(cg.path + "/io.max")
            assert f"rbps={1 << 20}" in line and "wiops=100" in line
        assert isinstance(stats.stats(cg)["blkio"], dict)
    finally:
        cg.destroy()


@pytest.mark.skipif("pids" not in HOST.v1 and HOST.mode != V2, reason="no pids controller")
def test_joining_an_existing_cgroup_never_tears_it_down(cgroup_name: str, tmp_path) -> None:
    """A cgroupsPath naming a cgroup that already exists (here one this test made, with
    a process in it) is joined; delete leaves that cgroup and its processes alone."""
    existing = (HOST.unified.mountpoint if HOST.mode == V2 else HOST.v1["pids"].mountpoint) \
        + cgroup_name
    os.mkdir(existing)
    bystander = Child(WAIT)
    cg = None
    try:
        with open(existing + "/cgroup.procs", "w") as handle:
            handle.write(str(bystander.pid))
        cg = _setup(cgroup_name)
        assert not cg.owns(existing)
        manager.save(cg, str(tmp_path))
        manager.teardown(str(tmp_path))
        assert bystander.proc.poll() is None
        assert os.path.isdir(existing)
        assert not [d for d in cg.dirs() if d != existing and os.path.exists(d)]
    finally:
        bystander.stop()
        if cg is not None:
            for directory in cg.dirs():
                if os.path.isdir(directory):
                    os.rmdir(directory)
        if os.path.isdir(existing):
            os.rmdir(existing)
