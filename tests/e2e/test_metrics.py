"""GET /metrics on the admin listener: Prometheus text format 0.0.4 that
`promtool check metrics` accepts, the admin token when one is configured,
and series that count what the public listener answered (200 from the
upstream, 404 with and without a route, 502 from a refused port, 405),
durations as cumulative histograms, in-flight requests, config generation
and reloads. Admin requests, the scrapes included, are not counted."""

import math
import os
import re
import shutil
import subprocess

import pytest
import requests

from harness import httpclient
from harness.relais import ADMIN_TOKEN, assert_envelope, run_cli, wait_until
from harness.upstream import Resp

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)')


def parse(text: str) -> dict:
    """{(name, frozenset(labels)): value} for every sample line; checks that
    each line is a comment or a well-formed sample."""
    out = {}
    for line in text.split("\n"):
        if line == "" or line.startswith("# HELP ") or line.startswith("# TYPE "):
            continue
        m = LINE.match(line)
        assert m, f"malformed exposition line: {line!r}"
        name, labels, value = m.groups()
        pairs = {}
        if labels:
            pos = 0
            for lm in LABEL.finditer(labels):
                assert lm.start() == pos, f"malformed labels in {line!r}"
                pairs[lm.group(1)] = re.sub(r'\\(.)', lambda e: {"n": "\n"}.get(e.group(1), e.group(1)),
                                            lm.group(2))
                pos = lm.end()
            assert pos == len(labels), f"malformed labels in {line!r}"
        key = (name, frozenset(pairs.items()))
        assert key not in out, f"duplicate series {line!r}"
        out[key] = float(value)
    return out


