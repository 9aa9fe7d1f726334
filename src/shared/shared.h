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
 * A rejected request consumes nothing. The same as rl_shared_gcra_multi
 * with one limit. */
void rl_shared_gcra(rl_shared_t *sh, const char *key, size_t key_len, uint64_t limit, uint64_t period_ms,
                    uint64_t now_ms, rl_gcra_cb cb, void *ud);

/* One limit of a request that must pass several (a route's `100/min` and
 * `1000/hour`): a bucket `key` holding `limit` requests per `period_ms`. */
typedef struct rl_gcra_req {
    const char *key;
    size_t key_len;
    uint64_t limit, period_ms;
} rl_gcra_req_t;

/* The most limits one call takes. */
#define RL_GCRA_MULTI_MAX 16

/* `res` holds n results, res[i] for reqs[i], valid only during the call;
 * NULL (and n = 0) when rc < 0. */
typedef void (*rl_gcra_multi_cb)(void *ud, int rc, const rl_gcra_result_t *res, size_t n);

/* One request against the n limits of `reqs`, all or nothing, as one atomic
 * step (no other call on these keys sees half of it):
 *   consume  the request is admitted when every bucket admits it, and then
 *            counted in every bucket; otherwise it is counted in none. It is
 *            admitted exactly when every res[i].allowed. When admitted, each
 *            res[i] is what rl_gcra_check reports (remaining = requests left
 *            after this one). When refused, res[i].allowed is false with
 *            retry_after_ms for each bucket that refused; each bucket that
 *            would have admitted it is reported untouched, as by !consume.
 *   !consume a peek: nothing changes; res[i] says whether one request would
 *            pass bucket i now and how many would (this one included, so a
 *            new key reports `limit`), as gcra.h's rl_gcra_peek.
 * A key given twice counts the request twice, in order. `reqs` and the keys
 * need to live only until the call returns: a network backend copies them
 * into its command (Redis: one Lua script over every key, one round trip;
 * a Redis Cluster needs the keys of one call in one hash slot). n is 1 to
 * RL_GCRA_MULTI_MAX; another n is a caller bug, reported as rc =
 * -RL_EINTERNAL. A backend failure (rc < 0) consumed nothing. */
void rl_shared_gcra_multi(rl_shared_t *sh, const rl_gcra_req_t *reqs, size_t n, uint64_t now_ms, bool consume,
                          rl_gcra_multi_cb cb, void *ud);

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

/* ---- response cache (policy/cache_step.c, policy/response.c) ----
 * Opaque values under string keys, each with a tag (the request path) so
 * that a write can drop every variant of a path at once. Bounded memory with
 * least-recently-used eviction. Values are whole responses encoded by
 * policy/cacheentry.h. A failure (rc < 0) means "no caching", never a
 * failed request. */

typedef struct rl_cache_stats {
    uint64_t hits, misses;   /* lookups that found a fresh entry / did not */
    uint64_t stores;         /* entries written */
    uint64_t evictions;      /* entries dropped to make room (LRU) */
    uint64_t expirations;    /* entries dropped because their ttl ran out */
    uint64_t invalidations;  /* entries dropped by rl_shared_cache_invalidate */
    uint64_t bytes, entries; /* held now (bytes count keys, values and overhead) */
    uint64_t max_bytes;      /* the bound (cache.max_memory) */
} rl_cache_stats_t;

/* `value` (len bytes) is valid only during the call (unless held, below);
 * NULL = a miss. `token` goes to rl_shared_cache_set after a miss: it lets
 * the backend refuse a store that raced with an invalidation of the same
 * tag. */
typedef void (*rl_cache_get_cb)(void *ud, int rc, const void *value, size_t len, uint64_t token);
typedef void (*rl_cache_done_cb)(void *ud, int rc);

/* Sets the memory bound in bytes (0 = cache nothing); evicts at once when
 * lowered. Cheap when unchanged, so callers may call it on every store. */
void rl_shared_cache_configure(rl_shared_t *sh, uint64_t max_bytes);

/* Looks `key` up; `tag` is the tag the entry would have. */
void rl_shared_cache_get(rl_shared_t *sh, const char *key, size_t key_len, const char *tag, size_t tag_len,
                         uint64_t now_ms, rl_cache_get_cb cb, void *ud);

/* A value kept readable after its get callback returned (a hit answered
 * without copying its body: the response points into the entry until it is
 * sent). */
typedef struct rl_cache_hold rl_cache_hold_t;

/* Holds `value`, which a get callback of `sh` was handed; call it only
 * inside that callback. The value stays readable (even if the entry is
 * evicted, replaced or invalidated meanwhile) until rl_shared_cache_release.
 * Never NULL. */
rl_cache_hold_t *rl_shared_cache_hold(rl_shared_t *sh, const void *value);
void rl_shared_cache_release(rl_shared_t *sh, rl_cache_hold_t *hold);

/* Stores `value` under `key` (replacing it) for ttl_ms, tagged `tag`,
 * unless the tag was invalidated since the lookup that gave `token`, or the
 * value alone is larger than the bound. `cb` may be NULL. */
void rl_shared_cache_set(rl_shared_t *sh, const char *key, size_t key_len, const char *tag, size_t tag_len,
                         const void *value, size_t len, uint64_t ttl_ms, uint64_t token, uint64_t now_ms,
                         rl_cache_done_cb cb, void *ud);

/* Drops every entry tagged `tag`. `cb` may be NULL. */
void rl_shared_cache_invalidate(rl_shared_t *sh, const char *tag, size_t tag_len, uint64_t now_ms,
                                rl_cache_done_cb cb, void *ud);

/* The counters, for /metrics (a snapshot, any thread). */
void rl_shared_cache_stats(rl_shared_t *sh, rl_cache_stats_t *out);

#endif
