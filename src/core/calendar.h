/* calendar.h — UTC calendar arithmetic for quotas and HTTP dates.
 * A calendar quota ("5000/day", "10000/month") counts under a key that names
 * its period ("...:2026-11-21", "...:2026-11") and expires when the period
 * ends (next UTC midnight, first of next month at 00:00 UTC).
 * Pure arithmetic on the proleptic Gregorian calendar (H. Hinnant's
 * days_from_civil): no time zone, no locale, no libc time functions. */
#ifndef RL_CORE_CALENDAR_H
#define RL_CORE_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#define RL_MS_PER_DAY 86400000ull

/* Period units; the same letters as rl_rate_t.calendar in core/units.h. */
enum { RL_CALENDAR_DAY = 'd', RL_CALENDAR_MONTH = 'm' };

/* Longest key suffix plus NUL ("YYYY-MM-DD"). */
#define RL_CALENDAR_KEY_MAX 11

typedef struct rl_calendar_period {
    char key[RL_CALENDAR_KEY_MAX]; /* "2026-11-21" (day) or "2026-11" (month) */
    uint64_t start_ms;             /* first ms of the period */
    uint64_t end_ms;               /* first ms of the next period */
    uint64_t remaining_ms;         /* end_ms - now_ms, always >= 1 */
} rl_calendar_period_t;

/* The UTC period of `unit` (RL_CALENDAR_DAY or RL_CALENDAR_MONTH) that holds
 * `now_ms` (ms since the Unix epoch). Returns 0 and fills *out, or -1 (out
 * untouched) for an unknown unit or a time at or after year 10000. */
int rl_calendar_period(int unit, uint64_t now_ms, rl_calendar_period_t *out);

/* Days since 1970-01-01 of the civil date y-m-d (m 1..12, d 1..31; not
 * validated). Negative before 1970. */
int64_t rl_calendar_days_from_civil(int64_t y, unsigned m, unsigned d);

/* The inverse: the civil date of `days` since 1970-01-01. */
void rl_calendar_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/* Number of days in month m (1..12) of year y; 0 for a bad month. */
unsigned rl_calendar_days_in_month(int64_t y, unsigned m);

#endif
