/*
 * test_functions.c -- Cassandra 5.0's native functions and aggregates
 * (src/cql/functions.h): overload resolution and its messages, time,
 * blob, cast, arithmetic, math, collection functions and aggregates.
 *
 * Expected values and messages come from Cassandra's own tests
 * (CastFctsTest, OperationFctsTest, TimeFctsTest, AggregationTest,
 * CollectionFctsTest) and from the Java semantics they rely on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cql/functions.h"
#include "types/type.h"
#include "types/value.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/uuid.h"

static char err[1024];
static arena A;

static const struct type *N(enum type_kind k)
{
    return type_native(k);
}

static struct type *parsed[32];
static int n_parsed;

static const struct type *P(const char *s)
{
    char e[128];
    struct type *t = type_parse(s, strlen(s), NULL, e, sizeof(e));
    if (!t) fail_msg("type_parse(%s): %s", s, e);
    parsed[n_parsed++] = t;
    return t;
}

static int setup(void **st)
{
    (void)st;
    arena_init(&A, 4096);
    err[0] = 0;
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    arena_destroy(&A);
    for (int i = 0; i < n_parsed; i++)
        type_free(parsed[i]);
    n_parsed = 0;
    return 0;
}

/* ---- argument descriptors ---- */

static struct cql_func_arg T(const struct type *t, const char *text) {
    struct cql_func_arg a = {.type = t, .lit = -1, .text = text};
    return a;
}

static struct cql_func_arg
L(enum type_lit lit, const char *text) {
    struct cql_func_arg a = {.lit = (int)lit, .text = text};
    return a;
}

static struct cql_func_arg
MARK(void) {
    struct cql_func_arg a = {.lit = -1, .is_marker = 1, .text = "?"};
    return a;
}

static struct cql_func_arg
NUL(void) {
    struct cql_func_arg a = {.lit = -1, .is_null = 1, .text = "NULL"};
    return a;
}

static const struct cql_func *
R(const char *ks, const char *name, int n, ...)
{
    struct cql_func_arg args[4];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        args[i] = va_arg(ap, struct cql_func_arg);
    va_end(ap);
    err[0] = 0;
    return cql_func_resolve(ks, name, args, n, NULL, &A, err, sizeof(err));
}

/* Resolves `name` for typed arguments of the given kinds. */
static const struct cql_func *RK(const char *name, int n, ...)
{
    struct cql_func_arg args[4];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        args[i] = T(N((enum type_kind)va_arg(ap, int)), "x");
    va_end(ap);
    err[0] = 0;
    const struct cql_func *f =
        cql_func_resolve("system", name, args, n, NULL, &A, err, sizeof(err));
    if (!f) fail_msg("resolve %s: %s", name, err);
    return f;
}

static void sig(const struct cql_func *f, const char *want)
{
    buf b;
    buf_init(&b);
    cql_func_describe(f, &b);
    buf_put_u8(&b, 0);
    assert_string_equal((char *)b.data, want);
    buf_free(&b);
}

/* ---- values ---- */

static uint8_t vb[64][64];
static int vbi;

static struct type_val V(const struct type *t, enum type_lit lit, const char *text) {
    buf b;
    buf_init(&b);
    char e[256];
    int rc = type_from_literal(t, lit, text, strlen(text), &b, e, sizeof(e));
    if (rc) fail_msg("literal %s: %d %s", text, rc, e);
    uint8_t *p = vb[vbi++ % 64];
    assert_true(b.len <= 64);
    memcpy(p, b.data, b.len);
    struct type_val v = {p, (int32_t)b.len};
    buf_free(&b);
    return v;
}

static struct type_val
VI(enum type_kind k, const char *text) {
    return V(N(k), TYPE_LIT_INTEGER, text);
}

static struct type_val
VF(enum type_kind k, const char *text) {
    return V(N(k), TYPE_LIT_FLOAT, text);
}

static struct type_val
VS(enum type_kind k, const char *text) {
    return V(N(k), TYPE_LIT_STRING, text);
}

static const struct type_val NULLV = {NULL, -1};
static const struct type_val EMPTY = {(const uint8_t *)"", 0};

/* Calls f and returns the result formatted as CQL text ("null" for null). */
static const char *call(const struct cql_func *f, int n, ...)
{
    static char out[512];
    struct type_val args[4], res;
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        args[i] = va_arg(ap, struct type_val);
    va_end(ap);
    err[0] = 0;
    if (cql_func_call(f, 1432206182000, args, n, &A, &res, err, sizeof(err))) {
        snprintf(out, sizeof(out), "ERR %s", err);
        return out;
    }
    buf b;
    buf_init(&b);
    type_format_value(cql_func_return_type(f), res.p, res.len, &b);
    snprintf(out, sizeof(out), "%.*s", (int)b.len, (char *)b.data);
    buf_free(&b);
    return out;
}

/* ------------------------------------------------------------------ */

static void test_resolve_errors(void **st)
{
    (void)st;
    assert_null(R(NULL, "nosuch", 0));
    assert_string_equal(err, "Unknown function nosuch called");
    assert_null(R("ks", "now", 0));
    assert_string_equal(err, "Unknown function ks.now called");
    /* dateOf/unixTimestampOf: removed in 5.0, kept from 4.1 */
    assert_non_null(R(NULL, "dateof", 1, T(N(TYPE_TIMEUUID), "t")));
    assert_non_null(R(NULL, "unixtimestampof", 1, T(N(TYPE_TIMEUUID), "t")));
    assert_null(R(NULL, "dateof", 1, T(N(TYPE_TIMESTAMP), "t")));

    assert_null(R(NULL, "now", 1, L(TYPE_LIT_INTEGER, "1")));
    assert_string_equal(err,
                        "Invalid number of arguments in call to function system.now: 0 required "
                        "but 1 provided");
    assert_null(R(NULL, "min_timeuuid", 1, T(N(TYPE_INT), "c")));
    assert_string_equal(err, "Type error: c cannot be passed as argument 0 of function "
                             "system.min_timeuuid of type timestamp");
    assert_null(R(NULL, "to_timestamp", 1, T(N(TYPE_INT), "c")));
    assert_string_equal(err, "Invalid call to function to_timestamp, none of its type signatures "
                             "match (known type signatures: system.to_timestamp : (timeuuid) -> "
                             "timestamp, system.to_timestamp : (date) -> timestamp)");
    assert_null(R(NULL, "to_date", 1, MARK()));
    assert_string_equal(err, "Ambiguous call to function to_date (can be matched by following "
                             "signatures: system.to_date : (timeuuid) -> date, system.to_date : "
                             "(timestamp) -> date): use type casts to disambiguate");
    /* legacy camelCase names are case-sensitive, as in Cassandra */
    assert_null(R(NULL, "castasint", 1, T(N(TYPE_BIGINT), "b")));
    assert_non_null(R(NULL, "castAsInt", 1, T(N(TYPE_BIGINT), "b")));
    assert_non_null(R(NULL, "todate", 1, T(N(TYPE_TIMESTAMP), "t")));
}

