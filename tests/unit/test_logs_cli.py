"""`bundlebench logs`: the tail, following, hostile output escaped, an unknown id in one
sentence (a state dir made by hand: no root, no container needed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bundlebench.cli import main
from bundlebench.containers.logs import read_tail


@pytest.fixture
def root(tmp_path: Path) -> Path:
    state = tmp_path / "state" / "web"
    state.mkdir(parents=True)
    lines = b"".join(b"line %d\r\n" % i for i in range(1, 2001))
    (state / "console.log").write_bytes(lines)
    return tmp_path / "state"


def test_tail_prints_the_last_lines(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["logs", "--root", str(root), "--tail", "3", "web"]) == 0
    assert capsys.readouterr().out == "line 1998\nline 1999\nline 2000\n"


def test_without_tail_everything(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["logs", "--root", str(root), "web"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "line 1" and out[-1] == "line 2000" and len(out) == 2000


def test_read_tail_pages_backwards_through_a_big_log(tmp_path: Path) -> None:
    log = tmp_path / "console.log"
    with open(log, "wb") as handle:
        for block in range(100):  # ~20 MB
            handle.write(b"".join(b"%08d %s\n" % (block * 20000 + i, b"x" * 50)
                                  for i in range(20000)))
    started = time.perf_counter()
    data, start = read_tail(str(log), 5)
    assert time.perf_counter() - started < 0.5
    assert data.splitlines()[-1].startswith(b"01999999") and len(data.splitlines()) == 5
    assert start == log.stat().st_size - len(data)
    older, _ = read_tail(str(log), 2, end=start)
    assert older.splitlines()[-1].startswith(b"01999994")


def test_hostile_output_is_escaped(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (root / "web" / "console.log").write_bytes(
        b"ok\r\n\x1b]0;pwned\x07\x1b[2Jevil \xe2\x80\xae txt\xff\r\n")
    assert main(["logs", "--root", str(root), "web"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "\\x1b]0;pwned\\x07\\x1b[2Jevil \\u202e txt\\xff" in out


def test_unknown_id_is_one_sentence_and_fails(root: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["logs", "--root", str(root), "nope"]) != 0
    err = capsys.readouterr().err.strip()
    assert err == "bundlebench: no container 'nope': `bundlebench ps` lists the containers"


def test_follow_prints_new_output_until_the_container_ends(root: Path) -> None:
    state = root / "web"
    process = subprocess.Popen(
        [sys.executable, "-m", "bundlebench", "logs", "-f", "--tail", "1", "--root",
         str(root), "web"], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline() == "line 2000\n"
        with open(state / "console.log", "ab") as handle:
            handle.write(b"fresh \x1b[31mred\r\n")
        assert process.stdout.readline() == "fresh \\x1b[31mred\n"
        (state / "exit.json").write_text(json.dumps({"exit_code": 0}))
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            os.kill(process.pid, 9)
            process.wait()


def test_raw_passes_bytes_into_a_pipe(root: Path) -> None:
    (root / "web" / "console.log").write_bytes(b"\x1b[31mred\r\n")
    out = subprocess.run([sys.executable, "-m", "bundlebench", "logs", "--raw", "--root",
                          str(root), "web"], capture_output=True, timeout=30, check=True)
    assert out.stdout == b"\x1b[31mred\r\n"
