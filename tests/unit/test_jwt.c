/* test_jwt.c — JWT verification for HS256, RS256, ES256 and EdDSA with keys
 * generated here (OpenSSL, libsodium) and tokens signed here independently
 * of cjose; claims (exp, nbf, leeway, iss, aud, sub), scopes, kid selection,
 * alg confusion, JWK/JWKS import, and the JWKS refetch rules by time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "policy/jwt.h"
#include "policy/jwt_jwks.h"

#define NOW 1700000000000ull /* ms */
#define NOW_S 1700000000ull

static EVP_PKEY *rsa_key, *ec_key, *ed_key;

static char *b64u(const void *p, size_t n)
{
    size_t cap = sodium_base64_encoded_len(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *s = malloc(cap);
    sodium_bin2base64(s, cap, p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return s;
}

static char *pem_of(EVP_PKEY *pk)
{
    BIO *bio = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PUBKEY(bio, pk), 1);
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    char *s = strndup(data, (size_t)n);
    BIO_free(bio);
    return s;
}

/* Signs `input` for `alg` (HS256 with `secret`, else with the key pair). */
static size_t sign(rl_jwt_alg_t alg, const char *secret, const char *input, uint8_t *sig)
{
    size_t n = 512;
    if (alg == RL_JWT_HS256) {
        unsigned len = 0;
        HMAC(EVP_sha256(), secret, (int)strlen(secret), (const uint8_t *)input, strlen(input), sig, &len);
        return len;
    }
    EVP_PKEY *pk = alg == RL_JWT_RS256 ? rsa_key : alg == RL_JWT_ES256 ? ec_key : ed_key;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint8_t der[512];
    size_t dlen = sizeof(der);
    assert_int_equal(EVP_DigestSignInit(ctx, NULL, alg == RL_JWT_EDDSA ? NULL : EVP_sha256(), NULL, pk), 1);
    assert_int_equal(EVP_DigestSign(ctx, der, &dlen, (const uint8_t *)input, strlen(input)), 1);
    EVP_MD_CTX_free(ctx);
    if (alg != RL_JWT_ES256) {
        memcpy(sig, der, dlen);
        return dlen;
    }
    const uint8_t *p = der; /* DER ECDSA-Sig-Value → raw r||s */
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)dlen);
    BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32);
    ECDSA_SIG_free(es);
    (void)n;
    return 64;
}

/* A token with header {"alg","kid"?} and the given payload JSON. */
static char *mint(rl_jwt_alg_t alg, const char *kid, const char *secret, const char *payload)
{
    char header[128], input[4096];
    uint8_t sig[512];
    if (kid)
        snprintf(header, sizeof(header), "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
                 rl_jwt_alg_name(alg), kid);
    else
        snprintf(header, sizeof(header), "{\"alg\":\"%s\",\"typ\":\"JWT\"}", rl_jwt_alg_name(alg));
    char *h = b64u(header, strlen(header)), *p = b64u(payload, strlen(payload));
    snprintf(input, sizeof(input), "%s.%s", h, p);
    size_t n = sign(alg, secret, input, sig);
    char *s = b64u(sig, n);
    char *tok = malloc(strlen(input) + strlen(s) + 2);
    sprintf(tok, "%s.%s", input, s);
    free(h);
    free(p);
    free(s);
    return tok;
}

static char *claims(const char *extra)
{
    static char buf[1024];
    snprintf(buf, sizeof(buf), "{\"sub\":\"user-1\",\"exp\":%llu%s%s}", NOW_S + 300, extra[0] ? "," : "",
             extra);
    return buf;
}

static int group_setup(void **state)
{
    rsa_key = EVP_RSA_gen(2048);
    ec_key = EVP_EC_gen("P-256");
    ed_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    assert_non_null(rsa_key);
    assert_non_null(ec_key);
    assert_non_null(ed_key);
    return 0;
}

static int group_teardown(void **state)
{
    EVP_PKEY_free(rsa_key);
    EVP_PKEY_free(ec_key);
    EVP_PKEY_free(ed_key);
    return 0;
}

static void keyset_pem(rl_jwt_keyset_t *ks, const char *kid, EVP_PKEY *pk)
{
    char *pem = pem_of(pk), err[128];
    rl_jwt_key_t k;
    assert_int_equal(rl_jwt_key_from_pem(kid, RL_JWT_ALG_NONE, pem, strlen(pem), &k, err, sizeof(err)), 0);
    rl_jwt_keyset_add(ks, &k);
    free(pem);
}

