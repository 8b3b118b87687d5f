"""A DataTable of Kubernetes objects, updated row by row (never cleared).

Rows are keyed `Kind/namespace/name`; each update adds the new rows, removes
the gone ones and rewrites only the cells that changed, so the cursor stays on
its object while pods churn. A `/` filter keeps the rows whose name contains
the text, as k9s does.

Every column stays in view: when the panel is narrower than the columns, the
gaps between them close to one space, then the columns that can say less give
way (a bar keeps its numbers, RESTARTS its count), then the free-text ones (names
cut in the middle, selectors and labels at the end, endpoints by whole addresses).
NAMESPACE comes first when the rows span namespaces (`kubectl get pods -A`);
`L` shows LABELS last (`--show-labels`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding, BindingType
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
    namespace: str | None = None  # the NAMESPACE cell, set when the level's objects span namespaces
    labels: str | None = None  # the LABELS cell, for objects whose labels `L` can show

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


# ---- how a column says less -----------------------------------------------------------------


def ellipsize(text: str, width: int) -> str:
    """`text` in `width` cells, its end cut to …"""
    if cell_len(text) <= width:
        return text
    cut = Text(text)
    cut.truncate(max(width, 0), overflow="ellipsis")
    return cut.plain


def whole_items(text: str, width: int) -> str:
    """A comma-separated list in `width` cells: as many whole items as fit and how many more
    (`10.244.0.5:8080 +2`), so the count survives the cut — it is what a Service's ENDPOINTS
    is read for."""
    if cell_len(text) <= width:
        return text
    items = text.split(",")
    for shown in range(len(items) - 1, 0, -1):
        head = ",".join(items[:shown]) + f" +{len(items) - shown}"
        if cell_len(head) <= width:
            return head
    more = f" +{len(items) - 1}" if len(items) > 1 else ""
    return ellipsize(items[0], width - len(more)) + more


def first_item(text: str) -> int:
    """The narrowest `whole_items` reads well at: the first item whole, and how many more."""
    items = text.split(",")
    return cell_len(items[0]) + (len(f" +{len(items) - 1}") if len(items) > 1 else 0)


def restart_count(text: str, width: int) -> str:
    """RESTARTS without its `(10s ago)` when there is no room for it: the count is what matters."""
    return text if cell_len(text) <= width else ellipsize(text.split(" ", 1)[0], width)


BAR_CELLS = "█░"


def _bar_parts(text: str) -> tuple[str, str]:
    numbers = text.lstrip(BAR_CELLS)
    bar = text[: len(text) - len(numbers)]
    return bar, numbers[1:] if bar and numbers.startswith(" ") else numbers


def bar_steps(texts: list[str]) -> list[int]:
    """The widths a column of bars reads well at: bars whole, half bars, numbers alone,
    percentages alone."""
    numbers = [_bar_parts(t)[1].lstrip() for t in texts]
    whole = max(map(cell_len, texts), default=0)
    bar = max((len(_bar_parts(t)[0]) for t in texts), default=0)
    return [whole, whole - bar + bar // 2] + [max(map(cell_len, cells), default=0) for cells in
                                              (numbers, [n.split(" ", 1)[0] for n in numbers])]


def shrink_bar(text: str, width: int) -> str:
    """A `██░░░░░░  25% 1000m/4` cell in `width` cells: a shorter bar, then none, then the
    percentage alone."""
    if cell_len(text) <= width:
        return text
    bar, numbers = _bar_parts(text)
    room = width - cell_len(numbers) - 1
    if bar and room >= 3:  # a bar of one or two cells says nothing the percentage does not
        filled = round(bar.count(BAR_CELLS[0]) * room / len(bar))
        return BAR_CELLS[0] * filled + BAR_CELLS[1] * (room - filled) + " " + numbers
    numbers = numbers.lstrip()
    if cell_len(numbers) <= width:
        return numbers
    return ellipsize(numbers.split(" ", 1)[0], width)


@dataclass(frozen=True)
class GiveWay:
    """How a column narrows when the panel is too narrow for every column whole."""

    least: int  # narrower than this it says nothing (unless its widest cell is narrower)
    shorten: Callable[[str, int], str] = ellipsize
    steps: Callable[[list[str]], list[int]] | None = None  # the only widths it takes, if not any
    floor: Callable[[str], int] | None = None  # the least a cell reads well at, if more than `least`
    first: bool = False  # narrows before the free-text columns: it keeps what matters


# By column title: the columns a table gives up width from. The others (NAMESPACE, READY,
# STATUS, AGE, NODE…) are short and read whole.
GIVE_WAY: dict[str, GiveWay] = {
    "CPU requested": GiveWay(3, shrink_bar, steps=bar_steps, first=True),
    "MEMORY requested": GiveWay(3, shrink_bar, steps=bar_steps, first=True),
    "RESTARTS": GiveWay(len("RESTARTS"), restart_count, first=True),
    "NAME": GiveWay(10, squeeze),
    "SELECTOR": GiveWay(8),
    "ENDPOINTS": GiveWay(len("ENDPOINTS"), whole_items, floor=first_item),
    "LABELS": GiveWay(8),
    "TAINTS": GiveWay(12),
}
# Shorter titles for narrowed columns, longest first; other titles are cut with …
SHORT_TITLES = {
    "CPU requested": ("CPU req", "CPU"),
    "MEMORY requested": ("MEM req", "MEM"),
}
# Hidden, in this order, while the columns do not fit even narrowed: what is left tells the
# story (a Service's endpoints matter more than its cluster IP in this game, a pod's whole
# STATUS — CreateContainerConfigError — more than its node).
DROP_FIRST = ("CLUSTER-IP", "NODE")
WIDE_GAP, NARROW_GAP = 2, 1


@dataclass(frozen=True)
class Layout:
    keys: tuple[str, ...]  # the columns shown, in order
    widths: tuple[int, ...]  # their text widths
    gap: int  # blank cells after each column but the last


@dataclass(frozen=True)
class _Give:
    """One column's room to give: its natural width, the least it takes, the widths it takes."""

    natural: int
    least: int
    steps: tuple[int, ...] = ()  # descending; empty: any width from natural down to least
    first: bool = False
    hard: int = 0  # the least when even `least` does not fit (a cell's floor given up)

    def at(self, level: int) -> int:
        if self.steps:
            return next((w for w in self.steps if w <= level), self.steps[-1])
        return max(self.least, min(self.natural, level))


