/* chain.c — the UPSTREAM step, see chain.h. */
#include "upstream/chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/calendar.h"
#include "core/jsonw.h"
#include "http/envelope.h"
#include "http/proxy.h"
#include "metrics/metrics.h"
#include "policy/policy.h"
#include "upstream/backoff.h"
#include "upstream/mock_attempt.h"
#include "upstream/oauth2_pool.h"
#include "upstream/provider_state.h"
#include "upstream/retry_after.h"

/* What happened at one target, for X-Relais-* and all_providers_failed. */
typedef enum what {
    NOT_TRIED = 0,
    OK,
    CONNECT,
    TIMEOUT,
    STATUS, /* answered with a failing status (5xx, 429) */
    CIRCUIT_OPEN,
    RATE_LIMITED,
    QUOTA_EXCEEDED,
} what_t;

/* As in error.details.providers[].outcome. */
static const char *const what_names[] = {"not_tried", "ok",           "connect",      "timeout",
                                         "status",    "circuit_open", "rate_limited", "quota_exceeded"};

typedef struct outcome {
    what_t what;
    int status; /* for STATUS (and OK) */
    unsigned tries;
    uint64_t retry_after_ms; /* when the provider or relais said when to come back */
} outcome_t;

struct rl_chain {
    rl_request_t *r;   /* NULL once the request is gone */
    unsigned target;   /* the target being tried */
    unsigned attempts; /* network attempts in all */
    rl_pstate_t *ps;
    rl_breaker_verdict_t verdict;
    bool has_verdict; /* an allowed attempt whose outcome the breaker awaits */
    uint64_t attempt_start_ms;
    int64_t retry_after_ms; /* of the refused answer, -1 = none */
    uv_timer_t timer;
    bool timer_init, committed;
    bool mock;               /* the current target answers from its mock fixtures */
    uint64_t quota_reset_ms; /* until the current target's quota period ends */
    /* oauth2_client_credentials: the token source, a queued wait for a
     * token, the generation of the token sent, and the one retry on 401 */
    rl_oauth2_t *oauth;
    rl_oauth2_waiter_t waiter;
    uint64_t token_gen;
    bool waiting_token, token_retried;
    outcome_t *outcomes;
};

static void try_target(rl_chain_t *ch);

static const rl_provider_cfg_t *cur_provider(const rl_chain_t *ch)
{
    return ch->r->snap->route_targets[ch->r->route_index][ch->target];
}

static unsigned n_targets(const rl_chain_t *ch)
{
    return (unsigned)ch->r->route->n_targets;
}

static void chain_free(rl_chain_t *ch)
{
    free(ch->outcomes);
    free(ch);
}

static void on_timer_closed(uv_handle_t *h)
{
    chain_free(h->data);
}

void rl_chain_detach(rl_chain_t *ch)
{
    ch->r = NULL;
    if (ch->waiting_token) rl_oauth2_cancel(ch->oauth, &ch->waiter);
    if (ch->has_verdict) rl_breaker_abandon(ch->ps->breaker, &ch->verdict);
    if (ch->timer_init)
        uv_close((uv_handle_t *)&ch->timer, on_timer_closed);
    else
        chain_free(ch);
}

/* ---- answers ---- */

static void add_uint_header(rl_request_t *r, const char *name, size_t name_len, uint64_t v)
{
    char buf[RL_FMT_U64_MAX];
    rl_request_add_header(r, name, name_len, buf, rl_fmt_u64(buf, v));
}

void rl_chain_add_headers(rl_request_t *r)
{
    rl_chain_t *ch = r->chain;
    if (r->provider)
        rl_request_add_header(r, H2O_STRLIT("x-relais-provider"), r->provider->name,
                              strlen(r->provider->name));
    if (ch) add_uint_header(r, H2O_STRLIT("x-relais-attempts"), ch->attempts);
}

static void add_retry_after(rl_request_t *r, uint64_t ms)
{
    char buf[RL_RETRY_AFTER_BUFSZ];
    size_t n = rl_retry_after_format(buf, ms);
    rl_request_add_header(r, H2O_STRLIT("retry-after"), buf, n);
}

