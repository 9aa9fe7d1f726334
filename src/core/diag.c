/* diag.c — collected diagnostics, see diag.h. */
#include "core/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void rl_diag_add(rl_diag_t *d, const char *file, int line, const char *fmt, ...)
{
    if (d->count == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        rl_diag_item_t *n = realloc(d->items, cap * sizeof(*n));
        if (n == NULL) abort();
        d->items = n;
        d->cap = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0) abort();
    va_end(ap);
    d->items[d->count++] = (rl_diag_item_t){file ? strdup(file) : NULL, line, msg};
}

static int format_item(const rl_diag_item_t *it, char *buf, size_t cap)
{
    if (it->file && it->line > 0) return snprintf(buf, cap, "%s:%d: %s", it->file, it->line, it->msg);
    if (it->file) return snprintf(buf, cap, "%s: %s", it->file, it->msg);
    return snprintf(buf, cap, "%s", it->msg);
}

void rl_diag_print(const rl_diag_t *d, FILE *out)
{
    for (size_t i = 0; i < d->count; i++) {
        char buf[1024];
        format_item(&d->items[i], buf, sizeof(buf));
        fprintf(out, "%s\n", buf);
    }
}

char *rl_diag_join(const rl_diag_t *d)
{
    size_t cap = 1, len = 0;
    for (size_t i = 0; i < d->count; i++)
        cap += 1024 + 2;
    char *s = malloc(cap);
    if (s == NULL) abort();
    s[0] = '\0';
    for (size_t i = 0; i < d->count; i++) {
        if (i) len += (size_t)snprintf(s + len, cap - len, "; ");
        char buf[1024];
        format_item(&d->items[i], buf, sizeof(buf));
        len += (size_t)snprintf(s + len, cap - len, "%s", buf);
    }
    return s;
}

void rl_diag_clear(rl_diag_t *d)
{
    for (size_t i = 0; i < d->count; i++) {
        free(d->items[i].file);
        free(d->items[i].msg);
    }
    free(d->items);
    *d = (rl_diag_t)RL_DIAG_INIT;
}
