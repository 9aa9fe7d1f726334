"""Sparse fieldsets (?fields=) and renames: objects, arrays, the top-level
`data` envelope, nested dotted paths, `*`, the route allowlist, 400
invalid_fields naming the field (before any upstream call), non-JSON
passing through, the ETag computed after selection, and per-route renames
serving a v2 from the same upstream."""

import json
from urllib.parse import quote

from harness import httpclient
from harness.relais import assert_envelope
from harness.upstream import Resp

OBJ = {"id": 7, "name": "Widget", "price": 12.50, "secret": "s3",
       "owner": {"name": "Ann", "email": "ann@example.com"}}
JSON = [("Content-Type", "application/json; charset=utf-8")]


def cfg(inst, upstream, allow=None):
    items = {"name": "items", "match": {"path": "/v1/items/{id}", "methods": ["GET", "PUT"]},
             "upstream": {"targets": ["backend"], "path": "/internal/items/{id}"}}
    if allow:
        items["fields"] = allow
    return inst.config(upstream.url, routes=[
        items,
        {"name": "list", "match": {"path": "/v1/items"}, "upstream": {"targets": ["backend"],
                                                                      "path": "/internal/items"}},
        {"name": "v2", "match": {"path": "/v2/items/{id}"},
         "upstream": {"targets": ["backend"], "path": "/internal/items/{id}"},
         "rename": {"nom": "name", "prix": "price"}},
        {"name": "v1", "match": {"path": "/v1/legacy/{id}"},
         "upstream": {"targets": ["backend"], "path": "/internal/items/{id}"}},
    ])


def get(inst, target, headers=None):
    return httpclient.request(inst.public_port, "GET", target, headers=headers)


def serve(upstream, path, doc, headers=JSON):
    body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    upstream.on(path, Resp(200, headers=headers, body=body))
    return body


def test_object(relais_factory, upstream):
    serve(upstream, "/internal/items/7", OBJ)
    inst = relais_factory(cfg=lambda i: cfg(i, upstream))
    r = get(inst, "/v1/items/7?fields=id,name")
    assert r.status == 200
    assert r.json() == {"id": 7, "name": "Widget"}
    assert r.header("Content-Length") == str(len(r.body))
    assert upstream.requests[0].target == "/internal/items/7?fields=id,name"  # forwarded unchanged


def test_nested_and_star(relais_factory, upstream):
    body = serve(upstream, "/internal/items/7", OBJ)
    inst = relais_factory(cfg=lambda i: cfg(i, upstream))
    assert get(inst, "/v1/items/7?fields=id,owner.name").json() == {"id": 7, "owner": {"name": "Ann"}}
    assert get(inst, "/v1/items/7?fields=owner").json() == {"owner": OBJ["owner"]}
    assert get(inst, "/v1/items/7?fields=" + quote("id,owner.name", safe="")).json() == \
        {"id": 7, "owner": {"name": "Ann"}}
    assert get(inst, "/v1/items/7?fields=id&fields=price").json() == {"id": 7, "price": 12.5}
    assert get(inst, "/v1/items/7?fields=*").json() == OBJ
    assert get(inst, "/v1/items/7").body == body  # no selection: unchanged bytes


def test_array_and_data_envelope(relais_factory, upstream):
    serve(upstream, "/internal/items", [OBJ, {"id": 8, "name": "Gadget", "secret": "x"}])
    inst = relais_factory(cfg=lambda i: cfg(i, upstream))
    assert get(inst, "/v1/items?fields=id,name").json() == [{"id": 7, "name": "Widget"}, {"id": 8, "name": "Gadget"}]
    serve(upstream, "/internal/items", {"success": True, "data": [OBJ, {"id": 8, "owner": {"name": "Bo", "x": 1}}],
                                        "meta": {"pagination": {"has_more": False, "next_cursor": None}}})
    assert get(inst, "/v1/items?fields=id,owner.name").json() == {
        "success": True, "data": [{"id": 7, "owner": {"name": "Ann"}}, {"id": 8, "owner": {"name": "Bo"}}],
        "meta": {"pagination": {"has_more": False, "next_cursor": None}}}


