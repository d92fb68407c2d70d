/*
 * clog.c -- the commit-log writer (see clog.h; formats and durability rules
 * in README.md).
 *
 * How it works. clog_append encodes the record straight into the shard's
 * accumulation batch (`acc`: one byte buffer + the list of waiting
 * callbacks). At most one batch is in flight (`fly`) on the shard's worker
 * thread: the job writes the batch as one or more sync chunks (one
 * pwritev each; a chunk never crosses a segment, a full segment is fsynced
 * and a new one created), then fsyncs when the batch asks for it. When the
 * job completes, back on the shard, every callback of the batch runs in
 * order, and whatever accumulated meanwhile becomes the next batch: group
 * commit falls out of "one batch in flight". The two batches swap roles and
 * keep their buffers, so the steady state allocates nothing of its own
 * (worker_submit allocates one small job per batch).
 *
 * States of a struct clog (shard thread):
 *
 *        clog_open
 *            |
 *            v        kick/window timer: submit()           job done: batch_done()
 *   +----> IDLE ---------------------------------> IN_FLIGHT --------------+
 *   |    (acc may fill;                           (acc fills; fly owned    |
 *   |     schedule() arms                          by the worker)          |
 *   |     the kick/window timer)                                            |
 *   +------------------------------------------------ rc == 0 ------------+
 *                                                      |
 *                                                      | rc < 0
 *                                                      v
 *                                                    ERROR (sticky): fly and acc
 *                                                    callbacks get rc; later
 *                                                    appends complete with rc
 *                                                    through the fail timer
 *   any state --clog_close()--> CLOSING: wait for the job (flag), write + fsync
 *                               acc on the calling thread, run callbacks, free
 *
 * When a batch is submitted (schedule()/submit()):
 *   periodic: at the end of the loop iteration that appended (kick timer,
 *             0 ms); it asks for an fsync only when the period timer or
 *             clog_sync_now said so; callbacks run after the write;
 *   batch:    same, and every batch ends with an fsync;
 *   group:    when the window timer fires (last fsync start + window), and
 *             every batch ends with an fsync; clog_sync_now kicks at once.
 *
 * Invariants:
 *  (1) at most one job in flight; while c->in_flight, the worker-side fields
 *      (fd, seq, off, synced, rc, fly's contents) belong to the worker, and
 *      the shard touches only acc, the timers and the shard-side fields;
 *      the hand-over is the worker's SPSC queues (release/acquire) or, in
 *      clog_close, the token's `done` flag;
 *  (2) callbacks run in append order, each exactly once: fly's before acc's,
 *      acc's before the fail queue's (appends after the error);
 *  (3) on disk, bytes of segment k+1 are written only after segment k was
 *      fsynced to its final length, which k+1's header records (prev_end);
 *      a chunk header records how far its segment was fsynced when it was
 *      written (synced_end): replay uses both to tell a torn tail from
 *      corruption;
 *  (4) after an error nothing more is written (sticky, STYLE.md habit 15);
 *      the log must be closed and reopened, which starts a new segment.
 */
#include "storage/commitlog/clog_int.h"

#include "net/loop.h"
#include "net/shard.h"
#include "net/worker.h"
#include "storage/io.h"
#include "util/cfg.h"
#include "util/log.h"
#include "util/mem.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

_Static_assert(CLOG_SYNC_PERIODIC == (int)CFG_COMMITLOG_PERIODIC &&
                   CLOG_SYNC_BATCH == (int)CFG_COMMITLOG_BATCH &&
                   CLOG_SYNC_GROUP == (int)CFG_COMMITLOG_GROUP,
               "clog_opts.sync_mode takes cfg's commitlog_sync values");

struct waiter {
    void (*done)(void *arg, int rc);
    void *arg;
};

struct batch {
    uint8_t *data; /* encoded records, back to back */
    size_t len, cap;
    struct waiter *w;
    size_t n_w, cap_w;
    int want_sync; /* fsync at the end of this batch */
    int urgent;    /* group mode: do not wait for the window (clog_sync_now) */
    int roll;      /* start a new segment before writing (clog_roll) */
};

/* The worker job's argument. It outlives c when clog_close finds a job in
 * flight: the close orphans it (c = NULL) and the job's done frees it. */
struct token {
    struct clog *c;   /* shard thread writes it; worker reads it at job start */
    _Atomic int done; /* set by the worker when work() returned */
};

