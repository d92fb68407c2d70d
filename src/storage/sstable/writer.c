/*
 * writer.c -- builds one sstable from a sorted stream of partitions.
 *
 * How it works: partitions are encoded into an uncompressed byte stream
 * (README.md "Data.db"); the stream is cut into chunks of chunk_len bytes,
 * each compressed on its own and followed by its CRC-32C, and the chunks
 * are appended to tmp-...-Data.db through a 1 MiB write buffer. When a
 * partition ends, its index entry (key, position, length, row index) goes
 * into the current index block; a block closes after index_interval entries
 * (or 64 KiB) and its first key becomes a summary entry. The bloom filter,
 * summary, chunk offsets and statistics are kept in memory and written at
 * sst_writer_finish, which then makes the sstable live:
 *
 *   OPEN --begin--> IN_PARTITION --add_rt*, add_row*--> --end--> OPEN
 *   OPEN --finish--> [fsync all, rename components, fsync dir,
 *                     rename TOC, fsync dir] --> freed (live)
 *   any failure --> FAILED (sticky errno) --abort/finish--> freed, files removed
 *
 * Invariants:
 *  (1) nothing under a final name exists before every component was fsynced
 *      (sst.h invariant 1); the TOC is renamed only after the directory
 *      holding the other renamed components was fsynced;
 *  (2) after the first failure every call fails with the same errno and no
 *      byte is written (STYLE.md habit 15);
 *  (3) the partition header (key, pdel, range tombstones, static row) is
 *      emitted when the first row or the end arrives, so rts given after
 *      begin and before the first row still precede the rows on disk.
 *
 * Thread context: one thread at a time (the flush or compaction job); all
 * calls block on I/O.
 */
#include "db/memtable.h"
#include "storage/io.h"
#include "storage/sstable/sst_int.h"
#include "util/crc32c.h"
#include "util/mem.h"
#include "util/murmur3.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define WBUF_FLUSH (1u << 20)

/* A copy of a clustering prefix (values in b, pointers in v). */
struct ckcopy {
    buf b;
    db_val *v;
    int n, cap;
};

struct sst_writer {
    const struct schema_table *t;
    struct sst_opts o;
    char *dir, *tdir;
    uint64_t gen;
    char tmp[SST_N_COMP][SST_PATH_MAX];
    char fin[SST_N_COMP][SST_PATH_MAX];
    int fd_data, fd_index;
    int err;      /* sticky errno, 0 if fine */
    int renaming; /* finish started renaming: final names may exist */
    /* data stream */
    uint8_t *chunk;
    uint32_t chunk_fill;
    uint64_t data_pos;   /* uncompressed bytes so far */
    uint64_t dfile_off;  /* Data.db bytes written + pending in dwbuf */
    uint64_t dfile_done; /* Data.db bytes written */
    buf dwbuf;
    uint64_t *chunk_off;
    uint64_t n_chunks, cap_chunks;
    uint8_t *cbuf;
    size_t cbuf_cap;
    uint32_t max_stored;
    void *zctx;
    /* index */
    buf iblk;
    uint32_t iblk_n;
    int64_t iblk_tok; /* first entry of the open block */
    buf iblk_key;
    buf iwbuf;
    uint64_t ifile_off, ifile_done;
    buf summ;
    uint64_t n_summ;
    uint32_t max_blk;
    /* bloom input: (h1, h2) per partition */
    uint64_t *hashes;
    uint64_t n_hash, cap_hash;
    /* the open partition */
    int in_part, hdr_done, have_prev;
    int64_t tok, prev_tok;
    buf key, prev_key;
    struct db_del pdel;
    buf srow; /* encoded static row (flags, len, body) */
    int has_static;
    buf rts;
    uint64_t n_rts;
    uint64_t part_start, n_rows_part, last_ri;
    buf ri;
    uint64_t n_ri;
    buf row;    /* scratch: one row body */
    buf ientry; /* scratch: one index entry */
    struct ckcopy prev_ck, first_ck;
    int have_prev_ck;
    /* statistics */
    struct sst_stats st;
    struct ckcopy min_ck, max_ck;
    int have_minmax;
};

/* ---- small helpers ---- */

static void ck_free(struct ckcopy *c)
{
    buf_free(&c->b);
    mem_free(c->v);
    memset(c, 0, sizeof(*c));
}

static int ck_set(struct ckcopy *c, const db_val *v, int n)
{
    if (n > c->cap) {
        db_val *nv = mem_realloc(c->v, sizeof(db_val) * (size_t)n);
        if (!nv) return -1;
        c->v = nv;
        c->cap = n;
    }
    buf_clear(&c->b);
    for (int i = 0; i < n; i++)
        if (v[i].len > 0) buf_put(&c->b, v[i].p, (size_t)v[i].len);
    if (!buf_ok(&c->b)) return -1;
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        c->v[i].len = v[i].len;
        c->v[i].p = v[i].len > 0 ? c->b.data + off : (const uint8_t *)"";
        if (v[i].len > 0) off += (size_t)v[i].len;
    }
    c->n = n;
    return 0;
}

static int fail(struct sst_writer *w, int e)
{
    if (!w->err) w->err = e ? e : EIO;
    errno = w->err;
    return -1;
}

