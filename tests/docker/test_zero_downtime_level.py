"""rollouts/zero-downtime on real containers: with the setup's `maxUnavailable: 100%`
the game's release leaves the Service without a Ready pod for a few seconds and the
objective fails, naming the break; after the learner's fix, the next release is
measured again and goes out without one failed request."""

from __future__ import annotations

import pytest

from engine.runtime.docker import DockerRuntime
from kubequest.levels.loader import BUILTIN_PACKS, load_pack
from kubequest.levels.session import LevelSession
from kubequest.runtime_select import RuntimeChoice

from .conftest import session_cluster_id

pytestmark = pytest.mark.docker


def test_the_broken_release_fails_and_the_fixed_one_goes_out_clean(built_images, tmp_path):
    level = next(lv for lv in load_pack(BUILTIN_PACKS / "rollouts", builtin=True).levels
                 if lv.name == "zero-downtime")
    docker = RuntimeChoice("docker", "test")
    with LevelSession(level, runtime=docker, workdir=tmp_path / "work",
                      runtime_factory=lambda clock: DockerRuntime(session_cluster_id())) as session:
        state = session.run(150)  # 45 s of service, the release, 45 s of watching it
        assert not state.won and session.hopeless(), [o.detail for o in state.objectives]
        detail = state.objectives[0].detail
        assert detail.startswith("the game released kubequest/web:2.0 to Deployment web"), detail
        assert "(before that: GET / through Service web: no answer (the Service has no ready endpoints))" in detail, detail
        assert detail.endswith("Your next change to the cluster tries again"), detail

        session.apply_files(level.solution)
        state = session.run(150)
        assert state.won, [o.detail for o in state.objectives]
        releases = [line for line in session.log if line.startswith("the game released")]
        assert len(releases) == 2, session.log
