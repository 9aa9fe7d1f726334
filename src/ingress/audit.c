/* audit.c — audit record hashing and chain verification, see audit.h. */
#include "ingress/audit.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cidr.h"
#include "core/hex.h"
#include "core/jsonw.h"
#include "core/sha256.h"

void rl_audit_ip_prefix(const char *ip, char *out, size_t cap)
{
    rl_ip_t a;
    out[0] = '\0';
    if (ip == NULL || cap < RL_AUDIT_PREFIX_MAX || rl_ip_parse(ip, strlen(ip), &a) != 0) return;
    bool v4 = rl_ip_is_v4(&a);
    memset(a.b + (v4 ? 15 : 6), 0, v4 ? 1 : 10); /* the /24 or the /48 */
    size_t n = rl_ip_format(&a, out, cap - 4);
    memcpy(out + n, v4 ? "/24" : "/48", 4);
}

/* The keyed BLAKE2b state for `key`, cached per thread (the config's
 * secret_key rarely changes), so that a record's digest costs one
 * compression. BLAKE2b takes 16 to 64 key bytes and secret_key may be any
 * length: the key is BLAKE2b-256(secret_key), none when it is empty. */
#define KEY_CACHE_MAX 128
enum { KEY_UNCACHED = -1, KEY_NEW = 0, KEY_SAME = 1 };

/* Fills *out; says whether the key is the one cached before (KEY_SAME), is
 * cached now (KEY_NEW), or too long to cache (KEY_UNCACHED). */
static int keyed_state(const char *key, size_t key_len, crypto_generichash_state *out)
{
    static _Thread_local struct {
        bool set;
        size_t len;
        char key[KEY_CACHE_MAX];
        crypto_generichash_state st;
    } cache;
    if (cache.set && cache.len == key_len && key_len <= KEY_CACHE_MAX &&
        (key_len == 0 || memcmp(cache.key, key, key_len) == 0)) { /* both are our config: no timing to hide */
        *out = cache.st;
        return KEY_SAME;
    }
    unsigned char k[crypto_generichash_BYTES];
    if (key_len > 0) crypto_generichash(k, sizeof(k), (const unsigned char *)key, key_len, NULL, 0);
    crypto_generichash_init(out, key_len ? k : NULL, key_len ? sizeof(k) : 0, crypto_generichash_BYTES);
    sodium_memzero(k, sizeof(k));
    if (key_len <= KEY_CACHE_MAX) {
        if (key_len) memcpy(cache.key, key, key_len);
        cache.len = key_len;
        cache.st = *out;
        cache.set = true;
        return KEY_NEW;
    }
    return KEY_UNCACHED;
}

void rl_audit_ip_digest(const char *key, size_t key_len, const char *ip, char *out)
{
    /* the last address this thread digested under the cached key: a client
     * sends many requests from one address */
    static _Thread_local struct {
        bool set;
        char ip[64];
        char hex[2 * crypto_generichash_BYTES + 1];
    } last;
    unsigned char md[crypto_generichash_BYTES];
    crypto_generichash_state st;
    int k = keyed_state(key, key_len, &st);
    if (ip == NULL) ip = ""; /* libsodium wants a pointer even for 0 bytes */
    size_t n = strlen(ip);
    if (k == KEY_SAME && last.set && n < sizeof(last.ip) && memcmp(last.ip, ip, n + 1) == 0) {
        memcpy(out, last.hex, sizeof(last.hex));
        return;
    }
    crypto_generichash_update(&st, (const unsigned char *)ip, n);
    crypto_generichash_final(&st, md, sizeof(md));
    out[rl_hex_encode(md, sizeof(md), out)] = '\0';
    last.set = k != KEY_UNCACHED && n < sizeof(last.ip);
    if (last.set) {
        memcpy(last.ip, ip, n + 1);
        memcpy(last.hex, out, sizeof(last.hex));
    }
}

/* The canonical form is assembled in one buffer and hashed in one call. */
typedef struct canon {
    char *p;
    size_t len;
} canon_t;

static void put_raw(canon_t *c, const char *s, size_t n)
{
    memcpy(c->p + c->len, s, n);
    c->len += n;
}

/* "<len>:<s>\n", or "~\n" for NULL. */
static void put_str(canon_t *c, const char *s)
{
    if (s == NULL) {
        put_raw(c, "~\n", 2);
        return;
    }
    size_t n = strlen(s);
    c->len += rl_fmt_u64(c->p + c->len, n);
    c->p[c->len++] = ':';
    put_raw(c, s, n);
    c->p[c->len++] = '\n';
}

