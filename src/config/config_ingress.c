/* config_ingress.c — who may call a route and how much: top-level
 * `trust_proxy` and `auth.jwt` (keys are parsed here, so a bad PEM or JWK is
 * reported with its line), the extra `cors` keys, and the route keys `auth`,
 * `scopes`, `allow_ips`, `rate_limit` and `quota` (DESIGN §2, §4). */
#include "config/config_ingress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/method.h"
#include "policy/jwt.h"
#include "policy/jwt_jwks.h"
#include "shared/shared.h"

#define SEC 1000ull
#define DAY (86400ull * SEC)

static const char *const auth_keys[] = {"jwt", NULL};
static const char *const jwt_keys[] = {"issuer", "audience", "jwks_url", "jwks_refetch_interval",
                                       "leeway", "keys",     NULL};
static const char *const jwt_key_keys[] = {"kid", "alg", "key", "pem", "jwk", NULL};
static const char *const limit_keys[] = {"limit", "by", NULL};

/* A list of strings (items checked with rl_cfg_item_str). Returns the count
 * stored in *out (malloc'd), or 0 when absent or bad. */
static size_t load_str_list(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *path, char ***out)
{
    *out = NULL;
    if (rl_cfg_seq(c, n, path) != 1 || n->n == 0) return 0;
    char **v = rl_cfg_xcalloc(n->n, sizeof(char *));
    size_t k = 0;
    for (size_t i = 0; i < n->n; i++)
        if (rl_cfg_item_str(c, n->items[i], path, &v[k]) == 1) k++;
    *out = v;
    return k;
}

static void free_str_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void load_cidrs(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *path, rl_cidr_list_t *out)
{
    if (rl_cfg_seq(c, n, path) != 1 || n->n == 0) return;
    out->items = rl_cfg_xcalloc(n->n, sizeof(rl_cidr_t));
    for (size_t i = 0; i < n->n; i++) {
        char *s = NULL;
        const char *why = NULL;
        if (rl_cfg_item_str(c, n->items[i], path, &s) != 1) continue;
        if (rl_cidr_parse(s, strlen(s), &out->items[out->n], &why) == 0)
            out->n++;
        else
            rl_cfg_error(c, n->items[i]->line, "%s: '%.64s' is not a CIDR (10.0.0.0/8, 2001:db8::/32): %s",
                         path, s, why);
        free(s);
    }
}

/* ---- auth.jwt ---- */

static json_t *ynode_json(const rl_ynode_t *n)
{
    if (n == NULL) return json_null();
    if (n->kind == RL_YNODE_SCALAR) return json_string(n->str);
    json_t *v = n->kind == RL_YNODE_MAP ? json_object() : json_array();
    for (size_t i = 0; i < n->n; i++) {
        if (n->kind == RL_YNODE_MAP)
            json_object_set_new(v, n->pairs[i].key, ynode_json(n->pairs[i].value));
        else
            json_array_append_new(v, ynode_json(n->items[i]));
    }
    return v;
}

/* `jwk` as a YAML mapping or as a JSON string. */
static int jwk_key(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *kid, rl_jwt_alg_t alg, rl_jwt_key_t *k,
                   char *err, size_t errlen)
{
    json_t *j = n->kind == RL_YNODE_SCALAR ? json_loads(n->str, JSON_REJECT_DUPLICATES, NULL) : ynode_json(n);
    if (j == NULL) {
        snprintf(err, errlen, "not a JSON object");
        return -1;
    }
    int rc = rl_jwt_key_from_jwk(kid, alg, j, k, err, errlen);
    json_decref(j);
    return rc;
}

