/* jwt_keys.c — JWT verification keys from a secret, a PEM public key or
 * certificate, a JWK, or a JWKS document; see jwt.h. RSA, P-256 and HMAC keys
 * become cjose JWKs (PEM via OpenSSL's public components); Ed25519 keys are
 * kept as the 32 raw bytes libsodium verifies with. */
#include "policy/jwt.h"

#include <cjose/cjose.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RSA_BYTES 1024 /* 8192-bit modulus */

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen) vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static void key_init(rl_jwt_key_t *out, const char *kid, rl_jwt_alg_t alg)
{
    if (sodium_init() < 0) abort(); /* before any EdDSA check; idempotent */
    memset(out, 0, sizeof(*out));
    out->alg = alg;
    if (kid != NULL && (out->kid = strdup(kid)) == NULL) abort();
}

void rl_jwt_key_free(rl_jwt_key_t *k)
{
    if (k == NULL) return;
    free(k->kid);
    if (k->jwk) cjose_jwk_release(k->jwk);
    sodium_memzero(k, sizeof(*k));
}

int rl_jwt_key_from_secret(const char *kid, const uint8_t *secret, size_t len, rl_jwt_key_t *out, char *err,
                           size_t errlen)
{
    cjose_err ce;
    if (len == 0) return fail(err, errlen, "the HS256 secret is empty");
    cjose_jwk_t *jwk = cjose_jwk_create_oct_spec(secret, len, &ce);
    if (jwk == NULL) return fail(err, errlen, "cannot make an HS256 key: %s", ce.message);
    key_init(out, kid, RL_JWT_HS256);
    out->jwk = jwk;
    return 0;
}

static int rsa_from_pkey(EVP_PKEY *pk, rl_jwt_key_t *out, char *err, size_t errlen)
{
    BIGNUM *n = NULL, *e = NULL;
    uint8_t nb[MAX_RSA_BYTES], eb[16];
    int rc = -1;
    if (!EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n) ||
        !EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e) || BN_num_bytes(n) > (int)sizeof(nb) ||
        BN_num_bytes(e) > (int)sizeof(eb)) {
        fail(err, errlen, "unusable RSA key");
        goto out;
    }
    if (BN_num_bits(n) < 2048) {
        fail(err, errlen, "RSA keys must be at least 2048 bits (this one has %d)", BN_num_bits(n));
        goto out;
    }
    cjose_jwk_rsa_keyspec spec = {
        .n = nb, .nlen = (size_t)BN_bn2bin(n, nb), .e = eb, .elen = (size_t)BN_bn2bin(e, eb)};
    cjose_err ce;
    if ((out->jwk = cjose_jwk_create_RSA_spec(&spec, &ce)) == NULL) {
        fail(err, errlen, "cannot make an RSA key: %s", ce.message);
        goto out;
    }
    rc = 0;
out:
    BN_free(n);
    BN_free(e);
    return rc;
}

static int ec_from_pkey(EVP_PKEY *pk, rl_jwt_key_t *out, char *err, size_t errlen)
{
    char group[64];
    BIGNUM *x = NULL, *y = NULL;
    uint8_t xb[32], yb[32];
    int rc = -1;
    if (!EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL) ||
        strcmp(group, "prime256v1") != 0) {
        fail(err, errlen, "ES256 needs a P-256 (prime256v1) key");
        goto out;
    }
    if (!EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_X, &x) ||
        !EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_Y, &y) || BN_bn2binpad(x, xb, 32) != 32 ||
        BN_bn2binpad(y, yb, 32) != 32) {
        fail(err, errlen, "unusable EC key");
        goto out;
    }
    cjose_jwk_ec_keyspec spec = {.crv = CJOSE_JWK_EC_P_256, .x = xb, .xlen = 32, .y = yb, .ylen = 32};
    cjose_err ce;
    if ((out->jwk = cjose_jwk_create_EC_spec(&spec, &ce)) == NULL) {
        fail(err, errlen, "cannot make an EC key: %s", ce.message);
        goto out;
    }
    rc = 0;
