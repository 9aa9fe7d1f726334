/* memory_int.h — private to src/shared: the in-process backend's state.
 * memory.c owns the rate-limit and quota tables; cache_memory.c owns the
 * response cache, created with the backend and freed with it. */
#ifndef RL_SHARED_MEMORY_INT_H
#define RL_SHARED_MEMORY_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/shared.h"

struct rl_mem_cache;
struct rl_mem_cache *rl_mem_cache_new(void);
void rl_mem_cache_free(struct rl_mem_cache *c);

/* Keys are spread over this many independently locked hash tables, so
 * workers contend only when their keys hash to the same stripe. A call on
 * several keys locks their stripes in ascending index order. */
#define RL_MEM_STRIPES 64

struct rl_mem_entry;

/* One stripe: a chained hash table (power-of-two buckets) and its lock. */
struct rl_mem_stripe {
    pthread_mutex_t mu;
    struct rl_mem_entry **buckets;
    size_t nbuckets;
    size_t count; /* entries, live or expired but not yet reclaimed */
    size_t sweep; /* next bucket the lazy reclaim visits */
};

struct rl_shared {
    struct rl_mem_cache *cache; /* owned: rl_mem_cache_new() in open, freed in close */
    unsigned char hash_key[16]; /* random SipHash key: keys cannot be chosen to collide */
    atomic_uint sweep_stripe;   /* the stripe the next call also reclaims in */
    union {
        struct rl_mem_stripe s;
        char pad[128]; /* one stripe per cache line pair: no false sharing */
    } stripes[RL_MEM_STRIPES];
};

/* Entries currently held (live or awaiting reclaim), over all stripes. For
 * tests and metrics. */
size_t rl_mem_entry_count(rl_shared_t *sh);

#endif