static void load_jwt_key(rl_cfg_ctx_t *c, rl_jwt_cfg_t *jc, const rl_ynode_t *n, const char *path)
{
    char key[96], *kid = NULL, *alg_s = NULL, *val = NULL, err[160] = "";
    if (rl_cfg_map(c, n, path) != 1) return;
    rl_cfg_check_keys(c, n, path, jwt_key_keys);
    snprintf(key, sizeof(key), "%s.kid", path);
    rl_cfg_str(c, rl_ytree_get(n, "kid"), key, &kid);
    snprintf(key, sizeof(key), "%s.alg", path);
    const rl_ynode_t *an = rl_ytree_get(n, "alg");
    rl_jwt_alg_t alg = RL_JWT_ALG_NONE;
    if (rl_cfg_str(c, an, key, &alg_s) == 1 && (alg = rl_jwt_alg_parse(alg_s)) == RL_JWT_ALG_NONE)
        rl_cfg_error(c, an->line, "%s: expected HS256, RS256, ES256 or EdDSA, got '%.16s'", key, alg_s);
    const rl_ynode_t *kn = rl_ytree_get(n, "key"), *pn = rl_ytree_get(n, "pem"), *jn = rl_ytree_get(n, "jwk");
    int given = !rl_cfg_absent(kn) + !rl_cfg_absent(pn) + !rl_cfg_absent(jn);
    rl_jwt_key_t k;
    int rc = -1;
    if (given != 1) {
        rl_cfg_error(c, n->line, "%s: set exactly one of key (HS256 secret), pem or jwk", path);
        goto out;
    }
    if (!rl_cfg_absent(kn)) {
        snprintf(key, sizeof(key), "%s.key", path);
        if (alg != RL_JWT_ALG_NONE && alg != RL_JWT_HS256) {
            rl_cfg_error(c, kn->line, "%s: a shared secret is for HS256 only (use pem or jwk for %s)", key,
                         rl_jwt_alg_name(alg));
            goto out;
        }
        if (rl_cfg_str(c, kn, key, &val) != 1) goto out;
        rc = rl_jwt_key_from_secret(kid, (const uint8_t *)val, strlen(val), &k, err, sizeof(err));
    } else if (!rl_cfg_absent(pn)) {
        snprintf(key, sizeof(key), "%s.pem", path);
        kn = pn;
        if (rl_cfg_str(c, pn, key, &val) != 1) goto out;
        rc = rl_jwt_key_from_pem(kid, alg, val, strlen(val), &k, err, sizeof(err));
    } else {
        snprintf(key, sizeof(key), "%s.jwk", path);
        kn = jn;
        rc = jwk_key(c, jn, kid, alg, &k, err, sizeof(err));
    }
    if (rc == 0)
        rl_jwt_keyset_add(&jc->keys, &k);
    else if (err[0])
        rl_cfg_error(c, kn->line, "%s: %s", key, err);
out:
    free(val);
    free(kid);
    free(alg_s);
}

static void load_jwt(rl_cfg_ctx_t *c, const rl_ynode_t *n)
{
    if (rl_cfg_map(c, n, "auth.jwt") != 1) return;
    rl_cfg_check_keys(c, n, "auth.jwt", jwt_keys);
    rl_jwt_cfg_t *jc = rl_cfg_xcalloc(1, sizeof(*jc));
    c->cfg->jwt = jc;
    rl_cfg_str(c, rl_ytree_get(n, "issuer"), "auth.jwt.issuer", &jc->issuer);
    rl_cfg_str(c, rl_ytree_get(n, "audience"), "auth.jwt.audience", &jc->audience);
    rl_cfg_duration(c, rl_ytree_get(n, "leeway"), "auth.jwt.leeway", 0, DAY, &jc->leeway_ms);
    jc->jwks_interval_ms = RL_JWKS_MIN_INTERVAL_MS;
    rl_cfg_duration(c, rl_ytree_get(n, "jwks_refetch_interval"), "auth.jwt.jwks_refetch_interval", SEC, DAY,
                    &jc->jwks_interval_ms);
    const rl_ynode_t *u = rl_ytree_get(n, "jwks_url");
    size_t origin_len;
    if (rl_cfg_str(c, u, "auth.jwt.jwks_url", &jc->jwks_url) == 1) {
        const char *why = rl_cfg_url_check(jc->jwks_url, &origin_len);
        if (why) rl_cfg_error(c, u->line, "auth.jwt.jwks_url: invalid URL '%.64s': %s", jc->jwks_url, why);
    }
    const rl_ynode_t *keys = rl_ytree_get(n, "keys");
    if (rl_cfg_seq(c, keys, "auth.jwt.keys") == 1) {
        for (size_t i = 0; i < keys->n; i++) {
            char path[48];
            snprintf(path, sizeof(path), "auth.jwt.keys[%zu]", i);
            load_jwt_key(c, jc, keys->items[i], path);
        }
    }
    if (jc->jwks_url == NULL && rl_cfg_absent(keys))
        rl_cfg_error(c, n->line, "auth.jwt: set jwks_url, keys, or both");
}

