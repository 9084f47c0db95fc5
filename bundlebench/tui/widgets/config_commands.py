"""Command palette entries of the config screen: the quick actions."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from runtime.linux.constants import NAMESPACES

Command = tuple[str, Callable[[], Any], str]


class ConfigCommands(Provider):
    """The config screen's quick actions, searchable by name.

    The actions that have a key (save, undo, raw JSON…) reach the palette through the
    app's provider, which lists every live binding.
    """

    def _commands(self) -> list[Command]:
        screen: Any = self.screen
        run = screen.run_action
        session = getattr(screen, "session", None)
        commands: list[Command] = [
            ("Config: make rootless", partial(run, "make_rootless"),
             "Transform the config as `runc spec --rootless` does: user namespace, "
             "your uid/gid mapped, no network namespace, /sys bind-mounted, no cgroup limits"),
            ("Config: add a mount…", partial(run, "add_mount"),
             "Append a mount (destination, source, type, options)"),
            ("Config: toggle read-only root", partial(run, "toggle_readonly_root"),
             "Flip root.readonly"),
            ("Config: set the command…", partial(run, "set_command"),
             "Set process.args from a shell-like command line"),
        ]
        present = set(screen.namespace_types()) if session is not None else set()
        for name in NAMESPACES:
            if name in present:
                commands.append((f"Config: remove the {name} namespace",
                                 partial(run, f"remove_namespace('{name}')"),
                                 f"Remove {name} from linux.namespaces"))
            else:
                commands.append((f"Config: add the {name} namespace",
                                 partial(run, f"add_namespace('{name}')"),
                                 f"Add {name} to linux.namespaces"))
        return commands

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
