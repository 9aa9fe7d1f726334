"""Record mode: real exchanges become mock fixtures, credentials redacted,
and a later run in mock mode answers like the provider did."""

import json
import time

from harness import httpclient
from harness.relais import base_env
from harness.upstream import Resp

SECRET = "rk-live-secret-0123456789"


def wait_for_files(d, n, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        files = sorted(d.glob("*.json"))
        if len(files) >= n:
            return files
        time.sleep(0.05)
    raise AssertionError(f"{len(list(d.glob('*.json')))} fixture files in {d}, expected {n}")


def test_record_then_replay_in_mock_mode(relais_factory, upstream, tmp_path):
    mocks = tmp_path / "mocks"
    upstream.on("/v1/widgets/7", Resp(200, headers=[("Content-Type", "application/json"),
                                                    ("Set-Cookie", "session=abc")],
                                      body=b'{"id":"7","name":"Widget","owner":"' + SECRET.encode() + b'"}'))
    prov = {"base_url": upstream.url, "auth": {"type": "bearer", "token": "${W_TOKEN}"},
            "mock": {"dir": str(mocks), "record": True}}
    routes = [{"name": "w", "match": {"path": "/w/{id}"}, "upstream": {"targets": ["widgets"],
                                                                        "path": "/v1/widgets/{id}"}}]
    inst = relais_factory(environ=base_env(W_TOKEN=SECRET), providers={"widgets": prov}, routes=routes)
    r = httpclient.request(inst.public_port, "GET", "/w/7?expand=owner")
    assert r.status == 200 and upstream.requests[0].header("Authorization") == f"Bearer {SECRET}"
    (f,) = wait_for_files(mocks, 1)
    text = f.read_text()
    assert SECRET not in text and "[REDACTED]" in text
    fx = json.loads(text)
    assert fx["match"]["method"] == "GET" and fx["match"]["path"] == "/v1/widgets/7"
    inst.stop()

    prov2 = dict(prov, mode="mock", mock={"dir": str(mocks)})
    replay = relais_factory(providers={"widgets": prov2}, routes=routes)
    before = len(upstream.requests)
    r = httpclient.request(replay.public_port, "GET", "/w/7?expand=owner")
    assert r.status == 200 and r.header("X-Relais-Mode") == "mock"
    assert json.loads(r.body)["name"] == "Widget"
    assert len(upstream.requests) == before


def test_relais_record_command_records_every_real_provider(tmp_path, upstream):
    import signal
    import subprocess

    from harness.relais import Relais, base_env, relais_bin
    upstream.on("/files/a", Resp(200, body=b"hello"))
    inst = Relais(tmp_path / "rec")
    inst.write_config(inst.config(upstream.url))
    proc = subprocess.Popen([str(relais_bin()), "record", "-c", str(inst.config_path)], cwd=tmp_path,
                            env=base_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        end = time.monotonic() + 10
        while True:
            try:
                r = httpclient.request(inst.public_port, "GET", "/files/a")
                break
            except OSError:
                assert time.monotonic() < end and proc.poll() is None, "relais record did not start"
                time.sleep(0.05)
        assert r.status == 200 and r.body == b"hello"
        (f,) = wait_for_files(tmp_path / "mocks" / "backend", 1)
        assert json.loads(f.read_text())["match"]["path"] == "/files/a"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
