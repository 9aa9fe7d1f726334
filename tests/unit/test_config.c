/* test_config.c — the config loader: defaults, every key, and every error
 * path with its line (unknown keys, types, ranges, required keys, routes,
 * providers, listen addresses, tls, env substitution and overrides, YAML
 * restrictions), plus the production rules. */
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
#include "http/method.h"

static char tmpdir[64];

/* ---- helpers ---------------------------------------------------------- */

static rl_config_t *load_ok(const char *yaml)
{
    rl_diag_t d = RL_DIAG_INIT;
    rl_config_t *cfg = NULL;
    if (rl_config_load_buffer("t.yaml", yaml, strlen(yaml), &cfg, &d) != 0) {
        char *all = rl_diag_join(&d);
        fail_msg("load failed: %s\n--- yaml ---\n%s", all, yaml);
    }
    assert_int_equal(d.count, 0);
    assert_non_null(cfg);
    rl_diag_clear(&d);
    return cfg;
}

static void load_bad(const char *yaml, rl_diag_t *d)
{
    rl_config_t *cfg = (rl_config_t *)1;
    if (rl_config_load_buffer("t.yaml", yaml, strlen(yaml), &cfg, d) != -1)
        fail_msg("load succeeded but should fail:\n%s", yaml);
    assert_null(cfg);
    assert_true(d->count > 0);
}

static void has_diag(const rl_diag_t *d, int line, const char *part)
{
    for (size_t i = 0; i < d->count; i++) {
        const rl_diag_item_t *it = &d->items[i];
        if (it->line == line && strstr(it->msg, part) && it->file && strcmp(it->file, "t.yaml") == 0) return;
    }
    char *all = rl_diag_join(d);
    fail_msg("no diagnostic at line %d containing \"%s\"; got: %s", line, part, all);
}

/* The YAML must fail with exactly one problem, at `line`, mentioning `part`. */
static void problem(const char *yaml, int line, const char *part)
{
    rl_diag_t d = RL_DIAG_INIT;
    load_bad(yaml, &d);
    has_diag(&d, line, part);
    if (d.count != 1) {
        char *all = rl_diag_join(&d);
        fail_msg("expected one problem, got %zu: %s", d.count, all);
    }
    rl_diag_clear(&d);
}

#define PROVIDERS "providers:\n  backend:\n    base_url: http://127.0.0.1:9000\n"

