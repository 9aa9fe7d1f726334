"""API keys: `relais keys` CLI, /admin/v1/keys (CRUD, rotate, revoke), cursor
pagination, and API-key authentication through rl_auth_apikey (cache,
rotation grace, revocation reaching every worker within 1 s)."""

import re
import sqlite3
import time

import requests

from harness import httpclient
from harness.relais import ADMIN_TOKEN, run_cli

KEY_RE = re.compile(r"^rk_[0-9A-Za-z]{12}_[0-9A-Za-z]{43}$")
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def admin(inst, method, path, **kw):
    return requests.request(method, inst.admin_url(path), headers=AUTH, timeout=10, **kw)


def create(inst, **body):
    body.setdefault("name", "partner")
    r = admin(inst, "POST", "/admin/v1/keys", json=body)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def keyed_config(inst, upstream_url, **over):
    cfg = inst.config(upstream_url, **over)
    cfg["routes"].insert(0, {"name": "secure", "match": {"path": "/secure/{id}"}, "auth": ["api_key"],
                             "upstream": {"targets": ["backend"], "path": "/internal/{id}"}})
    return cfg


# -- CLI ---------------------------------------------------------------------

def test_cli_create_list_rotate_revoke(relais_factory):
    inst = relais_factory(start=False)
    cfg = str(inst.config_path)
    r = run_cli("keys", "create", "-c", cfg, "--name", "acme", "--scopes", "items:read,ai",
                "--allow-ips", "10.0.0.0/8,2001:db8::/32", "--expires", "30d")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    key = lines[0]
    assert KEY_RE.match(key), lines[0]  # the whole key, alone on the first line
    kid = key[3:15]
    assert key not in "\n".join(lines[1:])
    assert "acme" in r.stdout and "items:read,ai" in r.stdout

    db = sqlite3.connect(inst.dir / "var" / "relais.db")
    (stored,) = db.execute("SELECT secret_hash FROM api_keys WHERE id = ?", (kid,)).fetchone()
    assert len(stored) == 32 and key[16:].encode() not in stored  # only a SHA-256 is stored
    dump = "\n".join(db.iterdump())
    assert key[16:] not in dump

    r = run_cli("keys", "list", "-c", cfg)
    assert r.returncode == 0 and kid in r.stdout and "active" in r.stdout and key not in r.stdout

    r = run_cli("keys", "rotate", "-c", cfg, kid, "--grace", "1h")
    assert r.returncode == 0, r.stderr
    new = r.stdout.splitlines()[0]
    assert KEY_RE.match(new) and new != key and new[3:15] == kid

    r = run_cli("keys", "revoke", "-c", cfg, kid)
    assert r.returncode == 0, r.stderr
    assert "revoked" in run_cli("keys", "list", "-c", cfg).stdout

    assert run_cli("keys", "revoke", "-c", cfg, "nosuchkey123").returncode == 1
    assert run_cli("keys", "create", "-c", cfg).returncode == 2  # --name is required
    bad = run_cli("keys", "create", "-c", cfg, "--name", "x", "--allow-ips", "10.0.0.0/33")
    assert bad.returncode == 2 and "10.0.0.0/33" in bad.stderr
    m = run_cli("migrate", "-c", cfg)
    assert m.returncode == 0 and "up to date" in m.stdout


# -- admin API ---------------------------------------------------------------

def test_admin_crud(relais):
    assert requests.get(relais.admin_url("/admin/v1/keys"), timeout=5).status_code == 401
    data = create(relais, name="acme", scopes=["a", "b"], allow_ips=["10.0.0.0/8"],
                  expires_at="2099-01-01T00:00:00Z")
    assert KEY_RE.match(data["key"]) and data["id"] == data["key"][3:15]
    assert data["scopes"] == ["a", "b"] and data["allow_ips"] == ["10.0.0.0/8"]
    assert data["expires_at"] == "2099-01-01T00:00:00Z" and data["status"] == "active"

    one = admin(relais, "GET", f"/admin/v1/keys/{data['id']}").json()["data"]
    assert one["name"] == "acme" and "key" not in one
    listed = admin(relais, "GET", "/admin/v1/keys")
    assert listed.status_code == 200 and data["key"] not in listed.text and data["key"][16:] not in listed.text

    rot = admin(relais, "POST", f"/admin/v1/keys/{data['id']}/rotate", json={"grace": "1h"})
    assert rot.status_code == 200, rot.text
    assert KEY_RE.match(rot.json()["data"]["key"]) and rot.json()["data"]["key"] != data["key"]
    assert rot.json()["data"]["rotation_grace_until"] is not None

    rev = admin(relais, "DELETE", f"/admin/v1/keys/{data['id']}")
    assert rev.status_code == 200 and rev.json()["data"]["status"] == "revoked"
    assert admin(relais, "POST", f"/admin/v1/keys/{data['id']}/rotate").status_code == 404

    assert admin(relais, "GET", "/admin/v1/keys/nosuchkey123").status_code == 404
    assert admin(relais, "GET", "/admin/v1/keys/x/y").status_code == 404
    assert admin(relais, "PUT", "/admin/v1/keys").status_code == 405
    for body in ({}, {"name": ""}, {"name": "x", "allow_ips": ["nope"]}, {"name": "x", "scopes": "a b"},
                 {"name": "x", "expires_at": "2001-01-01T00:00:00Z"}, {"name": "x", "expires_at": "soon"}):
        r = admin(relais, "POST", "/admin/v1/keys", json=body)
        assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request", (body, r.text)
    r = admin(relais, "POST", "/admin/v1/keys", data=b"not json")
    assert r.status_code == 400


