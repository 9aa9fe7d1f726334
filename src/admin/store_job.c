/* store_job.c — store calls for admin requests off the worker loop, and
 * the query and pagination helpers, see store_job.h. */
#include "admin/store_job.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/cursor.h"
#include "http/envelope.h"

#define DEFAULT_LIMIT 50

static void on_ticket_dispose(void *p)
{
    rl_store_job_t *job = *(rl_store_job_t **)p;
    if (job != NULL) job->r = NULL;
}

static void job_work(uv_work_t *w)
{
    rl_store_job_t *job = w->data;
    job->fn(job);
}

void rl_admin_send(rl_request_t *r, int status, json_t *data, json_t *meta)
{
    json_t *env = json_object();
    json_object_set_new(env, "success", json_true());
    json_object_set(env, "data", data ? data : json_null());
    if (meta) json_object_set(env, "meta", meta);
    char *text = json_dumps(env, JSON_COMPACT | JSON_REAL_PRECISION(9));
    json_decref(env);
    if (text == NULL) {
        rl_respond_error(r, RL_EINTERNAL, NULL, "cannot encode the answer");
        return;
    }
    size_t len = strlen(text);
    char *body = h2o_mem_alloc_pool(&r->req->pool, len);
    memcpy(body, text, len);
    free(text);
    r->req->res.status = status;
    r->req->res.reason = status == 201 ? "Created" : "OK";
    rl_envelope_set_headers(r, len);
    h2o_send_inline(r->req, body, len);
}

static void job_done(uv_work_t *w, int status)
{
    rl_store_job_t *job = w->data;
    rl_request_t *r = job->r;
    if (r != NULL) {
        *job->ticket = NULL;
        if (status != 0)
            rl_respond_error(r, RL_EINTERNAL, NULL, "the store call was cancelled");
        else if (job->error != RL_EOK)
            rl_respond_error(r, job->error, NULL, "%s", job->message);
        else if (job->page_kind == 0)
            rl_admin_send(r, job->status, job->data, NULL);
        else {
            json_t *meta =
                rl_admin_page_meta(r->snap->cfg->secret_key, job->page_kind, job->has_more, job->last_pos);
            rl_admin_send(r, job->status, job->data, meta);
            json_decref(meta);
        }
    }
    json_decref(job->data);
    free(job->arg);
    free(job);
}

void rl_store_job_start(rl_request_t *r, rl_store_job_fn fn, void *arg)
{
    rl_store_job_t *job = calloc(1, sizeof(*job));
    if (job == NULL || r->w->server->store == NULL) {
        free(job);
        free(arg);
        rl_respond_error(r, RL_EINTERNAL, NULL, "the store is not available");
        return;
    }
    job->work.data = job;
    job->r = r;
    job->store = r->w->server->store;
    job->fn = fn;
    job->arg = arg;
    job->now_ms = (int64_t)rl_wall_ms();
    if (uv_queue_work(&r->w->loop, &job->work, job_work, job_done) != 0) {
        free(job);
        free(arg);
        rl_respond_error(r, RL_EINTERNAL, NULL, "cannot start the store call");
        return;
    }
    job->ticket = h2o_mem_alloc_shared(&r->req->pool, sizeof(*job->ticket), on_ticket_dispose);
    *job->ticket = job;
}

void rl_store_job_answer(rl_store_job_t *job, int status, json_t *data)
{
    job->status = status;
    job->data = data;
}

void rl_store_job_answer_page(rl_store_job_t *job, json_t *data, char kind, int has_more, int64_t last_pos)
{
    job->status = 200;
    job->data = data;
    job->page_kind = kind;
    job->has_more = has_more;
    job->last_pos = last_pos;
}

void rl_store_job_fail(rl_store_job_t *job, rl_errcode_t code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(job->message, sizeof(job->message), fmt, ap);
    va_end(ap);
    job->error = code;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int rl_admin_query(rl_request_t *r, const char *name, char *out, size_t cap)
{
    h2o_req_t *req = r->req;
    if (req->query_at == SIZE_MAX) return 0;
    const char *p = req->path.base + req->query_at + 1, *end = req->path.base + req->path.len;
    size_t nlen = strlen(name);
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *e = amp ? amp : end, *eq = memchr(p, '=', (size_t)(e - p));
        const char *v = eq ? eq + 1 : e;
        if ((size_t)((eq ? eq : e) - p) == nlen && memcmp(p, name, nlen) == 0) {
            size_t o = 0;
            for (const char *q = v; q < e; q++) {
                char c = *q;
                if (c == '+') c = ' ';
                if (c == '%') {
                    int hi, lo;
                    if (e - q < 3 || (hi = hexval(q[1])) < 0 || (lo = hexval(q[2])) < 0) return -1;
                    c = (char)(hi << 4 | lo);
                    q += 2;
                }
                if (c == '\0' || o + 1 >= cap) return -1;
                out[o++] = c;
            }
            out[o] = '\0';
            return 1;
        }
        p = e + 1;
    }
    return 0;
}

int rl_admin_page_or_respond(rl_request_t *r, char kind, size_t *limit, int64_t *after)
{
    char buf[128];
    const uint8_t *key;
    size_t key_len;
    *limit = DEFAULT_LIMIT;
    *after = 0;
    int rc = rl_admin_query(r, "limit", buf, sizeof(buf));
    if (rc != 0) {
        char *end = NULL;
        long v = rc > 0 ? strtol(buf, &end, 10) : 0;
        if (rc < 0 || end == buf || *end != '\0' || v < 1 || v > RL_STORE_LIST_MAX) {
            rl_respond_error(r, RL_EBAD_REQUEST, NULL, "limit must be an integer from 1 to %d",
                             RL_STORE_LIST_MAX);
            return -1;
        }
        *limit = (size_t)v;
    }
    rc = rl_admin_query(r, "cursor", buf, sizeof(buf));
    if (rc == 0 || (rc > 0 && buf[0] == '\0')) return 0;
    rl_cursor_key(r->snap->cfg->secret_key, &key, &key_len);
    if (rc < 0 || rl_cursor_decode(key, key_len, kind, buf, strlen(buf), after) != 0) {
        rl_respond_error(r, RL_EINVALID_CURSOR, NULL,
                         "the cursor is malformed, tampered with or from another list");
        return -1;
    }
    return 0;
}

json_t *rl_admin_page_meta(const char *secret_key, char kind, int has_more, int64_t last_pos)
{
    const uint8_t *key;
    size_t key_len;
    char cur[RL_CURSOR_LEN + 1];
    json_t *pg = json_object();
    if (has_more) {
        rl_cursor_key(secret_key, &key, &key_len);
        rl_cursor_encode(key, key_len, kind, last_pos, cur);
        json_object_set_new(pg, "next_cursor", json_string(cur));
    } else {
        json_object_set_new(pg, "next_cursor", json_null());
    }
    json_object_set_new(pg, "has_more", json_boolean(has_more));
    json_t *meta = json_object();
    json_object_set_new(meta, "pagination", pg);
    return meta;
}
