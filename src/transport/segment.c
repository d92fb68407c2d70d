/*
 * segment.c -- see segment.h. CRC24/CRC32 and v5 segment encode/decode.
 *
 * Cassandra reference: net/Crc.java (crc24, initial CRC32 bytes),
 * FrameEncoderCrc/FrameDecoderCrc (6-byte header), FrameEncoderLZ4/
 * FrameDecoderLZ4 (8-byte header, U == 0 means "sent uncompressed"),
 * transport/CQLMessageHandler (large messages over non-self-contained
 * frames). Python driver: cassandra/segment.py (same layouts; the vectors in
 * tests/unit/test_frame.c come from it).
 *
 * Decoder buffers (invariant (1) of segment.h):
 *   seg   the current segment when it arrived in pieces (header + payload +
 *         CRC); empty when segments arrive whole inside the caller's bytes;
 *   plain the decompressed payload of the last compressed segment;
 *   big   the large envelope being reassembled.
 * A PROTO_OK result may point into any of them or into the caller's bytes;
 * whatever it points to is recycled at the start of the next feed.
 */
#include "transport/segment.h"
#include "transport/compress.h"
#include "transport/frame.h"
#include "transport/wire.h"

#include <string.h>

/* ---- CRC32 (IEEE, reflected), slicing-by-8 ----------------------------- */

static uint32_t crc_tab[8][256];

__attribute__((constructor)) static void crc_tab_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
        crc_tab[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_tab[t][i] = (crc_tab[t - 1][i] >> 8) ^ crc_tab[0][crc_tab[t - 1][i] & 0xFF];
}

uint32_t proto_crc32(uint32_t crc, const void *vp, size_t n)
{
    const uint8_t *p = vp;
    crc = ~crc;
    while (n >= 8) {
        uint32_t one = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                              (uint32_t)p[3] << 24);
        uint32_t two =
            (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
        crc = crc_tab[7][one & 0xFF] ^ crc_tab[6][(one >> 8) & 0xFF] ^
              crc_tab[5][(one >> 16) & 0xFF] ^ crc_tab[4][one >> 24] ^ crc_tab[3][two & 0xFF] ^
              crc_tab[2][(two >> 8) & 0xFF] ^ crc_tab[1][(two >> 16) & 0xFF] ^
              crc_tab[0][two >> 24];
        p += 8;
        n -= 8;
    }
    while (n--)
        crc = (crc >> 8) ^ crc_tab[0][(crc ^ *p++) & 0xFF];
    return ~crc;
}

static const uint8_t crc32_initial[4] = {0xFA, 0x2D, 0x55, 0xCA};

uint32_t proto_seg_crc32(const void *p, size_t n)
{
    return proto_crc32(proto_crc32(0, crc32_initial, 4), p, n);
}

uint32_t proto_crc24(uint64_t bytes, int len)
{
    uint32_t crc = PROTO_SEG_CRC24_INIT;
    while (len-- > 0) {
        crc ^= (uint32_t)(bytes & 0xFF) << 16;
        bytes >>= 8;
        for (int i = 0; i < 8; i++) {
            crc <<= 1;
            if (crc & 0x1000000) crc ^= PROTO_SEG_CRC24_POLY;
        }
    }
    return crc & 0xFFFFFF;
}

static uint64_t load_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static void store_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

/* ---- encoder ----------------------------------------------------------- */

static void put_seg_header(uint8_t *h, int compressed, size_t c_len, size_t u_len, int sc)
{
    if (compressed) {
        uint64_t v = (uint64_t)c_len | (uint64_t)u_len << 17 | (uint64_t)(sc ? 1 : 0) << 34;
        store_le(h, v, 5);
        store_le(h + 5, proto_crc24(v, 5), 3);
    } else {
        uint64_t v = (uint64_t)c_len | (uint64_t)(sc ? 1 : 0) << 17;
        store_le(h, v, 3);
        store_le(h + 3, proto_crc24(v, 3), 3);
    }
}

int proto_seg_encode(buf *out, const uint8_t *payload, size_t n, int self_contained, int compressed)
{
    if (n > PROTO_SEG_MAX_PAYLOAD) return PROTO_EINVAL;
    if (out->oom) return PROTO_ENOMEM;
    size_t hl = compressed ? PROTO_SEG_HDR_LZ4 : PROTO_SEG_HDR_PLAIN;
    if (buf_reserve(out, hl + n + PROTO_SEG_TRAILER)) return PROTO_ENOMEM;
    uint8_t *h = out->data + out->len;
    uint8_t *body = h + hl;
    size_t c_len = 0, u_len = 0;
    if (compressed && n > 1) /* sent compressed only if strictly smaller */
        c_len = proto_lz4_compress_raw(payload, n, body, n - 1);
    if (c_len) {
        u_len = n;
    } else {
        c_len = n;
        if (n) memcpy(body, payload, n);
    }
    put_seg_header(h, compressed, c_len, u_len, self_contained);
    store_le(body + c_len, proto_seg_crc32(body, c_len), 4);
    out->len += hl + c_len + PROTO_SEG_TRAILER;
    return PROTO_OK;
}

