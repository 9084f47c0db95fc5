"""The v1 and v2 managers, pause/resume and stats against a fake cgroupfs in a tmp dir.

The fake kernel: a mkdir under a hierarchy creates that hierarchy's interface files (as
cgroupfs does), and rmdir removes a dir with its files. Everything else is plain files,
so a test reads back exactly what the manager wrote.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from runtime.cgroups import base, files, freeze, manager, saved, stats
from runtime.cgroups.detect import detect
from runtime.cgroups.v1 import V1Manager
from runtime.cgroups.v2 import V2Manager
from runtime.errors import RuntimeFailure

V1_FILES: dict[str, dict[str, str]] = {
    "cpu": {"cpu.shares": "1024", "cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "-1",
            "cpu.cfs_burst_us": "0", "cpu.rt_period_us": "1000000", "cpu.rt_runtime_us": "0",
            "cpu.idle": "0", "cpu.stat": "nr_periods 7\nnr_throttled 3\nthrottled_time 900\n"},
    "cpuacct": {"cpuacct.usage": "5000", "cpuacct.usage_percpu": "3000 2000 \n",
                "cpuacct.usage_percpu_sys": "1000 0", "cpuacct.usage_percpu_user": "2000 2000",
                "cpuacct.stat": "user 3\nsystem 1\n"},
    "cpuset": {"cpuset.cpus": "", "cpuset.mems": "", "cpuset.cpu_exclusive": "0"},
    "memory": {"memory.limit_in_bytes": "9223372036854771712",
               "memory.memsw.limit_in_bytes": "9223372036854771712",
               "memory.soft_limit_in_bytes": "9223372036854771712",
               "memory.kmem.tcp.limit_in_bytes": "9223372036854771712",
               "memory.swappiness": "60", "memory.use_hierarchy": "1",
               "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
               "memory.usage_in_bytes": "4096", "memory.max_usage_in_bytes": "8192",
               "memory.failcnt": "0", "memory.stat": "cache 100\nrss 200\n",
               "cgroup.event_control": ""},
    "devices": {"devices.allow": "", "devices.deny": ""},
    "freezer": {"freezer.state": "THAWED"},
    "pids": {"pids.max": "max", "pids.current": "1"},
    "blkio": {"blkio.bfq.weight": "100", "blkio.throttle.read_bps_device": "",
              "blkio.throttle.write_bps_device": "", "blkio.throttle.read_iops_device": "",
              "blkio.throttle.write_iops_device": "",
              "blkio.throttle.io_service_bytes_recursive": "8:0 Read 512\n8:0 Write 0\n"
                                                           "Total 512\n"},
    "systemd": {},
}
V2_FILES: dict[str, str] = {
    "cgroup.controllers": "cpu io memory pids hugetlb cpuset", "cgroup.subtree_control": "",
    "cgroup.freeze": "0", "cgroup.events": "populated 0\nfrozen 0\n",
    "memory.max": "max", "memory.swap.max": "max", "memory.high": "max", "memory.low": "0",
    "memory.current": "4096", "memory.swap.current": "0", "memory.peak": "8192",
    "memory.events": "low 0\nhigh 0\nmax 1\noom 2\noom_kill 1\n",
    "memory.stat": "file 300\nanon 400\n",
    "cpu.weight": "100", "cpu.max": "max 100000", "cpu.max.burst": "0", "cpu.idle": "0",
    "cpu.stat": "usage_usec 10\nuser_usec 6\nsystem_usec 4\nnr_periods 2\n"
                "nr_throttled 1\nthrottled_usec 5\n",
    "cpuset.cpus": "", "cpuset.mems": "", "cpuset.cpus.effective": "0-1",
    "cpuset.mems.effective": "0",
    "pids.max": "max", "pids.current": "3", "io.weight": "default 100", "io.max": "",
    "io.stat": "8:0 rbytes=1024 wbytes=2048 rios=1 wios=2 dbytes=0 dios=0\n",
    "hugetlb.2MB.max": "max", "hugetlb.2MB.current": "0", "hugetlb.2MB.events": "max 0\n",
}
V1_MOUNTS = {"cpu": "cpu", "cpuacct": "cpuacct", "cpuset": "cpuset", "memory": "memory",
             "devices": "devices", "freezer": "freezer", "pids": "pids", "blkio": "blkio",
             "systemd": "name=systemd"}


class FakeKernel:
    """A cgroupfs lookalike rooted at a tmp dir; records every write."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch, v2: bool) -> None:
        self.root = root
        self.v2 = v2
        self.writes: list[tuple[str, str]] = []
        cg = root / "sys/fs/cgroup"
        if v2:
            cg.mkdir(parents=True)
            self._populate(cg)
            (cg / "cgroup.subtree_control").write_text("")
            self.mountinfo = "25 20 0:22 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
        else:
            lines = []
            for name, option in V1_MOUNTS.items():
                (cg / name).mkdir(parents=True)
                self._populate(cg / name)
                lines.append(f"3{len(lines)} 20 0:3{len(lines)} / /sys/fs/cgroup/{name} rw "
                             f"- cgroup cgroup rw,{option}")
            (cg / "cpuset/cpuset.cpus").write_text("0-1\n")
            (cg / "cpuset/cpuset.mems").write_text("0\n")
            (cg / "unified").mkdir()
            self._populate(cg / "unified", force_v2=True)
            lines.append("41 20 0:41 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw")
            self.mountinfo = "\n".join(lines) + "\n"
        real_write = files._write_raw

        def write(path: str, text: str) -> None:
            self.writes.append((os.path.relpath(path, root), text))
            if os.path.basename(path) in ("cgroup.procs", "devices.allow", "devices.deny",
                                          "net_prio.ifpriomap", "io.max"):
                with open(path, "a") as handle:
                    handle.write(text + "\n")
                return
            real_write(path, text)
            with open(path, "w") as handle:  # replace, as a kernel file reads back
                handle.write(text)

        def mkdir(_self: files.Writer, path: str) -> None:
            os.mkdir(path)
            self._populate(Path(path))

        def rmdir(path: str) -> None:
            if any(p.is_dir() for p in Path(path).iterdir()):
                raise OSError(39, "Directory not empty", path)
            shutil.rmtree(path)

        monkeypatch.setattr(files, "_write_raw", write)
        monkeypatch.setattr(files.Writer, "mkdir", mkdir)
        monkeypatch.setattr(base, "_rmdir", rmdir)
        monkeypatch.setattr(saved, "_rmdir", rmdir)

    def _populate(self, directory: Path, force_v2: bool = False) -> None:
        if self.v2 or force_v2 or "unified" in directory.parts:
            contents = dict(V2_FILES) if self.v2 else {"cgroup.freeze": "0",
                                                       "cgroup.events": "frozen 0\n"}
        else:
            top = directory.relative_to(self.root / "sys/fs/cgroup").parts[0]
            contents = dict(V1_FILES[top])
        contents.setdefault("cgroup.procs", "")
        for name, text in contents.items():
            (directory / name).write_text(text)

    def host(self, own: str = "0::/\n"):
        return detect(self.mountinfo, own, fs_root=str(self.root))

    def read(self, rel: str) -> str:
        return (self.root / rel).read_text().strip()

    def wrote(self, name: str) -> list[str]:
        return [text for path, text in self.writes if path.endswith("/" + name)]