static int setup(void **state)
{
    (void)state;
    unsetenv("RELAIS_ENV");
    unsetenv("RELAIS_LISTEN");
    strcpy(tmpdir, "/tmp/relais-test-config-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *name, const char *text, mode_t mode)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
}

/* ---- defaults and full configs ---------------------------------------- */

static void test_defaults(void **state)
{
    static const char *const empties[] = {"", "---\n", "# nothing\n", "~\n"};
    (void)state;
    for (size_t i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
        rl_config_t *cfg = load_ok(empties[i]);
        assert_string_equal(cfg->file, "t.yaml");
        assert_int_equal(cfg->env, RL_ENV_DEVELOPMENT);
        assert_string_equal(cfg->listen_public, "127.0.0.1:8080");
        assert_string_equal(cfg->listen_admin, "127.0.0.1:8081");
        assert_int_equal(cfg->workers, 0);
        assert_null(cfg->tls_cert);
        assert_null(cfg->tls_key);
        assert_int_equal(cfg->max_body, 10 * 1024 * 1024);
        assert_int_equal(cfg->max_header, 16 * 1024);
        assert_int_equal(cfg->request_timeout_ms, 60000);
        assert_int_equal(cfg->shutdown_timeout_ms, 10000);
        assert_null(cfg->secret_key);
        assert_null(cfg->admin_token);
        assert_int_equal(cfg->log_level, RL_LOG_INFO);
        assert_int_equal(cfg->n_cors_origins, 0);
        assert_false(cfg->cors_credentials);
        assert_int_equal(cfg->n_providers, 0);
        assert_int_equal(cfg->n_routes, 0);
        rl_config_free(cfg);
    }
}

static const char full_yaml[] = "env: production\n"
                                "listen:\n"
                                "  public: 0.0.0.0:80\n"
                                "  admin: '[::1]:9001'\n"
                                "workers: 4\n"
                                "limits: {max_body: 1MiB, max_header: 8KiB, request_timeout: 2m, "
                                "shutdown_timeout: 0s}\n"
                                "secret_key: 0123456789abcdef0123456789abcdef\n"
                                "admin_token: tok\n"
                                "log: {level: warn}\n"
                                "cors:\n"
                                "  allow_origins: [https://app.example.com, 'http://localhost:3000']\n"
                                "  allow_credentials: true\n"
                                "providers:\n"
                                "  openai:\n"
                                "    base_url: https://api.openai.com/v1/\n"
                                "    timeout: {connect: 2s, total: 1m}\n"
                                "  backend:\n"
                                "    base_url: http://127.0.0.1:9000\n"
                                "routes:\n"
                                "  - name: ai-chat\n"
                                "    match: {path: /v1/ai/chat, methods: [POST, OPTIONS]}\n"
                                "    upstream: {targets: [openai], path: /v1/chat/completions}\n"
                                "  - match:\n"
                                "      path: /v1/items/{id}\n"
                                "    upstream:\n"
                                "      targets:\n"
                                "        - backend\n"
                                "        - {provider: openai, path: '/x/{id}'}\n";

static void test_full_config(void **state)
{
    (void)state;
    rl_config_t *cfg = load_ok(full_yaml);
    assert_int_equal(cfg->env, RL_ENV_PRODUCTION);
    assert_string_equal(cfg->listen_public, "0.0.0.0:80");
    assert_string_equal(cfg->listen_admin, "[::1]:9001");
    assert_int_equal(cfg->workers, 4);
    assert_int_equal(cfg->max_body, 1 << 20);
    assert_int_equal(cfg->max_header, 8192);
    assert_int_equal(cfg->request_timeout_ms, 120000);
    assert_int_equal(cfg->shutdown_timeout_ms, 0);
    assert_string_equal(cfg->secret_key, "0123456789abcdef0123456789abcdef");
    assert_string_equal(cfg->admin_token, "tok");
    assert_int_equal(cfg->log_level, RL_LOG_WARN);
    assert_int_equal(cfg->n_cors_origins, 2);
    assert_string_equal(cfg->cors_origins[1], "http://localhost:3000");
    assert_true(cfg->cors_credentials);

    assert_int_equal(cfg->n_providers, 2);
    const rl_provider_cfg_t *p = rl_config_provider(cfg, "openai");
    assert_non_null(p);
    assert_string_equal(p->base_url, "https://api.openai.com/v1");
    assert_int_equal(p->connect_timeout_ms, 2000);
    assert_int_equal(p->total_timeout_ms, 60000);
    assert_int_equal(p->line, 14);
    p = rl_config_provider(cfg, "backend");
    assert_int_equal(p->connect_timeout_ms, 5000);
    assert_int_equal(p->total_timeout_ms, 30000);
    assert_null(rl_config_provider(cfg, "nope"));

    assert_int_equal(cfg->n_routes, 2);
    const rl_route_cfg_t *r = &cfg->routes[0];
    assert_string_equal(r->name, "ai-chat");
    assert_string_equal(r->path, "/v1/ai/chat");
    assert_int_equal(r->methods, RL_M_POST | RL_M_OPTIONS);
    assert_int_equal(r->n_targets, 1);
    assert_string_equal(r->targets[0].provider, "openai");
    assert_null(r->targets[0].path);
    assert_string_equal(r->upstream_path, "/v1/chat/completions");
    assert_int_equal(r->line, 20);
    r = &cfg->routes[1];
    assert_string_equal(r->name, "route-1");
    assert_string_equal(r->path, "/v1/items/{id}");
    assert_int_equal(r->methods, RL_M_ALL);
    assert_null(r->upstream_path);
    assert_int_equal(r->n_targets, 2);
    assert_string_equal(r->targets[0].provider, "backend");
    assert_string_equal(r->targets[1].provider, "openai");
    assert_string_equal(r->targets[1].path, "/x/{id}");
    assert_int_equal(r->line, 23);
    rl_config_free(cfg);
}

static void test_base_url_forms(void **state)
{
    static const char *const cases[][2] = {
        {"http://127.0.0.1:9000/", "http://127.0.0.1:9000"},
        {"https://api.example.com///", "https://api.example.com"},
        {"http://[::1]:9000/api/", "http://[::1]:9000/api"},
        {"https://h", "https://h"},
    };
    char yaml[256];
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(yaml, sizeof(yaml), "providers:\n  p:\n    base_url: '%s'\n", cases[i][0]);
        rl_config_t *cfg = load_ok(yaml);
        assert_string_equal(cfg->providers[0].base_url, cases[i][1]);
        rl_config_free(cfg);
    }
}

/* ---- unknown keys ----------------------------------------------------- */

static void test_unknown_keys(void **state)
{
    (void)state;
    problem("env: development\nfoo: 1\n", 2, "unknown key 'foo'");
    problem("limits:\n  max_bdy: 1MiB\n", 2,
            "unknown key 'limits.max_bdy' (did you mean 'limits.max_body'?)");
    problem("listen: {public: 127.0.0.1:1, other: x}\n", 1, "unknown key 'listen.other'");
    problem("tls:\n  ca: c\n", 2, "unknown key 'tls.ca'");
    problem("log:\n  levl: info\n", 2, "did you mean 'log.level'?");
    problem("cors:\n  origins: []\n", 2, "unknown key 'cors.origins'");
    problem("providers:\n  p:\n    base_url: http://h\n    authn: {}\n", 4,
            "unknown key 'providers.p.authn'");
    problem("providers:\n  p:\n    base_url: http://h\n    timeout: {conect: 1s}\n", 4,
            "unknown key 'providers.p.timeout.conect' (did you mean 'providers.p.timeout.connect'?)");
    problem(PROVIDERS "routes:\n  - match: {path: /}\n    upstream: {targets: [backend]}\n"
                      "    cache: {ttl: 1s, size: 1}\n",
            7, "unknown key 'routes[0].cache.size'");
    problem(PROVIDERS "routes:\n  - match: {path: /, method: [GET]}\n    upstream: {targets: [backend]}\n", 5,
            "unknown key 'routes[0].match.method' (did you mean 'routes[0].match.methods'?)");
    problem(PROVIDERS
            "routes:\n  - match: {path: /}\n    upstream:\n      targets: [backend]\n      retry: 1\n",
            8, "unknown key 'routes[0].upstream.retry'");
    problem(PROVIDERS "routes:\n  - match: {path: /}\n    upstream:\n      targets:\n"
                      "        - {provider: backend, weight: 2}\n",
            8, "unknown key 'routes[0].upstream.targets[0].weight'");
}

