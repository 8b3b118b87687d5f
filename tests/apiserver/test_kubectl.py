"""The real kubectl against `engine.apiserver` on the sim runtime (wall clock).

Every command is the one a learner types; a failure shows kubectl's own output.
"""

from __future__ import annotations

import json
import subprocess
import time

import pytest
import yaml

from .conftest import KUBECTL, Served, need_kubectl

pytestmark = pytest.mark.usefixtures("kubectl_installed")


@pytest.fixture(scope="module")
def kubectl_installed() -> None:
    need_kubectl()


def deployment(name: str, replicas: int = 2, image: str = "kubequest/web:1.0", **extra) -> str:
    doc = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "web", "image": image,
                                                       "ports": [{"containerPort": 8080}], **extra}]}}},
    }
    return yaml.safe_dump(doc)


def apply(served: Served, text: str) -> str:
    return served.kubectl("apply", "-f", "-", stdin=text).stdout.strip()


def rollout(served: Served, name: str) -> str:
    return served.kubectl("rollout", "status", f"deployment/{name}", "--timeout=30s").stdout


def test_version_and_nodes(served: Served) -> None:
    out = served.kubectl("version").stdout
    assert "Server Version: v1.33.0-kubequest" in out, out
    nodes = served.kubectl("get", "nodes").stdout
    assert nodes.splitlines()[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"], nodes
    assert "node-1" in nodes and "Ready" in nodes, nodes


def test_apply_created_configured_unchanged(served: Served) -> None:
    assert apply(served, deployment("apply-me")) == "deployment.apps/apply-me created"
    assert apply(served, deployment("apply-me")) == "deployment.apps/apply-me unchanged"
    assert apply(served, deployment("apply-me", replicas=3)) == "deployment.apps/apply-me configured"
    rollout(served, "apply-me")
    out = served.kubectl("get", "deploy", "apply-me").stdout
    assert out.split("\n")[1].split()[:4] == ["apply-me", "3/3", "3", "3"], out
    # A field dropped from the manifest goes (the last-applied annotation's three-way merge).
    with_env = deployment("apply-me", replicas=3, env=[{"name": "MESSAGE", "value": "hi"}])
    assert apply(served, with_env) == "deployment.apps/apply-me configured"
    assert apply(served, deployment("apply-me", replicas=3)) == "deployment.apps/apply-me configured"
    env = served.kubectl("get", "deploy", "apply-me", "-o",
                         "jsonpath={.spec.template.spec.containers[0].env}").stdout
    assert env == "", env


def test_get_pods_columns(served: Served) -> None:
    apply(served, deployment("cols", replicas=2))
    rollout(served, "cols")
    out = served.kubectl("get", "pods", "-l", "app=cols").stdout
    lines = out.strip().splitlines()
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"], out
    assert len(lines) == 3, out
    for line in lines[1:]:
        assert line.split()[1:4] == ["1/1", "Running", "0"], out
    wide = served.kubectl("get", "pods", "-l", "app=cols", "-o", "wide").stdout
    assert wide.splitlines()[0].split()[5:8] == ["IP", "NODE", "NOMINATED"], wide
    assert "node-1" in wide, wide


def test_crashloop_restarts_and_previous_logs(served: Served) -> None:
    served.kubectl("run", "crashy", "--image=kubequest/web:2.1")
    served.wait(lambda: "CrashLoopBackOff" in served.kubectl("get", "pod", "crashy").stdout,
                what="CrashLoopBackOff")
    out = served.kubectl("get", "pod", "crashy").stdout
    row = out.splitlines()[1].split()
    assert row[1:3] == ["0/1", "CrashLoopBackOff"], out
    assert int(row[3]) >= 1 and "ago)" in out, out
    assert "DATABASE_URL is not set" in served.kubectl("logs", "crashy").stdout
    assert "DATABASE_URL is not set" in served.kubectl("logs", "crashy", "--previous").stdout
    served.kubectl("delete", "pod", "crashy", "--grace-period=0", "--force")


def test_get_kinds_wide(served: Served) -> None:
    apply(served, deployment("wide", replicas=1))
    served.kubectl("expose", "deployment", "wide", "--port=80", "--target-port=8080")
    rollout(served, "wide")
    served.wait(lambda: "10.244." in served.kubectl("get", "ep", "wide").stdout, what="endpoints")
    out = served.kubectl("get", "deploy,rs,svc,ep", "-o", "wide").stdout
    assert "deployment.apps/wide" in out and "CONTAINERS" in out and "SELECTOR" in out, out
    assert "replicaset.apps/wide-" in out, out
    assert "service/wide" in out and "ClusterIP" in out and "80/TCP" in out, out
    assert "endpoints/wide" in out and ":8080" in out, out


def test_output_formats_and_selectors(served: Served) -> None:
    apply(served, deployment("fmt", replicas=2))
    rollout(served, "fmt")
    doc = yaml.safe_load(served.kubectl("get", "deploy", "fmt", "-o", "yaml").stdout)
    assert doc["kind"] == "Deployment" and doc["spec"]["replicas"] == 2
    pods = json.loads(served.kubectl("get", "pods", "-l", "app=fmt", "-o", "json").stdout)
    assert pods["kind"] == "List" and len(pods["items"]) == 2
    image = served.kubectl("get", "deploy", "fmt", "-o",
                           "jsonpath={.spec.template.spec.containers[0].image}").stdout
    assert image == "kubequest/web:1.0"
    name = pods["items"][0]["metadata"]["name"]
    by_field = served.kubectl("get", "pods", "--field-selector", f"metadata.name={name}", "-o", "name").stdout
    assert by_field.strip() == f"pod/{name}"
    running = served.kubectl("get", "pods", "-l", "app=fmt", "--field-selector=status.phase=Running",
                             "-o", "name").stdout
    assert len(running.split()) == 2, running
    bad = served.kubectl("get", "pods", "--field-selector=spec.image=x", check=False)
    assert bad.returncode != 0 and "field label not supported: spec.image" in bad.stderr, bad.stderr
    shown = served.kubectl("get", "pods", "-l", "app=fmt", "--show-labels").stdout
    assert "app=fmt" in shown, shown
    assert "No resources found" in served.kubectl("get", "pods", "-l", "app=nothing").stderr


def test_describe_with_events(served: Served) -> None:
    apply(served, deployment("desc", replicas=1))
    rollout(served, "desc")
    pod = served.kubectl("get", "pods", "-l", "app=desc", "-o", "name").stdout.strip()
    out = served.kubectl("describe", pod).stdout
    assert "Events:" in out and "Scheduled" in out and "default-scheduler" in out, out
    assert "Started" in out and "kubelet" in out, out
    dep = served.kubectl("describe", "deployment", "desc").stdout
    assert "NewReplicaSet:" in dep and "ScalingReplicaSet" in dep, dep


def test_logs(served: Served) -> None:
    apply(served, deployment("logs", replicas=1))
    rollout(served, "logs")
    out = served.kubectl("logs", "deployment/logs").stdout
    assert "web 1.0 listening on :8080" in out, out
    pod = served.kubectl("get", "pods", "-l", "app=logs", "-o", "name").stdout.strip()
    assert served.kubectl("logs", pod, "--tail=1").stdout.count("\n") == 1
    # -f streams until kubectl is stopped.
    proc = subprocess.Popen([KUBECTL, f"--cache-dir={served.cache_dir}", "--kubeconfig", str(served.kubeconfig),
                             "logs", "-f", pod], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.0)
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=10)
    assert "listening on :8080" in out, (out, err)
    missing = served.kubectl("logs", "nope", check=False)
    assert missing.returncode != 0 and 'pods "nope" not found' in missing.stderr, missing.stderr


