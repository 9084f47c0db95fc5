"""Value conversions between the runtime-spec (cgroup v1 semantics) and cgroup v2 files.

The formulas are the ones crun documents (and runc uses): linear maps between ranges.
"""

from __future__ import annotations

from runtime.errors import RuntimeFailure

SHARES_MIN, SHARES_MAX = 2, 262144
WEIGHT_MIN, WEIGHT_MAX = 1, 10000
BLKIO_WEIGHT_MIN, BLKIO_WEIGHT_MAX = 10, 1000
MAX = "max"


def shares_to_weight(shares: int) -> int:
    """cpu.shares [2, 262144] -> cpu.weight [1, 10000]; 0 means unset and stays 0."""
    if shares == 0:
        return 0
    shares = min(max(shares, SHARES_MIN), SHARES_MAX)
    return 1 + ((shares - 2) * 9999) // 262142


def blkio_weight_to_io_weight(weight: int) -> int:
    """blkio.weight [10, 1000] -> io.weight [1, 10000]; 0 means unset and stays 0."""
    if weight == 0:
        return 0
    weight = min(max(weight, BLKIO_WEIGHT_MIN), BLKIO_WEIGHT_MAX)
    return 1 + ((weight - 10) * 9999) // 990


def swap_v1_to_v2(swap: int | None, memory: int | None) -> int | None:
    """memory.swap.max from the spec's memory.swap (memory+swap) and memory.limit.

    Returns None to leave swap alone, -1 for "max", else the swap-only byte count.
    """
    limit = memory or 0
    if swap is None or swap == 0:
        # Unlimited memory and no swap limit: unlimited swap too, as on v1.
        return -1 if limit == -1 else None
    if swap == -1:
        return -1
    if swap < -1:
        raise RuntimeFailure(f"linux.resources.memory.swap {swap} is invalid: use -1 for "
                             "unlimited or a byte count")
    if limit in (0, -1):
        raise RuntimeFailure("linux.resources.memory.swap needs linux.resources.memory.limit "
                             "on cgroup v2 (swap there is counted apart from memory)")
    if swap < limit:
        raise RuntimeFailure(f"linux.resources.memory.swap ({swap}) is memory+swap and must "
                             f"be at least linux.resources.memory.limit ({limit})")
    return swap - limit


def limit_text(value: int | None) -> str | None:
    """A byte or count limit as a v2 file wants it: -1 -> 'max'; None stays None."""
    if value is None:
        return None
    return MAX if value < 0 else str(value)


def cpu_max(quota: int | None, period: int | None) -> str | None:
    """cpu.max from cfs quota and period ("max 100000"); None when neither is set."""
    if not quota and not period:
        return None
    text = str(quota) if quota and quota > 0 else MAX
    if period:
        text += f" {period}"
    return text


def parse_max(text: str) -> int:
    """A v2 value that may read 'max' -> int, with 'max' as 2**64-1 (runc's convention)."""
    text = text.strip()
    if text == MAX:
        return 2**64 - 1
    return int(text)


def hugepage_size_name(kib: int) -> str:
    """Kernel hugepage size in KiB -> the name the cgroup files use ('2MB', '1GB', '64KB')."""
    for unit, size in (("GB", 1 << 20), ("MB", 1 << 10)):
        if kib >= size and kib % size == 0:
            return f"{kib // size}{unit}"
    return f"{kib}KB"
