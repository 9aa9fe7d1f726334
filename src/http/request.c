/* request.c — per-request state and its disposal (access log), see request.h. */
#include "http/request.h"

#include <arpa/inet.h>
#include <string.h>

#include "http/path.h"
#include "http/proxy.h"
#include "metrics/metrics.h"
#include "upstream/chain.h"
#include "upstream/mock_attempt.h"

/* Admin-listener requests (scrapes, reloads) are not gateway traffic: they
 * stay out of the request metrics. */
static int is_public(const rl_request_t *r)
{
    return r->req->conn->hosts != r->w->hosts_admin;
}

static void on_dispose(void *p)
{
    rl_request_t *r = p;
    h2o_req_t *req = r->req;
    if (r->proxy != NULL) rl_proxy_detach(r->proxy);
    if (r->mock != NULL) rl_mock_attempt_detach(r->mock);
    if (r->chain != NULL) rl_chain_detach(r->chain);
    if (r->reload_job != NULL) r->reload_job->r = NULL;
    rl_access_rec_t rec = {
        .request_id = r->id,
        .request_id_len = r->id_len,
        .route = r->route ? r->route->name : NULL,
        .method = req->input.method.base,
        .method_len = req->input.method.len,
        .path = req->input.path.base,
        .path_len = req->input.path.len,
        .status = req->res.status,
        .bytes = req->bytes_sent,
        .duration_us = (uv_hrtime() - r->start_ns) / 1000,
        .upstream = r->provider ? r->provider->name : NULL,
        .upstream_status = r->upstream_status,
    };
    rl_worker_access_log(r->w, &rec);
    if (is_public(r)) {
        rl_metrics_request(rec.route, rec.method, rec.method_len, rec.status, (double)rec.duration_us / 1e6);
        rl_metrics_inflight(-1);
    }
    if (r->cache_hold != NULL) rl_shared_cache_release(r->w->shared, r->cache_hold);
    rl_snapshot_release(r->snap);
    rl_worker_request_done(r->w);
}

uint64_t rl_request_now_ms(const rl_request_t *r)
{
    const struct timeval *tv = &r->req->processed_at.at;
    return (uint64_t)tv->tv_sec * 1000 + (uint64_t)tv->tv_usec / 1000;
}

const h2o_header_t *rl_request_header(const h2o_req_t *req, const char *name, size_t len)
{
    ssize_t i = h2o_find_header_by_str(&req->headers, name, len, -1);
    return i < 0 ? NULL : &req->headers.entries[i];
}

rl_request_t *rl_request_new(rl_worker_t *w, h2o_req_t *req)
{
    rl_request_t *r = h2o_mem_alloc_shared(&req->pool, sizeof(*r), on_dispose);
    memset(r, 0, sizeof(*r));
    r->req = req;
    r->w = w;
    r->start_ns = uv_hrtime();
    rl_worker_refresh_snapshot(w);
    r->snap = rl_snapshot_ref(w->snap);
    w->inflight++;
    if (is_public(r)) rl_metrics_inflight(1);
    size_t plen = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    if (rl_path_is_normal(req->path.base, plen)) {
        r->path = h2o_iovec_init(req->path.base, plen);
    } else {
        char *p = h2o_mem_alloc_pool(&req->pool, plen + 2);
        r->path = h2o_iovec_init(p, rl_path_normalize(req->path.base, plen, p));
    }
    const h2o_header_t *h = rl_request_header(req, H2O_STRLIT("x-request-id"));
    if (h != NULL && rl_reqid_is_sane(h->value.base, h->value.len)) {
        memcpy(r->id, h->value.base, h->value.len);
        r->id_len = h->value.len;
        r->id[r->id_len] = '\0';
    } else {
        r->id_len = rl_reqid_uuid7(r->id, rl_request_now_ms(r), rl_rng_next(&w->rng), rl_rng_next(&w->rng));
    }
    return r;
}

void rl_request_add_header(rl_request_t *r, const char *name, size_t name_len, const char *value, size_t len)
{
    h2o_req_t *req = r->req;
    h2o_iovec_t v = h2o_strdup(&req->pool, value, len);
    h2o_add_header_by_str(&req->pool, &req->res.headers, name, name_len, 1, NULL, v.base, v.len);
}

void rl_request_add_common_headers(rl_request_t *r)
{
    h2o_add_header_by_str(&r->req->pool, &r->req->res.headers, H2O_STRLIT("x-request-id"), 0, NULL, r->id,
                          r->id_len);
}

static rl_ip_t peer_addr(const rl_request_t *r)
{
    struct sockaddr_storage ss;
    rl_ip_t ip = {{0}};
    h2o_conn_t *conn = r->req->conn;
    socklen_t sl = conn->callbacks->get_peername(conn, (struct sockaddr *)&ss);
    if (sl != 0 && ss.ss_family == AF_INET) {
        ip.b[10] = ip.b[11] = 0xff;
        memcpy(ip.b + 12, &((struct sockaddr_in *)&ss)->sin_addr, 4);
    } else if (sl != 0 && ss.ss_family == AF_INET6) {
        memcpy(ip.b, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
    }
    return ip;
}

size_t rl_request_client_ip(const rl_request_t *r, char *buf, size_t cap)
{
    rl_ip_t ip = peer_addr(r);
    static const rl_ip_t none;
    if (memcmp(&ip, &none, sizeof(ip)) == 0) { /* no peer address */
        if (cap) buf[0] = '\0';
        return 0;
    }
    return rl_ip_format(&ip, buf, cap);
}

/* Every X-Forwarded-For header, joined with "," in order (RFC 9110 §5.3). */
static h2o_iovec_t forwarded_for(const rl_request_t *r)
{
    h2o_iovec_t v = {NULL, 0};
    const h2o_headers_t *hs = &r->req->headers;
    for (ssize_t i = -1; (i = h2o_find_header_by_str(hs, H2O_STRLIT("x-forwarded-for"), i)) != -1;) {
        h2o_iovec_t x = hs->entries[i].value;
        if (v.base == NULL) {
            v = x;
            continue;
        }
        char *b = h2o_mem_alloc_pool(&r->req->pool, v.len + x.len + 1);
        memcpy(b, v.base, v.len);
        b[v.len] = ',';
        memcpy(b + v.len + 1, x.base, x.len);
        v = h2o_iovec_init(b, v.len + x.len + 1);
    }
    return v;
}

const rl_ip_t *rl_request_client_addr(rl_request_t *r)
{
    if (r->client_addr_set) return &r->client_addr;
    rl_ip_t peer = peer_addr(r);
    const rl_cidr_list_t *trusted = &r->snap->cfg->trust_proxy;
    r->client_addr = peer;
    if (trusted->n > 0) {
        h2o_iovec_t xff = forwarded_for(r);
        r->client_addr = rl_ip_effective(&peer, xff.base, xff.len, trusted);
    }
    r->client_addr_set = true;
    return &r->client_addr;
}

size_t rl_request_client_ip_effective(rl_request_t *r, char *buf, size_t cap)
{
    return rl_ip_format(rl_request_client_addr(r), buf, cap);
}