/* ---- types and ranges ------------------------------------------------- */

static void test_wrong_types(void **state)
{
    (void)state;
    problem("workers: abc\n", 1, "workers: expected an integer, got 'abc'");
    problem("workers: 1.5\n", 1, "expected an integer");
    problem("workers: [1]\n", 1, "workers: expected a string, got a list");
    problem("listen: 127.0.0.1:8080\n", 1, "listen: expected a mapping, got a string");
    problem("limits: [1]\n", 1, "limits: expected a mapping, got a list");
    problem("cors: {allow_credentials: yes}\n", 1,
            "cors.allow_credentials: expected true or false, got 'yes'");
    problem("cors: {allow_credentials: 1}\n", 1, "expected true or false");
    problem("cors:\n  allow_origins: https://a.example\n", 2, "expected a list, got a string");
    problem("cors:\n  allow_origins: [[x]]\n", 2, "expected a string, got a list");
    problem("secret_key: {a: b}\n", 1, "secret_key: expected a string, got a mapping");
    problem("env: staging\n", 1, "env: expected one of development, production, got 'staging'");
    problem("log:\n  level: verbose\n", 2, "log.level: expected one of debug, info, warn, error");
    problem("providers: [a]\n", 1, "providers: expected a mapping, got a list");
    problem("routes: {a: 1}\n", 1, "routes: expected a list, got a mapping");
    problem("routes:\n  - just-a-string\n", 2, "routes[0]: expected a mapping, got a string");
    problem("[1, 2]\n", 1, "expected a mapping of keys at the top of the file, got a list");
    problem("hello\n", 1, "expected a mapping of keys at the top of the file, got a string");
}

static void test_ranges(void **state)
{
    (void)state;
    problem("workers: 257\n", 1, "workers: must be between 0 and 256, got 257");
    problem("workers: -1\n", 1, "workers: must be between 0 and 256, got -1");
    problem("workers: 99999999999999999999999\n", 1, "expected an integer");
    problem("limits: {max_body: 0}\n", 1, "limits.max_body: must be between 1 byte and 1GiB, got '0'");
    problem("limits: {max_body: 2GiB}\n", 1, "limits.max_body: must be between");
    problem("limits: {max_body: 10 MiB}\n", 1, "limits.max_body: expected a size like");
    problem("limits: {max_header: 512}\n", 1,
            "limits.max_header: must be between 1KiB and 256KiB, got '512'");
    problem("limits: {max_header: 1MiB}\n", 1, "limits.max_header: must be between 1KiB and 256KiB");
    problem("limits: {request_timeout: 0s}\n", 1, "limits.request_timeout: must be between 1ms and 1d");
    problem("limits: {request_timeout: 1.5s}\n", 1, "limits.request_timeout: expected a duration like");
    problem("limits: {request_timeout: 60}\n", 1, "expected a duration");
    problem("limits: {shutdown_timeout: 2h}\n", 1, "limits.shutdown_timeout: must be between 0ms and 1h");
    problem("providers:\n  p:\n    base_url: http://h\n    timeout: {total: 0ms}\n", 4,
            "providers.p.timeout.total: must be between 1ms and 1d");
    problem("providers:\n  p:\n    base_url: http://h\n    timeout:\n      connect: fast\n", 5,
            "providers.p.timeout.connect: expected a duration");
    rl_config_t *cfg = load_ok("workers: 256\nlimits: {max_body: 1GiB, max_header: 256KiB, "
                               "request_timeout: 1d, shutdown_timeout: 1h}\n");
    assert_int_equal(cfg->workers, 256);
    assert_int_equal(cfg->max_body, 1u << 30);
    assert_int_equal(cfg->max_header, 256 * 1024);
    rl_config_free(cfg);
}

/* ---- listen, tls, urls ------------------------------------------------ */

static void test_listen_addresses(void **state)
{
    static const char *const good[] = {"127.0.0.1:8080", "0.0.0.0:1",  "localhost:65535",
                                       "'[::1]:8080'",   "'[::]:443'", "my-host.internal:80"};
    static const char *const bad[][2] = {
        {"localhost", "port is missing"},
        {"127.0.0.1:0", "between 1 and 65535"},
        {"127.0.0.1:65536", "between 1 and 65535"},
        {"127.0.0.1:99999999999999", "between 1 and 65535"},
        {"':8080'", "host is missing"},
        {"'[::1]'", "port is missing"},
        {"'[::1]8080'", "expected ':' after ']'"},
        {"'::1:8080'", "host is missing"},
        {"'[]:80'", "IPv6"},
        {"host:http", "port must be a number"},
        {"'127.0.0.1:'", "port is missing"},
        {"'a b:80'", "invalid character in host"},
    };
    char yaml[128];
    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        snprintf(yaml, sizeof(yaml), "listen:\n  admin: %s\n", good[i]);
        rl_config_free(load_ok(yaml));
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(yaml, sizeof(yaml), "listen:\n  public: %s\n", bad[i][0]);
        problem(yaml, 2, bad[i][1]);
    }
    problem("listen:\n  public: localhost\n", 2, "listen.public: invalid address 'localhost'");
}

