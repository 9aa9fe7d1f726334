/* deprecation.c — placeholder step; the response-policies issue fills it in. */
#include "policy/policy.h"

rl_step_t rl_policy_deprecation(rl_request_t *r)
{
    (void)r;
    return RL_STEP_NEXT;
}
