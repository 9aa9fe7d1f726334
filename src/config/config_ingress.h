/* config_ingress.h — private to src/config: the access keys of relais.yaml
 * (config_ingress.c): top-level `trust_proxy` and `auth.jwt`, the extra
 * `cors` keys, and the route keys `auth`, `scopes`, `allow_ips`,
 * `rate_limit` and `quota`. */
#ifndef RL_CONFIG_CONFIG_INGRESS_H
#define RL_CONFIG_CONFIG_INGRESS_H

#include "config/config_int.h"

/* Loads `trust_proxy` and `auth` from the root mapping. Call it before the
 * routes: a route's `auth: [jwt]` needs `auth.jwt`. */
void rl_cfg_load_access(rl_cfg_ctx_t *c, const rl_ynode_t *root);

/* The cors keys beyond allow_origins/allow_credentials: allow_methods,
 * allow_headers, expose_headers, max_age (config.c's load_cors calls it with
 * the `cors` mapping, or NULL, so that the defaults are set either way). */
void rl_cfg_load_cors_more(rl_cfg_ctx_t *c, const rl_ynode_t *cors);

/* The route's access keys (route is the route's mapping, path "routes[i]"). */
void rl_cfg_load_route_access(rl_cfg_ctx_t *c, rl_route_cfg_t *r, const rl_ynode_t *route, const char *path);

void rl_cfg_free_route_access(rl_route_cfg_t *r);
void rl_cfg_free_access(rl_config_t *cfg);

#endif
