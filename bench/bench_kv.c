/*
 * bench_kv.c -- single-row write and read figures for a running server.
 *
 *   build/bench/bench_kv [--host 127.0.0.1] [--port 9042] [--seconds 5]
 *                        [--connections 4] [--value-size 100]
 *
 * Creates keyspace bench_kv and table bench_kv.kv (k bigint PRIMARY KEY,
 * v blob), prepares
 *     INSERT INTO bench_kv.kv (k, v) VALUES (?, ?)
 *     SELECT v FROM bench_kv.kv WHERE k = ?
 * and runs each for --seconds with 1, 16 and 64 requests in flight. One
 * request in flight uses one connection; more are spread over
 * --connections connections, each driven by its own thread that keeps its
 * share of requests pipelined on distinct stream ids (closed loop: an
 * answer is followed at once by the next request). Reads pick keys written
 * by the insert phases, so every read finds its row.
 *
 * Prints ops/s and p50/p99/max latency (a log-linear histogram: 32 linear
 * sub-buckets per power of two, so about 3% resolution). Protocol v4
 * envelopes over blocking TCP sockets, plain libc + pthreads, no driver.
 * It never fails on speed; it exits non-zero only when the server cannot be
 * reached or answers with an ERROR or something unexpected.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PROTO_V4        0x04
#define OP_ERROR        0x00
#define OP_STARTUP      0x01
#define OP_READY        0x02
#define OP_QUERY        0x07
#define OP_RESULT       0x08
#define OP_PREPARE      0x09
#define OP_EXECUTE      0x0A
#define RESULT_PREPARED 0x0004
#define CL_ONE          0x0001
#define MAX_CONNS       64
#define MAX_DEPTH       1024
#define MAX_BODY        (16u << 20)

/* ---- histogram: 64 powers of two x 32 linear sub-buckets, in ns ---------- */

#define SUB_BITS 5
#define SUB      (1 << SUB_BITS)
#define NBUCKETS (64 * SUB)

struct hist {
    uint64_t count[NBUCKETS];
    uint64_t total;
    uint64_t max;
};

static int hist_index(uint64_t v)
{
    if (v < SUB) return (int)v;
    int msb = 63 - __builtin_clzll(v);
    int shift = msb - SUB_BITS;
    return (shift + 1) * SUB + (int)((v >> shift) & (SUB - 1));
}

static uint64_t hist_value(int idx) /* upper edge of a bucket */
{
    if (idx < SUB) return (uint64_t)idx;
    int shift = idx / SUB - 1;
    uint64_t sub = (uint64_t)(idx % SUB) | SUB;
    return ((sub + 1) << shift) - 1;
}

static void hist_add(struct hist *h, uint64_t v)
{
    h->count[hist_index(v)]++;
    h->total++;
    if (v > h->max) h->max = v;
}

static void hist_merge(struct hist *into, const struct hist *from)
{
    for (int i = 0; i < NBUCKETS; i++)
        into->count[i] += from->count[i];
    into->total += from->total;
    if (from->max > into->max) into->max = from->max;
}

static uint64_t hist_pct(const struct hist *h, double pct)
{
    if (h->total == 0) return 0;
    uint64_t want = (uint64_t)((double)h->total * pct / 100.0);
    if (want == 0) want = 1;
    uint64_t seen = 0;
    for (int i = 0; i < NBUCKETS; i++) {
        seen += h->count[i];
        if (seen >= want) return hist_value(i) < h->max ? hist_value(i) : h->max;
    }
    return h->max;
}

/* ---- settings ------------------------------------------------------------ */

static const char *g_host = "127.0.0.1";
static int g_port = 9042;
static double g_seconds = 5.0;
static int g_conns = 4;
static int g_value_size = 100;
static struct sockaddr_storage g_addr;
static socklen_t g_addrlen;

static uint8_t g_insert_id[64], g_select_id[64];
static int g_insert_id_len, g_select_id_len;
static atomic_llong g_next_key; /* keys 0..g_next_key-1 are written */
static atomic_int g_failed;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static unsigned get16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* ---- sockets ------------------------------------------------------------- */

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
        fprintf(stderr, "bench_kv: %s: %s\n", g_host, gai_strerror(rc));
        return -1;
    }
    memcpy(&g_addr, res->ai_addr, res->ai_addrlen);
    g_addrlen = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
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
        ssize_t r = read(fd, p, n);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (r == 0) return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* One connection with a receive buffer for whole frames. */
