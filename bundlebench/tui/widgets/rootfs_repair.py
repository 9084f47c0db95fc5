"""What the rootfs screen shows when the rootfs cannot be browsed: why, and the way out."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Static

from bundlebench.bundle.model import RootfsTrouble
from bundlebench.untrusted import styled

ADVICE = {
    "unknown": "The config screen (2) shows config.json and what to do about it.",
    "missing": "Make one here from a rootfs tarball or an image, or point root.path at an "
               "existing rootfs on the config screen (2).",
    "not-a-directory": "Point root.path at a directory on the config screen (2), or move "
                       "what is there away.",
    "unreadable": "Open the bundle as the user who owns the rootfs, or change its mode; "
                  "the config screen (2) still works.",
    "refused": "Fix root.path on the config screen (2): name the directory itself.",
}


class RootfsRepair(Vertical):
    """The trouble in one sentence, advice, and (for a missing rootfs) ways to make one."""

    class Make(Message):
        """Make the missing rootfs from ``source``: "tarball" or "image"."""

        def __init__(self, source: str) -> None:
            super().__init__()
            self.source = source

    def __init__(self, trouble: RootfsTrouble, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.trouble = trouble

    def compose(self) -> ComposeResult:
        yield Static(Text.assemble(("✖ The rootfs cannot be shown: ", "bold"),
                                   styled(self.trouble.message)), id="repair-message")
        yield Static(ADVICE[self.trouble.kind], id="repair-advice")
        if self.trouble.can_make:
            with Horizontal(id="repair-buttons"):
                yield Button("Make it from a rootfs tarball…", variant="primary",
                             id="make-from-tarball")
                yield Button("Unpack an image into it…", id="make-from-image")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        source = "image" if event.button.id == "make-from-image" else "tarball"
        self.post_message(self.Make(source))
