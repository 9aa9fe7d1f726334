/* units.c — strict parsers for durations, sizes and rates, see units.h.
 *
 * Every form is <digits><unit> with nothing else around it: no spaces, no
 * sign, no fraction, units case-sensitive. The number and the product with
 * the unit are both checked for overflow, so "99999999999999999999d" is an
 * error rather than a wrapped value. Rates need a count of at least 1. */
#include "core/units.h"

#include <string.h>

typedef struct unit {
    const char *name;
    uint64_t mult;
    int calendar;
} unit_t;

static const unit_t duration_units[] = {
    {"ms", 1, 0}, {"s", 1000, 0}, {"m", 60000, 0}, {"h", 3600000, 0}, {"d", 86400000, 0},
};

static const unit_t size_units[] = {
    {"", 1, 0},      {"KiB", 1024, 0},       {"MiB", 1024 * 1024, 0},       {"GiB", 1024 * 1024 * 1024, 0},
    {"KB", 1000, 0}, {"MB", 1000 * 1000, 0}, {"GB", 1000 * 1000 * 1000, 0},
};

#define DAY_MS 86400000ull
static const unit_t rate_units[] = {
    {"s", 1000, 0},       {"sec", 1000, 0},
    {"second", 1000, 0},  {"min", 60000, 0},
    {"minute", 60000, 0}, {"h", 3600000, 0},
    {"hour", 3600000, 0}, {"d", DAY_MS, 'd'},
    {"day", DAY_MS, 'd'}, {"month", 30 * DAY_MS, 'm'},
};

/* Reads one or more decimal digits at *p into *out; -1 on no digit or on
 * overflow. Advances *p past the digits. */
static int parse_digits(const char **p, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    if (*s < '0' || *s > '9') return -1;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (uint64_t)(*s - '0'), &v))
            return -1;
    }
    *p = s;
    *out = v;
    return 0;
}

static const unit_t *find_unit(const unit_t *tab, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(tab[i].name, name) == 0) return &tab[i];
    return NULL;
}

/* Parses "<digits><unit>" against `tab` and writes digits × unit. */
static int parse_scaled(const char *s, const unit_t *tab, size_t n, uint64_t *out, const unit_t **unit)
{
    uint64_t v, r;
    if (s == NULL || parse_digits(&s, &v) < 0) return -1;
    const unit_t *u = find_unit(tab, n, s);
    if (u == NULL || __builtin_mul_overflow(v, u->mult, &r)) return -1;
    *out = r;
    if (unit) *unit = u;
    return 0;
}

int rl_parse_duration_ms(const char *s, uint64_t *out)
{
    return parse_scaled(s, duration_units, sizeof(duration_units) / sizeof(duration_units[0]), out, NULL);
}

int rl_parse_size(const char *s, uint64_t *out)
{
    return parse_scaled(s, size_units, sizeof(size_units) / sizeof(size_units[0]), out, NULL);
}

int rl_parse_rate(const char *s, rl_rate_t *out)
{
    uint64_t count;
    if (s == NULL || parse_digits(&s, &count) < 0 || count == 0 || *s != '/') return -1;
    const unit_t *u = find_unit(rate_units, sizeof(rate_units) / sizeof(rate_units[0]), s + 1);
    if (u == NULL) return -1;
    *out = (rl_rate_t){count, u->mult, u->calendar};
    return 0;
}
