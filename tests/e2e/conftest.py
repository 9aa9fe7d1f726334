"""Fixtures for the relais end-to-end suite (black-box, against $RELAIS_BIN).

    upstream        a started RecordingUpstream (harness/upstream.py) on 127.0.0.1
    refused_port    a loopback port with nothing listening (connections are refused)
    relais_factory  make(cfg=None, environ=None, start=True, **config_overrides) -> Relais
                    cfg: a dict, YAML text, or a function Relais -> dict|text (to use
                    its ports); default: the default config with the overrides.
                    A config with a `tls` key makes the public listener https.
    relais          a running relais on the default config (harness/relais.py:config)
                    whose provider `backend` is `upstream`
    tls_files       (cert, key) paths of a self-signed certificate for 127.0.0.1

Every relais started here is stopped at teardown (SIGTERM, then SIGKILL), and
a sanitizer report in its stderr fails the test. Every test has a wall-clock
limit (RELAIS_E2E_TEST_TIMEOUT, default 60 s) so that a hung relais cannot
hang the suite.
"""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from harness.relais import Relais, free_port
from harness.upstream import RecordingUpstream

TEST_TIMEOUT = int(os.environ.get("RELAIS_E2E_TEST_TIMEOUT", "60"))


class WallClockExceeded(Exception):
    pass


@pytest.fixture(autouse=True)
def _wall_clock_limit(request):
    limit = TEST_TIMEOUT
    marker = request.node.get_closest_marker("timeout")
    if marker:
        limit = int(marker.args[0])

    def on_alarm(signum, frame):
        raise WallClockExceeded(f"test exceeded {limit}s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(limit)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture
def upstream():
    up = RecordingUpstream().start()
    yield up
    up.stop()


@pytest.fixture
def refused_port():
    return free_port()


@pytest.fixture
def relais_factory(tmp_path, upstream):
    started = []

    def make(cfg=None, environ=None, start=True, **over):
        inst = Relais(tmp_path / f"relais{len(started)}", env=environ)
        started.append(inst)
        if cfg is None:
            cfg = inst.config(upstream.url, **over)
        elif callable(cfg):
            cfg = cfg(inst)
        if isinstance(cfg, dict):
            inst.tls = "tls" in cfg
        else:
            inst.tls = any(line.startswith("tls:") for line in cfg.splitlines())
        inst.write_config(cfg)
        if start:
            inst.start()
        return inst

    yield make
    reports = []
    for inst in started:
        inst.stop()
        rep = inst.sanitizer_report()
        if rep:
            reports.append(f"{inst.dir}:\n{rep}")
    if reports:
        pytest.fail("sanitizer report in relais stderr:\n" + "\n".join(reports), pytrace=False)


@pytest.fixture
def relais(relais_factory):
    return relais_factory()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True, timeout=30)
    return cert, key
