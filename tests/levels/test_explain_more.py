""""Why not yet?" for states play-testers reached by plausible wrong fixes: a liveness
probe that kills a warming app (not "it keeps crashing"), a Job whose pods fail (their
logs, not "no more clues"), a readiness probe failing while the app says why."""

from __future__ import annotations

import pytest

from kubequest.levels.loader import load_packs
from kubequest.levels.session import LevelSession

LEVELS = {lv.id: lv for pack in load_packs([]) for lv in pack.levels}


@pytest.fixture(autouse=True)
def _data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBEQUEST_DATA_DIR", str(tmp_path / "data"))


def _said(session, seconds: float) -> list[str]:
    state = session.run(seconds)
    return [why for o in state.objectives if not o.ok for why in o.explanation]


def test_a_liveness_probe_that_kills_a_warming_app_is_named(tmp_path):
    level = LEVELS["self-healing/warming-up"]
    wrong = tmp_path / "web.yaml"
    text = (level.dir / "workspace" / "web.yaml").read_text()
    wrong.write_text(text.replace(
        "          ports:\n",
        "          livenessProbe:\n            httpGet: {path: /ready, port: 8080}\n"
        "            periodSeconds: 2\n          ports:\n", 1))
    assert wrong.read_text() != text
    with LevelSession(level, runtime="sim") as session:
        session.apply_files([wrong])
        said = _said(session, 90)
    assert any("the kubelet kills it because its liveness probe fails — Liveness probe failed: "
               "HTTP probe failed with statuscode: 503 (the probe tries GET /ready on port 8080)" in w
               for w in said), said


def test_a_failing_job_shows_its_pods_logs_and_the_retries_left():
    with LevelSession(LEVELS["self-healing/job-backoff"], runtime="sim") as session:
        said = _said(session, 20)
    assert any(w.startswith("Job import: ") and "backoffLimit allows" in w for w in said), said
    assert any("cat: can't open '/input/orders.csv'" in w for w in said), said


def test_a_failing_readiness_probe_shows_what_the_app_last_said():
    with LevelSession(LEVELS["basics/keep-the-cache"], runtime="sim") as session:
        said = _said(session, 20)
    assert any("the container's last log line: 'catalog: no cache in /cache, building it (60s)'" in w
               for w in said), said


def test_an_adopted_pod_is_named_with_the_replicaset_that_counts_it():
    level = LEVELS["basics/set-based-selector"]
    with LevelSession(level, runtime="sim") as session:
        session.apply_files([session.workdir / "replicaset.yaml"])  # the file as given: the broken state
        said = _said(session, 20)
    assert ("ReplicaSet web counts web-debug among its 3 replicas — its selector app=web matches that pod, "
            "so it adopted it — and runs that many fewer of its own.") in said, said
    assert ("Pod web-debug is owned by ReplicaSet web: a controller adopts a pod that has no owner when "
            "its selector matches the pod's labels.") in said, said


def test_pods_failing_the_same_way_are_named_together():
    with LevelSession(LEVELS["services/find-by-name"], runtime="sim") as session:
        said = _said(session, 20)
    together = [w for w in said if w.startswith("Pods checkout-")]
    assert together and " are running but not Ready: Readiness probe failed: wget: bad address 'api'" in together[0]
    assert not any(w.startswith("Pod checkout-") for w in said), said


def test_pods_the_service_leaves_out_are_named_before_the_replicas():
    with LevelSession(LEVELS["rollouts/canary"], runtime="sim") as session:
        said = _said(session, 20)
    left_out = [w for w in said if w.startswith("Service web selects app=web, so it leaves out web-canary-")]
    assert left_out and said.index(left_out[0]) < said.index(
        "Deployment web asks for 4 replicas (spec.replicas): the cluster keeps exactly that many."), said


def test_too_many_pods_on_a_node_say_whose_they_are():
    with LevelSession(LEVELS["scheduling/spread-out"], runtime="sim") as session:
        said = _said(session, 20)
    assert any(w.startswith("3 such pods run on node-") and "they belong to ReplicaSet web-" in w
               for w in said), said
