/*
 * func_int -- what the func*.c files of src/cql share: the overload record,
 * the implementation ids, Java-number helpers (func_num.c) and message
 * helpers. Nothing outside src/cql/func*.c includes this header.
 */
#ifndef RINGDB_CQL_FUNC_INT_H
#define RINGDB_CQL_FUNC_INT_H

#include "cql/functions.h"
#include "types/type.h"
#include "types/value.h"
#include "util/arena.h"
#include "util/buf.h"

#include <stddef.h>
#include <stdint.h>

/* Implementation ids (struct cql_func.impl). */
enum func_impl {
    FI_NOW,        /* ret kind: timeuuid/timestamp/date/time */
    FI_UUID,       /* uuid() */
    FI_MIN_TU,     /* min_timeuuid(timestamp) */
    FI_MAX_TU,     /* max_timeuuid(timestamp) */
    FI_TO_DATE,    /* (timeuuid|timestamp) -> date */
    FI_TO_TS,      /* (timeuuid|date) -> timestamp */
    FI_TO_UNIX,    /* (timeuuid|timestamp|date) -> bigint */
    FI_FLOOR,      /* floor(timestamp|timeuuid|date, duration[, start]) */
    FI_FLOOR_TIME, /* floor(time, duration) */
    FI_TO_BLOB,    /* <t>_as_blob */
    FI_FROM_BLOB,  /* blob_as_<t> */
    FI_CAST,       /* cast_as_<t> */
    FI_ARITH,      /* sub = enum func_op */
    FI_NEGATE,
    FI_TEMPORAL, /* sub = FOP_ADD / FOP_SUB */
    FI_CONCAT,
    FI_MATH, /* sub = enum func_math */
    FI_MAP_KEYS,
    FI_MAP_VALUES,
    FI_COLL_COUNT,
    FI_COLL_AGG, /* sub = enum func_agg of the element aggregate */
    FI_AGG,      /* aggregates: sub = enum func_agg */
};

enum func_op { FOP_ADD, FOP_SUB, FOP_MUL, FOP_DIV, FOP_MOD };
enum func_math { FM_ABS, FM_EXP, FM_LOG, FM_LOG10, FM_ROUND };
enum func_agg { FA_COUNT_ROWS, FA_COUNT, FA_SUM, FA_AVG, FA_MIN, FA_MAX };

#define FF_AGG     1 /* aggregate */
#define FF_IMPURE  2 /* now(), uuid() ... */
#define FF_DYNAMIC 4 /* built for an argument type (dret/darg valid) */

struct cql_func {
    const char *name; /* without the keyspace */
    uint8_t impl, sub, n, flags;
    enum type_kind ret, arg[3];
    const struct type *dret, *darg; /* FF_DYNAMIC only */
};

/* ---- functions.c ---- */
int func_fail(char *err, size_t errsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The pre-built overload of `name` whose argument kinds are exactly
 * kinds[0..n) (NULL if none). */
const struct cql_func *func_find(const char *name, const enum type_kind *kinds, int n);
/* Copies p[0..n) into a; out set. -1 on OOM. */
int func_out_copy(arena *a, const void *p, size_t n, struct type_val *out);
int func_out_buf(arena *a, buf *b, struct type_val *out, char *err, size_t errsz);
/* 1 if an empty value of kind k means "no value" (every kind but ascii, text, blob). */
int func_empty_is_null(enum type_kind k);

/* ---- func_num.c: Java numbers ---- */
int func_is_numeric(enum type_kind k);
/* Cassandra's result type of an arithmetic operation between two numeric kinds. */
enum type_kind func_arith_result(enum type_kind l, enum type_kind r);
/* Java's Double.toString / Float.toString (shortest digits). */
void func_java_double(double d, buf *b);
void func_java_float(float f, buf *b);
int func_arith(enum type_kind res, int op, enum type_kind lk, struct type_val l, enum type_kind rk,
               struct type_val r, buf *out, char *err, size_t errsz);
int func_negate(enum type_kind k, struct type_val v, buf *out, char *err, size_t errsz);
int func_math(int fm, enum type_kind k, struct type_val v, buf *out, char *err, size_t errsz);
/* Numeric cast (CastFcts' Number::xValue conversions, decimal/varint rules). */
int func_num_cast(enum type_kind from, struct type_val v, enum type_kind to, buf *out, char *err,
                  size_t errsz);
/* toCQLLiteralNoQuote of a value (CAST(x AS text)). */
int func_to_text(enum type_kind k, struct type_val v, buf *out);

/* Aggregate states for sum/avg (func_num.c), state sizes in bytes. */
size_t func_numagg_size(void);
void func_numagg_init(void *st, int fa, enum type_kind k);
int func_numagg_add(void *st, struct type_val v, char *err, size_t errsz);
int func_numagg_result(void *st, buf *out, char *err, size_t errsz);
void func_numagg_destroy(void *st);

/* ---- func_time.c ---- */
int func_call_time(const struct cql_func *f, int64_t now_ms, const struct type_val *args, buf *out,
                   char *err, size_t errsz);
int func_temporal_op(enum type_kind k, int op, struct type_val t, struct type_val d, buf *out,
                     char *err, size_t errsz);
/* Cassandra's Duration.toString of an encoded duration. */
void func_duration_str(const uint8_t *p, int32_t len, buf *b);
/* Milliseconds of a timeuuid/timestamp/date value (TemporalType.toTimeInMillis). */
int64_t func_time_ms(enum type_kind k, const uint8_t *p);
/* SimpleDateType.fromTimeInMillis: 0 or -1 with the range message. */
int func_date_from_ms(int64_t ms, uint32_t *raw, char *err, size_t errsz);

/* ---- func_coll.c ---- */
int func_call_coll(const struct cql_func *f, const struct type_val *args, arena *a,
                   struct type_val *out, char *err, size_t errsz);
/* Builds the function of a collection factory for argument type t. */
const struct cql_func *func_coll_build(const char *name, const struct cql_func_arg *args, int n,
                                       arena *a, char *err, size_t errsz);
int func_is_coll_factory(const char *name);

#endif