static void test_tls(void **state)
{
    char yaml[512], cert[128];
    (void)state;
    problem("tls:\n  cert: /x.pem\n", 1, "tls.cert and tls.key must be set together (only tls.cert is set)");
    problem("tls: {key: /x.pem}\n", 1, "(only tls.key is set)");
    rl_diag_t d = RL_DIAG_INIT;
    load_bad("tls: {cert: /nonexistent/c.pem, key: /nonexistent/k.pem}\n", &d);
    assert_int_equal(d.count, 2);
    has_diag(&d, 1, "tls.cert: cannot read '/nonexistent/c.pem': No such file or directory");
    has_diag(&d, 1, "tls.key: cannot read '/nonexistent/k.pem'");
    rl_diag_clear(&d);

    write_file("cert.pem", "CERT", 0644);
    write_file("key.pem", "KEY", 0644);
    snprintf(cert, sizeof(cert), "%s/cert.pem", tmpdir);
    snprintf(yaml, sizeof(yaml), "tls:\n  cert: %s\n  key: %s/key.pem\n", cert, tmpdir);
    rl_config_t *cfg = load_ok(yaml);
    assert_string_equal(cfg->tls_cert, cert);
    rl_config_free(cfg);

    snprintf(yaml, sizeof(yaml), "tls:\n  cert: %s\n  key: %s\n", cert, tmpdir);
    problem(yaml, 3, "tls.key: ");
    if (geteuid() != 0) { /* root reads any file */
        write_file("secret.pem", "KEY", 0000);
        snprintf(yaml, sizeof(yaml), "tls:\n  cert: %s\n  key: %s/secret.pem\n", cert, tmpdir);
        problem(yaml, 3, "tls.key: cannot read");
    }
}

/* Relative tls paths are relative to the config file's directory. */
static void test_tls_relative_to_config_file(void **state)
{
    char path[256], want[256];
    rl_diag_t d = RL_DIAG_INIT;
    rl_config_t *cfg = NULL;
    (void)state;
    write_file("c.pem", "CERT", 0644);
    write_file("k.pem", "KEY", 0644);
    write_file("relais.yaml", "tls: {cert: c.pem, key: ./k.pem}\n", 0644);
    snprintf(path, sizeof(path), "%s/relais.yaml", tmpdir);
    assert_int_equal(rl_config_load(path, &cfg, &d), 0);
    snprintf(want, sizeof(want), "%s/c.pem", tmpdir);
    assert_string_equal(cfg->tls_cert, want);
    snprintf(want, sizeof(want), "%s/./k.pem", tmpdir);
    assert_string_equal(cfg->tls_key, want);
    assert_string_equal(cfg->file, path);
    rl_config_free(cfg);
}

static void test_load_file_errors(void **state)
{
    char path[256];
    rl_diag_t d = RL_DIAG_INIT;
    rl_config_t *cfg = (rl_config_t *)1;
    (void)state;
    snprintf(path, sizeof(path), "%s/missing.yaml", tmpdir);
    assert_int_equal(rl_config_load(path, &cfg, &d), -1);
    assert_null(cfg);
    assert_int_equal(d.count, 1);
    assert_string_equal(d.items[0].file, path);
    assert_non_null(strstr(d.items[0].msg, "cannot open"));
    rl_diag_clear(&d);

    write_file("bad.yaml", "workers: x\n", 0644);
    snprintf(path, sizeof(path), "%s/bad.yaml", tmpdir);
    assert_int_equal(rl_config_load(path, &cfg, &d), -1);
    assert_int_equal(d.count, 1);
    assert_string_equal(d.items[0].file, path);
    assert_int_equal(d.items[0].line, 1);
    rl_diag_clear(&d);
}

static void test_providers(void **state)
{
    (void)state;
    problem("providers:\n  p:\n    timeout: {connect: 1s}\n", 3, "providers.p.base_url is required");
    problem("providers:\n  p:\n", 2, "providers.p.base_url is required");
    problem("providers:\n  p: http://h\n", 2, "providers.p: expected a mapping, got a string");
    problem("providers:\n  Open AI:\n    base_url: http://h\n", 2,
            "providers.Open AI: invalid provider name");
    problem("providers:\n  p:\n    base_url: ftp://h\n", 3, "must start with http:// or https://");
    problem("providers:\n  p:\n    base_url: http://\n", 3, "host is missing");
    problem("providers:\n  p:\n    base_url: http:///x\n", 3, "host is missing");
    problem("providers:\n  p:\n    base_url: http://u:p@h\n", 3, "must not contain credentials");
    problem("providers:\n  p:\n    base_url: http://h:99999\n", 3, "between 1 and 65535");
    problem("providers:\n  p:\n    base_url: http://h/?q=1\n", 3, "must not contain a query");
    problem("providers:\n  p:\n    base_url: 'http://h/a b'\n", 3, "spaces");
    problem("providers:\n  p:\n    base_url: HTTP://h\n", 3, "must start with http://");
    problem("providers:\n  p:\n    base_url: {a: 1}\n", 3, "providers.p.base_url: expected a string");
}