static rl_jwt_outcome_t check(const char *tok, const rl_jwt_keyset_t *ks, const rl_jwt_rules_t *rules,
                              uint64_t now, const char **why)
{
    rl_jwt_token_t t;
    rl_jwt_outcome_t o = rl_jwt_verify(tok, strlen(tok), ks, NULL, rules, now, &t, why);
    if (o == RL_JWT_VALID) {
        assert_string_equal(json_string_value(json_object_get(t.claims, "sub")), "user-1");
        rl_jwt_token_free(&t);
    }
    return o;
}

static void test_each_alg(void **state)
{
    rl_jwt_keyset_t ks = {0};
    rl_jwt_key_t hk;
    char err[128];
    const char *secret = "0123456789abcdef0123456789abcdef", *why = "";
    assert_int_equal(
        rl_jwt_key_from_secret(NULL, (const uint8_t *)secret, strlen(secret), &hk, err, sizeof(err)), 0);
    rl_jwt_keyset_add(&ks, &hk);
    keyset_pem(&ks, NULL, rsa_key);
    keyset_pem(&ks, NULL, ec_key);
    keyset_pem(&ks, NULL, ed_key);
    assert_int_equal(ks.keys[1].alg, RL_JWT_RS256);
    assert_int_equal(ks.keys[2].alg, RL_JWT_ES256);
    assert_int_equal(ks.keys[3].alg, RL_JWT_EDDSA);
    rl_jwt_rules_t rules = {NULL, NULL, 0};
    rl_jwt_alg_t algs[] = {RL_JWT_HS256, RL_JWT_RS256, RL_JWT_ES256, RL_JWT_EDDSA};
    for (size_t i = 0; i < 4; i++) {
        char *tok = mint(algs[i], NULL, secret, claims(""));
        assert_int_equal(check(tok, &ks, &rules, NOW, &why), RL_JWT_VALID);
        /* flip one signature character: bad signature */
        char *bad = strdup(tok);
        size_t last = strlen(bad) - 3;
        bad[last] = bad[last] == 'A' ? 'B' : 'A';
        assert_int_equal(check(bad, &ks, &rules, NOW, &why), RL_JWT_INVALID);
        /* a different payload under the same signature */
        char *other = mint(algs[i], NULL, secret, claims("\"admin\":true"));
        char *dot1 = strchr(tok, '.'), *dot2 = strrchr(tok, '.');
        char *o1 = strchr(other, '.'), *o2 = strrchr(other, '.');
        char forged[4096];
        snprintf(forged, sizeof(forged), "%.*s%.*s%s", (int)(dot1 - tok), tok, (int)(o2 - o1), o1, dot2);
        assert_int_equal(check(forged, &ks, &rules, NOW, &why), RL_JWT_INVALID);
        assert_string_equal(why, "bad signature");
        free(tok);
        free(bad);
        free(other);
    }
    /* a key set without the token's alg: unknown key */
    rl_jwt_keyset_t only_hs = {.keys = ks.keys, .n = 1};
    char *tok = mint(RL_JWT_ES256, NULL, secret, claims(""));
    assert_int_equal(check(tok, &only_hs, &rules, NOW, &why), RL_JWT_UNKNOWN_KEY);
    free(tok);
    rl_jwt_keyset_free(&ks);
}

static void test_alg_confusion_and_none(void **state)
{
    /* HS256 signed with the RSA public key's PEM as the secret must never pass */
    rl_jwt_keyset_t ks = {0};
    keyset_pem(&ks, NULL, rsa_key);
    char *pem = pem_of(rsa_key);
    char *tok = mint(RL_JWT_HS256, NULL, pem, claims(""));
    rl_jwt_rules_t rules = {0};
    const char *why;
    assert_int_not_equal(check(tok, &ks, &rules, NOW, &why), RL_JWT_VALID);
    free(tok);
    free(pem);
    /* alg none, and a crit header */
    const char *none = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c2VyLTEifQ.";
    rl_jwt_token_t t;
    assert_int_equal(rl_jwt_parse(none, strlen(none), &t, &why), -1);
    rl_jwt_token_free(&t);
    char *h = b64u("{\"alg\":\"HS256\",\"crit\":[\"x\"]}", 28), buf[256];
    snprintf(buf, sizeof(buf), "%s.e30.AAAA", h);
    assert_int_equal(rl_jwt_parse(buf, strlen(buf), &t, &why), -1);
    assert_string_equal(why, "unsupported crit header");
    rl_jwt_token_free(&t);
    free(h);
    rl_jwt_keyset_free(&ks);
}

