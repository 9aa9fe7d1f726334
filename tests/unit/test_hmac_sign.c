/* test_hmac_sign.c — upstream/hmac_sign: template parsing (placeholders,
 * escapes, errors), rendering, and signatures checked against values
 * computed independently with python3's hmac module (shown beside each). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "upstream/hmac_sign.h"

static char *render(const char *tmpl, const rl_hmac_vars_t *v)
{
    rl_hmac_tmpl_t t;
    char why[192], *out = NULL;
    size_t n = 0;
    if (rl_hmac_tmpl_parse(tmpl, strlen(tmpl), &t, why, sizeof(why)) != 0) fail_msg("parse: %s", why);
    assert_int_equal(rl_hmac_render(&t, v, &out, &n), 0);
    assert_int_equal(n, strlen(out));
    rl_hmac_tmpl_free(&t);
    return out;
}

static void parse_error(const char *tmpl, const char *part)
{
    rl_hmac_tmpl_t t;
    char why[192] = "";
    assert_int_equal(rl_hmac_tmpl_parse(tmpl, strlen(tmpl), &t, why, sizeof(why)), -1);
    if (strstr(why, part) == NULL) fail_msg("'%s': want \"%s\" in \"%s\"", tmpl, part, why);
    assert_int_equal(t.n_parts, 0);
    assert_null(t.text);
    rl_hmac_tmpl_free(&t);
}

static const rl_hmac_vars_t vars = {
    "POST", "/v1/charges", "a=1&b=2", "1700000000", "{\"amount\":100}", 4, 11, 7, 10, 14};

static void test_render_placeholders(void **state)
{
    char *s = render("{method}\n{path}\n{timestamp}\n{body}", &vars);
    assert_string_equal(s, "POST\n/v1/charges\n1700000000\n{\"amount\":100}");
    free(s);
    s = render("{{literal}} {query}|{body_sha256}", &vars);
    /* python3: hashlib.sha256(b'{"amount":100}').hexdigest() */
    assert_string_equal(s,
                        "{literal} a=1&b=2|4d4bbe59c6aad22442cde199a6a8a5f034405fcd78fb5a81c24ef249de1c45f1");
    free(s);
}

static void test_render_empty_and_sha(void **state)
{
    rl_hmac_vars_t v = {"GET", "/", NULL, "1", NULL, 3, 1, 0, 1, 0};
    char *s = render("{query}{body}{body_sha256}", &v);
    /* SHA-256 of the empty body */
    assert_string_equal(s, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    free(s);
    s = render("", &v);
    assert_string_equal(s, "");
    free(s);
}

static void test_parse_errors(void **state)
{
    parse_error("{method", "unclosed '{'");
    parse_error("a}b", "lone '}'");
    parse_error("{Method}", "unknown placeholder '{Method}'");
    parse_error("{}", "unknown placeholder '{}'");
    char many[200] = "";
    for (int i = 0; i < 33; i++)
        strcat(many, "{path}");
    parse_error(many, "too many parts");
    rl_hmac_tmpl_t t;
    assert_int_equal(rl_hmac_tmpl_parse("x{body_sha256}", 14, &t, NULL, 0), 0);
    assert_true(t.uses_body);
    assert_int_equal(t.n_parts, 2);
    rl_hmac_tmpl_free(&t);
    assert_int_equal(rl_hmac_tmpl_parse("{method}{{}}x", 13, &t, NULL, 0), 0);
    assert_false(t.uses_body);
    assert_int_equal(t.n_parts, 2); /* the escapes and "x" merge into one text part */
    assert_string_equal(t.text, "{}x");
    rl_hmac_tmpl_free(&t);
}

static void test_signatures(void **state)
{
    char sig[RL_HMAC_SIG_MAX];
    /* RFC 4231 test case 2 */
    assert_int_equal(rl_hmac_sign(RL_HMAC_SHA256, RL_HMAC_HEX, "Jefe", 4, "what do ya want for nothing?", 28,
                                  sig, sizeof(sig)),
                     64);
    assert_string_equal(sig, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    const char *msg = "POST\n/v1/charges\n1700000000\n{\"amount\":100}";
    /* python3: hmac.new(b"s3cret", msg.encode(), hashlib.sha256).hexdigest() */
    assert_int_equal(
        rl_hmac_sign(RL_HMAC_SHA256, RL_HMAC_HEX, "s3cret", 6, msg, strlen(msg), sig, sizeof(sig)), 64);
    assert_string_equal(sig, "0ee2d8512d290cdffae6cbf80d58e974d20e99c5644c3c561ffbc0862105e89a");
    /* python3: base64.b64encode(hmac.new(b"s3cret", msg.encode(), hashlib.sha512).digest()) */
    assert_int_equal(
        rl_hmac_sign(RL_HMAC_SHA512, RL_HMAC_BASE64, "s3cret", 6, msg, strlen(msg), sig, sizeof(sig)), 88);
    assert_string_equal(
        sig, "trv237EkYWYwSnizY6eB9gcIrc30LzzcWWv5FdMpCJ0+UvwElHvLiOVN7TmyxHxEwYNuNQIapvJc22k8aT594g==");
    /* too small a buffer */
    assert_int_equal(rl_hmac_sign(RL_HMAC_SHA512, RL_HMAC_HEX, "k", 1, "m", 1, sig, 128), -1);
}

/* Template + signature together, as auth_apply does it. */
static void test_render_then_sign(void **state)
{
    rl_hmac_vars_t v = {"PUT", "/x", "a=1&b=2", "1700000000123", "{\"a\":1}", 3, 2, 7, 13, 7};
    char *m = render("{timestamp}.{body_sha256}|{query}|{{x}}", &v);
    assert_string_equal(
        m, "1700000000123.015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862|a=1&b=2|{x}");
    char sig[RL_HMAC_SIG_MAX];
    /* python3: hmac.new(b"k", m.encode(), hashlib.sha256).hexdigest() */
    rl_hmac_sign(RL_HMAC_SHA256, RL_HMAC_HEX, "k", 1, m, strlen(m), sig, sizeof(sig));
    assert_string_equal(sig, "41bde6d4eb46094cd107349b2acb9371cff3ce103764525f8cbd4c2d207ccbfe");
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_placeholders), cmocka_unit_test(test_render_empty_and_sha),
        cmocka_unit_test(test_parse_errors),        cmocka_unit_test(test_signatures),
        cmocka_unit_test(test_render_then_sign),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
