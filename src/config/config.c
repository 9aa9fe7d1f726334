/* config.c — relais.yaml to rl_config_t, see config.h.
 *
 * Three steps: the YAML becomes a tree (yaml_tree.c), ${VAR} is substituted
 * in every value (envsubst.c), then the schema below walks the tree filling
 * the struct; providers and routes are in config_routes.c. Every step keeps
 * going after a problem, so one run reports them all. */
#include "config/config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config_ingress_audit.h"
#include "config/config_ingress.h"
#include "config/config_int.h"
#include "config/envsubst.h"

#define KIB 1024ull
#define MIB (1024ull * KIB)
#define GIB (1024ull * MIB)
#define SEC 1000ull
#define HOUR (3600ull * SEC)

static const char *const top_keys[] = {"env",         "listen", "workers", "tls",   "limits",    "secret_key",
                                       "admin_token", "log",    "cors",    "mode",  "providers", "routes",
                                       "trust_proxy", "auth",   "store",   "audit", "cache",     NULL};

/* Substitutes ${VAR} in every scalar value (keys are left as written). */
static void subst_tree(rl_cfg_ctx_t *c, rl_ynode_t *n)
{
    if (n == NULL) return;
    if (n->kind == RL_YNODE_MAP) {
        for (size_t i = 0; i < n->n; i++)
            subst_tree(c, n->pairs[i].value);
        return;
    }
    if (n->kind == RL_YNODE_SEQ) {
        for (size_t i = 0; i < n->n; i++)
            subst_tree(c, n->items[i]);
        return;
    }
    if (strchr(n->str, '$') == NULL) return;
    rl_envsubst_result_t r;
    if (rl_envsubst(n->str, RL_CFG_MAX_VALUE, rl_envsubst_getenv, NULL, &r) < 0) {
        rl_cfg_error(c, n->line, "%s", r.msg);
        n->bad = true;
        return;
    }
    free(n->str);
    n->str = r.value ? r.value : rl_cfg_xstrdup("");
    n->unset_var = r.unset_var;
    n->plain = false; /* a substituted value is text, never a YAML null */
}

static void load_env(rl_cfg_ctx_t *c, const rl_ynode_t *n)
{
    static const char *const names[] = {"development", "production", NULL};
    int v;
    if (rl_cfg_enum(c, n, "env", names, &v) == 1) c->cfg->env = (rl_env_t)v;
}

static void load_address(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *path, char **out)
{
    char *s = NULL;
    if (rl_cfg_str(c, n, path, &s) != 1) return;
    const char *why = rl_cfg_listen_check(s);
    if (why) {
        rl_cfg_error(
            c, n->line,
            "%s: invalid address '%.64s': %s (expected host:port, e.g. 127.0.0.1:8080 or [::1]:8080)", path,
            s, why);
        free(s);
        return;
    }
    free(*out);
    *out = s;
}

static void load_listen(rl_cfg_ctx_t *c, const rl_ynode_t *n)
{
    static const char *const keys[] = {"public", "admin", NULL};
    if (rl_cfg_map(c, n, "listen") != 1) return;
    rl_cfg_check_keys(c, n, "listen", keys);
    load_address(c, rl_ytree_get(n, "public"), "listen.public", &c->cfg->listen_public);
    load_address(c, rl_ytree_get(n, "admin"), "listen.admin", &c->cfg->listen_admin);
}

/* Relative paths are relative to the directory of the config file. */
static char *resolve_path(const rl_cfg_ctx_t *c, char *path)
{
    char *full;
    if (c->base_dir == NULL || path[0] == '/' || path[0] == '\0') return path;
    if (asprintf(&full, "%s/%s", c->base_dir, path) < 0) abort();
    free(path);
    return full;
}