int proto_seg_encode_envelopes(buf *out, const uint8_t *env, size_t n, int compressed)
{
    /* validate first: nothing is appended for input that is not envelopes */
    for (size_t off = 0; off < n;) {
        if (n - off < PROTO_HEADER_SIZE) return PROTO_EPROTO;
        uint64_t total = (uint64_t)PROTO_HEADER_SIZE + be32(env + off + 5);
        if (total > n - off) return PROTO_EPROTO;
        off += (size_t)total;
    }
    size_t mark = out->len;
    size_t group = 0, off = 0;
    int rc = PROTO_OK;
    while (off < n && !rc) {
        size_t total = PROTO_HEADER_SIZE + (size_t)be32(env + off + 5);
        if (off - group + total <= PROTO_SEG_MAX_PAYLOAD) {
            off += total; /* fits the current self-contained group */
            continue;
        }
        if (off > group) rc = proto_seg_encode(out, env + group, off - group, 1, compressed);
        if (total > PROTO_SEG_MAX_PAYLOAD) {
            /* a large envelope: alone, across non-self-contained segments */
            for (size_t done = 0; done < total && !rc; done += PROTO_SEG_MAX_PAYLOAD) {
                size_t k = total - done;
                if (k > PROTO_SEG_MAX_PAYLOAD) k = PROTO_SEG_MAX_PAYLOAD;
                rc = proto_seg_encode(out, env + off + done, k, 0, compressed);
            }
            off += total;
        }
        group = off;
    }
    if (!rc && off > group) rc = proto_seg_encode(out, env + group, off - group, 1, compressed);
    if (rc && !out->oom) out->len = mark;
    return rc;
}

/* ---- decoder ----------------------------------------------------------- */

void proto_seg_decoder_init(proto_seg_decoder *d, int compressed, size_t max_envelope)
{
    memset(d, 0, sizeof(*d));
    d->compressed = compressed;
    d->max_envelope = max_envelope ? max_envelope : PROTO_DEFAULT_MAX_FRAME_SIZE;
    buf_init(&d->seg);
    buf_init(&d->plain);
    buf_init(&d->big);
}

void proto_seg_decoder_free(proto_seg_decoder *d)
{
    buf_free(&d->seg);
    buf_free(&d->plain);
    buf_free(&d->big);
    d->out_p = NULL;
    d->out_n = 0;
}

void proto_seg_payload(const proto_seg_decoder *d, const uint8_t **p, size_t *n,
                       int *self_contained)
{
    *p = d->out_p;
    *n = d->out_n;
    if (self_contained) *self_contained = d->out_self_contained;
}

static int sticky(proto_seg_decoder *d, int rc)
{
    d->err = rc;
    return rc;
}

struct seg_hdr {
    size_t c_len, u_len;
    int sc;
};

/* Parse and verify a header at h (hl bytes available). */
static int parse_header(const proto_seg_decoder *d, const uint8_t *h, struct seg_hdr *s)
{
    int n = d->compressed ? 5 : 3;
    uint64_t v = load_le(h, n);
    uint32_t crc = (uint32_t)load_le(h + n, 3);
    if (proto_crc24(v, n) != crc) return PROTO_EHDRCRC;
    s->c_len = (size_t)(v & 0x1FFFF);
    if (d->compressed) {
        s->u_len = (size_t)((v >> 17) & 0x1FFFF);
        s->sc = (int)((v >> 34) & 1);
    } else {
        s->u_len = 0;
        s->sc = (int)((v >> 17) & 1);
    }
    return PROTO_OK;
}

#define SEG_CONTINUE 1 /* internal: segment consumed, no payload yet */

