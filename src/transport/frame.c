/*
 * frame.c -- see frame.h.
 *
 * Cassandra reference (4.1/5.0): Envelope.Decoder.decode (pre-v5) and
 * extractHeader (v5), Message.Type.fromOpcode, ProtocolVersion.decode,
 * ErrorMessage.fromException / Message.encode (forcedProtocolVersion),
 * PreV5Handlers.getConnectionVersion.
 *
 * Unsupported version, as Cassandra answers it: the version is checked on
 * the first byte before the header is complete and the exception is not
 * wrapped with a stream id, so the ERROR frame goes on stream 0. For v1/v2
 * (ProtocolVersion.UNSUPPORTED) the exception carries a forced version and
 * the frame is encoded in that old format (8-byte header, 1-byte stream);
 * for anything else (v6+, DSE 65/66, garbage) it is encoded in the
 * connection's version, CURRENT (v5) before STARTUP. The connection is
 * closed once it is written (PreV5Handlers.ExceptionHandler: a
 * ProtocolException is fatal).
 */
#include "transport/frame.h"

#include <stdio.h>
#include <string.h>

static const char *const op_names[PROTO_OP_MAX + 1] = {
    "ERROR",     "STARTUP", "READY",          "AUTHENTICATE",  "CREDENTIALS",  "OPTIONS",
    "SUPPORTED", "QUERY",   "RESULT",         "PREPARE",       "EXECUTE",      "REGISTER",
    "EVENT",     "BATCH",   "AUTH_CHALLENGE", "AUTH_RESPONSE", "AUTH_SUCCESS",
};

const char *proto_opcode_name(uint8_t opcode)
{
    return opcode <= PROTO_OP_MAX ? op_names[opcode] : NULL;
}

int proto_opcode_is_request(uint8_t opcode)
{
    switch (opcode) {
    case PROTO_OP_STARTUP:
    case PROTO_OP_CREDENTIALS:
    case PROTO_OP_OPTIONS:
    case PROTO_OP_QUERY:
    case PROTO_OP_PREPARE:
    case PROTO_OP_EXECUTE:
    case PROTO_OP_REGISTER:
    case PROTO_OP_BATCH:
    case PROTO_OP_AUTH_RESPONSE: return 1;
    default: return 0;
    }
}

int proto_frame_header_decode(const uint8_t *p, size_t n, uint32_t max_frame_size,
                              struct proto_frame_hdr *out)
{
    memset(out, 0, sizeof(*out));
    if (n == 0) return PROTO_AGAIN;
    out->version = p[0] & 0x7F;
    out->response = (p[0] & PROTO_DIR_RESPONSE) != 0;
    /* invariant (1): decided on one byte */
    if (out->version < PROTO_MIN_VERSION || out->version > PROTO_MAX_VERSION) return PROTO_EVERSION;
    if (n < PROTO_HEADER_SIZE) return PROTO_AGAIN;
    out->flags = p[1];
    out->stream = (int16_t)be16(p + 2);
    out->opcode = p[4];
    out->length = be32(p + 5);
    if (!max_frame_size) max_frame_size = PROTO_DEFAULT_MAX_FRAME_SIZE;

    /* invariant (3): opcode, direction, length; reserved flags come last so
     * a caller that ignores PROTO_EFLAGS (as Cassandra ignores the bits)
     * has had every other check done. */
    if (out->opcode > PROTO_OP_MAX) return PROTO_EOPCODE;
    if (out->response || !proto_opcode_is_request(out->opcode)) return PROTO_EDIRECTION;
    if ((uint64_t)out->length + PROTO_HEADER_SIZE > max_frame_size) return PROTO_ETOOBIG;
    if (out->flags & ~PROTO_F_KNOWN) return PROTO_EFLAGS;
    return PROTO_OK;
}

int proto_version_error_message(int version, char *msg, size_t cap)
{
    return snprintf(msg, cap,
                    "Invalid or unsupported protocol version (%d); supported versions are "
                    "(3/v3, 4/v4, 5/v5)",
                    version);
}

int32_t proto_frame_error_text(int rc, const struct proto_frame_hdr *h, uint32_t max_frame_size,
                               char *msg, size_t cap)
{
    if (!max_frame_size) max_frame_size = PROTO_DEFAULT_MAX_FRAME_SIZE;
    if (cap == 0) return rc == PROTO_ETOOBIG ? PROTO_ERR_INVALID : PROTO_ERR_PROTOCOL;
    switch (rc) {
    case PROTO_EVERSION: proto_version_error_message(h->version, msg, cap); break;
    case PROTO_EOPCODE: snprintf(msg, cap, "Unknown opcode %d", h->opcode); break;
    case PROTO_EDIRECTION:
        if (h->response && !proto_opcode_is_request(h->opcode))
            snprintf(msg, cap, "Unexpected RESPONSE message %s, expecting REQUEST",
                     proto_opcode_name(h->opcode));
        else
            snprintf(msg, cap, "Wrong protocol direction (expected %s, got %s) for opcode %d (%s)",
                     h->response ? "REQUEST" : "RESPONSE", h->response ? "RESPONSE" : "REQUEST",
                     h->opcode, proto_opcode_name(h->opcode));
        break;
    case PROTO_ETOOBIG:
        snprintf(msg, cap, "Request is too big: length %llu exceeds maximum allowed length %u.",
                 (unsigned long long)h->length + PROTO_HEADER_SIZE, max_frame_size);
        return PROTO_ERR_INVALID;
    case PROTO_EFLAGS:
        snprintf(msg, cap, "Unknown flags 0x%02x in frame header", h->flags & ~PROTO_F_KNOWN);
        break;
    default: snprintf(msg, cap, "%s", proto_strerror(rc)); break;
    }
    return PROTO_ERR_PROTOCOL;
}