def test_admin_pagination_and_invalid_cursor(relais):
    ids = [create(relais, name=f"k{i}")["id"] for i in range(5)]
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        r = admin(relais, "GET", "/admin/v1/keys", params=params)
        assert r.status_code == 200, r.text
        body = r.json()
        pages += 1
        seen += [k["id"] for k in body["data"]]
        pg = body["meta"]["pagination"]
        if not pg["has_more"]:
            assert pg["next_cursor"] is None
            break
        cursor = pg["next_cursor"]
    assert seen == ids and pages == 3

    first = admin(relais, "GET", "/admin/v1/keys", params={"limit": 1}).json()["meta"]["pagination"]["next_cursor"]
    tampered = first[:-1] + ("A" if first[-1] != "A" else "B")
    for bad in (tampered, "garbage", first + "x"):
        r = admin(relais, "GET", "/admin/v1/keys", params={"cursor": bad})
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_cursor", r.text
    # an audit cursor is not a keys cursor
    admin(relais, "GET", "/admin/v1/audit")
    for lim in ("0", "101", "abc"):
        r = admin(relais, "GET", "/admin/v1/keys", params={"limit": lim})
        assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"
    assert len(admin(relais, "GET", "/admin/v1/keys", params={"limit": 100}).json()["data"]) == 5


# -- authentication through rl_auth_apikey -----------------------------------

def call(inst, key, header="x-api-key"):
    value = key if header == "x-api-key" else f"Bearer {key}"
    # a new connection each time, so that both workers (SO_REUSEPORT) serve some
    return httpclient.request(inst.public_port, "GET", "/secure/1", headers=[(header, value), ("connection", "close")])


def test_key_authenticates_rotation_grace_and_revocation_within_1s(relais_factory, upstream):
    inst = relais_factory(cfg=lambda i: keyed_config(i, upstream.url, workers=2))
    data = create(inst, name="acme", scopes=["items:read"])
    key = data["key"]
    assert call(inst, key).status == 200
    assert call(inst, key, "authorization").status == 200
    assert call(inst, key[:-1] + ("a" if key[-1] != "a" else "b")).status == 401
    assert call(inst, "rk_nosuchkey123_" + "a" * 43).status == 401
    assert httpclient.request(inst.public_port, "GET", "/secure/1").status == 401

    new = admin(inst, "POST", f"/admin/v1/keys/{data['id']}/rotate", json={"grace": "1h"}).json()["data"]["key"]
    time.sleep(0.15)  # a cached refusal is final for 100 ms at most
    assert all(call(inst, k).status == 200 for k in (key, new) for _ in range(4))
    admin(inst, "POST", f"/admin/v1/keys/{data['id']}/rotate", json={"grace": "0"})
    time.sleep(0.6)  # past the cache TTL
    assert call(inst, key).status == 401  # a second rotation with grace 0 ends both old secrets

    k2 = create(inst, name="to-revoke")
    assert all(call(inst, k2["key"]).status == 200 for _ in range(8))
    r = admin(inst, "DELETE", f"/admin/v1/keys/{k2['id']}")
    assert r.status_code == 200
    revoked_at = time.monotonic()
    time.sleep(1.0)
    statuses = [call(inst, k2["key"]).status for _ in range(20)]
    assert statuses == [401] * 20, statuses
    assert time.monotonic() - revoked_at < 5

    # last_used_at is written in batches by the control thread
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        got = admin(inst, "GET", f"/admin/v1/keys/{k2['id']}").json()["data"]
        if got["last_used_at"]:
            break
        time.sleep(0.2)
    assert got["last_used_at"] is not None


def test_cli_revocation_reaches_a_running_server(relais_factory, upstream):
    inst = relais_factory(cfg=lambda i: keyed_config(i, upstream.url, workers=2))
    out = run_cli("keys", "create", "-c", str(inst.config_path), "--name", "cli")
    key = out.stdout.splitlines()[0]
    assert call(inst, key).status == 200
    assert run_cli("keys", "revoke", "-c", str(inst.config_path), key[3:15]).returncode == 0
    time.sleep(1.0)
    assert [call(inst, key).status for _ in range(10)] == [401] * 10
