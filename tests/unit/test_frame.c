/*
 * test_frame -- frame header decoding and its errors, response frame
 * helpers, v3/v4 body compression (lz4, snappy), CRC24/CRC32 and v5
 * segments (src/transport/frame.c, compress.c, segment.c).
 *
 * Vectors marked "python driver" were produced with Debian's
 * python3-cassandra: cassandra.segment.compute_crc24/compute_crc32,
 * SegmentCodec().encode and connection.segment_codec_lz4.encode,
 * connection.lz4_compress and snappy.compress (see the generator at the
 * end of src/transport/README.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "transport/compress.h"
#include "transport/frame.h"
#include "transport/segment.h"
#include "transport/wire.h"
#include "util/buf.h"

static uint32_t adler32(const uint8_t *p, size_t n)
{
    uint32_t a = 1, b = 0;
    for (size_t i = 0; i < n; i++) {
        a = (a + p[i]) % 65521;
        b = (b + a) % 65521;
    }
    return (b << 16) | a;
}

/* ---- header ------------------------------------------------------------ */

static void hdr(uint8_t *h, uint8_t v, uint8_t flags, uint16_t stream, uint8_t op, uint32_t len)
{
    h[0] = v;
    h[1] = flags;
    put_be16(h + 2, stream);
    h[4] = op;
    put_be32(h + 5, len);
}

static void test_header_ok(void **state)
{
    (void)state;
    static const uint8_t reqs[] = {PROTO_OP_STARTUP, PROTO_OP_OPTIONS,       PROTO_OP_QUERY,
                                   PROTO_OP_PREPARE, PROTO_OP_EXECUTE,       PROTO_OP_REGISTER,
                                   PROTO_OP_BATCH,   PROTO_OP_AUTH_RESPONSE, PROTO_OP_CREDENTIALS};
    uint8_t h[9];
    struct proto_frame_hdr out;
    for (int v = 3; v <= 5; v++)
        for (size_t i = 0; i < sizeof(reqs); i++) {
            hdr(h, (uint8_t)v, 0x1F, 0x8001, reqs[i], 1234);
            assert_int_equal(proto_frame_header_decode(h, 9, 0, &out), PROTO_OK);
            assert_int_equal(out.version, v);
            assert_int_equal(out.response, 0);
            assert_int_equal(out.flags, 0x1F);
            assert_int_equal(out.stream, -32767);
            assert_int_equal(out.opcode, reqs[i]);
            assert_int_equal(out.length, 1234);
            /* every shorter prefix: need more bytes */
            for (size_t k = 0; k < 9; k++)
                assert_int_equal(proto_frame_header_decode(h, k, 0, &out), PROTO_AGAIN);
        }
    /* the size limit counts the header, like Cassandra */
    hdr(h, 4, 0, 1, PROTO_OP_QUERY, 1000 - 9);
    assert_int_equal(proto_frame_header_decode(h, 9, 1000, &out), PROTO_OK);
    hdr(h, 4, 0, 1, PROTO_OP_QUERY, 1000 - 8);
    assert_int_equal(proto_frame_header_decode(h, 9, 1000, &out), PROTO_ETOOBIG);
    assert_int_equal(out.stream, 1);
    assert_int_equal(out.length, 992);
    hdr(h, 4, 0, 1, PROTO_OP_QUERY, PROTO_DEFAULT_MAX_FRAME_SIZE - 9);
    assert_int_equal(proto_frame_header_decode(h, 9, 0, &out), PROTO_OK);
    hdr(h, 4, 0, 1, PROTO_OP_QUERY, 0xFFFFFFFFu);
    assert_int_equal(proto_frame_header_decode(h, 9, 0, &out), PROTO_ETOOBIG);
    char msg[160];
    assert_int_equal(proto_frame_error_text(PROTO_ETOOBIG, &out, 0, msg, sizeof(msg)),
                     PROTO_ERR_INVALID);
    assert_string_equal(msg, "Request is too big: length 4294967304 exceeds maximum allowed "
                             "length 16777216.");
}

