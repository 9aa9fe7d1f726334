"""HTTP/2: h2c with prior knowledge on the plain public listener, h2 by ALPN
when `tls` is configured (self-signed certificate from the tls_files
fixture). Clients are curl and nghttp subprocesses."""

import hashlib
import json
import os
import subprocess

from harness.upstream import Resp


def run_curl(tmp_path, *args, timeout=30):
    """Runs curl; returns (http_version, status_line, headers dict lower-case, body bytes)."""
    body_file = tmp_path / f"curl-body-{os.urandom(4).hex()}"
    head_file = tmp_path / f"curl-head-{os.urandom(4).hex()}"
    p = subprocess.run(["curl", "-sS", "--max-time", str(timeout - 5), "-D", str(head_file), "-o", str(body_file),
                        "-w", "%{http_version}", *args], capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, f"curl failed ({p.returncode}): {p.stderr}"
    head = head_file.read_text().replace("\r\n", "\n").strip().split("\n\n")[-1].split("\n")
    headers = {}
    for line in head[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return p.stdout.strip(), head[0].strip(), headers, body_file.read_bytes()


def test_h2c_prior_knowledge(relais, upstream, tmp_path):
    upstream.on("/internal/items/5", Resp(200, headers=[("Content-Type", "application/json"),
                                                        ("X-Upstream-Test", "h2c")], body=b'{"id": 5}'))
    ver, status, headers, body = run_curl(tmp_path, "--http2-prior-knowledge", "-H", "X-Request-Id: h2c-1",
                                          relais.url("/v1/items/5?x=1"))
    assert ver == "2", ver
    assert status.startswith("HTTP/2 200"), status
    assert body == b'{"id": 5}'
    assert headers.get("x-upstream-test") == "h2c"
    assert headers.get("x-request-id") == "h2c-1"
    assert headers.get("x-relais-provider") == "backend"
    (req,) = upstream.wait_for_requests(1)
    assert req.method == "GET" and req.target == "/internal/items/5?x=1"
    assert req.header_all("Host") == [f"127.0.0.1:{upstream.port}"]
    assert req.header("X-Forwarded-Host") == f"127.0.0.1:{relais.public_port}"
    assert req.header("X-Forwarded-Proto") == "http"
    assert req.header("X-Request-Id") == "h2c-1"
    assert not any(k.startswith(":") for k, _ in req.headers), "HTTP/2 pseudo-headers leaked upstream"


def test_h2c_request_body(relais, upstream, tmp_path):
    payload = os.urandom(1 << 20)
    src = tmp_path / "payload.bin"
    src.write_bytes(payload)
    ver, status, _, _ = run_curl(tmp_path, "--http2-prior-knowledge", "--data-binary", f"@{src}",
                                 "-H", "Content-Type: application/octet-stream", relais.url("/files/upload"))
    assert ver == "2" and " 200" in status, (ver, status)
    (req,) = upstream.wait_for_requests(1)
    assert req.method == "POST"
    assert hashlib.sha256(req.body).digest() == hashlib.sha256(payload).digest()


def test_h2c_error_envelope(relais, tmp_path):
    ver, status, headers, body = run_curl(tmp_path, "--http2-prior-knowledge", relais.url("/nope"))
    assert ver == "2" and status.startswith("HTTP/2 404"), status
    env = json.loads(body)
    assert env["success"] is False and env["error"]["code"] == "not_found"
    assert env["error"]["request_id"] == headers.get("x-request-id")


def test_h2c_with_nghttp(relais, upstream):
    p = subprocess.run(["nghttp", "-v", "-t", "20", relais.url("/v1/items/9")],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    assert ":status: 200" in p.stdout, p.stdout[-2000:]
    (req,) = upstream.wait_for_requests(1)
    assert req.target == "/internal/items/9"


def tls_relais(relais_factory, tls_files):
    cert, key = tls_files
    return relais_factory(tls={"cert": str(cert), "key": str(key)})


def test_tls_alpn_negotiates_h2(relais_factory, upstream, tls_files, tmp_path):
    inst = tls_relais(relais_factory, tls_files)
    assert inst.url("/").startswith("https://")
    ver, status, headers, body = run_curl(tmp_path, "-k", "--http2", inst.url("/v1/items/3"))
    assert ver == "2", ver
    assert status.startswith("HTTP/2 200"), status
    assert body == b"ok"
    (req,) = upstream.wait_for_requests(1)
    assert req.target == "/internal/items/3"
    assert req.header("X-Forwarded-Proto") == "https"


def test_tls_http1_still_works(relais_factory, upstream, tls_files, tmp_path):
    inst = tls_relais(relais_factory, tls_files)
    ver, status, _, body = run_curl(tmp_path, "-k", "--http1.1", inst.url("/files/t"))
    assert ver == "1.1" and status.startswith("HTTP/1.1 200"), (ver, status)
    assert body == b"ok"
    (req,) = upstream.wait_for_requests(1)
    assert req.header("X-Forwarded-Proto") == "https"
