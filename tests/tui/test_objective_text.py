"""An objective's long title and its "why:" lines wrap under their own text, not under
the ✗ (play-testers read `pod (GET /ready answers 200)` starting at column 0)."""

from __future__ import annotations

from types import SimpleNamespace

from rich.console import Console

from kubequest.levels.session import ObjectiveStatus
from kubequest.tui.widgets.objectives import ObjectivesPanel


def test_wrapped_lines_hang_under_their_text():
    o = ObjectiveStatus("warm", "When a pod is replaced, every request through the Service still lands "
                                "on a warmed-up pod", False, "GET /ready answered 503",
                        ["Deployment web asks for 3 replicas (spec.replicas): the cluster keeps exactly that many."])
    group = ObjectivesPanel._objective(SimpleNamespace(explains=lambda o: True), o)
    console = Console(width=40, record=True)
    console.print(group)
    lines = console.export_text().splitlines()
    assert lines[0].startswith("✗ When a pod")
    title_end = next(i for i, line in enumerate(lines) if "GET /ready" in line)
    assert all(line.startswith("  ") for line in lines[1:title_end]), lines
    why = next(i for i, line in enumerate(lines) if "why:" in line)
    assert all(line.startswith(" " * 9) for line in lines[why + 1:] if line.strip()), lines


def test_a_cause_shared_by_several_objectives_is_said_once():
    crash = "Pod web-1: container web keeps crashing (CrashLoopBackOff, 3 restarts): it exits with code 1."
    a = ObjectiveStatus("a", "rolled out", False, "0 of 2 ready", ["Deployment web: 2 pods not Ready.", crash])
    b = ObjectiveStatus("b", "answers", False, "no answer", ["Service web selects 2 pods, 0 of them Ready.", crash])
    c = ObjectiveStatus("c", "endpoints", False, "0 endpoints", ["Service web selects 2 pods, 0 of them Ready.", crash])
    shown = ObjectivesPanel._without_repeats(SimpleNamespace(explains=lambda o: True), [a, b, c])
    assert shown[0].explanation == a.explanation
    assert shown[1].explanation == b.explanation  # a new reason beside a repeat: said in full
    assert shown[2].explanation == ["↑ the same as for the objective above."]
