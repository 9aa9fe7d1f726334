/* pipeline.c — runs the policy steps in order, see pipeline.h. The order is
 * DESIGN §2: PRE (CORS) → AUTHN → AUTHZ → LIMIT → CACHE → UPSTREAM; the
 * RESPONSE phase hangs off the upstream (policy/response.h) and LOG off the
 * request's disposal. */
#include "http/pipeline.h"

#include "policy/policy.h"

static const rl_step_fn steps[] = {
    rl_policy_audit,        /* audited routes: reserve the record's slot first */
    rl_policy_cors,         /* PRE: preflight, Origin checks */
    rl_policy_authn,        /* AUTHN: api_key, jwt, none → consumer */
    rl_policy_authz,        /* AUTHZ: scopes, IP allowlists */
    rl_policy_ratelimit,    /* LIMIT: GCRA per consumer × route */
    rl_policy_quota,        /* LIMIT: quota per consumer */
    rl_policy_deprecation,  /* 410 after the sunset when enforced */
    rl_policy_fields,       /* ?fields= validated before anything is fetched */
    rl_policy_cache,        /* CACHE: lookup, If-None-Match on a hit */
    rl_policy_precondition, /* If-Match on PUT/PATCH/DELETE */
    rl_policy_upstream,     /* UPSTREAM: provider chain; always the last */
};

static void run_from(rl_request_t *r, unsigned i)
{
    for (; i < sizeof(steps) / sizeof(steps[0]); i++) {
        r->step = i;
        switch (steps[i](r)) {
        case RL_STEP_NEXT:
            continue;
        case RL_STEP_DONE:
        case RL_STEP_ASYNC:
            return;
        }
    }
}

void rl_pipeline_run(rl_request_t *r)
{
    run_from(r, 0);
}

void rl_pipeline_resume(rl_request_t *r)
{
    run_from(r, r->step + 1);
}
