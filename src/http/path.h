/* path.h — request-path normalization for routing, caching and forwarding
 * (RFC 3986 §6.2.2): dot segments are removed (§5.2.4), with %2e/%2E
 * counted as '.' so that "/files/%2e%2e/secret" cannot climb out of a
 * {rest*} prefix; percent-encoded unreserved characters (letters, digits,
 * "-._~") are decoded, so that "/v1/%69tems/%34%32" is "/v1/items/42" for
 * the router (no route's policies can be side-stepped by spelling its path
 * another way) and for the cache (one entry, one invalidation); any other
 * percent-encoding stays, its hex digits in upper case: "%2f" becomes "%2F",
 * "%20" stays "%20". A segment holding a '%' that starts no encoding is left
 * as it is. The upstream receives exactly the bytes that were routed.
 * Pure. */
#ifndef RL_HTTP_PATH_H
#define RL_HTTP_PATH_H

#include <stddef.h>

/* Normalizes `in` (len bytes, no query string) into `out`, which must have
 * room for len + 1 bytes. A path that does not start with '/' gets one.
 * Returns the output length (always ≥ 1). */
size_t rl_path_normalize(const char *in, size_t len, char *out);

/* True when `in` holds nothing to normalize (the common case, checked fast). */
int rl_path_is_normal(const char *in, size_t len);

#endif