@pytest.fixture
def v1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeKernel:
    return FakeKernel(tmp_path, monkeypatch, v2=False)


@pytest.fixture
def v2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeKernel:
    return FakeKernel(tmp_path, monkeypatch, v2=True)


def _config(resources: dict | None = None, path: str | None = "/bb/c1") -> dict:
    linux: dict = {"resources": resources or {}}
    if path is not None:
        linux["cgroupsPath"] = path
    return {"linux": linux}


# -- v1 ---------------------------------------------------------------------------------------

def test_v1_setup_creates_everywhere_and_copies_cpuset(v1: FakeKernel) -> None:
    cg = manager.setup(_config(), "c1", host=v1.host())
    assert isinstance(cg, V1Manager)
    for name in V1_MOUNTS:
        assert (v1.root / f"sys/fs/cgroup/{name}/bb/c1").is_dir()
    assert (v1.root / "sys/fs/cgroup/unified/bb/c1").is_dir()
    assert v1.read("sys/fs/cgroup/cpuset/bb/cpuset.cpus") == "0-1"
    assert v1.read("sys/fs/cgroup/cpuset/bb/c1/cpuset.mems") == "0"
    # Devices: deny all first, then the defaults.
    deny = v1.read("sys/fs/cgroup/devices/bb/c1/devices.deny").splitlines()
    allow = v1.read("sys/fs/cgroup/devices/bb/c1/devices.allow").splitlines()
    assert deny == ["a"] and "c 1:3 rwm" in allow and "c 136:* rwm" in allow
    first_device_write = next(t for p, t in v1.writes if "devices." in p)
    assert first_device_write == "a"


