/*
 * test_clog.c -- the commit log: writer on a real 1-shard group (its event
 * loop, timers and worker thread), replay, and the fault matrix through the
 * sio_ shim (EIO/ENOSPC/short write at write and fsync, crash that drops
 * unsynced data, bit flips, torn tails).
 *
 * Code runs on the shard through a mailbox polled by a 1 ms timer
 * (on_shard()); completions run on the shard and are counted in `T`, which
 * the test thread reads after waiting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "net/shard.h"
#include "storage/commitlog/clog.h"
#include "storage/commitlog/clog_int.h"
#include "storage/io.h"
#include "util/log.h"
#include "util/mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- the shard and its mailbox ---- */

static struct shard_group G;
static struct shard *S;
static void (*_Atomic box_fn)(void *);
static void *box_arg;
static atomic_int box_done;
static struct loop_timer box_timer;

static void box_poll(loop *l, void *arg)
{
    void (*fn)(void *) = atomic_exchange(&box_fn, NULL);
    if (fn) {
        fn(box_arg);
        atomic_store(&box_done, 1);
    }
    loop_timer_arm(l, &box_timer, 1);
}

static int h_start(struct shard *s)
{
    S = s;
    loop_timer_init(&box_timer, box_poll, s);
    return loop_timer_arm(&s->loop, &box_timer, 1);
}

static void h_accept(struct shard *s, int fd, const struct sockaddr_storage *peer)
{
    close(fd);
}

static void h_drain(struct shard *s)
{
    shard_drain_done(s);
}

static void h_stop(struct shard *s)
{
    loop_timer_cancel(&s->loop, &box_timer);
}

static const struct shard_hooks hooks = {h_start, h_accept, h_drain, h_stop};

/* Runs fn(arg) on the shard thread and waits for it. */
static void on_shard(void (*fn)(void *), void *arg)
{
    box_arg = arg;
    atomic_store(&box_done, 0);
    atomic_store(&box_fn, fn);
    while (!atomic_load(&box_done))
        usleep(100);
}

static int64_t mem_base;

static int setup(void **st)
{
    char err[256];
    mem_base = mem_outstanding();
    sio_fault_reset();
    if (shard_group_init(&G, 1, &hooks, NULL, "127.0.0.1", 0, err, sizeof(err)) < 0) return -1;
    return shard_group_start(&G, err, sizeof(err));
}

static int teardown(void **st)
{
    shard_group_stop(&G);
    shard_group_join(&G);
    shard_group_destroy(&G);
    sio_fault_reset();
    assert_int_equal(mem_outstanding(), mem_base); /* no leak */
    return 0;
}

/* ---- test context: one log, counters filled on the shard ---- */

#define MAXR 20000

struct tc {
    struct clog_opts o;
    char dir[128];
    struct clog *c;
    char err[256];
    int open_rc;
    /* appends (shard thread) */
    int n_target; /* total appends to make */
    int window;   /* appends kept in flight (each done appends the next) */
    int n_app;
    int sync_rc;
    /* completions (shard thread; read by the test after waiting) */
    atomic_int n_done;
    int n_ok;
    int first_err;      /* rc of the first failure */
    int first_err_at;   /* index of the first failure */
    int order_bad;      /* completion out of append order */
    int sticky_bad;     /* ok after a failure, or a different error */
    int ok_after_fsync; /* batch/group: acks seen with no fsync since the append */
    int ack_no_fsync;
    uint64_t fsyncs_at_append[MAXR];
    int rc_of[MAXR];
    atomic_int sync_done;
};

static struct tc *T;

static size_t rec_len(int i)
{
    return 8 + (size_t)((i * 37) % 113); /* 8 .. 120 bytes */
}

static void rec_make(int i, uint8_t *b, size_t n)
{
    uint64_t v = (uint64_t)i;
    memcpy(b, &v, 8);
    for (size_t k = 8; k < n; k++)
        b[k] = (uint8_t)(i * 31 + (int)k);
}

static void append_next(void);

