/* provider_state.h — what relais knows about a provider at run time, shared
 * by every worker and kept across reloads (looked up by name): its circuit
 * breaker, recent latencies and outcomes (for /status), the last health
 * probe, a run-time mode override (PUT /admin/v1/mode) and the counter that
 * makes mock fault injection reproducible. */
#ifndef RL_UPSTREAM_PROVIDER_STATE_H
#define RL_UPSTREAM_PROVIDER_STATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "core/calendar.h"
#include "core/clock.h"
#include "upstream/breaker.h"

#define RL_PSTATE_SAMPLES 256

typedef struct rl_pstate {
    char *name;
    pthread_mutex_t mu;    /* guards everything below but the atomics */
    rl_breaker_t *breaker; /* NULL when the provider has no breaker */
    rl_breaker_cfg_t breaker_cfg;
    uint32_t lat_ms[RL_PSTATE_SAMPLES]; /* recent attempts: latency … */
    uint8_t ok[RL_PSTATE_SAMPLES];      /* … and whether it was a success */
    uint32_t n_samples, next_sample;
    uint64_t probe_at_ms; /* last health probe (wall clock), 0 = never */
    bool probe_ok;
    int probe_status;
    uint32_t probe_latency_ms;
    atomic_int mode_override; /* 0 = none, else RL_MODE_* + 1 */
    atomic_uint_fast64_t mock_counter;
} rl_pstate_t;

/* The state of provider `p` (created on first use; its breaker follows the
 * config: a reload that changes breaker settings starts a fresh breaker).
 * Never NULL; lives until rl_pstate_shutdown. Any thread. */
rl_pstate_t *rl_pstate_get(const rl_provider_cfg_t *p);

/* Records one attempt's outcome for /status (not the breaker). */
void rl_pstate_sample(rl_pstate_t *ps, uint32_t latency_ms, bool ok);

typedef struct rl_pstate_view {
    rl_breaker_state_t breaker;
    uint32_t failures;       /* in the breaker's window */
    uint32_t p50_ms, p95_ms; /* over the recent samples */
    double error_rate;       /* 0..1 over the recent samples */
    uint32_t samples;
    uint64_t probe_at_ms;
    bool probe_ok;
    int probe_status;
    uint32_t probe_latency_ms;
} rl_pstate_view_t;

/* A consistent copy for /status; `now_ms` is monotonic like the breaker's. */
void rl_pstate_view(rl_pstate_t *ps, uint64_t now_ms, rl_pstate_view_t *out);

/* Records a health probe result. */
void rl_pstate_probe(rl_pstate_t *ps, uint64_t wall_ms, bool ok, int status, uint32_t latency_ms);

/* Run-time mode overrides (PUT /admin/v1/mode): 0 = none, else RL_MODE_* + 1.
 * The global one applies to providers without one of their own. */
int rl_mode_global_override(void);
void rl_mode_set_global_override(int v);
void rl_pstate_set_mode_override(rl_pstate_t *ps, int v);

/* The shared-state key of provider p's outbound quota for the UTC period
 * that holds now_ms ("out:q:NAME:2026-11-21"), with that period in *per.
 * Returns the key's length, or 0 when p has no quota. */
size_t rl_pstate_quota_key(const rl_provider_cfg_t *p, uint64_t now_ms, char *buf, size_t cap,
                           rl_calendar_period_t *per);

/* Frees every state (at exit, once no worker runs). */
void rl_pstate_shutdown(void);

#endif