static int process_segment(proto_seg_decoder *d, const uint8_t *seg)
{
    size_t hl = d->compressed ? PROTO_SEG_HDR_LZ4 : PROTO_SEG_HDR_PLAIN;
    struct seg_hdr s;
    if (parse_header(d, seg, &s)) return sticky(d, PROTO_EHDRCRC);
    const uint8_t *pl = seg + hl;
    if (proto_seg_crc32(pl, s.c_len) != (uint32_t)load_le(pl + s.c_len, 4)) {
        /* invariant (3): a corrupt self-contained segment loses only itself */
        if (s.sc && !d->big_total && !d->big_skip) return PROTO_EPAYLOADCRC;
        return sticky(d, PROTO_EPAYLOADCRC);
    }
    size_t plen = s.c_len;
    if (d->compressed && s.u_len) {
        d->plain.len = 0;
        if (buf_reserve(&d->plain, s.u_len)) return sticky(d, PROTO_ENOMEM);
        if (proto_lz4_decompress_raw(pl, s.c_len, d->plain.data, s.u_len))
            return sticky(d, PROTO_ECORRUPT);
        d->plain.len = s.u_len;
        pl = d->plain.data;
        plen = s.u_len;
    }
    if (s.sc) {
        if (d->big_total || d->big_skip) return sticky(d, PROTO_EPROTO);
        d->out_p = pl;
        d->out_n = plen;
        d->out_self_contained = 1;
        return PROTO_OK;
    }
    if (d->big_skip) { /* rest of an oversized envelope */
        if (plen > d->big_skip) return sticky(d, PROTO_EPROTO);
        d->big_skip -= plen;
        return SEG_CONTINUE;
    }
    if (!d->big_total) { /* first segment of a large envelope */
        if (plen < PROTO_HEADER_SIZE) return sticky(d, PROTO_EPROTO);
        size_t total = PROTO_HEADER_SIZE + (size_t)be32(pl + 5);
        if (total < plen) return sticky(d, PROTO_EPROTO);
        if (total > d->max_envelope) {
            d->big_stream = (int16_t)be16(pl + 2);
            d->big_skip = total - plen;
            return PROTO_ETOOBIG;
        }
        if (total == plen) {
            d->out_p = pl;
            d->out_n = plen;
            d->out_self_contained = 0;
            return PROTO_OK;
        }
        d->big.len = 0;
        d->big_total = total;
    } else if (d->big.len + plen > d->big_total) {
        return sticky(d, PROTO_EPROTO);
    }
    buf_put(&d->big, pl, plen);
    if (d->big.oom) return sticky(d, PROTO_ENOMEM);
    if (d->big.len < d->big_total) return SEG_CONTINUE;
    d->out_p = d->big.data;
    d->out_n = d->big.len;
    d->out_self_contained = 0;
    d->big_total = 0; /* delivered; d->big is recycled at the next feed */
    return PROTO_OK;
}

int proto_seg_feed(proto_seg_decoder *d, const uint8_t *p, size_t n, size_t *consumed)
{
    size_t used = 0;
    *consumed = 0;
    d->out_p = NULL;
    d->out_n = 0;
    if (d->err) return d->err;
    /* recycle what the previous result may have pointed into */
    if (d->seg_need && d->seg.len == d->seg_need) {
        d->seg.len = 0;
        d->seg_need = 0;
    }
    d->plain.len = 0;
    if (!d->big_total) d->big.len = 0;

    size_t hl = d->compressed ? PROTO_SEG_HDR_LZ4 : PROTO_SEG_HDR_PLAIN;
    while (used < n) {
        const uint8_t *seg;
        struct seg_hdr s;
        if (d->seg.len == 0 && n - used >= hl) {
            /* fast path: header in the caller's bytes */
            if (parse_header(d, p + used, &s)) {
                *consumed = used;
                return sticky(d, PROTO_EHDRCRC);
            }
            size_t total = hl + s.c_len + PROTO_SEG_TRAILER;
            if (n - used >= total) {
                seg = p + used;
                used += total;
            } else {
                buf_put(&d->seg, p + used, n - used);
                if (d->seg.oom) return sticky(d, PROTO_ENOMEM);
                d->seg_need = total;
                *consumed = n;
                return PROTO_AGAIN;
            }
        } else {
            /* slow path: assemble the segment in d->seg */
            if (d->seg.len < hl) {
                size_t k = hl - d->seg.len;
                if (k > n - used) k = n - used;
                buf_put(&d->seg, p + used, k);
                used += k;
                if (d->seg.oom) return sticky(d, PROTO_ENOMEM);
                if (d->seg.len < hl) break;
                if (parse_header(d, d->seg.data, &s)) {
                    *consumed = used;
                    return sticky(d, PROTO_EHDRCRC);
                }
                d->seg_need = hl + s.c_len + PROTO_SEG_TRAILER;
            }
            size_t k = d->seg_need - d->seg.len;
            if (k > n - used) k = n - used;
            buf_put(&d->seg, p + used, k);
            used += k;
            if (d->seg.oom) return sticky(d, PROTO_ENOMEM);
            if (d->seg.len < d->seg_need) break;
            seg = d->seg.data;
        }
        int rc = process_segment(d, seg);
        if (rc != SEG_CONTINUE) {
            *consumed = used;
            return rc;
        }
        if (seg == d->seg.data) { /* consumed and not referenced: recycle now */
            d->seg.len = 0;
            d->seg_need = 0;
        }
    }
    *consumed = used;
    return PROTO_AGAIN;
}
