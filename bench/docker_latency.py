"""How long `kubectl apply` of a web Deployment takes to give Ready pods on real Docker.

For 3 and 30 replicas of kubequest/web:1.0: the wall time from creating the
Deployment to every pod Ready (the median of --runs runs, each a fresh
Deployment, deleted and its containers gone before the next). Beside it, the
floor: as many plain `docker run`s of the same image (create + start through
the SDK, one after the other, as the kubelet does) until each container answers
its first HTTP GET. Apply and floor runs alternate, so that both see the same
load when the daemon is shared. A pod is two containers (its sandbox, then the
web container joining its network namespace), a floor replica one.

    python bench/docker_latency.py                # the table (three to four minutes)
    python bench/docker_latency.py --replicas 3 --runs 3
    python bench/docker_latency.py --profile 30   # cProfile one 30-replica apply

Targets: 3 replicas Ready within 1.5x the floor and under 2 s; 30 under 10 s.
Talks only to the local Docker daemon and to its own containers on its own
network; builds the images if needed (never pulls).
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import os
import pstats
import secrets
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.cluster import Cluster, NodeConfig
from engine.images.builder import ImageBuilder
from engine.runtime.docker import CLUSTER_LABEL, DockerRuntime

IMAGE = "kubequest/web:1.0"
TARGETS = {3: 2.0, 30: 10.0}  # replicas -> seconds
FLOOR_FACTOR = 1.5


def deployment(replicas: int, probe: bool) -> dict:
    labels = {"app": "bench"}
    container: dict = {"name": "web", "image": IMAGE, "ports": [{"containerPort": 8080}]}
    if probe:
        container["readinessProbe"] = {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 1}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "bench", "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        },
    }


def _ready(pod: dict) -> bool:
    if pod["metadata"].get("deletionTimestamp"):
        return False
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _bench_pods(cluster: Cluster) -> list[dict]:
    return [p for p in cluster.store.list("Pod", namespace="default", copy=False)
            if (p["metadata"].get("labels") or {}).get("app") == "bench"]


def apply_until_ready(cluster: Cluster, replicas: int, probe: bool) -> float:
    """Seconds from creating the Deployment to `replicas` Ready pods; then deletes it."""
    start = time.perf_counter()
    cluster.store.create(deployment(replicas, probe))
    ok = cluster.run_until(lambda: sum(_ready(p) for p in _bench_pods(cluster)) == replicas, timeout=120)
    elapsed = time.perf_counter() - start
    if not ok:
        raise SystemExit(f"{replicas} replicas were not Ready after 120 s")
    cluster.store.delete("Deployment", "bench", "default")
    gone = cluster.run_until(lambda: not _bench_pods(cluster) and not cluster.runtime.list_containers(),
                             timeout=120)
    if not gone:
        raise SystemExit("the bench pods were not gone 120 s after deleting the Deployment")
    return elapsed


def _answers(host: str) -> bool:
    conn = http.client.HTTPConnection(host, 8080, timeout=1)
    try:
        conn.request("GET", "/")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def docker_run_floor(runtime: DockerRuntime, network: str, replicas: int) -> float:
    """Seconds for `replicas` plain `docker run`s, one after the other, to answer HTTP."""
    api = runtime.api
    ids: list[str] = []
    start = time.perf_counter()
    try:
        for i in range(replicas):
            cid = api.create_container(
                IMAGE, hostname=f"floor-{i}", labels={CLUSTER_LABEL: runtime.cluster_id},
                host_config=api.create_host_config(network_mode=network))["Id"]
            ids.append(cid)
            api.start(cid)
        ips = [api.inspect_container(cid)["NetworkSettings"]["Networks"][network]["IPAddress"]
               for cid in ids]
        waiting = set(ips)
        deadline = time.perf_counter() + 60
        while waiting:
            waiting = {ip for ip in waiting if not _answers(ip)}
            if waiting and time.perf_counter() > deadline:
                raise SystemExit(f"{len(waiting)} plain containers did not answer within 60 s")
            if waiting:
                time.sleep(0.005)
        return time.perf_counter() - start
    finally:
        for cid in ids:
            api.remove_container(cid, force=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", type=int, nargs="+", default=[3, 30])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--probe", action="store_true",
                        help="give the pods a readinessProbe (httpGet /ready, periodSeconds 1)")
    parser.add_argument("--profile", type=int, metavar="REPLICAS",
                        help="instead of the table: cProfile one apply of this many replicas")
    args = parser.parse_args(argv)

    runtime = DockerRuntime(f"bench-{secrets.token_hex(3)}")
    runtime.ping()
    version = runtime.server_version()
    ImageBuilder(runtime).build()
    most = max([*args.replicas, args.profile or 0])
    cluster = Cluster(runtime, nodes=[NodeConfig("node-1", cpu="64", memory="64Gi", pods=max(110, most))])
    network = runtime.network_name
    began = time.perf_counter()
    try:
        apply_until_ready(cluster, 1, args.probe)  # warm-up: the network, the event stream
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            elapsed = apply_until_ready(cluster, args.profile, args.probe)
            profiler.disable()
            print(f"{args.profile} replicas Ready in {elapsed:.2f} s")
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
            return 0
        rows = []
        for replicas in args.replicas:
            ready, floor = [], []
            for _ in range(args.runs):  # interleaved: both see the same load on a shared machine
                ready.append(apply_until_ready(cluster, replicas, args.probe))
                floor.append(docker_run_floor(runtime, network, replicas))
            rows.append((replicas, statistics.median(ready), statistics.median(floor), ready))
    finally:
        cluster.close()
        runtime.cleanup(runtime.cluster_id)
        runtime.close()

    print(f"Docker {version}, cluster network {network}")
    print(f"{'replicas':>8}  {'Ready (median)':>14}  {'docker run floor':>16}  {'ratio':>5}  target  runs (s)")
    failed = False
    for replicas, ready, floor, runs in rows:
        ratio = ready / floor if floor else float("inf")
        goal = TARGETS.get(replicas)
        ok = True
        if goal is not None:
            ok = ready < goal and (replicas != 3 or ratio <= FLOOR_FACTOR)
        target = "-" if goal is None else (
            f"<{goal:g}s" + (f", <={FLOOR_FACTOR:g}x" if replicas == 3 else "") + (" OK" if ok else " MISSED"))
        failed |= not ok
        print(f"{replicas:>8}  {ready:>13.2f}s  {floor:>15.2f}s  {ratio:>5.2f}  {target}  "
              + " ".join(f"{r:.2f}" for r in runs))
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"(readinessProbe: {'yes' if args.probe else 'no'}; {os.cpu_count()} CPUs, load average {load}; "
          f"total {time.perf_counter() - began:.0f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
