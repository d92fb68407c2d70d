/*
 * fuzz_frame -- libFuzzer harness for everything in src/transport that reads
 * bytes from a client: frame headers, request bodies of every opcode and
 * version, v3/v4 body decompression (lz4, snappy), notation readers, and the
 * v5 segment decoder (plain and lz4), plus encode->decode round trips that
 * must give the input back.
 *
 * Input: byte 0 picks options (bit 0: lz4 segments, bit 1: snappy bodies,
 * bits 2..7: chunk size for the segment decoder); the rest is the data.
 * Everything allocated per input is freed before returning (leak check).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "transport/compress.h"
#include "transport/frame.h"
#include "transport/segment.h"
#include "transport/wire.h"
#include "util/arena.h"
#include "util/buf.h"

#define MAX_BODY (1u << 20)

static void check(int cond)
{
    if (!cond) __builtin_trap();
}

static void decode_body(const struct proto_frame_hdr *h, const uint8_t *body, size_t n, arena *a)
{
    proto_rd rd;
    proto_request r;
    int rc = proto_decode_request(h, body, n, a, &rd, &r);
    check(rc == 0 || rd.err == rc);
    check(rd.pos <= n);
    if (rc) check(rd.msg[0] != 0);
    arena_reset(a);
}

/* A stream of v3/v4/v5 frames, as a connection before/without v5 framing. */
static void frames(const uint8_t *p, size_t n, int algo, arena *a, buf *tmp)
{
    size_t off = 0;
    while (off < n) {
        struct proto_frame_hdr h;
        int rc = proto_frame_header_decode(p + off, n - off, MAX_BODY, &h);
        if (rc == PROTO_AGAIN || rc == PROTO_EVERSION) {
            if (rc == PROTO_EVERSION) {
                buf_clear(tmp);
                check(proto_write_version_error(tmp, h.version, 0) == 0);
            }
            return;
        }
        char msg[200];
        if (rc != PROTO_OK) {
            int32_t code = proto_frame_error_text(rc, &h, MAX_BODY, msg, sizeof(msg));
            check(code == PROTO_ERR_PROTOCOL || code == PROTO_ERR_INVALID);
            check(strlen(msg) < sizeof(msg));
        }
        if (rc == PROTO_ETOOBIG) return;
        if (n - off - PROTO_HEADER_SIZE < h.length) return;
        const uint8_t *body = p + off + PROTO_HEADER_SIZE;
        off += PROTO_HEADER_SIZE + h.length;
        if (rc != PROTO_OK && rc != PROTO_EFLAGS) continue;
        if (h.flags & PROTO_F_COMPRESSED) {
            buf_clear(tmp);
            int drc = proto_body_decompress(algo, body, h.length, MAX_BODY, tmp);
            check(drc == 0 || drc == PROTO_ECORRUPT || drc == PROTO_ETOOBIG);
            if (drc) continue;
            check(tmp->len <= MAX_BODY);
            decode_body(&h, tmp->data, tmp->len, a);
        } else {
            decode_body(&h, body, h.length, a);
        }
    }
}

/* The data as the body of every request opcode in every version. */
static void all_bodies(const uint8_t *p, size_t n, arena *a)
{
    static const uint8_t ops[] = {PROTO_OP_STARTUP, PROTO_OP_OPTIONS,       PROTO_OP_QUERY,
                                  PROTO_OP_PREPARE, PROTO_OP_EXECUTE,       PROTO_OP_REGISTER,
                                  PROTO_OP_BATCH,   PROTO_OP_AUTH_RESPONSE, PROTO_OP_CREDENTIALS};
    for (int v = PROTO_V3; v <= PROTO_V5; v++)
        for (size_t i = 0; i < sizeof(ops); i++)
            for (int cp = 0; cp <= 1; cp++) {
                struct proto_frame_hdr h = {
                    (uint8_t)v, 0,      (uint8_t)(cp ? PROTO_F_CUSTOM_PAYLOAD : 0),
                    1,          ops[i], (uint32_t)n};
                decode_body(&h, p, n, a);
            }
}

/* Notation readers that no request uses. */
static void readers(const uint8_t *p, size_t n, arena *a)
{
    proto_rd rd;
    proto_rd_init(&rd, p, n);
    while (!rd.err && proto_rd_left(&rd)) {
        size_t before = rd.pos;
        switch (proto_rd_byte(&rd) % 6) {
        case 0: proto_rd_option(&rd, a); break;
        case 1: {
            proto_multimap_entry *m;
            uint16_t k;
            proto_rd_string_multimap(&rd, a, &m, &k);
            break;
        }
        case 2: {
            proto_inet in;
            proto_rd_inet(&rd, &in);
            break;
        }
        case 3: proto_rd_vint(&rd); break;
        case 4: {
            proto_type **l;
            uint16_t k;
            proto_rd_option_list(&rd, a, &l, &k);
            break;
        }
        default: {
            struct proto_response_prefix pre;
            proto_read_response_prefix(&rd, 0x0E, a, &pre);
            break;
        }
        }
        check(rd.pos >= before && rd.pos <= n);
    }
    arena_reset(a);
    /* a type read successfully writes back to the same bytes */
    proto_rd_init(&rd, p, n);
    proto_type *t = proto_rd_option(&rd, a);
    if (t) {
        buf b;
        buf_init(&b);
        if (proto_wr_option(&b, t) == 0) {
            check(b.len == rd.pos);
            check(memcmp(b.data, p, b.len) == 0);
        }
        buf_free(&b);
    }
    arena_reset(a);
}

