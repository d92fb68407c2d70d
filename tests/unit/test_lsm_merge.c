/*
 * test_lsm_merge.c -- the LSM read path's reconciliation (src/db): random
 * writes (cells, TTLs, cell/row/range/partition deletions, static cells,
 * out-of-order timestamps) are split over two memtables and an sstable
 * written by the flush walk (memt_part_raw / memt_rows_*), merged back with
 * memt_merge_part and the sstable rows, and every read shape (all rows,
 * slices, reversed, `after`) must equal a memtable that got every write.
 * Compaction's view (memt_compact_part), with and without purging every
 * tombstone, must read the same too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "db/memtable.h"
#include "storage/sstable/sst.h"
#include "types/type.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/murmur3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct schema_column cols[4];
static struct schema_table T;
static char dir[256];
static const char *TD = "ks/t-0";
static uint32_t rng = 12345;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng % n;
}

static void setup_table(int desc)
{
    cols[0] = (struct schema_column){
        "pk", (struct type *)type_native(TYPE_INT), COL_PARTITION_KEY, 0, 0, 0};
    cols[1] = (struct schema_column){
        "ck", (struct type *)type_native(TYPE_INT), COL_CLUSTERING, 0, desc, 1};
    cols[2] =
        (struct schema_column){"v", (struct type *)type_native(TYPE_INT), COL_REGULAR, -1, 0, 2};
    cols[3] =
        (struct schema_column){"s", (struct type *)type_native(TYPE_INT), COL_STATIC, -1, 0, 3};
    memset(&T, 0, sizeof(T));
    T.name = "t";
    T.n_cols = 4;
    T.cols = cols;
    T.n_pk = 1;
    T.n_ck = 1;
}

static uint8_t ints[64][4];

static db_val ival(int i)
{
    put_be32(ints[i], (uint32_t)i);
    return (db_val){ints[i], 4};
}

#define NOW 1000000

/* One random mutation of partition pk (0..2) in arena a. */
static void random_mutation(arena *a, struct db_mutation *m, int pk)
{
    db_mutation_init(m);
    m->key = ival(pk);
    m->token = mm3_token(m->key.p, 4);
    int64_t ts = 1 + rnd(1000);
    int kind = (int)rnd(20);
    if (kind == 0) {
        m->pdel = (struct db_del){ts, NOW};
        return;
    }
    if (kind <= 2) {
        m->n_rts = 1;
        m->rts = arena_calloc(a, sizeof(*m->rts));
        int lo = (int)rnd(20), hi = lo + (int)rnd(8);
        m->rts->start = arena_alloc(a, sizeof(db_val));
        m->rts->end = arena_alloc(a, sizeof(db_val));
        m->rts->start[0] = ival(lo);
        m->rts->end[0] = ival(hi);
        m->rts->n_start = m->rts->n_end = 1;
        m->rts->start_incl = rnd(2);
        m->rts->end_incl = rnd(2);
        m->rts->del = (struct db_del){ts, NOW};
        return;
    }
    struct db_row *r = arena_calloc(a, sizeof(*r));
    r->live_ts = DB_NO_TS;
    r->del.ts = DB_NO_TS;
    r->cells = arena_calloc(a, sizeof(struct db_cell));
    r->n_cells = 1;
    struct db_cell *c = r->cells;
    c->ts = ts;
    c->path = (db_val){NULL, -1};
    if (kind == 3) { /* static cell */
        c->col = 3;
        c->value = ival((int)rnd(64));
        m->srow = r;
        return;
    }
    r->ck = arena_alloc(a, sizeof(db_val));
    r->ck[0] = ival((int)rnd(30));
    r->n_ck = 1;
    c->col = 2;
    if (kind == 4) {
        r->n_cells = 0;
        r->del = (struct db_del){ts, NOW};
    } else if (kind == 5) {
        c->kind = DB_CELL_TOMB;
        c->value = (db_val){NULL, -1};
        c->ldt = NOW;
    } else {
        c->value = ival((int)rnd(64));
        if (kind == 6) { /* expired or not, against NOW */
            c->ttl = 10;
            c->ldt = NOW - 5 + (int)rnd(10);
        }
        if (kind >= 10) r->live_ts = ts;
    }
    m->rows = r;
    m->n_rows = 1;
}

struct out {
    buf b;
};

static void put_row(buf *b, const struct db_rrow *r)
{
    buf_put_be32(b, (uint32_t)r->n_ck);
    for (int i = 0; r->ck && i < r->n_ck; i++)
        buf_put(b, r->ck[i].p, 4);
    buf_put_be64(b, (uint64_t)r->live_ts);
    for (int ci = 0; ci < T.n_cols; ci++) {
        buf_put_be32(b, (uint32_t)r->cols[ci].n);
        for (int k = 0; k < r->cols[ci].n; k++) {
            const struct db_cell *c = &r->cols[ci].cells[k];
            buf_put_be64(b, (uint64_t)c->ts);
            buf_put_be32(b, (uint32_t)c->value.len);
            if (c->value.len > 0) buf_put(b, c->value.p, (size_t)c->value.len);
        }
    }
}

