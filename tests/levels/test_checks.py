"""Each check type against a hand-populated store, on a virtual clock."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kubequest.levels.checks import CheckContext, compile_check, get_field

from .conftest import add_pod


def ev(ctx, spec: dict):
    return compile_check(spec).evaluate(ctx)


def deployment(store, name="web", *, replicas=3, image="kubequest/web:1.0", status=None,
               annotations=None) -> dict:
    d = store.create({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "annotations": annotations or {}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "web", "image": image}]}}},
    }, validate=False)
    if status is not None:
        d["status"] = {"observedGeneration": d["metadata"]["generation"], **status}
        d = store.update_status(d)
    return d


def service(store, name="web", selector=None, ports=None) -> dict:
    return store.create({
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
        "spec": {"selector": selector or {"app": "web"},
                 "ports": ports or [{"port": 80, "targetPort": 8080}]},
    }, validate=False)


def endpoints(store, name="web", ips=(), not_ready=()) -> dict:
    subset = {"addresses": [{"ip": ip} for ip in ips], "ports": [{"port": 8080}]}
    if not_ready:
        subset["notReadyAddresses"] = [{"ip": ip} for ip in not_ready]
    return store.create({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": name},
                         "subsets": [subset]}, validate=False)


# ---- exists / absent / field -----------------------------------------------------------


def test_exists_and_absent(ctx, store):
    spec = {"type": "exists", "kind": "Deployment", "name": "web"}
    assert ev(ctx, spec) == (False, "Deployment web does not exist")
    assert ev(ctx, {**spec, "type": "absent"}).ok
    deployment(store)
    assert ev(ctx, spec) == (True, "Deployment web exists")
    assert not ev(ctx, {**spec, "type": "absent"}).ok
    # kinds by any name kubectl knows; namespaces apart
    assert ev(ctx, {"type": "exists", "kind": "deploy", "name": "web"}).ok
    assert not ev(ctx, {**spec, "namespace": "kube-system"}).ok
    assert ev(ctx, {"type": "exists", "kind": "Namespace", "name": "kube-system"}).ok


def test_get_field_paths():
    obj = {"spec": {"containers": [{"image": "a"}, {"image": "b"}]},
           "metadata": {"annotations": {"deployment.kubernetes.io/revision": "2"}}}
    assert get_field(obj, "spec.containers[1].image") == (True, "b")
    assert get_field(obj, "spec.containers[2].image") == (False, None)
    assert get_field(obj, "metadata.annotations.deployment.kubernetes.io/revision") == (True, "2")
    assert get_field(obj, "spec.nope") == (False, None)


@pytest.mark.parametrize("op,value,ok", [
    ("equals", 3, True), ("equals", "3", True), ("equals", 2, False),
    ("notEquals", 2, True), ("notEquals", 3, False),
    ("gte", 3, True), ("gte", 4, False), ("lte", 3, True), ("lte", 2, False),
    ("exists", True, True), ("exists", False, False),
])
def test_field_operators_on_a_number(ctx, store, op, value, ok):
    deployment(store, replicas=3)
    spec = {"type": "field", "kind": "Deployment", "name": "web", "path": "spec.replicas", op: value}
    assert ev(ctx, spec).ok is ok


def test_field_contains_lists_strings_and_maps(ctx, store):
    deployment(store, image="kubequest/web:2.1")
    base = {"type": "field", "kind": "Deployment", "name": "web"}
    image = {**base, "path": "spec.template.spec.containers[0].image"}
    assert ev(ctx, {**image, "contains": "2.1"}).ok
    assert not ev(ctx, {**image, "contains": "2.0"}).ok
    assert ev(ctx, {**base, "path": "spec.template.metadata.labels", "contains": "app"}).ok
    assert ev(ctx, {**base, "path": "spec.template.spec.containers", "contains":
                    {"name": "web", "image": "kubequest/web:2.1"}}).ok
    assert ev(ctx, {**base, "path": "spec.template.spec.containers", "contains": {"name": "web"}}).ok
    assert not ev(ctx, {**base, "path": "spec.template.spec.containers", "contains": {"name": "db"}}).ok
    missing = {**base, "path": "spec.template.spec.containers[0].env"}
    assert ev(ctx, {**missing, "exists": False}) == (True, "Deployment web spec.template.spec.containers[0].env is not set")
    assert not ev(ctx, {**missing, "equals": "x"}).ok
    assert not ev(ctx, {**base, "name": "nope", "path": "spec", "exists": True}).ok


# ---- pods ------------------------------------------------------------------------------


def test_pods_counts_and_filters(ctx, store):
    add_pod(store, "web-1")
    add_pod(store, "web-2", ready=False)
    add_pod(store, "web-3", node="node-2")
    add_pod(store, "db-1", {"app": "db"})
    sel = {"type": "pods", "selector": {"app": "web"}}
    assert ev(ctx, sel) == (True, "3 pods app=web (wanted at least 1)")
    assert ev(ctx, {**sel, "count": 3}).ok and not ev(ctx, {**sel, "count": 2}).ok
    assert not ev(ctx, {**sel, "max": 2}).ok and ev(ctx, {**sel, "min": 3, "max": 3}).ok
    ready = ev(ctx, {**sel, "ready": True, "count": 3})
    assert ready == (False, "2 of 3 pods app=web are ready (wanted exactly 3)")
    assert ev(ctx, {**sel, "ready": False, "count": 1}).ok
    assert ev(ctx, {**sel, "node": "node-2", "count": 1}).ok
    assert ev(ctx, {**sel, "image": "kubequest/web:1.0", "count": 3}).ok
    assert not ev(ctx, {**sel, "image": "kubequest/web:2.0"}).ok
    assert ev(ctx, {**sel, "phase": "Running", "count": 3}).ok
    assert not ev(ctx, {**sel, "phase": "Succeeded"}).ok
    assert ev(ctx, {"type": "pods", "selector": {}, "count": 4}).ok
    assert not ev(ctx, {**sel, "namespace": "kube-system"}).ok


def test_pods_match_expressions(ctx, store):
    add_pod(store, "a", {"app": "web", "track": "stable"})
    add_pod(store, "b", {"app": "web", "track": "canary"})
    add_pod(store, "c", {"app": "web"})
    spec = {"type": "pods", "selector": {"matchLabels": {"app": "web"}, "matchExpressions": [
        {"key": "track", "operator": "NotIn", "values": ["canary"]}]}, "count": 2}
    assert ev(ctx, spec).ok
    spec["selector"]["matchExpressions"][0]["operator"] = "Exists"
    spec["selector"]["matchExpressions"][0].pop("values")
    assert ev(ctx, spec).ok


def test_pods_being_deleted_do_not_count(ctx, store):
    add_pod(store, "web-1")
    store.delete("Pod", "web-1")  # on a node: marked, its kubelet finishes the deletion
    assert store.try_get("Pod", "web-1") is not None
    assert not ev(ctx, {"type": "pods", "selector": {"app": "web"}}).ok


def test_pods_max_restarts(ctx, store):
    add_pod(store, "web-1", restarts=0)
    add_pod(store, "web-2", restarts=4)
    result = ev(ctx, {"type": "pods", "selector": {"app": "web"}, "maxRestarts": 2})
    assert not result.ok and "web-2 restarted 4 times" in result.detail
    assert ev(ctx, {"type": "pods", "selector": {"app": "web"}, "maxRestarts": 4}).ok


# ---- endpoints -------------------------------------------------------------------------


def test_endpoints(ctx, store):
    spec = {"type": "endpoints", "service": "web", "min": 2}
    assert ev(ctx, spec) == (False, "Service web does not exist")
    service(store)
    assert ev(ctx, spec) == (False, "Service web has 0 ready endpoints (wanted at least 2)")
    endpoints(store, ips=["10.0.0.1", "10.0.0.2"], not_ready=["10.0.0.3"])
    assert ev(ctx, spec) == (True, "Service web has 2 ready endpoints (wanted at least 2)")
    assert not ev(ctx, {**spec, "min": 3}).ok
    assert ev(ctx, {"type": "endpoints", "service": "web", "count": 2}).ok


# ---- http ------------------------------------------------------------------------------


class FakeProxy:
    def __init__(self, address):
        self.address = address
        self.asked = []
        self.backends = [("10.0.0.1", 8080, "web-1")]

    def address_of(self, service, namespace="default", port=None):
        self.asked.append((service, namespace, port))
        return self.address

    def backends_of(self, service, namespace="default"):
        return self.backends


@pytest.fixture
def web_server():
    """A real HTTP server answering as the web image would, round-robin over three pods."""
    counter = {"n": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            counter["n"] += 1
            if self.path == "/missing":
                self.send_response(404)
                self.end_headers()
                self.wfile.write(b"not found\n")
                return
            body = f"web 1.0 hello from web-{counter['n'] % 3}\n".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address
    server.shutdown()
    server.server_close()


def test_http_through_the_proxy_address(store, clock, web_server):
    service(store)
    proxy = FakeProxy(web_server)
    ctx = CheckContext(store=store, clock=clock, proxy=proxy)
    ok = ev(ctx, {"type": "http", "service": "web", "port": 80,
                  "expect": {"status": 200, "bodyContains": "web 1.0", "distinctBackends": 3}})
    assert ok == (True, "GET / through Service web answers 200 with 'web 1.0' from 3 pods")
    assert proxy.asked[-1] == ("web", "default", 80)
    wrong = ev(ctx, {"type": "http", "service": "web", "expect": {"bodyContains": "web 2.0"}})
    assert wrong == (False, "GET / through Service web answered 'web 1.0 hello from web-1', without 'web 2.0'")
    missing = ev(ctx, {"type": "http", "service": "web", "path": "/missing"})
    assert missing == (False, "GET /missing through Service web answered 404 'not found' (wanted 200)")


def test_http_counts_distinct_backends(store, clock):
    service(store)
    answers = iter(["web 1.0 from a", "web 1.0 from a", "web 1.0 from b", "web 1.0 from a"] * 3)
    ctx = CheckContext(store=store, clock=clock, proxy=FakeProxy(("127.0.0.1", 1)),
                       http_get=lambda h, p, path, t: (200, next(answers)))
    result = ev(ctx, {"type": "http", "service": "web", "expect": {"distinctBackends": 3}})
    assert result == (False, "6 requests to Service web reached 2 pods (wanted 3 different ones)")


def test_http_without_service_or_answer(store, clock):
    ctx = CheckContext(store=store, clock=clock, proxy=FakeProxy(None))
    assert ev(ctx, {"type": "http", "service": "web"}) == (False, "Service web does not exist")
    service(store)
    assert not ev(ctx, {"type": "http", "service": "web"}).ok

    def refuse(*args):
        raise ConnectionRefusedError("Connection refused")

    proxy = FakeProxy(("127.0.0.1", 1))
    ctx = CheckContext(store=store, clock=clock, proxy=proxy, http_get=refuse)
    result = ev(ctx, {"type": "http", "service": "web"})
    assert result == (False, "GET / through Service web: no answer (connection refused)")

    def hang_up(*args):
        raise ConnectionResetError(104, "Connection reset by peer")

    ctx = CheckContext(store=store, clock=clock, proxy=proxy, http_get=hang_up)
    assert ev(ctx, {"type": "http", "service": "web"}) == \
        (False, "GET / through Service web: no answer (the connection was closed without a reply)")
    proxy.backends = []  # said in the learner's words, not the socket's
    ctx = CheckContext(store=store, clock=clock, proxy=proxy, http_get=hang_up)
    assert ev(ctx, {"type": "http", "service": "web"}) == \
        (False, "GET / through Service web: no answer (the Service has no ready endpoints)")


def test_http_asks_again_only_when_cluster_or_clock_moved(store, clock):
    service(store)
    calls = []
    ctx = CheckContext(store=store, clock=clock, proxy=FakeProxy(("127.0.0.1", 1)),
                       http_get=lambda *a: calls.append(a) or (200, "web 1.0 from a"))
    check = compile_check({"type": "http", "service": "web"})
    check.evaluate(ctx)
    check.evaluate(ctx)
    assert len(calls) == 1
    clock.advance(1)
    check.evaluate(ctx)
    assert len(calls) == 2


def test_http_on_a_wall_clock_asks_at_most_once_a_second(store):
    class Wall:
        virtual = False
        t = 1000.0

        def now(self):
            return self.t

    wall, calls = Wall(), []
    service(store)
    ctx = CheckContext(store=store, clock=wall, proxy=FakeProxy(("127.0.0.1", 1)),
                       http_get=lambda *a: calls.append(a) or (200, "web 1.0 from a"))
    check = compile_check({"type": "http", "service": "web"})
    check.evaluate(ctx)
    wall.t += 0.5
    check.evaluate(ctx)
    assert len(calls) == 1
    wall.t += 0.6
    check.evaluate(ctx)
    assert len(calls) == 2
    service(store, name="other")  # the cluster changed: ask at once
    check.evaluate(ctx)
    assert len(calls) == 3


# ---- rollout ---------------------------------------------------------------------------


def test_rollout(ctx, store):
    spec = {"type": "rollout", "deployment": "web"}
    assert ev(ctx, spec) == (False, "Deployment web does not exist")
    deployment(store, status={"replicas": 4, "updatedReplicas": 2, "readyReplicas": 3})
    assert ev(ctx, spec) == (False, 'deployment "web": 2 out of 3 new replicas have been updated')
    store.delete("Deployment", "web")
    deployment(store, status={"replicas": 4, "updatedReplicas": 3, "readyReplicas": 3})
    assert ev(ctx, spec) == (False, 'deployment "web": 1 old replicas are pending termination')
    store.delete("Deployment", "web")
    deployment(store, status={"replicas": 3, "updatedReplicas": 3, "readyReplicas": 2})
    assert ev(ctx, spec) == (False, 'deployment "web": 2 of 3 updated replicas are ready')
    store.delete("Deployment", "web")
    deployment(store, image="kubequest/web:2.0", annotations={"deployment.kubernetes.io/revision": "2"},
               status={"replicas": 3, "updatedReplicas": 3, "readyReplicas": 3})
    assert ev(ctx, spec) == (True, 'deployment "web" successfully rolled out (revision 2)')
    assert ev(ctx, {**spec, "image": "kubequest/web:2.0", "revision": 2}).ok
    assert ev(ctx, {**spec, "image": "kubequest/web:1.0"}) == (
        False, "Deployment web runs kubequest/web:2.0, not kubequest/web:1.0")
    assert not ev(ctx, {**spec, "revision": 3}).ok


def test_rollout_waits_for_the_new_generation(ctx, store):
    d = deployment(store, status={"replicas": 3, "updatedReplicas": 3, "readyReplicas": 3})
    d["spec"]["replicas"] = 5
    store.update(d, validate=False)
    assert "to be observed" in ev(ctx, {"type": "rollout", "deployment": "web"}).detail


# ---- event -----------------------------------------------------------------------------


def record(store, reason, kind="Pod", name="web-1", message="it happened"):
    return store.create({
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": f"{name}.{store.random_suffix(8)}", "namespace": "default"},
        "involvedObject": {"kind": kind, "name": name, "namespace": "default"},
        "reason": reason, "message": message, "type": "Normal", "count": 1,
    }, validate=False)


def test_event_counts_only_since_the_level_started(store, clock):
    record(store, "Killing")  # before the level
    ctx = CheckContext(store=store, clock=clock, start_rv=store.resource_version)
    spec = {"type": "event", "reason": "Killing"}
    assert ev(ctx, spec) == (False, "no Killing event since the level started")
    assert ev(ctx, {**spec, "happened": False}).ok
    record(store, "Killing", message="Stopping container web")
    assert ev(ctx, spec) == (True, "a Killing event was recorded: Stopping container web")
    assert not ev(ctx, {**spec, "happened": False}).ok
    assert ev(ctx, {**spec, "kind": "Pod", "name": "web-*"}).ok
    assert not ev(ctx, {**spec, "kind": "Node"}).ok
    assert not ev(ctx, {**spec, "name": "db-*"}).ok


# ---- stable / survives / all / any / not --------------------------------------------


def test_stable_needs_an_unbroken_stretch(store, clock):
    wakes = []
    ctx = CheckContext(store=store, clock=clock, wake_at=wakes.append)
    check = compile_check({"type": "stable", "seconds": "30s",
                           "check": {"type": "pods", "selector": {"app": "web"}}})
    add_pod(store, "web-1")
    start = clock.now()
    assert not check.evaluate(ctx).ok
    assert wakes == [start + 30]
    clock.advance(20)
    assert check.evaluate(ctx).detail.endswith("for 20s of the 30s needed")
    store.delete("Pod", "web-1", grace_period_seconds=0)  # a break
    assert not check.evaluate(ctx).ok
    add_pod(store, "web-2")
    clock.advance(1)
    assert not check.evaluate(ctx).ok
    clock.advance(29)
    result = check.evaluate(ctx)
    assert not result.ok
    assert result.detail == ("1 pod app=web (wanted at least 1), for 29s of the 30s needed "
                             "(before that: no pod app=web (wanted at least 1))")  # the break it restarted on
    clock.advance(1)
    result = check.evaluate(ctx)
    assert result.ok and result.detail.endswith("for 30s now")


class FakeActor:
    """perform() as the session offers it, but run by hand."""

    def __init__(self):
        self.queued = []

    def __call__(self, action, done):
        self.queued.append((action, done))

    def run(self, what="deleted pod web-1", ok=True):
        action, done = self.queued.pop(0)
        done(what, ok)
        return action


def survives_spec(within=60):
    return {"type": "survives", "action": {"type": "deletePod", "selector": {"app": "web"}},
            "withinSeconds": within, "then": {"type": "pods", "selector": {"app": "web"}, "count": 2}}


def test_survives_acts_then_waits_for_the_check(store, clock):
    actor, wakes = FakeActor(), []
    ctx = CheckContext(store=store, clock=clock, perform=actor, wake_at=wakes.append)
    check = compile_check(survives_spec())
    add_pod(store, "web-1")
    assert not check.evaluate(ctx).ok and not check.pending  # nested check not holding: no action
    add_pod(store, "web-2")
    result = check.evaluate(ctx)
    assert not result.ok and check.pending and "the game will delete 1 pod app=web" in result.detail
    check.trigger(ctx)
    assert "about to delete" in check.evaluate(ctx).detail
    store.delete("Pod", "web-1", grace_period_seconds=0)
    assert actor.run()["type"] == "deletePod"
    assert wakes == [clock.now() + 60]
    clock.advance(10)
    assert "(50s left)" in check.evaluate(ctx).detail
    add_pod(store, "web-3")
    clock.advance(5)
    result = check.evaluate(ctx)
    assert result.ok and "15s later" in result.detail
    store.delete("Pod", "web-3", grace_period_seconds=0)
    assert check.evaluate(ctx).ok  # it survived once: that is what was asked


def test_survives_fails_when_not_back_in_time(store, clock):
    actor = FakeActor()
    ctx = CheckContext(store=store, clock=clock, perform=actor)
    check = compile_check(survives_spec(within=30))
    add_pod(store, "web-1")
    add_pod(store, "web-2")
    check.evaluate(ctx)
    check.trigger(ctx)
    store.delete("Pod", "web-1", grace_period_seconds=0)
    actor.run()
    clock.advance(30)
    result = check.evaluate(ctx)
    assert not result.ok and "30s later: 1 pod app=web (wanted exactly 2). Your next change to the cluster tries again" in result.detail
    add_pod(store, "web-3")
    assert not check.evaluate(ctx).ok  # failed for good, until the session resets it
    check.reset()
    assert not check.evaluate(ctx).ok and check.pending


def test_survives_reports_an_action_that_could_not_be_done(store, clock):
    actor = FakeActor()
    ctx = CheckContext(store=store, clock=clock, perform=actor)
    check = compile_check(survives_spec())
    add_pod(store, "web-1")
    add_pod(store, "web-2")
    check.evaluate(ctx)
    check.trigger(ctx)
    actor.run("no pod matches app=web", ok=False)
    assert check.evaluate(ctx) == (False, "the game could not delete 1 pod app=web: no pod matches app=web")


def test_all_any_not(ctx, store):
    add_pod(store, "web-1")
    yes = {"type": "pods", "selector": {"app": "web"}}
    no = {"type": "exists", "kind": "Service", "name": "web"}
    assert ev(ctx, {"type": "all", "checks": [yes, yes]}).ok
    assert ev(ctx, {"type": "all", "checks": [yes, no]}) == (False, "Service web does not exist")
    assert ev(ctx, {"type": "any", "checks": [no, yes]}).ok
    assert not ev(ctx, {"type": "any", "checks": [no, no]}).ok
    assert ev(ctx, {"type": "not", "check": no}) == (True, "Service web does not exist")
    assert not ev(ctx, {"type": "not", "check": yes}).ok


def test_not_says_what_it_found_without_the_inner_checks_wish(ctx, store):
    add_pod(store, "debug", {"app": "debug"})
    result = ev(ctx, {"type": "not", "check": {"type": "pods", "selector": {"app": "debug"}, "min": 1}})
    assert result == (False, "1 pod app=debug (wanted: not so)")
    store.delete("Pod", "debug", "default")
    assert ev(ctx, {"type": "not", "check": {"type": "pods", "selector": {"app": "debug"}, "min": 1}}) \
        == (True, "no pod app=debug")


def test_durations_read_as_a_player_reads_them():
    from kubequest.levels.timechecks import secs

    assert [secs(t) for t in (0.829151, 0.04, 4.0, 6.34258, 23.6574, 30)] == \
        ["0.8s", "0s", "4s", "6.3s", "24s", "30s"]


def test_an_event_takes_an(store, clock):
    ctx = CheckContext(store=store, clock=clock)
    assert ev(ctx, {"type": "event", "reason": "Unhealthy", "happened": False}) == \
        (True, "no Unhealthy event since the level started")
    assert ev(ctx, {"type": "event", "reason": "Unhealthy"}).detail == "no Unhealthy event since the level started"
