/* ratelimit.c — the LIMIT step's rate limits: GCRA (shared/gcra.h) through
 * the shared state (shared/shared.h), one bucket per route × limit ×
 * caller. The caller is the consumer (API key id or JWT sub, tagged with the
 * method so the two name spaces never collide), or the effective client IP
 * for anonymous requests and for `by: ip` limits.
 *
 * The limits of a route are checked in order and the first rejection stops
 * the chain: a rejected request consumes nothing from the limit that
 * rejected it nor from those after it, but limits checked before it have
 * counted it (the shared interface has no "check without consuming").
 *
 * Every response of a limited route carries the headers of ratelimit.h; a
 * rejection is 429 rate_limited with Retry-After and details.retry_after.
 * A backend failure (rc < 0) fails open: the request passes, with a log
 * line, without headers for that limit. */
#include "policy/ratelimit.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "http/envelope.h"
#include "policy/policy.h"

#define KEY_MAX 512
#define MAX_LIMITS 16

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

void rl_ratelimit_format(const rl_gcra_result_t *res, const rl_limit_cfg_t *limits, size_t n, uint64_t now_ms,
                         rl_ratelimit_hdrs_t *out)
{
    uint64_t reset = rl_ratelimit_secs(res->reset_ms, 0);
    snprintf(out->limit, sizeof(out->limit), "%" PRIu64, res->limit);
    snprintf(out->remaining, sizeof(out->remaining), "%" PRIu64, res->remaining);
    snprintf(out->reset, sizeof(out->reset), "%" PRIu64, reset);
    snprintf(out->x_reset, sizeof(out->x_reset), "%" PRIu64, rl_ratelimit_secs(now_ms + res->reset_ms, 0));
    out->retry_after[0] = '\0';
    if (!res->allowed)
        snprintf(out->retry_after, sizeof(out->retry_after), "%" PRIu64,
                 rl_ratelimit_secs(res->retry_after_ms, 1));
    size_t len = 0;
    out->policy[0] = '\0';
    for (size_t i = 0; i < n && len < sizeof(out->policy) - 48; i++)
        len += (size_t)snprintf(out->policy + len, sizeof(out->policy) - len, "%s%" PRIu64 ";w=%" PRIu64,
                                i ? ", " : "", limits[i].rate.count,
                                rl_ratelimit_secs(limits[i].rate.period_ms, 1));
}

/* ---- the step ---- */

typedef struct rl_state {
    rl_request_t *r;
    size_t next, n_ok; /* next limit to check; results collected */
    bool sync, in_call, done_in_call;
    uint64_t now_ms;
    rl_gcra_result_t res[MAX_LIMITS];
    size_t res_limit[MAX_LIMITS]; /* which limit each result is for */
} rl_state_t;

static size_t caller_key(rl_request_t *r, const rl_limit_cfg_t *l, size_t idx, char *key)
{
    int n;
    if (l->by == RL_LIMIT_BY_CONSUMER && r->consumer != NULL)
        n = snprintf(key, KEY_MAX, "rl:%s:%zu:c%u:%.400s", r->route->name, idx, (unsigned)r->authn_method,
                     r->consumer);
    else {
        char ip[RL_IP_TEXT_MAX];
        rl_request_client_ip_effective(r, ip, sizeof(ip));
        n = snprintf(key, KEY_MAX, "rl:%s:%zu:ip:%s", r->route->name, idx, ip);
    }
    return n < 0 || n >= KEY_MAX ? KEY_MAX - 1 : (size_t)n;
}