static void test_parse_errors(void **state)
{
    static const char *const bad[] = {"",          "abc",       "a.b",        "a.b.c.d",   "e30.e30.",
                                      "!!.e30.AA", "e30.!!.AA", "e30.e30.AA", "W10.e30.AA"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rl_jwt_token_t t;
        const char *why = NULL;
        assert_int_equal(rl_jwt_parse(bad[i], strlen(bad[i]), &t, &why), -1);
        assert_non_null(why);
        rl_jwt_token_free(&t);
    }
    /* header with kid that is not a string; payload that is not an object */
    rl_jwt_token_t t;
    const char *why;
    char *h = b64u("{\"alg\":\"HS256\",\"kid\":5}", 23), buf[256];
    snprintf(buf, sizeof(buf), "%s.e30.AAAA", h);
    assert_int_equal(rl_jwt_parse(buf, strlen(buf), &t, &why), -1);
    rl_jwt_token_free(&t);
    free(h);
    h = b64u("{\"alg\":\"HS256\"}", 15);
    snprintf(buf, sizeof(buf), "%s.WzFd.AAAA", h); /* [1] */
    assert_int_equal(rl_jwt_parse(buf, strlen(buf), &t, &why), -1);
    assert_string_equal(why, "malformed payload");
    rl_jwt_token_free(&t);
    free(h);
}

static rl_jwt_outcome_t check_claims_at(const char *payload, const rl_jwt_rules_t *rules, uint64_t now,
                                        const char **why)
{
    static const char *secret = "claims-secret-claims-secret-0000";
    rl_jwt_keyset_t ks = {0};
    rl_jwt_key_t k;
    char err[64];
    assert_int_equal(
        rl_jwt_key_from_secret("k1", (const uint8_t *)secret, strlen(secret), &k, err, sizeof(err)), 0);
    rl_jwt_keyset_add(&ks, &k);
    char *tok = mint(RL_JWT_HS256, "k1", secret, payload);
    rl_jwt_token_t t;
    rl_jwt_outcome_t o = rl_jwt_verify(tok, strlen(tok), &ks, NULL, rules, now, &t, why);
    if (o == RL_JWT_VALID) rl_jwt_token_free(&t);
    free(tok);
    rl_jwt_keyset_free(&ks);
    return o;
}

static void test_claims(void **state)
{
    const char *why;
    char p[512];
    rl_jwt_rules_t none = {0}, leeway = {.leeway_ms = 30000};
    rl_jwt_rules_t strict = {.issuer = "https://id.example.com", .audience = "relais"};
    /* exp: strictly before; leeway extends it */
    snprintf(p, sizeof(p), "{\"sub\":\"u\",\"exp\":%llu}", NOW_S);
    assert_int_equal(check_claims_at(p, &none, NOW - 1, &why), RL_JWT_VALID);
    assert_int_equal(check_claims_at(p, &none, NOW, &why), RL_JWT_INVALID);
    assert_string_equal(why, "token expired");
    assert_int_equal(check_claims_at(p, &leeway, NOW + 29999, &why), RL_JWT_VALID);
    assert_int_equal(check_claims_at(p, &leeway, NOW + 30000, &why), RL_JWT_INVALID);
    /* exp missing or not a number */
    assert_int_equal(check_claims_at("{\"sub\":\"u\"}", &none, NOW, &why), RL_JWT_INVALID);
    assert_string_equal(why, "exp is missing");
    assert_int_equal(check_claims_at("{\"sub\":\"u\",\"exp\":\"soon\"}", &none, NOW, &why), RL_JWT_INVALID);
    /* nbf with and without leeway */
    snprintf(p, sizeof(p), "{\"sub\":\"u\",\"exp\":%llu,\"nbf\":%llu}", NOW_S + 600, NOW_S + 10);
    assert_int_equal(check_claims_at(p, &none, NOW, &why), RL_JWT_INVALID);
    assert_string_equal(why, "token not yet valid (nbf)");
    assert_int_equal(check_claims_at(p, &leeway, NOW, &why), RL_JWT_VALID);
    assert_int_equal(check_claims_at(p, &none, NOW + 10000, &why), RL_JWT_VALID);
    /* iss and aud (string or array) */
    snprintf(p, sizeof(p),
             "{\"sub\":\"u\",\"exp\":%llu,\"iss\":\"https://id.example.com\",\"aud\":\"relais\"}",
             NOW_S + 60);
    assert_int_equal(check_claims_at(p, &strict, NOW, &why), RL_JWT_VALID);
    snprintf(p, sizeof(p),
             "{\"sub\":\"u\",\"exp\":%llu,\"iss\":\"https://id.example.com\",\"aud\":[\"a\",\"relais\"]}",
             NOW_S + 60);
    assert_int_equal(check_claims_at(p, &strict, NOW, &why), RL_JWT_VALID);
    snprintf(p, sizeof(p), "{\"sub\":\"u\",\"exp\":%llu,\"iss\":\"https://id.example.com\",\"aud\":[\"a\"]}",
             NOW_S + 60);
    assert_int_equal(check_claims_at(p, &strict, NOW, &why), RL_JWT_INVALID);
    assert_string_equal(why, "wrong audience");
    snprintf(p, sizeof(p), "{\"sub\":\"u\",\"exp\":%llu,\"iss\":\"https://evil\",\"aud\":\"relais\"}",
             NOW_S + 60);
    assert_int_equal(check_claims_at(p, &strict, NOW, &why), RL_JWT_INVALID);
    assert_string_equal(why, "wrong issuer");
    /* sub required */
    snprintf(p, sizeof(p), "{\"exp\":%llu}", NOW_S + 60);
    assert_int_equal(check_claims_at(p, &none, NOW, &why), RL_JWT_INVALID);
    assert_string_equal(why, "sub is missing");
}

