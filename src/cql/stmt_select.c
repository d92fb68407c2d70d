/*
 * stmt_select.c -- SELECT, and the variable/result metadata of prepared
 * statements.
 *
 * What this file runs today: SELECT over the built-in (virtual) tables with
 * column selection, aliases, count(*), WHERE =, IN and ranges on any column
 * (non-key columns need ALLOW FILTERING, as in Cassandra), LIMIT and paging.
 * SELECT over user tables belongs to the tables issue and answers "not
 * supported yet" until then.
 *
 * Paging state (opaque to clients): "RDBP" u32:offset of the next row.
 */
#include "cql/cql_int.h"
#include "cql/selection.h"
#include "db/db.h"
#include "db/systab.h"
#include "util/mem.h"

#include <stdio.h>
#include <string.h>

#define FILTERING_MSG                                                                              \
    "Cannot execute this query as it might involve data filtering and thus may have "              \
    "unpredictable performance. If you want to execute this query despite the performance "        \
    "unpredictability, use ALLOW FILTERING"

struct sel_col {
    int col;          /* table column index, -1 for count(*) */
    const char *name; /* result column name */
};

/* One restriction, with its values encoded for the column type. */
struct restriction {
    int col;
    enum cql_op op;
    int n_vals;
    proto_value *vals;
};

static const struct type *list_of(arena *a, const struct type *elem)
{
    struct type *t = arena_calloc(a, sizeof(*t));
    struct type **p = arena_alloc(a, sizeof(*p));
    if (!t || !p) return NULL;
    p[0] = (struct type *)elem;
    t->kind = TYPE_LIST;
    t->n_params = 1;
    t->params = p;
    return t;
}

static int col_index(const struct schema_table *t, const char *name)
{
    for (int i = 0; i < t->n_cols; i++)
        if (strcmp(t->cols[i].name, name) == 0) return i;
    return -1;
}

/* The selection of a SELECT: fills cols[0..*n). -1 with error written. */
static int build_selection(struct cql_req *r, const struct cql_select *sel,
                           const struct schema_table *t, struct sel_col **out, int *n)
{
    if (sel->json || sel->distinct || sel->n_group_by || sel->n_order_by ||
        sel->per_partition_limit) {
        cql_error(r, PROTO_ERR_INVALID, "SELECT %s on system tables is not supported yet by ringdb",
                  sel->json         ? "JSON"
                  : sel->distinct   ? "DISTINCT"
                  : sel->n_group_by ? "GROUP BY"
                  : sel->n_order_by ? "ORDER BY"
                                    : "PER PARTITION LIMIT");
        return -1;
    }
    int cnt = sel->wildcard ? t->n_cols : sel->n_selectors;
    struct sel_col *c = arena_alloc(&r->arena, sizeof(*c) * (size_t)(cnt ? cnt : 1));
    if (!c) {
        cql_error(r, PROTO_ERR_SERVER, "Out of memory");
        return -1;
    }
    if (sel->wildcard) {
        for (int i = 0; i < t->n_cols; i++)
            c[i] = (struct sel_col){i, t->cols[i].name};
    } else {
        for (int i = 0; i < cnt; i++) {
            const struct cql_select_item *it = sel->selectors[i];
            if (it->sel->kind == CQL_SEL_COLUMN) {
                int ci = col_index(t, it->sel->column);
                if (ci < 0) {
                    cql_error(r, PROTO_ERR_INVALID, "Undefined column name %s in selection clause",
                              it->sel->column);
                    return -1;
                }
                c[i] = (struct sel_col){ci, it->alias ? it->alias : t->cols[ci].name};
            } else if (it->sel->kind == CQL_SEL_COUNT_ROWS) {
                if (cnt != 1) {
                    cql_error(r, PROTO_ERR_INVALID,
                              "Only count(*) alone is supported yet on system tables");
                    return -1;
                }
                c[i] = (struct sel_col){-1, it->alias ? it->alias : "count"};
            } else {
                cql_error(r, PROTO_ERR_INVALID,
                          "This kind of selector is not supported yet on system tables");
                return -1;
            }
        }
    }
    *out = c;
    *n = cnt;
    return 0;
}

static void specs_of(struct cql_req *r, const struct schema_keyspace *ks,
                     const struct schema_table *t, const struct sel_col *sc, int n,
                     struct cql_colspec *out)
{
    for (int i = 0; i < n; i++) {
        out[i].ks = ks->name;
        out[i].table = t->name;
        out[i].name = sc[i].name;
        out[i].type = sc[i].col < 0 ? type_native(TYPE_BIGINT) : t->cols[sc[i].col].type;
    }
}

