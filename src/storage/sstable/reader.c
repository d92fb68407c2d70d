/*
 * reader.c -- opens an sstable and reads it: point lookups, partition scans
 * in token order, and row iteration with clustering seeks.
 *
 * In memory after sst_open (immutable, shared by every thread reading):
 * the TOC sizes, chunk offsets (CompressionInfo), the summary (first key
 * and position of every index block), the bloom filter, the statistics,
 * and copies of the clustering types. Data.db and Index.db stay on disk and
 * are read with sio_pread on descriptors opened once.
 *
 * A point lookup: bloom (sst_may_contain, no I/O) -> binary search of the
 * summary -> one pread of one index block (CRC checked) -> the entry gives
 * the partition's uncompressed position and length and its row index ->
 * the chunks holding the partition header are read, CRC-checked and
 * decompressed into the handle's one-chunk cache. Rows are then decoded on
 * demand; sst_rows_seek binary-searches the row index so a slice starts
 * reading at the 64 KiB block that holds its start bound.
 *
 * Chunk cache: one decompressed chunk per handle (a partition from
 * sst_partition_find, or a scan and the partitions it returns), in the
 * handle's arena. Rows that are read in order hit it until they cross into
 * the next chunk. There is no cache shared between handles, hence no lock.
 *
 * Invariants:
 *  (1) every byte used was covered by a CRC that matched (sst.h (2));
 *  (2) every length and offset read from a file is checked against the
 *      bounds of what holds it (block, partition, data length, file size)
 *      before use, so corrupt input fails with EBADMSG, never overruns;
 *  (3) after sst_open returns, nothing in struct sst_reader changes but the
 *      reference count and the obsolete flag (both atomic).
 */
#include "storage/io.h"
#include "storage/sstable/sst_int.h"
#include "types/type.h"
#include "util/crc32c.h"
#include "util/mem.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* ---- open ---- */

static int io_err(const char *path, uint64_t off, const char *what)
{
    int e = errno ? errno : EIO;
    SST_ERR(e, "%s: offset %llu: %s failed: %s", path, (unsigned long long)off, what, strerror(e));
    return -1;
}

/* Reads a whole component whose size the TOC gave (max_sz for the TOC). */
static int read_whole(struct sst_reader *r, int comp, uint64_t max_sz, uint8_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    const char *path = r->path[comp];
    int fd = sio_open(path, SIO_RDONLY);
    if (fd < 0) return io_err(path, 0, "open");
    uint64_t sz;
    if (sio_file_size(fd, &sz) < 0) {
        io_err(path, 0, "stat");
        sio_close(fd);
        return -1;
    }
    if (comp != SST_C_TOC && sz != r->comp_size[comp]) {
        SST_CORRUPT(path, sz < r->comp_size[comp] ? sz : r->comp_size[comp],
                    "file is %llu bytes, the TOC says %llu", (unsigned long long)sz,
                    (unsigned long long)r->comp_size[comp]);
        sio_close(fd);
        return -1;
    }
    if (sz > max_sz || sz < SST_HDR_LEN + 4) {
        SST_CORRUPT(path, sz, "bad file size %llu", (unsigned long long)sz);
        sio_close(fd);
        return -1;
    }
    uint8_t *b = mem_alloc((size_t)sz);
    if (!b) {
        SST_ERR(ENOMEM, "%s: out of memory", path);
        sio_close(fd);
        return -1;
    }
    ssize_t got = sio_pread(fd, b, (size_t)sz, 0);
    if (got < 0 || (uint64_t)got != sz) {
        if (got < 0)
            io_err(path, 0, "read");
        else
            SST_CORRUPT(path, (uint64_t)got, "short read");
        mem_free(b);
        sio_close(fd);
        return -1;
    }
    sio_close(fd);
    *out = b;
    *n = (size_t)sz;
    return 0;
}

static int check_header(struct sst_reader *r, int comp, const uint8_t *h)
{
    const char *path = r->path[comp];
    if (memcmp(h, sst_comp_magic[comp], 4) != 0)
        return SST_CORRUPT(path, 0, "bad magic (not a %s component)", sst_comp_name[comp]), -1;
    if (sst_get16(h + 4) != SST_FORMAT_VERSION)
        return SST_CORRUPT(path, 4, "unsupported format version %u", sst_get16(h + 4)), -1;
    if (sst_get16(h + 6) != comp)
        return SST_CORRUPT(path, 6, "component id %u, expected %d", sst_get16(h + 6), comp), -1;
    if (sst_get64(h + 8) != r->gen)
        return SST_CORRUPT(path, 8, "generation %llu, expected %llu",
                           (unsigned long long)sst_get64(h + 8), (unsigned long long)r->gen),
               -1;
    return 0;
}

/* Header and whole-file CRC of a metadata component. */
static int check_meta(struct sst_reader *r, int comp, const uint8_t *b, size_t n)
{
    if (check_header(r, comp, b) < 0) return -1;
    if (crc32c(b, n - 4) != sst_get32(b + n - 4))
        return SST_CORRUPT(r->path[comp], n - 4, "checksum mismatch"), -1;
    return 0;
}

static int check_stream_header(struct sst_reader *r, int comp, int fd)
{
    uint8_t h[SST_STREAM_HDR];
    ssize_t got = sio_pread(fd, h, sizeof(h), 0);
    if (got < 0) return io_err(r->path[comp], 0, "read");
    if (got != (ssize_t)sizeof(h)) return SST_CORRUPT(r->path[comp], got, "file truncated"), -1;
    if (check_header(r, comp, h) < 0) return -1;
    if (crc32c(h, SST_HDR_LEN) != sst_get32(h + SST_HDR_LEN))
        return SST_CORRUPT(r->path[comp], SST_HDR_LEN, "header checksum mismatch"), -1;
    return 0;
}

