/* test_keys.c — API key format, base62, hashing, constant-time verification
 * and rotation grace (time as a parameter), list normalization, CIDRs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/base62.h"
#include "ingress/keys.h"

static void test_base62_roundtrip(void **state)
{
    uint8_t in[40], out[40];
    char txt[RL_BASE62_ENCODED_MAX(40)];
    for (int round = 0; round < 200; round++) {
        size_t n = (size_t)(round % 40) + 1;
        for (size_t i = 0; i < n; i++)
            in[i] = (uint8_t)(round * 31 + i * 7);
        if (round % 5 == 0) in[0] = 0; /* leading zeros survive */
        int len = rl_base62_encode(in, n, txt, sizeof(txt));
        assert_true(len > 0);
        assert_true(rl_base62_valid(txt, (size_t)len));
        assert_int_equal(rl_base62_decode(txt, (size_t)len, out, sizeof(out)), (int)n);
        assert_memory_equal(in, out, n);
    }
    const uint8_t v[] = {0x00, 0x3d};
    assert_int_equal(rl_base62_encode(v, 2, txt, sizeof(txt)), 2);
    assert_string_equal(txt, "0z"); /* 61 = 'z' */
    assert_int_equal(rl_base62_decode("a-b", 3, out, sizeof(out)), -1);
    assert_false(rl_base62_valid("", 0));
    assert_false(rl_base62_valid("ab_c", 4));
    assert_int_equal(rl_base62_encode(in, 10, txt, 3), -1); /* too small */
}

/* Every byte: valid exactly for 0-9, A-Z, a-z, alone and after valid text. */
static void test_base62_valid_every_byte(void **state)
{
    (void)state;
    for (int c = 0; c < 256; c++) {
        bool want = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
        char s[4] = {'a', 'Z', '0', (char)c};
        assert_int_equal(rl_base62_valid(s + 3, 1), want);
        assert_int_equal(rl_base62_valid(s, 4), want);
    }
}

static void test_key_generate_and_parse(void **state)
{
    char id[RL_KEY_ID_LEN + 1], key[RL_KEY_LEN + 1], id2[RL_KEY_ID_LEN + 1], key2[RL_KEY_LEN + 1];
    uint8_t hash[32], h2[32], hash2[32];
    const char *pid, *secret;
    size_t slen;
    rl_key_generate(id, key, hash);
    rl_key_generate(id2, key2, hash2);
    assert_int_equal(strlen(key), RL_KEY_LEN);
    assert_int_equal(strncmp(key, "rk_", 3), 0);
    assert_string_not_equal(id, id2);
    assert_int_equal(rl_key_parse(key, strlen(key), &pid, &secret, &slen), 0);
    assert_memory_equal(pid, id, RL_KEY_ID_LEN);
    assert_int_equal(slen, RL_KEY_SECRET_LEN);
    rl_key_hash_secret(secret, slen, h2);
    assert_memory_equal(hash, h2, 32); /* only this hash is stored */
    /* malformed keys */
    assert_int_equal(rl_key_parse("rk_short_x", 10, &pid, &secret, &slen), -1);
    char bad[RL_KEY_LEN + 1];
    memcpy(bad, key, sizeof(bad));
    bad[5] = '-';
    assert_int_equal(rl_key_parse(bad, strlen(bad), &pid, &secret, &slen), -1);
    memcpy(bad, key, sizeof(bad));
    bad[3 + RL_KEY_ID_LEN] = 'x'; /* no separator */
    assert_int_equal(rl_key_parse(bad, strlen(bad), &pid, &secret, &slen), -1);
    memcpy(bad, key, sizeof(bad));
    bad[0] = 'R';
    assert_int_equal(rl_key_parse(bad, strlen(bad), &pid, &secret, &slen), -1);
}

static rl_store_key_row_t row_for(const char *secret)
{
    rl_store_key_row_t k = {0};
    strcpy(k.id, "AAAAAAAAAAAA");
    rl_key_hash_secret(secret, strlen(secret), k.secret_hash);
    return k;
}

static void test_verify_and_rotation_grace(void **state)
{
    rl_store_key_row_t k = row_for("oldsecretoldsecretoldsecret");
    const char *old = "oldsecretoldsecretoldsecret", *neu = "newsecretnewsecretnewsecret";
    assert_int_equal(rl_key_verify(&k, old, strlen(old), 1000), RL_KEY_VALID);
    assert_int_equal(rl_key_verify(&k, neu, strlen(neu), 1000), RL_KEY_WRONG_SECRET);
    assert_int_equal(rl_key_verify(&k, old, strlen(old) - 1, 1000), RL_KEY_WRONG_SECRET);
    /* rotate at t=10 000 with a grace until t=20 000 */
    memcpy(k.prev_hash, k.secret_hash, 32);
    rl_key_hash_secret(neu, strlen(neu), k.secret_hash);
    k.prev_until_ms = 20000;
    assert_int_equal(rl_key_verify(&k, neu, strlen(neu), 10000), RL_KEY_VALID);
    assert_int_equal(rl_key_verify(&k, old, strlen(old), 19999), RL_KEY_VALID);
    assert_int_equal(rl_key_verify(&k, old, strlen(old), 20000), RL_KEY_WRONG_SECRET);
    assert_int_equal(rl_key_verify(&k, neu, strlen(neu), 20000), RL_KEY_VALID);
    /* expiry and revocation win over a right secret */
    k.expires_at_ms = 30000;
    assert_int_equal(rl_key_verify(&k, neu, strlen(neu), 29999), RL_KEY_VALID);
    assert_int_equal(rl_key_verify(&k, neu, strlen(neu), 30000), RL_KEY_EXPIRED);
    k.revoked_at_ms = 15000;
    assert_int_equal(rl_key_verify(&k, neu, strlen(neu), 15000), RL_KEY_REVOKED);
    /* an all-zero previous hash with no grace never matches */
    rl_store_key_row_t z = row_for("abc");
    assert_int_equal(rl_key_verify(&z, "", 0, 1), RL_KEY_WRONG_SECRET);
}

