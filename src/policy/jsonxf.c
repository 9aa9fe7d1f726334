/* jsonxf.c — renames and field selection over JSON bytes, see jsonxf.h.
 *
 * A recursive-descent scanner that validates as it goes (RFC 8259 grammar;
 * strings are not checked for UTF-8) and, when `emit` is set, writes the
 * kept tokens. A member that is not selected is still scanned (emit = 0), so
 * an invalid document is refused whatever is selected. */
#include "policy/jsonxf.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 128 /* longer member names never match a configured name */

typedef struct st {
    const char *p, *end;
    const rl_jsonxf_t *xf;
    char *out;
    size_t len, cap;
    int depth;
    int err; /* 0, RL_JSONXF_INVALID or RL_JSONXF_TOO_BIG */
    /* probing the top-level object for a `data` array */
    bool probe, found_data;
} st_t;

static bool value(st_t *s, const rl_fieldnode_t *sel, bool emit);

static bool bad(st_t *s)
{
    if (!s->err) s->err = RL_JSONXF_INVALID;
    return false;
}

static bool put(st_t *s, const char *p, size_t n)
{
    if (s->len + n > s->cap) {
        size_t ncap = s->cap ? s->cap : 256;
        while (ncap < s->len + n)
            ncap *= 2;
        if (ncap > s->xf->max_out) ncap = s->xf->max_out;
        char *o = ncap >= s->len + n ? realloc(s->out, ncap) : NULL;
        if (o == NULL) {
            s->err = RL_JSONXF_TOO_BIG;
            return false;
        }
        s->out = o;
        s->cap = ncap;
    }
    memcpy(s->out + s->len, p, n);
    s->len += n;
    return true;
}

static bool putc_(st_t *s, char c)
{
    return put(s, &c, 1);
}

static void ws(st_t *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Scans a string starting at '"'; *esc says whether it held a backslash. */
static bool string(st_t *s, bool *esc)
{
    const char *p = s->p + 1;
    *esc = false;
    while (p < s->end) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') {
            s->p = p + 1;
            return true;
        }
        if (c < 0x20) return bad(s);
        if (c == '\\') {
            *esc = true;
            if (++p >= s->end) return bad(s);
            if (*p == 'u') {
                if (s->end - p < 5) return bad(s);
                for (int i = 1; i <= 4; i++)
                    if (hexval(p[i]) < 0) return bad(s);
                p += 4;
            } else if (strchr("\"\\/bfnrt", *p) == NULL || *p == '\0') {
                return bad(s);
            }
        }
        p++;
    }
    return bad(s);
}

static bool digits(st_t *s)
{
    const char *start = s->p;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
        s->p++;
    return s->p > start;
}

static bool number(st_t *s)
{
    if (s->p < s->end && *s->p == '-') s->p++;
    if (s->p < s->end && *s->p == '0')
        s->p++;
    else if (!digits(s))
        return bad(s);
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        if (!digits(s)) return bad(s);
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-')) s->p++;
        if (!digits(s)) return bad(s);
    }
    return true;
}

static bool literal(st_t *s, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0) return bad(s);
    s->p += n;
    return true;
}

/* The member name of the raw string [q, e) (quotes excluded) as the config
 * spells names, into buf; NULL when it cannot match any configured name. */
static const char *key_name(const char *q, size_t n, bool esc, char *buf, size_t *out_len)
{
    if (!esc) {
        *out_len = n;
        return q;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = q[i];
        if (c == '\\') {
            c = q[++i];
            if (c != 'u' && c != '"' && c != '\\' && c != '/') return NULL; /* a control character */
            if (c == 'u') {
                int v = (hexval(q[i + 1]) << 12) | (hexval(q[i + 2]) << 8) | (hexval(q[i + 3]) << 4) |
                        hexval(q[i + 4]);
                if (v <= 0 || v >= 0x80) return NULL;
                c = (char)v;
                i += 4;
            }
        }
        if (o == KEY_MAX) return NULL;
        buf[o++] = c;
    }
    *out_len = o;
    return buf;
}

