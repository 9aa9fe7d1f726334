/* test_mock.c — mock fixtures: loading (format errors), matching by method,
 * path template, query and body, precedence (specificity, file over
 * built-in), Prefer example/code (and synthesized errors), the Prefer parser,
 * templates, SSE fixtures, the fault-injection draw, and record mode's
 * redaction round trip. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/method.h"
#include "upstream/mock.h"

/* ---- helpers ------------------------------------------------------------- */

static void load(rl_mock_set_t *s, const char *json, rl_mock_source_t src)
{
    rl_err_t err = {0};
    if (rl_mock_parse(s, json, strlen(json), "t.json", src, &err) != 0) fail_msg("parse failed: %s", err.msg);
}

static void load_bad(const char *json, const char *part)
{
    rl_mock_set_t s = RL_MOCK_SET_INIT;
    rl_err_t err = {0};
    if (rl_mock_parse(&s, json, strlen(json), "t.json", RL_MOCK_FILE, &err) == 0)
        fail_msg("parse succeeded but should fail: %s", json);
    assert_int_equal(s.n, 0);
    if (strstr(err.msg, part) == NULL) fail_msg("error \"%s\" does not contain \"%s\"", err.msg, part);
    rl_mock_set_clear(&s);
}

static rl_mock_req_t req(unsigned method, const char *path, const char *query, const char *body,
                         const char *prefer)
{
    rl_mock_req_t r = {.method = method, .path = path, .path_len = strlen(path)};
    if (query) r.query = query, r.query_len = strlen(query);
    if (body) r.body = body, r.body_len = strlen(body);
    if (prefer) r.prefer = prefer, r.prefer_len = strlen(prefer);
    return r;
}

/* The name of the fixture that answers, or "<none>" / "<synth NNN>". */
static const char *winner(const rl_mock_set_t *s, rl_mock_req_t r)
{
    static char buf[64];
    rl_mock_match_t m;
    rl_mock_result_t res = rl_mock_match(s, &r, &m);
    if (res == RL_MOCK_NO_MATCH) return "<none>";
    if (res == RL_MOCK_SYNTHESIZED) {
        snprintf(buf, sizeof(buf), "<synth %d>", m.status);
        return buf;
    }
    return m.fixture->name;
}

static const char *SET =
    "["
    "{\"name\":\"list\",\"match\":{\"method\":\"GET\",\"path\":\"/v1/items\"},"
    " \"response\":{\"body\":{\"data\":[]}}},"
    "{\"name\":\"item\",\"match\":{\"method\":\"GET\",\"path\":\"/v1/items/{id}\"},"
    " \"response\":{\"body\":{\"id\":\"{{path.id}}\",\"at\":\"{{now}}\"}}},"
    "{\"name\":\"new\",\"match\":{\"method\":\"GET\",\"path\":\"/v1/items/new\"},"
    " \"response\":{\"body\":\"new\"}},"
    "{\"name\":\"catch\",\"match\":{\"path\":\"/v1/{rest*}\"},\"response\":{\"status\":404}},"
    "{\"name\":\"limited\",\"match\":{\"method\":\"GET\",\"path\":\"/v1/items\","
    "  \"query\":{\"limit\":\"2\"}},\"response\":{\"body\":{\"data\":[1,2]}}},"
    "{\"name\":\"search\",\"match\":{\"method\":\"GET\",\"path\":\"/v1/items\","
    "  \"query\":{\"limit\":2,\"q\":\"a b\"}},\"response\":{\"body\":{}}},"
    "{\"name\":\"chat\",\"match\":{\"method\":\"POST\",\"path\":\"/v1/chat\"},"
    " \"response\":{\"body\":{\"model\":\"{{body.model}}\"}}},"
    "{\"name\":\"stream\",\"match\":{\"method\":\"POST\",\"path\":\"/v1/chat\","
    "  \"body\":{\"stream\":true}},"
    " \"response\":{\"sse\":{\"events\":[\"data: {\\\"a\\\":1}\","
    "   {\"event\":\"done\",\"data\":{\"model\":\"{{body.model}}\"}},\"data: [DONE]\"],"
    "   \"interval\":\"50ms\"}}},"
    "{\"name\":\"gpt4\",\"match\":{\"method\":\"POST\",\"path\":\"/v1/chat\","
    "  \"body\":{\"model\":\"gpt-4o\",\"messages.0.role\":\"system\"}},"
    " \"response\":{\"body\":{}}},"
    "{\"name\":\"rate_limited\",\"match\":{\"method\":\"POST\",\"path\":\"/v1/chat\"},"
    " \"response\":{\"status\":429,\"headers\":{\"Retry-After\":\"20\"},"
    "  \"body\":{\"error\":{\"type\":\"rate_limit\"}}}}"
    "]";

/* ---- loading ------------------------------------------------------------- */