static int build_restrictions(struct cql_exec *x, const struct cql_select *sel,
                              const struct schema_table *t, struct restriction **out, int *n)
{
    struct cql_req *r = x->r;
    struct restriction *rs =
        arena_calloc(&r->arena, sizeof(*rs) * (size_t)(sel->n_where ? sel->n_where : 1));
    if (!rs) {
        cql_error(r, PROTO_ERR_SERVER, "Out of memory");
        return -1;
    }
    for (int i = 0; i < sel->n_where; i++) {
        const struct cql_relation *rel = sel->where[i];
        if (rel->kind != CQL_REL_SINGLE ||
            !(rel->op == CQL_OP_EQ || rel->op == CQL_OP_IN || rel->op == CQL_OP_LT ||
              rel->op == CQL_OP_LTE || rel->op == CQL_OP_GT || rel->op == CQL_OP_GTE)) {
            cql_error(r, PROTO_ERR_INVALID,
                      "This kind of WHERE relation is not supported yet on system tables");
            return -1;
        }
        int ci = col_index(t, rel->columns[0]);
        if (ci < 0) {
            cql_error(r, PROTO_ERR_INVALID, "Undefined column name %s", rel->columns[0]);
            return -1;
        }
        const struct schema_column *col = &t->cols[ci];
        if (col->kind != COL_PARTITION_KEY && col->kind != COL_CLUSTERING &&
            !sel->allow_filtering) {
            cql_error(r, PROTO_ERR_INVALID, FILTERING_MSG);
            return -1;
        }
        rs[i].col = ci;
        rs[i].op = rel->op;
        if (rel->op == CQL_OP_IN && rel->in_marker) {
            /* IN ?: a list<type> value */
            proto_value lv;
            if (term_encode(x, rel->value, list_of(&r->arena, col->type), col->name, &lv) < 0)
                return -1;
            if (lv.len < 4) {
                rs[i].n_vals = 0;
                continue;
            }
            uint32_t cnt = be32(lv.p);
            if (cnt > (uint32_t)lv.len / 4) goto bad_list;
            rs[i].vals = arena_alloc(&r->arena, sizeof(proto_value) * (cnt ? cnt : 1));
            if (!rs[i].vals) goto oom;
            size_t off = 4;
            for (uint32_t k = 0; k < cnt; k++) {
                if (off + 4 > (size_t)lv.len) goto bad_list;
                int32_t el = (int32_t)be32(lv.p + off);
                off += 4;
                if (el >= 0 && off + (size_t)el > (size_t)lv.len) goto bad_list;
                rs[i].vals[k].p = el >= 0 ? lv.p + off : NULL;
                rs[i].vals[k].len = el;
                off += el > 0 ? (size_t)el : 0;
            }
            rs[i].n_vals = (int)cnt;
            continue;
        }
        int nv = rel->op == CQL_OP_IN ? rel->n_in_values : 1;
        rs[i].vals = arena_alloc(&r->arena, sizeof(proto_value) * (size_t)(nv ? nv : 1));
        if (!rs[i].vals) goto oom;
        for (int k = 0; k < nv; k++) {
            const struct cql_term *term = rel->op == CQL_OP_IN ? rel->in_values[k] : rel->value;
            if (term_encode(x, term, col->type, col->name, &rs[i].vals[k]) < 0) return -1;
            if (rs[i].vals[k].len == PROTO_VALUE_UNSET) {
                cql_error(r, PROTO_ERR_INVALID, "Invalid unset value for column %s", col->name);
                return -1;
            }
            if (rs[i].vals[k].len < 0 && rel->op != CQL_OP_IN) {
                cql_error(r, PROTO_ERR_INVALID, "Invalid null value in condition for column %s",
                          col->name);
                return -1;
            }
        }
        rs[i].n_vals = nv;
    }
    *out = rs;
    *n = sel->n_where;
    return 0;
bad_list:
    cql_error(r, PROTO_ERR_INVALID, "Invalid list value for IN restriction");
    return -1;
oom:
    cql_error(r, PROTO_ERR_SERVER, "Out of memory");
    return -1;
}

