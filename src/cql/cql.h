/*
 * cql -- the query layer's interface to the transport: execute QUERY,
 * PREPARE, EXECUTE and BATCH messages and produce RESULT or ERROR bodies.
 *
 * A request is a `struct cql_req` owned by the transport (pooled per shard,
 * so steady-state requests do not malloc). cql_handle either answers at once
 * (CQL_DONE: r->opcode and r->body are set) or later (CQL_PENDING: the
 * request went to another shard, e.g. a schema change; r->done(r) runs on
 * this shard when the answer is ready). While pending, the request, its
 * arena and its session must stay alive.
 *
 * Thread context: the shard that owns the connection.
 */
#ifndef RINGDB_CQL_CQL_H
#define RINGDB_CQL_CQL_H

#include "net/shard.h"
#include "service/migration.h"
#include "transport/wire.h"
#include "util/arena.h"
#include "util/buf.h"

#define CQL_DONE    0
#define CQL_PENDING 1

/* Per-connection state the query layer keeps (USE keyspace). */
struct cql_session {
    char keyspace[64]; /* "" when none */
};

struct cql_req {
    struct shard *shard;
    struct cql_session *sess;
    int version; /* protocol version of the request */
    int16_t stream;
    arena arena;    /* everything of this request; reset when answered */
    buf body;       /* OUT: RESULT or ERROR body */
    uint8_t opcode; /* OUT: PROTO_OP_RESULT or PROTO_OP_ERROR */
    int n_warnings;
    const char *warnings[4];         /* OUT: client warnings (arena strings) */
    void (*done)(struct cql_req *r); /* transport's completion for CQL_PENDING */
    void *owner;                     /* transport's connection */
    struct sp_change change;         /* schema changes travel in this */
    struct cql_req *next_free;       /* transport's pool link */
    struct cql_prepared *pinned;     /* the cached statement a pending EXECUTE runs */
};

int cql_shard_init(struct shard *s);
void cql_shard_free(struct shard *s);

/* The transport calls this when a request is answered, before reusing r:
 * releases what the cql layer kept for a pending request. */
void cql_req_release(struct cql_req *r);

/* Executes the decoded request message (QUERY, PREPARE, EXECUTE, BATCH). */
int cql_handle(struct cql_req *r, const proto_request *msg);

/* Writes an ERROR body into r (printf-style message). */
void cql_error(struct cql_req *r, int32_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4))); /* GCC/clang: -Wformat checks calls */

/* The body of a SCHEMA_CHANGE event / Schema_change result (after the
 * result kind): change type, target, options, per protocol version. */
void cql_encode_schema_change(buf *b, const struct sp_schema_event *ev);

/* The transport's list of this shard's connections, for
 * system_views.clients: fills up to cap entries, returns how many exist.
 * Set once at start (immutable afterwards). */
struct systab_client;
typedef int (*cql_clients_fn)(struct shard *s, struct systab_client *out, int cap);
void cql_set_clients_provider(cql_clients_fn fn);

/* Number of prepared statements cached on this shard (stats/tests). */
int cql_prepared_count(struct shard *s);

#endif
