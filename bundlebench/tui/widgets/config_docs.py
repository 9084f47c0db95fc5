"""The documentation of the selected field, from bundlebench.spec.fields."""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from bundlebench.spec.fields import field_doc, suggest
from bundlebench.spec.what_if import WhatIf, rows, what_if

_WHAT_IF_STYLES = {"With it": "bold green", "Without it": "bold yellow", "See it": "bold cyan"}


def doc_text(pointer: str, schema: dict[str, Any] | None, value: Any = None) -> Text:
    """Title, meaning, kernel/runtime effect, example, spec section and what-if of a field.

    ``value`` is what config.json holds at ``pointer``: it picks the what-if where the
    value decides (a namespace entry shows the what-if of its type).
    """
    doc = field_doc(pointer)
    text = Text()
    if doc is None:
        text.append("Not a field of runtime-spec v1.3.0\n", style="bold")
        text.append("Runtimes ignore fields they do not know; check the spelling.")
        close = suggest(pointer)
        if close:
            text.append("\nDid you mean: ", style="dim")
            text.append(", ".join(close))
        return text
    text.append(doc.title + "\n", style="bold")
    text.append(doc.what + "\n\n")
    text.append("Effect  ", style="bold dim")
    text.append(doc.effect + "\n\n")
    enum = (schema or {}).get("enum")
    if enum:
        text.append("Values  ", style="bold dim")
        text.append(", ".join(str(v) for v in enum) + "\n\n")
    text.append("Example ", style="bold dim")
    text.append(json.dumps(doc.example, ensure_ascii=False) + "\n\n", style="green")
    text.append("Spec    ", style="bold dim")
    # Plain text: a rich link gets a random id, which would make every screenshot differ.
    text.append(doc.section_url)
    # Last, so that what every field has (meaning, effect, spec) stays in a small panel's
    # first rows; the panel scrolls to it.
    block = what_if_text(pointer, value)
    if block:
        text.append("\n\n")
        text.append_text(block)
        text.rstrip()
    return text


def what_if_text(pointer: str, value: Any = None) -> Text:
    """The "What if" block of a field, or nothing when it has none."""
    found = what_if(pointer, value)
    text = Text()
    if found is None:
        return text
    text.append("What if\n", style="bold dim")
    for label, line in rows(found):
        text.append(f"{label}: ", style=_WHAT_IF_STYLES[label])
        text.append(line + "\n", style="cyan" if label == "See it" else "")
    text.append("\n")
    return text


class FieldDocs(VerticalScroll):
    """What the selected field means."""

    def compose(self):  # -> ComposeResult
        yield Static(id="docs-text")

    _shown: tuple[str, dict[str, Any] | None, WhatIf | None] | None = None

    def show(self, pointer: str, schema: dict[str, Any] | None, value: Any = None) -> None:
        """Show the documentation of ``pointer``, whose config.json value is ``value``."""
        self._shown = (pointer, schema, what_if(pointer, value))
        self.query_one("#docs-text", Static).update(doc_text(pointer, schema, value))
        self.scroll_home(animate=False)

    def value_changed(self, value: Any) -> None:
        """The shown field now holds ``value``: redraw if that changes its what-if."""
        if self._shown is None:
            return
        pointer, schema, shown = self._shown
        if what_if(pointer, value) is not shown:
            self._shown = (pointer, schema, what_if(pointer, value))
            self.query_one("#docs-text", Static).update(doc_text(pointer, schema, value))