static void test_parse_model(void **state)
{
    (void)state;
    rl_mock_set_t s = RL_MOCK_SET_INIT;
    load(&s, SET, RL_MOCK_BUILTIN);
    assert_int_equal(s.n, 10);
    const rl_mock_fixture_t *f = &s.items[1];
    assert_string_equal(f->name, "item");
    assert_int_equal(f->method, RL_M_GET);
    assert_string_equal(f->path, "/v1/items/{id}");
    assert_int_equal(f->status, 200);
    assert_string_equal(f->headers[0].name, "content-type");
    assert_string_equal(f->headers[0].value, "application/json");
    assert_string_equal(s.items[2].headers[0].value, "text/plain; charset=utf-8");
    assert_string_equal(s.items[2].body, "new");
    assert_int_equal(s.items[3].method, RL_M_ALL);
    assert_int_equal(s.items[3].n_headers, 0); /* no body, no content-type */
    assert_int_equal(s.items[5].n_query, 2);
    assert_string_equal(s.items[5].query[0].value, "2"); /* a number becomes its text */
    const rl_mock_fixture_t *sse = &s.items[7];
    assert_true(sse->sse);
    assert_int_equal(sse->n_events, 3);
    assert_int_equal(sse->interval_ms, 50);
    assert_string_equal(sse->events[1], "event: done\ndata: {\"model\":\"{{body.model}}\"}");
    assert_string_equal(sse->headers[0].value, "text/event-stream");
    assert_string_equal(sse->headers[1].name, "cache-control");
    assert_string_equal(s.items[9].headers[0].name, "retry-after"); /* lower-cased */
    rl_mock_set_clear(&s);
    assert_int_equal(s.n, 0);
}

static void test_parse_single_object_and_defaults(void **state)
{
    (void)state;
    rl_mock_set_t s = RL_MOCK_SET_INIT;
    load(&s, "{\"match\":{\"path\":\"/\"},\"response\":{}}", RL_MOCK_FILE);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.items[0].name, "default");
    assert_string_equal(s.items[0].origin, "t.json[0]");
    assert_int_equal(s.items[0].source, RL_MOCK_FILE);
    assert_string_equal(winner(&s, req(RL_M_DELETE, "/", NULL, NULL, NULL)), "default");
    rl_mock_set_clear(&s);
    /* an empty array is a file with no fixtures, first or not (fuzz_mock_fixture) */
    load(&s, "[]", RL_MOCK_FILE);
    assert_int_equal(s.n, 0);
    load(&s, "{\"match\":{\"path\":\"/\"},\"response\":{}}", RL_MOCK_FILE);
    load(&s, "[]", RL_MOCK_FILE);
    assert_int_equal(s.n, 1);
    rl_mock_set_clear(&s);
}

static void test_parse_errors(void **state)
{
    (void)state;
    load_bad("{", "invalid JSON");
    load_bad("[1]", "t.json[0]: expected a fixture object");
    load_bad("{\"match\":{\"path\":\"/\"},\"response\":{},\"extra\":1}", "unknown key 'extra'");
    load_bad("{\"match\":{\"path\":\"/\",\"headers\":{}},\"response\":{}}", "unknown key 'match.headers'");
    load_bad("{\"response\":{}}", "match: required");
    load_bad("{\"match\":{},\"response\":{}}", "match.path: required");
    load_bad("{\"match\":{\"path\":\"x\"},\"response\":{}}", "must start with '/'");
    load_bad("{\"match\":{\"path\":\"/a/{rest*}/b\"},\"response\":{}}", "match.path:");
    load_bad("{\"match\":{\"path\":\"/\",\"method\":\"get\"},\"response\":{}}", "unknown method 'get'");
    load_bad("{\"match\":{\"path\":\"/\"}}", "response: required");
    load_bad("{\"match\":{\"path\":\"/\"},\"response\":{\"status\":99}}", "response.status");
    load_bad("{\"match\":{\"path\":\"/\"},\"response\":{\"status\":\"200\"}}", "response.status");
    load_bad("{\"match\":{\"path\":\"/\"},\"response\":{\"body\":1,\"sse\":{}}}", "exclude each other");
    load_bad("{\"match\":{\"path\":\"/\"},\"response\":{\"sse\":{\"events\":[]}}}", "response.sse.events");
    load_bad("{\"match\":{\"path\":\"/\"},\"response\":{\"sse\":{\"events\":[\"a\\n\\nb\"]}}}",
             "blank lines");
    load_bad("{\"match\":{\"path\":\"/\"},\"response\":{\"sse\":{\"events\":[\"a\"],\"interval\":\"5 s\"}}}",
             "response.sse.interval");
    load_bad("{\"match\":{\"path\":\"/\"},\"response\":{\"headers\":{\"a b\":\"x\"}}}",
             "invalid header name");
    load_bad("{\"match\":{\"path\":\"/\"},\"response\":{\"headers\":{\"a\":\"x\\r\\ny: z\"}}}", "one-line");
    load_bad("{\"match\":{\"path\":\"/\",\"body\":{\"a..b\":1}},\"response\":{}}", "invalid field path");
    load_bad("{\"match\":{\"path\":\"/\",\"query\":{\"a\":[1]}},\"response\":{}}", "match.query.a");
    load_bad("{\"name\":\"\",\"match\":{\"path\":\"/\"},\"response\":{}}", "name:");
    load_bad("{\"name\":\"a\",\"name\":\"b\",\"match\":{\"path\":\"/\"},\"response\":{}}", "duplicate");
    /* all or nothing: a good fixture before a bad one is not kept */
    load_bad("[{\"match\":{\"path\":\"/\"},\"response\":{}}, {\"match\":{\"path\":\"/\"}}]", "t.json[1]");
}

