"""Running one probe: httpGet, tcpSocket or exec.

Sources: pkg/kubelet/prober/prober.go (`runProbe`), pkg/probe/http/http.go
(`DoHTTPProbe`: 200 ≤ code < 400 succeeds, else `HTTP probe failed with
statuscode: 500`), pkg/probe/tcp/tcp.go, pkg/probe/exec/exec.go (exit 0
succeeds; the output is the message). A connection error reads like Go's:
`Get "http://10.244.0.5:8080/healthz": dial tcp 10.244.0.5:8080: connect:
connection refused`. The probe connects to the pod's port through
runtime.address (loopback for the sim runtime) but reports the pod IP.
"""

from __future__ import annotations

import http.client
import socket
from dataclasses import dataclass

from ...runtime.base import ContainerRuntime
from ..lifecycle import resolve_port

SUCCESS, FAILURE = "Success", "Failure"
USER_AGENT = "kube-probe/1.33"
MAX_BODY = 10 * 1024


@dataclass
class ProbeResult:
    result: str  # SUCCESS or FAILURE
    output: str = ""


def run_probe(runtime: ContainerRuntime, probe: dict, container: dict, container_id: str,
              sandbox_id: str, pod_ip: str) -> ProbeResult:
    timeout = float(probe.get("timeoutSeconds") or 1)
    if probe.get("exec"):
        return exec_probe(runtime, container_id, list(probe["exec"].get("command") or []), timeout)
    if probe.get("httpGet"):
        spec = probe["httpGet"]
        port = resolve_port(spec.get("port"), container)
        if port is None:
            return ProbeResult(FAILURE, f"unable to find port {spec.get('port')!r} in container")
        headers = {h.get("name", ""): h.get("value", "") for h in spec.get("httpHeaders") or []}
        return http_probe(runtime, sandbox_id, pod_ip, port, spec.get("path") or "/", headers, timeout)
    if probe.get("tcpSocket"):
        port = resolve_port(probe["tcpSocket"].get("port"), container)
        if port is None:
            return ProbeResult(FAILURE, "unable to find port in container")
        return tcp_probe(runtime, sandbox_id, pod_ip, port, timeout)
    if probe.get("grpc"):
        return ProbeResult(FAILURE, "grpc probes are not supported by KubeQuest's kubelet")
    return ProbeResult(SUCCESS)  # a probe without a handler never fails


def _dial_error(exc: BaseException, pod_ip: str, port: int) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return f"dial tcp {pod_ip}:{port}: connect: connection refused"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return f"dial tcp {pod_ip}:{port}: i/o timeout"
    return f"dial tcp {pod_ip}:{port}: {exc}"


def http_probe(runtime: ContainerRuntime, sandbox_id: str, pod_ip: str, port: int, path: str,
               headers: dict[str, str], timeout: float) -> ProbeResult:
    if not path.startswith("/"):
        path = "/" + path
    url = f"http://{pod_ip}:{port}{path}"
    try:
        host, hport = runtime.address(sandbox_id, port)
    except Exception as exc:  # noqa: BLE001 - the sandbox is gone
        return ProbeResult(FAILURE, f'Get "{url}": {_dial_error(exc, pod_ip, port)}')
    conn = http.client.HTTPConnection(host, hport, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": f"{pod_ip}:{port}", "User-Agent": USER_AGENT,
                                           "Accept": "*/*", **headers})
        response = conn.getresponse()
        body = response.read(MAX_BODY).decode("utf-8", "replace")
        code = response.status
    except TimeoutError:
        return ProbeResult(FAILURE, f'Get "{url}": context deadline exceeded '
                                    "(Client.Timeout exceeded while awaiting headers)")
    except OSError as exc:
        return ProbeResult(FAILURE, f'Get "{url}": {_dial_error(exc, pod_ip, port)}')
    except http.client.HTTPException:
        return ProbeResult(FAILURE, f'Get "{url}": EOF')
    finally:
        conn.close()
    if 200 <= code < 400:
        return ProbeResult(SUCCESS, body)
    return ProbeResult(FAILURE, f"HTTP probe failed with statuscode: {code}")


def tcp_probe(runtime: ContainerRuntime, sandbox_id: str, pod_ip: str, port: int,
              timeout: float) -> ProbeResult:
    try:
        address = runtime.address(sandbox_id, port)
        with socket.create_connection(address, timeout=timeout):
            return ProbeResult(SUCCESS)
    except Exception as exc:  # noqa: BLE001 - any failure to connect is the probe's result
        return ProbeResult(FAILURE, _dial_error(exc, pod_ip, port))


def exec_probe(runtime: ContainerRuntime, container_id: str, command: list[str],
               timeout: float) -> ProbeResult:
    try:
        result = runtime.exec(container_id, command, timeout_seconds=timeout)
    except Exception as exc:  # noqa: BLE001 - the container is gone
        return ProbeResult(FAILURE, str(exc))
    if result.exit_code == 124:
        joined = " ".join(command)
        return ProbeResult(FAILURE, f'command "{joined}" timed out')
    if result.exit_code != 0:
        return ProbeResult(FAILURE, result.output)
    return ProbeResult(SUCCESS, result.output)