void rl_cfg_load_access(rl_cfg_ctx_t *c, const rl_ynode_t *root)
{
    load_cidrs(c, rl_ytree_get(root, "trust_proxy"), "trust_proxy", &c->cfg->trust_proxy);
    const rl_ynode_t *auth = rl_ytree_get(root, "auth");
    if (rl_cfg_map(c, auth, "auth") != 1) return;
    rl_cfg_check_keys(c, auth, "auth", auth_keys);
    load_jwt(c, rl_ytree_get(auth, "jwt"));
}

/* ---- cors ---- */

/* A list joined with ", " for a header value; NULL when absent. Items must
 * be tokens (header names, methods): no commas, spaces or controls. */
static char *load_joined(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *path, bool methods)
{
    char **v;
    size_t k = load_str_list(c, n, path, &v), len = 1;
    for (size_t i = 0; i < k; i++) {
        size_t bad = strcspn(v[i], " ,\t\r\n\"");
        if (v[i][0] == '\0' || v[i][bad] != '\0')
            rl_cfg_error(c, n->line, "%s: '%.32s' is not a header or method name", path, v[i]);
        else if (methods && rl_method_bit(v[i], strlen(v[i])) == 0)
            rl_cfg_error(c, n->line, "%s: unknown method '%.32s'", path, v[i]);
        len += strlen(v[i]) + 2;
    }
    char *out = NULL;
    if (k > 0) {
        out = rl_cfg_xcalloc(1, len);
        for (size_t i = 0; i < k; i++) {
            if (i) strcat(out, ", ");
            strcat(out, v[i]);
        }
    }
    free_str_list(v, k);
    return out;
}

void rl_cfg_load_cors_more(rl_cfg_ctx_t *c, const rl_ynode_t *cors)
{
    rl_config_t *cfg = c->cfg;
    cfg->cors_max_age_s = 600;
    if (cors == NULL || cors->kind != RL_YNODE_MAP) return;
    cfg->cors_allow_methods = load_joined(c, rl_ytree_get(cors, "allow_methods"), "cors.allow_methods", true);
    cfg->cors_allow_headers =
        load_joined(c, rl_ytree_get(cors, "allow_headers"), "cors.allow_headers", false);
    cfg->cors_expose_headers =
        load_joined(c, rl_ytree_get(cors, "expose_headers"), "cors.expose_headers", false);
    uint64_t ms = cfg->cors_max_age_s * SEC;
    if (rl_cfg_duration(c, rl_ytree_get(cors, "max_age"), "cors.max_age", 0, DAY, &ms) == 1)
        cfg->cors_max_age_s = ms / SEC;
}

/* ---- routes ---- */

static void load_auth_list(rl_cfg_ctx_t *c, rl_route_cfg_t *r, const rl_ynode_t *n, const char *path)
{
    static const char *const names[] = {"none", "api_key", "jwt", NULL};
    char key[64];
    snprintf(key, sizeof(key), "%s.auth", path);
    if (rl_cfg_absent(n)) return;
    const rl_ynode_t *one = n;
    size_t count = 1;
    if (n->kind == RL_YNODE_SEQ) {
        count = n->n;
        if (count == 0) rl_cfg_error(c, n->line, "%s: must not be empty (leave it out for none)", key);
    }
    for (size_t i = 0; i < count; i++) {
        if (n->kind == RL_YNODE_SEQ) one = n->items[i];
        int v;
        if (rl_cfg_enum(c, one, key, names, &v) != 1) continue;
        rl_authn_method_t m = (rl_authn_method_t)(v + RL_AUTHN_NONE);
        bool dup = false;
        for (size_t j = 0; j < r->n_auth; j++)
            dup |= r->auth[j] == m;
        if (dup) {
            rl_cfg_error(c, one->line, "%s: '%s' is listed twice", key, names[v]);
            continue;
        }
        if (m == RL_AUTHN_JWT && c->cfg->jwt == NULL)
            rl_cfg_error(c, one->line, "%s: jwt needs auth.jwt at the top level (issuer, keys or jwks_url)",
                         key);
        r->auth[r->n_auth++] = m;
    }
}