/* Compares a cell with a value in the column type's order. */
static int cmp_value(const struct type *t, const db_val *c, const proto_value *v)
{
    if (t->kind == TYPE_INT && c->len == 4 && v->len == 4)
        return ((int32_t)be32(c->p) > (int32_t)be32(v->p)) -
               ((int32_t)be32(c->p) < (int32_t)be32(v->p));
    if (t->kind == TYPE_BIGINT && c->len == 8 && v->len == 8)
        return ((int64_t)be64(c->p) > (int64_t)be64(v->p)) -
               ((int64_t)be64(c->p) < (int64_t)be64(v->p));
    size_t n = (size_t)(c->len < v->len ? c->len : v->len);
    int k = n ? memcmp(c->p, v->p, n) : 0;
    return k ? k : (c->len > v->len) - (c->len < v->len);
}

static int row_matches(const struct schema_table *t, const db_val *row,
                       const struct restriction *rs, int n)
{
    for (int i = 0; i < n; i++) {
        const db_val *c = &row[rs[i].col];
        const struct type *ty = t->cols[rs[i].col].type;
        if (c->len < 0) return 0;
        if (rs[i].op == CQL_OP_IN || rs[i].op == CQL_OP_EQ) {
            int hit = 0;
            for (int k = 0; k < rs[i].n_vals && !hit; k++)
                hit = rs[i].vals[k].len >= 0 && cmp_value(ty, c, &rs[i].vals[k]) == 0;
            if (!hit) return 0;
            continue;
        }
        int k = cmp_value(ty, c, &rs[i].vals[0]);
        if ((rs[i].op == CQL_OP_LT && !(k < 0)) || (rs[i].op == CQL_OP_LTE && !(k <= 0)) ||
            (rs[i].op == CQL_OP_GT && !(k > 0)) || (rs[i].op == CQL_OP_GTE && !(k >= 0)))
            return 0;
    }
    return 1;
}

static int int_term(struct cql_exec *x, const struct cql_term *term, const char *what, int32_t *out)
{
    proto_value v;
    if (term_encode(x, term, type_native(TYPE_INT), what, &v) < 0) return -1;
    if (v.len != 4) {
        cql_error(x->r, PROTO_ERR_INVALID, "Invalid null value of %s", what);
        return -1;
    }
    *out = (int32_t)be32(v.p);
    if (*out <= 0) {
        cql_error(x->r, PROTO_ERR_INVALID, "LIMIT must be strictly positive");
        return -1;
    }
    return 0;
}

/* ---- system_views.clients: gather every shard's connections ----
 * States: GATHERING (one message per shard) -> all replies in -> answer.
 * The gather lives in the request arena; each shard's reply is a heap
 * array handed back with the message and freed by the requester. */

static cql_clients_fn clients_provider;

void cql_set_clients_provider(cql_clients_fn fn)
{
    clients_provider = fn;
}

struct gather {
    struct cql_exec x; /* copy: the original lives on the caller's stack */
    proto_query_params params;
    int pending;
    int n;
    struct systab_client *all;
    int n_t;
    struct systab_table_stat *tables;
};

struct gather_part {
    struct gather *g;
    int n;
    struct systab_client *rows; /* heap; strings point into names */
    char (*names)[3][64];       /* driver name, version, user name copies */
    int n_t;
    struct systab_table_stat *tables; /* heap */
};

static int select_rows(struct cql_exec *x, const struct systab_extra *ex);

static void gathered(struct gather *g)
{
    struct systab_extra ex = {g->all, g->n, g->tables, g->n_t};
    select_rows(&g->x, &ex);
}

static void on_clients_reply(struct shard *s, void *arg)
{
    struct gather_part *part = arg;
    struct gather *g = part->g;
    struct cql_req *r = g->x.r;
    struct systab_client *all =
        arena_alloc(&r->arena, sizeof(*all) * (size_t)(g->n + part->n ? g->n + part->n : 1));
    if (all) {
        if (g->n) memcpy(all, g->all, sizeof(*all) * (size_t)g->n);
        for (int i = 0; i < part->n; i++) {
            all[g->n + i] = part->rows[i];
            all[g->n + i].driver_name =
                arena_strndup(&r->arena, part->names[i][0], strlen(part->names[i][0]));
            all[g->n + i].driver_version =
                arena_strndup(&r->arena, part->names[i][1], strlen(part->names[i][1]));
            all[g->n + i].username =
                arena_strndup(&r->arena, part->names[i][2], strlen(part->names[i][2]));
            all[g->n + i].stage = "ready";
        }
        g->all = all;
        g->n += part->n;
    }
    struct systab_table_stat *ts =
        arena_alloc(&r->arena, sizeof(*ts) * (size_t)(g->n_t + part->n_t ? g->n_t + part->n_t : 1));
    if (ts) {
        if (g->n_t) memcpy(ts, g->tables, sizeof(*ts) * (size_t)g->n_t);
        if (part->n_t) memcpy(ts + g->n_t, part->tables, sizeof(*ts) * (size_t)part->n_t);
        g->tables = ts;
        g->n_t += part->n_t;
    }
    mem_free(part->rows);
    mem_free(part->names);
    mem_free(part->tables);
    mem_free(part);
    if (--g->pending) return;
    gathered(g);
    r->done(r);
}

