/* sqlite_audit.c — the audit-trail half of the SQLite backend (see
 * store.h and ingress/audit.h for the hash chain). Rows are appended in one
 * transaction per batch and numbered by the store: seq continues above
 * every seq ever used (audit_seq keeps the highest), so that a number is
 * never given twice, not even after retention deleted every row. Retention
 * deletes a prefix of the chain and keeps the last deleted row's hash as the
 * checkpoint the next row chains to. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_int.h"

#define AUDIT_COLS                                                                                           \
    "seq, ts, request_id, consumer, route, action, resource_type, resource_id, method, path, status, "       \
    "client_ip, ip_prefix, ip_digest, user_agent, body_sha256, duration_us, prev_hash, hash"

static void copy_hex(char *dst, const unsigned char *src)
{
    snprintf(dst, RL_STORE_HEX_LEN + 1, "%s", src ? (const char *)src : "");
}

static void read_row(sqlite3_stmt *st, rl_store_audit_row_t *r)
{
    memset(r, 0, sizeof(*r));
    r->seq = sqlite3_column_int64(st, 0);
    r->ts_ms = sqlite3_column_int64(st, 1);
    r->request_id = rl_sq_col_str(st, 2);
    r->consumer = rl_sq_col_str(st, 3);
    r->route = rl_sq_col_str(st, 4);
    r->action = rl_sq_col_str(st, 5);
    r->resource_type = rl_sq_col_str(st, 6);
    r->resource_id = rl_sq_col_str(st, 7);
    r->method = rl_sq_col_str(st, 8);
    r->path = rl_sq_col_str(st, 9);
    r->status = sqlite3_column_int(st, 10);
    r->client_ip = rl_sq_col_str(st, 11);
    r->ip_prefix = rl_sq_col_str(st, 12);
    r->ip_digest = rl_sq_col_str(st, 13);
    r->user_agent = rl_sq_col_str(st, 14);
    r->body_sha256 = rl_sq_col_str(st, 15);
    r->duration_us = sqlite3_column_int64(st, 16);
    copy_hex(r->prev_hash, sqlite3_column_text(st, 17));
    copy_hex(r->hash, sqlite3_column_text(st, 18));
}

static int checkpoint_locked(sqlite3 *db, int64_t *seq, char *hash, rl_err_t *err)
{
    sqlite3_stmt *st = NULL;
    int rc = rl_sq_prepare(db, "SELECT seq, hash FROM audit_checkpoint WHERE id = 1", &st, err);
    if (rc != 0) return rc;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        if (seq) *seq = sqlite3_column_int64(st, 0);
        copy_hex(hash, sqlite3_column_text(st, 1));
        rc = 1;
    } else if (step != SQLITE_DONE) {
        rc = rl_sq_error(db, err, "audit checkpoint");
    }
    sqlite3_finalize(st);
    return rc;
}

int rl_sq_audit_checkpoint(rl_store_t *s, int64_t *seq, char *hash, rl_err_t *err)
{
    sqlite_store_t *q = (sqlite_store_t *)s;
    pthread_mutex_lock(&q->mu);
    int rc = checkpoint_locked(q->db, seq, hash, err);
    pthread_mutex_unlock(&q->mu);
    return rc;
}

int rl_sq_audit_tail(rl_store_t *s, char *hash, rl_err_t *err)
{
    sqlite_store_t *q = (sqlite_store_t *)s;
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&q->mu);
    int rc = rl_sq_prepare(q->db, "SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1", &st, err);
    if (rc != 0) goto out;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        copy_hex(hash, sqlite3_column_text(st, 0));
    } else if (step != SQLITE_DONE) {
        rc = rl_sq_error(q->db, err, "audit tail");
    } else {
        rc = checkpoint_locked(q->db, NULL, hash, err);
        if (rc == 0) memset(hash, '0', RL_STORE_HEX_LEN), hash[RL_STORE_HEX_LEN] = '\0';
        if (rc > 0) rc = 0;
    }
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&q->mu);
    return rc;
}

#define N_BIND 19
/* Rows bound into one INSERT, largest first: a batch runs as few statements
 * as these sizes allow (at 1,024-row batches, 64 rows per INSERT cost 5%
 * less per row than 16; 128 no less than 64). */
