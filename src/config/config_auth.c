/* config_auth.c — `providers.NAME.auth`: outbound credentials, see
 * config_auth.h and upstream/auth.h; documented in docs/config.md
 * ("providers.NAME.auth").
 *
 * The keys allowed depend on `type`, so the block is checked against the
 * list of its type. Secrets come from ${VAR}: an unset one is recorded as a
 * missing env var (the provider then runs in mock mode), never reported as
 * an error, and no message here ever contains a field's value. */
#include "config/config_auth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/httpchar.h"
#include "upstream/hmac_sign.h"

#define DEFAULT_HMAC_MESSAGE "{method}\n{path}\n{timestamp}\n{body}"
#define DEFAULT_HMAC_HEADER "X-Signature"

static const char *const type_names[] = {"none", "api_key", "bearer",    "basic", "oauth2_client_credentials",
                                         "mtls", "hmac",    "aws_sigv4", NULL};

static const char *const *const type_keys[] = {
    [RL_AUTH_API_KEY] = (const char *const[]){"type", "header", "query", "key", "prefix", NULL},
    [RL_AUTH_BEARER] = (const char *const[]){"type", "token", NULL},
    [RL_AUTH_BASIC] = (const char *const[]){"type", "username", "password", NULL},
    [RL_AUTH_OAUTH2_CC] = (const char *const[]){"type", "token_url", "client_id", "client_secret", "scope",
                                                "audience", "client_auth", NULL},
    [RL_AUTH_MTLS] = (const char *const[]){"type", "cert", "key", NULL},
    [RL_AUTH_HMAC] = (const char *const[]){"type", "secret", "header", "algorithm", "encoding", "message",
                                           "timestamp_header", "timestamp_format", "prefix", NULL},
    [RL_AUTH_AWS_SIGV4] =
        (const char *const[]){"type", "access_key", "secret_key", "session_token", "region", "service", NULL},
};

typedef struct ld {
    rl_cfg_ctx_t *c;
    const rl_ynode_t *map;
    const char *path;
    rl_auth_cfg_t *a;
} ld_t;

const char *rl_auth_type_name(rl_auth_type_t t)
{
    return (unsigned)t <= RL_AUTH_AWS_SIGV4 ? type_names[t] : "none";
}

bool rl_auth_ready(const rl_auth_cfg_t *a)
{
    return a->n_missing_env == 0;
}

const char *const *rl_auth_env_vars(const rl_auth_cfg_t *a, bool missing_only, size_t *n)
{
    static const char *const none[] = {NULL};
    char **v = missing_only ? a->missing_env : a->env_vars;
    if (n) *n = missing_only ? a->n_missing_env : a->n_env_vars;
    return v ? (const char *const *)v : none;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void rl_auth_cfg_free(rl_auth_cfg_t *a)
{
    if (a == NULL) return;
    char *strs[] = {a->api_key.header,      a->api_key.query,
                    a->api_key.prefix,      a->api_key.key,
                    a->bearer.token,        a->basic.username,
                    a->basic.password,      a->oauth2.token_url,
                    a->oauth2.client_id,    a->oauth2.client_secret,
                    a->oauth2.scope,        a->oauth2.audience,
                    a->mtls.cert,           a->mtls.key,
                    a->hmac.secret,         a->hmac.header,
                    a->hmac.prefix,         a->hmac.timestamp_header,
                    a->sigv4.access_key,    a->sigv4.secret_key,
                    a->sigv4.session_token, a->sigv4.region,
                    a->sigv4.service};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        if (strs[i]) memset(strs[i], 0, strlen(strs[i])); /* secrets do not outlive the config */
        free(strs[i]);
    }
    rl_hmac_tmpl_free(&a->hmac.message);
    free_list(a->env_vars, a->n_env_vars);
    free_list(a->missing_env, a->n_missing_env);
    memset(a, 0, sizeof(*a));
}

/* Appends `name` to a NULL-terminated list unless it is there already. */
static void add_name(char ***list, size_t *n, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*list)[i], name) == 0) return;
    char **v = realloc(*list, (*n + 2) * sizeof(char *));
    if (v == NULL) abort();
    v[(*n)++] = rl_cfg_xstrdup(name);
    v[*n] = NULL;
    *list = v;
}

static void key_path(const ld_t *l, const char *key, char *out, size_t cap)
{
    snprintf(out, cap, "%s.%s", l->path, key);
}

/* A string field. Returns what rl_cfg_str does; an unset ${VAR} returns 0
 * and is recorded as missing (it is not "absent" for `required`). */
