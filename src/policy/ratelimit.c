/* ratelimit.c — placeholder step; the ingress issue fills it in. */
#include "policy/policy.h"

rl_step_t rl_policy_ratelimit(rl_request_t *r)
{
    (void)r;
    return RL_STEP_NEXT;
}
