/* presets.c — the preset catalog, see presets.h. Plain static data: adding a
 * preset is one row here plus src/providers/fixtures/NAME.json (then run
 * gen_fixtures.py); tests/unit/test_presets.c checks every row is complete.
 *
 * Per-shop APIs (Shopify, WooCommerce, PrestaShop) have no single vendor
 * URL: their base_url reads the shop from an env var, with a placeholder
 * default so that mock mode and `relais check` work before it is set. The
 * shop variable is then also a required env var, so `auto` stays in mock
 * mode until it is given. */
#include "providers/presets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/presets_int.h"

#define SEC 1000ull

static const char *const domain_names[] = {"generic",   "ai",        "payments",
                                           "ecommerce", "messaging", "monitoring"};

const char *rl_domain_name(rl_domain_t d)
{
    return (unsigned)d < sizeof(domain_names) / sizeof(domain_names[0]) ? domain_names[d] : "generic";
}

int rl_domain_parse(const char *s, rl_domain_t *out)
{
    for (size_t i = 0; s && i < sizeof(domain_names) / sizeof(domain_names[0]); i++) {
        if (strcmp(s, domain_names[i]) != 0) continue;
        *out = (rl_domain_t)i;
        return 0;
    }
    return -1;
}

#define BEARER(env)                                                                                          \
    {                                                                                                        \
        RL_PRESET_AUTH_BEARER, "bearer", NULL, env, NULL, NULL                                               \
    }
#define API_KEY(hdr, env)                                                                                    \
    {                                                                                                        \
        RL_PRESET_AUTH_API_KEY, "api_key", hdr, env, NULL, NULL                                              \
    }
#define BASIC(user, pass)                                                                                    \
    {                                                                                                        \
        RL_PRESET_AUTH_BASIC, "basic", NULL, NULL, user, pass                                                \
    }
#define NO_AUTH                                                                                              \
    {                                                                                                        \
        RL_PRESET_AUTH_NONE, "none", NULL, NULL, NULL, NULL                                                  \
    }

static const rl_preset_header_t no_headers[] = {{NULL, NULL}};
static const rl_preset_header_t anthropic_headers[] = {{"anthropic-version", "2023-06-01"}, {NULL, NULL}};
static const rl_preset_header_t prestashop_headers[] = {{"Output-Format", "JSON"}, {NULL, NULL}};

static const char *const env_openai[] = {"OPENAI_API_KEY", NULL};
static const char *const env_anthropic[] = {"ANTHROPIC_API_KEY", NULL};
static const char *const env_mistral[] = {"MISTRAL_API_KEY", NULL};
static const char *const env_stripe[] = {"STRIPE_SECRET_KEY", NULL};
static const char *const env_shopify[] = {"SHOPIFY_SHOP", "SHOPIFY_ACCESS_TOKEN", NULL};
static const char *const env_woocommerce[] = {"WC_STORE_URL", "WC_CONSUMER_KEY", "WC_CONSUMER_SECRET", NULL};
static const char *const env_prestashop[] = {"PRESTASHOP_URL", "PRESTASHOP_API_KEY", NULL};
static const char *const env_slack[] = {"SLACK_BOT_TOKEN", NULL};
static const char *const env_sentry[] = {"SENTRY_AUTH_TOKEN", NULL};
static const char *const env_none[] = {NULL};

