"""The level commands of the CLI: run, pack new/check/test, levels (PRODUCT.md §1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from kubequest import runtime_select
from kubequest.cli import main
from kubequest.levels.progress import FILENAME
from tests.levels.conftest import WEB_DEPLOYMENT, make_pack

BASICS = Path(__file__).resolve().parent.parent / "levels" / "basics"
TYPO = BASICS / "typo-service"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("KUBEQUEST_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_run_a_solution_wins(capsys, data_dir):
    code, out, err = cli(capsys, "--runtime", "sim", "run", "basics/typo-service",
                         "--apply", str(TYPO / "solution" / "service.yaml"))
    assert code == 0, out + err
    assert "✓ endpoints: The web Service has 3 ready endpoints" in out
    assert "✓ http: The Service answers with version 1.0" in out
    assert "every objective met" in out
    saved = json.loads((data_dir / FILENAME).read_text())
    assert saved["levels"]["basics/typo-service"]["solved"] is True


def test_run_the_broken_workspace_says_why(capsys):
    code, out, _ = cli(capsys, "--runtime", "sim", "run", "basics/typo-service",
                       "--apply", str(TYPO / "workspace" / "service.yaml"), "--timeout", "15")
    assert code == 1
    assert "✗ endpoints: The web Service has 3 ready endpoints" in out
    assert "why: Service web selects app=wbe, but no pod has these labels." in out
    assert "not met after 15s" in out


def test_run_json(capsys):
    code, out, _ = cli(capsys, "--runtime", "sim", "run", "basics/crashloop", "--json", "--timeout", "20",
                       "--apply", str(BASICS / "crashloop" / "workspace" / "web.yaml"))
    assert code == 1
    result = json.loads(out)
    assert result["level"] == "basics/crashloop" and result["met"] is False and result["runtime"] == "sim"
    rolled = result["objectives"][0]
    assert rolled["id"] == "rolled-out" and rolled["met"] is False
    assert any("fatal: DATABASE_URL is not set" in s for s in rolled["explanation"])


@pytest.mark.parametrize("argv,words", [
    (["run", "basics/nope"], 'pack "basics" has no level "nope"'),
    (["run", "nope"], "write it as pack/level"),
    (["run", "basics/typo-service", "--apply", "/no/such.yaml"], "/no/such.yaml: no such file"),
    (["run", "basics/typo-service", "--timeout", "0"], "--timeout must be a positive number"),
    (["pack", "check", "/no/such/dir"], "/no/such/dir: no such folder"),
    (["pack", "test", "/no/such/dir"], "/no/such/dir: no such folder"),
])
def test_user_mistakes_are_one_clear_line(capsys, argv, words):
    code, _out, err = cli(capsys, "--runtime", "sim", *argv)
    assert code == 2
    assert words in err and len(err.strip().splitlines()) == 1


def test_an_invalid_file_is_reported_with_its_line(capsys, tmp_path):
    bad = tmp_path / "svc.yaml"
    bad.write_text((TYPO / "solution" / "service.yaml").read_text().replace("port: 80", "port: 70000"))
    code, _, err = cli(capsys, "--runtime", "sim", "run", "basics/typo-service", "--apply", str(bad))
    assert code == 2
    assert f"{bad}:9: Service/web: spec.ports[0].port: Invalid value: 70000" in err


def test_docker_asked_for_and_absent(capsys, monkeypatch):
    def absent(cluster_id):
        raise runtime_select.RuntimeUnavailable("the Docker daemon does not answer")

    monkeypatch.setattr(runtime_select, "_docker_runtime", absent)
    code, _, err = cli(capsys, "--runtime", "docker", "run", "basics/typo-service")
    assert code == 2 and "--runtime docker: the Docker daemon does not answer" in err


def test_pack_new_check_test(capsys, tmp_path):
    target = tmp_path / "course"
    code, out, _ = cli(capsys, "pack", "new", str(target))
    assert code == 0 and "created pack course" in out
    code, out, _ = cli(capsys, "pack", "check", str(target))
    assert (code, out.strip()) == (0, f"{target}: pack course is valid (1 level(s))")
    code, out, _ = cli(capsys, "--runtime", "sim", "pack", "test", str(target))
    assert code == 0, out
    assert "course/scale-up: One is not enough" in out and "all 1 level(s) proven" in out
    code, _, err = cli(capsys, "pack", "new", str(target))
    assert code == 2 and "not an empty folder" in err


def test_pack_check_lists_every_problem_with_file_and_line(capsys, tmp_path):
    privileged = WEB_DEPLOYMENT.format(replicas=1, image="kubequest/web:1.0") + \
        "          securityContext:\n            privileged: true\n"
    make_pack(tmp_path, setup=privileged)
    level_yaml = tmp_path / "scale" / "level.yaml"
    level_yaml.write_text(level_yaml.read_text().replace("type: pods", "type: podz"))
    (tmp_path / "scale" / "briefing.md").unlink()
    code, out, err = cli(capsys, "pack", "check", str(tmp_path))
    assert code == 1 and "3 problem(s)" in err
    lines = out.strip().splitlines()
    assert len(lines) == 3
    assert f"{level_yaml}:6: briefing: " in lines[0]
    assert f"{level_yaml}:13: objectives[0].check.type: unknown check type \"podz\"" in lines[1]
    assert lines[2].startswith(f"{tmp_path / 'scale' / 'setup' / 'app.yaml'}:19: Deployment/web: "
                               "spec.template.spec.containers[0].securityContext.privileged: Forbidden")


def test_pack_test_fails_a_setup_that_already_wins(capsys, tmp_path):
    make_pack(tmp_path, setup=WEB_DEPLOYMENT.format(replicas=3, image="kubequest/web:1.0"))
    code, out, _ = cli(capsys, "--runtime", "sim", "pack", "test", str(tmp_path))
    assert code == 1
    assert "FAIL the setup alone already meets every objective" in out
    assert "1 of 1 level(s) failed: demo/scale" in out


def test_pack_test_one_level(capsys):
    code, out, _ = cli(capsys, "--runtime", "sim", "pack", "test", str(BASICS), "--level", "basics/crashloop")
    assert code == 0, out
    assert "basics/crashloop" in out and "typo-service" not in out
    code, _, err = cli(capsys, "--runtime", "sim", "pack", "test", str(BASICS), "--level", "nope")
    assert code == 2 and 'has no level "nope"' in err


def test_levels_lists_packs_with_progress(capsys, tmp_path, data_dir):
    cli(capsys, "--runtime", "sim", "run", "basics/typo-service", "--apply", str(TYPO / "solution" / "service.yaml"))
    broken = tmp_path / "broken"
    make_pack(broken, name="broken")
    (broken / "scale" / "briefing.md").unlink()
    code, out, _ = cli(capsys, "--packs", str(broken), "levels")
    assert code == 0
    basics_levels = len(yaml.safe_load((BASICS / "pack.yaml").read_text())["levels"])
    assert f"basics — Kubernetes basics (built-in), 1 of {basics_levels} solved" in out
    assert "★★☆  basics/typo-service" in out and "☆☆☆  basics/crashloop" in out
    assert f"broken — Demo (from {broken}), 0 of 1 solved" in out
    assert "(cannot be played)" in out


def test_levels_with_a_corrupt_save_warns_and_goes_on(capsys, data_dir):
    data_dir.mkdir(parents=True)
    (data_dir / FILENAME).write_text("{oops")
    code, out, err = cli(capsys, "levels")
    assert code == 0 and "basics" in out
    assert "warning: the save file" in err and "progress starts clean" in err
    assert any(p.name.startswith(f"{FILENAME}.bak-") for p in data_dir.iterdir())


def test_help_works_everywhere(capsys):
    for argv in (["run", "--help"], ["pack", "--help"], ["pack", "test", "--help"], ["levels", "--help"]):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 0
    assert "usage:" in capsys.readouterr().out
