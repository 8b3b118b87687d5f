"""Each workload image, as the sim runtime plays it (PRODUCT.md §3 and the
scripts under assets/images/), on a virtual clock: nothing here sleeps."""

from __future__ import annotations

import http.client

import pytest

from engine.clock import VirtualClock
from engine.runtime.base import ContainerSpec, ImagePullError
from engine.runtime.sim import SimRuntime
from engine.runtime.sim_workloads import SimImage

MIB = 1024 * 1024


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def rt(clock: VirtualClock):
    runtime = SimRuntime(clock)
    yield runtime
    runtime.close()


def run(rt: SimRuntime, image: str, *, hostname: str = "pod-a", **spec) -> tuple[str, str]:
    """A pod with one started container; returns (sandbox id, container id)."""
    sandbox = rt.run_pod_sandbox(f"uid-{hostname}", hostname, "default", hostname, {})
    cid = rt.create_container(sandbox.id, ContainerSpec(name="c", image=image, **spec))
    rt.start_container(cid)
    return sandbox.id, cid


def get(rt: SimRuntime, sandbox_id: str, path: str, method: str = "GET") -> tuple[int, str]:
    host, port = rt.address(sandbox_id, 8080)
    conn = http.client.HTTPConnection(host, port, timeout=5)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def refused(rt: SimRuntime, sandbox_id: str, port: int = 8080) -> bool:
    try:
        get(rt, sandbox_id, "/")
    except ConnectionRefusedError:
        return True
    return False


def log_lines(rt: SimRuntime, cid: str) -> list[str]:
    return rt.logs(cid).splitlines()


# --- web:1.0 / web:2.0 ------------------------------------------------------------

@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_web_answers_version_message_and_pod_hostname(rt, version):
    sid, cid = run(rt, f"kubequest/web:{version}", hostname="web-7d9f", env={"MESSAGE": "hi there"})
    assert get(rt, sid, "/") == (200, f"web {version} hi there from web-7d9f\n")
    assert log_lines(rt, cid) == [
        f"web {version} listening on :8080 (pod web-7d9f)",
        "web: GET / 200",
    ]


def test_web_message_defaults_to_hello_like_the_image(rt):
    sid, _ = run(rt, "kubequest/web:1.0", env={"MESSAGE": ""})
    assert get(rt, sid, "/") == (200, "web 1.0 hello from pod-a\n")


def test_healthz_turns_500_exactly_when_fail_after_seconds_pass(rt, clock):
    sid, cid = run(rt, "kubequest/web:1.0", env={"FAIL_AFTER_SECONDS": "10"})
    assert get(rt, sid, "/healthz") == (200, "ok\n")
    clock.advance(9.99)
    assert get(rt, sid, "/healthz")[0] == 200
    clock.advance(0.01)
    assert get(rt, sid, "/healthz") == (500, "unhealthy: FAIL_AFTER_SECONDS passed\n")
    # the container itself keeps running: only the kubelet's liveness probe would act
    assert rt.container_status(cid).status == "running"


def test_healthz_stays_200_without_fail_after_seconds(rt, clock):
    sid, _ = run(rt, "kubequest/web:2.0")
    clock.advance(86_400)
    assert get(rt, sid, "/healthz") == (200, "ok\n")


def test_ready_is_503_until_ready_delay_then_200(rt, clock):
    sid, _ = run(rt, "kubequest/web:1.0", env={"READY_DELAY_SECONDS": "2.5"})
    assert get(rt, sid, "/ready") == (503, "not ready: READY_DELAY_SECONDS not passed\n")
    clock.advance(2.49)
    assert get(rt, sid, "/ready")[0] == 503
    clock.advance(0.01)
    assert get(rt, sid, "/ready") == (200, "ready\n")


def test_ready_at_once_by_default(rt):
    sid, _ = run(rt, "kubequest/web:1.0")
    assert get(rt, sid, "/ready") == (200, "ready\n")


def test_web_logs_only_root_and_unknown_paths_like_the_image(rt):
    sid, cid = run(rt, "kubequest/web:1.0")
    get(rt, sid, "/healthz")
    get(rt, sid, "/ready")
    assert get(rt, sid, "/nope?x=1") == (404, "not found: /nope\n")
    get(rt, sid, "/?q=2")
    assert log_lines(rt, cid)[1:] == ["web: GET /nope?x=1 404", "web: GET /?q=2 200"]


def test_web_head_has_no_body_and_other_methods_are_405(rt):
    sid, _ = run(rt, "kubequest/web:1.0")
    assert get(rt, sid, "/", method="HEAD") == (200, "")
    assert get(rt, sid, "/", method="POST") == (405, "method POST not allowed\n")
    assert get(rt, sid, "/healthz", method="DELETE") == (405, "method DELETE not allowed\n")


