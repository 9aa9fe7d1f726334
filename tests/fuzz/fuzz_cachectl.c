/* fuzz_cachectl.c — libFuzzer driver for the response-cache header parsers
 * (policy/cachekey.h): Cache-Control, Expires and Vary. The input is split
 * at its first two NUL bytes into Cache-Control, Expires and Vary (each an
 * exact-size copy, so ASan sees any read past it). A storable answer never
 * lives longer than the route's ttl nor for 0 ms; no-store in front of any
 * Cache-Control makes it unstorable; a Vary that is covered stays covered
 * when more names are allowed, and "*" in front of any Vary is never
 * covered. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/cachekey.h"

static char *copy(const uint8_t *p, size_t n)
{
    char *c = malloc(n ? n : 1);
    if (c == NULL) abort();
    memcpy(c, p, n);
    return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *z1 = memchr(data, 0, size);
    size_t ncc = z1 ? (size_t)(z1 - data) : size;
    const uint8_t *ex = z1 ? z1 + 1 : data + size;
    size_t rest = size - (size_t)(ex - data);
    const uint8_t *z2 = memchr(ex, 0, rest);
    size_t nex = z2 ? (size_t)(z2 - ex) : rest;
    const uint8_t *va = z2 ? z2 + 1 : ex + nex;
    size_t nva = size - (size_t)(va - data);
    char *cc = copy(data, ncc), *expires = copy(ex, nex), *vary = copy(va, nva);

    const uint64_t route_ttl = 60000, now = 1700000000000ull;
    uint64_t ttl = 0;
    if (rl_cache_storable(200, cc, ncc, z1 ? expires : NULL, nex, now, route_ttl, &ttl) &&
        (ttl == 0 || ttl > route_ttl))
        abort();
    char *nocc = malloc(ncc + 10);
    if (nocc == NULL) abort();
    memcpy(nocc, "no-store,", 9);
    memcpy(nocc + 9, cc, ncc);
    if (rl_cache_storable(200, nocc, ncc + 9, NULL, 0, now, route_ttl, &ttl)) abort();
    if (rl_cache_storable(503, cc, ncc, NULL, 0, now, route_ttl, &ttl)) abort();

    char accept[] = "accept", lang[] = "accept-language";
    char *one[] = {accept}, *two[] = {accept, lang};
    if (rl_cache_vary_covered(vary, nva, one, 1, false) && !rl_cache_vary_covered(vary, nva, two, 2, true))
        abort();
    char *star = malloc(nva + 3);
    if (star == NULL) abort();
    memcpy(star, "*, ", 3);
    memcpy(star + 3, vary, nva);
    if (rl_cache_vary_covered(star, nva + 3, two, 2, true)) abort();

    free(star);
    free(nocc);
    free(cc);
    free(expires);
    free(vary);
    return 0;
}