static const char *renamed(const rl_jsonxf_t *xf, const char *name, size_t len)
{
    for (size_t i = 0; name && i < xf->n_rename; i++)
        if (strlen(xf->rename[i].from) == len && memcmp(xf->rename[i].from, name, len) == 0)
            return xf->rename[i].to;
    return NULL;
}

/* The rename that gives `name`, or -1 (at most one: config refuses two
 * renames to one name). */
static int rename_to(const rl_jsonxf_t *xf, const char *name, size_t len)
{
    for (size_t i = 0; name && i < xf->n_rename && i < RL_JSONXF_MAX_RENAMES; i++)
        if (strlen(xf->rename[i].to) == len && memcmp(xf->rename[i].to, name, len) == 0) return (int)i;
    return -1;
}

/* One member's name and colon; sets name and nlen to its client-side name. */
static bool member_name(st_t *s, const char **ks, size_t *kn, const char **to, const char **name,
                        size_t *nlen, char *buf)
{
    bool esc;
    ws(s);
    if (s->p >= s->end || *s->p != '"') return bad(s);
    *ks = s->p;
    if (!string(s, &esc)) return false;
    *kn = (size_t)(s->p - *ks);
    ws(s);
    if (s->p >= s->end || *s->p != ':') return bad(s);
    s->p++;
    ws(s);
    *name = key_name(*ks + 1, *kn - 2, esc, buf, nlen);
    *to = renamed(s->xf, *name, *nlen);
    if (*to) {
        *name = *to;
        *nlen = strlen(*to);
    }
    return true;
}

static bool emit_key(st_t *s, bool first, const char *ks, size_t kn, const char *to)
{
    if (!first && !putc_(s, ',')) return false;
    if (to == NULL) return put(s, ks, kn) && putc_(s, ':');
    return putc_(s, '"') && put(s, to, strlen(to)) && put(s, "\":", 2);
}

static bool member_name(st_t *s, const char **ks, size_t *kn, const char **to, const char **name,
                        size_t *nlen, char *buf);

/* Whether the object whose members `s` is among renames one of them (this
 * one included) to `name`: scanned ahead on a copy, nothing written. */
static bool object_renames_to(const st_t *s, const char *name, size_t nlen)
{
    st_t c = *s;
    c.probe = false;
    for (;;) {
        const char *ks, *to, *n;
        size_t kn, l;
        char buf[KEY_MAX];
        if (!member_name(&c, &ks, &kn, &to, &n, &l, buf)) return false;
        if (to && l == nlen && memcmp(to, name, nlen) == 0) return true;
        if (!value(&c, NULL, false)) return false;
        ws(&c);
        if (c.p >= c.end || *c.p != ',') return false;
        c.p++;
    }
}

/* An object; `sel` (NULL = keep every member) selects its members. At the
 * top (`data_sel`), `sel` applies to the elements of a `data` array.
 *
 * A member that already has the name a rename gives another member of the
 * same object (rename {nom: name} on {"name": …, "nom": …}) is dropped: the
 * renamed one wins, wherever each stands, and no object comes out with a
 * name twice. */
