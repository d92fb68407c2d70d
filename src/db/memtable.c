/*
 * memtable.c -- see memtable.h.
 *
 * Structure: a skiplist of partitions; each partition holds a skiplist of
 * rows, its static row, its partition deletion and a list of range
 * tombstones. Skiplist nodes are allocated with exactly the levels they
 * use; levels come from a per-memtable xorshift generator (p = 1/4).
 *
 * Visibility (reads): a cell or row marker written at ts is shadowed by any
 * deletion at ts' >= ts that covers it (partition deletion, a range
 * tombstone over its clustering, the row tombstone, and for collection
 * elements the column's complex deletion); an expiring cell is dead once
 * its expiry time (ldt) <= now.
 */
#include "db/memtable.h"
#include "types/value.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

#define P_LEVELS 20
#define R_LEVELS 16

struct mrow {
    struct db_row r;
    int levels;
    struct mrow *next[];
};

struct mpart {
    int64_t token;
    db_val key;
    struct db_del pdel;
    struct mrow *srow;
    struct mrow *rhead[R_LEVELS]; /* row skiplist header */
    int rlevel;
    int n_rows;
    struct db_rt *rts;
    int n_rts, cap_rts;
    int levels;
    struct mpart *next[];
};

struct memtable {
    arena own; /* used when a == &own (memt_create) */
    arena *a;  /* where everything lives */
    struct mpart *phead[P_LEVELS];
    int plevel;
    uint64_t n_parts;
    uint32_t rng;
    int64_t min_ts; /* smallest timestamp applied (INT64_MAX: none) */
};

struct memtable *memt_create(void)
{
    struct memtable *m = mem_calloc(1, sizeof(*m));
    if (!m) return NULL;
    arena_init(&m->own, 1 << 20);
    m->a = &m->own;
    m->min_ts = INT64_MAX;
    m->rng = 0x9e3779b9u;
    m->plevel = 1;
    return m;
}

struct memtable *memt_create_in(arena *a)
{
    struct memtable *m = arena_calloc(a, sizeof(*m));
    if (!m) return NULL;
    m->a = a;
    m->min_ts = INT64_MAX;
    m->rng = 0x9e3779b9u;
    m->plevel = 1;
    return m;
}

void memt_destroy(struct memtable *m)
{
    if (!m || m->a != &m->own) return;
    arena_destroy(&m->own);
    mem_free(m);
}

size_t memt_bytes(const struct memtable *m)
{
    return m->a == &m->own ? m->own.sz_used : 0;
}

uint64_t memt_partitions(const struct memtable *m)
{
    return m->n_parts;
}

int64_t memt_min_ts(const struct memtable *m)
{
    return m->min_ts;
}

static void note_ts(struct memtable *m, int64_t ts)
{
    if (ts != DB_NO_TS && ts < m->min_ts) m->min_ts = ts;
}

static void note_row_ts(struct memtable *m, const struct db_row *r)
{
    note_ts(m, r->live_ts);
    note_ts(m, r->del.ts);
    for (int i = 0; i < r->n_cells; i++)
        note_ts(m, r->cells[i].ts);
}

static int random_level(struct memtable *m, int max)
{
    int l = 1;
    for (;;) {
        uint32_t x = m->rng;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        m->rng = x;
        if ((x & 3) || l >= max) break;
        l++;
    }
    return l;
}

/* ---- comparisons ---- */

static int cmp_bytes(db_val a, db_val b)
{
    if (a.len < 0 || b.len < 0) return (a.len >= 0) - (b.len >= 0);
    size_t k = (size_t)(a.len < b.len ? a.len : b.len);
    int c = k ? memcmp(a.p, b.p, k) : 0;
    return c ? c : (a.len > b.len) - (a.len < b.len);
}

static int cmp_part(int64_t ta, db_val ka, int64_t tb, db_val kb)
{
    if (ta != tb) return ta < tb ? -1 : 1;
    return cmp_bytes(ka, kb);
}

static const struct schema_column *ck_col(const struct schema_table *t, int i)
{
    return &t->cols[t->n_pk + i]; /* schema invariant (3) */
}

