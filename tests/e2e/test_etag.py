"""ETags and conditional requests: relais' strong ETag on GET responses
without one (stable, body-bound), the upstream's kept, If-None-Match (one
tag, lists, W/, '*') → 304 with no body from upstream answers and from the
cache; If-Match on PUT/PATCH/DELETE → 412 precondition_failed or forwarded,
from a fetch of the current representation or a fresh cached one."""

import json

from harness import httpclient
from harness.relais import assert_envelope
from harness.upstream import Resp

ITEM = b'{"id":42,"nom":"widget"}'


def cfg(inst, upstream, cache=False, rename=None):
    route = {"name": "items", "match": {"path": "/v1/items/{id}", "methods": ["GET", "PUT", "PATCH", "DELETE"]},
             "upstream": {"targets": ["backend"], "path": "/internal/items/{id}"}}
    if cache:
        route["cache"] = {"ttl": "60s"}
    if rename:
        route["rename"] = rename
    return inst.config(upstream.url, routes=[route])


def req(inst, method, target, headers=None, body=None):
    return httpclient.request(inst.public_port, method, target, headers=headers, body=body)


def json_item(upstream, body=ITEM, extra=None):
    upstream.on("/internal/items/42", lambda r: Resp(200, headers=[("Content-Type", "application/json")] +
                                                     list(extra or []), body=body) if r.method == "GET"
                else Resp(204))


def test_strong_etag_added_and_stable(relais_factory, upstream):
    json_item(upstream)
    inst = relais_factory(cfg=lambda i: cfg(i, upstream))
    r1, r2 = req(inst, "GET", "/v1/items/42"), req(inst, "GET", "/v1/items/42")
    tag = r1.header("ETag")
    assert tag and tag.startswith('"') and tag.endswith('"') and not tag.startswith("W/")
    assert r2.header("ETag") == tag
    assert r1.body == ITEM  # no transform: the body passes unchanged
    upstream.on("/internal/items/42", Resp(200, headers=[("Content-Type", "application/json")],
                                           body=b'{"id":42,"nom":"other"}'))
    assert req(inst, "GET", "/v1/items/42").header("ETag") != tag
    # not on other methods, nor on non-200 answers
    assert req(inst, "PUT", "/v1/items/42", body=b"{}").header("ETag") is None
    upstream.on("/internal/items/404", Resp(404, body=b"nope"))
    assert req(inst, "GET", "/v1/items/404").header("ETag") is None


def test_upstream_etag_is_kept(relais_factory, upstream):
    json_item(upstream, extra=[("ETag", '"v7"')])
    inst = relais_factory(cfg=lambda i: cfg(i, upstream))
    assert req(inst, "GET", "/v1/items/42").header("ETag") == '"v7"'
    r = req(inst, "GET", "/v1/items/42", [("If-None-Match", '"v7"')])
    assert r.status == 304 and r.body == b""


def test_if_none_match_variants(relais_factory, upstream):
    json_item(upstream)
    inst = relais_factory(cfg=lambda i: cfg(i, upstream))
    tag = req(inst, "GET", "/v1/items/42").header("ETag")
    for value in (tag, f'"x", {tag}', f"W/{tag}", "*", f'"a",\t"b" , {tag}'):
        r = req(inst, "GET", "/v1/items/42", [("If-None-Match", value)])
        assert r.status == 304, value
        assert r.body == b""
        assert r.header("ETag") == tag
        assert r.header("Content-Type") is None
    for value in ('"other"', 'W/"other"', tag[:-2] + '"'):
        r = req(inst, "GET", "/v1/items/42", [("If-None-Match", value)])
        assert r.status == 200 and r.body == ITEM, value


def test_304_from_the_cache(relais_factory, upstream):
    json_item(upstream)
    inst = relais_factory(cfg=lambda i: cfg(i, upstream, cache=True))
    tag = req(inst, "GET", "/v1/items/42").header("ETag")
    r = req(inst, "GET", "/v1/items/42", [("If-None-Match", tag)])
    assert r.status == 304 and r.body == b""
    assert r.header("X-Relais-Cache") == "HIT"
    assert r.header("ETag") == tag
    assert len(upstream.requests) == 1


def test_if_match_mismatch_gives_412_and_never_writes(relais_factory, upstream):
    json_item(upstream)
    inst = relais_factory(cfg=lambda i: cfg(i, upstream))
    for method in ("PUT", "PATCH", "DELETE"):
        upstream.reset()
        r = req(inst, method, "/v1/items/42", [("If-Match", '"stale"')], body=b'{"nom":"x"}')
        assert_envelope(r.status, r, r.body, 412, "precondition_failed")
        assert [q.method for q in upstream.requests] == ["GET"], method
    # a weak tag never matches If-Match
    tag = req(inst, "GET", "/v1/items/42").header("ETag")
    upstream.reset()
    r = req(inst, "PUT", "/v1/items/42", [("If-Match", "W/" + tag)], body=b"{}")
    assert r.status == 412
    assert [q.method for q in upstream.requests] == ["GET"]


def test_if_match_match_forwards(relais_factory, upstream):
    json_item(upstream)
    inst = relais_factory(cfg=lambda i: cfg(i, upstream))
    tag = req(inst, "GET", "/v1/items/42").header("ETag")
    upstream.reset()
    r = req(inst, "PUT", "/v1/items/42", [("If-Match", f'"nope", {tag}'), ("Authorization", "Bearer k")],
            body=b'{"nom":"new"}')
    assert r.status == 204
    fetch, write = upstream.wait_for_requests(2)
    assert fetch.method == "GET" and fetch.path == "/internal/items/42"
    assert fetch.header("Authorization") == "Bearer k"  # fetched as the caller
    assert fetch.body == b""
    assert write.method == "PUT" and write.body == b'{"nom":"new"}'
    assert write.header("If-Match") is None  # relais' own tag means nothing to the upstream
    r = req(inst, "DELETE", "/v1/items/42", [("If-Match", "*")])
    assert r.status == 204