struct conn {
    int fd;
    uint8_t *body; /* last frame's body */
    uint32_t body_len;
    int opcode;
    int stream;
};

static int send_frame(struct conn *c, int stream, int opcode, const uint8_t *body, uint32_t len)
{
    uint8_t hdr[9];
    hdr[0] = PROTO_V4;
    hdr[1] = 0;
    put16(hdr + 2, (unsigned)stream);
    hdr[4] = (uint8_t)opcode;
    put32(hdr + 5, len);
    if (len == 0) return write_all(c->fd, hdr, sizeof hdr);
    uint8_t stackbuf[4096];
    if (len + 9 <= sizeof stackbuf) { /* one write per request */
        memcpy(stackbuf, hdr, 9);
        memcpy(stackbuf + 9, body, len);
        return write_all(c->fd, stackbuf, len + 9);
    }
    if (write_all(c->fd, hdr, sizeof hdr) != 0) return -1;
    return write_all(c->fd, body, len);
}

static int recv_frame(struct conn *c)
{
    uint8_t hdr[9];
    if (read_all(c->fd, hdr, sizeof hdr) != 0) return -1;
    if ((hdr[0] & 0x7f) != PROTO_V4) {
        fprintf(stderr, "bench_kv: answer in protocol version %d\n", hdr[0] & 0x7f);
        return -1;
    }
    c->stream = (int)(int16_t)get16(hdr + 2);
    c->opcode = hdr[4];
    c->body_len = get32(hdr + 5);
    if (c->body_len > MAX_BODY) {
        fprintf(stderr, "bench_kv: frame of %u bytes\n", c->body_len);
        return -1;
    }
    if (c->body_len > 0 && read_all(c->fd, c->body, c->body_len) != 0) return -1;
    if (c->opcode == OP_ERROR) {
        unsigned mlen = c->body_len >= 6 ? get16(c->body + 4) : 0;
        if (mlen + 6 > c->body_len) mlen = 0;
        fprintf(stderr, "bench_kv: server error 0x%04x: %.*s\n",
                c->body_len >= 4 ? get32(c->body) : 0, (int)mlen, (const char *)c->body + 6);
        return -1;
    }
    return 0;
}