/* The memo answers as rl_key_verify does, for every secret and time, and
 * only ever remembers the current secret. */
static void test_verify_memo_same_verdicts(void **state)
{
    (void)state;
    const char *old = "oldsecretoldsecretoldsecret", *neu = "newsecretnewsecretnewsecret";
    const char *secrets[] = {old, neu, "oldsecretoldsecretoldsecreT", "", "x"};
    const int64_t times[] = {1000, 10000, 15000, 19999, 20000, 29999, 30000};
    rl_store_key_row_t k = row_for(old);
    rl_key_memo_t m = {0};
    for (int stage = 0; stage < 4; stage++) {
        if (stage == 1) { /* rotated with a grace: the caller resets the memo */
            memcpy(k.prev_hash, k.secret_hash, 32);
            rl_key_hash_secret(neu, strlen(neu), k.secret_hash);
            k.prev_until_ms = 20000;
            m = (rl_key_memo_t){0};
        }
        if (stage == 2) k.expires_at_ms = 30000; /* the memo is kept: the hashes did not change */
        if (stage == 3) k.revoked_at_ms = 15000;
        for (int round = 0; round < 2; round++) /* the second round answers from the memo */
            for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
                for (size_t t = 0; t < sizeof(times) / sizeof(times[0]); t++)
                    assert_int_equal(rl_key_verify_memo(&k, &m, secrets[i], strlen(secrets[i]), times[t]),
                                     rl_key_verify(&k, secrets[i], strlen(secrets[i]), times[t]));
        assert_true(m.set); /* the current secret was seen */
    }
    /* a memo filled by the previous secret would outlive its grace: never */
    rl_key_memo_t m2 = {0};
    assert_int_equal(rl_key_verify_memo(&k, &m2, old, strlen(old), 10000), RL_KEY_VALID);
    assert_false(m2.set);
}

static void test_cidr_check(void **state)
{
    assert_null(rl_key_cidr_check("10.0.0.0/8"));
    assert_null(rl_key_cidr_check("192.168.1.7"));
    assert_null(rl_key_cidr_check("2001:db8::/32"));
    assert_null(rl_key_cidr_check("::1"));
    assert_null(rl_key_cidr_check("0.0.0.0/0"));
    assert_non_null(rl_key_cidr_check("10.0.0.0/33"));
    assert_non_null(rl_key_cidr_check("2001:db8::/129"));
    assert_non_null(rl_key_cidr_check("10.0.0/8"));
    assert_non_null(rl_key_cidr_check("10.0.0.0/"));
    assert_non_null(rl_key_cidr_check("10.0.0.0/08"));
    assert_non_null(rl_key_cidr_check("host.example/8"));
    assert_non_null(rl_key_cidr_check(""));
}

static void test_list_normalize(void **state)
{
    char *out = NULL;
    rl_err_t err;
    assert_int_equal(rl_key_list_normalize(" a, b ,,c ", false, &out, &err), 0);
    assert_string_equal(out, "a,b,c");
    free(out);
    assert_int_equal(rl_key_list_normalize(NULL, false, &out, &err), 0);
    assert_string_equal(out, "");
    free(out);
    assert_int_equal(rl_key_list_normalize("10.0.0.0/8, ::1", true, &out, &err), 0);
    assert_string_equal(out, "10.0.0.0/8,::1");
    free(out);
    assert_int_equal(rl_key_list_normalize("10.0.0.0/8,nope", true, &out, &err), -(int)RL_EBAD_REQUEST);
    assert_non_null(strstr(err.msg, "nope"));
    assert_int_equal(rl_key_list_normalize("a b", false, &out, &err), -(int)RL_EBAD_REQUEST);
    assert_int_equal(rl_key_list_normalize("a\"b", false, &out, &err), -(int)RL_EBAD_REQUEST);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base62_roundtrip),
        cmocka_unit_test(test_base62_valid_every_byte),
        cmocka_unit_test(test_key_generate_and_parse),
        cmocka_unit_test(test_verify_and_rotation_grace),
        cmocka_unit_test(test_verify_memo_same_verdicts),
        cmocka_unit_test(test_cidr_check),
        cmocka_unit_test(test_list_normalize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
