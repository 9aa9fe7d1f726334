/* test_fields.c — ?fields= parsing (grammar, allowlist, limits) and field
 * selection on JSON: nested objects, arrays, the top-level `data` array,
 * `*`, and that what is kept is byte for byte what came. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "policy/fields.h"
#include "policy/jsonxf.h"

static rl_fieldnode_t nodes[4096];

static int parse(const char *s, char *const *allow, size_t n_allow, rl_fieldset_t *set, rl_fields_err_t *err)
{
    return rl_fields_parse(s, strlen(s), allow, n_allow, nodes, sizeof(nodes) / sizeof(nodes[0]), set, err);
}

/* Selects `fields` (NULL = no selection) on `in`; returns the output. */
static char *select_json(const char *fields, const char *in)
{
    static char out[8192];
    rl_fieldset_t set;
    rl_fields_err_t err;
    rl_jsonxf_t xf = {.max_out = 1 << 20};
    if (fields) {
        assert_int_equal(parse(fields, NULL, 0, &set, &err), 0);
        xf.fields = &set;
    }
    char *o;
    size_t n;
    int rc = rl_jsonxf_apply(in, strlen(in), &xf, &o, &n);
    if (rc != 0) {
        snprintf(out, sizeof(out), "<%d>", rc);
        return out;
    }
    assert_true(n < sizeof(out));
    memcpy(out, o, n);
    out[n] = '\0';
    free(o);
    return out;
}

static void test_parse_tree(void **state)
{
    (void)state;
    rl_fieldset_t set;
    rl_fields_err_t err;
    assert_int_equal(parse("id,name,owner.name,owner.id", NULL, 0, &set, &err), 0);
    assert_false(set.all);
    assert_non_null(rl_fields_find(set.child, "id", 2));
    assert_true(rl_fields_find(set.child, "id", 2)->all);
    const rl_fieldnode_t *owner = rl_fields_find(set.child, "owner", 5);
    assert_non_null(owner);
    assert_false(owner->all);
    assert_non_null(rl_fields_find(owner->child, "name", 4));
    assert_non_null(rl_fields_find(owner->child, "id", 2));
    assert_null(rl_fields_find(set.child, "nam", 3));
    /* a whole member wins over a sub-selection, in either order */
    assert_int_equal(parse("owner.name,owner", NULL, 0, &set, &err), 0);
    assert_true(rl_fields_find(set.child, "owner", 5)->all);
    assert_int_equal(parse("owner,owner.name", NULL, 0, &set, &err), 0);
    assert_true(rl_fields_find(set.child, "owner", 5)->all);
    assert_int_equal(parse("*", NULL, 0, &set, &err), 0);
    assert_true(set.all);
    assert_int_equal(parse("id,*", NULL, 0, &set, &err), 0);
    assert_true(set.all);
}

static void test_parse_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {"",     "a,",   ",a",  "a,,b",    "a.",   ".a",  "a..b", "a-b",
                                      "a b",  "a/b",  "é",   "**",      "a*",   "a.*", "a;b",  "a=b",
                                      "a\"b", "a\\b", "%2C", "owner..", "a,b ", " a"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rl_fieldset_t set;
        rl_fields_err_t err;
        assert_int_equal(parse(bad[i], NULL, 0, &set, &err), -1);
        assert_int_equal(err.kind, RL_FIELDS_MALFORMED);
    }
    rl_fieldset_t set;
    rl_fields_err_t err;
    assert_int_equal(parse("id,na-me,x", NULL, 0, &set, &err), -1);
    assert_int_equal(err.field_len, 5);
    assert_memory_equal(err.field, "na-me", 5);
    char seg[RL_FIELDS_MAX_SEGMENT + 2];
    memset(seg, 'a', sizeof(seg) - 1);
    seg[sizeof(seg) - 1] = '\0';
    assert_int_equal(parse(seg, NULL, 0, &set, &err), -1);
    seg[RL_FIELDS_MAX_SEGMENT] = '\0';
    assert_int_equal(parse(seg, NULL, 0, &set, &err), 0);
}

