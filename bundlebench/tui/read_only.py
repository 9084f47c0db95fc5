"""Read-only classroom mode: which actions it refuses, and the sentence that says so.

The app refuses these by name in ``run_action`` (every key and palette command goes
through it); the few places that act without an action (a button's message, a row
chosen with enter, the quit dialog's save) call ``refused`` themselves. Screens dim the
keys in their footer with ``dimmed``. Editing the config in memory stays allowed: the
class can try a change and see it validated, it is only never written.
"""

from __future__ import annotations

from typing import Any

_LAUNCH = "Read-only classroom mode: launching containers is off."
_WRITE = "Read-only classroom mode: saving and writing files is off."
_CONTROL = "Read-only classroom mode: changing containers is off."
_INPUT = "Read-only classroom mode: typing into containers (attach, exec) is off."

REFUSALS: dict[str, str] = {
    "launch": _LAUNCH,
    "create": _LAUNCH,
    "step_launch": _LAUNCH,
    "start": _LAUNCH,
    "check_lesson": _LAUNCH,  # a lesson's check runs in a container
    "save": _WRITE,
    "new_bundle": _WRITE,
    "unpack_image": _WRITE,
    "write_default_config": _WRITE,
    "make_rootfs": _WRITE,
    "pause": _CONTROL,
    "resume": _CONTROL,
    "kill": _CONTROL,
    "stop": _CONTROL,
    "delete": _CONTROL,
    "attach": _INPUT,
    "fullscreen": _INPUT,
    "exec_shell": _INPUT,
}


def is_read_only(node: Any) -> bool:
    """Whether the app that ``node`` belongs to (or is) runs in read-only mode."""
    app = getattr(node, "app", node)
    return bool(getattr(app, "read_only", False))


def refused(node: Any, action: str) -> bool:
    """In read-only mode, say why ``action`` is off and return True; else False."""
    sentence = REFUSALS.get(action)
    if sentence is None or not is_read_only(node):
        return False
    app = getattr(node, "app", node)
    app.notify(sentence, title="Read-only", severity="warning")
    return True


def dimmed(node: Any, action: str) -> bool:
    """Whether a screen's ``check_action`` should show ``action`` as off (return None)."""
    return action in REFUSALS and is_read_only(node)
