/* response.c — the RESPONSE phase, see response.h. In begin: deprecation
 * headers, X-Relais-Cache: MISS, invalidation after a successful write, and
 * the choice to buffer. In finish: renames and ?fields= (jsonxf.h), the
 * ETag, If-None-Match → 304, the cache store, then the send.
 *
 * What is buffered (everything else streams untouched, SSE always):
 *   - a GET 200 with a known Content-Length (≤ RL_RESPONSE_BUFFER_MAX) that
 *     needs an ETag (the upstream sent none), or carries If-None-Match;
 *   - a 2xx JSON body when ?fields= selects or the route renames;
 *   - a response the cache will keep.
 * ETag rule: the upstream's tag is kept unless ?fields= changed the body
 * (then relais' own tag over the selected body replaces it); a route's
 * renames keep it, since they map one upstream body to one client body. */
#include "policy/response.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "policy/cacheentry.h"
#include "policy/cachekey.h"
#include "policy/etag.h"
#include "policy/jsonxf.h"
#include "policy/resp_state.h"
#include "shared/shared.h"

rl_resp_state_t *rl_resp_state(rl_request_t *r)
{
    if (r->resp == NULL) {
        r->resp = h2o_mem_alloc_pool(&r->req->pool, sizeof(rl_resp_state_t));
        memset(r->resp, 0, sizeof(rl_resp_state_t));
        r->resp->r = r;
    }
    return r->resp;
}

const h2o_header_t *rl_resp_header(const rl_request_t *r, const char *name, size_t len)
{
    ssize_t i = h2o_find_header_by_str(&r->req->res.headers, name, len, -1);
    return i < 0 ? NULL : &r->req->res.headers.entries[i];
}

bool rl_resp_is_get_or_head(const rl_request_t *r)
{
    const h2o_iovec_t *m = &r->req->method;
    return h2o_memis(m->base, m->len, H2O_STRLIT("GET")) || h2o_memis(m->base, m->len, H2O_STRLIT("HEAD"));
}

static bool method_is(const rl_request_t *r, const char *m)
{
    return h2o_memis(r->req->method.base, r->req->method.len, m, strlen(m));
}

static bool is_write(const rl_request_t *r)
{
    return method_is(r, "POST") || method_is(r, "PUT") || method_is(r, "PATCH") || method_is(r, "DELETE");
}

bool rl_resp_if_none_match(const rl_request_t *r, const char *etag, size_t len)
{
    const h2o_headers_t *hs = &r->req->headers;
    for (ssize_t i = -1; (i = h2o_find_header(hs, H2O_TOKEN_IF_NONE_MATCH, i)) >= 0;)
        if (rl_etag_list_match(hs->entries[i].value.base, hs->entries[i].value.len, etag, len, true))
            return true;
    return false;
}

/* Whether a 304 keeps header `h`: the fields RFC 9110 §15.4.5 lists, and
 * relais' own for this request (CORS, rate limit, quota, X-Relais-*), which
 * are no representation metadata: a cross-origin page reads a 304 only
 * with Access-Control-Allow-Origin. */
static bool kept_on_304(const h2o_header_t *h)
{
    static const char *const keep[] = {
        "etag",         "cache-control", "vary",   "expires", "date", "content-location",
        "x-request-id", "deprecation",   "sunset", "link",    "age"};
    static const char *const keep_prefix[] = {"access-control-", "ratelimit-", "x-ratelimit-", "x-quota-",
                                              "x-relais-"};
    const h2o_iovec_t *n = h->name;
    for (size_t k = 0; k < sizeof(keep) / sizeof(keep[0]); k++)
        if (h2o_memis(n->base, n->len, keep[k], strlen(keep[k]))) return true;
    for (size_t k = 0; k < sizeof(keep_prefix) / sizeof(keep_prefix[0]); k++)
        if (n->len > strlen(keep_prefix[k]) && memcmp(n->base, keep_prefix[k], strlen(keep_prefix[k])) == 0)
            return true;
    return false;
}

void rl_resp_send_not_modified(rl_request_t *r)
{
    h2o_req_t *req = r->req;
    h2o_headers_t old = req->res.headers;
    req->res.headers = (h2o_headers_t){NULL, 0, 0};
    for (size_t i = 0; i < old.size; i++)
        if (kept_on_304(&old.entries[i])) {
            h2o_vector_reserve(&req->pool, &req->res.headers, req->res.headers.size + 1);
            req->res.headers.entries[req->res.headers.size++] = old.entries[i];
        }
    req->res.status = 304;
    req->res.reason = "Not Modified";
    req->res.content_length = SIZE_MAX;
    h2o_send_inline(req, NULL, 0);
}

/* ---- begin ---- */

