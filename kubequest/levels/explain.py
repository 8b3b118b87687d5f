""""Why not yet?": for an unmet objective, one or two plain sentences computed
from the cluster's state — the things `kubectl describe` and `kubectl logs`
would have shown, already read for the learner.

    Service web selects app=wbe, but no pod has these labels. Nearest pods:
    web-7c9f-abcde (app=web).

Everything here reads the store (and container logs through a callback); it
never changes the cluster.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.api.objects import get_condition, labels_of
from engine.api.selectors import from_set
from engine.api.store import Store

from .actions import node_serves
from .checks import (
    REVISION,
    Check,
    CheckContext,
    Pods,
    is_ready,
    live_pods,
    plural,
    ready_endpoint_ips,
    selector_text,
)

# logs(pod, container name, container id) -> the container's log text, or None.
LogsFn = Callable[[dict, str, str], "str | None"]
MAX_SENTENCES = 2


@dataclass
class ExplainContext:
    store: Store
    logs: LogsFn = lambda pod, name, cid: None


def explain(check: Check, ctx: ExplainContext) -> list[str]:
    """At most two sentences on why `check` does not hold (empty when there is nothing to add)."""
    seen: list[str] = []
    for sentence in _explain(check, ctx):
        if sentence and sentence not in seen:
            seen.append(sentence)
        if len(seen) >= MAX_SENTENCES:
            break
    return seen


def _explain(check: Check, ctx: ExplainContext) -> list[str]:
    t, spec = check.type, check.spec
    if t in ("endpoints", "http"):
        name, ns = str(spec["service"]), check.namespace
        found = explain_service(ctx, name, ns, spec.get("port"))
        expect = spec.get("expect") or {}
        needed = int(spec.get("count") or spec.get("min") or 0) if t == "endpoints" \
            else int(expect.get("distinctBackends") or 0)
        if not found and needed:
            found = explain_too_few(ctx, name, ns, needed)
        if not found and "bodyContains" in expect:
            found = explain_answer(ctx, name, ns)
        if not found and "status" in expect:
            found = explain_unchecked_path(ctx, name, ns, str(spec.get("path") or "/"))
        return found
    if t == "exists" or t == "field" and _named_object(ctx, check) is None:
        if spec["kind"] == "Pod":  # pods are made by controllers as often as by manifests
            return [f"No pod named {spec['name']} exists yet."]
        return [f"Nothing in the cluster creates {spec['kind']} {spec['name']} by itself: "
                "it exists once a manifest for it is applied."]
    if t == "field" and str(spec.get("path", "")).startswith("metadata.ownerReferences"):
        return _owned_by(ctx, check)
    if t == "field" and str(spec.get("path", "")).startswith(("spec.", "data", "stringData")) \
            and _unset(ctx, check):  # a set value may be the server's choice (a nodePort)
        return [f"{spec['kind']} {spec['name']}'s {spec['path']} is what was last applied: "
                "no controller changes it by itself."]
    if t == "field" and spec.get("kind") == "Job":
        return explain_job(ctx, str(spec["name"]), check.namespace)
    if t == "event" and spec.get("happened", True):
        why = EVENT_REASONS.get(str(spec.get("reason")))
        return [why] if why else []
    if t == "pods":
        assert isinstance(check, Pods)
        return explain_pods(ctx, check)
    if t == "rollout":
        return explain_rollout(ctx, str(spec["deployment"]), check.namespace)
    if t == "survives":
        from .timechecks import Survives, describe_action

        assert isinstance(check, Survives)
        node = str(check.action.get("node"))
        if check.state == Survives.WAITING and check.ready and check.action.get("type") == "failNode" \
                and not node_serves(ctx.store, node):
            return [f"The game fails node {node} once it is Ready and runs pods of yours; none runs there "
                    "now (a new rollout spreads pods onto it: kubectl rollout restart)."]
        if check.state == Survives.ACTING or check.state == Survives.WAITING and check.ready:
            return [f"What this needs holds now: once every other objective holds too, the game will "
                    f"{describe_action(check.action)} and watch it hold again."]
        if check.state == Survives.WATCHING:
            return [f"The game {check.what}; it is watching whether this holds again in time.",
                    *_explain(check.then, ctx)]
    if t == "stable":
        from .timechecks import Stable, secs

        assert isinstance(check, Stable)
        if check.since is not None:
            left = check.seconds - (ctx.store.clock.now() - check.since)
            if left > 0:
                return [f"It holds now: {secs(left)} more without a break and it counts."]
    if t in ("all", "any", "stable", "survives"):
        return [s for child in check.children() for s in _explain(child, ctx)]
    return []


# ---- one pod ------------------------------------------------------------------------------


def _events_about(store: Store, pod: dict, reason: str) -> list[dict]:
    md = pod.get("metadata") or {}
    evs = [e for e in store.list("Event", md.get("namespace"), copy=False)
           if e.get("reason") == reason and (e.get("involvedObject") or {}).get("uid") == md.get("uid")]
    return sorted(evs, key=lambda e: int(e["metadata"].get("resourceVersion") or 0))


def _last_log_lines(ctx: ExplainContext, pod: dict, name: str, cid: str, n: int = 2) -> str:
    try:
        text = ctx.logs(pod, name, cid) or ""
    except Exception:  # noqa: BLE001 - logs are a bonus; a runtime hiccup must not break explaining
        return ""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return " / ".join(lines[-n:])


def _cid(state: dict) -> str:
    term = state.get("terminated") or {}
    return str(term.get("containerID") or "").split("://", 1)[-1]


def _probe_text(probe: dict) -> str:
    if "httpGet" in probe:
        g = probe["httpGet"]
        return f"GET {g.get('path', '/')} on port {g.get('port')}"
    if "tcpSocket" in probe:
        return f"a TCP connection to port {probe['tcpSocket'].get('port')}"
    if "exec" in probe:
        return f"the command {' '.join(map(str, probe['exec'].get('command') or []))!r}"
    return "its probe"


def diagnose_pod(ctx: ExplainContext, pod: dict) -> str | None:
    """One sentence on why a pod is not Ready (None when it is)."""
    md, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    name = f"Pod {md.get('name')}"
    if md.get("deletionTimestamp"):
        return f"{name} is being deleted."
    if not spec.get("nodeName"):
        cond = get_condition(pod, "PodScheduled") or {}
        message = cond.get("message") or next(
            (e.get("message") for e in reversed(_events_about(ctx.store, pod, "FailedScheduling"))), None)
        if message:
            return f"{name} cannot be scheduled: {message}"
        return f"{name} is waiting for the scheduler to place it on a node."
    if status.get("phase") in ("Succeeded", "Failed"):
        return f"{name} has finished ({status['phase']}); it will not run again."
    statuses = (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or [])
    for cs in statuses:
        why = _diagnose_container(ctx, pod, cs)
        if why:
            return f"{name}: {why}"
    if is_ready(pod):
        return None
    node_trouble = _node_not_ready(ctx, str(spec.get("nodeName")))
    if node_trouble:
        return f"{name} is on node {spec.get('nodeName')}, which is not Ready: {node_trouble}"
    probe_reason = _readiness_failure(ctx, pod)
    if probe_reason:
        return f"{name} is running but not Ready: {probe_reason}"
    if not statuses:
        return f"{name} is {status.get('phase') or 'Pending'}: its containers have not been created yet."
    return f"{name} is running but not Ready yet."


def _diagnose_container(ctx: ExplainContext, pod: dict, cs: dict) -> str | None:
    cname, state, last = cs.get("name"), cs.get("state") or {}, cs.get("lastState") or {}
    waiting = state.get("waiting")
    if waiting:
        reason, message = waiting.get("reason", ""), waiting.get("message", "")
        if reason == "CrashLoopBackOff":
            term = last.get("terminated") or {}
            code = term.get("exitCode")
            killed = _liveness_failure(ctx, pod)
            if killed and term.get("reason") != "OOMKilled":
                return (f"container {cname} is restarted again and again (CrashLoopBackOff, "
                        f"{plural(int(cs.get('restartCount') or 0), 'restart')}): the kubelet kills it "
                        f"because its liveness probe fails — {killed}.")
            how = ("was killed for using more memory than its limit (OOMKilled)"
                   if term.get("reason") == "OOMKilled" else f"exits with code {code}")
            logs = _last_log_lines(ctx, pod, str(cname), _cid(last))
            said = f"; its last log lines: {logs!r}" if logs else ""
            return (f"container {cname} keeps crashing (CrashLoopBackOff, {plural(int(cs.get('restartCount') or 0), 'restart')}): "
                    f"it {how}{said}.")
        if reason in ("ErrImagePull", "ImagePullBackOff", "InvalidImageName"):
            detail = message or f"image {cs.get('image')!r} cannot be pulled"
            return f"container {cname} cannot get its image ({reason}): {detail}"
        if reason in ("CreateContainerConfigError", "CreateContainerError", "RunContainerError"):
            return f"container {cname} cannot start ({reason}): {message or 'see the pod events'}."
        if reason in ("ContainerCreating", "PodInitializing"):
            return None  # still starting: not a problem yet
        return f"container {cname} is waiting ({reason}{': ' + message if message else ''})."
    term = state.get("terminated")
    if term and term.get("exitCode") not in (0, None):
        logs = _last_log_lines(ctx, pod, str(cname), _cid(state))
        said = f"; its last log lines: {logs!r}" if logs else ""
        return f"container {cname} exited with code {term.get('exitCode')} ({term.get('reason', 'Error')}){said}."
    return None


def _node_not_ready(ctx: ExplainContext, node_name: str) -> str | None:
    """Why the pod's node is not Ready (its condition's message), or None when it is
    Ready or unknown to the store: a pod on a dead node is not Ready for that reason,
    not because of its own containers."""
    node = ctx.store.try_get("Node", node_name, copy=False)
    cond = get_condition(node, "Ready") if node is not None else None
    if cond is None or cond.get("status") == "True":
        return None
    return str(cond.get("message") or cond.get("reason") or f"Ready is {cond.get('status')}").rstrip(".") + "."


def _liveness_failure(ctx: ExplainContext, pod: dict) -> str | None:
    """The last 'Liveness probe failed' the kubelet recorded for this pod, with what the probe tries."""
    events = [e for e in _events_about(ctx.store, pod, "Unhealthy")
              if str(e.get("message", "")).startswith("Liveness")]
    if not events:
        return None
    probes = [c.get("livenessProbe") for c in (pod.get("spec") or {}).get("containers") or []
              if c.get("livenessProbe")]
    probe = f" (the probe tries {_probe_text(probes[0])})" if probes else ""
    return " ".join(str(events[-1].get("message") or "").split()).rstrip(":") + probe


def _readiness_failure(ctx: ExplainContext, pod: dict) -> str | None:
    events = [e for e in _events_about(ctx.store, pod, "Unhealthy")
              if str(e.get("message", "")).startswith(("Readiness", "Startup"))]
    probes = [c.get("readinessProbe") for c in (pod.get("spec") or {}).get("containers") or []
              if c.get("readinessProbe")]
    if events:
        probe = f" (the probe tries {_probe_text(probes[0])})" if probes else ""
        # An exec probe's message is the command's output: it may end in a newline, or be
        # empty ("Readiness probe failed: "). One line, and nothing dangling.
        message = " ".join(str(events[-1].get("message") or "").split()).rstrip(":")
        said = ""
        for cs in (pod.get("status") or {}).get("containerStatuses") or []:
            running = (cs.get("state") or {}).get("running")
            cid = str(cs.get("containerID") or "").split("://", 1)[-1]
            logs = _last_log_lines(ctx, pod, str(cs.get("name")), cid, n=1) if running and cid else ""
            if logs:
                said = f"; the container's last log line: {logs!r}"
                break
        return f"{message}{probe}{said}."
    if probes:
        return f"its readiness probe ({_probe_text(probes[0])}) has not succeeded yet."
    return None


# ---- Services, pods, rollouts -------------------------------------------------------------


def nearest_pods(store: Store, namespace: str, wanted: dict[str, str], limit: int = 2) -> list[dict]:
    """The pods whose labels come closest to `wanted` (same key and value counts most)."""
    def score(pod: dict) -> int:
        labels = labels_of(pod)
        return sum(3 if labels.get(k) == v else 1 if k in labels else 0 for k, v in wanted.items())

    pods = [p for p in store.list("Pod", namespace, copy=False)
            if not (p.get("metadata") or {}).get("deletionTimestamp")]
    pods.sort(key=lambda p: (-score(p), p["metadata"]["name"]))
    return pods[:limit]


def _labels_text(pod: dict) -> str:
    labels = {k: v for k, v in labels_of(pod).items() if k != "pod-template-hash"}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "no labels"


def _nearest_sentence(store: Store, namespace: str, wanted: dict[str, str]) -> str:
    near = nearest_pods(store, namespace, wanted)
    if not near:
        return f"There are no pods at all in namespace {namespace}."
    shown = "; ".join(f"{p['metadata']['name']} ({_labels_text(p)})" for p in near)
    return f"Nearest pods: {shown}."


def _unready_sentences(ctx: ExplainContext, pods: list[dict]) -> list[str]:
    """One sentence per cause: pods that fail the same way are named together."""
    groups: dict[str, list[str]] = {}
    for p in pods:
        name = p["metadata"]["name"]
        why = diagnose_pod(ctx, p)
        if why:
            groups.setdefault(why.replace(f"Pod {name}", "Pod {pods}", 1), []).append(name)
    out = []
    for shape, names in groups.items():
        if len(names) == 1:
            out.append(shape.replace("Pod {pods}", f"Pod {names[0]}", 1))
        else:
            shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            out.append(shape.replace("Pod {pods} is", f"Pods {shown} are", 1)
                       .replace("Pod {pods} has", f"Pods {shown} have", 1)
                       .replace("Pod {pods}", f"Pods {shown}", 1))
    return out


def explain_service(ctx: ExplainContext, name: str, namespace: str, port: Any = None) -> list[str]:
    svc = ctx.store.try_get("Service", name, namespace, copy=False)
    if svc is None:
        return [f"There is no Service named {name} in namespace {namespace}."]
    spec = svc.get("spec") or {}
    selector = {str(k): str(v) for k, v in (spec.get("selector") or {}).items()}
    if not selector:
        return [f"Service {name} has no selector, so no pod is routed to it."]
    sel_text = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
    pods = [p for p in ctx.store.list("Pod", namespace, from_set(selector), copy=False)
            if not (p.get("metadata") or {}).get("deletionTimestamp")]
    if not pods:
        elsewhere = _pods_elsewhere(ctx.store, namespace, selector)
        if elsewhere:
            return [f"Service {name} selects {sel_text}, but no pod in namespace {namespace} has these "
                    f"labels; {elsewhere}. A Service selects pods of its own namespace only."]
        return [f"Service {name} selects {sel_text}, but no pod has these labels.",
                _nearest_sentence(ctx.store, namespace, selector)]
    unready = [p for p in pods if not is_ready(p)]
    if unready:
        ready_n = len(pods) - len(unready)
        head = (f"Service {name} selects {plural(len(pods), 'pod')}, {ready_n} of them Ready; "
                "only Ready pods become endpoints.")
        return [head, *_unready_sentences(ctx, unready)]
    mismatch = _port_mismatch(spec, pods, port)
    if mismatch:
        return [f"Service {name}: {mismatch}"]
    ips = ready_endpoint_ips(ctx.store, name, namespace)
    if ips is None:
        return [f"Service {name} has no Endpoints object yet."]
    return []


def _named_object(ctx: ExplainContext, check: Check) -> dict | None:
    """The object an exists/field check names, in its namespace when its kind has one."""
    kind = str(check.spec["kind"])
    return ctx.store.try_get(kind, str(check.spec["name"]), check.namespace if _namespaced(kind) else None,
                             copy=False)


def _unset(ctx: ExplainContext, check: Check) -> bool:
    from .checkbase import get_field

    obj = _named_object(ctx, check)
    if obj is None:
        return False
    found, _ = get_field(obj, str(check.spec["path"]))
    return not found


def explain_job(ctx: ExplainContext, name: str, namespace: str) -> list[str]:
    """A Job that has not succeeded: its failed pods say why, and how many tries are left."""
    job = ctx.store.try_get("Job", name, namespace, copy=False)
    if job is None:
        return []
    pods = sorted(ctx.store.list("Pod", namespace, from_set({"batch.kubernetes.io/job-name": name}), copy=False),
                  key=lambda p: str(p["metadata"].get("creationTimestamp") or ""))
    failed = [p for p in pods if (p.get("status") or {}).get("phase") == "Failed"]
    sentences = []
    status, spec = job.get("status") or {}, job.get("spec") or {}
    limit = int(spec.get("backoffLimit", 6))
    if get_condition(job, "Failed"):
        sentences.append(f"Job {name} has failed for good ({get_condition(job, 'Failed').get('reason')}): "
                         "it starts no more pods; a new Job (delete and apply) runs again.")
    elif failed:
        sentences.append(f"Job {name}: {plural(int(status.get('failed') or len(failed)), 'pod')} failed "
                         f"so far, of the {limit} retries its backoffLimit allows.")
    for p in reversed(failed):
        for cs in (p.get("status") or {}).get("containerStatuses") or []:
            term = (cs.get("state") or {}).get("terminated") or {}
            logs = _last_log_lines(ctx, p, str(cs.get("name")), _cid(cs.get("state") or {}))
            if term:
                said = f"; its last log lines: {logs!r}" if logs else ""
                sentences.append(f"Pod {p['metadata']['name']}: container {cs.get('name')} exited with "
                                 f"code {term.get('exitCode')}{said}.")
                return sentences
    running = [p for p in pods if (p.get("status") or {}).get("phase") in ("Pending", "Running")]
    if running:
        why = diagnose_pod(ctx, running[-1])
        if why:
            sentences.append(why)
    return sentences


def _owned_by(ctx: ExplainContext, check: Check) -> list[str]:
    spec = check.spec
    obj = _named_object(ctx, check)
    if obj is None or not obj["metadata"].get("ownerReferences"):
        return []
    owner = _owner_chain(ctx.store, obj)
    return [f"{spec['kind']} {spec['name']} is owned by {owner}: a controller adopts a pod that has no "
            "owner when its selector matches the pod's labels."]


def _namespaced(kind: str) -> bool:
    from engine.api.kinds import KINDS

    info = KINDS.get(kind)
    return True if info is None else bool(info.namespaced)


# Who records the events levels ask about, and when: the learner's next step.
EVENT_REASONS = {
    "Unhealthy": "The kubelet records Unhealthy only when a probe fails (liveness, readiness or "
                 "startup): a container without a probe is never checked.",
    "Killing": "The kubelet records Killing when it stops a container: a failed liveness probe, "
               "or the pod being deleted.",
    "BackOff": "The kubelet records BackOff when a container keeps exiting and it waits before the next start.",
}


def _service_pods(ctx: ExplainContext, name: str, namespace: str) -> tuple[dict[str, str], list[dict]]:
    """A Service's selector and the live pods it selects (none without a selector)."""
    svc = ctx.store.try_get("Service", name, namespace, copy=False)
    selector = {str(k): str(v) for k, v in ((svc or {}).get("spec") or {}).get("selector", {}).items()}
    return selector, (live_pods(ctx.store, namespace, selector) if selector else [])