/* ---- matching ------------------------------------------------------------ */

static void test_match_method_path(void **state)
{
    (void)state;
    rl_mock_set_t s = RL_MOCK_SET_INIT;
    load(&s, SET, RL_MOCK_BUILTIN);
    assert_string_equal(winner(&s, req(RL_M_GET, "/v1/items", NULL, NULL, NULL)), "list");
    assert_string_equal(winner(&s, req(RL_M_HEAD, "/v1/items", NULL, NULL, NULL)), "list"); /* HEAD → GET */
    assert_string_equal(winner(&s, req(RL_M_GET, "/v1/items/42", NULL, NULL, NULL)), "item");
    assert_string_equal(winner(&s, req(RL_M_GET, "/v1/items/new", NULL, NULL, NULL)),
                        "new"); /* literal wins */
    assert_string_equal(winner(&s, req(RL_M_DELETE, "/v1/items/42", NULL, NULL, NULL)), "catch");
    assert_string_equal(winner(&s, req(RL_M_GET, "/v1/items/", NULL, NULL, NULL)), "catch"); /* empty {id} */
    assert_string_equal(winner(&s, req(RL_M_GET, "/v1", NULL, NULL, NULL)),
                        "catch"); /* {rest*} may be empty */
    assert_string_equal(winner(&s, req(RL_M_GET, "/v", NULL, NULL, NULL)), "<none>");
    assert_string_equal(winner(&s, req(RL_M_GET, "/v2/items", NULL, NULL, NULL)), "<none>");
    assert_string_equal(winner(&s, req(RL_M_GET, "", NULL, NULL, NULL)), "<none>");
    rl_mock_match_t m;
    rl_mock_req_t r = req(RL_M_GET, "/v1/items/a%20b", NULL, NULL, NULL);
    assert_int_equal(rl_mock_match(&s, &r, &m), RL_MOCK_MATCHED);
    assert_int_equal(m.n_params, 1);
    assert_memory_equal(m.params[0].name, "id", 2);
    assert_int_equal(m.params[0].value_len, 5); /* raw, still encoded */
    assert_memory_equal(m.params[0].value, "a%20b", 5);
    r = req(RL_M_PUT, "/v1/a/b/c", NULL, NULL, NULL);
    assert_int_equal(rl_mock_match(&s, &r, &m), RL_MOCK_MATCHED);
    assert_int_equal(m.params[0].value_len, 5);
    assert_memory_equal(m.params[0].value, "a/b/c", 5);
    rl_mock_set_clear(&s);
}

static void test_match_vendor_templates(void **state)
{
    (void)state;
    rl_mock_set_t s = RL_MOCK_SET_INIT;
    load(&s,
         "[{\"name\":\"one\",\"match\":{\"path\":\"/orders/"
         "{id}.json\"},\"response\":{\"body\":\"{{path.id}}\"}},"
         "{\"name\":\"count\",\"match\":{\"path\":\"/orders/count.json\"},\"response\":{}},"
         "{\"name\":\"any\",\"match\":{\"path\":\"/orders/{file}\"},\"response\":{}},"
         "{\"name\":\"slash\",\"match\":{\"path\":\"/api/0/projects/\"},\"response\":{}}]",
         RL_MOCK_BUILTIN);
    assert_string_equal(winner(&s, req(RL_M_GET, "/orders/450789469.json", NULL, NULL, NULL)), "one");
    assert_string_equal(winner(&s, req(RL_M_GET, "/orders/count.json", NULL, NULL, NULL)), "count");
    assert_string_equal(winner(&s, req(RL_M_GET, "/orders/.json", NULL, NULL, NULL)), "any"); /* empty id */
    assert_string_equal(winner(&s, req(RL_M_GET, "/orders/12.xml", NULL, NULL, NULL)), "any");
    assert_string_equal(winner(&s, req(RL_M_GET, "/api/0/projects/", NULL, NULL, NULL)), "slash");
    assert_string_equal(winner(&s, req(RL_M_GET, "/api/0/projects", NULL, NULL, NULL)), "<none>");
    rl_mock_response_t out;
    rl_mock_req_t r = req(RL_M_GET, "/orders/77.json", NULL, NULL, NULL);
    rl_mock_respond(&s, &r, NULL, &out);
    assert_string_equal(out.body, "77");
    rl_mock_response_free(&out);
    rl_mock_set_clear(&s);
    load_bad("{\"match\":{\"path\":\"/a/{rest*}.json\"},\"response\":{}}", "match.path");
    load_bad("{\"match\":{\"path\":\"/a/x{id}\"},\"response\":{}}", "match.path");
    load_bad("{\"match\":{\"path\":\"/a//b\"},\"response\":{}}", "empty segment");
}