static int io_fail(struct sst_writer *w, int comp, const char *what, uint64_t off)
{
    int e = errno ? errno : EIO;
    SST_ERR(e, "%s: offset %llu: %s failed: %s", w->tmp[comp], (unsigned long long)off, what,
            strerror(e));
    return fail(w, e);
}

static int oom(struct sst_writer *w)
{
    SST_ERR(ENOMEM, "sstable writer: out of memory");
    return fail(w, ENOMEM);
}

static void ts_stat(struct sst_writer *w, int64_t ts)
{
    if (ts == DB_NO_TS) return;
    if (w->st.min_ts == DB_NO_TS || ts < w->st.min_ts) w->st.min_ts = ts;
    if (w->st.max_ts == DB_NO_TS || ts > w->st.max_ts) w->st.max_ts = ts;
}

/* Streaming histogram (Ben-Haim & Tom-Tov): a new point becomes a bin; when
 * there are too many bins, the two closest merge into their weighted mean. */
static void ldt_stat(struct sst_writer *w, int64_t ldt)
{
    struct sst_stats *s = &w->st;
    if (s->min_ldt == DB_NO_TS || ldt < s->min_ldt) s->min_ldt = ldt;
    if (s->max_ldt == DB_NO_TS || ldt > s->max_ldt) s->max_ldt = ldt;
    double x = (double)ldt;
    int lo = 0, hi = s->n_ldt_bins;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (s->ldt_bins[mid].ldt < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < s->n_ldt_bins && s->ldt_bins[lo].ldt == x) {
        s->ldt_bins[lo].count++;
        return;
    }
    if (s->n_ldt_bins == SST_LDT_BINS) {
        int best = 0;
        double gap = INFINITY;
        for (int i = 0; i + 1 < s->n_ldt_bins; i++) {
            double g = s->ldt_bins[i + 1].ldt - s->ldt_bins[i].ldt;
            if (g < gap) {
                gap = g;
                best = i;
            }
        }
        /* merging may leave the new point closer than any pair: fine, the
         * estimate stays within one bin width */
        struct sst_ldt_bin *a = &s->ldt_bins[best], *b = &s->ldt_bins[best + 1];
        double c = (double)(a->count + b->count);
        a->ldt = (a->ldt * (double)a->count + b->ldt * (double)b->count) / c;
        a->count += b->count;
        memmove(b, b + 1, sizeof(*b) * (size_t)(s->n_ldt_bins - best - 2));
        s->n_ldt_bins--;
        /* re-find the insertion point after the merge */
        lo = 0;
        while (lo < s->n_ldt_bins && s->ldt_bins[lo].ldt < x)
            lo++;
        if (lo < s->n_ldt_bins && s->ldt_bins[lo].ldt == x) {
            s->ldt_bins[lo].count++;
            return;
        }
    }
    memmove(&s->ldt_bins[lo + 1], &s->ldt_bins[lo],
            sizeof(struct sst_ldt_bin) * (size_t)(s->n_ldt_bins - lo));
    s->ldt_bins[lo].ldt = x;
    s->ldt_bins[lo].count = 1;
    s->n_ldt_bins++;
}

static void del_stat(struct sst_writer *w, struct db_del d)
{
    ts_stat(w, d.ts);
    ldt_stat(w, d.ldt);
}

static void row_stats(struct sst_writer *w, const struct db_row *row)
{
    if (row->live_ts != DB_NO_TS) {
        ts_stat(w, row->live_ts);
        if (row->live_ttl > 0) {
            w->st.n_expiring++;
            ldt_stat(w, row->live_ldt);
        }
    }
    if (row->del.ts != DB_NO_TS) {
        w->st.n_row_tombstones++;
        del_stat(w, row->del);
    }
    for (int i = 0; i < row->n_cells; i++) {
        const struct db_cell *c = &row->cells[i];
        ts_stat(w, c->ts);
        w->st.n_cells++;
        if (c->kind == DB_CELL_TOMB || c->kind == DB_CELL_COMPLEX_DEL) {
            w->st.n_cell_tombstones++;
            ldt_stat(w, c->ldt);
        } else if (c->ttl > 0) {
            w->st.n_expiring++;
            ldt_stat(w, c->ldt);
        }
    }
}

/* ---- the data stream ---- */

static int flush_buf(struct sst_writer *w, int comp, int fd, buf *b, uint64_t *done)
{
    if (!b->len) return 0;
    if (sio_pwrite(fd, b->data, b->len, *done) < 0) return io_fail(w, comp, "write", *done);
    *done += b->len;
    buf_clear(b);
    return 0;
}

static uint32_t chunk_crc(uint64_t idx, const uint8_t *p, size_t n)
{
    uint8_t s[8];
    sst_le64(s, idx);
    return crc32c_extend(crc32c(s, 8), p, n);
}