static void collect(void *ud, const char *s, size_t n)
{
    char *out = ud;
    if (out[0]) strcat(out, "|");
    strncat(out, s, n);
}

static void test_scopes(void **state)
{
    char out[256];
    struct {
        const char *json, *want;
        size_t n;
    } cases[] = {
        {"{\"scope\":\"items:read  items:write\"}", "items:read|items:write", 2},
        {"{\"scp\":[\"a\",\"b\",3,\"\"]}", "a|b", 2},
        {"{\"scp\":\"x y\"}", "x|y", 2},
        {"{\"scope\":\"s\",\"scp\":[\"ignored\"]}", "s", 1},
        {"{}", "", 0},
        {"{\"scope\":7}", "", 0},
        /* found by fuzz_jwt: array items are split like the string form */
        {"{\"scp\":[\" \",\"c d\",\" e \"]}", "c|d|e", 3},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *c = json_loads(cases[i].json, 0, NULL);
        out[0] = '\0';
        assert_int_equal(rl_jwt_scopes(c, collect, out), cases[i].n);
        assert_string_equal(out, cases[i].want);
        json_decref(c);
    }
}

static void test_kid_selection(void **state)
{
    rl_jwt_keyset_t ks = {0};
    rl_jwt_key_t a, b;
    char err[64];
    const char *why;
    assert_int_equal(rl_jwt_key_from_secret("a", (const uint8_t *)"secret-a", 8, &a, err, sizeof(err)), 0);
    assert_int_equal(rl_jwt_key_from_secret("b", (const uint8_t *)"secret-b", 8, &b, err, sizeof(err)), 0);
    rl_jwt_keyset_add(&ks, &a);
    rl_jwt_keyset_add(&ks, &b);
    rl_jwt_rules_t rules = {0};
    char *tb = mint(RL_JWT_HS256, "b", "secret-b", claims(""));
    assert_int_equal(check(tb, &ks, &rules, NOW, &why), RL_JWT_VALID);
    /* right kid, wrong secret: invalid, not unknown */
    char *tw = mint(RL_JWT_HS256, "b", "secret-a", claims(""));
    assert_int_equal(check(tw, &ks, &rules, NOW, &why), RL_JWT_INVALID);
    /* unknown kid: a JWKS refetch may help */
    char *tc = mint(RL_JWT_HS256, "c", "secret-c", claims(""));
    assert_int_equal(check(tc, &ks, &rules, NOW, &why), RL_JWT_UNKNOWN_KEY);
    /* no kid: every key of the alg is tried */
    char *tn = mint(RL_JWT_HS256, NULL, "secret-a", claims(""));
    assert_int_equal(check(tn, &ks, &rules, NOW, &why), RL_JWT_VALID);
    free(tb);
    free(tw);
    free(tc);
    free(tn);
    rl_jwt_keyset_free(&ks);
}

