"""GET /status and /status/{provider} on the admin listener: mode, breaker,
recent latency and error rate, quota, missing env vars, and the active
health probes the control thread runs for real-mode providers."""

import json
import time

import requests

from harness import httpclient
from harness.relais import ADMIN_TOKEN, assert_envelope, base_env, wait_until
from harness.upstream import Resp

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
NO_KEYS = dict.fromkeys(["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "STRIPE_SECRET_KEY", "PROBE_TOKEN"])


def env(**extra):
    return base_env(**{**NO_KEYS, **extra})


def get(inst, path, headers=AUTH):
    return requests.get(inst.admin_url(path), headers=headers, timeout=10)


def status(inst, name=None):
    r = get(inst, f"/status/{name}" if name else "/status")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["success"] is True
    return body["data"]


def cfg_with(providers, routes, **over):
    return lambda inst: inst.config("http://unused", providers=providers, routes=routes, **over)


def route(name, provider, path=None):
    return {"name": name, "match": {"path": f"/{name}/{{rest*}}"},
            "upstream": {"targets": [provider], "path": path or "/{rest*}"}}


def test_status_lists_every_provider(relais_factory, upstream):
    providers = {"backend": {"base_url": upstream.url},
                 "openai": {"preset": "openai"},
                 "pinned": {"base_url": upstream.url, "mode": "mock", "breaker": False}}
    inst = relais_factory(cfg=cfg_with(providers, [route("b", "backend")]), environ=env())
    data = status(inst)
    assert data["mode"] == "auto" and data["mode_override"] is None and data["config_generation"] >= 1
    by = {p["name"]: p for p in data["providers"]}
    assert list(by) == ["backend", "openai", "pinned"]
    b = by["backend"]
    assert b["mode"] == "real" and b["configured_mode"] == "auto" and b["mode_override"] is None
    assert b["breaker"] == "closed" and b["failures"] == 0 and b["missing_env"] == []
    assert b["quota"] is None and b["last_probe"] is None and b["samples"] == 0
    assert b["domain"] == "generic" and b.get("preset") is None
    o = by["openai"]
    assert o["mode"] == "mock" and o["preset"] == "openai" and o["domain"] == "ai"
    assert o["missing_env"] == ["OPENAI_API_KEY"]
    p = by["pinned"]
    assert p["mode"] == "mock" and p["configured_mode"] == "mock" and p["breaker"] == "disabled"
    assert status(inst, "openai") == o


def test_status_needs_the_token_when_one_is_configured(relais_factory, upstream):
    inst = relais_factory()
    for path in ("/status", "/status/backend"):
        for headers in ({}, {"Authorization": "Bearer nope"}):
            r = get(inst, path, headers)
            assert_envelope(r.status_code, r.headers, r.content, 401, "unauthorized")
    r = requests.post(inst.admin_url("/status"), headers=AUTH, timeout=10)
    assert_envelope(r.status_code, r.headers, r.content, 405, "method_not_allowed")
    r = get(inst, "/status/nope")
    env_ = assert_envelope(r.status_code, r.headers, r.content, 404, "not_found")
    assert "nope" in env_["error"]["message"]
    # the public listener does not serve it
    assert httpclient.request(inst.public_port, "GET", "/status").status == 404


def test_status_is_open_without_an_admin_token(relais_factory, upstream):
    def cfg(inst):
        c = inst.config(upstream.url)
        del c["admin_token"]
        return c
    inst = relais_factory(cfg=cfg)
    r = get(inst, "/status/backend", headers={})
    assert r.status_code == 200 and r.json()["data"]["name"] == "backend"


def test_breaker_opens_after_failures(relais_factory, refused_port):
    providers = {"down": {"base_url": f"http://127.0.0.1:{refused_port}", "retry": {"attempts": 1},
                          "breaker": {"threshold": 3, "window": "30s", "cooldown": "30s"}}}
    inst = relais_factory(cfg=cfg_with(providers, [route("d", "down")]), workers=1)
    for i in range(2):
        assert httpclient.request(inst.public_port, "GET", "/d/x").status == 502
    s = status(inst, "down")
    assert s["breaker"] == "closed" and s["failures"] == 2
    assert httpclient.request(inst.public_port, "GET", "/d/x").status == 502
    s = status(inst, "down")
    assert s["breaker"] == "open" and s["failures"] >= 3
    assert s["error_rate"] == 1.0 and s["samples"] == 3
    assert httpclient.request(inst.public_port, "GET", "/d/x").status == 503  # circuit_open, no attempt
    assert status(inst, "down")["samples"] == 3


def test_latency_percentiles_and_error_rate(relais_factory, upstream):
    upstream.on("/slow/*", Resp(200, body=b"slow", delay=0.3))
    upstream.on("/fast/*", Resp(200, body=b"fast"))
    upstream.on("/fail/*", Resp(500, body=b"boom"))
    providers = {"backend": {"base_url": upstream.url, "retry": {"attempts": 1}, "breaker": False}}
    inst = relais_factory(cfg=cfg_with(providers, [route("x", "backend")]))
    for i in range(6):
        assert httpclient.request(inst.public_port, "GET", f"/x/slow/{i}").status == 200
    for i in range(2):
        assert httpclient.request(inst.public_port, "GET", f"/x/fast/{i}").status == 200
    for i in range(2):
        assert httpclient.request(inst.public_port, "GET", f"/x/fail/{i}").status == 500
    s = status(inst, "backend")
    assert s["samples"] == 10
    assert s["error_rate"] == 0.2
    # six of ten attempts took at least 300 ms: so did the median and the 95th
    assert s["latency_ms"]["p50"] >= 290 and s["latency_ms"]["p95"] >= 290
    assert s["latency_ms"]["p95"] >= s["latency_ms"]["p50"]


def test_quota_used_and_remaining(relais_factory, upstream):
    providers = {"backend": {"base_url": upstream.url, "quota": "5/day"}}
    inst = relais_factory(cfg=cfg_with(providers, [route("q", "backend")]))
    q = status(inst, "backend")["quota"]
    assert (q["limit"], q["used"], q["remaining"], q["period"]) == (5, 0, 5, "day")
    assert q["key"] == time.strftime("%Y-%m-%d", time.gmtime()) and 0 < q["resets_in"] <= 86400
    for _ in range(3):
        assert httpclient.request(inst.public_port, "GET", "/q/a").status == 200
    q = status(inst, "backend")["quota"]
    assert (q["used"], q["remaining"]) == (3, 2)
    for _ in range(3):
        httpclient.request(inst.public_port, "GET", "/q/a")
    q = status(inst, "backend")["quota"]
    assert (q["used"], q["remaining"]) == (5, 0)
    assert len(upstream.requests) == 5
    assert status(inst, "backend")["quota"] == q  # reading it spends nothing


def test_probe_of_a_real_provider_carries_its_credentials(relais_factory, upstream):
    upstream.on("/healthz", Resp(200, body=b"ok"))
    providers = {"api": {"base_url": upstream.url, "auth": {"type": "bearer", "token": "${PROBE_TOKEN}"},
                         "health": {"path": "/healthz", "interval": "1s"}}}
    inst = relais_factory(cfg=cfg_with(providers, [route("a", "api")]), environ=env(PROBE_TOKEN="probe-secret-123"))
    assert wait_until(lambda: len([q for q in upstream.requests if q.path == "/healthz"]) >= 2, timeout=6)
    probes = [q for q in upstream.requests if q.path == "/healthz"]
    assert all(q.method == "GET" for q in probes)
    assert probes[0].header_all("Authorization") == ["Bearer probe-secret-123"]
    assert probes[1].received_at - probes[0].received_at >= 0.9  # every interval, not every tick
    assert wait_until(lambda: status(inst, "api")["last_probe"] is not None, timeout=3)
    lp = status(inst, "api")["last_probe"]
    assert lp["ok"] is True and lp["status"] == 200 and lp["latency_ms"] >= 0
    assert abs(lp["at"] - time.time()) < 60
    assert "probe-secret-123" not in get(inst, "/status").text
    # probes are not client traffic
    assert status(inst, "api")["samples"] == 0


def test_failing_probe_is_reported(relais_factory, upstream):
    upstream.on("/healthz", Resp(503, body=b"down"))
    providers = {"api": {"base_url": upstream.url, "health": {"path": "/healthz", "interval": "1s"}}}
    inst = relais_factory(cfg=cfg_with(providers, [route("a", "api")]))
    assert wait_until(lambda: status(inst, "api")["last_probe"] is not None, timeout=6)
    lp = status(inst, "api")["last_probe"]
    assert lp["ok"] is False and lp["status"] == 503


def test_probe_sends_the_preset_headers(relais_factory, upstream):
    upstream.on("/v1/models", Resp(200, headers=[("Content-Type", "application/json")], body=b'{"data":[]}'))
    providers = {"claude": {"preset": "anthropic", "base_url": upstream.url, "health": {"interval": "1s"}}}
    inst = relais_factory(cfg=cfg_with(providers, [route("c", "claude")]),
                          environ=env(ANTHROPIC_API_KEY="sk-ant-e2e-0000"))
    assert wait_until(lambda: any(q.path == "/v1/models" for q in upstream.requests), timeout=6)
    probe = [q for q in upstream.requests if q.path == "/v1/models"][0]
    assert probe.header("x-api-key") == "sk-ant-e2e-0000"
    assert probe.header("anthropic-version") == "2023-06-01"
    assert inst.alive()


def test_mock_mode_providers_are_never_probed(relais_factory, upstream):
    upstream.on("/healthz-*", Resp(200, body=b"ok"))
    providers = {"pinned": {"base_url": upstream.url, "mode": "mock",
                            "health": {"path": "/healthz-pinned", "interval": "1s"}},
                 "openai": {"preset": "openai", "base_url": upstream.url,
                            "health": {"path": "/healthz-openai", "interval": "1s"}},
                 "real": {"base_url": upstream.url, "health": {"path": "/healthz-real", "interval": "1s"}}}
    inst = relais_factory(cfg=cfg_with(providers, [route("p", "pinned")]), environ=env())
    # the real one is probed at least twice meanwhile: the others had their chances
    assert wait_until(lambda: len([q for q in upstream.requests if q.path == "/healthz-real"]) >= 2, timeout=6)
    assert {q.path for q in upstream.requests} == {"/healthz-real"}
    assert status(inst, "pinned")["last_probe"] is None and status(inst, "openai")["last_probe"] is None

    # switched to real at run time, it is probed; switched back, it is not
    r = requests.put(inst.admin_url("/admin/v1/mode"), headers=AUTH, timeout=10,
                     data=json.dumps({"provider": "pinned", "mode": "real"}))
    assert r.status_code == 200
    assert wait_until(lambda: any(q.path == "/healthz-pinned" for q in upstream.requests), timeout=4)
    requests.put(inst.admin_url("/admin/v1/mode"), headers=AUTH, timeout=10,
                 data=json.dumps({"provider": "pinned", "mode": "mock"}))
    time.sleep(0.6)  # a probe already started may still land
    n = len([q for q in upstream.requests if q.path == "/healthz-pinned"])
    time.sleep(2.2)
    assert len([q for q in upstream.requests if q.path == "/healthz-pinned"]) == n


def test_probe_with_query_key_and_head_method(relais_factory, upstream):
    upstream.on("/ping", Resp(204))
    providers = {"maps": {"base_url": upstream.url + "/",
                          "auth": {"type": "api_key", "query": "key", "key": "${PROBE_TOKEN}"},
                          "health": {"path": "/ping", "method": "HEAD", "interval": "1s"}}}
    inst = relais_factory(cfg=cfg_with(providers, [route("m", "maps")]), environ=env(PROBE_TOKEN="q key/1"))
    assert wait_until(lambda: any(q.path == "/ping" for q in upstream.requests), timeout=6)
    probe = [q for q in upstream.requests if q.path == "/ping"][0]
    assert probe.method == "HEAD" and probe.query == "key=q%20key%2F1"
    assert wait_until(lambda: (status(inst, "maps")["last_probe"] or {}).get("status") == 204, timeout=3)
    assert status(inst, "maps")["last_probe"]["ok"] is True


def test_unreachable_probe_is_reported(relais_factory, refused_port):
    providers = {"gone": {"base_url": f"http://127.0.0.1:{refused_port}",
                          "health": {"path": "/healthz", "interval": "1s"}}}
    inst = relais_factory(cfg=cfg_with(providers, [route("g", "gone")]))
    assert wait_until(lambda: status(inst, "gone")["last_probe"] is not None, timeout=6)
    lp = status(inst, "gone")["last_probe"]
    assert lp["ok"] is False and lp["status"] == 0
    assert any("health probe of provider gone failed" in e.get("msg", "") for e in inst.error_log())


def test_mocked_answers_spend_no_quota(relais_factory):
    providers = {"openai": {"preset": "openai", "quota": "2/day"}}
    routes = [{"name": "models", "match": {"path": "/v1/models"}, "upstream": {"targets": ["openai"]}}]
    inst = relais_factory(cfg=cfg_with(providers, routes), environ=env())
    for _ in range(4):
        r = httpclient.request(inst.public_port, "GET", "/v1/models")
        assert r.status == 200 and r.header("X-Relais-Mode") == "mock"
    s = status(inst, "openai")
    assert s["quota"]["used"] == 0 and s["quota"]["remaining"] == 2 and s["samples"] == 4
