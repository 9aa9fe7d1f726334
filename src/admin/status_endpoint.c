/* status_endpoint.c — provider status and run-time mode, see
 * status_endpoint.h. */
#include "admin/status_endpoint.h"

#include <jansson.h>
#include <string.h>

#include "core/calendar.h"
#include "http/envelope.h"
#include "providers/mode.h"
#include "upstream/provider_state.h"

static void on_quota(void *ud, int rc, const rl_quota_result_t *res)
{
    rl_quota_result_t *out = ud;
    if (rc >= 0) *out = *res;
}

static json_t *quota_json(rl_request_t *r, const rl_provider_cfg_t *p)
{
    rl_calendar_period_t per;
    uint64_t now = rl_wall_ms();
    char key[160];
    size_t klen = rl_pstate_quota_key(p, now, key, sizeof(key), &per);
    if (klen == 0) return json_null();
    rl_quota_result_t q = {.limit = p->quota.count, .remaining = p->quota.count};
    if (r->w->shared)
        rl_shared_quota(r->w->shared, key, klen, p->quota.count, 0, per.end_ms, now, on_quota, &q);
    return json_pack("{s:I,s:I,s:I,s:s,s:s,s:I}", "limit", (json_int_t)p->quota.count, "used",
                     (json_int_t)q.used, "remaining",
                     (json_int_t)(q.used >= p->quota.count ? 0 : p->quota.count - q.used), "period",
                     p->quota.calendar == RL_CALENDAR_MONTH ? "month" : "day", "key", per.key, "resets_in",
                     (json_int_t)((per.remaining_ms + 999) / 1000));
}

static json_t *probe_json(const rl_pstate_view_t *v)
{
    if (v->probe_at_ms == 0) return json_null();
    return json_pack("{s:I,s:b,s:i,s:I}", "at", (json_int_t)(v->probe_at_ms / 1000), "ok", v->probe_ok,
                     "status", v->probe_status, "latency_ms", (json_int_t)v->probe_latency_ms);
}

static json_t *provider_json(rl_request_t *r, size_t i)
{
    const rl_snapshot_t *s = r->snap;
    const rl_provider_cfg_t *p = &s->cfg->providers[i];
    const rl_provider_rt_t *rt = &s->providers[i];
    rl_pstate_view_t v;
    rl_pstate_view(rt->ps, rl_mono_ms(), &v);
    json_t *missing = json_array();
    for (size_t k = 0; k < rt->n_missing && k < 16; k++)
        json_array_append_new(missing, json_string(rt->missing[k]));
    int override = atomic_load(&rt->ps->mode_override);
    const char *breaker = !rt->ps->breaker ? "disabled" : rl_breaker_state_name(v.breaker);
    json_t *o =
        json_pack("{s:s,s:s?,s:s,s:s,s:s,s:s?,s:s,s:I,s:o,s:{s:I,s:I},s:f,s:I,s:o,s:o}", "name", p->name,
                  "preset", p->preset, "domain", p->domain ? p->domain : "generic", "mode",
                  rl_mode_name(rl_snapshot_provider_mode(s, i)), "configured_mode",
                  rl_mode_name(p->mode != RL_MODE_UNSET ? p->mode : s->cfg->mode), "mode_override",
                  override ? rl_mode_name((rl_mode_t)(override - 1)) : NULL, "breaker", breaker, "failures",
                  (json_int_t)v.failures, "last_probe", probe_json(&v), "latency_ms", "p50",
                  (json_int_t)v.p50_ms, "p95", (json_int_t)v.p95_ms, "error_rate", v.error_rate, "samples",
                  (json_int_t)v.samples, "quota", quota_json(r, p), "missing_env", missing);
    return o;
}

static void respond_json(rl_request_t *r, json_t *data)
{
    char *text = json_dumps(data, JSON_COMPACT);
    json_decref(data);
    if (text == NULL) {
        rl_respond_error(r, RL_EINTERNAL, NULL, "out of memory");
        return;
    }
    rl_respond_data(r, 200, text);
    free(text);
}

void rl_admin_status(rl_request_t *r, const char *name, size_t name_len)
{
    const rl_config_t *cfg = r->snap->cfg;
    if (name != NULL) {
        for (size_t i = 0; i < cfg->n_providers; i++)
            if (strlen(cfg->providers[i].name) == name_len &&
                memcmp(cfg->providers[i].name, name, name_len) == 0) {
                respond_json(r, provider_json(r, i));
                return;
            }
        rl_respond_error(r, RL_ENOT_FOUND, NULL, "no provider named '%.*s'",
                         (int)(name_len > 64 ? 64 : name_len), name);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < cfg->n_providers; i++)
        json_array_append_new(list, provider_json(r, i));
    int g = rl_mode_global_override();
    respond_json(r, json_pack("{s:s,s:s?,s:I,s:o}", "mode", rl_mode_name(cfg->mode), "mode_override",
                              g ? rl_mode_name((rl_mode_t)(g - 1)) : NULL, "config_generation",
                              (json_int_t)r->snap->generation, "providers", list));
}

void rl_admin_set_mode(rl_request_t *r)
{
    h2o_req_t *req = r->req;
    json_error_t jerr;
    json_t *body = json_loadb(req->entity.base ? req->entity.base : "", req->entity.len, 0, &jerr);
    if (!json_is_object(body)) {
        json_decref(body);
        rl_respond_error(r, RL_EBAD_REQUEST, NULL, "expected a JSON object like {\"mode\": \"mock\"}");
        return;
    }
    json_t *jm = json_object_get(body, "mode"), *jp = json_object_get(body, "provider");
    rl_mode_t m = RL_MODE_UNSET;
    if (!json_is_null(jm) && (!json_is_string(jm) || rl_mode_parse(json_string_value(jm), &m) != 0)) {
        json_decref(body);
        rl_respond_error(r, RL_EBAD_REQUEST, NULL, "mode: expected \"mock\", \"real\", \"auto\" or null");
        return;
    }
    if (jp != NULL && !json_is_string(jp)) {
        json_decref(body);
        rl_respond_error(r, RL_EBAD_REQUEST, NULL, "provider: expected a provider name");
        return;
    }
    int v = m == RL_MODE_UNSET ? 0 : (int)m + 1;
    const rl_config_t *cfg = r->snap->cfg;
    if (jp == NULL) {
        rl_mode_set_global_override(v);
        rl_log_info("mode: every provider now follows %s (PUT /admin/v1/mode)",
                    m ? rl_mode_name(m) : "the config");
        json_decref(body);
        rl_admin_status(r, NULL, 0);
        return;
    }
    const char *name = json_string_value(jp);
    for (size_t i = 0; i < cfg->n_providers; i++) {
        if (strcmp(cfg->providers[i].name, name) != 0) continue;
        rl_pstate_set_mode_override(r->snap->providers[i].ps, v);
        rl_log_info("mode: provider %s now follows %s (PUT /admin/v1/mode)", name,
                    m ? rl_mode_name(m) : "the config");
        json_decref(body);
        respond_json(r, provider_json(r, i));
        return;
    }
    rl_respond_error(r, RL_ENOT_FOUND, NULL, "no provider named '%.64s'", name);
    json_decref(body);
}
