"""A kubeconfig with one `kubequest` cluster, user and context, written owner-only."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml

CONTEXT = "kubequest"


def kubeconfig(url: str, token: str, *, ca_data: str = "", context: str = CONTEXT,
               namespace: str = "default") -> dict:
    cluster = {"server": url}
    if ca_data:
        cluster["certificate-authority-data"] = ca_data
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": context, "cluster": cluster}],
        "users": [{"name": context, "user": {"token": token}}],
        "contexts": [{"name": context, "context": {"cluster": context, "user": context,
                                                   "namespace": namespace}}],
        "current-context": context,
        "preferences": {},
    }


def write_kubeconfig(path: str | Path, url: str, token: str, *, ca_data: str = "",
                     context: str = CONTEXT, namespace: str = "default") -> Path:
    """Write atomically with mode 0600 (it holds the token); returns the absolute path."""
    path = Path(path).expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(kubeconfig(url, token, ca_data=ca_data, context=context, namespace=namespace), sort_keys=False)
    fd, tmp = tempfile.mkstemp(prefix=".kubeconfig-", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def is_ours(path: str | Path, token: str) -> bool:
    """True when the file at path is a kubeconfig this server wrote (it holds its token)."""
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError):
        return False
    try:
        return any(u["user"].get("token") == token for u in data.get("users") or [])
    except (AttributeError, KeyError, TypeError):
        return False