static int cmp_comp(const struct schema_column *c, db_val a, db_val b)
{
    int r;
    if (a.len < 0 || b.len < 0)
        r = (a.len >= 0) - (b.len >= 0);
    else
        r = type_compare(c->type, a.p, a.len, b.p, b.len);
    return c->desc ? -r : r;
}

int db_ck_compare(const struct schema_table *t, const db_val *a, int na, const db_val *b, int nb)
{
    int n = na < nb ? na : nb;
    for (int i = 0; i < n; i++) {
        int c = cmp_comp(ck_col(t, i), a[i], b[i]);
        if (c) return c;
    }
    return (na > nb) - (na < nb);
}

/* Compares only the first nb components (bound prefix semantics). */
static int cmp_prefix(const struct schema_table *t, const db_val *ck, int n_ck, const db_val *b,
                      int nb)
{
    int n = nb < n_ck ? nb : n_ck;
    for (int i = 0; i < n; i++) {
        int c = cmp_comp(ck_col(t, i), ck[i], b[i]);
        if (c) return c;
    }
    return 0;
}

static int after_start(const struct schema_table *t, const db_val *ck, int n_ck, const db_val *b,
                       int nb, bool incl)
{
    if (nb == 0) return 1;
    int c = cmp_prefix(t, ck, n_ck, b, nb);
    return c > 0 || (c == 0 && incl);
}

static int before_end(const struct schema_table *t, const db_val *ck, int n_ck, const db_val *b,
                      int nb, bool incl)
{
    if (nb == 0) return 1;
    int c = cmp_prefix(t, ck, n_ck, b, nb);
    return c < 0 || (c == 0 && incl);
}

/* Column index of a column id (linear; tables are small). */
static int col_index(const struct schema_table *t, int id)
{
    for (int i = 0; i < t->n_cols; i++)
        if (t->cols[i].id == id) return i;
    return -1;
}

/* Order of element paths inside a collection column. */
static int cmp_path(const struct schema_table *t, int col_id, db_val a, db_val b)
{
    if (a.len < 0 || b.len < 0) return (a.len >= 0) - (b.len >= 0);
    int ci = col_index(t, col_id);
    if (ci < 0) return cmp_bytes(a, b);
    const struct type *ty = t->cols[ci].type;
    if (ty->kind == TYPE_SET || ty->kind == TYPE_MAP)
        return type_compare(ty->params[0], a.p, a.len, b.p, b.len);
    if (ty->kind == TYPE_LIST)
        return type_compare(type_native(TYPE_TIMEUUID), a.p, a.len, b.p, b.len);
    return cmp_bytes(a, b); /* UDT field index (2 bytes, big-endian) */
}

static _Thread_local const struct schema_table *sort_table;

static int cmp_cell(const struct schema_table *t, const struct db_cell *a, const struct db_cell *b)
{
    if (a->col != b->col) return a->col < b->col ? -1 : 1;
    return cmp_path(t, a->col, a->path, b->path);
}

static int qsort_cell(const void *x, const void *y)
{
    return cmp_cell(sort_table, x, y);
}

static int cell_dead(const struct db_cell *c, int32_t now)
{
    return c->kind != DB_CELL_LIVE || (c->ttl > 0 && c->ldt <= now);
}

/* Last write wins; on a tie a dead cell wins, then the greater value, then
 * the later local deletion time (Cassandra's Cells.reconcile). */
static const struct db_cell *reconcile(const struct db_cell *a, const struct db_cell *b,
                                       int32_t now)
{
    if (a->ts != b->ts) return a->ts > b->ts ? a : b;
    int da = cell_dead(a, now), dbb = cell_dead(b, now);
    if (da != dbb) return da ? a : b;
    if (!da) {
        int c = cmp_bytes(a->value, b->value);
        if (c) return c > 0 ? a : b;
    }
    return a->ldt >= b->ldt ? a : b;
}

/* ---- copying into the memtable arena ---- */

static int copy_val(struct memtable *m, db_val *dst, db_val src)
{
    *dst = src;
    if (src.len > 0) {
        uint8_t *p = arena_memdup(m->a, src.p, (size_t)src.len);
        if (!p) return -1;
        dst->p = p;
    }
    return 0;
}

