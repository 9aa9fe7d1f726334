/* sqlite.c — the SQLite backend of store.h.
 *
 * One connection per store handle, guarded by a mutex: every call locks it
 * for its whole duration, so the handle is safe from any thread (the libuv
 * thread pool for worker lookups, the control thread for batches). The file
 * is in WAL mode with synchronous=NORMAL, so readers (other processes such
 * as `relais keys list`) never block the writer; busy_timeout (5 s) makes a
 * writer wait for another process's write lock instead of failing. */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/sqlite_int.h"

#define BUSY_TIMEOUT_MS 5000

static sqlite_store_t *S(rl_store_t *s)
{
    return (sqlite_store_t *)s;
}

int rl_sq_error(sqlite3 *db, rl_err_t *err, const char *what)
{
    return rl_err_set(err, RL_EINTERNAL, "store: %s: %s", what, sqlite3_errmsg(db));
}

int rl_sq_exec(sqlite3 *db, const char *sql, rl_err_t *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK) return 0;
    rl_err_set(err, RL_EINTERNAL, "store: %s", msg ? msg : "error");
    sqlite3_free(msg);
    return -(int)RL_EINTERNAL;
}

int rl_sq_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, rl_err_t *err)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) == SQLITE_OK) return 0;
    return rl_sq_error(db, err, "prepare");
}

char *rl_sq_col_str(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? strdup((const char *)t) : NULL;
}

void rl_sq_bind_str(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

void rl_sq_bind_str_static(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* mkdir -p of the directory part of `path`. */
static int make_parent(const char *path, rl_err_t *err)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (slash == NULL || slash == path) return 0;
    if ((size_t)(slash - path) >= sizeof(dir))
        return rl_err_set(err, RL_EBAD_REQUEST, "store: path too long");
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
    for (char *p = dir + 1;; p++) {
        char c = *p;
        if (c != '/' && c != '\0') continue;
        *p = '\0';
        if (mkdir(dir, 0750) != 0 && errno != EEXIST)
            return rl_err_set(err, RL_EINTERNAL, "store: cannot create directory %.200s: %s", dir,
                              strerror(errno));
        *p = c;
        if (c == '\0') break;
    }
    return 0;
}

/* ---- migrations ---- */

static int schema_version(sqlite3 *db, int *v, rl_err_t *err)
{
    sqlite3_stmt *st;
    if (rl_sq_exec(
            db,
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, what TEXT, applied_at "
            "INTEGER NOT NULL)",
            err) != 0)
        return -(int)RL_EINTERNAL;
    if (rl_sq_prepare(db, "SELECT COALESCE(MAX(version), 0) FROM schema_version", &st, err) != 0)
        return -(int)RL_EINTERNAL;
    *v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    return 0;
}

static int apply(sqlite3 *db, const rl_store_migration_t *m, rl_err_t *err)
{
    char rec[160];
    if (rl_sq_exec(db, "BEGIN IMMEDIATE", err) != 0) return -(int)RL_EINTERNAL;
    snprintf(rec, sizeof(rec),
             "INSERT INTO schema_version (version, what, applied_at) VALUES (%d, '%s', "
             "CAST(strftime('%%s','now') AS INTEGER) * 1000)",
             m->version, m->what);
    if (rl_sq_exec(db, m->sql, err) != 0 || rl_sq_exec(db, rec, err) != 0) {
        rl_sq_exec(db, "ROLLBACK", NULL);
        return -(int)RL_EINTERNAL;
    }
    return rl_sq_exec(db, "COMMIT", err);
}

static int sq_migrate(rl_store_t *s, int *from, int *to, rl_err_t *err)
{
    sqlite_store_t *q = S(s);
    int v = 0, rc = 0;
    pthread_mutex_lock(&q->mu);
    if ((rc = schema_version(q->db, &v, err)) != 0) goto out;
    *from = *to = v;
    for (const rl_store_migration_t *m = rl_store_migrations_sqlite; m->version; m++) {
        if (m->version <= v) continue;
        /* another process may have migrated meanwhile: re-read under the write lock */
        int now = 0;
        if ((rc = schema_version(q->db, &now, err)) != 0) goto out;
        if (m->version <= now) continue;
        if ((rc = apply(q->db, m, err)) != 0) {
            if (err) {
                char msg[sizeof(err->msg)];
                memcpy(msg, err->msg, sizeof(msg));
                rl_err_set(err, RL_EINTERNAL, "migration %d (%s): %.200s", m->version, m->what, msg);
            }
            goto out;
        }
        *to = m->version;
    }
out:
    pthread_mutex_unlock(&q->mu);
    return rc;
}

/* ---- API keys ---- */

#define KEY_COLS                                                                                             \
    "seq, id, name, scopes, allow_ips, secret_hash, prev_hash, prev_until, expires_at, created_at, "         \
    "last_used_at, revoked_at"

static void read_key(sqlite3_stmt *st, rl_store_key_row_t *k)
{
    memset(k, 0, sizeof(*k));
    k->seq = sqlite3_column_int64(st, 0);
    snprintf(k->id, sizeof(k->id), "%s", (const char *)sqlite3_column_text(st, 1));
    k->name = rl_sq_col_str(st, 2);
    k->scopes = rl_sq_col_str(st, 3);
    k->allow_ips = rl_sq_col_str(st, 4);
    if (sqlite3_column_bytes(st, 5) == RL_STORE_HASH_LEN)
        memcpy(k->secret_hash, sqlite3_column_blob(st, 5), RL_STORE_HASH_LEN);
    if (sqlite3_column_bytes(st, 6) == RL_STORE_HASH_LEN)
        memcpy(k->prev_hash, sqlite3_column_blob(st, 6), RL_STORE_HASH_LEN);
    k->prev_until_ms = sqlite3_column_int64(st, 7);
    k->expires_at_ms = sqlite3_column_int64(st, 8);
    k->created_at_ms = sqlite3_column_int64(st, 9);
    k->last_used_at_ms = sqlite3_column_int64(st, 10);
    k->revoked_at_ms = sqlite3_column_int64(st, 11);
    if (k->name == NULL) k->name = strdup("");
    if (k->scopes == NULL) k->scopes = strdup("");
    if (k->allow_ips == NULL) k->allow_ips = strdup("");
}

static int sq_key_insert(rl_store_t *s, rl_store_key_row_t *k, rl_err_t *err)
{
    sqlite_store_t *q = S(s);
    sqlite3_stmt *st = NULL;
    int rc;
    pthread_mutex_lock(&q->mu);
    if ((rc = rl_sq_prepare(
             q->db,
             "INSERT INTO api_keys (id, name, scopes, allow_ips, secret_hash, expires_at, created_at) "
             "VALUES (?, ?, ?, ?, ?, ?, ?)",
             &st, err)) != 0)
        goto out;
    rl_sq_bind_str(st, 1, k->id);
    rl_sq_bind_str(st, 2, k->name ? k->name : "");
    rl_sq_bind_str(st, 3, k->scopes ? k->scopes : "");
    rl_sq_bind_str(st, 4, k->allow_ips ? k->allow_ips : "");
    sqlite3_bind_blob(st, 5, k->secret_hash, RL_STORE_HASH_LEN, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 6, k->expires_at_ms);
    sqlite3_bind_int64(st, 7, k->created_at_ms);
    int step = sqlite3_step(st);
    if (step == SQLITE_CONSTRAINT)
        rc = rl_err_set(err, RL_EBAD_REQUEST, "store: key id %s exists", k->id);
    else if (step != SQLITE_DONE)
        rc = rl_sq_error(q->db, err, "insert key");
    else
        k->seq = sqlite3_last_insert_rowid(q->db);
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&q->mu);
    return rc;
}

