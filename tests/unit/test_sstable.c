/*
 * test_sstable.c -- the sstable writer and reader on real files in a
 * temporary directory: round trips of every cell kind, static rows, range
 * tombstones, single and composite keys, a 100k-row partition, every
 * compression, point lookups, scans and clustering seeks against an
 * in-memory model; bloom false-positive rate; the I/O cost of a lookup and
 * of a slice; bit flips in every component and truncations of every
 * component (detected, with the file and offset named); crashes at every
 * write/fsync/rename/open of the writer (no sstable or a complete one);
 * EIO/ENOSPC/short writes on the write path and EIO on the read path;
 * sst_list / sst_remove / obsolete readers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "db/memtable.h"
#include "storage/io.h"
#include "storage/sstable/sst.h"
#include "types/type.h"
#include "util/mem.h"
#include "util/murmur3.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the table: pk int | ck1 int ASC, ck2 text DESC | cells by id ---- */

static struct schema_column cols[4];
static struct schema_table T;
static char dir[256];
static const char *TD = "ks-t1";

static void setup_table(void)
{
    cols[0] = (struct schema_column){
        "pk", (struct type *)type_native(TYPE_INT), COL_PARTITION_KEY, 0, 0, 0};
    cols[1] = (struct schema_column){
        "ck1", (struct type *)type_native(TYPE_INT), COL_CLUSTERING, 0, 0, 1};
    cols[2] = (struct schema_column){
        "ck2", (struct type *)type_native(TYPE_VARCHAR), COL_CLUSTERING, 1, 1, 2};
    cols[3] =
        (struct schema_column){"v", (struct type *)type_native(TYPE_INT), COL_REGULAR, -1, 0, 3};
    T.name = "t1";
    T.n_cols = 4;
    T.cols = cols;
    T.n_pk = 1;
    T.n_ck = 2;
}

static void rm_rf(const char *d)
{
    DIR *dp = opendir(d);
    if (!dp) return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(dp)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(p, sizeof(p), "%s/%s", d, e->d_name);
            struct stat st;
            if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
                rm_rf(p);
            else
                unlink(p);
        }
    closedir(dp);
    rmdir(d);
}

static int64_t mem0;

static int setup(void **state)
{
    snprintf(dir, sizeof(dir), "/tmp/sst_test_XXXXXX");
    assert_non_null(mkdtemp(dir));
    sio_fault_reset();
    mem0 = mem_outstanding();
    return 0;
}

static int teardown(void **state)
{
    sio_fault_reset();
    rm_rf(dir);
    assert_int_equal(mem_outstanding(), mem0); /* no leak */
    return 0;
}

/* ---- the model ---- */

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

struct mpart_m {
    int64_t token;
    db_val key;
    struct db_del pdel;
    struct db_row *srow;
    struct db_rt *rts;
    int n_rts;
    struct db_row *rows;
    int n_rows;
};

struct model {
    arena a;
    struct mpart_m *p;
    int n;
    uint64_t n_rows, n_cells, n_tomb_cells, n_rowdel, n_rts, n_pdel;
};

static db_val mkval(arena *a, const void *p, int32_t n)
{
    db_val v = {NULL, n};
    if (n >= 0) {
        uint8_t *d = arena_alloc(a, (size_t)n + 1);
        if (n) memcpy(d, p, (size_t)n);
        v.p = d;
    }
    return v;
}

static db_val int_val(arena *a, int32_t x)
{
    uint8_t b[4] = {(uint8_t)(x >> 24), (uint8_t)(x >> 16), (uint8_t)(x >> 8), (uint8_t)x};
    return mkval(a, b, 4);
}

/* Clustering of row j: ck1 = j / 3 (ASC), ck2 = "c2","c1","c0" (DESC). */
static db_val *row_ck(arena *a, int j)
{
    db_val *ck = arena_alloc(a, 2 * sizeof(db_val));
    ck[0] = int_val(a, j / 3);
    char s[8];
    snprintf(s, sizeof(s), "c%d", 2 - j % 3);
    ck[1] = mkval(a, s, 2);
    return ck;
}

static void gen_cells(struct model *m, struct db_row *r, int maxc)
{
    int n = (int)(rnd() % (unsigned)(maxc + 1));
    r->cells = arena_alloc(&m->a, sizeof(struct db_cell) * (size_t)(n + 1));
    r->n_cells = n;
    for (int i = 0; i < n; i++) {
        struct db_cell *c = &r->cells[i];
        memset(c, 0, sizeof(*c));
        c->col = (uint16_t)(3 + i);
        c->ts = 1700000000000000ll + (int64_t)(rnd() % 1000000);
        c->path.len = -1;
        c->value.len = -1;
        switch (rnd() % 6) {
        case 0:
            c->kind = DB_CELL_LIVE;
            c->value = int_val(&m->a, (int32_t)rnd());
            break;
        case 1:
            c->kind = DB_CELL_LIVE;
            c->ttl = 3600;
            c->ldt = 1700003600 + (int64_t)(rnd() % 100);
            c->value = mkval(&m->a, "", 0); /* empty, not null */
            break;
        case 2:
            c->kind = DB_CELL_TOMB;
            c->ldt = 1700000000 + (int64_t)(rnd() % 100000);
            m->n_tomb_cells++;
            break;
        case 3: { /* collection element: path + value */
            c->kind = DB_CELL_LIVE;
            char k[16];
            int kl = snprintf(k, sizeof(k), "key%u", (unsigned)(rnd() % 1000));
            c->path = mkval(&m->a, k, kl);
            c->value = int_val(&m->a, 7);
            break;
        }
        case 4:
            c->kind = DB_CELL_COMPLEX_DEL;
            c->ldt = 1700000000 + (int64_t)(rnd() % 100000);
            m->n_tomb_cells++;
            break;
        default: { /* a larger value, sometimes spanning chunks */
            c->kind = DB_CELL_LIVE;
            int l = (int)(rnd() % 3000);
            uint8_t *b = arena_alloc(&m->a, (size_t)l + 1);
            for (int k = 0; k < l; k++)
                b[k] = (uint8_t)(k * 7 + l);
            c->value = (db_val){b, l};
        }
        }
        m->n_cells++;
    }
}

