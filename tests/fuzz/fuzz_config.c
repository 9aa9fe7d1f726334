/* fuzz_config.c — libFuzzer driver for the config loader: arbitrary bytes
 * through libyaml, the tree builder, ${VAR} substitution and the schema.
 * Every input must either load or fail with diagnostics, without leaks,
 * crashes or undefined behaviour. */
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rl_diag_t diag = RL_DIAG_INIT;
    rl_config_t *cfg = NULL;
    if (rl_config_load_buffer("fuzz.yaml", (const char *)data, size, &cfg, &diag) == 0) {
        rl_config_check_production(cfg, true, &diag);
        rl_config_free(cfg);
    }
    rl_diag_clear(&diag);
    return 0;
}