static char *bn_b64u(EVP_PKEY *pk, const char *param, int pad)
{
    BIGNUM *bn = NULL;
    uint8_t buf[600];
    assert_int_equal(EVP_PKEY_get_bn_param(pk, param, &bn), 1);
    int n = pad ? BN_bn2binpad(bn, buf, pad) : BN_bn2bin(bn, buf);
    BN_free(bn);
    return b64u(buf, (size_t)n);
}

static void test_jwks(void **state)
{
    char *n = bn_b64u(rsa_key, OSSL_PKEY_PARAM_RSA_N, 0), *e = bn_b64u(rsa_key, OSSL_PKEY_PARAM_RSA_E, 0);
    char *x = bn_b64u(ec_key, OSSL_PKEY_PARAM_EC_PUB_X, 32),
         *y = bn_b64u(ec_key, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
    uint8_t raw[32];
    size_t rl = 32;
    EVP_PKEY_get_raw_public_key(ed_key, raw, &rl);
    char *ox = b64u(raw, 32);
    char doc[4096];
    snprintf(doc, sizeof(doc),
             "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"r1\",\"use\":\"sig\",\"alg\":\"RS256\",\"n\":\"%s\","
             "\"e\":\"%s\"},"
             "{\"kty\":\"EC\",\"kid\":\"e1\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"},"
             "{\"kty\":\"OKP\",\"kid\":\"d1\",\"crv\":\"Ed25519\",\"x\":\"%s\"},"
             "{\"kty\":\"RSA\",\"kid\":\"enc\",\"use\":\"enc\",\"n\":\"%s\",\"e\":\"%s\"},"
             "{\"kty\":\"EC\",\"kid\":\"p384\",\"crv\":\"P-384\",\"x\":\"AA\",\"y\":\"AA\"},"
             "{\"kty\":\"RSA\",\"kid\":\"r2\",\"alg\":\"RS512\",\"n\":\"%s\",\"e\":\"%s\"},"
             "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"short\"}, 7]}",
             n, e, x, y, ox, n, e, n, e);
    rl_jwt_keyset_t ks;
    size_t skipped;
    char err[128];
    assert_int_equal(rl_jwks_parse(doc, strlen(doc), &ks, &skipped, err, sizeof(err)), 0);
    assert_int_equal(ks.n, 3);
    assert_int_equal(skipped, 5);
    rl_jwt_rules_t rules = {0};
    const char *why;
    char *t1 = mint(RL_JWT_RS256, "r1", NULL, claims("")), *t2 = mint(RL_JWT_ES256, "e1", NULL, claims(""));
    char *t3 = mint(RL_JWT_EDDSA, "d1", NULL, claims("")), *t4 = mint(RL_JWT_RS256, "e1", NULL, claims(""));
    assert_int_equal(check(t1, &ks, &rules, NOW, &why), RL_JWT_VALID);
    assert_int_equal(check(t2, &ks, &rules, NOW, &why), RL_JWT_VALID);
    assert_int_equal(check(t3, &ks, &rules, NOW, &why), RL_JWT_VALID);
    assert_int_equal(check(t4, &ks, &rules, NOW, &why), RL_JWT_UNKNOWN_KEY); /* kid of an EC key, alg RS256 */
    rl_jwt_keyset_free(&ks);
    assert_int_equal(rl_jwks_parse("{\"keys\":{}}", 11, &ks, &skipped, err, sizeof(err)), -1);
    assert_int_equal(rl_jwks_parse("nope", 4, &ks, &skipped, err, sizeof(err)), -1);
    /* a JWK given alone, with an alg that does not fit */
    json_t *j = json_pack("{s:s,s:s,s:s}", "kty", "OKP", "crv", "Ed25519", "x", ox);
    rl_jwt_key_t k;
    assert_int_equal(rl_jwt_key_from_jwk("mine", RL_JWT_ALG_NONE, j, &k, err, sizeof(err)), 0);
    assert_string_equal(k.kid, "mine");
    rl_jwt_key_free(&k);
    assert_int_equal(rl_jwt_key_from_jwk(NULL, RL_JWT_RS256, j, &k, err, sizeof(err)), -1);
    json_decref(j);
    free(n), free(e), free(x), free(y), free(ox), free(t1), free(t2), free(t3), free(t4);
}

