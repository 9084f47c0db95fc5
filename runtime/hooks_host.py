"""The hooks that run in the runtime's process after create: poststart and poststop."""

from __future__ import annotations

import os

from runtime import state as st
from runtime.errors import RuntimeFailure


def run_host_hooks(state: st.ContainerState, kind: str, status: str) -> None:
    """poststart or poststop in P: failures are warnings on stderr."""
    config = state.config or {}
    if not (config.get("hooks") or {}).get(kind):
        return
    from runtime import hooks
    hook_state = hooks.hook_state(state.id, status, state.pid if status != st.STOPPED else 0,
                                  state.bundle, state.annotations)
    try:
        hooks.run_hooks(config, kind, hook_state)
    except RuntimeFailure as exc:  # a malformed hook list: still only a warning here
        os.write(2, f"bundlebench-runtime: warning: {exc}\n".encode())
