"""Egress mock mode: presets that answer from their built-in fixtures when no
key is set, fixture choice (Prefer, body and query conditions, mock.dir),
SSE pacing, RELAIS_MODE, real mode with injected credentials, fault
injection (latency, error_rate, seed) and PUT /admin/v1/mode at run time,
under load."""

import json
import subprocess
import threading
import time

import pytest
import requests

from harness import httpclient
from harness.relais import ADMIN_TOKEN, assert_envelope, base_env
from harness.upstream import RecordingUpstream, Resp

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
# every preset credential, unset: the tests decide which ones exist
NO_KEYS = dict.fromkeys(["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "MISTRAL_API_KEY", "STRIPE_SECRET_KEY",
                         "SHOPIFY_SHOP", "SHOPIFY_ACCESS_TOKEN", "SLACK_BOT_TOKEN", "SENTRY_AUTH_TOKEN"])
OPENAI_KEY = "sk-e2e-secret-4f9a8b7c6d5e4f3a2b1c"

CHAT_ROUTE = {"name": "chat", "match": {"path": "/v1/chat/completions", "methods": ["POST"]},
              "upstream": {"targets": ["openai"]}}
MODELS_ROUTE = {"name": "models", "match": {"path": "/v1/models", "methods": ["GET"]},
                "upstream": {"targets": ["openai"]}}


def env(**extra):
    return base_env(**{**NO_KEYS, **extra})


def cfg_with(providers, routes, **over):
    def make(inst):
        return inst.config("http://unused", providers=providers, routes=routes, **over)
    return make


def post_json(port, target, obj, headers=()):
    return httpclient.request(port, "POST", target, body=json.dumps(obj).encode(),
                              headers=[("Content-Type", "application/json"), *headers])


def put_mode(inst, body, token=ADMIN_TOKEN):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return requests.put(inst.admin_url("/admin/v1/mode"), data=data, headers=headers, timeout=10)


def status_of(inst, name):
    r = requests.get(inst.admin_url(f"/status/{name}"), headers=AUTH, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def log_messages(inst):
    return [e.get("msg", "") for e in inst.error_log()]


# ---- auto mode without keys ---------------------------------------------------


def test_presets_without_keys_answer_from_builtin_fixtures(relais_factory):
    providers = {"openai": {"preset": "openai"}, "stripe": {"preset": "stripe"},
                 "anthropic": {"preset": "anthropic"}}
    routes = [CHAT_ROUTE,
              {"name": "pay", "match": {"path": "/pay/{rest*}"},
               "upstream": {"targets": ["stripe"], "path": "/v1/{rest*}"}},
              {"name": "msg", "match": {"path": "/v1/messages", "methods": ["POST"]},
               "upstream": {"targets": ["anthropic"]}}]
    inst = relais_factory(cfg=cfg_with(providers, routes), environ=env())
    msgs = log_messages(inst)
    for name, var in (("openai", "OPENAI_API_KEY"), ("stripe", "STRIPE_SECRET_KEY"),
                      ("anthropic", "ANTHROPIC_API_KEY")):
        assert any(m.startswith(f"provider {name}: mock mode") and f"missing {var}" in m for m in msgs), msgs

    r = post_json(inst.public_port, "/v1/chat/completions",
                  {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]})
    assert r.status == 200, r.body
    assert r.header("X-Relais-Mode") == "mock" and r.header("X-Relais-Provider") == "openai"
    assert r.header("Content-Type").startswith("application/json")
    chat = r.json()
    assert chat["object"] == "chat.completion" and chat["model"] == "gpt-4o"
    assert chat["choices"][0]["message"]["role"] == "assistant"
    assert r.header("X-Request-Id") in chat["id"]  # {{request_id}} rendered

    r = httpclient.request(inst.public_port, "GET", "/pay/payment_intents/pi_e2e42")
    assert r.status == 200 and r.header("X-Relais-Mode") == "mock" and r.header("X-Relais-Provider") == "stripe"
    pi = r.json()
    assert pi["id"] == "pi_e2e42" and pi["object"] == "payment_intent"  # {{path.id}}

    r = post_json(inst.public_port, "/v1/messages", {"model": "claude-3-5-sonnet-latest", "max_tokens": 10,
                                                     "messages": [{"role": "user", "content": "hi"}]})
    assert r.status == 200 and r.header("X-Relais-Mode") == "mock"
    assert r.json()["type"] == "message"

    st = status_of(inst, "openai")
    assert st["mode"] == "mock" and st["configured_mode"] == "auto" and st["missing_env"] == ["OPENAI_API_KEY"]