int proto_version_error_reply_version(int requested, int conn_version)
{
    if (requested == 1 || requested == 2) return requested;
    return conn_version ? conn_version : PROTO_MAX_VERSION;
}

int proto_write_version_error(buf *b, int requested, int conn_version)
{
    char msg[128];
    int k = proto_version_error_message(requested, msg, sizeof(msg));
    int v = proto_version_error_reply_version(requested, conn_version);
    size_t body = 4 + 2 + (size_t)k;
    buf_put_u8(b, (uint8_t)(v | PROTO_DIR_RESPONSE));
    buf_put_u8(b, 0);
    if (v >= PROTO_V3)
        buf_put_be16(b, 0);
    else
        buf_put_u8(b, 0); /* v1/v2: one-byte stream id */
    buf_put_u8(b, PROTO_OP_ERROR);
    buf_put_be32(b, (uint32_t)body);
    return proto_write_error_msg(b, PROTO_ERR_PROTOCOL, msg, (size_t)k);
}

size_t proto_frame_begin(buf *b, int version, uint8_t flags, int16_t stream, uint8_t opcode)
{
    size_t off = b->len;
    uint8_t h[PROTO_HEADER_SIZE];
    h[0] = (uint8_t)((version & 0x7F) | PROTO_DIR_RESPONSE);
    h[1] = flags;
    put_be16(h + 2, (uint16_t)stream);
    h[4] = opcode;
    put_be32(h + 5, 0);
    buf_put(b, h, sizeof(h));
    return off;
}

int proto_frame_end(buf *b, size_t hdr_off)
{
    if (b->oom) return PROTO_ENOMEM;
    if (hdr_off + PROTO_HEADER_SIZE > b->len) return PROTO_EINVAL;
    size_t body = b->len - hdr_off - PROTO_HEADER_SIZE;
    if (body > UINT32_MAX) return PROTO_EINVAL;
    buf_patch_be32(b, hdr_off + 5, (uint32_t)body);
    return PROTO_OK;
}

static int hdr_ok(const buf *b, size_t hdr_off)
{
    return !b->oom && hdr_off + PROTO_HEADER_SIZE <= b->len;
}

int proto_frame_put_tracing_id(buf *b, size_t hdr_off, const uint8_t uuid[16])
{
    if (!hdr_ok(b, hdr_off)) return b->oom ? PROTO_ENOMEM : PROTO_EINVAL;
    buf_put(b, uuid, 16);
    if (b->oom) return PROTO_ENOMEM;
    b->data[hdr_off + 1] |= PROTO_F_TRACING;
    return PROTO_OK;
}

int proto_frame_put_warnings(buf *b, size_t hdr_off, const proto_str *w, size_t n)
{
    if (!hdr_ok(b, hdr_off)) return b->oom ? PROTO_ENOMEM : PROTO_EINVAL;
    if ((b->data[hdr_off] & 0x7F) < PROTO_V4) return PROTO_OK; /* as Cassandra: dropped */
    int rc = proto_wr_string_list(b, w, n);
    if (rc) return rc;
    b->data[hdr_off + 1] |= PROTO_F_WARNING;
    return PROTO_OK;
}

int proto_frame_put_custom_payload(buf *b, size_t hdr_off, const proto_bytes_pair *m, size_t n)
{
    if (!hdr_ok(b, hdr_off)) return b->oom ? PROTO_ENOMEM : PROTO_EINVAL;
    if ((b->data[hdr_off] & 0x7F) < PROTO_V4) return PROTO_EINVAL;
    int rc = proto_wr_bytes_map(b, m, n);
    if (rc) return rc;
    b->data[hdr_off + 1] |= PROTO_F_CUSTOM_PAYLOAD;
    return PROTO_OK;
}

int proto_read_response_prefix(proto_rd *rd, uint8_t flags, arena *a,
                               struct proto_response_prefix *out)
{
    memset(out, 0, sizeof(*out));
    if (flags & PROTO_F_TRACING) out->tracing_id = proto_rd_uuid(rd);
    if (flags & PROTO_F_WARNING) proto_rd_string_list(rd, a, &out->warnings, &out->n_warnings);
    if (flags & PROTO_F_CUSTOM_PAYLOAD)
        proto_rd_bytes_map(rd, a, &out->custom_payload, &out->n_custom_payload);
    return rd->err;
}
