"""Property tests: random mutations of valid manifests against the official schema.

Seeds are valid manifests (tests/api/valid/ and the Kubernetes docs examples).
Hypothesis deletes and renames keys, swaps values for other JSON types,
inserts unknown fields and writes bad values, then checks that

1. validate() never crashes: it returns a list of FieldError, never an internal error;
2. whenever the official Kubernetes 1.33 JSON schema (the strict one shipped in
   kubernetes-validate) refuses the manifest for a reason our schema layer
   claims — an unknown field, a wrong JSON type, a missing required field, a
   bad int-or-string/quantity — we refuse it too, at the same field.

Not compared: null int-or-string/quantity values (Kubernetes decodes null as
"unset" where the JSON schema's oneOf refuses it) and mutations of apiVersion/kind.

Examples: 2,000 with CI=true, 150 otherwise (profiles below).
"""

from __future__ import annotations

import copy
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kubernetes_validate import utils as kv_utils
from referencing import Registry, Resource

from engine.api.errors import FieldError
from engine.api.kinds import KINDS
from engine.api.source import load_file
from engine.api.validation import INTERNAL_ERROR, validate

from ..conftest import EXAMPLES

settings.register_profile(
    "validation-ci",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "validation-dev",
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
IN_CI = os.environ.get("CI", "").lower() in ("true", "1", "yes")
PROFILE = settings.get_profile("validation-ci" if IN_CI else "validation-dev")

SCHEMA_DIR = "v1.33.0-local-strict"
VALID = Path(__file__).parent / "valid"


def _seeds() -> list[dict[str, Any]]:
    docs = [d for path in sorted(VALID.glob("*.yaml")) for d in load_file(path)]
    docs += [d for path in sorted(EXAMPLES.glob("*.yaml")) for d in load_file(path)]
    return [d.obj for d in docs if d.obj.get("kind") in KINDS and validate(d.obj) == []]


SEEDS = _seeds()


@cache
def official_validator(kind: str, api_version: str) -> jsonschema.protocols.Validator:
    """What kubernetes_validate.validate(obj, "1.33", strict=True) uses, built once.

    (kubernetes_validate re-reads a 1.4 MB schema file on every call.)
    """
    api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    base = f"kubernetes-json-schema/{SCHEMA_DIR}"
    schema = kv_utils.schema_contents(f"{base}/{kind.lower()}-{api}.json", "1.33")
    defs = kv_utils.schema_contents(f"{base}/_definitions.json", "1.33")
    registry = Resource.from_contents(defs) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


# --- mutations ---

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=4,
)
BAD_VALUES = st.sampled_from(
    [
        -1,
        0,
        70000,
        2**31,
        1.5,
        "",
        "-",
        "Bad_Name!",
        "a" * 70,
        "0%",
        "101%",
        "abc",
        "1GB",
        "1iK",
        "web--port",
        "..",
        "my key",
        "A=B",
        "Sometimes",
        {},
        [],
        [None],
        {"zz": 1},
    ]
)
UNKNOWN_NAMES = st.from_regex(r"zz[a-zA-Z]{0,6}", fullmatch=True)


def locations(obj: Any, path: tuple = ()) -> list[tuple]:
    """Paths to every value below the root (keys and list indices)."""
    found = []
    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, list):
        items = enumerate(obj)
    else:
        return found
    for k, v in items:
        if not path and k in ("apiVersion", "kind"):
            continue
        found.append(path + (k,))
        found += locations(v, path + (k,))
    return found


def containers(obj: Any, path: tuple = ()) -> list[tuple]:
    """Paths to every mapping (the root included) where a key can be inserted."""
    found = [path] if isinstance(obj, dict) else []
    if isinstance(obj, dict):
        for k, v in obj.items():
            found += containers(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            found += containers(v, path + (i,))
    return found


def _parent(obj: Any, path: tuple) -> Any:
    for step in path[:-1]:
        obj = obj[step]
    return obj


def fresh(value: Any) -> Any:
    # Drawn values can be shared objects (sampled_from's {} and []); later mutations
    # of this example must not change them for the next one.
    return copy.deepcopy(value)


@st.composite
def mutated(draw) -> dict[str, Any]:
    obj = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["delete", "rename", "retype", "insert", "bad"]))
        if op == "insert":
            where = draw(st.sampled_from(containers(obj)))
            target = _parent(obj, where + ("_",))
            target[draw(UNKNOWN_NAMES)] = fresh(draw(JSON_VALUES))
            continue
        places = locations(obj)
        if not places:
            continue
        path = draw(st.sampled_from(places))
        parent, last = _parent(obj, path), path[-1]
        if op in ("delete", "rename") and isinstance(parent, dict):
            value = parent.pop(last)
            if op == "rename":
                parent[draw(UNKNOWN_NAMES)] = value
        elif op == "retype":
            parent[last] = fresh(draw(JSON_VALUES))
        elif op == "bad":
            parent[last] = fresh(draw(BAD_VALUES))
    return obj


# --- comparison with the official schema ---


def _dotted(path) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def claimed_fields(error: jsonschema.ValidationError) -> list[str]:
    """The fields where our schema layer must report this official error (empty: not claimed)."""
    where = _dotted(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties") or {})
        return [f"{where}.{k}" if where else k for k in error.instance if k not in known]
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [r for r in error.validator_value if r not in error.instance]
        return [f"{where}.{r}" if where else r for r in missing]
    if error.validator == "type":
        return [where]
    if error.validator == "oneOf" and error.instance is not None:
        return [where]
    return []


def our_fields(errors: list[FieldError]) -> set[str]:
    return {e.field for e in errors}


def test_official_validator_agrees_with_kubernetes_validate():
    """The cached validator is kubernetes_validate's own check (same files, same class)."""
    for obj in SEEDS[:10]:
        bad = copy.deepcopy(obj)
        bad["zzUnknown"] = 1
        for sample, ok in ((obj, True), (bad, False)):
            try:
                kubernetes_validate.validate(sample, "1.33", strict=True)
                accepted = True
            except kubernetes_validate.ValidationError:
                accepted = False
            assert accepted is ok
            errors = list(official_validator(obj["kind"], obj["apiVersion"]).iter_errors(sample))
            assert (not errors) is ok


def test_there_are_seeds_of_every_kind():
    assert {s["kind"] for s in SEEDS} == set(KINDS)


@PROFILE
@given(mutated())
def test_mutations_never_crash_and_schema_refusals_are_ours(obj):
    ours = validate(obj)
    assert isinstance(ours, list)
    assert all(isinstance(e, FieldError) for e in ours)
    assert not [e for e in ours if e.type == INTERNAL_ERROR], [e.message() for e in ours]
    for e in ours:
        e.message()  # renders

    official = official_validator(obj["kind"], obj["apiVersion"]).iter_errors(obj)
    missing = []
    fields = our_fields(ours)
    for error in official:
        for field in claimed_fields(error):
            if field not in fields:
                missing.append(f"{field}: {error.message}")
    assert not missing, (missing, [e.message() for e in ours])


@pytest.mark.parametrize("garbage", [[], "x", 3, None])
def test_mutated_garbage_roots(garbage):
    assert validate(garbage) and validate(garbage)[0].type != INTERNAL_ERROR
