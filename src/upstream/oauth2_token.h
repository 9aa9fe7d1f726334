/* oauth2_token.h — access tokens for `auth: {type: oauth2_client_credentials}`:
 * a pure cache (time is a parameter) and the fetch that fills it.
 *
 * The cache. A token fetched at `now` with lifetime L (expires_in, seconds)
 * is used until refresh_at = now + L − skew, skew = min(60 s, L/10): a
 * request never leaves with a token about to expire on the way. Example:
 * L = 3600 s → skew 60 s, refreshed after 59 min; L = 300 s → skew 30 s.
 * Past refresh_at, the first caller starts one fetch (`refreshing`); every
 * other caller queues a waiter and is called back when it ends: one fetch at
 * a time, however many requests arrive meanwhile. A failed fetch fails its
 * waiters and, for RL_OAUTH2_RETRY_MS, makes callers fail at once instead of
 * hammering the token endpoint. A 401 from the provider invalidates the
 * token it was sent with (by generation, so that a burst of 401s for the
 * same old token drops it once), and the request is retried once with a
 * fresh token.
 *
 * Threads: ONE rl_oauth2_t PER WORKER LOOP per provider. No lock, no
 * cross-thread wake-up; "one refresh at a time per provider" holds per
 * worker, so a process with N workers fetches at most N tokens per token
 * lifetime. Everything here runs on the owner's loop. */
#ifndef RL_UPSTREAM_OAUTH2_TOKEN_H
#define RL_UPSTREAM_OAUTH2_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "upstream/auth.h"
#include "upstream/client.h"

#define RL_OAUTH2_MAX_SKEW_MS 60000u
#define RL_OAUTH2_DEFAULT_TTL_S 3600 /* when the answer has no expires_in */
#define RL_OAUTH2_RETRY_MS 1000u     /* after a failed fetch */
#define RL_OAUTH2_MAX_RESPONSE (64u << 10)

/* ---- the pure cache ---- */

typedef struct rl_oauth2_waiter rl_oauth2_waiter_t;

/* `rc` is 0 with the token (valid only during the call; `gen` identifies it
 * for rl_oauth2_invalidate), or a negative RL_E… with token NULL. */
typedef void (*rl_oauth2_token_cb)(rl_oauth2_waiter_t *w, int rc, const char *token, size_t len,
                                   uint64_t gen);

/* Embedded by the caller (e.g. in its request); must stay valid while queued. */
struct rl_oauth2_waiter {
    rl_oauth2_token_cb cb;
    void *ud;
    rl_oauth2_waiter_t *next, *prev;
    bool queued;
};

typedef struct rl_oauth2_cache {
    char *token; /* NULL when there is none */
    size_t token_len;
    uint64_t refresh_at_ms; /* token is used while now < refresh_at_ms */
    uint64_t generation;    /* bumped by every new token */
    uint64_t retry_at_ms;   /* after a failure, no fetch before this */
    bool refreshing;
    rl_oauth2_waiter_t *head, *tail;
} rl_oauth2_cache_t;

void rl_oauth2_cache_init(rl_oauth2_cache_t *c);

/* Wipes and frees the token. Queued waiters are dropped without a call. */
void rl_oauth2_cache_free(rl_oauth2_cache_t *c);

/* The usable token at `now` (*len, *gen set), or NULL when a fetch is needed. */
const char *rl_oauth2_cache_token(const rl_oauth2_cache_t *c, uint64_t now_ms, size_t *len, uint64_t *gen);

/* True when there is no token usable at `now`. */
bool rl_oauth2_need_refresh(const rl_oauth2_cache_t *c, uint64_t now_ms);

/* Called when a token is needed: returns true when the caller must start
 * the fetch (it is now marked in flight), false when one is already in
 * flight or the last failure is less than RL_OAUTH2_RETRY_MS old (then
 * rl_oauth2_cache_backoff tells which). */
bool rl_oauth2_cache_begin_refresh(rl_oauth2_cache_t *c, uint64_t now_ms);
bool rl_oauth2_cache_backoff(const rl_oauth2_cache_t *c, uint64_t now_ms);

/* Ends the fetch with a token of `expires_in_s` seconds (≤ 0: the default)
 * fetched at `now`. Returns 0, or -1 on allocation failure. */
