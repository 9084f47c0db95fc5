"""The step view with a scripted source: the stop, the keys, the mount diff, 80x24."""

from __future__ import annotations

import asyncio

from bundlebench.tui.screens.step import StepScreen
from tests.tui.containers_host import wait_for
from tests.tui.helpers import screen_text
from tests.tui.step_fakes import FakeSource, StepHost, stops

SMALL = (80, 24)


def _text(app: StepHost) -> str:
    return screen_text(app)


def test_the_first_stop_shows_step_process_and_proc_facts() -> None:
    async def scenario() -> None:
        app = StepHost(FakeSource(stops()))
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: "pid 100" in _text(app), what="the first stop")
            await wait_for(pilot, lambda: "4026531841" in _text(app), what="/proc")
            text = _text(app)
            assert "stop 1" in text and "stage 1" in text and "about to: Namespaces" in text
            assert "unshare(CLONE_NEWNS|CLONE_NEWNET)" in text
            assert "/linux/namespaces" in text
            proc = str(app.screen.query_one("#step-proc").render())
            assert "shared with host" in proc and "CAP_SYS_ADMIN" in proc
            assert "seccomp disabled" in proc and "no_new_privs no" in proc
            assert "Max open files 1024 1024 files" in proc and "cwd /  root /" in proc
            assert "0::/bundlebench/demo-step" in proc
    asyncio.run(scenario())


def test_n_sends_next_and_the_new_mount_is_marked() -> None:
    async def scenario() -> None:
        script = stops()
        app = StepHost(FakeSource(script))
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: "Mounts (2" in _text(app), what="the first view")
            await pilot.press("n")
            await wait_for(pilot, lambda: "stop 2" in _text(app), what="the second stop")
            await wait_for(pilot, lambda: "+1 -0" in _text(app), what="the mount diff")
            assert script[0].sent == ["next"]
            screen = app.screen
            assert isinstance(screen, StepScreen)
            proc = str(screen.query_one("#step-proc").render())
            assert "+ /mnt/new tmpfs tmpfs rw" in proc
            assert "  /proc proc proc rw,nosuid" in proc  # unchanged: not marked
            # The new line is highlighted, the others are not.
            rendered = screen.query_one("#step-proc").render()
            spans = [rendered.plain[s.start:s.end] for s in rendered.spans
                     if "green" in str(s.style)]
            assert any("/mnt/new" in piece for piece in spans)
            assert not any("/proc proc" in piece for piece in spans)
            assert "private" in _text(app)  # the mnt namespace is its own now
    asyncio.run(scenario())


def test_created_offers_start_and_then_no_more_stops_closes() -> None:
    async def scenario() -> None:
        source = FakeSource(stops())
        app = StepHost(source)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: "stop 1" in _text(app))
            await pilot.press("c")
            await wait_for(pilot, lambda: "stop 2" in _text(app))
            await pilot.press("n")
            await wait_for(pilot, lambda: "waits for start" in _text(app), what="created")
            await pilot.press("s")
            await wait_for(pilot, lambda: app.ended, what="the view to close")
            assert source.started
            assert "no more stops" in app.ended[0]
    asyncio.run(scenario())


def test_q_aborts_at_the_stop_and_closes_with_a_message() -> None:
    async def scenario() -> None:
        script = stops()
        source = FakeSource(script)
        app = StepHost(source)
        async with app.run_test(size=SMALL) as pilot:
            await wait_for(pilot, lambda: "stop 1" in _text(app))
            await pilot.press("q")
            await wait_for(pilot, lambda: app.ended, what="the view to close")
            assert script[0].sent == ["abort"] and source.abandoned == [script[0]]
            assert "Abandoned demo-step" in app.ended[0]
    asyncio.run(scenario())


def test_r_runs_to_the_kind_picked() -> None:
    async def scenario() -> None:
        script = stops()
        app = StepHost(FakeSource(script))
        async with app.run_test(size=SMALL) as pilot:
            await wait_for(pilot, lambda: "stop 1" in _text(app))
            await pilot.press("r")
            await wait_for(pilot, lambda: "Run to the next step" in _text(app))
            for _ in range(3):  # cgroups, namespace, userns, mount
                await pilot.press("down")
            await pilot.press("enter")
            await wait_for(pilot, lambda: "stop 2" in _text(app))
            assert script[0].sent == ["to mount"]
    asyncio.run(scenario())


def test_80x24_shows_the_key_facts_and_the_footer() -> None:
    async def scenario() -> None:
        app = StepHost(FakeSource(stops()))
        async with app.run_test(size=SMALL) as pilot:
            await wait_for(pilot, lambda: "4026531841" in _text(app), what="/proc")
            text = _text(app)
            for fact in ("stop 1", "pid 100", "about to: Namespaces", "unshare(",
                         "/linux/namespaces", "mnt", "shared with host"):
                assert fact in text, fact
            # The footer fills in once the screen's bindings are known: wait for it too.
            footer = await wait_for(pilot, lambda: "Next" in _text(app).splitlines()[-1]
                                    and _text(app).splitlines()[-1], what="the footer")
            for key in ("Next", "Continue", "Abandon"):
                assert key in footer, footer
    asyncio.run(scenario())


def test_e_explains_the_field() -> None:
    async def scenario() -> None:
        app = StepHost(FakeSource(stops()))
        async with app.run_test(size=SMALL) as pilot:
            await wait_for(pilot, lambda: "stop 1" in _text(app))
            await pilot.press("e")
            await wait_for(pilot, lambda: "runtime-spec/blob" in _text(app),
                           what="the field's docs")
            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, StepScreen))
    asyncio.run(scenario())


def test_keep_alive_looks_again_and_keeps_the_diff_of_the_stop() -> None:
    from tests.tui.step_fakes import FakeStop

    async def scenario() -> None:
        script = stops()
        again = FakeStop(2, 200, "stage 1", "mount", script[1].syscall)
        script.insert(2, again)
        source = FakeSource(script)
        app = StepHost(source)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: "Mounts (2" in _text(app))
            await pilot.press("n")
            await wait_for(pilot, lambda: "+1 -0" in _text(app), what="the mount diff")
            screen = app.screen
            assert isinstance(screen, StepScreen)
            screen._keep_alive()
            await wait_for(pilot, lambda: screen.stop is again, what="the same stop again")
            await wait_for(pilot, lambda: source.waits == 3)
            await pilot.pause(0.1)
            assert script[1].sent == ["look"]
            assert "+ /mnt/new tmpfs tmpfs rw" in str(screen.query_one("#step-proc").render())
    asyncio.run(scenario())


def test_untrusted_syscall_text_shows_its_escapes() -> None:
    from tests.tui.step_fakes import FakeStop

    async def scenario() -> None:
        hostile = FakeStop(1, 100, "init", "mount", 'mount("/x\x1b[31m", "/y\u202e")')
        app = StepHost(FakeSource([hostile]))
        async with app.run_test(size=SMALL) as pilot:
            await wait_for(pilot, lambda: "stop 1" in _text(app))
            head = str(app.screen.query_one("#step-stop").render())
            assert "\x1b" not in head and "\u202e" not in head
            assert "\\x1b" in head or "\\e" in head or "␛" in head, head
    asyncio.run(scenario())
