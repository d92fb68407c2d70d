/*
 * wire.c -- see wire.h. Notation readers/writers, request body decoders and
 * ERROR body encoders.
 *
 * Where Cassandra's behaviour was checked (4.1/5.0 sources):
 *  - trailing bytes after a message body are ignored (Message.Decoder never
 *    checks what remains), and so are they here;
 *  - [bytes] with any negative length is null (CBUtil.readValue);
 *  - [value] -2 is "unset" from v4 on; Cassandra reads any negative length as
 *    null in v3 (CBUtil.readBoundValue), ringdb rejects -2 and below in v3
 *    (a v3 driver has no way to mean "unset");
 *  - QUERY/EXECUTE flags: Cassandra ignores unknown bits, ringdb rejects them
 *    in v5 where the field is an [int] (a sender setting them expects a
 *    feature we do not have); keyspace (0x80) is honoured in every version
 *    like Cassandra does, now_in_seconds (0x100) only fits v5's [int];
 *  - a default timestamp of INT64_MIN and a page size of 0 are Protocol
 *    errors with Cassandra's texts.
 */
#include "transport/wire.h"
#include "transport/frame.h"

#include "util/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *proto_strerror(int rc)
{
    switch (rc) {
    case PROTO_OK: return "PROTO_OK";
    case PROTO_AGAIN: return "PROTO_AGAIN";
    case PROTO_EPROTO: return "PROTO_EPROTO";
    case PROTO_EVERSION: return "PROTO_EVERSION";
    case PROTO_EDIRECTION: return "PROTO_EDIRECTION";
    case PROTO_ETOOBIG: return "PROTO_ETOOBIG";
    case PROTO_EOPCODE: return "PROTO_EOPCODE";
    case PROTO_EFLAGS: return "PROTO_EFLAGS";
    case PROTO_EHDRCRC: return "PROTO_EHDRCRC";
    case PROTO_EPAYLOADCRC: return "PROTO_EPAYLOADCRC";
    case PROTO_ECORRUPT: return "PROTO_ECORRUPT";
    case PROTO_ENOMEM: return "PROTO_ENOMEM";
    case PROTO_EINVAL: return "PROTO_EINVAL";
    default: return "PROTO_E?";
    }
}

static const char *const cl_names[] = {
    "ANY",          "ONE",         "TWO",    "THREE",        "QUORUM",    "ALL",
    "LOCAL_QUORUM", "EACH_QUORUM", "SERIAL", "LOCAL_SERIAL", "LOCAL_ONE",
};

const char *proto_consistency_name(uint16_t cl)
{
    return cl <= PROTO_CL_MAX ? cl_names[cl] : NULL;
}

/* ---- reader core ------------------------------------------------------- */

void proto_rd_init(proto_rd *rd, const void *p, size_t len)
{
    rd->p = p;
    rd->len = p ? len : 0;
    rd->pos = 0;
    rd->err = 0;
    rd->msg[0] = 0;
}

int proto_rd_fail(proto_rd *rd, int rc, const char *fmt, ...)
{
    if (rd->err) return rd->err; /* invariant (2): the first failure wins */
    rd->err = rc;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rd->msg, sizeof(rd->msg), fmt, ap);
    va_end(ap);
    return rc;
}

/* Invariant (1): the one place that checks bounds before an access. */
static const uint8_t *take(proto_rd *rd, size_t n, const char *what)
{
    if (rd->err) return NULL;
    if (rd->len - rd->pos < n) {
        proto_rd_fail(rd, PROTO_EPROTO, "Not enough bytes to read %s", what);
        return NULL;
    }
    const uint8_t *q = rd->p + rd->pos;
    rd->pos += n;
    return q;
}

const uint8_t *proto_rd_raw(proto_rd *rd, size_t n)
{
    return take(rd, n, "raw bytes");
}

uint8_t proto_rd_byte(proto_rd *rd)
{
    const uint8_t *q = take(rd, 1, "a [byte]");
    return q ? q[0] : 0;
}

uint16_t proto_rd_short(proto_rd *rd)
{
    const uint8_t *q = take(rd, 2, "a [short]");
    return q ? be16(q) : 0;
}

int32_t proto_rd_int(proto_rd *rd)
{
    const uint8_t *q = take(rd, 4, "an [int]");
    return q ? (int32_t)be32(q) : 0;
}

int64_t proto_rd_long(proto_rd *rd)
{
    const uint8_t *q = take(rd, 8, "a [long]");
    return q ? (int64_t)be64(q) : 0;
}

/* ---- UTF-8 ------------------------------------------------------------- */

int proto_utf8_valid(const void *vp, size_t n)
{
    const uint8_t *s = vp;
    size_t i = 0;
    while (i < n) {
        /* ASCII fast path, 8 bytes at a time */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & UINT64_C(0x8080808080808080)) break;
            i += 8;
        }
        if (i >= n) break;
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        uint8_t lo = 0x80, hi = 0xBF; /* allowed range of the 2nd byte */
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0) lo = 0xA0; /* overlong */
            if (c == 0xED) hi = 0x9F; /* surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0) lo = 0x90; /* overlong */
            if (c == 0xF4) hi = 0x8F; /* > U+10FFFF */
        } else {
            return 0; /* 0x80..0xC1 (continuation / overlong), 0xF5..0xFF */
        }
        if (n - i - 1 < need) return 0;
        if (s[i + 1] < lo || s[i + 1] > hi) return 0;
        for (size_t k = 2; k <= need; k++)
            if ((s[i + k] & 0xC0) != 0x80) return 0;
        i += need + 1;
    }
    return 1;
}

