"""Health endpoints on both listeners; logs as JSON lines: one access-log line
per request on stdout with the documented keys, everything else on stderr."""

import json
import re

import requests

from harness import httpclient
from harness.upstream import Resp

ACCESS_KEYS = {"time", "request_id", "route", "method", "path", "status", "bytes", "duration_ms",
               "upstream", "upstream_status"}


def test_healthz_and_readyz_on_both_listeners(relais):
    for url in (relais.url("/healthz"), relais.url("/readyz"),
                relais.admin_url("/healthz"), relais.admin_url("/readyz")):
        r = requests.get(url, timeout=5)
        assert r.status_code == 200, url


def test_admin_listener_does_not_proxy_routes(relais, upstream):
    r = httpclient.request(relais.admin_port, "GET", "/v1/items/1")
    assert r.status == 404
    assert upstream.requests == []


def test_access_log_line_has_every_field(relais, upstream):
    upstream.on("/internal/items/7", Resp(201, headers=[("Content-Type", "application/json")],
                                          body=b'{"id": 7, "pad": "' + b"p" * 200 + b'"}'))
    r = httpclient.request(relais.public_port, "PUT", "/v1/items/7?q=1", body=b"{}",
                           headers=[("X-Request-Id", "log-fields-1")])
    assert r.status == 201
    (line,) = relais.wait_access_log(lambda e: e.get("request_id") == "log-fields-1")
    assert ACCESS_KEYS <= set(line), f"missing {ACCESS_KEYS - set(line)} in {line}"
    assert line["route"] == "items"
    assert line["method"] == "PUT"
    assert line["path"].split("?")[0] == "/v1/items/7"
    assert line["status"] == 201
    assert line["upstream"] == "backend"
    assert line["upstream_status"] == 201
    assert isinstance(line["bytes"], int) and line["bytes"] >= len(r.body)
    assert isinstance(line["duration_ms"], (int, float)) and line["duration_ms"] >= 0
    t = line["time"]
    assert (isinstance(t, str) and re.match(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", t)) or \
        isinstance(t, (int, float)), t


def test_access_log_status_follows_the_upstream(relais, upstream):
    upstream.on("/files/teapot", Resp(503, body=b"busy"))
    r = httpclient.request(relais.public_port, "GET", "/files/teapot", headers=[("X-Request-Id", "log-503")])
    assert r.status == 503
    (line,) = relais.wait_access_log(lambda e: e.get("request_id") == "log-503")
    assert line["status"] == 503 and line["upstream_status"] == 503 and line["route"] == "files"


def test_access_log_for_relais_errors(relais):
    r = httpclient.request(relais.public_port, "GET", "/nope", headers=[("X-Request-Id", "log-404")])
    assert r.status == 404
    (line,) = relais.wait_access_log(lambda e: e.get("request_id") == "log-404")
    assert ACCESS_KEYS <= set(line), line
    assert line["status"] == 404 and line["method"] == "GET" and line["path"].split("?")[0] == "/nope"


def test_one_access_log_line_per_request(relais, upstream):
    ids = [f"one-line-{i}" for i in range(10)]
    for i, rid in enumerate(ids):
        target = "/nope" if i % 3 == 0 else f"/files/n{i}"
        httpclient.request(relais.public_port, "GET", target, headers=[("X-Request-Id", rid)])
    relais.wait_access_log(lambda e: e.get("request_id") in ids, n=len(ids))
    counts = {rid: 0 for rid in ids}
    for e in relais.access_log():
        if e.get("request_id") in counts:
            counts[e["request_id"]] += 1
    assert all(v == 1 for v in counts.values()), counts


def test_every_log_line_is_a_json_object(relais, upstream):
    for target in ("/files/a", "/nope", "/v1/items/2"):
        httpclient.request(relais.public_port, "GET", target)
    relais.wait_access_log(lambda e: True, n=3)
    relais.stop()
    for stream, text in (("stdout", relais.stdout_text()), ("stderr", relais.stderr_text())):
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                raise AssertionError(f"{stream} line is not JSON: {line!r}")
            assert isinstance(obj, dict), f"{stream} line is not a JSON object: {line!r}"
