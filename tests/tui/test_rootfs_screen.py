"""The rootfs screen driven through Pilot: tree, details, previews, goto, size.

The filter, directory links and the size column have their own test_rootfs_*.py.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from bundlebench.tui.app import BundlebenchApp
from bundlebench.tui.screens.goto import GotoScreen
from bundlebench.tui.screens.rootfs import RootfsScreen
from bundlebench.tui.widgets.rootfs_tree import RootfsTree
from tests.tui.helpers import SIZE, fixed_validator, screen_text, settle


def run(coro) -> None:
    asyncio.run(coro)


def app_for(bundle: Path) -> BundlebenchApp:
    return BundlebenchApp(bundle, validator=fixed_validator())


def rootfs_screen(app: BundlebenchApp) -> RootfsScreen:
    assert isinstance(app.screen, RootfsScreen)
    return app.screen


async def goto(pilot, app: BundlebenchApp, path: str) -> None:
    await pilot.press("g")
    await pilot.pause()
    assert isinstance(app.screen, GotoScreen)
    app.screen.query_one("#goto-input").value = path
    await pilot.press("enter")
    await settle(pilot, app)


def test_start_shows_the_root_directory_sorted(bundle: Path) -> None:
    async def scenario() -> None:
        app = app_for(bundle)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            tree = app.query_one(RootfsTree)
            names = [node.name for node in tree.rows[1:]]
            assert names[:5] == ["etc", "root", "run", "tmp", "usr"]  # directories first
            assert ".hidden-top" in names and "bin" in names
            assert tree.has_focus
            text = screen_text(app)
            assert "▼ /" in text and "▶ etc/" in text
            assert "bin → usr/bin" in text

    run(scenario())


def test_keyboard_navigation_expands_and_collapses(bundle: Path) -> None:
    async def scenario() -> None:
        app = app_for(bundle)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            tree = app.query_one(RootfsTree)
            await pilot.press("down")
            assert tree.cursor_node.path == "/etc"
            await pilot.press("right")
            await settle(pilot, app)
            assert tree.cursor_node.expanded
            assert "/etc/profile" in [n.path for n in tree.rows]
            await pilot.press("right")
            assert tree.cursor_node.parent.path == "/etc"
            await pilot.press("left")  # from a child: back to the parent
            assert tree.cursor_node.path == "/etc"
            await pilot.press("left")  # collapse
            assert not tree.cursor_node.expanded
            assert "/etc/profile" not in [n.path for n in tree.rows]
            await pilot.press("enter")
            await settle(pilot, app)
            assert tree.cursor_node.expanded
            await pilot.press("end")
            assert tree.cursor == len(tree.rows) - 1
            await pilot.press("home")
            assert tree.cursor == 0

    run(scenario())


def test_mouse_selects_and_opens(bundle: Path) -> None:
    async def scenario() -> None:
        app = app_for(bundle)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            tree = app.query_one(RootfsTree)
            row = [n.path for n in tree.rows].index("/usr")
            await pilot.click(RootfsTree, offset=(8, row + 1))  # +1: the border
            assert tree.cursor_node.path == "/usr"
            await pilot.click(RootfsTree, offset=(8, row + 1))  # again: opens it
            await settle(pilot, app)
            assert tree.cursor_node.expanded

    run(scenario())


def test_a_large_directory_loads_completely(tmp_path: Path) -> None:
    from tests.tui.bundles import build_bundle

    bundle = build_bundle(tmp_path / "b", many=5000)

    async def scenario() -> None:
        app = app_for(bundle)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            tree = app.query_one(RootfsTree)
            assert await tree.reveal("/var/many/item-4999.log")
            many = tree.cursor_node.parent
            assert len(many.children) == 5000
            assert tree.cursor_node.name == "item-4999.log"
            assert "item-4999.log" in screen_text(app)  # scrolled into view

    run(scenario())


def test_details_show_owner_names_from_the_rootfs(bundle: Path) -> None:
    async def scenario() -> None:
        app = app_for(bundle)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            await goto(pilot, app, "/usr/bin/greet.py")
            text = screen_text(app)
            assert "builder (" in text and "builders (" in text
            assert "-rwxr-xr-x" in text and "2024-01-02 03:04:05 +0000" in text
            assert "Links" in text

    run(scenario())


def test_text_preview_is_highlighted(bundle: Path) -> None:
    async def scenario() -> None:
        app = app_for(bundle)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            await goto(pilot, app, "/usr/bin/greet.py")
            text = screen_text(app)
            assert 'def greet(name: str) -> str:' in text
            await goto(pilot, app, "/etc/profile")
            assert "export PATH=/usr/local/bin" in screen_text(app)

    run(scenario())


def test_binary_preview_shows_hex_and_elf(bundle: Path) -> None:
    async def scenario() -> None:
        app = app_for(bundle)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            await goto(pilot, app, "/usr/bin/tool")
            text = screen_text(app)
            assert "ELF 64-bit LSB, executable, x86-64" in text
            assert "interpreter: /lib/ld-musl-x86_64.so.1" in text
            assert "00000000  7f 45 4c 46" in text

    run(scenario())


def test_fifo_is_described_not_opened(bundle: Path) -> None:
    async def scenario() -> None:
        app = app_for(bundle)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            await goto(pilot, app, "/run/pipe")
            text = screen_text(app)
            assert "fifo" in text and "not opened" in text
            await goto(pilot, app, "/etc/pipe-link")  # a link to it: still not opened
            assert "not opened" in screen_text(app)
            await goto(pilot, app, "/usr/share/empty.txt")
            assert "(empty file)" in screen_text(app)

    run(scenario())


def test_goto_resolves_links_inside_the_rootfs(bundle: Path) -> None:
    async def scenario() -> None:
        app = app_for(bundle)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            tree = app.query_one(RootfsTree)
            await goto(pilot, app, "/bin/greet.py")  # /bin -> usr/bin
            assert tree.cursor_node.path == "/usr/bin/greet.py"
            await goto(pilot, app, "../share/empty.txt")  # relative to /usr/bin
            assert tree.cursor_node.path == "/usr/share/empty.txt"
            await goto(pilot, app, "/no/such/thing")
            assert tree.cursor_node.path == "/usr/share/empty.txt"
            assert any("does not exist" in n.message for n in app._notifications)

    run(scenario())


def test_hidden_files_toggle(bundle: Path) -> None:
    async def scenario() -> None:
        app = app_for(bundle)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            tree = app.query_one(RootfsTree)
            assert "/.hidden-top" in [n.path for n in tree.rows]
            await pilot.press("full_stop")
            assert "/.hidden-top" not in [n.path for n in tree.rows]
            await pilot.press("full_stop")
            assert "/.hidden-top" in [n.path for n in tree.rows]

    run(scenario())


def test_directory_size_on_demand(bundle: Path) -> None:
    async def scenario() -> None:
        app = app_for(bundle)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            await goto(pilot, app, "/var/many")
            await pilot.press("s")
            await settle(pilot, app)
            progress = rootfs_screen(app).sizes["/var/many"]
            assert progress.done and progress.files == 300
            assert "in 300 files" in screen_text(app)

    run(scenario())


def test_directory_size_can_be_cancelled(bundle: Path) -> None:
    async def scenario() -> None:
        app = app_for(bundle)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            screen = rootfs_screen(app)
            await pilot.press("s")
            await pilot.press("escape")
            await settle(pilot, app)
            progress = screen.sizes.get("/")
            assert progress is None or progress.done  # cancelled, or done before the key

    run(scenario())


def test_highlighting_follows_the_file_name() -> None:
    from bundlebench.bundle.preview import Preview
    from bundlebench.tui.widgets.preview import highlight

    python = highlight(Preview("/usr/bin/greet.py", "text", data=b"def f():\n    return 1\n"))
    keyword = next(span for span in python.spans if python.plain[span.start:span.end] == "def")
    assert keyword.style.color is not None
    plain = highlight(Preview("/etc/hostname", "text", data=b"host\n"))
    assert plain.plain == "host"


def test_reading_progress_shows_under_the_directory(bundle: Path) -> None:
    async def scenario() -> None:
        app = app_for(bundle)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            tree = app.query_one(RootfsTree)
            usr = next(node for node in tree.root.children if node.name == "usr")
            usr.expanded = usr.loading = True  # as while its worker reads it
            tree._splice_children(usr)
            tree._progress(usr, 26_000)
            index = tree.rows.index(usr)
            assert tree.rows[index + 1].status == "reading… 26,000 entries"
            await pilot.pause()
            text = screen_text(app)
            assert "▼ usr/" in text and "reading… 26,000 entries" in text

    run(scenario())


def test_an_unreadable_directory_says_why(bundle: Path) -> None:
    async def scenario() -> None:
        app = app_for(bundle)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            tree = app.query_one(RootfsTree)
            real = tree.rootfs.iter_dir

            def failing(path: str = "/"):
                if path == "/usr":
                    raise PermissionError(13, "Permission denied")
                return real(path)

            tree.rootfs.iter_dir = failing  # type: ignore[method-assign]
            usr = next(node for node in tree.root.children if node.name == "usr")
            await tree.expand_node(usr)  # returns: the read failed, it did not hang
            await settle(pilot, app)
            assert usr.error == "/usr cannot be listed: Permission denied"
            assert "cannot be listed" in screen_text(app)

    run(scenario())
