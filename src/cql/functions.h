/*
 * functions -- Cassandra 5.0's native CQL functions and aggregates: overload
 * resolution (FunctionResolver), scalar calls and aggregate state machines.
 *
 * What is here (names as Cassandra 5.0 registers them in the "system"
 * keyspace; the pre-5.0 spelling is kept as a second name where Cassandra
 * keeps one, see NativeFunctionsTest's LEGACY_FUNCTION_NAMES):
 *
 *   time       now(), current_timeuuid(), current_timestamp(), current_date(),
 *              current_time() (+ currenttimeuuid ...), to_date(timeuuid|timestamp),
 *              to_timestamp(timeuuid|date), to_unix_timestamp(timeuuid|timestamp|date),
 *              min_timeuuid(timestamp), max_timeuuid(timestamp) (+ todate ...),
 *              floor(timestamp|timeuuid|date, duration[, start]), floor(time, duration)
 *   uuid       uuid()
 *   blob       <t>_as_blob(t) / blob_as_<t>(blob) for every native type
 *              (+ <t>asblob / blobas<t>; also varchar_as_blob, blob_as_varchar)
 *   cast       cast_as_<t>(x) (+ castAs<T>, case-sensitive as in Cassandra):
 *              CastFcts' table; cql_func_cast() is the CAST(x AS t) entry point
 *   operators  _add _substract _multiply _divide _modulo over the 9 numeric types
 *              (tinyint smallint int bigint float double decimal varint counter),
 *              _negate, timestamp|date +/- duration, text/ascii + text/ascii
 *   math       abs exp log log10 round over the 9 numeric types
 *   aggregates count_rows() (+ "countRows", and "countrows" for COUNT(*)),
 *              count(t), min(t), max(t) for every native type; sum, avg for the
 *              9 numeric types
 *   collection map_keys, map_values, collection_count, collection_min,
 *              collection_max, collection_sum, collection_avg (built for the
 *              argument's type, like Cassandra's FunctionFactory)
 *
 * Not here: token() (the executor computes it), to_json/from_json,
 * writetime/ttl (selectors), masking, vector and format functions, UDFs.
 * dateOf() and unixTimestampOf() were removed by Cassandra 5.0 but are
 * kept from 4.1 (applications written for 4.x call them).
 *
 * Values in and out are native-protocol encodings (struct type_val; len -1 =
 * null). Like Cassandra, an empty value of a type whose empty value is
 * meaningless (every type but ascii, text and blob) counts as null for the
 * functions that return null on null input.
 *
 * Errors are written into err[errsz] with Cassandra's text; the caller
 * turns them into InvalidRequest (resolution) or FunctionFailure (calls).
 *
 * Thread context: any thread. The overload table is built once
 * (pthread_once) and read-only afterwards; now()/uuid() use util/uuid.
 */
#ifndef RINGDB_CQL_FUNCTIONS_H
#define RINGDB_CQL_FUNCTIONS_H

#include "types/type.h"
#include "types/value.h"
#include "util/arena.h"

#include <stddef.h>
#include <stdint.h>

/* What the caller knows about one argument while resolving an overload.
 * A zeroed struct with lit = -1 is an argument of unknown type that is not a
 * marker (e.g. a collection literal): it matches any parameter weakly. */
struct cql_func_arg {
    const struct type *type; /* known type (column, typed expression, cast), or NULL */
    int lit;                 /* enum type_lit of a literal argument, or -1 */
    int is_null;             /* the NULL literal */
    int is_marker;           /* a bind marker (type unknown) */
    /* The argument as written, for messages and for the "preferred type" of
     * literals (Cassandra's toString: string literals quoted as 'x', a
     * marker "?", NULL "NULL", a column its name). May be NULL: messages then
     * show "?" and integer/float literals are typed as if they fit int/double. */
    const char *text;
};

/* An immutable resolved overload. Pre-built overloads live in a static
 * table; functions built for an argument type (the collection functions)
 * live in the arena given to cql_func_resolve. */
struct cql_func;

