/* audit_step.h — the audit record of a request (LOG phase). The pipeline's
 * hook is rl_policy_audit_finish (policy.h); handlers outside the router
 * (the admin API) ask for a record with rl_audit_step_mark. */
#ifndef RL_POLICY_AUDIT_STEP_H
#define RL_POLICY_AUDIT_STEP_H

#include "http/request.h"

/* Records `r` in the audit trail when it is disposed, as route `route`
 * (a static string, e.g. "admin.audit") — for requests that no route
 * matched. */
void rl_audit_step_mark(rl_request_t *r, const char *route);

#endif
