"""What `kubectl describe` prints.

Ported from kubectl pkg/describe/describe.go at v0.36.3 (Kubernetes 1.36, the
last release with the `#success=1 #failure=3` probe wording): `describePod`,
`describeContainers` and friends, `DescribeProbe`, `describeVolumes`,
`DescribeEvents`, the `printLabelsMultiline` family, the generic describer
(`printUnstructuredContent`, `smartLabelFor`) and `tabbedString`'s tabwriter
(min width 0, padding 2). Pods live in describe_pod.py; Deployment,
ReplicaSet, Service and Node in describe_kinds.py.

Layout follows kubectl's: text is written with tabs, then aligned by a Go
tabwriter port, so each section lines up on its own exactly as kubectl's does
(which is why `Events:` and `<none>` are separated by a section-dependent
number of spaces). Times print in UTC; kubectl would use the local zone.
"""

from __future__ import annotations

from typing import Any

from engine.views._format import as_int, controller_of, dig
from engine.views.age import parse_timestamp, translate_timestamp_since
from engine.views.tabwriter import tabwrite

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
MAX_ANNOTATION_LEN = 140


class PrefixWriter:
    """describe.go prefixWriter over a tabwriter: `level` adds two spaces each."""

    def __init__(self) -> None:
        self._pending: list[str] = []
        self._done: list[str] = []

    def write(self, level: int, text: str) -> None:
        self._pending.append("  " * level + text)

    def write_line(self, text: str) -> None:
        self._pending.append(text + "\n")

    def flush(self) -> None:
        # A flush ends every column block, so later text aligns independently.
        self._done.append(tabwrite("".join(self._pending), minwidth=0, padding=2))
        self._pending = []

    def text(self) -> str:
        self.flush()
        return "".join(self._done)


# --- shared sections ---------------------------------------------------------


def print_labels_multiline(w: PrefixWriter, title: str, labels: dict | None,
                           initial_indent: str = "", inner_indent: str = "\t") -> None:
    w.write(0, f"{initial_indent}{title}:{inner_indent}")
    if not labels:
        w.write_line("<none>")
        return
    for i, key in enumerate(sorted(labels)):
        if i:
            w.write(0, initial_indent + inner_indent)
        w.write(0, f"{key}={labels[key]}\n")


def print_annotations_multiline(w: PrefixWriter, title: str, annotations: dict | None) -> None:
    w.write(0, f"{title}:\t")
    keys = sorted(k for k in (annotations or {}) if k != LAST_APPLIED)
    if not keys:
        w.write_line("<none>")
        return
    for i, key in enumerate(keys):
        if i:
            w.write(0, "\t")
        value = str(annotations[key]).removesuffix("\n")
        if len(value) + len(key) + 2 > MAX_ANNOTATION_LEN or "\n" in value:
            w.write(0, f"{key}:\n")
            for line in value.split("\n"):
                short = line if len(line) <= MAX_ANNOTATION_LEN - 2 else (
                    line[: MAX_ANNOTATION_LEN - 2] + "...")
                w.write(0, f"\t  {short}\n")
        else:
            w.write(0, f"{key}: {value}\n")


def taint_string(taint: dict) -> str:
    """corev1.Taint.ToString: `key=value:Effect`, `key:Effect`, ..."""
    key, value, effect = taint.get("key", ""), taint.get("value", ""), taint.get("effect", "")
    if not effect:
        return key if not value else f"{key}={value}:"
    return f"{key}:{effect}" if not value else f"{key}={value}:{effect}"


def print_taints_multiline(w: PrefixWriter, title: str, taints: list[dict] | None) -> None:
    w.write(0, f"{title}:\t")
    if not taints:
        w.write_line("<none>")
        return
    ordered = sorted(taints, key=lambda t: f"{t.get('effect', '')},{t.get('key', '')}")
    for i, taint in enumerate(ordered):
        if i:
            w.write(0, "\t")
        w.write(0, taint_string(taint) + "\n")


