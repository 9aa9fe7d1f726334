/* sigv4.c — AWS Signature Version 4, see sigv4.h for the algorithm.
 * Strings are built in a small growable buffer; any allocation failure
 * poisons it and the public functions return -1. */
#include "upstream/sigv4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/hex.h"
#include "core/sha256.h"

#define MAX_HEADERS 64

typedef struct sb {
    char *p;
    size_t len, cap;
    int oom;
} sb_t;

static void sb_put(sb_t *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->oom = 1;
            return;
        }
        b->p = p, b->cap = cap;
    }
    if (n) memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(sb_t *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

static void sb_char(sb_t *b, char c)
{
    sb_put(b, &c, 1);
}

/* Takes the string out of `b`, or frees it and returns NULL after an OOM. */
static char *sb_take(sb_t *b)
{
    if (b->oom || b->p == NULL) {
        free(b->p);
        return NULL;
    }
    return b->p;
}

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

static void sb_encode(sb_t *b, const char *s, size_t n, int keep_slash)
{
    static const char hexd[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || (keep_slash && c == '/')) {
            sb_char(b, (char)c);
        } else {
            char e[3] = {'%', hexd[c >> 4], hexd[c & 15]};
            sb_put(b, e, 3);
        }
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decodes s into a malloc'd buffer (an invalid escape stays as is). */
static char *decode(const char *s, size_t n, size_t *out_n)
{
    char *d = malloc(n + 1);
    size_t j = 0;
    if (d == NULL) return NULL;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n && (hi = hexval(s[i + 1])) >= 0 && (lo = hexval(s[i + 2])) >= 0) {
            d[j++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            d[j++] = s[i];
        }
    }
    d[j] = '\0';
    *out_n = j;
    return d;
}

/* RFC 3986 remove_dot_segments plus collapsing of empty segments, on a path
 * that starts with '/'. Writes the result to `b`. */
static void normalized_path(sb_t *out, const char *p, size_t n)
{
    size_t *seg = malloc((n + 1) * sizeof(size_t)), *seg_len = malloc((n + 1) * sizeof(size_t));
    size_t k = 0;
    if (seg == NULL || seg_len == NULL) {
        out->oom = 1;
        goto out;
    }
    int trailing = n > 0 && p[n - 1] == '/';
    for (size_t i = 0; i < n;) {
        while (i < n && p[i] == '/')
            i++;
        size_t s = i;
        while (i < n && p[i] != '/')
            i++;
        size_t len = i - s;
        if (len == 0 || (len == 1 && p[s] == '.')) {
            if (i >= n && len == 1) trailing = 1;
            continue;
        }
        if (len == 2 && p[s] == '.' && p[s + 1] == '.') {
            if (k > 0) k--;
            if (i >= n) trailing = 1;
            continue;
        }
        seg[k] = s, seg_len[k] = len, k++;
    }
    for (size_t i = 0; i < k; i++) {
        sb_char(out, '/');
        sb_encode(out, p + seg[i], seg_len[i], 0);
    }
    if (k == 0 || trailing) sb_char(out, '/');
out:
    free(seg);
    free(seg_len);
}

static void canonical_uri(sb_t *b, const rl_sigv4_req_t *r)
{
    if (r->path_len == 0) {
        sb_char(b, '/');
        return;
    }
    if (!r->s3) {
        normalized_path(b, r->path, r->path_len);
        return;
    }
    size_t n;
    char *d = decode(r->path, r->path_len, &n);
    if (d == NULL) {
        b->oom = 1;
        return;
    }
    sb_encode(b, d, n, 1);
    free(d);
}

typedef struct param {
    char *enc; /* "name=value", both encoded */
    size_t name_len;
} param_t;

static int cmp_param(const void *a, const void *b)
{
    const param_t *x = a, *y = b;
    size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
    int d = memcmp(x->enc, y->enc, n);
    if (d) return d;
    if (x->name_len != y->name_len) return x->name_len < y->name_len ? -1 : 1;
    return strcmp(x->enc + x->name_len, y->enc + y->name_len);
}

/* One parameter "a=b" of the query, decoded then encoded. */
static int encode_param(const char *s, size_t n, param_t *out)
{
    const char *eq = memchr(s, '=', n);
    size_t kn = eq ? (size_t)(eq - s) : n, dn;
    sb_t b = {0};
    char *d = decode(s, kn, &dn);
    if (d == NULL) return -1;
    sb_encode(&b, d, dn, 0);
    free(d);
    out->name_len = b.len;
    sb_char(&b, '=');
    if (eq) {
        d = decode(eq + 1, n - kn - 1, &dn);
        if (d == NULL)
            b.oom = 1;
        else
            sb_encode(&b, d, dn, 0);
        free(d);
    }
    out->enc = sb_take(&b);
    return out->enc ? 0 : -1;
}

static void canonical_query(sb_t *b, const char *q, size_t n)
{
    size_t count = 0, k = 0;
    for (size_t i = 0; i < n; i++)
        count += q[i] == '&';
    param_t *v = calloc(count + 1, sizeof(param_t));
    if (v == NULL) {
        b->oom = 1;
        return;
    }
    for (size_t i = 0; i <= n;) {
        const char *amp = memchr(q + i, '&', n - i);
        size_t e = amp ? (size_t)(amp - q) : n;
        if (e > i && encode_param(q + i, e - i, &v[k++]) < 0) b->oom = 1;
        i = e + 1;
    }
    if (!b->oom) qsort(v, k, sizeof(param_t), cmp_param);
    for (size_t i = 0; i < k; i++) {
        if (i) sb_char(b, '&');
        if (v[i].enc) sb_str(b, v[i].enc);
        free(v[i].enc);
    }
    free(v);
}

typedef struct hdr_ref {
    char name[128];
    size_t name_len, index;
    const rl_hdr_t *h;
} hdr_ref_t;

static int cmp_hdr(const void *a, const void *b)
{
    const hdr_ref_t *x = a, *y = b;
    int d = strcmp(x->name, y->name);
    return d ? d : (x->index < y->index ? -1 : x->index > y->index);
}

/* The value trimmed, with runs of spaces and tabs collapsed to one space. */
static void sb_trimmed(sb_t *b, const char *v, size_t n)
{
    size_t i = 0, e = n;
    while (i < e && (v[i] == ' ' || v[i] == '\t'))
        i++;
    while (e > i && (v[e - 1] == ' ' || v[e - 1] == '\t'))
        e--;
    for (; i < e; i++) {
        int space = v[i] == ' ' || v[i] == '\t';
        if (space && (v[i + 1] == ' ' || v[i + 1] == '\t')) continue;
        sb_char(b, space ? ' ' : v[i]);
    }
}

/* Sorted, lower-cased references to r's headers, or -1. */
static int sorted_headers(const rl_sigv4_req_t *r, hdr_ref_t *v)
{
    if (r->n_headers > MAX_HEADERS) return -1;
    for (size_t i = 0; i < r->n_headers; i++) {
        const rl_hdr_t *h = &r->headers[i];
        if (h->name_len == 0 || h->name_len >= sizeof(v[i].name)) return -1;
        for (size_t j = 0; j < h->name_len; j++) {
            char c = h->name[j];
            v[i].name[j] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
        }
        v[i].name[h->name_len] = '\0';
        v[i].name_len = h->name_len, v[i].index = i, v[i].h = h;
    }
    qsort(v, r->n_headers, sizeof(hdr_ref_t), cmp_hdr);
    return 0;
}

/* Canonical headers (each line ending in \n) to b and the signed list to s. */
static void canonical_headers(sb_t *b, sb_t *s, const hdr_ref_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int same = i > 0 && strcmp(v[i].name, v[i - 1].name) == 0;
        if (same) {
            sb_char(b, ',');
        } else {
            if (i > 0) sb_char(b, '\n');
            sb_str(b, v[i].name);
            sb_char(b, ':');
            if (s->len) sb_char(s, ';');
            sb_str(s, v[i].name);
        }
        sb_trimmed(b, v[i].h->value, v[i].h->value_len);
    }
    if (n) sb_char(b, '\n');
}