def _water_fill(columns: list[_Give], budget: int) -> list[int]:
    """Widths for `budget` cells: the widest columns narrowed to a common level, none below
    its least, the cells left over handed back one by one. Stepped columns (bars) all take
    the same step, so that side by side they compare."""
    level = max((c.natural for c in columns), default=0)
    while level > 0 and sum(c.at(level) for c in columns) > budget:
        level -= 1
    out = [c.at(level) for c in columns]
    stepped = [i for i, c in enumerate(columns) if c.steps]
    stage = max((columns[i].steps.index(out[i]) for i in stepped), default=0)
    for i in stepped:
        out[i] = columns[i].steps[stage]
    spare = budget - sum(out)
    while stage > 0 and sum(columns[i].steps[stage - 1] - out[i] for i in stepped) <= spare:
        stage -= 1
        for i in stepped:
            spare -= columns[i].steps[stage] - out[i]
            out[i] = columns[i].steps[stage]
    for i, column in enumerate(columns):
        if spare > 0 and out[i] < column.natural and not column.steps:
            out[i] += 1
            spare -= 1
    return out


def _fit(columns: list[_Give], room: int) -> tuple[list[int], int] | None:
    """Text widths and gap for the columns in `room` cells, or None if they cannot fit."""
    natural = [c.natural for c in columns]
    for gap in (WIDE_GAP, NARROW_GAP):
        if sum(natural) + gap * (len(columns) - 1) <= room:
            return natural, gap
    budget = room - NARROW_GAP * (len(columns) - 1)
    if sum(c.least for c in columns) > budget:
        return None
    # The columns that keep what matters when narrowed go first, then the free text.
    first = [i for i, c in enumerate(columns) if c.first]
    rest = [i for i, c in enumerate(columns) if not c.first]
    widths = list(natural)
    if sum(natural[i] for i in rest) + sum(columns[i].least for i in first) <= budget:
        narrowed, room_for = first, budget - sum(natural[i] for i in rest)
    else:
        for i in first:
            widths[i] = columns[i].least
        narrowed, room_for = rest, budget - sum(columns[i].least for i in first)
    for i, width in zip(narrowed, _water_fill([columns[i] for i in narrowed], room_for)):
        widths[i] = width
    return widths, NARROW_GAP


