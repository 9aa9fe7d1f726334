/* test_cidr.c — address and CIDR parsing, matching (v4, v6, v4-mapped) and
 * the X-Forwarded-For walk behind trusted proxies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/cidr.h"

static rl_ip_t ip(const char *s)
{
    rl_ip_t v;
    assert_int_equal(rl_ip_parse(s, strlen(s), &v), 0);
    return v;
}

static rl_cidr_t cidr(const char *s)
{
    rl_cidr_t c;
    const char *why = NULL;
    assert_int_equal(rl_cidr_parse(s, strlen(s), &c, &why), 0);
    return c;
}

static bool in(const char *net, const char *addr)
{
    rl_cidr_t c = cidr(net);
    rl_ip_t a = ip(addr);
    return rl_cidr_match(&c, &a);
}

static void test_parse_errors(void **state)
{
    static const char *const bad[] = {"",           "1.2.3",     "1.2.3.4/33",    "1.2.3.4/", "10.0.0.1/8",
                                      "::1/129",    "fe80::/9x", "1.2.3.4/08",    "1.2.3.4 ", "[::1]",
                                      "1.2.3.4:80", "256.1.1.1", "2001:db8::/-1", "abc",      "1.2.3.4/1234"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rl_cidr_t c;
        const char *why = NULL;
        assert_int_equal(rl_cidr_parse(bad[i], strlen(bad[i]), &c, &why), -1);
        assert_non_null(why);
    }
    rl_ip_t v;
    assert_int_equal(rl_ip_parse("1.2.3.4\0", 8, &v), -1);
    char longs[100];
    memset(longs, '1', sizeof(longs));
    assert_int_equal(rl_ip_parse(longs, sizeof(longs), &v), -1);
}

static void test_match_v4(void **state)
{
    assert_true(in("10.0.0.0/8", "10.255.1.2"));
    assert_false(in("10.0.0.0/8", "11.0.0.1"));
    assert_true(in("192.168.1.0/24", "192.168.1.77"));
    assert_false(in("192.168.1.0/24", "192.168.2.1"));
    assert_true(in("172.16.0.0/12", "172.31.255.255"));
    assert_false(in("172.16.0.0/12", "172.32.0.0"));
    assert_true(in("0.0.0.0/0", "8.8.8.8"));
    assert_false(in("0.0.0.0/0", "2001:db8::1"));
    assert_true(in("127.0.0.1", "127.0.0.1")); /* bare address = /32 */
    assert_false(in("127.0.0.1", "127.0.0.2"));
}

static void test_match_v6_and_mapped(void **state)
{
    assert_true(in("2001:db8::/32", "2001:db8:1::5"));
    assert_false(in("2001:db8::/32", "2001:db9::1"));
    assert_true(in("::1", "::1"));
    assert_false(in("::1", "::2"));
    assert_true(in("::/0", "fe80::1"));
    assert_true(in("fe80::/10", "febf::1"));
    assert_false(in("fe80::/10", "fec0::1"));
    /* a v4-mapped v6 address matches v4 CIDRs, and v4-mapped CIDRs match v4 */
    assert_true(in("10.0.0.0/8", "::ffff:10.9.8.7"));
    assert_false(in("10.0.0.0/8", "::ffff:11.9.8.7"));
    assert_true(in("::ffff:10.0.0.0/104", "10.3.3.3"));
    assert_true(in("::ffff:0:0/96", "1.2.3.4"));
}

