/* jwt.c — compact JWS parsing, signature and claim checks; see jwt.h.
 * The parser is ours (it is the fuzzed surface, and EdDSA needs it); the
 * HS256/RS256/ES256 signature check is cjose's, on the same bytes. */
#include "policy/jwt.h"

#include <cjose/cjose.h>
#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

rl_jwt_alg_t rl_jwt_alg_parse(const char *s)
{
    if (s == NULL) return RL_JWT_ALG_NONE;
    if (strcmp(s, "HS256") == 0) return RL_JWT_HS256;
    if (strcmp(s, "RS256") == 0) return RL_JWT_RS256;
    if (strcmp(s, "ES256") == 0) return RL_JWT_ES256;
    if (strcmp(s, "EdDSA") == 0) return RL_JWT_EDDSA;
    return RL_JWT_ALG_NONE;
}

const char *rl_jwt_alg_name(rl_jwt_alg_t alg)
{
    static const char *const names[] = {"none", "HS256", "RS256", "ES256", "EdDSA"};
    return (unsigned)alg < sizeof(names) / sizeof(names[0]) ? names[alg] : "none";
}

/* Decodes one base64url part (no padding) into a malloc'd buffer with a NUL
 * after it. NULL when it is not base64url. */
static uint8_t *b64url(const char *s, size_t len, size_t *out_len)
{
    uint8_t *buf = malloc(len * 3 / 4 + 2);
    if (buf == NULL) abort();
    if (sodium_base642bin(buf, len * 3 / 4 + 1, s, len, NULL, out_len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
        free(buf);
        return NULL;
    }
    buf[*out_len] = '\0';
    return buf;
}

static json_t *b64url_json(const char *s, size_t len)
{
    size_t n;
    uint8_t *raw = b64url(s, len, &n);
    if (raw == NULL) return NULL;
    json_t *v = json_loadb((const char *)raw, n, JSON_REJECT_DUPLICATES, NULL);
    free(raw);
    if (v != NULL && !json_is_object(v)) {
        json_decref(v);
        return NULL;
    }
    return v;
}

static int parse_header(const char *s, size_t len, rl_jwt_token_t *out, const char **why)
{
    json_t *h = b64url_json(s, len);
    int rc = -1;
    if (h == NULL) {
        *why = "malformed header";
        return -1;
    }
    json_t *kid = json_object_get(h, "kid");
    out->alg = rl_jwt_alg_parse(json_string_value(json_object_get(h, "alg")));
    if (out->alg == RL_JWT_ALG_NONE)
        *why = "unsupported alg";
    else if (json_object_get(h, "crit") != NULL)
        *why = "unsupported crit header";
    else if (kid != NULL && !json_is_string(kid))
        *why = "kid is not a string";
    else
        rc = 0;
    if (rc == 0 && kid != NULL && (out->kid = strdup(json_string_value(kid))) == NULL) abort();
    json_decref(h);
    return rc;
}

int rl_jwt_parse(const char *tok, size_t len, rl_jwt_token_t *out, const char **why)
{
    memset(out, 0, sizeof(*out));
    if (len == 0 || len > RL_JWT_MAX_TOKEN) {
        *why = len ? "token too long" : "empty token";
        return -1;
    }
    const char *d1 = memchr(tok, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - tok)) : NULL;
    if (d2 == NULL || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - tok)) != NULL) {
        *why = "not a compact JWS (header.payload.signature)";
        return -1;
    }
    if (parse_header(tok, (size_t)(d1 - tok), out, why) != 0) return -1;
    out->claims = b64url_json(d1 + 1, (size_t)(d2 - d1 - 1));
    if (out->claims == NULL) {
        *why = "malformed payload";
        return -1;
    }
    out->signing_len = (size_t)(d2 - tok);
    out->sig = b64url(d2 + 1, len - out->signing_len - 1, &out->sig_len);
    if (out->sig == NULL || out->sig_len == 0) {
        *why = "malformed signature";
        return -1;
    }
    return 0;
}

void rl_jwt_token_free(rl_jwt_token_t *t)
{
    free(t->kid);
    json_decref(t->claims);
    free(t->sig);
    memset(t, 0, sizeof(*t));
}

bool rl_jwt_key_fits(const rl_jwt_key_t *k, const rl_jwt_token_t *t)
{
    if (k->alg != t->alg) return false;
    return k->kid == NULL || t->kid == NULL || strcmp(k->kid, t->kid) == 0;
}

int rl_jwt_verify_sig(const rl_jwt_token_t *t, const char *tok, size_t len, const rl_jwt_key_t *k)
{
    if (k->alg != t->alg || t->alg == RL_JWT_ALG_NONE) return -1;
    if (t->alg == RL_JWT_EDDSA) {
        if (t->sig_len != crypto_sign_BYTES) return -1;
        return crypto_sign_verify_detached(t->sig, (const unsigned char *)tok, t->signing_len, k->ed25519) ==
                       0
                   ? 0
                   : -1;
    }
    if (k->jwk == NULL) return -1;
    cjose_err ce;
    cjose_jws_t *jws = cjose_jws_import(tok, len, &ce);
    if (jws == NULL) return -1;
    bool ok = cjose_jws_verify(jws, k->jwk, &ce);
    cjose_jws_release(jws);
    return ok ? 0 : -1;
}

