/* auth.h — a provider's outbound credentials (`providers.NAME.auth`), as
 * loaded from relais.yaml by rl_cfg_load_auth (config/config_auth.c).
 *
 * Every secret comes from the environment through ${VAR}. A credential field
 * that is exactly ${VAR} with VAR unset is not a config error: the field
 * stays NULL, VAR is listed in `missing_env`, and the provider cannot run in
 * real mode (rl_auth_ready is false; `mode: auto` picks mock). No field of
 * this struct may ever be logged, put in an error, /status or a metric
 * except `type`, the header/query names and the env var names.
 *
 * How the credentials reach a request: auth_apply.h (pure, per request),
 * oauth2_token.h (the token fetch and cache), and for mtls the lead passes
 * cert/key to curl (CURLOPT_SSLCERT / CURLOPT_SSLKEY). */
#ifndef RL_UPSTREAM_AUTH_H
#define RL_UPSTREAM_AUTH_H

#include <stdbool.h>
#include <stddef.h>

typedef enum rl_auth_type {
    RL_AUTH_NONE = 0, /* no auth block */
    RL_AUTH_API_KEY,
    RL_AUTH_BEARER,
    RL_AUTH_BASIC,
    RL_AUTH_OAUTH2_CC, /* oauth2_client_credentials */
    RL_AUTH_MTLS,
    RL_AUTH_HMAC,
    RL_AUTH_AWS_SIGV4,
} rl_auth_type_t;

typedef enum rl_hmac_alg { RL_HMAC_SHA256 = 0, RL_HMAC_SHA512 } rl_hmac_alg_t;
typedef enum rl_hmac_enc { RL_HMAC_HEX = 0, RL_HMAC_BASE64 } rl_hmac_enc_t;
typedef enum rl_hmac_ts { RL_HMAC_TS_UNIX = 0, RL_HMAC_TS_UNIX_MS } rl_hmac_ts_t;
typedef enum rl_oauth2_client_auth { RL_OAUTH2_AUTH_BASIC = 0, RL_OAUTH2_AUTH_BODY } rl_oauth2_client_auth_t;

/* The parts of an hmac message template, see hmac_sign.h. */
typedef enum rl_tmpl_kind {
    RL_TMPL_TEXT = 0,
    RL_TMPL_METHOD,
    RL_TMPL_PATH,
    RL_TMPL_QUERY,
    RL_TMPL_TIMESTAMP,
    RL_TMPL_BODY,
    RL_TMPL_BODY_SHA256,
} rl_tmpl_kind_t;

#define RL_TMPL_MAX_PARTS 32

typedef struct rl_tmpl_part {
    rl_tmpl_kind_t kind;
    size_t off, len; /* RL_TMPL_TEXT: bytes of the unescaped text in rl_hmac_tmpl_t.text */
} rl_tmpl_part_t;

typedef struct rl_hmac_tmpl {
    char *text; /* literal text of every part, unescaped; owned */
    rl_tmpl_part_t parts[RL_TMPL_MAX_PARTS];
    size_t n_parts;
    bool uses_body; /* {body} or {body_sha256}: the whole body must be known */
} rl_hmac_tmpl_t;

typedef struct rl_auth_cfg {
    rl_auth_type_t type;
    int line; /* of the auth key; 0 when there is no auth block */
    struct {
        char *header; /* exactly one of header and query */
        char *query;
        char *prefix; /* prepended to the key ("Token "); may be NULL */
        char *key;    /* secret */
    } api_key;
    struct {
        char *token; /* secret */
    } bearer;
    struct {
        char *username, *password; /* secrets */
    } basic;
    struct {
        char *token_url;
        char *client_id, *client_secret; /* secrets */
        char *scope, *audience;          /* may be NULL */
        rl_oauth2_client_auth_t client_auth;
    } oauth2;
    struct {
        char *cert, *key; /* file paths, resolved against the config's directory */
    } mtls;
    struct {
        char *secret;           /* secret */
        char *header;           /* default X-Signature */
        char *prefix;           /* before the encoded signature ("sha256="); may be NULL */
        char *timestamp_header; /* may be NULL: then no timestamp header is sent */
        rl_hmac_alg_t algorithm;
        rl_hmac_enc_t encoding;
        rl_hmac_ts_t timestamp_format;
        rl_hmac_tmpl_t message; /* default "{method}\n{path}\n{timestamp}\n{body}" */
    } hmac;
    struct {
        char *access_key, *secret_key, *session_token; /* secrets; session_token may be NULL */
        char *region, *service;
    } sigv4;
    /* Environment variables that fields of this block were read from, in
     * file order, without duplicates. Today only the UNSET ones can be named:
     * the config loader keeps a variable's name only when it is unset
     * (rl_ynode_t.unset_var), so env_vars == missing_env until it also keeps
     * the names of set variables. */
    char **env_vars;
    size_t n_env_vars;
    char **missing_env; /* the unset ones among env_vars */
    size_t n_missing_env;
} rl_auth_cfg_t;

/* "api_key", "bearer", …, "none": for logs, /status and messages. */
const char *rl_auth_type_name(rl_auth_type_t t);

/* True when every credential of `a` is set (no missing env var), so the
 * provider may run in real mode. True for RL_AUTH_NONE. */
bool rl_auth_ready(const rl_auth_cfg_t *a);

/* The NULL-terminated list of env var names that `a` needs (see env_vars),
 * or of those that are missing when `missing_only`. The array belongs to
 * `a`; *n (when not NULL) gets the count. */
const char *const *rl_auth_env_vars(const rl_auth_cfg_t *a, bool missing_only, size_t *n);

/* Frees everything `a` owns and zeroes it; NULL is fine. */
void rl_auth_cfg_free(rl_auth_cfg_t *a);

#endif
