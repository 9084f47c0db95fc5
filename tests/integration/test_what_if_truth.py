"""The what-ifs tell the truth: each "see it" command, run in a real container from the
demo rootfs with the setting and without it, shows the difference its sentences name.

The command comes from the same WhatIf the config screen shows, so a wrong one fails here.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from bundlebench.spec.what_if import WhatIf, what_if
from tests.integration.conftest import ROOT_ONLY

pytestmark = ROOT_ONLY

Config = dict[str, Any]


@dataclass(frozen=True)
class Case:
    """One what-if, how to turn its setting on and off, and what the outputs must show."""

    pointer: str
    value: Any
    with_it: Callable[[Config], None]
    without_it: Callable[[Config], None]
    check: Callable[[str, str], None]

    @property
    def found(self) -> WhatIf:
        found = what_if(self.pointer, self.value)
        assert found is not None, self.pointer
        return found


def keep(config: Config) -> None:
    """The runtime's default config already has the setting."""


def drop_namespace(kind: str) -> Callable[[Config], None]:
    def change(config: Config) -> None:
        config["linux"]["namespaces"] = [ns for ns in config["linux"]["namespaces"]
                                         if ns["type"] != kind]
        if kind == "uts":
            config.pop("hostname", None)  # a host name needs its own UTS namespace
    return change


def add_namespace(kind: str) -> Callable[[Config], None]:
    def change(config: Config) -> None:
        config["linux"]["namespaces"].append({"type": kind})
    return change


def set_at(path: str, value: Any) -> Callable[[Config], None]:
    """Set (or with value None remove) config[a][b]... for path "a/b/..."."""
    def change(config: Config) -> None:
        *parents, last = path.split("/")
        node = config
        for key in parents:
            node = node.setdefault(key, {})
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return change


def add_capability(name: str) -> Callable[[Config], None]:
    def change(config: Config) -> None:
        for names in config["process"]["capabilities"].values():
            names.append(name)
    return change


