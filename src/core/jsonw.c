/* jsonw.c — JSON string escaping, see jsonw.h. */
#include "core/jsonw.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Length of the valid UTF-8 sequence starting at s (n bytes left), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    size_t need;
    uint32_t min, cp;
    if (s[0] < 0xC2 || s[0] > 0xF4) return 0;
    if (s[0] < 0xE0)
        need = 2, min = 0x80, cp = s[0] & 0x1F;
    else if (s[0] < 0xF0)
        need = 3, min = 0x800, cp = s[0] & 0x0F;
    else
        need = 4, min = 0x10000, cp = s[0] & 0x07;
    if (n < need) return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return need;
}

/* 1 for the bytes copied as they are: printable ASCII but quote and
 * backslash. */
static const unsigned char plain[256] = {
    [' ' ... '!'] = 1,
    ['#' ... '['] = 1,
    [']' ... '~'] = 1,
};

/* Whether none of w's eight bytes needs escaping (no control byte, quote,
 * backslash, DEL or non-ASCII), tested a word at a time: (x - 0x01…) & ~x
 * has a byte's high bit set where x has a zero byte (a borrow only ever
 * marks bytes above a real one, so "any" is exact); (x - 0x20…) & ~x
 * likewise marks bytes below 0x20. */
static inline bool word_is_plain(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t quote = w ^ (ones * '"'), bslash = w ^ (ones * '\\'), del = w ^ (ones * 0x7F);
    uint64_t hits = ((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) | ((bslash - ones) & ~bslash) |
                    ((del - ones) & ~del);
    return ((hits | w) & highs) == 0;
}

size_t rl_json_escape(char *out, size_t cap, const char *in, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)in;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t run = i; /* bytes that need no escaping are copied a run at a time */
        for (uint64_t w; len - run >= 8 && (memcpy(&w, s + run, 8), word_is_plain(w));)
            run += 8;
        while (run < len && plain[s[run]])
            run++;
        if (run > i) {
            size_t n = run - i < cap - o ? run - i : cap - o;
            memcpy(out + o, s + i, n);
            o += n;
            if (n < run - i) break;
            i = run;
            continue;
        }
        char tmp[8];
        size_t tl = 0, adv = 1;
        unsigned char c = s[i];
        if (c == '"' || c == '\\')
            tmp[0] = '\\', tmp[1] = (char)c, tl = 2;
        else if (c == '\n')
            memcpy(tmp, "\\n", 2), tl = 2;
        else if (c == '\r')
            memcpy(tmp, "\\r", 2), tl = 2;
        else if (c == '\t')
            memcpy(tmp, "\\t", 2), tl = 2;
        else if (c < 0x20 || c == 0x7F) {
            memcpy(tmp, "\\u00", 4);
            tmp[4] = hex[c >> 4], tmp[5] = hex[c & 15], tl = 6;
        } else if (c < 0x80)
            tmp[0] = (char)c, tl = 1;
        else if ((adv = utf8_seq(s + i, len - i)) != 0) {
            memcpy(tmp, s + i, adv);
            tl = adv;
        } else {
            memcpy(tmp, "\\ufffd", 6), tl = 6, adv = 1;
        }
        if (o + tl > cap) break;
        memcpy(out + o, tmp, tl);
        o += tl;
        i += adv;
    }
    return o;
}

size_t rl_fmt_u64(char *out, uint64_t v)
{
    static const char pairs[] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    char tmp[RL_FMT_U64_MAX], *p = tmp + sizeof(tmp);
    for (; v >= 100; v /= 100)
        p -= 2, memcpy(p, pairs + 2 * (v % 100), 2);
    if (v >= 10)
        p -= 2, memcpy(p, pairs + 2 * v, 2);
    else
        *--p = (char)('0' + v);
    size_t n = (size_t)(tmp + sizeof(tmp) - p);
    memcpy(out, p, n);
    return n;
}