def test_if_match_star_on_missing_resource(relais_factory, upstream):
    upstream.on("/internal/items/9", lambda r: Resp(404, body=b"gone") if r.method == "GET" else Resp(204))
    inst = relais_factory(cfg=lambda i: cfg(i, upstream))
    r = req(inst, "PUT", "/v1/items/9", [("If-Match", "*")], body=b"{}")
    assert_envelope(r.status, r, r.body, 412, "precondition_failed")
    assert [q.method for q in upstream.requests] == ["GET"]


def test_upstream_etag_if_match_forwarded_unchanged(relais_factory, upstream):
    json_item(upstream, extra=[("ETag", '"v7"')])
    inst = relais_factory(cfg=lambda i: cfg(i, upstream))
    assert req(inst, "PUT", "/v1/items/42", [("If-Match", '"v6"')], body=b"{}").status == 412
    upstream.reset()
    assert req(inst, "PUT", "/v1/items/42", [("If-Match", '"v7"')], body=b"{}").status == 204
    write = upstream.wait_for_requests(2)[1]
    assert write.header("If-Match") == '"v7"'  # the upstream re-checks atomically


def test_if_match_uses_a_fresh_cached_representation(relais_factory, upstream):
    json_item(upstream)
    inst = relais_factory(cfg=lambda i: cfg(i, upstream, cache=True))
    tag = req(inst, "GET", "/v1/items/42").header("ETag")
    upstream.reset()
    assert req(inst, "PATCH", "/v1/items/42", [("If-Match", '"stale"')], body=b"{}").status == 412
    assert upstream.requests == []  # decided from the cache
    assert req(inst, "PATCH", "/v1/items/42", [("If-Match", tag)], body=b"{}").status == 204
    assert [q.method for q in upstream.requests] == ["PATCH"]
    # the cached tag is relais' own (the upstream sent none): not forwarded
    assert upstream.requests[0].header("If-Match") is None


def test_if_match_from_the_cache_forwards_the_upstreams_own_tag(relais_factory, upstream):
    json_item(upstream, extra=[("ETag", '"v7"')])
    inst = relais_factory(cfg=lambda i: cfg(i, upstream, cache=True))
    assert req(inst, "GET", "/v1/items/42").header("ETag") == '"v7"'
    upstream.reset()
    assert req(inst, "PATCH", "/v1/items/42", [("If-Match", '"v7"')], body=b"{}").status == 204
    assert [q.method for q in upstream.requests] == ["PATCH"]  # decided from the cache
    assert upstream.requests[0].header("If-Match") == '"v7"'  # the upstream re-checks atomically


def test_if_match_with_renames_uses_the_client_representation(relais_factory, upstream):
    json_item(upstream)
    inst = relais_factory(cfg=lambda i: cfg(i, upstream, rename={"nom": "name"}))
    r = req(inst, "GET", "/v1/items/42")
    assert json.loads(r.body) == {"id": 42, "name": "widget"}
    assert req(inst, "PUT", "/v1/items/42", [("If-Match", r.header("ETag"))], body=b"{}").status == 204


def test_if_match_fetch_failure_is_502(relais_factory, upstream):
    upstream.on("/internal/items/42", Resp(close_without_answer=True))
    inst = relais_factory(cfg=lambda i: cfg(i, upstream))
    r = req(inst, "PUT", "/v1/items/42", [("If-Match", '"x"')], body=b"{}")
    assert_envelope(r.status, r, r.body, 502, "upstream_error")


def test_if_match_with_renames_on_a_json_suffix_type(relais_factory, upstream):
    """application/<x>+json is JSON to the GET (renamed, tag over the renamed
    body), so the If-Match check must rename it too, or the tag a client just
    got never matches."""
    upstream.on("/internal/items/42", lambda r: Resp(200, headers=[("Content-Type", "application/vnd.api+json")],
                                                     body=ITEM) if r.method == "GET" else Resp(204))
    inst = relais_factory(cfg=lambda i: cfg(i, upstream, rename={"nom": "name"}))
    r = req(inst, "GET", "/v1/items/42")
    assert json.loads(r.body) == {"id": 42, "name": "widget"}
    assert req(inst, "PUT", "/v1/items/42", [("If-Match", r.header("ETag"))], body=b"{}").status == 204


def test_304_keeps_relais_own_response_headers(relais_factory, upstream):
    """A 304 drops the representation's metadata (Content-Type...), not the
    headers relais adds to every answer: a page that revalidates with
    If-None-Match cross-origin reads a 304 only with Access-Control-Allow-
    Origin, and the rate limit still applies to it."""
    json_item(upstream)

    def c(inst):
        out = cfg(inst, upstream, cache=True)
        out["cors"] = {"allow_origins": ["https://app.example.com"]}
        out["routes"][0]["rate_limit"] = {"limit": "100/min", "by": "ip"}
        return out

    inst = relais_factory(cfg=c)
    origin = [("Origin", "https://app.example.com")]
    tag = req(inst, "GET", "/v1/items/42", origin).header("ETag")
    upstream.on("/internal/items/43", Resp(200, headers=[("Content-Type", "application/json")], body=ITEM))
    for target in ("/v1/items/42", "/v1/items/43"):  # from the cache, and from the upstream's answer
        r = req(inst, "GET", target, origin + [("If-None-Match", tag)])
        assert r.status == 304 and r.body == b""
        assert r.header("Access-Control-Allow-Origin") == "https://app.example.com"
        assert r.header("RateLimit-Remaining") is not None
        assert r.header("Content-Type") is None
