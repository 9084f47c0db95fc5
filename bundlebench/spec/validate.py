"""The validator: our JSON schema, then the semantic checks, as one list of Problems."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from bundlebench.spec.order import in_document_order
from bundlebench.spec.problems import Problem, as_sentence, error, pointer
from bundlebench.spec.schema_text import json_type

_JSON_TYPES = {
    "object": "an object", "array": "an array", "string": "a string",
    "integer": "an integer", "number": "a number", "boolean": "true or false", "null": "null",
}
_ENUM_SHOWN = 8


def validate(
    config: Any, bundle_dir: Path | None = None, *, schema_only: bool = False
) -> list[Problem]:
    """Every problem of ``config``: schema errors first, then semantic problems.

    Each group is in document order. A semantic problem at a field the schema already
    reports is dropped, so each mistake is told once. ``bundle_dir`` lets the semantic
    checks look at root.path and inside the rootfs.
    """
    whole = config
    config = _bounded(config)
    problems = schema_problems(config)
    if schema_only or not isinstance(config, dict):
        return collapse(problems)
    from bundlebench.spec.checks import run_checks

    reported = {p.pointer for p in problems}
    problems.extend(p for p in run_checks(config, bundle_dir) if p.pointer not in reported)
    if bundle_dir is None:
        return collapse(problems)
    # The runtime sees the whole config: its size rules refuse what _bounded cut.
    return collapse(merge_runtime(problems, runtime_problems(whole, bundle_dir)))


SHOWN_ALIKE = 10  # problems of one kind shown before "and N more like these"


def collapse(problems: list[Problem]) -> list[Problem]:
    """At most SHOWN_ALIKE problems per field pattern (array indexes as *) and severity,
    then one that counts the rest: 50,000 bad entries are not 50,000 lines."""
    counts: dict[tuple[str, str], int] = {}
    kept: list[Problem] = []
    for problem in problems:
        key = (problem.severity, _pattern(problem.pointer))
        counts[key] = counts.get(key, 0) + 1
        if counts[key] <= SHOWN_ALIKE:
            kept.append(problem)
    for (severity, pattern), count in counts.items():
        if count > SHOWN_ALIKE:
            at = next(p for p in kept if (p.severity, _pattern(p.pointer)) == (severity, pattern))
            kept.insert(kept.index(at) + SHOWN_ALIKE, Problem(
                at.pointer, severity, f"And {count - SHOWN_ALIKE:,} more {severity}s like "
                f"these at {pattern}.", "Fix the ones shown and validate again."))
    return kept


def _pattern(pointer: str) -> str:
    return "/".join("*" if part.isdigit() else part for part in pointer.split("/"))


def _bounded(value: Any, depth: int = 0) -> Any:
    """A copy with every array cut to the runtime's MAX_ITEMS: the schema and the checks
    stay fast, and the runtime's own rule says the array is too long."""
    from runtime.shape import MAX_ITEMS

    if depth > 80:
        return value
    if isinstance(value, list):
        return [_bounded(item, depth + 1) for item in value[:MAX_ITEMS]]
    if isinstance(value, dict):
        return {key: _bounded(item, depth + 1) for key, item in value.items()}
    return value


def merge_runtime(problems: list[Problem], runtime: list[Problem]) -> list[Problem]:
    """validate == run: each runtime refusal is shown in the runtime's words (the ones
    `create` prints), in place of what the spec's checks say of that field, keeping
    their hint; each mistake is still told once."""
    refusals: dict[str, list[Problem]] = {}
    for item in runtime:
        if item.is_error:
            refusals.setdefault(item.pointer, []).append(item)
    merged: list[Problem] = []
    shown: set[str] = set()
    for problem in problems:
        if problem.pointer not in refusals:
            merged.append(problem)
        elif problem.pointer not in shown:
            merged += [Problem(r.pointer, r.severity, r.message, problem.hint)
                       for r in refusals[problem.pointer]]
        shown.add(problem.pointer)
    return merged + [r for r in runtime if r.pointer not in shown or not r.is_error]


def runtime_problems(config: dict[str, Any], bundle_dir: Path) -> list[Problem]:
    """What the embedded runtime's plan refuses or changes, as validator problems."""
    from runtime.rules import check

    found = []
    for item in check(config, str(bundle_dir)):
        if item.severity == "error":
            hint = ("bundlebench-runtime refuses this on this host."
                    if item.host else "bundlebench-runtime refuses this config.")
        else:
            hint = "bundlebench-runtime changes this when it starts the container."
        found.append(Problem(item.pointer, item.severity, as_sentence(item.message), hint))
    return found


