"""`bundlebench explain POINTER`."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bundlebench.cli import main


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("NO_COLOR", "1")


def explain(pointer: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["explain", pointer])
    out, err = capsys.readouterr()
    return code, out, err


def test_explains_namespaces(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = explain("/linux/namespaces", capsys)
    assert code == 0 and err == ""
    assert "Namespaces" in out
    assert "config-linux.md#namespaces" in out
    assert "array of object" in out
    assert "/linux/namespaces/*" in out  # the element, listed as a field below
    assert '"type": "pid"' in out  # the example, as JSON


def test_explains_bounding_capabilities(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = explain("/process/capabilities/bounding", capsys)
    assert code == 0
    assert "Bounding capabilities" in out
    assert "CAP_SYS_ADMIN" in out and "CAP_CHECKPOINT_RESTORE" in out  # allowed values
    assert "PR_CAPBSET_DROP" in out  # what the kernel does
    assert "config.md#linux-process" in out


def test_concrete_pointer_shows_the_pattern_and_the_lookup(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = explain("/process/rlimits/0/hard", capsys)
    assert code == 0
    assert "/process/rlimits/*/hard" in out and "/process/rlimits/0/hard" in out
    assert "uint64" in out


def test_top_level_lists_the_sections(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = explain("/", capsys)
    assert code == 0
    for name in ("/ociVersion", "/process", "/linux", "/hooks", "/annotations"):
        assert name in out


def test_limits_are_shown(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = explain("/process/oomScoreAdj", capsys)
    assert code == 0 and "from -1000 to 1000" in out


def test_unknown_pointer_fails_with_one_sentence_and_a_hint(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = explain("/linux/namespace", capsys)
    assert code == 1 and out == ""
    assert err.count("\n") == 1
    assert "'/linux/namespace' is not a config.json field" in err
    assert "did you mean /linux/namespaces" in err
    assert "Traceback" not in err


def test_missing_argument_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["explain"])
    assert exit_info.value.code == 2


def test_registering_the_command_imports_nothing_heavy() -> None:
    code = (
        "import argparse, sys\n"
        "from bundlebench.commands import explain\n"
        "explain.register(argparse.ArgumentParser().add_subparsers())\n"
        "heavy = [m for m in ('rich', 'jsonschema', 'bundlebench.spec.schema',"
        " 'bundlebench.spec.docs') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"
