/*
 * stmt_read.c -- SELECT over user tables.
 *
 * A read is a trip like a write (service/proxy.h): the plan is built on
 * the home shard, then the request visits the shards owning the selected
 * partitions in token order (key lists sorted by token; scans shard after
 * shard, since each shard owns one contiguous token range), reading each
 * partition from that shard's memtable and encoding the selected rows
 * straight into the trip's row buffer; it returns home when the page, the
 * LIMIT or the data ends.
 *
 * Paging state (opaque to clients), big-endian:
 *   "RDBQ" | u8 version (1) | i64 token | i32 key len | key | u16 n_ck
 *   (0xFFFF: that partition is finished) | (i32 len | bytes)* ck
 *   | i64 rows left under LIMIT | i32 rows left in the partition (PER PARTITION LIMIT)
 * It names the last row returned, so the next page resumes strictly after
 * it: no row twice, none skipped, whatever was written in between.
 */
#include "cql/restrict.h"
#include "db/db.h"
#include "service/proxy.h"
#include "types/value.h"
#include "util/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum sel_kind { SK_COLUMN, SK_WRITETIME, SK_TTL, SK_TOKEN, SK_COUNT };

struct merged_row {
    size_t off, len;
    db_val *ck;
    int n_ck;
};

struct sel_item {
    enum sel_kind kind;
    int ci; /* column index */
    const char *name;
    const struct type *type;
};

struct trip {
    struct cql_exec x;
    proto_query_params params;
    struct cql_stmt stmt_copy;
    const struct schema_keyspace *ks;
    const struct schema_table *t;
    struct schema *schema;
    struct restrictions rs;
    struct db_slice *slices;
    int n_slices;
    bool reversed;
    struct sel_item *items;
    int n_items;
    int is_count, distinct;
    /* partitions */
    struct pkey *keys;
    int n_keys, key_idx;
    int scan;
    int shard_cur, shard_last;
    int64_t scan_tok;
    db_val scan_key;
    bool scan_incl;
    /* limits */
    int64_t limit_left;
    int64_t pp_limit;     /* per partition, INT64_MAX none */
    int64_t pp_left;      /* in the current partition */
    int64_t page_left;    /* rows this page may still take */
    int64_t pp_resume;    /* pp_left for the resumed partition */
    int64_t last_pp_left; /* pp_left right after the last row returned */
    /* resume inside the first partition */
    const db_val *after;
    int n_after;
    /* output */
    buf rows;
    uint32_t n_rows;
    /* ORDER BY across IN partitions: each row's offset and clustering */
    int merge;
    struct merged_row *mrows;
    uint32_t cap_mrows;
    int64_t count;
    int more;
    int oom;
    /* position of the last row returned */
    int64_t last_tok;
    db_val last_key;
    const db_val *last_ck;
    int last_n_ck;
    int last_done; /* the last partition was finished */
    /* current partition */
    int64_t cur_tok;
    db_val cur_key;
    db_val cur_pk[MAX_KEY_COLS];
    struct db_rrow cur_static;
    int has_static;
    int cur_emitted;
    int32_t now;
    int stop;
};

/* ---- output of one row ---- */

static void put_cell_value(struct trip *tr, const struct schema_column *c, const struct db_rcol *rc)
{
    buf *b = &tr->rows;
    if (!rc || rc->n == 0) {
        buf_put_be32(b, 0xffffffffu);
        return;
    }
    const struct type *ty = c->type;
    int complex = !ty->frozen && (ty->kind == TYPE_LIST || ty->kind == TYPE_SET ||
                                  ty->kind == TYPE_MAP || ty->kind == TYPE_UDT);
    if (!complex) {
        proto_wr_bytes(b, rc->cells[0].value.p, rc->cells[0].value.len);
        return;
    }
    size_t len_off = buf_skip(b, 4);
    size_t start = b->len;
    if (ty->kind == TYPE_UDT) {
        /* fields in order; missing ones null, trailing nulls dropped */
        int last = -1;
        for (int i = 0; i < rc->n; i++)
            if (rc->cells[i].path.len == 2 && (int)be16(rc->cells[i].path.p) > last)
                last = be16(rc->cells[i].path.p);
        for (int f = 0; f <= last; f++) {
            const struct db_cell *hit = NULL;
            for (int i = 0; i < rc->n; i++)
                if (rc->cells[i].path.len == 2 && be16(rc->cells[i].path.p) == f)
                    hit = &rc->cells[i];
            if (hit)
                proto_wr_bytes(b, hit->value.p, hit->value.len);
            else
                buf_put_be32(b, 0xffffffffu);
        }
    } else {
        buf_put_be32(b, (uint32_t)rc->n);
        for (int i = 0; i < rc->n; i++) {
            const struct db_cell *cell = &rc->cells[i];
            if (ty->kind == TYPE_LIST) {
                proto_wr_bytes(b, cell->value.p, cell->value.len);
            } else if (ty->kind == TYPE_SET) {
                proto_wr_bytes(b, cell->path.p, cell->path.len);
            } else {
                proto_wr_bytes(b, cell->path.p, cell->path.len);
                proto_wr_bytes(b, cell->value.p, cell->value.len);
            }
        }
    }
    buf_patch_be32(b, len_off, (uint32_t)(b->len - start));
}

