"""write_atomic: a writer killed at any moment leaves the old file or the new one, whole,
and the next write removes what the killed one left."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from bundlebench.bundle.atomic import sweep_stale_temps, write_atomic

WRITER = """
import sys
from pathlib import Path
from bundlebench.bundle.atomic import write_atomic
target = Path(sys.argv[1])
i = 0
print("ready", flush=True)
while True:
    i += 1
    write_atomic(target, (b"%d\\n" % i) * 200_000)
"""


def _dead_pid() -> int:
    child = os.fork()
    if child == 0:
        os._exit(0)
    os.waitpid(child, 0)
    return child


def test_only_dead_writers_temps_are_swept(tmp_path: Path) -> None:
    target = tmp_path / "config.json"
    target.write_text("{}")
    stale = tmp_path / f".config.json.{_dead_pid()}.abc123.tmp"
    live = tmp_path / f".config.json.{os.getpid()}.def456.tmp"
    foreign = tmp_path / ".config.json.editor-swap.tmp"
    other = tmp_path / f".other.json.{_dead_pid()}.x.tmp"
    for path in (stale, live, foreign, other):
        path.write_text("partial")
    write_atomic(target, b'{"a": 1}')
    assert target.read_bytes() == b'{"a": 1}'
    assert not stale.exists()
    assert live.exists() and foreign.exists() and other.exists()
    assert sweep_stale_temps(target) == []


# The loop: 200 kills (BUNDLEBENCH_KILLS=N for more or fewer).
KILLS = int(os.environ.get("BUNDLEBENCH_KILLS", "200"))


def test_a_writer_killed_at_random_moments_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "config.json"
    write_atomic(target, b"0\n")
    repo = str(Path(__file__).resolve().parents[2])
    moments = random.Random(5736)
    strays = 0
    for _ in range(KILLS):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(target)],
                                  stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": repo})
        assert writer.stdout.readline() == b"ready\n"
        time.sleep(moments.uniform(0, 0.05))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
        lines = set(target.read_bytes().splitlines())
        assert len(lines) == 1, "the file is one whole version"
        strays += len(list(tmp_path.iterdir())) - 1
    assert strays > 0, "no kill landed mid-write: the test proved nothing"
    write_atomic(target, b"final\n")
    assert target.read_bytes() == b"final\n"
    assert [p.name for p in tmp_path.iterdir()] == ["config.json"]