static void gen_row(struct model *m, struct db_row *r, int j, int maxc)
{
    memset(r, 0, sizeof(*r));
    r->ck = row_ck(&m->a, j);
    r->n_ck = 2;
    r->live_ts = DB_NO_TS;
    r->del.ts = DB_NO_TS;
    if (rnd() % 2) {
        r->live_ts = 1700000000000000ll + j;
        if (rnd() % 4 == 0) {
            r->live_ttl = 60;
            r->live_ldt = 1700000060;
        }
    }
    if (rnd() % 10 == 0) {
        r->del.ts = 1600000000000000ll;
        r->del.ldt = 1600000000;
        m->n_rowdel++;
    }
    gen_cells(m, r, maxc);
}

static int cmp_mpart(const void *a, const void *b)
{
    const struct mpart_m *x = a, *y = b;
    if (x->token != y->token) return x->token < y->token ? -1 : 1;
    int32_t n = x->key.len < y->key.len ? x->key.len : y->key.len;
    int c = memcmp(x->key.p, y->key.p, (size_t)n);
    if (c) return c;
    return (x->key.len > y->key.len) - (x->key.len < y->key.len);
}

/* Composite key (CompositeType): per component u16 length, bytes, 0. */
static db_val composite_key(arena *a, int i)
{
    uint8_t b[64];
    int n = 0;
    b[n++] = 0;
    b[n++] = 4;
    b[n++] = (uint8_t)(i >> 24);
    b[n++] = (uint8_t)(i >> 16);
    b[n++] = (uint8_t)(i >> 8);
    b[n++] = (uint8_t)i;
    b[n++] = 0;
    char s[16];
    int l = snprintf(s, sizeof(s), "k%d", i % 97);
    b[n++] = 0;
    b[n++] = (uint8_t)l;
    memcpy(b + n, s, (size_t)l);
    n += l;
    b[n++] = 0;
    return mkval(a, b, n);
}

/* n partitions (composite keys when composite), plus one of wide_rows rows. */
static void model_build(struct model *m, int n, int composite, int wide_rows, int max_rows)
{
    memset(m, 0, sizeof(*m));
    arena_init(&m->a, 1 << 20);
    m->n = n + (wide_rows ? 1 : 0);
    m->p = arena_calloc(&m->a, sizeof(struct mpart_m) * (size_t)m->n);
    for (int i = 0; i < m->n; i++) {
        struct mpart_m *p = &m->p[i];
        p->key = composite ? composite_key(&m->a, i) : int_val(&m->a, i);
        p->token = mm3_token(p->key.p, (size_t)p->key.len);
        p->pdel.ts = DB_NO_TS;
        if (rnd() % 10 == 0) {
            p->pdel = (struct db_del){1500000000000000ll, 1500000000};
            m->n_pdel++;
        }
        if (rnd() % 3 == 0) {
            p->srow = arena_calloc(&m->a, sizeof(struct db_row));
            p->srow->live_ts = DB_NO_TS;
            p->srow->del.ts = DB_NO_TS;
            gen_cells(m, p->srow, 3);
        }
        p->n_rts = (int)(rnd() % 3);
        p->rts = arena_calloc(&m->a, sizeof(struct db_rt) * 3);
        for (int k = 0; k < p->n_rts; k++) {
            struct db_rt *rt = &p->rts[k];
            rt->start = row_ck(&m->a, k * 10);
            rt->n_start = (int)(rnd() % 3); /* 0: from the start */
            rt->start_incl = rnd() % 2;
            rt->end = row_ck(&m->a, k * 10 + 5);
            rt->n_end = (int)(rnd() % 3);
            rt->end_incl = rnd() % 2;
            rt->del = (struct db_del){1650000000000000ll + k, 1650000000 + k};
            m->n_rts++;
        }
        int nr = i == n ? wide_rows : (int)(rnd() % (unsigned)(max_rows + 1));
        p->rows = arena_alloc(&m->a, sizeof(struct db_row) * (size_t)(nr + 1));
        p->n_rows = nr;
        for (int j = 0; j < nr; j++)
            gen_row(m, &p->rows[j], j, i == n ? 2 : 4);
        m->n_rows += (uint64_t)nr;
    }
    qsort(m->p, (size_t)m->n, sizeof(struct mpart_m), cmp_mpart);
}

static void model_free(struct model *m)
{
    arena_destroy(&m->a);
}

static int write_model(const struct model *m, uint64_t gen, const struct sst_opts *o)
{
    struct sst_writer *w;
    char err[512];
    if (sst_writer_open(dir, TD, gen, &T, o, (uint64_t)m->n, &w, err, sizeof(err)) < 0) return -1;
    for (int i = 0; i < m->n; i++) {
        const struct mpart_m *p = &m->p[i];
        if (sst_writer_begin_partition(w, p->token, p->key, p->pdel, p->srow) < 0) goto fail;
        for (int k = 0; k < p->n_rts; k++)
            if (sst_writer_add_rt(w, &p->rts[k]) < 0) goto fail;
        for (int j = 0; j < p->n_rows; j++)
            if (sst_writer_add_row(w, &p->rows[j]) < 0) goto fail;
        if (sst_writer_end_partition(w) < 0) goto fail;
    }
    return sst_writer_finish(w, NULL);
fail : {
    int e = errno;
    sst_writer_abort(w);
    errno = e;
    return -1;
}
}

