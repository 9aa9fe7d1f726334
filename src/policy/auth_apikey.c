/* auth_apikey.c — API-key authentication with a per-worker lookup cache,
 * see auth_apikey.h.
 *
 * Each worker keeps a small hash table id → stored key (or "no such key"),
 * each entry trusted for RL_APIKEY_CACHE_TTL_MS. A miss starts one store
 * lookup on the libuv thread pool (uv_queue_work) per id; requests asking
 * for the same id meanwhile wait on it. A waiter is a malloc'd object
 * linked to the request through a ticket in the request pool: if the
 * request is disposed first, the ticket's dispose callback clears the
 * waiter's request pointer and the answer is dropped. Because entries
 * expire after 500 ms, a revocation (from the admin API of any node, or
 * the CLI) is seen by every worker within one second.
 *
 * last_used_at is not written per request: a worker notes a use at most
 * once a second per key into a process-wide buffer (one mutex), and the
 * control thread writes the buffer in one transaction
 * (rl_auth_apikey_flush_uses). */
#include "policy/auth_apikey.h"

#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "ingress/keys.h"
#include "store/store.h"

#define BUCKETS 1024
#define MAX_ENTRIES 20000
#define USE_NOTE_MS 1000
#define MAX_USES 65536

typedef struct waiter waiter_t;
typedef struct lookup lookup_t;

typedef struct entry {
    struct entry *next;
    char id[RL_KEY_ID_LEN + 1];
    int found;
    rl_store_key_row_t row;
    rl_key_memo_t memo; /* of row: reset with it */
    uint64_t fetched_ms;
    uint64_t use_noted_ms;
} entry_t;

struct waiter {
    waiter_t *next;
    rl_request_t *r; /* NULL once the request is gone */
    waiter_t **ticket;
    rl_auth_done_cb cb;
    const char *secret; /* in the request's headers; read only while r != NULL */
    size_t secret_len;
};

struct lookup {
    uv_work_t work;
    lookup_t *next;
    struct rl_keycache *cache;
    rl_store_t *store;
    char id[RL_KEY_ID_LEN + 1];
    int rc;
    rl_store_key_row_t row;
    rl_err_t err;
    waiter_t *waiters;
};

typedef struct rl_keycache {
    entry_t *buckets[BUCKETS];
    size_t n;
    lookup_t *lookups; /* in flight */
} rl_keycache_t;

/* ---- last_used_at buffer (every worker → control thread) ---- */

static pthread_mutex_t uses_mu = PTHREAD_MUTEX_INITIALIZER;
static struct use {
    char id[RL_KEY_ID_LEN + 1];
    int64_t ms;
} * uses;
static size_t n_uses;

static void note_use(entry_t *e, uint64_t now_ms)
{
    if (e->use_noted_ms != 0 && now_ms - e->use_noted_ms < USE_NOTE_MS) return;
    e->use_noted_ms = now_ms;
    pthread_mutex_lock(&uses_mu);
    if (uses == NULL) uses = calloc(MAX_USES, sizeof(*uses));
    if (uses != NULL && n_uses < MAX_USES) { /* beyond that, the next second's note will do */
        memcpy(uses[n_uses].id, e->id, sizeof(e->id));
        uses[n_uses++].ms = (int64_t)now_ms;
    }
    pthread_mutex_unlock(&uses_mu);
}

int rl_auth_apikey_flush_uses(struct rl_store *store)
{
    struct use *batch;
    size_t n;
    rl_err_t err;
    pthread_mutex_lock(&uses_mu);
    batch = uses;
    n = n_uses;
    uses = NULL;
    n_uses = 0;
    pthread_mutex_unlock(&uses_mu);
    if (batch == NULL) return 0;
    const char **ids = calloc(n ? n : 1, sizeof(*ids));
    int64_t *ms = calloc(n ? n : 1, sizeof(*ms));
    int rc = -(int)RL_EINTERNAL;
    if (ids && ms) {
        for (size_t i = 0; i < n; i++)
            ids[i] = batch[i].id, ms[i] = batch[i].ms;
        rc = rl_store_key_touch(store, ids, ms, n, &err);
        if (rc != 0)
            rl_log_warn("api keys: cannot write last_used_at: %s", err.msg);
        else
            rc = (int)n;
    }
    free(ids);
    free(ms);
    free(batch);
    return rc;
}

