/* config_auth.h — private to src/config: the loader of a provider's `auth`
 * block (config_auth.c) into rl_auth_cfg_t (upstream/auth.h). */
#ifndef RL_CONFIG_CONFIG_AUTH_H
#define RL_CONFIG_CONFIG_AUTH_H

#include "config/config_int.h"
#include "upstream/auth.h"

/* Loads the auth block `n` (a mapping, or absent: then out->type is
 * RL_AUTH_NONE) named `path` ("providers.openai.auth") into `out`, which the
 * caller zeroed. Problems are reported through `c` as file:line; a
 * credential that is exactly ${VAR} with VAR unset is not a problem: it is
 * left NULL and VAR is recorded in out->missing_env. `out` is always safe
 * to free with rl_auth_cfg_free, whatever was reported. */
void rl_cfg_load_auth(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *path, rl_auth_cfg_t *out);

#endif
