"""Ways play-testers won built-in levels without learning their lesson, each played
here on the sim runtime and shown NOT to win any more; and the guided tutorials'
later steps, which must wait for the learner instead of completing on the first
`ctrl+s` (which applies every workspace file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.apiserver.handlers import API
from engine.apiserver.request import Request
from kubequest.levels.loader import Level, load_packs
from kubequest.levels.session import LevelSession, SessionState
from kubequest.tui.config import GameConfig

LEVELS = {lv.id: lv for pack in load_packs([]) for lv in pack.levels}
GAME_TIMING = GameConfig().timing  # the pace the TUI plays at (timers ×0.2)


@pytest.fixture(autouse=True)
def _data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBEQUEST_DATA_DIR", str(tmp_path / "data"))


def _patch(session: LevelSession, path: str, patch: dict) -> None:
    """A write through the API server, as `kubectl label/scale/edit` sends it."""
    answer = API(session.cluster).handle(
        Request(
            "PATCH",
            path,
            headers={"content-type": "application/merge-patch+json"},
            body=json.dumps(patch).encode(),
        )
    )
    assert answer.code == 200, answer.body


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _workspace(level: Level, name: str) -> str:
    return (level.dir / "workspace" / name).read_text(encoding="utf-8")


def _unmet(state: SessionState) -> list[str]:
    return [f"{o.id}: {o.detail}" for o in state.objectives if not o.ok]


# ---- self-healing/node-down: the default toleration must miss the window ---------------------


def test_node_down_is_not_won_without_a_change():
    """At the game's pace the default toleration (300 s × 0.2) evicts about 70 s after
    node-1 dies; the level must not accept that as a recovery."""
    level = LEVELS["self-healing/node-down"]
    with LevelSession(level, runtime="sim", timing=GAME_TIMING) as session:
        state = session.run(level.time_limit)
        assert not state.won, _unmet(state)
        assert session.hopeless(), _unmet(state)


@pytest.mark.parametrize("timing", [GAME_TIMING, None], ids=["game-pace", "kubernetes-pace"])
def test_node_down_solution_wins_with_room_to_spare(timing):
    level = LEVELS["self-healing/node-down"]
    kwargs = {"timing": timing} if timing is not None else {}
    with LevelSession(level, runtime="sim", **kwargs) as session:
        session.apply_files(level.solution)
        state = session.run(level.time_limit)
        assert state.won, _unmet(state)
        survives = next(o for o in state.objectives if o.id == "survives-node-1")
        # "…; 12s later: …" — well inside the 65 s window at either pace.
        seconds = int(survives.detail.split("; ", 1)[1].split("s later", 1)[0])
        assert seconds <= (15 if timing is not None else 60), survives.detail


# ---- self-healing/node-joins: one agent per node by a DaemonSet ---------------------------------


def test_node_joins_scaling_the_deployment_by_hand_does_not_win(tmp_path):
    level = LEVELS["self-healing/node-joins"]
    manifest = _workspace(level, "log-agent.yaml")
    with LevelSession(level, runtime="sim") as session:
        session.apply_files(
            [_write(tmp_path, "three.yaml", manifest.replace("replicas: 2", "replicas: 3"))]
        )
        # The objectives are evaluated on every pass: that is what brings node-4 in.
        assert session.cluster.run_until(
            lambda: (
                session.evaluate().won
                or session.cluster.store.try_get("Node", "node-4") is not None
            ),
            level.time_limit,
        ), session.log
        session.apply_files(
            [_write(tmp_path, "four.yaml", manifest.replace("replicas: 2", "replicas: 4"))]
        )
        state = session.run(level.time_limit)
        every_node = next(o for o in state.objectives if o.id == "every-node")
        assert every_node.ok, every_node.detail  # one agent per node: only who runs them is wrong
        assert not state.won
        assert _unmet(state) and _unmet(state)[0].startswith("daemonset-only:"), _unmet(state)


def test_node_joins_a_daemonset_beside_the_old_deployment_does_not_win(tmp_path):
    level = LEVELS["self-healing/node-joins"]
    daemonset = (
        (level.dir / "solution" / "log-agent.yaml").read_text(encoding="utf-8").split("\n---\n")[0]
    )
    assert "kind: DaemonSet" in daemonset and "kind: Deployment" not in daemonset
    with LevelSession(level, runtime="sim") as session:
        session.apply_files([_write(tmp_path, "daemonset.yaml", daemonset)])
        state = session.run(level.time_limit)
        assert not state.won
        assert session.cluster.store.try_get("Node", "node-4") is not None, session.log
        pending = [
            p for p in session.cluster.store.list("Pod") if p["status"].get("phase") == "Pending"
        ]
        assert pending, "the Deployment's anti-affinity keeps DaemonSet pods Pending"
        assert any(u.startswith("daemonset-only:") and "Pending" in u for u in _unmet(state)), (
            _unmet(state)
        )


# ---- scheduling/oomkilled: the cache keeps its 200 MiB ---------------------------------------------


def test_oomkilled_lowering_memory_mb_does_not_win():
    level = LEVELS["scheduling/oomkilled"]
    assert '"200"' not in _workspace(level, "cache.yaml"), (
        "the number to keep is not in the learner's file"
    )
    with LevelSession(level, runtime="sim") as session:
        session.run(10)
        # `kubectl edit configmap cache-config` to 100, then `kubectl rollout restart`
        _patch(
            session,
            "/api/v1/namespaces/default/configmaps/cache-config",
            {"data": {"MEMORY_MB": "100"}},
        )
        _patch(
            session,
            "/apis/apps/v1/namespaces/default/deployments/cache",
            {
                "spec": {
                    "template": {
                        "metadata": {
                            "annotations": {
                                "kubectl.kubernetes.io/restartedAt": "2026-01-01T09:00:00Z"
                            }
                        }
                    }
                }
            },
        )
        state = session.run(level.time_limit)
        steady = next(o for o in state.objectives if o.id == "steady")
        assert steady.ok, steady.detail  # 100 MiB fits the 128Mi limit: the pod does run
        assert not state.won
        assert [u.split(":")[0] for u in _unmet(state)] == ["all-the-data"], _unmet(state)


# ---- services/one-zone-only: relabelling pods is not balancing -------------------------------------


def test_one_zone_only_relabelling_the_pods_does_not_win():
    level = LEVELS["services/one-zone-only"]
    with LevelSession(level, runtime="sim") as session:
        session.run(10)
        # kubectl label pods -l app=web zone=eu-1 --overwrite
        for pod in session.cluster.store.list("Pod"):
            _patch(
                session,
                f"/api/v1/namespaces/default/pods/{pod['metadata']['name']}",
                {"metadata": {"labels": {"zone": "eu-1"}}},
            )
        state = session.run(level.time_limit)
        endpoints = next(o for o in state.objectives if o.id == "endpoints")
        assert endpoints.ok, endpoints.detail  # the old selector now finds 3 pods…
        assert not state.won  # …but two of them were taken from their zones
        assert [u.split(":")[0] for u in _unmet(state)] == ["one-per-zone"], _unmet(state)


# ---- rollouts/never-side-by-side: the answer is not on screen from the start ----------------------


def test_never_side_by_side_does_not_show_the_answer_before_a_hint():
    level = LEVELS["rollouts/never-side-by-side"]
    with LevelSession(level, runtime="sim") as session:
        state = session.run(20)
    shown = [text for o in state.objectives for text in (o.description, o.detail)]
    assert not any("Recreate" in text for text in shown), shown
    assert not any("Recreate" in hint for hint in level.hints[:1])


# ---- guided tutorials: ctrl+s at step 1 does not do the later steps --------------------------------


def _apply_every_workspace_file(session: LevelSession) -> None:
    """What `ctrl+s` does: `kubectl apply -f .` on the working folder."""
    session.apply_files(sorted(session.workdir.iterdir()))


def test_run_a_pod_later_steps_wait_for_the_learner():
    level = LEVELS["first-steps/run-a-pod"]
    with LevelSession(level, runtime="sim") as session:
        _apply_every_workspace_file(session)
        state = session.run(level.time_limit)
        assert state.step == 1 and not state.won, _unmet(state)  # step 2 asks for replicas: 2
        session.apply_files([level.dir / "solution" / "deployment.yaml"])
        assert session.cluster.run_until(lambda: session.evaluate().step == 2, 30)
        step_3_at = session.clock.now()
        state = session.run(level.time_limit)
        assert state.won, _unmet(state)
        # Time to read step 3 and watch the pod come back before the victory screen.
        assert session.won_at - step_3_at >= 15, session.log
        assert any("deleted pod web-" in line for line in session.log), session.log


def test_basics_first_steps_step_3_waits_for_the_learner(tmp_path):
    level = LEVELS["basics/first-steps"]
    with LevelSession(level, runtime="sim") as session:
        _apply_every_workspace_file(session)
        state = session.run(30)
        assert state.step == 1, _unmet(state)
        scaled = _write(
            tmp_path,
            "web.yaml",
            _workspace(level, "web.yaml").replace("replicas: 1", "replicas: 3"),
        )
        session.apply_files([scaled])  # step 2, as its text says
        state = session.run(60)
        assert state.step == 2 and not state.won, _unmet(state)
        session.apply_files(level.solution)  # step 3: the label the Service selects
        assert session.run(level.time_limit).won


@pytest.mark.parametrize("level_id", sorted(i for i, lv in LEVELS.items() if lv.steps))
def test_guided_hints_follow_the_steps(level_id):
    """Hints are level-wide: each says which step it is for, in step order."""
    level = LEVELS[level_id]
    steps = [
        int(h.split(":", 1)[0].removeprefix("Step "))
        for h in level.hints
        if h.startswith("Step ") and ":" in h[:8]
    ]
    assert len(steps) == len(level.hints), level.hints
    assert steps == sorted(steps) and set(steps) <= set(range(1, len(level.steps) + 1)), level.hints


# ---- basics/keep-the-cache: one cold start to wait for after the fix, not two ----------------------


def test_keep_the_cache_fix_is_proven_within_about_a_minute():
    level = LEVELS["basics/keep-the-cache"]
    with LevelSession(level, runtime="sim", timing=GAME_TIMING) as session:
        session.run(5)
        fixed_at = session.clock.now()
        session.apply_files(level.solution)
        state = session.run(level.time_limit)
        assert state.won, _unmet(state)
        assert session.won_at - fixed_at <= 75, session.won_at - fixed_at
