"""Editors for arrays (add, remove, reorder items) and objects (add a key)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, OptionList, Select
from textual.widgets.option_list import Option

from bundlebench.edit.pointer import child
from bundlebench.edit.values import default_value, element_hint, summary
from bundlebench.tui.widgets.config_messages import EditRequest, NavigateRequest


class ArrayEditor(Vertical):
    """The items of an array, with add, remove and move buttons for the highlighted one."""

    def __init__(self, pointer: str, value: list[Any], schema: dict[str, Any] | None,
                 highlight: int | None = None) -> None:
        super().__init__(id="array-editor")
        self.pointer = pointer
        self.items = value
        self.item_schema = (schema or {}).get("items") if schema else None
        self.highlight = highlight

    def compose(self) -> ComposeResult:
        options = [Option(self._item_label(i, item), id=str(i)) for i, item in
                   enumerate(self.items)]
        yield OptionList(*options, id="array-items")
        with Horizontal(classes="button-row"):
            enum = (self.item_schema or {}).get("enum")
            if enum:
                free = [v for v in enum if v not in self.items]
                yield Select([(v, v) for v in free], prompt="value to add", id="item-choice",
                             allow_blank=True)
            yield Button("Add item", id="add-item", variant="primary", compact=True)
            yield Button("Remove", id="remove-item", variant="error", compact=True)
            yield Button("Up", id="item-up", compact=True)
            yield Button("Down", id="item-down", compact=True)

    def on_mount(self) -> None:
        items = self.query_one("#array-items", OptionList)
        if self.items:
            index = self.highlight if self.highlight is not None else 0
            items.highlighted = max(0, min(index, len(self.items) - 1))

    def _item_label(self, index: int, item: Any) -> Text:
        text = Text(f"[{index}] ", style="dim")
        text.append(summary(item, 60))
        hint = element_hint(item)
        if hint:
            text.append(f" {hint}", style="italic")
        return text

    @property
    def highlighted(self) -> int | None:
        return self.query_one("#array-items", OptionList).highlighted

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(NavigateRequest(child(self.pointer, event.option_index),
                                          focus_value=True))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        index = self.highlighted
        if event.button.id == "add-item":
            self.post_message(EditRequest("add", child(self.pointer, "-"), self._new_item()))
        elif index is None:
            self.app.bell()
        elif event.button.id == "remove-item":
            self.post_message(EditRequest("remove", child(self.pointer, index)))
        elif event.button.id in ("item-up", "item-down"):
            target = index - 1 if event.button.id == "item-up" else index + 1
            if 0 <= target < len(self.items):
                self.highlight = target
                self.post_message(EditRequest("move", child(self.pointer, index),
                                              child(self.pointer, target)))
            else:
                self.app.bell()

    def _new_item(self) -> Any:
        if self.query("#item-choice"):
            choice = self.query_one("#item-choice", Select).value
            if isinstance(choice, str):
                return choice
        return default_value(self.item_schema, self.items)


class ObjectEditor(Vertical):
    """Add a field to an object: a known one from the schema, or a key of your own."""

    def __init__(self, pointer: str, value: dict[str, Any],
                 schema: dict[str, Any] | None) -> None:
        super().__init__(id="object-editor")
        self.pointer = pointer
        self.value = value
        self.schema = schema or {}

    def compose(self) -> ComposeResult:
        known = [name for name in self.schema.get("properties", {}) if name not in self.value]
        with Horizontal(classes="button-row"):
            if known:
                yield Select([(name, name) for name in known], prompt="known field",
                             id="key-choice")
            yield Input(placeholder="or a new key", id="key-name")
            yield Button("Add field", id="add-key", variant="primary", compact=True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "key-name":
            event.stop()
            self._add()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "add-key":
            event.stop()
            self._add()

    def _add(self) -> None:
        name = self.query_one("#key-name", Input).value.strip()
        if not name and self.query("#key-choice"):
            choice = self.query_one("#key-choice", Select).value
            name = choice if isinstance(choice, str) else ""
        if not name:
            self.notify("Choose a known field or type a key to add.", severity="warning")
            return
        if name in self.value:
            self.notify(f"{name!r} is already there.", severity="warning")
            return
        properties = self.schema.get("properties", {})
        extra = self.schema.get("additionalProperties")
        schema = properties.get(name) or (extra if isinstance(extra, dict) else None)
        self.post_message(EditRequest("add", child(self.pointer, name), default_value(schema)))
