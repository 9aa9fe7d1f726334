/* cacheentry.c — a cached response as bytes, see cacheentry.h. */
#include "policy/cacheentry.h"

#include <endian.h>
#include <string.h>

#define FIXED 22     /* magic 4, status 2, n 2, stored 8, etag 2, body 4 */
#define PER_HEADER 7 /* name_len 2, value_len 4, hint 1 */

static char *put(char *o, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        *o++ = (char)(v >> (8 * i));
    return o;
}

static uint64_t get(const char *p, int n)
{
    unsigned char b[8] = {0};
    uint64_t v;
    memcpy(b, p, (size_t)n);
    memcpy(&v, b, sizeof(v));
    return le64toh(v);
}

size_t rl_centry_size(const rl_centry_t *e)
{
    size_t n = FIXED + e->etag_len + e->body_len;
    if (e->n_headers > RL_CACHEENTRY_MAX_HEADERS || e->etag_len > 0xffff || e->body_len > 0xffffffffu ||
        e->status < 100 || e->status > 999)
        return 0;
    for (size_t i = 0; i < e->n_headers; i++) {
        const rl_centry_hdr_t *h = &e->headers[i];
        if (h->name_len > 0xffff || h->value_len > 0xffffffffu) return 0;
        n += PER_HEADER + h->name_len + h->value_len;
    }
    return n;
}

void rl_centry_encode(const rl_centry_t *e, char *o)
{
    memcpy(o, "RLC2", 4);
    o = put(o + 4, (uint64_t)e->status | (e->own_etag ? 0x8000u : 0), 2);
    o = put(o, e->n_headers, 2);
    o = put(o, e->stored_ms, 8);
    o = put(o, e->etag_len, 2);
    o = put(o, e->body_len, 4);
    for (size_t i = 0; i < e->n_headers; i++) {
        const rl_centry_hdr_t *h = &e->headers[i];
        o = put(o, h->name_len, 2);
        o = put(o, h->value_len, 4);
        *o++ = (char)h->hint;
        memcpy(o, h->name, h->name_len);
        memcpy(o + h->name_len, h->value, h->value_len);
        o += h->name_len + h->value_len;
    }
    if (e->etag_len) memcpy(o, e->etag, e->etag_len);
    if (e->body_len) memcpy(o + e->etag_len, e->body, e->body_len);
}

int rl_centry_decode(const char *p, size_t len, rl_centry_t *e, rl_centry_hdr_t *hdrs, size_t cap)
{
    if (len < FIXED || memcmp(p, "RLC2", 4) != 0) return -1;
    uint64_t status = get(p + 4, 2);
    *e = (rl_centry_t){
        .status = (int)(status & 0x7fff), .own_etag = (status & 0x8000) != 0, .stored_ms = get(p + 8, 8)};
    size_t n = get(p + 6, 2), etag_len = get(p + 16, 2), body_len = get(p + 18, 4), off = FIXED;
    if (n > cap) return -1;
    for (size_t i = 0; i < n; i++) {
        if (len - off < PER_HEADER) return -1;
        size_t nl = get(p + off, 2), vl = get(p + off + 2, 4);
        unsigned char hint = (unsigned char)p[off + 6];
        off += PER_HEADER;
        if (len - off < nl || len - off - nl < vl) return -1;
        hdrs[i] = (rl_centry_hdr_t){p + off, nl, p + off + nl, vl, hint};
        off += nl + vl;
    }
    if (len - off != etag_len + body_len) return -1;
    e->headers = hdrs;
    e->n_headers = n;
    e->etag = etag_len ? p + off : NULL;
    e->etag_len = etag_len;
    e->body = p + off + etag_len;
    e->body_len = body_len;
    return 0;
}
