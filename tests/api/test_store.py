import threading

import pytest

from engine.api.errors import AlreadyExists, Conflict, Forbidden, Invalid, NotFound
from engine.api.selectors import from_label_selector, parse
from engine.api.store import ADDED, DELETED, MODIFIED, Gone, Store
from engine.clock import VirtualClock


def deployment(name="web", labels=None, image="kubequest/web:1.0", replicas=None):
    labels = labels or {"app": name}
    spec = {
        "selector": {"matchLabels": labels},
        "template": {"metadata": {"labels": labels},
                     "spec": {"containers": [{"name": "web", "image": image}]}},
    }
    if replicas is not None:
        spec["replicas"] = replicas
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name}, "spec": spec}


def pod(name, labels=None, node=None, namespace=None):
    md = {"name": name, "labels": labels or {}}
    if namespace:
        md["namespace"] = namespace
    spec = {"containers": [{"name": "c", "image": "kubequest/web:1.0"}]}
    if node:
        spec["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": spec}


@pytest.fixture
def store():
    return Store(VirtualClock(), seed=1)


def test_create_sets_server_fields_and_defaults(store):
    d = store.create(deployment())
    md = d["metadata"]
    assert md["namespace"] == "default"
    assert md["generation"] == 1
    assert md["creationTimestamp"] == "2026-01-01T00:00:00Z"
    assert len(md["uid"]) == 36 and int(md["resourceVersion"]) > 0
    assert d["spec"]["replicas"] == 1
    assert d["spec"]["strategy"] == {"type": "RollingUpdate",
                                     "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}
    assert d["spec"]["revisionHistoryLimit"] == 10
    assert d["spec"]["progressDeadlineSeconds"] == 600
    tspec = d["spec"]["template"]["spec"]
    assert tspec["restartPolicy"] == "Always"
    assert tspec["terminationGracePeriodSeconds"] == 30
    assert tspec["containers"][0]["imagePullPolicy"] == "IfNotPresent"


def test_create_twice_is_already_exists(store):
    store.create(deployment())
    with pytest.raises(AlreadyExists, match='deployments.apps "web" already exists'):
        store.create(deployment())


def test_get_missing_is_not_found(store):
    with pytest.raises(NotFound, match='pods "nope" not found'):
        store.get("Pod", "nope")


def test_stale_resource_version_is_a_conflict(store):
    d = store.create(deployment())
    first = dict(d)
    d["spec"]["replicas"] = 3
    store.update(d)
    first["spec"] = dict(first["spec"], replicas=5)
    with pytest.raises(Conflict, match="the object has been modified"):
        store.update(first)


def test_generation_moves_with_spec_only(store):
    d = store.create(deployment())
    d["metadata"]["labels"] = {"team": "a"}
    d = store.update(d)
    assert d["metadata"]["generation"] == 1
    d["status"] = {"replicas": 9}
    d = store.update_status(d)
    assert d["metadata"]["generation"] == 1 and d["status"] == {"replicas": 9}
    d["spec"]["replicas"] = 4
    d = store.update(d)
    assert d["metadata"]["generation"] == 2
    # A main-resource update cannot change status.
    d["status"] = {"replicas": 0}
    d = store.update(d)
    assert d["status"] == {"replicas": 9}


def test_noop_update_keeps_resource_version(store):
    d = store.create(deployment())
    again = store.update(d)
    assert again["metadata"]["resourceVersion"] == d["metadata"]["resourceVersion"]


def test_list_with_selectors_and_namespaces(store):
    store.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev"}})
    store.create(pod("a", {"app": "web", "tier": "fe"}))
    store.create(pod("b", {"app": "web", "tier": "be"}))
    store.create(pod("c", {"app": "db"}))
    store.create(pod("d", {"app": "web"}, namespace="dev"))
    names = lambda objs: [o["metadata"]["name"] for o in objs]
    assert names(store.list("Pod")) == ["a", "b", "c", "d"]
    assert names(store.list("Pod", "default", parse("app=web"))) == ["a", "b"]
    assert names(store.list("Pod", None, parse("app=web,tier notin (fe)"))) == ["b", "d"]
    sel = from_label_selector({"matchExpressions": [{"key": "app", "operator": "In", "values": ["db", "x"]}]})
    assert names(store.list("Pod", selector=sel)) == ["c"]
    assert store.list("Pod", selector=from_label_selector(None)) == []


def test_create_in_missing_namespace_is_refused(store):
    with pytest.raises(NotFound, match='namespaces "ghost" not found'):
        store.create(pod("a", namespace="ghost"))


def test_generate_name_uses_kubernetes_alphabet(store):
    p = pod("")
    p["metadata"] = {"generateName": "web-abc-"}
    created = store.create(p)
    name = created["metadata"]["name"]
    assert name.startswith("web-abc-") and len(name) == len("web-abc-") + 5
    assert all(ch in "bcdfghjklmnpqrstvwxz2456789" for ch in name[-5:])


def test_same_seed_same_names_and_uids():
    a, b = Store(VirtualClock(), seed=7), Store(VirtualClock(), seed=7)
    p = {"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "x-"},
         "spec": {"containers": [{"name": "c", "image": "i:1"}]}}
    assert a.create(p)["metadata"]["name"] == b.create(p)["metadata"]["name"]


def test_watch_order_and_types(store):
    w = store.watch(kinds=["Pod"])
    p = store.create(pod("a", {"app": "web"}))
    p["metadata"]["labels"] = {"app": "api"}
    store.update(p)
    store.delete("Pod", "a")  # unscheduled: deleted at once
    events = w.drain()
    assert [e.type for e in events] == [ADDED, MODIFIED, DELETED]
    rvs = [e.resource_version for e in events]
    assert rvs == sorted(rvs) and len(set(rvs)) == 3
    assert events[1].old["metadata"]["labels"] == {"app": "web"}
    w.stop()


def test_watch_replays_from_resource_version_and_expires(store):
    store.create(pod("a"))
    rv = store.resource_version
    store.create(pod("b"))
    store.create(pod("c"))
    w = store.watch(kinds=["Pod"], since=rv)
    assert [e.object["metadata"]["name"] for e in w.drain()] == ["b", "c"]
    small = Store(VirtualClock(), history=2)
    for n in "abcde":
        small.create(pod(n))
    with pytest.raises(Gone, match="too old resource version"):
        small.watch(since=1)


def test_watch_is_thread_safe(store):
    w = store.watch(kinds=["Pod"])
    got = []
    t = threading.Thread(target=lambda: got.extend(e.object["metadata"]["name"] for e in [w.get(5)]))
    t.start()
    store.create(pod("x"))
    t.join(5)
    assert got == ["x"]


def test_pod_on_node_is_deleted_gracefully(store):
    store.create(pod("a", node="node-1"))
    marked = store.delete("Pod", "a")
    assert marked["metadata"]["deletionTimestamp"]
    assert marked["metadata"]["deletionGracePeriodSeconds"] == 30
    assert store.try_get("Pod", "a") is not None
    store.delete("Pod", "a", grace_period_seconds=0)
    assert store.try_get("Pod", "a") is None


def test_finalizers_hold_deletion_until_removed(store):
    d = deployment()
    d["metadata"]["finalizers"] = ["example.com/hold"]
    store.create(d)
    store.delete("Deployment", "web")
    held = store.get("Deployment", "web")
    assert held["metadata"]["deletionTimestamp"]
    held["metadata"]["finalizers"] = []
    store.update(held)
    assert store.try_get("Deployment", "web") is None


def test_orphan_and_foreground_add_finalizers(store):
    store.create(deployment("a"))
    store.create(deployment("b"))
    assert store.delete("Deployment", "a", propagation="Orphan")["metadata"]["finalizers"] == ["orphan"]
    assert store.delete("Deployment", "b", propagation="Foreground")["metadata"]["finalizers"] == [
        "foregroundDeletion"
    ]


def test_terminating_namespace_refuses_new_content(store):
    store.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev"}})
    ns = store.delete("Namespace", "dev")
    assert ns["status"]["phase"] == "Terminating"
    with pytest.raises(Forbidden, match="because it is being terminated"):
        store.create(pod("a", namespace="dev"))


def test_owner_index(store):
    d = store.create(deployment())
    p = pod("a")
    p["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
                                         "uid": d["metadata"]["uid"], "controller": True}]
    store.create(p)
    assert [o["metadata"]["name"] for o in store.owned_by(d["metadata"]["uid"])] == ["a"]
    store.delete("Pod", "a")
    assert store.owned_by(d["metadata"]["uid"]) == []


