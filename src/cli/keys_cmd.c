/* keys_cmd.c — `relais keys create|list|rotate|revoke`, on the same store
 * as the admin API. A new or rotated key is printed once, alone on the
 * first line of stdout; everything else is for people. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/units.h"
#include "ingress/keys_store.h"

static const char usage[] =
    "usage: relais keys create [-c FILE] --name NAME [--scopes a,b] [--allow-ips CIDR,...] [--expires 30d]\n"
    "       relais keys list   [-c FILE]\n"
    "       relais keys rotate [-c FILE] ID [--grace 7d]\n"
    "       relais keys revoke [-c FILE] ID\n";

typedef struct opts {
    const char *config, *name, *scopes, *allow_ips, *expires, *grace, *id;
} opts_t;

static int parse(int argc, char **argv, opts_t *o)
{
    o->config = "relais.yaml";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = NULL;
        if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0)
            slot = &o->config;
        else if (strcmp(a, "--name") == 0)
            slot = &o->name;
        else if (strcmp(a, "--scopes") == 0)
            slot = &o->scopes;
        else if (strcmp(a, "--allow-ips") == 0 || strcmp(a, "--allow-ip") == 0)
            slot = &o->allow_ips;
        else if (strcmp(a, "--expires") == 0)
            slot = &o->expires;
        else if (strcmp(a, "--grace") == 0)
            slot = &o->grace;
        if (slot != NULL) {
            if (i + 1 >= argc) {
                fprintf(stderr, "relais keys: %s needs a value\n", a);
                return -1;
            }
            *slot = argv[++i];
        } else if (a[0] != '-' && o->id == NULL) {
            o->id = a;
        } else {
            fprintf(stderr, "relais keys: unexpected argument '%s'\n", a);
            return -1;
        }
    }
    return 0;
}

static void print_row(const rl_store_key_row_t *k, int64_t now)
{
    char t[32];
    json_t *j = rl_keys_to_json(k, now);
    printf("id:         %s\nname:       %s\nstatus:     %s\n", k->id, k->name,
           json_string_value(json_object_get(j, "status")));
    printf("scopes:     %s\nallow_ips:  %s\n", k->scopes[0] ? k->scopes : "(none)",
           k->allow_ips[0] ? k->allow_ips : "(any address)");
    rl_keys_time(k->created_at_ms, t, sizeof(t));
    printf("created_at: %s\n", t);
    if (k->expires_at_ms) rl_keys_time(k->expires_at_ms, t, sizeof(t));
    printf("expires_at: %s\n", k->expires_at_ms ? t : "never");
    json_decref(j);
}

static int duration(const char *what, const char *s, int64_t *out)
{
    uint64_t ms;
    if (rl_parse_duration_ms(s, &ms) != 0 || ms > (uint64_t)INT64_MAX / 2) {
        fprintf(stderr, "relais keys: %s: invalid duration '%s' (e.g. 30d, 12h, 90m)\n", what, s);
        return -1;
    }
    *out = (int64_t)ms;
    return 0;
}

static int create(rl_store_t *s, const opts_t *o)
{
    char key[RL_KEY_LEN + 1];
    rl_store_key_row_t row;
    rl_err_t err;
    int64_t now = rl_cli_now_ms(), exp = 0;
    if (o->name == NULL) {
        fprintf(stderr, "relais keys create: --name is required\n");
        return 2;
    }
    if (o->expires && duration("--expires", o->expires, &exp) != 0) return 2;
    rl_key_spec_t spec = {.name = o->name,
                          .scopes = o->scopes,
                          .allow_ips = o->allow_ips,
                          .expires_at_ms = o->expires ? now + exp : 0};
    if (rl_keys_create(s, &spec, now, key, &row, &err) != 0) {
        fprintf(stderr, "relais keys create: %s\n", err.msg);
        return err.code == RL_EBAD_REQUEST ? 2 : 1;
    }
    printf("%s\n", key);
    print_row(&row, now);
    printf("\nThis is the only time the key is shown: store it now.\n");
    rl_store_key_row_clear(&row);
    return 0;
}

static int rotate(rl_store_t *s, const opts_t *o)
{
    char key[RL_KEY_LEN + 1], t[32];
    rl_store_key_row_t row;
    rl_err_t err;
    int64_t now = rl_cli_now_ms(), grace = RL_KEY_DEFAULT_GRACE_MS;
    if (o->id == NULL) {
        fprintf(stderr, "relais keys rotate: which key? (relais keys rotate ID)\n");
        return 2;
    }
    if (o->grace && duration("--grace", o->grace, &grace) != 0) return 2;
    if (rl_keys_rotate(s, o->id, grace, now, key, &row, &err) != 0) {
        fprintf(stderr, "relais keys rotate: %s\n", err.msg);
        return 1;
    }
    printf("%s\n", key);
    rl_keys_time(row.prev_until_ms, t, sizeof(t));
    printf("rotated %s; the previous secret works until %s\n", row.id, t);
    printf("\nThis is the only time the new key is shown: store it now.\n");
    rl_store_key_row_clear(&row);
    return 0;
}

static int revoke(rl_store_t *s, const opts_t *o)
{
    rl_err_t err;
    if (o->id == NULL) {
        fprintf(stderr, "relais keys revoke: which key? (relais keys revoke ID)\n");
        return 2;
    }
    if (!rl_keys_id_valid(o->id) || rl_store_key_revoke(s, o->id, rl_cli_now_ms(), &err) != 0) {
        fprintf(stderr, "relais keys revoke: no API key %.40s\n", o->id);
        return 1;
    }
    printf("revoked %s (every relais worker refuses it within 1 s)\n", o->id);
    return 0;
}

static int list(rl_store_t *s)
{
    rl_store_key_row_t *rows;
    size_t n;
    rl_err_t err;
    int64_t after = 0, now = rl_cli_now_ms();
    printf("%-12s  %-8s  %-20s  %-20s  %-20s  %s\n", "ID", "STATUS", "CREATED", "LAST USED", "NAME",
           "SCOPES");
    do {
        if (rl_store_key_list(s, after, RL_STORE_LIST_MAX, &rows, &n, &err) != 0) {
            fprintf(stderr, "relais keys list: %s\n", err.msg);
            return 1;
        }
        for (size_t i = 0; i < n; i++) {
            char c[32], u[32];
            json_t *j = rl_keys_to_json(&rows[i], now);
            rl_keys_time(rows[i].created_at_ms, c, sizeof(c));
            if (rows[i].last_used_at_ms) rl_keys_time(rows[i].last_used_at_ms, u, sizeof(u));
            printf("%-12s  %-8s  %-20s  %-20s  %-20s  %s\n", rows[i].id,
                   json_string_value(json_object_get(j, "status")), c, rows[i].last_used_at_ms ? u : "never",
                   rows[i].name, rows[i].scopes);
            json_decref(j);
            after = rows[i].seq;
        }
        rl_store_key_rows_free(rows, n);
    } while (n == RL_STORE_LIST_MAX);
    return 0;
}

int rl_cli_keys(int argc, char **argv)
{
    opts_t o = {0};
    rl_config_t *cfg;
    rl_store_t *store;
    if (argc < 1 || parse(argc, argv, &o) != 0) {
        fputs(usage, stderr);
        return 2;
    }
    const char *sub = argv[0];
    if (strcmp(sub, "create") && strcmp(sub, "list") && strcmp(sub, "rotate") && strcmp(sub, "revoke")) {
        fprintf(stderr, "relais keys: unknown subcommand '%s'\n%s", sub, usage);
        return 2;
    }
    if (rl_cli_open(o.config, &cfg, &store) != 0) return 1;
    int rc = strcmp(sub, "create") == 0   ? create(store, &o)
             : strcmp(sub, "rotate") == 0 ? rotate(store, &o)
             : strcmp(sub, "revoke") == 0 ? revoke(store, &o)
                                          : list(store);
    rl_cli_close(cfg, store);
    return rc;
}
