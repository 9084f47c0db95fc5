"""The rich rendering of one field's documentation (used by `explain`)."""

from __future__ import annotations

import json

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from bundlebench.spec import fields
from bundlebench.spec.docs import FieldDoc
from bundlebench.spec.schema_text import allowed_values, constraints, type_summary
from bundlebench.spec.what_if import WhatIf, by_value, rows

_MAX_VALUES = 60


def render(pointer: str, doc: FieldDoc) -> RenderableType:
    """Build the renderable for ``doc``, looked up from ``pointer``."""
    node = fields.field_schema(pointer) or {}
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold cyan", no_wrap=True)
    facts.add_column()
    shown = pointer if pointer.startswith("/") or not pointer else "/" + pointer
    facts.add_row("Pointer", doc.pointer or "/")
    if shown.rstrip("/") and shown != doc.pointer:
        facts.add_row("Looked up", shown)
    url = doc.section_url
    facts.add_row("Spec", Text.assemble(doc.section, "  ", (url, f"dim link {url}")))
    facts.columns[1].overflow = "fold"
    facts.add_row("Type", type_summary(node))
    values = allowed_values(node)
    if values:
        text = ", ".join(str(value) for value in values[:_MAX_VALUES])
        if len(values) > _MAX_VALUES:
            text += f", … ({len(values)} in all)"
        facts.add_row("Allowed", text)
    for line in constraints(node):
        facts.add_row("Limits", line)

    parts: list[RenderableType] = [
        facts,
        Text(),
        Text("What it does", style="bold"),
        Text(doc.what),
        Text(),
        Text("What the kernel or runtime does", style="bold"),
        Text(doc.effect),
        *_what_if_parts(doc),
        Text(),
        Text("Example", style="bold"),
        Syntax(json.dumps(doc.example, indent=2), "json", background_color="default"),
    ]
    below = fields.children(doc.pointer)
    if below:
        table = Table(box=None, show_header=False, padding=(0, 2))
        table.add_column(style="green", no_wrap=True)
        table.add_column()
        for child in below:
            child_doc = fields.field_doc(child)
            table.add_row(child, child_doc.title if child_doc else "")
        parts += [Text(), Text("Fields below", style="bold"), table]
    return Panel(Group(*parts), title=Text(doc.title, style="bold"), title_align="left",
                 expand=False)


def _what_if_parts(doc: FieldDoc) -> list[RenderableType]:
    """The field's what-if, then one per value where the value decides."""
    parts: list[RenderableType] = []
    if doc.what_if is not None:
        parts += [Text(), Text("What if", style="bold"), _what_if_grid(doc.what_if)]
    # The list itself (/linux/namespaces) shows what its elements' values mean.
    table = by_value(doc.pointer) or by_value(f"{doc.pointer}/*")
    for value, found in table.items():
        parts += [Text(), Text(f"What if: {value}", style="bold"), _what_if_grid(found)]
    return parts


def _what_if_grid(found: WhatIf) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold cyan", no_wrap=True)
    grid.add_column()
    for label, text in rows(found):
        grid.add_row(label, Text(text, style="green") if label == "See it" else text)
    return grid