static proto_str checked_str(proto_rd *rd, const uint8_t *q, uint32_t n)
{
    proto_str s = {NULL, 0};
    if (!q) return s;
    if (!proto_utf8_valid(q, n)) {
        char hex[2 * 24 + 4];
        size_t k, m = n < 24 ? n : 24;
        for (k = 0; k < m; k++)
            snprintf(hex + 2 * k, 3, "%02x", q[k]);
        hex[2 * m] = 0;
        proto_rd_fail(rd, PROTO_EPROTO, "Cannot decode string as UTF8: '%s%s'", hex,
                      n > m ? "..." : "");
        return s;
    }
    s.p = (const char *)q;
    s.n = n;
    return s;
}

proto_str proto_rd_string(proto_rd *rd)
{
    proto_str s = {NULL, 0};
    if (rd->err) return s;
    if (rd->len - rd->pos < 2) {
        proto_rd_fail(rd, PROTO_EPROTO,
                      "Not enough bytes to read an UTF8 serialized string preceded by its 2 "
                      "bytes length");
        return s;
    }
    uint16_t n = be16(rd->p + rd->pos);
    if (rd->len - rd->pos - 2 < n) {
        proto_rd_fail(rd, PROTO_EPROTO,
                      "Not enough bytes to read an UTF8 serialized string of size %u", n);
        return s;
    }
    rd->pos += 2;
    const uint8_t *q = rd->p + rd->pos;
    rd->pos += n;
    return checked_str(rd, q, n);
}

proto_str proto_rd_long_string(proto_rd *rd)
{
    proto_str s = {NULL, 0};
    if (rd->err) return s;
    if (rd->len - rd->pos < 4) {
        proto_rd_fail(rd, PROTO_EPROTO,
                      "Not enough bytes to read an UTF8 serialized string preceded by its 4 "
                      "bytes length");
        return s;
    }
    int32_t n = (int32_t)be32(rd->p + rd->pos);
    if (n < 0) {
        proto_rd_fail(rd, PROTO_EPROTO, "Invalid length %d for a [long string]", (int)n);
        return s;
    }
    if (rd->len - rd->pos - 4 < (uint32_t)n) {
        proto_rd_fail(rd, PROTO_EPROTO,
                      "Not enough bytes to read an UTF8 serialized string of size %d", (int)n);
        return s;
    }
    rd->pos += 4;
    const uint8_t *q = rd->p + rd->pos;
    rd->pos += (uint32_t)n;
    return checked_str(rd, q, (uint32_t)n);
}

const uint8_t *proto_rd_uuid(proto_rd *rd)
{
    return take(rd, 16, "a [uuid]");
}

static proto_value value_body(proto_rd *rd, int32_t n, size_t prefix, const char *what)
{
    proto_value v = {NULL, 0};
    if (rd->len - rd->pos - prefix < (uint32_t)n) {
        proto_rd_fail(rd, PROTO_EPROTO, "Not enough bytes to read %s of size %d", what, (int)n);
        return v;
    }
    rd->pos += prefix;
    v.p = rd->p + rd->pos;
    v.len = n;
    rd->pos += (uint32_t)n;
    return v;
}

proto_value proto_rd_bytes(proto_rd *rd)
{
    proto_value v = {NULL, 0};
    if (rd->err) return v;
    if (rd->len - rd->pos < 4) {
        proto_rd_fail(rd, PROTO_EPROTO, "Not enough bytes to read a [bytes] length");
        return v;
    }
    int32_t n = (int32_t)be32(rd->p + rd->pos);
    if (n < 0) {
        rd->pos += 4;
        v.len = PROTO_VALUE_NULL;
        return v;
    }
    return value_body(rd, n, 4, "a [bytes]");
}

proto_value proto_rd_value(proto_rd *rd, int version)
{
    proto_value v = {NULL, 0};
    if (rd->err) return v;
    if (rd->len - rd->pos < 4) {
        proto_rd_fail(rd, PROTO_EPROTO, "Not enough bytes to read a [value] length");
        return v;
    }
    int32_t n = (int32_t)be32(rd->p + rd->pos);
    if (n < 0) {
        if (n == PROTO_VALUE_NULL || (n == PROTO_VALUE_UNSET && version >= PROTO_V4)) {
            rd->pos += 4;
            v.len = n;
            return v;
        }
        if (n == PROTO_VALUE_UNSET)
            proto_rd_fail(rd, PROTO_EPROTO, "Unset values are not supported in protocol version %d",
                          version);
        else
            proto_rd_fail(rd, PROTO_EPROTO, "Invalid ByteBuf length %d", (int)n);
        return v;
    }
    return value_body(rd, n, 4, "a [value]");
}

proto_value proto_rd_short_bytes(proto_rd *rd)
{
    proto_value v = {NULL, 0};
    if (rd->err) return v;
    if (rd->len - rd->pos < 2) {
        proto_rd_fail(rd, PROTO_EPROTO,
                      "Not enough bytes to read a byte array preceded by its 2 bytes length");
        return v;
    }
    return value_body(rd, be16(rd->p + rd->pos), 2, "a [short bytes]");
}

uint64_t proto_rd_uvint(proto_rd *rd)
{
    const uint8_t *q = take(rd, 1, "an [unsigned vint]");
    if (!q) return 0;
    uint8_t first = q[0];
    int extra = 0;
    while (extra < 8 && (first & (0x80 >> extra)))
        extra++;
    uint64_t v = extra == 8 ? 0 : (uint64_t)(first & (0xFF >> extra));
    const uint8_t *r = take(rd, (size_t)extra, "an [unsigned vint]");
    if (!r) return 0;
    for (int i = 0; i < extra; i++)
        v = (v << 8) | r[i];
    return v;
}

int64_t proto_rd_vint(proto_rd *rd)
{
    uint64_t u = proto_rd_uvint(rd);
    return (int64_t)((u >> 1) ^ (~(u & 1) + 1));
}

