/* method.h — HTTP methods as bits, so that a route's method set is one mask. */
#ifndef RL_HTTP_METHOD_H
#define RL_HTTP_METHOD_H

#include <stddef.h>

enum {
    RL_M_GET = 1u << 0,
    RL_M_HEAD = 1u << 1,
    RL_M_POST = 1u << 2,
    RL_M_PUT = 1u << 3,
    RL_M_PATCH = 1u << 4,
    RL_M_DELETE = 1u << 5,
    RL_M_OPTIONS = 1u << 6,
    RL_M_ALL = (1u << 7) - 1,
};

/* The bit of method `s` (case-sensitive, as HTTP says), or 0 if unknown. */
unsigned rl_method_bit(const char *s, size_t len);

/* Writes the methods of `mask` as "GET, HEAD, POST" into buf (NUL-terminated,
 * truncated to cap). Returns the length written. */
size_t rl_method_list(unsigned mask, char *buf, size_t cap);

#endif
