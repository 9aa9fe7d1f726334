"""Inbound rate limits (GCRA): RateLimit-* and X-RateLimit-* on every
response, 429 rate_limited with Retry-After, rejected requests not consuming,
several limits per route (the most restrictive reported), per consumer and
per client IP (behind trust_proxy)."""

from __future__ import annotations

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
    # a 401 is decided before the limit and carries no rate-limit headers
    r = request(port, "GET", "/v1/limited")
    assert r.status == 401 and r.header("ratelimit-limit") is None
