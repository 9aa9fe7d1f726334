/* fuzz_prefer.c — libFuzzer driver for the Prefer header parser
 * (rl_mock_prefer_parse). Invariants: it reads only `size` bytes, keeps at
 * most RL_MOCK_PREFER_MAX preferences, each with a non-empty lower-case
 * token name and NUL-terminated strings, no name twice, and parsing the
 * same bytes twice gives the same result. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "upstream/mock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size ? size : 1); /* exactly size bytes: ASan sees any over-read */
    memcpy(copy, data, size);
    rl_mock_prefer_t p, q;
    size_t n = rl_mock_prefer_parse(copy, size, &p);
    if (n != p.n || n > RL_MOCK_PREFER_MAX) abort();
    for (size_t i = 0; i < n; i++) {
        const rl_mock_pref_t *it = &p.items[i];
        size_t nl = strnlen(it->name, sizeof(it->name)), vl = strnlen(it->value, sizeof(it->value));
        if (nl == 0 || nl >= sizeof(it->name) || vl >= sizeof(it->value)) abort();
        for (size_t k = 0; k < nl; k++)
            if (it->name[k] >= 'A' && it->name[k] <= 'Z') abort();
        for (size_t j = 0; j < i; j++)
            if (strcmp(p.items[j].name, it->name) == 0) abort();
        if (rl_mock_prefer_get(&p, it->name) != p.items[i].value) abort();
    }
    if (rl_mock_prefer_parse(copy, size, &q) != n) abort();
    for (size_t i = 0; i < n; i++)
        if (strcmp(p.items[i].name, q.items[i].name) != 0 || strcmp(p.items[i].value, q.items[i].value) != 0)
            abort();
    free(copy);
    return 0;
}
