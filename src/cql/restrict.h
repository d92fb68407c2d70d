/*
 * restrict.h -- WHERE clauses of SELECT / UPDATE / DELETE against a table:
 * which partitions (keys or a token range) and which clustering prefixes /
 * slices they select, with Cassandra's validation messages. Shared by
 * stmt_select.c and stmt_modify.c (private to src/cql).
 */
#ifndef RINGDB_CQL_RESTRICT_H
#define RINGDB_CQL_RESTRICT_H

#include "cql/cql_int.h"
#include "db/memtable.h"

#define MAX_KEY_COLS 32

struct key_values {
    proto_value *v; /* EQ: 1 value; IN: n values (deduplicated, kept as given) */
    int n;
};

/* A regular/static column condition (needs ALLOW FILTERING). */
struct col_filter {
    int ci;
    enum cql_op op;    /* = != < <= > >= IN CONTAINS CONTAINS_KEY */
    proto_value *vals; /* typed as the column, or its element/key/value for CONTAINS and m[k] */
    int n_vals;
    int has_key; /* m['k'] op v: the map key in `key` */
    proto_value key;
};

struct restrictions {
    /* partition key */
    int pk_restricted;                  /* every pk column by EQ/IN */
    struct key_values pk[MAX_KEY_COLS]; /* per pk column */
    int has_token;                      /* token(pk...) range */
    int64_t tok_lo, tok_hi;             /* inclusive bounds after normalisation */
    int tok_empty;                      /* the token range selects nothing */
    /* clustering */
    int n_ck_eq; /* leading clustering columns fixed by EQ/IN */
    struct key_values ck[MAX_KEY_COLS];
    int has_slice;                 /* a slice on the clustering after the EQ prefix */
    const db_val *s_start, *s_end; /* slice bounds in VALUE order (prefix after n_ck_eq) */
    int n_s_start, n_s_end;
    bool s_start_incl, s_end_incl;
    /* multi-column IN over clustering columns [mi_pos, mi_pos + mi_ncols) */
    int mi_pos, mi_ncols, mi_n;
    const db_val *mi_vals; /* mi_n tuples of mi_ncols values */
    /* other columns */
    struct col_filter *filters;
    int n_filters;
};

/* Analyses where[]; mode: 0 SELECT, 1 UPDATE/DELETE-row, 2 DELETE (ranges ok).
 * Writes Cassandra's message into x->r and returns -1 on an invalid query. */
int restrict_analyze(struct cql_exec *x, const struct schema_table *t,
                     struct cql_relation *const *where, int n_where, int mode, bool allow_filtering,
                     struct restrictions *out);

/* The partition keys selected (cartesian product of pk values), serialized
 * and with their tokens, sorted by (token, key), duplicates removed. */
struct pkey {
    db_val key;
    int64_t token;
    const proto_value *vals[MAX_KEY_COLS]; /* component values */
};
int restrict_partition_keys(struct cql_exec *x, const struct schema_table *t,
                            const struct restrictions *rs, struct pkey **out, int *n);

/* Serializes partition key components (CompositeType layout when more than
 * one) into arena bytes. */
int cql_serialize_pk(arena *a, const proto_value *const *vals, int n, db_val *out);

/* The clustering slices selected, in clustering order (DESC handled);
 * reversed: in reverse order for ORDER BY ... DESC reads. */
int restrict_slices(struct cql_exec *x, const struct schema_table *t, const struct restrictions *rs,
                    struct db_slice **out, int *n);

#endif
