/*
 * shard.c -- shard threads, listeners, cross-shard delivery. See shard.h.
 *
 * Per-iteration work of a shard (loop before_wait hook, `pump`):
 *   1. retry overflowed sends;
 *   2. pop every incoming queue and run the messages (bounded batch, so a
 *      flood from one shard cannot starve the sockets);
 *   3. if the stop flag is set and drain was not started: close the
 *      listener, call hooks->drain;
 *   4. announce sleep: sleeping = 1, fence, recheck queues (invariant 3).
 */
#include "net/shard.h"
#include "net/worker.h"
#include "util/log.h"
#include "util/mem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define XQ_CAP    4096
#define POP_BATCH 1024

struct xq_overflow {
    struct xq_overflow *next;
    xq_fn fn;
    void *arg;
};

int shard_default_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}

static int make_listener(const struct sockaddr_storage *addr, socklen_t len, char *err,
                         size_t errsz)
{
    int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errsz, "cannot create socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) {
        snprintf(err, errsz, "cannot set SO_REUSEPORT: %s", strerror(errno));
        close(fd);
        return -1;
    }
    if (bind(fd, (const struct sockaddr *)addr, len) < 0 || listen(fd, 1024) < 0) {
        snprintf(err, errsz, "cannot listen: %s", strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* Before any listener of ours exists, check that nobody else (another
 * ringdb with SO_REUSEPORT, or any process) holds the port: bind a probe
 * socket without SO_REUSEPORT. */
static int port_free(const struct sockaddr_storage *addr, socklen_t len, char *err, size_t errsz)
{
    int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    int rc = bind(fd, (const struct sockaddr *)addr, len);
    int e = errno;
    close(fd);
    if (rc < 0) {
        snprintf(err, errsz, "%s", strerror(e));
        return -1;
    }
    return 0;
}

int shard_group_init(struct shard_group *g, int n, const struct shard_hooks *hooks, void *hooks_arg,
                     const char *address, int port, char *err, size_t errsz)
{
    memset(g, 0, sizeof(*g));
    g->n = n;
    g->hooks = hooks;
    g->hooks_arg = hooks_arg;
    struct sockaddr_in *a4 = (struct sockaddr_in *)&g->addr;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&g->addr;
    if (inet_pton(AF_INET, address, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        g->addr_len = sizeof(*a4);
    } else if (inet_pton(AF_INET6, address, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        g->addr_len = sizeof(*a6);
    } else {
        snprintf(err, errsz, "invalid address '%s'", address);
        return -1;
    }
    char why[256];
    if (port_free(&g->addr, g->addr_len, why, sizeof(why)) < 0) {
        snprintf(err, errsz, "cannot listen on %s:%d: %s", address, port, why);
        return -1;
    }
    g->shards = mem_calloc((size_t)n, sizeof(struct shard));
    if (!g->shards) goto oom;
    for (int i = 0; i < n; i++) {
        struct shard *s = &g->shards[i];
        s->id = i;
        s->n_shards = n;
        s->group = g;
        s->listen_fd = -1;
        s->wake_fd = -1;
        s->in = mem_calloc((size_t)n, sizeof(struct xq));
        s->overflow = mem_calloc((size_t)n, sizeof(*s->overflow));
        s->overflow_tail = mem_calloc((size_t)n, sizeof(*s->overflow_tail));
        if (!s->in || !s->overflow || !s->overflow_tail) goto oom;
        for (int j = 0; j < n; j++)
            if (xq_init(&s->in[j], XQ_CAP) < 0) goto oom;
        s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (s->wake_fd < 0) {
            snprintf(err, errsz, "eventfd: %s", strerror(errno));
            goto fail;
        }
        s->listen_fd = make_listener(&g->addr, g->addr_len, why, sizeof(why));
        if (s->listen_fd < 0) {
            snprintf(err, errsz, "cannot listen on %s:%d: %s", address, port, why);
            goto fail;
        }
    }
    return 0;
oom:
    snprintf(err, errsz, "out of memory creating %d shards", n);
fail:
    shard_group_destroy(g);
    return -1;
}

void shard_group_destroy(struct shard_group *g)
{
    if (!g->shards) return;
    for (int i = 0; i < g->n; i++) {
        struct shard *s = &g->shards[i];
        if (s->in)
            for (int j = 0; j < g->n; j++)
                xq_destroy(&s->in[j]);
        if (s->overflow)
            for (int j = 0; j < g->n; j++) {
                struct xq_overflow *o = s->overflow[j];
                while (o) {
                    struct xq_overflow *nx = o->next;
                    mem_free(o);
                    o = nx;
                }
            }
        mem_free(s->in);
        mem_free(s->overflow);
        mem_free(s->overflow_tail);
        if (s->listen_fd >= 0) close(s->listen_fd);
        if (s->wake_fd >= 0) close(s->wake_fd);
    }
    mem_free(g->shards);
    g->shards = NULL;
}

static void wake(struct shard *to)
{
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&to->sleeping, memory_order_relaxed)) {
        uint64_t one = 1;
        ssize_t w = write(to->wake_fd, &one, sizeof(one));
        (void)w; /* EAGAIN means the counter is already non-zero: awake anyway */
    }
}

int shard_send(struct shard *from, int to, xq_fn fn, void *arg)
{
    struct shard *dst = &from->group->shards[to];
    /* Keep FIFO order: while older messages wait in overflow, queue behind them. */
    if (!from->overflow[to] && xq_push(&dst->in[from->id], fn, arg)) {
        wake(dst);
        return 0;
    }
    struct xq_overflow *o = mem_alloc(sizeof(*o));
    if (!o) return -1;
    o->next = NULL;
    o->fn = fn;
    o->arg = arg;
    if (from->overflow_tail[to])
        from->overflow_tail[to]->next = o;
    else
        from->overflow[to] = o;
    from->overflow_tail[to] = o;
    return 0;
}

static void retry_overflow(struct shard *s)
{
    for (int to = 0; to < s->n_shards; to++) {
        struct xq_overflow *o = s->overflow[to];
        if (!o) continue;
        struct shard *dst = &s->group->shards[to];
        while (o && xq_push(&dst->in[s->id], o->fn, o->arg)) {
            struct xq_overflow *nx = o->next;
            mem_free(o);
            o = nx;
        }
        s->overflow[to] = o;
        if (!o) s->overflow_tail[to] = NULL;
        wake(dst);
        if (o) loop_no_sleep(&s->loop);
    }
}

static int pop_all(struct shard *s)
{
    int n = 0;
    struct xq_msg m;
    for (int from = 0; from < s->n_shards; from++) {
        while (n < POP_BATCH && xq_pop(&s->in[from], &m)) {
            m.fn(s, m.arg);
            n++;
        }
    }
    s->n_msgs_in += (uint64_t)n;
    return n;
}

static int any_incoming(struct shard *s)
{
    for (int from = 0; from < s->n_shards; from++)
        if (!xq_empty(&s->in[from])) return 1;
    return 0;
}

static void on_listen(loop *l, void *arg, unsigned ev)
{
    struct shard *s = arg;
    for (int i = 0; i < 64; i++) {
        struct sockaddr_storage peer;
        socklen_t plen = sizeof(peer);
        int fd =
            accept4(s->listen_fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE)
                log_warn("accept: %s (connection refused until descriptors free up)",
                         strerror(errno));
            return;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        s->n_accepted++;
        s->group->hooks->accept(s, fd, &peer);
    }
}

static void on_wake(loop *l, void *arg, unsigned ev)
{
    struct shard *s = arg;
    uint64_t v;
    ssize_t r = read(s->wake_fd, &v, sizeof(v));
    (void)r;
}

static void pump(loop *l, void *arg)
{
    struct shard *s = arg;
    retry_overflow(s);
    if (pop_all(s) >= POP_BATCH) loop_no_sleep(l);
    if (worker_poll(s)) loop_no_sleep(l);
    if (atomic_load(&s->group->stop) && !s->draining) {
        s->draining = 1;
        if (s->listen_fd >= 0) {
            loop_del(l, &s->listen_io);
            close(s->listen_fd);
            s->listen_fd = -1;
        }
        s->group->hooks->drain(s);
        loop_no_sleep(l);
    }
    if (s->drained) {
        loop_stop(l);
        return;
    }
    atomic_store(&s->sleeping, 1);
    atomic_thread_fence(memory_order_seq_cst);
    if (any_incoming(s) || !worker_idle(s) || atomic_load(&s->group->stop) != s->draining)
        loop_no_sleep(l);
}

static void *shard_main(void *arg)
{
    struct shard *s = arg;
    struct shard_group *g = s->group;
    log_set_thread_shard(s->id);
    if (loop_init(&s->loop) < 0) {
        log_error("event loop: %s", strerror(errno));
        atomic_fetch_add(&g->n_failed, 1);
        return NULL;
    }
    s->loop.before_wait = pump;
    s->loop.before_wait_arg = s;
    if (loop_add(&s->loop, &s->wake_io, s->wake_fd, LOOP_READ, on_wake, s) < 0 ||
        loop_add(&s->loop, &s->listen_io, s->listen_fd, LOOP_READ, on_listen, s) < 0 ||
        g->hooks->start(s) < 0) {
        atomic_fetch_add(&g->n_failed, 1);
        loop_destroy(&s->loop);
        return NULL;
    }
    atomic_fetch_add(&g->n_started, 1);
    while (!s->loop.stop) {
        loop_run_once(&s->loop, -1);
        atomic_store(&s->sleeping, 0);
    }
    /* Deliver what other shards still send us during their own drain is not
     * needed: they stop after us only through the group flag. Run what is
     * queued so nothing sent to us leaks. */
    pop_all(s);
    worker_stop(s);
    g->hooks->stop(s);
    loop_destroy(&s->loop);
    return NULL;
}

int shard_group_start(struct shard_group *g, char *err, size_t errsz)
{
    for (int i = 0; i < g->n; i++) {
        int rc = pthread_create(&g->shards[i].thread, NULL, shard_main, &g->shards[i]);
        if (rc != 0) {
            snprintf(err, errsz, "cannot start shard thread: %s", strerror(rc));
            atomic_store(&g->stop, 1);
            for (int j = 0; j < i; j++)
                pthread_join(g->shards[j].thread, NULL);
            return -1;
        }
    }
    while (atomic_load(&g->n_started) + atomic_load(&g->n_failed) < g->n)
        usleep(1000);
    if (atomic_load(&g->n_failed)) {
        snprintf(err, errsz, "a shard failed to start");
        shard_group_stop(g);
        shard_group_join(g);
        return -1;
    }
    return 0;
}

void shard_group_stop(struct shard_group *g)
{
    atomic_store(&g->stop, 1);
    for (int i = 0; i < g->n; i++) {
        uint64_t one = 1;
        ssize_t w = write(g->shards[i].wake_fd, &one, sizeof(one));
        (void)w;
    }
}

void shard_group_join(struct shard_group *g)
{
    for (int i = 0; i < g->n; i++)
        pthread_join(g->shards[i].thread, NULL);
}

void shard_drain_done(struct shard *s)
{
    s->drained = 1;
}
