/* test_router.c — unit tests for http/router: matching, params, catch-all,
 * precedence, 404/405, malformed templates, conflicts, expansion and limits.
 * Each test builds a small router from a table and asserts what it answers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/method.h"
#include "http/router.h"

typedef struct spec {
    const char *tmpl;
    unsigned methods;
    int id;
} spec_t;

static rl_router_t *build(const spec_t *specs, size_t n)
{
    rl_router_t *r = rl_router_new();
    assert_non_null(r);
    for (size_t i = 0; i < n; i++) {
        rl_err_t err = {0};
        int rc = rl_router_add(r, specs[i].tmpl, specs[i].methods, specs[i].id, &err);
        if (rc != 0) fail_msg("adding %s: %s", specs[i].tmpl, err.msg);
    }
    assert_int_equal(rl_router_build(r, NULL), 0);
    return r;
}

#define BUILD(specs) build(specs, sizeof(specs) / sizeof(specs[0]))

static rl_route_result_t match(const rl_router_t *r, unsigned method, const char *path, rl_route_match_t *m)
{
    return rl_router_match(r, method, path, strlen(path), m);
}

/* Asserts that `path` is FOUND for `method` and answers route `id`. */
static void expect_route(const rl_router_t *r, unsigned method, const char *path, int id)
{
    rl_route_match_t m;
    rl_route_result_t res = match(r, method, path, &m);
    if (res != RL_ROUTE_FOUND || m.route != id)
        fail_msg("%s: want route %d, got result %d route %d", path, id, (int)res, m.route);
}

static void expect_result(const rl_router_t *r, unsigned method, const char *path, rl_route_result_t want,
                          unsigned allow)
{
    rl_route_match_t m;
    rl_route_result_t res = match(r, method, path, &m);
    if (res != want) fail_msg("%s: want result %d, got %d (route %d)", path, (int)want, (int)res, m.route);
    assert_int_equal(m.route, -1);
    assert_int_equal(m.allow, allow);
    assert_int_equal(m.n_params, 0);
}

/* The value of param `name` in `m` as a string in `buf`, or NULL if absent. */
static const char *param(const rl_route_match_t *m, const char *name, char *buf, size_t cap)
{
    for (size_t i = 0; i < m->n_params; i++) {
        const rl_route_param_t *p = &m->params[i];
        if (p->name_len != strlen(name) || memcmp(p->name, name, p->name_len) != 0) continue;
        snprintf(buf, cap, "%.*s", (int)p->value_len, p->value);
        return buf;
    }
    return NULL;
}

static void expect_param(const rl_route_match_t *m, const char *name, const char *want)
{
    char buf[256];
    const char *got = param(m, name, buf, sizeof(buf));
    if (got == NULL) fail_msg("param %s missing", name);
    assert_string_equal(got, want);
}

/* ---- matching ----------------------------------------------------------- */

static void test_literal_match(void **state)
{
    const spec_t specs[] = {{"/v1/items", RL_M_GET, 1}, {"/v1/users/me", RL_M_GET, 2}};
    rl_router_t *r = BUILD(specs);
    expect_route(r, RL_M_GET, "/v1/items", 1);
    expect_route(r, RL_M_GET, "/v1/users/me", 2);
    expect_result(r, RL_M_GET, "/v1/item", RL_ROUTE_NOT_FOUND, 0);
    expect_result(r, RL_M_GET, "/v1/itemsx", RL_ROUTE_NOT_FOUND, 0);
    expect_result(r, RL_M_GET, "/v1", RL_ROUTE_NOT_FOUND, 0);
    expect_result(r, RL_M_GET, "/V1/items", RL_ROUTE_NOT_FOUND, 0);
    expect_result(r, RL_M_GET, "/v1/users", RL_ROUTE_NOT_FOUND, 0);
    expect_result(r, RL_M_GET, "v1/items", RL_ROUTE_NOT_FOUND, 0);
    expect_result(r, RL_M_GET, "", RL_ROUTE_NOT_FOUND, 0);
    expect_result(r, RL_M_GET, "*", RL_ROUTE_NOT_FOUND, 0);
    rl_router_free(r);
}

static void test_root_matches_only_root(void **state)
{
    const spec_t specs[] = {{"/", RL_M_GET, 1}, {"/a", RL_M_GET, 2}};
    rl_router_t *r = BUILD(specs);
    expect_route(r, RL_M_GET, "/", 1);
    expect_route(r, RL_M_GET, "/a", 2);
    expect_result(r, RL_M_GET, "//", RL_ROUTE_NOT_FOUND, 0);
    expect_result(r, RL_M_GET, "/b", RL_ROUTE_NOT_FOUND, 0);
    expect_result(r, RL_M_GET, "/a/", RL_ROUTE_NOT_FOUND, 0);
    rl_router_free(r);
}