def print_tolerations_multiline(w: PrefixWriter, title: str, tolerations: list[dict] | None,
                                initial_indent: str = "") -> None:
    w.write(0, f"{initial_indent}{title}:\t")
    if not tolerations:
        w.write_line("<none>")
        return
    for i, tol in enumerate(sorted(tolerations, key=lambda t: t.get("key", ""))):
        if i:
            w.write(0, initial_indent + "\t")
        text = tol.get("key", "")
        if tol.get("value"):
            text += "=" + tol["value"]
        if tol.get("effect"):
            text += ":" + tol["effect"]
        # operator Exists without a value tolerates every value of the key.
        if tol.get("operator") == "Exists" and not tol.get("value"):
            text += " op=Exists" if (tol.get("key") or tol.get("effect")) else "op=Exists"
        if tol.get("tolerationSeconds") is not None:
            text += f" for {as_int(tol['tolerationSeconds'])}s"
        w.write(0, text + "\n")


def _event_sort_key(event: dict) -> float:
    ts = parse_timestamp(event.get("lastTimestamp"))
    return float("-inf") if ts is None else ts  # a zero time sorts first, as in Go


def event_age(event: dict, now: float) -> str:
    """The Age cell: `20s`, or `20s (x3 over 2m)` for a repeated event."""
    first = translate_timestamp_since(event.get("eventTime"), now)
    if parse_timestamp(event.get("eventTime")) is None:
        first = translate_timestamp_since(event.get("firstTimestamp"), now)
    series = event.get("series")
    if series:
        last = translate_timestamp_since(series.get("lastObservedTime"), now)
        return f"{last} (x{as_int(series.get('count'))} over {first})"
    if as_int(event.get("count")) > 1:
        last = translate_timestamp_since(event.get("lastTimestamp"), now)
        return f"{last} (x{as_int(event['count'])} over {first})"
    return first


