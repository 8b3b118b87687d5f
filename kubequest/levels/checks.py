"""Objective checks (PRODUCT.md §2), evaluated continuously against the live cluster.

`compile_check(spec)` turns a level's `check:` mapping into a Check; each
`evaluate(ctx)` returns a CheckResult `(ok, detail)`, the detail one short
sentence about what is there now ("2 pods app=web are ready; 3 wanted").
Why something is not there yet is explain.py's job.

Most checks read the store and keep no state. `stable` and `survives` are
about time, so they remember what they saw: evaluate them on every pass of the
cluster loop (the session does), and ask for a wake-up (`ctx.wake_at`) at the
moment their answer would change, so a virtual clock does not jump past it.
"""

from __future__ import annotations

import fnmatch
import http.client
import socket
from typing import Any

from engine.api.store import Store

from .checkbase import (
    BACKEND,
    DEFAULT_NAMESPACE,
    REGISTRY,
    REVISION,
    Check,
    CheckContext,
    CheckResult,
    as_number,
    compile_check,
    count_wanted,
    covers,
    get_field,
    http_get,
    is_ready,
    label_value,
    live_pods,
    plural,
    pod_selector,
    register,
    restarts,
    same,
    selector_text,
)

# ---- objects and fields ---------------------------------------------------------------


def _kind(spec: dict) -> str:
    from engine.api.kinds import lookup

    info = lookup(str(spec.get("kind", "")))
    return info.kind if info is not None else str(spec.get("kind", ""))


def _ref(spec: dict) -> str:
    return f"{_kind(spec)} {spec.get('name')}"


@register
class Exists(Check):
    type = "exists"

    def evaluate(self, ctx: CheckContext) -> CheckResult:
        obj = ctx.store.try_get(_kind(self.spec), str(self.spec["name"]), self.namespace, copy=False)
        return CheckResult(obj is not None, f"{_ref(self.spec)} {'exists' if obj else 'does not exist'}")


@register
class Absent(Check):
    type = "absent"

    def evaluate(self, ctx: CheckContext) -> CheckResult:
        ok, detail = Exists(self.spec).evaluate(ctx)
        return CheckResult(not ok, detail)


@register
class Field(Check):
    type = "field"

    def evaluate(self, ctx: CheckContext) -> CheckResult:
        s = self.spec
        obj = ctx.store.try_get(_kind(s), str(s["name"]), self.namespace, copy=False)
        if obj is None:
            return CheckResult(False, f"{_ref(s)} does not exist")
        path = str(s["path"])
        found, value = get_field(obj, path)
        shown = f"{_ref(s)} {path}"
        if "exists" in s:
            ok = found == bool(s["exists"])
            return CheckResult(ok, f"{shown} is {'set' if found else 'not set'}")
        if not found:
            return CheckResult("notEquals" in s, f"{shown} is not set")
        now = f"{shown} is {value!r}"
        if "equals" in s:
            return CheckResult(same(value, s["equals"]), now + ("" if same(value, s["equals"])
                                                              else f", not {s['equals']!r}"))
        if "notEquals" in s:
            return CheckResult(not same(value, s["notEquals"]), now)
        if "contains" in s:
            want = s["contains"]
            if isinstance(value, str):
                ok = label_value(want) in value
            elif isinstance(value, list):
                ok = any(covers(item, want) for item in value)
            elif isinstance(value, dict):
                ok = label_value(want) in value
            else:
                ok = False
            return CheckResult(ok, f"{shown} {'contains' if ok else 'does not contain'} {want!r}")
        op = "gte" if "gte" in s else "lte"
        number, bound = as_number(value), float(s[op])
        if number is None:
            return CheckResult(False, f"{now}, not a number")
        ok = number >= bound if op == "gte" else number <= bound
        return CheckResult(ok, f"{now} (wanted {'≥' if op == 'gte' else '≤'} {s[op]})")


# ---- pods, endpoints, http, rollout, events ------------------------------------------------


