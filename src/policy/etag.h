/* etag.h — entity tags (RFC 9110 §8.8.3) and the conditional headers that
 * compare them (§13.1.1 If-Match, §13.1.2 If-None-Match). Pure.
 *
 * relais' own tags are strong: a quoted base64url SipHash-2-4-128 of the
 * body under a fixed key ("\"q1uM0f…\"", 24 bytes), so equal bodies give
 * equal tags on every node.
 *
 * Comparison: strong = both tags strong and their opaque parts equal; weak =
 * opaque parts equal, W/ ignored. If-None-Match uses the weak comparison,
 * If-Match the strong one. */
#ifndef RL_POLICY_ETAG_H
#define RL_POLICY_ETAG_H

#include <stdbool.h>
#include <stddef.h>

#define RL_ETAG_LEN 24 /* '"' + 22 base64url + '"' */

/* Initializes libsodium once (idempotent, thread-safe); the hashing
 * functions here and in cachekey.c call it. */
void rl_etag_init(void);

/* Writes the strong tag of `body` into out (RL_ETAG_LEN bytes, no NUL). */
void rl_etag_compute(const void *body, size_t len, char out[RL_ETAG_LEN]);

/* True when `tag` is one well-formed entity-tag: [W/]"<etagc*>". */
bool rl_etag_valid(const char *tag, size_t len);

/* Compares two entity-tags. */
bool rl_etag_equal(const char *a, size_t alen, const char *b, size_t blen, bool weak);

/* Evaluates one header value of If-Match or If-None-Match: "*" or a
 * comma-separated list of entity-tags (malformed members are ignored).
 * Returns true when it names `tag` (`tag` NULL: no current representation,
 * so only "*" could match and does not); "*" matches any existing tag. */
bool rl_etag_list_match(const char *list, size_t len, const char *tag, size_t tag_len, bool weak);

#endif
