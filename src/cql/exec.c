/*
 * exec.c -- the executor's entry point: QUERY, PREPARE, EXECUTE and BATCH
 * messages, statement dispatch, shared helpers (errors, results, binds,
 * literal encoding, table resolution).
 *
 * Request flow: cql_handle -> parse (query text copied into the request
 * arena first, so everything a pending request refers to lives there) ->
 * cql_exec_stmt -> stmt_* (answer now, or CQL_PENDING for schema changes).
 */
#include "cql/cql_int.h"
#include "util/log.h"
#include "util/md5.h"
#include "util/mem.h"
#include "util/uuid.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------ errors */

static void verror(struct cql_req *r, int32_t code, const char *fmt, va_list ap)
{
    char msg[1024];
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof(msg)) n = sizeof(msg) - 1;
    buf_clear(&r->body);
    proto_write_error_msg(&r->body, code, msg, (size_t)n);
    r->opcode = PROTO_OP_ERROR;
}

void cql_error(struct cql_req *r, int32_t code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror(r, code, fmt, ap);
    va_end(ap);
}

void cql_error_already_exists(struct cql_req *r, const char *ks, const char *table, const char *fmt,
                              ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    buf_clear(&r->body);
    proto_write_error_already_exists(&r->body, msg, ks, table);
    r->opcode = PROTO_OP_ERROR;
}

/* ------------------------------------------------------------ results */

void res_void(struct cql_req *r)
{
    buf_clear(&r->body);
    buf_put_be32(&r->body, RESULT_VOID);
    r->opcode = PROTO_OP_RESULT;
}

void res_set_keyspace(struct cql_req *r, const char *ks)
{
    buf_clear(&r->body);
    buf_put_be32(&r->body, RESULT_SET_KEYSPACE);
    proto_wr_cstring(&r->body, ks);
    r->opcode = PROTO_OP_RESULT;
}

void cql_encode_schema_change(buf *b, const struct sp_schema_event *ev)
{
    static const char *change[] = {"CREATED", "UPDATED", "DROPPED"};
    static const char *target[] = {"KEYSPACE", "TABLE", "TYPE", "FUNCTION", "AGGREGATE"};
    proto_wr_cstring(b, change[ev->change]);
    proto_wr_cstring(b, target[ev->target]);
    proto_wr_cstring(b, ev->keyspace);
    if (ev->target == SP_TARGET_TABLE || ev->target == SP_TARGET_TYPE) {
        proto_wr_cstring(b, ev->name);
    } else if (ev->target == SP_TARGET_FUNCTION || ev->target == SP_TARGET_AGGREGATE) {
        proto_wr_cstring(b, ev->name);
        proto_str args[8];
        for (int i = 0; i < ev->n_args && i < 8; i++) {
            args[i].p = ev->args[i];
            args[i].n = (uint32_t)strlen(ev->args[i]);
        }
        proto_wr_string_list(b, args, (size_t)ev->n_args);
    }
}

void res_schema_change(struct cql_req *r, const struct sp_schema_event *ev)
{
    buf_clear(&r->body);
    buf_put_be32(&r->body, RESULT_SCHEMA_CHANGE);
    cql_encode_schema_change(&r->body, ev);
    r->opcode = PROTO_OP_RESULT;
}

static int same_table(const struct cql_colspec *cols, int n)
{
    for (int i = 1; i < n; i++)
        if (strcmp(cols[i].ks, cols[0].ks) || strcmp(cols[i].table, cols[0].table)) return 0;
    return n > 0;
}

static void put_colspecs(buf *b, const struct cql_colspec *cols, int n, int global)
{
    if (global) {
        proto_wr_cstring(b, cols[0].ks);
        proto_wr_cstring(b, cols[0].table);
    }
    for (int i = 0; i < n; i++) {
        if (!global) {
            proto_wr_cstring(b, cols[i].ks);
            proto_wr_cstring(b, cols[i].table);
        }
        proto_wr_cstring(b, cols[i].name);
        type_encode_option(cols[i].type, b);
    }
}