def test_prefer_example_and_code_choose_the_answer(relais_factory):
    inst = relais_factory(cfg=cfg_with({"openai": {"preset": "openai"}}, [CHAT_ROUTE]), environ=env())
    port = inst.public_port
    r = post_json(port, "/v1/chat/completions", {"model": "gpt-4o"}, [("Prefer", "example=invalid_api_key")])
    assert r.status == 401 and r.header("Preference-Applied") == "example=invalid_api_key"
    assert r.json()["error"]["code"] == "invalid_api_key" and r.header("X-Relais-Mode") == "mock"

    r = post_json(port, "/v1/chat/completions", {"model": "gpt-4o"}, [("Prefer", "code=429")])
    assert r.status == 429 and r.header("Preference-Applied") == "code=429"
    assert r.json()["error"]["code"] == "rate_limit_exceeded" and r.header("Retry-After")
    assert r.header("X-Relais-Attempts") == "1"  # what the client asked for is not retried

    # no fixture has 503: a synthesized error with that status
    r = post_json(port, "/v1/chat/completions", {}, [("Prefer", "code=503")])
    assert r.status == 503 and r.header("Preference-Applied") == "code=503"
    assert r.header("X-Relais-Mode") == "mock"

    # an unknown example is ignored: the default answer
    r = post_json(port, "/v1/chat/completions", {}, [("Prefer", "example=nope")])
    assert r.status == 200 and r.header("Preference-Applied") is None
    assert r.json()["object"] == "chat.completion"


def test_stream_true_gives_builtin_sse(relais_factory):
    inst = relais_factory(cfg=cfg_with({"openai": {"preset": "openai"}}, [CHAT_ROUTE]), environ=env())
    r = post_json(inst.public_port, "/v1/chat/completions", {"model": "gpt-4o", "stream": True})
    assert r.status == 200 and r.header("Content-Type").startswith("text/event-stream")
    assert r.header("X-Relais-Mode") == "mock"
    events = [e for e in r.body.decode().split("\n\n") if e]
    assert len(events) >= 3 and events[-1] == "data: [DONE]"
    first = json.loads(events[0][len("data: "):])
    assert first["object"] == "chat.completion.chunk"


def test_sse_events_are_spaced_by_the_interval(relais_factory, tmp_path):
    mocks = tmp_path / "mocks"
    mocks.mkdir()
    (mocks / "slow_stream.json").write_text(json.dumps({
        "name": "slow", "match": {"method": "POST", "path": "/v1/chat/completions", "body": {"stream": True}},
        "response": {"sse": {"interval": "300ms", "events": ["data: one", "data: two", "data: three",
                                                               "data: [DONE]"]}}}))
    providers = {"openai": {"preset": "openai", "mock": {"dir": str(mocks)}}}
    inst = relais_factory(cfg=cfg_with(providers, [CHAT_ROUTE]), environ=env())
    with httpclient.Conn(inst.public_port) as c:
        body = json.dumps({"stream": True}).encode()
        head, pieces = c.stream("POST", "/v1/chat/completions", body=body,
                                headers=[("Content-Type", "application/json")])
        assert head.status == 200 and head.header("Content-Type").startswith("text/event-stream")
        got, buf = [], b""
        for t, piece in pieces:
            buf += piece
            while b"\n\n" in buf:
                ev, buf = buf.split(b"\n\n", 1)
                got.append((t, ev.decode()))
    assert [e for _, e in got] == ["data: one", "data: two", "data: three", "data: [DONE]"]
    # three intervals of 300 ms between the first event and the last: the first
    # reached the client well before the last was written
    assert got[-1][0] - got[0][0] >= 0.6, [round(t - got[0][0], 3) for t, _ in got]