static int op_holds(enum cql_op op, int cmp)
{
    return (op == CQL_OP_EQ && cmp == 0) || (op == CQL_OP_LT && cmp < 0) ||
           (op == CQL_OP_LTE && cmp <= 0) || (op == CQL_OP_GT && cmp > 0) ||
           (op == CQL_OP_GTE && cmp >= 0) || (op == CQL_OP_NEQ && cmp != 0);
}

static int eq_any(const struct type *t, db_val v, const struct col_filter *f)
{
    for (int k = 0; k < f->n_vals; k++)
        if (f->vals[k].len >= 0 && type_compare(t, v.p, v.len, f->vals[k].p, f->vals[k].len) == 0)
            return 1;
    return 0;
}

/* CONTAINS, CONTAINS KEY and m[k] op v on a collection column: over its
 * cells when not frozen, over its value's elements when frozen. */
static int collection_pass(const struct schema_column *c, const struct col_filter *f,
                           const struct db_rcol *rc)
{
    const struct type *ty = c->type;
    int is_map = ty->kind == TYPE_MAP;
    const struct type *kt = ty->params[0], *vt = is_map ? ty->params[1] : ty->params[0];
    if (!rc || rc->n == 0) return 0;
    if (!ty->frozen) {
        for (int i = 0; i < rc->n; i++) {
            const struct db_cell *cell = &rc->cells[i];
            db_val key = cell->path, val = ty->kind == TYPE_SET ? cell->path : cell->value;
            if (f->has_key) {
                if (type_compare(kt, key.p, key.len, f->key.p, f->key.len) != 0) continue;
                return f->vals[0].len >= 0 &&
                       op_holds(f->op,
                                type_compare(vt, val.p, val.len, f->vals[0].p, f->vals[0].len));
            }
            if (f->op == CQL_OP_CONTAINS_KEY ? eq_any(kt, key, f) : eq_any(vt, val, f)) return 1;
        }
        return 0;
    }
    struct type_iter it;
    struct type_val e, ev;
    if (type_iter_init(&it, ty, rc->cells[0].value.p, rc->cells[0].value.len) < 0) return 0;
    while (type_iter_next(&it, &e) > 0) {
        db_val key = {e.p, e.len}, val = key;
        if (is_map) {
            if (type_iter_next(&it, &ev) <= 0) break;
            val = (db_val){ev.p, ev.len};
        }
        if (f->has_key) {
            if (type_compare(kt, key.p, key.len, f->key.p, f->key.len) != 0) continue;
            return f->vals[0].len >= 0 &&
                   op_holds(f->op, type_compare(vt, val.p, val.len, f->vals[0].p, f->vals[0].len));
        }
        if (f->op == CQL_OP_CONTAINS_KEY ? eq_any(kt, key, f) : eq_any(vt, val, f)) return 1;
    }
    return 0;
}

static int filters_pass(struct trip *tr, const struct db_rrow *row, const struct db_rrow *srow)
{
    const struct schema_table *t = tr->t;
    for (int i = 0; i < tr->rs.n_filters; i++) {
        const struct col_filter *f = &tr->rs.filters[i];
        const struct schema_column *c = &t->cols[f->ci];
        if (f->has_key || f->op == CQL_OP_CONTAINS || f->op == CQL_OP_CONTAINS_KEY) {
            const struct db_rrow *src = c->kind == COL_STATIC ? srow : row;
            if (!collection_pass(c, f, src ? &src->cols[f->ci] : NULL)) return 0;
            continue;
        }
        db_val v = {NULL, -1};
        if (c->kind == COL_PARTITION_KEY) {
            v = tr->cur_pk[c->position];
        } else if (c->kind == COL_CLUSTERING) {
            if (row && row->ck) v = row->ck[c->position];
        } else {
            const struct db_rrow *src = c->kind == COL_STATIC ? srow : row;
            if (src && src->cols[f->ci].n == 1) v = src->cols[f->ci].cells[0].value;
        }
        if (v.len < 0) return 0;
        int ok;
        if (f->op == CQL_OP_IN || f->op == CQL_OP_EQ)
            ok = eq_any(c->type, v, f);
        else
            ok = f->vals[0].len >= 0 &&
                 op_holds(f->op, type_compare(c->type, v.p, v.len, f->vals[0].p, f->vals[0].len));
        if (!ok) return 0;
    }
    return 1;
}

/* Emits one result row; returns 1 to stop reading. */
static int remember_row(struct trip *tr, size_t off, const struct db_rrow *row)
{
    arena *a = &tr->x.r->arena;
    if (tr->n_rows == tr->cap_mrows) {
        uint32_t nc = tr->cap_mrows ? tr->cap_mrows * 2 : 64;
        struct merged_row *nm = arena_alloc(a, sizeof(*nm) * nc);
        if (!nm) return -1;
        if (tr->n_rows) memcpy(nm, tr->mrows, sizeof(*nm) * tr->n_rows);
        tr->mrows = nm;
        tr->cap_mrows = nc;
    }
    struct merged_row *m = &tr->mrows[tr->n_rows];
    m->off = off;
    m->len = tr->rows.len - off;
    m->n_ck = row && row->ck ? row->n_ck : 0;
    m->ck = m->n_ck ? arena_alloc(a, sizeof(*m->ck) * (size_t)m->n_ck) : NULL;
    for (int i = 0; i < m->n_ck; i++) {
        if (!m->ck) return -1;
        m->ck[i].len = row->ck[i].len;
        m->ck[i].p = row->ck[i].len > 0 ? arena_memdup(a, row->ck[i].p, (size_t)row->ck[i].len)
                                        : (const uint8_t *)"";
        if (!m->ck[i].p) return -1;
    }
    return 0;
}

