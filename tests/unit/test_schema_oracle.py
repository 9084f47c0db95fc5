"""Oracle test: whenever the official runtime-spec v1.3.0 schema rejects a config, ours does too.

The official schema is read at test time from ../shared/reference (never copied into
the project). The corpus: our fixture configs, mutations of the default and of a
config that uses every field, and hypothesis-generated configs. The places where
ours is deliberately stricter are listed in STRICTER and checked both ways.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bundlebench.spec.schema import OTHER_PLATFORMS, load_schema, load_validator

REFERENCE = Path(
    os.environ.get(
        "BUNDLEBENCH_SPEC_SCHEMA_DIR",
        Path(__file__).resolve().parents[3] / "shared" / "reference"
        / "runtime-spec-v1.3.0-schema",
    )
)
FIXTURES = Path(__file__).parent / "fixtures" / "configs"

pytestmark = pytest.mark.skipif(
    not (REFERENCE / "config-schema.json").is_file(),
    reason=f"the official runtime-spec schema is not at {REFERENCE} "
    "(set BUNDLEBENCH_SPEC_SCHEMA_DIR to run the oracle test)",
)


@pytest.fixture(scope="module")
def official_registry() -> tuple[Any, Any]:
    """(official schema, a referencing.Registry over every file in the reference dir)."""
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    # The official files refer to each other by bare file name ("defs.json#/...").
    registry = Registry().with_resources(
        (path.name, Resource.from_contents(json.loads(path.read_text()),
                                           default_specification=DRAFT4))
        for path in REFERENCE.glob("*.json")
    )
    return json.loads((REFERENCE / "config-schema.json").read_text()), registry


@pytest.fixture(scope="module")
def official_by_reference(official_registry: tuple[Any, Any]) -> Any:
    """The official schema exactly as published, resolving $ref through the registry."""
    import jsonschema

    schema, registry = official_registry
    return jsonschema.Draft4Validator(schema, registry=registry)


@pytest.fixture(scope="module")
def official(official_registry: tuple[Any, Any]) -> Any:
    """The same schema with its references inlined in memory: same verdicts, 2-3x faster."""
    import jsonschema

    schema, registry = official_registry
    inlined = _inline_refs(schema, registry.resolver(base_uri="config-schema.json"))
    return jsonschema.Draft4Validator(inlined, registry=registry)


def _inline_refs(node: Any, resolver: Any) -> Any:
    from referencing.exceptions import Unresolvable

    if isinstance(node, dict):
        if "$ref" in node:  # draft 4: a $ref replaces its whole object
            try:
                resolved = resolver.lookup(node["$ref"])
            except Unresolvable:  # one malformed ref in a definition configs never reach
                return node
            return _inline_refs(resolved.contents, resolved.resolver)
        return {key: _inline_refs(value, resolver) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline_refs(value, resolver) for value in node]
    return node


def ours_accepts(config: Any) -> bool:
    return load_validator().is_valid(config)


def default_config() -> dict[str, Any]:
    try:
        from runtime.defaults import default_config as make
    except ImportError:  # provided by another part of the project; fall back to runc's
        return json.loads((FIXTURES / "runc-1.1.5-default.json").read_text())
    return make()


def fixture_configs() -> dict[str, Any]:
    return {path.name: json.loads(path.read_text()) for path in sorted(FIXTURES.glob("*.json"))}


# Where ours rejects what the official schema accepts, on purpose. Each entry:
# (pointer to set, value, why ours is right).
STRICTER: list[tuple[str, Any, str]] = [
    ("/process/capabilities/bounding/0", "CAP_MADE_UP", "capability names from capabilities(7)"),
    ("/process/rlimits/0/type", "RLIMIT_MADEUP", "rlimit types from getrlimit(2)"),
    ("/process/user", {"uid": 0}, "POSIX user needs uid and gid (spec: REQUIRED)"),
    ("/process/user/umask", 4096, "umask holds permission bits only"),
    ("/process/env/0", "NO_EQUALS_SIGN", "environ entries are NAME=value"),
    ("/process/oomScoreAdj", 5000, "oom_score_adj is -1000..1000"),
    ("/process/consoleSize", {"height": 70000, "width": 80}, "winsize fields are 16-bit"),
    ("/process/ioPriority", {"class": "IOPRIO_CLASS_BE"}, "priority is REQUIRED"),
    ("/process/ioPriority", {"class": "IOPRIO_CLASS_BE", "priority": 9}, "levels are 0..7"),
    ("/process/scheduler", {"policy": "SCHED_OTHER", "nice": 40}, "nice is -20..19"),
    ("/process/scheduler", {"policy": "SCHED_FIFO", "priority": 100}, "priority is 0..99"),
    ("/process/execCPUAffinity", {"initial": "1, 2"}, "a cpu list has no spaces"),
    ("/hostname", "h" * 65, "sethostname(2) takes at most 64 bytes"),
    ("/domainname", "d" * 65, "setdomainname(2) takes at most 64 bytes"),
    ("/annotations", {"": "x"}, "annotation keys must not be empty"),
    ("/mounts/1/options/0", "", "an empty mount option"),
    ("/mounts/1/options/0", "nosuid ", "a padded option becomes unknown fs data"),
    ("/mounts/1/options/0", "ro=1", "flag options take no value"),
    ("/mounts/1/uidMappings", [{"containerID": 0, "hostID": 1, "size": 1}],
     "uidMappings needs gidMappings"),
    ("/mounts/1/gidMappings", [{"containerID": 0, "hostID": 1, "size": 0}],
     "gidMappings needs uidMappings, and size 0 maps nothing"),
    ("/hooks/poststop", [{"path": "/bin/true", "timeout": 2**40}], "timeout is an int32"),
    ("/linux/uidMappings", [{"containerID": 0, "hostID": 0, "size": 0}], "size 0 maps nothing"),
    ("/linux/devices", [{"type": "c", "path": "/dev/x"}], "c/b/u devices need major and minor"),
    ("/linux/devices", [{"type": "c", "path": "/dev/x", "major": 4096, "minor": 0}],
     "majors are 12 bits"),
    ("/linux/resources/devices/0/type", "x", "cgroup device types are a, b, c"),
    ("/linux/resources/devices/0/access", "rwx", "access is made of r, w, m"),
    ("/linux/resources/memory", {"limit": -5}, "-1 is the only negative (unlimited)"),
    ("/linux/resources/memory", {"swappiness": 300}, "swappiness is 0..200"),
    ("/linux/resources/cpu", {"cpus": "a-b"}, "cpus is a cpu list"),
    ("/linux/resources/cpu", {"idle": 2}, "cpu.idle is 0 or 1"),
    ("/linux/resources/pids", {"limit": -7}, "-1 is the only negative (unlimited)"),
    ("/linux/resources/unified", {"../escape": "1"}, "unified keys are file names"),
    ("/linux/seccomp", {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["kill"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 6, "value": 0, "op": "SCMP_CMP_EQ"}]}]},
     "system calls have six arguments"),
    ("/linux/seccomp", {"defaultAction": "SCMP_ACT_ALLOW",
                        "syscalls": [{"names": [""], "action": "SCMP_ACT_ALLOW"}]},
     "an empty system call name"),
    ("/linux/timeOffsets", {"realtime": {"secs": 1}}, "only monotonic and boottime can move"),
    ("/linux/timeOffsets", {"boottime": {"secs": 1, "nanosecs": 10**9}},
     "nanosecs below one second"),
    ("/linux/netDevices", {"a-name-longer-than-15": {}}, "IFNAMSIZ"),
    ("/linux/netDevices", {"eth0": {"name": "has space"}}, "dev_valid_name()"),
    ("/linux/memoryPolicy", {"nodes": "0"}, "mode is REQUIRED"),
    ("/linux/memoryPolicy", {"mode": "MPOL_BIND", "nodes": "zero"}, "nodes is a list"),
    ("/linux/intelRdt", {"closID": "a/b"}, "closID is a directory name"),
    ("/linux/personality", {"flags": []}, "domain is REQUIRED"),
]

# Where ours accepts what the official schema rejects, on purpose: the sections for
# other platforms are kept as opaque objects (bundlebench is a Linux workbench).
LOOSER: list[tuple[str, Any, str]] = [
    ("/windows", {}, "windows.layerFolders is not checked"),
    ("/vm", {}, "vm.kernel is not checked"),
    ("/solaris", {"anet": "not-an-array"}, "solaris is not checked"),
]


def set_at(config: dict[str, Any], pointer: str, value: Any) -> dict[str, Any]:
    config = copy.deepcopy(config)
    tokens = pointer.strip("/").split("/")
    node: Any = config
    for token in tokens[:-1]:
        key: Any = int(token) if isinstance(node, list) else token
        node = node.setdefault(key, {}) if isinstance(node, dict) else node[key]
    node[int(tokens[-1]) if isinstance(node, list) else tokens[-1]] = value
    return config


def stricter_base() -> dict[str, Any]:
    return fixture_configs()["full.json"]


@pytest.mark.parametrize(("pointer", "value", "why"), STRICTER,
                         ids=[f"{p}: {w}" for p, _, w in STRICTER])
def test_stricter_places_are_rejected_by_ours_only(official: Any, pointer: str, value: Any,
                                                   why: str) -> None:
    config = set_at(stricter_base(), pointer, value)
    assert official.is_valid(config), "official schema rejects it too; drop it from STRICTER"
    assert not ours_accepts(config), f"ours should reject it: {why}"


@pytest.mark.parametrize(("pointer", "value", "why"), LOOSER, ids=[p for p, _, _ in LOOSER])
def test_looser_places_are_known(official: Any, pointer: str, value: Any, why: str) -> None:
    config = set_at(stricter_base(), pointer, value)
    assert not official.is_valid(config)
    assert ours_accepts(config), why


def test_corpus_fixtures_are_valid_for_both(official_by_reference: Any) -> None:
    for name, config in fixture_configs().items():
        assert official_by_reference.is_valid(config), name
        assert ours_accepts(config), name


def test_inlined_official_schema_gives_the_same_verdicts(official: Any,
                                                         official_by_reference: Any) -> None:
    sample = list(mutations(default_config()))[::7]
    differ = [label for label, config in sample
              if official.is_valid(config) != official_by_reference.is_valid(config)]
    assert differ == []


JUNK: list[Any] = [None, True, "", "x", -1, 0, 1.5, 2.0, 2**64, -(2**63) - 1, [], {}, [None],
                   {"k": None}]
# For the big corpora: one value of each JSON type, plus the usual range breakers.
FEW_JUNK: list[Any] = [None, True, "x", -1, 1.5, 2**64, [], {}]


def mutations(value: Any, pointer: str = "", junk: list[Any] = JUNK
              ) -> Iterator[tuple[str, Any]]:
    """Yield (label, mutated document) for small changes anywhere in value."""
    for label, replacement in _replacements(value, junk):
        yield f"{pointer} := {label}", replacement
    if isinstance(value, dict):
        for key, child in value.items():
            if pointer == "" and key in OTHER_PLATFORMS:
                continue  # see LOOSER
            yield f"{pointer}/{key} deleted", {k: v for k, v in value.items() if k != key}
            for label, changed in mutations(child, f"{pointer}/{key}", junk):
                yield label, {**value, key: changed}
    elif isinstance(value, list):
        for index, child in enumerate(value):
            for label, changed in mutations(child, f"{pointer}/{index}", junk):
                yield label, [*value[:index], changed, *value[index + 1:]]


def _replacements(value: Any, junk: list[Any]) -> Iterator[tuple[str, Any]]:
    for other in junk:
        if other != value or type(other) is not type(value):
            yield repr(other), other
    if isinstance(value, str) and value:
        yield "upper", value.upper()
        yield "lower", value.lower()
        yield "suffixed", value + "_X"
        yield "spaced", f" {value}"
    if isinstance(value, int) and not isinstance(value, bool):
        for delta in (-1, 1):
            yield f"{value + delta}", value + delta
        yield "as float", float(value)
    if isinstance(value, list) and value:
        yield "first element doubled", [value[0], *value]


def _check_implication(official: Any, corpus: Iterator[tuple[str, Any]]) -> tuple[int, int]:
    """Return (configs checked, configs the official schema rejects); fail on a miss."""
    misses = []
    checked = rejected = 0
    validator = load_validator()
    for label, config in corpus:
        checked += 1
        if official.is_valid(config):
            continue
        rejected += 1
        if validator.is_valid(config):
            first = next(official.iter_errors(config))
            misses.append(f"{label}: official says {first.message[:120]}")
    assert misses == [], "official schema rejects, ours accepts:\n" + "\n".join(misses[:40])
    return checked, rejected


def test_mutations_of_the_default_config(official: Any) -> None:
    checked, rejected = _check_implication(official, mutations(default_config()))
    assert checked > 1000 and rejected > 500


def section_mutations(config: dict[str, Any], junk: list[Any]) -> Iterator[tuple[str, Any]]:
    """Mutations of one top-level section at a time, in a config holding only that section.

    No rule in either schema links two top-level sections, so this checks the same
    rules as mutating the whole document, at a fraction of the cost.
    """
    for key, value in config.items():
        if key in OTHER_PLATFORMS:
            continue
        for label, mutated in mutations(value, f"/{key}", junk):
            yield label, {"ociVersion": config["ociVersion"], key: mutated}


def test_mutations_of_the_full_config(official: Any) -> None:
    full = fixture_configs()["full.json"]
    checked, rejected = _check_implication(official, section_mutations(full, FEW_JUNK))
    assert checked > 3500 and rejected > 1500


def test_mutations_of_the_other_fixtures(official: Any) -> None:
    # full.json and the default are covered above; runc's own output is the default.
    for name, config in fixture_configs().items():
        if name in ("full.json", "other-platforms.json") or name.startswith("runc-"):
            continue
        _check_implication(official, ((f"{name}: {label}", mutated)
                                      for label, mutated in mutations(config, junk=FEW_JUNK)))


# --- hypothesis: configs generated from our schema, with junk sprinkled in ---

_JUNK_STRATEGY = st.sampled_from(JUNK)
_TEXT = st.text(alphabet="abcxyz019-_=/.: ,", max_size=12)


def _from_schema(node: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    kind = node.get("type")
    if kind == "object" and "properties" in node:
        core: st.SearchStrategy[Any] = _object(node, depth)
    elif kind == "object" and "additionalProperties" in node:
        core = st.dictionaries(_TEXT, _from_schema(node["additionalProperties"], depth + 1),
                               max_size=2)
    elif kind == "array":
        core = st.lists(_from_schema(node["items"], depth + 1), max_size=3)
    elif "enum" in node:
        core = st.one_of(st.sampled_from(node["enum"]), _TEXT)
    elif kind == "string":
        core = _TEXT
    elif kind == "integer":
        low, high = node.get("minimum", -(2**63)), node.get("maximum", 2**64)
        core = st.one_of(st.integers(low, min(high, low + 4)), st.integers(max(low, high - 4),
                                                                            high),
                         st.integers(low - 2, low + 2), st.integers(high - 2, high + 2))
    elif kind == "boolean":
        core = st.booleans()
    else:
        core = _JUNK_STRATEGY
    return st.one_of(core, core, core, _JUNK_STRATEGY)  # mostly well-typed, some junk


def _object(node: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
    properties = {name: child for name, child in node["properties"].items()
                  if depth > 0 or name not in OTHER_PLATFORMS}  # see LOOSER
    required = node.get("required", [])
    children = {name: _from_schema(child, depth + 1) for name, child in properties.items()}

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        result = {}
        names = [name for name in properties if name in required
                 or (depth < 4 and draw(st.integers(0, 3)) == 0)]
        for name in names:
            if name in required and draw(st.integers(0, 9)) == 0:
                continue  # sometimes drop a required member
            result[name] = draw(children[name])
        return result

    return build()


@pytest.fixture(scope="module")
def generated_configs() -> st.SearchStrategy[Any]:
    return _from_schema(load_schema())


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_generated_configs(official: Any, generated_configs: Any, data: st.DataObject) -> None:
    config = data.draw(generated_configs)
    if official.is_valid(config):
        return
    assert not ours_accepts(config), next(official.iter_errors(config)).message


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_generated_subtrees_in_the_full_config(official: Any, data: st.DataObject) -> None:
    """Replace one random field of the full config with a generated value."""
    from bundlebench.spec.fields import field_schema

    full = fixture_configs()["full.json"]
    leaves = list(_pointers(full))
    pointer = data.draw(st.sampled_from(leaves))
    node = field_schema(pointer)
    assert node is not None
    config = set_at(full, pointer, data.draw(_from_schema(node, depth=2)))
    if official.is_valid(config):
        return
    assert not ours_accepts(config), f"{pointer}: {next(official.iter_errors(config)).message}"


def _pointers(value: Any, pointer: str = "") -> Iterator[str]:
    if pointer:
        yield pointer
    if isinstance(value, dict):
        for key, child in value.items():
            if pointer == "" and key in OTHER_PLATFORMS:
                continue
            if "/" not in key:
                yield from _pointers(child, f"{pointer}/{key}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _pointers(child, f"{pointer}/{index}")
