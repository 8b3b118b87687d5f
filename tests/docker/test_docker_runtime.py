"""DockerRuntime against a real daemon: the ContainerRuntime port of engine/runtime/base.py."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator

import pytest

from engine.images.builder import ImageBuilder
from engine.runtime.base import (
    ContainerRuntime,
    ContainerSpec,
    ImagePullError,
    Mount,
    RuntimeEvent,
    RuntimeUnavailable,
)
from engine.runtime.docker import CLUSTER_LABEL, DockerRuntime

from .conftest import session_cluster_id, try_http_get, wait_for

docker_test = pytest.mark.docker


@pytest.fixture
def runtime(built_images: ImageBuilder) -> Iterator[DockerRuntime]:
    rt = DockerRuntime(cluster_id=session_cluster_id())
    yield rt
    rt.cleanup(rt.cluster_id)
    rt.close()


def sandbox(rt: DockerRuntime, name: str = "web-1"):
    return rt.run_pod_sandbox(pod_uid=secrets.token_hex(8), name=name, namespace="default",
                              hostname=name, labels={"app": "web"})


def run(rt: DockerRuntime, sandbox_id: str, spec: ContainerSpec) -> str:
    container_id = rt.create_container(sandbox_id, spec)
    rt.start_container(container_id)
    return container_id


def wait_exited(rt: DockerRuntime, container_id: str, timeout: float = 10.0):
    return wait_for(lambda: (s := rt.container_status(container_id)).status == "exited" and s,
                    timeout, what="the container to exit")


def wait_event(rt: DockerRuntime, seen: list[RuntimeEvent], kind: str, container_id: str) -> RuntimeEvent:
    def find() -> RuntimeEvent | None:
        seen.extend(rt.drain_events())
        return next((e for e in seen if e.type == kind and e.container_id == container_id), None)

    return wait_for(find, timeout=5, what=f"a {kind} event")


def test_docker_runtime_implements_the_port() -> None:
    assert isinstance(DockerRuntime("x"), ContainerRuntime)


def test_ping_says_clearly_when_the_daemon_is_down(tmp_path) -> None:
    rt = DockerRuntime(base_url=f"unix://{tmp_path}/no-docker.sock")
    with pytest.raises(RuntimeUnavailable, match="Docker daemon does not answer"):
        rt.ping()


@docker_test
def test_pod_containers_share_localhost_and_the_pod_ip(runtime: DockerRuntime) -> None:
    pod = sandbox(runtime, "web-abc")
    assert runtime.image_present("kubequest/web:1.0")
    run(runtime, pod.id, ContainerSpec(name="web", image="kubequest/web:1.0",
                                       env={"MESSAGE": "from the pod"}, ports=[8080]))
    tools = run(runtime, pod.id, ContainerSpec(name="tools", image="kubequest/toolbox:1.0"))

    host, port = runtime.address(pod.id, 8080)
    assert (host, port) == (pod.ip, 8080)
    assert runtime.endpoint_address(pod.ip, 8080) == (pod.ip, 8080)
    assert runtime.endpoint_address("10.255.0.1", 8080) is None
    assert wait_for(lambda: try_http_get(host, port, "/"), timeout=5, what="web") == (
        200, "web 1.0 from the pod from web-abc\n")
    result = runtime.exec(tools, ["wget", "-qO-", "http://localhost:8080/"], timeout_seconds=5)
    assert (result.exit_code, result.output) == (0, "web 1.0 from the pod from web-abc\n")

    names = {c.name for c in runtime.list_containers({"io.kubequest.pod": "web-abc"})}
    assert names == {"web", "tools"}
    assert {c.sandbox_id for c in runtime.list_containers()} == {pod.id}


@docker_test
def test_command_args_env_and_logs_with_tail(runtime: DockerRuntime) -> None:
    pod = sandbox(runtime, "job-1")
    container = run(runtime, pod.id, ContainerSpec(
        name="task", image="kubequest/toolbox:1.0", command=["sh", "-c"],
        args=['echo "one $WHO"; echo two; echo three'], env={"WHO": "kube"}))
    state = wait_exited(runtime, container)
    assert state.exit_code == 0 and state.name == "task" and not state.oom_killed
    assert state.started_at and state.finished_at and state.finished_at >= state.started_at
    assert runtime.logs(container) == "one kube\ntwo\nthree\n"
    assert runtime.logs(container, tail=1) == "three\n"


@docker_test
def test_created_container_is_not_running_yet(runtime: DockerRuntime) -> None:
    pod = sandbox(runtime)
    container = runtime.create_container(pod.id, ContainerSpec(name="w", image="kubequest/worker:1.0"))
    state = runtime.container_status(container)
    assert (state.status, state.exit_code, state.started_at) == ("created", None, None)


@docker_test
def test_exec_exit_codes_output_and_timeout(runtime: DockerRuntime) -> None:
    pod = sandbox(runtime)
    tools = run(runtime, pod.id, ContainerSpec(name="tools", image="kubequest/toolbox:1.0"))
    assert runtime.exec(tools, ["sh", "-c", "echo out; echo err >&2; exit 3"]).exit_code == 3
    assert "out" in runtime.exec(tools, ["sh", "-c", "echo out"]).output
    timed_out = runtime.exec(tools, ["sleep", "5"], timeout_seconds=0.3)
    assert timed_out.exit_code == 124 and "timed out" in timed_out.output
    assert runtime.exec(tools, ["no-such-command"], timeout_seconds=5).exit_code != 0
    runtime.kill_container(tools)
    wait_exited(runtime, tools)
    assert runtime.exec(tools, ["true"]).exit_code == 126
    with pytest.raises(KeyError):
        runtime.exec("0" * 64, ["true"])


@docker_test
def test_kill_reports_a_died_event_with_exit_137(runtime: DockerRuntime) -> None:
    seen: list[RuntimeEvent] = []
    pod = sandbox(runtime)
    web = run(runtime, pod.id, ContainerSpec(name="web", image="kubequest/web:1.0"))
    started = wait_event(runtime, seen, "started", web)
    assert started.sandbox_id == pod.id
    runtime.kill_container(web)
    died = wait_event(runtime, seen, "died", web)
    assert died.time >= started.time
    state = runtime.container_status(web)
    assert (state.status, state.exit_code, state.oom_killed) == ("exited", 137, False)
    runtime.kill_container(web)  # killing a dead container is no error


@docker_test
def test_stop_sends_sigterm_then_sigkill_after_the_timeout(runtime: DockerRuntime) -> None:
    pod = sandbox(runtime)
    polite = run(runtime, pod.id, ContainerSpec(name="web", image="kubequest/web:1.0"))
    # `sleep` as PID 1 ignores SIGTERM: only the SIGKILL after the timeout ends it.
    stubborn = run(runtime, pod.id, ContainerSpec(name="sleep", image="kubequest/toolbox:1.0",
                                                  command=["sleep", "60"]))
    wait_for(lambda: runtime.container_status(polite).status == "running", what="web to run")
    wait_for(lambda: try_http_get(pod.ip, 8080, "/healthz"), timeout=5, what="web to listen")
    wait_for(lambda: len(runtime.api.top(stubborn)["Processes"]) >= 1, what="sleep to run")
    begun = time.monotonic()
    runtime.stop_container(polite, timeout_seconds=10)
    runtime.stop_container(stubborn, timeout_seconds=1)
    assert time.monotonic() - begun < 0.5, "stop_container returns at once"
    assert wait_exited(runtime, polite, timeout=2).exit_code == 0  # trapped SIGTERM
    assert runtime.container_status(stubborn).status == "running"
    assert wait_exited(runtime, stubborn, timeout=5).exit_code == 137
    assert time.monotonic() - begun > 0.9


@docker_test
def test_memory_limit_oom_kills_memhog(runtime: DockerRuntime) -> None:
    pod = sandbox(runtime)
    hog = run(runtime, pod.id, ContainerSpec(name="hog", image="kubequest/memhog:1.0",
                                             env={"MEMORY_MB": "64"}, memory_limit=32 * 1024**2,
                                             cpu_limit=0.5))
    state = wait_exited(runtime, hog)
    assert (state.exit_code, state.oom_killed) == (137, True)


@docker_test
def test_volume_data_outlives_containers(runtime: DockerRuntime) -> None:
    pod = sandbox(runtime)
    volume = runtime.ensure_volume("data", {"io.kubequest.pod": "web-1"})
    assert runtime.ensure_volume("data", {}) == volume
    mount = [Mount(volume=volume, container_path="/data")]
    writer = run(runtime, pod.id, ContainerSpec(
        name="writer", image="kubequest/toolbox:1.0", command=["sh", "-c", "echo kept > /data/file"],
        mounts=mount))
    assert wait_exited(runtime, writer).exit_code == 0
    runtime.remove_container(writer)
    reader = run(runtime, pod.id, ContainerSpec(
        name="reader", image="kubequest/toolbox:1.0", command=["cat", "/data/file"],
        mounts=[Mount(volume=volume, container_path="/data", read_only=True)]))
    assert wait_exited(runtime, reader).exit_code == 0
    assert runtime.logs(reader) == "kept\n"


@docker_test
def test_write_volume_files_replaces_the_files_and_sub_path_mounts_one(runtime: DockerRuntime) -> None:
    pod = sandbox(runtime)
    volume = runtime.ensure_volume("config", {})
    runtime.write_volume_files(volume, {"old.txt": b"old", "nested/keep.conf": b"x"})
    runtime.write_volume_files(volume, {"app.conf": b"color=blue\n", "nested/deep.txt": b"deep"})
    lister = run(runtime, pod.id, ContainerSpec(
        name="ls", image="kubequest/toolbox:1.0",
        command=["sh", "-c", "cd /config && find . -type f | sort && cat app.conf /etc/app.conf"],
        mounts=[Mount(volume=volume, container_path="/config", read_only=True),
                Mount(volume=volume, container_path="/etc/app.conf", sub_path="app.conf")]))
    assert wait_exited(runtime, lister).exit_code == 0
    assert runtime.logs(lister) == "./app.conf\n./nested/deep.txt\ncolor=blue\ncolor=blue\n"


@docker_test
def test_pull_image_reasons(runtime: DockerRuntime) -> None:
    runtime.pull_image("kubequest/toolbox:1.0")  # present: nothing to do
    with pytest.raises(ImagePullError, match="kubequest images build"):
        runtime.pull_image("kubequest/web:9.9")
    # A registry on 127.0.0.1 that is not there: the only registry tests may reach.
    with pytest.raises(ImagePullError, match='Failed to pull image "127.0.0.1:1/nope:1.0"'):
        runtime.pull_image("127.0.0.1:1/nope:1.0")


@docker_test
def test_cleanup_leaves_nothing(runtime: DockerRuntime) -> None:
    pod = sandbox(runtime)
    run(runtime, pod.id, ContainerSpec(name="web", image="kubequest/web:1.0"))
    runtime.ensure_volume("data", {})
    report = runtime.cleanup(runtime.cluster_id)
    assert (report.containers, report.networks, report.volumes) == (2, 1, 1)
    api = runtime.api
    label = {"label": [f"{CLUSTER_LABEL}={runtime.cluster_id}"]}
    assert api.containers(all=True, filters=label) == []
    assert api.networks(filters=label) == []
    assert not api.volumes(filters={"label": f"{CLUSTER_LABEL}={runtime.cluster_id}"}).get("Volumes")


@docker_test
def test_remove_pod_sandbox_removes_its_containers(runtime: DockerRuntime) -> None:
    pod = sandbox(runtime)
    run(runtime, pod.id, ContainerSpec(name="web", image="kubequest/web:1.0"))
    runtime.remove_pod_sandbox(pod.id)
    assert runtime.list_containers() == []
    runtime.remove_pod_sandbox(pod.id)  # twice is fine, as in the CRI
    with pytest.raises(KeyError):
        runtime.container_status("0" * 64)


# --- the commands on top: `images build`, `doctor`, `cleanup` -----------------


def test_commands_say_one_sentence_when_the_daemon_is_down(tmp_path, monkeypatch, capsys) -> None:
    from kubequest.cli import main

    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    for argv in (["images", "build"], ["images", "list"], ["cleanup"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "the Docker daemon does not answer" in err
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "FIX The Docker daemon does not answer" in out
    assert "FIX game images: cannot check without a Docker daemon" in out


@docker_test
def test_commands_with_a_daemon(built_images: ImageBuilder, capsys) -> None:
    from kubequest.cli import main

    assert main(["images", "build"]) == 0
    out = capsys.readouterr().out
    assert "[1/7] kubequest/web:1.0 is up to date" in out and "7 images ready" in out
    main(["doctor"])  # exit 1 when kubectl is missing: not this test's business
    out = capsys.readouterr().out
    assert "OK  Docker daemon" in out and "OK  image kubequest/toolbox:1.0 is built" in out
    assert main(["cleanup", "--cluster", session_cluster_id()]) == 0
    assert "removed 0 container(s)" in capsys.readouterr().out


def test_a_crashed_games_cluster_is_reaped_at_the_next_start(runtime: DockerRuntime) -> None:
    """Objects whose owning process is gone are removed; a live owner's are kept."""
    import subprocess
    import sys

    from engine.runtime import docker as docker_module

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead_pid = int(dead.stdout)
    crashed = DockerRuntime(f"{runtime.cluster_id}-crashed")
    try:
        original = docker_module.OWNER
        docker_module.OWNER = f"{original.rpartition(':')[0]}:{dead_pid}"
        try:
            crashed.run_pod_sandbox("uid-1", "left", "default", "left", {})
        finally:
            docker_module.OWNER = original
        runtime.run_pod_sandbox("uid-2", "alive", "default", "alive", {})
        reaped = runtime.reap_orphans()
        assert crashed.cluster_id in reaped and runtime.cluster_id not in reaped
        label = f"io.kubequest.cluster={crashed.cluster_id}"
        assert runtime.api.containers(all=True, filters={"label": [label]}) == []
        assert runtime.api.networks(filters={"label": [label]}) == []
        alive = f"io.kubequest.cluster={runtime.cluster_id}"
        assert runtime.api.containers(all=True, filters={"label": [alive]})
    finally:
        crashed.cleanup(crashed.cluster_id)
        crashed.close()