static _Thread_local struct trip *merge_tr;

static int cmp_merged(const void *x, const void *y)
{
    const struct merged_row *a = x, *b = y;
    int c = db_ck_compare(merge_tr->t, a->ck, a->n_ck, b->ck, b->n_ck);
    if (merge_tr->reversed) c = -c;
    return c ? c : (a->off > b->off) - (a->off < b->off); /* stable */
}

static int emit(struct trip *tr, const struct db_rrow *row)
{
    const struct schema_table *t = tr->t;
    size_t row_start = tr->rows.len;
    const struct db_rrow *srow = tr->has_static ? &tr->cur_static : NULL;
    if (tr->rs.n_filters && !filters_pass(tr, row, srow)) return 0;
    if (tr->limit_left <= 0 || tr->pp_left <= 0) return 1;
    if (tr->is_count) {
        tr->count++;
        tr->limit_left--;
        tr->pp_left--;
        tr->cur_emitted++;
        return 0;
    }
    if (tr->page_left <= 0) {
        tr->more = 1;
        return 1;
    }
    for (int i = 0; i < tr->n_items; i++) {
        const struct sel_item *it = &tr->items[i];
        if (it->kind == SK_TOKEN) {
            uint8_t b[8];
            put_be64(b, (uint64_t)tr->cur_tok);
            proto_wr_bytes(&tr->rows, b, 8);
            continue;
        }
        const struct schema_column *c = &t->cols[it->ci];
        if (c->kind == COL_PARTITION_KEY) {
            proto_wr_bytes(&tr->rows, tr->cur_pk[c->position].p, tr->cur_pk[c->position].len);
            continue;
        }
        if (c->kind == COL_CLUSTERING) {
            if (row && row->ck && c->position < row->n_ck)
                proto_wr_bytes(&tr->rows, row->ck[c->position].p, row->ck[c->position].len);
            else
                buf_put_be32(&tr->rows, 0xffffffffu);
            continue;
        }
        const struct db_rrow *src = c->kind == COL_STATIC ? srow : row;
        const struct db_rcol *rc = src ? &src->cols[it->ci] : NULL;
        if (it->kind == SK_COLUMN) {
            put_cell_value(tr, c, rc);
        } else if (!rc || rc->n == 0) {
            buf_put_be32(&tr->rows, 0xffffffffu);
        } else if (it->kind == SK_WRITETIME) {
            uint8_t b[8];
            put_be64(b, (uint64_t)rc->cells[0].ts);
            proto_wr_bytes(&tr->rows, b, 8);
        } else { /* SK_TTL */
            if (rc->cells[0].ttl <= 0) {
                buf_put_be32(&tr->rows, 0xffffffffu);
            } else {
                uint8_t b[4];
                int32_t left = rc->cells[0].ldt - tr->now;
                put_be32(b, (uint32_t)(left > 0 ? left : 0));
                proto_wr_bytes(&tr->rows, b, 4);
            }
        }
    }
    if (!buf_ok(&tr->rows) || (tr->merge && remember_row(tr, row_start, row) < 0)) {
        tr->oom = 1;
        return 1;
    }
    tr->n_rows++;
    tr->page_left--;
    tr->limit_left--;
    tr->pp_left--;
    tr->cur_emitted++;
    tr->last_tok = tr->cur_tok;
    tr->last_key = tr->cur_key;
    tr->last_ck = row ? row->ck : NULL;
    tr->last_n_ck = row && row->ck ? row->n_ck : 0;
    tr->last_done = row == NULL || row->ck == NULL || tr->distinct;
    tr->last_pp_left = tr->pp_left;
    return tr->distinct ? 1 : 0;
}

static int on_static(void *arg, const struct db_rrow *r)
{
    struct trip *tr = arg;
    tr->cur_static = *r;
    tr->has_static = 1;
    return 0;
}

static int on_row(void *arg, const struct db_rrow *r)
{
    struct trip *tr = arg;
    return emit(tr, r);
}

/* Splits a serialized partition key into its components. */
static void split_pk(struct trip *tr, db_val key)
{
    const struct schema_table *t = tr->t;
    if (t->n_pk == 1) {
        tr->cur_pk[0] = key;
        return;
    }
    int32_t o = 0;
    for (int i = 0; i < t->n_pk; i++) {
        if (o + 2 > key.len) {
            tr->cur_pk[i] = (db_val){NULL, -1};
            continue;
        }
        int32_t l = be16(key.p + o);
        tr->cur_pk[i] = (db_val){key.p + o + 2, l};
        o += 3 + l;
    }
}

