"""The runtime's rules as validate sees them: one sentence per mistake, with its pointer."""

from __future__ import annotations

import pytest

from runtime.defaults import default_config
from runtime.errors import RuntimeFailure
from runtime.rules import check, refuse


def _config(**changes):
    config = default_config(args=["/bin/sh"])
    config.update(changes)
    return config


def test_an_unsupported_mount_option_is_told_once_at_the_options(tmp_path) -> None:
    config = _config()
    config["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                             "options": ["idmap"]})
    found = [(p.pointer, p.severity) for p in check(config, str(tmp_path), rootless=False)
             if p.severity == "error" and p.pointer.startswith("/mounts")]
    index = len(config["mounts"]) - 1
    assert found == [(f"/mounts/{index}/options", "error")]


def test_a_wrong_type_is_a_sentence_with_the_fields_pointer(tmp_path) -> None:
    config = _config()
    config["process"]["oomScoreAdj"] = "high"
    with pytest.raises(RuntimeFailure) as refused:
        refuse(config, str(tmp_path), False)
    assert refused.value.pointer == "/process/oomScoreAdj"
    assert str(refused.value) == "process.oomScoreAdj must be an integer, not a string"


def test_fields_the_runtime_does_not_apply_are_warnings(tmp_path) -> None:
    (tmp_path / "rootfs").mkdir()
    config = _config(root={"path": "rootfs"})
    config["linux"]["intelRdt"] = {"closID": "x"}
    found = [(p.pointer, p.severity) for p in check(config, str(tmp_path), rootless=False)]
    assert ("/linux/intelRdt", "warning") in found
