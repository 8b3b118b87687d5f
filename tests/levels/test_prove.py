"""`pack test`'s proof of a level, and `pack new`'s scaffold passing check and test."""

from __future__ import annotations

from kubequest.levels.loader import check_pack, load_pack
from kubequest.levels.prove import prove_level
from kubequest.levels.scaffold import new_pack
from kubequest.runtime_select import RuntimeChoice

from .conftest import WEB_DEPLOYMENT, make_pack

SIM = RuntimeChoice("sim", "tests")


def prove(root):
    lines: list[str] = []
    pack = load_pack(root)
    assert pack.all_problems() == []
    return prove_level(pack.levels[0], SIM, say=lines.append), lines


def test_a_good_level_is_proven(tmp_path):
    make_pack(tmp_path)
    proof, lines = prove(tmp_path)
    assert proof.ok, lines
    assert lines == ["demo/scale: A test level",
                     "  ok   setup alone: objectives not met after 30s, as it should be",
                     "  ok   solution meets every objective after 0s"]


def test_a_setup_that_already_wins_fails_naming_the_level(tmp_path):
    make_pack(tmp_path, setup=WEB_DEPLOYMENT.format(replicas=3, image="kubequest/web:1.0"))
    proof, lines = prove(tmp_path)
    assert not proof.ok and proof.level == "demo/scale"
    assert proof.failures == [("the setup alone already meets every objective (after 0s): "
                              "the learner would have nothing to do")]
    assert "  FAIL the setup alone already meets" in lines[1]


def test_a_solution_that_does_not_win_names_the_objective_and_why(tmp_path):
    crashing = WEB_DEPLOYMENT.format(replicas=3, image="kubequest/web:2.1")
    make_pack(tmp_path, setup=crashing.replace("replicas: 3", "replicas: 1"), solution=crashing)
    proof, _lines = prove(tmp_path)
    assert not proof.ok
    [failure] = proof.failures
    assert failure.startswith('solution (solution/app.yaml) does not meet the objectives within 60s: '
                              'objective "three-ready" not met: 0 of 3 pods app=web are ready '
                              '(wanted exactly 3) — why: ')
    assert "keeps crashing (CrashLoopBackOff" in failure
    assert "fatal: DATABASE_URL is not set" in failure


def test_an_alternative_is_proven_too(tmp_path):
    make_pack(tmp_path, extra={"scale/alt/app.yaml": WEB_DEPLOYMENT.format(replicas=2, image="kubequest/web:1.0")})
    level_yaml = (tmp_path / "scale" / "level.yaml").read_text() + "alternatives:\n  - [alt/app.yaml]\n"
    (tmp_path / "scale" / "level.yaml").write_text(level_yaml)
    proof, _lines = prove(tmp_path)
    assert [f.split(":")[0] for f in proof.failures] == ["alternative 1 (alt/app.yaml) does not meet the objectives within 60s"]


def test_a_solution_that_does_not_apply(tmp_path):
    make_pack(tmp_path, solution="apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  namespace: gone\n"
                                 "spec:\n  containers: [{name: c, image: kubequest/web:1.0}]\n")
    proof, _ = prove(tmp_path)
    assert len(proof.failures) == 1 and 'namespaces "gone" not found' in proof.failures[0]


def test_pack_new_passes_check_and_test(tmp_path):
    files = new_pack(tmp_path / "My Course")
    assert len(files) == 7
    pack, problems = check_pack(tmp_path / "My Course")
    assert problems == [] and pack.name == "my-course"
    proof, lines = prove(tmp_path / "My Course")
    assert proof.ok, lines