static int load_toc(struct sst_reader *r)
{
    uint8_t *b;
    size_t n;
    if (read_whole(r, SST_C_TOC, 4096, &b, &n) < 0) return -1;
    int rc = -1;
    const char *path = r->path[SST_C_TOC];
    if (check_meta(r, SST_C_TOC, b, n) < 0) goto out;
    if (n != SST_HDR_LEN + 8 + 16 * (SST_N_COMP - 1) + 4 ||
        sst_get32(b + SST_HDR_LEN) != SST_N_COMP - 1) {
        SST_CORRUPT(path, SST_HDR_LEN, "bad component count");
        goto out;
    }
    for (int c = 0; c < SST_N_COMP - 1; c++) {
        const uint8_t *e = b + SST_HDR_LEN + 8 + 16 * c;
        if (sst_get32(e) != (uint32_t)c) {
            SST_CORRUPT(path, (uint64_t)(e - b), "bad component id");
            goto out;
        }
        r->comp_size[c] = sst_get64(e + 8);
    }
    r->comp_size[SST_C_TOC] = n;
    rc = 0;
out:
    mem_free(b);
    return rc;
}

static int load_compinfo(struct sst_reader *r)
{
    uint8_t *b;
    size_t n;
    const char *path = r->path[SST_C_COMPINFO];
    if (read_whole(r, SST_C_COMPINFO, SST_MAX_META, &b, &n) < 0) return -1;
    int rc = -1;
    if (check_meta(r, SST_C_COMPINFO, b, n) < 0) goto out;
    if (n < 52) {
        SST_CORRUPT(path, n, "file too short");
        goto out;
    }
    r->alg = b[16];
    r->chunk_len = sst_get32(b + 20);
    r->data_len = sst_get64(b + 24);
    r->n_chunks = sst_get64(b + 32);
    r->max_stored = sst_get32(b + 40);
    if (r->alg > SST_COMP_ZSTD) {
        SST_CORRUPT(path, 16, "unknown compression %d", r->alg);
        goto out;
    }
    if (r->chunk_len < 256 || r->chunk_len > (1u << 24)) {
        SST_CORRUPT(path, 20, "bad chunk length %u", r->chunk_len);
        goto out;
    }
    if (r->n_chunks != (r->data_len + r->chunk_len - 1) / r->chunk_len ||
        r->n_chunks > (n - 52) / 8 || n != 48 + 8 * (r->n_chunks + 1) + 4) {
        SST_CORRUPT(path, 32, "chunk count %llu does not match", (unsigned long long)r->n_chunks);
        goto out;
    }
    if (r->max_stored > sst_compress_bound(r->alg, r->chunk_len) + r->chunk_len) {
        SST_CORRUPT(path, 40, "bad largest chunk %u", r->max_stored);
        goto out;
    }
    r->chunk_off = mem_alloc(sizeof(uint64_t) * (size_t)(r->n_chunks + 1));
    if (!r->chunk_off) {
        SST_ERR(ENOMEM, "%s: out of memory", path);
        goto out;
    }
    for (uint64_t i = 0; i <= r->n_chunks; i++)
        r->chunk_off[i] = sst_get64(b + 48 + 8 * i);
    if (r->chunk_off[0] != SST_STREAM_HDR ||
        r->chunk_off[r->n_chunks] != r->comp_size[SST_C_DATA]) {
        SST_CORRUPT(path, 48, "chunk offsets do not cover Data.db");
        goto out;
    }
    for (uint64_t i = 0; i < r->n_chunks; i++) {
        uint64_t ulen = r->data_len - i * r->chunk_len;
        if (ulen > r->chunk_len) ulen = r->chunk_len;
        uint64_t a = r->chunk_off[i], z = r->chunk_off[i + 1];
        if (z <= a + 4 || z - a - 4 > ulen || z - a - 4 > r->max_stored) {
            SST_CORRUPT(path, 48 + 8 * i, "bad offset of chunk %llu", (unsigned long long)i);
            goto out;
        }
    }
    rc = 0;
out:
    mem_free(b);
    return rc;
}

static int load_summary(struct sst_reader *r)
{
    uint8_t *b;
    size_t n;
    const char *path = r->path[SST_C_SUMMARY];
    if (read_whole(r, SST_C_SUMMARY, SST_MAX_META, &b, &n) < 0) return -1;
    r->summ_buf = b;
    if (check_meta(r, SST_C_SUMMARY, b, n) < 0) return -1;
    struct sst_rd rd = {b + SST_HDR_LEN, b + n - 4, 0};
    r->n_summ = sst_rd_le64(&rd);
    r->max_blk = sst_rd_le32(&rd);
    sst_rd_le32(&rd); /* index interval: informative */
    uint64_t isz = sst_rd_le64(&rd);
    if (rd.bad || r->n_summ > (uint64_t)(rd.end - rd.p) / 24 || isz != r->comp_size[SST_C_INDEX] ||
        r->max_blk > (1u << 30)) {
        SST_CORRUPT(path, SST_HDR_LEN, "bad summary header");
        return -1;
    }
    if (r->n_summ) {
        r->summ = mem_alloc(sizeof(*r->summ) * (size_t)r->n_summ);
        if (!r->summ) return SST_ERR(ENOMEM, "%s: out of memory", path), -1;
    }
    uint64_t next = SST_STREAM_HDR;
    for (uint64_t i = 0; i < r->n_summ; i++) {
        struct sst_summ_ent *e = &r->summ[i];
        uint64_t at = (uint64_t)(rd.p - b);
        e->token = (int64_t)sst_rd_le64(&rd);
        e->blk_off = sst_rd_le64(&rd);
        e->blk_len = sst_rd_le32(&rd);
        uint32_t kl = sst_rd_le32(&rd);
        e->key.p = sst_rd_bytes(&rd, kl);
        e->key.len = (int32_t)kl;
        if (rd.bad || kl > INT32_MAX || e->blk_off != next || e->blk_len < SST_IBLK_FRAME ||
            e->blk_len > r->max_blk ||
            (i && sst_part_cmp(r->summ[i - 1].token, r->summ[i - 1].key, e->token, e->key) >= 0)) {
            SST_CORRUPT(path, at, "bad summary entry %llu", (unsigned long long)i);
            return -1;
        }
        if (!e->key.p) e->key.p = (const uint8_t *)"";
        next += e->blk_len;
    }
    if (rd.p != rd.end || next != isz) {
        SST_CORRUPT(path, (uint64_t)(rd.p - b), "summary does not cover Index.db");
        return -1;
    }
    return 0;
}

