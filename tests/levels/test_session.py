"""A LevelSession end to end on the sim runtime and a virtual clock."""

from __future__ import annotations

import json

import pytest
import yaml

from engine.apiserver.handlers import API
from engine.apiserver.request import Request
from kubequest.levels.loader import find_level, load_pack, load_packs
from kubequest.levels.session import ApplyError, LevelSession

from .conftest import LEVEL_YAML, WEB_DEPLOYMENT, make_pack

BARE_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  containers:
    - name: web
      image: kubequest/web:1.0
"""

CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"


def builtin(level_id: str):
    return find_level(level_id, load_packs([]))


def level_from(tmp_path, extra: str = "", objectives: str | None = None,
               files: dict[str, str] | None = None):
    text = LEVEL_YAML.format(name="scale") + extra
    if objectives is not None:
        start = text.index("objectives:")
        text = text[:start] + objectives + text[text.index("hints:"):]
    make_pack(tmp_path, level_yaml=text, extra={f"scale/{k}": v for k, v in (files or {}).items()})
    pack = load_pack(tmp_path)
    assert pack.all_problems() == []
    return pack.levels[0]


def test_typo_service_from_broken_to_won(tmp_path):
    level = builtin("basics/typo-service")
    with LevelSession(level, workdir=tmp_path / "work") as session:
        assert [p.name for p in (tmp_path / "work").iterdir()] == ["service.yaml"]
        state = session.run(20)
        assert not state.won and [o.ok for o in state.objectives] == [False, False]
        assert state.objectives[0].explanation[0] == \
            "Service web selects app=wbe, but no pod has these labels."
        assert session.apply_files([level.dir / "solution" / "service.yaml"]) == ["service/web configured"]
        state = session.run()
        assert state.won and all(o.ok for o in state.objectives)
        assert state.objectives[1].detail == "GET / through Service web answers 200 with 'web 1.0'"
        assert 20 <= state.elapsed < 25
    assert (tmp_path / "work" / "service.yaml").exists()  # a folder the caller gave is kept


def test_a_temp_workdir_is_removed_on_close():
    session = LevelSession(builtin("basics/typo-service"))
    session.start()
    workdir = session.workdir
    assert (workdir / "service.yaml").is_file()
    session.close()
    assert not workdir.exists()


def test_steps_advance_one_at_a_time():
    level = builtin("basics/first-steps")
    with LevelSession(level) as session:
        state = session.evaluate()
        assert state.step == 0 and not state.won
        session.apply_files([session.workdir / "web.yaml"])
        state = session.run(30)
        assert not state.won and state.step == 1
        assert [o.id for o in state.objectives] == ["three-pods"]
        session.apply_files([level.dir / "solution" / "web.yaml", session.workdir / "service.yaml"])
        state = session.run()
        assert state.won and state.step == 2


def test_hints_one_at_a_time():
    level = builtin("basics/typo-service")
    session = LevelSession(level)
    assert [session.next_hint() for _ in range(4)] == [*level.hints, None]
    assert session.hints_used == 3


def test_an_after_event_fires_at_its_time(tmp_path):
    level = level_from(tmp_path, "events:\n  - {after: 30s, action: {type: killContainer, "
                                 "selector: {app: web}}}\n")
    with LevelSession(level) as session:
        session.run(29)
        assert session.log == []
        session.run(2)
        assert session.log == ["after 30s: the game killed container web in pod " +
                               session.cluster.store.list("Pod")[0]["metadata"]["name"]]
        session.cluster.run_until(lambda: session.cluster.store.list("Pod")[0]["status"]
                                  ["containerStatuses"][0]["restartCount"] == 1, 30)


def test_an_event_that_cannot_act_is_logged(tmp_path):
    level = level_from(tmp_path, "events:\n  - {after: 1s, action: {type: deletePod, selector: {app: db}}}\n")
    with LevelSession(level) as session:
        session.run(2)
        assert session.log == [("after 1s: the game could not delete 1 pod app=db: "
                               "no pod matches app=db in namespace default")]


WHEN_MET = ("events:\n  - {when: objectivesMet, action: {type: deletePod, selector: {app: web}}}\n")
ONE_READY = ("objectives:\n  - id: one\n    description: one ready web pod\n"
             "    check: {type: pods, selector: {app: web}, ready: true, min: 1}\n")


def test_objectives_met_event_fires_then_a_deployment_heals(tmp_path):
    level = level_from(tmp_path, WHEN_MET, ONE_READY, files={"setup/app.yaml": CONFIGMAP})
    with LevelSession(level) as session:
        session.apply_files([level.dir / "solution" / "app.yaml"])
        state = session.run()
        assert state.won
        assert session.log[0].startswith("the game deleted pod web-")


def test_objectives_met_event_catches_a_bare_pod(tmp_path):
    level = level_from(tmp_path, WHEN_MET, ONE_READY, files={"setup/app.yaml": CONFIGMAP, "solution/pod.yaml": BARE_POD})
    with LevelSession(level) as session:
        session.apply_files([level.dir / "solution" / "pod.yaml"])
        state = session.run(60)
        assert not state.won
        assert session.log == ["the game deleted pod web"]
        assert state.objectives[0].detail == "no pod app=web (wanted at least 1)"


SURVIVES = ("objectives:\n  - id: heals\n    description: heals\n    check:\n      type: survives\n"
            "      action: {type: deletePod, selector: {app: web}}\n      withinSeconds: 30\n"
            "      then: {type: pods, selector: {app: web}, ready: true, min: 1}\n")


def test_survives_a_bare_pod_fails_early_and_a_new_apply_retries(tmp_path):
    level = level_from(tmp_path, "", SURVIVES, files={"setup/app.yaml": CONFIGMAP, "solution/pod.yaml": BARE_POD})
    with LevelSession(level) as session:
        session.apply_files([level.dir / "solution" / "pod.yaml"])
        state = session.run(300)
        assert not state.won and session.hopeless()
        assert state.elapsed < 60  # gave up once the 30s were over, not at the time limit
        assert state.objectives[0].detail.startswith("the game deleted pod web; 30s later: ")
        session.apply_files([level.dir / "solution" / "app.yaml"])
        assert not session.hopeless()
        assert session.run(120).won


def test_a_change_made_while_the_game_watches_counts_for_the_retry(tmp_path):
    """The learner fixes things during the watch window; if the check still fails at
    its deadline, that change already earns the next try — no second change needed."""
    level = level_from(tmp_path, "", SURVIVES, files={"setup/app.yaml": CONFIGMAP, "solution/pod.yaml": BARE_POD})
    with LevelSession(level) as session:
        session.apply_files([level.dir / "solution" / "pod.yaml"])
        session.cluster.run_until(lambda: any("the game deleted pod web" in line for line in session.log)
                                  or session.evaluate().won, 60)
        session.apply_files([level.dir / "setup" / "app.yaml"])  # a change, made while it watches
        state = session.run(60)
        assert not state.won
        assert not session.hopeless(), state.objectives[0].detail


def test_a_failed_survives_is_retried_after_a_change_through_kubectl(tmp_path):
    """The learner may fix the level with kubectl: a write through the API server counts
    as a change, as an apply from the editor does; a read does not."""
    level = level_from(tmp_path, "", SURVIVES, files={"setup/app.yaml": CONFIGMAP, "solution/pod.yaml": BARE_POD})
    with LevelSession(level) as session:
        session.apply_files([level.dir / "solution" / "pod.yaml"])
        assert not session.run(300).won and session.hopeless()
        api = API(session.cluster)
        assert api.handle(Request("GET", "/api/v1/namespaces/default/pods")).code == 200
        assert session.hopeless()  # looking changes nothing
        deployment = yaml.safe_load((level.dir / "solution" / "app.yaml").read_text())
        created = api.handle(Request("POST", "/apis/apps/v1/namespaces/default/deployments",
                                     headers={"content-type": "application/json"},
                                     body=json.dumps(deployment).encode()))
        assert created.code == 201, created.body
        assert not session.hopeless()
        assert session.run(120).won


def test_a_file_that_does_not_apply_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(WEB_DEPLOYMENT.format(replicas=-1, image="kubequest/web:1.0"))
    with LevelSession(builtin("basics/typo-service")) as session:
        with pytest.raises(ApplyError) as err:
            session.apply_files([bad])
        assert str(err.value).startswith(f"{bad}:6: Deployment/web: spec.replicas: Invalid value: -1")
        with pytest.raises(ApplyError, match="no such file"):
            session.apply_files([tmp_path / "missing.yaml"])


def test_a_setup_that_does_not_apply(tmp_path):
    level = level_from(tmp_path, files={"setup/app.yaml": CONFIGMAP.replace("{name: x}",
                                                                          "{name: x, namespace: nowhere}")})
    with pytest.raises(ApplyError, match="the level's setup: .*namespaces \"nowhere\" not found"):
        LevelSession(level).start()


def test_level_nodes_come_from_cluster(tmp_path):
    extra = ("cluster:\n  nodes:\n    - {name: small, cpu: '1', memory: 1Gi, labels: {disk: ssd}}\n"
             "    - {name: big, taints: [{key: dedicated, value: gpu, effect: NoSchedule}]}\n")
    level = level_from(tmp_path, extra)
    with LevelSession(level) as session:
        nodes = {n["metadata"]["name"]: n for n in session.cluster.store.list("Node")}
        assert set(nodes) == {"small", "big"}
        assert nodes["small"]["status"]["capacity"]["cpu"] == "1"
        assert nodes["small"]["metadata"]["labels"]["disk"] == "ssd"
        assert nodes["big"]["spec"]["taints"][0]["key"] == "dedicated"


def test_an_immutable_job_template_is_refused_in_a_line_not_a_wall_of_json(tmp_path):
    level = find_level("self-healing/job-backoff", load_packs([]))
    with LevelSession(level) as session:
        session.run(5)
        job = session.workdir / "job.yaml"
        job.write_text(job.read_text().replace("import:", "import-changed:", 1))
        with pytest.raises(ApplyError) as err:
            session.apply_files([job])
    message = str(err.value)
    assert message.endswith("Job/import: spec.template: Invalid value: {…}: field is immutable "
                            "(a Job's pod template cannot change: delete the Job, then apply again)"), message
    assert len(message.splitlines()) == 1


def test_a_failed_node_test_brings_the_node_back_and_the_fixed_retry_tests_it_again():
    """node-down: the first test fails (default tolerations); the game brings node-1 back at
    once, so the learner's fix spreads pods onto it and the retry fails a node that serves."""
    from kubequest.tui.config import GameConfig

    level = find_level("self-healing/node-down", load_packs([]))
    with LevelSession(level, timing=GameConfig().timing) as session:
        assert not session.run(level.time_limit).won and session.hopeless()
        assert "the test is over: the game recovered node node-1" in session.log
        session.run(20)
        session.apply_files(level.solution)
        # A wall-clock bound: a node that comes back must not churn pods with no time passing.
        state = session.run(240, max_wall=30)
        assert state.won, [o.detail for o in state.objectives]
        assert [line for line in session.log if line.startswith("the game failed node node-1")] \
            and len([line for line in session.log if "failed node node-1" in line]) == 2
