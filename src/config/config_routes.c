/* config_routes.c — the `providers` and `routes` sections of relais.yaml.
 *
 * Providers are loaded first so that each route target can be checked
 * against them with its own line. Path templates are kept as written: the
 * router compiles (and reports) them later with the route's line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_auth.h"
#include "config/config_ingress_audit.h"
#include "config/config_ingress.h"
#include "config/config_int.h"
#include "http/method.h"

#define SEC 1000ull
#define DAY (86400ull * SEC)
#define MAX_NAME 64

static const char *const provider_keys[] = {"base_url", "timeout", "retry",  "breaker", "rate_limit",
                                            "quota",    "auth",    "preset", "domain",  "mode",
                                            "health",   "mock",    NULL};
static const char *const timeout_keys[] = {"connect", "total", NULL};
static const char *const route_keys[] = {"name",      "match",       "upstream", "audit", "cache",
                                         "fields",    "deprecation", "rename",   "auth",  "scopes",
                                         "allow_ips", "rate_limit",  "quota",    NULL};
static const char *const match_keys[] = {"path", "methods", NULL};
static const char *const upstream_keys[] = {"targets", "path", NULL};
static const char *const target_keys[] = {"provider", "path", NULL};

static bool valid_provider_name(const char *s)
{
    size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-");
    return n > 0 && n <= MAX_NAME && s[n] == '\0';
}

static void load_base_url(rl_cfg_ctx_t *c, rl_provider_cfg_t *p, const rl_ynode_t *map, const char *path)
{
    char key[128];
    const rl_ynode_t *n = rl_ytree_get(map, "base_url");
    size_t origin_len;
    snprintf(key, sizeof(key), "%s.base_url", path);
    int rc = rl_cfg_str(c, n, key, &p->base_url);
    if (rc == 0 && p->base_url == NULL) rl_cfg_missing(c, map->line, n, key); /* else a preset's */
    if (rc < 0 || p->base_url == NULL) return;
    const char *why = rl_cfg_url_check(p->base_url, &origin_len);
    if (why) {
        rl_cfg_error(c, rc == 1 ? n->line : map->line, "%s: invalid URL '%.64s': %s", key, p->base_url, why);
        return;
    }
    size_t len = strlen(p->base_url);
    while (len > origin_len && p->base_url[len - 1] == '/')
        p->base_url[--len] = '\0';
}

static void load_timeouts(rl_cfg_ctx_t *c, rl_provider_cfg_t *p, const rl_ynode_t *n, const char *path)
{
    char key[128];
    snprintf(key, sizeof(key), "%s.timeout", path);
    if (rl_cfg_map(c, n, key) != 1) return;
    rl_cfg_check_keys(c, n, key, timeout_keys);
    snprintf(key, sizeof(key), "%s.timeout.connect", path);
    rl_cfg_duration(c, rl_ytree_get(n, "connect"), key, 1, DAY, &p->connect_timeout_ms);
    snprintf(key, sizeof(key), "%s.timeout.total", path);
    rl_cfg_duration(c, rl_ytree_get(n, "total"), key, 1, DAY, &p->total_timeout_ms);
}

static void load_provider(rl_cfg_ctx_t *c, const rl_ypair_t *pair)
{
    rl_config_t *cfg = c->cfg;
    rl_provider_cfg_t *p = &cfg->providers[cfg->n_providers++];
    char path[80];
    *p = (rl_provider_cfg_t){.name = rl_cfg_xstrdup(pair->key), .line = pair->line};
    p->connect_timeout_ms = 5 * SEC;
    p->total_timeout_ms = 30 * SEC;
    rl_cfg_resilience_defaults(p);
    snprintf(path, sizeof(path), "providers.%.64s", pair->key);
    if (!valid_provider_name(pair->key))
        rl_cfg_error(c, pair->line, "%s: invalid provider name (use 1 to %d of a-z, 0-9, '_', '-')", path,
                     MAX_NAME);
    const rl_ynode_t *n = pair->value;
    int rc = rl_cfg_map(c, n, path);
    if (rc == 0) rl_cfg_error(c, pair->line, "%s.base_url is required", path);
    if (rc != 1) return;
    rl_cfg_check_keys(c, n, path, provider_keys);
    rl_cfg_load_provider_ext(c, n, path, p);
    load_base_url(c, p, n, path);
    load_timeouts(c, p, rl_ytree_get(n, "timeout"), path);
    rl_cfg_load_resilience(c, n, path, p);
    char auth_path[96];
    snprintf(auth_path, sizeof(auth_path), "%s.auth", path);
    rl_cfg_load_auth(c, rl_ytree_get(n, "auth"), auth_path, &p->auth);
    rl_cfg_preset_auth(p);
}

