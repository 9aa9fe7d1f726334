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

#include "core/hex.h"
#include "core/sha256.h"
#include "http/envelope.h"
#include "http/method.h"
#include "ingress/audit.h"
#include "ingress/audit_writer.h"
#include "policy/policy.h"

#define UA_MAX 256

/* A record's strings are gathered as pieces (borrowed from the request,
 * the config and local buffers), then copied into one block that the row
 * owns (row->block): one malloc per record, freed by the control thread
 * in one free. */
typedef struct piece {
    const char *s; /* NULL: the field is NULL */
    size_t n;
} piece_t;

static piece_t piece(const char *s, size_t n)
{
    return (piece_t){s, s ? strnlen(s, n) : 0};
}

static piece_t piece_s(const char *s)
{
    return piece(s, s ? strlen(s) : 0);
}

/* The literal segment before the last {param} of `tmpl`; s = NULL if none. */
static piece_t resource_type(const char *tmpl)
{
    const char *last = tmpl ? strrchr(tmpl, '{') : NULL;
    if (last == NULL || last == tmpl || last[-1] != '/') return piece(NULL, 0);
    const char *end = last - 1, *b = end;
    while (b > tmpl && b[-1] != '/')
        b--;
    if (b == end || *b == '{') return piece(NULL, 0);
    return piece(b, (size_t)(end - b));
}

static void body_hash(rl_request_t *r, char hex[2 * RL_SHA256_LEN + 1])
{
    uint8_t md[RL_SHA256_LEN];
    rl_sha256(r->req->entity.base, r->req->entity.len, md);
    hex[rl_hex_encode(md, sizeof(md), hex)] = '\0';
}

/* Copies the n pieces into one block owned by row (*dst[i] points at the
 * copy of src[i]; NULL pieces stay NULL), then row->action, "METHOD route". */
static void pack(rl_store_audit_row_t *row, char **const *dst, const piece_t *src, size_t n, piece_t method,
                 const char *route)
{
    size_t route_len = strlen(route), total = method.n + 1 + route_len + 1;
    for (size_t i = 0; i < n; i++)
        total += src[i].s ? src[i].n + 1 : 0;
    char *o = malloc(total);
    if (o == NULL) abort(); /* a record may not be dropped */
    row->block = o;
    for (size_t i = 0; i < n; i++) {
        if (src[i].s == NULL) continue;
        *dst[i] = o;
        memcpy(o, src[i].s, src[i].n);
        o[src[i].n] = '\0';
        o += src[i].n + 1;
    }
    row->action = o;
    memcpy(o, method.s, method.n);
    o[method.n] = ' ';
    memcpy(o + method.n + 1, route, route_len + 1);
}

/* Builds r's record and queues it into the slot r holds. */
static void record(rl_request_t *r, rl_audit_writer_t *w, const char *route)
{
    h2o_req_t *req = r->req;
    rl_store_audit_row_t row = {0};
    char ip[64], prefix[RL_AUDIT_PREFIX_MAX], digest[RL_STORE_HEX_LEN + 1], body[2 * RL_SHA256_LEN + 1];
    const char *key = r->snap->cfg->secret_key;
    rl_request_client_ip_effective(r, ip, sizeof(ip)); /* behind trust_proxy: X-Forwarded-For */
    rl_audit_ip_prefix(ip, prefix, sizeof(prefix));
    rl_audit_ip_digest(key, key ? strlen(key) : 0, ip, digest);
    if (req->entity.base != NULL) body_hash(r, body);
    const h2o_header_t *ua = rl_request_header(req, H2O_STRLIT("user-agent"));
    /* resource: the value of the template's last parameter, the type the
     * literal segment before it; the route name otherwise */
    piece_t rtype = piece_s(route), rid = piece(NULL, 0);
    const rl_route_match_t *m = &r->match;
    if (r->route != NULL && m->n_params > 0) {
        rid = piece(m->params[m->n_params - 1].value, m->params[m->n_params - 1].value_len);
        piece_t t = resource_type(r->route->path);
        if (t.s) rtype = t;
    }
    piece_t method = piece(req->method.base, req->method.len > 16 ? 16 : req->method.len);
    char **dst[] = {&row.request_id,    &row.consumer,    &row.route,      &row.method,
                    &row.resource_type, &row.resource_id, &row.path,       &row.client_ip,
                    &row.ip_prefix,     &row.ip_digest,   &row.user_agent, &row.body_sha256};
    piece_t src[] = {piece(r->id, r->id_len),
                     piece_s(r->consumer),
                     piece_s(route),
                     method,
                     rtype,
                     rid,
                     piece(r->path.base, r->path.len > 2048 ? 2048 : r->path.len),
                     piece_s(ip),
                     piece_s(prefix),
                     piece_s(digest),
                     ua ? piece(ua->value.base, ua->value.len > UA_MAX ? UA_MAX : ua->value.len)
                        : piece(NULL, 0),
                     req->entity.base ? piece_s(body) : piece(NULL, 0)};
    _Static_assert(sizeof(dst) / sizeof(dst[0]) == sizeof(src) / sizeof(src[0]), "one piece per field");
    pack(&row, dst, src, sizeof(src) / sizeof(src[0]), method, route);
    row.ts_ms = (int64_t)rl_request_now_ms(r);
    row.status = req->res.status;
    row.duration_us = (int64_t)((uv_hrtime() - r->start_ns) / 1000);
    rl_audit_writer_push(w, &row);
}