static db_val *copy_vals(struct memtable *m, const db_val *v, int n)
{
    if (n == 0) return NULL;
    db_val *d = arena_alloc(m->a, sizeof(*d) * (size_t)n);
    if (!d) return NULL;
    for (int i = 0; i < n; i++)
        if (copy_val(m, &d[i], v[i]) < 0) return NULL;
    return d;
}

/* New cell array = old (sorted) merged with incoming (sorted here). */
static int merge_cells(struct memtable *m, const struct schema_table *t, struct db_row *dst,
                       const struct db_cell *in, int n_in, int32_t now)
{
    struct db_cell *sorted = NULL;
    if (n_in > 1) {
        sorted = arena_alloc(m->a, sizeof(*sorted) * (size_t)n_in);
        if (!sorted) return -1;
        memcpy(sorted, in, sizeof(*sorted) * (size_t)n_in);
        sort_table = t;
        qsort(sorted, (size_t)n_in, sizeof(*sorted), qsort_cell);
        sort_table = NULL;
        in = sorted;
    }
    int n_old = dst->n_cells;
    struct db_cell *out =
        arena_alloc(m->a, sizeof(*out) * (size_t)(n_old + n_in ? n_old + n_in : 1));
    if (!out) return -1;
    int i = 0, j = 0, k = 0;
    while (i < n_old || j < n_in) {
        int c;
        if (i == n_old)
            c = 1;
        else if (j == n_in)
            c = -1;
        else
            c = cmp_cell(t, &dst->cells[i], &in[j]);
        if (c < 0) {
            out[k++] = dst->cells[i++];
            continue;
        }
        const struct db_cell *src = &in[j];
        if (c == 0) {
            const struct db_cell *w = reconcile(&dst->cells[i], &in[j], now);
            i++;
            j++;
            if (w != src) {
                out[k++] = *w;
                continue;
            }
        } else {
            j++;
        }
        /* incoming wins: copy its bytes; a duplicate key inside `in` merges too */
        struct db_cell nc = *src;
        if (copy_val(m, &nc.path, src->path) < 0 || copy_val(m, &nc.value, src->value) < 0)
            return -1;
        if (k > 0 && cmp_cell(t, &out[k - 1], &nc) == 0) {
            if (reconcile(&out[k - 1], &nc, now) == &nc) out[k - 1] = nc;
        } else {
            out[k++] = nc;
        }
    }
    dst->cells = out;
    dst->n_cells = k;
    return 0;
}

static int merge_row(struct memtable *m, const struct schema_table *t, struct db_row *dst,
                     const struct db_row *src, int32_t now)
{
    if (src->live_ts != DB_NO_TS &&
        (dst->live_ts == DB_NO_TS || src->live_ts > dst->live_ts ||
         (src->live_ts == dst->live_ts && src->live_ldt > dst->live_ldt))) {
        dst->live_ts = src->live_ts;
        dst->live_ttl = src->live_ttl;
        dst->live_ldt = src->live_ldt;
    }
    if (src->del.ts != DB_NO_TS && (dst->del.ts == DB_NO_TS || src->del.ts > dst->del.ts))
        dst->del = src->del;
    if (src->n_cells) return merge_cells(m, t, dst, src->cells, src->n_cells, now);
    return 0;
}

static struct mrow *new_row(struct memtable *m, const db_val *ck, int n_ck, int levels)
{
    struct mrow *r = arena_calloc(m->a, sizeof(*r) + sizeof(r->next[0]) * (size_t)levels);
    if (!r) return NULL;
    r->levels = levels;
    r->r.live_ts = DB_NO_TS;
    r->r.del.ts = DB_NO_TS;
    r->r.n_ck = n_ck;
    if (n_ck && !(r->r.ck = copy_vals(m, ck, n_ck))) return NULL;
    return r;
}

/* ---- partitions ---- */

static struct mpart *part_find_ge(struct memtable *m, int64_t token, db_val key, bool incl,
                                  struct mpart **update)
{
    struct mpart *x = NULL;
    for (int l = m->plevel - 1; l >= 0; l--) {
        struct mpart *nx = x ? x->next[l] : m->phead[l];
        while (nx) {
            int c = key.len == -1 && nx->token == token ? (incl ? 1 : -1)
                                                        : cmp_part(nx->token, nx->key, token, key);
            if (c < 0 || (c == 0 && !incl)) {
                x = nx;
                nx = x->next[l];
            } else {
                break;
            }
        }
        if (update) update[l] = x;
    }
    return x ? x->next[0] : m->phead[0];
}