static int load_filter(struct sst_reader *r)
{
    uint8_t *b;
    size_t n;
    const char *path = r->path[SST_C_FILTER];
    if (read_whole(r, SST_C_FILTER, SST_MAX_META, &b, &n) < 0) return -1;
    int rc = -1;
    if (check_meta(r, SST_C_FILTER, b, n) < 0) goto out;
    if (n < 36) {
        SST_CORRUPT(path, n, "file too short");
        goto out;
    }
    uint32_t k = sst_get32(b + 16);
    uint64_t bits = sst_get64(b + 24);
    uint64_t words = (bits + 63) / 64;
    if (k > 30 || bits > (1ull << 40) || (bits == 0) != (k == 0) || n != 32 + 8 * words + 4) {
        SST_CORRUPT(path, 16, "bad filter size");
        goto out;
    }
    r->bloom.k = k;
    r->bloom.n_bits = bits;
    if (words) {
        r->bloom.bits = mem_alloc(8 * (size_t)words);
        if (!r->bloom.bits) {
            r->bloom.n_bits = 0;
            SST_ERR(ENOMEM, "%s: out of memory", path);
            goto out;
        }
        for (uint64_t i = 0; i < words; i++)
            r->bloom.bits[i] = sst_get64(b + 32 + 8 * i);
    }
    rc = 0;
out:
    mem_free(b);
    return rc;
}

static int load_stats(struct sst_reader *r, int n_ck)
{
    uint8_t *b;
    size_t n;
    const char *path = r->path[SST_C_STATS];
    if (read_whole(r, SST_C_STATS, SST_MAX_META, &b, &n) < 0) return -1;
    r->stats_buf = b;
    if (check_meta(r, SST_C_STATS, b, n) < 0) return -1;
    struct sst_rd rd = {b + SST_HDR_LEN, b + n - 4, 0};
    struct sst_stats *s = &r->stats;
    s->generation = r->gen;
    s->n_ck = (int)sst_rd_le32(&rd);
    uint32_t nb = sst_rd_le32(&rd);
    uint64_t *u[] = {&s->n_partitions,
                     &s->n_rows,
                     &s->n_cells,
                     &s->n_partition_tombstones,
                     &s->n_range_tombstones,
                     &s->n_row_tombstones,
                     &s->n_cell_tombstones,
                     &s->n_expiring,
                     (uint64_t *)&s->min_ts,
                     (uint64_t *)&s->max_ts,
                     (uint64_t *)&s->min_ldt,
                     (uint64_t *)&s->max_ldt,
                     (uint64_t *)&s->min_token,
                     (uint64_t *)&s->max_token,
                     &s->data_bytes,
                     &s->data_file_bytes,
                     &s->max_partition_bytes};
    for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++)
        *u[i] = sst_rd_le64(&rd);
    for (int i = 0; i < SST_SIZE_BUCKETS; i++)
        s->part_size_hist[i] = sst_rd_le64(&rd);
    if (nb > SST_LDT_BINS) rd.bad = 1;
    for (uint32_t i = 0; i < nb && !rd.bad; i++) {
        uint64_t bits = sst_rd_le64(&rd);
        memcpy(&s->ldt_bins[i].ldt, &bits, 8);
        s->ldt_bins[i].count = sst_rd_le64(&rd);
    }
    s->n_ldt_bins = rd.bad ? 0 : (int)nb;
    /* min and max clustering: values point into stats_buf */
    uint64_t cnt[2];
    const uint8_t *at[2];
    for (int j = 0; j < 2; j++) {
        cnt[j] = sst_rd_uv(&rd);
        at[j] = rd.p;
        if (cnt[j] > (uint64_t)(rd.end - rd.p) || cnt[j] > (uint64_t)n_ck) rd.bad = 1;
        for (uint64_t i = 0; i < cnt[j] && !rd.bad; i++)
            sst_rd_val(&rd);
    }
    if (rd.bad || rd.p != rd.end || s->data_file_bytes != r->comp_size[SST_C_DATA] ||
        s->data_bytes != r->data_len) {
        SST_CORRUPT(path, (uint64_t)(rd.p - b), "bad statistics");
        return -1;
    }
    if (s->n_ck != n_ck) {
        SST_ERR(EINVAL, "%s: written for %d clustering columns, the table has %d", path, s->n_ck,
                n_ck);
        return -1;
    }
    if (cnt[0] + cnt[1]) {
        r->stats_ck = mem_alloc(sizeof(db_val) * (size_t)(cnt[0] + cnt[1]));
        if (!r->stats_ck) return SST_ERR(ENOMEM, "%s: out of memory", path), -1;
    }
    for (int j = 0; j < 2; j++) {
        struct sst_rd v = {at[j], b + n - 4, 0};
        db_val *dst = r->stats_ck + (j ? cnt[0] : 0);
        for (uint64_t i = 0; i < cnt[j]; i++)
            dst[i] = sst_rd_val(&v);
        if (j == 0) {
            s->min_ck = cnt[0] ? dst : NULL;
            s->n_min_ck = (int)cnt[0];
        } else {
            s->max_ck = cnt[1] ? dst : NULL;
            s->n_max_ck = (int)cnt[1];
        }
    }
    return 0;
}

