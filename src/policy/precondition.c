/* precondition.c — If-Match on PUT, PATCH and DELETE (RFC 9110 §13.1.1),
 * for upstreams that do not evaluate it themselves.
 *
 * relais needs the current representation's entity-tag: a fresh cached GET
 * of the same path and query for the same caller, or else a GET of the same
 * upstream path with the caller's headers (first target of the route). The
 * tag is the one a GET through relais would carry (response.c: the
 * upstream's ETag, or relais' own over the body after the route's renames).
 * No match — or no current representation (404, any non-2xx) — answers 412
 * precondition_failed; a match forwards the request. If-Match is strong:
 * W/ tags never match; "*" matches any existing representation.
 *
 * Race window: between relais' GET and the upstream applying the write,
 * another writer may change the resource, and relais cannot see it. An
 * upstream that supports If-Match itself closes the window: when its GET
 * carries its own ETag, relais forwards If-Match unchanged and the
 * upstream's atomic check decides (its 412 passes through). When the tag is
 * relais' own (the upstream sends none), If-Match is removed before
 * forwarding, since the upstream could not interpret it. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/envelope.h"
#include "http/proxy.h"
#include "policy/cacheentry.h"
#include "policy/cachekey.h"
#include "policy/etag.h"
#include "policy/jsonxf.h"
#include "policy/policy.h"
#include "policy/resp_state.h"
#include "policy/response.h"
#include "shared/shared.h"

#define MAX_HEADERS 128

typedef struct rl_precond {
    rl_request_t *r;
    rl_xfer_t *xfer; /* set while the GET runs */
    char *body;
    size_t len, cap;
    int status;
    bool too_big, sync;
    h2o_iovec_t ctype, cenc;   /* pool copies, when the GET carried them */
    h2o_iovec_t upstream_etag; /* pool copy, when the GET carried one */
} precond_t;

static bool method_is(const rl_request_t *r, const char *m)
{
    return h2o_memis(r->req->method.base, r->req->method.len, m, strlen(m));
}

/* Whether the If-Match headers admit the current representation (`exists`,
 * entity-tag `tag` or NULL when unknown). */
static bool if_match_passes(const rl_request_t *r, bool exists, const char *tag, size_t len)
{
    const h2o_headers_t *hs = &r->req->headers;
    for (ssize_t i = -1; (i = h2o_find_header(hs, H2O_TOKEN_IF_MATCH, i)) >= 0;) {
        const h2o_iovec_t *v = &hs->entries[i].value;
        size_t a = 0, b = v->len;
        while (a < b && (v->base[a] == ' ' || v->base[a] == '\t'))
            a++;
        while (b > a && (v->base[b - 1] == ' ' || v->base[b - 1] == '\t'))
            b--;
        if (b - a == 1 && v->base[a] == '*') {
            if (exists) return true;
            continue;
        }
        if (exists && tag && rl_etag_list_match(v->base, v->len, tag, len, false)) return true;
    }
    return false;
}

static void strip_if_match(rl_request_t *r)
{
    ssize_t i;
    while ((i = h2o_find_header(&r->req->headers, H2O_TOKEN_IF_MATCH, -1)) >= 0)
        h2o_delete_header(&r->req->headers, i);
}

/* Decides; answers 412 (RL_STEP_DONE) or lets the request go on. */
static rl_step_t decide(rl_request_t *r, bool exists, const char *tag, size_t len, bool own_tag)
{
    if (!if_match_passes(r, exists, tag, len)) {
        rl_respond_error(r, RL_EPRECONDITION_FAILED, NULL,
                         exists ? "If-Match does not match the current representation"
                                : "If-Match: there is no current representation");
        return RL_STEP_DONE;
    }
    if (own_tag) strip_if_match(r);
    return RL_STEP_NEXT;
}

/* ---- from the cache ---- */

typedef struct cache_look {
    rl_request_t *r;
    bool done, hit, late;
    rl_step_t result;
} cache_look_t;

static void on_cached(void *ud, int rc, const void *value, size_t len, uint64_t token)
{
    cache_look_t *cl = ud;
    rl_centry_t e;
    rl_centry_hdr_t hdrs[RL_CACHEENTRY_MAX_HEADERS];
    (void)token;
    if (cl->late) return;
    cl->done = true;
    if (rc < 0 || value == NULL || rl_centry_decode(value, len, &e, hdrs, RL_CACHEENTRY_MAX_HEADERS) != 0)
        return;
    if (e.status != 200 || e.etag == NULL) return;
    cl->hit = true;
    cl->result = decide(cl->r, true, e.etag, e.etag_len, e.own_etag);
}

