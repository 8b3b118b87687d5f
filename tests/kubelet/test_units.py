"""The pure parts: back-off arithmetic, Go durations, compute_pod_actions, getPhase."""

from __future__ import annotations

import pytest

from engine.clock import VirtualClock
from engine.kubelet.actions import compute_pod_actions, find_next_init_container_to_run
from engine.kubelet.backoff import Backoff, go_duration
from engine.kubelet.envvars import expand
from engine.kubelet.pod_state import EXITED, RUNNING, ContainerRecord, PodRecord, container_hash
from engine.kubelet.status import get_phase


@pytest.mark.parametrize("seconds,text", [
    (0, "0s"), (10, "10s"), (40, "40s"), (80, "1m20s"), (160, "2m40s"), (300, "5m0s"),
    (3600, "1h0m0s"), (1.5, "1.5s"), (0.25, "250ms"), (90.5, "1m30.5s"),
])
def test_go_duration(seconds, text):
    assert go_duration(seconds) == text


def test_backoff_doubles_to_the_cap_and_resets_when_stale():
    clock = VirtualClock(1000)
    b = Backoff(clock, 10, 300, reset_after=600)
    assert not b.is_in_backoff_since("k", clock.now())  # no entry: go at once
    windows = []
    for _ in range(7):
        b.next("k", clock.now())
        windows.append(b.get("k"))
    assert windows == [10, 20, 40, 80, 160, 300, 300]
    finished = clock.now()
    clock.advance(299)
    assert b.is_in_backoff_since("k", finished)
    clock.advance(1)
    assert not b.is_in_backoff_since("k", finished)
    # An event more than 600 s after the last update: the entry is stale.
    clock.advance(700)
    assert not b.is_in_backoff_since("k", clock.now())
    b.next("k", clock.now())
    assert b.get("k") == 10


def test_expand():
    env = {"A": "1", "B": "two"}
    assert expand("$(A)-$(B)-$(C)-$$(A)-$", env) == "1-two-$(C)-$(A)-$"


