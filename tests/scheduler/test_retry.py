"""Pending pods are retried when the cluster changes, and otherwise after
timing.unschedulable_retry; identical failures aggregate into one Event."""

from __future__ import annotations

from engine.config import DEFAULT_TIMING


def test_pending_pod_is_scheduled_when_a_node_is_added(env):
    env.node("node-1", memory="1Gi")
    env.pod("p", memory="2Gi")
    env.loop.settle()
    assert env.node_of("p") is None

    start = env.clock.now()
    env.clock.advance(0.5)
    env.node("node-2", memory="4Gi")
    # the node add moves the pod out of the unschedulable pods; it waits out its 1 s back-off
    assert env.loop.run_until(lambda: env.node_of("p") is not None, timeout=5)
    assert env.node_of("p") == "node-2"
    assert env.clock.now() - start == 1.0
    assert env.condition("p")["status"] == "True"


def test_pending_pod_is_scheduled_when_the_blocking_pod_is_deleted(env):
    env.node("node-1", cpu="1")
    env.pod("blocker", cpu="800m")
    env.loop.settle()
    env.pod("waiting", cpu="500m")
    env.loop.settle()
    assert env.node_of("waiting") is None

    env.clock.advance(5)  # past the back-off, long before the 60 s flush
    deleted_at = env.clock.now()
    env.store.delete("Pod", "blocker", "default", grace_period_seconds=0)
    env.loop.settle()
    assert env.node_of("waiting") == "node-1"
    assert env.clock.now() == deleted_at


def test_uncordon_and_removed_taint_wake_pending_pods(env):
    node = env.node("node-1", unschedulable=True,
                    taints=[{"key": "dedicated", "value": "x", "effect": "NoSchedule"}])
    env.pod("p")
    env.loop.settle()
    assert "were unschedulable" in env.failed_message("p")

    env.clock.advance(2)
    node = env.store.get("Node", "node-1")
    node["spec"]["unschedulable"] = False
    env.store.update(node)
    env.loop.settle()
    assert env.node_of("p") is None
    assert env.failed_message("p").startswith("0/1 nodes are available: 1 node(s) had untolerated taint")

    env.clock.advance(5)
    node = env.store.get("Node", "node-1")
    node["spec"].pop("taints")
    env.store.update(node)
    env.loop.settle()
    assert env.node_of("p") == "node-1"


def test_unrelated_changes_do_not_retry_and_the_periodic_retry_aggregates_events(env):
    env.node("node-1", memory="1Gi")
    env.pod("p", memory="2Gi")
    env.loop.settle()
    # a heartbeat-like status write on the node changes nothing the plugins look at
    for _ in range(3):
        env.clock.advance(10)
        env.store.mutate("Node", "node-1", None, lambda n: n["status"].update(
            conditions=[{"type": "Ready", "status": "True", "lastHeartbeatTime": env.store.now()}]),
            subresource="status")
        env.loop.settle()
    [ev] = env.events("FailedScheduling", "p")
    assert ev["count"] == 1

    env.loop.advance(DEFAULT_TIMING.unschedulable_retry)  # the flush of long-unschedulable pods
    [ev] = env.events("FailedScheduling", "p")
    assert ev["count"] == 2
    assert env.node_of("p") is None


def test_deleted_pending_pod_is_forgotten(env):
    env.node("node-1", memory="1Gi")
    env.pod("p", memory="2Gi")
    env.loop.settle()
    env.store.delete("Pod", "p", "default")
    env.loop.advance(2 * DEFAULT_TIMING.unschedulable_retry)
    assert env.store.try_get("Pod", "p", "default") is None
    assert [e["count"] for e in env.events("FailedScheduling", "p")] == [1]


def test_adding_a_toleration_to_the_pending_pod_retries_it(env):
    env.node("node-1", taints=[{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}])
    env.pod("p")
    env.loop.settle()
    assert env.node_of("p") is None
    pod = env.store.get("Pod", "p", "default")
    pod["spec"]["tolerations"] = [{"key": "dedicated", "operator": "Exists"}]
    env.store.update(pod)
    env.loop.settle()
    assert env.node_of("p") == "node-1"
