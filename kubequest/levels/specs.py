"""The vocabulary of level.yaml: check types, actions and events, and the
Reporter that records each problem at the line of its field.

schema.py checks whole pack.yaml and level.yaml files with these; the tables
here are the format's definition, and checks.py / actions.py implement them
(a test keeps the two in step).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from engine.api.kinds import lookup
from engine.api.selectors import SelectorError, from_label_selector
from engine.api.source import Document

API_VERSION = "kubequest/v1"
NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
PHASES = ("Pending", "Running", "Succeeded", "Failed", "Unknown")
DEFAULT_TIME_LIMIT = 120

# type -> (required fields, optional fields). `type` itself is always required.
CHECK_FIELDS: dict[str, tuple[set[str], set[str]]] = {
    "exists": ({"kind", "name"}, {"namespace"}),
    "absent": ({"kind", "name"}, {"namespace"}),
    "field": ({"kind", "name", "path"},
              {"namespace", "equals", "notEquals", "gte", "lte", "contains", "exists"}),
    "pods": ({"selector"},
             {"namespace", "phase", "ready", "min", "max", "count", "maxRestarts", "image", "node"}),
    "endpoints": ({"service"}, {"namespace", "min", "count"}),
    "http": ({"service"}, {"namespace", "port", "path", "requests", "expect"}),
    "rollout": ({"deployment"}, {"namespace", "image", "revision"}),
    "event": ({"reason"}, {"kind", "name", "namespace", "happened"}),
    "stable": ({"check", "seconds"}, set()),
    "survives": ({"action", "then", "withinSeconds"}, set()),
    "all": ({"checks"}, set()),
    "any": ({"checks"}, set()),
    "not": ({"check"}, set()),
}
FIELD_OPERATORS = ("equals", "notEquals", "gte", "lte", "contains", "exists")
HTTP_EXPECT = {"status", "bodyContains", "distinctBackends"}

ACTION_FIELDS: dict[str, tuple[set[str], set[str]]] = {
    "killContainer": ({"selector"}, {"namespace", "count", "container"}),
    "deletePod": ({"selector"}, {"namespace", "count"}),
    "failNode": ({"node"}, set()),
    "recoverNode": ({"node"}, set()),
    "cordonNode": ({"node"}, set()),
    "scale": ({"deployment", "replicas"}, {"namespace"}),
    # A KubeQuest extension of PRODUCT.md §2's list: a node joins (fields as in cluster.nodes).
    "addNode": ({"node"}, {"cpu", "memory", "labels", "taints"}),
    # Another: the game releases an image (kubectl set image + rollout restart).
    "setImage": ({"deployment", "image"}, {"container", "namespace"}),
}
OBJECTIVES_MET = "objectivesMet"

PACK_REQUIRED = {"apiVersion", "kind", "name", "title", "levels"}
PACK_OPTIONAL = {"author", "version", "description"}
LEVEL_REQUIRED = {"apiVersion", "kind", "name", "title", "briefing", "hints", "solution"}
LEVEL_OPTIONAL = {"difficulty", "concepts", "timeLimitSeconds", "parSeconds", "cluster", "setup",
                  "workspace", "objectives", "alternatives", "debrief", "events", "steps"}
NODE_FIELDS = ({"name"}, {"cpu", "memory", "labels", "taints"})

_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$")


@dataclass(frozen=True)
class PackProblem:
    """One problem in one pack file, printed as `file:line: message`."""

    filename: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.filename if self.line is None else f"{self.filename}:{self.line}"
        return f"{where}: {self.message}"


def parse_duration(value: Any) -> float | None:
    """Seconds from `30s`, `2m`, `1m30s`, `1h` or a plain number; None when unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if value >= 0 else None
    if not isinstance(value, str) or not value.strip():
        return None
    m = _DURATION.match(value.strip())
    if not m or not any(m.groups()):
        return None
    h, mi, s = (float(g) if g else 0.0 for g in m.groups())
    return h * 3600 + mi * 60 + s


def type_name(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "true/false",
            int: "a number", float: "a number", type(None): "empty"}.get(type(value), type(value).__name__)