bool rl_resp_json_type(const char *ct, size_t ct_len, const char *ce, size_t ce_len)
{
    if (ct == NULL) return false;
    if (ce && !h2o_lcstris(ce, ce_len, H2O_STRLIT("identity"))) return false;
    size_t n = ct_len;
    const char *semi = memchr(ct, ';', n);
    if (semi) n = (size_t)(semi - ct);
    while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    if (n == 16 && strncasecmp(ct, "application/json", 16) == 0) return true;
    return n > 17 && strncasecmp(ct, "application/", 12) == 0 && strncasecmp(ct + n - 5, "+json", 5) == 0;
}

static bool is_json(const rl_request_t *r)
{
    const h2o_header_t *ct = rl_resp_header(r, H2O_STRLIT("content-type"));
    const h2o_header_t *ce = rl_resp_header(r, H2O_STRLIT("content-encoding"));
    return ct && rl_resp_json_type(ct->value.base, ct->value.len, ce ? ce->value.base : NULL,
                                   ce ? ce->value.len : 0);
}

static bool is_event_stream(const rl_request_t *r)
{
    const h2o_header_t *ct = rl_resp_header(r, H2O_STRLIT("content-type"));
    return ct && ct->value.len >= 17 && strncasecmp(ct->value.base, "text/event-stream", 17) == 0;
}

/* Every value of response header `name` from index `from` on joined by ','
 * (pool), or len 0. */
static h2o_iovec_t joined(rl_request_t *r, size_t from, const char *name, size_t len)
{
    h2o_iovec_t out = {NULL, 0};
    const h2o_headers_t *hs = &r->req->res.headers;
    for (ssize_t i = -1; (i = h2o_find_header_by_str(hs, name, len, i)) >= 0;)
        if ((size_t)i >= from)
            out = out.base
                      ? h2o_concat(&r->req->pool, out, h2o_iovec_init(H2O_STRLIT(",")), hs->entries[i].value)
                      : hs->entries[i].value;
    return out;
}

static bool may_store(rl_request_t *r, rl_resp_state_t *s)
{
    if (!s->cache_store || method_is(r, "HEAD")) return false;
    if (rl_resp_header(r, H2O_STRLIT("set-cookie")) != NULL) return false;
    /* the upstream's Vary: relais' own (CORS: Origin) is about headers it
     * adds again on every hit, never stored */
    h2o_iovec_t vary = joined(r, s->own_mark, H2O_STRLIT("vary"));
    if (vary.len && !rl_cache_vary_covered(vary.base, vary.len, r->route->cache_vary, r->route->n_cache_vary,
                                           r->route->cache_key_by_consumer))
        return false;
    h2o_iovec_t cc = joined(r, 0, H2O_STRLIT("cache-control"));
    const h2o_header_t *exp = rl_resp_header(r, H2O_STRLIT("expires"));
    return rl_cache_storable(r->req->res.status, cc.base, cc.len, exp ? exp->value.base : NULL,
                             exp ? exp->value.len : 0, rl_request_now_ms(r), r->route->cache_ttl_ms,
                             &s->store_ttl_ms);
}

static void invalidate(rl_request_t *r)
{
    rl_shared_t *sh = r->w->shared;
    uint64_t now = rl_request_now_ms(r);
    rl_shared_cache_invalidate(sh, r->path.base, r->path.len, now, NULL, NULL);
    size_t p = rl_cachekey_parent(r->path.base, r->path.len);
    if (p) rl_shared_cache_invalidate(sh, r->path.base, p, now, NULL, NULL);
}

int rl_response_begin(rl_request_t *r)
{
    rl_resp_state_t *s = rl_resp_state(r);
    h2o_req_t *req = r->req;
    int status = req->res.status;
    s->hdr_mark = req->res.headers.size;
    rl_deprecation_add_headers(r);
    if (s->cache_route)
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-relais-cache"), 0, NULL,
                              H2O_STRLIT("MISS"));
    if (status >= 200 && status < 300 && is_write(r) && r->snap->cfg->cache_any && r->w->shared)
        invalidate(r);
    if (method_is(r, "HEAD") || is_event_stream(r)) return 0;
    if (req->res.content_length != SIZE_MAX && req->res.content_length > RL_RESPONSE_BUFFER_MAX) return 0;
    bool need = false, ok2xx = status >= 200 && status < 300;
    s->json = ok2xx && is_json(r);
    if (s->json && (s->select || r->route->n_rename)) need = true;
    if (method_is(r, "GET") && status == 200 && req->res.content_length != SIZE_MAX &&
        (rl_resp_header(r, H2O_STRLIT("etag")) == NULL ||
         rl_request_header(req, H2O_STRLIT("if-none-match"))))
        need = true;
    s->storable = may_store(r, s);
    s->buffering = need || s->storable;
    return s->buffering;
}

