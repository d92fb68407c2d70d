/*
 * fuzz_sstable -- libFuzzer harness for the sstable reader: every read API
 * over a small valid sstable whose files the input damages.
 *
 * At start-up (LLVMFuzzerInitialize) three sstables of the same content are
 * written with the real writer (no compression, LZ4, Zstd; 512-byte chunks,
 * 4 entries per index block, a row index every 256 bytes, so every
 * structure has several instances), their component files are kept in
 * memory, and the content is read back once as the reference: a CRC-32C
 * digest per partition header and per row.
 *
 * Input: byte 0 picks the sstable (% 3); then up to 16 records of 7 bytes:
 *   [component % 7][kind % 4][offset: u32 LE][value]
 *   kind 0: XOR the byte at offset % size with value (0 -> 1)
 *   kind 1: set the byte at offset % size to value
 *   kind 2: truncate the file to offset % size bytes
 *   kind 3: append the byte value
 * The damaged files are written to a scratch directory, then: sst_open,
 * sst_stats, sst_may_contain and sst_partition_find for every key, row
 * seeks at every row's clustering (inclusive and exclusive), a full scan
 * with every row, and bounded scans from every key.
 *
 * Checks: no crash, leak or out-of-bounds access (the sanitizers); every
 * failure has errno EBADMSG, EIO, ENOENT or ENOMEM and a message; and for
 * an input that changes exactly one byte or truncates one file -- a change
 * CRC-32C always detects -- nothing returned differs from the reference
 * and some call reports EBADMSG. (Several changes could forge a CRC, so
 * for them only the first checks apply.)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/mutation.h"
#include "storage/io.h"
#include "storage/sstable/sst.h"
#include "types/type.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/crc32c.h"
#include "util/mem.h"
#include "util/murmur3.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define NPART   40
#define MAXROWS 300

static void check(int cond)
{
    if (!cond) __builtin_trap();
}

static const char *comps[7] = {"Data.db",       "Index.db",           "Summary.db", "Filter.db",
                               "Statistics.db", "CompressionInfo.db", "TOC.db"};

static struct schema_column cols[3];
static struct schema_table T;
static char base[256];
static const char *TD = "t";

static struct {
    uint8_t *data[7];
    size_t len[7];
} pristine[3];

/* the reference */
static arena ref_a;
static int64_t ref_tok[NPART];
static db_val ref_key[NPART];
static uint32_t ref_hdr[NPART];
static int ref_nrows[NPART];
static uint32_t *ref_row[NPART];
static db_val *ref_ck[NPART]; /* 2 values per row */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static db_val mkv(arena *a, const void *p, int32_t n)
{
    uint8_t *d = arena_alloc(a, (size_t)n + 1);
    memcpy(d, p, (size_t)n);
    return (db_val){d, n};
}

static db_val i32(arena *a, int32_t x)
{
    uint8_t b[4] = {(uint8_t)(x >> 24), (uint8_t)(x >> 16), (uint8_t)(x >> 8), (uint8_t)x};
    return mkv(a, b, 4);
}

static uint32_t digest_row(const struct db_row *r)
{
    buf b;
    buf_init(&b);
    struct db_mutation m;
    db_mutation_init(&m);
    m.pdel.ts = DB_NO_TS;
    m.rows = (struct db_row *)r;
    m.n_rows = 1;
    db_mutation_serialize(&m, &b);
    uint32_t c = crc32c(b.data, b.len);
    buf_free(&b);
    return c;
}

static uint32_t digest_hdr(const struct sst_partition *p)
{
    buf b;
    buf_init(&b);
    struct db_mutation m;
    db_mutation_init(&m);
    m.token = p->token;
    m.key = p->key;
    m.pdel = p->pdel;
    m.srow = p->srow;
    m.rts = p->rts;
    m.n_rts = p->n_rts;
    db_mutation_serialize(&m, &b);
    uint32_t c = crc32c(b.data, b.len) ^ (uint32_t)p->n_rows;
    buf_free(&b);
    return c;
}

static void gen_row(arena *a, struct db_row *r, int j)
{
    memset(r, 0, sizeof(*r));
    r->ck = arena_alloc(a, 2 * sizeof(db_val));
    r->ck[0] = i32(a, j / 2);
    r->ck[1] = mkv(a, j % 2 ? "a" : "b", 1); /* DESC */
    r->n_ck = 2;
    r->live_ts = rnd() % 2 ? 1000 + j : DB_NO_TS;
    r->del.ts = rnd() % 8 ? DB_NO_TS : 5;
    r->del.ldt = r->del.ts == DB_NO_TS ? 0 : 77;
    int n = (int)(rnd() % 4);
    r->cells = arena_calloc(a, sizeof(struct db_cell) * 4);
    r->n_cells = n;
    for (int i = 0; i < n; i++) {
        struct db_cell *c = &r->cells[i];
        c->col = (uint16_t)(2 + i);
        c->kind = (uint8_t)(rnd() % 3);
        c->ts = (int64_t)(rnd() % 100000);
        c->ttl = rnd() % 4 ? 0 : 100;
        c->ldt = c->ttl ? 1234 : 0;
        c->path = i == 2 ? mkv(a, "path", 4) : (db_val){NULL, -1};
        c->value = c->kind ? (db_val){NULL, -1} : i32(a, (int32_t)rnd());
    }
}

