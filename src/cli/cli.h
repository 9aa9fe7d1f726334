/* cli.h — the store-backed subcommands of `relais` (main.c dispatches):
 * keys, migrate, audit. Each takes the arguments after its name and returns
 * the process exit code: 0 fine, 1 failed (not found, verification failed,
 * store error), 2 usage error. */
#ifndef RL_CLI_CLI_H
#define RL_CLI_CLI_H

#include "config/config.h"
#include "ingress/audit.h"
#include "store/store.h"

int rl_cli_keys(int argc, char **argv);    /* keys_cmd.c */
int rl_cli_migrate(int argc, char **argv); /* migrate_cmd.c */
int rl_cli_audit(int argc, char **argv);   /* audit_cmd.c */

/* Loads the config at `path` and opens (and migrates) its store. Prints
 * what went wrong to stderr and returns 1; 0 with *cfg and *store set
 * (rl_cli_close frees both). */
int rl_cli_open(const char *path, rl_config_t **cfg, rl_store_t **store);
void rl_cli_close(rl_config_t *cfg, rl_store_t *store);

/* Walks the whole audit trail of `store` through `v` (ingress/audit.h):
 * from the retention checkpoint (*cp_seq = its row, else 0) or the genesis.
 * Returns 0 with the verdict in v->problem / v->message, or a store error. */
int rl_cli_audit_verify(rl_store_t *store, const char *key, rl_audit_verifier_t *v, int64_t *cp_seq,
                        rl_err_t *err);

/* Unix time now in ms. */
int64_t rl_cli_now_ms(void);

#endif
