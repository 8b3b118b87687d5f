"""Each workload image's documented behaviour (PRODUCT.md §3), in real containers."""

from __future__ import annotations

import time

import pytest

from engine.images.builder import CONTENT_HASH_LABEL, ImageBuilder, content_hash
from engine.images.catalog import CATALOG

from .conftest import Containers, http_get, try_http_get, wait_for

pytestmark = pytest.mark.docker


def start_web(containers: Containers, image: str = "kubequest/web:1.0", **env: str):
    """A web container and its IP, once it answers."""
    container = containers.run(image, environment=env, hostname="web-7d4b9-x2x5q")
    ip = containers.ip(container)
    wait_for(lambda: try_http_get(ip, 8080, "/healthz"), timeout=5, what="web to listen")
    return container, ip


def test_every_image_carries_its_content_hash(built_images: ImageBuilder, docker_runtime) -> None:
    for image in CATALOG:
        labels = docker_runtime.image_labels(image.ref)
        assert labels is not None, f"{image.ref} was not built"
        assert labels[CONTENT_HASH_LABEL] == content_hash(built_images.files(image))


def test_an_unchanged_image_is_not_rebuilt(built_images: ImageBuilder) -> None:
    messages: list[str] = []
    built_images.build(progress=lambda step, total, message: messages.append(message))
    assert messages == [f"{image.ref} is up to date" for image in CATALOG]


@pytest.mark.parametrize("tag", ["1.0", "2.0"])
def test_web_answers_with_version_message_and_pod_hostname(containers: Containers, tag: str) -> None:
    _, ip = start_web(containers, f"kubequest/web:{tag}", MESSAGE="hello learner")
    assert http_get(ip, 8080, "/") == (200, f"web {tag} hello learner from web-7d4b9-x2x5q\n")
    assert http_get(ip, 8080, "/healthz")[0] == 200
    assert http_get(ip, 8080, "/ready")[0] == 200  # READY_DELAY_SECONDS defaults to 0
    assert http_get(ip, 8080, "/nope")[0] == 404


def test_web_message_defaults_to_hello(containers: Containers) -> None:
    _, ip = start_web(containers)
    assert http_get(ip, 8080, "/?x=1") == (200, "web 1.0 hello from web-7d4b9-x2x5q\n")


def test_web_healthz_fails_once_FAIL_AFTER_SECONDS_passed(containers: Containers) -> None:
    _, ip = start_web(containers, FAIL_AFTER_SECONDS="1.5")
    started = time.monotonic()
    assert http_get(ip, 8080, "/healthz")[0] == 200
    wait_for(lambda: http_get(ip, 8080, "/healthz")[0] == 500, timeout=4, what="/healthz 500")
    assert time.monotonic() - started > 0.5
    assert http_get(ip, 8080, "/")[0] == 200  # only the health check fails


def test_web_is_ready_once_READY_DELAY_SECONDS_passed(containers: Containers) -> None:
    container = containers.run("kubequest/web:1.0", environment={"READY_DELAY_SECONDS": "2"})
    ip = containers.ip(container)
    first = wait_for(lambda: try_http_get(ip, 8080, "/ready"), timeout=5, what="web to listen")
    assert first[0] == 503
    wait_for(lambda: http_get(ip, 8080, "/ready")[0] == 200, timeout=4, what="/ready 200")
    assert http_get(ip, 8080, "/healthz")[0] == 200


def test_web_2_1_exits_1_without_DATABASE_URL(containers: Containers) -> None:
    container = containers.run("kubequest/web:2.1")
    state = containers.wait_exit(container, timeout=5)
    assert state["ExitCode"] == 1
    assert "fatal: DATABASE_URL is not set" in container.logs().decode()


def test_web_2_1_serves_with_DATABASE_URL(containers: Containers) -> None:
    _, ip = start_web(containers, "kubequest/web:2.1", DATABASE_URL="postgres://db:5432/app")
    assert http_get(ip, 8080, "/") == (200, "web 2.1 hello from web-7d4b9-x2x5q\n")


def test_web_refuses_a_bad_setting(containers: Containers) -> None:
    container = containers.run("kubequest/web:1.0", environment={"READY_DELAY_SECONDS": "soon"})
    assert containers.wait_exit(container, timeout=5)["ExitCode"] == 1
    assert "READY_DELAY_SECONDS must be a number" in container.logs().decode()