/* {"providers":[{"provider":"a","outcome":"connect","attempts":2},…]} */
static char *details_json(rl_chain_t *ch, uint64_t *min_retry_ms)
{
    rl_request_t *r = ch->r;
    size_t cap = 64 + n_targets(ch) * 200, len = 0;
    char *out = h2o_mem_alloc_pool(&r->req->pool, cap);
    *min_retry_ms = 0;
    len += (size_t)snprintf(out + len, cap - len, "{\"providers\":[");
    for (unsigned i = 0; i < n_targets(ch); i++) {
        const outcome_t *o = &ch->outcomes[i];
        const rl_provider_cfg_t *p = r->snap->route_targets[r->route_index][i];
        len += (size_t)snprintf(out + len, cap - len,
                                "%s{\"provider\":\"%s\",\"outcome\":\"%s\",\"attempts\":%u", i ? "," : "",
                                p->name, what_names[o->what], o->tries);
        if (o->status) len += (size_t)snprintf(out + len, cap - len, ",\"status\":%d", o->status);
        if (o->retry_after_ms) {
            len += (size_t)snprintf(out + len, cap - len, ",\"retry_after\":%llu",
                                    (unsigned long long)rl_retry_after_seconds(o->retry_after_ms));
            if (*min_retry_ms == 0 || o->retry_after_ms < *min_retry_ms) *min_retry_ms = o->retry_after_ms;
        }
        len += (size_t)snprintf(out + len, cap - len, "}");
    }
    snprintf(out + len, cap - len, "]}");
    return out;
}

/* No target is left: answer from what happened. */
static void answer_failure(rl_chain_t *ch)
{
    rl_request_t *r = ch->r;
    add_uint_header(r, H2O_STRLIT("x-relais-attempts"), ch->attempts);
    if (n_targets(ch) > 1) {
        uint64_t retry_ms;
        char *details = details_json(ch, &retry_ms);
        if (retry_ms) add_retry_after(r, retry_ms);
        rl_respond_error(r, RL_EALL_PROVIDERS_FAILED, details, "all %u providers of route '%s' failed",
                         n_targets(ch), r->route->name);
        return;
    }
    const outcome_t *o = &ch->outcomes[0];
    const char *name = r->snap->route_targets[r->route_index][0]->name;
    char details[96];
    snprintf(details, sizeof(details), "{\"provider\":\"%s\",\"retry_after\":%llu}", name,
             (unsigned long long)rl_retry_after_seconds(o->retry_after_ms));
    switch (o->what) {
    case CIRCUIT_OPEN:
        add_retry_after(r, o->retry_after_ms);
        rl_respond_error(r, RL_ECIRCUIT_OPEN, details,
                         "provider '%s' is failing; its circuit breaker is open", name);
        break;
    case RATE_LIMITED:
        add_retry_after(r, o->retry_after_ms);
        rl_respond_error(r, RL_ERATE_LIMITED, details, "outbound rate limit of provider '%s' exceeded", name);
        break;
    case QUOTA_EXCEEDED:
        add_retry_after(r, o->retry_after_ms);
        rl_respond_error(r, RL_EQUOTA_EXCEEDED, details, "quota of provider '%s' is exhausted", name);
        break;
    case TIMEOUT:
        rl_respond_error(r, RL_EUPSTREAM_TIMEOUT, NULL, "provider '%s' did not answer in time", name);
        break;
    default:
        rl_respond_error(r, RL_EUPSTREAM_ERROR, NULL, "provider '%s' could not be reached", name);
        break;
    }
}

/* ---- moving on ---- */

static void next_target(rl_chain_t *ch)
{
    if (ch->target + 1 < n_targets(ch)) rl_metrics_fallback(ch->r->route->name, cur_provider(ch)->name);
    ch->target++;
    if (ch->target >= n_targets(ch)) {
        answer_failure(ch);
        return;
    }
    try_target(ch);
}

/* The target is passed over without a network attempt: `what` is
 * CIRCUIT_OPEN, RATE_LIMITED or QUOTA_EXCEEDED. */
static void skip(rl_chain_t *ch, what_t what, uint64_t retry_after_ms)
{
    const char *name = cur_provider(ch)->name, *route = ch->r->route->name;
    if (what == CIRCUIT_OPEN) {
        rl_metrics_upstream(name, RL_METRICS_OUTCOME_CIRCUIT_OPEN, -1);
    } else if (what == RATE_LIMITED) {
        rl_metrics_upstream(name, RL_METRICS_OUTCOME_RATE_LIMITED, -1);
        rl_metrics_rate_limited(route, RL_METRICS_OUTBOUND);
    } else {
        rl_metrics_upstream(name, RL_METRICS_OUTCOME_QUOTA_EXCEEDED, -1);
        rl_metrics_quota_exceeded(route, RL_METRICS_OUTBOUND);
    }
    outcome_t *o = &ch->outcomes[ch->target];
    o->what = what;
    o->retry_after_ms = retry_after_ms;
    next_target(ch);
}

