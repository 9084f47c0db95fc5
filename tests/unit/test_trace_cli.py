"""`bundlebench trace` on containers that cannot tell their story: one sentence, exit 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bundlebench.cli import main
from runtime.state import ContainerState


def _container(root: Path, cid: str, trace: bytes | None) -> Path:
    directory = root / cid
    directory.mkdir(parents=True)
    state = ContainerState(id=cid, bundle="/b", rootfs="/b/rootfs", pid=4242,
                           config={"hostname": "h"})
    (directory / "state.json").write_text(state.to_json())
    if trace is not None:
        (directory / "trace.jsonl").write_bytes(trace)
    return directory


def _trace(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str, str]:
    code = main(["trace", "--root", str(root), *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("trace", "words"), [
    (None, "has no setup trace"),
    (b"not json\n\x00\x01\n", "holds no step it can read"),
])
def test_a_container_without_a_readable_trace(tmp_path: Path, capsys, trace, words) -> None:
    _container(tmp_path, "c1", trace)
    code, out, err = _trace(capsys, tmp_path, "c1")
    assert code == 1 and out == ""
    assert words in err and "'c1'" in err and len(err.splitlines()) == 1
    assert "Traceback" not in err


def test_an_unknown_id_and_a_bad_one(tmp_path: Path, capsys) -> None:
    code, _, err = _trace(capsys, tmp_path, "nope-123")
    assert code == 1 and f"no container 'nope-123' under {tmp_path}" in err
    assert "bundlebench ps" in err
    code, _, err = _trace(capsys, tmp_path, "../x")
    assert code == 1 and "container id" in err and "Traceback" not in err


def test_an_unreadable_trace(tmp_path: Path, capsys) -> None:
    directory = _container(tmp_path, "c2", None)
    (directory / "trace.jsonl").mkdir()  # unreadable even for root
    code, _, err = _trace(capsys, tmp_path, "c2")
    assert code == 1 and "cannot read the setup trace of 'c2'" in err


def test_a_trace_in_each_format(tmp_path: Path, capsys) -> None:
    event = {"step": "hostname", "syscall": "sethostname('h')", "result": "ok", "us": 7,
             "pid": 4242, "t": 1000}
    _container(tmp_path, "c3", (json.dumps(event) + "\n").encode())
    code, out, _ = _trace(capsys, tmp_path, "c3", "--format", "json")
    assert code == 0
    assert json.loads(out)[0] | {"explanation": ""} == {
        "index": 1, "at_ms": 0.0, "micros": 7, "pid": 4242, "stage": "init",
        "step": "hostname", "title": "Hostname", "syscall": "sethostname('h')",
        "result": "ok", "pointer": "/hostname", "explanation": ""}
    code, out, _ = _trace(capsys, tmp_path, "c3", "--format", "markdown")
    assert code == 0 and "| 1 | 0.00 | 7 | 4242 init | Hostname |" in out
    code, out, _ = _trace(capsys, tmp_path, "c3")
    assert code == 0 and "Hostname" in out and "field /hostname" in out