void res_rows_metadata(buf *b, int version, uint32_t flags, const struct cql_colspec *cols, int n,
                       const uint8_t *paging_state, int n_paging, const uint8_t *new_metadata_id)
{
    int global = same_table(cols, n);
    if (global) flags |= META_GLOBAL_TABLES_SPEC;
    if (paging_state) flags |= META_HAS_MORE_PAGES;
    if (new_metadata_id) flags |= META_METADATA_CHANGED;
    if (flags & META_NO_METADATA) flags &= ~(uint32_t)META_GLOBAL_TABLES_SPEC;
    buf_put_be32(b, flags);
    buf_put_be32(b, (uint32_t)n);
    if (paging_state) proto_wr_bytes(b, paging_state, n_paging);
    if (new_metadata_id) proto_wr_short_bytes(b, new_metadata_id, 16);
    if (!(flags & META_NO_METADATA)) put_colspecs(b, cols, n, global);
}

void res_metadata_id(const struct cql_colspec *cols, int n, uint8_t out[16])
{
    buf b;
    buf_init(&b);
    if (n) put_colspecs(&b, cols, n, 0);
    md5_digest(b.data ? b.data : (const uint8_t *)"", b.len, out);
    buf_free(&b);
}

/* ------------------------------------------------------------ helpers */

const char *stmt_kind_name(enum cql_stmt_kind k)
{
    static const char *names[] = {
        [CQL_STMT_SELECT] = "SELECT",
        [CQL_STMT_INSERT] = "INSERT",
        [CQL_STMT_UPDATE] = "UPDATE",
        [CQL_STMT_DELETE] = "DELETE",
        [CQL_STMT_BATCH] = "BATCH",
        [CQL_STMT_USE] = "USE",
        [CQL_STMT_TRUNCATE] = "TRUNCATE",
        [CQL_STMT_CREATE_KEYSPACE] = "CREATE KEYSPACE",
        [CQL_STMT_ALTER_KEYSPACE] = "ALTER KEYSPACE",
        [CQL_STMT_DROP_KEYSPACE] = "DROP KEYSPACE",
        [CQL_STMT_CREATE_TABLE] = "CREATE TABLE",
        [CQL_STMT_ALTER_TABLE] = "ALTER TABLE",
        [CQL_STMT_DROP_TABLE] = "DROP TABLE",
        [CQL_STMT_CREATE_INDEX] = "CREATE INDEX",
        [CQL_STMT_DROP_INDEX] = "DROP INDEX",
        [CQL_STMT_CREATE_TYPE] = "CREATE TYPE",
        [CQL_STMT_ALTER_TYPE] = "ALTER TYPE",
        [CQL_STMT_DROP_TYPE] = "DROP TYPE",
        [CQL_STMT_CREATE_VIEW] = "CREATE MATERIALIZED VIEW",
        [CQL_STMT_ALTER_VIEW] = "ALTER MATERIALIZED VIEW",
        [CQL_STMT_DROP_VIEW] = "DROP MATERIALIZED VIEW",
        [CQL_STMT_CREATE_FUNCTION] = "CREATE FUNCTION",
        [CQL_STMT_DROP_FUNCTION] = "DROP FUNCTION",
        [CQL_STMT_CREATE_AGGREGATE] = "CREATE AGGREGATE",
        [CQL_STMT_DROP_AGGREGATE] = "DROP AGGREGATE",
        [CQL_STMT_CREATE_TRIGGER] = "CREATE TRIGGER",
        [CQL_STMT_DROP_TRIGGER] = "DROP TRIGGER",
        [CQL_STMT_CREATE_ROLE] = "CREATE ROLE",
        [CQL_STMT_ALTER_ROLE] = "ALTER ROLE",
        [CQL_STMT_DROP_ROLE] = "DROP ROLE",
        [CQL_STMT_CREATE_USER] = "CREATE USER",
        [CQL_STMT_ALTER_USER] = "ALTER USER",
        [CQL_STMT_DROP_USER] = "DROP USER",
        [CQL_STMT_LIST_USERS] = "LIST USERS",
        [CQL_STMT_LIST_ROLES] = "LIST ROLES",
        [CQL_STMT_GRANT_PERMISSIONS] = "GRANT",
        [CQL_STMT_REVOKE_PERMISSIONS] = "REVOKE",
        [CQL_STMT_LIST_PERMISSIONS] = "LIST PERMISSIONS",
        [CQL_STMT_GRANT_ROLE] = "GRANT ROLE",
        [CQL_STMT_REVOKE_ROLE] = "REVOKE ROLE",
        [CQL_STMT_ADD_IDENTITY] = "ADD IDENTITY",
        [CQL_STMT_DROP_IDENTITY] = "DROP IDENTITY",
        [CQL_STMT_DESCRIBE] = "DESCRIBE",
    };
    if ((unsigned)k < sizeof(names) / sizeof(names[0]) && names[k]) return names[k];
    return "this statement";
}

