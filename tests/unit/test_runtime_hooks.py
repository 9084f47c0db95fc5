"""runtime.hooks with real little shell-script hooks (no root needed)."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest

from runtime import hooks
from runtime.errors import RuntimeFailure
from runtime.trace import Tracer, read_trace

STATE = hooks.hook_state("c1", "creating", 4242, "/b", {"a": "b"})


def script(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def config_with(kind: str, *entries: dict) -> dict:
    return {"hooks": {kind: list(entries)}}


def test_state_on_stdin_args_and_env(tmp_path: Path) -> None:
    out = tmp_path / "out"
    # sh -c: the shell's own /proc/$$/cmdline and environ show what execve got.
    command = (f"cat > {out}.state; tr '\\0' '|' < /proc/$$/cmdline > {out}.argv; "
               f"tr '\\0' '|' < /proc/$$/environ > {out}.env")
    hooks.run_hooks(config_with("createRuntime", {
        "path": "/bin/sh", "args": ["argv-zero", "-c", command], "env": ["FOO=bar=baz"]}),
        "createRuntime", STATE)
    assert (tmp_path / "out.argv").read_text() == f"argv-zero|-c|{command}|"
    assert (tmp_path / "out.env").read_text() == "FOO=bar=baz|"
    assert json.loads((tmp_path / "out.state").read_text()) == {
        "ociVersion": "1.3.0", "id": "c1", "status": "creating", "pid": 4242, "bundle": "/b",
        "annotations": {"a": "b"}}


def test_without_args_argv0_is_the_path_and_env_is_inherited(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_TEST_VAR", "inherited")
    out = tmp_path / "out"
    path = script(tmp_path, "h", f'echo "$0|$HOOK_TEST_VAR" > {out}\n')
    hooks.run_hooks(config_with("poststart", {"path": path}), "poststart", STATE)
    assert out.read_text() == f"{path}|inherited\n"


def test_default_env_for_hooks_without_env(tmp_path: Path) -> None:
    out = tmp_path / "out"
    path = script(tmp_path, "h", f"tr '\\0' '|' < /proc/$$/environ > {out}\n")
    hooks.run_hooks(config_with("startContainer", {"path": path}), "startContainer", STATE,
                    default_env={"PATH": "/bin", "HOME": "/root"})
    assert out.read_text() == "PATH=/bin|HOME=/root|"


def test_hooks_run_in_order(tmp_path: Path) -> None:
    log = tmp_path / "log"
    entries = [{"path": script(tmp_path, f"h{i}", f"echo {i} >> {log}\n")} for i in range(3)]
    results = hooks.run_hooks(config_with("prestart", *entries), "prestart", STATE)
    assert log.read_text() == "0\n1\n2\n"
    assert [r.ok for r in results] == [True, True, True]


@pytest.mark.parametrize("kind", ["prestart", "createRuntime", "createContainer",
                                  "startContainer"])
def test_failure_before_start_raises_and_stops(tmp_path: Path, kind: str) -> None:
    log = tmp_path / "log"
    bad = script(tmp_path, "bad", "echo something broke >&2\nexit 3\n")
    after = script(tmp_path, "after", f"echo ran > {log}\n")
    with pytest.raises(RuntimeFailure) as info:
        hooks.run_hooks(config_with(kind, {"path": bad}, {"path": after}), kind, STATE)
    message = str(info.value)
    assert f"hooks.{kind}[0] {bad} failed with exit status 3" in message
    assert "something broke" in message
    assert not log.exists()


@pytest.mark.parametrize("kind", ["poststart", "poststop"])
def test_failure_after_start_is_a_warning_and_the_rest_run(tmp_path: Path, kind: str) -> None:
    log = tmp_path / "log"
    bad = script(tmp_path, "bad", "exit 1\n")
    after = script(tmp_path, "after", f"echo ran > {log}\n")
    warnings: list[str] = []
    results = hooks.run_hooks(config_with(kind, {"path": bad}, {"path": after}), kind, STATE,
                              warn=warnings.append)
    assert warnings == [f"hooks.{kind}[0] {bad} failed with exit status 1"]
    assert log.read_text() == "ran\n"
    assert [r.ok for r in results] == [False, True]


def test_timeout_kills_the_hook_and_its_children(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    path = script(tmp_path, "slow", f"sleep 30 &\necho $! > {pidfile}\necho waiting\nwait\n")
    start = time.monotonic()
    with pytest.raises(RuntimeFailure, match=r"hooks.createRuntime\[0\] .* timed out"):
        hooks.run_hooks(config_with("createRuntime", {"path": path, "timeout": 1}),
                        "createRuntime", STATE)
    assert time.monotonic() - start < 10
    child = int(pidfile.read_text())
    for _ in range(200):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.01)
    else:
        pytest.fail("the hook's child survived the timeout")


def test_missing_hook_binary(tmp_path: Path) -> None:
    with pytest.raises(RuntimeFailure, match="cannot be run: No such file"):
        hooks.run_hooks(config_with("createContainer", {"path": str(tmp_path / "nope")}),
                        "createContainer", STATE)


def test_killed_by_signal_is_reported(tmp_path: Path) -> None:
    path = script(tmp_path, "k", "kill -9 $$\n")
    with pytest.raises(RuntimeFailure, match="killed by signal 9"):
        hooks.run_hooks(config_with("startContainer", {"path": path}), "startContainer", STATE)


def test_hook_that_ignores_stdin_and_prints_a_lot(tmp_path: Path) -> None:
    path = script(tmp_path, "loud", "head -c 300000 /dev/zero | tr '\\0' x\nexit 2\n")
    big_state = dict(STATE, annotations={"k": "v" * 200000})
    with pytest.raises(RuntimeFailure) as info:
        hooks.run_hooks(config_with("prestart", {"path": path}), "prestart", big_state)
    assert len(str(info.value)) < 2000
    assert str(info.value).endswith("x")


def test_output_of_a_background_child_does_not_block(tmp_path: Path) -> None:
    # The hook exits while a child keeps stdout open: the runtime must not wait for it.
    pidfile = tmp_path / "pid"
    path = script(tmp_path, "bg", f"sleep 5 &\necho $! > {pidfile}\nexit 0\n")
    start = time.monotonic()
    try:
        hooks.run_hooks(config_with("poststop", {"path": path}), "poststop", STATE)
        assert time.monotonic() - start < 3
    finally:
        os.kill(int(pidfile.read_text()), 9)  # the test's own leftover, by pid


@pytest.mark.parametrize("entry, field", [
    ({"path": "relative"}, "path"),
    ({"path": "/bin/true", "args": "x"}, "args"),
    ({"path": "/bin/true", "env": [1]}, "env"),
    ({"path": "/bin/true", "timeout": 0}, "timeout"),
])
def test_bad_entries_name_the_field(entry: dict, field: str) -> None:
    with pytest.raises(RuntimeFailure, match=rf"hooks.poststart\[0\].{field}"):
        hooks.run_hooks(config_with("poststart", entry), "poststart", STATE)


def test_trace_records_each_hook_and_exit(tmp_path: Path) -> None:
    trace_path = tmp_path / "trace.jsonl"
    tracer = Tracer.open(str(trace_path))
    ok = script(tmp_path, "ok", "exit 0\n")
    bad = script(tmp_path, "bad", "exit 4\n")
    hooks.run_hooks(config_with("poststop", {"path": ok}, {"path": bad}), "poststop", STATE,
                    tracer, warn=lambda _m: None)
    tracer.close()
    events = read_trace(str(trace_path))
    assert [(e["step"], e["result"]) for e in events] == [("hook", "ok"), ("hook", "exit 4")]


def test_no_hooks_is_nothing() -> None:
    assert hooks.run_hooks({}, "prestart", STATE) == []
    with pytest.raises(ValueError):
        hooks.hooks_of({}, "preStart")


def test_hook_state_without_pid() -> None:
    assert hooks.hook_state("c", "stopped", 0, "/b") == {
        "ociVersion": "1.3.0", "id": "c", "status": "stopped", "bundle": "/b"}
