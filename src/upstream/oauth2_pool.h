/* oauth2_pool.h — each worker's token sources for providers with
 * `auth: {type: oauth2_client_credentials}` (upstream/oauth2_token.h), one
 * per provider and credentials, kept for the life of the worker so that a
 * reload with the same credentials keeps its cached token. */
#ifndef RL_UPSTREAM_OAUTH2_POOL_H
#define RL_UPSTREAM_OAUTH2_POOL_H

#include "http/worker.h"
#include "upstream/oauth2_token.h"

/* The token source of `p` on worker `w` (created on first use); NULL when
 * it cannot be made (credentials missing, out of memory). Worker thread. */
rl_oauth2_t *rl_oauth2_for(rl_worker_t *w, const rl_provider_cfg_t *p);

#endif
