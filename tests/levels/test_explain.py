""""Why not yet?" sentences, computed from a hand-populated store."""

from __future__ import annotations

from kubequest.levels.checks import compile_check
from kubequest.levels.explain import ExplainContext, diagnose_pod, explain

from .conftest import add_pod
from .test_checks import deployment, record, service


def why(store, spec, logs=None) -> list[str]:
    ctx = ExplainContext(store, logs) if logs else ExplainContext(store)
    return explain(compile_check(spec), ctx)


def crashing(store, name="web-1", *, reason="Error", code=1):
    return add_pod(store, name, ready=False, statuses=[{
        "name": "web", "image": "kubequest/web:2.1", "ready": False, "restartCount": 3,
        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s restarting failed"}},
        "lastState": {"terminated": {"exitCode": code, "reason": reason, "containerID": "sim://dead1"}},
    }])


def test_a_service_selector_matching_no_pod_names_the_nearest_pods(store):
    service(store, selector={"app": "wbe"})
    add_pod(store, "web-1", {"app": "web", "tier": "frontend"})
    add_pod(store, "db-1", {"role": "db"})
    assert why(store, {"type": "endpoints", "service": "web"}) == [
        "Service web selects app=wbe, but no pod has these labels.",
        "Nearest pods: web-1 (app=web,tier=frontend); db-1 (role=db).",
    ]


def test_a_missing_service_and_an_empty_namespace(store):
    assert why(store, {"type": "http", "service": "web"}) == [
        "There is no Service named web in namespace default."]
    service(store)
    assert why(store, {"type": "endpoints", "service": "web"})[1] == \
        "There are no pods at all in namespace default."


def test_endpoints_missing_because_a_readiness_probe_fails(store):
    service(store)
    pod = add_pod(store, "web-1", ready=False, spec_extra={"containers": [{
        "name": "web", "image": "kubequest/web:1.0",
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}}}]})
    record(store, "Unhealthy", name="web-1",
           message="Readiness probe failed: HTTP probe failed with statuscode: 503")
    ev = store.list("Event")[-1]
    ev["involvedObject"]["uid"] = pod["metadata"]["uid"]
    store.update(ev, validate=False)
    sentences = why(store, {"type": "endpoints", "service": "web"})
    assert sentences[0] == "Service web selects 1 pod, 0 of them Ready; only Ready pods become endpoints."
    assert sentences[1] == ("Pod web-1 is running but not Ready: Readiness probe failed: HTTP probe "
                            "failed with statuscode: 503 (the probe tries GET /ready on port 8080).")


def test_crash_loop_with_exit_code_and_last_log_lines(store):
    crashing(store)
    asked = []

    def logs(pod, container, cid):
        asked.append((pod["metadata"]["name"], container, cid))
        return "starting web 2.1\nfatal: DATABASE_URL is not set\n"

    sentences = why(store, {"type": "pods", "selector": {"app": "web"}, "ready": True}, logs)
    assert sentences == [
        ("Pod web-1: container web keeps crashing (CrashLoopBackOff, 3 restarts): it exits with code 1; "
        "its last log lines: 'starting web 2.1 / fatal: DATABASE_URL is not set'.")]
    assert asked == [("web-1", "web", "dead1")]


def test_oom_killed_and_logs_that_fail(store):
    crashing(store, reason="OOMKilled", code=137)

    def broken(*args):
        raise RuntimeError("runtime gone")

    sentence = diagnose_pod(ExplainContext(store, broken), store.get("Pod", "web-1"))
    assert sentence == ("Pod web-1: container web keeps crashing (CrashLoopBackOff, 3 restarts): it was "
                        "killed for using more memory than its limit (OOMKilled).")


