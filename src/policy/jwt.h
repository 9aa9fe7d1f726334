/* jwt.h — JSON Web Tokens (RFC 7519) in compact JWS form: parsing, key
 * material, signature and claim checks. Pure: no I/O, time is a parameter.
 *
 * Algorithms: HS256, RS256 and ES256 are verified by libcjose (0.6.2, which
 * also imports JWKs); neither cjose 0.6.2 nor libjwt 1.10 knows EdDSA, so
 * EdDSA (Ed25519) is verified with libsodium's crypto_sign_verify_detached.
 * Every key carries exactly one algorithm and a token is only ever checked
 * against keys of its own `alg`, so an RSA public key can never be used as
 * an HMAC secret ("alg confusion"), and "none" is refused.
 *
 * The JWKS cache that fetches keys from a URL is jwt_jwks.h; the AUTHN step
 * that ties them to requests is authn.c. */
#ifndef RL_POLICY_JWT_H
#define RL_POLICY_JWT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RL_JWT_MAX_TOKEN 16384 /* bytes; longer tokens are refused unparsed */

typedef enum rl_jwt_alg {
    RL_JWT_ALG_NONE = 0, /* never accepted */
    RL_JWT_HS256,
    RL_JWT_RS256,
    RL_JWT_ES256,
    RL_JWT_EDDSA,
} rl_jwt_alg_t;

/* "HS256", "RS256", "ES256", "EdDSA" → alg; RL_JWT_ALG_NONE otherwise. */
rl_jwt_alg_t rl_jwt_alg_parse(const char *s);
const char *rl_jwt_alg_name(rl_jwt_alg_t alg);

/* One verification key. Owned by its keyset (or by whoever made it with the
 * constructors below, until added to a keyset). */
typedef struct rl_jwt_key {
    char *kid;           /* NULL: the key is tried for every token of its alg */
    rl_jwt_alg_t alg;    /* the only algorithm this key verifies */
    void *jwk;           /* cjose_jwk_t * for HS256, RS256, ES256 */
    uint8_t ed25519[32]; /* EdDSA public key */
} rl_jwt_key_t;

typedef struct rl_jwt_keyset {
    rl_jwt_key_t *keys; /* malloc'd */
    size_t n;
} rl_jwt_keyset_t;

/* Key constructors. Each returns 0 and fills *out (free with
 * rl_jwt_key_free), or -1 with a reason in err (never key material).
 * `kid` may be NULL; it is copied. */

/* HS256 from a shared secret of `len` bytes (at least 32 recommended; at
 * least 1 required). */
int rl_jwt_key_from_secret(const char *kid, const uint8_t *secret, size_t len, rl_jwt_key_t *out, char *err,
                           size_t errlen);

/* RS256 (RSA), ES256 (P-256) or EdDSA (Ed25519) from a PEM public key or
 * certificate. `alg` RL_JWT_ALG_NONE = infer it from the key type; else it
 * must fit the key type. */
int rl_jwt_key_from_pem(const char *kid, rl_jwt_alg_t alg, const char *pem, size_t len, rl_jwt_key_t *out,
                        char *err, size_t errlen);

/* From one JWK (a JSON object): kty RSA, EC (P-256), oct, or OKP (Ed25519).
 * The JWK's "kid" is used when `kid` is NULL; its "alg", when present, must
 * agree with `alg` (RL_JWT_ALG_NONE = take it from the JWK or infer it from
 * kty/crv). A JWK with "use" other than "sig" is refused. */
int rl_jwt_key_from_jwk(const char *kid, rl_jwt_alg_t alg, const json_t *jwk, rl_jwt_key_t *out, char *err,
                        size_t errlen);

void rl_jwt_key_free(rl_jwt_key_t *k);

/* Parses a JWKS document ({"keys":[…]}) into *out. Keys that cannot be used
 * (encryption keys, unknown kty or curve, malformed) are skipped; *skipped
 * counts them. -1 with a reason when the document itself is malformed. */
int rl_jwks_parse(const char *json, size_t len, rl_jwt_keyset_t *out, size_t *skipped, char *err,
                  size_t errlen);

