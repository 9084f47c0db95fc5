"""Filter as you type: the tree itself shows the matches, debounced, in a worker."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bundlebench.tui.app import BundlebenchApp
from bundlebench.tui.screens import rootfs as rootfs_screen_module
from bundlebench.tui.screens.rootfs import RootfsScreen
from bundlebench.tui.widgets.rootfs_tree import RootfsTree
from tests.tui.helpers import SIZE, fixed_validator, screen_text, settle


def app_for(bundle: Path) -> BundlebenchApp:
    return BundlebenchApp(bundle, validator=fixed_validator())


def shown_paths(tree: RootfsTree) -> list[str]:
    return [node.path for node in tree.rows if node.entry is not None]


def matched(tree: RootfsTree) -> list[str]:
    return [node.path for node in tree.rows if node.matched]


async def type_filter(pilot, app: BundlebenchApp, text: str) -> None:
    await pilot.press(*text)
    await pilot.pause(rootfs_screen_module.FILTER_DEBOUNCE * 2)
    await settle(pilot, app)


def test_typing_filters_the_tree_without_enter(bundle: Path) -> None:
    async def scenario() -> None:
        app = app_for(bundle)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            tree = app.query_one(RootfsTree)
            await pilot.press("slash")
            assert app.focused.id == "filter-input"
            await type_filter(pilot, app, "item-000")
            assert tree.filtering
            assert matched(tree) == [f"/var/many/item-000{i}.log" for i in range(10)]
            # The matches sit under their (expanded) ancestors, nothing else is shown.
            assert shown_paths(tree) == ["/", "/var", "/var/many", *matched(tree)]
            text = screen_text(app)
            assert "▼ var/" in text and "item-0009.log" in text
            assert "10 matches for 'item-000'" in text
            assert app.focused.id == "filter-input"  # still typing

    asyncio.run(scenario())


def test_a_new_keystroke_replaces_the_results(bundle: Path) -> None:
    async def scenario() -> None:
        app = app_for(bundle)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            tree = app.query_one(RootfsTree)
            await pilot.press("slash")
            await type_filter(pilot, app, "item-000")
            assert len(matched(tree)) == 10
            await type_filter(pilot, app, "7")
            assert matched(tree) == ["/var/many/item-0007.log"]
            await pilot.press("backspace", "backspace")
            await pilot.pause(rootfs_screen_module.FILTER_DEBOUNCE * 2)
            await settle(pilot, app)
            assert len(matched(tree)) == 100  # item-00xx

    asyncio.run(scenario())


def test_a_burst_of_keys_is_debounced_into_one_walk(bundle: Path, monkeypatch) -> None:
    started: list[str] = []
    real = RootfsScreen.start_search

    def counting(self: RootfsScreen, pattern: str) -> None:
        started.append(pattern)
        real(self, pattern)

    monkeypatch.setattr(RootfsScreen, "start_search", counting)
    monkeypatch.setattr(rootfs_screen_module, "FILTER_DEBOUNCE", 0.5)

    async def scenario() -> None:
        app = app_for(bundle)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            await pilot.press("slash", *"profile")
            await pilot.pause(0.8)
            await settle(pilot, app)
            assert started == ["p", "profile"]  # the first key at once, then the burst
            assert "/etc/profile" in matched(app.query_one(RootfsTree))

    asyncio.run(scenario())


def test_escape_restores_the_tree(bundle: Path) -> None:
    async def scenario() -> None:
        app = app_for(bundle)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            tree = app.query_one(RootfsTree)
            await pilot.press("down")  # the cursor on /etc
            before = shown_paths(tree)
            await pilot.press("slash")
            await type_filter(pilot, app, "greet")
            assert matched(tree) == ["/usr/bin/greet.py"]
            await pilot.press("escape")
            await settle(pilot, app)
            screen = app.screen
            assert isinstance(screen, RootfsScreen)
            assert not tree.filtering
            assert shown_paths(tree) == before
            assert tree.cursor_node.path == "/etc"
            assert tree.has_focus and screen.search_panel.has_class("-hidden")
            assert screen.search_panel.input.value == ""

    asyncio.run(scenario())


def test_enter_jumps_to_the_first_match_and_escape_stays_there(bundle: Path) -> None:
    async def scenario() -> None:
        app = app_for(bundle)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            tree = app.query_one(RootfsTree)
            await pilot.press("slash", *"*.py", "enter")  # before the debounce fired
            await settle(pilot, app)
            assert tree.has_focus
            assert tree.cursor_node.path == "/usr/bin/greet.py"
            await pilot.press("escape")  # back to the whole tree, on the match
            await settle(pilot, app)
            assert not tree.filtering
            assert tree.cursor_node.path == "/usr/bin/greet.py"
            assert "/usr/bin/tool" in shown_paths(tree)

    asyncio.run(scenario())


def test_the_filter_stops_at_its_limit_and_says_so(bundle: Path, monkeypatch) -> None:
    monkeypatch.setattr(rootfs_screen_module, "FILTER_LIMIT", 25)

    async def scenario() -> None:
        app = app_for(bundle)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            app.screen.start_search("item-")
            await settle(pilot, app)
            assert len(matched(app.query_one(RootfsTree))) == 25
            assert "the first 25 matches (type more to narrow)" in screen_text(app)

    asyncio.run(scenario())


def test_no_match_says_so(bundle: Path) -> None:
    async def scenario() -> None:
        app = app_for(bundle)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            app.screen.start_search("no-such-name-anywhere")
            await settle(pilot, app)
            text = screen_text(app)
            assert "no name matches" in text and "0 matches for" in text

    asyncio.run(scenario())


def test_the_filter_walk_does_not_follow_links(tmp_path: Path) -> None:
    from tests.tui.bundles import build_bundle

    bundle = build_bundle(tmp_path / "b")
    # /bin -> usr/bin and /hostetc -> /etc: the walk must not list greet.py or passwd twice.

    async def scenario() -> None:
        app = app_for(bundle)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            tree = app.query_one(RootfsTree)
            app.screen.start_search("greet")
            await settle(pilot, app)
            assert matched(tree) == ["/usr/bin/greet.py"]
            app.screen.start_search("hostetc")
            await settle(pilot, app)
            assert matched(tree) == ["/hostetc"]  # the link itself, shown as a link
            assert "hostetc → /etc" in screen_text(app)

    asyncio.run(scenario())


def test_go_to_a_path_ends_the_filter(bundle: Path) -> None:
    async def scenario() -> None:
        app = app_for(bundle)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            tree = app.query_one(RootfsTree)
            screen = app.screen
            screen.start_search("item-")
            await settle(pilot, app)
            assert tree.filtering
            screen.goto("/etc/profile")
            await settle(pilot, app)
            assert not tree.filtering and tree.cursor_node.path == "/etc/profile"
            await pilot.pause(0.2)  # no late batch brings the filter's tree back
            assert not tree.filtering

    asyncio.run(scenario())
