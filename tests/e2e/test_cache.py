"""Response cache (route `cache`): a hit never reaches the upstream (counted),
X-Relais-Cache HIT/MISS, normalized query, vary headers, invalidation after a
successful write (path and parent collection), Cache-Control no-store /
private, Set-Cookie and 5xx never cached, no leak between callers, HEAD from
the GET entry, ttl expiry, and the memory bound."""

import json
import socket
import time

import requests

from harness import httpclient
from harness.relais import ADMIN_TOKEN
from harness.upstream import Resp

ITEM = b'{"id": 42, "name": "widget", "price": 12.5}'


def cfg(inst, upstream, **cache):
    c = {"ttl": "60s", **cache}
    return inst.config(upstream.url, routes=[
        {"name": "items", "match": {"path": "/v1/items/{id}", "methods": ["GET", "PUT", "PATCH", "DELETE"]},
         "upstream": {"targets": ["backend"], "path": "/internal/items/{id}"}, "cache": c},
        {"name": "list", "match": {"path": "/v1/items", "methods": ["GET", "POST"]},
         "upstream": {"targets": ["backend"], "path": "/internal/items"}, "cache": c},
        {"name": "plain", "match": {"path": "/v1/plain"}, "upstream": {"targets": ["backend"]}},
    ])


def make(relais_factory, upstream, **cache):
    return relais_factory(cfg=lambda inst: cfg(inst, upstream, **cache))


def counting(upstream, path, body=ITEM, headers=None, status=200):
    """Answers `path` with a body that carries a counter, so that a test can
    tell which upstream answer it got."""
    n = {"count": 0}

    def handler(req):
        n["count"] += 1
        h = [("Content-Type", "application/json")] + list(headers or [])
        return Resp(status, headers=h, body=body.replace(b"}", b', "n": %d}' % n["count"], 1))

    upstream.on(path, handler)
    return n


def get(inst, target, headers=None, method="GET"):
    return httpclient.request(inst.public_port, method, target, headers=headers)


def test_hit_does_not_reach_upstream(relais_factory, upstream):
    n = counting(upstream, "/internal/items/42")
    inst = make(relais_factory, upstream)
    r1 = get(inst, "/v1/items/42")
    assert r1.status == 200
    assert r1.header("X-Relais-Cache") == "MISS"
    r2 = get(inst, "/v1/items/42")
    assert r2.status == 200
    assert r2.header("X-Relais-Cache") == "HIT"
    assert r2.body == r1.body
    assert json.loads(r2.body)["n"] == 1
    assert r2.header("Content-Type") == "application/json"
    assert r2.header("ETag") == r1.header("ETag") and r1.header("ETag")
    assert r2.header("X-Request-Id") and r2.header("X-Request-Id") != r1.header("X-Request-Id")
    assert r2.header("Age") is not None
    assert n["count"] == 1
    assert len(upstream.requests) == 1
    # a route without cache has no X-Relais-Cache
    assert get(inst, "/v1/plain").header("X-Relais-Cache") is None


def test_query_is_normalized_and_part_of_the_key(relais_factory, upstream):
    n = counting(upstream, "/internal/items")
    inst = make(relais_factory, upstream)
    assert get(inst, "/v1/items?b=2&a=1").header("X-Relais-Cache") == "MISS"
    assert get(inst, "/v1/items?a=1&b=2").header("X-Relais-Cache") == "HIT"
    assert get(inst, "/v1/items?a=1&b=3").header("X-Relais-Cache") == "MISS"
    assert n["count"] == 2
    # the upstream got the query as the client sent it
    assert upstream.requests[0].target == "/internal/items?b=2&a=1"


