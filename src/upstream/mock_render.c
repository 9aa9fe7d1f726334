/* mock_render.c — the answering half of mock mode, see mock.h: the Prefer
 * header parser, body templates, the response a responder writes, and the
 * fault-injection draw.
 *
 * Fault injection is one splitmix64 draw per request: the counter-th output
 * of the splitmix64 stream seeded with mock.seed, i.e.
 * mix(seed + (counter + 1) * 0x9e3779b97f4a7c15), its top 53 bits scaled to
 * [0,1). The request fails when the draw is below error_rate. With seed 42
 * and error_rate 0.25, requests 0, 1, 2… fail or pass the same way on every
 * run and every machine, so an outage rehearsal can be replayed exactly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonw.h"
#include "upstream/mock_int.h"

/* ---- buffer --------------------------------------------------------------- */

void rl_mock_buf_append(rl_mock_buf_t *b, const char *s, size_t len)
{
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + len + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (d == NULL) abort();
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void rl_mock_buf_printf(rl_mock_buf_t *b, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) abort();
    char *tmp = malloc((size_t)n + 1);
    if (tmp == NULL) abort();
    vsnprintf(tmp, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    rl_mock_buf_append(b, tmp, (size_t)n);
    free(tmp);
}

/* ---- Prefer (RFC 7240) ---------------------------------------------------- */

static bool tchar(int ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

typedef struct scan {
    const char *s;
    size_t len, i;
} scan_t;

static void skip_ws(scan_t *c)
{
    while (c->i < c->len && (c->s[c->i] == ' ' || c->s[c->i] == '\t'))
        c->i++;
}

/* A token into out (cap bytes, NUL-terminated, lower-cased if asked).
 * Returns its length, 0 when there is none, -1 when too long. */
static int token(scan_t *c, char *out, size_t cap, bool lower)
{
    size_t n = 0;
    while (c->i < c->len && tchar((unsigned char)c->s[c->i])) {
        char ch = c->s[c->i++];
        if (n + 1 >= cap) return -1;
        out[n++] = lower && ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch;
    }
    out[n] = '\0';
    return (int)n;
}

/* A word (token or quoted-string) into out. Returns 0, or -1 when malformed
 * or too long. */
static int word(scan_t *c, char *out, size_t cap)
{
    if (c->i >= c->len || c->s[c->i] != '"') return token(c, out, cap, false) > 0 ? 0 : -1;
    size_t n = 0;
    for (c->i++; c->i < c->len; c->i++) {
        unsigned char ch = (unsigned char)c->s[c->i];
        if (ch == '"') {
            c->i++;
            out[n] = '\0';
            return 0;
        }
        if (ch == '\\') {
            if (++c->i >= c->len) return -1;
            ch = (unsigned char)c->s[c->i];
        }
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f || n + 1 >= cap) return -1;
        out[n++] = (char)ch;
    }
    return -1; /* unterminated */
}

/* Skips to just past the next ',' outside a quoted string. */
static void skip_element(scan_t *c)
{
    bool q = false;
    for (; c->i < c->len; c->i++) {
        char ch = c->s[c->i];
        if (q && ch == '\\') {
            c->i++;
        } else if (ch == '"') {
            q = !q;
        } else if (ch == ',' && !q) {
            c->i++;
            return;
        }
    }
}

/* `token [BWS = BWS word]`; the name/value go to out. Returns 0 or -1. */
static int pair(scan_t *c, char *name, size_t ncap, char *value, size_t vcap)
{
    value[0] = '\0';
    if (token(c, name, ncap, true) <= 0) return -1;
    skip_ws(c);
    if (c->i < c->len && c->s[c->i] == '=') {
        c->i++;
        skip_ws(c);
        if (word(c, value, vcap) < 0) return -1;
        skip_ws(c);
    }
    return 0;
}

/* One preference and its parameters, up to the ',' or the end. */
static int element(scan_t *c, rl_mock_pref_t *p)
{
    char pname[RL_MOCK_PREFER_NAME_MAX], pvalue[RL_MOCK_PREFER_VALUE_MAX];
    if (pair(c, p->name, sizeof(p->name), p->value, sizeof(p->value)) < 0) return -1;
    while (c->i < c->len && c->s[c->i] == ';') {
        c->i++;
        skip_ws(c);
        if (c->i < c->len && c->s[c->i] != ';' && c->s[c->i] != ',' &&
            pair(c, pname, sizeof(pname), pvalue, sizeof(pvalue)) < 0)
            return -1;
    }
    if (c->i < c->len && c->s[c->i] != ',') return -1;
    if (c->i < c->len) c->i++;
    return 0;
}

size_t rl_mock_prefer_parse(const char *s, size_t len, rl_mock_prefer_t *out)
{
    scan_t c = {s, s ? len : 0, 0};
    out->n = 0;
    while (c.i < c.len && out->n < RL_MOCK_PREFER_MAX) {
        skip_ws(&c);
        if (c.i < c.len && c.s[c.i] == ',') { /* empty list element */
            c.i++;
            continue;
        }
        if (c.i >= c.len) break;
        rl_mock_pref_t *p = &out->items[out->n];
        size_t start = c.i;
        if (element(&c, p) < 0) {
            c.i = start;
            skip_element(&c);
            continue;
        }
        if (rl_mock_prefer_get(out, p->name) == NULL) out->n++;
    }
    return out->n;
}

const char *rl_mock_prefer_get(const rl_mock_prefer_t *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->items[i].name, name) == 0) return p->items[i].value;
    return NULL;
}