def test_v1_resources_written_with_runc_file_names(v1: FakeKernel) -> None:
    resources = {
        "memory": {"limit": 64 << 20, "reservation": 32 << 20, "swap": 128 << 20,
                   "swappiness": 10, "disableOOMKiller": True, "kernelTCP": 1 << 20},
        "cpu": {"shares": 512, "quota": 50000, "period": 100000, "burst": 1000,
                "realtimeRuntime": 950, "realtimePeriod": 1000, "cpus": "0", "mems": "0",
                "idle": 0},
        "pids": {"limit": 32},
        "blockIO": {"weight": 300, "throttleReadBpsDevice": [
            {"major": 8, "minor": 0, "rate": 1048576}]},
    }
    cg = manager.setup(_config(resources), "c1", host=v1.host())
    assert cg is not None
    d = "sys/fs/cgroup/{}/bb/c1/{}"
    assert v1.read(d.format("memory", "memory.limit_in_bytes")) == str(64 << 20)
    assert v1.read(d.format("memory", "memory.memsw.limit_in_bytes")) == str(128 << 20)
    assert v1.read(d.format("memory", "memory.soft_limit_in_bytes")) == str(32 << 20)
    assert v1.read(d.format("memory", "memory.swappiness")) == "10"
    assert v1.read(d.format("memory", "memory.oom_control")) == "1"
    assert v1.read(d.format("memory", "memory.kmem.tcp.limit_in_bytes")) == str(1 << 20)
    assert v1.read(d.format("cpu", "cpu.shares")) == "512"
    assert v1.read(d.format("cpu", "cpu.cfs_quota_us")) == "50000"
    assert v1.read(d.format("cpu", "cpu.cfs_period_us")) == "100000"
    assert v1.read(d.format("cpu", "cpu.cfs_burst_us")) == "1000"
    assert v1.read(d.format("cpu", "cpu.rt_runtime_us")) == "950"
    assert v1.read(d.format("cpuset", "cpuset.cpus")) == "0"
    assert v1.read(d.format("pids", "pids.max")) == "32"
    assert v1.read(d.format("blkio", "blkio.bfq.weight")) == "300"
    assert v1.read(d.format("blkio", "blkio.throttle.read_bps_device")) == "8:0 1048576"
    # memsw may never be below the memory limit: from "unlimited", memory goes first.
    order = [p for p, _ in v1.writes if "memory." in p and "limit_in_bytes" in p]
    assert order.index(next(p for p in order if "memsw" in p)) > \
        order.index(next(p for p in order if p.endswith("/memory.limit_in_bytes")))
    # Realtime limits are written before any task could join: during create.
    rt = next(i for i, (p, _) in enumerate(v1.writes) if p.endswith("rt_runtime_us"))
    devices_first = next(i for i, (p, _) in enumerate(v1.writes) if "devices." in p)
    assert rt < devices_first


def test_v1_refuses_unified_and_cleans_up(v1: FakeKernel) -> None:
    with pytest.raises(RuntimeFailure, match="unified needs cgroup v2"):
        manager.setup(_config({"unified": {"memory.high": "1"}}), "c1", host=v1.host())
    assert not (v1.root / "sys/fs/cgroup/memory/bb/c1").exists()


def test_v1_missing_controller_is_a_clear_error(v1: FakeKernel) -> None:
    with pytest.raises(RuntimeFailure, match=r"hugepageLimits needs the hugetlb cgroup "):
        manager.setup(_config({"hugepageLimits": [{"pageSize": "2MB", "limit": 1}]}), "c1",
                      host=v1.host())
    with pytest.raises(RuntimeFailure, match=r"network.classID needs the net_cls"):
        manager.setup(_config({"network": {"classID": 5}}), "c1", host=v1.host())
    assert not (v1.root / "sys/fs/cgroup/pids/bb/c1").exists()


def test_v1_swap_below_limit_and_swappiness_range(v1: FakeKernel) -> None:
    with pytest.raises(RuntimeFailure, match="must be at least"):
        manager.setup(_config({"memory": {"limit": 100, "swap": 50}}), "c1", host=v1.host())
    with pytest.raises(RuntimeFailure, match="swappiness 200 is outside 0-100"):
        manager.setup(_config({"memory": {"swappiness": 200}}), "c1", host=v1.host())


def test_v1_update_check_before_update(v1: FakeKernel) -> None:
    cg = manager.setup(_config({"memory": {"limit": 1000, "swap": 2000}}), "c1",
                       host=v1.host())
    assert cg is not None
    v1.writes.clear()
    cg.apply({"memory": {"limit": 5000, "swap": 9000}}, update=True)
    # Growing above the current limit: memsw first, or the kernel refuses memory.
    assert [os.path.basename(p) for p, _ in v1.writes] == [
        "memory.memsw.limit_in_bytes", "memory.limit_in_bytes"]
    (v1.root / "sys/fs/cgroup/memory/bb/c1/memory.usage_in_bytes").write_text("1000000")
    with pytest.raises(RuntimeFailure, match="below the current usage"):
        cg.apply({"memory": {"limit": 4096, "checkBeforeUpdate": True}}, update=True)
    cg.apply({"memory": {"limit": 4096}}, update=True)
    assert v1.read("sys/fs/cgroup/memory/bb/c1/memory.limit_in_bytes") == "4096"


