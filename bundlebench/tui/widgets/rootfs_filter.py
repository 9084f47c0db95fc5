"""The filter's tree: matching entries under the directories that lead to them.

Built from the matches of bundlebench.bundle.filter_walk as they stream in; the tree
widget shows it in place of the rootfs (RootfsTree.show_view). Leading directories are
expanded and list only what leads to a match; a matching directory with nothing
matching below it opens as usual, read from disk.
"""

from __future__ import annotations

from bundlebench.bundle.filter_walk import Match
from bundlebench.bundle.rootfs import Entry
from bundlebench.tui.widgets.rootfs_tree import Node


def _order(node: Node) -> tuple[bool, str]:
    return not node.is_dir, node.name


class FilterView:
    """The nodes of one filter run; ``add`` matches, then ``flush`` before showing."""

    def __init__(self, pattern: str, root_entry: Entry | None) -> None:
        self.pattern = pattern
        self._leads: set[int] = set()  # nodes whose children this view lists
        self.root = self._leading(Node(root_entry, 0, None))
        self.root.empty_text = "no name matches so far"
        self.nodes: dict[str, Node] = {"/": self.root}
        self.matches: list[Node] = []
        self._unsorted: set[int] = set()
        self._parents: dict[int, Node] = {}

    def _leading(self, node: Node) -> Node:
        node.expanded = node.loaded = True
        node.children = []
        self._leads.add(id(node))
        return node

    def add(self, match: Match) -> None:
        """Put one match (and the directories above it) into the tree."""
        parent = self.root
        for entry in match.parents:
            node = self.nodes.get(entry.path)
            if node is None:
                node = self._leading(Node(entry, parent.depth + 1, parent))
                self._append(parent, node)
            elif not node.expanded and not node.loaded:
                self._leading(node)  # a matching directory that now leads to more
            parent = node
        path = match.entry.path
        node = self.nodes.get(path)
        if node is None:
            node = Node(match.entry, parent.depth + 1, parent)
            self._append(parent, node)
        node.matched = True
        self.matches.append(node)

    def _append(self, parent: Node, node: Node) -> None:
        if id(parent) not in self._leads:
            return  # read from disk after the user opened it: it lists everything
        assert isinstance(parent.children, list)
        parent.children.append(node)
        self.nodes[node.path] = node
        self._unsorted.add(id(parent))
        self._parents[id(parent)] = parent

    def flush(self) -> None:
        """Sort the children that changed: directories first, then by name."""
        for key in self._unsorted:
            children = self._parents[key].children
            assert isinstance(children, list)
            children.sort(key=_order)
        self._unsorted.clear()

    def first_match(self) -> Node | None:
        """The first match in tree order."""
        node = self.root
        while node.children:
            child = next((c for c in node.children if c.matched or c.children), None)
            if child is None:
                return None
            if child.matched:
                return child
            node = child
        return None

    def finish(self, stopped: bool) -> None:
        """Say in the empty tree why it is empty."""
        if not self.matches:
            self.root.empty_text = "no name matches" + (" so far (stopped)" if stopped else "")
