/* breaker.h — a circuit breaker per provider (DESIGN §2, UPSTREAM phase).
 *
 * States:
 *   closed     requests flow; each failure's time is remembered. When
 *              `threshold` failures fall within the last `window` ms, the
 *              breaker opens.
 *   open       requests are refused at once (503 circuit_open) for
 *              `cooldown` ms, with the time left as Retry-After.
 *   half_open  after the cooldown, exactly one request — the probe — goes
 *              through; every other request is refused as if open. The
 *              probe's success closes the breaker (failures forgotten); its
 *              failure reopens it for another cooldown.
 *
 * The window slides: the breaker keeps the times of the last `threshold`
 * failures in a ring, and trips when the oldest of them is younger than
 * `window`. Successes in the closed state do not erase failures; failures
 * simply age out of the window.
 *
 * Example: threshold 5, window 30s, cooldown 30s. Failures at t=0,1,2,3s and
 * t=40s leave the breaker closed (the first four aged out); four more by
 * t=45s open it; at t=75s the next request is the probe; if it succeeds the
 * breaker closes, if it fails at t=76s the breaker stays open until t=106s.
 *
 * A probe whose outcome never comes (its request was cancelled and
 * rl_breaker_abandon() was forgotten) does not wedge the breaker: after
 * another `cooldown` a new probe is let through.
 *
 * Outcomes of requests admitted before the breaker opened may arrive while
 * it is open or half-open: they are ignored, only the probe decides.
 *
 * Threads: one breaker per provider is shared by every worker. Each function
 * takes the breaker's own mutex for a few instructions; no I/O, no callback
 * under the lock. Time is a parameter (ms since the epoch, any monotonic
 * base works if it is used consistently). */
#ifndef RL_UPSTREAM_BREAKER_H
#define RL_UPSTREAM_BREAKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum rl_breaker_state {
    RL_BREAKER_CLOSED,
    RL_BREAKER_OPEN,
    RL_BREAKER_HALF_OPEN,
} rl_breaker_state_t;

/* Fields are private: use the functions below. */
typedef struct rl_breaker {
    pthread_mutex_t mu;
    uint32_t threshold;
    uint64_t window_ms, cooldown_ms;
    uint64_t *fail_at;  /* ring of the last `threshold` failure times */
    uint32_t fail_n;    /* entries in the ring, <= threshold */
    uint32_t fail_next; /* ring slot the next failure goes to */
    bool open;          /* open or half-open */
    uint64_t opened_at; /* when it (re)opened */
    bool probing;       /* a probe is out */
    uint64_t probe_at;  /* when the probe was let through */
    uint64_t probe_gen; /* number of probes ever let through */
} rl_breaker_t;

/* What rl_breaker_allow() decided for one request. */
typedef struct rl_breaker_verdict {
    bool allowed;
    bool probe;              /* this request is the half-open probe */
    uint64_t retry_after_ms; /* when refused: until a request may pass (>= 1) */
    uint64_t probe_gen;      /* private: which probe */
} rl_breaker_verdict_t;

/* Initializes `b` closed. threshold >= 1 failures within window_ms open it;
 * it stays open cooldown_ms. Returns 0, or -1 (b unusable, nothing to
 * destroy) for threshold 0 or out of memory. The caller owns `b` (it holds
 * a mutex: never copy or move it after init) and calls rl_breaker_destroy()
 * once no thread uses it. */
int rl_breaker_init(rl_breaker_t *b, uint32_t threshold, uint64_t window_ms, uint64_t cooldown_ms);
void rl_breaker_destroy(rl_breaker_t *b);

/* May a request go to the provider at `now_ms`? Fills *v and returns
 * v->allowed. An allowed request must end with exactly one
 * rl_breaker_record() or rl_breaker_abandon() with the same verdict. */
bool rl_breaker_allow(rl_breaker_t *b, uint64_t now_ms, rl_breaker_verdict_t *v);

/* The outcome of a request that `v` allowed: ok = the provider answered
 * usefully; !ok = a failure that counts (connect error, timeout, 5xx… the
 * caller decides what counts). */
void rl_breaker_record(rl_breaker_t *b, const rl_breaker_verdict_t *v, uint64_t now_ms, bool ok);

/* An allowed request ended without a verdict on the provider (the client
 * went away, relais itself failed). Frees the probe slot if it held it. */
void rl_breaker_abandon(rl_breaker_t *b, const rl_breaker_verdict_t *v);

/* The state at `now_ms`, for /status and metrics. */
rl_breaker_state_t rl_breaker_state(rl_breaker_t *b, uint64_t now_ms);

/* "closed", "open" or "half_open". */
const char *rl_breaker_state_name(rl_breaker_state_t s);

/* Failures within the window ending at `now_ms` (at most threshold). */
uint32_t rl_breaker_failures(rl_breaker_t *b, uint64_t now_ms);

#endif