/* ---- routes ----------------------------------------------------------- */

static void test_routes_required(void **state)
{
    (void)state;
    problem(PROVIDERS "routes:\n  - upstream: {targets: [backend]}\n", 5, "routes[0].match.path is required");
    problem(PROVIDERS "routes:\n  - match: {methods: [GET]}\n    upstream: {targets: [backend]}\n", 5,
            "routes[0].match.path is required");
    problem(PROVIDERS "routes:\n  - match: {path: v1/x}\n    upstream: {targets: [backend]}\n", 5,
            "routes[0].match.path: must start with '/'");
    problem(PROVIDERS "routes:\n  - match: {path: /}\n", 5, "routes[0].upstream.targets is required");
    problem(PROVIDERS "routes:\n  - match: {path: /}\n    upstream: {path: /x}\n", 6,
            "routes[0].upstream.targets is required");
    problem(PROVIDERS "routes:\n  - match: {path: /}\n    upstream: {targets: []}\n", 6,
            "routes[0].upstream.targets: must name at least one provider");
    problem(PROVIDERS "routes:\n  - match: {path: /}\n    upstream:\n      targets:\n        - {path: /x}\n",
            8, "routes[0].upstream.targets[0].provider is required");
    problem(PROVIDERS "routes:\n  - match: {path: /}\n    upstream: {targets: [[backend]]}\n", 6,
            "expected a provider name or {provider: NAME, path: /x}, got a list");
    problem(PROVIDERS "routes:\n  - match: {path: /}\n    upstream: {targets: backend}\n", 6,
            "routes[0].upstream.targets: expected a list, got a string");
    problem(PROVIDERS "routes:\n  - name: ''\n    match: {path: /}\n    upstream: {targets: [backend]}\n", 5,
            "routes[0].name: must not be empty");
}

static void test_routes_methods(void **state)
{
    (void)state;
    problem(PROVIDERS "routes:\n  - match:\n      path: /\n      methods: [GET, FETCH]\n"
                      "    upstream: {targets: [backend]}\n",
            7, "routes[0].match.methods: unknown method 'FETCH'");
    problem(PROVIDERS "routes:\n  - match:\n      path: /\n      methods:\n        - get\n"
                      "    upstream: {targets: [backend]}\n",
            8, "unknown method 'get'");
    problem(PROVIDERS "routes:\n  - match: {path: /, methods: []}\n    upstream: {targets: [backend]}\n", 5,
            "routes[0].match.methods: must not be empty");
    problem(PROVIDERS "routes:\n  - match: {path: /, methods: GET}\n    upstream: {targets: [backend]}\n", 5,
            "expected a list, got a string");
    rl_config_t *cfg =
        load_ok(PROVIDERS "routes:\n  - match: {path: /, methods: [GET, HEAD, PUT, PATCH, DELETE]}\n"
                          "    upstream: {targets: [backend]}\n");
    assert_int_equal(cfg->routes[0].methods, RL_M_GET | RL_M_HEAD | RL_M_PUT | RL_M_PATCH | RL_M_DELETE);
    rl_config_free(cfg);
}

static void test_routes_duplicate_names(void **state)
{
    (void)state;
    problem(PROVIDERS "routes:\n"
                      "  - name: a\n    match: {path: /a}\n    upstream: {targets: [backend]}\n"
                      "  - name: b\n    match: {path: /b}\n    upstream: {targets: [backend]}\n"
                      "  - name: a\n    match: {path: /c}\n    upstream: {targets: [backend]}\n",
            11, "duplicate route name 'a' (first used at line 5)");
    /* an explicit name may collide with a default one */
    problem(PROVIDERS "routes:\n"
                      "  - match: {path: /a}\n    upstream: {targets: [backend]}\n"
                      "  - name: route-0\n    match: {path: /b}\n    upstream: {targets: [backend]}\n",
            7, "duplicate route name 'route-0' (first used at line 5)");
    rl_diag_t d = RL_DIAG_INIT;
    load_bad(PROVIDERS "routes:\n"
                       "  - {name: x, match: {path: /a}, upstream: {targets: [backend]}}\n"
                       "  - {name: x, match: {path: /b}, upstream: {targets: [backend]}}\n"
                       "  - {name: x, match: {path: /c}, upstream: {targets: [backend]}}\n",
             &d);
    assert_int_equal(d.count, 2);
    has_diag(&d, 6, "first used at line 5");
    has_diag(&d, 7, "first used at line 5");
    rl_diag_clear(&d);
}

