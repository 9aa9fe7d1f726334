/* status_endpoint.h — GET /status, GET /status/{provider} and
 * PUT /admin/v1/mode on the admin listener (docs/admin-api.md). */
#ifndef RL_ADMIN_STATUS_ENDPOINT_H
#define RL_ADMIN_STATUS_ENDPOINT_H

#include "http/request.h"

/* Every provider (name NULL) or one: mode, breaker, last probe, recent
 * latency and error rate, quota used and left, missing env vars. */
void rl_admin_status(rl_request_t *r, const char *name, size_t name_len);

/* {"mode": "mock|real|auto"} switches every provider; {"provider": "x",
 * "mode": …} one; "mode": null removes the override. */
void rl_admin_set_mode(rl_request_t *r);

#endif
