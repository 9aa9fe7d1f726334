/* outbound.h — what relais adds to every request it sends a provider: the
 * preset's fixed headers (anthropic-version…) and the provider's
 * credentials (upstream/auth_apply.h), each replacing a header of the same
 * name already in the list. Used by the proxy, the If-Match check and the
 * health probes, so that all of them reach the provider the same way. */
#ifndef RL_UPSTREAM_OUTBOUND_H
#define RL_UPSTREAM_OUTBOUND_H

#include "config/config.h"
#include "upstream/auth_apply.h"

#define RL_OUTBOUND_MAX_FIXED 8 /* fixed headers sent at most */
/* Room `hdrs` needs beyond its current entries. */
#define RL_OUTBOUND_EXTRA_HDRS (RL_OUTBOUND_MAX_FIXED + RL_AUTH_MAX_HDRS)

/* Adds p's fixed headers and credentials to hdrs[0..*n) for a request sent
 * as `method` to `url` with `body` (token: the oauth2 access token, or
 * NULL). When ao->url is set afterwards, send to it instead of `url` (an
 * api_key in the query). Free ao with rl_auth_out_free once the transfer
 * started. Returns 0, or -1 (credentials unusable; logged without them). */
int rl_outbound_prepare(const rl_provider_cfg_t *p, const char *method, size_t method_len, const char *url,
                        const char *body, size_t body_len, const char *token, rl_hdr_t *hdrs, size_t *n,
                        rl_auth_out_t *ao);

#endif
