/* path.c — dot-segment removal, see path.h. Works segment by segment: a
 * segment "." is dropped, ".." drops the previous output segment (never
 * climbing above the root), anything else is copied as is. */
#include "http/path.h"

#include <string.h>
#include <strings.h>

/* 1 for ".", 2 for "..", 0 otherwise; %2e in either case counts as a dot. */
static int dot_kind(const char *s, size_t len)
{
    int dots = 0;
    for (size_t i = 0; i < len;) {
        if (s[i] == '.')
            i++;
        else if (len - i >= 3 && s[i] == '%' && s[i + 1] == '2' && (s[i + 2] == 'e' || s[i + 2] == 'E'))
            i += 3;
        else
            return 0;
        if (++dots > 2) return 0;
    }
    return dots;
}

int rl_path_is_normal(const char *in, size_t len)
{
    if (len == 0 || in[0] != '/') return 0;
    for (size_t i = 0; i < len; i++) {
        if (in[i] == '.' || in[i] == '%') {
            /* only a segment made of dots can need work */
            size_t b = i, e = i;
            while (b > 0 && in[b - 1] != '/')
                b--;
            while (e < len && in[e] != '/')
                e++;
            if (dot_kind(in + b, e - b)) return 0;
            i = e;
        }
    }
    return 1;
}

size_t rl_path_normalize(const char *in, size_t len, char *out)
{
    size_t o = 0, i = 0;
    if (len > 0 && in[0] == '/') i = 1;
    out[o++] = '/';
    while (i <= len) {
        size_t e = i;
        while (e < len && in[e] != '/')
            e++;
        int kind = dot_kind(in + i, e - i);
        int last = e >= len;
        if (kind == 2) {
            /* drop the previous segment: back up to the '/' before it */
            if (o > 1) {
                o--; /* the trailing '/' */
                while (o > 1 && out[o - 1] != '/')
                    o--;
            }
        } else if (kind == 0) {
            memcpy(out + o, in + i, e - i);
            o += e - i;
            if (!last) out[o++] = '/';
        }
        /* a final "." or ".." leaves the path ending in '/', as RFC 3986 says */
        if (last) break;
        i = e + 1;
    }
    return o;
}