static int build(int comp, uint64_t gen)
{
    struct sst_opts o;
    sst_opts_default(&o);
    o.compression = comp;
    o.chunk_len = 512;
    o.index_interval = 4;
    o.row_index_bytes = 256;
    struct sst_writer *w;
    char err[256];
    if (sst_writer_open(base, TD, gen, &T, &o, NPART, &w, err, sizeof(err)) < 0) return -1;
    arena a;
    arena_init(&a, 1 << 16);
    rng = 0x9e3779b97f4a7c15ull;
    /* keys in token order */
    struct {
        int64_t tok;
        int32_t k;
    } ks[NPART];
    for (int i = 0; i < NPART; i++) {
        uint8_t b[4] = {0, 0, 0, (uint8_t)i};
        ks[i].k = i;
        ks[i].tok = mm3_token(b, 4);
    }
    for (int i = 1; i < NPART; i++)
        for (int j = i; j > 0 && ks[j - 1].tok > ks[j].tok; j--) {
            __typeof__(ks[0]) t = ks[j];
            ks[j] = ks[j - 1];
            ks[j - 1] = t;
        }
    for (int i = 0; i < NPART; i++) {
        db_val key = i32(&a, ks[i].k);
        struct db_del pdel = {i % 5 ? DB_NO_TS : 3, i % 5 ? 0 : 99};
        struct db_row srow, *sp = NULL;
        if (i % 3 == 0) {
            gen_row(&a, &srow, 0);
            srow.ck = NULL;
            srow.n_ck = 0;
            sp = &srow;
        }
        if (sst_writer_begin_partition(w, ks[i].tok, key, pdel, sp) < 0) goto fail;
        if (i % 4 == 1) {
            db_val *s = arena_alloc(&a, sizeof(db_val)), *e = arena_alloc(&a, sizeof(db_val));
            s[0] = i32(&a, 1);
            e[0] = i32(&a, 3);
            struct db_rt rt = {s, 1, true, e, 1, false, {7, 70}};
            if (sst_writer_add_rt(w, &rt) < 0) goto fail;
        }
        int nr = i == 7 ? MAXROWS : (int)(rnd() % 6);
        for (int j = 0; j < nr; j++) {
            struct db_row r;
            gen_row(&a, &r, j);
            if (sst_writer_add_row(w, &r) < 0) goto fail;
        }
        if (sst_writer_end_partition(w) < 0) goto fail;
        arena_reset(&a);
    }
    arena_destroy(&a);
    return sst_writer_finish(w, NULL);
fail:
    arena_destroy(&a);
    sst_writer_abort(w);
    return -1;
}

static void path_of(char *out, size_t n, const char *d, uint64_t gen, int c)
{
    snprintf(out, n, "%s/%s/rdb-%llu-%s", d, TD, (unsigned long long)gen, comps[c]);
}

static void load_file(const char *p, uint8_t **data, size_t *len)
{
    int fd = open(p, O_RDONLY);
    check(fd >= 0);
    struct stat st;
    check(fstat(fd, &st) == 0);
    *len = (size_t)st.st_size;
    *data = malloc(*len + 1);
    check(read(fd, *data, *len) == (ssize_t)*len);
    close(fd);
}

static void make_reference(void)
{
    struct sst_reader *r;
    char err[256];
    check(sst_open(base, TD, 1, &T, &r, err, sizeof(err)) == 0);
    arena_init(&ref_a, 1 << 16);
    struct sst_scan sc;
    struct sst_partition p;
    check(sst_partition_seek(r, INT64_MIN, (db_val){NULL, -1}, true, &sc, &ref_a) == 0);
    int i = 0;
    while (sst_scan_next(&sc, &p, &ref_a) == 1) {
        check(i < NPART);
        ref_tok[i] = p.token;
        ref_key[i] = p.key;
        ref_hdr[i] = digest_hdr(&p);
        ref_row[i] = arena_alloc(&ref_a, sizeof(uint32_t) * (MAXROWS + 1));
        ref_ck[i] = arena_alloc(&ref_a, sizeof(db_val) * 2 * (MAXROWS + 1));
        struct sst_row_iter it;
        struct db_row row;
        sst_rows_seek(&p, NULL, 0, true, &it);
        int j = 0;
        while (sst_rows_next(&it, &row, &ref_a) == 1) {
            check(j < MAXROWS && row.n_ck == 2);
            ref_row[i][j] = digest_row(&row);
            ref_ck[i][2 * j] = row.ck[0];
            ref_ck[i][2 * j + 1] = row.ck[1];
            j++;
        }
        ref_nrows[i] = j;
        i++;
    }
    check(i == NPART);
    sst_unref(r);
}