static void test_trailing_slash_is_strict(void **state)
{
    const spec_t specs[] = {{"/v1/items", RL_M_GET, 1}, {"/v1/items/{id}", RL_M_GET, 2}};
    rl_router_t *r = BUILD(specs);
    expect_route(r, RL_M_GET, "/v1/items", 1);
    /* "/v1/items/" has an empty third segment: no literal, no param takes it. */
    expect_result(r, RL_M_GET, "/v1/items/", RL_ROUTE_NOT_FOUND, 0);
    expect_result(r, RL_M_GET, "/v1/items/7/", RL_ROUTE_NOT_FOUND, 0);
    expect_result(r, RL_M_GET, "/v1//items", RL_ROUTE_NOT_FOUND, 0);
    rl_router_free(r);
}

static void test_params(void **state)
{
    const spec_t specs[] = {{"/v1/items/{id}", RL_M_GET, 1}, {"/u/{uid}/posts/{post_id}", RL_M_GET, 2}};
    rl_router_t *r = BUILD(specs);
    rl_route_match_t m;
    assert_int_equal(match(r, RL_M_GET, "/v1/items/42", &m), RL_ROUTE_FOUND);
    assert_int_equal(m.route, 1);
    assert_int_equal(m.n_params, 1);
    expect_param(&m, "id", "42");
    assert_int_equal(match(r, RL_M_GET, "/u/ann/posts/p-9", &m), RL_ROUTE_FOUND);
    assert_int_equal(m.route, 2);
    assert_int_equal(m.n_params, 2);
    /* Params come in template order. */
    assert_int_equal(m.params[0].name_len, 3);
    assert_memory_equal(m.params[0].name, "uid", 3);
    expect_param(&m, "uid", "ann");
    expect_param(&m, "post_id", "p-9");
    expect_result(r, RL_M_GET, "/v1/items/42/x", RL_ROUTE_NOT_FOUND, 0);
    expect_result(r, RL_M_GET, "/u//posts/p", RL_ROUTE_NOT_FOUND, 0);
    rl_router_free(r);
}

static void test_param_values_point_into_path(void **state)
{
    const spec_t specs[] = {{"/a/{x}/{rest*}", RL_M_GET, 1}};
    rl_router_t *r = BUILD(specs);
    const char path[] = "/a/bb/c/d";
    rl_route_match_t m;
    assert_int_equal(rl_router_match(r, RL_M_GET, path, strlen(path), &m), RL_ROUTE_FOUND);
    assert_ptr_equal(m.params[0].value, path + 3);
    assert_int_equal(m.params[0].value_len, 2);
    assert_ptr_equal(m.params[1].value, path + 6);
    assert_int_equal(m.params[1].value_len, 3);
    rl_router_free(r);
}

