/* store.c — the backend-neutral half of store.h: opening by URL, dispatch
 * through the ops table, freeing rows. */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

int rl_store_open(const char *url, rl_store_t **out, rl_err_t *err)
{
    *out = NULL;
    if (strncmp(url, "sqlite://", 9) == 0) return rl_store_sqlite_open(url + 9, out, err);
    if (strcmp(url, "sqlite::memory:") == 0) return rl_store_sqlite_open(":memory:", out, err);
    if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0)
        return rl_err_set(err, RL_EBAD_REQUEST, "store: the PostgreSQL backend is not available yet");
    return rl_err_set(err, RL_EBAD_REQUEST, "store: unsupported URL (expected sqlite://PATH)");
}

void rl_store_close(rl_store_t *s)
{
    if (s != NULL) s->ops->close(s);
}

int rl_store_schema_latest(void)
{
    int v = 0;
    for (const rl_store_migration_t *m = rl_store_migrations_sqlite; m->version; m++)
        v = m->version;
    return v;
}

int rl_store_migrate(rl_store_t *s, int *from, int *to, rl_err_t *err)
{
    int f = 0, t = 0;
    int rc = s->ops->migrate(s, &f, &t, err);
    if (from) *from = f;
    if (to) *to = t;
    return rc;
}

int rl_store_key_insert(rl_store_t *s, rl_store_key_row_t *k, rl_err_t *err)
{
    return s->ops->key_insert(s, k, err);
}

int rl_store_key_get(rl_store_t *s, const char *id, rl_store_key_row_t *out, rl_err_t *err)
{
    return s->ops->key_get(s, id, out, err);
}

int rl_store_key_list(rl_store_t *s, int64_t after_seq, size_t limit, rl_store_key_row_t **rows, size_t *n,
                      rl_err_t *err)
{
    return s->ops->key_list(s, after_seq, limit, rows, n, err);
}

int rl_store_key_rotate(rl_store_t *s, const char *id, const uint8_t *new_hash, int64_t prev_until_ms,
                        rl_err_t *err)
{
    return s->ops->key_rotate(s, id, new_hash, prev_until_ms, err);
}

int rl_store_key_revoke(rl_store_t *s, const char *id, int64_t now_ms, rl_err_t *err)
{
    return s->ops->key_revoke(s, id, now_ms, err);
}

int rl_store_key_touch(rl_store_t *s, const char *const *ids, const int64_t *used_ms, size_t n, rl_err_t *err)
{
    return n == 0 ? 0 : s->ops->key_touch(s, ids, used_ms, n, err);
}

void rl_store_key_row_clear(rl_store_key_row_t *k)
{
    free(k->name);
    free(k->scopes);
    free(k->allow_ips);
    memset(k, 0, sizeof(*k));
}

void rl_store_key_rows_free(rl_store_key_row_t *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++)
        rl_store_key_row_clear(&rows[i]);
    free(rows);
}

int rl_store_audit_tail(rl_store_t *s, char *hash, rl_err_t *err)
{
    return s->ops->audit_tail(s, hash, err);
}

int rl_store_audit_append(rl_store_t *s, rl_store_audit_row_t *rows, size_t n, rl_err_t *err)
{
    return n == 0 ? 0 : s->ops->audit_append(s, rows, n, err);
}

int rl_store_audit_query(rl_store_t *s, const rl_store_audit_filter_t *f, int64_t after_seq, size_t limit,
                         rl_store_audit_row_t **rows, size_t *n, rl_err_t *err)
{
    static const rl_store_audit_filter_t none = {0};
    return s->ops->audit_query(s, f ? f : &none, after_seq, limit, rows, n, err);
}

int rl_store_audit_checkpoint(rl_store_t *s, int64_t *seq, char *hash, rl_err_t *err)
{
    return s->ops->audit_checkpoint(s, seq, hash, err);
}

int rl_store_audit_anonymize(rl_store_t *s, int64_t before_ms, rl_err_t *err)
{
    return s->ops->audit_anonymize(s, before_ms, err);
}

int rl_store_audit_expire(rl_store_t *s, int64_t before_ms, rl_err_t *err)
{
    return s->ops->audit_expire(s, before_ms, err);
}

void rl_store_audit_row_clear(rl_store_audit_row_t *r)
{
    char **strs[] = {&r->request_id,  &r->consumer,   &r->route,      &r->action,    &r->resource_type,
                     &r->resource_id, &r->method,     &r->path,       &r->client_ip, &r->ip_prefix,
                     &r->ip_digest,   &r->user_agent, &r->body_sha256};
    if (r->block != NULL)
        free(r->block);
    else
        for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
            free(*strs[i]);
    memset(r, 0, sizeof(*r));
}

void rl_store_audit_rows_free(rl_store_audit_row_t *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++)
        rl_store_audit_row_clear(&rows[i]);
    free(rows);
}