static void test_header_errors(void **state)
{
    (void)state;
    uint8_t h[9];
    struct proto_frame_hdr out;
    char msg[200];
    /* unsupported versions are found on the first byte alone */
    static const uint8_t bad_versions[] = {0, 1, 2, 6, 7, 0x41, 0x42, 0x7F, 0x81, 0x82, 0x86};
    for (size_t i = 0; i < sizeof(bad_versions); i++) {
        hdr(h, bad_versions[i], 0, 0, PROTO_OP_STARTUP, 22);
        for (size_t k = 1; k <= 9; k++)
            assert_int_equal(proto_frame_header_decode(h, k, 0, &out), PROTO_EVERSION);
        assert_int_equal(out.version, bad_versions[i] & 0x7F);
    }
    hdr(h, 6, 0, 0, PROTO_OP_STARTUP, 22);
    proto_frame_header_decode(h, 9, 0, &out);
    assert_int_equal(proto_frame_error_text(PROTO_EVERSION, &out, 0, msg, sizeof(msg)),
                     PROTO_ERR_PROTOCOL);
    assert_string_equal(msg, "Invalid or unsupported protocol version (6); supported versions "
                             "are (3/v3, 4/v4, 5/v5)");

    /* response direction bit on a request opcode */
    hdr(h, 0x84, 0, 5, PROTO_OP_QUERY, 0);
    assert_int_equal(proto_frame_header_decode(h, 9, 0, &out), PROTO_EDIRECTION);
    assert_int_equal(out.stream, 5);
    proto_frame_error_text(PROTO_EDIRECTION, &out, 0, msg, sizeof(msg));
    assert_string_equal(msg, "Wrong protocol direction (expected REQUEST, got RESPONSE) for "
                             "opcode 7 (QUERY)");
    /* response bit with a response opcode */
    hdr(h, 0x84, 0, 5, PROTO_OP_READY, 0);
    assert_int_equal(proto_frame_header_decode(h, 9, 0, &out), PROTO_EDIRECTION);
    proto_frame_error_text(PROTO_EDIRECTION, &out, 0, msg, sizeof(msg));
    assert_string_equal(msg, "Unexpected RESPONSE message READY, expecting REQUEST");
    /* request bit with a response opcode */
    hdr(h, 0x04, 0, 5, PROTO_OP_RESULT, 0);
    assert_int_equal(proto_frame_header_decode(h, 9, 0, &out), PROTO_EDIRECTION);
    proto_frame_error_text(PROTO_EDIRECTION, &out, 0, msg, sizeof(msg));
    assert_string_equal(msg, "Wrong protocol direction (expected RESPONSE, got REQUEST) for "
                             "opcode 8 (RESULT)");
    /* unknown opcodes, body length still available for skipping */
    for (int op = 0x11; op <= 0xFF; op++) {
        hdr(h, 0x05, 0, 9, (uint8_t)op, 77);
        assert_int_equal(proto_frame_header_decode(h, 9, 0, &out), PROTO_EOPCODE);
        assert_int_equal(out.length, 77);
        assert_int_equal(out.stream, 9);
    }
    proto_frame_error_text(PROTO_EOPCODE, &out, 0, msg, sizeof(msg));
    assert_string_equal(msg, "Unknown opcode 255");
    /* reserved flag bits: reported last */
    for (int f = 0x20; f <= 0xFF; f += 0x20) {
        hdr(h, 0x04, (uint8_t)f, 1, PROTO_OP_OPTIONS, 0);
        assert_int_equal(proto_frame_header_decode(h, 9, 0, &out), PROTO_EFLAGS);
        assert_int_equal(out.opcode, PROTO_OP_OPTIONS);
    }
    hdr(h, 0x04, 0x20, 1, 0x30, 0);
    assert_int_equal(proto_frame_header_decode(h, 9, 0, &out), PROTO_EOPCODE);
    assert_string_equal(proto_strerror(PROTO_EFLAGS), "PROTO_EFLAGS");
    assert_string_equal(proto_opcode_name(PROTO_OP_AUTH_SUCCESS), "AUTH_SUCCESS");
    assert_null(proto_opcode_name(0x11));
}

static void test_version_error_frame(void **state)
{
    (void)state;
    buf b;
    buf_init(&b);
    char msg[160];
    /* v1: answered in v1's 8-byte header format */
    assert_int_equal(proto_write_version_error(&b, 1, 0), 0);
    int k = proto_version_error_message(1, msg, sizeof(msg));
    assert_int_equal(b.len, 8 + 4 + 2 + (size_t)k);
    assert_int_equal(b.data[0], 0x81);
    assert_int_equal(b.data[1], 0);
    assert_int_equal(b.data[2], 0); /* stream, one byte */
    assert_int_equal(b.data[3], PROTO_OP_ERROR);
    assert_int_equal(be32(b.data + 4), 4 + 2 + k);
    assert_int_equal(be32(b.data + 8), PROTO_ERR_PROTOCOL);
    assert_memory_equal(b.data + 14, msg, (size_t)k);
    /* v6 before STARTUP: v5 header, stream 0 */
    buf_clear(&b);
    proto_write_version_error(&b, 6, 0);
    assert_int_equal(b.data[0], 0x85);
    assert_int_equal(be16(b.data + 2), 0);
    assert_int_equal(b.data[4], PROTO_OP_ERROR);
    assert_int_equal(be32(b.data + 5), b.len - 9);
    proto_rd rd;
    proto_rd_init(&rd, b.data + 9, b.len - 9);
    assert_int_equal(proto_rd_int(&rd), PROTO_ERR_PROTOCOL);
    proto_str m = proto_rd_string(&rd);
    assert_int_equal(rd.err, 0);
    assert_non_null(memmem(m.p, m.n, "unsupported protocol version", 28)); /* python driver */
    assert_non_null(memmem(m.p, m.n, "Invalid or unsupported protocol version (6)", 43));
    /* on an established v4 connection: v4 */
    buf_clear(&b);
    proto_write_version_error(&b, 0x42, 4);
    assert_int_equal(b.data[0], 0x84);
    assert_int_equal(proto_version_error_reply_version(2, 5), 2);
    assert_int_equal(proto_version_error_reply_version(7, 3), 3);
    assert_int_equal(proto_version_error_reply_version(7, 0), 5);
    buf_free(&b);
}

