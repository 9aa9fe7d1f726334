/* config_get.c — typed getters over the YAML tree for the config loader:
 * each one checks the node's kind and value, reports problems with the
 * node's line, and says whether the key was set. Also the checks for listen
 * addresses and URLs, and "did you mean" for unknown keys. */
#include "config/config_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/units.h"

void *rl_cfg_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (p == NULL) abort();
    return p;
}

char *rl_cfg_xstrdup(const char *s)
{
    char *p = strdup(s);
    if (p == NULL) abort();
    return p;
}

void rl_cfg_error(rl_cfg_ctx_t *c, int line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    if (c->errors > RL_CFG_MAX_ERRORS) return;
    if (c->errors++ == RL_CFG_MAX_ERRORS) {
        rl_diag_add(c->diag, c->file, 0, "too many errors, stopping here");
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    rl_diag_add(c->diag, c->file, line, "%s", msg);
}

bool rl_cfg_absent(const rl_ynode_t *n)
{
    return n == NULL || rl_ytree_is_null(n) || (n->kind == RL_YNODE_SCALAR && n->unset_var != NULL);
}

void rl_cfg_missing(rl_cfg_ctx_t *c, int line, const rl_ynode_t *n, const char *path)
{
    if (n && n->kind == RL_YNODE_SCALAR && n->unset_var)
        rl_cfg_error(c, n->line, "%s is required (environment variable %s is not set)", path, n->unset_var);
    else
        rl_cfg_error(c, line, "%s is required", path);
}

/* Edit distance, for suggestions; only called on short strings. */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j], best = prev + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best) best = row[j] + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            prev = cur;
        }
    }
    return row[lb];
}

static const char *suggest(const char *key, const char *const *known)
{
    const char *best = NULL;
    size_t best_d = 3;
    if (strlen(key) > 64) return NULL;
    for (size_t i = 0; known[i]; i++) {
        size_t d = strlen(known[i]) <= 64 ? distance(key, known[i]) : 99;
        if (d < best_d && d < strlen(known[i])) best = known[i], best_d = d;
    }
    return best;
}

static bool is_known(const char *key, const char *const *known)
{
    for (size_t i = 0; known[i]; i++)
        if (strcmp(key, known[i]) == 0) return true;
    return false;
}

void rl_cfg_check_keys(rl_cfg_ctx_t *c, const rl_ynode_t *map, const char *path, const char *const *known)
{
    const char *dot = path[0] ? "." : "";
    for (size_t i = 0; map && map->kind == RL_YNODE_MAP && i < map->n; i++) {
        const rl_ypair_t *p = &map->pairs[i];
        if (is_known(p->key, known)) continue;
        const char *s = suggest(p->key, known);
        if (s)
            rl_cfg_error(c, p->line, "unknown key '%s%s%.64s' (did you mean '%s%s%s'?)", path, dot, p->key,
                         path, dot, s);
        else
            rl_cfg_error(c, p->line, "unknown key '%s%s%.64s'", path, dot, p->key);
    }
}

static int expect(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *path, rl_ynode_kind_t kind)
{
    static const char *const wanted[] = {"a string", "a mapping", "a list"};
    if (n && n->bad) return -1;
    if (rl_cfg_absent(n)) return 0;
    if (n->kind == kind) return 1;
    rl_cfg_error(c, n->line, "%s: expected %s, got %s", path, wanted[kind], rl_ytree_kind_name(n));
    return -1;
}

int rl_cfg_map(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *path)
{
    return expect(c, n, path, RL_YNODE_MAP);
}

int rl_cfg_seq(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *path)
{
    return expect(c, n, path, RL_YNODE_SEQ);
}

int rl_cfg_str(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *path, char **out)
{
    int rc = expect(c, n, path, RL_YNODE_SCALAR);
    if (rc == 1) {
        free(*out);
        *out = rl_cfg_xstrdup(n->str);
    }
    return rc;
}