/* ---- comparisons ---- */

static void eq_val(db_val a, db_val b)
{
    assert_int_equal(a.len, b.len);
    if (a.len > 0) assert_memory_equal(a.p, b.p, (size_t)a.len);
}

static void eq_ck(const db_val *a, int na, const db_val *b, int nb)
{
    assert_int_equal(na, nb);
    for (int i = 0; i < na; i++)
        eq_val(a[i], b[i]);
}

static void eq_row(const struct db_row *a, const struct db_row *b)
{
    eq_ck(a->ck, a->n_ck, b->ck, b->n_ck);
    assert_true(a->live_ts == b->live_ts);
    assert_int_equal(a->live_ttl, b->live_ttl);
    assert_true(a->live_ldt == b->live_ldt);
    assert_true(a->del.ts == b->del.ts);
    assert_true(a->del.ldt == b->del.ldt);
    assert_int_equal(a->n_cells, b->n_cells);
    for (int i = 0; i < a->n_cells; i++) {
        const struct db_cell *x = &a->cells[i], *y = &b->cells[i];
        assert_int_equal(x->col, y->col);
        assert_int_equal(x->kind, y->kind);
        assert_true(x->ts == y->ts);
        assert_int_equal(x->ttl, y->ttl);
        assert_true(x->ldt == y->ldt);
        eq_val(x->path, y->path);
        eq_val(x->value, y->value);
    }
}

static void eq_header(const struct mpart_m *m, const struct sst_partition *p)
{
    assert_true(m->token == p->token);
    eq_val(m->key, p->key);
    assert_true(m->pdel.ts == p->pdel.ts);
    if (m->pdel.ts != DB_NO_TS) assert_true(m->pdel.ldt == p->pdel.ldt);
    assert_int_equal(m->n_rts, p->n_rts);
    for (int k = 0; k < m->n_rts; k++) {
        const struct db_rt *x = &m->rts[k], *y = &p->rts[k];
        eq_ck(x->start, x->n_start, y->start, y->n_start);
        eq_ck(x->end, x->n_end, y->end, y->n_end);
        assert_int_equal(x->start_incl, y->start_incl);
        assert_int_equal(x->end_incl, y->end_incl);
        assert_true(x->del.ts == y->del.ts && x->del.ldt == y->del.ldt);
    }
    assert_int_equal(m->srow != NULL, p->srow != NULL);
    if (m->srow) eq_row(m->srow, p->srow);
    assert_int_equal((uint64_t)m->n_rows, p->n_rows);
}

/* Reads all rows of p and compares them with m's from row `from`. */
static void eq_rows_from(const struct mpart_m *m, struct sst_partition *p, const db_val *bound,
                         int nb, bool incl, int from, int limit)
{
    struct sst_row_iter it;
    arena a;
    arena_init(&a, 1 << 16);
    assert_int_equal(sst_rows_seek(p, bound, nb, incl, &it), 0);
    struct db_row row;
    int j = from, rc = 0, all = limit < 0;
    while ((all || limit-- > 0) && (rc = sst_rows_next(&it, &row, &a)) == 1) {
        assert_true(j < m->n_rows);
        eq_row(&m->rows[j], &row);
        j++;
        arena_reset(&a);
    }
    if (rc < 0) fail_msg("rows: %s", sst_errmsg());
    if (all) {
        assert_int_equal(rc, 0);
        assert_int_equal(j, m->n_rows);
    }
    arena_destroy(&a);
}

/* Everything, through scan and through find. */
static void verify_all(const struct model *m, struct sst_reader *r)
{
    arena sa, pa;
    arena_init(&sa, 1 << 16);
    arena_init(&pa, 1 << 16);
    struct sst_scan sc;
    db_val nokey = {NULL, -1};
    assert_int_equal(sst_partition_seek(r, INT64_MIN, nokey, true, &sc, &sa), 0);
    struct sst_partition p;
    int i = 0, rc;
    while ((rc = sst_scan_next(&sc, &p, &pa)) == 1) {
        assert_true(i < m->n);
        eq_header(&m->p[i], &p);
        eq_rows_from(&m->p[i], &p, NULL, 0, true, 0, -1);
        i++;
        arena_reset(&pa);
    }
    if (rc < 0) fail_msg("scan: %s", sst_errmsg());
    assert_int_equal(i, m->n);
    for (i = 0; i < m->n; i++) {
        assert_int_equal(sst_may_contain(r, m->p[i].token, m->p[i].key), 1);
        rc = sst_partition_find(r, m->p[i].token, m->p[i].key, &p, &pa);
        if (rc != 1) fail_msg("find %d: rc %d %s", i, rc, sst_errmsg());
        eq_header(&m->p[i], &p);
        if (m->p[i].n_rows < 1000) eq_rows_from(&m->p[i], &p, NULL, 0, true, 0, -1);
        arena_reset(&pa);
    }
    arena_destroy(&sa);
    arena_destroy(&pa);
}

/* ---- tests ---- */

