/*
 * mutation.c -- see mutation.h. Binary layout (big-endian), after the
 * record type byte DB_REC_MUTATION:
 *
 *   16 table_id | i64 token | val key | del pdel
 *   u8 has_static [row] | u32 n_rows row* | u32 n_rts rt*
 *   row  := u16 n_ck val* | i64 live_ts | i32 live_ttl | u32 live_ldt | del | u32 n_cells cell*
 *   cell := u16 col | u8 kind | i64 ts | i32 ttl | u32 ldt | val path | val value
 *   rt   := u16 n_start val* | u8 start_incl | u16 n_end val* | u8 end_incl | del
 *   del  := i64 ts | u32 ldt   (local deletion times are unsigned seconds: valid to 2106)
 *   val  := i32 len (-1 null) | bytes
 */
#include "db/mutation.h"

#include <stdlib.h>
#include <string.h>

void db_mutation_init(struct db_mutation *m)
{
    memset(m, 0, sizeof(*m));
    m->pdel.ts = DB_NO_TS;
}

static void put_val(buf *b, db_val v)
{
    buf_put_be32(b, (uint32_t)v.len);
    if (v.len > 0) buf_put(b, v.p, (size_t)v.len);
}

static void put_del(buf *b, struct db_del d)
{
    buf_put_be64(b, (uint64_t)d.ts);
    buf_put_be32(b, (uint32_t)d.ldt);
}

static void put_row(buf *b, const struct db_row *r)
{
    buf_put_be16(b, (uint16_t)r->n_ck);
    for (int i = 0; i < r->n_ck; i++)
        put_val(b, r->ck[i]);
    buf_put_be64(b, (uint64_t)r->live_ts);
    buf_put_be32(b, (uint32_t)r->live_ttl);
    buf_put_be32(b, (uint32_t)r->live_ldt);
    put_del(b, r->del);
    buf_put_be32(b, (uint32_t)r->n_cells);
    for (int i = 0; i < r->n_cells; i++) {
        const struct db_cell *c = &r->cells[i];
        buf_put_be16(b, c->col);
        buf_put_u8(b, c->kind);
        buf_put_be64(b, (uint64_t)c->ts);
        buf_put_be32(b, (uint32_t)c->ttl);
        buf_put_be32(b, (uint32_t)c->ldt);
        put_val(b, c->path);
        put_val(b, c->value);
    }
}

void db_mutation_serialize(const struct db_mutation *m, buf *b)
{
    buf_put_u8(b, DB_REC_MUTATION);
    buf_put(b, m->table_id, 16);
    buf_put_be64(b, (uint64_t)m->token);
    put_val(b, m->key);
    put_del(b, m->pdel);
    buf_put_u8(b, m->srow != NULL);
    if (m->srow) put_row(b, m->srow);
    buf_put_be32(b, (uint32_t)m->n_rows);
    for (int i = 0; i < m->n_rows; i++)
        put_row(b, &m->rows[i]);
    buf_put_be32(b, (uint32_t)m->n_rts);
    for (int i = 0; i < m->n_rts; i++) {
        const struct db_rt *rt = &m->rts[i];
        buf_put_be16(b, (uint16_t)rt->n_start);
        for (int k = 0; k < rt->n_start; k++)
            put_val(b, rt->start[k]);
        buf_put_u8(b, rt->start_incl);
        buf_put_be16(b, (uint16_t)rt->n_end);
        for (int k = 0; k < rt->n_end; k++)
            put_val(b, rt->end[k]);
        buf_put_u8(b, rt->end_incl);
        put_del(b, rt->del);
    }
}

struct rd {
    const uint8_t *p;
    size_t n, pos;
    int err;
};

static const uint8_t *take(struct rd *r, size_t k)
{
    if (r->err || r->n - r->pos < k) {
        r->err = 1;
        return NULL;
    }
    const uint8_t *q = r->p + r->pos;
    r->pos += k;
    return q;
}

static uint64_t u64(struct rd *r)
{
    const uint8_t *q = take(r, 8);
    return q ? be64(q) : 0;
}
static uint32_t u32(struct rd *r)
{
    const uint8_t *q = take(r, 4);
    return q ? be32(q) : 0;
}
static uint16_t u16(struct rd *r)
{
    const uint8_t *q = take(r, 2);
    return q ? be16(q) : 0;
}
static uint8_t u8(struct rd *r)
{
    const uint8_t *q = take(r, 1);
    return q ? q[0] : 0;
}

static db_val val(struct rd *r)
{
    db_val v = {NULL, (int32_t)u32(r)};
    if (v.len < -1) r->err = 1;
    if (v.len > 0) v.p = take(r, (size_t)v.len);
    if (r->err) v.len = -1;
    return v;
}

