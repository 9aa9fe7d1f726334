"""Versioning headers (route `deprecation`): Deprecation as an RFC 9745
structured date (@unix), Sunset as an HTTP-date (RFC 8594), Link with
rel="deprecation"; on upstream answers and cache hits; 410 gone with a clear
message after the sunset when enforced (and never before), without calling
the upstream; config errors with file:line."""

import calendar
import time
from email.utils import parsedate_to_datetime

from harness import httpclient
from harness.relais import assert_envelope, run_cli
from harness.upstream import Resp

LINK = "https://docs.example.com/v2-migration"


def cfg(inst, upstream, dep, cache=False):
    route = {"name": "v1", "match": {"path": "/v1/items/{id}"},
             "upstream": {"targets": ["backend"], "path": "/internal/items/{id}"}, "deprecation": dep}
    if cache:
        route["cache"] = {"ttl": "60s"}
    return inst.config(upstream.url, routes=[
        route, {"name": "v2", "match": {"path": "/v2/items/{id}"},
                "upstream": {"targets": ["backend"], "path": "/internal/items/{id}"}}])


def get(inst, target):
    return httpclient.request(inst.public_port, "GET", target)


def test_headers_before_the_sunset(relais_factory, upstream):
    upstream.on("/internal/items/1", Resp(200, body=b"ok"))
    dep = {"date": "2025-06-30T23:59:59Z", "sunset": "2099-12-31", "link": LINK, "enforce": True}
    inst = relais_factory(cfg=lambda i: cfg(i, upstream, dep, cache=True))
    for want_cache in ("MISS", "HIT"):
        r = get(inst, "/v1/items/1")
        assert r.status == 200 and r.body == b"ok"
        assert r.header("X-Relais-Cache") == want_cache
        assert r.header("Deprecation") == "@%d" % calendar.timegm((2025, 6, 30, 23, 59, 59))
        assert r.header("Sunset") == "Thu, 31 Dec 2099 00:00:00 GMT"
        assert parsedate_to_datetime(r.header("Sunset")).year == 2099
        assert r.header("Link") == f'<{LINK}>; rel="deprecation"'
        assert len(r.header_all("Deprecation")) == 1
    v2 = get(inst, "/v2/items/1")
    assert v2.header("Deprecation") is None and v2.header("Sunset") is None and v2.header("Link") is None


def test_410_after_the_sunset_when_enforced(relais_factory, upstream):
    dep = {"date": "2020-01-01", "sunset": "2021-06-30T12:00:00+02:00", "link": LINK, "enforce": True}
    inst = relais_factory(cfg=lambda i: cfg(i, upstream, dep))
    r = get(inst, "/v1/items/1")
    env = assert_envelope(r.status, r, r.body, 410, "gone")
    assert "retired" in env["error"]["message"] and LINK in env["error"]["message"]
    assert "Wed, 30 Jun 2021 10:00:00 GMT" in env["error"]["message"]
    assert r.header("Sunset") == "Wed, 30 Jun 2021 10:00:00 GMT"
    assert r.header("Link") == f'<{LINK}>; rel="deprecation"'
    assert upstream.requests == []
    assert get(inst, "/v2/items/1").status == 200


def test_past_sunset_without_enforce_still_serves(relais_factory, upstream):
    dep = {"sunset": "2021-01-01"}
    inst = relais_factory(cfg=lambda i: cfg(i, upstream, dep))
    r = get(inst, "/v1/items/1")
    assert r.status == 200
    assert r.header("Sunset") == "Fri, 01 Jan 2021 00:00:00 GMT"
    assert r.header("Deprecation") is None  # no date given


def test_config_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("""providers:
  backend: {base_url: http://127.0.0.1:9}
routes:
  - match: {path: /a}
    upstream: {targets: [backend]}
    deprecation: {date: 2026-13-01, sunset: 2026-01-01, link: ftp://x, enforce: true, when: now}
    cache: {ttl: 0ms, vary: ['bad header']}
    fields: [id, 'a-b']
    rename: {nom: 'na.me'}
""")
    p = run_cli("check", "-c", str(bad))
    assert p.returncode != 0
    out = p.stdout + p.stderr
    for want in ("bad.yaml:6: unknown key 'routes[0].deprecation.when'",
                 "bad.yaml:6: routes[0].deprecation.date: expected a date",
                 "bad.yaml:6: routes[0].deprecation.link: invalid URL",
                 "bad.yaml:7: routes[0].cache.ttl",
                 "bad.yaml:7: routes[0].cache.vary: 'bad header' is not a header name",
                 "bad.yaml:8: routes[0].fields: invalid field 'a-b'",
                 "bad.yaml:9: routes[0].rename.nom: 'na.me' is not a member name"):
        assert want in out, (want, out)
