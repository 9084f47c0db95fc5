"""Our config.json schema: shape, enumerations from the shared table, precise errors."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bundlebench.spec.schema import (
    ROOTFS_PROPAGATION,
    iter_nodes,
    load_schema,
    load_validator,
    resolve,
)
from runtime.linux import constants as C

FIXTURES = Path(__file__).parent / "fixtures" / "configs"


def default_config() -> dict[str, Any]:
    try:
        from runtime.defaults import default_config as make
    except ImportError:  # the defaults module belongs to another part of the project
        return json.loads((FIXTURES / "runc-1.1.5-default.json").read_text())
    return make()


def errors(config: dict[str, Any]) -> list[tuple[str, str]]:
    """(pointer, message) of every schema error, sorted."""
    found = []
    for error in load_validator().iter_errors(config):
        pointer = "".join(f"/{token}" for token in error.absolute_path)
        found.append((pointer, error.message))
    return sorted(found)


def with_change(path: str, value: Any, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """A copy of base (default config) with the value at path set (created if needed)."""
    config = copy.deepcopy(base if base is not None else default_config())
    tokens = path.strip("/").split("/")
    node: Any = config
    for token in tokens[:-1]:
        key: Any = int(token) if isinstance(node, list) else token
        if isinstance(node, dict) and key not in node:
            node[key] = {}
        node = node[key]
    last: Any = int(tokens[-1]) if isinstance(node, list) else tokens[-1]
    node[last] = value
    return config


def test_schema_is_draft_2020_12_and_well_formed() -> None:
    schema = load_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert load_schema() is schema, "load_schema must be cached"
    assert load_validator() is load_validator()


def test_every_field_has_a_description() -> None:
    missing = [pattern for pattern, node in iter_nodes(load_schema())
               if not node.get("description")]
    assert missing == []


def test_schema_uses_no_references() -> None:
    # Inline nodes carry their own descriptions and validate without ref lookups.
    assert "$ref" not in json.dumps(load_schema())


@pytest.mark.parametrize("rootless", [False, True])
def test_default_configs_are_valid(rootless: bool) -> None:
    try:
        from runtime.defaults import default_config as make
    except ImportError:
        pytest.skip("runtime.defaults is not there yet")
    assert errors(make(rootless=rootless)) == []


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.name)
def test_fixture_configs_are_valid(path: Path) -> None:
    assert errors(json.loads(path.read_text())) == []


def _enum_at(pointer: str) -> list[str]:
    found = resolve(pointer)
    assert found is not None, pointer
    return found[1]["enum"]


@pytest.mark.parametrize(
    ("pointer", "expected"),
    [
        ("/process/capabilities/bounding/*", list(C.CAPABILITIES)),
        ("/process/capabilities/ambient/*", list(C.CAPABILITIES)),
        ("/process/rlimits/*/type", list(C.RLIMITS)),
        ("/linux/namespaces/*/type", list(C.NAMESPACES)),
        ("/linux/seccomp/defaultAction", list(C.SECCOMP_ACTIONS)),
        ("/linux/seccomp/syscalls/*/action", list(C.SECCOMP_ACTIONS)),
        ("/linux/seccomp/architectures/*", list(C.SECCOMP_ARCHES)),
        ("/linux/seccomp/flags/*", list(C.SECCOMP_FLAGS)),
        ("/linux/seccomp/syscalls/*/args/*/op", list(C.SECCOMP_OPERATORS)),
        ("/linux/devices/*/type", list(C.DEVICE_TYPES)),
        ("/linux/resources/devices/*/type", list(C.CGROUP_DEVICE_TYPES)),
        ("/process/scheduler/policy", list(C.SCHED_POLICIES)),
        ("/process/ioPriority/class", list(C.IOPRIO_CLASSES)),
        ("/linux/memoryPolicy/mode", list(C.MEMORY_POLICY_MODES)),
        ("/linux/personality/domain", list(C.PERSONALITY_DOMAINS)),
        ("/linux/rootfsPropagation", list(ROOTFS_PROPAGATION)),
    ],
)
def test_enumerations_come_from_the_constants_table(pointer: str, expected: list[str]) -> None:
    assert _enum_at(pointer) == expected


def test_rootfs_propagation_is_the_non_recursive_subset() -> None:
    assert set(ROOTFS_PROPAGATION) == {"private", "shared", "slave", "unbindable"}
    assert set(ROOTFS_PROPAGATION) <= set(C.MOUNT_PROPAGATION)


# (change, pointer the error must point at)
REJECTED = [
    ("/process/capabilities/bounding/0", "CAP_SYS_GOD", "/process/capabilities/bounding/0"),
    ("/process/capabilities/effective/1", "cap_kill", "/process/capabilities/effective/1"),
    ("/process/rlimits/0/type", "RLIMIT_FOO", "/process/rlimits/0/type"),
    ("/process/rlimits/0/soft", -1, "/process/rlimits/0/soft"),
    ("/process/rlimits/0/hard", 2**64, "/process/rlimits/0/hard"),
    ("/process/rlimits/0/hard", 1024.0, "/process/rlimits/0/hard"),
    ("/process/user/uid", "root", "/process/user/uid"),
    ("/process/user/umask", 0o1000, "/process/user/umask"),
    ("/process/oomScoreAdj", 1001, "/process/oomScoreAdj"),
    ("/process/terminal", "yes", "/process/terminal"),
    ("/process/env/0", "NOEQUALS", "/process/env/0"),
    ("/process/env/0", "=value", "/process/env/0"),
    ("/process/ioPriority", {"class": "IOPRIO_CLASS_BE", "priority": 8},
     "/process/ioPriority/priority"),
    ("/process/ioPriority", {"class": "IOPRIO_CLASS_NONE", "priority": 1},
     "/process/ioPriority/class"),
    ("/process/scheduler", {"policy": "SCHED_FAST"}, "/process/scheduler/policy"),
    ("/process/scheduler", {"policy": "SCHED_OTHER", "flags": ["SCHED_FLAG_X"]},
     "/process/scheduler/flags/0"),
    ("/process/execCPUAffinity", {"final": "0-3, 7"}, "/process/execCPUAffinity/final"),
    ("/process/consoleSize", {"height": 25}, "/process/consoleSize"),
    ("/hostname", "h" * 65, "/hostname"),
    ("/mounts/0/options", [""], "/mounts/0/options/0"),
    ("/mounts/0/options", [" ro"], "/mounts/0/options/0"),
    ("/mounts/0/options", ["ro=1"], "/mounts/0/options/0"),
    ("/mounts/0/options", ["rprivate=yes"], "/mounts/0/options/0"),
    ("/mounts/0/options", "ro", "/mounts/0/options"),
    ("/mounts/0/uidMappings", [{"containerID": 0, "hostID": 1000, "size": 1}], "/mounts/0"),
    ("/mounts/0/uidMappings", [{"containerID": 0, "hostID": 1000, "size": 0}],
     "/mounts/0/uidMappings/0/size"),
    ("/linux/namespaces/0/type", "pids", "/linux/namespaces/0/type"),
    ("/linux/namespaces/0", {"path": "/proc/1/ns/pid"}, "/linux/namespaces/0"),
    ("/linux/rootfsPropagation", "rprivate", "/linux/rootfsPropagation"),
    ("/linux/devices", [{"path": "/dev/x", "type": "x", "major": 1, "minor": 1}],
     "/linux/devices/0/type"),
    ("/linux/devices", [{"path": "/dev/x", "type": "c"}], "/linux/devices/0"),
    ("/linux/devices", [{"path": "/dev/x", "type": "c", "major": 1, "minor": 1,
                         "fileMode": 512}], "/linux/devices/0/fileMode"),
    ("/linux/resources/devices/0/access", "rwx", "/linux/resources/devices/0/access"),
    ("/linux/resources/devices/0/type", "p", "/linux/resources/devices/0/type"),
    ("/linux/resources/pids", {}, "/linux/resources/pids"),
    ("/linux/resources/memory", {"limit": -2}, "/linux/resources/memory/limit"),
    ("/linux/resources/cpu", {"cpus": "0-3 "}, "/linux/resources/cpu/cpus"),
    ("/linux/resources/unified", {"../../etc/passwd": "x"}, "/linux/resources/unified"),
    ("/linux/resources/hugepageLimits", [{"pageSize": "2mb", "limit": 1}],
     "/linux/resources/hugepageLimits/0/pageSize"),
    ("/linux/seccomp", {"defaultAction": "SCMP_ACT_DENY"}, "/linux/seccomp/defaultAction"),
    ("/linux/seccomp", {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["x86_64"]},
     "/linux/seccomp/architectures/0"),
    ("/linux/seccomp", {"defaultAction": "SCMP_ACT_ERRNO", "flags": ["TSYNC"]},
     "/linux/seccomp/flags/0"),
    ("/linux/seccomp", {"defaultAction": "SCMP_ACT_ERRNO",
                        "syscalls": [{"names": [], "action": "SCMP_ACT_ALLOW"}]},
     "/linux/seccomp/syscalls/0/names"),
    ("/linux/seccomp", {"defaultAction": "SCMP_ACT_ERRNO",
                        "syscalls": [{"names": ["kill"], "action": "SCMP_ACT_ALLOW",
                                      "args": [{"index": 6, "value": 0, "op": "SCMP_CMP_EQ"}]}]},
     "/linux/seccomp/syscalls/0/args/0/index"),
    ("/linux/seccomp", {"defaultAction": "SCMP_ACT_ERRNO",
                        "syscalls": [{"names": ["kill"], "action": "SCMP_ACT_ALLOW",
                                      "args": [{"index": 0, "value": 0, "op": "=="}]}]},
     "/linux/seccomp/syscalls/0/args/0/op"),
    ("/linux/timeOffsets", {"realtime": {"secs": 1}}, "/linux/timeOffsets"),
    ("/linux/timeOffsets", {"boottime": {"nanosecs": 1_000_000_000}},
     "/linux/timeOffsets/boottime/nanosecs"),
    ("/linux/netDevices", {"a-very-long-interface-name": {}}, "/linux/netDevices"),
    ("/linux/netDevices", {"eth1": {"name": "bad/name"}}, "/linux/netDevices/eth1/name"),
    ("/linux/memoryPolicy", {"nodes": "0"}, "/linux/memoryPolicy"),
    ("/linux/personality", {"domain": "LINUX64"}, "/linux/personality/domain"),
    ("/linux/intelRdt", {"closID": "../escape"}, "/linux/intelRdt/closID"),
    ("/linux/uidMappings", [{"containerID": 0, "hostID": 0}], "/linux/uidMappings/0"),
    ("/hooks/poststop", [{"path": "/bin/true", "timeout": 0}], "/hooks/poststop/0/timeout"),
    ("/hooks/prestart", [{"args": ["x"]}], "/hooks/prestart/0"),
    ("/annotations", {"key": 1}, "/annotations/key"),
    ("/annotations", {"": "empty key"}, "/annotations"),
]


@pytest.mark.parametrize(("path", "value", "pointer"), REJECTED,
                         ids=[f"{p}={v!r}"[:60] for p, v, _ in REJECTED])
def test_bad_values_are_rejected_at_the_right_pointer(path: str, value: Any, pointer: str) -> None:
    found = errors(with_change(path, value))
    assert found, f"{path}={value!r} was accepted"
    assert pointer in {p for p, _ in found}, found


ACCEPTED = [
    ("/mounts/1/options", ["nosuid", "mode=755", "size=65536k", "newinstance"]),
    ("/mounts/1/options", ['context="system_u:object_r:svirt_sandbox_file_t:s0:c1,c2"']),
    ("/mounts/1/options", ["rro", "rnosuid", "idmap", "tmpcopyup", "defaults", "x-custom"]),
    ("/process/user", {"username": "ContainerUser"}),
    ("/process/env", ["EMPTY=", "A==b"]),
    ("/process/execCPUAffinity", {"initial": "", "final": "0,2-3"}),
    ("/linux/devices", [{"path": "/dev/fifo", "type": "p"}]),
    ("/linux/resources/unified", {"memory.high": "max", "hugetlb.2MB.rsvd.max": "0"}),
    ("/linux/resources/pids", {"limit": -1}),
    ("/linux/memoryPolicy", {"mode": "MPOL_LOCAL"}),
    ("/linux/timeOffsets", {"monotonic": {"secs": -5, "nanosecs": 0}}),
    ("/annotations", {"org.example/with slash and spaces": ""}),
    ("/x-vendor-extension", {"anything": [1, 2]}),
    ("/process/rlimits/0/hard", 2**64 - 1),
]


@pytest.mark.parametrize(("path", "value"), ACCEPTED, ids=[p for p, _ in ACCEPTED])
def test_valid_values_are_accepted(path: str, value: Any) -> None:
    assert errors(with_change(path, value)) == []


def test_a_float_that_looks_like_an_integer_is_still_rejected() -> None:
    found = errors(with_change("/process/user/uid", 0.0))
    assert [p for p, _ in found] == ["/process/user/uid"]


def test_errors_name_the_field_not_a_parent_alternative() -> None:
    # No oneOf/anyOf: the error is about the field itself, with one clear message.
    found = errors(with_change("/linux/namespaces/1/type", "net"))
    assert found == [("/linux/namespaces/1/type", found[0][1])]
    assert "is not one of" in found[0][1]