static void roundtrip(int comp, int composite)
{
    struct model m;
    model_build(&m, 3000, composite, 0, 12);
    struct sst_opts o;
    sst_opts_default(&o);
    o.compression = comp;
    o.chunk_len = 4096;
    o.index_interval = 32;
    assert_int_equal(write_model(&m, 1, &o), 0);
    struct sst_reader *r;
    char err[512];
    if (sst_open(dir, TD, 1, &T, &r, err, sizeof(err)) < 0) fail_msg("open: %s", err);
    verify_all(&m, r);
    const struct sst_stats *s = sst_stats(r);
    assert_int_equal(s->n_partitions, (uint64_t)m.n);
    assert_int_equal(s->n_rows, m.n_rows);
    assert_int_equal(s->n_cells, m.n_cells);
    assert_int_equal(s->n_cell_tombstones, m.n_tomb_cells);
    assert_int_equal(s->n_row_tombstones, m.n_rowdel);
    assert_int_equal(s->n_range_tombstones, m.n_rts);
    assert_int_equal(s->n_partition_tombstones, m.n_pdel);
    assert_true(s->min_token == m.p[0].token && s->max_token == m.p[m.n - 1].token);
    assert_true(s->min_ts == 1500000000000000ll); /* the partition deletions */
    uint64_t hist = 0;
    for (int i = 0; i < SST_SIZE_BUCKETS; i++)
        hist += s->part_size_hist[i];
    assert_int_equal(hist, (uint64_t)m.n);
    /* clustering bounds: rows 0 and the largest j anywhere */
    db_val *min = row_ck(&m.a, 0);
    eq_ck(s->min_ck, s->n_min_ck, min, 2);
    assert_int_equal(s->n_max_ck, 2);
    if (comp != SST_COMP_NONE) assert_true(s->data_file_bytes < s->data_bytes);
    /* absent keys */
    arena a;
    arena_init(&a, 1 << 16);
    for (int i = 0; i < 2000; i++) {
        db_val k = composite ? composite_key(&a, 1000000 + i) : int_val(&a, 1000000 + i);
        struct sst_partition p;
        assert_int_equal(sst_partition_find(r, mm3_token(k.p, (size_t)k.len), k, &p, &a), 0);
        arena_reset(&a);
    }
    arena_destroy(&a);
    sst_unref(r);
    model_free(&m);
}

static void t_roundtrip_lz4(void **s)
{
    roundtrip(SST_COMP_LZ4, 0);
}
static void t_roundtrip_zstd(void **s)
{
    roundtrip(SST_COMP_ZSTD, 1);
}
static void t_roundtrip_none(void **s)
{
    roundtrip(SST_COMP_NONE, 1);
}

