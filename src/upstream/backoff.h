/* backoff.h — how long to wait before retrying an upstream request.
 *
 * Exponential backoff with "full jitter" (AWS Architecture Blog, "Exponential
 * Backoff And Jitter", 2015): the n-th retry waits a uniformly random time in
 * [0, min(max, base * 2^(n-1))]. The ceiling doubles with each attempt so a
 * struggling provider gets exponentially more room, and the randomness
 * spreads the retries of many clients that failed together instead of
 * sending them back in synchronized waves.
 *
 * Example, base 100ms, max 2s: retry 1 waits 0..100ms, retry 2 0..200ms,
 * retry 3 0..400ms, …, retry 5 and later 0..2000ms.
 *
 * When the provider said when to come back (Retry-After, parsed by
 * upstream/retry_after.h), that wins over the jitter, capped by max: relais
 * never sleeps longer than the configured max on a provider's word. Callers
 * that would rather give up than wait that long compare the header's value
 * with max themselves.
 *
 * Pure: the random bits are a parameter (rl_rng_next() of the worker). */
#ifndef RL_UPSTREAM_BACKOFF_H
#define RL_UPSTREAM_BACKOFF_H

#include <stdint.h>

/* The delay in ms before retry number `attempt` (1 = first retry; 0 is
 * treated as 1).
 *   base_ms, max_ms   the retry policy (config `retry: {base, max}`)
 *   rnd               64 uniformly random bits
 *   retry_after_ms    the provider's Retry-After in ms, or < 0 when absent
 * Returns min(retry_after_ms, max_ms) when retry_after_ms >= 0, else a value
 * in [0, min(max_ms, base_ms * 2^(attempt-1))] (no overflow for any
 * attempt). */
uint64_t rl_backoff_delay_ms(uint64_t base_ms, uint64_t max_ms, unsigned attempt, uint64_t rnd,
                             int64_t retry_after_ms);

/* The ceiling of the jitter for `attempt`: min(max_ms, base_ms *
 * 2^(attempt-1)), saturating. */
uint64_t rl_backoff_ceiling_ms(uint64_t base_ms, uint64_t max_ms, unsigned attempt);

#endif
