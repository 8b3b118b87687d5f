"""`kubequest serve [LEVEL] [--port N] [--kubeconfig PATH]`: a cluster for the real kubectl.

Runs a cluster — empty, or a level's setup — headless, on the wall clock
(kubectl waits in real time), with a Kubernetes-compatible API on
https://127.0.0.1 (engine.apiserver), writes a kubeconfig with a `kubequest`
context and prints how to use it. With a level, each objective is printed as
it becomes met or unmet, whatever changed it. Ctrl-C stops the API, the
cluster and its containers, and removes the kubeconfig.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from engine.api.errors import KubeQuestError

from ..runtime_select import choose_runtime

DEFAULT_KUBECONFIG = "~/.kube/kubequest.yaml"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve", help="run a cluster (empty or a level's) for the real kubectl",
        description="Run a cluster — empty, or a level's setup — with a Kubernetes-compatible API on "
                    "127.0.0.1, write a kubeconfig and keep serving until Ctrl-C, which stops the "
                    "cluster and removes the kubeconfig.")
    parser.add_argument("level", metavar="LEVEL", nargs="?",
                        help="a level id, pack/level (see `kubequest levels`); default: an empty cluster")
    parser.add_argument("--port", type=int, default=0, metavar="N",
                        help="the port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--kubeconfig", metavar="PATH", default=DEFAULT_KUBECONFIG,
                        help=f"where to write the kubeconfig (default: {DEFAULT_KUBECONFIG})")
    parser.set_defaults(run=run)


def _objective_printer(session):
    """A loop hook that prints each objective when it changes (met / not met)."""
    last: dict[str, bool] = {}
    won = [False]

    def on_pass() -> None:
        state = session.evaluate()
        for o in state.objectives:
            if last.get(o.id) != o.ok:
                if o.id in last or o.ok:
                    mark = "✓" if o.ok else "✗"
                    print(f"{mark} {o.id}: {o.description} — {o.detail}", flush=True)
                last[o.id] = o.ok
        if state.won and not won[0]:
            won[0] = True
            print(f"level {session.level.id} complete — every objective holds "
                  "(the cluster keeps running; Ctrl-C to stop)", flush=True)

    return on_pass


def run(args: argparse.Namespace) -> int:
    from engine.apiserver import APIServer, LoopThread
    from engine.clock import WallClock

    if not 0 <= args.port <= 65535:
        print("kubequest serve: --port must be between 0 and 65535", file=sys.stderr)
        return 2
    choice = choose_runtime(args.runtime)
    clock = WallClock()
    session = None
    if args.level:
        from ..levels.loader import find_level, load_packs
        from ..levels.session import LevelSession

        level = find_level(args.level, load_packs(args.packs))
        session = LevelSession(level, runtime=choice, clock=clock)
        session.start()
        cluster = session.cluster
        what = f"level {level.id}: {level.title}"
    else:
        from engine.cluster import Cluster, NodeConfig

        cluster = Cluster(choice.new(clock), clock=clock, nodes=[NodeConfig()])
        what = "an empty cluster (one node, node-1)"
    server = loop = None
    stop = threading.Event()
    previous = signal.getsignal(signal.SIGTERM)
    try:
        loop = LoopThread(cluster, _objective_printer(session) if session is not None else None).start()
        server = APIServer(cluster, port=args.port).start()
        try:
            path = server.write_kubeconfig(args.kubeconfig)
        except OSError as exc:
            raise KubeQuestError(f"cannot write the kubeconfig {args.kubeconfig}: {exc.strerror or exc}") from None
        print(f"KubeQuest is serving {what}")
        print(f"  API:        {server.url}  (runtime {choice.name}: {choice.reason})")
        print(f"  kubeconfig: {path}  (context \"kubequest\")")
        print()
        print("In another terminal:")
        print(f"  {server.export_line(path)}")
        print("  kubectl get nodes")
        if session is not None and session.workdir is not None:
            print(f"  cd {session.workdir}   # the level's workspace files")
        print()
        print("Ctrl-C stops the cluster and removes the kubeconfig.", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        while not stop.wait(0.5):
            if loop.error is not None:
                raise KubeQuestError(f"the cluster loop stopped: {loop.error}")
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        print("\nstopping: API server, cluster, containers …", file=sys.stderr, flush=True)
        if server is not None:
            server.stop()
        if loop is not None:
            loop.stop()
        if session is not None:
            session.close()
        else:
            try:
                cluster.close()
            finally:
                close = getattr(cluster.runtime, "close", None)
                if close is not None:
                    close()
    return 0