static int conn_open(struct conn *c)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    c->body = malloc(MAX_BODY);
    if (!c->body) return -1;
    c->fd = socket(g_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&g_addr, g_addrlen) != 0) {
        fprintf(stderr, "bench_kv: cannot connect to %s:%d: %s\n", g_host, g_port, strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* STARTUP {"CQL_VERSION": "3.0.0"} */
    uint8_t body[64];
    size_t n = 0;
    put16(body, 1);
    n = 2;
    put16(body + n, 11);
    memcpy(body + n + 2, "CQL_VERSION", 11);
    n += 13;
    put16(body + n, 5);
    memcpy(body + n + 2, "3.0.0", 5);
    n += 7;
    if (send_frame(c, 0, OP_STARTUP, body, (uint32_t)n) != 0 || recv_frame(c) != 0) return -1;
    if (c->opcode != OP_READY) {
        fprintf(stderr,
                "bench_kv: STARTUP answered with opcode 0x%02x (authentication is not supported)\n",
                c->opcode);
        return -1;
    }
    return 0;
}

static void conn_close(struct conn *c)
{
    if (c->fd >= 0) close(c->fd);
    free(c->body);
    c->body = NULL;
}

/* QUERY or PREPARE with a [long string] body; waits for a RESULT. */
static int simple_request(struct conn *c, int opcode, const char *cql)
{
    size_t len = strlen(cql);
    uint8_t *body = malloc(len + 16);
    if (!body) return -1;
    put32(body, (uint32_t)len);
    memcpy(body + 4, cql, len);
    size_t n = 4 + len;
    if (opcode == OP_QUERY) {
        put16(body + n, CL_ONE);
        body[n + 2] = 0; /* no flags */
        n += 3;
    }
    int rc = send_frame(c, 1, opcode, body, (uint32_t)n);
    free(body);
    if (rc != 0 || recv_frame(c) != 0) return -1;
    if (c->opcode != OP_RESULT) {
        fprintf(stderr, "bench_kv: '%s' answered with opcode 0x%02x\n", cql, c->opcode);
        return -1;
    }
    return 0;
}

static int prepare(struct conn *c, const char *cql, uint8_t *id, int *id_len)
{
    if (simple_request(c, OP_PREPARE, cql) != 0) return -1;
    if (c->body_len < 6 || get32(c->body) != RESULT_PREPARED) {
        fprintf(stderr, "bench_kv: PREPARE '%s': not a Prepared result\n", cql);
        return -1;
    }
    unsigned n = get16(c->body + 4);
    if (n == 0 || n > 64 || 6 + n > c->body_len) return -1;
    memcpy(id, c->body + 6, n);
    *id_len = (int)n;
    return 0;
}

/* ---- one load phase ------------------------------------------------------ */

enum op { OP_INSERT_KIND, OP_SELECT_KIND };

struct worker {
    pthread_t thread;
    enum op kind;
    int depth; /* requests kept in flight on this connection */
    uint64_t deadline;
    uint64_t ops;
    unsigned seed;
    struct hist *hist;
};

/* EXECUTE body: [short bytes id][consistency][flags=VALUES][n][values] */
static uint32_t build_execute(uint8_t *buf, enum op kind, int64_t key, const uint8_t *value)
{
    const uint8_t *id = kind == OP_INSERT_KIND ? g_insert_id : g_select_id;
    int id_len = kind == OP_INSERT_KIND ? g_insert_id_len : g_select_id_len;
    uint32_t n = 0;
    put16(buf, (unsigned)id_len);
    memcpy(buf + 2, id, (size_t)id_len);
    n = 2 + (uint32_t)id_len;
    put16(buf + n, CL_ONE);
    buf[n + 2] = 0x01; /* values */
    n += 3;
    put16(buf + n, kind == OP_INSERT_KIND ? 2 : 1);
    n += 2;
    put32(buf + n, 8);
    put64(buf + n + 4, (uint64_t)key);
    n += 12;
    if (kind == OP_INSERT_KIND) {
        put32(buf + n, (uint32_t)g_value_size);
        memcpy(buf + n + 4, value, (size_t)g_value_size);
        n += 4 + (uint32_t)g_value_size;
    }
    return n;
}

static int64_t next_key(struct worker *w)
{
    if (w->kind == OP_INSERT_KIND) return atomic_fetch_add(&g_next_key, 1);
    long long written = atomic_load(&g_next_key);
    if (written <= 0) return 0;
    w->seed = w->seed * 1103515245u + 12345u;
    uint64_t r = ((uint64_t)w->seed << 16) ^ (uint64_t)rand_r(&w->seed);
    return (int64_t)(r % (uint64_t)written);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct conn c;
    uint64_t sent_at[MAX_DEPTH];
    uint8_t *req = malloc((size_t)g_value_size + 256);
    uint8_t *value = malloc((size_t)g_value_size + 1);
    if (conn_open(&c) != 0 || !req || !value) goto fail;
    for (int i = 0; i < g_value_size; i++)
        value[i] = (uint8_t)(i * 31 + 7);
    int inflight = 0;
    for (int s = 0; s < w->depth; s++) {
        uint32_t n = build_execute(req, w->kind, next_key(w), value);
        sent_at[s] = now_ns();
        if (send_frame(&c, s + 2, OP_EXECUTE, req, n) != 0) goto fail;
        inflight++;
    }
    while (inflight > 0) {
        if (recv_frame(&c) != 0) goto fail;
        if (c.opcode != OP_RESULT || c.stream < 2 || c.stream >= w->depth + 2) {
            fprintf(stderr, "bench_kv: unexpected answer opcode 0x%02x stream %d\n", c.opcode,
                    c.stream);
            goto fail;
        }
        int s = c.stream - 2;
        uint64_t t = now_ns();
        hist_add(w->hist, t - sent_at[s]);
        w->ops++;
        inflight--;
        if (t < w->deadline && !atomic_load(&g_failed)) {
            uint32_t n = build_execute(req, w->kind, next_key(w), value);
            sent_at[s] = now_ns();
            if (send_frame(&c, s + 2, OP_EXECUTE, req, n) != 0) goto fail;
            inflight++;
        }
    }
    conn_close(&c);
    free(req);
    free(value);
    return NULL;
fail:
    atomic_store(&g_failed, 1);
    conn_close(&c);
    free(req);
    free(value);
    return NULL;
}

static int run_phase(enum op kind, int depth)
{
    int nconn = depth < g_conns ? depth : g_conns;
    struct worker workers[MAX_CONNS];
    struct hist *total = calloc(1, sizeof *total);
    if (!total) return -1;
    uint64_t start = now_ns();
    uint64_t deadline = start + (uint64_t)(g_seconds * 1e9);
    int started = 0;
    for (int i = 0; i < nconn; i++) {
        struct worker *w = &workers[i];
        memset(w, 0, sizeof *w);
        w->kind = kind;
        w->depth = depth / nconn + (i < depth % nconn ? 1 : 0);
        w->deadline = deadline;
        w->seed = (unsigned)(start >> 10) + (unsigned)i * 7919u;
        w->hist = calloc(1, sizeof *w->hist);
        if (!w->hist || pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            free(w->hist);
            atomic_store(&g_failed, 1);
            break;
        }
        started++;
    }
    uint64_t ops = 0;
    for (int i = 0; i < started; i++) {
        pthread_join(workers[i].thread, NULL);
        ops += workers[i].ops;
        hist_merge(total, workers[i].hist);
        free(workers[i].hist);
    }
    double secs = (double)(now_ns() - start) / 1e9;
    if (!atomic_load(&g_failed))
        printf("%-6s in flight %3d (%2d conn): %9.0f ops/s  p50 %8.1f us  p99 %8.1f us  max %9.1f "
               "us  (%llu ops)\n",
               kind == OP_INSERT_KIND ? "insert" : "select", depth, nconn, (double)ops / secs,
               (double)hist_pct(total, 50.0) / 1e3, (double)hist_pct(total, 99.0) / 1e3,
               (double)total->max / 1e3, (unsigned long long)ops);
    fflush(stdout);
    free(total);
    return atomic_load(&g_failed) ? -1 : 0;
}

static int setup(void)
{
    struct conn c;
    int rc = -1;
    if (conn_open(&c) != 0) goto out;
    if (simple_request(&c, OP_QUERY,
                       "CREATE KEYSPACE IF NOT EXISTS bench_kv WITH replication = "
                       "{'class': 'SimpleStrategy', 'replication_factor': 1}") != 0)
        goto out;
    if (simple_request(&c, OP_QUERY,
                       "CREATE TABLE IF NOT EXISTS bench_kv.kv (k bigint PRIMARY KEY, v blob)") !=
        0)
        goto out;
    if (prepare(&c, "INSERT INTO bench_kv.kv (k, v) VALUES (?, ?)", g_insert_id,
                &g_insert_id_len) != 0)
        goto out;
    if (prepare(&c, "SELECT v FROM bench_kv.kv WHERE k = ?", g_select_id, &g_select_id_len) != 0)
        goto out;
    rc = 0;
out:
    conn_close(&c);
    return rc;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_kv [--host H] [--port P] [--seconds S] [--connections N] "
                    "[--value-size BYTES]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc) usage();
        const char *v = argv[++i];
        if (!strcmp(a, "--host"))
            g_host = v;
        else if (!strcmp(a, "--port"))
            g_port = atoi(v);
        else if (!strcmp(a, "--seconds"))
            g_seconds = atof(v);
        else if (!strcmp(a, "--connections"))
            g_conns = atoi(v);
        else if (!strcmp(a, "--value-size"))
            g_value_size = atoi(v);
        else
            usage();
    }
    if (g_port <= 0 || g_seconds <= 0 || g_conns < 1 || g_conns > MAX_CONNS || g_value_size < 0 ||
        g_value_size > (1 << 20))
        usage();
    if (resolve() != 0 || setup() != 0) return 1;
    printf("bench_kv: %s:%d, %.1f s per phase, value %d bytes, up to %d connections\n", g_host,
           g_port, g_seconds, g_value_size, g_conns);
    static const int depths[] = {1, 16, 64};
    for (int k = 0; k < 2; k++)
        for (size_t d = 0; d < sizeof depths / sizeof depths[0]; d++)
            if (run_phase(k == 0 ? OP_INSERT_KIND : OP_SELECT_KIND, depths[d]) != 0) return 1;
    return 0;
}
