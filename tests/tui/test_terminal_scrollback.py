"""The terminal pane's scrollback: wheel, shift+PgUp/PgDn, search, back to live, and
the keys that stay the workbench's (a local program on a pty: no root needed)."""

from __future__ import annotations

import asyncio

from textual import events
from textual.app import App, ComposeResult
from textual.widgets import Footer, Input

from bundlebench.containers.transports import PtyTransport
from bundlebench.tui.widgets.terminal_pane import TerminalPane
from bundlebench.tui.widgets.terminal_search import SearchDialog
from tests.tui.containers_host import wait_for

# 3,000 numbered lines, then wait for input (cat echoes what is typed).
PROGRAM = ["sh", "-c", "i=1; while [ $i -le 3000 ]; do echo row-$i; i=$((i+1)); done; "
           "echo DONE; exec cat"]


class PaneHost(App[None]):
    def __init__(self, argv: list[str] = PROGRAM) -> None:
        super().__init__()
        self.argv = argv
        self.helped = 0

    def compose(self) -> ComposeResult:
        yield TerminalPane(lambda rows, cols: PtyTransport(self.argv, rows, cols))
        yield Footer()

    def action_help(self) -> None:
        self.helped += 1


def shown(pane: TerminalPane) -> str:
    return "\n".join(strip.text for strip in pane._strips)


async def ready(pilot) -> TerminalPane:
    pane = pilot.app.query_one(TerminalPane)
    pane.focus()
    # The screen first, then the pane's own render of it (a repaint may lag behind).
    await wait_for(pilot, lambda: "DONE" in pane.text() and "DONE" in shown(pane),
                   what="the program's output")
    return pane


def test_shift_pageup_pages_back_and_escape_jumps_to_live() -> None:
    async def scenario() -> None:
        async with PaneHost().run_test(size=(80, 24)) as pilot:
            pane = await ready(pilot)
            assert "row-2999" in shown(pane) and "row-2900" not in shown(pane)
            await pilot.press("shift+pageup")
            assert pane.scrolled > 0
            assert "row-2975" in shown(pane) and "DONE" not in shown(pane)
            assert "scrollback" in str(pane.border_subtitle)
            for _ in range(3):
                await pilot.press("shift+pageup")
            await pilot.press("shift+pagedown")
            assert "row-2930" in shown(pane)
            await pilot.press("escape")
            assert pane.scrolled == 0 and "DONE" in shown(pane)
            assert "ctrl+] leaves" in str(pane.border_subtitle)

    asyncio.run(scenario())


def test_the_wheel_scrolls_and_typing_jumps_back_to_live() -> None:
    async def scenario() -> None:
        async with PaneHost().run_test(size=(80, 24)) as pilot:
            pane = await ready(pilot)
            for _ in range(4):
                pane.post_message(events.MouseScrollUp(pane, 5, 5, 0, 0, 0, False, False,
                                                       False))
            await pilot.pause()
            assert pane.scrolled == 12
            pane.post_message(events.MouseScrollDown(pane, 5, 5, 0, 0, 0, False, False,
                                                     False))
            await pilot.pause()
            assert pane.scrolled == 9
            await pilot.press("x")
            assert pane.scrolled == 0
            await wait_for(pilot, lambda: "x" in pane.text().splitlines()[-1]
                           if pane.text().strip() else False, what="the echo of x")

    asyncio.run(scenario())


def test_ten_thousand_lines_are_kept_and_search_finds_old_ones() -> None:
    argv = ["sh", "-c", "i=1; while [ $i -le 12000 ]; do echo line-$i; i=$((i+1)); done; "
            "echo DONE; exec cat"]

    async def scenario() -> None:
        async with PaneHost(argv).run_test(size=(80, 24)) as pilot:
            pane = await wait_for(pilot, lambda: pilot.app.query_one(TerminalPane))
            pane.focus()
            await wait_for(pilot, lambda: "DONE" in pane.text(), timeout=60,
                           what="12,000 lines")
            assert pane._term.history.lines >= 10_000
            await pilot.press("shift+pageup", "slash")
            dialog = await wait_for(pilot, lambda: isinstance(pilot.app.screen, SearchDialog)
                                    and pilot.app.screen, what="the search prompt")
            dialog.query_one(Input).value = "line-2500"
            await pilot.press("enter")
            await wait_for(pilot, lambda: not isinstance(pilot.app.screen, SearchDialog))
            assert shown(pane).splitlines()[0].strip() == "line-2500"
            await pilot.press("n")  # line-2500 once only: the notice says so, view holds
            assert shown(pane).splitlines()[0].strip() == "line-2500"
            assert pane.search("line-1000") and "line-1000" in shown(pane)

    asyncio.run(scenario())


def test_f1_and_the_release_key_stay_the_workbench_s() -> None:
    async def scenario() -> None:
        async with PaneHost().run_test(size=(80, 24)) as pilot:
            pane = await ready(pilot)
            await pilot.press("f1")
            assert pilot.app.helped == 1
            footer = pilot.app.query_one(Footer)
            await pilot.pause()
            keys = [b.key_display or b.key for b in footer.query("FooterKey")]
            assert keys, "the footer shows the pane's keys"
            await pilot.press("ctrl+right_square_bracket")
            assert pilot.app.focused is not pane

    asyncio.run(scenario())
