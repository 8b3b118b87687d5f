"""Manifest validation: the broken corpus, a valid fixture, and the pieces one by one.

Each file in tests/api/broken/ shows one rule (`# rule:` line) and marks every
expected problem at the end of the line it must point at:

    replicas: -1  #< Deployment/web: spec.replicas: Invalid value: -1: must be ...

A marker alone on a comment line belongs to the code line above it. The test
asserts the exact set of (line, text) pairs, so a missing, extra, reworded or
misplaced problem all fail.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from engine.api.errors import FieldError
from engine.api.quantity import (
    ERR_FORMAT_WRONG,
    ERR_SUFFIX,
    QuantityError,
)
from engine.api.quantity import parse as parse_quantity
from engine.api.source import load_documents, load_file
from engine.api.validation import INTERNAL_ERROR, Problem, names, validate, validate_documents
from engine.api.validation.semantic import base64_error

HERE = Path(__file__).parent
BROKEN = sorted((HERE / "broken").glob("*.yaml"))
VALID = sorted((HERE / "valid").glob("*.yaml"))
ROOT = HERE.parent.parent

_MARK = re.compile(r"(^|\s)#< (.*)$")


def expected_problems(path: Path) -> list[tuple[int, str]]:
    found, last_code = [], 0
    for number, line in enumerate(path.read_text().splitlines(), 1):
        mark = _MARK.search(line)
        code = line[: mark.start()] if mark else line.split("#", 1)[0]
        if code.strip():
            last_code = number
        if mark:
            found.append((number if code.strip() else last_code, mark.group(2)))
    return found


def _text(problem: Problem) -> str:
    return str(problem).split(": ", 1)[1]  # without "FILE:LINE"


def test_corpus_is_there():
    assert len(BROKEN) >= 60
    for path in BROKEN:
        assert path.read_text().startswith("# rule: "), f"{path.name} says which rule it shows"
        assert expected_problems(path), f"{path.name} marks at least one problem"


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.stem)
def test_broken_manifest(path: Path):
    problems = validate_documents(load_file(path))
    got = sorted((p.line, _text(p)) for p in problems)
    assert got == sorted(expected_problems(path))
    for p in problems:
        assert p.filename == str(path)
        if p.kind and p.field:
            # The field path is the message's own prefix, or the unknown field's name.
            assert p.message.startswith(p.field + ": ") or p.message == f'unknown field "{p.field}"'


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_manifests_have_no_problem(path: Path):
    docs = load_file(path)
    assert len(docs) >= 15
    assert validate_documents(docs) == []


def test_every_served_kind_has_a_valid_example():
    from engine.api.kinds import KINDS

    kinds = {d.obj["kind"] for path in VALID for d in load_file(path)}
    assert kinds == set(KINDS)


# --- validate(): the contract ---


@pytest.mark.parametrize(
    "garbage",
    [
        None,
        5,
        "Pod",
        [],
        [1, 2],
        {},
        {"kind": 5},
        {"apiVersion": [], "kind": "Pod"},
        {"apiVersion": "v1", "kind": "Pod", "metadata": [1], "spec": "x"},
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": {"a": 1}, "labels": [1]},
            "spec": {"containers": [None, 1, "x", {"name": 1, "ports": {"a": 1}}]},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "spec": {
                "selector": "app=web",
                "template": {"spec": {"containers": [{"resources": {"limits": [1]}}]}},
            },
        },
        {"apiVersion": "v1", "kind": "Secret", "data": {1: 2, None: None, False: [1]}},
        {
            "apiVersion": "v1",
            "kind": "Service",
            "spec": {"ports": [{"port": 1.5, "targetPort": 2.0}]},
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "spec": {
                "containers": [
                    {
                        "name": "a",
                        "image": "b",
                        "resources": {
                            "requests": {"cpu": float("nan")},
                            "limits": {"cpu": 10**400},
                        },
                    }
                ]
            },
        },
    ],
)
def test_validate_never_raises(garbage):
    errors = validate(garbage)
    assert errors, "garbage is never valid"
    assert all(isinstance(e, FieldError) for e in errors)
    assert all(e.type != INTERNAL_ERROR for e in errors), [str(e) for e in errors]
    for e in errors:
        assert e.message()  # renders


def test_validate_reports_every_problem_at_once():
    obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "Bad_Name"},
        "spec": {"restartPolicy": "Sometimes", "containers": [{"name": "c", "imagee": "x"}]},
    }
    messages = [e.message() for e in validate(obj)]
    assert 'unknown field "spec.containers[0].imagee"' in messages
    assert "spec.containers[0].image: Required value" in messages
    assert any(m.startswith('metadata.name: Invalid value: "Bad_Name"') for m in messages)
    assert any(m.startswith('spec.restartPolicy: Unsupported value: "Sometimes"') for m in messages)


def test_validate_valid_object_is_empty_list():
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "a"},
        "spec": {"containers": [{"name": "a", "image": "nginx"}]},
    }
    assert validate(pod) == []


def test_unsupported_kind_from_validate():
    (err,) = validate({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "x"}})
    assert "is not run by KubeQuest" in err.message()
    (err,) = validate({"apiVersion": "v1", "metadata": {"name": "x"}})
    assert err.field == "kind" and err.type == "Required value"


def test_status_is_checked_on_create_not_on_update():
    """On an update the store carries status over from the stored object (server-owned)."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "a"},
        "spec": {"containers": [{"name": "a", "image": "nginx"}]},
        "status": {"phase": "Running", "madeUp": 1},
    }
    assert [e.message() for e in validate(pod)] == ['unknown field "status.madeUp"']
    assert validate(pod, old=pod) == []


