/* chain.h — the UPSTREAM step: a route's targets tried in order (DESIGN §2).
 *
 * For each target: the circuit breaker (open → skipped, no connection), the
 * provider's outbound rate limit and quota (exceeded → skipped), then an
 * attempt — a mock answer or a real exchange (http/proxy.c). A failed
 * attempt (refused, timed out, or answered 5xx/429 before anything reached
 * the client) is retried on the same target with full-jitter backoff when
 * the provider's retry policy allows it and the request may be replayed,
 * else the next target is tried. Only an attempt whose answer is committed
 * reaches the client; fallback therefore never happens once a byte was sent.
 *
 * Single-target routes answer the last outcome as is: the provider's own
 * response, or 502 upstream_error / 504 upstream_timeout / 503 circuit_open
 * / 429 rate_limited / 429 quota_exceeded with Retry-After. Chains of two or
 * more answer 502 all_providers_failed listing each provider's outcome.
 * Committed answers carry X-Relais-Provider and X-Relais-Attempts. */
#ifndef RL_UPSTREAM_CHAIN_H
#define RL_UPSTREAM_CHAIN_H

#include <stdbool.h>

#include "http/request.h"

typedef struct rl_chain rl_chain_t;

/* An attempt's answer head arrived: returns 1 to commit it (it goes to the
 * client), 0 to refuse it (the attempt is aborted and rl_chain_attempt_failed
 * follows with the status). */
int rl_chain_attempt_head(rl_request_t *r, int status, const rl_hdr_t *hdrs, size_t n);

/* The attempt ended without a committed answer: code is RL_EUPSTREAM_ERROR
 * or RL_EUPSTREAM_TIMEOUT; status is the refused answer's, or 0. The
 * attempt's producer has let go of the request (r->proxy is NULL). */
void rl_chain_attempt_failed(rl_request_t *r, rl_errcode_t code, int status, const char *detail);

/* A committed answer finished (ok = the body went through whole). */
void rl_chain_attempt_done(rl_request_t *r, bool ok);

/* Adds X-Relais-Provider and X-Relais-Attempts to the response. */
void rl_chain_add_headers(rl_request_t *r);

/* The request is being disposed: stop timers, forget it. */
void rl_chain_detach(rl_chain_t *ch);

#endif
