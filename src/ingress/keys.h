/* keys.h — API keys: format, generation, hashing and verification, with no
 * I/O (the store keeps them, policy/auth_apikey.c caches and checks them).
 *
 * A key is `rk_<id>_<secret>`: `id` is 12 base62 characters (≈71 bits,
 * public, the lookup handle and the consumer name), `secret` 43 base62
 * characters (≈256 bits from libsodium's CSPRNG). Only SHA-256(secret) is
 * stored; verification compares hashes in constant time.
 *
 * Rotation keeps the previous hash with a deadline: until then the old and
 * the new secret both verify (a second rotation within the grace period
 * drops the oldest secret at once). */
#ifndef RL_INGRESS_KEYS_H
#define RL_INGRESS_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

#define RL_KEY_ID_LEN 12
#define RL_KEY_SECRET_LEN 43
#define RL_KEY_LEN (3 + RL_KEY_ID_LEN + 1 + RL_KEY_SECRET_LEN) /* rk_ + id + _ + secret */
#define RL_KEY_MAX_LIST 64                                     /* scopes or CIDRs per key */
#define RL_KEY_MAX_FIELD 4096                                  /* bytes of name, scopes, allow_ips */

typedef enum rl_key_verdict {
    RL_KEY_VALID = 0,
    RL_KEY_WRONG_SECRET,
    RL_KEY_REVOKED,
    RL_KEY_EXPIRED,
} rl_key_verdict_t;

/* Splits `s` (len bytes) into id and secret. Returns 0 when it is
 * rk_<id>_<secret> with a base62 id of RL_KEY_ID_LEN and a base62 secret of
 * 20–128 characters; -1 otherwise (outputs untouched). */
int rl_key_parse(const char *s, size_t len, const char **id, const char **secret, size_t *secret_len);

/* SHA-256 of the secret text. */
void rl_key_hash_secret(const char *secret, size_t len, uint8_t out[RL_STORE_HASH_LEN]);

/* A fresh key: its id (RL_KEY_ID_LEN + 1 bytes), the whole key text
 * (RL_KEY_LEN + 1 bytes) and the hash to store. */
void rl_key_generate(char *id, char *key, uint8_t hash[RL_STORE_HASH_LEN]);

/* A fresh secret for existing `id` (rotation): key text and hash. */
void rl_key_regenerate(const char *id, char *key, uint8_t hash[RL_STORE_HASH_LEN]);

/* Decides whether `secret` opens key `k` at now_ms: revoked, expired, then
 * the current hash, then the previous one while now_ms < prev_until_ms. Both
 * hashes are always compared (constant time, no early exit on the first). */
rl_key_verdict_t rl_key_verify(const rl_store_key_row_t *k, const char *secret, size_t secret_len,
                               int64_t now_ms);

/* A verification memo, kept with a cached key: the keyed hash (SipHash-128
 * under a random per-process key) of the last secret found to be the key's
 * current one. A secret with the same tag is that secret, without a
 * SHA-256; a 128-bit PRF tag cannot be matched by another secret without
 * the key, which never leaves the process. Zero it whenever the stored key
 * changes (a rotation changes the current hash). */
typedef struct rl_key_memo {
    bool set;
    uint8_t tag[16];
} rl_key_memo_t;

/* rl_key_verify, answered from (and filling) memo `m` when it can: the
 * same verdicts for every secret, key and time. */
rl_key_verdict_t rl_key_verify_memo(const rl_store_key_row_t *k, rl_key_memo_t *m, const char *secret,
                                    size_t secret_len, int64_t now_ms);

/* Checks a CIDR ("10.0.0.0/8", "2001:db8::/32", or a bare address meaning
 * /32 or /128). NULL when fine, else why not (a static string). */
const char *rl_key_cidr_check(const char *s);

/* Normalizes a comma-separated list (scopes, or CIDRs when `cidrs`): trims
 * spaces, drops empty items, refuses more than RL_KEY_MAX_LIST items, items
 * with ',' or control characters, and (for cidrs) invalid CIDRs. Writes the
 * canonical "a,b" form to *out (malloc'd). Returns 0, or RL_EBAD_REQUEST
 * with the reason in err. */
int rl_key_list_normalize(const char *in, bool cidrs, char **out, rl_err_t *err);

#endif
