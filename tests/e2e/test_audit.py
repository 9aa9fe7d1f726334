"""Audit trail: which requests are recorded, what a record holds (and never
holds), `relais audit verify` after tampering with the SQLite file, no
record lost with a one-slot queue under 200 concurrent requests or across
a SIGTERM under load, a full queue parking audited requests without
stalling the worker (the store held locked by the test), a parked request
whose client leaves, one that waits past limits.request_timeout (503
audit_unavailable), and GET /admin/v1/audit (filters, pagination, the
read itself audited)."""

import signal
import sqlite3
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from harness import httpclient
from harness.relais import ADMIN_TOKEN, assert_envelope, run_cli

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def db_rows(inst, where="1=1"):
    db = sqlite3.connect(inst.dir / "var" / "relais.db")
    db.row_factory = sqlite3.Row
    rows = [dict(r) for r in db.execute(f"SELECT * FROM audit_log WHERE {where} ORDER BY seq")]
    db.close()
    return rows


def wait_rows(inst, n, where="1=1", timeout=5):
    deadline = time.monotonic() + timeout
    while True:
        rows = db_rows(inst, where)
        if len(rows) >= n or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


def audit_metrics(inst):
    """The relais_audit_* samples of one scrape, by name."""
    text = requests.get(inst.admin_url("/metrics"), headers=AUTH, timeout=10).text
    return {line.split()[0]: float(line.split()[1]) for line in text.splitlines()
            if line.startswith("relais_audit_")}


def test_post_recorded_get_not_and_fields(relais, upstream):
    secret_body = b'{"card":"4111111111111111"}'
    r = httpclient.request(relais.public_port, "PUT", "/v1/items/42?token=querysecret", body=secret_body,
                           headers=[("user-agent", "audit-test/1"), ("x-api-key", "rk_abcdefghijkl_" + "s" * 43),
                                    ("authorization", "Bearer supersecrettoken"), ("x-request-id", "audit-req-1")])
    assert r.status == 200
    assert httpclient.request(relais.public_port, "GET", "/v1/items/43").status == 200
    rows = wait_rows(relais, 1)
    time.sleep(0.3)
    rows = db_rows(relais)
    assert len(rows) == 1, rows  # the GET is not audited by default
    row = rows[0]
    assert row["request_id"] == "audit-req-1"
    assert row["route"] == "items" and row["action"] == "PUT items" and row["method"] == "PUT"
    assert row["resource_type"] == "items" and row["resource_id"] == "42"
    assert row["path"] == "/v1/items/42" and row["status"] == 200
    assert row["client_ip"] == "127.0.0.1" and row["ip_prefix"] == "127.0.0.0/24"
    assert row["user_agent"] == "audit-test/1"
    import hashlib
    assert row["body_sha256"] == hashlib.sha256(secret_body).hexdigest()
    assert row["duration_us"] > 0 and row["prev_hash"] == "0" * 64 and len(row["hash"]) == 64
    text = repr(rows)
    for secret in ("4111111111111111", "querysecret", "supersecrettoken", "s" * 43):
        assert secret not in text


def test_route_audit_flag(relais_factory, upstream):
    def cfg(inst):
        c = inst.config(upstream.url)
        c["routes"][0]["audit"] = True    # items: GET audited too
        c["routes"][1]["audit"] = False   # files: nothing audited
        return c
    inst = relais_factory(cfg=cfg)
    assert httpclient.request(inst.public_port, "GET", "/v1/items/7").status == 200
    assert httpclient.request(inst.public_port, "POST", "/files/a", body=b"x").status == 200
    rows = wait_rows(inst, 1)
    time.sleep(0.3)
    rows = db_rows(inst)
    assert [(r["method"], r["route"]) for r in rows] == [("GET", "items")]