const struct schema_table *resolve_table(struct cql_req *r, const struct cql_qname *qn,
                                         const struct schema_keyspace **ks_out)
{
    const char *ksn = qn->ks ? qn->ks : r->sess->keyspace;
    if (!ksn || !ksn[0]) {
        cql_error(r, PROTO_ERR_INVALID,
                  "No keyspace has been specified. USE a keyspace, or explicitly specify "
                  "keyspace.tablename");
        return NULL;
    }
    const struct schema_keyspace *ks = schema_find_ks(sp_schema(r->shard), ksn);
    if (!ks) {
        cql_error(r, PROTO_ERR_INVALID, "keyspace %s does not exist", ksn);
        return NULL;
    }
    const struct schema_table *t = schema_find_table(ks, qn->name);
    if (!t) {
        cql_error(r, PROTO_ERR_INVALID, "table %s does not exist", qn->name);
        return NULL;
    }
    *ks_out = ks;
    return t;
}

const proto_value *bind_value(struct cql_exec *x, const struct cql_bind_marker *m)
{
    const proto_query_params *p = x->params;
    if (p->names && m->name) {
        for (uint16_t i = 0; i < p->n_values; i++)
            if (p->names[i].n == strlen(m->name) &&
                strncasecmp(p->names[i].p, m->name, p->names[i].n) == 0)
                return &p->values[i];
        cql_error(x->r, PROTO_ERR_INVALID, "No value has been provided for bind variable %s",
                  m->name);
        return NULL;
    }
    if (m->index >= p->n_values) {
        cql_error(x->r, PROTO_ERR_INVALID, "There were %d markers(?) in CQL but %u bound variables",
                  x->stmt->n_binds, p->n_values);
        return NULL;
    }
    return &p->values[m->index];
}

/* ------------------------------------------------------------ dispatch */

int stmt_use(struct cql_exec *x)
{
    const char *ks = x->stmt->drop.name.name;
    if (!schema_find_ks(sp_schema(x->r->shard), ks)) {
        cql_error(x->r, PROTO_ERR_INVALID, "Keyspace '%s' does not exist", ks);
        return CQL_DONE;
    }
    snprintf(x->r->sess->keyspace, sizeof(x->r->sess->keyspace), "%s", ks);
    res_set_keyspace(x->r, ks);
    return CQL_DONE;
}

int cql_exec_stmt(struct cql_exec *x)
{
    switch (x->stmt->kind) {
    case CQL_STMT_SELECT: return stmt_select(x);
    case CQL_STMT_USE: return stmt_use(x);
    case CQL_STMT_CREATE_KEYSPACE:
    case CQL_STMT_ALTER_KEYSPACE:
    case CQL_STMT_DROP_KEYSPACE: return stmt_keyspace_ddl(x);
    case CQL_STMT_CREATE_TABLE: return stmt_create_table(x);
    case CQL_STMT_ALTER_TABLE: return stmt_alter_table(x);
    case CQL_STMT_DROP_TABLE: return stmt_drop_table(x);
    case CQL_STMT_CREATE_TYPE: return stmt_create_type(x);
    case CQL_STMT_DROP_TYPE: return stmt_drop_type(x);
    case CQL_STMT_INSERT:
    case CQL_STMT_UPDATE:
    case CQL_STMT_DELETE:
    case CQL_STMT_BATCH: return stmt_modify(x);
    case CQL_STMT_TRUNCATE: return stmt_truncate(x);
    default: break;
    }
    cql_error(x->r, PROTO_ERR_INVALID, "%s statements are not supported yet by ringdb",
              stmt_kind_name(x->stmt->kind));
    return CQL_DONE;
}

