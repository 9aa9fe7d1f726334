/* mock.c — fixture model, JSON loader and matcher, see mock.h.
 *
 * Fixtures are parsed once into plain C structs (templates checked with the
 * router's rules, bodies serialized to compact text), then matched by a
 * linear scan: mock sets hold tens of fixtures, and a scan keeps the
 * precedence rules readable. The request body is parsed at most once per
 * match, and only when a candidate has body conditions. Rendering, Prefer,
 * fault injection: mock_render.c; record mode: mock_record.c. */
#include "upstream/mock.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/units.h"
#include "http/method.h"
#include "http/router.h"
#include "upstream/mock_int.h"

#define MAX_SEGS 64 /* segments of a fixture template */

static const char *const top_keys[] = {"name", "description", "match", "response", NULL};
static const char *const match_keys[] = {"method", "path", "query", "body", NULL};
static const char *const resp_keys[] = {"status", "headers", "body", "sse", NULL};
static const char *const sse_keys[] = {"events", "interval", NULL};
static const char *const event_keys[] = {"event", "data", "id", NULL};

void *rl_mock_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL) abort();
    return p;
}

char *rl_mock_xstrndup(const char *s, size_t len)
{
    char *p = malloc(len + 1);
    if (p == NULL) abort();
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

/* ---- freeing ------------------------------------------------------------ */

static void free_kvs(rl_mock_kv_t *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(kv[i].name);
        free(kv[i].value);
    }
    free(kv);
}

static void fixture_free(rl_mock_fixture_t *f)
{
    free(f->name);
    free(f->origin);
    free(f->path);
    free_kvs(f->query, f->n_query);
    for (size_t i = 0; i < f->n_body_conds; i++) {
        free(f->body_conds[i].path);
        json_decref(f->body_conds[i].value);
    }
    free(f->body_conds);
    free_kvs(f->headers, f->n_headers);
    free(f->body);
    for (size_t i = 0; i < f->n_events; i++)
        free(f->events[i]);
    free(f->events);
}

void rl_mock_set_clear(rl_mock_set_t *s)
{
    for (size_t i = 0; i < s->n; i++)
        fixture_free(&s->items[i]);
    free(s->items);
    *s = (rl_mock_set_t)RL_MOCK_SET_INIT;
}

/* ---- parsing ------------------------------------------------------------ */

typedef struct pctx {
    const char *origin;
    size_t index; /* fixture index within the text */
    rl_err_t *err;
} pctx_t;

static int bad(pctx_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(pctx_t *c, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return rl_err_set(c->err, RL_EBAD_REQUEST, "%.80s[%zu]: %s", c->origin, c->index, msg);
}

static int check_keys(pctx_t *c, json_t *obj, const char *where, const char *const *known)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        size_t i = 0;
        while (known[i] && strcmp(known[i], key) != 0)
            i++;
        if (known[i] == NULL) return bad(c, "unknown key '%s%.40s'", where, key);
    }
    return 0;
}

/* A scalar as text: strings as they are, numbers and booleans as JSON. */
static char *scalar_text(json_t *v)
{
    if (json_is_string(v)) return rl_mock_xstrndup(json_string_value(v), json_string_length(v));
    if (json_is_number(v) || json_is_boolean(v)) {
        char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        if (s == NULL) abort();
        return s;
    }
    return NULL;
}

static int parse_method(pctx_t *c, json_t *v, rl_mock_fixture_t *f)
{
    f->method = RL_M_ALL;
    if (v == NULL) return 0;
    if (!json_is_string(v)) return bad(c, "match.method: expected a string such as \"GET\" or \"*\"");
    const char *s = json_string_value(v);
    if (strcmp(s, "*") == 0) return 0;
    f->method = rl_method_bit(s, strlen(s));
    if (f->method == 0) return bad(c, "match.method: unknown method '%.16s' (upper case, or \"*\")", s);
    return 0;
}

/* The router's template rules, plus two the vendors' URLs need: a trailing
 * '/' ("/api/0/projects/") and a literal suffix after a param
 * ("/orders/{id}.json"). Both are removed from a copy before the router's
 * check. */