def pod(containers, init=(), policy="Always", deleting=False):
    p = {"metadata": {"uid": "u", "name": "p", "namespace": "ns"},
         "spec": {"restartPolicy": policy, "containers": [{"name": c, "image": "i"} for c in containers],
                  "initContainers": [{"name": c, "image": "i"} for c in init]}}
    if deleting:
        p["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return p


def record(p, states: dict[str, tuple[str, int | None]]) -> PodRecord:
    rec = PodRecord("u", "ns", "p", sandbox_id="sb", sandbox_ready=True)
    specs = {c["name"]: c for c in p["spec"]["containers"] + p["spec"]["initContainers"]}
    for name, (state, code) in states.items():
        rec.containers[name] = ContainerRecord(f"id-{name}", name, "i", 0, container_hash(specs[name]),
                                               state=state, exit_code=code)
    return rec


def test_new_pod_creates_the_sandbox_and_starts_everything():
    p = pod(["a", "b"])
    actions = compute_pod_actions(p, PodRecord("u", "ns", "p"))
    assert actions.create_sandbox and actions.containers_to_start == [0, 1]


def test_new_pod_with_init_containers_starts_the_first_only():
    p = pod(["a"], init=["i1", "i2"])
    actions = compute_pod_actions(p, PodRecord("u", "ns", "p"))
    assert actions.next_init_container["name"] == "i1" and actions.containers_to_start == []


def test_init_containers_in_order():
    p = pod(["a"], init=["i1", "i2"])
    assert find_next_init_container_to_run(p, record(p, {"i1": (RUNNING, None)}))[1:] == (None, False)
    _, nxt, done = find_next_init_container_to_run(p, record(p, {"i1": (EXITED, 0)}))
    assert nxt["name"] == "i2" and not done
    assert find_next_init_container_to_run(p, record(p, {"i1": (EXITED, 0), "i2": (EXITED, 0)}))[2]
    failed, nxt, done = find_next_init_container_to_run(p, record(p, {"i1": (EXITED, 1)}))
    assert failed.name == "i1" and nxt["name"] == "i1" and not done


def test_failed_init_container_with_never_kills_the_pod():
    p = pod(["a"], init=["i1"], policy="Never")
    assert compute_pod_actions(p, record(p, {"i1": (EXITED, 1)})).kill_pod


@pytest.mark.parametrize("policy,code,restart", [
    ("Always", 0, True), ("Always", 1, True), ("OnFailure", 0, False), ("OnFailure", 1, True),
    ("Never", 1, False),
])
def test_restart_policy(policy, code, restart):
    p = pod(["a"], policy=policy)
    actions = compute_pod_actions(p, record(p, {"a": (EXITED, code)}))
    assert (actions.containers_to_start == [0]) is restart
    assert actions.kill_pod is not restart  # nothing running and nothing to start


def test_liveness_failure_kills_and_restarts():
    p = pod(["a", "b"])
    rec = record(p, {"a": (RUNNING, None), "b": (RUNNING, None)})
    actions = compute_pod_actions(p, rec, lambda cid, probe: cid == "id-a" and probe == "liveness")
    assert actions.containers_to_start == [0]
    assert actions.containers_to_kill["id-a"].message == "Container a failed liveness probe, will be restarted"
    assert not actions.kill_pod


def test_changed_definition_restarts_even_with_never():
    p = pod(["a"], policy="Never")
    rec = record(p, {"a": (RUNNING, None)})
    p["spec"]["containers"][0]["image"] = "other"
    actions = compute_pod_actions(p, rec)
    assert actions.containers_to_kill["id-a"].message == "Container a definition changed, will be restarted"
    assert actions.containers_to_start == [0]


def test_deleted_pod_is_not_restarted():
    p = pod(["a"], deleting=True)
    actions = compute_pod_actions(p, record(p, {"a": (EXITED, 1)}))
    assert actions.containers_to_start == [] and actions.kill_pod


def st(state: dict, last: dict | None = None) -> dict:
    return {"state": state, "lastState": last or {}}


RUN = {"running": {}}
WAIT = {"waiting": {"reason": "ContainerCreating"}}


def term(code: int) -> dict:
    return {"terminated": {"exitCode": code}}


@pytest.mark.parametrize("policy,statuses,phase", [
    ("Always", [st(WAIT)], "Pending"),
    ("Always", [st(RUN), st(WAIT)], "Pending"),
    ("Always", [st(RUN)], "Running"),
    ("Always", [st({"waiting": {"reason": "CrashLoopBackOff"}}, term(1))], "Running"),
    ("Always", [st(term(0))], "Running"),
    ("Never", [st(term(0)), st(term(0))], "Succeeded"),
    ("Never", [st(term(0)), st(term(1))], "Failed"),
    ("Never", [st(RUN), st(term(1))], "Running"),
    ("OnFailure", [st(term(0))], "Succeeded"),
    ("OnFailure", [st({"waiting": {"reason": "CrashLoopBackOff"}}, term(1))], "Running"),
])
def test_get_phase(policy, statuses, phase):
    assert get_phase({"spec": {"restartPolicy": policy}}, [], statuses) == phase


def test_get_phase_with_init_containers():
    never = {"spec": {"restartPolicy": "Never"}}
    always = {"spec": {"restartPolicy": "Always"}}
    assert get_phase(always, [st(RUN)], [st({"waiting": {"reason": "PodInitializing"}})]) == "Pending"
    assert get_phase(never, [st(term(1))], [st({"waiting": {"reason": "PodInitializing"}})]) == "Failed"
    assert get_phase(always, [st({"waiting": {"reason": "CrashLoopBackOff"}}, term(1))],
                     [st({"waiting": {"reason": "PodInitializing"}})]) == "Pending"


def test_terminal_pod_phase_on_deletion():
    always = {"spec": {"restartPolicy": "Always"}}
    assert get_phase(always, [], [st(term(0))], pod_is_terminal=True) == "Succeeded"
    assert get_phase(always, [], [st(term(137))], pod_is_terminal=True) == "Failed"