static void on_done(void *arg, int rc)
{
    int i = (int)(intptr_t)arg;
    int d = atomic_load(&T->n_done);
    if (i != d) T->order_bad++;
    if (i < MAXR) T->rc_of[i] = rc;
    if (rc == 0) {
        if (T->first_err) T->sticky_bad++;
        T->n_ok++;
        if (T->o.sync_mode != CLOG_SYNC_PERIODIC && i < MAXR &&
            sio_fault_calls(SIO_OP_FSYNC) <= T->fsyncs_at_append[i])
            T->ack_no_fsync++;
    } else if (!T->first_err) {
        T->first_err = rc;
        T->first_err_at = i;
    } else if (rc != T->first_err) {
        T->sticky_bad++;
    }
    atomic_fetch_add(&T->n_done, 1);
    append_next();
}

static void append_next(void)
{
    if (!T->c || T->n_app >= T->n_target) return;
    int i = T->n_app;
    uint8_t b[256];
    size_t n = rec_len(i);
    rec_make(i, b, n);
    if (i < MAXR) T->fsyncs_at_append[i] = sio_fault_calls(SIO_OP_FSYNC);
    T->n_app++; /* before: done never runs inside clog_append, but be safe */
    int rc = clog_append(T->c, b, n, on_done, (void *)(intptr_t)i);
    assert_int_equal(rc, 0);
}

static void sh_open(void *arg)
{
    T->open_rc = clog_open(S, &T->o, &T->c, T->err, sizeof(T->err));
}

static void sh_start(void *arg)
{
    for (int k = 0; k < T->window; k++)
        append_next();
}

static void sh_close(void *arg)
{
    clog_close(T->c);
    T->c = NULL;
}

static void on_sync(void *arg, int rc)
{
    T->sync_rc = rc;
    atomic_store(&T->sync_done, 1);
}

static void sh_sync(void *arg)
{
    atomic_store(&T->sync_done, 0);
    assert_int_equal(clog_sync_now(T->c, on_sync, NULL), 0);
}

static int wait_for(atomic_int *v, int target, int ms)
{
    for (int i = 0; i < ms * 10 && atomic_load(v) < target; i++)
        usleep(100);
    return atomic_load(v) >= target;
}

static void rm_rf(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') {
            snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
            unlink(p);
        }
    closedir(d);
    rmdir(dir);
}

static struct tc *tc_new(int mode, int64_t seg)
{
    struct tc *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    snprintf(t->dir, sizeof(t->dir), "/tmp/test_clog.XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    t->o = (struct clog_opts){mode, 10000, 20, seg, t->dir};
    t->window = 1;
    T = t;
    return t;
}

static void tc_free(struct tc *t)
{
    rm_rf(t->dir);
    free(t);
    T = NULL;
}

static void open_ok(struct tc *t)
{
    on_shard(sh_open, NULL);
    if (t->open_rc) fail_msg("clog_open: %s", t->err);
}

/* Appends t->n_target records with t->window in flight, waits for all. */
static void run_appends(struct tc *t, int n_target, int window)
{
    t->n_target = n_target;
    t->window = window;
    on_shard(sh_start, NULL);
    assert_true(wait_for(&t->n_done, n_target, 20000));
}

/* ---- replay checking ---- */

struct rs {
    int n;
    int bad;
};

static int replay_cb(void *arg, const uint8_t *rec, size_t n)
{
    struct rs *r = arg;
    uint8_t b[256];
    size_t want = rec_len(r->n);
    rec_make(r->n, b, want);
    if (n != want || memcmp(rec, b, n) != 0) r->bad++;
    r->n++;
    return 0;
}

/* Replays t->dir; returns the count (all checked in order), or -1. */
static int replay(struct tc *t, int flags, char *err, size_t errsz)
{
    struct rs r = {0, 0};
    int n = clog_replay_flags(t->dir, 0, flags, replay_cb, &r, err, errsz);
    if (n >= 0) {
        assert_int_equal(r.bad, 0);
        assert_int_equal(n, r.n);
    }
    return n;
}

/* Segment files of shard 0, sorted by seq (paths into out[]). */
static int list_segs(struct tc *t, char out[][256], int max)
{
    DIR *d = opendir(t->dir);
    assert_non_null(d);
    uint64_t seqs[256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        int fmt, sh;
        uint64_t seq;
        if (clog_seg_parse(e->d_name, &fmt, &sh, &seq) < 0) continue;
        int k = n++;
        while (k > 0 && seqs[k - 1] > seq) {
            seqs[k] = seqs[k - 1];
            memcpy(out[k], out[k - 1], 256);
            k--;
        }
        seqs[k] = seq;
        snprintf(out[k], 256, "%s/%s", t->dir, e->d_name);
    }
    closedir(d);
    return n;
}

static uint8_t *read_all(const char *path, size_t *n)
{
    uint8_t *d;
    assert_int_equal(sio_read_file(path, 1u << 30, &d, n), 0);
    return d;
}

static void write_all(const char *path, const uint8_t *d, size_t n)
{
    int fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, d, n), (ssize_t)n);
    close(fd);
}

