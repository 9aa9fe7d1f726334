/* test_config_auth.c — providers.NAME.auth through the config loader: each
 * type's keys, defaults and errors (with lines), unset ${VAR} credentials
 * recorded as missing env vars rather than errors, and that no message ever
 * carries a credential's value. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "upstream/hmac_sign.h"

#define HEAD "providers:\n  p:\n    base_url: https://api.example.com\n"

static rl_config_t *load_ok(const char *yaml)
{
    rl_diag_t d = RL_DIAG_INIT;
    rl_config_t *cfg = NULL;
    if (rl_config_load_buffer("t.yaml", yaml, strlen(yaml), &cfg, &d) != 0) {
        char *all = rl_diag_join(&d);
        fail_msg("load failed: %s\n--- yaml ---\n%s", all, yaml);
    }
    rl_diag_clear(&d);
    return cfg;
}

/* Fails with exactly one problem at `line` containing `part`; the message
 * must not contain `secret` (when not NULL). */
static void problem(const char *yaml, int line, const char *part, const char *secret)
{
    rl_diag_t d = RL_DIAG_INIT;
    rl_config_t *cfg = NULL;
    assert_int_equal(rl_config_load_buffer("t.yaml", yaml, strlen(yaml), &cfg, &d), -1);
    char *all = rl_diag_join(&d);
    if (d.count != 1 || d.items[0].line != line || strstr(d.items[0].msg, part) == NULL)
        fail_msg("want one problem at line %d with \"%s\", got %zu: %s", line, part, d.count, all);
    if (secret) assert_null(strstr(all, secret));
    free(all);
    rl_diag_clear(&d);
}

static int setup(void **state)
{
    setenv("T_KEY", "k-s3cr3t", 1);
    setenv("T_ID", "client-1", 1);
    setenv("T_SECRET", "cs-s3cr3t", 1);
    setenv("T_CRLF", "a\r\nInjected: 1", 1);
    unsetenv("T_UNSET");
    unsetenv("T_UNSET2");
    return 0;
}

static void test_api_key_header_and_query(void **state)
{
    rl_config_t *cfg =
        load_ok(HEAD "    auth: {type: api_key, header: X-Api-Key, key: '${T_KEY}', prefix: 'Key '}\n");
    const rl_auth_cfg_t *a = &cfg->providers[0].auth;
    assert_int_equal(a->type, RL_AUTH_API_KEY);
    assert_string_equal(rl_auth_type_name(a->type), "api_key");
    assert_string_equal(a->api_key.header, "X-Api-Key");
    assert_null(a->api_key.query);
    assert_string_equal(a->api_key.key, "k-s3cr3t");
    assert_string_equal(a->api_key.prefix, "Key ");
    assert_true(rl_auth_ready(a));
    assert_int_equal(a->line, 4);
    rl_config_free(cfg);
    cfg = load_ok(HEAD "    auth: {type: api_key, query: api_key, key: '${T_KEY}'}\n");
    assert_string_equal(cfg->providers[0].auth.api_key.query, "api_key");
    assert_null(cfg->providers[0].auth.api_key.header);
    rl_config_free(cfg);
    problem(HEAD "    auth: {type: api_key, key: '${T_KEY}'}\n", 4, "needs 'header' or 'query'", NULL);
    problem(HEAD "    auth: {type: api_key, header: X, query: q, key: '${T_KEY}'}\n", 4, "not both", NULL);
    problem(HEAD "    auth: {type: api_key, header: 'X Key', key: '${T_KEY}'}\n", 4,
            "not a valid header name", NULL);
    problem(HEAD "    auth: {type: api_key, query: 'a&b', key: '${T_KEY}'}\n", 4,
            "not a valid query parameter", NULL);
    problem(HEAD "    auth: {type: api_key, header: X}\n", 4, "providers.p.auth.key is required", NULL);
}