/* Parses text (copied into the request arena) into *out; answers Syntax
 * error / Server error itself. */
static int parse(struct cql_req *r, const char *q, size_t n, struct cql_stmt **out, char **text)
{
    char *copy = arena_strndup(&r->arena, q, n);
    if (!copy) {
        cql_error(r, PROTO_ERR_SERVER, "Out of memory");
        return -1;
    }
    cql_parse_error pe;
    int rc = cql_parse(copy, n, &r->arena, out, &pe);
    if (rc == -2) {
        cql_error(r, PROTO_ERR_SERVER, "Out of memory");
        return -1;
    }
    if (rc != 0) {
        cql_error(r, PROTO_ERR_SYNTAX, "%s", pe.msg);
        return -1;
    }
    if (text) *text = copy;
    return 0;
}

/* The keyspace a request runs in: v5's per-request keyspace, else the session's. */
static void request_keyspace(struct cql_req *r, proto_str ks, char *saved, size_t cap)
{
    snprintf(saved, cap, "%s", r->sess->keyspace);
    if (ks.p) snprintf(r->sess->keyspace, sizeof(r->sess->keyspace), "%.*s", (int)ks.n, ks.p);
}

static int handle_query(struct cql_req *r, const struct proto_query *q)
{
    struct cql_stmt *st;
    if (parse(r, q->query.p, q->query.n, &st, NULL) < 0) return CQL_DONE;
    if (st->n_binds && q->params.n_values < st->n_binds && !q->params.names) {
        cql_error(r, PROTO_ERR_INVALID, "There were %d markers(?) in CQL but %u bound variables",
                  st->n_binds, q->params.n_values);
        return CQL_DONE;
    }
    char saved[64];
    request_keyspace(r, q->params.keyspace, saved, sizeof(saved));
    struct cql_exec x = {.r = r, .stmt = st, .params = &q->params};
    int rc = cql_exec_stmt(&x);
    if (q->params.keyspace.p && st->kind != CQL_STMT_USE)
        snprintf(r->sess->keyspace, sizeof(r->sess->keyspace), "%s", saved);
    return rc;
}

/* Cassandra hashes a prepared statement with the session keyspace unless
 * every table it names carries its keyspace (CASSANDRA-15252). */
static int stmt_fully_qualified(const struct cql_stmt *st)
{
    switch (st->kind) {
    case CQL_STMT_SELECT: return st->select.table.ks != NULL;
    case CQL_STMT_INSERT: return st->insert.table.ks != NULL;
    case CQL_STMT_UPDATE: return st->update.table.ks != NULL;
    case CQL_STMT_DELETE: return st->delete_.table.ks != NULL;
    case CQL_STMT_BATCH:
        for (int i = 0; i < st->batch.n_stmts; i++)
            if (!stmt_fully_qualified(st->batch.stmts[i])) return 0;
        return 1;
    default: return 0;
    }
}

