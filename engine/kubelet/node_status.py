"""The node's status, posted by its kubelet on a timer (the heartbeat).

Source: pkg/kubelet/kubelet_node_status.go (`updateNodeStatus`,
`syncNodeStatus`) and pkg/kubelet/nodestatus/setters.go (`MemoryPressureCondition`,
`DiskPressureCondition`, `PIDPressureCondition`, `ReadyCondition`). Every
`nodeStatusUpdateFrequency` (timing.node_status_update, 10 s) the kubelet
refreshes each condition's lastHeartbeatTime; lastTransitionTime moves only
when a status flips (e.g. back to Ready=True after the node lifecycle controller
marked it Unknown). A dead kubelet posts nothing, and the node lifecycle
controller notices the silence.
"""

from __future__ import annotations

from ..api.store import Store
from ..clock import rfc3339

NODE_CONDITIONS = (
    ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
)


RUNTIME_DOWN_REASON = "KubeletNotReady"


def node_conditions(old: list[dict], now: float, runtime_error: str | None = None) -> list[dict]:
    """The kubelet's four conditions, heartbeat now; other conditions kept after them.

    With `runtime_error`, Ready is False as the kubelet reports a dead container
    runtime (nodestatus.ReadyCondition: "container runtime is down")."""
    by_type = {c.get("type"): c for c in old}
    ts = rfc3339(now)
    out = []
    conditions = list(NODE_CONDITIONS)
    if runtime_error is not None:
        conditions[-1] = ("Ready", "False", RUNTIME_DOWN_REASON, f"container runtime is down: {runtime_error}")
    for type_, status, reason, message in conditions:
        prev = by_type.get(type_)
        moved = prev is None or prev.get("status") != status or not prev.get("lastTransitionTime")
        out.append({
            "type": type_, "status": status,
            "lastHeartbeatTime": ts,
            "lastTransitionTime": ts if moved else prev["lastTransitionTime"],
            "reason": reason, "message": message,
        })
    own = {c[0] for c in NODE_CONDITIONS}
    out.extend(c for c in old if c.get("type") not in own)
    return out


def post_node_status(store: Store, node_name: str, now: float, runtime_error: str | None = None) -> bool:
    """One heartbeat. False when the Node object does not exist."""

    def update(node: dict) -> None:
        status = node.setdefault("status", {})
        status["conditions"] = node_conditions(status.get("conditions") or [], now, runtime_error)

    return store.mutate("Node", node_name, None, update, subresource="status") is not None


def node_internal_ip(store: Store, node_name: str) -> str:
    node = store.try_get("Node", node_name, copy=False)
    for addr in ((node or {}).get("status") or {}).get("addresses") or []:
        if addr.get("type") == "InternalIP":
            return str(addr.get("address", ""))
    return ""