static int emit_chunk(struct sst_writer *w)
{
    if (!w->chunk_fill) return 0;
    if (w->n_chunks + 1 >= w->cap_chunks) {
        uint64_t nc = w->cap_chunks ? w->cap_chunks * 2 : 256;
        uint64_t *n = mem_realloc(w->chunk_off, sizeof(uint64_t) * (size_t)nc);
        if (!n) return oom(w);
        w->chunk_off = n;
        w->cap_chunks = nc;
    }
    size_t stored =
        sst_compress(w->o.compression, w->zctx, w->chunk, w->chunk_fill, w->cbuf, w->cbuf_cap);
    w->chunk_off[w->n_chunks] = w->dfile_off;
    uint8_t crc[4];
    sst_le32(crc, chunk_crc(w->n_chunks, w->cbuf, stored));
    buf_put(&w->dwbuf, w->cbuf, stored);
    buf_put(&w->dwbuf, crc, 4);
    if (!buf_ok(&w->dwbuf)) return oom(w);
    w->n_chunks++;
    w->dfile_off += stored + 4;
    if (stored > w->max_stored) w->max_stored = (uint32_t)stored;
    w->chunk_fill = 0;
    if (w->dwbuf.len >= WBUF_FLUSH)
        return flush_buf(w, SST_C_DATA, w->fd_data, &w->dwbuf, &w->dfile_done);
    return 0;
}

static int data_put(struct sst_writer *w, const void *p, size_t n)
{
    const uint8_t *s = p;
    while (n) {
        size_t k = w->o.chunk_len - w->chunk_fill;
        if (k > n) k = n;
        memcpy(w->chunk + w->chunk_fill, s, k);
        w->chunk_fill += (uint32_t)k;
        s += k;
        n -= k;
        w->data_pos += k;
        if (w->chunk_fill == w->o.chunk_len && emit_chunk(w) < 0) return -1;
    }
    return 0;
}

/* ---- the index ---- */

static int close_iblock(struct sst_writer *w)
{
    if (!w->iblk_n) return 0;
    uint64_t off = w->ifile_off;
    uint32_t len = (uint32_t)w->iblk.len;
    uint8_t h[8], o8[8], c[4];
    sst_le32(h, len);
    sst_le32(h + 4, w->iblk_n);
    sst_le64(o8, off);
    uint32_t crc = crc32c(o8, 8);
    crc = crc32c_extend(crc, h, 8);
    crc = crc32c_extend(crc, w->iblk.data, len);
    sst_le32(c, crc);
    buf_put(&w->iwbuf, h, 8);
    buf_put(&w->iwbuf, w->iblk.data, len);
    buf_put(&w->iwbuf, c, 4);
    /* summary entry: token, block offset, block length, key */
    uint32_t blen = len + SST_IBLK_FRAME;
    sst_put_le64(&w->summ, (uint64_t)w->iblk_tok);
    sst_put_le64(&w->summ, off);
    sst_put_le32(&w->summ, blen);
    sst_put_le32(&w->summ, (uint32_t)w->iblk_key.len);
    buf_put(&w->summ, w->iblk_key.data, w->iblk_key.len);
    if (!buf_ok(&w->iwbuf) || !buf_ok(&w->summ)) return oom(w);
    w->n_summ++;
    if (blen > w->max_blk) w->max_blk = blen;
    w->ifile_off += blen;
    buf_clear(&w->iblk);
    w->iblk_n = 0;
    if (w->iwbuf.len >= WBUF_FLUSH)
        return flush_buf(w, SST_C_INDEX, w->fd_index, &w->iwbuf, &w->ifile_done);
    return 0;
}

/* ---- open ---- */

static void wfree(struct sst_writer *w)
{
    mem_free(w->dir);
    mem_free(w->tdir);
    mem_free(w->chunk);
    mem_free(w->cbuf);
    mem_free(w->chunk_off);
    mem_free(w->hashes);
    if (w->zctx) sst_zstd_cctx_free(w->zctx);
    buf *bufs[] = {&w->dwbuf,    &w->iblk, &w->iblk_key, &w->iwbuf, &w->summ, &w->key,
                   &w->prev_key, &w->srow, &w->rts,      &w->ri,    &w->row,  &w->ientry};
    for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
        buf_free(bufs[i]);
    ck_free(&w->prev_ck);
    ck_free(&w->first_ck);
    ck_free(&w->min_ck);
    ck_free(&w->max_ck);
    mem_free(w);
}

static void put_header(uint8_t *h, int comp, uint64_t gen)
{
    memcpy(h, sst_comp_magic[comp], 4);
    sst_le16(h + 4, SST_FORMAT_VERSION);
    sst_le16(h + 6, (uint16_t)comp);
    sst_le64(h + 8, gen);
}

/* The 20-byte header of Data.db / Index.db: common header + its CRC. */
static void stream_header(uint8_t h[SST_STREAM_HDR], int comp, uint64_t gen)
{
    put_header(h, comp, gen);
    sst_le32(h + SST_HDR_LEN, crc32c(h, SST_HDR_LEN));
}

