/*
 * wire -- the notations of the CQL native protocol v3/v4/v5 and the request
 * bodies a server receives, as a pure codec (no I/O, no connection state).
 *
 * Reading: a proto_rd is a bounds-checked cursor over one frame body. Every
 * reader either consumes exactly the bytes of its notation or fails; a
 * failure sets the sticky rd->err (and rd->msg, the Protocol-error text
 * Cassandra would send) and every later read returns zero/empty values, so a
 * decoder reads a whole message and checks rd->err once at the end.
 *
 * Writing: proto_wr_* append a notation to a util/buf. A write that cannot be
 * represented (a [string] over 65535 bytes, a list over 65535 entries)
 * returns PROTO_EINVAL and appends nothing; an allocation failure leaves the
 * buf's sticky oom flag set and returns PROTO_ENOMEM.
 *
 * Invariants:
 *  (1) a reader never looks at p[pos..] beyond len: every access is preceded
 *      by a check of len - pos;
 *  (2) once rd->err != 0 it never changes back and pos never moves again;
 *  (3) slices returned by readers (proto_str, proto_value, uuid pointers)
 *      point into rd->p: they are valid as long as the frame body is;
 *  (4) arrays returned by list/map readers and decoders live in the arena
 *      passed in: valid until that arena is reset;
 *  (5) a count read from the wire is checked against the bytes that remain
 *      (every element needs at least its length prefix) before anything is
 *      allocated, so a small frame cannot make a large allocation.
 *
 * Thread context: pure functions; a proto_rd belongs to one thread.
 */
#ifndef RINGDB_TRANSPORT_WIRE_H
#define RINGDB_TRANSPORT_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/buf.h"

/* ---- return codes shared by every proto_ function ---------------------- */

#define PROTO_OK          0
#define PROTO_AGAIN       (-1)  /* need more bytes: not an error */
#define PROTO_EPROTO      (-2)  /* malformed body: answer Protocol error */
#define PROTO_EVERSION    (-3)  /* unsupported protocol version */
#define PROTO_EDIRECTION  (-4)  /* response direction bit / response opcode on a request */
#define PROTO_ETOOBIG     (-5)  /* frame or envelope above the configured maximum */
#define PROTO_EOPCODE     (-6)  /* unknown opcode */
#define PROTO_EFLAGS      (-7)  /* reserved header flag bits set */
#define PROTO_EHDRCRC     (-8)  /* v5 segment header CRC24 mismatch */
#define PROTO_EPAYLOADCRC (-9)  /* v5 segment payload CRC32 mismatch */
#define PROTO_ECORRUPT    (-10) /* corrupt compressed data */
#define PROTO_ENOMEM      (-11) /* allocation failed (answer Server error) */
#define PROTO_EINVAL      (-12) /* caller passed something the format cannot carry */

/* Short constant name of a return code ("PROTO_EPROTO" ...). */
const char *proto_strerror(int rc);

/* ---- protocol versions ------------------------------------------------- */

#define PROTO_V3          3
#define PROTO_V4          4
#define PROTO_V5          5
#define PROTO_MIN_VERSION PROTO_V3
#define PROTO_MAX_VERSION PROTO_V5

/* ---- error codes (spec section 9) -------------------------------------- */

#define PROTO_ERR_SERVER            0x0000
#define PROTO_ERR_PROTOCOL          0x000A
#define PROTO_ERR_BAD_CREDENTIALS   0x0100
#define PROTO_ERR_UNAVAILABLE       0x1000
#define PROTO_ERR_OVERLOADED        0x1001
#define PROTO_ERR_IS_BOOTSTRAPPING  0x1002
#define PROTO_ERR_TRUNCATE          0x1003
#define PROTO_ERR_WRITE_TIMEOUT     0x1100
#define PROTO_ERR_READ_TIMEOUT      0x1200
#define PROTO_ERR_READ_FAILURE      0x1300
#define PROTO_ERR_FUNCTION_FAILURE  0x1400
#define PROTO_ERR_WRITE_FAILURE     0x1500
#define PROTO_ERR_CDC_WRITE_FAILURE 0x1600
#define PROTO_ERR_CAS_WRITE_UNKNOWN 0x1700
#define PROTO_ERR_SYNTAX            0x2000
#define PROTO_ERR_UNAUTHORIZED      0x2100
#define PROTO_ERR_INVALID           0x2200
#define PROTO_ERR_CONFIG            0x2300
#define PROTO_ERR_ALREADY_EXISTS    0x2400
#define PROTO_ERR_UNPREPARED        0x2500

/* ---- consistency levels ([consistency]) -------------------------------- */

