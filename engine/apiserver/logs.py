"""`GET …/pods/{name}/log`: the kubelet's container logs, through the cluster.

Parameters as kubectl sends them: `container`, `previous`, `tailLines`,
`limitBytes`, `follow`. A container that has not started yet, or a previous
instance that does not exist, is a 400 with the kubelet's words
(`container "web" in pod "x" is waiting to start: ContainerCreating`,
`previous terminated container "web" in pod "x" not found`), which kubectl
prints after `Error from server (BadRequest):`.

`follow=true` streams: what is there now, then new output as it comes, until
the container stops (or is replaced), the pod goes, the client leaves or the
server stops.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from engine.api.errors import KubeQuestError

from .request import Request, Response
from .status import APIError

FOLLOW_POLL = 0.2


def _int(req: Request, name: str) -> int | None:
    value = req.q(name)
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise APIError(400, f'{name}: Invalid value: "{value}": must be an integer') from None


def logs(api: Any, req: Request, namespace: str, name: str) -> Response:
    cluster = api.cluster
    if api.store.try_get("Pod", name, namespace, copy=False) is None:
        raise APIError(404, f'pods "{name}" not found', details={"name": name, "kind": "pods"})
    container = req.q("container") or None
    previous = req.flag("previous")
    tail = _int(req, "tailLines")
    limit = _int(req, "limitBytes")
    try:
        cid = cluster.container_id(namespace, name, container, previous=previous)
        full = cluster.runtime.logs(cid)
    except KeyError:
        raise APIError(400, f'the logs of pod "{name}" are gone with its container') from None
    except KubeQuestError as exc:
        raise APIError(400, str(exc)) from None
    text = full
    if tail is not None:
        lines = full.splitlines(keepends=True)
        text = "".join(lines[len(lines) - tail:] if tail > 0 else [])
    if limit is not None:
        text = text.encode()[:limit].decode(errors="ignore")
    if not req.flag("follow") or previous:
        return Response.text(text)

    def running() -> bool:
        try:
            return cluster.container_id(namespace, name, container) == cid and _is_running(api, namespace, name, cid)
        except KubeQuestError:
            return False

    def stream() -> Iterator[bytes]:
        sent = len(full)
        if text:
            yield text.encode()
        while True:
            if api.stopping is not None and api.stopping.is_set():
                return
            alive = running()
            try:
                now = cluster.runtime.logs(cid)
            except KeyError:
                return
            if len(now) > sent:
                yield now[sent:].encode()
                sent = len(now)
            if not alive:
                return
            if req.client_gone():
                return
            time.sleep(FOLLOW_POLL)

    return Response(200, content_type="text/plain", stream=stream())


def _is_running(api: Any, namespace: str, name: str, cid: str) -> bool:
    pod = api.store.try_get("Pod", name, namespace, copy=False)
    if pod is None:
        return False
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        if str(cs.get("containerID") or "").split("://", 1)[-1] == cid:
            return "running" in (cs.get("state") or {})
    return False
