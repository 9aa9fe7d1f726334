/* config.h — relais.yaml loaded into an immutable rl_config_t.
 *
 * Loading reads YAML with libyaml, substitutes ${VAR} and ${VAR:-default}
 * from the environment in every scalar, checks the schema (unknown keys,
 * wrong types and out-of-range values are errors with file:line) and fills
 * defaults. Every problem found is appended to a rl_diag_t, so that one run
 * reports them all. The result is owned by the caller (rl_config_free). */
#ifndef RL_CONFIG_CONFIG_H
#define RL_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cidr.h"
#include "core/diag.h"
#include "core/units.h"
#include "upstream/auth.h"

typedef enum rl_env { RL_ENV_DEVELOPMENT = 0, RL_ENV_PRODUCTION = 1 } rl_env_t;
typedef enum rl_log_level { RL_LOG_DEBUG = 0, RL_LOG_INFO, RL_LOG_WARN, RL_LOG_ERROR } rl_log_level_t;

/* What makes an attempt worth retrying (retry.on). */
enum { RL_RETRY_ON_CONNECT = 1, RL_RETRY_ON_TIMEOUT = 2 };
#define RL_RETRY_MAX_STATUSES 16

typedef struct rl_retry_cfg {
    unsigned attempts;                        /* tries in all, first included; 1 = no retry */
    uint64_t base_ms, max_ms;                 /* backoff: full jitter in [0, min(max, base·2^(k-1))] */
    unsigned on;                              /* RL_RETRY_ON_* bits */
    uint16_t statuses[RL_RETRY_MAX_STATUSES]; /* response statuses to retry */
    size_t n_statuses;
} rl_retry_cfg_t;

typedef struct rl_breaker_cfg {
    unsigned threshold; /* failures within window that open it; 0 = no breaker */
    uint64_t window_ms, cooldown_ms;
} rl_breaker_cfg_t;

/* presets, mode, mock, health (config_provider_ext.c) */
typedef enum rl_mode { RL_MODE_UNSET = 0, RL_MODE_MOCK, RL_MODE_REAL, RL_MODE_AUTO } rl_mode_t;
struct rl_mock_set; /* upstream/mock.h */
typedef struct rl_provider_mock_cfg {
    char *dir;           /* mock.dir, relative to the config file's directory; NULL = none */
    uint64_t latency_ms; /* mock.latency, default 0 */
    double error_rate;   /* mock.error_rate, 0..1, default 0 */
    uint64_t seed;       /* mock.seed, default 0 */
    bool record;         /* mock.record: real calls are written to mock.dir as fixtures */
} rl_provider_mock_cfg_t;

typedef struct rl_provider_cfg {
    char *name;
    char *base_url;              /* http(s)://host[:port][/prefix], no trailing slash */
    uint64_t connect_timeout_ms; /* default 5s */
    uint64_t total_timeout_ms;   /* default 30s */
    /* resilience (config_resilience.c) */
    rl_retry_cfg_t retry;
    rl_breaker_cfg_t breaker;
    rl_rate_t rate_limit; /* outbound GCRA; count 0 = none */
    rl_rate_t quota;      /* outbound quota per UTC day or month; count 0 = none */
    rl_auth_cfg_t auth;   /* outbound credentials (config_auth.c); type RL_AUTH_NONE when absent */
    /* presets, mode, mock, health (config_provider_ext.c) */
    char *preset;                /* `preset` name, or NULL; see providers/presets.h */
    char *domain;                /* `domain`, else the preset's, else "generic" */
    rl_mode_t mode;              /* `mode`; RL_MODE_UNSET = follow the global mode */
    rl_provider_mock_cfg_t mock; /* `mock` */
    char *health_method;         /* health.method, default GET (the preset's) */
    char *health_path;           /* health.path, else the preset's; NULL = no probe */
    uint64_t health_interval_ms; /* health.interval, default 30s (the preset's) */
    char **required_env;         /* env vars needed to run for real (the preset's) */
    size_t n_required_env;
    struct rl_mock_set *mocks; /* mock.dir fixtures then the preset's built-in ones; never NULL */
    char **fixed_headers;      /* the preset's headers sent on every request: name, value, name, … */
    size_t n_fixed_headers;    /* pairs */
    int line;
} rl_provider_cfg_t;

typedef struct rl_target_cfg {
    char *provider; /* a key of providers */
    char *path;     /* path template override, or NULL */
} rl_target_cfg_t;

/* response policies: one rename of a JSON member name (config_policies.c) */
typedef struct rl_rename_cfg {
    char *from, *to;
} rl_rename_cfg_t;

/* ingress: access (config_ingress.c) */
typedef enum rl_authn_method { RL_AUTHN_NONE = 1, RL_AUTHN_API_KEY, RL_AUTHN_JWT } rl_authn_method_t;
typedef enum rl_limit_by { RL_LIMIT_BY_CONSUMER = 0, RL_LIMIT_BY_IP } rl_limit_by_t;
typedef struct rl_limit_cfg {
    rl_rate_t rate;   /* count 0 = not set */
    rl_limit_by_t by; /* consumer (the client IP for anonymous requests) or ip */
    char text[32];    /* as written ("100/min"), for messages */
} rl_limit_cfg_t;
struct rl_jwt_cfg; /* policy/jwt.h */