/* Offsets of the records (start of the 12-byte framing) in a segment. */
static int record_offsets(const uint8_t *d, size_t size, size_t *offs, size_t *chunk_of, int max)
{
    size_t off = CLOG_SEG_HDR_SIZE;
    int n = 0;
    while (off + CLOG_CHUNK_HDR_SIZE <= size && clog_get32(d + off) == CLOG_CHUNK_MAGIC) {
        size_t end = off + CLOG_CHUNK_HDR_SIZE + clog_get32(d + off + 4);
        for (size_t p = off + CLOG_CHUNK_HDR_SIZE; p < end && n < max;
             p += CLOG_REC_OVERHEAD + clog_get32(d + p)) {
            offs[n] = p;
            chunk_of[n++] = off;
        }
        off = end;
    }
    return n;
}

/* ---- tests ---- */

static void test_roundtrip_many_segments(void **st)
{
    struct tc *t = tc_new(CLOG_SYNC_PERIODIC, 8192);
    open_ok(t);
    uint64_t first_seq = clog_current_segment(t->c);
    run_appends(t, 5000, 64);
    assert_int_equal(t->n_ok, 5000);
    assert_int_equal(t->order_bad, 0);
    assert_true(clog_current_segment(t->c) > first_seq);
    on_shard(sh_close, NULL);
    char segs[256][256];
    int ns = list_segs(t, segs, 256);
    assert_true(ns >= 10); /* ~ 5000 * 76 bytes / 8 KiB */
    char err[256];
    assert_int_equal(replay(t, 0, err, sizeof(err)), 5000);

    /* reopen: a new segment after the old ones; replay sees both, in order */
    t->n_app = 0;
    atomic_store(&t->n_done, 0);
    t->n_ok = 0;
    open_ok(t);
    assert_true(clog_current_segment(t->c) > first_seq + (uint64_t)ns - 1);
    /* records continue the numbering so that replay can check them */
    t->n_app = 5000;
    atomic_store(&t->n_done, 5000);
    run_appends(t, 5100, 8);
    on_shard(sh_close, NULL);
    assert_int_equal(list_segs(t, segs, 256), ns + 1);
    assert_int_equal(replay(t, 0, err, sizeof(err)), 5100);
    tc_free(t);
}

static void test_largest_record_and_too_large(void **st)
{
    struct tc *t = tc_new(CLOG_SYNC_BATCH, 4096);
    open_ok(t);
    size_t max = CLOG_MAX_RECORD(4096);
    assert_int_equal(max, 4096 - 40 - 16 - 12);
    static uint8_t big[8192];
    errno = 0;
    assert_int_equal(clog_append(t->c, big, max + 1, on_done, NULL), -1);
    assert_int_equal(errno, EMSGSIZE);
    assert_int_equal(clog_append(t->c, big, 1u << 20, on_done, NULL), -1);
    assert_int_equal(errno, EMSGSIZE);
    on_shard(sh_close, NULL);
    /* invalid segment sizes are refused at open */
    t->o.segment_size = 100;
    on_shard(sh_open, NULL);
    assert_int_equal(t->open_rc, -1);
    assert_non_null(strstr(t->err, "commitlog_segment_size"));
    tc_free(t);
}

