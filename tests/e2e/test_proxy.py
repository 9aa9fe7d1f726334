"""Proxying: what the upstream receives (method, rewritten path, query, headers
minus hop-by-hop, X-Forwarded-*, Host, body) and what the client gets back
(status, headers and body unchanged, plus X-Request-Id and X-Relais-Provider).
"""

import hashlib
import os

import pytest
import requests

from harness import httpclient
from harness.relais import assert_allow
from harness.upstream import Resp

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def xff(req) -> list:
    joined = ", ".join(req.header_all("X-Forwarded-For"))
    return [p.strip() for p in joined.split(",") if p.strip()]


# -- what the upstream receives ----------------------------------------------

def test_upstream_receives_exact_request(relais, upstream):
    body = b'{"name": "widget", "price": 12.5}'
    query = "b=2&a=1&a=3&enc=%2F%20x&plus=a+b&empty=&flag"
    sent = [
        ("Host", "gateway.example.test:8443"),
        ("User-Agent", "e2e-client/1.0"),
        ("Accept", "application/json"),
        ("Content-Type", "application/json"),
        ("Authorization", "Bearer client-token-123"),
        ("X-Custom", "Some Value  with  inner  spaces"),
        ("X-Multi", "one"),
        ("X-Multi", "two"),
        ("X-Forwarded-For", "203.0.113.7"),
        ("X-Request-Id", "exact-req-1"),
        ("traceparent", TRACEPARENT),
        # hop-by-hop: none of these may reach the upstream
        ("Connection", "keep-alive, X-Drop-Me"),
        ("X-Drop-Me", "connection-scoped"),
        ("Keep-Alive", "timeout=5, max=100"),
        ("Proxy-Connection", "keep-alive"),
        ("TE", "trailers"),
        ("Trailer", "X-Checksum"),
    ]
    r = httpclient.request(relais.public_port, "PUT", f"/v1/items/42?{query}", headers=sent, body=body)
    assert r.status == 200, r.body
    assert r.header("X-Request-Id") == "exact-req-1"
    (req,) = upstream.wait_for_requests(1)

    assert req.method == "PUT"
    assert req.target == f"/internal/items/42?{query}"
    assert req.version == "HTTP/1.1"
    assert req.header_all("Host") == [f"127.0.0.1:{upstream.port}"]
    assert xff(req) == ["203.0.113.7", "127.0.0.1"]
    assert req.header_all("X-Forwarded-Proto") == ["http"]
    assert req.header_all("X-Forwarded-Host") == ["gateway.example.test:8443"]
    assert req.header_all("X-Request-Id") == ["exact-req-1"]
    assert req.header_all("traceparent") == [TRACEPARENT]
    for name in ("User-Agent", "Accept", "Content-Type", "Authorization", "X-Custom"):
        assert req.header_all(name) == [dict(sent)[name]], name
    multi = [v.strip() for v in ", ".join(req.header_all("X-Multi")).split(",")]
    assert multi == ["one", "two"]

    names = req.header_names()
    for hop in ("x-drop-me", "keep-alive", "proxy-connection", "te", "trailer", "upgrade"):
        assert hop not in names, f"hop-by-hop header {hop} reached the upstream: {req.headers}"
    assert "x-drop-me" not in (req.header("Connection") or "").lower()

    # the body, byte for byte, framed as the client framed it
    assert req.body == body
    assert req.header_all("Content-Length") == [str(len(body))]
    assert "transfer-encoding" not in names

    expected = {"host", "user-agent", "accept", "content-type", "authorization", "x-custom", "x-multi",
                "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-request-id", "traceparent",
                "content-length"}
    extra = names - expected - {"connection"}  # relais may manage its own upstream connection
    missing = expected - names
    assert not extra and not missing, f"extra headers {extra}, missing {missing}: {req.headers}"


def test_upgrade_header_is_not_forwarded(relais, upstream):
    r = httpclient.request(relais.public_port, "GET", "/files/up",
                           headers=[("Connection", "Upgrade"), ("Upgrade", "foo/1")])
    assert r.status == 200
    (req,) = upstream.wait_for_requests(1)
    assert "upgrade" not in req.header_names(), req.headers
    assert "upgrade" not in (req.header("Connection") or "").lower()


def test_x_forwarded_for_without_client_value(relais, upstream):
    r = requests.get(relais.url("/files/a"), timeout=10)
    assert r.status_code == 200
    (req,) = upstream.wait_for_requests(1)
    assert xff(req) == ["127.0.0.1"]
    assert req.header("X-Forwarded-Proto") == "http"
    assert req.header("X-Forwarded-Host") == f"127.0.0.1:{relais.public_port}"


