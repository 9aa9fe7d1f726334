/* test_config_provider_ext.c — provider `preset`, `domain`, `mode`,
 * `health`, `mock` and the top-level `mode` (RELAIS_MODE), through
 * rl_config_load_buffer; and the effective-mode resolution (providers/mode.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "providers/mode.h"
#include "upstream/mock.h"

static rl_config_t *load_ok(const char *yaml)
{
    rl_diag_t d = RL_DIAG_INIT;
    rl_config_t *cfg = NULL;
    if (rl_config_load_buffer("t.yaml", yaml, strlen(yaml), &cfg, &d) != 0)
        fail_msg("load failed: %s\n--- yaml ---\n%s", rl_diag_join(&d), yaml);
    rl_diag_clear(&d);
    return cfg;
}

/* Fails with `count` problems, the first at `line`, mentioning `part`. */
static void problems(const char *yaml, int line, const char *part, size_t count)
{
    rl_diag_t d = RL_DIAG_INIT;
    rl_config_t *cfg = NULL;
    if (rl_config_load_buffer("t.yaml", yaml, strlen(yaml), &cfg, &d) == 0)
        fail_msg("load succeeded:\n%s", yaml);
    char *all = rl_diag_join(&d);
    if (d.count != count || d.items[0].line != line || strstr(d.items[0].msg, part) == NULL)
        fail_msg("expected one problem at line %d with \"%s\", got: %s", line, part, all);
    free(all);
    rl_diag_clear(&d);
}

static void problem(const char *yaml, int line, const char *part)
{
    problems(yaml, line, part, 1);
}

static int setup(void **state)
{
    (void)state;
    unsetenv("RELAIS_MODE");
    unsetenv("RELAIS_ENV");
    unsetenv("SHOPIFY_SHOP");
    return 0;
}

static void test_preset_fills_defaults(void **state)
{
    (void)state;
    rl_config_t *cfg = load_ok("providers:\n"
                               "  openai:\n"
                               "    preset: openai\n"
                               "  shop:\n"
                               "    preset: shopify\n"
                               "  backend:\n"
                               "    base_url: http://127.0.0.1:9000\n");
    const rl_provider_cfg_t *p = rl_config_provider(cfg, "openai");
    assert_string_equal(p->preset, "openai");
    assert_string_equal(p->base_url, "https://api.openai.com");
    assert_string_equal(p->domain, "ai");
    assert_string_equal(p->health_method, "GET");
    assert_string_equal(p->health_path, "/v1/models");
    assert_int_equal(p->health_interval_ms, 30000);
    assert_int_equal(p->total_timeout_ms, 120000);
    assert_int_equal(p->n_required_env, 1);
    assert_string_equal(p->required_env[0], "OPENAI_API_KEY");
    assert_int_equal(p->mode, RL_MODE_UNSET);
    assert_non_null(p->mocks);
    assert_true(p->mocks->n > 3);
    assert_int_equal(p->mocks->items[0].source, RL_MOCK_BUILTIN);
    p = rl_config_provider(cfg, "shop");
    assert_string_equal(p->base_url, "https://example.myshopify.com/admin/api/2024-10");
    assert_string_equal(p->domain, "ecommerce");
    p = rl_config_provider(cfg, "backend");
    assert_null(p->preset);
    assert_string_equal(p->domain, "generic");
    assert_null(p->health_path);
    assert_string_equal(p->health_method, "GET");
    assert_int_equal(p->n_required_env, 0);
    assert_non_null(p->mocks);
    assert_int_equal(p->mocks->n, 0);
    assert_int_equal(cfg->mode, RL_MODE_AUTO); /* the default */
    rl_config_free(cfg);
}

static void test_explicit_keys_win(void **state)
{
    (void)state;
    setenv("SHOPIFY_SHOP", "acme", 1);
    rl_config_t *cfg = load_ok("mode: mock\n"
                               "providers:\n"
                               "  ai:\n"
                               "    preset: openai\n"
                               "    base_url: https://proxy.example.com/openai/\n"
                               "    timeout: {total: 10s}\n"
                               "    domain: messaging\n"
                               "    mode: real\n"
                               "    health: {path: /health, method: HEAD, interval: 5s}\n"
                               "    mock: {latency: 20ms, error_rate: 0.25, seed: 18446744073709551615}\n"
                               "  shop:\n"
                               "    preset: shopify\n");
    const rl_provider_cfg_t *p = rl_config_provider(cfg, "ai");
    assert_string_equal(p->base_url, "https://proxy.example.com/openai");
    assert_int_equal(p->total_timeout_ms, 10000);
    assert_int_equal(p->connect_timeout_ms, 5000);
    assert_string_equal(p->domain, "messaging");
    assert_int_equal(p->mode, RL_MODE_REAL);
    assert_string_equal(p->health_path, "/health");
    assert_string_equal(p->health_method, "HEAD");
    assert_int_equal(p->health_interval_ms, 5000);
    assert_int_equal(p->mock.latency_ms, 20);
    assert_true(p->mock.error_rate == 0.25);
    assert_true(p->mock.seed == UINT64_MAX);
    assert_false(p->mock.record);
    assert_null(p->mock.dir);
    assert_string_equal(rl_config_provider(cfg, "shop")->base_url,
                        "https://acme.myshopify.com/admin/api/2024-10");
    assert_int_equal(cfg->mode, RL_MODE_MOCK);
    rl_config_free(cfg);
    unsetenv("SHOPIFY_SHOP");
}

