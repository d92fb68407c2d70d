/*
 * segment -- v5 framing ("segments"; Cassandra calls them frames): the layer
 * under the envelopes once a v5 connection has answered STARTUP.
 *
 * Uncompressed segment (header 6 bytes):
 *   offset size meaning
 *   0      3    little-endian 24 bits: bits 0..16 payload length,
 *               bit 17 self-contained flag, bits 18..23 zero padding
 *   3      3    CRC24 of bytes 0..2, little-endian
 *   6      L    payload
 *   6+L    4    CRC32 of the payload, little-endian
 *
 * LZ4-compressed segment (header 8 bytes), when "lz4" was negotiated:
 *   0      5    little-endian 40 bits: bits 0..16 compressed length C,
 *               bits 17..33 uncompressed length U, bit 34 self-contained,
 *               bits 35..39 zero padding
 *   5      3    CRC24 of bytes 0..4, little-endian
 *   8      C    payload: a raw LZ4 block of U bytes, or, if U == 0, the
 *               C payload bytes themselves (compression did not help)
 *   8+C    4    CRC32 of the C payload bytes as sent, little-endian
 *
 * CRC24: init 0x875060, polynomial 0x1974F0B, bytes fed least significant
 * first (Cassandra Crc.crc24). CRC32: IEEE/zlib crc32 of the 4 bytes
 * FA 2D 55 CA followed by the payload (Cassandra Crc.crc32()).
 *
 * A self-contained segment holds one or more whole envelopes. An envelope
 * larger than a segment payload (131071 bytes) is cut into consecutive
 * non-self-contained segments carrying nothing else; the first one starts
 * with the envelope's 9-byte header, from which the total size is known.
 *
 * Invariants:
 *  (1) the decoder holds at most one partial segment (<= 131083 bytes), one
 *      decompressed payload (<= 131071 bytes) and one large envelope being
 *      reassembled (<= max_envelope bytes): memory is bounded;
 *  (2) errors that lose the framing (header CRC, bad lengths, corrupt
 *      compressed data, inconsistent large envelopes) are sticky: every later
 *      feed returns the same error and the connection must be closed;
 *  (3) a payload CRC mismatch on a self-contained segment, and PROTO_ETOOBIG,
 *      are not sticky: the segment (or the whole oversized envelope, which is
 *      then skipped silently) is consumed and decoding continues.
 *
 * Thread context: a decoder belongs to one connection, one thread.
 */
#ifndef RINGDB_TRANSPORT_SEGMENT_H
#define RINGDB_TRANSPORT_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define PROTO_SEG_MAX_PAYLOAD (128u * 1024 - 1) /* 131071 */
#define PROTO_SEG_HDR_PLAIN   6
#define PROTO_SEG_HDR_LZ4     8
#define PROTO_SEG_TRAILER     4
#define PROTO_SEG_CRC24_INIT  0x875060u
#define PROTO_SEG_CRC24_POLY  0x1974F0Bu

/* zlib-compatible CRC32 (IEEE 802.3, reflected 0xEDB88320): start with 0. */
uint32_t proto_crc32(uint32_t crc, const void *p, size_t n);
/* Cassandra's segment payload CRC32: crc32 of FA 2D 55 CA, then p[0..n). */
uint32_t proto_seg_crc32(const void *p, size_t n);
/* Cassandra's CRC24 over the low `len` (1..8) bytes of `bytes`, least
 * significant byte first. */
uint32_t proto_crc24(uint64_t bytes, int len);

/*
 * Append one segment carrying payload[0..n), n <= PROTO_SEG_MAX_PAYLOAD.
 * compressed: the connection negotiated lz4 (8-byte headers); the payload is
 * sent compressed only when that makes it smaller, else with U = 0.
 * PROTO_OK, PROTO_EINVAL (n too large), PROTO_ENOMEM. `payload` must not
 * point into `out` (appending may move out's storage).
 */
int proto_seg_encode(buf *out, const uint8_t *payload, size_t n, int self_contained,
                     int compressed);

/*
 * Append env[0..n), one or more whole envelopes back to back, as segments:
 * consecutive envelopes are packed into self-contained segments of up to
 * PROTO_SEG_MAX_PAYLOAD bytes; an envelope larger than that goes alone into
 * non-self-contained segments. PROTO_EPROTO if env does not parse as whole
 * envelopes (nothing appended), PROTO_ENOMEM. `env` must not point into `out`.
 */
int proto_seg_encode_envelopes(buf *out, const uint8_t *env, size_t n, int compressed);

typedef struct proto_seg_decoder {
    int compressed;      /* lz4 negotiated: 8-byte headers */
    size_t max_envelope; /* cap on a reassembled large envelope (9 + body) */
    int err;             /* sticky error, 0 if none */
    /* current segment, when it spans feed calls */
    buf seg;
    size_t seg_need; /* total bytes of the current segment, 0 unknown */
    /* decompressed payload of the last segment */
    buf plain;
    /* large envelope reassembly */
    buf big;
    size_t big_total;   /* 9 + body length of the envelope in progress, 0 none */
    size_t big_skip;    /* bytes of an oversized envelope still to drop */
    int16_t big_stream; /* stream of the last oversized envelope */
    /* result of the last PROTO_OK feed */
    const uint8_t *out_p;
    size_t out_n;
    int out_self_contained;
} proto_seg_decoder;

/* max_envelope 0: PROTO_DEFAULT_MAX_FRAME_SIZE (16 MiB). */
void proto_seg_decoder_init(proto_seg_decoder *d, int compressed, size_t max_envelope);
void proto_seg_decoder_free(proto_seg_decoder *d);

/*
 * Consume bytes from p[0..n); *consumed gets how many were used (always set;
 * the caller drops them and calls again with the rest). Returns
 *   PROTO_OK          a payload is ready: proto_seg_payload() gives it;
 *   PROTO_AGAIN       all n bytes consumed, a segment is still incomplete;
 *   PROTO_ETOOBIG     a large envelope exceeds max_envelope: answer Invalid
 *                     on d->big_stream; its remaining segments are skipped;
 *   PROTO_EPAYLOADCRC self-contained payload corrupt: segment dropped;
 *   PROTO_EHDRCRC / PROTO_ECORRUPT / PROTO_EPROTO / PROTO_ENOMEM: sticky.
 * The payload of a PROTO_OK may point into p (no copy when a whole
 * uncompressed segment was inside p): it is valid until the next call and
 * as long as p's bytes are untouched.
 */
int proto_seg_feed(proto_seg_decoder *d, const uint8_t *p, size_t n, size_t *consumed);

/*
 * The payload of the last PROTO_OK: for a self-contained segment, one or
 * more whole envelopes (self_contained = 1); for non-self-contained
 * segments, one whole reassembled envelope (self_contained = 0).
 */
void proto_seg_payload(const proto_seg_decoder *d, const uint8_t **p, size_t *n,
                       int *self_contained);

#endif
