/*
 * schema -- keyspaces, tables and columns as immutable, reference-counted
 * snapshots (`struct schema`).
 *
 * Ownership and threads (DESIGN.md §4): shard 0 owns schema changes. A
 * change builds a new snapshot (schema_clone + edits), persists it, and
 * sends a reference to every shard; each shard swaps its current pointer
 * and drops its reference to the old snapshot. Readers never see a snapshot
 * change under them. The reference count is the only shared mutable field
 * (an atomic).
 *
 * Invariants:
 *  (1) a snapshot reachable from any shard is never modified;
 *  (2) keyspace and table names are unique (case-sensitive, already folded);
 *  (3) in a table, columns are ordered: partition key columns by position,
 *      clustering columns by position, then static and regular columns by
 *      name; n_pk >= 1;
 *  (4) `version` is the MD5 (as a v3 name-based uuid) of the serialized
 *      user schema, so equal schemas have equal versions on every node.
 */
#ifndef RINGDB_SCHEMA_SCHEMA_H
#define RINGDB_SCHEMA_SCHEMA_H

#include "types/type.h"
#include "util/buf.h"

#include <stdatomic.h>
#include <stdint.h>

#define SCHEMA_NAME_MAX 48

enum schema_col_kind { COL_PARTITION_KEY, COL_CLUSTERING, COL_REGULAR, COL_STATIC };

struct schema_column {
    char *name;
    struct type *type;
    enum schema_col_kind kind;
    int position; /* within its kind for key columns, -1 otherwise */
    int desc;     /* clustering order DESC */
    int id;       /* stable id within the table, never reused: cells refer to it */
};

/* A table option as stored in system_schema.tables: its name and its value
 * encoded in that column's CQL type (so the system table serves it as is). */
struct schema_opt {
    char *name;
    uint8_t *val;
    int32_t len;
};

/* A column dropped by ALTER TABLE (system_schema.dropped_columns). */
struct schema_dropped {
    char *name;
    struct type *type;
    int64_t time_us;
    enum schema_col_kind kind;
};

/* A user-defined type (CREATE TYPE). */
struct schema_udt {
    char *name;
    int n_fields;
    char **field_names;
    struct type **field_types;
};

struct schema_kv {
    char *key;
    char *val;
};

struct schema_table {
    char *name;
    uint8_t id[16];
    int n_cols;
    struct schema_column *cols; /* invariant (3) */
    int n_pk, n_ck;
    char *comment;
    int is_virtual; /* rows produced on the fly (system tables) */
    int vtab;       /* which generator, for virtual tables */
    /* user tables */
    int next_col_id;
    int n_opts;
    struct schema_opt *opts; /* every option of system_schema.tables, sorted by name */
    int default_ttl;         /* cached from opts: default_time_to_live */
    int gc_grace;            /* cached from opts: gc_grace_seconds */
    int is_counter;          /* has counter columns */
    int n_dropped;
    struct schema_dropped *dropped;
};

struct schema_keyspace {
    char *name;
    int durable_writes;
    int n_repl;
    struct schema_kv *repl; /* 'class' first, then options sorted by key */
    int is_system;          /* built in: not user-modifiable */
    int is_virtual;         /* listed in system_virtual_schema, not system_schema */
    int n_tables;
    struct schema_table **tables;
    int n_udts;
    struct schema_udt **udts;
};

struct schema {
    atomic_int refs;
    uint8_t version[16];
    int n_ks;
    struct schema_keyspace **ks;
};

/* The schema with only the built-in keyspaces (refs = 1). NULL on OOM. */
struct schema *schema_new_builtin(void);
struct schema *schema_clone(const struct schema *s); /* deep copy, refs = 1 */
void schema_ref(struct schema *s);
void schema_unref(struct schema *s); /* frees at zero */

struct schema_keyspace *schema_find_ks(const struct schema *s, const char *name);
struct schema_table *schema_find_table(const struct schema_keyspace *ks, const char *name);
struct schema_column *schema_find_column(const struct schema_table *t, const char *name);
const char *schema_repl_get(const struct schema_keyspace *ks, const char *key);

