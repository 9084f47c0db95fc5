"""Our JSON schema (draft 2020-12) for config.json of OCI runtime-spec v1.3.0.

Written from config.md and config-linux.md. Every enumeration comes from
runtime.linux.constants, so the schema, the semantic checks and the runtime agree.
Every node is built fresh (no $ref) so each carries its own description, taken
from the field documentation table, and so validation never resolves references.
Unknown properties are allowed: the spec tells consumers to ignore them.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from runtime.linux import constants as C

SPEC_VERSION = "1.3.0"
SCHEMA_ID = "https://bundlebench.invalid/schema/runtime-spec-1.3.0/config.json"

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
UINT16 = (0, 2**16 - 1)
UINT32 = (0, 2**32 - 1)
UINT64 = (0, 2**64 - 1)

# A list like "0-3,7" (cpus, NUMA nodes); empty means "not set".
CPU_LIST_PATTERN = r"^$|^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$"
# What dev_valid_name() accepts: 1-15 bytes, no '/', ':' or whitespace.
NETDEV_NAME_PATTERN = r"^[^/:\s]{1,15}$"
# Option names that are flags to the kernel or the runtime: they never take a value.
_VALUELESS_OPTIONS = sorted(
    {*C.MOUNT_FLAGS, *C.MOUNT_PROPAGATION, *C.MOUNT_RECURSIVE_ATTRS, *C.MOUNT_RUNTIME_OPTIONS}
)
# Non-empty, no padding (" ro" would reach the filesystem as unknown data), and not a
# flag given a value ("ro=1"): one pattern, so a bad option gives one error.
MOUNT_OPTION_PATTERN = r"^(?!(" + "|".join(_VALUELESS_OPTIONS) + r")=)\S([\s\S]*\S)?$"
# Propagation the spec allows for the root: the four non-recursive modes.
ROOTFS_PROPAGATION = tuple(name for name in C.MOUNT_PROPAGATION if not name.startswith("r"))
# The kernel's dev_t: 12-bit major, 20-bit minor.
DEVICE_MAJOR = (0, 4095)
DEVICE_MINOR = (0, 2**20 - 1)


def _int(bounds: tuple[int, int]) -> dict[str, Any]:
    return {"type": "integer", "minimum": bounds[0], "maximum": bounds[1]}


def _str(**extra: Any) -> dict[str, Any]:
    return {"type": "string", **extra}


def _bool() -> dict[str, Any]:
    return {"type": "boolean"}


def _enum(values: Any) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


def _arr(items: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "array", "items": items, **extra}


def _obj(
    properties: dict[str, dict[str, Any]], required: tuple[str, ...] = (), **extra: Any
) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        node["required"] = list(required)
    node.update(extra)
    return node


def _map(values: dict[str, Any], names: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "propertyNames": names or {"minLength": 1},
        "additionalProperties": values,
    }


def _strings() -> dict[str, Any]:
    return _arr(_str())


def _id_mapping() -> dict[str, Any]:
    return _obj(
        {
            "containerID": _int(UINT32),
            "hostID": _int(UINT32),
            # A zero-length range is refused by the kernel when uid_map is written.
            "size": {"type": "integer", "minimum": 1, "maximum": UINT32[1]},
        },
        ("containerID", "hostID", "size"),
    )


def _hook() -> dict[str, Any]:
    return _obj(
        {
            "path": _str(),
            "args": _strings(),
            "env": _env(),
            "timeout": {"type": "integer", "minimum": 1, "maximum": INT32[1]},
        },
        ("path",),
    )


def _env() -> dict[str, Any]:
    # NAME=value with a non-empty name and no NUL byte, which execve cannot pass.
    return _arr(_str(pattern=r"^[^=\x00]+=[^\x00]*$"))


def _mount_option() -> dict[str, Any]:
    return _str(pattern=MOUNT_OPTION_PATTERN)


def _process() -> dict[str, Any]:
    caps = C.CAPABILITIES
    return _obj(
        {
            "terminal": _bool(),
            "consoleSize": _obj({"height": _int(UINT16), "width": _int(UINT16)},
                                ("height", "width")),
            "cwd": _str(),
            "env": _env(),
            "args": _strings(),
            "commandLine": _str(),
            "user": _obj(
                {
                    "uid": _int(UINT32),
                    "gid": _int(UINT32),
                    "umask": _int((0, 0o777)),
                    "additionalGids": _arr(_int(UINT32)),
                    "username": _str(),
                },
                # POSIX users need uid and gid; a Windows user is named instead.
                **{"if": {"required": ["username"]}, "else": {"required": ["uid", "gid"]}},
            ),
            "capabilities": _obj({name: _arr(_enum(caps)) for name in _CAP_SETS}),
            "rlimits": _arr(
                _obj(
                    {"type": _enum(C.RLIMITS), "soft": _int(UINT64), "hard": _int(UINT64)},
                    ("type", "soft", "hard"),
                )
            ),
            "apparmorProfile": _str(),
            "selinuxLabel": _str(),
            "noNewPrivileges": _bool(),
            "oomScoreAdj": _int((-1000, 1000)),
            "scheduler": _obj(
                {
                    "policy": _enum(C.SCHED_POLICIES),
                    "nice": _int((-20, 19)),
                    "priority": _int((0, 99)),
                    "flags": _arr(_enum(C.SCHED_FLAGS)),
                    "runtime": _int(UINT64),
                    "deadline": _int(UINT64),
                    "period": _int(UINT64),
                },
                ("policy",),
            ),
            "ioPriority": _obj(
                {"class": _enum(C.IOPRIO_CLASSES), "priority": _int((0, 7))},
                ("class", "priority"),
            ),
            "execCPUAffinity": _obj(
                {"initial": _str(pattern=CPU_LIST_PATTERN), "final": _str(pattern=CPU_LIST_PATTERN)}
            ),
        },
        ("cwd",),
    )


_CAP_SETS = ("bounding", "effective", "inheritable", "permitted", "ambient")
HOOK_KINDS = (
    "prestart",
    "createRuntime",
    "createContainer",
    "startContainer",
    "poststart",
    "poststop",
)


def _mount() -> dict[str, Any]:
    return _obj(
        {
            "destination": _str(),
            "source": _str(),
            "type": _str(),
            "options": _arr(_mount_option()),
            "uidMappings": _arr(_id_mapping()),
            "gidMappings": _arr(_id_mapping()),
        },
        ("destination",),
        dependentRequired={"uidMappings": ["gidMappings"], "gidMappings": ["uidMappings"]},
    )


def _device() -> dict[str, Any]:
    return _obj(
        {
            "type": _enum(C.DEVICE_TYPES),
            "path": _str(),
            "major": _int(DEVICE_MAJOR),
            "minor": _int(DEVICE_MINOR),
            "fileMode": _int((0, 0o777)),
            "uid": _int(UINT32),
            "gid": _int(UINT32),
        },
        ("type", "path"),
        # A fifo has no device number; every other node needs both halves.
        **{
            "if": {"properties": {"type": {"const": "p"}}, "required": ["type"]},
            "else": {"required": ["major", "minor"]},
        },
    )


def _block_device(**rest: dict[str, Any]) -> dict[str, Any]:
    return _obj({"major": _int(INT64), "minor": _int(INT64), **rest}, ("major", "minor"))


def _resources() -> dict[str, Any]:
    return _obj(
        {
            "devices": _arr(
                _obj(
                    {
                        "allow": _bool(),
                        "type": _enum(C.CGROUP_DEVICE_TYPES),
                        "major": _int(INT64),
                        "minor": _int(INT64),
                        "access": _str(pattern="^[rwm]{1,3}$"),
                    },
                    ("allow",),
                )
            ),
            "memory": _obj(
                {
                    "limit": _int((-1, INT64[1])),
                    "reservation": _int((-1, INT64[1])),
                    "swap": _int((-1, INT64[1])),
                    "kernel": _int(INT64),
                    "kernelTCP": _int(INT64),
                    "swappiness": _int((0, 200)),
                    "disableOOMKiller": _bool(),
                    "useHierarchy": _bool(),
                    "checkBeforeUpdate": _bool(),
                }
            ),
            "cpu": _obj(
                {
                    "shares": _int(UINT64),
                    "quota": _int((-1, INT64[1])),
                    "burst": _int(UINT64),
                    "period": _int(UINT64),
                    "realtimeRuntime": _int(INT64),
                    "realtimePeriod": _int(UINT64),
                    "cpus": _str(pattern=CPU_LIST_PATTERN),
                    "mems": _str(pattern=CPU_LIST_PATTERN),
                    "idle": _int((0, 1)),
                }
            ),
            "blockIO": _obj(
                {
                    "weight": _int(UINT16),
                    "leafWeight": _int(UINT16),
                    "weightDevice": _arr(
                        _block_device(weight=_int(UINT16), leafWeight=_int(UINT16))
                    ),
                    **{name: _arr(_block_device(rate=_int(UINT64))) for name in BLKIO_THROTTLES},
                }
            ),
            "hugepageLimits": _arr(
                _obj(
                    {"pageSize": _str(pattern="^[1-9][0-9]*[KMG]B$"), "limit": _int(UINT64)},
                    ("pageSize", "limit"),
                )
            ),
            "network": _obj(
                {
                    "classID": _int(UINT32),
                    "priorities": _arr(
                        _obj({"name": _str(), "priority": _int(UINT32)}, ("name", "priority"))
                    ),
                }
            ),
            "pids": _obj({"limit": _int((-1, INT64[1]))}, ("limit",)),
            "rdma": _map(_obj({"hcaHandles": _int(UINT32), "hcaObjects": _int(UINT32)})),
            # A key names a file in the cgroup dir: never a path.
            "unified": _map(_str(), {"pattern": r"^[a-z][a-z0-9_]*\.[A-Za-z0-9_.-]+$"}),
        }
    )


BLKIO_THROTTLES = (
    "throttleReadBpsDevice",
    "throttleWriteBpsDevice",
    "throttleReadIOPSDevice",
    "throttleWriteIOPSDevice",
)


def _seccomp() -> dict[str, Any]:
    return _obj(
        {
            "defaultAction": _enum(C.SECCOMP_ACTIONS),
            "defaultErrnoRet": _int(UINT32),
            "architectures": _arr(_enum(C.SECCOMP_ARCHES)),
            "flags": _arr(_enum(C.SECCOMP_FLAGS)),
            "listenerPath": _str(),
            "listenerMetadata": _str(),
            "syscalls": _arr(
                _obj(
                    {
                        "names": _arr(_str(minLength=1), minItems=1),
                        "action": _enum(C.SECCOMP_ACTIONS),
                        "errnoRet": _int(UINT32),
                        "args": _arr(
                            _obj(
                                {
                                    # A system call has at most six arguments.
                                    "index": _int((0, 5)),
                                    "value": _int(UINT64),
                                    "valueTwo": _int(UINT64),
                                    "op": _enum(C.SECCOMP_OPERATORS),
                                },
                                ("index", "value", "op"),
                            )
                        ),
                    },
                    ("names", "action"),
                )
            ),
        },
        ("defaultAction",),
    )


def _time_offset() -> dict[str, Any]:
    return _obj({"secs": _int(INT64), "nanosecs": _int((0, 999_999_999))})


def _linux() -> dict[str, Any]:
    return _obj(
        {
            "namespaces": _arr(
                _obj({"type": _enum(C.NAMESPACES), "path": _str()}, ("type",))
            ),
            "uidMappings": _arr(_id_mapping()),
            "gidMappings": _arr(_id_mapping()),
            "timeOffsets": _obj(
                {clock: _time_offset() for clock in C.TIME_NAMESPACE_CLOCKS},
                additionalProperties=False,
            ),
            "devices": _arr(_device()),
            "netDevices": _map(
                _obj({"name": _str(pattern=NETDEV_NAME_PATTERN, **{"not": {"enum": [".", ".."]}})}),
                {"pattern": NETDEV_NAME_PATTERN, "not": {"enum": [".", ".."]}},
            ),
            "cgroupsPath": _str(),
            "resources": _resources(),
            "intelRdt": _obj(
                {
                    # The CLOS is a directory under /sys/fs/resctrl: a name, not a path.
                    "closID": _str(pattern="^[^/]*$", **{"not": {"enum": [".", ".."]}}),
                    "l3CacheSchema": _str(),
                    "memBwSchema": _str(pattern="^MB:[^\\n]*$"),
                    "schemata": _strings(),
                    "enableMonitoring": _bool(),
                }
            ),
            "memoryPolicy": _obj(
                {
                    "mode": _enum(C.MEMORY_POLICY_MODES),
                    "nodes": _str(pattern=CPU_LIST_PATTERN),
                    "flags": _arr(_enum(C.MEMORY_POLICY_FLAGS)),
                },
                ("mode",),
            ),
            "sysctl": _map(_str()),
            "seccomp": _seccomp(),
            "rootfsPropagation": _enum(ROOTFS_PROPAGATION),
            "maskedPaths": _strings(),
            "readonlyPaths": _strings(),
            "mountLabel": _str(),
            "personality": _obj(
                {"domain": _enum(C.PERSONALITY_DOMAINS), "flags": _strings()}, ("domain",)
            ),
        }
    )


OTHER_PLATFORMS = ("solaris", "windows", "vm", "zos", "freebsd")


def build_schema() -> dict[str, Any]:
    """Build a fresh copy of the schema with every description filled in."""
    from bundlebench.spec.docs import DOCS

    schema = _obj(
        {
            "ociVersion": _str(),
            "root": _obj({"path": _str(), "readonly": _bool()}, ("path",)),
            "mounts": _arr(_mount()),
            "process": _process(),
            # HOST_NAME_MAX: sethostname(2) refuses longer names.
            "hostname": _str(maxLength=64),
            "domainname": _str(maxLength=64),
            "hooks": _obj({kind: _arr(_hook()) for kind in HOOK_KINDS}),
            "annotations": _map(_str()),
            "linux": _linux(),
            **{name: {"type": "object"} for name in OTHER_PLATFORMS},
        },
        ("ociVersion",),
    )
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": f"OCI runtime-spec v{SPEC_VERSION} config.json (bundlebench)",
        **schema,
    }
    schema["description"] = DOCS[""].description
    for pattern, node in iter_nodes(schema):
        doc = DOCS.get(pattern)
        if doc is not None and pattern:
            node["title"] = doc.title
            node["description"] = doc.description
    return schema


@functools.cache
def _cached_schema() -> dict[str, Any]:
    return build_schema()


def load_schema() -> dict[str, Any]:
    """Return our JSON schema for config.json (cached; do not mutate it)."""
    return _cached_schema()


@functools.cache
def load_validator() -> Any:
    """Return a ready jsonschema validator for config.json (cached).

    Use this rather than wrapping load_schema() yourself: it treats 1.0 as a
    number but not an integer, as the Go runtimes that read config.json do.
    """
    import jsonschema

    base = jsonschema.Draft202012Validator
    checker = base.TYPE_CHECKER.redefine("integer", _is_strict_integer)
    validator_class = jsonschema.validators.extend(base, type_checker=checker)
    return validator_class(load_schema(), format_checker=None)


def _is_strict_integer(_checker: Any, instance: Any) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


def iter_nodes(node: dict[str, Any], pattern: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (pattern, subschema) for the root and every field below it.

    Patterns are JSON Pointers with "*" for any array index or map key.
    """
    yield pattern, node
    for name, child in node.get("properties", {}).items():
        yield from iter_nodes(child, f"{pattern}/{escape(name)}")
    for key in ("items", "additionalProperties"):
        child = node.get(key)
        if isinstance(child, dict):
            yield from iter_nodes(child, f"{pattern}/*")