def test_percent_encoded_spellings_share_one_entry(relais_factory, upstream):
    # /v1/items/%34%32 is /v1/items/42 (RFC 3986 §6.2.2.2): one entry, and a
    # write through either spelling invalidates it
    upstream.on("/internal/items/42", lambda r: Resp(204) if r.method == "PUT" else
                Resp(200, headers=[("Content-Type", "application/json")], body=ITEM))
    inst = make(relais_factory, upstream)
    assert get(inst, "/v1/items/42").header("X-Relais-Cache") == "MISS"
    assert get(inst, "/v1/items/%34%32").header("X-Relais-Cache") == "HIT"
    put = httpclient.request(inst.public_port, "PUT", "/v1/items/%34%32", body=b"{}")
    assert put.status == 204
    assert get(inst, "/v1/items/42").header("X-Relais-Cache") == "MISS"
    assert [q.target for q in upstream.requests] == ["/internal/items/42"] * 3


def test_head_is_answered_from_the_get_entry(relais_factory, upstream):
    n = counting(upstream, "/internal/items/42")
    inst = make(relais_factory, upstream)
    body = get(inst, "/v1/items/42").body
    r = get(inst, "/v1/items/42", method="HEAD")
    assert r.status == 200
    assert r.header("X-Relais-Cache") == "HIT"
    assert r.header("Content-Length") == str(len(body))
    assert r.body == b""
    assert n["count"] == 1


def test_invalidation_after_put(relais_factory, upstream):
    n_item = counting(upstream, "/internal/items/42")
    n_list = counting(upstream, "/internal/items", body=b'{"data": []}')
    upstream.on("/internal/items/7", Resp(200, headers=[("Content-Type", "application/json")], body=b'{"id":7}'))
    inst = make(relais_factory, upstream)
    for _ in range(2):
        get(inst, "/v1/items/42")
        get(inst, "/v1/items")
        get(inst, "/v1/items/7")
    assert n_item["count"] == 1 and n_list["count"] == 1
    put = httpclient.request(inst.public_port, "PUT", "/v1/items/42", body=b'{"name": "new"}',
                             headers=[("Content-Type", "application/json")])
    assert put.status == 200
    r = get(inst, "/v1/items/42")
    assert r.header("X-Relais-Cache") == "MISS"
    assert json.loads(r.body)["n"] == 3  # the PUT itself was the second upstream call on this path
    assert get(inst, "/v1/items").header("X-Relais-Cache") == "MISS"  # the parent collection too
    assert get(inst, "/v1/items/7").header("X-Relais-Cache") == "HIT"  # a sibling is untouched
    assert get(inst, "/v1/items/42").header("X-Relais-Cache") == "HIT"


def test_failed_write_does_not_invalidate(relais_factory, upstream):
    calls = {"get": 0}

    def handler(req):
        if req.method == "GET":
            calls["get"] += 1
            return Resp(200, headers=[("Content-Type", "application/json")], body=b'{"id":42}')
        return Resp(409, headers=[("Content-Type", "application/json")], body=b'{"error":"conflict"}')

    upstream.on("/internal/items/42", handler)
    inst = make(relais_factory, upstream)
    get(inst, "/v1/items/42")
    assert httpclient.request(inst.public_port, "DELETE", "/v1/items/42").status == 409
    assert get(inst, "/v1/items/42").header("X-Relais-Cache") == "HIT"
    assert calls["get"] == 1


def test_post_invalidates_the_collection(relais_factory, upstream):
    n_list = counting(upstream, "/internal/items", body=b'{"data": []}')
    inst = make(relais_factory, upstream)
    get(inst, "/v1/items")
    assert get(inst, "/v1/items").header("X-Relais-Cache") == "HIT"
    assert httpclient.request(inst.public_port, "POST", "/v1/items", body=b"{}").status == 200
    assert get(inst, "/v1/items").header("X-Relais-Cache") == "MISS"
    assert n_list["count"] == 3