struct clog {
    /* immutable after clog_open */
    struct shard *s;
    int shard_id;
    int mode;
    int64_t period_ms, window_ms;
    uint32_t seg_size;
    char *dir;

    /* shard thread only */
    struct batch b[2];
    struct batch *acc, *fly;
    int in_flight;
    int err; /* sticky: 0 or -errno */
    int closing;
    int dirty;              /* periodic: written since the last fsync */
    uint64_t seq_sh;        /* the worker's segment as of the last completed job */
    uint64_t roll_min;      /* clog_roll: records appended since go to >= this */
    uint64_t last_sync_ns;  /* group: when the last fsync batch was submitted */
    struct loop_timer kick; /* 0 ms: submit at the end of this loop iteration */
    struct loop_timer period, window, fail;
    struct waiter *failq; /* appends after the error, completed by `fail` */
    size_t n_fail, cap_fail;
    struct token *tok;

    /* worker side, invariant (1) */
    int fd;
    uint64_t seq;
    uint32_t off;    /* end of written data in the current segment */
    uint32_t synced; /* end of fsynced data in the current segment */
    int rc;          /* the last job's result */
    char path[PATH_MAX];
};

/* ---- worker side: files ---- */

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int fail_io(struct clog *c, const char *what, uint64_t off, size_t n)
{
    int e = errno ? errno : EIO;
    log_error("commitlog: %s failed on %s at offset %" PRIu64 " (%zu bytes): %s", what, c->path,
              off, n, strerror(e));
    return -e;
}

/* Creates segment `seq` (invariant 3: prev_end = where prev_seq ended), makes
 * it and its directory entry durable. 0 ok, -errno (logged). */
static int create_segment(struct clog *c, uint64_t seq, uint64_t prev_seq, uint32_t prev_end)
{
    char name[96];
    clog_seg_name(name, sizeof(name), c->shard_id, seq);
    snprintf(c->path, sizeof(c->path), "%s/%s", c->dir, name);
    errno = 0;
    int fd = sio_open(c->path, SIO_CREATE | SIO_RDWR);
    if (fd < 0) return fail_io(c, "create", 0, 0);
    int rc = 0;
    if (sio_fallocate(fd, c->seg_size) < 0 && errno != EOPNOTSUPP) {
        rc = fail_io(c, "fallocate", 0, c->seg_size);
        goto fail;
    }
    uint8_t hdr[CLOG_SEG_HDR_SIZE];
    struct clog_seg_hdr h = {
        CLOG_FORMAT_VERSION, (uint32_t)c->shard_id, c->seg_size, seq, prev_seq, prev_end};
    clog_seg_hdr_encode(hdr, &h);
    if (sio_pwrite(fd, hdr, sizeof(hdr), 0) < 0) {
        rc = fail_io(c, "write header", 0, sizeof(hdr));
        goto fail;
    }
    if (sio_fsync(fd, 0) < 0) {
        rc = fail_io(c, "fsync", 0, sizeof(hdr));
        goto fail;
    }
    if (sio_fsync_dir(c->dir) < 0) {
        rc = fail_io(c, "fsync directory of", 0, 0);
        goto fail;
    }
    c->fd = fd;
    c->seq = seq;
    c->off = c->synced = CLOG_SEG_HDR_SIZE;
    return 0;
fail:
    sio_close(fd);
    sio_unlink(c->path); /* best effort: no half-made segment for replay */
    return rc;
}

static int sync_segment(struct clog *c)
{
    if (c->synced == c->off) return 0;
    if (sio_fsync(c->fd, 1) < 0) return fail_io(c, "fsync", c->synced, c->off - c->synced);
    c->synced = c->off;
    return 0;
}

/* Finishes the current segment (fsync, invariant 3) and starts the next. */
static int roll_segment(struct clog *c)
{
    int rc = sync_segment(c);
    if (rc) return rc;
    sio_close(c->fd);
    c->fd = -1;
    return create_segment(c, c->seq + 1, c->seq, c->off);
}

static int write_chunk(struct clog *c, const uint8_t *p, size_t n)
{
    uint8_t hdr[CLOG_CHUNK_HDR_SIZE];
    clog_chunk_hdr_encode(hdr, c->seq, c->off, (uint32_t)n, c->synced);
    struct iovec iov[2] = {{hdr, sizeof(hdr)}, {(void *)p, n}};
    errno = 0;
    if (sio_pwritev(c->fd, iov, 2, c->off) < 0) return fail_io(c, "write", c->off, n + sizeof(hdr));
    c->off += (uint32_t)(n + sizeof(hdr));
    return 0;
}

