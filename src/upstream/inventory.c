/* inventory.c — the provider inventory, see inventory.h. */
#include "upstream/inventory.h"

#include <string.h>

#include "providers/mode.h"
#include "providers/presets.h"

/* Routes that cannot answer without provider `p`: it is their only target. */
static size_t routes_depending(const rl_config_t *cfg, const rl_provider_cfg_t *p, char *buf, size_t cap)
{
    size_t len = 0, n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < cfg->n_routes; i++) {
        const rl_route_cfg_t *r = &cfg->routes[i];
        if (r->n_targets != 1 || strcmp(r->targets[0].provider, p->name) != 0) continue;
        int w = snprintf(buf + len, cap - len, "%s%s", n++ ? ", " : "routes ", r->name);
        if (w < 0 || (size_t)w >= cap - len) break;
        len += (size_t)w;
    }
    return n;
}

static void join(char *buf, size_t cap, const char *const *items, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(buf + len, cap - len, "%s%s", i ? "," : "", items[i]);
        if (w < 0 || (size_t)w >= cap - len) break;
        len += (size_t)w;
    }
    if (n == 0) snprintf(buf, cap, "-");
}

void rl_inventory_print(const rl_snapshot_t *s, FILE *out)
{
    const rl_config_t *cfg = s->cfg;
    fprintf(out, "%-14s %-11s %-5s %-34s %-26s %-44s %s\n", "PROVIDER", "DOMAIN", "MODE", "ENV", "MISSING",
            "HEALTH", "WITHOUT IT");
    for (size_t i = 0; i < cfg->n_providers; i++) {
        const rl_provider_cfg_t *p = &cfg->providers[i];
        const rl_provider_rt_t *rt = &s->providers[i];
        const rl_preset_t *pre = p->preset ? rl_preset_find(p->preset) : NULL;
        const char *env[32];
        size_t n_env = 0;
        for (size_t k = 0; k < p->n_required_env && n_env < 32; k++)
            env[n_env++] = p->required_env[k];
        size_t n_auth = 0;
        const char *const *auth_env = rl_auth_env_vars(&p->auth, false, &n_auth);
        for (size_t k = 0; k < n_auth && n_env < 32; k++) {
            bool dup = false;
            for (size_t j = 0; j < n_env; j++)
                dup = dup || strcmp(env[j], auth_env[k]) == 0;
            if (!dup) env[n_env++] = auth_env[k];
        }
        char envs[256], missing[256], health[300], routes[256], breaks[512];
        join(envs, sizeof(envs), env, n_env);
        join(missing, sizeof(missing), rt->missing, rt->n_missing < 16 ? rt->n_missing : 16);
        if (p->health_path)
            snprintf(health, sizeof(health), "%s%s", p->base_url ? p->base_url : "", p->health_path);
        else
            snprintf(health, sizeof(health), "-");
        size_t nr = routes_depending(cfg, p, routes, sizeof(routes));
        snprintf(breaks, sizeof(breaks), "%s%s%s", pre && pre->breaks ? pre->breaks : "",
                 pre && pre->breaks && nr ? "; " : "",
                 nr ? routes : (pre && pre->breaks ? "" : "nothing alone"));
        fprintf(out, "%-14s %-11s %-5s %-34s %-26s %-44s %s\n", p->name, p->domain ? p->domain : "generic",
                rl_mode_name(rl_snapshot_provider_mode(s, i)), envs, missing, health, breaks);
    }
}

size_t rl_inventory_missing(const rl_snapshot_t *s, rl_diag_t *diag)
{
    const rl_config_t *cfg = s->cfg;
    size_t bad = 0;
    for (size_t i = 0; i < cfg->n_providers; i++) {
        const rl_provider_rt_t *rt = &s->providers[i];
        if (rt->n_missing == 0) continue;
        char missing[256];
        join(missing, sizeof(missing), rt->missing, rt->n_missing < 16 ? rt->n_missing : 16);
        rl_diag_add(diag, cfg->file, cfg->providers[i].line,
                    "provider %s: missing env var%s %s (it can only run in mock mode)",
                    cfg->providers[i].name, rt->n_missing == 1 ? "" : "s", missing);
        bad++;
    }
    return bad;
}
