/* fuzz_router.c — libFuzzer driver for http/router, checked against a naive
 * reference matcher. Input: byte 0 picks the request method; the rest splits
 * on '\n' into template lines (each "<methods byte><template>") and a last
 * line that is both the request path and an upstream template to expand. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/method.h"
#include "http/router.h"

#define MAX_ROUTES 16
#define MAX_SEGS 130 /* more than a template may have */

typedef struct ref_route {
    char *tmpl;
    unsigned methods;
    int accepted;
} ref_route_t;

typedef struct span {
    size_t off, len;
} span_t;

/* Splits `s` the router's way: "/" has no segments, otherwise every '/' opens
 * one. Returns the count; `segs` must hold len entries. */
static size_t split(const char *s, size_t len, span_t *segs)
{
    size_t n = 0;
    if (len <= 1) return 0;
    for (size_t off = 1;;) {
        const char *slash = memchr(s + off, '/', len - off);
        size_t end = slash ? (size_t)(slash - s) : len;
        segs[n++] = (span_t){off, end - off};
        if (slash == NULL) return n;
        off = end + 1;
    }
}

typedef struct ref_match {
    int key[MAX_SEGS]; /* per segment: 0 literal, 1 param, 2 end, 3 rest */
    size_t key_len, n_params;
    span_t names[RL_ROUTER_MAX_PARAMS], values[RL_ROUTER_MAX_PARAMS];
} ref_match_t;

/* Matches one accepted template against the path, naively. */
static int ref_match(const char *t, const char *path, size_t len, const span_t *ps, size_t np, ref_match_t *m)
{
    span_t ts[MAX_SEGS];
    size_t nt = split(t, strlen(t), ts);
    m->key_len = m->n_params = 0;
    for (size_t i = 0; i < nt; i++) {
        const char *seg = t + ts[i].off;
        int rest = seg[0] == '{' && seg[ts[i].len - 2] == '*';
        if (seg[0] == '{') m->names[m->n_params] = (span_t){ts[i].off + 1, ts[i].len - 2 - (size_t)rest};
        if (rest) {
            m->values[m->n_params++] = i < np ? (span_t){ps[i].off, len - ps[i].off} : (span_t){len, 0};
            m->key[m->key_len++] = 3;
            return 1;
        }
        if (i >= np) return 0;
        if (seg[0] == '{') {
            if (ps[i].len == 0) return 0;
            m->values[m->n_params++] = ps[i];
            m->key[m->key_len++] = 1;
        } else {
            if (ps[i].len != ts[i].len || memcmp(path + ps[i].off, seg, ts[i].len) != 0) return 0;
            m->key[m->key_len++] = 0;
        }
    }
    m->key[m->key_len++] = 2;
    return np == nt;
}

static int key_less(const ref_match_t *a, const ref_match_t *b)
{
    for (size_t i = 0; i < a->key_len && i < b->key_len; i++)
        if (a->key[i] != b->key[i]) return a->key[i] < b->key[i];
    return 0;
}

static void check_params(const rl_route_match_t *m, const ref_match_t *want, const char *tmpl,
                         const char *path)
{
    if (m->n_params != want->n_params) abort();
    for (size_t i = 0; i < m->n_params; i++) {
        const rl_route_param_t *p = &m->params[i];
        if (p->name_len != want->names[i].len || memcmp(p->name, tmpl + want->names[i].off, p->name_len) != 0)
            abort();
        if (p->value != path + want->values[i].off || p->value_len != want->values[i].len) abort();
    }
}

/* Compares the router's answer with the most specific accepted template. */
static void check_match(const ref_route_t *routes, size_t n, unsigned method, const char *path, size_t len,
                        const rl_route_match_t *m, rl_route_result_t res)
{
    int path_ok = len > 0 && path[0] == '/';
    span_t *ps = malloc((len + 1) * sizeof(*ps));
    size_t np = path_ok ? split(path, len, ps) : 0;
    ref_match_t cur, best;
    int winner = -1;
    unsigned allow = 0;
    for (size_t i = 0; path_ok && i < n; i++) {
        if (!routes[i].accepted || !ref_match(routes[i].tmpl, path, len, ps, np, &cur)) continue;
        if (!(routes[i].methods & method)) {
            allow |= routes[i].methods;
        } else if (winner < 0 || key_less(&cur, &best)) {
            winner = (int)i;
            best = cur;
        }
    }
    free(ps);
    if (winner >= 0) {
        if (res != RL_ROUTE_FOUND || m->route != winner) abort();
        check_params(m, &best, routes[winner].tmpl, path);
    } else {
        if (res != (allow ? RL_ROUTE_METHOD_NOT_ALLOWED : RL_ROUTE_NOT_FOUND)) abort();
        if (m->allow != allow || m->route != -1 || m->n_params != 0) abort();
    }
}

