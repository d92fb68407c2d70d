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
#include "cql/selection.h"
#include "cql/functions.h"
#include "types/json.h"
#include "db/db.h"
#include "service/proxy.h"
#include "types/value.h"
#include "util/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct merged_row {
    size_t off, len;
    db_val *ck;
    int n_ck;
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
    struct selection *sel;
    int distinct;
    arena scratch; /* per-row temporaries of computed selectors */
    struct sel_err err;
    int failed; /* err is set */
    /* aggregation: the open group and its key (partition + clustering prefix) */
    void *group;
    int64_t group_tok;
    db_val group_key;
    db_val *group_ck;
    int64_t now_ms;
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
    int64_t merge_limit; /* LIMIT of a merged read, applied after the sort (0 none) */
    struct merged_row *mrows;
    uint32_t cap_mrows;
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

/* ---- filtering ---- */

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

static struct sel_row row_of(struct trip *tr, const struct db_rrow *row)
{
    return (struct sel_row){
        .t = tr->t,
        .pk = tr->cur_pk,
        .token = tr->cur_tok,
        .row = row,
        .srow = tr->has_static ? &tr->cur_static : NULL,
        .now = tr->now,
        .now_ms = tr->now_ms,
    };
}

/* Appends the open group's output row and closes it. */
static int close_group(struct trip *tr)
{
    const struct selection *sel = tr->sel;
    void *g = tr->group;
    tr->group = NULL;
    int rc = 0;
    for (int i = 0; i < sel->n && rc == 0; i++) {
        struct type_val v;
        rc = selection_group_result(sel, g, i, tr->now_ms, &tr->scratch, &v, &tr->err);
        if (rc == 0) proto_wr_bytes(&tr->rows, v.p, v.len);
    }
    selection_group_free(sel, g);
    arena_reset(&tr->scratch);
    if (rc < 0) {
        tr->failed = 1;
        return -1;
    }
    tr->n_rows++;
    tr->limit_left--;
    tr->page_left--;
    return 0;
}

/* Aggregation: folds the row into its group; a row of another group
 * closes the open one first. LIMIT counts groups; PER PARTITION LIMIT
 * counts groups with GROUP BY, rows without. Returns 1 to stop reading. */
static int emit_grouped(struct trip *tr, const struct db_rrow *row)
{
    const struct selection *sel = tr->sel;
    arena *a = &tr->x.r->arena;
    int nck = sel->n_group_by;
    if (tr->group && nck >= 0) {
        int same_part = tr->group_tok == tr->cur_tok && tr->group_key.len == tr->cur_key.len &&
                        memcmp(tr->group_key.p, tr->cur_key.p, (size_t)tr->cur_key.len) == 0;
        int same = same_part;
        for (int i = 0; same && i < nck; i++) {
            db_val c = row && row->ck && i < row->n_ck ? row->ck[i] : (db_val){NULL, -1};
            same = c.len == tr->group_ck[i].len &&
                   (c.len <= 0 || memcmp(c.p, tr->group_ck[i].p, (size_t)c.len) == 0);
        }
        if (!same) {
            if (close_group(tr) < 0) return 1;
            if (same_part) { /* groups of this partition; a page may end here */
                tr->pp_left--;
                tr->last_pp_left = tr->pp_left;
            }
        }
    }
    if (tr->limit_left <= 0 || tr->pp_left <= 0) return 1;
    if (!tr->group && tr->page_left <= 0) { /* GROUP BY pages count groups */
        tr->more = 1;
        return 1;
    }
    if (!tr->group) {
        if (!(tr->group = selection_group_new(sel, a))) goto oom;
        tr->group_tok = tr->cur_tok;
        tr->group_key = tr->cur_key;
        if (nck > 0) {
            if (!(tr->group_ck = arena_alloc(a, sizeof(db_val) * (size_t)nck))) goto oom;
            for (int i = 0; i < nck; i++) {
                db_val c = row && row->ck && i < row->n_ck ? row->ck[i] : (db_val){NULL, -1};
                if (c.len > 0 && !(c.p = arena_memdup(a, c.p, (size_t)c.len))) goto oom;
                tr->group_ck[i] = c;
            }
        }
        if (nck >= 0 && tr->cur_key.len > 0 &&
            !(tr->group_key.p = arena_memdup(a, tr->cur_key.p, (size_t)tr->cur_key.len)))
            goto oom;
    }
    struct sel_row sr = row_of(tr, row);
    int rc = selection_group_add(sel, tr->group, &sr, a, &tr->scratch, &tr->err);
    arena_reset(&tr->scratch);
    if (rc < 0) {
        tr->failed = 1;
        return 1;
    }
    tr->cur_emitted++;
    /* the last row folded: where the next page resumes */
    tr->last_tok = tr->cur_tok;
    tr->last_key = tr->cur_key;
    tr->last_ck = row ? row->ck : NULL;
    tr->last_n_ck = row && row->ck ? row->n_ck : 0;
    tr->last_done = row == NULL || row->ck == NULL || tr->distinct;
    tr->last_pp_left = tr->pp_left;
    return 0;
oom:
    tr->oom = 1;
    return 1;
}