@pytest.mark.parametrize("client_target, upstream_target", [
    ("/v1/items/abc-123", "/internal/items/abc-123"),
    ("/v1/items/7?x=1&y=2", "/internal/items/7?x=1&y=2"),
    ("/api/a/b/c.json?q=%2A", "/backend/a/b/c.json?q=%2A"),
    ("/api/a%20b/c%2Fd", "/backend/a%20b/c%2Fd"),
    # unreserved characters are decoded, other encodings kept in upper case (RFC 3986 §6.2.2)
    ("/v1/%69tems/%61bc%2d1?q=%61", "/internal/items/abc-1?q=%61"),
    ("/api/a%2fb/%7e", "/backend/a%2Fb/~"),
    ("/files/x/y/z.txt", "/files/x/y/z.txt"),
    ("/files/x?download=1", "/files/x?download=1"),
])
def test_path_rewrite_and_query(relais, upstream, client_target, upstream_target):
    r = httpclient.request(relais.public_port, "GET", client_target)
    assert r.status == 200, r.body
    (req,) = upstream.wait_for_requests(1)
    assert req.target == upstream_target


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
def test_method_is_forwarded(relais, upstream, method):
    body = None if method in ("GET", "DELETE") else b"payload-" + method.encode()
    r = httpclient.request(relais.public_port, method, "/files/m", body=body)
    assert r.status == 200
    (req,) = upstream.wait_for_requests(1)
    assert req.method == method
    assert req.body == (body or b"")


def test_env_substitution_reaches_the_proxy(relais_factory, upstream):
    def cfg(inst):
        c = inst.config("http://127.0.0.1:${E2E_UPSTREAM_PORT}")
        c["routes"].append({"name": "envpath", "match": {"path": "/env/{rest*}"},
                            "upstream": {"targets": ["backend"], "path": "${E2E_UNSET_PREFIX:-/dflt}/{rest*}"}})
        return c
    from harness.relais import base_env
    inst = relais_factory(cfg, environ=base_env(E2E_UPSTREAM_PORT=str(upstream.port)))
    r = requests.get(inst.url("/env/a/b"), timeout=10)
    assert r.status_code == 200
    (req,) = upstream.wait_for_requests(1)
    assert req.target == "/dflt/a/b"


# -- what the client gets back --------------------------------------------------

STATUS_CASES = {
    201: Resp(201, headers=[("Location", "/things/9"), ("Content-Type", "application/json"),
                            ("X-Upstream-Test", "created"), ("Set-Cookie", "a=1; Path=/"),
                            ("Set-Cookie", "b=2; HttpOnly")], body=b'{"id": 9}'),
    204: Resp(204, headers=[("X-Upstream-Test", "empty")]),
    301: Resp(301, headers=[("Location", "http://127.0.0.1:1/elsewhere"), ("X-Upstream-Test", "moved"),
                            ("Content-Type", "text/html")], body=b"<a href=/elsewhere>moved</a>"),
    404: Resp(404, headers=[("Content-Type", "application/problem+json"), ("X-Upstream-Test", "missing")],
              body=b'{"type": "backend-404", "detail": "no such thing"}'),
    500: Resp(500, headers=[("Content-Type", "text/plain"), ("X-Upstream-Test", "boom"),
                            ("Cache-Control", "no-store")], body=b"backend exploded"),
}


@pytest.mark.parametrize("status", sorted(STATUS_CASES))
def test_status_headers_body_pass_through(relais, upstream, status):
    resp = STATUS_CASES[status]
    upstream.on(f"/files/s{status}", resp)
    method, body = ("POST", b"create") if status == 201 else ("GET", None)
    r = httpclient.request(relais.public_port, method, f"/files/s{status}", body=body)
    assert r.status == status, (r.status, r.body[:300])
    assert r.body == resp.body
    for name, value in resp.headers:
        assert value in r.header_all(name), f"{name}: {value} missing from {r.headers}"
    assert r.header_all("Set-Cookie") == [v for k, v in resp.headers if k == "Set-Cookie"]
    assert r.header("X-Relais-Provider") == "backend"
    assert r.header("X-Request-Id")
    if status == 204:
        assert r.header("Content-Length") in (None, "0")
    # relais neither followed the redirect nor retried anything
    assert len(upstream.requests) == 1