struct big {
    atomic_int n_done;
    int rc;
    size_t n;
};

static void big_done(void *arg, int rc)
{
    struct big *b = arg;
    if (rc) b->rc = rc;
    atomic_fetch_add(&b->n_done, 1);
}

static void sh_append_big(void *arg)
{
    struct big *b = arg;
    uint8_t *p = calloc(1, b->n);
    for (size_t i = 0; i < b->n; i++)
        p[i] = (uint8_t)i;
    for (int i = 0; i < 3; i++)
        assert_int_equal(clog_append(T->c, p, b->n, big_done, b), 0);
    free(p);
}

static int big_cb(void *arg, const uint8_t *rec, size_t n)
{
    struct big *b = arg;
    if (n != b->n) return -1;
    for (size_t i = 0; i < n; i++)
        if (rec[i] != (uint8_t)i) return -1;
    atomic_fetch_add(&b->n_done, 1);
    return 0;
}

static void test_max_size_records_fill_segments(void **st)
{
    struct tc *t = tc_new(CLOG_SYNC_BATCH, 4096);
    open_ok(t);
    struct big b = {.n = CLOG_MAX_RECORD(4096)};
    on_shard(sh_append_big, &b);
    assert_true(wait_for(&b.n_done, 3, 5000));
    assert_int_equal(b.rc, 0);
    on_shard(sh_close, NULL);
    char segs[16][256];
    assert_int_equal(list_segs(t, segs, 16), 3); /* one record fills a segment */
    atomic_store(&b.n_done, 0);
    char err[256];
    assert_int_equal(clog_replay(t->dir, 0, big_cb, &b, err, sizeof(err)), 3);
    tc_free(t);
}

/* Batch and group modes: every ack comes after an fsync issued after the
 * append; a crash at the k-th fsync (or the k-th write or fsync) keeps every
 * acknowledged record. */
static void crash_matrix(int mode)
{
    for (int k = 1; k <= 24; k++) {
        struct tc *t = tc_new(mode, 4096);
        t->o.group_window_ms = 2;
        open_ok(t);
        unsigned ops = k <= 12 ? SIO_OP_FSYNC : SIO_OP_FSYNC | SIO_OP_WRITE;
        sio_fault_arm(ops, (uint64_t)(k <= 12 ? k : k - 12), SIO_FAULT_CRASH);
        run_appends(t, 400, 16);
        assert_true(sio_fault_fired());
        assert_int_equal(t->order_bad, 0);
        assert_int_equal(t->sticky_bad, 0);
        assert_int_equal(t->ack_no_fsync, 0);
        assert_int_equal(t->first_err, -EIO);
        on_shard(sh_close, NULL);
        sio_fault_reset(); /* "reboot" */
        char err[256];
        int n = replay(t, 0, err, sizeof(err));
        if (n < 0) fail_msg("k=%d: %s", k, err);
        /* acknowledged records survive; replayed records are a prefix */
        assert_true(n >= t->n_ok);
        assert_true(n <= t->n_app);
        tc_free(t);
    }
}

static void test_batch_mode_acks_after_fsync_crash(void **st)
{
    crash_matrix(CLOG_SYNC_BATCH);
}

static void test_group_mode_acks_after_fsync_crash(void **st)
{
    crash_matrix(CLOG_SYNC_GROUP);
}

static void test_group_mode_window(void **st)
{
    struct tc *t = tc_new(CLOG_SYNC_GROUP, 1 << 20);
    t->o.group_window_ms = 50;
    open_ok(t);
    uint64_t f0 = sio_fault_calls(SIO_OP_FSYNC);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    run_appends(t, 20, 1); /* one at a time: each waits for a window */
    clock_gettime(CLOCK_MONOTONIC, &b);
    double secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    uint64_t fsyncs = sio_fault_calls(SIO_OP_FSYNC) - f0;
    assert_int_equal(t->n_ok, 20);
    assert_int_equal(t->ack_no_fsync, 0);
    /* at most one fsync per 50 ms window, and one append per fsync here */
    assert_true(fsyncs <= (uint64_t)(secs / 0.050) + 2);
    assert_true(secs >= 0.050 * 18);
    on_shard(sh_close, NULL);
    tc_free(t);
}

