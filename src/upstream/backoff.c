/* backoff.c — exponential backoff with full jitter; see backoff.h. */
#include "upstream/backoff.h"

uint64_t rl_backoff_ceiling_ms(uint64_t base_ms, uint64_t max_ms, unsigned attempt)
{
    if (attempt == 0) attempt = 1;
    uint64_t ceil = base_ms;
    for (unsigned i = 1; i < attempt && ceil != 0 && ceil < max_ms; i++)
        ceil = ceil > UINT64_MAX / 2 ? UINT64_MAX : ceil * 2;
    return ceil < max_ms ? ceil : max_ms;
}

uint64_t rl_backoff_delay_ms(uint64_t base_ms, uint64_t max_ms, unsigned attempt, uint64_t rnd,
                             int64_t retry_after_ms)
{
    if (retry_after_ms >= 0) return (uint64_t)retry_after_ms < max_ms ? (uint64_t)retry_after_ms : max_ms;
    uint64_t ceil = rl_backoff_ceiling_ms(base_ms, max_ms, attempt);
    if (ceil == UINT64_MAX) return rnd;
    /* The modulo's bias is at most ceil / 2^64: irrelevant for delays. */
    return rnd % (ceil + 1);
}
