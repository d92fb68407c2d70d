/*
 * db.c -- see db.h.
 *
 * LSM storage on one shard (src/db/README.md "Storage"): each table has an
 * active memtable, at most one frozen memtable being flushed by the
 * shard's worker thread, and a set of sstables. Reads merge all of them
 * (db_find, db_scan). States of a table's flush:
 *
 *   idle --maybe_flush: freeze mt, worker_submit(flush_work)--> flushing
 *   flushing --flush_done ok: reader added, frozen retired--> idle
 *   flushing --flush_done error: frozen kept for reads, retried later--> idle
 *   flushing --truncate/drop: job cancelled (its sstable removed)--> idle
 *
 * Invariants:
 *  (1) a frozen memtable is never written; the worker reads it while the
 *      shard may read it too; it is destroyed only on the shard, after its
 *      job's done ran (and then only at the next flush: "retired", since a
 *      read trip on another shard may still point into it);
 *  (2) an sstable joins the set only after sst_writer_finish made it live
 *      and durable; commit-log segments are discarded only below the
 *      segment where the oldest memtable still holding data started;
 *  (3) generations encode the shard in their low DB_GEN_SHARD_BITS bits and
 *      grow per shard (milliseconds since the epoch, as commit-log segment
 *      ids), so they never repeat, also after every file was removed.
 */
#include "db/db.h"
#include "db/systab.h"
#include "net/worker.h"
#include "storage/commitlog/clog.h"
#include "storage/sstable/sst.h"
#include "types/value.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/murmur3.h"

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DB_GEN_SHARD_BITS 10
#define DB_GEN_SHARD_MASK ((1ull << DB_GEN_SHARD_BITS) - 1)

struct flush_job;
struct compact_job;

struct db_table_rt {
    uint8_t id[16];
    char *dirname;            /* "<ks>/<table>-<hex id>" under the data directory */
    struct memtable *mt;      /* takes writes */
    uint64_t mt_seg;          /* commit-log segment current at mt's first write; 0: empty */
    struct memtable *frozen;  /* read-only, being (or failed to be) flushed; NULL none */
    uint64_t frozen_seg;      /* mt_seg of frozen */
    struct flush_job *job;    /* the flush in flight, NULL none */
    struct compact_job *cjob; /* the compaction in flight, NULL none */
    struct memtable *retired; /* flushed; destroyed at the next flush (invariant 1) */
    struct sst_reader **ssts; /* the set, one reference each */
    int n_ssts, cap_ssts;
};

struct db_shard {
    struct clog *clog;
    struct db_table_rt *tables;
    int n_tables, cap_tables;
    int64_t last_ts;
    buf rec; /* scratch for serializing a record */
    size_t max_record;
    const struct schema *replay_schema;
    struct shard *shard;
    arena replay_arena;
    uint64_t n_replayed, n_skipped;
    /* storage */
    const struct cfg *cfg;
    struct schema *schema; /* current snapshot, one reference */
    const char *data_dir;
    int64_t flush_limit; /* bytes of active memtables that start a flush */
    uint64_t last_gen;
    int replay_from;     /* shard id of the log being replayed */
    int64_t retry_after; /* ms: no flush retry before (after an error) */
    arena row_arena;     /* one sstable row at a time while merging */
    uint64_t n_flushes, flushed_bytes;
    uint64_t n_compactions;
};
int db_shard_of(int64_t token, int n_shards)
{
    /* biased token as an unsigned fraction of 2^64, times n: the top 32
     * bits are precise enough for any shard count we run */
    uint64_t u = (uint64_t)token ^ (1ull << 63);
    return (int)(((u >> 32) * (uint64_t)n_shards) >> 32);
}

int64_t db_shard_first_token(int shard, int n_shards)
{
    if (shard == 0) return INT64_MIN;
    /* smallest u with ((u >> 32) * n) >> 32 == shard */
    uint64_t hi = (((uint64_t)shard << 32) + (uint64_t)n_shards - 1) / (uint64_t)n_shards;
    return (int64_t)((hi << 32) ^ (1ull << 63));
}

int32_t db_now_seconds(void)
{
    return (int32_t)time(NULL);
}