static int emit(struct trip *tr, const struct db_rrow *row)
{
    const struct selection *sel = tr->sel;
    size_t row_start = tr->rows.len;
    const struct db_rrow *srow = tr->has_static ? &tr->cur_static : NULL;
    if (tr->rs.n_filters && !filters_pass(tr, row, srow)) return 0;
    if (sel->has_agg) return emit_grouped(tr, row);
    if (tr->limit_left <= 0 || tr->pp_left <= 0) return 1;
    if (tr->page_left <= 0) {
        tr->more = 1;
        return 1;
    }
    struct sel_row sr = row_of(tr, row);
    if (sel->simple) {
        for (int i = 0; i < sel->n; i++)
            sel_write_column(&tr->rows, &sr, sel->simple_ci[i]);
    } else {
        for (int i = 0; i < sel->n; i++) {
            struct type_val v;
            if (selection_eval(sel, i, &sr, &tr->scratch, &v, &tr->err) < 0) {
                tr->failed = 1;
                return 1;
            }
            proto_wr_bytes(&tr->rows, v.p, v.len);
        }
        arena_reset(&tr->scratch);
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
        return tr->more || tr->oom || tr->failed || tr->limit_left <= 0 ? 1 : (s && 0);
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
    if (tr->more || tr->oom || tr->failed || tr->limit_left <= 0) return 1;
    /* a partition with only static content shows one row, when the query
     * does not restrict the clustering columns */
    if (tr->cur_emitted == 0 && tr->has_static && tr->n_slices == 0 && !after) {
        emit(tr, NULL);
        if (tr->more || tr->oom || tr->failed || tr->limit_left <= 0) return 1;
    }
    return 0;
}

/* ---- the trip ---- */

static void on_visit(struct shard *s, void *arg);
static void on_return(struct shard *s, void *arg);
static int selection_specs(struct cql_req *r, const struct schema_keyspace *ks,
                           const struct schema_table *t, const struct selection *sel, int json,
                           struct cql_colspec **out, int *n);

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
    int rc = 0;
    if (!tr->scan) {
        while (tr->key_idx < tr->n_keys) {
            struct pkey *k = &tr->keys[tr->key_idx];
            int owner = db_shard_of(k->token, s->n_shards);
            if (owner != s->id) {
                go(s, tr, owner);
                return;
            }
            /* memtables and sstables of this shard, merged (db.h) */
            struct mpart *p = db_find(s, tr->t, k->token, k->key, tr->distinct ? NULL : tr->slices,
                                      tr->distinct ? 0 : tr->n_slices, &tr->x.r->arena, &rc);
            if (rc < 0) {
                tr->oom = 1;
                finish(s, tr);
                return;
            }
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
    struct db_scan *sc = db_scan_open(s, tr->t, tr->scan_tok, tr->scan_key, tr->scan_incl,
                                      tr->distinct ? NULL : tr->slices,
                                      tr->distinct ? 0 : tr->n_slices, &tr->x.r->arena);
    if (!sc) {
        tr->oom = 1;
        finish(s, tr);
        return;
    }
    struct mpart *p;
    while ((p = db_scan_next(sc, &rc))) {
        int64_t tok = memt_part_token(p);
        if (tok > tr->rs.tok_hi) break;
        if (read_partition(tr, p, tok, memt_part_key(p))) {
            finish(s, tr);
            return;
        }
    }
    if (rc < 0) {
        tr->oom = 1;
        finish(s, tr);
        return;
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

/* SELECT JSON: each row (the selection's values as [bytes]) becomes one
 * text value, {"name": json, ...}; names not all lower case are quoted
 * ("\"Foo\""), as Cassandra does. */
static int rows_to_json(struct trip *tr)
{
    const struct selection *sel = tr->sel;
    buf out, key;
    buf_init(&out);
    buf_init(&key);
    const uint8_t *p = tr->rows.data;
    for (uint32_t row = 0; row < tr->n_rows; row++) {
        size_t len_off = buf_skip(&out, 4);
        size_t start = out.len;
        buf_put_u8(&out, '{');
        for (int i = 0; i < sel->n; i++) {
            int32_t len = (int32_t)be32(p);
            p += 4;
            const char *nm = sel->names[i];
            int lower = 1;
            for (const char *q = nm; *q; q++)
                lower &= !(*q >= 'A' && *q <= 'Z');
            buf_clear(&key);
            if (!lower) buf_put_u8(&key, '"');
            buf_put(&key, nm, strlen(nm));
            if (!lower) buf_put_u8(&key, '"');
            if (i) buf_put(&out, ", ", 2);
            json_put_string(&out, (const char *)key.data, key.len);
            buf_put(&out, ": ", 2);
            if (type_to_json(sel->types[i], len >= 0 ? p : NULL, len, &out) == TYPE_EINVAL)
                buf_put(&out, "null", 4);
            if (len > 0) p += len;
        }
        buf_put_u8(&out, '}');
        buf_patch_be32(&out, len_off, (uint32_t)(out.len - start));
    }
    buf_free(&key);
    if (!buf_ok(&out)) {
        buf_free(&out);
        return -1;
    }
    buf_free(&tr->rows);
    tr->rows = out;
    return 0;
}

static void on_return(struct shard *s, void *arg)
{
    struct trip *tr = arg;
    struct cql_req *r = tr->x.r;
    const struct selection *sel = tr->sel;
    if (sel->has_agg && !tr->oom && !tr->failed) {
        /* the last group; without GROUP BY there is always one row */
        if (!tr->group && sel->n_group_by < 0 && !(tr->group = selection_group_new(sel, &r->arena)))
            tr->oom = 1;
        if (tr->group) close_group(tr);
    }
    if (tr->group) selection_group_free(sel, tr->group);
    arena_destroy(&tr->scratch);
    if (tr->oom || tr->failed || !buf_ok(&tr->rows)) {
        buf_free(&tr->rows);
        if (tr->failed && tr->err.f)
            cql_error_function_failure(r, tr->err.f, tr->err.msg);
        else if (tr->failed)
            cql_error(r, PROTO_ERR_SERVER, "%s", tr->err.msg);
        else
            cql_error(r, PROTO_ERR_SERVER, "Out of memory reading %s.%s", tr->ks->name,
                      tr->t->name);
        schema_unref(tr->schema); /* names in the metadata live in it */
        r->done(r);
        return;
    }
    struct cql_colspec *specs;
    int n_specs;
    if (selection_specs(r, tr->ks, tr->t, sel, tr->x.stmt->select.json, &specs, &n_specs) < 0) {
        buf_free(&tr->rows);
        cql_error(r, PROTO_ERR_SERVER, "Out of memory");
        schema_unref(tr->schema); /* names in the metadata live in it */
        r->done(r);
        return;
    }
    buf *b = &r->body;
    buf_clear(b);
    buf_put_be32(b, RESULT_ROWS);
    uint32_t flags = 0;
    uint8_t mid[16];
    const uint8_t *new_mid = NULL;
    if (tr->x.is_execute && (tr->params.flags & PROTO_QF_SKIP_METADATA)) {
        if (r->version >= PROTO_V5 && tr->x.result_metadata_id) {
            res_metadata_id(specs, n_specs, mid);
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
    res_rows_metadata(b, r->version, flags, specs, n_specs, tr->more ? ps.data : NULL, (int)ps.len,
                      new_mid);
    buf_free(&ps);
    if (tr->merge && tr->n_rows > 1) {
        /* ORDER BY over several partitions: order rows by clustering */
        merge_tr = tr;
        qsort(tr->mrows, tr->n_rows, sizeof(*tr->mrows), cmp_merged);
        merge_tr = NULL;
        buf sorted;
        buf_init(&sorted);
        if (tr->merge_limit > 0 && tr->n_rows > tr->merge_limit)
            tr->n_rows = (uint32_t)tr->merge_limit;
        for (uint32_t i = 0; i < tr->n_rows; i++)
            buf_put(&sorted, tr->rows.data + tr->mrows[i].off, tr->mrows[i].len);
        if (buf_ok(&sorted)) {
            buf_free(&tr->rows);
            tr->rows = sorted;
        } else {
            buf_free(&sorted);
        }
    }
    if (tr->x.stmt->select.json && rows_to_json(tr) < 0) b->oom = 1;
    buf_put_be32(b, tr->n_rows);
    buf_put(b, tr->rows.data, tr->rows.len);
    buf_free(&tr->rows);
    if (!buf_ok(b))
        cql_error(r, PROTO_ERR_SERVER, "Out of memory");
    else
        r->opcode = PROTO_OP_RESULT;
    schema_unref(tr->schema); /* names in the metadata live in it */
    r->done(r);
}

/* The result metadata of a planned selection. */
static int selection_specs(struct cql_req *r, const struct schema_keyspace *ks,
                           const struct schema_table *t, const struct selection *sel, int json,
                           struct cql_colspec **out, int *n)
{
    struct cql_colspec *specs =
        arena_alloc(&r->arena, sizeof(*specs) * (size_t)(sel->n ? sel->n : 1));
    if (!specs) return -1;
    for (int i = 0; i < sel->n; i++)
        specs[i] = (struct cql_colspec){ks->name, t->name, sel->names[i], sel->types[i]};
    *out = specs;
    *n = sel->n;
    if (json) { /* one text column */
        specs[0] = (struct cql_colspec){ks->name, t->name, "[json]", type_native(TYPE_VARCHAR)};
        *n = 1;
    }
    return 0;
}

/* ---- planning ---- */

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
    tr->now_ms = db_now_millis();
    arena_init(&tr->scratch, 4096);
    tr->limit_left = INT64_MAX;
    tr->pp_limit = INT64_MAX;
    tr->pp_resume = INT64_MAX;
    tr->page_left = x->params->page_size > 0 ? x->params->page_size : INT64_MAX;
    buf_init(&tr->rows);
    if (selection_plan(&tr->x, ks, t, sel, &tr->sel) < 0) return CQL_DONE;
    if (restrict_analyze(&tr->x, t, sel->where, sel->n_where, 0, sel->allow_filtering, &tr->rs) < 0)
        return CQL_DONE;
    if (sel->n_group_by) {
        uint64_t eq = 0; /* key columns fixed by one value */
        for (int i = 0; tr->rs.pk_restricted && i < t->n_pk; i++)
            if (tr->rs.pk[i].n == 1) eq |= (uint64_t)1 << i;
        for (int i = 0; i < tr->rs.n_ck_eq; i++)
            if (tr->rs.ck[i].n == 1) eq |= (uint64_t)1 << (t->n_pk + i);
        if (selection_group_by(&tr->x, t, sel, &eq, &tr->sel->n_group_by) < 0) return CQL_DONE;
    }
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
    if (tr->sel->has_agg && tr->sel->n_group_by < 0) {
        /* aggregating everything: no limit on the rows folded
         * (Cassandra's AGGREGATE_EVERYTHING); LIMIT counts the one result row */
        tr->pp_limit = tr->pp_resume = INT64_MAX;
    }
    if (tr->merge && !tr->sel->has_agg) {
        /* rows are sorted after reading: LIMIT applies after the sort */
        tr->merge_limit = tr->limit_left;
        tr->limit_left = INT64_MAX;
    }
    int one_page = tr->sel->has_agg && tr->sel->n_group_by < 0; /* one row in all */
    if (one_page) tr->page_left = INT64_MAX;
    if (x->params->has_paging_state && x->params->paging_state.len > 0 && !one_page &&
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
    struct cql_exec x = {.r = r, .stmt = st};
    struct selection *sel;
    if (selection_plan(&x, ks, t, &st->select, &sel) < 0) return -1;
    return selection_specs(r, ks, t, sel, st->select.json, out, n);
}