def test_image_pull_and_config_errors(store):
    add_pod(store, "web-1", ready=False, statuses=[{"name": "web", "restartCount": 0, "state": {
        "waiting": {"reason": "ImagePullBackOff", "message": 'Back-off pulling image "kubequest/wbe:1.0"'}}}])
    add_pod(store, "web-2", ready=False, statuses=[{"name": "web", "restartCount": 0, "state": {
        "waiting": {"reason": "CreateContainerConfigError",
                    "message": "couldn't find key DATABASE_URL in ConfigMap default/web-config"}}}])
    assert diagnose_pod(ExplainContext(store), store.get("Pod", "web-1")) == (
        'Pod web-1: container web cannot get its image (ImagePullBackOff): Back-off pulling image '
        '"kubequest/wbe:1.0"')
    assert diagnose_pod(ExplainContext(store), store.get("Pod", "web-2")) == (
        "Pod web-2: container web cannot start (CreateContainerConfigError): couldn't find key "
        "DATABASE_URL in ConfigMap default/web-config.")


def test_failed_scheduling_quotes_the_scheduler(store):
    pod = add_pod(store, "web-1", ready=False, node=None, phase="Pending", statuses=[], conditions=[])
    assert diagnose_pod(ExplainContext(store), pod) == \
        "Pod web-1 is waiting for the scheduler to place it on a node."
    record(store, "FailedScheduling", name="web-1",
           message="0/1 nodes are available: 1 Insufficient cpu.")
    ev = store.list("Event")[-1]
    ev["involvedObject"]["uid"] = pod["metadata"]["uid"]
    store.update(ev, validate=False)
    assert diagnose_pod(ExplainContext(store), pod) == \
        "Pod web-1 cannot be scheduled: 0/1 nodes are available: 1 Insufficient cpu."


def test_a_rollout_stuck_on_max_unavailable(store):
    d = deployment(store, status={"replicas": 4, "updatedReplicas": 1, "readyReplicas": 3})
    d["spec"]["strategy"] = {"type": "RollingUpdate",
                             "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}
    d = store.update(d, validate=False)
    owner = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
             "uid": d["metadata"]["uid"], "controller": True}
    for rev, (hash_, replicas) in enumerate([("old", 3), ("new", 1)], start=1):
        rs = store.create({
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": f"web-{hash_}", "ownerReferences": [owner],
                         "annotations": {"deployment.kubernetes.io/revision": str(rev)}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web", "h": hash_}},
                     "template": {"metadata": {"labels": {"app": "web", "h": hash_}},
                                  "spec": {"containers": [{"name": "web", "image": "x"}]}}},
        }, validate=False)
        rs["status"] = {"replicas": replicas}
        store.update_status(rs)
    for i in range(3):
        add_pod(store, f"web-old-{i}", {"app": "web", "h": "old"})
    crashing(store, "web-new-0")
    store.mutate("Pod", "web-new-0", None, lambda p: p["metadata"]["labels"].update(h="new"))
    sentences = why(store, {"type": "rollout", "deployment": "web"})
    assert sentences[0] == ("The rollout of web is stuck: 1 new pod not Ready, and with "
                            "maxUnavailable=0 (0) and maxSurge=1 (1) it keeps 3 old pods until the "
                            "new ones are Ready.")
    assert sentences[1].startswith("Pod web-new-0: container web keeps crashing")


def test_a_target_port_nobody_listens_on(store):
    service(store, ports=[{"port": 80, "targetPort": 80}])
    add_pod(store, "web-1")
    assert why(store, {"type": "http", "service": "web"}) == [
        "Service web: port 80 sends traffic to targetPort 80, but the pods listen on 8080."]


def test_nested_checks_are_explained_and_at_most_two_sentences(store):
    service(store, selector={"app": "wbe"})
    spec = {"type": "all", "checks": [
        {"type": "stable", "seconds": 10, "check": {"type": "endpoints", "service": "web"}},
        {"type": "rollout", "deployment": "nope"}]}
    sentences = why(store, spec)
    assert len(sentences) == 2
    assert sentences[0] == "Service web selects app=wbe, but no pod has these labels."