static void add_headers(rl_state_t *st, const rl_gcra_result_t *res)
{
    rl_request_t *r = st->r;
    rl_ratelimit_hdrs_t h = {0};
    rl_ratelimit_format(res, r->route->rate_limits, r->route->n_rate_limits, st->now_ms, &h);
    rl_request_add_header(r, H2O_STRLIT("ratelimit-limit"), h.limit, strlen(h.limit));
    rl_request_add_header(r, H2O_STRLIT("ratelimit-remaining"), h.remaining, strlen(h.remaining));
    rl_request_add_header(r, H2O_STRLIT("ratelimit-reset"), h.reset, strlen(h.reset));
    rl_request_add_header(r, H2O_STRLIT("ratelimit-policy"), h.policy, strlen(h.policy));
    rl_request_add_header(r, H2O_STRLIT("x-ratelimit-limit"), h.limit, strlen(h.limit));
    rl_request_add_header(r, H2O_STRLIT("x-ratelimit-remaining"), h.remaining, strlen(h.remaining));
    rl_request_add_header(r, H2O_STRLIT("x-ratelimit-reset"), h.x_reset, strlen(h.x_reset));
    if (h.retry_after[0])
        rl_request_add_header(r, H2O_STRLIT("retry-after"), h.retry_after, strlen(h.retry_after));
}

static void reject(rl_state_t *st, const rl_gcra_result_t *res, const rl_limit_cfg_t *l)
{
    char details[96];
    add_headers(st, res);
    snprintf(details, sizeof(details), "{\"retry_after\":%" PRIu64 ",\"limit\":\"%s\"}",
             rl_ratelimit_secs(res->retry_after_ms, 1), l->text);
    rl_respond_error(st->r, RL_ERATE_LIMITED, details, "rate limit exceeded: %s", l->text);
}

static void check_next(rl_state_t *st);

static void on_gcra(void *ud, int rc, const rl_gcra_result_t *res)
{
    rl_state_t *st = ud;
    const rl_route_cfg_t *route = st->r->route;
    size_t idx = st->next++;
    if (rc < 0) {
        rl_log_warn("rate limit of route %s not checked (shared state unavailable): request allowed",
                    route->name);
    } else if (!res->allowed) {
        reject(st, res, &route->rate_limits[idx]);
        st->next = SIZE_MAX; /* answered */
    } else if (st->n_ok < MAX_LIMITS) {
        st->res[st->n_ok] = *res;
        st->res_limit[st->n_ok++] = idx;
    }
    if (st->in_call) {
        st->done_in_call = true; /* the loop in check_next carries on */
        return;
    }
    check_next(st);
}

/* Checks limits until one goes asynchronous or all are done. When called
 * from the step (st->sync), it leaves the outcome for the step to return. */
static void check_next(rl_state_t *st)
{
    rl_request_t *r = st->r;
    const rl_route_cfg_t *route = r->route;
    while (st->next < route->n_rate_limits && st->next < MAX_LIMITS) {
        const rl_limit_cfg_t *l = &route->rate_limits[st->next];
        char key[KEY_MAX];
        size_t klen = caller_key(r, l, st->next, key);
        st->in_call = true;
        st->done_in_call = false;
        rl_shared_gcra(r->w->shared, key, klen, l->rate.count, l->rate.period_ms, st->now_ms, on_gcra, st);
        st->in_call = false;
        if (!st->done_in_call) {
            st->sync = false; /* the callback will call us again */
            return;
        }
    }
    if (st->next == SIZE_MAX) return; /* rejected and answered */
    if (st->n_ok > 0) add_headers(st, &st->res[rl_ratelimit_pick(st->res, st->n_ok)]);
    if (!st->sync) rl_pipeline_resume(r);
}

rl_step_t rl_policy_ratelimit(rl_request_t *r)
{
    if (r->route->n_rate_limits == 0 || r->w->shared == NULL) return RL_STEP_NEXT;
    rl_state_t *st = h2o_mem_alloc_pool(&r->req->pool, sizeof(*st));
    memset(st, 0, sizeof(*st));
    st->r = r;
    st->sync = true;
    const struct timeval *tv = &r->req->processed_at.at;
    st->now_ms = (uint64_t)tv->tv_sec * 1000 + (uint64_t)tv->tv_usec / 1000;
    check_next(st);
    if (!st->sync) return RL_STEP_ASYNC;
    return st->next == SIZE_MAX ? RL_STEP_DONE : RL_STEP_NEXT;
}
