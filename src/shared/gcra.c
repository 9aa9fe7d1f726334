/* gcra.c — GCRA rate-limit check; see gcra.h. */
#include "shared/gcra.h"

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
    return b != 0 && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t us_to_ms_ceil(uint64_t us)
{
    return us / 1000 + (us % 1000 != 0);
}

bool rl_gcra_is_idle(uint64_t tat_us, uint64_t now_ms)
{
    return tat_us <= mul_sat(now_ms, 1000);
}

/* One evaluation: rl_gcra_check when `consume`, else rl_gcra_peek. */
static bool evaluate(uint64_t limit, uint64_t period_ms, uint64_t now_ms, uint64_t *tat_us, bool consume,
                     rl_gcra_result_t *res)
{
    *res = (rl_gcra_result_t){.limit = limit};
    if (limit == 0) {
        res->retry_after_ms = period_ms;
        return false;
    }
    if (period_ms == 0) {
        res->allowed = true;
        res->remaining = limit;
        return true;
    }
    const uint64_t period_us = mul_sat(period_ms, 1000);
    const uint64_t t = period_us / limit + (period_us % limit != 0); /* rounded up: never over-admit */
    const uint64_t tau = mul_sat(t, limit - 1);
    const uint64_t now = mul_sat(now_ms, 1000);
    const uint64_t tat = *tat_us > now ? *tat_us : now;
    if (tat - now > tau) {
        res->retry_after_ms = us_to_ms_ceil(tat - now - tau);
        res->reset_ms = us_to_ms_ceil(tat - now);
        return false;
    }
    /* The requests that fit in the gap tau + t - (TAT - now): after an
     * admission TAT has moved on by t, so one fewer. */
    const uint64_t end = consume ? add_sat(tat, t) : tat;
    if (consume) *tat_us = end;
    res->allowed = true;
    res->remaining = (add_sat(tau, t) - (end - now)) / t;
    res->reset_ms = us_to_ms_ceil(end - now);
    return true;
}

bool rl_gcra_check(uint64_t limit, uint64_t period_ms, uint64_t now_ms, uint64_t *tat_us,
                   rl_gcra_result_t *res)
{
    return evaluate(limit, period_ms, now_ms, tat_us, true, res);
}

bool rl_gcra_peek(uint64_t limit, uint64_t period_ms, uint64_t now_ms, uint64_t tat_us, rl_gcra_result_t *res)
{
    return evaluate(limit, period_ms, now_ms, &tat_us, false, res);
}
