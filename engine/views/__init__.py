"""What kubectl would print, computed from Kubernetes-shaped dicts.

Pure functions: objects are plain dicts as the API returns them and every
call takes `now` (epoch seconds) instead of reading the clock. No imports from
kubequest/, Textual or Rich. Sources ported (see each module's docstring):
apimachinery duration.go and quantity.go, kubernetes printers.go, cli-runtime
tableprinter.go/tabwriter.go, kubectl describe.go (v0.36.3).
"""

from engine.api.quantity import canonical
from engine.api.quantity import to_float as parse_quantity
from engine.views.age import human_duration, parse_timestamp, translate_timestamp_since
from engine.views.describe import describe
from engine.views.printers import (
    Column,
    Table,
    columns_for,
    get_table,
    pod_status,
    pod_summary,
    print_row,
    render_table,
)

__all__ = [
    "Column",
    "Table",
    "canonical",
    "columns_for",
    "describe",
    "get_table",
    "human_duration",
    "parse_quantity",
    "parse_timestamp",
    "pod_status",
    "pod_summary",
    "print_row",
    "render_table",
    "translate_timestamp_since",
]
