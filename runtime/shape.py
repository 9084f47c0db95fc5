"""The JSON types of every config.json field the runtime reads, checked before use.

A wrong type anywhere becomes one sentence with the field's pointer (the validator's
words: "process.oomScoreAdj must be an integer, not a string"), never a TypeError in
the middle of a container's setup. Fields the runtime does not read are not looked at:
the schema in `bundlebench.spec` judges those.

A spec is a leaf (a `Kind`), a dict of fields (an object; other keys are allowed),
`[spec]` (an array of spec), or `Map(spec)` (an object whose every value is spec).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "a string",
          list: "an array", dict: "an object", type(None): "null"}


def json_type_name(value: Any) -> str:
    """'an integer', 'a string', 'true or false', ... as the validator says them."""
    if isinstance(value, bool):
        return "a boolean"
    return _NAMES.get(type(value), "a value")


def field_label(tokens: list[Any]) -> str:
    """A field path as people write it: process.args[0], linux.sysctl["net.ipv4.x"]."""
    text = ""
    for token in tokens:
        if isinstance(token, int):
            text += f"[{token}]"
        elif text and ("." in token or "/" in token or not token):
            text += f"[{token!r}]"
        else:
            text += ("." if text else "") + token
    return text or "the config"


def json_pointer(tokens: list[Any]) -> str:
    return "".join("/" + str(t).replace("~", "~0").replace("/", "~1") for t in tokens)


class Kind:
    """A leaf: a JSON type, and for integers an inclusive range."""

    __slots__ = ("name", "low", "high")

    def __init__(self, name: str, low: int | None = None, high: int | None = None) -> None:
        self.name = name
        self.low = low
        self.high = high

    def fits(self, value: Any) -> bool:
        if self.name == "integer":
            return isinstance(value, int) and not isinstance(value, bool)
        if self.name == "number":
            return isinstance(value, (int, float)) and not isinstance(value, bool)
        if self.name == "string":
            return isinstance(value, str)
        return isinstance(value, bool)

    @property
    def said(self) -> str:
        return {"integer": "an integer", "number": "a number", "string": "a string",
                "boolean": "true or false"}[self.name]


class Map:
    """An object whose keys are free and whose values all follow one spec."""

    __slots__ = ("values",)

    def __init__(self, values: Any) -> None:
        self.values = values


STR, BOOL, NUM, INT = Kind("string"), Kind("boolean"), Kind("number"), Kind("integer")
U32 = Kind("integer", 0, (1 << 32) - 1)
I64 = Kind("integer", -(1 << 63), (1 << 63) - 1)
U64 = Kind("integer", 0, (1 << 64) - 1)
STRS = [STR]
ID_MAP = {"containerID": U32, "hostID": U32, "size": U32}
HOOK = {"path": STR, "args": STRS, "env": STRS, "timeout": INT}
THROTTLE = [{"major": I64, "minor": I64, "rate": U64}]

SPEC: dict[str, Any] = {
    "ociVersion": STR,
    "hostname": STR,
    "domainname": STR,
    "root": {"path": STR, "readonly": BOOL},
    "annotations": Map(STR),
    "mounts": [{"destination": STR, "source": STR, "type": STR, "options": STRS,
                "uidMappings": [ID_MAP], "gidMappings": [ID_MAP]}],
    "hooks": Map([HOOK]),
    "process": {
        "terminal": BOOL, "consoleSize": {"height": U32, "width": U32},
        "cwd": STR, "env": STRS, "args": STRS, "commandLine": STR,
        "user": {"uid": U32, "gid": U32, "umask": U32, "additionalGids": [U32],
                 "username": STR},
        "capabilities": {name: STRS for name in
                         ("bounding", "effective", "inheritable", "permitted", "ambient")},
        "rlimits": [{"type": STR, "soft": U64, "hard": U64}],
        "noNewPrivileges": BOOL, "oomScoreAdj": Kind("integer", -1000, 1000),
        "apparmorProfile": STR, "selinuxLabel": STR,
    },
    "linux": {
        "namespaces": [{"type": STR, "path": STR}],
        "uidMappings": [ID_MAP], "gidMappings": [ID_MAP],
        "timeOffsets": Map({"secs": I64, "nanosecs": U32}),
        "devices": [{"type": STR, "path": STR, "major": I64, "minor": I64,
                     "fileMode": U32, "uid": U32, "gid": U32}],
        "cgroupsPath": STR,
        "resources": {
            "devices": [{"allow": BOOL, "type": STR, "major": I64, "minor": I64,
                         "access": STR}],
            "memory": {"limit": I64, "reservation": I64, "swap": I64, "kernel": I64,
                       "kernelTCP": I64, "swappiness": U64, "disableOOMKiller": BOOL,
                       "useHierarchy": BOOL, "checkBeforeUpdate": BOOL},
            "cpu": {"shares": U64, "quota": I64, "burst": U64, "period": U64,
                    "realtimeRuntime": I64, "realtimePeriod": U64, "cpus": STR, "mems": STR,
                    "idle": I64},
            "pids": {"limit": I64},
            "blockIO": {"weight": Kind("integer", 0, 65535),
                        "leafWeight": Kind("integer", 0, 65535),
                        "weightDevice": [{"major": I64, "minor": I64, "weight": U32,
                                          "leafWeight": U32}],
                        "throttleReadBpsDevice": THROTTLE, "throttleWriteBpsDevice": THROTTLE,
                        "throttleReadIOPSDevice": THROTTLE,
                        "throttleWriteIOPSDevice": THROTTLE},
            "hugepageLimits": [{"pageSize": STR, "limit": U64}],
            "network": {"classID": U32, "priorities": [{"name": STR, "priority": U32}]},
            "rdma": Map({"hcaHandles": U32, "hcaObjects": U32}),
            "unified": Map(STR),
        },
        "rootfsPropagation": STR,
        "seccomp": {"defaultAction": STR, "defaultErrnoRet": U32, "architectures": STRS,
                    "flags": STRS, "listenerPath": STR, "listenerMetadata": STR,
                    "syscalls": [{"names": STRS, "action": STR, "errnoRet": U32,
                                  "args": [{"index": U32, "value": U64, "valueTwo": U64,
                                            "op": STR}]}]},
        "sysctl": Map(STR),
        "maskedPaths": STRS,
        "readonlyPaths": STRS,
        "mountLabel": STR,
        "personality": {"domain": STR, "flags": STRS},
    },
}

_MAX_DEPTH = 64
# Sizes no container needs, refused at once so that planning (and validate) stay fast:
# an array of the runtime's fields holds at most this many entries...
MAX_ITEMS = 10_000
# ...and a string at most what the kernel takes for one argument or variable.
MAX_STRING = 128 << 10


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def without_nulls(value: Any, depth: int = 0) -> Any:
    """The config with every object member that is null dropped: the runtime reads a
    null field as absent, as runc (Go's JSON) does, so no rule meets a None."""
    if depth > _MAX_DEPTH:
        return value
    if isinstance(value, dict):
        return {key: without_nulls(item, depth + 1) for key, item in value.items()
                if item is not None}
    if isinstance(value, list):
        return [without_nulls(item, depth + 1) for item in value]
    return value


def problems(config: Any, spec: Any = None, tokens: list[Any] | None = None
             ) -> Iterator[tuple[str, str]]:
    """(pointer, sentence) for each value of config that does not have its spec's type."""
    spec = SPEC if spec is None else spec
    tokens = [] if tokens is None else tokens
    if len(tokens) > _MAX_DEPTH:
        return
    if isinstance(spec, Kind):
        if not spec.fits(config):
            yield (json_pointer(tokens),
                   f"{field_label(tokens)} must be {spec.said}, not {json_type_name(config)}")
        elif spec.name == "string" and not _is_text(config):
            yield (json_pointer(tokens), f"{field_label(tokens)} is not UTF-8 text (it holds "
                   "an unpaired surrogate \\u escape): write the characters themselves")
        elif spec.name == "string" and len(config) > MAX_STRING:
            yield (json_pointer(tokens), f"{field_label(tokens)} is {len(config):,} characters "
                   f"long: the runtime takes at most {MAX_STRING:,}")
        elif spec.low is not None and not spec.low <= config <= spec.high:
            yield json_pointer(tokens), f"{field_label(tokens)} {config!r} is out of range"
        return
    if isinstance(spec, list):
        if not isinstance(config, list):
            yield (json_pointer(tokens),
                   f"{field_label(tokens)} must be an array, not {json_type_name(config)}")
            return
        if len(config) > MAX_ITEMS:
            yield (json_pointer(tokens), f"{field_label(tokens)} has {len(config):,} entries: "
                   f"the runtime takes at most {MAX_ITEMS:,}")
            return
        for index, item in enumerate(config):
            yield from problems(item, spec[0], [*tokens, index])
        return
    if not isinstance(config, dict):
        yield (json_pointer(tokens),
               f"{field_label(tokens)} must be an object, not {json_type_name(config)}")
        return
    if isinstance(spec, Map):
        for key, value in config.items():
            yield from problems(value, spec.values, [*tokens, key])
        return
    for key, sub in spec.items():
        if key in config and config[key] is not None:
            yield from problems(config[key], sub, [*tokens, key])
