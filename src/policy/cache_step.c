/* cache_step.c — the CACHE step: for GET and HEAD on a route with `cache`,
 * looks the request up through shared/shared.h and, on a hit, answers from
 * the entry (X-Relais-Cache: HIT, Age, 304 when If-None-Match names its
 * ETag) without reaching the upstream. On a miss it notes the key and the
 * store token; response.c stores what comes back. A backend failure means
 * no caching for this request and a warning, never a failed request.
 *
 * The backend may answer later (a network backend): the step then returns
 * RL_STEP_ASYNC and the callback resumes the pipeline. The memory backend
 * answers inside the call. */
#include <string.h>

#include "core/jsonw.h"
#include "core/log.h"
#include "policy/cacheentry.h"
#include "policy/cachekey.h"
#include "policy/policy.h"
#include "policy/resp_state.h"
#include "shared/shared.h"

#define MAX_CREDS 16

/* "\n" + who is asking, see cachekey.h. */
static void add_who(rl_request_t *r, rl_cachekey_t *k)
{
    const h2o_headers_t *hs = &r->req->headers;
    rl_cachekey_add(k, "\n", 1);
    if (!r->route->cache_key_by_consumer) {
        rl_cachekey_add(k, "public", 6);
        return;
    }
    if (r->consumer) {
        /* with its authentication method: an API key's id and a JWT subject
         * are separate namespaces, and may spell the same string */
        char m[RL_FMT_U64_MAX + 3] = "c=";
        size_t n = 2 + rl_fmt_u64(m + 2, r->authn_method);
        m[n++] = ':';
        rl_cachekey_add(k, m, n);
        rl_cachekey_add(k, r->consumer, strlen(r->consumer));
        return;
    }
    const char *vals[MAX_CREDS];
    size_t lens[MAX_CREDS], n = 0;
    for (size_t c = 0; c < RL_CACHEKEY_N_CREDS; c++) {
        const char *name = rl_cachekey_creds[c];
        for (ssize_t i = -1; (i = h2o_find_header_by_str(hs, name, strlen(name), i)) >= 0;) {
            if (n == MAX_CREDS) {
                k->len = k->cap + 1; /* too many to tell callers apart safely: do not cache */
                return;
            }
            vals[n] = hs->entries[i].value.base;
            lens[n++] = hs->entries[i].value.len;
        }
        if (n < MAX_CREDS) vals[n] = "", lens[n++] = 0; /* separates the headers */
    }
    if (n == RL_CACHEKEY_N_CREDS) { /* nothing but separators */
        rl_cachekey_add(k, "anon", 4);
        return;
    }
    char hex[32];
    rl_cachekey_creds_digest(vals, lens, n, hex);
    rl_cachekey_add(k, "h=", 2);
    rl_cachekey_add(k, hex, sizeof(hex));
}

size_t rl_cache_build_key(rl_request_t *r, char *buf, size_t cap)
{
    h2o_req_t *req = r->req;
    const rl_route_cfg_t *rt = r->route;
    rl_cachekey_t k;
    rl_cachekey_init(&k, buf, cap);
    const char *q = req->query_at != SIZE_MAX ? req->path.base + req->query_at + 1 : "";
    size_t qlen = req->query_at != SIZE_MAX ? req->path.len - req->query_at - 1 : 0;
    rl_cachekey_target(&k, r->path.base, r->path.len, q, qlen);
    for (size_t v = 0; v < rt->n_cache_vary; v++) {
        const char *name = rt->cache_vary[v];
        ssize_t i = h2o_find_header_by_str(&req->headers, name, strlen(name), -1);
        if (i < 0) rl_cachekey_vary(&k, name, "", 0);
        for (; i >= 0; i = h2o_find_header_by_str(&req->headers, name, strlen(name), i))
            rl_cachekey_vary(&k, name, req->headers.entries[i].value.base, req->headers.entries[i].value.len);
    }
    add_who(r, &k);
    return k.len <= k.cap ? k.len : 0;
}

static const char *reason_of(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 203:
        return "Non-Authoritative Information";
    case 204:
        return "No Content";
    case 300:
        return "Multiple Choices";
    case 301:
        return "Moved Permanently";
    case 308:
        return "Permanent Redirect";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 410:
        return "Gone";
    case 414:
        return "URI Too Long";
    default:
        return "OK";
    }
}

/* The cached body as the response, not copied: the entry is held until r
 * is disposed (request.c). HEAD gets no body. */
