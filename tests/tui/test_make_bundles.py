"""Making bundles from the palette: paths, a progress bar, cancel, nothing left behind."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest
from textual.widgets import Input, ProgressBar, Static

from bundlebench.bundle import make
from bundlebench.tui.app import BundlebenchApp
from bundlebench.tui.screens.confirm import ConfirmScreen
from bundlebench.tui.screens.make_dialogs import JobScreen, PathsDialog
from tests.tui.broken_helpers import no_rootfs, rootfs_tarball, saved
from tests.tui.helpers import fixed_validator, settle

SIZE = (120, 36)


def run(coro) -> None:
    asyncio.run(coro)


@pytest.fixture
def slow_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each step of a job takes a while, so that a cancel lands in the middle."""
    tick = make.Job.tick

    def slow(self, what: str, done: int, total: int) -> None:
        time.sleep(0.02)
        tick(self, what, done, total)

    monkeypatch.setattr(make.Job, "tick", slow)


async def fill(pilot, app, **values: str) -> None:
    dialog = app.screen
    assert isinstance(dialog, PathsDialog)
    for key, value in values.items():
        dialog.query_one(f"#path-{key}", Input).value = value
    await pilot.click("#paths-ok")
    await pilot.pause()


def test_new_bundle_from_a_tarball_then_open_it(tmp_path: Path) -> None:
    here = no_rootfs(tmp_path / "here")
    tarball = rootfs_tarball(tmp_path / "root.tar.gz")

    async def scenario() -> None:
        app = BundlebenchApp(here, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            await app.run_action("new_bundle")
            await pilot.pause()
            assert app.screen.query_one("#path-target", Input).value == str(tmp_path) + "/"
            await fill(pilot, app, tarball=str(tarball), target=str(tmp_path / "made"))
            await settle(pilot, app)
            assert isinstance(app.screen, ConfirmScreen)  # ready: open it?
            assert (tmp_path / "made/rootfs/etc/hostname").read_text() == "from-tarball\n"
            assert "ociVersion" in saved(tmp_path / "made")
            await pilot.click("#confirm-yes")
            await settle(pilot, app)
            assert app.bundle.path == tmp_path / "made"
            assert str(tmp_path / "made") in app.sub_title

    run(scenario())


def test_cancel_stops_the_work_and_leaves_nothing(tmp_path: Path, slow_jobs: None) -> None:
    here = no_rootfs(tmp_path / "here")
    tarball = rootfs_tarball(tmp_path / "root.tar", count=400)
    before = sorted(os.listdir(tmp_path))

    async def scenario() -> None:
        app = BundlebenchApp(here, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            await app.run_action("new_bundle")
            await pilot.pause()
            await fill(pilot, app, tarball=str(tarball), target=str(tmp_path / "made"))
            job = app.screen
            assert isinstance(job, JobScreen)
            for _ in range(100):  # wait until it is really under way
                await pilot.pause(0.02)
                if (job.query_one(ProgressBar).progress or 0) > 0:
                    break
            assert "extracting root.tar" in str(job.query_one("#job-status", Static).render())
            assert [n for n in os.listdir(tmp_path) if n.startswith(".made.new-")]
            await pilot.click("#job-cancel")
            await settle(pilot, app)
            assert not isinstance(app.screen, JobScreen | ConfirmScreen)
            assert app.bundle.path == here

    run(scenario())
    assert sorted(os.listdir(tmp_path)) == before


def test_a_failure_is_one_sentence_and_leaves_nothing(tmp_path: Path) -> None:
    here = no_rootfs(tmp_path / "here")
    tarball = rootfs_tarball(tmp_path / "root.tar", count=200)
    data = tarball.read_bytes()
    tarball.write_bytes(data[: len(data) // 2])
    before = sorted(os.listdir(tmp_path))

    async def scenario() -> None:
        app = BundlebenchApp(here, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            await app.run_action("new_bundle")
            await pilot.pause()
            await fill(pilot, app, tarball=str(tarball), target=str(tmp_path / "made"))
            await settle(pilot, app)
            job = app.screen
            assert isinstance(job, JobScreen)  # stays to say what went wrong
            status = str(job.query_one("#job-status", Static).render())
            assert "root.tar" in status and "Nothing was left behind" in status
            assert "Traceback" not in status
            assert sorted(os.listdir(tmp_path)) == before
            await pilot.click("#job-cancel")  # now "Close"
            await settle(pilot, app)
            assert not isinstance(app.screen, JobScreen)

    run(scenario())
    assert sorted(os.listdir(tmp_path)) == before


def test_unpack_an_image_then_stay(tmp_path: Path) -> None:
    from tests.unit.image_helpers import D, F, write_docker_archive

    here = no_rootfs(tmp_path / "here")
    archive = write_docker_archive(tmp_path / "img.tar", [
        {"ref": "demo:1", "layers": [[D("etc"), F("etc/os", b"docker\n")]]}])

    async def scenario() -> None:
        app = BundlebenchApp(here, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            await app.run_action("unpack_image")
            await pilot.pause()
            await fill(pilot, app, image=str(archive), target=str(tmp_path / "unpacked"))
            await settle(pilot, app)
            assert (tmp_path / "unpacked/rootfs/etc/os").read_text() == "docker\n"
            await pilot.click("#confirm-no")
            await settle(pilot, app)
            assert app.bundle.path == here

    run(scenario())


def test_unpack_into_a_full_directory_is_refused(tmp_path: Path) -> None:
    from tests.unit.image_helpers import D, write_oci_layout

    here = no_rootfs(tmp_path / "here")
    write_oci_layout(tmp_path / "img", [{"layers": [[D("etc")]]}])

    async def scenario() -> None:
        app = BundlebenchApp(here, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            await app.run_action("unpack_image")
            await pilot.pause()
            await fill(pilot, app, image=str(tmp_path / "img"), target=str(here))
            await settle(pilot, app)
            status = str(app.screen.query_one("#job-status", Static).render())
            assert "is not empty" in status
            assert sorted(os.listdir(here)) == ["config.json"]

    run(scenario())


def test_write_the_default_config_over_one_asks_and_keeps_a_backup(tmp_path: Path) -> None:
    here = no_rootfs(tmp_path / "here")
    mine = (here / "config.json").read_text()

    async def scenario() -> None:
        app = BundlebenchApp(here, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            await app.run_action("write_default_config")
            await pilot.pause()
            assert app.screen.query_one("#path-bundle", Input).value == str(here)
            await fill(pilot, app)
            await settle(pilot, app)
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("n")
            await settle(pilot, app)
            assert (here / "config.json").read_text() == mine
            await app.run_action("write_default_config")
            await pilot.pause()
            await fill(pilot, app)
            await settle(pilot, app)
            await pilot.click("#confirm-yes")
            await settle(pilot, app)
            assert "hostname" not in saved(here) or saved(here)["hostname"] != "no-rootfs"
            assert (here / "config.json.bak").read_text() == mine
            assert app.bundle.config.data == saved(here)  # the app reloaded it

    run(scenario())


def test_path_completion(tmp_path: Path) -> None:
    from bundlebench.tui.paths import complete_path

    (tmp_path / "alpine-root.tar.gz").write_text("")
    (tmp_path / "bundles").mkdir()
    assert complete_path(str(tmp_path / "alp")) == str(tmp_path / "alpine-root.tar.gz")
    assert complete_path(str(tmp_path / "bun")) == str(tmp_path / "bundles") + "/"
    assert complete_path(str(tmp_path / "a"), directories_only=True) is None
    assert complete_path(str(tmp_path / "nothing-here")) is None
