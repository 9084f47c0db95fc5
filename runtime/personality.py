"""linux.personality: the execution domain (LINUX, LINUX32) and flags, via personality(2).

Call ``apply`` in the container init after pivot_root and before the seccomp filter is
loaded (a profile may forbid personality(2)); it holds across execve.
"""

from __future__ import annotations

from runtime.errors import RuntimeFailure
from runtime.linux import seam
from runtime.linux.constants import PERSONALITY_DOMAINS
from runtime.trace import NULL_TRACER, Tracer

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any


# Flag bits of <linux/personality.h>. runtime-spec defines no flag names yet; these are
# accepted by their kernel names.
PERSONALITY_FLAGS: dict[str, int] = {
    "UNAME26": 0x0020000,
    "ADDR_NO_RANDOMIZE": 0x0040000,
    "FDPIC_FUNCPTRS": 0x0080000,
    "MMAP_PAGE_ZERO": 0x0100000,
    "ADDR_COMPAT_LAYOUT": 0x0200000,
    "READ_IMPLIES_EXEC": 0x0400000,
    "ADDR_LIMIT_32BIT": 0x0800000,
    "SHORT_INODE": 0x1000000,
    "WHOLE_SECONDS": 0x2000000,
    "STICKY_TIMEOUTS": 0x4000000,
    "ADDR_LIMIT_3GB": 0x8000000,
}
QUERY = 0xFFFFFFFF


def persona(personality: dict[str, Any]) -> int:
    """The personality(2) argument for linux.personality; RuntimeFailure names bad input."""
    if not isinstance(personality, dict):
        raise RuntimeFailure("linux.personality must be an object with a domain")
    domain = personality.get("domain")
    if domain not in PERSONALITY_DOMAINS:
        raise RuntimeFailure(f"linux.personality.domain {domain!r} must be one of "
                             f"{', '.join(PERSONALITY_DOMAINS)}")
    value = PERSONALITY_DOMAINS[domain]
    for i, name in enumerate(personality.get("flags") or []):
        if name not in PERSONALITY_FLAGS:
            raise RuntimeFailure(f"linux.personality.flags[{i}] {name!r} is not a personality "
                                 f"flag such as ADDR_NO_RANDOMIZE")
        value |= PERSONALITY_FLAGS[name]
    return value


def current() -> int:
    """This process's personality."""
    return seam.kernel().personality(QUERY)


def apply(config: dict[str, Any], tracer: Tracer = NULL_TRACER) -> int | None:
    """Set linux.personality when present; returns the value set, or None."""
    personality = (config.get("linux") or {}).get("personality")
    if personality is None:
        return None
    return set_value(persona(personality), tracer, personality.get("domain"))


def set_value(value: int, tracer: Tracer = NULL_TRACER, domain: Any = None) -> int:
    """personality(value), as the plan decided it."""
    try:
        seam.traced(tracer).personality(value, text=f"personality({value:#x})")
    except OSError as exc:
        raise RuntimeFailure(f"linux.personality {domain or hex(value)} cannot be set: "
                             f"{exc.strerror}") from None
    return value