/* The canonical request into b and the signed headers list into signed_hdrs. */
static int build_canonical(const rl_sigv4_req_t *r, sb_t *b, sb_t *signed_hdrs)
{
    hdr_ref_t v[MAX_HEADERS];
    if (sorted_headers(r, v) < 0) return -1;
    sb_put(b, r->method, r->method_len);
    sb_char(b, '\n');
    canonical_uri(b, r);
    sb_char(b, '\n');
    canonical_query(b, r->query ? r->query : "", r->query ? r->query_len : 0);
    sb_char(b, '\n');
    canonical_headers(b, signed_hdrs, v, r->n_headers);
    sb_char(b, '\n');
    if (signed_hdrs->p) sb_str(b, signed_hdrs->p);
    sb_char(b, '\n');
    sb_str(b, r->payload_hash ? r->payload_hash : RL_SIGV4_EMPTY_SHA256);
    return b->oom || signed_hdrs->oom ? -1 : 0;
}

void rl_sigv4_sha256_hex(const void *p, size_t n, char out[65])
{
    uint8_t md[RL_SHA256_LEN];
    rl_sha256(p, n, md);
    out[rl_hex_encode(md, sizeof(md), out)] = '\0';
}

void rl_sigv4_amz_date(uint64_t now_ms, char out[17])
{
    time_t t = (time_t)(now_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

int rl_sigv4_canonical_request(const rl_sigv4_req_t *r, char **out)
{
    sb_t b = {0}, s = {0};
    int rc = build_canonical(r, &b, &s);
    free(s.p);
    if (rc < 0) {
        free(b.p);
        return -1;
    }
    *out = sb_take(&b);
    return *out ? 0 : -1;
}

static void hmac256(const void *key, size_t klen, const char *msg, size_t mlen, unsigned char out[32])
{
    unsigned int n = 32;
    HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, mlen, out, &n);
}

static int valid_date(const char *d)
{
    if (strlen(d) != 16 || d[8] != 'T' || d[15] != 'Z') return 0;
    for (int i = 0; i < 15; i++)
        if (i != 8 && (d[i] < '0' || d[i] > '9')) return 0;
    return 1;
}

/* Hex HMAC of the string to sign under the derived signing key. */
static void signature(const rl_sigv4_key_t *k, const char *amz_date, const char *sts, char out[65])
{
    unsigned char key[32], sig[32];
    size_t slen = strlen(k->secret_key);
    char *first = malloc(slen + 5);
    if (first == NULL) abort();
    memcpy(first, "AWS4", 4);
    memcpy(first + 4, k->secret_key, slen + 1);
    hmac256(first, slen + 4, amz_date, 8, key);
    OPENSSL_cleanse(first, slen + 4);
    free(first);
    hmac256(key, 32, k->region, strlen(k->region), key);
    hmac256(key, 32, k->service, strlen(k->service), key);
    hmac256(key, 32, "aws4_request", 12, key);
    hmac256(key, 32, sts, strlen(sts), sig);
    OPENSSL_cleanse(key, sizeof(key));
    out[rl_hex_encode(sig, sizeof(sig), out)] = '\0';
}

int rl_sigv4_sign(const rl_sigv4_req_t *r, const rl_sigv4_key_t *k, const char *amz_date, char **authz,
                  char **sts)
{
    sb_t canon = {0}, signed_hdrs = {0}, st = {0}, az = {0};
    char hash[65], sig[65];
    int rc = -1;
    if (!valid_date(amz_date) || build_canonical(r, &canon, &signed_hdrs) < 0) goto out;
    rl_sigv4_sha256_hex(canon.p, canon.len, hash);
    sb_str(&st, "AWS4-HMAC-SHA256\n");
    sb_str(&st, amz_date);
    sb_char(&st, '\n');
    size_t scope_at = st.len;
    sb_put(&st, amz_date, 8);
    sb_char(&st, '/');
    sb_str(&st, k->region);
    sb_char(&st, '/');
    sb_str(&st, k->service);
    sb_str(&st, "/aws4_request");
    size_t scope_end = st.len;
    sb_char(&st, '\n');
    sb_str(&st, hash);
    if (st.oom) goto out;
    signature(k, amz_date, st.p, sig);
    sb_str(&az, "AWS4-HMAC-SHA256 Credential=");
    sb_str(&az, k->access_key);
    sb_char(&az, '/');
    sb_put(&az, st.p + scope_at, scope_end - scope_at);
    sb_str(&az, ", SignedHeaders=");
    sb_str(&az, signed_hdrs.p ? signed_hdrs.p : "");
    sb_str(&az, ", Signature=");
    sb_str(&az, sig);
    if (az.oom) goto out;
    *authz = az.p;
    az.p = NULL;
    if (sts) {
        *sts = st.p;
        st.p = NULL;
    }
    rc = 0;
out:
    free(canon.p);
    free(signed_hdrs.p);
    free(st.p);
    free(az.p);
    return rc;
}
