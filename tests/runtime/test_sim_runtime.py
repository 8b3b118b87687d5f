"""SimRuntime as a ContainerRuntime: sandboxes, lifecycle, events on a virtual
clock, real loopback sockets, exec and its shell, volumes, threads, close()."""

from __future__ import annotations

import http.client
import socket
import threading
import time

import pytest

from engine.clock import VirtualClock
from engine.proxy.forwarder import Listener
from engine.runtime.base import (
    ContainerCreateError,
    ContainerRuntime,
    ContainerSpec,
    Mount,
    RuntimeUnavailable,
)
from engine.runtime.sim import SimRuntime

TOOLBOX = "kubequest/toolbox:1.0"
WEB = "kubequest/web:1.0"


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def rt(clock: VirtualClock):
    runtime = SimRuntime(clock)
    yield runtime
    runtime.close()


def pod(rt: SimRuntime, hostname: str, labels: dict[str, str] | None = None) -> str:
    return rt.run_pod_sandbox(f"uid-{hostname}", hostname, "default", hostname, labels or {}).id


def start(rt: SimRuntime, sandbox_id: str, image: str = TOOLBOX, **spec) -> str:
    cid = rt.create_container(sandbox_id, ContainerSpec(name=spec.pop("name", "c"), image=image,
                                                        **spec))
    rt.start_container(cid)
    return cid


