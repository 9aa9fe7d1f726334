"""CORS: preflights answered by relais (routed as the request they announce),
Access-Control-Allow-Origin on relais' own errors and on proxied responses,
the credentials rules, and Vary: Origin."""

from __future__ import annotations

from harness.httpclient import request
from harness.relais import assert_envelope

APP = "https://app.example.com"


def start(relais_factory, upstream, cors, **over):
    def cfg(inst):
        c = inst.config(upstream.url, cors=cors, **over)
        c["routes"].append({"name": "guarded", "match": {"path": "/v1/guarded", "methods": ["POST"]},
                            "auth": ["api_key"], "upstream": {"targets": ["backend"]}})
        return c
    return relais_factory(cfg)


def preflight(port, path, origin, method="PUT", req_headers=None):
    h = [("Origin", origin), ("Access-Control-Request-Method", method)]
    if req_headers:
        h.append(("Access-Control-Request-Headers", req_headers))
    return request(port, "OPTIONS", path, headers=h)


def vary_has(r, token):
    values = [v for n, v in r.headers if n.lower() == "vary"]
    return any(token.lower() in (x.strip().lower() for x in v.split(",")) for v in values)


def test_preflight_allowed_and_denied(relais_factory, upstream):
    rl = start(relais_factory, upstream, {"allow_origins": [APP], "max_age": "1h"})
    port = rl.public_port
    n = len(upstream.requests)
    # /v1/items/{id} allows GET and PUT but not OPTIONS: the preflight still reaches it
    r = preflight(port, "/v1/items/7", APP, "PUT", "Authorization, X-API-Key")
    assert r.status == 204, r.body
    assert r.header("access-control-allow-origin") == APP
    assert set(m.strip() for m in r.header("access-control-allow-methods").split(",")) >= {"GET", "PUT"}
    assert r.header("access-control-allow-headers") == "Authorization, X-API-Key"
    assert r.header("access-control-max-age") == "3600"
    assert r.header("access-control-allow-credentials") is None
    assert vary_has(r, "Origin")
    # a preflight needs no credentials even on an authenticated route
    r = preflight(port, "/v1/guarded", APP, "POST")
    assert r.status == 204
    # a foreign origin is refused
    r = preflight(port, "/v1/items/7", "https://evil.example.com", "PUT")
    assert_envelope(r.status, r, r.body, 403, "forbidden")
    assert r.header("access-control-allow-origin") is None
    # a method the route does not allow: 405 from the router
    assert preflight(port, "/v1/items/7", APP, "DELETE").status == 405
    assert len(upstream.requests) == n  # preflights never reach the backend


def test_actual_requests_carry_cors_headers(relais_factory, upstream):
    rl = start(relais_factory, upstream, {"allow_origins": [APP], "expose_headers": ["X-Request-Id", "RateLimit-Remaining"]})
    port = rl.public_port
    # proxied
    r = request(port, "GET", "/v1/items/1", headers=[("Origin", APP)])
    assert r.status == 200
    assert r.header("access-control-allow-origin") == APP
    assert r.header("access-control-expose-headers") == "X-Request-Id, RateLimit-Remaining"
    assert vary_has(r, "Origin")
    # relais' own error (401) carries them too, so the browser can read it
    r = request(port, "POST", "/v1/guarded", headers=[("Origin", APP)])
    assert r.status == 401
    assert r.header("access-control-allow-origin") == APP
    # a foreign origin gets no allow header but the same Vary; the request itself is not refused
    r = request(port, "GET", "/v1/items/1", headers=[("Origin", "https://evil.example.com")])
    assert r.status == 200
    assert r.header("access-control-allow-origin") is None
    assert vary_has(r, "Origin")
    # no Origin at all: Vary only
    r = request(port, "GET", "/v1/items/1")
    assert r.header("access-control-allow-origin") is None
    assert vary_has(r, "Origin")


def test_credentials_rules(relais_factory, upstream):
    rl = start(relais_factory, upstream, {"allow_origins": ["*"], "allow_credentials": True,
                                          "allow_methods": ["GET", "POST"], "allow_headers": ["Authorization"]})
    port = rl.public_port
    # "*" with credentials: the origin is echoed, never "*"
    r = request(port, "GET", "/v1/items/1", headers=[("Origin", "https://any.example.org")])
    assert r.header("access-control-allow-origin") == "https://any.example.org"
    assert r.header("access-control-allow-credentials") == "true"
    r = preflight(port, "/v1/items/1", "https://any.example.org", "GET", "X-Other")
    assert r.status == 204
    assert r.header("access-control-allow-methods") == "GET, POST"
    assert r.header("access-control-allow-headers") == "Authorization"
    assert r.header("access-control-allow-credentials") == "true"
    # the opaque origin "null" is never echoed with credentials
    r = request(port, "GET", "/v1/items/1", headers=[("Origin", "null")])
    assert r.header("access-control-allow-origin") is None
    rl.stop()
    rl = start(relais_factory, upstream, {"allow_origins": ["*"]})
    r = request(rl.public_port, "GET", "/v1/items/1", headers=[("Origin", "https://any.example.org")])
    assert r.header("access-control-allow-origin") == "*"
    assert r.header("access-control-allow-credentials") is None


def test_no_cors_configured(relais_factory, upstream):
    rl = start(relais_factory, upstream, {"allow_origins": []})
    r = request(rl.public_port, "GET", "/v1/items/1", headers=[("Origin", APP)])
    assert r.status == 200
    assert r.header("access-control-allow-origin") is None
    assert not vary_has(r, "Origin")
    # OPTIONS is an ordinary request then: /v1/items/{id} does not allow it
    r = preflight(rl.public_port, "/v1/items/1", APP, "GET")
    assert r.status == 405
