/*
 * functions -- the overload table, Cassandra's FunctionResolver, CAST,
 * scalar call dispatch and the aggregate state machines. See functions.h.
 *
 * The table is an array of struct cql_func filled once (pthread_once) in
 * the order Cassandra's NativeFunctions registers them; a lookup by name is
 * a linear scan (resolution happens when a statement is prepared, the
 * table holds about 1500 overloads).
 *
 * Assignment tests (AssignmentTestable.TestResult) follow Cassandra:
 *   typed argument   EXACT if the types are equal (frozen-ness ignored),
 *                    WEAK if the parameter type is value-compatible with
 *                    it (blob <- anything, text <- ascii, bigint <->
 *                    timestamp, varint <- int/bigint/timestamp, uuid <-
 *                    timeuuid), else NOT;
 *   literal          EXACT if the parameter is the literal's preferred type
 *                    (string: ascii if all ASCII else text; integer: int,
 *                    bigint or varint, the smallest that holds it; float:
 *                    double if the text reads back from a double, else
 *                    decimal; uuid: timeuuid for version 1, else uuid;
 *                    boolean: boolean; hex: tinyint (sic, Cassandra's
 *                    ByteType); duration: duration), WEAK for the types
 *                    Constants.Literal.testAssignment lists, else NOT;
 *   NULL             WEAK except for counter; marker, unknown: WEAK.
 */
#include "cql/func_int.h"
#include "util/mem.h"
#include "util/uuid.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { NOT_ASSIGNABLE, WEAKLY_ASSIGNABLE, EXACT_MATCH };

