/* auth_apikey.h — API-key authentication for the AUTHN step (authn.c calls
 * it): finds `rk_<id>_<secret>` in the request, looks the key up through a
 * per-worker cache (positive and negative entries live at most
 * RL_APIKEY_CACHE_TTL_MS, so a revocation reaches every worker within 1 s)
 * and, on a miss, through the store on the libuv thread pool — never on the
 * worker loop itself. */
#ifndef RL_POLICY_AUTH_APIKEY_H
#define RL_POLICY_AUTH_APIKEY_H

#include <stdint.h>

#include "http/request.h"

enum { RL_AUTH_OK = 0, RL_AUTH_ABSENT = 1, RL_AUTH_BAD = 2, RL_AUTH_PENDING = 3 };

/* How long a cached lookup (found or not) is trusted. */
#define RL_APIKEY_CACHE_TTL_MS 500
/* A cached refusal (unknown id, wrong secret) younger than this is final; an
 * older one is looked up again, so that a key just created or rotated is
 * accepted within 100 ms while a flood of bad keys costs at most ten store
 * lookups per second per id and worker. */
#define RL_APIKEY_RECHECK_MS 100

typedef void (*rl_auth_done_cb)(rl_request_t *r, int result);

/* Looks for an API key in `Authorization: Bearer rk_…` or `X-API-Key: rk_…`.
 * Returns RL_AUTH_ABSENT when there is none, RL_AUTH_OK / RL_AUTH_BAD when
 * decided at once (worker cache), or RL_AUTH_PENDING and later calls
 * cb(r, RL_AUTH_OK|RL_AUTH_BAD) on the request's worker loop (never from
 * inside this call). If the request is disposed meanwhile, cb is not called.
 * On OK sets r->consumer (the key id), r->scopes/n_scopes and
 * r->consumer_allow_ips/n_consumer_allow_ips (strings in r->req->pool).
 * An `Authorization: Bearer` value that does not start with "rk_" counts as
 * ABSENT (it may be a JWT). `now_ms` is Unix time in milliseconds. */
int rl_auth_apikey(rl_request_t *r, uint64_t now_ms, rl_auth_done_cb cb);

/* Control thread: writes the buffered last_used_at updates (collected from
 * every worker, at most one per key per second per worker) to `store` in
 * one transaction. Returns the number of keys written, or a negative RL_E…. */
struct rl_store;
int rl_auth_apikey_flush_uses(struct rl_store *store);

#endif