static void rfree(struct sst_reader *r)
{
    if (r->fd_data >= 0) sio_close(r->fd_data);
    if (r->fd_index >= 0) sio_close(r->fd_index);
    for (int i = 0; i < r->ckt.n_ck; i++)
        if (r->ckcols[i].type) type_free(r->ckcols[i].type);
    mem_free(r->ckcols);
    mem_free(r->chunk_off);
    mem_free(r->summ);
    mem_free(r->summ_buf);
    bloom_free(&r->bloom);
    mem_free(r->stats_buf);
    mem_free(r->stats_ck);
    mem_free(r->dir);
    mem_free(r->tdir);
    mem_free(r);
}

static int open_stream(struct sst_reader *r, int comp, int *fd)
{
    *fd = sio_open(r->path[comp], SIO_RDONLY);
    if (*fd < 0) return io_err(r->path[comp], 0, "open");
    uint64_t sz;
    if (sio_file_size(*fd, &sz) < 0) return io_err(r->path[comp], 0, "stat");
    if (sz != r->comp_size[comp])
        return SST_CORRUPT(r->path[comp], sz < r->comp_size[comp] ? sz : r->comp_size[comp],
                           "file is %llu bytes, the TOC says %llu", (unsigned long long)sz,
                           (unsigned long long)r->comp_size[comp]),
               -1;
    if (sz < SST_STREAM_HDR) return SST_CORRUPT(r->path[comp], sz, "file truncated"), -1;
    return check_stream_header(r, comp, *fd);
}

int sst_open(const char *dir, const char *table_dirname, uint64_t generation,
             const struct schema_table *t, struct sst_reader **out, char *err, size_t errsz)
{
    *out = NULL;
    struct sst_reader *r = mem_calloc(1, sizeof(*r));
    if (!r) {
        SST_ERR(ENOMEM, "sstable open: out of memory");
        goto fail;
    }
    atomic_init(&r->refs, 1);
    atomic_init(&r->obsolete, 0);
    r->fd_data = r->fd_index = -1;
    r->gen = generation;
    r->dir = mem_strndup(dir, strlen(dir));
    r->tdir = mem_strndup(table_dirname, strlen(table_dirname));
    r->ckcols = mem_calloc((size_t)(t->n_ck ? t->n_ck : 1), sizeof(struct schema_column));
    if (!r->dir || !r->tdir || !r->ckcols) {
        SST_ERR(ENOMEM, "sstable open: out of memory");
        goto fail;
    }
    for (int i = 0; i < t->n_ck; i++) {
        const struct schema_column *c = &t->cols[t->n_pk + i];
        r->ckcols[i].kind = COL_CLUSTERING;
        r->ckcols[i].position = i;
        r->ckcols[i].desc = c->desc;
        r->ckcols[i].type = type_dup(c->type);
        r->ckt.n_ck = i + 1; /* so rfree frees what was duplicated */
        if (!r->ckcols[i].type) {
            SST_ERR(ENOMEM, "sstable open: out of memory");
            goto fail;
        }
    }
    r->ckt.n_ck = t->n_ck;
    r->ckt.n_pk = 0;
    r->ckt.n_cols = t->n_ck;
    r->ckt.cols = r->ckcols;
    for (int c = 0; c < SST_N_COMP; c++)
        if (sst_path(r->path[c], SST_PATH_MAX, dir, table_dirname, generation, c, 0) < 0) {
            SST_ERR(ENAMETOOLONG, "%s/%s: path too long", dir, table_dirname);
            goto fail;
        }
    if (load_toc(r) < 0 || open_stream(r, SST_C_DATA, &r->fd_data) < 0 ||
        open_stream(r, SST_C_INDEX, &r->fd_index) < 0 || load_compinfo(r) < 0 ||
        load_summary(r) < 0 || load_filter(r) < 0 || load_stats(r, t->n_ck) < 0)
        goto fail;
    *out = r;
    return 0;
fail:
    if (err && errsz) snprintf(err, errsz, "%s", sst_errmsg());
    {
        int e = errno;
        if (r) rfree(r);
        errno = e;
    }
    return -1;
}

void sst_ref(struct sst_reader *r)
{
    atomic_fetch_add(&r->refs, 1);
}

void sst_unref(struct sst_reader *r)
{
    if (!r || atomic_fetch_sub(&r->refs, 1) != 1) return;
    int obsolete = atomic_load(&r->obsolete);
    if (r->fd_data >= 0) sio_close(r->fd_data);
    if (r->fd_index >= 0) sio_close(r->fd_index);
    r->fd_data = r->fd_index = -1;
    if (obsolete) sst_remove(r->dir, r->tdir, r->gen);
    rfree(r);
}

void sst_mark_obsolete(struct sst_reader *r)
{
    atomic_store(&r->obsolete, 1);
}

uint64_t sst_generation(const struct sst_reader *r)
{
    return r->gen;
}

