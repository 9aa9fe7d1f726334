/* jwt_jwks.h — the JWKS cache: keys fetched from `auth.jwt.jwks_url`.
 *
 * One cache per worker (rl_worker_t.jwks), used only on that worker's loop,
 * so it needs no lock; the price is that with N workers the URL may be
 * fetched up to N times per interval (each worker on its own schedule).
 *
 * The refetch rules are a pure state machine with time as a parameter
 * (rl_jwks_decide): a token whose key is not cached starts a fetch, unless
 * one is already running (then the request waits for it) or the last one
 * started less than RL_JWKS_MIN_INTERVAL_MS ago (then the token is refused:
 * an attacker minting random kids cannot make relais hammer the IdP). A
 * failed fetch counts as an attempt and keeps the keys it had. Keys older
 * than RL_JWKS_MAX_AGE_MS are refreshed in the background while still used,
 * so that a key removed from the JWKS stops working eventually. */
#ifndef RL_POLICY_JWT_JWKS_H
#define RL_POLICY_JWT_JWKS_H

#include <stdbool.h>
#include <stdint.h>

#include "http/request.h"
#include "policy/jwt.h"

#define RL_JWKS_MIN_INTERVAL_MS 30000ull /* default of auth.jwt.jwks_refetch_interval */
#define RL_JWKS_MAX_AGE_MS 3600000ull
#define RL_JWKS_MAX_BODY (1u << 20)

typedef struct rl_jwks_state {
    bool fetching;
    bool attempted;      /* a fetch was ever started */
    uint64_t last_fetch; /* when the last fetch started (ms, monotonic) */
    uint64_t loaded_at;  /* when the keys in use were fetched; 0 = none */
} rl_jwks_state_t;

typedef enum rl_jwks_decision {
    RL_JWKS_FETCH,  /* start a fetch now and wait for it */
    RL_JWKS_WAIT,   /* a fetch is running: wait for it */
    RL_JWKS_REFUSE, /* too soon since the last fetch: the key is unknown */
} rl_jwks_decision_t;

/* A token's key is not among the cached keys at `now_ms`: what to do, when
 * fetches may start at most once per `interval_ms`. */
rl_jwks_decision_t rl_jwks_decide(const rl_jwks_state_t *s, uint64_t now_ms, uint64_t interval_ms);

/* True when the cached keys should be refreshed in the background (they
 * are older than RL_JWKS_MAX_AGE_MS and no fetch runs or ran recently). */
bool rl_jwks_stale(const rl_jwks_state_t *s, uint64_t now_ms, uint64_t interval_ms);

/* State transitions around a fetch. */
void rl_jwks_fetch_started(rl_jwks_state_t *s, uint64_t now_ms);
void rl_jwks_fetch_finished(rl_jwks_state_t *s, bool ok, uint64_t now_ms);

/* ---- the per-worker adapter (I/O through the worker's upstream client) ---- */

typedef struct rl_jwks_cache rl_jwks_cache_t;

/* The worker's cache for `url`, created on first use. A different url (the
 * config was reloaded) empties it. Never NULL. */
rl_jwks_cache_t *rl_jwks_cache_for(rl_worker_t *w, const char *url);

/* The keys fetched so far (possibly empty). Valid until the next call that
 * may fetch; do not keep it across an asynchronous wait. */
const rl_jwt_keyset_t *rl_jwks_cache_keys(const rl_jwks_cache_t *c);

typedef void (*rl_jwks_wait_cb)(rl_request_t *r);

/* A token of `r` had no key in the cache. Decides by rl_jwks_decide: on
 * FETCH or WAIT queues r and returns true; cb(r) follows on the loop when
 * the fetch ends (never if r is disposed first). On REFUSE returns false. */
bool rl_jwks_cache_wait(rl_jwks_cache_t *c, rl_request_t *r, uint64_t interval_ms, rl_jwks_wait_cb cb);

/* Starts a background refresh when rl_jwks_stale says so. */
void rl_jwks_cache_touch(rl_jwks_cache_t *c, uint64_t interval_ms);

#endif