def test_exec(served: Served) -> None:
    served.kubectl("run", "tools", "--image=kubequest/toolbox:1.0")
    served.kubectl("wait", "--for=condition=Ready", "pod/tools", "--timeout=30s")
    out = served.kubectl("exec", "tools", "--", "echo", "hello from exec")
    assert out.stdout == "hello from exec\n", out
    failed = served.kubectl("exec", "tools", "--", "sh", "-c", "exit 3", check=False)
    assert failed.returncode == 3, (failed.stdout, failed.stderr)
    refused = served.kubectl("exec", "-i", "tools", "--", "cat", stdin="x", check=False)
    assert refused.returncode != 0 and "without standard input" in refused.stderr, refused.stderr


def test_scale_set_image_rollout_history_undo(served: Served) -> None:
    apply(served, deployment("roll", replicas=2))
    rollout(served, "roll")
    assert served.kubectl("scale", "deployment/roll", "--replicas=3").stdout.strip() == \
        "deployment.apps/roll scaled"
    rollout(served, "roll")
    assert served.kubectl("get", "deploy", "roll", "-o", "jsonpath={.status.readyReplicas}").stdout == "3"
    out = served.kubectl("set", "image", "deployment/roll", "web=kubequest/web:2.0").stdout
    assert out.strip() == "deployment.apps/roll image updated", out
    assert 'deployment "roll" successfully rolled out' in rollout(served, "roll")
    history = served.kubectl("rollout", "history", "deployment/roll").stdout
    assert history.split()[:3] == ["deployment.apps/roll", "REVISION", "CHANGE-CAUSE"], history
    assert "\n1 " in history and "\n2 " in history, history
    assert served.kubectl("rollout", "undo", "deployment/roll").stdout.strip() == "deployment.apps/roll rolled back"
    rollout(served, "roll")
    image = served.kubectl("get", "deploy", "roll", "-o", "jsonpath={.spec.template.spec.containers[0].image}")
    assert image.stdout == "kubequest/web:1.0"
    assert "\n3 " in served.kubectl("rollout", "history", "deployment/roll").stdout


