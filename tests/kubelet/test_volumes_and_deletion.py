"""PVC volumes outliving pods, emptyDir going with them, and graceful deletion."""

from __future__ import annotations

from tests.kubelet.conftest import web


def claim(h, name: str = "data") -> dict:
    return h.create({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
                     "spec": {"accessModes": ["ReadWriteOnce"],
                              "resources": {"requests": {"storage": "1Gi"}}}})


def toolbox(name: str, claim_name: str = "data", **extra) -> dict:
    return {"name": name, "image": "kubequest/toolbox:1.0",
            "volumeMounts": [{"name": "data", "mountPath": "/data"}], **extra}


def with_claim(claim_name: str = "data") -> list[dict]:
    return [{"name": "data", "persistentVolumeClaim": {"claimName": claim_name}}]


def test_pvc_data_survives_the_pod(h):
    claim(h)
    h.create_pod("writer", [toolbox("box")], volumes=with_claim())
    assert h.run_until(lambda: h.running("writer"), 5)
    assert h.exec("writer", ["sh", "-c", "echo hello > /data/greeting"]).exit_code == 0
    h.store.delete("Pod", "writer", "default")
    assert h.run_until(lambda: h.pod("writer") is None, 60)
    h.create_pod("reader", [toolbox("box")], volumes=with_claim())
    assert h.run_until(lambda: h.running("reader"), 5)
    assert h.exec("reader", ["cat", "/data/greeting"]).output == "hello\n"


def test_empty_dir_goes_with_the_pod(h):
    vol = [{"name": "data", "emptyDir": {}}]
    h.create_pod("one", [toolbox("box")], volumes=vol)
    assert h.run_until(lambda: h.running("one"), 5)
    h.exec("one", ["touch", "/data/mark"])
    h.store.delete("Pod", "one", "default")
    assert h.run_until(lambda: h.pod("one") is None, 60)
    h.create_pod("one", [toolbox("box")], volumes=vol)
    assert h.run_until(lambda: h.running("one"), 5)
    assert h.exec("one", ["ls", "/data"]).output == ""


def test_missing_claim_keeps_the_pod_container_creating(h):
    h.create_pod("app", [toolbox("box")], volumes=with_claim("nope"))
    h.loop.settle()
    assert h.phase("app") == "Pending" and h.waiting_reason("app") == "ContainerCreating"
    ev = h.events("FailedMount", "app")[0]
    assert ev["type"] == "Warning"
    assert ev["message"] == (
        "Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[data], "
        "failed to process volumes=[data]: error processing PVC default/nope: failed to fetch PVC "
        'from API server: persistentvolumeclaims "nope" not found')
    assert h.condition("app", "PodReadyToStartContainers")["status"] == "False"
    h.advance(30)
    claim(h, "nope")
    h.loop.settle()
    assert h.running("app")


def test_graceful_deletion_runs_pre_stop_then_removes_the_pod(h):
    claim(h)
    h.create_pod("web", [web(volumeMounts=[{"name": "data", "mountPath": "/data"}], lifecycle={
        "preStop": {"exec": {"command": ["sh", "-c", "echo bye > /data/bye"]}}})],
        volumes=with_claim())
    assert h.run_until(lambda: h.running("web"), 5)
    cid = h.container_id("web")
    sandbox = h.kubelet.pods[("default", "web")].sandbox_id
    deleted = []
    h.store.subscribe(lambda ev: ev.kind == "Pod" and ev.type == "DELETED" and deleted.append(ev.old))
    h.store.delete("Pod", "web", "default")
    assert h.pod("web")["metadata"]["deletionTimestamp"]  # marked, waiting for its kubelet
    h.loop.settle()
    assert h.pod("web") is None
    assert h.messages("Killing", "web") == ["Stopping container web"]
    final = deleted[0]["status"]  # the last status the kubelet wrote
    assert final["phase"] == "Succeeded"  # web exits 0 on SIGTERM
    assert final["containerStatuses"][0]["state"]["terminated"]["reason"] == "Completed"
    assert sandbox not in h.loop.sandbox_owners and ("default", "web") not in h.kubelet.pods
    assert not [c for c in h.runtime.list_containers() if c.id == cid]
    h.create_pod("reader", [toolbox("box")], volumes=with_claim())
    assert h.run_until(lambda: h.running("reader"), 5)
    assert h.exec("reader", ["cat", "/data/bye"]).output == "bye\n"


def test_a_container_ignoring_sigterm_is_killed_at_the_end_of_the_grace_period(h):
    h.create_pod("sleeper", [{"name": "box", "image": "kubequest/toolbox:1.0",
                              "command": ["sleep", "3600"]}], terminationGracePeriodSeconds=5)
    assert h.run_until(lambda: h.running("sleeper"), 5)
    h.store.delete("Pod", "sleeper", "default")
    h.loop.settle()
    assert h.pod("sleeper") is not None  # Terminating: still running
    assert h.running("sleeper")
    assert h.run_until(lambda: h.pod("sleeper") is None, 30)
    assert h.elapsed() == 5


def test_force_deletion_removes_the_containers(h):
    h.create_pod("web", [web()])
    assert h.run_until(lambda: h.running("web"), 5)
    cid = h.container_id("web")
    h.store.delete("Pod", "web", "default", grace_period_seconds=0)
    h.loop.settle()
    assert not [c for c in h.runtime.list_containers() if c.id == cid]
    assert ("default", "web") not in h.kubelet.pods


def test_a_pod_recreated_with_the_same_name_gets_fresh_containers(h):
    h.create_pod("web", [web()])
    assert h.run_until(lambda: h.running("web"), 5)
    old = h.container_id("web")
    h.store.delete("Pod", "web", "default", grace_period_seconds=0)
    h.create_pod("web", [web()])
    h.loop.settle()
    assert h.running("web") and h.container_id("web") != old
    assert h.container("web")["restartCount"] == 0


def test_deleting_a_completed_pod(h):
    h.create_pod("job", [{"name": "worker", "image": "kubequest/worker:1.0"}], restartPolicy="Never")
    assert h.run_until(lambda: h.phase("job") == "Succeeded", 10)
    h.store.delete("Pod", "job", "default")
    h.loop.settle()
    assert h.pod("job") is None
    assert not h.events("Killing", "job")  # nothing was running