/* Group mode with many in flight: they share fsyncs. */
static void test_group_mode_shares_fsyncs(void **st)
{
    struct tc *t = tc_new(CLOG_SYNC_GROUP, 1 << 20);
    t->o.group_window_ms = 30;
    open_ok(t);
    uint64_t f0 = sio_fault_calls(SIO_OP_FSYNC);
    run_appends(t, 3000, 500);
    assert_int_equal(t->n_ok, 3000);
    assert_int_equal(t->ack_no_fsync, 0);
    assert_true(sio_fault_calls(SIO_OP_FSYNC) - f0 < 100);
    on_shard(sh_close, NULL);
    tc_free(t);
}

/* Periodic mode: acks come before any fsync (Cassandra's periodic), so a
 * power loss may lose acknowledged records; clog_sync_now and the period
 * timer make them durable. */
static void test_periodic_mode(void **st)
{
    struct tc *t = tc_new(CLOG_SYNC_PERIODIC, 1 << 20);
    open_ok(t);
    uint64_t f0 = sio_fault_calls(SIO_OP_FSYNC);
    run_appends(t, 100, 10);
    assert_int_equal(t->n_ok, 100);
    assert_int_equal(sio_fault_calls(SIO_OP_FSYNC), f0); /* acked, not synced */
    on_shard(sh_sync, NULL);
    assert_true(wait_for(&t->sync_done, 1, 5000));
    assert_int_equal(t->sync_rc, 0);
    assert_true(sio_fault_calls(SIO_OP_FSYNC) > f0);
    run_appends(t, 150, 10); /* 50 more: acked, not synced */
    assert_int_equal(t->n_ok, 150);
    sio_fault_crash_now();
    on_shard(sh_close, NULL); /* its final fsync fails: the machine is "down" */
    sio_fault_reset();
    char err[256];
    assert_int_equal(replay(t, 0, err, sizeof(err)), 100); /* the synced ones, no error */
    tc_free(t);

    /* the period timer syncs by itself */
    t = tc_new(CLOG_SYNC_PERIODIC, 1 << 20);
    t->o.period_ms = 20;
    open_ok(t);
    f0 = sio_fault_calls(SIO_OP_FSYNC);
    run_appends(t, 50, 5);
    for (int i = 0; i < 2000 && sio_fault_calls(SIO_OP_FSYNC) == f0; i++)
        usleep(1000);
    assert_true(sio_fault_calls(SIO_OP_FSYNC) > f0);
    usleep(100000); /* let that fsync finish */
    sio_fault_crash_now();
    on_shard(sh_close, NULL);
    sio_fault_reset();
    assert_int_equal(replay(t, 0, err, sizeof(err)), 50);
    tc_free(t);
}

/* Builds a log of n records written one chunk each (batch mode, one in
 * flight), in segments of seg bytes. */
static struct tc *build_log(int n, int64_t seg)
{
    struct tc *t = tc_new(CLOG_SYNC_BATCH, seg);
    open_ok(t);
    run_appends(t, n, 1);
    assert_int_equal(t->n_ok, n);
    on_shard(sh_close, NULL);
    return t;
}

