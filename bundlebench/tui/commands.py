"""The command palette provider: one command per action of the app and the screen."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode

# The system provider already offers these; listing them twice would only add noise.
SYSTEM_ACTIONS = {"quit", "command_palette", "change_theme", "help_quit"}
SCREENS = (("rootfs", "Browse the root filesystem"),
           ("config", "Edit config.json with live validation"),
           ("containers", "Launch the bundle, attach to it, inspect and trace it"),
           ("lessons", "Guided lessons: an edit, a check in a container, the kernel's part"))
# Making bundles: app actions without a key, so they are listed here.
MAKE = (("New bundle from rootfs tarball…", "new_bundle",
         "Extract a rootfs tarball safely into a new bundle with the default config.json"),
        ("Unpack OCI image or docker archive…", "unpack_image",
         "Verify and apply an image's layers into a new bundle, its config converted"),
        ("Write default config.json…", "write_default_config",
         "What `bundlebench spec` writes (rootless when you are not root), atomically"))


@dataclass(frozen=True)
class PaletteCommand:
    """One palette entry: run ``action`` on ``node``."""

    title: str
    help: str
    action: str
    node: DOMNode


def palette_commands(screen: Any) -> Iterator[PaletteCommand]:
    """A command for every described, shown binding active on ``screen``, and the screens."""
    app = screen.app
    for mode, help_text in SCREENS:
        yield PaletteCommand(f"Screen: {mode}", help_text, f"switch_to({mode!r})", app)
    for title, action, help_text in MAKE:
        yield PaletteCommand(title, help_text, action, app)
    seen: set[tuple[int, str]] = set()
    for active in screen.active_bindings.values():
        binding = active.binding
        action = binding.action
        if not binding.description or not binding.show or action.startswith("switch_to("):
            continue
        if action.split("(")[0] in SYSTEM_ACTIONS or (id(active.node), action) in seen:
            continue
        seen.add((id(active.node), action))
        key = app.get_key_display(binding)
        yield PaletteCommand(binding.description,
                             f"{binding.tooltip or binding.description}  [key: {key}]",
                             action, active.node)


class BundlebenchCommands(Provider):
    """Commands built from the live bindings, so a new binding is in the palette at once."""

    def _entries(self) -> list[tuple[PaletteCommand, Any]]:
        run = self.app.run_action
        return [(command, partial(run, command.action, command.node))
                for command in palette_commands(self.screen)]

    async def discover(self) -> Hits:
        for command, callback in self._entries():
            yield DiscoveryHit(command.title, callback, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command, callback in self._entries():
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(score, matcher.highlight(command.title), callback, help=command.help)