def test_no_store_private_set_cookie_and_5xx_are_not_cached(relais_factory, upstream):
    cases = {
        "/internal/items/1": Resp(200, headers=[("Cache-Control", "no-store")], body=b"a"),
        "/internal/items/2": Resp(200, headers=[("Cache-Control", "private, max-age=60")], body=b"b"),
        "/internal/items/3": Resp(200, headers=[("Set-Cookie", "sid=abc")], body=b"c"),
        "/internal/items/4": Resp(500, body=b"d"),
        "/internal/items/5": Resp(501, body=b"e"),  # cacheable by default, but a 5xx
        "/internal/items/6": Resp(200, headers=[("Cache-Control", "no-cache")], body=b"f"),
    }
    for path, resp in cases.items():
        upstream.on(path, resp)
    inst = make(relais_factory, upstream)
    for i in range(1, 7):
        for _ in range(2):
            r = get(inst, f"/v1/items/{i}")
            assert r.header("X-Relais-Cache") == "MISS", (i, r.status)
    assert len(upstream.requests) == 12
    # a 404 is cacheable (RFC 9110 §15.1)
    upstream.on("/internal/items/9", Resp(404, body=b"nope"))
    assert get(inst, "/v1/items/9").status == 404
    r = get(inst, "/v1/items/9")
    assert r.status == 404 and r.header("X-Relais-Cache") == "HIT" and r.body == b"nope"


def test_max_age_shortens_the_ttl(relais_factory, upstream):
    n = counting(upstream, "/internal/items/42", headers=[("Cache-Control", "max-age=1")])
    inst = make(relais_factory, upstream)
    get(inst, "/v1/items/42")
    assert get(inst, "/v1/items/42").header("X-Relais-Cache") == "HIT"
    time.sleep(1.2)
    assert get(inst, "/v1/items/42").header("X-Relais-Cache") == "MISS"
    assert n["count"] == 2


def test_ttl_expires(relais_factory, upstream):
    n = counting(upstream, "/internal/items/42")
    inst = make(relais_factory, upstream, ttl="500ms")
    get(inst, "/v1/items/42")
    assert get(inst, "/v1/items/42").header("X-Relais-Cache") == "HIT"
    time.sleep(0.7)
    assert get(inst, "/v1/items/42").header("X-Relais-Cache") == "MISS"
    assert n["count"] == 2


def test_no_cross_consumer_leak(relais_factory, upstream):
    def handler(req):
        who = req.header("Authorization") or req.header("Cookie") or "nobody"
        return Resp(200, headers=[("Content-Type", "application/json")],
                    body=json.dumps({"private_for": who}).encode())

    upstream.on("/internal/items/42", handler)
    inst = make(relais_factory, upstream)
    alice = [("Authorization", "Bearer alice")]
    bob = [("Authorization", "Bearer bob")]
    assert get(inst, "/v1/items/42", alice).json() == {"private_for": "Bearer alice"}
    r = get(inst, "/v1/items/42", bob)
    assert r.json() == {"private_for": "Bearer bob"} and r.header("X-Relais-Cache") == "MISS"
    r = get(inst, "/v1/items/42")
    assert r.json() == {"private_for": "nobody"} and r.header("X-Relais-Cache") == "MISS"
    r = get(inst, "/v1/items/42", [("Cookie", "sid=carol")])
    assert r.json() == {"private_for": "sid=carol"} and r.header("X-Relais-Cache") == "MISS"
    # each caller hits only its own entry
    assert get(inst, "/v1/items/42", alice).json() == {"private_for": "Bearer alice"}
    assert get(inst, "/v1/items/42", bob).json() == {"private_for": "Bearer bob"}
    assert get(inst, "/v1/items/42", bob).header("X-Relais-Cache") == "HIT"
    assert get(inst, "/v1/items/42").json() == {"private_for": "nobody"}
    assert len(upstream.requests) == 4