def val(samples: dict, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def series(samples: dict, name: str) -> dict:
    return {k[1]: v for k, v in samples.items() if k[0] == name}


def scrape(inst, headers=AUTH) -> requests.Response:
    return requests.get(inst.admin_url("/metrics"), headers=headers, timeout=10)


def scrape_ok(inst) -> tuple:
    r = scrape(inst)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == CONTENT_TYPE
    return r.text, parse(r.text)


def promtool_check(text: str) -> None:
    promtool = shutil.which("promtool") or ("/usr/bin/promtool" if os.path.exists("/usr/bin/promtool") else None)
    if promtool is None:
        pytest.skip("promtool is not installed")
    p = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, f"promtool check metrics failed:\n{p.stdout}{p.stderr}\n--- text ---\n{text}"


@pytest.fixture
def gateway(relais_factory, upstream, refused_port):
    def cfg(inst):
        c = inst.config(upstream.url)
        c["providers"]["dead"] = {"base_url": f"http://127.0.0.1:{refused_port}",
                                  "timeout": {"connect": "2s", "total": "5s"}}
        c["routes"].append({"name": "dead", "match": {"path": "/dead/{rest*}"},
                            "upstream": {"targets": ["dead"]}})
        return c
    return relais_factory(cfg=cfg)


def test_metrics_count_requests_and_pass_promtool(gateway, upstream):
    upstream.on("/internal/items/404", Resp(status=404, body=b'{"missing":true}'))
    port = gateway.public_port
    for _ in range(3):
        assert httpclient.request(port, "GET", "/v1/items/1").status == 200
    assert httpclient.request(port, "GET", "/v1/items/404").status == 404  # the backend's own 404
    assert httpclient.request(port, "GET", "/nope").status == 404  # no route
    assert httpclient.request(port, "POST", "/v1/items/1").status == 405  # no route for POST
    assert httpclient.request(port, "BREW", "/nope").status in (404, 405)
    for _ in range(2):
        assert httpclient.request(port, "GET", "/dead/x").status == 502

    # a request is counted when it is disposed, just after its response
    want = {("items", "GET", "200"): 3, ("items", "GET", "404"): 1, ("", "GET", "404"): 1,
            ("", "POST", "405"): 1, ("dead", "GET", "502"): 2}

    def counted():
        s = scrape_ok(gateway)[1]
        return all(val(s, "relais_requests_total", route=r, method=m, status=c) == n
                   for (r, m, c), n in want.items())
    assert wait_until(counted, timeout=5), scrape(gateway).text

    text, s = scrape_ok(gateway)
    promtool_check(text)
    for (route, method, code), n in want.items():
        assert val(s, "relais_requests_total", route=route, method=method, status=code) == n, (route, method, code)
    other = series(s, "relais_requests_total")
    brew = [k for k in other if ("method", "BREW") in k]
    assert brew == [], "a client-chosen method must not become a label value"
    assert any(("method", "OTHER") in k for k in other)

    # durations: cumulative buckets, +Inf == _count == the requests of the route
    buckets = sorted(((float(dict(k)["le"]), v) for k, v in series(s, "relais_request_duration_seconds_bucket").items()
                      if dict(k)["route"] == "items"), key=lambda kv: kv[0])
    assert [b for b, _ in buckets] == [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, math.inf]
    counts = [v for _, v in buckets]
    assert counts == sorted(counts), f"buckets must be cumulative: {buckets}"
    assert counts[-1] == val(s, "relais_request_duration_seconds_count", route="items") == 4
    assert 0 < val(s, "relais_request_duration_seconds_sum", route="items") < 10
    assert val(s, "relais_request_duration_seconds_count", route="dead") == 2

    assert val(s, "relais_inflight_requests") == 0
    version = run_cli("version").stdout.split()[-1]
    assert val(s, "relais_build_info", version=version) == 1
    ready = requests.get(gateway.admin_url("/readyz"), timeout=10).json()["data"]
    assert val(s, "relais_config_generation") == ready["config_generation"]
    for family in ("relais_upstream_requests_total", "relais_upstream_duration_seconds", "relais_retries_total",
                   "relais_fallbacks_total", "relais_breaker_state", "relais_breaker_transitions_total",
                   "relais_rate_limited_total", "relais_quota_exceeded_total", "relais_config_reloads_total",
                   "relais_cache_hits_total", "relais_cache_misses_total", "relais_cache_evictions_total",
                   "relais_cache_bytes"):
        assert f"# TYPE {family} " in text, family


def test_scrapes_and_admin_requests_are_not_counted(relais):
    scrape_ok(relais)
    before = sum(series(scrape_ok(relais)[1], "relais_requests_total").values())
    for _ in range(3):
        scrape_ok(relais)
        requests.get(relais.admin_url("/nothing-here"), headers=AUTH, timeout=10)
    after = sum(series(scrape_ok(relais)[1], "relais_requests_total").values())
    assert after == before


@pytest.mark.parametrize("token", [None, "wrong-token", ""], ids=["missing", "wrong", "empty"])
def test_metrics_require_the_admin_token(relais, token):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    r = scrape(relais, headers=headers)
    assert_envelope(r.status_code, r.headers, r.content, 401, "unauthorized")
    assert r.headers.get("WWW-Authenticate", "").startswith("Bearer")
    assert "relais_" not in r.text


def test_metrics_are_open_without_an_admin_token(relais_factory, upstream):
    def cfg(inst):
        c = inst.config(upstream.url)
        del c["admin_token"]
        return c
    inst = relais_factory(cfg=cfg)
    r = scrape(inst, headers={})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == CONTENT_TYPE
    promtool_check(r.text)


def test_metrics_methods_and_listener(relais):
    r = requests.post(relais.admin_url("/metrics"), headers=AUTH, timeout=10)
    assert_envelope(r.status_code, r.headers, r.content, 405, "method_not_allowed")
    assert {m.strip() for m in r.headers["Allow"].split(",")} == {"GET", "HEAD"}
    r = requests.head(relais.admin_url("/metrics"), headers=AUTH, timeout=10)
    assert r.status_code == 200 and r.content == b""
    assert r.headers["Content-Type"] == CONTENT_TYPE
    r = requests.get(relais.url("/metrics"), headers=AUTH, timeout=10)
    assert_envelope(r.status_code, r.headers, r.content, 404, "not_found")


def test_reloads_are_counted(relais, upstream):
    s = scrape_ok(relais)[1]
    gen = val(s, "relais_config_generation")
    assert val(s, "relais_config_reloads_total", result="ok") == 0
    assert val(s, "relais_config_reloads_total", result="error") == 0
    assert relais.reload().status_code == 200
    s = scrape_ok(relais)[1]
    assert val(s, "relais_config_reloads_total", result="ok") == 1
    assert val(s, "relais_config_generation") == gen + 1
    relais.write_config("routes: [\n")  # not YAML
    assert relais.reload().status_code == 400
    text, s = scrape_ok(relais)
    assert val(s, "relais_config_reloads_total", result="error") == 1
    assert val(s, "relais_config_generation") == gen + 1
    promtool_check(text)
