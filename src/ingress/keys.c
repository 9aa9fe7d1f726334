/* keys.c — API key format, generation and verification, see keys.h. */
#include "ingress/keys.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/base62.h"
#include "core/sha256.h"

#define SECRET_MIN 20
#define SECRET_MAX 128

int rl_key_parse(const char *s, size_t len, const char **id, const char **secret, size_t *secret_len)
{
    if (len < 3 + RL_KEY_ID_LEN + 1 + SECRET_MIN || len > 3 + RL_KEY_ID_LEN + 1 + SECRET_MAX) return -1;
    if (memcmp(s, "rk_", 3) != 0 || s[3 + RL_KEY_ID_LEN] != '_') return -1;
    const char *sec = s + 3 + RL_KEY_ID_LEN + 1;
    size_t sl = len - (size_t)(sec - s);
    if (!rl_base62_valid(s + 3, RL_KEY_ID_LEN) || !rl_base62_valid(sec, sl)) return -1;
    *id = s + 3;
    *secret = sec;
    *secret_len = sl;
    return 0;
}

void rl_key_hash_secret(const char *secret, size_t len, uint8_t out[RL_STORE_HASH_LEN])
{
    _Static_assert(RL_STORE_HASH_LEN == RL_SHA256_LEN, "a SHA-256");
    rl_sha256(secret, len, out);
}

void rl_key_regenerate(const char *id, char *key, uint8_t hash[RL_STORE_HASH_LEN])
{
    char secret[RL_KEY_SECRET_LEN + 1];
    if (sodium_init() < 0) abort();
    rl_base62_random(secret, RL_KEY_SECRET_LEN);
    snprintf(key, RL_KEY_LEN + 1, "rk_%.*s_%s", RL_KEY_ID_LEN, id, secret);
    rl_key_hash_secret(secret, RL_KEY_SECRET_LEN, hash);
    sodium_memzero(secret, sizeof(secret));
}

void rl_key_generate(char *id, char *key, uint8_t hash[RL_STORE_HASH_LEN])
{
    if (sodium_init() < 0) abort();
    rl_base62_random(id, RL_KEY_ID_LEN);
    rl_key_regenerate(id, key, hash);
}

/* The verdict once the hash comparisons are known. */
static rl_key_verdict_t verdict(const rl_store_key_row_t *k, int cur, int prev, int64_t now_ms)
{
    if (k->revoked_at_ms != 0 && k->revoked_at_ms <= now_ms) return RL_KEY_REVOKED;
    if (k->expires_at_ms != 0 && now_ms >= k->expires_at_ms) return RL_KEY_EXPIRED;
    if (cur) return RL_KEY_VALID;
    if (prev && k->prev_until_ms != 0 && now_ms < k->prev_until_ms) return RL_KEY_VALID;
    return RL_KEY_WRONG_SECRET;
}

/* Compares secret's hash with both stored hashes (both, always). */
static void compare(const rl_store_key_row_t *k, const char *secret, size_t secret_len, int *cur, int *prev)
{
    uint8_t h[RL_STORE_HASH_LEN];
    rl_key_hash_secret(secret, secret_len, h);
    *cur = sodium_memcmp(h, k->secret_hash, sizeof(h)) == 0;
    *prev = sodium_memcmp(h, k->prev_hash, sizeof(h)) == 0;
}

rl_key_verdict_t rl_key_verify(const rl_store_key_row_t *k, const char *secret, size_t secret_len,
                               int64_t now_ms)
{
    int cur, prev;
    compare(k, secret, secret_len, &cur, &prev);
    return verdict(k, cur, prev, now_ms);
}

static uint8_t memo_key[crypto_shorthash_siphashx24_KEYBYTES];
static pthread_once_t memo_once = PTHREAD_ONCE_INIT;

static void memo_init(void)
{
    if (sodium_init() < 0) abort();
    randombytes_buf(memo_key, sizeof(memo_key));
}

