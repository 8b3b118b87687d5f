"""Scoring: spreading of one controller's pods, least-allocated, preferences."""

from __future__ import annotations

from collections import Counter

from .conftest import Env, owner


def test_six_replicas_of_one_replicaset_spread_two_per_node(env):
    for i in (1, 2, 3):
        env.node(f"node-{i}")
    for i in range(6):
        env.pod(f"web-{i}", labels={"app": "web"}, owner=owner())
    env.loop.settle()
    assert Counter(env.node_of(f"web-{i}") for i in range(6)) == {"node-1": 2, "node-2": 2, "node-3": 2}


def test_spreading_is_per_controller(env):
    env.node("node-1")
    env.node("node-2")
    for i in range(2):
        env.pod(f"a-{i}", owner=owner("a", "uid-a"))
    for i in range(2):
        env.pod(f"b-{i}", owner=owner("b", "uid-b"))
    env.loop.settle()
    assert {env.node_of("a-0"), env.node_of("a-1")} == {"node-1", "node-2"}
    assert {env.node_of("b-0"), env.node_of("b-1")} == {"node-1", "node-2"}


def test_least_allocated_prefers_the_emptier_node(env):
    env.node("busy")
    env.node("idle")
    env.pod("hog", cpu="3", memory="3Gi", nodeName="busy")
    env.pod("p", cpu="100m", memory="64Mi")
    env.loop.settle()
    assert env.node_of("p") == "idle"


def test_preferred_node_affinity_wins_over_an_emptier_node(env):
    env.node("fast", labels={"disk": "ssd"})
    env.node("slow")
    env.pod("filler", cpu="1", nodeName="fast")
    env.pod("p", affinity={"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 50, "preference": {"matchExpressions": [
            {"key": "disk", "operator": "In", "values": ["ssd"]}]}}]}})
    env.loop.settle()
    assert env.node_of("p") == "fast"


def test_prefer_no_schedule_taint_is_avoided_when_possible(env):
    env.node("spot", taints=[{"key": "spot", "effect": "PreferNoSchedule"}])
    env.node("steady")
    env.pod("filler", cpu="1", nodeName="steady")
    env.pod("p")
    env.loop.settle()
    assert env.node_of("p") == "steady"


def test_ties_are_broken_the_same_way_with_the_same_seed():
    def run() -> list[str | None]:
        e = Env()
        for i in (1, 2, 3, 4):
            e.node(f"node-{i}")
        for i in range(5):
            e.pod(f"p-{i}")
        e.loop.settle()
        return [e.node_of(f"p-{i}") for i in range(5)]

    first = run()
    assert first == run()
    assert len(set(first)) == 4  # request-less pods still spread: scoring counts 100m/200Mi each