const struct sst_stats *sst_stats(const struct sst_reader *r)
{
    return &r->stats;
}

int sst_may_contain(const struct sst_reader *r, int64_t token, db_val key)
{
    if (r->n_summ == 0 || key.len < 0) return 0;
    if (token < r->stats.min_token || token > r->stats.max_token) return 0;
    uint64_t h[2];
    bloom_hash(key, h);
    return bloom_test(&r->bloom, h);
}

/* ---- the data cursor ---- */

static struct sst_cur *cur_new(struct sst_reader *r, arena *a)
{
    struct sst_cur *c = arena_calloc(a, sizeof(*c));
    if (!c) goto oom;
    c->r = r;
    c->a = a;
    c->chunk = -1;
    c->ubuf = arena_alloc(a, (size_t)r->chunk_len + 4);
    if (!c->ubuf) goto oom;
    if (r->alg != SST_COMP_NONE) {
        c->cbuf = arena_alloc(a, (size_t)r->max_stored + 4);
        if (!c->cbuf) goto oom;
    }
    return c;
oom:
    SST_ERR(ENOMEM, "sstable read: out of memory");
    return NULL;
}

static uint32_t chunk_crc(uint64_t idx, const uint8_t *p, size_t n)
{
    uint8_t s[8];
    sst_le64(s, idx);
    return crc32c_extend(crc32c(s, 8), p, n);
}

static int cur_load(struct sst_cur *c, uint64_t ci)
{
    struct sst_reader *r = c->r;
    const char *path = r->path[SST_C_DATA];
    uint64_t off = r->chunk_off[ci];
    size_t stored = (size_t)(r->chunk_off[ci + 1] - off - 4);
    uint64_t ulen = r->data_len - ci * r->chunk_len;
    if (ulen > r->chunk_len) ulen = r->chunk_len;
    int raw = stored == ulen;
    if (!raw && r->alg == SST_COMP_NONE)
        return SST_CORRUPT(path, off, "chunk %llu has a compressed length", (unsigned long long)ci),
               -1;
    uint8_t *dst = raw ? c->ubuf : c->cbuf;
    c->chunk = -1;
    ssize_t got = sio_pread(r->fd_data, dst, stored + 4, off);
    if (got < 0) return io_err(path, off, "read");
    if ((size_t)got != stored + 4)
        return SST_CORRUPT(path, off + (uint64_t)got, "file truncated in chunk %llu",
                           (unsigned long long)ci),
               -1;
    if (chunk_crc(ci, dst, stored) != sst_get32(dst + stored))
        return SST_CORRUPT(path, off, "chunk %llu checksum mismatch", (unsigned long long)ci), -1;
    if (!raw) {
        void *zd = NULL;
        if (r->alg == SST_COMP_ZSTD && !(zd = sst_zstd_dctx()))
            return SST_ERR(ENOMEM, "sstable read: out of memory"), -1;
        if (sst_decompress(r->alg, zd, dst, stored, c->ubuf, (size_t)ulen) < 0)
            return SST_CORRUPT(path, off, "chunk %llu does not decompress", (unsigned long long)ci),
                   -1;
    }
    c->chunk = (int64_t)ci;
    c->chunk_n = (uint32_t)ulen;
    return 0;
}

/* Copies data[pos, pos + n) (uncompressed positions) to dst. */
static int cur_read(struct sst_cur *c, uint64_t pos, size_t n, void *dst)
{
    struct sst_reader *r = c->r;
    if (pos > r->data_len || n > r->data_len - pos)
        return SST_CORRUPT(r->path[SST_C_DATA], r->comp_size[SST_C_DATA],
                           "read of %zu bytes at uncompressed position %llu past the end", n,
                           (unsigned long long)pos),
               -1;
    uint8_t *d = dst;
    while (n) {
        uint64_t ci = pos / r->chunk_len;
        if (c->chunk != (int64_t)ci && cur_load(c, ci) < 0) return -1;
        uint64_t in = pos - ci * r->chunk_len;
        size_t k = (size_t)(c->chunk_n - in);
        if (k > n) k = n;
        memcpy(d, c->ubuf + in, k);
        d += k;
        pos += k;
        n -= k;
    }
    return 0;
}

/* Corruption found while decoding partition data at uncompressed pos. */
#define DATA_CORRUPT(r, pos, what, ...)                                                            \
    SST_CORRUPT((r)->path[SST_C_DATA],                                                             \
                (r)->chunk_off[(pos) / (r)->chunk_len < (r)->n_chunks ? (pos) / (r)->chunk_len     \
                                                                      : (r)->n_chunks],            \
                what " (chunk at this offset, uncompressed position %llu)", ##__VA_ARGS__,         \
                (unsigned long long)(pos))

/* ---- the partition index ---- */

struct ient {
    int64_t token;
    db_val key;
    uint64_t pos, len, rows_off, n_rows, n_ri;
    const uint8_t *ri;
    size_t ri_len;
};