int64_t db_now_millis(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t db_timestamp(struct shard *s)
{
    struct db_shard *d = s->db;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    if (us <= d->last_ts) us = d->last_ts + 1;
    d->last_ts = us;
    return us;
}

static struct db_table_rt *find_rt(struct db_shard *d, const uint8_t id[16])
{
    for (int i = 0; i < d->n_tables; i++)
        if (memcmp(d->tables[i].id, id, 16) == 0) return &d->tables[i];
    return NULL;
}

/* "<ks>/<table>-<32 hex digits of the id>" (mem_alloc'd), NULL on OOM. */
static char *table_dirname(const struct schema *schema, const uint8_t id[16])
{
    struct schema_keyspace *ks = NULL;
    const struct schema_table *t = schema ? schema_find_table_by_id(schema, id, &ks) : NULL;
    char hex[33];
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", id[i]);
    size_t n = (t && ks ? strlen(ks->name) + strlen(t->name) : 16) + 40;
    char *p = mem_alloc(n);
    if (!p) return NULL;
    if (t && ks)
        snprintf(p, n, "%s/%s-%s", ks->name, t->name, hex);
    else
        snprintf(p, n, "unknown/%s", hex);
    return p;
}

static struct db_table_rt *get_rt(struct db_shard *d, const uint8_t id[16])
{
    struct db_table_rt *rt = find_rt(d, id);
    if (rt) return rt;
    if (d->n_tables == d->cap_tables) {
        int nc = d->cap_tables ? d->cap_tables * 2 : 16;
        struct db_table_rt *nt = mem_realloc(d->tables, sizeof(*nt) * (size_t)nc);
        if (!nt) return NULL;
        d->tables = nt;
        d->cap_tables = nc;
    }
    struct memtable *mt = memt_create();
    if (!mt) return NULL;
    char *dn = table_dirname(d->schema, id);
    if (!dn) {
        memt_destroy(mt);
        return NULL;
    }
    rt = &d->tables[d->n_tables++];
    memset(rt, 0, sizeof(*rt));
    memcpy(rt->id, id, 16);
    rt->mt = mt;
    rt->dirname = dn;
    return rt;
}

struct memtable *db_memtable(struct shard *s, const struct schema_table *t)
{
    struct db_table_rt *rt = get_rt(s->db, t->id);
    return rt ? rt->mt : NULL;
}

int db_table_stats(struct shard *s, struct systab_table_stat *out, int cap)
{
    struct db_shard *d = s->db;
    if (!d) return 0;
    for (int i = 0; i < d->n_tables && i < cap; i++) {
        struct db_table_rt *rt = &d->tables[i];
        memcpy(out[i].id, rt->id, 16);
        out[i].shard = s->id;
        int64_t parts = (int64_t)memt_partitions(rt->mt);
        int64_t bytes = (int64_t)memt_bytes(rt->mt);
        if (rt->frozen) {
            parts += (int64_t)memt_partitions(rt->frozen);
            bytes += (int64_t)memt_bytes(rt->frozen);
        }
        for (int k = 0; k < rt->n_ssts; k++)
            parts += (int64_t)sst_stats(rt->ssts[k])->n_partitions;
        out[i].partitions = parts; /* an estimate: a partition may be in several */
        out[i].memtable_bytes = bytes;
    }
    return d->n_tables;
}

/* ---- generations, sstable files ---- */

static uint64_t next_gen(struct db_shard *d)
{
    uint64_t ms = (uint64_t)db_now_millis();
    uint64_t hi = d->last_gen >> DB_GEN_SHARD_BITS;
    if (ms <= hi) ms = hi + 1;
    d->last_gen = (ms << DB_GEN_SHARD_BITS) | (uint64_t)d->shard->id;
    return d->last_gen;
}

static int add_sst(struct db_table_rt *rt, struct sst_reader *r)
{
    if (rt->n_ssts == rt->cap_ssts) {
        int nc = rt->cap_ssts ? rt->cap_ssts * 2 : 8;
        struct sst_reader **n = mem_realloc(rt->ssts, sizeof(*n) * (size_t)nc);
        if (!n) return -1;
        rt->ssts = n;
        rt->cap_ssts = nc;
    }
    rt->ssts[rt->n_ssts++] = r;
    return 0;
}

/* Removes generations of one table's directory on the worker thread. */
struct remove_job {
    char *dir, *tdn; /* mem_alloc'd */
    uint64_t *gens;
    int n;
    db_done_fn done; /* truncate: the caller's, after the files are gone */
    void *arg;
};

static void remove_work(void *arg)
{
    struct remove_job *j = arg;
    for (int i = 0; i < j->n; i++)
        if (sst_remove(j->dir, j->tdn, j->gens[i]) < 0)
            log_error("sstable remove: %s", sst_errmsg());
}

static void remove_job_free(struct remove_job *j)
{
    mem_free(j->dir);
    mem_free(j->tdn);
    mem_free(j->gens);
    mem_free(j);
}

static void remove_done(struct shard *s, void *arg)
{
    (void)s;
    struct remove_job *j = arg;
    if (j->done) j->done(j->arg, 0, NULL);
    remove_job_free(j);
}

static char *dupstr(const char *x)
{
    size_t n = strlen(x) + 1;
    char *p = mem_alloc(n);
    if (p) memcpy(p, x, n);
    return p;
}

/* worker_submit, except while the shard stops (its worker may already be
 * gone, and a job submitted then would never run): then the job runs here,
 * blocking. -1 only on OOM. */
static int submit_or_run(struct shard *s, worker_work_fn work, worker_done_fn done, void *arg)
{
    if (s->draining) {
        work(arg);
        done(s, arg);
        return 0;
    }
    return worker_submit(s, work, done, arg);
}

/* Takes every sstable (and the flush in flight) away from rt: the readers
 * are released, the job cancelled, and a struct remove_job for their files
 * is returned (NULL on OOM: logged, files stay until removed by hand). */
static struct remove_job *detach_storage(struct db_shard *d, struct db_table_rt *rt);

/* ---- flush ---- */

struct flush_job {
    uint8_t id[16];
    char *dir, *tdn;
    uint64_t gen;
    struct schema *schema; /* a reference: keeps t alive on the worker */
    const struct schema_table *t;
    struct memtable *mt;   /* frozen */
    _Atomic int cancelled; /* truncate or drop while in flight (set by the shard) */
    struct sst_writer *w;  /* worker only: between steps */
    struct mpart *next;    /* worker only: next partition to write */
    int finished;          /* the last step ran (rc final) */
    int rc;
    char err[512];
    struct sst_reader *reader;
    struct sst_stats st;
    double secs;
};

/* One step of a flush on the worker: opens the writer on the first step,
 * writes up to FLUSH_STEP_CELLS cells, and finishes (fsync, renames, open)
 * on the last. Steps are separate worker jobs so that the commit log's
 * writes and fsyncs (same worker) interleave with a long flush. */
#ifdef RINGDB_TEST_BUILD
#define FLUSH_STEP_CELLS 512 /* tests see many steps (and cancellations between them) */
#else
#define FLUSH_STEP_CELLS 65536
#endif

static void flush_work(void *arg)
{
    struct flush_job *j = arg;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (atomic_load(&j->cancelled)) { /* truncate or drop: never goes live */
        if (j->w) sst_writer_abort(j->w);
        j->w = NULL;
        j->rc = -1;
        j->finished = 1;
        snprintf(j->err, sizeof(j->err), "cancelled");
        return;
    }
    if (!j->w) {
        struct sst_opts o;
        sst_opts_from_table(j->t, &o);
        if (sst_writer_open(j->dir, j->tdn, j->gen, j->t, &o, memt_partitions(j->mt), &j->w, j->err,
                            sizeof(j->err)) < 0) {
            j->w = NULL;
            j->rc = -1;
            j->finished = 1;
            return;
        }
        j->next = memt_first(j->mt);
    }
    int rc = 0;
    long budget = FLUSH_STEP_CELLS;
    for (; j->next && rc == 0 && budget > 0; j->next = memt_next(j->next)) {
        struct mpart *p = j->next;
        struct memt_raw_part rp;
        memt_part_raw(p, &rp);
        rc = sst_writer_begin_partition(j->w, rp.token, rp.key, rp.pdel, rp.srow);
        for (int i = 0; i < rp.n_rts && rc == 0; i++)
            rc = sst_writer_add_rt(j->w, &rp.rts[i]);
        budget -= 1 + rp.n_rts + (rp.srow ? rp.srow->n_cells : 0);
        for (const struct mrow *r = memt_rows_first(p); r && rc == 0; r = memt_rows_next(r)) {
            rc = sst_writer_add_row(j->w, memt_row_data(r));
            budget -= 1 + memt_row_data(r)->n_cells;
        }
        if (rc == 0) rc = sst_writer_end_partition(j->w);
    }
    if (rc < 0) {
        snprintf(j->err, sizeof(j->err), "%s", sst_errmsg());
        sst_writer_abort(j->w);
        j->w = NULL;
        j->rc = -1;
        j->finished = 1;
        return;
    }
    if (!j->next) {
        struct sst_writer *w = j->w;
        j->w = NULL;
        j->finished = 1;
        if (sst_writer_finish(w, &j->st) < 0) {
            snprintf(j->err, sizeof(j->err), "%s", sst_errmsg());
            j->rc = -1;
        } else {
            j->rc = sst_open(j->dir, j->tdn, j->gen, j->t, &j->reader, j->err, sizeof(j->err));
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    j->secs += (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

static void flush_job_free(struct flush_job *j)
{
    if (j->schema) schema_unref(j->schema);
    mem_free(j->dir);
    mem_free(j->tdn);
    mem_free(j);
}

static void maybe_flush(struct shard *s);
static void maybe_compact(struct shard *s, struct db_table_rt *rt);

/* Deletes the commit-log segments no memtable needs (invariant 2). */
static void discard_log(struct db_shard *d)
{
    if (!d->clog || d->shard->draining) return; /* stopping: next time */
    uint64_t min = clog_current_segment(d->clog);
    for (int i = 0; i < d->n_tables; i++) {
        struct db_table_rt *rt = &d->tables[i];
        if (rt->frozen && rt->frozen_seg && rt->frozen_seg < min) min = rt->frozen_seg;
        if (rt->mt_seg && rt->mt_seg < min) min = rt->mt_seg;
    }
    clog_discard_before(d->clog, min);
}

static void flush_done(struct shard *s, void *arg)
{
    struct flush_job *j = arg;
    struct db_shard *d = s->db;
    if (!j->finished) { /* next step (a cancelled one aborts the writer) */
        /* while the shard stops, its worker may be gone: finish here */
        if (!s->draining && worker_submit(s, flush_work, flush_done, j) == 0) return;
        while (!j->finished) /* shutdown or out of memory: blocks here */
            flush_work(j);
    }
    struct db_table_rt *rt = d ? find_rt(d, j->id) : NULL;
    if (!rt || atomic_load(&j->cancelled) || rt->job != j) {
        /* truncated or dropped meanwhile: a remove_job queued after this one
         * deletes the files */
        if (j->reader) sst_unref(j->reader);
        memt_destroy(j->mt);
        flush_job_free(j);
        return;
    }
    rt->job = NULL;
    if (j->rc < 0 || add_sst(rt, j->reader) < 0) {
        log_error("flush of %s failed (%s); its memtable stays in memory and is retried",
                  rt->dirname, j->rc < 0 ? j->err : "out of memory");
        if (j->reader) {
            sst_mark_obsolete(j->reader);
            sst_unref(j->reader);
        }
        d->retry_after = db_now_millis() + 1000;
        flush_job_free(j);
        return;
    }
    d->n_flushes++;
    d->flushed_bytes += j->st.data_file_bytes;
    log_info("flushed %s on shard %d: generation %" PRIu64 ", %" PRIu64 " partitions, %" PRIu64
             " bytes (%" PRIu64 " uncompressed, memtable %zu) in %.3f s",
             rt->dirname, s->id, j->gen, j->st.n_partitions, j->st.data_file_bytes,
             j->st.data_bytes, memt_bytes(j->mt), j->secs);
    memt_destroy(rt->retired);
    rt->retired = rt->frozen;
    rt->frozen = NULL;
    rt->frozen_seg = 0;
    flush_job_free(j);
    discard_log(d);
    maybe_compact(s, rt);
    maybe_flush(s);
}

/* Starts flushing rt's memtable (or retries its frozen one). */
static int start_flush(struct shard *s, struct db_table_rt *rt)
{
    struct db_shard *d = s->db;
    if (rt->job) return 0;
    const struct schema_table *t = schema_find_table_by_id(d->schema, rt->id, NULL);
    if (!t) return 0;
    struct flush_job *j = mem_calloc(1, sizeof(*j));
    if (!j) return -1;
    memcpy(j->id, rt->id, 16);
    j->dir = dupstr(d->data_dir);
    j->tdn = dupstr(rt->dirname);
    if (!j->dir || !j->tdn) {
        flush_job_free(j);
        return -1;
    }
    struct memtable *fresh = NULL;
    if (!rt->frozen && !(fresh = memt_create())) {
        flush_job_free(j);
        return -1;
    }
    j->schema = d->schema;
    schema_ref(j->schema);
    j->t = t;
    j->gen = next_gen(d);
    if (!rt->frozen) {
        rt->frozen = rt->mt;
        rt->frozen_seg = rt->mt_seg;
        rt->mt = fresh;
        rt->mt_seg = 0;
        /* the frozen data is in older segments than anything written from
         * now on: once it is flushed, those segments can all go */
        if (d->clog) clog_roll(d->clog);
    }
    j->mt = rt->frozen;
    if (worker_submit(s, flush_work, flush_done, j) < 0) {
        flush_job_free(j);
        return -1;
    }
    rt->job = j;
    return 0;
}

/* When the active memtables pass the limit, flushes every table with data
 * (so that the commit log can be discarded as a whole). */
static void maybe_flush(struct shard *s)
{
    struct db_shard *d = s->db;
    if (!d->clog || s->draining) return; /* replaying, or stopping */
    int64_t total = 0;
    for (int i = 0; i < d->n_tables; i++)
        total += (int64_t)memt_bytes(d->tables[i].mt);
    if (total < d->flush_limit) return;
    int retry = db_now_millis() >= d->retry_after;
    for (int i = 0; i < d->n_tables; i++) {
        struct db_table_rt *rt = &d->tables[i];
        if (rt->job || (rt->frozen && !retry)) continue;
        if (!rt->frozen && memt_partitions(rt->mt) == 0) continue;
        if (start_flush(s, rt) < 0) log_error("flush: out of memory");
    }
}

int db_flush_all(struct shard *s)
{
    struct db_shard *d = s->db;
    int n = 0;
    for (int i = 0; i < d->n_tables; i++) {
        struct db_table_rt *rt = &d->tables[i];
        if (rt->job || (!rt->frozen && memt_partitions(rt->mt) == 0)) continue;
        if (start_flush(s, rt) < 0) return -1;
        n++;
    }
    return n;
}

/* ---- compaction (size-tiered) ----
 *
 *   idle --maybe_compact: a size bucket holds >= STCS_MIN sstables-->
 *   compacting (worker: merge the inputs into one new sstable)
 *   --compact_done ok: output joins the set, inputs leave it, marked
 *     obsolete; their last reference is dropped on the worker, which
 *     removes the files--> idle
 *   --truncate/drop: cancelled (output removed with the table's files)--> idle
 *
 * The merge reconciles each partition of the inputs exactly as reads do
 * (memt_apply into a scratch memtable) and writes it raw: every tombstone
 * is kept (no purging yet, so nothing is purged before gc_grace_seconds).
 * A crash after the output is live but before the inputs are removed
 * leaves both: the same cells twice, which reconcile to the same result. */

static int cmp_pk(int64_t ta, db_val ka, int64_t tb, db_val kb);

#define STCS_MIN   4           /* min_threshold */
#define STCS_MAX   32          /* max_threshold */
#define STCS_SMALL (50u << 20) /* min_sstable_size: smaller ones share a bucket */

struct compact_job {
    uint8_t id[16];
    char *dir, *tdn;
    uint64_t gen;
    struct schema *schema;
    const struct schema_table *t;
    struct sst_reader **in; /* the job's own reference each */
    int n_in;
    _Atomic int cancelled;    /* set by the shard (truncate, drop) */
    struct compact_state *cs; /* worker only: between steps */
    int finished;
    int rc;
    char err[512];
    struct sst_reader *out;
    struct sst_stats st;
    uint64_t in_bytes;
    double secs;
    int64_t gc_before;      /* now - gc_grace_seconds */
    int64_t purge_below_ts; /* DB_NO_TS: purge nothing (see memt_compact_part) */
    uint64_t n_purged;      /* partitions left out entirely */
};

static uint64_t compact_job_gen(struct compact_job *j)
{
    return j->gen;
}

static void compact_job_cancel(struct compact_job *j)
{
    atomic_store(&j->cancelled, 1);
}

/* The merge's state between steps (worker only). */
struct compact_state {
    arena sa, ma, ra; /* scans; the merged partition; rows and output */
    arena *pa;        /* per input: its current partition header */
    struct sst_scan *sc;
    struct sst_partition *hp;
    int *has, *at;
    struct sst_writer *w;
    uint64_t n_out;
};

static void compact_state_free(struct compact_job *j)
{
    struct compact_state *c = j->cs;
    if (!c) return;
    if (c->w) sst_writer_abort(c->w);
    if (c->pa)
        for (int i = 0; i < j->n_in; i++)
            arena_destroy(&c->pa[i]);
    mem_free(c->pa);
    mem_free(c->sc);
    mem_free(c->hp);
    mem_free(c->has);
    mem_free(c->at);
    arena_destroy(&c->sa);
    arena_destroy(&c->ma);
    arena_destroy(&c->ra);
    mem_free(c);
    j->cs = NULL;
}

/* Opens the scans and the writer. 0, or -1 with j->err. */
static int compact_start(struct compact_job *j)
{
    int n = j->n_in;
    struct compact_state *c = j->cs = mem_calloc(1, sizeof(*c));
    if (!c) goto oom;
    arena_init(&c->sa, 65536);
    arena_init(&c->ma, 65536);
    arena_init(&c->ra, 16384);
    c->pa = mem_calloc((size_t)n, sizeof(*c->pa));
    c->sc = mem_calloc((size_t)n, sizeof(*c->sc));
    c->hp = mem_calloc((size_t)n, sizeof(*c->hp));
    c->has = mem_calloc((size_t)n, sizeof(int));
    c->at = mem_calloc((size_t)n, sizeof(int));
    if (!c->pa || !c->sc || !c->hp || !c->has || !c->at) goto oom;
    uint64_t expected = 0;
    for (int i = 0; i < n; i++)
        arena_init(&c->pa[i], 16384);
    for (int i = 0; i < n; i++) {
        expected += sst_stats(j->in[i])->n_partitions;
        if (sst_partition_seek(j->in[i], INT64_MIN, (db_val){NULL, -1}, true, &c->sc[i], &c->sa) <
                0 ||
            (c->has[i] = sst_scan_next(&c->sc[i], &c->hp[i], &c->pa[i])) < 0) {
            snprintf(j->err, sizeof(j->err), "%s", sst_errmsg());
            return -1;
        }
    }
    struct sst_opts o;
    sst_opts_from_table(j->t, &o);
    if (sst_writer_open(j->dir, j->tdn, j->gen, j->t, &o, expected, &c->w, j->err, sizeof(j->err)) <
        0) {
        c->w = NULL;
        return -1;
    }
    return 0;
oom:
    snprintf(j->err, sizeof(j->err), "out of memory");
    return -1;
}

/* Merges the partition at the smallest key of the inputs and writes it.
 * 1 written (or purged), 0 no partition left, -1 error (j->err). */
static int compact_one(struct compact_job *j, int32_t now, long *budget)
{
    struct compact_state *c = j->cs;
    int n = j->n_in, min = -1;
    for (int i = 0; i < n; i++) {
        c->at[i] = 0;
        if (c->has[i] == 1 &&
            (min < 0 || cmp_pk(c->hp[i].token, c->hp[i].key, c->hp[min].token, c->hp[min].key) < 0))
            min = i;
    }
    if (min < 0) return 0;
    arena_reset(&c->ma);
    struct memtable *m = memt_create_in(&c->ma);
    if (!m) goto oom;
    for (int i = 0; i < n; i++) {
        struct sst_partition *hp = &c->hp[i];
        if (c->has[i] != 1 || cmp_pk(hp->token, hp->key, c->hp[min].token, c->hp[min].key) != 0)
            continue;
        c->at[i] = 1;
        struct db_mutation mu;
        db_mutation_init(&mu);
        mu.token = hp->token;
        mu.key = hp->key;
        mu.pdel = hp->pdel;
        mu.srow = hp->srow;
        mu.rts = hp->rts;
        mu.n_rts = hp->n_rts;
        if (memt_apply(m, j->t, &mu, now) < 0) goto oom;
        mu.pdel.ts = DB_NO_TS;
        mu.srow = NULL;
        mu.n_rts = 0;
        struct db_row row;
        mu.rows = &row;
        mu.n_rows = 1;
        struct sst_row_iter it;
        if (sst_rows_seek(hp, NULL, 0, true, &it) < 0) goto sst_err;
        int rc;
        arena_reset(&c->ra);
        while ((rc = sst_rows_next(&it, &row, &c->ra)) == 1) {
            if (memt_apply(m, j->t, &mu, now) < 0) goto oom;
            arena_reset(&c->ra);
            *budget -= 1 + row.n_cells;
        }
        if (rc < 0) goto sst_err;
    }
    struct memt_compacted cp;
    arena_reset(&c->ra);
    if (memt_compact_part(memt_first(m), j->t, j->gc_before, j->purge_below_ts, now, &c->ra, &cp) <
        0)
        goto oom;
    int rc = 0;
    if (cp.pdel.ts != DB_NO_TS || cp.n_rts || cp.srow || cp.n_rows) {
        c->n_out++;
        rc = sst_writer_begin_partition(c->w, cp.token, cp.key, cp.pdel, cp.srow);
        for (int i = 0; i < cp.n_rts && rc == 0; i++)
            rc = sst_writer_add_rt(c->w, &cp.rts[i]);
        for (int i = 0; i < cp.n_rows && rc == 0; i++)
            rc = sst_writer_add_row(c->w, &cp.rows[i]);
        if (rc == 0) rc = sst_writer_end_partition(c->w);
    } else {
        j->n_purged++;
    }
    if (rc < 0) goto sst_err;
    for (int i = 0; i < n; i++) {
        if (!c->at[i]) continue;
        arena_reset(&c->pa[i]);
        if ((c->has[i] = sst_scan_next(&c->sc[i], &c->hp[i], &c->pa[i])) < 0) goto sst_err;
    }
    *budget -= 1;
    return 1;
oom:
    snprintf(j->err, sizeof(j->err), "out of memory");
    return -1;
sst_err:
    snprintf(j->err, sizeof(j->err), "%s", sst_errmsg());
    return -1;
}

/* One step on the worker (like flush_work: steps interleave with the
 * commit log's jobs): up to FLUSH_STEP_CELLS cells merged and written; the
 * last step finishes the output and opens it. */
static void compact_work(void *arg)
{
    struct compact_job *j = arg;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int32_t now = db_now_seconds();
    int r = 1;
    if (atomic_load(&j->cancelled)) {
        snprintf(j->err, sizeof(j->err), "cancelled");
        r = -1;
    } else if (!j->cs && compact_start(j) < 0) {
        r = -1;
    } else {
        long budget = FLUSH_STEP_CELLS;
        while (budget > 0 && (r = compact_one(j, now, &budget)) == 1)
            ;
    }
    if (r == 0) { /* all merged */
        struct compact_state *c = j->cs;
        j->rc = 0;
        if (c->n_out > 0) { /* else everything was purged: no output */
            struct sst_writer *w = c->w;
            c->w = NULL;
            if (sst_writer_finish(w, &j->st) < 0) {
                snprintf(j->err, sizeof(j->err), "%s", sst_errmsg());
                j->rc = -1;
            } else if (sst_open(j->dir, j->tdn, j->gen, j->t, &j->out, j->err, sizeof(j->err)) <
                       0) {
                j->rc = -1;
            }
        }
    }
    if (r <= 0) {
        if (r < 0) j->rc = -1;
        compact_state_free(j);
        j->finished = 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    j->secs += (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

static void compact_job_free(struct compact_job *j)
{
    if (j->schema) schema_unref(j->schema);
    mem_free(j->in);
    mem_free(j->dir);
    mem_free(j->tdn);
    mem_free(j);
}

/* Drops the job's references on the worker: for obsolete inputs the last
 * one removes the files there, not on the shard. */
struct release_job {
    struct sst_reader **r;
    int n;
};

static void release_work(void *arg)
{
    struct release_job *j = arg;
    for (int i = 0; i < j->n; i++)
        sst_unref(j->r[i]);
}

static void release_done(struct shard *s, void *arg)
{
    (void)s;
    struct release_job *j = arg;
    mem_free(j->r);
    mem_free(j);
}

static void compact_done(struct shard *s, void *arg)
{
    struct compact_job *j = arg;
    struct db_shard *d = s->db;
    if (!j->finished) { /* next step */
        if (!s->draining && worker_submit(s, compact_work, compact_done, j) == 0) return;
        /* shutdown (the worker may be gone) or out of memory: give up here;
         * the cancelled step only removes the temporaries */
        atomic_store(&j->cancelled, 1);
        while (!j->finished)
            compact_work(j);
    }
    struct db_table_rt *rt = d ? find_rt(d, j->id) : NULL;
    int cancelled = atomic_load(&j->cancelled);
    if (!rt || cancelled || rt->cjob != j || j->rc < 0) {
        if (rt && rt->cjob == j) {
            rt->cjob = NULL;
            log_error("compaction of %s failed: %s", rt->dirname, j->err);
        }
        if (j->out) {
            if (!cancelled) sst_mark_obsolete(j->out);
            sst_unref(j->out);
        }
        for (int i = 0; i < j->n_in; i++)
            sst_unref(j->in[i]);
        compact_job_free(j);
        return;
    }
    rt->cjob = NULL;
    /* publish: output in, inputs out (same shard-thread step, so no read
     * sees both or neither) */
    if (j->out && add_sst(rt, j->out) < 0) {
        log_error("compaction of %s: out of memory", rt->dirname);
        sst_mark_obsolete(j->out);
        sst_unref(j->out);
        for (int i = 0; i < j->n_in; i++)
            sst_unref(j->in[i]);
        compact_job_free(j);
        return;
    }
    for (int i = 0; i < j->n_in; i++)
        for (int k = 0; k < rt->n_ssts; k++)
            if (rt->ssts[k] == j->in[i]) {
                rt->ssts[k] = rt->ssts[--rt->n_ssts];
                sst_mark_obsolete(j->in[i]);
                sst_unref(j->in[i]); /* the set's; the job's goes on the worker */
                break;
            }
    d->n_compactions++;
    log_info("compacted %s on shard %d: %d sstables (%" PRIu64 " bytes) into generation %" PRIu64
             " (%" PRIu64 " bytes, %" PRIu64 " partitions, %" PRIu64 " purged) in %.3f s%s",
             rt->dirname, s->id, j->n_in, j->in_bytes, j->gen, j->st.data_file_bytes,
             j->st.n_partitions, j->n_purged, j->secs,
             j->purge_below_ts != DB_NO_TS ? " (tombstones past gc_grace_seconds purged)" : "");
    struct release_job *rj = mem_calloc(1, sizeof(*rj));
    if (rj) {
        rj->r = j->in;
        rj->n = j->n_in;
        j->in = NULL;
    }
    if (!rj || submit_or_run(s, release_work, release_done, rj) < 0) {
        if (rj) {
            j->in = rj->r;
            mem_free(rj);
        }
        for (int i = 0; i < j->n_in; i++) /* blocking unlinks here: only without memory */
            sst_unref(j->in[i]);
    }
    compact_job_free(j);
    maybe_compact(s, rt);
}

static int cmp_size(const void *a, const void *b)
{
    uint64_t x = sst_stats(*(struct sst_reader *const *)a)->data_file_bytes;
    uint64_t y = sst_stats(*(struct sst_reader *const *)b)->data_file_bytes;
    return (x > y) - (x < y);
}

/* Size-tiered choice: sstables sorted by size, grouped into buckets of
 * similar size (within 0.5 .. 1.5 of the bucket's average; everything
 * under 50 MiB in one bucket); the first bucket with >= STCS_MIN members
 * is compacted (at most STCS_MAX of its smallest). */
static void maybe_compact(struct shard *s, struct db_table_rt *rt)
{
    struct db_shard *d = s->db;
    if (rt->cjob || rt->n_ssts < STCS_MIN || s->draining) return;
    struct sst_reader **v = mem_alloc(sizeof(*v) * (size_t)rt->n_ssts);
    if (!v) return;
    /* only this shard's own files: one opened by several shards after a
     * change of the shard count holds other shards' partitions */
    int64_t lo = db_shard_first_token(s->id, s->n_shards);
    int64_t hi =
        s->id + 1 < s->n_shards ? db_shard_first_token(s->id + 1, s->n_shards) - 1 : INT64_MAX;
    int nv = 0;
    for (int i = 0; i < rt->n_ssts; i++) {
        const struct sst_stats *st = sst_stats(rt->ssts[i]);
        if ((sst_generation(rt->ssts[i]) & DB_GEN_SHARD_MASK) == (uint64_t)s->id &&
            st->min_token >= lo && st->max_token <= hi)
            v[nv++] = rt->ssts[i];
    }
    qsort(v, (size_t)nv, sizeof(*v), cmp_size);
    int start = 0, pick = -1, n_pick = 0;
    double sum = 0;
    for (int i = 0; i <= nv; i++) {
        int fits = 0;
        if (i < nv) {
            double sz = (double)sst_stats(v[i])->data_file_bytes;
            double avg = i > start ? sum / (i - start) : sz;
            fits = i == start || (sz < STCS_SMALL && avg < STCS_SMALL) ||
                   (sz >= avg * 0.5 && sz <= avg * 1.5);
            if (fits) {
                sum += sz;
                continue;
            }
        }
        if (i - start >= STCS_MIN) {
            pick = start;
            n_pick = i - start;
            break;
        }
        start = i;
        sum = i < nv ? (double)sst_stats(v[i])->data_file_bytes : 0;
    }
    const struct schema_table *t = schema_find_table_by_id(d->schema, rt->id, NULL);
    struct compact_job *j = pick >= 0 && t ? mem_calloc(1, sizeof(*j)) : NULL;
    if (!j) {
        mem_free(v);
        return;
    }
    if (n_pick > STCS_MAX) n_pick = STCS_MAX;
    memcpy(j->id, rt->id, 16);
    j->dir = dupstr(d->data_dir);
    j->tdn = dupstr(rt->dirname);
    j->in = mem_alloc(sizeof(*j->in) * (size_t)n_pick);
    if (!j->dir || !j->tdn || !j->in) {
        compact_job_free(j);
        mem_free(v);
        return;
    }
    for (int i = 0; i < n_pick; i++) {
        j->in[i] = v[pick + i];
        sst_ref(j->in[i]);
        j->in_bytes += sst_stats(j->in[i])->data_file_bytes;
    }
    j->n_in = n_pick;
    mem_free(v);
    /* purging is safe only when every sstable of the table is an input and
     * the tombstone is older than anything in the memtables */
    j->gc_before = (int64_t)db_now_seconds() - t->gc_grace;
    j->purge_below_ts = DB_NO_TS;
    if (n_pick == rt->n_ssts) {
        int64_t m = memt_min_ts(rt->mt);
        if (rt->frozen && memt_min_ts(rt->frozen) < m) m = memt_min_ts(rt->frozen);
        j->purge_below_ts = m;
    }
    j->schema = d->schema;
    schema_ref(j->schema);
    j->t = t;
    j->gen = next_gen(d);
    if (worker_submit(s, compact_work, compact_done, j) < 0) {
        for (int i = 0; i < j->n_in; i++)
            sst_unref(j->in[i]);
        compact_job_free(j);
        return;
    }
    rt->cjob = j;
}

static struct remove_job *detach_storage(struct db_shard *d, struct db_table_rt *rt)
{
    struct remove_job *j = mem_calloc(1, sizeof(*j));
    if (j) {
        j->dir = dupstr(d->data_dir);
        j->tdn = dupstr(rt->dirname);
        j->gens = mem_alloc(sizeof(uint64_t) * (size_t)(rt->n_ssts + 2));
        if (!j->dir || !j->tdn || !j->gens) {
            remove_job_free(j);
            j = NULL;
        }
    }
    if (!j) log_error("%s: out of memory: sstables not removed", rt->dirname);
    for (int i = 0; i < rt->n_ssts; i++) {
        if (j) j->gens[j->n++] = sst_generation(rt->ssts[i]);
        sst_unref(rt->ssts[i]);
    }
    rt->n_ssts = 0;
    if (rt->cjob) {
        if (j) j->gens[j->n++] = compact_job_gen(rt->cjob);
        compact_job_cancel(rt->cjob);
        rt->cjob = NULL;
    }
    if (rt->job) {
        if (j) j->gens[j->n++] = rt->job->gen;
        atomic_store(&rt->job->cancelled, 1); /* its done destroys the frozen memtable */
        rt->job = NULL;
    } else {
        memt_destroy(rt->frozen);
    }
    rt->frozen = NULL;
    rt->frozen_seg = 0;
    return j;
}

static void rt_free(struct db_shard *d, struct db_table_rt *rt, int remove_files)
{
    struct remove_job *j = NULL;
    if (remove_files) {
        j = detach_storage(d, rt);
        if (j && submit_or_run(d->shard, remove_work, remove_done, j) < 0) {
            log_error("%s: out of memory: sstables not removed", rt->dirname);
            remove_job_free(j);
        }
    } else {
        for (int i = 0; i < rt->n_ssts; i++)
            sst_unref(rt->ssts[i]);
        if (rt->cjob) compact_job_cancel(rt->cjob);
        if (rt->job)
            atomic_store(&rt->job->cancelled, 1);
        else
            memt_destroy(rt->frozen);
    }
    memt_destroy(rt->mt);
    memt_destroy(rt->retired);
    mem_free(rt->ssts);
    mem_free(rt->dirname);
}

void db_schema_changed(struct shard *s, const struct schema *schema)
{
    struct db_shard *d = s->db;
    if (!d) return;
    schema_ref((struct schema *)schema);
    for (int i = 0; i < d->n_tables;) {
        if (!schema_find_table_by_id(schema, d->tables[i].id, NULL)) {
            rt_free(d, &d->tables[i], 1);
            d->tables[i] = d->tables[--d->n_tables];
        } else {
            i++;
        }
    }
    if (d->schema) schema_unref(d->schema);
    d->schema = (struct schema *)schema;
}

/* ---- reads: memtables and sstables merged ---- */

static int cmp_pk(int64_t ta, db_val ka, int64_t tb, db_val kb)
{
    if (ta != tb) return ta < tb ? -1 : 1;
    size_t k = (size_t)(ka.len < kb.len ? ka.len : kb.len);
    int c = k ? memcmp(ka.p, kb.p, k) : 0;
    return c ? c : (ka.len > kb.len) - (ka.len < kb.len);
}

/* Reconciles one sstable partition (header and every row) into dst. */
static int merge_sst(struct db_shard *d, struct memtable *dst, const struct schema_table *t,
                     struct sst_partition *sp, const struct db_slice *slices, int n_slices,
                     int32_t now)
{
    struct db_mutation mu;
    db_mutation_init(&mu);
    memcpy(mu.table_id, t->id, 16);
    mu.token = sp->token;
    mu.key = sp->key;
    mu.pdel = sp->pdel;
    mu.srow = sp->srow;
    mu.rts = sp->rts;
    mu.n_rts = sp->n_rts;
    if (memt_apply(dst, t, &mu, now) < 0) return -1;
    mu.pdel.ts = DB_NO_TS;
    mu.srow = NULL;
    mu.n_rts = 0;
    static const struct db_slice all = {0};
    if (n_slices == 0) {
        slices = &all;
        n_slices = 1;
    }
    struct db_row row;
    mu.rows = &row;
    mu.n_rows = 1;
    for (int i = 0; i < n_slices; i++) {
        const struct db_slice *sl = &slices[i];
        struct sst_row_iter it;
        if (sst_rows_seek(sp, sl->start, sl->n_start, sl->start_incl, &it) < 0) return -1;
        int rc;
        arena_reset(&d->row_arena);
        while ((rc = sst_rows_next(&it, &row, &d->row_arena)) == 1) {
            if (sl->n_end && db_slice_cmp(t, row.ck, row.n_ck, sl) > 0) break;
            if (memt_apply(dst, t, &mu, now) < 0) return -1;
            arena_reset(&d->row_arena);
        }
        if (rc < 0) return -1;
    }
    return 0;
}

static void read_error(struct db_table_rt *rt)
{
    if (errno != ENOMEM) log_error("%s: sstable read failed: %s", rt->dirname, sst_errmsg());
}

struct mpart *db_find(struct shard *s, const struct schema_table *t, int64_t token, db_val key,
                      const struct db_slice *slices, int n_slices, arena *a, int *rc)
{
    struct db_shard *d = s->db;
    *rc = 0;
    struct db_table_rt *rt = get_rt(d, t->id);
    if (!rt) return *rc = -1, NULL;
    struct mpart *pa = memt_find(rt->mt, token, key);
    if (!rt->frozen && rt->n_ssts == 0) return pa;
    struct mpart *pf = rt->frozen ? memt_find(rt->frozen, token, key) : NULL;
    struct sst_partition *sp = NULL;
    int n_sp = 0;
    for (int i = 0; i < rt->n_ssts; i++) {
        if (!sst_may_contain(rt->ssts[i], token, key)) continue;
        if (!sp && !(sp = arena_alloc(a, sizeof(*sp) * (size_t)rt->n_ssts))) return *rc = -1, NULL;
        int f = sst_partition_find(rt->ssts[i], token, key, &sp[n_sp], a);
        if (f < 0) {
            read_error(rt);
            return *rc = -1, NULL;
        }
        n_sp += f;
    }
    if (!pf && n_sp == 0) return pa;
    if (!pa && !pf && n_sp == 0) return NULL;
    int32_t now = db_now_seconds();
    struct memtable *m = memt_create_in(a);
    if (!m) return *rc = -1, NULL;
    if ((pa && memt_merge_part(m, t, pa, slices, n_slices, now) < 0) ||
        (pf && memt_merge_part(m, t, pf, slices, n_slices, now) < 0))
        return *rc = -1, NULL;
    for (int i = 0; i < n_sp; i++)
        if (merge_sst(d, m, t, &sp[i], slices, n_slices, now) < 0) {
            read_error(rt);
            return *rc = -1, NULL;
        }
    return memt_first(m);
}

struct scan_src {
    struct mpart *mp;   /* memtable sources */
    struct sst_scan sc; /* sstable sources */
    struct sst_partition sp;
    int has; /* sstable: sp holds the next partition */
    int is_sst;
};

struct db_scan {
    struct db_shard *d;
    struct db_table_rt *rt;
    const struct schema_table *t;
    const struct db_slice *slices;
    int n_slices;
    arena *a;
    int32_t now;
    int n_src;
    struct scan_src src[];
};

struct db_scan *db_scan_open(struct shard *s, const struct schema_table *t, int64_t token,
                             db_val key, bool incl, const struct db_slice *slices, int n_slices,
                             arena *a)
{
    struct db_shard *d = s->db;
    struct db_table_rt *rt = get_rt(d, t->id);
    if (!rt) return NULL;
    int n = 2 + rt->n_ssts;
    struct db_scan *sc = arena_calloc(a, sizeof(*sc) + sizeof(sc->src[0]) * (size_t)n);
    if (!sc) return NULL;
    sc->d = d;
    sc->rt = rt;
    sc->t = t;
    sc->slices = slices;
    sc->n_slices = n_slices;
    sc->a = a;
    sc->now = db_now_seconds();
    sc->n_src = n;
    sc->src[0].mp = memt_seek(rt->mt, token, key, incl);
    sc->src[1].mp = rt->frozen ? memt_seek(rt->frozen, token, key, incl) : NULL;
    int64_t end =
        s->id + 1 < s->n_shards ? db_shard_first_token(s->id + 1, s->n_shards) - 1 : INT64_MAX;
    for (int i = 0; i < rt->n_ssts; i++) {
        struct scan_src *x = &sc->src[2 + i];
        x->is_sst = 1;
        if (sst_partition_seek(rt->ssts[i], token, key, incl, &x->sc, a) < 0) goto fail;
        sst_scan_set_end(&x->sc, end);
        int r = sst_scan_next(&x->sc, &x->sp, a);
        if (r < 0) goto fail;
        x->has = r;
    }
    return sc;
fail:
    read_error(rt);
    return NULL;
}

static int src_at(const struct scan_src *x, int64_t *tok, db_val *key)
{
    if (x->is_sst) {
        if (!x->has) return 0;
        *tok = x->sp.token;
        *key = x->sp.key;
        return 1;
    }
    if (!x->mp) return 0;
    *tok = memt_part_token(x->mp);
    *key = memt_part_key(x->mp);
    return 1;
}

struct mpart *db_scan_next(struct db_scan *sc, int *rc)
{
    *rc = 0;
    int64_t mt = 0, tk;
    db_val mk = {NULL, -1}, k;
    int have = 0, n_at = 0, only = -1;
    for (int i = 0; i < sc->n_src; i++) {
        if (!src_at(&sc->src[i], &tk, &k)) continue;
        int c = have ? cmp_pk(tk, k, mt, mk) : -1;
        if (c < 0) {
            mt = tk;
            mk = k;
            have = 1;
            n_at = 1;
            only = i;
        } else if (c == 0) {
            n_at++;
        }
    }
    if (!have) return NULL;
    if (n_at == 1 && only == 0) { /* only in the active memtable: no copy */
        struct mpart *p = sc->src[0].mp;
        sc->src[0].mp = memt_next(p);
        return p;
    }
    struct memtable *m = memt_create_in(sc->a);
    if (!m) return *rc = -1, NULL;
    for (int i = 0; i < sc->n_src; i++) {
        struct scan_src *x = &sc->src[i];
        if (!src_at(x, &tk, &k) || cmp_pk(tk, k, mt, mk) != 0) continue;
        if (!x->is_sst) {
            if (memt_merge_part(m, sc->t, x->mp, sc->slices, sc->n_slices, sc->now) < 0)
                return *rc = -1, NULL;
            x->mp = memt_next(x->mp);
            continue;
        }
        if (merge_sst(sc->d, m, sc->t, &x->sp, sc->slices, sc->n_slices, sc->now) < 0) goto fail;
        int r = sst_scan_next(&x->sc, &x->sp, sc->a);
        if (r < 0) goto fail;
        x->has = r;
    }
    return memt_first(m);
fail:
    read_error(sc->rt);
    *rc = -1;
    return NULL;
}

/* ---- replay ---- */

static void replay_truncate(struct db_shard *d, struct db_table_rt *rt, uint64_t max_gen)
{
    memt_destroy(rt->mt);
    rt->mt = memt_create();
    rt->mt_seg = 0;
    for (int i = 0; i < rt->n_ssts;) {
        uint64_t g = sst_generation(rt->ssts[i]);
        if ((g & DB_GEN_SHARD_MASK) == (uint64_t)d->replay_from && g <= max_gen) {
            sst_mark_obsolete(rt->ssts[i]); /* start-up: the unlinks may block */
            sst_unref(rt->ssts[i]);
            rt->ssts[i] = rt->ssts[--rt->n_ssts];
        } else {
            i++;
        }
    }
}

static int replay_record(void *arg, const uint8_t *rec, size_t n)
{
    struct db_shard *d = arg;
    if (n < 1) return 0;
    if (rec[0] == DB_REC_TRUNCATE && n >= 17) {
        struct db_table_rt *rt = find_rt(d, rec + 1);
        if (rt) {
            replay_truncate(d, rt, n >= 33 ? be64(rec + 25) : 0);
            if (!rt->mt) return -1;
        }
        return 0;
    }
    if (rec[0] != DB_REC_MUTATION) return 0;
    struct db_mutation m;
    arena_reset(&d->replay_arena);
    if (db_mutation_deserialize(rec + 1, n - 1, &d->replay_arena, &m) < 0) {
        log_warn("commit log replay: undecodable mutation record (%zu bytes) skipped", n);
        d->n_skipped++;
        return 0;
    }
    if (db_shard_of(m.token, d->shard->n_shards) != d->shard->id) return 0;
    const struct schema_table *t = schema_find_table_by_id(d->replay_schema, m.table_id, NULL);
    if (!t) { /* dropped table */
        d->n_skipped++;
        return 0;
    }
    struct db_table_rt *rt = get_rt(d, t->id);
    if (!rt || memt_apply(rt->mt, t, &m, db_now_seconds()) < 0) return -1;
    rt->mt_seg = 1; /* pins every old segment until flushed */
    d->n_replayed++;
    return 0;
}

/* Opens this shard's sstables of every table (start-up, before replay):
 * those whose token range meets the shard's (after a change of the shard
 * count, a file may serve several shards). */
static int load_sstables(struct db_shard *d, const struct schema *schema, char *err, size_t errsz)
{
    struct shard *s = d->shard;
    int64_t lo = db_shard_first_token(s->id, s->n_shards);
    int64_t hi =
        s->id + 1 < s->n_shards ? db_shard_first_token(s->id + 1, s->n_shards) - 1 : INT64_MAX;
    int n_open = 0;
    for (int k = 0; k < schema->n_ks; k++) {
        const struct schema_keyspace *ks = schema->ks[k];
        if (ks->is_virtual) continue;
        for (int i = 0; i < ks->n_tables; i++) {
            const struct schema_table *t = ks->tables[i];
            if (t->is_virtual) continue;
            char *dn = table_dirname(schema, t->id);
            if (!dn) goto oom;
            uint64_t *gens;
            size_t n;
            int rc = sst_list_owned(d->data_dir, dn, DB_GEN_SHARD_MASK, (uint64_t)s->id, &gens, &n);
            mem_free(dn);
            if (rc < 0) {
                snprintf(err, errsz, "%s", sst_errmsg());
                return -1;
            }
            for (size_t g = 0; g < n; g++) {
                if ((gens[g] & DB_GEN_SHARD_MASK) == (uint64_t)s->id && gens[g] > d->last_gen)
                    d->last_gen = gens[g];
                struct db_table_rt *rt = get_rt(d, t->id);
                struct sst_reader *r;
                if (!rt) {
                    mem_free(gens);
                    goto oom;
                }
                if (sst_open(d->data_dir, rt->dirname, gens[g], t, &r, err, errsz) < 0) {
                    mem_free(gens);
                    return -1;
                }
                const struct sst_stats *st = sst_stats(r);
                if (st->n_partitions == 0 || st->max_token < lo || st->min_token > hi) {
                    sst_unref(r);
                    continue;
                }
                if (add_sst(rt, r) < 0) {
                    sst_unref(r);
                    mem_free(gens);
                    goto oom;
                }
                n_open++;
            }
            mem_free(gens);
        }
    }
    if (n_open) log_info("shard %d: %d sstables opened", s->id, n_open);
    return 0;
oom:
    snprintf(err, errsz, "out of memory");
    return -1;
}

int db_shard_init(struct shard *s, const struct cfg *cfg, const struct schema *schema, char *err,
                  size_t errsz)
{
    struct db_shard *d = mem_calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    s->db = d;
    d->shard = s;
    d->cfg = cfg;
    d->schema = (struct schema *)schema;
    schema_ref(d->schema);
    d->data_dir = cfg->data_file_directories[0];
    int64_t limit = cfg->memtable_heap_space_bytes;
    if (limit <= 0) {
        long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
        limit = pages > 0 && psz > 0 ? (int64_t)pages * psz / 4 : (int64_t)2048 << 20;
    }
    d->flush_limit = limit / (s->n_shards > 0 ? s->n_shards : 1);
    if (d->flush_limit < 65536) d->flush_limit = 65536;
    buf_init(&d->rec);
    arena_init(&d->replay_arena, 65536);
    arena_init(&d->row_arena, 16384);
    d->replay_schema = schema;
    if (load_sstables(d, schema, err, errsz) < 0) return -1;
    /* every former shard's segments: a partition may have moved here if
     * the shard count changed; mutations reconcile by timestamp, so the
     * order across logs does not matter */
    for (int sh = 0; sh < 256; sh++) {
        d->replay_from = sh;
        int n = clog_replay(cfg->commitlog_directory, sh, replay_record, d, err, errsz);
        if (n < 0) return -1;
    }
    arena_destroy(&d->replay_arena);
    arena_init(&d->replay_arena, 4096);
    d->replay_schema = NULL;
    if (d->n_replayed)
        log_info("commit log replay: %llu mutations applied, %llu skipped",
                 (unsigned long long)d->n_replayed, (unsigned long long)d->n_skipped);
    struct clog_opts o = {
        .sync_mode = cfg->commitlog_sync == CFG_COMMITLOG_BATCH   ? CLOG_SYNC_BATCH
                     : cfg->commitlog_sync == CFG_COMMITLOG_GROUP ? CLOG_SYNC_GROUP
                                                                  : CLOG_SYNC_PERIODIC,
        .period_ms = cfg->commitlog_sync_period_ms,
        .group_window_ms = cfg->commitlog_sync_group_window_ms,
        .segment_size = cfg->commitlog_segment_size_bytes,
        .dir = cfg->commitlog_directory,
    };
    d->max_record = CLOG_MAX_RECORD(o.segment_size);
    if (clog_open(s, &o, &d->clog, err, errsz) < 0) return -1;
    maybe_flush(s); /* a large replay flushes at once */
    return 0;
}

void db_shard_free(struct shard *s)
{
    struct db_shard *d = s->db;
    if (!d) return;
    if (d->clog) clog_close(d->clog);
    for (int i = 0; i < d->n_tables; i++)
        rt_free(d, &d->tables[i], 0);
    mem_free(d->tables);
    buf_free(&d->rec);
    arena_destroy(&d->replay_arena);
    arena_destroy(&d->row_arena);
    if (d->schema) schema_unref(d->schema);
    mem_free(d);
    s->db = NULL;
}

/* ---- write path ---- */

static int col_index_of(const struct schema_table *t, int id)
{
    for (int i = 0; i < t->n_cols; i++)
        if (t->cols[i].id == id) return i;
    return -1;
}

/* Turns DB_OP_* cells of one row into plain cells using the memtable's
 * current state of that row. -1 with msg on a user error, -2 OOM. */
static int resolve_row(struct mpart *p, const struct schema_table *t, struct db_row *row,
                       int32_t now, arena *a, char *msg, size_t msgsz)
{
    int has_ops = 0;
    for (int i = 0; i < row->n_cells; i++)
        has_ops |= row->cells[i].kind >= DB_OP_COUNTER_ADD;
    if (!has_ops) return 0;
    int cap = row->n_cells + 16;
    struct db_cell *out = arena_alloc(a, sizeof(*out) * (size_t)cap);
    if (!out) return -2;
    int n = 0;
    for (int i = 0; i < row->n_cells; i++) {
        const struct db_cell *c = &row->cells[i];
        if (c->kind < DB_OP_COUNTER_ADD) {
            out[n++] = *c;
            continue;
        }
        int ci = col_index_of(t, c->col);
        if (ci < 0) continue;
        struct db_rcol cur;
        if (memt_row_cells(p, t, row->ck, row->n_ck, ci, now, a, &cur) < 0) return -2;
        if (c->kind == DB_OP_COUNTER_ADD) {
            int64_t base = 0;
            int prev = -1;
            for (int k = 0; k < n; k++)
                if (out[k].col == c->col && out[k].kind == DB_CELL_LIVE) prev = k;
            if (prev >= 0)
                base = (int64_t)be64(out[prev].value.p);
            else if (cur.n == 1 && cur.cells[0].value.len == 8)
                base = (int64_t)be64(cur.cells[0].value.p);
            int64_t delta = c->value.len == 8 ? (int64_t)be64(c->value.p) : 0;
            uint8_t *v = arena_alloc(a, 8);
            if (!v) return -2;
            put_be64(v, (uint64_t)(base + delta)); /* wraps like Java's long */
            struct db_cell nc = *c;
            nc.kind = DB_CELL_LIVE;
            nc.value = (db_val){v, 8};
            if (prev >= 0)
                out[prev] = nc;
            else
                out[n++] = nc;
            continue;
        }
        if (c->kind == DB_OP_LIST_SET || c->kind == DB_OP_LIST_DEL) {
            int32_t idx = c->path.len == 4 ? (int32_t)be32(c->path.p) : -1;
            if (idx < 0 || idx >= cur.n) {
                snprintf(msg, msgsz, "List index %d out of bound, list has size %d", idx, cur.n);
                return -1;
            }
            struct db_cell nc = *c;
            nc.path = cur.cells[idx].path;
            nc.kind = c->kind == DB_OP_LIST_SET ? DB_CELL_LIVE : DB_CELL_TOMB;
            if (nc.kind == DB_CELL_TOMB) nc.value = (db_val){NULL, -1};
            out[n++] = nc;
            continue;
        }
        if (c->kind == DB_OP_LIST_DISCARD) {
            struct type_iter it;
            const struct type *lt = t->cols[ci].type;
            for (int k = 0; k < cur.n; k++) {
                if (type_iter_init(&it, lt, c->value.p, c->value.len) < 0) break;
                struct type_val v;
                int hit = 0;
                while (!hit && type_iter_next(&it, &v) > 0)
                    hit = v.len == cur.cells[k].value.len &&
                          (v.len <= 0 || memcmp(v.p, cur.cells[k].value.p, (size_t)v.len) == 0);
                if (!hit) continue;
                if (n == cap) {
                    int nc2 = cap * 2;
                    struct db_cell *no = arena_alloc(a, sizeof(*no) * (size_t)nc2);
                    if (!no) return -2;
                    memcpy(no, out, sizeof(*out) * (size_t)n);
                    out = no;
                    cap = nc2;
                }
                struct db_cell tc = *c;
                tc.kind = DB_CELL_TOMB;
                tc.path = cur.cells[k].path;
                tc.value = (db_val){NULL, -1};
                tc.ldt = now;
                out[n++] = tc;
            }
        }
    }
    row->cells = out;
    row->n_cells = n;
    return 0;
}

static int resolve(struct shard *s, const struct schema_table *t, struct db_mutation *m,
                   int32_t now, arena *a, char *msg, size_t msgsz)
{
    int has_ops = 0;
    if (m->srow)
        for (int k = 0; k < m->srow->n_cells; k++)
            has_ops |= m->srow->cells[k].kind >= DB_OP_COUNTER_ADD;
    for (int i = 0; i < m->n_rows; i++)
        for (int k = 0; k < m->rows[i].n_cells; k++)
            has_ops |= m->rows[i].cells[k].kind >= DB_OP_COUNTER_ADD;
    if (!has_ops) return 0;
    int frc;
    struct mpart *p = db_find(s, t, m->token, m->key, NULL, 0, a, &frc); /* memtables + sstables */
    if (frc < 0) return -2;
    int rc = 0;
    if (m->srow) rc = resolve_row(p, t, m->srow, now, a, msg, msgsz);
    for (int i = 0; rc == 0 && i < m->n_rows; i++)
        rc = resolve_row(p, t, &m->rows[i], now, a, msg, msgsz);
    return rc;
}

struct apply_ctx {
    db_done_fn done;
    void *arg;
};

static void on_logged(void *arg, int rc)
{
    struct apply_ctx *ac = arg;
    db_done_fn done = ac->done;
    void *a = ac->arg;
    mem_free(ac);
    if (rc < 0)
        done(a, 0x1500 /* Write_failure */, "commit log write failed: the write is not durable");
    else
        done(a, 0, NULL);
}

static int log_record(struct db_shard *d, const void *rec, size_t n, db_done_fn done, void *arg)
{
    struct apply_ctx *ac = mem_alloc(sizeof(*ac));
    if (!ac) return -1;
    ac->done = done;
    ac->arg = arg;
    if (clog_append(d->clog, rec, n, on_logged, ac) < 0) {
        mem_free(ac);
        return -1;
    }
    return 0;
}

int db_apply(struct shard *s, const struct schema_table *t, struct db_mutation *m, int durable,
             arena *a, db_done_fn done, void *arg)
{
    struct db_shard *d = s->db;
    struct db_table_rt *rt = get_rt(d, t->id);
    if (!rt) return -1;
    int32_t now = db_now_seconds();
    char msg[256];
    int rc = resolve(s, t, m, now, a, msg, sizeof(msg));
    if (rc == -2) return -1;
    if (rc == -1) {
        done(arg, 0x2200, msg);
        return 0;
    }
    if (durable) {
        buf_clear(&d->rec);
        db_mutation_serialize(m, &d->rec);
        if (!buf_ok(&d->rec)) return -1;
        if (d->rec.len > d->max_record) {
            snprintf(msg, sizeof(msg),
                     "Mutation of %zu bytes is too large for the maximum size of %zu", d->rec.len,
                     d->max_record);
            done(arg, 0x2200, msg);
            return 0;
        }
    }
    if (!rt->mt_seg) rt->mt_seg = clog_current_segment(d->clog); /* before the append */
    if (memt_apply(rt->mt, t, m, now) < 0) return -1;
    maybe_flush(s);
    if (!durable) {
        done(arg, 0, NULL);
        return 0;
    }
    return log_record(d, d->rec.data, d->rec.len, done, arg);
}

/* Truncate: the record (with the highest generation this shard has
 * allocated) is made durable first, then the files are removed on the
 * worker, then done runs. A crash in between: replay of the record removes
 * this shard's sstables up to that generation. */
struct trunc_ctx {
    struct shard *s;
    struct remove_job *rj;
    db_done_fn done;
    void *arg;
};

static void trunc_logged(void *arg, int rc, const char *msg)
{
    struct trunc_ctx *c = arg;
    struct remove_job *rj = c->rj;
    db_done_fn done = c->done;
    void *darg = c->arg;
    struct shard *s = c->s;
    mem_free(c);
    if (rc) {
        if (rj) remove_job_free(rj);
        done(darg, rc, msg);
        return;
    }
    if (!rj) {
        done(darg, 0, NULL);
        return;
    }
    rj->done = done;
    rj->arg = darg;
    if (submit_or_run(s, remove_work, remove_done, rj) < 0) {
        log_error("truncate: out of memory: sstables not removed");
        remove_job_free(rj);
        done(darg, 0, NULL);
    }
}

int db_truncate(struct shard *s, const struct schema_table *t, db_done_fn done, void *arg)
{
    struct db_shard *d = s->db;
    struct db_table_rt *rt = get_rt(d, t->id);
    if (!rt) return -1;
    struct memtable *fresh = memt_create();
    if (!fresh) return -1;
    struct trunc_ctx *c = mem_calloc(1, sizeof(*c));
    if (!c) {
        memt_destroy(fresh);
        return -1;
    }
    memt_destroy(rt->retired);
    rt->retired = rt->mt; /* a read trip may still point into it (invariant 1) */
    rt->mt = fresh;
    rt->mt_seg = 0;
    c->s = s;
    c->done = done;
    c->arg = arg;
    c->rj = detach_storage(d, rt);
    uint8_t rec[33];
    rec[0] = DB_REC_TRUNCATE;
    memcpy(rec + 1, t->id, 16);
    put_be64(rec + 17, (uint64_t)db_timestamp(s));
    put_be64(rec + 25, d->last_gen);
    if (log_record(d, rec, sizeof(rec), trunc_logged, c) < 0) {
        if (c->rj) remove_job_free(c->rj);
        mem_free(c);
        return -1;
    }
    return 0;
}
