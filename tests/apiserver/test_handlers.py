"""The API server's handlers over HTTP (no kubectl): discovery, Status errors,
Tables, patches, subresources, watch."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from .conftest import Served

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
DEPLOY = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "h"},
          "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "h"}},
                   "template": {"metadata": {"labels": {"app": "h"}},
                                "spec": {"containers": [{"name": "web", "image": "kubequest/web:1.0"}]}}}}
DEPLOYS = "/apis/apps/v1/namespaces/default/deployments"


class Client:
    def __init__(self, served: Served, ca: Path):
        self.base = served.server.url
        self.ca = str(ca)
        self.s = requests.Session()
        self.s.trust_env = False  # REQUESTS_CA_BUNDLE would win over the session's CA
        self.s.headers["Authorization"] = f"Bearer {served.server.token}"

    def req(self, method: str, path: str, body=None, ctype="application/json", **kw) -> requests.Response:
        data = body if isinstance(body, (bytes, str)) or body is None else json.dumps(body)
        headers = {"Content-Type": ctype, **kw.pop("headers", {})}
        return self.s.request(method, self.base + path, data=data, headers=headers, timeout=10,
                              verify=self.ca, **kw)


@pytest.fixture(scope="module")
def api(served: Served, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    ca = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.write_text(served.server.certificate.cert_pem)
    client = Client(served, ca)
    r = client.req("POST", DEPLOYS, DEPLOY)
    assert r.status_code == 201, r.text
    yield client


def test_token_required(api: Client) -> None:
    r = requests.get(api.base + "/api", verify=api.ca, timeout=5)
    assert r.status_code == 401 and r.json()["reason"] == "Unauthorized"
    assert requests.get(api.base + "/healthz", verify=api.ca, timeout=5).text == "ok"


def test_discovery(api: Client) -> None:
    assert api.req("GET", "/version").json()["gitVersion"] == "v1.33.0-kubequest"
    assert api.req("GET", "/api").json()["versions"] == ["v1"]
    groups = {g["name"] for g in api.req("GET", "/apis").json()["groups"]}
    assert groups == {"apps", "batch"}
    r = api.req("GET", "/apis/apps/v1")
    assert r.headers["Content-Type"] == "application/json"
    res = {x["name"]: x for x in r.json()["resources"]}
    assert res["deployments"]["shortNames"] == ["deploy"] and res["deployments"]["categories"] == ["all"]
    assert res["deployments/scale"]["group"] == "autoscaling" and res["deployments/scale"]["kind"] == "Scale"
    core = {x["name"]: x for x in api.req("GET", "/api/v1").json()["resources"]}
    assert "pods/log" in core and core["pods"]["shortNames"] == ["po"]
    assert core["nodes"]["namespaced"] is False


def test_openapi_v3(api: Client) -> None:
    index = api.req("GET", "/openapi/v3").json()["paths"]
    url = index["apis/apps/v1"]["serverRelativeURL"]
    doc = api.req("GET", url).json()
    patch = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {"group": "apps", "version": "v1", "kind": "Deployment"}
    assert any(p["name"] == "fieldValidation" and p["in"] == "query" for p in patch["parameters"])
    spec = doc["components"]["schemas"]["io.k8s.api.apps.v1.DeploymentSpec"]
    assert spec["properties"]["replicas"]["type"] == "integer"
    assert api.req("GET", "/openapi/v2").status_code == 404


def test_status_errors(api: Client) -> None:
    r = api.req("GET", DEPLOYS + "/nope")
    assert r.status_code == 404
    assert r.json() | {"details": None} == {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                            "status": "Failure", "message": 'deployments.apps "nope" not found',
                                            "reason": "NotFound", "code": 404, "details": None}
    r = api.req("POST", DEPLOYS, DEPLOY)
    assert r.status_code == 409 and r.json()["reason"] == "AlreadyExists"
    bad = json.loads(json.dumps(DEPLOY))
    bad["metadata"]["name"] = "bad"
    bad["spec"]["replicas"] = -1
    r = api.req("POST", DEPLOYS, bad)
    assert r.status_code == 422 and r.json()["reason"] == "Invalid"
    assert r.json()["details"]["kind"] == "Deployment"
    assert r.json()["details"]["causes"] == [{"reason": "FieldValueInvalid", "field": "spec.replicas",
                                              "message": "Invalid value: -1: must be greater than or equal to 0"}]
    stale = api.req("GET", DEPLOYS + "/h").json()
    stale["metadata"]["resourceVersion"] = "1"
    r = api.req("PUT", DEPLOYS + "/h", stale)
    assert r.status_code == 409 and r.json()["reason"] == "Conflict"
    assert api.req("GET", "/apis/apps/v1/namespaces/default/widgets").status_code == 404


def test_field_validation_modes(api: Client) -> None:
    doc = json.loads(json.dumps(DEPLOY))
    doc["metadata"]["name"] = "fv"
    doc["spec"]["replica"] = 2
    r = api.req("POST", DEPLOYS + "?fieldValidation=Strict", doc)
    assert r.status_code == 400 and 'unknown field "spec.replica"' in r.json()["message"]
    r = api.req("POST", DEPLOYS + "?fieldValidation=Warn", doc)
    assert r.status_code == 201 and 'unknown field' in r.headers["Warning"]
    assert "replica" not in r.json()["spec"]


def test_table_responses(api: Client) -> None:
    t = api.req("GET", DEPLOYS, headers={"Accept": TABLE}).json()
    assert t["kind"] == "Table"
    assert [c["name"] for c in t["columnDefinitions"]][:5] == ["Name", "Ready", "Up-to-date", "Available", "Age"]
    row = next(r for r in t["rows"] if r["cells"][0] == "h")
    assert row["object"]["kind"] == "PartialObjectMetadata"
    one = api.req("GET", DEPLOYS + "/h", headers={"Accept": TABLE}).json()
    assert one["kind"] == "Table" and len(one["rows"]) == 1
    rs = api.req("GET", "/apis/apps/v1/namespaces/default/replicasets", headers={"Accept": TABLE}).json()
    assert isinstance(rs["rows"][0]["cells"][1], int)  # DESIRED is an integer column


def test_patches_and_scale(api: Client) -> None:
    r = api.req("PATCH", DEPLOYS + "/h", {"metadata": {"labels": {"x": "1"}}}, "application/merge-patch+json")
    assert r.status_code == 200 and r.json()["metadata"]["labels"] == {"x": "1"}
    r = api.req("PATCH", DEPLOYS + "/h", [{"op": "add", "path": "/metadata/labels/y", "value": "2"}],
                "application/json-patch+json")
    assert r.json()["metadata"]["labels"] == {"x": "1", "y": "2"}
    smp = {"spec": {"template": {"spec": {"containers": [{"name": "web", "env": [{"name": "A", "value": "1"}]}]}}}}
    r = api.req("PATCH", DEPLOYS + "/h", smp, "application/strategic-merge-patch+json")
    c = r.json()["spec"]["template"]["spec"]["containers"][0]
    assert c["image"] == "kubequest/web:1.0" and c["env"] == [{"name": "A", "value": "1"}]
    scale = api.req("GET", DEPLOYS + "/h/scale").json()
    assert scale["kind"] == "Scale" and scale["status"]["selector"] == "app=h"
    r = api.req("PATCH", DEPLOYS + "/h/scale", {"spec": {"replicas": 2}}, "application/merge-patch+json")
    assert r.json()["spec"]["replicas"] == 2
    assert api.req("GET", DEPLOYS + "/h").json()["spec"]["replicas"] == 2
    r = api.req("PATCH", DEPLOYS + "/h", "{}", "text/plain")
    assert r.status_code == 415


def test_selectors(api: Client) -> None:
    r = api.req("GET", "/api/v1/namespaces/default/pods?labelSelector=app%3Dh").json()
    assert r["kind"] == "PodList" and r["metadata"]["resourceVersion"]
    assert all(p["metadata"]["labels"]["app"] == "h" for p in r["items"])
    r = api.req("GET", "/api/v1/namespaces?fieldSelector=metadata.name%3Ddefault").json()
    assert [n["metadata"]["name"] for n in r["items"]] == ["default"]
    r = api.req("GET", "/api/v1/pods?fieldSelector=spec.image%3Dx")
    assert r.status_code == 400 and "field label not supported" in r.json()["message"]


def test_watch_with_initial_events_bookmark(api: Client) -> None:
    r = api.req("GET", "/api/v1/namespaces?watch=true&sendInitialEvents=true&allowWatchBookmarks=true"
                       "&resourceVersionMatch=NotOlderThan&timeoutSeconds=1", stream=True)
    events = [json.loads(line) for line in r.iter_lines() if line]
    added = [e["object"]["metadata"]["name"] for e in events if e["type"] == "ADDED"]
    assert "default" in added and "kube-system" in added
    mark = events[len(added)]
    assert mark["type"] == "BOOKMARK"
    assert mark["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_watch_from_resource_version(api: Client) -> None:
    rv = api.req("GET", "/api/v1/namespaces/default/configmaps").json()["metadata"]["resourceVersion"]
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "w"}, "data": {"a": "1"}}
    api.req("POST", "/api/v1/namespaces/default/configmaps", cm)
    api.req("DELETE", "/api/v1/namespaces/default/configmaps/w")
    r = api.req("GET", f"/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={rv}&timeoutSeconds=1",
                stream=True)
    types = [json.loads(line)["type"] for line in r.iter_lines() if line]
    assert types == ["ADDED", "DELETED"]
    gone = api.req("GET", "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=0&timeoutSeconds=1")
    assert gone.status_code == 200


def test_logs_and_delete(api: Client, served: Served) -> None:
    served.wait(lambda: any(p["status"].get("phase") == "Running" for p in api.req(
        "GET", "/api/v1/namespaces/default/pods?labelSelector=app%3Dh").json()["items"]), what="a running pod")
    pod = api.req("GET", "/api/v1/namespaces/default/pods?labelSelector=app%3Dh").json()["items"][0]
    r = api.req("GET", f"/api/v1/namespaces/default/pods/{pod['metadata']['name']}/log?tailLines=1")
    assert r.status_code == 200 and "listening" in r.text
    r = api.req("GET", f"/api/v1/namespaces/default/pods/{pod['metadata']['name']}/log?previous=true")
    assert r.status_code == 400 and "previous terminated container" in r.json()["message"]
    r = api.req("DELETE", "/api/v1/namespaces/default/configmaps/none")
    assert r.status_code == 404
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "del"}}
    api.req("POST", "/api/v1/namespaces/default/configmaps", cm)
    r = api.req("DELETE", "/api/v1/namespaces/default/configmaps/del", {"propagationPolicy": "Background"})
    assert r.json()["status"] == "Success" and r.json()["details"]["name"] == "del"