def _give(title: str, texts: list[str]) -> _Give:
    natural = max([cell_len(title)] + [cell_len(t) for t in texts])
    give = GIVE_WAY.get(title)
    if give is None:
        return _Give(natural, natural, hard=natural)
    if give.steps is not None:
        steps = [natural] + [min(natural, max(give.least, w)) for w in give.steps(texts)[1:]]
        return _Give(natural, steps[-1], tuple(steps), give.first, steps[-1])
    hard = min(natural, give.least)
    least = max([hard] + [min(natural, give.floor(t)) for t in texts] if give.floor else [hard])
    return _Give(natural, least, (), give.first, hard)


def plan_layout(columns: Sequence[tuple[str, str]], cells: dict[str, list[str]], room: int) -> Layout:
    """Which columns to show and how wide, for `room` cells: `columns` are (key, title),
    `cells` each column's texts. Too narrow for the columns' least widths, the DROP_FIRST
    columns go; still too narrow, the cells' floors are given up; then it scrolls."""
    shown = list(columns)
    while True:
        gives = [_give(title, cells.get(key, [])) for key, title in shown]
        if room <= 0:
            return Layout(tuple(key for key, _ in shown), tuple(g.natural for g in gives), WIDE_GAP)
        fit = _fit(gives, room)
        droppable = sorted((c for c in shown if c[1] in DROP_FIRST), key=lambda c: DROP_FIRST.index(c[1]))
        if fit is None and droppable:
            shown.remove(droppable[0])
            continue
        if fit is None:
            gives = [replace(g, least=g.hard) for g in gives]
            fit = _fit(gives, room) or ([g.least for g in gives], NARROW_GAP)  # it scrolls
        return Layout(tuple(key for key, _ in shown), tuple(fit[0]), fit[1])


# ---- the table ---------------------------------------------------------------------------


class Cell(Text):
    """A cell that sorts by its row's key (a squeezed name would sort by its cut)."""

    __slots__ = ("order",)


NAMESPACE, LABELS = "namespace", "labels"  # column keys; the others are "0", "1"…