int sst_writer_open(const char *dir, const char *table_dirname, uint64_t generation,
                    const struct schema_table *t, const struct sst_opts *o,
                    uint64_t expected_partitions, struct sst_writer **out, char *err, size_t errsz)
{
    *out = NULL;
    struct sst_writer *w = mem_calloc(1, sizeof(*w));
    char dpath[SST_PATH_MAX];
    if (!w) {
        SST_ERR(ENOMEM, "sstable writer: out of memory");
        goto fail;
    }
    w->fd_data = w->fd_index = -1;
    w->t = t;
    if (o)
        w->o = *o;
    else
        sst_opts_default(&w->o);
    if (w->o.chunk_len < 256 || w->o.chunk_len > (1u << 24) || w->o.index_interval < 1 ||
        w->o.row_index_bytes < 1 ||
        (w->o.compression != SST_COMP_NONE && w->o.compression != SST_COMP_LZ4 &&
         w->o.compression != SST_COMP_ZSTD)) {
        SST_ERR(EINVAL, "sstable writer: invalid options");
        goto fail;
    }
    w->gen = generation;
    w->dir = mem_strndup(dir, strlen(dir));
    w->tdir = mem_strndup(table_dirname, strlen(table_dirname));
    w->chunk = mem_alloc(w->o.chunk_len);
    w->cbuf_cap = sst_compress_bound(w->o.compression, w->o.chunk_len);
    if (w->cbuf_cap < w->o.chunk_len) w->cbuf_cap = w->o.chunk_len;
    w->cbuf = mem_alloc(w->cbuf_cap);
    if (expected_partitions > (1u << 20)) expected_partitions = 1u << 20; /* grows later */
    w->cap_hash = expected_partitions ? expected_partitions : 64;
    w->hashes = mem_alloc(sizeof(uint64_t) * 2 * (size_t)w->cap_hash);
    if (w->o.compression == SST_COMP_ZSTD) w->zctx = sst_zstd_cctx_new();
    if (!w->dir || !w->tdir || !w->chunk || !w->cbuf || !w->hashes ||
        (w->o.compression == SST_COMP_ZSTD && !w->zctx)) {
        SST_ERR(ENOMEM, "sstable writer: out of memory");
        goto fail;
    }
    buf *bufs[] = {&w->dwbuf,    &w->iblk, &w->iblk_key, &w->iwbuf, &w->summ, &w->key,
                   &w->prev_key, &w->srow, &w->rts,      &w->ri,    &w->row,  &w->ientry};
    for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
        buf_init(bufs[i]);
    buf_init(&w->prev_ck.b);
    buf_init(&w->first_ck.b);
    buf_init(&w->min_ck.b);
    buf_init(&w->max_ck.b);
    for (int c = 0; c < SST_N_COMP; c++)
        if (sst_path(w->tmp[c], SST_PATH_MAX, dir, table_dirname, generation, c, 1) < 0 ||
            sst_path(w->fin[c], SST_PATH_MAX, dir, table_dirname, generation, c, 0) < 0) {
            SST_ERR(ENAMETOOLONG, "%s/%s: path too long", dir, table_dirname);
            goto fail;
        }
    if (sst_dir_path(dpath, sizeof(dpath), dir, table_dirname) < 0 || sio_mkdirs(dpath) < 0) {
        SST_ERR(errno, "%s/%s: cannot create directory: %s", dir, table_dirname, strerror(errno));
        goto fail;
    }
    int fd = sio_open(w->fin[SST_C_TOC], SIO_RDONLY);
    if (fd >= 0) {
        sio_close(fd);
        SST_ERR(EEXIST, "%s: sstable generation %llu already exists", w->fin[SST_C_TOC],
                (unsigned long long)generation);
        goto fail;
    }
    if (errno != ENOENT) {
        SST_ERR(errno, "%s: cannot check: %s", w->fin[SST_C_TOC], strerror(errno));
        goto fail;
    }
    for (int c = 0; c < SST_N_COMP; c++) /* leftovers of a crashed writer of this generation */
        if (sio_unlink(w->tmp[c]) < 0 && errno != ENOENT) {
            SST_ERR(errno, "%s: cannot remove: %s", w->tmp[c], strerror(errno));
            goto fail;
        }
    w->fd_data = sio_open(w->tmp[SST_C_DATA], SIO_CREATE);
    if (w->fd_data < 0) {
        SST_ERR(errno, "%s: cannot create: %s", w->tmp[SST_C_DATA], strerror(errno));
        goto fail;
    }
    w->fd_index = sio_open(w->tmp[SST_C_INDEX], SIO_CREATE);
    if (w->fd_index < 0) {
        SST_ERR(errno, "%s: cannot create: %s", w->tmp[SST_C_INDEX], strerror(errno));
        goto fail;
    }
    uint8_t h[SST_STREAM_HDR];
    stream_header(h, SST_C_DATA, generation);
    buf_put(&w->dwbuf, h, sizeof(h));
    stream_header(h, SST_C_INDEX, generation);
    buf_put(&w->iwbuf, h, sizeof(h));
    if (!buf_ok(&w->dwbuf) || !buf_ok(&w->iwbuf)) {
        SST_ERR(ENOMEM, "sstable writer: out of memory");
        goto fail;
    }
    w->dfile_off = w->ifile_off = SST_STREAM_HDR;
    w->st.generation = generation;
    w->st.min_ts = w->st.max_ts = w->st.min_ldt = w->st.max_ldt = DB_NO_TS;
    w->st.min_token = INT64_MAX;
    w->st.max_token = INT64_MIN;
    w->st.n_ck = t->n_ck;
    *out = w;
    return 0;
fail:
    if (err && errsz) snprintf(err, errsz, "%s", sst_errmsg());
    {
        int e = errno;
        if (w) sst_writer_abort(w);
        errno = e;
    }
    return -1;
}

