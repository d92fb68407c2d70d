/*
 * sst_int.h -- what the files of storage/sstable/ share and nobody else may
 * use: component names and magics, little-endian and varint codecs, the
 * thread's error message, the bloom filter, the reader's in-memory state and
 * the data cursor. Byte layouts: README.md.
 */
#ifndef RINGDB_STORAGE_SSTABLE_SST_INT_H
#define RINGDB_STORAGE_SSTABLE_SST_INT_H

#include "storage/sstable/sst.h"

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

/* ---- components ---- */

enum sst_comp {
    SST_C_DATA = 0,
    SST_C_INDEX = 1,
    SST_C_SUMMARY = 2,
    SST_C_FILTER = 3,
    SST_C_STATS = 4,
    SST_C_COMPINFO = 5,
    SST_C_TOC = 6,
    SST_N_COMP = 7
};

extern const char *const sst_comp_name[SST_N_COMP]; /* "Data.db", ... */
extern const char sst_comp_magic[SST_N_COMP][5];    /* "RSDA", ... */

#define SST_HDR_LEN    16           /* magic, version, component, generation */
#define SST_STREAM_HDR 20           /* Data.db / Index.db: header + its CRC */
#define SST_IBLK_FRAME 12           /* index block: len, count, ..., crc */
#define SST_IBLK_MAX   (64u * 1024) /* an index block closes once its payload reaches this */
#define SST_MAX_META   (1u << 30)   /* largest metadata component we load */
#define SST_PATH_MAX   4096

/* Row flags (first byte of a row in Data). 0 is the end-of-partition mark. */
#define SST_ROW_PRESENT 0x01
#define SST_ROW_LIVE    0x02 /* liveness ts/ttl/ldt follow */
#define SST_ROW_DEL     0x04 /* row tombstone ts/ldt follow */
#define SST_ROW_KNOWN   0x07

/* Partition header flags. */
#define SST_PART_PDEL   0x01
#define SST_PART_STATIC 0x02
#define SST_PART_KNOWN  0x03

/* "<dir>/<table_dirname>/[tmp-]rdb-<gen>-<component>"; -1 if too long. */
int sst_path(char *out, size_t n, const char *dir, const char *tdir, uint64_t gen, int comp,
             int tmp);
int sst_dir_path(char *out, size_t n, const char *dir, const char *tdir);

/* ---- errors (per thread) ---- */

