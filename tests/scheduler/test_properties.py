"""Property: whatever pods arrive and leave, the scheduler never puts more requests
on a node than its allocatable, and a pod left Pending really fits nowhere."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.scheduler.framework import int_value, milli_cpu

from .conftest import Env

node_st = st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 6))  # cores, GiB, max pods
pod_st = st.tuples(st.sampled_from([None, "100m", "250m", "500m", "1", "1500m", "3"]),
                   st.sampled_from([None, "64Mi", "256Mi", "512Mi", "1Gi", "3Gi"]))
step_st = st.one_of(st.tuples(st.just("add"), pod_st), st.tuples(st.just("delete"), st.integers(0, 40)))


def _requests(pod: dict) -> tuple[int, int]:
    req = (pod["spec"]["containers"][0].get("resources") or {}).get("requests") or {}
    return milli_cpu(req.get("cpu", "0")), int_value(req.get("memory", "0"))


def _check(env: Env, nodes: dict[str, tuple[int, int, int]]) -> None:
    used = {name: [0, 0, 0] for name in nodes}
    pods = env.store.list("Pod")
    for pod in pods:
        node = pod["spec"].get("nodeName")
        if node:
            cpu, mem = _requests(pod)
            used[node][0] += cpu
            used[node][1] += mem
            used[node][2] += 1
    for name, (cores, gib, max_pods) in nodes.items():
        assert used[name][0] <= cores * 1000, (name, used[name])
        assert used[name][1] <= gib * 2**30, (name, used[name])
        assert used[name][2] <= max_pods, (name, used[name])
    for pod in pods:
        if not pod["spec"].get("nodeName"):
            cpu, mem = _requests(pod)
            for name, (cores, gib, max_pods) in nodes.items():
                fits = (cpu <= cores * 1000 - used[name][0] and mem <= gib * 2**30 - used[name][1]
                        and used[name][2] < max_pods)
                assert not fits, f"{pod['metadata']['name']} is Pending but fits on {name}"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(node_st, min_size=1, max_size=4), st.lists(step_st, min_size=1, max_size=40))
def test_never_overcommits_and_pending_pods_fit_nowhere(node_specs, steps):
    env = Env()
    nodes = {}
    for i, (cores, gib, max_pods) in enumerate(node_specs):
        env.node(f"node-{i}", cpu=str(cores), memory=f"{gib}Gi", pods=max_pods)
        nodes[f"node-{i}"] = (cores, gib, max_pods)
    created = []
    for i, step in enumerate(steps):
        if step[0] == "add":
            cpu, mem = step[1]
            env.pod(f"p-{i}", cpu=cpu, memory=mem)
            created.append(f"p-{i}")
        elif created:
            name = created.pop(step[1] % len(created))
            env.store.delete("Pod", name, "default", grace_period_seconds=0)
        env.loop.settle()
        _check_overcommit_only(env, nodes)
    env.loop.advance(15)  # every back-off has run out: pending pods were retried
    _check(env, nodes)


def _check_overcommit_only(env: Env, nodes: dict[str, tuple[int, int, int]]) -> None:
    for name, (cores, gib, max_pods) in nodes.items():
        on_node = env.store.pods_on_node(name)
        assert sum(_requests(p)[0] for p in on_node) <= cores * 1000
        assert sum(_requests(p)[1] for p in on_node) <= gib * 2**30
        assert len(on_node) <= max_pods
