/* test_path.c — dot-segment removal on raw paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/path.h"

static void check(const char *in, const char *want)
{
    char out[256];
    size_t n = rl_path_normalize(in, strlen(in), out);
    out[n] = '\0';
    assert_string_equal(out, want);
}

static void test_unchanged(void **state)
{
    check("/", "/");
    check("/v1/items/42", "/v1/items/42");
    check("/a%20b/c%2Fd", "/a%20b/c%2Fd");
    check("/a/b/", "/a/b/");
    check("/file.json", "/file.json");
    check("/a/...", "/a/...");
    check("/a/.hidden", "/a/.hidden");
}

static void test_dot_segments(void **state)
{
    check("/a/./b", "/a/b");
    check("/a/../b", "/b");
    check("/a/b/..", "/a/");
    check("/a/b/.", "/a/b/");
    check("/../../etc/passwd", "/etc/passwd");
    check("/files/%2e%2e/secret", "/secret");
    check("/files/%2E./x", "/x");
    check("/files/.%2e/x", "/x");
    check("/a//b", "/a//b");
}

static void test_percent_encoding(void **state)
{
    check("/v1/%69tems/%34%32", "/v1/items/42"); /* unreserved: decoded */
    check("/%7e%7E/%2D%5f%2e", "/~~/-_.");
    check("/a%2ex/%41%5a%61%7a%30%39", "/a.x/AZaz09");
    check("/a%2fb/%3a/%c3%a9", "/a%2Fb/%3A/%C3%A9"); /* reserved and others: kept, in upper case */
    check("/a%20b", "/a%20b");
    check("/%zz/%4/%", "/%zz/%4/%"); /* not an encoding: left alone */
    /* a segment with a stray '%' is left whole: decoding "%41" would make "%eA" */
    check("/%e%41/%41", "/%e%41/A");
    assert_true(rl_path_is_normal("/%e%41/A", 8));
    check("/%2e%2e%2e/x", "/.../x"); /* three dots: a name, not a dot segment */
    check("/a/%2E%2e/%62", "/b");
    assert_false(rl_path_is_normal("/v1/%69tems", 11));
    assert_false(rl_path_is_normal("/a%20b/%2f", 10)); /* the second encoding of a segment counts too */
    assert_false(rl_path_is_normal("/a/x%20%41", 10));
    assert_true(rl_path_is_normal("/a%2Fb/%20%C3%A9", 16));
    assert_true(rl_path_is_normal("/%zz/%4/%", 9));
}

static void test_is_normal(void **state)
{
    assert_true(rl_path_is_normal("/v1/items/42", 12));
    assert_true(rl_path_is_normal("/a%20b/c.json", 13));
    assert_true(rl_path_is_normal("/a/...", 6));
    assert_false(rl_path_is_normal("/a/../b", 7));
    assert_false(rl_path_is_normal("/a/%2e%2E/b", 11));
    assert_false(rl_path_is_normal("/a/.", 4));
    assert_false(rl_path_is_normal("a/b", 3));
    assert_false(rl_path_is_normal("", 0));
}

static void test_no_leading_slash(void **state)
{
    check("a/b", "/a/b");
    check("", "/");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unchanged),        cmocka_unit_test(test_dot_segments),
        cmocka_unit_test(test_is_normal),        cmocka_unit_test(test_percent_encoding),
        cmocka_unit_test(test_no_leading_slash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
