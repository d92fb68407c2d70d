/*
 * bench_clog.c -- commit-log appends per second and MB/s for 100-byte
 * records, on one real shard (event loop + worker thread), in periodic and
 * batch modes, with `window` appends kept in flight (each completion issues
 * the next append, as concurrent client writes would).
 *
 *   make bench && build/bench/bench_clog [dir]     (default dir: /tmp)
 *
 * Prints figures; never fails on speed. Also prints CRC-32C throughput.
 */
#include "net/shard.h"
#include "storage/commitlog/clog.h"
#include "util/crc32c.h"
#include "util/log.h"

#include <dirent.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define REC 100

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct run {
    struct clog_opts o;
    long target, window;
    long appended;
    atomic_long done;
    atomic_int failed, finished, opened;
    struct clog *c;
    double t0, t1;
    char err[256];
};

static struct run *R;

static void append_one(void);

static void on_done(void *arg, int rc)
{
    if (rc) atomic_store(&R->failed, 1);
    long d = atomic_fetch_add(&R->done, 1) + 1;
    if (d == R->target) {
        R->t1 = now();
        clog_close(R->c);
        R->c = NULL;
        atomic_store(&R->finished, 1);
        return;
    }
    append_one();
}

static void append_one(void)
{
    static uint8_t rec[REC];
    if (!R->c || R->appended >= R->target) return;
    memcpy(rec, &R->appended, sizeof(R->appended));
    R->appended++;
    if (clog_append(R->c, rec, REC, on_done, NULL) < 0) atomic_store(&R->failed, 1);
}

static void start(struct shard *s, void *arg)
{
    if (clog_open(s, &R->o, &R->c, R->err, sizeof(R->err)) < 0) {
        atomic_store(&R->opened, -1);
        return;
    }
    atomic_store(&R->opened, 1);
    R->t0 = now();
    for (long i = 0; i < R->window; i++)
        append_one();
}

static int h_start(struct shard *s)
{
    return shard_send(s, 0, start, NULL);
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

static void rm_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[1024];
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') {
            snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
            unlink(p);
        }
    closedir(d);
    rmdir(dir);
}

static void bench(const char *base, int mode, const char *name, long target, long window)
{
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/bench_clog.XXXXXX", base);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        exit(1);
    }
    struct run r = {.o = {mode, 10000, 1000, 32 << 20, dir}, .target = target, .window = window};
    R = &r;
    struct shard_group g;
    char err[256];
    if (shard_group_init(&g, 1, &hooks, NULL, "127.0.0.1", 0, err, sizeof(err)) < 0 ||
        shard_group_start(&g, err, sizeof(err)) < 0) {
        fprintf(stderr, "shard group: %s\n", err);
        exit(1);
    }
    while (!atomic_load(&r.finished) && atomic_load(&r.opened) >= 0)
        usleep(1000);
    shard_group_stop(&g);
    shard_group_join(&g);
    shard_group_destroy(&g);
    rm_dir(dir);
    if (atomic_load(&r.opened) < 0) {
        fprintf(stderr, "clog_open: %s\n", r.err);
        exit(1);
    }
    double secs = r.t1 - r.t0;
    printf("%-9s in flight %5ld: %9.0f appends/s  %7.1f MB/s  (%ld records in %.2f s)%s\n", name,
           window, target / secs, target * (double)REC / secs / 1e6, target, secs,
           atomic_load(&r.failed) ? "  ERRORS" : "");
}

int main(int argc, char **argv)
{
    const char *base = argc > 1 ? argv[1] : "/tmp";
    log_set_level(LOG_WARN);
    printf("commit log, %d-byte records, 32 MiB segments, directory %s\n", REC, base);
    bench(base, CLOG_SYNC_PERIODIC, "periodic", 2000000, 1000);
    bench(base, CLOG_SYNC_PERIODIC, "periodic", 200000, 1);
    bench(base, CLOG_SYNC_BATCH, "batch", 200000, 1000);
    bench(base, CLOG_SYNC_BATCH, "batch", 300000, 100);
    bench(base, CLOG_SYNC_BATCH, "batch", 2000, 1);

    static uint8_t buf[1 << 20];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 13);
    uint32_t x = 0;
    double t = now();
    for (int i = 0; i < 1000; i++)
        x ^= crc32c(buf, sizeof(buf));
    double hw = 1000.0 * sizeof(buf) / (now() - t) / 1e9;
    t = now();
    for (int i = 0; i < 200; i++)
        x ^= crc32c_sw(0, buf, sizeof(buf));
    double sw = 200.0 * sizeof(buf) / (now() - t) / 1e9;
    printf("crc32c: %.1f GB/s (%s), slicing-by-8 %.1f GB/s [%x]\n", hw,
           crc32c_hw_available() ? "SSE4.2" : "software", sw, x & 1);
    return 0;
}