static void test_match_query(void **state)
{
    (void)state;
    rl_mock_set_t s = RL_MOCK_SET_INIT;
    load(&s, SET, RL_MOCK_BUILTIN);
    assert_string_equal(winner(&s, req(RL_M_GET, "/v1/items", "limit=3", NULL, NULL)), "list");
    assert_string_equal(winner(&s, req(RL_M_GET, "/v1/items", "limit=2", NULL, NULL)), "limited");
    assert_string_equal(winner(&s, req(RL_M_GET, "/v1/items", "x=1&limit=2&y", NULL, NULL)), "limited");
    /* more conditions win; values are form-decoded */
    assert_string_equal(winner(&s, req(RL_M_GET, "/v1/items", "q=a+b&limit=2", NULL, NULL)), "search");
    assert_string_equal(winner(&s, req(RL_M_GET, "/v1/items", "q=a%20b&l%69mit=2", NULL, NULL)), "search");
    assert_string_equal(winner(&s, req(RL_M_GET, "/v1/items", "q=a%2&limit=2", NULL, NULL)), "limited");
    assert_string_equal(winner(&s, req(RL_M_GET, "/v1/items", "limit=2&limit=5&q=a b", NULL, NULL)),
                        "search");
    rl_mock_set_clear(&s);
}

static void test_match_body(void **state)
{
    (void)state;
    rl_mock_set_t s = RL_MOCK_SET_INIT;
    load(&s, SET, RL_MOCK_BUILTIN);
    assert_string_equal(winner(&s, req(RL_M_POST, "/v1/chat", NULL, "{\"model\":\"x\"}", NULL)), "chat");
    assert_string_equal(winner(&s, req(RL_M_POST, "/v1/chat", NULL, "{\"stream\":true}", NULL)), "stream");
    assert_string_equal(winner(&s, req(RL_M_POST, "/v1/chat", NULL, "{\"stream\":1}", NULL)), "chat");
    assert_string_equal(winner(&s, req(RL_M_POST, "/v1/chat", NULL, "{\"stream\":\"true\"}", NULL)), "chat");
    assert_string_equal(winner(&s, req(RL_M_POST, "/v1/chat", NULL, "not json", NULL)), "chat");
    assert_string_equal(winner(&s, req(RL_M_POST, "/v1/chat", NULL, NULL, NULL)), "chat");
    const char *sys = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"system\"}],\"stream\":true}";
    assert_string_equal(winner(&s, req(RL_M_POST, "/v1/chat", NULL, sys, NULL)), "gpt4"); /* 2 conds > 1 */
    const char *user = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\"}]}";
    assert_string_equal(winner(&s, req(RL_M_POST, "/v1/chat", NULL, user, NULL)), "chat");
    rl_mock_set_clear(&s);
}

static void test_file_beats_builtin(void **state)
{
    (void)state;
    rl_mock_set_t s = RL_MOCK_SET_INIT;
    load(&s, SET, RL_MOCK_BUILTIN);
    load(&s, "{\"name\":\"mine\",\"match\":{\"path\":\"/{rest*}\"},\"response\":{}}", RL_MOCK_FILE);
    assert_string_equal(winner(&s, req(RL_M_GET, "/v1/items/new", NULL, NULL, NULL)), "mine");
    assert_string_equal(winner(&s, req(RL_M_POST, "/v1/chat", NULL, "{\"stream\":true}", NULL)), "mine");
    /* a named example still reaches the built-in one */
    assert_string_equal(winner(&s, req(RL_M_POST, "/v1/chat", NULL, NULL, "example=rate_limited")),
                        "rate_limited");
    rl_mock_set_clear(&s);
    /* equal rank: the earlier one */
    load(&s,
         "[{\"name\":\"a\",\"match\":{\"path\":\"/x\"},\"response\":{}},"
         "{\"name\":\"b\",\"match\":{\"path\":\"/x\"},\"response\":{}}]",
         RL_MOCK_FILE);
    assert_string_equal(winner(&s, req(RL_M_GET, "/x", NULL, NULL, NULL)), "a");
    rl_mock_set_clear(&s);
}

