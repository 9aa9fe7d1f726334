"""Egress resilience: retries with backoff, Retry-After, circuit breakers,
fallback chains and outbound limits, against scripted providers that count
the connections relais opens."""

import json
import time

import pytest

from harness import httpclient
from harness.upstream import RecordingUpstream, Resp


def body(r):
    return json.loads(r.body)


@pytest.fixture
def second():
    up = RecordingUpstream().start()
    yield up
    up.stop()


def chain_cfg(inst, providers, targets, **route):
    return inst.config("http://unused", providers=providers, routes=[
        dict({"name": "chat", "match": {"path": "/v1/chat"},
              "upstream": {"targets": targets, "path": "/v1/chat/completions"}}, **route)])


def test_refused_port_is_retried_then_502(relais_factory, refused_port):
    inst = relais_factory(providers={"backend": {"base_url": f"http://127.0.0.1:{refused_port}",
                                                 "retry": {"attempts": 3, "base": "10ms", "max": "50ms"}}})
    r = httpclient.request(inst.public_port, "GET", "/v1/items/1")
    assert r.status == 502 and body(r)["error"]["code"] == "upstream_error"
    assert r.header("X-Relais-Attempts") == "3"


def test_post_without_idempotency_key_is_not_retried(relais_factory, upstream):
    upstream.on("/files/pay", Resp(503, body=b"busy"))
    inst = relais_factory(providers={"backend": {"base_url": upstream.url,
                                                 "retry": {"attempts": 3, "base": "10ms", "max": "50ms"}}})
    r = httpclient.request(inst.public_port, "POST", "/files/pay", body=b"{}")
    assert r.status == 503 and r.body == b"busy"  # the provider's own answer, once
    assert len(upstream.requests) == 1
    upstream.reset()
    r = httpclient.request(inst.public_port, "POST", "/files/pay", body=b"{}",
                           headers=[("Idempotency-Key", "k-1")])
    assert r.status == 503 and len(upstream.requests) == 3
    assert r.header("X-Relais-Attempts") == "3"


def test_flapping_provider_is_retried_to_success(relais_factory, upstream):
    calls = []

    def flap(req):
        calls.append(req)
        return Resp(502, body=b"bad") if len(calls) % 2 == 1 else Resp(200, body=b"good")
    upstream.on("/files/flap", flap)
    inst = relais_factory(providers={"backend": {"base_url": upstream.url,
                                                 "retry": {"attempts": 2, "base": "10ms", "max": "50ms"}}})
    for _ in range(3):
        r = httpclient.request(inst.public_port, "GET", "/files/flap")
        assert r.status == 200 and r.body == b"good"
        assert r.header("X-Relais-Attempts") == "2"
        assert r.header("X-Relais-Provider") == "backend"


def test_never_retries_other_4xx(relais_factory, upstream):
    upstream.on("/files/nf", Resp(404, body=b"nope"))
    inst = relais_factory(providers={"backend": {"base_url": upstream.url, "retry": {"attempts": 3}}})
    r = httpclient.request(inst.public_port, "GET", "/files/nf")
    assert r.status == 404 and len(upstream.requests) == 1


def test_429_retry_after_is_honoured(relais_factory, upstream):
    calls = []

    def limited(req):
        calls.append(time.monotonic())
        return Resp(429, headers=[("Retry-After", "1")], body=b"slow down") if len(calls) == 1 else Resp(200, body=b"ok")
    upstream.on("/files/rl", limited)
    inst = relais_factory(providers={"backend": {"base_url": upstream.url,
                                                 "retry": {"attempts": 2, "base": "1ms", "max": "3s"}}})
    r = httpclient.request(inst.public_port, "GET", "/files/rl")
    assert r.status == 200
    assert calls[1] - calls[0] >= 0.9, "the retry came before the provider's Retry-After"


def test_retry_after_over_max_is_not_waited_for(relais_factory, upstream):
    upstream.on("/files/rl", Resp(429, headers=[("Retry-After", "30")], body=b"later"))
    inst = relais_factory(providers={"backend": {"base_url": upstream.url,
                                                 "retry": {"attempts": 3, "base": "1ms", "max": "1s"}}})
    t0 = time.monotonic()
    r = httpclient.request(inst.public_port, "GET", "/files/rl")
    assert r.status == 429 and r.header("Retry-After") == "30"  # passed through, not slept on
    assert time.monotonic() - t0 < 5 and len(upstream.requests) == 1