static int check_template(pctx_t *c, const char *s)
{
    rl_err_t e = {0};
    size_t len = strlen(s), n = 0, segs = 0;
    char *copy = rl_mock_xstrndup(s, len);
    if (len > 1 && s[len - 1] == '/') len--;
    for (size_t i = 0; i < len; i++) {
        segs += s[i] == '/';
        copy[n++] = s[i];
        if (s[i] != '}' || i + 1 >= len || s[i + 1] == '/' || s[i - 1] == '*') continue;
        size_t end = i + 1;
        while (end < len && s[end] != '/' && s[end] != '{' && s[end] != '}')
            end++;
        if (end == len || s[end] == '/') i = end - 1; /* drop the suffix */
    }
    copy[n] = '\0';
    int rc = rl_router_check_template(copy, &e);
    free(copy);
    if (rc != 0) return bad(c, "match.path: %s", e.msg);
    if (segs > MAX_SEGS) return bad(c, "match.path: more than %d segments", MAX_SEGS);
    return 0;
}

static int parse_path(pctx_t *c, json_t *v, rl_mock_fixture_t *f)
{
    if (!json_is_string(v)) return bad(c, "match.path: required, a path template such as \"/v1/items/{id}\"");
    const char *s = json_string_value(v);
    if (s[0] != '/') return bad(c, "match.path: must start with '/'");
    if (check_template(c, s) < 0) return -RL_EBAD_REQUEST;
    f->path = rl_mock_xstrndup(s, strlen(s));
    return 0;
}

static int parse_query(pctx_t *c, json_t *v, rl_mock_fixture_t *f)
{
    if (v == NULL) return 0;
    if (!json_is_object(v)) return bad(c, "match.query: expected an object of name: value");
    f->query = rl_mock_xcalloc(json_object_size(v), sizeof(rl_mock_kv_t));
    const char *key;
    json_t *item;
    json_object_foreach(v, key, item)
    {
        char *val = scalar_text(item);
        if (val == NULL) return bad(c, "match.query.%.40s: expected a string, number or boolean", key);
        f->query[f->n_query++] = (rl_mock_kv_t){rl_mock_xstrndup(key, strlen(key)), val};
    }
    return 0;
}

static int parse_body_conds(pctx_t *c, json_t *v, rl_mock_fixture_t *f)
{
    if (v == NULL) return 0;
    if (!json_is_object(v)) return bad(c, "match.body: expected an object of \"dotted.path\": value");
    f->body_conds = rl_mock_xcalloc(json_object_size(v), sizeof(rl_mock_cond_t));
    const char *key;
    json_t *item;
    json_object_foreach(v, key, item)
    {
        if (key[0] == '\0' || key[0] == '.' || key[strlen(key) - 1] == '.' || strstr(key, ".."))
            return bad(c, "match.body: invalid field path '%.40s'", key);
        f->body_conds[f->n_body_conds++] =
            (rl_mock_cond_t){rl_mock_xstrndup(key, strlen(key)), json_incref(item)};
    }
    return 0;
}

static int parse_match(pctx_t *c, json_t *m, rl_mock_fixture_t *f)
{
    if (!json_is_object(m)) return bad(c, "match: required, an object with at least a path");
    if (check_keys(c, m, "match.", match_keys) < 0) return -RL_EBAD_REQUEST;
    if (parse_method(c, json_object_get(m, "method"), f) < 0 ||
        parse_path(c, json_object_get(m, "path"), f) < 0 ||
        parse_query(c, json_object_get(m, "query"), f) < 0 ||
        parse_body_conds(c, json_object_get(m, "body"), f) < 0)
        return -RL_EBAD_REQUEST;
    if (f->n_query + f->n_body_conds > RL_MOCK_MAX_CONDS)
        return bad(c, "match: more than %d query and body conditions", RL_MOCK_MAX_CONDS);
    return 0;
}

static bool header_name_ok(const char *s)
{
    size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~");
    return n > 0 && s[n] == '\0';
}

