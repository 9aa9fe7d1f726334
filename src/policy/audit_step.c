/* audit_step.c — placeholder; the ingress issue writes the audit record. */
#include "policy/policy.h"

void rl_policy_audit_finish(rl_request_t *r)
{
    (void)r;
}