def explain_too_few(ctx: ExplainContext, name: str, namespace: str, needed: int) -> list[str]:
    """A healthy Service with fewer pods than the objective wants: the selector, or the replicas."""
    selector, pods = _service_pods(ctx, name, namespace)
    if not pods or len([p for p in pods if is_ready(p)]) >= needed:
        return []
    adopted = _adopted(ctx.store, selector, pods)
    if adopted:
        return [adopted]
    partial = _partial_matches(ctx.store, name, namespace, selector, pods)
    left_out = None if partial else _left_out(ctx.store, name, namespace, selector, pods)
    return [s for s in (partial, left_out, _replicas_sentence(ctx.store, pods), _bare_pods(pods)) if s]


def _left_out(store: Store, name: str, namespace: str, selector: dict[str, str],
              selected: list[dict]) -> str | None:
    """Running pods with the selector's keys but other values (app=web-canary for app=web):
    the likeliest pods the player means the Service to reach."""
    chosen = {p["metadata"]["name"] for p in selected}
    near = [p for p in store.list("Pod", namespace, copy=False)
            if p["metadata"]["name"] not in chosen and not p["metadata"].get("deletionTimestamp")
            and all(k in labels_of(p) for k in selector)
            and any(labels_of(p)[k] != v for k, v in selector.items())]
    if not near:
        return None
    shown = "; ".join(f"{p['metadata']['name']} ({_labels_text(p)})" for p in near[:2])
    wants = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
    return f"Service {name} selects {wants}, so it leaves out {shown}{' and more' if len(near) > 2 else ''}."