/* ---- partitions ---- */

static int check(struct sst_writer *w)
{
    if (w->err) {
        errno = w->err;
        return -1;
    }
    return 0;
}

static void encode_row(buf *b, buf *body, const struct db_row *row, int is_static)
{
    buf_clear(body);
    sst_encode_row_body(body, row, is_static);
    uint8_t f = SST_ROW_PRESENT;
    if (row->live_ts != DB_NO_TS || row->live_ttl || row->live_ldt) f |= SST_ROW_LIVE;
    if (row->del.ts != DB_NO_TS || row->del.ldt) f |= SST_ROW_DEL;
    buf_put_u8(b, f);
    sst_put_uv(b, body->len);
    buf_put(b, body->data, body->len);
}

int sst_writer_begin_partition(struct sst_writer *w, int64_t token, db_val key, struct db_del pdel,
                               const struct db_row *static_row)
{
    if (check(w)) return -1;
    if (w->in_part || key.len < 0) {
        SST_ERR(EINVAL, "sstable writer: begin_partition %s",
                w->in_part ? "inside a partition" : "with a null key");
        return fail(w, EINVAL);
    }
    db_val prev = {w->prev_key.data, (int32_t)w->prev_key.len};
    if (w->have_prev && sst_part_cmp(w->prev_tok, prev, token, key) >= 0) {
        SST_ERR(EINVAL, "sstable writer: partition (token %lld) out of order", (long long)token);
        return fail(w, EINVAL);
    }
    w->in_part = 1;
    w->hdr_done = 0;
    w->tok = token;
    buf_clear(&w->key);
    buf_put(&w->key, key.p, (size_t)key.len);
    w->pdel = pdel;
    buf_clear(&w->srow);
    w->has_static = static_row != NULL;
    if (static_row) {
        encode_row(&w->srow, &w->row, static_row, 1);
        row_stats(w, static_row);
    }
    buf_clear(&w->rts);
    w->n_rts = 0;
    buf_clear(&w->ri);
    w->n_ri = 0;
    w->n_rows_part = 0;
    w->have_prev_ck = 0;
    w->part_start = w->data_pos;
    if (!buf_ok(&w->key) || !buf_ok(&w->srow) || !buf_ok(&w->row)) return oom(w);
    if (pdel.ts != DB_NO_TS) {
        w->st.n_partition_tombstones++;
        del_stat(w, pdel);
    }
    return 0;
}

int sst_writer_add_rt(struct sst_writer *w, const struct db_rt *rt)
{
    if (check(w)) return -1;
    if (!w->in_part || w->hdr_done || rt->n_start < 0 || rt->n_start > w->t->n_ck ||
        rt->n_end < 0 || rt->n_end > w->t->n_ck) {
        SST_ERR(EINVAL, "sstable writer: add_rt %s",
                !w->in_part   ? "outside a partition"
                : w->hdr_done ? "after the first row"
                              : "with a bad bound");
        return fail(w, EINVAL);
    }
    buf_put_u8(&w->rts, (uint8_t)((rt->start_incl ? 1 : 0) | (rt->end_incl ? 2 : 0)));
    sst_put_ck(&w->rts, rt->start, rt->n_start);
    sst_put_ck(&w->rts, rt->end, rt->n_end);
    sst_put_sv(&w->rts, rt->del.ts);
    sst_put_sv(&w->rts, rt->del.ldt);
    if (!buf_ok(&w->rts)) return oom(w);
    w->n_rts++;
    w->st.n_range_tombstones++;
    del_stat(w, rt->del);
    return 0;
}

/* Writes the partition header once (invariant 3). */
static int write_header(struct sst_writer *w)
{
    if (w->hdr_done) return 0;
    w->hdr_done = 1;
    buf *h = &w->row;
    buf_clear(h);
    sst_put_le64(h, (uint64_t)w->tok);
    db_val k = {w->key.data, (int32_t)w->key.len};
    sst_put_val(h, k);
    uint8_t f = 0;
    if (w->pdel.ts != DB_NO_TS || w->pdel.ldt) f |= SST_PART_PDEL;
    if (w->has_static) f |= SST_PART_STATIC;
    buf_put_u8(h, f);
    if (f & SST_PART_PDEL) {
        sst_put_sv(h, w->pdel.ts);
        sst_put_sv(h, w->pdel.ldt);
    }
    sst_put_uv(h, w->n_rts);
    if (!buf_ok(h)) return oom(w);
    if (data_put(w, h->data, h->len) < 0 || data_put(w, w->rts.data, w->rts.len) < 0 ||
        data_put(w, w->srow.data, w->srow.len) < 0)
        return -1;
    return 0;
}

