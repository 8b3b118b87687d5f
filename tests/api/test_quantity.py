"""Quantity parsing and canonical strings, after apimachinery quantity_test.go."""

from __future__ import annotations

import pytest

from engine.api.quantity import (
    canonical,
    format_cpu,
    format_memory,
    parse,
    sum_quantities,
)
from engine.api.quantity import to_float as parse_quantity


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500m", 0.5),
        ("2", 2.0),
        (2, 2.0),
        ("0.5", 0.5),
        (".5", 0.5),
        ("128Mi", 128 * 2**20),
        ("1Gi", 2**30),
        ("1.5Gi", 1.5 * 2**30),
        ("1Ki", 1024.0),
        ("1k", 1000.0),
        ("1M", 1e6),
        ("1e3", 1000.0),
        ("1E3", 1000.0),
        ("100u", 0.0001),
        ("5n", 5e-9),
        ("-1", -1.0),
        ("+1", 1.0),
        (" 1Gi ", 2**30),
    ],
)
def test_parse_quantity(text: str | int, value: float) -> None:
    assert parse_quantity(text) == pytest.approx(value)


# Go reads an empty number as 0, so a bare suffix such as "Mi" is a (zero) quantity.
@pytest.mark.parametrize("bad", ["", "abc", "1K", "1.2.3", "1 Gi", "1Gb", "--1", None, True])
def test_parse_quantity_rejects(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_quantity(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.5", "500m"),
        ("1000m", "1"),
        ("1500m", "1500m"),
        ("100m", "100m"),
        ("2", "2"),
        ("0", "0"),
        ("0Mi", "0"),
        ("1024Mi", "1Gi"),
        ("1.5Gi", "1536Mi"),
        ("0.5Gi", "512Mi"),
        ("1Ki", "1Ki"),
        ("1000Mi", "1000Mi"),
        ("0.5Ki", "512"),  # below 1024 a binary amount prints as DecimalSI
        ("1000k", "1M"),
        ("1500", "1500"),
        ("128974848", "128974848"),
        ("1e3", "1e3"),  # DecimalExponent keeps its format
        ("1.5e3", "1500"),
        ("0.1m", "100u"),
        ("1.5n", "2n"),  # below a nano rounds up
        ("12e21", "12e21"),
    ],
)
def test_canonical(text: str, expected: str) -> None:
    assert canonical(text) == expected


def test_format_helpers_and_sum() -> None:
    assert format_cpu(0.25) == "250m"
    assert format_cpu(2) == "2"
    assert format_memory(128 * 2**20) == "128Mi"
    assert format_memory(1500) == "1500"
    total = sum_quantities([parse("128Mi"), parse("64Mi")])
    assert str(total) == "192Mi"
    assert str(sum_quantities([])) == "0"
    assert parse("250m").milli_value() == 250
    assert parse("1.5").int_value() == 2
