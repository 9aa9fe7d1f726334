/* test_audit.c — the audit hash chain against a real SQLite file: an
 * intact chain verifies; a modified, inserted or deleted row (each done
 * with raw SQL, as an attacker would) is found and named; anonymization and
 * retention keep it verifiable. And the writer: with audit.queue = 1 and
 * four threads taking slots and pushing at once, every record is written
 * and the queue never holds more than its one slot; slots come back only
 * once their rows are stored, and then a parked request's worker is woken. */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "cli/cli.h"
#include "ingress/audit.h"
#include "ingress/audit_writer.h"
#include "store/store_int.h"

#define KEY "audit-test-key"
#define ROWS 6

static char dir[64], path[128], url[160];

static void fill(rl_store_audit_row_t *r, int i)
{
    char buf[64];
    memset(r, 0, sizeof(*r));
    r->ts_ms = 1000 * i;
    snprintf(buf, sizeof(buf), "req-%d", i);
    r->request_id = strdup(buf);
    r->consumer = i % 2 ? strdup("key1") : NULL;
    r->route = strdup("items");
    r->action = strdup("POST items");
    r->resource_type = strdup("items");
    snprintf(buf, sizeof(buf), "%d", i);
    r->resource_id = strdup(buf);
    r->method = strdup("POST");
    r->path = strdup("/v1/items/1");
    r->status = 201;
    snprintf(buf, sizeof(buf), "203.0.113.%d", i);
    r->client_ip = strdup(buf);
    char prefix[RL_AUDIT_PREFIX_MAX], digest[65];
    rl_audit_ip_prefix(buf, prefix, sizeof(prefix));
    rl_audit_ip_digest(KEY, strlen(KEY), buf, digest);
    r->ip_prefix = strdup(prefix);
    r->ip_digest = strdup(digest);
    r->user_agent = strdup("test/1");
    r->duration_us = 1234;
}

static int setup(void **state)
{
    rl_store_t *s;
    rl_err_t err;
    rl_store_audit_row_t rows[ROWS];
    char chain[65] = RL_AUDIT_GENESIS;
    strcpy(dir, "/tmp/relais-test-audit-XXXXXX");
    if (mkdtemp(dir) == NULL) return -1;
    snprintf(path, sizeof(path), "%s/a.db", dir);
    snprintf(url, sizeof(url), "sqlite://%s", path);
    if (rl_store_open(url, &s, &err) != 0 || rl_store_migrate(s, NULL, NULL, &err) != 0) return -1;
    for (int i = 0; i < ROWS; i++) {
        fill(&rows[i], i + 1);
        rl_audit_chain(&rows[i], chain);
    }
    if (rl_store_audit_append(s, rows, ROWS, &err) != 0) return -1;
    for (int i = 0; i < ROWS; i++)
        rl_store_audit_row_clear(&rows[i]);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    rl_store_close(*state);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void sql(const char *q)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(db, q, NULL, NULL, &msg);
    if (rc != SQLITE_OK) fprintf(stderr, "sql: %s\n", msg);
    assert_int_equal(rc, SQLITE_OK);
    sqlite3_close(db);
}

static rl_audit_verifier_t verify(rl_store_t *s)
{
    rl_audit_verifier_t v;
    rl_err_t err;
    int64_t cp;
    assert_int_equal(rl_cli_audit_verify(s, KEY, &v, &cp, &err), 0);
    return v;
}

static void expect(rl_store_t *s, rl_audit_problem_t p, int64_t seq)
{
    rl_audit_verifier_t v = verify(s);
    if (v.problem != p || v.problem_seq != seq)
        fprintf(stderr, "verdict: %d at %lld: %s\n", v.problem, (long long)v.problem_seq, v.message);
    assert_int_equal(v.problem, p);
    assert_int_equal(v.problem_seq, seq);
}

static void test_intact(void **state)
{
    rl_audit_verifier_t v = verify(*state);
    assert_int_equal(v.problem, RL_AUDIT_FINE);
    assert_int_equal(v.rows, ROWS);
}

static void test_modified(void **state)
{
    sql("UPDATE audit_log SET status = 200 WHERE seq = 3");
    expect(*state, RL_AUDIT_MODIFIED, 3);
}