class ResourceTable(DataTable):
    """Columns given once; `show(rows)` updates by row key. NAMESPACE appears first when the
    rows carry one, LABELS last when `L` asks for them; the columns narrow (see GIVE_WAY) so
    that every one stays in view."""

    DEFAULT_CSS = """
    ResourceTable { height: 1fr; padding: 0 0 0 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("L", "toggle_labels", "Labels", show=False),  # in ? help: the footer is full
    ]

    def __init__(self, columns: Sequence[str], *, empty: str = "No resources found.", **kw) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, cell_padding=0, **kw)
        self._columns = tuple(columns)
        self._all: list[Row] = []
        self._rows: dict[str, Row] = {}  # the rows shown, by key
        self._drawn: dict[str, dict[str, tuple[str, str]]] = {}  # row key → column key → (text, style)
        self._layout = Layout((), (), WIDE_GAP)
        self._titles: dict[str, str] = {}  # column key → title
        self._room = 0
        self.filter_text = ""
        self.empty_text = empty
        self.show_labels = False

    def on_mount(self) -> None:
        self._relayout()

    # ---- what is wanted ---------------------------------------------------------------

    def _wanted_columns(self) -> list[tuple[str, str]]:
        columns = [(str(i), title) for i, title in enumerate(self._columns)]
        if any(r.namespace is not None for r in self._all):
            columns.insert(0, (NAMESPACE, "NAMESPACE"))
        if self.show_labels and self.has_labels:
            columns.append((LABELS, "LABELS"))
        return columns

    @property
    def has_labels(self) -> bool:
        return any(r.labels is not None for r in self._all)

    @staticmethod
    def _text(row: Row, key: str) -> str:
        if key == NAMESPACE:
            return row.namespace or ""
        if key == LABELS:
            return row.labels if row.labels is not None else "<none>"
        return row.cells[int(key)]

    def _wanted_rows(self) -> list[Row]:
        return [r for r in self._all if not self.filter_text or self.filter_text in r.name.lower()]

    # ---- layout: which columns, how wide ------------------------------------------------

    def _relayout(self) -> bool:
        """Fit the columns to the room there is; True if the table was rebuilt or narrowed."""
        columns = self._wanted_columns()
        cells = {key: [self._text(r, key) for r in self._all] for key, _ in columns}
        layout = plan_layout(columns, cells, self._room)
        if layout == self._layout and len(self.columns) == len(layout.keys):
            return False
        self._titles = dict(columns)
        if layout.keys != self._layout.keys or len(self.columns) != len(layout.keys):
            self._rebuild(layout)
        else:
            self._layout = layout
            self._set_widths()
        return True

    def _rebuild(self, layout: Layout) -> None:
        """The columns changed (NAMESPACE, LABELS, a column dropped): rows are added again."""
        cursor = self.selected_key
        self.clear(columns=True)
        self._rows, self._drawn = {}, {}
        self._layout = layout
        for key in layout.keys:
            self.add_column(self._title(key, len(self._titles[key])), key=key, width=1)
        self._set_widths()
        self._sync()
        if cursor is not None and cursor in self._drawn:
            self.move_cursor(row=self.get_row_index(cursor), animate=False)

    def _title(self, key: str, width: int) -> Text:
        title = self._titles[key]
        if cell_len(title) > width:
            title = next((t for t in SHORT_TITLES.get(title, ()) if cell_len(t) <= width), title)
        return Text(ellipsize(title, width), no_wrap=True, end="")

    def _set_widths(self) -> None:
        layout = self._layout
        last = len(layout.keys) - 1
        for i, (key, width) in enumerate(zip(layout.keys, layout.widths)):
            column = self.columns[key]  # type: ignore[index]
            column.auto_width, column.width = False, width + (layout.gap if i < last else 0)
            column.label = self._title(key, width)  # cut short of the gap, not into it
        self._update_count += 1  # the cells' cached renderings had the old widths
        self._clear_caches()
        total = sum(c.get_render_width(self) for c in self.columns.values())
        self.virtual_size = Size(total, self.virtual_size.height)
        # A ScrollView rechecks its scrollbars when its size changes, not its virtual size:
        # without this a horizontal scrollbar no longer needed stays, and takes a line.
        self._refresh_scrollbars()
        self.refresh(layout=True)

    def on_resize(self) -> None:
        self._check_room()

    async def _on_idle(self, event) -> None:
        await super()._on_idle(event)
        self._check_room()  # a scrollbar coming or going changes the room, not the size

    def _check_room(self) -> None:
        room = self.scrollable_content_region.width
        if room > 0 and room != self._room:
            self._room = room
            if self._relayout():
                self._sync()

    # ---- rows ---------------------------------------------------------------------------

    def _cell(self, row: Row, key: str) -> tuple[str, str]:
        text = self._text(row, key)
        width = self._layout.widths[self._layout.keys.index(key)]
        give = GIVE_WAY.get(self._titles.get(key, ""))
        if give is not None and cell_len(text) > width:
            text = give.shorten(text, width)
        return text, row.style

    @staticmethod
    def _make(row: Row, text: str, style: str) -> Text:
        cell = Cell(text, style=STATUS_STYLES.get(style, ""), no_wrap=True, overflow="ellipsis", end="")
        cell.order = row.key
        return cell

    def show(self, rows: Sequence[Row]) -> None:
        self._all = list(rows)
        self._relayout()
        self._sync()

    def _sync(self) -> None:
        wanted = self._wanted_rows()
        keys = {r.key for r in wanted}
        for key in list(self._drawn):
            if key not in keys:
                self.remove_row(key)
                del self._drawn[key], self._rows[key]
        added = False
        for row in wanted:
            cells = {key: self._cell(row, key) for key in self._layout.keys}
            old = self._drawn.get(row.key)
            if old is None:
                self.add_row(*(self._make(row, *cells[k]) for k in self._layout.keys), key=row.key)
                added = True
            else:
                for key, cell in cells.items():
                    if old.get(key) != cell:
                        self.update_cell(row.key, key, self._make(row, *cell))
            self._drawn[row.key], self._rows[row.key] = cells, row
        if added and self._layout.keys:
            # New rows go last; put them back in kubectl's order (namespace, name), cursor kept.
            cursor_key = self.selected_key
            self.sort(self._layout.keys[0], key=lambda cell: getattr(cell, "order", str(cell)))
            if cursor_key is not None and cursor_key in self._drawn:
                self.move_cursor(row=self.get_row_index(cursor_key), animate=False)

    def set_filter(self, text: str) -> None:
        self.filter_text = text.strip().lower()
        self._sync()

    # ---- LABELS -----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_labels":
            return self.has_labels  # the Nodes table shows its labels always
        return super().check_action(action, parameters)

    def action_toggle_labels(self) -> None:
        """Show or hide LABELS in every table of the screen, as `--show-labels` does."""
        show = not self.show_labels
        for table in self.screen.query(ResourceTable):
            table.show_labels = show
            if table._relayout():
                table._sync()

    @property
    def selected_key(self) -> str | None:
        if self.row_count == 0:
            return None
        try:
            row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except Exception:  # noqa: BLE001 - no cursor row
            return None
        return str(row_key.value) if row_key.value is not None else None