static void test_relais_mode_overrides(void **state)
{
    (void)state;
    setenv("RELAIS_MODE", "real", 1);
    rl_config_t *cfg = load_ok("mode: mock\n");
    assert_int_equal(cfg->mode, RL_MODE_REAL);
    rl_config_free(cfg);
    setenv("RELAIS_MODE", "", 1);
    cfg = load_ok("mode: mock\n");
    assert_int_equal(cfg->mode, RL_MODE_MOCK);
    rl_config_free(cfg);
    setenv("RELAIS_MODE", "fake", 1);
    problem("mode: mock\n", 0, "RELAIS_MODE: expected mock, real or auto");
    unsetenv("RELAIS_MODE");
}

static void test_errors(void **state)
{
    (void)state;
    /* then base_url is required, as no preset gives it */
    problems("providers:\n  a:\n    preset: opanai\n", 3, "unknown preset 'opanai' (expected one of openai,",
             2);
    problem("providers:\n  a:\n    preset: generic\n", 3, "providers.a.base_url is required");
    problem("providers:\n  a:\n    preset: openai\n    mode: maybe\n", 4, "providers.a.mode");
    problem("mode: sometimes\n", 1, "mode");
    problem("providers:\n  a:\n    preset: openai\n    domain: crypto\n", 4, "providers.a.domain");
    problem("providers:\n  a:\n    preset: openai\n    health: {path: v1}\n", 4, "must start with '/'");
    problem("providers:\n  a:\n    preset: openai\n    health: {method: get}\n", 4, "unknown method 'get'");
    problem("providers:\n  a:\n    preset: openai\n    health: {interval: 10ms}\n", 4,
            "providers.a.health.interval");
    problem("providers:\n  a:\n    preset: openai\n    health: {url: /x}\n", 4,
            "unknown key 'providers.a.health.url'");
    problem("providers:\n  a:\n    preset: openai\n    mock: {error_rate: 1.5}\n", 4, "from 0 to 1");
    problem("providers:\n  a:\n    preset: openai\n    mock: {error_rate: -0.1}\n", 4, "from 0 to 1");
    problem("providers:\n  a:\n    preset: openai\n    mock: {error_rate: .5}\n", 4, "from 0 to 1");
    problem("providers:\n  a:\n    preset: openai\n    mock: {seed: -1}\n", 4, "providers.a.mock.seed");
    problem("providers:\n  a:\n    preset: openai\n    mock: {seed: 18446744073709551616}\n", 4, "mock.seed");
    problem("providers:\n  a:\n    preset: openai\n    mock: {latency: 2h}\n", 4, "providers.a.mock.latency");
    problem("providers:\n  a:\n    preset: openai\n    mock: {record: true}\n", 4, "needs mock.dir");
    problem("providers:\n  a:\n    preset: openai\n    mock: {dir: /nonexistent/relais-mocks}\n", 4,
            "providers.a.mock.dir: cannot open directory");
    problem("providers:\n  a:\n    preset: openai\n    mock: {speed: 1}\n", 4,
            "unknown key 'providers.a.mock.speed'");
    setenv("SHOPIFY_SHOP", "bad shop", 1);
    problem("providers:\n  s:\n    preset: shopify\n", 3, "providers.s.base_url: invalid URL");
    unsetenv("SHOPIFY_SHOP");
}

