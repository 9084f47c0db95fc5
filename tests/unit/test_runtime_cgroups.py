"""runtime.cgroups decisions that need no cgroup tree: detection, paths, conversions,
device rules, the eBPF assembler, and the rootless decision."""

from __future__ import annotations

import struct

import pytest

from runtime.cgroups import convert, devices, ebpf, paths, rootless
from runtime.cgroups.detect import (
    HYBRID,
    NONE,
    V1,
    V2,
    detect,
    parse_mountinfo,
    parse_proc_cgroup,
)
from runtime.errors import RuntimeFailure

HYBRID_MOUNTINFO = """\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
50 23 0:40 / /proc rw - proc proc rw
"""
HYBRID_CGROUP = """\
9:name=systemd:/user.slice/session-1.scope
4:memory:/process_api/abc
3:cpuset:/
2:cpu,cpuacct:/user.slice
1:freezer:/
0::/user.slice/session-1.scope
"""
V2_MOUNTINFO = "25 20 0:22 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
V1_MOUNTINFO = "32 31 0:29 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"
NAMED_ONLY = "40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd\n"


# -- detect -----------------------------------------------------------------------------------

def test_parse_mountinfo_controllers_and_names() -> None:
    mounts = parse_mountinfo(HYBRID_MOUNTINFO)
    assert [m.fstype for m in mounts].count("cgroup2") == 1
    cpu = next(m for m in mounts if "cpu" in m.controllers)
    assert cpu.controllers == ("cpu", "cpuacct")
    assert cpu.mountpoint == "/sys/fs/cgroup/cpu,cpuacct"
    systemd = next(m for m in mounts if m.name)
    assert systemd.name == "name=systemd" and systemd.controllers == ()


def test_parse_mountinfo_unescapes_octal() -> None:
    mounts = parse_mountinfo("1 2 0:3 / /a\\040b rw - cgroup2 cgroup2 rw\n")
    assert mounts[0].mountpoint == "/a b"


def test_parse_proc_cgroup() -> None:
    own = parse_proc_cgroup(HYBRID_CGROUP)
    assert own["cpu"] == own["cpuacct"] == "/user.slice"
    assert own[""] == "/user.slice/session-1.scope"
    assert own["name=systemd"] == "/user.slice/session-1.scope"


@pytest.mark.parametrize("text,mode", [(HYBRID_MOUNTINFO, HYBRID), (V2_MOUNTINFO, V2),
                                       (V1_MOUNTINFO, V1), (NAMED_ONLY, NONE), ("", NONE)])
def test_detect_modes(text: str, mode: str, tmp_path) -> None:
    host = detect(text, "", fs_root=str(tmp_path))
    assert host.mode == mode


def test_detect_v2_controllers_from_fake_root(tmp_path) -> None:
    (tmp_path / "sys/fs/cgroup").mkdir(parents=True)
    (tmp_path / "sys/fs/cgroup/cgroup.controllers").write_text("cpu io memory pids\n")
    host = detect(V2_MOUNTINFO, "0::/init.scope\n", fs_root=str(tmp_path))
    assert host.v2_controllers == {"cpu", "io", "memory", "pids"}
    assert host.real("/sys/fs/cgroup/x") == f"{tmp_path}/sys/fs/cgroup/x"


def test_own_dir_respects_mount_root() -> None:
    text = "1 2 0:3 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
    host = detect(text, "4:memory:/docker/abc/sub\n")
    assert host.own_dir("memory") == "/sys/fs/cgroup/memory/sub"


# -- paths ------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw,clean", [("", ""), ("/a/../b", "/b"), ("../../x", "x"),
                                       ("a//b/", "a/b"), ("/../../etc", "/etc")])
def test_clean_path(raw: str, clean: str) -> None:
    assert paths.clean_path(raw) == clean


def test_target_default_and_relative() -> None:
    assert paths.target(None, "c1") == paths.Target("bundlebench/c1", default=True)
    assert paths.target("", "c1").default
    assert paths.target("a/b", "c1") == paths.Target("a/b")
    assert paths.target("/a/b", "c1").absolute


