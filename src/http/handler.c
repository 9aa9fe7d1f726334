/* handler.c — request dispatch for the public and admin listeners, see
 * handler.h: PRE (request id, header limit) → ROUTE, then the policy
 * pipeline (http/pipeline.h). */
#include "http/handler.h"

#include <string.h>

#include "admin/admin.h"
#include "http/envelope.h"
#include "http/method.h"
#include "http/pipeline.h"
#include "http/request.h"
#include "policy/cors.h"

typedef struct rl_h2o_handler {
    h2o_handler_t super;
    rl_worker_t *w;
    int admin;
} rl_h2o_handler_t;

static size_t request_head_size(const h2o_req_t *req)
{
    size_t n = req->input.method.len + req->input.path.len + req->input.authority.len + 16;
    for (size_t i = 0; i < req->headers.size; i++)
        n += req->headers.entries[i].name->len + req->headers.entries[i].value.len + 4;
    return n;
}

static int path_is(const rl_request_t *r, const char *p, size_t len)
{
    return h2o_memis(r->path.base, r->path.len, p, len);
}

/* /healthz and /readyz answer on both listeners. Returns 1 if answered. */
static int answer_health(rl_request_t *r)
{
    if (path_is(r, H2O_STRLIT("/healthz"))) {
        rl_respond_data(r, 200, "{\"status\":\"ok\"}");
        return 1;
    }
    if (path_is(r, H2O_STRLIT("/readyz"))) {
        char data[128];
        snprintf(data, sizeof(data), "{\"status\":\"ready\",\"config_generation\":%llu}",
                 (unsigned long long)r->snap->generation);
        rl_respond_data(r, 200, data);
        return 1;
    }
    return 0;
}

static void route_request(rl_request_t *r)
{
    h2o_req_t *req = r->req;
    const rl_snapshot_t *s = r->snap;
    rl_route_match_t m;
    unsigned mbit = rl_method_bit(req->method.base, req->method.len);
    rl_cors_preflight(s->cfg, req, &mbit); /* a preflight goes where its announced request will */
    switch (rl_router_match(s->router, mbit, r->path.base, r->path.len, &m)) {
    case RL_ROUTE_NOT_FOUND:
        rl_respond_error(r, RL_ENOT_FOUND, NULL, "no route for %.*s %.*s", (int)req->method.len,
                         req->method.base, (int)(r->path.len > 200 ? 200 : r->path.len), r->path.base);
        return;
    case RL_ROUTE_METHOD_NOT_ALLOWED: {
        char allow[128];
        size_t n = rl_method_list(m.allow, allow, sizeof(allow));
        rl_request_add_header(r, H2O_STRLIT("allow"), allow, n);
        rl_respond_error(r, RL_EMETHOD_NOT_ALLOWED, NULL, "method %.*s not allowed; allowed: %s",
                         (int)(req->method.len > 32 ? 32 : req->method.len), req->method.base, allow);
        return;
    }
    case RL_ROUTE_FOUND:
        break;
    }
    r->route = &s->cfg->routes[m.route];
    r->route_index = m.route;
    r->match = m;
    rl_pipeline_run(r);
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    rl_h2o_handler_t *h = (void *)self;
    rl_request_t *r = rl_request_new(h->w, req);
    if (request_head_size(req) > r->snap->cfg->max_header) {
        req->http1_is_persistent = 0;
        rl_respond_error(r, RL_EHEADERS_TOO_LARGE, NULL,
                         "request headers exceed limits.max_header (%llu bytes)",
                         (unsigned long long)r->snap->cfg->max_header);
        return 0;
    }
    if (answer_health(r)) return 0;
    if (h->admin)
        rl_admin_handle(r);
    else
        route_request(r);
    return 0;
}

void rl_handler_register(h2o_pathconf_t *pathconf, rl_worker_t *w, int admin)
{
    rl_h2o_handler_t *h = (void *)h2o_create_handler(pathconf, sizeof(*h));
    h->super.on_req = on_req;
    h->w = w;
    h->admin = admin;
}
