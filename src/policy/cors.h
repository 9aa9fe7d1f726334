/* cors.h — CORS (the Fetch standard's CORS protocol) for the PRE phase: the
 * pure decision of what an Origin gets, and how a preflight is routed.
 * The step itself is rl_policy_cors (policy.h, cors.c). */
#ifndef RL_POLICY_CORS_H
#define RL_POLICY_CORS_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "http/request.h"

typedef enum rl_cors_kind {
    RL_CORS_OFF = 0,   /* cors.allow_origins is empty: no CORS headers at all */
    RL_CORS_NO_ORIGIN, /* CORS is on but the request has no Origin: only Vary */
    RL_CORS_DENIED,    /* the Origin is not allowed: only Vary */
    RL_CORS_ALLOWED,   /* the Origin is allowed */
} rl_cors_kind_t;

typedef struct rl_cors_decision {
    rl_cors_kind_t kind;
    bool wildcard;    /* answer "Access-Control-Allow-Origin: *" (not the origin) */
    bool credentials; /* add "Access-Control-Allow-Credentials: true" */
} rl_cors_decision_t;

/* What a request with `origin` (len bytes; NULL = no Origin header) gets
 * under cfg's cors settings. Origins compare case-insensitively. With "*"
 * and allow_credentials the origin is echoed instead of "*" (browsers refuse
 * "*" with credentials), except the opaque origin "null", which is then
 * denied. Pure. */
rl_cors_decision_t rl_cors_decide(const rl_config_t *cfg, const char *origin, size_t len);

/* True when `req` is a CORS preflight (OPTIONS with Origin and
 * Access-Control-Request-Method) and CORS is configured; then *method_bit
 * is the RL_M_* bit of the announced method (0 when unknown), which the
 * router uses in place of OPTIONS so that the preflight reaches the route
 * the real request will. */
bool rl_cors_preflight(const rl_config_t *cfg, const h2o_req_t *req, unsigned *method_bit);

#endif
