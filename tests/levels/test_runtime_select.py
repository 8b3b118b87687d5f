"""--runtime: auto falls back to the sim runtime, saying why; docker refuses clearly."""

from __future__ import annotations

import pytest

from engine.clock import VirtualClock
from engine.runtime.base import RuntimeUnavailable
from kubequest import runtime_select
from kubequest.runtime_select import RuntimeNotAvailable, choose_runtime, make_runtime


def no_docker(cluster_id):
    raise RuntimeUnavailable("the Docker daemon does not answer (connection refused)")


def no_sdk(cluster_id):
    raise ImportError("No module named 'docker'")


def test_sim_is_sim():
    clock = VirtualClock()
    runtime, reason = make_runtime("sim", clock=clock)
    assert runtime.name == "sim" and "--runtime sim" in reason
    runtime.close()


@pytest.mark.parametrize("failure", [no_docker, no_sdk])
def test_auto_falls_back_to_sim_with_the_reason(monkeypatch, failure):
    monkeypatch.setattr(runtime_select, "_docker_runtime", failure)
    runtime, reason = make_runtime("auto")
    assert runtime.name == "sim"
    assert reason.startswith("Docker is not available (") and reason.endswith("using the simulated runtime")
    runtime.close()


def test_docker_asked_for_but_absent_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(runtime_select, "_docker_runtime", no_docker)
    with pytest.raises(RuntimeNotAvailable, match="--runtime docker: the Docker daemon does not answer"):
        make_runtime("docker")


def test_auto_picks_docker_when_it_answers(monkeypatch):
    class Fake:
        name = "docker"

        def __init__(self, cluster_id):
            self.cluster_id = cluster_id

        def close(self):
            pass

    monkeypatch.setattr(runtime_select, "_docker_runtime", Fake)
    choice = choose_runtime("auto")
    assert (choice.name, choice.reason) == ("docker", "Docker: a Docker daemon answered")
    runtime = choice.new(cluster_id="abc")
    assert runtime.cluster_id == "abc"


def test_an_unknown_choice():
    with pytest.raises(RuntimeNotAvailable, match='unknown runtime "podman"'):
        choose_runtime("podman")