static int handle_prepare(struct cql_req *r, const struct proto_prepare *p)
{
    struct cql_stmt *st;
    if (parse(r, p->query.p, p->query.n, &st, NULL) < 0) return CQL_DONE;
    char ks[64];
    if (p->keyspace.p)
        snprintf(ks, sizeof(ks), "%.*s", (int)p->keyspace.n, p->keyspace.p);
    else
        snprintf(ks, sizeof(ks), "%s", r->sess->keyspace);
    char saved[64];
    snprintf(saved, sizeof(saved), "%s", r->sess->keyspace);
    snprintf(r->sess->keyspace, sizeof(r->sess->keyspace), "%s", ks);

    struct cql_colspec *vars = NULL, *cols = NULL;
    int n_vars = 0, n_cols = 0, *pk = NULL, n_pk = 0;
    int ok = stmt_bind_specs(r, st, &vars, &n_vars, &pk, &n_pk) == 0 &&
             stmt_result_specs(r, st, &cols, &n_cols) == 0;
    snprintf(r->sess->keyspace, sizeof(r->sess->keyspace), "%s", saved);
    if (!ok) return CQL_DONE;

    uint8_t id[16];
    prepared_compute_id(stmt_fully_qualified(st) ? "" : ks, p->query.p, p->query.n, id);
    if (!prepared_add(r->shard, id, p->query.p, p->query.n, ks, 1)) {
        cql_error(r, PROTO_ERR_SERVER, "Out of memory");
        return CQL_DONE;
    }
    buf *b = &r->body;
    buf_clear(b);
    buf_put_be32(b, RESULT_PREPARED);
    proto_wr_short_bytes(b, id, 16);
    if (r->version >= PROTO_V5) {
        uint8_t mid[16];
        res_metadata_id(cols, n_cols, mid);
        proto_wr_short_bytes(b, mid, 16);
    }
    /* prepared metadata */
    int global = same_table(vars, n_vars);
    buf_put_be32(b, global ? META_GLOBAL_TABLES_SPEC : 0);
    buf_put_be32(b, (uint32_t)n_vars);
    if (r->version >= PROTO_V4) {
        buf_put_be32(b, (uint32_t)n_pk);
        for (int i = 0; i < n_pk; i++)
            buf_put_be16(b, (uint16_t)pk[i]);
    }
    if (n_vars) put_colspecs(b, vars, n_vars, global);
    /* result metadata */
    if (n_cols)
        res_rows_metadata(b, r->version, 0, cols, n_cols, NULL, 0, NULL);
    else {
        buf_put_be32(b, META_NO_METADATA);
        buf_put_be32(b, 0);
    }
    r->opcode = PROTO_OP_RESULT;
    return CQL_DONE;
}

static int handle_execute(struct cql_req *r, const struct proto_execute *e)
{
    struct cql_shard *cs = r->shard->cql;
    if (e->id.len != 16) {
        proto_write_error_unprepared(&r->body, "Prepared query with ID  not found", e->id.p,
                                     e->id.len > 0 ? (size_t)e->id.len : 0);
        r->opcode = PROTO_OP_ERROR;
        return CQL_DONE;
    }
    struct cql_prepared *p = prepared_find(cs, e->id.p);
    if (!p) {
        char hex[33];
        for (int i = 0; i < 16; i++)
            snprintf(hex + 2 * i, 3, "%02x", e->id.p[i]);
        char msg[128];
        snprintf(msg, sizeof(msg),
                 "Prepared query with ID %s not found (either the query was not prepared on "
                 "this host (maybe the host has been restarted?) or you have prepared too many "
                 "queries and it has been evicted from the internal cache)",
                 hex);
        buf_clear(&r->body);
        proto_write_error_unprepared(&r->body, msg, e->id.p, 16);
        r->opcode = PROTO_OP_ERROR;
        return CQL_DONE;
    }
    p->last_used = ++cs->clock;
    if (e->params.n_values < p->stmt->n_binds) {
        cql_error(r, PROTO_ERR_INVALID, "There were %d markers(?) in CQL but %u bound variables",
                  p->stmt->n_binds, e->params.n_values);
        return CQL_DONE;
    }
    char saved[64];
    snprintf(saved, sizeof(saved), "%s", r->sess->keyspace);
    if (p->keyspace[0]) snprintf(r->sess->keyspace, sizeof(r->sess->keyspace), "%s", p->keyspace);
    /* The cached statement is shared by every execution on this shard and
     * read-only; a schema change run from it copies what it needs. */
    struct cql_exec x = {.r = r,
                         .stmt = p->stmt,
                         .params = &e->params,
                         .query = p->query,
                         .is_execute = 1,
                         .result_metadata_id =
                             e->result_metadata_id.len == 16 ? e->result_metadata_id.p : NULL};
    /* A pending request keeps reading the cached statement: it is pinned
     * until the request is answered, so an eviction meanwhile defers the
     * free (no re-parse per EXECUTE). */
    int rc = cql_exec_stmt(&x);
    if (rc == CQL_PENDING && !r->pinned) {
        p->pins++;
        r->pinned = p;
    }
    if (p->stmt->kind != CQL_STMT_USE)
        snprintf(r->sess->keyspace, sizeof(r->sess->keyspace), "%s", saved);
    return rc;
}

