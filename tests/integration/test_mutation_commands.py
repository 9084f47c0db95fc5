"""200 mutated configs through the commands themselves: `bundlebench validate` and
`bundlebench-runtime create` print no traceback and exit 0, 1 or 2 (a created container
is deleted at once). The in-process property test covers many more, faster."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.fuzz.mutations import mutated_config
from tests.fuzz.run_mutations import make_bundle, through_commands
from tests.integration.conftest import ROOT_ONLY

pytestmark = ROOT_ONLY

SAMPLE = 200


@pytest.mark.timeout(600)
def test_a_sample_of_mutated_configs_through_both_commands(rt, tmp_path: Path) -> None:
    bundles = [make_bundle(tmp_path / f"bundle-{worker}") for worker in range(2)]

    def one(index: int) -> list[str]:
        cid = rt.new_id("mut")
        found = through_commands(mutated_config(7_000 + index), bundles[index % 2], rt.root,
                                 cid)
        return [f"seed {7_000 + index}: {what}" for what in found]

    with ThreadPoolExecutor(max_workers=2) as pool:
        wrong = [what for found in pool.map(one, range(SAMPLE)) for what in found]
    assert not wrong, wrong[:10]
