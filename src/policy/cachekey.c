/* cachekey.c — cache keys, tags and storability, see cachekey.h. */
#include "policy/cachekey.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <h2o/time_.h>

#include "core/hex.h"
#include "policy/etag.h"

typedef struct param {
    const char *p;
    size_t len, name_len;
} param_t;

/* Stable insertion sort by name: the lists are short (capped). */
static void sort_params(param_t *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        param_t x = v[i];
        size_t j = i;
        for (; j > 0; j--) {
            const param_t *y = &v[j - 1];
            size_t m = x.name_len < y->name_len ? x.name_len : y->name_len;
            int d = memcmp(y->p, x.p, m);
            if (d < 0 || (d == 0 && y->name_len <= x.name_len)) break;
            v[j] = v[j - 1];
        }
        v[j] = x;
    }
}

size_t rl_cachekey_query(const char *q, size_t len, char *out)
{
    param_t v[RL_CACHEKEY_MAX_PARAMS];
    size_t n = 0, i = 0, o = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && q[j] != '&')
            j++;
        if (j > i) {
            if (n == RL_CACHEKEY_MAX_PARAMS) { /* too many to sort: keep the query as it is */
                memcpy(out, q, len);
                return len;
            }
            const char *eq = memchr(q + i, '=', j - i);
            v[n++] = (param_t){q + i, j - i, eq ? (size_t)(eq - (q + i)) : j - i};
        }
        i = j + 1;
    }
    sort_params(v, n);
    for (size_t k = 0; k < n; k++) {
        if (k) out[o++] = '&';
        memcpy(out + o, v[k].p, v[k].len);
        o += v[k].len;
    }
    return o;
}

void rl_cachekey_init(rl_cachekey_t *k, char *buf, size_t cap)
{
    *k = (rl_cachekey_t){buf, cap, 0};
}

void rl_cachekey_add(rl_cachekey_t *k, const char *p, size_t n)
{
    if (k->len + n <= k->cap) memcpy(k->buf + k->len, p, n);
    k->len += n;
}

void rl_cachekey_target(rl_cachekey_t *k, const char *path, size_t plen, const char *q, size_t qlen)
{
    rl_cachekey_add(k, "GET ", 4);
    rl_cachekey_add(k, path, plen);
    if (qlen == 0) return;
    if (k->len + 1 + qlen > k->cap) {
        k->len += 1 + qlen;
        return;
    }
    size_t at = k->len + 1;
    size_t n = rl_cachekey_query(q, qlen, k->buf + at);
    if (n) {
        k->buf[k->len] = '?';
        k->len = at + n;
    }
}

void rl_cachekey_vary(rl_cachekey_t *k, const char *name, const char *value, size_t vlen)
{
    rl_cachekey_add(k, "\n", 1);
    rl_cachekey_add(k, name, strlen(name));
    rl_cachekey_add(k, ":", 1);
    rl_cachekey_add(k, value, vlen);
}

void rl_cachekey_creds_digest(const char *const *values, const size_t *lens, size_t n, char out[32])
{
    unsigned char h[16];
    crypto_generichash_state st;
    rl_etag_init();
    crypto_generichash_init(&st, NULL, 0, sizeof(h));
    for (size_t i = 0; i < n; i++) {
        unsigned char sep[9];
        uint64_t l = lens[i];
        memcpy(sep, &l, 8); /* length-prefixed, so that no two lists collide */
        sep[8] = (unsigned char)i;
        crypto_generichash_update(&st, sep, sizeof(sep));
        if (lens[i]) crypto_generichash_update(&st, (const unsigned char *)values[i], lens[i]);
    }
    crypto_generichash_final(&st, h, sizeof(h));
    rl_hex_encode(h, sizeof(h), out);
}

const char *const rl_cachekey_creds[RL_CACHEKEY_N_CREDS] = {"authorization", "proxy-authorization", "cookie",
                                                            "x-api-key"};

/* The next member of a comma-separated header list (RFC 9110 §5.6.1) from
 * *i on, without the whitespace around it, into *m and *n (never empty);
 * false when none is left. */
