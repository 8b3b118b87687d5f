"""A DataTable of Kubernetes objects, updated row by row (never cleared).

Rows are keyed `Kind/namespace/name`; each update adds the new rows, removes
the gone ones and rewrites only the cells that changed, so the cursor stays on
its object while pods churn. A `/` filter keeps the rows whose name contains
the text, as k9s does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.geometry import Size
from textual.widgets import DataTable

# k9s' pod colours (internal/render/pod.go and the default skin).
STATUS_STYLES = {
    "ok": "#5fafff",  # k9s' standard row colour
    "pending": "#ff8700",  # darkorange
    "error": "bold #ff5f5f",
    "terminating": "#af87ff",  # mediumpurple
    "completed": "#8a8a8a",
}

ERROR_REASONS = {
    "CrashLoopBackOff", "Error", "ErrImagePull", "ImagePullBackOff", "InvalidImageName",
    "OOMKilled", "CreateContainerConfigError", "CreateContainerError", "RunContainerError",
    "ContainerCannotRun", "Failed", "Evicted", "NodeLost", "Unknown", "NotReady",
    "DeadlineExceeded", "BackoffLimitExceeded", "StartError",
}


def status_class(status: str, ready: str = "") -> str:
    """ok / pending / error / terminating / completed, as k9s colours a pod row."""
    reason = status.split(":")[-1].strip()
    if status == "Terminating":
        return "terminating"
    if status in ("Completed", "Succeeded"):
        return "completed"
    if reason in ERROR_REASONS or status.startswith("Init:Error") or "Error" in status:
        return "error"
    if status != "Running" and status != "Ready":
        return "pending"
    if ready and "/" in ready:
        have, want = ready.split("/", 1)
        if have != want:
            return "pending"
    return "ok"


@dataclass(frozen=True)
class Row:
    key: str  # Kind/namespace/name
    cells: tuple[str, ...]
    style: str = ""  # a STATUS_STYLES key, colouring the whole row

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1]


def object_key(obj: dict) -> str:
    md = obj.get("metadata") or {}
    return f"{obj.get('kind', '')}/{md.get('namespace', '')}/{md.get('name', '')}"


def split_key(key: str) -> tuple[str, str, str]:
    kind, namespace, name = key.split("/", 2)
    return kind, namespace, name


def squeeze(name: str, width: int) -> str:
    """`name` in `width` cells, cut in the middle so the end stays: a pod's random suffix
    tells it from its siblings (web-544d7678db-fdc5l → web-544d76…-fdc5l)."""
    if len(name) <= width:
        return name
    if width <= 1:
        return "…"[:width]
    _, dash, last = name.rpartition("-")
    tail = dash + last if dash and len(last) + 1 <= (width - 1) // 2 else name[len(name) - (width - 1) // 2:]
    tail = tail if (width - 1) // 2 else ""
    return name[: width - 1 - len(tail)] + "…" + tail


def cell_text(text: str, style: str = "") -> Text:
    """A one-line cell that ends in … when its column is narrower than it."""
    return Text(text, style=style, no_wrap=True, overflow="ellipsis", end="")


class FittingTable(DataTable):
    """A DataTable whose `give_way` column narrows (its cells end in …) so that every column
    fits the table's width, and widens back to fit its content when there is room again.
    Its cells must be `cell_text`s (one line, ellipsis) to be cut tidily."""

    def __init__(self, *args, give_way: str | None = None, give_way_min: int = 8, **kw) -> None:
        super().__init__(*args, **kw)
        self.give_way = give_way
        self.give_way_min = give_way_min

    async def _on_idle(self, event) -> None:
        # DataTable caches rendered cells by an update counter, not by column width: a row
        # drawn before its column grew (added while its tab was hidden) stays cut ("nod…")
        # until a cell changes. After widths are recomputed, drop that cache.
        if not (self._require_update_dimensions or self._updated_cells):
            await super()._on_idle(event)
            self.fit_columns()
            return
        widths = [c.content_width for c in self.columns.values()]
        await super()._on_idle(event)
        if not self.fit_columns() and widths != [c.content_width for c in self.columns.values()]:
            self._update_count += 1
            self.refresh()

    def fit_columns(self) -> bool:
        """Narrow (or widen back) the give-way column to the room there is; True if it changed."""
        column = self.columns.get(self.give_way) if self.give_way is not None else None  # type: ignore[call-overload]
        room = self.scrollable_content_region.width
        if column is None or room <= 0:
            return False
        others = sum(c.get_render_width(self) for c in self.columns.values() if c is not column)
        natural = max(column.content_width, len(column.label))
        fit = room - others - self._row_label_column_width - 2 * self.cell_padding
        width = max(self.give_way_min, min(natural, fit))
        auto = width >= natural
        if auto == column.auto_width and (auto or width == column.width):
            return False
        column.auto_width, column.width = auto, (column.width if auto else width)
        self._update_count += 1  # the cells' cached renderings had the old width
        self._clear_caches()
        total = sum(c.get_render_width(self) for c in self.columns.values()) + self._row_label_column_width
        self.virtual_size = Size(total, self.virtual_size.height)
        self.gave_way(None if auto else width)
        self.refresh()
        return True

    def gave_way(self, width: int | None) -> None:
        """The give-way column is now `width` cells wide (None: as wide as its content)."""


class ResourceTable(FittingTable):
    """Columns given once; `show(rows)` updates by row key. NAME gives way (…) when the
    columns are wider than the panel, so the columns after it stay in view."""

    DEFAULT_CSS = """
    ResourceTable { height: 1fr; }
    """

    def __init__(self, columns: Sequence[str], *, empty: str = "No resources found.", **kw) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, give_way="0", give_way_min=10, **kw)
        self._columns = tuple(columns)
        self._rows: dict[str, Row] = {}
        self._all: list[Row] = []
        self.filter_text = ""
        self.empty_text = empty
        self._name_width: int | None = None  # NAME narrowed to this (names cut in the middle)

    def on_mount(self) -> None:
        for i, title in enumerate(self._columns):
            self.add_column(title, key=str(i))

    def _cell(self, row: Row, i: int) -> Text:
        text = row.cells[i]
        if i == 0 and self._name_width is not None:
            text = squeeze(text, self._name_width)
        return cell_text(text, STATUS_STYLES.get(row.style, ""))

    def gave_way(self, width: int | None) -> None:
        self._name_width = width
        for key, row in self._rows.items():
            self.update_cell(key, "0", self._cell(row, 0))

    def show(self, rows: Sequence[Row]) -> None:
        self._all = list(rows)
        self._render()

    def _render(self) -> None:
        wanted = [r for r in self._all if not self.filter_text or self.filter_text in r.name.lower()]
        keys = {r.key for r in wanted}
        for key in list(self._rows):
            if key not in keys:
                self.remove_row(key)
                del self._rows[key]
        added = False
        for row in wanted:
            old = self._rows.get(row.key)
            if old is None:
                self.add_row(*(self._cell(row, i) for i in range(len(self._columns))), key=row.key)
                added = True
            elif old != row:
                for i in range(len(self._columns)):
                    if old.cells[i] != row.cells[i] or old.style != row.style:
                        wider = len(row.cells[i]) > len(old.cells[i])
                        self.update_cell(row.key, str(i), self._cell(row, i), update_width=wider)
            self._rows[row.key] = row
        if added:
            # New rows go last; put them back in kubectl's order (by name), cursor kept on its row.
            cursor_key = self.selected_key
            self.sort("0", key=lambda cell: cell.plain if isinstance(cell, Text) else str(cell))
            if cursor_key is not None and cursor_key in self._rows:
                self.move_cursor(row=self.get_row_index(cursor_key), animate=False)

    def set_filter(self, text: str) -> None:
        self.filter_text = text.strip().lower()
        self._render()

    @property
    def selected_key(self) -> str | None:
        if self.row_count == 0:
            return None
        try:
            row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except Exception:  # noqa: BLE001 - no cursor row
            return None
        return str(row_key.value) if row_key.value is not None else None
