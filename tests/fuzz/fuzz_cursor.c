/* fuzz_cursor.c — libFuzzer driver for cursor decoding. Invariants: no
 * crash on any input; a cursor that decodes re-encodes to exactly the same
 * text (no second spelling of one cursor is accepted); a cursor signed
 * with another key or for another list never decodes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"

static const uint8_t key[] = "fuzz-cursor-key-0123456789abcdef";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int64_t pos;
    char again[RL_CURSOR_LEN + 1];
    if (rl_cursor_decode(key, 32, 'k', (const char *)data, size, &pos) == 0) {
        rl_cursor_encode(key, 32, 'k', pos, again);
        if (size != RL_CURSOR_LEN || memcmp(again, data, size) != 0) abort();
        if (rl_cursor_decode(key, 31, 'k', (const char *)data, size, &pos) == 0) abort();
        if (rl_cursor_decode(key, 32, 'a', (const char *)data, size, &pos) == 0) abort();
    }
    if (size >= 8) { /* round trip of any position */
        int64_t p;
        memcpy(&p, data, 8);
        if (p < 0) p = -(p + 1);
        rl_cursor_encode(key, 32, 'a', p, again);
        if (rl_cursor_decode(key, 32, 'a', again, RL_CURSOR_LEN, &pos) != 0 || pos != p) abort();
    }
    return 0;
}