/* ---- finish ---- */

/* The ETag of the response: the upstream's, or relais' own over `body`
 * (replacing the upstream's when `own`). Only GET 200. */
static h2o_iovec_t settle_etag(rl_request_t *r, h2o_iovec_t body, bool own, bool *is_own)
{
    h2o_req_t *req = r->req;
    ssize_t i = h2o_find_header(&req->res.headers, H2O_TOKEN_ETAG, -1);
    *is_own = !(i >= 0 && !own);
    if (!*is_own) return req->res.headers.entries[i].value;
    char *tag = h2o_mem_alloc_pool(&req->pool, RL_ETAG_LEN);
    rl_etag_compute(body.base, body.len, tag);
    if (i >= 0)
        req->res.headers.entries[i].value = h2o_iovec_init(tag, RL_ETAG_LEN);
    else
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ETAG, NULL, tag, RL_ETAG_LEN);
    return h2o_iovec_init(tag, RL_ETAG_LEN);
}

static bool stored_header(const h2o_header_t *h)
{
    static const char *const skip[] = {"x-request-id", "etag", "x-relais-cache", "age", "x-relais-attempts"};
    for (size_t k = 0; k < sizeof(skip) / sizeof(skip[0]); k++)
        if (h2o_memis(h->name->base, h->name->len, skip[k], strlen(skip[k]))) return false;
    return true;
}

static void store(rl_request_t *r, rl_resp_state_t *s, h2o_iovec_t body, h2o_iovec_t etag, bool own_etag)
{
    h2o_req_t *req = r->req;
    rl_centry_hdr_t hdrs[RL_CACHEENTRY_MAX_HEADERS];
    size_t n = 0;
    /* [own_mark, hdr_mark): the upstream's headers and those that describe
     * the answer (X-Relais-Provider); a hit adds its own per-request ones */
    for (size_t i = s->own_mark; i < s->hdr_mark && i < req->res.headers.size; i++) {
        const h2o_header_t *h = &req->res.headers.entries[i];
        if (!stored_header(h)) continue;
        if (n == RL_CACHEENTRY_MAX_HEADERS) return;
        unsigned char hint = h2o_iovec_is_token(h->name)
                                 ? (unsigned char)(1 + ((const h2o_token_t *)h->name - h2o__tokens))
                                 : 0;
        hdrs[n++] = (rl_centry_hdr_t){h->name->base, h->name->len, h->value.base, h->value.len, hint};
    }
    rl_centry_t e = {.status = req->res.status,
                     .stored_ms = rl_request_now_ms(r),
                     .etag = etag.base,
                     .etag_len = etag.len,
                     .own_etag = own_etag,
                     .headers = hdrs,
                     .n_headers = n,
                     .body = body.base,
                     .body_len = body.len};
    size_t size = rl_centry_size(&e);
    char *buf = size ? malloc(size) : NULL;
    if (buf == NULL) return;
    rl_centry_encode(&e, buf);
    rl_shared_cache_configure(r->w->shared, r->snap->cfg->cache_max_memory);
    rl_shared_cache_set(r->w->shared, s->key, s->key_len, r->path.base, r->path.len, buf, size,
                        s->store_ttl_ms, s->token, rl_request_now_ms(r), NULL, NULL);
    free(buf);
}

void rl_response_finish(rl_request_t *r, h2o_iovec_t body)
{
    rl_resp_state_t *s = rl_resp_state(r);
    h2o_req_t *req = r->req;
    char *xf_out = NULL;
    bool selected = false;
    if (s->json && (s->select || r->route->n_rename)) {
        rl_jsonxf_t xf = {.fields = s->select ? &s->fields : NULL,
                          .rename = r->route->rename,
                          .n_rename = r->route->n_rename,
                          .max_out = 2 * (size_t)RL_RESPONSE_BUFFER_MAX};
        size_t n;
        if (rl_jsonxf_apply(body.base, body.len, &xf, &xf_out, &n) == 0) {
            body = h2o_iovec_init(xf_out, n);
            selected = s->select;
        }
    }
    h2o_iovec_t etag = {NULL, 0};
    bool own = false;
    if (method_is(r, "GET") && req->res.status == 200) etag = settle_etag(r, body, selected, &own);
    if (s->storable) store(r, s, body, etag, own);
    if (etag.len && rl_resp_if_none_match(r, etag.base, etag.len)) {
        rl_resp_send_not_modified(r);
    } else {
        req->res.content_length = body.len;
        h2o_send_inline(req, body.base, body.len); /* copies the body */
    }
    free(xf_out);
}

void rl_response_abandon(rl_request_t *r)
{
    if (r->resp) r->resp->buffering = r->resp->storable = false;
}
