"""The per-Service listener: a backend that refuses costs one more try on the next
endpoint (the userspace kube-proxy's TryConnectEndpoints), never a failed request."""

from __future__ import annotations

import socket
import threading

from engine.proxy.forwarder import DIAL_TIMEOUTS, Listener


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now: a connect is refused at once
    return port


def _echo_server() -> tuple[socket.socket, int]:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)

    def serve() -> None:
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"hello " + conn.recv(64))

    threading.Thread(target=serve, daemon=True).start()
    return srv, srv.getsockname()[1]


def _ask(listener: Listener) -> bytes:
    with socket.create_connection(("127.0.0.1", listener.port), timeout=5) as c:
        c.sendall(b"you")
        c.shutdown(socket.SHUT_WR)
        out = b""
        try:
            while chunk := c.recv(64):
                out += chunk
        except ConnectionResetError:  # closed with our bytes unread: no backend took them
            pass
        return out


def test_a_refusing_backend_is_skipped_for_the_next_one():
    srv, good = _echo_server()
    backends = [("127.0.0.1", _closed_port()), ("127.0.0.1", good)]
    picked: list[int] = []

    def pick(key):
        target = backends[len(picked) % 2]
        picked.append(target[1])
        return target

    listener = Listener("127.0.0.1", pick, ("default", "web", 80))
    try:
        assert _ask(listener) == b"hello you"
        assert picked == [backends[0][1], good]
    finally:
        listener.close()
        srv.close()


def test_it_gives_up_after_as_many_tries_as_the_userspace_proxy():
    dead = ("127.0.0.1", _closed_port())
    tries: list[tuple] = []
    listener = Listener("127.0.0.1", lambda key: tries.append(key) or dead, ("default", "web", 80))
    try:
        assert _ask(listener) == b""  # the client sees the connection closed, as with no endpoints
        assert len(tries) == len(DIAL_TIMEOUTS) == 4
    finally:
        listener.close()
