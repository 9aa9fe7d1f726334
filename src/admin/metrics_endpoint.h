/* metrics_endpoint.h — GET /metrics on the admin listener: the Prometheus
 * text exposition of metrics/metrics.h. admin.c routes the path here after
 * its token check (DESIGN §6: required when admin_token is set). */
#ifndef RL_ADMIN_METRICS_ENDPOINT_H
#define RL_ADMIN_METRICS_ENDPOINT_H

#include "http/request.h"

/* Answers r (GET or HEAD) with the exposition, 200 and
 * RL_METRICS_CONTENT_TYPE, or 500 `internal` when it cannot be built. */
void rl_admin_metrics(rl_request_t *r);

#endif
