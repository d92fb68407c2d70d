/*
 * client -- a small blocking client of the CQL native protocol v4/v5, for
 * the tools (ringsh, later ringtool and the stress tool). One connection,
 * one thread; requests can be pipelined on stream ids.
 *
 * What it does:
 *   - connect to host:port, STARTUP (CQL_VERSION 3.0.0), optional
 *     PasswordAuthenticator (SASL PLAIN: \0user\0password);
 *   - version 0 means "negotiate": try v5, and when the server answers a
 *     Protocol error about the version, reconnect with v4 (what the
 *     drivers do); v5 switches to checksummed segments after the STARTUP
 *     response (src/transport/segment.h), without compression;
 *   - QUERY, PREPARE, EXECUTE with bound values, consistency, serial
 *     consistency, page size and paging state;
 *   - decodes every RESULT kind (Void, Rows with their metadata -- global
 *     table spec or per-column specs, [option] types --, Set_keyspace,
 *     Prepared, Schema_change) and ERROR bodies with their extra fields;
 *   - warnings and the tracing id carried in response headers.
 *
 * Ownership: a cqlc_result owns an arena; the body of the response is
 * copied into it, so every pointer in the result (names, types, cells,
 * paging state, error strings) stays valid until cqlc_result_free() or the
 * next call that fills the same result. Types are `struct type` (see
 * types/type.h) built in that arena, so types/value.h (type_iter,
 * type_format_value ...) works on the cells.
 *
 * Return codes of every int function:
 *   CQLC_OK        success; for requests: a non-ERROR response is in *out;
 *   CQLC_ESERVER   the server answered ERROR: out->kind == CQLC_RES_ERROR,
 *                  out->err has the code, message and extra fields;
 *   CQLC_EIO       connect/send/recv failed or the peer closed;
 *   CQLC_ETIMEOUT  no answer within the request timeout;
 *   CQLC_EPROTO    the server sent something this client cannot decode;
 *   CQLC_ENOMEM    out of memory.
 * After CQLC_EIO, CQLC_ETIMEOUT or CQLC_EPROTO the connection is dead
 * (cqlc_errmsg says why); only cqlc_close() remains.
 *
 * Thread context: a cqlc_conn belongs to one thread.
 */
#ifndef RINGDB_CLIENT_CLIENT_H
#define RINGDB_CLIENT_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "types/type.h"
#include "types/value.h"
#include "util/arena.h"

#define CQLC_OK       0
#define CQLC_ESERVER  (-1)
#define CQLC_EIO      (-2)
#define CQLC_ETIMEOUT (-3)
#define CQLC_EPROTO   (-4)
#define CQLC_ENOMEM   (-5)

/* RESULT kinds (spec 4.2.5) and our marker for ERROR. */
#define CQLC_RES_NONE          0
#define CQLC_RES_VOID          1
#define CQLC_RES_ROWS          2
#define CQLC_RES_SET_KEYSPACE  3
#define CQLC_RES_PREPARED      4
#define CQLC_RES_SCHEMA_CHANGE 5
#define CQLC_RES_ERROR         0x100

typedef struct cqlc_conn cqlc_conn;

typedef struct cqlc_opts {
    const char *host;       /* numeric address or name; default 127.0.0.1 */
    int port;               /* default 9042 */
    int version;            /* 4 or 5; 0 negotiates (5, then 4) */
    const char *username;   /* NULL: no credentials */
    const char *password;   /* used with username */
    int connect_timeout_ms; /* 0: 5000 */
    int request_timeout_ms; /* 0: 10000; < 0: wait forever */
} cqlc_opts;

/* A column of a result or a bind marker of a prepared statement. */
typedef struct cqlc_col {
    const char *ks, *table, *name; /* NUL-terminated, in the result's arena */
    const struct type *type;
} cqlc_col;

/* One entry of a v5 failure <reasonmap>. */
typedef struct cqlc_failure {
    char addr[48]; /* textual address */
    uint16_t code;
} cqlc_failure;

/* An ERROR body: the fields present depend on the code (spec section 9). */
typedef struct cqlc_error {
    int32_t code;
    const char *message;
    /* Unavailable, timeouts, failures, CAS unknown */
    uint16_t consistency;
    int32_t required; /* Unavailable: required; others: blockfor */
    int32_t alive;    /* Unavailable */
    int32_t received;
    int data_present;       /* Read_timeout / Read_failure */
    const char *write_type; /* Write_timeout / Write_failure */
    int32_t n_failures;     /* Read/Write_failure */
    int has_reasonmap;      /* v5: failures come as a reasonmap */
    cqlc_failure *failures; /* n_failures entries when has_reasonmap */
    int32_t contentions;    /* v5 CAS Write_timeout, else -1 */
    /* Function_failure */
    const char *function;
    uint16_t n_arg_types;
    const char **arg_types;
    /* Already_exists (table "" for a keyspace) and Function_failure */
    const char *ks, *table;
    /* Unprepared */
    const uint8_t *unprepared_id;
    int n_unprepared_id;
} cqlc_error;

