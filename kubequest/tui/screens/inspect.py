"""One object up close, as k9s shows it: describe (d), YAML (y), logs (l), events (e).

Describe, YAML and events follow the live snapshots; logs are fetched by a
worker thread (Docker calls block), re-armed after each fetch while following,
so fetches never overlap (Dolphie's poll).
"""

from __future__ import annotations

from typing import ClassVar

import yaml
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Footer, RichLog, Static, TabbedContent, TabPane, TextArea

from engine.views import describe

from ..driver import ClusterSnapshot
from ..views import events_about
from ..widgets.resource_table import split_key

FOLLOW_INTERVAL = 1.0


def related_for(snap: ClusterSnapshot, obj: dict) -> dict:
    """What kubectl describe looks up beside the object."""
    kind = obj.get("kind")
    uid = (obj.get("metadata") or {}).get("uid")

    def owned(kind_: str) -> list[dict]:
        return [o for o in snap.of(kind_)
                if any(r.get("uid") == uid for r in (o.get("metadata") or {}).get("ownerReferences") or [])]

    if kind == "Deployment":
        return {"replicasets": owned("ReplicaSet")}
    if kind == "ReplicaSet":
        return {"pods": owned("Pod")}
    if kind == "Service":
        md = obj.get("metadata") or {}
        ep = snap.find("Endpoints", md.get("name", ""), md.get("namespace"))
        return {"endpoints": ep} if ep else {}
    if kind == "Node":
        return {"pods": snap.of("Pod")}
    return {}


