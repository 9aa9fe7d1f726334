/* jwt_jwks.c — the JWKS refetch rules and the per-worker cache that fetches
 * through the worker's upstream client; see jwt_jwks.h.
 *
 * Requests waiting for a fetch are queued as small records allocated in
 * their own h2o pool with a dispose hook, so a client that goes away while
 * waiting just drops out of the queue. */
#include "policy/jwt_jwks.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"

rl_jwks_decision_t rl_jwks_decide(const rl_jwks_state_t *s, uint64_t now_ms, uint64_t interval_ms)
{
    if (s->fetching) return RL_JWKS_WAIT;
    if (!s->attempted || now_ms >= s->last_fetch + interval_ms) return RL_JWKS_FETCH;
    return RL_JWKS_REFUSE;
}

bool rl_jwks_stale(const rl_jwks_state_t *s, uint64_t now_ms, uint64_t interval_ms)
{
    return !s->fetching && s->loaded_at != 0 && now_ms >= s->loaded_at + RL_JWKS_MAX_AGE_MS &&
           now_ms >= s->last_fetch + interval_ms;
}

void rl_jwks_fetch_started(rl_jwks_state_t *s, uint64_t now_ms)
{
    s->fetching = true;
    s->attempted = true;
    s->last_fetch = now_ms;
}

void rl_jwks_fetch_finished(rl_jwks_state_t *s, bool ok, uint64_t now_ms)
{
    s->fetching = false;
    if (ok) s->loaded_at = now_ms > 0 ? now_ms : 1;
}

/* ---- adapter ---- */

typedef struct waiter {
    struct waiter *next, **pprev; /* pprev NULL = not queued */
    rl_request_t *r;
    rl_jwks_wait_cb cb;
} waiter_t;

struct rl_jwks_cache {
    rl_worker_t *w;
    char *url;
    rl_jwks_state_t st;
    rl_jwt_keyset_t keys;
    rl_xfer_t *xfer;
    int status;
    char *body;
    size_t body_len;
    waiter_t *waiters;
};

static void unlink_waiter(waiter_t *wt)
{
    if (wt->pprev == NULL) return;
    *wt->pprev = wt->next;
    if (wt->next) wt->next->pprev = wt->pprev;
    wt->next = NULL;
    wt->pprev = NULL;
}

static void on_waiter_dispose(void *p)
{
    unlink_waiter(p);
}

static void wake_waiters(rl_jwks_cache_t *c)
{
    waiter_t *wt;
    while ((wt = c->waiters) != NULL) {
        unlink_waiter(wt);
        wt->cb(wt->r);
    }
}

static void reset_fetch(rl_jwks_cache_t *c)
{
    free(c->body);
    c->body = NULL;
    c->body_len = 0;
    c->status = 0;
    c->xfer = NULL;
}

static int on_head(void *ud, int status, const char *reason, size_t reason_len, const rl_hdr_t *hdrs,
                   size_t n)
{
    rl_jwks_cache_t *c = ud;
    c->status = status;
    return status == 200 ? RL_XFER_CONTINUE : RL_XFER_ABORT;
}

static int on_body(void *ud, const char *p, size_t n)
{
    rl_jwks_cache_t *c = ud;
    if (c->body_len + n > RL_JWKS_MAX_BODY) return RL_XFER_ABORT;
    char *b = realloc(c->body, c->body_len + n + 1);
    if (b == NULL) return RL_XFER_ABORT;
    memcpy(b + c->body_len, p, n);
    c->body = b;
    c->body_len += n;
    return RL_XFER_CONTINUE;
}

static bool install_keys(rl_jwks_cache_t *c)
{
    rl_jwt_keyset_t ks;
    size_t skipped = 0;
    char err[128];
    if (rl_jwks_parse(c->body ? c->body : "", c->body_len, &ks, &skipped, err, sizeof(err)) != 0) {
        rl_log_warn("jwt: JWKS from %s refused: %s", c->url, err);
        return false;
    }
    rl_jwt_keyset_free(&c->keys);
    c->keys = ks;
    rl_log_info("jwt: JWKS from %s loaded: %zu keys (%zu skipped)", c->url, ks.n, skipped);
    return true;
}

static void on_done(void *ud, rl_errcode_t code, const char *detail)
{
    rl_jwks_cache_t *c = ud;
    bool ok = false;
    if (code == RL_EOK && c->status == 200)
        ok = install_keys(c);
    else
        rl_log_warn("jwt: JWKS fetch from %s failed: %s (status %d)", c->url, detail ? detail : "error",
                    c->status);
    reset_fetch(c);
    rl_jwks_fetch_finished(&c->st, ok, uv_now(&c->w->loop));
    wake_waiters(c);
}

static void start_fetch(rl_jwks_cache_t *c)
{
    static const rl_xfer_cbs_t cbs = {on_head, on_body, on_done};
    static const rl_hdr_t accept = {"accept", 6, "application/json", 16};
    rl_xfer_req_t req = {.url = c->url,
                         .method = "GET",
                         .method_len = 3,
                         .headers = &accept,
                         .n_headers = 1,
                         .connect_timeout_ms = 5000,
                         .total_timeout_ms = 10000,
                         .may_replay = 1};
    rl_jwks_fetch_started(&c->st, uv_now(&c->w->loop));
    if (rl_xfer_start(c->w->client, &req, &cbs, c, &c->xfer) != 0) {
        rl_log_warn("jwt: cannot start the JWKS fetch from %s", c->url);
        reset_fetch(c);
        rl_jwks_fetch_finished(&c->st, false, uv_now(&c->w->loop));
    }
}

rl_jwks_cache_t *rl_jwks_cache_for(rl_worker_t *w, const char *url)
{
    rl_jwks_cache_t *c = w->jwks;
    if (c == NULL) {
        if ((c = calloc(1, sizeof(*c))) == NULL) abort();
        c->w = w;
        w->jwks = c;
    }
    if (c->url != NULL && strcmp(c->url, url) == 0) return c;
    /* new URL (first use or a reload): forget everything about the old one */
    if (c->xfer) rl_xfer_cancel(c->xfer);
    reset_fetch(c);
    rl_jwt_keyset_free(&c->keys);
    memset(&c->st, 0, sizeof(c->st));
    free(c->url);
    if ((c->url = strdup(url)) == NULL) abort();
    return c;
}

const rl_jwt_keyset_t *rl_jwks_cache_keys(const rl_jwks_cache_t *c)
{
    return &c->keys;
}

bool rl_jwks_cache_wait(rl_jwks_cache_t *c, rl_request_t *r, uint64_t interval_ms, rl_jwks_wait_cb cb)
{
    rl_jwks_decision_t d = rl_jwks_decide(&c->st, uv_now(&c->w->loop), interval_ms);
    if (d == RL_JWKS_REFUSE) return false;
    waiter_t *wt = h2o_mem_alloc_shared(&r->req->pool, sizeof(*wt), on_waiter_dispose);
    *wt = (waiter_t){.next = c->waiters, .pprev = &c->waiters, .r = r, .cb = cb};
    if (c->waiters) c->waiters->pprev = &wt->next;
    c->waiters = wt;
    if (d == RL_JWKS_FETCH) start_fetch(c);
    if (!c->st.fetching) { /* the fetch could not even start: nothing to wait for */
        unlink_waiter(wt);
        return false;
    }
    return true;
}

void rl_jwks_cache_touch(rl_jwks_cache_t *c, uint64_t interval_ms)
{
    if (rl_jwks_stale(&c->st, uv_now(&c->w->loop), interval_ms)) start_fetch(c);
}