static void test_modified_last(void **state)
{
    sql("UPDATE audit_log SET path = '/other' WHERE seq = 6");
    expect(*state, RL_AUDIT_MODIFIED, 6);
}

static void test_modified_hash_rewritten(void **state)
{
    /* the attacker recomputes the row's own hash: the next row's link breaks */
    rl_store_t *s = *state;
    rl_store_audit_row_t *rows;
    size_t n;
    rl_err_t err;
    char q[256], h[65];
    assert_int_equal(rl_store_audit_query(s, NULL, 2, 1, &rows, &n, &err), 0);
    rows[0].status = 204;
    rl_audit_row_hash(&rows[0], h);
    snprintf(q, sizeof(q), "UPDATE audit_log SET status = 204, hash = '%s' WHERE seq = 3", h);
    rl_store_audit_rows_free(rows, n);
    sql(q);
    expect(s, RL_AUDIT_MODIFIED, 3);
}

static void test_deleted(void **state)
{
    sql("DELETE FROM audit_log WHERE seq = 3");
    rl_audit_verifier_t v = verify(*state);
    assert_int_equal(v.problem, RL_AUDIT_DELETED);
    assert_int_equal(v.problem_seq, 4);
    assert_non_null(strstr(v.message, "after row 2"));
}

static void test_deleted_first(void **state)
{
    sql("DELETE FROM audit_log WHERE seq = 1");
    expect(*state, RL_AUDIT_DELETED, 2);
}

static void test_inserted_forged(void **state)
{
    /* room for a row between 2 and 3, then a row that links to row 2 */
    rl_store_t *s = *state;
    rl_store_audit_row_t *rows;
    size_t n;
    rl_err_t err;
    char q[1024];
    sql("UPDATE audit_log SET seq = seq + 100 WHERE seq >= 3");
    assert_int_equal(rl_store_audit_query(s, NULL, 1, 1, &rows, &n, &err), 0);
    char prev[65];
    memcpy(prev, rows[0].hash, sizeof(prev));
    rows[0].status = 200;
    rl_audit_chain(&rows[0], prev); /* a well-formed row chained after row 2 */
    snprintf(
        q, sizeof(q),
        "INSERT INTO audit_log (seq, ts, request_id, consumer, route, action, resource_type, resource_id, "
        "method, path, status, client_ip, ip_prefix, ip_digest, user_agent, body_sha256, duration_us, "
        "prev_hash, hash) SELECT 3, ts, request_id, consumer, route, action, resource_type, resource_id, "
        "method, path, 200, client_ip, ip_prefix, ip_digest, user_agent, body_sha256, duration_us, "
        "prev_hash, '%s' FROM audit_log WHERE seq = 2; UPDATE audit_log SET prev_hash = (SELECT hash FROM "
        "audit_log WHERE seq = 2) WHERE seq = 3",
        rows[0].hash);
    rl_store_audit_rows_free(rows, n);
    sql(q);
    expect(s, RL_AUDIT_INSERTED, 3);
}

static void test_inserted_garbage(void **state)
{
    sql("UPDATE audit_log SET seq = seq + 100 WHERE seq >= 3;"
        "INSERT INTO audit_log (seq, ts, request_id, action, method, path, status, client_ip, ip_prefix, "
        "ip_digest, duration_us, prev_hash, hash) VALUES (3, 1, 'x', 'DELETE items', 'DELETE', '/x', 200, "
        "'1.2.3.4', '1.2.3.0/24', 'd', 1, 'p', 'h')");
    expect(*state, RL_AUDIT_INSERTED, 3);
}

static void test_ip_changed(void **state)
{
    sql("UPDATE audit_log SET client_ip = '198.51.100.7' WHERE seq = 2");
    expect(*state, RL_AUDIT_MODIFIED, 2);
}

static void test_ip_changed_same_network(void **state)
{
    sql("UPDATE audit_log SET client_ip = '203.0.113.99' WHERE seq = 2"); /* the HMAC gives it away */
    expect(*state, RL_AUDIT_MODIFIED, 2);
}

