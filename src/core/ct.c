/* ct.c — constant-time secret comparison, see ct.h. */
#include "core/ct.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

bool rl_ct_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    unsigned char ha[SHA256_DIGEST_LENGTH], hb[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)a, alen, ha);
    SHA256((const unsigned char *)b, blen, hb);
    return CRYPTO_memcmp(ha, hb, sizeof(ha)) == 0;
}
