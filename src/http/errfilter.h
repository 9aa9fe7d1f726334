/* errfilter.h — an h2o response filter that turns the few errors h2o sends
 * by itself, before relais' handler runs (413 for an over-long body, 400 for
 * broken chunked encoding, 417…), into relais' JSON envelope with a request
 * id, so that every error a client sees has the same shape. */
#ifndef RL_HTTP_ERRFILTER_H
#define RL_HTTP_ERRFILTER_H

#include "http/worker.h"

/* Registers the filter on `pathconf`. */
void rl_errfilter_register(h2o_pathconf_t *pathconf);

#endif