def test_job_generated_selector_is_accepted():
    """The registry generates a Job's selector from its uid; a stored Job must stay valid."""
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "pi", "uid": "1234"},
        "spec": {
            "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "1234"}},
            "template": {
                "metadata": {"labels": {"batch.kubernetes.io/controller-uid": "1234"}},
                "spec": {"restartPolicy": "Never", "containers": [{"name": "pi", "image": "perl"}]},
            },
        },
    }
    assert validate(job, old=job) == []
    job["spec"]["selector"] = {"matchLabels": {"app": "pi"}}
    assert [e.message() for e in validate(job)] == [
        'spec.selector: Invalid value: {"matchLabels":{"app":"pi"}}: `selector` not auto-generated'
    ]


def test_problem_lines_and_names_in_later_documents():
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
        "---\n"
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: b\nspec:\n  containers:\n"
        "  - name: b\n    image: nginx\n    ports:\n    - containerPort: 0\n"
    )
    (problem,) = validate_documents(load_documents(text, "f.yaml"))
    assert (problem.kind, problem.name, problem.line) == ("Pod", "b", 14)
    assert (
        str(problem)
        == "f.yaml:14: Pod/b: spec.containers[0].ports[0].containerPort: Required value"
    )


def test_unsupported_kind_is_one_problem_with_the_sentence():
    text = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x}\n"
    (problem,) = validate_documents(load_documents(text, "np.yaml"))
    assert problem.kind == "" and problem.line == 2
    assert str(problem).startswith(
        "np.yaml:2: networking.k8s.io/v1 NetworkPolicy is not run by KubeQuest"
    )


def test_field_errors_get_their_line():
    text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  containers: []\n"
    (problem,) = validate_documents(load_documents(text, "p.yaml"))
    assert problem.line == 6


# --- names: the exact Kubernetes messages ---


def test_subdomain_message_is_kubernetes_own():
    assert names.is_dns1123_subdomain("My_App") == [
        (
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
            "'-' or '.', and must start and end with an alphanumeric character (e.g. "
            "'example.com', regex used for validation is "
            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
        )
    ]
    assert names.is_dns1123_subdomain("a" * 254)[0] == "must be no more than 253 characters"


