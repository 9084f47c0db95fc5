"""The Layers panel and the layer marks of the rootfs screen, driven through Pilot."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bundlebench.image.unpack import unpack_image
from bundlebench.tui.app import BundlebenchApp
from bundlebench.tui.widgets.layers import LayersPanel
from bundlebench.tui.widgets.rootfs_tree import RootfsTree
from tests.tui.helpers import SIZE, fixed_validator, screen_text, settle
from tests.unit.image_helpers import D, F, W, write_oci_layout

HISTORY = [{"created_by": "/bin/sh -c #(nop) ADD base"},
           {"created_by": "/bin/sh -c install app"},
           {"created_by": "/bin/sh -c clean up"}]


@pytest.fixture
def image_bundle(tmp_path: Path) -> Path:
    write_oci_layout(tmp_path / "img", [{"history": HISTORY, "layers": [
        [D("etc"), F("etc/os-release", b"v1"), F("etc/keep", b"k"), D("var"),
         F("var/cache.db", b"x" * 5000)],
        [F("etc/os-release", b"v2"), D("app"), F("app/run", b"#!", mode=0o755)],
        [W("var/cache.db"), F("app/config", b"c")],
    ]}])
    unpack_image(tmp_path / "img", tmp_path / "bundle")
    return tmp_path / "bundle"


def names(app: BundlebenchApp) -> list[str]:
    return [node.path for node in app.query_one(RootfsTree).rows if node.status is None]


async def expand_all(pilot, app: BundlebenchApp) -> None:
    tree = app.query_one(RootfsTree)
    for node in list(tree.rows):
        if node.is_dir:
            await tree.expand_node(node)
    await settle(pilot, app)


def test_rows_are_marked_and_the_panel_filters(image_bundle: Path) -> None:
    async def scenario() -> None:
        app = BundlebenchApp(image_bundle, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            await expand_all(pilot, app)
            text = screen_text(app)
            assert "keep  L1+" in text and "os-release  L2~" in text and "config  L3+" in text

            await pilot.press("l")
            await settle(pilot, app)
            panel = app.query_one(LayersPanel)
            assert not panel.has_class("-hidden")
            text = screen_text(app)
            assert "install app" in text and "all layers" in text and "5.0 kB" in text

            await pilot.press("down", "down", "enter")  # the second layer
            await settle(pilot, app)
            assert (panel.chosen_layer, panel.chosen_status) == (1, None)
            assert names(app) == ["/", "/app", "/app/run", "/etc", "/etc/os-release"]

            await pilot.press("c")  # changed, in layer 2
            await settle(pilot, app)
            assert names(app) == ["/", "/etc", "/etc/os-release"]

            await pilot.press("x", "r")  # removed, in any layer
            await settle(pilot, app)
            assert names(app) == ["/", "/var"]
            assert "1 removed path" in screen_text(app)

            await pilot.press("x")
            await settle(pilot, app)
            assert "/etc/keep" in names(app) and "/var/cache.db" not in names(app)

            await pilot.press("l")
            await settle(pilot, app)
            assert panel.has_class("-hidden") and app.query_one(RootfsTree).has_focus

    asyncio.run(scenario())


def test_a_bundle_without_provenance_has_no_panel(bundle: Path) -> None:
    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            await pilot.press("l")
            await settle(pilot, app)
            assert not app.query(LayersPanel)
            text = screen_text(app)
            assert "L1+" not in text and "Layers" not in text

    asyncio.run(scenario())