def _adopted(store: Store, selector: dict[str, str], selected: list[dict]) -> str | None:
    """A controller of the selected pods that also counts a pod the Service does not select
    (it adopted a pod its selector matches): it runs that many fewer of its own."""
    ns = selected[0]["metadata"].get("namespace")
    for rs in store.list("ReplicaSet", ns, copy=False):
        uid = rs["metadata"]["uid"]
        owned = [p for p in store.list("Pod", ns, copy=False) if not p["metadata"].get("deletionTimestamp")
                 and any(r.get("uid") == uid for r in p["metadata"].get("ownerReferences") or [])]
        if not any(p in selected for p in owned):
            continue
        strangers = [p for p in owned if not all(labels_of(p).get(k) == v for k, v in selector.items())]
        if strangers:
            sel = selector_text((rs.get("spec") or {}).get("selector"))
            names = ", ".join(p["metadata"]["name"] for p in strangers)
            return (f"ReplicaSet {rs['metadata']['name']} counts {names} among its "
                    f"{(rs.get('spec') or {}).get('replicas', 1)} replicas — its selector {sel} matches "
                    f"{'that pod' if len(strangers) == 1 else 'those pods'}, so it adopted "
                    f"{'it' if len(strangers) == 1 else 'them'} — and runs that many fewer of its own.")
    return None