def child_nodes(node: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Return (token, subschema) for the direct children of a schema node."""
    children = list(node.get("properties", {}).items())
    for key in ("items", "additionalProperties"):
        child = node.get(key)
        if isinstance(child, dict):
            children.append(("*", child))
    return children


def resolve(pointer: str) -> tuple[str, dict[str, Any]] | None:
    """Map a concrete pointer ("/linux/namespaces/2/type") to (pattern, subschema).

    Array indices and map keys match "*"; "*" itself is accepted too. Returns
    None when the pointer leads outside the schema.
    """
    tokens = split_pointer(pointer)
    if tokens is None:
        return None
    node = load_schema()
    pattern = ""
    for token in tokens:
        properties = node.get("properties", {})
        if token in properties:
            node, step = properties[token], escape(token)
        elif node.get("type") == "array" and (token == "*" or _is_index(token)):
            node, step = node["items"], "*"
        elif isinstance(node.get("additionalProperties"), dict):
            node, step = node["additionalProperties"], "*"
        else:
            return None
        pattern += "/" + step
    return pattern, node


def split_pointer(pointer: str) -> list[str] | None:
    """Split a JSON Pointer into unescaped tokens; None when it is malformed."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        return None
    return [unescape(token) for token in pointer[1:].split("/")]


def escape(token: str) -> str:
    """Escape one JSON Pointer token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    """Undo escape()."""
    return token.replace("~1", "/").replace("~0", "~")


def _is_index(token: str) -> bool:
    return token.isdigit() and (token == "0" or not token.startswith("0"))
