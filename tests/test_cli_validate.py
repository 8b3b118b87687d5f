"""`kubequest validate FILE...` (PRODUCT.md §1): output format and exit status."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kubequest.cli import main

HERE = Path(__file__).parent
BROKEN = HERE / "api" / "broken"
VALID = HERE / "api" / "valid" / "all-kinds.yaml"
ROOT = HERE.parent

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: -1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx
"""


@pytest.fixture
def write(tmp_path):
    def _write(name: str, text: str) -> str:
        path = tmp_path / name
        path.write_text(text)
        return str(path)

    return _write


def test_valid_file_prints_a_summary_and_exits_0(capsys):
    assert main(["validate", str(VALID)]) == 0
    out, err = capsys.readouterr()
    assert out == f"{VALID}: valid (17 objects)\n"
    assert err == ""


def test_one_object_is_singular(write, capsys):
    path = write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    assert main(["validate", path]) == 0
    assert capsys.readouterr().out == f"{path}: valid (1 object)\n"


def test_invalid_file_prints_file_line_kind_name_field_message(write, capsys):
    path = write("deploy.yaml", DEPLOYMENT)
    assert main(["validate", path]) == 1
    out, err = capsys.readouterr()
    assert out == (
        f"{path}:6: Deployment/web: spec.replicas: Invalid value: -1: "
        "must be greater than or equal to 0\n"
    )
    assert err == ""


def test_every_problem_of_every_document_is_printed(capsys):
    path = BROKEN / "sandbox-templates.yaml"
    assert main(["validate", str(path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(": ", 2)[1] for line in lines] == [
        "Job/backup",
        "Job/backup",
        "StatefulSet/db",
    ]
    assert all(line.startswith(f"{path}:") for line in lines)


def test_kind_problem_is_a_sentence(capsys):
    path = BROKEN / "kind-not-run.yaml"
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{path}:3: networking.k8s.io/v1 Ingress is not run by KubeQuest (yet)")


def test_missing_file_exits_2_on_stderr(tmp_path, capsys):
    missing = tmp_path / "nope.yaml"
    assert main(["validate", str(missing)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"{missing}: no such file\n"


def test_directory_exits_2(tmp_path, capsys):
    assert main(["validate", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_yaml_syntax_error_exits_2_with_its_line(write, capsys):
    path = write("bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [web\n")
    assert main(["validate", path]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{path}:5: YAML syntax error: ")
    assert err.count("\n") == 1


def test_duplicate_keys_are_a_parse_error(write, capsys):
    path = write("dup.yaml", "apiVersion: v1\nkind: Pod\nkind: Service\n")
    assert main(["validate", path]) == 2
    assert capsys.readouterr().err.startswith(f"{path}:3: ")


def test_not_utf8_exits_2(tmp_path, capsys):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: caf\xe9\n")
    assert main(["validate", str(path)]) == 2
    assert "is not UTF-8 text" in capsys.readouterr().err


def test_empty_file_is_invalid(write, capsys):
    path = write("empty.yaml", "# nothing here\n")
    assert main(["validate", path]) == 1
    assert capsys.readouterr().out == f"{path}: no objects: the file holds no YAML document\n"


def test_exit_status_is_the_worst_and_every_file_is_reported(write, tmp_path, capsys):
    good = write("good.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: dev}\n")
    bad = write("bad.yaml", DEPLOYMENT)
    missing = str(tmp_path / "missing.yaml")
    assert main(["validate", good, bad]) == 1
    capsys.readouterr()
    assert main(["validate", missing, good, bad]) == 2
    out, err = capsys.readouterr()
    assert f"{good}: valid (1 object)" in out
    assert f"{bad}:6: Deployment/web" in out
    assert f"{missing}: no such file" in err


def test_help(capsys):
    with pytest.raises(SystemExit) as info:
        main(["validate", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "FILE:LINE: Kind/name: field.path: message" in out
    assert "exit status: 0 all valid, 1 a manifest is invalid, 2 a file is unreadable" in out


def test_no_file_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["validate"])
    assert info.value.code == 2
    assert "FILE" in capsys.readouterr().err


def test_deeply_nested_yaml_is_no_traceback(write, capsys):
    path = write("deep.yaml", "a: " + "[" * 2000 + "]" * 2000 + "\n")
    assert main(["validate", path]) in (1, 2)
    assert "Traceback" not in capsys.readouterr().err


def test_as_a_real_process():
    """Once through `python -m kubequest`: exit status, stdout, and never a traceback."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "kubequest",
            "validate",
            str(BROKEN / "replicas-negative.yaml"),
            str(VALID),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert out.returncode == 1
    assert out.stdout.splitlines() == [
        (
            f"{BROKEN / 'replicas-negative.yaml'}:7: Deployment/web: spec.replicas: "
            "Invalid value: -1: must be greater than or equal to 0"
        ),
        f"{VALID}: valid (17 objects)",
    ]
    assert "Traceback" not in out.stderr
