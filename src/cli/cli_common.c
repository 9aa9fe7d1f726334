/* cli_common.c — config + store opening shared by the CLI subcommands. */
#include <stdio.h>

#include "cli/cli.h"
#include "core/clock.h"

int rl_cli_open(const char *path, rl_config_t **cfg, rl_store_t **store)
{
    rl_diag_t d = RL_DIAG_INIT;
    rl_err_t err;
    *store = NULL;
    if (rl_config_load(path, cfg, &d) != 0) {
        rl_diag_print(&d, stderr);
        rl_diag_clear(&d);
        return 1;
    }
    rl_diag_clear(&d);
    if (rl_store_open((*cfg)->store_url, store, &err) != 0 ||
        rl_store_migrate(*store, NULL, NULL, &err) != 0) {
        fprintf(stderr, "relais: %s\n", err.msg);
        rl_cli_close(*cfg, *store);
        *cfg = NULL;
        *store = NULL;
        return 1;
    }
    return 0;
}

void rl_cli_close(rl_config_t *cfg, rl_store_t *store)
{
    rl_store_close(store);
    rl_config_free(cfg);
}

int64_t rl_cli_now_ms(void)
{
    return (int64_t)rl_wall_ms();
}