/* ---- from the upstream ---- */

static int on_head(void *ud, int status, const char *reason, size_t reason_len, const rl_hdr_t *hdrs,
                   size_t n)
{
    precond_t *pc = ud;
    (void)reason, (void)reason_len;
    if (pc->r == NULL) return RL_XFER_ABORT;
    pc->status = status;
    for (size_t i = 0; i < n; i++) {
        if (hdrs[i].name_len == 4 && strncasecmp(hdrs[i].name, "etag", 4) == 0 && status >= 200 &&
            status < 300) {
            pc->upstream_etag = h2o_strdup(&pc->r->req->pool, hdrs[i].value, hdrs[i].value_len);
            return RL_XFER_ABORT; /* the tag is all that is needed */
        }
        if (hdrs[i].name_len == 12 && strncasecmp(hdrs[i].name, "content-type", 12) == 0)
            pc->ctype = h2o_strdup(&pc->r->req->pool, hdrs[i].value, hdrs[i].value_len);
        if (hdrs[i].name_len == 16 && strncasecmp(hdrs[i].name, "content-encoding", 16) == 0)
            pc->cenc = h2o_strdup(&pc->r->req->pool, hdrs[i].value, hdrs[i].value_len);
    }
    return RL_XFER_CONTINUE;
}

static int on_body(void *ud, const char *p, size_t n)
{
    precond_t *pc = ud;
    if (pc->len + n > RL_RESPONSE_BUFFER_MAX) {
        pc->too_big = true;
        return RL_XFER_ABORT;
    }
    if (pc->len + n > pc->cap) {
        size_t ncap = pc->cap ? pc->cap * 2 : 16384;
        while (ncap < pc->len + n)
            ncap *= 2;
        char *b = realloc(pc->body, ncap);
        if (b == NULL) return RL_XFER_ABORT;
        pc->body = b;
        pc->cap = ncap;
    }
    memcpy(pc->body + pc->len, p, n);
    pc->len += n;
    return RL_XFER_CONTINUE;
}

/* relais' own tag over the body as a GET through relais would carry it. */
static rl_step_t decide_on_body(precond_t *pc)
{
    rl_request_t *r = pc->r;
    char tag[RL_ETAG_LEN], *xf_out = NULL;
    h2o_iovec_t body = h2o_iovec_init(pc->body, pc->len);
    if (r->route->n_rename && rl_resp_json_type(pc->ctype.base, pc->ctype.len, pc->cenc.base, pc->cenc.len)) {
        rl_jsonxf_t xf = {.rename = r->route->rename,
                          .n_rename = r->route->n_rename,
                          .max_out = 2 * (size_t)RL_RESPONSE_BUFFER_MAX};
        size_t n;
        if (rl_jsonxf_apply(body.base, body.len, &xf, &xf_out, &n) == 0) body = h2o_iovec_init(xf_out, n);
    }
    rl_etag_compute(body.base, body.len, tag);
    free(xf_out);
    return decide(r, true, tag, RL_ETAG_LEN, true);
}

static void on_done(void *ud, rl_errcode_t code, const char *detail)
{
    precond_t *pc = ud;
    rl_request_t *r = pc->r;
    rl_step_t next;
    (void)detail;
    pc->xfer = NULL;
    if (pc->upstream_etag.base) {
        next = decide(r, true, pc->upstream_etag.base, pc->upstream_etag.len, false);
    } else if (pc->too_big) {
        next = decide(r, true, NULL, 0, true); /* no relais tag was ever given for it: only "*" */
    } else if (code != RL_EOK) {
        rl_respond_error(r, code == RL_EUPSTREAM_TIMEOUT ? RL_EUPSTREAM_TIMEOUT : RL_EUPSTREAM_ERROR, NULL,
                         "could not fetch the current representation to evaluate If-Match");
        next = RL_STEP_DONE;
    } else if (pc->status == 200) {
        next = decide_on_body(pc);
    } else {
        next = decide(r, pc->status >= 200 && pc->status < 300, NULL, 0, true);
    }
    free(pc->body);
    pc->body = NULL;
    if (next == RL_STEP_NEXT) rl_pipeline_resume(r);
}

static const rl_xfer_cbs_t fetch_cbs = {on_head, on_body, on_done};

static void on_dispose(void *p)
{
    precond_t *pc = p;
    pc->r = NULL;
    if (pc->xfer) rl_xfer_cancel(pc->xfer);
    free(pc->body);
}

