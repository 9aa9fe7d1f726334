/* proxy.c — one request forwarded to one provider, the response streamed
 * back, see proxy.h.
 *
 * Flow control: h2o accepts one h2o_send at a time and calls proceed when it
 * has written it. Body pieces from the upstream go out at once when h2o is
 * ready; otherwise they wait in `pending` (bounded by PENDING_MAX). When
 * pending is full the piece is refused and the upstream transfer pauses; the
 * next proceed sends what is pending and resumes the transfer. So a slow
 * client holds at most ~2 × PENDING_MAX per request, never the whole body. */
#include "http/proxy.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "http/envelope.h"
#include "policy/response.h"
#include "upstream/outbound.h"
#include "upstream/chain.h"
#include "upstream/provider_state.h"
#include "upstream/record.h"

#define PENDING_MAX (256 * 1024)
#define MAX_FWD_HEADERS 128

struct rl_proxy {
    rl_request_t *r; /* NULL once the request is gone */
    rl_xfer_t *xfer; /* NULL once the transfer ended */
    h2o_generator_t gen;
    char *sending, *pending, *whole;
    size_t sending_len, sending_cap, pending_len, pending_cap, whole_len, whole_cap;
    size_t headers_before; /* res.headers.size before the upstream's were added */
    /* buffering: the response policies want the whole body (policy/response.h) */
    unsigned started : 1, can_send : 1, done : 1, failed : 1, buffering : 1;
    int refused_status; /* the chain refused this answer (upstream/chain.h) */
    rl_recorder_t *rec; /* record mode: the exchange being captured, or NULL */
};

static const char *const hop_by_hop[] = {"connection", "keep-alive", "proxy-connection", "te",
                                         "trailer",    "upgrade",    "transfer-encoding"};

static int is_hop_by_hop(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(hop_by_hop) / sizeof(hop_by_hop[0]); i++)
        if (strlen(hop_by_hop[i]) == len && strncasecmp(hop_by_hop[i], name, len) == 0) return 1;
    return 0;
}

static void proxy_free(rl_proxy_t *px)
{
    rl_record_end(px->rec, NULL, false);
    free(px->sending);
    free(px->pending);
    free(px->whole);
    free(px);
}

/* ---- response side ---- */

static int grow(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap) return 0;
    size_t ncap = *cap ? *cap : 16384;
    while (ncap < need)
        ncap *= 2;
    char *n = realloc(*buf, ncap);
    if (n == NULL) return -1;
    *buf = n;
    *cap = ncap;
    return 0;
}

/* Hands `sending` to h2o; may dispose the request (and so free px) when the
 * state is final: nothing may touch px after it. */
static void send_out(rl_proxy_t *px, h2o_send_state_t state)
{
    h2o_iovec_t buf = h2o_iovec_init(px->sending, px->sending_len);
    px->can_send = 0;
    h2o_send(px->r->req, &buf, px->sending_len ? 1 : 0, state);
}

static void on_proceed(h2o_generator_t *gen, h2o_req_t *req)
{
    rl_proxy_t *px = H2O_STRUCT_FROM_MEMBER(rl_proxy_t, gen, gen);
    char *tmp = px->sending;
    size_t tcap = px->sending_cap;
    px->sending = px->pending, px->sending_cap = px->pending_cap, px->sending_len = px->pending_len;
    px->pending = tmp, px->pending_cap = tcap, px->pending_len = 0;
    px->can_send = 1;
    if (px->failed) {
        px->sending_len = 0;
        send_out(px, H2O_SEND_STATE_ERROR);
    } else if (px->done) {
        send_out(px, H2O_SEND_STATE_FINAL);
    } else if (px->sending_len) {
        send_out(px, H2O_SEND_STATE_IN_PROGRESS);
    } else if (px->xfer) {
        rl_xfer_resume(px->xfer); /* may deliver the refused piece right here */
    }
}

static void start_streaming(rl_proxy_t *px)
{
    px->started = 1;
    px->can_send = 1;
    h2o_start_response(px->r->req, &px->gen);
}

/* Too big to hold: the policies give up and what was collected goes out as
 * the first piece of an unchanged stream. */
static void stream_unchanged(rl_proxy_t *px)
{
    rl_response_abandon(px->r);
    px->buffering = 0;
    free(px->pending);
    px->pending = px->whole, px->pending_cap = px->whole_cap, px->pending_len = px->whole_len;
    px->whole = NULL, px->whole_cap = px->whole_len = 0;
    start_streaming(px);
    px->can_send = 0;
    on_proceed(&px->gen, px->r->req);
}

static int take_body(rl_proxy_t *px, const char *p, size_t n);