static void test_parse_limits(void **state)
{
    (void)state;
    char buf[1024] = "";
    rl_fieldset_t set;
    rl_fields_err_t err;
    for (int i = 0; i < RL_FIELDS_MAX_ITEMS; i++)
        snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%sf%d", i ? "," : "", i);
    assert_int_equal(parse(buf, NULL, 0, &set, &err), 0);
    strcat(buf, ",one_more");
    assert_int_equal(parse(buf, NULL, 0, &set, &err), -1);
    assert_int_equal(err.kind, RL_FIELDS_TOO_MANY);
    /* depth */
    assert_int_equal(parse("a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p", NULL, 0, &set, &err), 0);
    assert_int_equal(parse("a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q", NULL, 0, &set, &err), -1);
    assert_int_equal(err.kind, RL_FIELDS_TOO_MANY);
    /* too few nodes given */
    assert_int_equal(rl_fields_parse("a,b,c", 5, NULL, 0, nodes, 2, &set, &err), -1);
}

static void test_allowlist(void **state)
{
    (void)state;
    char *allow[] = {"id", "name", "price", "owner.name"};
    rl_fieldset_t set;
    rl_fields_err_t err;
    assert_int_equal(parse("id,name,owner.name", allow, 4, &set, &err), 0);
    assert_int_equal(parse("*", allow, 4, &set, &err), 0);
    assert_int_equal(parse("id,secret", allow, 4, &set, &err), -1);
    assert_int_equal(err.kind, RL_FIELDS_NOT_ALLOWED);
    assert_int_equal(err.field_len, 6);
    assert_memory_equal(err.field, "secret", 6);
    /* above an allowed path: would reveal the other members of owner */
    assert_int_equal(parse("owner", allow, 4, &set, &err), -1);
    assert_memory_equal(err.field, "owner", 5);
    /* below one: fine */
    char *allow2[] = {"owner"};
    assert_int_equal(parse("owner.name.first", allow2, 1, &set, &err), 0);
    /* a prefix of a name is not a path prefix */
    assert_int_equal(parse("ownership", allow2, 1, &set, &err), -1);
    assert_int_equal(parse("idx", allow, 4, &set, &err), -1);
}

static void test_select_object(void **state)
{
    (void)state;
    assert_string_equal(select_json("id,name", "{\"id\": 1, \"name\": \"a\", \"price\": 12.50}"),
                        "{\"id\":1,\"name\":\"a\"}");
    /* numbers and escapes are copied as they came */
    assert_string_equal(select_json("p,s", "{\"p\":1.10e+3,\"s\":\"a\\u00e9\\\"\",\"x\":1}"),
                        "{\"p\":1.10e+3,\"s\":\"a\\u00e9\\\"\"}");
    assert_string_equal(select_json("big", "{\"big\":123456789012345678901234567890}"),
                        "{\"big\":123456789012345678901234567890}");
    /* missing fields are simply absent */
    assert_string_equal(select_json("nope", "{\"id\":1}"), "{}");
    assert_string_equal(select_json("id", "{}"), "{}");
    /* order is the document's, not the request's */
    assert_string_equal(select_json("b,a", "{\"a\":1,\"b\":2,\"c\":3}"), "{\"a\":1,\"b\":2}");
    /* duplicate members are all kept */
    assert_string_equal(select_json("a", "{\"a\":1,\"a\":2}"), "{\"a\":1,\"a\":2}");
}

static void test_select_nested(void **state)
{
    (void)state;
    const char *doc = "{\"id\":7,\"owner\":{\"name\":\"Ann\",\"email\":\"a@x\",\"addr\":{\"city\":\"Lyon\","
                      "\"zip\":\"69001\"}},\"tags\":[\"x\"]}";
    assert_string_equal(select_json("owner.name", doc), "{\"owner\":{\"name\":\"Ann\"}}");
    assert_string_equal(select_json("id,owner.addr.city", doc),
                        "{\"id\":7,\"owner\":{\"addr\":{\"city\":\"Lyon\"}}}");
    assert_string_equal(select_json("owner", doc),
                        "{\"owner\":{\"name\":\"Ann\",\"email\":\"a@x\",\"addr\":{\"city\":\"Lyon\",\"zip\":"
                        "\"69001\"}}}");
    /* a sub-selection on a scalar or a list of scalars keeps it */
    assert_string_equal(select_json("id.x,tags.y", doc), "{\"id\":7,\"tags\":[\"x\"]}");
    /* a nested array of objects: the sub-selection applies to each */
    assert_string_equal(
        select_json("lines.sku", "{\"lines\":[{\"sku\":\"a\",\"q\":1},{\"q\":2},{\"sku\":\"c\"}]}"),
        "{\"lines\":[{\"sku\":\"a\"},{},{\"sku\":\"c\"}]}");
    assert_string_equal(select_json("m.a", "{\"m\":[[{\"a\":1,\"b\":2}],3]}"), "{\"m\":[[{\"a\":1}],3]}");
}

