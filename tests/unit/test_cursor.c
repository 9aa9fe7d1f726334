/* test_cursor.c — signed pagination cursors: round trip, tampering,
 * another key, another list kind, malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/cursor.h"

static const uint8_t key[] = "0123456789abcdef0123456789abcdef";

static void test_roundtrip(void **state)
{
    char c[RL_CURSOR_LEN + 1];
    int64_t pos = -1;
    const int64_t values[] = {0, 1, 50, 1234567890123LL, INT64_MAX};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        assert_int_equal(rl_cursor_encode(key, 32, 'k', values[i], c), RL_CURSOR_LEN);
        assert_int_equal(strlen(c), RL_CURSOR_LEN);
        assert_null(strpbrk(c, "+/=")); /* base64url, no padding */
        assert_int_equal(rl_cursor_decode(key, 32, 'k', c, strlen(c), &pos), 0);
        assert_true(pos == values[i]);
    }
}

static void test_tampered(void **state)
{
    char c[RL_CURSOR_LEN + 1], t[RL_CURSOR_LEN + 1];
    int64_t pos;
    rl_cursor_encode(key, 32, 'k', 42, c);
    for (size_t i = 0; i < RL_CURSOR_LEN; i++) { /* every single-character change is refused */
        memcpy(t, c, sizeof(t));
        t[i] = t[i] == 'A' ? 'B' : 'A';
        assert_int_equal(rl_cursor_decode(key, 32, 'k', t, RL_CURSOR_LEN, &pos), -1);
    }
    assert_int_equal(rl_cursor_decode(key, 31, 'k', c, RL_CURSOR_LEN, &pos), -1); /* another key */
    assert_int_equal(rl_cursor_decode(key, 32, 'a', c, RL_CURSOR_LEN, &pos), -1); /* another list */
    assert_int_equal(rl_cursor_decode(key, 32, 'k', c, RL_CURSOR_LEN - 1, &pos), -1);
    assert_int_equal(rl_cursor_decode(key, 32, 'k', "", 0, &pos), -1);
    assert_int_equal(
        rl_cursor_decode(key, 32, 'k', "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!", RL_CURSOR_LEN, &pos), -1);
}

static void test_process_key(void **state)
{
    const uint8_t *k1, *k2;
    size_t l1, l2;
    rl_cursor_key(NULL, &k1, &l1);
    rl_cursor_key("", &k2, &l2);
    assert_ptr_equal(k1, k2); /* one random key per process */
    assert_int_equal(l1, 32);
    rl_cursor_key("configured", &k2, &l2);
    assert_int_equal(l2, 10);
    assert_memory_equal(k2, "configured", 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_tampered),
        cmocka_unit_test(test_process_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
