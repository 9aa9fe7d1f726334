"""SIGTERM: stop accepting, drain in-flight requests (bounded by
limits.shutdown_timeout), exit 0."""

import signal
import threading
import time

import pytest
import requests

from harness import httpclient
from harness.relais import is_refused
from harness.upstream import Resp


def in_background(fn):
    out = {}

    def run():
        try:
            out["result"] = fn()
        except Exception as e:  # reported by the test
            out["error"] = e
        out["done_at"] = time.monotonic()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, out


def test_sigterm_drains_in_flight_request_and_exits_0(relais, upstream):
    upstream.on("/files/slow", Resp(delay=1.5, body=b"finished"))
    t, out = in_background(lambda: requests.get(relais.url("/files/slow"), timeout=20))
    upstream.wait_for_requests(1)  # the request is in flight at the upstream
    relais.signal(signal.SIGTERM)
    refused_at = None
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if is_refused(relais.public_port):
            refused_at = time.monotonic()
            break
        time.sleep(0.02)
    t.join(20)
    assert "error" not in out, f"in-flight request failed: {out.get('error')!r}"
    r = out["result"]
    assert r.status_code == 200 and r.content == b"finished"
    assert relais.wait_exit(15) == 0
    assert refused_at is not None, "new connections were still accepted after SIGTERM"
    assert refused_at < out["done_at"], "relais kept accepting until the drain was over"
    assert is_refused(relais.public_port) and is_refused(relais.admin_port)


def test_shutdown_timeout_bounds_the_drain(relais_factory, upstream):
    upstream.on("/files/stuck", Resp(delay=12.0, body=b"too late"))
    inst = relais_factory(limits={"max_body": "10MiB", "max_header": "16KiB", "request_timeout": "60s",
                                  "shutdown_timeout": "1s"},
                          providers={"backend": {"base_url": upstream.url,
                                                 "timeout": {"connect": "2s", "total": "30s"}}})
    t, out = in_background(lambda: requests.get(inst.url("/files/stuck"), timeout=30))
    (req,) = upstream.wait_for_requests(1)
    inst.signal(signal.SIGTERM)
    rc = inst.wait_exit(15)
    exited_at = time.monotonic()
    assert exited_at < req.received_at + 12.0, "relais waited for the upstream instead of shutdown_timeout"
    assert rc == 0
    t.join(5)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_idle_keep_alive_connections_do_not_hold_shutdown(relais_factory, upstream, sig):
    inst = relais_factory(limits={"max_body": "10MiB", "max_header": "16KiB", "request_timeout": "60s",
                                  "shutdown_timeout": "30s"})
    conns = [httpclient.Conn(inst.public_port) for _ in range(3)]
    try:
        for c in conns:
            assert c.request("GET", "/files/idle").status == 200  # keep-alive, then idle
        t0 = time.monotonic()
        inst.signal(sig)
        rc = inst.wait_exit(20)
        assert time.monotonic() - t0 < 10, "idle keep-alive connections delayed the exit toward shutdown_timeout"
        assert rc == 0
    finally:
        for c in conns:
            c.close()
