/* audit_cmd.c — `relais audit verify [-c FILE]`: walks the audit trail in
 * order and checks its hash chain (ingress/audit.h). Exit 0 when intact;
 * exit 1 naming the first modified, inserted or deleted row. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "ingress/audit.h"

#define PAGE 1000

int rl_cli_audit_verify(rl_store_t *store, const char *key, rl_audit_verifier_t *v, int64_t *cp_seq,
                        rl_err_t *err)
{
    char start[RL_STORE_HEX_LEN + 1];
    int64_t after = 0;
    rl_store_audit_row_t *rows;
    size_t n;
    int cp = rl_store_audit_checkpoint(store, cp_seq, start, err);
    if (cp < 0) return cp;
    if (cp == 0) *cp_seq = 0;
    rl_audit_verify_init(v, cp ? start : RL_AUDIT_GENESIS, key, key ? strlen(key) : 0);
    do {
        int rc = rl_store_audit_query(store, NULL, after, PAGE, &rows, &n, err);
        if (rc != 0) return rc;
        for (size_t i = 0; i < n && rl_audit_verify_row(v, &rows[i]) == RL_AUDIT_FINE; i++)
            after = rows[i].seq;
        rl_store_audit_rows_free(rows, n);
    } while (n == PAGE && v->problem == RL_AUDIT_FINE);
    rl_audit_verify_end(v);
    return 0;
}

/* Verifies the whole trail of `store`; prints the verdict. 0 intact. */
static int verify(rl_store_t *store, const char *key)
{
    rl_audit_verifier_t v;
    rl_err_t err;
    int64_t cp_seq = 0;
    if (rl_cli_audit_verify(store, key, &v, &cp_seq, &err) != 0) {
        fprintf(stderr, "relais audit verify: %s\n", err.msg);
        return 1;
    }
    if (v.problem != RL_AUDIT_FINE) {
        printf("audit trail BROKEN: %s\n", v.message);
        return 1;
    }
    if (cp_seq)
        printf("audit trail ok: %llu rows verified (from the retention checkpoint after row %lld)\n",
               (unsigned long long)v.rows, (long long)cp_seq);
    else
        printf("audit trail ok: %llu rows verified\n", (unsigned long long)v.rows);
    return 0;
}

int rl_cli_audit(int argc, char **argv)
{
    const char *config = "relais.yaml";
    rl_config_t *cfg;
    rl_store_t *store;
    if (argc < 1 || strcmp(argv[0], "verify") != 0) {
        fprintf(stderr, "usage: relais audit verify [-c FILE]\n");
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) && i + 1 < argc) {
            config = argv[++i];
        } else {
            fprintf(stderr, "usage: relais audit verify [-c FILE]\n");
            return 2;
        }
    }
    if (rl_cli_open(config, &cfg, &store) != 0) return 1;
    int rc = verify(store, cfg->secret_key);
    rl_cli_close(cfg, store);
    return rc;
}
