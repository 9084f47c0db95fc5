"""Directory symlinks in the tree: inside the rootfs they open; loops and climbs do not."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from bundlebench.tui.app import BundlebenchApp
from bundlebench.tui.widgets.rootfs_tree import Node, RootfsTree
from tests.tui.bundles import build_bundle
from tests.tui.helpers import SIZE, fixed_validator, screen_text, settle


def link_bundle(tmp_path: Path) -> Path:
    bundle = build_bundle(tmp_path / "b", many=3)
    rootfs = bundle / "rootfs"
    (rootfs / "usr/lib/sub").mkdir(parents=True)
    (rootfs / "usr/lib/libc.so").write_text("elf\n")
    for name in ("x", "y"):
        (rootfs / name).mkdir()
    links = {
        "lib": "usr/lib",  # relative, inside
        "abs": "/usr/lib",  # absolute: taken against the rootfs root
        "usr/lib/up": "..",  # the directory holding the link: a loop
        "usr/lib/top": "/",  # the root holds everything
        "self": "self",  # ELOOP
        "climb": "../../../..",  # climbs out of the rootfs
        "x/to-y": "/y",  # to-y opens y; y's to-x leads back to x, which holds it
        "y/to-x": "../x",
    }
    for name, target in links.items():
        os.symlink(target, rootfs / name)
    return bundle


def child(node: Node, name: str) -> Node:
    return next(c for c in node.children if c.name == name)


def test_a_directory_link_inside_opens_and_is_marked(tmp_path: Path) -> None:
    bundle = link_bundle(tmp_path)

    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            tree = app.query_one(RootfsTree)
            for name, target in (("lib", "usr/lib"), ("abs", "/usr/lib")):
                link = child(tree.root, name)
                assert link.entry.kind == "symlink" and link.link_dir == "/usr/lib"
                assert f"▶ {name} → {target}" in screen_text(app)
                tree.move_cursor_to(link)
                await pilot.press("right")
                await settle(pilot, app)
                assert link.expanded
                assert [c.name for c in link.children] == ["sub", "libc.so", "top", "up"]
                # The children are the target's entries, with the target's paths.
                assert child(link, "libc.so").path == "/usr/lib/libc.so"
                assert f"▼ {name} → {target}" in screen_text(app)
                await pilot.press("down")
                assert "a directory link: opens /usr/lib" not in screen_text(app)
                tree.move_cursor_to(link)
                await settle(pilot, app)
                assert "a directory link: opens /usr/lib" in screen_text(app)

    asyncio.run(scenario())


def test_loops_and_climbs_are_refused_with_a_reason(tmp_path: Path) -> None:
    bundle = link_bundle(tmp_path)

    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            tree = app.query_one(RootfsTree)
            lib = child(tree.root, "lib")
            await tree.expand_node(lib)
            await settle(pilot, app)
            up, top = child(lib, "up"), child(lib, "top")
            assert up.link_refused == "loop: /usr holds this link"
            assert top.link_refused == "loop: / holds this link"
            refused = [up, top, child(tree.root, "self"), child(tree.root, "climb")]
            for node in refused:
                assert not node.can_expand, node
                tree.move_cursor_to(node)
                await pilot.press("right")
                await settle(pilot, app)
                assert not node.expanded, node
            text = screen_text(app)
            assert "up → .. (loop: /usr holds this link)" in text
            assert "self → self (loop)" in text
            assert "climb → ../../../.. (escapes)" in text

    asyncio.run(scenario())


def test_a_link_back_through_another_link_is_a_loop(tmp_path: Path) -> None:
    bundle = link_bundle(tmp_path)

    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            tree = app.query_one(RootfsTree)
            x = child(tree.root, "x")
            await tree.expand_node(x)
            to_y = child(x, "to-y")
            assert to_y.link_dir == "/y"
            await tree.expand_node(to_y)
            to_x = child(to_y, "to-x")
            assert to_x.link_refused == "loop: /x holds this link"
            assert not to_x.can_expand
            # Seen from /y itself, the same link opens: /x does not hold /y.
            y = child(tree.root, "y")
            await tree.expand_node(y)
            assert child(y, "to-x").link_dir == "/x"

    asyncio.run(scenario())
