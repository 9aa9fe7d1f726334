/* audit_step.h — the audit record of a request. An audited request first
 * reserves a slot of the audit queue (ingress/audit_slots.h), parking
 * without blocking its worker while none is free; its record fills that
 * slot when it is disposed (LOG phase). The pipeline's step is
 * rl_policy_audit (policy.h); handlers outside the router (the admin API)
 * call rl_audit_step_reserve themselves. */
#ifndef RL_POLICY_AUDIT_STEP_H
#define RL_POLICY_AUDIT_STEP_H

#include <stdbool.h>

#include "http/request.h"

/* Continues a request that was parked until it got its audit slot. */
typedef void (*rl_audit_resume_cb)(rl_request_t *r);

/* Worker thread: records `r` in the audit trail when it is disposed, as
 * route `route` (a string that outlives r: a route name of r's snapshot,
 * or static like "admin.audit"), in a slot of the audit queue reserved
 * now. Returns true when r holds its slot and may go on at once. Returns
 * false when r is parked (no slot free, or older requests of this worker
 * still wait): resume(r) is then called later on r's worker loop, once r
 * holds a slot; if the client leaves first, resume is never called and r
 * has no record, since nothing was done for it. Without an audit writer
 * (no store), returns true and records nothing. */
bool rl_audit_step_reserve(rl_request_t *r, const char *route, rl_audit_resume_cb resume);

#endif
