/* h2o_floor.c — the benchmark's floor: the smallest h2o server relais
 * could be, on the same event loop as relais' HTTP sockets (h2o's own),
 * answering every request with a fixed body on N threads, each with its own
 * SO_REUSEPORT listening socket, as relais' workers have. No routing, no
 * policies, no logs, no metrics. `relais cache hit / h2o floor` shows what
 * relais' own work costs; `h2o floor / nginx return 200` what the HTTP
 * library and the event loop cost against nginx's.
 *
 * Usage: h2o_floor PORT THREADS BODY_FILE */
#include <h2o.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

static h2o_globalconf_t gconf;
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

static void on_accept(h2o_socket_t *lis, const char *err)
{
    h2o_socket_t *sock;
    if (err != NULL) return;
    for (int i = 0; i < 16 && (sock = h2o_evloop_socket_accept(lis)) != NULL; i++)
        h2o_accept(lis->data, sock);
}

static int listen_on(int p)
{
    int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {
        .sin_family = AF_INET, .sin_port = htons((uint16_t)p), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 4096) != 0) {
        perror("listen");
        exit(1);
    }
    return fd;
}

static void *run(void *arg)
{
    int fd = (int)(intptr_t)arg;
    h2o_evloop_t *loop = h2o_evloop_create();
    h2o_context_t ctx;
    h2o_context_init(&ctx, loop, &gconf);
    h2o_accept_ctx_t actx = {.ctx = &ctx, .hosts = gconf.hosts};
    h2o_socket_t *lis = h2o_evloop_socket_create(loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    lis->data = &actx;
    h2o_socket_read_start(lis, on_accept);
    while (h2o_evloop_run(loop, INT32_MAX) == 0)
        ;
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
    int threads = atoi(argv[2]);
    int port = atoi(argv[1]);
    body = slurp(argv[3], &body_len);
    h2o_config_init(&gconf);
    h2o_hostconf_t *host = h2o_config_register_host(&gconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *pc = h2o_config_register_path(host, "/", 0);
    h2o_create_handler(pc, sizeof(h2o_handler_t))->on_req = on_req;
    pthread_t t[64];
    if (threads < 1 || threads > 64) threads = 1;
    int fds[64];
    for (int i = 0; i < threads; i++)
        fds[i] = listen_on(port); /* all bound before any thread runs */
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, run, (void *)(intptr_t)fds[i]);
    pthread_join(t[0], NULL);
    return 0;
}