def test_public_routes_share_entries(relais_factory, upstream):
    n = counting(upstream, "/internal/items/42")
    inst = make(relais_factory, upstream, key_by_consumer=False)
    get(inst, "/v1/items/42", [("Authorization", "Bearer alice")])
    r = get(inst, "/v1/items/42", [("Authorization", "Bearer bob")])
    assert r.header("X-Relais-Cache") == "HIT"
    assert n["count"] == 1


def test_vary_headers_are_part_of_the_key(relais_factory, upstream):
    def handler(req):
        return Resp(200, body=(req.header("Accept-Language") or "-").encode())

    upstream.on("/internal/items/42", handler)
    inst = make(relais_factory, upstream, vary=["Accept-Language"])
    assert get(inst, "/v1/items/42", [("Accept-Language", "fr")]).body == b"fr"
    assert get(inst, "/v1/items/42", [("Accept-Language", "de")]).body == b"de"
    r = get(inst, "/v1/items/42", [("Accept-Language", "fr")])
    assert r.body == b"fr" and r.header("X-Relais-Cache") == "HIT"
    assert get(inst, "/v1/items/42").body == b"-"
    assert len(upstream.requests) == 3


def test_streams_are_not_cached_nor_buffered(relais_factory, upstream):
    upstream.on("/internal/items/sse", Resp(headers=[("Content-Type", "text/event-stream")],
                                            chunks=[b"data: 1\n\n", (0.3, b"data: 2\n\n")], framing="chunked"))
    inst = make(relais_factory, upstream)
    for _ in range(2):
        r = get(inst, "/v1/items/sse")
        assert r.body == b"data: 1\n\ndata: 2\n\n"
        assert r.header("X-Relais-Cache") == "MISS"
        assert r.header("ETag") is None
    assert len(upstream.requests) == 2


def test_memory_bound_evicts(relais_factory, upstream):
    big = b"x" * 40000
    for i in range(5):
        upstream.on(f"/internal/items/{i}", Resp(200, body=big))

    def c(inst):
        out = cfg(inst, upstream)
        out["cache"] = {"max_memory": "100KiB"}
        return out

    inst = relais_factory(cfg=c)
    for i in range(5):
        get(inst, f"/v1/items/{i}")
    # only the two most recent fit in 100 KiB
    assert get(inst, "/v1/items/4").header("X-Relais-Cache") == "HIT"
    assert get(inst, "/v1/items/3").header("X-Relais-Cache") == "HIT"
    assert get(inst, "/v1/items/0").header("X-Relais-Cache") == "MISS"
    # /metrics reports the cache itself: the evictions made room, the bytes
    # held are two bodies and their overhead, under the bound
    text = requests.get(inst.admin_url("/metrics"), headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                        timeout=10).text
    metric = {line.split()[0]: float(line.split()[1]) for line in text.splitlines()
              if line.startswith(("relais_cache_evictions_total ", "relais_cache_bytes "))}
    assert metric["relais_cache_evictions_total"] >= 3
    assert 2 * 40000 <= metric["relais_cache_bytes"] <= 100 * 1024


def test_cache_disabled_by_zero_memory(relais_factory, upstream):
    n = counting(upstream, "/internal/items/42")

    def c(inst):
        out = cfg(inst, upstream)
        out["cache"] = {"max_memory": 0}
        return out

    inst = relais_factory(cfg=c)
    get(inst, "/v1/items/42")
    r = get(inst, "/v1/items/42")
    assert r.status == 200 and r.header("X-Relais-Cache") is None
    assert n["count"] == 2


