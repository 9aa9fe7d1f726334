/* handler.h — the one catch-all h2o handler per listener: relais' own
 * dispatch (health, admin API, router → proxy) runs from here. */
#ifndef RL_HTTP_HANDLER_H
#define RL_HTTP_HANDLER_H

#include "http/worker.h"

/* Registers the public (admin = 0) or admin (admin = 1) handler on
 * `pathconf` for worker `w`. */
void rl_handler_register(h2o_pathconf_t *pathconf, rl_worker_t *w, int admin);

#endif