/* ---- templates ------------------------------------------------------------ */

static void append_escaped(rl_mock_buf_t *b, const char *s, size_t len)
{
    char tmp[512];
    while (len > 0) {
        size_t chunk = len > sizeof(tmp) / 6 ? sizeof(tmp) / 6 : len;
        /* never split a UTF-8 sequence: back up to a lead byte */
        while (chunk < len && chunk > 0 && ((unsigned char)s[chunk] & 0xC0) == 0x80)
            chunk--;
        if (chunk == 0) chunk = len < sizeof(tmp) / 6 ? len : sizeof(tmp) / 6;
        rl_mock_buf_append(b, tmp, rl_json_escape(tmp, sizeof(tmp), s, chunk));
        s += chunk;
        len -= chunk;
    }
}

static bool name_is(const char *n, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(n, lit, len) == 0;
}

/* Expands one template name; false when unknown or unresolvable. */
static bool expand(rl_mock_buf_t *b, const char *n, size_t len, rl_mock_ctx_t *x, const rl_mock_match_t *m,
                   const rl_mock_vars_t *vars, bool *raw)
{
    if (name_is(n, len, "request_id")) {
        const char *id = vars && vars->request_id ? vars->request_id : "";
        append_escaped(b, id, strlen(id));
        return true;
    }
    if (name_is(n, len, "now")) {
        rl_mock_buf_printf(b, "%lld", (long long)(vars ? vars->now : 0));
        *raw = true;
        return true;
    }
    if (len > 5 && memcmp(n, "path.", 5) == 0) {
        for (size_t i = 0; m && i < m->n_params; i++) {
            if (m->params[i].name_len != len - 5 || memcmp(m->params[i].name, n + 5, len - 5) != 0) continue;
            append_escaped(b, m->params[i].value, m->params[i].value_len);
            return true;
        }
        return false;
    }
    if (len > 6 && memcmp(n, "query.", 6) == 0) {
        char name[128];
        const char *v;
        size_t vlen;
        if (len - 6 >= sizeof(name)) return false;
        memcpy(name, n + 6, len - 6);
        name[len - 6] = '\0';
        if (!rl_mock_query_get(x->req->query, x->req->query_len, name, &v, &vlen)) return false;
        append_escaped(b, v, vlen);
        return true;
    }
    if (len > 5 && memcmp(n, "body.", 5) == 0) {
        json_t *doc = rl_mock_req_json(x);
        json_t *v = doc ? rl_mock_json_lookup(doc, n + 5, len - 5) : NULL;
        if (v == NULL) return false;
        if (json_is_string(v)) {
            append_escaped(b, json_string_value(v), json_string_length(v));
            return true;
        }
        char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        if (s == NULL) return false;
        rl_mock_buf_append(b, s, strlen(s));
        free(s);
        *raw = true;
        return true;
    }
    return false;
}