def test_service_allocation_and_immutable_cluster_ip(store):
    svc = store.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                        "spec": {"type": "NodePort", "selector": {"app": "web"}, "ports": [{"port": 80}]}})
    spec = svc["spec"]
    assert spec["ports"][0]["targetPort"] == 80 and spec["ports"][0]["protocol"] == "TCP"
    assert 30000 <= spec["ports"][0]["nodePort"] <= 32767
    assert spec["clusterIP"].startswith("10.")
    svc["spec"]["clusterIP"] = "10.96.0.99"
    with pytest.raises(Invalid, match="spec.clusterIP: Invalid value: \"10.96.0.99\": field is immutable"):
        store.update(svc)


def test_node_port_out_of_range_and_taken(store):
    def svc(name, port):
        return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                "spec": {"type": "NodePort", "selector": {"a": "b"}, "ports": [{"port": 80, "nodePort": port}]}}
    with pytest.raises(Invalid, match="provided port is not in the valid range. The range of valid ports is 30000-32767"):
        store.create(svc("a", 80))
    store.create(svc("b", 30080))
    with pytest.raises(Invalid, match="provided port is already allocated"):
        store.create(svc("c", 30080))


def test_pod_container_name_change_is_refused(store):
    p = store.create(pod("a"))
    p["spec"]["containers"][0]["name"] = "other"
    with pytest.raises(Invalid, match=r'spec.containers\[0\].name: Invalid value: "other": field is immutable'):
        store.update(p)
    p = store.get("Pod", "a")
    p["spec"]["containers"][0]["image"] = "kubequest/web:2.0"
    assert store.update(p)["spec"]["containers"][0]["image"] == "kubequest/web:2.0"


