"""Each filter plugin, asserted through the store: where the pod lands, its
PodScheduled condition and the FailedScheduling event in Kubernetes' words."""

from __future__ import annotations

NOT_HELPFUL = "preemption: 0/{n} nodes are available: {n} Preemption is not helpful for scheduling."
NO_VICTIMS = "preemption: 0/{n} nodes are available: {n} No preemption victims found for incoming pod."


def test_insufficient_memory_everywhere_is_unschedulable(env):
    for i in (1, 2, 3):
        env.node(f"node-{i}", memory="1Gi")
    env.pod("big", memory="2Gi")
    env.loop.settle()

    assert env.node_of("big") is None
    msg = "0/3 nodes are available: 3 Insufficient memory. " + NOT_HELPFUL.format(n=3)
    cond = env.condition("big")
    assert cond["status"] == "False" and cond["reason"] == "Unschedulable" and cond["message"] == msg
    events = env.events("FailedScheduling", "big")
    assert [(e["type"], e["message"], e["source"]["component"]) for e in events] == [
        ("Warning", msg, "default-scheduler")]


def test_full_node_reports_no_preemption_victims(env):
    env.node("node-1", cpu="1")
    env.pod("first", cpu="800m")
    env.loop.settle()
    env.pod("second", cpu="500m")
    env.loop.settle()

    assert env.node_of("first") == "node-1"
    assert env.node_of("second") is None
    assert env.failed_message("second") == (
        "0/1 nodes are available: 1 Insufficient cpu. " + NO_VICTIMS.format(n=1))


def test_reasons_over_three_nodes_are_counted_and_sorted(env):
    env.node("cp", taints=[{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}])
    env.node("node-1", memory="1Gi")
    env.node("node-2", memory="1Gi")
    env.pod("p", memory="2Gi")
    env.loop.settle()

    assert env.failed_message("p") == (
        "0/3 nodes are available: 1 node(s) had untolerated taint "
        "{node-role.kubernetes.io/control-plane: }, 2 Insufficient memory. " + NOT_HELPFUL.format(n=3))


def test_cpu_and_memory_both_short_are_both_counted(env):
    env.node("node-1", cpu="1", memory="1Gi")
    env.node("node-2", cpu="1", memory="1Gi")
    env.pod("p", cpu="2", memory="2Gi")
    env.loop.settle()
    assert env.failed_message("p") == (
        "0/2 nodes are available: 2 Insufficient cpu, 2 Insufficient memory. " + NOT_HELPFUL.format(n=2))


def test_too_many_pods(env):
    env.node("node-1", pods=2)
    for name in ("a", "b", "c"):
        env.pod(name)
    env.loop.settle()
    assert [env.node_of(n) for n in ("a", "b", "c")] == ["node-1", "node-1", None]
    assert env.failed_message("c") == "0/1 nodes are available: 1 Too many pods. " + NO_VICTIMS.format(n=1)


def test_cordoned_node_is_unschedulable_unless_tolerated(env):
    env.node("node-1", unschedulable=True)
    env.pod("p")
    env.pod("tolerant", tolerations=[{"key": "node.kubernetes.io/unschedulable", "operator": "Exists",
                                      "effect": "NoSchedule"}])
    env.loop.settle()
    assert env.node_of("p") is None
    assert env.failed_message("p") == (
        "0/1 nodes are available: 1 node(s) were unschedulable. " + NOT_HELPFUL.format(n=1))
    assert env.node_of("tolerant") == "node-1"


def test_node_selector_sends_the_pod_to_the_ssd_node(env):
    env.node("node-1")
    env.node("node-2", labels={"disk": "ssd"})
    env.node("node-3")
    env.pod("db", nodeSelector={"disk": "ssd"})
    env.pod("nowhere", nodeSelector={"disk": "nvme"})
    env.loop.settle()
    assert env.node_of("db") == "node-2"
    assert env.failed_message("nowhere") == (
        "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. "
        + NOT_HELPFUL.format(n=3))


def test_required_node_affinity_operators(env):
    env.node("small", labels={"cores": "2", "zone": "a"})
    env.node("large", labels={"cores": "16", "zone": "b", "gpu": "yes"})
    env.node("plain", labels={"zone": "c"})

    def affinity(*exprs):
        return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": list(exprs)}]}}}

    env.pod("gt", affinity=affinity({"key": "cores", "operator": "Gt", "values": ["4"]}))
    env.pod("lt", affinity=affinity({"key": "cores", "operator": "Lt", "values": ["4"]}))
    env.pod("notin", affinity=affinity({"key": "zone", "operator": "NotIn", "values": ["a", "b"]}))
    env.pod("nogpu", affinity=affinity({"key": "gpu", "operator": "DoesNotExist"},
                                       {"key": "cores", "operator": "Exists"}))
    env.pod("in", affinity=affinity({"key": "zone", "operator": "In", "values": ["b"]}))
    env.loop.settle()
    assert {n: env.node_of(n) for n in ("gt", "lt", "notin", "nogpu", "in")} == {
        "gt": "large", "lt": "small", "notin": "plain", "nogpu": "small", "in": "large"}


