/* memory.c — the in-process backend of shared.h ("memory://"): GCRA states
 * and quota counters in a hash table striped over RL_MEM_STRIPES mutexes,
 * shared by every worker thread of this process. Callbacks run before the
 * call returns, after the stripe's lock is released (a callback may call in
 * again). A multi-key GCRA call holds the locks of all its keys' stripes at
 * once, taken in ascending stripe order (each once), so that it is atomic
 * and two calls can never deadlock.
 *
 * Entries die on their own: a GCRA entry once its TAT is behind now (its
 * whole burst is back, same as no entry), a quota entry at its expires_ms.
 * Dead entries are reclaimed lazily: every call removes the dead entries of
 * the chain it walks (a quota call; a GCRA call reuses its key's idle
 * entry instead) and of the next RECLAIM_STEP buckets of a sweep cursor
 * that cycles through its stripe, then does the same in one other stripe
 * taken round-robin (if its lock is free), so that stripes no key hashes to
 * any more are swept too. Tables halve when mostly empty. Every stripe is
 * thus swept whole within about RL_MEM_STRIPES * nbuckets / RECLAIM_STEP
 * calls, and memory stays proportional to the keys alive in the recent
 * past. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "shared/gcra.h"
#include "shared/memory_int.h"

_Static_assert(sizeof(struct rl_mem_stripe) <= 128, "stripe padding");

#define MIN_BUCKETS 16
#define RECLAIM_STEP 2

enum entry_kind { KIND_GCRA = 1, KIND_QUOTA = 2 };

struct rl_mem_entry {
    struct rl_mem_entry *next;
    uint64_t hash;
    uint64_t a; /* GCRA: TAT in µs; quota: expires_ms */
    uint64_t b; /* quota: units used */
    uint8_t kind;
    size_t key_len;
    char key[];
};

typedef struct rl_mem_entry entry_t;
typedef struct rl_mem_stripe stripe_t;

/* ---- table ---- */

static bool is_dead(const entry_t *e, uint64_t now_ms)
{
    return e->kind == KIND_GCRA ? rl_gcra_is_idle(e->a, now_ms) : e->a <= now_ms;
}

static void resize(stripe_t *s, size_t nb)
{
    entry_t **nbk = calloc(nb, sizeof(*nbk));
    if (nbk == NULL) return; /* keep the old size: slower, still correct */
    for (size_t i = 0; i < s->nbuckets; i++)
        for (entry_t *e = s->buckets[i], *next; e != NULL; e = next) {
            next = e->next;
            entry_t **slot = &nbk[e->hash & (nb - 1)];
            e->next = *slot;
            *slot = e;
        }
    free(s->buckets);
    s->buckets = nbk;
    s->nbuckets = nb;
    s->sweep = 0;
}

/* Frees the dead entries of bucket i. */
static void reclaim_bucket(stripe_t *s, size_t i, uint64_t now_ms)
{
    for (entry_t **pp = &s->buckets[i]; *pp != NULL;) {
        entry_t *e = *pp;
        if (is_dead(e, now_ms)) {
            *pp = e->next;
            free(e);
            s->count--;
        } else {
            pp = &e->next;
        }
    }
}

static void reclaim_step(stripe_t *s, uint64_t now_ms)
{
    for (int i = 0; i < RECLAIM_STEP; i++) {
        reclaim_bucket(s, s->sweep, now_ms);
        s->sweep = (s->sweep + 1) & (s->nbuckets - 1);
    }
    if (s->nbuckets > MIN_BUCKETS && s->count < s->nbuckets / 8) resize(s, s->nbuckets / 2);
}

/* The entry for (kind, key) in its bucket, dead or alive, or NULL. */
static entry_t *lookup(const stripe_t *s, uint64_t h, uint8_t kind, const char *key, size_t key_len)
{
    for (entry_t *e = s->buckets[h & (s->nbuckets - 1)]; e != NULL; e = e->next)
        if (e->hash == h && e->kind == kind && e->key_len == key_len && memcmp(e->key, key, key_len) == 0)
            return e;
    return NULL;
}

/* The live entry for (kind, key) after reclaiming its bucket, or NULL. */
static entry_t *find(stripe_t *s, uint64_t h, uint8_t kind, const char *key, size_t key_len, uint64_t now_ms)
{
    reclaim_bucket(s, h & (s->nbuckets - 1), now_ms);
    return lookup(s, h, kind, key, key_len);
}

/* The GCRA entry for key, idle or not, without reclaiming its bucket: an
 * idle entry (TAT behind now) counts exactly as no entry, and reusing it
 * spares a free and a malloc per request on a key that is used often but
 * never near its limit. Nothing is freed here, so the entries that earlier
 * slots of a multi-key call hold stay valid; the sweep reclaims the rest. */