static int field(ld_t *l, const char *key, bool required, char **out)
{
    char full[160];
    const rl_ynode_t *n = rl_ytree_get(l->map, key);
    key_path(l, key, full, sizeof(full));
    if (n && n->kind == RL_YNODE_SCALAR && n->unset_var && !n->bad) {
        add_name(&l->a->env_vars, &l->a->n_env_vars, n->unset_var);
        add_name(&l->a->missing_env, &l->a->n_missing_env, n->unset_var);
        return 0;
    }
    int rc = rl_cfg_str(l->c, n, full, out);
    if (rc == 0 && required) rl_cfg_missing(l->c, l->map->line, n, full);
    if (rc != 1) return rc;
    if (strpbrk(*out, "\r\n") != NULL) {
        rl_cfg_error(l->c, n->line, "%s: must not contain line breaks", full);
    } else if (required && (*out)[0] == '\0') {
        rl_cfg_error(l->c, n->line, "%s: must not be empty", full);
    } else {
        return 1;
    }
    free(*out);
    *out = NULL;
    return -1;
}

/* A header-name field: an HTTP token. */
static int header_field(ld_t *l, const char *key, bool required, char **out)
{
    int rc = field(l, key, required, out);
    if (rc == 1 && !rl_http_is_token(*out, strlen(*out))) {
        char full[160];
        key_path(l, key, full, sizeof(full));
        rl_cfg_error(l->c, rl_ytree_get(l->map, key)->line, "%s: '%.64s' is not a valid header name", full,
                     *out);
        return -1;
    }
    return rc;
}

static void load_api_key(ld_t *l)
{
    rl_auth_cfg_t *a = l->a;
    int h = header_field(l, "header", false, &a->api_key.header);
    int q = field(l, "query", false, &a->api_key.query);
    if (h == 0 && q == 0) rl_cfg_error(l->c, l->map->line, "%s: api_key needs 'header' or 'query'", l->path);
    if (h == 1 && q == 1)
        rl_cfg_error(l->c, l->map->line, "%s: api_key takes 'header' or 'query', not both", l->path);
    if (q == 1 && (a->api_key.query[0] == '\0' || a->api_key.query[strcspn(a->api_key.query, "&=#?% +")]))
        rl_cfg_error(l->c, rl_ytree_get(l->map, "query")->line,
                     "%s.query: '%.64s' is not a valid query parameter name", l->path, a->api_key.query);
    field(l, "key", true, &a->api_key.key);
    field(l, "prefix", false, &a->api_key.prefix);
}

static void load_oauth2(ld_t *l)
{
    static const char *const client_auth[] = {"basic", "body", NULL};
    rl_auth_cfg_t *a = l->a;
    char full[160];
    int v = 0;
    if (field(l, "token_url", true, &a->oauth2.token_url) == 1) {
        size_t origin_len;
        const char *why = rl_cfg_url_check(a->oauth2.token_url, &origin_len);
        if (why)
            rl_cfg_error(l->c, rl_ytree_get(l->map, "token_url")->line, "%s.token_url: invalid URL: %s",
                         l->path, why);
    }
    field(l, "client_id", true, &a->oauth2.client_id);
    field(l, "client_secret", true, &a->oauth2.client_secret);
    field(l, "scope", false, &a->oauth2.scope);
    field(l, "audience", false, &a->oauth2.audience);
    key_path(l, "client_auth", full, sizeof(full));
    if (rl_cfg_enum(l->c, rl_ytree_get(l->map, "client_auth"), full, client_auth, &v) == 1)
        a->oauth2.client_auth = (rl_oauth2_client_auth_t)v;
}

/* Relative paths are relative to the directory of the config file. */
static void resolve(const ld_t *l, char **path)
{
    char *full;
    if (*path == NULL || l->c->base_dir == NULL || (*path)[0] == '/') return;
    if (asprintf(&full, "%s/%s", l->c->base_dir, *path) < 0) abort();
    free(*path);
    *path = full;
}