def test_verify_detects_tampering(relais_factory, upstream):
    inst = relais_factory()
    for i in range(5):
        assert httpclient.request(inst.public_port, "POST", f"/files/f{i}", body=b"x").status == 200
    wait_rows(inst, 5)
    inst.stop()
    cfg = str(inst.config_path)
    ok = run_cli("audit", "verify", "-c", cfg)
    assert ok.returncode == 0 and "5 rows" in ok.stdout, ok.stdout + ok.stderr
    db = sqlite3.connect(inst.dir / "var" / "relais.db")
    db.execute("UPDATE audit_log SET status = 404 WHERE seq = 3")
    db.commit()
    bad = run_cli("audit", "verify", "-c", cfg)
    assert bad.returncode == 1 and "row 3" in bad.stdout and "modified" in bad.stdout, bad.stdout
    db.execute("UPDATE audit_log SET status = 200 WHERE seq = 3")
    db.execute("DELETE FROM audit_log WHERE seq = 2")
    db.commit()
    bad = run_cli("audit", "verify", "-c", cfg)
    assert bad.returncode == 1 and "row 3" in bad.stdout and "deleted" in bad.stdout, bad.stdout


def test_nothing_lost_with_a_one_slot_queue(relais_factory, upstream):
    inst = relais_factory(audit={"queue": 1}, workers=2)

    def one(i):
        return httpclient.request(inst.public_port, "POST", f"/files/q{i}", body=b"x",
                                  headers=[("x-request-id", f"q-{i}")]).status

    with ThreadPoolExecutor(max_workers=200) as ex:
        statuses = list(ex.map(one, range(200)))
    assert statuses == [200] * 200
    inst.stop()
    rows = db_rows(inst)
    assert sorted(r["request_id"] for r in rows) == sorted(f"q-{i}" for i in range(200))
    assert run_cli("audit", "verify", "-c", str(inst.config_path)).returncode == 0


def test_flushed_on_sigterm_under_load(relais_factory, upstream):
    from harness.upstream import Resp
    upstream.on("/files/*", Resp(delay=0.2, body=b"ok"))
    inst = relais_factory(audit={"queue": 5}, workers=2)
    answered, lock = [], threading.Lock()

    def one(i):
        try:
            r = httpclient.request(inst.public_port, "POST", f"/files/s{i}", body=b"x",
                                   headers=[("x-request-id", f"s-{i}")])
            if r.status == 200:
                with lock:
                    answered.append(f"s-{i}")
        except Exception:
            pass  # refused once the listener closed

    with ThreadPoolExecutor(max_workers=100) as ex:
        futures = [ex.submit(one, i) for i in range(300)]
        upstream.wait_for_requests(50)
        inst.signal(signal.SIGTERM)
        for f in futures:
            f.result()
    assert inst.wait_exit(20) == 0
    assert len(answered) >= 50
    recorded = {r["request_id"] for r in db_rows(inst)}
    missing = [rid for rid in answered if rid not in recorded]
    assert not missing, f"{len(missing)} answered requests have no audit record"
    assert run_cli("audit", "verify", "-c", str(inst.config_path)).returncode == 0


def lock_store(inst):
    """Holds the SQLite write lock, as a long transaction elsewhere would:
    the audit writer cannot store anything until the connection lets go."""
    db = sqlite3.connect(inst.dir / "var" / "relais.db", isolation_level=None, timeout=5)
    db.execute("BEGIN EXCLUSIVE")
    return db


def post_in_thread(inst, name, results):
    def run():
        t0 = time.monotonic()
        r = httpclient.request(inst.public_port, "POST", f"/files/{name}", body=b"x",
                               headers=[("x-request-id", name)], timeout=20)
        results[name] = (r.status, time.monotonic() - t0)
    t = threading.Thread(target=run)
    t.start()
    return t