static void on_clients_request(struct shard *s, void *arg)
{
    struct gather_part *part = arg;
    int n = clients_provider ? clients_provider(s, NULL, 0) : 0;
    part->rows = mem_calloc((size_t)(n ? n : 1), sizeof(*part->rows));
    part->names = mem_calloc((size_t)(n ? n : 1), sizeof(*part->names));
    if (part->rows && part->names) {
        part->n = clients_provider ? clients_provider(s, part->rows, n) : 0;
        if (part->n > n) part->n = n;
        for (int i = 0; i < part->n; i++) {
            snprintf(part->names[i][0], 64, "%s",
                     part->rows[i].driver_name ? part->rows[i].driver_name : "");
            snprintf(part->names[i][1], 64, "%s",
                     part->rows[i].driver_version ? part->rows[i].driver_version : "");
            snprintf(part->names[i][2], 64, "%s",
                     part->rows[i].username ? part->rows[i].username : "");
            part->rows[i].driver_name = part->rows[i].driver_version = NULL;
            part->rows[i].username = NULL;
            part->rows[i].stage = NULL;
        }
    } else {
        part->n = 0;
    }
    int nt = db_table_stats(s, NULL, 0);
    part->tables = mem_calloc((size_t)(nt ? nt : 1), sizeof(*part->tables));
    part->n_t = part->tables ? db_table_stats(s, part->tables, nt) : 0;
    if (part->n_t > nt) part->n_t = nt;
    shard_send(s, part->g->x.r->shard->id, on_clients_reply, part);
}

static int gather_clients(struct cql_exec *x)
{
    struct cql_req *r = x->r;
    struct gather *g = arena_calloc(&r->arena, sizeof(*g));
    if (!g) {
        cql_error(r, PROTO_ERR_SERVER, "Out of memory");
        return CQL_DONE;
    }
    g->x = *x;
    g->params = *x->params; /* the values and paging state point into the request arena */
    g->x.params = &g->params;
    g->pending = r->shard->n_shards;
    for (int i = 0; i < r->shard->n_shards; i++) {
        struct gather_part *part = mem_calloc(1, sizeof(*part));
        if (part) part->g = g; /* before sending: the other shard may run it at once */
        if (!part || shard_send(r->shard, i, on_clients_request, part) < 0) {
            /* cannot happen without OOM; count it as an empty answer */
            mem_free(part);
            if (--g->pending == 0) {
                gathered(g);
                return CQL_DONE;
            }
            continue;
        }
    }
    return CQL_PENDING;
}

int stmt_select(struct cql_exec *x)
{
    const struct schema_keyspace *ks;
    const struct schema_table *t = resolve_table(x->r, &x->stmt->select.table, &ks);
    if (!t) return CQL_DONE;
    if (!t->is_virtual) return stmt_select_table(x, ks, t);
    if (t->vtab == VT_CLIENTS || t->vtab == VT_SHARD_TABLES) return gather_clients(x);
    select_rows(x, NULL);
    return CQL_DONE;
}

