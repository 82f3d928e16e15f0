"""The signer tree: trust anchor at the top, the leaf at the bottom, built lazily as nodes expand."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from ...pki.diagnose import Report
from ...pki.model import CertEntry
from ...pki.vocabulary import Role
from .. import render
from ..forest import Extras, Forest, Missing, Top, node_key
from ..view import View

CHUNK = 200  # children added per expansion; the rest hide behind a "… more" node
EXPAND_LIMIT = 100  # with no chain to follow (a trust bundle), open this many nodes from the top


@dataclass(frozen=True)
class CertRef:
    """A certificate node; ``index`` is its bundle position in the extras branch (for its own role)."""

    entry: CertEntry
    index: int | None = None


@dataclass(frozen=True)
class Hint:
    """Where a missing issuer may be had (an AIA URL or a search-pool file)."""

    text: str


@dataclass
class Item:
    """What a tree node stands for, and whether its children were added yet."""

    value: CertRef | Missing | Extras | Hint | None
    populated: bool = False
    rest: list[CertRef] = field(default_factory=list)  # for a "… more" node: what it still hides


def _value(node: TreeNode[Item]) -> CertRef | Missing | Extras | Hint | None:
    return node.data.value if node.data is not None else None


def _has_key(key: object, value: object) -> bool:
    return _key_of(value) == key


def _key_of(value: object) -> str | None:
    """The forest's key of a certificate or missing-issuer node placed below its signer (not an extra)."""
    if isinstance(value, CertRef) and value.index is None:
        return value.entry.sha256
    return node_key(value) if isinstance(value, Missing) else None


def _is_chain_cert(value: object, forest: Forest) -> bool:
    return isinstance(value, CertRef) and value.entry.sha256 in forest.chain


