/*
 * bench_sstable.c -- sstable write throughput, point lookups and clustering
 * slices, for each compression (none, LZ4, Zstd).
 *
 *   make bench && build/bench/bench_sstable [dir]     (default dir: /tmp)
 *
 * Data: 200k partitions (int key) of 5 rows x 3 cells (an int, a 40-byte
 * text, an 8-byte bigint; timestamps), plus one partition of 500k rows.
 * Write MB/s counts uncompressed partition bytes (Statistics data_bytes)
 * through sst_writer_finish, fsyncs included. Point lookups: random
 * existing keys, sst_may_contain + sst_partition_find + reading the
 * partition's rows. Slices: random start in the wide partition, 100 rows
 * each. Reads run against the page cache (just written): they measure the
 * CPU cost of index, CRC and decompression, not the disk. Prints figures;
 * never fails on speed.
 */
#include "db/memtable.h"
#include "storage/sstable/sst.h"
#include "types/type.h"
#include "util/murmur3.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NPART 200000
#define NROWS 5
#define WIDE  500000

static struct schema_column cols[3];
static struct schema_table T;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void be32p(uint8_t *b, uint32_t x)
{
    b[0] = (uint8_t)(x >> 24);
    b[1] = (uint8_t)(x >> 16);
    b[2] = (uint8_t)(x >> 8);
    b[3] = (uint8_t)x;
}

struct key {
    int64_t tok;
    uint8_t k[4];
};

static int cmp_key(const void *a, const void *b)
{
    const struct key *x = a, *y = b;
    if (x->tok != y->tok) return x->tok < y->tok ? -1 : 1;
    return memcmp(x->k, y->k, 4);
}

static struct key *keys;

static int write_one(const char *dir, uint64_t gen, int comp, struct sst_stats *st)
{
    struct sst_opts o;
    sst_opts_default(&o);
    o.compression = comp;
    struct sst_writer *w;
    char err[256];
    if (sst_writer_open(dir, "bench-t", gen, &T, &o, NPART + 1, &w, err, sizeof(err)) < 0) {
        fprintf(stderr, "writer: %s\n", err);
        return -1;
    }
    uint8_t ck[4], v1[4], v3[8];
    char text[41];
    struct db_cell cells[3];
    db_val ckv[1] = {{ck, 4}};
    struct db_row r = {ckv, 1, 0, 0, 0, {DB_NO_TS, 0}, cells, 3};
    int64_t ts = 1700000000000000ll;
    for (int i = 0; i <= NPART; i++) {
        db_val key = {keys[i].k, 4};
        if (sst_writer_begin_partition(w, keys[i].tok, key, (struct db_del){DB_NO_TS, 0}, NULL) < 0)
            goto fail;
        int nr = keys[i].k[0] == 0xff ? WIDE : NROWS;
        for (int j = 0; j < nr; j++) {
            be32p(ck, (uint32_t)j);
            be32p(v1, (uint32_t)(i * 31 + j));
            snprintf(text, sizeof(text), "value-%08d-%08d-abcdefghijklmnopqrs", i, j);
            memset(v3, 0, 8);
            be32p(v3 + 4, (uint32_t)j);
            r.live_ts = ts + j;
            cells[0] = (struct db_cell){2, DB_CELL_LIVE, ts + j, 0, 0, {NULL, -1}, {v1, 4}};
            cells[1] =
                (struct db_cell){3, DB_CELL_LIVE, ts + j, 0, 0, {NULL, -1}, {(uint8_t *)text, 40}};
            cells[2] = (struct db_cell){4, DB_CELL_LIVE, ts + j, 0, 0, {NULL, -1}, {v3, 8}};
            if (sst_writer_add_row(w, &r) < 0) goto fail;
        }
        if (sst_writer_end_partition(w) < 0) goto fail;
    }
    if (sst_writer_finish(w, st) < 0) {
        fprintf(stderr, "finish: %s\n", sst_errmsg());
        return -1;
    }
    return 0;
fail:
    fprintf(stderr, "write: %s\n", sst_errmsg());
    sst_writer_abort(w);
    return -1;
}