void rl_cfg_load_providers(rl_cfg_ctx_t *c, const rl_ynode_t *n)
{
    if (rl_cfg_map(c, n, "providers") != 1) return;
    c->cfg->providers = rl_cfg_xcalloc(n->n, sizeof(rl_provider_cfg_t));
    for (size_t i = 0; i < n->n; i++)
        load_provider(c, &n->pairs[i]);
}

static void load_methods(rl_cfg_ctx_t *c, rl_route_cfg_t *r, const rl_ynode_t *n, const char *path)
{
    char key[96];
    snprintf(key, sizeof(key), "%s.match.methods", path);
    if (rl_cfg_seq(c, n, key) != 1) return;
    if (n->n == 0) {
        rl_cfg_error(c, n->line, "%s: must not be empty (leave it out to allow every method)", key);
        return;
    }
    r->methods = 0;
    for (size_t i = 0; i < n->n; i++) {
        char *m = NULL;
        if (rl_cfg_item_str(c, n->items[i], key, &m) != 1) continue;
        unsigned bit = rl_method_bit(m, strlen(m));
        if (bit == 0)
            rl_cfg_error(
                c, n->items[i]->line,
                "%s: unknown method '%.32s' (expected GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS)", key,
                m);
        r->methods |= bit;
        free(m);
    }
}

static void load_match(rl_cfg_ctx_t *c, rl_route_cfg_t *r, const rl_ynode_t *n, const char *path)
{
    char key[96];
    snprintf(key, sizeof(key), "%s.match", path);
    int rc = rl_cfg_map(c, n, key);
    if (rc == 1) rl_cfg_check_keys(c, n, key, match_keys);
    snprintf(key, sizeof(key), "%s.match.path", path);
    if (rc == 0) rl_cfg_missing(c, r->line, n, key);
    if (rc != 1) return;
    const rl_ynode_t *p = rl_ytree_get(n, "path");
    rc = rl_cfg_str(c, p, key, &r->path);
    if (rc == 0) rl_cfg_missing(c, n->line, p, key);
    if (rc == 1 && r->path[0] != '/') rl_cfg_error(c, p->line, "%s: must start with '/'", key);
    load_methods(c, r, rl_ytree_get(n, "methods"), path);
}

/* One item of upstream.targets: "name" or {provider: name, path: /x}. */
static void load_target(rl_cfg_ctx_t *c, rl_route_cfg_t *r, const rl_ynode_t *n, const char *list, size_t i)
{
    rl_target_cfg_t t = {NULL, NULL};
    const rl_ynode_t *name_node = n;
    char key[128], sub[160];
    snprintf(key, sizeof(key), "%s[%zu]", list, i);
    if (n && n->kind == RL_YNODE_MAP) {
        rl_cfg_check_keys(c, n, key, target_keys);
        name_node = rl_ytree_get(n, "provider");
        snprintf(sub, sizeof(sub), "%s.provider", key);
        int rc = rl_cfg_str(c, name_node, sub, &t.provider);
        if (rc == 0) rl_cfg_missing(c, n->line, name_node, sub);
        snprintf(sub, sizeof(sub), "%s.path", key);
        rl_cfg_str(c, rl_ytree_get(n, "path"), sub, &t.path);
    } else if (n && n->kind == RL_YNODE_SEQ) {
        rl_cfg_error(c, n->line, "%s: expected a provider name or {provider: NAME, path: /x}, got a list",
                     key);
    } else {
        rl_cfg_item_str(c, n, key, &t.provider);
    }
    if (t.provider && rl_config_provider(c->cfg, t.provider) == NULL)
        rl_cfg_error(c, name_node->line, "%s: unknown provider '%.64s'", key, t.provider);
    if (t.provider == NULL) {
        free(t.path);
        return;
    }
    r->targets[r->n_targets++] = t;
}

static void load_upstream(rl_cfg_ctx_t *c, rl_route_cfg_t *r, const rl_ynode_t *n, const char *path)
{
    char key[96];
    snprintf(key, sizeof(key), "%s.upstream", path);
    int rc = rl_cfg_map(c, n, key);
    snprintf(key, sizeof(key), "%s.upstream.targets", path);
    if (rc == 0) rl_cfg_missing(c, r->line, n, key);
    if (rc != 1) return;
    snprintf(key, sizeof(key), "%s.upstream", path);
    rl_cfg_check_keys(c, n, key, upstream_keys);
    snprintf(key, sizeof(key), "%s.upstream.path", path);
    rl_cfg_str(c, rl_ytree_get(n, "path"), key, &r->upstream_path);
    const rl_ynode_t *t = rl_ytree_get(n, "targets");
    snprintf(key, sizeof(key), "%s.upstream.targets", path);
    rc = rl_cfg_seq(c, t, key);
    if (rc == 0) rl_cfg_missing(c, n->line, t, key);
    if (rc != 1) return;
    if (t->n == 0) rl_cfg_error(c, t->line, "%s: must name at least one provider", key);
    r->targets = rl_cfg_xcalloc(t->n, sizeof(rl_target_cfg_t));
    for (size_t i = 0; i < t->n; i++)
        load_target(c, r, t->items[i], key, i);
}

