/* response.h — the RESPONSE phase (DESIGN §2): what the policies do to the
 * response that will reach the client, whoever produced it (a provider
 * through http/proxy.c, or a mock).
 *
 * The producer fills r->req->res (status, reason, headers, content_length)
 * and calls rl_response_begin once the choice is final (no other target
 * will be tried). begin adds the response-phase headers and says whether the
 * policies need the whole body (?fields=, rename, ETag, cache store):
 *   0 → the producer streams the body itself (h2o_start_response …);
 *   1 → the producer collects the body and calls rl_response_finish, which
 *       transforms it and sends the response. A producer that cannot hold
 *       the body (over RL_RESPONSE_BUFFER_MAX) streams it unchanged instead
 *       and calls rl_response_abandon first. */
#ifndef RL_POLICY_RESPONSE_H
#define RL_POLICY_RESPONSE_H

#include "http/request.h"

#define RL_RESPONSE_BUFFER_MAX (8u << 20)

int rl_response_begin(rl_request_t *r);
void rl_response_finish(rl_request_t *r, h2o_iovec_t body);
void rl_response_abandon(rl_request_t *r);

#endif
