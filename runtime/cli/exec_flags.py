"""exec --cap, with runc's meaning."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def add_caps(proc: dict[str, Any], caps: list[str]) -> None:
    """Add each cap to bounding, effective and permitted; to ambient only where inheritable
    has it (runc since CVE-2022-29162 never adds to inheritable, and an ambient cap needs
    an inheritable one)."""
    sets = dict(proc.get("capabilities") or {})
    inheritable = sets.get("inheritable") or []
    for cap in caps:
        name = cap.upper() if cap.upper().startswith("CAP_") else "CAP_" + cap.upper()
        kinds = ["bounding", "effective", "permitted"]
        if name in inheritable:
            kinds.append("ambient")
        for kind in kinds:
            current = list(sets.get(kind) or [])
            if name not in current:
                current.append(name)
            sets[kind] = current
    proc["capabilities"] = sets
