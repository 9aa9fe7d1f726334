/* cidr.c — addresses, CIDR lists and the X-Forwarded-For walk, see cidr.h.
 * Parsing goes through inet_pton on a bounded, NUL-terminated copy. */
#include "core/cidr.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool rl_ip_is_v4(const rl_ip_t *ip)
{
    return memcmp(ip->b, v4_mapped, 12) == 0;
}

int rl_ip_parse(const char *s, size_t len, rl_ip_t *out)
{
    char buf[64];
    if (len == 0 || len >= sizeof(buf)) return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (memchr(buf, '\0', len) != NULL) return -1;
    if (strchr(buf, ':') == NULL) {
        struct in_addr a4;
        if (inet_pton(AF_INET, buf, &a4) != 1) return -1;
        memcpy(out->b, v4_mapped, 12);
        memcpy(out->b + 12, &a4, 4);
        return 0;
    }
    return inet_pton(AF_INET6, buf, out->b) == 1 ? 0 : -1;
}

static int parse_prefix(const char *s, size_t len, unsigned max, unsigned *out)
{
    unsigned v = 0;
    if (len == 0 || len > 3 || (len > 1 && s[0] == '0')) return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v > max) return -1;
    *out = v;
    return 0;
}

static bool host_bits_clear(const rl_ip_t *ip, unsigned prefix)
{
    for (unsigned bit = prefix; bit < 128; bit++)
        if (ip->b[bit / 8] & (0x80u >> (bit % 8))) return false;
    return true;
}

int rl_cidr_parse(const char *s, size_t len, rl_cidr_t *out, const char **why)
{
    const char *slash = memchr(s, '/', len);
    size_t alen = slash ? (size_t)(slash - s) : len;
    rl_cidr_t c;
    if (rl_ip_parse(s, alen, &c.net) != 0) {
        *why = "not an IPv4 or IPv6 address";
        return -1;
    }
    bool v4 = rl_ip_is_v4(&c.net) && memchr(s, ':', alen) == NULL;
    c.prefix = 128;
    if (slash) {
        unsigned p;
        if (parse_prefix(slash + 1, len - alen - 1, v4 ? 32 : 128, &p) != 0) {
            *why = v4 ? "prefix length must be 0 to 32" : "prefix length must be 0 to 128";
            return -1;
        }
        c.prefix = v4 ? 96 + p : p;
    }
    if (!host_bits_clear(&c.net, c.prefix)) {
        *why = "address has bits set after the prefix length";
        return -1;
    }
    *out = c;
    return 0;
}

bool rl_cidr_match(const rl_cidr_t *c, const rl_ip_t *ip)
{
    unsigned full = c->prefix / 8, rest = c->prefix % 8;
    if (memcmp(c->net.b, ip->b, full) != 0) return false;
    if (rest == 0) return true;
    uint8_t mask = (uint8_t)(0xff00u >> rest);
    return (c->net.b[full] & mask) == (ip->b[full] & mask);
}

bool rl_cidr_list_match(const rl_cidr_list_t *l, const rl_ip_t *ip)
{
    for (size_t i = 0; l && i < l->n; i++)
        if (rl_cidr_match(&l->items[i], ip)) return true;
    return false;
}

int rl_cidr_list_parse(const char *const *strs, size_t n, rl_cidr_list_t *out, size_t *bad, const char **why)
{
    out->items = NULL;
    out->n = 0;
    if (n == 0) return 0;
    rl_cidr_t *items = calloc(n, sizeof(*items));
    if (items == NULL) abort();
    for (size_t i = 0; i < n; i++) {
        if (rl_cidr_parse(strs[i], strlen(strs[i]), &items[i], why) != 0) {
            *bad = i;
            free(items);
            return -1;
        }
    }
    out->items = items;
    out->n = n;
    return 0;
}

void rl_cidr_list_free(rl_cidr_list_t *l)
{
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

/* Dotted quad by hand: inet_ntop goes through sprintf, and the proxy formats
 * the client's address on every request (X-Forwarded-For). */
static size_t format_v4(const uint8_t *a, char *buf, size_t cap)
{
    char tmp[16], *o = tmp;
    for (int i = 0; i < 4; i++) {
        unsigned v = a[i];
        if (v >= 100) *o++ = (char)('0' + v / 100);
        if (v >= 10) *o++ = (char)('0' + v / 10 % 10);
        *o++ = (char)('0' + v % 10);
        *o++ = i < 3 ? '.' : '\0';
    }
    size_t n = (size_t)(o - tmp) - 1;
    if (n >= cap) {
        if (cap) buf[0] = '\0';
        return 0;
    }
    memcpy(buf, tmp, n + 1);
    return n;
}

size_t rl_ip_format(const rl_ip_t *ip, char *buf, size_t cap)
{
    if (rl_ip_is_v4(ip)) return format_v4(ip->b + 12, buf, cap);
    const char *p = inet_ntop(AF_INET6, ip->b, buf, (socklen_t)cap);
    if (p == NULL) {
        if (cap) buf[0] = '\0';
        return 0;
    }
    return strlen(buf);
}

static void trim(const char **s, const char **e)
{
    while (*s < *e && (**s == ' ' || **s == '\t'))
        (*s)++;
    while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
        (*e)--;
}

rl_ip_t rl_ip_effective(const rl_ip_t *peer, const char *xff, size_t xff_len, const rl_cidr_list_t *trusted)
{
    rl_ip_t client = *peer;
    if (xff == NULL || trusted == NULL || !rl_cidr_list_match(trusted, peer)) return client;
    const char *end = xff + xff_len;
    while (end > xff) {
        const char *start = end;
        while (start > xff && start[-1] != ',')
            start--;
        const char *s = start, *e = end;
        trim(&s, &e);
        end = start > xff ? start - 1 : xff;
        if (s == e) continue; /* empty list element ("a,,b") */
        rl_ip_t ip;
        if (rl_ip_parse(s, (size_t)(e - s), &ip) != 0) break;
        client = ip;
        if (!rl_cidr_list_match(trusted, &ip)) break;
    }
    return client;
}
