/* keys_store.c — API key operations over the store, see keys_store.h. */
#include "ingress/keys_store.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base62.h"

bool rl_keys_id_valid(const char *id)
{
    return id != NULL && strlen(id) == RL_KEY_ID_LEN && rl_base62_valid(id, RL_KEY_ID_LEN);
}

void rl_keys_time(int64_t ms, char *buf, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int check_name(const char *name, rl_err_t *err)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 200) return rl_err_set(err, RL_EBAD_REQUEST, "name is required (1 to 200 bytes)");
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return rl_err_set(err, RL_EBAD_REQUEST, "name must not contain control characters");
    return 0;
}

int rl_keys_create(rl_store_t *s, const rl_key_spec_t *spec, int64_t now_ms, char *key,
                   rl_store_key_row_t *row, rl_err_t *err)
{
    rl_store_key_row_t k = {0};
    int rc;
    memset(row, 0, sizeof(*row));
    if ((rc = check_name(spec->name, err)) != 0) return rc;
    if (spec->expires_at_ms != 0 && spec->expires_at_ms <= now_ms)
        return rl_err_set(err, RL_EBAD_REQUEST, "expires_at must be in the future");
    if ((rc = rl_key_list_normalize(spec->scopes, false, &k.scopes, err)) != 0) goto out;
    if ((rc = rl_key_list_normalize(spec->allow_ips, true, &k.allow_ips, err)) != 0) {
        char msg[sizeof(err->msg)];
        memcpy(msg, err->msg, sizeof(msg));
        rl_err_set(err, RL_EBAD_REQUEST, "allow_ips: %.200s", msg);
        goto out;
    }
    if ((k.name = strdup(spec->name)) == NULL) abort();
    k.created_at_ms = now_ms;
    k.expires_at_ms = spec->expires_at_ms;
    for (int attempt = 0; attempt < 3; attempt++) { /* an id collision (2^-71) gets a new id */
        rl_key_generate(k.id, key, k.secret_hash);
        if ((rc = rl_store_key_insert(s, &k, err)) != -(int)RL_EBAD_REQUEST) break;
    }
    if (rc == 0) {
        *row = k;
        memset(&k, 0, sizeof(k));
    }
out:
    rl_store_key_row_clear(&k);
    return rc;
}

int rl_keys_rotate(rl_store_t *s, const char *id, int64_t grace_ms, int64_t now_ms, char *key,
                   rl_store_key_row_t *row, rl_err_t *err)
{
    uint8_t hash[RL_STORE_HASH_LEN];
    int rc;
    memset(row, 0, sizeof(*row));
    if (!rl_keys_id_valid(id)) return rl_err_set(err, RL_ENOT_FOUND, "no API key %.40s", id);
    if (grace_ms < 0) return rl_err_set(err, RL_EBAD_REQUEST, "grace must not be negative");
    if ((rc = rl_store_key_get(s, id, row, err)) != 0) return rc;
    if (row->revoked_at_ms != 0) {
        rl_store_key_row_clear(row);
        return rl_err_set(err, RL_ENOT_FOUND, "API key %s is revoked", id);
    }
    rl_store_key_row_clear(row);
    rl_key_regenerate(id, key, hash);
    /* grace 0: the old secret stops at once (prev_until = now) */
    if ((rc = rl_store_key_rotate(s, id, hash, now_ms + grace_ms, err)) != 0) return rc;
    return rl_store_key_get(s, id, row, err);
}

static json_t *list_json(const char *s)
{
    json_t *a = json_array();
    char *copy = strdup(s ? s : ""), *save = NULL;
    for (char *p = copy, *tok; copy && (tok = strtok_r(p, ",", &save)) != NULL; p = NULL)
        json_array_append_new(a, json_string(tok));
    free(copy);
    return a;
}

static json_t *time_json(int64_t ms)
{
    char buf[32];
    if (ms == 0) return json_null();
    rl_keys_time(ms, buf, sizeof(buf));
    return json_string(buf);
}

json_t *rl_keys_to_json(const rl_store_key_row_t *k, int64_t now_ms)
{
    const char *status = k->revoked_at_ms                                   ? "revoked"
                         : (k->expires_at_ms && now_ms >= k->expires_at_ms) ? "expired"
                                                                            : "active";
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(k->id));
    json_object_set_new(o, "name", json_string(k->name ? k->name : ""));
    json_object_set_new(o, "scopes", list_json(k->scopes));
    json_object_set_new(o, "allow_ips", list_json(k->allow_ips));
    json_object_set_new(o, "status", json_string(status));
    json_object_set_new(o, "created_at", time_json(k->created_at_ms));
    json_object_set_new(o, "expires_at", time_json(k->expires_at_ms));
    json_object_set_new(o, "last_used_at", time_json(k->last_used_at_ms));
    json_object_set_new(o, "revoked_at", time_json(k->revoked_at_ms));
    json_object_set_new(o, "rotation_grace_until",
                        time_json(k->prev_until_ms > now_ms ? k->prev_until_ms : 0));
    return o;
}
