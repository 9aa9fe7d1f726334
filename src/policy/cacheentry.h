/* cacheentry.h — one cached response as bytes, the value stored through
 * shared/shared.h: status, headers, entity-tag, time stored, body. Pure.
 *
 * Layout (little-endian): "RLC2", u16 status (| 0x8000 when the tag is
 * relais' own rather than the upstream's), u16 n_headers, u64 stored_ms,
 * u16 etag_len, u32 body_len, then per header u16 name_len, u32 value_len,
 * u8 hint, name, value; then the tag, then the body. */
#ifndef RL_POLICY_CACHEENTRY_H
#define RL_POLICY_CACHEENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RL_CACHEENTRY_MAX_HEADERS 100

typedef struct rl_centry_hdr {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
    /* The writer's note on the name, kept as it is (the cache uses 1 + the
     * index of h2o's token, checked against the name before use); 0 = none. */
    unsigned char hint;
} rl_centry_hdr_t;

typedef struct rl_centry {
    int status;
    uint64_t stored_ms;
    const char *etag; /* NULL when none */
    bool own_etag;    /* computed by relais (the upstream sent none) */
    size_t etag_len;
    const rl_centry_hdr_t *headers;
    size_t n_headers;
    const char *body;
    size_t body_len;
} rl_centry_t;

/* Bytes rl_centry_encode needs for `e`; 0 when it cannot be encoded (too
 * many headers, a part too long). */
size_t rl_centry_size(const rl_centry_t *e);

/* Encodes `e` into out (rl_centry_size(e) bytes). */
void rl_centry_encode(const rl_centry_t *e, char *out);

/* Decodes `p` into `e`, its headers into hdrs (cap entries); every pointer
 * points into `p`. Returns 0, or -1 when `p` is not a whole entry. */
int rl_centry_decode(const char *p, size_t len, rl_centry_t *e, rl_centry_hdr_t *hdrs, size_t cap);

#endif