/* Writes batch b (and fsyncs it if asked). Worker thread, or the closing
 * shard thread when nothing is in flight. 0 ok, -errno. */
static int run_batch(struct clog *c, struct batch *b)
{
    if (c->fd < 0) return -EIO; /* a failed roll left no segment; sticky anyway */
    if (b->roll) {              /* clog_roll: always, so clog_current_segment's promise holds */
        int rc = roll_segment(c);
        if (rc) return rc;
    }
    size_t p = 0;
    while (p < b->len) {
        size_t avail = c->off + CLOG_CHUNK_HDR_SIZE < c->seg_size
                           ? c->seg_size - c->off - CLOG_CHUNK_HDR_SIZE
                           : 0;
        size_t q = p;
        while (q < b->len) {
            size_t rl = CLOG_REC_OVERHEAD + clog_get32(b->data + q);
            if (q - p + rl > avail) break;
            q += rl;
        }
        if (q == p && c->off == CLOG_SEG_HDR_SIZE) return -EMSGSIZE; /* cannot happen */
        int rc = q == p ? roll_segment(c) : write_chunk(c, b->data + p, q - p);
        if (rc) return rc;
        p = q;
    }
    return b->want_sync ? sync_segment(c) : 0;
}

static void job_work(void *arg)
{
    struct token *t = arg;
    struct clog *c = t->c;
    c->rc = run_batch(c, c->fly);
    atomic_store_explicit(&t->done, 1, memory_order_release);
}

/* ---- shard side ---- */

static void batch_clear(struct batch *b)
{
    b->len = 0;
    b->n_w = 0;
    b->want_sync = 0;
    b->urgent = 0;
    b->roll = 0;
    if (b->cap > (64u << 20)) { /* do not keep a burst's buffer forever */
        mem_free(b->data);
        b->data = NULL;
        b->cap = 0;
    }
}

static int batch_empty(const struct batch *b)
{
    return b->len == 0 && b->n_w == 0 && !b->want_sync;
}

static int push_waiter(struct waiter **w, size_t *n, size_t *cap, void (*done)(void *, int),
                       void *arg)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        struct waiter *nw = mem_realloc(*w, nc * sizeof(*nw));
        if (!nw) return -1;
        *w = nw;
        *cap = nc;
    }
    (*w)[(*n)++] = (struct waiter){done, arg};
    return 0;
}

static void batch_done(struct clog *c);
static void schedule(struct clog *c);

static void job_done(struct shard *s, void *arg)
{
    struct token *t = arg;
    if (!t->c) { /* orphaned by clog_close */
        mem_free(t);
        return;
    }
    batch_done(t->c);
}

/* Hands acc to the worker (IDLE -> IN_FLIGHT). */
static void submit(struct clog *c)
{
    if (c->in_flight || c->err || c->closing || batch_empty(c->acc)) return;
    struct batch *a = c->acc;
    if (c->mode != CLOG_SYNC_PERIODIC) a->want_sync = 1;
    if (c->mode == CLOG_SYNC_GROUP) c->last_sync_ns = loop_monotonic_ns();
    c->acc = c->fly;
    c->fly = a;
    c->in_flight = 1;
    atomic_store_explicit(&c->tok->done, 0, memory_order_relaxed);
    if (worker_submit(c->s, job_work, job_done, c->tok) == 0) return;
    /* Out of memory: undo, retry in a millisecond. */
    c->fly = c->acc;
    c->acc = a;
    c->in_flight = 0;
    if (loop_timer_arm(&c->s->loop, &c->kick, 1) == 0) return;
    /* Still no memory: fail this batch (not sticky: nothing was written). */
    log_error("commitlog: out of memory submitting %zu records", a->n_w);
    for (size_t i = 0; i < a->n_w; i++)
        a->w[i].done(a->w[i].arg, -ENOMEM);
    batch_clear(a);
}

static void on_kick(loop *l, void *arg)
{
    submit(arg);
}

static void on_window(loop *l, void *arg)
{
    submit(arg);
}