static void test_response_frames(void **state)
{
    (void)state;
    buf b;
    buf_init(&b);
    arena a;
    arena_init(&a, 4096);
    uint8_t uuid[16];
    for (int i = 0; i < 16; i++)
        uuid[i] = (uint8_t)(0xA0 + i);
    proto_str w[] = {{"Aggregation query used without partition key", 45}};
    proto_bytes_pair cp[] = {{{"k", 1}, {(const uint8_t *)"v", 1}}};
    for (int v = 3; v <= 5; v++) {
        buf_clear(&b);
        buf_put(&b, "xx", 2); /* frames need not start at 0 */
        size_t off = proto_frame_begin(&b, v, 0, 42, PROTO_OP_RESULT);
        assert_int_equal(off, 2);
        assert_int_equal(proto_frame_put_tracing_id(&b, off, uuid), 0);
        assert_int_equal(proto_frame_put_warnings(&b, off, w, 1), 0);
        assert_int_equal(proto_frame_put_custom_payload(&b, off, cp, 1), v >= 4 ? 0 : PROTO_EINVAL);
        proto_wr_int(&b, 1); /* RESULT Void */
        assert_int_equal(proto_frame_end(&b, off), 0);
        const uint8_t *f = b.data + off;
        assert_int_equal(f[0], 0x80 | v);
        uint8_t want = PROTO_F_TRACING | (v >= 4 ? PROTO_F_WARNING | PROTO_F_CUSTOM_PAYLOAD : 0);
        assert_int_equal(f[1], want);
        assert_int_equal(be16(f + 2), 42);
        assert_int_equal(be32(f + 5), b.len - off - 9);
        proto_rd rd;
        proto_rd_init(&rd, f + 9, b.len - off - 9);
        struct proto_response_prefix pre;
        assert_int_equal(proto_read_response_prefix(&rd, f[1], &a, &pre), 0);
        assert_memory_equal(pre.tracing_id, uuid, 16);
        if (v >= 4) {
            assert_int_equal(pre.n_warnings, 1);
            assert_int_equal(pre.warnings[0].n, 45);
            assert_int_equal(pre.n_custom_payload, 1);
        }
        assert_int_equal(proto_rd_int(&rd), 1);
        assert_int_equal(proto_rd_left(&rd), 0);
    }
    arena_destroy(&a);
    buf_free(&b);
}

/* ---- body compression -------------------------------------------------- */

static const uint8_t LZ4_PY[] =
    "\x00\x00\x00\x84\xf1\x17\x53\x45\x4c\x45\x43\x54\x20\x2a\x20\x46\x52\x4f\x4d\x20\x73\x79"
    "\x73\x74\x65\x6d\x2e\x6c\x6f\x63\x61\x6c\x20\x57\x48\x45\x52\x45\x20\x6b\x65\x79\x3d\x27"
    "\x11\x00\x1f\x27\x2c\x00\x40\x50\x6f\x63\x61\x6c\x27";
static const uint8_t SNAPPY_PY[] =
    "\x84\x01\x98\x53\x45\x4c\x45\x43\x54\x20\x2a\x20\x46\x52\x4f\x4d\x20\x73\x79\x73\x74\x65"
    "\x6d\x2e\x6c\x6f\x63\x61\x6c\x20\x57\x48\x45\x52\x45\x20\x6b\x65\x79\x3d\x27\x6c\x01\x11"
    "\x00\x27\xfe\x2c\x00\x5e\x2c\x00";
#define PY_TEXT "SELECT * FROM system.local WHERE key='local'"

static void fill(uint8_t *p, size_t n, uint32_t seed, int compressible)
{
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] =
            compressible ? (uint8_t) "abcdefgh"[(x >> 16) % 3 + (i / 64) % 5] : (uint8_t)(x >> 16);
    }
}

