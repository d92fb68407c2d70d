/*
 * cql_int.h -- types shared only by the src/cql files (the executor).
 */
#ifndef RINGDB_CQL_INT_H
#define RINGDB_CQL_INT_H

#include "cql/ast.h"
#include "cql/cql.h"
#include "cql/cql_parse.h"
#include "schema/schema.h"
#include "transport/frame.h"
#include "transport/wire.h"

#include <stdint.h>

/* RESULT kinds (spec 4.2.5) */
#define RESULT_VOID          0x0001
#define RESULT_ROWS          0x0002
#define RESULT_SET_KEYSPACE  0x0003
#define RESULT_PREPARED      0x0004
#define RESULT_SCHEMA_CHANGE 0x0005

/* Rows metadata flags */
#define META_GLOBAL_TABLES_SPEC 0x0001
#define META_HAS_MORE_PAGES     0x0002
#define META_NO_METADATA        0x0004
#define META_METADATA_CHANGED   0x0008

/* One column of a result or of a prepared statement's variables. */
struct cql_colspec {
    const char *ks, *table, *name;
    const struct type *type;
};

/* What a statement needs from the request that runs it. */
struct cql_exec {
    struct cql_req *r;
    const struct cql_stmt *stmt;
    const proto_query_params *params;  /* values, paging, ... */
    const char *query;                 /* text, for prepared ids (may be NULL) */
    int is_execute;                    /* EXECUTE: honour skip_metadata */
    const uint8_t *result_metadata_id; /* v5 EXECUTE: the client's id (16 bytes) or NULL */
    /* PREPARE of a SELECT: the selection planner records here the type and
     * name of each bind marker in the selection (indexed like stmt->binds) */
    struct cql_marker_spec {
        const struct type *type;
        const char *name;
    } * markers;
};

/* A prepared statement, cached per shard. */
struct cql_prepared {
    uint8_t id[16];
    char *query;    /* heap */
    char *keyspace; /* heap; "" none */
    arena arena;    /* the parsed statement lives here */
    struct cql_stmt *stmt;
    uint64_t last_used;
    int pins;     /* pending requests executing it (cql_req_release unpins) */
    int unlinked; /* out of the cache: freed at the last unpin */
};

/* Per-shard state of the cql layer (shard->cql). */
struct cql_shard {
    struct cql_prepared **slots; /* open addressing by id */
    int n_slots, n_used;
    uint64_t clock;
};

/* errors */
struct cql_func;
/* A failed call of f, with Cassandra's message: FunctionFailure (0x1400)
 * for operators, as Cassandra's OperationExecutionException; InvalidRequest
 * for native functions, which throw InvalidRequestException. */
void cql_error_function_failure(struct cql_req *r, const struct cql_func *f, const char *msg);
void cql_error_already_exists(struct cql_req *r, const char *ks, const char *table, const char *fmt,
                              ...) __attribute__((format(printf, 4, 5)));

/* results */
void res_void(struct cql_req *r);
void res_set_keyspace(struct cql_req *r, const char *ks);
void res_schema_change(struct cql_req *r, const struct sp_schema_event *ev);
/* Rows metadata: flags, count, [global spec], columns; paging_state may be
 * NULL. Appends to b. */
void res_rows_metadata(buf *b, int version, uint32_t flags, const struct cql_colspec *cols, int n,
                       const uint8_t *paging_state, int n_paging, const uint8_t *new_metadata_id);
/* First 16 bytes of MD5 over the column specs (v5 result_metadata_id). */
void res_metadata_id(const struct cql_colspec *cols, int n, uint8_t out[16]);

/* statements */
int cql_exec_stmt(struct cql_exec *x);
int stmt_select(struct cql_exec *x);
int stmt_use(struct cql_exec *x);
int stmt_keyspace_ddl(struct cql_exec *x);
int stmt_create_table(struct cql_exec *x);
int stmt_alter_table(struct cql_exec *x);
int stmt_drop_table(struct cql_exec *x);
int stmt_create_type(struct cql_exec *x);
int stmt_drop_type(struct cql_exec *x);
int stmt_truncate(struct cql_exec *x);
int stmt_modify(struct cql_exec *x); /* INSERT, UPDATE, DELETE, BATCH */
int stmt_select_table(struct cql_exec *x, const struct schema_keyspace *ks,
                      const struct schema_table *t);
/* Result columns of a SELECT over a user table (for PREPARED metadata). */
int read_result_specs(struct cql_req *r, const struct cql_stmt *st,
                      const struct schema_keyspace *ks, const struct schema_table *t,
                      struct cql_colspec **out, int *n);
/* AST type -> struct type (request arena), UDTs resolved in ks; NULL with error. */
struct type *cql_build_type(struct cql_req *r, const struct schema_keyspace *ks,
                            const struct cql_type *ct);
enum type_kind cql_native_kind(enum cql_native n);
/* Protocol BATCH messages: statements with their own values. */
struct cql_batch_ctx;
struct cql_batch_ctx *cql_batch_begin(struct cql_exec *x, int type);
int cql_batch_add(struct cql_batch_ctx *bc, struct cql_exec *x);
int cql_batch_send(struct cql_batch_ctx *bc, struct cql_exec *x);
/* Bind-variable specs of a statement for a PREPARED result; -1 with an
 * error written into r when the statement cannot be prepared. */
int stmt_bind_specs(struct cql_req *r, const struct cql_stmt *st, struct cql_colspec **out, int *n,
                    int **pk_idx, int *n_pk);
/* Result column specs of a statement (SELECT), 0 columns for others. */
int stmt_result_specs(struct cql_req *r, const struct cql_stmt *st, struct cql_colspec **out,
                      int *n);

/* Resolve [ks.]table against the session and schema; writes the error. */
const struct schema_table *resolve_table(struct cql_req *r, const struct cql_qname *qn,
                                         const struct schema_keyspace **ks_out);

/* The bound value of marker `m` of the executing statement, NULL if none
 * was sent (error written). */
const proto_value *bind_value(struct cql_exec *x, const struct cql_bind_marker *m);

/* Encodes a term for a column of type t into request-arena bytes (len -1
 * null, -2 unset). 0 ok, -1 with an error written into r. */
int cql_encode_term(struct cql_exec *x, const struct cql_term *term, const struct type *t,
                    const char *col_name, proto_value *out);
#define term_encode cql_encode_term

/* prepared cache */
struct cql_prepared *prepared_find(struct cql_shard *cs, const uint8_t id[16]);
struct cql_prepared *prepared_add(struct shard *s, const uint8_t id[16], const char *query,
                                  size_t qlen, const char *keyspace, int broadcast);
void prepared_compute_id(const char *keyspace, const char *q, size_t n, uint8_t id[16]);

const char *stmt_kind_name(enum cql_stmt_kind k);

#endif
