/* ingress.c — start and stop of the store and the audit writer for
 * `relais serve`, see ingress.h. */
#include "ingress/ingress.h"

#include "core/log.h"
#include "ingress/audit_writer.h"
#include "metrics/metrics.h"
#include "policy/auth_apikey.h"
#include "store/store.h"

/* Scrape-time collector: the writer's counters as deltas since the last
 * scrape (scrapes are serialized), and the slots held now. */
static void collect_audit(void *ud)
{
    static rl_audit_writer_stats_t seen;
    rl_audit_writer_t *w = ud;
    rl_audit_writer_stats_t st;
    rl_audit_writer_stats(w, &st);
    rl_metrics_audit_t d = {st.written - seen.written, st.failures - seen.failures, st.waits - seen.waits,
                            st.abandoned - seen.abandoned};
    seen = st;
    rl_metrics_audit(&d, (int64_t)atomic_load(&rl_audit_writer_slots(w)->held));
}

int rl_ingress_start(rl_server_t *s, const rl_config_t *cfg)
{
    rl_err_t err;
    int from = 0, to = 0;
    if (rl_store_open(cfg->store_url, &s->store, &err) != 0 ||
        rl_store_migrate(s->store, &from, &to, &err) != 0) {
        rl_log_error("%s", err.msg);
        return 1;
    }
    if (to != from) rl_log_info("store: schema migrated from version %d to %d", from, to);
    rl_audit_writer_cfg_t wc = {.queue = cfg->audit_queue,
                                .anonymize_after_ms = cfg->audit_anonymize_after_ms,
                                .retention_ms = cfg->audit_retention_ms};
    if (rl_audit_writer_start(&s->loop, s->store, &wc, &s->audit, &err) != 0) {
        rl_log_error("audit: %s", err.msg);
        return 1;
    }
    rl_metrics_add_collector(collect_audit, s->audit);
    return 0;
}

void rl_ingress_flush(rl_server_t *s)
{
    if (s->audit) rl_audit_writer_flush(s->audit);
    if (s->store) rl_auth_apikey_flush_uses(s->store);
}

void rl_ingress_stop(rl_server_t *s)
{
    if (s->audit) rl_metrics_remove_collector(collect_audit, s->audit);
    rl_audit_writer_stop(s->audit);
    s->audit = NULL;
    uv_run(&s->loop, UV_RUN_NOWAIT); /* the writer's handles close */
    /* The store stays open until exit: a thread-pool lookup started by a
     * worker whose client left during shutdown may still be using it. */
}
