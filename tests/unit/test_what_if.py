"""The what-ifs of the field docs: coverage, the lookup by value, the panel and explain."""

from __future__ import annotations

import pytest

from bundlebench.cli import main
from bundlebench.spec.docs import DOCS
from bundlebench.spec.docs.what_ifs import CAPABILITIES, MOUNT_KINDS, NAMESPACES
from bundlebench.spec.schema import load_schema, resolve
from bundlebench.spec.what_if import WhatIf, by_value, rows, what_if
from bundlebench.tui.widgets.config_docs import doc_text

NAMESPACE_TYPES = resolve("/linux/namespaces/*/type")[1]["enum"]  # type: ignore[index]

COVERED = [
    "/linux/namespaces", "/linux/namespaces/0", "/linux/namespaces/0/type",
    "/process/capabilities", "/process/noNewPrivileges",
    *[f"/process/capabilities/{name}" for name in
      ("bounding", "effective", "permitted", "inheritable", "ambient")],
    "/process/capabilities/bounding/0",
    "/linux/maskedPaths", "/linux/maskedPaths/0", "/linux/readonlyPaths",
    "/linux/readonlyPaths/0", "/mounts", "/mounts/0", "/mounts/0/type", "/root/readonly",
    "/hostname", "/linux/resources/memory", "/linux/resources/memory/limit",
    "/linux/resources/pids", "/linux/resources/pids/limit", "/linux/resources/cpu",
    "/linux/resources/cpu/quota", "/linux/resources/cpu/period", "/linux/resources/cpu/cpus",
]


def all_what_ifs() -> list[WhatIf]:
    found = [doc.what_if for doc in DOCS.values() if doc.what_if is not None]
    return found + [*NAMESPACES.values(), *CAPABILITIES.values(), *MOUNT_KINDS.values()]


def test_the_schema_knows_the_namespace_types() -> None:
    assert load_schema() and set(NAMESPACE_TYPES) >= {"pid", "network", "user", "time"}


@pytest.mark.parametrize("kind", NAMESPACE_TYPES)
def test_every_namespace_type_has_its_own_what_if(kind: str) -> None:
    found = what_if("/linux/namespaces/3/type", kind)
    assert found is NAMESPACES[kind]
    assert what_if("/linux/namespaces/3", {"type": kind}) is found
    others = [w for k, w in NAMESPACES.items() if k != kind]
    assert all(found.with_it != other.with_it and found.see != other.see for other in others)


@pytest.mark.parametrize("pointer", COVERED)
def test_covered_field_has_a_what_if(pointer: str) -> None:
    assert what_if(pointer) is not None, pointer


def test_a_value_without_an_entry_falls_back_to_the_field() -> None:
    general = DOCS["/linux/namespaces/*/type"].what_if
    assert what_if("/linux/namespaces/0/type", "bogus") is general
    assert what_if("/linux/namespaces/0", ["not", "a", "dict"]) is general
    assert what_if("/process/capabilities/effective/2", "CAP_SYS_ADMIN") is \
        CAPABILITIES["CAP_SYS_ADMIN"]
    assert what_if("/process/capabilities/effective/2", "CAP_KILL") is \
        DOCS["/process/capabilities/effective/*"].what_if
    assert what_if("/process/terminal") is None
    assert what_if("/no/such/field") is None


def test_mount_kind_comes_from_type_and_options() -> None:
    tmpfs = {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"}
    ro_bind = {"destination": "/data", "type": "none", "source": "/srv",
               "options": ["rbind", "ro"]}
    assert what_if("/mounts/2", tmpfs) is MOUNT_KINDS["tmpfs"]
    assert what_if("/mounts/2", ro_bind) is MOUNT_KINDS["bind-ro"]
    assert what_if("/mounts/2", {**ro_bind, "options": ["bind"]}) is MOUNT_KINDS["bind"]
    assert what_if("/mounts/2/type", "proc") is MOUNT_KINDS["proc"]
    assert what_if("/mounts/2", {"type": "sysfs"}) is DOCS["/mounts/*"].what_if


@pytest.mark.parametrize("found", all_what_ifs(), ids=lambda w: w.see[:30])
def test_what_if_reads_as_sentences_and_a_command(found: WhatIf) -> None:
    for sentence in (found.with_it, found.without_it):
        assert sentence.endswith("."), sentence
        assert "  " not in sentence and sentence == sentence.strip()
    assert found.see and found.see == found.see.strip() and "\n" not in found.see
    assert found.see.split()[0] in {"cat", "ls", "grep", "hostname", "mount", "touch"}


def test_by_value_knows_the_tables() -> None:
    assert by_value("/linux/namespaces/4/type") is NAMESPACES
    assert by_value("/process/capabilities/ambient/1") is CAPABILITIES
    assert by_value("/mounts/0") is MOUNT_KINDS
    assert by_value("/linux/maskedPaths/0") == {}


def test_panel_shows_the_what_if_of_the_selected_namespace_type() -> None:
    pid = doc_text("/linux/namespaces/0/type", None, "pid").plain
    network = doc_text("/linux/namespaces/0/type", None, "network").plain
    assert "What if" in pid
    assert f"With it: {NAMESPACES['pid'].with_it}" in pid
    assert f"Without it: {NAMESPACES['pid'].without_it}" in pid
    assert f"See it: {NAMESPACES['pid'].see}" in pid
    assert NAMESPACES["network"].with_it in network
    assert NAMESPACES["pid"].with_it not in network
    assert f"See it: {NAMESPACES['network'].see}" in network
    entry = doc_text("/linux/namespaces/1", None, {"type": "network"}).plain
    assert NAMESPACES["network"].without_it in entry


def test_panel_has_no_what_if_block_for_other_fields() -> None:
    assert "What if" not in doc_text("/process/terminal", None, True).plain


def test_rows_keep_the_order_of_both_views() -> None:
    labels = [label for label, _ in rows(NAMESPACES["uts"])]
    assert labels == ["With it", "Without it", "See it"]


def test_explain_prints_the_what_if(capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.setenv("NO_COLOR", "1")
    assert main(["explain", "/linux/resources/pids/limit"]) == 0
    out = capsys.readouterr().out
    assert "What if" in out and "Without it" in out
    assert DOCS["/linux/resources/pids/limit"].what_if.see in out  # type: ignore[union-attr]
    assert main(["explain", "/linux/namespaces"]) == 0
    out = capsys.readouterr().out
    for kind in NAMESPACE_TYPES:
        assert f"What if: {kind}" in out
        assert NAMESPACES[kind].with_it in out and NAMESPACES[kind].see in out
