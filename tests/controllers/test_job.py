from __future__ import annotations

import pytest

from engine.api.objects import get_condition
from engine.controllers.job import JOB_TRACKING_FINALIZER, JobController
from tests.controllers.fake_nodes import FakeNodes, add_node, make_loop


def job(
    name="pi",
    *,
    completions=None,
    parallelism=None,
    backoff=None,
    fail=False,
    work=3,
    restart="Never",
    **spec_extra,
):
    env = [{"name": "WORK_SECONDS", "value": str(work)}]
    if fail:
        env.append({"name": "FAIL", "value": "1"})
    spec = {
        "template": {
            "spec": {
                "restartPolicy": restart,
                "containers": [{"name": "w", "image": "kubequest/worker:1.0", "env": env}],
            }
        }
    }
    if completions is not None:
        spec["completions"] = completions
    if parallelism is not None:
        spec["parallelism"] = parallelism
    if backoff is not None:
        spec["backoffLimit"] = backoff
    spec.update(spec_extra)
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}, "spec": spec}


@pytest.fixture
def env():
    store, loop = make_loop()
    add_node(store, "node-1")
    loop.add(JobController(loop.ctx))
    nodes = loop.add(FakeNodes(loop.ctx))
    return store, loop, nodes


def events(store, reason=None):
    return [e for e in store.list("Event", copy=False) if reason is None or e["reason"] == reason]


def job_pods(store, name="pi"):
    return store.list("Pod", "default", copy=False)


def test_completions_3_parallelism_2_never_more_than_2_active(env):
    store, loop, _ = env
    peak = []

    def watch(ev):
        if ev.kind == "Pod":
            active = [
                p
                for p in store.list("Pod", copy=False)
                if p["status"].get("phase") not in ("Succeeded", "Failed")
                and not p["metadata"].get("deletionTimestamp")
            ]
            peak.append(len(active))

    store.subscribe(watch)
    store.create(job(completions=3, parallelism=2))
    assert loop.run_until(
        lambda: get_condition(store.get("Job", "pi"), "Complete") is not None, 120
    )
    j = store.get("Job", "pi")
    assert max(peak) == 2
    st = j["status"]
    assert st["succeeded"] == 3 and "failed" not in st and "active" not in st
    assert st["ready"] == 0 and st["terminating"] == 0
    assert st["startTime"] and st["completionTime"]
    types = [(c["type"], c["status"], c["reason"]) for c in st["conditions"]]
    assert types == [
        ("SuccessCriteriaMet", "True", "CompletionsReached"),
        ("Complete", "True", "CompletionsReached"),
    ]
    assert st["conditions"][1]["message"] == "Reached expected number of succeeded pods"
    pods = job_pods(store)
    assert len(pods) == 3
    for p in pods:
        assert (
            p["metadata"]["name"].startswith("pi-") and len(p["metadata"]["name"]) == len("pi-") + 5
        )
        assert p["status"]["phase"] == "Succeeded"
        assert JOB_TRACKING_FINALIZER not in (p["metadata"].get("finalizers") or [])
        ref = p["metadata"]["ownerReferences"][0]
        assert ref["kind"] == "Job" and ref["controller"] and ref["uid"] == j["metadata"]["uid"]
        assert p["metadata"]["labels"]["batch.kubernetes.io/job-name"] == "pi"
    created = [e["message"] for e in events(store, "SuccessfulCreate")]
    assert sorted(created) == sorted(f"Created pod: {p['metadata']['name']}" for p in pods)
    completed = events(store, "Completed")
    assert len(completed) == 1 and completed[0]["message"] == "Job completed"
    assert completed[0]["source"]["component"] == "job-controller"


def test_pods_carry_the_tracking_finalizer_while_running(env):
    store, loop, _ = env
    store.create(job(work=30))
    loop.advance(5)
    (pod,) = job_pods(store)
    assert pod["status"]["phase"] == "Running"
    assert JOB_TRACKING_FINALIZER in pod["metadata"]["finalizers"]
    st = store.get("Job", "pi")["status"]
    assert st["active"] == 1 and st["ready"] == 1