static int select_rows(struct cql_exec *x, const struct systab_extra *ex)
{
    struct cql_req *r = x->r;
    const struct cql_select *sel = &x->stmt->select;
    const struct schema_keyspace *ks;
    const struct schema_table *t = resolve_table(r, &sel->table, &ks);
    if (!t) return CQL_DONE;
    if (!t->is_virtual) {
        cql_error(r, PROTO_ERR_INVALID, "SELECT from user tables is not supported yet by ringdb");
        return CQL_DONE;
    }
    struct sel_col *sc;
    int n_sel;
    struct restriction *rs;
    int n_rs;
    if (build_selection(r, sel, t, &sc, &n_sel) < 0) return CQL_DONE;
    if (build_restrictions(x, sel, t, &rs, &n_rs) < 0) return CQL_DONE;
    int32_t limit = INT32_MAX;
    if (sel->limit && int_term(x, sel->limit, "limit", &limit) < 0) return CQL_DONE;

    struct db_rows rows;
    if (systab_scan(sp_schema(r->shard), ks, t, ex, &r->arena, &rows) < 0) {
        cql_error(r, PROTO_ERR_SERVER, "Out of memory");
        return CQL_DONE;
    }
    const proto_query_params *p = x->params;
    uint32_t offset = 0;
    if (p->has_paging_state && p->paging_state.len > 0) {
        if (p->paging_state.len != 8 || memcmp(p->paging_state.p, "RDBP", 4) != 0) {
            cql_error(r, PROTO_ERR_PROTOCOL, "Invalid value for the paging state");
            return CQL_DONE;
        }
        offset = be32(p->paging_state.p + 4);
    }
    int32_t page = p->page_size > 0 ? p->page_size : INT32_MAX;

    struct cql_colspec *specs =
        arena_alloc(&r->arena, sizeof(*specs) * (size_t)(n_sel ? n_sel : 1));
    if (!specs) {
        cql_error(r, PROTO_ERR_SERVER, "Out of memory");
        return CQL_DONE;
    }
    specs_of(r, ks, t, sc, n_sel, specs);

    buf *b = &r->body;
    buf_clear(b);
    buf_put_be32(b, RESULT_ROWS);
    int is_count = n_sel == 1 && sc[0].col < 0;
    uint32_t flags = 0;
    uint8_t mid[16];
    const uint8_t *new_mid = NULL;
    if (x->is_execute && (p->flags & PROTO_QF_SKIP_METADATA)) {
        if (r->version >= PROTO_V5 && x->result_metadata_id) {
            res_metadata_id(specs, n_sel, mid);
            if (memcmp(mid, x->result_metadata_id, 16) == 0)
                flags |= META_NO_METADATA;
            else
                new_mid = mid;
        } else {
            flags |= META_NO_METADATA;
        }
    }
    size_t meta_off = b->len;
    res_rows_metadata(b, r->version, flags, specs, n_sel, NULL, 0, new_mid);
    size_t count_off = buf_skip(b, 4);
    uint32_t n_out = 0, matched = 0;
    int more = 0;
    uint32_t next_offset = 0;
    for (int i = 0; i < rows.n_rows; i++) {
        const db_val *row = &rows.cells[(size_t)i * (size_t)rows.n_cols];
        if (!row_matches(t, row, rs, n_rs)) continue;
        if (matched >= (uint32_t)limit) break;
        matched++;
        if (is_count) continue;
        if (matched <= offset) continue;
        if (n_out == (uint32_t)page) {
            more = 1;
            next_offset = matched - 1;
            break;
        }
        for (int k = 0; k < n_sel; k++) {
            const db_val *c = &row[sc[k].col];
            proto_wr_bytes(b, c->p, c->len);
        }
        n_out++;
    }
    if (is_count) {
        uint8_t v[8];
        put_be64(v, matched);
        proto_wr_bytes(b, v, 8);
        n_out = 1;
    }
    buf_patch_be32(b, count_off, n_out);
    if (more) {
        /* rewrite the metadata with the paging state (rare: big system scans) */
        buf tail;
        buf_init(&tail);
        buf_put(&tail, b->data + count_off, b->len - count_off);
        b->len = meta_off;
        uint8_t ps[8];
        memcpy(ps, "RDBP", 4);
        put_be32(ps + 4, next_offset);
        res_rows_metadata(b, r->version, flags, specs, n_sel, ps, 8, new_mid);
        buf_put(b, tail.data, tail.len);
        if (!buf_ok(&tail)) b->oom = 1;
        buf_free(&tail);
    }
    if (!buf_ok(b)) {
        cql_error(r, PROTO_ERR_SERVER, "Out of memory");
        return CQL_DONE;
    }
    r->opcode = PROTO_OP_RESULT;
    return CQL_DONE;
}