static void on_backoff(uv_timer_t *t)
{
    rl_chain_t *ch = t->data;
    if (ch->r == NULL) return;
    try_target(ch);
}

static bool retry_on(const rl_retry_cfg_t *rc, rl_errcode_t code, int status)
{
    if (status) {
        for (size_t i = 0; i < rc->n_statuses; i++)
            if (rc->statuses[i] == status) return true;
        return false;
    }
    return (code == RL_EUPSTREAM_TIMEOUT ? RL_RETRY_ON_TIMEOUT : RL_RETRY_ON_CONNECT) & rc->on;
}

/* May the current target be tried again after this failure? */
static bool can_retry(const rl_chain_t *ch, rl_errcode_t code, int status)
{
    const rl_provider_cfg_t *p = cur_provider(ch);
    return ch->outcomes[ch->target].tries < p->retry.attempts && retry_on(&p->retry, code, status) &&
           rl_proxy_may_replay(ch->r->req);
}

/* … and within the wait the provider asked for, if it did? */
static bool will_retry(const rl_chain_t *ch, rl_errcode_t code, int status)
{
    return can_retry(ch, code, status) &&
           (ch->retry_after_ms < 0 || (uint64_t)ch->retry_after_ms <= cur_provider(ch)->retry.max_ms);
}

/* ---- one target ---- */

static const char *attempt_tmpl(const rl_chain_t *ch)
{
    const rl_route_cfg_t *route = ch->r->route;
    const rl_target_cfg_t *t = &route->targets[ch->target];
    return t->path ? t->path : route->upstream_path;
}

static void send_with_token(rl_chain_t *ch, const char *token, size_t len, uint64_t gen)
{
    rl_request_t *r = ch->r;
    r->outbound_token = h2o_strdup(&r->req->pool, token, len).base;
    ch->token_gen = gen;
    rl_proxy_start(r, cur_provider(ch), attempt_tmpl(ch), &r->match);
}

static void on_token(rl_oauth2_waiter_t *w, int rc, const char *token, size_t len, uint64_t gen)
{
    rl_chain_t *ch = w->ud;
    ch->waiting_token = false;
    if (rc < 0) {
        rl_chain_attempt_failed(ch->r, RL_EUPSTREAM_ERROR, 0, "no access token from the token endpoint");
        return;
    }
    send_with_token(ch, token, len, gen);
}

/* oauth2_client_credentials: an access token first (cached per worker). */
static void with_token(rl_chain_t *ch)
{
    const char *token;
    size_t len;
    uint64_t gen;
    ch->oauth = rl_oauth2_for(ch->r->w, cur_provider(ch));
    int rc = ch->oauth ? rl_oauth2_get(ch->oauth, &ch->waiter, on_token, ch, &token, &len, &gen) : -1;
    if (rc == 1) {
        send_with_token(ch, token, len, gen);
    } else if (rc == 0) {
        ch->waiting_token = true;
    } else {
        rl_chain_attempt_failed(ch->r, RL_EUPSTREAM_ERROR, 0, "no access token from the token endpoint");
    }
}

static void start_attempt(rl_chain_t *ch)
{
    rl_request_t *r = ch->r;
    ch->outcomes[ch->target].tries++;
    ch->attempts++;
    ch->retry_after_ms = -1;
    ch->attempt_start_ms = rl_mono_ms();
    const char *tmpl = attempt_tmpl(ch);
    const rl_provider_cfg_t *p = cur_provider(ch);
    if (ch->mock) {
        h2o_iovec_t path = rl_proxy_path(r, tmpl, &r->match);
        if (path.base == NULL) {
            rl_respond_error(r, RL_EINTERNAL, NULL, "upstream path too long");
            return;
        }
        rl_mock_fault_cfg_t fault = {p->mock.latency_ms, p->mock.error_rate, p->mock.seed};
        uint64_t counter = atomic_fetch_add_explicit(&ch->ps->mock_counter, 1, memory_order_relaxed);
        rl_mock_attempt_start(r, p->mocks, &fault, counter, path.base, path.len);
        return;
    }
    if (p->auth.type == RL_AUTH_OAUTH2_CC) {
        with_token(ch);
        return;
    }
    rl_proxy_start(r, p, tmpl, &r->match);
}

