/* test_rename.c — route `rename` on JSON bodies: every depth, inside arrays,
 * once per name (no chains), escaped names, renames before selection, and
 * bodies that are not JSON refused (the caller passes them through). */
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

static rl_rename_cfg_t renames[] = {{"nom", "name"}, {"prix", "price"}, {"a", "b"}, {"b", "c"}};

static char *xf_json(const char *fields, const rl_rename_cfg_t *rn, size_t n_rn, const char *in)
{
    static char out[4096];
    static rl_fieldnode_t nodes[64];
    rl_fieldset_t set;
    rl_fields_err_t err;
    rl_jsonxf_t xf = {.rename = rn, .n_rename = n_rn, .max_out = 1 << 20};
    if (fields) {
        assert_int_equal(rl_fields_parse(fields, strlen(fields), NULL, 0, nodes, 64, &set, &err), 0);
        xf.fields = &set;
    }
    char *o;
    size_t n;
    int rc = rl_jsonxf_apply(in, strlen(in), &xf, &o, &n);
    if (rc != 0) {
        snprintf(out, sizeof(out), "<%d>", rc);
        return out;
    }
    memcpy(out, o, n);
    out[n] = '\0';
    free(o);
    return out;
}

static void test_rename_every_depth(void **state)
{
    (void)state;
    assert_string_equal(xf_json(NULL, renames, 2, "{\"id\":1,\"nom\":\"x\",\"prix\":9.90}"),
                        "{\"id\":1,\"name\":\"x\",\"price\":9.90}");
    assert_string_equal(
        xf_json(NULL, renames, 2, "{\"owner\":{\"nom\":\"Ann\"},\"items\":[{\"nom\":\"a\"},{\"x\":1}]}"),
        "{\"owner\":{\"name\":\"Ann\"},\"items\":[{\"name\":\"a\"},{\"x\":1}]}");
    assert_string_equal(xf_json(NULL, renames, 2, "[{\"nom\":1},{\"nom\":2}]"),
                        "[{\"name\":1},{\"name\":2}]");
    /* values are never renamed, nor are longer or shorter names */
    assert_string_equal(xf_json(NULL, renames, 2, "{\"x\":\"nom\",\"noms\":1,\"no\":2}"),
                        "{\"x\":\"nom\",\"noms\":1,\"no\":2}");
}

static void test_rename_once(void **state)
{
    (void)state;
    /* a→b and b→c: each member renamed by its upstream name, once */
    assert_string_equal(xf_json(NULL, renames + 2, 2, "{\"a\":1,\"b\":2}"), "{\"b\":1,\"c\":2}");
}

static void test_rename_collision(void **state)
{
    (void)state;
    /* the member that already bears a rename's new name gives way to the
     * renamed one, before or after it: never two "name" members */
    assert_string_equal(xf_json(NULL, renames, 2, "{\"name\":\"old\",\"nom\":\"new\",\"id\":1}"),
                        "{\"name\":\"new\",\"id\":1}");
    assert_string_equal(xf_json(NULL, renames, 2, "{\"nom\":\"new\",\"name\":{\"a\":[1]},\"id\":1}"),
                        "{\"name\":\"new\",\"id\":1}");
    /* per object: a "name" where no "nom" stands is kept */
    assert_string_equal(xf_json(NULL, renames, 2, "{\"nom\":1,\"owner\":{\"name\":\"Ann\"},\"name\":2}"),
                        "{\"name\":1,\"owner\":{\"name\":\"Ann\"}}");
    assert_string_equal(xf_json(NULL, renames, 2, "[{\"name\":1},{\"name\":2,\"nom\":3}]"),
                        "[{\"name\":1},{\"name\":3}]");
    /* a chain a→b, b→c: the upstream "b" is renamed itself, so it never shadows */
    assert_string_equal(xf_json(NULL, renames + 2, 2, "{\"b\":2,\"a\":1}"), "{\"c\":2,\"b\":1}");
    /* selection sees the winner only; a dropped member is still validated */
    assert_string_equal(xf_json("name", renames, 2, "{\"name\":\"old\",\"nom\":\"new\"}"),
                        "{\"name\":\"new\"}");
    assert_string_equal(xf_json(NULL, renames, 2, "{\"name\":[1,,2],\"nom\":1}"), "<-1>");
    /* many members bearing the name: one scan ahead per object, all dropped */
    char big[8192];
    size_t o = 0;
    big[o++] = '{';
    for (int i = 0; i < 500; i++)
        o += (size_t)snprintf(big + o, sizeof(big) - o, "\"name\":%d,", i);
    o += (size_t)snprintf(big + o, sizeof(big) - o, "\"nom\":\"w\"}");
    assert_string_equal(xf_json(NULL, renames, 2, big), "{\"name\":\"w\"}");
}

static void test_rename_escaped_names(void **state)
{
    (void)state;
    /* "n\u006fm" is "nom" */
    assert_string_equal(xf_json(NULL, renames, 2, "{\"n\\u006fm\":1}"), "{\"name\":1}");
    /* escapes that are control characters never match */
    assert_string_equal(xf_json(NULL, renames, 2, "{\"n\\nm\":1,\"no\\tm\":2}"),
                        "{\"n\\nm\":1,\"no\\tm\":2}");
}

static void test_rename_then_select(void **state)
{
    (void)state;
    /* fields use the client's (renamed) names */
    assert_string_equal(xf_json("name", renames, 2, "{\"id\":1,\"nom\":\"x\"}"), "{\"name\":\"x\"}");
    assert_string_equal(xf_json("nom", renames, 2, "{\"id\":1,\"nom\":\"x\"}"), "{}");
    assert_string_equal(xf_json("name", renames, 2, "{\"data\":[{\"nom\":1,\"z\":0}],\"meta\":{\"nom\":2}}"),
                        "{\"data\":[{\"name\":1}],\"meta\":{\"name\":2}}");
}

static void test_rename_not_json(void **state)
{
    (void)state;
    assert_string_equal(xf_json(NULL, renames, 2, "nom=1"), "<-1>");
    assert_string_equal(xf_json(NULL, renames, 2, "{\"nom\":1"), "<-1>");
    assert_string_equal(xf_json(NULL, renames, 2, "<html></html>"), "<-1>");
}

static void test_rename_grows(void **state)
{
    (void)state;
    rl_rename_cfg_t big[] = {{"a", "a_much_longer_member_name"}};
    rl_jsonxf_t xf = {.rename = big, .n_rename = 1, .max_out = 31};
    char *o;
    size_t n;
    assert_int_equal(rl_jsonxf_apply("{\"a\":1}", 7, &xf, &o, &n), 0);
    assert_int_equal(n, 31);
    free(o);
    assert_int_equal(rl_jsonxf_apply("{\"a\":1,\"a\":2}", 13, &xf, &o, &n), RL_JSONXF_TOO_BIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rename_every_depth), cmocka_unit_test(test_rename_once),
        cmocka_unit_test(test_rename_collision),   cmocka_unit_test(test_rename_escaped_names),
        cmocka_unit_test(test_rename_then_select), cmocka_unit_test(test_rename_not_json),
        cmocka_unit_test(test_rename_grows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
