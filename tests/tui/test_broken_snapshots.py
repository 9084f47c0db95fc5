"""SVG snapshots of the broken-bundle screens at 80×24 and 160×45.

After a deliberate change of the look: BUNDLEBENCH_UPDATE_SNAPSHOTS=1 pytest tests/tui
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from bundlebench.tui.app import BundlebenchApp
from tests.tui.broken_helpers import no_config, no_rootfs, truncated_config
from tests.tui.helpers import assert_snapshot, fixed_validator, settle

# The bundle's path shows in the header: a fixed one of its own (the other snapshots
# use theirs), and the same user as the other snapshots.
pytestmark = pytest.mark.skipif(os.getuid() != 0, reason="snapshots are recorded as root")
TOP = Path("/tmp/bundlebench-tui-broken")
KINDS: dict[str, Callable[[Path], Path]] = {
    "truncated_config": truncated_config, "no_config": no_config, "no_rootfs": no_rootfs}


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("size", [(80, 24), (160, 45)], ids=["80x24", "160x45"])
def test_broken_bundle_screens(kind: str, size: tuple[int, int]) -> None:
    bundle = TOP / kind / "bundle"
    shutil.rmtree(bundle.parent, ignore_errors=True)
    KINDS[kind](bundle)

    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=size) as pilot:
            await settle(pilot, app)
            raw = app.screen.query("#raw-text")
            if raw:
                raw.first().cursor_blink = False  # the picture must not catch a blink
            await settle(pilot, app)
            assert_snapshot(app, f"broken_{kind}_{size[0]}x{size[1]}")

    try:
        asyncio.run(scenario())
    finally:
        shutil.rmtree(bundle.parent, ignore_errors=True)