static void test_resolve_overloads(void **st)
{
    (void)st;
    const struct cql_func *f;
    /* exact matches win */
    f = R(NULL, "to_date", 1, T(N(TYPE_TIMESTAMP), "t"));
    sig(f, "system.to_date : (timestamp) -> date");
    assert_string_equal(cql_func_name(f), "system.to_date");
    /* integer literal prefers int, then bigint, then varint */
    f = R(NULL, "max", 1, L(TYPE_LIT_INTEGER, "1"));
    sig(f, "system.max : (int) -> int");
    assert_true(cql_func_is_aggregate(f));
    f = R(NULL, "max", 1, L(TYPE_LIT_INTEGER, "3000000000"));
    sig(f, "system.max : (bigint) -> bigint");
    f = R(NULL, "max", 1, L(TYPE_LIT_INTEGER, "30000000000000000000000"));
    sig(f, "system.max : (varint) -> varint");
    /* float literal: double when it reads back from a double, else decimal */
    f = R(NULL, "abs", 1, L(TYPE_LIT_FLOAT, "1.5"));
    sig(f, "system.abs : (double) -> double");
    f = R(NULL, "abs", 1, L(TYPE_LIT_FLOAT, "1.50"));
    sig(f, "system.abs : (double) -> double");
    f = R(NULL, "abs", 1, L(TYPE_LIT_FLOAT, "0.1000000000000000000001"));
    sig(f, "system.abs : (decimal) -> decimal");
    /* strings prefer ascii, text when not ASCII */
    f = R(NULL, "max", 1, L(TYPE_LIT_STRING, "'abc'"));
    sig(f, "system.max : (ascii) -> ascii");
    f = R(NULL, "max", 1, L(TYPE_LIT_STRING, "'\xc3\xa9t\xc3\xa9'"));
    sig(f, "system.max : (text) -> text");
    /* uuid literal: timeuuid for version 1 */
    f = R(NULL, "max", 1, L(TYPE_LIT_UUID, "50554d6e-29bb-11e5-b345-feff819cdc9f"));
    sig(f, "system.max : (timeuuid) -> timeuuid");
    /* weak match: the only assignable overload */
    f = R(NULL, "to_unix_timestamp", 1, L(TYPE_LIT_STRING, "'2015-05-21'"));
    assert_null(f); /* string is weakly assignable to timestamp and date: ambiguous */
    f = R(NULL, "min_timeuuid", 1, L(TYPE_LIT_STRING, "'2015-05-21'"));
    sig(f, "system.min_timeuuid : (timestamp) -> timeuuid");
    /* typed arguments: value-compatibility gives weak matches */
    f = R(NULL, "sum", 1, T(N(TYPE_COUNTER), "c"));
    sig(f, "system.sum : (counter) -> counter");
    f = R(NULL, "count_rows", 0);
    assert_ptr_equal(f, cql_func_count_rows());
    assert_ptr_equal(R(NULL, "countrows", 0), f);
    assert_non_null(R(NULL, "countRows", 0));
    f = R(NULL, "now", 0);
    assert_false(cql_func_is_pure(f));
    assert_true(cql_func_is_pure(R(NULL, "abs", 1, T(N(TYPE_INT), "i"))));
}

static void test_resolve_operators(void **st)
{
    (void)st;
    const struct cql_func *f;
    f = R("system", "_add", 2, T(N(TYPE_TINYINT), "a"), T(N(TYPE_FLOAT), "e"));
    sig(f, "system._add : (tinyint, float) -> float");
    f = R("system", "_add", 2, T(N(TYPE_FLOAT), "e"), T(N(TYPE_VARINT), "g"));
    sig(f, "system._add : (float, varint) -> decimal");
    f = R("system", "_multiply", 2, T(N(TYPE_COUNTER), "c"), T(N(TYPE_INT), "i"));
    sig(f, "system._multiply : (counter, int) -> bigint");
    f = R("system", "_add", 2, L(TYPE_LIT_INTEGER, "1"), L(TYPE_LIT_INTEGER, "2"));
    sig(f, "system._add : (int, int) -> int");
    f = R("system", "_add", 2, T(N(TYPE_VARCHAR), "a"), T(N(TYPE_ASCII), "b"));
    sig(f, "system._add : (text, ascii) -> text");
    f = R("system", "_substract", 2, T(N(TYPE_DATE), "d"), L(TYPE_LIT_DURATION, "1d"));
    sig(f, "system._substract : (date, duration) -> date");

    assert_null(R("system", "_add", 2, T(N(TYPE_TIME), "time"), L(TYPE_LIT_DURATION, "10m")));
    assert_string_equal(err, "the '+' operation is not supported between time and 10m");
    assert_null(R("system", "_modulo", 2, T(N(TYPE_TIME), "time"), L(TYPE_LIT_DURATION, "10m")));
    assert_string_equal(err, "the '%' operation is not supported between time and 10m");
    assert_null(R("system", "_add", 2, MARK(), L(TYPE_LIT_INTEGER, "1")));
    assert_string_equal(err, "Ambiguous '+' operation: use type casts to disambiguate");
    assert_null(R("system", "_negate", 1, MARK()));
    assert_string_equal(err, "Ambiguous negation: use type casts to disambiguate");
    /* a receiver picks the overload whose operands are of its type */
    struct cql_func_arg nn[2] = {NUL(), NUL()};
    f = cql_func_resolve("system", "_add", nn, 2, N(TYPE_INT), &A, err, sizeof(err));
    assert_non_null(f);
    sig(f, "system._add : (int, int) -> int");
}