/* Index of the first model row at or after (after when !incl) bound. */
static int model_seek(const struct mpart_m *p, const db_val *b, int nb, bool incl)
{
    int lo = 0, hi = p->n_rows;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        const struct db_row *r = &p->rows[mid];
        int n = nb < r->n_ck ? nb : r->n_ck;
        int c = db_ck_compare(&T, r->ck, n, b, n);
        if (c > 0 || (c == 0 && incl))
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static void t_wide_partition(void **s)
{
    struct model m;
    model_build(&m, 50, 0, 100000, 5);
    struct sst_opts o;
    sst_opts_default(&o);
    o.row_index_bytes = 8192;
    assert_int_equal(write_model(&m, 7, &o), 0);
    struct sst_reader *r;
    char err[512];
    if (sst_open(dir, TD, 7, &T, &r, err, sizeof(err)) < 0) fail_msg("open: %s", err);
    verify_all(&m, r);
    int wi = -1;
    for (int i = 0; i < m.n; i++)
        if (m.p[i].n_rows == 100000) wi = i;
    assert_true(wi >= 0);
    const struct mpart_m *wp = &m.p[wi];
    arena a;
    arena_init(&a, 1 << 16);
    struct sst_partition p;
    assert_int_equal(sst_partition_find(r, wp->token, wp->key, &p, &a), 1);
    assert_true(p.n_ri > 100); /* the row index exists */
    /* random slice starts: full and prefix bounds, inclusive and exclusive */
    for (int q = 0; q < 2000; q++) {
        int j = (int)(rnd() % 100010);
        db_val *b = row_ck(&a, j);
        int nb = 1 + (int)(rnd() % 2);
        bool incl = rnd() % 2;
        int want = model_seek(wp, b, nb, incl);
        uint64_t reads0 = sio_fault_calls(SIO_OP_READ);
        eq_rows_from(wp, &p, b, nb, incl, want, 3);
        /* a slice reads the index-block chunks it needs, not the partition */
        uint64_t reads = sio_fault_calls(SIO_OP_READ) - reads0;
        assert_true(reads <= 4);
    }
    /* a slice up to the end */
    db_val *b = row_ck(&a, 99000);
    eq_rows_from(wp, &p, b, 2, true, model_seek(wp, b, 2, true), -1);
    /* a point lookup reads one index block + the chunks of the header */
    for (int i = 0; i < m.n; i++) {
        uint64_t reads0 = sio_fault_calls(SIO_OP_READ);
        assert_int_equal(sst_partition_find(r, m.p[i].token, m.p[i].key, &p, &a), 1);
        assert_true(sio_fault_calls(SIO_OP_READ) - reads0 <= 3);
    }
    arena_destroy(&a);
    sst_unref(r);
    model_free(&m);
}

static void t_seek_scan(void **s)
{
    struct model m;
    model_build(&m, 2000, 0, 0, 2);
    struct sst_opts o;
    sst_opts_default(&o);
    o.index_interval = 16;
    assert_int_equal(write_model(&m, 3, &o), 0);
    struct sst_reader *r;
    char err[512];
    assert_int_equal(sst_open(dir, TD, 3, &T, &r, err, sizeof(err)), 0);
    arena sa, pa;
    arena_init(&sa, 1 << 16);
    arena_init(&pa, 1 << 16);
    for (int q = 0; q < 500; q++) {
        int i = (int)(rnd() % (unsigned)m.n);
        int mode = (int)(rnd() % 4);
        struct sst_scan sc;
        struct sst_partition p;
        int want;
        db_val key = m.p[i].key;
        int64_t tok = m.p[i].token;
        bool incl = true;
        if (mode == 0) {
            want = i;
        } else if (mode == 1) {
            incl = false;
            want = i + 1;
        } else if (mode == 2) {
            key = (db_val){NULL, -1};
            want = i;
            while (want > 0 && m.p[want - 1].token == tok)
                want--;
        } else {
            key = (db_val){NULL, -1};
            incl = false;
            want = i;
            while (want < m.n && m.p[want].token == tok)
                want++;
        }
        assert_int_equal(sst_partition_seek(r, tok, key, incl, &sc, &sa), 0);
        int64_t end = want + 5 < m.n ? m.p[want + 5].token : INT64_MAX;
        sst_scan_set_end(&sc, end);
        int got = 0, rc;
        while ((rc = sst_scan_next(&sc, &p, &pa)) == 1) {
            assert_true(want + got < m.n);
            eq_header(&m.p[want + got], &p);
            got++;
            arena_reset(&pa);
        }
        assert_int_equal(rc, 0);
        int expect = 0;
        while (want + expect < m.n && m.p[want + expect].token <= end)
            expect++;
        assert_int_equal(got, expect);
        arena_reset(&sa);
    }
    /* a seek between two existing tokens, and past the end */
    struct sst_scan sc;
    struct sst_partition p;
    assert_int_equal(sst_partition_seek(r, INT64_MAX, (db_val){NULL, -1}, true, &sc, &sa), 0);
    assert_int_equal(sst_scan_next(&sc, &p, &pa), 0);
    assert_int_equal(sst_partition_seek(r, m.p[10].token + 1, (db_val){NULL, -1}, true, &sc, &sa),
                     0);
    assert_int_equal(sst_scan_next(&sc, &p, &pa), 1);
    assert_true(p.token == m.p[11].token);
    arena_destroy(&sa);
    arena_destroy(&pa);
    sst_unref(r);
    model_free(&m);
}

static void bloom_rate(double fp)
{
    struct model m;
    model_build(&m, 20000, 0, 0, 0);
    struct sst_opts o;
    sst_opts_default(&o);
    o.bloom_fp = fp;
    assert_int_equal(write_model(&m, 11, &o), 0);
    struct sst_reader *r;
    char err[512];
    assert_int_equal(sst_open(dir, TD, 11, &T, &r, err, sizeof(err)), 0);
    arena a;
    arena_init(&a, 1 << 16);
    int fps = 0, n = 100000;
    for (int i = 0; i < n; i++) {
        db_val k = int_val(&a, 5000000 + i);
        /* the token check would hide the filter: use a token inside the bounds */
        fps += sst_may_contain(r, m.p[m.n / 2].token, k);
        arena_reset(&a);
    }
    double rate = (double)fps / n;
    print_message("bloom fp %.3f: measured %.4f\n", fp, rate);
    assert_true(rate <= 2 * fp);
    assert_true(rate > 0);
    arena_destroy(&a);
    sst_unref(r);
    sst_remove(dir, TD, 11);
    model_free(&m);
}

static void t_bloom(void **s)
{
    bloom_rate(0.01);
    bloom_rate(0.1);
    bloom_rate(0.001);
}

/* ---- corruption ---- */

static void path_of(char *out, size_t n, uint64_t gen, const char *comp)
{
    snprintf(out, n, "%s/%s/rdb-%llu-%s", dir, TD, (unsigned long long)gen, comp);
}

static const char *comps[] = {"Data.db",       "Index.db",           "Summary.db", "Filter.db",
                              "Statistics.db", "CompressionInfo.db", "TOC.db"};

static long file_size(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

static void flip(const char *p, long off)
{
    int fd = open(p, O_RDWR);
    uint8_t c;
    assert_int_equal(pread(fd, &c, 1, off), 1);
    c ^= (uint8_t)(1u << (off % 8));
    assert_int_equal(pwrite(fd, &c, 1, off), 1);
    close(fd);
}

/* Opens and reads everything; 0 when all matched the model, -1 on a
 * reported error (errno kept). Wrong data fails the test. */
static int read_everything(const struct model *m, uint64_t gen)
{
    struct sst_reader *r;
    char err[512];
    if (sst_open(dir, TD, gen, &T, &r, err, sizeof(err)) < 0) return -1;
    arena sa, pa;
    arena_init(&sa, 1 << 16);
    arena_init(&pa, 1 << 16);
    int rc = 0, i = 0;
    struct sst_scan sc;
    struct sst_partition p;
    if (sst_partition_seek(r, INT64_MIN, (db_val){NULL, -1}, true, &sc, &sa) < 0) {
        rc = -1;
        goto out;
    }
    while ((rc = sst_scan_next(&sc, &p, &pa)) == 1) {
        eq_header(&m->p[i], &p);
        struct sst_row_iter it;
        struct db_row row;
        sst_rows_seek(&p, NULL, 0, true, &it);
        int j = 0, k;
        while ((k = sst_rows_next(&it, &row, &pa)) == 1)
            eq_row(&m->p[i].rows[j++], &row);
        if (k < 0) {
            rc = -1;
            goto out;
        }
        assert_int_equal(j, m->p[i].n_rows);
        i++;
        arena_reset(&pa);
    }
    if (rc == 0) assert_int_equal(i, m->n);
out : {
    int e = errno;
    arena_destroy(&sa);
    arena_destroy(&pa);
    sst_unref(r);
    errno = e;
}
    return rc;
}

static void expect_detected(const struct model *m, uint64_t gen, const char *comp, long off)
{
    int rc = read_everything(m, gen);
    if (rc == 0) fail_msg("%s: change at offset %ld not detected", comp, off);
    if (errno != EBADMSG) fail_msg("%s @%ld: errno %d: %s", comp, off, errno, sst_errmsg());
    if (!strstr(sst_errmsg(), comp) || !strstr(sst_errmsg(), "offset "))
        fail_msg("%s @%ld: message does not name the file and offset: %s", comp, off, sst_errmsg());
}

static void t_bitflips(void **s)
{
    struct model m;
    model_build(&m, 150, 1, 0, 6);
    for (int comp = SST_COMP_NONE; comp <= SST_COMP_ZSTD; comp++) {
        struct sst_opts o;
        sst_opts_default(&o);
        o.compression = comp;
        o.chunk_len = 1024;
        o.index_interval = 8;
        o.row_index_bytes = 512;
        uint64_t gen = 20 + (uint64_t)comp;
        assert_int_equal(write_model(&m, gen, &o), 0);
        assert_int_equal(read_everything(&m, gen), 0);
        for (size_t c = 0; c < sizeof(comps) / sizeof(comps[0]); c++) {
            char p[512];
            path_of(p, sizeof(p), gen, comps[c]);
            long sz = file_size(p);
            assert_true(sz > 0);
            long step = sz / 400 + 1; /* every byte of small files, ~400 spots of big ones */
            for (long off = 0; off < sz; off += (off < 64 || off > sz - 64) ? 1 : step) {
                flip(p, off);
                expect_detected(&m, gen, comps[c], off);
                flip(p, off);
            }
        }
        assert_int_equal(read_everything(&m, gen), 0);
    }
    model_free(&m);
}

static void t_truncation(void **s)
{
    struct model m;
    model_build(&m, 100, 0, 0, 5);
    struct sst_opts o;
    sst_opts_default(&o);
    o.chunk_len = 1024;
    o.index_interval = 8;
    assert_int_equal(write_model(&m, 30, &o), 0);
    for (size_t c = 0; c < sizeof(comps) / sizeof(comps[0]); c++) {
        char p[512], bak[600];
        path_of(p, sizeof(p), 30, comps[c]);
        snprintf(bak, sizeof(bak), "%s.bak", p);
        long sz = file_size(p);
        long cuts[] = {0, 4, 15, 19, 20, 21, sz / 3, sz / 2, sz - 5, sz - 4, sz - 1};
        for (size_t k = 0; k < sizeof(cuts) / sizeof(cuts[0]); k++) {
            if (cuts[k] < 0 || cuts[k] >= sz) continue;
            assert_int_equal(link(p, bak), 0);
            char cmd[1300];
            snprintf(cmd, sizeof(cmd), "cp %s %s.cut && truncate -s %ld %s.cut && mv %s.cut %s",
                     bak, p, cuts[k], p, p, p);
            assert_int_equal(system(cmd), 0);
            expect_detected(&m, 30, comps[c], cuts[k]);
            assert_int_equal(rename(bak, p), 0);
        }
        /* a missing component */
        assert_int_equal(rename(p, "/tmp/sst_test_moved"), 0);
        assert_int_equal(read_everything(&m, 30), -1);
        assert_true(strstr(sst_errmsg(), comps[c]) != NULL);
        assert_int_equal(rename("/tmp/sst_test_moved", p), 0);
    }
    /* appended garbage is detected too (sizes are in the TOC) */
    char p[512];
    path_of(p, sizeof(p), 30, "Data.db");
    FILE *f = fopen(p, "a");
    fputs("garbage", f);
    fclose(f);
    expect_detected(&m, 30, "Data.db", 0);
    model_free(&m);
}

/* ---- faults while writing ---- */

static int count_files(void)
{
    char d[300];
    snprintf(d, sizeof(d), "%s/%s", dir, TD);
    DIR *dp = opendir(d);
    if (!dp) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dp)))
        if (e->d_name[0] != '.') n++;
    closedir(dp);
    return n;
}