int rl_cfg_item_str(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *path, char **out)
{
    if (n && n->bad) return -1;
    if (n && n->kind == RL_YNODE_SCALAR && n->unset_var) {
        rl_cfg_error(c, n->line, "%s: environment variable %s is not set", path, n->unset_var);
        return -1;
    }
    if (rl_cfg_absent(n)) {
        rl_cfg_error(c, n ? n->line : 0, "%s: empty item", path);
        return -1;
    }
    return rl_cfg_str(c, n, path, out);
}

/* Optional '-', then digits; no overflow of long long. */
static int parse_ll(const char *s, long long *out)
{
    bool neg = *s == '-';
    unsigned long long v = 0;
    if (neg) s++;
    if (*s == '\0') return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (unsigned long long)(1ll << 62)) return -1;
        v = v * 10 + (unsigned)(*s - '0');
    }
    *out = neg ? -(long long)v : (long long)v;
    return 0;
}

int rl_cfg_int(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *path, int lo, int hi, int *out)
{
    long long v;
    int rc = expect(c, n, path, RL_YNODE_SCALAR);
    if (rc != 1) return rc;
    if (parse_ll(n->str, &v) < 0) {
        rl_cfg_error(c, n->line, "%s: expected an integer, got '%.64s'", path, n->str);
        return -1;
    }
    if (v < lo || v > hi) {
        rl_cfg_error(c, n->line, "%s: must be between %d and %d, got %lld", path, lo, hi, v);
        return -1;
    }
    *out = (int)v;
    return 1;
}

int rl_cfg_bool(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *path, bool *out)
{
    int rc = expect(c, n, path, RL_YNODE_SCALAR);
    if (rc != 1) return rc;
    if (strcmp(n->str, "true") != 0 && strcmp(n->str, "false") != 0) {
        rl_cfg_error(c, n->line, "%s: expected true or false, got '%.64s'", path, n->str);
        return -1;
    }
    *out = n->str[0] == 't';
    return 1;
}

/* Writes `v` with the largest unit that divides it exactly. */
static void fmt_scaled(char *buf, size_t cap, uint64_t v, const char *const *names, const uint64_t *mults,
                       size_t count)
{
    size_t i = count - 1;
    while (i > 0 && (mults[i] > v || v % mults[i] != 0))
        i--;
    snprintf(buf, cap, "%llu%s", (unsigned long long)(v / mults[i]), names[i]);
}

static void fmt_duration(char *buf, size_t cap, uint64_t ms)
{
    static const char *const names[] = {"ms", "s", "m", "h", "d"};
    static const uint64_t mults[] = {1, 1000, 60000, 3600000, 86400000};
    fmt_scaled(buf, cap, ms, names, mults, 5);
}

static void fmt_size(char *buf, size_t cap, uint64_t bytes)
{
    static const char *const names[] = {" bytes", "KiB", "MiB", "GiB"};
    static const uint64_t mults[] = {1, 1 << 10, 1 << 20, 1 << 30};
    if (bytes == 1)
        snprintf(buf, cap, "1 byte");
    else
        fmt_scaled(buf, cap, bytes, names, mults, 4);
}

typedef int (*parse_fn)(const char *, uint64_t *);
typedef void (*fmt_fn)(char *, size_t, uint64_t);

static int get_scaled(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *path, const char *what,
                      parse_fn parse, fmt_fn fmt, uint64_t lo, uint64_t hi, uint64_t *out)
{
    uint64_t v;
    char a[32], b[32];
    int rc = expect(c, n, path, RL_YNODE_SCALAR);
    if (rc != 1) return rc;
    if (parse(n->str, &v) < 0) {
        rl_cfg_error(c, n->line, "%s: expected %s, got '%.64s'", path, what, n->str);
        return -1;
    }
    if (v < lo || v > hi) {
        fmt(a, sizeof(a), lo);
        fmt(b, sizeof(b), hi);
        rl_cfg_error(c, n->line, "%s: must be between %s and %s, got '%.64s'", path, a, b, n->str);
        return -1;
    }
    *out = v;
    return 1;
}

