/* config_ingress_audit.h — private to src/config: the `store` and `audit`
 * top-level keys and the per-route `audit` flag (config_ingress_audit.c). */
#ifndef RL_CONFIG_CONFIG_INGRESS_AUDIT_H
#define RL_CONFIG_CONFIG_INGRESS_AUDIT_H

#include "config/config_int.h"

/* Loads `store` and `audit` from the root mapping (either may be absent)
 * and fills their defaults. */
void rl_cfg_load_ingress(rl_cfg_ctx_t *c, const rl_ynode_t *root);

/* Loads routes[i].audit (`n` may be NULL) into r->audit. */
void rl_cfg_load_route_audit(rl_cfg_ctx_t *c, rl_route_cfg_t *r, const rl_ynode_t *n, const char *path);

#endif
