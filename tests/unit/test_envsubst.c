/* test_envsubst.c — ${VAR} / ${VAR:-default} substitution against a fixed
 * table of variables (no process environment involved). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "config/envsubst.h"

static const char *const table[][2] = {
    {"HOST", "example.com"}, {"PORT", "8443"}, {"EMPTY", ""}, {"DOLLAR", "${HOST}$$"}, {"_X1", "x"},
};

static const char *lookup(const char *name, void *ud)
{
    int *calls = ud;
    if (calls) (*calls)++;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (strcmp(table[i][0], name) == 0) return table[i][1];
    return NULL;
}

static void subst_ok(const char *in, const char *want)
{
    rl_envsubst_result_t r;
    if (rl_envsubst(in, 1024, lookup, NULL, &r) != 0) fail_msg("'%s' failed: %s", in, r.msg);
    assert_null(r.unset_var);
    assert_string_equal(r.value, want);
    rl_envsubst_result_free(&r);
}

static void subst_err(const char *in, const char *msg_part)
{
    rl_envsubst_result_t r;
    assert_int_equal(rl_envsubst(in, 1024, lookup, NULL, &r), -1);
    assert_null(r.value);
    assert_null(r.unset_var);
    if (strstr(r.msg, msg_part) == NULL) fail_msg("'%s': message '%s' lacks '%s'", in, r.msg, msg_part);
}

static void subst_unset(const char *in, const char *var)
{
    rl_envsubst_result_t r;
    assert_int_equal(rl_envsubst(in, 1024, lookup, NULL, &r), 0);
    assert_null(r.value);
    assert_string_equal(r.unset_var, var);
    rl_envsubst_result_free(&r);
}

static void test_plain_text(void **state)
{
    (void)state;
    subst_ok("", "");
    subst_ok("hello", "hello");
    subst_ok("pa$s", "pa$s");
    subst_ok("$", "$");
    subst_ok("a$", "a$");
    subst_ok("$HOST", "$HOST");
    subst_ok("$$", "$");
    subst_ok("$${HOST}", "${HOST}");
    subst_ok("a$$$$b", "a$$b");
}

static void test_variables(void **state)
{
    (void)state;
    subst_ok("${HOST}", "example.com");
    subst_ok("https://${HOST}:${PORT}/v1", "https://example.com:8443/v1");
    subst_ok("${_X1}${_X1}", "xx");
    subst_ok("x${EMPTY}y", "xy");
    subst_ok("${DOLLAR}", "${HOST}$$"); /* values are not re-scanned */
}

static void test_defaults(void **state)
{
    (void)state;
    subst_ok("${NOPE:-fallback}", "fallback");
    subst_ok("${HOST:-fallback}", "example.com");
    subst_ok("${EMPTY:-fallback}", "fallback");
    subst_ok("${NOPE:-}", "");
    subst_ok("${NOPE:-a b:c-d}", "a b:c-d");
    subst_ok("${NOPE:-$$}", "$$"); /* defaults are literal */
    subst_ok("http://${NOPE:-localhost}:${PORT:-80}", "http://localhost:8443");
}

static void test_whole_value_unset(void **state)
{
    (void)state;
    subst_unset("${NOPE}", "NOPE");
    subst_unset("${EMPTY}", "EMPTY");
    subst_err("x${NOPE}", "environment variable NOPE is not set");
    subst_err("${NOPE}x", "environment variable NOPE is not set");
    subst_err("${HOST}${NOPE}", "environment variable NOPE is not set");
}

static void test_syntax_errors(void **state)
{
    (void)state;
    subst_err("${", "unterminated");
    subst_err("${HOST", "unterminated");
    subst_err("abc ${HOST:-x", "unterminated");
    subst_err("${}", "expected a variable name");
    subst_err("${1X}", "expected a variable name");
    subst_err("${-x}", "expected a variable name");
    subst_err("${HOST-x}", "expected ${HOST} or ${HOST:-default}");
    subst_err("${HOST:x}", "expected ${HOST}");
    subst_err("${HO ST}", "expected ${HO}");
    subst_err("${A:-${B}}", "inside the default");
}

static void test_long_names_and_values(void **state)
{
    char in[300];
    rl_envsubst_result_t r;
    (void)state;
    memset(in, 'A', sizeof(in));
    in[0] = '$', in[1] = '{', in[sizeof(in) - 2] = '}', in[sizeof(in) - 1] = '\0';
    subst_err(in, "longer than 128");
    assert_int_equal(rl_envsubst("${HOST}", 11, lookup, NULL, &r), 0);
    assert_string_equal(r.value, "example.com");
    rl_envsubst_result_free(&r);
    assert_int_equal(rl_envsubst("${HOST}", 10, lookup, NULL, &r), -1);
    assert_non_null(strstr(r.msg, "longer than 10 bytes"));
    assert_int_equal(rl_envsubst("0123456789a", 10, lookup, NULL, &r), -1);
    assert_int_equal(rl_envsubst("${NOPE:-0123456789a}", 10, lookup, NULL, &r), -1);
}

static void test_lookup_called_per_use(void **state)
{
    int calls = 0;
    rl_envsubst_result_t r;
    (void)state;
    assert_int_equal(rl_envsubst("a$$b", 64, lookup, &calls, &r), 0);
    rl_envsubst_result_free(&r);
    assert_int_equal(calls, 0);
    assert_int_equal(rl_envsubst("${HOST}-${PORT}", 64, lookup, &calls, &r), 0);
    rl_envsubst_result_free(&r);
    assert_true(calls >= 2);
}

static void test_getenv_adapter(void **state)
{
    rl_envsubst_result_t r;
    (void)state;
    setenv("RL_TEST_ENVSUBST", "from-env", 1);
    assert_int_equal(rl_envsubst("v=${RL_TEST_ENVSUBST}", 64, rl_envsubst_getenv, NULL, &r), 0);
    assert_string_equal(r.value, "v=from-env");
    rl_envsubst_result_free(&r);
    unsetenv("RL_TEST_ENVSUBST");
    assert_int_equal(rl_envsubst("${RL_TEST_ENVSUBST}", 64, rl_envsubst_getenv, NULL, &r), 0);
    assert_string_equal(r.unset_var, "RL_TEST_ENVSUBST");
    rl_envsubst_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_text),
        cmocka_unit_test(test_variables),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_whole_value_unset),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_long_names_and_values),
        cmocka_unit_test(test_lookup_called_per_use),
        cmocka_unit_test(test_getenv_adapter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