/* ---- cache ---- */

static unsigned bucket_of(const char *id)
{
    unsigned h = 2166136261u;
    for (int i = 0; i < RL_KEY_ID_LEN; i++)
        h = (h ^ (unsigned char)id[i]) * 16777619u;
    return h % BUCKETS;
}

static entry_t *cache_find(rl_keycache_t *c, const char *id)
{
    for (entry_t *e = c->buckets[bucket_of(id)]; e; e = e->next)
        if (memcmp(e->id, id, RL_KEY_ID_LEN) == 0) return e;
    return NULL;
}

/* Drops stale entries (or, if that is not enough, all of them). */
static void cache_trim(rl_keycache_t *c, uint64_t now_ms, int all)
{
    for (unsigned b = 0; b < BUCKETS; b++) {
        entry_t **pp = &c->buckets[b];
        while (*pp) {
            entry_t *e = *pp;
            if (all || now_ms - e->fetched_ms >= RL_APIKEY_CACHE_TTL_MS) {
                *pp = e->next;
                rl_store_key_row_clear(&e->row);
                free(e);
                c->n--;
            } else {
                pp = &e->next;
            }
        }
    }
}

static entry_t *cache_put(rl_keycache_t *c, const char *id, int found, rl_store_key_row_t *row,
                          uint64_t now_ms)
{
    entry_t *e = cache_find(c, id);
    if (e == NULL) {
        if (c->n >= MAX_ENTRIES) cache_trim(c, now_ms, 0);
        if (c->n >= MAX_ENTRIES) cache_trim(c, now_ms, 1);
        if ((e = calloc(1, sizeof(*e))) == NULL) return NULL;
        memcpy(e->id, id, RL_KEY_ID_LEN);
        unsigned b = bucket_of(id);
        e->next = c->buckets[b];
        c->buckets[b] = e;
        c->n++;
    }
    rl_store_key_row_clear(&e->row);
    e->memo = (rl_key_memo_t){0};
    e->found = found;
    if (found) {
        e->row = *row;
        memset(row, 0, sizeof(*row));
    }
    e->fetched_ms = now_ms;
    return e;
}

/* ---- deciding ---- */

/* Splits a comma list into pool strings. */
static const char *const *split_list(h2o_mem_pool_t *pool, const char *s, size_t *n)
{
    size_t count = 0, len = strlen(s);
    *n = 0;
    if (len == 0) return NULL;
    for (size_t i = 0; i < len; i++)
        count += s[i] == ',';
    const char **v = h2o_mem_alloc_pool(pool, sizeof(*v) * (count + 1));
    char *copy = h2o_mem_alloc_pool(pool, len + 1);
    memcpy(copy, s, len + 1);
    for (char *p = copy, *save = NULL, *tok; (tok = strtok_r(p, ",", &save)) != NULL; p = NULL)
        v[(*n)++] = tok;
    return v;
}

static int decide(rl_request_t *r, entry_t *e, const char *secret, size_t secret_len, uint64_t now_ms)
{
    if (e == NULL || !e->found) return RL_AUTH_BAD;
    if (rl_key_verify_memo(&e->row, &e->memo, secret, secret_len, (int64_t)now_ms) != RL_KEY_VALID)
        return RL_AUTH_BAD;
    h2o_mem_pool_t *pool = &r->req->pool;
    r->consumer = h2o_strdup(pool, e->id, RL_KEY_ID_LEN).base;
    r->scopes = split_list(pool, e->row.scopes, &r->n_scopes);
    r->consumer_allow_ips = split_list(pool, e->row.allow_ips, &r->n_consumer_allow_ips);
    note_use(e, now_ms);
    return RL_AUTH_OK;
}

/* ---- asynchronous lookups ---- */

static void on_ticket_dispose(void *p)
{
    waiter_t *w = *(waiter_t **)p;
    if (w != NULL) w->r = NULL;
}

static void lookup_work(uv_work_t *req)
{
    lookup_t *l = req->data;
    l->rc = rl_store_key_get(l->store, l->id, &l->row, &l->err);
}

