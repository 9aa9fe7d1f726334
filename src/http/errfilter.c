/* errfilter.c — h2o's own error responses rewritten as envelopes, see
 * errfilter.h. A response is h2o's own when it has no X-Request-Id: every
 * response that passes through relais' handler carries one. */
#include "http/errfilter.h"

#include "http/envelope.h"
#include "http/request.h"

typedef struct envelope_ostream {
    h2o_ostream_t super;
    h2o_iovec_t body;
    int sent;
} envelope_ostream_t;

static rl_errcode_t code_for_status(int status)
{
    switch (status) {
    case 413:
        return RL_EPAYLOAD_TOO_LARGE;
    case 431:
        return RL_EHEADERS_TOO_LARGE;
    case 404:
        return RL_ENOT_FOUND;
    case 405:
        return RL_EMETHOD_NOT_ALLOWED;
    default:
        return status >= 500 ? RL_EINTERNAL : RL_EBAD_REQUEST;
    }
}

static void do_send(h2o_ostream_t *_self, h2o_req_t *req, h2o_iovec_t *bufs, size_t n, h2o_send_state_t state)
{
    envelope_ostream_t *self = (void *)_self;
    if (!self->sent) {
        self->sent = 1;
        h2o_ostream_send_next(&self->super, req, &self->body, 1, state);
    } else {
        h2o_ostream_send_next(&self->super, req, NULL, 0, state);
    }
}

static int is_ours(h2o_req_t *req)
{
    return h2o_find_header_by_str(&req->res.headers, H2O_STRLIT("x-request-id"), -1) >= 0;
}

static void rewrite(h2o_req_t *req, h2o_ostream_t **slot)
{
    rl_request_t *r = rl_request_new(rl_worker_of(req->conn->ctx), req);
    rl_errcode_t code = code_for_status(req->res.status);
    const char *msg = code == RL_EPAYLOAD_TOO_LARGE ? "request body exceeds limits.max_body"
                      : req->res.reason             ? req->res.reason
                                                    : "bad request";
    char *body = h2o_mem_alloc_pool(&req->pool, RL_ENVELOPE_SMALL);
    size_t len = rl_envelope_error(body, RL_ENVELOPE_SMALL, code, msg, r->id, r->id_len, NULL);
    req->res.headers = (h2o_headers_t){NULL, 0, 0};
    rl_envelope_set_headers(r, len);
    envelope_ostream_t *os = (void *)h2o_add_ostream(req, sizeof(*os), slot);
    os->super.do_send = do_send;
    os->body = h2o_iovec_init(body, len);
    os->sent = 0;
    slot = &os->super.next;
    h2o_setup_next_ostream(req, slot);
}

static void on_setup_ostream(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    if (req->res.status >= 400 && !is_ours(req)) {
        rewrite(req, slot);
        return;
    }
    h2o_setup_next_ostream(req, slot);
}

void rl_errfilter_register(h2o_pathconf_t *pathconf)
{
    h2o_filter_t *f = h2o_create_filter(pathconf, sizeof(*f));
    f->on_setup_ostream = on_setup_ostream;
}
