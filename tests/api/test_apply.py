import copy

import pytest

from engine.api.apply import CONFIGURED, CREATED, LAST_APPLIED, UNCHANGED, apply
from engine.api.errors import Invalid, UnsupportedKind
from engine.api.merge import three_way_merge
from engine.api.source import load_file
from engine.api.store import Store
from engine.clock import VirtualClock
from tests.conftest import EXAMPLES


@pytest.fixture
def store():
    return Store(VirtualClock(), seed=3)


def nginx_deployment():
    docs = load_file(EXAMPLES / "controllers__nginx-deployment.yaml")
    return docs[0].obj


def test_apply_twice_changes_nothing(store):
    m = nginx_deployment()
    first = apply(store, m)
    assert first.action == CREATED and str(first) == "deployment.apps/nginx-deployment created"
    second = apply(store, m)
    assert second.action == UNCHANGED
    assert second.object["metadata"]["resourceVersion"] == first.object["metadata"]["resourceVersion"]


def test_reapply_keeps_status_and_controller_fields(store):
    m = nginx_deployment()
    apply(store, m)
    live = store.get("Deployment", "nginx-deployment")
    live["status"] = {"replicas": 3, "readyReplicas": 3}
    store.update_status(live)
    m2 = copy.deepcopy(m)
    m2["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.16.1"
    r = apply(store, m2)
    assert r.action == CONFIGURED
    assert r.object["status"] == {"replicas": 3, "readyReplicas": 3}
    assert r.object["metadata"]["generation"] == 2
    # Defaults nobody wrote stay.
    assert r.object["spec"]["strategy"]["type"] == "RollingUpdate"


def test_field_dropped_from_manifest_is_removed(store):
    m = nginx_deployment()
    m["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    apply(store, m)
    m["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "B", "value": "2"}]
    r = apply(store, m)
    assert r.object["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "B", "value": "2"}]


def test_changed_selector_is_immutable(store):
    m = nginx_deployment()
    apply(store, m)
    m["spec"]["selector"]["matchLabels"] = {"app": "other"}
    m["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    with pytest.raises(Invalid, match="spec.selector: Invalid value: .*field is immutable"):
        apply(store, m)


def test_last_applied_annotation_is_kept(store):
    r = apply(store, nginx_deployment())
    assert '"kind":"Deployment"' in r.object["metadata"]["annotations"][LAST_APPLIED]


def test_unsupported_kind_is_a_sentence(store):
    with pytest.raises(UnsupportedKind, match="not run by KubeQuest"):
        apply(store, {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "x"}})


def test_merge_keeps_items_others_added_and_drops_user_removed():
    original = {"spec": {"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "1"}]}}
    modified = {"spec": {"containers": [{"name": "a", "image": "2"}]}}
    current = {"spec": {"containers": [{"name": "a", "image": "1", "imagePullPolicy": "IfNotPresent"},
                                       {"name": "b", "image": "1"}, {"name": "sidecar", "image": "s"}]}}
    merged = three_way_merge(original, modified, current, kind="Pod")
    assert merged["spec"]["containers"] == [
        {"name": "a", "image": "2", "imagePullPolicy": "IfNotPresent"},
        {"name": "sidecar", "image": "s"},
    ]


def test_service_ports_merge_by_port():
    current = {"spec": {"ports": [{"port": 80, "targetPort": 80, "nodePort": 30001, "protocol": "TCP"}]}}
    modified = {"spec": {"ports": [{"port": 80, "targetPort": 8080}]}}
    merged = three_way_merge(modified, modified, current, kind="Service")
    assert merged["spec"]["ports"] == [{"port": 80, "targetPort": 8080, "nodePort": 30001, "protocol": "TCP"}]
