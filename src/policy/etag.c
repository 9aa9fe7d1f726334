/* etag.c — entity tags, see etag.h. */
#include "policy/etag.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;

static void init_sodium(void)
{
    if (sodium_init() < 0) abort();
}

void rl_etag_init(void)
{
    pthread_once(&sodium_once, init_sodium);
}

void rl_etag_compute(const void *body, size_t len, char out[RL_ETAG_LEN])
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    /* SipHash-2-4 with a fixed, public key: the tag must be the same on every
     * node, and it is no secret. A third of BLAKE2b's cost per byte; its 128
     * bits make an accidental collision as unlikely, and only whoever writes
     * the bodies could force one (and would only fool its own clients). */
    static const unsigned char key[crypto_shorthash_siphashx24_KEYBYTES] = "relais-etag-v1!";
    unsigned char h[crypto_shorthash_siphashx24_BYTES];
    _Static_assert(sizeof(h) == 16, "a 128-bit tag");
    rl_etag_init();
    crypto_shorthash_siphashx24(h, body, len, key);
    char *o = out;
    *o++ = '"';
    for (size_t i = 0; i < 16; i += 3) {
        unsigned v =
            (unsigned)h[i] << 16 | (i + 1 < 16 ? (unsigned)h[i + 1] << 8 : 0) | (i + 2 < 16 ? h[i + 2] : 0);
        *o++ = b64[(v >> 18) & 63];
        *o++ = b64[(v >> 12) & 63];
        if (i + 1 < 16) *o++ = b64[(v >> 6) & 63];
        if (i + 2 < 16) *o++ = b64[v & 63];
    }
    *o++ = '"';
}

/* etagc = %x21 / %x23-7E / obs-text */
static bool etagc(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c != 0x7f);
}

bool rl_etag_valid(const char *tag, size_t len)
{
    if (len >= 2 && tag[0] == 'W' && tag[1] == '/') tag += 2, len -= 2;
    if (len < 2 || tag[0] != '"' || tag[len - 1] != '"') return false;
    for (size_t i = 1; i + 1 < len; i++)
        if (!etagc((unsigned char)tag[i])) return false;
    return true;
}

static bool weak_of(const char **t, size_t *len)
{
    if (*len >= 2 && (*t)[0] == 'W' && (*t)[1] == '/') {
        *t += 2;
        *len -= 2;
        return true;
    }
    return false;
}

bool rl_etag_equal(const char *a, size_t alen, const char *b, size_t blen, bool weak)
{
    bool wa = weak_of(&a, &alen), wb = weak_of(&b, &blen);
    if (!weak && (wa || wb)) return false;
    return alen == blen && memcmp(a, b, alen) == 0;
}

static bool ows(char c)
{
    return c == ' ' || c == '\t';
}

bool rl_etag_list_match(const char *list, size_t len, const char *tag, size_t tag_len, bool weak)
{
    size_t i = 0;
    while (i < len && ows(list[i]))
        i++;
    size_t e = len;
    while (e > i && ows(list[e - 1]))
        e--;
    if (e - i == 1 && list[i] == '*') return tag != NULL;
    while (i < e) {
        while (i < e && (ows(list[i]) || list[i] == ','))
            i++;
        size_t s = i;
        if (i + 1 < e && list[i] == 'W' && list[i + 1] == '/') i += 2;
        if (i < e && list[i] == '"') {
            i++;
            while (i < e && list[i] != '"')
                i++;
            if (i < e) i++;
        }
        size_t n = i - s;
        if (n && tag && rl_etag_valid(list + s, n) && rl_etag_equal(list + s, n, tag, tag_len, weak))
            return true;
        while (i < e && list[i] != ',') /* skip a malformed member */
            i++;
    }
    return false;
}