def test_hit_read_slowly_survives_invalidation_and_eviction(relais_factory, upstream):
    """A hit is sent from the cache entry itself, not a copy: the entry must
    stay intact while a slow client reads it, even after a PUT invalidated it
    and other entries pushed it out (under `make test SAN=1`, ASan would
    report the use after free)."""
    big = bytes(range(256)) * (6 * 4096)  # 6 MiB, more than the socket buffers hold
    upstream.on("/internal/items/1", Resp(200, headers=[("Content-Type", "application/octet-stream")], body=big))
    upstream.on("/internal/items/2", Resp(200, body=b"y" * 40000))
    upstream.on("/internal/items/3", Resp(200, body=b"z" * 40000))

    def c(inst):
        out = cfg(inst, upstream)
        out["cache"] = {"max_memory": "7MiB"}
        out["limits"] = {"max_body": "16MiB"}
        return out

    inst = relais_factory(cfg=c)
    assert get(inst, "/v1/items/1").header("X-Relais-Cache") == "MISS"
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)  # fixed: the rest waits in relais
    s.connect(("127.0.0.1", inst.public_port))
    s.sendall(b"GET /v1/items/1 HTTP/1.1\r\nHost: x\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    assert b"x-relais-cache: hit" in head.lower()
    time.sleep(0.3)  # relais has written what the buffers take, and waits
    put = httpclient.request(inst.public_port, "PUT", "/v1/items/1", body=b"{}")
    assert put.status == 200  # invalidates /v1/items/1
    get(inst, "/v1/items/2")
    get(inst, "/v1/items/3")
    assert get(inst, "/v1/items/1").header("X-Relais-Cache") == "MISS"  # the entry is gone, and back
    get(inst, "/v1/items/2")  # 6 MiB + 2 × 40 kB do not fit in 7 MiB: evictions
    get(inst, "/v1/items/3")
    body = bytearray()
    s.settimeout(10)
    while len(body) < len(big):
        d = s.recv(1 << 16)
        assert d, "connection closed early"
        body += d
    s.close()
    assert bytes(body) == big


def test_hit_does_not_replay_the_storing_requests_own_headers(relais_factory, upstream):
    """relais' per-request headers (CORS, rate limit) were added before the
    upstream answered; the stored answer must not carry them, or a hit sends
    both its own and the storing request's (two Access-Control-Allow-Origin
    values, which a browser rejects; another caller's RateLimit-Remaining)."""
    n = counting(upstream, "/internal/items/42")

    def c(inst):
        out = cfg(inst, upstream, key_by_consumer=False)
        out["cors"] = {"allow_origins": ["https://a.example", "https://b.example"]}
        out["routes"][0]["rate_limit"] = {"limit": "100/min", "by": "ip"}
        return out

    inst = relais_factory(cfg=c)
    r1 = get(inst, "/v1/items/42", [("Origin", "https://a.example")])
    assert r1.header("X-Relais-Cache") == "MISS" and r1.header("RateLimit-Remaining") == "99"
    r2 = get(inst, "/v1/items/42", [("Origin", "https://b.example")])
    assert r2.header("X-Relais-Cache") == "HIT" and n["count"] == 1

    def values(r, name):
        return [v for k, v in r.headers if k.lower() == name]

    assert values(r2, "access-control-allow-origin") == ["https://b.example"]
    assert values(r2, "ratelimit-remaining") == ["98"]
    assert values(r2, "x-ratelimit-remaining") == ["98"]
    assert values(r2, "content-type") == ["application/json"]  # the upstream's own are kept


def test_consumers_of_different_auth_methods_never_share_entries(relais_factory, upstream):
    """An API key's id and a JWT subject are separate namespaces: a token
    whose `sub` spells a key's id is another caller and must not get the
    key holder's cached answer."""
    import base64
    import hashlib
    import hmac

    from harness.relais import base_env, run_cli

    secret = "e2e-hs256-secret-0123456789abcdef0123"

    def b64u(b):
        return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

    def mint(sub):
        now = int(time.time())
        head = b64u(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "hs"}).encode())
        body = b64u(json.dumps({"sub": sub, "iat": now, "exp": now + 300}).encode())
        sig = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
        return f"{head}.{body}.{b64u(sig)}"

    def handler(req):
        who = req.header("X-API-Key") or req.header("Authorization")
        return Resp(200, headers=[("Content-Type", "application/json")],
                    body=json.dumps({"private_for": who}).encode())

    upstream.on("/internal/items/42", handler)

    def c(inst):
        out = cfg(inst, upstream)
        out["auth"] = {"jwt": {"keys": [{"kid": "hs", "alg": "HS256", "key": secret}]}}
        out["routes"][0]["auth"] = ["api_key", "jwt"]
        return out

    inst = relais_factory(cfg=c)
    p = run_cli("keys", "create", "-c", str(inst.config_path), "--name", "alice", env=base_env(), cwd=str(inst.dir))
    assert p.returncode == 0, p.stderr
    key = p.stdout.splitlines()[0].strip()
    key_id = key.split("_")[1]
    assert get(inst, "/v1/items/42", [("X-API-Key", key)]).json() == {"private_for": key}
    token = mint(key_id)
    r = get(inst, "/v1/items/42", [("Authorization", f"Bearer {token}")])
    assert r.status == 200
    assert r.json() == {"private_for": f"Bearer {token}"} and r.header("X-Relais-Cache") == "MISS"