def describe_events(events: list[dict], w: PrefixWriter, now: float) -> None:
    """DescribeEvents: `Events:  <none>` or the Type/Reason/Age/From/Message table."""
    if not events:
        w.write(0, "Events:\t<none>\n")
        return
    w.flush()
    w.write(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n")
    w.write(1, "----\t------\t----\t----\t-------\n")
    for e in sorted(events, key=_event_sort_key):
        source = dig(e, "source", "component") or e.get("reportingComponent") or ""
        message = (e.get("message") or "").strip()
        field_path = dig(e, "involvedObject", "fieldPath")
        if field_path:
            message = f"{field_path}: {message}"
        w.write(1, f"{e.get('type', '')}\t{e.get('reason', '')}\t{event_age(e, now)}\t"
                   f"{source}\t{message}\n")


def events_for(obj: dict, events: list[dict]) -> list[dict]:
    """Keep the events about obj (kubectl asks the server with an involvedObject selector).

    Events that name no involvedObject are kept: the caller already chose them.
    """
    meta = obj.get("metadata") or {}
    kept = []
    for e in events:
        ref = e.get("involvedObject")
        if not ref:
            kept.append(e)
            continue
        if ref.get("name") != meta.get("name"):
            continue
        if ref.get("namespace") and meta.get("namespace") and ref["namespace"] != meta["namespace"]:
            continue
        if ref.get("uid") and meta.get("uid") and ref["uid"] != meta["uid"]:
            continue
        if ref.get("kind") and obj.get("kind") and ref["kind"] != obj["kind"]:
            continue
        kept.append(e)
    return kept


def print_controller(obj: dict) -> str:
    ref = controller_of(obj)
    return f"{ref.get('kind', '')}/{ref.get('name', '')}" if ref else ""


# --- generic -----------------------------------------------------------------


def _camel_split(field: str) -> list[str]:
    """fatih/camelcase.Split: runs of one character class; `PDFLoader` -> PDF, Loader."""
    runs: list[list[str]] = []
    for ch in field:
        cls = "l" if ch.islower() else "u" if ch.isupper() else "d" if ch.isdigit() else "o"
        if runs and runs[-1][0] == cls:
            runs[-1][1] += ch
        else:
            runs.append([cls, ch])
    for i in range(len(runs) - 1):
        if runs[i][0] == "u" and runs[i + 1][0] == "l":
            runs[i + 1][1] = runs[i][1][-1] + runs[i + 1][1]
            runs[i][1] = runs[i][1][:-1]
    return [text for _, text in runs if text]


def smart_label_for(field: str) -> str:
    """describe.go smartLabelFor: `creationTimestamp` -> `Creation Timestamp`, `apiVersion` -> `API Version`."""
    if any(not (ch.isalpha() or ch == "-") for ch in field):
        return field
    parts = _camel_split(field)
    merged: list[str] = []
    i = 0
    while i < len(parts):
        part = parts[i]
        if (i < len(parts) - 1 and len(part) >= 2 and part.isupper()
                and parts[i + 1][:1].isupper()):
            merged.append(part + parts[i + 1])
            i += 2
            continue
        merged.append(part)
        i += 1
    out = []
    for part in merged:
        if part == "_":
            continue
        if part.upper() in ("API", "URL", "UID", "GUID"):
            part = part.upper()
        elif part.lower() == part:
            part = part[:1].upper() + part[1:]
        out.append(part)
    return " ".join(out)


def _go_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "<nil>"
    return str(value)


_GENERIC_SKIP = {".metadata.managedFields", ".metadata.name", ".metadata.namespace",
                 ".metadata.labels", ".metadata.annotations"}


def _print_unstructured(w: PrefixWriter, level: int, content: dict, prefix: str) -> None:
    for field in sorted(content):
        value = content[field]
        path = f"{prefix}.{field}"
        if path in _GENERIC_SKIP:
            continue
        if isinstance(value, dict):
            w.write(level, f"{smart_label_for(field)}:\n")
            _print_unstructured(w, level + 1, value, path)
        elif isinstance(value, list):
            w.write(level, f"{smart_label_for(field)}:\n")
            for child in value:
                if isinstance(child, dict):
                    _print_unstructured(w, level + 1, child, path)
                else:
                    w.write(level + 1, f"{_go_value(child)}\n")
        else:
            w.write(level, f"{smart_label_for(field)}:\t{_go_value(value)}\n")


def describe_generic(obj: dict, events: list[dict] | None, now: float) -> str:
    """The generic describer kubectl uses for kinds without their own."""
    w = PrefixWriter()
    meta = obj.get("metadata") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    print_labels_multiline(w, "Labels", meta.get("labels"))
    print_annotations_multiline(w, "Annotations", meta.get("annotations"))
    _print_unstructured(w, 0, obj, "")
    if events is not None:
        describe_events(events, w, now)
    return w.text()


def describe(obj: dict, *, events: list[dict] | None, related: dict | None = None,
             now: float) -> str:
    """`kubectl describe` text for obj.

    events: the events to consider (those about other objects are dropped);
    None leaves the Events section out, like `--show-events=false`.
    related: what kubectl would look up besides the object, by kind —
      Deployment: {"replicasets": [...]}; ReplicaSet: {"pods": [...]};
      Service: {"endpointslices": [...]} or {"endpoints": {...}};
      Node: {"pods": [...]} (all pods; those bound elsewhere or terminated are skipped).
    """
    # Split for size; both modules import this one, so import them here.
    from engine.views import describe_kinds, describe_pod

    mine = events_for(obj, events) if events is not None else None
    related = related or {}
    kind = obj.get("kind", "")
    if kind == "Pod":
        return describe_pod.describe_pod(obj, mine, now)
    if kind == "Deployment":
        return describe_kinds.describe_deployment(obj, mine, related.get("replicasets") or [], now)
    if kind == "ReplicaSet":
        return describe_kinds.describe_replicaset(obj, mine, related.get("pods") or [], now)
    if kind == "Service":
        return describe_kinds.describe_service(obj, mine, related, now)
    if kind == "Node":
        return describe_kinds.describe_node(obj, mine, related.get("pods") or [], now)
    return describe_generic(obj, mine, now)