/* Removes the scratch directories at exit (the files are gone by then). */
static void cleanup(void)
{
    char p[600];
    snprintf(p, sizeof(p), "%s/run/%s", base, TD);
    rmdir(p);
    snprintf(p, sizeof(p), "%s/run", base);
    rmdir(p);
    snprintf(p, sizeof(p), "%s/%s", base, TD);
    rmdir(p);
    rmdir(base);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    cols[0] = (struct schema_column){
        "pk", (struct type *)type_native(TYPE_INT), COL_PARTITION_KEY, 0, 0, 0};
    cols[1] =
        (struct schema_column){"c1", (struct type *)type_native(TYPE_INT), COL_CLUSTERING, 0, 0, 1};
    cols[2] = (struct schema_column){
        "c2", (struct type *)type_native(TYPE_VARCHAR), COL_CLUSTERING, 1, 1, 2};
    T.n_cols = 3;
    T.cols = cols;
    T.n_pk = 1;
    T.n_ck = 2;
    snprintf(base, sizeof(base), "/tmp/fuzz_sstable_XXXXXX");
    check(mkdtemp(base) != NULL);
    atexit(cleanup);
    for (int v = 0; v < 3; v++) {
        check(build(v, 1 + (uint64_t)v) == 0);
        for (int c = 0; c < 7; c++) {
            char p[512];
            path_of(p, sizeof(p), base, 1 + (uint64_t)v, c);
            load_file(p, &pristine[v].data[c], &pristine[v].len[c]);
        }
    }
    make_reference();
    for (int v = 0; v < 3; v++)
        sst_remove(base, TD, 1 + (uint64_t)v);
    return 0;
}

/* ---- one input ---- */

struct run {
    int exact;   /* one CRC-detectable change: data must match, an error must show */
    int errors;  /* calls that failed with EBADMSG */
    int changed; /* the input changed the files at all */
};

static void on_error(struct run *ru)
{
    int e = errno;
    check(e == EBADMSG || e == EIO || e == ENOENT || e == ENOMEM);
    check(sst_errmsg()[0] != 0);
    if (e == EBADMSG) ru->errors++;
}

static int find_ref(int64_t tok, db_val key)
{
    for (int i = 0; i < NPART; i++)
        if (ref_tok[i] == tok && ref_key[i].len == key.len &&
            memcmp(ref_key[i].p, key.p, (size_t)key.len) == 0)
            return i;
    return -1;
}

/* Rows of p from bound; row digests must match ref partition i from j. */
static void rows_from(struct run *ru, struct sst_partition *p, int i, const db_val *bound, int nb,
                      bool incl, int j, int limit, arena *a)
{
    struct sst_row_iter it;
    struct db_row row;
    sst_rows_seek(p, bound, nb, incl, &it);
    int rc;
    while (limit-- > 0 && (rc = sst_rows_next(&it, &row, a)) == 1) {
        if (ru->exact) check(j < ref_nrows[i] && digest_row(&row) == ref_row[i][j]);
        j++;
    }
    if (limit >= 0) {
        if (rc < 0)
            on_error(ru);
        else if (ru->exact)
            check(j == ref_nrows[i]);
    }
}

