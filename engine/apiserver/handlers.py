"""The REST API over the engine's store: routing and the verbs.

    GET    /api/v1/namespaces/{ns}/pods            list (watch=true: watch.py)
    POST   /api/v1/namespaces/{ns}/pods            create
    DELETE /api/v1/namespaces/{ns}/pods            deletecollection
    GET    /api/v1/namespaces/{ns}/pods/{name}     get
    PUT    …/{name}                                update (replace)
    PATCH  …/{name}                                JSON / merge / strategic merge patch, server-side apply
    DELETE …/{name}                                delete (propagationPolicy, gracePeriodSeconds, preconditions)
    …/{name}/status  …/{name}/scale  …/{name}/log  …/{name}/exec   subresources

Cluster-scoped kinds (nodes, namespaces) drop the `namespaces/{ns}` part; a
namespaced kind without it lists every namespace. Every refusal is a
Kubernetes Status (status.py). Handler threads write the store directly: it is
thread-safe, and the cluster's control loop wakes when its controllers'
queues get work.
"""

from __future__ import annotations

from typing import Any

from engine.api import errors as E
from engine.api.kinds import KINDS, KindInfo
from engine.api.objects import clone
from engine.api.selectors import FieldRequirement, Selector, SelectorError, parse, parse_fields
from engine.api.store import Store
from engine.api.validation import validate

from . import discovery, openapi
from . import patch as P
from .request import Request, Response
from .status import APIError, from_engine, success, unknown_fields
from .tables import table, wants_table

# The field selectors each kind supports (the registries' GetAttrs / AddFieldLabelConversionFunc).
COMMON_FIELDS = {"metadata.name", "metadata.namespace"}
FIELDS = {
    "Pod": {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
            "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"},
    "Event": {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
              "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
              "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"},
    "Secret": {"type"},
    "Namespace": {"status.phase"},
    "Node": {"spec.unschedulable"},
    "ReplicaSet": {"status.replicas"},
    "ReplicationController": {"status.replicas"},
    "Job": {"status.successful"},
    "Service": {"spec.clusterIP", "spec.type"},
}
_ALIASES = {"source": "source.component"}


_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})  # exec is a POST too: it can kill a process


