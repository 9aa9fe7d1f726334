/* diag.h — a list of diagnostics ("file:line: message") gathered while
 * loading or checking a config, so that every problem is reported at once. */
#ifndef RL_CORE_DIAG_H
#define RL_CORE_DIAG_H

#include <stddef.h>
#include <stdio.h>

typedef struct rl_diag_item {
    char *file; /* owned; may be NULL for problems not tied to a file */
    int line;   /* 1-based; 0 when unknown */
    char *msg;  /* owned */
} rl_diag_item_t;

typedef struct rl_diag {
    rl_diag_item_t *items;
    size_t count, cap;
} rl_diag_t;

#define RL_DIAG_INIT                                                                                         \
    {                                                                                                        \
        NULL, 0, 0                                                                                           \
    }

/* Appends one problem. `file` may be NULL, `line` 0. */
void rl_diag_add(rl_diag_t *d, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Writes each item as "file:line: message\n" (or "file: message", or just
 * "message" when those are unknown) to `out`. */
void rl_diag_print(const rl_diag_t *d, FILE *out);

/* Joins every item into one malloc'd string separated by "; "; caller frees. */
char *rl_diag_join(const rl_diag_t *d);

/* Frees the items; `d` may be reused after. */
void rl_diag_clear(rl_diag_t *d);

#endif
