"""Container restarts: the restart policy and the CrashLoopBackOff back-off."""

from __future__ import annotations

import itertools

from tests.kubelet.conftest import web


def start_times(h, pod: str, until: float, container: str | None = None) -> list[float]:
    """Elapsed times at which each container instance was reported (every status write)."""
    seen: dict[str, float] = {}

    def on_event(ev) -> None:
        if ev.kind != "Pod" or ev.object["metadata"]["name"] != pod:
            return
        for s in ev.object["status"].get("containerStatuses") or []:
            if (container is None or s["name"] == container) and s.get("containerID"):
                seen.setdefault(s["containerID"], h.elapsed())

    unsubscribe = h.store.subscribe(on_event)
    h.advance_to(until)
    unsubscribe()
    return sorted(seen.values())


def test_crash_loop_restart_times_follow_the_back_off(h):
    h.create_pod("web", [web("kubequest/web:2.1")])
    starts = start_times(h, "web", 1500)
    # First restart at once, then 10 s doubling to the 300 s cap (the crash is instant).
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert starts[0] == 0
    assert gaps[:8] == [0, 10, 20, 40, 80, 160, 300, 300]
    st = h.status("web")
    assert st["phase"] == "Running"  # restartPolicy Always: Running while it restarts
    cs = st["containerStatuses"][0]
    uid = h.store.get("Pod", "web", "default")["metadata"]["uid"]
    assert cs["state"]["waiting"] == {
        "reason": "CrashLoopBackOff",
        "message": f"back-off 5m0s restarting failed container=web pod=web_default({uid})"}
    last = cs["lastState"]["terminated"]
    assert (last["exitCode"], last["reason"]) == (1, "Error")
    assert cs["ready"] is False and cs["started"] is False
    assert h.condition("web", "Ready")["reason"] == "ContainersNotReady"
    assert h.condition("web", "Ready")["message"] == "containers with unready status: [web]"
    backoff = h.events("BackOff", "web")
    assert len(backoff) == 1 and backoff[0]["type"] == "Warning"
    assert backoff[0]["message"] == f"Back-off restarting failed container web in pod web_default({uid})"
    assert backoff[0]["count"] > 10  # re-recorded on every retry of the pod worker
    assert "fatal: DATABASE_URL is not set" in h.runtime.logs(h.container_id("web"))


def test_crash_loop_messages_name_each_back_off(h):
    h.create_pod("web", [web("kubequest/web:2.1")])
    changes = h.watch(lambda: (h.container("web").get("state") or {}).get("waiting", {}).get(
        "message", "").split(" restarting")[0], 400)
    assert [m for _, m in changes if m] == [
        "back-off 10s", "back-off 20s", "back-off 40s", "back-off 1m20s", "back-off 2m40s",
        "back-off 5m0s"]


def test_back_off_resets_after_ten_minutes_of_running(h):
    # The "app" crashes at once until /data/ok exists, then runs 700 s and crashes again.
    h.create_pod("app", [
        {"name": "app", "image": "kubequest/toolbox:1.0",
         "command": ["sh", "-c", "test -f /data/ok && sleep 700; exit 1"],
         "volumeMounts": [{"name": "data", "mountPath": "/data"}]},
        {"name": "helper", "image": "kubequest/toolbox:1.0",
         "volumeMounts": [{"name": "data", "mountPath": "/data"}]},
    ], volumes=[{"name": "data", "emptyDir": {}}])
    h.advance_to(50)  # crashes at 0, 0, 10, 30: back-off now 40 s (next start at 70)
    assert h.container("app", "app")["restartCount"] == 3
    assert h.exec("app", ["touch", "/data/ok"], container="helper").exit_code == 0
    starts = start_times(h, "app", 1500, "app")
    # Each run lasts 700 s > 600 s: every crash is restarted at once.
    assert starts == [70, 770, 1470]
    assert h.container("app", "app")["restartCount"] == 6


def test_back_off_is_kept_when_the_container_ran_less_than_ten_minutes(h):
    h.create_pod("app", [
        {"name": "app", "image": "kubequest/toolbox:1.0",
         "command": ["sh", "-c", "test -f /data/ok && sleep 500; exit 1"],
         "volumeMounts": [{"name": "data", "mountPath": "/data"}]},
        {"name": "helper", "image": "kubequest/toolbox:1.0",
         "volumeMounts": [{"name": "data", "mountPath": "/data"}]},
    ], volumes=[{"name": "data", "emptyDir": {}}])
    h.advance_to(50)
    h.exec("app", ["touch", "/data/ok"], container="helper")
    starts = start_times(h, "app", 800, "app")
    assert starts[:2] == [70, 650]  # crashed at 570, then waited the 80 s back-off


def test_on_failure_restarts_a_failed_worker(h):
    h.create_pod("job", [{"name": "worker", "image": "kubequest/worker:1.0",
                          "env": [{"name": "FAIL", "value": "1"}, {"name": "WORK_SECONDS", "value": "1"}]}],
                 restartPolicy="OnFailure")
    starts = start_times(h, "job", 60)
    assert starts == [0, 1, 12, 33]  # runs 1 s each: at once, then 10 s, then 20 s after exits
    assert h.phase("job") == "Running"
    cs = h.container("job")
    assert cs["lastState"]["terminated"]["exitCode"] == 1


def test_on_failure_does_not_restart_a_successful_worker(h):
    h.create_pod("job", [{"name": "worker", "image": "kubequest/worker:1.0"}], restartPolicy="OnFailure")
    assert h.run_until(lambda: h.phase("job") == "Succeeded", 30)
    h.advance(60)
    assert h.container("job")["restartCount"] == 0


def test_always_restarts_a_successful_worker(h):
    h.create_pod("job", [{"name": "worker", "image": "kubequest/worker:1.0",
                          "env": [{"name": "WORK_SECONDS", "value": "1"}]}])
    h.advance(30)
    cs = h.container("job")
    assert cs["restartCount"] >= 2
    assert h.phase("job") == "Running"
    assert any("terminated" in s for s in (cs["state"], cs["lastState"]))
