"""`bundlebench [BUNDLE]` and `bundlebench --demo`: choosing the bundle, clear failures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bundlebench.cli import main
from bundlebench.errors import BundlebenchError
from bundlebench.tui import launch


def test_no_argument_outside_a_bundle_says_so(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not a bundle" in err and "--demo" in err


def test_a_missing_bundle_is_one_sentence(tmp_path: Path, capsys) -> None:
    assert main([str(tmp_path / "nope")]) != 0
    err = capsys.readouterr().err
    assert err.startswith("bundlebench: ") and err.count("\n") == 1
    assert "Traceback" not in err


@pytest.mark.parametrize("config", ['{"ociVersion": "1.3.0", "root": {"path": "rootfs"}}',
                                    '{"ociVersion": ', None])
def test_a_broken_bundle_opens_for_repair(tmp_path: Path, monkeypatch, config) -> None:
    from bundlebench.tui.app import BundlebenchApp

    if config is not None:
        (tmp_path / "config.json").write_text(config)
    opened = []
    monkeypatch.setattr(BundlebenchApp, "run", lambda app: opened.append(app.bundle))
    monkeypatch.setattr(sys, "stdin", _Terminal())
    monkeypatch.setattr(sys, "stdout", _Terminal())
    assert main([str(tmp_path)]) == 0
    bundle = opened[0]
    assert bundle.path == tmp_path
    assert bundle.config_trouble is not None or bundle.rootfs_trouble is not None


class _Terminal:
    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def test_the_current_directory_is_used_when_it_is_a_bundle(bundle: Path, monkeypatch) -> None:
    monkeypatch.chdir(bundle)
    assert launch.resolve_bundle(None, demo=False) == bundle


def test_demo_builds_the_demo_bundle(bundle: Path, monkeypatch) -> None:
    import bundlebench.bundle.demo as demo

    monkeypatch.setattr(demo, "build_demo", lambda: bundle)
    monkeypatch.setattr(demo, "is_demo_complete", lambda path: True)
    assert launch.resolve_bundle(None, demo=True) == bundle


def test_without_a_terminal_the_app_explains(bundle: Path, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", open("/dev/null"))  # noqa: SIM115
    with pytest.raises(BundlebenchError, match="needs a terminal"):
        launch.open_app(bundle)


def test_first_argument_opens_the_app_unless_it_is_a_command(bundle: Path, monkeypatch) -> None:
    opened: list[tuple[Path | None, bool, bool]] = []
    monkeypatch.setattr(launch, "open_app", lambda path, demo=False, read_only=False:
                        opened.append((path, demo, read_only)) or 0)
    assert main([str(bundle)]) == 0
    assert main(["--demo"]) == 0
    assert main([]) == 0
    assert main(["--read-only", str(bundle)]) == 0
    assert main(["--read-only"]) == 0
    assert opened == [(bundle, False, False), (None, True, False), (None, False, False),
                      (bundle, False, True), (None, False, True)]
    assert main(["validate", str(bundle)]) in (0, 1)  # still the subcommand
    assert len(opened) == 5


def test_help_lists_the_app_and_the_commands_without_importing_textual() -> None:
    code = ("import sys\nfrom bundlebench.cli import main\ntry:\n    main(['--help'])\n"
            "except SystemExit:\n    pass\nprint('textual' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "[BUNDLE | COMMAND ...]" in out and "--demo" in out and "validate" in out
    assert out.strip().endswith("False")