def test_mock_dir_fixture_wins_and_query_conditions_match(relais_factory, tmp_path):
    mocks = tmp_path / "mocks"
    mocks.mkdir()
    (mocks / "chat.json").write_text(json.dumps({
        "name": "mine", "match": {"method": "POST", "path": "/v1/chat/completions"},
        "response": {"status": 200, "body": {"id": "from-file", "model": "{{body.model|none}}"}}}))
    (mocks / "models.json").write_text(json.dumps([
        {"name": "page2", "match": {"method": "GET", "path": "/v1/models", "query": {"after": "gpt-4o"}},
         "response": {"body": {"object": "list", "data": [{"id": "page-two"}]}}}]))
    providers = {"openai": {"preset": "openai", "mock": {"dir": str(mocks)}}}
    inst = relais_factory(cfg=cfg_with(providers, [CHAT_ROUTE, MODELS_ROUTE]), environ=env())
    r = post_json(inst.public_port, "/v1/chat/completions", {"model": "gpt-4o-mini"})
    assert r.status == 200 and r.json() == {"id": "from-file", "model": "gpt-4o-mini"}
    assert r.header("X-Relais-Mode") == "mock"

    r = httpclient.request(inst.public_port, "GET", "/v1/models?after=gpt-4o")
    assert r.status == 200 and r.json()["data"] == [{"id": "page-two"}]
    r = httpclient.request(inst.public_port, "GET", "/v1/models?after=other")
    assert r.status == 200 and r.json()["data"] != [{"id": "page-two"}]  # the built-in list
    r = httpclient.request(inst.public_port, "GET", "/v1/models")
    assert r.status == 200 and r.json()["object"] == "list" and len(r.json()["data"]) > 1


def test_mock_without_a_fixture_is_404_envelope(relais_factory):
    routes = [{"name": "any", "match": {"path": "/oa/{rest*}"},
               "upstream": {"targets": ["openai"], "path": "/{rest*}"}}]
    inst = relais_factory(cfg=cfg_with({"openai": {"preset": "openai"}}, routes), environ=env())
    r = httpclient.request(inst.public_port, "GET", "/oa/v1/nothing/here")
    assert r.status == 404 and r.header("X-Relais-Mode") == "mock"
    assert r.json()["success"] is False and r.json()["error"]["code"] == "not_found"


# ---- RELAIS_MODE and real mode -------------------------------------------------


def test_relais_mode_mock_forces_mock_even_with_the_key(relais_factory, upstream):
    providers = {"openai": {"preset": "openai", "base_url": upstream.url}}
    inst = relais_factory(cfg=cfg_with(providers, [CHAT_ROUTE]),
                          environ=env(OPENAI_API_KEY=OPENAI_KEY, RELAIS_MODE="mock"))
    r = post_json(inst.public_port, "/v1/chat/completions", {"model": "gpt-4o"})
    assert r.status == 200 and r.header("X-Relais-Mode") == "mock"
    assert upstream.requests == []
    assert status_of(inst, "openai")["mode"] == "mock"
    assert any(m.startswith("provider openai: mock mode") for m in log_messages(inst))


def test_auto_with_the_key_is_real_and_the_key_never_leaks(relais_factory, upstream, refused_port):
    upstream.on("/v1/chat/completions", Resp(200, headers=[("Content-Type", "application/json")],
                                             body=b'{"real":true}'))
    providers = {"openai": {"preset": "openai", "base_url": upstream.url},
                 "dead": {"preset": "openai", "base_url": f"http://127.0.0.1:{refused_port}",
                          "retry": {"attempts": 1}}}
    routes = [CHAT_ROUTE, {"name": "dead", "match": {"path": "/dead", "methods": ["POST"]},
                           "upstream": {"targets": ["dead"], "path": "/v1/chat/completions"}}]
    inst = relais_factory(cfg=cfg_with(providers, routes, log={"level": "debug"}),
                          environ=env(OPENAI_API_KEY=OPENAI_KEY))
    assert any(m.startswith("provider openai: real mode") for m in log_messages(inst)), log_messages(inst)

    r = post_json(inst.public_port, "/v1/chat/completions", {"model": "gpt-4o"},
                  [("Authorization", "Bearer client-must-not-pass")])
    assert r.status == 200 and r.body == b'{"real":true}'
    assert r.header("X-Relais-Mode") is None and r.header("X-Relais-Provider") == "openai"
    req = [q for q in upstream.requests if q.path == "/v1/chat/completions"][0]
    assert req.method == "POST" and req.header_all("Authorization") == [f"Bearer {OPENAI_KEY}"]
    assert json.loads(req.body) == {"model": "gpt-4o"}

    r = post_json(inst.public_port, "/dead", {"model": "gpt-4o"})
    assert_envelope(r.status, r, r.body, 502, "upstream_error")
    seen = [r.body.decode()]
    for path in ("/status", "/status/openai", "/status/dead", "/metrics"):
        a = requests.get(inst.admin_url(path), headers=AUTH, timeout=10)
        assert a.status_code == 200
        seen.append(a.text)
    assert status_of(inst, "openai")["mode"] == "real" and status_of(inst, "openai")["missing_env"] == []
    inst.stop()
    seen += [inst.stderr_text(), inst.stdout_text()]
    for text in seen:
        assert OPENAI_KEY not in text