static bool object(st_t *s, const rl_fieldnode_t *sel, bool emit, const rl_fieldnode_t *data_sel)
{
    const char *const members = s->p + 1; /* where a scan ahead starts */
    /* per rename target: scanned ahead yet, and found given to a member */
    uint64_t scanned[RL_JSONXF_MAX_RENAMES / 64] = {0}, shadowed[RL_JSONXF_MAX_RENAMES / 64] = {0};
    bool first = true;
    s->p++;
    if (emit && !putc_(s, '{')) return false;
    ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return !emit || putc_(s, '}');
    }
    for (;;) {
        const char *ks, *to, *name;
        size_t kn, nlen;
        char buf[KEY_MAX];
        if (!member_name(s, &ks, &kn, &to, &name, &nlen, buf)) return false;
        int target = emit && to == NULL ? rename_to(s->xf, name, nlen) : -1;
        if (target >= 0) {
            uint64_t bit = 1ull << (target % 64);
            if (!(scanned[target / 64] & bit)) { /* once per object and name: no quadratic rescans */
                st_t from_start = *s;
                from_start.p = members;
                ws(&from_start);
                scanned[target / 64] |= bit;
                if (object_renames_to(&from_start, name, nlen)) shadowed[target / 64] |= bit;
            }
            if (shadowed[target / 64] & bit) { /* scanned, not kept */
                if (!value(s, NULL, false)) return false;
                goto next;
            }
        }
        bool is_data = name && nlen == 4 && memcmp(name, "data", 4) == 0 && s->p < s->end && *s->p == '[';
        if (s->probe && s->depth == 1 && is_data) s->found_data = true;
        const rl_fieldnode_t *node = NULL, *child_sel = NULL;
        bool keep = emit;
        if (emit && data_sel) {
            child_sel = is_data ? data_sel : NULL;
        } else if (emit && sel) {
            node = name ? rl_fields_find(sel, name, nlen) : NULL;
            keep = node != NULL;
            child_sel = node && !node->all ? node->child : NULL;
        }
        if (keep && !emit_key(s, first, ks, kn, to)) return false;
        if (keep) first = false;
        if (!value(s, child_sel, keep)) return false;
    next:
        ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        if (s->p < s->end && *s->p == '}') break;
        return bad(s);
    }
    s->p++;
    return !emit || putc_(s, '}');
}

static bool array(st_t *s, const rl_fieldnode_t *sel, bool emit)
{
    s->p++;
    if (emit && !putc_(s, '[')) return false;
    ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        return !emit || putc_(s, ']');
    }
    for (bool first = true;; first = false) {
        if (emit && !first && !putc_(s, ',')) return false;
        if (!value(s, sel, emit)) return false;
        ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        if (s->p < s->end && *s->p == ']') break;
        return bad(s);
    }
    s->p++;
    return !emit || putc_(s, ']');
}

static bool value(st_t *s, const rl_fieldnode_t *sel, bool emit)
{
    ws(s);
    if (s->p >= s->end) return bad(s);
    const char *start = s->p;
    bool ok, esc;
    switch (*s->p) {
    case '{':
    case '[':
        if (++s->depth > RL_JSONXF_MAX_DEPTH) return bad(s);
        ok = *s->p == '{' ? object(s, sel, emit, NULL) : array(s, sel, emit);
        s->depth--;
        return ok;
    case '"':
        ok = string(s, &esc);
        break;
    case 't':
        ok = literal(s, "true");
        break;
    case 'f':
        ok = literal(s, "false");
        break;
    case 'n':
        ok = literal(s, "null");
        break;
    default:
        ok = number(s);
    }
    return ok && (!emit || put(s, start, (size_t)(s->p - start)));
}

/* Whether the top-level value is an object with a `data` array member. */
static bool top_has_data_array(const char *in, size_t len, const rl_jsonxf_t *xf)
{
    st_t s = {.p = in, .end = in + len, .xf = xf, .probe = true};
    ws(&s);
    if (s.p >= s.end || *s.p != '{') return false;
    s.depth = 1;
    object(&s, NULL, false, NULL);
    return s.found_data;
}

int rl_jsonxf_apply(const char *in, size_t len, const rl_jsonxf_t *xf, char **out, size_t *out_len)
{
    st_t s = {.p = in, .end = in + len, .xf = xf};
    const rl_fieldnode_t *sel = xf->fields && !xf->fields->all ? xf->fields->child : NULL;
    *out = NULL;
    *out_len = 0;
    ws(&s);
    if (sel && s.p < s.end && *s.p == '{' && top_has_data_array(in, len, xf)) {
        s.depth = 1;
        object(&s, NULL, true, sel);
    } else {
        value(&s, sel, true);
    }
    ws(&s);
    if (!s.err && s.p != s.end) s.err = RL_JSONXF_INVALID;
    if (s.err) {
        free(s.out);
        return s.err;
    }
    *out = s.out ? s.out : malloc(1);
    if (*out == NULL) return RL_JSONXF_TOO_BIG;
    *out_len = s.len;
    return 0;
}
