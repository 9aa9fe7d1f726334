/* path.h — request-path normalization for routing and forwarding: RFC 3986
 * §5.2.4 dot-segment removal on the raw path, with %2e/%2E counted as '.'
 * so that "/files/%2e%2e/secret" cannot climb out of a {rest*} prefix.
 * Nothing else is decoded: "%2F" stays "%2F", "%20" stays "%20", and the
 * upstream receives exactly the bytes that were routed. Pure. */
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
