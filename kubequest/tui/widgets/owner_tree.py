"""Deployment → ReplicaSet → Pod, as the garbage collector sees ownership."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from ..views import TreeItem
from .resource_table import STATUS_STYLES


class OwnerTree(Tree[str]):
    DEFAULT_CSS = """
    OwnerTree { height: 1fr; padding: 0 1; }
    """

    def __init__(self, **kw) -> None:
        super().__init__("cluster", **kw)
        self.show_root = False
        self._shape: tuple = ()
        self._by_key: dict[str, TreeNode[str]] = {}

    def show(self, items: list[TreeItem]) -> None:
        shape = tuple(i.shape() for i in items)
        if shape != self._shape:
            self._rebuild(items)
            self._shape = shape
            return
        for item in _walk(items):  # same structure: only the labels move
            node = self._by_key.get(item.key)
            if node is not None:
                label = _label(item)
                if node.label != label:
                    node.set_label(label)

    def _rebuild(self, items: list[TreeItem]) -> None:
        selected = self.cursor_node.data if self.cursor_node is not None else None
        collapsed = {key for key, node in self._by_key.items() if not node.is_expanded and node.children}
        self.root.remove_children()
        self._by_key = {}

        def add(parent: TreeNode[str], item: TreeItem) -> None:
            if item.children:
                node = parent.add(_label(item), data=item.key, expand=item.key not in collapsed)
                for child in item.children:
                    add(node, child)
            else:
                node = parent.add_leaf(_label(item), data=item.key)
            self._by_key[item.key] = node

        for item in items:
            add(self.root, item)
        if selected in self._by_key:
            self.move_cursor(self._by_key[selected], animate=False)

    @property
    def selected_key(self) -> str | None:
        node = self.cursor_node
        return node.data if node is not None else None


def _walk(items: list[TreeItem]):
    for item in items:
        yield item
        yield from _walk(item.children)


def _label(item: TreeItem) -> Text:
    kind, _, rest = item.label.partition(" ")
    text = Text(kind + " ", style="bold")
    text.append(rest, style=STATUS_STYLES.get(item.style, ""))
    return text