static void test_body_compression(void **state)
{
    (void)state;
    buf out;
    buf_init(&out);
    char text[3 * 44 + 1];
    snprintf(text, sizeof(text), "%s%s%s", PY_TEXT, PY_TEXT, PY_TEXT);
    /* python driver vectors */
    assert_int_equal(
        proto_body_decompress(PROTO_COMPRESS_LZ4, LZ4_PY, sizeof(LZ4_PY) - 1, 1 << 20, &out), 0);
    assert_int_equal(out.len, 132);
    assert_memory_equal(out.data, text, 132);
    buf_clear(&out);
    assert_int_equal(proto_body_decompress(PROTO_COMPRESS_SNAPPY, SNAPPY_PY, sizeof(SNAPPY_PY) - 1,
                                           1 << 20, &out),
                     0);
    assert_memory_equal(out.data, text, 132);
    /* and what we produce is what the driver produces */
    buf_clear(&out);
    proto_body_compress(PROTO_COMPRESS_LZ4, (const uint8_t *)text, 132, &out);
    assert_int_equal(out.len, sizeof(LZ4_PY) - 1);
    assert_memory_equal(out.data, LZ4_PY, out.len);
    buf_clear(&out);
    proto_body_compress(PROTO_COMPRESS_SNAPPY, (const uint8_t *)text, 132, &out);
    assert_int_equal(out.len, sizeof(SNAPPY_PY) - 1);
    assert_memory_equal(out.data, SNAPPY_PY, out.len);

    /* round trips */
    static const size_t sizes[] = {0, 1, 7, 100, 4096, 65536 + 3, 1 << 20};
    uint8_t *src = malloc(1 << 20);
    buf back;
    buf_init(&back);
    for (int algo = PROTO_COMPRESS_LZ4; algo <= PROTO_COMPRESS_SNAPPY; algo++)
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
            for (int comp = 0; comp <= 1; comp++) {
                fill(src, sizes[i], (uint32_t)i, comp);
                buf_clear(&out);
                buf_clear(&back);
                assert_int_equal(proto_body_compress(algo, src, sizes[i], &out), 0);
                assert_int_equal(proto_body_decompress(algo, out.data, out.len, sizes[i], &back),
                                 0);
                assert_int_equal(back.len, sizes[i]);
                if (sizes[i]) assert_memory_equal(back.data, src, sizes[i]);
                if (sizes[i]) { /* one byte less allowed: refused before allocating */
                    buf_clear(&back);
                    assert_int_equal(
                        proto_body_decompress(algo, out.data, out.len, sizes[i] - 1, &back),
                        PROTO_ETOOBIG);
                    assert_int_equal(back.len, 0);
                }
            }

    /* corrupt input: every truncation and every byte flip of a small body
     * is an error or (flips only) a clean decode; never a crash */
    fill(src, 300, 9, 1);
    for (int algo = PROTO_COMPRESS_LZ4; algo <= PROTO_COMPRESS_SNAPPY; algo++) {
        buf_clear(&out);
        proto_body_compress(algo, src, 300, &out);
        for (size_t k = 0; k < out.len; k++) {
            uint8_t *cut = malloc(k ? k : 1);
            memcpy(cut, out.data, k);
            buf_clear(&back);
            int rc = proto_body_decompress(algo, cut, k, 1 << 20, &back);
            assert_true(rc == PROTO_ECORRUPT || rc == PROTO_ETOOBIG);
            free(cut);
        }
        for (size_t k = 0; k < out.len; k++)
            for (int bit = 0; bit < 8; bit++) {
                out.data[k] ^= (uint8_t)(1 << bit);
                buf_clear(&back);
                int rc = proto_body_decompress(algo, out.data, out.len, 1 << 20, &back);
                assert_true(rc == PROTO_OK || rc == PROTO_ECORRUPT || rc == PROTO_ETOOBIG);
                out.data[k] ^= (uint8_t)(1 << bit);
            }
    }
    /* lz4: announced length must match exactly ("Compressed lengths mismatch") */
    buf_clear(&out);
    proto_body_compress(PROTO_COMPRESS_LZ4, src, 300, &out);
    put_be32(out.data, 301);
    buf_clear(&back);
    assert_int_equal(proto_body_decompress(PROTO_COMPRESS_LZ4, out.data, out.len, 1 << 20, &back),
                     PROTO_ECORRUPT);
    put_be32(out.data, 299);
    assert_int_equal(proto_body_decompress(PROTO_COMPRESS_LZ4, out.data, out.len, 1 << 20, &back),
                     PROTO_ECORRUPT);
    assert_int_equal(proto_body_decompress(7, out.data, out.len, 1 << 20, &back), PROTO_EINVAL);
    assert_int_equal(proto_compression_from_name("LZ4", 3), PROTO_COMPRESS_LZ4);
    assert_int_equal(proto_compression_from_name("snappy", 6), PROTO_COMPRESS_SNAPPY);
    assert_int_equal(proto_compression_from_name("zstd", 4), -1);

    /* a whole response frame compressed in place */
    for (int algo = PROTO_COMPRESS_LZ4; algo <= PROTO_COMPRESS_SNAPPY; algo++) {
        buf_clear(&out);
        buf_put(&out, "pre", 3);
        size_t off = proto_frame_begin(&out, 4, 0, 3, PROTO_OP_RESULT);
        buf_put(&out, src, 300);
        proto_frame_end(&out, off);
        assert_int_equal(proto_frame_compress(&out, off, algo), 0);
        assert_int_equal(out.data[off + 1], PROTO_F_COMPRESSED);
        assert_int_equal(be32(out.data + off + 5), out.len - off - 9);
        buf_clear(&back);
        assert_int_equal(
            proto_body_decompress(algo, out.data + off + 9, out.len - off - 9, 1 << 20, &back), 0);
        assert_int_equal(back.len, 300);
        assert_memory_equal(back.data, src, 300);
    }
    free(src);
    buf_free(&out);
    buf_free(&back);
}

