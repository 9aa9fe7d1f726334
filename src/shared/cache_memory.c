/* cache_memory.c — the memory backend's response cache (shared.h, "response
 * cache"): a hash table of entries on one doubly linked LRU list, plus a
 * table of tags, each listing its entries, for invalidation. One mutex
 * guards it all: a lookup holds it for a hash, a compare and two pointer
 * moves; the value is handed to the caller outside the lock, pinned by a
 * reference count, so a slow callback never blocks another worker.
 *
 * Memory: every entry counts sizeof(entry) + key + value, every tag
 * sizeof(tag) + its name. A store first drops the expired entries (a
 * min-heap by expiry time finds them, O(log n) each, however many live ones
 * there are), then least recently used ones until the new entry fits under
 * max_bytes. Expired entries are also dropped when a lookup meets them.
 *
 * Invalidation race: a GET that missed, then fetched from upstream while a
 * PUT invalidated the path, must not store what it fetched. Each tag hashes
 * to one of SEQ_SLOTS counters bumped by every invalidation; a lookup
 * returns the counter as its token and a store whose token is stale is
 * dropped (a false positive only costs one store, so the slot comes from a
 * plain hash: with 256 slots a keyed one would not make collisions any
 * harder to find). */
#include <sodium.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "shared/memory_int.h"

#define DEFAULT_MAX (64ull << 20)
#define MIN_BUCKETS 64
#define SEQ_SLOTS 256

typedef struct ctag ctag_t;

typedef struct centry {
    struct centry *hnext;               /* hash chain */
    struct centry *lru_prev, *lru_next; /* lru_next goes towards the cold end */
    struct centry *tprev, *tnext;       /* entries of the same tag */
    ctag_t *tag;
    uint64_t hash, expires_ms;
    size_t heap_i; /* its place in the expiry heap */
    size_t size, key_len, len;
    atomic_int refs; /* 1 for the table, 1 per caller holding the value */
    char data[];     /* value, then key: a held value finds its entry */
} centry_t;

struct ctag {
    ctag_t *hnext;
    centry_t *first;
    uint64_t hash;
    size_t len;
    char name[];
};

typedef struct table {
    void **b;
    size_t n, count;
} table_t;

struct rl_mem_cache {
    pthread_mutex_t mu;
    unsigned char key[crypto_shorthash_KEYBYTES];
    table_t entries, tags;
    centry_t *hot, *cold; /* the LRU list */
    centry_t **heap;      /* every entry, a min-heap by expires_ms */
    size_t heap_n, heap_cap;
    uint64_t used, max;
    uint64_t seq[SEQ_SLOTS];
    rl_cache_stats_t st;
};

static uint64_t hash_of(const struct rl_mem_cache *c, const char *p, size_t n, char kind)
{
    unsigned char h[crypto_shorthash_BYTES], buf[256];
    uint64_t v;
    if (n < sizeof(buf)) { /* the kind byte keeps key and tag hashes apart */
        buf[0] = (unsigned char)kind;
        memcpy(buf + 1, p, n);
        crypto_shorthash(h, buf, n + 1, c->key);
    } else {
        crypto_shorthash(h, (const unsigned char *)p, n, c->key);
    }
    memcpy(&v, h, sizeof(v));
    return v;
}

/* The invalidation counter of tag `p` (FNV-1a). */
static uint64_t *seq_of(struct rl_mem_cache *c, const char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 0x100000001b3ull;
    return &c->seq[h % SEQ_SLOTS];
}

static int table_init(table_t *t)
{
    t->b = calloc(MIN_BUCKETS, sizeof(void *));
    t->n = MIN_BUCKETS;
    t->count = 0;
    return t->b ? 0 : -1;
}

struct rl_mem_cache *rl_mem_cache_new(void)
{
    struct rl_mem_cache *c = calloc(1, sizeof(*c));
    if (c == NULL) return NULL;
    if (sodium_init() < 0 || table_init(&c->entries) != 0 || table_init(&c->tags) != 0) {
        free(c->entries.b);
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->mu, NULL);
    randombytes_buf(c->key, sizeof(c->key));
    c->max = DEFAULT_MAX;
    return c;
}

static void entry_release(centry_t *e)
{
    if (atomic_fetch_sub(&e->refs, 1) == 1) free(e);
}