static void test_anonymize_and_retention(void **state)
{
    rl_store_t *s = *state;
    rl_err_t err;
    rl_store_audit_row_t *rows;
    size_t n;
    assert_int_equal(rl_store_audit_anonymize(s, 4000, &err), 3); /* rows at 1 s, 2 s, 3 s */
    assert_int_equal(rl_store_audit_anonymize(s, 4000, &err), 0);
    assert_int_equal(rl_store_audit_query(s, NULL, 0, 10, &rows, &n, &err), 0);
    assert_string_equal(rows[0].client_ip, "203.0.113.0/24");
    assert_string_equal(rows[3].client_ip, "203.0.113.4");
    rl_store_audit_rows_free(rows, n);
    assert_int_equal(verify(s).problem, RL_AUDIT_FINE);
    assert_int_equal(rl_store_audit_expire(s, 3000, &err), 2); /* rows 1 and 2 */
    rl_audit_verifier_t v = verify(s);
    assert_int_equal(v.problem, RL_AUDIT_FINE);
    assert_int_equal(v.rows, ROWS - 2);
    /* the tail continues from the last row; an empty log would continue from the checkpoint */
    char tail[65];
    assert_int_equal(rl_store_audit_tail(s, tail, &err), 0);
    assert_int_equal(rl_store_audit_expire(s, 100000, &err), ROWS - 2);
    char tail2[65];
    assert_int_equal(rl_store_audit_tail(s, tail2, &err), 0);
    assert_string_equal(tail, tail2);
    /* deleting the oldest remaining row by hand is still caught */
    assert_int_equal(rl_store_audit_expire(s, 0, &err), 0);
}

static void test_retention_then_tamper(void **state)
{
    rl_store_t *s = *state;
    rl_err_t err;
    assert_int_equal(rl_store_audit_expire(s, 2500, &err), 2);
    sql("DELETE FROM audit_log WHERE seq = 3"); /* the oldest remaining row */
    expect(s, RL_AUDIT_DELETED, 4);
}

static void test_filters(void **state)
{
    rl_store_t *s = *state;
    rl_err_t err;
    rl_store_audit_row_t *rows;
    size_t n;
    rl_store_audit_filter_t f = {.consumer = "key1"};
    assert_int_equal(rl_store_audit_query(s, &f, 0, 10, &rows, &n, &err), 0);
    assert_int_equal(n, 3);
    rl_store_audit_rows_free(rows, n);
    rl_store_audit_filter_t t = {.from_ms = 2000, .to_ms = 4000, .status = 201, .route = "items"};
    assert_int_equal(rl_store_audit_query(s, &t, 0, 10, &rows, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].ts_ms, 2000);
    rl_store_audit_rows_free(rows, n);
    rl_store_audit_filter_t none = {.status = 500};
    assert_int_equal(rl_store_audit_query(s, &none, 0, 10, &rows, &n, &err), 0);
    assert_int_equal(n, 0);
    rl_store_audit_rows_free(rows, n);
}

/* ---- the writer under a full queue ---- */

#define THREADS 4
#define PER_THREAD 150

typedef struct pusher {
    rl_audit_writer_t *w;
    int base;
} pusher_t;

static void push_many(void *arg)
{
    pusher_t *p = arg;
    rl_audit_slots_t *slots = rl_audit_writer_slots(p->w);
    for (int i = 0; i < PER_THREAD; i++) {
        rl_store_audit_row_t r;
        while (!rl_audit_slots_try_take(slots))
            sched_yield(); /* a worker would park here; this thread just retries */
        fill(&r, p->base + i);
        rl_audit_writer_push(p->w, &r);
    }
}

