"""Ages and timestamps the way kubectl prints them.

Ported from k8s.io/apimachinery/pkg/util/duration/duration.go (`HumanDuration`,
`ShortHumanDuration`) and the `translateTimestampSince` helpers in
kubernetes/kubernetes pkg/printers/internalversion/printers.go and
kubectl pkg/describe/describe.go.

Every function takes `now` explicitly: the views never read the wall clock, so
a VirtualClock drives them in tests and replays.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

UNKNOWN = "<unknown>"


def _go_int(x: float) -> int:
    """Go's int(float64) conversion: truncation toward zero."""
    return math.trunc(x)


def human_duration(seconds: float) -> str:
    """`duration.HumanDuration`: ~2-3 significant figures (`45s`, `2m10s`, `5h3m`, `3d4h`).

    Up to one second in the future still reads `0s` (clock skew between the
    components); anything further ahead is `<invalid>`.
    """
    secs = _go_int(seconds)
    if secs < -1:
        return "<invalid>"
    if secs < 0:
        return "0s"
    if secs < 60 * 2:
        return f"{secs}s"
    # Go divides the Duration (integer nanoseconds) by time.Minute, which
    # truncates; the value is non-negative here so floor division matches.
    minutes = _go_int(seconds // 60)
    if minutes < 10:
        s = secs % 60
        return f"{minutes}m" if s == 0 else f"{minutes}m{s}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = _go_int(seconds // 3600)
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def short_human_duration(seconds: float) -> str:
    """`duration.ShortHumanDuration`: one unit only (`45s`, `15m`, `5h`, `3d`, `2y`)."""
    secs = _go_int(seconds)
    if secs < -1:
        return "<invalid>"
    if secs < 0:
        return "0s"
    if secs < 60:
        return f"{secs}s"
    minutes = _go_int(seconds / 60)
    if minutes < 60:
        return f"{minutes}m"
    hours = _go_int(seconds / 3600)
    if hours < 24:
        return f"{hours}h"
    if hours < 24 * 365:
        return f"{hours // 24}d"
    return f"{_go_int(seconds / 3600 / 24 / 365)}y"


def parse_timestamp(value: str | float | None) -> float | None:
    """RFC 3339 (`2026-01-01T00:00:00Z`, with or without fraction/offset) to epoch seconds.

    None or "" (Go's zero metav1.Time) gives None. Numbers pass through so
    callers holding epoch floats can use the same helpers.
    """
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:  # Kubernetes always writes UTC; be lenient with naive input
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def translate_timestamp_since(value: str | float | None, now: float) -> str:
    """printers.go `translateTimestampSince`: `<unknown>` for a zero time, else the age."""
    ts = parse_timestamp(value)
    if ts is None:
        return UNKNOWN
    return human_duration(now - ts)


def format_rfc1123z(value: str | float | None) -> str:
    """Go's time.RFC1123Z (`Thu, 01 Jan 2026 00:00:00 +0000`), as describe prints times.

    kubectl uses the local zone; KubeQuest always shows UTC so output is stable.
    A zero time prints as Go's zero time does.
    """
    ts = parse_timestamp(value)
    if ts is None:
        return "Mon, 01 Jan 0001 00:00:00 +0000"
    dt = datetime.fromtimestamp(ts, tz=UTC)
    # strftime's %a/%b follow the C locale; spell them out to stay locale-proof.
    day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[dt.weekday()]
    month = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")[dt.month - 1]
    return f"{day}, {dt.day:02d} {month} {dt.year:04d} {dt:%H:%M:%S} +0000"
