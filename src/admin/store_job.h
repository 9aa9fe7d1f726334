/* store_job.h — running a store call for an admin request off the worker
 * loop: the call runs on the libuv thread pool, the answer is sent back on
 * the request's loop. If the client goes away meanwhile (the request is
 * disposed), a ticket in the request pool detaches the job and its answer
 * is dropped. Also the small helpers the store-backed endpoints share
 * (query parameters, paginated answers). */
#ifndef RL_ADMIN_STORE_JOB_H
#define RL_ADMIN_STORE_JOB_H

#include <jansson.h>

#include "http/request.h"
#include "store/store.h"

typedef struct rl_store_job rl_store_job_t;

/* Runs on the thread pool: do the store work, then set the answer with
 * rl_store_job_answer or rl_store_job_fail. Must not touch job->r. */
typedef void (*rl_store_job_fn)(rl_store_job_t *job);

struct rl_store_job {
    uv_work_t work;
    rl_request_t *r; /* NULL once the request is gone (worker thread only) */
    rl_store_job_t **ticket;
    rl_store_t *store;
    rl_store_job_fn fn;
    int64_t now_ms;
    void *arg;          /* the endpoint's parameters; freed with free() after */
    int status;         /* answer: HTTP status … */
    json_t *data;       /* … and the data (owned) */
    char page_kind;     /* a list: its cursor kind (0 = not a list) … */
    int has_more;       /* … whether more rows follow … */
    int64_t last_pos;   /* … and the position of the last row returned */
    rl_errcode_t error; /* or an error */
    char message[256];
};

/* Starts `fn` for r with `arg` (malloc'd, taken over). Answers 500 itself
 * if the job cannot start. */
void rl_store_job_start(rl_request_t *r, rl_store_job_fn fn, void *arg);

void rl_store_job_answer(rl_store_job_t *job, int status, json_t *data);

/* A page of a list: data plus the pagination meta built on the loop. */
void rl_store_job_answer_page(rl_store_job_t *job, json_t *data, char kind, int has_more, int64_t last_pos);
void rl_store_job_fail(rl_store_job_t *job, rl_errcode_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The query parameter `name` of r, percent-decoded, into out (cap bytes).
 * Returns 1 when present, 0 when absent, -1 when too long or malformed. */
int rl_admin_query(rl_request_t *r, const char *name, char *out, size_t cap);

/* Parses ?limit= (1–100, default 50) and ?cursor= (of `kind`) into *limit
 * and *after. Returns 0, or answers 400 bad_request / invalid_cursor and
 * returns -1. */
int rl_admin_page_or_respond(rl_request_t *r, char kind, size_t *limit, int64_t *after);

/* {"pagination":{"next_cursor":…|null,"has_more":…}} for a page whose last
 * row is at `last_pos`. */
json_t *rl_admin_page_meta(const char *secret_key, char kind, int has_more, int64_t last_pos);

/* Sends {"success":true,"data":…[,"meta":…]} with `status`. */
void rl_admin_send(rl_request_t *r, int status, json_t *data, json_t *meta);

#endif