static void lookup_done(uv_work_t *req, int status)
{
    lookup_t *l = req->data;
    rl_keycache_t *c = l->cache;
    uint64_t now_ms = rl_wall_ms();
    entry_t *e = NULL;
    for (lookup_t **pp = &c->lookups; *pp; pp = &(*pp)->next)
        if (*pp == l) {
            *pp = l->next;
            break;
        }
    if (status == 0 && (l->rc == 0 || l->rc == -(int)RL_ENOT_FOUND))
        e = cache_put(c, l->id, l->rc == 0, &l->row, now_ms);
    else if (status == 0)
        rl_log_error("api keys: lookup failed: %s", l->err.msg);
    while (l->waiters) {
        waiter_t *w = l->waiters;
        l->waiters = w->next;
        if (w->r != NULL) {
            *w->ticket = NULL;
            rl_request_t *r = w->r;
            w->cb(r, decide(r, e, w->secret, w->secret_len, now_ms));
        }
        free(w);
    }
    rl_store_key_row_clear(&l->row);
    free(l);
}

static int wait_for(rl_keycache_t *c, rl_request_t *r, const char *id, const char *secret, size_t secret_len,
                    rl_auth_done_cb cb)
{
    lookup_t *l = c->lookups;
    while (l && memcmp(l->id, id, RL_KEY_ID_LEN) != 0)
        l = l->next;
    waiter_t *w = calloc(1, sizeof(*w));
    if (w == NULL) return RL_AUTH_BAD;
    if (l == NULL) {
        if ((l = calloc(1, sizeof(*l))) == NULL) {
            free(w);
            return RL_AUTH_BAD;
        }
        l->work.data = l;
        l->cache = c;
        l->store = r->w->server->store;
        memcpy(l->id, id, RL_KEY_ID_LEN);
        if (uv_queue_work(&r->w->loop, &l->work, lookup_work, lookup_done) != 0) {
            free(l);
            free(w);
            return RL_AUTH_BAD;
        }
        l->next = c->lookups;
        c->lookups = l;
    }
    w->r = r;
    w->cb = cb;
    w->secret = secret;
    w->secret_len = secret_len;
    w->ticket = h2o_mem_alloc_shared(&r->req->pool, sizeof(waiter_t *), on_ticket_dispose);
    *w->ticket = w;
    w->next = l->waiters;
    l->waiters = w;
    return RL_AUTH_PENDING;
}

/* The presented key, or NULL: X-API-Key, else Authorization: Bearer rk_…. */
static const char *presented_key(rl_request_t *r, size_t *len)
{
    const h2o_header_t *h = rl_request_header(r->req, H2O_STRLIT("x-api-key"));
    if (h != NULL) {
        *len = h->value.len;
        return h->value.base;
    }
    h = rl_request_header(r->req, H2O_STRLIT("authorization"));
    if (h == NULL || h->value.len < 10 || strncasecmp(h->value.base, "bearer ", 7) != 0) return NULL;
    const char *v = h->value.base + 7;
    size_t n = h->value.len - 7;
    while (n > 0 && *v == ' ')
        v++, n--;
    if (n < 3 || memcmp(v, "rk_", 3) != 0) return NULL;
    *len = n;
    return v;
}

int rl_auth_apikey(rl_request_t *r, uint64_t now_ms, rl_auth_done_cb cb)
{
    size_t len = 0, secret_len;
    const char *key = presented_key(r, &len), *id, *secret;
    if (key == NULL) return RL_AUTH_ABSENT;
    if (rl_key_parse(key, len, &id, &secret, &secret_len) != 0) return RL_AUTH_BAD;
    if (r->w->server->store == NULL) return RL_AUTH_BAD;
    rl_keycache_t *c = r->w->keycache;
    if (c == NULL && (c = r->w->keycache = calloc(1, sizeof(*c))) == NULL) return RL_AUTH_BAD;
    entry_t *e = cache_find(c, id);
    if (e != NULL && now_ms >= e->fetched_ms && now_ms - e->fetched_ms < RL_APIKEY_CACHE_TTL_MS) {
        int v = decide(r, e, secret, secret_len, now_ms);
        /* a refusal older than RECHECK_MS is asked again: a key just created
         * or rotated works within that, not only after the TTL */
        if (v == RL_AUTH_OK || now_ms - e->fetched_ms < RL_APIKEY_RECHECK_MS) return v;
    }
    return wait_for(c, r, id, secret, secret_len, cb);
}