/* ---- slots ---- */

/* One per worker: its parked requests and the wake-up the writer sends.
 * Lives with the process (the worker's loop is never closed). */
struct rl_audit_park {
    rl_audit_waitq_t q;
    uv_async_t async;
    uv_timer_t expiry; /* due when the oldest parked request has waited limits.request_timeout */
    rl_audit_watch_t watch;
    rl_audit_writer_t *writer;
};

typedef struct ticket {
    rl_audit_waiter_t wt;
    rl_request_t *r;
    const char *route;
    rl_audit_resume_cb resume;
    bool holds;         /* r holds a slot: its record fills it at disposal */
    uint64_t parked_ms; /* the loop's time when it parked */
} ticket_t;

static uint64_t due_of(const ticket_t *t)
{
    return t->parked_ms + t->r->snap->cfg->request_timeout_ms;
}

static void on_expiry(uv_timer_t *tm);

/* Sets the expiry timer for the oldest parked request (the FIFO is in
 * parking order, so it is due first); stops it when none is parked. */
static void arm_expiry(struct rl_audit_park *p)
{
    if (p->q.head == NULL) {
        uv_timer_stop(&p->expiry);
        return;
    }
    const ticket_t *t = H2O_STRUCT_FROM_MEMBER(ticket_t, wt, p->q.head);
    uint64_t now = uv_now(p->expiry.loop), due = due_of(t);
    uv_timer_start(&p->expiry, on_expiry, due > now ? due - now : 0, 0);
}

/* A request may wait for a slot no longer than limits.request_timeout, the
 * bound of a whole request: past it, it is answered 503 audit_unavailable
 * with Retry-After (the writer retries a failed batch every second). It did
 * nothing, so it leaves no record; its ticket's disposal finds it gone. */
static void on_expiry(uv_timer_t *tm)
{
    struct rl_audit_park *p = tm->data;
    uint64_t now = uv_now(tm->loop);
    while (p->q.head != NULL) {
        ticket_t *t = H2O_STRUCT_FROM_MEMBER(ticket_t, wt, p->q.head);
        if (due_of(t) > now) break;
        rl_audit_slots_cancel(rl_audit_writer_slots(p->writer), &p->q, &t->wt);
        rl_request_add_header(t->r, H2O_STRLIT("retry-after"), "1", 1);
        rl_respond_error(t->r, RL_EAUDIT_UNAVAILABLE, NULL,
                         "the audit trail cannot be written now: request not run (waited %llu ms for a slot)",
                         (unsigned long long)(now - t->parked_ms));
    }
    arm_expiry(p);
}

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
    uv_timer_init(&w->loop, &p->expiry);
    p->expiry.data = p;
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
    if (!t->holds) {
        uv_update_time(&r->w->loop); /* h2o may have polled long since the uv loop last ran */
        t->parked_ms = uv_now(&r->w->loop);
        if (!uv_is_active((uv_handle_t *)&p->expiry)) arm_expiry(p);
    }
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
