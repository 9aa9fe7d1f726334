/* fields_step.c — placeholder step; the response-policies issue fills it in. */
#include "policy/policy.h"

rl_step_t rl_policy_fields(rl_request_t *r)
{
    (void)r;
    return RL_STEP_NEXT;
}
