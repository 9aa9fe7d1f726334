/* ratelimit.c — the LIMIT step's rate limits: GCRA (shared/gcra.h) through
 * the shared state (shared/shared.h), one bucket per route × limit ×
 * caller. The caller is the consumer (API key id or JWT sub, tagged with the
 * method so the two name spaces never collide), or the effective client IP
 * for anonymous requests and for `by: ip` limits.
 *
 * All the limits of a route are checked in one rl_shared_gcra_multi call,
 * all or nothing: a request passes when every limit admits it and is then
 * counted by each; a request that one limit rejects is counted by none.
 *
 * Every response of a limited route carries the headers of ratelimit.h: the
 * step adds them, and an error answered before the step (CORS, AUTHN,
 * AUTHZ) gets them from rl_ratelimit_before_error, which peeks at the
 * buckets the request would have used without counting it. A rejection is
 * 429 rate_limited with Retry-After (the longest wait of the limits that
 * rejected) and details.retry_after. A backend failure (rc < 0) fails open:
 * the request passes, with a log line, without headers. */
#include "policy/ratelimit.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/jsonw.h"
#include "core/log.h"
#include "http/envelope.h"
#include "policy/policy.h"

#define KEY_MAX 512

size_t rl_ratelimit_pick(const rl_gcra_result_t *res, size_t n)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++) {
        const rl_gcra_result_t *a = &res[i], *b = &res[best];
        if (a->allowed != b->allowed) {
            if (!a->allowed) best = i; /* a rejection is always the one reported */
            continue;
        }
        if (a->remaining < b->remaining || (a->remaining == b->remaining && a->reset_ms > b->reset_ms))
            best = i;
    }
    return best;
}

uint64_t rl_ratelimit_secs(uint64_t ms, uint64_t min)
{
    uint64_t s = ms / 1000 + (ms % 1000 != 0);
    return s < min ? min : s;
}

/* Decimal, NUL-terminated, into a 24-byte header field. */
static void put_num(char *dst, uint64_t v)
{
    dst[rl_fmt_u64(dst, v)] = '\0';
}

void rl_ratelimit_format(const rl_gcra_result_t *res, const rl_limit_cfg_t *limits, size_t n, uint64_t now_ms,
                         rl_ratelimit_hdrs_t *out)
{
    put_num(out->limit, res->limit);
    put_num(out->remaining, res->remaining);
    put_num(out->reset, rl_ratelimit_secs(res->reset_ms, 0));
    put_num(out->x_reset, rl_ratelimit_secs(now_ms + res->reset_ms, 0));
    out->retry_after[0] = '\0';
    if (!res->allowed) put_num(out->retry_after, rl_ratelimit_secs(res->retry_after_ms, 1));
    /* "100;w=60, 1000;w=3600": each entry takes at most 2 + 20 + 3 + 20 bytes */
    char *o = out->policy, *end = out->policy + sizeof(out->policy) - 48;
    for (size_t i = 0; i < n && o < end; i++) {
        if (i) *o++ = ',', *o++ = ' ';
        o += rl_fmt_u64(o, limits[i].rate.count);
        memcpy(o, ";w=", 3);
        o += 3;
        o += rl_fmt_u64(o, rl_ratelimit_secs(limits[i].rate.period_ms, 1));
    }
    *o = '\0';
}

/* ---- the step ---- */

/* Appends s (n bytes) to key within KEY_MAX - 1 bytes. */
static size_t key_put(char *key, size_t len, const char *s, size_t n)
{
    if (n > KEY_MAX - 1 - len) n = KEY_MAX - 1 - len;
    memcpy(key + len, s, n);
    return len + n;
}

/* "rl:<route>:<limit index>:c<authn method>:<consumer>" or
 * "rl:<route>:<limit index>:ip:<address>", at most KEY_MAX - 1 bytes. */