static void test_writer_full_queue_loses_nothing(void **state)
{
    rl_store_t *s = *state;
    rl_err_t err;
    uv_loop_t loop;
    rl_audit_writer_t *w;
    uv_thread_t th[THREADS];
    pusher_t p[THREADS];
    rl_audit_writer_cfg_t cfg = {.queue = 1, .anonymize_after_ms = 1ull << 40, .retention_ms = 1ull << 41};
    uv_loop_init(&loop);
    assert_int_equal(rl_audit_writer_start(&loop, s, &cfg, &w, &err), 0);
    rl_audit_slots_t *slots = rl_audit_writer_slots(w);
    for (int i = 0; i < THREADS; i++) {
        p[i] = (pusher_t){w, 1000 * (i + 1)};
        uv_thread_create(&th[i], push_many, &p[i]);
    }
    rl_audit_writer_stats_t st = {0};
    size_t rounds = 0;
    while (st.written < THREADS * PER_THREAD) {
        assert_true(atomic_load(&slots->held) <= 1);
        if (rl_audit_writer_flush(w) > 0) rounds++; /* what the control thread does when a push wakes it */
        rl_audit_writer_stats(w, &st);
    }
    for (int i = 0; i < THREADS; i++)
        uv_thread_join(&th[i]);
    rl_audit_writer_stats(w, &st);
    assert_int_equal(st.written, THREADS * PER_THREAD);
    /* one slot: one row per batch (a flush call may write several batches,
     * when a pusher refills the slot between two of them) */
    assert_true(rounds > 0 && rounds <= THREADS * PER_THREAD);
    assert_int_equal(atomic_load(&slots->held), 0);
    rl_audit_writer_stop(w);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    rl_audit_verifier_t v = verify(s);
    assert_int_equal(v.problem, RL_AUDIT_FINE);
    assert_int_equal(v.rows, ROWS + THREADS * PER_THREAD);
}

/* ---- a parked request is woken once its slot comes back ---- */

typedef struct parked {
    rl_audit_waiter_t wt;
    int granted;
} parked_t;

static rl_audit_waitq_t wake_q;
static rl_audit_writer_t *wake_w;

static void on_granted(rl_audit_waiter_t *wt)
{
    ((parked_t *)wt)->granted++;
}

static void on_wake(uv_async_t *a)
{
    rl_audit_slots_grant(rl_audit_writer_slots(wake_w), &wake_q);
}

