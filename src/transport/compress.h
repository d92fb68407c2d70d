/*
 * compress -- frame body compression of the native protocol v3/v4
 * (header flag 0x01) and the raw LZ4 blocks of v5 segments.
 *
 * v3/v4 bodies, as Cassandra writes them:
 *   lz4:    offset 0 size 4: uncompressed length, big-endian;
 *           offset 4: one LZ4 block (liblz4 LZ4_compress_default format)
 *   snappy: one raw snappy block (no framing format, no length prefix
 *           beyond snappy's own varint)
 *
 * Invariants:
 *  (1) decompression never writes more than max_out bytes, and checks the
 *      announced length against max_out before allocating;
 *  (2) lz4 bodies must decode to exactly the announced length using all of
 *      the input (Cassandra: "Compressed lengths mismatch");
 *  (3) corrupt input returns PROTO_ECORRUPT, never crashes; on any error the
 *      output buf keeps its previous length.
 *
 * Thread context: pure functions.
 */
#ifndef RINGDB_TRANSPORT_COMPRESS_H
#define RINGDB_TRANSPORT_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

enum proto_compression {
    PROTO_COMPRESS_NONE = 0,
    PROTO_COMPRESS_LZ4 = 1,
    PROTO_COMPRESS_SNAPPY = 2,
};

/* STARTUP "COMPRESSION" value ("lz4", "snappy", case-insensitive) to enum;
 * -1 if unknown. */
int proto_compression_from_name(const char *s, size_t n);

/* Append the compressed form of in[0..n) to out. PROTO_OK, PROTO_EINVAL
 * (unknown algorithm, or n too large for the format), PROTO_ENOMEM. `in`
 * must not point into `out` (use proto_frame_compress for that). */
int proto_body_compress(int algo, const uint8_t *in, size_t n, buf *out);

/* Append the decompressed form of in[0..n) to out; at most max_out bytes.
 * PROTO_OK, PROTO_ECORRUPT (bad data), PROTO_ETOOBIG (announced length above
 * max_out, nothing allocated), PROTO_EINVAL (algorithm), PROTO_ENOMEM. */
int proto_body_decompress(int algo, const uint8_t *in, size_t n, size_t max_out, buf *out);

/*
 * Compress, in place, the body of the frame that starts at b->data[hdr_off]
 * and runs to b->len (header length already patched or not: it is
 * recomputed), and set flag 0x01. Cassandra compresses every response body
 * once compression is negotiated; so does this. PROTO_OK or an error (the
 * frame is then left uncompressed and valid).
 */
int proto_frame_compress(buf *b, size_t hdr_off, int algo);

/* Raw LZ4 block helpers for v5 segments (no length prefix). */
/* Compress into dst[0..cap); returns the compressed size, 0 if it does not fit. */
size_t proto_lz4_compress_raw(const uint8_t *src, size_t n, uint8_t *dst, size_t cap);
/* Decompress exactly `n_out` bytes from src[0..n) into dst. PROTO_OK or
 * PROTO_ECORRUPT. */
int proto_lz4_decompress_raw(const uint8_t *src, size_t n, uint8_t *dst, size_t n_out);
size_t proto_lz4_bound(size_t n);

#endif
