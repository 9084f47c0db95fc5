"""Saving from the config screen, and a file changed on disk meanwhile."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from bundlebench.tui.widgets.config_dialogs import ChangedOnDiskDialog
from tests.tui.config_host import SIZE, HostApp, make_bundle, ready, run, saved


def change_on_disk(bundle: Path) -> None:
    path = bundle / "config.json"
    path.write_text(path.read_text().replace('"runc"', '"theirs"'))


def test_save_writes_atomically_with_backup(tmp_path: Path) -> None:
    async def scenario() -> None:
        bundle = make_bundle(tmp_path)
        original = (bundle / "config.json").read_bytes()
        app = HostApp(bundle)
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, app)
            await screen.apply_edit("set", "/hostname", "saved")
            assert app.dirty
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert saved(bundle)["hostname"] == "saved"
            assert (bundle / "config.json.bak").read_bytes() == original
            assert (bundle / "config.json").read_text().startswith('{\n\t"ociVersion"')
            assert not app.dirty
            assert sorted(p.name for p in bundle.iterdir()) == [
                "config.json", "config.json.bak", "rootfs"]  # no temp file left

    run(scenario())


def open_dialog_scenario(bundle: Path, answer_keys: tuple[str, ...]):
    async def scenario() -> tuple[HostApp, str]:
        app = HostApp(bundle)
        diff = ""
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, app)
            await screen.apply_edit("set", "/hostname", "mine")
            change_on_disk(bundle)
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert isinstance(app.screen, ChangedOnDiskDialog)
            for key in answer_keys:
                await pilot.press(key)
                await pilot.pause()
                if key == "d":
                    diff = str(app.screen.query_one("#diff-text", Static).render())
            await pilot.pause()
            assert app.screen is screen
            app.result_data = dict(screen.session.data)  # type: ignore[attr-defined]
            app.result_dirty = app.dirty  # type: ignore[attr-defined]
        return app, diff

    return scenario


def test_changed_on_disk_offers_a_diff_then_overwrite(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path)
    _, diff = _run(open_dialog_scenario(bundle, ("d", "o")))
    assert '-\t"hostname": "theirs",' in diff
    assert '+\t"hostname": "mine",' in diff
    assert "config.json (on disk)" in diff
    assert saved(bundle)["hostname"] == "mine"


def test_changed_on_disk_reload(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path)
    app, _ = _run(open_dialog_scenario(bundle, ("r",)))
    assert app.result_data["hostname"] == "theirs"  # type: ignore[attr-defined]
    assert not app.result_dirty  # type: ignore[attr-defined]
    assert saved(bundle)["hostname"] == "theirs"


def test_changed_on_disk_cancel_keeps_both(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path)
    app, _ = _run(open_dialog_scenario(bundle, ("escape",)))
    assert app.result_data["hostname"] == "mine"  # type: ignore[attr-defined]
    assert app.result_dirty  # type: ignore[attr-defined]
    assert saved(bundle)["hostname"] == "theirs"


def test_reload_then_undo_brings_edits_back(tmp_path: Path) -> None:
    async def scenario() -> None:
        bundle = make_bundle(tmp_path)
        app = HostApp(bundle)
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, app)
            await screen.apply_edit("set", "/hostname", "mine")
            change_on_disk(bundle)
            await pilot.press("ctrl+s")
            await pilot.pause()
            await pilot.click("#reload")
            await pilot.pause()
            assert screen.session.get("/hostname") == "theirs"
            await pilot.press("ctrl+z")
            await pilot.pause()
            assert screen.session.get("/hostname") == "mine" and app.dirty

    run(scenario())


def _run(scenario):
    import asyncio

    return asyncio.run(scenario())