/* Reads one partition on its owner; returns 1 when the trip must stop. */
static int read_partition(struct trip *tr, struct mpart *p, int64_t tok, db_val key)
{
    tr->cur_tok = tok;
    tr->cur_key = key;
    split_pk(tr, key);
    tr->has_static = 0;
    tr->cur_emitted = 0;
    tr->pp_left = tr->pp_limit;
    const db_val *after = NULL;
    int n_after = 0;
    if (tr->after) { /* first partition of a resumed page */
        after = tr->after;
        n_after = tr->n_after;
        tr->pp_left = tr->pp_resume;
        tr->after = NULL;
    }
    if (!p) return 0;
    if (tr->distinct) {
        if (!memt_part_live(p, tr->t, tr->now)) return 0;
        struct db_read rd = {
            .t = tr->t, .now = tr->now, .a = &tr->x.r->arena, .on_static = on_static, .arg = tr};
        if (memt_read(p, &rd) < 0) return tr->oom = 1, 1;
        int s = emit(tr, NULL);
        return tr->more || tr->oom || tr->limit_left <= 0 ? 1 : (s && 0);
    }
    struct db_read rd = {
        .t = tr->t,
        .now = tr->now,
        .slices = tr->slices,
        .n_slices = tr->n_slices,
        .reversed = tr->reversed,
        .after = after,
        .n_after = n_after,
        .a = &tr->x.r->arena,
        .on_static = on_static,
        .on_row = on_row,
        .arg = tr,
    };
    if (memt_read(p, &rd) < 0) return tr->oom = 1, 1;
    if (tr->more || tr->oom || tr->limit_left <= 0) return 1;
    /* a partition with only static content shows one row, when the query
     * does not restrict the clustering columns */
    if (tr->cur_emitted == 0 && tr->has_static && tr->n_slices == 0 && !after) {
        emit(tr, NULL);
        if (tr->more || tr->oom || tr->limit_left <= 0) return 1;
    }
    return 0;
}

/* ---- the trip ---- */

static void on_visit(struct shard *s, void *arg);
static void on_return(struct shard *s, void *arg);

static void go(struct shard *s, struct trip *tr, int to)
{
    if (shard_send(s, to, to == tr->x.r->shard->id && tr->stop ? on_return : on_visit, tr) < 0) {
        tr->oom = 1;
        on_return(s, tr); /* only reachable without memory: answer from here */
    }
}

static void finish(struct shard *s, struct trip *tr)
{
    tr->stop = 1;
    if (shard_send(s, tr->x.r->shard->id, on_return, tr) < 0) {
        tr->oom = 1;
        on_return(tr->x.r->shard, tr);
    }
}

static void on_visit(struct shard *s, void *arg)
{
    struct trip *tr = arg;
    struct memtable *mt = db_memtable(s, tr->t);
    if (!mt) {
        tr->oom = 1;
        finish(s, tr);
        return;
    }
    if (!tr->scan) {
        while (tr->key_idx < tr->n_keys) {
            struct pkey *k = &tr->keys[tr->key_idx];
            int owner = db_shard_of(k->token, s->n_shards);
            if (owner != s->id) {
                go(s, tr, owner);
                return;
            }
            struct mpart *p = memt_find(mt, k->token, k->key);
            tr->key_idx++;
            if (read_partition(tr, p, k->token, k->key)) {
                finish(s, tr);
                return;
            }
        }
        finish(s, tr);
        return;
    }
    /* scan: this shard's partitions from the position, up to tok_hi */
    for (struct mpart *p = memt_seek(mt, tr->scan_tok, tr->scan_key, tr->scan_incl); p;
         p = memt_next(p)) {
        int64_t tok = memt_part_token(p);
        if (tok > tr->rs.tok_hi) break;
        if (read_partition(tr, p, tok, memt_part_key(p))) {
            finish(s, tr);
            return;
        }
    }
    if (tr->shard_cur < tr->shard_last) {
        tr->shard_cur++;
        tr->scan_tok = tr->rs.tok_lo;
        tr->scan_key = (db_val){NULL, -1};
        tr->scan_incl = true;
        go(s, tr, tr->shard_cur);
        return;
    }
    finish(s, tr);
}

static void write_paging_state(struct trip *tr, buf *b)
{
    buf_put(b, "RDBQ", 4);
    buf_put_u8(b, 1);
    buf_put_be64(b, (uint64_t)tr->last_tok);
    buf_put_be32(b, (uint32_t)tr->last_key.len);
    buf_put(b, tr->last_key.p, (size_t)tr->last_key.len);
    if (tr->last_done) {
        buf_put_be16(b, 0xffff);
    } else {
        buf_put_be16(b, (uint16_t)tr->last_n_ck);
        for (int i = 0; i < tr->last_n_ck; i++) {
            buf_put_be32(b, (uint32_t)tr->last_ck[i].len);
            if (tr->last_ck[i].len > 0) buf_put(b, tr->last_ck[i].p, (size_t)tr->last_ck[i].len);
        }
    }
    buf_put_be64(b, (uint64_t)tr->limit_left);
    buf_put_be32(b, (uint32_t)(tr->last_pp_left > INT32_MAX ? INT32_MAX : tr->last_pp_left));
}