static bool list_next(const char *p, size_t len, size_t *i, const char **m, size_t *n)
{
    while (*i < len && (p[*i] == ' ' || p[*i] == '\t' || p[*i] == ','))
        (*i)++;
    if (*i >= len) return false;
    size_t s = *i, e;
    while (*i < len && p[*i] != ',')
        (*i)++;
    for (e = *i; e > s && (p[e - 1] == ' ' || p[e - 1] == '\t');)
        e--;
    *m = p + s;
    *n = e - s;
    return true;
}

static bool name_in(const char *m, size_t n, const char *const *names, size_t n_names)
{
    for (size_t i = 0; i < n_names; i++)
        if (strlen(names[i]) == n && strncasecmp(names[i], m, n) == 0) return true;
    return false;
}

bool rl_cache_vary_covered(const char *vary, size_t len, char *const *names, size_t n_names, bool by_caller)
{
    const char *m;
    size_t n;
    for (size_t i = 0; list_next(vary, len, &i, &m, &n);) {
        if (name_in(m, n, (const char *const *)names, n_names)) continue;
        if (by_caller && name_in(m, n, rl_cachekey_creds, RL_CACHEKEY_N_CREDS)) continue;
        return false; /* "*" included */
    }
    return true;
}

size_t rl_cachekey_parent(const char *path, size_t len)
{
    while (len > 1 && path[len - 1] == '/')
        len--;
    if (len <= 1) return 0;
    while (len > 0 && path[len - 1] != '/')
        len--;
    if (len > 1) len--; /* drop the slash, but keep "/" itself */
    return len;
}

static bool status_cacheable(int s)
{
    static const int ok[] = {200, 203, 204, 300, 301, 308, 404, 405, 410, 414};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (ok[i] == s) return true;
    return false;
}

/* The seconds of "name=N" (quotes allowed), or -1. */
static long long directive_seconds(const char *v, size_t n)
{
    long long x = 0;
    size_t i = 0;
    if (i < n && v[i] == '"') i++;
    size_t start = i;
    for (; i < n && v[i] >= '0' && v[i] <= '9'; i++)
        if ((x = x * 10 + (v[i] - '0')) > 100000000000LL) x = 100000000000LL;
    return i > start ? x : -1;
}

/* The milliseconds from now_ms to the HTTP-date `v`, 0 when it is past or
 * not a date. */
static uint64_t expires_in(const char *v, size_t n, uint64_t now_ms)
{
    struct tm tm;
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    while (n && (*v == ' ' || *v == '\t'))
        v++, n--;
    if (h2o_time_parse_rfc1123(v, n, &tm) != 0) return 0;
    time_t t = timegm(&tm);
    if (t <= 0 || (uint64_t)t * 1000 <= now_ms) return 0;
    return (uint64_t)t * 1000 - now_ms;
}

bool rl_cache_storable(int status, const char *cc, size_t len, const char *expires, size_t expires_len,
                       uint64_t now_ms, uint64_t route_ttl_ms, uint64_t *ttl_ms)
{
    long long max_age = -1, s_maxage = -1;
    if (!status_cacheable(status)) return false;
    const char *d;
    size_t dn;
    for (size_t i = 0; list_next(cc, len, &i, &d, &dn);) {
        const char *eq = memchr(d, '=', dn);
        size_t name_len = eq ? (size_t)(eq - d) : dn;
#define IS(word) (name_len == sizeof(word) - 1 && strncasecmp(d, word, name_len) == 0)
        if (IS("no-store") || IS("private") || IS("no-cache")) return false;
        if (IS("max-age") && eq) max_age = directive_seconds(eq + 1, dn - name_len - 1);
        if (IS("s-maxage") && eq) s_maxage = directive_seconds(eq + 1, dn - name_len - 1);
#undef IS
    }
    uint64_t ttl = route_ttl_ms;
    long long secs = s_maxage >= 0 ? s_maxage : max_age;
    if (secs >= 0 && (uint64_t)secs * 1000 < ttl) ttl = (uint64_t)secs * 1000;
    if (secs < 0 && expires != NULL) {
        uint64_t left = expires_in(expires, expires_len, now_ms);
        if (left < ttl) ttl = left;
    }
    *ttl_ms = ttl;
    return ttl > 0;
}
