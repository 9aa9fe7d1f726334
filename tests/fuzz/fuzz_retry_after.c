/* fuzz_retry_after.c — libFuzzer driver for the Retry-After parser: the
 * first 8 bytes are `now_ms` (below year 10000), the rest the header value.
 * Any input must parse to -1 or a delay in [0, RL_RETRY_AFTER_MAX_MS]
 * without reading past the value; any delay must survive a
 * format/parse round trip (rounded up to whole seconds, at least 1). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "upstream/retry_after.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t now_ms = 0;
    if (size >= sizeof(now_ms)) {
        memcpy(&now_ms, data, sizeof(now_ms));
        now_ms %= 253402300800000ull;
        data += sizeof(now_ms);
        size -= sizeof(now_ms);
    }
    /* An exact-size copy so ASan sees any read past the value. */
    char *s = malloc(size ? size : 1);
    if (s == NULL) abort();
    memcpy(s, data, size);
    int64_t ms = rl_retry_after_parse(s, size, now_ms);
    if (ms < -1 || ms > RL_RETRY_AFTER_MAX_MS) abort();
    if (ms >= 0) {
        char buf[RL_RETRY_AFTER_BUFSZ];
        size_t n = rl_retry_after_format(buf, (uint64_t)ms);
        if (n == 0 || n >= sizeof(buf) || strlen(buf) != n) abort();
        int64_t back = rl_retry_after_parse(buf, n, now_ms);
        if (back != (int64_t)rl_retry_after_seconds((uint64_t)ms) * 1000) abort();
        if (back < ms || (ms > 0 && back - ms >= 1000)) abort();
    }
    free(s);
    return 0;
}