#define ROWS_PER_INSERT 64
static const int insert_rows_n[RL_SQ_AUDIT_INSERTS] = {ROWS_PER_INSERT, 8, 1};

/* Binds row r as the k-th row (0-based) of a multi-row INSERT, numbered
 * `seq`, or when seq is 0 one above the row before it (SQLite's own choice
 * for a NULL rowid: the largest + 1; an explicit one costs a lookup). The
 * strings are bound without a copy: the rows outlive the statement's step. */
static void bind_row(sqlite3_stmt *st, int k, const rl_store_audit_row_t *r, int64_t seq)
{
    const char *strs[] = {r->request_id,    r->consumer,    r->route,  r->action,
                          r->resource_type, r->resource_id, r->method, r->path};
    int b = k * N_BIND;
    if (seq)
        sqlite3_bind_int64(st, b + 1, seq);
    else
        sqlite3_bind_null(st, b + 1);
    sqlite3_bind_int64(st, b + 2, r->ts_ms);
    for (int i = 0; i < 8; i++)
        rl_sq_bind_str_static(st, b + 3 + i, strs[i]);
    sqlite3_bind_int(st, b + 11, r->status);
    rl_sq_bind_str_static(st, b + 12, r->client_ip);
    rl_sq_bind_str_static(st, b + 13, r->ip_prefix);
    rl_sq_bind_str_static(st, b + 14, r->ip_digest);
    rl_sq_bind_str_static(st, b + 15, r->user_agent);
    rl_sq_bind_str_static(st, b + 16, r->body_sha256);
    sqlite3_bind_int64(st, b + 17, r->duration_us);
    rl_sq_bind_str_static(st, b + 18, r->prev_hash);
    rl_sq_bind_str_static(st, b + 19, r->hash);
}

/* Prepares an INSERT of `k` rows (1 ≤ k ≤ ROWS_PER_INSERT) into *st, unless
 * it is already there. OR ROLLBACK: a failed row ends the whole batch, as
 * the caller would anyway, so SQLite keeps no statement journal to undo
 * just the statement (3% of an append). */
static int prepare_insert(sqlite3 *db, int k, sqlite3_stmt **st, rl_err_t *err)
{
    static const char head[] =
        "INSERT OR ROLLBACK INTO audit_log (seq, ts, request_id, consumer, route, action, resource_type, "
        "resource_id, method, path, status, client_ip, ip_prefix, ip_digest, user_agent, "
        "body_sha256, duration_us, prev_hash, hash) VALUES ";
    static const char tuple[] = "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    char sql[sizeof(head) + ROWS_PER_INSERT * sizeof(tuple)];
    size_t len = sizeof(head) - 1;
    if (*st) return 0;
    memcpy(sql, head, len);
    for (int i = 0; i < k; i++) {
        if (i) sql[len++] = ',';
        memcpy(sql + len, tuple, sizeof(tuple) - 1);
        len += sizeof(tuple) - 1;
    }
    sql[len] = '\0';
    return rl_sq_prepare(db, sql, st, err);
}

/* Runs a kept statement that returns nothing (or one integer, into *v when
 * v is not NULL), and resets it either way. */
static int run_kept(sqlite3 *db, sqlite3_stmt *st, int64_t *v, rl_err_t *err)
{
    int step = sqlite3_step(st);
    int rc = step == SQLITE_DONE || (v && step == SQLITE_ROW) ? 0 : rl_sq_error(db, err, "append audit");
    if (v) *v = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc;
}

/* The seq the batch starts at: above every seq ever used (the high-water
 * mark covers rows deleted from the end, even all of them; the newest row
 * covers rows written around it by hand), so that a seq is never reused. */
static int next_seq(sqlite_store_t *q, int64_t *next, rl_err_t *err)
{
    int rc = 0;
    if (q->audit_next == NULL)
        rc = rl_sq_prepare(q->db,
                           "SELECT max(COALESCE((SELECT max(seq) FROM audit_log), 0),"
                           " COALESCE((SELECT max(last) FROM audit_seq), 0),"
                           " COALESCE((SELECT max(seq) FROM audit_checkpoint), 0))",
                           &q->audit_next, err);
    if (rc == 0) rc = run_kept(q->db, q->audit_next, next, err);
    *next += 1;
    return rc;
}