static void test_torn_tail_every_offset(void **st)
{
    log_set_level(LOG_WARN); /* one info line per replay otherwise */
    struct tc *t = build_log(150, 8192);
    char segs[64][256];
    int ns = list_segs(t, segs, 64);
    assert_true(ns >= 2);
    size_t size;
    uint8_t *orig = read_all(segs[ns - 1], &size);
    size_t offs[512], chunk[512];
    int nr = record_offsets(orig, size, offs, chunk, 512);
    assert_true(nr >= 2);
    size_t last_chunk = chunk[nr - 1];
    size_t end = offs[nr - 1] + CLOG_REC_OVERHEAD + clog_get32(orig + offs[nr - 1]);
    uint8_t *copy = malloc(size);
    char err[256];
    for (size_t x = last_chunk; x < end; x++) {
        /* cut the file at x */
        write_all(segs[ns - 1], orig, x);
        int n = replay(t, 0, err, sizeof(err));
        if (n != 149) fail_msg("truncated at %zu: %d (%s)", x, n, n < 0 ? err : "");
        /* zeros from x on (a preallocated file that lost unsynced pages) */
        memcpy(copy, orig, size);
        memset(copy + x, 0, end - x);
        write_all(segs[ns - 1], copy, size);
        n = replay(t, 0, err, sizeof(err));
        if (n != 149) fail_msg("zeroed from %zu: %d (%s)", x, n, n < 0 ? err : "");
        /* garbage from x on */
        memcpy(copy, orig, size);
        for (size_t k = x; k < end; k++)
            copy[k] = (uint8_t)(k * 7 + 1);
        write_all(segs[ns - 1], copy, size);
        n = replay(t, 0, err, sizeof(err));
        if (n != 149) fail_msg("garbage from %zu: %d (%s)", x, n, n < 0 ? err : "");
    }
    write_all(segs[ns - 1], orig, size);
    assert_int_equal(replay(t, 0, err, sizeof(err)), 150);

    /* the torn segment stops being the last one after a restart: still
     * tolerated (the next segment's header does not vouch for it) */
    write_all(segs[ns - 1], orig, end - 5);
    t->n_app = 149; /* the torn record's number is reused by the new one */
    atomic_store(&t->n_done, 149);
    open_ok(t);
    run_appends(t, 160, 4);
    on_shard(sh_close, NULL);
    assert_int_equal(replay(t, 0, err, sizeof(err)), 160);
    free(copy);
    mem_free(orig);
    log_set_level(LOG_INFO);
    tc_free(t);
}

static void expect_corrupt(struct tc *t, const char *path, size_t lo, size_t hi)
{
    char err[512];
    int n = replay(t, 0, err, sizeof(err));
    assert_int_equal(n, -1);
    const char *base = strrchr(path, '/') + 1;
    if (!strstr(err, base)) fail_msg("error does not name %s: %s", base, err);
    const char *o = strstr(err, "offset ");
    assert_non_null(o);
    size_t at = strtoull(o + 7, NULL, 10);
    if (at < lo || at > hi) fail_msg("offset %zu not in [%zu, %zu]: %s", at, lo, hi, err);
}

static void test_bit_flips(void **st)
{
    struct tc *t = build_log(300, 8192);
    char segs[64][256];
    int ns = list_segs(t, segs, 64);
    assert_true(ns >= 3);
    size_t size;
    uint8_t *orig = read_all(segs[0], &size);
    size_t offs[512], chunk[512];
    int nr = record_offsets(orig, size, offs, chunk, 512);
    assert_true(nr > 10);
    char err[256];

    /* a payload byte in the middle of the first segment */
    int r = nr / 2;
    size_t at = offs[r] + 8 + 3;
    orig[at] ^= 0x10;
    write_all(segs[0], orig, size);
    expect_corrupt(t, segs[0], offs[r], offs[r]);
    /* the same, skipped on request: every other record comes back */
    struct rs rr = {0, 0};
    int n =
        clog_replay_flags(t->dir, 0, CLOG_REPLAY_SKIP_CORRUPT, replay_cb, &rr, err, sizeof(err));
    assert_int_equal(n, 299);
    orig[at] ^= 0x10;

    /* a chunk header byte */
    orig[chunk[r] + 5] ^= 0x01;
    write_all(segs[0], orig, size);
    expect_corrupt(t, segs[0], chunk[r], chunk[r]);
    orig[chunk[r] + 5] ^= 0x01;

    /* the last record of the first segment: the next segment's header says
     * how far the first one was synced, so this is no torn tail */
    at = offs[nr - 1] + 9;
    orig[at] ^= 0x80;
    write_all(segs[0], orig, size);
    expect_corrupt(t, segs[0], offs[nr - 1], offs[nr - 1]);
    orig[at] ^= 0x80;

    /* a truncated early segment */
    write_all(segs[0], orig, offs[r]);
    expect_corrupt(t, segs[0], 0, size);

    /* the segment header */
    orig[17] ^= 0x01;
    write_all(segs[0], orig, size);
    expect_corrupt(t, segs[0], 0, 0);
    orig[17] ^= 0x01;
    write_all(segs[0], orig, size);
    assert_int_equal(replay(t, 0, err, sizeof(err)), 300);
    mem_free(orig);

    /* the middle of the LAST segment: later chunks say it was synced */
    orig = read_all(segs[ns - 1], &size);
    nr = record_offsets(orig, size, offs, chunk, 512);
    assert_true(nr >= 4);
    r = nr / 2;
    orig[offs[r] + 10] ^= 0x04;
    write_all(segs[ns - 1], orig, size);
    expect_corrupt(t, segs[ns - 1], offs[r], offs[r]);
    mem_free(orig);
    tc_free(t);
}

