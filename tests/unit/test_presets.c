/* test_presets.c — the preset catalog: every preset is complete, its
 * built-in fixtures parse, every fixture is reachable (by a request built
 * from its own match, and by Prefer: example=NAME), renders to valid JSON,
 * and the generated C text equals src/providers/fixtures/NAME.json. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http/method.h"
#include "providers/presets.h"
#include "upstream/mock.h"

static const char *no_env(const char *name, void *ud)
{
    (void)name;
    (void)ud;
    return NULL;
}

static const char *table_env(const char *name, void *ud)
{
    const char *const *t = ud;
    for (size_t i = 0; t[i]; i += 2)
        if (strcmp(t[i], name) == 0) return t[i + 1];
    return NULL;
}

static bool listed(const char *const *list, const char *name)
{
    for (size_t i = 0; name && list[i]; i++)
        if (strcmp(list[i], name) == 0) return true;
    return false;
}

static void test_catalog_complete(void **state)
{
    (void)state;
    const char *want[] = {"openai",     "anthropic", "mistral", "stripe",  "shopify", "woocommerce",
                          "prestashop", "slack",     "sentry",  "generic", NULL};
    for (size_t i = 0; want[i]; i++)
        assert_non_null(rl_preset_find(want[i]));
    assert_null(rl_preset_find("nope"));
    assert_null(rl_preset_find(NULL));
    assert_int_equal(rl_preset_count(), 10);
    assert_null(rl_preset_at(rl_preset_count()));
    for (size_t i = 0; i < rl_preset_count(); i++) {
        const rl_preset_t *p = rl_preset_at(i);
        rl_domain_t d;
        assert_int_equal(rl_domain_parse(rl_domain_name(p->domain), &d), 0);
        assert_int_equal(d, p->domain);
        assert_non_null(p->required_env);
        assert_non_null(p->headers);
        assert_non_null(p->breaks);
        assert_true(strlen(p->breaks) > 5);
        assert_true(p->connect_timeout_ms > 0 && p->total_timeout_ms >= p->connect_timeout_ms);
        assert_true(p->health_interval_ms >= 1000);
        assert_non_null(rl_preset_fixtures(p));
        const rl_preset_auth_t *a = &p->auth;
        switch (a->type) {
        case RL_PRESET_AUTH_BEARER:
            assert_string_equal(a->type_name, "bearer");
            assert_true(listed(p->required_env, a->token_env));
            break;
        case RL_PRESET_AUTH_API_KEY:
            assert_string_equal(a->type_name, "api_key");
            assert_non_null(a->header);
            assert_true(listed(p->required_env, a->token_env));
            break;
        case RL_PRESET_AUTH_BASIC:
            assert_string_equal(a->type_name, "basic");
            assert_true(listed(p->required_env, a->username_env));
            assert_true(a->password_env == NULL || listed(p->required_env, a->password_env));
            break;
        case RL_PRESET_AUTH_NONE:
            assert_string_equal(p->name, "generic");
            break;
        }
        if (strcmp(p->name, "generic") == 0) {
            assert_null(p->base_url);
            assert_null(p->health_path);
            assert_null(p->required_env[0]);
            continue;
        }
        assert_non_null(p->required_env[0]);
        assert_non_null(p->health_path);
        assert_int_equal(p->health_path[0], '/');
        assert_int_equal(rl_method_bit(p->health_method, strlen(p->health_method)), RL_M_GET);
        char *url = NULL;
        rl_err_t err = {0};
        assert_int_equal(rl_preset_base_url(p, no_env, NULL, &url, &err), 0);
        assert_true(strncmp(url, "https://", 8) == 0);
        assert_null(strchr(url, '$'));
        free(url);
    }
    rl_domain_t d = RL_DOMAIN_AI;
    assert_int_equal(rl_domain_parse("crypto", &d), -1);
    assert_int_equal(d, RL_DOMAIN_AI);
    assert_string_equal(rl_domain_name((rl_domain_t)99), "generic");
}

static void test_vendor_specifics(void **state)
{
    (void)state;
    const rl_preset_t *p = rl_preset_find("openai");
    assert_string_equal(p->auth.token_env, "OPENAI_API_KEY");
    assert_string_equal(p->health_path, "/v1/models");
    p = rl_preset_find("anthropic");
    assert_int_equal(p->auth.type, RL_PRESET_AUTH_API_KEY);
    assert_string_equal(p->auth.header, "x-api-key");
    assert_string_equal(p->auth.token_env, "ANTHROPIC_API_KEY");
    assert_string_equal(p->headers[0].name, "anthropic-version");
    assert_string_equal(p->headers[0].value, "2023-06-01");
    assert_string_equal(rl_preset_find("stripe")->auth.token_env, "STRIPE_SECRET_KEY");
    assert_string_equal(rl_preset_find("slack")->auth.token_env, "SLACK_BOT_TOKEN");
    assert_string_equal(rl_preset_find("sentry")->auth.token_env, "SENTRY_AUTH_TOKEN");
    assert_string_equal(rl_preset_find("mistral")->auth.token_env, "MISTRAL_API_KEY");
    p = rl_preset_find("woocommerce");
    assert_string_equal(p->auth.username_env, "WC_CONSUMER_KEY");
    assert_string_equal(p->auth.password_env, "WC_CONSUMER_SECRET");
    p = rl_preset_find("prestashop");
    assert_string_equal(p->auth.username_env, "PRESTASHOP_API_KEY");
    assert_null(p->auth.password_env);
    /* per-shop base URLs follow their env var */
    const char *env[] = {"SHOPIFY_SHOP", "acme", "WC_STORE_URL", "https://wc.acme.test", NULL};
    char *url;
    rl_err_t err = {0};
    assert_int_equal(rl_preset_base_url(rl_preset_find("shopify"), table_env, env, &url, &err), 0);
    assert_string_equal(url, "https://acme.myshopify.com/admin/api/2024-10");
    free(url);
    assert_int_equal(rl_preset_base_url(rl_preset_find("woocommerce"), table_env, env, &url, &err), 0);
    assert_string_equal(url, "https://wc.acme.test");
    free(url);
    assert_int_equal(rl_preset_base_url(rl_preset_find("shopify"), no_env, NULL, &url, &err), 0);
    assert_string_equal(url, "https://example.myshopify.com/admin/api/2024-10");
    free(url);
    assert_int_equal(rl_preset_base_url(rl_preset_find("generic"), no_env, NULL, &url, &err), -1);
    assert_null(url);
}