def test_upstream_vary_on_a_header_outside_the_key_is_not_stored(relais_factory, upstream):
    """The upstream's Vary says the answer depends on a request header: an
    entry keyed without that header would be served to callers who sent
    another value (RFC 9111 §4.1). Listed in the route's `vary`, it is in
    the key and the answer is stored."""
    def handler(req):
        return Resp(200, headers=[("Vary", "Accept-Encoding, Accept-Language")],
                    body=(req.header("Accept-Language") or "-").encode())

    upstream.on("/internal/items/42", handler)
    inst = make(relais_factory, upstream, vary=["Accept-Encoding"])
    assert get(inst, "/v1/items/42", [("Accept-Language", "fr")]).body == b"fr"
    r = get(inst, "/v1/items/42", [("Accept-Language", "de")])
    assert r.body == b"de" and r.header("X-Relais-Cache") == "MISS"
    inst.stop()
    inst = make(relais_factory, upstream, vary=["Accept-Language", "accept-encoding"])
    get(inst, "/v1/items/42", [("Accept-Language", "fr")])
    r = get(inst, "/v1/items/42", [("Accept-Language", "fr")])
    assert r.body == b"fr" and r.header("X-Relais-Cache") == "HIT"
    assert get(inst, "/v1/items/42", [("Accept-Language", "de")]).body == b"de"


def test_expires_is_honoured_like_max_age(relais_factory, upstream):
    """Without max-age, Expires gives the freshness (RFC 9111 §4.2.1): a date
    already past, or one that is not a date ("0", the usual "do not cache"),
    is not stored; a near one shortens the ttl; max-age wins over it."""
    from email.utils import formatdate

    cases = {
        "/internal/items/1": [("Expires", "Thu, 01 Jan 1970 00:00:00 GMT")],
        "/internal/items/2": [("Expires", "0")],
        "/internal/items/3": [("Expires", formatdate(time.time() + 3, usegmt=True))],
        "/internal/items/4": [("Expires", "0"), ("Cache-Control", "max-age=60")],
    }
    counts = {p: counting(upstream, p, headers=h) for p, h in cases.items()}
    inst = make(relais_factory, upstream)
    for i in range(1, 5):
        get(inst, f"/v1/items/{i}")
    assert get(inst, "/v1/items/1").header("X-Relais-Cache") == "MISS"
    assert get(inst, "/v1/items/2").header("X-Relais-Cache") == "MISS"
    assert get(inst, "/v1/items/3").header("X-Relais-Cache") == "HIT"
    assert get(inst, "/v1/items/4").header("X-Relais-Cache") == "HIT"
    time.sleep(3.1)
    assert get(inst, "/v1/items/3").header("X-Relais-Cache") == "MISS"
    assert get(inst, "/v1/items/4").header("X-Relais-Cache") == "HIT"
    assert [counts[p]["count"] for p in sorted(counts)] == [2, 2, 2, 1]
