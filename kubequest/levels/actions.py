"""Scripted events: what a level does to the cluster during play (PRODUCT.md §2).

    events:
      - {after: 30s, action: {type: killContainer, selector: {app: web}, count: 1}}
      - {when: objectivesMet, action: {type: deletePod, selector: {app: web}}}

`perform(cluster, action)` acts the way the real thing would happen: a killed
container is a process dying (the kubelet sees it die and restarts it), a
deleted Pod goes through the API (its ReplicaSet replaces it), a failed node
stops its kubelet (the node lifecycle controller notices, later), an added
node registers and starts its kubelet (the scheduler and the DaemonSet
controller see it join). Targets are picked in name order, so a level plays
the same every time.

`addNode` is a KubeQuest extension of PRODUCT.md's action list.
"""

from __future__ import annotations

from typing import Any

from engine.api.errors import KubeQuestError
from engine.clock import rfc3339
from engine.cluster import NodeConfig

from .checks import DEFAULT_NAMESPACE, live_pods, selector_text


class ActionFailed(KubeQuestError):
    """The action found nothing to act on (no pod matches, no such node…)."""


def _targets(cluster: Any, action: dict[str, Any]) -> list[dict]:
    ns = str(action.get("namespace") or DEFAULT_NAMESPACE)
    pods = live_pods(cluster.store, ns, action.get("selector"))
    if not pods:
        raise ActionFailed(f"no pod matches {selector_text(action.get('selector'))} in namespace {ns}")
    return pods[: int(action.get("count") or 1)]


def _container_id(status: dict) -> str | None:
    cid = status.get("containerID") or ""
    return cid.split("://", 1)[-1] or None


def kill_container(cluster: Any, action: dict[str, Any]) -> str:
    """SIGKILL the main process of a container in each target pod (exit 137, not OOM)."""
    killed = []
    for pod in _targets(cluster, action):
        name = pod["metadata"]["name"]
        statuses = (pod.get("status") or {}).get("containerStatuses") or []
        wanted = action.get("container")
        running = [cs for cs in statuses
                   if "running" in (cs.get("state") or {}) and (wanted is None or cs.get("name") == wanted)]
        if not running:
            raise ActionFailed(f"pod {name} has no running container"
                               + (f" named {wanted}" if wanted else ""))
        cs = running[0]
        cid = _container_id(cs)
        if cid is None:
            raise ActionFailed(f"pod {name}: container {cs.get('name')} has no container id yet")
        cluster.runtime.kill_container(cid)
        killed.append(f"{cs.get('name')} in pod {name}")
    return "killed container " + ", ".join(killed)


def delete_pod(cluster: Any, action: dict[str, Any]) -> str:
    names = []
    for pod in _targets(cluster, action):
        md = pod["metadata"]
        cluster.store.delete("Pod", md["name"], md.get("namespace"))
        names.append(md["name"])
    return ("deleted pod " if len(names) == 1 else "deleted pods ") + ", ".join(names)


def _node(cluster: Any, action: dict[str, Any]) -> str:
    name = str(action.get("node"))
    if cluster.store.try_get("Node", name, copy=False) is None:
        raise ActionFailed(f'no node "{name}" in this cluster')
    return name


def fail_node(cluster: Any, action: dict[str, Any]) -> str:
    name = _node(cluster, action)
    cluster.fail_node(name)
    return f"failed node {name} (its kubelet stopped and its containers are gone)"


def node_is_down(cluster: Any, name: str) -> bool:
    kubelet = getattr(cluster, "kubelets", {}).get(name)
    return kubelet is not None and not getattr(kubelet, "running", True)


def node_serves(store: Any, name: str) -> bool:
    """The node is Ready and runs a pod of its own (not a DaemonSet's, which every node
    has): failing it again tests something."""
    node = store.try_get("Node", name, copy=False)
    ready = any(c.get("type") == "Ready" and c.get("status") == "True"
                for c in ((node or {}).get("status") or {}).get("conditions") or [])
    if not ready:
        return False
    return any(not p["metadata"].get("deletionTimestamp") and (p.get("status") or {}).get("phase") == "Running"
               and not any(r.get("kind") == "DaemonSet" for r in p["metadata"].get("ownerReferences") or [])
               for p in store.pods_on_node(name))  # the store's index, not every pod


def recover_node(cluster: Any, action: dict[str, Any]) -> str:
    name = _node(cluster, action)
    cluster.recover_node(name)
    return f"recovered node {name}"