def http_get(address: tuple[str, int], path: str = "/") -> tuple[int, str]:
    conn = http.client.HTTPConnection(*address, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def is_refused(address: tuple[str, int]) -> bool:
    try:
        socket.create_connection(address, timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def sh(rt: SimRuntime, cid: str, script: str, timeout: float = 5.0) -> tuple[int, str]:
    result = rt.exec(cid, ["sh", "-c", script], timeout_seconds=timeout)
    return result.exit_code, result.output


def test_it_is_a_container_runtime(rt):
    assert isinstance(rt, ContainerRuntime)
    assert rt.name == "sim"
    rt.ping()


# --- sandboxes and ids ----------------------------------------------------------------

def test_ids_and_pod_ips_are_deterministic_per_seed(clock):
    def ids(seed: int) -> tuple[list[str], list[str]]:
        rt = SimRuntime(clock, seed=seed)
        try:
            sandboxes = [rt.run_pod_sandbox(f"u{i}", f"p{i}", "default", f"p{i}", {})
                         for i in range(3)]
            cid = rt.create_container(sandboxes[0].id, ContainerSpec("c", TOOLBOX))
            return [s.id for s in sandboxes] + [cid], [s.ip for s in sandboxes]
        finally:
            rt.close()

    assert ids(7) == ids(7)
    assert ids(7)[0] != ids(8)[0]
    assert ids(7)[1] == ["10.244.0.2", "10.244.0.3", "10.244.0.4"]
    assert all(len(i) == 64 and int(i, 16) >= 0 for i in ids(7)[0])


def test_address_is_stable_for_the_sandbox_and_refused_while_nothing_listens(rt):
    sid = pod(rt, "web-1")
    address = rt.address(sid, 8080)
    assert is_refused(address)
    first = start(rt, sid, WEB)
    assert rt.address(sid, 8080) == address
    assert http_get(address)[0] == 200
    rt.kill_container(first)
    assert is_refused(address)  # closed at once, not when someone next asks
    start(rt, sid, WEB, name="c-restarted")  # the kubelet's restart: a new container
    assert rt.address(sid, 8080) == address
    assert http_get(address) == (200, "web 1.0 hello from web-1\n")


def test_endpoint_address_maps_a_pod_ip_to_its_sandbox(rt):
    sandbox = rt.run_pod_sandbox("u", "web-1", "default", "web-1", {})
    start(rt, sandbox.id, WEB)
    assert rt.endpoint_address(sandbox.ip, 8080) == rt.address(sandbox.id, 8080)
    assert rt.endpoint_address("10.9.9.9", 8080) is None
    rt.remove_pod_sandbox(sandbox.id)
    assert rt.endpoint_address(sandbox.ip, 8080) is None
    with pytest.raises(KeyError, match="no such pod sandbox"):
        rt.address(sandbox.id, 8080)


def test_containers_of_one_pod_share_its_ports(rt):
    sid = pod(rt, "web-1")
    first = start(rt, sid, WEB, name="a")
    second = start(rt, sid, WEB, name="b")
    state = rt.container_status(second)
    assert (state.status, state.exit_code) == ("exited", 1)
    assert rt.logs(second).splitlines()[-2:] == [
        "nc: bind: Address already in use", "fatal: the HTTP listener on :8080 stopped"]
    assert rt.container_status(first).status == "running"
    assert http_get(rt.address(sid, 8080))[0] == 200  # the first one still answers


def test_remove_pod_sandbox_forces_its_containers_and_frees_its_ports(rt, clock):
    sid = pod(rt, "web-1")
    cid = start(rt, sid, WEB)
    address = rt.address(sid, 8080)
    rt.drain_events()
    rt.remove_pod_sandbox(sid)
    assert [(e.type, e.container_id) for e in rt.drain_events()] == [("died", cid)]
    assert is_refused(address)
    with pytest.raises(KeyError):
        rt.container_status(cid)
    rt.remove_pod_sandbox(sid)  # idempotent, as the CRI's RemovePodSandbox


# --- lifecycle ------------------------------------------------------------------------

def test_kill_is_exit_137_and_not_oom(rt, clock):
    sid = pod(rt, "web-1")
    cid = start(rt, sid, WEB)
    clock.advance(5)
    rt.drain_events()
    rt.kill_container(cid)
    state = rt.container_status(cid)
    assert (state.status, state.exit_code, state.oom_killed) == ("exited", 137, False)
    assert [(e.type, e.time) for e in rt.drain_events()] == [("died", clock.now())]
    assert is_refused(rt.address(sid, 8080))


def test_start_twice_is_a_no_op_and_an_exited_container_is_not_restarted(rt):
    sid = pod(rt, "p")
    cid = start(rt, sid)
    rt.start_container(cid)
    assert [e.type for e in rt.drain_events()] == ["started"]
    rt.kill_container(cid)
    with pytest.raises(ContainerCreateError, match="has exited"):
        rt.start_container(cid)


def test_create_refuses_unknown_sandbox_image_and_volume(rt):
    sid = pod(rt, "p")
    with pytest.raises(ContainerCreateError, match="not found"):
        rt.create_container("nope", ContainerSpec("c", TOOLBOX))
    with pytest.raises(ContainerCreateError, match='no such image "nginx"'):
        rt.create_container(sid, ContainerSpec("c", "nginx"))
    with pytest.raises(ContainerCreateError, match='volume "v-1" not found'):
        rt.create_container(sid, ContainerSpec("c", TOOLBOX, mounts=[Mount("v-1", "/data")]))


def test_a_created_container_waits_and_stop_leaves_it_alone(rt):
    sid = pod(rt, "p")
    cid = rt.create_container(sid, ContainerSpec("c", TOOLBOX, labels={"app": "x"}))
    rt.stop_container(cid, 30)
    state = rt.container_status(cid)
    assert (state.status, state.exit_code, state.started_at, state.labels) == (
        "created", None, None, {"app": "x"})
    assert rt.drain_events() == []


def test_logs_of_a_removed_container_raise_a_clear_key_error(rt):
    sid = pod(rt, "p")
    cid = start(rt, sid, command=["sh", "-c", "echo one; echo two; echo three; sleep 9"])
    assert rt.logs(cid, tail=2) == "two\nthree\n"
    assert rt.logs(cid, tail=0) == ""
    rt.remove_container(cid)  # still running: forced, like `docker rm -f`
    with pytest.raises(KeyError) as err:
        rt.logs(cid)
    assert str(err.value) == f"no such container: {cid} (it was removed)"
    assert [e.type for e in rt.drain_events()][-1] == "died"


def test_list_containers_filters_by_labels(rt):
    sid = pod(rt, "p")
    a = start(rt, sid, name="a", labels={"app": "web", "tier": "front"})
    start(rt, sid, name="b", labels={"app": "db"})
    assert [s.id for s in rt.list_containers({"app": "web"})] == [a]
    assert [s.name for s in rt.list_containers()] == ["a", "b"]
    assert rt.list_containers({"app": "web", "tier": "back"}) == []


# --- time: events and next_event_time --------------------------------------------------

def test_events_come_oldest_first_at_their_exact_virtual_times(rt, clock):
    t0 = clock.now()
    sid = pod(rt, "jobs")
    ids = {seconds: start(rt, sid, "kubequest/worker:1.0", name=f"w{seconds}",
                          env={"WORK_SECONDS": str(seconds)}) for seconds in (5, 2, 8)}
    clock.advance(100)  # one jump over all three exits
    events = rt.drain_events()
    assert [(e.type, e.container_id, e.time - t0) for e in events] == [
        ("started", ids[5], 0), ("started", ids[2], 0), ("started", ids[8], 0),
        ("died", ids[2], 2), ("died", ids[5], 5), ("died", ids[8], 8)]
    assert all(e.sandbox_id == sid for e in events)
    assert rt.drain_events() == []


def test_next_event_time_lets_a_loop_jump_from_change_to_change(rt, clock):
    t0 = clock.now()
    sid = pod(rt, "jobs")
    for seconds in (5, 2, 8):
        start(rt, sid, "kubequest/worker:1.0", name=f"w{seconds}", env={"WORK_SECONDS": str(seconds)})
    start(rt, sid, command=["sleep", "3"], name="sleeper")
    rt.drain_events()
    seen = []
    while (t := rt.next_event_time()) is not None:
        clock.advance_to(t)
        seen.append((t - t0, [rt.container_status(e.container_id).name for e in rt.drain_events()]))
    assert seen == [(2, ["w2"]), (3, ["sleeper"]), (5, ["w5"]), (8, ["w8"])]


def test_changes_apply_lazily_on_status_and_list_calls(rt, clock):
    sid = pod(rt, "p")
    cid = start(rt, sid, command=["sleep", "1"])
    clock.advance(1)
    assert [s.status for s in rt.list_containers()] == ["exited"]
    assert rt.container_status(cid).finished_at == clock.now()


# --- exec and the sim shell -----------------------------------------------------------

@pytest.mark.parametrize(("script", "code", "output"), [
    ("echo hi > /tmp/f; echo more >> /tmp/f; cat /tmp/f", 0, "hi\nmore\n"),
    ("echo a > /tmp/a; echo b > /tmp/b; ls /tmp", 0, "a\nb\n"),
    ("test -f /etc/hostname && echo yes", 0, "yes\n"),
    ("test -f /tmp/none", 1, ""),
    ("[ -d /tmp ] && [ ! -e /tmp/x ]", 0, ""),
    ("false || echo fallback", 0, "fallback\n"),
    ("false && echo never", 1, ""),
    ("false; echo next", 0, "next\n"),
    ("true && exit 7; echo not reached", 7, ""),
    ("hostname; cat /etc/hostname", 0, "box-1\nbox-1\n"),
    ('echo "$GREETING, $HOSTNAME" \'$HOME\'', 0, "hello world, box-1 $HOME\n"),
    ("X=1; echo ${X}2 $?", 0, "12 0\n"),
    ("env | grep GREETING", 0, "GREETING=hello world\n"),
    ("printf x", 127, "sh: printf: not found\n"),
    ("echo x > /data/f", 1, "sh: can't create /data/f: nonexistent directory\n"),
    ("cat /nope", 1, "cat: can't open '/nope': No such file or directory\n"),
    ("mkdir -p /tmp/a/b && touch /tmp/a/b/c && ls /tmp/a/b && rm -r /tmp/a && ls /tmp/a",
     1, "c\nls: /tmp/a: No such file or directory\n"),
    ("set -e; false; echo not reached", 1, ""),
    ("echo 'unterminated", 2, "sh: unterminated quoted string\n"),
    ("sleep 1 &", 2, "sh: background jobs (&) are not supported\n"),
    ("echo hidden 2>/dev/null >&2; echo shown", 0, "shown\n"),
])
def test_exec_runs_the_tiny_shell(rt, script, code, output):
    cid = start(rt, pod(rt, "box-1"), env={"GREETING": "hello world"})
    assert sh(rt, cid, script) == (code, output)


def test_exec_form_commands_and_a_missing_binary(rt):
    cid = start(rt, pod(rt, "box-1"))
    assert rt.exec(cid, ["cat", "/etc/hostname"]).output == "box-1\n"
    missing = rt.exec(cid, ["python", "-V"])
    assert (missing.exit_code, missing.output) == (
        127, 'exec: "python": executable file not found in $PATH\n')


def test_exec_sleep_takes_no_time_but_counts_against_the_timeout(rt, clock, monkeypatch):
    cid = start(rt, pod(rt, "p"))
    t0 = clock.now()

    def no_real_sleep(seconds):
        raise AssertionError(f"the sim slept for real ({seconds}s)")

    monkeypatch.setattr(time, "sleep", no_real_sleep)
    assert sh(rt, cid, "sleep 0.5; echo done", timeout=1) == (0, "done\n")
    assert sh(rt, cid, "echo started; sleep 5; echo late", timeout=1) == (124, "started\n")
    assert clock.now() == t0


def test_exec_in_a_container_that_is_not_running_is_126(rt):
    sid = pod(rt, "p")
    created = rt.create_container(sid, ContainerSpec("idle", TOOLBOX))
    assert rt.exec(created, ["true"]).exit_code == 126
    done = start(rt, sid, name="job", command=["sh", "-c", "exit 2"])
    result = rt.exec(done, ["true"])
    assert (result.exit_code, result.output) == (
        126, 'container "job" is not running: it has exited (exit code 2)\n')


def test_exec_files_stay_in_that_container(rt):
    sid = pod(rt, "p")
    a = start(rt, sid, name="a")
    b = start(rt, sid, name="b")
    sh(rt, a, "echo mine > /tmp/f")
    assert sh(rt, a, "cat /tmp/f") == (0, "mine\n")
    assert sh(rt, b, "test -f /tmp/f")[0] == 1


# --- the network: wget and nc across pods ------------------------------------------------

@pytest.fixture
def two_pods(rt):
    """A web pod and a toolbox pod; "web" resolves to the web pod, as a Service would."""
    web_sid = pod(rt, "web-1")
    web = start(rt, web_sid, WEB, env={"MESSAGE": "from the web pod", "FAIL_AFTER_SECONDS": "60"})
    box = start(rt, pod(rt, "box-1"))
    rt.set_resolver(lambda host, port, ns: rt.address(web_sid, port) if host == "web" else None)
    return web, box


def test_wget_reaches_another_pod_through_the_resolver(rt, two_pods):
    web, box = two_pods
    assert sh(rt, box, "wget -qO- http://web:8080/") == (
        0, "web 1.0 from the web pod from web-1\n")
    assert rt.logs(web).splitlines()[-1] == "web: GET / 200"


def test_wget_reports_http_errors_bad_names_and_refusals(rt, clock, two_pods):
    _, box = two_pods
    clock.advance(60)
    assert sh(rt, box, "wget -q --spider http://web:8080/healthz") == (
        1, "wget: server returned error: HTTP/1.1 500 Internal Server Error\n")
    assert sh(rt, box, "wget -qO- http://nowhere:8080/") == (1, "wget: bad address 'nowhere'\n")
    assert sh(rt, box, "wget -qO- http://localhost:8080/") == (
        1, "wget: can't connect to remote host (localhost): Connection refused\n")
    assert sh(rt, box, "wget -O /tmp/page web:8080/ && cat /tmp/page") == (
        0, "Connecting to web:8080\nweb 1.0 from the web pod from web-1\n")


def test_nc_checks_a_port_and_sees_it_close(rt, two_pods):
    web, box = two_pods
    assert sh(rt, box, "nc -z web 8080 && echo open") == (0, "open\n")
    rt.kill_container(web)
    assert sh(rt, box, "nc -z web 8080")[0] == 1


def test_without_a_resolver_only_the_pod_itself_is_reachable(rt):
    sid = pod(rt, "web-1")
    web = start(rt, sid, WEB, name="web")
    side = start(rt, sid, name="sidecar")
    for host in ("localhost", "127.0.0.1", "web-1", "10.244.0.2"):
        assert sh(rt, side, f"wget -qO- http://{host}:8080/")[0] == 0, host
    other = start(rt, pod(rt, "box-2"))
    assert sh(rt, other, "wget -qO- http://10.244.0.2:8080/") == (
        1, "wget: bad address '10.244.0.2'\n")
    assert sh(rt, web, "nc -z web-1 8080")[0] == 0


def test_a_service_proxy_that_calls_back_into_the_runtime_does_not_deadlock(rt):
    web_pod = rt.run_pod_sandbox("u1", "web-1", "default", "web-1", {})
    start(rt, web_pod.id, WEB)
    # kube-proxy's listener picks the backend per connection with endpoint_address(),
    # which needs the runtime's lock while exec is running in another thread.
    proxy = Listener("127.0.0.1", lambda key: rt.endpoint_address(web_pod.ip, 8080), ("svc",))
    try:
        rt.set_resolver(lambda host, port, ns: ("127.0.0.1", proxy.port) if host == "web" else None)
        box = start(rt, pod(rt, "box-1"))
        assert sh(rt, box, "wget -qO- -T 3 http://web/") == (0, "web 1.0 hello from web-1\n")
    finally:
        proxy.close()


def test_a_main_process_can_wget_another_pod_when_its_sleep_ends(rt, clock, two_pods):
    client = start(rt, pod(rt, "client"), name="client",
                   command=["sh", "-c", "sleep 2; wget -qO- http://web:8080/ready; exit 5"])
    clock.advance(2)
    state = rt.container_status(client)
    assert (state.exit_code, state.finished_at) == (5, clock.now())
    assert rt.logs(client) == "ready\n"


# --- volumes --------------------------------------------------------------------------------

def test_ensure_volume_is_idempotent_by_name(rt):
    a = rt.ensure_volume("pod-x-data", {})
    assert rt.ensure_volume("pod-x-data", {}) == a
    assert rt.ensure_volume("pod-y-data", {}) != a


def test_volume_files_show_at_the_mount_path_and_are_replaced_whole(rt):
    vol = rt.ensure_volume("config", {})
    rt.write_volume_files(vol, {"app.conf": b"color=blue\n", "nested/x": b"1"})
    cid = start(rt, pod(rt, "p"), mounts=[Mount(vol, "/etc/config", read_only=True)])
    assert sh(rt, cid, "cat /etc/config/app.conf; ls /etc/config; cat /etc/config/nested/x") == (
        0, "color=blue\napp.conf\nnested\n1")
    rt.write_volume_files(vol, {"other.conf": b"size=3\n"})
    assert sh(rt, cid, "ls /etc/config; test -f /etc/config/app.conf") == (1, "other.conf\n")


def test_a_read_only_mount_refuses_writes(rt):
    vol = rt.ensure_volume("secret", {})
    cid = start(rt, pod(rt, "p"), mounts=[Mount(vol, "/etc/secret", read_only=True)])
    assert sh(rt, cid, "echo x > /etc/secret/token") == (
        1, "sh: can't create /etc/secret/token: Read-only file system\n")


def test_volume_data_outlives_the_container_that_wrote_it(rt):
    vol = rt.ensure_volume("pod-p-cache", {})
    sid = pod(rt, "p")
    writer = start(rt, sid, name="writer", mounts=[Mount(vol, "/data")],
                   command=["sh", "-c", "echo saved > /data/state; exit 0"])
    rt.remove_container(writer)
    reader = start(rt, sid, name="reader", mounts=[Mount(vol, "/cache")])
    assert sh(rt, reader, "cat /cache/state") == (0, "saved\n")
    assert sh(rt, reader, "test -f /tmp/state")[0] == 1


def test_two_containers_share_a_mounted_volume_live(rt):
    vol = rt.ensure_volume("shared", {})
    sid = pod(rt, "p")
    a = start(rt, sid, name="a", mounts=[Mount(vol, "/shared")])
    b = start(rt, sid, name="b", mounts=[Mount(vol, "/srv/in")])
    sh(rt, a, "echo hello > /shared/msg")
    assert sh(rt, b, "cat /srv/in/msg") == (0, "hello\n")


def test_sub_path_mounts_one_file_or_one_folder(rt):
    vol = rt.ensure_volume("cm", {})
    rt.write_volume_files(vol, {"nginx.conf": b"listen 80;\n", "site/index.html": b"<h1>\n"})
    cid = start(rt, pod(rt, "p"), mounts=[
        Mount(vol, "/etc/nginx.conf", read_only=True, sub_path="nginx.conf"),
        Mount(vol, "/www", sub_path="site"),
    ])
    assert sh(rt, cid, "cat /etc/nginx.conf /www/index.html") == (0, "listen 80;\n<h1>\n")


# --- threads and close() --------------------------------------------------------------------

def test_concurrent_requests_are_all_answered_and_logged(rt):
    sid = pod(rt, "web-1")
    cid = start(rt, sid, WEB)
    address = rt.address(sid, 8080)
    results: list[int] = []

    def hit() -> None:
        results.append(http_get(address)[0])

    threads = [threading.Thread(target=hit) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert results == [200] * 16
    assert rt.logs(cid).count("web: GET / 200") == 16


def test_close_leaves_no_listening_socket_and_no_server_thread(clock):
    rt = SimRuntime(clock)
    addresses = []
    for i in range(3):
        sid = pod(rt, f"web-{i}")
        start(rt, sid, WEB)
        addresses.append(rt.address(sid, 8080))
    assert not any(is_refused(a) for a in addresses)
    rt.close()
    assert all(is_refused(a) for a in addresses)
    assert [t.name for t in threading.enumerate() if t.name.startswith("kubequest-sim-listen")] == []
    with pytest.raises(RuntimeUnavailable):
        rt.ping()