struct mpart *memt_seek(struct memtable *m, int64_t token, db_val key, bool incl)
{
    return part_find_ge(m, token, key, incl, NULL);
}

struct mpart *memt_first(struct memtable *m)
{
    return m->phead[0];
}

struct mpart *memt_next(struct mpart *p)
{
    return p->next[0];
}

struct mpart *memt_find(struct memtable *m, int64_t token, db_val key)
{
    struct mpart *p = part_find_ge(m, token, key, true, NULL);
    return p && p->token == token && cmp_bytes(p->key, key) == 0 ? p : NULL;
}

int64_t memt_part_token(const struct mpart *p)
{
    return p->token;
}

db_val memt_part_key(const struct mpart *p)
{
    return p->key;
}

static struct mpart *part_get(struct memtable *m, int64_t token, db_val key)
{
    struct mpart *update[P_LEVELS];
    struct mpart *p = part_find_ge(m, token, key, true, update);
    if (p && p->token == token && cmp_bytes(p->key, key) == 0) return p;
    int lv = random_level(m, P_LEVELS);
    for (int l = m->plevel; l < lv; l++)
        update[l] = NULL;
    if (lv > m->plevel) m->plevel = lv;
    p = arena_calloc(m->a, sizeof(*p) + sizeof(p->next[0]) * (size_t)lv);
    if (!p) return NULL;
    p->levels = lv;
    p->token = token;
    p->pdel.ts = DB_NO_TS;
    p->rlevel = 1;
    if (copy_val(m, &p->key, key) < 0) return NULL;
    for (int l = 0; l < lv; l++) {
        if (update[l]) {
            p->next[l] = update[l]->next[l];
            update[l]->next[l] = p;
        } else {
            p->next[l] = m->phead[l];
            m->phead[l] = p;
        }
    }
    m->n_parts++;
    return p;
}

/* First row >= ck (or > when !incl); fills update[] with predecessors. */
static struct mrow *row_find_ge(struct mpart *p, const struct schema_table *t, const db_val *ck,
                                int n_ck, bool incl, struct mrow **update)
{
    struct mrow *x = NULL;
    for (int l = p->rlevel - 1; l >= 0; l--) {
        struct mrow *nx = x ? x->next[l] : p->rhead[l];
        while (nx) {
            int c = db_ck_compare(t, nx->r.ck, nx->r.n_ck, ck, n_ck);
            if (c < 0 || (c == 0 && !incl)) {
                x = nx;
                nx = x->next[l];
            } else {
                break;
            }
        }
        if (update) update[l] = x;
    }
    return x ? x->next[0] : p->rhead[0];
}

/* First row that is after_start(bound). */
static struct mrow *row_seek_start(struct mpart *p, const struct schema_table *t, const db_val *b,
                                   int nb, bool incl)
{
    struct mrow *x = NULL;
    for (int l = p->rlevel - 1; l >= 0; l--) {
        struct mrow *nx = x ? x->next[l] : p->rhead[l];
        while (nx && !after_start(t, nx->r.ck, nx->r.n_ck, b, nb, incl)) {
            x = nx;
            nx = x->next[l];
        }
    }
    return x ? x->next[0] : p->rhead[0];
}

