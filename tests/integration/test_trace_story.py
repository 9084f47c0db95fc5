"""`bundlebench trace` and `bundlebench run --explain` on real containers (root)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from tests.integration.conftest import ROOT_ONLY, Runner

pytestmark = ROOT_ONLY
HOSTILE = "bb|[bold]x\x1b]0;t\x07"


def bb(*args: str) -> subprocess.CompletedProcess[str]:
    """This checkout's `bundlebench` (its shim runs the runtime next to this interpreter)."""
    return subprocess.run([sys.executable, "-m", "bundlebench", *args], capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)


def _traced(rt: Runner) -> str:
    """A container created and started with the embedded runtime, run to its end."""
    cid = rt.new_id("story")
    bundle = rt.bundle(["true"], hostname=HOSTILE)
    rt("create", "-b", str(bundle), cid, check=True)
    rt("start", cid, check=True)
    assert rt.wait_status(cid, "stopped")["status"] == "stopped"
    return cid


def test_trace_tells_the_real_steps_in_each_format(rt: Runner) -> None:
    cid = _traced(rt)
    root = str(rt.root)
    result = bb("trace", "--root", root, cid, "--format", "json")
    assert result.returncode == 0, result.stderr
    steps = json.loads(result.stdout)
    by_step = {step["step"]: step for step in steps}
    assert by_step["namespace"]["pointer"].startswith("/linux/namespaces")
    assert by_step["pivot_root"]["pointer"] == "/root/path"
    assert by_step["exec"]["pointer"] == "/process/args"
    # The runtime writes the hostname escaped already; the pipe and brackets stay as given.
    assert by_step["hostname"]["syscall"].startswith("sethostname('bb|[bold]x")
    assert by_step["exec"]["stage"] == "init" and by_step["namespace"]["stage"] == "stage 1"
    assert any(step["pointer"].startswith("/mounts/") for step in steps)
    assert steps[0]["at_ms"] == 0.0 and all(step["result"] for step in steps)

    result = bb("trace", "--root", root, cid, "--format", "markdown")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"## How the runtime set up container {cid}\n")
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + len(steps)
    for row in rows:  # hostile text stays in its cell
        assert len(re.split(r"(?<!\\)\|", row.strip()[1:-1])) == 8, row
    assert "`/root/path`" in result.stdout and "**Switch root**" in result.stdout
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout

    result = bb("trace", "--root", root, cid)
    assert result.returncode == 0, result.stderr
    for words in ("Namespaces", "Switch root", "Exec", "field /root/path",
                  "field /process/args", "[bold]x\\x1b]0;t\\x07"):
        assert words in result.stdout
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert all(len(line) <= 80 for line in result.stdout.splitlines())


def test_trace_of_an_unknown_container(rt: Runner) -> None:
    result = bb("trace", "--root", str(rt.root), "nope-123")
    assert result.returncode == 1
    assert result.stderr.strip() == (f"bundlebench: no container 'nope-123' under {rt.root}: "
                                     "`bundlebench ps` lists the containers there")


def test_run_explain_true_tells_the_story_and_leaves_nothing(rt: Runner) -> None:
    cid = rt.new_id("explain")
    bundle = rt.bundle(["/bin/true"])
    result = bb("run", "--explain", "--root", str(rt.root), "--id", cid, str(bundle))
    assert result.returncode == 0, result.stderr
    assert f"How the runtime set up container {cid}" in result.stdout
    assert "Switch root" in result.stdout and "field /process/args" in result.stdout
    assert not (rt.root / cid).exists()


def test_run_explain_passes_the_exit_code_on(rt: Runner) -> None:
    cid = rt.new_id("explain")
    bundle = rt.bundle(["sh", "-c", "echo before-the-story; exit 3"])
    result = bb("run", "--explain", "--root", str(rt.root), "--id", cid, str(bundle))
    assert result.returncode == 3, result.stderr
    output, _, story = result.stdout.partition("How the runtime set up")
    assert "before-the-story" in output  # the container's output first, then the story
    assert "Namespaces" in story
    assert not (rt.root / cid).exists()


def test_run_explain_refuses_detach(rt: Runner) -> None:
    result = bb("run", "--explain", "-d", "--root", str(rt.root), str(rt.bundle(["true"])))
    assert result.returncode == 1 and "leave out --detach" in result.stderr
