"""The field documentation table and its lookup API."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bundlebench.spec import fields
from bundlebench.spec.docs import DOCS
from bundlebench.spec.schema import escape, iter_nodes, load_schema, load_validator

FIXTURES = Path(__file__).parent / "fixtures" / "configs"
SCHEMA_PATTERNS = [pattern for pattern, _ in iter_nodes(load_schema())]


def test_every_schema_field_is_documented() -> None:
    assert sorted(set(SCHEMA_PATTERNS) - set(DOCS)) == []


def test_every_documented_pointer_exists_in_the_schema() -> None:
    assert sorted(set(DOCS) - set(SCHEMA_PATTERNS)) == []


def test_schema_descriptions_come_from_the_docs() -> None:
    for pattern, node in iter_nodes(load_schema()):
        assert node["description"] == DOCS[pattern].description, pattern
        assert node["description"].startswith(DOCS[pattern].what)
        if pattern:  # the root keeps the schema's own title
            assert node["title"] == DOCS[pattern].title, pattern


@pytest.mark.parametrize("pattern", sorted(DOCS))
def test_entry_is_complete(pattern: str) -> None:
    doc = DOCS[pattern]
    assert doc.pointer == pattern
    for text in (doc.title, doc.what, doc.effect):
        assert text.strip() and text == text.strip(), pattern
        assert "  " not in text, f"double space in {pattern}: {text!r}"
    for text in (doc.what, doc.effect):
        assert text.endswith((".", ".)")), f"{pattern}: end the sentence: {text!r}"
    assert not doc.title.endswith("."), pattern
    assert re.fullmatch(r"config(-linux)?\.md#[a-z0-9-]+", doc.section), doc.section
    assert doc.section_url.startswith("https://github.com/opencontainers/runtime-spec/")


@pytest.mark.parametrize("pattern", sorted(DOCS))
def test_example_is_valid_for_its_field(pattern: str) -> None:
    node = fields.field_schema(pattern)
    assert node is not None
    validator = load_validator().evolve(schema=node)
    problems = [error.message for error in validator.iter_errors(DOCS[pattern].example)]
    assert problems == [], f"example of {pattern}: {problems}"


def test_fixtures_together_use_every_field() -> None:
    """Our own corpus reaches every field, so the oracle test exercises all of them."""
    seen: set[str] = set()

    def walk(value: object, pointer: str) -> None:
        pattern = fields.pattern_of(pointer)
        if pattern is not None:
            seen.add(pattern)
        if isinstance(value, dict):
            for key, child in value.items():
                walk(child, f"{pointer}/{escape(key)}")
        elif isinstance(value, list):
            for index, child in enumerate(value):
                walk(child, f"{pointer}/{index}")

    for path in FIXTURES.glob("*.json"):
        walk(json.loads(path.read_text()), "")
    assert sorted(set(DOCS) - seen) == []


@pytest.mark.parametrize(
    ("pointer", "pattern"),
    [
        ("/linux/namespaces/2/type", "/linux/namespaces/*/type"),
        ("/process/rlimits/0/hard", "/process/rlimits/*/hard"),
        ("/process/rlimits/*/hard", "/process/rlimits/*/hard"),
        ("/mounts/12/options/3", "/mounts/*/options/*"),
        ("/annotations/org.example~1with-slash", "/annotations/*"),
        ("/linux/sysctl/net.ipv4.ip_forward", "/linux/sysctl/*"),
        ("/linux/resources/rdma/mlx5_1/hcaHandles", "/linux/resources/rdma/*/hcaHandles"),
        ("/hooks/createRuntime/0/timeout", "/hooks/createRuntime/*/timeout"),
        ("/", ""),
        ("", ""),
        ("process/user/uid", "/process/user/uid"),
        ("process.user.uid", "/process/user/uid"),
        ("/process/user/", "/process/user"),
    ],
)
def test_concrete_pointers_map_to_their_pattern(pointer: str, pattern: str) -> None:
    assert fields.pattern_of(pointer) == pattern
    doc = fields.field_doc(pointer)
    assert doc is not None and doc.pointer == pattern


@pytest.mark.parametrize(
    "pointer",
    ["/process/rlimits/first/hard", "/process/user/name", "/nosuch", "/process/rlimits/01",
     "/process/args/0/more", "/windows/layerFolders"],
)
def test_unknown_pointers_have_no_doc(pointer: str) -> None:
    assert fields.field_doc(pointer) is None
    assert fields.children(pointer) == []


def test_children_of_an_object() -> None:
    assert fields.children("/process/user") == [
        "/process/user/uid",
        "/process/user/gid",
        "/process/user/umask",
        "/process/user/additionalGids",
        "/process/user/username",
    ]


def test_children_keep_concrete_indices() -> None:
    assert fields.children("/process/rlimits/3") == [
        "/process/rlimits/3/type",
        "/process/rlimits/3/soft",
        "/process/rlimits/3/hard",
    ]


def test_children_of_arrays_and_maps_end_in_a_wildcard() -> None:
    assert fields.children("/linux/namespaces") == ["/linux/namespaces/*"]
    assert fields.children("/annotations") == ["/annotations/*"]
    assert fields.children("/process/cwd") == []


def test_children_of_the_top_level() -> None:
    top = fields.children("/")
    assert top[:4] == ["/ociVersion", "/root", "/mounts", "/process"]
    assert "/linux" in top and "/hooks" in top


def test_hooks_have_all_six_kinds() -> None:
    assert [p.rsplit("/", 1)[1] for p in fields.children("/hooks")] == [
        "prestart", "createRuntime", "createContainer", "startContainer", "poststart",
        "poststop",
    ]
    assert "Deprecated" in DOCS["/hooks/prestart"].what


def test_suggest_finds_near_misses() -> None:
    assert fields.suggest("/linux/namespace")[0] == "/linux/namespaces"
    assert "/process/rlimits/*/hard" in fields.suggest("/process/rlimits/0/hrd")
    assert fields.suggest("/process/zzzzzzzzzzzzzz")[0].startswith("/process")
    assert fields.suggest("/qqqqqqqqqqqqqqqqqqqqqq") == ["/ociVersion", "/root", "/mounts"]


def test_known_pointers_lists_every_entry() -> None:
    assert fields.known_pointers() == list(DOCS)
    assert len(DOCS) > 250