def test_v1_shares_clamped_by_kernel_is_reported(v1: FakeKernel, monkeypatch) -> None:
    cg = manager.setup(_config(), "c1", host=v1.host())
    assert cg is not None
    original = files._write_raw

    def clamp(path: str, text: str) -> None:
        original(path, "262144" if path.endswith("cpu.shares") else text)
    monkeypatch.setattr(files, "_write_raw", clamp)
    with pytest.raises(RuntimeFailure, match="maximum this kernel allows is 262144"):
        cg.apply({"cpu": {"shares": 10**6}})


def test_v1_join_save_load_destroy(v1: FakeKernel, tmp_path: Path) -> None:
    cg = manager.setup(_config(path=None), "c1", host=v1.host())
    assert cg is not None and cg.default_parent
    cg.join(4242)
    procs = v1.read("sys/fs/cgroup/pids/bundlebench/c1/cgroup.procs")
    assert procs == "4242"
    assert v1.read("sys/fs/cgroup/unified/bundlebench/c1/cgroup.procs") == "4242"
    state = tmp_path / "state"
    state.mkdir()
    manager.save(cg, str(state))
    again = manager.load(str(state))
    assert again is not None and again.to_dict() == cg.to_dict()
    assert json.loads((state / "cgroup.json").read_text())["version"] == "v1"
    assert again.pids() == [4242]
    (v1.root / "sys/fs/cgroup/pids/bundlebench/c1/cgroup.procs").write_text("")
    (v1.root / "sys/fs/cgroup/pids/bundlebench/c1/sub").mkdir()
    again.destroy()
    for name in V1_MOUNTS:
        # The container's dir goes, sub-cgroups first; the shared parent stays for the next.
        assert not (v1.root / f"sys/fs/cgroup/{name}/bundlebench/c1").exists()
        assert (v1.root / f"sys/fs/cgroup/{name}/bundlebench").is_dir()
    assert manager.load(str(tmp_path / "nothing")) is None


def _paused_both_ways(cg: manager.Manager, state_dir: Path) -> bool:
    """is_paused of the manager, asserted equal to what start/state/delete read from the
    saved cgroup.json without a manager."""
    state_dir.mkdir(exist_ok=True)
    manager.save(cg, str(state_dir))
    live = freeze.is_paused(cg)
    assert saved.is_paused(str(state_dir)) == live
    return live


def test_delete_fast_path_removes_only_an_empty_owned_cgroup(v1: FakeKernel, tmp_path: Path,
                                                             monkeypatch) -> None:
    cg = manager.setup(_config(path=None), "c1", host=v1.host())
    assert cg is not None
    cg.join(4242)
    state = tmp_path / "state"
    state.mkdir()
    manager.save(cg, str(state))

    def kernel_rmdir(path: str) -> None:  # as cgroupfs: a cgroup with tasks is busy
        procs = Path(path) / "cgroup.procs"
        if procs.exists() and procs.read_text().strip():
            raise OSError(16, "Device or resource busy", path)
        shutil.rmtree(path)

    monkeypatch.setattr(saved, "_rmdir", kernel_rmdir)
    assert not saved.remove_if_empty(str(state))  # busy: delete falls back to teardown
    assert (v1.root / "sys/fs/cgroup/freezer/bundlebench/c1").is_dir()
    for procs in v1.root.glob("sys/fs/cgroup/*/bundlebench/c1/cgroup.procs"):
        procs.write_text("")
    assert saved.remove_if_empty(str(state))
    for name in V1_MOUNTS:
        assert not (v1.root / f"sys/fs/cgroup/{name}/bundlebench/c1").exists()
        assert (v1.root / f"sys/fs/cgroup/{name}/bundlebench").is_dir()
    assert saved.remove_if_empty(str(state))  # gone already: fine
    assert saved.remove_if_empty(str(tmp_path / "no-cgroup"))
    record = json.loads((state / "cgroup.json").read_text())
    del record["owned"]  # a record from before the owned list: the manager decides
    (state / "cgroup.json").write_text(json.dumps(record))
    assert not saved.remove_if_empty(str(state))


def test_delete_fast_path_leaves_a_joined_cgroup_alone(v1: FakeKernel, tmp_path: Path) -> None:
    (v1.root / "sys/fs/cgroup/pids/theirs").mkdir(parents=True)
    cg = manager.setup(_config(path="/theirs"), "c1", host=v1.host())
    assert cg is not None
    state = tmp_path / "state"
    state.mkdir()
    manager.save(cg, str(state))
    assert (v1.root / "sys/fs/cgroup/freezer/theirs").is_dir()
    assert saved.remove_if_empty(str(state))
    assert (v1.root / "sys/fs/cgroup/pids/theirs").is_dir()  # not ours: not removed
    assert not (v1.root / "sys/fs/cgroup/freezer/theirs").exists()  # made by us: removed