static char *render(const char *t, size_t len, rl_mock_ctx_t *x, const rl_mock_match_t *m,
                    const rl_mock_vars_t *vars, size_t *out_len)
{
    rl_mock_buf_t b = {0};
    rl_mock_buf_append(&b, "", 0);
    for (size_t i = 0; i < len;) {
        const char *open = len - i >= 4 ? memmem(t + i, len - i, "{{", 2) : NULL;
        const char *close = open ? memmem(open + 2, (size_t)(t + len - open - 2), "}}", 2) : NULL;
        if (close == NULL) {
            rl_mock_buf_append(&b, t + i, len - i);
            break;
        }
        rl_mock_buf_append(&b, t + i, (size_t)(open - t) - i);
        const char *n = open + 2, *e = close;
        while (n < e && *n == ' ')
            n++;
        while (e > n && e[-1] == ' ')
            e--;
        size_t before = b.len;
        bool raw = false, quoted = open > t + i && open[-1] == '"' && close + 2 < t + len && close[2] == '"';
        const char *bar = memchr(n, '|', (size_t)(e - n)); /* {{body.model|gpt-4o}}: a default */
        bool ok =
            b.len <= RL_MOCK_MAX_RENDER && expand(&b, n, (size_t)((bar ? bar : e) - n), x, m, vars, &raw);
        if (!ok && bar && b.len <= RL_MOCK_MAX_RENDER) {
            append_escaped(&b, bar + 1, (size_t)(e - bar - 1));
            ok = true;
        }
        if (!ok) {
            b.len = before;
            rl_mock_buf_append(&b, open, (size_t)(close + 2 - open));
            raw = false;
        }
        i = (size_t)(close + 2 - t);
        if (raw && quoted) { /* "{{now}}" in JSON: the number replaces the string */
            memmove(b.data + before - 1, b.data + before, b.len - before + 1);
            b.len--;
            i++;
        }
    }
    if (out_len) *out_len = b.len;
    return b.data;
}

char *rl_mock_render(const char *tmpl, size_t len, const rl_mock_req_t *req, const rl_mock_match_t *m,
                     const rl_mock_vars_t *vars, size_t *out_len)
{
    rl_mock_req_t none = {0};
    rl_mock_ctx_t x = {.req = req ? req : &none};
    char *s = render(tmpl, len, &x, m, vars, out_len);
    json_decref(x.doc);
    return s;
}

/* ---- responses ------------------------------------------------------------ */

static void set_header(rl_mock_response_t *r, const char *name, const char *value)
{
    rl_mock_kv_t *v = realloc(r->headers, (r->n_headers + 1) * sizeof(*v));
    if (v == NULL) abort();
    r->headers = v;
    v[r->n_headers].name = rl_mock_xstrndup(name, strlen(name));
    v[r->n_headers++].value = rl_mock_xstrndup(value, strlen(value));
}

void rl_mock_error_response(int status, const char *code, const char *message, const char *request_id,
                            rl_mock_response_t *out)
{
    json_t *err = json_pack("{s:s, s:s}", "code", code, "message", message);
    if (request_id && request_id[0]) json_object_set_new(err, "request_id", json_string(request_id));
    json_t *env = json_pack("{s:b, s:o}", "success", 0, "error", err);
    out->status = status;
    out->body = json_dumps(env, JSON_COMPACT);
    if (out->body == NULL) abort();
    out->body_len = strlen(out->body);
    json_decref(env);
    set_header(out, "content-type", "application/json");
    if (status == 429 || status == 503) set_header(out, "retry-after", "1");
}

static const char *code_for(int status)
{
    static const struct {
        int status;
        const char *code;
    } t[] = {{400, "bad_request"},       {401, "unauthorized"},
             {402, "payment_required"},  {403, "forbidden"},
             {404, "not_found"},         {405, "method_not_allowed"},
             {409, "conflict"},          {412, "precondition_failed"},
             {413, "payload_too_large"}, {422, "unprocessable_entity"},
             {429, "rate_limited"},      {500, "internal"},
             {502, "upstream_error"},    {503, "service_unavailable"},
             {504, "upstream_timeout"}};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (t[i].status == status) return t[i].code;
    return status >= 500 ? "upstream_error" : "mock_error";
}

