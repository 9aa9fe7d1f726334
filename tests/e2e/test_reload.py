"""Reload: POST /admin/v1/reload (admin token) and SIGHUP re-read the config
file; an invalid file keeps the old config serving; 20 reloads under load
fail no request."""

import signal
import threading
import time

import pytest
import requests

from harness.relais import assert_envelope, wait_until
from harness.upstream import Resp

EXTRA = {"name": "extra", "match": {"path": "/v2/extra/{rest*}"},
         "upstream": {"targets": ["backend"], "path": "/extra/{rest*}"}}


def with_extra(relais, upstream):
    cfg = relais.config(upstream.url)
    cfg["routes"].append(EXTRA)
    return cfg


def status(relais, path):
    return requests.get(relais.url(path), timeout=10).status_code


def check_envelope(r, want_status, want_code):
    return assert_envelope(r.status_code, r.headers, r.content, want_status, want_code)


@pytest.mark.parametrize("token", [None, "wrong-token", ""], ids=["missing", "wrong", "empty"])
def test_reload_requires_the_admin_token(relais, upstream, token):
    relais.write_config(with_extra(relais, upstream))
    r = relais.reload(token=token)
    check_envelope(r, 401, "unauthorized")
    assert status(relais, "/v2/extra/a") == 404, "an unauthorized reload must change nothing"


def test_reload_is_not_served_on_the_public_listener(relais, upstream):
    relais.write_config(with_extra(relais, upstream))
    from harness.relais import ADMIN_TOKEN
    r = requests.post(relais.url("/admin/v1/reload"), headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                      timeout=10)
    check_envelope(r, 404, "not_found")
    assert status(relais, "/v2/extra/a") == 404


def test_reload_applies_a_new_config(relais, upstream):
    assert status(relais, "/v2/extra/a") == 404
    relais.write_config(with_extra(relais, upstream))
    r = relais.reload()
    assert r.status_code == 200, r.text
    body = r.json()
    assert body.get("success") is True and isinstance(body.get("data"), dict), body
    assert status(relais, "/v2/extra/a/b?c=1") == 200
    assert upstream.requests[-1].target == "/extra/a/b?c=1"
    assert status(relais, "/v1/items/1") == 200


def test_reload_removes_a_route(relais, upstream):
    cfg = relais.config(upstream.url)
    cfg["routes"] = [r for r in cfg["routes"] if r["name"] != "files"]
    relais.write_config(cfg)
    assert relais.reload().status_code == 200
    assert status(relais, "/files/x") == 404
    assert status(relais, "/v1/items/1") == 200


def broken_unknown_key(relais, upstream):
    cfg = with_extra(relais, upstream)
    cfg["bogus_reload_key"] = 1
    return cfg, "bogus_reload_key"


def broken_unknown_provider(relais, upstream):
    cfg = with_extra(relais, upstream)
    cfg["routes"][-1] = dict(EXTRA, upstream={"targets": ["ghost_provider"]})
    return cfg, "ghost_provider"


def broken_yaml(relais, upstream):
    return relais.config_path.read_text() + "routes: [\n", None


@pytest.mark.parametrize("breaker", [broken_unknown_key, broken_unknown_provider, broken_yaml],
                         ids=["unknown-key", "unknown-provider", "yaml-syntax"])
def test_invalid_reload_keeps_the_old_config(relais, upstream, breaker):
    cfg, named = breaker(relais, upstream)
    relais.write_config(cfg)
    r = relais.reload()
    env = check_envelope(r, 400, "bad_request")
    if named:
        assert named in env["error"]["message"], env
    assert relais.alive()
    assert status(relais, "/v1/items/1") == 200
    assert status(relais, "/v2/extra/a") == 404
    # and a later valid reload still works
    relais.write_config(with_extra(relais, upstream))
    assert relais.reload().status_code == 200
    assert status(relais, "/v2/extra/a") == 200