uint16_t proto_rd_consistency(proto_rd *rd)
{
    if (rd->err) return 0;
    if (rd->len - rd->pos < 2) {
        proto_rd_fail(rd, PROTO_EPROTO, "Not enough bytes to read a [consistency]");
        return 0;
    }
    uint16_t cl = be16(rd->p + rd->pos);
    if (cl > PROTO_CL_MAX) {
        proto_rd_fail(rd, PROTO_EPROTO, "Unknown code %u for a consistency level", cl);
        return 0;
    }
    rd->pos += 2;
    return cl;
}

static int rd_addr(proto_rd *rd, proto_inet *out)
{
    memset(out, 0, sizeof(*out));
    if (rd->err) return rd->err;
    if (rd->len - rd->pos < 1)
        return proto_rd_fail(rd, PROTO_EPROTO, "Not enough bytes to read an [inet]");
    uint8_t n = rd->p[rd->pos];
    if (n != 4 && n != 16)
        return proto_rd_fail(rd, PROTO_EPROTO,
                             "Invalid IP address (size %u) while deserializing inet address", n);
    if (rd->len - rd->pos - 1 < n)
        return proto_rd_fail(rd, PROTO_EPROTO, "Not enough bytes to read an [inet]");
    memcpy(out->addr, rd->p + rd->pos + 1, n);
    out->n_addr = n;
    rd->pos += 1u + n;
    return 0;
}

int proto_rd_inet(proto_rd *rd, proto_inet *out)
{
    if (rd_addr(rd, out)) return rd->err;
    out->port = proto_rd_int(rd);
    return rd->err;
}

int proto_rd_inetaddr(proto_rd *rd, proto_inet *out)
{
    return rd_addr(rd, out);
}

/* Invariant (5): n elements of at least `min_each` bytes must fit. Then
 * allocate n * size bytes in the arena (NULL for n == 0). */
static void *alloc_n(proto_rd *rd, arena *a, uint32_t n, size_t min_each, size_t size,
                     const char *what)
{
    if (rd->err || n == 0) return NULL;
    if ((rd->len - rd->pos) / min_each < n) {
        proto_rd_fail(rd, PROTO_EPROTO, "Not enough bytes to read %s of %u elements", what, n);
        return NULL;
    }
    void *p = arena_calloc(a, (size_t)n * size);
    if (!p) proto_rd_fail(rd, PROTO_ENOMEM, "Out of memory decoding %s", what);
    return p;
}

static proto_type *rd_option(proto_rd *rd, arena *a, int depth)
{
    if (rd->err) return NULL;
    if (depth > PROTO_TYPE_MAX_DEPTH) {
        proto_rd_fail(rd, PROTO_EPROTO, "Type nesting deeper than %d", PROTO_TYPE_MAX_DEPTH);
        return NULL;
    }
    uint16_t id = proto_rd_short(rd);
    if (rd->err) return NULL;
    proto_type *t = arena_calloc(a, sizeof(*t));
    if (!t) {
        proto_rd_fail(rd, PROTO_ENOMEM, "Out of memory decoding an [option]");
        return NULL;
    }
    t->id = id;
    switch (id) {
    case PROTO_TYPE_CUSTOM: t->custom = proto_rd_string(rd); break;
    case PROTO_TYPE_ASCII:
    case PROTO_TYPE_BIGINT:
    case PROTO_TYPE_BLOB:
    case PROTO_TYPE_BOOLEAN:
    case PROTO_TYPE_COUNTER:
    case PROTO_TYPE_DECIMAL:
    case PROTO_TYPE_DOUBLE:
    case PROTO_TYPE_FLOAT:
    case PROTO_TYPE_INT:
    case PROTO_TYPE_TIMESTAMP:
    case PROTO_TYPE_UUID:
    case PROTO_TYPE_VARCHAR:
    case PROTO_TYPE_VARINT:
    case PROTO_TYPE_TIMEUUID:
    case PROTO_TYPE_INET:
    case PROTO_TYPE_DATE:
    case PROTO_TYPE_TIME:
    case PROTO_TYPE_SMALLINT:
    case PROTO_TYPE_TINYINT:
    case PROTO_TYPE_DURATION: break;
    case PROTO_TYPE_LIST:
    case PROTO_TYPE_SET:
    case PROTO_TYPE_MAP: {
        uint16_t k = id == PROTO_TYPE_MAP ? 2 : 1;
        t->sub = alloc_n(rd, a, k, 2, sizeof(*t->sub), "an [option]");
        for (uint16_t i = 0; i < k && !rd->err; i++)
            t->sub[i] = rd_option(rd, a, depth + 1);
        t->n_sub = k;
        break;
    }
    case PROTO_TYPE_UDT:
    case PROTO_TYPE_TUPLE: {
        if (id == PROTO_TYPE_UDT) {
            t->ks = proto_rd_string(rd);
            t->name = proto_rd_string(rd);
        }
        uint16_t k = proto_rd_short(rd);
        size_t min_each = id == PROTO_TYPE_UDT ? 4 : 2; /* name + id, or id */
        t->sub = alloc_n(rd, a, k, min_each, sizeof(*t->sub), "an [option]");
        if (id == PROTO_TYPE_UDT && k && !rd->err) {
            t->field_names = arena_calloc(a, (size_t)k * sizeof(*t->field_names));
            if (!t->field_names) proto_rd_fail(rd, PROTO_ENOMEM, "Out of memory");
        }
        for (uint16_t i = 0; i < k && !rd->err; i++) {
            if (id == PROTO_TYPE_UDT) t->field_names[i] = proto_rd_string(rd);
            t->sub[i] = rd_option(rd, a, depth + 1);
        }
        t->n_sub = k;
        break;
    }
    default: proto_rd_fail(rd, PROTO_EPROTO, "Unknown type id %u", id); break;
    }
    return rd->err ? NULL : t;
}

proto_type *proto_rd_option(proto_rd *rd, arena *a)
{
    return rd_option(rd, a, 0);
}