static int sq_key_get(rl_store_t *s, const char *id, rl_store_key_row_t *out, rl_err_t *err)
{
    sqlite_store_t *q = S(s);
    sqlite3_stmt *st = NULL;
    int rc;
    pthread_mutex_lock(&q->mu);
    if ((rc = rl_sq_prepare(q->db, "SELECT " KEY_COLS " FROM api_keys WHERE id = ?", &st, err)) != 0)
        goto out;
    rl_sq_bind_str(st, 1, id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        read_key(st, out);
    else if (step == SQLITE_DONE)
        rc = rl_err_set(err, RL_ENOT_FOUND, "no API key %.40s", id);
    else
        rc = rl_sq_error(q->db, err, "get key");
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&q->mu);
    return rc;
}

static int sq_key_list(rl_store_t *s, int64_t after_seq, size_t limit, rl_store_key_row_t **rows, size_t *n,
                       rl_err_t *err)
{
    sqlite_store_t *q = S(s);
    sqlite3_stmt *st = NULL;
    int rc, step;
    *rows = NULL;
    *n = 0;
    if (limit > RL_STORE_LIST_MAX + 1) limit = RL_STORE_LIST_MAX + 1;
    rl_store_key_row_t *v = calloc(limit ? limit : 1, sizeof(*v));
    if (v == NULL) return rl_err_set(err, RL_EINTERNAL, "out of memory");
    pthread_mutex_lock(&q->mu);
    if ((rc = rl_sq_prepare(q->db, "SELECT " KEY_COLS " FROM api_keys WHERE seq > ? ORDER BY seq LIMIT ?",
                            &st, err)) != 0)
        goto out;
    sqlite3_bind_int64(st, 1, after_seq);
    sqlite3_bind_int64(st, 2, (int64_t)limit);
    while (*n < limit && (step = sqlite3_step(st)) == SQLITE_ROW)
        read_key(st, &v[(*n)++]);
    if (*n < limit && step != SQLITE_DONE) rc = rl_sq_error(q->db, err, "list keys");
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&q->mu);
    if (rc != 0) {
        rl_store_key_rows_free(v, *n);
        *n = 0;
        return rc;
    }
    *rows = v;
    return 0;
}

/* Runs one UPDATE on a key; RL_ENOT_FOUND when no row changed. */
static int update_key(sqlite_store_t *q, sqlite3_stmt *st, const char *id, rl_err_t *err)
{
    int step = sqlite3_step(st);
    if (step != SQLITE_DONE) return rl_sq_error(q->db, err, "update key");
    if (sqlite3_changes(q->db) == 0) return rl_err_set(err, RL_ENOT_FOUND, "no active API key %.40s", id);
    return 0;
}

