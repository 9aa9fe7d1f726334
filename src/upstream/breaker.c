/* breaker.c — the circuit breaker state machine; see breaker.h. Each public
 * function locks, runs one of the static functions below (pure, on the
 * struct), and unlocks. */
#include <stdlib.h>

#include "upstream/breaker.h"

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* a - b, or 0 when another thread's clock read put b after a. */
static uint64_t sub_sat(uint64_t a, uint64_t b)
{
    return a > b ? a - b : 0;
}

int rl_breaker_init(rl_breaker_t *b, uint32_t threshold, uint64_t window_ms, uint64_t cooldown_ms)
{
    if (threshold == 0) return -1;
    *b = (rl_breaker_t){.threshold = threshold, .window_ms = window_ms, .cooldown_ms = cooldown_ms};
    b->fail_at = calloc(threshold, sizeof(*b->fail_at));
    if (b->fail_at == NULL) return -1;
    if (pthread_mutex_init(&b->mu, NULL) != 0) {
        free(b->fail_at);
        b->fail_at = NULL;
        return -1;
    }
    return 0;
}

void rl_breaker_destroy(rl_breaker_t *b)
{
    pthread_mutex_destroy(&b->mu);
    free(b->fail_at);
    b->fail_at = NULL;
}

static void trip(rl_breaker_t *b, uint64_t now_ms)
{
    b->open = true;
    b->opened_at = now_ms;
    b->probing = false;
}

static void close_breaker(rl_breaker_t *b)
{
    b->open = false;
    b->probing = false;
    b->fail_n = 0;
    b->fail_next = 0;
}

static rl_breaker_state_t state_at(const rl_breaker_t *b, uint64_t now_ms)
{
    if (!b->open) return RL_BREAKER_CLOSED;
    return now_ms < add_sat(b->opened_at, b->cooldown_ms) ? RL_BREAKER_OPEN : RL_BREAKER_HALF_OPEN;
}

static void allow_locked(rl_breaker_t *b, uint64_t now_ms, rl_breaker_verdict_t *v)
{
    *v = (rl_breaker_verdict_t){.allowed = true};
    switch (state_at(b, now_ms)) {
    case RL_BREAKER_CLOSED:
        return;
    case RL_BREAKER_OPEN:
        v->allowed = false;
        v->retry_after_ms = add_sat(b->opened_at, b->cooldown_ms) - now_ms;
        return;
    case RL_BREAKER_HALF_OPEN:
        break;
    }
    uint64_t probe_lost_at = add_sat(b->probe_at, b->cooldown_ms);
    if (b->probing && now_ms < probe_lost_at) {
        v->allowed = false;
        v->retry_after_ms = probe_lost_at - now_ms;
        return;
    }
    b->probing = true;
    b->probe_at = now_ms;
    v->probe = true;
    v->probe_gen = ++b->probe_gen;
}

/* True when `v` is the probe that is out now (not one presumed lost). */
static bool is_current_probe(const rl_breaker_t *b, const rl_breaker_verdict_t *v)
{
    return v->allowed && v->probe && b->open && b->probing && v->probe_gen == b->probe_gen;
}

static void record_failure(rl_breaker_t *b, uint64_t now_ms)
{
    b->fail_at[b->fail_next] = now_ms;
    b->fail_next = (b->fail_next + 1) % b->threshold;
    if (b->fail_n < b->threshold) b->fail_n++;
    /* Full ring: the slot to be overwritten next holds the oldest failure. */
    if (b->fail_n == b->threshold && sub_sat(now_ms, b->fail_at[b->fail_next]) < b->window_ms)
        trip(b, now_ms);
}

static void record_locked(rl_breaker_t *b, const rl_breaker_verdict_t *v, uint64_t now_ms, bool ok)
{
    if (!v->allowed) return;
    if (is_current_probe(b, v)) {
        if (ok)
            close_breaker(b);
        else
            trip(b, now_ms);
        return;
    }
    /* Late outcomes of requests admitted before the breaker opened. */
    if (b->open) return;
    if (!ok) record_failure(b, now_ms);
}

static uint32_t failures_locked(const rl_breaker_t *b, uint64_t now_ms)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < b->fail_n; i++)
        if (sub_sat(now_ms, b->fail_at[i]) < b->window_ms) n++;
    return n;
}

bool rl_breaker_allow(rl_breaker_t *b, uint64_t now_ms, rl_breaker_verdict_t *v)
{
    pthread_mutex_lock(&b->mu);
    allow_locked(b, now_ms, v);
    pthread_mutex_unlock(&b->mu);
    return v->allowed;
}

void rl_breaker_record(rl_breaker_t *b, const rl_breaker_verdict_t *v, uint64_t now_ms, bool ok)
{
    pthread_mutex_lock(&b->mu);
    record_locked(b, v, now_ms, ok);
    pthread_mutex_unlock(&b->mu);
}

void rl_breaker_abandon(rl_breaker_t *b, const rl_breaker_verdict_t *v)
{
    pthread_mutex_lock(&b->mu);
    if (is_current_probe(b, v)) b->probing = false;
    pthread_mutex_unlock(&b->mu);
}

rl_breaker_state_t rl_breaker_state(rl_breaker_t *b, uint64_t now_ms)
{
    pthread_mutex_lock(&b->mu);
    rl_breaker_state_t s = state_at(b, now_ms);
    pthread_mutex_unlock(&b->mu);
    return s;
}

const char *rl_breaker_state_name(rl_breaker_state_t s)
{
    switch (s) {
    case RL_BREAKER_CLOSED:
        return "closed";
    case RL_BREAKER_OPEN:
        return "open";
    case RL_BREAKER_HALF_OPEN:
        return "half_open";
    }
    return "unknown";
}

uint32_t rl_breaker_failures(rl_breaker_t *b, uint64_t now_ms)
{
    pthread_mutex_lock(&b->mu);
    uint32_t n = failures_locked(b, now_ms);
    pthread_mutex_unlock(&b->mu);
    return n;
}