int stmt_result_specs(struct cql_req *r, const struct cql_stmt *st, struct cql_colspec **out,
                      int *n)
{
    *out = NULL;
    *n = 0;
    if (st->kind != CQL_STMT_SELECT) return 0;
    const struct schema_keyspace *ks;
    const struct schema_table *t = resolve_table(r, &st->select.table, &ks);
    if (!t) return -1;
    if (!t->is_virtual) return read_result_specs(r, st, ks, t, out, n);
    struct sel_col *sc;
    int n_sel;
    if (build_selection(r, &st->select, t, &sc, &n_sel) < 0) return -1;
    struct cql_colspec *specs =
        arena_alloc(&r->arena, sizeof(*specs) * (size_t)(n_sel ? n_sel : 1));
    if (!specs) {
        cql_error(r, PROTO_ERR_SERVER, "Out of memory");
        return -1;
    }
    specs_of(r, ks, t, sc, n_sel, specs);
    *out = specs;
    *n = n_sel;
    return 0;
}

static const struct cql_qname *stmt_table_name(const struct cql_stmt *st)
{
    switch (st->kind) {
    case CQL_STMT_SELECT: return &st->select.table;
    case CQL_STMT_INSERT: return &st->insert.table;
    case CQL_STMT_UPDATE: return &st->update.table;
    case CQL_STMT_DELETE: return &st->delete_.table;
    default: return NULL;
    }
}

static const struct type *collection_key_type(struct cql_req *r, const struct type *t)
{
    if (t->kind == TYPE_LIST) return type_native(TYPE_INT);
    return t->params[0];
}

static char *mk_name(struct cql_req *r, const char *fmt, const char *col)
{
    char *nm = arena_alloc(&r->arena, strlen(col) + strlen(fmt) + 1);
    if (nm) sprintf(nm, fmt, col);
    return nm;
}

