/* envsubst.c — ${VAR} / ${VAR:-default} substitution, see envsubst.h.
 *
 * One left-to-right pass over the input into a bounded buffer. The only I/O
 * is the lookup callback; rl_envsubst_getenv is the thin adapter the config
 * loader uses. */
#include "config/envsubst.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NAME 128

typedef struct outbuf {
    char *p;
    size_t len, cap, max;
} outbuf_t;

static int out_put(outbuf_t *o, const char *s, size_t n)
{
    if (n > o->max - o->len) return -1;
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 64;
        while (cap < o->len + n + 1)
            cap *= 2;
        char *p = realloc(o->p, cap);
        if (p == NULL) abort();
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
    return 0;
}

static bool name_char(char c, bool first)
{
    if (c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) return true;
    return !first && c >= '0' && c <= '9';
}

/* One ${...} expression starting at s ("${"), split into its parts. */
typedef struct expr {
    char name[MAX_NAME + 1];
    const char *def; /* default text, or NULL */
    size_t def_len;
    size_t len; /* bytes of the whole expression */
} expr_t;

static int parse_expr(const char *s, expr_t *e, char *msg, size_t cap)
{
    const char *p = s + 2, *close = strchr(p, '}');
    size_t n = 0;
    if (close == NULL) return snprintf(msg, cap, "unterminated '${' (missing '}')"), -1;
    while (p + n < close && name_char(p[n], n == 0))
        n++;
    if (n == 0) return snprintf(msg, cap, "expected a variable name after '${'"), -1;
    if (n > MAX_NAME) return snprintf(msg, cap, "variable name longer than %d characters", MAX_NAME), -1;
    memcpy(e->name, p, n);
    e->name[n] = '\0';
    e->def = NULL;
    e->def_len = 0;
    p += n;
    if (p[0] == ':' && p[1] == '-') {
        e->def = p + 2;
        e->def_len = (size_t)(close - e->def);
        if (memmem(e->def, e->def_len, "${", 2) != NULL)
            return snprintf(msg, cap, "'${' inside the default of ${%s:-...} is not supported", e->name), -1;
    } else if (p != close) {
        return snprintf(msg, cap, "invalid '${%.40s...}': expected ${%.40s} or ${%.40s:-default}", e->name,
                        e->name, e->name),
               -1;
    }
    e->len = (size_t)(close + 1 - s);
    return 0;
}

/* Appends the value of expression `e` to `o`. */
static int expand(const expr_t *e, rl_envsubst_lookup_cb lookup, void *ud, outbuf_t *o, char *msg, size_t cap)
{
    const char *v = lookup(e->name, ud);
    if (e->def != NULL && (v == NULL || v[0] == '\0')) {
        if (out_put(o, e->def, e->def_len) < 0) goto too_long;
        return 0;
    }
    if (v == NULL) return snprintf(msg, cap, "environment variable %s is not set", e->name), -1;
    if (out_put(o, v, strlen(v)) < 0) goto too_long;
    return 0;
too_long:
    snprintf(msg, cap, "value longer than %zu bytes after substitution", o->max);
    return -1;
}

/* The whole input is exactly "${NAME}" and NAME is unset or empty. */
static bool whole_unset(const char *in, const expr_t *e, rl_envsubst_lookup_cb lookup, void *ud)
{
    if (e->def != NULL || in[e->len] != '\0') return false;
    const char *v = lookup(e->name, ud);
    return v == NULL || v[0] == '\0';
}

int rl_envsubst(const char *in, size_t max_len, rl_envsubst_lookup_cb lookup, void *ud,
                rl_envsubst_result_t *res)
{
    outbuf_t o = {NULL, 0, 0, max_len};
    expr_t e;
    *res = (rl_envsubst_result_t){0};
    if (out_put(&o, "", 0) < 0) goto fail;
    for (const char *s = in; *s;) {
        const char *dollar = strchr(s, '$');
        size_t lit = dollar ? (size_t)(dollar - s) : strlen(s);
        if (out_put(&o, s, lit) < 0) goto too_long;
        if (dollar == NULL) break;
        s = dollar;
        if (s[1] != '{') {
            if (out_put(&o, "$", 1) < 0) goto too_long;
            s += s[1] == '$' ? 2 : 1;
            continue;
        }
        if (parse_expr(s, &e, res->msg, sizeof(res->msg)) < 0) goto fail;
        if (s == in && whole_unset(in, &e, lookup, ud)) {
            free(o.p);
            res->unset_var = strdup(e.name);
            return 0;
        }
        if (expand(&e, lookup, ud, &o, res->msg, sizeof(res->msg)) < 0) goto fail;
        s += e.len;
    }
    res->value = o.p;
    return 0;
too_long:
    snprintf(res->msg, sizeof(res->msg), "value longer than %zu bytes after substitution", max_len);
fail:
    free(o.p);
    return -1;
}

void rl_envsubst_result_free(rl_envsubst_result_t *res)
{
    free(res->value);
    free(res->unset_var);
    res->value = res->unset_var = NULL;
}

const char *rl_envsubst_getenv(const char *name, void *ud)
{
    (void)ud;
    return getenv(name);
}
