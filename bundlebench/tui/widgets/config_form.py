"""The form for the selected field: an editor that fits its type, and its problems."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, Input, Select, Static, Switch

from bundlebench.edit.pointer import child, parent, parse
from bundlebench.edit.values import (
    BadValue,
    bounds,
    field_kind,
    parse_json_value,
    parse_number,
    schema_type,
)
from bundlebench.spec.problems import Problem
from bundlebench.tui.widgets.config_collection import ArrayEditor, ObjectEditor
from bundlebench.tui.widgets.config_messages import EditRequest
from bundlebench.tui.widgets.safe_lines import SafeInput
from bundlebench.untrusted import json_text, styled

SEVERITY_STYLE = {"error": ("✖", "bold red"), "warning": ("⚠", "bold yellow")}


def problems_text(problems: list[Problem]) -> Text:
    """Problems as lines of text: icon, message, and the hint dimmed."""
    text = Text()
    for problem in problems:
        icon, style = SEVERITY_STYLE.get(problem.severity, ("•", ""))
        if text:
            text.append("\n")
        text.append(f"{icon} ", style=style)
        text.append_text(styled(problem.message))
        if problem.hint:
            text.append_text(styled(f" {problem.hint}", style="dim"))
    return text


def describe_type(schema: dict[str, Any] | None, value: Any) -> str:
    """What the schema asks for, in a few words: "integer 0 … 65535", "one of 8 values"."""
    if not schema:
        return "not in the specification: runtimes ignore it"
    if "enum" in schema:
        return f"one of {len(schema['enum'])} values"
    kind = schema_type(schema) or "any value"
    low, high = bounds(schema)
    if low is not None or high is not None:
        return f"{kind} {'' if low is None else low} … {'' if high is None else high}".strip()
    if kind == "array":
        items = schema.get("items")
        inner = schema_type(items) if isinstance(items, dict) else None
        if isinstance(items, dict) and "enum" in items:
            inner = "names"
        return f"array of {inner}" if inner else "array"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return "map of names to values"
    return kind


class FieldForm(Vertical):
    """Edits one field; posts EditRequest messages and never touches the document."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.pointer = ""
        self.value: Any = None
        self.schema: dict[str, Any] | None = None
        self.kind = "object"
        self.array_highlight: int | None = None
        self._value_widget: Widget | None = None

    async def show(self, pointer: str, value: Any, schema: dict[str, Any] | None,
                   problems: list[Problem], *, in_array: bool, label: str) -> None:
        """Rebuild the form for ``pointer`` (``label`` names it: process.args[0])."""
        keep_highlight = pointer == self.pointer and self.array_highlight is not None
        self._value_widget = None  # before any await: the old editors may still send events
        self.pointer, self.value, self.schema = pointer, value, schema
        self.kind = field_kind(schema, value)
        if not keep_highlight:
            self.array_highlight = None
        await self.remove_children()
        await self.mount_all(self._build(in_array, label))
        self.show_problems(problems)

    def _build(self, in_array: bool, label: str) -> list[Widget]:
        title = styled(label, 200, style="bold")
        title.append(f"  {describe_type(self.schema, self.value)}", style="dim")
        widgets: list[Widget] = [Static(title, id="field-title")]
        # Events from an editor of a previous field must not edit this one.
        self._value_widget = None
        editor = self._editor()
        if editor is not None:
            widgets.append(editor)
            if editor.id == "field-value":
                self._value_widget = editor
        widgets.append(Static("", id="field-local", classes="-empty"))
        widgets.append(Static("", id="field-problems"))
        if self.pointer:
            widgets.append(self._element_actions(in_array))
        return widgets

    def _editor(self) -> Widget | None:
        kind, value, schema = self.kind, self.value, self.schema
        if kind == "string":
            return SafeInput(value, id="field-value")
        if kind in ("integer", "number"):
            low, high = bounds(schema)
            hint = "" if low is None and high is None else f"{low} … {high}"
            wanted = schema_type(schema) or kind
            return Input(str(value), type="integer" if wanted == "integer" else "number",
                         placeholder=hint, id="field-value")
        if kind == "boolean":
            switch = Switch(value, id="field-value")
            self._value_widget = switch
            return Horizontal(switch, Static(str(value).lower(), id="switch-label"),
                              classes="switch-row")
        if kind == "enum":
            allowed = list((schema or {}).get("enum", []))
            options = [(v, v) for v in allowed]
            if value not in allowed:
                options.insert(0, (f"{value} (not allowed)", value))
            return Select(options, value=value, allow_blank=False, id="field-value")
        if kind == "array":
            return ArrayEditor(self.pointer, value, schema, self.array_highlight)
        if kind == "object":
            return ObjectEditor(self.pointer, value, schema)
        return SafeInput(json_text(value), id="field-value",
                     placeholder="a JSON value", classes="json-value")

    def _element_actions(self, in_array: bool) -> Horizontal:
        what = "element" if in_array else "field"
        buttons = [Button(f"Remove this {what}", id="remove-field", variant="error",
                          compact=True)]
        if in_array:
            buttons += [Button("Move up", id="move-up", compact=True),
                        Button("Move down", id="move-down", compact=True)]
        return Horizontal(*buttons, classes="button-row", id="field-actions")

    def show_problems(self, problems: list[Problem]) -> None:
        """Mark the field with the problems at it (and, for containers, below it)."""
        shown = self.query("#field-problems")
        if not shown:
            return
        marker = shown.first(Static)
        marker.update(problems_text(problems))
        marker.display = bool(problems)
        errors = any(p.is_error for p in problems if p.pointer == self.pointer)
        # Only the value widget changes class: restyling the whole form costs milliseconds.
        if self._value_widget is not None:
            self._value_widget.set_class(errors, "-invalid")

    def focus_value(self) -> None:
        """Put the focus on the value editor (or the first control)."""
        for selector in ("#field-value", "#array-items", "#key-choice", "#key-name"):
            found = self.query(selector)
            if found:
                found.first().focus()
                return

    # -- events from the editors ------------------------------------------------------

    def _local(self, message: str) -> None:
        local = self.query_one("#field-local", Static)
        local.update(styled(message, style="bold red"))
        local.display = bool(message)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "field-value":
            return
        event.stop()
        if event.input is not self._value_widget:
            return
        try:
            if self.kind in ("integer", "number"):
                value: Any = parse_number(event.value, self.schema)
            elif self.kind == "json":
                value = parse_json_value(event.value)
            else:
                value = event.value
        except BadValue as error:
            self._local(f"{error}: the config keeps its last value")
            return
        self._local("")
        self.post_message(EditRequest("set", self.pointer, value, merge=True))

    def on_switch_changed(self, event: Switch.Changed) -> None:
        event.stop()
        if event.switch is not self._value_widget:
            return
        self.query_one("#switch-label", Static).update(str(event.value).lower())
        self.post_message(EditRequest("set", self.pointer, event.value))

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "field-value":
            event.stop()
            if event.select is not self._value_widget:
                return
            self.post_message(EditRequest("set", self.pointer, event.value))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        button = event.button.id
        if button == "remove-field":
            event.stop()
            self.post_message(EditRequest("remove", self.pointer))
        elif button in ("move-up", "move-down"):
            event.stop()
            index = int(parse(self.pointer)[-1])
            target = index - 1 if button == "move-up" else index + 1
            if target < 0:
                self.app.bell()
                return
            self.post_message(EditRequest("move", self.pointer, child(parent(self.pointer),
                                                                       target)))


    def on_edit_request(self, event: EditRequest) -> None:
        # Keep the array editor's highlight on the item the user is working with.
        if self.kind != "array" or not event.pointer.startswith(self.pointer + "/"):
            return
        if event.action == "move":
            self.array_highlight = int(parse(event.value)[-1])
        elif event.action == "add":
            self.array_highlight = len(self.value)
        elif event.action == "remove":
            self.array_highlight = int(parse(event.pointer)[-1])