def test_worker_prints_progress_and_exits_0_after_WORK_SECONDS(containers: Containers) -> None:
    started = time.monotonic()
    container = containers.run("kubequest/worker:1.0")  # WORK_SECONDS defaults to 3
    state = containers.wait_exit(container, timeout=10)
    assert state["ExitCode"] == 0
    assert time.monotonic() - started >= 2.5
    logs = container.logs().decode()
    assert "progress 1/3s" in logs and "progress 3/3s" in logs


def test_worker_exits_1_with_FAIL(containers: Containers) -> None:
    container = containers.run("kubequest/worker:1.0", environment={"WORK_SECONDS": "1", "FAIL": "1"})
    assert containers.wait_exit(container, timeout=6)["ExitCode"] == 1
    assert "task failed" in container.logs().decode()


def test_memhog_is_oom_killed_under_a_smaller_limit(containers: Containers) -> None:
    container = containers.run("kubequest/memhog:1.0", environment={"MEMORY_MB": "64"},
                               mem_limit="32m", memswap_limit="32m")
    state = containers.wait_exit(container, timeout=10)
    assert state["ExitCode"] == 137
    assert state["OOMKilled"] is True


def test_memhog_holds_its_memory_under_a_larger_limit(containers: Containers) -> None:
    container = containers.run("kubequest/memhog:1.0", environment={"MEMORY_MB": "48"},
                               mem_limit="96m", memswap_limit="96m")
    wait_for(lambda: "holding 48 MiB" in container.logs().decode(), timeout=5, what="memhog to hold")
    usage = container.stats(stream=False, one_shot=True)["memory_stats"]["usage"]
    assert usage >= 48 * 1024 * 1024
    container.reload()
    assert container.status == "running"


def test_toolbox_wget_fetches_from_web_across_the_network(containers: Containers) -> None:
    web = containers.run("kubequest/web:1.0", name=f"web-{time.time_ns() % 10**8}")
    ip = containers.ip(web)
    wait_for(lambda: try_http_get(ip, 8080, "/healthz"), timeout=5, what="web to listen")
    toolbox = containers.run("kubequest/toolbox:1.0")
    url = f"http://{web.name}:8080"

    code, out = toolbox.exec_run(["wget", "-qO-", f"{url}/"])
    assert (code, out.decode()) == (0, f"web 1.0 hello from {web.id[:12]}\n")
    code, out = toolbox.exec_run(["wget", "-q", "-O", "-", f"http://{ip}:8080/healthz"])
    assert (code, out.decode()) == (0, "ok\n")
    code, _ = toolbox.exec_run(["wget", "--spider", f"{url}/ready"])
    assert code == 0
    code, out = toolbox.exec_run(["wget", "-qO-", f"{url}/missing"])
    assert code == 1 and "404 Not Found" in out.decode()
    code, out = toolbox.exec_run(["wget", "-qO-", f"http://{ip}:9/"])  # nothing listens there
    assert code == 1 and "wget:" in out.decode()
    code, out = toolbox.exec_run(["sh", "-c", "cd /tmp && wget -q " + url + "/ && cat index.html"])
    assert (code, out.decode()) == (0, f"web 1.0 hello from {web.id[:12]}\n")
    code, _ = toolbox.exec_run(["sh", "-c", "command -v nc && command -v sleep"])
    assert code == 0
    # Inside a shell too, with a timeout: busybox's own wget crashes on -T, ours answers.
    code, out = toolbox.exec_run(["sh", "-c", f"wget -q -T 2 -O - {url}/ && wget -q -T 2 -O /dev/null {url}/"])
    assert (code, out.decode()) == (0, f"web 1.0 hello from {web.id[:12]}\n")


@pytest.mark.parametrize(
    ("image", "env", "exit_code"),
    [
        ("kubequest/web:1.0", {}, 0),
        ("kubequest/worker:1.0", {"WORK_SECONDS": "60"}, 143),
        ("kubequest/memhog:1.0", {"MEMORY_MB": "16"}, 0),
        ("kubequest/toolbox:1.0", {}, 0),
        ("kubequest/pause:1.0", {}, 0),
    ],
)
def test_sigterm_stops_each_image_within_2_seconds(containers: Containers, image: str,
                                                   env: dict[str, str], exit_code: int) -> None:
    container = containers.run(image, environment=env)
    # Each PID 1 sets its trap before it starts a child: a child means it is armed.
    wait_for(lambda: len(container.top()["Processes"]) >= 2, timeout=5,
             what="the container's first child process")
    container.reload()
    assert container.status == "running"
    started = time.monotonic()
    container.stop(timeout=10)  # SIGTERM, SIGKILL only after 10 s
    assert time.monotonic() - started < 2.0
    container.reload()
    assert container.attrs["State"]["ExitCode"] == exit_code