@register
class Pods(Check):
    type = "pods"

    def matching(self, ctx: CheckContext) -> tuple[list[dict], list[dict]]:
        """(pods the selector matches, those of them that pass the phase/ready/image/node filters)."""
        s = self.spec
        pods = live_pods(ctx.store, self.namespace, s.get("selector"))
        kept = []
        for p in pods:
            status, spec = p.get("status") or {}, p.get("spec") or {}
            if "phase" in s and status.get("phase") != s["phase"]:
                continue
            if "ready" in s and is_ready(p) != bool(s["ready"]):
                continue
            if "image" in s and not any(c.get("image") == s["image"] for c in spec.get("containers") or []):
                continue
            if "node" in s and spec.get("nodeName") != s["node"]:
                continue
            kept.append(p)
        return pods, kept

    def filters_text(self) -> str:
        s, words = self.spec, []
        if "phase" in s:
            words.append(s["phase"])
        if "ready" in s:
            words.append("ready" if s["ready"] else "not ready")
        if "image" in s:
            words.append(f"running {s['image']}")
        if "node" in s:
            words.append(f"on {s['node']}")
        return " and ".join(words)

    def evaluate(self, ctx: CheckContext) -> CheckResult:
        pods, kept = self.matching(ctx)
        test, want = count_wanted(self.spec)
        sel = selector_text(self.spec.get("selector"))
        filters = self.filters_text()
        n = len(kept)
        if not pods:
            detail = f"no pod {sel}"
        elif filters:
            detail = f"{n} of {plural(len(pods), 'pod')} {sel} {'is' if n == 1 else 'are'} {filters}"
        else:
            detail = f"{plural(n, 'pod')} {sel}"
        ok = test(n)
        detail += f" (wanted {want})"
        if "maxRestarts" in self.spec:
            over = [p for p in kept if restarts(p) > int(self.spec["maxRestarts"])]
            if over:
                ok = False
                worst = max(over, key=restarts)
                detail += (f"; {worst['metadata']['name']} restarted {plural(restarts(worst), 'time')} "
                           f"(at most {self.spec['maxRestarts']} allowed)")
        return CheckResult(ok, detail)


def ready_endpoint_ips(store: Store, service: str, namespace: str) -> list[str] | None:
    """The ready addresses of a Service's Endpoints; None when there is no Endpoints object."""
    ep = store.try_get("Endpoints", service, namespace, copy=False)
    if ep is None:
        return None
    ips = [a.get("ip") for sub in ep.get("subsets") or [] for a in sub.get("addresses") or []]
    return list(dict.fromkeys(ip for ip in ips if ip))


@register
class Endpoints(Check):
    type = "endpoints"

    def evaluate(self, ctx: CheckContext) -> CheckResult:
        name = str(self.spec["service"])
        if ctx.store.try_get("Service", name, self.namespace, copy=False) is None:
            return CheckResult(False, f"Service {name} does not exist")
        ips = ready_endpoint_ips(ctx.store, name, self.namespace) or []
        test, want = count_wanted(self.spec)
        return CheckResult(test(len(ips)), f"Service {name} has {plural(len(ips), 'ready endpoint')} "
                                           f"(wanted {want})")


@register
class Http(Check):
    type = "http"

    def __init__(self, spec: dict[str, Any]):
        super().__init__(spec)
        self.expect = dict(spec.get("expect") or {})
        self.distinct = int(self.expect.get("distinctBackends") or 0)
        # Round-robin over N backends needs N connections to meet them all; twice that is safe.
        self.requests = int(spec.get("requests") or max(1, 2 * self.distinct))
        self.path = str(spec.get("path") or "/")
        self._memo: tuple[tuple[int, float, int], CheckResult] | None = None

    def evaluate(self, ctx: CheckContext) -> CheckResult:
        # Real requests cost real time: ask again only when the cluster or the clock
        # moved — and on a wall clock, which always moves, at most once a second. A
        # game action (a killed container, a failed node) moves the cluster without
        # touching the store: never reuse an answer from before one.
        rv, now, acts = ctx.store.resource_version, ctx.now, ctx.acts
        if self._memo is not None:
            (seen_rv, seen_at, seen_acts), result = self._memo
            fresh = now == seen_at or (not getattr(ctx.clock, "virtual", True) and now - seen_at < 1.0)
            if seen_rv == rv and seen_acts == acts and fresh:
                return result
        result = self._ask(ctx)
        self._memo = ((rv, now, acts), result)
        return result

    def _ask(self, ctx: CheckContext) -> CheckResult:
        name, port = str(self.spec["service"]), self.spec.get("port")
        if ctx.store.try_get("Service", name, self.namespace, copy=False) is None:
            return CheckResult(False, f"Service {name} does not exist")
        address = ctx.proxy.address_of(name, self.namespace, port) if ctx.proxy is not None else None
        if address is None:
            if port:
                svc = ctx.store.try_get("Service", name, self.namespace, copy=False) or {}
                have = ", ".join(str(p.get("port")) for p in (svc.get("spec") or {}).get("ports") or [])
                return CheckResult(False, f"Service {name} has no port {port} (its ports: {have or 'none'})")
            return CheckResult(False, f"Service {name} has no TCP port the proxy serves")
        status_wanted = int(self.expect.get("status", 200))
        contains = self.expect.get("bodyContains")
        backends: set[str] = set()
        for _ in range(self.requests):
            try:
                status, body = ctx.http_get(address[0], address[1], self.path, 2.0)
            except (OSError, http.client.HTTPException) as exc:
                why = _why_no_answer(ctx, name, self.namespace, exc)
                return CheckResult(False, f"GET {self.path} through Service {name}: no answer ({why})")
            first_line = body.strip().splitlines()[0] if body.strip() else "(empty body)"
            if status != status_wanted:
                return CheckResult(False, f"GET {self.path} through Service {name} answered {status} "
                                          f"{first_line!r} (wanted {status_wanted})")
            if contains is not None and str(contains) not in body:
                return CheckResult(False, f"GET {self.path} through Service {name} answered "
                                          f"{first_line!r}, without {str(contains)!r}")
            m = BACKEND.search(body)
            if m:
                backends.add(m.group(1))
        if self.distinct and len(backends) < self.distinct:
            return CheckResult(False, f"{self.requests} requests to Service {name} reached "
                                      f"{plural(len(backends), 'pod')} (wanted {self.distinct} different ones)")
        said = f"{status_wanted}" + (f" with {str(contains)!r}" if contains is not None else "")
        spread = f" from {plural(len(backends), 'pod')}" if self.distinct else ""
        return CheckResult(True, f"GET {self.path} through Service {name} answers {said}{spread}")