static int on_row(void *arg, const struct db_rrow *r)
{
    put_row(&((struct out *)arg)->b, r);
    return 0;
}

static int on_static(void *arg, const struct db_rrow *r)
{
    buf_put_u8(&((struct out *)arg)->b, 0xEE);
    put_row(&((struct out *)arg)->b, r);
    return 0;
}

/* Everything a read shape shows of p, as bytes. */
static void read_all(struct mpart *p, const struct db_slice *sl, int n_sl, bool rev,
                     const db_val *after, buf *dst)
{
    arena a;
    arena_init(&a, 4096);
    struct out o;
    buf_init(&o.b);
    if (p) {
        struct db_read rd = {.t = &T,
                             .now = NOW,
                             .slices = sl,
                             .n_slices = n_sl,
                             .reversed = rev,
                             .after = after,
                             .n_after = after ? 1 : 0,
                             .a = &a,
                             .on_static = on_static,
                             .on_row = on_row,
                             .arg = &o};
        assert_int_equal(memt_read(p, &rd), 0);
        buf_put_u8(&o.b, (uint8_t)memt_part_live(p, &T, NOW));
    }
    buf_clear(dst);
    buf_put(dst, o.b.data, o.b.len);
    buf_free(&o.b);
    arena_destroy(&a);
}

/* The flush walk of src/db/db.c (flush_work), into generation gen. */
static struct sst_reader *flush(struct memtable *m, uint64_t gen)
{
    struct sst_writer *w;
    char err[256];
    assert_int_equal(sst_writer_open(dir, TD, gen, &T, NULL, 4, &w, err, sizeof(err)), 0);
    for (struct mpart *p = memt_first(m); p; p = memt_next(p)) {
        struct memt_raw_part rp;
        memt_part_raw(p, &rp);
        assert_int_equal(sst_writer_begin_partition(w, rp.token, rp.key, rp.pdel, rp.srow), 0);
        for (int i = 0; i < rp.n_rts; i++)
            assert_int_equal(sst_writer_add_rt(w, &rp.rts[i]), 0);
        for (const struct mrow *r = memt_rows_first(p); r; r = memt_rows_next(r))
            assert_int_equal(sst_writer_add_row(w, memt_row_data(r)), 0);
        assert_int_equal(sst_writer_end_partition(w), 0);
    }
    assert_int_equal(sst_writer_finish(w, NULL), 0);
    struct sst_reader *r;
    assert_int_equal(sst_open(dir, TD, gen, &T, &r, err, sizeof(err)), 0);
    return r;
}

/* The sstable half of db.c's merge_sst (whole partition). */
static void merge_sst(struct memtable *dst, struct sst_reader *r, int64_t tok, db_val key, arena *a)
{
    if (!sst_may_contain(r, tok, key)) return;
    struct sst_partition sp;
    int f = sst_partition_find(r, tok, key, &sp, a);
    assert_true(f >= 0);
    if (!f) return;
    struct db_mutation mu;
    db_mutation_init(&mu);
    mu.token = tok;
    mu.key = sp.key;
    mu.pdel = sp.pdel;
    mu.srow = sp.srow;
    mu.rts = sp.rts;
    mu.n_rts = sp.n_rts;
    assert_int_equal(memt_apply(dst, &T, &mu, NOW), 0);
    struct sst_row_iter it;
    assert_int_equal(sst_rows_seek(&sp, NULL, 0, true, &it), 0);
    struct db_row row;
    mu.pdel.ts = DB_NO_TS;
    mu.srow = NULL;
    mu.n_rts = 0;
    mu.rows = &row;
    mu.n_rows = 1;
    while (sst_rows_next(&it, &row, a) == 1)
        assert_int_equal(memt_apply(dst, &T, &mu, NOW), 0);
}

