"""The make-a-bundle conversations: ask for paths, run the job, offer what comes next.

The work itself is bundlebench.bundle.make (the same for a test or a command); this
module only chains the dialogs and tells the app to open or reload a bundle.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from textual.app import App

from bundlebench.bundle import make
from bundlebench.bundle.make import Job
from bundlebench.errors import BundlebenchError
from bundlebench.tui.screens.confirm import ConfirmScreen
from bundlebench.tui.screens.make_dialogs import JobScreen, PathField, PathsDialog
from bundlebench.untrusted import markup

IMAGE_NOTE = ("An OCI image layout (a directory with index.json, or its tar) or a "
              "`docker save` archive.")


class BundleApp(Protocol):
    """What the flows need from the app."""

    bundle: Any

    async def open_bundle(self, path: Path | None = None) -> None: ...


def _here(app: BundleApp) -> str:
    return str(app.bundle.path.parent) + os.sep


def _run(app: App[Any], title: str, work: Callable[[Job], Path],
         then: Callable[[Path], Any]) -> None:
    async def finished(result: Path | None) -> None:
        if result is None:
            if screen.error is None:
                app.notify("Cancelled: nothing was left behind.")
            return
        outcome = then(result)
        if inspect.isawaitable(outcome):
            await outcome

    screen = JobScreen(title, work)
    app.push_screen(screen, finished)


def _offer_open(app: Any, path: Path, what: str) -> None:
    async def answered(yes: bool | None) -> None:
        if yes:
            await app.open_bundle(path)

    app.push_screen(ConfirmScreen(f"{what} at {markup(path)}. Open it now?",
                                  yes="Open it", no="Stay here"), answered)


def new_bundle_from_tarball(app: Any) -> None:
    """Ask for a rootfs tarball and a new directory; make the bundle there."""
    def answered(values: dict[str, Any] | None) -> None:
        if values is None:
            return
        tarball, target = Path(values["tarball"]), Path(values["target"])
        _run(app, f"Making a bundle from {markup(tarball.name, 60)}",
             lambda job: make.make_bundle_from_tarball(tarball, target,
                                                       rootless=values["rootless"], job=job),
             lambda path: _offer_open(app, path, "The bundle is ready"))

    app.push_screen(PathsDialog(
        "New bundle from a rootfs tarball",
        "The tarball (.tar, .tar.gz, .tar.xz, .tar.bz2, .tar.zst) is extracted safely into "
        "DIR/rootfs, and the default config.json is written beside it.",
        [PathField("tarball", "Rootfs tarball", placeholder="alpine-minirootfs.tar.gz"),
         PathField("target", "New bundle directory", _here(app), "./my-bundle",
                   directories_only=True)],
        action="Make the bundle", rootless=make.default_rootless()), answered)


def unpack_image(app: Any) -> None:
    """Ask for an image and a new directory; unpack the image into a bundle there."""
    def answered(values: dict[str, Any] | None) -> None:
        if values is None:
            return
        image, target = Path(values["image"]), Path(values["target"])
        _run(app, f"Unpacking {markup(image.name, 60)}",
             lambda job: make.unpack_image_bundle(image, target, rootless=values["rootless"],
                                                  job=job),
             lambda path: _offer_open(app, path, "The bundle is ready"))

    app.push_screen(PathsDialog(
        "Unpack an OCI image or docker archive", IMAGE_NOTE + " Its layers are verified and "
        "applied into DIR/rootfs; its config becomes DIR/config.json.",
        [PathField("image", "Image (layout directory or archive)", placeholder="./image.tar"),
         PathField("target", "New bundle directory", _here(app), "./my-bundle",
                   directories_only=True)],
        action="Unpack", rootless=make.default_rootless()), answered)


def write_default_config(app: Any) -> None:
    """Ask for a bundle directory; write the default config.json there (asking first
    before replacing one)."""
    def write(directory: Path, rootless: bool, replace: bool) -> None:
        try:
            target = make.write_default_config(directory, rootless=rootless, replace=replace)
        except BundlebenchError as error:
            app.notify(markup(error), title="Not written", severity="error")
            return
        app.notify(f"Wrote {markup(target)}" + (" (the old one is config.json.bak)"
                                                 if replace else ""))
        if directory.absolute() == app.bundle.path:
            app.call_next(app.open_bundle)
        else:
            _offer_open(app, directory, "The config is written")

    def answered(values: dict[str, Any] | None) -> None:
        if values is None:
            return
        directory = Path(values["bundle"]).expanduser()
        rootless = values["rootless"]
        if not (directory / "config.json").exists():
            write(directory, rootless, replace=False)
            return
        app.push_screen(ConfirmScreen(
            f"{markup(directory / 'config.json')} exists. Replace it with the default? "
            "The old one is kept as config.json.bak.", yes="Replace it", no="Keep it"),
            lambda yes: write(directory, rootless, replace=True) if yes else None)

    app.push_screen(PathsDialog(
        "Write the default config.json",
        "What `bundlebench spec` writes (runc's default, ociVersion 1.3.0), atomically.",
        [PathField("bundle", "Bundle directory", str(app.bundle.path), directories_only=True)],
        action="Write it", rootless=make.default_rootless()), answered)


def make_rootfs(app: Any, rootfs: Path, source: str) -> None:
    """Make the bundle's missing rootfs at ``rootfs`` from a tarball or an image."""
    from_image = source == "image"

    def answered(values: dict[str, Any] | None) -> None:
        if values is None:
            return
        given = Path(values["source"]).expanduser()
        bundle = app.bundle.path
        work: Callable[[Job], Path] = (
            (lambda job: make.make_rootfs_from_image(given, bundle, rootfs, job)) if from_image
            else (lambda job: make.make_rootfs_from_tarball(given, rootfs, job)))

        async def made(_path: Path) -> None:
            app.notify(f"Made the rootfs at {markup(rootfs)}")
            await app.open_bundle()

        _run(app, f"Making the rootfs from {markup(given.name, 60)}", work, made)

    what = "an image" if from_image else "a rootfs tarball"
    note = (IMAGE_NOTE + " Only its files are used: config.json stays as it is."
            if from_image else "The tarball is extracted safely (nothing can land outside).")
    app.push_screen(PathsDialog(
        f"Make the rootfs from {what}", note + f" It goes to {markup(rootfs)}.",
        [PathField("source", "Image" if from_image else "Rootfs tarball", _here(app))],
        action="Make the rootfs"), answered)
