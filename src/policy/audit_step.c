/* audit_step.c — the audit record of a request: the first pipeline step
 * reserves its slot in the audit queue, and the LOG phase (the request's
 * disposal) builds the record and hands it to the control thread's writer
 * (ingress/audit_writer.h) in that slot.
 *
 * A route is audited when its `audit` is true, or, by default, for every
 * method other than GET and HEAD. The record never holds a body, a query
 * string, a header other than User-Agent, a token or a key: the path is the
 * normalized path without its query, the body is reduced to its SHA-256,
 * the consumer is the key id (or JWT sub).
 *
 * Resource type and id come from the route's path template: the id is the
 * value of its last parameter, the type the literal segment just before
 * that parameter (/v1/items/{id} → type "items"); a template without
 * parameters gives type = the route name and no id.
 *
 * The slot is held through a ticket in the request's pool, with a dispose
 * hook. h2o disposes a pool's shared objects newest first, so the ticket
 * goes before the request state it points to: its hook can still read r.
 * A request that finds no free slot parks its ticket in its worker's FIFO
 * (one per worker, created on first use, registered with the writer so
 * that the control thread wakes this loop when slots come back). */
#include "policy/audit_step.h"

#include <stdlib.h>
#include <string.h>

#include "core/sha256.h"
#include "http/method.h"
#include "ingress/audit.h"
#include "ingress/audit_writer.h"
#include "policy/policy.h"

#define UA_MAX 256

static char *dup_n(const char *s, size_t n)
{
    char *p = strndup(s ? s : "", s ? n : 0);
    if (p == NULL) abort();
    return p;
}

static char *dup_s(const char *s)
{
    return s ? dup_n(s, strlen(s)) : NULL;
}

/* The literal segment before the last {param} of `tmpl`, or NULL. */
static char *resource_type(const char *tmpl)
{
    const char *last = tmpl ? strrchr(tmpl, '{') : NULL;
    if (last == NULL || last == tmpl || last[-1] != '/') return NULL;
    const char *end = last - 1, *b = end;
    while (b > tmpl && b[-1] != '/')
        b--;
    if (b == end || *b == '{') return NULL;
    return dup_n(b, (size_t)(end - b));
}

static void resource(rl_request_t *r, rl_store_audit_row_t *row)
{
    const rl_route_match_t *m = &r->match;
    if (r->route == NULL || m->n_params == 0) {
        row->resource_type = dup_s(row->route);
        return;
    }
    const rl_route_param_t *p = &m->params[m->n_params - 1];
    row->resource_id = dup_n(p->value, p->value_len);
    row->resource_type = resource_type(r->route->path);
    if (row->resource_type == NULL) row->resource_type = dup_s(row->route);
}

static void client(rl_request_t *r, rl_store_audit_row_t *row)
{
    char ip[64], prefix[RL_AUDIT_PREFIX_MAX], digest[RL_STORE_HEX_LEN + 1];
    const char *key = r->snap->cfg->secret_key;
    rl_request_client_ip_effective(r, ip, sizeof(ip)); /* behind trust_proxy: X-Forwarded-For */
    rl_audit_ip_prefix(ip, prefix, sizeof(prefix));
    rl_audit_ip_digest(key, key ? strlen(key) : 0, ip, digest);
    row->client_ip = dup_s(ip);
    row->ip_prefix = dup_s(prefix);
    row->ip_digest = dup_s(digest);
    const h2o_header_t *ua = rl_request_header(r->req, H2O_STRLIT("user-agent"));
    if (ua) row->user_agent = dup_n(ua->value.base, ua->value.len > UA_MAX ? UA_MAX : ua->value.len);
}

static void body_hash(rl_request_t *r, rl_store_audit_row_t *row)
{
    static const char hx[] = "0123456789abcdef";
    uint8_t md[RL_SHA256_LEN];
    h2o_iovec_t body = r->req->entity;
    if (body.base == NULL) return;
    rl_sha256(body.base, body.len, md);
    row->body_sha256 = malloc(2 * sizeof(md) + 1);
    if (row->body_sha256 == NULL) abort();
    for (size_t i = 0; i < sizeof(md); i++) {
        row->body_sha256[2 * i] = hx[md[i] >> 4];
        row->body_sha256[2 * i + 1] = hx[md[i] & 15];
    }
    row->body_sha256[2 * sizeof(md)] = '\0';
}