static void test_unset_var_is_missing_not_error(void **state)
{
    rl_config_t *cfg = load_ok(
        HEAD "    auth:\n      type: basic\n      username: ${T_UNSET}\n      password: ${T_UNSET2}\n"
             "  q:\n    base_url: http://127.0.0.1:9\n    auth: {type: bearer, token: '${T_UNSET}'}\n");
    const rl_auth_cfg_t *a = &cfg->providers[0].auth;
    size_t n = 0;
    assert_false(rl_auth_ready(a));
    assert_null(a->basic.username);
    const char *const *m = rl_auth_env_vars(a, true, &n);
    assert_int_equal(n, 2);
    assert_string_equal(m[0], "T_UNSET");
    assert_string_equal(m[1], "T_UNSET2");
    assert_null(m[2]);
    assert_int_equal(rl_auth_env_vars(a, false, NULL)[0] != NULL, 1);
    m = rl_auth_env_vars(&cfg->providers[1].auth, true, &n);
    assert_int_equal(n, 1);
    assert_string_equal(m[0], "T_UNSET");
    rl_config_free(cfg);
    /* no auth block: ready, nothing needed */
    cfg = load_ok(HEAD);
    assert_int_equal(cfg->providers[0].auth.type, RL_AUTH_NONE);
    assert_true(rl_auth_ready(&cfg->providers[0].auth));
    assert_null(rl_auth_env_vars(&cfg->providers[0].auth, false, &n)[0]);
    assert_int_equal(n, 0);
    rl_config_free(cfg);
}

static void test_oauth2(void **state)
{
    rl_config_t *cfg = load_ok(HEAD "    auth:\n      type: oauth2_client_credentials\n"
                                    "      token_url: https://auth.example.com/oauth/token\n"
                                    "      client_id: ${T_ID}\n      client_secret: ${T_SECRET}\n"
                                    "      scope: \"read write\"\n      audience: https://api.example.com\n");
    const rl_auth_cfg_t *a = &cfg->providers[0].auth;
    assert_int_equal(a->type, RL_AUTH_OAUTH2_CC);
    assert_string_equal(a->oauth2.token_url, "https://auth.example.com/oauth/token");
    assert_string_equal(a->oauth2.client_id, "client-1");
    assert_string_equal(a->oauth2.client_secret, "cs-s3cr3t");
    assert_string_equal(a->oauth2.scope, "read write");
    assert_string_equal(a->oauth2.audience, "https://api.example.com");
    assert_int_equal(a->oauth2.client_auth, RL_OAUTH2_AUTH_BASIC);
    rl_config_free(cfg);
    problem(
        HEAD
        "    auth: {type: oauth2_client_credentials, token_url: 'ftp://x', client_id: a, client_secret: b}\n",
        4, "token_url: invalid URL", NULL);
    problem(HEAD "    auth: {type: oauth2_client_credentials, token_url: 'https://x/t', client_id: a}\n", 4,
            "client_secret is required", NULL);
    problem(HEAD "    auth: {type: oauth2_client_credentials, token_url: 'https://x/t', client_id: a, "
                 "client_secret: b, client_auth: post}\n",
            4, "expected one of basic, body", NULL);
}

