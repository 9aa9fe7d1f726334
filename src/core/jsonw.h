/* jsonw.h — the few JSON-writing helpers the hot path needs (escaping into
 * a caller's buffer, decimal numbers), without building a document tree. */
#ifndef RL_CORE_JSONW_H
#define RL_CORE_JSONW_H

#include <stddef.h>
#include <stdint.h>

/* Writes `s` (len bytes) as a JSON string body — escaped, without the
 * surrounding quotes — into `out` (cap bytes). Control characters become
 * \u00XX; invalid UTF-8 bytes become \ufffd. Returns the number of bytes
 * written, at most cap (the output is truncated, never split inside an
 * escape). Does not NUL-terminate. */
size_t rl_json_escape(char *out, size_t cap, const char *s, size_t len);

/* The worst-case escaped size of `len` input bytes. */
static inline size_t rl_json_escape_max(size_t len)
{
    return len * 6;
}

/* Writes v in decimal (at most RL_FMT_U64_MAX bytes, no NUL) into out and
 * returns the length: for headers and log lines, where snprintf would cost
 * more than everything around it. */
#define RL_FMT_U64_MAX 20
size_t rl_fmt_u64(char *out, uint64_t v);

#endif
