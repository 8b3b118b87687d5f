"""The victory card's words: '1 hint used', and stars held from an earlier play marked
as the best, apart from what this play earned."""

from __future__ import annotations

from kubequest.tui.screens.victory import VictoryStats, star_lines


def stats(**kw) -> VictoryStats:
    base = dict(elapsed=100, hints_used=0, hints_total=3, par=300, stars=3, stars_before=0,
                no_hint=True, under_par=True)
    return VictoryStats(**{**base, **kw})


def test_hints_are_counted_in_words():
    assert "☆ 1 hint used" in star_lines(stats(hints_used=1, no_hint=False, stars=2)).plain
    assert "☆ 3 hints used" in star_lines(stats(hints_used=3, no_hint=False, stars=2)).plain


def test_this_play_and_the_best_are_told_apart():
    assert stats().stars_this_play == 3
    replay = stats(hints_used=3, no_hint=False, stars=3, stars_before=3)
    assert replay.stars_this_play == 2 and replay.stars == 3
