/*
 * sstable (sst_) -- immutable sorted tables on disk (DESIGN.md §5): the
 * writer that turns a sorted stream of partitions into the files of one
 * sstable, and the reader that finds, scans and slices them. The byte
 * layouts are in README.md beside this file.
 *
 * One sstable = the components of one generation in <dir>/<table_dirname>:
 *   rdb-<gen>-Data.db, -Index.db, -Summary.db, -Filter.db, -Statistics.db,
 *   -CompressionInfo.db and, written last, rdb-<gen>-TOC.db.
 * An sstable is live iff its TOC exists under its final name (invariant 1).
 *
 * Invariants:
 *  (1) a TOC under its final name implies every other component is complete
 *      and durable: components are written as tmp-*, fsynced, renamed, the
 *      directory fsynced, and only then is the TOC renamed (and the
 *      directory fsynced again);
 *  (2) every byte of every component is covered by a CRC-32C: data chunks one
 *      each, index blocks one each, the file headers one each, every other
 *      component one for the whole file. A reader returns data only after
 *      the CRC of every byte it used matched;
 *  (3) partitions are in (token, key bytes) order, rows in clustering order
 *      (db_ck_compare), cells as given (the caller keeps them sorted by
 *      (col, path)); the writer rejects out-of-order partitions or rows.
 *
 * Threads and ownership:
 *  - a writer is used by one thread at a time (the flush or compaction job);
 *  - a reader is immutable once sst_open returned, so any number of threads
 *    may read through it at once; each handle (struct sst_partition,
 *    sst_scan, sst_row_iter) belongs to one thread. Readers are reference
 *    counted (sst_ref/sst_unref, atomic): the table's sstable set holds one
 *    reference, every read in flight holds one, so compaction can swap the
 *    set and drop its reference while reads run; the last unref closes the
 *    files (and removes them if sst_mark_obsolete was called).
 *  - handles hold no reference: the caller keeps one for as long as it uses
 *    any handle or value of that reader.
 *
 * Errors: functions return -1 and set errno: EIO/ENOSPC/... from the file
 * system, EBADMSG for corruption (a CRC mismatch, a truncated file, a value
 * out of range), ENOMEM, EINVAL for API misuse (e.g. rows out of order).
 * sst_errmsg() gives this thread's message for the last failure; corruption
 * and I/O messages name the file, the byte offset and the source line
 * (STYLE.md habit 14). Corrupt input never crashes, never reads out of
 * bounds, and never yields wrong data (invariant 2).
 */
#ifndef RINGDB_STORAGE_SSTABLE_SST_H
#define RINGDB_STORAGE_SSTABLE_SST_H

#include "db/mutation.h"
#include "schema/schema.h"
#include "util/arena.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SST_FORMAT_VERSION 1

enum sst_compression { SST_COMP_NONE = 0, SST_COMP_LZ4 = 1, SST_COMP_ZSTD = 2 };

struct sst_opts {
    int compression;          /* enum sst_compression */
    uint32_t chunk_len;       /* uncompressed bytes per chunk, 4 KiB .. 1 MiB, power of 2 */
    double bloom_fp;          /* target false-positive chance; >= 1.0: no filter */
    uint32_t index_interval;  /* partition index entries per index block (summary sample) */
    uint32_t row_index_bytes; /* a row index entry every this many bytes of a partition */
};

/* Defaults: LZ4, 16 KiB chunks, fp 0.01, interval 128, row index every 64 KiB
 * (Cassandra's defaults for compression, bloom_filter_fp_chance,
 * min_index_interval and column_index_size). */
void sst_opts_default(struct sst_opts *o);
/* Defaults overridden by the table's options: bloom_filter_fp_chance,
 * min_index_interval, compression {class: LZ4Compressor | ZstdCompressor |
 * anything else with 'enabled': 'false' or an empty map = none; other
 * classes (Snappy, Deflate) fall back to LZ4; chunk_length_in_kb}. */
void sst_opts_from_table(const struct schema_table *t, struct sst_opts *o);

/* ---- statistics (Statistics.db) ---- */

#define SST_SIZE_BUCKETS                                                                           \
    48                  /* partition size histogram: bucket i counts sizes in [2^i, 2^(i+1))       \
                         */
#define SST_LDT_BINS 64 /* streaming histogram of tombstone/expiry local deletion times */

struct sst_ldt_bin {
    double ldt; /* centroid, seconds since epoch */
    uint64_t count;
};

