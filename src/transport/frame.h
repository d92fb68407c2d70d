/*
 * frame -- the 9-byte frame ("envelope" in v5) header of the CQL native
 * protocol v3/v4/v5, its errors, and the response-side helpers: header
 * encoding with the body length patched afterwards, warnings, tracing id,
 * and the exact ERROR frame Cassandra sends for an unsupported version.
 *
 *   offset size meaning
 *   0      1    version (bit 0x80: 1 = response) -- 3, 4 or 5 here
 *   1      1    flags (0x01 compressed, 0x02 tracing, 0x04 custom payload,
 *               0x08 warning, 0x10 use-beta)
 *   2      2    stream id, signed big-endian [short]
 *   4      1    opcode
 *   5      4    body length, big-endian, unsigned here (see below)
 *
 * Invariants:
 *  (1) proto_frame_header_decode reads at most 9 bytes and decides the
 *      version from the first byte alone, as Cassandra does (v1/v2 headers
 *      are 8 bytes, so waiting for 9 could wait forever);
 *  (2) on every return except PROTO_AGAIN and PROTO_EVERSION, all fields of
 *      *out are filled from the 9 bytes, so the caller can answer on the
 *      right stream and skip `length` body bytes;
 *  (3) checks run in Cassandra's order (version, opcode, direction,
 *      length), then reserved flag bits, which Cassandra ignores: a caller
 *      that ignores PROTO_EFLAGS too has had every other check done.
 *
 * Thread context: pure functions.
 */
#ifndef RINGDB_TRANSPORT_FRAME_H
#define RINGDB_TRANSPORT_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "transport/wire.h"
#include "util/buf.h"

#define PROTO_HEADER_SIZE 9

/* Opcodes (spec 2.4). 0x04 was CREDENTIALS (v1 only): the header accepts
 * it like Cassandra and the body decoder answers "Unsupported message". */
#define PROTO_OP_ERROR          0x00
#define PROTO_OP_STARTUP        0x01
#define PROTO_OP_READY          0x02
#define PROTO_OP_AUTHENTICATE   0x03
#define PROTO_OP_CREDENTIALS    0x04
#define PROTO_OP_OPTIONS        0x05
#define PROTO_OP_SUPPORTED      0x06
#define PROTO_OP_QUERY          0x07
#define PROTO_OP_RESULT         0x08
#define PROTO_OP_PREPARE        0x09
#define PROTO_OP_EXECUTE        0x0A
#define PROTO_OP_REGISTER       0x0B
#define PROTO_OP_EVENT          0x0C
#define PROTO_OP_BATCH          0x0D
#define PROTO_OP_AUTH_CHALLENGE 0x0E
#define PROTO_OP_AUTH_RESPONSE  0x0F
#define PROTO_OP_AUTH_SUCCESS   0x10
#define PROTO_OP_MAX            PROTO_OP_AUTH_SUCCESS

/* Header flags (spec 2.2). */
#define PROTO_F_COMPRESSED     0x01
#define PROTO_F_TRACING        0x02
#define PROTO_F_CUSTOM_PAYLOAD 0x04
#define PROTO_F_WARNING        0x08
#define PROTO_F_USE_BETA       0x10
#define PROTO_F_KNOWN          0x1F

#define PROTO_DIR_RESPONSE 0x80

/* native_transport_max_frame_size default in Cassandra 4.1/5.0: 16 MiB.
 * Like Cassandra, the limit applies to header + body. */
#define PROTO_DEFAULT_MAX_FRAME_SIZE (16u * 1024 * 1024)

struct proto_frame_hdr {
    uint8_t version;  /* without the direction bit */
    uint8_t response; /* 1 if the direction bit was set */
    uint8_t flags;
    int16_t stream;
    uint8_t opcode;
    uint32_t length; /* body bytes that follow the header */
};

/* Name of an opcode ("QUERY"), NULL if it has none. */
const char *proto_opcode_name(uint8_t opcode);
/* 1 for an opcode a client sends (STARTUP, OPTIONS, QUERY, ...). */
int proto_opcode_is_request(uint8_t opcode);