static void test_time(void **st)
{
    (void)st;
    const struct cql_func *f;
    /* 2015-05-21 11:03:02 UTC */
    struct type_val ts = VS(TYPE_TIMESTAMP, "2015-05-21 11:03:02+0000");
    f = RK("to_date", 1, TYPE_TIMESTAMP);
    assert_string_equal(call(f, 1, ts), "'2015-05-21'");
    f = RK("to_unix_timestamp", 1, TYPE_TIMESTAMP);
    assert_string_equal(call(f, 1, ts), "1432206182000");
    f = RK("to_timestamp", 1, TYPE_DATE);
    assert_string_equal(call(f, 1, VS(TYPE_DATE, "2015-05-21")), "'2015-05-21 00:00:00.000+0000'");
    f = RK("to_unix_timestamp", 1, TYPE_DATE);
    assert_string_equal(call(f, 1, VS(TYPE_DATE, "1969-12-31")), "-86400000");
    /* negative timestamps floor to the previous day */
    f = RK("to_date", 1, TYPE_TIMESTAMP);
    assert_string_equal(call(f, 1, VI(TYPE_TIMESTAMP, "-1")), "'1969-12-31'");
    /* nulls and empty values give null */
    assert_string_equal(call(f, 1, NULLV), "null");
    assert_string_equal(call(f, 1, EMPTY), "null");

    /* min/max timeuuid round-trip through to_unix_timestamp */
    const struct cql_func *mn = RK("min_timeuuid", 1, TYPE_TIMESTAMP);
    const struct cql_func *mx = RK("max_timeuuid", 1, TYPE_TIMESTAMP);
    const struct cql_func *tu = RK("to_unix_timestamp", 1, TYPE_TIMEUUID);
    struct type_val res;
    struct type_val a1[1] = {ts};
    assert_int_equal(cql_func_call(mn, 0, a1, 1, &A, &res, err, sizeof(err)), 0);
    assert_int_equal(res.len, 16);
    assert_string_equal(call(tu, 1, res), "1432206182000");
    assert_int_equal(res.p[8], 0x80);
    assert_int_equal(cql_func_call(mx, 0, a1, 1, &A, &res, err, sizeof(err)), 0);
    assert_string_equal(call(tu, 1, res), "1432206182000");
    assert_int_equal(res.p[8], 0x7f);
    assert_string_equal(call(RK("to_date", 1, TYPE_TIMEUUID), 1, res), "'2015-05-21'");

    /* now() and friends use the statement time */
    f = R(NULL, "current_timestamp", 0);
    assert_string_equal(call(f, 0), "'2015-05-21 11:03:02.000+0000'");
    assert_string_equal(call(R(NULL, "currentdate", 0), 0), "'2015-05-21'");
    assert_string_equal(call(R(NULL, "current_time", 0), 0), "'11:03:02.000000000'");
    f = R(NULL, "now", 0);
    assert_int_equal(cql_func_call(f, 0, NULL, 0, &A, &res, err, sizeof(err)), 0);
    assert_int_equal(res.len, 16);
    assert_int_equal(res.p[6] >> 4, 1);
    f = R(NULL, "uuid", 0);
    assert_int_equal(cql_func_call(f, 0, NULL, 0, &A, &res, err, sizeof(err)), 0);
    assert_int_equal(res.p[6] >> 4, 4);
}

static void test_floor(void **st)
{
    (void)st;
    struct type_val ts = VS(TYPE_TIMESTAMP, "2016-09-27 16:10:00+0000");
    struct type_val d5m = V(N(TYPE_DURATION), TYPE_LIT_DURATION, "5m");
    const struct cql_func *f = RK("floor", 2, TYPE_TIMESTAMP, TYPE_DURATION);
    assert_string_equal(call(f, 2, VS(TYPE_TIMESTAMP, "2016-09-27 16:12:34.567+0000"), d5m),
                        "'2016-09-27 16:10:00.000+0000'");
    assert_string_equal(call(f, 2, ts, V(N(TYPE_DURATION), TYPE_LIT_DURATION, "2mo")),
                        "'2016-09-01 00:00:00.000+0000'");
    assert_string_equal(call(f, 2, ts, V(N(TYPE_DURATION), TYPE_LIT_DURATION, "1y")),
                        "'2016-01-01 00:00:00.000+0000'");
    assert_string_equal(call(f, 2, ts, V(N(TYPE_DURATION), TYPE_LIT_DURATION, "-1h")),
                        "ERR Negative durations are not supported by the floor function");
    assert_string_equal(call(f, 2, ts, V(N(TYPE_DURATION), TYPE_LIT_DURATION, "1h10us")),
                        "ERR The floor cannot be computed for the 1h10us duration as precision is "
                        "below 1 millisecond");
    const struct cql_func *f3 = RK("floor", 3, TYPE_TIMESTAMP, TYPE_DURATION, TYPE_TIMESTAMP);
    assert_string_equal(call(f3, 3, ts, V(N(TYPE_DURATION), TYPE_LIT_DURATION, "1h"),
                             VS(TYPE_TIMESTAMP, "2016-09-27 00:30:00+0000")),
                        "'2016-09-27 15:30:00.000+0000'");
    assert_string_equal(call(f3, 3, ts, V(N(TYPE_DURATION), TYPE_LIT_DURATION, "1h"),
                             VS(TYPE_TIMESTAMP, "2017-01-01 00:00:00+0000")),
                        "ERR The floor function starting time is greater than the provided time");
    const struct cql_func *fd = RK("floor", 2, TYPE_DATE, TYPE_DURATION);
    assert_string_equal(
        call(fd, 2, VS(TYPE_DATE, "2016-09-27"), V(N(TYPE_DURATION), TYPE_LIT_DURATION, "1mo")),
        "'2016-09-01'");
    assert_string_equal(call(fd, 2, VS(TYPE_DATE, "2016-09-27"), d5m),
                        "ERR The floor on date values cannot be computed for the 5m duration as "
                        "precision is below 1 day");
    const struct cql_func *ft = RK("floor", 2, TYPE_TIME, TYPE_DURATION);
    assert_string_equal(call(ft, 2, VS(TYPE_TIME, "16:12:00"), d5m), "'16:10:00.000000000'");
    assert_string_equal(
        call(ft, 2, VS(TYPE_TIME, "16:12:00"), V(N(TYPE_DURATION), TYPE_LIT_DURATION, "2d")),
        "ERR For time values, the floor can only be computed for durations "
        "smaller that a day");
    const struct cql_func *fu = RK("floor", 2, TYPE_TIMEUUID, TYPE_DURATION);
    sig(fu, "system.floor : (timeuuid, duration) -> timestamp");
}