static entry_t *find_gcra(stripe_t *s, uint64_t h, const char *key, size_t key_len)
{
    return lookup(s, h, KIND_GCRA, key, key_len);
}

static entry_t *insert(stripe_t *s, uint64_t h, uint8_t kind, const char *key, size_t key_len)
{
    entry_t *e = malloc(sizeof(*e) + key_len);
    if (e == NULL) return NULL;
    *e = (entry_t){.hash = h, .kind = kind, .key_len = key_len};
    memcpy(e->key, key, key_len);
    entry_t **slot = &s->buckets[h & (s->nbuckets - 1)];
    e->next = *slot;
    *slot = e;
    if (++s->count > s->nbuckets) resize(s, s->nbuckets * 2);
    return e;
}

static uint64_t key_hash(const rl_shared_t *sh, const char *key, size_t key_len)
{
    unsigned char out[crypto_shorthash_BYTES];
    uint64_t h;
    crypto_shorthash(out, (const unsigned char *)key, key_len, sh->hash_key);
    memcpy(&h, out, sizeof(h));
    return h;
}

/* The stripe a hash belongs to: its top 6 bits (RL_MEM_STRIPES = 64). */
static unsigned stripe_index(uint64_t h)
{
    return (unsigned)(h >> 58);
}

_Static_assert(RL_MEM_STRIPES == 64, "stripe_index takes the top 6 bits of the hash");

/* Locks stripe i and takes a reclaim step in it. */
static stripe_t *lock_index(rl_shared_t *sh, unsigned i, uint64_t now_ms)
{
    stripe_t *s = &sh->stripes[i].s;
    pthread_mutex_lock(&s->mu);
    reclaim_step(s, now_ms);
    return s;
}

/* Locks and returns the stripe of `key` (after a reclaim step); *h is the
 * key's hash. */
static stripe_t *lock_stripe(rl_shared_t *sh, const char *key, size_t key_len, uint64_t now_ms, uint64_t *h)
{
    *h = key_hash(sh, key, key_len);
    return lock_index(sh, stripe_index(*h), now_ms);
}

/* A reclaim step in the next stripe of the round, unless another thread
 * holds it. Called with no lock held. */
static void reclaim_elsewhere(rl_shared_t *sh, uint64_t now_ms)
{
    unsigned i = atomic_fetch_add_explicit(&sh->sweep_stripe, 1, memory_order_relaxed) % RL_MEM_STRIPES;
    stripe_t *s = &sh->stripes[i].s;
    if (pthread_mutex_trylock(&s->mu) != 0) return;
    reclaim_step(s, now_ms);
    pthread_mutex_unlock(&s->mu);
}

/* ---- operations ---- */

/* One limit of a multi-key call while its stripes are locked. */
typedef struct slot {
    uint64_t h;   /* the key's hash */
    uint64_t tat; /* the bucket's TAT, a copy until the call commits */
    entry_t *e;   /* the key's entry; NULL = none (yet) */
    int same;     /* an earlier slot with the same key, or -1 */
} slot_t;

/* The stripes of the n slots, each once, in ascending order into idx; their
 * count. Every multi-key call locks in this order, so two calls never wait
 * for each other in a cycle. */
static size_t stripes_sorted(const slot_t *sl, size_t n, unsigned *idx)
{
    size_t ns = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned v = stripe_index(sl[i].h);
        size_t j = ns;
        while (j > 0 && idx[j - 1] > v)
            j--;
        if (j > 0 && idx[j - 1] == v) continue;
        memmove(&idx[j + 1], &idx[j], (ns - j) * sizeof(*idx));
        idx[j] = v;
        ns++;
    }
    return ns;
}

/* The index of an earlier request with the same key as reqs[i], or -1. */
static int earlier_same(const rl_gcra_req_t *reqs, const slot_t *sl, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (sl[j].h == sl[i].h && reqs[j].key_len == reqs[i].key_len &&
            memcmp(reqs[j].key, reqs[i].key, reqs[i].key_len) == 0)
            return (int)j;
    return -1;
}

/* Finds slot i's entry and TAT; a repeated key takes the earlier slot's
 * copy, so that it sees the earlier occurrence counted. */
static void read_slot(rl_shared_t *sh, const rl_gcra_req_t *reqs, slot_t *sl, size_t i)
{
    slot_t *s = &sl[i];
    s->same = earlier_same(reqs, sl, i);
    if (s->same >= 0) {
        s->e = sl[s->same].e;
        s->tat = sl[s->same].tat;
        return;
    }
    s->e = find_gcra(&sh->stripes[stripe_index(s->h)].s, s->h, reqs[i].key, reqs[i].key_len);
    s->tat = s->e != NULL ? s->e->a : 0;
}