#define PROTO_CL_ANY          0x0000
#define PROTO_CL_ONE          0x0001
#define PROTO_CL_TWO          0x0002
#define PROTO_CL_THREE        0x0003
#define PROTO_CL_QUORUM       0x0004
#define PROTO_CL_ALL          0x0005
#define PROTO_CL_LOCAL_QUORUM 0x0006
#define PROTO_CL_EACH_QUORUM  0x0007
#define PROTO_CL_SERIAL       0x0008
#define PROTO_CL_LOCAL_SERIAL 0x0009
#define PROTO_CL_LOCAL_ONE    0x000A
#define PROTO_CL_MAX          PROTO_CL_LOCAL_ONE

/* Upper-case name of a consistency level ("LOCAL_QUORUM"), NULL if unknown. */
const char *proto_consistency_name(uint16_t cl);

/* ---- slices ------------------------------------------------------------ */

/* A [string]/[long string]: bytes in the frame, not NUL-terminated. */
typedef struct proto_str {
    const char *p; /* NULL only for an absent optional field */
    uint32_t n;
} proto_str;

/* A [bytes]/[value]/[short bytes]. len >= 0: p[0..len) are the bytes;
 * len == PROTO_VALUE_NULL or PROTO_VALUE_UNSET: no bytes, p == NULL. */
#define PROTO_VALUE_NULL  (-1)
#define PROTO_VALUE_UNSET (-2)
typedef struct proto_value {
    const uint8_t *p;
    int32_t len;
} proto_value;

typedef struct proto_str_pair { /* [string map] entry */
    proto_str key, val;
} proto_str_pair;

typedef struct proto_multimap_entry { /* [string multimap] entry */
    proto_str key;
    proto_str *vals; /* arena */
    uint16_t n_vals;
} proto_multimap_entry;

typedef struct proto_bytes_pair { /* [bytes map] entry */
    proto_str key;
    proto_value val;
} proto_bytes_pair;

typedef struct proto_inet { /* [inet] / [inetaddr] */
    uint8_t n_addr;         /* 4 or 16 */
    uint8_t addr[16];       /* network order */
    int32_t port;           /* [inet] only; 0 for [inetaddr] */
} proto_inet;

/* ---- [option] type descriptions --------------------------------------- */

enum proto_type_id {
    PROTO_TYPE_CUSTOM = 0x0000,
    PROTO_TYPE_ASCII = 0x0001,
    PROTO_TYPE_BIGINT = 0x0002,
    PROTO_TYPE_BLOB = 0x0003,
    PROTO_TYPE_BOOLEAN = 0x0004,
    PROTO_TYPE_COUNTER = 0x0005,
    PROTO_TYPE_DECIMAL = 0x0006,
    PROTO_TYPE_DOUBLE = 0x0007,
    PROTO_TYPE_FLOAT = 0x0008,
    PROTO_TYPE_INT = 0x0009,
    PROTO_TYPE_TIMESTAMP = 0x000B,
    PROTO_TYPE_UUID = 0x000C,
    PROTO_TYPE_VARCHAR = 0x000D,
    PROTO_TYPE_VARINT = 0x000E,
    PROTO_TYPE_TIMEUUID = 0x000F,
    PROTO_TYPE_INET = 0x0010,
    PROTO_TYPE_DATE = 0x0011,
    PROTO_TYPE_TIME = 0x0012,
    PROTO_TYPE_SMALLINT = 0x0013,
    PROTO_TYPE_TINYINT = 0x0014,
    PROTO_TYPE_DURATION = 0x0015,
    PROTO_TYPE_LIST = 0x0020,
    PROTO_TYPE_MAP = 0x0021,
    PROTO_TYPE_SET = 0x0022,
    PROTO_TYPE_UDT = 0x0030,
    PROTO_TYPE_TUPLE = 0x0031,
};

/* Nesting deeper than this is rejected (protects the C stack). */
#define PROTO_TYPE_MAX_DEPTH 32

typedef struct proto_type {
    uint16_t id;             /* enum proto_type_id */
    uint16_t n_sub;          /* list/set: 1, map: 2, tuple/UDT: fields */
    struct proto_type **sub; /* element/key+value/field types (arena) */
    proto_str custom;        /* CUSTOM: class name */
    proto_str ks, name;      /* UDT: keyspace and type name */
    proto_str *field_names;  /* UDT: n_sub names (arena) */
} proto_type;

/* ---- the reader -------------------------------------------------------- */