/* Resolves `name` (as written: lower-case unless quoted; legacy camelCase
 * names such as "castAsInt" only match quoted) against the argument
 * descriptors like Cassandra's FunctionResolver: a single overload is checked
 * argument by argument; among several, an exact match wins, else the one
 * weakly assignable overload, else an error. ks is NULL for an unqualified
 * name or "system"; any other keyspace finds nothing here (UDFs are the
 * caller's). Operators must be resolved with ks "system" and names _add,
 * _substract, _multiply, _divide, _modulo, _negate so that their messages
 * are Cassandra's ("the '+' operation is not supported between a and b",
 * "Ambiguous '+' operation: use type casts to disambiguate", "Ambiguous
 * negation: ..."). receiver: the type the result is assigned to, or NULL.
 * a: where functions built for the argument types are allocated (collection
 * functions; may be NULL if the caller never needs those, which then fail
 * with "Out of memory").
 * Returns the function, or NULL with err set: "Unknown function %s called"
 * (no function of that name: err starts with "Unknown function"), "Invalid
 * number of arguments in call to function %s: %d required but %d provided",
 * "Type error: %s cannot be passed as argument %d of function %s of type %s",
 * "Invalid call to function %s, none of its type signatures match (known
 * type signatures: %s)", "Ambiguous call to function %s (can be matched by
 * following signatures: %s): use type casts to disambiguate". */
const struct cql_func *cql_func_resolve(const char *ks, const char *name,
                                        const struct cql_func_arg *args, int n,
                                        const struct type *receiver, arena *a, char *err,
                                        size_t errsz);

/* CAST(x AS to) for an x of type `from` written as arg_text (for the
 * message; may be NULL). Returns 0 with *out = the cast function, 0 with
 * *out = NULL when from and to are the same type (the value passes
 * unchanged, as in Cassandra), or -1 with "%s cannot be cast to %s" (or a
 * resolution error). */
int cql_func_cast(const struct type *from, const char *arg_text, const struct type *to,
                  const struct cql_func **out, char *err, size_t errsz);

/* The aggregate COUNT(*) / COUNT(1) uses (system.count_rows, no arguments). */
const struct cql_func *cql_func_count_rows(void);

const struct type *cql_func_return_type(const struct cql_func *f);
int cql_func_arg_count(const struct cql_func *f);
const struct type *cql_func_arg_type(const struct cql_func *f,
                                     int i); /* for typing literals/markers */
/* e.g. "system.totimestamp"; a per-thread buffer, valid until 4 more calls on the thread */
const char *cql_func_name(const struct cql_func *f);
int cql_func_is_aggregate(const struct cql_func *f);
/* 1 for functions whose result changes between calls with the same
 * arguments (now(), uuid(), current_*()), else 0. */
int cql_func_is_pure(const struct cql_func *f);
/* Cassandra's Function.toString, e.g. "system.max : (int) -> int"; appends to b. */
void cql_func_describe(const struct cql_func *f, buf *b);

/* Calls a scalar function. args[i] are encoded values of cql_func_arg_type(f, i)
 * (len -1 = null); now_ms is the statement's time for now()/current_*().
 * The result is allocated in a (or points into an argument or static memory;
 * it stays valid as long as both). Returns 0, or -1 with Cassandra's message,
 * e.g. "the operation 'int / int' failed: / by zero", "In call to function
 * system.blob_as_int, value 0x0102 is not a valid binary representation for
 * type int", "Out of memory". Integer arithmetic wraps like Java's. */
int cql_func_call(const struct cql_func *f, int64_t now_ms, const struct type_val *args, int n,
                  arena *a, struct type_val *out, char *err, size_t errsz);

/* Aggregates. The state is caller memory of cql_agg_state_size(f) bytes
 * (16-aligned). cql_agg_init starts a group; cql_agg_add feeds one row's
 * argument values (null values are skipped, except by count_rows, which
 * counts rows and takes n = 0); cql_agg_result writes the group's result
 * (count: 0, sum/avg: 0, min/max: null for an empty group) into a and
 * leaves the state usable; cql_agg_destroy releases what the state keeps
 * on the heap (min/max copies, varint/decimal sums): call it once per init. */
size_t cql_agg_state_size(const struct cql_func *f);
void cql_agg_init(const struct cql_func *f, void *state);
int cql_agg_add(const struct cql_func *f, void *state, const struct type_val *args, int n,
                char *err, size_t errsz);
int cql_agg_result(const struct cql_func *f, void *state, arena *a, struct type_val *out, char *err,
                   size_t errsz);
void cql_agg_destroy(const struct cql_func *f, void *state);

#endif
