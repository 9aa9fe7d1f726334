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
 * requests remaining, then the longest reset (a limit that rejected the
 * request first of all).
 *
 * The step itself is rl_policy_ratelimit (policy/policy.h); the one hook
 * for answers made before it is rl_ratelimit_before_error. */
#ifndef RL_POLICY_RATELIMIT_H
#define RL_POLICY_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "core/err.h"
#include "http/request.h"
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

/* Called by rl_respond_error (http/envelope.c) for every error answer. When
 * r's route has rate limits and the LIMIT step has not run (a 403 from
 * CORS, a 401 from AUTHN, a 403 from AUTHZ), it takes the answer over:
 * peeks at the buckets the request would use (the consumer's when known,
 * else the client address's; nothing is counted), adds the same headers
 * as the step (without Retry-After), then answers through rl_respond_error
 * with `code`, `details_json` (may be NULL) and `msg`, which it copies.
 * The answer is sent before the call returns with the memory backend, later
 * with a network one; if the peek fails it is sent without the headers.
 * Returns true when it took the answer over, false (nothing done) when the
 * caller must send it. */
bool rl_ratelimit_before_error(rl_request_t *r, rl_errcode_t code, const char *details_json, const char *msg);

#endif