static void put_int(canon_t *c, int64_t v)
{
    char num[RL_FMT_U64_MAX + 2];
    size_t n = 0;
    if (v < 0) num[n++] = '-';
    n += rl_fmt_u64(num + n, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
    num[n] = '\0';
    put_str(c, num);
}

void rl_audit_row_hash(const rl_store_audit_row_t *r, char *out)
{
    static const char magic[] = "relais-audit-v1\n";
    const char *strs[] = {r->prev_hash,     r->request_id,  r->consumer,   r->route, r->action,
                          r->resource_type, r->resource_id, r->method,     r->path,  r->ip_prefix,
                          r->ip_digest,     r->user_agent,  r->body_sha256};
    size_t need = sizeof(magic) + 3 * (RL_FMT_U64_MAX + 4);
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        need += (strs[i] ? strlen(strs[i]) : 0) + RL_FMT_U64_MAX + 2;
    char stack[2048];
    canon_t c = {need <= sizeof(stack) ? stack : malloc(need), 0};
    if (c.p == NULL) abort();
    put_raw(&c, magic, sizeof(magic) - 1);
    put_str(&c, r->prev_hash);
    put_int(&c, r->ts_ms);
    put_str(&c, r->request_id);
    put_str(&c, r->consumer);
    put_str(&c, r->route);
    put_str(&c, r->action);
    put_str(&c, r->resource_type);
    put_str(&c, r->resource_id);
    put_str(&c, r->method);
    put_str(&c, r->path);
    put_int(&c, r->status);
    put_str(&c, r->ip_prefix);
    put_str(&c, r->ip_digest);
    put_str(&c, r->user_agent);
    put_str(&c, r->body_sha256);
    put_int(&c, r->duration_us);
    uint8_t md[RL_SHA256_LEN];
    rl_sha256(c.p, c.len, md);
    if (c.p != stack) free(c.p);
    out[rl_hex_encode(md, sizeof(md), out)] = '\0';
}

void rl_audit_chain(rl_store_audit_row_t *row, char *prev_hash)
{
    memcpy(row->prev_hash, prev_hash, RL_STORE_HEX_LEN + 1);
    rl_audit_row_hash(row, row->hash);
    memcpy(prev_hash, row->hash, RL_STORE_HEX_LEN + 1);
}

/* ---- verification ---- */

void rl_audit_verify_init(rl_audit_verifier_t *v, const char *start_hash, const char *key, size_t key_len)
{
    memset(v, 0, sizeof(*v));
    snprintf(v->last, sizeof(v->last), "%s", start_hash);
    v->before[0] = '\0';
    v->key = key;
    v->key_len = key_len;
}

/* Records the problem: "row <seq> <what>". */
static rl_audit_problem_t report(rl_audit_verifier_t *v, rl_audit_problem_t p, int64_t seq, const char *what)
{
    v->problem = p;
    v->problem_seq = seq;
    snprintf(v->message, sizeof(v->message), "row %lld %s", (long long)seq, what);
    return p;
}

/* client_ip must be ip_prefix (anonymized) or an address inside it. */
static bool ip_consistent(const rl_audit_verifier_t *v, const rl_store_audit_row_t *r)
{
    char prefix[RL_AUDIT_PREFIX_MAX], digest[RL_STORE_HEX_LEN + 1];
    const char *ip = r->client_ip ? r->client_ip : "", *want = r->ip_prefix ? r->ip_prefix : "";
    if (strcmp(ip, want) == 0) return true;
    rl_audit_ip_prefix(ip, prefix, sizeof(prefix));
    if (strcmp(prefix, want) != 0) return false;
    if (v->key == NULL) return true;
    rl_audit_ip_digest(v->key, v->key_len, ip, digest);
    return r->ip_digest != NULL && strcmp(digest, r->ip_digest) == 0;
}

static void accept_row(rl_audit_verifier_t *v, int64_t seq, const char *hash)
{
    memcpy(v->before, v->last, sizeof(v->before));
    snprintf(v->last, sizeof(v->last), "%s", hash);
    v->last_seq = seq;
}

rl_audit_problem_t rl_audit_verify_row(rl_audit_verifier_t *v, const rl_store_audit_row_t *r)
{
    char h[RL_STORE_HEX_LEN + 1];
    if (v->problem != RL_AUDIT_FINE) return v->problem;
    v->rows++;
    if (v->have_suspect) {
        /* the suspect's own hash failed: if this row links over it, it was inserted */
        if (strcmp(r->prev_hash, v->last) == 0)
            return report(v, RL_AUDIT_INSERTED, v->suspect_seq, "was inserted (it is not in the chain)");
        return report(v, RL_AUDIT_MODIFIED, v->suspect_seq, "was modified (its hash does not match)");
    }
    rl_audit_row_hash(r, h);
    bool hash_ok = strcmp(h, r->hash) == 0 && ip_consistent(v, r);
    bool link_ok = strcmp(r->prev_hash, v->last) == 0;
    if (hash_ok && link_ok) {
        accept_row(v, r->seq, r->hash);
        return RL_AUDIT_FINE;
    }
    if (!hash_ok) {
        v->have_suspect = true;
        v->suspect_seq = r->seq;
        snprintf(v->suspect_hash, sizeof(v->suspect_hash), "%s", r->hash);
        return RL_AUDIT_FINE;
    }
    /* the row is intact but does not link to the last good one */
    if (v->last_seq != 0 && v->before[0] && strcmp(r->prev_hash, v->before) == 0)
        return report(v, RL_AUDIT_INSERTED, v->last_seq, "was inserted (it is not in the chain)");
    if (v->last_seq != 0 && r->seq == v->last_seq + 1)
        return report(v, RL_AUDIT_MODIFIED, v->last_seq,
                      "was modified (its hash was rewritten; the next row does not link to it)");
    if (v->last_seq == 0)
        return report(v, RL_AUDIT_DELETED, r->seq,
                      "follows deleted rows (it does not link to the start of the chain)");
    char what[112];
    snprintf(what, sizeof(what), "follows a deleted row (a row before it was deleted, after row %lld)",
             (long long)v->last_seq);
    return report(v, RL_AUDIT_DELETED, r->seq, what);
}

rl_audit_problem_t rl_audit_verify_end(rl_audit_verifier_t *v)
{
    if (v->problem == RL_AUDIT_FINE && v->have_suspect)
        report(v, RL_AUDIT_MODIFIED, v->suspect_seq, "was modified (its hash does not match)");
    return v->problem;
}
