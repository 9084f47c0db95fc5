"""Read-only classroom mode: launch and save are refused in a sentence; without it they act."""

from __future__ import annotations

from pathlib import Path

import pytest

from bundlebench.tui.app import BundlebenchApp
from bundlebench.tui.screens.containers import ContainersScreen
from bundlebench.tui.screens.containers_launch import LaunchDialog
from tests.tui.containers_host import (
    private_state,  # noqa: F401 - a fixture
    run,
    wait_for,
)
from tests.tui.helpers import fixed_validator

REFUSAL = "Read-only classroom mode"


def notices(app: BundlebenchApp) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


async def open_config(pilot, app: BundlebenchApp):
    await pilot.pause()
    await pilot.press("2")
    return await wait_for(pilot, lambda: getattr(app.screen, "session", None) and app.screen,
                          what="the config screen")


@pytest.mark.parametrize("read_only", [True, False])
def test_save_is_refused_only_in_read_only_mode(bundle: Path, read_only: bool) -> None:
    before = (bundle / "config.json").read_bytes()

    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator(), read_only=read_only)
        async with app.run_test(size=(120, 36)) as pilot:
            config = await open_config(pilot, app)
            await config.apply_edit("set", "/hostname", "edited-in-class")
            await wait_for(pilot, lambda: app.dirty, what="the edit")  # editing stays on
            await pilot.press("ctrl+s")
            await pilot.pause(0.2)
            assert (REFUSAL in notices(app)) is read_only
            assert app.dirty is read_only
            assert app.save_config() is not read_only  # the quit dialog's way in too
            if read_only:
                binding = app.screen.active_bindings["ctrl+s"]
                assert not binding.enabled  # the footer shows it off

    run(scenario())
    after = (bundle / "config.json").read_bytes()
    assert (after == before) is read_only
    assert (bundle / "config.json.bak").exists() is not read_only


@pytest.mark.parametrize("read_only", [True, False])
def test_launch_is_refused_only_in_read_only_mode(bundle: Path, tmp_path: Path,
                                                  read_only: bool) -> None:
    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator(), read_only=read_only)
        app.runtime_root = str(tmp_path / "root")  # type: ignore[attr-defined]
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            await pilot.press("3")
            await wait_for(pilot, lambda: isinstance(app.screen, ContainersScreen),
                           what="the containers screen")
            await pilot.press("l")
            if read_only:
                await wait_for(pilot, lambda: REFUSAL in notices(app), what="the refusal")
                assert "launching containers is off" in notices(app)
                assert isinstance(app.screen, ContainersScreen)
                for key in ("l", "S", "e"):
                    assert not app.screen.active_bindings[key].enabled
            else:
                await wait_for(pilot, lambda: isinstance(app.screen, LaunchDialog),
                               what="the launch dialog")
                assert REFUSAL not in notices(app)
                await pilot.press("escape")

    run(scenario())
