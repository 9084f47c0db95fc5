"""Device access rules: linux.resources.devices plus the runtime's defaults.

The effective list is, in order: the config's rules, then the devices every container
needs (runc 1.1's list: null, zero, full, tty, random, urandom, the pty devices, tun,
and mknod of any node; /dev/console is a bind mount of a pty, so 136:* covers it), then
an allow rule for each node of linux.devices. Later rules win, as in the kernel's v1
devices controller and in the eBPF filter of v2.
"""

from __future__ import annotations

from runtime.errors import RuntimeFailure
from runtime.linux.constants import CGROUP_DEVICE_TYPES

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any

WILDCARD = -1


class Rule:
    """One device rule: type a/c/b, major and minor (-1 = any), access from 'rwm'."""

    __slots__ = ("allow", "type", "major", "minor", "access")

    def __init__(self, allow: bool, type: str = "a", major: int = WILDCARD,
                 minor: int = WILDCARD, access: str = "rwm") -> None:
        self.allow = allow
        self.type = type
        self.major = major
        self.minor = minor
        self.access = access

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Rule) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple[bool, str, int, int, str]:
        return (self.allow, self.type, self.major, self.minor, self.access)

    def __repr__(self) -> str:
        return f"Rule({'allow' if self.allow else 'deny'} {self.v1_line()})"

    @property
    def is_all(self) -> bool:
        """A rule about every device: it sets the default instead of an exception."""
        return self.type == "a"

    def v1_line(self) -> str:
        """The text for devices.allow / devices.deny ('c 1:3 rwm', 'a')."""
        if self.is_all:
            return "a"
        major = "*" if self.major == WILDCARD else str(self.major)
        minor = "*" if self.minor == WILDCARD else str(self.minor)
        return f"{self.type} {major}:{minor} {self.access}"


# (type, major, minor, access) of the devices every container gets.
DEFAULT_ALLOWED: tuple[tuple[str, int, int, str], ...] = (
    ("c", WILDCARD, WILDCARD, "m"),
    ("b", WILDCARD, WILDCARD, "m"),
    ("c", 1, 3, "rwm"),      # /dev/null
    ("c", 1, 8, "rwm"),      # /dev/random
    ("c", 1, 7, "rwm"),      # /dev/full
    ("c", 5, 0, "rwm"),      # /dev/tty
    ("c", 1, 5, "rwm"),      # /dev/zero
    ("c", 1, 9, "rwm"),      # /dev/urandom
    ("c", 136, WILDCARD, "rwm"),  # /dev/pts/*
    ("c", 5, 2, "rwm"),      # /dev/ptmx
    ("c", 10, 200, "rwm"),   # /dev/net/tun
)


def parse_rule(raw: Any, index: int) -> Rule:
    """One entry of linux.resources.devices; errors name the entry."""
    where = f"linux.resources.devices[{index}]"
    if not isinstance(raw, dict) or not isinstance(raw.get("allow"), bool):
        raise RuntimeFailure(f"{where} needs \"allow\": true or false")
    kind = raw.get("type") or "a"
    if kind not in CGROUP_DEVICE_TYPES:
        raise RuntimeFailure(f"{where}.type {kind!r} is not a, b or c")
    numbers = []
    for key in ("major", "minor"):
        value = raw.get(key)
        if value is None:
            numbers.append(WILDCARD)
        elif isinstance(value, int) and not isinstance(value, bool) and value >= -1:
            numbers.append(value)
        else:
            raise RuntimeFailure(f"{where}.{key} {value!r} is not a device number")
    access = raw.get("access") or "rwm"
    if not isinstance(access, str) or not access or set(access) - set("rwm") or \
            len(set(access)) != len(access):
        raise RuntimeFailure(f"{where}.access {access!r} must be letters from 'rwm'")
    # Keep r, w, m order for stable output.
    access = "".join(c for c in "rwm" if c in access)
    return Rule(raw["allow"], kind, numbers[0], numbers[1], access)


def effective_rules(config: dict[str, Any]) -> list[Rule]:
    """The rules to apply for a config: its own, then the defaults, then linux.devices."""
    linux = config.get("linux") or {}
    resources = linux.get("resources") or {}
    rules = [parse_rule(raw, i) for i, raw in enumerate(resources.get("devices") or [])]
    rules += [Rule(True, t, ma, mi, acc) for t, ma, mi, acc in DEFAULT_ALLOWED]
    for node in linux.get("devices") or []:
        kind = node.get("type")
        if kind in ("c", "u"):
            kind = "c"
        elif kind != "b":
            continue  # fifos are not subject to the devices controller
        try:
            rules.append(Rule(True, kind, int(node["major"]), int(node["minor"]), "rwm"))
        except (KeyError, TypeError, ValueError):
            continue
    return rules


def default_allows(rules: list[Rule]) -> bool:
    """Whether devices not named by any exception are allowed (the last 'all' rule says)."""
    allow = True
    for rule in rules:
        if rule.is_all:
            allow = rule.allow
    return allow


def v1_writes(rules: list[Rule]) -> list[tuple[str, str]]:
    """(file, line) pairs for the v1 devices controller, in order.

    Default deny first: the cgroup starts as "deny all" unless the rules make it
    "allow all", then the exceptions follow in the config's order.
    """
    writes: list[tuple[str, str]] = []
    start = 0
    last_all = max((i for i, r in enumerate(rules) if r.is_all), default=-1)
    if last_all >= 0:
        writes.append(("devices.allow" if rules[last_all].allow else "devices.deny", "a"))
        start = last_all + 1
    else:
        writes.append(("devices.deny", "a"))
    for rule in rules[start:]:
        writes.append(("devices.allow" if rule.allow else "devices.deny", rule.v1_line()))
    return writes