static void load_route(rl_cfg_ctx_t *c, const rl_ynode_t *n, size_t index)
{
    rl_config_t *cfg = c->cfg;
    char path[48];
    snprintf(path, sizeof(path), "routes[%zu]", index);
    if (n == NULL || n->kind != RL_YNODE_MAP) {
        rl_cfg_error(c, n ? n->line : 0, "%s: expected a mapping, got %s", path, rl_ytree_kind_name(n));
        return;
    }
    rl_route_cfg_t *r = &cfg->routes[cfg->n_routes++];
    *r = (rl_route_cfg_t){.line = n->line, .methods = RL_M_ALL};
    rl_cfg_check_keys(c, n, path, route_keys);
    const rl_ynode_t *name = rl_ytree_get(n, "name");
    char key[64];
    snprintf(key, sizeof(key), "%s.name", path);
    if (rl_cfg_str(c, name, key, &r->name) == 1 && r->name[0] == '\0')
        rl_cfg_error(c, name->line, "%s: must not be empty", key);
    if (r->name == NULL && asprintf(&r->name, "route-%zu", index) < 0) abort();
    load_match(c, r, rl_ytree_get(n, "match"), path);
    load_upstream(c, r, rl_ytree_get(n, "upstream"), path);
    rl_cfg_load_route_access(c, r, n, path);
    rl_cfg_load_route_policies(c, r, n, path);
    rl_cfg_load_route_audit(c, r, rl_ytree_get(n, "audit"), path);
}

static int cmp_route(const void *a, const void *b)
{
    const rl_route_cfg_t *x = *(const rl_route_cfg_t *const *)a, *y = *(const rl_route_cfg_t *const *)b;
    int d = strcmp(x->name, y->name);
    return d ? d : (x < y ? -1 : x > y);
}

/* Sorted by name then position, so that each duplicate is reported once
 * against the first route that used the name. */
static void check_route_names(rl_cfg_ctx_t *c)
{
    rl_config_t *cfg = c->cfg;
    const rl_route_cfg_t **v = rl_cfg_xcalloc(cfg->n_routes, sizeof(*v));
    for (size_t i = 0; i < cfg->n_routes; i++)
        v[i] = &cfg->routes[i];
    qsort(v, cfg->n_routes, sizeof(*v), cmp_route);
    for (size_t i = 1, first = 0; i < cfg->n_routes; i++) {
        if (strcmp(v[i]->name, v[first]->name) != 0) {
            first = i;
            continue;
        }
        rl_cfg_error(c, v[i]->line, "duplicate route name '%.64s' (first used at line %d)", v[i]->name,
                     v[first]->line);
    }
    free(v);
}

void rl_cfg_load_routes(rl_cfg_ctx_t *c, const rl_ynode_t *n)
{
    if (rl_cfg_seq(c, n, "routes") != 1) return;
    c->cfg->routes = rl_cfg_xcalloc(n->n, sizeof(rl_route_cfg_t));
    for (size_t i = 0; i < n->n; i++)
        load_route(c, n->items[i], i);
    check_route_names(c);
}

void rl_cfg_free_providers(rl_config_t *cfg)
{
    for (size_t i = 0; i < cfg->n_providers; i++) {
        free(cfg->providers[i].name);
        rl_auth_cfg_free(&cfg->providers[i].auth);
        free(cfg->providers[i].base_url);
        rl_cfg_free_provider_ext(&cfg->providers[i]);
    }
    free(cfg->providers);
}

void rl_cfg_free_routes(rl_config_t *cfg)
{
    for (size_t i = 0; i < cfg->n_routes; i++) {
        rl_route_cfg_t *r = &cfg->routes[i];
        for (size_t j = 0; j < r->n_targets; j++) {
            free(r->targets[j].provider);
            free(r->targets[j].path);
        }
        free(r->targets);
        free(r->name);
        free(r->path);
        free(r->upstream_path);
        rl_cfg_free_route_access(r);
        rl_cfg_free_route_policies(r);
    }
    free(cfg->routes);
}
