/* snapshot.c — config snapshot building and refcounted publication, see
 * snapshot.h. */
#include "config/snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "http/method.h"
#include "providers/mode.h"
#include "upstream/provider_state.h"

static const char *env_lookup(const char *name, void *ud)
{
    (void)ud;
    return getenv(name);
}

static int resolve_providers(rl_snapshot_t *s)
{
    const rl_config_t *cfg = s->cfg;
    s->providers = calloc(cfg->n_providers ? cfg->n_providers : 1, sizeof(*s->providers));
    if (s->providers == NULL) return -1;
    for (size_t i = 0; i < cfg->n_providers; i++) {
        rl_provider_rt_t *rt = &s->providers[i];
        const rl_provider_cfg_t *p = &cfg->providers[i];
        rt->ps = rl_pstate_get(p);
        rt->mode = rl_mode_of_provider(p, cfg->mode, env_lookup, NULL, rt->missing, 16, &rt->n_missing);
        rt->ready = rt->n_missing == 0;
    }
    return 0;
}

rl_mode_t rl_snapshot_provider_mode(const rl_snapshot_t *s, size_t i)
{
    const rl_provider_rt_t *rt = &s->providers[i];
    int o = atomic_load_explicit(&rt->ps->mode_override, memory_order_relaxed);
    if (o == 0) o = rl_mode_global_override();
    if (o == 0) return rt->mode;
    rl_mode_t m = (rl_mode_t)(o - 1);
    if (m == RL_MODE_AUTO) return rt->ready ? RL_MODE_REAL : RL_MODE_MOCK;
    return m;
}

void rl_snapshot_log_modes(const rl_snapshot_t *s)
{
    const rl_config_t *cfg = s->cfg;
    for (size_t i = 0; i < cfg->n_providers; i++) {
        const rl_provider_cfg_t *p = &cfg->providers[i];
        const rl_provider_rt_t *rt = &s->providers[i];
        rl_mode_t configured = p->mode != RL_MODE_UNSET ? p->mode : cfg->mode;
        char missing[256] = "";
        size_t len = 0;
        for (size_t k = 0; k < rt->n_missing && k < 16 && len < sizeof(missing); k++)
            len +=
                (size_t)snprintf(missing + len, sizeof(missing) - len, "%s%s", k ? ", " : "", rt->missing[k]);
        rl_log_info("provider %s: %s mode (%s%s%s%s)", p->name, rl_mode_name(rl_snapshot_provider_mode(s, i)),
                    p->mode != RL_MODE_UNSET ? "provider mode " : "global mode ", rl_mode_name(configured),
                    rt->n_missing ? "; missing " : "", missing);
    }
}

static void snapshot_free(rl_snapshot_t *s)
{
    free(s->providers);
    if (s->route_targets != NULL) {
        for (size_t i = 0; i < s->cfg->n_routes; i++)
            free(s->route_targets[i]);
        free(s->route_targets);
    }
    if (s->router != NULL) rl_router_free(s->router);
    rl_config_free(s->cfg);
    free(s);
}

static int resolve_targets(rl_snapshot_t *s, rl_diag_t *diag)
{
    const rl_config_t *cfg = s->cfg;
    s->route_targets = calloc(cfg->n_routes ? cfg->n_routes : 1, sizeof(*s->route_targets));
    if (s->route_targets == NULL) return -1;
    for (size_t i = 0; i < cfg->n_routes; i++) {
        const rl_route_cfg_t *rc = &cfg->routes[i];
        s->route_targets[i] = calloc(rc->n_targets ? rc->n_targets : 1, sizeof(**s->route_targets));
        if (s->route_targets[i] == NULL) return -1;
        for (size_t t = 0; t < rc->n_targets; t++) {
            s->route_targets[i][t] = rl_config_provider(cfg, rc->targets[t].provider);
            if (s->route_targets[i][t] == NULL) {
                rl_diag_add(diag, cfg->file, rc->line, "route '%s': unknown provider '%s'", rc->name,
                            rc->targets[t].provider);
                return -1;
            }
        }
    }
    return 0;
}

