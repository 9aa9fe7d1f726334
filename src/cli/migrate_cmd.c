/* migrate_cmd.c — `relais migrate [-c FILE]`: applies the store's
 * migrations (serve does it too at start) and says what it did. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int rl_cli_migrate(int argc, char **argv)
{
    const char *config = "relais.yaml";
    rl_err_t err;
    rl_config_t *cfg = NULL;
    rl_store_t *store = NULL;
    rl_diag_t d = RL_DIAG_INIT;
    int from = 0, to = 0;
    for (int i = 0; i < argc; i++) {
        if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) && i + 1 < argc) {
            config = argv[++i];
        } else {
            fprintf(stderr, "usage: relais migrate [-c FILE]\n");
            return 2;
        }
    }
    if (rl_config_load(config, &cfg, &d) != 0) {
        rl_diag_print(&d, stderr);
        rl_diag_clear(&d);
        return 1;
    }
    int rc =
        rl_store_open(cfg->store_url, &store, &err) == 0 && rl_store_migrate(store, &from, &to, &err) == 0;
    if (!rc)
        fprintf(stderr, "relais: %s\n", err.msg);
    else if (from == to)
        printf("store %s: schema version %d, up to date\n", cfg->store_url, to);
    else
        printf("store %s: migrated from schema version %d to %d\n", cfg->store_url, from, to);
    rl_cli_close(cfg, store);
    return rc ? 0 : 1;
}
