/* snapshot.h — an immutable, refcounted view of one loaded config plus what
 * is compiled from it (the router). Requests hold a reference to the snapshot
 * they started with; a reload publishes a new one into a slot and the old one
 * is freed when its last request releases it. */
#ifndef RL_CONFIG_SNAPSHOT_H
#define RL_CONFIG_SNAPSHOT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "core/diag.h"
#include "http/router.h"

struct rl_pstate; /* upstream/provider_state.h */

/* Per provider, what the snapshot resolved once (parallel to cfg->providers). */
typedef struct rl_provider_rt {
    struct rl_pstate *ps;    /* run-time state: breaker, samples, mode override */
    rl_mode_t mode;          /* from the config: RL_MODE_MOCK or RL_MODE_REAL */
    bool ready;              /* every env var it needs is set (auto would pick real) */
    const char *missing[16]; /* the unset env vars (borrowed from cfg), at most 16 … */
    size_t n_missing;        /* … of this many */
} rl_provider_rt_t;

typedef struct rl_snapshot {
    atomic_int refs;
    uint64_t generation;
    rl_config_t *cfg;
    rl_router_t *router;
    /* per route: the provider of each target, resolved once */
    const rl_provider_cfg_t ***route_targets;
    rl_provider_rt_t *providers; /* parallel to cfg->providers */
} rl_snapshot_t;

/* The provider's effective mode now (RL_MODE_MOCK or RL_MODE_REAL): a
 * run-time override (PUT /admin/v1/mode) for the provider, else a global
 * one, else the config's choice; an `auto` override follows `ready`. */
rl_mode_t rl_snapshot_provider_mode(const rl_snapshot_t *s, size_t provider_index);

/* Logs each provider's mode and why (at start and after a reload). */
void rl_snapshot_log_modes(const rl_snapshot_t *s);

/* Builds a snapshot from `cfg`, taking ownership of it (freed on failure
 * too). Compiles the router; template problems are added to `diag` with the
 * route's file:line. Returns 0 and *out with one reference, or -1. */
int rl_snapshot_build(rl_config_t *cfg, rl_snapshot_t **out, rl_diag_t *diag);

/* Loads `path` and builds a snapshot from it: rl_config_load + build. */
int rl_snapshot_load(const char *path, rl_snapshot_t **out, rl_diag_t *diag);

/* Takes one more reference; returns `s`. */
rl_snapshot_t *rl_snapshot_ref(rl_snapshot_t *s);

/* Drops one reference; the last one frees the snapshot and its config. */
void rl_snapshot_release(rl_snapshot_t *s);

/* The process-wide current snapshot. `generation` changes on every publish,
 * so a worker can tell cheaply (one atomic load) that it must re-acquire. */
typedef struct rl_snapshot_slot {
    pthread_mutex_t mu;
    rl_snapshot_t *cur;
    atomic_uint_fast64_t generation;
} rl_snapshot_slot_t;

void rl_snapshot_slot_init(rl_snapshot_slot_t *slot);

/* Returns the current snapshot with a reference the caller must release. */
rl_snapshot_t *rl_snapshot_slot_acquire(rl_snapshot_slot_t *slot);

/* Publishes `s` (the slot takes over the caller's reference) and releases
 * the slot's reference to the previous one. */
void rl_snapshot_slot_publish(rl_snapshot_slot_t *slot, rl_snapshot_t *s);

/* Releases the current snapshot; the slot is empty after. */
void rl_snapshot_slot_clear(rl_snapshot_slot_t *slot);

#endif
