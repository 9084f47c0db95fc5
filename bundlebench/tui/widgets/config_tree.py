"""The config document as a tree: one node per field, marked where problems are."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from bundlebench.edit.pointer import child, parent, parse
from bundlebench.edit.values import element_hint, summary
from bundlebench.spec.problems import Problem
from bundlebench.untrusted import styled

MARKS = {"error": ("✖ ", "bold red"), "warning": ("⚠ ", "bold yellow")}


def problem_marks(problems: list[Problem]) -> dict[str, str]:
    """Severity per pointer, for each field with a problem and all its ancestors."""
    marks: dict[str, str] = {}
    for problem in problems:
        path = problem.pointer
        while True:
            if marks.get(path) != "error":
                marks[path] = problem.severity
            if not path:
                break
            path = parent(path)
    return marks


class ConfigTree(Tree[str]):
    """Every field of config.json; each node's data is its JSON Pointer."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "request('add')", "Add"),
        Binding("delete,x", "request('remove')", "Remove"),
        Binding("alt+up", "request('up')", "Move up"),
        Binding("alt+down", "request('down')", "Move down"),
        Binding("left", "collapse_or_parent", "Collapse", show=False,
                tooltip="Collapse the node, or go to its parent"),
        Binding("right", "expand_or_child", "Expand", show=False,
                tooltip="Expand the node, or go to its first child"),
    ]

    class Request(Message):
        """The user asked for a structural edit at ``pointer`` (add, remove, up, down)."""

        def __init__(self, action: str, pointer: str) -> None:
            super().__init__()
            self.action = action
            self.pointer = pointer

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("config.json", data="", id=id)
        self.show_root = True
        self.guide_depth = 3
        self._by_pointer: dict[str, TreeNode[str]] = {"": self.root}
        self._values: dict[str, Any] = {}
        self._marks: dict[str, str] = {}
        self._unloaded: set[str] = set()

    # -- building ------------------------------------------------------------------

    def load(self, data: dict[str, Any], marks: dict[str, str], cursor: str | None = None) -> None:
        """Show ``data``, keeping which nodes were expanded and where the cursor was.

        Only expanded nodes get their children now; the others get them when opened,
        so a config with a 400-rule seccomp profile loads as fast as runc's default.
        """
        expanded = {p for p, node in self._by_pointer.items() if node.is_expanded} or {""}
        if cursor is None:
            cursor = self.cursor_pointer
        self._marks = dict(marks)
        self.clear()
        self.root.data = ""
        self._by_pointer = {"": self.root}
        self._values = {"": data}
        self._unloaded = set()
        self.root.set_label(self._label("", "config.json", data))
        self._add_children(self.root, "", data, expanded)
        self.root.expand()
        self.select_pointer(cursor, focus=False)

    def _add_children(self, node: TreeNode[str], path: str, value: Any,
                      expanded: set[str]) -> None:
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            item_path = child(path, key)
            label = self._label(item_path, key, item)
            if isinstance(item, dict | list):
                opened = item_path in expanded
                sub = node.add(label, data=item_path, expand=opened, allow_expand=bool(item))
                if opened:
                    self._add_children(sub, item_path, item, expanded)
                elif item:
                    self._unloaded.add(item_path)
            else:
                sub = node.add_leaf(label, data=item_path)
            self._by_pointer[item_path] = sub
            self._values[item_path] = item

    def _ensure_loaded(self, path: str) -> None:
        if path in self._unloaded:
            self._unloaded.discard(path)
            self._add_children(self._by_pointer[path], path, self._values[path], set())

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[str]) -> None:
        if event.node.data is not None:
            self._ensure_loaded(event.node.data)

    def _label(self, path: str, key: str | int, value: Any) -> Text:
        mark = self._marks.get(path)
        text = Text()
        if mark:
            icon, style = MARKS[mark]
            text.append(icon, style=style)
        if isinstance(key, int):
            text.append(f"[{key}]", style="dim")
        else:
            # Keys come from the file (an image's author may have written them).
            text.append_text(styled(key, 120, style="bold"))
        if isinstance(value, dict | list):
            text.append(" " + summary(value), style="dim")
            hint = element_hint(value)
            if hint:
                text.append_text(styled(" " + hint, 80, style="italic"))
        else:
            text.append(": ")
            text.append(summary(value), style=_value_style(value))
        return text

    # -- small updates -------------------------------------------------------------

    def update_value(self, path: str, value: Any) -> bool:
        """Relabel one scalar field; False when the tree needs a full load instead."""
        node = self._by_pointer.get(path)
        if node is None or isinstance(value, dict | list) or node.allow_expand:
            return False
        self._values[path] = value
        key = self._last_key(path)
        node.set_label(self._label(path, key, value))
        parent_path = parent(path) if path else None
        if parent_path is not None and parent_path in self._by_pointer:
            self._relabel(parent_path)
        return True

    def update_marks(self, marks: dict[str, str]) -> None:
        """Show new problem marks, relabelling only the nodes whose mark changed."""
        old, self._marks = self._marks, dict(marks)
        for path in set(old) ^ set(marks) | {p for p in marks if old.get(p) != marks[p]}:
            if path in self._by_pointer:
                self._relabel(path)

    def _relabel(self, path: str) -> None:
        node = self._by_pointer[path]
        key: str | int = "config.json" if not path else self._last_key(path)
        node.set_label(self._label(path, key, self._values.get(path)))

    def _last_key(self, path: str) -> str | int:
        token = parse(path)[-1]
        return int(token) if isinstance(self._values.get(parent(path)), list) else token

    # -- cursor --------------------------------------------------------------------

    @property
    def cursor_pointer(self) -> str:
        """The pointer under the cursor ("" for the root)."""
        node = self.cursor_node
        return node.data if node is not None and node.data is not None else ""

    def select_pointer(self, path: str, *, focus: bool = True) -> str:
        """Move the cursor to ``path`` (or its nearest shown ancestor); return where it went."""
        shown = ""
        for token in parse(path):
            self._ensure_loaded(shown)
            if child(shown, token) not in self._by_pointer:
                break
            shown = child(shown, token)
        path = shown
        node = self._by_pointer[path]
        ancestor = node.parent
        while ancestor is not None:
            ancestor.expand()
            ancestor = ancestor.parent
        # Expanding renumbers lines lazily; build them now so the cursor lands on `node`.
        self._tree_lines  # noqa: B018
        self.move_cursor(node)
        self.call_after_refresh(self.scroll_to_node, node, animate=False)
        if focus:
            self.focus()
        return path

    def action_collapse_or_parent(self) -> None:
        """← as in a file manager: collapse an open node, else go up to its parent."""
        node = self.cursor_node
        if node is None:
            return
        if node.allow_expand and node.is_expanded:
            node.collapse()
        elif node.parent is not None:
            self.move_cursor(node.parent)
            self.scroll_to_node(node.parent, animate=False)

    def action_expand_or_child(self) -> None:
        """→: expand a closed node, else go down to its first child."""
        node = self.cursor_node
        if node is None or not node.allow_expand:
            return
        if not node.is_expanded:
            node.expand()  # its children are added on NodeExpanded
        elif node.children:
            self.move_cursor(node.children[0])
            self.scroll_to_node(node.children[0], animate=False)

    def action_request(self, action: str) -> None:
        self.post_message(self.Request(action, self.cursor_pointer))


def _value_style(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "cyan italic"
    if isinstance(value, int | float):
        return "magenta"
    return "green"
