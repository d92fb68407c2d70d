/*
 * format.c -- the pieces of the sstable format that writer and reader share:
 * component names, the per-thread error message, varints, the row body
 * codec, partition and clustering comparisons, options and the droppable
 * tombstone estimate. Byte layouts: README.md ("Data.db").
 *
 * Invariants:
 *  (1) sst_decode_row_body never reads outside [p, p + n) and accepts only
 *      what sst_encode_row_body can produce for the same flags (every byte
 *      consumed, counts bounded by the bytes left);
 *  (2) decode(encode(row)) == row field by field (values byte for byte,
 *      DB_NO_TS kept, null and empty values told apart).
 */
#include "storage/sstable/sst_int.h"
#include "db/memtable.h"
#include "util/mem.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const sst_comp_name[SST_N_COMP] = {
    "Data.db",       "Index.db",           "Summary.db", "Filter.db",
    "Statistics.db", "CompressionInfo.db", "TOC.db",
};
const char sst_comp_magic[SST_N_COMP][5] = {"RSDA", "RSIX", "RSSU", "RSFI", "RSST", "RSCI", "RSTC"};

int sst_dir_path(char *out, size_t n, const char *dir, const char *tdir)
{
    int k = snprintf(out, n, "%s/%s", dir, tdir);
    return k < 0 || (size_t)k >= n ? -1 : 0;
}

int sst_path(char *out, size_t n, const char *dir, const char *tdir, uint64_t gen, int comp,
             int tmp)
{
    int k = snprintf(out, n, "%s/%s/%srdb-%llu-%s", dir, tdir, tmp ? "tmp-" : "",
                     (unsigned long long)gen, sst_comp_name[comp]);
    return k < 0 || (size_t)k >= n ? -1 : 0;
}

/* ---- errors ---- */

static _Thread_local char errbuf[512];

void sst_set_err(int e, const char *src, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
    va_end(ap);
    const char *base = strrchr(src, '/');
    base = base ? base + 1 : src;
    if (k >= 0 && (size_t)k < sizeof(errbuf))
        snprintf(errbuf + k, sizeof(errbuf) - (size_t)k, " (%s:%d)", base, line);
    errno = e;
}

const char *sst_errmsg(void)
{
    return errbuf;
}

/* ---- encoding ---- */