/* Records `last` as the highest seq used. */
static int set_high_water(sqlite_store_t *q, int64_t last, rl_err_t *err)
{
    int rc = 0;
    if (q->audit_hw == NULL)
        rc = rl_sq_prepare(q->db, "INSERT OR REPLACE INTO audit_seq (id, last) VALUES (1, ?)", &q->audit_hw,
                           err);
    if (rc != 0) return rc;
    sqlite3_bind_int64(q->audit_hw, 1, last);
    return run_kept(q->db, q->audit_hw, NULL, err);
}

/* Inserts rows[0..k), numbered from `seq`, with `st` (prepared for k rows).
 * Its bindings point into the rows until the next use rebinds them all. */
static int insert_rows(sqlite3 *db, sqlite3_stmt *st, const rl_store_audit_row_t *rows, int k, int64_t seq,
                       rl_err_t *err)
{
    for (int i = 0; i < k; i++)
        bind_row(st, i, &rows[i], i == 0 ? seq : 0);
    return run_kept(db, st, NULL, err);
}

int rl_sq_audit_append(rl_store_t *s, rl_store_audit_row_t *rows, size_t n, rl_err_t *err)
{
    sqlite_store_t *q = (sqlite_store_t *)s;
    int rc;
    int64_t first = 0;
    size_t i = 0;
    pthread_mutex_lock(&q->mu);
    if ((rc = rl_sq_exec(q->db, "BEGIN IMMEDIATE", err)) != 0) goto out;
    rc = next_seq(q, &first, err);
    for (int t = 0; rc == 0 && t < RL_SQ_AUDIT_INSERTS; t++) {
        int k = insert_rows_n[t];
        sqlite3_stmt **st = &q->audit_insert[t];
        if (n - i >= (size_t)k && (rc = prepare_insert(q->db, k, st, err)) == 0)
            for (; rc == 0 && n - i >= (size_t)k; i += (size_t)k)
                rc = insert_rows(q->db, *st, rows + i, k, first + (int64_t)i, err);
    }
    if (rc == 0 && n > 0 && sqlite3_last_insert_rowid(q->db) != first + (int64_t)n - 1)
        rc = rl_err_set(err, RL_EINTERNAL, "store: audit rows not numbered from %lld", (long long)first);
    if (rc == 0 && n > 0) rc = set_high_water(q, first + (int64_t)n - 1, err);
    if (rc == 0) rc = rl_sq_exec(q->db, "COMMIT", err);
    if (rc == 0)
        for (i = 0; i < n; i++)
            rows[i].seq = first + (int64_t)i;
    else if (!sqlite3_get_autocommit(q->db)) /* OR ROLLBACK may have ended it already */
        rl_sq_exec(q->db, "ROLLBACK", NULL);
out:
    pthread_mutex_unlock(&q->mu);
    return rc;
}

void rl_sq_audit_close(sqlite_store_t *q)
{
    for (int t = 0; t < RL_SQ_AUDIT_INSERTS; t++) {
        sqlite3_finalize(q->audit_insert[t]);
        q->audit_insert[t] = NULL;
    }
    sqlite3_finalize(q->audit_next);
    sqlite3_finalize(q->audit_hw);
    q->audit_next = q->audit_hw = NULL;
}