static void test_prefer_example_and_code(void **state)
{
    (void)state;
    rl_mock_set_t s = RL_MOCK_SET_INIT;
    load(&s, SET, RL_MOCK_BUILTIN);
    const char *p = "/v1/chat";
    assert_string_equal(winner(&s, req(RL_M_POST, p, NULL, NULL, "example=rate_limited")), "rate_limited");
    assert_string_equal(winner(&s, req(RL_M_POST, p, NULL, NULL, "return=minimal, Example=\"rate_limited\"")),
                        "rate_limited");
    assert_string_equal(winner(&s, req(RL_M_POST, p, NULL, NULL, "example=nope")), "chat"); /* ignored */
    assert_string_equal(winner(&s, req(RL_M_POST, p, NULL, NULL, "example=item")), "chat"); /* other path */
    assert_string_equal(winner(&s, req(RL_M_POST, p, NULL, NULL, "code=429")), "rate_limited");
    assert_string_equal(winner(&s, req(RL_M_POST, p, NULL, NULL, "code=503")), "<synth 503>");
    assert_string_equal(winner(&s, req(RL_M_GET, "/nowhere", NULL, NULL, "code=503")), "<synth 503>");
    assert_string_equal(winner(&s, req(RL_M_POST, p, NULL, NULL, "code=abc")), "chat");
    assert_string_equal(winner(&s, req(RL_M_POST, p, NULL, NULL, "code=700")), "chat");
    /* code=200 prefers the candidate whose conditions hold */
    assert_string_equal(winner(&s, req(RL_M_POST, p, NULL, "{\"stream\":true}", "code=200")), "stream");
    /* example first, then code */
    assert_string_equal(winner(&s, req(RL_M_POST, p, NULL, NULL, "code=429, example=stream")), "stream");
    assert_string_equal(winner(&s, req(RL_M_POST, p, NULL, NULL, "code=429, example=zzz")), "rate_limited");
    rl_mock_match_t m;
    rl_mock_req_t r = req(RL_M_POST, p, NULL, NULL, "example=rate_limited");
    rl_mock_match(&s, &r, &m);
    assert_string_equal(m.applied, "example=rate_limited");
    r = req(RL_M_POST, p, NULL, NULL, "example=nope");
    rl_mock_match(&s, &r, &m);
    assert_string_equal(m.applied, "");
    rl_mock_set_clear(&s);
}

static void test_prefer_parser(void **state)
{
    (void)state;
    rl_mock_prefer_t p;
    const char *h = "respond-async, wait=100 ; x=\"a,b\", EXAMPLE = \"q\\\"uote\" ;;, ,handling=lenient";
    assert_int_equal(rl_mock_prefer_parse(h, strlen(h), &p), 4);
    assert_string_equal(rl_mock_prefer_get(&p, "respond-async"), "");
    assert_string_equal(rl_mock_prefer_get(&p, "wait"), "100");
    assert_string_equal(rl_mock_prefer_get(&p, "example"), "q\"uote");
    assert_string_equal(rl_mock_prefer_get(&p, "handling"), "lenient");
    assert_null(rl_mock_prefer_get(&p, "x"));
    /* first occurrence wins; malformed elements are skipped, the rest counts */
    h = "code=429, code=500, bad value, =x, a=\"unterminated, example=ok";
    rl_mock_prefer_parse(h, strlen(h), &p);
    assert_string_equal(rl_mock_prefer_get(&p, "code"), "429");
    assert_null(rl_mock_prefer_get(&p, "example")); /* swallowed by the open quote */
    h = "a=\"x,y\" junk, example=ok, b=1;c=\"d,e\", e";
    rl_mock_prefer_parse(h, strlen(h), &p);
    assert_null(rl_mock_prefer_get(&p, "a"));
    assert_string_equal(rl_mock_prefer_get(&p, "example"), "ok");
    assert_string_equal(rl_mock_prefer_get(&p, "b"), "1");
    assert_string_equal(rl_mock_prefer_get(&p, "e"), "");
    assert_int_equal(rl_mock_prefer_parse(NULL, 0, &p), 0);
    assert_int_equal(rl_mock_prefer_parse("", 0, &p), 0);
    char long_value[300];
    snprintf(long_value, sizeof(long_value), "example=%0200d, code=404", 0);
    rl_mock_prefer_parse(long_value, strlen(long_value), &p);
    assert_null(rl_mock_prefer_get(&p, "example"));
    assert_string_equal(rl_mock_prefer_get(&p, "code"), "404");
    /* not NUL-terminated: only len bytes count */
    rl_mock_prefer_parse("code=4291", 8, &p);
    assert_string_equal(rl_mock_prefer_get(&p, "code"), "429");
}

/* ---- responding ---------------------------------------------------------- */

static void test_respond_templates(void **state)
{
    (void)state;
    rl_mock_set_t s = RL_MOCK_SET_INIT;
    load(&s, SET, RL_MOCK_BUILTIN);
    rl_mock_vars_t vars = {.request_id = "req-1", .now = 1700000000};
    rl_mock_response_t out;
    rl_mock_req_t r = req(RL_M_GET, "/v1/items/4\"2", NULL, NULL, NULL);
    assert_int_equal(rl_mock_respond(&s, &r, &vars, &out), RL_MOCK_MATCHED);
    assert_int_equal(out.status, 200);
    assert_string_equal(out.body, "{\"id\":\"4\\\"2\",\"at\":1700000000}");
    assert_int_equal(out.body_len, strlen(out.body));
    rl_mock_response_free(&out);
    r = req(RL_M_POST, "/v1/chat", NULL, "{\"model\":\"gpt-4o-mini\"}", NULL);
    rl_mock_respond(&s, &r, &vars, &out);
    assert_string_equal(out.body, "{\"model\":\"gpt-4o-mini\"}");
    rl_mock_response_free(&out);
    r = req(RL_M_POST, "/v1/chat", NULL, "{}", NULL); /* unresolvable: left as written */
    rl_mock_respond(&s, &r, &vars, &out);
    assert_string_equal(out.body, "{\"model\":\"{{body.model}}\"}");
    rl_mock_response_free(&out);

    rl_mock_match_t m = {0};
    r = req(RL_M_GET, "/x", "q=v%20w", "{\"n\":[1,{\"k\":true}]}", NULL);
    const char *t = "{{ request_id "
                    "}}|{{query.q}}|{{body.n.1}}|{{body.n.1.k}}|{{nope}}|{{x|d\"ef}}|{{query.q|no}}|{{now|{{";
    size_t len;
    char *got = rl_mock_render(t, strlen(t), &r, &m, &vars, &len);
    assert_string_equal(got, "req-1|v%20w|{\"k\":true}|true|{{nope}}|d\\\"ef|v%20w|{{now|{{");
    assert_int_equal(len, strlen(got));
    free(got);
    rl_mock_set_clear(&s);
}

