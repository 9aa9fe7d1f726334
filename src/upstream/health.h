/* health.h — active health probes, run on the control thread: every
 * provider in real mode with a health path is probed at its
 * health.interval (GET base_url + path, with its credentials), one probe
 * in flight per provider; the result (time, ok, status, latency) goes to
 * its provider state for /status. Mock-mode providers are never probed. */
#ifndef RL_UPSTREAM_HEALTH_H
#define RL_UPSTREAM_HEALTH_H

#include <uv.h>

#include "config/snapshot.h"

typedef struct rl_health rl_health_t;

/* Starts probing the providers of the slot's current snapshot (re-read at
 * every tick, so reloads apply). NULL when out of memory. */
rl_health_t *rl_health_start(uv_loop_t *loop, rl_snapshot_slot_t *slot);

/* Stops: cancels probes in flight and closes the handles; run the loop
 * once more afterwards to free them. */
void rl_health_stop(rl_health_t *h);

#endif
