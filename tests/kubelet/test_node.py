"""The node's status heartbeat, and a node that dies and comes back."""

from __future__ import annotations

from tests.kubelet.conftest import web


def test_node_reports_ready_and_heartbeats(h):
    ready = h.node_condition("node-1", "Ready")
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "True", "KubeletReady", "kubelet is posting ready status")
    for type_, reason in (("MemoryPressure", "KubeletHasSufficientMemory"),
                          ("DiskPressure", "KubeletHasNoDiskPressure"),
                          ("PIDPressure", "KubeletHasSufficientPID")):
        c = h.node_condition("node-1", type_)
        assert (c["status"], c["reason"]) == ("False", reason)
    assert h.ts(ready["lastHeartbeatTime"]) == 0
    h.advance(25)
    ready = h.node_condition("node-1", "Ready")
    assert h.ts(ready["lastHeartbeatTime"]) == 20  # every 10 s
    assert h.ts(ready["lastTransitionTime"]) == 0
    assert h.store.get("Node", "node-1")["status"]["addresses"][0]["address"] == "172.18.0.10"


def test_failed_node_kills_containers_and_goes_silent_then_recovers(h2):
    h = h2
    h.create_pod("a", [web()])
    h.create_pod("b", [web()])
    h.create_pod("other", [web()], node="node-2")
    assert h.run_until(lambda: all(h.running(p) for p in ("a", "b", "other")), 5)
    cid = h.container_id("a")
    before = h.status("a")
    h.kubelets["node-1"].fail()
    assert h.runtime.container_status(cid).status == "exited"
    assert h.runtime.container_status(cid).exit_code == 137
    h.advance(60)
    assert h.status("a") == before  # a dead node reports nothing
    assert h.ts(h.node_condition("node-1", "Ready")["lastHeartbeatTime"]) == 0
    assert h.ts(h.node_condition("node-2", "Ready")["lastHeartbeatTime"]) == 60
    assert h.running("other")  # the other node is fine

    # The node lifecycle controller's verdict and an eviction while it is down.
    node = h.store.get("Node", "node-1")
    for c in node["status"]["conditions"]:
        if c["type"] == "Ready":
            c.update(status="Unknown", reason="NodeStatusUnknown",
                     message="Kubelet stopped posting node status.")
    h.store.update_status(node)
    h.store.delete("Pod", "b", "default")
    h.advance(30)
    assert h.pod("b")["metadata"]["deletionTimestamp"]  # stuck Terminating

    h.kubelets["node-1"].recover()
    h.loop.settle()
    assert h.pod("b") is None  # the deletion finished
    ready = h.node_condition("node-1", "Ready")
    assert (ready["status"], ready["reason"]) == ("True", "KubeletReady")
    assert h.ts(ready["lastTransitionTime"]) == h.ts(ready["lastHeartbeatTime"]) == 90
    cs = h.container("a")
    assert "running" in cs["state"] and cs["restartCount"] == 1
    assert cs["lastState"]["terminated"]["exitCode"] == 137
    h.advance(20)
    assert h.ts(h.node_condition("node-1", "Ready")["lastHeartbeatTime"]) == 110


def test_failed_node_stops_probing(h):
    h.create_pod("web", [web(readinessProbe={"httpGet": {"path": "/ready", "port": 8080},
                                             "periodSeconds": 5})])
    assert h.run_until(lambda: h.condition("web", "Ready").get("status") == "True", 10)
    h.kubelet.fail()
    h.advance(60)
    assert h.condition("web", "Ready")["status"] == "True"  # stale, as on a real dead node
    assert not h.events("Unhealthy")
    h.kubelet.recover()
    assert h.run_until(lambda: h.condition("web", "Ready")["status"] == "True"
                       and h.container("web")["restartCount"] == 1, 20)


def test_shutdown_removes_everything(h):
    h.create_pod("web", [web()])
    h.create_pod("box", [{"name": "box", "image": "kubequest/toolbox:1.0",
                          "volumeMounts": [{"name": "d", "mountPath": "/d"}]}],
                 volumes=[{"name": "d", "emptyDir": {}}])
    assert h.run_until(lambda: h.running("web") and h.running("box"), 5)
    h.kubelet.shutdown()
    assert h.runtime.list_containers() == []
    assert not h.loop.sandbox_owners
    assert h.kubelet.pods == {}
