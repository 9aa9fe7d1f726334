/* presets.h — the catalog of provider presets: what relais knows about
 * OpenAI, Anthropic, Mistral, Stripe, Shopify, WooCommerce, PrestaShop,
 * Slack, Sentry and a generic HTTP API.
 *
 * A preset gives a provider its defaults: base URL, the shape of its
 * outbound credentials and which environment variables feed them, the env
 * vars it needs to run for real, timeouts, a health probe, a one-line "what
 * breaks without it" for the inventory, and built-in mock fixtures for its
 * main endpoints (so that mock mode works with no files). Explicit keys in
 * relais.yaml always win over a preset (see docs/config.md). The catalog is
 * static, immutable data: every pointer here lives as long as the process. */
#ifndef RL_PROVIDERS_PRESETS_H
#define RL_PROVIDERS_PRESETS_H

#include <stddef.h>
#include <stdint.h>

#include "config/envsubst.h"
#include "core/err.h"
#include "upstream/mock.h"

typedef enum rl_domain {
    RL_DOMAIN_GENERIC = 0,
    RL_DOMAIN_AI,
    RL_DOMAIN_PAYMENTS,
    RL_DOMAIN_ECOMMERCE,
    RL_DOMAIN_MESSAGING,
    RL_DOMAIN_MONITORING,
} rl_domain_t;

/* "ai", "payments", …; "generic" for anything unknown. */
const char *rl_domain_name(rl_domain_t d);

/* The domain named `s`; returns 0, or -1 (out untouched) when unknown. */
int rl_domain_parse(const char *s, rl_domain_t *out);

/* The outbound credential shape, in the terms of the provider `auth:` key.
 * Only environment variable NAMES are here, never values. */
typedef enum rl_preset_auth_type {
    RL_PRESET_AUTH_NONE = 0,
    RL_PRESET_AUTH_BEARER,  /* Authorization: Bearer $token_env */
    RL_PRESET_AUTH_API_KEY, /* header: $token_env */
    RL_PRESET_AUTH_BASIC,   /* Authorization: Basic base64($username_env:$password_env) */
} rl_preset_auth_type_t;

typedef struct rl_preset_auth {
    rl_preset_auth_type_t type;
    const char *type_name;    /* "none", "bearer", "api_key", "basic": the auth.type value */
    const char *header;       /* api_key: the header name; NULL otherwise */
    const char *token_env;    /* bearer token or api_key value; NULL for basic/none */
    const char *username_env; /* basic: user name; NULL otherwise */
    const char *password_env; /* basic: password; NULL = empty password */
} rl_preset_auth_t;

/* A header sent on every request to the provider (anthropic-version). */
typedef struct rl_preset_header {
    const char *name;
    const char *value;
} rl_preset_header_t;

typedef struct rl_preset {
    const char *name; /* "openai" */
    rl_domain_t domain;
    /* The provider's base URL, to which request paths are appended. It may
     * contain ${VAR:-default} (config/envsubst.h rules) for per-shop APIs;
     * expand it with rl_preset_base_url. NULL (generic only): base_url must
     * be given in the config. */
    const char *base_url;
    const char *const *required_env; /* NULL-terminated; needed to run for real */
    rl_preset_auth_t auth;
    const rl_preset_header_t *headers; /* fixed headers; ends with {NULL, NULL} */
    uint64_t connect_timeout_ms, total_timeout_ms;
    const char *health_method; /* probe, e.g. "GET"; NULL = no probe */
    const char *health_path;   /* e.g. "/v1/models", relative to base_url */
    uint64_t health_interval_ms;
    const char *breaks; /* "what breaks without it", one line for `relais providers` */
    const char *docs;   /* the vendor's API reference */
} rl_preset_t;

/* The preset called `name`, or NULL. */
const rl_preset_t *rl_preset_find(const char *name);

/* The catalog, for listing: rl_preset_at(0 … rl_preset_count()-1). */
size_t rl_preset_count(void);
const rl_preset_t *rl_preset_at(size_t i);

/* The built-in fixtures of `p` as JSON text (docs/mocks.md format). */
const char *rl_preset_fixtures(const rl_preset_t *p);

/* Parses the built-in fixtures of `p` into `set`, as RL_MOCK_BUILTIN with
 * origin "preset:NAME". Returns 0 or a negative RL_E… (a bug: the unit tests
 * load every preset). */
int rl_preset_load_fixtures(const rl_preset_t *p, rl_mock_set_t *set, rl_err_t *err);

/* Expands p->base_url with `lookup` (rl_envsubst_getenv for the process
 * environment) into *out (malloc'd, caller frees). Returns 0; -1 with a
 * message in `err` when p has no base_url or the expansion fails. The
 * result is not validated: the config loader checks it like any URL. */
int rl_preset_base_url(const rl_preset_t *p, rl_envsubst_lookup_cb lookup, void *ud, char **out,
                       rl_err_t *err);

#endif