static void on_return(struct shard *s, void *arg)
{
    struct trip *tr = arg;
    struct cql_req *r = tr->x.r;
    schema_unref(tr->schema);
    if (tr->oom) {
        buf_free(&tr->rows);
        cql_error(r, PROTO_ERR_SERVER, "Out of memory reading %s.%s", tr->ks->name, tr->t->name);
        r->done(r);
        return;
    }
    struct cql_colspec *specs =
        arena_alloc(&r->arena, sizeof(*specs) * (size_t)(tr->n_items ? tr->n_items : 1));
    if (!specs) {
        buf_free(&tr->rows);
        cql_error(r, PROTO_ERR_SERVER, "Out of memory");
        r->done(r);
        return;
    }
    for (int i = 0; i < tr->n_items; i++)
        specs[i] =
            (struct cql_colspec){tr->ks->name, tr->t->name, tr->items[i].name, tr->items[i].type};
    buf *b = &r->body;
    buf_clear(b);
    buf_put_be32(b, RESULT_ROWS);
    uint32_t flags = 0;
    uint8_t mid[16];
    const uint8_t *new_mid = NULL;
    if (tr->x.is_execute && (tr->params.flags & PROTO_QF_SKIP_METADATA)) {
        if (r->version >= PROTO_V5 && tr->x.result_metadata_id) {
            res_metadata_id(specs, tr->n_items, mid);
            if (memcmp(mid, tr->x.result_metadata_id, 16) == 0)
                flags |= META_NO_METADATA;
            else
                new_mid = mid;
        } else {
            flags |= META_NO_METADATA;
        }
    }
    buf ps;
    buf_init(&ps);
    if (tr->more) write_paging_state(tr, &ps);
    res_rows_metadata(b, r->version, flags, specs, tr->n_items, tr->more ? ps.data : NULL,
                      (int)ps.len, new_mid);
    buf_free(&ps);
    if (tr->merge && tr->n_rows > 1 && !tr->is_count) {
        /* ORDER BY over several partitions: order rows by clustering */
        merge_tr = tr;
        qsort(tr->mrows, tr->n_rows, sizeof(*tr->mrows), cmp_merged);
        merge_tr = NULL;
        buf sorted;
        buf_init(&sorted);
        for (uint32_t i = 0; i < tr->n_rows; i++)
            buf_put(&sorted, tr->rows.data + tr->mrows[i].off, tr->mrows[i].len);
        if (buf_ok(&sorted)) {
            buf_free(&tr->rows);
            tr->rows = sorted;
        } else {
            buf_free(&sorted);
        }
    }
    if (tr->is_count) {
        buf_put_be32(b, 1);
        uint8_t v[8];
        put_be64(v, (uint64_t)tr->count);
        proto_wr_bytes(b, v, 8);
    } else {
        buf_put_be32(b, tr->n_rows);
        buf_put(b, tr->rows.data, tr->rows.len);
    }
    buf_free(&tr->rows);
    if (!buf_ok(b))
        cql_error(r, PROTO_ERR_SERVER, "Out of memory");
    else
        r->opcode = PROTO_OP_RESULT;
    r->done(r);
}

/* ---- planning ---- */