/* Reads index block i into blk (max_blk bytes); OUT payload and its length. */
static int read_iblock(struct sst_reader *r, uint64_t i, uint8_t *blk, uint8_t **payload,
                       uint32_t *len)
{
    const struct sst_summ_ent *e = &r->summ[i];
    const char *path = r->path[SST_C_INDEX];
    ssize_t got = sio_pread(r->fd_index, blk, e->blk_len, e->blk_off);
    if (got < 0) return io_err(path, e->blk_off, "read");
    if ((size_t)got != e->blk_len)
        return SST_CORRUPT(path, e->blk_off + (uint64_t)got, "file truncated"), -1;
    uint32_t l = sst_get32(blk);
    if ((uint64_t)l + SST_IBLK_FRAME != e->blk_len)
        return SST_CORRUPT(path, e->blk_off, "index block length %u does not match the summary", l),
               -1;
    uint8_t o8[8];
    sst_le64(o8, e->blk_off);
    uint32_t crc = crc32c_extend(crc32c(o8, 8), blk, 8 + (size_t)l);
    if (crc != sst_get32(blk + 8 + l))
        return SST_CORRUPT(path, e->blk_off, "index block %llu checksum mismatch",
                           (unsigned long long)i),
               -1;
    *payload = blk + 8;
    *len = l;
    return 0;
}

static int parse_ient(struct sst_reader *r, struct sst_rd *rd, struct ient *e)
{
    e->token = (int64_t)sst_rd_le64(rd);
    e->key = sst_rd_val(rd);
    e->pos = sst_rd_uv(rd);
    e->len = sst_rd_uv(rd);
    e->rows_off = sst_rd_uv(rd);
    e->n_rows = sst_rd_uv(rd);
    e->n_ri = sst_rd_uv(rd);
    uint64_t rl = sst_rd_uv(rd);
    if (rd->bad || rl > (uint64_t)(rd->end - rd->p)) rd->bad = 1;
    e->ri_len = rd->bad ? 0 : (size_t)rl;
    e->ri = sst_rd_bytes(rd, e->ri_len);
    if (rd->bad || e->key.len < 0 || e->pos > r->data_len || e->len > r->data_len - e->pos ||
        e->rows_off >= e->len || e->n_ri > e->ri_len)
        return -1;
    if (!e->key.p) e->key.p = (const uint8_t *)"";
    return 0;
}

/* Clustering values read from a file must not outnumber the table's. */
static int ck_ok(const struct sst_reader *r, int n)
{
    return n <= r->ckt.n_ck;
}

/* Fills out from an index entry: row index and header decoded into a. */
static int load_part(struct sst_reader *r, struct sst_cur *cur, const struct ient *e,
                     struct sst_partition *out, arena *a)
{
    memset(out, 0, sizeof(*out));
    out->r = r;
    out->cur = cur;
    out->a = a;
    out->token = e->token;
    out->n_rows = e->n_rows;
    out->data_pos = e->pos;
    out->data_len = e->len;
    out->rows_off = e->rows_off;
    out->pdel.ts = DB_NO_TS;
    /* row index: copied, values point into the copy */
    if (e->n_ri) {
        uint8_t *ri = arena_memdup(a, e->ri, e->ri_len);
        out->ri_ck = arena_alloc(a, sizeof(db_val *) * (size_t)e->n_ri);
        out->ri_n_ck = arena_alloc(a, sizeof(int) * (size_t)e->n_ri);
        out->ri_off = arena_alloc(a, sizeof(uint64_t) * (size_t)e->n_ri);
        if (!ri || !out->ri_ck || !out->ri_n_ck || !out->ri_off) goto oom;
        struct sst_rd rd = {ri, ri + e->ri_len, 0};
        for (uint64_t i = 0; i < e->n_ri; i++) {
            out->ri_off[i] = sst_rd_uv(&rd);
            if (sst_rd_ck(&rd, a, &out->ri_ck[i], &out->ri_n_ck[i]) < 0) goto oom;
            if (rd.bad || !ck_ok(r, out->ri_n_ck[i]) || out->ri_off[i] < e->rows_off ||
                out->ri_off[i] >= e->len || (i && out->ri_off[i] <= out->ri_off[i - 1]))
                return SST_CORRUPT(r->path[SST_C_INDEX], 0,
                                   "bad row index of partition at uncompressed position %llu",
                                   (unsigned long long)e->pos),
                       -1;
        }
        out->n_ri = (int)e->n_ri;
    }
    /* header */
    uint8_t *h = arena_alloc(a, (size_t)e->rows_off);
    if (!h) goto oom;
    if (cur_read(cur, e->pos, (size_t)e->rows_off, h) < 0) return -1;
    struct sst_rd rd = {h, h + e->rows_off, 0};
    int64_t tok = (int64_t)sst_rd_le64(&rd);
    db_val k = sst_rd_val(&rd);
    if (rd.bad || tok != e->token || k.len != e->key.len ||
        (k.len > 0 && memcmp(k.p, e->key.p, (size_t)k.len) != 0))
        return DATA_CORRUPT(r, e->pos, "partition header does not match its index entry"), -1;
    out->key = k.len > 0 ? k : (db_val){(const uint8_t *)"", 0};
    uint8_t f = sst_rd_u8(&rd);
    if (f & ~SST_PART_KNOWN) rd.bad = 1;
    if (f & SST_PART_PDEL) {
        out->pdel.ts = sst_rd_sv(&rd);
        out->pdel.ldt = sst_rd_sv(&rd);
    }
    uint64_t n_rts = sst_rd_uv(&rd);
    if (rd.bad || n_rts > (uint64_t)(rd.end - rd.p) / 5) goto bad;
    if (n_rts) {
        out->rts = arena_calloc(a, sizeof(struct db_rt) * (size_t)n_rts);
        if (!out->rts) goto oom;
    }
    for (uint64_t i = 0; i < n_rts; i++) {
        struct db_rt *rt = &out->rts[i];
        uint8_t rf = sst_rd_u8(&rd);
        if (rf & ~3) rd.bad = 1;
        rt->start_incl = rf & 1;
        rt->end_incl = (rf & 2) != 0;
        if (sst_rd_ck(&rd, a, &rt->start, &rt->n_start) < 0 ||
            sst_rd_ck(&rd, a, &rt->end, &rt->n_end) < 0)
            goto oom;
        rt->del.ts = sst_rd_sv(&rd);
        rt->del.ldt = sst_rd_sv(&rd);
        if (rd.bad || !ck_ok(r, rt->n_start) || !ck_ok(r, rt->n_end)) goto bad;
    }
    out->n_rts = (int)n_rts;
    if (f & SST_PART_STATIC) {
        uint8_t rf = sst_rd_u8(&rd);
        uint64_t bl = sst_rd_uv(&rd);
        if (rd.bad || !(rf & SST_ROW_PRESENT) || (rf & ~SST_ROW_KNOWN) ||
            bl != (uint64_t)(rd.end - rd.p))
            goto bad;
        out->srow = arena_alloc(a, sizeof(struct db_row));
        if (!out->srow) goto oom;
        if (sst_decode_row_body(rd.p, (size_t)bl, rf, 1, out->srow, a) < 0) {
            if (errno == ENOMEM) goto oom;
            goto bad;
        }
        rd.p = rd.end;
    }
    if (rd.bad || rd.p != rd.end) goto bad;
    return 0;
bad:
    return DATA_CORRUPT(r, e->pos, "bad partition header"), -1;
oom:
    SST_ERR(ENOMEM, "sstable read: out of memory");
    return -1;
}