static int on_body(void *ud, const char *p, size_t n)
{
    rl_proxy_t *px = ud;
    int rc = take_body(px, p, n);
    if (rc == RL_XFER_CONTINUE && px->rec) rl_record_body(px->rec, p, n);
    return rc;
}

static int take_body(rl_proxy_t *px, const char *p, size_t n)
{
    if (px->r == NULL) return RL_XFER_ABORT;
    if (px->buffering) {
        if (px->whole_len + n <= RL_RESPONSE_BUFFER_MAX) {
            if (grow(&px->whole, &px->whole_cap, px->whole_len + n) != 0) return RL_XFER_ABORT;
            memcpy(px->whole + px->whole_len, p, n);
            px->whole_len += n;
            return RL_XFER_CONTINUE;
        }
        stream_unchanged(px);
        return RL_XFER_PAUSE; /* the piece comes again once what was held is sent */
    }
    if (px->can_send && px->pending_len == 0) {
        if (grow(&px->sending, &px->sending_cap, n) != 0) return RL_XFER_ABORT;
        memcpy(px->sending, p, n);
        px->sending_len = n;
        send_out(px, H2O_SEND_STATE_IN_PROGRESS);
        return RL_XFER_CONTINUE;
    }
    if (px->pending_len + n > PENDING_MAX && px->pending_len > 0) return RL_XFER_PAUSE;
    if (grow(&px->pending, &px->pending_cap, px->pending_len + n) != 0) return RL_XFER_ABORT;
    memcpy(px->pending + px->pending_len, p, n);
    px->pending_len += n;
    return RL_XFER_CONTINUE;
}

static void add_upstream_header(h2o_req_t *req, const rl_hdr_t *h)
{
    h2o_iovec_t name = h2o_strdup(&req->pool, h->name, h->name_len);
    h2o_strtolower(name.base, name.len);
    h2o_iovec_t value = h2o_strdup(&req->pool, h->value, h->value_len);
    h2o_add_header_by_str(&req->pool, &req->res.headers, name.base, name.len, 1, NULL, value.base, value.len);
}

static int on_head(void *ud, int status, const char *reason, size_t reason_len, const rl_hdr_t *hdrs,
                   size_t n)
{
    rl_proxy_t *px = ud;
    rl_request_t *r = px->r;
    if (r == NULL) return RL_XFER_ABORT;
    h2o_req_t *req = r->req;
    r->upstream_status = status;
    if (!rl_chain_attempt_head(r, status, hdrs, n)) {
        px->refused_status = status;
        return RL_XFER_ABORT;
    }
    if (px->rec) rl_record_head(px->rec, status, hdrs, n);
    px->headers_before = req->res.headers.size;
    req->res.status = status;
    req->res.reason = reason_len ? h2o_strdup(&req->pool, reason, reason_len).base : "OK";
    /* room for these and relais' own in one step: growing by doubling
     * copies the vector each time, and at 32 entries (1 KiB) h2o mallocs */
    h2o_vector_reserve(&req->pool, &req->res.headers, req->res.headers.size + n + RL_OWN_HEADERS_MAX);
    for (size_t i = 0; i < n; i++) {
        const rl_hdr_t *h = &hdrs[i];
        if (is_hop_by_hop(h->name, h->name_len)) continue;
        if (h->name_len == 4 && strncasecmp(h->name, "date", 4) == 0) continue; /* h2o writes its own */
        if (h->name_len == 12 && strncasecmp(h->name, "x-request-id", 12) == 0) continue; /* ours, sent up */
        if (h->name_len == 14 && strncasecmp(h->name, "content-length", 14) == 0) {
            size_t cl = h2o_strtosize(h->value, h->value_len);
            if (cl != SIZE_MAX) req->res.content_length = cl;
            continue;
        }
        add_upstream_header(req, h);
    }
    rl_request_add_common_headers(r);
    rl_chain_add_headers(r);
    if (rl_response_begin(r))
        px->buffering = 1;
    else
        start_streaming(px);
    return RL_XFER_CONTINUE;
}

