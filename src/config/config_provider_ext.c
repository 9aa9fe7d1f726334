/* config_provider_ext.c — the provider keys `preset`, `domain`, `mode`,
 * `health` and `mock`, and the top-level `mode` (RELAIS_MODE overrides).
 *
 * Called by the provider loader before base_url and timeout are read: a
 * preset first fills base_url (when the key is absent), timeouts, health,
 * domain and required env vars, then the explicit keys overwrite what they
 * name. The fixtures of `mock.dir` are read here, so that `relais check`
 * reports a bad fixture file like any other config error; the preset's
 * built-in fixtures are added after them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config_int.h"
#include "http/method.h"
#include "providers/mode.h"
#include "providers/presets.h"
#include "upstream/mock.h"

#define SEC 1000ull
#define HOUR (3600ull * SEC)
#define DAY (24 * HOUR)

static const char *const health_keys[] = {"path", "method", "interval", NULL};
static const char *const mock_keys[] = {"dir", "latency", "error_rate", "seed", "record", NULL};
static const char *const mode_names[] = {"mock", "real", "auto", NULL};
static const char *const domain_names[] = {"generic",   "ai",         "payments", "ecommerce",
                                           "messaging", "monitoring", NULL};

static void key_path(char *out, size_t cap, const char *path, const char *key)
{
    snprintf(out, cap, "%s.%s", path, key);
}

static const rl_preset_t *load_preset(rl_cfg_ctx_t *c, const rl_ynode_t *map, const char *path,
                                      rl_provider_cfg_t *p)
{
    char key[128], list[160] = "";
    const rl_ynode_t *n = rl_ytree_get(map, "preset");
    key_path(key, sizeof(key), path, "preset");
    if (rl_cfg_str(c, n, key, &p->preset) != 1) return NULL;
    const rl_preset_t *pr = rl_preset_find(p->preset);
    if (pr) return pr;
    for (size_t i = 0; i < rl_preset_count(); i++)
        snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
                 rl_preset_at(i)->name);
    rl_cfg_error(c, n->line, "%s: unknown preset '%.64s' (expected one of %s)", key, p->preset, list);
    return NULL;
}

/* What the preset gives, before the explicit keys are read. */
static void apply_preset(rl_cfg_ctx_t *c, const rl_ynode_t *map, const char *path, rl_provider_cfg_t *p,
                         const rl_preset_t *pr)
{
    rl_err_t err = {0};
    if (rl_cfg_absent(rl_ytree_get(map, "base_url")) && pr->base_url &&
        rl_preset_base_url(pr, rl_envsubst_getenv, NULL, &p->base_url, &err) < 0)
        rl_cfg_error(c, rl_ytree_pair(map, "preset")->line, "%s.preset: %s", path, err.msg);
    p->connect_timeout_ms = pr->connect_timeout_ms;
    p->total_timeout_ms = pr->total_timeout_ms;
    free(p->domain);
    p->domain = rl_cfg_xstrdup(rl_domain_name(pr->domain));
    if (pr->health_path) {
        free(p->health_method);
        p->health_method = rl_cfg_xstrdup(pr->health_method);
        p->health_path = rl_cfg_xstrdup(pr->health_path);
    }
    p->health_interval_ms = pr->health_interval_ms;
    size_t n = 0;
    while (pr->required_env[n])
        n++;
    p->required_env = rl_cfg_xcalloc(n, sizeof(char *));
    for (p->n_required_env = 0; p->n_required_env < n; p->n_required_env++)
        p->required_env[p->n_required_env] = rl_cfg_xstrdup(pr->required_env[p->n_required_env]);
}

static void load_health(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *path, rl_provider_cfg_t *p)
{
    char key[128];
    key_path(key, sizeof(key), path, "health");
    if (rl_cfg_map(c, n, key) != 1) return;
    rl_cfg_check_keys(c, n, key, health_keys);
    key_path(key, sizeof(key), path, "health.path");
    const rl_ynode_t *hp = rl_ytree_get(n, "path");
    if (rl_cfg_str(c, hp, key, &p->health_path) == 1 && p->health_path[0] != '/')
        rl_cfg_error(c, hp->line, "%s: must start with '/'", key);
    key_path(key, sizeof(key), path, "health.method");
    const rl_ynode_t *hm = rl_ytree_get(n, "method");
    if (rl_cfg_str(c, hm, key, &p->health_method) == 1 &&
        rl_method_bit(p->health_method, strlen(p->health_method)) == 0)
        rl_cfg_error(c, hm->line, "%s: unknown method '%.32s' (expected GET, HEAD, POST, …, in upper case)",
                     key, p->health_method);
    key_path(key, sizeof(key), path, "health.interval");
    rl_cfg_duration(c, rl_ytree_get(n, "interval"), key, SEC, DAY, &p->health_interval_ms);
}