def node_config(action: dict[str, Any]) -> NodeConfig:
    """The NodeConfig an addNode action describes: its fields are those of a
    `cluster.nodes` entry, with the same defaults (4 CPU, 4Gi)."""
    return NodeConfig(
        name=str(action.get("node")),
        cpu=str(action.get("cpu", "4")),
        memory=str(action.get("memory", "4Gi")),
        labels={str(k): str(v) for k, v in (action.get("labels") or {}).items()},
        taints=[dict(t) for t in action.get("taints") or [] if isinstance(t, dict)],
    )


def add_node(cluster: Any, action: dict[str, Any]) -> str:
    """A new node joins: its Node object is registered and its kubelet starts
    (heartbeats, then runs whatever the scheduler or a DaemonSet puts there)."""
    cfg = node_config(action)
    node = cluster.store.try_get("Node", cfg.name, copy=False)
    kubelets = getattr(cluster, "kubelets", {})
    if node is not None and cfg.name in kubelets and cfg.name not in cluster.initial_nodes:
        # An earlier try of this action brought it in: a `survives` retried after the
        # learner's fix goes on with the node that joined.
        return f"kept node {cfg.name}, which joined on an earlier try"
    if node is not None or cfg.name in kubelets:
        raise ActionFailed(f'node "{cfg.name}" is already in this cluster: addNode needs a new node name')
    try:
        cluster.add_node(cfg)
    except KubeQuestError as exc:
        raise ActionFailed(f'node "{cfg.name}" could not join: {exc}') from None
    return f"added node {cfg.name} (it joined the cluster)"


def cordon_node(cluster: Any, action: dict[str, Any]) -> str:
    name = _node(cluster, action)

    def cordon(node: dict) -> None:
        node.setdefault("spec", {})["unschedulable"] = True

    cluster.store.mutate("Node", name, None, cordon)
    return f"cordoned node {name} (no new pods will be scheduled there)"


def scale(cluster: Any, action: dict[str, Any]) -> str:
    name, ns = str(action.get("deployment")), str(action.get("namespace") or DEFAULT_NAMESPACE)
    replicas = int(action.get("replicas", 0))

    def set_replicas(d: dict) -> None:
        d.setdefault("spec", {})["replicas"] = replicas

    if cluster.store.mutate("Deployment", name, ns, set_replicas) is None:
        raise ActionFailed(f"no Deployment {name} in namespace {ns}")
    return f"scaled Deployment {name} to {replicas}"


RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"


def set_image(cluster: Any, action: dict[str, Any]) -> str:
    """The game releases: `kubectl set image` and `kubectl rollout restart` in one.
    The restart stamp makes every try a rollout of every pod, even when the image
    is already the one asked for (a `survives` tried again after the learner's fix)."""
    name, ns = str(action.get("deployment")), str(action.get("namespace") or DEFAULT_NAMESPACE)
    image, wanted = str(action.get("image")), action.get("container")
    stamp = rfc3339(cluster.clock.now())
    found: list[str] = []

    def release(d: dict) -> None:
        template = d.setdefault("spec", {}).setdefault("template", {})
        containers = (template.get("spec") or {}).get("containers") or []
        targets = [c for c in containers if wanted is None or c.get("name") == wanted]
        if len(targets) != 1:
            found.extend(str(c.get("name")) for c in containers)
            raise _NoSuchContainer()
        targets[0]["image"] = image
        template.setdefault("metadata", {}).setdefault("annotations", {})[RESTARTED_AT] = stamp

    try:
        if cluster.store.mutate("Deployment", name, ns, release) is None:
            raise ActionFailed(f"no Deployment {name} in namespace {ns}")
    except _NoSuchContainer:
        which = f"no container {wanted}" if wanted else "more than one container: name one with `container`"
        raise ActionFailed(f"Deployment {name} has {which} (containers: {', '.join(found)})") from None
    return f"released {image} to Deployment {name} (set image, then rollout restart)"


class _NoSuchContainer(Exception):
    pass


ACTIONS = {
    "killContainer": kill_container,
    "deletePod": delete_pod,
    "failNode": fail_node,
    "recoverNode": recover_node,
    "cordonNode": cordon_node,
    "scale": scale,
    # KubeQuest extensions of PRODUCT.md §2's list:
    "addNode": add_node,
    "setImage": set_image,
}


def perform(cluster: Any, action: dict[str, Any]) -> str:
    """Do the action now; returns what happened, in past tense. Raises ActionFailed."""
    fn = ACTIONS.get(str(action.get("type")))
    if fn is None:
        raise ActionFailed(f'unknown action type "{action.get("type")}"')
    return fn(cluster, action)