def test_dedicated_taint_needs_a_toleration(env):
    env.node("gpu-1", taints=[{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}])
    env.pod("plain")
    env.pod("equal", tolerations=[{"key": "dedicated", "operator": "Equal", "value": "gpu",
                                   "effect": "NoSchedule"}])
    env.pod("wrong-value", tolerations=[{"key": "dedicated", "operator": "Equal", "value": "cpu"}])
    env.pod("exists", tolerations=[{"key": "dedicated", "operator": "Exists"}])
    env.pod("everything", tolerations=[{"operator": "Exists"}])
    env.loop.settle()
    assert env.node_of("plain") is None
    assert env.node_of("wrong-value") is None
    assert env.failed_message("plain") == (
        "0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}. "
        + NOT_HELPFUL.format(n=1))
    assert [env.node_of(n) for n in ("equal", "exists", "everything")] == ["gpu-1"] * 3


def test_no_execute_taint_also_blocks_and_prefer_no_schedule_does_not(env):
    env.node("node-1", taints=[{"key": "maintenance", "effect": "NoExecute"}])
    env.node("node-2", taints=[{"key": "spot", "effect": "PreferNoSchedule"}])
    env.pod("p")
    env.loop.settle()
    assert env.node_of("p") == "node-2"


def test_pod_anti_affinity_spreads_and_the_extra_replica_stays_pending(env):
    for i in (1, 2, 3):
        env.node(f"node-{i}")
    anti = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "cache"}}, "topologyKey": "kubernetes.io/hostname"}]}}
    for i in range(4):
        env.pod(f"cache-{i}", labels={"app": "cache"}, affinity=anti)
    env.loop.settle()
    placed = [env.node_of(f"cache-{i}") for i in range(3)]
    assert sorted(placed) == ["node-1", "node-2", "node-3"]
    assert env.node_of("cache-3") is None
    assert env.failed_message("cache-3") == (
        "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. "
        + NO_VICTIMS.format(n=3))


def test_existing_pods_anti_affinity_keeps_newcomers_away(env):
    env.node("node-1")
    env.node("node-2")
    env.pod("loner", labels={"app": "loner"}, nodeName="node-1", affinity={"podAntiAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": "kubernetes.io/hostname"}]}})
    for i in range(3):
        env.pod(f"web-{i}", labels={"app": "web"})
    env.loop.settle()
    assert {env.node_of(f"web-{i}") for i in range(3)} == {"node-2"}


def test_pod_affinity_follows_the_matching_pod(env):
    for i in (1, 2, 3):
        env.node(f"node-{i}")
    env.pod("db", labels={"app": "db"}, nodeName="node-2")
    near = {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": "kubernetes.io/hostname"}]}}
    env.pod("app", affinity=near)
    env.pod("orphan", affinity={"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "ghost"}}, "topologyKey": "kubernetes.io/hostname"}]}})
    env.loop.settle()
    assert env.node_of("app") == "node-2"
    assert env.failed_message("orphan") == (
        "0/3 nodes are available: 3 node(s) didn't match pod affinity rules. " + NOT_HELPFUL.format(n=3))


def test_first_pod_with_affinity_to_itself_may_go_anywhere(env):
    env.node("node-1")
    self_affinity = {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "pair"}}, "topologyKey": "kubernetes.io/hostname"}]}}
    env.pod("pair-0", labels={"app": "pair"}, affinity=self_affinity)
    env.loop.settle()
    assert env.node_of("pair-0") == "node-1"


def test_no_nodes(env):
    env.pod("p")
    env.loop.settle()
    assert env.failed_message("p") == "no nodes available to schedule pods"
    assert env.condition("p")["reason"] == "Unschedulable"


def test_preemption_policy_never(env):
    env.node("node-1", memory="1Gi")
    env.pod("p", memory="512Mi")
    env.pod("q", memory="768Mi", preemptionPolicy="Never")
    env.loop.settle()
    assert env.failed_message("q") == (
        "0/1 nodes are available: 1 Insufficient memory. "
        "preemption: not eligible due to preemptionPolicy=Never.")


def test_init_containers_count_as_their_maximum(env):
    env.node("node-1", cpu="2")
    spec = {"initContainers": [{"name": "init", "image": "x", "resources": {"requests": {"cpu": "1500m"}}}]}
    env.pod("fits", cpu="1", **spec)  # max(1500m init, 1 app) = 1500m
    env.pod("next", cpu="600m")  # 1500m + 600m > 2
    env.loop.settle()
    assert env.node_of("fits") == "node-1"
    assert env.node_of("next") is None
    assert "Insufficient cpu" in env.failed_message("next")


def test_pods_of_other_schedulers_and_terminal_pods_are_left_alone(env):
    env.node("node-1")
    env.pod("custom", schedulerName="my-scheduler")
    env.loop.settle()
    assert env.node_of("custom") is None
    assert env.events("FailedScheduling") == []


def test_bound_pod_gets_scheduled_condition_and_event(env):
    env.node("node-1")
    env.pod("p")
    env.loop.settle()
    cond = env.condition("p")
    assert cond["status"] == "True" and "reason" not in cond
    [ev] = env.events("Scheduled", "p")
    assert (ev["type"], ev["message"], ev["source"]["component"]) == (
        "Normal", "Successfully assigned default/p to node-1", "default-scheduler")
