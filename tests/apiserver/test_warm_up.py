"""`warm_up()`: the process's TLS certificate made ahead of time, reused by the next server."""

from __future__ import annotations

import threading

import pytest

import engine.apiserver.server as server_module
from engine.apiserver import APIServer, warm_up
from engine.apiserver.tls import self_signed
from engine.clock import WallClock
from engine.cluster import Cluster


@pytest.fixture
def counted(monkeypatch):
    """No certificate made yet in this process; count how many get made."""
    made = []

    def counting(*args, **kw):
        cert = self_signed(*args, **kw)
        made.append(cert)
        return cert

    monkeypatch.setattr(server_module, "_CERTIFICATE", None)
    monkeypatch.setattr(server_module, "self_signed", counting)
    return made


def test_warm_up_makes_the_certificate_the_next_server_uses(counted):
    warm_up()
    assert len(counted) == 1
    warm_up()  # idempotent
    assert len(counted) == 1
    from engine.runtime.sim import SimRuntime

    clock = WallClock()
    cluster = Cluster(SimRuntime(clock), clock=clock)
    server = APIServer(cluster).start()
    try:
        assert server.certificate is counted[0]
        assert len(counted) == 1
    finally:
        server.stop()
        cluster.close()


def test_warm_up_from_many_threads_makes_one_certificate(counted):
    threads = [threading.Thread(target=warm_up) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(counted) == 1