out:
    BN_free(x);
    BN_free(y);
    return rc;
}

static EVP_PKEY *read_pem(const char *pem, size_t len)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL) return NULL;
    EVP_PKEY *pk = NULL;
    if (strstr(pem, "-----BEGIN CERTIFICATE-----") != NULL) {
        X509 *crt = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (crt) pk = X509_get_pubkey(crt);
        X509_free(crt);
    } else {
        pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    }
    BIO_free(bio);
    return pk;
}

static rl_jwt_alg_t alg_of_pkey(EVP_PKEY *pk)
{
    switch (EVP_PKEY_get_base_id(pk)) {
    case EVP_PKEY_RSA:
        return RL_JWT_RS256;
    case EVP_PKEY_EC:
        return RL_JWT_ES256;
    case EVP_PKEY_ED25519:
        return RL_JWT_EDDSA;
    default:
        return RL_JWT_ALG_NONE;
    }
}

int rl_jwt_key_from_pem(const char *kid, rl_jwt_alg_t alg, const char *pem, size_t len, rl_jwt_key_t *out,
                        char *err, size_t errlen)
{
    if (len > 65536) return fail(err, errlen, "PEM too large");
    char *z = strndup(pem, len); /* strstr and OpenSSL want the end marked */
    if (z == NULL) abort();
    EVP_PKEY *pk = read_pem(z, strlen(z));
    free(z);
    if (pk == NULL) return fail(err, errlen, "not a PEM public key (BEGIN PUBLIC KEY) or certificate");
    int rc = -1;
    rl_jwt_alg_t kalg = alg_of_pkey(pk);
    if (kalg == RL_JWT_ALG_NONE) {
        fail(err, errlen, "unsupported key type (use RSA, EC P-256 or Ed25519)");
        goto out;
    }
    if (alg != RL_JWT_ALG_NONE && alg != kalg) {
        fail(err, errlen, "alg %s does not fit a %s key", rl_jwt_alg_name(alg), rl_jwt_alg_name(kalg));
        goto out;
    }
    key_init(out, kid, kalg);
    if (kalg == RL_JWT_RS256)
        rc = rsa_from_pkey(pk, out, err, errlen);
    else if (kalg == RL_JWT_ES256)
        rc = ec_from_pkey(pk, out, err, errlen);
    else {
        size_t n = sizeof(out->ed25519);
        rc = EVP_PKEY_get_raw_public_key(pk, out->ed25519, &n) == 1 && n == 32
                 ? 0
                 : fail(err, errlen, "unusable Ed25519 key");
    }
    if (rc != 0) rl_jwt_key_free(out);
out:
    EVP_PKEY_free(pk);
    return rc;
}

static const char *jstr(const json_t *o, const char *name)
{
    return json_string_value(json_object_get(o, name));
}

