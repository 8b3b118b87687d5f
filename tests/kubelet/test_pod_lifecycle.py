"""A pod from creation to Running/Ready, to completion, and its conditions."""

from __future__ import annotations

import http.client

from tests.kubelet.conftest import web


def http_get(h, pod: str, path: str = "/") -> tuple[int, str]:
    rec = h.kubelet.pods[("default", pod)]
    host, port = h.runtime.address(rec.sandbox_id, 8080)
    conn = http.client.HTTPConnection(host, port, timeout=2)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read().decode()
    finally:
        conn.close()


def test_pod_goes_running_and_ready_and_answers(h):
    h.create_pod("web", [web()])
    assert h.run_until(lambda: h.condition("web", "Ready").get("status") == "True", 5)
    st = h.status("web")
    assert st["phase"] == "Running"
    assert st["hostIP"] == "172.18.0.10" and st["hostIPs"] == [{"ip": "172.18.0.10"}]
    assert st["podIP"].startswith("10.244.") and st["podIPs"] == [{"ip": st["podIP"]}]
    assert h.ts(st["startTime"]) == 0
    assert st["qosClass"] == "BestEffort"  # the API server's field is kept
    cs = st["containerStatuses"][0]
    assert cs["name"] == "web" and cs["ready"] is True and cs["started"] is True
    assert cs["restartCount"] == 0 and cs["lastState"] == {}
    assert cs["image"] == "kubequest/web:1.0" and cs["imageID"].startswith("kubequest/web@sha256:")
    assert cs["containerID"].startswith("sim://")
    assert h.ts(cs["state"]["running"]["startedAt"]) == 0
    types = [c["type"] for c in st["conditions"]]
    assert types == ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady",
                     "PodScheduled"]
    assert all(c["status"] == "True" for c in st["conditions"])
    assert [(e["type"], e["reason"], e["message"]) for e in h.events(name="web")] == [
        ("Normal", "Pulled", 'Container image "kubequest/web:1.0" already present on machine'),
        ("Normal", "Created", "Created container: web"),
        ("Normal", "Started", "Started container web"),
    ]
    assert all(e["source"] == {"component": "kubelet", "host": "node-1"} for e in h.events())
    status, body = http_get(h, "web")
    assert status == 200 and body == "web 1.0 hello from web\n"


def test_status_is_written_only_when_it_changes(h):
    h.create_pod("web", [web()])
    h.run_until(lambda: h.running("web"), 5)
    h.advance(1)
    rv = h.store.get("Pod", "web", "default")["metadata"]["resourceVersion"]
    h.kubelet.queue.add(("default", "web"))  # a sync with nothing new to say
    h.loop.settle()
    assert h.store.get("Pod", "web", "default")["metadata"]["resourceVersion"] == rv
    h.advance(60)
    assert h.store.get("Pod", "web", "default")["metadata"]["resourceVersion"] == rv


def test_pending_with_container_creating_while_pulling(h):
    seen = []
    h.store.subscribe(lambda ev: ev.kind == "Pod" and seen.append(
        (ev.object["status"].get("phase"),
         [s["state"] for s in ev.object["status"].get("containerStatuses") or []])))
    h.create_pod("web", [web(imagePullPolicy="Always")])
    h.loop.settle()
    assert seen[1] == ("Pending", [{"waiting": {"reason": "ContainerCreating"}}])
    assert seen[-1][0] == "Running"


def test_worker_completes_and_pod_succeeds(h):
    h.create_pod("job", [{"name": "worker", "image": "kubequest/worker:1.0"}], restartPolicy="Never")
    assert h.run_until(lambda: h.phase("job") == "Succeeded", 30)
    assert h.elapsed() == 3  # WORK_SECONDS defaults to 3
    term = h.container("job")["state"]["terminated"]
    assert term["exitCode"] == 0 and term["reason"] == "Completed"
    assert h.ts(term["finishedAt"]) - h.ts(term["startedAt"]) == 3
    assert h.condition("job", "Ready")["reason"] == "PodCompleted"
    assert h.condition("job", "ContainersReady")["reason"] == "PodCompleted"
    assert h.condition("job", "Initialized")["reason"] == "PodCompleted"
    assert h.condition("job", "PodReadyToStartContainers")["status"] == "False"
    before = h.store.get("Pod", "job", "default")
    h.advance(120)
    assert h.store.get("Pod", "job", "default")["status"] == before["status"]  # kept as it is
    assert "task complete" in h.runtime.logs(h.container_id("job"))  # logs still readable


def test_failed_worker_with_never_fails_the_pod(h):
    h.create_pod("job", [{"name": "worker", "image": "kubequest/worker:1.0",
                          "env": [{"name": "FAIL", "value": "1"}]}], restartPolicy="Never")
    assert h.run_until(lambda: h.phase("job") == "Failed", 30)
    term = h.container("job")["state"]["terminated"]
    assert (term["exitCode"], term["reason"]) == (1, "Error")
    assert h.condition("job", "Ready")["reason"] == "PodFailed"
    assert h.container("job")["restartCount"] == 0


def test_memhog_over_its_limit_is_oom_killed(h):
    h.create_pod("hog", [{"name": "memhog", "image": "kubequest/memhog:1.0",
                          "resources": {"limits": {"memory": "32Mi"}}}], restartPolicy="Never")
    assert h.run_until(lambda: h.phase("hog") == "Failed", 10)
    term = h.container("hog")["state"]["terminated"]
    assert (term["exitCode"], term["reason"]) == (137, "OOMKilled")