int func_fail(char *err, size_t errsz, const char *fmt, ...)
{
    if (err && errsz) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errsz, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int func_out_copy(arena *a, const void *p, size_t n, struct type_val *out)
{
    void *d = arena_alloc(a, n ? n : 1);
    if (!d) return -1;
    if (n) memcpy(d, p, n);
    out->p = d;
    out->len = (int32_t)n;
    return 0;
}

int func_out_buf(arena *a, buf *b, struct type_val *out, char *err, size_t errsz)
{
    if (!buf_ok(b) || func_out_copy(a, b->data, b->len, out))
        return func_fail(err, errsz, "Out of memory");
    return 0;
}

int func_empty_is_null(enum type_kind k)
{
    return k != TYPE_ASCII && k != TYPE_VARCHAR && k != TYPE_BLOB;
}

/* ------------------------------------------------------------------ */
/* the table                                                           */

#define TAB_MAX 2048

static struct cql_func tab[TAB_MAX];
static int ntab;
static char name_pool[16384];
static size_t name_used;
static pthread_once_t tab_once = PTHREAD_ONCE_INIT;

static const char *pool_name(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static const char *pool_name(const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (k < 0 || name_used + (size_t)k + 1 > sizeof(name_pool)) return "?";
    char *s = name_pool + name_used;
    memcpy(s, tmp, (size_t)k + 1);
    name_used += (size_t)k + 1;
    return s;
}

static void add(const char *name, int impl, int sub, int flags, enum type_kind ret, int n,
                enum type_kind a0, enum type_kind a1, enum type_kind a2)
{
    if (ntab >= TAB_MAX) return;
    struct cql_func *f = &tab[ntab++];
    f->name = name;
    f->impl = (uint8_t)impl;
    f->sub = (uint8_t)sub;
    f->flags = (uint8_t)flags;
    f->ret = ret;
    f->n = (uint8_t)n;
    f->arg[0] = a0;
    f->arg[1] = a1;
    f->arg[2] = a2;
}

#define A1(name, impl, sub, ret, a0)     add(name, impl, sub, 0, ret, 1, a0, 0, 0)
#define A2(name, impl, sub, ret, a0, a1) add(name, impl, sub, 0, ret, 2, a0, a1, 0)

static const enum type_kind numerics[] = {TYPE_TINYINT, TYPE_SMALLINT, TYPE_INT,
                                          TYPE_BIGINT,  TYPE_FLOAT,    TYPE_DOUBLE,
                                          TYPE_DECIMAL, TYPE_VARINT,   TYPE_COUNTER};
#define N_NUM 9

/* CQL3Type.Native.values() without varchar (an alias of text) and empty */
static const enum type_kind natives[] = {TYPE_ASCII,    TYPE_BIGINT,  TYPE_BLOB,    TYPE_BOOLEAN,
                                         TYPE_COUNTER,  TYPE_DATE,    TYPE_DECIMAL, TYPE_DOUBLE,
                                         TYPE_DURATION, TYPE_FLOAT,   TYPE_INET,    TYPE_INT,
                                         TYPE_SMALLINT, TYPE_VARCHAR, TYPE_TIME,    TYPE_TIMESTAMP,
                                         TYPE_TIMEUUID, TYPE_TINYINT, TYPE_UUID,    TYPE_VARINT};
#define N_NAT 20

static const char *op_names[] = {"_add", "_substract", "_multiply", "_divide", "_modulo"};

static void add_legacy(const char *name, const char *legacy, int impl, int sub, int flags,
                       enum type_kind ret, int n, enum type_kind a0, enum type_kind a1)
{
    add(name, impl, sub, flags, ret, n, a0, a1, 0);
    add(legacy, impl, sub, flags, ret, n, a0, a1, 0);
}

static void add_cast(enum type_kind from, enum type_kind to)
{
    const char *tn = type_kind_name(to);
    add(pool_name("cast_as_%s", tn), FI_CAST, 0, 0, to, 1, from, 0, 0);
    add(pool_name("castAs%c%s", tn[0] - 'a' + 'A', tn + 1), FI_CAST, 0, 0, to, 1, from, 0, 0);
}

static void build_table(void)
{
    /* CastFcts */
    static const enum type_kind cast_num_out[] = {TYPE_TINYINT, TYPE_SMALLINT, TYPE_INT,
                                                  TYPE_BIGINT,  TYPE_FLOAT,    TYPE_DOUBLE,
                                                  TYPE_DECIMAL, TYPE_VARINT};
    static const enum type_kind cast_num_in[] = {TYPE_TINYINT, TYPE_SMALLINT, TYPE_INT,
                                                 TYPE_BIGINT,  TYPE_FLOAT,    TYPE_DOUBLE,
                                                 TYPE_DECIMAL, TYPE_COUNTER,  TYPE_VARINT};
    for (int i = 0; i < 9; i++) {
        for (int j = 0; j < 8; j++)
            if (cast_num_in[i] != cast_num_out[j]) add_cast(cast_num_in[i], cast_num_out[j]);
        add_cast(cast_num_in[i], TYPE_ASCII);
        add_cast(cast_num_in[i], TYPE_VARCHAR);
    }
    add_cast(TYPE_ASCII, TYPE_VARCHAR);
    static const enum type_kind to_text[] = {TYPE_INET, TYPE_BOOLEAN, TYPE_TIMEUUID, TYPE_TIMESTAMP,
                                             TYPE_DATE, TYPE_TIME,    TYPE_UUID};
    for (int i = 0; i < 7; i++) {
        if (to_text[i] == TYPE_TIMEUUID) {
            add_cast(TYPE_TIMEUUID, TYPE_DATE);
            add_cast(TYPE_TIMEUUID, TYPE_TIMESTAMP);
        } else if (to_text[i] == TYPE_TIMESTAMP) {
            add_cast(TYPE_TIMESTAMP, TYPE_DATE);
        } else if (to_text[i] == TYPE_DATE) {
            add_cast(TYPE_DATE, TYPE_TIMESTAMP);
        }
        add_cast(to_text[i], TYPE_ASCII);
        add_cast(to_text[i], TYPE_VARCHAR);
    }

    /* UuidFcts */
    add("uuid", FI_UUID, 0, FF_IMPURE, TYPE_UUID, 0, 0, 0, 0);

    /* TimeFcts */
    add("now", FI_NOW, 0, FF_IMPURE, TYPE_TIMEUUID, 0, 0, 0, 0);
    add_legacy("current_timeuuid", "currenttimeuuid", FI_NOW, 0, FF_IMPURE, TYPE_TIMEUUID, 0, 0, 0);
    add_legacy("current_timestamp", "currenttimestamp", FI_NOW, 0, FF_IMPURE, TYPE_TIMESTAMP, 0, 0,
               0);
    add_legacy("current_date", "currentdate", FI_NOW, 0, FF_IMPURE, TYPE_DATE, 0, 0, 0);
    add_legacy("current_time", "currenttime", FI_NOW, 0, FF_IMPURE, TYPE_TIME, 0, 0, 0);
    add_legacy("min_timeuuid", "mintimeuuid", FI_MIN_TU, 0, 0, TYPE_TIMEUUID, 1, TYPE_TIMESTAMP, 0);
    add_legacy("max_timeuuid", "maxtimeuuid", FI_MAX_TU, 0, 0, TYPE_TIMEUUID, 1, TYPE_TIMESTAMP, 0);
    add_legacy("to_date", "todate", FI_TO_DATE, 0, 0, TYPE_DATE, 1, TYPE_TIMEUUID, 0);
    add_legacy("to_timestamp", "totimestamp", FI_TO_TS, 0, 0, TYPE_TIMESTAMP, 1, TYPE_TIMEUUID, 0);
    add_legacy("to_unix_timestamp", "tounixtimestamp", FI_TO_UNIX, 0, 0, TYPE_BIGINT, 1,
               TYPE_TIMEUUID, 0);
    add_legacy("to_unix_timestamp", "tounixtimestamp", FI_TO_UNIX, 0, 0, TYPE_BIGINT, 1,
               TYPE_TIMESTAMP, 0);
    add_legacy("to_date", "todate", FI_TO_DATE, 0, 0, TYPE_DATE, 1, TYPE_TIMESTAMP, 0);
    add_legacy("to_unix_timestamp", "tounixtimestamp", FI_TO_UNIX, 0, 0, TYPE_BIGINT, 1, TYPE_DATE,
               0);
    add_legacy("to_timestamp", "totimestamp", FI_TO_TS, 0, 0, TYPE_TIMESTAMP, 1, TYPE_DATE, 0);
    /* removed by Cassandra 5.0 but part of 4.1, which applications still
     * call: kept, like the other pre-5.0 names */
    add("dateof", FI_TO_TS, 0, 0, TYPE_TIMESTAMP, 1, TYPE_TIMEUUID, 0, 0);
    add("unixtimestampof", FI_TO_UNIX, 0, 0, TYPE_BIGINT, 1, TYPE_TIMEUUID, 0, 0);
    add("floor", FI_FLOOR, 0, 0, TYPE_TIMESTAMP, 2, TYPE_TIMESTAMP, TYPE_DURATION, 0);
    add("floor", FI_FLOOR, 0, 0, TYPE_TIMESTAMP, 3, TYPE_TIMESTAMP, TYPE_DURATION, TYPE_TIMESTAMP);
    add("floor", FI_FLOOR, 0, 0, TYPE_TIMESTAMP, 2, TYPE_TIMEUUID, TYPE_DURATION, 0);
    add("floor", FI_FLOOR, 0, 0, TYPE_TIMESTAMP, 3, TYPE_TIMEUUID, TYPE_DURATION, TYPE_TIMESTAMP);
    add("floor", FI_FLOOR, 0, 0, TYPE_DATE, 2, TYPE_DATE, TYPE_DURATION, 0);
    add("floor", FI_FLOOR, 0, 0, TYPE_DATE, 3, TYPE_DATE, TYPE_DURATION, TYPE_DATE);
    add("floor", FI_FLOOR_TIME, 0, 0, TYPE_TIME, 2, TYPE_TIME, TYPE_DURATION, 0);

    /* OperationFcts */
    for (int i = 0; i < N_NUM; i++) {
        for (int j = 0; j < N_NUM; j++) {
            enum type_kind r = func_arith_result(numerics[i], numerics[j]);
            for (int op = 0; op < 5; op++)
                A2(op_names[op], FI_ARITH, op, r, numerics[i], numerics[j]);
        }
        A1("_negate", FI_NEGATE, 0, numerics[i], numerics[i]);
    }
    for (int op = FOP_ADD; op <= FOP_SUB; op++) {
        A2(op_names[op], FI_TEMPORAL, op, TYPE_TIMESTAMP, TYPE_TIMESTAMP, TYPE_DURATION);
        A2(op_names[op], FI_TEMPORAL, op, TYPE_DATE, TYPE_DATE, TYPE_DURATION);
    }
    A2("_add", FI_CONCAT, 0, TYPE_VARCHAR, TYPE_VARCHAR, TYPE_VARCHAR);
    A2("_add", FI_CONCAT, 0, TYPE_ASCII, TYPE_ASCII, TYPE_ASCII);
    A2("_add", FI_CONCAT, 0, TYPE_VARCHAR, TYPE_ASCII, TYPE_VARCHAR);
    A2("_add", FI_CONCAT, 0, TYPE_VARCHAR, TYPE_VARCHAR, TYPE_ASCII);

    /* AggregateFcts */
    add("count_rows", FI_AGG, FA_COUNT_ROWS, FF_AGG, TYPE_BIGINT, 0, 0, 0, 0);
    add("countRows", FI_AGG, FA_COUNT_ROWS, FF_AGG, TYPE_BIGINT, 0, 0, 0, 0);
    for (int i = 0; i < N_NUM; i++) {
        add("sum", FI_AGG, FA_SUM, FF_AGG, numerics[i], 1, numerics[i], 0, 0);
        add("avg", FI_AGG, FA_AVG, FF_AGG, numerics[i], 1, numerics[i], 0, 0);
    }
    for (int i = 0; i < N_NAT; i++) {
        add("count", FI_AGG, FA_COUNT, FF_AGG, TYPE_BIGINT, 1, natives[i], 0, 0);
        add("max", FI_AGG, FA_MAX, FF_AGG, natives[i], 1, natives[i], 0, 0);
        add("min", FI_AGG, FA_MIN, FF_AGG, natives[i], 1, natives[i], 0, 0);
    }

    /* BytesConversionFcts */
    for (int i = 0; i < N_NAT; i++) {
        enum type_kind k = natives[i];
        if (k == TYPE_BLOB) continue;
        const char *tn = type_kind_name(k);
        add_legacy(pool_name("%s_as_blob", tn), pool_name("%sasblob", tn), FI_TO_BLOB, 0, 0,
                   TYPE_BLOB, 1, k, 0);
        add_legacy(pool_name("blob_as_%s", tn), pool_name("blobas%s", tn), FI_FROM_BLOB, 0, 0, k, 1,
                   TYPE_BLOB, 0);
    }
    add_legacy("varchar_as_blob", "varcharasblob", FI_TO_BLOB, 0, 0, TYPE_BLOB, 1, TYPE_VARCHAR, 0);
    add_legacy("blob_as_varchar", "blobasvarchar", FI_FROM_BLOB, 0, 0, TYPE_VARCHAR, 1, TYPE_BLOB,
               0);

    /* MathFcts */
    static const char *math_names[] = {"abs", "exp", "log", "log10", "round"};
    for (int i = 0; i < N_NUM; i++)
        for (int m = 0; m < 5; m++)
            A1(math_names[m], FI_MATH, m, numerics[i], numerics[i]);
}

static void init_table(void)
{
    pthread_once(&tab_once, build_table);
}

const struct cql_func *func_find(const char *name, const enum type_kind *kinds, int n)
{
    init_table();
    for (int i = 0; i < ntab; i++) {
        const struct cql_func *f = &tab[i];
        if (f->n != n || strcmp(f->name, name) != 0) continue;
        int ok = 1;
        for (int j = 0; j < n && ok; j++)
            ok = f->arg[j] == kinds[j];
        if (ok) return f;
    }
    return NULL;
}

const struct cql_func *cql_func_count_rows(void)
{
    return func_find("count_rows", NULL, 0);
}

/* ------------------------------------------------------------------ */
/* accessors                                                           */

const struct type *cql_func_return_type(const struct cql_func *f)
{
    return f->dret ? f->dret : type_native(f->ret);
}

int cql_func_arg_count(const struct cql_func *f)
{
    return f->n;
}

const struct type *cql_func_arg_type(const struct cql_func *f, int i)
{
    if (i < 0 || i >= f->n) return NULL;
    if (f->flags & FF_DYNAMIC) return f->darg;
    return type_native(f->arg[i]);
}

const char *cql_func_name(const struct cql_func *f)
{
    /* "system." + name, kept in a per-thread buffer ring so that the
     * static table stays name-only */
    static __thread char ring[4][80];
    static __thread int next;
    char *s = ring[next++ & 3];
    snprintf(s, sizeof(ring[0]), "system.%s", f->name);
    return s;
}

int cql_func_is_aggregate(const struct cql_func *f)
{
    return (f->flags & FF_AGG) != 0;
}

int cql_func_is_pure(const struct cql_func *f)
{
    return (f->flags & FF_IMPURE) == 0;
}

static void put_s(buf *b, const char *s)
{
    buf_put(b, s, strlen(s));
}

void cql_func_describe(const struct cql_func *f, buf *b)
{
    put_s(b, "system.");
    put_s(b, f->name);
    put_s(b, " : (");
    for (int i = 0; i < f->n; i++) {
        if (i) put_s(b, ", ");
        type_format(cql_func_arg_type(f, i), b);
    }
    put_s(b, ") -> ");
    type_format(cql_func_return_type(f), b);
}

/* ------------------------------------------------------------------ */
/* assignment tests                                                    */

static int teq(const struct type *a, const struct type *b)
{
    if (a == b) return 1;
    if (!a || !b || a->kind != b->kind || a->n_params != b->n_params) return 0;
    if (a->kind == TYPE_UDT)
        return a->name && b->name && !strcmp(a->name, b->name) &&
               ((!a->ks && !b->ks) || (a->ks && b->ks && !strcmp(a->ks, b->ks)));
    if (a->kind == TYPE_VECTOR && a->dim != b->dim) return 0;
    if (a->kind == TYPE_CUSTOM) return a->name && b->name && !strcmp(a->name, b->name);
    for (int i = 0; i < a->n_params; i++) /* nested frozen-ness matters */
        if (a->params[i]->frozen != b->params[i]->frozen || !teq(a->params[i], b->params[i]))
            return 0;
    return 1;
}

/* receiver.isValueCompatibleWith(provided) */
static int value_compat(const struct type *recv, const struct type *prov)
{
    if (teq(recv, prov)) return 1;
    enum type_kind r = recv->kind, p = prov->kind;
    switch (r) {
    case TYPE_BLOB: return 1;
    case TYPE_VARCHAR: return p == TYPE_ASCII;
    case TYPE_BIGINT: return p == TYPE_TIMESTAMP;
    case TYPE_TIMESTAMP: return p == TYPE_BIGINT;
    case TYPE_VARINT: return p == TYPE_INT || p == TYPE_BIGINT || p == TYPE_TIMESTAMP;
    case TYPE_UUID: return p == TYPE_TIMEUUID;
    default: return 0;
    }
}

static int type_test(const struct type *prov, const struct type *recv)
{
    if (teq(prov, recv)) return EXACT_MATCH;
    if (value_compat(recv, prov)) return WEAKLY_ASSIGNABLE;
    return NOT_ASSIGNABLE;
}

/* Normalized decimal digits of a number text: sets d (digits without
 * leading/trailing zeros) and e (value = 0.d * 10^e). Returns 0, or -1. */
static int norm_num(const char *s, char *d, size_t dsz, long *e, int *neg)
{
    size_t nd = 0;
    long exp10 = 0, dot = -1, pos = 0;
    int lead = 1;
    *neg = 0;
    if (*s == '-' || *s == '+') *neg = *s++ == '-';
    for (; *s && *s != 'e' && *s != 'E'; s++) {
        if (*s == '.') {
            dot = pos;
            continue;
        }
        if (*s < '0' || *s > '9') return -1;
        pos++;
        if (lead && *s == '0') {
            exp10--;
            continue;
        }
        lead = 0;
        if (nd + 1 >= dsz) return -1;
        d[nd++] = *s;
    }
    if (dot < 0) dot = pos;
    long x = *s ? strtol(s + 1, NULL, 10) : 0;
    while (nd > 0 && d[nd - 1] == '0')
        nd--;
    d[nd] = 0;
    /* leading zeros counted in exp10 cover the integer part too */
    *e = dot + exp10 + x;
    if (nd == 0) *e = 0, *neg = 0;
    return 0;
}

static enum type_kind literal_pref(const struct cql_func_arg *arg)
{
    const char *t = arg->text;
    switch (arg->lit) {
    case TYPE_LIT_STRING:
        if (t)
            for (const unsigned char *c = (const unsigned char *)t; *c; c++)
                if (*c >= 0x80) return TYPE_VARCHAR;
        return TYPE_ASCII;
    case TYPE_LIT_INTEGER: {
        if (!t) return TYPE_INT;
        char *end;
        errno = 0;
        long long v = strtoll(t, &end, 10);
        if (errno == ERANGE) return TYPE_VARINT;
        return v >= INT32_MIN && v <= INT32_MAX ? TYPE_INT : TYPE_BIGINT;
    }
    case TYPE_LIT_FLOAT: {
        if (!t) return TYPE_DOUBLE;
        double d = strtod(t, NULL);
        if (isinf(d)) return TYPE_DECIMAL;
        buf b;
        buf_init(&b);
        func_java_double(d, &b);
        buf_put_u8(&b, 0);
        char d1[512], d2[64];
        long e1, e2;
        int n1, n2;
        int same = buf_ok(&b) && norm_num(t, d1, sizeof(d1), &e1, &n1) == 0 &&
                   norm_num((const char *)b.data, d2, sizeof(d2), &e2, &n2) == 0 &&
                   !strcmp(d1, d2) && e1 == e2 && n1 == n2;
        buf_free(&b);
        return same ? TYPE_DOUBLE : TYPE_DECIMAL;
    }
    case TYPE_LIT_NAN:
    case TYPE_LIT_INFINITY: return TYPE_DOUBLE;
    case TYPE_LIT_BOOLEAN: return TYPE_BOOLEAN;
    case TYPE_LIT_HEX: return TYPE_TINYINT;
    case TYPE_LIT_DURATION: return TYPE_DURATION;
    case TYPE_LIT_UUID: {
        uuid u;
        if (t && uuid_parse(&u, t, strlen(t)) == 0 && uuid_version(&u) == 1) return TYPE_TIMEUUID;
        return TYPE_UUID;
    }
    default: return TYPE_CUSTOM;
    }
}

static int literal_test(const struct cql_func_arg *arg, const struct type *recv)
{
    enum type_kind k = recv->kind;
    if (k == TYPE_LIST || k == TYPE_SET || k == TYPE_MAP || k == TYPE_UDT || k == TYPE_VECTOR ||
        k == TYPE_TUPLE)
        return NOT_ASSIGNABLE;
    if (k == TYPE_CUSTOM) return WEAKLY_ASSIGNABLE;
    if (literal_pref(arg) == k) return EXACT_MATCH;
    switch (arg->lit) {
    case TYPE_LIT_STRING:
        return k == TYPE_ASCII || k == TYPE_VARCHAR || k == TYPE_INET || k == TYPE_DATE ||
               k == TYPE_TIME || k == TYPE_TIMESTAMP;
    case TYPE_LIT_INTEGER:
        return k == TYPE_BIGINT || k == TYPE_COUNTER || k == TYPE_DATE || k == TYPE_DECIMAL ||
               k == TYPE_DOUBLE || k == TYPE_DURATION || k == TYPE_FLOAT || k == TYPE_INT ||
               k == TYPE_SMALLINT || k == TYPE_TIME || k == TYPE_TIMESTAMP || k == TYPE_TINYINT ||
               k == TYPE_VARINT;
    case TYPE_LIT_UUID: return k == TYPE_UUID || k == TYPE_TIMEUUID;
    case TYPE_LIT_FLOAT:
    case TYPE_LIT_NAN:
    case TYPE_LIT_INFINITY: return k == TYPE_DECIMAL || k == TYPE_DOUBLE || k == TYPE_FLOAT;
    case TYPE_LIT_BOOLEAN: return k == TYPE_BOOLEAN;
    case TYPE_LIT_HEX: return k == TYPE_BLOB;
    case TYPE_LIT_DURATION: return k == TYPE_DURATION;
    default: return NOT_ASSIGNABLE;
    }
}

static int arg_test(const struct cql_func_arg *arg, const struct type *recv)
{
    if (arg->is_marker) return WEAKLY_ASSIGNABLE;
    if (arg->is_null) return recv->kind == TYPE_COUNTER ? NOT_ASSIGNABLE : WEAKLY_ASSIGNABLE;
    if (arg->type) return type_test(arg->type, recv);
    if (arg->lit >= 0) return literal_test(arg, recv);
    return WEAKLY_ASSIGNABLE;
}

static const char *arg_str(const struct cql_func_arg *arg)
{
    if (arg->text) return arg->text;
    if (arg->is_null) return "NULL";
    return "?";
}

static int match_args(const struct cql_func *f, const struct cql_func_arg *args, int n)
{
    if (n != f->n) return NOT_ASSIGNABLE;
    int res = EXACT_MATCH;
    for (int i = 0; i < n; i++) {
        int r = arg_test(&args[i], cql_func_arg_type(f, i));
        if (r == NOT_ASSIGNABLE) return NOT_ASSIGNABLE;
        if (r == WEAKLY_ASSIGNABLE) res = WEAKLY_ASSIGNABLE;
    }
    return res;
}

static int validate_one(const struct cql_func *f, const struct cql_func_arg *args, int n, char *err,
                        size_t errsz)
{
    if (n != f->n)
        return func_fail(err, errsz,
                         "Invalid number of arguments in call to function system.%s: %d required "
                         "but %d provided",
                         f->name, f->n, n);
    for (int i = 0; i < n; i++) {
        if (args[i].is_marker) continue;
        const struct type *t = cql_func_arg_type(f, i);
        if (arg_test(&args[i], t) == NOT_ASSIGNABLE) {
            buf b;
            buf_init(&b);
            type_format(t, &b);
            func_fail(err, errsz,
                      "Type error: %s cannot be passed as argument %d of function system.%s of "
                      "type %.*s",
                      arg_str(&args[i]), i, f->name, (int)b.len, b.data ? (char *)b.data : "");
            buf_free(&b);
            return -1;
        }
    }
    return 0;
}

static void list_sigs(const struct cql_func **fs, int n, char *dst, size_t dsz)
{
    buf b;
    buf_init(&b);
    for (int i = 0; i < n; i++) {
        if (i) put_s(&b, ", ");
        cql_func_describe(fs[i], &b);
    }
    snprintf(dst, dsz, "%.*s", (int)b.len, b.data ? (char *)b.data : "");
    buf_free(&b);
}

static char op_symbol(const char *name)
{
    static const char syms[] = "+-*/%";
    for (int i = 0; i < 5; i++)
        if (!strcmp(name, op_names[i])) return syms[i];
    return 0;
}

const struct cql_func *cql_func_resolve(const char *ks, const char *name,
                                        const struct cql_func_arg *args, int n,
                                        const struct type *receiver, arena *a, char *err,
                                        size_t errsz)
{
    init_table();
    char shown[160];
    if (ks)
        snprintf(shown, sizeof(shown), "%s.%s", ks, name);
    else
        snprintf(shown, sizeof(shown), "%s", name);
    if (ks && strcmp(ks, "system") != 0) {
        func_fail(err, errsz, "Unknown function %s called", shown);
        return NULL;
    }
    if (func_is_coll_factory(name)) {
        const struct cql_func *f = func_coll_build(name, args, n, a, err, errsz);
        if (f && validate_one(f, args, n, err, errsz)) return NULL;
        return f;
    }
    /* COUNT(*) is count_rows; "countrows" is accepted for the executor */
    if (!strcmp(name, "countrows")) name = "count_rows";
    enum { MAXC = 512 };
    const struct cql_func *cands[MAXC];
    int nc = 0;
    for (int i = 0; i < ntab && nc < MAXC; i++)
        if (!strcmp(tab[i].name, name)) cands[nc++] = &tab[i];
    if (nc == 0) {
        func_fail(err, errsz, "Unknown function %s called", shown);
        return NULL;
    }
    if (nc == 1) return validate_one(cands[0], args, n, err, errsz) ? NULL : cands[0];

    const struct cql_func *compat[MAXC];
    int ncompat = 0;
    for (int i = 0; i < nc; i++) {
        const struct cql_func *f = cands[i];
        if (receiver && type_test(cql_func_return_type(f), receiver) == NOT_ASSIGNABLE) continue;
        int r = match_args(f, args, n);
        if (r == EXACT_MATCH) return f;
        if (r == WEAKLY_ASSIGNABLE) compat[ncompat++] = f;
    }
    int is_sys = ks != NULL; /* operators are resolved qualified */
    char sym = is_sys ? op_symbol(name) : 0;
    if (ncompat == 0) {
        if (sym && n == 2) {
            func_fail(err, errsz, "the '%c' operation is not supported between %s and %s", sym,
                      arg_str(&args[0]), arg_str(&args[1]));
            return NULL;
        }
        char sigs[4096];
        list_sigs(cands, nc, sigs, sizeof(sigs));
        func_fail(err, errsz,
                  "Invalid call to function %s, none of its type signatures match (known type "
                  "signatures: %s)",
                  shown, sigs);
        return NULL;
    }
    if (ncompat > 1) {
        if (sym) {
            int markers = 0;
            for (int i = 0; i < n; i++)
                markers |= args[i].is_marker;
            if (receiver && !markers)
                for (int i = 0; i < ncompat; i++)
                    if (teq(receiver, cql_func_arg_type(compat[i], 0)) &&
                        teq(receiver, cql_func_arg_type(compat[i], 1)))
                        return compat[i];
            func_fail(err, errsz, "Ambiguous '%c' operation: use type casts to disambiguate", sym);
            return NULL;
        }
        if (is_sys && !strcmp(name, "_negate")) {
            func_fail(err, errsz, "Ambiguous negation: use type casts to disambiguate");
            return NULL;
        }
        char sigs[4096];
        list_sigs(compat, ncompat, sigs, sizeof(sigs));
        func_fail(err, errsz,
                  "Ambiguous call to function %s (can be matched by following signatures: %s): "
                  "use type casts to disambiguate",
                  shown, sigs);
        return NULL;
    }
    return compat[0];
}

int cql_func_cast(const struct type *from, const char *arg_text, const struct type *to,
                  const struct cql_func **out, char *err, size_t errsz)
{
    *out = NULL;
    if (teq(from, to)) return 0;
    char name[64];
    snprintf(name, sizeof(name), "cast_as_%s", type_kind_name(to->kind));
    struct cql_func_arg arg = {.type = from, .lit = -1, .text = arg_text};
    int known = to->kind < TYPE_LIST && type_native(to->kind) != NULL;
    if (known) {
        init_table();
        known = 0;
        for (int i = 0; i < ntab && !known; i++)
            known = !strcmp(tab[i].name, name);
    }
    if (!known) {
        buf b;
        buf_init(&b);
        type_format(to, &b);
        func_fail(err, errsz, "%s cannot be cast to %.*s", arg_text ? arg_text : "?", (int)b.len,
                  b.data ? (char *)b.data : "");
        buf_free(&b);
        return -1;
    }
    const struct cql_func *f = cql_func_resolve("system", name, &arg, 1, NULL, NULL, err, errsz);
    if (!f) return -1;
    *out = f;
    return 0;
}

/* ------------------------------------------------------------------ */
/* calls                                                               */

/* AbstractType.getSerializer().toCQLLiteralNoQuote */
static int to_text(enum type_kind k, struct type_val v, buf *out)
{
    switch (k) {
    case TYPE_ASCII:
    case TYPE_VARCHAR: buf_put(out, v.p, (size_t)v.len); return 0;
    case TYPE_FLOAT:
    case TYPE_DOUBLE: return func_to_text(k, v, out);
    case TYPE_BOOLEAN: put_s(out, v.p[0] ? "true" : "false"); return 0;
    case TYPE_TIMESTAMP: {
        int64_t ms = (int64_t)be64(v.p);
        int64_t days = ms / 86400000, rem = ms % 86400000;
        if (rem < 0) rem += 86400000, days--;
        int64_t y;
        int m, d;
        val_civil_from_days(days, &y, &m, &d);
        buf_printf(out, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d.%03dZ", y, m, d,
                   (int)(rem / 3600000), (int)(rem / 60000 % 60), (int)(rem / 1000 % 60),
                   (int)(rem % 1000));
        return 0;
    }
    case TYPE_DATE: {
        int64_t y;
        int m, d;
        val_civil_from_days((int64_t)be32(v.p) - INT64_C(2147483648), &y, &m, &d);
        buf_printf(out, "%04" PRId64 "-%02d-%02d", y, m, d);
        return 0;
    }
    case TYPE_TIME: {
        int64_t ns = (int64_t)be64(v.p), s = ns / 1000000000;
        buf_printf(out, "%02d:%02d:%02d.%09d", (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60),
                   (int)(ns % 1000000000));
        return 0;
    }
    case TYPE_INET:
        if (v.len == 4) {
            buf_printf(out, "%u.%u.%u.%u", v.p[0], v.p[1], v.p[2], v.p[3]);
        } else { /* Java's Inet6Address.getHostAddress: no :: compression */
            for (int i = 0; i < 8; i++)
                buf_printf(out, i ? ":%x" : "%x", (unsigned)be16(v.p + 2 * i));
        }
        return 0;
    case TYPE_DECIMAL:
    case TYPE_VARINT:
    case TYPE_UUID:
    case TYPE_TIMEUUID:
    case TYPE_TINYINT:
    case TYPE_SMALLINT:
    case TYPE_INT:
    case TYPE_BIGINT:
    case TYPE_COUNTER: return type_format_value(type_native(k), v.p, v.len, out) ? -1 : 0;
    default: return -1;
    }
}

static int call_cast(const struct cql_func *f, const struct type_val *args, buf *out, char *err,
                     size_t errsz)
{
    enum type_kind from = f->arg[0], to = f->ret;
    if (to == TYPE_ASCII || to == TYPE_VARCHAR) {
        if (to_text(from, args[0], out) || !buf_ok(out))
            return func_fail(err, errsz, "Out of memory");
        return 0;
    }
    if (to == TYPE_DATE || to == TYPE_TIMESTAMP) {
        int64_t ms = func_time_ms(from, args[0].p);
        if (to == TYPE_TIMESTAMP) {
            buf_put_be64(out, (uint64_t)ms);
            return 0;
        }
        uint32_t raw = 0;
        if (func_date_from_ms(ms, &raw, err, errsz)) return -1;
        buf_put_be32(out, raw);
        return 0;
    }
    return func_num_cast(from, args[0], to, out, err, errsz);
}

static void hex_of(const uint8_t *p, int32_t n, char *dst, size_t dsz)
{
    static const char hx[] = "0123456789abcdef";
    size_t k = 0;
    for (int32_t i = 0; i < n && k + 3 < dsz; i++) {
        dst[k++] = hx[p[i] >> 4];
        dst[k++] = hx[p[i] & 15];
    }
    dst[k] = 0;
}

int cql_func_call(const struct cql_func *f, int64_t now_ms, const struct type_val *args, int n,
                  arena *a, struct type_val *out, char *err, size_t errsz)
{
    out->p = NULL;
    out->len = -1;
    if (f->flags & FF_AGG) return func_fail(err, errsz, "%s is an aggregate", cql_func_name(f));
    if (n != f->n)
        return func_fail(err, errsz,
                         "Invalid number of arguments in call to function system.%s: %d required "
                         "but %d provided",
                         f->name, f->n, n);
    /* null / empty handling: blob conversions pass values through */
    int passthrough = f->impl == FI_TO_BLOB || f->impl == FI_FROM_BLOB;
    for (int i = 0; i < n; i++) {
        const struct type *t = cql_func_arg_type(f, i);
        if (args[i].len < 0) return 0;
        if (args[i].len == 0) {
            if (passthrough) continue;
            if (func_empty_is_null(t->kind) || (f->flags & FF_DYNAMIC)) return 0;
            continue;
        }
        if (!passthrough && type_validate(t, args[i].p, args[i].len, err, errsz)) return -1;
    }
    buf b;
    buf_init(&b);
    int rc = 0;
    switch (f->impl) {
    case FI_TO_BLOB:
        if (args[0].len < 0) return 0;
        rc = func_out_copy(a, args[0].p, (size_t)args[0].len, out)
                 ? func_fail(err, errsz, "Out of memory")
                 : 0;
        buf_free(&b);
        return rc;
    case FI_FROM_BLOB: {
        const struct type *t = type_native(f->ret);
        if (type_validate(t, args[0].p, args[0].len, NULL, 0)) {
            char hex[2 * 64 + 1];
            hex_of(args[0].p, args[0].len, hex, sizeof(hex));
            buf_free(&b);
            return func_fail(err, errsz,
                             "In call to function system.%s, value 0x%s is not a valid binary "
                             "representation for type %s",
                             f->name, hex, type_kind_name(f->ret));
        }
        rc = func_out_copy(a, args[0].p, (size_t)args[0].len, out)
                 ? func_fail(err, errsz, "Out of memory")
                 : 0;
        buf_free(&b);
        return rc;
    }
    case FI_NOW:
    case FI_UUID:
    case FI_MIN_TU:
    case FI_MAX_TU:
    case FI_TO_DATE:
    case FI_TO_TS:
    case FI_TO_UNIX:
    case FI_FLOOR:
    case FI_FLOOR_TIME: rc = func_call_time(f, now_ms, args, &b, err, errsz); break;
    case FI_CAST: rc = call_cast(f, args, &b, err, errsz); break;
    case FI_ARITH:
    case FI_TEMPORAL: {
        char inner[256];
        if (f->impl == FI_ARITH)
            rc = func_arith(f->ret, f->sub, f->arg[0], args[0], f->arg[1], args[1], &b, inner,
                            sizeof(inner));
        else
            rc = func_temporal_op(f->ret, f->sub, args[0], args[1], &b, inner, sizeof(inner));
        if (rc)
            func_fail(err, errsz, "the operation '%s %c %s' failed: %s", type_kind_name(f->arg[0]),
                      "+-*/%"[f->sub], type_kind_name(f->arg[1]), inner);
        break;
    }
    case FI_NEGATE: rc = func_negate(f->ret, args[0], &b, err, errsz); break;
    case FI_CONCAT:
        buf_put(&b, args[0].p, (size_t)args[0].len);
        buf_put(&b, args[1].p, (size_t)args[1].len);
        break;
    case FI_MATH: rc = func_math(f->sub, f->ret, args[0], &b, err, errsz); break;
    case FI_MAP_KEYS:
    case FI_MAP_VALUES:
    case FI_COLL_COUNT:
    case FI_COLL_AGG: buf_free(&b); return func_call_coll(f, args, a, out, err, errsz);
    default: rc = func_fail(err, errsz, "Unsupported function %s", f->name); break;
    }
    if (rc == 0) rc = func_out_buf(a, &b, out, err, errsz);
    buf_free(&b);
    return rc;
}

/* ------------------------------------------------------------------ */
/* aggregates                                                          */

struct minmax {
    uint8_t *p;
    int32_t len; /* -1: nothing yet */
};

union aggst {
    int64_t count;
    struct minmax mm;
    _Alignas(16) uint8_t num[256];
};

size_t cql_agg_state_size(const struct cql_func *f)
{
    (void)f;
    return sizeof(union aggst);
}

void cql_agg_init(const struct cql_func *f, void *state)
{
    union aggst *s = state;
    memset(s, 0, sizeof(*s));
    switch (f->sub) {
    case FA_MIN:
    case FA_MAX: s->mm.len = -1; break;
    case FA_SUM:
    case FA_AVG: func_numagg_init(s->num, f->sub, f->arg[0]); break;
    default: break;
    }
}

int cql_agg_add(const struct cql_func *f, void *state, const struct type_val *args, int n,
                char *err, size_t errsz)
{
    union aggst *s = state;
    if (!(f->flags & FF_AGG))
        return func_fail(err, errsz, "%s is not an aggregate", cql_func_name(f));
    switch (f->sub) {
    case FA_COUNT_ROWS: s->count++; return 0;
    case FA_COUNT:
        if (n >= 1 && args[0].len >= 0) s->count++;
        return 0;
    case FA_MIN:
    case FA_MAX: {
        if (n < 1 || args[0].len < 0) return 0;
        const struct type *t = type_native(f->arg[0]);
        if (s->mm.len >= 0) {
            int c = type_compare(t, s->mm.p, s->mm.len, args[0].p, args[0].len);
            if (f->sub == FA_MIN ? c <= 0 : c >= 0) return 0;
        }
        uint8_t *p = mem_alloc(args[0].len ? (size_t)args[0].len : 1);
        if (!p) return func_fail(err, errsz, "Out of memory");
        memcpy(p, args[0].p, (size_t)args[0].len);
        mem_free(s->mm.p);
        s->mm.p = p;
        s->mm.len = args[0].len;
        return 0;
    }
    default:
        if (n < 1) return 0;
        return func_numagg_add(s->num, args[0], err, errsz);
    }
}

int cql_agg_result(const struct cql_func *f, void *state, arena *a, struct type_val *out, char *err,
                   size_t errsz)
{
    union aggst *s = state;
    out->p = NULL;
    out->len = -1;
    switch (f->sub) {
    case FA_COUNT_ROWS:
    case FA_COUNT: {
        uint8_t be[8];
        put_be64(be, (uint64_t)s->count);
        return func_out_copy(a, be, 8, out) ? func_fail(err, errsz, "Out of memory") : 0;
    }
    case FA_MIN:
    case FA_MAX:
        if (s->mm.len < 0) return 0;
        return func_out_copy(a, s->mm.p, (size_t)s->mm.len, out)
                   ? func_fail(err, errsz, "Out of memory")
                   : 0;
    default: {
        buf b;
        buf_init(&b);
        int rc = func_numagg_result(s->num, &b, err, errsz);
        if (rc == 0) rc = func_out_buf(a, &b, out, err, errsz);
        buf_free(&b);
        return rc;
    }
    }
}

void cql_agg_destroy(const struct cql_func *f, void *state)
{
    union aggst *s = state;
    switch (f->sub) {
    case FA_MIN:
    case FA_MAX:
        mem_free(s->mm.p);
        s->mm.p = NULL;
        s->mm.len = -1;
        break;
    case FA_SUM:
    case FA_AVG: func_numagg_destroy(s->num); break;
    default: break;
    }
}