static int plan_selection(struct trip *tr)
{
    struct cql_req *r = tr->x.r;
    const struct cql_select *sel = &tr->x.stmt->select;
    const struct schema_table *t = tr->t;
    int n = sel->wildcard ? t->n_cols : sel->n_selectors;
    tr->items = arena_calloc(&r->arena, sizeof(*tr->items) * (size_t)(n ? n : 1));
    if (!tr->items) return -1;
    tr->n_items = n;
    if (sel->wildcard) {
        for (int i = 0; i < n; i++)
            tr->items[i] = (struct sel_item){SK_COLUMN, i, t->cols[i].name, t->cols[i].type};
        return 0;
    }
    for (int i = 0; i < n; i++) {
        const struct cql_select_item *it = sel->selectors[i];
        const struct cql_selector *s = it->sel;
        struct sel_item *o = &tr->items[i];
        const char *col = NULL;
        if (s->kind == CQL_SEL_COLUMN) {
            o->kind = SK_COLUMN;
            col = s->column;
        } else if ((s->kind == CQL_SEL_WRITETIME || s->kind == CQL_SEL_TTL) &&
                   s->arg->kind == CQL_SEL_COLUMN) {
            o->kind = s->kind == CQL_SEL_WRITETIME ? SK_WRITETIME : SK_TTL;
            col = s->arg->column;
        } else if (s->kind == CQL_SEL_COUNT_ROWS ||
                   (s->kind == CQL_SEL_FUNCTION && strcmp(s->func.name.name, "count") == 0 &&
                    s->func.n_args == 1 && s->func.args[0]->kind == CQL_SEL_TERM)) {
            if (n != 1) {
                cql_error(r, PROTO_ERR_INVALID,
                          "count(*) combined with other selectors is not "
                          "supported yet by ringdb");
                return -1;
            }
            o->kind = SK_COUNT;
            o->name = it->alias ? it->alias : "count";
            o->type = type_native(TYPE_BIGINT);
            tr->is_count = 1;
            continue;
        } else if (s->kind == CQL_SEL_FUNCTION && strcmp(s->func.name.name, "token") == 0) {
            if (s->func.n_args != t->n_pk) goto bad_token;
            for (int k = 0; k < t->n_pk; k++)
                if (s->func.args[k]->kind != CQL_SEL_COLUMN ||
                    strcmp(s->func.args[k]->column, t->cols[k].name) != 0)
                    goto bad_token;
            o->kind = SK_TOKEN;
            o->type = type_native(TYPE_BIGINT);
            if (it->alias) {
                o->name = it->alias;
            } else {
                size_t len = 20;
                for (int k = 0; k < t->n_pk; k++)
                    len += strlen(t->cols[k].name) + 2;
                char *nm = arena_alloc(&r->arena, len);
                if (!nm) return -1;
                size_t off = (size_t)sprintf(nm, "system.token(");
                for (int k = 0; k < t->n_pk; k++)
                    off += (size_t)sprintf(nm + off, "%s%s", k ? ", " : "", t->cols[k].name);
                sprintf(nm + off, ")");
                o->name = nm;
            }
            continue;
        } else {
            cql_error(r, PROTO_ERR_INVALID, "This selector is not supported yet by ringdb");
            return -1;
        }
        int ci = -1;
        for (int k = 0; k < t->n_cols; k++)
            if (strcmp(t->cols[k].name, col) == 0) ci = k;
        if (ci < 0) {
            cql_error(r, PROTO_ERR_INVALID, "Undefined column name %s in selection clause", col);
            return -1;
        }
        o->ci = ci;
        const struct schema_column *c = &t->cols[ci];
        if (o->kind != SK_COLUMN) {
            const char *fn = o->kind == SK_WRITETIME ? "writetime" : "ttl";
            if (c->kind == COL_PARTITION_KEY || c->kind == COL_CLUSTERING) {
                cql_error(r, PROTO_ERR_INVALID,
                          "Cannot use selection function %s on PRIMARY KEY "
                          "part %s",
                          fn, c->name);
                return -1;
            }
            int complex =
                !c->type->frozen && (c->type->kind == TYPE_LIST || c->type->kind == TYPE_SET ||
                                     c->type->kind == TYPE_MAP || c->type->kind == TYPE_UDT);
            if (complex) {
                cql_error(r, PROTO_ERR_INVALID,
                          "Cannot use selection function %s on non-frozen "
                          "%s %s",
                          fn, c->type->kind == TYPE_UDT ? "UDT" : "collection", c->name);
                return -1;
            }
            o->type = type_native(o->kind == SK_WRITETIME ? TYPE_BIGINT : TYPE_INT);
            if (it->alias) {
                o->name = it->alias;
            } else {
                char *nm = arena_alloc(&r->arena, strlen(c->name) + 16);
                if (!nm) return -1;
                sprintf(nm, "%s(%s)", fn, c->name);
                o->name = nm;
            }
        } else {
            o->type = c->type;
            o->name = it->alias ? it->alias : c->name;
        }
        if (tr->distinct && c->kind != COL_PARTITION_KEY && c->kind != COL_STATIC) {
            cql_error(r, PROTO_ERR_INVALID,
                      "SELECT DISTINCT queries must only request partition key "
                      "columns and/or static columns (not %s)",
                      c->name);
            return -1;
        }
    }
    if (tr->distinct) {
        for (int k = 0; k < t->n_pk; k++) {
            int found = 0;
            for (int i = 0; i < n; i++)
                found |= tr->items[i].kind == SK_COLUMN && tr->items[i].ci == k;
            if (!found) {
                cql_error(r, PROTO_ERR_INVALID,
                          "SELECT DISTINCT queries must request all the "
                          "partition key columns (missing %s)",
                          t->cols[k].name);
                return -1;
            }
        }
    }
    return 0;
bad_token:
    cql_error(r, PROTO_ERR_INVALID,
              "Invalid arguments for token(): the partition key columns, in "
              "order, are expected");
    return -1;
}

static int plan_order(struct trip *tr)
{
    struct cql_req *r = tr->x.r;
    const struct cql_select *sel = &tr->x.stmt->select;
    const struct schema_table *t = tr->t;
    if (sel->n_order_by == 0) return 0;
    if (!tr->rs.pk_restricted) {
        cql_error(r, PROTO_ERR_INVALID,
                  "ORDER BY is only supported when the partition key is "
                  "restricted by an EQ or an IN.");
        return -1;
    }
    int rev = -1;
    for (int i = 0; i < sel->n_order_by; i++) {
        const struct cql_ordering *o = sel->order_by[i];
        if (o->ann) {
            cql_error(r, PROTO_ERR_INVALID, "ANN ordering is not supported yet by ringdb");
            return -1;
        }
        const struct schema_column *c = schema_find_column(t, o->column);
        if (!c) {
            cql_error(r, PROTO_ERR_INVALID, "Undefined column name %s", o->column);
            return -1;
        }
        if (c->kind != COL_CLUSTERING) {
            cql_error(r, PROTO_ERR_INVALID,
                      "Order by is currently only supported on the clustered "
                      "columns of the PRIMARY KEY, got %s",
                      o->column);
            return -1;
        }
        if (c->position != i) {
            cql_error(r, PROTO_ERR_INVALID,
                      "Order by currently only support the ordering of "
                      "columns following their declared order in the PRIMARY KEY");
            return -1;
        }
        int this_rev = o->desc != c->desc;
        if (rev >= 0 && this_rev != rev) {
            cql_error(r, PROTO_ERR_INVALID, "Unsupported order by relation");
            return -1;
        }
        rev = this_rev;
    }
    tr->reversed = rev == 1;
    if (tr->n_keys > 1) {
        if (tr->params.page_size > 0 && tr->params.page_size < INT32_MAX) {
            cql_error(r, PROTO_ERR_INVALID,
                      "Cannot page queries with both ORDER BY and a IN "
                      "restriction on the partition key; you must either remove the ORDER BY or "
                      "the IN and sort client side, or disable paging for this query");
            return -1;
        }
        tr->merge = 1;
    }
    return 0;
}