int memt_apply(struct memtable *m, const struct schema_table *t, const struct db_mutation *mu,
               int32_t now)
{
    struct mpart *p = part_get(m, mu->token, mu->key);
    if (!p) return -1;
    note_ts(m, mu->pdel.ts);
    for (int i = 0; i < mu->n_rts; i++)
        note_ts(m, mu->rts[i].del.ts);
    if (mu->srow) note_row_ts(m, mu->srow);
    for (int i = 0; i < mu->n_rows; i++)
        note_row_ts(m, &mu->rows[i]);
    if (mu->pdel.ts != DB_NO_TS && (p->pdel.ts == DB_NO_TS || mu->pdel.ts > p->pdel.ts))
        p->pdel = mu->pdel;
    for (int i = 0; i < mu->n_rts; i++) {
        if (p->n_rts == p->cap_rts) {
            int nc = p->cap_rts ? p->cap_rts * 2 : 4;
            struct db_rt *nr = arena_alloc(m->a, sizeof(*nr) * (size_t)nc);
            if (!nr) return -1;
            if (p->n_rts) memcpy(nr, p->rts, sizeof(*nr) * (size_t)p->n_rts);
            p->rts = nr;
            p->cap_rts = nc;
        }
        struct db_rt rt = mu->rts[i];
        if ((rt.n_start && !(rt.start = copy_vals(m, rt.start, rt.n_start))) ||
            (rt.n_end && !(rt.end = copy_vals(m, rt.end, rt.n_end))))
            return -1;
        p->rts[p->n_rts++] = rt;
    }
    if (mu->srow) {
        if (!p->srow && !(p->srow = new_row(m, NULL, 0, 1))) return -1;
        if (merge_row(m, t, &p->srow->r, mu->srow, now) < 0) return -1;
    }
    for (int i = 0; i < mu->n_rows; i++) {
        const struct db_row *src = &mu->rows[i];
        struct mrow *update[R_LEVELS];
        struct mrow *r = row_find_ge(p, t, src->ck, src->n_ck, true, update);
        if (!r || db_ck_compare(t, r->r.ck, r->r.n_ck, src->ck, src->n_ck) != 0) {
            int lv = random_level(m, R_LEVELS);
            for (int l = p->rlevel; l < lv; l++)
                update[l] = NULL;
            if (lv > p->rlevel) p->rlevel = lv;
            if (!(r = new_row(m, src->ck, src->n_ck, lv))) return -1;
            for (int l = 0; l < lv; l++) {
                if (update[l]) {
                    r->next[l] = update[l]->next[l];
                    update[l]->next[l] = r;
                } else {
                    r->next[l] = p->rhead[l];
                    p->rhead[l] = r;
                }
            }
            p->n_rows++;
        }
        if (merge_row(m, t, &r->r, src, now) < 0) return -1;
    }
    return 0;
}

/* ---- reading ---- */

static int64_t row_deletion(struct mpart *p, const struct schema_table *t, const struct db_row *r)
{
    int64_t d = p->pdel.ts;
    if (r->del.ts != DB_NO_TS && r->del.ts > d) d = r->del.ts;
    if (r->ck)
        for (int i = 0; i < p->n_rts; i++) {
            const struct db_rt *rt = &p->rts[i];
            if (rt->del.ts > d &&
                after_start(t, r->ck, r->n_ck, rt->start, rt->n_start, rt->start_incl) &&
                before_end(t, r->ck, r->n_ck, rt->end, rt->n_end, rt->end_incl))
                d = rt->del.ts;
        }
    return d;
}

/* Fills out->cols with the visible cells; returns 1 if the row is visible. */
static int visible(struct mpart *p, const struct schema_table *t, const struct db_row *r,
                   int32_t now, arena *a, struct db_rrow *out)
{
    int64_t d = row_deletion(p, t, r);
    out->ck = r->ck;
    out->n_ck = r->n_ck;
    out->live_ts = DB_NO_TS;
    out->live_ttl = 0;
    int vis = 0;
    if (r->live_ts != DB_NO_TS && (d == DB_NO_TS || r->live_ts > d) &&
        !(r->live_ttl > 0 && r->live_ldt <= now)) {
        out->live_ts = r->live_ts;
        out->live_ttl = r->live_ttl;
        vis = 1;
    }
    out->cols = arena_calloc(a, sizeof(*out->cols) * (size_t)(t->n_cols ? t->n_cols : 1));
    if (!out->cols) return -1;
    struct db_cell *vis_cells =
        r->n_cells ? arena_alloc(a, sizeof(*vis_cells) * (size_t)r->n_cells) : NULL;
    if (r->n_cells && !vis_cells) return -1;
    int nb = 0;
    for (int i = 0; i < r->n_cells;) {
        int col = r->cells[i].col, j = i;
        while (j < r->n_cells && r->cells[j].col == col)
            j++;
        int ci = col_index(t, col);
        if (ci >= 0) {
            int64_t cd = d;
            int first = nb;
            for (int k = i; k < j; k++) {
                const struct db_cell *c = &r->cells[k];
                if (c->kind == DB_CELL_COMPLEX_DEL) {
                    if (cd == DB_NO_TS || c->ts > cd) cd = c->ts;
                    continue;
                }
                if (cell_dead(c, now) || (cd != DB_NO_TS && c->ts <= cd)) continue;
                vis_cells[nb++] = *c;
            }
            if (nb > first) {
                out->cols[ci].cells = &vis_cells[first];
                out->cols[ci].n = nb - first;
                vis = 1;
            }
        }
        i = j;
    }
    return vis;
}