void sst_set_err(int e, const char *src, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define SST_ERR(e, ...) sst_set_err((e), __FILE__, __LINE__, __VA_ARGS__)
/* corruption at a byte offset of a file: errno EBADMSG */
#define SST_CORRUPT(path, off, what, ...)                                                          \
    sst_set_err(EBADMSG, __FILE__, __LINE__, "%s: offset %llu: sstable corrupt: " what, (path),    \
                (unsigned long long)(off), ##__VA_ARGS__)

/* ---- little endian, varints ---- */

static inline void sst_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void sst_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void sst_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t sst_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t sst_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t sst_get64(const uint8_t *p)
{
    return (uint64_t)sst_get32(p) | ((uint64_t)sst_get32(p + 4) << 32);
}
static inline uint64_t sst_zz(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}
static inline int64_t sst_unzz(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

void sst_put_uv(buf *b, uint64_t v);
void sst_put_sv(buf *b, int64_t v);
void sst_put_val(buf *b, db_val v); /* varint(len + 1), bytes; null = 0 */
void sst_put_ck(buf *b, const db_val *ck, int n);
void sst_put_le32(buf *b, uint32_t v);
void sst_put_le64(buf *b, uint64_t v);

/* A bounds-checked reader over contiguous bytes: any overrun sets bad and
 * returns zeros, so a decoder checks once at the end. */
struct sst_rd {
    const uint8_t *p, *end;
    int bad;
};
uint64_t sst_rd_uv(struct sst_rd *r);
int64_t sst_rd_sv(struct sst_rd *r);
uint8_t sst_rd_u8(struct sst_rd *r);
uint32_t sst_rd_le32(struct sst_rd *r);
uint64_t sst_rd_le64(struct sst_rd *r);
const uint8_t *sst_rd_bytes(struct sst_rd *r, size_t n);
db_val sst_rd_val(struct sst_rd *r);
/* Clustering values (array from a, values point into the input). -1 on OOM
 * (errno ENOMEM); r->bad on malformed input. */
int sst_rd_ck(struct sst_rd *r, arena *a, db_val **ck, int *n);

/* Row body (after flags and length) encode/decode. */
void sst_encode_row_body(buf *b, const struct db_row *row, int is_static);
/* Decodes a body of n bytes at p (values point into p). 0, -1 malformed
 * (EBADMSG, no message), -1 ENOMEM. */
int sst_decode_row_body(const uint8_t *p, size_t n, uint8_t flags, int is_static,
                        struct db_row *row, arena *a);

/* Partition order: token, then key bytes (shorter first on a common prefix). */
int sst_part_cmp(int64_t ta, db_val ka, int64_t tb, db_val kb);
/* Clustering prefix compare over min(na, nb) components (memtable.c's
 * bound semantics) with the given table's types. */
int sst_ck_prefix_cmp(const struct schema_table *t, const db_val *a, int na, const db_val *b,
                      int nb);

/* ---- bloom filter (bloom_) ---- */

struct bloom {
    uint64_t n_bits; /* 0: no filter, everything may be present */
    uint32_t k;
    uint64_t *bits; /* n_bits rounded up to words */
};
/* Sizes a filter for n keys at false-positive chance fp; fp >= 1 or n == 0:
 * no filter. bits mem_calloc'd. 0 or -1 ENOMEM. */
int bloom_init(struct bloom *b, uint64_t n, double fp);
void bloom_free(struct bloom *b);
void bloom_hash(db_val key, uint64_t h[2]);
void bloom_add(struct bloom *b, const uint64_t h[2]);
int bloom_test(const struct bloom *b, const uint64_t h[2]);

/* ---- compression ---- */

/* Compresses n bytes of src into dst (cap bytes); returns the stored length,
 * or n when the chunk is stored raw (incompressible, or SST_COMP_NONE, or
 * the output would not be smaller). ctx: the writer's zstd context. */
size_t sst_compress(int alg, void *zctx, const uint8_t *src, size_t n, uint8_t *dst, size_t cap);
size_t sst_compress_bound(int alg, size_t n);
/* Decompresses exactly ulen bytes; -1 if the stored bytes do not decode to
 * exactly ulen. zdctx: static zstd context (sst_zstd_dctx). */
int sst_decompress(int alg, void *zdctx, const uint8_t *src, size_t n, uint8_t *dst, size_t ulen);
void *sst_zstd_cctx_new(void);
void sst_zstd_cctx_free(void *c);
/* This thread's zstd decompression context (freed when the thread exits);
 * NULL on out of memory. */
void *sst_zstd_dctx(void);

/* ---- the reader ---- */

struct sst_summ_ent {
    int64_t token;
    db_val key; /* into the summary buffer */
    uint64_t blk_off;
    uint32_t blk_len;
};

struct sst_reader {
    atomic_int refs;
    atomic_int obsolete;
    char *dir, *tdir; /* for sst_remove at the last unref */
    uint64_t gen;
    char path[SST_N_COMP][SST_PATH_MAX];
    uint64_t comp_size[SST_N_COMP];
    int fd_data, fd_index;
    /* clustering types (copies) for row seeks */
    struct schema_table ckt;
    struct schema_column *ckcols;
    /* CompressionInfo */
    int alg;
    uint32_t chunk_len, max_stored;
    uint64_t data_len, n_chunks;
    uint64_t *chunk_off; /* n_chunks + 1 */
    /* Summary */
    uint64_t n_summ;
    uint32_t max_blk;
    struct sst_summ_ent *summ;
    uint8_t *summ_buf;
    /* Filter */
    struct bloom bloom;
    /* Statistics */
    struct sst_stats stats;
    uint8_t *stats_buf;
    db_val *stats_ck;
};

/* A data cursor: reads uncompressed bytes, one decompressed chunk cached. */
struct sst_cur {
    struct sst_reader *r;
    arena *a;
    int64_t chunk; /* cached chunk index, -1 none */
    uint32_t chunk_n;
    uint8_t *ubuf;    /* chunk_len + 4 */
    uint8_t *cbuf;    /* max_stored + 4 */
    uint8_t *scratch; /* row bodies while skipping */
    size_t scratch_cap;
};

#endif
