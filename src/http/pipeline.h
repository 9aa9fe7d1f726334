/* pipeline.h — the request pipeline of DESIGN §2 after ROUTE: an ordered
 * table of policy steps (policy/policy.h). Each step continues, answers and
 * stops the chain, or goes asynchronous and later resumes the pipeline. */
#ifndef RL_HTTP_PIPELINE_H
#define RL_HTTP_PIPELINE_H

#include "http/request.h"

typedef enum rl_step {
    RL_STEP_NEXT = 0, /* go on with the next step */
    RL_STEP_DONE,     /* the step answered (or handed the request to the upstream) */
    RL_STEP_ASYNC,    /* the step will call rl_pipeline_resume later */
} rl_step_t;

typedef rl_step_t (*rl_step_fn)(rl_request_t *r);

/* Runs the steps for a routed request (r->route and r->match are set). */
void rl_pipeline_run(rl_request_t *r);

/* Continues after a step that returned RL_STEP_ASYNC, with the step after it.
 * Call it on the request's worker loop, never from inside the step itself. */
void rl_pipeline_resume(rl_request_t *r);

#endif