int rl_oauth2_cache_set(rl_oauth2_cache_t *c, const char *token, size_t len, int64_t expires_in_s,
                        uint64_t now_ms);

/* Ends the fetch with a failure at `now`. */
void rl_oauth2_cache_fail(rl_oauth2_cache_t *c, uint64_t now_ms);

/* Drops the token if it is still generation `gen` (after a 401). */
void rl_oauth2_cache_invalidate(rl_oauth2_cache_t *c, uint64_t gen);

/* The waiter queue, FIFO. */
void rl_oauth2_cache_wait(rl_oauth2_cache_t *c, rl_oauth2_waiter_t *w);
void rl_oauth2_cache_unwait(rl_oauth2_cache_t *c, rl_oauth2_waiter_t *w); /* no-op if not queued */
rl_oauth2_waiter_t *rl_oauth2_cache_pop(rl_oauth2_cache_t *c);

/* ---- the token endpoint's answer ---- */

typedef struct rl_oauth2_answer {
    char *access_token; /* malloc'd, NUL-terminated */
    size_t token_len;
    int64_t expires_in; /* seconds; -1 when absent */
} rl_oauth2_answer_t;

/* Parses a token response body (RFC 6749 §5.1): access_token (required, a
 * non-empty string without control characters), token_type (absent or
 * "bearer", any case), expires_in (a positive integer, or a string holding
 * one). An error answer (§5.2) gives its "error" code in `why`. Returns 0,
 * or -1 with `why` set (never containing a token). The caller frees
 * out->access_token with rl_oauth2_answer_free. */
int rl_oauth2_parse_answer(const char *body, size_t len, rl_oauth2_answer_t *out, char *why, size_t why_cap);
void rl_oauth2_answer_free(rl_oauth2_answer_t *a);

/* The form body of the token request (grant_type=client_credentials, scope,
 * audience, and client_id/client_secret when client_auth is body), and the
 * Authorization header value for client_auth basic (RFC 6749 §2.3.1: id and
 * secret form-encoded, then Basic) or NULL. Both malloc'd; NULL on OOM. */
char *rl_oauth2_form(const rl_auth_cfg_t *a);
char *rl_oauth2_basic(const rl_auth_cfg_t *a);

/* ---- the fetch, on a worker's loop ---- */

typedef struct rl_oauth2 rl_oauth2_t;

/* A token source for provider auth `a` (type oauth2_client_credentials,
 * rl_auth_ready), fetching through `client` (which must outlive it) on
 * `loop`, each fetch bounded by `timeout_ms`. It copies what it needs from
 * `a`. Time is uv_now(loop). Returns NULL on a bad `a` or OOM. */
rl_oauth2_t *rl_oauth2_new(uv_loop_t *loop, rl_client_t *client, const rl_auth_cfg_t *a, uint64_t timeout_ms);

/* Cancels a fetch in flight and calls every queued waiter back with
 * -RL_EUPSTREAM_ERROR, from inside this call; then frees. NULL is fine. */
void rl_oauth2_free(rl_oauth2_t *o);

/* Gets a token. Returns 1 with *token, *len and *gen set now (valid until control
 * returns to the loop; no callback), 0 when `w` was queued (w->cb runs later
 * on the loop, exactly once, unless rl_oauth2_cancel), or a negative RL_E…
 * (no callback): -RL_EUPSTREAM_ERROR while backing off after a failed fetch
 * or when the fetch cannot start. */
int rl_oauth2_get(rl_oauth2_t *o, rl_oauth2_waiter_t *w, rl_oauth2_token_cb cb, void *ud, const char **token,
                  size_t *len, uint64_t *gen);

/* Withdraws a queued waiter (its callback will not run). */
void rl_oauth2_cancel(rl_oauth2_t *o, rl_oauth2_waiter_t *w);

/* The provider answered 401 to a request sent with token `gen`. */
void rl_oauth2_invalidate(rl_oauth2_t *o, uint64_t gen);

/* Why the last fetch failed ("HTTP 500", "token endpoint error
 * 'invalid_client'", "timeout"…; never a credential), or "" after a success. */
const char *rl_oauth2_last_error(const rl_oauth2_t *o);

/* Fetches started so far (for tests and metrics). */
uint64_t rl_oauth2_fetches(const rl_oauth2_t *o);

#endif
