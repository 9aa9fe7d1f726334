/* keys_endpoint.c — /admin/v1/keys on the same store as `relais keys`:
 *   POST   /admin/v1/keys               create; 201 with the whole key, once
 *   GET    /admin/v1/keys               list (cursor-paginated), no secrets
 *   GET    /admin/v1/keys/{id}          one key
 *   POST   /admin/v1/keys/{id}/rotate   new secret; the old one works for `grace`
 *   DELETE /admin/v1/keys/{id}          revoke
 * Store calls run on the thread pool (store_job.h). */
#include "admin/keys_endpoint.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/store_job.h"
#include "core/units.h"
#include "http/envelope.h"
#include "ingress/keys_store.h"

#define PREFIX "/admin/v1/keys"

typedef struct create_arg {
    int64_t expires_at_ms;
    int64_t expires_in_ms; /* or relative to now, on the thread pool */
    char name[256];
    char scopes[RL_KEY_MAX_FIELD];
    char allow_ips[RL_KEY_MAX_FIELD];
} create_arg_t;

typedef struct id_arg {
    char id[RL_KEY_ID_LEN + 1];
    int64_t grace_ms;
    size_t limit;
    int64_t after;
} id_arg_t;

int rl_admin_keys_owns(const h2o_iovec_t *p)
{
    size_t n = sizeof(PREFIX) - 1;
    return p->len >= n && memcmp(p->base, PREFIX, n) == 0 && (p->len == n || p->base[n] == '/');
}

int rl_admin_parse_time(const char *s, int64_t *ms)
{
    struct tm tm = {0};
    char *end;
    if (s[0] >= '0' && s[0] <= '9' && strspn(s, "0123456789") == strlen(s) && strlen(s) <= 12) {
        *ms = strtoll(s, NULL, 10) * 1000;
        return 0;
    }
    end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (end == NULL) return -1;
    long frac = 0;
    if (*end == '.') {
        int digits = 0;
        for (end++; *end >= '0' && *end <= '9'; end++, digits++)
            if (digits < 3) frac = frac * 10 + (*end - '0');
        if (digits == 0) return -1;
        for (; digits < 3; digits++)
            frac *= 10;
    }
    if (strcmp(end, "Z") != 0 && strcmp(end, "+00:00") != 0) return -1;
    *ms = (int64_t)timegm(&tm) * 1000 + frac;
    return 0;
}

/* ---- thread-pool halves ---- */

static json_t *with_key(json_t *o, const char *key)
{
    json_object_set_new(o, "key", json_string(key));
    return o;
}

static void do_create(rl_store_job_t *job)
{
    create_arg_t *a = job->arg;
    char key[RL_KEY_LEN + 1];
    rl_store_key_row_t row;
    rl_err_t err;
    rl_key_spec_t spec = {.name = a->name, .scopes = a->scopes, .allow_ips = a->allow_ips};
    spec.expires_at_ms = a->expires_in_ms ? job->now_ms + a->expires_in_ms : a->expires_at_ms;
    if (rl_keys_create(job->store, &spec, job->now_ms, key, &row, &err) != 0) {
        rl_store_job_fail(job, err.code, "%s", err.msg);
        return;
    }
    rl_store_job_answer(job, 201, with_key(rl_keys_to_json(&row, job->now_ms), key));
    rl_store_key_row_clear(&row);
}

static void do_get(rl_store_job_t *job)
{
    id_arg_t *a = job->arg;
    rl_store_key_row_t row;
    rl_err_t err;
    if (rl_store_key_get(job->store, a->id, &row, &err) != 0) {
        rl_store_job_fail(job, err.code, "%s", err.msg);
        return;
    }
    rl_store_job_answer(job, 200, rl_keys_to_json(&row, job->now_ms));
    rl_store_key_row_clear(&row);
}

static void do_list(rl_store_job_t *job)
{
    id_arg_t *a = job->arg;
    rl_store_key_row_t *rows;
    size_t n;
    rl_err_t err;
    if (rl_store_key_list(job->store, a->after, a->limit + 1, &rows, &n, &err) != 0) {
        rl_store_job_fail(job, err.code, "%s", err.msg);
        return;
    }
    json_t *list = json_array();
    size_t shown = n > a->limit ? a->limit : n;
    for (size_t i = 0; i < shown; i++)
        json_array_append_new(list, rl_keys_to_json(&rows[i], job->now_ms));
    rl_store_job_answer_page(job, list, 'k', n > a->limit, shown ? rows[shown - 1].seq : a->after);
    rl_store_key_rows_free(rows, n);
}

