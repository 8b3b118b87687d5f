"""Resource quantities (`500m`, `128Mi`, `1e3`) as k8s.io/apimachinery/pkg/api/resource reads and writes them.

`parse` follows `ParseQuantity` (same accepted syntax, same two error strings,
values kept exact and rounded up to the nano); `Quantity.canonical()` follows
`Quantity.String()`, which the API server stores and puts in messages such as
`must be less than or equal to cpu limit of 500m`, and which describe prints.
One module serves validation, the scheduler, the kubelet and the views.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

SPLIT_RE = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
ERR_FORMAT_WRONG = f"quantities must match the regular expression '{SPLIT_RE}'"
ERR_SUFFIX = "unable to parse quantity's suffix"

DECIMAL_SI = "DecimalSI"
BINARY_SI = "BinarySI"
DECIMAL_EXPONENT = "DecimalExponent"

_BIN = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DEC = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DEC_BY_EXP = {v: k for k, v in _DEC.items()}
_BIN_BY_EXP = {v: k for k, v in _BIN.items()}
_NANO = Fraction(1, 10**9)


class QuantityError(ValueError):
    """The text is not a quantity; str() is Kubernetes' own message."""


@dataclass(frozen=True)
class Quantity:
    """An exact amount plus the format its suffix implies (as resource.Quantity keeps)."""

    value: Fraction
    format: str = DECIMAL_SI

    def canonical(self) -> str:
        return _canonical(self.value, self.format)

    def __str__(self) -> str:
        return self.canonical()

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


def _ceil_away(x: Fraction) -> int:
    return math.ceil(x) if x >= 0 else -math.ceil(-x)


def _split(text: str) -> tuple[bool, str, str, str]:
    """parseQuantityString: (positive, numerator digits, denominator digits, suffix)."""
    pos, end = 0, len(text)
    positive = True
    if pos < end and text[0] in "+-":
        positive = text[0] == "+"
        pos += 1
    while pos < end and text[pos] == "0":
        pos += 1
    start = pos
    while pos < end and text[pos].isdigit() and text[pos].isascii():
        pos += 1
    num = text[start:pos]
    denom = ""
    if pos < end and text[pos] == ".":
        pos += 1
        start = pos
        while pos < end and text[pos].isdigit() and text[pos].isascii():
            pos += 1
        denom = text[start:pos]
    suffix_start = pos
    while pos < end and text[pos] in "eEinumkKMGTP":
        pos += 1
    if pos < end and text[pos] in "+-":
        pos += 1
    while pos < end and text[pos].isdigit() and text[pos].isascii():
        pos += 1
    if pos < end:
        raise QuantityError(ERR_FORMAT_WRONG)
    return positive, num, denom, text[suffix_start:end]


def _interpret(suffix: str) -> tuple[int, int, str]:
    """(base, exponent, format) of a suffix, as quantitySuffixer.interpret."""
    if suffix in _DEC:
        return 10, _DEC[suffix], DECIMAL_SI
    if suffix in _BIN:
        return 2, _BIN[suffix], BINARY_SI
    if len(suffix) > 1 and suffix[0] in "eE":
        rest = suffix[1:]
        digits = rest[1:] if rest[:1] in ("+", "-") else rest
        if digits.isdigit() and digits.isascii():
            return 10, int(rest), DECIMAL_EXPONENT
    raise QuantityError(ERR_SUFFIX)


def parse(raw: object) -> Quantity:
    """Parse a quantity given as YAML/JSON: a string or a number (a Quantity passes through)."""
    if isinstance(raw, Quantity):
        return raw
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise QuantityError(ERR_FORMAT_WRONG)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise QuantityError(ERR_FORMAT_WRONG)
        text = repr(raw)
    else:
        # Quantity.UnmarshalJSON trims surrounding whitespace before parsing.
        text = str(raw).strip()
    if not text:
        raise QuantityError(ERR_FORMAT_WRONG)
    # Like Go, an empty numerator reads as 0: "m", "." and "-" are valid zero quantities.
    positive, num, denom, suffix = _split(text)
    base, exponent, fmt = _interpret(suffix)
    if abs(exponent) > 1000:
        # Far beyond any real quantity; Kubernetes overflows there too.
        raise QuantityError(ERR_FORMAT_WRONG)
    value = Fraction(int(num or "0")) + (Fraction(int(denom), 10 ** len(denom)) if denom else 0)
    value *= Fraction(base) ** exponent
    if not positive:
        value = -value
    if value:
        # Round away from zero to the nano, as ParseQuantity does.
        scaled = value / _NANO
        rounded = math.ceil(scaled) if scaled > 0 else math.floor(scaled)
        value = rounded * _NANO
    return Quantity(value, fmt)


def _remove_factors(n: int, base: int) -> tuple[int, int]:
    times = 0
    while n != 0 and n % base == 0:
        n //= base
        times += 1
    return n, times


def _canonical(value: Fraction, fmt: str) -> str:
    """Quantity.String(): the shortest exact form in the quantity's own format family."""
    if value == 0:
        return "0"
    if fmt == BINARY_SI and (-1024 < value < 1024 or value.denominator != 1):
        fmt = DECIMAL_SI
    sign = "-" if value < 0 else ""
    value = abs(value)
    if fmt == BINARY_SI:
        amount, exp = _remove_factors(int(value), 1024)
        if exp * 10 in _BIN_BY_EXP or exp == 0:
            return f"{sign}{amount}{_BIN_BY_EXP.get(exp * 10, '')}"
        return f"{sign}{int(value)}"
    # Decimal: integer mantissa, exponent a multiple of 3.
    exp = 0
    while value.denominator != 1:
        value *= 10
        exp -= 1
    amount, times = _remove_factors(int(value), 10)
    exp += times
    shift = exp % 3
    amount *= 10**shift
    exp -= shift
    if fmt == DECIMAL_EXPONENT:
        return f"{sign}{amount}" + (f"e{exp}" if exp else "")
    while exp > 18:
        amount *= 1000
        exp -= 3
    return f"{sign}{amount}{_DEC_BY_EXP.get(exp, '')}"


ZERO = Quantity(Fraction(0), DECIMAL_SI)


def to_float(raw: object) -> float:
    """A quantity in base units: `500m` -> 0.5 (cores), `128Mi` -> 134217728.0 (bytes)."""
    return float(parse(raw).value)


def canonical(raw: object) -> str:
    """The canonical form of a quantity given in any form (`0.5` -> `500m`)."""
    return parse(raw).canonical()


def _exact(amount: float) -> Fraction:
    scaled = Fraction(amount) / _NANO
    return Fraction(_ceil_away(scaled)) * _NANO


def format_cpu(cores: float) -> str:
    """Cores as Kubernetes writes them: 0.5 -> `500m`, 2 -> `2`."""
    return Quantity(_exact(cores), DECIMAL_SI).canonical()


def format_memory(num_bytes: float) -> str:
    """Bytes in binary units when exact: 134217728 -> `128Mi`, 1500 -> `1500`."""
    return Quantity(_exact(num_bytes), BINARY_SI).canonical()


def sum_quantities(values: list[Quantity]) -> Quantity:
    total = ZERO
    for v in values:
        total = total + v
    return total
