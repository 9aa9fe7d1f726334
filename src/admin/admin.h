/* admin.h — the admin API on the admin listener (DESIGN §6): bearer-token
 * auth and, for now, POST /admin/v1/reload. Health endpoints are answered
 * by the handler on both listeners. */
#ifndef RL_ADMIN_ADMIN_H
#define RL_ADMIN_ADMIN_H

#include "http/request.h"

/* Answers an admin-listener request (every path but /healthz, /readyz). */
void rl_admin_handle(rl_request_t *r);

/* Worker thread: the control thread finished `job`; answer its request if
 * the client is still there, then free the job. */
void rl_admin_reload_done(rl_reload_job_t *job);

#endif
