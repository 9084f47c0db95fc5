"""Container id validation."""

from __future__ import annotations

from runtime.errors import RuntimeFailure

_ALLOWED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+.-")
MAX_ID_LENGTH = 255  # NAME_MAX: the id names a state dir and a cgroup dir


def validate_id(container_id: str) -> str:
    """Return the id when it is usable as one path component; raise RuntimeFailure if not."""
    if not container_id:
        raise RuntimeFailure("container id is empty: give an id such as 'web1'")
    if container_id in (".", ".."):
        raise RuntimeFailure(f"container id {container_id!r} is not allowed")
    if len(container_id) > MAX_ID_LENGTH:
        raise RuntimeFailure(f"container id is longer than {MAX_ID_LENGTH} characters")
    bad = sorted({c for c in container_id if c not in _ALLOWED})
    if bad:
        raise RuntimeFailure(
            f"container id {container_id!r} contains {''.join(bad)!r}: "
            "use only letters, digits and _ + . -")
    return container_id
