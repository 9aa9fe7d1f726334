"""Inbound quotas: exact under 200 concurrent requests, 429 quota_exceeded
with Retry-After to the UTC calendar reset, per consumer."""

from __future__ import annotations

import calendar
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from harness.httpclient import request
from harness.relais import assert_envelope, base_env, run_cli


def start(relais_factory, upstream, quota, auth=("api_key",), **over):
    def cfg(inst):
        c = inst.config(upstream.url, **over)
        c["routes"].append({"name": "metered", "match": {"path": "/v1/metered"}, "auth": list(auth),
                            "quota": quota, "upstream": {"targets": ["backend"]}})
        return c
    return relais_factory(cfg)


def new_key(rl, name):
    p = run_cli("keys", "create", "-c", str(rl.config_path), "--name", name, env=base_env(), cwd=str(rl.dir))
    assert p.returncode == 0, p.stderr
    return p.stdout.splitlines()[0].strip()


def seconds_to_utc_midnight(t: float) -> float:
    return 86400 - (t % 86400)


def seconds_to_next_month(t: float) -> float:
    g = time.gmtime(t)
    y, m = (g.tm_year + 1, 1) if g.tm_mon == 12 else (g.tm_year, g.tm_mon + 1)
    return calendar.timegm((y, m, 1, 0, 0, 0)) - t


@pytest.mark.timeout(90)
def test_exactly_50_of_200_concurrent(relais_factory, upstream):
    rl = start(relais_factory, upstream, {"limit": "60/day", "by": "consumer"}, workers=4)
    port = rl.public_port
    key = new_key(rl, "meter")
    h = [("X-API-Key", key)]
    for _ in range(10):  # leave a remaining quota of 50
        assert request(port, "GET", "/v1/metered", headers=h).status == 200

    def one(_):
        r = request(port, "GET", "/v1/metered", headers=h, timeout=30)
        return r.status, r.header("retry-after"), r.body

    with ThreadPoolExecutor(max_workers=200) as pool:
        results = list(pool.map(one, range(200)))
    statuses = [s for s, _, _ in results]
    assert statuses.count(200) == 50, sorted(set(statuses))
    assert statuses.count(429) == 150
    assert len([r for r in upstream.requests if r.path == "/v1/metered"]) == 60


def test_quota_exceeded_envelope_and_reset(relais_factory, upstream):
    rl = start(relais_factory, upstream, {"limit": "2/day"})
    port = rl.public_port
    key, other = new_key(rl, "a"), new_key(rl, "b")
    r = request(port, "GET", "/v1/metered", headers=[("X-API-Key", key)])
    assert r.status == 200
    assert (r.header("x-quota-limit"), r.header("x-quota-remaining")) == ("2", "1")
    assert request(port, "GET", "/v1/metered", headers=[("X-API-Key", key)]).status == 200
    t = time.time()
    r = request(port, "GET", "/v1/metered", headers=[("X-API-Key", key)])
    env = assert_envelope(r.status, r, r.body, 429, "quota_exceeded")
    retry = int(r.header("retry-after"))
    assert abs(retry - seconds_to_utc_midnight(t)) <= 2
    assert env["error"]["details"]["retry_after"] == retry
    assert env["error"]["details"]["reset"] % 86400 == 0
    assert r.header("x-quota-remaining") == "0"
    # another consumer has its own quota
    assert request(port, "GET", "/v1/metered", headers=[("X-API-Key", other)]).status == 200


def test_monthly_quota_resets_on_the_first(relais_factory, upstream):
    rl = start(relais_factory, upstream, {"limit": "1/month", "by": "ip"}, auth=("none",))
    port = rl.public_port
    assert request(port, "GET", "/v1/metered").status == 200
    t = time.time()
    r = request(port, "GET", "/v1/metered")
    assert_envelope(r.status, r, r.body, 429, "quota_exceeded")
    assert abs(int(r.header("retry-after")) - seconds_to_next_month(t)) <= 2
