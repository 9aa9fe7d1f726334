/* calendar.c — UTC periods for calendar quotas; civil-date conversions after
 * Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms": eras of 400
 * years (146097 days) starting on March 1st, so the leap day is the last day
 * of the year and month lengths follow a linear formula. */
#include "core/calendar.h"

/* 10000-01-01T00:00:00Z: keys stay four-digit years. */
#define RL_CALENDAR_MAX_MS 253402300800000ull

int64_t rl_calendar_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;                                   /* [0, 399] */
    const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

void rl_calendar_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    days += 719468;
    const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const int64_t doe = days - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

unsigned rl_calendar_days_in_month(int64_t y, unsigned m)
{
    static const unsigned char len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12) return 0;
    if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) return 29;
    return len[m - 1];
}

/* Writes v (< 10^width) as `width` zero-padded digits. */
static char *put_digits(char *p, unsigned v, int width)
{
    for (int i = width - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
    return p + width;
}

int rl_calendar_period(int unit, uint64_t now_ms, rl_calendar_period_t *out)
{
    if ((unit != RL_CALENDAR_DAY && unit != RL_CALENDAR_MONTH) || now_ms >= RL_CALENDAR_MAX_MS) return -1;
    const int64_t days = (int64_t)(now_ms / RL_MS_PER_DAY);
    int64_t y;
    unsigned m, d;
    rl_calendar_civil_from_days(days, &y, &m, &d);
    int64_t start, end;
    char *p = put_digits(out->key, (unsigned)y, 4);
    *p++ = '-';
    p = put_digits(p, m, 2);
    if (unit == RL_CALENDAR_DAY) {
        start = days;
        end = days + 1;
        *p++ = '-';
        p = put_digits(p, d, 2);
    } else {
        start = days - (d - 1);
        end = start + rl_calendar_days_in_month(y, m);
    }
    *p = '\0';
    out->start_ms = (uint64_t)start * RL_MS_PER_DAY;
    out->end_ms = (uint64_t)end * RL_MS_PER_DAY;
    out->remaining_ms = out->end_ms - now_ms;
    return 0;
}
