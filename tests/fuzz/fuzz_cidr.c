/* fuzz_cidr.c — libFuzzer driver for CIDR parsing and the X-Forwarded-For
 * walk. Invariants: a parsed CIDR matches its own network address and
 * formats back into an address that parses again; the effective address of
 * an untrusted peer is the peer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cidr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    rl_cidr_t c;
    const char *why = NULL;
    if (rl_cidr_parse(s, size, &c, &why) == 0) {
        if (!rl_cidr_match(&c, &c.net) || c.prefix > 128) abort();
        char buf[RL_IP_TEXT_MAX];
        size_t n = rl_ip_format(&c.net, buf, sizeof(buf));
        rl_ip_t back;
        if (n == 0 || rl_ip_parse(buf, n, &back) != 0 || memcmp(back.b, c.net.b, 16) != 0) abort();
    } else if (why == NULL) {
        abort();
    }
    const char *trusted[] = {"127.0.0.0/8", "::1", "10.0.0.0/8"};
    rl_cidr_list_t l;
    size_t bad;
    if (rl_cidr_list_parse(trusted, 3, &l, &bad, &why) != 0) abort();
    rl_ip_t peer, other;
    rl_ip_parse("127.0.0.1", 9, &peer);
    rl_ip_parse("8.8.8.8", 7, &other);
    rl_ip_t e = rl_ip_effective(&peer, s, size, &l);
    (void)e;
    e = rl_ip_effective(&other, s, size, &l);
    if (memcmp(e.b, other.b, 16) != 0) abort();
    rl_cidr_list_free(&l);
    return 0;
}