static void t_crash_injection(void **s)
{
    struct model m;
    model_build(&m, 300, 0, 0, 8);
    struct sst_opts o;
    sst_opts_default(&o);
    o.chunk_len = 1024;
    unsigned masks[] = {SIO_OP_WRITE, SIO_OP_FSYNC, SIO_OP_RENAME, SIO_OP_OPEN, SIO_OP_ALL};
    int complete = 0, none = 0;
    for (size_t mi = 0; mi < sizeof(masks) / sizeof(masks[0]); mi++) {
        for (uint64_t nth = 1;; nth++) {
            sio_fault_reset();
            sio_fault_arm(masks[mi], nth, SIO_FAULT_CRASH);
            int rc = write_model(&m, 40, &o);
            int fired = sio_fault_fired();
            sio_fault_reset(); /* "restart" */
            if (fired) assert_int_equal(rc, -1);
            uint64_t *gens;
            size_t n;
            assert_int_equal(sst_list(dir, TD, &gens, &n), 0);
            if (n) {
                assert_int_equal(n, 1);
                assert_true(gens[0] == 40);
                assert_int_equal(read_everything(&m, 40), 0);
                assert_int_equal(count_files(), 7);
                complete++;
                mem_free(gens);
                assert_int_equal(sst_remove(dir, TD, 40), 0);
            } else {
                none++;
                assert_int_equal(count_files(), 0); /* leftovers removed */
            }
            if (!fired) {
                assert_int_equal(rc, 0);
                assert_int_equal(n, 1);
                break;
            }
        }
    }
    print_message("crash points: %d left no sstable, %d a complete one\n", none, complete);
    assert_true(none > 20);
    model_free(&m);
}