rl_key_verdict_t rl_key_verify_memo(const rl_store_key_row_t *k, rl_key_memo_t *m, const char *secret,
                                    size_t secret_len, int64_t now_ms)
{
    _Static_assert(sizeof(m->tag) == crypto_shorthash_siphashx24_BYTES, "a SipHash-128 tag");
    uint8_t tag[crypto_shorthash_siphashx24_BYTES];
    int cur, prev;
    pthread_once(&memo_once, memo_init);
    crypto_shorthash_siphashx24(tag, (const unsigned char *)secret, secret_len, memo_key);
    if (m->set && sodium_memcmp(tag, m->tag, sizeof(tag)) == 0) return verdict(k, 1, 0, now_ms);
    compare(k, secret, secret_len, &cur, &prev);
    if (cur) {
        memcpy(m->tag, tag, sizeof(tag));
        m->set = true;
    }
    return verdict(k, cur, prev, now_ms);
}

const char *rl_key_cidr_check(const char *s)
{
    char addr[INET6_ADDRSTRLEN + 1];
    unsigned char buf[sizeof(struct in6_addr)];
    const char *slash = strchr(s, '/');
    size_t alen = slash ? (size_t)(slash - s) : strlen(s);
    if (alen == 0 || alen >= sizeof(addr)) return "not an IP address";
    memcpy(addr, s, alen);
    addr[alen] = '\0';
    int v6 = strchr(addr, ':') != NULL;
    if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, buf) != 1) return "not an IP address";
    if (slash == NULL) return NULL;
    const char *p = slash + 1;
    if (*p == '\0' || strlen(p) > 3 || strspn(p, "0123456789") != strlen(p)) return "bad prefix length";
    if (p[0] == '0' && p[1] != '\0') return "bad prefix length";
    int bits = atoi(p);
    if (bits > (v6 ? 128 : 32)) return v6 ? "prefix longer than 128" : "prefix longer than 32";
    return NULL;
}

/* Appends item [b, e) to out (cap RL_KEY_MAX_FIELD). */
static int add_item(char *out, size_t *o, const char *b, const char *e, bool cidrs, rl_err_t *err)
{
    char item[RL_KEY_MAX_FIELD];
    size_t n = (size_t)(e - b);
    if (n >= sizeof(item)) return rl_err_set(err, RL_EBAD_REQUEST, "item too long");
    memcpy(item, b, n);
    item[n] = '\0';
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)item[i] < 0x21 || item[i] == 0x7f || item[i] == '"' || item[i] == '\\')
            return rl_err_set(err, RL_EBAD_REQUEST, "'%.64s' contains a space, quote or control character",
                              item);
    const char *why = cidrs ? rl_key_cidr_check(item) : NULL;
    if (why) return rl_err_set(err, RL_EBAD_REQUEST, "'%.64s' is not a CIDR: %s", item, why);
    if (*o + n + 2 > RL_KEY_MAX_FIELD) return rl_err_set(err, RL_EBAD_REQUEST, "list too long");
    if (*o) out[(*o)++] = ',';
    memcpy(out + *o, item, n);
    *o += n;
    out[*o] = '\0';
    return 0;
}

int rl_key_list_normalize(const char *in, bool cidrs, char **out, rl_err_t *err)
{
    char buf[RL_KEY_MAX_FIELD];
    size_t o = 0, count = 0;
    int rc;
    buf[0] = '\0';
    *out = NULL;
    for (const char *p = in ? in : ""; *p;) {
        const char *e = strchr(p, ',');
        if (e == NULL) e = p + strlen(p);
        const char *b = p, *t = e;
        while (b < t && isspace((unsigned char)*b))
            b++;
        while (t > b && isspace((unsigned char)t[-1]))
            t--;
        if (b < t) {
            if (++count > RL_KEY_MAX_LIST)
                return rl_err_set(err, RL_EBAD_REQUEST, "more than %d items", RL_KEY_MAX_LIST);
            if ((rc = add_item(buf, &o, b, t, cidrs, err)) != 0) return rc;
        }
        p = *e ? e + 1 : e;
    }
    *out = strdup(buf);
    return *out ? 0 : rl_err_set(err, RL_EINTERNAL, "out of memory");
}