def add_tmp_tmpfs(config: Config) -> None:
    config["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                             "options": ["nosuid", "nodev"]})


def drop_proc_mount(config: Config) -> None:
    config["mounts"] = [m for m in config["mounts"] if m["destination"] != "/proc"]


def host_file(path: str) -> str:
    with open(path) as handle:
        return handle.read()


def interfaces(proc_net_dev: str) -> set[str]:
    return {line.split(":")[0].strip() for line in proc_net_dev.splitlines()[2:] if ":" in line}


def cgroup_paths(proc_self_cgroup: str) -> set[str]:
    return {line.split(":", 2)[2] for line in proc_self_cgroup.splitlines() if line.count(":") >= 2}


def root_options(mounts: str) -> str:
    return next(line.split()[3] for line in mounts.splitlines() if line.split()[1] == "/")


def check_pid(with_out: str, without_out: str) -> None:
    host_init = host_file("/proc/1/comm").strip()
    assert without_out.strip() == host_init  # PID 1 is the host's init
    assert with_out.strip() != host_init and with_out.strip() in ("sh", "cat")


def check_network(with_out: str, without_out: str) -> None:
    assert interfaces(with_out) == {"lo"}
    assert interfaces(without_out) == interfaces(host_file("/proc/net/dev"))


def check_uts(with_out: str, without_out: str) -> None:
    assert with_out.strip() == "bbtest"  # the hostname of the test config
    assert without_out.strip() == socket.gethostname()


def check_cgroup(with_out: str, without_out: str) -> None:
    assert cgroup_paths(with_out) == {"/"}
    assert cgroup_paths(without_out) - {"/"}


def check_masked(with_out: str, without_out: str) -> None:
    assert with_out.startswith("c") and "1, " in with_out  # /dev/null's char device 1, 3
    assert without_out.startswith("-r")


def check_readonly_paths(with_out: str, without_out: str) -> None:
    assert with_out.split()[3].split(",")[0] == "ro"
    assert without_out.strip() == ""  # part of the read-write /proc


def check_readonly_root(with_out: str, without_out: str) -> None:
    assert root_options(with_out).split(",")[0] == "ro"
    assert root_options(without_out).split(",")[0] == "rw"


def check_no_new_privs(with_out: str, without_out: str) -> None:
    assert with_out.split() == ["NoNewPrivs:", "1"]
    assert without_out.split() == ["NoNewPrivs:", "0"]


def check_pids(with_out: str, without_out: str) -> None:
    assert with_out.strip() == "42"
    assert without_out.strip() == "max"


def check_memory(with_out: str, without_out: str) -> None:
    assert with_out.strip() == str(64 << 20)
    unlimited = without_out.strip()
    assert unlimited == "max" or int(unlimited) > 1 << 40


def check_cpu(with_out: str, without_out: str) -> None:
    assert with_out.split() == ["50000", "100000"]
    assert without_out.split()[0] in ("-1", "max")


def check_capabilities(with_out: str, without_out: str) -> None:
    def effective(text: str) -> int:
        return next(int(line.split()[1], 16) for line in text.splitlines()
                    if line.startswith("CapEff:"))
    assert effective(with_out) != 0
    assert effective(without_out) == 0


def says(word: str) -> Callable[[str, str], None]:
    def check(with_out: str, without_out: str) -> None:
        assert word in with_out.split(), with_out
        assert word not in without_out.split(), without_out
    return check


def check_tmpfs(with_out: str, without_out: str) -> None:
    assert "/tmp" in [line.split()[1] for line in with_out.splitlines()]
    assert "/tmp" not in [line.split()[1] for line in without_out.splitlines()]


def check_proc(with_out: str, without_out: str) -> None:
    assert "1" in with_out.split()
    assert without_out.split() == []


CASES = {
    "pid namespace": Case("/linux/namespaces/0/type", "pid", keep, drop_namespace("pid"),
                          check_pid),
    "network namespace": Case("/linux/namespaces/1", {"type": "network"}, keep,
                              drop_namespace("network"), check_network),
    "uts namespace": Case("/linux/namespaces/3/type", "uts", keep, drop_namespace("uts"),
                          check_uts),
    "cgroup namespace": Case("/linux/namespaces/5/type", "cgroup", add_namespace("cgroup"),
                             keep, check_cgroup),
    "masked path": Case("/linux/maskedPaths/3", "/proc/keys", keep,
                        set_at("linux/maskedPaths", []), check_masked),
    "read-only path": Case("/linux/readonlyPaths", None, keep,
                           set_at("linux/readonlyPaths", []), check_readonly_paths),
    "read-only root": Case("/root/readonly", True, keep, set_at("root/readonly", False),
                           check_readonly_root),
    "no new privileges": Case("/process/noNewPrivileges", True, keep,
                              set_at("process/noNewPrivileges", False), check_no_new_privs),
    "pids limit": Case("/linux/resources/pids/limit", 42,
                       set_at("linux/resources/pids", {"limit": 42}), keep, check_pids),
    "memory limit": Case("/linux/resources/memory/limit", 64 << 20,
                         set_at("linux/resources/memory", {"limit": 64 << 20}), keep,
                         check_memory),
    "cpu quota": Case("/linux/resources/cpu/quota", 50000,
                      set_at("linux/resources/cpu", {"quota": 50000, "period": 100000}), keep,
                      check_cpu),
    "capabilities": Case("/process/capabilities", None, keep,
                         set_at("process/capabilities", None), check_capabilities),
    "CAP_SYS_ADMIN": Case("/process/capabilities/effective/0", "CAP_SYS_ADMIN",
                          add_capability("CAP_SYS_ADMIN"), keep, says("mounted")),
    "CAP_DAC_OVERRIDE": Case("/process/capabilities/effective/0", "CAP_DAC_OVERRIDE",
                             add_capability("CAP_DAC_OVERRIDE"), keep, says("readable")),
    "tmpfs mount": Case("/mounts/7", {"destination": "/tmp", "type": "tmpfs"}, add_tmp_tmpfs,
                        keep, check_tmpfs),
    "proc mount": Case("/mounts/0", {"destination": "/proc", "type": "proc"}, keep,
                       drop_proc_mount, check_proc),
}


def see(rt, case: Case, change: Callable[[Config], None]) -> str:
    """Run the case's "see it" command in a container; its stdout and stderr together."""
    config = rt.config(["sh", "-c", f"exec 2>&1; {case.found.see}"])
    change(config)
    cid = rt.new_id("whatif")
    result = rt("run", "-b", str(rt.bundle(config=config)), cid, timeout=30)
    assert "error" not in result.stderr.lower(), result.stderr
    return result.stdout


def test_every_case_names_a_distinct_what_if() -> None:
    found = [case.found for case in CASES.values()]
    assert len({id(w) for w in found}) == len(found)


@pytest.mark.parametrize("name", CASES)
def test_see_it_shows_the_difference(rt, name: str) -> None:
    case = CASES[name]
    if name == "masked path" and not os.path.exists("/proc/keys"):
        pytest.skip("kernel without /proc/keys")
    if name == "cgroup namespace" and not os.path.exists("/proc/self/ns/cgroup"):
        pytest.skip("kernel without cgroup namespaces")
    with_out, without_out = see(rt, case, case.with_it), see(rt, case, case.without_it)
    case.check(with_out, without_out)