/* Makes sure acc gets submitted in time for its mode (IDLE only). */
static void schedule(struct clog *c)
{
    if (c->in_flight || c->err || c->closing || batch_empty(c->acc)) return;
    loop *l = &c->s->loop;
    if (c->mode == CLOG_SYNC_GROUP && !c->acc->urgent) {
        if (loop_timer_armed(&c->window) || loop_timer_armed(&c->kick)) return;
        uint64_t now = loop_monotonic_ns();
        uint64_t due = c->last_sync_ns + (uint64_t)c->window_ms * 1000000u;
        uint64_t ms = due > now ? (due - now + 999999) / 1000000 : 0;
        if (loop_timer_arm(l, &c->window, ms) < 0) submit(c);
        return;
    }
    if (loop_timer_armed(&c->kick)) return;
    loop_timer_cancel(l, &c->window);
    if (loop_timer_arm(l, &c->kick, 0) < 0) submit(c);
}

static void fail_all(struct clog *c, struct batch *b, int rc)
{
    for (size_t i = 0; i < b->n_w; i++)
        b->w[i].done(b->w[i].arg, rc);
    batch_clear(b);
}

/* The job finished (IN_FLIGHT -> IDLE or ERROR). Shard thread. */
static void batch_done(struct clog *c)
{
    struct batch *f = c->fly;
    int rc = c->rc;
    if (rc == 0) {
        c->seq_sh = c->seq;
        if (f->want_sync)
            c->dirty = 0;
        else if (f->len)
            c->dirty = 1;
    } else if (!c->err) {
        c->err = rc;
        log_error("commitlog: shard %d: log is in error state (%s); %zu records failed, later "
                  "appends fail until it is reopened",
                  c->shard_id, strerror(-rc), f->n_w + c->acc->n_w);
    }
    /* in_flight stays set while callbacks run: appends they make wait in acc */
    fail_all(c, f, rc);
    c->in_flight = 0;
    if (c->err) {
        fail_all(c, c->acc, c->err); /* invariant (2): before the fail queue */
        return;
    }
    schedule(c);
}

static void on_fail(loop *l, void *arg)
{
    struct clog *c = arg;
    size_t n = c->n_fail; /* callbacks may append more: those go next time */
    for (size_t i = 0; i < n; i++)
        c->failq[i].done(c->failq[i].arg, c->err);
    memmove(c->failq, c->failq + n, (c->n_fail - n) * sizeof(*c->failq));
    c->n_fail -= n;
    if (c->n_fail) loop_timer_arm(l, &c->fail, 0);
}

static int defer_fail(struct clog *c, void (*done)(void *, int), void *arg)
{
    if (push_waiter(&c->failq, &c->n_fail, &c->cap_fail, done, arg) < 0) goto oom;
    if (loop_timer_armed(&c->fail) || loop_timer_arm(&c->s->loop, &c->fail, 0) == 0) return 0;
    c->n_fail--;
oom:
    errno = ENOMEM;
    return -1;
}

static void on_period(loop *l, void *arg)
{
    struct clog *c = arg;
    if (c->err || c->closing) return;
    if (c->dirty || c->acc->len || c->in_flight) {
        c->acc->want_sync = 1;
        c->acc->urgent = 1;
        schedule(c);
    }
    loop_timer_arm(l, &c->period, (uint64_t)c->period_ms);
}

int clog_append(struct clog *c, const void *rec, size_t n, void (*done)(void *arg, int rc),
                void *arg)
{
    if (c->closing) {
        errno = EBADF;
        return -1;
    }
    if (n > CLOG_MAX_RECORD(c->seg_size)) {
        errno = EMSGSIZE;
        return -1;
    }
    if (c->err) return defer_fail(c, done, arg);
    struct batch *a = c->acc;
    size_t need = a->len + CLOG_REC_OVERHEAD + n;
    if (need > a->cap) {
        size_t nc = a->cap ? a->cap : 64u << 10;
        while (nc < need)
            nc *= 2;
        uint8_t *nd = mem_realloc(a->data, nc);
        if (!nd) goto oom;
        a->data = nd;
        a->cap = nc;
    }
    if (push_waiter(&a->w, &a->n_w, &a->cap_w, done, arg) < 0) goto oom;
    uint8_t *p = a->data + a->len;
    clog_put32(p, (uint32_t)n);
    clog_put32(p + 4, crc32c(p, 4));
    if (n) memcpy(p + 8, rec, n);
    clog_put32(p + 8 + n, crc32c(p + 8, n));
    a->len = need;
    schedule(c);
    return 0;
oom:
    errno = ENOMEM;
    return -1;
}

