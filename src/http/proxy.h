/* proxy.h — forwards a routed request to one provider and streams the
 * answer back unchanged (status, headers, body), with backpressure: at most
 * a bounded amount of the response is held; past it the upstream transfer is
 * paused until the client has taken what was sent. */
#ifndef RL_HTTP_PROXY_H
#define RL_HTTP_PROXY_H

#include "http/request.h"

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

/* RFC 9110 §9.2.2: a request may be sent again when its method is
 * idempotent or the client made it so with an Idempotency-Key. */
int rl_proxy_may_replay(const h2o_req_t *req);

/* The request is being disposed: stop the transfer, send nothing more. */
void rl_proxy_detach(rl_proxy_t *px);

#endif
