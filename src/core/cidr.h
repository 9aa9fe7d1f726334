/* cidr.h — IPv4 and IPv6 addresses and CIDR lists: parsing, matching, and
 * the effective client address behind trusted proxies (X-Forwarded-For).
 * Addresses are held as 16 bytes; an IPv4 address is stored v4-mapped
 * (::ffff:a.b.c.d), so "10.0.0.0/8" matches both 10.1.2.3 and
 * ::ffff:10.1.2.3. Pure functions, no allocation except rl_cidr_list_parse. */
#ifndef RL_CORE_CIDR_H
#define RL_CORE_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RL_IP_TEXT_MAX 46 /* INET6_ADDRSTRLEN */

typedef struct rl_ip {
    uint8_t b[16]; /* network order; IPv4 as ::ffff:a.b.c.d */
} rl_ip_t;

typedef struct rl_cidr {
    rl_ip_t net;     /* host bits cleared */
    unsigned prefix; /* 0–128, counted on the 16-byte form (IPv4 /8 is 104) */
} rl_cidr_t;

typedef struct rl_cidr_list {
    rl_cidr_t *items; /* malloc'd; owned by the list (rl_cidr_list_free) */
    size_t n;
} rl_cidr_list_t;

/* Parses an IPv4 or IPv6 address of `len` bytes ("10.0.0.1", "::1",
 * "::ffff:10.0.0.1"; no brackets, no zone, no port). 0 or -1. */
int rl_ip_parse(const char *s, size_t len, rl_ip_t *out);

/* True for an IPv4 address (held IPv4-mapped). */
bool rl_ip_is_v4(const rl_ip_t *ip);

/* Parses "addr/prefix" or a bare address (a host: /32 or /128). Host bits
 * set under the prefix ("10.0.0.1/8") are an error, so that a typo is not
 * silently widened. 0, or -1 with a reason in *why (a static string). */
int rl_cidr_parse(const char *s, size_t len, rl_cidr_t *out, const char **why);

/* True when `ip` is inside `c`. */
bool rl_cidr_match(const rl_cidr_t *c, const rl_ip_t *ip);

/* True when `ip` is inside any item of the list (false for an empty one). */
bool rl_cidr_list_match(const rl_cidr_list_t *l, const rl_ip_t *ip);

/* Parses `n` NUL-terminated strings into *out (items malloc'd, freed by
 * rl_cidr_list_free). On the first bad item returns -1 with its index in
 * *bad and the reason in *why, and *out is left empty. */
int rl_cidr_list_parse(const char *const *strs, size_t n, rl_cidr_list_t *out, size_t *bad, const char **why);
void rl_cidr_list_free(rl_cidr_list_t *l);

/* Formats `ip` as text (IPv4 for a v4-mapped address) into buf; length. */
size_t rl_ip_format(const rl_ip_t *ip, char *buf, size_t cap);

/* The effective client address. `peer` is the TCP peer; `xff` is the
 * X-Forwarded-For value (several headers joined with ","), or NULL. When
 * the peer is inside `trusted`, the entries of xff are walked from the right
 * and the first one not in `trusted` is the client; when every entry is
 * trusted, the left-most is. An unparsable entry stops the walk: the address
 * to its right (the last one a trusted proxy vouched for) is the client.
 * With the peer outside `trusted` (or an empty list) the peer is the client
 * and xff is ignored. */
rl_ip_t rl_ip_effective(const rl_ip_t *peer, const char *xff, size_t xff_len, const rl_cidr_list_t *trusted);

#endif