def test_target_refuses_systemd_and_root() -> None:
    with pytest.raises(RuntimeFailure, match="systemd slice path"):
        paths.target("system.slice:bb:c1", "c1")
    with pytest.raises(RuntimeFailure, match="root cgroup"):
        paths.target("/", "c1")


def test_v1_dirs_absolute_relative() -> None:
    host = detect(HYBRID_MOUNTINFO, HYBRID_CGROUP)
    absolute = paths.v1_dirs(host, paths.target("/bb/c1", "c1"))
    assert absolute["memory"] == "/sys/fs/cgroup/memory/bb/c1"
    assert absolute["cpu"] == absolute["cpuacct"] == "/sys/fs/cgroup/cpu,cpuacct/bb/c1"
    assert absolute["name=systemd"] == "/sys/fs/cgroup/systemd/bb/c1"
    relative = paths.v1_dirs(host, paths.target(None, "c1"))
    assert relative["memory"] == "/sys/fs/cgroup/memory/process_api/abc/bundlebench/c1"
    assert relative["cpu"] == "/sys/fs/cgroup/cpu,cpuacct/user.slice/bundlebench/c1"
    assert relative["freezer"] == "/sys/fs/cgroup/freezer/bundlebench/c1"


def test_v2_dir_relative_is_under_parent_of_own() -> None:
    host = detect(V2_MOUNTINFO, "0::/user.slice/session-1.scope\n")
    assert paths.v2_dir(host, paths.target("x", "c1")) == "/sys/fs/cgroup/user.slice/x"
    assert paths.v2_dir(host, paths.target("/x/y", "c1")) == "/sys/fs/cgroup/x/y"
    root_host = detect(V2_MOUNTINFO, "0::/\n")
    assert paths.v2_dir(root_host, paths.target(None, "c1")) == \
        "/sys/fs/cgroup/bundlebench/c1"


def test_paths_are_prefixed_with_fs_root(tmp_path) -> None:
    host = detect(V2_MOUNTINFO, "0::/\n", fs_root=str(tmp_path))
    assert paths.v2_dir(host, paths.target("/a", "c")) == f"{tmp_path}/sys/fs/cgroup/a"


# -- convert ----------------------------------------------------------------------------------

@pytest.mark.parametrize("shares,weight", [(0, 0), (2, 1), (1024, 39), (262144, 10000),
                                           (1, 1), (10**7, 10000)])
def test_shares_to_weight(shares: int, weight: int) -> None:
    assert convert.shares_to_weight(shares) == weight


@pytest.mark.parametrize("blkio,io", [(0, 0), (10, 1), (500, 4950), (1000, 10000)])
def test_blkio_weight_to_io_weight(blkio: int, io: int) -> None:
    assert convert.blkio_weight_to_io_weight(blkio) == io


def test_swap_arithmetic() -> None:
    assert convert.swap_v1_to_v2(None, None) is None
    assert convert.swap_v1_to_v2(0, -1) == -1
    assert convert.swap_v1_to_v2(-1, 100) == -1
    assert convert.swap_v1_to_v2(300, 100) == 200
    assert convert.swap_v1_to_v2(100, 100) == 0
    with pytest.raises(RuntimeFailure, match="at least"):
        convert.swap_v1_to_v2(50, 100)
    with pytest.raises(RuntimeFailure, match="needs linux.resources.memory.limit"):
        convert.swap_v1_to_v2(50, None)
    with pytest.raises(RuntimeFailure, match="invalid"):
        convert.swap_v1_to_v2(-5, 100)


def test_cpu_max_and_limits() -> None:
    assert convert.cpu_max(None, None) is None
    assert convert.cpu_max(50000, 100000) == "50000 100000"
    assert convert.cpu_max(-1, 100000) == "max 100000"
    assert convert.cpu_max(20000, None) == "20000"
    assert convert.limit_text(-1) == "max" and convert.limit_text(5) == "5"
    assert convert.parse_max("max\n") == 2**64 - 1
    assert [convert.hugepage_size_name(k) for k in (2048, 1048576, 64)] == \
        ["2MB", "1GB", "64KB"]


# -- devices ----------------------------------------------------------------------------------