static void add_header(rl_mock_fixture_t *f, const char *name, const char *value)
{
    rl_mock_kv_t *kv = &f->headers[f->n_headers++];
    kv->name = rl_mock_xstrndup(name, strlen(name));
    for (char *p = kv->name; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    kv->value = rl_mock_xstrndup(value, strlen(value));
}

static bool has_header(const rl_mock_fixture_t *f, const char *name)
{
    for (size_t i = 0; i < f->n_headers; i++)
        if (strcmp(f->headers[i].name, name) == 0) return true;
    return false;
}

/* Headers as given, then content-type (and cache-control for SSE) unless given. */
static int parse_headers(pctx_t *c, json_t *v, rl_mock_fixture_t *f, const char *ctype)
{
    if (v != NULL && !json_is_object(v)) return bad(c, "response.headers: expected an object of name: value");
    f->headers = rl_mock_xcalloc(json_object_size(v) + 2, sizeof(rl_mock_kv_t));
    const char *key;
    json_t *item;
    json_object_foreach(v, key, item)
    {
        if (!header_name_ok(key)) return bad(c, "response.headers: invalid header name '%.40s'", key);
        char *val = scalar_text(item);
        if (val == NULL || strpbrk(val, "\r\n") != NULL) {
            free(val);
            return bad(c, "response.headers.%.40s: expected a one-line string", key);
        }
        add_header(f, key, val);
        free(val);
    }
    if (ctype && !has_header(f, "content-type")) add_header(f, "content-type", ctype);
    if (f->sse && !has_header(f, "cache-control")) add_header(f, "cache-control", "no-cache");
    return 0;
}

/* "data: …" lines for one value: a string split on its newlines, JSON compact. */
static void append_data(rl_mock_buf_t *b, json_t *data)
{
    if (!json_is_string(data)) {
        char *s = json_dumps(data, JSON_ENCODE_ANY | JSON_COMPACT);
        if (s == NULL) abort();
        rl_mock_buf_printf(b, "%sdata: %s", b->len ? "\n" : "", s);
        free(s);
        return;
    }
    const char *s = json_string_value(data), *end = s + json_string_length(data);
    do {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
        rl_mock_buf_printf(b, "%sdata: %.*s", b->len ? "\n" : "", (int)n, s);
        s += n + 1;
    } while (s <= end);
}

static int parse_event(pctx_t *c, json_t *ev, size_t i, char **out)
{
    if (json_is_string(ev)) {
        const char *s = json_string_value(ev);
        if (json_string_length(ev) == 0 || strstr(s, "\n\n") || strchr(s, '\r'))
            return bad(c, "response.sse.events[%zu]: must be non-empty, without blank lines or CR", i);
        *out = rl_mock_xstrndup(s, json_string_length(ev));
        return 0;
    }
    pctx_t sub = *c;
    if (!json_is_object(ev))
        return bad(c, "response.sse.events[%zu]: expected a string or {event, data, id}", i);
    if (check_keys(&sub, ev, "response.sse.events[].", event_keys) < 0) return -RL_EBAD_REQUEST;
    json_t *name = json_object_get(ev, "event"), *id = json_object_get(ev, "id"),
           *data = json_object_get(ev, "data");
    if ((name && !json_is_string(name)) || (id && !json_is_string(id)) || data == NULL)
        return bad(c, "response.sse.events[%zu]: event and id are strings, data is required", i);
    if ((name && strpbrk(json_string_value(name), "\r\n")) || (id && strpbrk(json_string_value(id), "\r\n")))
        return bad(c, "response.sse.events[%zu]: event and id must be one line", i);
    rl_mock_buf_t b = {0};
    if (name) rl_mock_buf_printf(&b, "event: %s", json_string_value(name));
    if (id) rl_mock_buf_printf(&b, "%sid: %s", b.len ? "\n" : "", json_string_value(id));
    append_data(&b, data);
    *out = b.data;
    return 0;
}

static int parse_sse(pctx_t *c, json_t *v, rl_mock_fixture_t *f)
{
    if (!json_is_object(v)) return bad(c, "response.sse: expected {events: [...], interval: \"50ms\"}");
    if (check_keys(c, v, "response.sse.", sse_keys) < 0) return -RL_EBAD_REQUEST;
    json_t *events = json_object_get(v, "events"), *iv = json_object_get(v, "interval");
    if (!json_is_array(events) || json_array_size(events) == 0 ||
        json_array_size(events) > RL_MOCK_MAX_EVENTS)
        return bad(c, "response.sse.events: expected a list of 1 to %d events", RL_MOCK_MAX_EVENTS);
    if (json_is_string(iv)) {
        if (rl_parse_duration_ms(json_string_value(iv), &f->interval_ms) < 0)
            return bad(c, "response.sse.interval: expected a duration such as \"50ms\"");
    } else if (json_is_integer(iv) && json_integer_value(iv) >= 0) {
        f->interval_ms = (uint64_t)json_integer_value(iv);
    } else if (iv != NULL) {
        return bad(c, "response.sse.interval: expected a duration such as \"50ms\"");
    }
    if (f->interval_ms > RL_MOCK_MAX_INTERVAL_MS) return bad(c, "response.sse.interval: at most 60s");
    f->sse = true;
    f->events = rl_mock_xcalloc(json_array_size(events), sizeof(char *));
    for (size_t i = 0; i < json_array_size(events); i++) {
        if (parse_event(c, json_array_get(events, i), i, &f->events[i]) < 0) return -RL_EBAD_REQUEST;
        f->n_events++;
    }
    return 0;
}

static int parse_response(pctx_t *c, json_t *r, rl_mock_fixture_t *f)
{
    if (!json_is_object(r)) return bad(c, "response: required, an object");
    if (check_keys(c, r, "response.", resp_keys) < 0) return -RL_EBAD_REQUEST;
    json_t *status = json_object_get(r, "status"), *body = json_object_get(r, "body"),
           *sse = json_object_get(r, "sse");
    f->status = 200;
    if (status &&
        (!json_is_integer(status) || json_integer_value(status) < 200 || json_integer_value(status) > 599))
        return bad(c, "response.status: expected an integer from 200 to 599");
    if (status) f->status = (int)json_integer_value(status);
    if (body && sse) return bad(c, "response: body and sse exclude each other");
    const char *ctype = NULL;
    if (sse) {
        if (parse_sse(c, sse, f) < 0) return -RL_EBAD_REQUEST;
        ctype = "text/event-stream";
    } else if (json_is_string(body)) {
        f->body = rl_mock_xstrndup(json_string_value(body), json_string_length(body));
        ctype = "text/plain; charset=utf-8";
    } else if (body && !json_is_null(body)) {
        f->body = json_dumps(body, JSON_ENCODE_ANY | JSON_COMPACT);
        if (f->body == NULL) abort();
        ctype = "application/json";
    }
    if (f->body == NULL) f->body = rl_mock_xstrndup("", 0);
    f->body_len = strlen(f->body);
    return parse_headers(c, json_object_get(r, "headers"), f, ctype);
}

static int parse_fixture(pctx_t *c, json_t *o, rl_mock_fixture_t *f)
{
    if (!json_is_object(o)) return bad(c, "expected a fixture object {name, match, response}");
    if (check_keys(c, o, "", top_keys) < 0) return -RL_EBAD_REQUEST;
    json_t *name = json_object_get(o, "name"), *desc = json_object_get(o, "description");
    if (name && (!json_is_string(name) || json_string_length(name) == 0 ||
                 json_string_length(name) >= RL_MOCK_PREFER_VALUE_MAX))
        return bad(c, "name: expected a non-empty string shorter than %d bytes", RL_MOCK_PREFER_VALUE_MAX);
    if (desc && !json_is_string(desc)) return bad(c, "description: expected a string");
    f->name = rl_mock_xstrndup(name ? json_string_value(name) : "default",
                               strlen(name ? json_string_value(name) : "default"));
    char origin[176];
    snprintf(origin, sizeof(origin), "%.140s[%zu]", c->origin, c->index);
    f->origin = rl_mock_xstrndup(origin, strlen(origin));
    if (parse_match(c, json_object_get(o, "match"), f) < 0) return -RL_EBAD_REQUEST;
    return parse_response(c, json_object_get(o, "response"), f);
}

int rl_mock_parse(rl_mock_set_t *s, const char *text, size_t len, const char *origin, rl_mock_source_t source,
                  rl_err_t *err)
{
    pctx_t c = {.origin = origin ? origin : "<fixture>", .err = err};
    json_error_t je;
    if (len > RL_MOCK_MAX_TEXT) return rl_err_set(err, RL_EBAD_REQUEST, "%.80s: larger than 1 MiB", c.origin);
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL)
        return rl_err_set(err, RL_EBAD_REQUEST, "%.80s:%d: invalid JSON: %.120s", c.origin, je.line, je.text);
    size_t n = json_is_array(root) ? json_array_size(root) : 1;
    rl_mock_fixture_t *tmp = rl_mock_xcalloc(n, sizeof(*tmp));
    int rc = 0;
    size_t done = 0;
    for (; done < n && rc == 0; done++) {
        c.index = done;
        tmp[done].source = source;
        rc = parse_fixture(&c, json_is_array(root) ? json_array_get(root, done) : root, &tmp[done]);
    }
    json_decref(root);
    if (rc == 0 && s->n + n > s->cap) {
        size_t cap = s->cap ? s->cap : 8;
        while (cap < s->n + n)
            cap *= 2;
        rl_mock_fixture_t *items = realloc(s->items, cap * sizeof(*items));
        if (items == NULL) abort();
        s->items = items;
        s->cap = cap;
    }
    if (rc == 0 && n > 0) { /* "[]" adds nothing (and s->items may still be NULL) */
        memcpy(s->items + s->n, tmp, n * sizeof(*tmp));
        s->n += n;
    } else {
        for (size_t i = 0; i < done; i++)
            fixture_free(&tmp[i]);
    }
    free(tmp);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_file(rl_mock_set_t *s, const char *dir, const char *name, rl_err_t *err)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return 0; /* directories named x.json */
    if ((uint64_t)st.st_size > RL_MOCK_MAX_TEXT)
        return rl_err_set(err, RL_EBAD_REQUEST, "%.80s: larger than 1 MiB", name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) return rl_err_set(err, RL_EBAD_REQUEST, "%.80s: cannot open: %s", name, strerror(errno));
    char *buf = rl_mock_xcalloc((size_t)st.st_size + 1, 1);
    size_t len = fread(buf, 1, (size_t)st.st_size, f);
    int rc = ferror(f) ? rl_err_set(err, RL_EBAD_REQUEST, "%.80s: cannot read", name) : 0;
    fclose(f);
    if (rc == 0) rc = rl_mock_parse(s, buf, len, name, RL_MOCK_FILE, err);
    free(buf);
    return rc;
}