class Reporter:
    """Collects problems for one YAML document, each at the line of its field path."""

    def __init__(self, doc: Document, problems: list[PackProblem]):
        self.doc = doc
        self.problems = problems

    def error(self, path: str, message: str) -> None:
        line = self.doc.line_of(path) if path else self.doc.start_line
        text = f"{path}: {message}" if path else message
        self.problems.append(PackProblem(self.doc.filename, line, text))

    def mapping(self, value: Any, path: str, required: set[str], optional: set[str],
                what: str = "") -> bool:
        """Is `value` a mapping with every required key and no unknown one? Reports what is not."""
        if not isinstance(value, dict):
            self.error(path, f"must be a mapping{what}, not {type_name(value)}")
            return False
        ok = True
        for key in sorted(required - set(value)):
            self.error(path, f'missing required key "{key}"{what}')
            ok = False
        known = required | optional
        for key in value:
            if key not in known:
                hint = ", ".join(sorted(known))
                self.error(join(path, str(key)), f'unknown key "{key}"{what} (known keys: {hint})')
                ok = False
        return ok

    def string(self, obj: dict, key: str, path: str, *, pattern: re.Pattern[str] | None = None,
               choices: tuple[str, ...] | None = None) -> None:
        if key not in obj:
            return
        value, p = obj[key], join(path, key)
        if not isinstance(value, str) or not value.strip():
            self.error(p, f"must be a non-empty string, not {type_name(value)}")
        elif pattern is not None and not pattern.match(value):
            self.error(p, f'"{value}" must be lowercase letters, digits and dashes (e.g. "my-pack")')
        elif choices is not None and value not in choices:
            self.error(p, f'"{value}" is not one of {", ".join(choices)}')

    def integer(self, obj: dict, key: str, path: str, lo: int | None = 0, hi: int | None = None) -> None:
        if key not in obj:
            return
        value, p = obj[key], join(path, key)
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(p, f"must be a whole number, not {type_name(value)}")
        elif (lo is not None and value < lo) or (hi is not None and value > hi):
            rng = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
            self.error(p, f"{value} must be {rng}")

    def boolean(self, obj: dict, key: str, path: str) -> None:
        if key in obj and not isinstance(obj[key], bool):
            self.error(join(path, key), f"must be true or false, not {type_name(obj[key])}")

    def string_list(self, obj: dict, key: str, path: str, *, non_empty: bool = False) -> list[str]:
        if key not in obj:
            return []
        return self.strings(obj[key], join(path, key), non_empty=non_empty)

    def strings(self, value: Any, path: str, *, non_empty: bool = False) -> list[str]:
        """The strings of a list at `path`, reporting items that are not strings."""
        if not isinstance(value, list):
            self.error(path, f"must be a list, not {type_name(value)}")
            return []
        if non_empty and not value:
            self.error(path, "must not be empty")
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self.error(f"{path}[{i}]", f"must be a non-empty string, not {type_name(item)}")
            else:
                out.append(item)
        return out


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class SpecChecker:
    """Checks the checks, actions and events of one level.yaml (nested ones too)."""

    def __init__(self, r: Reporter):
        self.r = r
        self.node_names: set[str] = {"node-1"}  # actions may only name the level's nodes…
        self.added_nodes: set[str] = set()  # …or those an addNode action brings in
        self._adds_seen: set[str] = set()

    def collect_added_nodes(self, level: Any) -> None:
        """The nodes the level's addNode actions bring in (events, survives, at any
        depth), so that other actions may name them wherever they come in the file."""
        if isinstance(level, dict):
            if level.get("type") == "addNode" and isinstance(level.get("node"), str):
                self.added_nodes.add(level["node"])
            for value in level.values():
                self.collect_added_nodes(value)
        elif isinstance(level, list):
            for item in level:
                self.collect_added_nodes(item)

    def node_fields(self, node: dict, path: str) -> None:
        """The fields of a node (a cluster.nodes entry, an addNode action): quantities,
        labels and taints."""
        for key in ("cpu", "memory"):
            if key in node and not isinstance(node[key], (str, int)):
                self.r.error(join(path, key), 'must be a quantity such as "2" or "2Gi"')
        if "labels" in node and not (isinstance(node["labels"], dict) and all(
                isinstance(v, (str, int, float, bool)) for v in node["labels"].values())):
            self.r.error(join(path, "labels"), "must be a mapping of label names to values")
        if "taints" in node:
            taints = node["taints"]
            if not isinstance(taints, list):
                self.r.error(join(path, "taints"), "must be a list")
                return
            for j, taint in enumerate(taints):
                tp = f"{path}.taints[{j}]"
                if self.r.mapping(taint, tp, {"key", "effect"}, {"value"}):
                    self.r.string(taint, "effect", tp,
                                  choices=("NoSchedule", "PreferNoSchedule", "NoExecute"))

    def check(self, spec: Any, path: str) -> None:
        """A check: its type, its fields, and the nested checks of stable/survives/all/any/not."""
        r = self.r
        if not isinstance(spec, dict):
            r.error(path, f"a check must be a mapping with a type, not {type_name(spec)}")
            return
        ctype = spec.get("type")
        if ctype not in CHECK_FIELDS:
            known = ", ".join(CHECK_FIELDS)
            if ctype is None:
                r.error(path, f"missing required key \"type\" (one of {known})")
            else:
                r.error(join(path, "type"), f'unknown check type "{ctype}" (known: {known})')
            return
        required, optional = CHECK_FIELDS[ctype]
        r.mapping(spec, path, required | {"type"}, optional, f" for a {ctype} check")
        for key in ("namespace", "name", "service", "deployment", "reason", "image", "node"):
            r.string(spec, key, path)
        if ctype != "http":  # an http path is a URL path, checked below
            r.string(spec, "path", path)
        for key in ("min", "max", "count", "maxRestarts", "requests", "revision"):
            r.integer(spec, key, path, 1 if key == "requests" else 0)
        r.integer(spec, "port", path, 1, 65535)
        for key in ("ready", "happened"):
            r.boolean(spec, key, path)
        if "kind" in spec and (not isinstance(spec["kind"], str) or lookup(spec["kind"]) is None):
            r.error(join(path, "kind"), f'"{spec["kind"]}" is not a kind KubeQuest runs')
        getattr(self, f"_check_{ctype}", lambda s, p: None)(spec, path)

    def _check_field(self, spec: dict, path: str) -> None:
        ops = [op for op in FIELD_OPERATORS if op in spec]
        if len(ops) != 1:
            self.r.error(path, f"a field check needs exactly one of {', '.join(FIELD_OPERATORS)}"
                               + (f" (found {', '.join(ops)})" if ops else ""))
        self.r.boolean(spec, "exists", path)
        for op in ("gte", "lte"):
            if op in spec and (isinstance(spec[op], bool) or not isinstance(spec[op], (int, float))):
                self.r.error(join(path, op), f"must be a number, not {type_name(spec[op])}")
        if isinstance(spec.get("path"), str) and not re.fullmatch(
                r"[A-Za-z0-9_\-/]+(\[\d+\])*(\.[A-Za-z0-9_\-/]+(\[\d+\])*)*", spec["path"]):
            self.r.error(join(path, "path"), f'"{spec["path"]}" is not a dotted path such as '
                                              '"spec.template.spec.containers[0].image"')

    def _check_pods(self, spec: dict, path: str) -> None:
        self.selector(spec.get("selector"), join(path, "selector"))
        self.r.string(spec, "phase", path, choices=PHASES)

    def _check_http(self, spec: dict, path: str) -> None:
        if "path" in spec and (not isinstance(spec["path"], str) or not spec["path"].startswith("/")):
            self.r.error(join(path, "path"), 'must be a URL path starting with "/"')
        expect = spec.get("expect")
        if expect is not None and self.r.mapping(expect, join(path, "expect"), set(), HTTP_EXPECT):
            ep = join(path, "expect")
            self.r.integer(expect, "status", ep, 100, 599)
            self.r.string(expect, "bodyContains", ep)
            self.r.integer(expect, "distinctBackends", ep, 1)

    def _check_stable(self, spec: dict, path: str) -> None:
        self._seconds(spec, "seconds", path)
        if "check" in spec:
            self.check(spec["check"], join(path, "check"))

    def _check_survives(self, spec: dict, path: str) -> None:
        self._seconds(spec, "withinSeconds", path)
        if "action" in spec:
            self.action(spec["action"], join(path, "action"))
        if "then" in spec:
            self.check(spec["then"], join(path, "then"))

    def _check_all(self, spec: dict, path: str) -> None:
        checks = spec.get("checks")
        if not isinstance(checks, list) or not checks:
            self.r.error(join(path, "checks"), "must be a non-empty list of checks")
            return
        for i, nested in enumerate(checks):
            self.check(nested, f"{path}.checks[{i}]")

    _check_any = _check_all

    def _check_not(self, spec: dict, path: str) -> None:
        if "check" in spec:
            self.check(spec["check"], join(path, "check"))

    def _seconds(self, spec: dict, key: str, path: str) -> None:
        if key in spec and parse_duration(spec[key]) is None:
            self.r.error(join(path, key), f'must be a number of seconds (or "30s", "2m"), not {spec[key]!r}')

    def selector(self, sel: Any, path: str) -> None:
        """A pods/killContainer/deletePod selector: labels, or matchLabels/matchExpressions."""
        if not isinstance(sel, dict):
            self.r.error(path, f"must be a mapping of labels (or matchLabels/matchExpressions), "
                               f"not {type_name(sel)}")
            return
        if "matchLabels" in sel or "matchExpressions" in sel:
            if self.r.mapping(sel, path, set(), {"matchLabels", "matchExpressions"}):
                try:
                    from_label_selector(sel)
                except SelectorError as exc:
                    self.r.error(path, str(exc))
            return
        for key, value in sel.items():
            if not isinstance(value, (str, int, float, bool)):
                self.r.error(join(path, str(key)), f"a label value must be a plain value, not {type_name(value)}")

    # -- events --

    def _events(self, events: Any) -> None:
        if events is None:
            return
        if not isinstance(events, list):
            self.r.error("events", f"must be a list of events, not {type_name(events)}")
            return
        for i, ev in enumerate(events):
            path = f"events[{i}]"
            if not self.r.mapping(ev, path, {"action"}, {"after", "when"}):
                if isinstance(ev, dict) and "action" in ev:
                    self.action(ev["action"], f"{path}.action")
                continue
            if ("after" in ev) == ("when" in ev):
                self.r.error(path, 'an event needs exactly one of "after" (e.g. 30s) or "when: objectivesMet"')
            if "after" in ev and parse_duration(ev["after"]) is None:
                self.r.error(f"{path}.after", f'must be a duration such as "30s" or "2m", not {ev["after"]!r}')
            if "when" in ev and ev["when"] != OBJECTIVES_MET:
                self.r.error(f"{path}.when", f'must be "{OBJECTIVES_MET}", not {ev["when"]!r}')
            self.action(ev["action"], f"{path}.action")

    def action(self, action: Any, path: str) -> None:
        if not isinstance(action, dict):
            self.r.error(path, f"an action must be a mapping with a type, not {type_name(action)}")
            return
        atype = action.get("type")
        if atype not in ACTION_FIELDS:
            known = ", ".join(ACTION_FIELDS)
            where = join(path, "type") if "type" in action else path
            self.r.error(where, f'unknown action type "{atype}" (known: {known})' if atype is not None
                         else f'missing required key "type" (one of {known})')
            return
        required, optional = ACTION_FIELDS[atype]
        self.r.mapping(action, path, required | {"type"}, optional, f" for a {atype} action")
        if "selector" in action:
            self.selector(action["selector"], join(path, "selector"))
        self.r.integer(action, "count", path, 1)
        self.r.integer(action, "replicas", path, 0)
        for key in ("namespace", "container", "deployment", "node", "image"):
            self.r.string(action, key, path)
        node = action.get("node")
        if atype == "addNode":
            self._add_node(action, path)
        elif isinstance(node, str) and node not in self.node_names | self.added_nodes:
            added = f' and, added during play, {", ".join(sorted(self.added_nodes))}' if self.added_nodes else ""
            self.r.error(join(path, "node"), f'no node "{node}" in this level\'s cluster '
                                              f'(nodes: {", ".join(sorted(self.node_names))}{added})')

    def _add_node(self, action: dict, path: str) -> None:
        node = action.get("node")
        if not isinstance(node, str):
            return
        if not NAME_RE.match(node):
            self.r.error(join(path, "node"), f'"{node}" must be a node name of lowercase letters, '
                                              'digits and dashes (e.g. "node-4")')
        elif node in self.node_names:
            self.r.error(join(path, "node"), f'node "{node}" is already in this level\'s cluster '
                                              f'(nodes: {", ".join(sorted(self.node_names))}): '
                                              'addNode needs a new node name')
        elif node in self._adds_seen:
            self.r.error(join(path, "node"), f'node "{node}" is added twice: each addNode needs '
                                              'a new node name')
        self._adds_seen.add(node)
        self.node_fields(action, path)