def hold_the_only_slot(inst, upstream, name):
    """On a relais with a one-slot queue: writes a first record, locks the
    store, and starts POST /files/<name>, which takes the only slot and
    reaches the upstream; its record cannot be stored until the lock goes.
    Returns (db, results, threads) for the caller's try/finally."""
    assert httpclient.request(inst.public_port, "POST", "/files/warm", body=b"x").status == 200
    assert len(wait_rows(inst, 1)) == 1
    db = lock_store(inst)
    results = {}
    threads = [post_in_thread(inst, name, results)]
    upstream.wait_for_requests(2)  # warm + name
    return db, results, threads


def test_full_queue_parks_audited_requests_not_the_worker(relais_factory, upstream):
    inst = relais_factory(audit={"queue": 1}, workers=1)  # one worker: everything shares its loop
    db, results, threads = hold_the_only_slot(inst, upstream, "p0")
    try:
        for i in range(1, 6):
            threads.append(post_in_thread(inst, f"p{i}", results))
        time.sleep(0.3)  # p1..p5 reach relais and park
        t0 = time.monotonic()
        r = httpclient.request(inst.public_port, "GET", "/v1/items/1", timeout=5)  # GET: not audited
        elapsed = time.monotonic() - t0
        assert r.status == 200
        assert elapsed < 0.5, f"a non-audited GET took {elapsed:.2f} s behind the full audit queue"
        upstream_files = [q.path for q in upstream.requests if q.path.startswith("/files/p")]
        assert upstream_files == ["/files/p0"], upstream_files  # the parked ones went nowhere
        assert set(results) <= {"p0"}
        time.sleep(0.7)
    finally:
        db.rollback()
        db.close()
    for t in threads:
        t.join(20)
    assert {k: v[0] for k, v in results.items()} == {f"p{i}": 200 for i in range(6)}
    assert all(results[f"p{i}"][1] > 0.9 for i in range(1, 6))  # they did wait for the store
    rows = wait_rows(inst, 7)
    assert sorted(r["request_id"] for r in rows if r["request_id"] != rows[0]["request_id"]) == \
        [f"p{i}" for i in range(6)]
    # /metrics: every record written, the waits counted, nothing abandoned,
    # no slot left held (the locked store made the writer wait in SQLite's
    # busy timeout, not fail)
    m = audit_metrics(inst)
    assert m["relais_audit_records_total"] == 7
    assert m["relais_audit_waits_total"] >= 5
    assert m["relais_audit_write_failures_total"] == 0
    assert m["relais_audit_abandoned_total"] == 0
    assert m["relais_audit_queue_slots_held"] == 0
    inst.stop()
    assert run_cli("audit", "verify", "-c", str(inst.config_path)).returncode == 0


def test_parked_request_whose_client_leaves(relais_factory, upstream, tmp_path):
    inst = relais_factory(audit={"queue": 1}, workers=1)
    db, results, threads = hold_the_only_slot(inst, upstream, "h0")
    try:
        # HTTP/2: the stream is disposed as soon as the client goes, while parked
        gone = subprocess.run(["curl", "-sS", "--http2-prior-knowledge", "--max-time", "0.5", "-X", "POST",
                               "-H", "x-request-id: gone", "--data-binary", "x", inst.url("/files/gone")],
                              capture_output=True, timeout=10)
        assert gone.returncode == 28, gone.stderr  # curl gave up waiting
        threads.append(post_in_thread(inst, "h1", results))  # parks behind where "gone" was
        time.sleep(0.3)
    finally:
        db.rollback()
        db.close()
    for t in threads:
        t.join(20)
    assert {k: v[0] for k, v in results.items()} == {"h0": 200, "h1": 200}
    assert results["h1"][1] > 0.25  # it waited for the slot h0 held: the one that left freed nothing
    assert [q.path for q in upstream.requests if q.path.startswith("/files/")] == \
        ["/files/warm", "/files/h0", "/files/h1"]  # the request that left never went upstream
    rows = wait_rows(inst, 3)
    time.sleep(0.3)
    rows = db_rows(inst)
    assert [r["path"] for r in rows] == ["/files/warm", "/files/h0", "/files/h1"]  # it did nothing: no record
    assert httpclient.request(inst.public_port, "POST", "/files/after", body=b"x").status == 200
    assert len(wait_rows(inst, 4)) == 4  # and no slot was lost either