/* Appends *k to the set (which takes ownership; *k is zeroed). */
void rl_jwt_keyset_add(rl_jwt_keyset_t *ks, rl_jwt_key_t *k);
void rl_jwt_keyset_free(rl_jwt_keyset_t *ks);

/* `auth.jwt` of relais.yaml (owned by the config; rl_jwt_cfg_free). */
typedef struct rl_jwt_cfg {
    char *issuer;              /* NULL = iss not checked */
    char *audience;            /* NULL = aud not checked */
    char *jwks_url;            /* NULL = static keys only */
    uint64_t jwks_interval_ms; /* jwks_refetch_interval: fetches start at most this often (per worker) */
    uint64_t leeway_ms;        /* default 0 */
    rl_jwt_keyset_t keys;      /* auth.jwt.keys */
} rl_jwt_cfg_t;

void rl_jwt_cfg_free(rl_jwt_cfg_t *cfg);

/* A parsed but not yet verified token. */
typedef struct rl_jwt_token {
    rl_jwt_alg_t alg;
    char *kid;          /* header "kid", or NULL */
    json_t *claims;     /* the payload object (owned) */
    size_t signing_len; /* bytes of "header.payload" at the token's start */
    uint8_t *sig;       /* decoded signature (owned) */
    size_t sig_len;
} rl_jwt_token_t;

/* Parses a compact JWS: three base64url parts, a header object with a
 * supported "alg" (and no "crit"), a payload object. 0, or -1 with a static
 * reason in *why. The token must be freed with rl_jwt_token_free either way. */
int rl_jwt_parse(const char *tok, size_t len, rl_jwt_token_t *out, const char **why);
void rl_jwt_token_free(rl_jwt_token_t *t);

/* True when key `k` may verify token `t`: same alg, and the same kid when
 * both have one. */
bool rl_jwt_key_fits(const rl_jwt_key_t *k, const rl_jwt_token_t *t);

/* Verifies the signature of `t` (parsed from `tok`) with `k`. 0 or -1. */
int rl_jwt_verify_sig(const rl_jwt_token_t *t, const char *tok, size_t len, const rl_jwt_key_t *k);

/* What a route requires of a token's claims. */
typedef struct rl_jwt_rules {
    const char *issuer;   /* "iss" must equal it; NULL = not checked */
    const char *audience; /* "aud" (string or array) must hold it; NULL = not checked */
    uint64_t leeway_ms;   /* tolerated clock skew for exp and nbf */
} rl_jwt_rules_t;

/* Checks exp (required), nbf (when present), iss, aud and sub (required, a
 * non-empty string) at `now_ms`. 0, or -1 with a static reason in *why. */
int rl_jwt_check_claims(const json_t *claims, const rl_jwt_rules_t *rules, uint64_t now_ms, const char **why);

/* The token's scopes, from "scope" (space-separated string) or, when absent,
 * "scp" (array of strings, or space-separated string). Calls `fn` for each
 * (not NUL-terminated); returns the count. */
size_t rl_jwt_scopes(const json_t *claims, void (*fn)(void *ud, const char *s, size_t len), void *ud);

/* Outcome of rl_jwt_verify. */
typedef enum rl_jwt_outcome {
    RL_JWT_VALID = 0,
    RL_JWT_INVALID,     /* malformed, bad signature, or failed claims */
    RL_JWT_UNKNOWN_KEY, /* no key in the sets fits the token (a JWKS refetch may help) */
} rl_jwt_outcome_t;

/* Parses `tok`, finds a fitting key in `a` then `b` (either may be NULL),
 * verifies the signature and the claims. On RL_JWT_VALID *out holds the
 * parsed token (free it); otherwise *out is freed and *why says why. */
rl_jwt_outcome_t rl_jwt_verify(const char *tok, size_t len, const rl_jwt_keyset_t *a,
                               const rl_jwt_keyset_t *b, const rl_jwt_rules_t *rules, uint64_t now_ms,
                               rl_jwt_token_t *out, const char **why);

#endif