# ---- fault injection ------------------------------------------------------------


def test_mock_latency_delays_the_answer(relais_factory):
    providers = {"openai": {"preset": "openai", "mock": {"latency": "200ms"}}}
    inst = relais_factory(cfg=cfg_with(providers, [CHAT_ROUTE]), environ=env())
    for _ in range(2):
        t0 = time.monotonic()
        r = post_json(inst.public_port, "/v1/chat/completions", {"model": "gpt-4o"})
        assert r.status == 200 and r.header("X-Relais-Mode") == "mock"
        assert time.monotonic() - t0 >= 0.19


def test_error_rate_one_falls_back_to_the_second_target(relais_factory):
    providers = {"flaky": {"preset": "openai", "mode": "mock", "mock": {"error_rate": 1}},
                 "backup": {"preset": "mistral", "mode": "mock"}}
    routes = [{"name": "chat", "match": {"path": "/v1/chat/completions", "methods": ["POST"]},
               "upstream": {"targets": ["flaky", "backup"]}}]
    inst = relais_factory(cfg=cfg_with(providers, routes), environ=env())
    for _ in range(3):
        r = post_json(inst.public_port, "/v1/chat/completions", {"model": "mistral-small-latest"})
        assert r.status == 200, r.body
        assert r.header("X-Relais-Provider") == "backup" and r.header("X-Relais-Attempts") == "2"
        assert r.header("X-Relais-Mode") == "mock"
    # alone, the injected failure is what the client gets
    routes.append({"name": "alone", "match": {"path": "/alone", "methods": ["POST"]},
                   "upstream": {"targets": ["flaky"], "path": "/v1/chat/completions"}})
    inst2 = relais_factory(cfg=cfg_with(providers, routes), environ=env())
    r = post_json(inst2.public_port, "/alone", {})
    assert r.status == 503 and r.header("Retry-After") == "1" and r.header("X-Relais-Mode") == "mock"
    assert r.json()["error"]["code"] == "service_unavailable"


def statuses(inst, n):
    return [post_json(inst.public_port, "/v1/chat/completions", {"model": "gpt-4o"}).status for _ in range(n)]


def test_error_rate_with_seed_is_reproducible_across_processes(relais_factory):
    providers = {"openai": {"preset": "openai", "mock": {"error_rate": 0.5, "seed": 42}}}
    runs = []
    for _ in range(2):
        inst = relais_factory(cfg=cfg_with(providers, [CHAT_ROUTE], workers=1), environ=env())
        runs.append(statuses(inst, 24))
        inst.stop()
    assert runs[0] == runs[1]
    assert set(runs[0]) == {200, 503}, runs[0]


def test_error_rate_sequence_is_the_documented_one(relais_factory):
    # docs/mocks.md: seed 1, error_rate 0.5 fails requests 3, 4, 8, 10, 12, 14, 15 of the first 16
    # (with the default breaker: injected failures never open it)
    providers = {"openai": {"preset": "openai", "mock": {"error_rate": 0.5, "seed": 1}}}
    inst = relais_factory(cfg=cfg_with(providers, [CHAT_ROUTE], workers=1), environ=env())
    got = statuses(inst, 16)
    assert [i for i, s in enumerate(got) if s == 503] == [3, 4, 8, 10, 12, 14, 15], got