/* Writes the admitted request's TATs: creates the missing entries first, so
 * that running out of memory leaves every bucket as it was (a new entry
 * holds TAT 0, the same as no entry). A repeated key's last occurrence
 * writes last, with the TAT that counts every occurrence. */
static int commit(rl_shared_t *sh, const rl_gcra_req_t *reqs, slot_t *sl, size_t n, uint64_t now_ms)
{
    for (size_t i = 0; i < n; i++) {
        slot_t *s = &sl[i];
        if (s->same >= 0) s->e = sl[s->same].e;
        if (s->e != NULL || rl_gcra_is_idle(s->tat, now_ms)) continue; /* idle: nothing to keep */
        s->e = insert(&sh->stripes[stripe_index(s->h)].s, s->h, KIND_GCRA, reqs[i].key, reqs[i].key_len);
        if (s->e == NULL) return -RL_ESHARED_STATE_UNAVAILABLE;
    }
    for (size_t i = 0; i < n; i++)
        if (sl[i].e != NULL) sl[i].e->a = sl[i].tat;
    return 0;
}

/* rl_shared_gcra_multi on the tables, 1 <= n <= RL_GCRA_MULTI_MAX: locks
 * the stripes involved (sorted), evaluates every bucket on a copy of its
 * TAT, writes back only when all admit, unlocks. */
static int gcra_multi(rl_shared_t *sh, const rl_gcra_req_t *reqs, size_t n, uint64_t now_ms, bool consume,
                      rl_gcra_result_t *res)
{
    slot_t sl[RL_GCRA_MULTI_MAX];
    unsigned idx[RL_GCRA_MULTI_MAX];
    int rc = 0;
    for (size_t i = 0; i < n; i++)
        sl[i].h = key_hash(sh, reqs[i].key, reqs[i].key_len);
    size_t ns = stripes_sorted(sl, n, idx);
    for (size_t k = 0; k < ns; k++)
        lock_index(sh, idx[k], now_ms);
    bool all = true;
    for (size_t i = 0; i < n; i++) {
        const rl_gcra_req_t *q = &reqs[i];
        read_slot(sh, reqs, sl, i);
        if (consume)
            all &= rl_gcra_check(q->limit, q->period_ms, now_ms, &sl[i].tat, &res[i]);
        else
            rl_gcra_peek(q->limit, q->period_ms, now_ms, sl[i].tat, &res[i]);
    }
    if (consume && all) {
        rc = commit(sh, reqs, sl, n, now_ms);
    } else if (consume) {
        /* Refused: nothing was written; the buckets that admitted it report
         * their untouched state. */
        for (size_t i = 0; i < n; i++)
            if (res[i].allowed)
                rl_gcra_peek(reqs[i].limit, reqs[i].period_ms, now_ms, sl[i].e != NULL ? sl[i].e->a : 0,
                             &res[i]);
    }
    for (size_t k = ns; k-- > 0;)
        pthread_mutex_unlock(&sh->stripes[idx[k]].s.mu);
    reclaim_elsewhere(sh, now_ms);
    return rc;
}

void rl_shared_gcra_multi(rl_shared_t *sh, const rl_gcra_req_t *reqs, size_t n, uint64_t now_ms, bool consume,
                          rl_gcra_multi_cb cb, void *ud)
{
    rl_gcra_result_t res[RL_GCRA_MULTI_MAX];
    int rc = n == 0 || n > RL_GCRA_MULTI_MAX ? -RL_EINTERNAL : gcra_multi(sh, reqs, n, now_ms, consume, res);
    if (cb != NULL) cb(ud, rc, rc < 0 ? NULL : res, rc < 0 ? 0 : n);
}

void rl_shared_gcra(rl_shared_t *sh, const char *key, size_t key_len, uint64_t limit, uint64_t period_ms,
                    uint64_t now_ms, rl_gcra_cb cb, void *ud)
{
    const rl_gcra_req_t q = {key, key_len, limit, period_ms};
    rl_gcra_result_t res;
    int rc = gcra_multi(sh, &q, 1, now_ms, true, &res);
    if (rc < 0) res = (rl_gcra_result_t){.limit = limit};
    if (cb != NULL) cb(ud, rc, &res);
}

