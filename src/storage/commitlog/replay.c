/*
 * replay.c -- reads a shard's commit-log segments back at start-up (see
 * clog.h, formats in README.md).
 *
 * Each segment is read whole (one segment in memory at a time) and walked
 * chunk by chunk, record by record. Reading stops at the first spot X that
 * is not an intact chunk or record. What X means is decided from evidence
 * written by the writer (clog.c invariant 3), never from guessing:
 *
 *   known_end  the next segment's header says this segment was fsynced
 *              through prev_end and never written after it (a roll-over);
 *   synced_end every chunk header says how far its segment was fsynced
 *              when the chunk was written.
 *
 *  (1) X < known_end, or some intact chunk after X has synced_end > X:
 *      the bytes at X were fsynced, so this is corruption (bit rot, a
 *      truncated or overwritten file): an error naming the file and X;
 *  (2) otherwise the bytes at X were never proven durable: a torn tail
 *      left by a crash (unsynced writes lost or half-written). Expected;
 *      logged at info, and replay continues with the next segment (which
 *      was started by the next clog_open after the crash).
 *
 * A clean end (all-zero chunk header, i.e. the preallocated rest of the
 * segment, or the end of the file) is checked the same way: zeros where
 * durable data should be are corruption.
 */
#include "storage/commitlog/clog_int.h"

#include "storage/io.h"
#include "util/log.h"
#include "util/mem.h"

#include <errno.h>
#include <limits.h>

struct seg {
    uint64_t seq;
    const char *name;
};

struct rp {
    const char *path;
    const uint8_t *d;
    size_t size;
    uint64_t seq;
    int shard;
    uint32_t known_end;
    int flags;
    int (*cb)(void *, const uint8_t *, size_t);
    void *arg;
    char *err;
    size_t errsz;
    long n; /* records delivered */
};

static int cmp_seg(const void *a, const void *b)
{
    uint64_t x = ((const struct seg *)a)->seq, y = ((const struct seg *)b)->seq;
    return x < y ? -1 : x > y;
}

/* 1 if a chunk header at off is intact (checksum, length within the file). */
static int chunk_ok(const struct rp *r, size_t off)
{
    if (off + CLOG_CHUNK_HDR_SIZE > r->size) return 0;
    const uint8_t *h = r->d + off;
    if (clog_get32(h) != CLOG_CHUNK_MAGIC) return 0;
    if (clog_get32(h + 12) != clog_chunk_crc(r->seq, (uint32_t)off, h)) return 0;
    return clog_get32(h + 4) <= r->size - off - CLOG_CHUNK_HDR_SIZE;
}

/* The next intact chunk header after x (0: none). */
static size_t next_chunk(const struct rp *r, size_t x)
{
    static const uint8_t magic[4] = {'C', 'H', 'N', 'K'};
    size_t y = x + 1;
    while (y + CLOG_CHUNK_HDR_SIZE <= r->size) {
        const uint8_t *m = memmem(r->d + y, r->size - y, magic, 4);
        if (!m) return 0;
        y = (size_t)(m - r->d);
        if (chunk_ok(r, y)) return y;
        y++;
    }
    return 0;
}

/* Rule (1): were the bytes at x fsynced? */
static int proven_durable(const struct rp *r, size_t x)
{
    if (x < r->known_end) return 1;
    for (size_t y = next_chunk(r, x); y; y = next_chunk(r, y))
        if (clog_get32(r->d + y + 8) > x) return 1;
    return 0;
}

/* A stop at x. Returns the offset to go on from (skip mode), 0 to end this
 * segment, or -1 (error set). */
static long stop_at(struct rp *r, size_t x, const char *what, int clean)
{
    if (!proven_durable(r, x)) {
        if (!clean)
            log_info("commitlog replay: %s: torn tail at offset %zu (%s), %zu bytes ignored: "
                     "unsynced writes lost in a crash",
                     r->path, x, what, r->size - x);
        return 0;
    }
    const char *why = clean ? "data that was synced is missing" : what;
    if (!(r->flags & CLOG_REPLAY_SKIP_CORRUPT)) {
        snprintf(r->err, r->errsz, "%s: offset %zu: commit log corrupt: %s", r->path, x, why);
        return -1;
    }
    size_t y = next_chunk(r, x);
    log_error("commitlog replay: %s: offset %zu: corrupt (%s); skipping to %s", r->path, x, why,
              y ? "the next intact chunk" : "the next segment");
    return (long)y;
}

