/* test_cors.c — the CORS decision: allowlist, case, "*", credentials rules
 * (never "*" with credentials; "null" never echoed with credentials). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "policy/cors.h"

static rl_cors_decision_t decide(char **origins, size_t n, bool creds, const char *origin)
{
    rl_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.cors_origins = origins;
    cfg.n_cors_origins = n;
    cfg.cors_credentials = creds;
    return rl_cors_decide(&cfg, origin, origin ? strlen(origin) : 0);
}

static void test_off_and_no_origin(void **state)
{
    char *list[] = {"https://app.example.com"};
    assert_int_equal(decide(list, 0, false, "https://app.example.com").kind, RL_CORS_OFF);
    assert_int_equal(decide(list, 1, false, NULL).kind, RL_CORS_NO_ORIGIN);
}

static void test_allowlist(void **state)
{
    char *list[] = {"https://app.example.com", "http://localhost:3000"};
    rl_cors_decision_t d = decide(list, 2, false, "https://app.example.com");
    assert_int_equal(d.kind, RL_CORS_ALLOWED);
    assert_false(d.wildcard);
    assert_false(d.credentials);
    assert_int_equal(decide(list, 2, false, "HTTPS://APP.EXAMPLE.COM").kind, RL_CORS_ALLOWED);
    assert_int_equal(decide(list, 2, false, "http://localhost:3000").kind, RL_CORS_ALLOWED);
    assert_int_equal(decide(list, 2, false, "http://localhost:3001").kind, RL_CORS_DENIED);
    assert_int_equal(decide(list, 2, false, "https://app.example.com.evil.com").kind, RL_CORS_DENIED);
    assert_int_equal(decide(list, 2, false, "https://app.example.co").kind, RL_CORS_DENIED);
    assert_int_equal(decide(list, 2, false, "null").kind, RL_CORS_DENIED);
    d = decide(list, 2, true, "https://app.example.com");
    assert_true(d.credentials);
    assert_false(d.wildcard);
}

static void test_star(void **state)
{
    char *list[] = {"*"};
    rl_cors_decision_t d = decide(list, 1, false, "https://x.example");
    assert_int_equal(d.kind, RL_CORS_ALLOWED);
    assert_true(d.wildcard);
    assert_false(d.credentials);
    /* with credentials: echo, never "*" */
    d = decide(list, 1, true, "https://x.example");
    assert_int_equal(d.kind, RL_CORS_ALLOWED);
    assert_false(d.wildcard);
    assert_true(d.credentials);
    assert_int_equal(decide(list, 1, true, "null").kind, RL_CORS_DENIED);
    assert_true(decide(list, 1, false, "null").wildcard);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_off_and_no_origin),
        cmocka_unit_test(test_allowlist),
        cmocka_unit_test(test_star),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