typedef struct rl_route_cfg {
    char *name;               /* unique; default "route-<index>" */
    char *path;               /* match.path: router template */
    unsigned methods;         /* match.methods as RL_M_* bits; RL_M_ALL when absent */
    rl_target_cfg_t *targets; /* upstream.targets, at least one */
    size_t n_targets;
    char *upstream_path; /* upstream.path template; NULL = the request path */
    int line;
    /* ingress: access (config_ingress.c) */
    rl_authn_method_t auth[3]; /* `auth` in order; n_auth 0 = anonymous (as [none]) */
    size_t n_auth;
    char **scopes; /* every one required of the consumer */
    size_t n_scopes;
    rl_cidr_list_t allow_ips;    /* empty = any address */
    rl_limit_cfg_t *rate_limits; /* `rate_limit`: one or several */
    size_t n_rate_limits;
    rl_limit_cfg_t quota; /* rate.calendar 'd' or 'm'; count 0 = none */
    /* response policies (config_policies.c) */
    bool cache;            /* `cache` is set: GET/HEAD answers are cached */
    uint64_t cache_ttl_ms; /* cache.ttl */
    char **cache_vary;     /* cache.vary, lower-case header names */
    size_t n_cache_vary;
    bool cache_key_by_consumer; /* cache.key_by_consumer, default true */
    char **fields;              /* `fields` allowlist (dotted paths); NULL = any field */
    size_t n_fields;
    bool deprecated;                               /* `deprecation` is set */
    int64_t deprecation_date;                      /* Unix seconds; INT64_MIN when not set */
    int64_t sunset;                                /* Unix seconds; INT64_MIN when not set */
    bool deprecation_enforce;                      /* 410 gone after the sunset */
    char *deprecation_link;                        /* URL or NULL */
    char *hdr_deprecation, *hdr_sunset, *hdr_link; /* header values, or NULL */
    rl_rename_cfg_t *rename;                       /* `rename`: upstream name → client name */
    size_t n_rename;
    int audit; /* `audit`: RL_AUDIT_DEFAULT (methods other than GET/HEAD), RL_AUDIT_ON, RL_AUDIT_OFF */
} rl_route_cfg_t;

enum { RL_AUDIT_DEFAULT = 0, RL_AUDIT_ON = 1, RL_AUDIT_OFF = 2 };

typedef struct rl_config {
    char *file;                   /* path it was loaded from */
    rl_env_t env;                 /* env, or RELAIS_ENV */
    char *listen_public;          /* "host:port"; RELAIS_LISTEN overrides */
    char *listen_admin;           /* "host:port"; default 127.0.0.1:8081 */
    int workers;                  /* 0 = one per core */
    char *tls_cert, *tls_key;     /* both or neither */
    uint64_t max_body;            /* limits.max_body, default 10MiB */
    uint64_t max_header;          /* limits.max_header, default 16KiB */
    uint64_t request_timeout_ms;  /* limits.request_timeout, default 60s */
    uint64_t shutdown_timeout_ms; /* limits.shutdown_timeout, default 10s */
    char *secret_key;             /* may be NULL */
    char *admin_token;            /* may be NULL */
    rl_log_level_t log_level;     /* log.level, default info */
    char **cors_origins;          /* cors.allow_origins */
    size_t n_cors_origins;
    bool cors_credentials; /* cors.allow_credentials */
    rl_provider_cfg_t *providers;
    size_t n_providers;
    rl_route_cfg_t *routes;
    size_t n_routes;
    /* ingress: access (config_ingress.c) */
    rl_cidr_list_t trust_proxy; /* peers whose X-Forwarded-For is believed */
    struct rl_jwt_cfg *jwt;     /* auth.jwt; NULL when absent */
    char *cors_allow_methods;   /* cors.allow_methods joined ("GET, POST"); NULL = the route's methods */
    char *cors_allow_headers;   /* cors.allow_headers joined; NULL = echo the preflight's request */
    char *cors_expose_headers;  /* cors.expose_headers joined; NULL = none */
    uint64_t cors_max_age_s;    /* cors.max_age, default 600 */
    /* Lines the production check points at; 0 when the key is not in the
     * file. cors_origins_line is the line of a "*" item. */
    int secret_key_line, admin_token_line, cors_origins_line, log_level_line;
    /* response policies (config_policies.c) */
    uint64_t cache_max_memory; /* cache.max_memory, default 64MiB; 0 = no response cache */
    bool cache_any;            /* some route has `cache` */
    /* store and audit trail (config_ingress_audit.c) */
    char *store_url; /* `store`; sqlite:// paths made absolute; default sqlite://<dir>/var/relais.db */
    uint64_t audit_anonymize_after_ms; /* audit.anonymize_after, default 30d */
    uint64_t audit_retention_ms;       /* audit.retention, default 365d */
    uint32_t audit_queue;              /* audit.queue, default 10000 */
    rl_mode_t mode; /* `mode` (RELAIS_MODE overrides), default RL_MODE_AUTO (config_provider_ext.c) */
} rl_config_t;

/* Loads and validates `path`. On success returns 0 and *out (caller frees
 * with rl_config_free). On any problem returns -1, *out = NULL, and every
 * problem is in `diag` as file:line: message. Production rules are NOT
 * applied here (see rl_config_check_production). */
int rl_config_load(const char *path, rl_config_t **out, rl_diag_t *diag);

/* Same, from a buffer; `name` is used as the file name in messages. */
int rl_config_load_buffer(const char *name, const char *buf, size_t len, rl_config_t **out, rl_diag_t *diag);

/* Production refusal rules (secret_key ≥ 32 bytes, admin_token set, no "*"
 * in cors.allow_origins, log.level not debug). Appends every violation to
 * `diag`; returns the number appended (0 = fine). Applies only when
 * cfg->env is production, or when `force` is true (check --mode production). */
int rl_config_check_production(const rl_config_t *cfg, bool force, rl_diag_t *diag);

/* Finds a provider by name, or NULL. */
const rl_provider_cfg_t *rl_config_provider(const rl_config_t *cfg, const char *name);

void rl_config_free(rl_config_t *cfg);

#endif
