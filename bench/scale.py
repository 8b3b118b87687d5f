"""How long a Deployment of N pods over M nodes takes to converge on the sim runtime.

Converged = the Deployment reports N available replicas (every pod scheduled,
started by its kubelet and Ready). Runs on the virtual clock, so the figure is
the control plane's own cost: store, controllers, scheduler, kubelets.

    python bench/scale.py                 # the default table
    python bench/scale.py --pods 1000 --nodes 10

Targets on a 2-core machine: 1,000 pods < 2 s, 10,000 pods < 30 s, and growth
no worse than N log N (the last column compares each row with the first).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.cluster import Cluster, NodeConfig  # noqa: E402
from engine.runtime.sim import SimRuntime  # noqa: E402
from engine.clock import VirtualClock  # noqa: E402


def deployment(replicas: int) -> dict:
    labels = {"app": "scale"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "scale"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                # toolbox only sleeps: no listener per pod, so the figure is the control plane's.
                "spec": {"containers": [{"name": "box", "image": "kubequest/toolbox:1.0",
                                         "resources": {"requests": {"cpu": "1m", "memory": "1Mi"}}}]},
            },
        },
    }


def converge(pods: int, nodes: int) -> tuple[float, float]:
    clock = VirtualClock()
    runtime = SimRuntime(clock)
    cluster = Cluster(
        runtime,
        clock=clock,
        nodes=[NodeConfig(f"node-{i + 1}", cpu="64", memory="256Gi", pods=max(110, pods)) for i in range(nodes)],
    )
    try:
        start = time.perf_counter()
        cluster.store.create(deployment(pods))

        def done() -> bool:
            d = cluster.store.get("Deployment", "scale", "default", copy=False)
            return (d.get("status") or {}).get("availableReplicas", 0) == pods

        ok = cluster.run_until(done, timeout=3600)
        wall = time.perf_counter() - start
        if not ok:
            raise SystemExit(f"did not converge: {pods} pods over {nodes} nodes")
        return wall, clock.now()
    finally:
        cluster.close()
        runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, nargs="*", default=[100, 1000, 3000, 10000])
    parser.add_argument("--nodes", type=int, default=10)
    args = parser.parse_args()
    print(f"{'pods':>7} {'nodes':>5} {'wall s':>8} {'µs/pod':>8} {'vs N log N':>10}")
    base = None
    for n in args.pods:
        wall, _ = converge(n, args.nodes)
        nlogn = n * math.log2(max(n, 2))
        if base is None:
            base = wall / nlogn
        ratio = (wall / nlogn) / base
        print(f"{n:>7} {args.nodes:>5} {wall:>8.2f} {wall / n * 1e6:>8.0f} {ratio:>10.2f}", flush=True)


if __name__ == "__main__":
    main()