static void test_blob(void **st)
{
    (void)st;
    const struct cql_func *f = R(NULL, "int_as_blob", 1, T(N(TYPE_INT), "i"));
    sig(f, "system.int_as_blob : (int) -> blob");
    assert_string_equal(call(f, 1, VI(TYPE_INT, "258")), "0x00000102");
    assert_string_equal(
        call(R(NULL, "textasblob", 1, L(TYPE_LIT_STRING, "'ab'")), 1, VS(TYPE_VARCHAR, "ab")),
        "0x6162");
    f = R(NULL, "blob_as_int", 1, L(TYPE_LIT_HEX, "0x00000102"));
    assert_string_equal(call(f, 1, V(N(TYPE_BLOB), TYPE_LIT_HEX, "0x00000102")), "258");
    assert_string_equal(call(f, 1, V(N(TYPE_BLOB), TYPE_LIT_HEX, "0x0102")),
                        "ERR In call to function system.blob_as_int, value 0x0102 is not a valid "
                        "binary representation for type int");
    assert_string_equal(call(f, 1, EMPTY), ""); /* empty int is valid */
    assert_string_equal(call(f, 1, NULLV), "null");
    f = R(NULL, "blobasbigint", 1, T(N(TYPE_BLOB), "b"));
    assert_string_equal(call(f, 1, VI(TYPE_INT, "123")),
                        "ERR In call to function system.blobasbigint, value 0x0000007b is not a "
                        "valid binary representation for type bigint");
    f = R(NULL, "blob_as_tinyint", 1, T(N(TYPE_BLOB), "b"));
    assert_string_equal(call(f, 1, EMPTY),
                        "ERR In call to function system.blob_as_tinyint, value 0x is not a valid "
                        "binary representation for type tinyint");
    f = R(NULL, "blob_as_text", 1, T(N(TYPE_BLOB), "b"));
    assert_string_equal(call(f, 1, V(N(TYPE_BLOB), TYPE_LIT_HEX, "0xff")),
                        "ERR In call to function system.blob_as_text, value 0xff is not a valid "
                        "binary representation for type text");
    assert_non_null(R(NULL, "blobasvarchar", 1, T(N(TYPE_BLOB), "b")));
    assert_null(R(NULL, "blob_as_blob", 1, T(N(TYPE_BLOB), "b")));
    /* any type is weakly assignable to blob */
    assert_non_null(R(NULL, "blob_as_int", 1, T(N(TYPE_BIGINT), "b")));
}

static const char *cast(const struct type *from, const char *text, const struct type *to,
                        struct type_val v)
{
    static char out[256];
    const struct cql_func *f;
    if (cql_func_cast(from, text, to, &f, err, sizeof(err))) {
        snprintf(out, sizeof(out), "ERR %s", err);
        return out;
    }
    if (!f) return "identity";
    snprintf(out, sizeof(out), "%s", call(f, 1, v));
    return out;
}