# ---- PUT /admin/v1/mode --------------------------------------------------------


@pytest.fixture
def switchable(relais_factory, upstream):
    """Two real providers on the recording upstream (generic preset: its
    fixtures answer any path with {"ok": true} when mocked)."""
    upstream.on("/a/*", Resp(200, body=b"real-a"))
    upstream.on("/b/*", Resp(200, body=b"real-b"))
    providers = {"pa": {"preset": "generic", "base_url": upstream.url + "/a"},
                 "pb": {"preset": "generic", "base_url": upstream.url + "/b"}}
    routes = [{"name": "a", "match": {"path": "/a/{rest*}"}, "upstream": {"targets": ["pa"], "path": "/{rest*}"}},
              {"name": "b", "match": {"path": "/b/{rest*}"}, "upstream": {"targets": ["pb"], "path": "/{rest*}"}}]
    return relais_factory(cfg=cfg_with(providers, routes), environ=env())


def answered_by(inst, which):
    r = httpclient.request(inst.public_port, "GET", f"/{which}/x")
    assert r.status == 200, r.body
    return "mock" if r.header("X-Relais-Mode") == "mock" else r.body.decode()


def test_put_mode_switches_globally_and_per_provider(switchable):
    inst = switchable
    assert (answered_by(inst, "a"), answered_by(inst, "b")) == ("real-a", "real-b")

    r = put_mode(inst, {"mode": "mock"})
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["mode_override"] == "mock"
    assert {p["name"]: p["mode"] for p in data["providers"]} == {"pa": "mock", "pb": "mock"}
    assert (answered_by(inst, "a"), answered_by(inst, "b")) == ("mock", "mock")
    assert httpclient.request(inst.public_port, "GET", "/a/x").json() == {"ok": True}

    r = put_mode(inst, {"provider": "pb", "mode": "real"})
    assert r.status_code == 200, r.text
    d = r.json()["data"]
    assert d["name"] == "pb" and d["mode"] == "real" and d["mode_override"] == "real"
    assert d["configured_mode"] == "auto"
    assert (answered_by(inst, "a"), answered_by(inst, "b")) == ("mock", "real-b")

    r = put_mode(inst, {"mode": None})
    assert r.status_code == 200 and r.json()["data"]["mode_override"] is None
    assert (answered_by(inst, "a"), answered_by(inst, "b")) == ("real-a", "real-b")
    assert status_of(inst, "pb")["mode_override"] == "real"

    r = put_mode(inst, {"provider": "pb", "mode": None})
    assert r.status_code == 200 and r.json()["data"]["mode_override"] is None
    r = put_mode(inst, {"provider": "pa", "mode": "mock"})
    assert (answered_by(inst, "a"), answered_by(inst, "b")) == ("mock", "real-b")
    assert any("provider pa now follows mock" in m for m in log_messages(inst))


def test_put_mode_auto_follows_the_environment(relais_factory, upstream):
    providers = {"openai": {"preset": "openai", "base_url": upstream.url, "mode": "real"}}
    inst = relais_factory(cfg=cfg_with(providers, [CHAT_ROUTE]), environ=env())
    assert status_of(inst, "openai")["mode"] == "real"
    assert put_mode(inst, {"provider": "openai", "mode": "auto"}).status_code == 200
    st = status_of(inst, "openai")
    assert st["mode"] == "mock" and st["mode_override"] == "auto"  # OPENAI_API_KEY is not set
    r = post_json(inst.public_port, "/v1/chat/completions", {"model": "gpt-4o"})
    assert r.status == 200 and r.header("X-Relais-Mode") == "mock"
    assert [q.path for q in upstream.requests if q.method == "POST"] == []


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'{"mode": "bogus"}', b'{"mode": 1}',
                                  b'{"provider": "pa"}', b'{"provider": 5, "mode": "mock"}', b"{}"])
def test_put_mode_bad_bodies_are_400(switchable, body):
    r = put_mode(switchable, body)
    assert_envelope(r.status_code, r.headers, r.content, 400, "bad_request")
    assert status_of(switchable, "pa")["mode"] == "real"


