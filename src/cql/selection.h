/*
 * selection.h -- what a SELECT returns: its selectors compiled into
 * expression trees over one row (private to src/cql).
 *
 * A selector is a column, writetime/maxwritetime/ttl of a column, token(),
 * a literal or bind marker, a function call (native scalar functions,
 * CAST, arithmetic operators), an element or slice of a collection, a
 * field of a UDT, or an aggregate (count, min, max, sum, avg, ...). A
 * selection with an aggregate returns one row per group (GROUP BY) or one
 * row in all; its non-aggregate selectors take their value from the
 * group's first row, as Cassandra does.
 *
 * Memory: everything lives in the request arena; a selection is read-only
 * once planned, so the shards a read visits may evaluate it.
 */
#ifndef RINGDB_CQL_SELECTION_H
#define RINGDB_CQL_SELECTION_H

#include "cql/cql_int.h"
#include "db/memtable.h"
#include "types/value.h"

struct sx; /* a compiled selector */
struct cql_func;

#define MAX_FUNC_ARGS 32

struct selection {
    int n; /* output columns */
    struct sx **roots;
    const char **names; /* result column names (aliases applied) */
    const struct type **types;
    int has_agg;    /* one row per group */
    int simple;     /* only plain columns: the fast path applies */
    int *simple_ci; /* column index of each output when simple */
    int n_aggs;
    int n_slots;           /* first-row values a group keeps */
    size_t agg_base;       /* offset of the aggregate states in a group */
    size_t agg_state_size; /* bytes of aggregate state per group */
    int n_group_by;        /* GROUP BY: partition key + this many clustering columns (-1 none) */
};

/* The row a selector reads. */
struct sel_row {
    const struct schema_table *t;
    const db_val *pk; /* partition key components */
    int64_t token;
    const struct db_rrow *row; /* NULL for a static-only row */
    const struct db_rrow *srow;
    int32_t now;
    int64_t now_ms;
};

/* A failed evaluation: Cassandra's message, and the function that failed
 * (NULL for other failures, e.g. out of memory). */
struct sel_err {
    char msg[320];
    const struct cql_func *f;
};

/* Plans the selectors of sel for table t; DISTINCT and GROUP BY checks
 * included. -1 with the error written into x->r. */
int selection_plan(struct cql_exec *x, const struct schema_keyspace *ks,
                   const struct schema_table *t, const struct cql_select *sel,
                   struct selection **out);

/* Checks GROUP BY against the primary key: columns of the key in order,
 * where columns fixed by an equality (bit i of *eq for column i) may be
 * left out, and the whole partition key. Sets *n_ck, the clustering columns
 * a group spans. With eq NULL only the columns themselves are checked
 * (planning, before the WHERE clause is known). -1 with the error in x->r. */
int selection_group_by(struct cql_exec *x, const struct schema_table *t,
                       const struct cql_select *sel, const uint64_t *eq, int *n_ck);

/* Appends column ci of the row as a protocol [bytes] (the fast path). */
void sel_write_column(buf *b, const struct sel_row *sr, int ci);

/* The value of a column of the row (collections assembled from cells). */
int sel_column_value(const struct sel_row *sr, int ci, arena *a, struct type_val *out);

/* Output column i of a row (selections without aggregates); values are
 * allocated in a. 0, or -1 with err filled. */
int selection_eval(const struct selection *s, int i, const struct sel_row *sr, arena *a,
                   struct type_val *out, struct sel_err *err);

/* Aggregation: a group's state (in a), rows added to it (what the group
 * keeps is copied into keep; per-row temporaries go to scratch), then its
 * output columns. A group without rows gives the aggregates' empty results
 * and nulls elsewhere. selection_group_free releases the aggregates' heap
 * state; call it once per group. */
void *selection_group_new(const struct selection *s, arena *a);
int selection_group_add(const struct selection *s, void *g, const struct sel_row *sr, arena *keep,
                        arena *scratch, struct sel_err *err);
int selection_group_result(const struct selection *s, void *g, int i, int64_t now_ms, arena *a,
                           struct type_val *out, struct sel_err *err);
void selection_group_free(const struct selection *s, void *g);

#endif
