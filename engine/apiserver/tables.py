"""Table responses: the server computes `kubectl get`'s columns.

kubectl asks `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`; the answer is a
meta.k8s.io/v1 Table with every column (kubectl hides the priority-1 ones
unless `-o wide`) and, per row, the cells plus the object's metadata
(`includeObject=Metadata`, the default: kubectl needs it for `--show-labels`,
`-L` and the NAMESPACE column of `-A`), the whole object (`Object`) or nothing
(`None`). The cells come from engine.views.get_table — the same printers the
TUI shows — with `integer` columns sent as numbers, as the API server does.
"""

from __future__ import annotations

from typing import Any

from engine.views import get_table

TABLE_MEDIA = "as=Table"
PARTIAL_MEDIA = "as=PartialObjectMetadata"

_DESCRIPTIONS = {
    "Name": "Name must be unique within a namespace. Is required when creating resources, although some "
            "resources may allow a client to request the generation of an appropriate name automatically.",
    "Age": "CreationTimestamp is a timestamp representing the server time when this object was created.",
}


def wants_table(accept: str) -> bool:
    return TABLE_MEDIA in accept.replace(" ", "")


def _row_object(obj: dict, include: str) -> dict | None:
    if include == "None":
        return None
    if include == "Object":
        return obj
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj.get("metadata") or {}}


def table(kind: str, objects: list[dict], now: float, *, resource_version: str = "",
          include_object: str = "Metadata", columns: bool = True) -> dict[str, Any]:
    t = get_table(kind, objects, now)
    integer = [c.type == "integer" for c in t.columns]
    rows = []
    for obj, cells in zip(objects, t.rows):
        out_cells: list[Any] = []
        for is_int, cell in zip(integer, cells):
            if is_int:
                try:
                    out_cells.append(int(cell))
                    continue
                except ValueError:
                    pass
            out_cells.append(cell)
        row: dict[str, Any] = {"cells": out_cells}
        ro = _row_object(obj, include_object)
        if ro is not None:
            row["object"] = ro
        rows.append(row)
    body: dict[str, Any] = {"kind": "Table", "apiVersion": "meta.k8s.io/v1",
                            "metadata": {"resourceVersion": resource_version} if resource_version else {}}
    if columns:
        body["columnDefinitions"] = [
            {"name": c.name, "type": c.type, "format": c.format,
             "description": c.description or _DESCRIPTIONS.get(c.name, c.name), "priority": c.priority}
            for c in t.columns
        ]
    else:
        body["columnDefinitions"] = None
    body["rows"] = rows
    return body