def test_slow_provider_times_out_then_falls_back(relais_factory, upstream, second):
    upstream.on("/v1/chat/completions", Resp(delay=3.0, body=b"late"))
    second.on("/v1/chat/completions", Resp(200, body=b"from second"))
    providers = {"slow": {"base_url": upstream.url, "timeout": {"total": "300ms"}, "retry": {"attempts": 1}},
                 "fast": {"base_url": second.url}}
    inst = relais_factory(cfg=lambda i: chain_cfg(i, providers, ["slow", "fast"]))
    r = httpclient.request(inst.public_port, "POST", "/v1/chat", body=b"{}")
    assert r.status == 200 and r.body == b"from second"
    assert r.header("X-Relais-Provider") == "fast"
    assert r.header("X-Relais-Attempts") == "2"


def test_fallback_order_and_path_override(relais_factory, upstream, second, refused_port):
    second.on("/alt/chat", Resp(200, body=b"alt"))
    providers = {"down": {"base_url": f"http://127.0.0.1:{refused_port}", "retry": {"attempts": 1}},
                 "busy": {"base_url": upstream.url, "retry": {"attempts": 1}},
                 "alt": {"base_url": second.url}}
    upstream.on("/v1/chat/completions", Resp(503, body=b"busy"))
    targets = ["down", "busy", {"provider": "alt", "path": "/alt/chat"}]
    inst = relais_factory(cfg=lambda i: chain_cfg(i, providers, targets))
    r = httpclient.request(inst.public_port, "POST", "/v1/chat", body=b"{}")
    assert r.status == 200 and r.body == b"alt"
    assert r.header("X-Relais-Provider") == "alt" and r.header("X-Relais-Attempts") == "3"
    assert [q.path for q in upstream.requests] == ["/v1/chat/completions"]
    assert [q.path for q in second.requests] == ["/alt/chat"]


def test_all_providers_failed_lists_each_outcome(relais_factory, upstream, refused_port):
    upstream.on("/v1/chat/completions", Resp(503, body=b"busy"))
    providers = {"down": {"base_url": f"http://127.0.0.1:{refused_port}", "retry": {"attempts": 1}},
                 "busy": {"base_url": upstream.url, "retry": {"attempts": 2, "base": "5ms", "max": "10ms"}}}
    inst = relais_factory(cfg=lambda i: chain_cfg(i, providers, ["down", "busy"]))
    r = httpclient.request(inst.public_port, "GET", "/v1/chat")
    env = body(r)
    assert r.status == 502 and env["error"]["code"] == "all_providers_failed"
    assert env["error"]["details"]["providers"] == [
        {"provider": "down", "outcome": "connect", "attempts": 1},
        {"provider": "busy", "outcome": "status", "attempts": 2, "status": 503}]


def test_open_breaker_skips_provider_with_no_connection(relais_factory, upstream, second):
    upstream.on("/v1/chat/completions", Resp(500, body=b"boom"))
    second.on("/v1/chat/completions", Resp(200, body=b"backup"))
    providers = {"bad": {"base_url": upstream.url, "retry": {"attempts": 1},
                         "breaker": {"threshold": 3, "window": "30s", "cooldown": "30s"}},
                 "good": {"base_url": second.url}}
    inst = relais_factory(cfg=lambda i: chain_cfg(i, providers, ["bad", "good"], ), workers=1)
    for _ in range(3):
        r = httpclient.request(inst.public_port, "POST", "/v1/chat", body=b"{}")
        assert r.status == 200 and r.header("X-Relais-Provider") == "good"
    conns, reqs = upstream.connections, len(upstream.requests)
    assert reqs == 3
    for _ in range(20):
        r = httpclient.request(inst.public_port, "POST", "/v1/chat", body=b"{}")
        assert r.status == 200 and r.header("X-Relais-Provider") == "good"
        assert r.header("X-Relais-Attempts") == "1"
    assert upstream.connections == conns and len(upstream.requests) == reqs, "open breaker still reached the provider"