static void test_catch_all(void **state)
{
    const spec_t specs[] = {{"/files/{rest*}", RL_M_GET, 1}, {"/b/{bucket}/{key*}", RL_M_GET, 2}};
    rl_router_t *r = BUILD(specs);
    rl_route_match_t m;
    const struct {
        const char *path, *rest;
    } cases[] = {{"/files/a/b", "a/b"}, {"/files", ""},      {"/files/", ""},
                 {"/files/a", "a"},     {"/files/a/", "a/"}, {"/files//x", "/x"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(match(r, RL_M_GET, cases[i].path, &m), RL_ROUTE_FOUND);
        assert_int_equal(m.route, 1);
        assert_int_equal(m.n_params, 1);
        expect_param(&m, "rest", cases[i].rest);
    }
    expect_result(r, RL_M_GET, "/filesx", RL_ROUTE_NOT_FOUND, 0);
    assert_int_equal(match(r, RL_M_GET, "/b/pics/2024/cat.png", &m), RL_ROUTE_FOUND);
    assert_int_equal(m.route, 2);
    expect_param(&m, "bucket", "pics");
    expect_param(&m, "key", "2024/cat.png");
    assert_int_equal(match(r, RL_M_GET, "/b/pics", &m), RL_ROUTE_FOUND);
    expect_param(&m, "key", "");
    expect_result(r, RL_M_GET, "/b", RL_ROUTE_NOT_FOUND, 0);
    rl_router_free(r);
}

static void test_root_catch_all(void **state)
{
    const spec_t specs[] = {{"/{all*}", RL_M_ALL, 1}};
    rl_router_t *r = BUILD(specs);
    rl_route_match_t m;
    assert_int_equal(match(r, RL_M_GET, "/", &m), RL_ROUTE_FOUND);
    expect_param(&m, "all", "");
    assert_int_equal(match(r, RL_M_DELETE, "/x/y/", &m), RL_ROUTE_FOUND);
    expect_param(&m, "all", "x/y/");
    assert_int_equal(match(r, RL_M_GET, "//", &m), RL_ROUTE_FOUND);
    expect_param(&m, "all", "/");
    expect_result(r, RL_M_GET, "nope", RL_ROUTE_NOT_FOUND, 0);
    rl_router_free(r);
}

/* ---- precedence --------------------------------------------------------- */

static void test_precedence_first_segment(void **state)
{
    const spec_t specs[] = {{"/{rest*}", RL_M_GET, 3}, {"/{x}", RL_M_GET, 2}, {"/a", RL_M_GET, 1}};
    rl_router_t *r = BUILD(specs);
    expect_route(r, RL_M_GET, "/a", 1);
    expect_route(r, RL_M_GET, "/b", 2);
    expect_route(r, RL_M_GET, "/a/b", 3);
    expect_route(r, RL_M_GET, "/", 3);
    rl_router_free(r);
}

static void test_precedence_deeper_segments(void **state)
{
    const spec_t specs[] = {
        {"/a/{x}/c", RL_M_GET, 1},    {"/{y}/b/c", RL_M_GET, 2},     {"/a/{x}/d", RL_M_GET, 3},
        {"/{y}/b/d/e", RL_M_GET, 4},  {"/a/b/{rest*}", RL_M_GET, 5}, {"/a/{x}/{rest*}", RL_M_GET, 6},
        {"/k/{x}/z", RL_M_GET, 7},    {"/k/{x}/{y}", RL_M_GET, 8},   {"/k/{rest*}", RL_M_GET, 9},
        {"/k/lit/{y}", RL_M_GET, 10},
    };
    rl_router_t *r = BUILD(specs);
    /* Depth 2 decides: literal "b" (route 5) beats {x} (routes 1, 6), even
     * though route 1 has a literal at depth 3 where 5 has a catch-all. */
    expect_route(r, RL_M_GET, "/a/b/c", 5);
    expect_route(r, RL_M_GET, "/a/b/d", 5);
    /* Depth 3 decides: literal "c" (1) or "d" (3) beats the catch-all (6). */
    expect_route(r, RL_M_GET, "/a/z/c", 1);
    expect_route(r, RL_M_GET, "/a/z/d", 3);
    expect_route(r, RL_M_GET, "/a/z/q", 6);
    /* No "/a/..." template takes these, so the walk backtracks to {y}. */
    expect_route(r, RL_M_GET, "/q/b/c", 2);
    expect_route(r, RL_M_GET, "/x/b/d/e", 4);
    /* Depth 1 decides: route 4 matches via {y}, route 5 via literal "a". */
    expect_route(r, RL_M_GET, "/a/b/d/e", 5);
    expect_result(r, RL_M_GET, "/q/z/c", RL_ROUTE_NOT_FOUND, 0);
    expect_route(r, RL_M_GET, "/k/lit/z", 10);
    expect_route(r, RL_M_GET, "/k/o/z", 7);
    expect_route(r, RL_M_GET, "/k/o/p", 8);
    expect_route(r, RL_M_GET, "/k/o", 9);
    expect_route(r, RL_M_GET, "/k/o/p/q", 9);
    rl_router_free(r);
}

static void test_end_beats_catch_all(void **state)
{
    const spec_t specs[] = {{"/files/{rest*}", RL_M_GET, 2}, {"/files", RL_M_GET, 1}};
    rl_router_t *r = BUILD(specs);
    expect_route(r, RL_M_GET, "/files", 1);
    expect_route(r, RL_M_GET, "/files/", 2);
    expect_route(r, RL_M_GET, "/files/x", 2);
    rl_router_free(r);
}

static void test_not_found(void **state)
{
    const spec_t specs[] = {{"/a/{x}", RL_M_GET, 1}, {"/b/{rest*}", RL_M_GET, 2}};
    rl_router_t *r = BUILD(specs);
    expect_result(r, RL_M_GET, "/a", RL_ROUTE_NOT_FOUND, 0);
    expect_result(r, RL_M_GET, "/a/1/2", RL_ROUTE_NOT_FOUND, 0);
    expect_result(r, RL_M_GET, "/c", RL_ROUTE_NOT_FOUND, 0);
    expect_result(r, RL_M_POST, "/c", RL_ROUTE_NOT_FOUND, 0);
    rl_router_free(r);
}

static void test_method_not_allowed_unions_methods(void **state)
{
    const spec_t specs[] = {
        {"/a/b", RL_M_GET | RL_M_HEAD, 1},
        {"/a/{x}", RL_M_PUT, 2},
        {"/a/{rest*}", RL_M_POST, 3},
        {"/z", RL_M_PATCH, 4},
    };
    rl_router_t *r = BUILD(specs);
    expect_result(r, RL_M_DELETE, "/a/b", RL_ROUTE_METHOD_NOT_ALLOWED,
                  RL_M_GET | RL_M_HEAD | RL_M_PUT | RL_M_POST);
    expect_result(r, RL_M_DELETE, "/a/c", RL_ROUTE_METHOD_NOT_ALLOWED, RL_M_PUT | RL_M_POST);
    expect_result(r, RL_M_DELETE, "/a/b/c", RL_ROUTE_METHOD_NOT_ALLOWED, RL_M_POST);
    expect_result(r, RL_M_GET, "/z", RL_ROUTE_METHOD_NOT_ALLOWED, RL_M_PATCH);
    /* An unknown method (bit 0) is allowed by no route, not even RL_M_ALL. */
    expect_result(r, 0, "/a/b", RL_ROUTE_METHOD_NOT_ALLOWED, RL_M_GET | RL_M_HEAD | RL_M_PUT | RL_M_POST);
    rl_router_free(r);
}

static void test_method_falls_back_to_less_specific_route(void **state)
{
    const spec_t specs[] = {
        {"/a/b", RL_M_GET, 1},
        {"/a/{x}", RL_M_PUT, 2},
        {"/a/{rest*}", RL_M_POST, 3},
        {"/{any*}", RL_M_DELETE, 4},
    };
    rl_router_t *r = BUILD(specs);
    rl_route_match_t m;
    expect_route(r, RL_M_GET, "/a/b", 1);
    assert_int_equal(match(r, RL_M_PUT, "/a/b", &m), RL_ROUTE_FOUND);
    assert_int_equal(m.route, 2);
    expect_param(&m, "x", "b");
    assert_int_equal(match(r, RL_M_POST, "/a/b", &m), RL_ROUTE_FOUND);
    assert_int_equal(m.route, 3);
    assert_int_equal(m.n_params, 1);
    expect_param(&m, "rest", "b");
    assert_int_equal(match(r, RL_M_DELETE, "/a/b", &m), RL_ROUTE_FOUND);
    assert_int_equal(m.route, 4);
    assert_int_equal(m.n_params, 1);
    expect_param(&m, "any", "a/b");
    rl_router_free(r);
}

static void test_same_shape_keeps_each_routes_names(void **state)
{
    const spec_t specs[] = {{"/a/{x}/{tail*}", RL_M_GET, 1}, {"/a/{y}/{rest*}", RL_M_PUT | RL_M_PATCH, 2}};
    rl_router_t *r = BUILD(specs);
    rl_route_match_t m;
    char buf[32];
    assert_int_equal(match(r, RL_M_GET, "/a/1/2", &m), RL_ROUTE_FOUND);
    assert_int_equal(m.route, 1);
    expect_param(&m, "x", "1");
    expect_param(&m, "tail", "2");
    assert_null(param(&m, "y", buf, sizeof(buf)));
    assert_int_equal(match(r, RL_M_PATCH, "/a/1/2", &m), RL_ROUTE_FOUND);
    assert_int_equal(m.route, 2);
    expect_param(&m, "y", "1");
    expect_param(&m, "rest", "2");
    assert_null(param(&m, "x", buf, sizeof(buf)));
    expect_result(r, RL_M_DELETE, "/a/1/2", RL_ROUTE_METHOD_NOT_ALLOWED, RL_M_GET | RL_M_PUT | RL_M_PATCH);
    rl_router_free(r);
}

/* ---- building errors ---------------------------------------------------- */

static void expect_bad_template(const char *tmpl, const char *why)
{
    rl_err_t err = {0};
    int rc = rl_router_check_template(tmpl, &err);
    if (rc != -RL_EBAD_REQUEST) fail_msg("%s: accepted (rc %d)", tmpl ? tmpl : "NULL", rc);
    assert_int_equal(err.code, RL_EBAD_REQUEST);
    if (strstr(err.msg, why) == NULL) fail_msg("%s: message \"%s\" lacks \"%s\"", tmpl, err.msg, why);
    rl_router_t *r = rl_router_new();
    memset(&err, 0, sizeof(err));
    assert_int_equal(rl_router_add(r, tmpl, RL_M_GET, 1, &err), -RL_EBAD_REQUEST);
    assert_non_null(strstr(err.msg, why));
    rl_router_free(r);
}

static char *repeat(const char *prefix, const char *unit, int n, const char *suffix)
{
    size_t len = strlen(prefix) + strlen(unit) * (size_t)n + strlen(suffix) + 1;
    char *s = malloc(len);
    assert_non_null(s);
    strcpy(s, prefix);
    for (int i = 0; i < n; i++)
        strcat(s, unit);
    strcat(s, suffix);
    return s;
}

/* "/{p0}/{p1}/…" with n params, the last one `{p…*}` if `rest`. */
static char *params_template(int n, int rest)
{
    char *s = calloc(1, (size_t)n * 8 + 2);
    assert_non_null(s);
    for (int i = 0; i < n; i++)
        sprintf(s + strlen(s), "/{p%d%s}", i, rest && i == n - 1 ? "*" : "");
    return s;
}

static void test_malformed_templates(void **state)
{
    const struct {
        const char *tmpl, *why;
    } cases[] = {
        {"", "must start with '/'"},
        {"a/b", "must start with '/'"},
        {"//", "empty segment"},
        {"/a/", "empty segment"},
        {"/a//b", "empty segment"},
        {"/{", "whole segment"},
        {"/{a", "whole segment"},
        {"/a{b}", "whole segment"},
        {"/{a}b", "whole segment"},
        {"/a}", "whole segment"},
        {"/{}", "bad param name"},
        {"/{*}", "bad param name"},
        {"/{1x}", "bad param name"},
        {"/{a-b}", "bad param name"},
        {"/{a**}", "bad param name"},
        {"/{a b}", "bad param name"},
        {"/{rest*}/x", "must be the last segment"},
        {"/{rest*}/", "must be the last segment"},
        {"/{a}/{a}", "appears twice"},
        {"/{a}/{a*}", "appears twice"},
        {"/a b", "byte 0x20"},
        {"/a?b", "byte 0x3f"},
        {"/a#b", "byte 0x23"},
        {"/a\tb", "byte 0x09"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_bad_template(cases[i].tmpl, cases[i].why);
    expect_bad_template(NULL, "missing");

    char *s = params_template(RL_ROUTER_MAX_PARAMS + 1, 0);
    expect_bad_template(s, "more than 16 params");
    free(s);
    s = params_template(RL_ROUTER_MAX_PARAMS + 1, 1);
    expect_bad_template(s, "more than 16 params");
    free(s);
    s = repeat("/", "x", 257, "");
    expect_bad_template(s, "segment longer than 256");
    free(s);
    s = repeat("", "/x", 129, "");
    expect_bad_template(s, "more than 128 segments");
    free(s);
    s = repeat("", "/xxxxxxx", 257, "");
    expect_bad_template(s, "longer than 2048 bytes");
    free(s);
}

static void test_valid_template_limits(void **state)
{
    const char *ok[] = {"/", "/{rest*}", "/_a9/{_}/{B_2*}", "/caf%C3%A9", "/a.b/~c/d-e/f:g/@h", "/\xc3\xa9"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        assert_int_equal(rl_router_check_template(ok[i], NULL), 0);
    char *s = params_template(RL_ROUTER_MAX_PARAMS, 1);
    assert_int_equal(rl_router_check_template(s, NULL), 0);
    free(s);
    s = repeat("/", "x", 256, "");
    assert_int_equal(rl_router_check_template(s, NULL), 0);
    free(s);
    s = repeat("", "/x", 128, "");
    assert_int_equal(rl_router_check_template(s, NULL), 0);
    free(s);
}

static void test_max_params_all_returned(void **state)
{
    char *tmpl = params_template(RL_ROUTER_MAX_PARAMS, 1);
    rl_router_t *r = rl_router_new();
    assert_int_equal(rl_router_add(r, tmpl, RL_M_GET, 7, NULL), 0);
    assert_int_equal(rl_router_build(r, NULL), 0);
    rl_route_match_t m;
    assert_int_equal(match(r, RL_M_GET, "/0/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17", &m), RL_ROUTE_FOUND);
    assert_int_equal(m.n_params, RL_ROUTER_MAX_PARAMS);
    expect_param(&m, "p0", "0");
    expect_param(&m, "p14", "14");
    expect_param(&m, "p15", "15/16/17");
    rl_router_free(r);
    free(tmpl);
}

static void expect_conflict(rl_router_t *r, const char *tmpl, unsigned methods, const char *why)
{
    rl_err_t err = {0};
    assert_int_equal(rl_router_add(r, tmpl, methods, 99, &err), -RL_EBAD_REQUEST);
    assert_int_equal(err.code, RL_EBAD_REQUEST);
    if (strstr(err.msg, why) == NULL) fail_msg("%s: message \"%s\" lacks \"%s\"", tmpl, err.msg, why);
}

static void test_conflicts(void **state)
{
    rl_router_t *r = rl_router_new();
    assert_int_equal(rl_router_add(r, "/a/{x}", RL_M_GET | RL_M_PUT, 1, NULL), 0);
    assert_int_equal(rl_router_add(r, "/a/{rest*}", RL_M_GET, 2, NULL), 0);
    assert_int_equal(rl_router_add(r, "/a", RL_M_ALL, 3, NULL), 0);
    expect_conflict(r, "/a/{x}", RL_M_GET, "GET already routed by \"/a/{x}\" (route 1)");
    expect_conflict(r, "/a/{y}", RL_M_PUT | RL_M_POST, "PUT already routed");
    expect_conflict(r, "/a/{r*}", RL_M_GET, "GET already routed by \"/a/{rest*}\"");
    expect_conflict(r, "/a", RL_M_DELETE, "DELETE already routed");
    /* Disjoint methods on the same shape are fine. */
    assert_int_equal(rl_router_add(r, "/a/{y}", RL_M_POST, 4, NULL), 0);
    rl_err_t err = {0};
    assert_int_equal(rl_router_add(r, "/a/b", 0, 5, &err), -RL_EBAD_REQUEST);
    assert_non_null(strstr(err.msg, "method set"));
    assert_int_equal(rl_router_add(r, "/a/b", RL_M_ALL + 1, 5, &err), -RL_EBAD_REQUEST);
    assert_int_equal(rl_router_build(r, NULL), 0);
    /* Failed adds left nothing behind. */
    expect_route(r, RL_M_GET, "/a/1", 1);
    expect_route(r, RL_M_POST, "/a/1", 4);
    expect_route(r, RL_M_DELETE, "/a", 3);
    expect_route(r, RL_M_GET, "/a/b/c", 2);
    expect_route(r, RL_M_GET, "/a/b", 1);
    rl_router_free(r);
}

static void test_lifecycle_errors(void **state)
{
    rl_router_t *r = rl_router_new();
    rl_route_match_t m;
    assert_int_equal(rl_router_add(r, "/a", RL_M_GET, 1, NULL), 0);
    /* Not built yet: nothing matches. */
    assert_int_equal(match(r, RL_M_GET, "/a", &m), RL_ROUTE_NOT_FOUND);
    assert_int_equal(rl_router_build(r, NULL), 0);
    rl_err_t err = {0};
    assert_int_equal(rl_router_add(r, "/b", RL_M_GET, 2, &err), -RL_EINTERNAL);
    assert_non_null(strstr(err.msg, "already built"));
    assert_int_equal(rl_router_build(r, &err), -RL_EINTERNAL);
    expect_route(r, RL_M_GET, "/a", 1);
    expect_result(r, RL_M_GET, "/b", RL_ROUTE_NOT_FOUND, 0);
    rl_router_free(r);
    rl_router_free(NULL);

    r = rl_router_new();
    assert_int_equal(rl_router_build(r, NULL), 0);
    expect_result(r, RL_M_GET, "/", RL_ROUTE_NOT_FOUND, 0);
    rl_router_free(r);
}

/* ---- raw bytes and size ------------------------------------------------- */

static void test_percent_encoded_segments_are_raw(void **state)
{
    const spec_t specs[] = {{"/files/{name}", RL_M_GET, 1}, {"/caf%C3%A9", RL_M_GET, 2}};
    rl_router_t *r = BUILD(specs);
    rl_route_match_t m;
    assert_int_equal(match(r, RL_M_GET, "/files/a%2Fb", &m), RL_ROUTE_FOUND);
    expect_param(&m, "name", "a%2Fb");
    expect_route(r, RL_M_GET, "/caf%C3%A9", 2);
    expect_result(r, RL_M_GET, "/caf%c3%a9", RL_ROUTE_NOT_FOUND, 0);
    expect_result(r, RL_M_GET, "/caf\xc3\xa9", RL_ROUTE_NOT_FOUND, 0);
    expect_result(r, RL_M_GET, "/files%2Fx", RL_ROUTE_NOT_FOUND, 0);
    rl_router_free(r);
}

static void test_path_bytes_are_not_strings(void **state)
{
    const spec_t specs[] = {{"/{x}", RL_M_GET, 1}, {"/a", RL_M_GET, 2}};
    rl_router_t *r = BUILD(specs);
    rl_route_match_t m;
    assert_int_equal(rl_router_match(r, RL_M_GET, "/a\0b", 4, &m), RL_ROUTE_FOUND);
    assert_int_equal(m.route, 1);
    assert_int_equal(m.params[0].value_len, 3);
    /* `len` bounds the path: the trailing bytes are not looked at. */
    assert_int_equal(rl_router_match(r, RL_M_GET, "/a/zzz", 2, &m), RL_ROUTE_FOUND);
    assert_int_equal(m.route, 2);
    rl_router_free(r);
}

static void test_long_paths(void **state)
{
    const spec_t specs[] = {{"/a/{x}", RL_M_GET, 1}, {"/r/{rest*}", RL_M_GET, 2}, {"/a/b", RL_M_GET, 3}};
    rl_router_t *r = BUILD(specs);
    rl_route_match_t m;
    size_t big = 1u << 20;
    char *path = malloc(big + 8);
    assert_non_null(path);
    /* One 1 MiB segment: a param takes it whole. */
    memcpy(path, "/a/", 3);
    memset(path + 3, 'b', big);
    assert_int_equal(rl_router_match(r, RL_M_GET, path, big + 3, &m), RL_ROUTE_FOUND);
    assert_int_equal(m.route, 1);
    assert_int_equal(m.params[0].value_len, big);
    /* 512 Ki segments: too deep for any template but the catch-all. */
    for (size_t i = 0; i < big; i += 2)
        memcpy(path + 2 + i, "/b", 2);
    path[1] = 'r';
    assert_int_equal(rl_router_match(r, RL_M_GET, path, big + 2, &m), RL_ROUTE_FOUND);
    assert_int_equal(m.route, 2);
    assert_int_equal(m.params[0].value_len, big - 1);
    path[1] = 'a';
    assert_int_equal(rl_router_match(r, RL_M_GET, path, big + 2, &m), RL_ROUTE_NOT_FOUND);
    free(path);
    rl_router_free(r);
}

static void test_many_literal_children(void **state)
{
    rl_router_t *r = rl_router_new();
    char tmpl[64];
    for (int i = 0; i < 200; i++) {
        snprintf(tmpl, sizeof(tmpl), "/r%d", i);
        assert_int_equal(rl_router_add(r, tmpl, RL_M_GET, i, NULL), 0);
        snprintf(tmpl, sizeof(tmpl), "/deep/r%d/x", i);
        assert_int_equal(rl_router_add(r, tmpl, RL_M_GET, 1000 + i, NULL), 0);
    }
    assert_int_equal(rl_router_add(r, "/{other}", RL_M_GET, 999, NULL), 0);
    assert_int_equal(rl_router_build(r, NULL), 0);
    for (int i = 0; i < 200; i++) {
        snprintf(tmpl, sizeof(tmpl), "/r%d", i);
        expect_route(r, RL_M_GET, tmpl, i);
        snprintf(tmpl, sizeof(tmpl), "/deep/r%d/x", i);
        expect_route(r, RL_M_GET, tmpl, 1000 + i);
    }
    expect_route(r, RL_M_GET, "/r200", 999);
    expect_route(r, RL_M_GET, "/r", 999);
    expect_result(r, RL_M_GET, "/deep/r200/x", RL_ROUTE_NOT_FOUND, 0);
    expect_result(r, RL_M_GET, "/deep/r1/y", RL_ROUTE_NOT_FOUND, 0);
    rl_router_free(r);
}

/* ---- expand ------------------------------------------------------------- */

static void test_expand(void **state)
{
    const spec_t specs[] = {{"/things/{id}/{rest*}", RL_M_GET, 1}};
    rl_router_t *r = BUILD(specs);
    rl_route_match_t m;
    char out[64];
    assert_int_equal(match(r, RL_M_GET, "/things/7/a/b%20c", &m), RL_ROUTE_FOUND);
    assert_int_equal(rl_router_expand("/v2/things/{id}/{rest*}", &m, out, sizeof(out)), 20);
    assert_string_equal(out, "/v2/things/7/a/b%20c");
    /* `{rest}` and `{rest*}` name the same param; an unknown name is empty. */
    assert_int_equal(rl_router_expand("/x/{rest}/{nope}/{id}{id}", &m, out, sizeof(out)), 14);
    assert_string_equal(out, "/x/a/b%20c//77");
    /* Braces that are not a placeholder are copied. */
    rl_router_expand("/{1}/{id/{ }/{id}}/{", &m, out, sizeof(out));
    assert_string_equal(out, "/{1}/{id/{ }/7}/{");
    assert_int_equal(rl_router_expand("/static", NULL, out, sizeof(out)), 7);
    assert_string_equal(out, "/static");
    assert_int_equal(rl_router_expand("/a/{id}", NULL, out, sizeof(out)), 3);
    assert_string_equal(out, "/a/");
    assert_int_equal(rl_router_expand("", &m, out, sizeof(out)), 0);
    assert_string_equal(out, "");
    /* An empty catch-all leaves the slash before it. */
    assert_int_equal(match(r, RL_M_GET, "/things/7", &m), RL_ROUTE_FOUND);
    assert_int_equal(rl_router_expand("/v2/{id}/{rest*}", &m, out, sizeof(out)), 6);
    assert_string_equal(out, "/v2/7/");
    rl_router_free(r);
}

static void test_expand_overflow(void **state)
{
    const spec_t specs[] = {{"/t/{id}", RL_M_GET, 1}};
    rl_router_t *r = BUILD(specs);
    rl_route_match_t m;
    char out[16];
    assert_int_equal(match(r, RL_M_GET, "/t/12345", &m), RL_ROUTE_FOUND);
    /* "/v/12345" is 8 bytes: it needs 9 with the NUL. */
    assert_int_equal(rl_router_expand("/v/{id}", &m, out, 9), 8);
    assert_string_equal(out, "/v/12345");
    assert_int_equal(rl_router_expand("/v/{id}", &m, out, 8), -1);
    assert_int_equal(rl_router_expand("/v/{id}", &m, out, 3), -1);
    assert_int_equal(rl_router_expand("/v/{id}", &m, out, 0), -1);
    assert_int_equal(rl_router_expand("/literal-longer-than-16", &m, out, sizeof(out)), -1);
    assert_int_equal(rl_router_expand("", &m, out, 1), 0);
    assert_int_equal(rl_router_expand(NULL, &m, out, sizeof(out)), -1);
    rl_router_free(r);
}

/* ---- concurrency -------------------------------------------------------- */

typedef struct reader {
    const rl_router_t *r;
    int bad;
} reader_t;

static void *read_loop(void *arg)
{
    reader_t *rd = arg;
    char path[32];
    for (int i = 0; i < 20000; i++) {
        rl_route_match_t m;
        snprintf(path, sizeof(path), "/r%d/%d", i % 50, i);
        if (rl_router_match(rd->r, RL_M_GET, path, strlen(path), &m) != RL_ROUTE_FOUND || m.route != i % 50 ||
            m.params[0].value_len != strlen(path) - (size_t)(strchr(path + 1, '/') - path) - 1)
            rd->bad++;
    }
    return NULL;
}

static void test_concurrent_readers(void **state)
{
    rl_router_t *r = rl_router_new();
    char tmpl[32];
    for (int i = 0; i < 50; i++) {
        snprintf(tmpl, sizeof(tmpl), "/r%d/{n}", i);
        assert_int_equal(rl_router_add(r, tmpl, RL_M_GET, i, NULL), 0);
    }
    assert_int_equal(rl_router_build(r, NULL), 0);
    pthread_t t[4];
    reader_t rd[4];
    for (int i = 0; i < 4; i++) {
        rd[i] = (reader_t){r, 0};
        assert_int_equal(pthread_create(&t[i], NULL, read_loop, &rd[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(rd[i].bad, 0);
    }
    rl_router_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literal_match),
        cmocka_unit_test(test_root_matches_only_root),
        cmocka_unit_test(test_trailing_slash_is_strict),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_param_values_point_into_path),
        cmocka_unit_test(test_catch_all),
        cmocka_unit_test(test_root_catch_all),
        cmocka_unit_test(test_precedence_first_segment),
        cmocka_unit_test(test_precedence_deeper_segments),
        cmocka_unit_test(test_end_beats_catch_all),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_method_not_allowed_unions_methods),
        cmocka_unit_test(test_method_falls_back_to_less_specific_route),
        cmocka_unit_test(test_same_shape_keeps_each_routes_names),
        cmocka_unit_test(test_malformed_templates),
        cmocka_unit_test(test_valid_template_limits),
        cmocka_unit_test(test_max_params_all_returned),
        cmocka_unit_test(test_conflicts),
        cmocka_unit_test(test_lifecycle_errors),
        cmocka_unit_test(test_percent_encoded_segments_are_raw),
        cmocka_unit_test(test_path_bytes_are_not_strings),
        cmocka_unit_test(test_long_paths),
        cmocka_unit_test(test_many_literal_children),
        cmocka_unit_test(test_expand),
        cmocka_unit_test(test_expand_overflow),
        cmocka_unit_test(test_concurrent_readers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