static void on_done(void *ud, rl_errcode_t code, const char *detail)
{
    rl_proxy_t *px = ud;
    rl_request_t *r = px->r;
    px->xfer = NULL;
    rl_record_end(px->rec, r, code == RL_EOK);
    px->rec = NULL;
    if (px->buffering && code == RL_EOK) {
        r->proxy = NULL;
        rl_chain_attempt_done(r, true);
        rl_response_finish(r, h2o_iovec_init(px->whole, px->whole_len)); /* copies the body */
        proxy_free(px);
        return;
    }
    if (!px->started) {
        r->proxy = NULL;
        if (px->buffering) { /* the head was taken but nothing sent: drop it */
            r->req->res.headers.size = px->headers_before;
            r->req->res.content_length = SIZE_MAX;
            rl_chain_attempt_done(r, false);
            proxy_free(px);
            rl_respond_error(r, RL_EUPSTREAM_ERROR, NULL, "provider '%s' broke off its response",
                             r->provider->name);
            return;
        }
        int status = px->refused_status;
        proxy_free(px);
        rl_chain_attempt_failed(r, status ? RL_EUPSTREAM_ERROR : code, status, detail);
        return;
    }
    rl_chain_attempt_done(r, code == RL_EOK);
    if (code != RL_EOK) {
        rl_log(RL_LOG_WARN, NULL, "upstream %s broke off a response: %s", r->provider->name, detail);
        px->failed = 1;
    } else {
        px->done = 1;
    }
    if (px->can_send) on_proceed(&px->gen, r->req);
}

static const rl_xfer_cbs_t proxy_cbs = {on_head, on_body, on_done};

/* ---- request side ---- */

/* True when header `name` is listed in the request's Connection header. */
static int named_in_connection(const h2o_req_t *req, const h2o_iovec_t *name)
{
    ssize_t i = -1;
    while ((i = h2o_find_header(&req->headers, H2O_TOKEN_CONNECTION, i)) >= 0) {
        const h2o_iovec_t *v = &req->headers.entries[i].value;
        if (h2o_contains_token(v->base, v->len, name->base, name->len, ',')) return 1;
    }
    return 0;
}

static int skip_request_header(const h2o_req_t *req, const h2o_header_t *h)
{
    static const char *const ours[] = {
        "host",        "content-length", "expect", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host",
        "x-request-id"};
    const h2o_iovec_t *name = h->name;
    if (is_hop_by_hop(name->base, name->len)) return 1;
    for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
        if (strlen(ours[i]) == name->len && memcmp(ours[i], name->base, name->len) == 0) return 1;
    return named_in_connection(req, name);
}

static size_t build_headers(rl_request_t *r, rl_hdr_t *out, size_t max)
{
    h2o_req_t *req = r->req;
    size_t n = 0;
    h2o_iovec_t xff = {NULL, 0};
    for (size_t i = 0; i < req->headers.size && n + 4 < max; i++) {
        const h2o_header_t *h = &req->headers.entries[i];
        if (h->name == &H2O_TOKEN_X_FORWARDED_FOR->buf) xff = h->value;
        if (skip_request_header(req, h)) continue;
        out[n++] = (rl_hdr_t){h->orig_name ? h->orig_name : h->name->base, h->name->len, h->value.base,
                              h->value.len};
    }
    char ip[INET6_ADDRSTRLEN + 1];
    size_t iplen = rl_request_client_ip(r, ip, sizeof(ip));
    h2o_iovec_t fwd =
        xff.base ? h2o_concat(&req->pool, xff, h2o_iovec_init(H2O_STRLIT(", ")), h2o_iovec_init(ip, iplen))
                 : h2o_strdup(&req->pool, ip, iplen);
    out[n++] = (rl_hdr_t){"X-Forwarded-For", 15, fwd.base, fwd.len};
    out[n++] = (rl_hdr_t){"X-Forwarded-Proto", 17, req->scheme->name.base, req->scheme->name.len};
    out[n++] = (rl_hdr_t){"X-Forwarded-Host", 16, req->input.authority.base, req->input.authority.len};
    out[n++] = (rl_hdr_t){"X-Request-Id", 12, r->id, r->id_len};
    return n;
}

/* RFC 9110 §9.2.2: a request may be replayed when its method is idempotent
 * or the client made it so with an Idempotency-Key. */
int rl_proxy_may_replay(const h2o_req_t *req)
{
    static const char *const idempotent[] = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"};
    for (size_t i = 0; i < sizeof(idempotent) / sizeof(idempotent[0]); i++)
        if (h2o_memis(req->method.base, req->method.len, idempotent[i], strlen(idempotent[i]))) return 1;
    return h2o_find_header_by_str(&req->headers, H2O_STRLIT("idempotency-key"), -1) >= 0;
}

int rl_proxy_credentials(rl_request_t *r, const rl_provider_cfg_t *p, h2o_iovec_t method, h2o_iovec_t body,
                         char **url, rl_hdr_t *hdrs, size_t *n, rl_auth_out_t *ao)
{
    if (rl_outbound_prepare(p, method.base, method.len, *url, body.base, body.len, r->outbound_token, hdrs, n,
                            ao) != 0)
        return -1;
    if (ao->url) *url = h2o_strdup(&r->req->pool, ao->url, SIZE_MAX).base;
    return 0;
}