static void test_list_and_format(void **state)
{
    const char *strs[] = {"10.0.0.0/8", "2001:db8::/48"};
    rl_cidr_list_t l;
    size_t bad = 99;
    const char *why = NULL;
    assert_int_equal(rl_cidr_list_parse(strs, 2, &l, &bad, &why), 0);
    assert_int_equal(l.n, 2);
    rl_ip_t a = ip("2001:db8:0:1::1"), b = ip("2001:db8:1::1"), c = ip("10.0.0.1");
    assert_true(rl_cidr_list_match(&l, &a));
    assert_false(rl_cidr_list_match(&l, &b));
    assert_true(rl_cidr_list_match(&l, &c));
    rl_cidr_list_free(&l);
    assert_false(rl_cidr_list_match(&l, &c));
    const char *bads[] = {"10.0.0.0/8", "nope"};
    assert_int_equal(rl_cidr_list_parse(bads, 2, &l, &bad, &why), -1);
    assert_int_equal(bad, 1);
    assert_null(l.items);
    char buf[RL_IP_TEXT_MAX];
    rl_ip_t m = ip("::ffff:1.2.3.4");
    assert_int_equal(rl_ip_format(&m, buf, sizeof(buf)), 7);
    assert_string_equal(buf, "1.2.3.4");
    rl_ip_t six = ip("2001:DB8::1");
    rl_ip_format(&six, buf, sizeof(buf));
    assert_string_equal(buf, "2001:db8::1");
    const char *quads[] = {"0.0.0.0", "255.255.255.255", "10.0.100.9", "192.168.1.20", "1.22.3.44"};
    for (size_t i = 0; i < sizeof(quads) / sizeof(quads[0]); i++) {
        rl_ip_t q = ip(quads[i]);
        assert_int_equal(rl_ip_format(&q, buf, sizeof(buf)), strlen(quads[i]));
        assert_string_equal(buf, quads[i]);
    }
    rl_ip_t big = ip("255.255.255.255");
    assert_int_equal(rl_ip_format(&big, buf, 15), 0); /* no room for the NUL: nothing, never a cut address */
    assert_string_equal(buf, "");
    assert_int_equal(rl_ip_format(&big, buf, 16), 15);
}

static const char *eff(const char *peer, const char *xff, const char *const *trusted, size_t nt, char *buf)
{
    rl_cidr_list_t l;
    size_t bad;
    const char *why;
    assert_int_equal(rl_cidr_list_parse(trusted, nt, &l, &bad, &why), 0);
    rl_ip_t p = ip(peer);
    rl_ip_t e = rl_ip_effective(&p, xff, xff ? strlen(xff) : 0, &l);
    rl_cidr_list_free(&l);
    rl_ip_format(&e, buf, RL_IP_TEXT_MAX);
    return buf;
}

static void test_effective_ip(void **state)
{
    char b[RL_IP_TEXT_MAX];
    const char *t[] = {"127.0.0.1/32", "10.0.0.0/8"};
    /* no trust list: the peer, whatever the header says */
    assert_string_equal(eff("127.0.0.1", "1.1.1.1", t, 0, b), "127.0.0.1");
    /* peer not trusted: header ignored */
    assert_string_equal(eff("8.8.8.8", "1.1.1.1", t, 2, b), "8.8.8.8");
    /* trusted peer, no header: the peer */
    assert_string_equal(eff("127.0.0.1", NULL, t, 2, b), "127.0.0.1");
    /* right-most untrusted entry wins; a spoofed left part is ignored */
    assert_string_equal(eff("127.0.0.1", "6.6.6.6, 203.0.113.5", t, 2, b), "203.0.113.5");
    assert_string_equal(eff("127.0.0.1", "6.6.6.6, 203.0.113.5, 10.1.1.1", t, 2, b), "203.0.113.5");
    /* every entry trusted: the left-most */
    assert_string_equal(eff("127.0.0.1", "10.0.0.2,10.0.0.3", t, 2, b), "10.0.0.2");
    /* garbage stops the walk at the last vouched-for address */
    assert_string_equal(eff("127.0.0.1", "1.1.1.1, junk, 10.0.0.9", t, 2, b), "10.0.0.9");
    assert_string_equal(eff("127.0.0.1", "junk", t, 2, b), "127.0.0.1");
    /* empty elements and spaces; IPv6 entries */
    assert_string_equal(eff("127.0.0.1", " , 2001:db8::7 ,,", t, 2, b), "2001:db8::7");
    const char *t6[] = {"::1"};
    assert_string_equal(eff("::1", "192.0.2.1", t6, 1, b), "192.0.2.1");
    assert_string_equal(eff("::1", "", t6, 1, b), "::1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_errors),        cmocka_unit_test(test_match_v4),
        cmocka_unit_test(test_match_v6_and_mapped), cmocka_unit_test(test_list_and_format),
        cmocka_unit_test(test_effective_ip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
