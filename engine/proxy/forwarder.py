"""A TCP listener that forwards each connection to a backend chosen per connection."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

Picker = Callable[[tuple], "tuple[str, int] | None"]

# pkg/proxy/userspace EndpointDialTimeouts: one try per entry, each on the next endpoint.
DIAL_TIMEOUTS = (0.25, 0.5, 1.0, 2.0)


class Listener:
    """Accepts on host:0 and pipes every connection to `pick(key)`'s answer.

    A connection with no backend is closed at once, which a client sees as an
    empty reply, like a Service with no endpoints behind kube-proxy's reject rule.
    """

    def __init__(self, host: str, pick: Picker, key: tuple, *, connect_timeout: float = 2.0):
        self.key = key
        self.pick = pick
        self.connect_timeout = connect_timeout
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, 0))
        self._sock.listen(128)
        self.port = self._sock.getsockname()[1]
        self._closed = False
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept_loop, name=f"proxy-{key}", daemon=True)
        self._thread.start()

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        backend = None
        try:
            backend = self._connect()
            if backend is None:
                return
            backend.settimeout(None)
            with self._lock:
                self._conns.update((client, backend))
            t = threading.Thread(target=_pump, args=(backend, client), daemon=True)
            t.start()
            _pump(client, backend)
            t.join(timeout=30)
        except OSError:
            pass
        finally:
            for s in (client, backend):
                if s is not None:
                    with self._lock:
                        self._conns.discard(s)
                    try:
                        s.close()
                    except OSError:
                        pass

    def _connect(self) -> socket.socket | None:
        """Like the userspace kube-proxy's TryConnectEndpoints: a backend that refuses
        (a pod shutting down before the endpoints say so) costs one more try on the
        next endpoint, with a longer dial timeout each time."""
        for timeout in DIAL_TIMEOUTS:
            target = self.pick(self.key)
            if target is None:
                return None
            try:
                return socket.create_connection(target, timeout=min(timeout, self.connect_timeout))
            except OSError:
                continue
        return None

    def close(self) -> None:
        self._closed = True
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        with self._lock:
            conns = list(self._conns)
        for s in conns:
            try:
                s.close()
            except OSError:
                pass


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass
