/* test_config_ingress_audit.c — the `store` and `audit` keys and the
 * per-route `audit` flag: defaults, values, errors with file:line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"

static rl_config_t *load(const char *text, rl_diag_t *d)
{
    rl_config_t *cfg = NULL;
    rl_config_load_buffer("t.yaml", text, strlen(text), &cfg, d);
    return cfg;
}

static void test_defaults(void **state)
{
    rl_diag_t d = RL_DIAG_INIT;
    rl_config_t *cfg = load("workers: 1\n", &d);
    assert_non_null(cfg);
    assert_string_equal(cfg->store_url, "sqlite://./var/relais.db");
    assert_true(cfg->audit_anonymize_after_ms == 30ull * 86400000);
    assert_true(cfg->audit_retention_ms == 365ull * 86400000);
    assert_int_equal(cfg->audit_queue, 10000);
    rl_config_free(cfg);
    cfg = load("", &d); /* an empty file gets the defaults too */
    assert_non_null(cfg);
    assert_non_null(cfg->store_url);
    assert_int_equal(cfg->audit_queue, 10000);
    rl_config_free(cfg);
    rl_diag_clear(&d);
}

static void test_values(void **state)
{
    rl_diag_t d = RL_DIAG_INIT;
    rl_config_t *cfg = load("store: sqlite:///var/lib/relais.db\n"
                            "audit: {anonymize_after: 1d, retention: 90d, queue: 1}\n"
                            "providers: {b: {base_url: 'http://127.0.0.1:9'}}\n"
                            "routes:\n"
                            "  - {name: a, match: {path: /a}, upstream: {targets: [b]}, audit: true}\n"
                            "  - {name: c, match: {path: /c}, upstream: {targets: [b]}, audit: false}\n"
                            "  - {name: e, match: {path: /e}, upstream: {targets: [b]}}\n",
                            &d);
    assert_non_null(cfg);
    assert_string_equal(cfg->store_url, "sqlite:///var/lib/relais.db");
    assert_true(cfg->audit_anonymize_after_ms == 86400000ull);
    assert_int_equal(cfg->audit_queue, 1);
    assert_int_equal(cfg->routes[0].audit, RL_AUDIT_ON);
    assert_int_equal(cfg->routes[1].audit, RL_AUDIT_OFF);
    assert_int_equal(cfg->routes[2].audit, RL_AUDIT_DEFAULT);
    rl_config_free(cfg);
    rl_diag_clear(&d);
}

static void expect_error(const char *text, const char *needle)
{
    rl_diag_t d = RL_DIAG_INIT;
    assert_null(load(text, &d));
    char *all = rl_diag_join(&d);
    if (strstr(all, needle) == NULL) fail_msg("no '%s' in: %s", needle, all);
    free(all);
    rl_diag_clear(&d);
}

static void test_errors(void **state)
{
    expect_error("store: postgres://db/relais\n",
                 "t.yaml:1: store: the PostgreSQL backend is not available yet");
    expect_error("store: mysql://x\n", "store: expected sqlite://PATH");
    expect_error("store: 'sqlite://'\n", "store: expected sqlite://PATH");
    expect_error("audit: {queue: 0}\n", "audit.queue");
    expect_error("audit: {retention: 1s}\n", "audit.retention");
    expect_error("audit: {queu: 5}\n", "unknown key 'audit.queu'");
    expect_error("providers: {b: {base_url: 'http://127.0.0.1:9'}}\n"
                 "routes: [{match: {path: /a}, upstream: {targets: [b]}, audit: maybe}]\n",
                 "routes[0].audit");
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