def test_put_mode_needs_the_token_and_put(switchable):
    for token in (None, "wrong-token"):
        r = put_mode(switchable, {"mode": "mock"}, token=token)
        assert_envelope(r.status_code, r.headers, r.content, 401, "unauthorized")
    r = requests.get(switchable.admin_url("/admin/v1/mode"), headers=AUTH, timeout=10)
    assert_envelope(r.status_code, r.headers, r.content, 405, "method_not_allowed")
    r = put_mode(switchable, {"provider": "nope", "mode": "mock"})
    assert_envelope(r.status_code, r.headers, r.content, 404, "not_found")
    assert answered_by(switchable, "a") == "real-a"


def test_mode_switch_under_load_fails_no_request(relais_factory, upstream):
    upstream.on("/slow/*", Resp(200, body=b"real", delay=0.3))
    providers = {"slow": {"preset": "generic", "base_url": upstream.url + "/slow"}}
    routes = [{"name": "s", "match": {"path": "/s/{rest*}"}, "upstream": {"targets": ["slow"], "path": "/{rest*}"}}]
    inst = relais_factory(cfg=cfg_with(providers, routes), environ=env())
    results, stop = [], threading.Event()
    lock = threading.Lock()

    def client(i):
        n = 0
        while not stop.is_set():
            try:
                r = httpclient.request(inst.public_port, "GET", f"/s/c{i}/{n}", timeout=10)
                res = (r.status, r.header("X-Relais-Mode") or "real")
            except Exception as e:  # noqa: BLE001 — a failure is what we count
                res = (0, repr(e))
            with lock:
                results.append(res)
            n += 1

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(8)]
    for t in threads:
        t.start()
    try:
        upstream.wait_for_requests(8)  # every client has a request in flight at the provider
        for mode in ("mock", "real", "mock", None, "mock", "real"):
            assert put_mode(inst, {"mode": mode}).status_code == 200
            time.sleep(0.35)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=15)
    failed = [res for res in results if res[0] != 200]
    assert failed == [], failed[:5]
    kinds = {m for _, m in results}
    assert kinds == {"real", "mock"}, kinds
    assert len(results) >= 16


# ---- edges ---------------------------------------------------------------------


def test_body_condition_holds_for_a_chunked_request_body(relais_factory):
    inst = relais_factory(cfg=cfg_with({"openai": {"preset": "openai"}}, [CHAT_ROUTE]), environ=env())
    r = httpclient.request(inst.public_port, "POST", "/v1/chat/completions",
                           headers=[("Content-Type", "application/json")],
                           chunks=[b'{"model": "gpt-4o", ', b'"stream": ', b"true}"])
    assert r.status == 200 and r.header("Content-Type").startswith("text/event-stream")


def test_head_is_answered_by_a_get_fixture(relais_factory):
    routes = [{"name": "models", "match": {"path": "/v1/models", "methods": ["GET"]},
               "upstream": {"targets": ["openai"]}}]
    inst = relais_factory(cfg=cfg_with({"openai": {"preset": "openai"}}, routes), environ=env())
    g = httpclient.request(inst.public_port, "GET", "/v1/models")
    h = httpclient.request(inst.public_port, "HEAD", "/v1/models")
    assert g.status == h.status == 200 and h.body == b"" and h.header("X-Relais-Mode") == "mock"
    assert h.header("Content-Length") == g.header("Content-Length")


def test_prefer_error_is_not_a_reason_to_fall_back(relais_factory):
    providers = {"openai": {"preset": "openai", "mode": "mock"}, "mistral": {"preset": "mistral", "mode": "mock"}}
    routes = [{"name": "chat", "match": {"path": "/v1/chat/completions", "methods": ["POST"]},
               "upstream": {"targets": ["openai", "mistral"]}}]
    inst = relais_factory(cfg=cfg_with(providers, routes), environ=env())
    r = post_json(inst.public_port, "/v1/chat/completions", {}, [("Prefer", "example=server_error"),
                                                                  ("Idempotency-Key", "k1")])
    assert r.status == 500 and r.header("X-Relais-Provider") == "openai"
    assert r.header("X-Relais-Attempts") == "1" and r.header("Preference-Applied") == "example=server_error"