def test_5mib_bodies_byte_for_byte_with_content_length(relais, upstream):
    req_body, resp_body = os.urandom(5 << 20), os.urandom(5 << 20)
    upstream.on("/files/blob", Resp(headers=[("Content-Type", "application/octet-stream")], body=resp_body))
    r = requests.put(relais.url("/files/blob"), data=req_body, timeout=60,
                     headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 200
    (req,) = upstream.wait_for_requests(1)
    assert len(req.body) == len(req_body) and sha(req.body) == sha(req_body)
    assert len(r.content) == len(resp_body) and sha(r.content) == sha(resp_body)


def test_5mib_bodies_byte_for_byte_chunked(relais, upstream):
    req_body, resp_body = os.urandom(5 << 20), os.urandom(5 << 20)
    step = 64 << 10
    upstream.on("/files/blob-chunked", Resp(
        headers=[("Content-Type", "application/octet-stream")], framing="chunked",
        chunks=[resp_body[i:i + step] for i in range(0, len(resp_body), step)]))
    gen = (req_body[i:i + step] for i in range(0, len(req_body), step))
    r = requests.post(relais.url("/files/blob-chunked"), data=gen, timeout=60)  # chunked request
    assert r.status_code == 200
    (req,) = upstream.wait_for_requests(1)
    assert len(req.body) == len(req_body) and sha(req.body) == sha(req_body)
    assert len(r.content) == len(resp_body) and sha(r.content) == sha(resp_body)


def test_upstream_connections_are_reused(relais, upstream):
    n = 40
    for i in range(n):  # a new client connection each time: requests spread over workers
        r = requests.get(relais.url(f"/files/ka{i}"), timeout=10, headers={"Connection": "close"})
        assert r.status_code == 200
    with requests.Session() as s:  # and one keep-alive client connection
        for i in range(n):
            assert s.get(relais.url(f"/files/kb{i}"), timeout=10).status_code == 200
    upstream.wait_for_requests(2 * n)
    # 2 workers, one pool each: a handful of connections, not one per request
    assert upstream.connections <= 6, f"{upstream.connections} upstream connections for {2 * n} requests"


def test_client_keep_alive_serves_many_requests_on_one_connection(relais, upstream):
    with httpclient.Conn(relais.public_port) as c:
        for i in range(20):
            r = c.request("GET", f"/files/same-conn-{i}")
            assert r.status == 200 and r.body == b"ok"
    assert len(upstream.wait_for_requests(20)) == 20


def test_expect_100_continue_upload(relais, upstream, tmp_path):
    # curl sends `Expect: 100-continue` for a large HTTP/1.1 upload
    import subprocess
    payload = os.urandom(3 << 20)
    src = tmp_path / "up.bin"
    src.write_bytes(payload)
    p = subprocess.run(["curl", "-sS", "--http1.1", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "20",
                        "-H", "Expect: 100-continue", "--data-binary", f"@{src}", relais.url("/files/expect")],
                       capture_output=True, text=True, timeout=30)
    assert p.stdout == "200", (p.stdout, p.stderr)
    (req,) = upstream.wait_for_requests(1)
    assert sha(req.body) == sha(payload)


def test_router_most_specific_template_wins(relais_factory, upstream):
    def route(name, path, target, methods=None):
        match = {"path": path}
        if methods:
            match["methods"] = methods
        return {"name": name, "match": match, "upstream": {"targets": ["backend"], "path": target}}

    inst = relais_factory(routes=[
        route("rest", "/p/{rest*}", "/rest/{rest*}"),
        route("param", "/p/{id}", "/param/{id}"),
        route("literal", "/p/fixed", "/literal"),
        route("deep", "/p/{id}/sub", "/deep/{id}"),
        route("m-get", "/m/{id}", "/get/{id}", ["GET"]),
        route("m-post", "/m/{id}", "/post/{id}", ["POST"]),
    ])
    cases = [("GET", "/p/fixed", "/literal"), ("GET", "/p/abc", "/param/abc"),
             ("GET", "/p/abc/def", "/rest/abc/def"), ("GET", "/p/abc/sub", "/deep/abc"),
             ("GET", "/m/1", "/get/1"), ("POST", "/m/2", "/post/2")]
    for method, target, want in cases:
        r = httpclient.request(inst.public_port, method, target, body=b"" if method == "POST" else None)
        assert r.status == 200, (target, r.status, r.body[:200])
        assert upstream.requests[-1].target == want, (target, upstream.requests[-1].target)
    r = httpclient.request(inst.public_port, "DELETE", "/m/3")
    assert r.status == 405
    assert_allow(r.header("Allow"), {"GET", "POST"})


def test_base_url_path_prefix_is_prepended(relais_factory, upstream):
    inst = relais_factory(providers={"backend": {"base_url": f"{upstream.url}/prefix",
                                                 "timeout": {"connect": "2s", "total": "5s"}}})
    r = httpclient.request(inst.public_port, "GET", "/v1/items/4?z=9")
    assert r.status == 200
    (req,) = upstream.wait_for_requests(1)
    assert req.target == "/prefix/internal/items/4?z=9"
    assert req.header("Host") == f"127.0.0.1:{upstream.port}"


def test_relais_listen_env_overrides_public_listener(relais_factory, upstream):
    from harness.relais import base_env, free_port
    port = free_port()
    inst = relais_factory(start=False, environ=base_env(RELAIS_LISTEN=f"127.0.0.1:{port}"))
    inst.public_port = port  # the config still names the other port
    inst.start()
    assert requests.get(inst.url("/files/l"), timeout=10).status_code == 200