/* EIO / ENOSPC / short write at the n-th write or fsync: appends complete
 * with the error, in order, sticky; nothing crashes; what was acked
 * replays; a reopened log works again. */
static void sh_after_error(void *arg)
{
    /* sticky: a later append and a sync complete with the same error, not
     * synchronously */
    int before = atomic_load(&T->n_done);
    T->n_target++;
    append_next();
    assert_int_equal(atomic_load(&T->n_done), before);
    atomic_store(&T->sync_done, 0);
    assert_int_equal(clog_sync_now(T->c, on_sync, NULL), 0);
    assert_int_equal(atomic_load(&T->sync_done), 0);
}

static void test_io_errors(void **st)
{
    struct {
        unsigned op;
        enum sio_fault kind;
        int want;
    } cases[] = {
        {SIO_OP_WRITE, SIO_FAULT_EIO, -EIO},
        {SIO_OP_WRITE, SIO_FAULT_ENOSPC, -ENOSPC},
        {SIO_OP_WRITE, SIO_FAULT_SHORT_WRITE, -ENOSPC},
        {SIO_OP_FSYNC, SIO_FAULT_EIO, -EIO},
        {SIO_OP_FSYNC, SIO_FAULT_ENOSPC, -ENOSPC},
        {SIO_OP_OPEN, SIO_FAULT_EIO, -EIO},            /* segment roll-over */
        {SIO_OP_FALLOCATE, SIO_FAULT_ENOSPC, -ENOSPC}, /* segment roll-over */
    };
    log_set_level(LOG_ERROR);
    for (size_t ci = 0; ci < sizeof(cases) / sizeof(cases[0]); ci++) {
        for (int nth = 1; nth <= 4; nth++) {
            for (int mode = CLOG_SYNC_PERIODIC; mode <= CLOG_SYNC_BATCH; mode++) {
                struct tc *t = tc_new(mode, 4096);
                open_ok(t);
                sio_fault_arm(cases[ci].op, (uint64_t)nth, cases[ci].kind);
                run_appends(t, 300, 8);
                if (mode == CLOG_SYNC_PERIODIC && cases[ci].op == SIO_OP_FSYNC) {
                    /* periodic acks do not wait for fsyncs: force them */
                    on_shard(sh_sync, NULL);
                    assert_true(wait_for(&t->sync_done, 1, 5000));
                    if (!sio_fault_fired()) {
                        on_shard(sh_sync, NULL);
                        assert_true(wait_for(&t->sync_done, 1, 5000));
                    }
                }
                if (!sio_fault_fired()) fail_msg("case %zu nth %d: fault did not fire", ci, nth);
                assert_int_equal(t->order_bad, 0);
                assert_int_equal(t->sticky_bad, 0);
                int want = cases[ci].want;
                if (t->first_err == 0) { /* failed in the trailing sync */
                    assert_int_equal(t->sync_rc, want);
                } else {
                    assert_int_equal(t->first_err, want);
                    assert_int_equal(t->n_ok, t->first_err_at);
                }
                int base = atomic_load(&t->n_done);
                on_shard(sh_after_error, NULL);
                assert_true(wait_for(&t->n_done, base + 1, 5000));
                assert_true(wait_for(&t->sync_done, 1, 5000));
                assert_int_equal(t->sync_rc, want);
                assert_int_equal(t->rc_of[base], want);
                on_shard(sh_close, NULL);
                sio_fault_reset();
                char err[256];
                int n = replay(t, 0, err, sizeof(err));
                if (n < 0) fail_msg("case %zu nth %d: %s", ci, nth, err);
                assert_true(n >= t->n_ok); /* no crash: even periodic acks are on disk */
                /* reopen: works again, and the old tail does not stop replay */
                int had = n;
                t->n_app = had;
                atomic_store(&t->n_done, had);
                t->first_err = 0;
                t->n_ok = 0;
                open_ok(t);
                run_appends(t, had + 20, 4);
                assert_int_equal(t->n_ok, 20);
                on_shard(sh_close, NULL);
                n = replay(t, 0, err, sizeof(err));
                if (n != had + 20)
                    fail_msg("case %zu nth %d: after reopen %d (%s)", ci, nth, n, n < 0 ? err : "");
                tc_free(t);
            }
        }
    }
    log_set_level(LOG_INFO);
}