class SignerTree(Tree[Item]):
    """Who signed whom. Children are added when a node is first expanded."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("signers", data=Item(None, True), **kwargs)
        self.show_root = False
        self.guide_depth = 3
        self._report: Report | None = None
        self._forest = Forest()

    def cursor_target(self) -> tuple[CertEntry, Role | None] | Missing | None:
        """What the highlighted node shows: a certificate and its role (None: from the trust store), or a
        missing issuer."""
        node = self.cursor_node
        value = _value(node) if node is not None else None
        if isinstance(value, CertRef):
            report = self._report
            assert report is not None
            if value.index is not None:
                return value.entry, report.certificates[value.index].role
            return value.entry, render.role_of(report, value.entry)
        if isinstance(value, Missing):
            return value
        if isinstance(value, Hint) and node is not None and node.parent is not None:
            parent = node.parent.data
            return parent.value if parent is not None and isinstance(parent.value, Missing) else None
        return None

    def select_certificate(self, sha256: str) -> bool:
        """Put the cursor on the first node built so far that shows the certificate ``sha256``
        (opening its branch); False when no such node is built."""
        queue = list(self.root.children)
        while queue:
            node = queue.pop(0)
            value = _value(node)
            if isinstance(value, CertRef) and value.entry.sha256 == sha256:
                parent = node.parent
                while parent is not None:
                    parent.expand()
                    parent = parent.parent
                _ = self.last_line  # lay the lines out so the cursor can land on the node
                self.move_cursor(node)
                return True
            queue.extend(node.children)
        return False

    # --- building ---------------------------------------------------------------------------------

    def show(self, view: View) -> None:
        """Replace the tree with this view's; expand the chain and put the cursor on the leaf."""
        self._report, self._forest = view.report, view.forest
        forest = view.forest
        self.cursor_line = -1
        self.clear()
        chain_node: TreeNode[Item] | None = None
        for top in forest.tops:
            node = self._add_top(top)
            chain_node = chain_node or (node if self._on_chain(top) else None)
        if forest.extras.indexes:
            count = len(forest.extras.indexes)
            label = Text.assemble(("Extra and duplicate certificates", "bold yellow"), (f"  ({count})", "dim"))
            extras = self.root.add(label, Item(forest.extras), allow_expand=True)
            if count <= 10:
                self._populate(extras)
                extras.expand()
        target = self._expand_chain(chain_node)
        if chain_node is None:
            self._expand_small(EXPAND_LIMIT)
        _ = self.last_line  # lay the lines out so the cursor can land on a node
        self.move_cursor(target or (self.root.children[0] if self.root.children else None))

    def _expand_small(self, budget: int) -> None:
        """Open the tops and their descendants, breadth first, while fewer than ``budget`` nodes show."""
        queue = [n for n in self.root.children if isinstance(_value(n), (CertRef, Missing))]
        shown = len(self.root.children)
        while queue and shown < budget:
            node = queue.pop(0)
            self._populate(node)
            if not node.children:
                continue
            node.expand()
            shown += len(node.children)
            queue += list(node.children)

    def _on_chain(self, top: Top) -> bool:
        if isinstance(top, Missing):
            return any(k.sha256 in self._forest.chain for k in self._forest.kids(top))
        return top.sha256 in self._forest.chain

    def _add_top(self, top: Top) -> TreeNode[Item]:
        if isinstance(top, Missing):
            return self.root.add(render.missing_label(top), Item(top), allow_expand=True)
        return self._add_cert(self.root, CertRef(top))

    def _add_cert(self, parent: TreeNode[Item], ref: CertRef) -> TreeNode[Item]:
        entry, report = ref.entry, self._report
        assert report is not None
        label = render.cert_label(report, entry, report.certificates[ref.index] if ref.index is not None else None)
        has_kids = ref.index is None and bool(self._forest.children.get(entry.sha256))
        return parent.add(label, Item(ref), allow_expand=has_kids)

    def _expand_chain(self, node: TreeNode[Item] | None) -> TreeNode[Item] | None:
        """Expand from the top of the chain down to the leaf; return the leaf's node."""
        last = node
        while node is not None:
            last = node
            self._populate(node)
            node.expand()
            node = next((c for c in node.children if _is_chain_cert(_value(c), self._forest)), None)
        return last

    def _populate(self, node: TreeNode[Item]) -> None:
        item = node.data
        if item is None or item.populated:
            return
        item.populated = True
        value = item.value
        refs: list[CertRef]
        if isinstance(value, Extras):
            assert self._report is not None
            certificates = self._report.certificates
            refs = [CertRef(certificates[i].entry, i) for i in value.indexes]
        elif isinstance(value, Missing):
            for url in value.aia:
                node.add_leaf(render.hint_label("get it from AIA", url), Item(Hint(url), True))
            for where in value.found_in:
                node.add_leaf(render.hint_label("found in --search", where), Item(Hint(where), True))
            refs = [CertRef(e) for e in self._forest.kids(value)]
        elif isinstance(value, CertRef):
            kids = self._forest.kids(value.entry)
            kids = sorted(kids, key=lambda e: e.sha256 not in self._forest.chain)
            refs = [CertRef(e) for e in kids]
        else:
            return
        self._add_chunk(node, refs)

    def _add_chunk(self, parent: TreeNode[Item], refs: list[CertRef]) -> None:
        for ref in refs[:CHUNK]:
            self._add_cert(parent, ref)
        rest = refs[CHUNK:]
        if rest:
            label = Text(f"… {len(rest):,} more (expand to show the next {min(CHUNK, len(rest))})", style="dim italic")
            parent.add(label, Item(None, True, rest), allow_expand=True)

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[Item]) -> None:
        node = event.node
        item = node.data
        if item is not None and item.rest:
            self._show_more(node)
            return
        self._populate(node)

    def _show_more(self, node: TreeNode[Item]) -> None:
        """Replace a "… more" node with the next chunk of what it hides."""
        item, parent = node.data, node.parent
        assert item is not None
        rest, item.rest = item.rest, []
        node.remove()
        if parent is not None:
            self._add_chunk(parent, rest)

    # --- finding a certificate ----------------------------------------------------------------------

    def reveal(self, sha256: str) -> bool:
        """Put the cursor on the certificate's node, adding and expanding the nodes above it as needed;
        False when the tree does not show it."""
        path = self._forest.path_to(sha256)
        if path:
            node: TreeNode[Item] | None = self.root
            for key in path:
                node = self._child(node, partial(_has_key, key)) if node is not None else None
        else:
            extras = next((n for n in self.root.children if isinstance(_value(n), Extras)), None)
            node = self._child(extras, lambda value: isinstance(value, CertRef) and value.entry.sha256 == sha256) \
                if extras is not None else None
        if node is None:
            return False
        up = node.parent
        while up is not None and up is not self.root:
            up.expand()
            up = up.parent
        _ = self.last_line  # lay the lines out so the cursor can land on the node
        self.move_cursor(node)
        self.call_after_refresh(self.scroll_to_node, node)  # once the expanded lines are laid out
        return True

    def _child(self, node: TreeNode[Item], wanted: Callable[[object], bool]) -> TreeNode[Item] | None:
        """The child of ``node`` whose value is ``wanted``, adding children (and "… more" chunks) until it shows."""
        self._populate(node)
        while True:
            found = next((c for c in node.children if wanted(_value(c))), None)
            if found is not None:
                return found
            more = next((c for c in node.children if c.data is not None and c.data.rest), None)
            if more is None:
                return None
            self._show_more(more)