void rl_mem_cache_free(struct rl_mem_cache *c)
{
    if (c == NULL) return;
    for (centry_t *e = c->hot, *next; e; e = next) {
        next = e->lru_next;
        entry_release(e);
    }
    for (size_t i = 0; i < c->tags.n; i++)
        for (ctag_t *t = c->tags.b[i], *next; t; t = next) {
            next = t->hnext;
            free(t);
        }
    free(c->entries.b);
    free(c->tags.b);
    free(c->heap);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* ---- tables: entries and tags each chain through their first member ---- */

#define ENTRY_SLOT(c, h) ((centry_t **)&(c)->entries.b[(h) & ((c)->entries.n - 1)])
#define TAG_SLOT(c, h) ((ctag_t **)&(c)->tags.b[(h) & ((c)->tags.n - 1)])

static void grow_entries(struct rl_mem_cache *c)
{
    size_t nn = c->entries.n * 2;
    void **nb = calloc(nn, sizeof(void *));
    if (nb == NULL) return; /* longer chains: slower, still correct */
    for (size_t i = 0; i < c->entries.n; i++)
        for (centry_t *e = c->entries.b[i], *next; e; e = next) {
            next = e->hnext;
            centry_t **s = (centry_t **)&nb[e->hash & (nn - 1)];
            e->hnext = *s;
            *s = e;
        }
    free(c->entries.b);
    c->entries.b = nb;
    c->entries.n = nn;
}

static void grow_tags(struct rl_mem_cache *c)
{
    size_t nn = c->tags.n * 2;
    void **nb = calloc(nn, sizeof(void *));
    if (nb == NULL) return;
    for (size_t i = 0; i < c->tags.n; i++)
        for (ctag_t *t = c->tags.b[i], *next; t; t = next) {
            next = t->hnext;
            ctag_t **s = (ctag_t **)&nb[t->hash & (nn - 1)];
            t->hnext = *s;
            *s = t;
        }
    free(c->tags.b);
    c->tags.b = nb;
    c->tags.n = nn;
}

static centry_t *find_entry(struct rl_mem_cache *c, const char *key, size_t len, uint64_t h)
{
    for (centry_t *e = *ENTRY_SLOT(c, h); e; e = e->hnext)
        if (e->hash == h && e->key_len == len && memcmp(e->data + e->len, key, len) == 0) return e;
    return NULL;
}

static ctag_t *find_tag(struct rl_mem_cache *c, const char *name, size_t len, uint64_t h)
{
    for (ctag_t *t = *TAG_SLOT(c, h); t; t = t->hnext)
        if (t->hash == h && t->len == len && memcmp(t->name, name, len) == 0) return t;
    return NULL;
}

static void tag_drop(struct rl_mem_cache *c, ctag_t *t)
{
    for (ctag_t **pp = TAG_SLOT(c, t->hash); *pp; pp = &(*pp)->hnext)
        if (*pp == t) {
            *pp = t->hnext;
            break;
        }
    c->used -= sizeof(ctag_t) + t->len;
    c->tags.count--;
    free(t);
}

/* ---- LRU ---- */

static void lru_unlink(struct rl_mem_cache *c, centry_t *e)
{
    if (e->lru_prev)
        e->lru_prev->lru_next = e->lru_next;
    else
        c->hot = e->lru_next;
    if (e->lru_next)
        e->lru_next->lru_prev = e->lru_prev;
    else
        c->cold = e->lru_prev;
    e->lru_prev = e->lru_next = NULL;
}

static void lru_push_hot(struct rl_mem_cache *c, centry_t *e)
{
    e->lru_prev = NULL;
    e->lru_next = c->hot;
    if (c->hot) c->hot->lru_prev = e;
    c->hot = e;
    if (c->cold == NULL) c->cold = e;
}

/* ---- expiry: a binary min-heap of the entries by expires_ms ---- */

static void heap_set(struct rl_mem_cache *c, size_t i, centry_t *e)
{
    c->heap[i] = e;
    e->heap_i = i;
}

static void heap_up(struct rl_mem_cache *c, size_t i)
{
    centry_t *e = c->heap[i];
    for (size_t p; i > 0 && c->heap[p = (i - 1) / 2]->expires_ms > e->expires_ms; i = p)
        heap_set(c, i, c->heap[p]);
    heap_set(c, i, e);
}

static void heap_down(struct rl_mem_cache *c, size_t i)
{
    centry_t *e = c->heap[i];
    for (size_t k; (k = 2 * i + 1) < c->heap_n; i = k) {
        if (k + 1 < c->heap_n && c->heap[k + 1]->expires_ms < c->heap[k]->expires_ms) k++;
        if (c->heap[k]->expires_ms >= e->expires_ms) break;
        heap_set(c, i, c->heap[k]);
    }
    heap_set(c, i, e);
}

/* Room for one more entry in the heap; -1 when out of memory. */
static int heap_reserve(struct rl_mem_cache *c)
{
    if (c->heap_n < c->heap_cap) return 0;
    size_t cap = c->heap_cap ? 2 * c->heap_cap : MIN_BUCKETS;
    centry_t **h = realloc(c->heap, cap * sizeof(*h));
    if (h == NULL) return -1;
    c->heap = h;
    c->heap_cap = cap;
    return 0;
}

/* After heap_reserve. */
static void heap_push(struct rl_mem_cache *c, centry_t *e)
{
    heap_set(c, c->heap_n++, e);
    heap_up(c, e->heap_i);
}

static void heap_remove(struct rl_mem_cache *c, centry_t *e)
{
    centry_t *last = c->heap[--c->heap_n];
    if (last == e) return;
    heap_set(c, e->heap_i, last);
    heap_up(c, last->heap_i);
    heap_down(c, last->heap_i);
}

/* Takes `e` out of every structure and drops the table's reference. */
static void entry_remove(struct rl_mem_cache *c, centry_t *e)
{
    for (centry_t **pp = ENTRY_SLOT(c, e->hash); *pp; pp = &(*pp)->hnext)
        if (*pp == e) {
            *pp = e->hnext;
            break;
        }
    lru_unlink(c, e);
    heap_remove(c, e);
    ctag_t *t = e->tag;
    if (e->tprev)
        e->tprev->tnext = e->tnext;
    else
        t->first = e->tnext;
    if (e->tnext) e->tnext->tprev = e->tprev;
    if (t->first == NULL) tag_drop(c, t);
    c->used -= e->size;
    c->entries.count--;
    entry_release(e);
}

/* Drops the expired entries, then cold ones while `need` more bytes do not
 * fit. */
static void make_room(struct rl_mem_cache *c, uint64_t need, uint64_t now_ms)
{
    while (c->heap_n > 0 && c->heap[0]->expires_ms <= now_ms) {
        c->st.expirations++;
        entry_remove(c, c->heap[0]);
    }
    while (c->cold && c->used + need > c->max) {
        c->st.evictions++;
        entry_remove(c, c->cold);
    }
}

/* ---- the shared.h functions ---- */

void rl_shared_cache_configure(rl_shared_t *sh, uint64_t max_bytes)
{
    struct rl_mem_cache *c = sh->cache;
    if (__atomic_load_n(&c->max, __ATOMIC_RELAXED) == max_bytes) return;
    pthread_mutex_lock(&c->mu);
    __atomic_store_n(&c->max, max_bytes, __ATOMIC_RELAXED);
    make_room(c, 0, 0);
    pthread_mutex_unlock(&c->mu);
}

/* The entry whose value a get callback on this thread is being handed:
 * rl_shared_cache_hold then takes over the lookup's reference rather than
 * adding one (each atomic on an entry is a cache line the workers pass
 * around). */
static _Thread_local centry_t *tl_lent;

void rl_shared_cache_get(rl_shared_t *sh, const char *key, size_t key_len, const char *tag, size_t tag_len,
                         uint64_t now_ms, rl_cache_get_cb cb, void *ud)
{
    struct rl_mem_cache *c = sh->cache;
    uint64_t h = hash_of(c, key, key_len, 'k');
    uint64_t *seq = seq_of(c, tag, tag_len);
    pthread_mutex_lock(&c->mu);
    uint64_t token = *seq;
    centry_t *e = find_entry(c, key, key_len, h);
    if (e && e->expires_ms <= now_ms) {
        c->st.expirations++;
        entry_remove(c, e);
        e = NULL;
    }
    if (e) {
        c->st.hits++;
        if (c->hot != e) { /* already the hottest: no write to the shared list */
            lru_unlink(c, e);
            lru_push_hot(c, e);
        }
        atomic_fetch_add(&e->refs, 1);
    } else {
        c->st.misses++;
    }
    pthread_mutex_unlock(&c->mu);
    if (e == NULL) {
        cb(ud, 0, NULL, 0, token);
        return;
    }
    centry_t *outer = tl_lent; /* a get inside another's callback */
    tl_lent = e;
    cb(ud, 0, e->data, e->len, token);
    bool held = tl_lent == NULL;
    tl_lent = outer;
    if (!held) entry_release(e);
}

rl_cache_hold_t *rl_shared_cache_hold(rl_shared_t *sh, const void *value)
{
    (void)sh;
    centry_t *e = (centry_t *)((const char *)value - offsetof(centry_t, data));
    if (tl_lent == e)
        tl_lent = NULL; /* the lookup's own reference passes to the holder */
    else
        atomic_fetch_add(&e->refs, 1);
    return (rl_cache_hold_t *)e;
}

void rl_shared_cache_release(rl_shared_t *sh, rl_cache_hold_t *hold)
{
    (void)sh;
    entry_release((centry_t *)hold);
}

static ctag_t *tag_get(struct rl_mem_cache *c, const char *tag, size_t tag_len, uint64_t th)
{
    ctag_t *t = find_tag(c, tag, tag_len, th);
    if (t) return t;
    t = malloc(sizeof(*t) + tag_len);
    if (t == NULL) return NULL;
    *t = (ctag_t){.hash = th, .len = tag_len};
    memcpy(t->name, tag, tag_len);
    ctag_t **s = TAG_SLOT(c, th);
    t->hnext = *s;
    *s = t;
    c->used += sizeof(ctag_t) + tag_len;
    if (++c->tags.count > c->tags.n) grow_tags(c);
    return t;
}

static int store(struct rl_mem_cache *c, const char *key, size_t key_len, const char *tag, size_t tag_len,
                 const void *value, size_t len, uint64_t ttl_ms, uint64_t token, uint64_t now_ms)
{
    uint64_t h = hash_of(c, key, key_len, 'k'), th = hash_of(c, tag, tag_len, 't');
    size_t size = sizeof(centry_t) + key_len + len;
    if (*seq_of(c, tag, tag_len) != token) return 0; /* invalidated meanwhile */
    if (size + sizeof(ctag_t) + tag_len > c->max) return 0;
    centry_t *old = find_entry(c, key, key_len, h);
    if (old) entry_remove(c, old);
    size_t tag_size = sizeof(ctag_t) + tag_len;
    make_room(c, size + (find_tag(c, tag, tag_len, th) ? 0 : tag_size), now_ms);
    if (find_tag(c, tag, tag_len, th) == NULL) make_room(c, size + tag_size, now_ms); /* its tag went too */
    centry_t *e = heap_reserve(c) == 0 ? malloc(size) : NULL;
    ctag_t *t = e ? tag_get(c, tag, tag_len, th) : NULL;
    if (t == NULL) {
        free(e);
        return -RL_ESHARED_STATE_UNAVAILABLE;
    }
    *e = (centry_t){
        .hash = h, .expires_ms = now_ms + ttl_ms, .size = size, .key_len = key_len, .len = len, .tag = t};
    atomic_init(&e->refs, 1);
    memcpy(e->data, value, len);
    memcpy(e->data + len, key, key_len);
    centry_t **s = ENTRY_SLOT(c, h);
    e->hnext = *s;
    *s = e;
    e->tnext = t->first;
    if (t->first) t->first->tprev = e;
    t->first = e;
    lru_push_hot(c, e);
    heap_push(c, e);
    c->used += size;
    c->st.stores++;
    if (++c->entries.count > c->entries.n) grow_entries(c);
    return 0;
}

void rl_shared_cache_set(rl_shared_t *sh, const char *key, size_t key_len, const char *tag, size_t tag_len,
                         const void *value, size_t len, uint64_t ttl_ms, uint64_t token, uint64_t now_ms,
                         rl_cache_done_cb cb, void *ud)
{
    struct rl_mem_cache *c = sh->cache;
    pthread_mutex_lock(&c->mu);
    int rc = store(c, key, key_len, tag, tag_len, value, len, ttl_ms, token, now_ms);
    pthread_mutex_unlock(&c->mu);
    if (cb) cb(ud, rc);
}

void rl_shared_cache_invalidate(rl_shared_t *sh, const char *tag, size_t tag_len, uint64_t now_ms,
                                rl_cache_done_cb cb, void *ud)
{
    struct rl_mem_cache *c = sh->cache;
    (void)now_ms;
    uint64_t th = hash_of(c, tag, tag_len, 't');
    pthread_mutex_lock(&c->mu);
    (*seq_of(c, tag, tag_len))++;
    ctag_t *t = find_tag(c, tag, tag_len, th);
    while (t) { /* the last entry's removal frees the tag */
        centry_t *e = t->first;
        t = e->tnext ? t : NULL;
        c->st.invalidations++;
        entry_remove(c, e);
    }
    pthread_mutex_unlock(&c->mu);
    if (cb) cb(ud, 0);
}

void rl_shared_cache_stats(rl_shared_t *sh, rl_cache_stats_t *out)
{
    struct rl_mem_cache *c = sh->cache;
    pthread_mutex_lock(&c->mu);
    *out = c->st;
    out->bytes = c->used;
    out->entries = c->entries.count;
    out->max_bytes = c->max;
    pthread_mutex_unlock(&c->mu);
}