/* Builds r's record and queues it into the slot r holds. */
static void record(rl_request_t *r, rl_audit_writer_t *w, const char *route)
{
    h2o_req_t *req = r->req;
    rl_store_audit_row_t row = {0};
    row.ts_ms = (int64_t)req->processed_at.at.tv_sec * 1000 + req->processed_at.at.tv_usec / 1000;
    row.request_id = dup_n(r->id, r->id_len);
    row.consumer = dup_s(r->consumer);
    row.route = dup_s(route);
    row.method = dup_n(req->method.base, req->method.len > 16 ? 16 : req->method.len);
    size_t alen = strlen(row.method) + 1 + strlen(route) + 1;
    row.action = malloc(alen);
    if (row.action == NULL) abort();
    snprintf(row.action, alen, "%s %s", row.method, route);
    resource(r, &row);
    row.path = dup_n(r->path.base, r->path.len > 2048 ? 2048 : r->path.len);
    row.status = req->res.status;
    client(r, &row);
    body_hash(r, &row);
    row.duration_us = (int64_t)((uv_hrtime() - r->start_ns) / 1000);
    rl_audit_writer_push(w, &row);
}

/* ---- slots ---- */

/* One per worker: its parked requests and the wake-up the writer sends.
 * Lives with the process (the worker's loop is never closed). */
struct rl_audit_park {
    rl_audit_waitq_t q;
    uv_async_t async;
    rl_audit_watch_t watch;
    rl_audit_writer_t *writer;
};

typedef struct ticket {
    rl_audit_waiter_t wt;
    rl_request_t *r;
    const char *route;
    rl_audit_resume_cb resume;
    bool holds; /* r holds a slot: its record fills it at disposal */
} ticket_t;

static void on_park_wake(uv_async_t *a)
{
    struct rl_audit_park *p = a->data;
    rl_audit_slots_grant(rl_audit_writer_slots(p->writer), &p->q);
}

static struct rl_audit_park *park_of(rl_worker_t *w, rl_audit_writer_t *writer)
{
    struct rl_audit_park *p = w->audit_park;
    if (p != NULL) return p;
    if ((p = calloc(1, sizeof(*p))) == NULL) abort();
    rl_audit_waitq_init(&p->q);
    p->writer = writer;
    uv_async_init(&w->loop, &p->async, on_park_wake);
    uv_unref((uv_handle_t *)&p->async);
    p->async.data = p;
    p->watch.async = &p->async;
    rl_audit_writer_watch(writer, &p->watch);
    return w->audit_park = p;
}

static void on_granted(rl_audit_waiter_t *wt)
{
    ticket_t *t = H2O_STRUCT_FROM_MEMBER(ticket_t, wt, wt);
    t->holds = true;
    t->resume(t->r);
}

static void on_ticket_dispose(void *p)
{
    ticket_t *t = p;
    rl_worker_t *w = t->r->w;
    rl_audit_writer_t *writer = w->audit_park->writer;
    if (t->holds)
        record(t->r, writer, t->route);
    else
        rl_audit_slots_cancel(rl_audit_writer_slots(writer), &w->audit_park->q, &t->wt);
}

bool rl_audit_step_reserve(rl_request_t *r, const char *route, rl_audit_resume_cb resume)
{
    rl_audit_writer_t *writer = r->w->server->audit;
    if (writer == NULL) return true;
    struct rl_audit_park *p = park_of(r->w, writer);
    ticket_t *t = h2o_mem_alloc_shared(&r->req->pool, sizeof(*t), on_ticket_dispose);
    *t = (ticket_t){.r = r, .route = route, .resume = resume};
    t->holds = rl_audit_slots_reserve(rl_audit_writer_slots(writer), &p->q, &t->wt, on_granted);
    return t->holds;
}

rl_step_t rl_policy_audit(rl_request_t *r)
{
    const rl_route_cfg_t *route = r->route;
    if (route->audit == RL_AUDIT_OFF) return RL_STEP_NEXT;
    if (route->audit == RL_AUDIT_DEFAULT) {
        unsigned m = rl_method_bit(r->req->method.base, r->req->method.len);
        if (m == RL_M_GET || m == RL_M_HEAD) return RL_STEP_NEXT;
    }
    return rl_audit_step_reserve(r, route->name, rl_pipeline_resume) ? RL_STEP_NEXT : RL_STEP_ASYNC;
}
