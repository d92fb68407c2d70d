/*
 * json -- JSON for every CQL type, as Cassandra 4.1/5.0 does it: a small
 * strict parser (INSERT JSON, fromJson()), the JSON text of a value
 * (SELECT JSON, toJson()) and the value a JSON document denotes for a type.
 *
 * Parsing builds an immutable tree in a caller's arena. Numbers keep their
 * exact text (they are interpreted per target type later, the way Jackson
 * hands Cassandra an Integer, Long, BigInteger or Double); strings are
 * unescaped to UTF-8 and carry their length (they may contain NUL bytes).
 * Arrays and objects are arrays of children / members in document order;
 * duplicate object keys are all kept (lookups take the last one, as
 * Jackson's LinkedHashMap does).
 *
 * Conversions append to a caller-owned buf; values are native-protocol
 * encodings (value.h). Return codes are value.h's: TYPE_OK, TYPE_EINVAL
 * (err holds Cassandra's reason), TYPE_ENOMEM, plus TYPE_JSON_NULL below.
 * On any error the output buffer keeps its length at entry.
 *
 * Thread context: every function is reentrant and keeps no state.
 */
#ifndef RINGDB_TYPES_JSON_H
#define RINGDB_TYPES_JSON_H

#include "types/type.h"
#include "types/value.h"
#include "util/arena.h"
#include "util/buf.h"

#include <stddef.h>
#include <stdint.h>

/* Nesting deeper than this many arrays/objects is rejected (Jackson's own
 * limit is 1000 since 2.15; CQL types never nest this deep). */
#define JSON_MAX_DEPTH 512

/* type_from_json: the JSON value is null; nothing was appended. */
#define TYPE_JSON_NULL 1

