""""Why not yet?" on the built-in levels' broken states, as a new player meets them
(sim runtime, 20 s after the start): every unmet objective says something that
points at the cause, never the empty fallback. Found by play-testing every level."""

from __future__ import annotations

import pytest

from kubequest.levels.loader import load_packs
from kubequest.levels.session import LevelSession

LEVELS = {lv.id: lv for pack in load_packs([]) for lv in pack.levels}

EXPECTED = {
    "basics/wrong-namespace": "no pod in namespace shop has these labels; 2 pods with them are in namespace default",
    "basics/secret": "The pods read MESSAGE from Secret banner once, when their containers start",
    "services/one-zone-only": "a pod needs every label of the selector. 2 pods match only part of it",
    "services/named-port": "targetPort 'http', a container port name that none of the selected pods has "
                           "(theirs: web-http)",
    "services/nodeport": "spec.ports[0].nodePort is what was last applied",
    "services/wrong-port": "port 80 sends traffic to targetPort 80, but the pods listen on 8080",
    "self-healing/bare-pods": "has no controller (no ownerReferences): a pod that goes is not replaced",
    "self-healing/restart-policy": "last exited with code 0 (Completed) and was started again (restartPolicy: Always)",
    "self-healing/hung-app": "The kubelet records Unhealthy only when a probe fails",
    "self-healing/agent-per-node": "Node node-3 has the taint dedicated=payments:NoSchedule",
    "rollouts/scale-out": "Deployment web asks for 1 replica (spec.replicas)",
    "rollouts/blue-green": "Service web selects app=web,color=blue: 3 pods, running kubequest/web:1.0",
}


@pytest.fixture(autouse=True)
def _data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBEQUEST_DATA_DIR", str(tmp_path / "data"))


@pytest.mark.parametrize("level_id", sorted(EXPECTED))
def test_the_broken_state_is_explained(level_id):
    with LevelSession(LEVELS[level_id], runtime="sim") as session:
        state = session.run(20)
    said = [why for o in state.objectives if not o.ok for why in o.explanation]
    assert any(EXPECTED[level_id] in why for why in said), said


def test_no_answer_is_said_in_words_not_socket_errors():
    with LevelSession(LEVELS["basics/typo-service"], runtime="sim") as session:
        state = session.run(20)
    details = [o.detail for o in state.objectives if not o.ok]
    assert "GET / through Service web: no answer (the Service has no ready endpoints)" in details, details
