"""Hostile names and contents in a rootfs are shown, never obeyed.

Each case puts terminal controls where the rootfs decides the text (file and directory
names, link targets, owner names from its passwd, file contents, an ELF's interpreter),
walks the app to it, and checks what would go to the terminal: no control byte but the
SGR and cursor sequences Textual writes itself, the escape visible as text, and an SVG
screenshot that is well-formed XML.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rich.console import Console

from bundlebench.tui.app import BundlebenchApp
from bundlebench.tui.widgets import rootfs_tree
from bundlebench.tui.widgets.rootfs_tree import RootfsTree
from bundlebench.untrusted import is_unsafe
from tests.tui.bundles import build_bundle, fake_elf
from tests.tui.helpers import fixed_validator, screen_text, settle

OSC_TITLE = "title\x1b]2;PWNED\x07"
CSI_CLEAR = "clear\x1b[2J\x1b[H"
SGR_RED = "red\x1b[31mred"
BIDI = "invoice\u202eexe.txt"
NEWLINE = "two\nlines"
C1 = "c1\x9b2J"
HOSTILE_OWNER = "ev\x1b]0;OWNED\x07il"
HOSTILE_CONTENT = "hello \x1b]2;PWNED\x07 \x1b[2J\x1b[31mred\x1b[0m \u202eright-to-left\n\x07bell\n"
LONG_TARGET = "/" + "/".join(["d" * 200] * 20)  # about 4 KiB, as PATH_MAX allows
LONG_NAME = "n" * 250 + ".conf"
BAD_UTF8 = b"bad\xff\xfe.bin"

# Textual's own output: SGR colours and attributes, cursor moves and modes.
_OWN_SEQUENCES = re.compile(r"\x1b\[[0-9;:?]*[A-Za-z]")


def hostile_bundle(path: Path) -> Path:
    bundle = build_bundle(path, many=5, hostile=False)
    rootfs = bundle / "rootfs"
    names = rootfs / "names"
    names.mkdir()
    for name in (OSC_TITLE, CSI_CLEAR, SGR_RED, BIDI, NEWLINE, C1, LONG_NAME):
        (names / name).write_text("x\n")
    (names / (CSI_CLEAR + "-dir")).mkdir()
    os.symlink(OSC_TITLE + "-target", names / "link-osc")
    os.symlink(LONG_TARGET, names / "link-long")
    with open(os.path.join(os.fsencode(names), BAD_UTF8), "wb") as handle:
        handle.write(b"\0binary")
    (rootfs / "etc/passwd").write_text(f"{HOSTILE_OWNER}:x:{os.getuid()}:{os.getgid()}::/:\n")
    (rootfs / "etc/group").write_text(f"{HOSTILE_OWNER}:x:{os.getgid()}:\n")
    (rootfs / "osc.txt").write_text(HOSTILE_CONTENT)
    (rootfs / "evil-elf").write_bytes(fake_elf(interpreter="/lib/\x1b[2Jld.so"))
    return bundle


def terminal_output(app: BundlebenchApp) -> str:
    """The bytes a full repaint writes to the terminal, decoded."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", legacy_windows=False)
    console.print(app.screen._compositor.render_update(
        full=True, screen_stack=app._background_screens))
    return console.file.getvalue()


def assert_nothing_obeyed(app: BundlebenchApp, where: str) -> None:
    leftover = _OWN_SEQUENCES.sub("", terminal_output(app))
    raw = sorted({f"U+{ord(c):04X}" for c in leftover if is_unsafe(c) and c not in "\r\n"})
    assert not raw, f"{where}: raw controls reached the terminal: {raw}"
    svg = app.export_screenshot(title="bundlebench")
    root = ET.fromstring(svg)  # raises on the C0 controls XML forbids
    for element in root.iter():
        for text in (element.text or "", element.tail or ""):
            bad = sorted({f"U+{ord(c):04X}" for c in text if is_unsafe(c) and c not in "\n\t"})
            assert not bad, f"{where}: the screenshot holds {bad}"


