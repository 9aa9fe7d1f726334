"""X-Request-Id: a sane client value (≤ 128 chars of [A-Za-z0-9._-]) is kept,
sent upstream and returned; anything else is replaced by a generated id (the
bad value goes nowhere). traceparent passes through unchanged."""

import pytest

from harness import httpclient
from harness.relais import request_id_ok


@pytest.mark.parametrize("rid", ["abc-123._XYZ", "a", "0192f3c4-7b1e-7c2a-9f00-000000000001", "x" * 128])
def test_sane_request_id_is_kept_and_forwarded(relais, upstream, rid):
    r = httpclient.request(relais.public_port, "GET", "/v1/items/1", headers=[("X-Request-Id", rid)])
    assert r.status == 200
    assert r.header_all("X-Request-Id") == [rid]
    (req,) = upstream.wait_for_requests(1)
    assert req.header_all("X-Request-Id") == [rid]


@pytest.mark.parametrize("bad", ["x" * 129, "has space", "a/b", "semi;colon", "<script>", "quote\"d", "",
                                 "t\u00e9st"],
                         ids=["129-chars", "space", "slash", "semicolon", "angle", "quote", "empty", "latin1"])
def test_insane_request_id_is_replaced(relais, upstream, bad):
    r = httpclient.request(relais.public_port, "GET", "/v1/items/1", headers=[("X-Request-Id", bad)])
    assert r.status == 200
    got = r.header_all("X-Request-Id")
    assert len(got) == 1 and got[0] != bad and request_id_ok(got[0]), got
    (req,) = upstream.wait_for_requests(1)
    assert req.header_all("X-Request-Id") == got, "the upstream must get the replacement, and only it"


def test_generated_request_ids_are_unique(relais, upstream):
    ids = []
    with httpclient.Conn(relais.public_port) as c:
        for i in range(30):
            r = c.request("GET", f"/files/gen{i}")
            assert r.status == 200
            ids.append(r.header("X-Request-Id"))
    assert all(request_id_ok(i) for i in ids), ids
    assert len(set(ids)) == len(ids)
    sent_up = [req.header("X-Request-Id") for req in upstream.wait_for_requests(30)]
    assert sent_up == ids


def test_request_id_on_relais_errors(relais):
    for method, target in (("GET", "/nope"), ("DELETE", "/v1/items/1")):
        r = httpclient.request(relais.public_port, method, target)
        assert r.status in (404, 405)
        assert request_id_ok(r.header("X-Request-Id"))


def test_request_id_on_health_endpoints(relais):
    for port in (relais.public_port, relais.admin_port):
        r = httpclient.request(port, "GET", "/healthz")
        assert r.status == 200
        assert request_id_ok(r.header("X-Request-Id")), (port, r.headers)


TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_traceparent_passes_through_unchanged(relais, upstream):
    r = httpclient.request(relais.public_port, "GET", "/v1/items/1",
                           headers=[("traceparent", TRACEPARENT), ("tracestate", "vendor=abc")])
    assert r.status == 200
    (req,) = upstream.wait_for_requests(1)
    assert req.header_all("traceparent") == [TRACEPARENT]
    assert req.header_all("tracestate") == ["vendor=abc"]
