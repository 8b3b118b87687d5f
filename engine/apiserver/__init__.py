"""A Kubernetes-compatible HTTP API over the engine's store, so the real `kubectl`
drives a KubeQuest cluster (ARCHITECTURE.md principle 4: the store is the only
truth; this is the thin layer in front of it).

Use it (the game, `kubequest serve`, tests):

    from engine.apiserver import APIServer, LoopThread
    from engine.clock import WallClock

    cluster = Cluster(SimRuntime(WallClock()), clock=WallClock())   # kubectl waits in real time
    loop = LoopThread(cluster).start()          # or run the cluster loop yourself
    server = APIServer(cluster).start()         # 127.0.0.1, a free port, a random bearer token
    path = server.write_kubeconfig("~/.kube/kubequest.yaml")   # a `kubequest` context
    print(server.export_line(path))             # export KUBECONFIG=/home/me/.kube/kubequest.yaml
    ...                                         # kubectl get pods  (KUBECONFIG=path)
    server.stop()                               # ends watches/streams, removes the kubeconfig
    loop.stop(); cluster.close()

    APIServer(cluster, host="127.0.0.1", port=0, token=None)
        .start() -> self       .stop()         (also a context manager)
        .url  "http://127.0.0.1:PORT"   .port   .token
        .write_kubeconfig(path, context="kubequest", namespace="default") -> Path
        .export_line(path) -> "export KUBECONFIG=…"
        .stats -> {"requests": n, "seconds": s}

    warm_up()                                   # make the process's TLS certificate now

Handler threads write to the store directly (it is thread-safe and wakes the
loop), so whatever a learner does through kubectl shows in the store's watch
events at once — the TUI and the objectives see it as they see the game's own writes.

What is served (kube-apiserver's behaviour, see each module):
- discovery.py   /version, /api, /apis, group-version resource lists (short names,
                 the `all` category, subresources);
- openapi.py     /openapi/v3 (kubectl's strict validation check and `kubectl explain`);
- handlers.py    list/get/create/update/patch/delete/deletecollection, label and field
                 selectors, the status and scale subresources, dry runs, field validation;
- tables.py      `as=Table` answers with kubectl's own printer columns (engine.views);
- patch.py       JSON patch, merge patch, strategic merge patch, server-side apply;
- watch.py       watch streams, including sendInitialEvents' bookmark;
- logs.py        pods/log (tailLines, previous, follow);
- exec.py        pods/exec over WebSocket (commands; `-it` as a line-at-a-time shell);
- status.py      Status errors: 404, 409, 422 with the field causes from validation;
- kubeconfig.py  the kubeconfig writer; server.py the HTTP server; runner.py LoopThread.

Not served: port-forward, attach, SPDY upgrades, protobuf, aggregated discovery
(kubectl falls back to the plain form), /openapi/v2 (kubectl falls back to its
built-in types for client-side apply's patches).
"""

from .kubeconfig import CONTEXT, kubeconfig, write_kubeconfig
from .runner import LoopThread
from .server import APIServer, _certificate


def warm_up() -> None:
    """Make this process's self-signed certificate now, so the first `APIServer.start()`
    does not wait for it (an RSA key in pure Python takes a second or more). Every server
    of the process shares it. Idempotent and thread-safe: call it from a background thread
    at start-up; a server starting meanwhile waits for the same certificate."""
    _certificate()


__all__ = ["CONTEXT", "APIServer", "LoopThread", "kubeconfig", "warm_up", "write_kubeconfig"]