def test_wait_for_ready(served: Served) -> None:
    apply(served, deployment("waiter", replicas=2))
    out = served.kubectl("wait", "--for=condition=Ready", "pod", "-l", "app=waiter", "--timeout=30s").stdout
    assert out.count("condition met") == 2, out
    out = served.kubectl("wait", "--for=condition=Available", "deployment/waiter", "--timeout=30s").stdout
    assert "condition met" in out, out


def test_replace_edit_style(served: Served) -> None:
    apply(served, deployment("repl", replicas=1))
    live = yaml.safe_load(served.kubectl("get", "deploy", "repl", "-o", "yaml").stdout)
    live["spec"]["replicas"] = 2
    text = yaml.safe_dump(live)
    assert served.kubectl("replace", "-f", "-", stdin=text).stdout.strip() == "deployment.apps/repl replaced"
    stale = served.kubectl("replace", "-f", "-", stdin=text, check=False)
    assert stale.returncode != 0 and "Operation cannot be fulfilled" in stale.stderr, stale.stderr
    assert "the object has been modified" in stale.stderr


def test_errors_as_kubectl_prints_them(served: Served) -> None:
    bad = yaml.safe_load(deployment("broken"))
    bad["spec"]["replicas"] = -1
    out = served.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(bad), check=False)
    assert out.returncode != 0
    assert 'The Deployment "broken" is invalid: spec.replicas: Invalid value: -1: must be greater than or ' \
           "equal to 0" in out.stderr, out.stderr
    unknown = yaml.safe_load(deployment("typo"))
    unknown["spec"]["replica"] = 1
    out = served.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(unknown), check=False)
    assert 'strict decoding error: unknown field "spec.replica"' in out.stderr, out.stderr
    out = served.kubectl("get", "deploy", "ghost", check=False)
    assert 'Error from server (NotFound): deployments.apps "ghost" not found' in out.stderr, out.stderr
    served.kubectl("create", "configmap", "twice")
    out = served.kubectl("create", "configmap", "twice", check=False)
    assert 'configmaps "twice" already exists' in out.stderr, out.stderr
    out = served.kubectl("create", "-f", "-", stdin=deployment("apply-me"), check=False)
    assert 'Error from server (AlreadyExists): error when creating "STDIN": deployments.apps "apply-me" ' \
           "already exists" in out.stderr, out.stderr