static void test_hmac_defaults_and_template(void **state)
{
    rl_config_t *cfg = load_ok(HEAD "    auth: {type: hmac, secret: '${T_SECRET}'}\n");
    const rl_auth_cfg_t *a = &cfg->providers[0].auth;
    assert_string_equal(a->hmac.header, "X-Signature");
    assert_int_equal(a->hmac.algorithm, RL_HMAC_SHA256);
    assert_int_equal(a->hmac.encoding, RL_HMAC_HEX);
    assert_null(a->hmac.timestamp_header);
    assert_int_equal(a->hmac.message.n_parts, 7); /* {method} \n {path} \n {timestamp} \n {body} */
    assert_true(a->hmac.message.uses_body);
    rl_config_free(cfg);
    cfg = load_ok(
        HEAD "    auth:\n      type: hmac\n      secret: ${T_SECRET}\n      header: X-Sig\n"
             "      algorithm: sha512\n      encoding: base64\n      message: \"{timestamp}.{body_sha256}\"\n"
             "      timestamp_header: X-Timestamp\n      timestamp_format: unix_ms\n      prefix: v1=\n");
    a = &cfg->providers[0].auth;
    assert_int_equal(a->hmac.algorithm, RL_HMAC_SHA512);
    assert_int_equal(a->hmac.encoding, RL_HMAC_BASE64);
    assert_int_equal(a->hmac.timestamp_format, RL_HMAC_TS_UNIX_MS);
    assert_string_equal(a->hmac.timestamp_header, "X-Timestamp");
    assert_string_equal(a->hmac.prefix, "v1=");
    assert_int_equal(a->hmac.message.n_parts, 3);
    rl_config_free(cfg);
    problem(HEAD "    auth:\n      type: hmac\n      secret: x\n      message: \"{method}{nope}\"\n", 7,
            "unknown placeholder '{nope}'", NULL);
    problem(HEAD "    auth: {type: hmac, secret: x, algorithm: md5}\n", 4, "expected one of sha256, sha512",
            NULL);
}

static void test_sigv4_and_mtls(void **state)
{
    rl_config_t *cfg =
        load_ok(HEAD "    auth: {type: aws_sigv4, access_key: '${T_ID}', secret_key: '${T_SECRET}', "
                     "session_token: '${T_UNSET}', region: eu-west-1, service: s3}\n");
    const rl_auth_cfg_t *a = &cfg->providers[0].auth;
    assert_string_equal(a->sigv4.region, "eu-west-1");
    assert_string_equal(a->sigv4.service, "s3");
    assert_null(a->sigv4.session_token);
    /* an optional credential that is unset still counts as missing */
    assert_false(rl_auth_ready(a));
    rl_config_free(cfg);
    problem(HEAD "    auth: {type: aws_sigv4, access_key: a, secret_key: b, service: s3}\n", 4,
            "auth.region is required", NULL);
    char path[] = "/tmp/relais-test-auth-XXXXXX", key[] = "/tmp/relais-test-auth-XXXXXX";
    int fd = mkstemp(path), fd2 = mkstemp(key);
    assert_true(fd >= 0 && fd2 >= 0);
    close(fd);
    close(fd2);
    char yaml[512];
    snprintf(yaml, sizeof(yaml), HEAD "    auth: {type: mtls, cert: %s, key: %s}\n", path, key);
    cfg = load_ok(yaml);
    assert_string_equal(cfg->providers[0].auth.mtls.cert, path);
    assert_string_equal(cfg->providers[0].auth.mtls.key, key);
    assert_true(rl_auth_ready(&cfg->providers[0].auth));
    rl_config_free(cfg);
    unlink(path);
    problem(yaml, 4, "auth.cert: cannot read", NULL);
    unlink(key);
}

static void test_errors_never_leak_values(void **state)
{
    problem(HEAD "    auth: {type: bearer, token: '${T_CRLF}'}\n", 4, "token: must not contain line breaks",
            "Injected");
    problem(HEAD "    auth: {type: bearer, token: '${T_KEY}', key: '${T_KEY}'}\n", 4,
            "unknown key 'providers.p.auth.key'", "k-s3cr3t");
    problem(HEAD "    auth: {type: bearer, token: ['${T_KEY}']}\n", 4, "expected a string", "k-s3cr3t");
    problem(HEAD "    auth: {type: kerberos}\n", 4, "expected one of none, api_key", NULL);
    problem(HEAD "    auth: {token: x}\n", 4, "auth.type is required", NULL);
    problem(HEAD "    auth: bearer\n", 4, "expected a mapping", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_key_header_and_query),
        cmocka_unit_test(test_unset_var_is_missing_not_error),
        cmocka_unit_test(test_oauth2),
        cmocka_unit_test(test_hmac_defaults_and_template),
        cmocka_unit_test(test_sigv4_and_mtls),
        cmocka_unit_test(test_errors_never_leak_values),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
