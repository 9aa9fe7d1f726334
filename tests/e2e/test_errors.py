"""Errors relais produces itself: 404, 405 (+Allow), 413, 431, 502, 504, each as
the DESIGN §3 JSON envelope with the request id, and none reaching the
upstream when relais answers on its own."""

import time

import pytest

from harness import httpclient
from harness.relais import assert_allow, assert_envelope
from harness.upstream import Resp


def envelope(r, status, code):
    return assert_envelope(r.status, r, r.body, status, code)


@pytest.mark.parametrize("target", ["/nope", "/v1/items", "/v1/items/1/extra", "/v1/itemz/1", "/"])
def test_unknown_path_is_404_envelope(relais, upstream, target):
    r = httpclient.request(relais.public_port, "GET", target)
    envelope(r, 404, "not_found")
    assert upstream.requests == []


@pytest.mark.parametrize("method", ["DELETE", "POST", "PATCH"])
def test_wrong_method_is_405_with_allow(relais, upstream, method):
    body = b"{}" if method != "DELETE" else None
    r = httpclient.request(relais.public_port, method, "/v1/items/1", body=body)
    envelope(r, 405, "method_not_allowed")
    # GET implies HEAD (as nginx and h2o do), so HEAD may be listed too
    assert_allow(r.header("Allow"), {"GET", "PUT"})
    assert upstream.requests == []


def test_keep_alive_survives_404_and_405(relais, upstream):
    # HTTP/1.1 keep-alive: an API client that gets a 404 should not pay a new
    # connection for its next request (413/431 may close: the body is unread)
    with httpclient.Conn(relais.public_port) as c:
        envelope(c.request("GET", "/nope"), 404, "not_found")
        envelope(c.request("DELETE", "/v1/items/1"), 405, "method_not_allowed")
        r = c.request("GET", "/v1/items/1")
        assert r.status == 200 and r.body == b"ok"


def test_client_request_id_is_kept_on_errors(relais):
    r = httpclient.request(relais.public_port, "GET", "/nope", headers=[("X-Request-Id", "err-id-42")])
    env = envelope(r, 404, "not_found")
    assert env["error"]["request_id"] == "err-id-42"


LIMITS = {"max_body": "64KiB", "max_header": "4KiB", "request_timeout": "60s", "shutdown_timeout": "10s"}


@pytest.fixture
def limited(relais_factory):
    return relais_factory(limits=LIMITS)


def test_body_at_max_body_passes(limited, upstream):
    body = b"a" * (64 << 10)
    r = httpclient.request(limited.public_port, "PUT", "/files/limit", body=body)
    assert r.status == 200, r.body[:300]
    (req,) = upstream.wait_for_requests(1)
    assert req.body == body


def test_body_over_max_body_with_content_length_is_413(limited, upstream):
    body = b"a" * ((64 << 10) + 1)
    with httpclient.Conn(limited.public_port) as c:
        httpclient.send_tolerant(c, c.build("PUT", "/files/limit", body=body))
        r = c.read_response("PUT")
    envelope(r, 413, "payload_too_large")
    assert upstream.requests == []


def test_chunked_body_over_max_body_is_413(limited, upstream):
    chunks = [b"b" * 10000] * 10  # 100,000 bytes > 64 KiB, length unknown up front
    with httpclient.Conn(limited.public_port) as c:
        httpclient.send_tolerant(c, c.build("POST", "/files/limit", chunks=chunks))
        r = c.read_response("POST")
    envelope(r, 413, "payload_too_large")
    for req in upstream.requests:  # if relais started forwarding, the upstream never got it all
        assert len(req.body) < 100000


def test_headers_under_max_header_pass(limited, upstream):
    headers = [(f"X-Fill-{i}", "v" * 100) for i in range(15)]  # about 1.7 KiB
    r = httpclient.request(limited.public_port, "GET", "/files/h", headers=headers)
    assert r.status == 200
    (req,) = upstream.wait_for_requests(1)
    assert req.header("X-Fill-14") == "v" * 100


@pytest.mark.parametrize("headers", [
    [("X-Big", "x" * 6000)],
    [(f"X-Many-{i}", "y" * 200) for i in range(40)],
], ids=["one-big-header", "many-headers"])
def test_headers_over_max_header_is_431(limited, upstream, headers):
    r = httpclient.request(limited.public_port, "GET", "/files/h", headers=headers)
    envelope(r, 431, "headers_too_large")
    assert upstream.requests == []


def test_upstream_refusing_is_502(relais_factory, refused_port):
    inst = relais_factory(providers={"backend": {"base_url": f"http://127.0.0.1:{refused_port}",
                                                 "timeout": {"connect": "2s", "total": "5s"}}})
    r = httpclient.request(inst.public_port, "GET", "/v1/items/1", headers=[("X-Request-Id", "down-1")])
    env = envelope(r, 502, "upstream_error")
    assert env["error"]["request_id"] == "down-1"


def test_upstream_closing_without_answer_is_502(relais, upstream):
    upstream.on("/files/drop", Resp(close_without_answer=True))
    r = httpclient.request(relais.public_port, "GET", "/files/drop")
    envelope(r, 502, "upstream_error")


def test_upstream_too_slow_is_504(relais_factory, upstream):
    upstream.on("/internal/items/slow", Resp(delay=4.0, body=b"late"))
    inst = relais_factory(providers={"backend": {"base_url": upstream.url, "retry": {"attempts": 1},
                                                 "timeout": {"connect": "2s", "total": "1s"}}})
    r = httpclient.request(inst.public_port, "GET", "/v1/items/slow", timeout=15)
    answered = time.monotonic()
    envelope(r, 504, "upstream_timeout")
    (req,) = upstream.wait_for_requests(1)
    assert answered < req.received_at + 4.0, "504 came after the upstream would have answered"


def test_error_messages_leak_no_secret(relais_factory, refused_port):
    from harness.relais import ADMIN_TOKEN, SECRET_KEY
    inst = relais_factory(providers={"backend": {"base_url": f"http://127.0.0.1:{refused_port}",
                                                 "timeout": {"connect": "2s", "total": "5s"}}})
    for target in ("/v1/items/1", "/nope"):
        r = httpclient.request(inst.public_port, "GET", target)
        assert SECRET_KEY.encode() not in r.body and ADMIN_TOKEN.encode() not in r.body