static int compile_router(rl_snapshot_t *s, rl_diag_t *diag)
{
    const rl_config_t *cfg = s->cfg;
    int rc = 0;
    rl_err_t err;
    if ((s->router = rl_router_new()) == NULL) return -1;
    for (size_t i = 0; i < cfg->n_routes; i++) {
        const rl_route_cfg_t *r = &cfg->routes[i];
        unsigned methods = r->methods & RL_M_GET ? r->methods | RL_M_HEAD : r->methods; /* GET implies HEAD */
        if (rl_router_add(s->router, r->path, methods, (int)i, &err) != 0) {
            rl_diag_add(diag, cfg->file, r->line, "route '%s': %s", r->name, err.msg);
            rc = -1;
        }
        if (r->upstream_path && rl_router_check_template(r->upstream_path, &err) != 0) {
            rl_diag_add(diag, cfg->file, r->line, "route '%s': upstream.path: %s", r->name, err.msg);
            rc = -1;
        }
        for (size_t t = 0; t < r->n_targets; t++) {
            if (r->targets[t].path && rl_router_check_template(r->targets[t].path, &err) != 0) {
                rl_diag_add(diag, cfg->file, r->line, "route '%s': target path: %s", r->name, err.msg);
                rc = -1;
            }
        }
    }
    if (rc == 0 && rl_router_build(s->router, &err) != 0) {
        rl_diag_add(diag, cfg->file, 0, "router: %s", err.msg);
        rc = -1;
    }
    return rc;
}

int rl_snapshot_build(rl_config_t *cfg, rl_snapshot_t **out, rl_diag_t *diag)
{
    static atomic_uint_fast64_t next_generation = 1;
    rl_snapshot_t *s = calloc(1, sizeof(*s));
    *out = NULL;
    if (s == NULL) {
        rl_config_free(cfg);
        return -1;
    }
    s->cfg = cfg;
    atomic_init(&s->refs, 1);
    s->generation = atomic_fetch_add(&next_generation, 1);
    if (compile_router(s, diag) != 0 || resolve_targets(s, diag) != 0 || resolve_providers(s) != 0) {
        snapshot_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

int rl_snapshot_load(const char *path, rl_snapshot_t **out, rl_diag_t *diag)
{
    rl_config_t *cfg = NULL;
    *out = NULL;
    if (rl_config_load(path, &cfg, diag) != 0) return -1;
    return rl_snapshot_build(cfg, out, diag);
}

rl_snapshot_t *rl_snapshot_ref(rl_snapshot_t *s)
{
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    return s;
}

void rl_snapshot_release(rl_snapshot_t *s)
{
    if (s != NULL && atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1) snapshot_free(s);
}

void rl_snapshot_slot_init(rl_snapshot_slot_t *slot)
{
    pthread_mutex_init(&slot->mu, NULL);
    slot->cur = NULL;
    atomic_init(&slot->generation, 0);
}

rl_snapshot_t *rl_snapshot_slot_acquire(rl_snapshot_slot_t *slot)
{
    pthread_mutex_lock(&slot->mu);
    rl_snapshot_t *s = slot->cur ? rl_snapshot_ref(slot->cur) : NULL;
    pthread_mutex_unlock(&slot->mu);
    return s;
}

void rl_snapshot_slot_publish(rl_snapshot_slot_t *slot, rl_snapshot_t *s)
{
    pthread_mutex_lock(&slot->mu);
    rl_snapshot_t *old = slot->cur;
    slot->cur = s;
    atomic_store(&slot->generation, s ? s->generation : 0);
    pthread_mutex_unlock(&slot->mu);
    rl_snapshot_release(old);
}

void rl_snapshot_slot_clear(rl_snapshot_slot_t *slot)
{
    rl_snapshot_slot_publish(slot, NULL);
}