def test_v1_pause_resume_and_state(v1: FakeKernel, tmp_path: Path) -> None:
    cg = manager.setup(_config(), "c1", host=v1.host())
    assert cg is not None and not _paused_both_ways(cg, tmp_path / "s")
    freeze.freeze(cg)
    assert v1.read("sys/fs/cgroup/freezer/bb/c1/freezer.state") == "FROZEN"
    assert _paused_both_ways(cg, tmp_path / "s")
    freeze.thaw(cg)
    assert not _paused_both_ways(cg, tmp_path / "s")
    assert not saved.is_paused(str(tmp_path / "no-cgroup"))
    (tmp_path / "s" / "cgroup.json").write_text('{"version": "v1", "paths": 7}')
    with pytest.raises(RuntimeFailure, match="cgroup.json is corrupt"):
        saved.is_paused(str(tmp_path / "s"))


def test_v1_hybrid_without_freezer_uses_unified(v1: FakeKernel, tmp_path: Path) -> None:
    cg = manager.setup(_config(), "c1", host=v1.host())
    assert cg is not None
    del cg.paths["freezer"]
    (v1.root / "sys/fs/cgroup/unified/bb/c1/cgroup.events").write_text("frozen 1\n")
    assert not _paused_both_ways(cg, tmp_path / "s")
    freeze.freeze(cg)
    assert v1.read("sys/fs/cgroup/unified/bb/c1/cgroup.freeze") == "1"
    assert _paused_both_ways(cg, tmp_path / "s")


def test_v1_stats_shape(v1: FakeKernel) -> None:
    cg = manager.setup(_config(), "c1", host=v1.host())
    data = stats.stats(cg, fs_root=str(v1.root))
    assert data["cpu"]["usage"]["total"] == 5000
    assert data["cpu"]["usage"]["percpu"] == [3000, 2000]
    assert data["cpu"]["usage"]["user"] == 3 * 10**7
    assert data["cpu"]["usage"]["kernel"] == 10**7
    assert data["cpu"]["throttling"] == {"periods": 7, "throttledPeriods": 3,
                                         "throttledTime": 900}
    assert data["memory"]["usage"]["usage"] == 4096
    assert data["memory"]["cache"] == 100 and data["memory"]["raw"]["rss"] == 200
    assert data["pids"] == {"current": 1}
    assert data["blkio"]["ioServiceBytesRecursive"] == [
        {"major": 8, "op": "Read", "value": 512}, {"major": 8, "op": "Write"}]
    assert data["cpuset"]["cpus"] == [0, 1]
    assert data["hugetlb"] == {} and data["intel_rdt"] == {}
    assert stats.oom_kill_count(cg) == 2 and not stats.under_oom(cg)
    json.dumps(data)


# -- v2 ---------------------------------------------------------------------------------------

def test_v2_setup_converts_and_enables_controllers(v2: FakeKernel, monkeypatch) -> None:
    from runtime.cgroups import ebpf
    loaded: list = []
    monkeypatch.setattr(ebpf, "apply_device_filter",
                        lambda d, rules, tracer=None: loaded.append((d, rules)))
    monkeypatch.setattr(ebpf, "can_attach", lambda: True)
    resources = {
        "memory": {"limit": 100 << 20, "swap": 300 << 20, "reservation": 50 << 20},
        "cpu": {"shares": 1024, "quota": 20000, "period": 100000, "burst": 500,
                "cpus": "0-1", "mems": "0", "idle": 1},
        "pids": {"limit": -1},
        "blockIO": {"weight": 500, "weightDevice": [{"major": 8, "minor": 0, "weight": 10}],
                    "throttleWriteIOPSDevice": [{"major": 8, "minor": 0, "rate": 100}]},
        "hugepageLimits": [{"pageSize": "2MB", "limit": 4 << 20}],
        "unified": {"memory.high": "90000000"},
        "devices": [{"allow": False, "access": "rwm"}],
    }
    cg = manager.setup(_config(resources, path="/machine/c1"), "c1", host=v2.host())
    assert isinstance(cg, V2Manager)
    d = "sys/fs/cgroup/machine/c1/"
    assert v2.read(d + "memory.max") == str(100 << 20)
    assert v2.read(d + "memory.swap.max") == str(200 << 20)
    assert v2.read(d + "memory.low") == str(50 << 20)
    assert v2.read(d + "cpu.weight") == "39"
    assert v2.read(d + "cpu.max") == "20000 100000"
    assert v2.read(d + "cpu.max.burst") == "500"
    assert v2.read(d + "cpu.idle") == "1"
    assert v2.read(d + "cpuset.cpus") == "0-1"
    assert v2.read(d + "pids.max") == "max"
    assert v2.read(d + "io.weight").splitlines()[-1] == "8:0 1"
    assert "8:0 wiops=100" in v2.read(d + "io.max")
    assert v2.read(d + "hugetlb.2MB.max") == str(4 << 20)
    assert v2.read(d + "memory.high") == "90000000"
    enabled = [t for p, t in v2.writes if p.endswith("cgroup.subtree_control")]
    assert "+memory" in enabled and "+cpu" in enabled and "+io" in enabled
    assert "+hugetlb" in enabled and "+cpuset" in enabled and "+pids" in enabled
    assert loaded and loaded[0][0].endswith("machine/c1")
    assert loaded[0][1][0].is_all and not loaded[0][1][0].allow


