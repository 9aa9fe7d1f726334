/* config_policies.c — the response-policy keys of relais.yaml: per route
 * `cache`, `fields`, `deprecation` and `rename`, and the top-level `cache`
 * (its memory bound). The route loader (config_routes.c) calls in for each
 * route; the header values of `deprecation` are formatted once here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config/config_int.h"
#include "policy/fields.h"

#define SEC 1000ull
#define DAY (86400ull * SEC)
#define MIB (1024ull * 1024ull)
#define GIB (1024ull * MIB)
#define MAX_VARY 16
#define MAX_FIELDS 256
#define MAX_RENAMES 256
#define MAX_LINK 2048

static const char *const cache_keys[] = {"ttl", "vary", "key_by_consumer", NULL};
static const char *const deprecation_keys[] = {"date", "sunset", "link", "enforce", NULL};
static const char *const top_cache_keys[] = {"max_memory", NULL};

/* ---- dates: 2026-12-31 or 2026-12-31T23:59:59Z / ±hh:mm ---- */

static int num(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int days_in(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : d[m - 1];
}

/* Unix seconds of an RFC 3339 date or date-time; -1 (and no value) when
 * malformed. Years 1970–9999. */
static int parse_date(const char *s, int64_t *out)
{
    int y, mo, d, h = 0, mi = 0, se = 0, oh = 0, om = 0, sign = 0;
    size_t len = strlen(s);
    if (len < 10 || num(s, 4, &y) || s[4] != '-' || num(s + 5, 2, &mo) || s[7] != '-' || num(s + 8, 2, &d))
        return -1;
    if (len > 10) {
        const char *t = s + 10;
        if ((*t != 'T' && *t != 't') || len < 20 || num(t + 1, 2, &h) || t[3] != ':' || num(t + 4, 2, &mi) ||
            t[6] != ':' || num(t + 7, 2, &se))
            return -1;
        t += 9;
        if ((*t == 'Z' || *t == 'z') && t[1] == '\0') {
            sign = 0;
        } else if ((*t == '+' || *t == '-') && strlen(t) == 6 && !num(t + 1, 2, &oh) && t[3] == ':' &&
                   !num(t + 4, 2, &om) && oh < 24 && om < 60) {
            sign = *t == '+' ? 1 : -1;
        } else {
            return -1;
        }
    }
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in(y, mo) || h > 23 || mi > 59 || se > 59)
        return -1;
    struct tm tm = {
        .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = se};
    *out = (int64_t)timegm(&tm) - sign * (oh * 3600 + om * 60);
    return 0;
}

