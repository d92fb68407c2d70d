/*
 * clog -- the per-shard commit log (DESIGN.md §5, format and rules in
 * src/storage/commitlog/README.md).
 *
 * Each shard owns one commit log: a directory of fixed-size segment files
 * `CommitLog-<format>-<shard>-<seq>.log`. clog_append copies a record into
 * the shard's accumulation buffer; the shard's worker thread (net/worker.h)
 * writes whole batches and fsyncs them according to the sync mode; each
 * record's `done` callback runs back on the shard thread, in append order.
 *
 * Thread context: a struct clog is owned by the shard that opened it; every
 * clog_* call except clog_replay must be made on that shard's thread.
 * clog_replay runs before clog_open, on any single thread.
 *
 * Return codes: 0 ok; -1 with errno for synchronous failures. Completion
 * codes passed to `done`: 0 = the record is durable as the mode promises,
 * -errno (-EIO, -ENOSPC, ...) = it may not be; after such a failure the log
 * is in a sticky error state (STYLE.md habit 15) and every later append and
 * sync completes with the same code until the log is closed and reopened.
 */
#ifndef RINGDB_STORAGE_CLOG_H
#define RINGDB_STORAGE_CLOG_H

#include <stddef.h>
#include <stdint.h>

struct shard;
struct clog;

enum clog_sync_mode {
    CLOG_SYNC_PERIODIC, /* ack once written to the OS; fsync every period_ms */
    CLOG_SYNC_BATCH,    /* ack after the fsync that covers the record */
    CLOG_SYNC_GROUP,    /* as batch, but at most one fsync per group_window_ms */
};

struct clog_opts {
    int sync_mode;           /* enum clog_sync_mode (same values as enum cfg_commitlog_sync) */
    int64_t period_ms;       /* periodic: fsync interval, > 0 */
    int64_t group_window_ms; /* group: minimum time between fsyncs, > 0 */
    int64_t segment_size;    /* bytes per segment file, 4 KiB .. 2 GiB - 1 */
    const char *dir;         /* commitlog_directory; copied by clog_open */
};

/* Segment and record geometry (README.md has the offset tables). */
#define CLOG_FORMAT_VERSION 1
#define CLOG_SEG_HDR_SIZE   40u /* segment header */
#define CLOG_CHUNK_HDR_SIZE 16u /* sync chunk header, one per written batch */
#define CLOG_REC_OVERHEAD   12u /* u32 length, u32 crc(length), u32 crc(payload) */
/* Largest payload a log with this segment size accepts. */
#define CLOG_MAX_RECORD(segment_size)                                                              \
    ((size_t)(segment_size)-CLOG_SEG_HDR_SIZE - CLOG_CHUNK_HDR_SIZE - CLOG_REC_OVERHEAD)

/* Opens shard s's commit log in o->dir (created if missing) and starts a new
 * segment numbered after every existing segment of this shard (max seq + 1,
 * or the wall clock in ms if larger, as Cassandra does). The new segment is
 * created, preallocated and synced synchronously here (start-up, not the
 * request path). Call clog_replay first: clog_open never reads old segments.
 * OUT *out: owned by the caller, freed by clog_close. 0 ok; -1 with a
 * message in err (options invalid, directory or file errors, OOM). */
int clog_open(struct shard *s, const struct clog_opts *o, struct clog **out, char *err,
              size_t errsz);

/* Appends one record of n bytes (copied; rec may be reused at once).
 * done(arg, rc) runs later on the shard thread, never from inside
 * clog_append, in append order:
 *   periodic: once the batch holding the record was written to the OS
 *             (survives a process crash, not a power loss before the next
 *             periodic fsync: Cassandra's periodic semantics);
 *   batch:    after the fsync that covers it (records appended while an
 *             fsync runs share the next one: group commit);
 *   group:    after the next fsync, which starts at most once per window.
 * rc 0 = durable per mode, < 0 = -errno (sticky, see above).
 * Returns 0 (done will run exactly once), or -1 without calling done:
 * errno EMSGSIZE (n > CLOG_MAX_RECORD), ENOMEM, or EBADF (log closing). */
int clog_append(struct clog *c, const void *rec, size_t n, void (*done)(void *arg, int rc),
                void *arg);

/* done(arg, rc) runs once everything appended before this call is written
 * and fsynced (in every mode; group mode does not wait for the window).
 * Same return and completion codes as clog_append. */
int clog_sync_now(struct clog *c, void (*done)(void *arg, int rc), void *arg);

/* Shutdown: waits for the batch in flight, writes and fsyncs what is
 * buffered (on the calling thread), runs every outstanding done callback
 * (rc as usual), closes the segment and frees c. Callbacks must not call
 * clog_* on c from here on. Safe in the shard's drain and stop hooks. */
void clog_close(struct clog *c);

/* Sequence number of the segment that records appended from now on go to,
 * or a later one: a memtable remembers it when it starts; once the
 * memtables holding data of older segments are flushed, pass it to
 * clog_discard_before. */
uint64_t clog_current_segment(struct clog *c);

/* Makes the records appended from now on go to a new segment (the batch
 * that carries them starts one; nothing happens until a record comes), and
 * clog_current_segment returns at least that segment's number at once. A
 * memtable frozen for a flush calls it, so that once the flush is durable
 * every older segment can be discarded. Shard thread. */
void clog_roll(struct clog *c);

/* Deletes this shard's segment files with seq < min(seq, current segment),
 * on the worker thread (unlink + directory fsync); errors are logged, not
 * returned. 0 submitted, -1 ENOMEM. */
int clog_discard_before(struct clog *c, uint64_t seq);

/* ---- replay ---- */

/* Replay flags. */
#define CLOG_REPLAY_SKIP_CORRUPT 0x1 /* log corruption (file, offset) and go on */

/* Calls cb(arg, rec, n) for every intact record of every segment of `shard`
 * in dir, oldest first, in append order. rec is valid only during the call.
 * cb returns 0 to go on, < 0 to stop (clog_replay then fails).
 *
 * A torn or corrupt tail that was never proven durable (the end of the last
 * segment after a crash, or of a segment that was the last one when the
 * node crashed) is expected: replay stops reading that segment there and
 * logs it at info. Corruption of bytes that were fsynced (proved by a later
 * chunk or a later segment's header), a bad segment header or a truncated
 * earlier segment is an error: -1 with "file: offset N: what" in err,
 * unless CLOG_REPLAY_SKIP_CORRUPT (then logged at error and skipped: replay
 * goes on from the next intact chunk, or the next segment).
 * Returns the number of records passed to cb, or -1. A missing directory
 * holds no records (0). */
int clog_replay(const char *dir, int shard, int (*cb)(void *arg, const uint8_t *rec, size_t n),
                void *arg, char *err, size_t errsz);
int clog_replay_flags(const char *dir, int shard, int flags,
                      int (*cb)(void *arg, const uint8_t *rec, size_t n), void *arg, char *err,
                      size_t errsz);

#endif
