"""Outbound credentials: each auth type puts the provider's credentials on
the request the provider receives (never the client's), oauth2 tokens are
fetched once and refreshed on a 401, and no credential reaches a log line,
an error body or /status."""

import base64
import hashlib
import hmac
import json

from harness import httpclient
from harness.relais import ADMIN_TOKEN, base_env
from harness.upstream import Resp

SECRET = "s3cr3t-value-0123456789"


def start(relais_factory, upstream, auth, environ=None, **prov):
    env = base_env(PROV_SECRET=SECRET, **(environ or {}))
    return relais_factory(environ=env, workers=1, providers={"backend": {
        "base_url": upstream.url, "auth": auth, **prov}})


def no_secret_anywhere(inst, *texts):
    for t in texts:
        assert SECRET not in t
    assert SECRET not in inst.stdout_path.read_text()
    assert SECRET not in inst.stderr_path.read_text()


def test_bearer_replaces_the_clients_authorization(relais_factory, upstream):
    inst = start(relais_factory, upstream, {"type": "bearer", "token": "${PROV_SECRET}"})
    r = httpclient.request(inst.public_port, "GET", "/files/a", headers=[("Authorization", "Bearer client")])
    assert r.status == 200
    (req,) = upstream.requests
    assert req.header_all("Authorization") == [f"Bearer {SECRET}"]
    no_secret_anywhere(inst)


def test_api_key_header_and_query(relais_factory, upstream):
    inst = start(relais_factory, upstream, {"type": "api_key", "header": "X-Api-Key", "key": "${PROV_SECRET}"})
    httpclient.request(inst.public_port, "GET", "/files/a", headers=[("X-Api-Key", "mine")])
    assert upstream.requests[0].header_all("X-Api-Key") == [SECRET]
    inst.stop()
    upstream.reset()
    inst = start(relais_factory, upstream, {"type": "api_key", "query": "key", "key": "${PROV_SECRET}"})
    httpclient.request(inst.public_port, "GET", "/files/a?x=1&key=mine")
    q = upstream.requests[0].query
    assert "x=1" in q and f"key={SECRET}" in q and "key=mine" not in q


def test_basic(relais_factory, upstream):
    inst = start(relais_factory, upstream, {"type": "basic", "username": "user", "password": "${PROV_SECRET}"})
    httpclient.request(inst.public_port, "GET", "/files/a")
    want = "Basic " + base64.b64encode(f"user:{SECRET}".encode()).decode()
    assert upstream.requests[0].header("Authorization") == want


def test_hmac_signature_verifies(relais_factory, upstream):
    inst = start(relais_factory, upstream, {"type": "hmac", "secret": "${PROV_SECRET}", "header": "X-Signature",
                                            "timestamp_header": "X-Timestamp", "prefix": "sha256="})
    httpclient.request(inst.public_port, "POST", "/files/hook", body=b'{"a":1}')
    req = upstream.requests[0]
    ts = req.header("X-Timestamp")
    msg = f"POST\n/files/hook\n{ts}\n" + '{"a":1}'
    want = "sha256=" + hmac.new(SECRET.encode(), msg.encode(), hashlib.sha256).hexdigest()
    assert req.header("X-Signature") == want


def test_aws_sigv4_signs(relais_factory, upstream):
    inst = start(relais_factory, upstream, {"type": "aws_sigv4", "access_key": "AKIDEXAMPLE",
                                            "secret_key": "${PROV_SECRET}", "region": "eu-west-1",
                                            "service": "s3"})
    httpclient.request(inst.public_port, "GET", "/files/bucket/key")
    req = upstream.requests[0]
    authz = req.header("Authorization")
    assert authz.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/s3/aws4_request" in authz and "Signature=" in authz
    assert req.header("x-amz-date") and req.header("x-amz-content-sha256")
    no_secret_anywhere(inst, authz)


def test_missing_credential_means_mock_and_status_names_the_var(relais_factory, upstream):
    inst = relais_factory(workers=1, providers={"backend": {
        "base_url": upstream.url, "auth": {"type": "bearer", "token": "${NOT_SET_ANYWHERE}"}}})
    r = httpclient.request(inst.public_port, "GET", "/files/a")
    assert r.header("X-Relais-Mode") == "mock" and upstream.requests == []
    st = httpclient.request(inst.admin_port, "GET", "/status/backend",
                            headers=[("Authorization", f"Bearer {ADMIN_TOKEN}")])
    data = json.loads(st.body)["data"]
    assert data["mode"] == "mock" and data["missing_env"] == ["NOT_SET_ANYWHERE"]


def oauth_cfg(upstream):
    return {"type": "oauth2_client_credentials", "token_url": f"{upstream.url}/oauth/token",
            "client_id": "relais", "client_secret": "${PROV_SECRET}", "scope": "read"}


def test_oauth2_token_fetched_once_and_reused(relais_factory, upstream):
    upstream.on("/oauth/token", Resp(200, headers=[("Content-Type", "application/json")],
                                     body=b'{"access_token":"tok-1","expires_in":3600,"token_type":"Bearer"}'))
    inst = start(relais_factory, upstream, oauth_cfg(upstream))
    conn = httpclient.Conn(inst.public_port)
    for _ in range(100):
        assert conn.request("GET", "/files/a").status == 200
    token_reqs = [q for q in upstream.requests if q.path == "/oauth/token"]
    api_reqs = [q for q in upstream.requests if q.path == "/files/a"]
    assert len(token_reqs) == 1 and len(api_reqs) == 100
    assert b"grant_type=client_credentials" in token_reqs[0].body
    assert all(q.header("Authorization") == "Bearer tok-1" for q in api_reqs)
    no_secret_anywhere(inst)


def test_oauth2_401_refreshes_the_token_and_retries_once(relais_factory, upstream):
    tokens = iter([b'{"access_token":"old","expires_in":3600}', b'{"access_token":"new","expires_in":3600}'])
    upstream.on("/oauth/token", lambda req: Resp(200, headers=[("Content-Type", "application/json")],
                                                  body=next(tokens)))
    upstream.on("/files/p", lambda req: Resp(200, body=b"ok") if req.header("Authorization") == "Bearer new"
                else Resp(401, body=b"expired"))
    inst = start(relais_factory, upstream, oauth_cfg(upstream), retry={"attempts": 1})
    r = httpclient.request(inst.public_port, "POST", "/files/p", body=b"{}")
    assert r.status == 200 and r.body == b"ok"
    assert [q.path for q in upstream.requests] == ["/oauth/token", "/files/p", "/oauth/token", "/files/p"]


def test_oauth2_provider_is_probed_with_a_token(relais_factory, upstream):
    upstream.on("/oauth/token", Resp(200, headers=[("Content-Type", "application/json")],
                                     body=b'{"access_token":"probe-tok","expires_in":3600}'))
    inst = start(relais_factory, upstream, oauth_cfg(upstream), health={"path": "/healthz", "interval": "1s"})
    import time
    end = time.monotonic() + 5
    while not [q for q in upstream.requests if q.path == "/healthz"] and time.monotonic() < end:
        time.sleep(0.05)
    probes = [q for q in upstream.requests if q.path == "/healthz"]
    assert probes and probes[0].header("Authorization") == "Bearer probe-tok"