static void check_readable(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *path, const char *file)
{
    struct stat st;
    if (stat(file, &st) != 0 || access(file, R_OK) != 0)
        rl_cfg_error(c, n->line, "%s: cannot read '%.200s': %s", path, file, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        rl_cfg_error(c, n->line, "%s: '%.200s' is not a regular file", path, file);
}

static void load_tls(rl_cfg_ctx_t *c, const rl_ypair_t *pair)
{
    static const char *const keys[] = {"cert", "key", NULL};
    rl_config_t *cfg = c->cfg;
    const rl_ynode_t *n = pair ? pair->value : NULL;
    if (rl_cfg_map(c, n, "tls") != 1) return;
    rl_cfg_check_keys(c, n, "tls", keys);
    const rl_ynode_t *cert = rl_ytree_get(n, "cert"), *key = rl_ytree_get(n, "key");
    int rc_cert = rl_cfg_str(c, cert, "tls.cert", &cfg->tls_cert);
    int rc_key = rl_cfg_str(c, key, "tls.key", &cfg->tls_key);
    if (rc_cert < 0 || rc_key < 0) return;
    if (rc_cert != rc_key) {
        rl_cfg_error(c, pair->line, "tls.cert and tls.key must be set together (only tls.%s is set)",
                     rc_cert ? "cert" : "key");
        return;
    }
    if (rc_cert == 0) return;
    cfg->tls_cert = resolve_path(c, cfg->tls_cert);
    cfg->tls_key = resolve_path(c, cfg->tls_key);
    check_readable(c, cert, "tls.cert", cfg->tls_cert);
    check_readable(c, key, "tls.key", cfg->tls_key);
}

static void load_limits(rl_cfg_ctx_t *c, const rl_ynode_t *n)
{
    static const char *const keys[] = {"max_body", "max_header", "request_timeout", "shutdown_timeout", NULL};
    rl_config_t *cfg = c->cfg;
    if (rl_cfg_map(c, n, "limits") != 1) return;
    rl_cfg_check_keys(c, n, "limits", keys);
    rl_cfg_size(c, rl_ytree_get(n, "max_body"), "limits.max_body", 1, GIB, &cfg->max_body);
    rl_cfg_size(c, rl_ytree_get(n, "max_header"), "limits.max_header", KIB, 256 * KIB, &cfg->max_header);
    rl_cfg_duration(c, rl_ytree_get(n, "request_timeout"), "limits.request_timeout", 1, 24 * HOUR,
                    &cfg->request_timeout_ms);
    rl_cfg_duration(c, rl_ytree_get(n, "shutdown_timeout"), "limits.shutdown_timeout", 0, HOUR,
                    &cfg->shutdown_timeout_ms);
}

/* An optional secret: absent, unset or empty all mean NULL. The line of the
 * key is kept for the production check. */
static void load_secret(rl_cfg_ctx_t *c, const rl_ynode_t *root, const char *key, char **out, int *line)
{
    const rl_ypair_t *p = rl_ytree_pair(root, key);
    if (p == NULL) return;
    *line = p->line;
    if (rl_cfg_str(c, p->value, key, out) == 1 && (*out)[0] == '\0') {
        free(*out);
        *out = NULL;
    }
}

static void load_log(rl_cfg_ctx_t *c, const rl_ynode_t *n)
{
    static const char *const keys[] = {"level", NULL};
    static const char *const levels[] = {"debug", "info", "warn", "error", NULL};
    int v;
    if (rl_cfg_map(c, n, "log") != 1) return;
    rl_cfg_check_keys(c, n, "log", keys);
    const rl_ynode_t *level = rl_ytree_get(n, "level");
    if (rl_cfg_enum(c, level, "log.level", levels, &v) != 1) return;
    c->cfg->log_level = (rl_log_level_t)v;
    c->cfg->log_level_line = level->line;
}

static void load_origin(rl_cfg_ctx_t *c, const rl_ynode_t *item)
{
    rl_config_t *cfg = c->cfg;
    char *s = NULL;
    size_t origin_len = 0;
    if (rl_cfg_item_str(c, item, "cors.allow_origins", &s) != 1) return;
    const char *why = strcmp(s, "*") == 0 ? NULL : rl_cfg_url_check(s, &origin_len);
    if (why == NULL && s[0] != '*' && origin_len != strlen(s)) why = "an origin has no path, not even '/'";
    if (why) {
        rl_cfg_error(c, item->line, "cors.allow_origins: '%.64s' is not an origin (scheme://host[:port]): %s",
                     s, why);
        free(s);
        return;
    }
    if (strcmp(s, "*") == 0) cfg->cors_origins_line = item->line;
    cfg->cors_origins[cfg->n_cors_origins++] = s;
}

static void load_cors(rl_cfg_ctx_t *c, const rl_ynode_t *n)
{
    static const char *const keys[] = {"allow_origins",
                                       "allow_credentials",
                                       "allow_methods",
                                       "allow_headers",
                                       "expose_headers",
                                       "max_age",
                                       NULL};
    rl_config_t *cfg = c->cfg;
    if (rl_cfg_map(c, n, "cors") != 1) return;
    rl_cfg_check_keys(c, n, "cors", keys);
    rl_cfg_bool(c, rl_ytree_get(n, "allow_credentials"), "cors.allow_credentials", &cfg->cors_credentials);
    const rl_ynode_t *list = rl_ytree_get(n, "allow_origins");
    if (rl_cfg_seq(c, list, "cors.allow_origins") != 1) return;
    cfg->cors_origins = rl_cfg_xcalloc(list->n, sizeof(char *));
    for (size_t i = 0; i < list->n; i++)
        load_origin(c, list->items[i]);
}

static void load_root(rl_cfg_ctx_t *c, const rl_ynode_t *root)
{
    rl_config_t *cfg = c->cfg;
    if (rl_cfg_absent(root)) return;
    if (root->kind != RL_YNODE_MAP) {
        rl_cfg_error(c, root->line, "expected a mapping of keys at the top of the file, got %s",
                     rl_ytree_kind_name(root));
        return;
    }
    rl_cfg_check_keys(c, root, "", top_keys);
    load_env(c, rl_ytree_get(root, "env"));
    load_listen(c, rl_ytree_get(root, "listen"));
    rl_cfg_int(c, rl_ytree_get(root, "workers"), "workers", 0, 256, &cfg->workers);
    load_tls(c, rl_ytree_pair(root, "tls"));
    load_limits(c, rl_ytree_get(root, "limits"));
    load_secret(c, root, "secret_key", &cfg->secret_key, &cfg->secret_key_line);
    load_secret(c, root, "admin_token", &cfg->admin_token, &cfg->admin_token_line);
    load_log(c, rl_ytree_get(root, "log"));
    load_cors(c, rl_ytree_get(root, "cors"));
    rl_cfg_load_cors_more(c, rl_ytree_get(root, "cors"));
    rl_cfg_load_access(c, root);
    rl_cfg_load_mode(c, rl_ytree_get(root, "mode"));
    rl_cfg_load_providers(c, rl_ytree_get(root, "providers"));
    rl_cfg_load_routes(c, rl_ytree_get(root, "routes"));
    rl_cfg_load_cache(c, rl_ytree_get(root, "cache"));
}

/* RELAIS_ENV and RELAIS_LISTEN win over the file when set and not empty. */
static void apply_overrides(rl_cfg_ctx_t *c)
{
    const char *env = getenv("RELAIS_ENV"), *listen = getenv("RELAIS_LISTEN");
    if (env && env[0]) {
        if (strcmp(env, "development") == 0)
            c->cfg->env = RL_ENV_DEVELOPMENT;
        else if (strcmp(env, "production") == 0)
            c->cfg->env = RL_ENV_PRODUCTION;
        else
            rl_cfg_error(c, 0, "RELAIS_ENV: expected development or production, got '%.64s'", env);
    }
    if (listen && listen[0]) {
        const char *why = rl_cfg_listen_check(listen);
        if (why) {
            rl_cfg_error(c, 0, "RELAIS_LISTEN: invalid address '%.64s': %s (expected host:port)", listen,
                         why);
        } else {
            free(c->cfg->listen_public);
            c->cfg->listen_public = rl_cfg_xstrdup(listen);
        }
    }
}

static rl_config_t *config_new(const char *file)
{
    rl_config_t *cfg = rl_cfg_xcalloc(1, sizeof(*cfg));
    cfg->file = rl_cfg_xstrdup(file);
    cfg->env = RL_ENV_DEVELOPMENT;
    cfg->max_body = 10 * MIB;
    cfg->max_header = 16 * KIB;
    cfg->request_timeout_ms = 60 * SEC;
    cfg->shutdown_timeout_ms = 10 * SEC;
    cfg->log_level = RL_LOG_INFO;
    cfg->cache_max_memory = 64 * MIB;
    return cfg;
}

/* Problems are found section by section; they read best in file order.
 * Stable, and those without a line (environment overrides) go last. */
static void sort_diags(rl_diag_t *d, size_t start)
{
    for (size_t i = start + 1; i < d->count; i++) {
        rl_diag_item_t it = d->items[i];
        unsigned key = it.line > 0 ? (unsigned)it.line : UINT_MAX;
        size_t j = i;
        for (; j > start; j--) {
            int prev = d->items[j - 1].line;
            if ((prev > 0 ? (unsigned)prev : UINT_MAX) <= key) break;
            d->items[j] = d->items[j - 1];
        }
        d->items[j] = it;
    }
}

static int load(const char *name, const char *base_dir, const char *buf, size_t len, rl_config_t **out,
                rl_diag_t *diag)
{
    size_t start = diag->count;
    rl_ynode_t *root = NULL;
    rl_config_t *cfg = config_new(name);
    rl_cfg_ctx_t c = {.file = name, .base_dir = base_dir, .diag = diag, .cfg = cfg};
    if (rl_ytree_parse(name, buf, len, RL_CFG_MAX_ERRORS, &root, diag) == 0) {
        subst_tree(&c, root);
        load_root(&c, root);
        rl_cfg_load_ingress(&c, root);
        apply_overrides(&c);
        rl_cfg_mode_override(&c);
    }
    rl_ytree_free(root);
    if (cfg->listen_public == NULL) cfg->listen_public = rl_cfg_xstrdup("127.0.0.1:8080");
    if (cfg->listen_admin == NULL) cfg->listen_admin = rl_cfg_xstrdup("127.0.0.1:8081");
    if (diag->count != start) {
        sort_diags(diag, start);
        rl_config_free(cfg);
        *out = NULL;
        return -1;
    }
    *out = cfg;
    return 0;
}

int rl_config_load_buffer(const char *name, const char *buf, size_t len, rl_config_t **out, rl_diag_t *diag)
{
    return load(name ? name : "<buffer>", NULL, buf, len, out, diag);
}

/* Reads at most RL_YTREE_MAX_SIZE + 1 bytes, so that a too large file is
 * reported by the parser without reading it all. */
static char *read_file(const char *path, size_t *len, rl_diag_t *diag)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        rl_diag_add(diag, path, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    char *buf = rl_cfg_xcalloc(RL_YTREE_MAX_SIZE + 2, 1);
    *len = fread(buf, 1, RL_YTREE_MAX_SIZE + 1, f);
    if (ferror(f)) {
        rl_diag_add(diag, path, 0, "cannot read: %s", strerror(errno));
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

int rl_config_load(const char *path, rl_config_t **out, rl_diag_t *diag)
{
    size_t len = 0;
    *out = NULL;
    char *buf = read_file(path, &len, diag);
    if (buf == NULL) return -1;
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : NULL;
    int rc = load(path, dir, buf, len, out, diag);
    free(dir);
    free(buf);
    return rc;
}

static int violation(rl_diag_t *diag, const rl_config_t *cfg, int line, const char *msg)
{
    rl_diag_add(diag, cfg->file, line, "%s", msg);
    return 1;
}

int rl_config_check_production(const rl_config_t *cfg, bool force, rl_diag_t *diag)
{
    int n = 0;
    if (cfg->env != RL_ENV_PRODUCTION && !force) return 0;
    if (cfg->secret_key == NULL)
        n += violation(diag, cfg, cfg->secret_key_line, "secret_key is required in production");
    else if (strlen(cfg->secret_key) < 32)
        n += violation(diag, cfg, cfg->secret_key_line, "secret_key must be at least 32 bytes in production");
    if (cfg->admin_token == NULL)
        n += violation(diag, cfg, cfg->admin_token_line, "admin_token is required in production");
    for (size_t i = 0; i < cfg->n_cors_origins; i++) {
        if (strcmp(cfg->cors_origins[i], "*") != 0) continue;
        n += violation(diag, cfg, cfg->cors_origins_line,
                       "cors.allow_origins must not contain \"*\" in production");
        break;
    }
    if (cfg->log_level == RL_LOG_DEBUG)
        n += violation(diag, cfg, cfg->log_level_line, "log.level debug is not allowed in production");
    return n;
}

const rl_provider_cfg_t *rl_config_provider(const rl_config_t *cfg, const char *name)
{
    for (size_t i = 0; cfg && i < cfg->n_providers; i++)
        if (strcmp(cfg->providers[i].name, name) == 0) return &cfg->providers[i];
    return NULL;
}

void rl_config_free(rl_config_t *cfg)
{
    if (cfg == NULL) return;
    free(cfg->file);
    free(cfg->listen_public);
    free(cfg->listen_admin);
    free(cfg->tls_cert);
    free(cfg->tls_key);
    free(cfg->secret_key);
    free(cfg->admin_token);
    free(cfg->store_url);
    for (size_t i = 0; i < cfg->n_cors_origins; i++)
        free(cfg->cors_origins[i]);
    free(cfg->cors_origins);
    rl_cfg_free_providers(cfg);
    rl_cfg_free_routes(cfg);
    rl_cfg_free_access(cfg);
    free(cfg);
}