/* A request that the fixture's own match describes. */
static char *request_path(const char *tmpl)
{
    char *out = calloc(strlen(tmpl) + 16, 1);
    size_t n = 0;
    for (const char *t = tmpl; *t;) {
        if (*t != '{') {
            out[n++] = *t++;
            continue;
        }
        const char *end = strchr(t, '}');
        bool rest = end[-1] == '*';
        memcpy(out + n, rest ? "a/b" : "123", 3);
        n += 3;
        t = end + 1;
    }
    return out;
}

static char *request_body(const rl_mock_fixture_t *f)
{
    json_t *o = json_object();
    for (size_t i = 0; i < f->n_body_conds; i++)
        json_object_set(o, f->body_conds[i].path, f->body_conds[i].value); /* top-level fields in presets */
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

static void check_json(const char *what, const char *text, size_t len)
{
    json_error_t je;
    json_t *j = json_loadb(text, len, JSON_DECODE_ANY, &je);
    if (j == NULL) fail_msg("%s: invalid JSON after rendering (%s): %.300s", what, je.text, text);
    json_decref(j);
}

static void check_rendered(const rl_mock_fixture_t *f, const rl_mock_response_t *out)
{
    if (!out->sse) {
        if (strcmp(out->headers[0].value, "application/json") == 0)
            check_json(f->origin, out->body, out->body_len);
        return;
    }
    for (size_t i = 0; i < out->n_events; i++) {
        const char *d = strstr(out->events[i], "data: ");
        assert_non_null(d);
        if (strcmp(d, "data: [DONE]") != 0) check_json(f->origin, d + 6, strlen(d + 6));
    }
}

/* Each fixture answers a request built from its match (with Prefer:
 * example=NAME when another fixture ranks first), and renders valid JSON. */
static void check_fixture(const rl_mock_set_t *s, const rl_mock_fixture_t *f)
{
    char *path = request_path(f->path), *body = request_body(f), prefer[160];
    const char *q = f->n_query ? "x=1" : NULL;
    snprintf(prefer, sizeof(prefer), "example=\"%s\"", f->name);
    rl_mock_req_t r = {.method = f->method == RL_M_ALL ? RL_M_GET : f->method,
                       .path = path,
                       .path_len = strlen(path),
                       .query = q,
                       .query_len = q ? 3 : 0,
                       .body = body,
                       .body_len = strlen(body),
                       .prefer = prefer,
                       .prefer_len = strlen(prefer)};
    assert_int_equal(f->n_query, 0); /* presets match on bodies only */
    rl_mock_match_t m;
    assert_int_equal(rl_mock_match(s, &r, &m), RL_MOCK_MATCHED);
    if (m.fixture != f) fail_msg("%s (%s %s) is shadowed by %s", f->origin, f->name, path, m.fixture->origin);
    rl_mock_vars_t vars = {.request_id = "01JD0000000000000000000000", .now = 1732000000};
    rl_mock_response_t out;
    assert_int_equal(rl_mock_respond(s, &r, &vars, &out), RL_MOCK_MATCHED);
    assert_int_equal(out.status, f->status);
    assert_null(strstr(out.body, "{{")); /* every template resolves */
    for (size_t i = 0; i < out.n_events; i++)
        assert_null(strstr(out.events[i], "{{"));
    check_rendered(f, &out);
    rl_mock_response_free(&out);
    free(path);
    free(body);
}

static void test_fixtures_parse_and_match(void **state)
{
    (void)state;
    for (size_t i = 0; i < rl_preset_count(); i++) {
        const rl_preset_t *p = rl_preset_at(i);
        rl_mock_set_t s = RL_MOCK_SET_INIT;
        rl_err_t err = {0};
        if (rl_preset_load_fixtures(p, &s, &err) != 0) fail_msg("%s: %s", p->name, err.msg);
        assert_true(s.n >= 3);
        size_t errors = 0, ok = 0;
        for (size_t j = 0; j < s.n; j++) {
            const rl_mock_fixture_t *f = &s.items[j];
            assert_int_equal(f->source, RL_MOCK_BUILTIN);
            assert_true(strncmp(f->origin, "preset:", 7) == 0);
            errors += f->status >= 400 && strcmp(f->name, "default") != 0;
            ok += f->status < 300;
            check_fixture(&s, f);
        }
        if (errors == 0) fail_msg("preset %s has no named error example", p->name);
        assert_true(ok > 0);
        rl_mock_set_clear(&s);
    }
}

static rl_mock_response_t ask(const char *preset, unsigned method, const char *path, const char *body,
                              const char *prefer)
{
    rl_mock_set_t s = RL_MOCK_SET_INIT;
    rl_err_t err = {0};
    assert_int_equal(rl_preset_load_fixtures(rl_preset_find(preset), &s, &err), 0);
    rl_mock_req_t r = {.method = method, .path = path, .path_len = strlen(path)};
    if (body) r.body = body, r.body_len = strlen(body);
    if (prefer) r.prefer = prefer, r.prefer_len = strlen(prefer);
    rl_mock_vars_t vars = {.request_id = "rid", .now = 1732000000};
    rl_mock_response_t out;
    rl_mock_respond(&s, &r, &vars, &out);
    rl_mock_set_clear(&s);
    return out;
}

static const char *header(const rl_mock_response_t *r, const char *name)
{
    for (size_t i = 0; i < r->n_headers; i++)
        if (strcmp(r->headers[i].name, name) == 0) return r->headers[i].value;
    return NULL;
}

static void test_main_endpoints(void **state)
{
    (void)state;
    rl_mock_response_t r = ask("openai", RL_M_POST, "/v1/chat/completions", "{\"model\":\"gpt-4o\"}", NULL);
    assert_int_equal(r.status, 200);
    assert_false(r.sse);
    assert_non_null(strstr(r.body, "\"model\":\"gpt-4o\""));
    assert_non_null(strstr(r.body, "\"created\":1732000000"));
    assert_non_null(strstr(r.body, "\"object\":\"chat.completion\""));
    rl_mock_response_free(&r);
    r = ask("openai", RL_M_POST, "/v1/chat/completions", "{\"model\":\"gpt-4o\",\"stream\":true}", NULL);
    assert_true(r.sse);
    assert_string_equal(header(&r, "content-type"), "text/event-stream");
    assert_string_equal(r.events[r.n_events - 1], "data: [DONE]");
    rl_mock_response_free(&r);
    r = ask("openai", RL_M_POST, "/v1/chat/completions", NULL, "example=rate_limited");
    assert_int_equal(r.status, 429);
    assert_string_equal(header(&r, "retry-after"), "20");
    assert_string_equal(r.applied, "example=rate_limited");
    rl_mock_response_free(&r);
    r = ask("openai", RL_M_POST, "/v1/chat/completions", NULL, "code=429");
    assert_int_equal(r.status, 429);
    assert_non_null(strstr(r.body, "rate_limit_exceeded"));
    rl_mock_response_free(&r);
    r = ask("openai", RL_M_GET, "/v1/models", NULL, NULL);
    assert_non_null(strstr(r.body, "\"object\":\"list\""));
    rl_mock_response_free(&r);
    r = ask("openai", RL_M_POST, "/v1/embeddings", "{}", NULL);
    assert_non_null(strstr(r.body, "\"model\":\"text-embedding-3-small\""));
    rl_mock_response_free(&r);
    r = ask("anthropic", RL_M_POST, "/v1/messages", "{\"stream\":true}", NULL);
    assert_true(r.sse);
    assert_true(strncmp(r.events[0], "event: message_start\ndata: {", 28) == 0);
    rl_mock_response_free(&r);
    r = ask("stripe", RL_M_POST, "/v1/payment_intents", "amount=2000&currency=usd", "example=card_declined");
    assert_int_equal(r.status, 402);
    assert_non_null(strstr(r.body, "\"code\":\"card_declined\""));
    rl_mock_response_free(&r);
    r = ask("stripe", RL_M_GET, "/v1/customers/cus_42", NULL, NULL);
    assert_non_null(strstr(r.body, "\"id\":\"cus_42\""));
    rl_mock_response_free(&r);
    r = ask("shopify", RL_M_GET, "/orders/450789469.json", NULL, NULL);
    assert_non_null(strstr(r.body, "\"id\":\"450789469\""));
    rl_mock_response_free(&r);
    r = ask("woocommerce", RL_M_GET, "/wp-json/wc/v3/orders/727", NULL, NULL);
    assert_int_equal(r.status, 200);
    rl_mock_response_free(&r);
    r = ask("slack", RL_M_POST, "/api/chat.postMessage", "{\"channel\":\"C1\",\"text\":\"hi\"}", NULL);
    assert_non_null(strstr(r.body, "\"text\":\"hi\""));
    assert_non_null(strstr(r.body, "\"ts\":\"1732000000.000200\""));
    rl_mock_response_free(&r);
    r = ask("sentry", RL_M_GET, "/api/0/projects/", NULL, NULL);
    assert_int_equal(r.status, 200);
    rl_mock_response_free(&r);
    r = ask("generic", RL_M_GET, "/anything/at/all", NULL, NULL);
    assert_string_equal(r.body, "{\"ok\":true}");
    rl_mock_response_free(&r);
    r = ask("generic", RL_M_POST, "/x", NULL, NULL);
    assert_int_equal(r.status, 200);
    rl_mock_response_free(&r);
}

/* preset_fixtures.c is generated: it must equal the JSON sources. */
static void test_generated_matches_sources(void **state)
{
    (void)state;
    const char *data = getenv("RELAIS_TEST_DATA");
    if (data == NULL || strlen(data) < 16 || strcmp(data + strlen(data) - 16, "/tests/unit/data") != 0)
        skip();
    for (size_t i = 0; i < rl_preset_count(); i++) {
        const rl_preset_t *p = rl_preset_at(i);
        char path[512];
        json_error_t je;
        /* RELAIS_TEST_DATA is <repo>/tests/unit/data (which may not exist) */
        snprintf(path, sizeof(path), "%.*s/src/providers/fixtures/%s.json", (int)(strlen(data) - 16), data,
                 p->name);
        json_t *src = json_load_file(path, 0, &je);
        if (src == NULL) fail_msg("%s: %s", path, je.text);
        json_t *built = json_loads(rl_preset_fixtures(p), 0, &je);
        assert_non_null(built);
        if (!json_equal(src, built))
            fail_msg("%s differs from preset_fixtures.c: run python3 src/providers/gen_fixtures.py", path);
        json_decref(src);
        json_decref(built);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catalog_complete),          cmocka_unit_test(test_vendor_specifics),
        cmocka_unit_test(test_fixtures_parse_and_match),  cmocka_unit_test(test_main_endpoints),
        cmocka_unit_test(test_generated_matches_sources),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