def test_regex_examples_keep_kubernetes_double_space():
    assert "(e.g. 'my-name',  or '123-abc', regex" in names.is_dns1123_label("-x")[0]


@pytest.mark.parametrize("value", ["web\n", "\nweb", "web "])
def test_names_refuse_trailing_newlines(value):
    assert names.is_dns1123_label(value)


def test_generate_name_may_end_with_dash():
    assert names.name_is_dns_subdomain("web-", prefix=True) == []
    assert names.name_is_dns_subdomain("web-", prefix=False)


@pytest.mark.parametrize(
    "port, messages",
    [
        ("http", []),
        ("h2c-8080", []),
        ("-http", ["must not begin or end with a hyphen"]),
        ("http--alt", ["must not contain consecutive hyphens"]),
        (
            "HTTP",
            [
                "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                "must contain at least one letter (a-z)",
            ],
        ),
        ("a" * 16, ["must be no more than 15 characters"]),
    ],
)
def test_port_names(port, messages):
    assert names.is_valid_port_name(port) == messages


def test_qualified_names():
    assert names.is_qualified_name("app.kubernetes.io/name") == []
    assert names.is_qualified_name("a/b/c")[0].startswith("a qualified name must consist of")
    assert names.is_qualified_name("/name") == ["prefix part must be non-empty"]


def test_config_keys():
    assert names.is_config_map_key(".env") == []
    assert names.is_config_map_key("..") == ["must not be '..'"]


# --- quantities ---


@pytest.mark.parametrize(
    "raw, canonical",
    [
        ("500m", "500m"),
        ("0.5", "500m"),
        (0.5, "500m"),
        (1, "1"),
        ("2000", "2k"),
        ("1500", "1500"),
        ("1Gi", "1Gi"),
        ("2048Ki", "2Mi"),
        ("0.5Gi", "512Mi"),
        ("1.5Ki", "1536"),
        ("1e3", "1e3"),
        ("0.0001", "100u"),
        ("m", "0"),
        ("-1", "-1"),
        ("0.0000000001", "1n"),
    ],
)
def test_quantity_canonical_form(raw, canonical):
    assert parse_quantity(raw).canonical() == canonical


@pytest.mark.parametrize(
    "raw, message",
    [
        ("1GB", ERR_FORMAT_WRONG),
        ("abc", ERR_FORMAT_WRONG),
        ("", ERR_FORMAT_WRONG),
        (True, ERR_FORMAT_WRONG),
        ("1iK", ERR_SUFFIX),
        ("1e", ERR_SUFFIX),
    ],
)
def test_quantity_errors(raw, message):
    with pytest.raises(QuantityError) as info:
        parse_quantity(raw)
    assert str(info.value) == message


# --- base64 as Go's encoding/base64 StdEncoding decodes it ---


@pytest.mark.parametrize(
    "text, error",
    [
        ("YWRtaW4=", None),
        ("", None),
        ("manu", None),
        ("YWJj\nZGVm", None),
        ("YQ==", None),
        # kubernetes/kubernetes#31548: "billy" fails at input byte 4.
        ("billy", "illegal base64 data at input byte 4"),
        ("abc", "illegal base64 data at input byte 0"),
        ("YQ=", "illegal base64 data at input byte 3"),
        ("Y===", "illegal base64 data at input byte 1"),
        ("YQ==YQ==", "illegal base64 data at input byte 4"),
        ("REPLACE_WITH_BASE64_CERT", "illegal base64 data at input byte 7"),
    ],
)
def test_base64_errors_match_go(text, error):
    assert base64_error(text) == error


# --- the generated schema ---


def test_committed_schema_matches_the_official_one():
    """engine/api/schema/k8s-1.33.json is what tools/gen_schema.py makes of kubernetes-validate's."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_schema.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr


def test_engine_never_imports_kubernetes_validate():
    for path in (ROOT / "engine").rglob("*.py"):
        assert "kubernetes_validate" not in path.read_text(), path
