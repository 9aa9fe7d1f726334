/* keys_endpoint.h — /admin/v1/keys (create, list, get, rotate, revoke) and
 * /admin/v1/audit (filtered, paginated reads, themselves audited). admin.c
 * checks the admin token, then hands the request over. */
#ifndef RL_ADMIN_KEYS_ENDPOINT_H
#define RL_ADMIN_KEYS_ENDPOINT_H

#include "http/request.h"

/* True when `path` is /admin/v1/keys or below it. */
int rl_admin_keys_owns(const h2o_iovec_t *path);
void rl_admin_keys_handle(rl_request_t *r); /* keys_endpoint.c */

/* True when `path` is /admin/v1/audit. */
int rl_admin_audit_owns(const h2o_iovec_t *path);
void rl_admin_audit_handle(rl_request_t *r); /* audit_endpoint.c */

/* Parses an RFC 3339 UTC time ("2026-11-21T10:00:00Z", fraction allowed) or
 * Unix seconds into Unix ms. Returns 0, or -1. */
int rl_admin_parse_time(const char *s, int64_t *ms);

#endif
