"""Fixtures for the level tests: a hand-populated store on a virtual clock, and
packs written into a temp folder."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from engine.api.store import Store
from engine.clock import VirtualClock
from kubequest.levels.checks import CheckContext

WEB_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: {image}
"""

WEB_SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    {selector}
  ports:
    - port: 80
      targetPort: 8080
"""

LEVEL_YAML = """\
apiVersion: kubequest/v1
kind: Level
name: {name}
title: A test level
difficulty: 1
briefing: briefing.md
timeLimitSeconds: 60
setup: [setup/app.yaml]
workspace: [workspace/app.yaml]
objectives:
  - id: three-ready
    description: three web pods are ready
    check: {{type: pods, selector: {{app: web}}, ready: true, count: 3}}
hints: [Scale it.]
solution: [solution/app.yaml]
"""


@pytest.fixture(autouse=True)
def _data_dir(tmp_path, monkeypatch):
    """Progress never goes to the real user's data directory."""
    monkeypatch.setenv("KUBEQUEST_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def store(clock) -> Store:
    return Store(clock, seed=1)


@pytest.fixture
def ctx(store, clock) -> CheckContext:
    return CheckContext(store=store, clock=clock)


def add_pod(store: Store, name: str, labels: dict | None = None, *, ready: bool = True,
            phase: str = "Running", image: str = "kubequest/web:1.0", node: str | None = "node-1",
            restarts: int = 0, namespace: str = "default", ip: str | None = None,
            statuses: list[dict] | None = None, spec_extra: dict | None = None,
            conditions: list[dict] | None = None) -> dict:
    """A pod as the kubelet would have reported it."""
    spec = {"containers": [{"name": "web", "image": image}], **(spec_extra or {})}
    if node:
        spec["nodeName"] = node
    pod = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {"app": "web"}},
        "spec": spec,
    }
    created = store.create(pod, validate=False)
    status = {
        "phase": phase,
        "conditions": conditions if conditions is not None else
        [{"type": "Ready", "status": "True" if ready else "False"}],
        "containerStatuses": statuses if statuses is not None else [{
            "name": "web", "image": image, "ready": ready, "restartCount": restarts,
            "state": {"running": {}}, "containerID": f"sim://{name}-c",
        }],
    }
    if ip or phase == "Running":
        status["podIP"] = ip or f"10.0.0.{len(store.list('Pod'))}"
    created["status"] = status
    return store.update_status(created)


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def make_pack(root: Path, *, level_yaml: str | None = None, name: str = "demo",
              level: str = "scale", extra: dict[str, str] | None = None,
              setup: str | None = None, solution: str | None = None) -> Path:
    """A one-level pack: setup runs web with 1 replica, the solution with 3."""
    files = {
        "pack.yaml": f"apiVersion: kubequest/v1\nkind: LevelPack\nname: {name}\ntitle: Demo\n"
                     f"levels: [{level}]\n",
        f"{level}/level.yaml": level_yaml if level_yaml is not None else LEVEL_YAML.format(name=level),
        f"{level}/briefing.md": "# Brief\n",
        f"{level}/setup/app.yaml": setup if setup is not None else
        WEB_DEPLOYMENT.format(replicas=1, image="kubequest/web:1.0"),
        f"{level}/workspace/app.yaml": WEB_DEPLOYMENT.format(replicas=1, image="kubequest/web:1.0"),
        f"{level}/solution/app.yaml": solution if solution is not None else
        WEB_DEPLOYMENT.format(replicas=3, image="kubequest/web:1.0"),
        **(extra or {}),
    }
    return write(root, files)