static void sh_discard(void *arg)
{
    assert_int_equal(clog_discard_before(T->c, clog_current_segment(T->c)), 0);
}

static void test_discard_before(void **st)
{
    struct tc *t = tc_new(CLOG_SYNC_PERIODIC, 4096);
    open_ok(t);
    run_appends(t, 400, 16);
    char segs[64][256];
    assert_true(list_segs(t, segs, 64) > 3);
    on_shard(sh_discard, NULL);
    for (int i = 0; i < 5000 && list_segs(t, segs, 64) != 1; i++)
        usleep(1000);
    assert_int_equal(list_segs(t, segs, 64), 1);
    on_shard(sh_close, NULL);
    tc_free(t);
}

static void sh_append_then_close(void *arg)
{
    T->n_target = 1000;
    for (int i = 0; i < 1000; i++)
        append_next();
    struct clog *c = T->c;
    T->c = NULL; /* callbacks must not append during the close */
    clog_close(c);
}

static void test_close_flushes_everything(void **st)
{
    for (int mode = CLOG_SYNC_PERIODIC; mode <= CLOG_SYNC_GROUP; mode++) {
        struct tc *t = tc_new(mode, 16384);
        t->o.group_window_ms = 1000;
        open_ok(t);
        on_shard(sh_append_then_close, NULL);
        assert_int_equal(atomic_load(&t->n_done), 1000);
        assert_int_equal(t->n_ok, 1000);
        assert_int_equal(t->order_bad, 0);
        char err[256];
        assert_int_equal(replay(t, 0, err, sizeof(err)), 1000);
        tc_free(t);
    }
}

static void test_replay_missing_dir_and_other_shards(void **st)
{
    char err[256];
    struct rs r = {0, 0};
    assert_int_equal(
        clog_replay("/tmp/test_clog.does-not-exist", 0, replay_cb, &r, err, sizeof(err)), 0);
    struct tc *t = build_log(20, 8192);
    assert_int_equal(clog_replay(t->dir, 1, replay_cb, &r, err, sizeof(err)), 0); /* shard 1 */
    /* a segment of a future format is refused by name */
    char p[256];
    snprintf(p, sizeof(p), "%s/CommitLog-9-0-1.log", t->dir);
    FILE *f = fopen(p, "w");
    fclose(f);
    assert_int_equal(replay(t, 0, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "unsupported commit log format 9"));
    unlink(p);
    tc_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roundtrip_many_segments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_largest_record_and_too_large, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_size_records_fill_segments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_mode_acks_after_fsync_crash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_mode_acks_after_fsync_crash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_mode_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_mode_shares_fsyncs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_periodic_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail_every_offset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bit_flips, setup, teardown),
        cmocka_unit_test_setup_teardown(test_io_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_discard_before, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_flushes_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay_missing_dir_and_other_shards, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
