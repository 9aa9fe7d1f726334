/* httpchar.h — character classes of HTTP/1.1 syntax (RFC 9110 §5.6.2,
 * §5.5) as one lookup table, for the parsers and serializers that look at
 * every byte of a message head. */
#ifndef RL_CORE_HTTPCHAR_H
#define RL_CORE_HTTPCHAR_H

#include <stdbool.h>
#include <stddef.h>

enum {
    RL_HTTP_TCHAR = 1, /* token: ALPHA DIGIT ! # $ % & ' * + - . ^ _ ` | ~ */
    RL_HTTP_VCHAR = 2, /* field value: VCHAR, SP, HTAB, obs-text (0x80–0xff) */
};

extern const unsigned char rl_http_class[256];

static inline bool rl_http_is_tchar(unsigned char c)
{
    return rl_http_class[c] & RL_HTTP_TCHAR;
}

/* True when s (n ≥ 1 bytes) is a token. */
static inline bool rl_http_is_token(const char *s, size_t n)
{
    if (n == 0) return false;
    for (size_t i = 0; i < n; i++)
        if (!rl_http_is_tchar((unsigned char)s[i])) return false;
    return true;
}

/* True when s holds a byte a field value may not (a control other than HTAB). */
static inline bool rl_http_has_ctl(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(rl_http_class[(unsigned char)s[i]] & RL_HTTP_VCHAR)) return true;
    return false;
}

#endif