static const rl_preset_t presets[] = {
    {"openai", RL_DOMAIN_AI, "https://api.openai.com", env_openai, BEARER("OPENAI_API_KEY"), no_headers,
     5 * SEC, 120 * SEC, "GET", "/v1/models", 30 * SEC, "AI chat completions and embeddings (OpenAI)",
     "https://platform.openai.com/docs/api-reference"},
    {"anthropic", RL_DOMAIN_AI, "https://api.anthropic.com", env_anthropic,
     API_KEY("x-api-key", "ANTHROPIC_API_KEY"), anthropic_headers, 5 * SEC, 120 * SEC, "GET", "/v1/models",
     30 * SEC, "AI messages (Anthropic Claude)", "https://docs.anthropic.com/en/api"},
    {"mistral", RL_DOMAIN_AI, "https://api.mistral.ai", env_mistral, BEARER("MISTRAL_API_KEY"), no_headers,
     5 * SEC, 120 * SEC, "GET", "/v1/models", 30 * SEC, "AI chat completions (Mistral)",
     "https://docs.mistral.ai/api/"},
    {"stripe", RL_DOMAIN_PAYMENTS, "https://api.stripe.com", env_stripe, BEARER("STRIPE_SECRET_KEY"),
     no_headers, 5 * SEC, 80 * SEC, "GET", "/v1/balance", 60 * SEC,
     "payments, refunds and customers (Stripe)", "https://docs.stripe.com/api"},
    {"shopify", RL_DOMAIN_ECOMMERCE, "https://${SHOPIFY_SHOP:-example}.myshopify.com/admin/api/2024-10",
     env_shopify, API_KEY("X-Shopify-Access-Token", "SHOPIFY_ACCESS_TOKEN"), no_headers, 5 * SEC, 30 * SEC,
     "GET", "/shop.json", 60 * SEC, "shop catalog and orders (Shopify Admin API)",
     "https://shopify.dev/docs/api/admin-rest"},
    {"woocommerce", RL_DOMAIN_ECOMMERCE, "${WC_STORE_URL:-https://shop.example.com}", env_woocommerce,
     BASIC("WC_CONSUMER_KEY", "WC_CONSUMER_SECRET"), no_headers, 5 * SEC, 30 * SEC, "GET",
     "/wp-json/wc/v3/system_status", 60 * SEC, "shop catalog and orders (WooCommerce REST API)",
     "https://woocommerce.github.io/woocommerce-rest-api-docs/"},
    {"prestashop", RL_DOMAIN_ECOMMERCE, "${PRESTASHOP_URL:-https://shop.example.com}", env_prestashop,
     BASIC("PRESTASHOP_API_KEY", NULL), prestashop_headers, 5 * SEC, 30 * SEC, "GET", "/api/", 60 * SEC,
     "shop catalog (PrestaShop Webservice)", "https://devdocs.prestashop-project.org/8/webservice/"},
    {"slack", RL_DOMAIN_MESSAGING, "https://slack.com", env_slack, BEARER("SLACK_BOT_TOKEN"), no_headers,
     5 * SEC, 30 * SEC, "GET", "/api/auth.test", 60 * SEC, "team notifications (Slack chat.postMessage)",
     "https://api.slack.com/web"},
    {"sentry", RL_DOMAIN_MONITORING, "https://sentry.io", env_sentry, BEARER("SENTRY_AUTH_TOKEN"), no_headers,
     5 * SEC, 30 * SEC, "GET", "/api/0/", 60 * SEC, "error monitoring data (Sentry API)",
     "https://docs.sentry.io/api/"},
    {"generic", RL_DOMAIN_GENERIC, NULL, env_none, NO_AUTH, no_headers, 5 * SEC, 30 * SEC, NULL, NULL,
     30 * SEC, "whatever the app calls through it", NULL},
};

#define N_PRESETS (sizeof(presets) / sizeof(presets[0]))

size_t rl_preset_count(void)
{
    return N_PRESETS;
}

const rl_preset_t *rl_preset_at(size_t i)
{
    return i < N_PRESETS ? &presets[i] : NULL;
}

const rl_preset_t *rl_preset_find(const char *name)
{
    for (size_t i = 0; name && i < N_PRESETS; i++)
        if (strcmp(presets[i].name, name) == 0) return &presets[i];
    return NULL;
}

const char *rl_preset_fixtures(const rl_preset_t *p)
{
    return p ? rl_preset_fixtures_text(p->name) : NULL;
}

int rl_preset_load_fixtures(const rl_preset_t *p, rl_mock_set_t *set, rl_err_t *err)
{
    char origin[48];
    const char *text = rl_preset_fixtures(p);
    if (text == NULL) return rl_err_set(err, RL_EINTERNAL, "preset has no built-in fixtures");
    snprintf(origin, sizeof(origin), "preset:%.32s", p->name);
    return rl_mock_parse(set, text, strlen(text), origin, RL_MOCK_BUILTIN, err);
}

int rl_preset_base_url(const rl_preset_t *p, rl_envsubst_lookup_cb lookup, void *ud, char **out,
                       rl_err_t *err)
{
    rl_envsubst_result_t r;
    *out = NULL;
    if (p == NULL || p->base_url == NULL) {
        rl_err_set(err, RL_EBAD_REQUEST, "preset %.32s has no base_url", p ? p->name : "?");
        return -1;
    }
    if (rl_envsubst(p->base_url, 4096, lookup, ud, &r) < 0) {
        rl_err_set(err, RL_EBAD_REQUEST, "preset %.32s base_url: %s", p->name, r.msg);
        return -1;
    }
    if (r.value == NULL) { /* the whole value was an unset ${VAR}: not for our presets */
        rl_err_set(err, RL_EBAD_REQUEST, "preset %.32s base_url: environment variable %.64s is not set",
                   p->name, r.unset_var);
        rl_envsubst_result_free(&r);
        return -1;
    }
    *out = r.value;
    free(r.unset_var);
    return 0;
}
