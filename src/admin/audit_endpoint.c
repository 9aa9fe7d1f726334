/* audit_endpoint.c — GET /admin/v1/audit: the audit trail, oldest first,
 * filtered by consumer, route, status and time range (from inclusive, to
 * exclusive), cursor-paginated. Every read is itself recorded in the trail
 * (route "admin.audit", consumer "admin"). */
#include <stdlib.h>
#include <string.h>

#include "admin/keys_endpoint.h"
#include "admin/store_job.h"
#include "http/envelope.h"
#include "policy/audit_step.h"

#define PATH "/admin/v1/audit"
#define FILTER_MAX 256

typedef struct audit_arg {
    char consumer[FILTER_MAX], route[FILTER_MAX];
    int has_consumer, has_route;
    rl_store_audit_filter_t f;
    size_t limit;
    int64_t after;
} audit_arg_t;

int rl_admin_audit_owns(const h2o_iovec_t *p)
{
    return h2o_memis(p->base, p->len, H2O_STRLIT(PATH));
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *row_json(const rl_store_audit_row_t *a)
{
    char t[40];
    time_t sec = (time_t)(a->ts_ms / 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    size_t n = strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(t + n, sizeof(t) - n, ".%03dZ", (int)(a->ts_ms % 1000));
    json_t *o = json_object(), *res = json_object();
    json_object_set_new(o, "seq", json_integer(a->seq));
    json_object_set_new(o, "time", json_string(t));
    json_object_set_new(o, "request_id", str_or_null(a->request_id));
    json_object_set_new(o, "consumer", str_or_null(a->consumer));
    json_object_set_new(o, "route", str_or_null(a->route));
    json_object_set_new(o, "action", str_or_null(a->action));
    json_object_set_new(res, "type", str_or_null(a->resource_type));
    json_object_set_new(res, "id", str_or_null(a->resource_id));
    json_object_set_new(o, "resource", res);
    json_object_set_new(o, "method", str_or_null(a->method));
    json_object_set_new(o, "path", str_or_null(a->path));
    json_object_set_new(o, "status", json_integer(a->status));
    json_object_set_new(o, "client_ip", str_or_null(a->client_ip));
    json_object_set_new(o, "user_agent", str_or_null(a->user_agent));
    json_object_set_new(o, "body_sha256", str_or_null(a->body_sha256));
    json_object_set_new(o, "duration_ms", json_real((double)a->duration_us / 1000.0));
    json_object_set_new(o, "prev_hash", json_string(a->prev_hash));
    json_object_set_new(o, "hash", json_string(a->hash));
    return o;
}

static void do_query(rl_store_job_t *job)
{
    audit_arg_t *a = job->arg;
    rl_store_audit_row_t *rows;
    size_t n;
    rl_err_t err;
    a->f.consumer = a->has_consumer ? a->consumer : NULL;
    a->f.route = a->has_route ? a->route : NULL;
    if (rl_store_audit_query(job->store, &a->f, a->after, a->limit + 1, &rows, &n, &err) != 0) {
        rl_store_job_fail(job, err.code, "%s", err.msg);
        return;
    }
    json_t *list = json_array();
    size_t shown = n > a->limit ? a->limit : n;
    for (size_t i = 0; i < shown; i++)
        json_array_append_new(list, row_json(&rows[i]));
    rl_store_job_answer_page(job, list, 'a', n > a->limit, shown ? rows[shown - 1].seq : a->after);
    rl_store_audit_rows_free(rows, n);
}

static int time_or_respond(rl_request_t *r, const char *name, int64_t *out)
{
    char buf[64];
    int rc = rl_admin_query(r, name, buf, sizeof(buf));
    if (rc == 0) return 0;
    if (rc < 0 || rl_admin_parse_time(buf, out) != 0) {
        rl_respond_error(r, RL_EBAD_REQUEST, NULL, "%s must be an RFC 3339 UTC time or Unix seconds", name);
        return -1;
    }
    return 0;
}

static int filters_or_respond(rl_request_t *r, audit_arg_t *a)
{
    char buf[16];
    int rc;
    if ((a->has_consumer = rl_admin_query(r, "consumer", a->consumer, sizeof(a->consumer))) < 0 ||
        (a->has_route = rl_admin_query(r, "route", a->route, sizeof(a->route))) < 0) {
        rl_respond_error(r, RL_EBAD_REQUEST, NULL, "consumer and route must be at most %d bytes",
                         FILTER_MAX - 1);
        return -1;
    }
    if ((rc = rl_admin_query(r, "status", buf, sizeof(buf))) != 0) {
        char *end = NULL;
        long v = rc > 0 ? strtol(buf, &end, 10) : 0;
        if (rc < 0 || end == buf || *end || v < 100 || v > 599) {
            rl_respond_error(r, RL_EBAD_REQUEST, NULL, "status must be an HTTP status from 100 to 599");
            return -1;
        }
        a->f.status = (int)v;
    }
    if (time_or_respond(r, "from", &a->f.from_ms) != 0 || time_or_respond(r, "to", &a->f.to_ms) != 0)
        return -1;
    return rl_admin_page_or_respond(r, 'a', &a->limit, &a->after);
}

/* Runs once r holds its audit slot (the read is recorded too). */
static void read_trail(rl_request_t *r)
{
    audit_arg_t *a = calloc(1, sizeof(*a));
    if (a == NULL) abort();
    if (filters_or_respond(r, a) != 0) {
        free(a);
        return;
    }
    rl_store_job_start(r, do_query, a);
}

void rl_admin_audit_handle(rl_request_t *r)
{
    if (!h2o_memis(r->req->method.base, r->req->method.len, H2O_STRLIT("GET")) &&
        !h2o_memis(r->req->method.base, r->req->method.len, H2O_STRLIT("HEAD"))) {
        rl_request_add_header(r, H2O_STRLIT("allow"), H2O_STRLIT("GET, HEAD"));
        rl_respond_error(r, RL_EMETHOD_NOT_ALLOWED, NULL, "use GET");
        return;
    }
    r->consumer = "admin";
    if (rl_audit_step_reserve(r, "admin.audit", read_trail)) read_trail(r);
}
