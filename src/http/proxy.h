/* proxy.h — forwards a routed request to one provider and streams the
 * answer back unchanged (status, headers, body), with backpressure: at most
 * a bounded amount of the response is held; past it the upstream transfer is
 * paused until the client has taken what was sent. */
#ifndef RL_HTTP_PROXY_H
#define RL_HTTP_PROXY_H

#include "http/request.h"
#include "upstream/outbound.h"

typedef struct rl_proxy rl_proxy_t;

/* Forwards r's request to `p`, the path being `path_tmpl` expanded with the
 * route params (NULL = the request's own path). Answers the client in every
 * case: the upstream's response, or 502 upstream_error / 504
 * upstream_timeout when nothing was received. */
void rl_proxy_start(rl_request_t *r, const rl_provider_cfg_t *p, const char *path_tmpl,
                    const rl_route_match_t *m);

/* The path a provider is sent (no query): `tmpl` expanded with the route's
 * params, or the request's own path when NULL. In the request pool;
 * {NULL, 0} when too long. */
h2o_iovec_t rl_proxy_path(rl_request_t *r, const char *tmpl, const rl_route_match_t *m);

/* base_url + the provider path (rl_proxy_path) + the request's query, in
 * the request pool; NULL when too long. */
char *rl_proxy_url(rl_request_t *r, const rl_provider_cfg_t *p, const char *tmpl, const rl_route_match_t *m);

/* rl_outbound_prepare (upstream/outbound.h) for r: its oauth2 token, and an
 * api_key in the query rewrites *url (in the request pool). hdrs needs room
 * for RL_OUTBOUND_EXTRA_HDRS more. */
int rl_proxy_credentials(rl_request_t *r, const rl_provider_cfg_t *p, h2o_iovec_t method, h2o_iovec_t body,
                         char **url, rl_hdr_t *hdrs, size_t *n, rl_auth_out_t *ao);

/* RFC 9110 §9.2.2: a request may be sent again when its method is
 * idempotent or the client made it so with an Idempotency-Key. */
int rl_proxy_may_replay(const h2o_req_t *req);

/* The request is being disposed: stop the transfer, send nothing more. */
void rl_proxy_detach(rl_proxy_t *px);

#endif