def test_web_refuses_a_bad_setting_like_a_real_program(rt):
    sid, cid = run(rt, "kubequest/web:1.0", env={"READY_DELAY_SECONDS": "soon"})
    state = rt.container_status(cid)
    assert (state.status, state.exit_code) == ("exited", 1)
    assert log_lines(rt, cid) == ["fatal: READY_DELAY_SECONDS must be a number of seconds, got 'soon'"]
    assert refused(rt, sid)


# --- web:2.1 ----------------------------------------------------------------------

def test_web_2_1_without_database_url_exits_1_at_once(rt, clock):
    t0 = clock.now()
    sid, cid = run(rt, "kubequest/web:2.1")
    state = rt.container_status(cid)
    assert (state.status, state.exit_code, state.oom_killed) == ("exited", 1, False)
    assert state.started_at == state.finished_at == t0
    assert log_lines(rt, cid) == ["fatal: DATABASE_URL is not set"]
    assert [(e.type, e.time) for e in rt.drain_events()] == [("started", t0), ("died", t0)]
    assert refused(rt, sid)


def test_web_2_1_with_database_url_serves_version_2_1(rt):
    sid, cid = run(rt, "kubequest/web:2.1", env={"DATABASE_URL": "postgres://db/app"})
    assert get(rt, sid, "/") == (200, "web 2.1 hello from pod-a\n")
    assert rt.container_status(cid).status == "running"


# --- worker:1.0 -------------------------------------------------------------------

def test_worker_exits_0_exactly_after_work_seconds_default_3(rt, clock):
    t0 = clock.now()
    _, cid = run(rt, "kubequest/worker:1.0")
    assert rt.next_event_time() == t0 + 3
    clock.advance(2.999)
    assert rt.container_status(cid).status == "running"
    clock.advance_to(t0 + 3)
    state = rt.container_status(cid)
    assert (state.status, state.exit_code, state.finished_at) == ("exited", 0, t0 + 3)
    assert log_lines(rt, cid) == [
        "worker: starting a task of 3s",
        "worker: progress 1/3s (33%)",
        "worker: progress 2/3s (66%)",
        "worker: progress 3/3s (100%)",
        "worker: task complete",
    ]


def test_worker_progress_lines_appear_as_time_passes(rt, clock):
    _, cid = run(rt, "kubequest/worker:1.0", env={"WORK_SECONDS": "10"})
    assert log_lines(rt, cid) == ["worker: starting a task of 10s"]
    clock.advance(2.5)
    assert log_lines(rt, cid)[-1] == "worker: progress 2/10s (20%)"
    assert len(log_lines(rt, cid)) == 3


def test_worker_fail_1_exits_1_when_the_work_is_done(rt, clock):
    t0 = clock.now()
    _, cid = run(rt, "kubequest/worker:1.0", env={"WORK_SECONDS": "4", "FAIL": "1"})
    clock.advance(3.5)
    assert rt.container_status(cid).status == "running"
    clock.advance(0.5)
    state = rt.container_status(cid)
    assert (state.exit_code, state.finished_at) == (1, t0 + 4)
    assert log_lines(rt, cid)[-2:] == ["worker: progress 4/4s (100%)", "worker: task failed (FAIL=1)"]


def test_worker_zero_seconds_completes_at_once_and_bad_value_is_fatal(rt):
    _, quick = run(rt, "kubequest/worker:1.0", env={"WORK_SECONDS": "0"})
    assert rt.container_status(quick).exit_code == 0
    _, bad = run(rt, "kubequest/worker:1.0", hostname="pod-b", env={"WORK_SECONDS": "2.5"})
    assert rt.container_status(bad).exit_code == 1
    assert log_lines(rt, bad) == [
        "fatal: WORK_SECONDS must be a whole number of seconds, got '2.5'"]


def test_a_killed_worker_never_logs_its_future_progress(rt, clock):
    _, cid = run(rt, "kubequest/worker:1.0", env={"WORK_SECONDS": "10"})
    clock.advance(1)
    rt.kill_container(cid)
    clock.advance(60)
    assert log_lines(rt, cid) == ["worker: starting a task of 10s", "worker: progress 1/10s (10%)"]


# --- memhog:1.0 -------------------------------------------------------------------

