"""How long the real `kubectl get pods` takes against `engine.apiserver` with 100 pods.

A cluster on the sim runtime (wall clock) runs a 100-replica Deployment; once
every pod is Running, `kubectl get pods` (a Table request) and `kubectl get
pods -o json` are timed end to end — process start, discovery from kubectl's
disk cache after the first run, TLS, the request, printing — and the server's
own time per request is reported from its counters.

Run:  python bench/kubectl_latency.py [--pods 100] [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.apiserver import APIServer, LoopThread
from engine.clock import WallClock
from engine.cluster import Cluster, NodeConfig
from engine.runtime.sim import SimRuntime

MANIFEST = """
apiVersion: apps/v1
kind: Deployment
metadata: {{name: bench}}
spec:
  replicas: {n}
  selector: {{matchLabels: {{app: bench}}}}
  template:
    metadata: {{labels: {{app: bench}}}}
    spec:
      containers: [{{name: web, image: "kubequest/web:1.0"}}]
"""


def time_kubectl(kubectl: str, env: dict[str, str], args: list[str], runs: int) -> tuple[list[float], str]:
    times, out = [], ""
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run([kubectl, *args], env=env, capture_output=True, text=True, check=True)
        times.append(time.perf_counter() - start)
        out = proc.stdout
    return times, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=100)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        print("kubectl is not installed", file=sys.stderr)
        return 2
    clock = WallClock()
    nodes = [NodeConfig(f"node-{i}", cpu="64", memory="64Gi", pods=110) for i in range(1, 3)]
    cluster = Cluster(SimRuntime(clock), clock=clock, nodes=nodes)
    loop = LoopThread(cluster).start()
    server = APIServer(cluster).start()
    tmp = Path(tempfile.mkdtemp(prefix="kubequest-bench-"))
    try:
        kubeconfig = server.write_kubeconfig(tmp / "kubeconfig")
        env = {**os.environ, "KUBECONFIG": str(kubeconfig), "HOME": str(tmp)}
        subprocess.run([kubectl, "apply", "-f", "-"], input=MANIFEST.format(n=args.pods), env=env,
                       capture_output=True, text=True, check=True)
        deadline = time.monotonic() + 120
        while sum(1 for p in cluster.store.list("Pod", "default", copy=False)
                  if (p.get("status") or {}).get("phase") == "Running") < args.pods:
            if time.monotonic() > deadline:
                print("the pods did not all start in 120 s", file=sys.stderr)
                return 1
            time.sleep(0.1)
        # The first run fills kubectl's discovery cache; it is reported apart.
        first, _ = time_kubectl(kubectl, env, ["get", "pods"], 1)
        before = server.stats
        table, out = time_kubectl(kubectl, env, ["get", "pods"], args.runs)
        after = server.stats
        as_json, _ = time_kubectl(kubectl, env, ["get", "pods", "-o", "json"], args.runs)
        rows = len(out.strip().splitlines()) - 1
        served = after.get("requests", 0) - before.get("requests", 0)
        server_ms = 1000 * (after.get("seconds", 0) - before.get("seconds", 0)) / max(served, 1)
        version = subprocess.run([kubectl, "version", "--client"], capture_output=True, text=True, check=False).stdout
        print(f"kubectl get pods with {rows} pods ({version.splitlines()[0].strip()}), {args.runs} runs:")
        print(f"  first run (discovery to cache):  {first[0] * 1000:.0f} ms")
        print(f"  get pods (Table):   median {statistics.median(table) * 1000:.0f} ms, "
              f"min {min(table) * 1000:.0f} ms, max {max(table) * 1000:.0f} ms")
        print(f"  get pods -o json:   median {statistics.median(as_json) * 1000:.0f} ms, "
              f"min {min(as_json) * 1000:.0f} ms")
        print(f"  server time per request: {server_ms:.1f} ms ({served / args.runs:.0f} requests per get)")
        return 0
    finally:
        server.stop()
        loop.stop()
        cluster.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