static int sq_key_rotate(rl_store_t *s, const char *id, const uint8_t *new_hash, int64_t prev_until_ms,
                         rl_err_t *err)
{
    sqlite_store_t *q = S(s);
    sqlite3_stmt *st = NULL;
    int rc;
    pthread_mutex_lock(&q->mu);
    if ((rc = rl_sq_prepare(q->db,
                            "UPDATE api_keys SET prev_hash = secret_hash, prev_until = ?, secret_hash = ? "
                            "WHERE id = ? AND revoked_at = 0",
                            &st, err)) != 0)
        goto out;
    sqlite3_bind_int64(st, 1, prev_until_ms);
    sqlite3_bind_blob(st, 2, new_hash, RL_STORE_HASH_LEN, SQLITE_TRANSIENT);
    rl_sq_bind_str(st, 3, id);
    rc = update_key(q, st, id, err);
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&q->mu);
    return rc;
}

static int sq_key_revoke(rl_store_t *s, const char *id, int64_t now_ms, rl_err_t *err)
{
    sqlite_store_t *q = S(s);
    sqlite3_stmt *st = NULL;
    int rc;
    pthread_mutex_lock(&q->mu);
    if ((rc = rl_sq_prepare(
             q->db,
             "UPDATE api_keys SET revoked_at = CASE WHEN revoked_at = 0 THEN ? ELSE revoked_at END "
             "WHERE id = ?",
             &st, err)) != 0)
        goto out;
    sqlite3_bind_int64(st, 1, now_ms);
    rl_sq_bind_str(st, 2, id);
    rc = update_key(q, st, id, err);
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&q->mu);
    return rc;
}

static int sq_key_touch(rl_store_t *s, const char *const *ids, const int64_t *used_ms, size_t n,
                        rl_err_t *err)
{
    sqlite_store_t *q = S(s);
    sqlite3_stmt *st = NULL;
    int rc;
    pthread_mutex_lock(&q->mu);
    if ((rc = rl_sq_exec(q->db, "BEGIN IMMEDIATE", err)) != 0) goto out;
    if ((rc = rl_sq_prepare(q->db, "UPDATE api_keys SET last_used_at = MAX(last_used_at, ?) WHERE id = ?",
                            &st, err)) != 0)
        goto rollback;
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_int64(st, 1, used_ms[i]);
        rl_sq_bind_str(st, 2, ids[i]);
        if (sqlite3_step(st) != SQLITE_DONE) {
            rc = rl_sq_error(q->db, err, "touch key");
            goto rollback;
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    st = NULL;
    rc = rl_sq_exec(q->db, "COMMIT", err);
    goto out;
rollback:
    sqlite3_finalize(st);
    st = NULL;
    rl_sq_exec(q->db, "ROLLBACK", NULL);
out:
    pthread_mutex_unlock(&q->mu);
    return rc;
}

static void sq_close(rl_store_t *s)
{
    sqlite_store_t *q = S(s);
    rl_sq_audit_close(q);
    sqlite3_close(q->db);
    pthread_mutex_destroy(&q->mu);
    free(q);
}

static const rl_store_ops_t sqlite_ops = {
    .name = "sqlite",
    .close = sq_close,
    .migrate = sq_migrate,
    .key_insert = sq_key_insert,
    .key_get = sq_key_get,
    .key_list = sq_key_list,
    .key_rotate = sq_key_rotate,
    .key_revoke = sq_key_revoke,
    .key_touch = sq_key_touch,
    .audit_tail = rl_sq_audit_tail,
    .audit_append = rl_sq_audit_append,
    .audit_query = rl_sq_audit_query,
    .audit_checkpoint = rl_sq_audit_checkpoint,
    .audit_anonymize = rl_sq_audit_anonymize,
    .audit_expire = rl_sq_audit_expire,
};

int rl_store_sqlite_open(const char *path, rl_store_t **out, rl_err_t *err)
{
    sqlite3 *db = NULL;
    int rc;
    *out = NULL;
    if (path[0] == '\0') return rl_err_set(err, RL_EBAD_REQUEST, "store: empty SQLite path");
    if (strcmp(path, ":memory:") != 0 && (rc = make_parent(path, err)) != 0) return rc;
    /* NOMUTEX: every use of the connection already holds q->mu, so
     * SQLite's own per-call mutex would only be taken twice. */
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        rc = rl_err_set(err, RL_EINTERNAL, "store: cannot open %.200s: %s", path,
                        db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return rc;
    }
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    if ((rc = rl_sq_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON",
                         err)) != 0) {
        sqlite3_close(db);
        return rc;
    }
    sqlite_store_t *q = calloc(1, sizeof(*q));
    if (q == NULL) {
        sqlite3_close(db);
        return rl_err_set(err, RL_EINTERNAL, "out of memory");
    }
    q->base.ops = &sqlite_ops;
    q->db = db;
    pthread_mutex_init(&q->mu, NULL);
    *out = &q->base;
    return 0;
}
