"""Pod-level behaviour on both runtimes: crash loops, OOM, probes, config, volumes, networking."""

from __future__ import annotations

import pytest

from engine.api.objects import get_condition
from engine.views import pod_status

SLACK = 45.0  # extra wall seconds a Docker run may need beyond the scaled timings


def wait(make_cluster, cluster, predicate, k8s_seconds: float) -> bool:
    timeout = make_cluster.seconds(k8s_seconds) + (0 if make_cluster.virtual else SLACK)
    return cluster.run_until(predicate, timeout=timeout)


def pod(cluster, name, ns="default"):
    return cluster.store.try_get("Pod", name, ns, copy=False)


def container_status(p, name=None):
    for cs in (p.get("status") or {}).get("containerStatuses") or []:
        if name is None or cs["name"] == name:
            return cs
    return None


def running_and_ready(cluster, name):
    p = pod(cluster, name)
    cond = p and get_condition(p, "Ready")
    return bool(cond and cond["status"] == "True")


def events(cluster, reason, name=None):
    return [e for e in cluster.store.list("Event", copy=False)
            if e["reason"] == reason and (name is None or e["involvedObject"]["name"] == name)]


def test_crash_loop_backs_off_doubling(make_cluster):
    cluster = make_cluster()
    cluster.apply_text("""
apiVersion: v1
kind: Pod
metadata: {name: bad}
spec:
  containers: [{name: web, image: kubequest/web:2.1}]
""")
    restarts: list[tuple[int, float]] = []

    def sample() -> bool:
        p = pod(cluster, "bad")
        cs = p and container_status(p)
        if cs and (not restarts or cs["restartCount"] != restarts[-1][0]):
            restarts.append((cs["restartCount"], cluster.clock.now()))
        return bool(restarts) and restarts[-1][0] >= 5

    assert wait(make_cluster, cluster, sample, 10 + 20 + 40 + 80 + 30)
    # The first restart is immediate; the back-off doubles from there.
    times = [t for count, t in restarts if count >= 1]
    gaps = [round(b - a, 3) for a, b in zip(times, times[1:])]
    expected = [make_cluster.seconds(s) for s in (10, 20, 40, 80)]
    if make_cluster.virtual:
        assert gaps[: len(expected)] == expected
    else:
        # Real containers add start-up time to each gap; the doubling must still show.
        assert all(g >= e for g, e in zip(gaps, expected))
        assert gaps[-1] > gaps[0]
    p = pod(cluster, "bad")
    cs = container_status(p)
    assert cs["lastState"]["terminated"]["exitCode"] == 1
    assert cs["lastState"]["terminated"]["reason"] == "Error"
    assert p["status"]["phase"] == "Running"
    assert wait(make_cluster, cluster, lambda: pod_status(pod(cluster, "bad")) == "CrashLoopBackOff", 60)
    assert "fatal: DATABASE_URL is not set" in cluster.logs("default", "bad", previous=True)
    assert events(cluster, "BackOff", "bad")[0]["message"].startswith("Back-off restarting failed container web")


def test_oom_killed(make_cluster):
    cluster = make_cluster()
    cluster.apply_text("""
apiVersion: v1
kind: Pod
metadata: {name: hog}
spec:
  restartPolicy: Never
  containers:
  - name: hog
    image: kubequest/memhog:1.0
    env: [{name: MEMORY_MB, value: "64"}]
    resources: {limits: {memory: 32Mi}}
""")
    assert wait(make_cluster, cluster, lambda: (pod(cluster, "hog")["status"].get("phase") == "Failed"), 30)
    term = container_status(pod(cluster, "hog"))["state"]["terminated"]
    assert (term["reason"], term["exitCode"]) == ("OOMKilled", 137)
    assert pod_status(pod(cluster, "hog")) == "OOMKilled"


def test_liveness_probe_restarts_a_hung_app(make_cluster):
    cluster = make_cluster()
    cluster.apply_text("""
apiVersion: v1
kind: Pod
metadata: {name: hung}
spec:
  containers:
  - name: web
    image: kubequest/web:1.0
    env: [{name: FAIL_AFTER_SECONDS, value: "2"}]
    livenessProbe:
      httpGet: {path: /healthz, port: 8080}
      periodSeconds: 1
      failureThreshold: 2
""")
    assert wait(make_cluster, cluster, lambda: (container_status(pod(cluster, "hung")) or {}).get("restartCount", 0) >= 1, 40)
    assert any("failed liveness probe, will be restarted" in e["message"] for e in events(cluster, "Killing", "hung"))
    assert any(e["message"].startswith("Liveness probe failed: HTTP probe failed with statuscode: 500")
               for e in events(cluster, "Unhealthy", "hung"))