class InspectScreen(Screen[None]):
    CSS_PATH = "inspect.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back"),
        Binding("d", "view('describe')", "Describe"),
        Binding("y", "view('yaml')", "YAML"),
        Binding("l", "view('logs')", "Logs"),
        Binding("e", "view('events')", "Events"),
        Binding("f", "follow", "Follow logs"),
        Binding("p", "previous", "Previous container"),
    ]

    def __init__(self, level_screen, key: str, view: str = "describe") -> None:
        super().__init__()
        self.level_screen = level_screen
        self.key = key
        self.kind, self.namespace, self.obj_name = split_key(key)
        self.initial = view
        self.follow = True
        self.previous = False
        self._yaml_text = ""
        self._describe_text = ""
        self._events_text = ""
        self._logs_text: str | None = None

    def compose(self) -> ComposeResult:
        ns = f"{self.namespace}/" if self.namespace else ""
        yield Static(f"[b]{self.kind}[/b] {ns}{self.obj_name}", id="inspect-header")
        with TabbedContent(id="inspect-tabs", initial=self.initial):
            with TabPane("Describe (d)", id="describe"), VerticalScroll():
                yield Static(id="describe-text", markup=False)
            with TabPane("YAML (y)", id="yaml"):
                yield TextArea.code_editor("", language="yaml", read_only=True, id="yaml-text")
            if self.kind == "Pod":
                with TabPane("Logs (l)", id="logs"):
                    yield Static(id="logs-status")
                    yield RichLog(id="logs-text", max_lines=5000, wrap=False, markup=False)
            with TabPane("Events (e)", id="events"), VerticalScroll():
                yield Static(id="events-text", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        snap = self.level_screen.snapshot
        if snap is not None:
            self.show_snapshot(snap)
        if self.kind == "Pod":
            self._logs_status()
            self.fetch_logs()
        self.call_after_refresh(self._focus_active)

    def _focus_active(self) -> None:
        active = self.query_one(TabbedContent).active
        target = {"yaml": "#yaml-text", "logs": "#logs-text"}.get(active)
        if target:
            self.query_one(target).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("follow", "previous"):
            return self.kind == "Pod"
        if action == "view" and parameters and parameters[0] == "logs":
            return self.kind == "Pod"
        return True

    # ---- live content ----------------------------------------------------------------

    def show_snapshot(self, snap: ClusterSnapshot) -> None:
        if not self.is_attached or self._closing:
            return
        try:
            self._show(snap)
        except NoMatches:  # being dismissed while a snapshot came in
            pass

    def _show(self, snap: ClusterSnapshot) -> None:
        obj = snap.find(self.kind, self.obj_name, self.namespace or None)
        if obj is None:
            self.query_one("#inspect-header", Static).update(
                f"[b]{self.kind}[/b] {self.obj_name} [red](deleted)[/red]")
            return
        text = describe(obj, events=snap.of("Event"), related=related_for(snap, obj), now=snap.now)
        if text != self._describe_text:
            self._describe_text = text
            self.query_one("#describe-text", Static).update(text)
        dumped = yaml.safe_dump(obj, sort_keys=False, default_flow_style=False, width=100)
        if dumped != self._yaml_text:
            self._yaml_text = dumped
            area = self.query_one("#yaml-text", TextArea)
            where = area.cursor_location
            area.load_text(dumped)
            try:
                area.cursor_location = where
            except ValueError:
                pass
        events = events_about(snap, self.kind, self.obj_name, self.namespace)
        lines = ["LAST SEEN   TYPE      REASON              MESSAGE"]
        from engine.views.age import translate_timestamp_since

        for ev in sorted(events, key=lambda e: str(e.get("lastTimestamp") or "")):
            age = translate_timestamp_since(ev.get("lastTimestamp") or (ev.get("metadata") or {})
                                            .get("creationTimestamp"), snap.now)
            count = ev.get("count", 1)
            seen = f"{age}" + (f" (x{count})" if count and count > 1 else "")
            lines.append(f"{seen:<11} {ev.get('type', ''):<9} {ev.get('reason', ''):<19} "
                         f"{str(ev.get('message', '')).strip()}")
        text = "\n".join(lines) if events else "No events."
        if text != self._events_text:
            self._events_text = text
            self.query_one("#events-text", Static).update(text)

    # ---- logs ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="logs")
    def fetch_logs(self) -> None:
        driver = self.level_screen.driver
        try:
            text = driver.logs(self.namespace, self.obj_name, previous=self.previous, tail=1000)
            error = None
        except Exception as exc:  # noqa: BLE001 - KubeQuestError, a runtime that went away
            text, error = "", str(exc)
        self.app.call_from_thread(self._show_logs, text, error)

    def _show_logs(self, text: str, error: str | None) -> None:
        if not self.is_attached or self._closing:
            return
        log = self.query_one("#logs-text", RichLog)
        shown = error if error is not None else text
        if shown != self._logs_text:
            log.clear()
            if error is not None:
                log.write(Text(error, style="yellow"))
            else:
                for line in text.splitlines() or ["(no output yet)"]:
                    log.write(Text(line))
            self._logs_text = shown
        if self.follow and self.is_mounted:
            self.set_timer(FOLLOW_INTERVAL, self.fetch_logs)

    def _logs_status(self) -> None:
        which = "previous container (--previous)" if self.previous else "current container"
        follow = "following (f stops)" if self.follow else "paused (f follows)"
        self.query_one("#logs-status", Static).update(
            f"kubectl logs {self.obj_name}{' --previous' if self.previous else ''}  ·  {which}  ·  {follow}"
            "  ·  p toggles previous")

    def action_follow(self) -> None:
        self.follow = not self.follow
        self._logs_status()
        if self.follow:
            self.fetch_logs()

    def action_previous(self) -> None:
        self.previous = not self.previous
        self._logs_text = None
        self._logs_status()
        self.fetch_logs()

    # ---- navigation -------------------------------------------------------------------

    def action_view(self, view: str) -> None:
        tabs = self.query_one(TabbedContent)
        if view == "logs" and self.kind != "Pod":
            return
        tabs.active = view
        self._focus_active()

    @on(TabbedContent.TabActivated)
    def _activated(self) -> None:
        self._focus_active()

    def action_back(self) -> None:
        self.dismiss(None)

    def palette_commands(self):
        from ..commands import PaletteCommand

        cmds = [PaletteCommand("Describe", "kubectl describe (d)", lambda: self.action_view("describe")),
                PaletteCommand("YAML", "the object as YAML (y)", lambda: self.action_view("yaml")),
                PaletteCommand("Events", "its events (e)", lambda: self.action_view("events")),
                PaletteCommand("Back", "back to the level (esc)", self.action_back)]
        if self.kind == "Pod":
            cmds += [PaletteCommand("Logs", "kubectl logs (l)", lambda: self.action_view("logs")),
                     PaletteCommand("Follow logs", "toggle following (f)", self.action_follow),
                     PaletteCommand("Previous container", "kubectl logs --previous (p)",
                                    self.action_previous)]
        return cmds