/* Decodes a paging state into the trip's resume position. */
static int resume(struct trip *tr, const proto_value *ps)
{
    struct cql_req *r = tr->x.r;
    const uint8_t *p = ps->p;
    int32_t n = ps->len;
    if (n < 4 + 1 + 8 + 4 || memcmp(p, "RDBQ", 4) != 0 || p[4] != 1) goto bad;
    int32_t o = 5;
    int64_t tok = (int64_t)be64(p + o);
    o += 8;
    int32_t kl = (int32_t)be32(p + o);
    o += 4;
    if (kl < 0 || o + kl + 2 > n) goto bad;
    db_val key = {p + o, kl};
    o += kl;
    uint16_t nck = be16(p + o);
    o += 2;
    db_val *ck = NULL;
    if (nck != 0xffff) {
        if (nck > MAX_KEY_COLS) goto bad;
        ck = arena_alloc(&r->arena, sizeof(*ck) * (size_t)(nck ? nck : 1));
        if (!ck) goto bad;
        for (int i = 0; i < nck; i++) {
            if (o + 4 > n) goto bad;
            int32_t l = (int32_t)be32(p + o);
            o += 4;
            if (l < -1 || (l > 0 && o + l > n)) goto bad;
            ck[i] = (db_val){l > 0 ? p + o : (const uint8_t *)"", l};
            o += l > 0 ? l : 0;
        }
    }
    if (o + 12 != n) goto bad;
    tr->limit_left = (int64_t)be64(p + o);
    int32_t ppl = (int32_t)be32(p + o + 8);
    if (!tr->scan) {
        /* first key >= (tok, key) */
        while (tr->key_idx < tr->n_keys &&
               (tr->keys[tr->key_idx].token < tok ||
                (tr->keys[tr->key_idx].token == tok &&
                 (tr->keys[tr->key_idx].key.len != key.len ||
                  memcmp(tr->keys[tr->key_idx].key.p, key.p, (size_t)key.len) < 0))))
            tr->key_idx++;
        if (nck == 0xffff) {
            if (tr->key_idx < tr->n_keys && tr->keys[tr->key_idx].token == tok &&
                tr->keys[tr->key_idx].key.len == key.len &&
                memcmp(tr->keys[tr->key_idx].key.p, key.p, (size_t)key.len) == 0)
                tr->key_idx++;
        }
    } else {
        tr->scan_tok = tok;
        tr->scan_key = (db_val){arena_memdup(&r->arena, key.p, kl ? (size_t)kl : 1), kl};
        tr->scan_incl = nck != 0xffff;
        tr->shard_cur = db_shard_of(tok, r->shard->n_shards);
    }
    if (nck != 0xffff) {
        tr->after = ck;
        tr->n_after = nck;
        tr->pp_resume = ppl;
    }
    return 0;
bad:
    cql_error(r, PROTO_ERR_PROTOCOL, "Invalid value for the paging state");
    return -1;
}

