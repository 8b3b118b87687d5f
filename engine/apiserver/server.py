"""The HTTP side: a threaded HTTP/1.1 server on 127.0.0.1 that checks the bearer
token and hands each request to handlers.API; streams go out with chunked
transfer encoding, and exec's WebSocket takes the connection over."""

from __future__ import annotations

import logging
import secrets
import select
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

from .handlers import API
from .kubeconfig import CONTEXT, is_ours, write_kubeconfig
from .request import Request, Response
from .status import APIError
from .tls import Certificate, self_signed

log = logging.getLogger("engine.apiserver")

LOOPBACK = "127.0.0.1"
OPEN_PATHS = ("/healthz", "/livez", "/readyz")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    api: API
    token: str
    stats: dict[str, float]


def _client_gone(conn: socket.socket) -> bool:
    """The peer closed its side: during a response stream an HTTP/1.1 client sends
    nothing, so a readable connection is one that is ending (TLS close_notify, FIN)."""
    try:
        readable, _, _ = select.select([conn], [], [], 0)
        if not readable:
            return False
        conn.setblocking(False)
        try:
            return conn.recv(1) == b""
        finally:
            conn.setblocking(True)
    except (ssl.SSLWantReadError, BlockingIOError):
        return False
    except (OSError, ValueError):
        return True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(10)
            self.request.do_handshake()  # here, in the connection's thread, not in accept()
            self.request.settimeout(None)
        super().setup()

    def handle(self) -> None:
        try:
            super().handle()
        except (ssl.SSLError, ConnectionResetError, BrokenPipeError, TimeoutError):
            self.close_connection = True

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0] or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _authorized(self, path: str) -> bool:
        if path.split("?", 1)[0] in OPEN_PATHS:
            return True
        given = self.headers.get("Authorization", "")
        return secrets.compare_digest(given.encode(), f"Bearer {self.server.token}".encode())

    def _serve(self) -> None:
        started = time.perf_counter()
        body = self._read_body()
        if not self._authorized(self.path):
            err = APIError(401, "Unauthorized")
            self._send(Response.json(err.body(), 401))
            return
        req = Request(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body,
                      client_gone=lambda: _client_gone(self.connection))
        try:
            resp = self.server.api.handle(req)
        except Exception as exc:
            log.exception("internal error on %s %s", self.command, self.path)
            err = APIError(500, f"KubeQuest's API server failed on this request: {type(exc).__name__}: {exc}")
            resp = Response.json(err.body(), 500)
        self._send(resp)
        self.server.stats["requests"] = self.server.stats.get("requests", 0) + 1
        self.server.stats["seconds"] = self.server.stats.get("seconds", 0.0) + time.perf_counter() - started

    def _send(self, resp: Response) -> None:
        if resp.upgrade is not None:
            self.close_connection = True
            resp.upgrade(self)
            return
        self.send_response(resp.code)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Cache-Control", "no-cache, private")
        for k, v in resp.headers.items():
            self.send_header(k, v)
        if resp.stream is None:
            self.send_header("Content-Length", str(len(resp.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(resp.body)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        try:
            for chunk in resp.stream:
                if chunk:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True
        finally:
            close = getattr(resp.stream, "close", None)
            if close is not None:
                close()


_CERTIFICATE: Certificate | None = None
_CERT_LOCK = threading.Lock()


def _certificate() -> Certificate:
    """One self-signed certificate per process (an RSA key takes about a second)."""
    global _CERTIFICATE
    with _CERT_LOCK:
        if _CERTIFICATE is None:
            _CERTIFICATE = self_signed()
        return _CERTIFICATE


class APIServer:
    """The Kubernetes API of one cluster on http://127.0.0.1:PORT (see the package docstring)."""

    def __init__(self, cluster: Any, host: str = LOOPBACK, port: int = 0, token: str | None = None):
        if host not in (LOOPBACK, "localhost"):
            raise ValueError("KubeQuest's API server listens on 127.0.0.1 only")
        self.cluster = cluster
        self.host = LOOPBACK
        self.requested_port = port
        self.token = token or secrets.token_urlsafe(24)
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._kubeconfigs: list[Path] = []
        self.certificate: Certificate | None = None

    # ---- life cycle ---------------------------------------------------------------

    def start(self) -> Self:
        if self._httpd is not None:
            return self
        try:
            httpd = _HTTPServer((self.host, self.requested_port), _Handler)
        except OSError as exc:
            from engine.api.errors import KubeQuestError

            raise KubeQuestError(f"cannot listen on {self.host}:{self.requested_port}: "
                                 f"{exc.strerror or exc}") from None
        self.certificate = _certificate()
        httpd.socket = self.certificate.server_context().wrap_socket(
            httpd.socket, server_side=True, do_handshake_on_connect=False)
        httpd.api = API(self.cluster, stopping=self._stopping)
        httpd.token = self.token
        httpd.stats = {}
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="kubequest-apiserver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, end open watches and streams, remove the kubeconfigs written."""
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        for path in self._kubeconfigs:
            if is_ours(path, self.token):
                try:
                    path.unlink()
                except OSError:
                    pass
        self._kubeconfigs.clear()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- what callers need ------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the API server is not started")
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    @property
    def stats(self) -> dict[str, float]:
        """Requests served and the seconds spent on them (for the bench)."""
        return dict(self._httpd.stats) if self._httpd is not None else {}

    def write_kubeconfig(self, path: str | Path, *, context: str = CONTEXT, namespace: str = "default") -> Path:
        """Write a kubeconfig for this server (removed again by stop())."""
        written = write_kubeconfig(path, self.url, self.token, ca_data=self.certificate.ca_data,
                                   context=context, namespace=namespace)
        self._kubeconfigs.append(written)
        return written

    @staticmethod
    def export_line(path: str | Path) -> str:
        """The one line a learner pastes into a shell: `export KUBECONFIG=…`."""
        import shlex

        return f"export KUBECONFIG={shlex.quote(str(Path(path).expanduser().resolve()))}"