def test_v2_refuses_what_it_cannot_do(v2: FakeKernel) -> None:
    host = v2.host()
    with pytest.raises(RuntimeFailure, match="realtime.*not supported on cgroup v2"):
        manager.setup(_config({"cpu": {"realtimeRuntime": 5}}), "c1", host=host)
    with pytest.raises(RuntimeFailure, match="leafWeight has no cgroup v2 equivalent"):
        manager.setup(_config({"blockIO": {"leafWeight": 20}}), "c1", host=host)
    with pytest.raises(RuntimeFailure, match=r"unified\['../x'\]"):
        manager.setup(_config({"unified": {"../x": "1"}}), "c1", host=host)
    with pytest.raises(RuntimeFailure, match="has no file 'memory.nope'"):
        manager.setup(_config({"unified": {"memory.nope": "1"}}), "c1", host=host)
    assert not (v2.root / "sys/fs/cgroup/bb/c1").exists()


def test_v2_controller_missing_from_parent(v2: FakeKernel) -> None:
    (v2.root / "sys/fs/cgroup/cgroup.controllers").write_text("cpu memory")
    with pytest.raises(RuntimeFailure, match=r"pids needs the pids controller"):
        manager.setup(_config({"pids": {"limit": 5}}), "c1", host=v2.host())


def test_v2_warnings_for_v1_only_fields(v2: FakeKernel, monkeypatch) -> None:
    from runtime.cgroups import ebpf
    monkeypatch.setattr(ebpf, "can_attach", lambda: False)
    cg = manager.setup(_config({"memory": {"swappiness": 0, "disableOOMKiller": True},
                                "network": {"classID": 3}}), "c1", host=v2.host())
    assert cg is not None
    text = " ".join(cg.warnings)
    assert "swappiness" in text and "disableOOMKiller" in text and "net_cls" in text
    assert "device access is not restricted" in text


def test_v2_check_before_update(v2: FakeKernel, monkeypatch) -> None:
    from runtime.cgroups import ebpf
    monkeypatch.setattr(ebpf, "can_attach", lambda: False)
    cg = manager.setup(_config(), "c1", host=v2.host())
    assert cg is not None
    with pytest.raises(RuntimeFailure, match="below the current usage 4096"):
        cg.apply({"memory": {"limit": 1000, "checkBeforeUpdate": True}}, update=True)
    cg.apply({"memory": {"limit": 1 << 20, "swap": -1}, "pids": {"limit": 7}}, update=True)
    assert v2.read("sys/fs/cgroup/bb/c1/memory.max") == str(1 << 20)
    assert v2.read("sys/fs/cgroup/bb/c1/memory.swap.max") == "max"
    assert v2.read("sys/fs/cgroup/bb/c1/pids.max") == "7"


def test_v2_freeze_waits_for_frozen_event(v2: FakeKernel, monkeypatch, tmp_path: Path
                                          ) -> None:
    from runtime.cgroups import ebpf
    monkeypatch.setattr(ebpf, "can_attach", lambda: False)
    cg = manager.setup(_config(), "c1", host=v2.host())
    assert cg is not None
    (v2.root / "sys/fs/cgroup/bb/c1/cgroup.events").write_text("populated 1\nfrozen 1\n")
    assert not _paused_both_ways(cg, tmp_path / "s")
    freeze.freeze(cg)
    assert v2.read("sys/fs/cgroup/bb/c1/cgroup.freeze") == "1"
    assert _paused_both_ways(cg, tmp_path / "s")
    with pytest.raises(RuntimeFailure, match="did not thaw"):
        freeze.thaw(cg, timeout=0.05)  # the fake kernel never reports frozen 0
    (v2.root / "sys/fs/cgroup/bb/c1/cgroup.events").write_text("populated 1\nfrozen 0\n")
    freeze.thaw(cg)
    assert not freeze.is_paused(cg)


