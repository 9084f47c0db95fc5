"""validate(): schema problems first, then semantic ones, each told once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bundlebench.spec.problems import Problem, pointer, split_pointer
from bundlebench.spec.validate import field_label, validate
from runtime.defaults import default_config
from tests.unit.checks_helpers import make_bundle


@pytest.mark.parametrize("rootless", [False, True], ids=["default", "rootless"])
def test_default_configs_validate_clean(tmp_path: Path, rootless: bool):
    problems = validate(default_config(rootless=rootless), make_bundle(tmp_path))
    if rootless or os.geteuid() == 0:
        assert problems == []
    else:  # validate == run: a plain user cannot run the root default, and is told so once
        assert [(p.pointer, p.severity) for p in problems] == [("/linux/namespaces", "error")]
        assert "needs root" in problems[0].message


def test_reports_every_schema_error_not_only_the_first():
    config = default_config()
    config["process"]["cwd"] = 5
    config["process"]["terminal"] = "yes"
    config["root"]["readonly"] = "no"
    found = {p.pointer for p in validate(config, schema_only=True)}
    assert {"/process/cwd", "/process/terminal", "/root/readonly"} <= found


def test_schema_errors_come_before_semantic_problems():
    config = default_config()
    config["ociVersion"] = "one"  # semantic (and maybe schema) problem at the top
    config["linux"]["maskedPaths"][0] = "relative"  # semantic
    config["linux"]["readonlyPaths"] = "not-a-list"  # schema
    problems = validate(config)
    schema_index = next(i for i, p in enumerate(problems) if p.pointer == "/linux/readonlyPaths")
    masked_index = next(i for i, p in enumerate(problems)
                        if p.pointer == "/linux/maskedPaths/0")
    assert schema_index < masked_index


def test_a_field_is_reported_once():
    config = default_config()
    config["process"]["rlimits"][0]["type"] = "RLIMIT_BOGUS"
    problems = [p for p in validate(config) if p.pointer == "/process/rlimits/0/type"]
    assert len(problems) == 1 and problems[0].severity == "error"


def test_missing_required_field_points_at_it():
    config = default_config()
    del config["ociVersion"]
    problems = validate(config, schema_only=True)
    assert [p.pointer for p in problems] == ["/ociVersion"]
    assert "ociVersion" in problems[0].message


def test_not_an_object():
    problems = validate([])  # type: ignore[arg-type]
    assert problems and all(p.severity == "error" for p in problems)


def test_order_is_stable():
    config = default_config()
    config["process"]["env"] = ["A", "B", "A=1", "A=2"]
    config["linux"]["sysctl"] = {"vm.x": "1", "kernel.y": "1"}
    assert validate(config) == validate(config)


def test_pointer_escaping():
    assert pointer("linux", "sysctl", "net/ipv4~x") == "/linux/sysctl/net~1ipv4~0x"
    assert split_pointer("/linux/sysctl/net~1ipv4~0x") == ["linux", "sysctl", "net/ipv4~x"]
    assert pointer() == "" and split_pointer("") == []
    config = default_config()
    config["linux"]["sysctl"] = {"vm/swap~": "1"}
    assert [p.pointer for p in validate(config)] == ["/linux/sysctl/vm~1swap~0"]


def test_problem_to_dict_and_frozen():
    problem = Problem("/a", "warning", "A is odd.", "Fix a.")
    assert problem.to_dict() == {"pointer": "/a", "severity": "warning",
                                 "message": "A is odd.", "hint": "Fix a."}
    with pytest.raises(AttributeError):
        problem.pointer = "/b"  # type: ignore[misc]


def test_field_label():
    assert field_label(["process", "args", 0]) == "process.args[0]"
    assert field_label(["linux", "sysctl", "net.ipv4.ip_forward"]) == \
        "linux.sysctl['net.ipv4.ip_forward']"
    assert field_label([]) == "the config"