def _bare_pods(pods: list[dict]) -> str | None:
    bare = [p["metadata"]["name"] for p in pods if not p["metadata"].get("ownerReferences")]
    if not bare:
        return None
    return (f"{'Pod ' + bare[0] + ' has' if len(bare) == 1 else 'Pods ' + ', '.join(bare) + ' have'} "
            "no controller (no ownerReferences): a pod that goes is not replaced.")


def _pods_elsewhere(store: Store, namespace: str, selector: dict[str, str]) -> str:
    """'2 pods with them are in namespace default', or '' when no other namespace has any."""
    by_ns: dict[str, int] = {}
    for p in store.list("Pod", None, from_set(selector), copy=False):
        ns = str(p["metadata"].get("namespace"))
        if ns != namespace and not p["metadata"].get("deletionTimestamp"):
            by_ns[ns] = by_ns.get(ns, 0) + 1
    return ", ".join(f"{plural(n, 'pod')} with them {'is' if n == 1 else 'are'} in namespace {ns}"
                     for ns, n in sorted(by_ns.items()))


def _partial_matches(store: Store, name: str, namespace: str, selector: dict[str, str],
                     selected: list[dict]) -> str | None:
    """Pods that match some of a Service's selector but not all of it: a selector is an AND."""
    if len(selector) < 2:
        return None
    chosen = {p["metadata"]["name"] for p in selected}
    partial = [p for p in store.list("Pod", namespace, copy=False)
               if p["metadata"]["name"] not in chosen and not p["metadata"].get("deletionTimestamp")
               and any(labels_of(p).get(k) == v for k, v in selector.items())]
    if not partial:
        return None
    shown = "; ".join(f"{p['metadata']['name']} ({_labels_text(p)})" for p in partial[:2])
    more = f" and {len(partial) - 2} more" if len(partial) > 2 else ""
    return (f"Service {name} selects {plural(len(selected), 'pod')}: a pod needs every label of the "
            f"selector. {plural(len(partial), 'pod')} match{'es' if len(partial) == 1 else ''} only part of it: "
            f"{shown}{more}.")