static void send_body(h2o_req_t *req, const char *body, size_t len)
{
    static h2o_generator_t generator = {NULL, NULL};
    h2o_iovec_t buf = h2o_iovec_init(body, len);
    h2o_start_response(req, &generator);
    if (h2o_memis(req->input.method.base, req->input.method.len, H2O_STRLIT("HEAD")))
        h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
    else
        h2o_send(req, &buf, 1, H2O_SEND_STATE_FINAL);
}

/* The h2o token a stored header's hint names, when it is that header's
 * name (the entry may come from another build); NULL otherwise. */
static const h2o_token_t *hinted_token(const rl_centry_hdr_t *h)
{
    if (h->hint == 0 || h->hint > H2O_MAX_TOKENS) return NULL;
    const h2o_token_t *t = &h2o__tokens[h->hint - 1];
    return h2o_memis(t->buf.base, t->buf.len, h->name, h->name_len) ? t : NULL;
}

/* Answers r from a cached entry; -1 (nothing sent) when it is unreadable.
 * The response's headers and body point into the entry, held for r. */
static int serve_hit(rl_request_t *r, const char *value, size_t len)
{
    h2o_req_t *req = r->req;
    rl_centry_t e;
    rl_centry_hdr_t hdrs[RL_CACHEENTRY_MAX_HEADERS];
    if (rl_centry_decode(value, len, &e, hdrs, RL_CACHEENTRY_MAX_HEADERS) != 0) return -1;
    r->cache_hold = rl_shared_cache_hold(r->w->shared, value);
    req->res.status = e.status;
    req->res.reason = reason_of(e.status);
    for (size_t i = 0; i < e.n_headers; i++) {
        const rl_centry_hdr_t *h = &e.headers[i];
        const h2o_token_t *t = hinted_token(h);
        if (t != NULL)
            h2o_add_header(&req->pool, &req->res.headers, t, NULL, h->value, h->value_len);
        else
            h2o_add_header_by_str(&req->pool, &req->res.headers, h->name, h->name_len, 1, NULL, h->value,
                                  h->value_len);
    }
    if (e.etag) h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ETAG, NULL, e.etag, e.etag_len);
    rl_request_add_common_headers(r);
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-relais-cache"), 0, NULL,
                          H2O_STRLIT("HIT"));
    uint64_t now = rl_request_now_ms(r);
    char *age = h2o_mem_alloc_pool(&req->pool, RL_FMT_U64_MAX);
    size_t n = rl_fmt_u64(age, now > e.stored_ms ? (now - e.stored_ms) / 1000 : 0);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_AGE, NULL, age, n);
    rl_deprecation_add_headers(r);
    if (e.etag && e.status == 200 && rl_resp_if_none_match(r, e.etag, e.etag_len)) {
        rl_resp_send_not_modified(r);
        return 0;
    }
    req->res.content_length = e.body_len;
    send_body(req, e.body, e.body_len);
    return 0;
}

static void on_lookup(void *ud, int rc, const void *value, size_t len, uint64_t token)
{
    rl_resp_state_t *s = ud;
    rl_request_t *r = s->r;
    s->lookup_done = true;
    s->lookup_result = RL_STEP_NEXT;
    if (rc < 0) {
        rl_log_warn("response cache unavailable (%d): route %s not cached for this request", rc,
                    r->route->name);
    } else if (value && serve_hit(r, value, len) == 0) {
        s->lookup_result = RL_STEP_DONE;
    } else {
        s->cache_store = true;
        s->token = token;
    }
    if (!s->lookup_sync && s->lookup_result == RL_STEP_NEXT) rl_pipeline_resume(r);
}

rl_step_t rl_policy_cache(rl_request_t *r)
{
    const rl_route_cfg_t *rt = r->route;
    rl_shared_t *sh = r->w->shared;
    if (!rt->cache || sh == NULL || r->snap->cfg->cache_max_memory == 0 || !rl_resp_is_get_or_head(r))
        return RL_STEP_NEXT;
    rl_resp_state_t *s = rl_resp_state(r);
    s->cache_route = true;
    s->own_mark = r->req->res.headers.size;
    char buf[RL_CACHEKEY_MAX]; /* built here, kept at its length: 8 KiB from the pool would be a malloc */
    s->key_len = rl_cache_build_key(r, buf, sizeof(buf));
    if (s->key_len == 0) return RL_STEP_NEXT; /* too long to key: not cached */
    s->key = h2o_strdup(&r->req->pool, buf, s->key_len).base;
    s->lookup_sync = true;
    rl_shared_cache_get(sh, s->key, s->key_len, r->path.base, r->path.len, rl_request_now_ms(r), on_lookup,
                        s);
    s->lookup_sync = false;
    return s->lookup_done ? s->lookup_result : RL_STEP_ASYNC;
}
