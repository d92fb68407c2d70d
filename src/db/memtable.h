/*
 * memtable (memt_) -- one table's writes on one shard, in memory, sorted:
 * partitions by (token, key bytes), rows by clustering (the clustering
 * types' comparators, reversed for DESC columns), cells by (column id,
 * element path in the collection's key order).
 *
 * Everything lives in the memtable's arena and is never freed piecewise:
 * a merged row gets a new cell array; the old one is garbage until the
 * memtable is dropped (flush, truncate or drop). Tombstones and expired
 * cells are kept and applied when reading (purging is compaction's job).
 *
 * Invariants:
 *  (1) only the owning shard's thread touches a memtable, except that a
 *      frozen one (never applied to again) is also read by the shard's
 *      worker while it flushes it, and compaction builds scratch
 *      memtables (memt_create_in) on the worker;
 *  (2) pointers returned by reads stay valid until the memtable is
 *      destroyed, which happens only on that shard between requests;
 *  (3) after memt_apply, a read sees the reconciled state (last write wins
 *      by timestamp; on a tie a tombstone wins, then the greater value).
 */
#ifndef RINGDB_DB_MEMTABLE_H
#define RINGDB_DB_MEMTABLE_H

#include "db/mutation.h"
#include "schema/schema.h"

struct memtable;
struct mpart;

struct memtable *memt_create(void);
/* A memtable living entirely in arena a (a scratch view for merged reads):
 * memt_destroy does nothing, the arena's reset frees it. NULL on OOM. */
struct memtable *memt_create_in(arena *a);
void memt_destroy(struct memtable *m);
size_t memt_bytes(const struct memtable *m);
uint64_t memt_partitions(const struct memtable *m);

/* Applies a resolved mutation (no DB_OP_* cells). 0 ok, -1 out of memory
 * (then the memtable holds a prefix of the mutation's rows). */
int memt_apply(struct memtable *m, const struct schema_table *t, const struct db_mutation *mu,
               int32_t now);

/* ---- reading ---- */

/* A clustering slice in clustering order; n_start/n_end 0 = unbounded. */
struct db_slice {
    const db_val *start;
    int n_start;
    bool start_incl;
    const db_val *end;
    int n_end;
    bool end_incl;
};

/* The visible cells of one column of a row. */
struct db_rcol {
    const struct db_cell *cells; /* in path order; n 0 or 1 for simple columns */
    int n;
};

/* One visible row (or the static row: ck NULL). cols is indexed like
 * t->cols; key columns have n == 0. */
struct db_rrow {
    const db_val *ck;
    int n_ck;
    int64_t live_ts; /* primary key liveness timestamp, DB_NO_TS if none */
    int32_t live_ttl;
    struct db_rcol *cols;
};

struct db_read {
    const struct schema_table *t;
    int32_t now;                   /* seconds, for TTL */
    const struct db_slice *slices; /* ordered, non-overlapping; NULL/0 = whole partition */
    int n_slices;
    bool reversed;
    const db_val *after; /* resume strictly after this clustering (in read order); NULL none */
    int n_after;
    arena *a; /* scratch for struct db_rrow and column arrays */
    /* Called for the static row (if it has visible cells) before rows,
     * then for each visible row; return non-zero to stop reading. */
    int (*on_static)(void *arg, const struct db_rrow *r);
    int (*on_row)(void *arg, const struct db_rrow *r);
    void *arg;
};

/* Partition cursor: first partition >= (token, key) (or > when !incl);
 * key may be NULL-valued (len -1) to mean "first of this token". */
struct mpart *memt_seek(struct memtable *m, int64_t token, db_val key, bool incl);
struct mpart *memt_first(struct memtable *m);
struct mpart *memt_next(struct mpart *p);
struct mpart *memt_find(struct memtable *m, int64_t token, db_val key);
int64_t memt_part_token(const struct mpart *p);
db_val memt_part_key(const struct mpart *p);
/* The partition's live state: 1 if any row or the static row is visible. */
int memt_part_live(struct mpart *p, const struct schema_table *t, int32_t now);

/* Reads one partition. Returns 0 when done, 1 when a callback stopped it,
 * -1 on out-of-memory in rd->a. */
int memt_read(struct mpart *p, const struct db_read *rd);

/* Reads the current visible state of one row (for read-before-write):
 * the row's visible cells of column index ci; NULL row = static row. */
int memt_row_cells(struct mpart *p, const struct schema_table *t, const db_val *ck, int n_ck,
                   int ci, int32_t now, arena *a, struct db_rcol *out);

/* Compares two clustering prefixes in clustering order (t's types and
 * DESC flags); a shorter equal prefix sorts first. */
int db_ck_compare(const struct schema_table *t, const db_val *a, int na, const db_val *b, int nb);

/* ---- raw access: everything as stored, tombstones included ---- */

struct mrow;

/* A partition's header as stored (pointers into the memtable). */
struct memt_raw_part {
    int64_t token;
    db_val key;
    struct db_del pdel;        /* ts DB_NO_TS: none */
    const struct db_row *srow; /* NULL: no static row */
    const struct db_rt *rts;   /* in the order applied */
    int n_rts;
};
void memt_part_raw(const struct mpart *p, struct memt_raw_part *out);
/* Rows in clustering order, raw (every cell, tombstones, TTLs, row
 * deletions). Valid while the memtable lives; a frozen memtable (no
 * memt_apply any more) may be walked by another thread (flush). */
const struct mrow *memt_rows_first(const struct mpart *p);
const struct mrow *memt_rows_next(const struct mrow *r);
const struct db_row *memt_row_data(const struct mrow *r);

/* Reconciles src (a partition of another memtable) into dst, as
 * memt_apply would: its header (partition deletion, range tombstones,
 * static row) and its rows inside the slices (n_slices 0: every row).
 * 0, -1 OOM. */
int memt_merge_part(struct memtable *dst, const struct schema_table *t, const struct mpart *src,
                    const struct db_slice *slices, int n_slices, int32_t now);

/* Smallest write/deletion timestamp ever applied (INT64_MAX: none). */
int64_t memt_min_ts(const struct memtable *m);

/* A partition as compaction writes it (memory in the arena given). */
struct memt_compacted {
    int64_t token;
    db_val key;
    struct db_del pdel;
    struct db_rt *rts;
    int n_rts;
    struct db_row *srow; /* NULL: none left */
    struct db_row *rows; /* in clustering order, only those with anything left */
    int n_rows;
};

/* Compaction's view of partition p (a reconciliation of every input):
 * data shadowed by a deletion in p is dropped; when purge_below_ts is not
 * DB_NO_TS, tombstones (partition, range, row, cell, complex) and expired
 * cells or liveness whose local deletion time is before gc_before and
 * whose timestamp is below purge_below_ts (no source outside the
 * compaction may hold data they shadow) are dropped too. 0, -1 OOM. */
int memt_compact_part(const struct mpart *p, const struct schema_table *t, int64_t gc_before,
                      int64_t purge_below_ts, int32_t now, arena *a, struct memt_compacted *out);

/* Where clustering ck lies against slice s: -1 before it, 0 inside, 1
 * after it. */
int db_slice_cmp(const struct schema_table *t, const db_val *ck, int n_ck,
                 const struct db_slice *s);

#endif