def test_invalid_fields_400_before_upstream(relais_factory, upstream):
    serve(upstream, "/internal/items/7", OBJ)
    inst = relais_factory(cfg=lambda i: cfg(i, upstream))
    for q, field in (("id,na-me", "na-me"), ("id,,name", ""), ("owner..name", "owner..name"),
                     ("id," + quote("a b"), "a b"), ("id.", "id."), ("id," + quote('a"b\\c'), 'a"b\\c')):
        r = get(inst, f"/v1/items/7?fields={q}")
        env = assert_envelope(r.status, r, r.body, 400, "invalid_fields")
        assert env["error"]["details"]["field"] == field, q
        assert f"'{field}'" in env["error"]["message"], env  # named as asked, escaped once
    assert upstream.requests == []


def test_allowlist(relais_factory, upstream):
    serve(upstream, "/internal/items/7", OBJ)
    inst = relais_factory(cfg=lambda i: cfg(i, upstream, allow=["id", "name", "price", "owner.name"]))
    assert get(inst, "/v1/items/7?fields=id,owner.name").json() == {"id": 7, "owner": {"name": "Ann"}}
    for asked, bad in (("id,secret", "secret"), ("owner", "owner"), ("owner.email", "owner.email")):
        r = get(inst, f"/v1/items/7?fields={asked}")
        env = assert_envelope(r.status, r, r.body, 400, "invalid_fields")
        assert env["error"]["details"]["field"] == bad
        assert f"'{bad}'" in env["error"]["message"]
        assert "owner.name" in env["error"]["message"]  # the allowed list is named
    assert len(upstream.requests) == 1


def test_non_json_passes_through(relais_factory, upstream):
    serve(upstream, "/internal/items/7", b"id,name\n7,Widget\n", headers=[("Content-Type", "text/csv")])
    serve(upstream, "/internal/items/8", b'{"id": 8, broken', headers=JSON)
    inst = relais_factory(cfg=lambda i: cfg(i, upstream))
    assert get(inst, "/v1/items/7?fields=id").body == b"id,name\n7,Widget\n"
    assert get(inst, "/v1/items/8?fields=id").body == b'{"id": 8, broken'


def test_errors_from_upstream_are_not_trimmed(relais_factory, upstream):
    upstream.on("/internal/items/7", Resp(404, headers=JSON, body=b'{"error": "no such item", "id": 7}'))
    inst = relais_factory(cfg=lambda i: cfg(i, upstream))
    r = get(inst, "/v1/items/7?fields=id")
    assert r.status == 404 and r.json() == {"error": "no such item", "id": 7}


def test_etag_after_selection(relais_factory, upstream):
    serve(upstream, "/internal/items/7", OBJ, headers=JSON + [("ETag", '"upstream-v1"')])
    inst = relais_factory(cfg=lambda i: cfg(i, upstream))
    full = get(inst, "/v1/items/7")
    assert full.header("ETag") == '"upstream-v1"'
    a = get(inst, "/v1/items/7?fields=id")
    b = get(inst, "/v1/items/7?fields=id,name")
    assert a.header("ETag") not in (None, '"upstream-v1"')
    assert b.header("ETag") not in (None, '"upstream-v1"', a.header("ETag"))
    r = get(inst, "/v1/items/7?fields=id", [("If-None-Match", a.header("ETag"))])
    assert r.status == 304
    r = get(inst, "/v1/items/7?fields=id,name", [("If-None-Match", a.header("ETag"))])
    assert r.status == 200 and r.json() == {"id": 7, "name": "Widget"}


def test_v2_renames_from_the_same_upstream(relais_factory, upstream):
    serve(upstream, "/internal/items/7", {"id": 7, "nom": "Widget", "prix": 9.90,
                                          "lines": [{"nom": "a"}], "note": "nom"})
    inst = relais_factory(cfg=lambda i: cfg(i, upstream))
    v1 = get(inst, "/v1/legacy/7")
    v2 = get(inst, "/v2/items/7")
    assert v1.json() == {"id": 7, "nom": "Widget", "prix": 9.9, "lines": [{"nom": "a"}], "note": "nom"}
    assert v2.body == b'{"id":7,"name":"Widget","price":9.9,"lines":[{"name":"a"}],"note":"nom"}'
    assert get(inst, "/v2/items/7?fields=name").json() == {"name": "Widget"}
    r = get(inst, "/v2/items/7?fields=nom")
    assert r.status == 200 and r.json() == {}
    assert [q.path for q in upstream.requests] == ["/internal/items/7"] * 4