int proto_rd_option_list(proto_rd *rd, arena *a, proto_type ***out, uint16_t *n)
{
    *out = NULL;
    *n = 0;
    uint16_t k = proto_rd_short(rd);
    proto_type **l = alloc_n(rd, a, k, 2, sizeof(*l), "an [option list]");
    for (uint16_t i = 0; i < k && !rd->err; i++)
        l[i] = rd_option(rd, a, 0);
    if (rd->err) return rd->err;
    *out = l;
    *n = k;
    return 0;
}

int proto_rd_string_list(proto_rd *rd, arena *a, proto_str **out, uint16_t *n)
{
    *out = NULL;
    *n = 0;
    uint16_t k = proto_rd_short(rd);
    proto_str *l = alloc_n(rd, a, k, 2, sizeof(*l), "a [string list]");
    for (uint16_t i = 0; i < k && !rd->err; i++)
        l[i] = proto_rd_string(rd);
    if (rd->err) return rd->err;
    *out = l;
    *n = k;
    return 0;
}

int proto_rd_string_map(proto_rd *rd, arena *a, proto_str_pair **out, uint16_t *n)
{
    *out = NULL;
    *n = 0;
    uint16_t k = proto_rd_short(rd);
    proto_str_pair *m = alloc_n(rd, a, k, 4, sizeof(*m), "a [string map]");
    for (uint16_t i = 0; i < k && !rd->err; i++) {
        m[i].key = proto_rd_string(rd);
        m[i].val = proto_rd_string(rd);
    }
    if (rd->err) return rd->err;
    *out = m;
    *n = k;
    return 0;
}

int proto_rd_string_multimap(proto_rd *rd, arena *a, proto_multimap_entry **out, uint16_t *n)
{
    *out = NULL;
    *n = 0;
    uint16_t k = proto_rd_short(rd);
    proto_multimap_entry *m = alloc_n(rd, a, k, 4, sizeof(*m), "a [string multimap]");
    for (uint16_t i = 0; i < k && !rd->err; i++) {
        m[i].key = proto_rd_string(rd);
        proto_rd_string_list(rd, a, &m[i].vals, &m[i].n_vals);
    }
    if (rd->err) return rd->err;
    *out = m;
    *n = k;
    return 0;
}

int proto_rd_bytes_map(proto_rd *rd, arena *a, proto_bytes_pair **out, uint16_t *n)
{
    *out = NULL;
    *n = 0;
    uint16_t k = proto_rd_short(rd);
    proto_bytes_pair *m = alloc_n(rd, a, k, 6, sizeof(*m), "a [bytes map]");
    for (uint16_t i = 0; i < k && !rd->err; i++) {
        m[i].key = proto_rd_string(rd);
        m[i].val = proto_rd_bytes(rd);
    }
    if (rd->err) return rd->err;
    *out = m;
    *n = k;
    return 0;
}

/* ---- writers ----------------------------------------------------------- */

static int wr_status(const buf *b)
{
    return b->oom ? PROTO_ENOMEM : PROTO_OK;
}

int proto_wr_byte(buf *b, uint8_t v)
{
    buf_put_u8(b, v);
    return wr_status(b);
}

int proto_wr_short(buf *b, uint16_t v)
{
    buf_put_be16(b, v);
    return wr_status(b);
}

int proto_wr_int(buf *b, int32_t v)
{
    buf_put_be32(b, (uint32_t)v);
    return wr_status(b);
}

int proto_wr_long(buf *b, int64_t v)
{
    buf_put_be64(b, (uint64_t)v);
    return wr_status(b);
}

int proto_wr_string(buf *b, const char *s, size_t n)
{
    if (n > UINT16_MAX) return PROTO_EINVAL;
    if (buf_reserve(b, 2 + n)) return PROTO_ENOMEM;
    buf_put_be16(b, (uint16_t)n);
    buf_put(b, s, n);
    return wr_status(b);
}

int proto_wr_cstring(buf *b, const char *s)
{
    return proto_wr_string(b, s ? s : "", s ? strlen(s) : 0);
}

int proto_wr_long_string(buf *b, const char *s, size_t n)
{
    if (n > INT32_MAX) return PROTO_EINVAL;
    if (buf_reserve(b, 4 + n)) return PROTO_ENOMEM;
    buf_put_be32(b, (uint32_t)n);
    buf_put(b, s, n);
    return wr_status(b);
}

int proto_wr_uuid(buf *b, const uint8_t uuid[16])
{
    buf_put(b, uuid, 16);
    return wr_status(b);
}

int proto_wr_string_list(buf *b, const proto_str *l, size_t n)
{
    if (n > UINT16_MAX) return PROTO_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (l[i].n > UINT16_MAX) return PROTO_EINVAL;
    buf_put_be16(b, (uint16_t)n);
    for (size_t i = 0; i < n; i++)
        proto_wr_string(b, l[i].p, l[i].n);
    return wr_status(b);
}

int proto_wr_bytes(buf *b, const void *p, int32_t len)
{
    if (len < 0 && len != PROTO_VALUE_NULL) return PROTO_EINVAL;
    if (buf_reserve(b, 4 + (len > 0 ? (size_t)len : 0))) return PROTO_ENOMEM;
    buf_put_be32(b, (uint32_t)len);
    if (len > 0) buf_put(b, p, (size_t)len);
    return wr_status(b);
}

int proto_wr_value(buf *b, const void *p, int32_t len)
{
    if (len == PROTO_VALUE_UNSET) {
        buf_put_be32(b, (uint32_t)len);
        return wr_status(b);
    }
    return proto_wr_bytes(b, p, len);
}

int proto_wr_short_bytes(buf *b, const void *p, size_t n)
{
    if (n > UINT16_MAX) return PROTO_EINVAL;
    if (buf_reserve(b, 2 + n)) return PROTO_ENOMEM;
    buf_put_be16(b, (uint16_t)n);
    buf_put(b, p, n);
    return wr_status(b);
}

