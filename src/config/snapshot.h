/* snapshot.h — an immutable, refcounted view of one loaded config plus what
 * is compiled from it (the router). Requests hold a reference to the snapshot
 * they started with; a reload publishes a new one into a slot and the old one
 * is freed when its last request releases it. */
#ifndef RL_CONFIG_SNAPSHOT_H
#define RL_CONFIG_SNAPSHOT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "config/config.h"
#include "core/diag.h"
#include "http/router.h"

typedef struct rl_snapshot {
    atomic_int refs;
    uint64_t generation;
    rl_config_t *cfg;
    rl_router_t *router;
    /* per route: the provider of each target, resolved once */
    const rl_provider_cfg_t ***route_targets;
} rl_snapshot_t;

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