def test_backoff_limit_2_fails_after_exactly_3_failed_pods(env):
    store, loop, _ = env
    store.create(job(backoff=2, fail=True))
    assert loop.run_until(lambda: get_condition(store.get("Job", "pi"), "Failed") is not None, 3600)
    j = store.get("Job", "pi")
    assert j["status"]["failed"] == 3
    assert "succeeded" not in j["status"] and "completionTime" not in j["status"]
    failed = get_condition(j, "Failed")
    assert failed["reason"] == "BackoffLimitExceeded"
    assert failed["message"] == "Job has reached the specified backoff limit"
    assert get_condition(j, "FailureTarget")["reason"] == "BackoffLimitExceeded"
    pods = job_pods(store)
    assert len(pods) == 3 and all(p["status"]["phase"] == "Failed" for p in pods)
    warn = events(store, "BackoffLimitExceeded")
    assert len(warn) == 1 and warn[0]["type"] == "Warning"
    assert warn[0]["message"] == "Job has reached the specified backoff limit"
    # Nothing more happens afterwards.
    loop.advance(600)
    assert len(job_pods(store)) == 3


def test_failed_pod_replacement_waits_10s_then_20s(env):
    store, loop, _ = env
    store.create(job(backoff=5, fail=True, work=1))
    created_at = []
    store.subscribe(
        lambda ev: (
            created_at.append(store.clock.now())
            if ev.kind == "Pod" and ev.type == "ADDED"
            else None
        )
    )
    t0 = store.clock.now()
    loop.run_until(lambda: len(created_at) >= 2, 3600)
    loop.run_until(lambda: len(created_at) >= 3, 3600)
    # pod 1: created at t0, Running at +1, fails at +2; replaced 10 s later.
    assert [t - t0 for t in created_at[:3]] == [
        0,
        12,
        34,
    ]  # pod 2 fails at +14; back-off doubles to 20 s


def test_on_failure_restarts_count_against_backoff_limit(env):
    store, loop, _ = env
    store.create(job(backoff=2, fail=True, restart="OnFailure", work=1))
    assert loop.run_until(lambda: get_condition(store.get("Job", "pi"), "Failed") is not None, 600)
    j = store.get("Job", "pi")
    assert get_condition(j, "Failed")["reason"] == "BackoffLimitExceeded"
    # One pod, restarted twice, then stopped by the controller.
    assert len(events(store, "SuccessfulCreate")) == 1
    assert store.list("Pod") == []  # the Job deleted it and the kubelet finished the deletion


def test_active_deadline_exceeded(env):
    store, loop, _ = env
    store.create(job(work=1000, activeDeadlineSeconds=30))
    assert loop.run_until(lambda: get_condition(store.get("Job", "pi"), "Failed") is not None, 120)
    cond = get_condition(store.get("Job", "pi"), "Failed")
    assert cond["reason"] == "DeadlineExceeded"
    assert cond["message"] == "Job was active longer than specified deadline"
    assert store.clock.now() - 1_767_225_600 >= 30
    assert store.list("Pod") == []


def test_suspend_and_resume(env):
    store, loop, _ = env
    store.create(job(work=1000, parallelism=2, completions=4))
    loop.advance(5)
    assert len(job_pods(store)) == 2
    store.mutate("Job", "pi", "default", lambda j: j["spec"].__setitem__("suspend", True))
    loop.advance(5)
    j = store.get("Job", "pi")
    assert job_pods(store) == []
    assert get_condition(j, "Suspended")["status"] == "True"
    assert "failed" not in j["status"]  # pods removed on purpose are not failures
    assert [e["message"] for e in events(store, "Suspended")] == ["Job suspended"]
    store.mutate("Job", "pi", "default", lambda j: j["spec"].__setitem__("suspend", False))
    loop.advance(5)
    assert len(job_pods(store)) == 2
    assert get_condition(store.get("Job", "pi"), "Suspended")["status"] == "False"
    assert [e["message"] for e in events(store, "Resumed")] == ["Job resumed"]


def test_deleting_a_running_pod_counts_as_failure_and_is_replaced(env):
    store, loop, _ = env
    store.create(job(work=1000))
    loop.advance(5)
    (pod,) = job_pods(store)
    store.delete("Pod", pod["metadata"]["name"], "default")
    loop.advance(30)
    j = store.get("Job", "pi")
    assert j["status"]["failed"] == 1
    names = [p["metadata"]["name"] for p in job_pods(store)]
    assert pod["metadata"]["name"] not in names and len(names) == 1


def test_orphaned_pods_lose_the_tracking_finalizer(env):
    store, loop, _ = env
    store.create(job(work=1000))
    loop.advance(5)
    store.delete("Job", "pi", "default")  # background: the Job is gone at once
    loop.advance(1)
    (pod,) = job_pods(store)
    assert JOB_TRACKING_FINALIZER not in (pod["metadata"].get("finalizers") or [])