struct sst_stats {
    uint64_t generation;
    uint64_t n_partitions, n_rows, n_cells;
    uint64_t n_partition_tombstones, n_range_tombstones, n_row_tombstones;
    uint64_t n_cell_tombstones; /* DB_CELL_TOMB and DB_CELL_COMPLEX_DEL */
    uint64_t n_expiring;        /* expiring cells and row liveness with a TTL */
    int64_t min_ts, max_ts;     /* over every timestamp written; DB_NO_TS if none */
    int64_t min_ldt, max_ldt;   /* over tombstones and expiring data; DB_NO_TS if none */
    int64_t min_token, max_token;
    uint64_t data_bytes;      /* uncompressed partition bytes */
    uint64_t data_file_bytes; /* size of Data.db */
    uint64_t max_partition_bytes;
    uint64_t part_size_hist[SST_SIZE_BUCKETS];
    int n_ldt_bins;
    struct sst_ldt_bin ldt_bins[SST_LDT_BINS];
    /* Smallest first row and largest last row over all partitions
     * (clustering order; static rows excluded); n 0 when no rows. Owned by
     * the reader (valid while it is open); NULL/0 in sst_writer_finish's copy. */
    const db_val *min_ck, *max_ck;
    int n_min_ck, n_max_ck;
    int n_ck; /* clustering columns of the table when written */
};

/* Estimated number of tombstones (and expiring cells) whose local deletion
 * time is before gc_before (seconds): what compaction could purge. */
uint64_t sst_droppable_tombstones(const struct sst_stats *s, int64_t gc_before);

/* ---- writing ---- */

struct sst_writer;

/*
 * Creates the temporary components of generation `generation` in
 * <dir>/<table_dirname> (created if missing). t: the table (its clustering
 * types order rows; only read during the writer's life, the caller keeps it
 * alive). o: NULL for defaults. expected_partitions: a hint for buffers (the
 * bloom filter is sized from the real count at finish). OUT *out: the
 * writer, freed by sst_writer_finish or sst_writer_abort.
 * 0, or -1 with errno and err (EEXIST if that generation is live).
 */
int sst_writer_open(const char *dir, const char *table_dirname, uint64_t generation,
                    const struct schema_table *t, const struct sst_opts *o,
                    uint64_t expected_partitions, struct sst_writer **out, char *err, size_t errsz);

/*
 * Starts a partition: (token, key) strictly after the previous one. key and
 * static_row (may be NULL) are copied. pdel.ts == DB_NO_TS: no partition
 * deletion. Then: any number of sst_writer_add_rt (all before the first
 * row, stored and returned in the order given), then rows in strictly
 * increasing clustering order, then sst_writer_end_partition.
 * Every call returns 0 or -1 with errno; after any failure the writer is in
 * a sticky error state (every later call fails with the same errno) and
 * must be aborted (STYLE.md habit 15).
 */
int sst_writer_begin_partition(struct sst_writer *w, int64_t token, db_val key, struct db_del pdel,
                               const struct db_row *static_row);
int sst_writer_add_rt(struct sst_writer *w, const struct db_rt *rt);
int sst_writer_add_row(struct sst_writer *w, const struct db_row *row);
int sst_writer_end_partition(struct sst_writer *w);
/* Writes the remaining components, fsyncs everything, renames into place
 * (invariant 1): after 0 the sstable is live. stats_out may be NULL. The
 * writer is freed in every case; on failure its files were removed (best
 * effort: sst_list removes what a crash leaves). */
int sst_writer_finish(struct sst_writer *w, struct sst_stats *stats_out);
/* Gives up: closes and removes the temporary files, frees the writer. */
void sst_writer_abort(struct sst_writer *w);

/* ---- reading ---- */

struct sst_reader;
struct sst_cur; /* private: a data cursor with its one-chunk cache */

/*
 * Opens a live sstable: reads and verifies the TOC (versions, sizes of
 * every component), the headers and CRCs of every metadata component, and
 * loads the summary, bloom filter, chunk offsets and statistics into memory
 * (the Data and Index files stay on disk, read with pread). t: only its
 * clustering types and DESC flags are used, and copied. OUT *out with one
 * reference. 0, or -1 with errno and err naming the file and offset.
 */
int sst_open(const char *dir, const char *table_dirname, uint64_t generation,
             const struct schema_table *t, struct sst_reader **out, char *err, size_t errsz);
void sst_ref(struct sst_reader *r);
void sst_unref(struct sst_reader *r);
/* The files are removed (sst_remove) when the last reference goes; the
 * thread that drops it does that I/O. */
void sst_mark_obsolete(struct sst_reader *r);
uint64_t sst_generation(const struct sst_reader *r);
const struct sst_stats *sst_stats(const struct sst_reader *r); /* valid while r is open */
/* 0 when the partition is certainly absent (outside [min_token, max_token]
 * or rejected by the bloom filter), 1 when it may be present. No I/O. */
int sst_may_contain(const struct sst_reader *r, int64_t token, db_val key);

/*
 * A partition: its header decoded (key, partition deletion, range
 * tombstones, static row), rows read through sst_rows_seek/sst_rows_next.
 * Everything it points to lives in the arena given to the call that filled
 * it, and stays valid until that arena is reset, as long as the caller holds
 * a reference to the reader.
 */
