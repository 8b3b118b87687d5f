"""`kubequest pack new DIR`: a level pack with one example level, ready to edit.

What it writes passes `pack check` and `pack test` as generated, so an
instructor starts from something green and changes one thing at a time.
"""

from __future__ import annotations

import re
from pathlib import Path

from engine.api.errors import KubeQuestError


class ScaffoldError(KubeQuestError):
    """The folder cannot take a new pack."""


LEVEL = "scale-up"

PACK_YAML = """\
apiVersion: kubequest/v1
kind: LevelPack
name: {name}
title: {title}
author: Your Name
version: 0.1.0
description: A new KubeQuest level pack.
levels: [{level}]
"""

LEVEL_YAML = """\
apiVersion: kubequest/v1
kind: Level
name: {level}
title: One is not enough
difficulty: 1
concepts: [deployment, replicas, service]
briefing: briefing.md
debrief: debrief.md
timeLimitSeconds: 120
parSeconds: 300
setup: [setup/web.yaml]
workspace: [workspace/web.yaml]
objectives:
  - id: three-ready
    description: Three web pods are running and Ready
    check: {{type: pods, selector: {{app: web}}, ready: true, count: 3}}
  - id: endpoints
    description: The web Service routes to all three
    check: {{type: endpoints, service: web, min: 3}}
hints:
  - A Deployment keeps `spec.replicas` pods running.
  - Change `replicas` in web.yaml, then apply the file again.
solution: [solution/web.yaml]
"""

WEB_YAML = """\
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
          image: kubequest/web:1.0
          ports:
            - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
    - port: 80
      targetPort: 8080
"""

BRIEFING = """\
# One is not enough

The `web` Deployment runs a single pod. When that pod goes, the site goes with it.

Run **three** replicas, and make sure the `web` Service sends traffic to all of them.
"""

DEBRIEF = """\
# Well done

A Deployment's `spec.replicas` is a desired state: the ReplicaSet controller
creates or deletes pods until the count matches, and the Service's endpoints
follow the Ready pods. Read more: https://kubernetes.io/docs/concepts/workloads/controllers/deployment/
"""


def pack_name_for(folder: Path) -> str:
    """A valid pack name from a folder name: lowercase, dashes."""
    name = re.sub(r"[^a-z0-9]+", "-", folder.name.lower()).strip("-")
    return name or "my-pack"


def new_pack(folder: str | Path) -> list[Path]:
    """Write the pack; refuses a folder that exists and is not empty. Returns the files written."""
    root = Path(folder)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise ScaffoldError(f"{root} already exists and is not an empty folder: choose a new one")
    name = pack_name_for(root.resolve())
    files = {
        "pack.yaml": PACK_YAML.format(name=name, title=name.replace("-", " ").capitalize(), level=LEVEL),
        f"{LEVEL}/level.yaml": LEVEL_YAML.format(level=LEVEL),
        f"{LEVEL}/briefing.md": BRIEFING,
        f"{LEVEL}/debrief.md": DEBRIEF,
        f"{LEVEL}/setup/web.yaml": WEB_YAML.format(replicas=1),
        f"{LEVEL}/workspace/web.yaml": WEB_YAML.format(replicas=1),
        f"{LEVEL}/solution/web.yaml": WEB_YAML.format(replicas=3),
    }
    written = []
    try:
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    except OSError as exc:
        raise ScaffoldError(f"cannot write {root}: {exc.strerror or exc}") from None
    return written
