"""`list`: the containers of a runtime root, as runc prints them."""

from __future__ import annotations

import os
import sys

from runtime.errors import RuntimeFailure

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def list_containers(store: Any, flags: dict[str, Any]) -> int:
    """`list`: a table (runc's columns, OWNER included), ids only (-q), or JSON."""
    from runtime.status import state_dict
    fmt = flags.get("format") or "table"  # table or json: checked by the caller
    states = []
    for container_id in store.ids():
        try:
            state = state_dict(store, container_id)
        except RuntimeFailure:
            continue
        state["owner"] = state.get("owner") or _owner(store.path(container_id))
        states.append(state)
    if flags.get("quiet"):
        for state in states:
            print(state["id"])
        return 0
    if fmt == "json":
        from runtime.jsonlite import dumps
        sys.stdout.write(dumps(states) + "\n")
        return 0
    rows = [("ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER")]
    rows += [(s["id"], str(s["pid"]), s["status"], s["bundle"], s["created"], s["owner"])
             for s in states]
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    for row in rows:
        print("".join(cell.ljust(widths[i] + 4) if i < 5 else cell
                      for i, cell in enumerate(row)).rstrip())
    return 0


def _owner(directory: str) -> str:
    """The state dir's owner, by name from the host's passwd, else the uid (as runc)."""
    try:
        uid = os.stat(directory).st_uid
    except OSError:
        return ""
    import pwd
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)