enum json_kind { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json_member;

/* A parsed JSON value. All pointers point into the arena given to
 * json_parse and stay valid until that arena is reset or destroyed. */
struct json_val {
    enum json_kind kind;
    int b;                       /* JSON_BOOL: 0 or 1 */
    int is_int;                  /* JSON_NUMBER: 1 if the token has no fraction or exponent */
    const char *s;               /* JSON_STRING: unescaped UTF-8; JSON_NUMBER: the token text;
                                    NUL-terminated, but may contain NULs (strings): use n */
    size_t n;                    /* length of s in bytes */
    struct json_val **items;     /* JSON_ARRAY: n_items children */
    size_t n_items;              /* JSON_ARRAY: element count; JSON_OBJECT: member count */
    struct json_member *members; /* JSON_OBJECT: n_items members, document order */
};

struct json_member {
    const char *key; /* unescaped UTF-8, NUL-terminated, key_n bytes (may hold NULs) */
    size_t key_n;
    struct json_val *val;
};

/* Parses s[0..n) as one JSON document (RFC 8259, strictly): any value at
 * the top, optional whitespace around it, nothing after it; strings must be
 * valid UTF-8 without raw control characters; \uXXXX escapes, surrogate
 * pairs included, are decoded and lone surrogates rejected; numbers follow
 * the JSON grammar (no leading zeros, no NaN/Infinity, no '+'); at most
 * JSON_MAX_DEPTH levels of nesting. NUL bytes in s are an error outside
 * strings (and a raw NUL in a string is a control character).
 *   *out  OUT: the root, allocated in arena a (valid until a is reset).
 *   err   OUT: on failure, a message with the byte offset ("Expected a
 *         value: unexpected character 'x' at offset 4"); NUL-terminated
 *         when errsz > 0.
 * Returns TYPE_OK, TYPE_EINVAL (malformed), or TYPE_ENOMEM (err "Out of
 * memory"). On failure *out is NULL and whatever was allocated stays in
 * the arena until it is reset. Never reads outside s[0..n). */
int json_parse(const char *s, size_t n, arena *a, struct json_val **out, char *err, size_t errsz);

/* Appends Cassandra's JSON text of value p[0..len) of type t -- what
 * toJson() returns and what SELECT JSON puts under each column -- to out:
 *   null (len < 0)            null
 *   tinyint..bigint, counter  42, -7             varint   123456789012345678901
 *   decimal                   BigDecimal.toString: 1.50, -1.23E-12
 *   float, double             Java's Float/Double.toString: 1.0, 123.123,
 *                             1.0E10, 1.0E-5; NaN and +-Infinity as null
 *   boolean                   true / false
 *   ascii, text               "..." escaped as Jackson's quoteAsString: \" \\
 *                             \b \f \n \r \t, other controls as \u00XX
 *   blob (and custom)         "0x0102ff"
 *   uuid, timeuuid            "6bddc89a-5644-11e4-97fc-56847afe9799"
 *   inet                      "127.0.0.1", "0:0:0:0:0:0:0:1" (Java's getHostAddress)
 *   timestamp                 "2011-02-03 04:05:00.000Z" (UTC, java.util
 *                             GregorianCalendar: Julian before 1582-10-15)
 *   date                      "2011-02-03" (ISO; "+10000-01-01", "-0001-01-01")
 *   time                      "04:05:06.000000007"
 *   duration                  "1y2mo3d4h5m6s7ms8us9ns", "-3d", zero as ""
 *   list, set, vector         [1, 2, 3]
 *   map                       {"k": v}: a key whose JSON is not a string is
 *                             quoted as a JSON string: {"1": true, "[1, 2]": 0}
 *   tuple                     [1, "a", null]
 *   UDT                       {"a": 1, "\"Foo\"": null}: names that are not all
 *                             lower case are wrapped in quotes first; missing
 *                             trailing fields are null
 * An empty (0-byte) value of a non-string type prints as "" (Cassandra:
 * Objects.toString(null, "\"\"")); empty set/map values print as []/{}.
 * Returns TYPE_OK, TYPE_EINVAL if the value does not validate against t
 * (nothing appended), or TYPE_ENOMEM (out->oom set). */
int type_to_json(const struct type *t, const uint8_t *p, int32_t len, buf *out);

/* Appends to out the value JSON v denotes for a column of type t, as
 * Cassandra's AbstractType.fromJSONObject (INSERT JSON, fromJson()):
 *   int            a JSON integer in int range, or a string ("12")
 *   bigint         a JSON integer in long range, or a string
 *   smallint, tinyint, varint, decimal
 *                  any number (its Java text is re-parsed: 1.5 is not a
 *                  smallint, 1E2 is the decimal 100.0) or a string
 *   float, double  any number, or a string Java's parseFloat/Double reads
 *   boolean        true/false, or a string "true"/"false" (any case; "" is false)
 *   timestamp      a JSON integer beyond int range (Jackson's Long: small
 *                  integers are rejected, as Cassandra does), or a string
 *   ascii, text, inet, uuid, timeuuid, date, time, duration   a string
 *   blob           a string "0x..." (even number of hex digits)
 *   list, set, vector, tuple   an array, or a string holding one
 *   map, UDT       an object, or a string holding one; map keys are read as
 *                  JSON strings of the key type ("1" for int, "[1, 2]" for
 *                  frozen<list<int>>); UDT keys follow INSERT JSON's rules
 *                  ("\"Foo\"" keeps case, other keys are lower-cased)
 *   null           TYPE_JSON_NULL, nothing appended (null list/set/map
 *                  elements and map values are errors, null tuple and UDT
 *                  fields are written as null)
 * Empty strings give the empty value for the types whose fromString does
 * (int, bigint, smallint, tinyint, float, double, uuid, timeuuid, inet,
 * timestamp, duration, blob "0x", ascii, text). Sets come out sorted
 * without duplicates, maps sorted by key (the last value of a repeated
 * key wins); empty arrays/objects give an encoded empty collection (the
 * caller turns that into null for multi-cell columns, as Cassandra does).
 * Errors (TYPE_EINVAL, err set to Cassandra's inner reason, without the
 * caller's "Error decoding JSON value for %s: " prefix), for example:
 *   "Expected an int value, but got a Long: 2147483648"
 *   "Expected a bigint value, but got a Double: 123.456"
 *   "Unable to make int from 'xyzz'"
 *   "Value 'xyzz' is not a valid blob representation: String representation
 *    of blob is missing 0x prefix: xyzz"
 *   "Value '123123.123' is not a valid representation of a varint value"
 *   "Expected a list, but got a Integer: 123", "Invalid null element in list",
 *   "Invalid null value in map", "Tuple is missing items (expected 3): [1, foobar]",
 *   "Unknown field 'xxx' in value of user defined type udt",
 *   "List had incorrect size: expected 3 but given 2; [1, 2]"
 * Counter columns cannot be set: TYPE_EINVAL "Cannot set the value of a
 * counter from JSON" (Cassandra throws UnsupportedOperationException).
 * Returns TYPE_OK, TYPE_JSON_NULL, TYPE_EINVAL or TYPE_ENOMEM; out keeps
 * its length on every non-OK return. v is only read. */
int type_from_json(const struct type *t, const struct json_val *v, buf *out, char *err,
                   size_t errsz);

/* ---- object lookup ---- */

/* The value of the last member of object obj whose key is exactly
 * key[0..n) (bytewise), or NULL (also when obj is not an object). */
const struct json_val *json_object_get(const struct json_val *obj, const char *key, size_t n);

/* The column (or UDT field) name an INSERT JSON key designates, as
 * Cassandra's JsonUtils.handleCaseSensitivity: a key wrapped in double
 * quotes ("\"Foo\"", at least 2 bytes) is taken verbatim without them
 * (inner quotes are not un-doubled); any other key is lower-cased (ASCII
 * letters only; Java lower-cases all of Unicode). Writes the name to
 * name[0..*name_n) -- it is a sub-range of key or a lower-cased copy in
 * tmp, which must hold n bytes -- and returns name. */
const char *json_key_name(const char *key, size_t n, char *tmp, size_t *name_n);

/* INSERT JSON lookup: the value of the last member of obj whose key
 * designates column col[0..col_n) (its internal, case-preserved name) by
 * json_key_name's rules; NULL if none. (Java resolves clashes such as
 * {"K": 1, "k": 2} in an order that depends on the keys; here the last
 * member in document order wins.) */
const struct json_val *json_object_get_column(const struct json_val *obj, const char *col,
                                              size_t col_n);

/* Java's Object.toString of a parsed value, as Cassandra's messages print
 * it ("abc", 123, 1.0E10, true, [1, abc], {a=1, b=[2]}, null), and its
 * class's simple name ("String", "Integer", "Long", "BigInteger",
 * "Double", "Boolean", "ArrayList", "LinkedHashMap"). Appends to out;
 * returns 0 or TYPE_ENOMEM. */
int json_java_string(const struct json_val *v, buf *out);
const char *json_java_class(const struct json_val *v);

/* Appends s[0..n) as a JSON string literal with the quotes, escaped as
 * Jackson's JsonStringEncoder.quoteAsString (invalid UTF-8 bytes become
 * U+FFFD). Returns 0 or TYPE_ENOMEM. */
int json_put_string(buf *out, const char *s, size_t n);

#endif