static void test_mock_dir_fixtures(void **state)
{
    (void)state;
    char dir[] = "/tmp/relais-test-ext-XXXXXX", file[128], yaml[512];
    assert_non_null(mkdtemp(dir));
    snprintf(file, sizeof(file), "%s/chat.json", dir);
    FILE *f = fopen(file, "w");
    fputs("{\"name\":\"mine\",\"match\":{\"method\":\"POST\",\"path\":\"/v1/chat/completions\"},"
          "\"response\":{\"body\":\"hi\"}}",
          f);
    fclose(f);
    snprintf(yaml, sizeof(yaml), "providers:\n  a:\n    preset: openai\n    mock: {dir: %s, record: true}\n",
             dir);
    rl_config_t *cfg = load_ok(yaml);
    const rl_provider_cfg_t *p = rl_config_provider(cfg, "a");
    assert_true(p->mock.record);
    assert_string_equal(p->mocks->items[0].name, "mine");
    assert_int_equal(p->mocks->items[0].source, RL_MOCK_FILE);
    rl_mock_req_t r = {.method = 1u << 2 /* POST */, .path = "/v1/chat/completions", .path_len = 20};
    rl_mock_match_t m;
    assert_int_equal(rl_mock_match(p->mocks, &r, &m), RL_MOCK_MATCHED);
    assert_string_equal(m.fixture->name, "mine"); /* the file beats the preset */
    rl_config_free(cfg);
    /* a bad fixture file is a config error naming the file */
    f = fopen(file, "w");
    fputs("{\"match\":{}}", f);
    fclose(f);
    problem(yaml, 4, "providers.a.mock.dir: chat.json[0]: match.path");
    unlink(file);
    rmdir(dir);
    /* recording into a directory that does not exist yet is fine */
    rl_config_free(load_ok(yaml));
}

static const char *table_env(const char *name, void *ud)
{
    const char *const *t = ud;
    for (size_t i = 0; t[i]; i += 2)
        if (strcmp(t[i], name) == 0) return t[i + 1];
    return NULL;
}

static void test_mode_resolution(void **state)
{
    (void)state;
    const char *req[] = {"A", "B", "C", "A"};
    const char *env[] = {"A", "x", "B", "", NULL};
    const char *missing[4];
    size_t n = 99;
    assert_int_equal(rl_mode_resolve(RL_MODE_UNSET, RL_MODE_AUTO, req, 4, table_env, env, missing, 4, &n),
                     RL_MODE_MOCK);
    assert_int_equal(n, 2); /* B empty, C unset; A once */
    assert_string_equal(missing[0], "B");
    assert_string_equal(missing[1], "C");
    assert_int_equal(rl_mode_resolve(RL_MODE_REAL, RL_MODE_MOCK, req, 4, table_env, env, missing, 1, &n),
                     RL_MODE_REAL); /* forced: still reports what is missing */
    assert_int_equal(n, 2);
    assert_int_equal(rl_mode_resolve(RL_MODE_UNSET, RL_MODE_MOCK, req, 1, table_env, env, missing, 4, &n),
                     RL_MODE_MOCK);
    assert_int_equal(n, 0);
    assert_int_equal(rl_mode_resolve(RL_MODE_AUTO, RL_MODE_MOCK, req, 1, table_env, env, missing, 4, &n),
                     RL_MODE_REAL);
    assert_int_equal(rl_mode_resolve(RL_MODE_UNSET, RL_MODE_UNSET, NULL, 0, table_env, env, NULL, 0, NULL),
                     RL_MODE_REAL);
    rl_mode_t m = RL_MODE_UNSET;
    assert_int_equal(rl_mode_parse("auto", &m), 0);
    assert_int_equal(m, RL_MODE_AUTO);
    assert_int_equal(rl_mode_parse("AUTO", &m), -1);
    assert_int_equal(rl_mode_parse("unset", &m), -1);
    assert_string_equal(rl_mode_name(RL_MODE_MOCK), "mock");
    assert_string_equal(rl_mode_name((rl_mode_t)42), "unset");

    rl_config_t *cfg = load_ok("providers:\n  s:\n    preset: woocommerce\n  b:\n    base_url: http://h\n");
    const char *env2[] = {"WC_STORE_URL", "https://w.test", "WC_CONSUMER_KEY", "k", NULL};
    assert_int_equal(
        rl_mode_of_provider(rl_config_provider(cfg, "s"), cfg->mode, table_env, env2, missing, 4, &n),
        RL_MODE_MOCK);
    assert_int_equal(n, 1);
    assert_string_equal(missing[0], "WC_CONSUMER_SECRET");
    assert_int_equal(
        rl_mode_of_provider(rl_config_provider(cfg, "b"), cfg->mode, table_env, env2, missing, 4, &n),
        RL_MODE_REAL);
    assert_int_equal(n, 0);
    rl_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_preset_fills_defaults, setup),
        cmocka_unit_test_setup(test_explicit_keys_win, setup),
        cmocka_unit_test_setup(test_relais_mode_overrides, setup),
        cmocka_unit_test_setup(test_errors, setup),
        cmocka_unit_test_setup(test_mock_dir_fixtures, setup),
        cmocka_unit_test_setup(test_mode_resolution, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