static void synthesize(int status, const rl_mock_vars_t *vars, rl_mock_response_t *out)
{
    char msg[96];
    if (status >= 400) {
        snprintf(msg, sizeof(msg), "mock response with status %d (Prefer: code=%d)", status, status);
        rl_mock_error_response(status, code_for(status), msg, vars ? vars->request_id : NULL, out);
        return;
    }
    out->status = status;
    bool empty = status == 204 || status == 304;
    out->body = rl_mock_xstrndup(empty ? "" : "{}", empty ? 0 : 2);
    out->body_len = strlen(out->body);
    if (!empty) set_header(out, "content-type", "application/json");
}

static void from_fixture(rl_mock_ctx_t *x, const rl_mock_match_t *m, const rl_mock_vars_t *vars,
                         rl_mock_response_t *out)
{
    const rl_mock_fixture_t *f = m->fixture;
    out->status = f->status;
    for (size_t i = 0; i < f->n_headers; i++)
        set_header(out, f->headers[i].name, f->headers[i].value);
    out->body = render(f->body, f->body_len, x, m, vars, &out->body_len);
    out->sse = f->sse;
    out->interval_ms = f->interval_ms;
    if (!f->sse) return;
    out->events = rl_mock_xcalloc(f->n_events, sizeof(char *));
    for (size_t i = 0; i < f->n_events; i++)
        out->events[out->n_events++] = render(f->events[i], strlen(f->events[i]), x, m, vars, NULL);
}

rl_mock_result_t rl_mock_respond(const rl_mock_set_t *s, const rl_mock_req_t *req, const rl_mock_vars_t *vars,
                                 rl_mock_response_t *out)
{
    rl_mock_ctx_t x = {.set = s, .req = req};
    rl_mock_match_t m;
    memset(out, 0, sizeof(*out));
    rl_mock_result_t r = rl_mock_match_ctx(&x, &m);
    if (r == RL_MOCK_MATCHED) {
        from_fixture(&x, &m, vars, out);
    } else if (r == RL_MOCK_SYNTHESIZED) {
        synthesize(m.status, vars, out);
    } else {
        char msg[300];
        snprintf(msg, sizeof(msg), "no mock fixture matches this request path: %.*s",
                 (int)(req->path_len > 200 ? 200 : req->path_len), req->path ? req->path : "");
        rl_mock_error_response(404, "not_found", msg, vars ? vars->request_id : NULL, out);
    }
    memcpy(out->applied, m.applied, sizeof(out->applied));
    json_decref(x.doc);
    return r;
}

void rl_mock_response_free(rl_mock_response_t *r)
{
    for (size_t i = 0; i < r->n_headers; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    free(r->headers);
    free(r->body);
    for (size_t i = 0; i < r->n_events; i++)
        free(r->events[i]);
    free(r->events);
    memset(r, 0, sizeof(*r));
}

/* ---- fault injection ------------------------------------------------------ */

static uint64_t splitmix64_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

rl_mock_fault_t rl_mock_fault_decide(const rl_mock_fault_cfg_t *cfg, uint64_t counter)
{
    rl_mock_fault_t f = {.delay_ms = cfg->latency_ms, .error = false};
    if (!(cfg->error_rate > 0)) return f;
    uint64_t z = splitmix64_mix(cfg->seed + (counter + 1) * 0x9e3779b97f4a7c15ull);
    double u = (double)(z >> 11) * 0x1.0p-53;
    f.error = u < cfg->error_rate;
    return f;
}

void rl_mock_fault_response(const rl_mock_vars_t *vars, rl_mock_response_t *out)
{
    memset(out, 0, sizeof(*out));
    rl_mock_error_response(503, "service_unavailable", "injected failure (mock.error_rate)",
                           vars ? vars->request_id : NULL, out);
}
