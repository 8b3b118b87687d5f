"""AGE and duration rules, table-driven from apimachinery's duration.go boundaries."""

from __future__ import annotations

import pytest

from engine.views.age import (
    format_rfc1123z,
    human_duration,
    parse_timestamp,
    short_human_duration,
    translate_timestamp_since,
)

S, M, H, D, Y = 1, 60, 3600, 86400, 365 * 86400


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, "0s"),
        (1 * S, "1s"),
        (45 * S, "45s"),
        (70 * S, "70s"),  # seconds up to two minutes
        (119 * S, "119s"),
        (2 * M, "2m"),
        (2 * M + 10 * S, "2m10s"),
        (9 * M + 59 * S, "9m59s"),
        (10 * M, "10m"),  # from ten minutes, seconds are dropped
        (10 * M + 1 * S, "10m"),
        (15 * M, "15m"),
        (179 * M, "179m"),
        (3 * H, "3h"),
        (3 * H + 1 * M, "3h1m"),
        (5 * H + 3 * M, "5h3m"),
        (7 * H + 59 * M, "7h59m"),
        (8 * H, "8h"),  # from eight hours, minutes are dropped
        (8 * H + 59 * M, "8h"),
        (47 * H + 59 * M, "47h"),
        (48 * H, "2d"),
        (3 * D + 4 * H, "3d4h"),
        (7 * D + 23 * H, "7d23h"),
        (8 * D, "8d"),  # from eight days, hours are dropped
        (8 * D + 23 * H, "8d"),
        (2 * Y - D, "729d"),
        (2 * Y, "2y"),
        (2 * Y + D, "2y1d"),
        (8 * Y - D, "7y364d"),
        (8 * Y, "8y"),
        (10 * Y + 100 * D, "10y"),
        # A little clock skew is tolerated; further in the future is invalid.
        (-0.5, "0s"),
        (-1 * S, "0s"),
        (-1.9, "0s"),  # Go's int() truncates toward zero: -1
        (-2 * S, "<invalid>"),
        (-H, "<invalid>"),
        (59.9, "59s"),
    ],
)
def test_human_duration(seconds: float, expected: str) -> None:
    assert human_duration(seconds) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (-2, "<invalid>"),
        (-1, "0s"),
        (59, "59s"),
        (60, "1m"),
        (59 * M, "59m"),
        (H, "1h"),
        (23 * H, "23h"),
        (D, "1d"),
        (364 * D, "364d"),
        (Y, "1y"),
    ],
)
def test_short_human_duration(seconds: float, expected: str) -> None:
    assert short_human_duration(seconds) == expected


NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01-01T00:00:00Z", NOW),
        ("2026-01-01T00:00:01.500000Z", NOW + 1.5),
        ("2026-01-01T01:00:00+01:00", NOW),
        ("2026-01-01T00:00:00", NOW),
        (NOW, NOW),
        (None, None),
        ("", None),
    ],
)
def test_parse_timestamp(value: object, expected: float | None) -> None:
    assert parse_timestamp(value) == expected  # type: ignore[arg-type]


def test_translate_timestamp_since() -> None:
    assert translate_timestamp_since("2026-01-01T00:00:00Z", NOW + 130) == "2m10s"
    assert translate_timestamp_since(None, NOW) == "<unknown>"
    assert translate_timestamp_since("2026-01-01T00:10:00Z", NOW) == "<invalid>"


def test_format_rfc1123z() -> None:
    assert format_rfc1123z("2026-01-01T00:00:00Z") == "Thu, 01 Jan 2026 00:00:00 +0000"
    assert format_rfc1123z("2026-03-09T14:05:07Z") == "Mon, 09 Mar 2026 14:05:07 +0000"
    assert format_rfc1123z(None) == "Mon, 01 Jan 0001 00:00:00 +0000"
