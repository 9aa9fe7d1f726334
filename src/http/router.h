/* router.h — method + path-template matching, compiled once per config
 * snapshot and read concurrently by every worker (it is immutable after
 * rl_router_build returns).
 *
 * Templates: "/v1/items/{id}" — a literal segment, a `{param}` segment that
 * matches one non-empty segment, and optionally a final `{rest*}` that matches
 * the remaining path (zero or more segments, slashes included).
 * Precedence, segment by segment from the left: literal > {param} > {rest*};
 * the most specific template that matches path AND method wins. When some
 * templates match the path but none allows the method, the result is
 * RL_ROUTE_METHOD_NOT_ALLOWED with the union of their methods. */
#ifndef RL_HTTP_ROUTER_H
#define RL_HTTP_ROUTER_H

#include <stddef.h>

#include "core/err.h"

#define RL_ROUTER_MAX_PARAMS 16

typedef struct rl_router rl_router_t;

typedef struct rl_route_param {
    const char *name; /* points into the router; not NUL-terminated */
    size_t name_len;
    const char *value; /* points into the matched path (raw, still %-encoded) */
    size_t value_len;
} rl_route_param_t;

typedef enum rl_route_result {
    RL_ROUTE_FOUND = 0,
    RL_ROUTE_NOT_FOUND = 1,
    RL_ROUTE_METHOD_NOT_ALLOWED = 2,
} rl_route_result_t;

typedef struct rl_route_match {
    int route;      /* the `id` given to rl_router_add, when FOUND */
    unsigned allow; /* METHOD_NOT_ALLOWED: union of the allowed method bits */
    size_t n_params;
    rl_route_param_t params[RL_ROUTER_MAX_PARAMS];
} rl_route_match_t;

/* A new, empty router. Returns NULL on allocation failure. */
rl_router_t *rl_router_new(void);

/* Adds template `tmpl` for the method bits `methods` (RL_M_*; RL_M_ALL for
 * any), answering `id` when it wins. Fails with RL_EBAD_REQUEST and a message
 * in `err` on a malformed template (empty segment, bad or duplicate param
 * name, `{rest*}` not last, more than RL_ROUTER_MAX_PARAMS params) or on a
 * template+method pair that an earlier route already claims. */
int rl_router_add(rl_router_t *r, const char *tmpl, unsigned methods, int id, rl_err_t *err);

/* Freezes the router for matching. Call once, after every rl_router_add. */
int rl_router_build(rl_router_t *r, rl_err_t *err);

/* Matches `path` (no query string; `len` bytes) for method bit `method`.
 * Fills `m`; its params point into `path` and the router. */
rl_route_result_t rl_router_match(const rl_router_t *r, unsigned method, const char *path, size_t len,
                                  rl_route_match_t *m);

/* Expands an upstream path template ("/v2/things/{id}/{rest*}") with the
 * params of `m` into `out` (cap bytes, NUL-terminated). A param the template
 * names but `m` lacks expands to nothing. Returns the length, or -1 if it
 * does not fit. */
int rl_router_expand(const char *tmpl, const rl_route_match_t *m, char *out, size_t cap);

/* Checks that `tmpl` is a well-formed template (as rl_router_add would).
 * Returns 0 or a negative RL_E… with a message in `err`. */
int rl_router_check_template(const char *tmpl, rl_err_t *err);

void rl_router_free(rl_router_t *r);

#endif
