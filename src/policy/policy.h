/* policy.h — the policy steps of the request pipeline (http/pipeline.h), one
 * file each under src/policy (the upstream step lives in src/upstream). A
 * step reads r->route (its config) and returns RL_STEP_NEXT when it has
 * nothing to do. */
#ifndef RL_POLICY_POLICY_H
#define RL_POLICY_POLICY_H

#include "http/pipeline.h"

rl_step_t rl_policy_audit(rl_request_t *r);        /* audit_step.c: reserves the audit slot */
rl_step_t rl_policy_cors(rl_request_t *r);         /* cors.c */
rl_step_t rl_policy_authn(rl_request_t *r);        /* authn.c */
rl_step_t rl_policy_authz(rl_request_t *r);        /* authz.c */
rl_step_t rl_policy_ratelimit(rl_request_t *r);    /* ratelimit.c */
rl_step_t rl_policy_quota(rl_request_t *r);        /* quota.c */
rl_step_t rl_policy_deprecation(rl_request_t *r);  /* deprecation.c */
rl_step_t rl_policy_fields(rl_request_t *r);       /* fields_step.c */
rl_step_t rl_policy_cache(rl_request_t *r);        /* cache_step.c */
rl_step_t rl_policy_precondition(rl_request_t *r); /* precondition.c */
rl_step_t rl_policy_upstream(rl_request_t *r);     /* upstream/chain.c */

#endif