static void test_writer_wakes_parked_after_store(void **state)
{
    rl_store_t *s = *state;
    rl_err_t err;
    uv_loop_t loop;
    uv_async_t async;
    rl_audit_watch_t watch = {.async = &async};
    parked_t a = {0}, b = {0};
    rl_store_audit_row_t row;
    rl_audit_writer_stats_t st;
    rl_audit_writer_cfg_t cfg = {.queue = 1, .anonymize_after_ms = 1ull << 40, .retention_ms = 1ull << 41};
    uv_loop_init(&loop);
    assert_int_equal(rl_audit_writer_start(&loop, s, &cfg, &wake_w, &err), 0);
    rl_audit_slots_t *slots = rl_audit_writer_slots(wake_w);
    uv_async_init(&loop, &async, on_wake);
    rl_audit_writer_watch(wake_w, &watch);
    rl_audit_waitq_init(&wake_q);
    assert_true(rl_audit_slots_reserve(slots, &wake_q, &a.wt, on_granted));
    assert_false(rl_audit_slots_reserve(slots, &wake_q, &b.wt, on_granted));
    fill(&row, 7001);
    rl_audit_writer_push(wake_w, &row); /* A's record fills A's slot */
    uv_run(&loop, UV_RUN_NOWAIT);       /* the push's wake-up: the writer stores it */
    rl_audit_writer_stats(wake_w, &st);
    assert_int_equal(st.written, 1);
    uv_run(&loop, UV_RUN_NOWAIT); /* the slot came back: B's worker is woken */
    assert_int_equal(b.granted, 1);
    assert_int_equal(a.granted, 0); /* A never parked: no callback */
    assert_int_equal(atomic_load(&slots->held), 1);
    assert_int_equal(atomic_load(&slots->parked), 0);
    fill(&row, 7002);
    rl_audit_writer_push(wake_w, &row);
    rl_audit_writer_stop(wake_w); /* writes B's record out */
    uv_close((uv_handle_t *)&async, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    rl_audit_verifier_t v = verify(s);
    assert_int_equal(v.problem, RL_AUDIT_FINE);
    assert_int_equal(v.rows, ROWS + 2);
}

/* A batch of 147 rows goes in as two 64-row INSERTs, two 8-row ones and 3
 * single ones: every row gets its own consecutive seq, the fields land in
 * the right rows, and the chain verifies. */
static void test_append_batch_mixed(void **state)
{
    rl_store_t *s = *state;
    rl_err_t err;
    enum { N = 147 };
    rl_store_audit_row_t rows[N];
    char chain[65];
    rl_store_audit_row_t *tail = NULL;
    size_t n = 0;
    assert_int_equal(rl_store_audit_query(s, &(rl_store_audit_filter_t){0}, 0, 1000, &tail, &n, &err), 0);
    assert_int_equal(n, ROWS);
    memcpy(chain, tail[n - 1].hash, sizeof(chain));
    int64_t last = tail[n - 1].seq;
    rl_store_audit_rows_free(tail, n);
    for (int i = 0; i < N; i++) {
        fill(&rows[i], 100 + i);
        rl_audit_chain(&rows[i], chain);
    }
    assert_int_equal(rl_store_audit_append(s, rows, N, &err), 0);
    for (int i = 0; i < N; i++) {
        assert_int_equal(rows[i].seq, last + 1 + i);
        rl_store_audit_row_clear(&rows[i]);
    }
    rl_store_audit_row_t *got = NULL;
    assert_int_equal(rl_store_audit_query(s, &(rl_store_audit_filter_t){0}, last, 1000, &got, &n, &err), 0);
    assert_int_equal(n, N);
    for (int i = 0; i < N; i++) {
        char want[32];
        snprintf(want, sizeof(want), "%d", 100 + i);
        assert_int_equal(got[i].seq, last + 1 + i);
        assert_string_equal(got[i].resource_id, want);
    }
    rl_store_audit_rows_free(got, n);
    rl_audit_verifier_t v = verify(s);
    assert_int_equal(v.problem, RL_AUDIT_FINE);
    assert_int_equal(v.rows, ROWS + N);
}

/* The INSERT statements are kept across batches: one that failed (a NULL
 * in a NOT NULL column, in a 64-row and in a 1-row statement) leaves nothing
 * behind and the next batches use them again; closing finalizes them, so the
 * connection really closes (SQLite then removes the WAL file). */
static void test_append_refused_then_kept(void **state)
{
    rl_store_t *s = *state;
    rl_err_t err;
    enum { N = 73 }; /* 64 + 8 + 1 */
    rl_store_audit_row_t rows[N];
    char chain[65], wal[200];
    size_t n = 0;
    assert_int_equal(rl_store_audit_tail(s, chain, &err), 0);
    for (int bad = 0; bad < 2; bad++) { /* row 0 breaks the 64-row INSERT, row 72 the 1-row one */
        char c[65];
        memcpy(c, chain, sizeof(c));
        for (int i = 0; i < N; i++) {
            fill(&rows[i], 100 + i);
            rl_audit_chain(&rows[i], c);
        }
        rl_store_audit_row_t *r = &rows[bad ? N - 1 : 0];
        free(r->request_id);
        r->request_id = NULL;
        assert_int_not_equal(rl_store_audit_append(s, rows, N, &err), 0);
        for (int i = 0; i < N; i++)
            rl_store_audit_row_clear(&rows[i]);
    }
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N; i++) {
            fill(&rows[i], 200 + round * N + i);
            rl_audit_chain(&rows[i], chain);
        }
        assert_int_equal(rl_store_audit_append(s, rows, N, &err), 0);
        for (int i = 0; i < N; i++) {
            assert_int_equal(rows[i].seq, ROWS + 1 + round * N + i);
            rl_store_audit_row_clear(&rows[i]);
        }
    }
    rl_store_audit_row_t *got = NULL;
    assert_int_equal(rl_store_audit_query(s, &(rl_store_audit_filter_t){0}, 0, 1000, &got, &n, &err), 0);
    assert_int_equal(n, ROWS + 2 * N);
    assert_string_equal(got[ROWS].request_id, "req-200");
    rl_store_audit_rows_free(got, n);
    assert_int_equal(verify(s).problem, RL_AUDIT_FINE);
    snprintf(wal, sizeof(wal), "%s-wal", path);
    assert_int_equal(access(wal, F_OK), 0);
    rl_store_close(s);
    assert_int_not_equal(access(wal, F_OK), 0);
    assert_int_equal(rl_store_open(url, &s, &err), 0); /* for teardown */
    *state = s;
}

/* Appends `n` rows (resource ids from `id`) chained from `chain`; their
 * seqs in *seqs. */
