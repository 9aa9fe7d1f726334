/* test_config_policies.c — the response-policy keys: defaults, values as
 * loaded (lower-cased vary names, header values of `deprecation` formatted
 * once: @unix, IMF-fixdate, Link), date forms and offsets, and the errors
 * with their lines. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config/config.h"

#define HEAD                                                                                                 \
    "providers:\n  b: {base_url: 'http://127.0.0.1:9'}\nroutes:\n  - match: {path: /a}\n    upstream: "      \
    "{targets: [b]}\n"

static rl_config_t *ok(const char *yaml)
{
    rl_diag_t d = {0};
    rl_config_t *cfg = NULL;
    if (rl_config_load_buffer("t.yaml", yaml, strlen(yaml), &cfg, &d) != 0) {
        char *j = rl_diag_join(&d);
        fail_msg("refused: %s", j);
    }
    rl_diag_clear(&d);
    return cfg;
}

static void bad(const char *yaml, const char *want)
{
    rl_diag_t d = {0};
    rl_config_t *cfg = NULL;
    assert_int_equal(rl_config_load_buffer("t.yaml", yaml, strlen(yaml), &cfg, &d), -1);
    char *j = rl_diag_join(&d);
    if (strstr(j, want) == NULL) fail_msg("no '%s' in: %s", want, j);
    free(j);
    rl_diag_clear(&d);
}

static void test_defaults(void **state)
{
    (void)state;
    rl_config_t *c = ok(HEAD);
    assert_int_equal(c->cache_max_memory, 64u << 20);
    assert_false(c->cache_any);
    assert_false(c->routes[0].cache);
    assert_null(c->routes[0].fields);
    assert_false(c->routes[0].deprecated);
    assert_int_equal(c->routes[0].n_rename, 0);
    rl_config_free(c);
}

static void test_values(void **state)
{
    (void)state;
    rl_config_t *c = ok("cache: {max_memory: 1MiB}\n" HEAD
                        "    cache: {ttl: 30s, vary: [Accept-Language, X-Tenant], key_by_consumer: false}\n"
                        "    fields: [id, owner.name]\n"
                        "    deprecation: {date: 2026-01-01, sunset: '2026-12-31T23:59:59+01:00', link: "
                        "'https://d.example/v2', enforce: true}\n"
                        "    rename: {nom: name}\n");
    const rl_route_cfg_t *r = &c->routes[0];
    assert_int_equal(c->cache_max_memory, 1u << 20);
    assert_true(c->cache_any);
    assert_true(r->cache);
    assert_int_equal(r->cache_ttl_ms, 30000);
    assert_int_equal(r->n_cache_vary, 2);
    assert_string_equal(r->cache_vary[0], "accept-language");
    assert_false(r->cache_key_by_consumer);
    assert_int_equal(r->n_fields, 2);
    assert_string_equal(r->fields[1], "owner.name");
    assert_int_equal(r->deprecation_date, 1767225600);
    assert_int_equal(r->sunset, 1798757999); /* 2026-12-31T22:59:59Z */
    assert_string_equal(r->hdr_deprecation, "@1767225600");
    assert_string_equal(r->hdr_sunset, "Thu, 31 Dec 2026 22:59:59 GMT");
    assert_string_equal(r->hdr_link, "<https://d.example/v2>; rel=\"deprecation\"");
    assert_true(r->deprecation_enforce);
    assert_string_equal(r->rename[0].from, "nom");
    assert_string_equal(r->rename[0].to, "name");
    rl_config_free(c);
    c = ok("cache: {max_memory: 0}\n" HEAD "    cache: {ttl: 1ms}\n");
    assert_int_equal(c->cache_max_memory, 0);
    assert_true(c->routes[0].cache_key_by_consumer);
    rl_config_free(c);
}

static void test_errors(void **state)
{
    (void)state;
    bad(HEAD "    cache: {vary: [a]}\n", "t.yaml:6: routes[0].cache.ttl is required");
    bad(HEAD "    cache: {ttl: 31d}\n", "t.yaml:6: routes[0].cache.ttl");
    bad(HEAD "    cache: {ttl: 1s, vary: ['a:b']}\n", "'a:b' is not a header name");
    bad(HEAD "    cache: true\n", "routes[0].cache");
    bad(HEAD "    fields: []\n", "routes[0].fields: list 1 to 256");
    bad(HEAD "    fields: [id, 'x y']\n", "invalid field 'x y'");
    bad(HEAD "    deprecation: {}\n", "set at least one of date, sunset, link");
    bad(HEAD "    deprecation: {date: 2026-02-30}\n", "deprecation.date: expected a date");
    bad(HEAD "    deprecation: {date: '2026-01-01T10:00:00'}\n", "deprecation.date: expected a date");
    bad(HEAD "    deprecation: {date: 2026-06-01, sunset: 2026-01-01}\n", "the sunset comes before");
    bad(HEAD "    deprecation: {link: 'https://x/<a>'}\n", "deprecation.link: invalid URL");
    bad(HEAD "    deprecation: {date: 2026-01-01, enforce: true}\n", "needs deprecation.sunset");
    bad(HEAD "    rename: {nom: name, prix: name}\n", "'name' is already the new name of 'nom'");
    bad(HEAD "    rename: {'a.b': c}\n", "'a.b' is not a member name");
    bad(HEAD "    rename: {a: [b]}\n", "routes[0].rename.a");
    bad("cache: {max_memory: 1MiB, ttl: 1s}\n", "unknown key 'cache.ttl'");
    bad("cache: {max_memory: lots}\n", "cache.max_memory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
