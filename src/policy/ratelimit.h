/* ratelimit.h — the rate-limit response headers of DESIGN §3, as pure
 * functions of GCRA results (shared/shared.h), for the LIMIT step
 * (ratelimit.c):
 *
 *   RateLimit-Limit: 100            requests per window of the reported limit
 *   RateLimit-Remaining: 42         requests that would still pass now
 *   RateLimit-Reset: 18             seconds until the bucket is full again
 *   RateLimit-Policy: 100;w=60, 1000;w=3600     every limit of the route
 *   X-RateLimit-Limit / -Remaining  the same numbers
 *   X-RateLimit-Reset: 1732170018   the same moment as Unix time
 *
 * With several limits the reported one is the most restrictive: the fewest
 * requests remaining, then the longest reset. */
#ifndef RL_POLICY_RATELIMIT_H
#define RL_POLICY_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "shared/shared.h"

typedef struct rl_ratelimit_hdrs {
    char limit[24], remaining[24], reset[24], x_reset[24], retry_after[24];
    char policy[512];
} rl_ratelimit_hdrs_t;

/* Index of the most restrictive of the n results (n ≥ 1). */
size_t rl_ratelimit_pick(const rl_gcra_result_t *res, size_t n);

/* Seconds for a header from ms: rounded up, at least `min`. */
uint64_t rl_ratelimit_secs(uint64_t ms, uint64_t min);

/* Fills the header values for result `res` at `now_ms`, with the policy
 * listing the n limits. retry_after is set from res->retry_after_ms (≥ 1 s)
 * when the request was rejected, else left empty. */
void rl_ratelimit_format(const rl_gcra_result_t *res, const rl_limit_cfg_t *limits, size_t n, uint64_t now_ms,
                         rl_ratelimit_hdrs_t *out);

#endif
