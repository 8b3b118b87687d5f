"""Container lifecycle hooks: postStart after a container starts, preStop before
it is stopped.

Source: pkg/kubelet/lifecycle/handlers.go (`HandlerRunner.Run`). An exec hook
runs in the container (runtime.exec), an httpGet hook is a GET to the pod's
port, a sleep hook waits. A hook fails when the command exits non-zero or the
HTTP answer is not 2xx/3xx; the returned message is the kubelet's
`Exec lifecycle hook ([cmd]) for Container "c" in Pod "p_ns(uid)" failed - error: …`.
"""

from __future__ import annotations

import http.client

from ..runtime.base import ContainerRuntime


def format_pod(pod: dict) -> str:
    """pkg/kubelet/util/format.Pod: name_namespace(uid)."""
    md = pod.get("metadata") or {}
    return f"{md.get('name', '')}_{md.get('namespace', '')}({md.get('uid', '')})"


def go_list(items: list) -> str:
    """fmt's %v of a []string: [a b c]."""
    return "[" + " ".join(str(i) for i in items) + "]"


def resolve_port(port: object, container: dict) -> int | None:
    """An int port, or a container port looked up by name (probes and hooks)."""
    if isinstance(port, int):
        return port
    text = str(port or "")
    if text.isdigit():
        return int(text)
    for p in container.get("ports") or []:
        if p.get("name") == text:
            return int(p.get("containerPort", 0))
    return None


def run_handler(
    runtime: ContainerRuntime,
    container_id: str,
    sandbox_id: str,
    pod: dict,
    container: dict,
    handler: dict,
    timeout: float,
) -> str | None:
    """Run one hook. None on success, else the failure message."""
    name = container.get("name", "")
    if handler.get("exec"):
        command = list(handler["exec"].get("command") or [])
        try:
            result = runtime.exec(container_id, command, timeout_seconds=max(timeout, 1.0))
        except Exception as exc:  # noqa: BLE001 - the runtime refused: the hook failed
            return (f"Exec lifecycle hook ({go_list(command)}) for Container \"{name}\" in Pod "
                    f"\"{format_pod(pod)}\" failed - error: {exc}, message: \"\"")
        if result.exit_code != 0:
            return (f"Exec lifecycle hook ({go_list(command)}) for Container \"{name}\" in Pod "
                    f"\"{format_pod(pod)}\" failed - error: command '{' '.join(command)}' exited "
                    f"with {result.exit_code}: , message: {result.output!r}")
        return None
    if handler.get("httpGet"):
        spec = handler["httpGet"]
        port = resolve_port(spec.get("port"), container)
        path = spec.get("path") or "/"
        try:
            if port is None:
                raise OSError(f"unable to find port {spec.get('port')!r}")
            host, hport = runtime.address(sandbox_id, port)
            conn = http.client.HTTPConnection(host, hport, timeout=max(timeout, 1.0))
            try:
                conn.request("GET", path)
                code = conn.getresponse().status
            finally:
                conn.close()
            if not 200 <= code < 400:
                raise OSError(f"HTTP lifecycle hook returned status {code}")
        except (TimeoutError, OSError, http.client.HTTPException) as exc:
            return (f"HTTP lifecycle hook ({path}) for Container \"{name}\" in Pod "
                    f"\"{format_pod(pod)}\" failed - error: {exc}")
        return None
    # sleep (and unknown actions): the engine does not block its loop on a hook.
    return None