def test_single_target_open_breaker_is_503_with_retry_after(relais_factory, upstream):
    upstream.on("/files/x", Resp(500, body=b"boom"))
    inst = relais_factory(workers=1, providers={"backend": {
        "base_url": upstream.url, "retry": {"attempts": 1},
        "breaker": {"threshold": 2, "window": "30s", "cooldown": "20s"}}})
    for _ in range(2):
        assert httpclient.request(inst.public_port, "GET", "/files/x").status == 500
    before = upstream.connections
    r = httpclient.request(inst.public_port, "GET", "/files/x")
    env = body(r)
    assert r.status == 503 and env["error"]["code"] == "circuit_open"
    assert 1 <= int(r.header("Retry-After")) <= 20
    assert upstream.connections == before


def test_breaker_half_open_probe_closes_it(relais_factory, upstream):
    state = {"fail": True}
    upstream.on("/files/x", lambda req: Resp(500, body=b"boom") if state["fail"] else Resp(200, body=b"ok"))
    inst = relais_factory(workers=1, providers={"backend": {
        "base_url": upstream.url, "retry": {"attempts": 1},
        "breaker": {"threshold": 2, "window": "30s", "cooldown": "500ms"}}})
    for _ in range(2):
        httpclient.request(inst.public_port, "GET", "/files/x")
    assert httpclient.request(inst.public_port, "GET", "/files/x").status == 503
    state["fail"] = False
    time.sleep(0.7)
    assert httpclient.request(inst.public_port, "GET", "/files/x").status == 200  # the probe
    for _ in range(5):
        assert httpclient.request(inst.public_port, "GET", "/files/x").status == 200


def test_outbound_rate_limit_without_fallback_is_429(relais_factory, upstream):
    inst = relais_factory(workers=1, providers={"backend": {"base_url": upstream.url, "rate_limit": "2/min"}})
    assert httpclient.request(inst.public_port, "GET", "/files/a").status == 200
    assert httpclient.request(inst.public_port, "GET", "/files/a").status == 200
    r = httpclient.request(inst.public_port, "GET", "/files/a")
    assert r.status == 429 and body(r)["error"]["code"] == "rate_limited"
    assert int(r.header("Retry-After")) >= 1
    assert len(upstream.requests) == 2


def test_outbound_quota_falls_back_then_429(relais_factory, upstream, second):
    second.on("/v1/chat/completions", Resp(200, body=b"second"))
    providers = {"first": {"base_url": upstream.url, "quota": "2/day"},
                 "second": {"base_url": second.url, "quota": "1/month"}}
    inst = relais_factory(cfg=lambda i: chain_cfg(i, providers, ["first", "second"]))
    got = [httpclient.request(inst.public_port, "POST", "/v1/chat", body=b"{}") for _ in range(4)]
    assert [r.header("X-Relais-Provider") for r in got[:3]] == ["first", "first", "second"]
    r = got[3]
    env = body(r)
    assert r.status == 502 and env["error"]["code"] == "all_providers_failed"
    assert [p["outcome"] for p in env["error"]["details"]["providers"]] == ["quota_exceeded", "quota_exceeded"]
    assert int(r.header("Retry-After")) >= 1


def test_single_target_quota_is_429_quota_exceeded(relais_factory, upstream):
    inst = relais_factory(providers={"backend": {"base_url": upstream.url, "quota": "1/day"}})
    assert httpclient.request(inst.public_port, "GET", "/files/a").status == 200
    r = httpclient.request(inst.public_port, "GET", "/files/a")
    assert r.status == 429 and body(r)["error"]["code"] == "quota_exceeded"
    assert 1 <= int(r.header("Retry-After")) <= 86400


def test_no_fallback_once_the_answer_started(relais_factory, upstream, second):
    upstream.on("/v1/chat/completions", Resp(200, headers=[("Content-Type", "text/event-stream")],
                                             chunks=[b"data: 1\n\n", (0.2, b"data: 2\n\n")], framing="close"))
    providers = {"a": {"base_url": upstream.url}, "b": {"base_url": second.url}}
    inst = relais_factory(cfg=lambda i: chain_cfg(i, providers, ["a", "b"]))
    r = httpclient.request(inst.public_port, "POST", "/v1/chat", body=b"{}")
    assert r.status == 200 and r.header("X-Relais-Provider") == "a"
    assert second.requests == []
