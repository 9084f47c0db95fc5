"""The validator never crashes: any JSON anywhere in a config gives Problems, not errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bundlebench.spec.problems import Problem
from bundlebench.spec.validate import validate
from runtime.defaults import default_config
from tests.fuzz.mutations import paths_of
from tests.unit.checks_helpers import make_bundle

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=12)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12,
)


PATHS = paths_of(default_config()) + paths_of(default_config(rootless=True))
EXTRA_KEYS = ["hooks", "annotations", "domainname", "linux/seccomp", "linux/devices",
              "linux/timeOffsets", "linux/sysctl", "linux/netDevices", "linux/intelRdt",
              "linux/memoryPolicy", "process/scheduler", "process/consoleSize"]


def _set(config: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    node = config
    for token in path[:-1]:
        node = node[token]
    node[path[-1]] = value
    return config


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_bundle(tmp_path_factory.mktemp("bundle"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.sampled_from(PATHS) | st.sampled_from(EXTRA_KEYS).map(lambda k: tuple(k.split("/"))),
    value=JSON,
    rootless=st.booleans(),
)
def test_any_value_anywhere(bundle: Path, path: tuple, value: Any, rootless: bool):
    config = default_config(rootless=rootless)
    try:
        config = _set(config, path, value)
    except (KeyError, IndexError, TypeError):
        return
    problems = validate(json.loads(json.dumps(config)), bundle)
    assert all(isinstance(p, Problem) for p in problems)
    assert problems == validate(json.loads(json.dumps(config)), bundle)  # stable
