/* oauth2_pool.c — per-worker token sources, see oauth2_pool.h. */
#include "upstream/oauth2_pool.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define FETCH_TIMEOUT_MS 10000

struct rl_oauth2_entry {
    struct rl_oauth2_entry *next;
    char *name;
    unsigned char fp[32]; /* which credentials: a digest, never the secret itself */
    rl_oauth2_t *src;
};

static void fingerprint(const rl_auth_cfg_t *a, unsigned char out[32])
{
    const char *parts[] = {a->oauth2.token_url, a->oauth2.client_id, a->oauth2.client_secret, a->oauth2.scope,
                           a->oauth2.audience};
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        EVP_DigestUpdate(ctx, parts[i] ? parts[i] : "", parts[i] ? strlen(parts[i]) + 1 : 1);
    EVP_DigestUpdate(ctx, &a->oauth2.client_auth, sizeof(a->oauth2.client_auth));
    EVP_DigestFinal_ex(ctx, out, NULL);
    EVP_MD_CTX_free(ctx);
}

rl_oauth2_t *rl_oauth2_for(rl_worker_t *w, const rl_provider_cfg_t *p)
{
    unsigned char fp[32];
    fingerprint(&p->auth, fp);
    for (struct rl_oauth2_entry *e = w->oauth2; e; e = e->next)
        if (strcmp(e->name, p->name) == 0 && memcmp(e->fp, fp, sizeof(fp)) == 0) return e->src;
    struct rl_oauth2_entry *e = calloc(1, sizeof(*e));
    if (e == NULL || (e->name = strdup(p->name)) == NULL ||
        (e->src = rl_oauth2_new(&w->loop, w->client, &p->auth, FETCH_TIMEOUT_MS)) == NULL) {
        if (e) free(e->name);
        free(e);
        return NULL;
    }
    memcpy(e->fp, fp, sizeof(fp));
    e->next = w->oauth2;
    w->oauth2 = e;
    return e->src;
}