static void test_respond_sse(void **state)
{
    (void)state;
    rl_mock_set_t s = RL_MOCK_SET_INIT;
    load(&s, SET, RL_MOCK_BUILTIN);
    rl_mock_vars_t vars = {.request_id = "r", .now = 1};
    rl_mock_response_t out;
    rl_mock_req_t r = req(RL_M_POST, "/v1/chat", NULL, "{\"stream\":true,\"model\":\"m1\"}", NULL);
    assert_int_equal(rl_mock_respond(&s, &r, &vars, &out), RL_MOCK_MATCHED);
    assert_true(out.sse);
    assert_int_equal(out.n_events, 3);
    assert_int_equal(out.interval_ms, 50);
    assert_string_equal(out.events[0], "data: {\"a\":1}");
    assert_string_equal(out.events[1], "event: done\ndata: {\"model\":\"m1\"}");
    assert_string_equal(out.events[2], "data: [DONE]");
    assert_string_equal(out.body, "");
    rl_mock_response_free(&out);
    rl_mock_set_clear(&s);
}

static const char *header(const rl_mock_response_t *r, const char *name)
{
    for (size_t i = 0; i < r->n_headers; i++)
        if (strcmp(r->headers[i].name, name) == 0) return r->headers[i].value;
    return NULL;
}

static void test_respond_synth_and_no_match(void **state)
{
    (void)state;
    rl_mock_set_t s = RL_MOCK_SET_INIT;
    load(&s, SET, RL_MOCK_BUILTIN);
    rl_mock_vars_t vars = {.request_id = "rid", .now = 1};
    rl_mock_response_t out;
    rl_mock_req_t r = req(RL_M_POST, "/v1/chat", NULL, NULL, "code=503");
    assert_int_equal(rl_mock_respond(&s, &r, &vars, &out), RL_MOCK_SYNTHESIZED);
    assert_int_equal(out.status, 503);
    assert_string_equal(header(&out, "retry-after"), "1");
    assert_string_equal(header(&out, "content-type"), "application/json");
    assert_non_null(strstr(out.body, "\"success\":false"));
    assert_non_null(strstr(out.body, "\"code\":\"service_unavailable\""));
    assert_non_null(strstr(out.body, "\"request_id\":\"rid\""));
    assert_string_equal(out.applied, "code=503");
    rl_mock_response_free(&out);
    r = req(RL_M_POST, "/v1/chat", NULL, NULL, "code=429");
    assert_int_equal(rl_mock_respond(&s, &r, &vars, &out), RL_MOCK_MATCHED);
    assert_string_equal(header(&out, "retry-after"), "20");
    assert_string_equal(out.body, "{\"error\":{\"type\":\"rate_limit\"}}");
    rl_mock_response_free(&out);
    r = req(RL_M_POST, "/v1/chat", NULL, NULL, "code=204");
    rl_mock_respond(&s, &r, &vars, &out);
    assert_int_equal(out.status, 204);
    assert_int_equal(out.body_len, 0);
    rl_mock_response_free(&out);
    r = req(RL_M_GET, "/elsewhere", NULL, NULL, NULL);
    assert_int_equal(rl_mock_respond(&s, &r, &vars, &out), RL_MOCK_NO_MATCH);
    assert_int_equal(out.status, 404);
    assert_non_null(strstr(out.body, "\"code\":\"not_found\""));
    assert_non_null(strstr(out.body, "/elsewhere"));
    rl_mock_response_free(&out);
    rl_mock_set_clear(&s);
}

/* ---- fault injection ------------------------------------------------------ */

