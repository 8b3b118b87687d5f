"""Image pulls per imagePullPolicy, ErrImagePull and ImagePullBackOff."""

from __future__ import annotations

from tests.kubelet.conftest import web


def test_unpullable_image_goes_err_image_pull_then_image_pull_back_off(h):
    h.create_pod("nginx", [{"name": "nginx", "image": "nginx:1.14.2"}])
    h.loop.settle()
    assert h.phase("nginx") == "Pending"
    waiting = h.container("nginx")["state"]["waiting"]
    assert waiting["reason"] == "ErrImagePull"
    assert waiting["message"].startswith(
        'rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:1.14.2"')
    assert h.condition("nginx", "PodReadyToStartContainers")["status"] == "True"
    assert [(e["type"], e["reason"]) for e in h.events(name="nginx")] == [
        ("Normal", "Pulling"), ("Warning", "Failed"), ("Warning", "Failed")]
    assert h.messages("Pulling") == ['Pulling image "nginx:1.14.2"']
    failed = h.messages("Failed")
    assert failed[0].startswith('Failed to pull image "nginx:1.14.2": rpc error: code = NotFound')
    assert failed[1] == "Error: ErrImagePull"

    assert h.run_until(lambda: h.waiting_reason("nginx") == "ImagePullBackOff", 60)
    assert h.elapsed() == 20  # the retry at 10 s pulled (and failed) again; at 20 s: back-off
    assert h.container("nginx")["state"]["waiting"]["message"] == 'Back-off pulling image "nginx:1.14.2"'
    backoff = h.events("BackOff", "nginx")[0]
    assert (backoff["type"], backoff["message"]) == ("Normal", 'Back-off pulling image "nginx:1.14.2"')
    assert "Error: ImagePullBackOff" in h.messages("Failed")
    assert h.phase("nginx") == "Pending"
    assert h.container("nginx")["restartCount"] == 0 and "containerID" not in h.container("nginx")


def test_pull_retries_double_from_10_to_300_seconds(h):
    h.create_pod("nginx", [{"name": "nginx", "image": "nginx:1.14.2"}])
    changes = h.watch(lambda: h.events("Pulling", "nginx")[0]["count"]
                      if h.events("Pulling", "nginx") else 0, 1300)
    pulls = [t for t, count in changes if count]
    assert pulls == [0, 10, 30, 70, 150, 310, 610, 910, 1210]


def test_a_fixed_image_recovers_on_its_own(h):
    h.create_pod("web", [web("kubequest/web:9.9")])
    assert h.run_until(lambda: h.waiting_reason("web") == "ImagePullBackOff", 60)
    pod = h.store.get("Pod", "web", "default")
    pod["spec"]["containers"][0]["image"] = "kubequest/web:1.0"
    h.store.update(pod)
    assert h.run_until(lambda: h.condition("web", "Ready").get("status") == "True", 5)
    assert h.container("web")["image"] == "kubequest/web:1.0"


def test_image_pull_policy_always_pulls(h):
    h.create_pod("web", [web(imagePullPolicy="Always")])
    assert h.run_until(lambda: h.running("web"), 5)
    assert [e["reason"] for e in h.events(name="web")] == ["Pulling", "Pulled", "Created", "Started"]
    assert h.messages("Pulled") == ['Successfully pulled image "kubequest/web:1.0" in 0s (0s including waiting)']


def test_image_pull_policy_never_with_a_missing_image(h):
    h.create_pod("web", [web("kubequest/web:9.9", imagePullPolicy="Never")])
    h.loop.settle()
    waiting = h.container("web")["state"]["waiting"]
    assert waiting == {"reason": "ErrImageNeverPull",
                       "message": 'Container image "kubequest/web:9.9" is not present with pull policy of Never'}
    assert h.events("ErrImageNeverPull", "web")[0]["type"] == "Warning"
    assert "Error: ErrImageNeverPull" in h.messages("Failed")


def test_invalid_image_name(h):
    h.create_pod("web", [web("Kubequest/WEB:1.0")])
    h.loop.settle()
    assert h.waiting_reason("web") == "InvalidImageName"
    assert h.events("InspectFailed", "web")
