"""validate == run: on this host, `bundlebench validate` passes a config exactly when
`bundlebench-runtime create` accepts it, and every refusal of create is an error of
validate with the same sentence (validate adds its full stop).

The corpus: hand-made edge cases (the ones that once disagreed) and seeded mutations of
the default and the demo config, more than 200 in all.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import ROOT_ONLY

pytestmark = ROOT_ONLY


def _set(config: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    node = config
    for key in path[:-1]:
        node = node[key] if isinstance(key, int) else node.setdefault(key, {})
    node[path[-1]] = value


def _ns(config: dict[str, Any]) -> list[dict[str, Any]]:
    return config["linux"]["namespaces"]


EDGE_CASES: dict[str, Any] = {
    "empty mount destination": lambda c: c["mounts"].append(
        {"destination": "", "type": "tmpfs", "source": "tmpfs"}),
    "idmap mount": lambda c: c["mounts"].append(
        {"destination": "/mnt", "type": "bind", "source": "/tmp", "options": ["bind", "idmap"]}),
    "valid: tmpcopyup": lambda c: c["mounts"].append(
        {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup"]}),
    "tmpcopyup on a bind": lambda c: c["mounts"].append(
        {"destination": "/mnt", "type": "bind", "source": "/tmp",
         "options": ["bind", "tmpcopyup"]}),
    "notify action": lambda c: _set(c, ("linux", "seccomp"), {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_NOTIFY"}]}),
    "rootless maps without userns": lambda c: _set(c, ("linux", "uidMappings"),
                                                   [{"containerID": 0, "hostID": 0, "size": 1}]),
    "no mount namespace": lambda c: c["linux"].__setitem__(
        "namespaces", [n for n in _ns(c) if n["type"] != "mount"]),
    "duplicate namespace": lambda c: _ns(c).append({"type": "pid"}),
    "unknown namespace": lambda c: _ns(c).append({"type": "bogus"}),
    "namespace path missing": lambda c: _ns(c).append(
        {"type": "net", "path": "/proc/no-such/ns/net"}) if not any(
        n["type"] == "net" for n in _ns(c)) else _set(c, ("linux", "namespaces", [
            n["type"] for n in _ns(c)].index("net"), "path"), "/proc/no-such/ns/net"),
    "hostname without uts": lambda c: c["linux"].__setitem__(
        "namespaces", [n for n in _ns(c) if n["type"] != "uts"]),
    "bind source missing": lambda c: c["mounts"].append(
        {"destination": "/mnt", "type": "bind", "source": "/no/such/dir", "options": ["bind"]}),
    "bad rootfs propagation": lambda c: _set(c, ("linux", "rootfsPropagation"), "sideways"),
    "bad device type": lambda c: _set(c, ("linux", "devices"), [
        {"path": "/dev/weird", "type": "x", "major": 1, "minor": 3}]),
    "unknown capability": lambda c: c["process"]["capabilities"]["bounding"].append("CAP_NOPE"),
    "bad rlimit type": lambda c: _set(c, ("process", "rlimits"), [
        {"type": "RLIMIT_NOPE", "soft": 1, "hard": 1}]),
    "rlimit soft above hard": lambda c: _set(c, ("process", "rlimits"), [
        {"type": "RLIMIT_NOFILE", "soft": 100, "hard": 10}]),
    "relative cwd": lambda c: _set(c, ("process", "cwd"), "tmp"),
    "args0 missing": lambda c: _set(c, ("process", "args"), ["no-such-program"]),
    "args0 not executable": lambda c: _set(c, ("process", "args"), ["/etc/passwd"]),
    "empty args": lambda c: _set(c, ("process", "args"), []),
    "bad env": lambda c: c["process"]["env"].append("NOEQUALS"),
    "ociVersion 2": lambda c: _set(c, ("ociVersion",), "2.0.0"),
    "hook relative path": lambda c: _set(c, ("hooks",), {"prestart": [{"path": "rel/hook"}]}),
    "hook bad timeout": lambda c: _set(c, ("hooks",), {"poststop": [
        {"path": "/bin/true", "timeout": 0}]}),
    "sysctl of the host": lambda c: _set(c, ("linux", "sysctl"), {"vm.swappiness": "10"}),
    "sysctl without its namespace": lambda c: (
        c["linux"].__setitem__("namespaces", [n for n in _ns(c) if n["type"] != "ipc"]),
        _set(c, ("linux", "sysctl"), {"kernel.msgmax": "8192"})),
    "seccomp unknown syscall name": lambda c: _set(c, ("linux", "seccomp"), {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["no_such_syscall_xyz"], "action": "SCMP_ACT_ERRNO"}]}),
    "seccomp bad action": lambda c: _set(c, ("linux", "seccomp"), {"defaultAction": "NOPE"}),
    "notify listener missing": lambda c: _set(c, ("linux", "seccomp"), {
        "defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/no-such-agent.sock",
        "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_NOTIFY"}]}),
    "listener without notify": lambda c: _set(c, ("linux", "seccomp"), {
        "defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/no-such-agent.sock"}),
    "notify default action": lambda c: _set(c, ("linux", "seccomp"), {
        "defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": "/run/no-such-agent.sock"}),
    "notify on write": lambda c: _set(c, ("linux", "seccomp"), {
        "defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/no-such-agent.sock",
        "syscalls": [{"names": ["write"], "action": "SCMP_ACT_NOTIFY"}]}),
    "apparmor profile": lambda c: _set(c, ("process", "apparmorProfile"), "bb-test-profile"),
    "memory limit": lambda c: _set(c, ("linux", "resources"), {"memory": {"limit": 64 << 20}}),
    "pids limit": lambda c: _set(c, ("linux", "resources"), {"pids": {"limit": 50}}),
    "time offsets without time ns": lambda c: _set(c, ("linux", "timeOffsets"), {
        "monotonic": {"secs": 1, "nanosecs": 0}}),
    "valid: plain": lambda c: None,
    "valid: tmpfs mount": lambda c: c["mounts"].append(
        {"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "size=1m"]}),
    "valid: bind mount": lambda c: c["mounts"].append(
        {"destination": "/mnt", "type": "bind", "source": "/tmp", "options": ["rbind", "ro"]}),
    "valid: cgroup ns": lambda c: _ns(c).append({"type": "cgroup"}),
    "valid: rlimit": lambda c: _set(c, ("process", "rlimits"), [
        {"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1024}]),
    "valid: no new privileges": lambda c: _set(c, ("process", "noNewPrivileges"), True),
}


def _mutations(rng: random.Random) -> list[Any]:
    """Random single changes around the default config: values of the wrong kind in
    places the runtime reads, and plausible values it may or may not take."""
    strange = [None, 0, -1, 1 << 40, "", "x", "/", [], {}, True, ["x"], {"a": 1}, 3.5]
    places = [
        ("process", "cwd"), ("process", "args"), ("process", "env"), ("process", "user", "uid"),
        ("process", "rlimits"), ("process", "capabilities"), ("process", "noNewPrivileges"),
        ("process", "oomScoreAdj"), ("hostname",), ("linux", "namespaces"),
        ("linux", "rootfsPropagation"), ("linux", "maskedPaths"), ("linux", "readonlyPaths"),
        ("linux", "devices"), ("linux", "sysctl"), ("linux", "resources"), ("hooks",),
        ("mounts",), ("linux", "cgroupsPath"), ("annotations",), ("domainname",),
        ("process", "terminal"), ("linux", "personality"),
    ]
    picked = []
    for place in places:
        for value in rng.sample(strange, 6):
            picked.append(lambda c, place=place, value=value: _set(c, place, copy.deepcopy(value)))
    for _ in range(40):
        flags = rng.sample(["ro", "rw", "nosuid", "nodev", "noexec", "rbind", "bind", "private",
                            "rslave", "shared", "strictatime", "rro", "tmpcopyup", "idmap",
                            "mode=755", "size=1m", "defaults", "relatime", "nosymfollow"], 3)
        kind = rng.choice(["tmpfs", "bind", "proc", ""])
        dest = rng.choice(["/mnt", "/tmp/x", "", "/proc/sys", "rel"])
        picked.append(lambda c, flags=flags, kind=kind, dest=dest: c["mounts"].append(
            {"destination": dest, "type": kind, "source": "/tmp" if kind == "bind" else kind,
             "options": flags}))
    return picked


def _corpus() -> list[tuple[str, str, Any]]:
    """(name, base config, change): edge cases on the default config; mutations take
    turns on the default and the demo config."""
    rng = random.Random(20261203)
    cases = [(name, "default", change) for name, change in EDGE_CASES.items()]
    cases += [(f"mutation {i}", ("default", "demo")[i % 2], change)
              for i, change in enumerate(_mutations(rng))]
    return cases


CORPUS = _corpus()


def test_the_corpus_is_big_enough() -> None:
    assert len(CORPUS) >= 200


def _create(rt, config: dict[str, Any], bundle: Path | None = None) -> tuple[int, str]:
    cid = rt.new_id("veq")
    bundle = bundle or rt.bundle(config=config)
    result = rt("create", "-b", str(bundle), cid, timeout=30)
    if result.returncode == 0:
        rt("delete", "-f", cid, check=True)
    sentence = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""
    return result.returncode, sentence.removeprefix("bundlebench-runtime: ")


def test_validate_and_create_agree_on_every_config_of_the_corpus(rt) -> None:
    from bundlebench.spec.validate import validate

    disagreements = []
    refused = accepted = 0
    demo = json.loads((rt.rootfs.parent / "config.json").read_text())
    demo["root"] = {"path": str(rt.rootfs)}
    demo["process"]["terminal"] = False
    for name, base, change in CORPUS:
        if base == "demo":
            config = copy.deepcopy(demo)
        else:
            config = rt.config(["true"])
            config["root"]["readonly"] = False
        try:
            change(config)
        except (KeyError, IndexError, TypeError, AttributeError):
            continue  # the mutation does not apply to this config
        bundle = rt.bundle(config=config)
        errors = [p for p in validate(json.loads((bundle / "config.json").read_text()),
                                      Path(bundle)) if p.severity == "error"]
        if config.get("process", {}).get("terminal") is True:
            continue  # create refuses it without --console-socket: a flag, not the config
        code, sentence = _create(rt, config, bundle)
        if code == 0:
            accepted += 1
            continue
        refused += 1
        if not errors:
            disagreements.append(f"{name}: validate passes, create refuses: {sentence}")
        elif sentence + "." not in {p.message for p in errors}:
            disagreements.append(f"{name}: create says {sentence!r}; validate says "
                                 f"{[p.message for p in errors]}")
    assert not disagreements, f"{len(disagreements)} disagreements:\n" + "\n".join(disagreements)
    assert refused > 50 and accepted > 20, (refused, accepted)


@pytest.mark.parametrize("name", ["valid: plain", "valid: tmpfs mount", "valid: bind mount",
                                  "valid: tmpcopyup"])
def test_valid_configs_pass_validate_without_errors(rt, name: str) -> None:
    from bundlebench.spec.validate import validate

    config = rt.config(["true"])
    EDGE_CASES[name](config)
    bundle = rt.bundle(config=config)
    assert not [p for p in validate(config, Path(bundle)) if p.severity == "error"]
    assert _create(rt, config)[0] == 0