def test_effective_rules_order_and_v1_writes() -> None:
    config = {"linux": {"resources": {"devices": [
        {"allow": False, "access": "rwm"},
        {"allow": True, "type": "c", "major": 10, "minor": 200, "access": "rw"}]},
        "devices": [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229},
                    {"path": "/dev/p", "type": "p"}]}}
    rules = devices.effective_rules(config)
    assert rules[0].is_all and not rules[0].allow
    assert rules[1].v1_line() == "c 10:200 rw"
    assert rules[-1].v1_line() == "c 10:229 rwm"
    writes = devices.v1_writes(rules)
    assert writes[0] == ("devices.deny", "a")
    assert ("devices.allow", "c 1:3 rwm") in writes
    assert ("devices.allow", "c *:* m") in writes
    assert ("devices.allow", "c 136:* rwm") in writes
    assert all(name == "devices.allow" for name, _ in writes[1:])


def test_v1_writes_default_deny_without_all_rule() -> None:
    rules = [devices.Rule(True, "c", 1, 3, "rwm")]
    assert devices.v1_writes(rules) == [("devices.deny", "a"), ("devices.allow", "c 1:3 rwm")]


def test_v1_writes_allow_all_then_deny() -> None:
    rules = [devices.Rule(True), devices.Rule(False, "b", 8, -1, "w")]
    assert devices.v1_writes(rules) == [("devices.allow", "a"), ("devices.deny", "b 8:* w")]
    assert devices.default_allows(rules)


@pytest.mark.parametrize("raw,message", [
    ({"access": "r"}, "allow"), ({"allow": True, "type": "x"}, "type"),
    ({"allow": True, "major": "1"}, "major"), ({"allow": True, "access": "rx"}, "access")])
def test_parse_rule_errors_name_the_entry(raw: dict, message: str) -> None:
    with pytest.raises(RuntimeFailure, match=rf"devices\[3\].*{message}|{message}.*"):
        devices.parse_rule(raw, 3)


# -- eBPF program -----------------------------------------------------------------------------

