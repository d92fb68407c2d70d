/*
 * bench_conn.c -- connection and round-trip figures for a running server.
 *
 *   build/bench/bench_conn [--host 127.0.0.1] [--port 9042] [--seconds 5]
 *
 * Measures, each for --seconds:
 *   1. connections/s: connect + OPTIONS -> SUPPORTED + close, one at a time;
 *   2. OPTIONS -> SUPPORTED round trips/s on 1 connection (one in flight);
 *   3. the same on 64 connections, one thread each (64 in flight).
 * Protocol v4 envelopes, blocking sockets, plain libc + pthreads. OPTIONS
 * needs no STARTUP, so this measures the transport layer alone. It prints
 * figures and never fails on speed; it exits non-zero only when the server
 * cannot be reached or answers something other than SUPPORTED.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define N_THREADS    64
#define OP_OPTIONS   0x05
#define OP_SUPPORTED 0x06

static const char *g_host = "127.0.0.1";
static int g_port = 9042;
static double g_seconds = 5.0;
static struct sockaddr_storage g_addr;
static socklen_t g_addrlen;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int resolve(void)
{
    struct addrinfo hints, *res = NULL;
    char port[16];
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(port, sizeof port, "%d", g_port);
    int rc = getaddrinfo(g_host, port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "bench_conn: %s: %s\n", g_host, gai_strerror(rc));
        return -1;
    }
    memcpy(&g_addr, res->ai_addr, res->ai_addrlen);
    g_addrlen = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static int dial(void)
{
    int fd = socket(g_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&g_addr, g_addrlen) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_all(int fd, uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t r = recv(fd, p, n, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* One OPTIONS -> SUPPORTED exchange on stream `stream`. 0 on success. */
static int options_roundtrip(int fd, int16_t stream)
{
    uint8_t req[9] = {
        0x04, 0x00, (uint8_t)((uint16_t)stream >> 8), (uint8_t)stream, OP_OPTIONS, 0, 0, 0, 0};
    uint8_t hdr[9];
    uint8_t body[4096];
    if (write_all(fd, req, sizeof req) != 0) return -1;
    if (read_all(fd, hdr, sizeof hdr) != 0) return -1;
    uint32_t len =
        ((uint32_t)hdr[5] << 24) | ((uint32_t)hdr[6] << 16) | ((uint32_t)hdr[7] << 8) | hdr[8];
    if (hdr[0] != 0x84 || hdr[4] != OP_SUPPORTED) {
        fprintf(stderr, "bench_conn: unexpected answer: version 0x%02x opcode 0x%02x\n", hdr[0],
                hdr[4]);
        return -1;
    }
    while (len > 0) {
        size_t chunk = len < sizeof body ? len : sizeof body;
        if (read_all(fd, body, chunk) != 0) return -1;
        len -= (uint32_t)chunk;
    }
    return 0;
}

static int bench_connections(void)
{
    double start = now_s(), end = start + g_seconds, t;
    long n = 0;
    while ((t = now_s()) < end) {
        int fd = dial();
        if (fd < 0) {
            perror("bench_conn: connect");
            return -1;
        }
        int rc = options_roundtrip(fd, 0);
        close(fd);
        if (rc != 0) return -1;
        n++;
    }
    double el = now_s() - start;
    printf("connections/s (connect+OPTIONS+close, serial): %10.0f  (%ld in %.2f s, %.1f us each)\n",
           (double)n / el, n, el, el * 1e6 / (double)(n ? n : 1));
    return 0;
}

struct worker {
    pthread_t tid;
    long count;
    int failed;
    double deadline;
};

static atomic_int g_go;

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    int fd = dial();
    if (fd < 0) {
        w->failed = 1;
        return NULL;
    }
    while (!atomic_load(&g_go))
        sched_yield();
    int16_t stream = 0;
    while (now_s() < w->deadline) {
        if (options_roundtrip(fd, stream) != 0) {
            w->failed = 1;
            break;
        }
        stream = (int16_t)((stream + 1) & 0x7fff);
        w->count++;
    }
    close(fd);
    return NULL;
}

static int bench_roundtrips(int n_conns)
{
    struct worker *ws = calloc((size_t)n_conns, sizeof *ws);
    if (!ws) return -1;
    atomic_store(&g_go, 0);
    double deadline = now_s() + g_seconds + 1.0; /* refined below */
    int started = 0, rc = 0;
    for (int i = 0; i < n_conns; i++) {
        ws[i].deadline = deadline;
        if (pthread_create(&ws[i].tid, NULL, worker_main, &ws[i]) != 0) {
            rc = -1;
            break;
        }
        started++;
    }
    usleep(200000); /* let every thread connect */
    double start = now_s();
    for (int i = 0; i < started; i++)
        ws[i].deadline = start + g_seconds;
    atomic_store(&g_go, 1);
    long total = 0;
    for (int i = 0; i < started; i++) {
        pthread_join(ws[i].tid, NULL);
        total += ws[i].count;
        if (ws[i].failed) rc = -1;
    }
    double el = now_s() - start;
    printf("OPTIONS round trips/s on %2d connection%s:        %10.0f  (%ld in %.2f s, %.1f us mean "
           "latency)\n",
           n_conns, n_conns == 1 ? " " : "s", (double)total / el, total, el,
           total ? el * 1e6 * n_conns / (double)total : 0.0);
    free(ws);
    if (rc != 0)
        fprintf(stderr, "bench_conn: a connection failed during the %d-connection run\n", n_conns);
    return rc;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_conn [--host HOST] [--port N] [--seconds S]\n");
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--host") == 0 && i + 1 < argc) {
            g_host = argv[++i];
        } else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            g_port = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
            g_seconds = atof(argv[++i]);
        } else if (strcmp(argv[i], "--help") == 0) {
            usage();
            return 0;
        } else {
            usage();
            return 2;
        }
    }
    if (g_port <= 0 || g_port > 65535 || g_seconds <= 0) {
        usage();
        return 2;
    }
    if (resolve() != 0) return 1;
    printf("bench_conn: %s:%d, %.1f s per figure, protocol v4 OPTIONS\n", g_host, g_port,
           g_seconds);
    fflush(stdout);
    if (bench_connections() != 0) return 1;
    fflush(stdout);
    if (bench_roundtrips(1) != 0) return 1;
    fflush(stdout);
    if (bench_roundtrips(N_THREADS) != 0) return 1;
    return 0;
}