def test_v2_stats_shape(v2: FakeKernel, monkeypatch, tmp_path: Path) -> None:
    from runtime.cgroups import ebpf
    monkeypatch.setattr(ebpf, "can_attach", lambda: False)
    (tmp_path / "sys/kernel/mm/hugepages/hugepages-2048kB").mkdir(parents=True)
    cg = manager.setup(_config(), "c1", host=v2.host())
    data = stats.stats(cg, fs_root=str(tmp_path))
    assert data["cpu"]["usage"] == {"total": 10000, "kernel": 4000, "user": 6000}
    assert data["cpu"]["throttling"] == {"periods": 2, "throttledPeriods": 1,
                                         "throttledTime": 5000}
    assert data["memory"]["usage"]["usage"] == 4096
    assert data["memory"]["usage"]["limit"] == 2**64 - 1
    assert data["memory"]["usage"]["failcnt"] == 1
    assert data["memory"]["cache"] == 300
    assert data["pids"] == {"current": 3}
    assert data["blkio"]["ioServiceBytesRecursive"][0] == {"major": 8, "op": "Read",
                                                           "value": 1024}
    assert data["cpuset"]["cpus"] == [0, 1]
    assert data["hugetlb"] == {"2MB": {"failcnt": 0}}
    assert stats.oom_count(cg) == 2 and stats.oom_kill_count(cg) == 1


def test_v2_relative_path_under_parent_of_own(v2: FakeKernel, monkeypatch) -> None:
    from runtime.cgroups import ebpf
    monkeypatch.setattr(ebpf, "can_attach", lambda: False)
    (v2.root / "sys/fs/cgroup/user.slice").mkdir()
    cg = manager.setup(_config(path=None), "c9", host=v2.host("0::/user.slice/s.scope\n"))
    assert isinstance(cg, V2Manager)
    assert cg.path == str(v2.root / "sys/fs/cgroup/user.slice/bundlebench/c9")
    cg.destroy()
    assert not (v2.root / "sys/fs/cgroup/user.slice/bundlebench/c9").exists()
    assert (v2.root / "sys/fs/cgroup/user.slice/bundlebench").is_dir()  # shared, it stays


def test_rootless_plan_skips_undelegated(v1: FakeKernel, monkeypatch) -> None:
    mine = str(v1.root / "sys/fs/cgroup/memory")
    monkeypatch.setattr("runtime.cgroups.rootless._writable",
                        lambda p: p == mine or p == mine + "/cgroup.procs")
    cg = manager.plan(_config(), "c1", rootless=True, host=v1.host())
    assert isinstance(cg, V1Manager)
    assert list(cg.paths) == ["memory"] and cg.unified is None
    assert any("not delegated" in w for w in cg.warnings)
    with pytest.raises(RuntimeFailure, match="linux.resources.pids needs the pids cgroup"):
        manager.plan(_config({"pids": {"limit": 3}}), "c1", rootless=True, host=v1.host())
    monkeypatch.setattr("runtime.cgroups.rootless._writable", lambda p: False)
    assert manager.plan(_config(), "c1", rootless=True, host=v1.host()) is None


def test_no_cgroups_host() -> None:
    host = detect("", "")
    assert manager.plan(_config(), "c1", host=host) is None
    with pytest.raises(RuntimeFailure, match="mounts no cgroup hierarchy"):
        manager.plan(_config({"pids": {"limit": 3}}), "c1", host=host)


def test_writer_traces_each_write(v2: FakeKernel, monkeypatch) -> None:
    from runtime.cgroups import ebpf
    monkeypatch.setattr(ebpf, "can_attach", lambda: False)
    events: list[str] = []

    class Tracer:
        def call(self, step, syscall, func, *args):
            events.append(f"{step} {syscall}")
            return func(*args)
    manager.setup(_config({"pids": {"limit": 9}}), "c1", host=v2.host(), tracer=Tracer())
    assert any("pids.max, '9')" in e for e in events)


def test_device_rules_policy(v1: FakeKernel, monkeypatch) -> None:
    from runtime.cgroups import ebpf
    explicit = _config({"devices": [{"allow": False, "access": "rwm"}]})
    cg = manager.plan(explicit, "c1", host=v1.host())
    assert cg is not None and manager.device_rules(explicit, cg)
    del cg.paths["devices"]
    assert manager.device_rules(explicit, cg)  # apply() will name the missing controller
    assert manager.device_rules(_config(), cg) is None
    assert "not restricted" in cg.warnings[-1]
    cg.rootless = True
    assert manager.device_rules(explicit, cg) is None
    assert "rootless" in cg.warnings[-1]
    monkeypatch.setattr(ebpf, "can_attach", lambda: False)
    v2cg = V2Manager("/nonexistent/c1", "/nonexistent")
    assert manager.device_rules(explicit, v2cg)
    assert manager.device_rules(_config(), v2cg) is None


