/* test_config_ingress.c — the access keys of relais.yaml: trust_proxy,
 * auth.jwt (keys from secret, PEM, JWK), the cors extras, and the route keys
 * auth, scopes, allow_ips, rate_limit and quota, with their errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "policy/jwt.h"

#define PROVIDERS "providers:\n  b: {base_url: 'http://127.0.0.1:9'}\n"
#define ROUTE(extra) "routes:\n  - match: {path: /x}\n    upstream: {targets: [b]}\n" extra

static rl_config_t *load_ok(const char *yaml)
{
    rl_diag_t d = RL_DIAG_INIT;
    rl_config_t *cfg = NULL;
    if (rl_config_load_buffer("t.yaml", yaml, strlen(yaml), &cfg, &d) != 0) {
        char *all = rl_diag_join(&d);
        fail_msg("load failed: %s\n--- yaml ---\n%s", all, yaml);
    }
    rl_diag_clear(&d);
    return cfg;
}

/* The load fails and some message holds `part` on `line`. */
static void bad(const char *yaml, int line, const char *part)
{
    rl_diag_t d = RL_DIAG_INIT;
    rl_config_t *cfg = NULL;
    assert_int_equal(rl_config_load_buffer("t.yaml", yaml, strlen(yaml), &cfg, &d), -1);
    for (size_t i = 0; i < d.count; i++)
        if (d.items[i].line == line && strstr(d.items[i].msg, part)) {
            rl_diag_clear(&d);
            return;
        }
    char *all = rl_diag_join(&d);
    fail_msg("no '%s' at line %d in: %s", part, line, all);
}

static void test_route_access_ok(void **state)
{
    rl_config_t *cfg = load_ok("trust_proxy: [127.0.0.1/32, '::1']\n"
                               "auth:\n  jwt: {keys: [{kid: a, key: s3cret}], leeway: 30s}\n" PROVIDERS ROUTE(
                                   "    auth: [api_key, jwt, none]\n"
                                   "    scopes: [items:read, items:write]\n"
                                   "    allow_ips: [10.0.0.0/8]\n"
                                   "    rate_limit: [{limit: 100/min}, {limit: 1000/hour, by: ip}]\n"
                                   "    quota: {limit: 10000/month, by: consumer}\n"
                                   "  - match: {path: /y}\n    upstream: {targets: [b]}\n"
                                   "    rate_limit: 5/s\n    quota: 50/day\n"));
    assert_int_equal(cfg->trust_proxy.n, 2);
    assert_non_null(cfg->jwt);
    assert_int_equal(cfg->jwt->leeway_ms, 30000);
    assert_int_equal(cfg->jwt->jwks_interval_ms, 30000);
    assert_int_equal(cfg->jwt->keys.n, 1);
    assert_int_equal(cfg->jwt->keys.keys[0].alg, RL_JWT_HS256);
    const rl_route_cfg_t *r = &cfg->routes[0];
    assert_int_equal(r->n_auth, 3);
    assert_int_equal(r->auth[0], RL_AUTHN_API_KEY);
    assert_int_equal(r->auth[1], RL_AUTHN_JWT);
    assert_int_equal(r->auth[2], RL_AUTHN_NONE);
    assert_int_equal(r->n_scopes, 2);
    assert_string_equal(r->scopes[1], "items:write");
    assert_int_equal(r->allow_ips.n, 1);
    assert_int_equal(r->n_rate_limits, 2);
    assert_int_equal(r->rate_limits[0].rate.count, 100);
    assert_int_equal(r->rate_limits[0].by, RL_LIMIT_BY_CONSUMER);
    assert_int_equal(r->rate_limits[1].rate.period_ms, 3600000);
    assert_int_equal(r->rate_limits[1].by, RL_LIMIT_BY_IP);
    assert_int_equal(r->quota.rate.count, 10000);
    assert_int_equal(r->quota.rate.calendar, 'm');
    assert_string_equal(r->quota.text, "10000/month");
    const rl_route_cfg_t *y = &cfg->routes[1];
    assert_int_equal(y->n_auth, 0);
    assert_int_equal(y->n_rate_limits, 1);
    assert_int_equal(y->rate_limits[0].rate.period_ms, 1000);
    assert_int_equal(y->quota.rate.calendar, 'd');
    assert_int_equal(cfg->cors_max_age_s, 600);
    rl_config_free(cfg);
}

