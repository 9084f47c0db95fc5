"""The size column: file sizes at once, directory totals from a worker, du-like."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

from bundlebench.format import human_size
from bundlebench.tui.app import BundlebenchApp
from bundlebench.tui.commands import palette_commands
from bundlebench.tui.widgets import rootfs_sizes
from bundlebench.tui.widgets.rootfs_tree import RootfsTree
from tests.tui.bundles import build_bundle
from tests.tui.helpers import SIZE, fixed_validator, screen_text, settle


def expected_total(directory: Path) -> int:
    """st_size of every non-directory under ``directory``, hardlinks once, links unfollowed."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for parent, dirs, files in os.walk(directory):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(parent, d))]:
            info = os.lstat(os.path.join(parent, name))
            if info.st_nlink > 1:
                if (info.st_dev, info.st_ino) in seen:
                    continue
                seen.add((info.st_dev, info.st_ino))
            total += info.st_size
    return total


def sized_bundle(tmp_path: Path) -> Path:
    bundle = build_bundle(tmp_path / "b", many=40)
    rootfs = bundle / "rootfs"
    (rootfs / "usr/share/big.bin").write_bytes(b"x" * 300_000)
    os.link(rootfs / "usr/share/big.bin", rootfs / "usr/share/big-again.bin")  # counted once
    return bundle


def test_the_size_column_matches_lstat_sums(tmp_path: Path) -> None:
    bundle = sized_bundle(tmp_path)
    rootfs = bundle / "rootfs"

    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            tree = app.query_one(RootfsTree)
            await pilot.press("S")
            await settle(pilot, app)
            column = app.screen.size_column
            for name in ("", "usr", "var", "etc", "tmp"):
                assert column.totals["/" + name] == expected_total(rootfs / name), name
            usr = next(n for n in tree.root.children if n.name == "usr")
            row = "".join(seg.text for seg in tree._row_segments(usr))
            assert row.strip().startswith(human_size(expected_total(rootfs / "usr")))
            text = screen_text(app)
            assert f"{human_size(expected_total(rootfs)):>10} ▼ /" in text
            # Open a directory: its subdirectories were sized by the same walk.
            await tree.expand_node(usr)
            await settle(pilot, app)
            share = next(n for n in usr.children if n.name == "share")
            assert column.text(share) == human_size(expected_total(rootfs / "usr/share"))
            hidden = next(n for n in tree.root.children if n.name == ".hidden-top")
            assert column.text(hidden) == human_size(7)  # a file: its own size
            await pilot.press("S")  # hidden again
            await settle(pilot, app)
            assert tree.size_text is None
            assert f"{human_size(expected_total(rootfs)):>10} ▼ /" not in screen_text(app)

    asyncio.run(scenario())


def test_directories_show_progress_while_they_are_summed(tmp_path: Path, monkeypatch) -> None:
    bundle = sized_bundle(tmp_path)
    release = threading.Event()
    real = rootfs_sizes.subtree_sizes

    def slow(rootfs, top, known, cancel=None, progress=None):
        if progress is not None:
            progress(4096)
        release.wait(10)
        return real(rootfs, top, known, cancel, progress)

    monkeypatch.setattr(rootfs_sizes, "subtree_sizes", slow)
    monkeypatch.setattr(rootfs_sizes, "PROGRESS_SECONDS", 0.0)

    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            await pilot.press("S")
            await pilot.pause(0.2)
            text = screen_text(app)
            assert "… ▼ /" in text and "…   ▶ usr/" in text
            assert "sizing /" in text and "4,096 entries" in text
            release.set()
            await settle(pilot, app)
            text = screen_text(app)
            assert "… ▶" not in text and "sizing" not in text

    asyncio.run(scenario())


def test_the_size_column_is_a_described_key_and_in_the_palette(bundle: Path) -> None:
    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            commands = {c.title: c for c in palette_commands(app.screen)}
            assert commands["Sizes"].action == "size_column"
            assert "[key: S]" in commands["Sizes"].help
            binding = next(b for b in app.screen.BINDINGS if b.action == "size_column")
            assert binding.id == "rootfs.size_column"

    asyncio.run(scenario())


def test_reload_forgets_the_totals_above_and_below(tmp_path: Path) -> None:
    bundle = sized_bundle(tmp_path)
    rootfs = bundle / "rootfs"

    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            tree = app.query_one(RootfsTree)
            await pilot.press("S")
            await settle(pilot, app)
            (rootfs / "var/many/new.log").write_bytes(b"y" * 5000)
            var = next(n for n in tree.root.children if n.name == "var")
            tree.move_cursor_to(var)
            await pilot.press("R")
            await settle(pilot, app)
            column = app.screen.size_column
            assert column.totals["/var"] == expected_total(rootfs / "var")
            assert column.totals["/"] == expected_total(rootfs)

    asyncio.run(scenario())
