/* fields_step.c — the `?fields=` step: parses and checks the selection
 * before anything is fetched, so a bad one costs no upstream call (400
 * invalid_fields, naming the field). The selection itself is applied to the
 * response body in response.c (policy/jsonxf.h). Every `fields` parameter
 * counts (?fields=a&fields=b is a,b); values are percent-decoded. The
 * parameter is still sent upstream, unchanged. */
#include <string.h>

#include "core/jsonw.h"
#include "http/envelope.h"
#include "policy/policy.h"
#include "policy/resp_state.h"

#define FIELDS_MAX_LEN 4096

static int hexv(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Appends the percent-decoded `v` to out; returns the new length, or
 * FIELDS_MAX_LEN + 1 when it does not fit. */
static size_t decode_into(char *out, size_t o, const char *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (o >= FIELDS_MAX_LEN) return FIELDS_MAX_LEN + 1;
        char c = v[i];
        if (c == '%' && i + 2 < n && hexv(v[i + 1]) >= 0 && hexv(v[i + 2]) >= 0) {
            c = (char)(hexv(v[i + 1]) << 4 | hexv(v[i + 2]));
            i += 2;
        }
        out[o++] = c;
    }
    return o;
}

/* Collects every `fields` parameter of the query into out, joined by ','.
 * Returns -1 when there is none, the length otherwise. */
static long collect(const h2o_req_t *req, char *out)
{
    if (req->query_at == SIZE_MAX) return -1;
    const char *q = req->path.base + req->query_at + 1, *end = req->path.base + req->path.len;
    size_t o = 0;
    int found = 0;
    while (q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *pe = amp ? amp : end;
        if (pe - q >= 6 && memcmp(q, "fields", 6) == 0 && (pe - q == 6 || q[6] == '=')) {
            if (found++ && o <= FIELDS_MAX_LEN) out[o++] = ',';
            if (pe - q > 6) o = decode_into(out, o, q + 7, (size_t)(pe - q - 7));
            if (o > FIELDS_MAX_LEN) return FIELDS_MAX_LEN + 1;
        }
        q = pe + 1;
    }
    return found ? (long)o : -1;
}

static void refuse(rl_request_t *r, const rl_fields_err_t *err)
{
    const rl_route_cfg_t *rt = r->route;
    char field[6 * 128 + 1], details[6 * 128 + 32], allowed[512] = "";
    size_t flen = err->field_len > 128 ? 128 : err->field_len;
    /* escaped here for the details object; the message is escaped by the envelope */
    size_t n = rl_json_escape(field, sizeof(field) - 1, err->field, flen);
    field[n] = '\0';
    snprintf(details, sizeof(details), "{\"field\":\"%s\"}", field);
    switch (err->kind) {
    case RL_FIELDS_NOT_ALLOWED:
        for (size_t i = 0, o = 0; i < rt->n_fields && o < sizeof(allowed) - 70; i++)
            o += (size_t)snprintf(allowed + o, sizeof(allowed) - o, "%s%.64s", i ? ", " : "", rt->fields[i]);
        rl_respond_error(r, RL_EINVALID_FIELDS, details,
                         "field '%.*s' is not available on this route (allowed: %s)", (int)flen, err->field,
                         allowed);
        return;
    case RL_FIELDS_TOO_MANY:
        rl_respond_error(r, RL_EINVALID_FIELDS, details,
                         "?fields= asks for too much (at most %d fields, %d levels deep, %d bytes)",
                         RL_FIELDS_MAX_ITEMS, RL_FIELDS_MAX_DEPTH, FIELDS_MAX_LEN);
        return;
    default:
        rl_respond_error(r, RL_EINVALID_FIELDS, details,
                         "invalid field name '%.*s' in ?fields= (letters, digits and '_', nested with '.')",
                         (int)flen, err->field);
    }
}

rl_step_t rl_policy_fields(rl_request_t *r)
{
    h2o_req_t *req = r->req;
    char buf[FIELDS_MAX_LEN + 2];
    long n = collect(req, buf);
    if (n < 0) return RL_STEP_NEXT;
    rl_fields_err_t err = {0};
    if (n > FIELDS_MAX_LEN) {
        err = (rl_fields_err_t){RL_FIELDS_TOO_MANY, buf, 0};
        refuse(r, &err);
        return RL_STEP_DONE;
    }
    char *text = h2o_mem_alloc_pool(&req->pool, (size_t)n + 1);
    memcpy(text, buf, (size_t)n);
    size_t cap = rl_fields_nodes_needed(text, (size_t)n);
    if (cap > RL_FIELDS_MAX_ITEMS * RL_FIELDS_MAX_DEPTH) cap = RL_FIELDS_MAX_ITEMS * RL_FIELDS_MAX_DEPTH;
    rl_fieldnode_t *nodes = h2o_mem_alloc_pool(&req->pool, cap * sizeof(*nodes));
    rl_resp_state_t *s = rl_resp_state(r);
    if (rl_fields_parse(text, (size_t)n, r->route->fields, r->route->n_fields, nodes, cap, &s->fields,
                        &err) != 0) {
        refuse(r, &err);
        return RL_STEP_DONE;
    }
    s->select = !s->fields.all;
    return RL_STEP_NEXT;
}