int main(int argc, char **argv)
{
    const char *base = argc > 1 ? argv[1] : "/tmp";
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/bench_sstable.XXXXXX", base);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    cols[0] = (struct schema_column){
        "pk", (struct type *)type_native(TYPE_INT), COL_PARTITION_KEY, 0, 0, 0};
    cols[1] =
        (struct schema_column){"ck", (struct type *)type_native(TYPE_INT), COL_CLUSTERING, 0, 0, 1};
    cols[2] =
        (struct schema_column){"v", (struct type *)type_native(TYPE_INT), COL_REGULAR, -1, 0, 2};
    T.n_cols = 3;
    T.cols = cols;
    T.n_pk = 1;
    T.n_ck = 1;
    keys = calloc(NPART + 1, sizeof(*keys));
    for (int i = 0; i <= NPART; i++) {
        be32p(keys[i].k, i == NPART ? 0xff000000u : (uint32_t)i);
        keys[i].tok = mm3_token(keys[i].k, 4);
    }
    qsort(keys, NPART + 1, sizeof(*keys), cmp_key);
    printf("sstable: %d partitions x %d rows x 3 cells + one of %d rows, directory %s\n", NPART,
           NROWS, WIDE, base);
    const char *names[] = {"none", "lz4", "zstd"};
    for (int comp = 0; comp < 3; comp++) {
        struct sst_stats st;
        double t0 = now();
        if (write_one(dir, (uint64_t)comp + 1, comp, &st) < 0) return 1;
        double tw = now() - t0;
        struct sst_reader *r;
        char err[256];
        if (sst_open(dir, "bench-t", (uint64_t)comp + 1, &T, &r, err, sizeof(err)) < 0) {
            fprintf(stderr, "open: %s\n", err);
            return 1;
        }
        arena a;
        arena_init(&a, 1 << 16);
        uint64_t x = 12345;
        int nq = 200000, found = 0;
        t0 = now();
        for (int q = 0; q < nq; q++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            const struct key *k = &keys[(x >> 33) % NPART];
            db_val key = {k->k, 4};
            if (k->k[0] == 0xff || !sst_may_contain(r, k->tok, key)) continue;
            struct sst_partition p;
            if (sst_partition_find(r, k->tok, key, &p, &a) == 1) {
                struct sst_row_iter it;
                struct db_row row;
                sst_rows_seek(&p, NULL, 0, true, &it);
                while (sst_rows_next(&it, &row, &a) == 1)
                    ;
                found++;
            }
            arena_reset(&a);
        }
        double tp = now() - t0;
        /* slices of 100 rows in the wide partition */
        int wi = 0;
        while (keys[wi].k[0] != 0xff)
            wi++;
        db_val wkey = {keys[wi].k, 4};
        int ns = 20000, rows = 0;
        t0 = now();
        for (int q = 0; q < ns; q++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            uint8_t b[4];
            be32p(b, (uint32_t)((x >> 33) % (WIDE - 100)));
            db_val bound = {b, 4};
            struct sst_partition p;
            if (sst_partition_find(r, keys[wi].tok, wkey, &p, &a) != 1) return 1;
            struct sst_row_iter it;
            struct db_row row;
            sst_rows_seek(&p, &bound, 1, true, &it);
            for (int k = 0; k < 100 && sst_rows_next(&it, &row, &a) == 1; k++)
                rows++;
            arena_reset(&a);
        }
        double ts = now() - t0;
        printf("%-5s write %6.1f MB/s (%.0f MB -> %.0f MB on disk, %.2f s)  point %8.0f "
               "lookups/s (%d found)  slice(100 rows) %7.0f slices/s\n",
               names[comp], (double)st.data_bytes / 1e6 / tw, (double)st.data_bytes / 1e6,
               (double)st.data_file_bytes / 1e6, tw, nq / tp, found, ns / ts);
        if (rows != ns * 100) printf("  (short slices: %d rows)\n", rows);
        arena_destroy(&a);
        sst_mark_obsolete(r);
        sst_unref(r);
    }
    free(keys);
    rmdir(dir);
    char td[600];
    snprintf(td, sizeof(td), "%s/bench-t", dir);
    rmdir(td);
    rmdir(dir);
    return 0;
}
