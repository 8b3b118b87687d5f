"""Real loopback sockets for the sim runtime's pod ports, and the client side used
by the sim shell's `wget` and `nc`.

A pod port is a LoopbackPort: one TCP port on 127.0.0.1 reserved for the pod's
lifetime. While no container listens on it the socket is bound but not
listening, so a connection is refused exactly as a pod IP with nothing behind
the port would refuse it; when a container listens, the same socket starts
accepting. The address therefore stays the same across container restarts, as a
pod IP:port does.
"""

from __future__ import annotations

import http.client
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

# (method, path) -> (status, body), or None to drop the connection unanswered.
Responder = Callable[[str, str], "tuple[int, bytes] | None"]


class NetError(Exception):
    """A failed connection; str() says more.

    kind: "refused" | "timeout" | "bad address" | "no answer" (the peer closed
    without answering, as a Service proxy does when it has no endpoints).
    """

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(detail or kind)
        self.kind = kind


def _bound_socket(port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Rebinding the same port right after closing a listener that served
    # connections needs SO_REUSEADDR (those connections linger in TIME_WAIT).
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


class _Handler(BaseHTTPRequestHandler):
    server: LoopbackPort  # type: ignore[assignment]  # the port, not an http.server
    protocol_version = "HTTP/1.1"  # as the web image answers; "Connection: close" below
    timeout = 5  # a client that connects and says nothing (nc -z) frees the thread

    def _answer(self, send_body: bool) -> None:
        answer = self.server.responder(self.command, self.path) if self.server.responder else None
        if answer is None:
            self.close_connection = True
            return
        status, body = answer
        self.send_response_only(status)  # no Server/Date: the web image sends neither
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def do_POST(self) -> None:  # the app answers other methods (the web image: 405)
        self._answer(send_body=True)

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_POST

    def log_message(self, format: str, *args: object) -> None:
        pass  # the container's own log lines are written by the runtime


class LoopbackPort:
    """One pod port on 127.0.0.1 (see the module docstring)."""

    def __init__(self, name: str):
        self.name = name  # for thread names: "<sandbox>:<port>"
        self._sock = _bound_socket()
        self.port: int = self._sock.getsockname()[1]
        self.responder: Responder | None = None
        self._thread: threading.Thread | None = None

    @property
    def listening(self) -> bool:
        return self._thread is not None

    def serve(self, responder: Responder) -> None:
        """Start accepting; every request is answered by responder in its own thread."""
        self.responder = responder
        self._sock.listen(64)
        self._thread = threading.Thread(
            target=self._accept_loop, args=(self._sock,), daemon=True,
            name=f"kubequest-sim-listen-{self.name}",
        )
        self._thread.start()

    def _accept_loop(self, sock: socket.socket) -> None:
        while True:
            try:
                conn, peer = sock.accept()
            except OSError:  # shutdown() by stop(): the port no longer listens
                return
            threading.Thread(
                target=self._serve_one, args=(conn, peer), daemon=True,
                name=f"kubequest-sim-http-{self.name}",
            ).start()

    def _serve_one(self, conn: socket.socket, peer: tuple[str, int]) -> None:
        try:
            _Handler(conn, peer, self)
        except OSError:
            pass  # the client went away; nothing to tell it
        finally:
            conn.close()

    def _close_socket(self) -> None:
        try:
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes accept() at once
        except OSError:
            pass  # never listened: nothing to wake
        self._sock.close()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        self.responder = None

    def stop(self) -> None:
        """Stop listening (the container died); new connections are refused at once."""
        if not self.listening:
            return
        self._close_socket()
        try:
            self._sock = _bound_socket(self.port)
        except OSError:  # someone took the port in between: the address moves
            self._sock = _bound_socket()
            self.port = self._sock.getsockname()[1]

    def close(self) -> None:
        """Give the port back (the sandbox is gone)."""
        self._close_socket()


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    status_line: str  # "HTTP/1.1 500 Internal Server Error"
    headers: list[tuple[str, str]]
    body: bytes


def http_get(address: tuple[str, int], host_header: str, path: str,
             timeout: float) -> HttpAnswer:
    """One real HTTP GET with `Connection: close`, as the toolbox's wget sends. Raises NetError."""
    conn = http.client.HTTPConnection(address[0], address[1], timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": host_header, "Connection": "close",
                                           "User-Agent": "Wget (kubequest toolbox)"})
        response = conn.getresponse()
        version = {10: "HTTP/1.0", 11: "HTTP/1.1"}.get(response.version, "HTTP/1.1")
        return HttpAnswer(response.status, f"{version} {response.status} {response.reason}",
                          response.getheaders(), response.read())
    except TimeoutError as exc:
        raise NetError("timeout", "download timed out") from exc
    except ConnectionRefusedError as exc:
        raise NetError("refused", "Connection refused") from exc
    except (http.client.RemoteDisconnected, ConnectionResetError) as exc:
        raise NetError("no answer") from exc
    except (OSError, http.client.HTTPException) as exc:
        raise NetError("refused", str(exc) or type(exc).__name__) from exc
    finally:
        conn.close()


def tcp_connect(address: tuple[str, int], timeout: float) -> None:
    """Open and close one TCP connection (nc -z, tcpSocket probes). Raises NetError."""
    try:
        socket.create_connection(address, timeout=timeout).close()
    except TimeoutError as exc:
        raise NetError("timeout", "Connection timed out") from exc
    except OSError as exc:
        raise NetError("refused", "Connection refused") from exc
