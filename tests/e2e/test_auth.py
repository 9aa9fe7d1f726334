"""Access: JWT (HS256, RS256, ES256, EdDSA minted here with python3-cryptography),
static keys and a JWKS served by the test with kid rotation and the refetch
rule, API keys made with `relais keys create`, 401 + WWW-Authenticate, 403 for
scopes and IP allowlists (with and without trust_proxy + X-Forwarded-For), and
the security headers on relais' own answers."""

from __future__ import annotations

import base64
import json
import time

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from harness.httpclient import request
from harness.relais import assert_envelope, run_cli, base_env
from harness.upstream import Resp

HS_SECRET = "e2e-hs256-secret-0123456789abcdef0123"
ISS = "https://id.example.com"
AUD = "relais"


def b64u(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64u_int(n: int, size: int = 0) -> str:
    size = size or (n.bit_length() + 7) // 8
    return b64u(n.to_bytes(size, "big"))


class Keys:
    """One key pair per asymmetric alg, generated once per module."""

    def __init__(self):
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        self.ed = ed25519.Ed25519PrivateKey.generate()

    def pem(self, alg: str) -> str:
        key = {"RS256": self.rsa, "ES256": self.ec, "EdDSA": self.ed}[alg]
        return key.public_key().public_bytes(serialization.Encoding.PEM,
                                             serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def jwk(self, alg: str, kid: str) -> dict:
        if alg == "RS256":
            n = self.rsa.public_key().public_numbers()
            return {"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig", "n": b64u_int(n.n), "e": b64u_int(n.e)}
        if alg == "ES256":
            n = self.ec.public_key().public_numbers()
            return {"kty": "EC", "kid": kid, "crv": "P-256", "x": b64u_int(n.x, 32), "y": b64u_int(n.y, 32)}
        raw = self.ed.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"kty": "OKP", "kid": kid, "crv": "Ed25519", "x": b64u(raw)}

    def sign(self, alg: str, data: bytes) -> bytes:
        if alg == "HS256":
            import hmac
            import hashlib
            return hmac.new(HS_SECRET.encode(), data, hashlib.sha256).digest()
        if alg == "RS256":
            return self.rsa.sign(data, padding.PKCS1v15(), hashes.SHA256())
        if alg == "ES256":
            r, s = decode_dss_signature(self.ec.sign(data, ec.ECDSA(hashes.SHA256())))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return self.ed.sign(data)


@pytest.fixture(scope="module")
def keys():
    return Keys()


def mint(keys: Keys, alg: str, kid=None, sub="user-1", scope="items:read", exp_in=300, **claims) -> str:
    header = {"alg": alg, "typ": "JWT"}
    if kid:
        header["kid"] = kid
    now = int(time.time())
    payload = {"sub": sub, "iss": ISS, "aud": AUD, "iat": now, "exp": now + exp_in}
    if scope is not None:
        payload["scope"] = scope
    payload.update(claims)
    payload = {k: v for k, v in payload.items() if v is not None}
    signing = f"{b64u(json.dumps(header).encode())}.{b64u(json.dumps(payload).encode())}"
    return f"{signing}.{b64u(keys.sign(alg, signing.encode()))}"


def bearer(tok: str) -> list:
    return [("Authorization", f"Bearer {tok}")]


def secure_route(**extra) -> dict:
    r = {"name": "secure", "match": {"path": "/v1/secure/{rest*}"}, "auth": ["jwt"],
         "upstream": {"targets": ["backend"]}}
    r.update(extra)
    return r


def jwt_static(keys: Keys) -> dict:
    return {"issuer": ISS, "audience": AUD, "leeway": "5s", "keys": [
        {"kid": "hs", "alg": "HS256", "key": HS_SECRET},
        {"kid": "rs", "pem": keys.pem("RS256")},
        {"kid": "es", "alg": "ES256", "pem": keys.pem("ES256")},
        {"kid": "ed", "jwk": keys.jwk("EdDSA", "ed")},
    ]}


def start(relais_factory, upstream, routes, **over):
    def cfg(inst):
        c = inst.config(upstream.url, **over)
        c["routes"] = routes
        return c
    return relais_factory(cfg)


@pytest.mark.parametrize("alg,kid", [("HS256", "hs"), ("RS256", "rs"), ("ES256", "es"), ("EdDSA", "ed")])
def test_jwt_each_alg_static_keys(relais_factory, upstream, keys, alg, kid):
    rl = start(relais_factory, upstream, [secure_route(scopes=["items:read"])], auth={"jwt": jwt_static(keys)})
    tok = mint(keys, alg, kid)
    r = request(rl.public_port, "GET", "/v1/secure/a", headers=bearer(tok))
    assert r.status == 200, r.body
    got = upstream.requests[-1]
    assert got.path == "/v1/secure/a"
    assert got.header("authorization") == f"Bearer {tok}"
    # a token without kid finds its key by alg
    r = request(rl.public_port, "GET", "/v1/secure/b", headers=bearer(mint(keys, alg)))
    assert r.status == 200, r.body


def test_jwt_401_outcomes(relais_factory, upstream, keys):
    rl = start(relais_factory, upstream, [secure_route()], auth={"jwt": jwt_static(keys)})
    port = rl.public_port
    n_before = len(upstream.requests)

    r = request(port, "GET", "/v1/secure/x")
    assert_envelope(r.status, r, r.body, 401, "unauthorized")
    assert r.header("www-authenticate") == 'Bearer realm="relais"'

    cases = {
        "garbage": "not.a.jwt",
        "expired": mint(keys, "ES256", "es", exp_in=-60),
        "wrong audience": mint(keys, "ES256", "es", aud="someone-else"),
        "wrong issuer": mint(keys, "RS256", "rs", iss="https://evil.example.com"),
        "no sub": mint(keys, "HS256", "hs", sub=None),
        "not yet valid": mint(keys, "EdDSA", "ed", nbf=int(time.time()) + 120),
        "unknown kid": mint(keys, "HS256", "nope"),
        "alg none": b64u(b'{"alg":"none"}') + "." + b64u(b'{"sub":"x"}') + ".",
    }
    tampered = mint(keys, "RS256", "rs").split(".")
    tampered[1] = b64u(json.dumps({"sub": "admin", "exp": int(time.time()) + 60, "iss": ISS, "aud": AUD}).encode())
    cases["tampered payload"] = ".".join(tampered)
    for what, tok in cases.items():
        r = request(port, "GET", "/v1/secure/x", headers=bearer(tok))
        assert r.status == 401, (what, r.status, r.body)
        assert_envelope(r.status, r, r.body, 401, "unauthorized")
        assert r.header("www-authenticate") == 'Bearer realm="relais", error="invalid_token"', what
    # within the leeway (5s) an expired token still passes
    r = request(port, "GET", "/v1/secure/x", headers=bearer(mint(keys, "HS256", "hs", exp_in=-2)))
    assert r.status == 200, r.body
    assert len(upstream.requests) == n_before + 1  # nothing refused reached the backend


def test_auth_none_and_order(relais_factory, upstream, keys):
    routes = [secure_route(name="optional", match={"path": "/v1/opt"}, auth=["jwt", "none"]),
              secure_route(name="open", match={"path": "/v1/open"}, auth=["none"])]
    rl = start(relais_factory, upstream, routes, auth={"jwt": jwt_static(keys)})
    port = rl.public_port
    assert request(port, "GET", "/v1/open").status == 200
    assert request(port, "GET", "/v1/opt").status == 200          # anonymous allowed
    assert request(port, "GET", "/v1/opt", headers=bearer(mint(keys, "HS256", "hs"))).status == 200
    # a bad credential is not downgraded to anonymous
    r = request(port, "GET", "/v1/opt", headers=bearer(mint(keys, "HS256", "hs", exp_in=-600)))
    assert r.status == 401
    assert 'error="invalid_token"' in r.header("www-authenticate")


def test_scopes_403(relais_factory, upstream, keys):
    routes = [secure_route(scopes=["items:read", "items:write"])]
    rl = start(relais_factory, upstream, routes, auth={"jwt": jwt_static(keys)})
    port = rl.public_port
    r = request(port, "GET", "/v1/secure/x", headers=bearer(mint(keys, "HS256", "hs", scope="items:read")))
    env = assert_envelope(r.status, r, r.body, 403, "forbidden")
    assert env["error"]["details"]["missing_scopes"] == ["items:write"]
    ok = mint(keys, "HS256", "hs", scope="other items:write items:read")
    assert request(port, "GET", "/v1/secure/x", headers=bearer(ok)).status == 200
    # scp as an array works too
    scp = mint(keys, "ES256", "es", scope=None, scp=["items:read", "items:write"])
    assert request(port, "GET", "/v1/secure/x", headers=bearer(scp)).status == 200


def test_ip_allowlist_direct_and_behind_proxy(relais_factory, upstream):
    routes = [{"name": "inner", "match": {"path": "/v1/inner"}, "allow_ips": ["10.0.0.0/8", "2001:db8::/32"],
               "upstream": {"targets": ["backend"]}},
              {"name": "local", "match": {"path": "/v1/local"}, "allow_ips": ["127.0.0.0/8"],
               "upstream": {"targets": ["backend"]}}]
    # without trust_proxy: the TCP peer (127.0.0.1) decides; X-Forwarded-For is ignored
    rl = start(relais_factory, upstream, routes)
    r = request(rl.public_port, "GET", "/v1/inner", headers=[("X-Forwarded-For", "10.1.2.3")])
    env = assert_envelope(r.status, r, r.body, 403, "forbidden")
    assert "127.0.0.1" in env["error"]["message"]
    assert request(rl.public_port, "GET", "/v1/local").status == 200
    rl.stop()
    # behind a trusted proxy: the right-most untrusted X-Forwarded-For entry decides
    rl = start(relais_factory, upstream, routes, trust_proxy=["127.0.0.1/32"])
    port = rl.public_port
    assert request(port, "GET", "/v1/inner", headers=[("X-Forwarded-For", "10.1.2.3")]).status == 200
    assert request(port, "GET", "/v1/inner", headers=[("X-Forwarded-For", "2001:db8::5")]).status == 200
    # a spoofed left entry does not help: 8.8.8.8 is the client the proxy saw
    r = request(port, "GET", "/v1/inner", headers=[("X-Forwarded-For", "10.1.2.3, 8.8.8.8")])
    assert r.status == 403
    # two headers are one list
    r = request(port, "GET", "/v1/inner", headers=[("X-Forwarded-For", "8.8.8.8"), ("X-Forwarded-For", "10.9.9.9")])
    assert r.status == 200
    # the proxy itself is no longer the client
    assert request(port, "GET", "/v1/local", headers=[("X-Forwarded-For", "8.8.8.8")]).status == 403
    assert request(port, "GET", "/v1/local").status == 200


def test_jwks_kid_rotation_and_refetch_rule(relais_factory, upstream, keys):
    jwks = {"keys": [keys.jwk("RS256", "k1")]}
    fetches = []

    def serve_jwks(req):
        fetches.append(time.time())
        return Resp(200, [("Content-Type", "application/json")], json.dumps(jwks).encode())

    upstream.on("/.well-known/jwks.json", serve_jwks)
    jwt = {"issuer": ISS, "audience": AUD, "jwks_url": upstream.url + "/.well-known/jwks.json",
           "jwks_refetch_interval": "2s"}
    rl = start(relais_factory, upstream, [secure_route()], auth={"jwt": jwt}, workers=1)
    port = rl.public_port
    assert request(port, "GET", "/v1/secure/a", headers=bearer(mint(keys, "RS256", "k1"))).status == 200
    assert len(fetches) == 1
    assert request(port, "GET", "/v1/secure/a", headers=bearer(mint(keys, "RS256", "k1"))).status == 200
    assert len(fetches) == 1  # cached

    # the IdP rotates to k2 (an EC key); right after the last fetch the unknown kid is refused…
    jwks = {"keys": [keys.jwk("ES256", "k2")]}
    t_first = fetches[0]
    r = request(port, "GET", "/v1/secure/a", headers=bearer(mint(keys, "ES256", "k2")))
    if time.time() - t_first < 1.8:
        assert r.status == 401
        assert len(fetches) == 1
    # …and random kids never make relais hammer the IdP
    for i in range(10):
        request(port, "GET", "/v1/secure/a", headers=bearer(mint(keys, "HS256", f"rand{i}")))
    assert len(fetches) <= 2
    # once the interval has passed, the unknown kid triggers one refetch and passes
    time.sleep(max(0.0, t_first + 2.1 - time.time()))
    n = len(fetches)
    r = request(port, "GET", "/v1/secure/a", headers=bearer(mint(keys, "ES256", "k2")))
    assert r.status == 200, r.body
    assert len(fetches) == n + 1
    # the old key is gone from the JWKS: within the interval k1 is refused
    assert request(port, "GET", "/v1/secure/a", headers=bearer(mint(keys, "RS256", "k1"))).status == 401
    assert len(fetches) == n + 1


def test_jwks_unreachable_is_401_not_hang(relais_factory, upstream, keys, refused_port):
    jwt = {"jwks_url": f"http://127.0.0.1:{refused_port}/jwks.json"}
    rl = start(relais_factory, upstream, [secure_route()], auth={"jwt": jwt}, workers=1)
    t0 = time.time()
    r = request(rl.public_port, "GET", "/v1/secure/a", headers=bearer(mint(keys, "RS256", "k1")))
    assert r.status == 401
    assert time.time() - t0 < 5


def create_key(rl, *args) -> tuple:
    p = run_cli("keys", "create", "-c", str(rl.config_path), *args, env=base_env(), cwd=str(rl.dir))
    assert p.returncode == 0, p.stderr
    key = p.stdout.splitlines()[0].strip()
    assert key.startswith("rk_")
    return key, key.split("_")[1]


def test_api_key_and_jwt_on_one_route(relais_factory, upstream, keys):
    routes = [secure_route(auth=["api_key", "jwt"], scopes=["items:read"])]
    rl = start(relais_factory, upstream, routes, auth={"jwt": jwt_static(keys)})
    port = rl.public_port
    key, _ = create_key(rl, "--name", "partner", "--scopes", "items:read")
    assert request(port, "GET", "/v1/secure/k", headers=[("X-API-Key", key)]).status == 200
    assert request(port, "GET", "/v1/secure/k", headers=bearer(key)).status == 200
    assert request(port, "GET", "/v1/secure/k", headers=bearer(mint(keys, "EdDSA", "ed"))).status == 200
    r = request(port, "GET", "/v1/secure/k", headers=[("X-API-Key", key[:-2] + "xx")])
    assert r.status == 401
    assert 'error="invalid_token"' in r.header("www-authenticate")
    # a key without the route's scope: 403
    weak, _ = create_key(rl, "--name", "weak", "--scopes", "other")
    r = request(port, "GET", "/v1/secure/k", headers=[("X-API-Key", weak)])
    assert_envelope(r.status, r, r.body, 403, "forbidden")
    # the key's own IP allowlist
    far, _ = create_key(rl, "--name", "far", "--scopes", "items:read", "--allow-ips", "10.0.0.0/8")
    r = request(port, "GET", "/v1/secure/k", headers=[("X-API-Key", far)])
    assert_envelope(r.status, r, r.body, 403, "forbidden")


def test_security_headers_on_own_answers(relais_factory, upstream, tls_files):
    cert, key = tls_files
    rl = start(relais_factory, upstream, [secure_route(auth=["api_key"])], tls={"cert": cert, "key": key})
    r = request(rl.public_port, "GET", "/v1/secure/x", tls=True)
    assert r.status == 401
    assert r.header("x-content-type-options") == "nosniff"
    assert r.header("strict-transport-security") == "max-age=31536000"
    r = request(rl.public_port, "GET", "/nope", tls=True)
    assert r.header("strict-transport-security") == "max-age=31536000"


def test_no_hsts_without_tls(relais_factory, upstream):
    rl = start(relais_factory, upstream, [secure_route(auth=["api_key"])])
    r = request(rl.public_port, "GET", "/v1/secure/x")
    assert r.header("x-content-type-options") == "nosniff"
    assert r.header("strict-transport-security") is None