int stmt_bind_specs(struct cql_req *r, const struct cql_stmt *st, struct cql_colspec **out, int *n,
                    int **pk_idx, int *n_pk)
{
    *out = NULL;
    *n = 0;
    *pk_idx = NULL;
    *n_pk = 0;
    if (st->n_binds == 0) return 0;
    struct cql_colspec *specs = arena_calloc(&r->arena, sizeof(*specs) * (size_t)st->n_binds);
    int *pk = arena_alloc(&r->arena, sizeof(int) * 64);
    if (!specs || !pk) {
        cql_error(r, PROTO_ERR_SERVER, "Out of memory");
        return -1;
    }
    for (int i = 0; i < 64; i++)
        pk[i] = -1;
    const struct schema_table *first_t = NULL;
    struct cql_marker_spec *sel_markers = NULL;
    for (int i = 0; i < st->n_binds; i++) {
        const struct cql_bind_marker *m = &st->binds[i];
        const struct cql_stmt *sub =
            st->kind == CQL_STMT_BATCH && m->stmt_index >= 0 ? st->batch.stmts[m->stmt_index] : st;
        const struct cql_qname *qn = stmt_table_name(sub);
        const struct schema_keyspace *ks = NULL;
        const struct schema_table *t = NULL;
        if (qn && !(t = resolve_table(r, qn, &ks))) return -1;
        if (!t) {
            cql_error(r, PROTO_ERR_INVALID, "Bind variables are not supported in %s statements",
                      stmt_kind_name(sub->kind));
            return -1;
        }
        if (!first_t) first_t = t;
        struct cql_colspec *sp = &specs[i];
        sp->ks = ks->name;
        sp->table = t->name;
        const struct schema_column *col = NULL;
        switch (m->ctx) {
        case CQL_BIND_LIMIT:
            sp->name = "[limit]";
            sp->type = type_native(TYPE_INT);
            continue;
        case CQL_BIND_PER_PARTITION:
            sp->name = "[per_partition_limit]";
            sp->type = type_native(TYPE_INT);
            continue;
        case CQL_BIND_TIMESTAMP:
            sp->name = "[timestamp]";
            sp->type = type_native(TYPE_BIGINT);
            continue;
        case CQL_BIND_TTL:
            sp->name = "[ttl]";
            sp->type = type_native(TYPE_INT);
            continue;
        case CQL_BIND_INSERT_JSON:
            sp->name = "[json]";
            sp->type = type_native(TYPE_VARCHAR);
            continue;
        case CQL_BIND_SELECTOR:
            if (!sel_markers) { /* the planner types the selection's markers */
                sel_markers = arena_calloc(&r->arena, sizeof(*sel_markers) * (size_t)st->n_binds);
                if (!sel_markers) {
                    cql_error(r, PROTO_ERR_SERVER, "Out of memory");
                    return -1;
                }
                struct cql_exec px = {.r = r, .stmt = st, .markers = sel_markers};
                struct selection *planned;
                if (selection_plan(&px, ks, t, &sub->select, &planned) < 0) return -1;
            }
            if (!sel_markers[i].type) {
                cql_error(r, PROTO_ERR_INVALID,
                          "Bind markers in this position are not supported "
                          "yet by ringdb");
                return -1;
            }
            sp->name = sel_markers[i].name;
            sp->type = sel_markers[i].type;
            continue;
        case CQL_BIND_INSERT_VALUE: {
            const struct cql_insert *in = m->owner;
            if (m->value_index >= in->n_columns) {
                cql_error(r, PROTO_ERR_INVALID, "Unmatched column names/values");
                return -1;
            }
            col = schema_find_column(t, in->columns[m->value_index]);
            if (!col) {
                cql_error(r, PROTO_ERR_INVALID, "Undefined column name %s",
                          in->columns[m->value_index]);
                return -1;
            }
            sp->name = col->name;
            sp->type = col->type;
            if (col->kind == COL_PARTITION_KEY && m->term == in->values[m->value_index] &&
                t == first_t)
                pk[col->position] = m->index;
            continue;
        }
        case CQL_BIND_WHERE: {
            const struct cql_relation *rel = m->owner;
            if (rel->kind == CQL_REL_TOKEN) {
                sp->name = "partition key token";
                sp->type = type_native(TYPE_BIGINT);
                /* a marker inside token(...) stands for a partition key column */
                const struct cql_term *fv = rel->value;
                if (fv && fv->kind == CQL_TERM_FUNCTION)
                    for (int k = 0; k < fv->func.n_args && k < t->n_pk; k++)
                        if (fv->func.args[k] == m->term) {
                            sp->name = t->cols[k].name;
                            sp->type = t->cols[k].type;
                        }
                continue;
            }
            if (rel->kind == CQL_REL_MULTI) {
                /* (a, b) op ?: a tuple; (a, b) op (?, ?): the columns; IN ?: a list of tuples */
                int first = -1;
                for (int k = 0; k < t->n_cols; k++)
                    if (strcmp(t->cols[k].name, rel->columns[0]) == 0) first = k;
                if (first < 0 || first + rel->n_columns > t->n_cols) {
                    cql_error(r, PROTO_ERR_INVALID, "Undefined column name %s", rel->columns[0]);
                    return -1;
                }
                const struct cql_term *whole =
                    rel->op == CQL_OP_IN && !rel->in_marker ? NULL : rel->value;
                int elem = -1;
                const struct cql_term *tuple = rel->value;
                if (tuple && tuple->kind == CQL_TERM_TUPLE)
                    for (int k = 0; k < tuple->list.n_items; k++)
                        if (tuple->list.items[k] == m->term) elem = k;
                for (int k = 0; rel->op == CQL_OP_IN && k < rel->n_in_values; k++) {
                    const struct cql_term *iv = rel->in_values[k];
                    if (iv == m->term) whole = m->term;
                    if (iv->kind == CQL_TERM_TUPLE)
                        for (int j = 0; j < iv->list.n_items; j++)
                            if (iv->list.items[j] == m->term) elem = j;
                }
                if (elem >= 0 && elem < rel->n_columns) {
                    sp->name = t->cols[first + elem].name;
                    sp->type = t->cols[first + elem].type;
                    continue;
                }
                struct type *tt = arena_calloc(&r->arena, sizeof(*tt));
                struct type **pp = arena_alloc(&r->arena, sizeof(*pp) * (size_t)rel->n_columns);
                if (!tt || !pp) return -1;
                size_t nl = 8;
                for (int k = 0; k < rel->n_columns; k++) {
                    pp[k] = t->cols[first + k].type;
                    nl += strlen(rel->columns[k]) + 1;
                }
                tt->kind = TYPE_TUPLE;
                tt->frozen = 1;
                tt->n_params = rel->n_columns;
                tt->params = pp;
                char *nm = arena_alloc(&r->arena, nl + 4);
                if (!nm) return -1;
                size_t o = (size_t)sprintf(nm, "%s(", m->is_in_list ? "in" : "");
                for (int k = 0; k < rel->n_columns; k++)
                    o += (size_t)sprintf(nm + o, "%s%s", k ? "," : "", rel->columns[k]);
                sprintf(nm + o, ")");
                sp->name = nm;
                sp->type = m->is_in_list ? list_of(&r->arena, tt) : tt;
                (void)whole;
                continue;
            }
            col = schema_find_column(t, rel->columns[0]);
            if (!col) {
                cql_error(r, PROTO_ERR_INVALID, "Undefined column name %s", rel->columns[0]);
                return -1;
            }
            if (rel->kind == CQL_REL_MAP_ELEMENT || rel->op == CQL_OP_CONTAINS ||
                rel->op == CQL_OP_CONTAINS_KEY) {
                /* Cassandra's receivers: key(m) for a map key, value(c) for
                 * an element or map value */
                const struct type *ty = col->type;
                int coll = ty->kind == TYPE_MAP || ty->kind == TYPE_SET || ty->kind == TYPE_LIST;
                int is_key = (rel->kind == CQL_REL_MAP_ELEMENT && m->term == rel->key) ||
                             rel->op == CQL_OP_CONTAINS_KEY;
                if (!coll) {
                    cql_error(r, PROTO_ERR_INVALID, "Cannot use %s on non-collection column %s",
                              rel->op == CQL_OP_CONTAINS_KEY ? "CONTAINS KEY" : "CONTAINS",
                              col->name);
                    return -1;
                }
                sp->name = mk_name(r, is_key ? "key(%s)" : "value(%s)", col->name);
                sp->type = is_key || ty->kind != TYPE_MAP ? ty->params[0] : ty->params[1];
                continue;
            }
            if (m->is_in_list) {
                sp->name = mk_name(r, "in(%s)", col->name);
                sp->type = list_of(&r->arena, col->type);
            } else {
                sp->name = col->name;
                sp->type = col->type;
            }
            if (col->kind == COL_PARTITION_KEY && rel->op == CQL_OP_EQ && t == first_t)
                pk[col->position] = m->index;
            continue;
        }
        case CQL_BIND_ASSIGNMENT: {
            const struct cql_assignment *as = m->owner;
            col = schema_find_column(t, as->column);
            if (!col) {
                cql_error(r, PROTO_ERR_INVALID, "Undefined column name %s", as->column);
                return -1;
            }
            const struct type *ty = col->type;
            sp->name = col->name;
            sp->type = ty;
            if (as->kind == CQL_ASSIGN_SET_ELEMENT) {
                if (m->term == as->key) {
                    sp->name = mk_name(r, ty->kind == TYPE_LIST ? "idx(%s)" : "key(%s)", col->name);
                    sp->type = collection_key_type(r, ty);
                } else {
                    sp->name = mk_name(r, "value(%s)", col->name);
                    sp->type = ty->kind == TYPE_MAP ? ty->params[1] : ty->params[0];
                }
            } else if (as->kind == CQL_ASSIGN_SET_FIELD && ty->kind == TYPE_UDT) {
                for (int k = 0; k < ty->n_params; k++)
                    if (strcmp(ty->field_names[k], as->field) == 0) sp->type = ty->params[k];
            } else if (ty->kind == TYPE_COUNTER) {
                sp->type = type_native(TYPE_COUNTER);
            } else if (as->kind == CQL_ASSIGN_SUBTRACT && ty->kind == TYPE_MAP) {
                struct type *st2 = arena_calloc(&r->arena, sizeof(*st2));
                struct type **pp = arena_alloc(&r->arena, sizeof(*pp));
                if (!st2 || !pp) return -1;
                pp[0] = ty->params[0];
                st2->kind = TYPE_SET;
                st2->n_params = 1;
                st2->params = pp;
                sp->type = st2;
            }
            continue;
        }
        case CQL_BIND_DELETION: {
            const struct cql_deletion *d = m->owner;
            col = schema_find_column(t, d->column);
            if (!col) {
                cql_error(r, PROTO_ERR_INVALID, "Undefined column name %s", d->column);
                return -1;
            }
            sp->name = mk_name(r, col->type->kind == TYPE_LIST ? "idx(%s)" : "key(%s)", col->name);
            sp->type = collection_key_type(r, col->type);
            continue;
        }
        default:
            cql_error(r, PROTO_ERR_INVALID,
                      "Bind markers in this position are not supported yet "
                      "by ringdb");
            return -1;
        }
    }
    int all = first_t && first_t->n_pk > 0;
    for (int i = 0; first_t && i < first_t->n_pk; i++)
        all &= pk[i] >= 0;
    *out = specs;
    *n = st->n_binds;
    if (all) {
        *pk_idx = pk;
        *n_pk = first_t->n_pk;
    }
    return 0;
}