def _why_no_answer(ctx: CheckContext, name: str, namespace: str, exc: BaseException) -> str:
    """What a failed request means, in the learner's words rather than the socket's."""
    backends_of = getattr(ctx.proxy, "backends_of", None)
    if backends_of is not None and not backends_of(name, namespace):
        return "the Service has no ready endpoints"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "no reply within 2 s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return "the connection was closed without a reply"


@register
class Rollout(Check):
    type = "rollout"

    def evaluate(self, ctx: CheckContext) -> CheckResult:
        name, s = str(self.spec["deployment"]), self.spec
        d = ctx.store.try_get("Deployment", name, self.namespace, copy=False)
        if d is None:
            return CheckResult(False, f"Deployment {name} does not exist")
        status, spec = d.get("status") or {}, d.get("spec") or {}
        desired = int(spec.get("replicas", 1))
        updated, ready = int(status.get("updatedReplicas") or 0), int(status.get("readyReplicas") or 0)
        total = int(status.get("replicas") or 0)
        images = [c.get("image") for c in ((spec.get("template") or {}).get("spec") or {}).get("containers") or []]
        if "image" in s and s["image"] not in images:
            return CheckResult(False, f"Deployment {name} runs {', '.join(map(str, images))}, not {s['image']}")
        revision = ((d.get("metadata") or {}).get("annotations") or {}).get(REVISION)
        if "revision" in s and str(revision) != str(s["revision"]):
            return CheckResult(False, f"Deployment {name} is at revision {revision or 'none'}, not {s['revision']}")
        prefix = f'deployment "{name}"'
        if int(status.get("observedGeneration") or 0) < int((d.get("metadata") or {}).get("generation") or 0):
            return CheckResult(False, f"{prefix}: waiting for the deployment spec update to be observed")
        if updated < desired:
            return CheckResult(False, f"{prefix}: {updated} out of {desired} new replicas have been updated")
        if total > updated:
            return CheckResult(False, f"{prefix}: {total - updated} old replicas are pending termination")
        if ready < updated:
            return CheckResult(False, f"{prefix}: {ready} of {updated} updated replicas are ready")
        return CheckResult(True, f"{prefix} successfully rolled out"
                                 + (f" (revision {revision})" if revision else ""))


@register
class Event(Check):
    type = "event"

    def matches(self, ctx: CheckContext) -> list[dict]:
        s, found = self.spec, []
        ns = s.get("namespace")
        for ev in ctx.store.list("Event", ns, copy=False):
            if int((ev.get("metadata") or {}).get("resourceVersion") or 0) <= ctx.start_rv:
                continue  # recorded (or last repeated) before the level started
            if ev.get("reason") != s["reason"]:
                continue
            inv = ev.get("involvedObject") or {}
            if "kind" in s and inv.get("kind") != _kind(s):
                continue
            if "name" in s and not fnmatch.fnmatchcase(str(inv.get("name", "")), str(s["name"])):
                continue
            found.append(ev)
        return found

    def evaluate(self, ctx: CheckContext) -> CheckResult:
        found = self.matches(ctx)
        want = bool(self.spec.get("happened", True))
        reason = str(self.spec["reason"])
        what = f"{'an' if reason[:1].lower() in 'aeiou' else 'a'} {reason} event"
        if "kind" in self.spec or "name" in self.spec:
            what += f" about {self.spec.get('kind', '')} {self.spec.get('name', '')}".rstrip()
        if found:
            last = found[-1]
            return CheckResult(want, f"{what} was recorded: {last.get('message', '')}".rstrip(": "))
        return CheckResult(not want, f"no {what.split(' ', 1)[1]} since the level started")


# The time and logic checks register themselves on import; re-exported here so
# `checks` is the one place to import check types from.
from .timechecks import All, Any_, Not, Stable, Survives, describe_action

__all__ = [
    "BACKEND", "DEFAULT_NAMESPACE", "REGISTRY", "REVISION", "Absent", "All", "Any_", "Check",
    "CheckContext", "CheckResult", "Endpoints", "Event", "Exists", "Field", "Http", "Not", "Pods",
    "Rollout", "Stable", "Survives", "compile_check", "count_wanted", "covers", "describe_action",
    "get_field", "http_get", "is_ready", "label_value", "live_pods", "plural", "pod_selector",
    "ready_endpoint_ips", "register", "restarts", "same", "selector_text",
]