class API:
    """Answers requests for one cluster (engine.cluster.Cluster or anything with
    .store, .clock, .logs, .exec and .container_id)."""

    def __init__(self, cluster: Any, *, stopping: Any = None):
        self.cluster = cluster
        self.store: Store = cluster.store
        self.clock = cluster.clock
        self.stopping = stopping  # a threading.Event set when the server stops
        # Server-side apply: the last configuration each field manager applied, by object uid.
        self._applied: dict[tuple[str, str], dict] = {}

    # ---- routing ------------------------------------------------------------------

    def handle(self, req: Request) -> Response:
        try:
            response = self._route(req)
            if req.method in _WRITES and response.code < 400:
                note = getattr(self.cluster, "note_user_change", None)
                if note is not None:
                    note()
            return response
        except APIError as exc:
            return Response.json(exc.body(), exc.code)
        except E.APIStatusError as exc:
            err = from_engine(exc)
            return Response.json(err.body(), err.code)
        except SelectorError as exc:
            return Response.json(APIError(400, str(exc)).body(), 400)
        except P.PatchError as exc:
            return Response.json(APIError(exc.code, str(exc)).body(), exc.code)

    def _route(self, req: Request) -> Response:
        parts = [p for p in req.path.split("/") if p]
        if not parts:
            return Response.json({"paths": ["/api", "/api/v1", "/apis", "/openapi/v3", "/version"]})
        head = parts[0]
        if head == "version" and len(parts) == 1:
            return Response.json(discovery.SERVER_VERSION)
        if head in ("healthz", "livez", "readyz"):
            return Response.text("ok")
        if head == "openapi":
            return self._openapi(parts[1:])
        if head == "api":
            if len(parts) == 1:
                return Response.json(discovery.api_versions())
            gv, rest = parts[1], parts[2:]
        elif head == "apis":
            if len(parts) == 1:
                return Response.json(discovery.api_group_list())
            if len(parts) == 2:
                if not any(i.group == parts[1] for i in KINDS.values()):
                    raise _not_found_path()
                return Response.json(discovery.api_group(parts[1]))
            gv, rest = f"{parts[1]}/{parts[2]}", parts[3:]
        else:
            raise _not_found_path()
        if not rest:
            listing = discovery.resource_list(gv)
            if listing is None:
                raise _not_found_path()
            return Response.json(listing)
        return self._resource(req, gv, rest)

    def _openapi(self, rest: list[str]) -> Response:
        if rest[:1] != ["v3"]:
            raise _not_found_path()
        if len(rest) == 1:
            return Response.json(openapi.index())
        body = openapi.document_for_path("/".join(rest[1:]))
        if body is None:
            raise _not_found_path()
        return Response(200, body, headers={"Cache-Control": "public, immutable"})

    def _resource(self, req: Request, gv: str, rest: list[str]) -> Response:
        kinds = {i.plural: i for i in KINDS.values() if i.api_version == gv}
        if not kinds:
            raise _not_found_path()
        namespace = None
        if len(rest) >= 3 and rest[0] == "namespaces" and rest[2] in kinds and kinds[rest[2]].namespaced:
            namespace, rest = rest[1], rest[2:]
        if len(rest) > 3:
            raise _not_found_path()
        info = kinds.get(rest[0])
        if info is None:
            raise _not_found_path()
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if sub is not None and sub not in info.subresources:
            raise _not_found_path()
        m = req.method
        if name is None:
            if m == "GET":
                if req.flag("watch"):
                    from .watch import watch

                    return watch(self, req, info, namespace)
                return self.list(req, info, namespace)
            if m == "POST":
                return self.create(req, info, namespace)
            if m == "DELETE":
                return self.delete_collection(req, info, namespace)
            raise _not_allowed(m)
        if info.namespaced and namespace is None:
            raise _not_found_path()
        if sub == "log" and m == "GET":
            from .logs import logs

            return logs(self, req, namespace or "default", name)
        if sub == "exec" and m in ("GET", "POST"):
            from .exec import exec_

            return exec_(self, req, namespace or "default", name)
        if sub == "scale":
            return self.scale(req, info, namespace, name)
        if m == "GET":
            obj = self._get(info, name, namespace)
            if sub is None and wants_table(req.header("accept")):
                return Response.json(table(info.kind, [obj], self.clock.now(),
                                           resource_version=obj["metadata"].get("resourceVersion", ""),
                                           include_object=req.q("includeObject") or "Metadata"))
            return Response.json(obj)
        if m == "PUT":
            return self.update(req, info, namespace, name, sub)
        if m == "PATCH":
            return self.patch(req, info, namespace, name, sub)
        if m == "DELETE" and sub is None:
            return self.delete(req, info, namespace, name)
        raise _not_allowed(m)

    # ---- helpers ------------------------------------------------------------------

    def _get(self, info: KindInfo, name: str, namespace: str | None) -> dict:
        obj = self.store.try_get(info.kind, name, namespace, copy=False)
        if obj is None:
            raise _not_found(info, name)
        return obj

    def _decode(self, req: Request, info: KindInfo) -> dict:
        try:
            obj = P.decode_body(req.body, req.content_type)
        except P.PatchError as exc:
            raise APIError(400, str(exc)) from None
        if not isinstance(obj, dict):
            raise APIError(400, "the body of the request must be a JSON object")
        kind = obj.get("kind")
        api_version = obj.get("apiVersion")
        if kind and kind != info.kind or api_version and api_version != info.api_version:
            raise APIError(400, f"the API version in the data ({api_version}) does not match the expected "
                                f"API version ({info.api_version})" if kind == info.kind else
                           f'{kind} in version "{info.version}" cannot be handled as a {info.kind}: '
                           "the kind in the data does not match the kind of the URL")
        obj["kind"] = info.kind
        obj["apiVersion"] = info.api_version
        if not isinstance(obj.get("metadata"), dict):
            obj["metadata"] = {}
        return obj

    def _place(self, obj: dict, info: KindInfo, namespace: str | None, name: str | None = None) -> None:
        md = obj["metadata"]
        if info.namespaced:
            if md.get("namespace") and namespace and md["namespace"] != namespace:
                raise APIError(400, "the namespace of the provided object does not match the namespace "
                                    "sent on the request")
            md["namespace"] = namespace or md.get("namespace") or "default"
        if name is not None:
            if md.get("name") and md["name"] != name:
                raise APIError(400, f"the name of the object ({md['name']}) does not match the name on "
                                    f"the URL ({name})")
            md["name"] = name

    def _field_validation(self, req: Request, obj: dict, old: dict | None, headers: dict[str, str]) -> None:
        """Unknown fields: Strict refuses them (400, as kube-apiserver's strict decoding),
        Warn (the server default) and Ignore drop them, Warn with a Warning header."""
        causes = [e for e in validate(obj, old=old) if e.type == E.UNKNOWN_FIELD]
        if not causes:
            return
        mode = req.q("fieldValidation") or "Warn"
        if mode == "Strict":
            raise unknown_fields(obj.get("kind", ""), causes)
        for c in causes:
            _drop_path(obj, c.field)
        if mode == "Warn":
            headers["Warning"] = ", ".join(f'299 - "{c.body()}"'.replace('\\', '\\\\') for c in causes)

    def _selectors(self, req: Request, info: KindInfo) -> tuple[Selector | None, list[FieldRequirement]]:
        labels = req.q("labelSelector")
        selector = parse(labels) if labels else None
        fields = parse_fields(req.q("fieldSelector"))
        allowed = COMMON_FIELDS | FIELDS.get(info.kind, set())
        out = []
        for f in fields:
            if f.path not in allowed:
                raise APIError(400, f'field label not supported: {f.path}')
            if f.path == "metadata.namespace" and not info.namespaced:
                continue
            out.append(FieldRequirement(_ALIASES.get(f.path, f.path), f.operator, f.value))
        return selector, out

    # ---- list / get -----------------------------------------------------------------

    def list(self, req: Request, info: KindInfo, namespace: str | None) -> Response:
        selector, fields = self._selectors(req, info)
        rv = str(self.store.resource_version)
        items = self.store.list(info.kind, namespace, selector, fields, copy=False)
        if wants_table(req.header("accept")):
            return Response.json(table(info.kind, items, self.clock.now(), resource_version=rv,
                                       include_object=req.q("includeObject") or "Metadata"))
        return Response.json({"kind": f"{info.kind}List", "apiVersion": info.api_version,
                              "metadata": {"resourceVersion": rv}, "items": items})

    # ---- create / update ------------------------------------------------------------

    def create(self, req: Request, info: KindInfo, namespace: str | None) -> Response:
        obj = self._decode(req, info)
        self._place(obj, info, namespace)
        headers: dict[str, str] = {}
        self._field_validation(req, obj, None, headers)
        created = self.store.create(obj, dry_run=req.q("dryRun") == "All")
        return Response.json(created, 201, headers)

    def update(self, req: Request, info: KindInfo, namespace: str | None, name: str, sub: str | None) -> Response:
        obj = self._decode(req, info)
        self._place(obj, info, namespace, name)
        current = self._get(info, name, namespace)
        headers: dict[str, str] = {}
        self._field_validation(req, obj, current, headers)
        if req.q("dryRun") == "All":
            return Response.json(obj, 200, headers)
        updated = self.store.update(obj, subresource="status" if sub == "status" else None)
        return Response.json(updated, 200, headers)

    # ---- patch ----------------------------------------------------------------------

    def patch(self, req: Request, info: KindInfo, namespace: str | None, name: str, sub: str | None) -> Response:
        ctype = req.content_type
        if ctype not in P.PATCH_TYPES:
            raise APIError(415, f"the body of the request was in an unknown format - accepted media types "
                                f"include: {', '.join(P.PATCH_TYPES)}")
        body = P.decode_body(req.body, ctype)
        if ctype == P.APPLY_PATCH:
            return self.server_side_apply(req, info, namespace, name, body)
        explicit_rv = isinstance(body, dict) and bool((body.get("metadata") or {}).get("resourceVersion"))
        headers: dict[str, str] = {}
        for _ in range(10):
            current = clone(self._get(info, name, namespace))
            new = P.apply_patch(ctype, current, body, kind=info.kind)
            if not isinstance(new, dict):
                raise APIError(422, "the patch did not produce an object")
            new["kind"], new["apiVersion"] = info.kind, info.api_version
            md = new.setdefault("metadata", {})
            if md.get("name") != name:
                raise APIError(400, f"the name of the object ({md.get('name')}) does not match the name on "
                                    f"the URL ({name})")
            if not explicit_rv:
                md["resourceVersion"] = current["metadata"]["resourceVersion"]
            self._field_validation(req, new, current, headers)
            if req.q("dryRun") == "All":
                return Response.json(new, 200, headers)
            try:
                updated = self.store.update(new, subresource="status" if sub == "status" else None)
            except E.Conflict:
                if explicit_rv:
                    raise
                continue
            return Response.json(updated, 200, headers)
        raise APIError(409, f'Operation cannot be fulfilled on {_resource(info)} "{name}": the object has '
                            "been modified; please apply your changes to the latest version and try again",
                       reason="Conflict")

    def server_side_apply(self, req: Request, info: KindInfo, namespace: str | None, name: str,
                          applied: Any) -> Response:
        if not isinstance(applied, dict):
            raise APIError(400, "the apply patch must be a YAML or JSON object")
        applied = clone(applied)
        if applied.get("kind") != info.kind or applied.get("apiVersion") != info.api_version:
            raise APIError(400, f"the apply patch must have apiVersion {info.api_version} and kind {info.kind}")
        applied.setdefault("metadata", {})
        self._place(applied, info, namespace, name)
        manager = req.q("fieldManager") or "unknown"
        headers: dict[str, str] = {}
        self._field_validation(req, applied, None, headers)
        for _ in range(10):
            current = self.store.try_get(info.kind, name, namespace)
            if current is None:
                created = self.store.create(applied, dry_run=req.q("dryRun") == "All")
                if req.q("dryRun") != "All":
                    self._applied[(created["metadata"]["uid"], manager)] = applied
                return Response.json(created, 201, headers)
            uid = current["metadata"]["uid"]
            new = P.server_side_apply(self._applied.get((uid, manager)), applied, current, kind=info.kind)
            new["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
            if req.q("dryRun") == "All":
                return Response.json(new, 200, headers)
            try:
                updated = self.store.update(new)
            except E.Conflict:
                continue
            self._applied[(uid, manager)] = applied
            return Response.json(updated, 200, headers)
        raise APIError(409, f'Operation cannot be fulfilled on {_resource(info)} "{name}"', reason="Conflict")

    # ---- scale ----------------------------------------------------------------------

    def _scale_of(self, info: KindInfo, obj: dict) -> dict:
        from engine.api.selectors import from_label_selector, from_set

        spec = obj.get("spec") or {}
        sel = spec.get("selector")
        selector = from_set(sel) if info.kind == "ReplicationController" else from_label_selector(sel)
        md = obj["metadata"]
        return {"kind": "Scale", "apiVersion": "autoscaling/v1",
                "metadata": {k: md[k] for k in ("name", "namespace", "uid", "resourceVersion",
                                                "creationTimestamp") if k in md},
                "spec": {"replicas": spec.get("replicas", 1)},
                "status": {"replicas": (obj.get("status") or {}).get("replicas", 0),
                           "selector": "" if selector.empty else str(selector)}}

    def scale(self, req: Request, info: KindInfo, namespace: str | None, name: str) -> Response:
        if req.method == "GET":
            return Response.json(self._scale_of(info, self._get(info, name, namespace)))
        if req.method not in ("PUT", "PATCH"):
            raise _not_allowed(req.method)
        ctype = req.content_type
        body = P.decode_body(req.body, ctype)
        for _ in range(10):
            current = clone(self._get(info, name, namespace))
            scale = self._scale_of(info, current)
            if req.method == "PUT":
                new_scale = body if isinstance(body, dict) else {}
                rv = (new_scale.get("metadata") or {}).get("resourceVersion")
            elif ctype == P.APPLY_PATCH:
                new_scale, rv = P.merge_patch(scale, body), None
            else:
                new_scale, rv = P.apply_patch(ctype, scale, body, kind="Scale"), None
            replicas = (new_scale.get("spec") or {}).get("replicas")
            if not isinstance(replicas, int) or isinstance(replicas, bool):
                raise from_engine(E.Invalid("Scale", name, [E.invalid("spec.replicas", replicas,
                                                                      "must be an integer")]))
            if replicas < 0:
                raise from_engine(E.Invalid("Scale", name, [E.invalid(
                    "spec.replicas", replicas, "must be greater than or equal to 0")]))
            current.setdefault("spec", {})["replicas"] = replicas
            current["metadata"]["resourceVersion"] = rv or current["metadata"]["resourceVersion"]
            try:
                updated = self.store.update(current)
            except E.Conflict:
                if rv:
                    raise
                continue
            return Response.json(self._scale_of(info, updated))
        raise APIError(409, f'Operation cannot be fulfilled on {_resource(info)} "{name}"', reason="Conflict")

    # ---- delete ---------------------------------------------------------------------

    def _delete_options(self, req: Request) -> dict:
        opts: dict[str, Any] = {}
        if req.body:
            try:
                decoded = P.decode_body(req.body, req.content_type)
            except P.PatchError:
                raise APIError(400, "the DeleteOptions in the request body cannot be read") from None
            if isinstance(decoded, dict):
                opts = decoded
        if req.q("propagationPolicy"):
            opts["propagationPolicy"] = req.q("propagationPolicy")
        if req.q("gracePeriodSeconds"):
            opts["gracePeriodSeconds"] = int(req.q("gracePeriodSeconds"))
        if req.q("dryRun"):
            opts["dryRun"] = req.all("dryRun")
        if opts.get("orphanDependents") is True and not opts.get("propagationPolicy"):
            opts["propagationPolicy"] = "Orphan"
        policy = opts.get("propagationPolicy")
        if policy not in (None, "Orphan", "Background", "Foreground"):
            raise from_engine(E.Invalid("DeleteOptions", "", [E.unsupported(
                "propagationPolicy", policy, ["Foreground", "Background", "Orphan", "nil"])]))
        return opts

    def _delete_one(self, info: KindInfo, name: str, namespace: str | None, opts: dict) -> dict:
        current = self._get(info, name, namespace)
        pre = opts.get("preconditions") or {}
        if pre.get("resourceVersion") and pre["resourceVersion"] != current["metadata"]["resourceVersion"]:
            raise APIError(409, f"Precondition failed: ResourceVersion in precondition: {pre['resourceVersion']}, "
                                f"ResourceVersion in object meta: {current['metadata']['resourceVersion']}",
                           reason="Conflict")
        if "All" in (opts.get("dryRun") or []):
            return clone(current)
        removed = self.store.delete(info.kind, name, namespace, propagation=opts.get("propagationPolicy"),
                                    grace_period_seconds=opts.get("gracePeriodSeconds"), uid=pre.get("uid"))
        still = self.store.try_get(info.kind, name, namespace)
        return still if still is not None else success(info, removed)

    def delete(self, req: Request, info: KindInfo, namespace: str | None, name: str) -> Response:
        return Response.json(self._delete_one(info, name, namespace, self._delete_options(req)))

    def delete_collection(self, req: Request, info: KindInfo, namespace: str | None) -> Response:
        opts = self._delete_options(req)
        selector, fields = self._selectors(req, info)
        items = self.store.list(info.kind, namespace, selector, fields)
        out = []
        for obj in items:
            md = obj["metadata"]
            try:
                self._delete_one(info, md["name"], md.get("namespace"), opts)
            except (APIError, E.NotFound):
                continue
            out.append(obj)
        return Response.json({"kind": f"{info.kind}List", "apiVersion": info.api_version,
                              "metadata": {"resourceVersion": str(self.store.resource_version)}, "items": out})


# ---- small helpers -------------------------------------------------------------------


def _resource(info: KindInfo) -> str:
    return f"{info.plural}.{info.group}" if info.group else info.plural


def _not_found(info: KindInfo, name: str) -> APIError:
    return APIError(404, f'{_resource(info)} "{name}" not found',
                    details={"name": name, "group": info.group, "kind": info.plural})


def _not_found_path() -> APIError:
    return APIError(404, "the server could not find the requested resource", details={})


def _not_allowed(method: str) -> APIError:
    return APIError(405, f"the server does not allow this method on the requested resource ({method})")


def _drop_path(obj: dict, path: str) -> None:
    """Remove `spec.template.spec.containers[0].imagePolicy` from obj (an unknown field)."""
    import re

    parts: list[str | int] = []
    for piece in path.split("."):
        m = re.fullmatch(r"([^\[]*)((?:\[[^\]]*\])*)", piece)
        if not m:
            return
        if m.group(1):
            parts.append(m.group(1))
        for idx in re.findall(r"\[([^\]]*)\]", m.group(2)):
            parts.append(int(idx) if idx.isdigit() else idx)
    cur: Any = obj
    for p in parts[:-1]:
        if isinstance(p, int) and isinstance(cur, list) and p < len(cur) or isinstance(cur, dict) and p in cur:
            cur = cur[p]
        else:
            return
    if isinstance(cur, dict) and parts:
        cur.pop(parts[-1], None)  # type: ignore[arg-type]