typedef struct cqlc_result {
    arena a; /* owns everything below */
    int kind;
    cqlc_error err; /* kind == CQLC_RES_ERROR */
    /* Rows; for Prepared: the result metadata */
    int n_cols;
    cqlc_col *cols;
    int32_t n_rows;
    struct type_val *cells; /* n_rows * n_cols, row-major; len -1 = null */
    int has_more_pages;
    const uint8_t *paging_state;
    int32_t n_paging_state;
    const uint8_t *new_metadata_id; /* v5 Metadata_changed */
    int n_new_metadata_id;
    /* Set_keyspace */
    const char *keyspace;
    /* Prepared */
    const uint8_t *id;
    int n_id;
    const uint8_t *result_metadata_id; /* v5 */
    int n_result_metadata_id;
    int n_bind;
    cqlc_col *bind;
    int n_pk;
    uint16_t *pk_index;
    /* Schema_change */
    const char *change_type, *target, *sc_keyspace, *sc_name;
    /* header prefixes */
    int n_warnings;
    const char **warnings;
    int has_tracing_id;
    uint8_t tracing_id[16];
} cqlc_result;

/* Per-request options; zero-initialised means consistency ANY (0): use
 * cqlc_qopts_init() for ONE, SERIAL, no paging. */
typedef struct cqlc_qopts {
    uint16_t consistency;
    uint16_t serial_consistency;
    int32_t page_size; /* <= 0: no paging */
    const uint8_t *paging_state;
    int32_t n_paging_state;
    const struct type_val *values; /* bound values; len -1 null, -2 unset */
    int n_values;
    int64_t timestamp; /* INT64_MIN: none */
    int skip_metadata; /* EXECUTE only */
} cqlc_qopts;

void cqlc_qopts_init(cqlc_qopts *o);

/* Results: init once, reuse across calls (each call resets the arena),
 * free once. */
void cqlc_result_init(cqlc_result *r);
void cqlc_result_reset(cqlc_result *r);
void cqlc_result_free(cqlc_result *r);
/* The cell of row i, column j. */
static inline const struct type_val *cqlc_cell(const cqlc_result *r, int32_t i, int j)
{
    return &r->cells[(size_t)i * (size_t)r->n_cols + (size_t)j];
}

/*
 * Connect, negotiate the version, STARTUP and authenticate. On success
 * *out is the connection (cqlc_close frees it). On failure returns a code
 * and writes a one-line reason into err[0..errsz) (e.g. "Connection
 * refused", or the server's authentication error); when the server
 * answered ERROR, *server_code (may be NULL) gets its code, else -1.
 */
int cqlc_connect(const cqlc_opts *o, cqlc_conn **out, char *err, size_t errsz,
                 int32_t *server_code);
void cqlc_close(cqlc_conn *c);

int cqlc_version(const cqlc_conn *c);        /* 4 or 5 */
const char *cqlc_errmsg(const cqlc_conn *c); /* last transport failure */
void cqlc_set_timeout(cqlc_conn *c, int request_timeout_ms);

/* Blocking requests: send, wait for the answer on that stream. Any other
 * response that arrives meanwhile is dropped (do not mix with the async
 * calls below while requests are in flight). */
int cqlc_query(cqlc_conn *c, const char *cql, const cqlc_qopts *o, cqlc_result *out);
int cqlc_prepare(cqlc_conn *c, const char *cql, cqlc_result *out);
/* prepared: a CQLC_RES_PREPARED result (its id and, in v5, metadata id). */
int cqlc_execute(cqlc_conn *c, const cqlc_result *prepared, const cqlc_qopts *o, cqlc_result *out);

/*
 * Pipelining. cqlc_send_* queue a request on a free stream id (returned in
 * *stream) without waiting; the bytes go out at the latest when
 * cqlc_recv_any() or cqlc_flush() runs. cqlc_recv_any() waits for the
 * next response of any stream and returns it with its stream id (out
 * filled as for the blocking calls). cqlc_in_flight() counts requests
 * sent and not yet received. At most 32767 requests may be in flight;
 * cqlc_send_* return CQLC_EPROTO if none is free.
 */
int cqlc_send_query(cqlc_conn *c, const char *cql, const cqlc_qopts *o, int16_t *stream);
int cqlc_send_execute(cqlc_conn *c, const cqlc_result *prepared, const cqlc_qopts *o,
                      int16_t *stream);
int cqlc_flush(cqlc_conn *c);
int cqlc_recv_any(cqlc_conn *c, int16_t *stream, cqlc_result *out);
int cqlc_in_flight(const cqlc_conn *c);

/* Name of an error code as the Python driver's exception classes call it
 * ("InvalidRequest", "SyntaxException", ...) and the driver's summary
 * ("Invalid query", ...). Never NULL. */
const char *cqlc_error_class(int32_t code);
const char *cqlc_error_summary(int32_t code);

/* Consistency level by name ("local_quorum", any case): 0..10, or -1. */
int cqlc_consistency_from_name(const char *s);

#endif
