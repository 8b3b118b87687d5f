"""The Events view keeps its columns apart: a long reason does not run into the object, and a
long message wraps under its own column instead of back to column 0."""

from __future__ import annotations

from textual.app import App, ComposeResult

from kubequest.tui.views import EventLine
from kubequest.tui.widgets.events_log import REASON_WIDTH, TYPE_WIDTH, EventsLog


class _LogApp(App):
    def compose(self) -> ComposeResult:
        yield EventsLog()


async def test_long_reasons_stay_apart_and_messages_wrap_under_their_column():
    message = ("Marking for deletion Pod default/web-557fb999dd-ltmlw: the node it runs on is "
               "unreachable and the pod does not tolerate node.kubernetes.io/unreachable")
    events = [EventLine("e1", 1.0, "Normal", "TaintManagerEviction", "pod/web-557fb999dd-ltmlw", message, "1s"),
              EventLine("e2", 2.0, "Warning", "FailedCreatePodSandBoxToo", "pod/web", "short", "1s")]
    app = _LogApp()
    async with app.run_test(size=(60, 20)) as pilot:
        log = app.query_one(EventsLog)
        log.show(events, ())
        await pilot.pause()
        lines = [log.render_line(y).text.rstrip() for y in range(log.size.height)]
        lines = [line for line in lines if line.strip()]
        assert "TaintManagerEviction pod/web-557fb999dd-ltmlw" in lines[0]
        indent = TYPE_WIDTH + 1 + REASON_WIDTH + 1  # two columns and their gaps
        first_warning = next(i for i, line in enumerate(lines) if "Warning" in line)
        continuation = lines[1:first_warning]
        assert len(continuation) >= 2, lines
        assert all(line[:indent].strip() == "" for line in continuation), lines
        shown = "".join(line[indent:] for line in lines[:first_warning]).replace(" ", "")
        assert message.replace(" ", "") in shown  # wrapped for the panel's width, nothing cropped
        assert "FailedCreatePodSand… pod/web" in lines[first_warning]  # cut, not into the next column
