/* test_etag.c — entity tags: the computed tag (strong, stable, body-bound),
 * the grammar, strong and weak comparison, and If-Match / If-None-Match
 * lists with '*', W/, spaces and malformed members. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "policy/etag.h"

#define S(x) x, strlen(x)

static void test_compute(void **state)
{
    (void)state;
    char a[RL_ETAG_LEN], b[RL_ETAG_LEN], c[RL_ETAG_LEN];
    rl_etag_compute("hello", 5, a);
    rl_etag_compute("hello", 5, b);
    rl_etag_compute("hellp", 5, c);
    assert_memory_equal(a, b, RL_ETAG_LEN);
    assert_memory_not_equal(a, c, RL_ETAG_LEN);
    assert_int_equal(a[0], '"');
    assert_int_equal(a[RL_ETAG_LEN - 1], '"');
    assert_true(rl_etag_valid(a, RL_ETAG_LEN));
    for (int i = 1; i < RL_ETAG_LEN - 1; i++)
        assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", a[i]));
    rl_etag_compute("", 0, c);
    assert_true(rl_etag_valid(c, RL_ETAG_LEN));
}

static void test_valid(void **state)
{
    (void)state;
    assert_true(rl_etag_valid(S("\"abc\"")));
    assert_true(rl_etag_valid(S("W/\"abc\"")));
    assert_true(rl_etag_valid(S("\"\"")));
    assert_false(rl_etag_valid(S("abc")));
    assert_false(rl_etag_valid(S("\"abc")));
    assert_false(rl_etag_valid(S("w/\"abc\"")));
    assert_false(rl_etag_valid(S("\"a b\"")));
    assert_false(rl_etag_valid(S("\"a\"b\"")));
    assert_false(rl_etag_valid(S("W/")));
    assert_false(rl_etag_valid(S("\"")));
}

static void test_compare(void **state)
{
    (void)state;
    /* RFC 9110 §8.8.3.2's table */
    assert_false(rl_etag_equal(S("W/\"1\""), S("W/\"1\""), false));
    assert_true(rl_etag_equal(S("W/\"1\""), S("W/\"1\""), true));
    assert_false(rl_etag_equal(S("W/\"1\""), S("W/\"2\""), false));
    assert_false(rl_etag_equal(S("W/\"1\""), S("W/\"2\""), true));
    assert_false(rl_etag_equal(S("W/\"1\""), S("\"1\""), false));
    assert_true(rl_etag_equal(S("W/\"1\""), S("\"1\""), true));
    assert_true(rl_etag_equal(S("\"1\""), S("\"1\""), false));
    assert_true(rl_etag_equal(S("\"1\""), S("\"1\""), true));
}

static void test_lists(void **state)
{
    (void)state;
    const char *t = "\"v2\"";
    size_t tl = strlen(t);
    assert_true(rl_etag_list_match(S("\"v2\""), t, tl, true));
    assert_true(rl_etag_list_match(S("\"v1\", \"v2\""), t, tl, true));
    assert_true(rl_etag_list_match(S("\"v1\",\"v2\",\"v3\""), t, tl, false));
    assert_true(rl_etag_list_match(S("  \"v1\" ,\t W/\"v2\"  "), t, tl, true));
    assert_false(rl_etag_list_match(S("W/\"v2\""), t, tl, false)); /* If-Match is strong */
    assert_false(rl_etag_list_match(S("\"v1\", \"v3\""), t, tl, true));
    assert_false(rl_etag_list_match(S("\"v22\""), t, tl, true));
    assert_false(rl_etag_list_match(S(""), t, tl, true));
    /* '*' matches any current representation, and none when there is none */
    assert_true(rl_etag_list_match(S("*"), t, tl, true));
    assert_true(rl_etag_list_match(S(" * "), t, tl, false));
    assert_false(rl_etag_list_match(S("*"), NULL, 0, true));
    assert_false(rl_etag_list_match(S("\"v2\""), NULL, 0, true));
    /* malformed members are skipped, the others still count */
    assert_true(rl_etag_list_match(S("v2, \"v2\""), t, tl, true));
    assert_true(rl_etag_list_match(S("\"bad space, \"x\", \"v2\""), t, tl, true));
    assert_false(rl_etag_list_match(S("\"bad space, \"v2"), t, tl, true));
    assert_false(rl_etag_list_match(S("v2"), t, tl, true));
    assert_false(rl_etag_list_match(S("*, \"v1\""), t, tl, true));
    /* a comma inside a tag is part of it */
    assert_true(rl_etag_list_match(S("\"a,b\""), S("\"a,b\""), true));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compute),
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