int memt_part_live(struct mpart *p, const struct schema_table *t, int32_t now)
{
    arena a;
    arena_init(&a, 4096);
    int live = 0;
    struct db_rrow rr;
    if (p->srow && visible(p, t, &p->srow->r, now, &a, &rr) == 1) live = 1;
    for (struct mrow *r = p->rhead[0]; r && !live; r = r->next[0]) {
        if (visible(p, t, &r->r, now, &a, &rr) == 1) live = 1;
        arena_reset(&a);
    }
    arena_destroy(&a);
    return live;
}

static int emit(struct mpart *p, const struct db_read *rd, struct mrow *r)
{
    struct db_rrow rr;
    int v = visible(p, rd->t, &r->r, rd->now, rd->a, &rr);
    if (v < 0) return -1;
    if (!v) return 0;
    return rd->on_row(rd->arg, &rr) ? 1 : 0;
}

static int in_slice(const struct schema_table *t, const struct db_row *r, const struct db_slice *s)
{
    return after_start(t, r->ck, r->n_ck, s->start, s->n_start, s->start_incl) &&
           before_end(t, r->ck, r->n_ck, s->end, s->n_end, s->end_incl);
}

int memt_read(struct mpart *p, const struct db_read *rd)
{
    const struct schema_table *t = rd->t;
    if (rd->on_static && p->srow) { /* resumed pages need the static row too */
        struct db_rrow rr;
        int v = visible(p, t, &p->srow->r, rd->now, rd->a, &rr);
        if (v < 0) return -1;
        if (v && rd->on_static(rd->arg, &rr)) return 1;
    }
    if (!rd->on_row) return 0;
    static const struct db_slice all = {0};
    const struct db_slice *slices = rd->n_slices ? rd->slices : &all;
    int n_slices = rd->n_slices ? rd->n_slices : 1;
    if (!rd->reversed) {
        for (int s = 0; s < n_slices; s++) {
            const struct db_slice *sl = &slices[s];
            struct mrow *r = row_seek_start(p, t, sl->start, sl->n_start, sl->start_incl);
            if (rd->after) {
                struct mrow *ra = row_find_ge(p, t, rd->after, rd->n_after, false, NULL);
                /* resume: the later of the slice start and the row after `after`
                 * (a slice without rows stays empty) */
                if (r && ra && db_ck_compare(t, ra->r.ck, ra->r.n_ck, r->r.ck, r->r.n_ck) > 0)
                    r = ra;
                else if (!ra)
                    r = NULL;
            }
            for (; r && before_end(t, r->r.ck, r->r.n_ck, sl->end, sl->n_end, sl->end_incl);
                 r = r->next[0]) {
                int e = emit(p, rd, r);
                if (e) return e;
            }
        }
        return 0;
    }
    /* reversed: collect each slice's rows, walk them backwards, last slice first */
    struct mrow **stack = NULL;
    int cap = 0;
    for (int s = n_slices - 1; s >= 0; s--) {
        const struct db_slice *sl = &slices[s];
        int n = 0;
        for (struct mrow *r = row_seek_start(p, t, sl->start, sl->n_start, sl->start_incl);
             r && in_slice(t, &r->r, sl); r = r->next[0]) {
            if (rd->after && db_ck_compare(t, r->r.ck, r->r.n_ck, rd->after, rd->n_after) >= 0)
                break;
            if (n == cap) {
                int nc = cap ? cap * 2 : 64;
                struct mrow **ns = arena_alloc(rd->a, sizeof(*ns) * (size_t)nc);
                if (!ns) return -1;
                if (n) memcpy(ns, stack, sizeof(*ns) * (size_t)n);
                stack = ns;
                cap = nc;
            }
            stack[n++] = r;
        }
        for (int i = n - 1; i >= 0; i--) {
            int e = emit(p, rd, stack[i]);
            if (e) return e;
        }
    }
    return 0;
}

