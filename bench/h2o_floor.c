/* h2o_floor.c — the benchmark's floor: the smallest h2o + libuv server
 * relais could be, answering every request with a fixed body on N threads
 * that share one listening socket, as relais' workers do. No routing, no
 * policies, no logs, no metrics. `relais cache hit / h2o floor` shows what
 * relais' own work costs; `h2o floor / nginx return 200` what the HTTP
 * library and the event loop cost against nginx's.
 *
 * Usage: h2o_floor PORT THREADS BODY_FILE */
#include <h2o.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

static h2o_globalconf_t gconf;
static int listen_fd;
static char *body;
static size_t body_len;

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    req->res.status = 200;
    req->res.reason = "OK";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("application/json"));
    h2o_send_inline(req, body, body_len);
    return 0;
}

static void on_close(uv_handle_t *h)
{
    free(h);
}

static void on_accept(uv_stream_t *lis, int status)
{
    if (status != 0) return;
    uv_tcp_t *conn = malloc(sizeof(*conn));
    if (conn == NULL) return;
    uv_tcp_init(lis->loop, conn);
    if (uv_accept(lis, (uv_stream_t *)conn) != 0) {
        uv_close((uv_handle_t *)conn, on_close);
        return;
    }
    uv_tcp_nodelay(conn, 1);
    h2o_accept(lis->data, h2o_uv_socket_create((uv_stream_t *)conn, on_close));
}

static void *run(void *arg)
{
    (void)arg;
    uv_loop_t loop;
    h2o_context_t ctx;
    uv_tcp_t lis;
    uv_loop_init(&loop);
    h2o_context_init(&ctx, &loop, &gconf);
    h2o_accept_ctx_t actx = {.ctx = &ctx, .hosts = gconf.hosts};
    uv_tcp_init(&loop, &lis);
    lis.data = &actx;
    if (uv_tcp_open(&lis, listen_fd) != 0 || uv_listen((uv_stream_t *)&lis, 4096, on_accept) != 0) abort();
    uv_run(&loop, UV_RUN_DEFAULT);
    return NULL;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *p = NULL;
    long n;
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
        (p = malloc((size_t)n + 1)) == NULL || fread(p, 1, (size_t)n, f) != (size_t)n) {
        perror(path);
        exit(1);
    }
    fclose(f);
    *len = (size_t)n;
    return p;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: h2o_floor PORT THREADS BODY_FILE\n");
        return 2;
    }
    int port = atoi(argv[1]), threads = atoi(argv[2]), one = 1;
    body = slurp(argv[3], &body_len);
    h2o_config_init(&gconf);
    h2o_hostconf_t *host = h2o_config_register_host(&gconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *pc = h2o_config_register_path(host, "/", 0);
    h2o_create_handler(pc, sizeof(h2o_handler_t))->on_req = on_req;
    struct sockaddr_in a = {
        .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (listen_fd < 0 || setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(listen_fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(listen_fd, 4096) != 0) {
        perror("listen");
        return 1;
    }
    pthread_t t[64];
    if (threads < 1 || threads > 64) threads = 1;
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, run, NULL);
    pthread_join(t[0], NULL);
    return 0;
}