static bool skip_header(const h2o_iovec_t *name)
{
    static const char *const skip[] = {"host",
                                       "content-length",
                                       "content-type",
                                       "content-encoding",
                                       "transfer-encoding",
                                       "expect",
                                       "connection",
                                       "keep-alive",
                                       "te",
                                       "trailer",
                                       "upgrade",
                                       "proxy-connection",
                                       "if-match",
                                       "if-none-match",
                                       "if-modified-since",
                                       "if-unmodified-since",
                                       "if-range",
                                       "range",
                                       "x-request-id",
                                       "idempotency-key"};
    for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
        if (h2o_memis(name->base, name->len, skip[i], strlen(skip[i]))) return true;
    return false;
}

static rl_step_t fetch(rl_request_t *r)
{
    h2o_req_t *req = r->req;
    const rl_provider_cfg_t *p = r->snap->route_targets[r->route_index][0];
    const rl_target_cfg_t *t = &r->route->targets[0];
    char *url = rl_proxy_url(r, p, t->path ? t->path : r->route->upstream_path, &r->match);
    if (url == NULL) {
        rl_respond_error(r, RL_EINTERNAL, NULL, "upstream path too long");
        return RL_STEP_DONE;
    }
    rl_hdr_t hdrs[MAX_HEADERS];
    size_t n = 0;
    for (size_t i = 0; i < req->headers.size && n + 1 + RL_OUTBOUND_EXTRA_HDRS < MAX_HEADERS; i++) {
        const h2o_header_t *h = &req->headers.entries[i];
        if (skip_header(h->name)) continue;
        hdrs[n++] = (rl_hdr_t){h->orig_name ? h->orig_name : h->name->base, h->name->len, h->value.base,
                               h->value.len};
    }
    hdrs[n++] = (rl_hdr_t){"X-Request-Id", 12, r->id, r->id_len};
    /* the provider's own headers and credentials, as the chain would send them */
    rl_auth_out_t ao = {0};
    int signed_ok = rl_proxy_credentials(r, p, h2o_iovec_init(H2O_STRLIT("GET")), h2o_iovec_init(NULL, 0),
                                         &url, hdrs, &n, &ao);
    if (signed_ok != 0) rl_auth_out_free(&ao);
    precond_t *pc = h2o_mem_alloc_shared(&req->pool, sizeof(*pc), on_dispose);
    memset(pc, 0, sizeof(*pc));
    pc->r = r;
    uint64_t total = p->total_timeout_ms;
    if (r->snap->cfg->request_timeout_ms < total) total = r->snap->cfg->request_timeout_ms;
    rl_xfer_req_t xr = {.url = url,
                        .method = "GET",
                        .method_len = 3,
                        .headers = hdrs,
                        .n_headers = n,
                        .connect_timeout_ms = p->connect_timeout_ms,
                        .total_timeout_ms = total,
                        .may_replay = 1};
    int started = rl_xfer_start(r->w->client, &xr, &fetch_cbs, pc, &pc->xfer);
    rl_auth_out_free(&ao);
    if (started != 0) {
        rl_respond_error(r, RL_EINTERNAL, NULL, "could not start the If-Match check");
        return RL_STEP_DONE;
    }
    rl_resp_state(r)->pc = pc;
    return RL_STEP_ASYNC;
}

rl_step_t rl_policy_precondition(rl_request_t *r)
{
    if (!(method_is(r, "PUT") || method_is(r, "PATCH") || method_is(r, "DELETE"))) return RL_STEP_NEXT;
    if (h2o_find_header(&r->req->headers, H2O_TOKEN_IF_MATCH, -1) < 0) return RL_STEP_NEXT;
    rl_shared_t *sh = r->w->shared;
    if (r->route->cache && sh && r->snap->cfg->cache_max_memory) {
        char *key = h2o_mem_alloc_pool(&r->req->pool, RL_CACHEKEY_MAX);
        size_t klen = rl_cache_build_key(r, key, RL_CACHEKEY_MAX);
        /* In the pool: a backend that answers after this returns finds it
         * (and ignores the answer: the fetch below decides). */
        cache_look_t *cl = h2o_mem_alloc_pool(&r->req->pool, sizeof(*cl));
        *cl = (cache_look_t){.r = r};
        if (klen)
            rl_shared_cache_get(sh, key, klen, r->path.base, r->path.len, rl_request_now_ms(r), on_cached,
                                cl);
        cl->late = !cl->done;
        if (cl->done && cl->hit) return cl->result;
    }
    return fetch(r);
}
