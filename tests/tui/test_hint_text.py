"""Hints are written in the briefings' markdown: the panel and the toast show them
styled, never with their ** and * marks (play-testing found them shown raw)."""

from __future__ import annotations

from kubequest.tui.screens.level import inline_code, plain_markdown


def test_bold_italic_and_code_are_styled_and_their_marks_dropped():
    text = inline_code("A **Job** runs pods *once*: `kubectl get jobs`, and 2 * 3 stays 2 * 3.")
    assert text.plain == "A Job runs pods once: kubectl get jobs, and 2 * 3 stays 2 * 3."
    styles = {text.plain[s.start:s.end]: str(s.style) for s in text.spans}
    assert styles == {"Job": "bold", "once": "italic", "kubectl get jobs": "bold #5fafff"}


def test_code_keeps_its_stars():
    assert plain_markdown("`kubectl get pods -l 'app in (*)'` then **look**") == \
        "kubectl get pods -l 'app in (*)' then look"


def test_every_builtin_hint_reads_without_marks():
    from kubequest.levels.loader import load_packs

    for pack in load_packs([]):
        for level in pack.levels:
            for hint in level.hints:
                shown = plain_markdown(hint)
                assert "**" not in shown and "`" not in shown, (level.id, shown)
