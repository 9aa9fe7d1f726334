/* path.c — path normalization, see path.h. Works segment by segment: a
 * segment "." is dropped, ".." drops the previous output segment (never
 * climbing above the root), anything else is copied with its percent-
 * encodings normalized. */
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

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

static int is_unreserved(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/* For a '%' at s[0] (n bytes left): the byte it encodes, or -1 when it is
 * not followed by two hex digits (then it is left as it is). */
static int pct_decoded(const char *s, size_t n)
{
    if (n < 3) return -1;
    int hi = hex_value(s[1]), lo = hex_value(s[2]);
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

/* Whether a segment holds a '%' that starts no encoding. Such a segment is
 * left exactly as it is: decoding around a stray '%' could make a new
 * encoding ("%e%41" would become "%eA"). */
static int has_stray_pct(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '%' && pct_decoded(s + i, n - i) < 0) return 1;
    return 0;
}

/* Whether a segment is as copy_segment would write it. */
static int segment_is_normal(const char *s, size_t n)
{
    if (memchr(s, '%', n) == NULL || has_stray_pct(s, n)) return 1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') continue;
        if (is_unreserved(pct_decoded(s + i, n - i)) || (s[i + 1] >= 'a' && s[i + 1] <= 'f') ||
            (s[i + 2] >= 'a' && s[i + 2] <= 'f'))
            return 0;
        i += 2;
    }
    return 1;
}

/* Copies a segment, decoding unreserved characters and upper-casing the
 * other encodings; returns the bytes written (never more than len). */
static size_t copy_segment(char *out, const char *in, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    if (memchr(in, '%', len) == NULL || has_stray_pct(in, len)) {
        memcpy(out, in, len);
        return len;
    }
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        int c = in[i] == '%' ? pct_decoded(in + i, len - i) : -1;
        if (c < 0) {
            out[o++] = in[i++];
        } else if (is_unreserved(c)) {
            out[o++] = (char)c;
            i += 3;
        } else {
            out[o++] = '%', out[o++] = hex[c >> 4], out[o++] = hex[c & 15];
            i += 3;
        }
    }
    return o;
}

int rl_path_is_normal(const char *in, size_t len)
{
    if (len == 0 || in[0] != '/') return 0;
    for (size_t i = 1; i <= len;) {
        size_t e = i;
        while (e < len && in[e] != '/')
            e++;
        if (dot_kind(in + i, e - i) || !segment_is_normal(in + i, e - i)) return 0;
        i = e + 1;
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
            o += copy_segment(out + o, in + i, e - i);
            if (!last) out[o++] = '/';
        }
        /* a final "." or ".." leaves the path ending in '/', as RFC 3986 says */
        if (last) break;
        i = e + 1;
    }
    return o;
}
