/* units.h — strict parsers for the value forms of relais.yaml:
 * durations ("250ms", "30s", "5m", "1h", "1d"), sizes ("512", "16KiB",
 * "10MiB", "1GiB"; also KB/MB/GB as powers of 1000) and rates ("100/s",
 * "100/min", "1000/hour", "5000/day", "10000/month").
 * Strict: no spaces, no signs, no fractions, no overflow, a unit is required
 * for durations and rates. Pure functions, no allocation. */
#ifndef RL_CORE_UNITS_H
#define RL_CORE_UNITS_H

#include <stddef.h>
#include <stdint.h>

typedef struct rl_rate {
    uint64_t count;     /* events allowed … */
    uint64_t period_ms; /* … per this period (month = 30 days for rates) */
    int calendar;       /* 0 = rolling; 'd' = UTC day, 'm' = UTC month (for quotas) */
} rl_rate_t;

/* Each returns 0 and writes the value, or -1 (and leaves *out alone) when
 * `s` is not a valid value of that kind. */
int rl_parse_duration_ms(const char *s, uint64_t *out);
int rl_parse_size(const char *s, uint64_t *out);
int rl_parse_rate(const char *s, rl_rate_t *out);

#endif