/* ---- CRCs ---------------------------------------------------------------- */

static void test_crc(void **state)
{
    (void)state;
    assert_int_equal(proto_crc32(0, "123456789", 9), 0xCBF43926u);
    assert_int_equal(proto_crc32(0, "", 0), 0);
    /* python driver: compute_crc24(value, length) */
    static const struct {
        uint64_t v;
        int len;
        uint32_t crc;
    } c24[] = {
        {0x0, 3, 0x7de777},
        {0x1, 3, 0x15876f},
        {0x20005, 3, 0x9a9919},
        {0x1ffff, 3, 0xfe9138},
        {0x123456, 3, 0xf5230f},
        {0x0, 5, 0xaaac0a},
        {0x7ffffffffull, 5, 0x576593},
        {0x102030405ull, 5, 0x55cd12},
    };
    for (size_t i = 0; i < sizeof(c24) / sizeof(c24[0]); i++)
        assert_int_equal(proto_crc24(c24[i].v, c24[i].len), c24[i].crc);
    /* python driver: compute_crc32(data, CRC32_INITIAL) */
    assert_int_equal(proto_crc32(0, "\xfa\x2d\x55\xca", 4), 0x44777ed3u);
    assert_int_equal(proto_seg_crc32("", 0), 0x44777ed3u);
    assert_int_equal(proto_seg_crc32("a", 1), 0xf7294a53u);
    assert_int_equal(proto_seg_crc32("hello world", 11), 0x4a62481fu);
    uint8_t r[256];
    for (int i = 0; i < 256; i++)
        r[i] = (uint8_t)i;
    assert_int_equal(proto_seg_crc32(r, 256), 0x214de79bu);
    /* slicing-by-8 agrees with the bytewise path at every split */
    uint8_t big[1000];
    fill(big, sizeof(big), 5, 0);
    uint32_t whole = proto_crc32(0, big, sizeof(big));
    for (size_t k = 0; k <= sizeof(big); k += 37)
        assert_int_equal(proto_crc32(proto_crc32(0, big, k), big + k, sizeof(big) - k), whole);
}

/* ---- segments ------------------------------------------------------------ */

/* python driver: SegmentCodec().encode(buf, b"hello") */
static const uint8_t SEG_HELLO[] = "\x05\x00\x02\x19\x99\x9a\x68\x65\x6c\x6c\x6f\x74\x80\x0e\xb6";
/* python driver: one envelope (v5 RESULT, stream 1, 50-byte body), plain and lz4 */
static const uint8_t ENV_SMALL[] =
    "\x85\x00\x00\x01\x08\x00\x00\x00\x32\x68\x65\x6c\x6c\x6f\x20\x77\x6f\x72\x6c\x64\x2c\x20"
    "\x68\x65\x6c\x6c\x6f\x20\x77\x6f\x72\x6c\x64\x2c\x20\x68\x65\x6c\x6c\x6f\x20\x77\x6f\x72"
    "\x6c\x64\x2c\x20\x68\x65\x6c\x6c\x6f\x20\x77\x6f\x72\x6c\x64";
static const uint8_t SEG_SMALL_PLAIN[] =
    "\x3b\x00\x02\x6b\x01\xeb\x85\x00\x00\x01\x08\x00\x00\x00\x32\x68\x65\x6c\x6c\x6f\x20\x77"
    "\x6f\x72\x6c\x64\x2c\x20\x68\x65\x6c\x6c\x6f\x20\x77\x6f\x72\x6c\x64\x2c\x20\x68\x65\x6c"
    "\x6c\x6f\x20\x77\x6f\x72\x6c\x64\x2c\x20\x68\x65\x6c\x6c\x6f\x20\x77\x6f\x72\x6c\x64\x45"
    "\x15\x05\x1a";
