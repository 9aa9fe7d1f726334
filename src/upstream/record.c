/* record.c — record mode, see record.h. */
#include "upstream/record.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "upstream/mock.h"

static atomic_bool record_all;

void rl_record_all(bool on)
{
    atomic_store(&record_all, on);
}

struct rl_recorder {
    char *dir, *method, *path, *query, *req_body;
    size_t req_body_len;
    int status;
    rl_mock_header_t *hdrs;
    size_t n_hdrs;
    char *body;
    size_t body_len;
    bool too_big;
    const char *secrets[16]; /* borrowed from the snapshot's config / request pool */
    size_t n_secrets;
};

typedef struct write_job {
    uv_work_t work;
    char *dir, *name, *text;
} write_job_t;

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d == NULL) abort();
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static void add_secret(rl_recorder_t *rec, const char *s)
{
    if (s && strlen(s) >= 4 && rec->n_secrets < 16) rec->secrets[rec->n_secrets++] = s;
}

rl_recorder_t *rl_record_begin(rl_request_t *r, const rl_provider_cfg_t *p, h2o_iovec_t path)
{
    if (!p->mock.record && !atomic_load(&record_all)) return NULL;
    h2o_req_t *req = r->req;
    rl_recorder_t *rec = calloc(1, sizeof(*rec));
    if (rec == NULL) return NULL;
    if (p->mock.dir) {
        rec->dir = strdup(p->mock.dir);
    } else if (asprintf(&rec->dir, "mocks/%s", p->name) < 0) {
        rec->dir = NULL;
    }
    rec->method = dup_n(req->method.base, req->method.len);
    rec->path = dup_n(path.base, path.len);
    if (req->query_at != SIZE_MAX)
        rec->query = dup_n(req->path.base + req->query_at + 1, req->path.len - req->query_at - 1);
    if (req->entity.base) {
        rec->req_body = dup_n(req->entity.base, req->entity.len);
        rec->req_body_len = req->entity.len;
    }
    const rl_auth_cfg_t *a = &p->auth;
    const char *secrets[] = {a->api_key.key,         a->bearer.token,     a->basic.username,
                             a->basic.password,      a->oauth2.client_id, a->oauth2.client_secret,
                             a->hmac.secret,         a->sigv4.access_key, a->sigv4.secret_key,
                             a->sigv4.session_token, r->outbound_token};
    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
        add_secret(rec, secrets[i]);
    return rec;
}

void rl_record_head(rl_recorder_t *rec, int status, const rl_hdr_t *hdrs, size_t n)
{
    rec->status = status;
    rec->hdrs = calloc(n ? n : 1, sizeof(*rec->hdrs));
    if (rec->hdrs == NULL) abort();
    for (size_t i = 0; i < n; i++)
        rec->hdrs[i] = (rl_mock_header_t){dup_n(hdrs[i].name, hdrs[i].name_len),
                                          dup_n(hdrs[i].value, hdrs[i].value_len)};
    rec->n_hdrs = n;
}

void rl_record_body(rl_recorder_t *rec, const char *p, size_t n)
{
    if (rec->too_big) return;
    if (rec->body_len + n > RL_RECORD_MAX_BODY) {
        rec->too_big = true;
        return;
    }
    char *b = realloc(rec->body, rec->body_len + n + 1);
    if (b == NULL) abort();
    memcpy(b + rec->body_len, p, n);
    rec->body = b;
    rec->body_len += n;
}

static void rec_free(rl_recorder_t *rec)
{
    for (size_t i = 0; i < rec->n_hdrs; i++) {
        free((char *)rec->hdrs[i].name);
        free((char *)rec->hdrs[i].value);
    }
    free(rec->hdrs);
    free(rec->dir);
    free(rec->method);
    free(rec->path);
    free(rec->query);
    free(rec->req_body);
    free(rec->body);
    free(rec);
}

/* mkdir -p */
static void make_dirs(char *dir)
{
    for (char *s = dir + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        mkdir(dir, 0755);
        *s = '/';
    }
    mkdir(dir, 0755);
}

static void do_write(uv_work_t *w)
{
    write_job_t *j = w->data;
    make_dirs(j->dir);
    char path[4096];
    size_t len = strlen(j->name);
    const char *stem_end = len > 5 ? j->name + len - 5 : j->name + len; /* before ".json" */
    for (int i = 1; i < 1000; i++) {
        if (i == 1)
            snprintf(path, sizeof(path), "%s/%s", j->dir, j->name);
        else
            snprintf(path, sizeof(path), "%s/%.*s-%d.json", j->dir, (int)(stem_end - j->name), j->name, i);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd < 0 && errno == EEXIST) continue;
        if (fd < 0) break;
        size_t n = strlen(j->text), off = 0;
        while (off < n) {
            ssize_t k = write(fd, j->text + off, n - off);
            if (k <= 0) break;
            off += (size_t)k;
        }
        close(fd);
        rl_log_info("record: wrote %s", path);
        return;
    }
    rl_log_warn("record: could not write a fixture into %s", j->dir);
}

static void after_write(uv_work_t *w, int status)
{
    (void)status;
    write_job_t *j = w->data;
    free(j->dir);
    free(j->name);
    free(j->text);
    free(j);
}

void rl_record_end(rl_recorder_t *rec, rl_request_t *r, bool ok)
{
    if (rec == NULL) return;
    if (!ok || rec->too_big || rec->dir == NULL || rec->status == 0) {
        rec_free(rec);
        return;
    }
    rl_mock_exchange_t ex = {
        .method = rec->method,
        .path = rec->path,
        .query = rec->query,
        .req_body = rec->req_body,
        .req_body_len = rec->req_body_len,
        .status = rec->status,
        .resp_headers = rec->hdrs,
        .n_resp_headers = rec->n_hdrs,
        .resp_body = rec->body ? rec->body : "",
        .resp_body_len = rec->body_len,
    };
    char *text = rl_mock_record(&ex, rec->secrets, rec->n_secrets);
    write_job_t *j = calloc(1, sizeof(*j));
    char name[128];
    if (text == NULL || j == NULL) {
        free(text);
        free(j);
        rec_free(rec);
        return;
    }
    rl_mock_record_filename(rec->method, rec->path, rec->status, name, sizeof(name));
    j->dir = rec->dir;
    rec->dir = NULL;
    j->name = strdup(name);
    j->text = text;
    j->work.data = j;
    rec_free(rec);
    if (uv_queue_work(&r->w->loop, &j->work, do_write, after_write) != 0) after_write(&j->work, 0);
}
