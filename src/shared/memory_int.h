/* memory_int.h — private to src/shared: the in-process backend's state.
 * memory.c owns the rate-limit and quota tables; cache_memory.c owns the
 * response cache, created with the backend and freed with it. */
#ifndef RL_SHARED_MEMORY_INT_H
#define RL_SHARED_MEMORY_INT_H

#include "shared/shared.h"

struct rl_mem_cache;
struct rl_mem_cache *rl_mem_cache_new(void);
void rl_mem_cache_free(struct rl_mem_cache *c);

#endif