static void test_routes_unknown_provider(void **state)
{
    (void)state;
    problem(PROVIDERS "routes:\n  - match: {path: /}\n    upstream:\n      targets:\n        - backend\n"
                      "        - openai\n",
            9, "routes[0].upstream.targets[1]: unknown provider 'openai'");
    problem(PROVIDERS "routes:\n  - match: {path: /}\n    upstream:\n      targets:\n"
                      "        - provider: backend\n        - provider: nope\n          path: /x\n",
            9, "routes[0].upstream.targets[1]: unknown provider 'nope'");
    /* providers may come after routes in the file */
    rl_config_t *cfg =
        load_ok("routes:\n  - match: {path: /}\n    upstream: {targets: [backend]}\n" PROVIDERS);
    assert_int_equal(cfg->n_routes, 1);
    rl_config_free(cfg);
}

static void test_cors_origins(void **state)
{
    (void)state;
    problem("cors:\n  allow_origins:\n    - https://ok.example\n    - https://app.example.com/\n", 4,
            "'https://app.example.com/' is not an origin");
    problem("cors: {allow_origins: [app.example.com]}\n", 1, "must start with http:// or https://");
    rl_config_t *cfg = load_ok("cors: {allow_origins: ['*']}\n");
    assert_string_equal(cfg->cors_origins[0], "*");
    rl_config_free(cfg);
}

/* ---- environment ------------------------------------------------------ */

static void test_env_substitution(void **state)
{
    (void)state;
    setenv("RL_T_HOST", "api.example.com", 1);
    setenv("RL_T_WORKERS", "3", 1);
    setenv("RL_T_EMPTY", "", 1);
    unsetenv("RL_T_UNSET");
    rl_config_t *cfg = load_ok("workers: ${RL_T_WORKERS}\n"
                               "listen: {public: '${RL_T_UNSET:-0.0.0.0}:${RL_T_PORT:-8088}'}\n"
                               "limits: {max_body: '${RL_T_UNSET:-2MiB}'}\n"
                               "admin_token: a$$b$c\n"
                               "providers:\n  p:\n    base_url: https://${RL_T_HOST}/v1\n");
    assert_int_equal(cfg->workers, 3);
    assert_string_equal(cfg->listen_public, "0.0.0.0:8088");
    assert_int_equal(cfg->max_body, 2 << 20);
    assert_string_equal(cfg->admin_token, "a$b$c");
    assert_string_equal(cfg->providers[0].base_url, "https://api.example.com/v1");
    rl_config_free(cfg);

    /* a whole value ${VAR} that is unset or empty means "key absent" */
    cfg =
        load_ok("workers: ${RL_T_UNSET}\nlimits: {max_body: '${RL_T_EMPTY}'}\nlog: {level: '${RL_T_UNSET}'}\n"
                "listen: {public: '${RL_T_UNSET}'}\n");
    assert_int_equal(cfg->workers, 0);
    assert_int_equal(cfg->max_body, 10 << 20);
    assert_int_equal(cfg->log_level, RL_LOG_INFO);
    assert_string_equal(cfg->listen_public, "127.0.0.1:8080");
    rl_config_free(cfg);

    /* substituted text is a value, never a YAML null and never re-scanned */
    setenv("RL_T_TILDE", "~", 1);
    setenv("RL_T_REF", "${RL_T_HOST}", 1);
    cfg = load_ok("admin_token: ${RL_T_TILDE}\nsecret_key: ${RL_T_REF}\n");
    assert_string_equal(cfg->admin_token, "~");
    assert_string_equal(cfg->secret_key, "${RL_T_HOST}");
    rl_config_free(cfg);
    unsetenv("RL_T_HOST");
    unsetenv("RL_T_WORKERS");
    unsetenv("RL_T_EMPTY");
    unsetenv("RL_T_TILDE");
    unsetenv("RL_T_REF");
}

static void test_env_substitution_errors(void **state)
{
    (void)state;
    unsetenv("RL_T_UNSET");
    setenv("RL_T_BAD", "many", 1);
    problem("env: development\nlisten: {public: '127.0.0.1:${RL_T_UNSET}'}\n", 2,
            "environment variable RL_T_UNSET is not set");
    problem("providers:\n  p:\n    base_url: ${RL_T_UNSET}\n", 3,
            "providers.p.base_url is required (environment variable RL_T_UNSET is not set)");
    problem("cors:\n  allow_origins:\n    - ${RL_T_UNSET}\n", 3,
            "cors.allow_origins: environment variable RL_T_UNSET is not set");
    problem("workers: ${RL_T_BAD}\n", 1, "workers: expected an integer, got 'many'");
    problem("workers: ${RL_T_BAD\n", 1, "unterminated '${'");
    problem("workers: ${RL_T_BAD-1}\n", 1, "expected ${RL_T_BAD} or ${RL_T_BAD:-default}");
    problem("secret_key: x${RL_T_UNSET}\n", 1, "environment variable RL_T_UNSET is not set");
    unsetenv("RL_T_BAD");
}

