/*
 * value -- the values of every CQL type: validate, compare, build
 * collections, parse literals, format as CQL text.
 *
 * A value is always held in the native protocol's encoding (spec §6), the
 * same bytes a driver binds and a result row carries:
 *
 *   kind                  bytes
 *   int / bigint / counter 4 / 8 / 8, big-endian two's complement
 *   smallint / tinyint    2 / 1
 *   boolean               1 (0 = false, anything else = true)
 *   float / double        IEEE 754 binary32 / binary64, big-endian
 *   timestamp             8: signed milliseconds since 1970-01-01T00:00Z
 *   date                  4: unsigned days, 1970-01-01 = 2^31
 *   time                  8: nanoseconds of the day, 0 .. 86399999999999
 *   uuid / timeuuid       16, RFC 4122 order (timeuuid: version 1)
 *   inet                  4 or 16 address bytes
 *   ascii / text / blob   the bytes themselves (US-ASCII / UTF-8 / raw)
 *   varint                two's complement, big-endian, minimal length
 *   decimal               [int scale][varint unscaled]; value = unscaled * 10^-scale
 *   duration              [vint months][vint days][vint nanoseconds], signed
 *                         (zig-zag) vints, all three of the same sign
 *   list / set            [int n]([int len][element])*     (v3+ layout)
 *   map                   [int n]([int len][key][int len][value])*
 *   tuple / udt           ([int len][field])*, len -1 = null field; a value
 *                         may stop before the last fields (added later)
 *   vector<T, d>          d elements back to back; each is type_fixed_size(T)
 *                         bytes if T is of fixed size, else [unsigned vint
 *                         len][element]
 *
 * An "empty" value (0 bytes) is a real value distinct from null; it is what
 * Cassandra allows for the types it allows it (see type_validate). Sets
 * are kept sorted by their element comparator without duplicates, maps
 * sorted by key without duplicate keys (type_build_collection does it).
 *
 * Errors carry Cassandra's own message text, written into a caller buffer
 * err[errsz] (always NUL-terminated when errsz > 0; may be NULL/0).
 *
 * Thread context: every function is reentrant and keeps no state.
 * type_validate, type_compare and type_fixed_size never allocate and never
 * call locale-dependent functions (they are on the request and storage hot
 * paths). Builders, literals and formatting append to a caller-owned buf.
 */
#ifndef RINGDB_TYPES_VALUE_H
#define RINGDB_TYPES_VALUE_H

#include "types/type.h"
#include "util/buf.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Return codes of this module. */
#define TYPE_OK     0
#define TYPE_EINVAL (-1) /* invalid value or literal: err holds the reason */
#define TYPE_EKIND  (-2) /* literal kind not assignable to the type (no err) */
#define TYPE_ENOMEM (-3) /* out of memory: err = "Out of memory" */

/* A value borrowed from elsewhere: p[0..len). len < 0 is null (p unused). */
struct type_val {
    const uint8_t *p;
    int32_t len;
};

/* ---- sizes and kinds ---- */

/* Cassandra's valueLengthIfFixed: the byte size every non-empty value of t
 * has -- boolean 1, int/float 4, bigint/counter/double/timestamp 8,
 * uuid/timeuuid 16, vector<T, d> d * size(T) when T is fixed -- or -1 when
 * the size varies. Like Cassandra, smallint, tinyint, date and time count as
 * variable here (this decides the vector element layout on the wire). */
int type_fixed_size(const struct type *t);

/* 1 if t is the counter type, else 0. */
int type_is_counter(const struct type *t);

/* 1 if t's values are sorted/compared as plain unsigned bytes
 * (ascii, text, blob, inet, date, time, duration), else 0. */
int type_is_byte_order(const struct type *t);

/* ---- validation (hot path: no allocation) ---- */

/* Checks that p[0..len) is a valid value of type t, recursively for
 * collections, tuples, UDTs and vectors (null elements of lists/sets/maps
 * are rejected, null tuple/UDT fields accepted). len must be >= 0: a null
 * value is the caller's business.
 * Returns 0, or -1 with Cassandra's message for a bad bound value, e.g.
 * "Expected 4 or 0 byte int (3)", "String didn't validate.",
 * "Not enough bytes to read a list". */
int type_validate(const struct type *t, const uint8_t *p, int32_t len, char *err, size_t errsz);