def test_readiness_keeps_a_warming_pod_out_of_the_service(make_cluster):
    cluster = make_cluster()
    cluster.apply_text("""
apiVersion: v1
kind: Pod
metadata: {name: warm, labels: {app: warm}}
spec:
  containers:
  - name: web
    image: kubequest/web:1.0
    env: [{name: READY_DELAY_SECONDS, value: "4"}]
    readinessProbe:
      httpGet: {path: /ready, port: 8080}
      periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata: {name: warm}
spec:
  selector: {app: warm}
  ports: [{port: 80, targetPort: 8080}]
""")

    def phase_running():
        p = pod(cluster, "warm")
        return p is not None and p["status"].get("phase") == "Running"

    assert wait(make_cluster, cluster, phase_running, 30)
    ep = cluster.store.get("Endpoints", "warm")
    assert not any(s.get("addresses") for s in ep["subsets"])
    assert any(s.get("notReadyAddresses") for s in ep["subsets"])
    started = cluster.clock.now()
    assert wait(make_cluster, cluster, lambda: running_and_ready(cluster, "warm"), 30)
    assert cluster.clock.now() - started >= 2  # not ready before its delay has passed
    cluster.settle()
    ep = cluster.store.get("Endpoints", "warm")
    assert [len(s.get("addresses", [])) for s in ep["subsets"]] == [1]


def test_configmap_as_env_and_as_volume(make_cluster):
    cluster = make_cluster()
    cluster.apply_text("""
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {GREETING: bonjour, app.conf: "mode=fast\\n"}
---
apiVersion: v1
kind: Pod
metadata: {name: box}
spec:
  containers:
  - name: box
    image: kubequest/toolbox:1.0
    env:
    - name: GREETING
      valueFrom: {configMapKeyRef: {name: settings, key: GREETING}}
    volumeMounts: [{name: conf, mountPath: /etc/app}]
  volumes:
  - name: conf
    configMap: {name: settings}
""")
    assert wait(make_cluster, cluster, lambda: running_and_ready(cluster, "box"), 30)
    assert cluster.exec("default", "box", ["sh", "-c", "echo $GREETING"]).output.strip() == "bonjour"
    assert cluster.exec("default", "box", ["cat", "/etc/app/app.conf"]).output == "mode=fast\n"


def test_missing_configmap_key_then_fixed(make_cluster):
    cluster = make_cluster()
    cluster.apply_text("""
apiVersion: v1
kind: Pod
metadata: {name: needy}
spec:
  containers:
  - name: box
    image: kubequest/toolbox:1.0
    env:
    - name: MODE
      valueFrom: {configMapKeyRef: {name: late, key: MODE}}
""")
    assert wait(make_cluster, cluster, lambda: pod_status(pod(cluster, "needy")) == "CreateContainerConfigError", 30)
    waiting = container_status(pod(cluster, "needy"))["state"]["waiting"]
    assert waiting["message"] == 'configmap "late" not found'
    cluster.apply_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: late}\ndata: {MODE: x}\n")
    assert wait(make_cluster, cluster, lambda: running_and_ready(cluster, "needy"), 60)


def test_pvc_data_outlives_the_pod(make_cluster):
    cluster = make_cluster()
    manifest = """
apiVersion: v1
kind: Pod
metadata: {name: NAME}
spec:
  containers:
  - name: box
    image: kubequest/toolbox:1.0
    volumeMounts: [{name: data, mountPath: /data}]
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: notes}
"""
    cluster.apply_text("""
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: notes}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
""")
    cluster.apply_text(manifest.replace("NAME", "writer"))
    assert wait(make_cluster, cluster, lambda: running_and_ready(cluster, "writer"), 30)
    assert cluster.exec("default", "writer", ["sh", "-c", "echo remembered > /data/note"]).exit_code == 0
    cluster.store.delete("Pod", "writer")
    assert wait(make_cluster, cluster, lambda: pod(cluster, "writer") is None, 60)
    cluster.apply_text(manifest.replace("NAME", "reader"))
    assert wait(make_cluster, cluster, lambda: running_and_ready(cluster, "reader"), 30)
    assert cluster.exec("default", "reader", ["cat", "/data/note"]).output.strip() == "remembered"


def test_two_containers_of_a_pod_share_localhost(make_cluster):
    cluster = make_cluster()
    cluster.apply_text("""
apiVersion: v1
kind: Pod
metadata: {name: duo}
spec:
  containers:
  - {name: web, image: kubequest/web:1.0}
  - {name: box, image: kubequest/toolbox:1.0}
""")
    assert wait(make_cluster, cluster, lambda: running_and_ready(cluster, "duo"), 30)
    out = cluster.exec("default", "duo", ["wget", "-qO-", "http://localhost:8080/"], container="box")
    assert out.exit_code == 0 and out.output.startswith("web 1.0 hello from duo")


def test_container_reaches_a_service_by_dns_name(make_cluster):
    cluster = make_cluster()
    cluster.apply_text("""
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  containers: [{name: box, image: kubequest/toolbox:1.0}]
""")
    assert wait(make_cluster, cluster, lambda: running_and_ready(cluster, "client"), 30)
    # The Service comes after the client pod: names must still resolve.
    cluster.apply_text("""
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: web, image: kubequest/web:1.0, ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec:
  selector: {app: api}
  ports: [{port: 80, targetPort: 8080}]
""")

    def two_endpoints():
        ep = cluster.store.try_get("Endpoints", "api", "default", copy=False)
        return bool(ep) and sum(len(s.get("addresses", [])) for s in ep["subsets"]) == 2

    assert wait(make_cluster, cluster, two_endpoints, 60)
    for host in ("api", "api.default.svc.cluster.local"):
        out = cluster.exec("default", "client", ["wget", "-qO-", f"http://{host}/"])
        assert out.exit_code == 0, out.output
        assert out.output.startswith("web 1.0 hello from api-")