static size_t caller_key(rl_request_t *r, const rl_limit_cfg_t *l, size_t idx, char *key)
{
    char num[RL_FMT_U64_MAX + 2];
    size_t len = key_put(key, 0, "rl:", 3);
    len = key_put(key, len, r->route->name, strlen(r->route->name));
    num[0] = ':';
    len = key_put(key, len, num, 1 + rl_fmt_u64(num + 1, idx));
    if (l->by == RL_LIMIT_BY_CONSUMER && r->consumer != NULL) {
        num[0] = ':', num[1] = 'c';
        len = key_put(key, len, num, 2 + rl_fmt_u64(num + 2, (unsigned)r->authn_method));
        len = key_put(key, len, ":", 1);
        len = key_put(key, len, r->consumer, strnlen(r->consumer, 400));
    } else {
        char ip[RL_IP_TEXT_MAX];
        len = key_put(key, len, ":ip:", 4);
        size_t n = rl_request_client_ip_effective(r, ip, sizeof(ip));
        len = key_put(key, len, ip, n);
    }
    return len;
}

/* Checks (consume) or peeks at the buckets r uses, one per limit of its
 * route, in one shared-state call; `cb` runs now or later. */
static void check_buckets(rl_request_t *r, uint64_t now_ms, bool consume, rl_gcra_multi_cb cb, void *ud)
{
    const rl_route_cfg_t *route = r->route;
    char keys[RL_GCRA_MULTI_MAX][KEY_MAX];
    rl_gcra_req_t q[RL_GCRA_MULTI_MAX];
    size_t n = route->n_rate_limits; /* at most RL_GCRA_MULTI_MAX (config_ingress.c) */
    for (size_t i = 0; i < n; i++) {
        const rl_limit_cfg_t *l = &route->rate_limits[i];
        size_t len = caller_key(r, l, i, keys[i]);
        q[i] = (rl_gcra_req_t){keys[i], len, l->rate.count, l->rate.period_ms};
    }
    rl_shared_gcra_multi(r->w->shared, q, n, now_ms, consume, cb, ud);
}

/* Adds a header whose name is a literal (not an h2o token) and whose value
 * lives in the request's pool: no copy, no token lookup. */
static void add_pooled(rl_request_t *r, const char *name, size_t name_len, const char *v)
{
    h2o_add_header_by_str(&r->req->pool, &r->req->res.headers, name, name_len, 0, NULL, v, strlen(v));
}

static void add_headers(rl_request_t *r, const rl_gcra_result_t *res, uint64_t now_ms, bool retry_after)
{
    rl_ratelimit_hdrs_t *h = h2o_mem_alloc_pool(&r->req->pool, sizeof(*h));
    rl_ratelimit_format(res, r->route->rate_limits, r->route->n_rate_limits, now_ms, h);
    h2o_vector_reserve(&r->req->pool, &r->req->res.headers, r->req->res.headers.size + 8);
    add_pooled(r, H2O_STRLIT("ratelimit-limit"), h->limit);
    add_pooled(r, H2O_STRLIT("ratelimit-remaining"), h->remaining);
    add_pooled(r, H2O_STRLIT("ratelimit-reset"), h->reset);
    add_pooled(r, H2O_STRLIT("ratelimit-policy"), h->policy);
    add_pooled(r, H2O_STRLIT("x-ratelimit-limit"), h->limit);
    add_pooled(r, H2O_STRLIT("x-ratelimit-remaining"), h->remaining);
    add_pooled(r, H2O_STRLIT("x-ratelimit-reset"), h->x_reset);
    if (retry_after && h->retry_after[0])
        h2o_add_header(&r->req->pool, &r->req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, h->retry_after,
                       strlen(h->retry_after));
}

/* Adds the headers for the n results of a consuming check and answers 429
 * when the request was rejected. Returns true when it answered. */
