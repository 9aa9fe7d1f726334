/* main.c — the relais command line: dispatch to serve, check, providers,
 * keys, migrate, audit, version. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "config/snapshot.h"
#include "core/log.h"
#include "http/server.h"
#include "upstream/inventory.h"
#include "upstream/record.h"

static const char usage[] =
    "usage: relais <command> [options]\n"
    "\n"
    "commands:\n"
    "  serve [-c FILE]                  run the gateway (default FILE: relais.yaml)\n"
    "  check [-c FILE] [--mode production] [--strict]\n"
    "                                   validate the config; print each problem as file:line: message;\n"
    "                                   list providers with missing env vars (--strict: exit 1 then)\n"
    "  record [-c FILE]                 serve, writing every real provider exchange as a mock fixture\n"
    "                                   (credentials redacted) into its mock.dir, else mocks/NAME\n"
    "  providers [-c FILE]              inventory: provider, domain, mode, env vars, missing, health URL\n"
    "  keys create -c FILE --name NAME [--scopes a,b] [--allow-ips CIDR,...] [--expires 30d]\n"
    "                                   create an API key; prints the key once, alone on the first line\n"
    "  keys list|rotate ID [--grace 7d]|revoke ID [-c FILE]\n"
    "                                   list, rotate (old secret works during the grace) or revoke keys\n"
    "  migrate [-c FILE]                apply the store's schema migrations\n"
    "  audit verify [-c FILE]           check the audit hash chain; exit 1 naming the first bad row\n"
    "  version                          print the version\n"
    "  help                             this text\n"
    "\n"
    "environment: RELAIS_ENV, RELAIS_LISTEN override env and listen.public.\n";

typedef struct cli {
    const char *config;
    int production; /* --mode production */
    int strict;
} cli_t;

static int parse_options(int argc, char **argv, cli_t *o)
{
    o->config = "relais.yaml";
    for (int i = 2; i < argc; i++) {
        if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) && i + 1 < argc) {
            o->config = argv[++i];
        } else if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc) {
            const char *m = argv[++i];
            if (strcmp(m, "production") == 0)
                o->production = 1;
            else if (strcmp(m, "development") != 0) {
                fprintf(stderr, "relais: --mode takes production or development, not '%s'\n", m);
                return -1;
            }
        } else if (strcmp(argv[i], "--strict") == 0) {
            o->strict = 1;
        } else {
            fprintf(stderr, "relais: unknown option '%s'\n\n%s", argv[i], usage);
            return -1;
        }
    }
    return 0;
}

static int cmd_check(const cli_t *o)
{
    rl_diag_t d = RL_DIAG_INIT;
    rl_snapshot_t *s = NULL;
    int bad = rl_snapshot_load(o->config, &s, &d) != 0;
    if (!bad && rl_config_check_production(s->cfg, o->production != 0, &d) > 0) bad = 1;
    if (s != NULL) {
        rl_diag_t m = RL_DIAG_INIT;
        if (rl_inventory_missing(s, o->strict ? &d : &m) > 0 && o->strict) bad = 1;
        if (m.count) {
            fprintf(stderr, "warning: these providers run in mock mode unless their env vars are set:\n");
            rl_diag_print(&m, stderr);
        }
        rl_diag_clear(&m);
    }
    if (bad) {
        rl_diag_print(&d, stderr);
        fprintf(stderr, "%s: %zu problem%s\n", o->config, d.count, d.count == 1 ? "" : "s");
    } else {
        printf("%s: ok (%zu providers, %zu routes)\n", o->config, s->cfg->n_providers, s->cfg->n_routes);
    }
    rl_snapshot_release(s);
    rl_diag_clear(&d);
    return bad ? 1 : 0;
}

static int cmd_providers(const cli_t *o)
{
    rl_diag_t d = RL_DIAG_INIT;
    rl_snapshot_t *s = NULL;
    if (rl_snapshot_load(o->config, &s, &d) != 0) {
        rl_diag_print(&d, stderr);
        rl_diag_clear(&d);
        return 1;
    }
    rl_inventory_print(s, stdout);
    rl_snapshot_release(s);
    return 0;
}

static int cmd_serve(const cli_t *o)
{
    curl_global_init(CURL_GLOBAL_ALL);
    int rc = rl_server_run(o->config);
    curl_global_cleanup();
    return rc;
}

int main(int argc, char **argv)
{
    cli_t o = {0};
    if (argc < 2) {
        fputs(usage, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("relais %s\n", RELAIS_VERSION);
        return 0;
    }
    if (strcmp(cmd, "keys") == 0) return rl_cli_keys(argc - 2, argv + 2);
    if (strcmp(cmd, "migrate") == 0) return rl_cli_migrate(argc - 2, argv + 2);
    if (strcmp(cmd, "audit") == 0) return rl_cli_audit(argc - 2, argv + 2);
    if (strcmp(cmd, "record") == 0) {
        rl_record_all(true);
        cmd = "serve";
    }
    if (strcmp(cmd, "serve") != 0 && strcmp(cmd, "check") != 0 && strcmp(cmd, "providers") != 0) {
        fprintf(stderr, "relais: unknown command '%s'\n\n%s", cmd, usage);
        return 2;
    }
    if (parse_options(argc, argv, &o) != 0) return 2;
    if (strcmp(cmd, "providers") == 0) return cmd_providers(&o);
    return strcmp(cmd, "serve") == 0 ? cmd_serve(&o) : cmd_check(&o);
}