def test_job_selector_is_generated(store):
    job = store.create({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "pi"},
                        "spec": {"template": {"spec": {"restartPolicy": "Never",
                                                       "containers": [{"name": "c", "image": "kubequest/worker:1.0"}]}}}})
    uid = job["metadata"]["uid"]
    assert job["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    assert job["spec"]["template"]["metadata"]["labels"]["job-name"] == "pi"
    assert job["spec"]["backoffLimit"] == 6 and job["spec"]["completions"] == 1


def test_secret_string_data_is_folded(store):
    s = store.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                      "stringData": {"password": "hunter2"}})
    assert s["data"] == {"password": "aHVudGVyMg=="} and "stringData" not in s and s["type"] == "Opaque"


def test_validator_is_applied_with_every_cause(store):
    from engine.api.errors import invalid, required

    st = Store(VirtualClock())
    st.validator = lambda obj, old: [required("spec.selector"),
                                     invalid("spec.replicas", -1, "must be greater than or equal to 0")]
    with pytest.raises(Invalid) as exc:
        st.create(deployment())
    assert len(exc.value.causes) == 2
    assert str(exc.value).startswith('The Deployment "web" is invalid: \n* spec.selector: Required value')


def test_bind_sets_node_and_pod_scheduled_once(store):
    store.create(pod("a"))
    bound = store.bind("a", "default", "node-2")
    assert bound["spec"]["nodeName"] == "node-2"
    assert [c["type"] for c in bound["status"]["conditions"]] == ["PodScheduled"]
    assert store.pods_on_node("node-2")[0]["metadata"]["name"] == "a"
    with pytest.raises(Conflict, match='already assigned to node "node-2"'):
        store.bind("a", "default", "node-1")
