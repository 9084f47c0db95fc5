"""Reading linux.resources: typed access whose errors name the field, and which
controllers a resources object needs."""

from __future__ import annotations

from runtime.errors import RuntimeFailure

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any


def section(resources: dict[str, Any] | None, key: str) -> dict[str, Any]:
    value = (resources or {}).get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RuntimeFailure(f"linux.resources.{key} must be an object")
    return value


def number(obj: dict[str, Any], key: str, where: str) -> int | None:
    """An integer field, or None when absent; anything else is an error naming it."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuntimeFailure(f"{where}.{key} must be an integer, not {value!r}")
    return value


def flag(obj: dict[str, Any], key: str, where: str) -> bool | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise RuntimeFailure(f"{where}.{key} must be true or false, not {value!r}")
    return value


def text(obj: dict[str, Any], key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or "\n" in value:
        raise RuntimeFailure(f"{where}.{key} must be a one-line string, not {value!r}")
    return value


def entries(obj: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise RuntimeFailure(f"{where}.{key} must be a list of objects")
    return value


def device_numbers(entry: dict[str, Any], where: str) -> str:
    """'major:minor' of a blockIO device entry."""
    major = number(entry, "major", where)
    minor = number(entry, "minor", where)
    if major is None or minor is None or major < 0 or minor < 0:
        raise RuntimeFailure(f"{where} needs a major and a minor device number")
    return f"{major}:{minor}"


def _set(obj: dict[str, Any]) -> bool:
    # Zero and false mean "unset", as in runc, except a swappiness of 0.
    return any(v not in (None, [], {}, "", 0, False) or (k == "swappiness" and v == 0)
               for k, v in obj.items())


def needed_controllers(resources: dict[str, Any] | None) -> dict[str, str]:
    """v1 controller -> the linux.resources field that needs it (only fields really set)."""
    r = resources or {}
    need: dict[str, str] = {}
    memory = section(r, "memory")
    if _set({k: v for k, v in memory.items() if k != "checkBeforeUpdate"}):
        need["memory"] = "linux.resources.memory"
    cpu = section(r, "cpu")
    if _set({k: v for k, v in cpu.items() if k not in ("cpus", "mems")}):
        need["cpu"] = "linux.resources.cpu"
    if cpu.get("cpus") or cpu.get("mems"):
        need["cpuset"] = "linux.resources.cpu.cpus/mems"
    if section(r, "pids").get("limit") not in (None, 0):
        need["pids"] = "linux.resources.pids"
    if _set(section(r, "blockIO")):
        need["blkio"] = "linux.resources.blockIO"
    if r.get("hugepageLimits"):
        need["hugetlb"] = "linux.resources.hugepageLimits"
    network = section(r, "network")
    if network.get("classID") is not None:
        need["net_cls"] = "linux.resources.network.classID"
    if network.get("priorities"):
        need["net_prio"] = "linux.resources.network.priorities"
    return need