def test_memhog_under_a_smaller_limit_is_oom_killed_at_once(rt, clock):
    t0 = clock.now()
    _, cid = run(rt, "kubequest/memhog:1.0", memory_limit=32 * MIB)
    state = rt.container_status(cid)
    assert (state.status, state.exit_code, state.oom_killed, state.finished_at) == (
        "exited", 137, True, t0)
    assert log_lines(rt, cid) == ["memhog: allocating 64 MiB",
                                  "memhog: allocator ended with status 137"]
    assert [e.type for e in rt.drain_events()] == ["started", "died"]


@pytest.mark.parametrize("limit", [None, 64 * MIB, 256 * MIB])
def test_memhog_within_its_limit_holds_the_memory(rt, clock, limit):
    _, cid = run(rt, "kubequest/memhog:1.0", memory_limit=limit)
    clock.advance(3600)
    assert rt.container_status(cid).status == "running"
    assert rt.next_event_time() is None
    assert log_lines(rt, cid)[-1] == "memhog: holding 64 MiB (resident 65536 kB)"


def test_memhog_memory_mb_sets_the_size(rt):
    _, big = run(rt, "kubequest/memhog:1.0", env={"MEMORY_MB": "200"}, memory_limit=128 * MIB)
    assert rt.container_status(big).oom_killed
    _, fits = run(rt, "kubequest/memhog:1.0", hostname="pod-b", env={"MEMORY_MB": "100"},
                  memory_limit=128 * MIB)
    assert rt.container_status(fits).status == "running"
    _, bad = run(rt, "kubequest/memhog:1.0", hostname="pod-c", env={"MEMORY_MB": "0"})
    assert rt.container_status(bad).exit_code == 1
    assert not rt.container_status(bad).oom_killed


# --- toolbox:1.0 ------------------------------------------------------------------

def test_toolbox_sleeps_for_ever(rt, clock):
    _, cid = run(rt, "kubequest/toolbox:1.0")
    assert rt.next_event_time() is None
    clock.advance(10 * 86_400)
    assert rt.container_status(cid).status == "running"
    assert rt.logs(cid) == ""


# --- SIGTERM, as each image's script traps it ----------------------------------------

@pytest.mark.parametrize(("image", "exit_code", "last_line"), [
    ("kubequest/web:1.0", 0, "web: SIGTERM received, shutting down"),
    ("kubequest/web:2.0", 0, "web: SIGTERM received, shutting down"),
    ("kubequest/worker:1.0", 143, "worker: interrupted by SIGTERM"),
    ("kubequest/memhog:1.0", 0, "memhog: SIGTERM received, releasing 64 MiB"),
    ("kubequest/toolbox:1.0", 0, None),
])
def test_stop_ends_each_image_at_once_with_its_trap_exit_code(rt, clock, image, exit_code,
                                                               last_line):
    _, cid = run(rt, image)
    clock.advance(1)
    rt.drain_events()
    rt.stop_container(cid, timeout_seconds=30)
    state = rt.container_status(cid)
    assert (state.status, state.exit_code, state.oom_killed) == ("exited", exit_code, False)
    assert state.finished_at == clock.now()
    assert [(e.type, e.time) for e in rt.drain_events()] == [("died", clock.now())]
    if last_line:
        assert log_lines(rt, cid)[-1] == last_line


# --- command and args overrides -----------------------------------------------------

def test_sh_c_exit_3_exits_3_at_once(rt, clock):
    _, cid = run(rt, "kubequest/toolbox:1.0", command=["sh", "-c", "exit 3"])
    state = rt.container_status(cid)
    assert (state.exit_code, state.finished_at) == (3, clock.now())


def test_sleep_3600_exits_0_after_an_hour(rt, clock):
    t0 = clock.now()
    _, cid = run(rt, "kubequest/toolbox:1.0", command=["sleep", "3600"])
    assert rt.next_event_time() == t0 + 3600
    clock.advance_to(t0 + 3600)
    assert (rt.container_status(cid).exit_code, rt.container_status(cid).finished_at) == (
        0, t0 + 3600)


def test_echo_then_sleep_logs_at_once_and_exits_after_the_sleep(rt, clock):
    t0 = clock.now()
    _, cid = run(rt, "kubequest/toolbox:1.0",
                 command=["sh", "-c", "echo hi; sleep 5; echo bye >&2; exit 4"])
    assert rt.logs(cid) == "hi\n"
    clock.advance(5)
    state = rt.container_status(cid)
    assert (state.exit_code, state.finished_at) == (4, t0 + 5)
    assert rt.logs(cid) == "hi\nbye\n"


def test_args_alone_replace_the_images_cmd(rt):
    _, cid = run(rt, "kubequest/worker:1.0", args=["sh", "-c", "echo custom job"])
    assert (rt.container_status(cid).exit_code, rt.logs(cid)) == (0, "custom job\n")