typedef struct proto_rd {
    const uint8_t *p;
    size_t len, pos;
    int err;       /* 0, or the first failure (PROTO_EPROTO / PROTO_ENOMEM) */
    char msg[160]; /* Cassandra-style message of the first failure */
} proto_rd;

void proto_rd_init(proto_rd *rd, const void *p, size_t len);
static inline size_t proto_rd_left(const proto_rd *rd)
{
    return rd->err ? 0 : rd->len - rd->pos;
}
/* Record a failure (first one wins; printf-style message). Returns rc. */
int proto_rd_fail(proto_rd *rd, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

uint8_t proto_rd_byte(proto_rd *rd);
uint16_t proto_rd_short(proto_rd *rd);
int32_t proto_rd_int(proto_rd *rd);
int64_t proto_rd_long(proto_rd *rd);
/* Raw n bytes (no length prefix); NULL if fewer remain. */
const uint8_t *proto_rd_raw(proto_rd *rd, size_t n);
/* [string], [long string]: UTF-8 validated (strict, see proto_utf8_valid);
 * a negative [long string] length is an error. */
proto_str proto_rd_string(proto_rd *rd);
proto_str proto_rd_long_string(proto_rd *rd);
/* [uuid]: pointer to 16 bytes in the frame (NULL on failure). */
const uint8_t *proto_rd_uuid(proto_rd *rd);
/* [bytes]: any negative length is null (spec: "If n < 0 ... null"). */
proto_value proto_rd_bytes(proto_rd *rd);
/* [value]: -1 null; -2 unset (v4+, an error in v3); other negatives error. */
proto_value proto_rd_value(proto_rd *rd, int version);
/* [short bytes] */
proto_value proto_rd_short_bytes(proto_rd *rd);
/* [unsigned vint] / [vint] (zig-zag) */
uint64_t proto_rd_uvint(proto_rd *rd);
int64_t proto_rd_vint(proto_rd *rd);
/* [consistency]: values above LOCAL_ONE are an error
 * ("Unknown code %d for a consistency level"). */
uint16_t proto_rd_consistency(proto_rd *rd);
/* [inet] / [inetaddr]: address size must be 4 or 16. Returns 0 or rd->err. */
int proto_rd_inet(proto_rd *rd, proto_inet *out);
int proto_rd_inetaddr(proto_rd *rd, proto_inet *out);
/* [option]: a type description allocated in `a` (NULL on failure). */
proto_type *proto_rd_option(proto_rd *rd, arena *a);
/* [option list]: *out gets an arena array of *n types. Returns 0 or rd->err. */
int proto_rd_option_list(proto_rd *rd, arena *a, proto_type ***out, uint16_t *n);
/* Lists and maps: *out gets an arena array of *n entries (NULL when n == 0).
 * Return 0 or rd->err. */
int proto_rd_string_list(proto_rd *rd, arena *a, proto_str **out, uint16_t *n);
int proto_rd_string_map(proto_rd *rd, arena *a, proto_str_pair **out, uint16_t *n);
int proto_rd_string_multimap(proto_rd *rd, arena *a, proto_multimap_entry **out, uint16_t *n);
int proto_rd_bytes_map(proto_rd *rd, arena *a, proto_bytes_pair **out, uint16_t *n);

/* Strict UTF-8 (RFC 3629): rejects overlong forms, surrogates U+D800..DFFF,
 * code points above U+10FFFF and truncated sequences. 1 valid, 0 not. */
int proto_utf8_valid(const void *p, size_t n);

/* ---- writers ----------------------------------------------------------- */
/* All return PROTO_OK, PROTO_EINVAL (nothing appended) or PROTO_ENOMEM. */

int proto_wr_byte(buf *b, uint8_t v);
int proto_wr_short(buf *b, uint16_t v);
int proto_wr_int(buf *b, int32_t v);
int proto_wr_long(buf *b, int64_t v);
int proto_wr_string(buf *b, const char *s, size_t n);      /* n <= 65535 */
int proto_wr_cstring(buf *b, const char *s);               /* NUL-terminated */
int proto_wr_long_string(buf *b, const char *s, size_t n); /* n <= INT32_MAX */
int proto_wr_uuid(buf *b, const uint8_t uuid[16]);
int proto_wr_string_list(buf *b, const proto_str *l, size_t n);
/* [bytes] and [value]: len >= 0 writes p[0..len); PROTO_VALUE_NULL writes -1;
 * [value] also takes PROTO_VALUE_UNSET (-2). */
int proto_wr_bytes(buf *b, const void *p, int32_t len);
int proto_wr_value(buf *b, const void *p, int32_t len);
int proto_wr_short_bytes(buf *b, const void *p, size_t n); /* n <= 65535 */
int proto_wr_uvint(buf *b, uint64_t v);
int proto_wr_vint(buf *b, int64_t v);
int proto_wr_consistency(buf *b, uint16_t cl);
int proto_wr_inet(buf *b, const proto_inet *in);
int proto_wr_inetaddr(buf *b, const proto_inet *in);
int proto_wr_option(buf *b, const proto_type *t);
int proto_wr_option_list(buf *b, proto_type *const *l, size_t n);
int proto_wr_string_map(buf *b, const proto_str_pair *m, size_t n);
int proto_wr_string_multimap(buf *b, const proto_multimap_entry *m, size_t n);
int proto_wr_bytes_map(buf *b, const proto_bytes_pair *m, size_t n);

/* ---- request bodies ---------------------------------------------------- */

/* <query_parameters> flags (QUERY, EXECUTE; BATCH uses 0x10 and up). */
#define PROTO_QF_VALUES             0x0001
#define PROTO_QF_SKIP_METADATA      0x0002
#define PROTO_QF_PAGE_SIZE          0x0004
#define PROTO_QF_PAGING_STATE       0x0008
#define PROTO_QF_SERIAL_CONSISTENCY 0x0010
#define PROTO_QF_TIMESTAMP          0x0020
#define PROTO_QF_NAMES_FOR_VALUES   0x0040
#define PROTO_QF_KEYSPACE           0x0080 /* v5 */
#define PROTO_QF_NOW_IN_SECONDS     0x0100 /* v5 */
#define PROTO_QF_V5_ALL             0x01FF

#define PROTO_PREPARE_F_KEYSPACE 0x0001 /* v5 PREPARE flags */

#define PROTO_BATCH_LOGGED   0
#define PROTO_BATCH_UNLOGGED 1
#define PROTO_BATCH_COUNTER  2

/* Absent optional fields hold these values. */
#define PROTO_NO_TIMESTAMP INT64_MIN

typedef struct proto_query_params {
    uint16_t consistency;
    uint32_t flags; /* as received (v3/v4: one byte) */
    uint16_t n_values;
    proto_value *values; /* arena; len PROTO_VALUE_NULL/UNSET for null/unset */
    proto_str *names;    /* arena, n_values names, or NULL without flag 0x40 */
    int skip_metadata;   /* flag 0x02 */
    int32_t page_size;   /* -1 when absent */
    int has_paging_state;
    proto_value paging_state;    /* [bytes]; may be null even when present */
    uint16_t serial_consistency; /* PROTO_CL_SERIAL when absent */
    int64_t timestamp;           /* PROTO_NO_TIMESTAMP when absent */
    proto_str keyspace;          /* p == NULL when absent */
    int has_now_in_seconds;
    uint32_t now_in_seconds;
} proto_query_params;

struct proto_startup {
    uint16_t n_options;
    proto_str_pair *options; /* keys as sent (Cassandra upper-cases them) */
};

struct proto_auth_response {
    proto_value token; /* may be null */
};

struct proto_query {
    proto_str query;
    proto_query_params params;
};

struct proto_prepare {
    proto_str query;
    uint32_t flags;     /* v5 only, else 0 */
    proto_str keyspace; /* v5 flag 0x01, else p == NULL */
};

struct proto_execute {
    proto_value id;                 /* [short bytes] */
    proto_value result_metadata_id; /* v5 [short bytes]; len -1 before v5 */
    proto_query_params params;
};

struct proto_batch_stmt {
    uint8_t kind;    /* 0: query string, 1: prepared id */
    proto_str query; /* kind 0 */
    proto_value id;  /* kind 1 */
    uint16_t n_values;
    proto_value *values; /* arena */
};

struct proto_batch {
    uint8_t type; /* PROTO_BATCH_* */
    uint16_t n_stmts;
    struct proto_batch_stmt *stmts; /* arena */
    /* consistency, flags, serial_consistency, timestamp, keyspace,
     * now_in_seconds; n_values == 0. */
    proto_query_params params;
};

struct proto_register {
    uint16_t n_events;
    proto_str *events; /* arena; names as sent */
};

struct proto_frame_hdr; /* frame.h */

/* A decoded request: the header's view plus the body. */
typedef struct proto_request {
    uint8_t opcode;
    uint8_t version;
    uint8_t flags;
    int16_t stream;
    int tracing; /* tracing flag: requests carry no tracing id in the body */
    uint16_t n_custom_payload;
    proto_bytes_pair *custom_payload; /* arena; flag 0x04 (v4+) */
    union {
        struct proto_startup startup;
        struct proto_auth_response auth_response;
        struct proto_query query;
        struct proto_prepare prepare;
        struct proto_execute execute;
        struct proto_batch batch;
        struct proto_register reg;
    } u;
} proto_request;

/* Decoders of one body each (after the custom payload). `rd` covers the
 * rest of the body; bytes left after the message are ignored, as Cassandra
 * does (spec section 1: clients may append data servers ignore). Return 0,
 * or rd->err with rd->msg set. Slices point into the body, arrays into `a`. */
int proto_decode_startup(proto_rd *rd, arena *a, struct proto_startup *out);
int proto_decode_auth_response(proto_rd *rd, struct proto_auth_response *out);
int proto_decode_query_params(proto_rd *rd, int version, arena *a, proto_query_params *out);
int proto_decode_query(proto_rd *rd, int version, arena *a, struct proto_query *out);
int proto_decode_prepare(proto_rd *rd, int version, struct proto_prepare *out);
int proto_decode_execute(proto_rd *rd, int version, arena *a, struct proto_execute *out);
int proto_decode_batch(proto_rd *rd, int version, arena *a, struct proto_batch *out);
int proto_decode_register(proto_rd *rd, arena *a, struct proto_register *out);

/*
 * Decode a whole request body whose header is `h` (already validated by
 * proto_frame_header_decode, body already decompressed). Reads the custom
 * payload when flag 0x04 is set (a Protocol error before v4), then the
 * message for h->opcode. OPTIONS has an empty body; an opcode that is not a
 * request is PROTO_EOPCODE. Returns 0 or an error with rd->msg set;
 * `rd` is initialised by this function over body[0..n).
 */
int proto_decode_request(const struct proto_frame_hdr *h, const uint8_t *body, size_t n, arena *a,
                         proto_rd *rd, proto_request *out);

/* ---- ERROR bodies (spec 4.2.1 and 9) ----------------------------------- */
/*
 * Each writes a complete ERROR body (code, message, extra fields) at the
 * end of `b`; wrap it with proto_frame_begin/end (opcode PROTO_OP_ERROR).
 * Messages longer than a [string] can hold are cut at a UTF-8 boundary.
 * `version` selects the layout; like Cassandra, codes a version lacks are
 * mapped down: before v4 Read/Write_failure become Read/Write_timeout and
 * Function_failure / CDC_write_failure become Invalid; before v5 a CAS
 * write timeout loses its contentions and CAS_write_unknown becomes a
 * Write_timeout of write type "CAS".
 */
int proto_write_error(buf *b, int32_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int proto_write_error_msg(buf *b, int32_t code, const char *msg, size_t n);

struct proto_failure {   /* one entry of a v5 <reasonmap> */
    proto_inet endpoint; /* written as [inetaddr] */
    uint16_t code;       /* RequestFailureReason code */
};

int proto_write_error_unavailable(buf *b, const char *msg, uint16_t cl, int32_t required,
                                  int32_t alive);
/* write_type: "SIMPLE", "BATCH", "UNLOGGED_BATCH", "COUNTER", "BATCH_LOG",
 * "CAS", "VIEW", "CDC". contentions >= 0 marks a CAS contention timeout
 * (v5 appends it as a [short]); pass -1 otherwise. */
int proto_write_error_write_timeout(buf *b, int version, const char *msg, uint16_t cl,
                                    int32_t received, int32_t blockfor, const char *write_type,
                                    int32_t contentions);
int proto_write_error_read_timeout(buf *b, const char *msg, uint16_t cl, int32_t received,
                                   int32_t blockfor, int data_present);
int proto_write_error_read_failure(buf *b, int version, const char *msg, uint16_t cl,
                                   int32_t received, int32_t blockfor,
                                   const struct proto_failure *reasons, uint32_t n_reasons,
                                   int data_present);
int proto_write_error_write_failure(buf *b, int version, const char *msg, uint16_t cl,
                                    int32_t received, int32_t blockfor,
                                    const struct proto_failure *reasons, uint32_t n_reasons,
                                    const char *write_type);
int proto_write_error_function_failure(buf *b, int version, const char *msg, const char *ks,
                                       const char *function, const proto_str *arg_types,
                                       size_t n_arg_types);
int proto_write_error_already_exists(buf *b, const char *msg, const char *ks,
                                     const char *table /* "" for a keyspace */);
int proto_write_error_unprepared(buf *b, const char *msg, const void *id, size_t n_id);
int proto_write_error_cdc_write_failure(buf *b, int version, const char *msg);
int proto_write_error_cas_write_unknown(buf *b, int version, const char *msg, uint16_t cl,
                                        int32_t received, int32_t blockfor);

#endif