static void load_mtls_file(ld_t *l, const char *key, char **out)
{
    char full[160];
    struct stat st;
    if (field(l, key, true, out) != 1) return;
    resolve(l, out);
    key_path(l, key, full, sizeof(full));
    int line = rl_ytree_get(l->map, key)->line;
    if (stat(*out, &st) != 0 || access(*out, R_OK) != 0)
        rl_cfg_error(l->c, line, "%s: cannot read '%.200s': %s", full, *out, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        rl_cfg_error(l->c, line, "%s: '%.200s' is not a regular file", full, *out);
}

static void load_hmac_enums(ld_t *l)
{
    static const char *const algs[] = {"sha256", "sha512", NULL};
    static const char *const encs[] = {"hex", "base64", NULL};
    static const char *const tsf[] = {"unix", "unix_ms", NULL};
    rl_auth_cfg_t *a = l->a;
    char full[160];
    int v = 0;
    key_path(l, "algorithm", full, sizeof(full));
    if (rl_cfg_enum(l->c, rl_ytree_get(l->map, "algorithm"), full, algs, &v) == 1)
        a->hmac.algorithm = (rl_hmac_alg_t)v;
    key_path(l, "encoding", full, sizeof(full));
    if (rl_cfg_enum(l->c, rl_ytree_get(l->map, "encoding"), full, encs, &v) == 1)
        a->hmac.encoding = (rl_hmac_enc_t)v;
    key_path(l, "timestamp_format", full, sizeof(full));
    if (rl_cfg_enum(l->c, rl_ytree_get(l->map, "timestamp_format"), full, tsf, &v) == 1)
        a->hmac.timestamp_format = (rl_hmac_ts_t)v;
}

static void load_hmac(ld_t *l)
{
    rl_auth_cfg_t *a = l->a;
    char *msg = NULL, why[192], full[160];
    field(l, "secret", true, &a->hmac.secret);
    if (header_field(l, "header", false, &a->hmac.header) == 0)
        a->hmac.header = rl_cfg_xstrdup(DEFAULT_HMAC_HEADER);
    header_field(l, "timestamp_header", false, &a->hmac.timestamp_header);
    field(l, "prefix", false, &a->hmac.prefix);
    load_hmac_enums(l);
    key_path(l, "message", full, sizeof(full));
    const rl_ynode_t *n = rl_ytree_get(l->map, "message");
    int rc = rl_cfg_str(l->c, n, full, &msg);
    if (rc == 0) msg = rl_cfg_xstrdup(DEFAULT_HMAC_MESSAGE);
    if (rc >= 0 && rl_hmac_tmpl_parse(msg, strlen(msg), &a->hmac.message, why, sizeof(why)) < 0)
        rl_cfg_error(l->c, n ? n->line : l->map->line, "%s: %s", full, why);
    free(msg);
}

static void load_sigv4(ld_t *l)
{
    rl_auth_cfg_t *a = l->a;
    field(l, "access_key", true, &a->sigv4.access_key);
    field(l, "secret_key", true, &a->sigv4.secret_key);
    field(l, "session_token", false, &a->sigv4.session_token);
    field(l, "region", true, &a->sigv4.region);
    field(l, "service", true, &a->sigv4.service);
}

static void load_type(ld_t *l)
{
    rl_auth_cfg_t *a = l->a;
    switch (a->type) {
    case RL_AUTH_API_KEY:
        load_api_key(l);
        break;
    case RL_AUTH_BEARER:
        field(l, "token", true, &a->bearer.token);
        break;
    case RL_AUTH_BASIC:
        field(l, "username", true, &a->basic.username);
        field(l, "password", true, &a->basic.password);
        break;
    case RL_AUTH_OAUTH2_CC:
        load_oauth2(l);
        break;
    case RL_AUTH_MTLS:
        load_mtls_file(l, "cert", &a->mtls.cert);
        load_mtls_file(l, "key", &a->mtls.key);
        break;
    case RL_AUTH_HMAC:
        load_hmac(l);
        break;
    case RL_AUTH_AWS_SIGV4:
        load_sigv4(l);
        break;
    case RL_AUTH_NONE:
        break;
    }
}

void rl_cfg_load_auth(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *path, rl_auth_cfg_t *out)
{
    char full[160];
    int v = 0;
    ld_t l = {c, n, path, out};
    out->type = RL_AUTH_NONE;
    if (rl_cfg_map(c, n, path) != 1) return;
    out->line = n->line;
    const rl_ynode_t *t = rl_ytree_get(n, "type");
    snprintf(full, sizeof(full), "%s.type", path);
    int rc = rl_cfg_enum(c, t, full, type_names, &v);
    if (rc == 0) rl_cfg_missing(c, n->line, t, full);
    if (rc != 1) return;
    out->type = (rl_auth_type_t)v;
    if (out->type == RL_AUTH_NONE) {
        rl_cfg_check_keys(c, n, path, (const char *const[]){"type", NULL});
        return;
    }
    rl_cfg_check_keys(c, n, path, type_keys[out->type]);
    load_type(&l);
}
