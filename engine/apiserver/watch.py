"""Watch: `GET …/pods?watch=true` streams `{"type": …, "object": …}` lines.

As kube-apiserver (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/watch.go,
storage/cacher):
- `resourceVersion=N`: the changes after N (an ERROR event with a 410 Expired
  Status when the store no longer keeps them, and the client relists);
- no resourceVersion, or "0": first an ADDED event per existing object, then changes;
- `sendInitialEvents=true` (client-go's WatchList, asked by newer clients): the
  ADDED events, then a BOOKMARK annotated `k8s.io/initial-events-end: "true"`
  carrying the resourceVersion the client then lists from;
- label and field selectors filter as a list does; an object that stops
  matching is sent as DELETED and one that starts matching as ADDED;
- `timeoutSeconds` ends the stream, as does the client going away or the server stopping;
- with `Accept: …;as=Table`, each event's object is a one-row Table (`kubectl get -w`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from engine.api.kinds import KindInfo
from engine.api.objects import labels_of
from engine.api.store import ADDED, DELETED, MODIFIED, Gone

from .request import Request, Response
from .status import APIError, status
from .tables import table, wants_table

INITIAL_EVENTS_END = "k8s.io/initial-events-end"
DEFAULT_TIMEOUT = 1800.0
IDLE_POLL = 0.25


def watch(api: Any, req: Request, info: KindInfo, namespace: str | None) -> Response:
    selector, fields = api._selectors(req, info)
    rv_param = req.q("resourceVersion")
    initial_events = req.flag("sendInitialEvents")
    if initial_events and not req.flag("allowWatchBookmarks"):
        raise APIError(422, "sendInitialEvents requires allowWatchBookmarks=true", reason="Invalid")
    timeout = float(req.q("timeoutSeconds") or DEFAULT_TIMEOUT)
    as_table = wants_table(req.header("accept"))
    store = api.store

    def matches(obj: dict | None) -> bool:
        if obj is None:
            return False
        if selector is not None and not selector.matches(labels_of(obj)):
            return False
        return all(f.matches(obj) for f in fields)

    initial: list[dict] = []
    replay_from: int | None
    if rv_param not in ("", "0") and not initial_events:
        try:
            since = int(rv_param)
        except ValueError:
            raise APIError(400, f'invalid resource version: "{rv_param}"') from None
        try:
            w = store.watch({info.kind}, namespace, since=since)
        except Gone as exc:
            return Response.json({"type": "ERROR", "object": status(410, "Expired", str(exc))})
        replay_from = None
    else:
        # State first, then every change after it (events already in the state are skipped).
        w = store.watch({info.kind}, namespace)
        replay_from = store.resource_version
        initial = [o for o in store.list(info.kind, namespace, selector, fields, copy=False)]
    first_table = [True]

    def encode(kind: str, obj: dict) -> bytes:
        if as_table and kind != "BOOKMARK" and kind != "ERROR":
            obj = table(info.kind, [obj], api.clock.now(), resource_version=obj["metadata"].get("resourceVersion", ""),
                        include_object=req.q("includeObject") or "Metadata", columns=first_table[0])
            first_table[0] = False
        return json.dumps({"type": kind, "object": obj}, separators=(",", ":")).encode() + b"\n"

    def stream() -> Iterator[bytes]:
        deadline = time.monotonic() + timeout
        try:
            for obj in initial:
                yield encode(ADDED, obj)
            if initial_events:
                rv = str(replay_from)
                yield encode("BOOKMARK", {"kind": info.kind, "apiVersion": info.api_version,
                                          "metadata": {"resourceVersion": rv,
                                                       "annotations": {INITIAL_EVENTS_END: "true"}}})
            while time.monotonic() < deadline:
                if api.stopping is not None and api.stopping.is_set():
                    return
                ev = w.get(timeout=IDLE_POLL)
                if ev is None:
                    if req.client_gone():
                        return
                    continue
                if replay_from is not None and ev.resource_version <= replay_from:
                    continue
                now_match, was_match = matches(ev.object), matches(ev.old)
                if ev.type == DELETED:
                    if was_match or now_match:
                        yield encode(DELETED, ev.object)
                elif now_match and not was_match:
                    yield encode(ADDED, ev.object)
                elif now_match:
                    yield encode(MODIFIED, ev.object)
                elif was_match:
                    yield encode(DELETED, ev.object)
        finally:
            w.stop()

    return Response(200, content_type="application/json", stream=stream())
