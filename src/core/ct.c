/* ct.c — constant-time secret comparison, see ct.h. */
#include "core/ct.h"

#include <openssl/crypto.h>

#include "core/sha256.h"

bool rl_ct_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    uint8_t ha[RL_SHA256_LEN], hb[RL_SHA256_LEN];
    rl_sha256(a, alen, ha);
    rl_sha256(b, blen, hb);
    return CRYPTO_memcmp(ha, hb, sizeof(ha)) == 0;
}
