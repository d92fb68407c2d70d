/*
 * compress.c -- see compress.h. Thin, bounds-checked wrappers over liblz4's
 * block API and libsnappy's C API.
 *
 * Cassandra reference: transport/Compressor.java (LZ4Compressor: 4-byte
 * big-endian uncompressed length, then LZ4 block; decompression fails with
 * "Compressed lengths mismatch" unless the block uses all the input;
 * SnappyCompressor: raw snappy, length checked with isValidCompressedBuffer).
 */
#include "transport/compress.h"
#include "transport/frame.h"
#include "transport/wire.h"

#include <limits.h>
#include <lz4.h>
#include <snappy-c.h>
#include <string.h>
#include <strings.h>

int proto_compression_from_name(const char *s, size_t n)
{
    if (n == 3 && strncasecmp(s, "lz4", 3) == 0) return PROTO_COMPRESS_LZ4;
    if (n == 6 && strncasecmp(s, "snappy", 6) == 0) return PROTO_COMPRESS_SNAPPY;
    return -1;
}

size_t proto_lz4_bound(size_t n)
{
    if (n > (size_t)LZ4_MAX_INPUT_SIZE) return 0;
    return (size_t)LZ4_compressBound((int)n);
}

size_t proto_lz4_compress_raw(const uint8_t *src, size_t n, uint8_t *dst, size_t cap)
{
    if (n > (size_t)LZ4_MAX_INPUT_SIZE) return 0;
    if (cap > INT_MAX) cap = INT_MAX;
    int k = LZ4_compress_default((const char *)src, (char *)dst, (int)n, (int)cap);
    return k > 0 ? (size_t)k : 0;
}

int proto_lz4_decompress_raw(const uint8_t *src, size_t n, uint8_t *dst, size_t n_out)
{
    uint8_t dummy;
    if (n == 0 || n > INT_MAX || n_out > INT_MAX) return PROTO_ECORRUPT;
    int k =
        LZ4_decompress_safe((const char *)src, (char *)(n_out ? dst : &dummy), (int)n, (int)n_out);
    return k >= 0 && (size_t)k == n_out ? PROTO_OK : PROTO_ECORRUPT;
}

/* Compress in[0..n) to the end of out (which must not alias in's storage
 * if it can move: callers pass stable input or reserve first). */
static int compress_into(int algo, const uint8_t *in, size_t n, buf *out)
{
    if (algo == PROTO_COMPRESS_LZ4) {
        size_t bound = proto_lz4_bound(n);
        if (!bound || n > UINT32_MAX) return PROTO_EINVAL;
        if (buf_reserve(out, 4 + bound)) return PROTO_ENOMEM;
        uint8_t *dst = out->data + out->len;
        put_be32(dst, (uint32_t)n);
        size_t k = proto_lz4_compress_raw(in, n, dst + 4, bound);
        if (!k) return PROTO_EINVAL;
        out->len += 4 + k;
        return PROTO_OK;
    }
    if (algo == PROTO_COMPRESS_SNAPPY) {
        size_t bound = snappy_max_compressed_length(n);
        if (buf_reserve(out, bound)) return PROTO_ENOMEM;
        size_t k = bound;
        if (snappy_compress((const char *)in, n, (char *)out->data + out->len, &k) != SNAPPY_OK)
            return PROTO_EINVAL;
        out->len += k;
        return PROTO_OK;
    }
    return PROTO_EINVAL;
}

int proto_body_compress(int algo, const uint8_t *in, size_t n, buf *out)
{
    if (out->oom) return PROTO_ENOMEM;
    size_t mark = out->len;
    int rc = compress_into(algo, in, n, out);
    if (rc && !out->oom) out->len = mark;
    return rc;
}

int proto_body_decompress(int algo, const uint8_t *in, size_t n, size_t max_out, buf *out)
{
    if (out->oom) return PROTO_ENOMEM;
    if (algo == PROTO_COMPRESS_LZ4) {
        if (n < 4) return PROTO_ECORRUPT;
        uint32_t ulen = be32(in);
        if (ulen > INT_MAX) return PROTO_ECORRUPT;
        if (ulen > max_out) return PROTO_ETOOBIG; /* invariant (1): before allocating */
        if (buf_reserve(out, ulen ? ulen : 1)) return PROTO_ENOMEM; /* data != NULL */
        int rc = proto_lz4_decompress_raw(in + 4, n - 4, out->data + out->len, ulen);
        if (rc) return rc;
        out->len += ulen;
        return PROTO_OK;
    }
    if (algo == PROTO_COMPRESS_SNAPPY) {
        size_t ulen;
        if (snappy_uncompressed_length((const char *)in, n, &ulen) != SNAPPY_OK)
            return PROTO_ECORRUPT;
        if (ulen > max_out) return PROTO_ETOOBIG;
        if (buf_reserve(out, ulen ? ulen : 1)) return PROTO_ENOMEM;
        size_t k = ulen;
        if (snappy_uncompress((const char *)in, n, (char *)out->data + out->len, &k) != SNAPPY_OK ||
            k != ulen)
            return PROTO_ECORRUPT;
        out->len += k;
        return PROTO_OK;
    }
    return PROTO_EINVAL;
}

int proto_frame_compress(buf *b, size_t hdr_off, int algo)
{
    if (b->oom) return PROTO_ENOMEM;
    if (hdr_off + PROTO_HEADER_SIZE > b->len) return PROTO_EINVAL;
    size_t body_off = hdr_off + PROTO_HEADER_SIZE;
    size_t n = b->len - body_off;
    size_t end = b->len;
    size_t bound = algo == PROTO_COMPRESS_LZ4      ? 4 + proto_lz4_bound(n)
                   : algo == PROTO_COMPRESS_SNAPPY ? snappy_max_compressed_length(n)
                                                   : 0;
    if (bound <= 4 && algo != PROTO_COMPRESS_SNAPPY) return PROTO_EINVAL;
    /* Reserve first so the body does not move while it is read. */
    if (buf_reserve(b, bound)) return PROTO_ENOMEM;
    int rc = compress_into(algo, b->data + body_off, n, b);
    if (rc) {
        b->len = end;
        return rc;
    }
    size_t k = b->len - end;
    if (k > UINT32_MAX) {
        b->len = end;
        return PROTO_EINVAL;
    }
    memmove(b->data + body_off, b->data + end, k);
    b->len = body_off + k;
    b->data[hdr_off + 1] |= PROTO_F_COMPRESSED;
    put_be32(b->data + hdr_off + 5, (uint32_t)k);
    return PROTO_OK;
}
