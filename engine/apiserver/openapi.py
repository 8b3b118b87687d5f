"""OpenAPI v3, as kube-apiserver publishes it: `/openapi/v3` lists one document per
group-version (`api/v1`, `apis/apps/v1`, …) with a content hash in its URL, and
each document has the `paths` of that group-version's resources and the
`components.schemas` of its kinds and everything they reference.

kubectl uses it twice:
- before a create/patch with the default `--validate=strict`, it looks for the
  `fieldValidation` query parameter on the kind's PATCH operation (found by the
  operation's `x-kubernetes-group-version-kind`); finding it, kubectl leaves
  validation to the server and sends `?fieldValidation=Strict`
  (cli-runtime pkg/resource/query_param_verifier_v3.go);
- `kubectl explain` finds the kind from the list path's GVK and prints the
  descriptions of `components.schemas` (kubectl pkg/explain/v2/templates).

The schemas come from engine/api/schema/openapi-v3-1.33.json (tools/gen_openapi.py);
the paths are built here from engine/api/kinds.py.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from engine.api.kinds import KindInfo

from .discovery import group_versions

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "api" / "schema" / "openapi-v3-1.33.json"
REF = "#/components/schemas/"


@lru_cache(maxsize=1)
def _source() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text())


def _closure(names: list[str], schemas: dict[str, Any]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen or name not in schemas:
            continue
        seen[name] = schemas[name]
        stack: list[Any] = [schemas[name]]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                ref = node.get("$ref")
                if isinstance(ref, str) and ref.startswith(REF):
                    todo.append(ref[len(REF):])
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
    return {k: seen[k] for k in sorted(seen)}


def _param(name: str, description: str, where: str = "query", required: bool = False,
           type_: str = "string") -> dict[str, Any]:
    return {"name": name, "in": where, "description": description, "required": required,
            "schema": {"type": type_, "uniqueItems": True}}


_NAME = _param("name", "name of the resource", "path", True)
_NAMESPACE = _param("namespace", "object name and auth scope, such as for teams and projects", "path", True)
_DRY_RUN = _param("dryRun", "When present, indicates that modifications should not be persisted.")
_FIELD_MANAGER = _param("fieldManager", "fieldManager is a name associated with the actor or entity "
                                        "that is making these changes.")
_FIELD_VALIDATION = _param(
    "fieldValidation",
    "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) "
    "containing unknown or duplicate fields. Valid values are: - Ignore - Warn - Strict")
_FORCE = _param("force", "Force is going to \"force\" Apply requests.", type_="boolean")
_SELECTORS = [_param("labelSelector", "A selector to restrict the list of returned objects by their labels."),
              _param("fieldSelector", "A selector to restrict the list of returned objects by their fields."),
              _param("watch", "Watch for changes to the described resources.", type_="boolean"),
              _param("resourceVersion", "resourceVersion sets a constraint on what resource versions a "
                                        "request may be served from.")]
_PATCH_TYPES = ["application/apply-patch+yaml", "application/json-patch+json",
                "application/merge-patch+json", "application/strategic-merge-patch+json"]


def _gvk(group: str, version: str, kind: str) -> dict[str, str]:
    return {"group": group, "version": version, "kind": kind}


def _op(action: str, verb_id: str, gvk: dict[str, str], schema: str | None, params: list[dict],
        body: list[str] | None = None, description: str = "") -> dict[str, Any]:
    op: dict[str, Any] = {"description": description or verb_id, "operationId": verb_id,
                          "parameters": params, "x-kubernetes-action": action,
                          "x-kubernetes-group-version-kind": gvk}
    content = {"application/json": {"schema": {"$ref": REF + schema}}} if schema else {}
    op["responses"] = {"200": {"description": "OK", "content": content},
                       "401": {"description": "Unauthorized"}}
    if body is not None and schema is not None:
        op["requestBody"] = {"content": {t: {"schema": {"type": "object"} if "patch" in t else
                                             {"$ref": REF + schema}} for t in body},
                             "required": True}
    return op


def _paths_for(info: KindInfo, schema: str) -> dict[str, Any]:
    root = f"/apis/{info.group}/{info.version}" if info.group else f"/api/{info.version}"
    base = f"{root}/namespaces/{{namespace}}/{info.plural}" if info.namespaced else f"{root}/{info.plural}"
    scope = [_NAMESPACE] if info.namespaced else []
    gvk = _gvk(info.group, info.version, info.kind)
    kind = info.kind
    paths: dict[str, Any] = {
        base: {
            "get": _op("list", f"list{kind}", gvk, schema, scope + _SELECTORS,
                       description=f"list or watch objects of kind {kind}"),
            "post": _op("post", f"create{kind}", gvk, schema, scope + [_DRY_RUN, _FIELD_MANAGER, _FIELD_VALIDATION],
                        ["*/*"], f"create a {kind}"),
            "delete": _op("deletecollection", f"deleteCollection{kind}", gvk, None, scope + _SELECTORS[:2],
                          description=f"delete collection of {kind}"),
        },
        f"{base}/{{name}}": {
            "get": _op("get", f"read{kind}", gvk, schema, scope + [_NAME], description=f"read the specified {kind}"),
            "put": _op("put", f"replace{kind}", gvk, schema, scope + [_NAME, _DRY_RUN, _FIELD_MANAGER,
                                                                     _FIELD_VALIDATION], ["*/*"],
                       f"replace the specified {kind}"),
            "patch": _op("patch", f"patch{kind}", gvk, schema, scope + [_NAME, _DRY_RUN, _FIELD_MANAGER,
                                                                       _FIELD_VALIDATION, _FORCE], _PATCH_TYPES,
                         f"partially update the specified {kind}"),
            "delete": _op("delete", f"delete{kind}", gvk, None, scope + [_NAME, _DRY_RUN],
                          description=f"delete a {kind}"),
        },
    }
    for sub in info.subresources:
        if sub == "status":
            sub_gvk, sub_schema = gvk, schema
        elif sub == "scale":
            sub_gvk, sub_schema = _gvk("autoscaling", "v1", "Scale"), "io.k8s.api.autoscaling.v1.Scale"
        else:
            continue  # log and exec are not JSON documents
        title = sub.capitalize()
        paths[f"{base}/{{name}}/{sub}"] = {
            "get": _op("get", f"read{kind}{title}", sub_gvk, sub_schema, scope + [_NAME]),
            "put": _op("put", f"replace{kind}{title}", sub_gvk, sub_schema,
                       scope + [_NAME, _DRY_RUN, _FIELD_MANAGER, _FIELD_VALIDATION], ["*/*"]),
            "patch": _op("patch", f"patch{kind}{title}", sub_gvk, sub_schema,
                         scope + [_NAME, _DRY_RUN, _FIELD_MANAGER, _FIELD_VALIDATION, _FORCE], _PATCH_TYPES),
        }
    return paths


@cache
def document(group_version: str) -> bytes | None:
    """The OpenAPI v3 document of one group-version ('v1', 'apps/v1'), as JSON bytes."""
    kinds = group_versions().get(group_version)
    if kinds is None:
        return None
    src = _source()
    paths: dict[str, Any] = {}
    wanted = []
    for info in kinds:
        schema = src["kinds"][info.kind]
        wanted.append(schema)
        paths.update(_paths_for(info, schema))
        if "scale" in info.subresources:
            wanted.append("io.k8s.api.autoscaling.v1.Scale")
    doc = {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": src["version"]},
           "paths": paths, "components": {"schemas": _closure(wanted, src["schemas"])}}
    return json.dumps(doc, separators=(",", ":")).encode()


def _url_path(group_version: str) -> str:
    return f"apis/{group_version}" if "/" in group_version else f"api/{group_version}"


@lru_cache(maxsize=1)
def index() -> dict[str, Any]:
    """/openapi/v3: where each group-version's document is, with its hash."""
    paths = {}
    for gv in group_versions():
        body = document(gv) or b""
        digest = hashlib.sha512(body).hexdigest().upper()
        paths[_url_path(gv)] = {"serverRelativeURL": f"/openapi/v3/{_url_path(gv)}?hash={digest}"}
    return {"paths": paths}


def document_for_path(path: str) -> bytes | None:
    """The document at /openapi/v3/<path> ('api/v1', 'apis/apps/v1'), or None."""
    if path.startswith("api/"):
        return document(path[len("api/"):])
    if path.startswith("apis/"):
        return document(path[len("apis/"):])
    return None