def test_sighup_reloads(relais, upstream):
    relais.write_config(with_extra(relais, upstream))
    relais.signal(signal.SIGHUP)
    assert wait_until(lambda: status(relais, "/v2/extra/a") == 200, timeout=5), "SIGHUP did not reload"
    assert status(relais, "/v1/items/1") == 200


def test_workers_survive_signals_and_a_stop(relais, upstream):
    """SIGHUP to the process, and a stop and continue (which makes a blocked
    epoll_wait fail with EINTR, as a debugger or tracer attaching does):
    every worker keeps serving."""
    import os
    workers = len(os.listdir(f"/proc/{relais.pid}/task"))
    for _ in range(3):
        relais.signal(signal.SIGHUP)
        relais.signal(signal.SIGSTOP)
        time.sleep(0.1)
        relais.signal(signal.SIGCONT)
        time.sleep(0.1)
    for _ in range(40):  # new connections: they land on every worker (SO_REUSEPORT)
        assert requests.get(relais.url("/v1/items/1"), timeout=5).status_code == 200
    assert relais.alive()
    assert len(os.listdir(f"/proc/{relais.pid}/task")) >= workers, "a thread ended"
    assert "event loop failed" not in relais.stderr_text()


def test_sighup_with_invalid_config_keeps_old_and_logs_why(relais, upstream):
    cfg, named = broken_unknown_key(relais, upstream)
    relais.write_config(cfg)
    relais.signal(signal.SIGHUP)
    assert wait_until(lambda: named in relais.stderr_text(), timeout=5), \
        f"no log line naming {named}:\n{relais.stderr_text()[-2000:]}"
    assert relais.alive()
    assert status(relais, "/v1/items/1") == 200
    assert status(relais, "/v2/extra/a") == 404


@pytest.mark.timeout(90)
def test_twenty_reloads_under_load_fail_no_request(relais, upstream):
    upstream.on("/files/slowish", Resp(delay=0.2, body=b"slow"))
    cfg_a, cfg_b = relais.config(upstream.url), with_extra(relais, upstream)
    stop = threading.Event()
    lock = threading.Lock()
    ok = {"n": 0}
    failures = []

    def load(path):
        deadline = time.monotonic() + 40  # bounded even if the main thread dies
        with requests.Session() as s:
            while not stop.is_set() and time.monotonic() < deadline:
                try:
                    r = s.get(relais.url(path), timeout=10)
                    if r.status_code == 200:
                        with lock:
                            ok["n"] += 1
                    else:
                        failures.append((path, r.status_code, r.text[:200]))
                except requests.RequestException as e:
                    failures.append((path, repr(e)))

    threads = [threading.Thread(target=load, args=(p,), daemon=True)
               for p in ("/v1/items/1", "/files/x", "/api/y", "/files/slowish")]
    for t in threads:
        t.start()
    reload_errors = []
    try:
        wait_until(lambda: ok["n"] >= 20, timeout=5)
        for i in range(20):
            use_b = i % 2 == 1  # A, B, A, …, B: the last reload adds the route
            relais.write_config(cfg_b if use_b else cfg_a)
            r = relais.reload()
            if r.status_code != 200:
                reload_errors.append((i, r.status_code, r.text[:300]))
                continue
            want = 200 if use_b else 404
            if not wait_until(lambda: status(relais, "/v2/extra/z") == want, timeout=2):
                reload_errors.append((i, f"/v2/extra/z did not become {want}"))
            time.sleep(0.15)  # 20 reloads spread over a few seconds of load
    finally:
        stop.set()
        for t in threads:
            t.join(15)
    assert not reload_errors, reload_errors
    assert not failures, f"{len(failures)} failed requests during reloads, first: {failures[:5]}"
    assert ok["n"] >= 100, f"only {ok['n']} requests ran: the load was not there"
    assert status(relais, "/v2/extra/final") == 200