def test_mode_override_survives_a_reload(switchable):
    assert put_mode(switchable, {"provider": "pa", "mode": "mock"}).status_code == 200
    assert switchable.reload().status_code == 200
    assert answered_by(switchable, "a") == "mock"
    assert status_of(switchable, "pa")["mode_override"] == "mock"


def test_forced_real_without_the_key_sends_nothing(relais_factory, upstream):
    providers = {"openai": {"preset": "openai", "base_url": upstream.url}}
    inst = relais_factory(cfg=cfg_with(providers, [CHAT_ROUTE]), environ=env())
    assert put_mode(inst, {"provider": "openai", "mode": "real"}).status_code == 200
    r = post_json(inst.public_port, "/v1/chat/completions", {"model": "gpt-4o"})
    # relais refuses rather than send a request with an empty credential
    assert r.status >= 500 and r.json()["success"] is False and r.header("X-Relais-Mode") is None
    assert [q for q in upstream.requests if q.path == "/v1/chat/completions"] == []


def test_client_leaving_during_latency_or_stream_is_clean(relais_factory, tmp_path):
    mocks = tmp_path / "mocks"
    mocks.mkdir()
    (mocks / "s.json").write_text(json.dumps({
        "match": {"method": "POST", "path": "/v1/chat/completions", "body": {"stream": True}},
        "response": {"sse": {"interval": "200ms", "events": ["data: %d" % i for i in range(20)]}}}))
    providers = {"openai": {"preset": "openai", "mock": {"dir": str(mocks), "latency": "300ms"}}}
    inst = relais_factory(cfg=cfg_with(providers, [CHAT_ROUTE]), environ=env())
    for stream in (False, True, True):
        c = httpclient.Conn(inst.public_port)
        body = json.dumps({"stream": stream}).encode()
        c.send(c.build("POST", "/v1/chat/completions", [("Content-Type", "application/json")], body))
        if stream:
            head = c.read_head()
            assert head.status == 200
            next(c.body_pieces(head, "POST"))
        c.close()
    time.sleep(0.8)
    r = post_json(inst.public_port, "/v1/chat/completions", {"model": "gpt-4o"})
    assert r.status == 200 and r.header("X-Relais-Mode") == "mock"
    assert inst.alive()


def test_switch_to_mock_answers_at_once_while_the_breaker_is_open(relais_factory, upstream):
    upstream.on("/down/*", Resp(500, body=b"boom"))
    providers = {"p": {"preset": "generic", "base_url": upstream.url + "/down", "retry": {"attempts": 1},
                       "breaker": {"threshold": 2, "window": "30s", "cooldown": "30s"}}}
    routes = [{"name": "p", "match": {"path": "/p/{rest*}"}, "upstream": {"targets": ["p"], "path": "/{rest*}"}}]
    inst = relais_factory(cfg=cfg_with(providers, routes), environ=env(), workers=1)
    for _ in range(2):
        assert httpclient.request(inst.public_port, "GET", "/p/x").status == 500
    r = httpclient.request(inst.public_port, "GET", "/p/x")
    assert_envelope(r.status, r, r.body, 503, "circuit_open")
    # the provider is down: the operator switches it to mock, which answers now
    assert put_mode(inst, {"provider": "p", "mode": "mock"}).status_code == 200
    r = httpclient.request(inst.public_port, "GET", "/p/x")
    assert r.status == 200 and r.header("X-Relais-Mode") == "mock" and r.json() == {"ok": True}
    # back to real: the breaker is still the real provider's, open
    assert put_mode(inst, {"provider": "p", "mode": None}).status_code == 200
    assert httpclient.request(inst.public_port, "GET", "/p/x").status == 503