static void test_cast(void **st)
{
    (void)st;
    struct type_val e = VF(TYPE_FLOAT, "5.2"), fd = VF(TYPE_DOUBLE, "6.3");
    const struct type *FL = N(TYPE_FLOAT), *DB = N(TYPE_DOUBLE);
    assert_string_equal(cast(FL, "e", N(TYPE_TINYINT), e), "5");
    assert_string_equal(cast(FL, "e", N(TYPE_DECIMAL), e), "5.2");
    assert_string_equal(cast(DB, "f", N(TYPE_DECIMAL), fd), "6.3");
    assert_string_equal(cast(FL, "e", DB, e), "5.199999809265137");
    assert_string_equal(cast(FL, "e", N(TYPE_VARCHAR), e), "'5.2'");
    assert_string_equal(cast(DB, "f", N(TYPE_ASCII), VF(TYPE_DOUBLE, "1e10")), "'1.0E10'");
    assert_string_equal(cast(N(TYPE_TINYINT), "a", DB, VI(TYPE_TINYINT, "6")), "6");
    assert_string_equal(cast(N(TYPE_TINYINT), "a", N(TYPE_DECIMAL), VI(TYPE_TINYINT, "1")), "1");
    assert_string_equal(cast(N(TYPE_DECIMAL), "g", N(TYPE_INT), VF(TYPE_DECIMAL, "6.9")), "6");
    assert_string_equal(cast(N(TYPE_DECIMAL), "g", N(TYPE_VARCHAR), VF(TYPE_DECIMAL, "6.30")),
                        "'6.30'");
    /* narrowing wraps, float to integer saturates */
    assert_string_equal(cast(N(TYPE_INT), "c", N(TYPE_TINYINT), VI(TYPE_INT, "300")), "44");
    assert_string_equal(cast(DB, "f", N(TYPE_INT), VF(TYPE_DOUBLE, "1e20")), "2147483647");
    assert_string_equal(cast(DB, "f", N(TYPE_BIGINT), V(DB, TYPE_LIT_NAN, "NaN")), "0");
    assert_string_equal(
        cast(N(TYPE_VARINT), "h", N(TYPE_BIGINT), VI(TYPE_VARINT, "18446744073709551617")), "1");
    assert_string_equal(cast(N(TYPE_COUNTER), "b", N(TYPE_DECIMAL), VI(TYPE_BIGINT, "2")), "2");
    assert_string_equal(cast(N(TYPE_INT), "c", N(TYPE_INT), VI(TYPE_INT, "3")), "identity");
    assert_string_equal(cast(N(TYPE_INT), "a", N(TYPE_BOOLEAN), VI(TYPE_INT, "3")),
                        "ERR a cannot be cast to boolean");
    assert_true(strncmp(cast(N(TYPE_BLOB), "b", N(TYPE_VARCHAR), VI(TYPE_INT, "3")),
                        "ERR Invalid call to function system.cast_as_text, none of its type "
                        "signatures match (known type signatures: system.cast_as_text : (tinyint) "
                        "-> text, ",
                        strlen("ERR Invalid call to function system.cast_as_text, none of its "
                               "type signatures match (known type signatures: "
                               "system.cast_as_text : (tinyint) -> text, ")) == 0);
    /* time casts and text forms (CastFctsTest.testTimeCastsInSelectionClause) */
    struct type_val ts = VS(TYPE_TIMESTAMP, "2015-05-21 11:03:02+0000");
    assert_string_equal(cast(N(TYPE_TIMESTAMP), "b", N(TYPE_VARCHAR), ts),
                        "'2015-05-21T11:03:02.000Z'");
    assert_string_equal(cast(N(TYPE_TIMESTAMP), "b", N(TYPE_DATE), ts), "'2015-05-21'");
    assert_string_equal(cast(N(TYPE_DATE), "c", N(TYPE_VARCHAR), VS(TYPE_DATE, "2015-05-21")),
                        "'2015-05-21'");
    assert_string_equal(cast(N(TYPE_TIME), "d", N(TYPE_VARCHAR), VS(TYPE_TIME, "11:03:02")),
                        "'11:03:02.000000000'");
    assert_string_equal(cast(N(TYPE_INET), "b", N(TYPE_VARCHAR), VS(TYPE_INET, "127.0.0.1")),
                        "'127.0.0.1'");
    assert_string_equal(cast(N(TYPE_INET), "b", N(TYPE_VARCHAR), VS(TYPE_INET, "::1")),
                        "'0:0:0:0:0:0:0:1'");
    assert_string_equal(
        cast(N(TYPE_BOOLEAN), "c", N(TYPE_VARCHAR), V(N(TYPE_BOOLEAN), TYPE_LIT_BOOLEAN, "true")),
        "'true'");
    assert_string_equal(cast(N(TYPE_ASCII), "a", N(TYPE_VARCHAR), VS(TYPE_ASCII, "test")),
                        "'test'");
    assert_string_equal(cast(N(TYPE_INT), "i", N(TYPE_VARCHAR), NULLV), "null");
    assert_string_equal(cast(N(TYPE_INT), "i", N(TYPE_VARCHAR), EMPTY), "null");
    /* timestamp reaches cast_as_bigint through varint's value compatibility */
    assert_string_equal(cast(N(TYPE_TIMESTAMP), "t", N(TYPE_BIGINT), VI(TYPE_BIGINT, "77")), "77");
}

static const char *op(const char *name, enum type_kind lk, struct type_val l, enum type_kind rk,
                      struct type_val r)
{
    const struct cql_func *f = RK(name, 2, lk, rk);
    return call(f, 2, l, r);
}