int sst_writer_add_row(struct sst_writer *w, const struct db_row *row)
{
    if (check(w)) return -1;
    if (!w->in_part || row->n_ck < 0 || row->n_ck > w->t->n_ck || (row->n_ck && !row->ck)) {
        SST_ERR(EINVAL, "sstable writer: add_row %s",
                w->in_part ? "with a bad clustering" : "outside a partition");
        return fail(w, EINVAL);
    }
    if (w->have_prev_ck &&
        db_ck_compare(w->t, w->prev_ck.v, w->prev_ck.n, row->ck, row->n_ck) >= 0) {
        SST_ERR(EINVAL, "sstable writer: rows out of clustering order (token %lld)",
                (long long)w->tok);
        return fail(w, EINVAL);
    }
    if (write_header(w) < 0) return -1;
    uint64_t rel = w->data_pos - w->part_start;
    if (w->n_rows_part == 0 || rel - w->last_ri >= w->o.row_index_bytes) {
        sst_put_uv(&w->ri, rel);
        sst_put_ck(&w->ri, row->ck, row->n_ck);
        w->n_ri++;
        w->last_ri = rel;
    }
    buf_clear(&w->ientry);
    encode_row(&w->ientry, &w->row, row, 0);
    if (!buf_ok(&w->ientry) || !buf_ok(&w->row) || !buf_ok(&w->ri)) return oom(w);
    if (data_put(w, w->ientry.data, w->ientry.len) < 0) return -1;
    if (ck_set(&w->prev_ck, row->ck, row->n_ck) < 0) return oom(w);
    if (!w->have_prev_ck && ck_set(&w->first_ck, row->ck, row->n_ck) < 0) return oom(w);
    w->have_prev_ck = 1;
    w->n_rows_part++;
    w->st.n_rows++;
    row_stats(w, row);
    return 0;
}

static void size_stat(struct sst_writer *w, uint64_t len)
{
    int b = 0;
    while (b + 1 < SST_SIZE_BUCKETS && (len >> (b + 1)))
        b++;
    w->st.part_size_hist[b]++;
    if (len > w->st.max_partition_bytes) w->st.max_partition_bytes = len;
}

int sst_writer_end_partition(struct sst_writer *w)
{
    if (check(w)) return -1;
    if (!w->in_part) {
        SST_ERR(EINVAL, "sstable writer: end_partition outside a partition");
        return fail(w, EINVAL);
    }
    if (write_header(w) < 0) return -1;
    /* rows_off: where the first row would start = after the header */
    uint64_t rows_off = w->n_ri ? 0 : w->data_pos - w->part_start;
    if (w->n_ri) {
        struct sst_rd r = {w->ri.data, w->ri.data + w->ri.len, 0};
        rows_off = sst_rd_uv(&r); /* the first entry is the first row */
    }
    uint8_t end = 0;
    if (data_put(w, &end, 1) < 0) return -1;
    uint64_t len = w->data_pos - w->part_start;
    /* index entry */
    buf *e = &w->ientry;
    buf_clear(e);
    sst_put_le64(e, (uint64_t)w->tok);
    db_val k = {w->key.data, (int32_t)w->key.len};
    sst_put_val(e, k);
    sst_put_uv(e, w->part_start);
    sst_put_uv(e, len);
    sst_put_uv(e, rows_off);
    sst_put_uv(e, w->n_rows_part);
    uint64_t n_ri = w->n_ri > 1 ? w->n_ri : 0; /* one block: no index needed */
    sst_put_uv(e, n_ri);
    sst_put_uv(e, n_ri ? w->ri.len : 0);
    if (n_ri) buf_put(e, w->ri.data, w->ri.len);
    if (w->iblk_n == 0) {
        w->iblk_tok = w->tok;
        buf_clear(&w->iblk_key);
        buf_put(&w->iblk_key, w->key.data, w->key.len);
    }
    buf_put(&w->iblk, e->data, e->len);
    if (!buf_ok(e) || !buf_ok(&w->iblk) || !buf_ok(&w->iblk_key)) return oom(w);
    w->iblk_n++;
    if ((w->iblk_n >= w->o.index_interval || w->iblk.len >= SST_IBLK_MAX) && close_iblock(w) < 0)
        return -1;
    /* bloom input */
    if (w->n_hash == w->cap_hash) {
        uint64_t nc = w->cap_hash * 2;
        uint64_t *nh = mem_realloc(w->hashes, sizeof(uint64_t) * 2 * (size_t)nc);
        if (!nh) return oom(w);
        w->hashes = nh;
        w->cap_hash = nc;
    }
    bloom_hash(k, &w->hashes[2 * w->n_hash]);
    w->n_hash++;
    /* statistics */
    w->st.n_partitions++;
    w->st.data_bytes += len;
    if (w->tok < w->st.min_token) w->st.min_token = w->tok;
    if (w->tok > w->st.max_token) w->st.max_token = w->tok;
    size_stat(w, len);
    if (w->n_rows_part) {
        if (!w->have_minmax ||
            db_ck_compare(w->t, w->first_ck.v, w->first_ck.n, w->min_ck.v, w->min_ck.n) < 0)
            if (ck_set(&w->min_ck, w->first_ck.v, w->first_ck.n) < 0) return oom(w);
        if (!w->have_minmax ||
            db_ck_compare(w->t, w->prev_ck.v, w->prev_ck.n, w->max_ck.v, w->max_ck.n) > 0)
            if (ck_set(&w->max_ck, w->prev_ck.v, w->prev_ck.n) < 0) return oom(w);
        w->have_minmax = 1;
    }
    w->prev_tok = w->tok;
    buf_clear(&w->prev_key);
    buf_put(&w->prev_key, w->key.data, w->key.len);
    if (!buf_ok(&w->prev_key)) return oom(w);
    w->have_prev = 1;
    w->in_part = 0;
    return 0;
}

