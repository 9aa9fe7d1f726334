/* config_resilience.c — a provider's `retry`, `breaker`, `rate_limit` and
 * `quota` keys (DESIGN §4), with their defaults. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_int.h"

#define SEC 1000ull
#define DAY (86400ull * SEC)

static const char *const retry_keys[] = {"attempts", "base", "max", "on", NULL};
static const char *const breaker_keys[] = {"threshold", "window", "cooldown", NULL};

void rl_cfg_resilience_defaults(rl_provider_cfg_t *p)
{
    p->retry = (rl_retry_cfg_t){.attempts = 2,
                                .base_ms = 100,
                                .max_ms = 2 * SEC,
                                .on = RL_RETRY_ON_CONNECT | RL_RETRY_ON_TIMEOUT,
                                .statuses = {429, 502, 503, 504},
                                .n_statuses = 4};
    p->breaker = (rl_breaker_cfg_t){.threshold = 5, .window_ms = 30 * SEC, .cooldown_ms = 30 * SEC};
}

static void load_retry_on(rl_cfg_ctx_t *c, rl_retry_cfg_t *r, const rl_ynode_t *n, const char *key)
{
    if (rl_cfg_seq(c, n, key) != 1) return;
    r->on = 0;
    r->n_statuses = 0;
    for (size_t i = 0; i < n->n; i++) {
        const rl_ynode_t *it = n->items[i];
        char *s = NULL;
        if (rl_cfg_item_str(c, it, key, &s) != 1) continue;
        char *end;
        long v = strtol(s, &end, 10);
        if (strcmp(s, "connect") == 0) {
            r->on |= RL_RETRY_ON_CONNECT;
        } else if (strcmp(s, "timeout") == 0) {
            r->on |= RL_RETRY_ON_TIMEOUT;
        } else if (*s && *end == '\0' && (v == 429 || (v >= 500 && v <= 599))) {
            if (r->n_statuses < RL_RETRY_MAX_STATUSES) r->statuses[r->n_statuses++] = (uint16_t)v;
        } else {
            rl_cfg_error(
                c, it->line,
                "%s: expected connect, timeout, 429 or a 5xx status, got '%.32s' (other 4xx are never "
                "retried)",
                key, s);
        }
        free(s);
    }
}

static void load_retry(rl_cfg_ctx_t *c, rl_provider_cfg_t *p, const rl_ynode_t *n, const char *path)
{
    char key[128];
    snprintf(key, sizeof(key), "%s.retry", path);
    if (rl_cfg_map(c, n, key) != 1) return;
    rl_cfg_check_keys(c, n, key, retry_keys);
    int attempts;
    snprintf(key, sizeof(key), "%s.retry.attempts", path);
    if (rl_cfg_int(c, rl_ytree_get(n, "attempts"), key, 1, 10, &attempts) == 1)
        p->retry.attempts = (unsigned)attempts;
    snprintf(key, sizeof(key), "%s.retry.base", path);
    rl_cfg_duration(c, rl_ytree_get(n, "base"), key, 1, DAY, &p->retry.base_ms);
    snprintf(key, sizeof(key), "%s.retry.max", path);
    rl_cfg_duration(c, rl_ytree_get(n, "max"), key, 1, DAY, &p->retry.max_ms);
    snprintf(key, sizeof(key), "%s.retry.on", path);
    load_retry_on(c, &p->retry, rl_ytree_get(n, "on"), key);
}

static void load_breaker(rl_cfg_ctx_t *c, rl_provider_cfg_t *p, const rl_ynode_t *n, const char *path)
{
    char key[128];
    snprintf(key, sizeof(key), "%s.breaker", path);
    if (n && n->kind == RL_YNODE_SCALAR && strcmp(n->str, "false") == 0) {
        p->breaker.threshold = 0;
        return;
    }
    if (rl_cfg_map(c, n, key) != 1) return;
    rl_cfg_check_keys(c, n, key, breaker_keys);
    int threshold;
    snprintf(key, sizeof(key), "%s.breaker.threshold", path);
    if (rl_cfg_int(c, rl_ytree_get(n, "threshold"), key, 1, 10000, &threshold) == 1)
        p->breaker.threshold = (unsigned)threshold;
    snprintf(key, sizeof(key), "%s.breaker.window", path);
    rl_cfg_duration(c, rl_ytree_get(n, "window"), key, 1, DAY, &p->breaker.window_ms);
    snprintf(key, sizeof(key), "%s.breaker.cooldown", path);
    rl_cfg_duration(c, rl_ytree_get(n, "cooldown"), key, 1, DAY, &p->breaker.cooldown_ms);
}

void rl_cfg_load_resilience(rl_cfg_ctx_t *c, const rl_ynode_t *map, const char *path, rl_provider_cfg_t *p)
{
    char key[128];
    load_retry(c, p, rl_ytree_get(map, "retry"), path);
    load_breaker(c, p, rl_ytree_get(map, "breaker"), path);
    snprintf(key, sizeof(key), "%s.rate_limit", path);
    rl_cfg_rate(c, rl_ytree_get(map, "rate_limit"), key, &p->rate_limit);
    p->rate_limit.calendar = 0; /* a rate limit is rolling (GCRA), whatever its unit */
    const rl_ynode_t *q = rl_ytree_get(map, "quota");
    snprintf(key, sizeof(key), "%s.quota", path);
    if (rl_cfg_rate(c, q, key, &p->quota) == 1 && !p->quota.calendar)
        rl_cfg_error(c, q->line, "%s: a quota is per day or per month (e.g. 10000/day), got '%.32s'", key,
                     q->str);
}