void sst_put_uv(buf *b, uint64_t v)
{
    uint8_t t[10];
    int n = 0;
    while (v >= 0x80) {
        t[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    t[n++] = (uint8_t)v;
    buf_put(b, t, (size_t)n);
}

void sst_put_sv(buf *b, int64_t v)
{
    sst_put_uv(b, sst_zz(v));
}

void sst_put_val(buf *b, db_val v)
{
    if (v.len < 0) {
        sst_put_uv(b, 0);
        return;
    }
    sst_put_uv(b, (uint64_t)v.len + 1);
    buf_put(b, v.p, (size_t)v.len);
}

void sst_put_ck(buf *b, const db_val *ck, int n)
{
    sst_put_uv(b, (uint64_t)n);
    for (int i = 0; i < n; i++)
        sst_put_val(b, ck[i]);
}

void sst_put_le32(buf *b, uint32_t v)
{
    uint8_t t[4];
    sst_le32(t, v);
    buf_put(b, t, 4);
}

void sst_put_le64(buf *b, uint64_t v)
{
    uint8_t t[8];
    sst_le64(t, v);
    buf_put(b, t, 8);
}

uint64_t sst_rd_uv(struct sst_rd *r)
{
    uint64_t v = 0;
    for (int s = 0; s < 64; s += 7) {
        if (r->p >= r->end) {
            r->bad = 1;
            return 0;
        }
        uint8_t c = *r->p++;
        if (s == 63 && c > 1) { /* more than 64 bits */
            r->bad = 1;
            return 0;
        }
        v |= (uint64_t)(c & 0x7f) << s;
        if (!(c & 0x80)) return v;
    }
    r->bad = 1;
    return 0;
}

int64_t sst_rd_sv(struct sst_rd *r)
{
    return sst_unzz(sst_rd_uv(r));
}

uint8_t sst_rd_u8(struct sst_rd *r)
{
    if (r->p >= r->end) {
        r->bad = 1;
        return 0;
    }
    return *r->p++;
}

const uint8_t *sst_rd_bytes(struct sst_rd *r, size_t n)
{
    if ((size_t)(r->end - r->p) < n) {
        r->bad = 1;
        r->p = r->end;
        return NULL;
    }
    const uint8_t *p = r->p;
    r->p += n;
    return p;
}

uint32_t sst_rd_le32(struct sst_rd *r)
{
    const uint8_t *p = sst_rd_bytes(r, 4);
    return p ? sst_get32(p) : 0;
}

uint64_t sst_rd_le64(struct sst_rd *r)
{
    const uint8_t *p = sst_rd_bytes(r, 8);
    return p ? sst_get64(p) : 0;
}

db_val sst_rd_val(struct sst_rd *r)
{
    db_val v = {NULL, -1};
    uint64_t l = sst_rd_uv(r);
    if (r->bad || l == 0) return v;
    if (l - 1 > INT32_MAX) {
        r->bad = 1;
        return v;
    }
    const uint8_t *p = sst_rd_bytes(r, (size_t)(l - 1));
    if (!p) return v;
    v.p = p;
    v.len = (int32_t)(l - 1);
    return v;
}

int sst_rd_ck(struct sst_rd *r, arena *a, db_val **ck, int *n)
{
    *ck = NULL;
    *n = 0;
    uint64_t k = sst_rd_uv(r);
    if (r->bad) return 0;
    if (k > (uint64_t)(r->end - r->p) || k > 65535) { /* each value takes >= 1 byte */
        r->bad = 1;
        return 0;
    }
    if (k == 0) return 0;
    db_val *v = arena_alloc(a, sizeof(db_val) * (size_t)k);
    if (!v) {
        errno = ENOMEM;
        return -1;
    }
    for (uint64_t i = 0; i < k; i++)
        v[i] = sst_rd_val(r);
    *ck = v;
    *n = (int)k;
    return 0;
}

/*
 * Row body: [ck] [liveness] [deletion] n_cells cells; see README.md.
 * The flags byte (written before the body by the caller) says which of
 * liveness and deletion are present.
 */
void sst_encode_row_body(buf *b, const struct db_row *row, int is_static)
{
    if (!is_static) sst_put_ck(b, row->ck, row->n_ck);
    if (row->live_ts != DB_NO_TS || row->live_ttl || row->live_ldt) {
        sst_put_sv(b, row->live_ts);
        sst_put_sv(b, row->live_ttl);
        sst_put_sv(b, row->live_ldt);
    }
    if (row->del.ts != DB_NO_TS || row->del.ldt) {
        sst_put_sv(b, row->del.ts);
        sst_put_sv(b, row->del.ldt);
    }
    sst_put_uv(b, (uint64_t)row->n_cells);
    for (int i = 0; i < row->n_cells; i++) {
        const struct db_cell *c = &row->cells[i];
        sst_put_uv(b, c->col);
        buf_put_u8(b, c->kind);
        sst_put_sv(b, c->ts);
        sst_put_sv(b, c->ttl);
        sst_put_sv(b, c->ldt);
        sst_put_val(b, c->path);
        sst_put_val(b, c->value);
    }
}

int sst_decode_row_body(const uint8_t *p, size_t n, uint8_t flags, int is_static,
                        struct db_row *row, arena *a)
{
    struct sst_rd r = {p, p + n, 0};
    memset(row, 0, sizeof(*row));
    row->live_ts = DB_NO_TS;
    row->del.ts = DB_NO_TS;
    if (!is_static && sst_rd_ck(&r, a, &row->ck, &row->n_ck) < 0) return -1;
    if (flags & SST_ROW_LIVE) {
        row->live_ts = sst_rd_sv(&r);
        int64_t ttl = sst_rd_sv(&r);
        if (ttl < INT32_MIN || ttl > INT32_MAX) r.bad = 1;
        row->live_ttl = (int32_t)ttl;
        row->live_ldt = sst_rd_sv(&r);
    }
    if (flags & SST_ROW_DEL) {
        row->del.ts = sst_rd_sv(&r);
        row->del.ldt = sst_rd_sv(&r);
    }
    uint64_t nc = sst_rd_uv(&r);
    /* a cell takes at least 7 bytes */
    if (r.bad || nc > (uint64_t)(r.end - r.p) / 7 || nc > INT32_MAX) goto bad;
    if (nc) {
        row->cells = arena_alloc(a, sizeof(struct db_cell) * (size_t)nc);
        if (!row->cells) {
            errno = ENOMEM;
            return -1;
        }
    }
    for (uint64_t i = 0; i < nc; i++) {
        struct db_cell *c = &row->cells[i];
        uint64_t col = sst_rd_uv(&r);
        if (col > UINT16_MAX) r.bad = 1;
        c->col = (uint16_t)col;
        c->kind = sst_rd_u8(&r);
        c->ts = sst_rd_sv(&r);
        int64_t ttl = sst_rd_sv(&r);
        if (ttl < INT32_MIN || ttl > INT32_MAX) r.bad = 1;
        c->ttl = (int32_t)ttl;
        c->ldt = sst_rd_sv(&r);
        c->path = sst_rd_val(&r);
        c->value = sst_rd_val(&r);
        if (r.bad) goto bad;
    }
    row->n_cells = (int)nc;
    if (r.bad || r.p != r.end) goto bad;
    return 0;
bad:
    errno = EBADMSG;
    return -1;
}

/* ---- comparisons ---- */

int sst_part_cmp(int64_t ta, db_val ka, int64_t tb, db_val kb)
{
    if (ta != tb) return ta < tb ? -1 : 1;
    if (ka.len < 0 || kb.len < 0) return (ka.len >= 0) - (kb.len >= 0);
    size_t k = (size_t)(ka.len < kb.len ? ka.len : kb.len);
    int c = k ? memcmp(ka.p, kb.p, k) : 0;
    if (c) return c < 0 ? -1 : 1;
    return (ka.len > kb.len) - (ka.len < kb.len);
}

int sst_ck_prefix_cmp(const struct schema_table *t, const db_val *a, int na, const db_val *b,
                      int nb)
{
    int n = na < nb ? na : nb;
    return db_ck_compare(t, a, n, b, n);
}

/* ---- options ---- */

void sst_opts_default(struct sst_opts *o)
{
    o->compression = SST_COMP_LZ4;
    o->chunk_len = 16 * 1024;
    o->bloom_fp = 0.01;
    o->index_interval = 128;
    o->row_index_bytes = 64 * 1024;
}

static int map_get(const struct schema_opt *o, const char *key, char *out, size_t outsz)
{
    if (!o || o->len < 4) return -1;
    const uint8_t *p = o->val, *end = o->val + o->len;
    int32_t n = (int32_t)be32(p);
    p += 4;
    for (int32_t i = 0; i < n; i++) {
        int32_t kl, vl;
        if (end - p < 4) return -1;
        kl = (int32_t)be32(p);
        p += 4;
        if (kl < 0 || end - p < kl) return -1;
        const uint8_t *k = p;
        p += kl;
        if (end - p < 4) return -1;
        vl = (int32_t)be32(p);
        p += 4;
        if (vl < 0 || end - p < vl) return -1;
        if ((size_t)kl == strlen(key) && memcmp(k, key, (size_t)kl) == 0) {
            size_t c = (size_t)vl < outsz - 1 ? (size_t)vl : outsz - 1;
            memcpy(out, p, c);
            out[c] = 0;
            return 0;
        }
        p += vl;
    }
    return -1;
}

void sst_opts_from_table(const struct schema_table *t, struct sst_opts *o)
{
    sst_opts_default(o);
    const struct schema_opt *fp = schema_table_opt(t, "bloom_filter_fp_chance");
    if (fp && fp->len == 8) {
        uint64_t bits = be64(fp->val);
        double d;
        memcpy(&d, &bits, 8);
        if (d > 0) o->bloom_fp = d;
    }
    const struct schema_opt *mi = schema_table_opt(t, "min_index_interval");
    if (mi && mi->len == 4) {
        int32_t v = (int32_t)be32(mi->val);
        if (v >= 1) o->index_interval = (uint32_t)v;
    }
    const struct schema_opt *c = schema_table_opt(t, "compression");
    if (c && c->len >= 4) {
        char v[128];
        if (be32(c->val) == 0 ||
            (map_get(c, "enabled", v, sizeof(v)) == 0 && strcmp(v, "false") == 0)) {
            o->compression = SST_COMP_NONE;
        } else if (map_get(c, "class", v, sizeof(v)) == 0) {
            o->compression = strstr(v, "Zstd") ? SST_COMP_ZSTD : SST_COMP_LZ4;
        }
        if (map_get(c, "chunk_length_in_kb", v, sizeof(v)) == 0) {
            long kb = strtol(v, NULL, 10);
            if (kb >= 1 && kb <= 1024) o->chunk_len = (uint32_t)kb * 1024;
        }
    }
}

/* ---- statistics ---- */

uint64_t sst_droppable_tombstones(const struct sst_stats *s, int64_t gc_before)
{
    /* Bins are centroids: a bin counts fully when its centroid is before
     * gc_before (Cassandra's estimate works from the same kind of histogram). */
    uint64_t n = 0;
    for (int i = 0; i < s->n_ldt_bins; i++)
        if (s->ldt_bins[i].ldt < (double)gc_before) n += s->ldt_bins[i].count;
    return n;
}