def test_delete_cascades(served: Served) -> None:
    apply(served, deployment("gone", replicas=2))
    rollout(served, "gone")
    out = served.kubectl("delete", "deployment", "gone").stdout
    assert out.strip() == 'deployment.apps "gone" deleted', out
    served.wait(lambda: not served.kubectl("get", "rs,pods", "-l", "app=gone", "-o", "name").stdout.strip(),
                what="the ReplicaSet and pods to be collected")
    apply(served, deployment("orphans", replicas=1))
    rollout(served, "orphans")
    served.kubectl("delete", "deployment", "orphans", "--cascade=orphan")
    time.sleep(0.5)
    assert "replicaset.apps/orphans-" in served.kubectl("get", "rs", "-l", "app=orphans", "-o", "name").stdout


def test_create_configmap_secret_label_expose(served: Served) -> None:
    served.kubectl("create", "configmap", "settings", "--from-literal=color=blue", "--from-literal=size=")
    cm = json.loads(served.kubectl("get", "cm", "settings", "-o", "json").stdout)
    assert cm["data"] == {"color": "blue", "size": ""}
    served.kubectl("create", "secret", "generic", "creds", "--from-literal=password=s3cret")
    sec = served.kubectl("get", "secret", "creds", "-o", "jsonpath={.data.password}").stdout
    assert sec == "czNjcmV0", sec
    assert "creds" in served.kubectl("get", "secrets").stdout
    served.kubectl("create", "deployment", "made", "--image=kubequest/web:1.0", "--replicas=2")
    rollout(served, "made")
    out = served.kubectl("label", "deployment", "made", "tier=front").stdout
    assert out.strip() == "deployment.apps/made labeled", out
    assert "tier=front" in served.kubectl("get", "deploy", "made", "--show-labels").stdout
    out = served.kubectl("expose", "deployment", "made", "--port=80", "--target-port=8080").stdout
    assert out.strip() == "service/made exposed", out
    svc = json.loads(served.kubectl("get", "svc", "made", "-o", "json").stdout)
    assert svc["spec"]["selector"] == {"app": "made"} and svc["spec"]["clusterIP"]


def test_server_side_apply(served: Served) -> None:
    text = deployment("ssa", replicas=1)
    out = served.kubectl("apply", "--server-side", "-f", "-", stdin=text).stdout
    assert out.strip() == "deployment.apps/ssa serverside-applied", out
    out = served.kubectl("apply", "--server-side", "-f", "-", stdin=deployment("ssa", replicas=2)).stdout
    assert served.kubectl("get", "deploy", "ssa", "-o", "jsonpath={.spec.replicas}").stdout == "2"


def test_explain(served: Served) -> None:
    out = served.kubectl("explain", "deployment.spec").stdout
    assert "KIND:       Deployment" in out and "replicas\t<integer>" in out, out
    assert "Number of desired pods" in out, out
    pod = served.kubectl("explain", "pods.spec.containers.image").stdout
    assert "FIELD: image <string>" in pod, pod


def test_get_watch_streams_changes(served: Served) -> None:
    apply(served, deployment("watched", replicas=1))
    rollout(served, "watched")
    proc = subprocess.Popen([KUBECTL, f"--cache-dir={served.cache_dir}", "--kubeconfig", str(served.kubeconfig),
                             "get", "pods", "-l", "app=watched", "-w"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.0)
        served.kubectl("scale", "deployment/watched", "--replicas=2")
        time.sleep(1.5)
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=10)
    names = {line.split()[0] for line in out.splitlines()[1:] if line.strip()}
    assert len(names) == 2, (out, err)
