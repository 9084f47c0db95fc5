"""A property that cannot pass by accident: hypothesis-made configs around the default
(random shapes, types and depths) go through validate and through the runtime's rules
and plan, as `create` takes them. Only the tools' own errors may come out, each with a
pointer and a sentence, in well under a second.

BUNDLEBENCH_PROPERTY_EXAMPLES sets the number of examples (2,000 by default)."""

from __future__ import annotations

import copy
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bundlebench.spec.problems import Problem
from bundlebench.spec.validate import validate
from runtime import plan as plans
from runtime import rules
from runtime.defaults import default_config
from runtime.errors import RuntimeFailure
from runtime.shape import without_nulls
from tests.fuzz.mutations import HOSTILE_TEXT, PATHS, apply
from tests.unit.checks_helpers import make_bundle

EXAMPLES = int(os.environ.get("BUNDLEBENCH_PROPERTY_EXAMPLES", "2000"))

SCALARS = (st.none() | st.booleans() | st.integers(-(2**70), 2**70)
           | st.floats(allow_nan=False) | st.text(max_size=8) | st.sampled_from(HOSTILE_TEXT))
VALUES = st.recursive(
    SCALARS,
    lambda inner: (st.lists(inner, max_size=5)
                   | st.dictionaries(st.sampled_from(["type", "path", "source", "destination",
                                                      "options", "names", "action", "args",
                                                      "\u202e", ""]) | st.text(max_size=6),
                                     inner, max_size=4)),
    max_leaves=16)
DEEP = st.integers(1, 120).map(lambda depth: _nest(depth))
MUTATION = st.tuples(st.sampled_from(PATHS), VALUES | DEEP, st.booleans())


def _nest(depth: int) -> Any:
    value: Any = "x"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_bundle(tmp_path_factory.mktemp("bundle"))


# How Python's own exceptions read ("'NoneType' object is not subscriptable"); the
# tools' sentences say "must be an object, not an array" instead.
INTERNALS = ("Traceback", "Error:", "' object", "object is not", "object has no",
             "not iterable", "object at 0x", "NoneType", "unhashable")


def _leaks_internals(text: str) -> bool:
    return any(word in text for word in INTERNALS)


def _assert_problem(problem: Problem) -> None:
    assert isinstance(problem, Problem)
    assert problem.severity in ("error", "warning")
    assert isinstance(problem.pointer, str) and (problem.pointer == ""
                                                 or problem.pointer.startswith("/"))
    assert isinstance(problem.message, str) and problem.message.strip()
    assert not _leaks_internals(problem.message), problem.message


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutations=st.lists(MUTATION, min_size=1, max_size=4), rootless=st.booleans())
def test_malformed_configs_give_sentences_with_pointers(bundle: Path, mutations, rootless):
    config = copy.deepcopy(default_config(rootless=rootless))
    for path, value, delete in mutations:
        config = apply(config, path, copy.deepcopy(value), delete)
    started = time.monotonic()
    for problem in validate(config, bundle):
        _assert_problem(problem)
    # As create takes it: the rules refuse with a pointer, or the plan is made.
    try:
        config = without_nulls(config)  # what load_bundle hands create
        rules.refuse(config, str(bundle), rootless)
    except RuntimeFailure as refusal:
        assert str(refusal).strip() and refusal.pointer is not None, refusal
        assert not _leaks_internals(str(refusal)), refusal
    else:
        try:
            plans.make(config, str(bundle), str(bundle / "rootfs"), rootless)
        except RuntimeFailure as refusal:
            assert str(refusal).strip()
    assert time.monotonic() - started < 1.0, json.dumps(config)[:300]