int rl_mock_load_dir(rl_mock_set_t *s, const char *dir, rl_err_t *err)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return rl_err_set(err, RL_EBAD_REQUEST, "cannot open directory '%.120s': %s", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len < 6 || strcmp(e->d_name + len - 5, ".json") != 0) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **v = realloc(names, cap * sizeof(*v));
            if (v == NULL) abort();
            names = v;
        }
        names[n++] = rl_mock_xstrndup(e->d_name, len);
    }
    closedir(d);
    if (n) qsort(names, n, sizeof(*names), cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (rc == 0) rc = load_file(s, dir, names[i], err);
        free(names[i]);
    }
    free(names);
    return rc;
}

/* ---- matching ----------------------------------------------------------- */

/* Specificity key of one template match, compared lexicographically: per
 * segment 0 literal, 1 {param}suffix, 2 {param}, then 3 at the end or 4 for
 * a catch-all. */
typedef struct spec {
    unsigned char k[MAX_SEGS + 1];
    size_t n;
} spec_t;

/* One template segment `ts` (tl bytes) against path segment `ps` (pl
 * bytes); fills the param and returns its key, or -1. */
static int seg_match(const char *ts, size_t tl, const char *ps, size_t pl, rl_mock_param_t *pr)
{
    if (tl == 0 || ts[0] != '{') return pl == tl && memcmp(ps, ts, tl) == 0 ? 0 : -1;
    const char *cb = memchr(ts, '}', tl);
    size_t suffix = tl - (size_t)(cb + 1 - ts);
    if (pl <= suffix || memcmp(ps + pl - suffix, cb + 1, suffix) != 0) return -1;
    *pr = (rl_mock_param_t){ts + 1, (size_t)(cb - ts) - 1, ps, pl - suffix};
    return suffix ? 1 : 2;
}

