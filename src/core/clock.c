/* clock.c — see clock.h. */
#include "core/clock.h"

#include <time.h>

static uint64_t read_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t rl_wall_ms(void)
{
    return read_ms(CLOCK_REALTIME);
}

uint64_t rl_mono_ms(void)
{
    return read_ms(CLOCK_MONOTONIC);
}
