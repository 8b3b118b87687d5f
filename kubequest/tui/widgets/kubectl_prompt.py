"""The kubectl prompt: a one-line command under a scrollable output, against the level.

`!` on the level screen opens it. A line (`get pods -o wide`, a leading `kubectl`
optional) runs the real kubectl in a worker thread — never a shell — with the
level's KUBECONFIG, and its output lands in the log above; ↑/↓ walk the
history, esc closes. What runs and what is refused is decided in
kubequest.tui.kubectl, which knows nothing of Textual.
"""

from __future__ import annotations

from collections.abc import Callable

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, RichLog

from .. import kubectl

STARTING = "the level's API server is starting — try again in a moment."


class KubectlInput(Input):
    """The prompt's input line (a class of its own so the screen knows it is typing)."""


class KubectlPanel(Vertical):
    DEFAULT_CSS = """
    KubectlPanel {
        height: 14;
        border: round $accent 60%;
        border-title-color: $text;
        padding: 0 1;
    }
    KubectlPanel:focus-within {
        border: round $accent;
    }
    KubectlPanel #kubectl-output {
        height: 1fr;
        background: $surface;
        scrollbar-size-vertical: 1;
    }
    KubectlPanel #kubectl-line {
        height: 1;
    }
    KubectlPanel #kubectl-ps1 {
        color: $accent;
        text-style: bold;
        padding: 0 1 0 0;
    }
    KubectlPanel KubectlInput {
        border: none;
        height: 1;
        padding: 0;
        width: 1fr;
    }
    KubectlPanel KubectlInput:focus {
        border: none;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close kubectl", show=False),
        Binding("up", "history(-1)", "Previous command", show=False),
        Binding("down", "history(1)", "Next command", show=False),
        Binding("pageup", "scroll_output(-1)", "Scroll up", show=False),
        Binding("pagedown", "scroll_output(1)", "Scroll down", show=False),
    ]

    class Ran(Message):
        """A kubectl command finished (it may have changed the cluster)."""

        def __init__(self, result: kubectl.Result) -> None:
            super().__init__()
            self.result = result

    class Closed(Message):
        """The panel was closed (the screen puts the focus back)."""

    def __init__(self, *, cwd: Path | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.cwd = cwd
        self.env: dict[str, str] | None = None
        self.unavailable: str = STARTING
        self.history: list[str] = []
        self._history_pos = 0
        self._draft = ""
        self.running: str | None = None
        # Called with kubectl's arguments before they run; what it returns is said first
        # (the level screen saves edited files, so `apply -f` reads what the editor shows).
        self.before_run: Callable[[list[str]], str | None] | None = None
        self.transcript: list[str] = []  # the plain text of the output, for tests
        self.border_title = "kubectl — enter runs · ↑↓ history · esc closes"

    def compose(self) -> ComposeResult:
        yield RichLog(id="kubectl-output", wrap=True, markup=False, highlight=False,
                      max_lines=2000, auto_scroll=True)
        with Horizontal(id="kubectl-line"):
            yield Label("kubectl ›", id="kubectl-ps1")
            yield KubectlInput(placeholder="get pods -o wide", id="kubectl-input")

    # ---- what the screen tells it -------------------------------------------------------

    def serve(self, env: dict[str, str]) -> None:
        """The level's API server answers: run commands with this environment."""
        self.env = dict(env)

    def not_served(self, reason: str) -> None:
        self.env = None
        self.unavailable = reason

    def open(self, line: str | None = None) -> None:
        first = not self.display and not self.transcript
        self.display = True
        self.query_one(KubectlInput).focus()
        if first:
            if kubectl.find_kubectl() is None:
                self._say(kubectl.INSTALL_HINT, "yellow")
            else:
                self._say("Runs the real kubectl against this level, e.g. `get pods -o wide`, "
                          "`describe svc web`, `apply -f service.yaml` (in the level's working "
                          "folder).", "dim")
        if line:
            self.submit(line)

    def action_close(self) -> None:
        self.display = False
        self.post_message(self.Closed())

    # ---- running a line --------------------------------------------------------------------

    @on(Input.Submitted, "#kubectl-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        line = event.value.strip()
        event.input.value = ""
        if line:
            self.submit(line)

    def submit(self, line: str) -> None:
        """Run one typed line (or say why not)."""
        if not self.history or self.history[-1] != line:
            self.history.append(line)
        self._history_pos = len(self.history)
        self._draft = ""
        try:
            args = kubectl.parse(line)
        except kubectl.Refused as exc:
            self._echo(line)
            self._say(str(exc), "red")
            return
        if not args:
            return
        self._echo(kubectl.display(args))
        why = kubectl.refusal(args)
        if why is not None:
            self._say(why, "yellow")
            return
        binary = kubectl.find_kubectl()
        if binary is None:
            self._say(kubectl.INSTALL_HINT, "yellow")
            return
        if self.env is None:
            self._say(self.unavailable, "yellow")
            return
        if self.running is not None:
            self._say(f"still running `{self.running}` — wait for it (at most "
                      f"{kubectl.TIMEOUT:g} s).", "yellow")
            return
        note = self.before_run(args) if self.before_run is not None else None
        if note:
            self._say(note, "dim")
        bounded = kubectl.bounded(args)
        if bounded != args:
            args = bounded
            self._say(f"(with --timeout={kubectl.ROLLOUT_STATUS_TIMEOUT}: a stuck rollout never ends; "
                      "add --watch=false to see where it stands now)", "dim")
        self.running = kubectl.display(args)
        self._run(binary, args, dict(self.env), self.cwd)

    @work(thread=True, exit_on_error=False, group="kubectl")
    def _run(self, binary: str, args: list[str], env: dict[str, str], cwd: Path | None) -> None:
        result = kubectl.run(binary, args, env=env, cwd=cwd if cwd and cwd.is_dir() else None)
        self.post_message(self.Ran(result))

    @on(Ran)
    def _ran(self, message: Ran) -> None:
        result = message.result
        self.running = None
        if result.stdout:
            self._say(result.stdout.rstrip("\n"))
        for line in result.stderr.rstrip("\n").splitlines():
            self._say(line, "yellow" if line.startswith("Warning:") else "red")
        if result.timed_out:
            self._say(f"kubectl did not finish within {kubectl.TIMEOUT:g} s and was stopped.",
                      "red")
        elif result.code and not result.stderr.strip():
            self._say(f"(exit {result.code})", "dim")
        # The message goes on to the screen: the cluster may have changed.

    # ---- output and history ----------------------------------------------------------------

    def _echo(self, command: str) -> None:
        self._say(f"$ {command}", "bold")

    def _say(self, text: str, style: str = "") -> None:
        self.transcript.extend(text.splitlines() or [""])
        self.query_one(RichLog).write(Text(text, style=style))

    @property
    def output_text(self) -> str:
        return "\n".join(self.transcript)

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        field = self.query_one(KubectlInput)
        if self._history_pos == len(self.history):
            self._draft = field.value
        pos = max(0, min(len(self.history), self._history_pos + step))
        self._history_pos = pos
        field.value = self.history[pos] if pos < len(self.history) else self._draft
        field.cursor_position = len(field.value)

    def action_scroll_output(self, direction: int) -> None:
        log = self.query_one(RichLog)
        if direction < 0:
            log.scroll_page_up()
        else:
            log.scroll_page_down()