def test_parked_request_times_out_with_503(relais_factory, upstream):
    """A request waits for a slot no longer than limits.request_timeout: then
    503 audit_unavailable with Retry-After, without reaching the upstream and
    without a record; the one that held the slot is written once the store
    lets go, and no slot is lost."""
    def c(inst):
        out = inst.config(upstream.url, audit={"queue": 1}, workers=1)
        out["limits"]["request_timeout"] = "1s"
        return out

    inst = relais_factory(cfg=c)
    db, results, threads = hold_the_only_slot(inst, upstream, "t0")
    try:
        t0 = time.monotonic()
        r = httpclient.request(inst.public_port, "POST", "/files/t1", body=b"x", headers=[("x-request-id", "t1")],
                               timeout=10)
        waited = time.monotonic() - t0
        assert_envelope(r.status, r, r.body, 503, "audit_unavailable")
        assert r.header("Retry-After") == "1"
        assert 0.9 <= waited < 5, waited
        threads[0].join(10)
        assert results["t0"][0] == 200  # it held its slot: answered, its record waits for the store
    finally:
        db.rollback()
        db.close()
    rows = wait_rows(inst, 2)
    assert [r["path"] for r in rows] == ["/files/warm", "/files/t0"]
    assert [q.path for q in upstream.requests if q.path.startswith("/files/t")] == ["/files/t0"]
    assert httpclient.request(inst.public_port, "POST", "/files/after", body=b"x").status == 200
    assert len(wait_rows(inst, 3)) == 3  # no slot lost
    m = audit_metrics(inst)
    assert m["relais_audit_abandoned_total"] == 1
    assert m["relais_audit_queue_slots_held"] == 0


def test_admin_audit_filters_pagination_and_self_audit(relais):
    for i in range(3):
        httpclient.request(relais.public_port, "POST", f"/files/a{i}", body=b"x")
    httpclient.request(relais.public_port, "PUT", "/v1/items/9", body=b"x")
    wait_rows(relais, 4)
    r = requests.get(relais.admin_url("/admin/v1/audit"), headers=AUTH, params={"route": "files", "limit": 2},
                     timeout=5)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [e["route"] for e in body["data"]] == ["files", "files"]
    assert body["meta"]["pagination"]["has_more"] is True
    r2 = requests.get(relais.admin_url("/admin/v1/audit"), headers=AUTH,
                      params={"route": "files", "limit": 2, "cursor": body["meta"]["pagination"]["next_cursor"]},
                      timeout=5).json()
    assert len(r2["data"]) == 1 and r2["meta"]["pagination"]["has_more"] is False
    assert r2["data"][0]["seq"] > body["data"][1]["seq"]
    e = requests.get(relais.admin_url("/admin/v1/audit"), headers=AUTH, params={"status": 200, "route": "items"},
                     timeout=5).json()["data"]
    assert len(e) == 1 and e[0]["resource"] == {"type": "items", "id": "9"}
    assert requests.get(relais.admin_url("/admin/v1/audit"), headers=AUTH, params={"from": "2999-01-01T00:00:00Z"},
                        timeout=5).json()["data"] == []
    bad = requests.get(relais.admin_url("/admin/v1/audit"), headers=AUTH, params={"cursor": "x" * 35}, timeout=5)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_cursor"
    assert requests.get(relais.admin_url("/admin/v1/audit"), headers=AUTH, params={"status": "abc"},
                        timeout=5).status_code == 400
    assert requests.get(relais.admin_url("/admin/v1/audit"), timeout=5).status_code == 401
    reads = wait_rows(relais, 3, "route = 'admin.audit'")
    assert len(reads) >= 3 and reads[0]["consumer"] == "admin" and reads[0]["method"] == "GET"
