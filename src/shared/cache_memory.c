/* cache_memory.c — the memory backend's response cache. Placeholder; the
 * response-policies issue fills it in. */
#include <stdlib.h>

#include "shared/memory_int.h"

struct rl_mem_cache {
    int unused;
};

struct rl_mem_cache *rl_mem_cache_new(void)
{
    return calloc(1, sizeof(struct rl_mem_cache));
}

void rl_mem_cache_free(struct rl_mem_cache *c)
{
    free(c);
}