/* A ratio 0..1 written as 0, 1, 0.25 or 1.0 (no sign, no exponent). */
static void load_ratio(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *key, double *out)
{
    if (rl_cfg_absent(n) || (n && n->bad)) return;
    if (n->kind != RL_YNODE_SCALAR) {
        rl_cfg_error(c, n->line, "%s: expected a number from 0 to 1, got %s", key, rl_ytree_kind_name(n));
        return;
    }
    const char *s = n->str;
    size_t digits = strspn(s, "0123456789"),
           frac = s[digits] == '.' ? strspn(s + digits + 1, "0123456789") : 0;
    bool shape =
        digits > 0 && (s[digits] == '\0' || (s[digits] == '.' && frac > 0 && s[digits + 1 + frac] == '\0'));
    double v = shape ? strtod(s, NULL) : -1;
    if (!shape || v > 1.0) {
        rl_cfg_error(c, n->line, "%s: expected a number from 0 to 1 (like 0.05), got '%.32s'", key, s);
        return;
    }
    *out = v;
}

static void load_seed(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *key, uint64_t *out)
{
    if (rl_cfg_absent(n) || (n && n->bad)) return;
    const char *s = n->kind == RL_YNODE_SCALAR ? n->str : "";
    char *end = NULL;
    errno = 0;
    unsigned long long v = s[0] >= '0' && s[0] <= '9' ? strtoull(s, &end, 10) : 0;
    if (end == NULL || *end != '\0' || errno == ERANGE) {
        rl_cfg_error(c, n->line, "%s: expected a whole number from 0 to 18446744073709551615", key);
        return;
    }
    *out = (uint64_t)v;
}

/* Relative to the directory of the config file, like tls paths. */
static char *resolve_dir(const rl_cfg_ctx_t *c, char *dir)
{
    char *full;
    if (c->base_dir == NULL || dir[0] == '/' || dir[0] == '\0') return dir;
    if (asprintf(&full, "%s/%s", c->base_dir, dir) < 0) abort();
    free(dir);
    return full;
}

static void load_mock(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *path, rl_provider_cfg_t *p)
{
    char key[128];
    rl_provider_mock_cfg_t *m = &p->mock;
    key_path(key, sizeof(key), path, "mock");
    if (rl_cfg_map(c, n, key) != 1) return;
    rl_cfg_check_keys(c, n, key, mock_keys);
    key_path(key, sizeof(key), path, "mock.dir");
    const rl_ynode_t *dir = rl_ytree_get(n, "dir");
    if (rl_cfg_str(c, dir, key, &m->dir) == 1) m->dir = resolve_dir(c, m->dir);
    key_path(key, sizeof(key), path, "mock.latency");
    rl_cfg_duration(c, rl_ytree_get(n, "latency"), key, 0, HOUR, &m->latency_ms);
    key_path(key, sizeof(key), path, "mock.error_rate");
    load_ratio(c, rl_ytree_get(n, "error_rate"), key, &m->error_rate);
    key_path(key, sizeof(key), path, "mock.seed");
    load_seed(c, rl_ytree_get(n, "seed"), key, &m->seed);
    key_path(key, sizeof(key), path, "mock.record");
    const rl_ynode_t *rec = rl_ytree_get(n, "record");
    if (rl_cfg_bool(c, rec, key, &m->record) == 1 && m->record && m->dir == NULL)
        rl_cfg_error(c, rec->line, "%s: needs mock.dir (where the fixtures are written)", key);
}

/* mock.dir's fixtures (a missing directory is fine when recording into it),
 * then the preset's built-in ones. */
static void load_fixtures(rl_cfg_ctx_t *c, const rl_ynode_t *map, const char *path, rl_provider_cfg_t *p,
                          const rl_preset_t *pr)
{
    rl_err_t err = {0};
    p->mocks = rl_cfg_xcalloc(1, sizeof(rl_mock_set_t));
    if (p->mock.dir) {
        const rl_ynode_t *mock = rl_ytree_get(map, "mock"), *dir = rl_ytree_get(mock, "dir");
        bool absent = p->mock.record && access(p->mock.dir, F_OK) != 0;
        if (!absent && rl_mock_load_dir(p->mocks, p->mock.dir, &err) < 0)
            rl_cfg_error(c, dir ? dir->line : p->line, "%s.mock.dir: %s", path, err.msg);
    }
    if (pr && rl_preset_load_fixtures(pr, p->mocks, &err) < 0)
        rl_cfg_error(c, p->line, "%s.preset: built-in fixtures: %s", path, err.msg);
}

void rl_cfg_load_provider_ext(rl_cfg_ctx_t *c, const rl_ynode_t *map, const char *path, rl_provider_cfg_t *p)
{
    char key[128];
    int v;
    p->health_interval_ms = 30 * SEC;
    const rl_preset_t *pr = load_preset(c, map, path, p);
    if (pr) apply_preset(c, map, path, p, pr);
    key_path(key, sizeof(key), path, "domain");
    if (rl_cfg_enum(c, rl_ytree_get(map, "domain"), key, domain_names, &v) == 1) {
        free(p->domain);
        p->domain = rl_cfg_xstrdup(domain_names[v]);
    }
    if (p->domain == NULL) p->domain = rl_cfg_xstrdup("generic");
    key_path(key, sizeof(key), path, "mode");
    if (rl_cfg_enum(c, rl_ytree_get(map, "mode"), key, mode_names, &v) == 1) p->mode = (rl_mode_t)(v + 1);
    load_health(c, rl_ytree_get(map, "health"), path, p);
    if (p->health_method == NULL) p->health_method = rl_cfg_xstrdup("GET");
    load_mock(c, rl_ytree_get(map, "mock"), path, p);
    load_fixtures(c, map, path, p, pr);
}