static void test_select_arrays_and_data(void **state)
{
    (void)state;
    assert_string_equal(select_json("id", "[{\"id\":1,\"n\":2},{\"id\":3},4,null,[{\"id\":5,\"x\":0}]]"),
                        "[{\"id\":1},{\"id\":3},4,null,[{\"id\":5}]]");
    assert_string_equal(select_json("id", "[]"), "[]");
    /* the data envelope: selection on each element, the rest kept whole */
    assert_string_equal(
        select_json("id", "{\"success\":true,\"data\":[{\"id\":1,\"n\":\"a\"},{\"id\":2,\"n\":\"b\"}],"
                          "\"meta\":{\"pagination\":{\"has_more\":false}}}"),
        "{\"success\":true,\"data\":[{\"id\":1},{\"id\":2}],\"meta\":{\"pagination\":{\"has_more\":false}}}");
    /* `data` that is not an array is an ordinary member */
    assert_string_equal(select_json("id", "{\"id\":1,\"data\":{\"id\":2}}"), "{\"id\":1}");
    assert_string_equal(select_json("data.id", "{\"id\":1,\"data\":{\"id\":2,\"x\":3}}"),
                        "{\"data\":{\"id\":2}}");
    /* a nested data array is not the envelope */
    assert_string_equal(select_json("id", "{\"x\":{\"data\":[{\"id\":1}]},\"id\":1}"), "{\"id\":1}");
}

static void test_select_star_and_passthrough(void **state)
{
    (void)state;
    /* * keeps everything (compacted) */
    assert_string_equal(select_json("*", "{ \"a\" : [1, 2] ,\n \"b\" : {} }"), "{\"a\":[1,2],\"b\":{}}");
    assert_string_equal(select_json(NULL, " [ true , false , null , -0.5e-3 ] "),
                        "[true,false,null,-0.5e-3]");
    /* scalars at the top are kept */
    assert_string_equal(select_json("a", "\"text\""), "\"text\"");
    assert_string_equal(select_json("a", "42"), "42");
}

static void test_invalid_json(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "{",
        "}",
        "{\"a\"}",
        "{\"a\":}",
        "{\"a\":1,}",
        "[1,]",
        "[1 2]",
        "{\"a\":1 \"b\":2}",
        "01",
        "1.",
        ".5",
        "-",
        "1e",
        "tru",
        "nul",
        "\"a",
        "\"\\x\"",
        "\"\\u12\"",
        "{a:1}",
        "[1]]",
        "{} {}",
        "\"a\nb\"",
        "{\"a\":1}x",
        "[\"\\u00zz\"]",
        "{\"a\" 1}",
        "NaN",
        "+1",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *r = select_json("a", bad[i]);
        if (strcmp(r, "<-1>") != 0) fail_msg("'%s' was accepted: %s", bad[i], r);
    }
    /* too deep */
    char deep[2 * RL_JSONXF_MAX_DEPTH + 8];
    size_t n = 0;
    for (int i = 0; i < RL_JSONXF_MAX_DEPTH + 1; i++)
        deep[n++] = '[';
    for (int i = 0; i < RL_JSONXF_MAX_DEPTH + 1; i++)
        deep[n++] = ']';
    deep[n] = '\0';
    assert_string_equal(select_json(NULL, deep), "<-1>");
    deep[0] = ' ';
    deep[n - 1] = '\0';
    assert_string_not_equal(select_json(NULL, deep), "<-1>");
}

static void test_too_big(void **state)
{
    (void)state;
    rl_jsonxf_t xf = {.max_out = 4};
    char *o;
    size_t n;
    assert_int_equal(rl_jsonxf_apply("[1,2,3]", 7, &xf, &o, &n), RL_JSONXF_TOO_BIG);
    xf.max_out = 7;
    assert_int_equal(rl_jsonxf_apply("[1, 2, 3]", 9, &xf, &o, &n), 0);
    assert_int_equal(n, 7);
    free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_tree),
        cmocka_unit_test(test_parse_malformed),
        cmocka_unit_test(test_parse_limits),
        cmocka_unit_test(test_allowlist),
        cmocka_unit_test(test_select_object),
        cmocka_unit_test(test_select_nested),
        cmocka_unit_test(test_select_arrays_and_data),
        cmocka_unit_test(test_select_star_and_passthrough),
        cmocka_unit_test(test_invalid_json),
        cmocka_unit_test(test_too_big),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