int memt_row_cells(struct mpart *p, const struct schema_table *t, const db_val *ck, int n_ck,
                   int ci, int32_t now, arena *a, struct db_rcol *out)
{
    out->cells = NULL;
    out->n = 0;
    if (!p) return 0;
    struct mrow *r;
    if (!ck) {
        r = p->srow;
    } else {
        r = row_find_ge(p, t, ck, n_ck, true, NULL);
        if (r && db_ck_compare(t, r->r.ck, r->r.n_ck, ck, n_ck) != 0) r = NULL;
    }
    if (!r) return 0;
    struct db_rrow rr;
    int v = visible(p, t, &r->r, now, a, &rr);
    if (v < 0) return -1;
    *out = rr.cols[ci];
    return 0;
}

/* ---- raw access (flush, merged reads) ---- */

void memt_part_raw(const struct mpart *p, struct memt_raw_part *out)
{
    out->token = p->token;
    out->key = p->key;
    out->pdel = p->pdel;
    out->srow = p->srow ? &p->srow->r : NULL;
    out->rts = p->rts;
    out->n_rts = p->n_rts;
}

const struct mrow *memt_rows_first(const struct mpart *p)
{
    return p->rhead[0];
}

const struct mrow *memt_rows_next(const struct mrow *r)
{
    return r->next[0];
}

const struct db_row *memt_row_data(const struct mrow *r)
{
    return &r->r;
}

int db_slice_cmp(const struct schema_table *t, const db_val *ck, int n_ck, const struct db_slice *s)
{
    if (!after_start(t, ck, n_ck, s->start, s->n_start, s->start_incl)) return -1;
    if (!before_end(t, ck, n_ck, s->end, s->n_end, s->end_incl)) return 1;
    return 0;
}

int memt_merge_part(struct memtable *dst, const struct schema_table *t, const struct mpart *src,
                    const struct db_slice *slices, int n_slices, int32_t now)
{
    struct db_mutation mu;
    db_mutation_init(&mu);
    mu.token = src->token;
    mu.key = src->key;
    mu.pdel = src->pdel;
    mu.srow = src->srow ? (struct db_row *)&src->srow->r : NULL;
    mu.rts = src->rts;
    mu.n_rts = src->n_rts;
    if (memt_apply(dst, t, &mu, now) < 0) return -1;
    mu.pdel.ts = DB_NO_TS;
    mu.srow = NULL;
    mu.n_rts = 0;
    mu.n_rows = 1;
    if (n_slices == 0) {
        for (struct mrow *r = src->rhead[0]; r; r = r->next[0]) {
            mu.rows = (struct db_row *)&r->r;
            if (memt_apply(dst, t, &mu, now) < 0) return -1;
        }
        return 0;
    }
    for (int i = 0; i < n_slices; i++) {
        const struct db_slice *sl = &slices[i];
        struct mrow *r =
            row_seek_start((struct mpart *)src, t, sl->start, sl->n_start, sl->start_incl);
        for (; r && before_end(t, r->r.ck, r->r.n_ck, sl->end, sl->n_end, sl->end_incl);
             r = r->next[0]) {
            mu.rows = (struct db_row *)&r->r;
            if (memt_apply(dst, t, &mu, now) < 0) return -1;
        }
    }
    return 0;
}

/* ---- compaction: drop shadowed data, purge old tombstones ---- */

/* Fills out with r minus what deletion d (and complex deletions) shadow,
 * and, when purge, minus tombstones and expired data whose local deletion
 * time is before gc_before. Returns 1 if anything is left. */
