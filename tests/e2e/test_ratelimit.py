"""Inbound rate limits (GCRA): RateLimit-* and X-RateLimit-* on every
response (401 and 403 answered before the limit included, peeked without
counting), 429 rate_limited with Retry-After, rejected requests not
consuming (with several limits: not from any of them), several limits per
route (the most restrictive reported), per consumer and per client IP
(behind trust_proxy)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from harness.httpclient import request
from harness.relais import assert_envelope, base_env, run_cli


def start(relais_factory, upstream, limit, auth=None, **over):
    def cfg(inst):
        c = inst.config(upstream.url, **over)
        route = {"name": "limited", "match": {"path": "/v1/limited"}, "rate_limit": limit,
                 "upstream": {"targets": ["backend"]}}
        if auth:
            route["auth"] = auth
        c["routes"].append(route)
        return c
    return relais_factory(cfg)


def test_headers_on_every_response_and_429(relais_factory, upstream):
    rl = start(relais_factory, upstream, {"limit": "5/min", "by": "ip"})
    port = rl.public_port
    for i in range(5):
        t = time.time()
        r = request(port, "GET", "/v1/limited")
        assert r.status == 200
        assert r.header("ratelimit-limit") == "5"
        assert r.header("ratelimit-remaining") == str(4 - i)
        assert r.header("ratelimit-policy") == "5;w=60"
        assert r.header("x-ratelimit-limit") == "5"
        assert r.header("x-ratelimit-remaining") == str(4 - i)
        reset = int(r.header("ratelimit-reset"))
        assert 1 <= reset <= 60
        assert abs(int(r.header("x-ratelimit-reset")) - (t + reset)) <= 2
    n = len(upstream.requests)
    r = request(port, "GET", "/v1/limited")
    env = assert_envelope(r.status, r, r.body, 429, "rate_limited")
    retry = int(r.header("retry-after"))
    assert 1 <= retry <= 12  # one request drains every 12 s
    assert env["error"]["details"]["retry_after"] == retry
    assert r.header("ratelimit-remaining") == "0"
    assert r.header("x-ratelimit-remaining") == "0"
    assert len(upstream.requests) == n  # the rejected request never reached the backend
    # other routes are not limited
    r = request(port, "GET", "/v1/items/1")
    assert r.status == 200 and r.header("ratelimit-limit") is None


def test_rejected_requests_do_not_consume(relais_factory, upstream):
    rl = start(relais_factory, upstream, "60/min")  # one request per second, burst 60
    port = rl.public_port
    for _ in range(60):
        assert request(port, "GET", "/v1/limited").status == 200
    t_full = time.time()
    for _ in range(30):  # hammering while limited must not push recovery further away
        assert request(port, "GET", "/v1/limited").status == 429
    time.sleep(max(0.0, t_full + 1.15 - time.time()))
    assert request(port, "GET", "/v1/limited").status == 200
    assert request(port, "GET", "/v1/limited").status == 429


def test_several_limits_most_restrictive_reported(relais_factory, upstream):
    rl = start(relais_factory, upstream, [{"limit": "3/min"}, {"limit": "100/hour"}])
    port = rl.public_port
    r = request(port, "GET", "/v1/limited")
    assert r.header("ratelimit-limit") == "3"
    assert r.header("ratelimit-remaining") == "2"
    assert r.header("ratelimit-policy") == "3;w=60, 100;w=3600"
    request(port, "GET", "/v1/limited")
    request(port, "GET", "/v1/limited")
    r = request(port, "GET", "/v1/limited")
    assert_envelope(r.status, r, r.body, 429, "rate_limited")
    assert "3/min" in r.json()["error"]["message"]
    rl.stop()
    rl = start(relais_factory, upstream, [{"limit": "100/min"}, {"limit": "2/hour"}])
    port = rl.public_port
    r = request(port, "GET", "/v1/limited")
    assert (r.header("ratelimit-limit"), r.header("ratelimit-remaining")) == ("2", "1")
    assert request(port, "GET", "/v1/limited").status == 200
    r = request(port, "GET", "/v1/limited")
    assert r.status == 429
    assert int(r.header("retry-after")) > 60  # the hour limit: 30 min per request


def test_by_ip_behind_proxy(relais_factory, upstream):
    rl = start(relais_factory, upstream, {"limit": "2/min", "by": "ip"}, trust_proxy=["127.0.0.1/32"])
    port = rl.public_port
    a, b = [("X-Forwarded-For", "203.0.113.1")], [("X-Forwarded-For", "203.0.113.2")]
    assert request(port, "GET", "/v1/limited", headers=a).status == 200
    assert request(port, "GET", "/v1/limited", headers=a).status == 200
    assert request(port, "GET", "/v1/limited", headers=a).status == 429
    assert request(port, "GET", "/v1/limited", headers=b).status == 200


def test_by_consumer(relais_factory, upstream):
    rl = start(relais_factory, upstream, {"limit": "2/min", "by": "consumer"}, auth=["api_key"])
    port = rl.public_port
    keys = []
    for name in ("one", "two"):
        p = run_cli("keys", "create", "-c", str(rl.config_path), "--name", name, env=base_env(), cwd=str(rl.dir))
        assert p.returncode == 0, p.stderr
        keys.append(p.stdout.splitlines()[0].strip())
    k1, k2 = [("X-API-Key", keys[0])], [("X-API-Key", keys[1])]
    assert request(port, "GET", "/v1/limited", headers=k1).status == 200
    assert request(port, "GET", "/v1/limited", headers=k1).status == 200
    assert request(port, "GET", "/v1/limited", headers=k1).status == 429
    r = request(port, "GET", "/v1/limited", headers=k2)  # same IP, another consumer
    assert r.status == 200 and r.header("ratelimit-remaining") == "1"
    # a 401 is decided before the limit: it reports the client address's
    # bucket, which the consumers' requests did not touch
    r = request(port, "GET", "/v1/limited")
    assert r.status == 401 and r.header("ratelimit-remaining") == "2"


def create_key(rl, name: str, *args) -> str:
    p = run_cli("keys", "create", "-c", str(rl.config_path), "--name", name, *args, env=base_env(),
                cwd=str(rl.dir))
    assert p.returncode == 0, p.stderr
    return p.stdout.splitlines()[0].strip()


def shown(r) -> tuple:
    """The reported limit and what is left of it, from both header families."""
    assert r.header("x-ratelimit-limit") == r.header("ratelimit-limit")
    assert r.header("x-ratelimit-remaining") == r.header("ratelimit-remaining")
    return r.header("ratelimit-limit"), r.header("ratelimit-remaining")


def test_rejected_by_one_limit_not_counted_by_the_others(relais_factory, upstream):
    # The minute limit counts per client address, the hour limit per
    # consumer: another caller from the same address sees what the minute
    # limit has left after the first caller was refused by the hour limit.
    rl = start(relais_factory, upstream, [{"limit": "3/min", "by": "ip"}, {"limit": "2/hour", "by": "consumer"}],
               auth=["api_key", "none"])
    port = rl.public_port
    k = [("X-API-Key", create_key(rl, "hourly"))]
    r = request(port, "GET", "/v1/limited", headers=k)
    assert r.status == 200 and shown(r) == ("2", "1")
    r = request(port, "GET", "/v1/limited", headers=k)
    assert r.status == 200 and shown(r) == ("2", "0")
    for _ in range(3):  # refused by the hour limit: the minute limit counts none of them
        r = request(port, "GET", "/v1/limited", headers=k)
        env = assert_envelope(r.status, r, r.body, 429, "rate_limited")
        assert "2/hour" in env["error"]["message"]
        assert int(r.header("retry-after")) > 60
        assert shown(r) == ("2", "0")
    # A bad key (401) peeks: one request is left in the minute bucket.
    r = request(port, "GET", "/v1/limited", headers=[("X-API-Key", "rk_bogus_0000")])
    assert r.status == 401
    assert shown(r) == ("3", "1")
    assert r.header("ratelimit-policy") == "3;w=60, 2;w=3600"
    # An anonymous caller from the same address takes it; then it is gone.
    r = request(port, "GET", "/v1/limited")
    assert r.status == 200 and shown(r) == ("3", "0")
    r = request(port, "GET", "/v1/limited")
    env = assert_envelope(r.status, r, r.body, 429, "rate_limited")
    assert "3/min" in env["error"]["message"]
    assert 1 <= int(r.header("retry-after")) <= 20
    assert len(upstream.requests) == 3


HS_SECRET = "e2e-ratelimit-hs256-secret-0123456789"


def hs256(sub: str, scope: str) -> list:
    def b64u(b: bytes) -> str:
        return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
    now = int(time.time())
    head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64u(json.dumps({"sub": sub, "scope": scope, "iat": now, "exp": now + 300}).encode())
    sig = hmac.new(HS_SECRET.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return [("Authorization", f"Bearer {head}.{body}.{b64u(sig)}")]


def test_early_errors_carry_headers(relais_factory, upstream):
    def cfg(inst):
        c = inst.config(upstream.url, auth={"jwt": {"keys": [{"alg": "HS256", "key": HS_SECRET}]}},
                        cors={"allow_origins": ["https://app.example.com"]})
        c["routes"] += [
            {"name": "scoped", "match": {"path": "/v1/scoped"}, "auth": ["jwt"], "scopes": ["items:read"],
             "rate_limit": {"limit": "4/min", "by": "consumer"}, "upstream": {"targets": ["backend"]}},
            {"name": "walled", "match": {"path": "/v1/walled"}, "allow_ips": ["10.0.0.0/8"],
             "rate_limit": {"limit": "7/min", "by": "ip"}, "upstream": {"targets": ["backend"]}},
        ]
        return c
    rl = relais_factory(cfg)
    port = rl.public_port
    alice, alice_weak, bob_weak = hs256("alice", "items:read"), hs256("alice", "other"), hs256("bob", "other")
    # 401 (no token): the client address's bucket, peeked, never counted.
    for _ in range(6):
        t = time.time()
        r = request(port, "GET", "/v1/scoped")
        assert_envelope(r.status, r, r.body, 401, "unauthorized")
        assert r.header("www-authenticate") == 'Bearer realm="relais"'
        assert shown(r) == ("4", "4")
        assert r.header("ratelimit-reset") == "0"
        assert r.header("ratelimit-policy") == "4;w=60"
        assert abs(int(r.header("x-ratelimit-reset")) - t) <= 2
        assert r.header("retry-after") is None
    assert shown(request(port, "GET", "/v1/scoped", headers=alice)) == ("4", "3")
    assert shown(request(port, "GET", "/v1/scoped", headers=alice)) == ("4", "2")
    # 403 (scope missing): the consumer's own bucket, peeked.
    r = request(port, "GET", "/v1/scoped", headers=alice_weak)
    assert_envelope(r.status, r, r.body, 403, "forbidden")
    assert shown(r) == ("4", "2")
    assert 1 <= int(r.header("ratelimit-reset")) <= 30
    r = request(port, "GET", "/v1/scoped", headers=bob_weak)
    assert r.status == 403 and shown(r) == ("4", "4")
    assert shown(request(port, "GET", "/v1/scoped")) == ("4", "4")  # alice's requests are hers
    r = request(port, "GET", "/v1/scoped", headers=alice)
    assert r.status == 200 and shown(r) == ("4", "1")  # the 403s counted nothing
    request(port, "GET", "/v1/scoped", headers=alice)
    assert request(port, "GET", "/v1/scoped", headers=alice).status == 429
    # Exhausted: a 403 says so, with no Retry-After (it is no 429).
    t = time.time()
    r = request(port, "GET", "/v1/scoped", headers=alice_weak)
    assert r.status == 403 and shown(r) == ("4", "0")
    assert r.header("retry-after") is None
    assert 50 <= int(r.header("x-ratelimit-reset")) - t <= 62
    # 403 from the route's IP allowlist.
    r = request(port, "GET", "/v1/walled")
    env = assert_envelope(r.status, r, r.body, 403, "forbidden")
    assert "not allowed" in env["error"]["message"]
    assert shown(r) == ("7", "7") and r.header("ratelimit-policy") == "7;w=60"
    # 403 from CORS: a preflight from an origin that is not allowed.
    r = request(port, "OPTIONS", "/v1/walled", headers=[("Origin", "https://evil.example.com"),
                                                        ("Access-Control-Request-Method", "GET")])
    assert_envelope(r.status, r, r.body, 403, "forbidden")
    assert shown(r) == ("7", "7")
    assert len(upstream.requests) == 4  # alice's four 200s