static void test_pem_errors(void **state)
{
    rl_jwt_key_t k;
    char err[128];
    assert_int_equal(rl_jwt_key_from_pem(NULL, RL_JWT_ALG_NONE, "garbage", 7, &k, err, sizeof(err)), -1);
    char *pem = pem_of(ec_key);
    assert_int_equal(rl_jwt_key_from_pem(NULL, RL_JWT_RS256, pem, strlen(pem), &k, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "does not fit"));
    free(pem);
    EVP_PKEY *small = EVP_RSA_gen(1024);
    pem = pem_of(small);
    assert_int_equal(rl_jwt_key_from_pem(NULL, RL_JWT_ALG_NONE, pem, strlen(pem), &k, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "2048"));
    free(pem);
    EVP_PKEY_free(small);
    EVP_PKEY *p384 = EVP_EC_gen("P-384");
    pem = pem_of(p384);
    assert_int_equal(rl_jwt_key_from_pem(NULL, RL_JWT_ALG_NONE, pem, strlen(pem), &k, err, sizeof(err)), -1);
    free(pem);
    EVP_PKEY_free(p384);
    assert_int_equal(rl_jwt_key_from_secret(NULL, (const uint8_t *)"", 0, &k, err, sizeof(err)), -1);
}

static void test_jwks_refetch_rules(void **state)
{
    rl_jwks_state_t s = {0};
    uint64_t t0 = 5000;
    /* never fetched: fetch */
    assert_int_equal(rl_jwks_decide(&s, t0, RL_JWKS_MIN_INTERVAL_MS), RL_JWKS_FETCH);
    rl_jwks_fetch_started(&s, t0);
    /* while it runs: wait */
    assert_int_equal(rl_jwks_decide(&s, t0 + 10, RL_JWKS_MIN_INTERVAL_MS), RL_JWKS_WAIT);
    rl_jwks_fetch_finished(&s, true, t0 + 100);
    /* an unknown kid right after: refused until 30 s after the last start */
    assert_int_equal(rl_jwks_decide(&s, t0 + 100, RL_JWKS_MIN_INTERVAL_MS), RL_JWKS_REFUSE);
    assert_int_equal(rl_jwks_decide(&s, t0 + 29999, RL_JWKS_MIN_INTERVAL_MS), RL_JWKS_REFUSE);
    assert_int_equal(rl_jwks_decide(&s, t0 + 30000, RL_JWKS_MIN_INTERVAL_MS), RL_JWKS_FETCH);
    rl_jwks_fetch_started(&s, t0 + 30000);
    /* a failed fetch also counts */
    rl_jwks_fetch_finished(&s, false, t0 + 30050);
    assert_int_equal(rl_jwks_decide(&s, t0 + 45000, RL_JWKS_MIN_INTERVAL_MS), RL_JWKS_REFUSE);
    assert_int_equal(rl_jwks_decide(&s, t0 + 60000, RL_JWKS_MIN_INTERVAL_MS), RL_JWKS_FETCH);
    /* staleness: the keys loaded at t0+100 are refreshed after an hour */
    assert_false(rl_jwks_stale(&s, t0 + 100 + RL_JWKS_MAX_AGE_MS - 1, RL_JWKS_MIN_INTERVAL_MS));
    assert_true(rl_jwks_stale(&s, t0 + 100 + RL_JWKS_MAX_AGE_MS, RL_JWKS_MIN_INTERVAL_MS));
    rl_jwks_fetch_started(&s, t0 + 100 + RL_JWKS_MAX_AGE_MS);
    assert_false(rl_jwks_stale(&s, t0 + 200 + RL_JWKS_MAX_AGE_MS, RL_JWKS_MIN_INTERVAL_MS));
    /* a shorter configured interval */
    rl_jwks_state_t short_st = {0};
    rl_jwks_fetch_started(&short_st, t0);
    rl_jwks_fetch_finished(&short_st, true, t0 + 10);
    assert_int_equal(rl_jwks_decide(&short_st, t0 + 999, 1000), RL_JWKS_REFUSE);
    assert_int_equal(rl_jwks_decide(&short_st, t0 + 1000, 1000), RL_JWKS_FETCH);
    rl_jwks_state_t never = {0};
    assert_false(rl_jwks_stale(&never, 1ull << 40, RL_JWKS_MIN_INTERVAL_MS));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_alg),
        cmocka_unit_test(test_alg_confusion_and_none),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_claims),
        cmocka_unit_test(test_scopes),
        cmocka_unit_test(test_kid_selection),
        cmocka_unit_test(test_jwks),
        cmocka_unit_test(test_pem_errors),
        cmocka_unit_test(test_jwks_refetch_rules),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