/* IMF-fixdate (RFC 9110 §5.6.7), locale-free. */
static void http_date(int64_t t, char out[32])
{
    static const char *const wd[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    snprintf(out, 32, "%s, %02d %s %04d %02d:%02d:%02d GMT", wd[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon],
             tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int load_date(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *key, int64_t *out)
{
    char *s = NULL;
    int rc = rl_cfg_str(c, n, key, &s);
    if (rc != 1) return rc;
    if (parse_date(s, out) != 0) {
        rl_cfg_error(
            c, n->line,
            "%s: expected a date (2026-12-31) or a UTC date-time (2026-12-31T23:59:59Z), got '%.64s'", key,
            s);
        rc = -1;
    }
    free(s);
    return rc;
}

/* ---- cache ---- */

static bool token_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

static void load_vary(rl_cfg_ctx_t *c, rl_route_cfg_t *r, const rl_ynode_t *n, const char *path)
{
    char key[96];
    snprintf(key, sizeof(key), "%s.cache.vary", path);
    if (rl_cfg_seq(c, n, key) != 1) return;
    if (n->n > MAX_VARY) {
        rl_cfg_error(c, n->line, "%s: at most %d headers", key, MAX_VARY);
        return;
    }
    r->cache_vary = rl_cfg_xcalloc(n->n, sizeof(char *));
    for (size_t i = 0; i < n->n; i++) {
        char *h = NULL;
        if (rl_cfg_item_str(c, n->items[i], key, &h) != 1) continue;
        size_t len = strlen(h);
        bool ok = len > 0 && len <= 64;
        for (size_t j = 0; j < len; j++) {
            h[j] = (char)(h[j] >= 'A' && h[j] <= 'Z' ? h[j] + 32 : h[j]);
            ok &= token_char(h[j]);
        }
        if (!ok) {
            rl_cfg_error(c, n->items[i]->line, "%s: '%.64s' is not a header name", key, h);
            free(h);
            continue;
        }
        r->cache_vary[r->n_cache_vary++] = h;
    }
}

static void load_route_cache(rl_cfg_ctx_t *c, rl_route_cfg_t *r, const rl_ynode_t *n, const char *path)
{
    char key[96];
    snprintf(key, sizeof(key), "%s.cache", path);
    if (rl_cfg_map(c, n, key) != 1) return;
    rl_cfg_check_keys(c, n, key, cache_keys);
    r->cache = true;
    r->cache_key_by_consumer = true;
    c->cfg->cache_any = true;
    const rl_ynode_t *ttl = rl_ytree_get(n, "ttl");
    snprintf(key, sizeof(key), "%s.cache.ttl", path);
    int rc = rl_cfg_duration(c, ttl, key, 1, 30 * DAY, &r->cache_ttl_ms);
    if (rc == 0) rl_cfg_missing(c, n->line, ttl, key);
    load_vary(c, r, rl_ytree_get(n, "vary"), path);
    snprintf(key, sizeof(key), "%s.cache.key_by_consumer", path);
    rl_cfg_bool(c, rl_ytree_get(n, "key_by_consumer"), key, &r->cache_key_by_consumer);
}

/* ---- fields ---- */

static void load_fields(rl_cfg_ctx_t *c, rl_route_cfg_t *r, const rl_ynode_t *n, const char *path)
{
    char key[96];
    snprintf(key, sizeof(key), "%s.fields", path);
    if (rl_cfg_seq(c, n, key) != 1) return;
    if (n->n == 0 || n->n > MAX_FIELDS) {
        rl_cfg_error(c, n->line, "%s: list 1 to %d field names (leave the key out to allow any field)", key,
                     MAX_FIELDS);
        return;
    }
    r->fields = rl_cfg_xcalloc(n->n, sizeof(char *));
    for (size_t i = 0; i < n->n; i++) {
        char *f = NULL;
        if (rl_cfg_item_str(c, n->items[i], key, &f) != 1) continue;
        if (!rl_fields_path_valid(f, strlen(f))) {
            rl_cfg_error(c, n->items[i]->line,
                         "%s: invalid field '%.64s' (names of letters, digits and '_', nested with '.')", key,
                         f);
            free(f);
            continue;
        }
        r->fields[r->n_fields++] = f;
    }
}

/* ---- deprecation ---- */

static const char *link_check(const char *s)
{
    size_t len = strlen(s);
    if (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0) return "must start with http(s)://";
    if (len > MAX_LINK) return "too long";
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f || s[i] == '<' || s[i] == '>' || s[i] == '"')
            return "holds a space, a control character, '<', '>' or '\"'";
    return NULL;
}

static void format_deprecation(rl_route_cfg_t *r)
{
    char date[32];
    if (r->deprecation_date != INT64_MIN &&
        asprintf(&r->hdr_deprecation, "@%lld", (long long)r->deprecation_date) < 0)
        abort();
    if (r->sunset != INT64_MIN) {
        http_date(r->sunset, date);
        r->hdr_sunset = rl_cfg_xstrdup(date);
    }
    if (r->deprecation_link && asprintf(&r->hdr_link, "<%s>; rel=\"deprecation\"", r->deprecation_link) < 0)
        abort();
}

static void load_deprecation(rl_cfg_ctx_t *c, rl_route_cfg_t *r, const rl_ynode_t *n, const char *path)
{
    char key[96];
    snprintf(key, sizeof(key), "%s.deprecation", path);
    if (rl_cfg_map(c, n, key) != 1) return;
    rl_cfg_check_keys(c, n, key, deprecation_keys);
    r->deprecated = true;
    snprintf(key, sizeof(key), "%s.deprecation.date", path);
    load_date(c, rl_ytree_get(n, "date"), key, &r->deprecation_date);
    snprintf(key, sizeof(key), "%s.deprecation.sunset", path);
    const rl_ynode_t *sunset = rl_ytree_get(n, "sunset");
    load_date(c, sunset, key, &r->sunset);
    if (r->deprecation_date != INT64_MIN && r->sunset != INT64_MIN && r->sunset < r->deprecation_date)
        rl_cfg_error(c, sunset->line, "%s: the sunset comes before deprecation.date", key);
    const rl_ynode_t *link = rl_ytree_get(n, "link");
    snprintf(key, sizeof(key), "%s.deprecation.link", path);
    if (rl_cfg_str(c, link, key, &r->deprecation_link) == 1) {
        const char *why = link_check(r->deprecation_link);
        if (why) {
            rl_cfg_error(c, link->line, "%s: invalid URL '%.64s': %s", key, r->deprecation_link, why);
            free(r->deprecation_link);
            r->deprecation_link = NULL;
        }
    }
    const rl_ynode_t *enforce = rl_ytree_get(n, "enforce");
    snprintf(key, sizeof(key), "%s.deprecation.enforce", path);
    if (rl_cfg_bool(c, enforce, key, &r->deprecation_enforce) == 1 && r->deprecation_enforce &&
        r->sunset == INT64_MIN)
        rl_cfg_error(c, enforce->line, "%s: needs deprecation.sunset (the date after which to answer 410)",
                     key);
    if (r->deprecation_date == INT64_MIN && r->sunset == INT64_MIN && r->deprecation_link == NULL)
        rl_cfg_error(c, n->line, "%s: set at least one of date, sunset, link", path);
    format_deprecation(r);
}

/* ---- rename ---- */

static bool name_ok(const char *s)
{
    return strchr(s, '.') == NULL && rl_fields_path_valid(s, strlen(s));
}

static void load_rename(rl_cfg_ctx_t *c, rl_route_cfg_t *r, const rl_ynode_t *n, const char *path)
{
    char key[96];
    snprintf(key, sizeof(key), "%s.rename", path);
    if (rl_cfg_map(c, n, key) != 1) return;
    if (n->n > MAX_RENAMES) {
        rl_cfg_error(c, n->line, "%s: at most %d renames", key, MAX_RENAMES);
        return;
    }
    r->rename = rl_cfg_xcalloc(n->n, sizeof(rl_rename_cfg_t));
    for (size_t i = 0; i < n->n; i++) {
        const rl_ypair_t *p = &n->pairs[i];
        char sub[192], *to = NULL;
        snprintf(sub, sizeof(sub), "%s.%.64s", key, p->key);
        if (!name_ok(p->key))
            rl_cfg_error(c, p->line, "%s: '%.64s' is not a member name (letters, digits, '_')", key, p->key);
        int rc = rl_cfg_str(c, p->value, sub, &to);
        if (rc == 0) rl_cfg_missing(c, p->line, p->value, sub);
        if (rc == 1 && !name_ok(to)) {
            rl_cfg_error(c, p->value->line, "%s: '%.64s' is not a member name (letters, digits, '_')", sub,
                         to);
            rc = -1;
        }
        for (size_t j = 0; rc == 1 && j < r->n_rename; j++)
            if (strcmp(r->rename[j].to, to) == 0) {
                rl_cfg_error(c, p->value->line, "%s: '%.64s' is already the new name of '%.64s'", sub, to,
                             r->rename[j].from);
                rc = -1;
            }
        if (rc != 1 || !name_ok(p->key)) {
            free(to);
            continue;
        }
        r->rename[r->n_rename++] = (rl_rename_cfg_t){rl_cfg_xstrdup(p->key), to};
    }
}

void rl_cfg_load_route_policies(rl_cfg_ctx_t *c, rl_route_cfg_t *r, const rl_ynode_t *route, const char *path)
{
    r->deprecation_date = INT64_MIN;
    r->sunset = INT64_MIN;
    load_route_cache(c, r, rl_ytree_get(route, "cache"), path);
    load_fields(c, r, rl_ytree_get(route, "fields"), path);
    load_deprecation(c, r, rl_ytree_get(route, "deprecation"), path);
    load_rename(c, r, rl_ytree_get(route, "rename"), path);
}

void rl_cfg_load_cache(rl_cfg_ctx_t *c, const rl_ynode_t *n)
{
    if (rl_cfg_map(c, n, "cache") != 1) return;
    rl_cfg_check_keys(c, n, "cache", top_cache_keys);
    rl_cfg_size(c, rl_ytree_get(n, "max_memory"), "cache.max_memory", 0, 64 * GIB, &c->cfg->cache_max_memory);
}

void rl_cfg_free_route_policies(rl_route_cfg_t *r)
{
    for (size_t i = 0; i < r->n_cache_vary; i++)
        free(r->cache_vary[i]);
    free(r->cache_vary);
    for (size_t i = 0; i < r->n_fields; i++)
        free(r->fields[i]);
    free(r->fields);
    free(r->deprecation_link);
    free(r->hdr_deprecation);
    free(r->hdr_sunset);
    free(r->hdr_link);
    for (size_t i = 0; i < r->n_rename; i++) {
        free(r->rename[i].from);
        free(r->rename[i].to);
    }
    free(r->rename);
}
