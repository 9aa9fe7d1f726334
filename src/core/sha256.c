/* sha256.c — see sha256.h. */
#include "core/sha256.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static EVP_MD *md;            /* fetched once, never freed (process lifetime) */
static pthread_key_t ctx_key; /* each thread's EVP_MD_CTX, freed at thread exit */

static void free_ctx(void *c)
{
    EVP_MD_CTX_free(c);
}

static void init(void)
{
    md = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (md == NULL || pthread_key_create(&ctx_key, free_ctx) != 0) abort();
}

void rl_sha256(const void *p, size_t len, uint8_t out[RL_SHA256_LEN])
{
    pthread_once(&once, init);
    EVP_MD_CTX *c = pthread_getspecific(ctx_key);
    const EVP_MD *type = NULL; /* NULL: the context's digest again, without a provider lookup */
    if (c == NULL) {
        if ((c = EVP_MD_CTX_new()) == NULL || pthread_setspecific(ctx_key, c) != 0) abort();
        type = md;
    }
    unsigned int n = 0;
    if (EVP_DigestInit_ex(c, type, NULL) != 1) abort();
    if (len > 0 && EVP_DigestUpdate(c, p, len) != 1) abort();
    if (EVP_DigestFinal_ex(c, out, &n) != 1 || n != RL_SHA256_LEN) abort();
}