int stmt_select_table(struct cql_exec *x, const struct schema_keyspace *ks,
                      const struct schema_table *t)
{
    struct cql_req *r = x->r;
    const struct cql_select *sel = &x->stmt->select;
    if (sel->json || sel->n_group_by) {
        cql_error(r, PROTO_ERR_INVALID, "%s is not supported yet by ringdb",
                  sel->json ? "SELECT JSON" : "GROUP BY");
        return CQL_DONE;
    }
    int req, alive;
    const char *msg = NULL;
    int crc = sp_consistency(ks, x->params->consistency, 0, &req, &alive, &msg);
    if (crc < 0) {
        cql_error(r, PROTO_ERR_INVALID, "%s", msg);
        return CQL_DONE;
    }
    if (crc > 0) {
        char m[128];
        snprintf(m, sizeof(m), "Cannot achieve consistency level %s",
                 proto_consistency_name(x->params->consistency));
        buf_clear(&r->body);
        proto_write_error_unavailable(&r->body, m, x->params->consistency, req, alive);
        r->opcode = PROTO_OP_ERROR;
        return CQL_DONE;
    }
    struct trip *tr = arena_calloc(&r->arena, sizeof(*tr));
    if (!tr) {
        cql_error(r, PROTO_ERR_SERVER, "Out of memory");
        return CQL_DONE;
    }
    /* the trip outlives the caller's stack: copy what x points to */
    tr->x = *x;
    tr->params = *x->params;
    tr->x.params = &tr->params;
    tr->ks = ks;
    tr->t = t;
    tr->distinct = sel->distinct;
    tr->now = db_now_seconds();
    tr->limit_left = INT64_MAX;
    tr->pp_limit = INT64_MAX;
    tr->pp_resume = INT64_MAX;
    tr->page_left = x->params->page_size > 0 ? x->params->page_size : INT64_MAX;
    buf_init(&tr->rows);
    if (plan_selection(tr) < 0) return CQL_DONE;
    if (restrict_analyze(&tr->x, t, sel->where, sel->n_where, 0, sel->allow_filtering, &tr->rs) < 0)
        return CQL_DONE;
    if (tr->distinct && (tr->rs.n_ck_eq || tr->rs.has_slice)) {
        cql_error(r, PROTO_ERR_INVALID,
                  "SELECT DISTINCT with WHERE clause only supports "
                  "restriction by partition key and/or static columns.");
        return CQL_DONE;
    }
    if (restrict_slices(&tr->x, t, &tr->rs, &tr->slices, &tr->n_slices) < 0) return CQL_DONE;
    if (tr->rs.pk_restricted) {
        if (restrict_partition_keys(&tr->x, t, &tr->rs, &tr->keys, &tr->n_keys) < 0)
            return CQL_DONE;
    } else {
        tr->scan = 1;
        tr->scan_tok = tr->rs.tok_lo;
        tr->scan_key = (db_val){NULL, -1};
        tr->scan_incl = true;
        tr->shard_cur = db_shard_of(tr->rs.tok_lo, r->shard->n_shards);
        tr->shard_last = db_shard_of(tr->rs.tok_hi, r->shard->n_shards);
    }
    if (plan_order(tr) < 0) return CQL_DONE;
    if (tr->reversed && tr->n_slices > 1) {
        /* memt_read walks slices last to first when reversed: nothing to do */
    }
    if (sel->limit) {
        proto_value v;
        if (cql_encode_term(&tr->x, sel->limit, type_native(TYPE_INT), "[limit]", &v) < 0)
            return CQL_DONE;
        if (v.len == 4) {
            int32_t l = (int32_t)be32(v.p);
            if (l <= 0) {
                cql_error(r, PROTO_ERR_INVALID, "LIMIT must be strictly positive");
                return CQL_DONE;
            }
            tr->limit_left = l;
        }
    }
    if (sel->per_partition_limit) {
        proto_value v;
        if (cql_encode_term(&tr->x, sel->per_partition_limit, type_native(TYPE_INT),
                            "[per_partition_limit]", &v) < 0)
            return CQL_DONE;
        if (v.len == 4) {
            int32_t l = (int32_t)be32(v.p);
            if (l <= 0) {
                cql_error(r, PROTO_ERR_INVALID, "PER PARTITION LIMIT must be strictly positive");
                return CQL_DONE;
            }
            tr->pp_limit = l;
            tr->pp_resume = l;
        }
    }
    if (tr->is_count) tr->page_left = INT64_MAX;
    if (x->params->has_paging_state && x->params->paging_state.len > 0 && !tr->is_count &&
        resume(tr, &x->params->paging_state) < 0)
        return CQL_DONE;
    if (tr->rs.tok_empty || (tr->scan && tr->rs.tok_lo > tr->rs.tok_hi)) {
        tr->scan = 0;
        tr->n_keys = 0;
    }
    tr->schema = sp_schema(r->shard);
    schema_ref(tr->schema);
    int first = tr->scan ? tr->shard_cur
                         : (tr->key_idx < tr->n_keys
                                ? db_shard_of(tr->keys[tr->key_idx].token, r->shard->n_shards)
                                : r->shard->id);
    if (shard_send(r->shard, first, on_visit, tr) < 0) {
        schema_unref(tr->schema);
        buf_free(&tr->rows);
        cql_error(r, PROTO_ERR_SERVER, "Out of memory");
        return CQL_DONE;
    }
    return CQL_PENDING;
}

int read_result_specs(struct cql_req *r, const struct cql_stmt *st,
                      const struct schema_keyspace *ks, const struct schema_table *t,
                      struct cql_colspec **out, int *n)
{
    struct trip *tr = arena_calloc(&r->arena, sizeof(*tr));
    if (!tr) return -1;
    tr->x.r = r;
    tr->x.stmt = st;
    tr->t = t;
    tr->ks = ks;
    tr->distinct = st->select.distinct;
    if (plan_selection(tr) < 0) return -1;
    struct cql_colspec *specs =
        arena_alloc(&r->arena, sizeof(*specs) * (size_t)(tr->n_items ? tr->n_items : 1));
    if (!specs) return -1;
    for (int i = 0; i < tr->n_items; i++)
        specs[i] = (struct cql_colspec){ks->name, t->name, tr->items[i].name, tr->items[i].type};
    *out = specs;
    *n = tr->n_items;
    return 0;
}
