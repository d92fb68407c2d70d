/*
 * mutation -- what one write does to one partition (DESIGN.md §5), and its
 * binary form for the commit log.
 *
 * Values are native-protocol value bytes (len -1: null), so the write path
 * never converts. Cells name their column by its stable id
 * (schema_column.id), so ALTER TABLE never reinterprets stored cells.
 *
 * A mutation built by the executor may hold operations that need the
 * current partition state (counter increments, list set/delete by index,
 * list removal by value). The owning shard resolves them against its
 * memtable into plain cells (db_resolve) before the mutation is logged and
 * applied, so the commit log only ever holds idempotent, plain cells.
 *
 * Memory: a mutation and everything it points to live in one arena (the
 * request's, or the replay buffer's); memt_apply copies what it keeps.
 */
#ifndef RINGDB_DB_MUTATION_H
#define RINGDB_DB_MUTATION_H

#include "util/arena.h"
#include "util/buf.h"

#include <stdbool.h>
#include <stdint.h>

#define DB_NO_TS INT64_MIN

typedef struct db_val {
    const uint8_t *p;
    int32_t len; /* -1: null */
} db_val;

/* A deletion: nothing written before ts survives it. ts == DB_NO_TS: none. */
struct db_del {
    int64_t ts;
    int64_t ldt; /* local deletion time, seconds since epoch (stored as u32: to 2106) */
};

enum db_cell_kind {
    DB_CELL_LIVE = 0,        /* value (expiring when ttl > 0) */
    DB_CELL_TOMB = 1,        /* a deleted cell or collection element */
    DB_CELL_COMPLEX_DEL = 2, /* deletes the whole collection column up to ts */
    /* operations resolved on the owning shard before logging (db_resolve) */
    DB_OP_COUNTER_ADD = 10, /* value: 8-byte signed delta */
    DB_OP_LIST_SET = 11,    /* path: 4-byte index; value */
    DB_OP_LIST_DEL = 12,    /* path: 4-byte index */
    DB_OP_LIST_DISCARD = 13 /* value: a list<T> of elements to remove */
};

struct db_cell {
    uint16_t col; /* column id */
    uint8_t kind; /* enum db_cell_kind */
    int64_t ts;
    int32_t ttl; /* > 0: expiring cell */
    int64_t ldt; /* tombstones: deletion time; expiring: expiry time (s), u32 on disk */
    db_val path; /* collection element key (set element, map key, list timeuuid); len -1 else */
    db_val value;
};

struct db_row {
    db_val *ck; /* clustering values; NULL for the static row */
    int n_ck;
    int64_t live_ts; /* primary key liveness (INSERT); DB_NO_TS: none */
    int32_t live_ttl;
    int64_t live_ldt;      /* expiry time when live_ttl > 0 */
    struct db_del del;     /* row tombstone */
    struct db_cell *cells; /* sorted by (col, path) */
    int n_cells;
};

/* A range tombstone over clustering prefixes: n_start == 0 means from the
 * beginning of the partition, n_end == 0 to its end. */
struct db_rt {
    db_val *start;
    int n_start;
    bool start_incl;
    db_val *end;
    int n_end;
    bool end_incl;
    struct db_del del;
};

struct db_mutation {
    uint8_t table_id[16];
    int64_t token;
    db_val key; /* serialized partition key (CompositeType layout when composite) */
    struct db_del pdel;
    struct db_row *srow; /* static row, NULL if untouched */
    struct db_row *rows;
    int n_rows;
    struct db_rt *rts;
    int n_rts;
};

/* Commit-log record types. */
#define DB_REC_MUTATION 1
#define DB_REC_TRUNCATE 2 /* u8 type, 16 table id, i64 truncated-at (µs) */

void db_mutation_init(struct db_mutation *m);
/* Appends a DB_REC_MUTATION record (format in src/db/README.md). */
void db_mutation_serialize(const struct db_mutation *m, buf *out);
/* Parses a record body (after the type byte) into m, pointing into p and
 * allocating arrays in a. 0, or -1 if malformed. */
int db_mutation_deserialize(const uint8_t *p, size_t n, arena *a, struct db_mutation *m);
/* Sorts each row's cells by (col, path bytes) -- builders append freely. */
void db_mutation_sort_cells(struct db_mutation *m);

#endif