static const uint8_t SEG_SMALL_LZ4[] =
    "\x21\x00\x76\x00\x04\x14\xbc\x91\xff\x07\x85\x00\x00\x01\x08\x00\x00\x00\x32\x68\x65\x6c"
    "\x6c\x6f\x20\x77\x6f\x72\x6c\x64\x2c\x20\x0d\x00\x0d\x50\x77\x6f\x72\x6c\x64\x3b\x58\xc0"
    "\xba";

/* Feed everything in chunks of `chunk` bytes (0: random-ish sizes); append
 * every payload to `out`. Returns the last error (0 if none). */
static int feed_all(proto_seg_decoder *d, const uint8_t *p, size_t n, size_t chunk, buf *out,
                    int *n_payloads)
{
    size_t off = 0, step = 1;
    *n_payloads = 0;
    while (off < n) {
        size_t c = chunk ? chunk : (step = step * 7 % 65537 + 1);
        if (c > n - off) c = n - off;
        size_t used = 0;
        while (used < c) {
            size_t k;
            int rc = proto_seg_feed(d, p + off + used, c - used, &k);
            assert_true(k <= c - used);
            used += k;
            if (rc == PROTO_OK) {
                const uint8_t *pl;
                size_t pn;
                proto_seg_payload(d, &pl, &pn, NULL);
                buf_put(out, pl, pn);
                (*n_payloads)++;
            } else if (rc == PROTO_AGAIN) {
                assert_int_equal(used, c);
            } else {
                return rc;
            }
        }
        off += c;
    }
    return 0;
}

static void test_segment_vectors(void **state)
{
    (void)state;
    buf b;
    buf_init(&b);
    assert_int_equal(proto_seg_encode(&b, (const uint8_t *)"hello", 5, 1, 0), 0);
    assert_int_equal(b.len, sizeof(SEG_HELLO) - 1);
    assert_memory_equal(b.data, SEG_HELLO, b.len);

    size_t env_n = sizeof(ENV_SMALL) - 1;
    for (int comp = 0; comp <= 1; comp++) {
        const uint8_t *want = comp ? SEG_SMALL_LZ4 : SEG_SMALL_PLAIN;
        size_t want_n = comp ? sizeof(SEG_SMALL_LZ4) - 1 : sizeof(SEG_SMALL_PLAIN) - 1;
        buf_clear(&b);
        assert_int_equal(proto_seg_encode_envelopes(&b, ENV_SMALL, env_n, comp), 0);
        assert_int_equal(b.len, want_n);
        assert_memory_equal(b.data, want, want_n);
        for (size_t chunk = 0; chunk <= want_n; chunk++) {
            proto_seg_decoder d;
            proto_seg_decoder_init(&d, comp, 0);
            buf out;
            buf_init(&out);
            int np;
            assert_int_equal(feed_all(&d, want, want_n, chunk ? chunk : 1, &out, &np), 0);
            assert_int_equal(np, 1);
            assert_int_equal(out.len, env_n);
            assert_memory_equal(out.data, ENV_SMALL, env_n);
            buf_free(&out);
            proto_seg_decoder_free(&d);
        }
    }
    /* incompressible payload on a compressed connection: U = 0, raw bytes */
    uint8_t rnd[1000];
    fill(rnd, sizeof(rnd), 3, 0);
    buf_clear(&b);
    assert_int_equal(proto_seg_encode(&b, rnd, sizeof(rnd), 1, 1), 0);
    assert_int_equal(b.len, 8 + sizeof(rnd) + 4);
    uint64_t h = 0;
    for (int i = 4; i >= 0; i--)
        h = (h << 8) | b.data[i];
    assert_int_equal(h & 0x1FFFF, sizeof(rnd));
    assert_int_equal((h >> 17) & 0x1FFFF, 0);
    assert_int_equal((h >> 34) & 1, 1);
    assert_memory_equal(b.data + 8, rnd, sizeof(rnd));
    assert_int_equal(proto_seg_encode(&b, rnd, PROTO_SEG_MAX_PAYLOAD + 1, 1, 0), PROTO_EINVAL);
    buf_free(&b);
}

static uint8_t *make_envelope(uint8_t *p, uint16_t stream, size_t body, uint32_t seed, int comp)
{
    p[0] = 0x85;
    p[1] = 0;
    put_be16(p + 2, stream);
    p[4] = PROTO_OP_RESULT;
    put_be32(p + 5, (uint32_t)body);
    fill(p + 9, body, seed, comp);
    return p + 9 + body;
}