/* Edits of a fresh clone (never of a published snapshot). 0 ok, -1 OOM.
 * schema_put_ks takes ownership of ks and replaces a keyspace of the same name. */
int schema_put_ks(struct schema *s, struct schema_keyspace *ks);
int schema_drop_ks(struct schema *s, const char *name); /* 0 ok, -1 not found */
struct schema_keyspace *schema_ks_new(const char *name);
int schema_ks_set_repl(struct schema_keyspace *ks, int n, const char *const *keys,
                       const char *const *vals);
void schema_ks_free(struct schema_keyspace *ks);

/* Tables and types of a fresh clone (never of a published snapshot). The
 * add functions take ownership. */
struct schema_table *schema_table_new(const char *name);
int schema_table_add_column(struct schema_table *t, const char *name, const struct type *type,
                            enum schema_col_kind kind, int position, int desc);
void schema_table_sort_columns(struct schema_table *t); /* invariant (3) */
/* Records (or refreshes) a dropped column; forgets it when re-added. */
int schema_table_add_dropped(struct schema_table *t, const char *name, const struct type *type,
                             enum schema_col_kind kind, int64_t time_us);
void schema_table_forget_dropped(struct schema_table *t, const char *name);
int schema_table_set_opt(struct schema_table *t, const char *name, const void *val, int32_t len);
const struct schema_opt *schema_table_opt(const struct schema_table *t, const char *name);
void schema_table_free(struct schema_table *t);
struct schema_table *schema_table_clone(const struct schema_table *t); /* heap deep copy */
struct schema_udt *schema_udt_clone(const struct schema_udt *u);
int schema_ks_add_table(struct schema_keyspace *ks, struct schema_table *t);
int schema_ks_drop_table(struct schema_keyspace *ks, const char *name); /* 0, -1 not found */
struct schema_udt *schema_find_udt(const struct schema_keyspace *ks, const char *name);
int schema_ks_put_udt(struct schema_keyspace *ks, struct schema_udt *u); /* replaces same name */
int schema_ks_drop_udt(struct schema_keyspace *ks, const char *name);
void schema_udt_free(struct schema_udt *u);
/* Fills the field names and types of every user type referenced by t (in
 * place; t must belong to a fresh clone or a request). 0, or -1 with err
 * ("Unknown type ks.name"). */
int schema_resolve_type(const struct schema_keyspace *ks, struct type *t, char *err, size_t errsz);

/* Finds a table by id in any keyspace (NULL if none). */
struct schema_table *schema_find_table_by_id(const struct schema *s, const uint8_t id[16],
                                             struct schema_keyspace **ks_out);

/* Recomputes s->version (invariant 4). */
void schema_update_version(struct schema *s);

/* Persistence of the user keyspaces (built-ins are not stored). The format
 * is described in src/schema/README.md. */
void schema_serialize(const struct schema *s, buf *out);
/* Returns a new snapshot = built-ins + the stored keyspaces, or NULL with err. */
struct schema *schema_deserialize(const uint8_t *p, size_t n, char *err, size_t errsz);

/* Keyspace/table name rule: 1..48 chars of [A-Za-z0-9_]. */
int schema_name_valid(const char *name);

/* Virtual table generators, numbered for struct schema_table.vtab. */
enum schema_vtab {
    VT_NONE,
    VT_LOCAL,
    VT_PEERS,
    VT_PEERS_V2,
    VT_SS_KEYSPACES,
    VT_SS_TABLES,
    VT_SS_COLUMNS,
    VT_SS_DROPPED_COLUMNS,
    VT_SS_TYPES,
    VT_SS_FUNCTIONS,
    VT_SS_AGGREGATES,
    VT_SS_INDEXES,
    VT_SS_TRIGGERS,
    VT_SS_VIEWS,
    VT_VS_KEYSPACES,
    VT_VS_TABLES,
    VT_VS_COLUMNS,
    VT_CLIENTS,
    VT_SHARD_TABLES,
    VT_EMPTY, /* system tables that exist but hold nothing yet */
};

#endif