static void after_limits(rl_chain_t *ch, int stage);

static void on_gcra(void *ud, int rc, const rl_gcra_result_t *res)
{
    rl_chain_t *ch = ud;
    if (rc >= 0 && !res->allowed) {
        skip(ch, RATE_LIMITED, res->retry_after_ms);
        return;
    }
    after_limits(ch, 1);
}

static void on_quota(void *ud, int rc, const rl_quota_result_t *res)
{
    rl_chain_t *ch = ud;
    if (rc < 0 || !res->allowed) {
        skip(ch, QUOTA_EXCEEDED, ch->quota_reset_ms);
        return;
    }
    after_limits(ch, 2);
}

/* The provider's own limits, in order: rate limit (stage 0), quota (1), then
 * the attempt (2). A shared-state failure lets rate limits pass (fail open)
 * and quotas fail (closed), DESIGN §7. */
static void after_limits(rl_chain_t *ch, int stage)
{
    const rl_provider_cfg_t *p = cur_provider(ch);
    rl_shared_t *sh = ch->r->w->shared;
    char key[160];
    if (ch->mock) stage = 2; /* mocks spend no provider budget */
    if (stage == 0 && p->rate_limit.count && sh) {
        int n = snprintf(key, sizeof(key), "out:rl:%s", p->name);
        rl_shared_gcra(sh, key, (size_t)n, p->rate_limit.count, p->rate_limit.period_ms, rl_wall_ms(),
                       on_gcra, ch);
        return;
    }
    rl_calendar_period_t per;
    uint64_t now = rl_wall_ms();
    size_t klen = stage <= 1 && sh ? rl_pstate_quota_key(p, now, key, sizeof(key), &per) : 0;
    if (klen) {
        ch->quota_reset_ms = per.remaining_ms;
        rl_shared_quota(sh, key, klen, p->quota.count, 1, per.end_ms, now, on_quota, ch);
        return;
    }
    start_attempt(ch);
}

static void try_target(rl_chain_t *ch)
{
    rl_request_t *r = ch->r;
    const rl_provider_cfg_t *p = cur_provider(ch);
    size_t idx = (size_t)(p - r->snap->cfg->providers);
    r->provider = p;
    ch->ps = r->snap->providers[idx].ps;
    ch->mock = rl_snapshot_provider_mode(r->snap, idx) == RL_MODE_MOCK;
    ch->has_verdict = false;
    /* The breaker tracks the real provider: a mock neither waits for it
     * (switching to mock during an outage answers at once) nor feeds it
     * (injected faults leave nothing behind for the switch back to real). */
    if (ch->ps->breaker && !ch->mock) {
        uint64_t now = rl_mono_ms();
        bool allowed = rl_breaker_allow(ch->ps->breaker, now, &ch->verdict);
        if (ch->verdict.probe) rl_metrics_breaker_transition(p->name, RL_METRICS_BREAKER_HALF_OPEN);
        if (!allowed) {
            skip(ch, CIRCUIT_OPEN, ch->verdict.retry_after_ms);
            return;
        }
        ch->has_verdict = true;
    }
    after_limits(ch, 0);
}

static rl_metrics_breaker_t metric_state(rl_breaker_state_t s)
{
    return s == RL_BREAKER_OPEN        ? RL_METRICS_BREAKER_OPEN
           : s == RL_BREAKER_HALF_OPEN ? RL_METRICS_BREAKER_HALF_OPEN
                                       : RL_METRICS_BREAKER_CLOSED;
}

/* Records an attempt's outcome in the provider's breaker and samples, and
 * counts it: `what` is the metrics outcome. */
static void breaker_record(rl_chain_t *ch, bool ok, rl_metrics_outcome_t what)
{
    uint64_t now = rl_mono_ms();
    uint32_t ms = (uint32_t)(now - ch->attempt_start_ms);
    rl_pstate_sample(ch->ps, ms, ok);
    rl_metrics_upstream(cur_provider(ch)->name, what, ms / 1000.0);
    if (!ch->has_verdict) return;
    /* only a failure or a probe's outcome can move the breaker: the common
     * success costs one lock, not three */
    bool may_move = !ok || ch->verdict.probe;
    rl_breaker_state_t before = may_move ? rl_breaker_state(ch->ps->breaker, now) : RL_BREAKER_CLOSED;
    rl_breaker_record(ch->ps->breaker, &ch->verdict, now, ok);
    ch->has_verdict = false;
    if (!may_move) return;
    rl_breaker_state_t after = rl_breaker_state(ch->ps->breaker, now);
    if (after != before) rl_metrics_breaker_transition(cur_provider(ch)->name, metric_state(after));
}

