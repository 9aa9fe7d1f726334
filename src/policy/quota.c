/* quota.c — the LIMIT step's quota: `quota: {limit: 10000/month, by:
 * consumer}` counts requests per route × caller in the current UTC calendar
 * day or month (core/calendar.h). The counter's key names the period
 * ("q:items:c1:key_abc:2026-11"), so a new period starts from zero by
 * itself, and it expires when the period ends.
 *
 * Consumption is one atomic check-and-add in the shared state
 * (rl_shared_quota): with 200 concurrent requests against 50 remaining,
 * exactly 50 pass. A refused request consumes nothing. Exhaustion is 429
 * quota_exceeded with Retry-After = seconds to the period's end. When the
 * shared state fails the quota fails closed: 503 shared_state_unavailable
 * (never an auth error). Every answer of a route with a quota carries
 * X-Quota-Limit, X-Quota-Remaining and X-Quota-Reset (Unix time). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/jsonw.h"
#include "core/calendar.h"
#include "core/log.h"
#include "http/envelope.h"
#include "policy/policy.h"
#include "policy/ratelimit.h"

#define KEY_MAX 512

typedef struct quota_state {
    rl_request_t *r;
    bool in_call, answered_in_call;
    rl_step_t outcome;
    rl_calendar_period_t period;
} quota_state_t;

static void add_num(rl_request_t *r, const char *name, size_t name_len, uint64_t v)
{
    char buf[RL_FMT_U64_MAX];
    rl_request_add_header(r, name, name_len, buf, rl_fmt_u64(buf, v));
}

static void on_quota(void *ud, int rc, const rl_quota_result_t *res)
{
    quota_state_t *st = ud;
    rl_request_t *r = st->r;
    const rl_limit_cfg_t *q = &r->route->quota;
    uint64_t retry = rl_ratelimit_secs(st->period.remaining_ms, 1);
    st->outcome = RL_STEP_DONE;
    if (rc < 0) {
        rl_log_error("quota of route %s not checked (shared state unavailable): request refused",
                     r->route->name);
        rl_request_add_header(r, H2O_STRLIT("retry-after"), "5", 1);
        rl_respond_error(r, RL_ESHARED_STATE_UNAVAILABLE, "{\"retry_after\":5}",
                         "shared state unavailable: quota cannot be checked");
    } else {
        add_num(r, H2O_STRLIT("x-quota-limit"), res->limit);
        add_num(r, H2O_STRLIT("x-quota-remaining"), res->remaining);
        add_num(r, H2O_STRLIT("x-quota-reset"), st->period.end_ms / 1000);
        if (res->allowed) {
            st->outcome = RL_STEP_NEXT;
        } else {
            char details[128];
            add_num(r, H2O_STRLIT("retry-after"), retry);
            snprintf(details, sizeof(details),
                     "{\"retry_after\":%" PRIu64 ",\"limit\":\"%s\",\"reset\":%" PRIu64 "}", retry, q->text,
                     st->period.end_ms / 1000);
            rl_respond_error(r, RL_EQUOTA_EXCEEDED, details, "quota exceeded: %s", q->text);
        }
    }
    if (st->in_call) {
        st->answered_in_call = true;
        return;
    }
    if (st->outcome == RL_STEP_NEXT) rl_pipeline_resume(r);
}

rl_step_t rl_policy_quota(rl_request_t *r)
{
    const rl_limit_cfg_t *q = &r->route->quota;
    if (q->rate.count == 0 || r->w->shared == NULL) return RL_STEP_NEXT;
    uint64_t now_ms = rl_request_now_ms(r);
    quota_state_t *st = h2o_mem_alloc_pool(&r->req->pool, sizeof(*st));
    memset(st, 0, sizeof(*st));
    st->r = r;
    if (rl_calendar_period(q->rate.calendar, now_ms, &st->period) != 0) return RL_STEP_NEXT;
    char key[KEY_MAX], ip[RL_IP_TEXT_MAX];
    int klen;
    if (q->by == RL_LIMIT_BY_CONSUMER && r->consumer != NULL) {
        klen = snprintf(key, sizeof(key), "q:%s:c%u:%.400s:%s", r->route->name, (unsigned)r->authn_method,
                        r->consumer, st->period.key);
    } else {
        rl_request_client_ip_effective(r, ip, sizeof(ip));
        klen = snprintf(key, sizeof(key), "q:%s:ip:%s:%s", r->route->name, ip, st->period.key);
    }
    if (klen < 0 || klen >= KEY_MAX) klen = KEY_MAX - 1;
    st->in_call = true;
    rl_shared_quota(r->w->shared, key, (size_t)klen, q->rate.count, 1, st->period.end_ms, now_ms, on_quota,
                    st);
    st->in_call = false;
    return st->answered_in_call ? st->outcome : RL_STEP_ASYNC;
}
