/* clock.h — the two clocks relais reads. Pure modules take time as a
 * parameter; these are what the I/O edges pass in. */
#ifndef RL_CORE_CLOCK_H
#define RL_CORE_CLOCK_H

#include <stdint.h>

/* Wall-clock milliseconds since the Unix epoch (quotas, dates, records). */
uint64_t rl_wall_ms(void);

/* Monotonic milliseconds (breakers, latencies, intervals). */
uint64_t rl_mono_ms(void);

#endif