static int purge_row(const struct db_row *r, int64_t d, int64_t gc_before, int64_t lim, int32_t now,
                     arena *a, struct db_row *out)
{
#define GONE(ts, ldt) (lim != DB_NO_TS && (ldt) < gc_before && (ts) < lim)
    *out = *r;
    if (out->live_ts != DB_NO_TS &&
        ((d != DB_NO_TS && out->live_ts <= d) ||
         (out->live_ttl > 0 && out->live_ldt <= now && GONE(out->live_ts, out->live_ldt)))) {
        out->live_ts = DB_NO_TS;
        out->live_ttl = 0;
        out->live_ldt = 0;
    }
    out->cells = r->n_cells ? arena_alloc(a, sizeof(*out->cells) * (size_t)r->n_cells) : NULL;
    if (r->n_cells && !out->cells) return -1;
    int n = 0;
    for (int i = 0; i < r->n_cells;) {
        int col = r->cells[i].col, j = i;
        while (j < r->n_cells && r->cells[j].col == col)
            j++;
        int64_t cd = d;
        for (int k = i; k < j; k++)
            if (r->cells[k].kind == DB_CELL_COMPLEX_DEL && (cd == DB_NO_TS || r->cells[k].ts > cd))
                cd = r->cells[k].ts;
        for (int k = i; k < j; k++) {
            const struct db_cell *c = &r->cells[k];
            if (c->kind == DB_CELL_COMPLEX_DEL) {
                if (d != DB_NO_TS && c->ts <= d) continue;
                if (c->ts < cd) continue; /* an older complex deletion */
                if (GONE(c->ts, c->ldt)) continue;
            } else {
                if (cd != DB_NO_TS && c->ts <= cd) continue;
                int dead = c->kind != DB_CELL_LIVE || (c->ttl > 0 && c->ldt <= now);
                if (dead && GONE(c->ts, c->ldt)) continue;
            }
            out->cells[n++] = *c;
        }
        i = j;
    }
    out->n_cells = n;
    if (out->del.ts != DB_NO_TS && GONE(out->del.ts, out->del.ldt)) out->del.ts = DB_NO_TS;
#undef GONE
    return out->live_ts != DB_NO_TS || out->del.ts != DB_NO_TS || n > 0;
}

int memt_compact_part(const struct mpart *p, const struct schema_table *t, int64_t gc_before,
                      int64_t purge_below_ts, int32_t now, arena *a, struct memt_compacted *out)
{
    memset(out, 0, sizeof(*out));
    out->token = p->token;
    out->key = p->key;
    out->pdel = p->pdel;
#define PURGEABLE(del) ((del).ts != DB_NO_TS && (del).ldt < gc_before && (del).ts < purge_below_ts)
    bool purge = purge_below_ts != DB_NO_TS;
    /* a tombstone can go only if no source outside this compaction may
     * hold data it shadows: its timestamp is below purge_below_ts */
    int64_t pd = p->pdel.ts;
    if (purge && PURGEABLE(p->pdel)) out->pdel.ts = DB_NO_TS;
    if (p->n_rts) {
        out->rts = arena_alloc(a, sizeof(*out->rts) * (size_t)p->n_rts);
        if (!out->rts) return -1;
        for (int i = 0; i < p->n_rts; i++) {
            if (pd != DB_NO_TS && p->rts[i].del.ts <= pd) continue; /* shadowed by pdel */
            if (purge && PURGEABLE(p->rts[i].del)) continue;
            out->rts[out->n_rts++] = p->rts[i];
        }
    }
    if (p->srow) {
        struct db_row *sr = arena_alloc(a, sizeof(*sr));
        if (!sr) return -1;
        int k = purge_row(&p->srow->r, pd, gc_before, purge_below_ts, now, a, sr);
        if (k < 0) return -1;
        if (k) out->srow = sr;
    }
    out->rows = p->n_rows ? arena_alloc(a, sizeof(*out->rows) * (size_t)p->n_rows) : NULL;
    if (p->n_rows && !out->rows) return -1;
    for (struct mrow *r = p->rhead[0]; r; r = r->next[0]) {
        int64_t d = row_deletion((struct mpart *)p, t, &r->r);
        int k = purge_row(&r->r, d, gc_before, purge_below_ts, now, a, &out->rows[out->n_rows]);
        if (k < 0) return -1;
        if (k) out->n_rows++;
    }
#undef PURGEABLE
    return 0;
}