static void t_io_errors(void **s)
{
    struct model m;
    model_build(&m, 300, 0, 0, 8);
    struct sst_opts o;
    sst_opts_default(&o);
    o.chunk_len = 1024;
    enum sio_fault kinds[] = {SIO_FAULT_EIO, SIO_FAULT_ENOSPC, SIO_FAULT_SHORT_WRITE};
    unsigned masks[] = {SIO_OP_WRITE, SIO_OP_FSYNC, SIO_OP_RENAME, SIO_OP_OPEN, SIO_OP_UNLINK};
    int points = 0;
    for (size_t k = 0; k < 3; k++)
        for (size_t mi = 0; mi < sizeof(masks) / sizeof(masks[0]); mi++)
            for (uint64_t nth = 1;; nth++) {
                sio_fault_reset();
                sio_fault_arm(masks[mi], nth, kinds[k]);
                int rc = write_model(&m, 50, &o);
                int e = errno;
                int fired = sio_fault_fired();
                sio_fault_reset();
                if (!fired) {
                    assert_int_equal(rc, 0);
                    assert_int_equal(read_everything(&m, 50), 0);
                    assert_int_equal(sst_remove(dir, TD, 50), 0);
                    break;
                }
                points++;
                if (masks[mi] == SIO_OP_UNLINK) { /* only leftovers removal: may succeed */
                    if (rc == 0) assert_int_equal(sst_remove(dir, TD, 50), 0);
                    continue;
                }
                if (rc != -1 || e != (kinds[k] == SIO_FAULT_EIO ? EIO : ENOSPC))
                    fail_msg("kind %zu mask %u nth %llu: rc %d errno %d: %s", k, masks[mi],
                             (unsigned long long)nth, rc, e, sst_errmsg());
                assert_true(strlen(sst_errmsg()) > 0);
                assert_int_equal(count_files(), 0); /* the writer removed its files */
            }
    print_message("write fault points: %d\n", points);
    /* read path: EIO at every pread of a full read */
    assert_int_equal(write_model(&m, 51, &o), 0);
    for (uint64_t nth = 1;; nth++) {
        sio_fault_reset();
        sio_fault_arm(SIO_OP_READ, nth, SIO_FAULT_EIO);
        int rc = read_everything(&m, 51);
        int e = errno;
        int fired = sio_fault_fired();
        sio_fault_reset();
        if (!fired) {
            assert_int_equal(rc, 0);
            break;
        }
        assert_int_equal(rc, -1);
        assert_int_equal(e, EIO);
        assert_true(strstr(sst_errmsg(), "rdb-51-") && strstr(sst_errmsg(), "offset "));
    }
    model_free(&m);
}

static void t_list_remove(void **s)
{
    struct model m;
    model_build(&m, 20, 0, 0, 2);
    for (uint64_t g = 1; g <= 3; g++)
        assert_int_equal(write_model(&m, g, NULL), 0);
    /* a live generation cannot be written again */
    struct sst_writer *w;
    char err[512];
    assert_int_equal(sst_writer_open(dir, TD, 2, &T, NULL, 1, &w, err, sizeof(err)), -1);
    assert_int_equal(errno, EEXIST);
    /* leftovers: a temporary and components without TOC */
    char p[512];
    snprintf(p, sizeof(p), "%s/%s/tmp-rdb-9-Data.db", dir, TD);
    close(open(p, O_CREAT | O_WRONLY, 0644));
    snprintf(p, sizeof(p), "%s/%s/rdb-8-Index.db", dir, TD);
    close(open(p, O_CREAT | O_WRONLY, 0644));
    snprintf(p, sizeof(p), "%s/%s/unrelated.txt", dir, TD);
    close(open(p, O_CREAT | O_WRONLY, 0644));
    uint64_t *gens;
    size_t n;
    assert_int_equal(sst_list(dir, TD, &gens, &n), 0);
    assert_int_equal(n, 3);
    assert_true(gens[0] == 1 && gens[1] == 2 && gens[2] == 3);
    mem_free(gens);
    assert_int_equal(count_files(), 3 * 7 + 1);
    assert_int_equal(sst_remove(dir, TD, 2), 0);
    assert_int_equal(sst_list(dir, TD, &gens, &n), 0);
    assert_int_equal(n, 2);
    assert_true(gens[0] == 1 && gens[1] == 3);
    mem_free(gens);
    /* an obsolete reader keeps working until its last reference goes */
    struct sst_reader *r;
    assert_int_equal(sst_open(dir, TD, 3, &T, &r, err, sizeof(err)), 0);
    sst_ref(r);
    sst_mark_obsolete(r);
    sst_unref(r);
    assert_int_equal(read_everything(&m, 3), 0);
    arena a;
    arena_init(&a, 4096);
    struct sst_partition pp;
    assert_int_equal(sst_partition_find(r, m.p[0].token, m.p[0].key, &pp, &a), 1);
    arena_destroy(&a);
    sst_unref(r);
    assert_int_equal(sst_list(dir, TD, &gens, &n), 0);
    assert_int_equal(n, 1);
    assert_true(gens[0] == 1);
    mem_free(gens);
    /* missing directory: empty */
    assert_int_equal(sst_list(dir, "nope", &gens, &n), 0);
    assert_int_equal(n, 0);
    model_free(&m);
}