int rl_sq_audit_query(rl_store_t *s, const rl_store_audit_filter_t *f, int64_t after_seq, size_t limit,
                      rl_store_audit_row_t **rows, size_t *n, rl_err_t *err)
{
    sqlite_store_t *q = (sqlite_store_t *)s;
    sqlite3_stmt *st = NULL;
    int rc, step = SQLITE_DONE;
    *rows = NULL;
    *n = 0;
    rl_store_audit_row_t *v = calloc(limit ? limit : 1, sizeof(*v));
    if (v == NULL) return rl_err_set(err, RL_EINTERNAL, "out of memory");
    pthread_mutex_lock(&q->mu);
    rc = rl_sq_prepare(q->db,
                       "SELECT " AUDIT_COLS " FROM audit_log WHERE seq > ?1"
                       " AND (?2 IS NULL OR consumer = ?2) AND (?3 IS NULL OR route = ?3)"
                       " AND (?4 = 0 OR status = ?4) AND (?5 = 0 OR ts >= ?5) AND (?6 = 0 OR ts < ?6)"
                       " ORDER BY seq LIMIT ?7",
                       &st, err);
    if (rc != 0) goto out;
    sqlite3_bind_int64(st, 1, after_seq);
    rl_sq_bind_str(st, 2, f->consumer);
    rl_sq_bind_str(st, 3, f->route);
    sqlite3_bind_int(st, 4, f->status);
    sqlite3_bind_int64(st, 5, f->from_ms);
    sqlite3_bind_int64(st, 6, f->to_ms);
    sqlite3_bind_int64(st, 7, (int64_t)limit);
    while (*n < limit && (step = sqlite3_step(st)) == SQLITE_ROW)
        read_row(st, &v[(*n)++]);
    if (*n < limit && step != SQLITE_DONE) rc = rl_sq_error(q->db, err, "query audit");
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&q->mu);
    if (rc != 0) {
        rl_store_audit_rows_free(v, *n);
        *n = 0;
        return rc;
    }
    *rows = v;
    return 0;
}

int rl_sq_audit_anonymize(rl_store_t *s, int64_t before_ms, rl_err_t *err)
{
    sqlite_store_t *q = (sqlite_store_t *)s;
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&q->mu);
    int rc = rl_sq_prepare(
        q->db, "UPDATE audit_log SET client_ip = ip_prefix WHERE ts < ? AND client_ip != ip_prefix", &st,
        err);
    if (rc == 0) {
        sqlite3_bind_int64(st, 1, before_ms);
        rc = sqlite3_step(st) == SQLITE_DONE ? sqlite3_changes(q->db) : rl_sq_error(q->db, err, "anonymize");
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&q->mu);
    return rc;
}

/* Deletes by seq up to the newest row older than the cutoff, so that what
 * remains is always a contiguous suffix of the chain. */
int rl_sq_audit_expire(rl_store_t *s, int64_t before_ms, rl_err_t *err)
{
    sqlite_store_t *q = (sqlite_store_t *)s;
    sqlite3_stmt *st = NULL;
    int rc, deleted = 0;
    pthread_mutex_lock(&q->mu);
    if ((rc = rl_sq_exec(q->db, "BEGIN IMMEDIATE", err)) != 0) goto out;
    rc = rl_sq_prepare(q->db, "SELECT seq, hash FROM audit_log WHERE ts < ? ORDER BY seq DESC LIMIT 1", &st,
                       err);
    if (rc != 0) goto rollback;
    sqlite3_bind_int64(st, 1, before_ms);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64(st, 0);
        char hash[RL_STORE_HEX_LEN + 1], sql[256];
        copy_hex(hash, sqlite3_column_text(st, 1));
        sqlite3_finalize(st);
        st = NULL;
        if (strspn(hash, "0123456789abcdef") != RL_STORE_HEX_LEN) {
            rc = rl_err_set(err, RL_EINTERNAL, "store: audit row %lld has a malformed hash", (long long)seq);
            goto rollback;
        }
        snprintf(sql, sizeof(sql), "DELETE FROM audit_log WHERE seq <= %lld", (long long)seq);
        if ((rc = rl_sq_exec(q->db, sql, err)) != 0) goto rollback;
        deleted = sqlite3_changes(q->db);
        snprintf(sql, sizeof(sql),
                 "INSERT OR REPLACE INTO audit_checkpoint (id, seq, hash, at) VALUES (1, %lld, '%s', %lld)",
                 (long long)seq, hash, (long long)before_ms);
        if ((rc = rl_sq_exec(q->db, sql, err)) != 0) goto rollback;
    } else if (step != SQLITE_DONE) {
        rc = rl_sq_error(q->db, err, "expire audit");
        goto rollback;
    }
    sqlite3_finalize(st);
    st = NULL;
    rc = rl_sq_exec(q->db, "COMMIT", err);
    if (rc == 0) rc = deleted;
    goto out;
rollback:
    sqlite3_finalize(st);
    rl_sq_exec(q->db, "ROLLBACK", NULL);
out:
    pthread_mutex_unlock(&q->mu);
    return rc;
}
