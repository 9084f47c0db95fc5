"""Pathological sizes are answered in bounded time with a bounded message."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bundlebench.spec.validate import SHOWN_ALIKE, validate
from runtime.defaults import default_config
from runtime.errors import RuntimeFailure
from runtime.rules import refuse
from runtime.shape import MAX_ITEMS, MAX_STRING


def _bundle(tmp_path: Path) -> Path:
    (tmp_path / "rootfs").mkdir()
    return tmp_path


@pytest.mark.parametrize(("field", "make"), [
    ("/process/capabilities/bounding", lambda c: c["process"]["capabilities"].__setitem__(
        "bounding", [f"CAP_X{i}" for i in range(50_000)])),
    ("/process/env", lambda c: c["process"].__setitem__(
        "env", [f"V{i}=1" for i in range(50_000)])),
    ("/mounts", lambda c: c.__setitem__(
        "mounts", [{"destination": f"/m{i}", "type": "tmpfs", "source": "tmpfs"}
                   for i in range(MAX_ITEMS + 1)])),
])
def test_huge_arrays_are_refused_alike_and_told_briefly(tmp_path: Path, field, make) -> None:
    config = default_config()
    make(config)
    started = time.monotonic()
    problems = validate(config, _bundle(tmp_path))
    assert time.monotonic() - started < 10  # a hang guard; the bench measures the speed
    sizes = [p for p in problems if p.pointer == field and "the runtime takes at most" in
             p.message]
    assert len(sizes) == 1, [p.message for p in problems][:5]
    assert len(problems) <= 3 * SHOWN_ALIKE
    with pytest.raises(RuntimeFailure) as refused:
        refuse(config, str(tmp_path), rootless=False)
    assert refused.value.pointer == field
    assert sizes[0].message == str(refused.value) + "."


def test_a_5_mb_string_is_refused_in_words(tmp_path: Path) -> None:
    config = default_config()
    config["process"]["args"] = ["sh", "-c", "x" * (5 << 20)]
    problems = validate(config, _bundle(tmp_path))
    assert any(p.pointer == "/process/args/2" and f"at most {MAX_STRING:,}" in p.message
               for p in problems)


def test_many_alike_problems_are_counted_not_listed(tmp_path: Path) -> None:
    config = default_config()
    config["process"]["capabilities"]["bounding"] = [f"CAP_BAD{i}" for i in range(500)]
    problems = validate(config, _bundle(tmp_path))
    listed = [p for p in problems if p.pointer.startswith("/process/capabilities/bounding/")]
    assert len(listed) == SHOWN_ALIKE + 1
    assert listed[-1].message.startswith("And 490 more errors like these")
