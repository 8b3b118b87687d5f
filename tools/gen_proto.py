"""Generate engine/api/schema/proto-k8s.json: the protobuf field numbers of the served
kinds, so the API server can read the protobuf bodies kubectl 1.32+ sends from its
typed clients (`kubectl create configmap`, `create secret`, `create deployment`, …).

The source is the `generated.proto` files of kubernetes/api and
kubernetes/apimachinery (field numbers never change between releases). Pass the
two checkouts:

    python tools/gen_proto.py --api ~/src/api --apimachinery ~/src/apimachinery
    python tools/gen_proto.py --api … --apimachinery … --check   (exit 1 if stale)

Output: {"messages": {"k8s.io.api.core.v1.ConfigMap": {"1": ["metadata", "k8s.io…ObjectMeta", ""],
                                                         "2": ["data", "map<string,string>", ""], …}, …}}
A field is [json name, type, "repeated" or ""]; types are proto scalars, a
message's full name, or map<K,V>. Only messages reachable from the served kinds
(and the scale subresource's Scale) are kept.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "engine" / "api" / "schema" / "proto-k8s.json"
API_FILES = ["core/v1", "apps/v1", "batch/v1", "autoscaling/v1"]
MACHINERY_FILES = ["pkg/api/resource", "pkg/apis/meta/v1", "pkg/runtime", "pkg/util/intstr", "pkg/runtime/schema"]
ROOTS = [
    "k8s.io.api.core.v1." + k for k in ("Pod", "Service", "ConfigMap", "Secret", "Namespace", "Node", "Event",
                                        "Endpoints", "ReplicationController", "PersistentVolumeClaim")
] + ["k8s.io.api.apps.v1." + k for k in ("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet")] + [
    "k8s.io.api.batch.v1.Job", "k8s.io.api.autoscaling.v1.Scale",
    "k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions", "k8s.io.apimachinery.pkg.runtime.Unknown",
]
SCALARS = {"string", "bytes", "bool", "int32", "int64", "uint32", "uint64", "double", "float",
           "sint32", "sint64", "fixed32", "fixed64"}

_MESSAGE = re.compile(r"^message (\w+) \{")
_FIELD = re.compile(r"^\s*(optional|repeated)\s+([\w.]+)\s+(\w+)\s*=\s*(\d+)")
_MAP = re.compile(r"^\s*map<\s*([\w.]+)\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+)")


def _qualify(type_: str, package: str, local: set[str]) -> str:
    if type_ in SCALARS:
        return type_
    if type_.startswith("."):
        return type_[1:]
    if type_ in local:
        return f"{package}.{type_}"
    return type_


def parse(text: str) -> dict[str, dict[str, list[str]]]:
    package = re.search(r"^package ([\w.]+);", text, re.MULTILINE).group(1)  # type: ignore[union-attr]
    lines = [ln for ln in text.splitlines() if not ln.strip().startswith("//")]
    local = {m.group(1) for ln in lines if (m := _MESSAGE.match(ln))}
    out: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    depth = 0
    for ln in lines:
        m = _MESSAGE.match(ln)
        if m and depth == 0:
            current = out[f"{package}.{m.group(1)}"] = {}
            depth = 1
            continue
        if current is None:
            continue
        depth += ln.count("{") - ln.count("}")
        if depth <= 0:
            current, depth = None, 0
            continue
        if (f := _FIELD.match(ln)) is not None:
            label, type_, name, num = f.groups()
            current[num] = [name, _qualify(type_, package, local), "repeated" if label == "repeated" else ""]
        elif (f := _MAP.match(ln)) is not None:
            k, v, name, num = f.groups()
            current[num] = [name, f"map<{_qualify(k, package, local)},{_qualify(v, package, local)}>", ""]
    return out


def generate(api: Path, machinery: Path) -> dict:
    messages: dict[str, dict[str, list[str]]] = {}
    for rel in API_FILES:
        messages.update(parse((api / rel / "generated.proto").read_text()))
    for rel in MACHINERY_FILES:
        messages.update(parse((machinery / rel / "generated.proto").read_text()))
    keep: dict[str, dict[str, list[str]]] = {}
    todo = list(ROOTS)
    while todo:
        name = todo.pop()
        if name in keep or name not in messages:
            continue
        keep[name] = messages[name]
        for _, type_, _ in messages[name].values():
            for t in re.findall(r"[\w.]+", type_):
                if t not in SCALARS and t != "map":
                    todo.append(t)
    return {"messages": {k: keep[k] for k in sorted(keep)}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", type=Path, required=True, help="a kubernetes/api checkout")
    parser.add_argument("--apimachinery", type=Path, required=True, help="a kubernetes/apimachinery checkout")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    text = json.dumps(generate(args.api, args.apimachinery), sort_keys=True, separators=(",", ":")) + "\n"
    if args.check:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT} is stale: run python tools/gen_proto.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT} ({len(text) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