int proto_wr_uvint(buf *b, uint64_t v)
{
    int bits = 0;
    for (uint64_t t = v; t; t >>= 1)
        bits++;
    int extra = 0;
    while (extra < 8 && 7 * extra + 7 < bits)
        extra++;
    uint8_t out[9];
    if (extra == 8) {
        out[0] = 0xFF;
    } else {
        uint8_t mask = (uint8_t)(0xFF << (8 - extra)); /* extra leading 1 bits */
        out[0] = (uint8_t)(mask | (uint8_t)(v >> (8 * extra)));
    }
    for (int i = 0; i < extra; i++)
        out[1 + i] = (uint8_t)(v >> (8 * (extra - 1 - i)));
    buf_put(b, out, (size_t)extra + 1);
    return wr_status(b);
}

int proto_wr_vint(buf *b, int64_t v)
{
    uint64_t u = ((uint64_t)v << 1) ^ (uint64_t)(v < 0 ? -1 : 0);
    return proto_wr_uvint(b, u);
}

int proto_wr_consistency(buf *b, uint16_t cl)
{
    if (cl > PROTO_CL_MAX) return PROTO_EINVAL;
    return proto_wr_short(b, cl);
}

int proto_wr_inetaddr(buf *b, const proto_inet *in)
{
    if (in->n_addr != 4 && in->n_addr != 16) return PROTO_EINVAL;
    buf_put_u8(b, in->n_addr);
    buf_put(b, in->addr, in->n_addr);
    return wr_status(b);
}

int proto_wr_inet(buf *b, const proto_inet *in)
{
    int rc = proto_wr_inetaddr(b, in);
    if (rc) return rc;
    return proto_wr_int(b, in->port);
}

static int wr_option(buf *b, const proto_type *t, int depth)
{
    if (!t || depth > PROTO_TYPE_MAX_DEPTH) return PROTO_EINVAL;
    buf_put_be16(b, t->id);
    switch (t->id) {
    case PROTO_TYPE_CUSTOM: return proto_wr_string(b, t->custom.p, t->custom.n);
    case PROTO_TYPE_LIST:
    case PROTO_TYPE_SET:
        if (t->n_sub != 1) return PROTO_EINVAL;
        return wr_option(b, t->sub[0], depth + 1);
    case PROTO_TYPE_MAP: {
        if (t->n_sub != 2) return PROTO_EINVAL;
        int rc = wr_option(b, t->sub[0], depth + 1);
        return rc ? rc : wr_option(b, t->sub[1], depth + 1);
    }
    case PROTO_TYPE_UDT:
    case PROTO_TYPE_TUPLE: {
        int rc = 0;
        if (t->id == PROTO_TYPE_UDT) {
            if ((rc = proto_wr_string(b, t->ks.p, t->ks.n))) return rc;
            if ((rc = proto_wr_string(b, t->name.p, t->name.n))) return rc;
        }
        buf_put_be16(b, t->n_sub);
        for (uint16_t i = 0; i < t->n_sub && !rc; i++) {
            if (t->id == PROTO_TYPE_UDT)
                rc = proto_wr_string(b, t->field_names[i].p, t->field_names[i].n);
            if (!rc) rc = wr_option(b, t->sub[i], depth + 1);
        }
        return rc ? rc : wr_status(b);
    }
    default:
        if (t->id > PROTO_TYPE_DURATION || t->id == 0x000A) return PROTO_EINVAL;
        return wr_status(b);
    }
}

int proto_wr_option(buf *b, const proto_type *t)
{
    size_t mark = b->len;
    int rc = wr_option(b, t, 0);
    if (rc == PROTO_EINVAL && !b->oom) b->len = mark; /* nothing appended */
    return rc;
}

int proto_wr_option_list(buf *b, proto_type *const *l, size_t n)
{
    if (n > UINT16_MAX) return PROTO_EINVAL;
    size_t mark = b->len;
    buf_put_be16(b, (uint16_t)n);
    for (size_t i = 0; i < n; i++) {
        int rc = wr_option(b, l[i], 0);
        if (rc) {
            if (!b->oom) b->len = mark;
            return rc;
        }
    }
    return wr_status(b);
}

int proto_wr_string_map(buf *b, const proto_str_pair *m, size_t n)
{
    if (n > UINT16_MAX) return PROTO_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (m[i].key.n > UINT16_MAX || m[i].val.n > UINT16_MAX) return PROTO_EINVAL;
    buf_put_be16(b, (uint16_t)n);
    for (size_t i = 0; i < n; i++) {
        proto_wr_string(b, m[i].key.p, m[i].key.n);
        proto_wr_string(b, m[i].val.p, m[i].val.n);
    }
    return wr_status(b);
}

int proto_wr_string_multimap(buf *b, const proto_multimap_entry *m, size_t n)
{
    if (n > UINT16_MAX) return PROTO_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (m[i].key.n > UINT16_MAX) return PROTO_EINVAL;
        for (size_t k = 0; k < m[i].n_vals; k++)
            if (m[i].vals[k].n > UINT16_MAX) return PROTO_EINVAL;
    }
    buf_put_be16(b, (uint16_t)n);
    for (size_t i = 0; i < n; i++) {
        proto_wr_string(b, m[i].key.p, m[i].key.n);
        proto_wr_string_list(b, m[i].vals, m[i].n_vals);
    }
    return wr_status(b);
}

int proto_wr_bytes_map(buf *b, const proto_bytes_pair *m, size_t n)
{
    if (n > UINT16_MAX) return PROTO_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (m[i].key.n > UINT16_MAX || (m[i].val.len < 0 && m[i].val.len != PROTO_VALUE_NULL))
            return PROTO_EINVAL;
    buf_put_be16(b, (uint16_t)n);
    for (size_t i = 0; i < n; i++) {
        proto_wr_string(b, m[i].key.p, m[i].key.n);
        proto_wr_bytes(b, m[i].val.p, m[i].val.len);
    }
    return wr_status(b);
}