static void test_segment_large(void **state)
{
    (void)state;
    /* python driver: SegmentCodec.encode of a 1 MiB-body envelope,
     * body[i] = (i*7+3) % 251, stream 7 -> (length, adler32) */
    const size_t body = 1 << 20, env_n = body + 9;
    uint8_t *env = malloc(env_n);
    env[0] = 0x85;
    env[1] = 0;
    put_be16(env + 2, 7);
    env[4] = 8;
    put_be32(env + 5, (uint32_t)body);
    for (size_t i = 0; i < body; i++)
        env[9 + i] = (uint8_t)((i * 7 + 3) % 251);
    static const struct {
        size_t len;
        uint32_t adler;
    } py[2] = {{1048675, 0x0ef8a5e6u}, {6326, 0x5b6c3426u}};
    for (int comp = 0; comp <= 1; comp++) {
        buf b;
        buf_init(&b);
        assert_int_equal(proto_seg_encode_envelopes(&b, env, env_n, comp), 0);
        assert_int_equal(b.len, py[comp].len);
        assert_int_equal(adler32(b.data, b.len), py[comp].adler);
        /* 9 segments: 8 full ones and the rest, none self-contained */
        static const size_t chunks[] = {0, 1000, 131083, 1 << 22};
        for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
            proto_seg_decoder d;
            proto_seg_decoder_init(&d, comp, 0);
            buf out;
            buf_init(&out);
            int np;
            assert_int_equal(feed_all(&d, b.data, b.len, chunks[c], &out, &np), 0);
            assert_int_equal(np, 1);
            assert_int_equal(out.len, env_n);
            assert_memory_equal(out.data, env, env_n);
            buf_free(&out);
            proto_seg_decoder_free(&d);
        }
        /* a decoder with a smaller cap: PROTO_ETOOBIG once, the envelope's
         * segments are skipped, and the connection goes on */
        buf_put(&b, SEG_SMALL_PLAIN, 0); /* no-op, keep b */
        buf tail;
        buf_init(&tail);
        buf_put(&tail, b.data, b.len);
        proto_seg_encode_envelopes(&tail, ENV_SMALL, sizeof(ENV_SMALL) - 1, comp);
        proto_seg_decoder d;
        proto_seg_decoder_init(&d, comp, 500000);
        size_t off = 0;
        int too_big = 0, got = 0;
        while (off < tail.len) {
            size_t k;
            int rc = proto_seg_feed(&d, tail.data + off, tail.len - off, &k);
            off += k;
            if (rc == PROTO_ETOOBIG) {
                too_big++;
                assert_int_equal(d.big_stream, 7);
            } else if (rc == PROTO_OK) {
                const uint8_t *pl;
                size_t pn;
                int sc;
                proto_seg_payload(&d, &pl, &pn, &sc);
                assert_int_equal(pn, sizeof(ENV_SMALL) - 1);
                assert_int_equal(sc, 1);
                got++;
            } else {
                assert_int_equal(rc, PROTO_AGAIN);
            }
        }
        assert_int_equal(too_big, 1);
        assert_int_equal(got, 1);
        proto_seg_decoder_free(&d);
        buf_free(&tail);
        buf_free(&b);
    }
    free(env);
}

static void test_segment_packing(void **state)
{
    (void)state;
    /* many envelopes of assorted sizes, some larger than a segment */
    static const size_t sizes[] = {0,     10,    100, 5000,   131062, 131063, 131100,
                                   70000, 70000, 1,   300000, 2,      65536,  0};
    size_t total = 0;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        total += 9 + sizes[i];
    uint8_t *env = malloc(total), *p = env;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        p = make_envelope(p, (uint16_t)i, sizes[i], (uint32_t)i, (int)(i & 1));
    for (int comp = 0; comp <= 1; comp++) {
        buf b;
        buf_init(&b);
        assert_int_equal(proto_seg_encode_envelopes(&b, env, total, comp), 0);
        proto_seg_decoder d;
        proto_seg_decoder_init(&d, comp, 0);
        buf out;
        buf_init(&out);
        int np;
        assert_int_equal(feed_all(&d, b.data, b.len, 0, &out, &np), 0);
        /* the payloads, concatenated, are the envelopes again */
        assert_int_equal(out.len, total);
        assert_memory_equal(out.data, env, total);
        /* every self-contained payload holds whole envelopes only: check by
         * walking the segments */
        size_t off = 0;
        int segs = 0;
        while (off < b.len) {
            size_t hl = comp ? 8 : 6;
            uint64_t h = 0;
            for (int i = (int)(comp ? 4 : 2); i >= 0; i--)
                h = (h << 8) | b.data[off + i];
            size_t c_len = h & 0x1FFFF;
            assert_true(c_len <= PROTO_SEG_MAX_PAYLOAD);
            off += hl + c_len + 4;
            segs++;
        }
        assert_int_equal(off, b.len);
        assert_true(segs >= 8);
        buf_free(&out);
        proto_seg_decoder_free(&d);
        buf_free(&b);
    }
    /* not envelopes: nothing appended */
    buf b;
    buf_init(&b);
    assert_int_equal(proto_seg_encode_envelopes(&b, env, 8, 0), PROTO_EPROTO);
    assert_int_equal(proto_seg_encode_envelopes(&b, env, total - 1, 0), PROTO_EPROTO);
    assert_int_equal(b.len, 0);
    buf_free(&b);
    free(env);
}

