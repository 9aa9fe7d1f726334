/* reqid.c — request id validation and UUIDv7 generation, see reqid.h. */
#include "core/reqid.h"

bool rl_reqid_is_sane(const char *s, size_t len)
{
    if (len == 0 || len > RL_REQID_MAX) return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

/* `n` (even) hex digits of v, most significant first, a byte at a time
 * (snprintf would cost more than the rest of a cached request's
 * bookkeeping). */
static char *put_hex(char *o, uint64_t v, int n)
{
    static const char pairs[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
                                "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
                                "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
                                "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
                                "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
                                "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
                                "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
                                "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
    for (int i = n - 2; i >= 0; i -= 2, v >>= 8) {
        o[i] = pairs[2 * (v & 0xff)];
        o[i + 1] = pairs[2 * (v & 0xff) + 1];
    }
    return o + n;
}

size_t rl_reqid_uuid7(char *out, uint64_t now_ms, uint64_t rand_hi, uint64_t rand_lo)
{
    /* 48 bits time | 4 bits version 7 | 12 bits rand | 2 bits variant | 62 bits rand */
    uint64_t hi = (now_ms << 16) | 0x7000 | (rand_hi & 0x0FFF);
    uint64_t lo = (rand_lo & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;
    char *o = put_hex(out, hi >> 32, 8);
    *o++ = '-';
    o = put_hex(o, hi >> 16, 4);
    *o++ = '-';
    o = put_hex(o, hi, 4);
    *o++ = '-';
    o = put_hex(o, lo >> 48, 4);
    *o++ = '-';
    o = put_hex(o, lo, 12);
    *o = '\0';
    return RL_REQID_UUID_LEN;
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void rl_rng_seed(rl_rng_t *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t rl_rng_next(rl_rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}