/* ---- request bodies ---------------------------------------------------- */

int proto_decode_startup(proto_rd *rd, arena *a, struct proto_startup *out)
{
    memset(out, 0, sizeof(*out));
    return proto_rd_string_map(rd, a, &out->options, &out->n_options);
}

int proto_decode_auth_response(proto_rd *rd, struct proto_auth_response *out)
{
    out->token = proto_rd_bytes(rd);
    return rd->err;
}

static int rd_values(proto_rd *rd, int version, arena *a, int with_names, uint16_t *n_out,
                     proto_value **vals_out, proto_str **names_out)
{
    uint16_t n = proto_rd_short(rd);
    proto_value *v = alloc_n(rd, a, n, with_names ? 6 : 4, sizeof(*v), "a list of values");
    proto_str *names = NULL;
    if (with_names && n && !rd->err) {
        names = arena_calloc(a, (size_t)n * sizeof(*names));
        if (!names) proto_rd_fail(rd, PROTO_ENOMEM, "Out of memory decoding values");
    }
    for (uint16_t i = 0; i < n && !rd->err; i++) {
        if (with_names) names[i] = proto_rd_string(rd);
        v[i] = proto_rd_value(rd, version);
    }
    if (rd->err) return rd->err;
    *n_out = n;
    *vals_out = v;
    if (names_out) *names_out = names;
    return 0;
}

/* Shared by QUERY/EXECUTE (all flags) and BATCH (its flags follow the same
 * layout; Cassandra decodes them with the same codec). */
static int rd_params(proto_rd *rd, int version, arena *a, proto_query_params *out,
                     uint32_t v5_allowed)
{
    memset(out, 0, sizeof(*out));
    out->page_size = -1;
    out->paging_state.len = PROTO_VALUE_NULL;
    out->serial_consistency = PROTO_CL_SERIAL;
    out->timestamp = PROTO_NO_TIMESTAMP;
    out->consistency = proto_rd_consistency(rd);
    uint32_t f = version >= PROTO_V5 ? (uint32_t)proto_rd_int(rd) : proto_rd_byte(rd);
    if (rd->err) return rd->err;
    out->flags = f;
    if (version >= PROTO_V5 && (f & ~v5_allowed))
        return proto_rd_fail(rd, PROTO_EPROTO, "Unknown flags 0x%x in query parameters",
                             (unsigned)(f & ~v5_allowed));
    if (f & PROTO_QF_VALUES)
        rd_values(rd, version, a, (f & PROTO_QF_NAMES_FOR_VALUES) != 0, &out->n_values,
                  &out->values, &out->names);
    out->skip_metadata = (f & PROTO_QF_SKIP_METADATA) != 0;
    if (f & PROTO_QF_PAGE_SIZE) {
        out->page_size = proto_rd_int(rd);
        if (!rd->err && out->page_size == 0)
            return proto_rd_fail(rd, PROTO_EPROTO, "The page size cannot be 0");
    }
    if (f & PROTO_QF_PAGING_STATE) {
        out->has_paging_state = 1;
        out->paging_state = proto_rd_bytes(rd);
    }
    if (f & PROTO_QF_SERIAL_CONSISTENCY) out->serial_consistency = proto_rd_consistency(rd);
    if (f & PROTO_QF_TIMESTAMP) {
        int64_t ts = proto_rd_long(rd);
        if (!rd->err && ts == INT64_MIN)
            return proto_rd_fail(rd, PROTO_EPROTO,
                                 "Out of bound timestamp, must be in [%lld, %lld] (got %lld)",
                                 (long long)INT64_MIN + 1, (long long)INT64_MAX, (long long)ts);
        out->timestamp = ts;
    }
    if (f & PROTO_QF_KEYSPACE) out->keyspace = proto_rd_string(rd);
    if (f & PROTO_QF_NOW_IN_SECONDS) {
        out->has_now_in_seconds = 1;
        out->now_in_seconds = (uint32_t)proto_rd_int(rd);
    }
    return rd->err;
}

int proto_decode_query_params(proto_rd *rd, int version, arena *a, proto_query_params *out)
{
    return rd_params(rd, version, a, out, PROTO_QF_V5_ALL);
}

int proto_decode_query(proto_rd *rd, int version, arena *a, struct proto_query *out)
{
    out->query = proto_rd_long_string(rd);
    if (rd->err) {
        memset(&out->params, 0, sizeof(out->params));
        return rd->err;
    }
    return proto_decode_query_params(rd, version, a, &out->params);
}

int proto_decode_prepare(proto_rd *rd, int version, struct proto_prepare *out)
{
    memset(out, 0, sizeof(*out));
    out->query = proto_rd_long_string(rd);
    if (version >= PROTO_V5) {
        out->flags = (uint32_t)proto_rd_int(rd);
        if (!rd->err && (out->flags & ~(uint32_t)PROTO_PREPARE_F_KEYSPACE))
            return proto_rd_fail(rd, PROTO_EPROTO, "Unknown flags 0x%x in PREPARE",
                                 (unsigned)(out->flags & ~(uint32_t)PROTO_PREPARE_F_KEYSPACE));
        if (out->flags & PROTO_PREPARE_F_KEYSPACE) out->keyspace = proto_rd_string(rd);
    }
    return rd->err;
}

int proto_decode_execute(proto_rd *rd, int version, arena *a, struct proto_execute *out)
{
    memset(out, 0, sizeof(*out));
    out->result_metadata_id.len = PROTO_VALUE_NULL;
    out->id = proto_rd_short_bytes(rd);
    if (version >= PROTO_V5) out->result_metadata_id = proto_rd_short_bytes(rd);
    if (rd->err) return rd->err;
    return proto_decode_query_params(rd, version, a, &out->params);
}

