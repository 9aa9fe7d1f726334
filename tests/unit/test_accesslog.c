/* test_accesslog.c — the access-log line (core/log.c): every member, valid
 * JSON with escaping, null route/upstream, and the line bound with hostile
 * field lengths. Lines are read from the buffer before any flush. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

/* Adds rec to a fresh log and parses the one line it wrote. */
static json_t *line_of(const rl_access_rec_t *rec, size_t *len)
{
    rl_accesslog_t log = {0};
    rl_accesslog_add(&log, rec);
    assert_non_null(log.buf);
    assert_true(log.len > 0 && log.buf[log.len - 1] == '\n');
    assert_null(memchr(log.buf, '\n', log.len - 1));
    *len = log.len;
    json_error_t err;
    json_t *j = json_loadb(log.buf, log.len, 0, &err);
    if (j == NULL) fail_msg("not JSON: %s: %.*s", err.text, (int)log.len, log.buf);
    log.len = 0; /* nothing goes to stdout */
    rl_accesslog_free(&log);
    return j;
}

static void test_members(void **state)
{
    (void)state;
    rl_access_rec_t rec = {.request_id = "abc",
                           .request_id_len = 3,
                           .route = "items",
                           .method = "GET",
                           .method_len = 3,
                           .path = "/v1/items?x=1",
                           .path_len = 9,
                           .status = 200,
                           .bytes = 9223372036854775807ull,
                           .duration_us = 12034,
                           .upstream = "origin",
                           .upstream_status = 503};
    size_t len;
    json_t *j = line_of(&rec, &len);
    const char *t = json_string_value(json_object_get(j, "time"));
    assert_non_null(t);
    assert_int_equal(strlen(t), 24); /* 2026-11-21T10:00:00.123Z */
    assert_true(t[4] == '-' && t[10] == 'T' && t[19] == '.' && t[23] == 'Z');
    assert_string_equal(json_string_value(json_object_get(j, "request_id")), "abc");
    assert_string_equal(json_string_value(json_object_get(j, "route")), "items");
    assert_string_equal(json_string_value(json_object_get(j, "method")), "GET");
    assert_string_equal(json_string_value(json_object_get(j, "path")), "/v1/items");
    assert_int_equal(json_integer_value(json_object_get(j, "status")), 200);
    assert_true(json_integer_value(json_object_get(j, "bytes")) == 9223372036854775807ll);
    assert_true(json_real_value(json_object_get(j, "duration_ms")) == 12.034);
    assert_string_equal(json_string_value(json_object_get(j, "upstream")), "origin");
    assert_int_equal(json_integer_value(json_object_get(j, "upstream_status")), 503);
    json_decref(j);
}

static void test_nulls_and_small_durations(void **state)
{
    (void)state;
    rl_access_rec_t rec = {
        .method = "GET", .method_len = 3, .path = "/", .path_len = 1, .status = 404, .duration_us = 7};
    size_t len;
    json_t *j = line_of(&rec, &len);
    assert_true(json_is_null(json_object_get(j, "route")));
    assert_true(json_is_null(json_object_get(j, "upstream")));
    assert_true(json_is_null(json_object_get(j, "upstream_status")));
    assert_true(json_is_null(json_object_get(j, "request_id")));
    assert_true(json_real_value(json_object_get(j, "duration_ms")) == 0.007);
    json_decref(j);
}

static void test_escaping(void **state)
{
    (void)state;
    const char path[] = "/a\"b\\c\n\x01\xff";
    rl_access_rec_t rec = {
        .method = "GET", .method_len = 3, .path = path, .path_len = sizeof(path) - 1, .status = 200};
    size_t len;
    json_t *j = line_of(&rec, &len);
    assert_string_equal(json_string_value(json_object_get(j, "path")), "/a\"b\\c\n\x01\xef\xbf\xbd");
    json_decref(j);
}

/* Every field at its worst (all control bytes, six bytes each escaped):
 * the line stays within 4 KiB and stays JSON. */
static void test_line_bound(void **state)
{
    (void)state;
    size_t n = 100000;
    char *junk = malloc(n);
    memset(junk, 0x01, n);
    junk[n - 1] = '\0';
    rl_access_rec_t rec = {.request_id = junk,
                           .request_id_len = n - 1,
                           .route = junk,
                           .method = junk,
                           .method_len = n - 1,
                           .path = junk,
                           .path_len = n - 1,
                           .status = 999,
                           .bytes = 1,
                           .duration_us = UINT64_MAX,
                           .upstream = junk,
                           .upstream_status = 999};
    size_t len;
    json_t *j = line_of(&rec, &len);
    assert_true(len <= 4096);
    json_decref(j);
    /* many lines in a row: the buffer flushes before it would overflow */
    rl_accesslog_t log = {0};
    for (int i = 0; i < 40; i++) {
        if (log.cap - log.len < 4096) log.len = 0; /* what a flush leaves */
        rl_accesslog_add(&log, &rec);
        assert_true(log.len <= log.cap);
    }
    log.len = 0;
    rl_accesslog_free(&log);
    free(junk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_members),
        cmocka_unit_test(test_nulls_and_small_durations),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_line_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
