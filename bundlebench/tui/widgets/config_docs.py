"""The documentation of the selected field, from bundlebench.spec.fields."""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from bundlebench.spec.fields import field_doc, suggest


def doc_text(pointer: str, schema: dict[str, Any] | None) -> Text:
    """Title, meaning, kernel/runtime effect, example and spec section of a field."""
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
    return text


class FieldDocs(VerticalScroll):
    """What the selected field means."""

    def compose(self):  # -> ComposeResult
        yield Static(id="docs-text")

    def show(self, pointer: str, schema: dict[str, Any] | None) -> None:
        """Show the documentation of ``pointer``."""
        self.query_one("#docs-text", Static).update(doc_text(pointer, schema))
        self.scroll_home(animate=False)
