"""Opening bundles and saving config.json without losing anything."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bundlebench.bundle import Bundle, BundleError, ConfigChangedOnDisk, ConfigDocument, ConfigError

CONFIG_WITH_UNKNOWN = (
    '{\n    "ociVersion": "1.3.0",\n    "zzz.vendor": {"keep": [1, 2]},\n'
    '    "root": {"path": "rootfs"},\n    "process": {"args": ["sh"], "cwd": "/"},\n'
    '    "aaa": true\n}\n'
)


def make_bundle(tmp_path: Path, text: str = CONFIG_WITH_UNKNOWN) -> Path:
    (tmp_path / "rootfs").mkdir()
    (tmp_path / "config.json").write_text(text)
    return tmp_path


def test_open_gives_config_and_rootfs(tmp_path: Path) -> None:
    bundle = Bundle.open(make_bundle(tmp_path))
    assert bundle.config.data["ociVersion"] == "1.3.0"
    assert bundle.rootfs_path == tmp_path / "rootfs"


def test_absolute_root_path(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    bundle_dir = tmp_path / "b"
    bundle_dir.mkdir()
    (bundle_dir / "config.json").write_text(json.dumps({"root": {"path": str(elsewhere)}}))
    assert Bundle.open(bundle_dir).rootfs_path == elsewhere


def test_a_missing_bundle_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="does not exist") as caught:
        Bundle.open(tmp_path / "bundle")
    assert "\n" not in str(caught.value) and caught.value.exit_code != 0


@pytest.mark.parametrize(
    ("setup", "kind", "expected"),
    [
        (lambda p: None, "missing", "has no config.json"),
        (lambda p: p.write_text('{"a": 1,\n  oops}'), "unparsable", "line 2, column 3"),
        (lambda p: p.write_text("[1, 2]"), "unparsable", "must hold a JSON object"),
        (lambda p: p.write_bytes(b'{"a":\n 1, "\xff"}'), "unparsable",
         "not UTF-8 text (bad byte at line 2, column 6)"),
        (lambda p: p.write_text("[" * 100_000), "unparsable",
         "nests deeper than 64 levels at /0/0/0/0/0/0/…"),
    ],
)
def test_a_broken_config_opens_for_repair(tmp_path: Path, setup, kind: str,
                                          expected: str) -> None:
    setup(tmp_path / "config.json")
    bundle = Bundle.open(tmp_path)
    trouble = bundle.config_trouble
    assert trouble is not None and trouble.kind == kind
    assert expected in trouble.message and "\n" not in trouble.message
    assert bundle.config.data == {}
    assert bundle.rootfs_trouble is not None and bundle.rootfs_trouble.kind == "unknown"
    with pytest.raises(ConfigError, match=expected.split(" (")[0]):
        bundle.check()


def test_an_unparsable_config_keeps_its_text_and_where_it_stops(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"a": 1,\n  oops}')
    trouble = Bundle.open(tmp_path).config_trouble
    assert trouble is not None
    assert (trouble.text, trouble.line, trouble.column) == ('{"a": 1,\n  oops}', 2, 3)


def test_saving_a_repaired_config_replaces_the_broken_file(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"a": 1,')
    bundle = Bundle.open(tmp_path)
    bundle.config.data.update({"a": 1})
    bundle.config.save()
    assert json.loads((tmp_path / "config.json").read_text()) == {"a": 1}
    assert (tmp_path / "config.json.bak").read_text() == '{"a": 1,'


def test_a_broken_config_changed_on_disk_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"a": 1,')
    bundle = Bundle.open(tmp_path)
    (tmp_path / "config.json").write_text('{"b": 2}')
    bundle.config.data.update({"a": 1})
    with pytest.raises(ConfigChangedOnDisk):
        bundle.config.save()


@pytest.mark.parametrize(
    ("setup", "kind", "expected"),
    [
        (lambda p: (p / "config.json").write_text('{"process": {}}'), "unknown",
         'no "root" object'),
        (lambda p: (p / "config.json").write_text('{"root": {}}'), "unknown", "no root.path"),
        (lambda p: (p / "config.json").write_text('{"root": {"path": "rootfs"}}'), "missing",
         "'rootfs' does not exist"),
        (lambda p: ((p / "rootfs").write_text("x"),
                    (p / "config.json").write_text('{"root": {"path": "rootfs"}}')),
         "not-a-directory", "is not a directory"),
        (lambda p: ((p / "real").mkdir(), (p / "rootfs").symlink_to("real"),
                    (p / "config.json").write_text('{"root": {"path": "rootfs"}}')),
         "refused", "passes through a symlink"),
    ],
)
def test_a_broken_rootfs_leaves_the_config_usable(tmp_path: Path, setup, kind: str,
                                                  expected: str) -> None:
    setup(tmp_path)
    bundle = Bundle.open(tmp_path)
    assert bundle.config_trouble is None and bundle.check() is bundle
    trouble = bundle.rootfs_trouble
    assert trouble is not None and trouble.kind == kind
    assert expected in trouble.message and "\n" not in trouble.message
    assert trouble.can_make == (kind == "missing")
    with pytest.raises((BundleError, ConfigError), match=expected):
        bundle.rootfs()


def test_a_rootfs_made_later_shows_at_once(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"root": {"path": "rootfs"}}')
    bundle = Bundle.open(tmp_path)
    assert bundle.rootfs_trouble is not None
    (tmp_path / "rootfs").mkdir()
    assert bundle.rootfs_trouble is None


def test_not_a_directory(tmp_path: Path) -> None:
    file = tmp_path / "file"
    file.write_text("x")
    with pytest.raises(BundleError, match="is not a directory"):
        Bundle.open(file)


def test_round_trip_keeps_order_unknown_fields_and_indent(tmp_path: Path) -> None:
    bundle = Bundle.open(make_bundle(tmp_path))
    bundle.config.save()
    assert (tmp_path / "config.json").read_text() == CONFIG_WITH_UNKNOWN


@pytest.mark.parametrize("indent", ["\t", 2, 4])
def test_edit_keeps_indentation_style(tmp_path: Path, indent: str | int) -> None:
    original = {"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "x-unknown": [1]}
    make_bundle(tmp_path, json.dumps(original, indent=indent) + "\n")
    bundle = Bundle.open(tmp_path)
    bundle.config.data["hostname"] = "edited"
    bundle.config.save()
    expected = dict(original, hostname="edited")
    assert (tmp_path / "config.json").read_text() == json.dumps(expected, indent=indent) + "\n"


def test_save_keeps_backup_and_ends_with_newline(tmp_path: Path) -> None:
    bundle = Bundle.open(make_bundle(tmp_path))
    bundle.config.data["hostname"] = "h"
    bundle.config.save()
    assert (tmp_path / "config.json.bak").read_text() == CONFIG_WITH_UNKNOWN
    assert (tmp_path / "config.json").read_text().endswith("}\n")
    assert list(tmp_path.glob(".config.json.*")) == []


def test_refuses_to_overwrite_external_change(tmp_path: Path) -> None:
    bundle = Bundle.open(make_bundle(tmp_path))
    (tmp_path / "config.json").write_text('{"root": {"path": "rootfs"}, "other": "edit"}\n')
    bundle.config.data["hostname"] = "mine"
    assert bundle.config.changed_on_disk()
    with pytest.raises(ConfigChangedOnDisk, match="changed on disk"):
        bundle.config.save()
    assert "other" in (tmp_path / "config.json").read_text()
    bundle.config.save(force=True)
    assert json.loads((tmp_path / "config.json").read_text())["hostname"] == "mine"


def test_second_save_after_own_save_is_not_a_conflict(tmp_path: Path) -> None:
    bundle = Bundle.open(make_bundle(tmp_path))
    bundle.config.data["hostname"] = "one"
    bundle.config.save()
    bundle.config.data["hostname"] = "two"
    bundle.config.save()
    assert json.loads((tmp_path / "config.json").read_text())["hostname"] == "two"


def test_crash_between_write_and_rename_leaves_old_config(tmp_path: Path) -> None:
    make_bundle(tmp_path)
    # A real crash: the child process dies at the moment it would rename.
    script = f"""
import os
from bundlebench.bundle import Bundle
bundle = Bundle.open({str(tmp_path)!r})
bundle.config.data["hostname"] = "never"
real_replace = os.replace
def crash(src, dst):
    if str(dst).endswith("config.json"):
        os._exit(9)
    real_replace(src, dst)
os.replace = crash
bundle.config.save()
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert result.returncode == 9
    assert (tmp_path / "config.json").read_text() == CONFIG_WITH_UNKNOWN
    assert ConfigDocument.load(tmp_path / "config.json").data["ociVersion"] == "1.3.0"


def test_failed_write_leaves_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = Bundle.open(make_bundle(tmp_path))

    def fail(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(ConfigError, match="could not be saved"):
        bundle.config.save()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "rootfs"]
    assert (tmp_path / "config.json").read_text() == CONFIG_WITH_UNKNOWN
