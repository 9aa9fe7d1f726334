/* config_ingress_audit.c — the `store` URL, the `audit` settings and the
 * per-route `audit` flag of relais.yaml (DESIGN §4, §7).
 *
 * `store` is a URL; a relative sqlite:// path is made absolute against the
 * directory of the config file here, once, so that the server, the CLI and
 * a reload all open the same file whatever their working directory. */
#include "config/config_ingress_audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC 1000ull
#define DAY (86400ull * SEC)
#define DEFAULT_STORE "sqlite://./var/relais.db"

static const char *const audit_keys[] = {"anonymize_after", "retention", "queue", NULL};

/* "sqlite://rel/path" → "sqlite://<base_dir>/rel/path"; others unchanged. */
static char *absolute_store(const rl_cfg_ctx_t *c, const char *url)
{
    char *out;
    const char *path = url + strlen("sqlite://");
    if (strncmp(url, "sqlite://", 9) != 0 || path[0] == '/' || c->base_dir == NULL)
        return rl_cfg_xstrdup(url);
    if (strncmp(path, "./", 2) == 0) path += 2;
    if (asprintf(&out, "sqlite://%s/%s", c->base_dir, path) < 0) abort();
    return out;
}

static void load_store(rl_cfg_ctx_t *c, const rl_ynode_t *n)
{
    char *s = NULL;
    int rc = rl_cfg_str(c, n, "store", &s);
    if (rc < 0) return;
    const char *url = rc == 1 && s[0] ? s : DEFAULT_STORE;
    if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0) {
        rl_cfg_error(c, n->line, "store: the PostgreSQL backend is not available yet (use sqlite://PATH)");
    } else if (strcmp(url, "sqlite::memory:") != 0 && (strncmp(url, "sqlite://", 9) != 0 || url[9] == '\0')) {
        rl_cfg_error(c, n ? n->line : 0, "store: expected sqlite://PATH (e.g. sqlite://./var/relais.db)");
    } else {
        free(c->cfg->store_url);
        c->cfg->store_url = absolute_store(c, url);
    }
    free(s);
}

static void load_audit(rl_cfg_ctx_t *c, const rl_ynode_t *n)
{
    rl_config_t *cfg = c->cfg;
    int q = (int)cfg->audit_queue;
    if (rl_cfg_map(c, n, "audit") != 1) return;
    rl_cfg_check_keys(c, n, "audit", audit_keys);
    rl_cfg_duration(c, rl_ytree_get(n, "anonymize_after"), "audit.anonymize_after", 60 * SEC, 3650 * DAY,
                    &cfg->audit_anonymize_after_ms);
    rl_cfg_duration(c, rl_ytree_get(n, "retention"), "audit.retention", 60 * SEC, 36500 * DAY,
                    &cfg->audit_retention_ms);
    if (rl_cfg_int(c, rl_ytree_get(n, "queue"), "audit.queue", 1, 1000000, &q) == 1)
        cfg->audit_queue = (uint32_t)q;
}

void rl_cfg_load_ingress(rl_cfg_ctx_t *c, const rl_ynode_t *root)
{
    rl_config_t *cfg = c->cfg;
    cfg->audit_anonymize_after_ms = 30 * DAY;
    cfg->audit_retention_ms = 365 * DAY;
    cfg->audit_queue = 10000;
    load_store(c, rl_ytree_get(root, "store"));
    load_audit(c, rl_ytree_get(root, "audit"));
}

void rl_cfg_load_route_audit(rl_cfg_ctx_t *c, rl_route_cfg_t *r, const rl_ynode_t *n, const char *path)
{
    char key[96];
    bool on = false;
    snprintf(key, sizeof(key), "%s.audit", path);
    if (rl_cfg_bool(c, n, key, &on) == 1) r->audit = on ? RL_AUDIT_ON : RL_AUDIT_OFF;
}
