"""The base of the objective checks: the Check class, its registry, the context a
check reads (store, clock, Service proxy) and the helpers the checks, the
explanations and the scripted actions share. The check types themselves are in
checks.py (objects, pods, Services, rollouts, events) and timechecks.py
(stable, survives, all/any/not).
"""

from __future__ import annotations

import http.client
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

from engine.api.objects import get_condition
from engine.api.selectors import Selector, from_label_selector
from engine.api.store import Store
from engine.clock import Clock

DEFAULT_NAMESPACE = "default"
REVISION = "deployment.kubernetes.io/revision"
BACKEND = re.compile(r"\bfrom (\S+)")  # the web image answers `web 1.0 hello from <hostname>`


class CheckResult(NamedTuple):
    ok: bool
    detail: str


def http_get(host: str, port: int, path: str, timeout: float) -> tuple[int, str]:
    """One GET on a fresh connection (the proxy picks a backend per connection)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        resp = conn.getresponse()
        return resp.status, resp.read(64 * 1024).decode("utf-8", "replace")
    finally:
        conn.close()


# perform(action, on_done): the session performs a scripted action on the cluster
# (soon, inside the cluster loop) and calls on_done(what happened, ok).
Perform = Callable[[dict, Callable[[str, bool], None]], None]


@dataclass
class CheckContext:
    """What a check may look at: the store, the clock, the Service proxy, the level's start."""

    store: Store
    clock: Clock
    proxy: Any = None  # ServiceProxy: address_of(service, namespace, port)
    start_rv: int = 0  # store resourceVersion when the level started (event checks)
    wake_at: Callable[[float], None] = lambda t: None
    perform: Perform | None = None
    # How many times the game has acted on the cluster (killed a container, failed a
    # node…). Such an act may change what the cluster answers without any write to the
    # store, so a check that caches an answer must not reuse it across one.
    acts: int = 0
    http_get: Callable[[str, int, str, float], tuple[int, str]] = field(default=http_get)

    @property
    def now(self) -> float:
        return self.clock.now()


class Check:
    """One check of a level. Subclasses set `type` and implement `evaluate`."""

    type: ClassVar[str] = ""

    def __init__(self, spec: dict[str, Any]):
        self.spec = spec
        self.namespace = str(spec.get("namespace") or DEFAULT_NAMESPACE)

    def evaluate(self, ctx: CheckContext) -> CheckResult:  # pragma: no cover - overridden
        raise NotImplementedError

    def children(self) -> list[Check]:
        return []

    def walk(self):
        yield self
        for c in self.children():
            yield from c.walk()

    def reset(self) -> None:
        """Forget what was seen (a stateful check starts over)."""
        for c in self.children():
            c.reset()


REGISTRY: dict[str, type[Check]] = {}


def register(cls: type[Check]) -> type[Check]:
    REGISTRY[cls.type] = cls
    return cls


def compile_check(spec: dict[str, Any]) -> Check:
    """A Check from a level's `check:` mapping (already validated by schema.py)."""
    from . import checks  # noqa: F401 - importing it registers every check type

    ctype = spec.get("type")
    cls = REGISTRY.get(ctype)  # type: ignore[arg-type]
    if cls is None:
        raise ValueError(f'unknown check type "{ctype}"')
    return cls(spec)


# ---- helpers -----------------------------------------------------------------------


def label_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def pod_selector(sel: dict[str, Any] | None) -> Selector:
    """A check's selector: plain labels, or a LabelSelector with matchLabels/matchExpressions."""
    sel = sel or {}
    if "matchLabels" in sel or "matchExpressions" in sel:
        return from_label_selector(sel)
    return from_label_selector({"matchLabels": {k: label_value(v) for k, v in sel.items()}})


def selector_text(sel: dict[str, Any] | None) -> str:
    return str(pod_selector(sel)) or "(all pods)"


def is_ready(pod: dict) -> bool:
    cond = get_condition(pod, "Ready")
    return bool(cond and cond.get("status") == "True")


def restarts(pod: dict) -> int:
    return sum(int(cs.get("restartCount") or 0)
               for cs in (pod.get("status") or {}).get("containerStatuses") or [])


def live_pods(store: Store, namespace: str, sel: dict[str, Any] | None) -> list[dict]:
    """Pods the selector matches, without the ones being deleted (they are on their way out)."""
    return [p for p in store.list("Pod", namespace, pod_selector(sel), copy=False)
            if not (p.get("metadata") or {}).get("deletionTimestamp")]


_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def get_field(obj: Any, path: str) -> tuple[bool, Any]:
    """(found, value) at a dotted path with `[n]` for list items.

    Map keys may contain dots (`metadata.annotations.deployment.kubernetes.io/revision`):
    when a part is not a key, it is joined with the next parts until one is.
    """
    tokens = [(name, int(idx) if idx else None) for name, idx in _TOKEN.findall(path)]
    cur, i = obj, 0
    while i < len(tokens):
        name, idx = tokens[i]
        if idx is not None:
            if not isinstance(cur, list) or idx >= len(cur):
                return False, None
            cur, i = cur[idx], i + 1
            continue
        if not isinstance(cur, dict):
            return False, None
        j, key = i, name
        while key not in cur and j + 1 < len(tokens) and tokens[j + 1][1] is None:
            j += 1
            key = f"{key}.{tokens[j][0]}"
        if key not in cur:
            return False, None
        cur, i = cur[key], j + 1
    return True, cur


def same(actual: Any, expected: Any) -> bool:
    """Equality that forgives YAML's typing: `replicas: "3"` equals 3, `true` equals "true"."""
    if actual == expected and type(actual) is type(expected):
        return True
    if isinstance(actual, (dict, list)) or isinstance(expected, (dict, list)):
        return actual == expected
    return label_value(actual) == label_value(expected)


def covers(actual: Any, wanted: Any) -> bool:
    """A list item matches a wanted mapping when it has every key and value the mapping
    names (`contains: {name: DATABASE_URL}` finds the env entry whatever its value)."""
    if isinstance(wanted, dict):
        return isinstance(actual, dict) and all(k in actual and covers(actual[k], v)
                                                for k, v in wanted.items())
    return same(actual, wanted)


def as_number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def count_wanted(spec: dict[str, Any]) -> tuple[Callable[[int], bool], str]:
    """The min/max/count fields as a test on a number, and how to say it."""
    tests, words = [], []
    if "count" in spec:
        tests.append(lambda n, c=spec["count"]: n == c)
        words.append(f"exactly {spec['count']}")
    if "min" in spec:
        tests.append(lambda n, m=spec["min"]: n >= m)
        words.append(f"at least {spec['min']}")
    if "max" in spec:
        tests.append(lambda n, m=spec["max"]: n <= m)
        words.append(f"at most {spec['max']}")
    if not tests:
        tests.append(lambda n: n >= 1)
        words.append("at least 1")
    return (lambda n: all(t(n) for t in tests)), " and ".join(words)