static void t_writer_misuse(void **s)
{
    struct sst_writer *w;
    char err[512];
    arena a;
    arena_init(&a, 4096);
    assert_int_equal(sst_writer_open(dir, TD, 60, &T, NULL, 10, &w, err, sizeof(err)), 0);
    struct db_del none = {DB_NO_TS, 0};
    db_val k1 = int_val(&a, 1), k2 = int_val(&a, 2);
    int64_t t1 = mm3_token(k1.p, 4), t2 = mm3_token(k2.p, 4);
    if (t1 > t2) {
        db_val kt = k1;
        k1 = k2;
        k2 = kt;
        int64_t tt = t1;
        t1 = t2;
        t2 = tt;
    }
    assert_int_equal(sst_writer_begin_partition(w, t2, k2, none, NULL), 0);
    struct db_row r = {row_ck(&a, 5), 2, DB_NO_TS, 0, 0, {DB_NO_TS, 0}, NULL, 0};
    assert_int_equal(sst_writer_add_row(w, &r), 0);
    r.ck = row_ck(&a, 4);
    assert_int_equal(sst_writer_add_row(w, &r), -1); /* out of order */
    assert_int_equal(errno, EINVAL);
    assert_int_equal(sst_writer_end_partition(w), -1); /* sticky */
    assert_int_equal(errno, EINVAL);
    assert_int_equal(sst_writer_finish(w, NULL), -1);
    assert_int_equal(count_files(), 0);
    /* partitions out of order */
    assert_int_equal(sst_writer_open(dir, TD, 61, &T, NULL, 10, &w, err, sizeof(err)), 0);
    assert_int_equal(sst_writer_begin_partition(w, t2, k2, none, NULL), 0);
    assert_int_equal(sst_writer_end_partition(w), 0);
    assert_int_equal(sst_writer_begin_partition(w, t1, k1, none, NULL), -1);
    sst_writer_abort(w);
    assert_int_equal(count_files(), 0);
    /* an empty sstable */
    struct sst_stats st;
    assert_int_equal(sst_writer_open(dir, TD, 62, &T, NULL, 0, &w, err, sizeof(err)), 0);
    assert_int_equal(sst_writer_finish(w, &st), 0);
    assert_int_equal(st.n_partitions, 0);
    struct sst_reader *rd;
    assert_int_equal(sst_open(dir, TD, 62, &T, &rd, err, sizeof(err)), 0);
    assert_int_equal(sst_may_contain(rd, t1, k1), 0);
    struct sst_partition p;
    assert_int_equal(sst_partition_find(rd, t1, k1, &p, &a), 0);
    struct sst_scan sc;
    assert_int_equal(sst_partition_seek(rd, INT64_MIN, (db_val){NULL, -1}, true, &sc, &a), 0);
    assert_int_equal(sst_scan_next(&sc, &p, &a), 0);
    sst_unref(rd);
    arena_destroy(&a);
}

static void t_droppable(void **s)
{
    struct sst_writer *w;
    char err[512];
    arena a;
    arena_init(&a, 4096);
    assert_int_equal(sst_writer_open(dir, TD, 70, &T, NULL, 10, &w, err, sizeof(err)), 0);
    db_val k = int_val(&a, 1);
    assert_int_equal(
        sst_writer_begin_partition(w, mm3_token(k.p, 4), k, (struct db_del){DB_NO_TS, 0}, NULL), 0);
    /* 1000 rows, each with a tombstone at ldt 1000 + j (j = 0..999) */
    for (int j = 0; j < 1000; j++) {
        struct db_cell c = {3, DB_CELL_TOMB, 10 + j, 0, 1000 + j, {NULL, -1}, {NULL, -1}};
        struct db_row r = {row_ck(&a, j), 2, DB_NO_TS, 0, 0, {DB_NO_TS, 0}, &c, 1};
        assert_int_equal(sst_writer_add_row(w, &r), 0);
    }
    assert_int_equal(sst_writer_end_partition(w), 0);
    struct sst_stats st;
    assert_int_equal(sst_writer_finish(w, &st), 0);
    assert_int_equal(st.n_cell_tombstones, 1000);
    assert_true(st.min_ldt == 1000 && st.max_ldt == 1999);
    assert_true(st.min_ts == 10 && st.max_ts == 1009);
    struct sst_reader *r;
    assert_int_equal(sst_open(dir, TD, 70, &T, &r, err, sizeof(err)), 0);
    const struct sst_stats *rs = sst_stats(r);
    assert_int_equal(rs->n_ldt_bins, SST_LDT_BINS);
    assert_int_equal(sst_droppable_tombstones(rs, 0), 0);
    assert_int_equal(sst_droppable_tombstones(rs, 5000), 1000);
    uint64_t half = sst_droppable_tombstones(rs, 1500);
    assert_true(half > 450 && half < 550);
    sst_unref(r);
    arena_destroy(&a);
}

int main(void)
{
    setup_table();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(t_roundtrip_lz4, setup, teardown),
        cmocka_unit_test_setup_teardown(t_roundtrip_zstd, setup, teardown),
        cmocka_unit_test_setup_teardown(t_roundtrip_none, setup, teardown),
        cmocka_unit_test_setup_teardown(t_wide_partition, setup, teardown),
        cmocka_unit_test_setup_teardown(t_seek_scan, setup, teardown),
        cmocka_unit_test_setup_teardown(t_bloom, setup, teardown),
        cmocka_unit_test_setup_teardown(t_bitflips, setup, teardown),
        cmocka_unit_test_setup_teardown(t_truncation, setup, teardown),
        cmocka_unit_test_setup_teardown(t_crash_injection, setup, teardown),
        cmocka_unit_test_setup_teardown(t_io_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(t_list_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(t_writer_misuse, setup, teardown),
        cmocka_unit_test_setup_teardown(t_droppable, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