struct sst_partition {
    struct sst_reader *r;
    int64_t token;
    db_val key;
    struct db_del pdel;
    struct db_row *srow; /* NULL when the partition has no static row */
    struct db_rt *rts;   /* as written */
    int n_rts;
    uint64_t n_rows;
    uint64_t data_pos, data_len; /* uncompressed position and length in Data */
    /* private */
    struct sst_cur *cur;
    uint64_t rows_off; /* first row, from data_pos */
    int n_ri;          /* row index entries */
    db_val **ri_ck;
    int *ri_n_ck;
    uint64_t *ri_off; /* from data_pos */
    arena *a;         /* where the handle's buffers live */
};

/* Point lookup: 1 found (*out filled, memory from a), 0 absent, -1 error.
 * Reads at most one index block and the data chunks of the partition
 * header; no bloom check (call sst_may_contain first). */
int sst_partition_find(struct sst_reader *r, int64_t token, db_val key, struct sst_partition *out,
                       arena *a);

/* A scan over partitions in (token, key) order. */
struct sst_scan {
    struct sst_reader *r;
    /* private */
    arena *a;
    struct sst_cur *cur;
    uint8_t *blk;       /* current index block (payload) */
    uint32_t blk_len;   /* payload bytes */
    uint32_t blk_pos;   /* next entry */
    uint64_t i_summ;    /* summary entry of the current block */
    int64_t end_token;  /* stop after this token (INT64_MAX: no limit) */
    int state;          /* 0 positioned, 1 at end */
    int64_t seek_token; /* skip entries before (seek_token, seek_key, incl) in the first block */
    db_val seek_key;
    bool seek_incl;
    bool seeking;
};

/* Positions `it` at the first partition >= (token, key) (> when !incl);
 * key.len == -1 means "the first partition of this token" (incl) or "the
 * first after every partition of this token" (!incl). The scan's buffers
 * live in a, which must outlive it. 0 or -1. */
int sst_partition_seek(struct sst_reader *r, int64_t token, db_val key, bool incl,
                       struct sst_scan *it, arena *a);
/* Optional upper bound: the scan ends after the last partition with token
 * <= end_token (set after sst_partition_seek). */
void sst_scan_set_end(struct sst_scan *it, int64_t end_token);
/* Next partition: 1 (out filled; its header and row buffers from pa, while
 * its chunk cache is the scan's: it stays usable until the next
 * sst_scan_next), 0 end, -1 error (the scan is then over). */
int sst_scan_next(struct sst_scan *it, struct sst_partition *out, arena *pa);

/* Rows of a partition from a clustering bound. */
struct sst_row_iter {
    struct sst_partition *p;
    uint64_t pos; /* next row, from data_pos */
    const db_val *bound;
    int n_bound;
    bool incl;
    bool skipping; /* still before the bound */
    bool done;
};

/* Positions it at the first row whose clustering prefix is >= bound (> when
 * !incl; n 0: the first row). Uses the row index: only the chunks from the
 * index block holding the bound on are read. bound must stay valid while
 * it is used. 0 or -1. */
int sst_rows_seek(struct sst_partition *p, const db_val *bound, int n, bool incl,
                  struct sst_row_iter *it);
/* 1 with *row filled (memory from a: values, cells, clustering), 0 at the
 * end of the partition, -1 error. Rows are exactly as written. */
int sst_rows_next(struct sst_row_iter *it, struct db_row *row, arena *a);

/* ---- files ---- */

/* Removes every component of a generation (TOC first, so a crash midway
 * leaves a non-live leftover that sst_list removes). Missing files are
 * fine. Open readers keep working (POSIX unlink). 0 or -1 with errno. */
int sst_remove(const char *dir, const char *table_dirname, uint64_t generation);
/* The live generations in <dir>/<table_dirname>, ascending, in *gens
 * (mem_alloc'd, caller mem_free's; NULL when *n == 0). Removes temporaries
 * (tmp-*) and components of generations without a TOC (a crashed writer or
 * remove): call it only while no writer of this table is running, i.e. at
 * start-up. A missing directory is an empty list. 0 or -1 with errno. */
int sst_list(const char *dir, const char *table_dirname, uint64_t **gens, size_t *n);
/* As sst_list, but removes leftovers only of generations g with
 * (g & mask) == val: a shard that encodes its id in the generation's low
 * bits cleans up after itself while other shards' writers run. Every live
 * generation is listed. (sst_list == mask 0, val 0.) */
int sst_list_owned(const char *dir, const char *table_dirname, uint64_t mask, uint64_t val,
                   uint64_t **gens, size_t *n);

/* This thread's message for the last failed sst_ call ("" if none). */
const char *sst_errmsg(void);

#endif
