/*
 * systab -- rows of the built-in system tables (system.local, system.peers,
 * system_schema.*, system_virtual_schema.*, system_views.*), produced on
 * the fly from the node identity and the schema snapshot of the shard that
 * reads them. Nothing is stored: they can never disagree with the schema.
 *
 * Rows are encoded cells (native-protocol value bytes) in an arena, in the
 * table's column order (schema invariant 3), sorted as Cassandra returns
 * them: by partition token, then clustering columns.
 *
 * Thread context: the reading shard; reads only immutable data.
 */
#ifndef RINGDB_DB_SYSTAB_H
#define RINGDB_DB_SYSTAB_H

#include "db/mutation.h"
#include "schema/schema.h"
#include "util/arena.h"

#include <stdint.h>

struct db_rows {
    int n_cols;
    int n_rows, cap_rows;
    db_val *cells; /* n_rows * n_cols, row-major */
    arena *a;
};

/* Extra rows that only upper layers know (connected clients). */
struct systab_client {
    uint8_t addr[16];
    int addr_len;
    int port;
    int shard;
    int protocol_version;
    int64_t request_count;
    const char *stage, *driver_name, *driver_version, *username;
};

/* One table's data on one shard (system_views.shard_tables). */
struct systab_table_stat {
    uint8_t id[16];
    int shard;
    int64_t partitions;
    int64_t memtable_bytes;
};

/* Facts gathered from every shard for the per-shard views. */
struct systab_extra {
    const struct systab_client *clients;
    int n_clients;
    const struct systab_table_stat *tables;
    int n_tables;
};

/* Produces every row of virtual table t of keyspace ks. 0 ok, -1 OOM. */
int systab_scan(const struct schema *s, const struct schema_keyspace *ks,
                const struct schema_table *t, const struct systab_extra *ex, arena *a,
                struct db_rows *out);

/* Cell encoders (arena-allocated value bytes). NULL on OOM. */
int db_cell_text(arena *a, db_val *c, const char *s);
int db_cell_int(arena *a, db_val *c, int32_t v);

#endif
