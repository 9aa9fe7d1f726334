/* store.h — relais' durable storage (DESIGN §7): one interface, a table of
 * function pointers per backend. SQLite (sqlite.c) is the embedded default;
 * PostgreSQL (pg.c, later) plugs in behind the same calls, so callers never
 * name a backend.
 *
 * Threads: every call is blocking and thread-safe (the SQLite backend guards
 * one connection with a mutex; WAL lets `relais keys …` in another process
 * read and write meanwhile, busy_timeout waits for its locks). Blocking calls
 * never run on a worker loop: workers go through uv_queue_work, background
 * jobs run on the control thread.
 *
 * Rows are plain structs; strings in them are malloc'd and owned by the row
 * (an audit row may keep them all in one block, see `block`)
 * (rl_store_key_row_clear / rl_store_audit_row_clear free them). Times are
 * Unix milliseconds; 0 means "not set". */
#ifndef RL_STORE_STORE_H
#define RL_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define RL_STORE_HASH_LEN 32   /* SHA-256 */
#define RL_STORE_HEX_LEN 64    /* a hash as lower-case hex */
#define RL_STORE_KEY_ID_MAX 32 /* API key ids are 12 base62 characters */
#define RL_STORE_LIST_MAX 100  /* the largest page a list call returns */

typedef struct rl_store rl_store_t;

/* An API key as stored: never the secret, only its SHA-256. */
typedef struct rl_store_key_row {
    int64_t seq; /* insertion order, the pagination position */
    char id[RL_STORE_KEY_ID_MAX + 1];
    char *name;
    char *scopes;    /* comma-separated; "" = none */
    char *allow_ips; /* comma-separated CIDRs; "" = any address */
    uint8_t secret_hash[RL_STORE_HASH_LEN];
    uint8_t prev_hash[RL_STORE_HASH_LEN]; /* the secret before the last rotation */
    int64_t prev_until_ms;                /* prev_hash works until then; 0 = no previous secret */
    int64_t expires_at_ms, created_at_ms, last_used_at_ms, revoked_at_ms;
} rl_store_key_row_t;

/* One audit-trail row (ingress/audit.h computes its hash). */
typedef struct rl_store_audit_row {
    int64_t seq; /* set by audit_append */
    int64_t ts_ms;
    char *request_id, *consumer, *route, *action, *resource_type, *resource_id, *method, *path;
    int status;
    char *client_ip; /* the address, or ip_prefix once anonymized; not in the hash */
    char *ip_prefix; /* /24 (IPv4) or /48 (IPv6) of the address; hashed */
    char *ip_digest; /* keyed BLAKE2b-256 of the address (ingress/audit.h) as hex; hashed */
    char *user_agent;
    char *body_sha256; /* hex, NULL without a body */
    int64_t duration_us;
    char prev_hash[RL_STORE_HEX_LEN + 1], hash[RL_STORE_HEX_LEN + 1];
    void *block; /* NULL: each string is malloc'd; else every string lives in this one block */
} rl_store_audit_row_t;

/* Filters of an audit query; NULL / 0 = any. `to_ms` is exclusive. */
typedef struct rl_store_audit_filter {
    const char *consumer, *route;
    int status;
    int64_t from_ms, to_ms;
} rl_store_audit_filter_t;

typedef struct rl_store_ops {
    const char *name;
    void (*close)(rl_store_t *s);
    int (*migrate)(rl_store_t *s, int *from, int *to, rl_err_t *err);
    int (*key_insert)(rl_store_t *s, rl_store_key_row_t *k, rl_err_t *err);
    int (*key_get)(rl_store_t *s, const char *id, rl_store_key_row_t *out, rl_err_t *err);
    int (*key_list)(rl_store_t *s, int64_t after_seq, size_t limit, rl_store_key_row_t **rows, size_t *n,
                    rl_err_t *err);
    int (*key_rotate)(rl_store_t *s, const char *id, const uint8_t *new_hash, int64_t prev_until_ms,
                      rl_err_t *err);
    int (*key_revoke)(rl_store_t *s, const char *id, int64_t now_ms, rl_err_t *err);
    int (*key_touch)(rl_store_t *s, const char *const *ids, const int64_t *used_ms, size_t n, rl_err_t *err);
    int (*audit_tail)(rl_store_t *s, char *hash, rl_err_t *err);
    int (*audit_append)(rl_store_t *s, rl_store_audit_row_t *rows, size_t n, rl_err_t *err);
    int (*audit_query)(rl_store_t *s, const rl_store_audit_filter_t *f, int64_t after_seq, size_t limit,
                       rl_store_audit_row_t **rows, size_t *n, rl_err_t *err);
    int (*audit_checkpoint)(rl_store_t *s, int64_t *seq, char *hash, rl_err_t *err);
    int (*audit_anonymize)(rl_store_t *s, int64_t before_ms, rl_err_t *err);
    int (*audit_expire)(rl_store_t *s, int64_t before_ms, rl_err_t *err);
} rl_store_ops_t;