static void append_rows(rl_store_t *s, char *chain, int n, int id, int64_t *seqs)
{
    rl_store_audit_row_t rows[8];
    rl_err_t err;
    assert_true(n <= 8);
    for (int i = 0; i < n; i++) {
        fill(&rows[i], id + i);
        rl_audit_chain(&rows[i], chain);
    }
    assert_int_equal(rl_store_audit_append(s, rows, (size_t)n, &err), 0);
    for (int i = 0; i < n; i++) {
        seqs[i] = rows[i].seq;
        rl_store_audit_row_clear(&rows[i]);
    }
}

/* Retention deleted every row: the next ones continue after the last seq,
 * from the checkpoint's hash, and verify. */
static void test_seq_not_reused_after_retention_emptied(void **state)
{
    rl_store_t *s = *state;
    rl_err_t err;
    char chain[65];
    int64_t seqs[2];
    assert_int_equal(rl_store_audit_expire(s, 100000, &err), ROWS);
    assert_int_equal(rl_store_audit_tail(s, chain, &err), 0);
    append_rows(s, chain, 2, 50, seqs);
    assert_int_equal(seqs[0], ROWS + 1);
    assert_int_equal(seqs[1], ROWS + 2);
    rl_audit_verifier_t v = verify(s);
    assert_int_equal(v.problem, RL_AUDIT_FINE);
    assert_int_equal(v.rows, 2);
}

/* The newest rows deleted by hand while the writer runs: the next row gets
 * a new seq (not the deleted one's), and verify names it as following
 * deleted rows. */
static void test_seq_not_reused_after_tail_deleted(void **state)
{
    rl_store_t *s = *state;
    rl_err_t err;
    char chain[65];
    int64_t seq;
    assert_int_equal(rl_store_audit_tail(s, chain, &err), 0); /* the writer's chain: row 6 */
    sql("DELETE FROM audit_log WHERE seq >= 5");
    append_rows(s, chain, 1, 50, &seq);
    assert_int_equal(seq, ROWS + 1);
    expect(s, RL_AUDIT_DELETED, ROWS + 1);
}

/* Rows renumbered by hand above the last seq: an append still succeeds
 * (no seq collides) and numbers above them. */
static void test_seq_above_rows_renumbered(void **state)
{
    rl_store_t *s = *state;
    rl_err_t err;
    char chain[65];
    int64_t seq;
    assert_int_equal(rl_store_audit_tail(s, chain, &err), 0);
    sql("UPDATE audit_log SET seq = seq + 100 WHERE seq >= 3");
    append_rows(s, chain, 1, 50, &seq);
    assert_int_equal(seq, ROWS + 101);
}

/* A raw INSERT as schema version 2 did it (AUTOINCREMENT numbers the row). */
static void insert_v2(sqlite3 *db, const rl_store_audit_row_t *r)
{
    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "INSERT INTO audit_log (ts, request_id, consumer, route, action, resource_type, "
                           "resource_id, method, path, status, client_ip, ip_prefix, ip_digest, user_agent, "
                           "body_sha256, duration_us, prev_hash, hash) "
                           "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                           -1, &st, NULL),
        SQLITE_OK);
    const char *strs[] = {r->request_id,  r->consumer,  r->route,      r->action,     r->resource_type,
                          r->resource_id, r->method,    r->path,       NULL,          r->client_ip,
                          r->ip_prefix,   r->ip_digest, r->user_agent, r->body_sha256};
    sqlite3_bind_int64(st, 1, r->ts_ms);
    for (int i = 0; i < 14; i++)
        if (i != 8) sqlite3_bind_text(st, 2 + i, strs[i], -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 10, r->status);
    sqlite3_bind_int64(st, 16, r->duration_us);
    sqlite3_bind_text(st, 17, r->prev_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 18, r->hash, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
}

/* A store at schema version 2 with rows (the newest deleted, so that
 * AUTOINCREMENT's counter is above the largest seq) migrates to 3: the rows
 * keep their seqs and verify, the indexes are back, and new rows continue
 * after the counter. */