/* Index of the last summary entry for which before(entry) holds, -1 if none
 * (before is monotone over the sorted summary). */
struct target {
    int64_t token;
    db_val key; /* len -1: the edge of the token */
    bool incl;  /* entries equal to the target are not "before" it */
};

static int before(const struct target *t, int64_t tok, db_val key)
{
    if (t->key.len < 0) return t->incl ? tok < t->token : tok <= t->token;
    int c = sst_part_cmp(tok, key, t->token, t->key);
    return t->incl ? c < 0 : c <= 0;
}

static int64_t summ_search(const struct sst_reader *r, const struct target *t)
{
    int64_t lo = 0, hi = (int64_t)r->n_summ; /* first entry not before */
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (before(t, r->summ[mid].token, r->summ[mid].key))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - 1;
}

int sst_partition_find(struct sst_reader *r, int64_t token, db_val key, struct sst_partition *out,
                       arena *a)
{
    if (key.len < 0 || r->n_summ == 0) return 0;
    if (token < r->stats.min_token || token > r->stats.max_token) return 0;
    /* the last block whose first key is <= the key */
    struct target t = {token, key, false};
    int64_t i = summ_search(r, &t);
    if (i < 0) return 0;
    uint8_t *blk = mem_alloc(r->summ[i].blk_len);
    if (!blk) return SST_ERR(ENOMEM, "sstable read: out of memory"), -1;
    uint8_t *p;
    uint32_t len;
    int rc = 0;
    if (read_iblock(r, (uint64_t)i, blk, &p, &len) < 0) {
        rc = -1;
        goto out;
    }
    struct sst_rd rd = {p, p + len, 0};
    while (rd.p < rd.end) {
        uint64_t at = r->summ[i].blk_off + 8 + (uint64_t)(rd.p - p);
        struct ient e;
        if (parse_ient(r, &rd, &e) < 0) {
            SST_CORRUPT(r->path[SST_C_INDEX], at, "bad index entry");
            rc = -1;
            break;
        }
        int c = sst_part_cmp(e.token, e.key, token, key);
        if (c > 0) break;
        if (c == 0) {
            struct sst_cur *cur = cur_new(r, a);
            rc = !cur ? -1 : load_part(r, cur, &e, out, a) < 0 ? -1 : 1;
            break;
        }
    }
out:
    mem_free(blk);
    return rc;
}

/* ---- scans ---- */

static int scan_load(struct sst_scan *it, uint64_t i)
{
    it->i_summ = i;
    it->blk_pos = 0;
    it->blk_len = 0;
    uint8_t *p;
    uint32_t len;
    if (read_iblock(it->r, i, it->blk, &p, &len) < 0) return -1;
    it->blk_pos = (uint32_t)(p - it->blk);
    it->blk_len = it->blk_pos + len;
    return 0;
}

int sst_partition_seek(struct sst_reader *r, int64_t token, db_val key, bool incl,
                       struct sst_scan *it, arena *a)
{
    memset(it, 0, sizeof(*it));
    it->r = r;
    it->a = a;
    it->end_token = INT64_MAX;
    if (r->n_summ == 0) {
        it->state = 1;
        return 0;
    }
    it->blk = arena_alloc(a, r->max_blk);
    it->cur = cur_new(r, a);
    if (!it->blk || !it->cur) {
        it->state = 1;
        return SST_ERR(ENOMEM, "sstable read: out of memory"), -1;
    }
    it->seek_token = token;
    it->seek_incl = incl;
    it->seek_key = key;
    if (key.len >= 0) {
        it->seek_key.p = arena_memdup(a, key.p, (size_t)key.len + 1);
        if (!it->seek_key.p) {
            it->state = 1;
            return SST_ERR(ENOMEM, "sstable read: out of memory"), -1;
        }
    }
    it->seeking = true;
    struct target t = {token, it->seek_key, incl};
    int64_t i = summ_search(r, &t);
    if (scan_load(it, i < 0 ? 0 : (uint64_t)i) < 0) {
        it->state = 1;
        return -1;
    }
    return 0;
}

void sst_scan_set_end(struct sst_scan *it, int64_t end_token)
{
    it->end_token = end_token;
}