static void test_env_secrets_optional(void **state)
{
    (void)state;
    unsetenv("RL_T_SECRET");
    setenv("RL_T_EMPTY", "", 1);
    rl_config_t *cfg = load_ok("secret_key: ${RL_T_SECRET}\nadmin_token: ${RL_T_EMPTY}\n");
    assert_null(cfg->secret_key);
    assert_null(cfg->admin_token);
    assert_int_equal(cfg->secret_key_line, 1);
    assert_int_equal(cfg->admin_token_line, 2);
    rl_config_free(cfg);
    cfg = load_ok("secret_key: ''\nadmin_token:\n");
    assert_null(cfg->secret_key);
    assert_null(cfg->admin_token);
    rl_config_free(cfg);
    setenv("RL_T_SECRET", "s3cret", 1);
    cfg = load_ok("secret_key: ${RL_T_SECRET}\n");
    assert_string_equal(cfg->secret_key, "s3cret");
    rl_config_free(cfg);
    unsetenv("RL_T_SECRET");
    unsetenv("RL_T_EMPTY");
}

static void test_env_overrides(void **state)
{
    rl_diag_t d = RL_DIAG_INIT;
    (void)state;
    setenv("RELAIS_ENV", "production", 1);
    setenv("RELAIS_LISTEN", "[::]:9999", 1);
    rl_config_t *cfg = load_ok("env: development\nlisten: {public: 127.0.0.1:1}\n");
    assert_int_equal(cfg->env, RL_ENV_PRODUCTION);
    assert_string_equal(cfg->listen_public, "[::]:9999");
    rl_config_free(cfg);

    setenv("RELAIS_ENV", "development", 1);
    cfg = load_ok("env: production\n");
    assert_int_equal(cfg->env, RL_ENV_DEVELOPMENT);
    rl_config_free(cfg);

    setenv("RELAIS_ENV", "", 1); /* empty = not set */
    setenv("RELAIS_LISTEN", "", 1);
    cfg = load_ok("env: production\n");
    assert_int_equal(cfg->env, RL_ENV_PRODUCTION);
    assert_string_equal(cfg->listen_public, "127.0.0.1:8080");
    rl_config_free(cfg);

    setenv("RELAIS_ENV", "prod", 1);
    setenv("RELAIS_LISTEN", "nowhere", 1);
    load_bad("", &d);
    assert_int_equal(d.count, 2);
    has_diag(&d, 0, "RELAIS_ENV: expected development or production, got 'prod'");
    has_diag(&d, 0, "RELAIS_LISTEN: invalid address 'nowhere'");
    rl_diag_clear(&d);
    unsetenv("RELAIS_ENV");
    unsetenv("RELAIS_LISTEN");
}

/* ---- YAML restrictions ------------------------------------------------ */

static void test_yaml_restrictions(void **state)
{
    (void)state;
    problem("workers: 1\nlog: {level: info}\nworkers: 2\n", 3, "duplicate key 'workers'");
    problem("providers:\n  p:\n    base_url: http://a\n    base_url: http://b\n", 4,
            "duplicate key 'base_url'");
    problem("limits: &l {max_body: 1MiB}\n", 1, "YAML anchors (&l) are not supported");
    problem("log: {level: info}\nx: *l\n", 2, "YAML aliases (*l) are not supported");
    problem("workers: !!int 3\n", 1, "YAML tags (tag:yaml.org,2002:int) are not supported");
    problem("workers: 1\n---\nworkers: 2\n", 2, "only one YAML document is allowed");
    problem("workers: 1\n  log: x\n", 2, "invalid YAML");
    problem("routes: [a, b\n", 2, "invalid YAML");
    problem("? [a]\n: 1\n", 1, "mapping keys must be plain strings");
    problem("workers: \"a\\0b\"\n", 1, "NUL characters are not allowed");
}

static void test_yaml_limits(void **state)
{
    char deep[300];
    (void)state;
    size_t n = 0;
    for (int i = 0; i < 65; i++)
        deep[n++] = '[';
    for (int i = 0; i < 65; i++)
        deep[n++] = ']';
    deep[n++] = '\n';
    deep[n] = '\0';
    problem(deep, 1, "nesting deeper than 64 levels");

    size_t big = (1u << 20) + 1;
    char *buf = malloc(big);
    assert_non_null(buf);
    memset(buf, '#', big);
    rl_diag_t d = RL_DIAG_INIT;
    rl_config_t *cfg = (rl_config_t *)1;
    assert_int_equal(rl_config_load_buffer("t.yaml", buf, big, &cfg, &d), -1);
    assert_null(cfg);
    assert_non_null(strstr(d.items[0].msg, "larger than"));
    rl_diag_clear(&d);
    free(buf);
}

/* ---- all problems in one run ------------------------------------------ */

static void test_reports_every_problem(void **state)
{
    rl_diag_t d = RL_DIAG_INIT;
    (void)state;
    load_bad("workers: lots\n"                                                /* 1 */
             "limits: {max_body: 5GiB, max_header: big}\n"                    /* 2 */
             "colour: blue\n"                                                 /* 3 */
             "providers:\n  p:\n    base_url: ftp://x\n"                      /* 6 */
             "routes:\n  - match: {path: x}\n    upstream: {targets: [q]}\n", /* 8, 9 */
             &d);
    assert_int_equal(d.count, 7);
    has_diag(&d, 1, "workers");
    has_diag(&d, 2, "limits.max_body");
    has_diag(&d, 2, "limits.max_header");
    has_diag(&d, 3, "unknown key 'colour'");
    has_diag(&d, 6, "providers.p.base_url");
    has_diag(&d, 8, "must start with '/'");
    has_diag(&d, 9, "unknown provider 'q'");
    for (size_t i = 1; i < d.count; i++) /* reported in file order */
        assert_true(d.items[i - 1].line <= d.items[i].line);
    assert_non_null(strstr(d.items[0].msg, "workers"));
    rl_diag_clear(&d);
}