static void test_migrate_v2_keeps_rows_and_seq(void **state)
{
    rl_store_t *s = *state;
    rl_err_t err;
    sqlite3 *db;
    char chain[65] = RL_AUDIT_GENESIS, q[256];
    int64_t seqs[2];
    int from = 0, to = 0;
    rl_store_close(s);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, what TEXT, "
                                  "applied_at INTEGER NOT NULL)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    for (int i = 0; i < 2; i++) {
        const rl_store_migration_t *m = &rl_store_migrations_sqlite[i];
        assert_int_equal(m->version, i + 1);
        snprintf(q, sizeof(q), "INSERT INTO schema_version VALUES (%d, '%s', 0)", m->version, m->what);
        assert_int_equal(sqlite3_exec(db, m->sql, NULL, NULL, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, q, NULL, NULL, NULL), SQLITE_OK);
    }
    for (int i = 0; i < 5; i++) {
        rl_store_audit_row_t r;
        fill(&r, i + 1);
        rl_audit_chain(&r, chain);
        insert_v2(db, &r);
        rl_store_audit_row_clear(&r);
    }
    assert_int_equal(sqlite3_exec(db, "DELETE FROM audit_log WHERE seq = 5", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    assert_int_equal(rl_store_open(url, &s, &err), 0);
    *state = s;
    assert_int_equal(rl_store_migrate(s, &from, &to, &err), 0);
    assert_int_equal(from, 2);
    assert_int_equal(to, rl_store_schema_latest());
    rl_audit_verifier_t v = verify(s);
    assert_int_equal(v.problem, RL_AUDIT_FINE);
    assert_int_equal(v.rows, 4);
    assert_int_equal(v.last_seq, 4);
    rl_store_audit_row_t *rows;
    size_t n;
    rl_store_audit_filter_t f = {.consumer = "key1"};
    assert_int_equal(rl_store_audit_query(s, &f, 0, 10, &rows, &n, &err), 0);
    assert_int_equal(n, 2); /* rows 1 and 3 */
    assert_int_equal(rows[1].seq, 3);
    assert_string_equal(rows[1].request_id, "req-3");
    rl_store_audit_rows_free(rows, n);

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT group_concat(name || ':' || COALESCE(sql, ''), ';') FROM "
                                        "(SELECT name, sql FROM sqlite_master WHERE tbl_name = 'audit_log' "
                                        "ORDER BY name)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    const char *schema = (const char *)sqlite3_column_text(st, 0);
    assert_non_null(
        strstr(schema, "audit_log_consumer:CREATE INDEX audit_log_consumer ON audit_log(consumer, seq)"));
    assert_non_null(strstr(schema, "audit_log_ts:CREATE INDEX audit_log_ts ON audit_log(ts)"));
    assert_null(strstr(schema, "AUTOINCREMENT"));
    sqlite3_finalize(st);
    sqlite3_close(db);

    assert_int_equal(rl_store_audit_tail(s, chain, &err), 0);
    append_rows(s, chain, 2, 50, seqs);
    assert_int_equal(seqs[0], 6); /* 5 was used, then deleted */
    assert_int_equal(seqs[1], 7);
    v = verify(s);
    assert_int_equal(v.problem, RL_AUDIT_FINE);
    assert_int_equal(v.rows, 6);
}

static void prefix_is(const char *ip, const char *want)
{
    char out[RL_AUDIT_PREFIX_MAX];
    rl_audit_ip_prefix(ip, out, sizeof(out));
    assert_string_equal(out, want);
}

static void test_ip_prefix(void **state)
{
    (void)state;
    prefix_is("203.0.113.77", "203.0.113.0/24");
    prefix_is("10.0.0.255", "10.0.0.0/24");
    prefix_is("2001:db8:1:2:3:4:5:6", "2001:db8:1::/48");
    prefix_is("::1", "::/48");
    prefix_is("not an address", "");
    prefix_is("", "");
}

/* The digest is keyed (a different key gives another), stable for a key
 * whatever was asked before (the per-thread key cache), and works with no
 * key and with keys longer than the cache holds. */
static void test_ip_digest_keys(void **state)
{
    (void)state;
    char a1[65], b[65], a2[65], none[65], none2[65], longk1[65], longk2[65], ip2[65];
    char longkey[300];
    memset(longkey, 'k', sizeof(longkey));
    rl_audit_ip_digest("key-a-0123456789", 16, "203.0.113.9", a1);
    rl_audit_ip_digest("key-b-0123456789", 16, "203.0.113.9", b);
    rl_audit_ip_digest("key-a-0123456789", 16, "203.0.113.9", a2);
    rl_audit_ip_digest(NULL, 0, "203.0.113.9", none);
    rl_audit_ip_digest(longkey, sizeof(longkey), "203.0.113.9", longk1);
    rl_audit_ip_digest(NULL, 0, "203.0.113.9", none2);
    rl_audit_ip_digest(longkey, sizeof(longkey), "203.0.113.9", longk2);
    rl_audit_ip_digest("key-a-0123456789", 16, "203.0.113.10", ip2);
    assert_int_equal(strlen(a1), 64);
    assert_string_equal(a1, a2);
    assert_string_not_equal(a1, b);
    assert_string_not_equal(a1, none);
    assert_string_equal(none, none2);
    assert_string_equal(longk1, longk2);
    assert_string_not_equal(longk1, none);
    assert_string_not_equal(a1, ip2);
    longkey[299] = 'j'; /* differs only past the cached length */
    rl_audit_ip_digest(longkey, sizeof(longkey), "203.0.113.9", longk2);
    assert_string_not_equal(longk1, longk2);
    /* the per-thread memo of the last address never answers for another key */
    char again[65];
    rl_audit_ip_digest("key-a-0123456789", 16, "203.0.113.9", again);
    assert_string_equal(again, a1);
    rl_audit_ip_digest("key-a-0123456789", 16, "203.0.113.9", again); /* from the memo */
    assert_string_equal(again, a1);
    rl_audit_ip_digest(longkey, sizeof(longkey), "203.0.113.9", again); /* an uncached key */
    assert_string_equal(again, longk2);
    rl_audit_ip_digest("key-a-0123456789", 16, "203.0.113.9", again);
    assert_string_equal(again, a1);
    rl_audit_ip_digest("key-b-0123456789", 16, "203.0.113.9", again);
    assert_string_equal(again, b);
    rl_audit_ip_digest("key-b-0123456789", 16, "203.0.113.10", again);
    assert_string_not_equal(again, b);
    rl_audit_ip_digest("key-a-0123456789", 16, "203.0.113.10", again);
    assert_string_equal(again, ip2);
}

/* The canonical form is a stored format: existing chains must keep
 * verifying. The expected hash was computed independently (Python hashlib
 * over the documented form). */
static void test_row_hash_pinned(void **state)
{
    (void)state;
    rl_store_audit_row_t r = {.ts_ms = 1700000000123,
                              .request_id = "req-1",
                              .consumer = "key1",
                              .route = "items",
                              .action = "POST items",
                              .resource_type = "items",
                              .resource_id = "42",
                              .method = "POST",
                              .path = "/v1/items/42",
                              .status = 201,
                              .ip_prefix = "203.0.113.0/24",
                              .ip_digest = "abababababababababababababababababababababababababababababababab",
                              .body_sha256 =
                                  "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
                              .duration_us = -5};
    memset(r.prev_hash, '0', RL_STORE_HEX_LEN);
    char h[RL_STORE_HEX_LEN + 1];
    rl_audit_row_hash(&r, h);
    assert_string_equal(h, "1cdb1b5b13ddc8af1aedea53c478512af018812bc651410428f5d252c8a84259");
    char big[5000]; /* past the stack buffer: the same form from the heap */
    memset(big, 'p', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    r.path = big;
    rl_audit_row_hash(&r, h);
    assert_int_equal(strlen(h), RL_STORE_HEX_LEN);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_intact),
        T(test_modified),
        T(test_modified_last),
        T(test_modified_hash_rewritten),
        T(test_deleted),
        T(test_deleted_first),
        T(test_inserted_forged),
        T(test_inserted_garbage),
        T(test_ip_changed),
        T(test_ip_changed_same_network),
        T(test_anonymize_and_retention),
        T(test_retention_then_tamper),
        T(test_filters),
        T(test_writer_full_queue_loses_nothing),
        T(test_writer_wakes_parked_after_store),
        T(test_append_batch_mixed),
        T(test_append_refused_then_kept),
        T(test_seq_not_reused_after_retention_emptied),
        T(test_seq_not_reused_after_tail_deleted),
        T(test_seq_above_rows_renumbered),
        T(test_migrate_v2_keeps_rows_and_seq),
        cmocka_unit_test(test_ip_prefix),
        cmocka_unit_test(test_row_hash_pinned),
        cmocka_unit_test(test_ip_digest_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
