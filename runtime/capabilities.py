"""Capability sets of the container process: bounding, effective, permitted,
inheritable and ambient, applied across the uid change as runc does."""

from __future__ import annotations

from runtime.errors import RuntimeFailure
from runtime.linux import libc, seam
from runtime.linux.constants import CAPABILITIES
from runtime.trace import NULL_TRACER, Tracer

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any

SETS = ("bounding", "effective", "permitted", "inheritable", "ambient")


def masks(capabilities: dict[str, Any] | None) -> dict[str, int]:
    """Bit masks per set; an absent process.capabilities means every set empty."""
    result = {}
    for name in SETS:
        mask = 0
        for cap in (capabilities or {}).get(name) or []:
            if cap not in CAPABILITIES:
                raise RuntimeFailure(f"process.capabilities.{name}: {cap!r} is not a "
                                     "capability")
            mask |= 1 << CAPABILITIES[cap]
        result[name] = mask
    return result


def last_cap() -> int:
    try:
        with open("/proc/sys/kernel/cap_last_cap") as handle:
            return int(handle.read())
    except OSError:
        return max(CAPABILITIES.values())


def drop_bounding(bounding: int, tracer: Tracer = NULL_TRACER) -> None:
    """Drop every capability not in bounding from the bounding set (needs CAP_SETPCAP).

    One trace step for the whole set: dropping one that is already gone is a no-op."""
    dropped = [cap for cap in range(last_cap() + 1) if not bounding & (1 << cap)]
    if dropped:
        names = {number: name for name, number in CAPABILITIES.items()}
        listed = ", ".join(names.get(cap, str(cap)) for cap in dropped)
        tracer.call("capabilities", f"prctl(PR_CAPBSET_DROP, cap) for each of {listed}",
                    _drop_each, dropped)


def _drop_each(caps: list[int]) -> None:
    kernel = seam.kernel()
    for cap in caps:
        kernel.prctl(libc.PR_CAPBSET_DROP, cap)


def apply_sets(sets: dict[str, int], tracer: Tracer = NULL_TRACER) -> None:
    """capset the three process sets, then raise the ambient ones."""
    permitted = sets["permitted"]
    seam.traced(tracer).capset(sets["effective"] & permitted, permitted, sets["inheritable"])
    kernel = seam.kernel()
    kernel.prctl(libc.PR_CAP_AMBIENT, libc.PR_CAP_AMBIENT_CLEAR_ALL)
    for cap in range(last_cap() + 1):
        if sets["ambient"] & (1 << cap):
            try:  # noqa: SIM105 (no contextlib on the start path)
                kernel.prctl(libc.PR_CAP_AMBIENT, libc.PR_CAP_AMBIENT_RAISE, cap)
            except OSError:
                pass  # runc ignores ambient caps that are not also permitted+inheritable