static void test_error_cap(void **state)
{
    char *yaml = malloc(200 * 16);
    size_t n = 0;
    rl_diag_t d = RL_DIAG_INIT;
    (void)state;
    assert_non_null(yaml);
    for (int i = 0; i < 200; i++)
        n += (size_t)sprintf(yaml + n, "bad%d: 1\n", i);
    load_bad(yaml, &d);
    assert_int_equal(d.count, 101);
    assert_non_null(strstr(d.items[100].msg, "too many errors"));
    rl_diag_clear(&d);
    free(yaml);
}

/* ---- production rules ------------------------------------------------- */

static void check_prod(const char *yaml, bool force, int want, int line, const char *part)
{
    rl_diag_t d = RL_DIAG_INIT;
    rl_config_t *cfg = load_ok(yaml);
    assert_int_equal(rl_config_check_production(cfg, force, &d), want);
    assert_int_equal(d.count, (size_t)want);
    if (part) has_diag(&d, line, part);
    rl_diag_clear(&d);
    rl_config_free(cfg);
}

#define GOOD_SECRETS "secret_key: 0123456789abcdef0123456789abcdef\nadmin_token: t\n"

static void test_production_rules(void **state)
{
    (void)state;
    unsetenv("RL_T_UNSET");
    check_prod("env: production\n" GOOD_SECRETS "cors: {allow_origins: ['https://a.example']}\n", false, 0, 0,
               NULL);
    check_prod("env: production\nadmin_token: t\n", false, 1, 0, "secret_key is required in production");
    check_prod("env: production\nadmin_token: t\nsecret_key: ${RL_T_UNSET}\n", false, 1, 3,
               "secret_key is required in production");
    check_prod("env: production\nadmin_token: t\nsecret_key: 0123456789abcdef0123456789abcde\n", false, 1, 3,
               "secret_key must be at least 32 bytes");
    check_prod("env: production\nsecret_key: 0123456789abcdef0123456789abcdef\n", false, 1, 0,
               "admin_token is required in production");
    check_prod("env: production\n" GOOD_SECRETS
               "cors:\n  allow_origins:\n    - https://a.example\n    - '*'\n",
               false, 1, 7, "cors.allow_origins must not contain \"*\" in production");
    check_prod("env: production\n" GOOD_SECRETS "log:\n  level: debug\n", false, 1, 5,
               "log.level debug is not allowed in production");
}

static void test_production_all_together(void **state)
{
    rl_diag_t d = RL_DIAG_INIT;
    (void)state;
    rl_config_t *cfg = load_ok("env: production\nsecret_key: short\ncors: {allow_origins: ['*']}\n"
                               "log: {level: debug}\n");
    assert_int_equal(rl_config_check_production(cfg, false, &d), 4);
    assert_int_equal(d.count, 4);
    has_diag(&d, 2, "secret_key must be at least 32 bytes");
    has_diag(&d, 0, "admin_token is required");
    has_diag(&d, 3, "must not contain \"*\"");
    has_diag(&d, 4, "log.level debug");
    rl_diag_clear(&d);
    rl_config_free(cfg);
}

static void test_production_only_when_asked(void **state)
{
    (void)state;
    const char *yaml = "log: {level: debug}\ncors: {allow_origins: ['*']}\n";
    check_prod(yaml, false, 0, 0, NULL);
    check_prod(yaml, true, 4, 1, "log.level debug");
    setenv("RELAIS_ENV", "production", 1);
    check_prod(yaml, false, 4, 2, "must not contain");
    unsetenv("RELAIS_ENV");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_full_config),
        cmocka_unit_test(test_base_url_forms),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_listen_addresses),
        cmocka_unit_test(test_tls),
        cmocka_unit_test(test_tls_relative_to_config_file),
        cmocka_unit_test(test_load_file_errors),
        cmocka_unit_test(test_providers),
        cmocka_unit_test(test_routes_required),
        cmocka_unit_test(test_routes_methods),
        cmocka_unit_test(test_routes_duplicate_names),
        cmocka_unit_test(test_routes_unknown_provider),
        cmocka_unit_test(test_cors_origins),
        cmocka_unit_test(test_env_substitution),
        cmocka_unit_test(test_env_substitution_errors),
        cmocka_unit_test(test_env_secrets_optional),
        cmocka_unit_test(test_env_overrides),
        cmocka_unit_test(test_yaml_restrictions),
        cmocka_unit_test(test_yaml_limits),
        cmocka_unit_test(test_reports_every_problem),
        cmocka_unit_test(test_error_cap),
        cmocka_unit_test(test_production_rules),
        cmocka_unit_test(test_production_all_together),
        cmocka_unit_test(test_production_only_when_asked),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