int proto_decode_batch(proto_rd *rd, int version, arena *a, struct proto_batch *out)
{
    memset(out, 0, sizeof(*out));
    uint8_t type = proto_rd_byte(rd);
    if (rd->err) return rd->err;
    if (type > PROTO_BATCH_COUNTER)
        return proto_rd_fail(rd, PROTO_EPROTO, "Invalid BATCH message type %d", (int8_t)type);
    out->type = type;
    uint16_t n = proto_rd_short(rd);
    /* smallest statement: kind + [short bytes] length + [short] count */
    struct proto_batch_stmt *s = alloc_n(rd, a, n, 5, sizeof(*s), "a BATCH");
    for (uint16_t i = 0; i < n && !rd->err; i++) {
        s[i].kind = proto_rd_byte(rd);
        if (rd->err) break;
        if (s[i].kind == 0)
            s[i].query = proto_rd_long_string(rd);
        else if (s[i].kind == 1)
            s[i].id = proto_rd_short_bytes(rd);
        else
            return proto_rd_fail(rd, PROTO_EPROTO,
                                 "Invalid query kind in BATCH messages. Must be 0 or 1 but got %d",
                                 (int8_t)s[i].kind);
        /* Values are never preceded by names in a BATCH (flag 0x40 "does not
         * work" per the spec; Cassandra ignores it here too). */
        rd_values(rd, version, a, 0, &s[i].n_values, &s[i].values, NULL);
    }
    if (rd->err) return rd->err;
    out->n_stmts = n;
    out->stmts = s;
    /* v5: the 4 rightmost bits must be 0 */
    return rd_params(rd, version, a, &out->params, PROTO_QF_V5_ALL & ~0x0Fu);
}

int proto_decode_register(proto_rd *rd, arena *a, struct proto_register *out)
{
    memset(out, 0, sizeof(*out));
    return proto_rd_string_list(rd, a, &out->events, &out->n_events);
}

int proto_decode_request(const struct proto_frame_hdr *h, const uint8_t *body, size_t n, arena *a,
                         proto_rd *rd, proto_request *out)
{
    memset(out, 0, sizeof(*out));
    proto_rd_init(rd, body, n);
    out->opcode = h->opcode;
    out->version = h->version;
    out->flags = h->flags;
    out->stream = h->stream;
    out->tracing = (h->flags & PROTO_F_TRACING) != 0;
    int v = h->version;
    if (h->flags & PROTO_F_CUSTOM_PAYLOAD) {
        if (v < PROTO_V4)
            return proto_rd_fail(rd, PROTO_EPROTO,
                                 "Received frame with CUSTOM_PAYLOAD flag for native protocol "
                                 "version < 4");
        if (proto_rd_bytes_map(rd, a, &out->custom_payload, &out->n_custom_payload)) return rd->err;
    }
    switch (h->opcode) {
    case PROTO_OP_STARTUP: return proto_decode_startup(rd, a, &out->u.startup);
    case PROTO_OP_AUTH_RESPONSE: return proto_decode_auth_response(rd, &out->u.auth_response);
    case PROTO_OP_OPTIONS: return 0;
    case PROTO_OP_QUERY: return proto_decode_query(rd, v, a, &out->u.query);
    case PROTO_OP_PREPARE: return proto_decode_prepare(rd, v, &out->u.prepare);
    case PROTO_OP_EXECUTE: return proto_decode_execute(rd, v, a, &out->u.execute);
    case PROTO_OP_BATCH: return proto_decode_batch(rd, v, a, &out->u.batch);
    case PROTO_OP_REGISTER: return proto_decode_register(rd, a, &out->u.reg);
    case PROTO_OP_CREDENTIALS: return proto_rd_fail(rd, PROTO_EPROTO, "Unsupported message");
    default:
        if (h->opcode <= PROTO_OP_MAX)
            return proto_rd_fail(rd, PROTO_EDIRECTION,
                                 "Unexpected RESPONSE message %s, expecting REQUEST",
                                 proto_opcode_name(h->opcode));
        return proto_rd_fail(rd, PROTO_EOPCODE, "Unknown opcode %u", h->opcode);
    }
}

/* ---- ERROR bodies ------------------------------------------------------ */

/* Longest prefix of s[0..n) that fits a [string] and ends on a character
 * boundary. */
static size_t fit_string(const char *s, size_t n)
{
    if (n <= UINT16_MAX) return n;
    n = UINT16_MAX;
    while (n > 0 && ((uint8_t)s[n] & 0xC0) == 0x80)
        n--; /* s[n] starts a char? */
    return n;
}

int proto_write_error_msg(buf *b, int32_t code, const char *msg, size_t n)
{
    if (!msg) msg = "", n = 0;
    buf_put_be32(b, (uint32_t)code);
    return proto_wr_string(b, msg, fit_string(msg, n));
}

int proto_write_error(buf *b, int32_t code, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (k < 0) return proto_write_error_msg(b, code, "", 0);
    if ((size_t)k < sizeof(small)) return proto_write_error_msg(b, code, small, (size_t)k);
    /* long message: format again into the output buffer's tail */
    char *big = mem_alloc((size_t)k + 1);
    if (!big) {
        b->oom = 1;
        return PROTO_ENOMEM;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)k + 1, fmt, ap);
    va_end(ap);
    int rc = proto_write_error_msg(b, code, big, (size_t)k);
    mem_free(big);
    return rc;
}

static int err_head(buf *b, int32_t code, const char *msg)
{
    return proto_write_error_msg(b, code, msg, msg ? strlen(msg) : 0);
}

int proto_write_error_unavailable(buf *b, const char *msg, uint16_t cl, int32_t required,
                                  int32_t alive)
{
    err_head(b, PROTO_ERR_UNAVAILABLE, msg);
    buf_put_be16(b, cl);
    buf_put_be32(b, (uint32_t)required);
    buf_put_be32(b, (uint32_t)alive);
    return wr_status(b);
}

