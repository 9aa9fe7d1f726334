"""Self-tests of the harness (no relais needed): the recording upstream records
exactly what it received and answers as scripted, the raw client sees what
was sent, the YAML writer writes what the configs mean. If these fail, every
other result of the suite is suspect."""

import hashlib
import os
import threading
import time

import pytest
import requests

from harness import httpclient, yamlgen
from harness.relais import is_refused
from harness.upstream import Resp


def test_upstream_records_exact_head_and_body(upstream):
    body = b"hello \x00\xff world"
    r = httpclient.request(upstream.port, "POST", "/a/b?x=1&y=%20z",
                           headers=[("X-Case-Kept", "V1"), ("x-dup", "1"), ("X-Dup", "2")], body=body)
    assert r.status == 200 and r.body == b"ok"
    (req,) = upstream.wait_for_requests(1)
    assert req.method == "POST" and req.path == "/a/b" and req.query == "x=1&y=%20z"
    assert req.version == "HTTP/1.1"
    assert req.headers[0] == ("Host", f"127.0.0.1:{upstream.port}")
    assert ("X-Case-Kept", "V1") in req.headers
    assert req.header_all("x-dup") == ["1", "2"]
    assert req.body == body and req.body_raw == body and not req.chunked
    assert req.raw_head.startswith(b"POST /a/b?x=1&y=%20z HTTP/1.1\r\nHost: ")
    assert req.raw_head.endswith(b"\r\n\r\n")


def test_upstream_decodes_chunked_request_and_answers_expect(upstream):
    pieces = [b"abc", os.urandom(70000), b"z"]
    r = httpclient.request(upstream.port, "PUT", "/c", headers=[("Expect", "100-continue")], chunks=pieces)
    assert r.status == 200
    assert [i.status for i in r.interim] == [100]
    (req,) = upstream.wait_for_requests(1)
    assert req.chunked and req.body == b"".join(pieces)
    assert req.body_raw.startswith(b"3\r\nabc\r\n") and req.body_raw.endswith(b"0\r\n\r\n")


def test_upstream_scripted_statuses_headers_bodies(upstream):
    upstream.on("/created", Resp(201, headers=[("Location", "/x/1"), ("Set-Cookie", "a=1"),
                                               ("Set-Cookie", "b=2")], body=b'{"id":1}'))
    upstream.on("/empty", Resp(204, headers=[("X-Empty", "yes")]))
    upstream.on("/pre/*", Resp(418, body=b"teapot"))
    r = httpclient.request(upstream.port, "POST", "/created", body=b"")
    assert r.status == 201 and r.body == b'{"id":1}'
    assert r.header_all("set-cookie") == ["a=1", "b=2"] and r.header("location") == "/x/1"
    r = httpclient.request(upstream.port, "DELETE", "/empty")
    assert r.status == 204 and r.body == b"" and r.header("content-length") is None
    r = httpclient.request(upstream.port, "GET", "/pre/deep/er")
    assert r.status == 418 and r.body == b"teapot"


def test_upstream_streams_chunks_with_delays(upstream):
    upstream.on("/sse", Resp(headers=[("Content-Type", "text/event-stream")], framing="chunked",
                             chunks=[b"data: 1\n\n", (0.5, b"data: 2\n\n")]))
    with httpclient.Conn(upstream.port) as c:
        head, pieces = c.stream("GET", "/sse")
        assert head.header("transfer-encoding") == "chunked"
        got = list(pieces)
    (req,) = upstream.wait_for_requests(1)
    assert b"".join(p for _, p in got) == b"data: 1\n\ndata: 2\n\n"
    first_at = got[0][0]
    second_sent_at = req.sent_log[1][0]
    assert got[0][1].startswith(b"data: 1")
    assert first_at < second_sent_at, "the first event must reach the client before the second is sent"
    # the upstream thread stamps response_done_at just after its last write,
    # which the client may have read before the stamp lands: wait for it
    deadline = time.monotonic() + 5
    while req.response_done_at is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert req.response_done_at is not None and req.response_done_at >= second_sent_at


def test_upstream_close_delimited_and_close_without_answer(upstream):
    upstream.on("/close", Resp(framing="close", chunks=[b"part1-", (0.1, b"part2")]))
    upstream.on("/drop", Resp(close_without_answer=True))
    r = httpclient.request(upstream.port, "GET", "/close")
    assert r.status == 200 and r.body == b"part1-part2" and r.header("content-length") is None
    with pytest.raises(httpclient.ConnectionClosed):
        httpclient.request(upstream.port, "GET", "/drop")


def test_upstream_delay_and_gate(upstream):
    gate = threading.Event()
    upstream.on("/gated", Resp(body=b"g", gate=gate))
    upstream.on("/slow", Resp(body=b"s", delay=0.3))
    t0 = time.monotonic()
    assert httpclient.request(upstream.port, "GET", "/slow").body == b"s"
    assert time.monotonic() - t0 >= 0.3
    result = {}
    th = threading.Thread(target=lambda: result.setdefault("r", httpclient.request(upstream.port, "GET", "/gated")))
    th.start()
    upstream.wait_for_requests(2)
    assert "r" not in result
    gate.set()
    th.join(5)
    assert result["r"].body == b"g"


def test_upstream_counts_connections_and_keeps_alive(upstream):
    with httpclient.Conn(upstream.port) as c:
        for i in range(5):
            assert c.request("GET", f"/k{i}").status == 200
    with requests.Session() as s:
        for i in range(5):
            assert s.get(f"{upstream.url}/s{i}", timeout=5).status_code == 200
    reqs = upstream.wait_for_requests(10)
    assert upstream.connections == 2
    assert [r.index_on_conn for r in reqs[:5]] == [0, 1, 2, 3, 4]
    assert len({r.conn_id for r in reqs}) == 2


def test_upstream_large_bodies_both_ways(upstream):
    big_out = os.urandom(5 << 20)
    upstream.on("/big", Resp(headers=[("Content-Type", "application/octet-stream")], body=big_out))
    big_in = os.urandom(5 << 20)
    r = requests.put(f"{upstream.url}/big", data=big_in, timeout=20)
    (req,) = upstream.wait_for_requests(1)
    assert hashlib.sha256(req.body).digest() == hashlib.sha256(big_in).digest()
    assert hashlib.sha256(r.content).digest() == hashlib.sha256(big_out).digest()


def test_refused_port_is_refused(refused_port):
    assert is_refused(refused_port)


def test_yaml_writer_quotes_only_what_needs_it():
    text = yamlgen.dump({
        "listen": {"public": "127.0.0.1:8080"},
        "cors": {"allow_origins": ["*", "https://a.example"], "allow_credentials": False},
        "routes": [{"name": "r", "match": {"path": "/v1/items/{id}", "methods": ["GET", "PUT"]}}],
        "secret_key": "${RELAIS_SECRET_KEY}",
        "empty": "",
    })
    assert text == (
        "listen:\n"
        "  public: 127.0.0.1:8080\n"
        "cors:\n"
        '  allow_origins: ["*", "https://a.example"]\n'
        "  allow_credentials: false\n"
        "routes:\n"
        "  - name: r\n"
        "    match:\n"
        "      path: /v1/items/{id}\n"
        "      methods: [GET, PUT]\n"
        "secret_key: ${RELAIS_SECRET_KEY}\n"
        'empty: ""\n'
    )
