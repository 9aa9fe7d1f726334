/* fuzz_path.c — libFuzzer driver for request-path normalization: any input
 * must normalize without overflow into a path that starts with '/', holds no
 * dot segment, and is already normal when normalized again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *out = malloc(size + 2), *again = malloc(size + 3);
    if (out == NULL || again == NULL) abort();
    size_t n = rl_path_normalize((const char *)data, size, out);
    if (n < 1 || n > size + 1 || out[0] != '/') abort();
    if (!rl_path_is_normal(out, n)) abort();
    size_t m = rl_path_normalize(out, n, again);
    if (m != n || memcmp(out, again, n) != 0) abort();
    if (size > 0 && data[0] == '/' && rl_path_is_normal((const char *)data, size) &&
        (n != size || memcmp(out, data, size) != 0))
        abort();
    free(out);
    free(again);
    return 0;
}