static void do_rotate(rl_store_job_t *job)
{
    id_arg_t *a = job->arg;
    char key[RL_KEY_LEN + 1];
    rl_store_key_row_t row;
    rl_err_t err;
    if (rl_keys_rotate(job->store, a->id, a->grace_ms, job->now_ms, key, &row, &err) != 0) {
        rl_store_job_fail(job, err.code, "%s", err.msg);
        return;
    }
    rl_store_job_answer(job, 200, with_key(rl_keys_to_json(&row, job->now_ms), key));
    rl_store_key_row_clear(&row);
}

static void do_revoke(rl_store_job_t *job)
{
    id_arg_t *a = job->arg;
    rl_store_key_row_t row;
    rl_err_t err;
    if (rl_store_key_revoke(job->store, a->id, job->now_ms, &err) != 0 ||
        rl_store_key_get(job->store, a->id, &row, &err) != 0) {
        rl_store_job_fail(job, err.code, "%s", err.msg);
        return;
    }
    rl_store_job_answer(job, 200, rl_keys_to_json(&row, job->now_ms));
    rl_store_key_row_clear(&row);
}

/* ---- request parsing on the loop ---- */

/* A JSON array of strings (or one comma string) into "a,b". */
static int join_list(json_t *v, const char *what, char *out, size_t cap, rl_request_t *r)
{
    size_t o = 0;
    out[0] = '\0';
    if (v == NULL || json_is_null(v)) return 0;
    if (json_is_string(v)) {
        snprintf(out, cap, "%s", json_string_value(v));
        return 0;
    }
    if (!json_is_array(v)) goto bad;
    for (size_t i = 0; i < json_array_size(v); i++) {
        const char *s = json_string_value(json_array_get(v, i));
        if (s == NULL || strchr(s, ',') || o + strlen(s) + 2 > cap) goto bad;
        o += (size_t)snprintf(out + o, cap - o, "%s%s", o ? "," : "", s);
    }
    return 0;
bad:
    rl_respond_error(r, RL_EBAD_REQUEST, NULL, "%s must be a list of strings (without commas)", what);
    return -1;
}

static int expires_or_respond(rl_request_t *r, json_t *body, create_arg_t *a)
{
    json_t *at = json_object_get(body, "expires_at"), *in = json_object_get(body, "expires_in");
    uint64_t ms;
    if (at && !json_is_null(at)) {
        char num[32];
        const char *s = json_string_value(at);
        if (json_is_integer(at))
            snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(at)), s = num;
        if (s == NULL || rl_admin_parse_time(s, &a->expires_at_ms) != 0) {
            rl_respond_error(
                r, RL_EBAD_REQUEST, NULL,
                "expires_at must be an RFC 3339 UTC time (2027-01-31T00:00:00Z) or Unix seconds");
            return -1;
        }
    } else if (in && !json_is_null(in)) {
        const char *s = json_string_value(in);
        if (s == NULL || rl_parse_duration_ms(s, &ms) != 0 || ms == 0 || ms > (uint64_t)INT64_MAX / 4) {
            rl_respond_error(r, RL_EBAD_REQUEST, NULL, "expires_in must be a duration such as 30d");
            return -1;
        }
        a->expires_in_ms = (int64_t)ms;
    }
    return 0;
}

static void start_create(rl_request_t *r)
{
    json_error_t je;
    h2o_iovec_t e = r->req->entity;
    json_t *body = e.base ? json_loadb(e.base, e.len, JSON_REJECT_DUPLICATES, &je) : NULL;
    create_arg_t *a = calloc(1, sizeof(*a));
    if (a == NULL) abort();
    if (!json_is_object(body)) {
        rl_respond_error(r, RL_EBAD_REQUEST, NULL, "expected a JSON object: {\"name\": …, \"scopes\": […]}");
        goto fail;
    }
    const char *name = json_string_value(json_object_get(body, "name"));
    if (name == NULL || name[0] == '\0' || strlen(name) >= sizeof(a->name)) {
        rl_respond_error(r, RL_EBAD_REQUEST, NULL, "name is required (a string of 1 to 200 bytes)");
        goto fail;
    }
    snprintf(a->name, sizeof(a->name), "%s", name);
    if (join_list(json_object_get(body, "scopes"), "scopes", a->scopes, sizeof(a->scopes), r) != 0 ||
        join_list(json_object_get(body, "allow_ips"), "allow_ips", a->allow_ips, sizeof(a->allow_ips), r) !=
            0 ||
        expires_or_respond(r, body, a) != 0)
        goto fail;
    json_decref(body);
    rl_store_job_start(r, do_create, a);
    return;
fail:
    json_decref(body);
    free(a);
}