int sst_scan_next(struct sst_scan *it, struct sst_partition *out, arena *pa)
{
    struct sst_reader *r = it->r;
    for (;;) {
        if (it->state) return 0;
        if (it->blk_pos >= it->blk_len) {
            if (it->i_summ + 1 >= r->n_summ) {
                it->state = 1;
                return 0;
            }
            if (scan_load(it, it->i_summ + 1) < 0) {
                it->state = 1;
                return -1;
            }
            continue;
        }
        struct sst_rd rd = {it->blk + it->blk_pos, it->blk + it->blk_len, 0};
        struct ient e;
        if (parse_ient(r, &rd, &e) < 0) {
            it->state = 1;
            return SST_CORRUPT(r->path[SST_C_INDEX], r->summ[it->i_summ].blk_off + it->blk_pos,
                               "bad index entry"),
                   -1;
        }
        it->blk_pos = (uint32_t)(rd.p - it->blk);
        if (it->seeking) {
            struct target t = {it->seek_token, it->seek_key, it->seek_incl};
            if (before(&t, e.token, e.key)) continue;
            it->seeking = false;
        }
        if (e.token > it->end_token) {
            it->state = 1;
            return 0;
        }
        if (load_part(r, it->cur, &e, out, pa) < 0) {
            it->state = 1; /* an error ends the scan */
            return -1;
        }
        return 1;
    }
}

/* ---- rows ---- */

static int after_start(const struct sst_row_iter *it, const db_val *ck, int n)
{
    if (it->n_bound == 0) return 1;
    int c = sst_ck_prefix_cmp(&it->p->r->ckt, ck, n, it->bound, it->n_bound);
    return c > 0 || (c == 0 && it->incl);
}

int sst_rows_seek(struct sst_partition *p, const db_val *bound, int n, bool incl,
                  struct sst_row_iter *it)
{
    memset(it, 0, sizeof(*it));
    it->p = p;
    if (n > p->r->ckt.n_ck) n = p->r->ckt.n_ck;
    it->bound = bound;
    it->n_bound = n < 0 ? 0 : n;
    it->incl = incl;
    it->pos = p->rows_off;
    it->skipping = it->n_bound > 0;
    if (it->skipping && p->n_ri) {
        /* last row-index block whose first row is still before the bound */
        int lo = 0, hi = p->n_ri;
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (!after_start(it, p->ri_ck[mid], p->ri_n_ck[mid]))
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo > 0) it->pos = p->ri_off[lo - 1];
    }
    return 0;
}

int sst_rows_next(struct sst_row_iter *it, struct db_row *row, arena *a)
{
    struct sst_partition *p = it->p;
    struct sst_reader *r = p->r;
    struct sst_cur *c = p->cur;
    while (!it->done) {
        uint64_t abs = p->data_pos + it->pos;
        if (it->pos >= p->data_len) return DATA_CORRUPT(r, abs, "partition has no end mark"), -1;
        uint8_t h[11];
        size_t hn = p->data_len - it->pos < sizeof(h) ? (size_t)(p->data_len - it->pos) : sizeof(h);
        if (cur_read(c, abs, hn, h) < 0) return -1;
        if (h[0] == 0) {
            if (it->pos + 1 != p->data_len)
                return DATA_CORRUPT(r, abs, "end mark before the end of the partition"), -1;
            it->done = true;
            return 0;
        }
        struct sst_rd rd = {h + 1, h + hn, 0};
        uint64_t bl = sst_rd_uv(&rd);
        size_t hl = (size_t)(rd.p - h);
        if (rd.bad || !(h[0] & SST_ROW_PRESENT) || (h[0] & ~SST_ROW_KNOWN) ||
            bl > p->data_len - it->pos - hl - 1)
            return DATA_CORRUPT(r, abs, "bad row header"), -1;
        uint64_t body = abs + hl;
        int have = 0;
        if (it->skipping) {
            if (c->scratch_cap < bl) {
                size_t nc = c->scratch_cap * 2 > bl ? c->scratch_cap * 2 : (size_t)bl;
                c->scratch = arena_alloc(c->a, nc);
                c->scratch_cap = c->scratch ? nc : 0;
                if (!c->scratch) return SST_ERR(ENOMEM, "sstable read: out of memory"), -1;
            }
            if (cur_read(c, body, (size_t)bl, c->scratch) < 0) return -1;
            struct sst_rd cr = {c->scratch, c->scratch + bl, 0};
            db_val *ck;
            int nck;
            if (sst_rd_ck(&cr, a, &ck, &nck) < 0)
                return SST_ERR(ENOMEM, "sstable read: out of memory"), -1;
            if (cr.bad || !ck_ok(r, nck)) return DATA_CORRUPT(r, abs, "bad row clustering"), -1;
            if (!after_start(it, ck, nck)) {
                it->pos += hl + bl;
                continue;
            }
            it->skipping = false;
            have = 1;
        }
        uint8_t *b = arena_alloc(a, bl ? (size_t)bl : 1);
        if (!b) return SST_ERR(ENOMEM, "sstable read: out of memory"), -1;
        if (have)
            memcpy(b, c->scratch, (size_t)bl);
        else if (cur_read(c, body, (size_t)bl, b) < 0)
            return -1;
        if (sst_decode_row_body(b, (size_t)bl, h[0], 0, row, a) < 0) {
            if (errno == ENOMEM) return SST_ERR(ENOMEM, "sstable read: out of memory"), -1;
            return DATA_CORRUPT(r, abs, "bad row"), -1;
        }
        if (!ck_ok(r, row->n_ck)) return DATA_CORRUPT(r, abs, "bad row clustering"), -1;
        it->pos += hl + bl;
        return 1;
    }
    return 0;
}