int clog_sync_now(struct clog *c, void (*done)(void *arg, int rc), void *arg)
{
    if (c->closing) {
        errno = EBADF;
        return -1;
    }
    if (c->err) return defer_fail(c, done, arg);
    struct batch *a = c->acc;
    if (push_waiter(&a->w, &a->n_w, &a->cap_w, done, arg) < 0) {
        errno = ENOMEM;
        return -1;
    }
    a->want_sync = 1;
    a->urgent = 1;
    schedule(c);
    return 0;
}

uint64_t clog_current_segment(struct clog *c)
{
    return c->seq_sh > c->roll_min ? c->seq_sh : c->roll_min;
}

void clog_roll(struct clog *c)
{
    /* the batch that will carry the next records starts a new segment,
     * numbered after the worker's current one, which is >= seq_sh */
    c->acc->roll = 1;
    if (c->roll_min < c->seq_sh + 1) c->roll_min = c->seq_sh + 1;
}

/* ---- open / close ---- */

/* Largest seq among this shard's segments in c->dir (0: none). */
static int max_existing_seq(struct clog *c, uint64_t *max, char *err, size_t errsz)
{
    char **names;
    size_t n;
    *max = 0;
    if (sio_list_dir(c->dir, &names, &n) < 0) {
        snprintf(err, errsz, "cannot list commitlog directory %s: %s", c->dir, strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        int fmt, shard;
        uint64_t seq;
        if (clog_seg_parse(names[i], &fmt, &shard, &seq) == 0 && shard == c->shard_id && seq > *max)
            *max = seq;
    }
    mem_free(names);
    return 0;
}

static void clog_free(struct clog *c)
{
    for (int i = 0; i < 2; i++) {
        mem_free(c->b[i].data);
        mem_free(c->b[i].w);
    }
    mem_free(c->failq);
    mem_free(c->dir);
    mem_free(c);
}

int clog_open(struct shard *s, const struct clog_opts *o, struct clog **out, char *err,
              size_t errsz)
{
    *out = NULL;
    if (!o->dir || !*o->dir) {
        snprintf(err, errsz, "commitlog_directory is not set");
        return -1;
    }
    if (o->sync_mode < CLOG_SYNC_PERIODIC || o->sync_mode > CLOG_SYNC_GROUP ||
        (o->sync_mode == CLOG_SYNC_PERIODIC && o->period_ms <= 0) ||
        (o->sync_mode == CLOG_SYNC_GROUP && o->group_window_ms <= 0)) {
        snprintf(err, errsz,
                 "invalid commitlog_sync settings (mode %d, period %" PRId64 " ms, window %" PRId64
                 " ms)",
                 o->sync_mode, o->period_ms, o->group_window_ms);
        return -1;
    }
    if (o->segment_size < CLOG_MIN_SEGMENT || o->segment_size > CLOG_MAX_SEGMENT) {
        snprintf(err, errsz, "commitlog_segment_size %" PRId64 " out of range (%d .. %d bytes)",
                 o->segment_size, CLOG_MIN_SEGMENT, CLOG_MAX_SEGMENT);
        return -1;
    }
    struct clog *c = mem_calloc(1, sizeof(*c));
    if (!c) goto oom;
    c->s = s;
    c->shard_id = s->id;
    c->mode = o->sync_mode;
    c->period_ms = o->period_ms;
    c->window_ms = o->group_window_ms;
    c->seg_size = (uint32_t)o->segment_size;
    c->fd = -1;
    c->acc = &c->b[0];
    c->fly = &c->b[1];
    loop_timer_init(&c->kick, on_kick, c);
    loop_timer_init(&c->window, on_window, c);
    loop_timer_init(&c->period, on_period, c);
    loop_timer_init(&c->fail, on_fail, c);
    c->dir = mem_strndup(o->dir, strlen(o->dir));
    c->tok = mem_calloc(1, sizeof(*c->tok));
    if (!c->dir || !c->tok) goto oom;
    c->tok->c = c;
    if (sio_mkdirs(c->dir) < 0) {
        snprintf(err, errsz, "cannot create commitlog directory %s: %s", c->dir, strerror(errno));
        goto fail;
    }
    uint64_t prev;
    if (max_existing_seq(c, &prev, err, errsz) < 0) goto fail;
    uint64_t seq = wall_ms();
    if (seq <= prev) seq = prev + 1;
    int rc = create_segment(c, seq, prev, CLOG_END_UNKNOWN);
    if (rc) {
        snprintf(err, errsz, "cannot create commit log segment %s: %s", c->path, strerror(-rc));
        goto fail;
    }
    c->seq_sh = seq;
    if (c->mode == CLOG_SYNC_PERIODIC &&
        loop_timer_arm(&s->loop, &c->period, (uint64_t)c->period_ms) < 0)
        goto oom;
    log_info("commitlog: shard %d writing %s (%s sync, segment %u bytes)", c->shard_id, c->path,
             c->mode == CLOG_SYNC_PERIODIC ? "periodic"
             : c->mode == CLOG_SYNC_BATCH  ? "batch"
                                           : "group",
             c->seg_size);
    *out = c;
    return 0;
oom:
    snprintf(err, errsz, "out of memory opening the commit log");
fail:
    if (c) {
        loop_timer_cancel(&s->loop, &c->period);
        if (c->fd >= 0) sio_close(c->fd);
        mem_free(c->tok);
        clog_free(c);
    }
    return -1;
}

void clog_close(struct clog *c)
{
    loop *l = &c->s->loop;
    c->closing = 1;
    loop_timer_cancel(l, &c->kick);
    loop_timer_cancel(l, &c->window);
    loop_timer_cancel(l, &c->period);
    loop_timer_cancel(l, &c->fail);
    struct token *t = c->tok;
    if (c->in_flight) {
        /* invariant (1): wait until the worker is done with c, orphan the
         * token (its job_done frees it), finish the batch here */
        while (!atomic_load_explicit(&t->done, memory_order_acquire))
            usleep(100);
        t->c = NULL;
        t = NULL;
        batch_done(c);
    }
    if (!c->err && (!batch_empty(c->acc) || c->dirty)) {
        c->acc->want_sync = 1;
        int rc = run_batch(c, c->acc);
        if (rc) c->err = rc;
        fail_all(c, c->acc, rc);
    }
    fail_all(c, c->acc, c->err);
    for (size_t i = 0; i < c->n_fail; i++)
        c->failq[i].done(c->failq[i].arg, c->err);
    if (c->fd >= 0) sio_close(c->fd);
    mem_free(t);
    clog_free(c);
}

/* ---- discarding old segments ---- */

struct discard_job {
    int shard;
    uint64_t before;
    char dir[]; /* own copy: the log may be closed before the job runs */
};

static void discard_work(void *arg)
{
    struct discard_job *j = arg;
    char **names;
    size_t n;
    if (sio_list_dir(j->dir, &names, &n) < 0) {
        log_error("commitlog: cannot list %s: %s", j->dir, strerror(errno));
        return;
    }
    int removed = 0;
    for (size_t i = 0; i < n; i++) {
        int fmt, shard;
        uint64_t seq;
        if (clog_seg_parse(names[i], &fmt, &shard, &seq) < 0 || shard != j->shard ||
            seq >= j->before)
            continue;
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", j->dir, names[i]);
        if (sio_unlink(path) < 0)
            log_error("commitlog: cannot delete %s: %s", path, strerror(errno));
        else
            removed++;
    }
    mem_free(names);
    if (removed && sio_fsync_dir(j->dir) < 0)
        log_error("commitlog: fsync of %s failed: %s", j->dir, strerror(errno));
    if (removed) log_info("commitlog: deleted %d segments before %" PRIu64, removed, j->before);
}

static void discard_done(struct shard *s, void *arg)
{
    mem_free(arg);
}

int clog_discard_before(struct clog *c, uint64_t seq)
{
    size_t dl = strlen(c->dir);
    struct discard_job *j = mem_alloc(sizeof(*j) + dl + 1);
    if (!j) {
        errno = ENOMEM;
        return -1;
    }
    j->shard = c->shard_id;
    j->before = seq < c->seq_sh ? seq : c->seq_sh; /* never the segment being written */
    memcpy(j->dir, c->dir, dl + 1);
    if (worker_submit(c->s, discard_work, discard_done, j) < 0) {
        mem_free(j);
        errno = ENOMEM;
        return -1;
    }
    return 0;
}