static int method_is(rl_request_t *r, const char *m)
{
    return h2o_memis(r->req->method.base, r->req->method.len, m, strlen(m));
}

static void not_allowed(rl_request_t *r, const char *allow)
{
    rl_request_add_header(r, H2O_STRLIT("allow"), allow, strlen(allow));
    rl_respond_error(r, RL_EMETHOD_NOT_ALLOWED, NULL, "allowed: %s", allow);
}

static id_arg_t *id_arg(const char *id, size_t len)
{
    id_arg_t *a = calloc(1, sizeof(*a));
    if (a == NULL) abort();
    memcpy(a->id, id, len);
    a->grace_ms = RL_KEY_DEFAULT_GRACE_MS;
    return a;
}

/* Optional {"grace": "7d"} body or ?grace=7d. */
static int grace_or_respond(rl_request_t *r, id_arg_t *a)
{
    char q[64];
    const char *s = NULL;
    json_t *body = NULL;
    uint64_t ms;
    int rc = 0;
    if (rl_admin_query(r, "grace", q, sizeof(q)) > 0) s = q;
    if (s == NULL && r->req->entity.len > 0) {
        body = json_loadb(r->req->entity.base, r->req->entity.len, 0, NULL);
        s = json_string_value(json_object_get(body, "grace"));
    }
    if (s != NULL) {
        if (rl_parse_duration_ms(s, &ms) != 0 && strcmp(s, "0") != 0) {
            rl_respond_error(r, RL_EBAD_REQUEST, NULL, "grace must be a duration such as 7d (or 0)");
            rc = -1;
        } else {
            a->grace_ms = strcmp(s, "0") == 0 ? 0 : (int64_t)ms;
        }
    }
    json_decref(body);
    return rc;
}

static void handle_one(rl_request_t *r, const char *rest, size_t len)
{
    const char *slash = memchr(rest, '/', len);
    size_t id_len = slash ? (size_t)(slash - rest) : len;
    int rotate = slash && (size_t)(rest + len - slash) == 7 && memcmp(slash, "/rotate", 7) == 0;
    char id[RL_KEY_ID_LEN + 1] = "";
    if (id_len == RL_KEY_ID_LEN) memcpy(id, rest, id_len);
    if ((slash && !rotate) || !rl_keys_id_valid(id)) {
        rl_respond_error(r, RL_ENOT_FOUND, NULL, "no API key %.*s", (int)(id_len > 40 ? 40 : id_len), rest);
        return;
    }
    if (rotate) {
        if (!method_is(r, "POST")) return not_allowed(r, "POST");
        id_arg_t *a = id_arg(id, id_len);
        if (grace_or_respond(r, a) != 0) return free(a);
        return rl_store_job_start(r, do_rotate, a);
    }
    if (method_is(r, "GET") || method_is(r, "HEAD")) return rl_store_job_start(r, do_get, id_arg(id, id_len));
    if (method_is(r, "DELETE")) return rl_store_job_start(r, do_revoke, id_arg(id, id_len));
    not_allowed(r, "GET, DELETE");
}

void rl_admin_keys_handle(rl_request_t *r)
{
    const h2o_iovec_t *p = &r->path;
    size_t n = sizeof(PREFIX) - 1;
    if (p->len > n + 1) return handle_one(r, p->base + n + 1, p->len - n - 1);
    if (method_is(r, "POST")) return start_create(r);
    if (!method_is(r, "GET") && !method_is(r, "HEAD")) return not_allowed(r, "GET, POST");
    id_arg_t *a = id_arg("", 0);
    if (rl_admin_page_or_respond(r, 'k', &a->limit, &a->after) != 0) return free(a);
    rl_store_job_start(r, do_list, a);
}
