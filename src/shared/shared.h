/* shared.h — state shared by every worker (and, with the Redis backend that
 * comes later, by every node): GCRA rate limits, atomic quotas and the
 * response cache. DESIGN §7.
 *
 * Calls take a completion callback so that a network backend can answer
 * later on the caller's loop; the memory backend calls it before returning.
 * Callers must handle both. Time is a parameter (ms since the Unix epoch).
 * A backend failure is reported as rc < 0 (RL_ESHARED_STATE_UNAVAILABLE);
 * callers decide whether to fail open or closed. */
#ifndef RL_SHARED_SHARED_H
#define RL_SHARED_SHARED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct rl_shared rl_shared_t;

/* Opens a backend by URL: "memory://" (in-process, thread-safe). NULL and a
 * message in err on failure (unknown scheme). */
rl_shared_t *rl_shared_open(const char *url, char *err, size_t errlen);
void rl_shared_close(rl_shared_t *sh);

/* ---- rate limits (GCRA) ---- */

typedef struct rl_gcra_result {
    bool allowed;
    uint64_t limit;          /* requests per period */
    uint64_t remaining;      /* requests that would still pass now */
    uint64_t reset_ms;       /* until the bucket is full again */
    uint64_t retry_after_ms; /* until one request passes; 0 when allowed */
} rl_gcra_result_t;

typedef void (*rl_gcra_cb)(void *ud, int rc, const rl_gcra_result_t *res);

/* One request against `limit` per `period_ms` (burst = limit) under `key`.
 * A rejected request consumes nothing. */
void rl_shared_gcra(rl_shared_t *sh, const char *key, size_t key_len, uint64_t limit, uint64_t period_ms,
                    uint64_t now_ms, rl_gcra_cb cb, void *ud);

/* ---- quotas ---- */

typedef struct rl_quota_result {
    bool allowed;
    uint64_t limit, used, remaining;
} rl_quota_result_t;

typedef void (*rl_quota_cb)(void *ud, int rc, const rl_quota_result_t *res);

/* Consumes `n` units of `key` (which names the period, e.g. "...:2026-11-21")
 * when used + n <= limit; atomically, so concurrent callers never
 * over-admit. The key expires at `expires_ms`. n = 0 reads without
 * consuming. */
void rl_shared_quota(rl_shared_t *sh, const char *key, size_t key_len, uint64_t limit, uint64_t n,
                     uint64_t expires_ms, uint64_t now_ms, rl_quota_cb cb, void *ud);

/* ---- response cache (filled in by the response-policies issue) ---- */

#endif