int rl_cfg_duration(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *path, uint64_t lo, uint64_t hi,
                    uint64_t *out)
{
    return get_scaled(c, n, path, "a duration like 250ms, 30s, 5m, 1h or 1d", rl_parse_duration_ms,
                      fmt_duration, lo, hi, out);
}

int rl_cfg_size(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *path, uint64_t lo, uint64_t hi,
                uint64_t *out)
{
    return get_scaled(c, n, path, "a size like 512, 16KiB, 10MiB or 1GB", rl_parse_size, fmt_size, lo, hi,
                      out);
}

int rl_cfg_rate(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *path, rl_rate_t *out)
{
    int rc = expect(c, n, path, RL_YNODE_SCALAR);
    if (rc != 1) return rc;
    rl_rate_t v;
    if (rl_parse_rate(n->str, &v) < 0 || v.count == 0) {
        rl_cfg_error(
            c, n->line,
            "%s: expected a rate like 100/s, 100/min, 1000/hour, 5000/day or 10000/month, got '%.64s'", path,
            n->str);
        return -1;
    }
    *out = v;
    return 1;
}

int rl_cfg_enum(rl_cfg_ctx_t *c, const rl_ynode_t *n, const char *path, const char *const *names, int *out)
{
    char list[128] = "";
    int rc = expect(c, n, path, RL_YNODE_SCALAR);
    if (rc != 1) return rc;
    for (int i = 0; names[i]; i++) {
        if (strcmp(n->str, names[i]) == 0) {
            *out = i;
            return 1;
        }
        size_t len = strlen(list);
        snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "", names[i]);
    }
    rl_cfg_error(c, n->line, "%s: expected one of %s, got '%.64s'", path, list, n->str);
    return -1;
}

/* host, then ":port". `s`..`end` is the whole "host:port". */
static const char *check_hostport(const char *s, const char *end, bool port_required)
{
    const char *h = s, *colon;
    if (*h == '[') {
        const char *close = memchr(h, ']', (size_t)(end - h));
        if (close == NULL || close == h + 1) return "IPv6 address must be written [addr]";
        for (const char *p = h + 1; p < close; p++)
            if (!strchr("0123456789abcdefABCDEF:.", *p)) return "invalid character in IPv6 address";
        colon = close + 1 < end ? close + 1 : NULL;
        if (colon && *colon != ':') return "expected ':' after ']'";
    } else {
        colon = memchr(h, ':', (size_t)(end - h));
        const char *hend = colon ? colon : end;
        if (hend == h) return "host is missing";
        for (const char *p = h; p < hend; p++)
            if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_", *p))
                return "invalid character in host";
    }
    if (colon == NULL) return port_required ? "port is missing" : NULL;
    unsigned long port = 0;
    const char *p = colon + 1;
    if (p == end) return "port is missing";
    for (; p < end; p++) {
        if (*p < '0' || *p > '9') return "port must be a number";
        port = port * 10 + (unsigned long)(*p - '0');
        if (port > 65535) break;
    }
    return port >= 1 && port <= 65535 ? NULL : "port must be between 1 and 65535";
}

const char *rl_cfg_listen_check(const char *s)
{
    return check_hostport(s, s + strlen(s), true);
}

const char *rl_cfg_url_check(const char *s, size_t *origin_len)
{
    size_t scheme = strncmp(s, "http://", 7) == 0 ? 7 : strncmp(s, "https://", 8) == 0 ? 8 : 0;
    if (scheme == 0) return "must start with http:// or https://";
    for (const char *p = s; *p; p++) {
        if ((unsigned char)*p <= ' ' || *p == 0x7f) return "must not contain spaces or control characters";
        if (*p == '?' || *p == '#') return "must not contain a query or fragment";
    }
    const char *auth = s + scheme, *end = auth + strcspn(auth, "/");
    if (memchr(auth, '@', (size_t)(end - auth))) return "must not contain credentials (user@)";
    if (end == auth) return "host is missing";
    const char *why = check_hostport(auth, end, false);
    if (why) return why;
    *origin_len = (size_t)(end - s);
    return NULL;
}