/* A NumericDate claim as ms; -1 when absent, -2 when not a number. */
static int64_t numeric_date_ms(const json_t *claims, const char *name)
{
    json_t *v = json_object_get(claims, name);
    if (v == NULL) return -1;
    if (!json_is_number(v)) return -2;
    double s = json_number_value(v);
    if (!(s >= 0) || s > 1e13) return -2;
    return (int64_t)floor(s * 1000.0);
}

static bool aud_holds(const json_t *aud, const char *want)
{
    if (json_is_string(aud)) return strcmp(json_string_value(aud), want) == 0;
    size_t i;
    json_t *v;
    json_array_foreach(aud, i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), want) == 0) return true;
    }
    return false;
}

int rl_jwt_check_claims(const json_t *claims, const rl_jwt_rules_t *rules, uint64_t now_ms, const char **why)
{
    int64_t exp = numeric_date_ms(claims, "exp"), nbf = numeric_date_ms(claims, "nbf");
    int64_t now = (int64_t)now_ms, leeway = (int64_t)rules->leeway_ms;
    const char *sub = json_string_value(json_object_get(claims, "sub"));
    if (exp == -1) return *why = "exp is missing", -1;
    if (exp < 0 || nbf == -2) return *why = "exp or nbf is not a number", -1;
    if (now >= exp + leeway) return *why = "token expired", -1;
    if (nbf >= 0 && now + leeway < nbf) return *why = "token not yet valid (nbf)", -1;
    if (rules->issuer != NULL) {
        const char *iss = json_string_value(json_object_get(claims, "iss"));
        if (iss == NULL || strcmp(iss, rules->issuer) != 0) return *why = "wrong issuer", -1;
    }
    if (rules->audience != NULL && !aud_holds(json_object_get(claims, "aud"), rules->audience))
        return *why = "wrong audience", -1;
    if (sub == NULL || sub[0] == '\0') return *why = "sub is missing", -1;
    return 0;
}

static size_t split_scopes(const char *s, void (*fn)(void *, const char *, size_t), void *ud)
{
    size_t count = 0;
    while (*s) {
        while (*s == ' ')
            s++;
        size_t n = strcspn(s, " ");
        if (n == 0) break;
        fn(ud, s, n);
        count++;
        s += n;
    }
    return count;
}

size_t rl_jwt_scopes(const json_t *claims, void (*fn)(void *ud, const char *s, size_t len), void *ud)
{
    json_t *v = json_object_get(claims, "scope");
    if (v == NULL) v = json_object_get(claims, "scp");
    if (json_is_string(v)) return split_scopes(json_string_value(v), fn, ud);
    size_t i, count = 0;
    json_t *item;
    json_array_foreach(v, i, item) /* an item is split too: a scope never holds a space */
        if (json_is_string(item)) count += split_scopes(json_string_value(item), fn, ud);
    return count;
}

/* *named: a key carrying the token's own kid was tried (or, for a token
 * without kid, any key of its alg). */
static const rl_jwt_key_t *try_keys(const rl_jwt_keyset_t *ks, const rl_jwt_token_t *t, const char *tok,
                                    size_t len, bool *named)
{
    for (size_t i = 0; ks && i < ks->n; i++) {
        if (!rl_jwt_key_fits(&ks->keys[i], t)) continue;
        if (t->kid == NULL || ks->keys[i].kid != NULL) *named = true;
        if (rl_jwt_verify_sig(t, tok, len, &ks->keys[i]) == 0) return &ks->keys[i];
    }
    return NULL;
}

rl_jwt_outcome_t rl_jwt_verify(const char *tok, size_t len, const rl_jwt_keyset_t *a,
                               const rl_jwt_keyset_t *b, const rl_jwt_rules_t *rules, uint64_t now_ms,
                               rl_jwt_token_t *out, const char **why)
{
    bool named = false;
    if (rl_jwt_parse(tok, len, out, why) != 0) goto invalid;
    if (try_keys(a, out, tok, len, &named) == NULL && try_keys(b, out, tok, len, &named) == NULL) {
        if (!named) {
            *why = "no key for this token's kid and alg";
            rl_jwt_token_free(out);
            return RL_JWT_UNKNOWN_KEY;
        }
        *why = "bad signature";
        goto invalid;
    }
    if (rl_jwt_check_claims(out->claims, rules, now_ms, why) != 0) goto invalid;
    return RL_JWT_VALID;
invalid:
    rl_jwt_token_free(out);
    return RL_JWT_INVALID;
}
