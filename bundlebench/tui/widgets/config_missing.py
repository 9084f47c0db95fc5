"""What the config screen shows when the bundle has no config.json: an offer to write one."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Button, Static

from bundlebench.untrusted import styled


class ConfigMissing(Vertical):
    """The sentence, and a button to write the default config.json."""

    class WriteDefault(Message):
        """The user asked for the default config.json."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)

    def compose(self) -> ComposeResult:
        yield Static(id="missing-message")
        yield Static(id="missing-what")
        yield Button("Write the default config.json", variant="primary", id="write-default")

    def show(self, message: str, *, rootless: bool) -> None:
        """Say what is missing and what the button writes."""
        self.query_one("#missing-message", Static).update(styled(message))
        kind = ("rootless: a user namespace maps you to root inside, as "
                "`runc spec --rootless` writes; you are not root" if rootless
                else "for root, as `runc spec` writes")
        self.query_one("#missing-what", Static).update(
            f"The default runs sh in rootfs/ ({kind}). You are asked before it is written, "
            "and it is written atomically.")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.WriteDefault())