/* The data as a v5 byte stream after STARTUP. */
static void segments(const uint8_t *p, size_t n, int compressed, size_t chunk, arena *a)
{
    proto_seg_decoder d;
    proto_seg_decoder_init(&d, compressed, MAX_BODY);
    size_t off = 0;
    int stop = 0;
    while (off < n && !stop) {
        size_t c = n - off < chunk ? n - off : chunk;
        size_t used = 0;
        while (used < c) {
            size_t k;
            int rc = proto_seg_feed(&d, p + off + used, c - used, &k);
            check(k <= c - used);
            used += k;
            if (rc == PROTO_AGAIN) {
                check(used == c);
                break;
            }
            if (rc == PROTO_OK) {
                const uint8_t *pl;
                size_t pn;
                int sc;
                proto_seg_payload(&d, &pl, &pn, &sc);
                /* walk the envelopes of the payload */
                size_t e = 0;
                while (e < pn) {
                    struct proto_frame_hdr h;
                    int hrc = proto_frame_header_decode(pl + e, pn - e, MAX_BODY + 9, &h);
                    if (hrc == PROTO_AGAIN || hrc == PROTO_EVERSION || hrc == PROTO_ETOOBIG) break;
                    if (pn - e - PROTO_HEADER_SIZE < h.length) break;
                    if (hrc == PROTO_OK) decode_body(&h, pl + e + PROTO_HEADER_SIZE, h.length, a);
                    e += PROTO_HEADER_SIZE + h.length;
                }
            } else if (d.err) { /* sticky: every later feed says the same */
                check(rc == d.err);
                check(rc == PROTO_EHDRCRC || rc == PROTO_ECORRUPT || rc == PROTO_EPROTO ||
                      rc == PROTO_EPAYLOADCRC || rc == PROTO_ENOMEM);
                size_t k2;
                check(proto_seg_feed(&d, p, n, &k2) == rc); /* sticky */
                stop = 1;
                break;
            } else {
                check(rc == PROTO_ETOOBIG || rc == PROTO_EPAYLOADCRC);
                check(k > 0); /* non-sticky errors consume the segment */
            }
        }
        off += c;
    }
    proto_seg_decoder_free(&d);
}

/* encode -> decode must give back the input */
static void round_trips(const uint8_t *p, size_t n, int compressed, int algo)
{
    buf b, back;
    buf_init(&b);
    buf_init(&back);
    size_t m = n > PROTO_SEG_MAX_PAYLOAD ? PROTO_SEG_MAX_PAYLOAD : n;
    check(proto_seg_encode(&b, p, m, 1, compressed) == 0);
    proto_seg_decoder d;
    proto_seg_decoder_init(&d, compressed, 0);
    size_t used;
    check(proto_seg_feed(&d, b.data, b.len, &used) == PROTO_OK);
    check(used == b.len);
    const uint8_t *pl;
    size_t pn;
    proto_seg_payload(&d, &pl, &pn, NULL);
    check(pn == m && (m == 0 || memcmp(pl, p, m) == 0));
    proto_seg_decoder_free(&d);

    buf_clear(&b);
    check(proto_body_compress(algo, p, n, &b) == 0);
    check(proto_body_decompress(algo, b.data, b.len, n, &back) == 0);
    check(back.len == n && (n == 0 || memcmp(back.data, p, n) == 0));
    /* raw input as a compressed body: must not crash */
    buf_clear(&back);
    int rc = proto_body_decompress(algo, p, n, MAX_BODY, &back);
    check(rc == 0 || rc == PROTO_ECORRUPT || rc == PROTO_ETOOBIG);
    buf_free(&b);
    buf_free(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    uint8_t opt = data[0];
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    int compressed = opt & 1;
    int algo = (opt & 2) ? PROTO_COMPRESS_SNAPPY : PROTO_COMPRESS_LZ4;
    size_t chunk = ((size_t)(opt >> 2) + 1) * 7;
    arena a;
    arena_init(&a, 4096);
    buf tmp;
    buf_init(&tmp);

    frames(p, n, algo, &a, &tmp);
    all_bodies(p, n, &a);
    readers(p, n, &a);
    segments(p, n, compressed, chunk, &a);
    segments(p, n, !compressed, n ? n : 1, &a);
    round_trips(p, n, compressed, algo);
    check(proto_utf8_valid(p, n) == 0 || proto_utf8_valid(p, n) == 1);

    buf_free(&tmp);
    arena_destroy(&a);
    return 0;
}