/*
 * Decode the request header at p[0..n). max_frame_size: the limit on
 * 9 + length (0: PROTO_DEFAULT_MAX_FRAME_SIZE). Returns
 *   PROTO_OK          header valid; the frame is 9 + out->length bytes;
 *   PROTO_AGAIN       n < 9 and the first byte names a supported version;
 *   PROTO_EVERSION    version not 3..5 (checked with n >= 1): answer with
 *                     proto_write_version_error(), then close;
 *   PROTO_EDIRECTION  direction bit set, or a response opcode: Protocol error
 *                     on out->stream (proto_frame_error_text);
 *   PROTO_EOPCODE     unknown opcode: Protocol error "Unknown opcode %d" on
 *                     out->stream; skip out->length bytes and keep going;
 *   PROTO_ETOOBIG     9 + length > max: Cassandra answers Invalid
 *                     "Request is too big: ..." on out->stream, discards
 *                     the body and keeps the connection;
 *   PROTO_EFLAGS      every check above passed but a reserved flag bit
 *                     (0xE0) is set. Cassandra ignores these bits: the
 *                     caller may do the same.
 */
int proto_frame_header_decode(const uint8_t *p, size_t n, uint32_t max_frame_size,
                              struct proto_frame_hdr *out);

/*
 * The answer to a header error: writes Cassandra's message for rc into
 * msg[0..cap) (always NUL-terminated) and returns the CQL error code to
 * send (PROTO_ERR_PROTOCOL, or PROTO_ERR_INVALID for PROTO_ETOOBIG).
 */
int32_t proto_frame_error_text(int rc, const struct proto_frame_hdr *h, uint32_t max_frame_size,
                               char *msg, size_t cap);

/*
 * "Invalid or unsupported protocol version (%d); supported versions are
 * (3/v3, 4/v4, 5/v5)": Cassandra's ProtocolVersion.invalidVersionMessage
 * with the versions ringdb speaks. Writes into msg[0..cap), returns the
 * length snprintf would have written.
 */
int proto_version_error_message(int version, char *msg, size_t cap);

/*
 * The version byte Cassandra uses for that error frame: v1 and v2 are
 * answered in their own (8-byte header) format so old drivers can read it;
 * any other version gets the connection's version, or v5 (Cassandra's
 * CURRENT) when no STARTUP was accepted yet (conn_version 0).
 */
int proto_version_error_reply_version(int requested, int conn_version);

/*
 * Append the complete ERROR frame for an unsupported `requested` version:
 * Protocol error (0x000A) with proto_version_error_message(), stream 0,
 * flags 0, version from proto_version_error_reply_version(). The python
 * driver matches "unsupported protocol version" in the message and retries
 * with a lower version. `requested` is the low 7 bits of the first byte.
 */
int proto_write_version_error(buf *b, int requested, int conn_version);

/*
 * Response frames. proto_frame_begin appends a 9-byte header with length 0
 * and returns its offset; proto_frame_end patches the length to the bytes
 * written after it. The direction bit is added here.
 */
size_t proto_frame_begin(buf *b, int version, uint8_t flags, int16_t stream, uint8_t opcode);
int proto_frame_end(buf *b, size_t hdr_off);

/* Body prefixes a response may carry, in this order right after
 * proto_frame_begin, each setting its flag in the header already written:
 * tracing id (0x02), warnings (0x08, v4+; ignored before v4 like Cassandra),
 * custom payload (0x04, v4+; PROTO_EINVAL before v4). */
int proto_frame_put_tracing_id(buf *b, size_t hdr_off, const uint8_t uuid[16]);
int proto_frame_put_warnings(buf *b, size_t hdr_off, const proto_str *w, size_t n);
int proto_frame_put_custom_payload(buf *b, size_t hdr_off, const proto_bytes_pair *m, size_t n);

/*
 * Read the prefixes of a RESPONSE body (the client side, used by tests and
 * tools): tracing id if 0x02, warnings if 0x08, custom payload if 0x04.
 */
struct proto_response_prefix {
    const uint8_t *tracing_id; /* NULL if absent */
    uint16_t n_warnings;
    proto_str *warnings;
    uint16_t n_custom_payload;
    proto_bytes_pair *custom_payload;
};
int proto_read_response_prefix(proto_rd *rd, uint8_t flags, arena *a,
                               struct proto_response_prefix *out);

#endif