h2o_iovec_t rl_proxy_path(rl_request_t *r, const char *tmpl, const rl_route_match_t *m)
{
    if (tmpl == NULL) return r->path;
    size_t cap = strlen(tmpl) + 4096;
    char *out = h2o_mem_alloc_pool(&r->req->pool, cap);
    int n = rl_router_expand(tmpl, m, out, cap);
    return n < 0 ? h2o_iovec_init(NULL, 0) : h2o_iovec_init(out, (size_t)n);
}

/* base_url + path (template-expanded or the request's) + query. */
char *rl_proxy_url(rl_request_t *r, const rl_provider_cfg_t *p, const char *tmpl, const rl_route_match_t *m)
{
    h2o_req_t *req = r->req;
    size_t blen = strlen(p->base_url), qlen = req->query_at != SIZE_MAX ? req->path.len - req->query_at : 0;
    size_t cap = blen + r->path.len + qlen + 1 + (tmpl ? strlen(tmpl) + 4096 : 0);
    char *url = h2o_mem_alloc_pool(&req->pool, cap);
    memcpy(url, p->base_url, blen);
    size_t len = blen;
    if (tmpl != NULL) {
        int n = rl_router_expand(tmpl, m, url + len, cap - len - qlen);
        if (n < 0) return NULL;
        len += (size_t)n;
    } else {
        memcpy(url + len, r->path.base, r->path.len);
        len += r->path.len;
    }
    if (qlen) memcpy(url + len, req->path.base + req->query_at, qlen);
    url[len + qlen] = '\0';
    return url;
}

void rl_proxy_start(rl_request_t *r, const rl_provider_cfg_t *p, const char *tmpl, const rl_route_match_t *m)
{
    h2o_req_t *req = r->req;
    rl_hdr_t hdrs[MAX_FWD_HEADERS];
    r->provider = p;
    char *url = rl_proxy_url(r, p, tmpl, m);
    if (url == NULL) {
        rl_respond_error(r, RL_EINTERNAL, NULL, "upstream path too long");
        return;
    }
    rl_proxy_t *px = calloc(1, sizeof(*px));
    if (px == NULL) {
        rl_respond_error(r, RL_EINTERNAL, NULL, "out of memory");
        return;
    }
    px->r = r;
    px->gen.proceed = on_proceed;
    px->rec = rl_record_begin(r, p, rl_proxy_path(r, tmpl, m));
    uint64_t total = p->total_timeout_ms;
    if (r->snap->cfg->request_timeout_ms < total) total = r->snap->cfg->request_timeout_ms;
    size_t n_hdrs = build_headers(r, hdrs, MAX_FWD_HEADERS - RL_OUTBOUND_EXTRA_HDRS);
    rl_auth_out_t ao = {0};
    if (rl_proxy_credentials(r, p, req->method, req->entity, &url, hdrs, &n_hdrs, &ao) != 0) {
        rl_auth_out_free(&ao);
        proxy_free(px);
        r->proxy = NULL;
        /* nothing was sent: a failed attempt, so the chain may fall back */
        rl_chain_attempt_failed(r, RL_EUPSTREAM_ERROR, 0, "the provider's credentials could not be applied");
        return;
    }
    rl_xfer_req_t xr = {
        .url = url,
        .method = req->method.base,
        .method_len = req->method.len,
        .headers = hdrs,
        .n_headers = n_hdrs,
        .body = req->entity.base,
        .body_len = req->entity.len,
        .has_body = req->entity.base != NULL,
        .connect_timeout_ms = p->connect_timeout_ms,
        .total_timeout_ms = total,
        .may_replay = rl_proxy_may_replay(req),
        .tls_cert = p->auth.type == RL_AUTH_MTLS ? p->auth.mtls.cert : NULL,
        .tls_key = p->auth.type == RL_AUTH_MTLS ? p->auth.mtls.key : NULL,
    };
    int started = rl_xfer_start(r->w->client, &xr, &proxy_cbs, px, &px->xfer);
    rl_auth_out_free(&ao); /* the transfer has its own copy of the request */
    if (started != 0) {
        proxy_free(px);
        rl_respond_error(r, RL_EINTERNAL, NULL, "could not start the upstream request");
        return;
    }
    r->proxy = px;
}

void rl_proxy_detach(rl_proxy_t *px)
{
    px->r = NULL;
    if (px->xfer != NULL) rl_xfer_cancel(px->xfer);
    proxy_free(px);
}