static void load_limit(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *path, rl_limit_cfg_t *out,
                       bool quota)
{
    static const char *const bys[] = {"consumer", "ip", NULL};
    char key[96];
    const rl_ynode_t *lim = n;
    *out = (rl_limit_cfg_t){.by = RL_LIMIT_BY_CONSUMER};
    if (n->kind == RL_YNODE_MAP) {
        rl_cfg_check_keys(c, n, path, limit_keys);
        lim = rl_ytree_get(n, "limit");
        int by;
        snprintf(key, sizeof(key), "%s.by", path);
        if (rl_cfg_enum(c, rl_ytree_get(n, "by"), key, bys, &by) == 1) out->by = (rl_limit_by_t)by;
        snprintf(key, sizeof(key), "%s.limit", path);
    } else {
        snprintf(key, sizeof(key), "%s", path);
    }
    int rc = rl_cfg_rate(c, lim, key, &out->rate);
    if (rc == 0) rl_cfg_missing(c, n->line, lim, key);
    if (rc != 1) {
        out->rate.count = 0;
        return;
    }
    snprintf(out->text, sizeof(out->text), "%.31s", lim->str);
    if (quota && !out->rate.calendar) {
        rl_cfg_error(c, lim->line, "%s: a quota is per day or per month (e.g. 10000/month), got '%.32s'", key,
                     lim->str);
        out->rate.count = 0;
    }
    if (!quota) out->rate.calendar = 0; /* a rate limit is rolling (GCRA), whatever its unit */
}

static void load_rate_limits(rl_cfg_ctx_t *c, rl_route_cfg_t *r, const rl_ynode_t *n, const char *path)
{
    char key[64];
    snprintf(key, sizeof(key), "%s.rate_limit", path);
    if (rl_cfg_absent(n)) return;
    size_t count = n->kind == RL_YNODE_SEQ ? n->n : 1;
    if (count == 0) return;
    if (count > RL_GCRA_MULTI_MAX) { /* checked in one shared-state call */
        rl_cfg_error(c, n->line, "%s: at most %d limits per route, got %zu", key, RL_GCRA_MULTI_MAX, count);
        return;
    }
    r->rate_limits = rl_cfg_xcalloc(count, sizeof(rl_limit_cfg_t));
    for (size_t i = 0; i < count; i++) {
        char item[112];
        const rl_ynode_t *one = n->kind == RL_YNODE_SEQ ? n->items[i] : n;
        if (n->kind == RL_YNODE_SEQ)
            snprintf(item, sizeof(item), "%s[%zu]", key, i);
        else
            snprintf(item, sizeof(item), "%s", key);
        if (one == NULL || one->kind == RL_YNODE_SEQ) {
            rl_cfg_error(c, one ? one->line : n->line,
                         "%s: expected 100/min or {limit: 100/min, by: consumer}", item);
            continue;
        }
        load_limit(c, one, item, &r->rate_limits[r->n_rate_limits], false);
        if (r->rate_limits[r->n_rate_limits].rate.count) r->n_rate_limits++;
    }
}

void rl_cfg_load_route_access(rl_cfg_ctx_t *c, rl_route_cfg_t *r, const rl_ynode_t *route, const char *path)
{
    char key[64];
    load_auth_list(c, r, rl_ytree_get(route, "auth"), path);
    snprintf(key, sizeof(key), "%s.scopes", path);
    r->n_scopes = load_str_list(c, rl_ytree_get(route, "scopes"), key, &r->scopes);
    snprintf(key, sizeof(key), "%s.allow_ips", path);
    load_cidrs(c, rl_ytree_get(route, "allow_ips"), key, &r->allow_ips);
    load_rate_limits(c, r, rl_ytree_get(route, "rate_limit"), path);
    const rl_ynode_t *q = rl_ytree_get(route, "quota");
    snprintf(key, sizeof(key), "%s.quota", path);
    if (!rl_cfg_absent(q)) {
        if (q->kind == RL_YNODE_SEQ)
            rl_cfg_error(c, q->line, "%s: expected 10000/month or {limit: 10000/month, by: consumer}", key);
        else
            load_limit(c, q, key, &r->quota, true);
    }
}

void rl_cfg_free_route_access(rl_route_cfg_t *r)
{
    free_str_list(r->scopes, r->n_scopes);
    rl_cidr_list_free(&r->allow_ips);
    free(r->rate_limits);
}

void rl_cfg_free_access(rl_config_t *cfg)
{
    rl_cidr_list_free(&cfg->trust_proxy);
    rl_jwt_cfg_free(cfg->jwt);
    free(cfg->cors_allow_methods);
    free(cfg->cors_allow_headers);
    free(cfg->cors_expose_headers);
}
