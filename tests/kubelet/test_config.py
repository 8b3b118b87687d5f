"""env/envFrom from ConfigMaps and Secrets, CreateContainerConfigError, and
configMap/secret volumes."""

from __future__ import annotations

import base64

from tests.kubelet.conftest import web


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def message_from_configmap(name: str = "app-config", optional: bool = False) -> dict:
    ref = {"name": name, "key": "MESSAGE"}
    if optional:
        ref["optional"] = True
    return web(env=None) | {"env": [{"name": "MESSAGE", "valueFrom": {"configMapKeyRef": ref}}]}


def test_missing_configmap_is_a_create_container_config_error_fixed_by_creating_it(h):
    h.create_pod("web", [message_from_configmap()])
    h.loop.settle()
    assert h.phase("web") == "Pending"
    assert h.container("web")["state"]["waiting"] == {
        "reason": "CreateContainerConfigError", "message": 'configmap "app-config" not found'}
    failed = h.events("Failed", "web")[0]
    assert (failed["type"], failed["message"]) == ("Warning", 'Error: configmap "app-config" not found')
    h.advance(30)
    assert h.events("Failed", "web")[0]["count"] == 4  # retried every 10 s
    assert h.waiting_reason("web") == "CreateContainerConfigError"

    # The ConfigMap appears without the key: another message.
    h.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app-config"},
              "data": {"OTHER": "x"}})
    h.loop.settle()
    assert h.container("web")["state"]["waiting"]["message"] == \
        "couldn't find key MESSAGE in ConfigMap default/app-config"
    # The key is added: the pod starts at once, untouched.
    cm = h.store.get("ConfigMap", "app-config", "default")
    cm["data"]["MESSAGE"] = "configured"
    h.store.update(cm)
    h.loop.settle()
    assert h.running("web") and h.elapsed() == 30
    assert "MESSAGE=configured\n" in h.exec("web", ["env"]).output


def test_optional_configmap_ref_may_be_missing(h):
    h.create_pod("web", [message_from_configmap(optional=True)])
    assert h.run_until(lambda: h.running("web"), 5)
    assert "MESSAGE=" not in h.exec("web", ["env"]).output


def test_missing_secret_key_message(h):
    h.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "data": {"user": b64("u")}})
    h.create_pod("web", [web(env=None) | {"env": [
        {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}]}])
    h.loop.settle()
    assert h.container("web")["state"]["waiting"] == {
        "reason": "CreateContainerConfigError", "message": "couldn't find key password in Secret default/db"}
    h.create_pod("web2", [web(env=None) | {"envFrom": [{"secretRef": {"name": "nope"}}]}])
    h.loop.settle()
    assert h.container("web2")["state"]["waiting"]["message"] == 'secret "nope" not found'


def test_env_from_secret_is_decoded(h):
    h.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"},
              "data": {"DATABASE_URL": b64("postgres://db:5432/app"), "password": b64("s3cr3t")}})
    h.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"},
              "data": {"MESSAGE": "hi", "MODE": "fast"}})
    h.create_pod("web", [web("kubequest/web:2.1") | {
        "envFrom": [{"secretRef": {"name": "db"}}, {"configMapRef": {"name": "cfg"}, "prefix": "CFG_"}],
        "env": [{"name": "PASS", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}]}])
    assert h.run_until(lambda: h.condition("web", "Ready").get("status") == "True", 5)
    env = h.exec("web", ["env"]).output
    assert "DATABASE_URL=postgres://db:5432/app\n" in env  # web:2.1 starts with it
    assert "PASS=s3cr3t\n" in env and "CFG_MESSAGE=hi\n" in env and "CFG_MODE=fast\n" in env
    assert h.container("web")["restartCount"] == 0


def test_web_21_crash_loop_is_fixed_by_a_new_pod_with_the_variable(h):
    h.create_pod("bad", [web("kubequest/web:2.1")])
    assert h.run_until(lambda: h.waiting_reason("bad") == "CrashLoopBackOff", 5)
    h.create_pod("good", [web("kubequest/web:2.1", env={"DATABASE_URL": "x"})])
    assert h.run_until(lambda: h.condition("good", "Ready").get("status") == "True", 5)


def test_configmap_and_secret_volumes(h):
    h.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"},
              "data": {"app.conf": "mode=fast\n", "other": "x"}})
    h.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tls"},
              "data": {"tls.key": b64("KEY")}})
    h.create_pod("box", [{"name": "box", "image": "kubequest/toolbox:1.0", "volumeMounts": [
        {"name": "config", "mountPath": "/etc/config"},
        {"name": "picked", "mountPath": "/etc/picked"},
        {"name": "tls", "mountPath": "/etc/tls"}]}], volumes=[
        {"name": "config", "configMap": {"name": "cfg"}},
        {"name": "picked", "configMap": {"name": "cfg", "items": [{"key": "app.conf", "path": "conf/app.ini"}]}},
        {"name": "tls", "secret": {"secretName": "tls"}}])
    assert h.run_until(lambda: h.running("box"), 5)
    assert h.exec("box", ["cat", "/etc/config/app.conf"]).output == "mode=fast\n"
    assert h.exec("box", ["cat", "/etc/picked/conf/app.ini"]).output == "mode=fast\n"
    assert h.exec("box", ["cat", "/etc/picked/other"]).exit_code != 0
    assert h.exec("box", ["cat", "/etc/tls/tls.key"]).output == "KEY"
    assert h.exec("box", ["touch", "/etc/config/new"]).exit_code != 0  # read-only
    cm = h.store.get("ConfigMap", "cfg", "default")
    cm["data"]["app.conf"] = "mode=slow\n"
    h.store.update(cm)
    h.loop.settle()
    assert h.exec("box", ["cat", "/etc/config/app.conf"]).output == "mode=slow\n"


def test_missing_configmap_volume_keeps_the_pod_creating(h):
    h.create_pod("box", [{"name": "box", "image": "kubequest/toolbox:1.0",
                          "volumeMounts": [{"name": "config", "mountPath": "/etc/config"}]}],
                 volumes=[{"name": "config", "configMap": {"name": "cfg"}}])
    h.loop.settle()
    assert h.waiting_reason("box") == "ContainerCreating" and h.phase("box") == "Pending"
    ev = h.events("FailedMount", "box")[0]
    assert (ev["type"], ev["message"]) == (
        "Warning", 'MountVolume.SetUp failed for volume "config" : configmap "cfg" not found')
    assert "podIP" not in h.status("box")
    h.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"a": "1"}})
    h.loop.settle()
    assert h.running("box")
