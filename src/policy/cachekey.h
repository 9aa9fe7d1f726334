/* cachekey.h — what the response cache is keyed on and what it may keep.
 * Pure.
 *
 * Key: "GET <path>?<sorted query>\n<vary name>:<values>\n…<who>". HEAD is
 * answered from the GET entry, so both use "GET". The query is normalized by
 * sorting its parameters by name (stable, so repeated names keep their
 * order) and dropping empty ones: ?b=2&a=1 and ?a=1&b=2 share an entry.
 * <who> is "public" when the route says the data is public, else the
 * consumer ("c=<authn method>:<id>": an API key id and a JWT subject may
 * be spelled alike) or, for an anonymous caller, a BLAKE2b digest of the
 * credentials it sent (Authorization, Proxy-Authorization, Cookie, X-API-Key)
 * ("h=<hex>"), or "anon" when it sent none: one caller's private data never
 * reaches another.
 *
 * Invalidation works on tags: every entry is tagged with its path; a write
 * removes the tags of its path and of the parent collection. */
#ifndef RL_POLICY_CACHEKEY_H
#define RL_POLICY_CACHEKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RL_CACHEKEY_MAX 8192 /* longer keys are not cached */
#define RL_CACHEKEY_MAX_PARAMS 256

/* Writes the normalized form of query `q` (without '?') into out (at least
 * len bytes). Returns its length. More than RL_CACHEKEY_MAX_PARAMS
 * parameters are kept in their order. */
size_t rl_cachekey_query(const char *q, size_t len, char *out);

/* A growing key in a caller's buffer (cap bytes); `len` > cap means it did
 * not fit (the request is then not cached). */
typedef struct rl_cachekey {
    char *buf;
    size_t cap, len;
} rl_cachekey_t;

void rl_cachekey_init(rl_cachekey_t *k, char *buf, size_t cap);
void rl_cachekey_add(rl_cachekey_t *k, const char *p, size_t n);
/* "GET " path ["?" normalized query] */
void rl_cachekey_target(rl_cachekey_t *k, const char *path, size_t plen, const char *q, size_t qlen);
/* "\n" name ":" value — one vary header (values of repeated headers are
 * added one call each, in order). */
void rl_cachekey_vary(rl_cachekey_t *k, const char *name, const char *value, size_t vlen);
/* The digest of an anonymous caller's credentials, as 32 hex characters. */
void rl_cachekey_creds_digest(const char *const *values, const size_t *lens, size_t n, char out[32]);

/* The request headers that say who is asking (lower case), digested into
 * an anonymous caller's key. */
#define RL_CACHEKEY_N_CREDS 4
extern const char *const rl_cachekey_creds[RL_CACHEKEY_N_CREDS];

/* Whether a response whose Vary is `vary` (all its header values joined by
 * ',') may be stored under a key built from the request headers `names`
 * (n_names, lower case) plus, when `by_caller`, who is asking: every member
 * must be one of `names`, or a credential header when `by_caller` (the key
 * then tells callers apart). "*" is never covered. An entry keyed without a
 * header its answer varies on would reach callers who sent another value
 * (RFC 9111 §4.1). */
bool rl_cache_vary_covered(const char *vary, size_t len, char *const *names, size_t n_names, bool by_caller);

/* The parent collection of `path`: "/v1/items/42" → "/v1/items" (a trailing
 * slash is ignored). Returns its length, 0 when there is none ("/", "/x"
 * has the parent "/"). */
size_t rl_cachekey_parent(const char *path, size_t len);

/* Whether a response may be stored and for how long: `status` must be
 * cacheable by default (RFC 9110 §15.1: 200 203 204 300 301 308 404 405 410
 * 414; never a 5xx); Cache-Control (all its header values joined by ',')
 * must not say no-store, private or no-cache; s-maxage, else max-age, else
 * Expires (`expires`, NULL when absent; an invalid date means already
 * expired, RFC 9111 §5.3) relative to `now_ms` shorten the route's ttl
 * (0 = do not store). Returns true and *ttl_ms. */
bool rl_cache_storable(int status, const char *cache_control, size_t cc_len, const char *expires,
                       size_t expires_len, uint64_t now_ms, uint64_t route_ttl_ms, uint64_t *ttl_ms);

#endif
