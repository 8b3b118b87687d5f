"""Liveness, readiness and startup probes: httpGet, tcpSocket, exec."""

from __future__ import annotations

from tests.kubelet.conftest import web


def http_probe(path: str, port="http", **fields) -> dict:
    return {"httpGet": {"path": path, "port": port}, **fields}


def test_liveness_failure_restarts_the_container(h):
    h.create_pod("web", [web(env={"FAIL_AFTER_SECONDS": "30"},
                             livenessProbe=http_probe("/healthz", periodSeconds=10))])
    assert h.run_until(lambda: bool(h.events("Killing", "web")), 120)
    assert h.elapsed() == 50  # fails at 30, 40, 50: the third failure kills it
    unhealthy = h.events("Unhealthy", "web")[0]
    assert (unhealthy["type"], unhealthy["message"], unhealthy["count"]) == (
        "Warning", "Liveness probe failed: HTTP probe failed with statuscode: 500", 3)
    killing = h.events("Killing", "web")[0]
    assert (killing["type"], killing["message"]) == (
        "Normal", "Container web failed liveness probe, will be restarted")
    h.loop.settle()
    cs = h.container("web")
    assert cs["restartCount"] == 1 and "running" in cs["state"]
    assert cs["lastState"]["terminated"]["exitCode"] == 0  # web exits 0 on SIGTERM
    assert h.ts(cs["state"]["running"]["startedAt"]) == 50
    # The new container fails again 30 s after its own start.
    assert h.run_until(lambda: h.events("Killing", "web")[0]["count"] == 2, 120)
    assert h.elapsed() == 100


def test_liveness_with_restart_policy_never_ends_the_pod(h):
    h.create_pod("web", [web(env={"FAIL_AFTER_SECONDS": "5"},
                             livenessProbe=http_probe("/healthz", periodSeconds=5, failureThreshold=1))],
                 restartPolicy="Never")
    assert h.run_until(lambda: h.phase("web") in ("Succeeded", "Failed"), 60)
    # Nothing left to run: computePodActions kills the whole pod (KillPod), whose
    # per-container message is the plain one.
    assert h.messages("Killing", "web") == ["Stopping container web"]
    assert h.messages("Unhealthy", "web") == [
        "Liveness probe failed: HTTP probe failed with statuscode: 500"]
    assert h.phase("web") == "Succeeded"  # web exits 0 on SIGTERM


def test_readiness_delay(h):
    h.create_pod("web", [web(env={"READY_DELAY_SECONDS": "20"},
                             readinessProbe=http_probe("/ready", periodSeconds=5))])
    h.advance_to(19)
    assert h.running("web")
    cs = h.container("web")
    assert cs["ready"] is False and cs["started"] is True
    ready = h.condition("web", "Ready")
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "False", "ContainersNotReady", "containers with unready status: [web]")
    assert h.condition("web", "ContainersReady")["status"] == "False"
    assert h.messages("Unhealthy", "web") == ["Readiness probe failed: HTTP probe failed with statuscode: 503"]
    assert h.events("Unhealthy", "web")[0]["count"] == 4  # at 0, 5, 10, 15
    assert h.run_until(lambda: h.condition("web", "Ready")["status"] == "True", 30)
    assert h.elapsed() == 20
    assert h.ts(h.condition("web", "Ready")["lastTransitionTime"]) == 20
    assert h.ts(h.condition("web", "ContainersReady")["lastTransitionTime"]) == 20
    assert h.container("web")["ready"] is True
    assert not h.events("Killing")


def test_readiness_failure_makes_the_pod_unready_without_restart(h):
    h.create_pod("web", [web(env={"FAIL_AFTER_SECONDS": "30"},
                             readinessProbe=http_probe("/healthz", periodSeconds=10))])
    assert h.run_until(lambda: h.condition("web", "Ready").get("status") == "True", 5)
    assert h.run_until(lambda: h.condition("web", "Ready")["status"] == "False", 120)
    assert h.elapsed() == 50
    assert h.container("web")["restartCount"] == 0 and h.running("web")


