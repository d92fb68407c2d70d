/*
 * bench_xq.c -- cross-shard messages per second.
 *
 * 1. Raw SPSC ring: one producer thread, one consumer thread, busy loops.
 * 2. Shard runtime: two real shard threads (event loops, eventfd wake-ups);
 *    shard 0 sends a window of messages to shard 1, which answers each;
 *    round trips per second.
 * Prints figures; never fails on speed.
 */
#include "net/shard.h"
#include "net/xq.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void noop(struct shard *s, void *arg)
{
}

#define RAW_N 50000000u
static struct xq q;

static void *producer(void *arg)
{
    for (uintptr_t i = 1; i <= RAW_N; i++)
        while (!xq_push(&q, noop, (void *)i)) {
        }
    return NULL;
}

static atomic_uint_fast64_t done_rt;
static uint64_t target_rt;
static atomic_int finished;

static void on_pong(struct shard *s, void *arg);

static void on_ping(struct shard *s, void *arg)
{
    shard_send(s, 0, on_pong, arg);
}

static void on_pong(struct shard *s, void *arg)
{
    uint64_t n = atomic_fetch_add(&done_rt, 1) + 1;
    if (n + 256 <= target_rt) shard_send(s, 1, on_ping, NULL);
    if (n == target_rt) atomic_store(&finished, 1);
}

static void kick(struct shard *s, void *arg)
{
    for (int i = 0; i < 256; i++)
        shard_send(s, 1, on_ping, NULL);
}

static int h_start(struct shard *s)
{
    return 0;
}
static void h_accept(struct shard *s, int fd, const struct sockaddr_storage *p)
{
    close(fd);
}
static void h_drain(struct shard *s)
{
    shard_drain_done(s);
}
static void h_stop(struct shard *s)
{
}
static const struct shard_hooks hooks = {h_start, h_accept, h_drain, h_stop};

static void kick_from_main(struct shard_group *g)
{
    /* hand the first messages to shard 0 through its own queue */
    shard_send(&g->shards[0], 0, kick, NULL);
    uint64_t one = 1;
    ssize_t w = write(g->shards[0].wake_fd, &one, sizeof(one));
    (void)w;
}

int main(void)
{
    xq_init(&q, 4096);
    pthread_t p;
    double t0 = now();
    pthread_create(&p, NULL, producer, NULL);
    struct xq_msg m;
    for (uint64_t got = 0; got < RAW_N;)
        if (xq_pop(&q, &m)) got++;
    pthread_join(p, NULL);
    double t1 = now();
    printf("xq raw SPSC ring (2 threads, busy): %.1f M msgs/s\n", RAW_N / (t1 - t0) / 1e6);
    xq_destroy(&q);

    struct shard_group g;
    char err[256];
    if (shard_group_init(&g, 2, &hooks, NULL, "127.0.0.1", 0, err, sizeof(err)) < 0 ||
        shard_group_start(&g, err, sizeof(err)) < 0) {
        fprintf(stderr, "shard group: %s\n", err);
        return 1;
    }
    target_rt = 2000000;
    t0 = now();
    kick_from_main(&g);
    while (!atomic_load(&finished))
        usleep(1000);
    t1 = now();
    printf("shard runtime (2 shards, 256 in flight): %.2f M round trips/s (%.2f M msgs/s)\n",
           target_rt / (t1 - t0) / 1e6, 2 * target_rt / (t1 - t0) / 1e6);
    shard_group_stop(&g);
    shard_group_join(&g);
    shard_group_destroy(&g);
    return 0;
}
