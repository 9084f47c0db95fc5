"""The default configs equal what runc writes (ociVersion aside)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from runtime.defaults import OCI_VERSION, default_config, dumps

FIXTURES = Path(__file__).parent / "fixtures"
RUNC = shutil.which("runc")


def _normalize(config: dict[str, Any]) -> str:
    """runc's output with our ociVersion, as text so that key order counts too."""
    config = dict(config, ociVersion=OCI_VERSION)
    return json.dumps(config, indent="\t")


def _expected(name: str) -> dict[str, Any]:
    """The checked-in runc 1.1.5 output (made as root), mapped to the current user."""
    config = json.loads((FIXTURES / name).read_text())
    linux = config["linux"]
    for key, own in (("uidMappings", os.geteuid()), ("gidMappings", os.getegid())):
        for mapping in linux.get(key, []):
            mapping["hostID"] = own
    return config


@pytest.mark.parametrize(("rootless", "fixture"), [
    (False, "runc-spec.json"), (True, "runc-spec-rootless.json"),
])
def test_matches_checked_in_runc_output(rootless: bool, fixture: str):
    assert _normalize(default_config(rootless=rootless)) == _normalize(_expected(fixture))


@pytest.mark.skipif(RUNC is None, reason="runc is not installed; the fixture test covers it")
@pytest.mark.parametrize("rootless", [False, True], ids=["default", "rootless"])
def test_matches_live_runc_spec(tmp_path: Path, rootless: bool):
    command = [RUNC, "spec"] + (["--rootless"] if rootless else [])
    subprocess.run(command, cwd=tmp_path, check=True, capture_output=True, timeout=30)
    theirs = json.loads((tmp_path / "config.json").read_text())
    assert _normalize(default_config(rootless=rootless)) == _normalize(theirs)


def test_oci_version_and_args():
    config = default_config(args=["/bin/echo", "hi"])
    assert config["ociVersion"] == "1.3.0"
    assert config["process"]["args"] == ["/bin/echo", "hi"]
    assert default_config()["process"]["args"] == ["sh"]


def test_each_call_returns_a_fresh_config():
    first = default_config()
    first["process"]["capabilities"]["bounding"].append("CAP_SYS_ADMIN")
    first["linux"]["maskedPaths"].clear()
    second = default_config()
    assert "CAP_SYS_ADMIN" not in second["process"]["capabilities"]["bounding"]
    assert second["linux"]["maskedPaths"]


def test_rootless_maps_the_current_user():
    linux = default_config(rootless=True)["linux"]
    assert linux["uidMappings"] == [{"containerID": 0, "hostID": os.geteuid(), "size": 1}]
    assert linux["gidMappings"] == [{"containerID": 0, "hostID": os.getegid(), "size": 1}]
    assert {"type": "user"} in linux["namespaces"]
    assert {"type": "network"} not in linux["namespaces"]
    assert "resources" not in linux


def test_dumps_uses_tabs_and_keeps_order():
    text = dumps(default_config())
    assert text.startswith('{\n\t"ociVersion": "1.3.0",\n\t"process": {\n\t\t"terminal": true')
    assert text.endswith("}\n")