def test_injected_failures_leave_the_real_breaker_closed(relais_factory, upstream):
    upstream.on("/up/*", Resp(200, body=b"real"))
    providers = {"p": {"preset": "generic", "base_url": upstream.url + "/up", "mode": "mock",
                       "retry": {"attempts": 1}, "mock": {"error_rate": 1},
                       "breaker": {"threshold": 2, "window": "30s", "cooldown": "30s"}}}
    routes = [{"name": "p", "match": {"path": "/p/{rest*}"}, "upstream": {"targets": ["p"], "path": "/{rest*}"}}]
    inst = relais_factory(cfg=cfg_with(providers, routes), environ=env(), workers=1)
    for _ in range(4):
        r = httpclient.request(inst.public_port, "GET", "/p/x")
        assert r.status == 503 and r.json()["error"]["code"] == "service_unavailable"
        assert r.header("X-Relais-Mode") == "mock"
    assert status_of(inst, "p")["breaker"] == "closed"
    assert status_of(inst, "p")["error_rate"] == 1.0  # still visible in /status
    assert put_mode(inst, {"provider": "p", "mode": "real"}).status_code == 200
    r = httpclient.request(inst.public_port, "GET", "/p/x")
    assert r.status == 200 and r.body == b"real"


def test_fixture_cannot_set_framing_or_relais_headers(relais_factory, tmp_path):
    mocks = tmp_path / "mocks"
    mocks.mkdir()
    (mocks / "a.json").write_text(json.dumps({
        "match": {"method": "POST", "path": "/v1/chat/completions"},
        "response": {"headers": {"content-length": "3", "transfer-encoding": "chunked", "connection": "close",
                                 "date": "yesterday", "x-relais-provider": "evil", "x-relais-attempts": "9",
                                 "x-vendor": "kept"},
                     "body": {"hello": "world"}}}))
    providers = {"openai": {"preset": "openai", "mock": {"dir": str(mocks)}}}
    inst = relais_factory(cfg=cfg_with(providers, [CHAT_ROUTE]), environ=env())
    with httpclient.Conn(inst.public_port) as c:
        for _ in range(2):  # the connection stays usable: the framing was relais' own
            r = c.request("POST", "/v1/chat/completions", body=b"{}")
            assert r.status == 200 and r.json() == {"hello": "world"}
            assert r.header_all("Content-Length") == [str(len(r.body))]
            assert r.header("Transfer-Encoding") is None and r.header_all("Connection") == ["keep-alive"]
            assert r.header_all("X-Relais-Provider") == ["openai"] and r.header_all("X-Relais-Attempts") == ["1"]
            assert r.header_all("Date") != ["yesterday"] and len(r.header_all("Date")) == 1
            assert r.header("X-Vendor") == "kept"


def test_mock_latency_over_the_timeout_is_a_timeout(relais_factory):
    providers = {"slow": {"preset": "openai", "mode": "mock", "mock": {"latency": "3s"},
                          "timeout": {"total": "300ms"}, "retry": {"attempts": 1}},
                 "backup": {"preset": "mistral", "mode": "mock"}}
    routes = [{"name": "chat", "match": {"path": "/v1/chat/completions", "methods": ["POST"]},
               "upstream": {"targets": ["slow", "backup"]}},
              {"name": "alone", "match": {"path": "/alone", "methods": ["POST"]},
               "upstream": {"targets": ["slow"], "path": "/v1/chat/completions"}}]
    inst = relais_factory(cfg=cfg_with(providers, routes), environ=env())
    t0 = time.monotonic()
    r = post_json(inst.public_port, "/v1/chat/completions", {"model": "mistral-small-latest"})
    assert time.monotonic() - t0 >= 0.28
    assert r.status == 200 and r.header("X-Relais-Provider") == "backup" and r.header("X-Relais-Attempts") == "2"
    r = post_json(inst.public_port, "/alone", {})
    assert_envelope(r.status, r, r.body, 504, "upstream_timeout")


def test_mocked_sse_over_h2c_and_a_mock_counted_in_metrics(relais_factory, tmp_path):
    inst = relais_factory(cfg=cfg_with({"openai": {"preset": "openai"}}, [CHAT_ROUTE]), environ=env())
    p = subprocess.run(["curl", "-sS", "--max-time", "20", "--http2-prior-knowledge", "-D", "-",
                        "-H", "Content-Type: application/json", "--data", '{"stream": true}',
                        inst.url("/v1/chat/completions")], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("HTTP/2 200") and "x-relais-mode: mock" in p.stdout
    assert p.stdout.rstrip().endswith("data: [DONE]")
    m = requests.get(inst.admin_url("/metrics"), headers=AUTH, timeout=10).text
    assert 'relais_upstream_requests_total{provider="openai",outcome="mock"} 1' in m
