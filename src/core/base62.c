/* base62.c — base62 text, see base62.h. The conversions are the schoolbook
 * base change (quadratic in the length), fine for the ≤ 256 bytes used. */
#include "core/base62.h"

#include <sodium.h>
#include <string.h>

static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static int digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    if (c >= 'a' && c <= 'z') return c - 'a' + 36;
    return -1;
}

bool rl_base62_valid(const char *s, size_t len)
{
    /* no early exit and no table: a few operations per character (it runs
     * on every presented API key). c | 0x20 folds 'A'-'Z' onto 'a'-'z' and
     * nothing else onto them. */
    unsigned bad = len == 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        bad |= (unsigned)(c - '0') >= 10 && (unsigned)((c | 0x20) - 'a') >= 26;
    }
    return !bad;
}

int rl_base62_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
    uint8_t digits[RL_BASE62_ENCODED_MAX(256)];
    size_t zeros = 0, nd = 0;
    if (len > 256) return -1;
    while (zeros < len && in[zeros] == 0)
        zeros++;
    for (size_t i = zeros; i < len; i++) {
        unsigned carry = in[i];
        for (size_t j = 0; j < nd; j++) {
            carry += (unsigned)digits[j] << 8;
            digits[j] = (uint8_t)(carry % 62);
            carry /= 62;
        }
        while (carry > 0) {
            digits[nd++] = (uint8_t)(carry % 62);
            carry /= 62;
        }
    }
    if (zeros + nd + 1 > cap) return -1;
    size_t o = 0;
    for (size_t i = 0; i < zeros; i++)
        out[o++] = '0';
    for (size_t j = nd; j > 0; j--)
        out[o++] = alphabet[digits[j - 1]];
    out[o] = '\0';
    return (int)o;
}

int rl_base62_decode(const char *s, size_t len, uint8_t *out, size_t cap)
{
    uint8_t bytes[256];
    size_t zeros = 0, nb = 0;
    while (zeros < len && s[zeros] == '0')
        zeros++;
    for (size_t i = zeros; i < len; i++) {
        int d = digit(s[i]);
        if (d < 0) return -1;
        unsigned carry = (unsigned)d;
        for (size_t j = 0; j < nb; j++) {
            carry += (unsigned)bytes[j] * 62;
            bytes[j] = (uint8_t)(carry & 0xff);
            carry >>= 8;
        }
        while (carry > 0) {
            if (nb == sizeof(bytes)) return -1;
            bytes[nb++] = (uint8_t)(carry & 0xff);
            carry >>= 8;
        }
    }
    if (zeros + nb > cap) return -1;
    memset(out, 0, zeros);
    for (size_t j = 0; j < nb; j++)
        out[zeros + j] = bytes[nb - 1 - j];
    return (int)(zeros + nb);
}

void rl_base62_random(char *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[randombytes_uniform(62)];
    out[n] = '\0';
}