static void test_arith(void **st)
{
    (void)st;
    /* OperationFctsTest.testSingleOperations values */
    struct type_val a = VI(TYPE_TINYINT, "1"), b = VI(TYPE_SMALLINT, "2"), c = VI(TYPE_INT, "3"),
                    d = VI(TYPE_BIGINT, "4"), e = VF(TYPE_FLOAT, "5.5"), f = VF(TYPE_DOUBLE, "6.5"),
                    g = VI(TYPE_VARINT, "7"), h = VF(TYPE_DECIMAL, "8.5");
    assert_string_equal(op("_add", TYPE_FLOAT, e, TYPE_VARINT, g), "12.5");
    assert_string_equal(op("_add", TYPE_DECIMAL, h, TYPE_DECIMAL, h), "17.0");
    assert_string_equal(op("_multiply", TYPE_TINYINT, a, TYPE_DECIMAL, h), "8.50");
    assert_string_equal(op("_multiply", TYPE_BIGINT, d, TYPE_DECIMAL, h), "34.00");
    assert_string_equal(op("_multiply", TYPE_VARINT, g, TYPE_DECIMAL, h), "59.5");
    assert_string_equal(op("_divide", TYPE_INT, c, TYPE_DECIMAL, h),
                        "0.35294117647058823529411764705882");
    assert_string_equal(op("_divide", TYPE_VARINT, g, TYPE_FLOAT, e),
                        "1.27272727272727272727272727272727");
    assert_string_equal(op("_divide", TYPE_DECIMAL, h, TYPE_DECIMAL, h), "1");
    assert_string_equal(op("_divide", TYPE_DECIMAL, h, TYPE_BIGINT, d), "2.125");
    assert_string_equal(op("_divide", TYPE_FLOAT, e, TYPE_INT, c), "1.8333334");
    assert_string_equal(op("_divide", TYPE_DOUBLE, f, TYPE_INT, c), "2.1666666666666665");
    assert_string_equal(op("_divide", TYPE_TINYINT, a, TYPE_SMALLINT, b), "0");
    assert_string_equal(op("_modulo", TYPE_DECIMAL, h, TYPE_FLOAT, e), "3.0");
    assert_string_equal(op("_modulo", TYPE_DECIMAL, h, TYPE_TINYINT, a), "0.5");
    assert_string_equal(op("_modulo", TYPE_VARINT, g, TYPE_DECIMAL, h), "7");
    assert_string_equal(op("_modulo", TYPE_FLOAT, e, TYPE_SMALLINT, b), "1.5");
    assert_string_equal(op("_substract", TYPE_DECIMAL, h, TYPE_DECIMAL, h), "0.0");
    assert_string_equal(op("_substract", TYPE_TINYINT, a, TYPE_SMALLINT, b), "-1");
    /* Java wrap-around */
    assert_string_equal(op("_add", TYPE_INT, VI(TYPE_INT, "2147483647"), TYPE_INT, c),
                        "-2147483646");
    assert_string_equal(op("_add", TYPE_TINYINT, VI(TYPE_TINYINT, "127"), TYPE_TINYINT, a), "-128");
    assert_string_equal(
        op("_divide", TYPE_INT, VI(TYPE_INT, "-2147483648"), TYPE_INT, VI(TYPE_INT, "-1")),
        "-2147483648");
    assert_string_equal(op("_multiply", TYPE_BIGINT, VI(TYPE_BIGINT, "9223372036854775807"),
                           TYPE_BIGINT, VI(TYPE_BIGINT, "2")),
                        "-2");
    assert_string_equal(op("_multiply", TYPE_VARINT, VI(TYPE_VARINT, "9223372036854775807"),
                           TYPE_BIGINT, VI(TYPE_BIGINT, "2")),
                        "18446744073709551614");
    /* failures */
    assert_string_equal(op("_divide", TYPE_INT, c, TYPE_INT, VI(TYPE_INT, "0")),
                        "ERR the operation 'int / int' failed: / by zero");
    assert_string_equal(op("_modulo", TYPE_VARINT, g, TYPE_VARINT, VI(TYPE_VARINT, "0")),
                        "ERR the operation 'varint % varint' failed: BigInteger divide by zero");
    assert_string_equal(op("_divide", TYPE_DECIMAL, h, TYPE_INT, VI(TYPE_INT, "0")),
                        "ERR the operation 'decimal / int' failed: Division by zero");
    assert_string_equal(
        op("_add", TYPE_DECIMAL, h, TYPE_DOUBLE, V(N(TYPE_DOUBLE), TYPE_LIT_NAN, "NaN")),
        "ERR the operation 'decimal + double' failed: A NaN cannot be converted "
        "into a decimal");
    assert_string_equal(op("_divide", TYPE_DOUBLE, f, TYPE_INT, VI(TYPE_INT, "0")), "Infinity");
    assert_string_equal(op("_add", TYPE_INT, c, TYPE_INT, NULLV), "null");
    assert_string_equal(op("_add", TYPE_INT, c, TYPE_INT, EMPTY), "null");
    /* negation */
    const struct cql_func *neg = RK("_negate", 1, TYPE_INT);
    assert_string_equal(call(neg, 1, VI(TYPE_INT, "-2147483648")), "-2147483648");
    assert_string_equal(call(RK("_negate", 1, TYPE_DECIMAL), 1, h), "-8.5");
    /* strings */
    assert_string_equal(
        op("_add", TYPE_VARCHAR, VS(TYPE_VARCHAR, "a "), TYPE_ASCII, VS(TYPE_ASCII, "b")), "'a b'");
    /* temporal */
    struct type_val jan31 = VS(TYPE_TIMESTAMP, "2016-01-31 10:00:00+0000");
    assert_string_equal(op("_add", TYPE_TIMESTAMP, jan31, TYPE_DURATION,
                           V(N(TYPE_DURATION), TYPE_LIT_DURATION, "1mo2d")),
                        "'2016-03-02 10:00:00.000+0000'");
    assert_string_equal(op("_substract", TYPE_TIMESTAMP, jan31, TYPE_DURATION,
                           V(N(TYPE_DURATION), TYPE_LIT_DURATION, "1h30m")),
                        "'2016-01-31 08:30:00.000+0000'");
    assert_string_equal(op("_substract", TYPE_DATE, VS(TYPE_DATE, "2016-10-04"), TYPE_DURATION,
                           V(N(TYPE_DURATION), TYPE_LIT_DURATION, "10m")),
                        "ERR the operation 'date - duration' failed: The duration must have a day "
                        "precision. Was: 10m");
    assert_string_equal(op("_substract", TYPE_DATE, VS(TYPE_DATE, "2016-10-04"), TYPE_DURATION,
                           V(N(TYPE_DURATION), TYPE_LIT_DURATION, "2d")),
                        "'2016-10-02'");
}

static void test_math(void **st)
{
    (void)st;
    assert_string_equal(call(RK("abs", 1, TYPE_INT), 1, VI(TYPE_INT, "-2147483648")),
                        "-2147483648");
    assert_string_equal(call(RK("abs", 1, TYPE_TINYINT), 1, VI(TYPE_TINYINT, "-5")), "5");
    assert_string_equal(call(RK("abs", 1, TYPE_DECIMAL), 1, VF(TYPE_DECIMAL, "-1.50")), "1.50");
    assert_string_equal(call(RK("exp", 1, TYPE_INT), 1, VI(TYPE_INT, "1")), "2");
    assert_string_equal(call(RK("exp", 1, TYPE_DOUBLE), 1, VF(TYPE_DOUBLE, "0")), "1");
    assert_string_equal(call(RK("log", 1, TYPE_INT), 1, VI(TYPE_INT, "0")), "-2147483648");
    assert_string_equal(call(RK("log10", 1, TYPE_BIGINT), 1, VI(TYPE_BIGINT, "1000")), "3");
    assert_string_equal(call(RK("log", 1, TYPE_DECIMAL), 1, VF(TYPE_DECIMAL, "0.0")),
                        "ERR Natural log of number zero or less");
    assert_string_equal(call(RK("log10", 1, TYPE_VARINT), 1, VI(TYPE_VARINT, "-1")),
                        "ERR Log10 of number zero or less");
    assert_string_equal(call(RK("round", 1, TYPE_DOUBLE), 1, VF(TYPE_DOUBLE, "2.5")), "3");
    assert_string_equal(call(RK("round", 1, TYPE_DOUBLE), 1, VF(TYPE_DOUBLE, "-2.5")), "-2");
    assert_string_equal(call(RK("round", 1, TYPE_FLOAT), 1, VF(TYPE_FLOAT, "1e20")),
                        "2.1474836e+09");
    assert_string_equal(call(RK("round", 1, TYPE_DECIMAL), 1, VF(TYPE_DECIMAL, "2.5")), "3");
    assert_string_equal(call(RK("round", 1, TYPE_DECIMAL), 1, VF(TYPE_DECIMAL, "-2.5")), "-3");
    assert_string_equal(call(RK("round", 1, TYPE_DECIMAL), 1, VF(TYPE_DECIMAL, "1E+2")), "100");
    assert_string_equal(call(RK("abs", 1, TYPE_INT), 1, NULLV), "null");
}

