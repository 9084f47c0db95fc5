"""The commands print untrusted text (config values, paths, tarball names) as escapes."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

from bundlebench.untrusted import is_unsafe
from tests.unit.test_cli_foundation import run_cli

OSC = "\x1b]2;PWNED\x07"


def raw_controls(text: str) -> list[str]:
    return sorted({f"U+{ord(c):04X}" for c in text if is_unsafe(c) and c != "\n"})


def test_validate_quotes_hostile_values_as_escapes(tmp_path: Path) -> None:
    from runtime.defaults import default_config

    bundle = tmp_path / "bundle"
    (bundle / "rootfs").mkdir(parents=True)
    config = default_config()
    config["ociVersion"] = f"1.0{OSC}"
    config["process"]["cwd"] = f"relative{OSC}\u202e"
    (bundle / "config.json").write_text(json.dumps(config))
    result = run_cli("validate", str(bundle))
    assert result.returncode != 0
    assert not raw_controls(result.stdout + result.stderr)
    # The hint quotes the value as it is (no repr): only the escaping makes it safe.
    assert '"/relative\\x1b]2;PWNED\\x07\\u202e"' in result.stdout
    as_json = run_cli("validate", "--format", "json", str(bundle))
    assert not raw_controls(as_json.stdout)
    assert any(OSC in p["hint"] for p in json.loads(as_json.stdout))  # the data is whole


def test_an_error_naming_a_hostile_path_is_escaped(tmp_path: Path) -> None:
    result = run_cli("validate", str(tmp_path / f"no{OSC}such"))
    assert result.returncode != 0
    assert not raw_controls(result.stderr)
    assert "no\\x1b]2;PWNED\\x07such" in result.stderr
    assert "Traceback" not in result.stderr


def test_new_reports_hostile_tarball_names_escaped(tmp_path: Path) -> None:
    tarball = tmp_path / "rootfs.tar"
    with tarfile.open(tarball, "w") as tar:
        for name in ("bin/sh", "dev/null"):
            info = tarfile.TarInfo(name)
            if name == "dev/null":  # skipped with a warning that names it
                info.type = tarfile.CHRTYPE
                info.devmajor, info.devminor = 1, 3
            tar.addfile(info, io.BytesIO(b""))
        link = tarfile.TarInfo(f"etc/{OSC}link")
        link.type, link.linkname = tarfile.SYMTYPE, f"../../{OSC}"
        tar.addfile(link)
    result = run_cli("new", str(tmp_path / f"bundle{OSC}"), "--from", str(tarball))
    assert not raw_controls(result.stdout + result.stderr), result.stderr


def test_unpaired_surrogates_are_sentences_not_tracebacks(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    (bundle / "rootfs").mkdir(parents=True)
    (bundle / "config.json").write_text(
        '{"ociVersion": "1.3.0", "\\udcff": 1, "annotations": {"\\ud800k": "v\\udfff"},'
        ' "root": {"path": "rootfs"}, "process": {"args": ["\\ud83d"], "cwd": "/"}}')
    for form in ("text", "json"):
        result = run_cli("validate", "--format", form, str(bundle))
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr and not raw_controls(result.stdout)
        assert "not UTF-8 text" in result.stdout