/* ---- finish ---- */

static void meta_header(buf *b, int comp, uint64_t gen)
{
    uint8_t h[SST_HDR_LEN];
    put_header(h, comp, gen);
    buf_put(b, h, sizeof(h));
}

static void meta_crc(buf *b)
{
    sst_put_le32(b, crc32c(b->data, b->len));
}

/* Writes a whole component to its temporary file and fsyncs it. */
static int write_meta(struct sst_writer *w, int comp, const buf *b)
{
    int fd = sio_open(w->tmp[comp], SIO_CREATE);
    if (fd < 0) return io_fail(w, comp, "create", 0);
    if (sio_pwrite(fd, b->data, b->len, 0) < 0) {
        int e = errno;
        sio_close(fd);
        errno = e;
        return io_fail(w, comp, "write", 0);
    }
    if (sio_fsync(fd, 0) < 0) {
        int e = errno;
        sio_close(fd);
        errno = e;
        return io_fail(w, comp, "fsync", 0);
    }
    if (sio_close(fd) < 0) return io_fail(w, comp, "close", 0);
    return 0;
}

static void build_compinfo(struct sst_writer *w, buf *b)
{
    meta_header(b, SST_C_COMPINFO, w->gen);
    buf_put_u8(b, (uint8_t)w->o.compression);
    buf_put(b, "\0\0\0", 3);
    sst_put_le32(b, w->o.chunk_len);
    sst_put_le64(b, w->data_pos);
    sst_put_le64(b, w->n_chunks);
    sst_put_le32(b, w->max_stored);
    sst_put_le32(b, 0);
    for (uint64_t i = 0; i < w->n_chunks; i++)
        sst_put_le64(b, w->chunk_off[i]);
    sst_put_le64(b, w->dfile_off);
    meta_crc(b);
}

static void build_summary(struct sst_writer *w, buf *b)
{
    meta_header(b, SST_C_SUMMARY, w->gen);
    sst_put_le64(b, w->n_summ);
    sst_put_le32(b, w->max_blk);
    sst_put_le32(b, w->o.index_interval);
    sst_put_le64(b, w->ifile_off);
    buf_put(b, w->summ.data, w->summ.len);
    meta_crc(b);
}

static int build_filter(struct sst_writer *w, buf *b)
{
    struct bloom bl;
    if (bloom_init(&bl, w->n_hash, w->o.bloom_fp) < 0) return oom(w);
    for (uint64_t i = 0; i < w->n_hash; i++)
        bloom_add(&bl, &w->hashes[2 * i]);
    meta_header(b, SST_C_FILTER, w->gen);
    sst_put_le32(b, bl.k);
    sst_put_le32(b, 0);
    sst_put_le64(b, bl.n_bits);
    for (uint64_t i = 0; i < (bl.n_bits + 63) / 64; i++)
        sst_put_le64(b, bl.bits[i]);
    meta_crc(b);
    bloom_free(&bl);
    return 0;
}

static void build_stats(struct sst_writer *w, buf *b)
{
    const struct sst_stats *s = &w->st;
    meta_header(b, SST_C_STATS, w->gen);
    sst_put_le32(b, (uint32_t)s->n_ck);
    sst_put_le32(b, (uint32_t)s->n_ldt_bins);
    uint64_t u[] = {s->n_partitions,
                    s->n_rows,
                    s->n_cells,
                    s->n_partition_tombstones,
                    s->n_range_tombstones,
                    s->n_row_tombstones,
                    s->n_cell_tombstones,
                    s->n_expiring,
                    (uint64_t)s->min_ts,
                    (uint64_t)s->max_ts,
                    (uint64_t)s->min_ldt,
                    (uint64_t)s->max_ldt,
                    (uint64_t)s->min_token,
                    (uint64_t)s->max_token,
                    s->data_bytes,
                    s->data_file_bytes,
                    s->max_partition_bytes};
    for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++)
        sst_put_le64(b, u[i]);
    for (int i = 0; i < SST_SIZE_BUCKETS; i++)
        sst_put_le64(b, s->part_size_hist[i]);
    for (int i = 0; i < s->n_ldt_bins; i++) {
        uint64_t bits;
        memcpy(&bits, &s->ldt_bins[i].ldt, 8);
        sst_put_le64(b, bits);
        sst_put_le64(b, s->ldt_bins[i].count);
    }
    sst_put_ck(b, w->min_ck.v, w->have_minmax ? w->min_ck.n : 0);
    sst_put_ck(b, w->max_ck.v, w->have_minmax ? w->max_ck.n : 0);
    meta_crc(b);
}

static void build_toc(struct sst_writer *w, buf *b, const uint64_t *sizes)
{
    meta_header(b, SST_C_TOC, w->gen);
    sst_put_le32(b, SST_N_COMP - 1);
    sst_put_le32(b, 0);
    for (int c = 0; c < SST_N_COMP - 1; c++) {
        sst_put_le32(b, (uint32_t)c);
        sst_put_le32(b, 0);
        sst_put_le64(b, sizes[c]);
    }
    meta_crc(b);
}