static void run(int desc)
{
    setup_table(desc);
    snprintf(dir, sizeof(dir), "/tmp/test_lsm_merge.%d", (int)getpid());
    for (int round = 0; round < 40; round++) {
        struct memtable *all = memt_create(), *ma = memt_create(), *mb = memt_create(),
                        *mc = memt_create();
        arena a;
        arena_init(&a, 65536);
        for (int i = 0; i < 300; i++) {
            struct db_mutation m;
            random_mutation(&a, &m, (int)rnd(3));
            struct memtable *part = rnd(3) == 0 ? ma : rnd(2) ? mb : mc;
            assert_int_equal(memt_apply(all, &T, &m, NOW), 0);
            assert_int_equal(memt_apply(part, &T, &m, NOW), 0);
        }
        uint64_t gen = (uint64_t)round + 1;
        struct sst_reader *r = flush(mb, gen);
        buf want, got;
        buf_init(&want);
        buf_init(&got);
        for (int pk = 0; pk < 4; pk++) {
            db_val key = ival(pk);
            int64_t tok = mm3_token(key.p, 4);
            struct memtable *mg = memt_create_in(&a);
            struct mpart *pa = memt_find(ma, tok, key), *pc = memt_find(mc, tok, key);
            if (pa) assert_int_equal(memt_merge_part(mg, &T, pa, NULL, 0, NOW), 0);
            if (pc) assert_int_equal(memt_merge_part(mg, &T, pc, NULL, 0, NOW), 0);
            merge_sst(mg, r, tok, key, &a);
            struct mpart *pm = memt_first(mg), *pw = memt_find(all, tok, key);
            assert_true((pm == NULL) == (pw == NULL));
            /* compaction's view: without purging, and purging every
             * tombstone (all data is in the view), reads are unchanged */
            struct mpart *pc0 = NULL, *pc1 = NULL;
            for (int purge = 0; pw && purge < 2; purge++) {
                struct memt_compacted cp;
                assert_int_equal(memt_compact_part(pw, &T, purge ? INT64_MAX : 0,
                                                   purge ? INT64_MAX : DB_NO_TS, NOW, &a, &cp),
                                 0);
                struct memtable *mx = memt_create_in(&a);
                struct db_mutation mu;
                db_mutation_init(&mu);
                mu.token = cp.token;
                mu.key = cp.key;
                mu.pdel = cp.pdel;
                mu.rts = cp.rts;
                mu.n_rts = cp.n_rts;
                mu.srow = cp.srow;
                mu.rows = cp.rows;
                mu.n_rows = cp.n_rows;
                assert_int_equal(memt_apply(mx, &T, &mu, NOW), 0);
                if (purge) {
                    assert_int_equal(cp.pdel.ts, DB_NO_TS);
                    assert_int_equal(cp.n_rts, 0);
                    for (int i = 0; i < cp.n_rows; i++) {
                        assert_int_equal(cp.rows[i].del.ts, DB_NO_TS);
                        for (int k = 0; k < cp.rows[i].n_cells; k++)
                            assert_int_equal(cp.rows[i].cells[k].kind, DB_CELL_LIVE);
                    }
                }
                *(purge ? &pc1 : &pc0) = memt_first(mx);
            }
            /* slices: [5, 12) and (20, 25] in clustering order */
            db_val b[4] = {ival(5), ival(12), ival(20), ival(25)};
            struct db_slice sl[2] = {{&b[0], 1, true, &b[1], 1, false},
                                     {&b[2], 1, false, &b[3], 1, true}};
            if (desc) {
                sl[0] = (struct db_slice){&b[3], 1, true, &b[2], 1, false};
                sl[1] = (struct db_slice){&b[1], 1, false, &b[0], 1, true};
            }
            db_val after = ival(15);
            for (int shape = 0; shape < 6; shape++) {
                const struct db_slice *s = shape >= 2 && shape < 4 ? sl : NULL;
                int ns = s ? 2 : 0;
                bool rev = shape & 1;
                const db_val *af = shape >= 4 ? &after : NULL;
                read_all(pw, s, ns, rev, af, &want);
                read_all(pm, s, ns, rev, af, &got);
                assert_int_equal(got.len, want.len);
                assert_memory_equal(got.data, want.data, want.len);
                if (pw) {
                    read_all(pc0, s, ns, rev, af, &got);
                    assert_int_equal(got.len, want.len);
                    assert_memory_equal(got.data, want.data, want.len);
                    read_all(pc1, s, ns, rev, af, &got);
                    assert_int_equal(got.len, want.len);
                    assert_memory_equal(got.data, want.data, want.len);
                }
                if (s && pa) { /* slice-bounded merge of the memtable part */
                    struct memtable *m2 = memt_create_in(&a);
                    assert_int_equal(memt_merge_part(m2, &T, pa, s, ns, NOW), 0);
                    read_all(memt_first(m2), s, ns, rev, NULL, &got);
                    read_all(pa, s, ns, rev, NULL, &want);
                    assert_int_equal(got.len - 1, want.len - 1); /* liveness byte may differ */
                    assert_memory_equal(got.data, want.data, want.len - 1);
                }
            }
        }
        buf_free(&want);
        buf_free(&got);
        sst_mark_obsolete(r);
        sst_unref(r);
        memt_destroy(all);
        memt_destroy(ma);
        memt_destroy(mb);
        memt_destroy(mc);
        arena_destroy(&a);
    }
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void t_merge_asc(void **st)
{
    (void)st;
    run(0);
}

static void t_merge_desc(void **st)
{
    (void)st;
    run(1);
}

static void t_slice_cmp(void **st)
{
    (void)st;
    setup_table(0);
    db_val b[2] = {ival(5), ival(10)};
    struct db_slice s = {&b[0], 1, true, &b[1], 1, false};
    db_val x;
    x = ival(4);
    assert_int_equal(db_slice_cmp(&T, &x, 1, &s), -1);
    x = ival(5);
    assert_int_equal(db_slice_cmp(&T, &x, 1, &s), 0);
    x = ival(10);
    assert_int_equal(db_slice_cmp(&T, &x, 1, &s), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_merge_asc),
        cmocka_unit_test(t_merge_desc),
        cmocka_unit_test(t_slice_cmp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