static int okp_key(const json_t *jwk, rl_jwt_key_t *out, char *err, size_t errlen)
{
    const char *crv = jstr(jwk, "crv"), *x = jstr(jwk, "x");
    size_t n = 0;
    if (crv == NULL || strcmp(crv, "Ed25519") != 0) return fail(err, errlen, "OKP key: crv must be Ed25519");
    if (x == NULL ||
        sodium_base642bin(out->ed25519, sizeof(out->ed25519), x, strlen(x), NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        n != 32)
        return fail(err, errlen, "OKP key: x must be 32 bytes in base64url");
    return 0;
}

/* The algorithm a JWK implies by its kty (and crv). */
static rl_jwt_alg_t alg_of_jwk(const json_t *jwk)
{
    const char *kty = jstr(jwk, "kty"), *crv = jstr(jwk, "crv");
    if (kty == NULL) return RL_JWT_ALG_NONE;
    if (strcmp(kty, "RSA") == 0) return RL_JWT_RS256;
    if (strcmp(kty, "oct") == 0) return RL_JWT_HS256;
    if (strcmp(kty, "EC") == 0 && crv && strcmp(crv, "P-256") == 0) return RL_JWT_ES256;
    if (strcmp(kty, "OKP") == 0 && crv && strcmp(crv, "Ed25519") == 0) return RL_JWT_EDDSA;
    return RL_JWT_ALG_NONE;
}

int rl_jwt_key_from_jwk(const char *kid, rl_jwt_alg_t alg, const json_t *jwk, rl_jwt_key_t *out, char *err,
                        size_t errlen)
{
    if (!json_is_object(jwk)) return fail(err, errlen, "a JWK must be a JSON object");
    const char *use = jstr(jwk, "use"), *jalg = jstr(jwk, "alg");
    if (use != NULL && strcmp(use, "sig") != 0) return fail(err, errlen, "JWK \"use\" is not \"sig\"");
    rl_jwt_alg_t kalg = alg_of_jwk(jwk);
    if (kalg == RL_JWT_ALG_NONE)
        return fail(err, errlen, "unsupported JWK (use kty RSA, EC with crv P-256, oct, or OKP Ed25519)");
    if (jalg != NULL && rl_jwt_alg_parse(jalg) != kalg)
        return fail(err, errlen, "JWK alg '%.16s' is not supported for this key type", jalg);
    if (alg != RL_JWT_ALG_NONE && alg != kalg)
        return fail(err, errlen, "alg %s does not fit this JWK (%s)", rl_jwt_alg_name(alg),
                    rl_jwt_alg_name(kalg));
    if (kid == NULL) kid = jstr(jwk, "kid");
    key_init(out, kid, kalg);
    if (kalg == RL_JWT_EDDSA) {
        if (okp_key(jwk, out, err, errlen) == 0) return 0;
        rl_jwt_key_free(out);
        return -1;
    }
    char *text = json_dumps(jwk, JSON_COMPACT);
    cjose_err ce;
    out->jwk = text ? cjose_jwk_import(text, strlen(text), &ce) : NULL;
    free(text);
    if (out->jwk == NULL) {
        rl_jwt_key_free(out);
        return fail(err, errlen, "malformed %s JWK", rl_jwt_alg_name(kalg));
    }
    return 0;
}

void rl_jwt_keyset_add(rl_jwt_keyset_t *ks, rl_jwt_key_t *k)
{
    rl_jwt_key_t *v = realloc(ks->keys, (ks->n + 1) * sizeof(*v));
    if (v == NULL) abort();
    ks->keys = v;
    ks->keys[ks->n++] = *k;
    memset(k, 0, sizeof(*k));
}

void rl_jwt_keyset_free(rl_jwt_keyset_t *ks)
{
    for (size_t i = 0; i < ks->n; i++)
        rl_jwt_key_free(&ks->keys[i]);
    free(ks->keys);
    ks->keys = NULL;
    ks->n = 0;
}

int rl_jwks_parse(const char *json, size_t len, rl_jwt_keyset_t *out, size_t *skipped, char *err,
                  size_t errlen)
{
    json_error_t je;
    *skipped = 0;
    memset(out, 0, sizeof(*out));
    json_t *doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    json_t *keys = json_object_get(doc, "keys");
    if (!json_is_array(keys)) {
        json_decref(doc);
        return fail(err, errlen, "not a JWKS document (an object with a \"keys\" array)");
    }
    size_t i;
    json_t *jwk;
    json_array_foreach(keys, i, jwk)
    {
        rl_jwt_key_t k;
        if (rl_jwt_key_from_jwk(NULL, RL_JWT_ALG_NONE, jwk, &k, NULL, 0) != 0) {
            (*skipped)++;
            continue;
        }
        rl_jwt_keyset_add(out, &k);
    }
    json_decref(doc);
    return 0;
}

void rl_jwt_cfg_free(rl_jwt_cfg_t *cfg)
{
    if (cfg == NULL) return;
    free(cfg->issuer);
    free(cfg->audience);
    free(cfg->jwks_url);
    rl_jwt_keyset_free(&cfg->keys);
    free(cfg);
}
