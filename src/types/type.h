/*
 * type -- CQL type descriptors: parse from CQL text ("map<text, frozen<list<int>>>"),
 * format back to CQL text, encode as the native protocol's [option], and
 * encode/compare literal values of the native types.
 *
 * A `struct type` is immutable once built. Types that belong to the schema
 * are allocated with mem_ and owned by their column (type_free); types built
 * while executing a request live in that request's arena (type_parse with an
 * arena). Built-in native types are static singletons (type_native()).
 *
 * Thread context: any; the singletons are read-only.
 */
#ifndef RINGDB_TYPES_TYPE_H
#define RINGDB_TYPES_TYPE_H

#include "util/arena.h"
#include "util/buf.h"

#include <stddef.h>
#include <stdint.h>

/* Values are the protocol's [option] ids (native protocol spec §6 / 4.2.5.2). */
enum type_kind {
    TYPE_CUSTOM = 0x0000,
    TYPE_ASCII = 0x0001,
    TYPE_BIGINT = 0x0002,
    TYPE_BLOB = 0x0003,
    TYPE_BOOLEAN = 0x0004,
    TYPE_COUNTER = 0x0005,
    TYPE_DECIMAL = 0x0006,
    TYPE_DOUBLE = 0x0007,
    TYPE_FLOAT = 0x0008,
    TYPE_INT = 0x0009,
    TYPE_TIMESTAMP = 0x000B,
    TYPE_UUID = 0x000C,
    TYPE_VARCHAR = 0x000D, /* "text" */
    TYPE_VARINT = 0x000E,
    TYPE_TIMEUUID = 0x000F,
    TYPE_INET = 0x0010,
    TYPE_DATE = 0x0011,
    TYPE_TIME = 0x0012,
    TYPE_SMALLINT = 0x0013,
    TYPE_TINYINT = 0x0014,
    TYPE_DURATION = 0x0015,
    TYPE_LIST = 0x0020,
    TYPE_MAP = 0x0021,
    TYPE_SET = 0x0022,
    TYPE_UDT = 0x0030,
    TYPE_TUPLE = 0x0031,
    TYPE_VECTOR = 0x1000, /* not a protocol id: sent as CUSTOM VectorType(...) */
};

struct type {
    enum type_kind kind;
    int frozen;
    int n_params; /* list/set: 1, map: 2, tuple: n, udt: n fields, vector: 1 */
    struct type **params;
    char **field_names; /* UDT only, n_params names */
    char *ks;           /* UDT keyspace */
    char *name;         /* UDT name, or custom class */
    int dim;            /* vector dimension */
};

/* The static singleton for a native kind (never freed). NULL for non-native kinds. */
const struct type *type_native(enum type_kind k);
/* Looks up a native type by its CQL name (case-insensitive; "varchar" = text). */
const struct type *type_native_by_name(const char *name, size_t n);

/* Parses CQL type text. With a = NULL the result is heap-allocated (type_free);
 * otherwise it lives in arena a. Returns NULL on a syntax error or OOM (err set). */
struct type *type_parse(const char *text, size_t n, arena *a, char *err, size_t errsz);
struct type *type_dup(const struct type *t); /* heap deep copy */
void type_free(struct type *t);              /* heap types only; singletons are ignored */

/* CQL text form, as Cassandra writes it in system_schema ("frozen<list<int>>",
 * "map<text, int>"). Appends to b. */
void type_format(const struct type *t, buf *b);
/* Protocol [option]: id and parameters. */
void type_encode_option(const struct type *t, buf *b);
int type_equal(const struct type *a, const struct type *b);
const char *type_kind_name(enum type_kind k); /* "text", "int", "list" ... */

#endif
