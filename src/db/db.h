/*
 * db -- the replica side of one shard: its tables' memtables, its commit
 * log, applying mutations durably, reading partitions, truncating, and
 * replaying the commit log at start.
 *
 * Ownership (DESIGN.md §4): a partition lives on the shard db_shard_of()
 * names; only that shard's thread calls db_apply/db_table for it. The
 * coordinator (service/) carries requests to the owner.
 *
 * Write path on the owner: resolve operations that need the current state
 * (counters, list index/removal) -> serialize -> commit log append -> apply
 * to the memtable -> done(rc) once the record is durable for the
 * configured commitlog_sync (periodic: handed to the OS; batch/group:
 * fsynced). The memtable is updated before the ack, so a later read on the
 * owner sees the write; an unacknowledged write may be lost by a crash, an
 * acknowledged one never (batch/group).
 */
#ifndef RINGDB_DB_DB_H
#define RINGDB_DB_DB_H

#include "db/memtable.h"
#include "db/mutation.h"
#include "net/shard.h"
#include "schema/schema.h"
#include "util/cfg.h"

/* The shard owning a token: the token range is cut into n equal parts
 * (shard 0 owns the lowest tokens), so a scan in token order visits the
 * shards in order. */
int db_shard_of(int64_t token, int n_shards);
/* Lowest token owned by shard i (for scans). */
int64_t db_shard_first_token(int shard, int n_shards);

/* Per-shard start (on the shard's thread, before serving): replays every
 * commit log segment (of any former shard) for the partitions this shard
 * owns, then opens its own log. schema: the snapshot to resolve tables. */
int db_shard_init(struct shard *s, const struct cfg *cfg, const struct schema *schema, char *err,
                  size_t errsz);
void db_shard_free(struct shard *s);

/* The table's memtable on this shard (created on first use); NULL on OOM. */
struct memtable *db_memtable(struct shard *s, const struct schema_table *t);

/* ---- reads: the table's memtables and sstables on this shard, merged ----
 *
 * A returned struct mpart is read with memt_read/memt_part_live as before.
 * When the partition lives only in the active memtable it is that
 * memtable's partition (no copy); otherwise it is a reconciled copy built in
 * arena a (valid until a is reset). Everything else (the sstable handles,
 * the scan) also lives in a. Shard thread only. */

/* The partition (token, key), or NULL if no source has it. slices (as in
 * struct db_read; NULL/0: all) bound the rows a merged copy takes: read
 * it only with those slices (or narrower). *rc 0, or -1 (out of memory, or
 * an sstable I/O or corruption error, logged). */
struct mpart *db_find(struct shard *s, const struct schema_table *t, int64_t token, db_val key,
                      const struct db_slice *slices, int n_slices, arena *a, int *rc);

/* A scan in (token, key) order from (token, key) (incl as memt_seek), over
 * this shard's partitions. NULL on error. Use it within one shard-thread
 * callback (no flush can complete meanwhile). */
struct db_scan;
struct db_scan *db_scan_open(struct shard *s, const struct schema_table *t, int64_t token,
                             db_val key, bool incl, const struct db_slice *slices, int n_slices,
                             arena *a);
/* The next partition, NULL at the end (*rc 0) or on error (*rc -1). */
struct mpart *db_scan_next(struct db_scan *sc, int *rc);

/* Starts flushing every table's memtable that holds data (ringtool flush,
 * tests). Returns how many flushes started, -1 on OOM. */
int db_flush_all(struct shard *s);

/* Applies m (built in arena a) to table t on its owning shard (this one).
 * durable: keyspace durable_writes. done(arg, rc, msg) runs later on this
 * shard: rc 0 ok, else a CQL error code with msg. Returns 0, or -1 when
 * done will not be called (out of memory: msg set). */
typedef void (*db_done_fn)(void *arg, int rc, const char *msg);
int db_apply(struct shard *s, const struct schema_table *t, struct db_mutation *m, int durable,
             arena *a, db_done_fn done, void *arg);

/* Drops every row of table t on this shard, durably. done as db_apply. */
int db_truncate(struct shard *s, const struct schema_table *t, db_done_fn done, void *arg);

/* This shard's per-table figures (system_views.shard_tables): fills up to
 * cap entries, returns how many tables it holds. */
struct systab_table_stat;
int db_table_stats(struct shard *s, struct systab_table_stat *out, int cap);

/* Frees the memtables of tables the schema no longer has. */
void db_schema_changed(struct shard *s, const struct schema *schema);

/* Microseconds since the epoch, strictly increasing per shard. */
int64_t db_timestamp(struct shard *s);
int32_t db_now_seconds(void);
int64_t db_now_millis(void); /* wall clock, for now() and current_*() */

#endif