static void test_java_format(void **st)
{
    (void)st;
    static const struct {
        double d;
        const char *s;
    } cases[] = {{1e10, "1.0E10"},         {1e-5, "1.0E-5"},
                 {100.0, "100.0"},         {0.001, "0.001"},
                 {1234567.0, "1234567.0"}, {12345678.0, "1.2345678E7"},
                 {-0.0, "-0.0"},           {0.1 + 0.2, "0.30000000000000004"}};
    const struct cql_func *f;
    assert_int_equal(cql_func_cast(N(TYPE_DOUBLE), "d", N(TYPE_VARCHAR), &f, err, sizeof(err)), 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t be[8];
        uint64_t bits;
        memcpy(&bits, &cases[i].d, 8);
        put_be64(be, bits);
        struct type_val v = {be, 8};
        char want[64];
        snprintf(want, sizeof(want), "'%s'", cases[i].s);
        assert_string_equal(call(f, 1, v), want);
    }
}

/* ---- aggregates ---- */

static const char *agg(const struct cql_func *f, int n, const struct type_val *vals)
{
    static char out[256];
    _Alignas(16) uint8_t state[512];
    assert_true(cql_agg_state_size(f) <= sizeof(state));
    cql_agg_init(f, state);
    for (int i = 0; i < n; i++)
        if (cql_agg_add(f, state, &vals[i], cql_func_arg_count(f), err, sizeof(err)))
            fail_msg("add: %s", err);
    struct type_val r;
    if (cql_agg_result(f, state, &A, &r, err, sizeof(err))) {
        snprintf(out, sizeof(out), "ERR %s", err);
    } else {
        buf b;
        buf_init(&b);
        type_format_value(cql_func_return_type(f), r.p, r.len, &b);
        snprintf(out, sizeof(out), "%.*s", (int)b.len, (char *)b.data);
        buf_free(&b);
    }
    cql_agg_destroy(f, state);
    return out;
}

static void test_aggregates(void **st)
{
    (void)st;
    const struct cql_func *cnt = cql_func_count_rows();
    struct type_val rows[3] = {NULLV, NULLV, NULLV};
    assert_string_equal(agg(cnt, 3, rows), "3");
    assert_string_equal(agg(cnt, 0, rows), "0");
    const struct cql_func *cx = RK("count", 1, TYPE_INT);
    struct type_val ints[4] = {VI(TYPE_INT, "2147483647"), NULLV, VI(TYPE_INT, "2147483647"),
                               VI(TYPE_INT, "1")};
    assert_string_equal(agg(cx, 4, ints), "3");
    /* sum wraps in the type, avg accumulates in a long */
    assert_string_equal(agg(RK("sum", 1, TYPE_INT), 4, ints), "-1");
    assert_string_equal(agg(RK("avg", 1, TYPE_INT), 4, ints), "1431655765");
    assert_string_equal(agg(RK("sum", 1, TYPE_INT), 0, ints), "0");
    assert_string_equal(agg(RK("avg", 1, TYPE_INT), 0, ints), "0");
    struct type_val tiny[2] = {VI(TYPE_TINYINT, "100"), VI(TYPE_TINYINT, "100")};
    assert_string_equal(agg(RK("sum", 1, TYPE_TINYINT), 2, tiny), "-56");
    assert_string_equal(agg(RK("avg", 1, TYPE_TINYINT), 2, tiny), "100");
    /* long avg falls back to BigInteger on overflow */
    struct type_val big[2] = {VI(TYPE_BIGINT, "9223372036854775807"),
                              VI(TYPE_BIGINT, "9223372036854775805")};
    assert_string_equal(agg(RK("avg", 1, TYPE_BIGINT), 2, big), "9223372036854775806");
    assert_string_equal(agg(RK("sum", 1, TYPE_BIGINT), 2, big), "-4");
    /* floating point: Kahan summation */
    struct type_val dbl[3] = {VF(TYPE_DOUBLE, "0.1"), VF(TYPE_DOUBLE, "0.2"),
                              VF(TYPE_DOUBLE, "0.3")};
    assert_string_equal(agg(RK("sum", 1, TYPE_DOUBLE), 3, dbl), "0.6");
    assert_string_equal(agg(RK("avg", 1, TYPE_DOUBLE), 3, dbl), "0.19999999999999998");
    struct type_val fl[2] = {VF(TYPE_FLOAT, "1.5"), VF(TYPE_FLOAT, "2.5")};
    assert_string_equal(agg(RK("avg", 1, TYPE_FLOAT), 2, fl), "2");
    struct type_val vi[2] = {VI(TYPE_VARINT, "100000000000000000000"), VI(TYPE_VARINT, "1")};
    assert_string_equal(agg(RK("sum", 1, TYPE_VARINT), 2, vi), "100000000000000000001");
    assert_string_equal(agg(RK("avg", 1, TYPE_VARINT), 2, vi), "50000000000000000000");
    assert_string_equal(agg(RK("avg", 1, TYPE_VARINT), 0, vi), "0");
    struct type_val dec[3] = {VF(TYPE_DECIMAL, "1.5"), VF(TYPE_DECIMAL, "2.25"),
                              VF(TYPE_DECIMAL, "3")};
    assert_string_equal(agg(RK("sum", 1, TYPE_DECIMAL), 3, dec), "6.75");
    assert_string_equal(agg(RK("avg", 1, TYPE_DECIMAL), 3, dec), "2.25");
    assert_string_equal(agg(RK("sum", 1, TYPE_DECIMAL), 0, dec), "0");
    /* min / max over any comparable type; empty group is null */
    struct type_val txt[3] = {VS(TYPE_VARCHAR, "b"), VS(TYPE_VARCHAR, "c"), VS(TYPE_VARCHAR, "a")};
    assert_string_equal(agg(RK("max", 1, TYPE_VARCHAR), 3, txt), "'c'");
    assert_string_equal(agg(RK("min", 1, TYPE_VARCHAR), 3, txt), "'a'");
    assert_string_equal(agg(RK("min", 1, TYPE_VARCHAR), 0, txt), "null");
    struct type_val neg[2] = {VI(TYPE_INT, "-5"), VI(TYPE_INT, "3")};
    assert_string_equal(agg(RK("min", 1, TYPE_INT), 2, neg), "-5");
    assert_string_equal(agg(RK("max", 1, TYPE_COUNTER), 2,
                            (struct type_val[]){VI(TYPE_BIGINT, "-1"), VI(TYPE_BIGINT, "2")}),
                        "2");
}

