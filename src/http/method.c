/* method.c — method names and bits, see method.h. */
#include "http/method.h"

#include <stdio.h>
#include <string.h>

static const char *const names[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};

unsigned rl_method_bit(const char *s, size_t len)
{
    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0) return 1u << i;
    return 0;
}

size_t rl_method_list(unsigned mask, char *buf, size_t cap)
{
    size_t len = 0;
    if (cap == 0) return 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (!(mask & (1u << i))) continue;
        int n = snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", names[i]);
        if (n < 0 || (size_t)n >= cap - len) break;
        len += (size_t)n;
    }
    return len;
}