static int sync_close(struct sst_writer *w, int comp, int *fd)
{
    if (sio_fsync(*fd, 0) < 0) return io_fail(w, comp, "fsync", 0);
    int rc = sio_close(*fd);
    *fd = -1;
    if (rc < 0) return io_fail(w, comp, "close", 0);
    return 0;
}

/* Removes every file of the writer, final names first for the TOC. */
static void remove_all(struct sst_writer *w)
{
    if (w->fd_data >= 0) sio_close(w->fd_data);
    if (w->fd_index >= 0) sio_close(w->fd_index);
    w->fd_data = w->fd_index = -1;
    int e = errno;
    if (w->renaming) sio_unlink(w->fin[SST_C_TOC]);
    for (int c = 0; c < SST_N_COMP; c++) {
        if (w->tmp[c][0]) sio_unlink(w->tmp[c]);
        if (w->renaming && c != SST_C_TOC) sio_unlink(w->fin[c]);
    }
    char d[SST_PATH_MAX];
    if (w->dir && w->tdir && sst_dir_path(d, sizeof(d), w->dir, w->tdir) == 0) sio_fsync_dir(d);
    errno = e;
}

int sst_writer_finish(struct sst_writer *w, struct sst_stats *stats_out)
{
    buf b;
    buf_init(&b);
    char d[SST_PATH_MAX];
    uint64_t sizes[SST_N_COMP] = {0};
    if (check(w)) goto fail;
    if (w->in_part) {
        SST_ERR(EINVAL, "sstable writer: finish inside a partition");
        fail(w, EINVAL);
        goto fail;
    }
    if (emit_chunk(w) < 0 || flush_buf(w, SST_C_DATA, w->fd_data, &w->dwbuf, &w->dfile_done) < 0)
        goto fail;
    if (close_iblock(w) < 0 ||
        flush_buf(w, SST_C_INDEX, w->fd_index, &w->iwbuf, &w->ifile_done) < 0)
        goto fail;
    w->st.data_file_bytes = w->dfile_off;
    sizes[SST_C_DATA] = w->dfile_off;
    sizes[SST_C_INDEX] = w->ifile_off;
    if (sync_close(w, SST_C_DATA, &w->fd_data) < 0 || sync_close(w, SST_C_INDEX, &w->fd_index) < 0)
        goto fail;
    build_compinfo(w, &b);
    if (!buf_ok(&b)) goto nomem;
    sizes[SST_C_COMPINFO] = b.len;
    if (write_meta(w, SST_C_COMPINFO, &b) < 0) goto fail;
    buf_clear(&b);
    build_summary(w, &b);
    if (!buf_ok(&b)) goto nomem;
    sizes[SST_C_SUMMARY] = b.len;
    if (write_meta(w, SST_C_SUMMARY, &b) < 0) goto fail;
    buf_clear(&b);
    if (build_filter(w, &b) < 0) goto fail;
    if (!buf_ok(&b)) goto nomem;
    sizes[SST_C_FILTER] = b.len;
    if (write_meta(w, SST_C_FILTER, &b) < 0) goto fail;
    buf_clear(&b);
    build_stats(w, &b);
    if (!buf_ok(&b)) goto nomem;
    sizes[SST_C_STATS] = b.len;
    if (write_meta(w, SST_C_STATS, &b) < 0) goto fail;
    buf_clear(&b);
    build_toc(w, &b, sizes);
    if (!buf_ok(&b)) goto nomem;
    if (write_meta(w, SST_C_TOC, &b) < 0) goto fail;
    /* invariant (1): components, directory, then the TOC, directory */
    w->renaming = 1;
    for (int c = 0; c < SST_N_COMP - 1; c++)
        if (sio_rename(w->tmp[c], w->fin[c]) < 0) {
            io_fail(w, c, "rename", 0);
            goto fail;
        }
    if (sst_dir_path(d, sizeof(d), w->dir, w->tdir) < 0 || sio_fsync_dir(d) < 0) {
        io_fail(w, SST_C_TOC, "fsync of the directory before", 0);
        goto fail;
    }
    if (sio_rename(w->tmp[SST_C_TOC], w->fin[SST_C_TOC]) < 0) {
        io_fail(w, SST_C_TOC, "rename", 0);
        goto fail;
    }
    if (sio_fsync_dir(d) < 0) {
        io_fail(w, SST_C_TOC, "fsync of the directory after", 0);
        goto fail;
    }
    if (stats_out) {
        *stats_out = w->st;
        stats_out->min_ck = stats_out->max_ck = NULL;
        stats_out->n_min_ck = stats_out->n_max_ck = 0;
    }
    buf_free(&b);
    wfree(w);
    return 0;
nomem:
    oom(w);
fail : {
    int e = w->err ? w->err : (errno ? errno : EIO);
    buf_free(&b);
    remove_all(w);
    wfree(w);
    errno = e;
    return -1;
}
}

void sst_writer_abort(struct sst_writer *w)
{
    if (!w) return;
    remove_all(w);
    wfree(w);
}