/* Matches template `t` against path `p` the router's way. */
static bool tmpl_match(const char *t, const char *p, size_t plen, rl_mock_match_t *m, spec_t *key)
{
    size_t pi = 1;
    rl_mock_param_t pr;
    m->n_params = 0;
    key->n = 0;
    if (plen == 0 || p[0] != '/') return false;
    bool p_done = plen == 1; /* "/" has no segments */
    for (const char *ts = t[1] ? t + 1 : NULL; ts;) {
        const char *te = strchr(ts, '/');
        size_t tl = te ? (size_t)(te - ts) : strlen(ts);
        const char *ps = p + pi;
        const char *pe = p_done ? NULL : memchr(ps, '/', plen - pi);
        size_t pl = p_done ? 0 : pe ? (size_t)(pe - ps) : plen - pi;
        if (tl > 2 && ts[0] == '{' && ts[tl - 2] == '*') {
            pr = (rl_mock_param_t){ts + 1, tl - 3, p_done ? p + plen : ps, p_done ? 0 : plen - pi};
            if (m->n_params < RL_MOCK_MAX_PARAMS) m->params[m->n_params++] = pr;
            key->k[key->n++] = 4;
            return true;
        }
        int k = p_done ? -1 : seg_match(ts, tl, ps, pl, &pr);
        if (k < 0) return false;
        if (k > 0 && m->n_params < RL_MOCK_MAX_PARAMS) m->params[m->n_params++] = pr;
        key->k[key->n++] = (unsigned char)k;
        ts = te ? te + 1 : NULL;
        if (pe == NULL)
            p_done = true;
        else
            pi += pl + 1;
    }
    key->k[key->n++] = 3;
    return p_done;
}