/* Expansion is all-or-nothing: a buffer one byte short must fail. */
static void check_expand(const char *tmpl, const rl_route_match_t *m)
{
    char big[8192], small[8192];
    int n = rl_router_expand(tmpl, m, big, sizeof(big));
    if (n < 0) return;
    if ((size_t)n >= sizeof(big) || big[n] != '\0') abort(); /* values may hold NULs: no strlen */
    if (rl_router_expand(tmpl, m, small, (size_t)n + 1) != n || memcmp(small, big, (size_t)n + 1) != 0)
        abort();
    if (rl_router_expand(tmpl, m, small, (size_t)n) != -1) abort();
}

static char *dup_line(const uint8_t *s, size_t len)
{
    char *c = malloc(len + 1);
    memcpy(c, s, len);
    c[len] = '\0';
    return c;
}

/* Whether two accepted templates have one shape: same literals, params and
 * catch-all at the same places, whatever the param names. */
static int same_shape(const char *a, const char *b)
{
    span_t sa[MAX_SEGS], sb[MAX_SEGS];
    size_t na = split(a, strlen(a), sa), nb = split(b, strlen(b), sb);
    if (na != nb) return 0;
    for (size_t i = 0; i < na; i++) {
        const char *x = a + sa[i].off, *y = b + sb[i].off;
        if ((x[0] == '{') != (y[0] == '{')) return 0;
        if (x[0] == '{' && (x[sa[i].len - 2] == '*') != (y[sb[i].len - 2] == '*')) return 0;
        if (x[0] != '{' && (sa[i].len != sb[i].len || memcmp(x, y, sa[i].len) != 0)) return 0;
    }
    return 1;
}

static int conflicts(const ref_route_t *routes, size_t n, const ref_route_t *rt)
{
    for (size_t i = 0; i < n; i++)
        if (routes[i].accepted && (routes[i].methods & rt->methods) && same_shape(routes[i].tmpl, rt->tmpl))
            return 1;
    return 0;
}

/* Adds one template line and checks that check_template agrees with add. */
static void add_line(rl_router_t *r, ref_route_t *routes, size_t id, const uint8_t *line, size_t len)
{
    ref_route_t *rt = &routes[id];
    rt->methods = len > 0 && (line[0] & RL_M_ALL) ? line[0] & RL_M_ALL : RL_M_ALL;
    rt->tmpl = dup_line(line + (len > 0), len - (len > 0));
    rl_err_t err = {0};
    int valid = rl_router_check_template(rt->tmpl, NULL) == 0;
    int rc = rl_router_add(r, rt->tmpl, rt->methods, (int)id, &err);
    rt->accepted = rc == 0;
    if (rc != 0 && (rc != -RL_EBAD_REQUEST || err.code != RL_EBAD_REQUEST)) abort();
    if (!valid && rc == 0) abort();
    if (valid && (rc != 0) != conflicts(routes, id, rt)) abort();
    if (valid && rc != 0 && strstr(err.msg, "already routed") == NULL) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    unsigned method = 1u << (data[0] % 8); /* bit 7: a method no route allows */
    ref_route_t routes[MAX_ROUTES];
    size_t n = 0, start = 1;
    rl_router_t *r = rl_router_new();
    for (size_t i = 1; i < size && n < MAX_ROUTES; i++) {
        if (data[i] != '\n') continue;
        add_line(r, routes, n, data + start, i - start);
        n++;
        start = i + 1;
    }
    if (rl_router_build(r, NULL) != 0) abort();
    const char *path = (const char *)data + start;
    size_t len = size - start;
    rl_route_match_t m;
    rl_route_result_t res = rl_router_match(r, method, path, len, &m);
    check_match(routes, n, method, path, len, &m, res);
    char *tmpl = dup_line(data + start, len);
    check_expand(tmpl, res == RL_ROUTE_FOUND ? &m : NULL);
    free(tmpl);
    rl_router_free(r);
    for (size_t i = 0; i < n; i++)
        free(routes[i].tmpl);
    return 0;
}
