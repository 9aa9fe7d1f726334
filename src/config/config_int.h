/* config_int.h — private to src/config: the loading context and the typed
 * getters that turn tree nodes into values, reporting every problem as
 * file:line. Not for use outside the config loader. */
#ifndef RL_CONFIG_CONFIG_INT_H
#define RL_CONFIG_CONFIG_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "config/yaml_tree.h"
#include "core/units.h"

#define RL_CFG_MAX_ERRORS 100        /* then "too many errors" and silence */
#define RL_CFG_MAX_VALUE (64u << 10) /* bytes of one value after substitution */

typedef struct rl_cfg_ctx {
    const char *file;
    const char *base_dir; /* relative tls paths resolve here; NULL = as written */
    rl_diag_t *diag;
    size_t errors;
    rl_config_t *cfg;
} rl_cfg_ctx_t;

/* Adds "file:line: message" to the diagnostics (up to RL_CFG_MAX_ERRORS). */
void rl_cfg_error(rl_cfg_ctx_t *c, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* True when `n` counts as "key not set": missing, YAML null, or a value
 * that was exactly ${VAR} with VAR unset or empty. */
bool rl_cfg_absent(const rl_ynode_t *n);

/* Reports "path is required" at `line`, naming the unset variable when `n`
 * was ${VAR}. */
void rl_cfg_missing(rl_cfg_ctx_t *c, int line, const rl_ynode_t *n, const char *path);

/* Reports every key of `map` that is not in `known` (NULL-terminated) as
 * "unknown key 'path.key'", with a suggestion when one is close. */
void rl_cfg_check_keys(rl_cfg_ctx_t *c, const rl_ynode_t *map, const char *path, const char *const *known);

/* Typed getters. Each returns 1 and writes *out when the value is there and
 * valid, 0 (out untouched) when absent, -1 after reporting a problem.
 * `path` ("limits.max_body") names the key in messages. */
int rl_cfg_map(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *path);
int rl_cfg_seq(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *path);
int rl_cfg_str(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *path, char **out);
int rl_cfg_int(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *path, int lo, int hi, int *out);
int rl_cfg_bool(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *path, bool *out);
int rl_cfg_duration(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *path, uint64_t lo, uint64_t hi,
                    uint64_t *out);
int rl_cfg_size(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *path, uint64_t lo, uint64_t hi,
                uint64_t *out);
/* A rate ("100/min", "10000/month"), count > 0. */
int rl_cfg_rate(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *path, rl_rate_t *out);
int rl_cfg_enum(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *path, const char *const *names, int *out);

/* A list item as a string; an item that was an unset ${VAR} is an error. */
int rl_cfg_item_str(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *path, char **out);

/* Checks "host:port" / "[v6]:port"; NULL when fine, else why not. */
const char *rl_cfg_listen_check(const char *s);

/* Checks an http(s) URL; writes the length of "scheme://authority" to
 * *origin_len. NULL when fine, else why not. */
const char *rl_cfg_url_check(const char *s, size_t *origin_len);

/* Providers and routes (config_routes.c). Providers first: routes look
 * their targets up. */
void rl_cfg_load_providers(rl_cfg_ctx_t *c, const rl_ynode_t *n);
void rl_cfg_load_routes(rl_cfg_ctx_t *c, const rl_ynode_t *n);
void rl_cfg_free_providers(rl_config_t *cfg);
void rl_cfg_free_routes(rl_config_t *cfg);

/* A provider's retry, breaker, rate_limit and quota (config_resilience.c):
 * defaults first, then the keys of `map`. */
void rl_cfg_resilience_defaults(rl_provider_cfg_t *p);
void rl_cfg_load_resilience(rl_cfg_ctx_t *c, const rl_ynode_t *map, const char *path, rl_provider_cfg_t *p);

/* Presets, mode, mock, health (config_provider_ext.c): the provider keys
 * preset, domain, mode, health and mock, read before base_url (a preset
 * fills it); freeing them; the top-level `mode` and RELAIS_MODE. */
void rl_cfg_load_provider_ext(rl_cfg_ctx_t *c, const rl_ynode_t *map, const char *path, rl_provider_cfg_t *p);
void rl_cfg_free_provider_ext(rl_provider_cfg_t *p);
void rl_cfg_load_mode(rl_cfg_ctx_t *c, const rl_ynode_t *n);
void rl_cfg_mode_override(rl_cfg_ctx_t *c);

/* Response policies (config_policies.c): the route keys cache, fields,
 * deprecation and rename, called by the route loader; the top-level `cache`;
 * freeing a route's share. */
void rl_cfg_load_route_policies(rl_cfg_ctx_t *c, rl_route_cfg_t *r, const rl_ynode_t *route,
                                const char *path);
void rl_cfg_load_cache(rl_cfg_ctx_t *c, const rl_ynode_t *n);
void rl_cfg_free_route_policies(rl_route_cfg_t *r);

/* A preset provider with no `auth` block gets the preset's credentials
 * from the environment (missing ones recorded), and the preset's fixed
 * headers (config_provider_ext.c). Call after the auth block was loaded. */
void rl_cfg_preset_auth(rl_provider_cfg_t *p);

/* malloc that never returns NULL. */
void *rl_cfg_xcalloc(size_t n, size_t size);
char *rl_cfg_xstrdup(const char *s);

#endif
