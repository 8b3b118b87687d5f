"""Generate engine/api/schema/k8s-1.33.json from the official Kubernetes JSON schemas.

The source is the strict 1.33 schema set shipped inside the `kubernetes-validate`
package (converted from the Kubernetes OpenAPI document). kubernetes-validate is a
test/dev dependency only: the engine reads the small JSON this script writes and
never imports it.

The output keeps what structural validation needs and nothing else (no
descriptions, no patch strategies):

    {"kinds": {"Deployment": "apps.v1.Deployment", ...},
     "types": {"apps.v1.DeploymentSpec": {"properties": {"replicas": "integer", ...},
                                          "required": ["selector", "template"]}, ...}}

A property's type is one short string:
    string | integer | number | boolean   JSON primitives
    int-or-string | quantity              Kubernetes' IntOrString and resource.Quantity
    object                                free-form (RawExtension, FieldsV1)
    core.v1.Container                     a named type (a key of "types")
    []T / {}T                             a list / a map (string keys) of T

Run:  python tools/gen_schema.py            (rewrites the JSON)
      python tools/gen_schema.py --check    (exit 1 if the committed JSON is stale)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

VERSION = "1.33"
OUT = Path(__file__).resolve().parent.parent / "engine" / "api" / "schema" / f"k8s-{VERSION}.json"

# The kinds KubeQuest serves, with the file name kubernetes-validate gives each one.
KIND_FILES = {
    "Pod": "pod-v1.json",
    "Service": "service-v1.json",
    "ConfigMap": "configmap-v1.json",
    "Secret": "secret-v1.json",
    "Namespace": "namespace-v1.json",
    "Node": "node-v1.json",
    "Event": "event-v1.json",
    "Endpoints": "endpoints-v1.json",
    "ReplicationController": "replicationcontroller-v1.json",
    "PersistentVolumeClaim": "persistentvolumeclaim-v1.json",
    "Deployment": "deployment-apps-v1.json",
    "ReplicaSet": "replicaset-apps-v1.json",
    "DaemonSet": "daemonset-apps-v1.json",
    "StatefulSet": "statefulset-apps-v1.json",
    "Job": "job-batch-v1.json",
}

SPECIAL = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": "int-or-string",
    "io.k8s.apimachinery.pkg.api.resource.Quantity": "quantity",
}


def short_name(ref: str) -> str:
    name = ref.rsplit("/", 1)[-1]
    for prefix in ("io.k8s.api.", "io.k8s.apimachinery.pkg.apis.", "io.k8s.apimachinery.pkg."):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _types_of(node: dict[str, Any]) -> set[str]:
    t = node.get("type")
    if t is None:
        return set()
    return {t} if isinstance(t, str) else set(t)


class Compactor:
    def __init__(self, defs: dict[str, Any]):
        self.defs = defs
        self.types: dict[str, dict[str, Any]] = {}

    def expr(self, node: dict[str, Any]) -> str:
        """The short type expression of one schema node."""
        ref = node.get("$ref")
        if ref is not None:
            full = ref.rsplit("/", 1)[-1]
            if full in SPECIAL:
                return SPECIAL[full]
            return self.named(full)
        kinds = _types_of(node) - {"null"}
        if kinds == {"array"}:
            return "[]" + self.expr(node.get("items", {}))
        if kinds == {"object"}:
            if "properties" in node:
                raise ValueError(f"inline object with properties: {node}")
            extra = node.get("additionalProperties")
            if isinstance(extra, dict) and extra:
                return "{}" + self.expr(extra)
            return "object"
        if len(kinds) == 1:
            (kind,) = kinds
            if kind in ("string", "integer", "number", "boolean"):
                return kind
        raise ValueError(f"cannot compact schema node: {node}")

    def named(self, full: str) -> str:
        """Compact a named definition once; return its short name."""
        short = short_name(full)
        if short in self.types:
            return short
        node = self.defs[full]
        if "properties" not in node:
            # Aliases such as meta.v1.Time (a string) or RawExtension (any object).
            return self.expr({k: v for k, v in node.items() if k != "$ref"})
        entry: dict[str, Any] = {}
        self.types[short] = entry  # registered before recursing: types are recursive
        entry["properties"] = {
            name: self.expr(prop) for name, prop in sorted(node["properties"].items())
        }
        if node.get("required"):
            entry["required"] = sorted(node["required"])
        return short


def build(schema_dir: Path) -> dict[str, Any]:
    defs = json.loads((schema_dir / "_definitions.json").read_text())["$defs"]
    comp = Compactor(defs)
    kinds = {}
    for kind, filename in KIND_FILES.items():
        top = json.loads((schema_dir / filename).read_text())
        gvk = top["x-kubernetes-group-version-kind"][0]
        group = gvk["group"]
        full = "io.k8s.api.{}.{}.{}".format(group.split(".")[0] or "core", gvk["version"], kind)
        if full not in defs:
            raise SystemExit(f"{kind}: no definition {full}")
        kinds[kind] = comp.named(full)
    return {
        "source": f"kubernetes-validate v{VERSION}.0-local-strict (Kubernetes OpenAPI)",
        "kubernetesVersion": VERSION,
        "kinds": kinds,
        "types": dict(sorted(comp.types.items())),
    }


def render(data: dict[str, Any]) -> str:
    # One type per line: small, and a regenerated file diffs readably.
    lines = ["{"]
    for key in ("source", "kubernetesVersion", "kinds"):
        lines.append(f"{json.dumps(key)}: {json.dumps(data[key], separators=(',', ':'))},")
    lines.append('"types": {')
    items = list(data["types"].items())
    for i, (name, entry) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        lines.append(f"{json.dumps(name)}: {json.dumps(entry, separators=(',', ':'))}{comma}")
    lines.append("}}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed JSON is stale")
    args = parser.parse_args(argv)
    try:
        import kubernetes_validate  # a dev-only dependency: imported late on purpose
    except ImportError:
        print(
            "gen_schema: needs the kubernetes-validate package (pip install kubernetes-validate)",
            file=sys.stderr,
        )
        return 2
    schema_dir = (
        Path(kubernetes_validate.__file__).parent
        / "kubernetes-json-schema"
        / f"v{VERSION}.0-local-strict"
    )
    text = render(build(schema_dir))
    if args.check:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"gen_schema: {OUT} is stale; run python tools/gen_schema.py", file=sys.stderr)
            return 1
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    print(f"wrote {OUT} ({len(text.encode())} bytes, {text.count(chr(10)) - 5} types)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