def test_the_images_own_program_runs_when_named(rt, clock):
    _, cid = run(rt, "kubequest/worker:1.0", command=["/usr/local/bin/worker"],
                 env={"WORK_SECONDS": "1"})
    clock.advance(1)
    assert log_lines(rt, cid)[-1] == "worker: task complete"


def test_an_unknown_command_runs_the_image_default(rt, clock):
    _, cid = run(rt, "kubequest/worker:1.0", command=["python", "job.py"],
                 env={"WORK_SECONDS": "2"})
    assert log_lines(rt, cid) == ["worker: starting a task of 2s"]
    clock.advance(2)
    assert rt.container_status(cid).exit_code == 0


def test_a_web_image_with_a_shell_command_does_not_listen(rt):
    sid, cid = run(rt, "kubequest/web:1.0", command=["sh", "-c", "sleep 100"])
    assert rt.container_status(cid).status == "running"
    assert refused(rt, sid)


def test_a_command_override_ignores_sigterm_until_the_grace_period_ends(rt, clock):
    t0 = clock.now()
    _, cid = run(rt, "kubequest/toolbox:1.0", command=["sleep", "3600"])
    rt.stop_container(cid, timeout_seconds=30)
    assert rt.container_status(cid).status == "running"  # PID 1 ignores SIGTERM
    assert rt.next_event_time() == t0 + 30
    clock.advance(29.9)
    assert rt.container_status(cid).status == "running"
    clock.advance_to(t0 + 30)
    state = rt.container_status(cid)
    assert (state.exit_code, state.oom_killed, state.finished_at) == (137, False, t0 + 30)


def test_a_command_that_ends_within_the_grace_period_exits_by_itself(rt, clock):
    t0 = clock.now()
    _, cid = run(rt, "kubequest/toolbox:1.0", command=["sh", "-c", "sleep 5"])
    rt.stop_container(cid, timeout_seconds=30)
    clock.advance(60)
    assert (rt.container_status(cid).exit_code, rt.container_status(cid).finished_at) == (
        0, t0 + 5)


def test_stop_with_no_grace_period_kills_at_once(rt, clock):
    _, cid = run(rt, "kubequest/toolbox:1.0", command=["sleep", "3600"])
    rt.stop_container(cid, timeout_seconds=0)
    assert rt.container_status(cid).exit_code == 137


# --- images: pull, catalog, extras ---------------------------------------------------

def test_pulling_an_image_from_outside_the_catalog_fails_like_kubernetes(rt):
    with pytest.raises(ImagePullError) as err:
        rt.pull_image("nginx:1.14.2")
    assert str(err.value) == (
        'rpc error: code = NotFound desc = failed to pull and unpack image '
        '"docker.io/library/nginx:1.14.2": no registry is reachable from KubeQuest\'s '
        "simulated runtime, which runs only KubeQuest's own images")
    assert not rt.image_present("nginx:1.14.2")


def test_a_mistyped_game_image_lists_the_real_ones(rt):
    with pytest.raises(ImagePullError, match=r'"docker.io/kubequest/web:1.1": not found: '
                                             r"KubeQuest's images are kubequest/web:1.0, "):
        rt.pull_image("kubequest/web:1.1")


@pytest.mark.parametrize("name", ["kubequest/web:1.0", "docker.io/kubequest/web:1.0",
                                  "kubequest/toolbox:1.0", "kubequest/memhog:1.0"])
def test_game_images_are_present_and_pull(rt, name):
    rt.pull_image(name)
    assert rt.image_present(name)


def test_the_pause_image_and_untagged_names_are_not_workloads(rt):
    assert not rt.image_present("kubequest/pause:1.0")
    assert not rt.image_present("kubequest/web")  # :latest


def test_extra_images_run_as_web_like_servers(clock):
    rt = SimRuntime(clock, extra_images={
        "nginx:1.14.2": SimImage("web", version="nginx", port=80),
        "example/app:3": "kubequest/web:2.0",
    })
    try:
        rt.pull_image("docker.io/library/nginx:1.14.2")
        sid, _ = run(rt, "nginx:1.14.2")
        host, port = rt.address(sid, 80)
        conn = http.client.HTTPConnection(host, port, timeout=5)
        conn.request("GET", "/")
        assert conn.getresponse().read() == b"web nginx hello from pod-a\n"
        conn.close()
        sid2, _ = run(rt, "example/app:3", hostname="pod-b")
        assert get(rt, sid2, "/") == (200, "web 2.0 hello from pod-b\n")
    finally:
        rt.close()