static void read_all(struct run *ru, const char *d, uint64_t gen)
{
    struct sst_reader *r;
    char err[256];
    if (sst_open(d, TD, gen, &T, &r, err, sizeof(err)) < 0) {
        on_error(ru);
        check(err[0] != 0);
        return;
    }
    const struct sst_stats *st = sst_stats(r);
    if (ru->exact) check(st->n_partitions == NPART);
    arena a, pa;
    arena_init(&a, 1 << 14);
    arena_init(&pa, 1 << 14);
    /* point lookups and row seeks */
    for (int i = 0; i < NPART; i++) {
        int mc = sst_may_contain(r, ref_tok[i], ref_key[i]);
        if (ru->exact) check(mc == 1);
        struct sst_partition p;
        int rc = sst_partition_find(r, ref_tok[i], ref_key[i], &p, &pa);
        if (rc < 0) {
            on_error(ru);
        } else if (rc == 0) {
            check(!ru->exact);
        } else {
            if (ru->exact) check(digest_hdr(&p) == ref_hdr[i]);
            int step = ref_nrows[i] > 20 ? 17 : 1;
            for (int j = 0; j < ref_nrows[i]; j += step) {
                rows_from(ru, &p, i, &ref_ck[i][2 * j], 2, true, j, 2, &a);
                rows_from(ru, &p, i, &ref_ck[i][2 * j], 2, false, j + 1, 1, &a);
                rows_from(ru, &p, i, &ref_ck[i][2 * j], 1, true, j - j % 2, 1, &a);
                arena_reset(&a);
            }
        }
        arena_reset(&pa);
    }
    /* a full scan with every row */
    struct sst_scan sc;
    struct sst_partition p;
    if (sst_partition_seek(r, INT64_MIN, (db_val){NULL, -1}, true, &sc, &a) < 0) {
        on_error(ru);
    } else {
        int i = 0, rc;
        while ((rc = sst_scan_next(&sc, &p, &pa)) == 1) {
            if (ru->exact) check(i < NPART && digest_hdr(&p) == ref_hdr[i]);
            int k = ru->exact ? i : find_ref(p.token, p.key);
            if (k >= 0) rows_from(ru, &p, k, NULL, 0, true, 0, MAXROWS + 1, &pa);
            i++;
            arena_reset(&pa);
        }
        if (rc < 0)
            on_error(ru);
        else if (ru->exact)
            check(i == NPART);
    }
    arena_reset(&a);
    /* bounded scans from a few keys, exclusive */
    for (int i = 0; i < NPART; i += 7) {
        if (sst_partition_seek(r, ref_tok[i], ref_key[i], false, &sc, &a) < 0) {
            on_error(ru);
            continue;
        }
        sst_scan_set_end(&sc, i + 3 < NPART ? ref_tok[i + 3] : INT64_MAX);
        int n = 0, rc;
        while ((rc = sst_scan_next(&sc, &p, &pa)) == 1) {
            if (ru->exact) check(i + 1 + n < NPART && digest_hdr(&p) == ref_hdr[i + 1 + n]);
            n++;
            arena_reset(&pa);
        }
        if (rc < 0) on_error(ru);
        arena_reset(&a);
    }
    arena_destroy(&a);
    arena_destroy(&pa);
    sst_unref(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    int v = data[0] % 3;
    uint8_t *files[7];
    size_t lens[7], caps[7];
    for (int c = 0; c < 7; c++) {
        caps[c] = pristine[v].len[c] + 17;
        files[c] = malloc(caps[c]);
        memcpy(files[c], pristine[v].data[c], pristine[v].len[c]);
        lens[c] = pristine[v].len[c];
    }
    struct run ru = {0, 0, 0};
    int n_rec = 0, effective = 0;
    for (size_t o = 1; o + 7 <= size && n_rec < 16; o += 7, n_rec++) {
        int c = data[o] % 7, kind = data[o + 1] % 4;
        uint32_t off = (uint32_t)data[o + 2] | ((uint32_t)data[o + 3] << 8) |
                       ((uint32_t)data[o + 4] << 16) | ((uint32_t)data[o + 5] << 24);
        uint8_t val = data[o + 6];
        if (kind == 3) {
            if (lens[c] < caps[c]) {
                files[c][lens[c]++] = val;
                effective++;
            }
            continue;
        }
        if (lens[c] == 0) continue;
        size_t at = off % lens[c];
        if (kind == 0) {
            files[c][at] ^= val ? val : 1;
            effective++;
        } else if (kind == 1) {
            effective += files[c][at] != val;
            files[c][at] = val;
        } else {
            lens[c] = at;
            effective++;
        }
    }
    /* exactly one record that changed something: CRC-32C catches it */
    ru.exact = n_rec == 1 && effective == 1;
    ru.changed = effective > 0;
    /* the damaged sstable, under its own generation in a scratch directory */
    char d[300], p[512], td[400];
    snprintf(d, sizeof(d), "%s/run", base);
    snprintf(td, sizeof(td), "%s/%s", d, TD);
    sio_mkdirs(td);
    for (int c = 0; c < 7; c++) {
        path_of(p, sizeof(p), d, 1 + (uint64_t)v, c);
        int fd = open(p, O_CREAT | O_TRUNC | O_WRONLY, 0644);
        check(fd >= 0);
        check(write(fd, files[c], lens[c]) == (ssize_t)lens[c]);
        close(fd);
    }
    read_all(&ru, d, 1 + (uint64_t)v);
    if (ru.exact) check(ru.errors > 0);
    if (!ru.changed) check(ru.errors == 0);
    for (int c = 0; c < 7; c++) {
        path_of(p, sizeof(p), d, 1 + (uint64_t)v, c);
        unlink(p);
        free(files[c]);
    }
    return 0;
}