/* ---- comparison (hot path: no allocation for values under 1 KiB) ---- */

/* Cassandra's comparator for t: <0, 0, >0. The empty value sorts first.
 * Signed integers; float/double as Java's Float.compare/Double.compare
 * (-0.0 < 0.0, NaN greatest, NaNs equal); varint/decimal numerically (so
 * decimal 1.0 == 1.00); uuid as UUIDType (version, then timestamp for v1,
 * else unsigned bytes); timeuuid as TimeUUIDType (timestamp, then the low 8
 * bytes as signed bytes); boolean false < true; text/ascii/blob/inet/date/
 * time/duration unsigned bytewise; list/set/map/tuple/udt/vector element
 * by element, then the shorter first (null tuple fields first). Values
 * should be valid; malformed ones compare without crashing, in an
 * unspecified but consistent order. Decimals whose unscaled parts exceed
 * 1 KiB use a temporary heap buffer (and fall back to an approximate order
 * if that allocation fails). */
int type_compare(const struct type *t, const uint8_t *a, int32_t alen, const uint8_t *b,
                 int32_t blen);

/* ---- iteration over composite values ---- */

/* Walks the elements of a list, set, map (key, value, key, value ...),
 * tuple/UDT (the fields present) or vector value. The value must stay
 * valid while iterating; yielded pointers point into it. */
struct type_iter {
    const struct type *t;
    const uint8_t *p, *end;
    int32_t n_left; /* elements (map: keys + values) still to yield */
    int i;          /* index of the next element */
};

/* Returns the number of elements that will be yielded (map: 2 * entries),
 * or -1 if the header is malformed. */
int type_iter_init(struct type_iter *it, const struct type *t, const uint8_t *p, int32_t len);
/* 1 and *v set (v->len -1 for a null field), 0 at the end, -1 if the value
 * is truncated. */
int type_iter_next(struct type_iter *it, struct type_val *v);
/* The type of element i as yielded by type_iter_next (map: key type for
 * even i, value type for odd i). */
const struct type *type_elem_type(const struct type *t, int i);

/* ---- building composite values ---- */

/* Appends to out the encoded value of list/set/map/tuple/udt/vector t made
 * of n already-encoded elements (borrowed; not retained):
 *   list    elems in order;
 *   set     sorted by the element comparator, duplicates removed (the
 *           first of equal elements is kept, as Cassandra's TreeSet);
 *   map     elems = key0, value0, key1, value1 ... (n even); sorted by key;
 *           for duplicate keys the first key's bytes and the last value
 *           are kept (Cassandra's TreeMap.put);
 *   tuple   the n (<= size) fields in order, null fields allowed;
 *   udt     fields in declaration order, n <= fields; missing trailing
 *           fields are written as null, as Cassandra's UDT literal does;
 *   vector  exactly t->dim non-null elements.
 * Every non-null element is validated against its type. col is the
 * receiver's name for messages (may be NULL). Errors (out unchanged):
 * -1 "null is not supported inside collections" (list/set elements, map
 * keys and values), "null is not supported inside vectors",
 * "Invalid vector literal for %s of type %s; expected %d elements, but
 * given %d", "Invalid tuple literal for %s: too many elements. Type %s
 * expects %d but got %d", an element's validation message; -3 on OOM. */
int type_build_collection(const struct type *t, const struct type_val *elems, int n,
                          const char *col, buf *out, char *err, size_t errsz);

/* ---- literals (literal.c) ---- */

/* The kinds of CQL constants, as the lexer classifies them. */
enum type_lit {
    TYPE_LIT_STRING,   /* 'text' / $$text$$, already unescaped */
    TYPE_LIT_INTEGER,  /* -?[0-9]+ */
    TYPE_LIT_FLOAT,    /* 1.5, -2e10, 3.0E-2 */
    TYPE_LIT_BOOLEAN,  /* true / false, any case */
    TYPE_LIT_DURATION, /* 1h30m, P1DT2H, P2W, P0001-02-03T04:05:06, -3d */
    TYPE_LIT_UUID,     /* 8-4-4-4-12 hex, unquoted */
    TYPE_LIT_HEX,      /* 0x..., with the 0x */
    TYPE_LIT_NAN,      /* NaN, -NaN */
    TYPE_LIT_INFINITY, /* Infinity, -Infinity */
};

