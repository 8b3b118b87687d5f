"""Label and field selectors, with the semantics of apimachinery's `labels` package.

- matchLabels and matchExpressions are ANDed;
- `NotIn` and `!=` match when the key is absent;
- an empty LabelSelector matches everything, a missing (None) one matches nothing;
- a Service's `spec.selector` is equality-only, and an empty one selects nothing
  (the endpoints controller skips selector-less Services).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import KubeQuestError

IN, NOT_IN, EXISTS, DOES_NOT_EXIST = "In", "NotIn", "Exists", "DoesNotExist"
EQUALS, NOT_EQUALS = "=", "!="


class SelectorError(KubeQuestError):
    """A selector string or object that cannot be parsed."""


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str  # In, NotIn, Exists, DoesNotExist, =, !=
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        op = self.operator
        if op == EXISTS:
            return self.key in labels
        if op == DOES_NOT_EXIST:
            return self.key not in labels
        if op in (IN, EQUALS):
            return self.key in labels and labels[self.key] in self.values
        if op in (NOT_IN, NOT_EQUALS):
            return self.key not in labels or labels[self.key] not in self.values
        return False

    def __str__(self) -> str:
        op = self.operator
        if op == EXISTS:
            return self.key
        if op == DOES_NOT_EXIST:
            return f"!{self.key}"
        if op in (EQUALS, NOT_EQUALS):
            return f"{self.key}{op}{self.values[0]}"
        word = "in" if op == IN else "notin"
        return f"{self.key} {word} ({','.join(sorted(self.values))})"


class Selector:
    """A conjunction of requirements. `Selector.nothing()` matches no object."""

    def __init__(self, requirements: Iterable[Requirement] = (), *, nothing: bool = False):
        self.requirements = tuple(requirements)
        self._nothing = nothing

    @classmethod
    def nothing(cls) -> Selector:
        return cls(nothing=True)

    @classmethod
    def everything(cls) -> Selector:
        return cls()

    @property
    def empty(self) -> bool:
        return not self._nothing and not self.requirements

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        if self._nothing:
            return False
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    def equality_labels(self) -> dict[str, str]:
        """The key=value pairs this selector pins (used to index pods by label)."""
        return {
            r.key: r.values[0]
            for r in self.requirements
            if r.operator in (EQUALS, IN) and len(r.values) == 1
        }

    def __str__(self) -> str:
        if self._nothing:
            return "<none>"
        return ",".join(str(r) for r in self.requirements)

    def __repr__(self) -> str:
        return f"Selector({str(self)!r})"


def from_label_selector(sel: Mapping[str, Any] | None) -> Selector:
    """A metav1.LabelSelector (matchLabels + matchExpressions) as a Selector."""
    if sel is None:
        return Selector.nothing()
    if not isinstance(sel, Mapping):
        raise SelectorError(f"a label selector must be a mapping, not {type(sel).__name__}")
    reqs: list[Requirement] = []
    for key, value in sorted((sel.get("matchLabels") or {}).items()):
        reqs.append(Requirement(str(key), EQUALS, (str(value),)))
    for expr in sel.get("matchExpressions") or []:
        if not isinstance(expr, Mapping):
            raise SelectorError("each matchExpressions item must be a mapping")
        op = expr.get("operator")
        if op not in (IN, NOT_IN, EXISTS, DOES_NOT_EXIST):
            raise SelectorError(f'"{op}" is not a valid label selector operator')
        values = tuple(str(v) for v in (expr.get("values") or []))
        if op in (IN, NOT_IN) and not values:
            raise SelectorError("for 'in', 'notin' operators, values set can't be empty")
        reqs.append(Requirement(str(expr.get("key", "")), op, values))
    return Selector(reqs)


def from_set(labels: Mapping[str, Any] | None) -> Selector:
    """An equality-only map selector, as a Service or ReplicationController has.

    An empty or missing map selects nothing (a Service without a selector has
    no endpoints managed for it).
    """
    if not labels:
        return Selector.nothing()
    return Selector(Requirement(str(k), EQUALS, (str(v),)) for k, v in sorted(labels.items()))


_TOKEN = re.compile(r"\s*(!=|==|=|!|\(|\)|,|[^\s!=(),]+)")


def parse(text: str) -> Selector:
    """Parse a kubectl `-l` string: `app=web,tier in (a,b),!legacy,env!=prod,gpu`."""
    text = (text or "").strip()
    if not text:
        return Selector.everything()
    tokens = _TOKEN.findall(text)
    if "".join(tokens) != re.sub(r"\s+", "", text):
        raise SelectorError(f'unable to parse requirement: "{text}"')
    reqs: list[Requirement] = []
    i = 0

    def expect(cond: bool) -> None:
        if not cond:
            raise SelectorError(f'unable to parse requirement: "{text}"')

    while i < len(tokens):
        tok = tokens[i]
        if tok == "!":
            expect(i + 1 < len(tokens))
            reqs.append(Requirement(tokens[i + 1], DOES_NOT_EXIST))
            i += 2
        else:
            key = tok
            expect(key not in "=!=(),")
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ","
            if nxt == ",":
                reqs.append(Requirement(key, EXISTS))
                i += 1
            elif nxt in ("=", "=="):
                expect(i + 2 < len(tokens))
                reqs.append(Requirement(key, EQUALS, (tokens[i + 2],)))
                i += 3
            elif nxt == "!=":
                expect(i + 2 < len(tokens))
                reqs.append(Requirement(key, NOT_EQUALS, (tokens[i + 2],)))
                i += 3
            elif nxt.lower() in ("in", "notin"):
                op = IN if nxt.lower() == "in" else NOT_IN
                expect(i + 2 < len(tokens) and tokens[i + 2] == "(")
                j = i + 3
                values: list[str] = []
                while j < len(tokens) and tokens[j] != ")":
                    if tokens[j] != ",":
                        values.append(tokens[j])
                    j += 1
                expect(j < len(tokens) and values)
                reqs.append(Requirement(key, op, tuple(values)))
                i = j + 1
            else:
                expect(False)
        if i < len(tokens):
            expect(tokens[i] == ",")
            i += 1
    return Selector(reqs)


# ---- field selectors --------------------------------------------------------


@dataclass(frozen=True)
class FieldRequirement:
    path: str
    operator: str  # "=" or "!="
    value: str

    def matches(self, obj: Mapping[str, Any]) -> bool:
        actual = get_path(obj, self.path)
        actual_s = "" if actual is None else str(actual)
        return (actual_s == self.value) == (self.operator == EQUALS)


def parse_fields(text: str) -> list[FieldRequirement]:
    """Parse a `--field-selector` string: `metadata.name=x,status.phase!=Running`."""
    reqs: list[FieldRequirement] = []
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(==|=|!=)\s*(.*)", part)
        if not m:
            raise SelectorError(f'invalid selector: \'{part}\'; can\'t understand \'{part}\'')
        op = NOT_EQUALS if m.group(2) == "!=" else EQUALS
        reqs.append(FieldRequirement(m.group(1), op, m.group(3)))
    return reqs


def get_path(obj: Any, path: str) -> Any:
    cur = obj
    for part in path.split("."):
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(part)
    return cur