def test_v1_without_swap_accounting(v1: FakeKernel) -> None:
    cg = manager.plan(_config(), "c1", host=v1.host())
    assert isinstance(cg, V1Manager)
    cg.create({})
    os.unlink(v1.root / "sys/fs/cgroup/memory/bb/c1/memory.memsw.limit_in_bytes")
    assert cg.apply({"memory": {"limit": -1}}) == []  # implicit unlimited swap: silent
    warnings = cg.apply({"memory": {"limit": 100, "swap": 200}})
    assert any("no swap accounting" in w for w in warnings)
    assert v1.read("sys/fs/cgroup/memory/bb/c1/memory.limit_in_bytes") == "100"


def test_joined_cgroup_is_not_torn_down(v1: FakeKernel, tmp_path: Path, monkeypatch) -> None:
    # Someone else's cgroup, with a process in it.
    theirs = v1.root / "sys/fs/cgroup/pids/shared"
    theirs.mkdir()
    v1._populate(theirs)
    (theirs / "cgroup.procs").write_text("777\n")
    cg = manager.setup(_config(path="/shared"), "c1", host=v1.host())
    assert cg is not None and cg.owned is not None
    assert str(theirs) not in cg.owned
    assert str(v1.root / "sys/fs/cgroup/memory/shared") in cg.owned
    state = tmp_path / "st"
    state.mkdir()
    manager.save(cg, str(state))
    killed: list[int] = []
    monkeypatch.setattr(freeze, "signal_all", lambda m, s: killed.append(s) or [])
    manager.teardown(str(state))
    assert killed == []
    assert theirs.is_dir()
    assert not (v1.root / "sys/fs/cgroup/memory/shared").exists()


def test_partial_create_failure_leaves_nothing(v1: FakeKernel, monkeypatch) -> None:
    real_mkdir = files.Writer.mkdir

    def mkdir(self: files.Writer, path: str) -> None:
        if "/pids/" in path:
            raise PermissionError(13, "Permission denied", path)
        real_mkdir(self, path)
    monkeypatch.setattr(files.Writer, "mkdir", mkdir)
    with pytest.raises(RuntimeFailure, match="cannot create cgroup .*pids/bb"):
        manager.setup(_config(), "c1", host=v1.host())
    leftovers = [p for p in (v1.root / "sys/fs/cgroup").glob("*/bb")]
    assert leftovers == []


def test_kill_all_prefers_cgroup_kill(v2: FakeKernel, monkeypatch) -> None:
    from runtime.cgroups import ebpf
    monkeypatch.setattr(ebpf, "can_attach", lambda: False)
    cg = manager.setup(_config(), "c1", host=v2.host())
    assert cg is not None
    signalled: list[int] = []
    monkeypatch.setattr(freeze, "signal_all", lambda m, s: signalled.append(s) or [])
    freeze.kill_all(cg)
    assert signalled == [9]  # the fake kernel has no cgroup.kill
    (v2.root / "sys/fs/cgroup/bb/c1/cgroup.kill").write_text("")
    freeze.kill_all(cg)
    assert v2.read("sys/fs/cgroup/bb/c1/cgroup.kill") == "1" and signalled == [9]


def test_record_written_before_create_lets_teardown_clean_up(v1: FakeKernel,
                                                              tmp_path: Path) -> None:
    """The runtime records the planned cgroup before it makes it: if it dies halfway,
    `delete` still finds and removes exactly what was made, and nothing that was there."""
    (v1.root / "sys/fs/cgroup/pids/bb/c1").mkdir(parents=True)  # someone else's
    cg = manager.plan(_config(path="/bb/c1"), "c1", host=v1.host())
    assert cg is not None
    cg.claim_in_advance()
    state = tmp_path / "state"
    state.mkdir()
    manager.save(cg, str(state))
    cg.create({})  # ... and the runtime dies here, before any further record
    assert (v1.root / "sys/fs/cgroup/memory/bb/c1").is_dir()
    manager.teardown(str(state))
    for name in V1_MOUNTS:
        if name != "pids":
            assert not (v1.root / f"sys/fs/cgroup/{name}/bb/c1").exists(), name
    assert (v1.root / "sys/fs/cgroup/pids/bb/c1").is_dir()  # not ours: left alone


def test_record_of_a_cgroup_never_made_tears_down_cleanly(v1: FakeKernel,
                                                           tmp_path: Path) -> None:
    cg = manager.plan(_config(path=None), "c2", host=v1.host())
    assert cg is not None
    cg.claim_in_advance()
    manager.save(cg, str(tmp_path))
    manager.teardown(str(tmp_path))  # nothing was made: nothing to do, no error
    assert not (v1.root / "sys/fs/cgroup/pids/bundlebench/c2").exists()