def test_memhog_oom_restarts_with_always(h):
    h.create_pod("hog", [{"name": "memhog", "image": "kubequest/memhog:1.0",
                          "resources": {"limits": {"memory": "32Mi"}}}])
    assert h.run_until(lambda: h.waiting_reason("hog") == "CrashLoopBackOff", 10)
    cs = h.container("hog")
    assert cs["lastState"]["terminated"]["reason"] == "OOMKilled"
    assert cs["restartCount"] == 1 and h.phase("hog") == "Running"


def test_memhog_under_a_large_limit_runs(h):
    h.create_pod("hog", [{"name": "memhog", "image": "kubequest/memhog:1.0",
                          "resources": {"limits": {"memory": "128Mi", "cpu": "500m"}}}])
    assert h.run_until(lambda: h.condition("hog", "Ready").get("status") == "True", 10)
    h.advance(30)
    assert h.running("hog")


def test_init_containers_run_in_order_then_the_app(h):
    h.create_pod("app", [web()], initContainers=[
        {"name": "init-a", "image": "kubequest/worker:1.0", "env": [{"name": "WORK_SECONDS", "value": "2"}]},
        {"name": "init-b", "image": "kubequest/worker:1.0", "env": [{"name": "WORK_SECONDS", "value": "5"}]},
    ])
    h.loop.settle()
    assert h.phase("app") == "Pending"
    assert "running" in h.container("app", "init-a", init=True)["state"]
    assert h.waiting_reason("app", "init-b", init=True) == "PodInitializing"
    assert h.waiting_reason("app", "web") == "PodInitializing"
    init = h.condition("app", "Initialized")
    assert (init["status"], init["reason"], init["message"]) == (
        "False", "ContainersNotInitialized", "containers with incomplete status: [init-a init-b]")
    assert h.run_until(lambda: h.condition("app", "Ready").get("status") == "True", 30)
    assert h.elapsed() == 7
    a, b = h.status("app")["initContainerStatuses"]
    assert [a["name"], b["name"]] == ["init-a", "init-b"]
    assert a["state"]["terminated"]["reason"] == b["state"]["terminated"]["reason"] == "Completed"
    assert a["ready"] and b["ready"] and not a["started"]
    assert h.ts(a["state"]["terminated"]["finishedAt"]) == h.ts(b["state"]["terminated"]["startedAt"]) == 2
    assert h.ts(h.container("app", "web")["state"]["running"]["startedAt"]) == 7
    assert h.condition("app", "Initialized")["status"] == "True"
    assert h.ts(h.condition("app", "Initialized")["lastTransitionTime"]) == 7


def test_failing_init_container_backs_off_and_blocks_the_app(h):
    h.create_pod("app", [web()], initContainers=[
        {"name": "migrate", "image": "kubequest/worker:1.0",
         "env": [{"name": "FAIL", "value": "1"}, {"name": "WORK_SECONDS", "value": "1"}]}])
    assert h.run_until(lambda: h.waiting_reason("app", "migrate", init=True) == "CrashLoopBackOff", 30)
    init = h.container("app", "migrate", init=True)
    assert init["lastState"]["terminated"]["exitCode"] == 1 and init["restartCount"] == 1
    h.advance(100)
    assert h.phase("app") == "Pending"
    assert h.waiting_reason("app", "web") == "PodInitializing"
    assert h.container("app", "migrate", init=True)["restartCount"] >= 3
    assert h.condition("app", "Initialized")["reason"] == "ContainersNotInitialized"


def test_failing_init_container_with_never_fails_the_pod(h):
    h.create_pod("app", [web()], restartPolicy="Never", initContainers=[
        {"name": "migrate", "image": "kubequest/worker:1.0", "env": [{"name": "FAIL", "value": "1"}]}])
    assert h.run_until(lambda: h.phase("app") == "Failed", 30)
    assert h.container("app", "migrate", init=True)["state"]["terminated"]["exitCode"] == 1
    assert h.waiting_reason("app", "web") == "PodInitializing"
    assert h.messages("Started", "app") == ["Started container migrate"]  # the app never started


def test_downward_api_env(h):
    h.create_pod("web", [web(env={"MESSAGE": "from $(POD_NAME) on $(NODE)"}) | {"env": [
        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "POD_NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
        {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
        {"name": "TIER", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['tier']"}}},
        {"name": "MESSAGE", "value": "from $(POD_NAME) on $(NODE) $$(KEPT)"},
    ]}], labels={"app": "web", "tier": "front"})
    assert h.run_until(lambda: h.running("web"), 5)
    env = h.exec("web", ["env"]).output
    assert "POD_NAME=web\n" in env and "POD_NS=default\n" in env and "NODE=node-1\n" in env
    assert f"POD_IP={h.status('web')['podIP']}\n" in env and "TIER=front\n" in env
    assert "MESSAGE=from web on node-1 $(KEPT)\n" in env
    assert http_get(h, "web")[1] == "web 1.0 from web on node-1 $(KEPT) from web\n"


def test_two_containers_share_the_pod_network_and_statuses_are_sorted(h):
    h.create_pod("pair", [web(name="zeta"), {"name": "alpha", "image": "kubequest/toolbox:1.0"}])
    assert h.run_until(lambda: h.condition("pair", "Ready").get("status") == "True", 5)
    assert [s["name"] for s in h.status("pair")["containerStatuses"]] == ["alpha", "zeta"]
    out = h.exec("pair", ["wget", "-qO-", "http://localhost:8080/"], container="alpha")
    assert out.exit_code == 0 and out.output.startswith("web 1.0 hello from pair")
