/* provider_state.c — the process-wide registry of provider states, see
 * provider_state.h. A small list under one mutex: lookups happen at snapshot
 * build and on admin calls, not per request. */
#include "upstream/provider_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct entry {
    struct entry *next;
    rl_pstate_t ps;
    size_t n_retired;
    rl_breaker_t **retired_list; /* breakers replaced by a reload, freed at shutdown */
} entry_t;

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static entry_t *reg;
static atomic_int global_mode_override;

int rl_mode_global_override(void)
{
    return atomic_load_explicit(&global_mode_override, memory_order_relaxed);
}

void rl_mode_set_global_override(int v)
{
    atomic_store(&global_mode_override, v);
}

void rl_pstate_set_mode_override(rl_pstate_t *ps, int v)
{
    atomic_store(&ps->mode_override, v);
}

size_t rl_pstate_quota_key(const rl_provider_cfg_t *p, uint64_t now_ms, char *buf, size_t cap,
                           rl_calendar_period_t *per)
{
    if (p->quota.count == 0 || rl_calendar_period(p->quota.calendar, now_ms, per) != 0) return 0;
    int n = snprintf(buf, cap, "out:q:%s:%s", p->name, per->key);
    return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

static rl_breaker_t *new_breaker(const rl_breaker_cfg_t *c)
{
    if (c->threshold == 0) return NULL;
    rl_breaker_t *b = malloc(sizeof(*b));
    if (b == NULL) abort();
    if (rl_breaker_init(b, c->threshold, c->window_ms, c->cooldown_ms) != 0) abort();
    return b;
}

static bool same_breaker_cfg(const rl_breaker_cfg_t *a, const rl_breaker_cfg_t *b)
{
    return a->threshold == b->threshold && a->window_ms == b->window_ms && a->cooldown_ms == b->cooldown_ms;
}

rl_pstate_t *rl_pstate_get(const rl_provider_cfg_t *p)
{
    pthread_mutex_lock(&reg_mu);
    entry_t *e = reg;
    while (e && strcmp(e->ps.name, p->name) != 0)
        e = e->next;
    if (e == NULL) {
        e = calloc(1, sizeof(*e));
        if (e == NULL || (e->ps.name = strdup(p->name)) == NULL) abort();
        pthread_mutex_init(&e->ps.mu, NULL);
        e->ps.breaker_cfg = p->breaker;
        e->ps.breaker = new_breaker(&p->breaker);
        e->next = reg;
        reg = e;
    } else if (!same_breaker_cfg(&e->ps.breaker_cfg, &p->breaker)) {
        /* Workers of the old snapshot may still hold the old breaker: keep it
         * alive until shutdown. */
        rl_breaker_t **l = realloc(e->retired_list, (e->n_retired + 1) * sizeof(*l));
        if (l == NULL) abort();
        e->retired_list = l;
        if (e->ps.breaker) l[e->n_retired++] = e->ps.breaker;
        pthread_mutex_lock(&e->ps.mu);
        e->ps.breaker_cfg = p->breaker;
        e->ps.breaker = new_breaker(&p->breaker);
        pthread_mutex_unlock(&e->ps.mu);
    }
    pthread_mutex_unlock(&reg_mu);
    return &e->ps;
}

void rl_pstate_sample(rl_pstate_t *ps, uint32_t latency_ms, bool ok)
{
    pthread_mutex_lock(&ps->mu);
    ps->lat_ms[ps->next_sample] = latency_ms;
    ps->ok[ps->next_sample] = ok;
    ps->next_sample = (ps->next_sample + 1) % RL_PSTATE_SAMPLES;
    if (ps->n_samples < RL_PSTATE_SAMPLES) ps->n_samples++;
    pthread_mutex_unlock(&ps->mu);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

void rl_pstate_view(rl_pstate_t *ps, uint64_t now_ms, rl_pstate_view_t *out)
{
    uint32_t lat[RL_PSTATE_SAMPLES];
    uint32_t errors = 0;
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&ps->mu);
    rl_breaker_t *b = ps->breaker;
    uint32_t n = ps->n_samples;
    memcpy(lat, ps->lat_ms, n * sizeof(lat[0]));
    for (uint32_t i = 0; i < n; i++)
        errors += !ps->ok[i];
    out->probe_at_ms = ps->probe_at_ms;
    out->probe_ok = ps->probe_ok;
    out->probe_status = ps->probe_status;
    out->probe_latency_ms = ps->probe_latency_ms;
    pthread_mutex_unlock(&ps->mu);
    if (b) {
        out->breaker = rl_breaker_state(b, now_ms);
        out->failures = rl_breaker_failures(b, now_ms);
    }
    out->samples = n;
    if (n) {
        qsort(lat, n, sizeof(lat[0]), cmp_u32);
        out->p50_ms = lat[(n - 1) * 50 / 100];
        out->p95_ms = lat[(n - 1) * 95 / 100];
        out->error_rate = (double)errors / n;
    }
}

void rl_pstate_probe(rl_pstate_t *ps, uint64_t wall_ms, bool ok, int status, uint32_t latency_ms)
{
    pthread_mutex_lock(&ps->mu);
    ps->probe_at_ms = wall_ms;
    ps->probe_ok = ok;
    ps->probe_status = status;
    ps->probe_latency_ms = latency_ms;
    pthread_mutex_unlock(&ps->mu);
}

static void free_breaker(rl_breaker_t *b)
{
    if (b == NULL) return;
    rl_breaker_destroy(b);
    free(b);
}

void rl_pstate_shutdown(void)
{
    pthread_mutex_lock(&reg_mu);
    while (reg) {
        entry_t *e = reg;
        reg = e->next;
        free_breaker(e->ps.breaker);
        for (size_t i = 0; i < e->n_retired; i++)
            free_breaker(e->retired_list[i]);
        free(e->retired_list);
        pthread_mutex_destroy(&e->ps.mu);
        free(e->ps.name);
        free(e);
    }
    pthread_mutex_unlock(&reg_mu);
}
