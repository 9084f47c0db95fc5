"""create's step-mode flags (our extension, not runc's); a bad one exits 1 like a usage error."""

from __future__ import annotations

from runtime.errors import RuntimeFailure

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any


def stepping(flags: dict[str, Any]) -> Any:
    """create --step [--step-timeout S] [--step-destroy], or None."""
    if not flags.get("step"):
        if "step_timeout" in flags or flags.get("step_destroy"):
            raise RuntimeFailure("--step-timeout and --step-destroy need --step")
        return None
    from runtime.step import DEFAULT_TIMEOUT, Stepping
    timeout = DEFAULT_TIMEOUT
    if "step_timeout" in flags:
        try:
            timeout = float(flags["step_timeout"])
        except ValueError:
            timeout = -1.0
        if not 0 < timeout <= 86400:
            raise RuntimeFailure(f"--step-timeout {flags['step_timeout']!r} must be a number "
                             "of seconds, more than 0 and at most 86400")
    return Stepping(timeout, bool(flags.get("step_destroy")))
