/* mock_attempt.c — a mocked attempt, see mock_attempt.h. */
#include "upstream/mock_attempt.h"

#include <stdlib.h>
#include <string.h>

#include "http/envelope.h"
#include "http/method.h"
#include "policy/response.h"
#include "upstream/chain.h"
#include "upstream/provider_state.h"

struct rl_mock_attempt {
    rl_request_t *r; /* NULL once the request is gone */
    rl_mock_response_t resp;
    uv_timer_t timer;
    h2o_generator_t gen;
    size_t next_event;
    bool timer_init, streaming, waiting_proceed;
};

static void attempt_free(rl_mock_attempt_t *m)
{
    rl_mock_response_free(&m->resp);
    free(m);
}

static void on_closed(uv_handle_t *h)
{
    attempt_free(h->data);
}

static void release(rl_mock_attempt_t *m)
{
    if (m->timer_init)
        uv_close((uv_handle_t *)&m->timer, on_closed);
    else
        attempt_free(m);
}

void rl_mock_attempt_detach(rl_mock_attempt_t *m)
{
    m->r = NULL;
    if (m->timer_init) uv_timer_stop(&m->timer);
    release(m);
}

/* Done with the request: the attempt no longer needs it. */
static void let_go(rl_mock_attempt_t *m)
{
    m->r->mock = NULL;
    m->r = NULL;
    release(m);
}

static void start_timer(rl_mock_attempt_t *m, uv_timer_cb cb, uint64_t ms)
{
    if (!m->timer_init) {
        uv_timer_init(&m->r->w->loop, &m->timer);
        m->timer.data = m;
        m->timer_init = true;
    }
    uv_timer_start(&m->timer, cb, ms, 0);
}

/* ---- SSE ---- */

static void send_event(rl_mock_attempt_t *m)
{
    h2o_req_t *req = m->r->req;
    const char *ev = m->resp.events[m->next_event++];
    h2o_iovec_t parts[2] = {h2o_strdup(&req->pool, ev, strlen(ev)), h2o_iovec_init(H2O_STRLIT("\n\n"))};
    bool last = m->next_event >= m->resp.n_events;
    m->waiting_proceed = true;
    if (last) {
        rl_request_t *r = m->r;
        let_go(m); /* h2o may dispose the request inside h2o_send */
        h2o_send(r->req, parts, 2, H2O_SEND_STATE_FINAL);
        return;
    }
    h2o_send(req, parts, 2, H2O_SEND_STATE_IN_PROGRESS);
}

static void on_event_timer(uv_timer_t *t)
{
    rl_mock_attempt_t *m = t->data;
    if (m->r == NULL || m->waiting_proceed) return;
    send_event(m);
}

static void on_proceed(h2o_generator_t *gen, h2o_req_t *req)
{
    (void)req;
    rl_mock_attempt_t *m = H2O_STRUCT_FROM_MEMBER(rl_mock_attempt_t, gen, gen);
    m->waiting_proceed = false;
    if (m->r == NULL) return;
    start_timer(m, on_event_timer, m->resp.interval_ms);
}

static void on_stop(h2o_generator_t *gen, h2o_req_t *req)
{
    (void)gen;
    (void)req;
}

/* ---- answering ---- */

/* Headers a fixture may not set: framing and connection headers belong to
 * the connection relais writes (a fixture's content-length or
 * transfer-encoding would contradict the real framing), and relais' own
 * (x-request-id, x-relais-*) win. Names are lower case. */
static bool relais_owns(const char *name)
{
    static const char *const owned[] = {"connection", "keep-alive",  "proxy-connection", "transfer-encoding",
                                        "te",         "trailer",     "upgrade",          "content-length",
                                        "date",       "x-request-id"};
    for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
        if (strcmp(name, owned[i]) == 0) return true;
    return strncmp(name, "x-relais-", 9) == 0;
}

static void set_head(rl_mock_attempt_t *m)
{
    rl_request_t *r = m->r;
    h2o_req_t *req = r->req;
    req->res.status = m->resp.status;
    req->res.reason = rl_reason_phrase(m->resp.status);
    for (size_t i = 0; i < m->resp.n_headers; i++) {
        const rl_mock_kv_t *h = &m->resp.headers[i];
        if (relais_owns(h->name)) continue;
        h2o_iovec_t name = h2o_strdup(&req->pool, h->name, SIZE_MAX); /* the fixture goes before the send */
        rl_request_add_header(r, name.base, name.len, h->value, strlen(h->value));
    }
    if (m->resp.applied[0])
        rl_request_add_header(r, H2O_STRLIT("preference-applied"), m->resp.applied, strlen(m->resp.applied));
    rl_request_add_header(r, H2O_STRLIT("x-relais-mode"), H2O_STRLIT("mock"));
    rl_request_add_common_headers(r);
    rl_chain_add_headers(r);
}

