"""The level screen: briefing and editor on the left, the live cluster on the right.

The cluster runs in a LevelDriver thread; this screen only receives its
updates (DriverUpdate messages) and asks it for things (apply, hint, chaos).
The driver also serves the level to the real kubectl: the line under the
header is the `export KUBECONFIG=…` for another terminal, and `!` opens a
kubectl prompt (widgets/kubectl_prompt.py) right here.
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Markdown, Static, TabbedContent, TabPane

from ..commands import PaletteCommand
from ..driver import (
    ActionDone,
    Applied,
    ClusterSnapshot,
    DriverConfig,
    Failed,
    LevelDriver,
    RuntimeBack,
    RuntimeLost,
    Serving,
    Started,
    Won,
)
from ..messages import DriverUpdate
from ..views import (
    DEPLOY_COLUMNS,
    NODE_COLUMNS,
    POD_COLUMNS,
    RS_COLUMNS,
    SVC_COLUMNS,
    deployment_rows,
    event_lines,
    node_rows,
    owner_tree,
    pod_rows,
    replicaset_rows,
    service_rows,
)
from ..widgets.editor import WorkspaceEditor
from ..widgets.events_log import EventsLog
from ..widgets.kubectl_prompt import KubectlPanel
from ..widgets.objectives import ObjectivesPanel
from ..widgets.owner_tree import OwnerTree
from ..widgets.resource_table import ResourceTable, split_key
from .dialogs import ChoiceDialog, ConfirmDialog

CLUSTER_TABS = ("pods", "workloads", "nodes", "tree", "events")
TAB_ALIASES = {
    "po": "pods", "pod": "pods", "pods": "pods",
    "deploy": "workloads", "deployments": "workloads", "rs": "workloads", "svc": "workloads",
    "services": "workloads", "workloads": "workloads",
    "no": "nodes", "node": "nodes", "nodes": "nodes",
    "tree": "tree", "owners": "tree", "xray": "tree",
    "ev": "events", "events": "events",
}
DRAW_INTERVAL = 0.2  # seconds: the cluster panels redraw at most five times a second
FILE_LINE = re.compile(r"^(?:.*/)?([^/:\s]+):(\d+):")


def workspace_files(level, workdir: Path) -> list[tuple[Path, str]]:
    """(path in the working folder, starting text) for each workspace file, as the session copies them."""
    out = []
    for src in level.workspace:
        rel = src.relative_to(level.dir)
        if rel.parts[0] == "workspace" and len(rel.parts) > 1:
            rel = Path(*rel.parts[1:])
        out.append((workdir / rel, src.read_text(encoding="utf-8")))
    return out


_EMPHASIS = re.compile(r"\*\*(.+?)\*\*|\*(\S(?:.*?\S)?)\*")


def inline_code(text: str) -> Text:
    """A line of markdown-ish text: `code` coloured, **bold** and *italic* styled, their
    marks dropped (hints are written in the same markdown as briefings)."""
    out = Text()
    for i, part in enumerate(text.split("`")):
        if i % 2:
            out.append(part, style="bold #5fafff")
            continue
        at = 0
        for m in _EMPHASIS.finditer(part):
            out.append(part[at:m.start()])
            out.append(m.group(1) or m.group(2), style="bold" if m.group(1) else "italic")
            at = m.end()
        out.append(part[at:])
    return out


def plain_markdown(text: str) -> str:
    """The same text with its marks dropped, for a plain toast."""
    return inline_code(text).plain


def clock_text(seconds: float) -> str:
    m, s = divmod(int(max(0, seconds)), 60)
    return f"{m}:{s:02d}"


class LevelScreen(Screen[None]):
    CSS_PATH = "level.tcss"
    TYPING_ACTIONS: ClassVar[frozenset[str]] = frozenset({"hint", "why", "chaos", "describe", "logs", "yaml", "events", "filter",
                      "command", "cluster_tab", "edit", "help", "kubectl",
                      "focus_objectives"})

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "apply", "Apply", priority=True),
        Binding("f6", "apply_file", "Apply this file", show=False, priority=True),
        Binding("ctrl+r", "restart", "Restart", show=False),
        Binding("ctrl+b", "toggle_briefing", "Briefing", show=False),
        Binding("h", "hint", "Hint"),
        Binding("w", "why", "Why not yet?"),
        Binding("o", "focus_objectives", "Objectives", show=False),
        Binding("x", "chaos", "Chaos"),
        Binding("f2", "anywhere('hint')", "Hint"),
        Binding("f3", "anywhere('why')", "Why not yet?"),
        Binding("f4", "anywhere('chaos')", "Chaos"),
        # The same keys outside the editor, where h / w / x are in the footer already.
        Binding("f2", "anywhere_quiet('hint')", "Hint", show=False),
        Binding("f3", "anywhere_quiet('why')", "Why not yet?", show=False),
        Binding("f4", "anywhere_quiet('chaos')", "Chaos", show=False),
        Binding("d", "describe", "Describe"),
        Binding("l", "logs", "Logs"),
        Binding("y", "yaml", "YAML"),
        Binding("e", "events", "Events", show=False),
        Binding("slash", "filter", "Filter"),
        Binding("colon", "command", "View", show=False),
        Binding("exclamation_mark", "kubectl", "kubectl", show=False),  # the export bar says so
        Binding("i", "edit", "Edit", show=False),
        Binding("1", "cluster_tab('pods')", "Pods", show=False),
        Binding("2", "cluster_tab('workloads')", "Workloads", show=False),
        Binding("3", "cluster_tab('nodes')", "Nodes", show=False),
        Binding("4", "cluster_tab('tree')", "Tree", show=False),
        Binding("5", "cluster_tab('events')", "Events", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, level, *, hints: list[str] | None = None) -> None:
        super().__init__()
        self.level = level
        self.hints: list[str] = list(hints or [])
        self.driver: LevelDriver | None = None
        self.snapshot: ClusterSnapshot | None = None
        self.shown_serial = 0
        self.runtime_name = ""
        self.won: Won | None = None
        self.free_play = False
        self._failures = 0
        self._draw_timer = None
        self._last_draw = 0.0
        self._objectives_key: tuple = ()
        self._header_text = ""
        self.serving: Serving | None = None
        app = self.app
        game = app.config  # type: ignore[attr-defined]
        config = DriverConfig(choice=app.choice, clock_factory=game.clock_factory,  # type: ignore[attr-defined]
                              timing=game.timing, seed=game.seed, manual=game.manual_clock,
                              runtime_factory=game.runtime_factory,
                              kubeconfig=game.kubeconfig_path(level.id) if game.serve_kubectl else None)
        self.driver = LevelDriver(level, config, self._emit, hints_used=len(self.hints))
        self.files = workspace_files(level, self.driver.workdir)

    def _emit(self, update) -> None:
        # From the driver's thread: post_message is thread-safe.
        self.post_message(DriverUpdate(update))

    # ---- layout ---------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="level-header")
        with Horizontal(id="kubectl-bar"):
            yield Label("kubectl", id="kubectl-label")
            yield Static("starting the level's API server…", id="export-line", markup=False)
            yield Label("[b]![/b] runs kubectl here · click copies", id="kubectl-keys")
        yield Static(id="banner")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                with VerticalScroll(id="briefing-box") as box:
                    box.border_title = "Briefing"
                    yield Markdown(self.level.briefing, id="briefing")
                editor = WorkspaceEditor(self.files, id="editor")
                editor.border_title = "Workspace — ctrl+s applies every file"
                yield editor
            with Vertical(id="right"):
                yield ObjectivesPanel(self.level, id="objectives")
                yield Static(id="hints")
                with TabbedContent(id="cluster", initial="pods"):
                    with TabPane("1 Pods", id="pods"):
                        yield ResourceTable(POD_COLUMNS, id="pods-table")
                    with TabPane("2 Workloads", id="workloads"), VerticalScroll(id="workloads-box"):
                        yield Label("Deployments", classes="table-title")
                        yield ResourceTable(DEPLOY_COLUMNS, id="deploy-table", classes="small-table")
                        yield Label("ReplicaSets", classes="table-title")
                        yield ResourceTable(RS_COLUMNS, id="rs-table", classes="small-table")
                        yield Label("Services → endpoints", classes="table-title")
                        yield ResourceTable(SVC_COLUMNS, id="svc-table", classes="small-table")
                    with TabPane("3 Nodes", id="nodes"):
                        yield ResourceTable(NODE_COLUMNS, id="nodes-table")
                    with TabPane("4 Tree", id="tree"):
                        yield OwnerTree(id="owner-tree")
                    with TabPane("5 Events", id="events"):
                        yield EventsLog(id="events-log")
                yield Input(placeholder="filter by name (esc clears)", id="filter",
                            select_on_focus=False)  # `:` then typing keeps the colon
        assert self.driver is not None
        yield KubectlPanel(cwd=self.driver.workdir, id="kubectl")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#banner").display = False
        self.query_one("#hints").display = bool(self.hints)
        self.query_one("#filter").display = False
        self.query_one("#kubectl").display = False
        if not self.app.config.serve_kubectl:  # type: ignore[attr-defined]
            self.query_one("#kubectl-bar").display = False
            self.query_one(KubectlPanel).not_served("this game does not serve its levels to kubectl.")
        self.query_one(KubectlPanel).before_run = self._save_for_kubectl
        self._show_hints()
        self._header()
        app = self.app
        app.progress.record_attempt(self.level.id)  # type: ignore[attr-defined]
        app.save_progress()  # type: ignore[attr-defined]
        app.drivers.append(self.driver)  # type: ignore[attr-defined]
        assert self.driver is not None
        self.driver.start()
        self.query_one("#pods-table").focus()

    def on_unmount(self) -> None:
        if self.driver is not None and not self.driver.stopped:
            self.app.stop_driver(self.driver)  # type: ignore[attr-defined]

    # ---- the driver's updates ---------------------------------------------------------

    @on(DriverUpdate)
    def _update(self, message: DriverUpdate) -> None:
        if not self.is_attached or self._closing:
            return  # the level is being left: updates still in flight are dropped
        try:
            self._handle(message.update)
        except NoMatches:
            pass

    def _handle(self, update) -> None:
        if isinstance(update, ClusterSnapshot):
            self.show_snapshot(update)
        elif isinstance(update, Started):
            self.runtime_name = update.runtime
            self._header()
        elif isinstance(update, Serving):
            self._serving(update)
        elif isinstance(update, Applied):
            self._applied(update)
        elif isinstance(update, Won):
            self._won(update)
        elif isinstance(update, ActionDone):
            self.notify(update.what, title="Chaos" if update.ok else "Chaos failed",
                        severity="information" if update.ok else "warning")
        elif isinstance(update, Failed):
            self._failed(update)
        elif isinstance(update, RuntimeLost):
            self._banner(f"⚠ The container runtime stopped answering: {update.message}\n"
                         "The level is paused; KubeQuest retries every few seconds. "
                         "Start Docker again (`kubequest doctor` says how) — or press esc to leave.")
        elif isinstance(update, RuntimeBack):
            self._banner(None)
            self.notify("The container runtime answers again.", title="Runtime")

    def show_snapshot(self, snap: ClusterSnapshot) -> None:
        """Draw a snapshot — at most every DRAW_INTERVAL: a flood of changes costs a few frames,
        and key presses get their turn in between."""
        self.snapshot = snap
        if self._draw_timer is not None:
            return
        wait = self._last_draw + DRAW_INTERVAL - time.monotonic()
        if wait <= 0 or self.app.config.manual_clock:  # type: ignore[attr-defined]
            self._draw()
        else:
            self._draw_timer = self.set_timer(wait, self._draw)

    def _draw(self) -> None:
        self._draw_timer = None
        snap = self.snapshot
        if snap is None or not self.is_attached:
            return
        self._last_draw = time.monotonic()
        panel = self.query_one(ObjectivesPanel)
        key = (snap.state.step, snap.state.won, panel.explaining, frozenset(panel.expanded),
               tuple((o.ok, o.detail, tuple(o.explanation)) for o in snap.state.objectives))
        if key != self._objectives_key:
            self._objectives_key = key
            panel.show(snap.state)
        self._header()
        self._show_cluster(snap)
        self.shown_serial = snap.serial
        top = self.app.screen
        if top is not self and hasattr(top, "show_snapshot") and getattr(top, "level_screen", None) is self:
            top.show_snapshot(snap)

    def _show_cluster(self, snap: ClusterSnapshot) -> None:
        active = self.query_one("#cluster", TabbedContent).active
        if active == "pods":
            self.query_one("#pods-table", ResourceTable).show(pod_rows(snap))
        elif active == "workloads":
            self.query_one("#deploy-table", ResourceTable).show(deployment_rows(snap))
            self.query_one("#rs-table", ResourceTable).show(replicaset_rows(snap))
            self.query_one("#svc-table", ResourceTable).show(service_rows(snap))
        elif active == "nodes":
            self.query_one("#nodes-table", ResourceTable).show(node_rows(snap))
        elif active == "tree":
            self.query_one(OwnerTree).show(owner_tree(snap))
        # Events accumulate: keep the log fed even when it is not in front.
        self.query_one(EventsLog).show(event_lines(snap), snap.log)

    @on(TabbedContent.TabActivated, "#cluster")
    def _tab_changed(self) -> None:
        if self.snapshot is not None:
            self._show_cluster(self.snapshot)

    def _header(self) -> None:
        level = self.level
        snap = self.snapshot
        elapsed = snap.elapsed if snap is not None else 0.0
        par = f" par {clock_text(level.par_seconds)}" if level.par_seconds else ""
        app = self.app
        runtime = self.runtime_name or (app.choice.name if app.choice else "…")  # type: ignore[attr-defined]
        runtime_label = "Docker" if runtime == "docker" else "sim"
        state = "★ solved · free play" if self.free_play else f"time {clock_text(elapsed)}{par}"
        difficulty = "●" * level.difficulty + "○" * (5 - level.difficulty)
        text = (f"[b]{level.id}[/b] · {level.title}  [dim]{difficulty}[/dim]  {state}  "
                f"hints {len(self.hints)}/{len(level.hints)}  "
                f"[b]{runtime_label}[/b] [dim]{app.config.pace}[/dim]")  # type: ignore[attr-defined]
        if text != self._header_text:  # one line, fixed height: no layout pass needed
            self._header_text = text
            self.query_one("#level-header", Static).update(text, layout=False)

    def _banner(self, text: str | None) -> None:
        banner = self.query_one("#banner", Static)
        banner.display = text is not None
        if text is not None:
            banner.update(text)

    def _serving(self, update: Serving) -> None:
        self.serving = update
        panel = self.query_one(KubectlPanel)
        line = self.query_one("#export-line", Static)
        if update.error is not None or update.kubeconfig is None:
            message = update.error or "kubectl cannot reach this level"
            line.update(message)
            panel.not_served(message)
        else:
            line.update(update.export_line)
            panel.serve(update.env)

    @on(events.Click, "#export-line")
    def _copy_export_line(self) -> None:
        if self.serving is not None and self.serving.export_line:
            self.app.copy_to_clipboard(self.serving.export_line)
            self.notify(f"{self.serving.export_line}\n— paste it into another terminal, then "
                        "kubectl get pods", title="Copied", markup=False)

    def _applied(self, update: Applied) -> None:
        if update.error:
            # The workspace's file name, as the problems under the editor say it, not its temp path.
            shown = FILE_LINE.sub(r"\1:\2:", update.error, count=1)
            self.notify(shown, title="Apply refused", severity="error", timeout=10, markup=False)
            match = FILE_LINE.match(update.error)
            if match:
                self.query_one(WorkspaceEditor).go_to(match.group(1), int(match.group(2)))
        else:
            self.notify("\n".join(update.lines) or "nothing to apply", title="Applied", markup=False)

    def _failed(self, update: Failed) -> None:
        if update.fatal:
            self._banner(f"✗ {update.message}\nPress esc to go back to the map "
                         "(`kubequest doctor` checks what is missing).")
            self.notify(update.message, title="The level did not start", severity="error", timeout=20,
                        markup=False)
            return
        self._failures += 1
        if self._failures <= 3:
            self.notify(update.message, title="The cluster hit a problem", severity="warning",
                        markup=False)

    def _won(self, won: Won) -> None:
        if self.won is not None:
            return
        self.won = won
        app = self.app
        before = app.progress.level(self.level.id).stars  # type: ignore[attr-defined]
        entry = app.progress.record_solve(self.level.id, seconds=won.elapsed,  # type: ignore[attr-defined]
                                          hints_used=won.hints_used,
                                          par_seconds=self.level.par_seconds)
        problem = app.save_progress()  # type: ignore[attr-defined]
        if problem:
            self.notify(problem, severity="warning")
        from .victory import VictoryScreen, VictoryStats

        stats = VictoryStats(
            elapsed=won.elapsed, hints_used=won.hints_used, hints_total=len(self.level.hints),
            par=self.level.par_seconds, stars=entry.stars, stars_before=before,
            no_hint=won.hints_used == 0,
            under_par=self.level.par_seconds is not None and won.elapsed <= self.level.par_seconds,
        )
        def show() -> None:
            self.app.clear_notifications()  # an "Applied" toast would cover the victory's buttons
            self.app.push_screen(VictoryScreen(self.level, stats), callback=self._after_victory)

        self.set_timer(0.6, show)

    def _after_victory(self, choice: str | None) -> None:
        app = self.app
        if choice == "next":
            nxt = app.next_level(self.level)  # type: ignore[attr-defined]
            app.pop_screen()
            if nxt is not None:
                app.open_level(nxt)  # type: ignore[attr-defined]
        elif choice == "replay":
            app.switch_screen(LevelScreen(self.level))
        elif choice == "map":
            app.pop_screen()
        else:
            self.free_play = True
            self._header()
            self._focus_cluster()  # not the editor: the next key is a view key, not YAML
            self.notify("Free play: poke at the cluster with x (chaos) and watch it heal.",
                        title="Keep playing")

    # ---- actions ---------------------------------------------------------------------

    def _typing(self) -> bool:
        focused = self.focused
        return focused is not None and (isinstance(focused, Input)
                                        or focused.__class__.__name__ == "ManifestEditor")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Letters type into the editor or the filter, so while typing the footer offers the
        # function keys instead (they work everywhere).
        if action == "anywhere":
            return self._typing()  # shown in the footer while typing…
        if action == "anywhere_quiet":
            return not self._typing()  # …and working, unshown, everywhere else
        if action in self.TYPING_ACTIONS:
            return not self._typing()
        return True

    async def action_anywhere_quiet(self, action: str) -> None:
        await self.action_anywhere(action)

    async def action_anywhere(self, action: str) -> None:
        # Straight to the action: run_action would ask check_action again, which refuses
        # `why` & co. while typing — exactly when the function key is needed.
        result = getattr(self, f"action_{action}")()
        if asyncio.iscoroutine(result):
            await result

    @on(events.DescendantFocus)
    @on(events.DescendantBlur)
    def _focus_moved(self) -> None:
        self.refresh_bindings()

    async def action_apply(self, only_current: bool = False) -> None:
        editor = self.query_one(WorkspaceEditor)
        try:
            paths = editor.save_all()
        except OSError as exc:
            self.notify(f"could not save the files: {exc.strerror or exc}", severity="error")
            return
        current = editor.current
        if only_current and current is not None:
            paths = [current.path]
        # Files with problems are sent all the same, as kubectl would: the API server's
        # refusal (one toast, with the line) says it, and what it accepts is applied.
        assert self.driver is not None
        self.driver.apply(paths)

    @on(WorkspaceEditor.ApplyRequested)
    async def _apply_clicked(self) -> None:
        await self.action_apply()

    async def action_apply_file(self) -> None:
        await self.action_apply(only_current=True)

    def action_restart(self) -> None:
        def answer(yes: bool | None) -> None:
            if yes:
                self.app.switch_screen(LevelScreen(self.level, hints=self.hints))

        self.app.push_screen(ConfirmDialog(
            "Restart the level?",
            "A fresh cluster with the level's starting state, and your files back as they were. "
            "The clock starts again; hints already seen stay seen.", yes="Restart", no="Cancel"),
            callback=answer)

    def action_toggle_briefing(self) -> None:
        box = self.query_one("#briefing-box")
        box.display = not box.display

    def action_edit(self) -> None:
        self.query_one(WorkspaceEditor).focus_editor()

    def action_help(self) -> None:
        self.app.action_help()  # type: ignore[attr-defined]

    def action_back(self) -> None:
        focused = self.focused
        filter_input = self.query_one("#filter", Input)
        if focused is filter_input or filter_input.display:
            filter_input.value = ""
            filter_input.display = False
            self._apply_filter("")
            self._focus_cluster()
            return
        if focused is not None and not self._in_cluster(focused):
            self._focus_cluster()  # the editor, objectives, briefing…: esc comes back first
            return
        panel = self.query_one(KubectlPanel)
        if panel.display:  # open, with the focus elsewhere: close it before leaving the level
            panel.action_close()
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self.app.pop_screen()

        if self.won is not None:
            self.app.pop_screen()
            return
        self.app.push_screen(ConfirmDialog(
            "Leave the level?", "The level's cluster is removed. Your progress so far is kept.",
            yes="Leave", no="Stay"), callback=answer)

    def _save_for_kubectl(self, args: list[str]) -> str | None:
        """`apply -f web.yaml` at the prompt reads the file: save what the editor shows first."""
        if not any(a in ("-f", "--filename", "-k", "--kustomize") or a.startswith(("-f=", "--filename="))
                   for a in args):
            return None
        workspace = self.query_one(WorkspaceEditor)
        edited = [e.filename for e in workspace.editors if e.text != e.saved_text]
        if not edited:
            return None
        workspace.save_all()
        return f"saved {', '.join(edited)} first: kubectl reads the files, not the editor"

    def _in_cluster(self, widget) -> bool:
        cluster = self.query_one("#cluster", TabbedContent)
        return widget is cluster or cluster in widget.ancestors

    def _focus_cluster(self) -> None:
        active = self.query_one("#cluster", TabbedContent).active
        target = {"pods": "#pods-table", "workloads": "#deploy-table", "nodes": "#nodes-table",
                  "tree": "#owner-tree", "events": "#events-log"}.get(active, "#pods-table")
        self.query_one(target).focus()

    def action_cluster_tab(self, tab: str) -> None:
        self.query_one("#cluster", TabbedContent).active = tab
        self._focus_cluster()

    def action_kubectl(self, line: str | None = None) -> None:
        self.query_one(KubectlPanel).open(line)

    @on(KubectlPanel.Ran)
    def _kubectl_ran(self) -> None:
        # kubectl may have changed the cluster: evaluate and redraw now, not at the next tick.
        if self.driver is not None and not self.driver.stopped:
            self.driver.external_change()

    @on(KubectlPanel.Closed)
    def _kubectl_closed(self) -> None:
        self._focus_cluster()

    def action_command(self) -> None:
        filter_input = self.query_one("#filter", Input)
        filter_input.placeholder = ":pods  :deploy  :svc  :nodes  :tree  :events"
        filter_input.value = ":"
        filter_input.display = True
        filter_input.focus()

    def action_filter(self) -> None:
        filter_input = self.query_one("#filter", Input)
        filter_input.placeholder = "filter by name (esc clears)"
        if filter_input.value.startswith(":"):
            filter_input.value = ""
        filter_input.display = True
        filter_input.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        if not event.value.startswith(":"):
            self._apply_filter(event.value)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if value.startswith(":"):
            tab = TAB_ALIASES.get(value[1:].strip().lower())
            event.input.value = ""
            event.input.display = False
            if value[1:].split(maxsplit=1)[0:1] in (["kubectl"], ["k"]):
                self.action_kubectl(value[1:].strip())  # `:kubectl get pods`
            elif tab:
                self.action_cluster_tab(tab)
            else:
                self.notify(f"unknown view {value!r}: try :pods, :deploy, :svc, :nodes, :tree, "
                            ":events — or :kubectl get pods",
                            severity="warning", markup=False)
            return
        if not value:
            event.input.display = False
        self._focus_cluster()

    def _apply_filter(self, text: str) -> None:
        for table in self.query(ResourceTable):
            table.set_filter(text)

    def selected_key(self) -> str | None:
        """The object under the cursor in the cluster panel (Kind/namespace/name)."""
        active = self.query_one("#cluster", TabbedContent).active
        if active == "tree":
            return self.query_one(OwnerTree).selected_key
        if active == "workloads":
            focused = self.focused
            if isinstance(focused, ResourceTable):
                return focused.selected_key
            return self.query_one("#deploy-table", ResourceTable).selected_key
        table = {"pods": "#pods-table", "nodes": "#nodes-table"}.get(active, "#pods-table")
        return self.query_one(table, ResourceTable).selected_key

    def _inspect(self, view: str) -> None:
        key = self.selected_key()
        if key is None:
            self.notify("Select an object in the cluster panel first (pods, workloads, nodes or tree).",
                        severity="warning")
            return
        from .inspect import InspectScreen

        self.app.push_screen(InspectScreen(self, key, view))

    def action_describe(self) -> None:
        self._inspect("describe")

    def action_logs(self) -> None:
        key = self.selected_key()
        if key is not None and split_key(key)[0] != "Pod":
            self.notify("Logs belong to pods: select a pod.", severity="warning")
            return
        self._inspect("logs")

    def action_yaml(self) -> None:
        self._inspect("yaml")

    def action_events(self) -> None:
        if self.selected_key() is None:
            self.action_cluster_tab("events")
            return
        self._inspect("events")

    @on(ResourceTable.RowSelected)
    def _row_selected(self) -> None:
        self.action_describe()

    def action_hint(self) -> None:
        total = len(self.level.hints)
        if len(self.hints) >= total:
            self.notify("No more hints for this level." if total else "This level has no hints.",
                        severity="warning")
            return
        n = len(self.hints) + 1
        cost = ("It costs this level's no-hint star (★)." if not self.hints
                else "The no-hint star is already spent for this play.")

        def answer(yes: bool | None) -> None:
            if yes:
                self.run_worker(self._take_hint(n, total), exclusive=True, group="hint")

        self.app.push_screen(ConfirmDialog(f"Hint {n} of {total}?", f"{cost} Show hint {n}?",
                                           yes="Show hint", no="Cancel"), callback=answer)

    async def _take_hint(self, n: int, total: int) -> None:
        if self.driver is None:
            return
        try:
            hint = await asyncio.wrap_future(self.driver.next_hint())
        except Exception as exc:  # noqa: BLE001 - the level stopped
            self.notify(str(exc), severity="error")
            return
        if hint is None:
            return
        self.hints.append(hint)
        self._show_hints()
        self._header()
        self.notify(plain_markdown(hint), title=f"Hint {n} of {total}", timeout=12, markup=False)

    def _show_hints(self) -> None:
        panel = self.query_one("#hints", Static)
        panel.display = bool(self.hints)
        panel.border_title = f"Hints {len(self.hints)}/{len(self.level.hints)}"
        from rich.table import Table

        grid = Table.grid(padding=(0, 1))  # the number in its own column: wrapped lines hang under the text
        grid.add_column(style="bold #ff8700", no_wrap=True)
        grid.add_column()
        for i, hint in enumerate(self.hints, 1):
            grid.add_row(f"{i}.", inline_code(hint))
        panel.update(grid)
        panel.call_after_refresh(panel.scroll_end, animate=False)  # the newest hint in view

    def action_why(self) -> None:
        """Every unmet objective explains itself — or, if any explanation is showing, none does."""
        panel = self.query_one(ObjectivesPanel)
        explaining = not panel.wants_explanations
        panel.expanded.clear()
        snap = self.snapshot
        self._objectives_key = ()
        panel.show(snap.state if snap else None, explaining=explaining)
        self._explain_changed()

    @property
    def explaining(self) -> bool:
        """Every unmet objective explains itself (`w`)."""
        try:
            return self.query_one(ObjectivesPanel).explaining
        except NoMatches:
            return False

    @on(ObjectivesPanel.Explain)
    def _explain_changed(self) -> None:
        """One objective's explanation shown or hidden (enter or a click on it), or all (w)."""
        if self.driver is not None:
            self.driver.set_explaining(self.query_one(ObjectivesPanel).wants_explanations)

    def action_focus_objectives(self) -> None:
        self.query_one(ObjectivesPanel).focus()

    def action_chaos(self) -> None:
        snap = self.snapshot
        if snap is None:
            return
        choices: list[tuple[str, dict]] = []
        key = self.selected_key()
        if key and split_key(key)[0] == "Pod":
            _, ns, name = split_key(key)
            choices += [(f"Kill the container of pod {name} (exit 137)",
                         {"type": "killPod", "namespace": ns, "pod": name}),
                        (f"Delete pod {name}", {"type": "deletePodNamed", "namespace": ns, "pod": name})]
        for node in snap.of("Node"):
            name = node["metadata"]["name"]
            ready = any(c.get("type") == "Ready" and c.get("status") == "True"
                        for c in (node.get("status") or {}).get("conditions") or [])
            failed = self.driver is not None and self.driver.node_failed(name)
            if failed:
                choices.append((f"Recover node {name}", {"type": "recoverNode", "node": name}))
            else:
                choices.append((f"Fail node {name} (its kubelet stops, its containers die)"
                                + ("" if ready else " — not Ready already"),
                                {"type": "failNode", "node": name}))
        if not key or split_key(key)[0] != "Pod":
            intro = "Select a pod first to kill or delete it. "
        else:
            intro = ""
        self.app.push_screen(ChoiceDialog(
            "Chaos", intro + "Break something and watch the controllers heal it.", choices),
            callback=self._chaos_chosen)

    def _chaos_chosen(self, action: dict | None) -> None:
        if action and self.driver is not None:
            self.driver.perform(action)

    # ---- palette -----------------------------------------------------------------------

    def palette_commands(self) -> list[PaletteCommand]:
        cmds = [
            PaletteCommand("Apply the workspace", "kubectl apply -f . (ctrl+s)", self.action_apply),
            PaletteCommand("Apply this file", "kubectl apply -f <the file in front> (F6)",
                           self.action_apply_file),
            PaletteCommand("Restart the level", "a fresh cluster and your files as they were (ctrl+r)",
                           self.action_restart),
            PaletteCommand("Hint", "the next hint; costs the no-hint star (h)", self.action_hint),
            PaletteCommand("Why not yet?", "explain each unmet objective (w)", self.action_why),
            PaletteCommand("Objectives", "scroll them, explain one: ↑↓ enter (o)",
                           self.action_focus_objectives),
            PaletteCommand("Chaos", "kill a container, delete a pod, fail a node (x)", self.action_chaos),
            PaletteCommand("Describe", "kubectl describe the selected object (d)", self.action_describe),
            PaletteCommand("Logs", "the selected pod's logs (l)", self.action_logs),
            PaletteCommand("YAML", "the selected object as YAML (y)", self.action_yaml),
            PaletteCommand("Events", "events of the selected object (e)", self.action_events),
            PaletteCommand("Filter", "filter the cluster tables by name (/)", self.action_filter),
            PaletteCommand("kubectl", "run the real kubectl against this level (!)",
                           self.action_kubectl),
            PaletteCommand("Toggle the briefing", "show or hide the briefing (ctrl+b)",
                           self.action_toggle_briefing),
            PaletteCommand("Edit the workspace", "focus the editor (i)", self.action_edit),
            PaletteCommand("Leave the level", "back to the level map (esc)", self.action_back),
        ]
        for n, tab in enumerate(CLUSTER_TABS, 1):
            cmds.append(PaletteCommand(f"View: {tab}", f":{tab} ({n})",
                                       lambda t=tab: self.action_cluster_tab(t)))
        return cmds

    # ---- for tests ---------------------------------------------------------------------

    def is_synced(self) -> bool:
        """The last snapshot the driver published is on screen and no command is waiting."""
        d = self.driver
        return d is not None and d.started and d.idle() and self.shown_serial == d.serial
