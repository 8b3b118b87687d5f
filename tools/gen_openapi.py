"""Generate engine/api/schema/openapi-v3-1.33.json: the OpenAPI v3 component schemas
the KubeQuest API server serves at /openapi/v3 (for `kubectl explain` and for
kubectl's check that the server validates fields itself).

The source is the Kubernetes 1.33 schema set shipped inside the `kubernetes-validate`
package (converted from the official OpenAPI document), as for tools/gen_schema.py.
kubernetes-validate is a test/dev dependency only: the engine reads the JSON this
script writes and never imports it.

The output keeps what a real API server's /openapi/v3/<group-version> documents
carry in `components.schemas` for the served kinds and everything they reference:
descriptions, types and formats, required fields, enums, and the
`x-kubernetes-*` extensions (group-version-kind, patch strategy and merge key,
list type). It is written in the shape kube-apiserver uses: a property that
refers to a named type is `{"allOf": [{"$ref": ...}], "description": ...}`, and
`null` is dropped from the JSON-schema type lists.

    {"version": "v1.33.0", "kinds": {"Deployment": "io.k8s.api.apps.v1.Deployment", ...},
     "schemas": {"io.k8s.api.apps.v1.Deployment": {...}, ...}}

The server builds the `paths` of each group-version document from engine/api/kinds.py.

Run:  python tools/gen_openapi.py            (rewrites the JSON)
      python tools/gen_openapi.py --check    (exit 1 if the committed JSON is stale)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

VERSION = "1.33"
OUT = Path(__file__).resolve().parent.parent / "engine" / "api" / "schema" / f"openapi-v3-{VERSION}.json"
REF_PREFIX = "#/$defs/"
OUT_PREFIX = "#/components/schemas/"

KINDS = {
    "Pod": "io.k8s.api.core.v1.Pod",
    "Service": "io.k8s.api.core.v1.Service",
    "ConfigMap": "io.k8s.api.core.v1.ConfigMap",
    "Secret": "io.k8s.api.core.v1.Secret",
    "Namespace": "io.k8s.api.core.v1.Namespace",
    "Node": "io.k8s.api.core.v1.Node",
    "Event": "io.k8s.api.core.v1.Event",
    "Endpoints": "io.k8s.api.core.v1.Endpoints",
    "ReplicationController": "io.k8s.api.core.v1.ReplicationController",
    "PersistentVolumeClaim": "io.k8s.api.core.v1.PersistentVolumeClaim",
    "Deployment": "io.k8s.api.apps.v1.Deployment",
    "ReplicaSet": "io.k8s.api.apps.v1.ReplicaSet",
    "DaemonSet": "io.k8s.api.apps.v1.DaemonSet",
    "StatefulSet": "io.k8s.api.apps.v1.StatefulSet",
    "Job": "io.k8s.api.batch.v1.Job",
}
# Served besides the kinds: the scale subresource's body.
EXTRA = ["io.k8s.api.autoscaling.v1.Scale"]

# Named types kube-apiserver publishes as plain strings.
SCALARS = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {
        "type": "string", "format": "int-or-string", "x-kubernetes-int-or-string": True,
    },
    "io.k8s.apimachinery.pkg.api.resource.Quantity": {"type": "string"},
}


def source_file() -> Path:
    import kubernetes_validate  # a test/dev dependency; never imported by the engine

    base = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    return base / f"v{VERSION}.0-local" / "_definitions.json"


def _plain_type(t: Any) -> Any:
    if isinstance(t, list):
        kept = [x for x in t if x != "null"]
        return kept[0] if len(kept) == 1 else kept
    return t


class Converter:
    def __init__(self, defs: dict[str, Any]):
        self.defs = defs
        self.out: dict[str, Any] = {}

    def ref(self, ref: str) -> str:
        name = ref[len(REF_PREFIX):]
        self.named(name)
        return OUT_PREFIX + name

    def named(self, name: str) -> None:
        if name in self.out:
            return
        self.out[name] = {}  # registered first: types are recursive
        node = self.defs[name]
        if name in SCALARS:
            conv = {"description": node.get("description", "")} if node.get("description") else {}
            conv.update(SCALARS[name])
        else:
            conv = self.node(node, top=True)
        self.out[name] = conv

    def node(self, node: dict[str, Any], *, top: bool = False, field: str = "") -> dict[str, Any]:
        out: dict[str, Any] = {}
        ref = node.get("$ref")
        if ref is not None:
            target = self.ref(ref)
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            if not siblings:
                return {"$ref": target}
            out["allOf"] = [{"$ref": target}]
            for key, value in siblings.items():
                out[key] = value
            if "default" not in out and "properties" in self.defs[ref[len(REF_PREFIX):]]:
                out["default"] = {}
            return out
        for key, value in node.items():
            if key == "type":
                out["type"] = _plain_type(value)
            elif key == "properties":
                out["properties"] = {k: self.node(v, field=k) for k, v in sorted(value.items())}
            elif key == "items":
                out["items"] = self.node(value)
            elif key == "additionalProperties":
                if isinstance(value, dict):
                    out["additionalProperties"] = self.node(value)
            elif key == "enum":
                # kubernetes-validate pins apiVersion/kind; the API server does not.
                if field not in ("apiVersion", "kind"):
                    out["enum"] = [v for v in value if v is not None]
            elif key == "oneOf":
                out["oneOf"] = [self.node(v) for v in value]
            else:
                out[key] = value
        return out


def generate() -> dict[str, Any]:
    defs = json.loads(source_file().read_text())["$defs"]
    conv = Converter(defs)
    for name in list(KINDS.values()) + EXTRA:
        conv.named(name)
    return {
        "version": f"v{VERSION}.0",
        "kinds": KINDS,
        "schemas": {k: conv.out[k] for k in sorted(conv.out)},
    }


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, sort_keys=True, separators=(",", ":")) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed JSON is stale")
    args = parser.parse_args(argv)
    text = render(generate())
    if args.check:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT} is stale: run python tools/gen_openapi.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT} ({len(text) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