static void answer(rl_mock_attempt_t *m)
{
    rl_request_t *r = m->r;
    int status = m->resp.status;
    r->upstream_status = status;
    /* The chain sees a mocked answer as it would a real one. */
    rl_hdr_t hdrs[64];
    size_t n = 0;
    for (size_t i = 0; i < m->resp.n_headers && n < 64; i++, n++)
        hdrs[n] = (rl_hdr_t){m->resp.headers[i].name, strlen(m->resp.headers[i].name),
                             m->resp.headers[i].value, strlen(m->resp.headers[i].value)};
    /* An answer the client chose (Prefer) is theirs: no retry, no fallback. */
    if (!rl_chain_attempt_head(r, m->resp.applied[0] ? 200 : status, hdrs, n)) {
        let_go(m);
        rl_chain_attempt_failed(r, RL_EUPSTREAM_ERROR, status, "mock answered with a failure");
        return;
    }
    set_head(m);
    rl_chain_attempt_done(r, true);
    if (m->resp.sse && m->resp.n_events > 0) {
        m->gen.proceed = on_proceed;
        m->gen.stop = on_stop;
        m->streaming = true;
        h2o_start_response(r->req, &m->gen);
        send_event(m);
        return;
    }
    h2o_iovec_t body = h2o_strdup(&r->req->pool, m->resp.body, m->resp.body_len);
    let_go(m);
    if (rl_response_begin(r)) {
        rl_response_finish(r, body);
        return;
    }
    r->req->res.content_length = body.len;
    h2o_send_inline(r->req, body.base, body.len);
}

static void on_delay(uv_timer_t *t)
{
    rl_mock_attempt_t *m = t->data;
    if (m->r == NULL) return;
    answer(m);
}

/* mock.latency longer than the provider's timeout: the attempt times out
 * as a slow real provider's would (retry, fallback or 504). */
static void on_timeout(uv_timer_t *t)
{
    rl_mock_attempt_t *m = t->data;
    if (m->r == NULL) return;
    rl_request_t *r = m->r;
    let_go(m);
    rl_chain_attempt_failed(r, RL_EUPSTREAM_TIMEOUT, 0, "mock.latency is longer than the provider's timeout");
}

/* The bound a real attempt would have (as http/proxy.c). */
static uint64_t attempt_timeout_ms(const rl_request_t *r)
{
    uint64_t total = r->provider->total_timeout_ms;
    return r->snap->cfg->request_timeout_ms < total ? r->snap->cfg->request_timeout_ms : total;
}

void rl_mock_attempt_start(rl_request_t *r, const rl_mock_set_t *set, const rl_mock_fault_cfg_t *fault,
                           uint64_t counter, const char *path, size_t path_len)
{
    h2o_req_t *req = r->req;
    rl_mock_attempt_t *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        rl_respond_error(r, RL_EINTERNAL, NULL, "out of memory");
        return;
    }
    m->r = r;
    r->mock = m;
    const h2o_header_t *prefer = rl_request_header(req, H2O_STRLIT("prefer"));
    size_t qlen = req->query_at != SIZE_MAX ? req->path.len - req->query_at - 1 : 0;
    rl_mock_req_t mr = {
        .method = rl_method_bit(req->method.base, req->method.len),
        .path = path,
        .path_len = path_len,
        .query = qlen ? req->path.base + req->query_at + 1 : NULL,
        .query_len = qlen,
        .body = req->entity.base,
        .body_len = req->entity.len,
        .prefer = prefer ? prefer->value.base : NULL,
        .prefer_len = prefer ? prefer->value.len : 0,
    };
    rl_mock_vars_t vars = {.request_id = r->id, .now = (int64_t)(rl_wall_ms() / 1000)};
    rl_mock_fault_t f = rl_mock_fault_decide(fault, counter);
    if (f.error)
        rl_mock_fault_response(&vars, &m->resp);
    else
        rl_mock_respond(set, &mr, &vars, &m->resp);
    uint64_t limit = attempt_timeout_ms(r);
    if (f.delay_ms > limit) {
        start_timer(m, on_timeout, limit);
        return;
    }
    if (f.delay_ms) {
        start_timer(m, on_delay, f.delay_ms);
        return;
    }
    answer(m);
}