static int replay_segment(struct rp *r)
{
    struct clog_seg_hdr h;
    int allzero = 1;
    for (size_t i = 0; i < r->size && i < CLOG_SEG_HDR_SIZE; i++)
        if (r->d[i]) allzero = 0;
    const char *bad = NULL;
    if (allzero) {
        /* created, but its header never reached the disk: a crash right
         * after clog_open or a roll-over, before anything was acked in it */
        if (r->known_end == 0) {
            log_info("commitlog replay: %s: empty segment (created just before a crash)", r->path);
            return 0;
        }
        bad = "segment header missing";
    } else if (r->size < CLOG_SEG_HDR_SIZE || clog_seg_hdr_decode(r->d, &h) < 0) {
        bad = "bad segment header";
    } else if (h.version != CLOG_FORMAT_VERSION) {
        bad = "unsupported format version";
    } else if (h.seq != r->seq || h.shard != (uint32_t)r->shard) {
        bad = "segment header does not match the file name";
    }
    if (bad) {
        if (r->flags & CLOG_REPLAY_SKIP_CORRUPT) {
            log_error("commitlog replay: %s: offset 0: %s; segment skipped", r->path, bad);
            return 0;
        }
        snprintf(r->err, r->errsz, "%s: offset 0: commit log corrupt: %s", r->path, bad);
        return -1;
    }
    size_t off = CLOG_SEG_HDR_SIZE;
    for (;;) {
        long next;
        if (off + CLOG_CHUNK_HDR_SIZE > r->size) {
            int zero = 1;
            for (size_t i = off; i < r->size; i++)
                if (r->d[i]) zero = 0;
            next = stop_at(r, off, "chunk header cut short", zero);
        } else if (!chunk_ok(r, off)) {
            static const uint8_t zeros[CLOG_CHUNK_HDR_SIZE];
            int zero = memcmp(r->d + off, zeros, sizeof(zeros)) == 0;
            next = stop_at(r, off, "bad chunk header", zero);
        } else {
            size_t end = off + CLOG_CHUNK_HDR_SIZE + clog_get32(r->d + off + 4);
            size_t p = off + CLOG_CHUNK_HDR_SIZE;
            const char *what = NULL;
            while (p < end) {
                const uint8_t *q = r->d + p;
                uint32_t n = clog_get32(q);
                if (end - p < CLOG_REC_OVERHEAD) {
                    what = "record header cut short";
                } else if (clog_get32(q + 4) != crc32c(q, 4)) {
                    what = "bad record length checksum";
                } else if (n > end - p - CLOG_REC_OVERHEAD) {
                    what = "record longer than its chunk";
                } else if (clog_get32(q + 8 + n) != crc32c(q + 8, n)) {
                    what = "bad record checksum";
                }
                if (what) break;
                if (r->cb(r->arg, q + 8, n) < 0) {
                    snprintf(r->err, r->errsz, "%s: offset %zu: replay of the record failed",
                             r->path, p);
                    return -1;
                }
                r->n++;
                p += CLOG_REC_OVERHEAD + n;
            }
            if (!what) {
                off = end;
                continue;
            }
            next = stop_at(r, p, what, 0);
        }
        if (next <= 0) return (int)next;
        off = (size_t)next;
    }
}

/* Reads the header of segment `name` to learn where the previous one
 * ended (0: unknown). */
static uint32_t known_end_of(const char *dir, const char *name, uint64_t prev_seq)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = sio_open(path, SIO_RDONLY);
    if (fd < 0) return 0;
    uint8_t b[CLOG_SEG_HDR_SIZE];
    struct clog_seg_hdr h;
    ssize_t got = sio_pread(fd, b, sizeof(b), 0);
    sio_close(fd);
    if (got != (ssize_t)sizeof(b) || clog_seg_hdr_decode(b, &h) < 0) return 0;
    if (h.prev_seq != prev_seq || h.prev_end == CLOG_END_UNKNOWN) return 0;
    return h.prev_end;
}

int clog_replay_flags(const char *dir, int shard, int flags,
                      int (*cb)(void *arg, const uint8_t *rec, size_t n), void *arg, char *err,
                      size_t errsz)
{
    char **names = NULL;
    size_t n_names = 0;
    struct seg *segs = NULL;
    size_t n = 0;
    long total = 0;
    int rc = -1;
    if (sio_list_dir(dir, &names, &n_names) < 0) {
        if (errno == ENOENT) return 0;
        snprintf(err, errsz, "cannot list commit log directory %s: %s", dir, strerror(errno));
        return -1;
    }
    segs = mem_alloc((n_names + 1) * sizeof(*segs));
    if (!segs) {
        snprintf(err, errsz, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n_names; i++) {
        int fmt, sh;
        uint64_t seq;
        if (clog_seg_parse(names[i], &fmt, &sh, &seq) < 0 || sh != shard) continue;
        if (fmt != CLOG_FORMAT_VERSION) {
            snprintf(err, errsz, "%s/%s: unsupported commit log format %d (this build reads %d)",
                     dir, names[i], fmt, CLOG_FORMAT_VERSION);
            goto out;
        }
        segs[n++] = (struct seg){seq, names[i]};
    }
    qsort(segs, n, sizeof(*segs), cmp_seg);
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", dir, segs[i].name);
        uint8_t *data;
        size_t size;
        if (sio_read_file(path, (size_t)CLOG_MAX_SEGMENT + 1, &data, &size) < 0) {
            snprintf(err, errsz, "%s: cannot read: %s", path, strerror(errno));
            goto out;
        }
        struct rp r = {
            .path = path,
            .d = data,
            .size = size,
            .seq = segs[i].seq,
            .shard = shard,
            .known_end = i + 1 < n ? known_end_of(dir, segs[i + 1].name, segs[i].seq) : 0,
            .flags = flags,
            .cb = cb,
            .arg = arg,
            .err = err,
            .errsz = errsz,
        };
        int src = replay_segment(&r);
        mem_free(data);
        total += r.n;
        if (src < 0) goto out;
    }
    rc = total > INT_MAX ? INT_MAX : (int)total;
    if (n) log_info("commitlog replay: shard %d: %ld records from %zu segments", shard, total, n);
out:
    mem_free(segs);
    mem_free(names);
    return rc;
}

int clog_replay(const char *dir, int shard, int (*cb)(void *arg, const uint8_t *rec, size_t n),
                void *arg, char *err, size_t errsz)
{
    return clog_replay_flags(dir, shard, 0, cb, arg, err, errsz);
}