static void test_collections(void **st)
{
    (void)st;
    const struct type *m = P("map<int, text>"), *l = P("list<int>"), *s = P("set<text>"),
                      *ld = P("list<decimal>"), *lm = P("list<frozen<map<int, int>>>");
    char e[128];
    buf b;
    buf_init(&b);
    struct type_val kv[4] = {VI(TYPE_INT, "2"), VS(TYPE_VARCHAR, "b"), VI(TYPE_INT, "1"),
                             VS(TYPE_VARCHAR, "a")};
    assert_int_equal(type_build_collection(m, kv, 4, NULL, &b, e, sizeof(e)), 0);
    struct type_val mv = {arena_memdup(&A, b.data, b.len), (int32_t)b.len};
    buf_clear(&b);
    struct type_val li[3] = {VI(TYPE_INT, "5"), VI(TYPE_INT, "-7"), VI(TYPE_INT, "2147483647")};
    assert_int_equal(type_build_collection(l, li, 3, NULL, &b, e, sizeof(e)), 0);
    struct type_val lv = {arena_memdup(&A, b.data, b.len), (int32_t)b.len};
    buf_clear(&b);
    assert_int_equal(type_build_collection(l, li, 0, NULL, &b, e, sizeof(e)), 0);
    struct type_val lempty = {arena_memdup(&A, b.data, b.len), (int32_t)b.len};
    buf_clear(&b);
    struct type_val st3[2] = {VS(TYPE_VARCHAR, "zz"), VS(TYPE_VARCHAR, "aa")};
    assert_int_equal(type_build_collection(s, st3, 2, NULL, &b, e, sizeof(e)), 0);
    struct type_val sv = {arena_memdup(&A, b.data, b.len), (int32_t)b.len};
    buf_clear(&b);
    struct type_val de[2] = {VF(TYPE_DECIMAL, "1.5"), VF(TYPE_DECIMAL, "2")};
    assert_int_equal(type_build_collection(ld, de, 2, NULL, &b, e, sizeof(e)), 0);
    struct type_val dv = {arena_memdup(&A, b.data, b.len), (int32_t)b.len};
    buf_free(&b);

    const struct cql_func *f = R(NULL, "map_keys", 1, T(m, "m"));
    assert_non_null(f);
    sig(f, "system.map_keys : (map<int, text>) -> frozen<set<int>>");
    assert_string_equal(call(f, 1, mv), "{1, 2}");
    f = R(NULL, "map_values", 1, T(m, "m"));
    sig(f, "system.map_values : (map<int, text>) -> frozen<list<text>>");
    assert_string_equal(call(f, 1, mv), "['a', 'b']");
    assert_string_equal(call(f, 1, NULLV), "null");
    f = R(NULL, "collection_count", 1, T(m, "m"));
    assert_string_equal(call(f, 1, mv), "2");
    f = R(NULL, "collection_count", 1, T(l, "l"));
    assert_string_equal(call(f, 1, lv), "3");
    f = R(NULL, "collection_min", 1, T(l, "l"));
    sig(f, "system.collection_min : (list<int>) -> int");
    assert_string_equal(call(f, 1, lv), "-7");
    assert_string_equal(call(f, 1, lempty), "null");
    f = R(NULL, "collection_max", 1, T(s, "s"));
    assert_string_equal(call(f, 1, sv), "'zz'");
    f = R(NULL, "collection_sum", 1, T(l, "l"));
    assert_string_equal(call(f, 1, lv), "2147483645");
    assert_string_equal(call(f, 1, lempty), "0");
    f = R(NULL, "collection_avg", 1, T(l, "l"));
    assert_string_equal(call(f, 1, lv), "715827881");
    assert_string_equal(call(f, 1, lempty), "0");
    f = R(NULL, "collection_avg", 1, T(ld, "l"));
    /* Cassandra's running average rounds each step HALF_EVEN at the inputs' scale:
     * 1.5 + (2 - 1.5) / 2 = 1.5 + 0.2 */
    assert_string_equal(call(f, 1, dv), "1.7");
    assert_non_null(R(NULL, "collection_max", 1, T(lm, "l")));

    assert_null(R(NULL, "map_keys", 1, T(l, "l")));
    assert_string_equal(err, "Function system.map_keys requires a map argument, but found argument "
                             "l of type list<int>");
    assert_null(R(NULL, "collection_sum", 1, T(s, "s")));
    assert_string_equal(err, "Function system.collection_sum requires a numeric set/list argument, "
                             "but found argument s of type set<text>");
    assert_null(R(NULL, "collection_min", 1, T(m, "m")));
    assert_string_equal(err, "Function system.collection_min requires a set or list argument, but "
                             "found argument m of type map<int, text>");
    assert_null(R(NULL, "collection_count", 1, MARK()));
    assert_string_equal(err, "Cannot infer type of argument ? in call to function "
                             "system.collection_count(collection): use type casts to disambiguate");
    assert_null(R(NULL, "map_keys", 2, T(m, "m"), T(m, "m")));
    assert_string_equal(err, "Invalid number of arguments for function system.map_keys(map)");
    assert_null(R(NULL, "collection_count", 1, L(TYPE_LIT_INTEGER, "1")));
    assert_string_equal(err, "Function system.collection_count requires a collection argument, "
                             "but found argument 1 of type int");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_resolve_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resolve_overloads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resolve_operators, setup, teardown),
        cmocka_unit_test_setup_teardown(test_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_floor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blob, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cast, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arith, setup, teardown),
        cmocka_unit_test_setup_teardown(test_math, setup, teardown),
        cmocka_unit_test_setup_teardown(test_java_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aggregates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_collections, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    return rc;
}