static struct db_del del(struct rd *r)
{
    struct db_del d;
    d.ts = (int64_t)u64(r);
    d.ldt = (int64_t)u32(r);
    return d;
}

static db_val *vals(struct rd *r, arena *a, int n)
{
    if (n == 0) return NULL;
    if ((size_t)n * 4 > r->n - r->pos) {
        r->err = 1;
        return NULL;
    }
    db_val *v = arena_alloc(a, sizeof(*v) * (size_t)n);
    if (!v) {
        r->err = 1;
        return NULL;
    }
    for (int i = 0; i < n; i++)
        v[i] = val(r);
    return v;
}

static int row(struct rd *r, arena *a, struct db_row *out)
{
    out->n_ck = u16(r);
    out->ck = vals(r, a, out->n_ck);
    out->live_ts = (int64_t)u64(r);
    out->live_ttl = (int32_t)u32(r);
    out->live_ldt = (int64_t)u32(r);
    out->del = del(r);
    uint32_t nc = u32(r);
    if (r->err || (size_t)nc * 31 > r->n - r->pos) return r->err = 1, -1;
    out->n_cells = (int)nc;
    out->cells = nc ? arena_alloc(a, sizeof(*out->cells) * nc) : NULL;
    if (nc && !out->cells) return r->err = 1, -1;
    for (uint32_t i = 0; i < nc; i++) {
        struct db_cell *c = &out->cells[i];
        c->col = u16(r);
        c->kind = u8(r);
        c->ts = (int64_t)u64(r);
        c->ttl = (int32_t)u32(r);
        c->ldt = (int64_t)u32(r);
        c->path = val(r);
        c->value = val(r);
    }
    return r->err ? -1 : 0;
}

int db_mutation_deserialize(const uint8_t *p, size_t n, arena *a, struct db_mutation *m)
{
    struct rd r = {p, n, 0, 0};
    db_mutation_init(m);
    const uint8_t *id = take(&r, 16);
    if (id) memcpy(m->table_id, id, 16);
    m->token = (int64_t)u64(&r);
    m->key = val(&r);
    m->pdel = del(&r);
    if (u8(&r)) {
        m->srow = arena_calloc(a, sizeof(*m->srow));
        if (!m->srow || row(&r, a, m->srow) < 0) return -1;
    }
    uint32_t nr = u32(&r);
    if (r.err || (size_t)nr * 30 > r.n - r.pos) return -1;
    m->n_rows = (int)nr;
    m->rows = nr ? arena_calloc(a, sizeof(*m->rows) * nr) : NULL;
    if (nr && !m->rows) return -1;
    for (uint32_t i = 0; i < nr; i++)
        if (row(&r, a, &m->rows[i]) < 0) return -1;
    uint32_t nt = u32(&r);
    if (r.err || (size_t)nt * 18 > r.n - r.pos) return -1;
    m->n_rts = (int)nt;
    m->rts = nt ? arena_calloc(a, sizeof(*m->rts) * nt) : NULL;
    if (nt && !m->rts) return -1;
    for (uint32_t i = 0; i < nt; i++) {
        struct db_rt *rt = &m->rts[i];
        rt->n_start = u16(&r);
        rt->start = vals(&r, a, rt->n_start);
        rt->start_incl = u8(&r);
        rt->n_end = u16(&r);
        rt->end = vals(&r, a, rt->n_end);
        rt->end_incl = u8(&r);
        rt->del = del(&r);
    }
    return r.err || r.pos != r.n ? -1 : 0;
}

static int cmp_val_bytes(db_val a, db_val b)
{
    if (a.len < 0 || b.len < 0) return (a.len >= 0) - (b.len >= 0);
    size_t k = (size_t)(a.len < b.len ? a.len : b.len);
    int c = k ? memcmp(a.p, b.p, k) : 0;
    return c ? c : (a.len > b.len) - (a.len < b.len);
}

static int cmp_cell(const void *x, const void *y)
{
    const struct db_cell *a = x, *b = y;
    if (a->col != b->col) return a->col < b->col ? -1 : 1;
    return cmp_val_bytes(a->path, b->path);
}

static void sort_row(struct db_row *r)
{
    if (r && r->n_cells > 1) qsort(r->cells, (size_t)r->n_cells, sizeof(*r->cells), cmp_cell);
}

void db_mutation_sort_cells(struct db_mutation *m)
{
    sort_row(m->srow);
    for (int i = 0; i < m->n_rows; i++)
        sort_row(&m->rows[i]);
}