static int spec_cmp(const spec_t *a, const spec_t *b)
{
    for (size_t i = 0; i < a->n && i < b->n; i++)
        if (a->k[i] != b->k[i]) return a->k[i] < b->k[i] ? -1 : 1;
    return 0;
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* Whether form-encoded `enc` decodes ('+' and %XX) to exactly `plain`. */
static bool dec_eq(const char *enc, size_t len, const char *plain)
{
    size_t j = 0;
    for (size_t i = 0; i < len; i++, j++) {
        int ch = (unsigned char)enc[i];
        if (ch == '+') {
            ch = ' ';
        } else if (ch == '%' && i + 2 < len) {
            int hi = hexval(enc[i + 1]), lo = hexval(enc[i + 2]);
            if (hi >= 0 && lo >= 0) {
                ch = hi * 16 + lo;
                i += 2;
            }
        }
        if (plain[j] == '\0' || (unsigned char)plain[j] != ch) return false;
    }
    return plain[j] == '\0';
}

bool rl_mock_query_get(const char *q, size_t qlen, const char *name, const char **val, size_t *val_len)
{
    for (size_t i = 0; q && i < qlen;) {
        const char *amp = memchr(q + i, '&', qlen - i);
        size_t end = amp ? (size_t)(amp - q) : qlen;
        const char *eq = memchr(q + i, '=', end - i);
        size_t nend = eq ? (size_t)(eq - q) : end;
        if (dec_eq(q + i, nend - i, name)) {
            *val = eq ? eq + 1 : q + end;
            *val_len = eq ? end - nend - 1 : 0;
            return true;
        }
        i = end + 1;
    }
    return false;
}

static bool query_holds(const char *q, size_t qlen, const rl_mock_kv_t *kv)
{
    for (size_t i = 0; q && i < qlen;) {
        const char *amp = memchr(q + i, '&', qlen - i);
        size_t end = amp ? (size_t)(amp - q) : qlen;
        const char *eq = memchr(q + i, '=', end - i);
        size_t nend = eq ? (size_t)(eq - q) : end;
        if (dec_eq(q + i, nend - i, kv->name) &&
            dec_eq(eq ? eq + 1 : q + end, eq ? end - nend - 1 : 0, kv->value))
            return true;
        i = end + 1;
    }
    return false;
}

json_t *rl_mock_json_lookup(json_t *doc, const char *path, size_t len)
{
    json_t *cur = doc;
    for (size_t i = 0; cur && i <= len;) {
        const char *dot = memchr(path + i, '.', len - i);
        size_t end = dot ? (size_t)(dot - path) : len;
        char seg[128];
        if (end - i >= sizeof(seg)) return NULL;
        memcpy(seg, path + i, end - i);
        seg[end - i] = '\0';
        if (json_is_object(cur)) {
            cur = json_object_get(cur, seg);
        } else if (json_is_array(cur) && seg[0] && strspn(seg, "0123456789") == end - i && end - i < 10) {
            cur = json_array_get(cur, strtoul(seg, NULL, 10));
        } else {
            return NULL;
        }
        i = end + 1;
    }
    return cur;
}

json_t *rl_mock_req_json(rl_mock_ctx_t *x)
{
    if (!x->parsed) {
        x->parsed = true;
        if (x->req->body && x->req->body_len) x->doc = json_loadb(x->req->body, x->req->body_len, 0, NULL);
    }
    return x->doc;
}

static bool conds_hold(rl_mock_ctx_t *x, const rl_mock_fixture_t *f)
{
    for (size_t i = 0; i < f->n_query; i++)
        if (!query_holds(x->req->query, x->req->query_len, &f->query[i])) return false;
    for (size_t i = 0; i < f->n_body_conds; i++) {
        json_t *doc = rl_mock_req_json(x);
        const rl_mock_cond_t *cd = &f->body_conds[i];
        json_t *v = doc ? rl_mock_json_lookup(doc, cd->path, strlen(cd->path)) : NULL;
        if (v == NULL || !json_equal(v, cd->value)) return false;
    }
    return true;
}

typedef enum pick { PICK_NORMAL, PICK_EXAMPLE, PICK_CODE } pick_t;

typedef struct cand {
    const rl_mock_fixture_t *f;
    spec_t key;
    bool ok; /* conditions hold */
} cand_t;

/* Whether candidate a ranks before b (see rl_mock_match). */
static bool better(const cand_t *a, const cand_t *b)
{
    if (a->ok != b->ok) return a->ok;
    if (a->f->source != b->f->source) return a->f->source == RL_MOCK_FILE;
    int d = spec_cmp(&a->key, &b->key);
    if (d != 0) return d < 0;
    size_t na = a->f->n_query + a->f->n_body_conds, nb = b->f->n_query + b->f->n_body_conds;
    return na > nb; /* equal: the earlier one, already in place, stays */
}

static const rl_mock_fixture_t *pick(rl_mock_ctx_t *x, pick_t how, const char *example, int code)
{
    cand_t best = {0}, cur;
    rl_mock_match_t scratch;
    const rl_mock_req_t *r = x->req;
    for (size_t i = 0; i < x->set->n; i++) {
        const rl_mock_fixture_t *f = &x->set->items[i];
        unsigned want = r->method == RL_M_HEAD ? (RL_M_HEAD | RL_M_GET) : r->method;
        if (!(f->method & want)) continue;
        if (how == PICK_EXAMPLE && strcmp(f->name, example) != 0) continue;
        if (how == PICK_CODE && f->status != code) continue;
        if (!tmpl_match(f->path, r->path, r->path_len, &scratch, &cur.key)) continue;
        cur.f = f;
        cur.ok = conds_hold(x, f);
        if (how == PICK_NORMAL && !cur.ok) continue;
        if (best.f == NULL || better(&cur, &best)) best = cur;
    }
    return best.f;
}

static int parse_code(const char *s)
{
    if (s == NULL || strlen(s) != 3 || strspn(s, "0123456789") != 3) return 0;
    int code = atoi(s);
    return code >= 200 && code <= 599 ? code : 0;
}

rl_mock_result_t rl_mock_match_ctx(rl_mock_ctx_t *x, rl_mock_match_t *m)
{
    rl_mock_prefer_t pref;
    spec_t key;
    const rl_mock_fixture_t *f = NULL;
    memset(m, 0, sizeof(*m));
    rl_mock_prefer_parse(x->req->prefer, x->req->prefer ? x->req->prefer_len : 0, &pref);
    const char *example = rl_mock_prefer_get(&pref, "example");
    int code = parse_code(rl_mock_prefer_get(&pref, "code"));
    if (example && example[0] && (f = pick(x, PICK_EXAMPLE, example, 0)) != NULL)
        snprintf(m->applied, sizeof(m->applied), "example=%s", example);
    if (f == NULL && code && (f = pick(x, PICK_CODE, NULL, code)) != NULL)
        snprintf(m->applied, sizeof(m->applied), "code=%d", code);
    if (f == NULL && code) {
        m->status = code;
        snprintf(m->applied, sizeof(m->applied), "code=%d", code);
        return RL_MOCK_SYNTHESIZED;
    }
    if (f == NULL) f = pick(x, PICK_NORMAL, NULL, 0);
    if (f == NULL) return RL_MOCK_NO_MATCH;
    m->fixture = f;
    m->status = f->status;
    tmpl_match(f->path, x->req->path, x->req->path_len, m, &key);
    return RL_MOCK_MATCHED;
}

rl_mock_result_t rl_mock_match(const rl_mock_set_t *s, const rl_mock_req_t *req, rl_mock_match_t *m)
{
    rl_mock_ctx_t x = {.set = s, .req = req};
    rl_mock_result_t r = rl_mock_match_ctx(&x, m);
    json_decref(x.doc);
    return r;
}