def _replicas_sentence(store: Store, pods: list[dict]) -> str | None:
    """What the Deployment behind these pods asks for: its replicas are the desired state."""
    asked = []
    for d in store.list("Deployment", pods[0]["metadata"].get("namespace") if pods else None, copy=False):
        sel = ((d.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        if sel and any(all(labels_of(p).get(k) == v for k, v in sel.items()) for p in pods):
            n = int((d.get("spec") or {}).get("replicas", 1))
            asked.append(f"Deployment {d['metadata']['name']} asks for {plural(n, 'replica')} (spec.replicas)")
    if not asked:
        return None
    return "; ".join(asked) + ": the cluster keeps exactly that many."


def explain_unchecked_path(ctx: ExplainContext, name: str, namespace: str, path: str) -> list[str]:
    """Ready pods that answer an error on `path`: does any probe of theirs ask that path?"""
    pods = [p for p in _service_pods(ctx, name, namespace)[1] if is_ready(p)]
    if not pods:
        return []
    asked = {(kind, (c.get(kind) or {}).get("httpGet", {}).get("path"))
             for p in pods for c in (p.get("spec") or {}).get("containers") or []
             for kind in ("livenessProbe", "readinessProbe", "startupProbe") if c.get(kind)}
    who = f"{plural(len(pods), 'pod')} behind Service {name}"
    if not asked:
        return [f"The {who} are Ready and have no probe: nothing asks them GET {path}, so nothing "
                "takes them out of the Service or restarts them when it fails."]
    on_path = sorted(kind for kind, p in asked if p == path)
    if not on_path:
        probes = ", ".join(sorted(f"{kind} (GET {p})" if p else kind for kind, p in asked))
        return [f"The {who} are Ready; their probes — {probes} — do not ask GET {path}."]
    return []


def explain_answer(ctx: ExplainContext, name: str, namespace: str) -> list[str]:
    """Why pods answer something else: where their words come from, and when they are read."""
    selector, pods = _service_pods(ctx, name, namespace)
    if not selector:
        return []
    sources: list[str] = []
    for p in pods:
        for c in (p.get("spec") or {}).get("containers") or []:
            for env in c.get("env") or []:
                ref = (env.get("valueFrom") or {})
                for key, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
                    if key in ref:
                        sources.append(f"{env.get('name')} from {kind} {ref[key].get('name')}")
            for src in c.get("envFrom") or []:
                for key, kind in (("secretRef", "Secret"), ("configMapRef", "ConfigMap")):
                    if key in src:
                        sources.append(f"their environment from {kind} {src[key].get('name')}")
    if sources:
        unique = sorted(set(sources))
        return [f"The pods read {', '.join(unique)} once, when their containers start: "
                "a change made after that reaches only containers started later."]
    images = sorted({str(c.get("image")) for p in pods for c in (p.get("spec") or {}).get("containers") or []})
    sel = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
    run = f"{plural(len(pods), 'pod')}, running {', '.join(images)}" if pods else "no pod"
    return [f"Service {name} selects {sel}: {run}. What a pod answers comes from its image "
            "and its environment (env:), read when its containers start."]


def _listening_ports(pod: dict) -> set[int]:
    from engine.images.catalog import find_image

    ports: set[int] = set()
    for c in (pod.get("spec") or {}).get("containers") or []:
        ports.update(int(p["containerPort"]) for p in c.get("ports") or [] if "containerPort" in p)
        image = find_image(str(c.get("image", "")))
        if image is not None:
            ports.update(image.ports)
    return ports


def _port_mismatch(spec: dict, pods: list[dict], port: Any) -> str | None:
    """A targetPort no selected pod listens on (the classic 80 vs 8080), or a named one
    that no selected pod's container port is called."""
    for p in spec.get("ports") or []:
        if port is not None and p.get("port") != port:
            continue
        target = p.get("targetPort", p.get("port"))
        if isinstance(target, str):
            names = {str(cp.get("name")) for pod in pods for c in (pod.get("spec") or {}).get("containers") or []
                     for cp in c.get("ports") or [] if cp.get("name")}
            if target not in names:
                have = f" (theirs: {', '.join(sorted(names))})" if names else " (their ports have no names)"
                return (f"port {p.get('port')} sends traffic to targetPort {target!r}, a container port "
                        f"name that none of the selected pods has{have}.")
            continue
        if not isinstance(target, int):
            continue
        listening = set().union(*(_listening_ports(pod) for pod in pods))
        if listening and target not in listening:
            return (f"port {p.get('port')} sends traffic to targetPort {target}, but the pods listen "
                    f"on {', '.join(map(str, sorted(listening)))}.")
    return None


def explain_pods(ctx: ExplainContext, check: Pods) -> list[str]:
    spec, ns = check.spec, check.namespace
    pods, kept = check.matching(CheckContext(ctx.store, ctx.store.clock))
    if not pods:
        sel = spec.get("selector") or {}
        plain = {str(k): str(v) for k, v in sel.items()} if "matchLabels" not in sel and \
            "matchExpressions" not in sel else dict(sel.get("matchLabels") or {})
        first = f"No pod in namespace {ns} matches {selector_text(sel)}."
        elsewhere = _pods_elsewhere(ctx.store, ns, plain) if plain else ""
        if elsewhere:
            return [f"{first[:-1]}; {elsewhere}."]
        return [first, _nearest_sentence(ctx.store, ns, plain)] if plain else [first]
    others = [p for p in pods if p not in kept]
    if "max" in spec and len(kept) > int(spec["max"]) or "count" in spec and len(kept) > int(spec["count"]):
        where = f" on {spec['node']}" if "node" in spec else ""
        owners = sorted({_owner_chain(ctx.store, p) or "no controller" for p in kept})
        return [f"{plural(len(kept), 'such pod')} run{'s' if len(kept) == 1 else ''}{where}, more than wanted; "
                f"they belong to {', '.join(owners)}."]
    if "node" in spec and len(kept) < int(spec.get("count") or spec.get("min") or 1):
        return _placement(ctx, pods, str(spec["node"]))
    if "maxRestarts" in spec:
        restarted = [s for s in (_restarted(ctx.store, p) for p in kept) if s]
        if restarted:
            return restarted
    found = _unready_sentences(ctx, others or kept)
    if not found and ("count" in spec or "min" in spec):
        found = [s for s in (_replicas_sentence(ctx.store, kept or pods), _bare_pods(kept or pods)) if s]
    return found


UNSCHEDULED = ""


def _placement(ctx: ExplainContext, pods: list[dict], node_name: str) -> list[str]:
    """Where the pods are instead of on `node_name`, and what keeps them off it."""
    where: dict[str, int] = {}
    for p in pods:
        n = str((p.get("spec") or {}).get("nodeName") or UNSCHEDULED)
        where[n] = where.get(n, 0) + 1
    elsewhere = ", ".join(f"{n} not scheduled yet" if node == UNSCHEDULED else f"{n} on {node}"
                          for node, n in sorted(where.items()) if node != node_name)
    sentences = [f"The matching pods: {elsewhere}." if elsewhere else
                 f"The matching pods on {node_name} are not Ready."]
    node = ctx.store.try_get("Node", node_name, copy=False)
    if node is None:
        sentences.append(f"There is no node {node_name} (yet).")
        return sentences
    taints = [t for t in (node.get("spec") or {}).get("taints") or [] if t.get("effect") in ("NoSchedule", "NoExecute")]
    if taints:
        shown = ", ".join(f"{t.get('key')}={t.get('value', '')}:{t.get('effect')}" for t in taints)
        sentences.append(f"Node {node_name} has the taint {shown}: only pods that tolerate it land there.")
        near = _near_tolerations(pods, taints)
        if near:
            sentences.append(near)
    elif not where.get(node_name):
        reasons = [diagnose_pod(ctx, p) for p in pods if not (p.get("spec") or {}).get("nodeName")]
        sentences += [r for r in reasons[:1] if r]
    return sentences


def _near_tolerations(pods: list[dict], taints: list[dict]) -> str | None:
    """A toleration with the taint's key but another value or effect: close, not a match."""
    for t in taints:
        for p in pods:
            for tol in (p.get("spec") or {}).get("tolerations") or []:
                if tol.get("key") != t.get("key") or tol.get("operator") == "Exists":
                    continue
                if tol.get("value") != t.get("value") or tol.get("effect") not in (None, "", t.get("effect")):
                    return (f"The pods tolerate {tol.get('key')}={tol.get('value', '')}:{tol.get('effect') or '*'}"
                            f", not the node's {t.get('key')}={t.get('value', '')}:{t.get('effect')}.")
    return None


def _restarted(store: Store, pod: dict) -> str | None:
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        term = (cs.get("lastState") or {}).get("terminated")
        if int(cs.get("restartCount") or 0) and term:
            policy = (pod.get("spec") or {}).get("restartPolicy", "Always")
            owner = _owner_chain(store, pod)
            of = f"; the pod belongs to {owner}" if owner else ""
            return (f"Pod {pod['metadata']['name']}: container {cs.get('name')} last exited with code "
                    f"{term.get('exitCode')} ({term.get('reason', 'Error')}) and was started again "
                    f"(restartPolicy: {policy}){of}.")
    return None


def _owner_chain(store: Store, obj: dict) -> str:
    """'ReplicaSet report-6dcd of Deployment report': who keeps this pod."""
    chain = []
    ns = obj["metadata"].get("namespace")
    for _ in range(3):
        refs = [r for r in obj["metadata"].get("ownerReferences") or [] if r.get("controller")]
        if not refs:
            break
        chain.append(f"{refs[0].get('kind')} {refs[0].get('name')}")
        obj = store.try_get(str(refs[0].get("kind")), str(refs[0].get("name")), ns, copy=False) or {"metadata": {}}
    return " of ".join(chain)


def _resolve(value: Any, replicas: int, round_up: bool) -> int:
    if isinstance(value, str) and value.endswith("%"):
        scaled = float(value[:-1]) * replicas / 100
        return math.ceil(scaled) if round_up else math.floor(scaled)
    return int(value)


def explain_rollout(ctx: ExplainContext, name: str, namespace: str) -> list[str]:
    d = ctx.store.try_get("Deployment", name, namespace, copy=False)
    if d is None:
        return [f"There is no Deployment named {name} in namespace {namespace}."]
    owned = [rs for rs in ctx.store.owned_by(d["metadata"]["uid"], "ReplicaSet") if rs]
    if not owned:
        return []
    newest = max(owned, key=lambda rs: int(((rs["metadata"].get("annotations") or {}).get(REVISION)) or 0))
    sel = (newest.get("spec") or {}).get("selector") or {}
    new_pods = live_pods(ctx.store, namespace, sel)
    stuck = [p for p in new_pods if not is_ready(p)]
    sentences: list[str] = []
    progressing = get_condition(d, "Progressing") or {}
    if progressing.get("reason") == "ProgressDeadlineExceeded":
        sentences.append(f"Deployment {name} exceeded its progress deadline.")
    if stuck:
        spec = d.get("spec") or {}
        replicas = int(spec.get("replicas", 1))
        rolling = (spec.get("strategy") or {}).get("rollingUpdate") or {}
        unavailable = _resolve(rolling.get("maxUnavailable", "25%"), replicas, False)
        surge = _resolve(rolling.get("maxSurge", "25%"), replicas, True)
        if unavailable == 0 and surge == 0:
            unavailable = 1
        old = sum(int((rs.get("status") or {}).get("replicas") or 0) for rs in owned if rs is not newest)
        why = diagnose_pod(ctx, stuck[0]) or f"Pod {stuck[0]['metadata']['name']} is not Ready."
        if old:
            sentences.append(
                f"The rollout of {name} is stuck: {plural(len(stuck), 'new pod')} not Ready, and with "
                f"maxUnavailable={rolling.get('maxUnavailable', '25%')} ({unavailable}) and "
                f"maxSurge={rolling.get('maxSurge', '25%')} ({surge}) it keeps "
                f"{plural(old, 'old pod')} until the new ones are Ready.")
        else:
            sentences.append(f"Deployment {name}: {plural(len(stuck), 'pod')} not Ready.")
        sentences.append(why)
    return sentences