static rl_metrics_outcome_t status_outcome(int status)
{
    return status >= 500   ? RL_METRICS_OUTCOME_HTTP_5XX
           : status >= 400 ? RL_METRICS_OUTCOME_HTTP_4XX
                           : RL_METRICS_OUTCOME_OK;
}

/* ---- attempt callbacks (proxy.c, mock) ---- */

int rl_chain_attempt_head(rl_request_t *r, int status, const rl_hdr_t *hdrs, size_t n)
{
    rl_chain_t *ch = r->chain;
    if (status == 401 && ch->oauth && !ch->token_retried) return 0; /* once more with a fresh token */
    if (status < 500 && status != 429) goto commit;
    for (size_t i = 0; i < n; i++)
        if (hdrs[i].name_len == 11 && strncasecmp(hdrs[i].name, "retry-after", 11) == 0)
            ch->retry_after_ms = rl_retry_after_parse(hdrs[i].value, hdrs[i].value_len, rl_wall_ms());
    /* Alone, a target's last answer goes to the client as it is. */
    if (n_targets(ch) == 1 && !will_retry(ch, RL_EUPSTREAM_ERROR, status)) goto commit;
    return 0;
commit:
    ch->committed = true;
    ch->outcomes[ch->target].what = OK;
    ch->outcomes[ch->target].status = status;
    return 1;
}

void rl_chain_attempt_failed(rl_request_t *r, rl_errcode_t code, int status, const char *detail)
{
    rl_chain_t *ch = r->chain;
    const rl_provider_cfg_t *p = cur_provider(ch);
    outcome_t *o = &ch->outcomes[ch->target];
    if (status == 401 && ch->oauth && !ch->token_retried) {
        ch->token_retried = true;
        if (ch->has_verdict) rl_breaker_abandon(ch->ps->breaker, &ch->verdict);
        ch->has_verdict = false;
        rl_oauth2_invalidate(ch->oauth, ch->token_gen);
        start_attempt(ch);
        return;
    }
    /* a 429 is the provider working as meant: not a breaker failure */
    breaker_record(ch, status == 429,
                   status                         ? status_outcome(status)
                   : code == RL_EUPSTREAM_TIMEOUT ? RL_METRICS_OUTCOME_TIMEOUT
                                                  : RL_METRICS_OUTCOME_CONNECT);
    o->what = status ? STATUS : code == RL_EUPSTREAM_TIMEOUT ? TIMEOUT : CONNECT;
    o->status = status;
    if (ch->retry_after_ms > 0) o->retry_after_ms = (uint64_t)ch->retry_after_ms;
    rl_log_debug("provider %s attempt %u failed: %s", p->name, o->tries, detail);
    if (!will_retry(ch, code, status)) {
        next_target(ch);
        return;
    }
    rl_metrics_retry(p->name);
    uint64_t delay = rl_backoff_delay_ms(p->retry.base_ms, p->retry.max_ms, o->tries, rl_rng_next(&r->w->rng),
                                         ch->retry_after_ms);
    if (!ch->timer_init) {
        uv_timer_init(&r->w->loop, &ch->timer);
        ch->timer.data = ch;
        ch->timer_init = true;
    }
    uv_timer_start(&ch->timer, on_backoff, delay, 0);
}

void rl_chain_attempt_done(rl_request_t *r, bool ok)
{
    rl_chain_t *ch = r->chain;
    int status = ch->outcomes[ch->target].status;
    breaker_record(ch, ok && status < 500,
                   !ok       ? RL_METRICS_OUTCOME_CONNECT
                   : r->mock ? RL_METRICS_OUTCOME_MOCK
                             : status_outcome(status));
}

rl_step_t rl_policy_upstream(rl_request_t *r)
{
    rl_chain_t *ch = calloc(1, sizeof(*ch));
    outcome_t *o = calloc(r->route->n_targets, sizeof(*o));
    if (ch == NULL || o == NULL) {
        free(ch);
        free(o);
        rl_respond_error(r, RL_EINTERNAL, NULL, "out of memory");
        return RL_STEP_DONE;
    }
    ch->r = r;
    ch->outcomes = o;
    r->chain = ch;
    try_target(ch);
    return RL_STEP_DONE;
}