/* Cassandra's name of a literal kind for "Invalid %s constant (%s) for
 * \"%s\" of type %s": "STRING", "INTEGER", "FLOAT" (also for NaN and
 * Infinity), "BOOLEAN", "DURATION", "UUID", "HEX". */
const char *type_lit_name(enum type_lit kind);

/* Encodes the constant text[0..n) of the given kind (as written in the
 * query, strings unescaped, NUL bytes allowed) as a value of native type t
 * and appends it to out. Which kinds a type accepts follows Cassandra's
 * Constants.Literal.testAssignment:
 *   STRING   ascii, text, inet, date, time, timestamp
 *   INTEGER  tinyint smallint int bigint counter varint decimal float
 *            double date time timestamp duration
 *   FLOAT/NAN/INFINITY  float double decimal
 *   BOOLEAN boolean; UUID uuid timeuuid; HEX blob (and tinyint, whose
 *   "preferred type" Cassandra gives hex constants); DURATION duration.
 * Returns 0; -2 (nothing written, no err) for another combination or a
 * collection/tuple/UDT/vector/custom type, so that the caller can emit
 * "Invalid %s constant (%s) for \"%s\" of type %s"; -1 with the inner
 * reason Cassandra gives (e.g. "Unable to make int from '99999999999'",
 * "Unable to coerce '2011-13-01' to a formatted date (long)",
 * "Invalid duration. The hours should be after minutes"); -3 on OOM. On
 * any error out keeps its previous length. */
int type_from_literal(const struct type *t, enum type_lit kind, const char *text, size_t n,
                      buf *out, char *err, size_t errsz);

/* ---- formatting (format.c) ---- */

/* Appends the CQL literal text of value p[0..len) of type t -- what cqlsh
 * prints inside a collection, and what type_from_literal reads back to the
 * same bytes: 'it''s' (text/ascii/inet/date/time/timestamp quoted, '' doubled),
 * 0xcafe, 42, 1.5, 1e+20, NaN, -Infinity, true, uuids bare, 1h30m, -2mo3d,
 * '2011-02-03 04:05:00.000+0000' (UTC, milliseconds; years outside
 * 1..9999 as the integer), '2011-02-03' (years outside 0..9999 as the
 * raw integer), '04:05:06.000000007', [1, 2], {1, 2}, {'k': 1}, (1, null),
 * {f: 1, "Quoted": null}, vectors as [..]. Floats are the shortest text
 * that reads back to the same bits. An empty value prints as '' for the
 * string-like types, 0x for blob and nothing otherwise; len < 0 prints
 * null. A malformed value prints its bytes as 0x... (never fails).
 * Returns 0, or -3 if out ran out of memory (out->oom set). */
int type_format_value(const struct type *t, const uint8_t *p, int32_t len, buf *out);

/* ---- helpers shared by the module's files, usable by callers ---- */

/* Cassandra's unsigned vint (VIntCoding): 1..9 bytes, the number of
 * leading 1 bits of the first byte is the number of extra bytes. */
int val_uvint_size(uint64_t v);
void val_put_uvint(buf *b, uint64_t v);
/* Reads one unsigned vint from p[0..n): bytes used, or -1 if truncated. */
int val_get_uvint(const uint8_t *p, size_t n, uint64_t *v);
/* Signed vints are zig-zag encoded unsigned vints. */
static inline uint64_t val_zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}
static inline int64_t val_unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (ISO year: 0 = 1 BC)
 * and back. Valid for |year| < 2^31 / 366. */
int64_t val_days_from_civil(int64_t y, int m, int d);
void val_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

/* Arbitrary-size two's complement integers (varint) <-> decimal text.
 * val_varint_from_dec parses [+-]?[0-9]+ and appends the minimal encoding
 * (0 ok, -1 not a number, -3 OOM); val_varint_to_dec appends the decimal
 * text of p[0..n) (n > 0) (0, or -3 OOM). */
int val_varint_from_dec(const char *s, size_t n, buf *out);
int val_varint_to_dec(const uint8_t *p, size_t n, buf *out);

/* Writes "Out of memory" into err[errsz] (when err && errsz); returns TYPE_ENOMEM. */
static inline int type_oom(char *err, size_t errsz)
{
    if (err && errsz) snprintf(err, errsz, "Out of memory");
    return TYPE_ENOMEM;
}

#endif