static bool report(rl_request_t *r, const rl_gcra_result_t *res, size_t n, uint64_t now_ms)
{
    size_t pick = rl_ratelimit_pick(res, n);
    rl_gcra_result_t shown = res[pick];
    if (shown.allowed) {
        add_headers(r, &shown, now_ms, false);
        return false;
    }
    for (size_t i = 0; i < n; i++) /* the request passes once every limit lets it */
        if (!res[i].allowed && res[i].retry_after_ms > shown.retry_after_ms)
            shown.retry_after_ms = res[i].retry_after_ms;
    const rl_limit_cfg_t *l = &r->route->rate_limits[pick];
    char details[96];
    add_headers(r, &shown, now_ms, true);
    snprintf(details, sizeof(details), "{\"retry_after\":%" PRIu64 ",\"limit\":\"%s\"}",
             rl_ratelimit_secs(shown.retry_after_ms, 1), l->text);
    rl_respond_error(r, RL_ERATE_LIMITED, details, "rate limit exceeded: %s", l->text);
    return true;
}

typedef struct rl_limit_call {
    rl_request_t *r;
    uint64_t now_ms;
    bool in_call;  /* inside rl_shared_gcra_multi: the step returns the outcome */
    bool done;     /* the callback ran */
    bool rejected; /* answered 429 */
} rl_limit_call_t;

static void on_limits(void *ud, int rc, const rl_gcra_result_t *res, size_t n)
{
    rl_limit_call_t *c = ud;
    if (rc < 0)
        rl_log_warn("rate limit of route %s not checked (shared state unavailable): request allowed",
                    c->r->route->name);
    else
        c->rejected = report(c->r, res, n, c->now_ms);
    c->done = true;
    if (!c->in_call && !c->rejected) rl_pipeline_resume(c->r);
}

/* Whether r's route has limits that can be checked. */
static bool limited(const rl_request_t *r)
{
    return r->route != NULL && r->route->n_rate_limits > 0 && r->w->shared != NULL;
}

rl_step_t rl_policy_ratelimit(rl_request_t *r)
{
    r->ratelimit_seen = true;
    if (!limited(r)) return RL_STEP_NEXT;
    rl_limit_call_t *c = h2o_mem_alloc_pool(&r->req->pool, sizeof(*c));
    *c = (rl_limit_call_t){.r = r, .now_ms = rl_request_now_ms(r), .in_call = true};
    check_buckets(r, c->now_ms, true, on_limits, c);
    c->in_call = false;
    if (!c->done) return RL_STEP_ASYNC;
    return c->rejected ? RL_STEP_DONE : RL_STEP_NEXT;
}

/* ---- errors answered before the step ---- */

typedef struct rl_early_error {
    rl_request_t *r;
    uint64_t now_ms;
    rl_errcode_t code;
    const char *details, *msg; /* copies in the request pool */
} rl_early_error_t;

static void on_peek(void *ud, int rc, const rl_gcra_result_t *res, size_t n)
{
    rl_early_error_t *e = ud;
    /* No Retry-After: this answer is not a 429 and waiting would not help. */
    if (rc >= 0) add_headers(e->r, &res[rl_ratelimit_pick(res, n)], e->now_ms, false);
    rl_respond_error(e->r, e->code, e->details, "%s", e->msg); /* r->ratelimit_seen: sent now */
}

bool rl_ratelimit_before_error(rl_request_t *r, rl_errcode_t code, const char *details_json, const char *msg)
{
    if (r->ratelimit_seen || !limited(r)) return false;
    r->ratelimit_seen = true;
    h2o_mem_pool_t *pool = &r->req->pool;
    rl_early_error_t *e = h2o_mem_alloc_pool(pool, sizeof(*e));
    *e = (rl_early_error_t){
        .r = r, .now_ms = rl_request_now_ms(r), .code = code, .msg = h2o_strdup(pool, msg, SIZE_MAX).base};
    if (details_json != NULL) e->details = h2o_strdup(pool, details_json, SIZE_MAX).base;
    check_buckets(r, e->now_ms, false, on_peek, e);
    return true;
}
