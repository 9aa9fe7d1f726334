/* chain.c — the UPSTREAM step: the route's provider chain. For now the
 * first target only; the egress issue adds modes, breakers, retries and
 * fallback. */
#include "http/proxy.h"
#include "policy/policy.h"

rl_step_t rl_policy_upstream(rl_request_t *r)
{
    const rl_route_cfg_t *route = r->route;
    const rl_target_cfg_t *t = &route->targets[0];
    rl_proxy_start(r, r->snap->route_targets[r->route_index][0], t->path ? t->path : route->upstream_path,
                   &r->match);
    return RL_STEP_DONE;
}