/* Every backend's handle starts with its ops. */
struct rl_store {
    const rl_store_ops_t *ops;
};

/* Opens the store named by `url`: "sqlite:///abs/path.db" (the parent
 * directory is created) or "sqlite::memory:". Does not migrate. Returns 0 and
 * *out, or a negative RL_E… with a message in err. */
int rl_store_open(const char *url, rl_store_t **out, rl_err_t *err);

/* Closes and frees; NULL is fine. */
void rl_store_close(rl_store_t *s);

/* Applies every migration newer than the schema version (each in its own
 * transaction). *from / *to (may be NULL) get the versions before and after.
 * Idempotent. */
int rl_store_migrate(rl_store_t *s, int *from, int *to, rl_err_t *err);

/* The newest schema version this binary knows. */
int rl_store_schema_latest(void);

/* ---- API keys ---- */

/* Inserts k (k->id unique); sets k->seq. RL_EBAD_REQUEST on a duplicate id. */
int rl_store_key_insert(rl_store_t *s, rl_store_key_row_t *k, rl_err_t *err);

/* Reads key `id` into *out (clear it after). RL_ENOT_FOUND when absent. */
int rl_store_key_get(rl_store_t *s, const char *id, rl_store_key_row_t *out, rl_err_t *err);

/* Keys with seq > after_seq in seq order, at most `limit` (≤ RL_STORE_LIST_MAX
 * + 1). *rows is malloc'd (free with rl_store_key_rows_free). */
int rl_store_key_list(rl_store_t *s, int64_t after_seq, size_t limit, rl_store_key_row_t **rows, size_t *n,
                      rl_err_t *err);

/* Replaces the secret hash of `id` with new_hash; the current one becomes
 * the previous secret, valid until prev_until_ms. RL_ENOT_FOUND when absent
 * or revoked. */
int rl_store_key_rotate(rl_store_t *s, const char *id, const uint8_t *new_hash, int64_t prev_until_ms,
                        rl_err_t *err);

/* Marks `id` revoked at now_ms (idempotent). RL_ENOT_FOUND when absent. */
int rl_store_key_revoke(rl_store_t *s, const char *id, int64_t now_ms, rl_err_t *err);

/* Raises last_used_at of each ids[i] to used_ms[i], in one transaction. */
int rl_store_key_touch(rl_store_t *s, const char *const *ids, const int64_t *used_ms, size_t n,
                       rl_err_t *err);

void rl_store_key_row_clear(rl_store_key_row_t *k);
void rl_store_key_rows_free(rl_store_key_row_t *rows, size_t n);

/* ---- audit trail ---- */

/* The hash the next row must chain to: the newest row's, else the retention
 * checkpoint's, else 64 '0's. `hash` has RL_STORE_HEX_LEN + 1 bytes. */
int rl_store_audit_tail(rl_store_t *s, char *hash, rl_err_t *err);

/* Appends rows (hashes already computed) in one transaction; sets each seq. */
int rl_store_audit_append(rl_store_t *s, rl_store_audit_row_t *rows, size_t n, rl_err_t *err);

/* Rows matching f with seq > after_seq, oldest first, at most `limit`.
 * *rows is malloc'd (rl_store_audit_rows_free). */
int rl_store_audit_query(rl_store_t *s, const rl_store_audit_filter_t *f, int64_t after_seq, size_t limit,
                         rl_store_audit_row_t **rows, size_t *n, rl_err_t *err);

/* The retention checkpoint: the seq and hash of the newest deleted row.
 * Returns 1 with *seq and hash set, 0 when retention never deleted. */
int rl_store_audit_checkpoint(rl_store_t *s, int64_t *seq, char *hash, rl_err_t *err);

/* Replaces client_ip with ip_prefix in rows older than before_ms. Returns
 * the number of rows changed. */
int rl_store_audit_anonymize(rl_store_t *s, int64_t before_ms, rl_err_t *err);

/* Deletes rows older than before_ms and records the newest deleted one as
 * the checkpoint, in one transaction. Returns the number deleted. */
int rl_store_audit_expire(rl_store_t *s, int64_t before_ms, rl_err_t *err);

void rl_store_audit_row_clear(rl_store_audit_row_t *r);
void rl_store_audit_rows_free(rl_store_audit_row_t *rows, size_t n);

#endif
