/* gcra.h — the Generic Cell Rate Algorithm, the rate limiter behind
 * rl_shared_gcra() (DESIGN §2, LIMIT phase).
 *
 * GCRA is a leaky bucket that stores one number per key: the theoretical
 * arrival time (TAT), the moment the bucket would be empty again if every
 * admitted request drained at the steady rate. With `limit` requests per
 * `period`:
 *   T   = period / limit          emission interval: one request drains in T
 *   tau = T * (limit - 1)         tolerance: how far ahead of now TAT may
 *                                 run; burst = limit requests at once
 * A request at `now` is allowed when max(TAT, now) - now <= tau; then
 * TAT = max(TAT, now) + T. A rejected request leaves TAT alone, so hammering
 * a limited key never pushes its recovery further away.
 *
 * Example, 3 per second (T = 333.334ms, tau = 666.668ms), all at t=0: three
 * requests pass (TAT 333.334, 666.668, 1000.002ms), the fourth is rejected
 * with retry-after 334ms (at t=334ms, TAT - now = 666.002ms <= tau). After a
 * quiet second TAT <= now: the whole burst is available again and the key
 * can be dropped.
 *
 * A peek (rl_gcra_peek) answers the same question without changing TAT: it
 * reports a bucket's state, e.g. for the headers of an answer that was not
 * rate limited, or for a bucket of a multi-limit check whose other limit
 * rejected the request.
 *
 * TAT is kept in microseconds and T is rounded up, so a limit that does not
 * divide its period (3/s) never admits more than `limit` per period. Pure:
 * time is a parameter, the caller stores TAT (memory table or Redis). */
#ifndef RL_SHARED_GCRA_H
#define RL_SHARED_GCRA_H

#include <stdbool.h>
#include <stdint.h>

#include "shared/shared.h"

/* One request at `now_ms` against `limit` per `period_ms`, burst = limit.
 *   *tat_us   the key's TAT in µs since the epoch; 0 for a new key. Updated
 *             only when the request is allowed.
 *   res       allowed; limit; remaining (requests that would still pass at
 *             now_ms); reset_ms (until the whole burst is available);
 *             retry_after_ms (until one request passes, 0 when allowed).
 *             ms values are rounded up.
 * limit 0 rejects everything (retry_after_ms = period_ms); period_ms 0
 * allows everything. Valid for now_ms below year 500000. Returns
 * res->allowed. */
bool rl_gcra_check(uint64_t limit, uint64_t period_ms, uint64_t now_ms, uint64_t *tat_us,
                   rl_gcra_result_t *res);

/* The same question without asking it: what a request at `now_ms` would
 * get, with `tat_us` left as it is. allowed says whether one request would
 * pass; remaining counts the requests that would pass now, this one
 * included (one more than rl_gcra_check reports after admitting it; the
 * full `limit` for a new key); reset_ms and retry_after_ms as above.
 * Returns res->allowed. */
bool rl_gcra_peek(uint64_t limit, uint64_t period_ms, uint64_t now_ms, uint64_t tat_us,
                  rl_gcra_result_t *res);

/* True when a key with this TAT is indistinguishable from a new key at
 * now_ms (its bucket is full): its state can be dropped. */
bool rl_gcra_is_idle(uint64_t tat_us, uint64_t now_ms);

#endif