def _run(program: bytes, dev_type: int, access: int, major: int, minor: int) -> int:
    """A tiny interpreter for the opcodes assemble() emits."""
    regs = [0] * 11
    ctx = [dev_type | (access << 16), major, minor]
    insns = [struct.unpack("<BBhi", program[i:i + 8]) for i in range(0, len(program), 8)]
    pc = 0
    while True:
        code, regbyte, off, imm = insns[pc]
        dst, src = regbyte & 0xF, regbyte >> 4
        pc += 1
        if code == ebpf.LDX_MEM_W:
            regs[dst] = ctx[off // 4]
        elif code == ebpf.ALU32_AND_K:
            regs[dst] &= imm & 0xFFFFFFFF
        elif code == ebpf.ALU32_RSH_K:
            regs[dst] >>= imm
        elif code == ebpf.ALU32_MOV_X:
            regs[dst] = regs[src] & 0xFFFFFFFF
        elif code == ebpf.ALU64_MOV_K:
            regs[dst] = imm
        elif code == ebpf.JMP_JNE_K:
            if regs[dst] != imm:
                pc += off
        elif code == ebpf.JMP_JEQ_K:
            if regs[dst] == imm:
                pc += off
        elif code == ebpf.JMP_EXIT:
            return regs[0]
        else:
            raise AssertionError(f"unexpected opcode {code:#x}")


def test_ebpf_program_follows_the_rules() -> None:
    config = {"linux": {"resources": {"devices": [
        {"allow": False, "access": "rwm"},
        {"allow": True, "type": "c", "major": 10, "minor": 229, "access": "r"},
        {"allow": False, "type": "c", "major": 1, "minor": 5, "access": "w"}]}}}
    program = ebpf.assemble(devices.effective_rules(config))
    assert len(program) % 8 == 0
    r, w, m = ebpf.ACC_READ, ebpf.ACC_WRITE, ebpf.ACC_MKNOD
    char, block = ebpf.DEV_CHAR, ebpf.DEV_BLOCK
    assert _run(program, char, r | w, 1, 3) == 1          # /dev/null via defaults
    assert _run(program, char, r, 1, 11) == 0             # /dev/kmsg: default deny
    assert _run(program, char, r, 10, 229) == 1           # allowed read ...
    assert _run(program, char, r | w, 10, 229) == 0       # ... but not write
    assert _run(program, char, m, 250, 1) == 1            # mknod of any char device
    assert _run(program, block, r, 8, 0) == 0
    assert _run(program, block, m, 8, 0) == 1
    # /dev/zero is allowed by the defaults, which come after the config's deny rule.
    assert _run(program, char, w, 1, 5) == 1


def test_ebpf_default_allow() -> None:
    program = ebpf.assemble([devices.Rule(True), devices.Rule(False, "b", 8, -1, "rwm")])
    assert _run(program, ebpf.DEV_CHAR, ebpf.ACC_READ, 4, 1) == 1
    assert _run(program, ebpf.DEV_BLOCK, ebpf.ACC_READ, 8, 3) == 0


# -- rootless ---------------------------------------------------------------------------------

def test_rootless_decision(tmp_path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "cgroup.procs").write_text("")
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    writable = {str(mine), str(mine / "cgroup.procs")}
    def check(path: str) -> bool:
        return path in writable
    dirs = {"memory": str(mine / "c1"), "cpu": str(theirs / "c1"),
            "devices": str(theirs / "c1")}
    decision = rootless.decide(dirs, {}, check)
    assert decision.use == {"memory": str(mine / "c1")}
    assert sorted(decision.skipped) == ["cpu", "devices"]
    assert len(decision.warnings) == 2
    with pytest.raises(RuntimeFailure, match=r"linux.resources.cpu needs the cpu cgroup"):
        rootless.decide(dirs, {"cpu": "linux.resources.cpu"}, check)
    decision = rootless.decide(dirs, {"devices": "linux.resources.devices"}, check)
    assert any("devices is not applied" in w for w in decision.warnings)


def test_rootless_delegated_existing_dir(tmp_path) -> None:
    (tmp_path / "cg").mkdir()
    (tmp_path / "cg/cgroup.procs").write_text("")
    ok = {str(tmp_path / "cg"), str(tmp_path / "cg/cgroup.procs")}
    assert rootless.delegated(str(tmp_path / "cg"), ok.__contains__)
    assert rootless.delegated(str(tmp_path / "cg/a/b"), ok.__contains__)
    assert not rootless.delegated(str(tmp_path / "other"), ok.__contains__)


def test_enabled_and_subtree_controllers(tmp_path) -> None:
    from runtime.cgroups.detect import enabled_controllers, subtree_control
    cg = tmp_path / "sys/fs/cgroup"
    (cg / "a").mkdir(parents=True)
    (cg / "cgroup.controllers").write_text("cpu memory pids\n")
    (cg / "a/cgroup.controllers").write_text("memory\n")
    (cg / "cgroup.subtree_control").write_text("memory\n")
    host = detect(V2_MOUNTINFO, "0::/a\n", fs_root=str(tmp_path))
    assert enabled_controllers(host, "/sys/fs/cgroup/a") == {"memory"}
    assert subtree_control(host, "/sys/fs/cgroup") == {"memory"}
    assert host.own_dir("") == "/sys/fs/cgroup/a"
    assert subtree_control(host, "/sys/fs/cgroup/missing") == frozenset()


def test_needed_controllers_ignores_zero_values() -> None:
    from runtime.cgroups.resources import needed_controllers
    assert needed_controllers({"memory": {"limit": 0, "disableOOMKiller": False},
                               "cpu": {"shares": 0}, "pids": {"limit": 0}}) == {}
    assert "memory" in needed_controllers({"memory": {"swappiness": 0}})
    need = needed_controllers({"cpu": {"cpus": "0"}, "blockIO": {"weight": 10},
                               "hugepageLimits": [{"pageSize": "2MB", "limit": 1}],
                               "network": {"classID": 0, "priorities": [{"name": "lo"}]}})
    assert set(need) == {"cpuset", "blkio", "hugetlb", "net_cls", "net_prio"}


def test_target_refuses_a_path_that_cleans_to_nothing() -> None:
    with pytest.raises(RuntimeFailure, match="names no cgroup"):
        paths.target("a/../..", "c1")