def schema_problems(config: Any) -> list[Problem]:
    """The schema's verdict on ``config``, every error, in document order."""
    validator = _validator()
    found = [_to_problem(e) for e in validator.iter_errors(config)]
    unique = list(dict.fromkeys(found))  # anyOf branches can repeat one finding
    return in_document_order(unique, config)


@functools.cache
def _validator() -> Any:
    from bundlebench.spec import schema

    if hasattr(schema, "load_validator"):
        return schema.load_validator()
    import jsonschema

    return jsonschema.Draft202012Validator(schema.load_schema())


_PATTERN_SHOWN = 40


def field_label(tokens: list[str | int]) -> str:
    """A field path as people write it: process.args[0], linux.sysctl["net.ipv4.x"] (the
    runtime's own words for a field, so that validate and create name it alike)."""
    from runtime.shape import field_label as runtime_label

    return runtime_label(tokens)


def _to_problem(err: Any) -> Problem:
    tokens = list(err.absolute_path)
    kind, expected, instance = err.validator, err.validator_value, err.instance
    if "propertyNames" in err.absolute_schema_path and isinstance(instance, str):
        # The error is about a key of a map: point at that key, not at the whole map.
        tokens.append(instance)
        return error(pointer(*tokens), f"{field_label(tokens[:-1])} has an invalid key "
                     f"{instance!r}: {err.message.rstrip('.')}.",
                     "Rename the key." + _describe_hint(err))
    if kind == "required":
        name = _missing_name(err.message, expected, instance)
        tokens.append(name)
        label = field_label(tokens)
        return error(pointer(*tokens), f"{label} is required but missing.",
                     f"Add {label}." + _describe_hint(err, name))
    label = field_label(tokens)
    ptr = pointer(*tokens)
    if kind == "type":
        wanted = expected if isinstance(expected, list) else [expected]
        names = " or ".join(_JSON_TYPES.get(t, t) for t in wanted)
        return error(ptr, f"{label} must be {names}, not {_json_type(instance)}.",
                     f"Write {label} as {names}.")
    if kind == "enum":
        shown = ", ".join(str(v) for v in expected[:_ENUM_SHOWN])
        more = f" and {len(expected) - _ENUM_SHOWN} more" if len(expected) > _ENUM_SHOWN else ""
        return error(ptr, f"{label} {instance!r} is not an allowed value.",
                     f"Use one of {shown}{more}.")
    if kind == "const":
        return error(ptr, f"{label} must be {expected!r}, not {instance!r}.",
                     f"Set it to {expected!r}.")
    if kind == "pattern":
        described = _describe_hint(err).strip(" ()")
        if len(expected) > _PATTERN_SHOWN and described:
            hint = described  # a long regex helps nobody; the field's meaning does
        else:
            hint = f"Make it match the pattern {expected}." + _describe_hint(err)
        return error(ptr, f"{label} {instance!r} does not have the expected form.", hint)
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        bound = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">",
                 "exclusiveMaximum": "<"}[kind]
        return error(ptr, f"{label} {instance!r} is out of range.",
                     f"Use a value {bound} {expected}.")
    if kind in ("minItems", "minLength", "minProperties"):
        return error(ptr, f"{label} is empty or too short.",
                     f"Give it at least {expected} element(s).")
    if kind in ("additionalProperties", "unevaluatedProperties"):
        return error(ptr, f"{label} has a field the specification does not define: "
                     f"{err.message}.", "Remove or rename the unknown field.")
    return error(ptr, f"{label}: {err.message.rstrip('.')}.",
                 "Fix the value as the specification describes (`bundlebench explain "
                 f"{ptr or '/'}`).")


def _missing_name(message: str, required: Any, instance: Any) -> str:
    for name in required if isinstance(required, list) else []:
        if isinstance(instance, dict) and name not in instance and repr(name) in message:
            return name
    return message.split("'")[1] if "'" in message else "?"


def _describe_hint(err: Any, child: str | None = None) -> str:
    schema = err.schema if isinstance(err.schema, dict) else {}
    if child is not None:
        schema = schema.get("properties", {}).get(child, {})
    description = schema.get("description") if isinstance(schema, dict) else None
    if not isinstance(description, str) or not description:
        return ""
    first = description.split(". ")[0].rstrip(".")
    return f" ({first}.)"


def _json_type(value: Any) -> str:
    name = json_type(value)
    return name if name == "null" else ("an " if name[0] in "aeiou" else "a ") + name