static void test_fault_reproducible(void **state)
{
    (void)state;
    rl_mock_fault_cfg_t cfg = {.latency_ms = 20, .error_rate = 0.25, .seed = 42};
    int errors = 0;
    bool first[64];
    for (uint64_t i = 0; i < 64; i++) {
        rl_mock_fault_t f = rl_mock_fault_decide(&cfg, i);
        assert_int_equal(f.delay_ms, 20);
        first[i] = f.error;
    }
    for (uint64_t i = 0; i < 64; i++)
        assert_int_equal(rl_mock_fault_decide(&cfg, i).error, first[i]); /* same seed, same answers */
    for (uint64_t i = 0; i < 10000; i++)
        errors += rl_mock_fault_decide(&cfg, i).error;
    assert_in_range(errors, 2300, 2700); /* about 25 % */
    rl_mock_fault_cfg_t other = cfg;
    other.seed = 43;
    int diff = 0;
    for (uint64_t i = 0; i < 64; i++)
        diff += rl_mock_fault_decide(&other, i).error != first[i];
    assert_true(diff > 0);
    cfg.error_rate = 0;
    for (uint64_t i = 0; i < 1000; i++)
        assert_false(rl_mock_fault_decide(&cfg, i).error);
    cfg.error_rate = 1;
    for (uint64_t i = 0; i < 1000; i++)
        assert_true(rl_mock_fault_decide(&cfg, i).error);
    /* the exact sequence is part of the contract (docs/mocks.md) */
    cfg = (rl_mock_fault_cfg_t){.error_rate = 0.5, .seed = 1};
    char seq[17] = {0};
    for (int i = 0; i < 16; i++)
        seq[i] = rl_mock_fault_decide(&cfg, (uint64_t)i).error ? 'E' : '.';
    assert_string_equal(seq, "...EE...E.E.E.EE");
    rl_mock_response_t out;
    rl_mock_vars_t vars = {.request_id = "x"};
    rl_mock_fault_response(&vars, &out);
    assert_int_equal(out.status, 503);
    assert_string_equal(header(&out, "retry-after"), "1");
    assert_non_null(strstr(out.body, "injected"));
    rl_mock_response_free(&out);
}

/* ---- record mode ---------------------------------------------------------- */

static void test_record_redaction_round_trip(void **state)
{
    (void)state;
    const char *secret = "sk-test-SECRET-123";
    rl_mock_header_t h[] = {{"Content-Type", "application/json"},
                            {"Set-Cookie", "session=abc"},
                            {"X-Request-Token", "tok"},
                            {"Content-Length", "99"},
                            {"X-Echo", "Bearer sk-test-SECRET-123"},
                            {"Vary", "a"},
                            {"vary", "b"}};
    rl_mock_exchange_t ex = {.method = "POST",
                             .path = "/v1/chat/completions",
                             .query = "api_key=sk-test-SECRET-123&limit=2&access_token=zz&q=a+b",
                             .req_body = "{\"stream\":false,\"model\":\"gpt\"}",
                             .req_body_len = 30, /* strlen */
                             .status = 200,
                             .resp_headers = h,
                             .n_resp_headers = sizeof(h) / sizeof(h[0]),
                             .resp_body = "{\"echo\":\"sk-test-SECRET-123\",\"ok\":true}",
                             .resp_body_len = 39};
    const char *secrets[] = {secret, "abc", NULL};
    char *text = rl_mock_record(&ex, secrets, 3);
    assert_non_null(text);
    assert_null(strstr(text, "SECRET"));
    assert_null(strstr(text, "session=abc"));
    assert_null(strstr(text, "\"tok\""));
    assert_null(strstr(text, "access_token"));
    assert_null(strstr(text, "api_key"));
    assert_null(strstr(text, "content-length"));
    assert_non_null(strstr(text, "\"set-cookie\": \"[REDACTED]\""));
    assert_non_null(strstr(text, "\"x-echo\": \"Bearer [REDACTED]\""));
    assert_non_null(strstr(text, "\"vary\": \"a, b\""));
    /* it loads back and answers the same request */
    rl_mock_set_t s = RL_MOCK_SET_INIT;
    load(&s, text, RL_MOCK_FILE);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.items[0].name, "recorded");
    assert_int_equal(s.items[0].n_query, 2);
    assert_string_equal(s.items[0].body, "{\"echo\":\"[REDACTED]\",\"ok\":true}");
    assert_string_equal(
        winner(&s, req(RL_M_POST, "/v1/chat/completions", "q=a%20b&limit=2", "{\"stream\":false}", NULL)),
        "recorded");
    assert_string_equal(
        winner(&s, req(RL_M_POST, "/v1/chat/completions", "q=a%20b&limit=2", "{\"stream\":true}", NULL)),
        "<none>");
    rl_mock_set_clear(&s);
    free(text);
}

