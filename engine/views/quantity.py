"""Resource quantities (`500m`, `128Mi`, `1Gi`, `2`, `1e3`) as Kubernetes reads and writes them.

Ported from k8s.io/apimachinery/pkg/api/resource/quantity.go (`ParseQuantity`,
`CanonicalizeBytes`, `AsCanonicalBytes`, `AsCanonicalBase1024Bytes`) and
suffix.go. Values are kept as exact Fractions internally so that canonical
strings (what the API server echoes back and what describe prints) come out
right; `parse_quantity` hands callers a float in base units (cores or bytes).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

DECIMAL_SI = "DecimalSI"
BINARY_SI = "BinarySI"
DECIMAL_EXPONENT = "DecimalExponent"

_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_BY_EXP = {exp: s for s, exp in _DECIMAL.items()}
_BINARY_BY_EXP = {exp: s for s, exp in _BINARY.items()}

# quantity.go splitREString: sign, digits with optional fraction, then a suffix.
_QUANTITY_RE = re.compile(r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))([eE][+-]?[0-9]+|[a-zA-Z]*)$")
_NANO = Fraction(1, 10**9)


@dataclass(frozen=True)
class Quantity:
    """An exact amount plus the format its suffix implies (as resource.Quantity keeps)."""

    value: Fraction
    format: str = DECIMAL_SI

    def __str__(self) -> str:
        return canonical(self)

    def __add__(self, other: Quantity) -> Quantity:
        # Quantity.Add keeps the receiver's format unless the receiver is zero.
        fmt = other.format if self.value == 0 else self.format
        return Quantity(self.value + other.value, fmt)

    def milli_value(self) -> int:
        """Quantity.MilliValue: rounded up (away from zero) to whole milli-units."""
        return _ceil_away(self.value * 1000)

    def int_value(self) -> int:
        """Quantity.Value: rounded up (away from zero) to whole units."""
        return _ceil_away(self.value)


ZERO = Quantity(Fraction(0), DECIMAL_SI)


def _ceil_away(x: Fraction) -> int:
    return math.ceil(x) if x >= 0 else -math.ceil(-x)


def parse(value: str | float | Quantity) -> Quantity:
    """resource.ParseQuantity. Raises ValueError like Go returns ErrFormatWrong/ErrSuffix."""
    if isinstance(value, Quantity):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Quantity(Fraction(value), DECIMAL_SI)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"quantity is not finite: {value!r}")
        return Quantity(_round_nano(Fraction(value)), DECIMAL_SI)
    # Anything else (bools, None, lists) fails the format check below, as in Go.
    text = value.strip() if isinstance(value, str) else repr(value)
    match = _QUANTITY_RE.match(text)
    if not match:
        raise ValueError(
            f"quantities must match the regular expression "
            f"'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': {value!r}"
        )
    number, suffix = match.groups()
    amount = Fraction(number if not number.startswith(".") else "0" + number)
    if suffix in _BINARY:
        fmt, amount = BINARY_SI, amount * (2 ** _BINARY[suffix])
    elif suffix in _DECIMAL:
        fmt, amount = DECIMAL_SI, amount * Fraction(10) ** _DECIMAL[suffix]
    elif suffix[:1] in ("e", "E") and len(suffix) > 1:
        fmt, amount = DECIMAL_EXPONENT, amount * Fraction(10) ** int(suffix[1:])
    else:
        raise ValueError(f"unable to parse quantity's suffix: {value!r}")
    return Quantity(_round_nano(amount), fmt)


def _round_nano(x: Fraction) -> Fraction:
    # ParseQuantity rounds anything finer than 1n up (away from zero) to nano precision.
    scaled = x / _NANO
    if scaled.denominator == 1:
        return x
    return Fraction(_ceil_away(scaled)) * _NANO


def parse_quantity(value: str | float) -> float:
    """A quantity in base units: `500m` -> 0.5 (cores), `128Mi` -> 134217728.0 (bytes)."""
    return float(parse(value).value)


def canonical(q: Quantity | str | float) -> str:
    """Quantity.String(): the canonical form the API server stores (`0.5` -> `500m`)."""
    q = parse(q)
    if q.value == 0:
        return "0"
    fmt = q.format
    # Small or fractional binary amounts print as DecimalSI to avoid rounding.
    if fmt == BINARY_SI and (-1024 < q.value < 1024 or q.value.denominator != 1):
        fmt = DECIMAL_SI
    if fmt == BINARY_SI:
        amount, exp = int(q.value), 0
        while amount % 1024 == 0 and exp < 60:
            amount //= 1024
            exp += 10
        return f"{amount}{_BINARY_BY_EXP.get(exp, '')}"
    mantissa, exponent = _canonical_decimal(q.value)
    if fmt == DECIMAL_SI and exponent in _DECIMAL_BY_EXP:
        return f"{mantissa}{_DECIMAL_BY_EXP[exponent]}"
    return f"{mantissa}" if exponent == 0 else f"{mantissa}e{exponent}"


def _canonical_decimal(value: Fraction) -> tuple[int, int]:
    """AsCanonicalBytes: an integer mantissa and an exponent that is a multiple of 3."""
    exponent = -9
    mantissa = int(value / _NANO)  # exact: values are kept at nano precision
    while mantissa != 0 and mantissa % 10 == 0:
        mantissa //= 10
        exponent += 1
    shift = exponent % 3  # Python's % floors, which is the direction Go's switch takes
    mantissa *= 10**shift
    exponent -= shift
    return mantissa, exponent


def format_cpu(cores: float) -> str:
    """Cores as Kubernetes would write them: 0.5 -> `500m`, 2 -> `2`."""
    return canonical(Quantity(_round_nano(Fraction(cores)), DECIMAL_SI))


def format_memory(num_bytes: float) -> str:
    """Bytes in binary units when exact: 134217728 -> `128Mi`, 1500 -> `1500`."""
    return canonical(Quantity(_round_nano(Fraction(num_bytes)), BINARY_SI))


def sum_quantities(values: list[Quantity]) -> Quantity:
    total = ZERO
    for v in values:
        total = total + v
    return total
