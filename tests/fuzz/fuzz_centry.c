/* fuzz_centry.c — libFuzzer driver for the cache-entry decoder
 * (policy/cacheentry.h), which reads what a shared cache backend hands
 * back. Any input must decode to -1 or to parts that lie inside it; an
 * entry that decodes, and that the encoder accepts, must encode back to the
 * very same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/cacheentry.h"

static int inside(const char *p, size_t len, const char *part, size_t part_len)
{
    return part_len == 0 || (part >= p && part_len <= len && part - p <= (ptrdiff_t)(len - part_len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy so ASan sees any read past the entry. */
    char *p = malloc(size ? size : 1);
    if (p == NULL) abort();
    memcpy(p, data, size);
    rl_centry_t e;
    rl_centry_hdr_t hdrs[RL_CACHEENTRY_MAX_HEADERS];
    if (rl_centry_decode(p, size, &e, hdrs, RL_CACHEENTRY_MAX_HEADERS) == 0) {
        if (e.n_headers > RL_CACHEENTRY_MAX_HEADERS) abort();
        if (!inside(p, size, e.body, e.body_len) || (e.etag && !inside(p, size, e.etag, e.etag_len))) abort();
        for (size_t i = 0; i < e.n_headers; i++)
            if (!inside(p, size, e.headers[i].name, e.headers[i].name_len) ||
                !inside(p, size, e.headers[i].value, e.headers[i].value_len))
                abort();
        size_t n = rl_centry_size(&e);
        if (n != 0) {
            if (n != size) abort();
            char *back = malloc(n);
            if (back == NULL) abort();
            rl_centry_encode(&e, back);
            if (memcmp(back, p, n) != 0) abort();
            free(back);
        }
    }
    free(p);
    return 0;
}