int proto_write_error_write_timeout(buf *b, int version, const char *msg, uint16_t cl,
                                    int32_t received, int32_t blockfor, const char *write_type,
                                    int32_t contentions)
{
    err_head(b, PROTO_ERR_WRITE_TIMEOUT, msg);
    buf_put_be16(b, cl);
    buf_put_be32(b, (uint32_t)received);
    buf_put_be32(b, (uint32_t)blockfor);
    proto_wr_cstring(b, write_type);
    if (version >= PROTO_V5 && contentions >= 0) {
        if (contentions > UINT16_MAX) contentions = UINT16_MAX;
        buf_put_be16(b, (uint16_t)contentions);
    }
    return wr_status(b);
}

int proto_write_error_read_timeout(buf *b, const char *msg, uint16_t cl, int32_t received,
                                   int32_t blockfor, int data_present)
{
    err_head(b, PROTO_ERR_READ_TIMEOUT, msg);
    buf_put_be16(b, cl);
    buf_put_be32(b, (uint32_t)received);
    buf_put_be32(b, (uint32_t)blockfor);
    buf_put_u8(b, data_present ? 1 : 0);
    return wr_status(b);
}

/* <n>[<endpoint><failurecode>...] in v5, <numfailures> before. */
static void put_failures(buf *b, int version, const struct proto_failure *r, uint32_t n)
{
    buf_put_be32(b, n);
    if (version < PROTO_V5) return;
    for (uint32_t i = 0; i < n; i++) {
        proto_wr_inetaddr(b, &r[i].endpoint);
        buf_put_be16(b, r[i].code);
    }
}

int proto_write_error_read_failure(buf *b, int version, const char *msg, uint16_t cl,
                                   int32_t received, int32_t blockfor,
                                   const struct proto_failure *reasons, uint32_t n_reasons,
                                   int data_present)
{
    if (version < PROTO_V4)
        return proto_write_error_read_timeout(b, msg, cl, received, blockfor, data_present);
    for (uint32_t i = 0; version >= PROTO_V5 && i < n_reasons; i++)
        if (reasons[i].endpoint.n_addr != 4 && reasons[i].endpoint.n_addr != 16)
            return PROTO_EINVAL;
    err_head(b, PROTO_ERR_READ_FAILURE, msg);
    buf_put_be16(b, cl);
    buf_put_be32(b, (uint32_t)received);
    buf_put_be32(b, (uint32_t)blockfor);
    put_failures(b, version, reasons, n_reasons);
    buf_put_u8(b, data_present ? 1 : 0);
    return wr_status(b);
}

int proto_write_error_write_failure(buf *b, int version, const char *msg, uint16_t cl,
                                    int32_t received, int32_t blockfor,
                                    const struct proto_failure *reasons, uint32_t n_reasons,
                                    const char *write_type)
{
    if (version < PROTO_V4)
        return proto_write_error_write_timeout(b, version, msg, cl, received, blockfor, write_type,
                                               -1);
    for (uint32_t i = 0; version >= PROTO_V5 && i < n_reasons; i++)
        if (reasons[i].endpoint.n_addr != 4 && reasons[i].endpoint.n_addr != 16)
            return PROTO_EINVAL;
    err_head(b, PROTO_ERR_WRITE_FAILURE, msg);
    buf_put_be16(b, cl);
    buf_put_be32(b, (uint32_t)received);
    buf_put_be32(b, (uint32_t)blockfor);
    put_failures(b, version, reasons, n_reasons);
    proto_wr_cstring(b, write_type);
    return wr_status(b);
}

int proto_write_error_function_failure(buf *b, int version, const char *msg, const char *ks,
                                       const char *function, const proto_str *arg_types,
                                       size_t n_arg_types)
{
    if (version < PROTO_V4)
        return proto_write_error(b, PROTO_ERR_INVALID, "ERROR FUNCTION_FAILURE: %s",
                                 msg ? msg : "");
    if (n_arg_types > UINT16_MAX) return PROTO_EINVAL;
    err_head(b, PROTO_ERR_FUNCTION_FAILURE, msg);
    proto_wr_cstring(b, ks);
    proto_wr_cstring(b, function);
    int rc = proto_wr_string_list(b, arg_types, n_arg_types);
    return rc ? rc : wr_status(b);
}

int proto_write_error_already_exists(buf *b, const char *msg, const char *ks, const char *table)
{
    err_head(b, PROTO_ERR_ALREADY_EXISTS, msg);
    proto_wr_cstring(b, ks);
    proto_wr_cstring(b, table);
    return wr_status(b);
}

int proto_write_error_unprepared(buf *b, const char *msg, const void *id, size_t n_id)
{
    if (n_id > UINT16_MAX) return PROTO_EINVAL;
    err_head(b, PROTO_ERR_UNPREPARED, msg);
    return proto_wr_short_bytes(b, id, n_id);
}

int proto_write_error_cdc_write_failure(buf *b, int version, const char *msg)
{
    if (version < PROTO_V4)
        return proto_write_error(b, PROTO_ERR_INVALID, "ERROR CDC_WRITE_FAILURE: %s",
                                 msg ? msg : "");
    return err_head(b, PROTO_ERR_CDC_WRITE_FAILURE, msg);
}

int proto_write_error_cas_write_unknown(buf *b, int version, const char *msg, uint16_t cl,
                                        int32_t received, int32_t blockfor)
{
    if (version < PROTO_V5)
        return proto_write_error_write_timeout(b, version, msg, cl, received, blockfor, "CAS", -1);
    err_head(b, PROTO_ERR_CAS_WRITE_UNKNOWN, msg);
    buf_put_be16(b, cl);
    buf_put_be32(b, (uint32_t)received);
    buf_put_be32(b, (uint32_t)blockfor);
    return wr_status(b);
}
