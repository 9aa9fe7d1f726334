/* keys_store.h — API key operations shared by `relais keys` and the admin
 * API: validation of the inputs, then one store call each. Blocking (they
 * call the store): the admin API runs them on the thread pool. */
#ifndef RL_INGRESS_KEYS_STORE_H
#define RL_INGRESS_KEYS_STORE_H

#include <jansson.h>

#include "ingress/keys.h"

#define RL_KEY_DEFAULT_GRACE_MS (7 * 86400000LL)

typedef struct rl_key_spec {
    const char *name;      /* required, 1–200 bytes */
    const char *scopes;    /* comma list or NULL */
    const char *allow_ips; /* comma list of CIDRs or NULL */
    int64_t expires_at_ms; /* 0 = never; must be in the future */
} rl_key_spec_t;

/* Creates a key. On success writes the whole key once into `key`
 * (RL_KEY_LEN + 1 bytes) and the stored row into *row (clear it after).
 * RL_EBAD_REQUEST on invalid input. */
int rl_keys_create(rl_store_t *s, const rl_key_spec_t *spec, int64_t now_ms, char *key,
                   rl_store_key_row_t *row, rl_err_t *err);

/* Gives key `id` a new secret; the old one keeps working for grace_ms.
 * Writes the new key into `key` and the updated row into *row. */
int rl_keys_rotate(rl_store_t *s, const char *id, int64_t grace_ms, int64_t now_ms, char *key,
                   rl_store_key_row_t *row, rl_err_t *err);

/* True when `id` looks like a key id (so that a lookup is worth it). */
bool rl_keys_id_valid(const char *id);

/* The row as a JSON object without any secret or hash: id, name, scopes
 * (array), allow_ips (array), created_at, expires_at, last_used_at,
 * revoked_at (RFC 3339 strings or null), status (active, expired, revoked),
 * rotation_grace_until. New reference. */
json_t *rl_keys_to_json(const rl_store_key_row_t *k, int64_t now_ms);

/* Formats Unix ms as "2026-11-21T10:00:00Z" into buf (≥ 32 bytes). */
void rl_keys_time(int64_t ms, char *buf, size_t cap);

#endif