void rl_shared_quota(rl_shared_t *sh, const char *key, size_t key_len, uint64_t limit, uint64_t n,
                     uint64_t expires_ms, uint64_t now_ms, rl_quota_cb cb, void *ud)
{
    uint64_t h;
    int rc = 0;
    rl_quota_result_t res = {.limit = limit};
    stripe_t *s = lock_stripe(sh, key, key_len, now_ms, &h);
    entry_t *e = find(s, h, KIND_QUOTA, key, key_len, now_ms);
    uint64_t used = e != NULL ? e->b : 0;
    /* used may exceed a limit lowered by a reload: nothing more passes. */
    res.allowed = used <= limit && n <= limit - used;
    if (res.allowed && n > 0) {
        if (e == NULL && (e = insert(s, h, KIND_QUOTA, key, key_len)) != NULL) e->a = expires_ms;
        if (e != NULL)
            e->b = used += n;
        else
            rc = -RL_ESHARED_STATE_UNAVAILABLE;
    }
    pthread_mutex_unlock(&s->mu);
    reclaim_elsewhere(sh, now_ms);
    if (rc < 0) {
        res = (rl_quota_result_t){.limit = limit};
    } else {
        res.used = used;
        res.remaining = used < limit ? limit - used : 0;
    }
    if (cb != NULL) cb(ud, rc, &res);
}

/* ---- open / close ---- */

size_t rl_mem_entry_count(rl_shared_t *sh)
{
    size_t n = 0;
    for (int i = 0; i < RL_MEM_STRIPES; i++) {
        stripe_t *s = &sh->stripes[i].s;
        pthread_mutex_lock(&s->mu);
        n += s->count;
        pthread_mutex_unlock(&s->mu);
    }
    return n;
}

static void stripe_free(stripe_t *s)
{
    for (size_t i = 0; i < s->nbuckets; i++)
        for (entry_t *e = s->buckets[i], *next; e != NULL; e = next) {
            next = e->next;
            free(e);
        }
    free(s->buckets);
    pthread_mutex_destroy(&s->mu);
}

static void errf(char *err, size_t errlen, const char *msg, const char *arg)
{
    if (err != NULL && errlen > 0) snprintf(err, errlen, msg, arg);
}

static rl_shared_t *memory_open(const char *rest, char *err, size_t errlen)
{
    if (*rest != '\0') {
        errf(err, errlen, "shared: memory:// takes no host or path%s", "");
        return NULL;
    }
    if (sodium_init() < 0) {
        errf(err, errlen, "shared: %s", "libsodium failed to initialize");
        return NULL;
    }
    rl_shared_t *sh = calloc(1, sizeof(*sh));
    if (sh == NULL || (sh->cache = rl_mem_cache_new()) == NULL) {
        free(sh);
        errf(err, errlen, "shared: %s", "out of memory");
        return NULL;
    }
    randombytes_buf(sh->hash_key, sizeof(sh->hash_key));
    atomic_init(&sh->sweep_stripe, 0);
    int i = 0;
    for (; i < RL_MEM_STRIPES; i++) {
        stripe_t *s = &sh->stripes[i].s;
        s->nbuckets = MIN_BUCKETS;
        if ((s->buckets = calloc(MIN_BUCKETS, sizeof(*s->buckets))) == NULL) break;
        if (pthread_mutex_init(&s->mu, NULL) != 0) {
            free(s->buckets);
            break;
        }
    }
    if (i < RL_MEM_STRIPES) {
        while (i-- > 0)
            stripe_free(&sh->stripes[i].s);
        rl_mem_cache_free(sh->cache);
        free(sh);
        errf(err, errlen, "shared: %s", "out of memory");
        return NULL;
    }
    return sh;
}

/* Backends by URL scheme. A network backend (redis://) joins this table
 * with its own open function. */
static const struct backend {
    const char *scheme;
    rl_shared_t *(*open)(const char *rest, char *err, size_t errlen);
} backends[] = {
    {"memory", memory_open},
};

rl_shared_t *rl_shared_open(const char *url, char *err, size_t errlen)
{
    const char *sep = url != NULL ? strstr(url, "://") : NULL;
    if (sep == NULL) {
        /* The URL itself is never echoed: it may hold a password. */
        errf(err, errlen, "shared: not a URL (expected memory://)%s", "");
        return NULL;
    }
    size_t n = (size_t)(sep - url);
    for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
        if (strlen(backends[i].scheme) == n && strncmp(url, backends[i].scheme, n) == 0)
            return backends[i].open(sep + 3, err, errlen);
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "shared: unsupported URL scheme '%.*s' (built in: memory://)",
                 (int)(n > 32 ? 32 : n), url);
    return NULL;
}

void rl_shared_close(rl_shared_t *sh)
{
    if (sh == NULL) return;
    for (int i = 0; i < RL_MEM_STRIPES; i++)
        stripe_free(&sh->stripes[i].s);
    rl_mem_cache_free(sh->cache);
    free(sh);
}