CASES = [
    ("/names/" + OSC_TITLE, ["title\\x1b]2;PWNED\\x07"]),
    ("/names/" + CSI_CLEAR, ["clear\\x1b[2J\\x1b[H"]),
    ("/names/" + CSI_CLEAR + "-dir", ["\\x1b[2J\\x1b[H-dir"]),
    ("/names/" + SGR_RED, ["red\\x1b[31mred"]),
    ("/names/" + BIDI, ["invoice\\u202eexe.txt"]),
    ("/names/" + NEWLINE, ["two\\nlines"]),
    ("/names/" + C1, ["c1\\x9b2J"]),
    ("/names/" + LONG_NAME, [".conf"]),
    ("/names/link-osc", ["title\\x1b]2;PWNED\\x07-target"]),
    ("/names/link-long", ["link-long"]),  # its 4 KiB target is cut in its row
    ("/names/" + os.fsdecode(BAD_UTF8), ["bad\\xff\\xfe.bin"]),
    ("/osc.txt", ["\\x1b]2;PWNED\\x07", "\\u202eright-to-left", "\\x07bell", "ev\\x1b]0;OWNED"]),
    ("/evil-elf", ["/lib/\\x1b[2Jld.so"]),
]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("size", [(80, 24), (160, 45)], ids=["80x24", "160x45"])
def test_hostile_names_and_contents_are_shown_not_obeyed(tmp_path: Path, size) -> None:
    bundle = hostile_bundle(tmp_path / "bundle")

    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=size) as pilot:
            await settle(pilot, app)
            tree = app.query_one(RootfsTree)
            for path, shown in CASES:
                assert await tree.reveal(path), repr(path)
                await settle(pilot, app)
                assert_nothing_obeyed(app, repr(path))
                row = "".join(seg.text for seg in tree._row_segments(tree.cursor_node))
                assert len(row) <= 2 * 4 + 2 * rootfs_tree.NAME_MAX + 20, "a row is cut"
                if path.endswith((LONG_NAME, "link-long")):
                    assert "…" in row, f"{path!r}: its row is not cut"
                text = screen_text(app).replace("\n", "")
                for piece in shown:
                    # At 80 columns the panes are narrow: the escape shows in some pane.
                    if size[0] >= 160 or len(piece) <= 12:
                        assert piece in text, f"{path!r}: {piece!r} not on screen"
            # The search lists the hostile paths too, escaped.
            app.screen.start_search("*")
            await settle(pilot, app)
            assert_nothing_obeyed(app, "search results")
            # A notification quoting a hostile name.
            app.notify(f"cannot open {CSI_CLEAR} [bold]x[/]")
            await settle(pilot, app)
            assert_nothing_obeyed(app, "notification")

    asyncio.run(scenario())


def test_the_guard_catches_a_raw_name(tmp_path: Path, monkeypatch) -> None:
    """The check above fails when a widget writes a name raw (here: the tree's names)."""
    from rich.segment import Segment

    monkeypatch.setattr(rootfs_tree, "segments",
                        lambda text, style=None, limit=None: [Segment(str(text), style)])
    bundle = hostile_bundle(tmp_path / "bundle")

    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=(160, 45)) as pilot:
            await settle(pilot, app)
            assert await app.query_one(RootfsTree).reveal("/names/" + OSC_TITLE)
            await settle(pilot, app)
            with pytest.raises((AssertionError, ET.ParseError)):
                assert_nothing_obeyed(app, "raw tree")

    asyncio.run(scenario())


def hostile_config(bundle: Path) -> None:
    """A config.json as an image's author could write it: valid JSON, hostile strings."""
    import json

    config = json.loads((bundle / "config.json").read_text())
    config["hostname"] = "host\u202eeman"
    config["process"]["args"] = ["sh", "-c", "echo \x7f\x9b2J"]
    config["annotations"] = {"org.evil\u2066key\u2069": "v\x9b31m", "note": "\u202eright"}
    (bundle / "config.json").write_text(json.dumps(config, indent=2, ensure_ascii=False))


@pytest.mark.timeout(120)
@pytest.mark.parametrize("size", [(80, 24), (160, 45)], ids=["80x24", "160x45"])
def test_hostile_config_strings_are_shown_not_obeyed(tmp_path: Path, size) -> None:
    bundle = hostile_bundle(tmp_path / "bundle")
    hostile_config(bundle)

    async def scenario() -> None:
        app = BundlebenchApp(bundle)  # the real validator: its messages quote the values
        async with app.run_test(size=size) as pilot:
            await settle(pilot, app)
            await app.action_switch_to("config")
            await settle(pilot, app)
            assert_nothing_obeyed(app, "config screen")
            screen = app.screen
            for pointer in ("/hostname", "/process/args/2", "/annotations/note",
                            "/annotations/org.evil\u2066key\u2069"):
                await screen.go_to(pointer, focus_value=True)
                await settle(pilot, app)
                assert_nothing_obeyed(app, pointer)
            await screen.action_toggle_raw()
            await settle(pilot, app)
            assert screen.showing_raw
            assert "\u202e" in screen.raw.text  # the text is the file's, unchanged
            assert_nothing_obeyed(app, "raw editor")

    asyncio.run(scenario())


@pytest.mark.timeout(120)
def test_a_broken_config_with_raw_controls_opens_safely(tmp_path: Path) -> None:
    bundle = hostile_bundle(tmp_path / "bundle")
    (bundle / "config.json").write_bytes(b'{"ociVersion": "1.3.0", "hostname": "\x1b]2;PWNED\x07')

    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot, app)
            assert_nothing_obeyed(app, "broken config in the raw editor")

    asyncio.run(scenario())
