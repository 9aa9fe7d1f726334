/* ingress.h — what `relais serve` starts for the ingress side: the store
 * (opened and migrated at start) and the control thread's audit writer.
 * Called by http/server.c on the control thread. */
#ifndef RL_INGRESS_INGRESS_H
#define RL_INGRESS_INGRESS_H

#include "http/worker.h"

/* Opens cfg->store_url, applies migrations and starts the audit writer on
 * s->loop; sets s->store and s->audit. Returns 0, or 1 after logging why. */
int rl_ingress_start(rl_server_t *s, const rl_config_t *cfg);

/* Writes out what is queued (shutdown timeout: before _exit). */
void rl_ingress_flush(rl_server_t *s);

/* After the workers stopped: flushes the audit queue and last_used_at,
 * stops the writer (the store stays open until exit). */
void rl_ingress_stop(rl_server_t *s);

#endif
