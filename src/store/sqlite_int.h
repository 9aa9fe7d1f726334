/* sqlite_int.h — private to the SQLite backend (sqlite.c, sqlite_audit.c):
 * the handle and small statement helpers. Callers hold q->mu. */
#ifndef RL_STORE_SQLITE_INT_H
#define RL_STORE_SQLITE_INT_H

#include <pthread.h>
#include <sqlite3.h>

#include "store/store_int.h"

#define RL_SQ_AUDIT_INSERTS 3 /* INSERT sizes kept (sqlite_audit.c) */

typedef struct sqlite_store {
    rl_store_t base;
    sqlite3 *db;
    pthread_mutex_t mu; /* one connection, one user at a time */
    /* The statements of an audit append (the INSERTs of 64, 8 and 1 rows,
     * the next seq, the seq high-water mark), prepared at the first append
     * and kept until close (parsing them cost as much per batch as a few
     * rows). Always reset after a step. */
    sqlite3_stmt *audit_insert[RL_SQ_AUDIT_INSERTS], *audit_next, *audit_hw;
} sqlite_store_t;

/* RL_EINTERNAL with "store: what: sqlite's message". */
int rl_sq_error(sqlite3 *db, rl_err_t *err, const char *what);
/* Runs statements without results; 0 or -RL_EINTERNAL. */
int rl_sq_exec(sqlite3 *db, const char *sql, rl_err_t *err);
int rl_sq_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, rl_err_t *err);
/* Column i as a malloc'd string, NULL for SQL NULL. */
char *rl_sq_col_str(sqlite3_stmt *st, int i);
/* Binds s, or NULL when s is NULL. */
void rl_sq_bind_str(sqlite3_stmt *st, int i, const char *s);

/* The same without a copy: `s` must stay valid until the statement is
 * stepped and reset (batch inserts, where the copy cost more than the
 * insert). */
void rl_sq_bind_str_static(sqlite3_stmt *st, int i, const char *s);

/* The audit half of the ops (sqlite_audit.c). */
int rl_sq_audit_tail(rl_store_t *s, char *hash, rl_err_t *err);
int rl_sq_audit_append(rl_store_t *s, rl_store_audit_row_t *rows, size_t n, rl_err_t *err);
int rl_sq_audit_query(rl_store_t *s, const rl_store_audit_filter_t *f, int64_t after_seq, size_t limit,
                      rl_store_audit_row_t **rows, size_t *n, rl_err_t *err);
int rl_sq_audit_checkpoint(rl_store_t *s, int64_t *seq, char *hash, rl_err_t *err);
int rl_sq_audit_anonymize(rl_store_t *s, int64_t before_ms, rl_err_t *err);
int rl_sq_audit_expire(rl_store_t *s, int64_t before_ms, rl_err_t *err);
/* Finalizes the audit statements kept by the handle (before sqlite3_close). */
void rl_sq_audit_close(sqlite_store_t *q);

#endif
