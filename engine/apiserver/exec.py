"""`kubectl exec` over WebSocket (the `v5.channel.k8s.io` / `v4.channel.k8s.io` protocols).

kubectl (1.30+) opens `GET …/pods/{name}/exec?command=…&stdout=true&stderr=true`
as a WebSocket; every binary message starts with its channel: 0 stdin,
1 stdout, 2 stderr, 3 the error channel (a Status: Success, or Failure with
reason NonZeroExitCode and the exit code as a cause, which kubectl turns into
its own exit code), 4 terminal resize, 255 (v5) a stream close
(k8s.io/apimachinery/pkg/util/remotecommand, apiserver/pkg/util/wsstream).

What KubeQuest runs:
- `kubectl exec POD -- CMD ARGS…`: the command runs in the container through the
  cluster's runtime (Docker's exec, or the sim runtime's shell) and its output
  comes back on stdout;
- `kubectl exec -it POD -- sh`: a line-at-a-time shell: each line typed is run as
  `sh -c LINE` in the container, with its output; `exit` or Ctrl-D leaves;
- `kubectl exec -i` without a terminal (piping into a command) is refused with a
  clear Status: the runtime runs commands without standard input;
- the older SPDY upgrade (which kubectl falls back to) is refused with a Status.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import struct
from typing import Any

from engine.api.errors import KubeQuestError

from .request import Request, Response
from .status import APIError

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
EXEC_TIMEOUT = 30.0
PROMPT = b"# "


def _status_ok() -> dict:
    return {"metadata": {}, "status": "Success"}


def _status_exit(command: list[str], code: int) -> dict:
    return {"metadata": {}, "status": "Failure",
            "message": f"command terminated with non-zero exit code: error executing command "
                       f"[{' '.join(command)}], exit code {code}",
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}


def _status_error(message: str) -> dict:
    return {"metadata": {}, "status": "Failure", "message": message, "reason": "BadRequest", "code": 400}


def exec_(api: Any, req: Request, namespace: str, name: str) -> Response:
    command = req.all("command")
    container = req.q("container") or None
    if api.store.try_get("Pod", name, namespace, copy=False) is None:
        raise APIError(404, f'pods "{name}" not found', details={"name": name, "kind": "pods"})
    if not command:
        raise APIError(400, "you must specify at least 1 command")
    try:
        api.cluster.container_id(namespace, name, container)
    except KubeQuestError as exc:
        raise APIError(400, str(exc)) from None
    if req.header("upgrade").lower() != "websocket":
        raise APIError(400, "KubeQuest's API server runs exec over WebSocket only (kubectl 1.30 or "
                            "newer); this client asked for SPDY")
    offered = [p.strip() for p in req.header("sec-websocket-protocol").split(",")]
    protocol = next((p for p in PROTOCOLS if p in offered), None)
    if protocol is None:
        raise APIError(400, f"exec needs one of the WebSocket protocols {', '.join(PROTOCOLS)}")
    accept = base64.b64encode(hashlib.sha1((req.header("sec-websocket-key") + GUID).encode()).digest()).decode()
    session = _Session(api, namespace, name, container, command, protocol,
                       stdin=req.flag("stdin"), tty=req.flag("tty"))

    def upgrade(handler: Any) -> None:
        handler.send_response(101, "Switching Protocols")
        handler.send_header("Upgrade", "websocket")
        handler.send_header("Connection", "Upgrade")
        handler.send_header("Sec-WebSocket-Accept", accept)
        handler.send_header("Sec-WebSocket-Protocol", protocol)
        handler.end_headers()
        handler.wfile.flush()
        session.run(handler.connection, handler.rfile, handler.wfile)

    return Response(101, upgrade=upgrade)


class _Session:
    def __init__(self, api: Any, namespace: str, pod: str, container: str | None, command: list[str],
                 protocol: str, *, stdin: bool, tty: bool):
        self.api = api
        self.namespace = namespace
        self.pod = pod
        self.container = container
        self.command = command
        self.protocol = protocol
        self.stdin = stdin
        self.tty = tty

    # -- frames ----------------------------------------------------------------------

    def _send(self, wfile: Any, payload: bytes, opcode: int = 0x2) -> None:
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", 0x80 | opcode, n)
        elif n < 1 << 16:
            header = struct.pack("!BBH", 0x80 | opcode, 126, n)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 127, n)
        wfile.write(header + payload)
        wfile.flush()

    def _channel(self, wfile: Any, channel: int, data: bytes) -> None:
        self._send(wfile, bytes([channel]) + data)

    @staticmethod
    def _read_exact(rfile: Any, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = rfile.read(n - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def _receive(self, rfile: Any, wfile: Any) -> tuple[int, bytes]:
        """The next data message: (channel, bytes). Raises EOFError when the client closes."""
        while True:
            b0, b1 = self._read_exact(rfile, 2)
            opcode, masked, n = b0 & 0x0F, b1 & 0x80, b1 & 0x7F
            if n == 126:
                (n,) = struct.unpack("!H", self._read_exact(rfile, 2))
            elif n == 127:
                (n,) = struct.unpack("!Q", self._read_exact(rfile, 8))
            mask = self._read_exact(rfile, 4) if masked else b"\0\0\0\0"
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(self._read_exact(rfile, n)))
            if opcode == 0x8:
                raise EOFError
            if opcode == 0x9:
                self._send(wfile, payload, 0xA)
                continue
            if opcode in (0x1, 0x2, 0x0) and payload:
                return payload[0], payload[1:]

    def _finish(self, wfile: Any, status: dict) -> None:
        self._channel(wfile, ERROR, json.dumps(status).encode())
        self._send(wfile, struct.pack("!H", 1000), 0x8)

    # -- the session -------------------------------------------------------------------

    def _exec(self, command: list[str]) -> tuple[int, str]:
        try:
            result = self.api.cluster.exec(self.namespace, self.pod, command, self.container,
                                           timeout=EXEC_TIMEOUT)
        except KubeQuestError as exc:
            return 126, f"{exc}\n"
        return result.exit_code, result.output

    def run(self, conn: socket.socket, rfile: Any, wfile: Any) -> None:
        try:
            if self.stdin and self.tty:
                self._shell(rfile, wfile)
            elif self.stdin:
                self._finish(wfile, _status_error(
                    "KubeQuest runs exec commands without standard input: drop -i to run "
                    f"`{' '.join(self.command)}`, or use -it for a line-at-a-time shell"))
            else:
                code, output = self._exec(self.command)
                if output:
                    self._channel(wfile, STDOUT, output.encode())
                self._finish(wfile, _status_ok() if code == 0 else _status_exit(self.command, code))
        except (EOFError, OSError):
            pass
        finally:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _shell(self, rfile: Any, wfile: Any) -> None:
        """A line-at-a-time terminal: echo what is typed, run each line with sh -c."""
        if self.command not in (["sh"], ["/bin/sh"], ["bash"], ["/bin/bash"], ["ash"]):
            code, output = self._exec(self.command)
            self._channel(wfile, STDOUT, output.replace("\n", "\r\n").encode())
            self._finish(wfile, _status_ok() if code == 0 else _status_exit(self.command, code))
            return
        self._channel(wfile, STDOUT, PROMPT)
        line = b""
        last = 0
        while True:
            try:
                channel, data = self._receive(rfile, wfile)
            except EOFError:
                return
            if channel == CLOSE:
                break
            if channel != STDIN:
                continue
            for byte in data:
                ch = bytes([byte])
                if ch in (b"\r", b"\n"):
                    self._channel(wfile, STDOUT, b"\r\n")
                    text = line.decode(errors="replace").strip()
                    line = b""
                    if text in ("exit", "logout"):
                        self._finish(wfile, _status_ok() if last == 0 else _status_exit(self.command, last))
                        return
                    if text:
                        last, output = self._exec(["sh", "-c", text])
                        if output:
                            self._channel(wfile, STDOUT, output.replace("\n", "\r\n").encode())
                    self._channel(wfile, STDOUT, PROMPT)
                elif ch == b"\x04":  # Ctrl-D
                    self._channel(wfile, STDOUT, b"\r\n")
                    self._finish(wfile, _status_ok())
                    return
                elif ch == b"\x03":  # Ctrl-C drops the line
                    line = b""
                    self._channel(wfile, STDOUT, b"^C\r\n" + PROMPT)
                elif ch in (b"\x7f", b"\x08"):
                    if line:
                        line = line[:-1]
                        self._channel(wfile, STDOUT, b"\b \b")
                elif byte >= 0x20:
                    line += ch
                    self._channel(wfile, STDOUT, ch)
        self._finish(wfile, _status_ok())