def test_startup_probe_holds_off_the_others(h):
    h.create_pod("web", [web(env={"READY_DELAY_SECONDS": "25"},
                             startupProbe=http_probe("/ready", periodSeconds=5, failureThreshold=10),
                             livenessProbe=http_probe("/healthz", periodSeconds=5, failureThreshold=1),
                             readinessProbe=http_probe("/healthz", port=8080, periodSeconds=5))])
    h.advance_to(24)
    cs = h.container("web")
    assert cs["started"] is False and cs["ready"] is False
    assert h.messages("Unhealthy", "web") == ["Startup probe failed: HTTP probe failed with statuscode: 503"]
    assert h.run_until(lambda: h.container("web")["started"], 30)
    assert h.elapsed() == 25
    assert h.run_until(lambda: h.container("web")["ready"], 30)
    assert h.elapsed() == 30  # the readiness probe's next period
    h.advance(60)
    assert not h.events("Killing") and h.container("web")["restartCount"] == 0


def test_startup_probe_failure_kills_the_container(h):
    h.create_pod("web", [web(env={"READY_DELAY_SECONDS": "60"},
                             startupProbe=http_probe("/ready", periodSeconds=5, failureThreshold=2))])
    assert h.run_until(lambda: bool(h.events("Killing", "web")), 60)
    assert h.elapsed() == 5
    assert h.messages("Killing", "web") == ["Container web failed startup probe, will be restarted"]


def test_exec_readiness_probe(h):
    h.create_pod("box", [{"name": "box", "image": "kubequest/toolbox:1.0",
                          "readinessProbe": {"exec": {"command": ["cat", "/tmp/healthy"]},
                                             "periodSeconds": 5}}])
    h.advance_to(6)
    assert h.container("box")["ready"] is False
    message = h.messages("Unhealthy", "box")[0]
    assert message.startswith("Readiness probe failed: cat:") and "No such file or directory" in message
    h.exec("box", ["touch", "/tmp/healthy"])
    assert h.run_until(lambda: h.condition("box", "Ready")["status"] == "True", 10)
    assert h.elapsed() == 10


def test_exec_liveness_probe_restarts(h):
    h.create_pod("box", [{"name": "box", "image": "kubequest/toolbox:1.0",
                          "livenessProbe": {"exec": {"command": ["test", "-f", "/tmp/alive"]},
                                            "periodSeconds": 5, "failureThreshold": 2}}])
    assert h.run_until(lambda: bool(h.events("Killing", "box")), 30)
    assert h.elapsed() == 5  # failed at 0 and 5
    assert h.run_until(lambda: h.container("box")["restartCount"] == 1 and h.running("box"), 30)


def test_tcp_probe(h):
    h.create_pod("web", [web(readinessProbe={"tcpSocket": {"port": 8080}, "periodSeconds": 5}),
                         ])
    assert h.run_until(lambda: h.condition("web", "Ready").get("status") == "True", 5)
    h.create_pod("box", [{"name": "box", "image": "kubequest/toolbox:1.0",
                          "readinessProbe": {"tcpSocket": {"port": 9999}, "periodSeconds": 5}}])
    h.advance(6)
    assert h.container("box")["ready"] is False
    ip = h.status("box")["podIP"]
    assert h.messages("Unhealthy", "box")[0] == \
        f"Readiness probe failed: dial tcp {ip}:9999: connect: connection refused"


def test_initial_delay(h):
    h.create_pod("web", [web(env={"FAIL_AFTER_SECONDS": "0"},
                             livenessProbe=http_probe("/healthz", initialDelaySeconds=15,
                                                      periodSeconds=10, failureThreshold=1))])
    assert h.run_until(lambda: bool(h.events("Killing", "web")), 60)
    assert h.elapsed() == 20  # the first tick at or after 15 s


def test_liveness_kill_of_a_container_that_ignores_sigterm_waits_for_the_grace_period(h):
    h.create_pod("box", [{"name": "box", "image": "kubequest/toolbox:1.0", "command": ["sleep", "3600"],
                          "livenessProbe": {"exec": {"command": ["test", "-f", "/tmp/alive"]},
                                            "periodSeconds": 5, "failureThreshold": 1}}],
                 terminationGracePeriodSeconds=7)
    assert h.run_until(lambda: bool(h.events("Killing", "box")), 30)
    assert h.elapsed() == 0
    h.loop.settle()
    assert h.running("box") and h.container("box")["restartCount"] == 0  # still dying
    assert h.run_until(lambda: h.container("box")["restartCount"] == 1, 30)
    assert h.elapsed() == 7  # SIGKILL at the end of the grace period, then the restart
    assert h.container("box")["lastState"]["terminated"]["exitCode"] == 137
    h.loop.settle()
    assert h.loop.step() == 0  # idle: nothing is re-synced in a loop
