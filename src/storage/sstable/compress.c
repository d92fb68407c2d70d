/*
 * compress.c -- chunk compression for Data.db: LZ4 (block format, default),
 * Zstd (level 3, one frame per chunk) or none. A chunk whose compressed
 * form would not be smaller is stored raw; the reader tells the two apart
 * by the stored length (stored == uncompressed length means raw), as
 * Cassandra 4 does. Decompression must give exactly the chunk's length.
 *
 * Zstd contexts: the writer owns one compression context. Readers use one
 * decompression context per thread (created on first use, freed by a
 * pthread key destructor when the thread exits), so a handle needs nothing
 * freed and no context is shared between threads.
 */
#include "storage/sstable/sst_int.h"

#include <lz4.h>
#include <pthread.h>
#include <zstd.h>

size_t sst_compress_bound(int alg, size_t n)
{
    if (alg == SST_COMP_LZ4) return (size_t)LZ4_compressBound((int)n);
    if (alg == SST_COMP_ZSTD) return ZSTD_compressBound(n);
    return n;
}

size_t sst_compress(int alg, void *zctx, const uint8_t *src, size_t n, uint8_t *dst, size_t cap)
{
    size_t c = 0;
    if (alg == SST_COMP_LZ4) {
        int k = LZ4_compress_default((const char *)src, (char *)dst, (int)n, (int)cap);
        c = k > 0 ? (size_t)k : 0;
    } else if (alg == SST_COMP_ZSTD && zctx) {
        size_t k = ZSTD_compressCCtx(zctx, dst, cap, src, n, 3);
        c = ZSTD_isError(k) ? 0 : k;
    }
    if (c == 0 || c >= n) {
        memcpy(dst, src, n);
        return n;
    }
    return c;
}

int sst_decompress(int alg, void *zdctx, const uint8_t *src, size_t n, uint8_t *dst, size_t ulen)
{
    if (alg == SST_COMP_LZ4) {
        int k = LZ4_decompress_safe((const char *)src, (char *)dst, (int)n, (int)ulen);
        return k >= 0 && (size_t)k == ulen ? 0 : -1;
    }
    if (alg == SST_COMP_ZSTD && zdctx) {
        unsigned long long fs = ZSTD_getFrameContentSize(src, n);
        if (fs != ulen) return -1;
        size_t k = ZSTD_decompressDCtx(zdctx, dst, ulen, src, n);
        return !ZSTD_isError(k) && k == ulen ? 0 : -1;
    }
    return -1;
}

void *sst_zstd_cctx_new(void)
{
    return ZSTD_createCCtx();
}

void sst_zstd_cctx_free(void *c)
{
    ZSTD_freeCCtx(c);
}

static pthread_key_t dctx_key;
static pthread_once_t dctx_once = PTHREAD_ONCE_INIT;
static _Thread_local ZSTD_DCtx *tl_dctx;

static void dctx_free(void *p)
{
    ZSTD_freeDCtx(p);
}

static void dctx_key_init(void)
{
    pthread_key_create(&dctx_key, dctx_free);
}

void *sst_zstd_dctx(void)
{
    if (tl_dctx) return tl_dctx;
    pthread_once(&dctx_once, dctx_key_init);
    ZSTD_DCtx *d = ZSTD_createDCtx();
    if (!d) return NULL;
    if (pthread_setspecific(dctx_key, d) != 0) {
        ZSTD_freeDCtx(d);
        return NULL;
    }
    tl_dctx = d;
    return d;
}
