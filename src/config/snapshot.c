/* snapshot.c — config snapshot building and refcounted publication, see
 * snapshot.h. */
#include "config/snapshot.h"

#include <stdlib.h>
#include <string.h>

#include "http/method.h"

static void snapshot_free(rl_snapshot_t *s)
{
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
    if (compile_router(s, diag) != 0 || resolve_targets(s, diag) != 0) {
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