static void test_segment_corruption(void **state)
{
    (void)state;
    /* every 1-byte corruption of a segment (all 255 other values at every
     * offset) is detected */
    for (int comp = 0; comp <= 1; comp++) {
        const uint8_t *seg = comp ? SEG_SMALL_LZ4 : SEG_SMALL_PLAIN;
        size_t n = comp ? sizeof(SEG_SMALL_LZ4) - 1 : sizeof(SEG_SMALL_PLAIN) - 1;
        uint8_t *c = malloc(n);
        for (size_t k = 0; k < n; k++)
            for (int v = 1; v < 256; v++) {
                memcpy(c, seg, n);
                c[k] ^= (uint8_t)v;
                proto_seg_decoder d;
                proto_seg_decoder_init(&d, comp, 0);
                size_t used;
                int rc = proto_seg_feed(&d, c, n, &used);
                if (rc == PROTO_OK || (rc == PROTO_AGAIN && k >= (comp ? 8u : 6u)))
                    fail_msg("corruption at %zu (^%02x) not detected: %d", k, v, rc);
                if (k < (comp ? 8u : 6u))
                    assert_true(rc == PROTO_EHDRCRC);
                else
                    assert_int_equal(rc, PROTO_EPAYLOADCRC);
                proto_seg_decoder_free(&d);
            }
        free(c);
    }
    /* header CRC errors are sticky; a payload CRC error on a self-contained
     * segment is not */
    buf b;
    buf_init(&b);
    buf_put(&b, SEG_SMALL_PLAIN, sizeof(SEG_SMALL_PLAIN) - 1);
    buf_put(&b, SEG_SMALL_PLAIN, sizeof(SEG_SMALL_PLAIN) - 1);
    b.data[20] ^= 1; /* payload of the first */
    proto_seg_decoder d;
    proto_seg_decoder_init(&d, 0, 0);
    size_t used;
    assert_int_equal(proto_seg_feed(&d, b.data, b.len, &used), PROTO_EPAYLOADCRC);
    assert_int_equal(used, sizeof(SEG_SMALL_PLAIN) - 1);
    size_t used2;
    assert_int_equal(proto_seg_feed(&d, b.data + used, b.len - used, &used2), PROTO_OK);
    assert_int_equal(used + used2, b.len);
    proto_seg_decoder_free(&d);
    b.data[20] ^= 1;
    b.data[1] ^= 1; /* header of the first */
    proto_seg_decoder_init(&d, 0, 0);
    assert_int_equal(proto_seg_feed(&d, b.data, b.len, &used), PROTO_EHDRCRC);
    assert_int_equal(proto_seg_feed(&d, b.data + 69, b.len - 69, &used), PROTO_EHDRCRC);
    proto_seg_decoder_free(&d);

    /* corrupt LZ4 data with a valid CRC: ECORRUPT, sticky */
    uint8_t bad[8 + 5 + 4];
    uint64_t h = 5 | (uint64_t)100 << 17 | (uint64_t)1 << 34;
    for (int i = 0; i < 5; i++)
        bad[i] = (uint8_t)(h >> (8 * i));
    uint32_t c24 = proto_crc24(h, 5);
    for (int i = 0; i < 3; i++)
        bad[5 + i] = (uint8_t)(c24 >> (8 * i));
    memcpy(bad + 8, "\xff\xff\xff\xff\xff", 5);
    uint32_t c32 = proto_seg_crc32(bad + 8, 5);
    for (int i = 0; i < 4; i++)
        bad[13 + i] = (uint8_t)(c32 >> (8 * i));
    proto_seg_decoder_init(&d, 1, 0);
    assert_int_equal(proto_seg_feed(&d, bad, sizeof(bad), &used), PROTO_ECORRUPT);
    assert_int_equal(proto_seg_feed(&d, bad, sizeof(bad), &used), PROTO_ECORRUPT);
    proto_seg_decoder_free(&d);

    /* a non-self-contained segment too short to hold an envelope header */
    buf_clear(&b);
    proto_seg_encode(&b, (const uint8_t *)"abc", 3, 0, 0);
    proto_seg_decoder_init(&d, 0, 0);
    assert_int_equal(proto_seg_feed(&d, b.data, b.len, &used), PROTO_EPROTO);
    proto_seg_decoder_free(&d);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_ok),           cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_version_error_frame), cmocka_unit_test(test_response_frames),
        cmocka_unit_test(test_body_compression),    cmocka_unit_test(test_crc),
        cmocka_unit_test(test_segment_vectors),     cmocka_unit_test(test_segment_large),
        cmocka_unit_test(test_segment_packing),     cmocka_unit_test(test_segment_corruption),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