static void test_cors_extras(void **state)
{
    rl_config_t *cfg = load_ok("cors: {allow_origins: ['*'], allow_methods: [GET, POST], allow_headers: "
                               "[Authorization, X-API-Key], expose_headers: [X-Request-Id], max_age: 1h}\n");
    assert_string_equal(cfg->cors_allow_methods, "GET, POST");
    assert_string_equal(cfg->cors_allow_headers, "Authorization, X-API-Key");
    assert_string_equal(cfg->cors_expose_headers, "X-Request-Id");
    assert_int_equal(cfg->cors_max_age_s, 3600);
    rl_config_free(cfg);
    bad("cors: {allow_methods: [FETCH]}\n", 1, "unknown method 'FETCH'");
    bad("cors: {allow_headers: ['a b']}\n", 1, "not a header or method name");
}

static void test_jwt_key_errors(void **state)
{
    bad("auth:\n  jwt: {issuer: x}\n", 2, "set jwks_url, keys, or both");
    bad("auth:\n  jwt:\n    keys: [{kid: a}]\n", 3, "exactly one of key");
    bad("auth:\n  jwt:\n    keys: [{key: s, pem: p}]\n", 3, "exactly one of key");
    bad("auth:\n  jwt:\n    keys: [{alg: RS256, key: s}]\n", 3, "HS256 only");
    bad("auth:\n  jwt:\n    keys: [{alg: PS256, key: s}]\n", 3, "expected HS256, RS256, ES256 or EdDSA");
    bad("auth:\n  jwt:\n    keys:\n      - pem: nope\n", 4, "not a PEM public key");
    bad("auth:\n  jwt:\n    keys:\n      - jwk: {kty: EC, crv: P-384, x: AA, y: AA}\n", 4, "unsupported JWK");
    bad("auth:\n  jwt:\n    keys:\n      - jwk: '{bad json'\n", 4, "not a JSON object");
    bad("auth:\n  jwt: {jwks_url: 'ftp://x'}\n", 2, "auth.jwt.jwks_url: invalid URL");
    bad("auth:\n  jwt: {jwks_url: 'https://x', jwks_refetch_interval: 10ms}\n", 2, "jwks_refetch_interval");
    bad("auth:\n  oauth2: {}\n", 2, "unknown key 'auth.oauth2'");
    /* a JWK given as a JSON string works */
    rl_config_t *cfg =
        load_ok("auth:\n  jwt:\n    keys:\n      - jwk: '{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"e\","
                "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}'\n");
    assert_int_equal(cfg->jwt->keys.keys[0].alg, RL_JWT_EDDSA);
    assert_string_equal(cfg->jwt->keys.keys[0].kid, "e");
    rl_config_free(cfg);
}

static void test_route_errors(void **state)
{
    bad(PROVIDERS ROUTE("    auth: [jwt]\n"), 6, "jwt needs auth.jwt");
    bad(PROVIDERS ROUTE("    auth: [api_key, api_key]\n"), 6, "listed twice");
    bad(PROVIDERS ROUTE("    auth: [password]\n"), 6, "expected one of none, api_key, jwt");
    bad(PROVIDERS ROUTE("    auth: []\n"), 6, "must not be empty");
    bad(PROVIDERS ROUTE("    allow_ips: [10.0.0.1/8]\n"), 6, "bits set after the prefix");
    bad(PROVIDERS ROUTE("    allow_ips: [nope]\n"), 6, "is not a CIDR");
    bad("trust_proxy: [1.2.3.4/33]\n", 1, "prefix length must be 0 to 32");
    bad(PROVIDERS ROUTE("    rate_limit: 5/fortnight\n"), 6, "expected a rate");
    bad(PROVIDERS ROUTE("    rate_limit: {by: ip}\n"), 6, "rate_limit.limit is required");
    bad(PROVIDERS ROUTE("    rate_limit: {limit: 5/s, by: key}\n"), 6, "expected one of consumer, ip");
    bad(PROVIDERS ROUTE("    rate_limit: {limit: 5/s, per: ip}\n"), 6,
        "unknown key 'routes[0].rate_limit.per'");
    bad(PROVIDERS ROUTE("    rate_limit: [[5/s]]\n"), 6, "expected 100/min");
    /* all of a route's limits go to the shared state in one call */
    bad(PROVIDERS ROUTE(
            "    rate_limit: [1/s, 2/s, 3/s, 4/s, 5/s, 6/s, 7/s, 8/s, 9/s, 10/s, 11/s, 12/s, 13/s,"
            " 14/s, 15/s, 16/s, 17/s]\n"),
        6, "rate_limit: at most 16 limits per route, got 17");
    bad(PROVIDERS ROUTE("    quota: 100/hour\n"), 6, "per day or per month");
    bad(PROVIDERS ROUTE("    quota: [100/day]\n"), 6, "expected 10000/month");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route_access_ok),
        cmocka_unit_test(test_cors_extras),
        cmocka_unit_test(test_jwt_key_errors),
        cmocka_unit_test(test_route_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