static int handle_batch(struct cql_req *r, const struct proto_batch *b)
{
    if (b->n_stmts == 0) {
        res_void(r);
        return CQL_DONE;
    }
    char saved[64];
    request_keyspace(r, b->params.keyspace, saved, sizeof(saved));
    struct cql_exec *bx = arena_calloc(&r->arena, sizeof(*bx));
    proto_query_params *bp = arena_alloc(&r->arena, sizeof(*bp));
    if (!bx || !bp) {
        cql_error(r, PROTO_ERR_SERVER, "Out of memory");
        return CQL_DONE;
    }
    *bp = b->params;
    bx->r = r;
    bx->params = bp;
    struct cql_batch_ctx *bc = cql_batch_begin(bx, b->type);
    int rc = CQL_DONE;
    if (!bc) {
        cql_error(r, PROTO_ERR_SERVER, "Out of memory");
        goto out;
    }
    for (uint16_t i = 0; i < b->n_stmts; i++) {
        const struct proto_batch_stmt *bs = &b->stmts[i];
        struct cql_stmt *st;
        if (bs->kind == 1) {
            struct cql_prepared *p =
                bs->id.len == 16 ? prepared_find(r->shard->cql, bs->id.p) : NULL;
            if (!p) {
                buf_clear(&r->body);
                proto_write_error_unprepared(&r->body, "Prepared query not found", bs->id.p,
                                             bs->id.len > 0 ? (size_t)bs->id.len : 0);
                r->opcode = PROTO_OP_ERROR;
                goto out;
            }
            if (p->keyspace[0])
                snprintf(r->sess->keyspace, sizeof(r->sess->keyspace), "%s", p->keyspace);
            if (parse(r, p->query, strlen(p->query), &st, NULL) < 0) goto out;
        } else if (parse(r, bs->query.p, bs->query.n, &st, NULL) < 0) {
            goto out;
        }
        if (st->kind != CQL_STMT_INSERT && st->kind != CQL_STMT_UPDATE &&
            st->kind != CQL_STMT_DELETE) {
            cql_error(r, PROTO_ERR_INVALID,
                      "Invalid statement in batch: only UPDATE, INSERT and DELETE statements "
                      "are allowed.");
            goto out;
        }
        proto_query_params *sp = arena_alloc(&r->arena, sizeof(*sp));
        struct cql_exec *sx = arena_calloc(&r->arena, sizeof(*sx));
        if (!sp || !sx) {
            cql_error(r, PROTO_ERR_SERVER, "Out of memory");
            goto out;
        }
        *sp = b->params;
        sp->n_values = bs->n_values;
        sp->values = bs->values;
        sp->names = NULL;
        sx->r = r;
        sx->stmt = st;
        sx->params = sp;
        if (st->n_binds > bs->n_values) {
            cql_error(r, PROTO_ERR_INVALID,
                      "There were %d markers(?) in CQL but %u bound variables", st->n_binds,
                      bs->n_values);
            goto out;
        }
        if (cql_batch_add(bc, sx) < 0) goto out;
    }
    rc = cql_batch_send(bc, bx);
out:
    snprintf(r->sess->keyspace, sizeof(r->sess->keyspace), "%s", saved);
    return rc;
}

int cql_handle(struct cql_req *r, const proto_request *msg)
{
    switch (msg->opcode) {
    case PROTO_OP_QUERY: return handle_query(r, &msg->u.query);
    case PROTO_OP_PREPARE: return handle_prepare(r, &msg->u.prepare);
    case PROTO_OP_EXECUTE: return handle_execute(r, &msg->u.execute);
    case PROTO_OP_BATCH: return handle_batch(r, &msg->u.batch);
    default: cql_error(r, PROTO_ERR_PROTOCOL, "Unexpected message"); return CQL_DONE;
    }
}