static char *env_or_null(const char *name)
{
    const char *v = name ? getenv(name) : NULL;
    return v && v[0] ? rl_cfg_xstrdup(v) : NULL;
}

static void note_env(rl_auth_cfg_t *a, const char *name, bool set)
{
    if (name == NULL) return;
    a->env_vars = realloc(a->env_vars, (a->n_env_vars + 2) * sizeof(char *));
    if (a->env_vars == NULL) abort();
    a->env_vars[a->n_env_vars++] = rl_cfg_xstrdup(name);
    a->env_vars[a->n_env_vars] = NULL;
    if (set) return;
    a->missing_env = realloc(a->missing_env, (a->n_missing_env + 2) * sizeof(char *));
    if (a->missing_env == NULL) abort();
    a->missing_env[a->n_missing_env++] = rl_cfg_xstrdup(name);
    a->missing_env[a->n_missing_env] = NULL;
}

void rl_cfg_preset_auth(rl_provider_cfg_t *p)
{
    const rl_preset_t *pr = p->preset ? rl_preset_find(p->preset) : NULL;
    if (pr == NULL) return;
    size_t n = 0;
    while (pr->headers && pr->headers[n].name)
        n++;
    p->fixed_headers = rl_cfg_xcalloc(2 * n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        p->fixed_headers[2 * i] = rl_cfg_xstrdup(pr->headers[i].name);
        p->fixed_headers[2 * i + 1] = rl_cfg_xstrdup(pr->headers[i].value);
    }
    p->n_fixed_headers = n;
    rl_auth_cfg_t *a = &p->auth;
    if (a->type != RL_AUTH_NONE || a->line != 0) return; /* the file's auth block wins */
    const rl_preset_auth_t *pa = &pr->auth;
    switch (pa->type) {
    case RL_PRESET_AUTH_NONE:
        return;
    case RL_PRESET_AUTH_BEARER:
        a->type = RL_AUTH_BEARER;
        a->bearer.token = env_or_null(pa->token_env);
        note_env(a, pa->token_env, a->bearer.token != NULL);
        break;
    case RL_PRESET_AUTH_API_KEY:
        a->type = RL_AUTH_API_KEY;
        a->api_key.header = rl_cfg_xstrdup(pa->header);
        a->api_key.key = env_or_null(pa->token_env);
        note_env(a, pa->token_env, a->api_key.key != NULL);
        break;
    case RL_PRESET_AUTH_BASIC:
        a->type = RL_AUTH_BASIC;
        a->basic.username = env_or_null(pa->username_env);
        note_env(a, pa->username_env, a->basic.username != NULL);
        a->basic.password = pa->password_env ? env_or_null(pa->password_env) : rl_cfg_xstrdup("");
        note_env(a, pa->password_env, a->basic.password != NULL);
        break;
    }
}

void rl_cfg_free_provider_ext(rl_provider_cfg_t *p)
{
    for (size_t i = 0; i < 2 * p->n_fixed_headers; i++)
        free(p->fixed_headers[i]);
    free(p->fixed_headers);
    p->fixed_headers = NULL;
    p->n_fixed_headers = 0;
    free(p->preset);
    free(p->domain);
    free(p->health_method);
    free(p->health_path);
    free(p->mock.dir);
    for (size_t i = 0; i < p->n_required_env; i++)
        free(p->required_env[i]);
    free(p->required_env);
    if (p->mocks) rl_mock_set_clear(p->mocks);
    free(p->mocks);
    p->preset = p->domain = p->health_method = p->health_path = p->mock.dir = NULL;
    p->required_env = NULL;
    p->n_required_env = 0;
    p->mocks = NULL;
}

void rl_cfg_load_mode(rl_cfg_ctx_t *c, const rl_ynode_t *n)
{
    int v;
    if (rl_cfg_enum(c, n, "mode", mode_names, &v) == 1) c->cfg->mode = (rl_mode_t)(v + 1);
}

void rl_cfg_mode_override(rl_cfg_ctx_t *c)
{
    const char *env = getenv("RELAIS_MODE");
    if (c->cfg->mode == RL_MODE_UNSET) c->cfg->mode = RL_MODE_AUTO;
    if (env == NULL || env[0] == '\0') return;
    if (rl_mode_parse(env, &c->cfg->mode) < 0)
        rl_cfg_error(c, 0, "RELAIS_MODE: expected mock, real or auto, got '%.64s'", env);
}
