"""A hostile rootfs: links to host files, ../.. chains, loops, magic links, fifos.

Nothing from the host may show up, and nothing may hang (pytest-timeout guards that).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bundlebench.tui.app import BundlebenchApp
from bundlebench.tui.widgets.rootfs_tree import RootfsTree
from tests.tui.helpers import SIZE, fixed_validator, screen_text, settle

LINKS = ["/etc/host-shadow", "/etc/climb", "/etc/dangling", "/etc/loop-a", "/etc/proc-root",
         "/hostetc", "/etc/pipe-link"]


def host_secrets() -> list[str]:
    """Lines of host files that the hostile links point at (those we can read)."""
    secrets = []
    for path in ("/etc/hostname", "/etc/passwd", "/etc/shadow"):
        try:
            first = Path(path).read_text().splitlines()[0].strip()
        except (OSError, IndexError, UnicodeDecodeError):
            continue
        if len(first) >= 6:
            secrets.append(first)
    return secrets


@pytest.mark.timeout(60)
def test_nothing_from_the_host_shows_and_nothing_hangs(bundle: Path) -> None:
    secrets = host_secrets()

    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            tree = app.query_one(RootfsTree)
            screen = app.screen
            seen: dict[str, str] = {}
            for path in LINKS:
                assert await tree.reveal(path), path
                await settle(pilot, app)
                text = screen_text(app)
                seen[path] = text
                for secret in secrets:
                    assert secret not in text, f"{path} showed host data"
            # Absolute and climbing links resolve to the rootfs's own files.
            assert "rootfs-own-shadow" in seen["/etc/host-shadow"]
            assert "rootfs-own-hostname" in seen["/etc/climb"]
            assert "escapes" in seen["/etc/climb"]
            assert "(dangling)" in seen["/etc/dangling"]
            assert "(loop)" in seen["/etc/loop-a"]
            assert "not opened" in seen["/etc/pipe-link"]
            # Following /hostetc leads to the rootfs's /etc, never the host's.
            screen.goto("/hostetc/hostname")
            await settle(pilot, app)
            assert tree.cursor_node.path == "/etc/hostname"
            assert "rootfs-own-hostname" in screen_text(app)
            # A search over the whole rootfs does not follow links out of it.
            screen.start_search("passwd")
            await settle(pilot, app)
            assert [node.path for node in tree.rows if node.matched] == ["/etc/passwd"]
            await pilot.press("escape")  # the whole tree again
            # The size walk does not follow links either.
            tree.move_cursor_to(tree.root)
            await pilot.press("s")
            await settle(pilot, app)
            assert screen.sizes["/"].done

    asyncio.run(scenario())
