"""The field documentation table: one entry per config.json field pattern.

Keys are JSON Pointer patterns with "*" for any array index or map key. The
schema takes its descriptions from here; bundlebench.spec.fields looks them up.
"""

from __future__ import annotations

from bundlebench.spec.docs import linux, process, resources, seccomp, top
from bundlebench.spec.docs.model import FieldDoc

__all__ = ["DOCS", "FieldDoc"]


def _collect() -> dict[str, FieldDoc]:
    table: dict[str, FieldDoc] = {}
    for module in (top, process, linux, resources, seccomp):
        for entry in module.ENTRIES:
            if entry.pointer in table:
                raise ValueError(f"field documented twice: {entry.pointer}")
            table[entry.pointer] = entry
    return table


DOCS: dict[str, FieldDoc] = _collect()