static void test_record_sse_and_text(void **state)
{
    (void)state;
    rl_mock_header_t h[] = {{"content-type", "text/event-stream"}};
    const char *body = "data: {\"a\":1}\r\n\r\nevent: x\ndata: 2\n\ndata: [DONE]\n\n";
    rl_mock_exchange_t ex = {.name = "s",
                             .method = "GET",
                             .path = "/s",
                             .status = 200,
                             .resp_headers = h,
                             .n_resp_headers = 1,
                             .resp_body = body,
                             .resp_body_len = strlen(body)};
    char *text = rl_mock_record(&ex, NULL, 0);
    rl_mock_set_t s = RL_MOCK_SET_INIT;
    load(&s, text, RL_MOCK_FILE);
    assert_true(s.items[0].sse);
    assert_int_equal(s.items[0].n_events, 3);
    assert_string_equal(s.items[0].events[1], "event: x\ndata: 2");
    rl_mock_set_clear(&s);
    free(text);
    rl_mock_header_t t[] = {{"content-type", "text/plain"}};
    ex = (rl_mock_exchange_t){.method = "GET",
                              .path = "/t",
                              .status = 500,
                              .resp_headers = t,
                              .n_resp_headers = 1,
                              .resp_body = "bad \xff byte",
                              .resp_body_len = 10};
    text = rl_mock_record(&ex, NULL, 0);
    load(&s, text, RL_MOCK_FILE);
    assert_int_equal(s.items[0].status, 500);
    assert_string_equal(s.items[0].body, "bad \xEF\xBF\xBD byte");
    rl_mock_set_clear(&s);
    free(text);
    ex.status = 99;
    assert_null(rl_mock_record(&ex, NULL, 0));
    ex.status = 200;
    ex.path = NULL;
    assert_null(rl_mock_record(&ex, NULL, 0));
}

static void test_sensitive_names_and_filename(void **state)
{
    (void)state;
    const char *yes[] = {
        "Authorization", "proxy-authorization",    "Cookie",        "SET-COOKIE",  "x-api-key", "api-key",
        "apikey",        "X-Shopify-Access-Token", "client_secret", "X-Signature", "password",  NULL};
    const char *no[] = {"content-type", "x-request-id", "limit", "x-ratelimit-remaining", NULL};
    for (size_t i = 0; yes[i]; i++)
        assert_true(rl_mock_is_sensitive(yes[i]));
    for (size_t i = 0; no[i]; i++)
        assert_false(rl_mock_is_sensitive(no[i]));
    assert_true(rl_mock_is_sensitive("monkey-business")); /* names with "key" are redacted, by design */
    char name[64];
    assert_int_equal(rl_mock_record_filename("POST", "/v1/chat/completions", 200, name, sizeof(name)), 33);
    assert_string_equal(name, "post_v1_chat_completions_200.json");
    rl_mock_record_filename("GET", "/a/{x}//b.json", 404, name, sizeof(name));
    assert_string_equal(name, "get_a_x_b_json_404.json");
    char tiny[12];
    rl_mock_record_filename("GET", "/a/very/long/path", 200, tiny, sizeof(tiny));
    assert_true(strlen(tiny) < sizeof(tiny));
}

/* ---- directory loader ----------------------------------------------------- */

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_load_dir(void **state)
{
    (void)state;
    char dir[] = "/tmp/relais-test-mock-XXXXXX";
    assert_non_null(mkdtemp(dir));
    write_file(dir, "b.json", "{\"name\":\"b\",\"match\":{\"path\":\"/x\"},\"response\":{}}");
    write_file(dir, "a.json", "[{\"name\":\"a\",\"match\":{\"path\":\"/x\"},\"response\":{}}]");
    write_file(dir, "notes.txt", "not a fixture");
    write_file(dir, ".hidden.json", "{");
    rl_mock_set_t s = RL_MOCK_SET_INIT;
    rl_err_t err = {0};
    assert_int_equal(rl_mock_load_dir(&s, dir, &err), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.items[0].name, "a"); /* name order */
    assert_string_equal(s.items[0].origin, "a.json[0]");
    assert_int_equal(s.items[0].source, RL_MOCK_FILE);
    rl_mock_set_clear(&s);
    write_file(dir, "c.json", "{\"match\":{\"path\":\"/x\"},\"response\":{\"status\":1}}");
    assert_int_equal(rl_mock_load_dir(&s, dir, &err), -RL_EBAD_REQUEST);
    assert_non_null(strstr(err.msg, "c.json[0]: response.status"));
    rl_mock_set_clear(&s);
    char path[256];
    const char *names[] = {"a.json", "b.json", "c.json", "notes.txt", ".hidden.json"};
    for (size_t i = 0; i < 5; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
    assert_int_equal(rl_mock_load_dir(&s, dir, &err), -RL_EBAD_REQUEST);
    assert_non_null(strstr(err.msg, "cannot open directory"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_model),
        cmocka_unit_test(test_parse_single_object_and_defaults),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_match_method_path),
        cmocka_unit_test(test_match_vendor_templates),
        cmocka_unit_test(test_match_query),
        cmocka_unit_test(test_match_body),
        cmocka_unit_test(test_file_beats_builtin),
        cmocka_unit_test(test_prefer_example_and_code),
        cmocka_unit_test(test_prefer_parser),
        cmocka_unit_test(test_respond_templates),
        cmocka_unit_test(test_respond_sse),
        cmocka_unit_test(test_respond_synth_and_no_match),
        cmocka_unit_test(test_fault_reproducible),
        cmocka_unit_test(test_record_redaction_round_trip),
        cmocka_unit_test(test_record_sse_and_text),
        cmocka_unit_test(test_sensitive_names_and_filename),
        cmocka_unit_test(test_load_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
