/*
 * test_json.c -- JSON for CQL values (src/types/json.h): the strict parser,
 * toJson()/SELECT JSON text of every type, fromJson()/INSERT JSON reading
 * with Cassandra's messages, round trips, INSERT JSON key lookup, and an OOM
 * loop over the allocating paths.
 *
 * Expected texts and messages come from Cassandra's JsonTest
 * (test/unit/org/apache/cassandra/cql3/validation/entities/JsonTest.java)
 * where it has them, else from the db.marshal *Type.toJSONString /
 * fromJSONObject code and the Java library behaviour it relies on
 * (Double.toString, SimpleDateFormat, InetAddress.getHostAddress, Jackson).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "types/json.h"
#include "types/type.h"
#include "types/value.h"
#include "util/arena.h"
#include "util/mem.h"

static char err[1024];
static arena A;

static const struct type *N(enum type_kind k)
{
    return type_native(k);
}

static struct type *parsed[128];
static int n_parsed;

static const struct type *P(const char *s)
{
    char e[128];
    struct type *t = type_parse(s, strlen(s), NULL, e, sizeof(e));
    if (!t) fail_msg("type_parse(%s): %s", s, e);
    assert_true(n_parsed < 128);
    parsed[n_parsed++] = t;
    return t;
}

static int setup(void **st)
{
    (void)st;
    arena_init(&A, 4096);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    for (int i = 0; i < n_parsed; i++)
        type_free(parsed[i]);
    n_parsed = 0;
    arena_destroy(&A);
    return 0;
}

/* UDT ut (a int, b uuid, c set<text>) -- JsonTest's type. */
static struct type *ut_params[3];
static char *ut_names[3] = {"a", "b", "c"};
static struct type ut = {.kind = TYPE_UDT,
                         .frozen = 1,
                         .n_params = 3,
                         .params = ut_params,
                         .field_names = ut_names,
                         .ks = "ks",
                         .name = "ut"};

/* UDT cs (a int, "Foo" int) -- JsonTest.testCaseSensitivity. */
static struct type *cs_params[2];
static char *cs_names[2] = {"a", "Foo"};
static struct type cs = {.kind = TYPE_UDT,
                         .frozen = 1,
                         .n_params = 2,
                         .params = cs_params,
                         .field_names = cs_names,
                         .ks = "ks",
                         .name = "cs"};

/* UDT ua (a int) as a map key. */
static struct type *ua_params[1];
static char *ua_names[1] = {"a"};
static struct type ua = {.kind = TYPE_UDT,
                         .frozen = 1,
                         .n_params = 1,
                         .params = ua_params,
                         .field_names = ua_names,
                         .ks = "ks",
                         .name = "ua"};

static void init_udts(void)
{
    ut_params[0] = (struct type *)N(TYPE_INT);
    ut_params[1] = (struct type *)N(TYPE_UUID);
    ut_params[2] = (struct type *)P("set<text>");
    cs_params[0] = (struct type *)N(TYPE_INT);
    cs_params[1] = (struct type *)N(TYPE_INT);
    ua_params[0] = (struct type *)N(TYPE_INT);
}

static struct json_val *J(const char *s)
{
    struct json_val *v = NULL;
    int rc = json_parse(s, strlen(s), &A, &v, err, sizeof(err));
    if (rc) fail_msg("json_parse(%s): %s", s, err);
    return v;
}

static void out_eq(const buf *b, const char *want)
{
    if (b->len != strlen(want) || memcmp(b->data, want, b->len) != 0)
        fail_msg("got [%.*s], want [%s]", (int)b->len, b->data ? (char *)b->data : "", want);
}

/* value p[0..len) of t prints as want */
static void tj(const struct type *t, const void *p, int32_t len, const char *want)
{
    buf b;
    buf_init(&b);
    assert_int_equal(type_to_json(t, p, len, &b), 0);
    out_eq(&b, want);
    buf_free(&b);
}

/* CQL literal -> value -> JSON */
static void tjl(const struct type *t, enum type_lit k, const char *lit, const char *want)
{
    buf v;
    buf_init(&v);
    int rc = type_from_literal(t, k, lit, strlen(lit), &v, err, sizeof(err));
    if (rc) fail_msg("literal %s: %d %s", lit, rc, err);
    tj(t, v.data, (int32_t)v.len, want);
    buf_free(&v);
}

/* JSON text -> value of t -> JSON text want */
static void rt(const struct type *t, const char *json, const char *want)
{
    buf v;
    buf_init(&v);
    int rc = type_from_json(t, J(json), &v, err, sizeof(err));
    if (rc) fail_msg("from_json(%s): %d %s", json, rc, err);
    tj(t, v.data, (int32_t)v.len, want);
    buf_free(&v);
}

/* JSON text -> value bytes, as hex */
static void fj_hex(const struct type *t, const char *json, const char *hex)
{
    buf v;
    buf_init(&v);
    int rc = type_from_json(t, J(json), &v, err, sizeof(err));
    if (rc) fail_msg("from_json(%s): %d %s", json, rc, err);
    char got[512];
    size_t k = 0;
    for (size_t i = 0; i < v.len && k + 3 < sizeof(got); i++)
        k += (size_t)snprintf(got + k, sizeof(got) - k, "%02x", v.data[i]);
    got[k] = 0;
    if (strcmp(got, hex) != 0) fail_msg("from_json(%s) = %s, want %s", json, got, hex);
    buf_free(&v);
}

/* JSON text is rejected for t with exactly message want */
static void fj_err(const struct type *t, const char *json, const char *want)
{
    buf v;
    buf_init(&v);
    buf_put(&v, "xy", 2);
    err[0] = 0;
    int rc = type_from_json(t, J(json), &v, err, sizeof(err));
    if (rc != TYPE_EINVAL) fail_msg("from_json(%s) = %d, want error [%s]", json, rc, want);
    if (strcmp(err, want) != 0) fail_msg("from_json(%s): got [%s], want [%s]", json, err, want);
    assert_int_equal(v.len, 2); /* output restored */
    buf_free(&v);
}

/* ---------------------------------------------------------------- parser */

static void test_parse_values(void **st)
{
    (void)st;
    struct json_val *v =
        J(" {\"a\": [1, -0, 2.5e-3, true, false, null], \"b\": {}, \"a\": \"x\"} ");
    assert_int_equal(v->kind, JSON_OBJECT);
    assert_int_equal(v->n_items, 3);
    const struct json_val *a = v->members[0].val;
    assert_int_equal(a->kind, JSON_ARRAY);
    assert_int_equal(a->n_items, 6);
    assert_string_equal(a->items[0]->s, "1");
    assert_true(a->items[0]->is_int);
    assert_string_equal(a->items[1]->s, "-0");
    assert_string_equal(a->items[2]->s, "2.5e-3");
    assert_false(a->items[2]->is_int);
    assert_int_equal(a->items[3]->kind, JSON_BOOL);
    assert_int_equal(a->items[3]->b, 1);
    assert_int_equal(a->items[4]->b, 0);
    assert_int_equal(a->items[5]->kind, JSON_NULL);
    /* duplicate keys are kept; lookups take the last */
    const struct json_val *x = json_object_get(v, "a", 1);
    assert_int_equal(x->kind, JSON_STRING);
    assert_string_equal(x->s, "x");
    assert_int_equal(json_object_get(v, "b", 1)->kind, JSON_OBJECT);
    assert_null(json_object_get(v, "c", 1));

    /* escapes, \u0000, BMP and surrogate pairs */
    v = J("\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000\\u00e9\\u20AC\\ud83d\\ude00\"");
    assert_int_equal(v->kind, JSON_STRING);
    static const char want[] = "a\"\\/\b\f\n\r\t\0\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
    assert_int_equal(v->n, sizeof(want) - 1);
    assert_memory_equal(v->s, want, v->n);
    /* raw UTF-8 passes */
    v = J("\"\xe2\x80\x93\xf4\x8f\xbf\xbf\"");
    assert_int_equal(v->n, 7);
    /* scalars at the top, nesting */
    assert_int_equal(J("0")->kind, JSON_NUMBER);
    assert_int_equal(J("\t\r\n null \n")->kind, JSON_NULL);
    v = J("[[[[]]], {\"k\": [{}]}]");
    assert_int_equal(v->n_items, 2);
    assert_int_equal(v->items[0]->items[0]->items[0]->n_items, 0);
    assert_string_equal(v->items[1]->members[0].key, "k");
    /* keys can hold NUL */
    v = J("{\"a\\u0000b\": 1}");
    assert_int_equal(v->members[0].key_n, 3);
    assert_non_null(json_object_get(v, "a\0b", 3));
}

static void test_parse_errors(void **st)
{
    (void)st;
    static const char *bad[] = {
        "",
        " ",
        "01",
        "1.",
        ".5",
        "+1",
        "-",
        "1e",
        "1e+",
        "-a",
        "[1,]",
        "[,1]",
        "[1 2]",
        "{,}",
        "{\"a\"}",
        "{\"a\":}",
        "{\"a\":1,}",
        "{a:1}",
        "{'a':1}",
        "tru",
        "nul",
        "falsy",
        "NaN",
        "Infinity",
        "\"abc",
        "\"\\x\"",
        "\"\\u12\"",
        "\"\\u12g4\"",
        "\"\\ud800\"",
        "\"\\udc00\"",
        "\"\\ud800\\u0041\"",
        "\"\\ud800x\"",
        "\"\x01\"",
        "\"\t\"",
        "\"\xff\"",
        "\"\xc0\x80\"",
        "\"\xed\xa0\x80\"",
        "\"\xf4\x90\x80\x80\"",
        "\"\xe2\x82\"",
        "1 2",
        "[1] x",
        "{} {}",
        "]",
        "}",
        "[",
        "{",
        "\"\\",
        "[\"a\\\"]",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct json_val *v = (struct json_val *)1;
        err[0] = 0;
        int rc = json_parse(bad[i], strlen(bad[i]), &A, &v, err, sizeof(err));
        if (rc != TYPE_EINVAL) fail_msg("accepted [%s]", bad[i]);
        assert_null(v);
        assert_true(err[0] != 0);
    }
    /* NUL bytes outside strings */
    struct json_val *v;
    assert_int_equal(json_parse("1\0", 2, &A, &v, err, sizeof(err)), TYPE_EINVAL);
    assert_int_equal(json_parse("\"a\0\"", 4, &A, &v, err, sizeof(err)), TYPE_EINVAL);
    /* messages carry the offset */
    json_parse("[1, x]", 6, &A, &v, err, sizeof(err));
    assert_string_equal(err, "Expected a value: unexpected character 'x' at offset 4");
    json_parse("\"\\ud800\"", 8, &A, &v, err, sizeof(err));
    assert_string_equal(err, "Lone surrogate \\uD800 at offset 1");
    json_parse("[1] x", 5, &A, &v, err, sizeof(err));
    assert_string_equal(err,
                        "Trailing data after the JSON value: unexpected character 'x' at offset 4");
    /* depth: JSON_MAX_DEPTH levels pass, one more fails */
    char deep[2 * JSON_MAX_DEPTH + 3];
    for (int d = JSON_MAX_DEPTH; d <= JSON_MAX_DEPTH + 1; d++) {
        for (int i = 0; i < d; i++) {
            deep[i] = '[';
            deep[d + i] = ']';
        }
        int rc = json_parse(deep, (size_t)(2 * d), &A, &v, err, sizeof(err));
        assert_int_equal(rc, d == JSON_MAX_DEPTH ? 0 : TYPE_EINVAL);
    }
    assert_string_equal(err, "Nesting deeper than 512 levels at offset 512");
}

/* --------------------------------------------------------- toJson, scalars */

static void test_to_json_scalars(void **st)
{
    (void)st;
    tj(N(TYPE_INT), NULL, -1, "null");
    tjl(N(TYPE_ASCII), TYPE_LIT_STRING, "ascii text", "\"ascii text\"");
    tjl(N(TYPE_ASCII), TYPE_LIT_STRING, "", "\"\"");
    tjl(N(TYPE_BIGINT), TYPE_LIT_INTEGER, "123123123123", "123123123123");
    tjl(N(TYPE_BIGINT), TYPE_LIT_INTEGER, "0", "0");
    tjl(N(TYPE_BIGINT), TYPE_LIT_INTEGER, "-123123123123", "-123123123123");
    tjl(N(TYPE_BIGINT), TYPE_LIT_INTEGER, "-9223372036854775808", "-9223372036854775808");
    tj(N(TYPE_BLOB), "\x00\x00\x00\x01", 4, "\"0x00000001\"");
    tj(N(TYPE_BLOB), "", 0, "\"0x\"");
    tj(N(TYPE_BLOB), "\xca\xfe", 2, "\"0xcafe\"");
    tj(N(TYPE_BOOLEAN), "\x01", 1, "true");
    tj(N(TYPE_BOOLEAN), "\x00", 1, "false");
    tjl(N(TYPE_DATE), TYPE_LIT_STRING, "1987-03-23", "\"1987-03-23\"");
    tjl(N(TYPE_DECIMAL), TYPE_LIT_FLOAT, "123123.123123", "123123.123123");
    tjl(N(TYPE_DECIMAL), TYPE_LIT_FLOAT, "-1.23E-12", "-1.23E-12");
    tjl(N(TYPE_DECIMAL), TYPE_LIT_FLOAT, "1.50", "1.50");
    tjl(N(TYPE_DOUBLE), TYPE_LIT_FLOAT, "123123.123123", "123123.123123");
    tjl(N(TYPE_DOUBLE), TYPE_LIT_INTEGER, "123123", "123123.0");
    tjl(N(TYPE_FLOAT), TYPE_LIT_FLOAT, "123.123", "123.123");
    tjl(N(TYPE_FLOAT), TYPE_LIT_INTEGER, "123123", "123123.0");
    tjl(N(TYPE_INET), TYPE_LIT_STRING, "127.0.0.1", "\"127.0.0.1\"");
    tjl(N(TYPE_INET), TYPE_LIT_STRING, "::1", "\"0:0:0:0:0:0:0:1\"");
    tjl(N(TYPE_INET), TYPE_LIT_STRING, "2001:db8::ff00:42:8329", "\"2001:db8:0:0:0:ff00:42:8329\"");
    tj(N(TYPE_INET), "\0\0\0\0\0\0\0\0\0\0\xff\xff\x0a\0\0\x01", 16, "\"10.0.0.1\"");
    tjl(N(TYPE_INT), TYPE_LIT_INTEGER, "123123", "123123");
    tjl(N(TYPE_INT), TYPE_LIT_INTEGER, "0", "0");
    tjl(N(TYPE_INT), TYPE_LIT_INTEGER, "-123123", "-123123");
    tjl(N(TYPE_SMALLINT), TYPE_LIT_INTEGER, "32767", "32767");
    tjl(N(TYPE_SMALLINT), TYPE_LIT_INTEGER, "-32768", "-32768");
    tjl(N(TYPE_TINYINT), TYPE_LIT_INTEGER, "127", "127");
    tjl(N(TYPE_TINYINT), TYPE_LIT_INTEGER, "-128", "-128");
    tjl(N(TYPE_VARCHAR), TYPE_LIT_STRING, "", "\"\"");
    tjl(N(TYPE_VARCHAR), TYPE_LIT_STRING, "abcd", "\"abcd\"");
    tjl(N(TYPE_VARCHAR), TYPE_LIT_STRING, "\xe8\x90\xa2", "\"\xe8\x90\xa2\"");
    tj(N(TYPE_VARCHAR), "\0", 1, "\"\\u0000\"");
    /* Jackson's quoting: named escapes, \u00XX upper-case, DEL and / as is */
    tj(N(TYPE_VARCHAR), "a\"b\\c\b\f\n\r\t\x01\x1f\x7f/", 14,
       "\"a\\\"b\\\\c\\b\\f\\n\\r\\t\\u0001\\u001F\x7f/\"");
    tjl(N(TYPE_TIME), TYPE_LIT_INTEGER, "123", "\"00:00:00.000000123\"");
    tjl(N(TYPE_TIME), TYPE_LIT_STRING, "07:35:07.000111222", "\"07:35:07.000111222\"");
    tjl(N(TYPE_TIME), TYPE_LIT_STRING, "23:59:59.999999999", "\"23:59:59.999999999\"");
    tjl(N(TYPE_TIMESTAMP), TYPE_LIT_STRING, "2014-01-01", "\"2014-01-01 00:00:00.000Z\"");
    tjl(N(TYPE_TIMESTAMP), TYPE_LIT_STRING, "2011-02-03 04:05:00.123+0100",
        "\"2011-02-03 03:05:00.123Z\"");
    tjl(N(TYPE_TIMESTAMP), TYPE_LIT_INTEGER, "-1", "\"1969-12-31 23:59:59.999Z\"");
    tjl(N(TYPE_TIMEUUID), TYPE_LIT_UUID, "6bddc89a-5644-11e4-97fc-56847afe9799",
        "\"6bddc89a-5644-11e4-97fc-56847afe9799\"");
    tjl(N(TYPE_UUID), TYPE_LIT_UUID, "6BDDC89A-5644-11E4-97FC-56847AFE9799",
        "\"6bddc89a-5644-11e4-97fc-56847afe9799\"");
    tjl(N(TYPE_VARINT), TYPE_LIT_INTEGER, "123123123123123123123", "123123123123123123123");
    tjl(N(TYPE_VARINT), TYPE_LIT_INTEGER, "-1", "-1");
    tjl(N(TYPE_DURATION), TYPE_LIT_DURATION, "12\xc2\xb5s", "\"12us\"");
    tjl(N(TYPE_DURATION), TYPE_LIT_DURATION, "P1Y1M2DT10H5M", "\"1y1mo2d10h5m\"");
    tjl(N(TYPE_DURATION), TYPE_LIT_DURATION, "6h40m", "\"6h40m\"");
    tjl(N(TYPE_DURATION), TYPE_LIT_DURATION, "-3d", "\"-3d\"");
    tjl(N(TYPE_DURATION), TYPE_LIT_DURATION, "1h1ms1ns", "\"1h1ms1ns\"");
    tj(N(TYPE_DURATION), "\0\0\0", 3, "\"\"");
    tj(N(TYPE_COUNTER), "\0\0\0\0\0\0\0\x2a", 8, "42");
    /* empty values of non-string types: Objects.toString(null, "\"\"") */
    tj(N(TYPE_INT), "", 0, "\"\"");
    tj(N(TYPE_BIGINT), "", 0, "\"\"");
    tj(N(TYPE_DOUBLE), "", 0, "\"\"");
    tj(N(TYPE_FLOAT), "", 0, "\"\"");
    tj(N(TYPE_BOOLEAN), "", 0, "\"\"");
    tj(N(TYPE_TIMESTAMP), "", 0, "\"\"");
    tj(N(TYPE_UUID), "", 0, "\"\"");
    tj(N(TYPE_VARINT), "", 0, "\"\"");
    tj(N(TYPE_DECIMAL), "", 0, "\"\"");
    tj(N(TYPE_INET), "", 0, "\"\"");
    /* invalid UTF-8 in a stored text value becomes U+FFFD */
    tj(N(TYPE_ASCII), "a", 1, "\"a\"");
    /* malformed values are refused */
    buf b;
    buf_init(&b);
    assert_int_equal(type_to_json(N(TYPE_INT), (const uint8_t *)"\1\2\3", 3, &b), TYPE_EINVAL);
    assert_int_equal(type_to_json(N(TYPE_VARCHAR), (const uint8_t *)"\xff", 1, &b), TYPE_EINVAL);
    assert_int_equal(type_to_json(P("list<int>"), (const uint8_t *)"\0\0\0\1\0\0\0\4\0", 9, &b),
                     TYPE_EINVAL);
    assert_int_equal(b.len, 0);
    assert_int_equal(json_put_string(&b, "a\xff\xc3", 3), 0);
    out_eq(&b, "\"a\xef\xbf\xbd\xef\xbf\xbd\"");
    buf_free(&b);
}

static void dbl(double x, const char *want)
{
    uint8_t p[8];
    uint64_t bits;
    memcpy(&bits, &x, 8);
    put_be64(p, bits);
    tj(N(TYPE_DOUBLE), p, 8, want);
}

static void flt(float x, const char *want)
{
    uint8_t p[4];
    uint32_t bits;
    memcpy(&bits, &x, 4);
    put_be32(p, bits);
    tj(N(TYPE_FLOAT), p, 4, want);
}

/* Java's Double.toString / Float.toString */
static void test_to_json_floats(void **st)
{
    (void)st;
    dbl(1.0, "1.0");
    dbl(-1.0, "-1.0");
    dbl(0.0, "0.0");
    dbl(-0.0, "-0.0");
    dbl(0.1, "0.1");
    dbl(100.0, "100.0");
    dbl(123123.123123, "123123.123123");
    dbl(0.001, "0.001");
    dbl(0.0001, "1.0E-4");
    dbl(0.00012345, "1.2345E-4");
    dbl(9999999.0, "9999999.0");
    dbl(1e7, "1.0E7");
    dbl(12345678.9, "1.23456789E7");
    dbl(1e10, "1.0E10");
    dbl(1e21, "1.0E21");
    dbl(1e-5, "1.0E-5");
    dbl(-1.5e-300, "-1.5E-300");
    dbl(4.9e-324, "4.9E-324");
    dbl(1.7976931348623157e308, "1.7976931348623157E308");
    dbl(2.0 / 3.0, "0.6666666666666666");
    dbl(NAN, "null");
    dbl(INFINITY, "null");
    dbl(-INFINITY, "null");
    flt(1.0f, "1.0");
    flt(1.1f, "1.1");
    flt(123.123f, "123.123");
    flt(30.0f, "30.0");
    flt(0.001f, "0.001");
    flt(1e-4f, "1.0E-4");
    flt(1e10f, "1.0E10");
    flt(3.4028235e38f, "3.4028235E38");
    flt(1.4e-45f, "1.4E-45");
    flt(16777216.0f, "1.6777216E7");
    flt(NAN, "null");
    flt(-INFINITY, "null");
}

static int64_t ms_of(int64_t days)
{
    return days * 86400000;
}

static void ts(int64_t ms, const char *want)
{
    uint8_t p[8];
    put_be64(p, (uint64_t)ms);
    tj(N(TYPE_TIMESTAMP), p, 8, want);
}

static void date(uint32_t raw, const char *want)
{
    uint8_t p[4];
    put_be32(p, raw);
    tj(N(TYPE_DATE), p, 4, want);
}

static void test_to_json_temporal(void **st)
{
    (void)st;
    /* GregorianCalendar: Julian dates before 1582-10-15 */
    ts(ms_of(val_days_from_civil(1582, 10, 15)), "\"1582-10-15 00:00:00.000Z\"");
    ts(ms_of(val_days_from_civil(1582, 10, 15) - 1), "\"1582-10-04 00:00:00.000Z\"");
    /* Julian 0001-01-01 is proleptic Gregorian 0000-12-30 */
    ts(ms_of(val_days_from_civil(0, 12, 30)), "\"0001-01-01 00:00:00.000Z\"");
    ts(ms_of(val_days_from_civil(0, 12, 30)) - 1, "\"0001-12-31 23:59:59.999Z\""); /* 1 BC */
    ts(ms_of(val_days_from_civil(10000, 1, 1)), "\"10000-01-01 00:00:00.000Z\"");
    ts(INT64_MAX, "\"292278994-08-17 07:12:55.807Z\"");
    /* the Julian arithmetic agrees with format.c's (years 1..1582) */
    for (int64_t d = val_days_from_civil(1, 1, 3); d < val_days_from_civil(1583, 1, 1); d += 97) {
        uint8_t p[8];
        put_be64(p, (uint64_t)ms_of(d));
        buf a, b;
        buf_init(&a);
        buf_init(&b);
        assert_int_equal(type_to_json(N(TYPE_TIMESTAMP), p, 8, &a), 0);
        assert_int_equal(type_format_value(N(TYPE_TIMESTAMP), p, 8, &b), 0);
        assert_memory_equal(a.data + 1, b.data + 1, 10); /* yyyy-MM-dd */
        buf_free(&a);
        buf_free(&b);
    }
    /* ISO_LOCAL_DATE */
    date(UINT32_C(2147483648), "\"1970-01-01\"");
    date(0, "\"-5877641-06-23\"");
    date(UINT32_MAX, "\"+5881580-07-11\"");
    date((uint32_t)(INT64_C(2147483648) + val_days_from_civil(0, 1, 1)), "\"0000-01-01\"");
    date((uint32_t)(INT64_C(2147483648) + val_days_from_civil(-1, 12, 31)), "\"-0001-12-31\"");
    date((uint32_t)(INT64_C(2147483648) + val_days_from_civil(10000, 1, 1)), "\"+10000-01-01\"");
}

/* --------------------------------------------------- toJson, composites */

static void test_to_json_composites(void **st)
{
    (void)st;
    init_udts();
    buf v;
    buf_init(&v);
    /* an empty (0-element) list value, and empty set/map bytes */
    tj(P("list<int>"), "\0\0\0\0", 4, "[]");
    tj(P("set<int>"), "", 0, "[]");
    tj(P("map<int, int>"), "", 0, "{}");
    /* a tuple value that stops early, a UDT value that stops early */
    tj(P("tuple<int, text, int>"), "\0\0\0\4\0\0\0\1", 8, "[1, null, null]");
    tj(&ut, "\0\0\0\4\0\0\0\1", 8, "{\"a\": 1, \"b\": null, \"c\": null}");
    tj(&cs, "\0\0\0\4\0\0\0\1\xff\xff\xff\xff", 12, "{\"a\": 1, \"\\\"Foo\\\"\": null}");
    /* vectors: fixed and variable element sizes */
    tj(P("vector<float, 2>"), "\x3f\x80\0\0\x40\0\0\0", 8, "[1.0, 2.0]");
    tj(P("vector<text, 2>"),
       "\x01"
       "a\x00",
       3, "[\"a\", \"\"]");
    buf_free(&v);
}

/* ------------------------------------------------------ fromJson, scalars */

static void test_from_json_scalars(void **st)
{
    (void)st;
    buf v;
    buf_init(&v);
    assert_int_equal(type_from_json(N(TYPE_INT), J("null"), &v, err, sizeof(err)), TYPE_JSON_NULL);
    assert_int_equal(type_from_json(P("map<text, int>"), J("null"), &v, err, sizeof(err)),
                     TYPE_JSON_NULL);
    assert_int_equal(v.len, 0);
    buf_free(&v);

    /* ascii */
    fj_hex(N(TYPE_ASCII), "\"ascii text\"", "61736369692074657874");
    fj_hex(N(TYPE_ASCII), "\"a \\\" t\"", "6120222074");
    fj_hex(N(TYPE_ASCII), "\"\"", "");
    fj_err(N(TYPE_ASCII), "\"\\u1fff\\u2013\\u33B4\\u2014\"",
           "Invalid ASCII character in string literal: "
           "java.nio.charset.UnmappableCharacterException: Input length = 1");
    fj_err(N(TYPE_ASCII), "123", "Expected an ascii string, but got a Integer: 123");
    /* bigint */
    fj_hex(N(TYPE_BIGINT), "123123123123", "0000001caab5c3b3");
    fj_hex(N(TYPE_BIGINT), "\"123123123123\"", "0000001caab5c3b3");
    fj_hex(N(TYPE_BIGINT), "1", "0000000000000001");
    fj_hex(N(TYPE_BIGINT), "\"\"", "");
    fj_err(N(TYPE_BIGINT), "9223372036854775808",
           "Expected a bigint value, but got a BigInteger: 9223372036854775808");
    fj_err(N(TYPE_BIGINT), "123.456", "Expected a bigint value, but got a Double: 123.456");
    fj_err(N(TYPE_BIGINT), "\"abc\"", "Unable to make long from 'abc'");
    fj_err(N(TYPE_BIGINT), "[\"abc\"]", "Expected a bigint value, but got a ArrayList: [abc]");
    fj_err(N(TYPE_BIGINT), "{\"a\": 1, \"b\": [null, 2.50], \"a\": true}",
           "Expected a bigint value, but got a LinkedHashMap: {a=true, b=[null, 2.5]}");
    /* blob */
    fj_hex(N(TYPE_BLOB), "\"0x00000001\"", "00000001");
    fj_hex(N(TYPE_BLOB), "\"0xCAfe\"", "cafe");
    fj_hex(N(TYPE_BLOB), "\"0x\"", "");
    fj_err(N(TYPE_BLOB), "\"xyzz\"",
           "Value 'xyzz' is not a valid blob representation: String representation of blob is "
           "missing 0x prefix: xyzz");
    fj_err(N(TYPE_BLOB), "\"123\"",
           "Value '123' is not a valid blob representation: String representation of blob is "
           "missing 0x prefix: 123");
    fj_err(N(TYPE_BLOB), "\"0x123\"",
           "Value '0x123' is not a valid blob representation: cannot parse '123' as hex bytes");
    fj_err(N(TYPE_BLOB), "\"0xzz\"",
           "Value '0xzz' is not a valid blob representation: cannot parse 'zz' as hex bytes");
    fj_err(N(TYPE_BLOB), "123",
           "Value '123' is not a valid blob representation: class java.lang.Integer cannot be "
           "cast to class java.lang.String (java.lang.Integer and java.lang.String are in module "
           "java.base of loader 'bootstrap')");
    /* boolean */
    fj_hex(N(TYPE_BOOLEAN), "true", "01");
    fj_hex(N(TYPE_BOOLEAN), "false", "00");
    fj_hex(N(TYPE_BOOLEAN), "\"false\"", "00");
    fj_hex(N(TYPE_BOOLEAN), "\"TRUE\"", "01");
    fj_hex(N(TYPE_BOOLEAN), "\"\"", "00");
    fj_err(N(TYPE_BOOLEAN), "\"abc\"", "Unable to make boolean from 'abc'");
    fj_err(N(TYPE_BOOLEAN), "123", "Expected a boolean value, but got a Integer: 123");
    /* date */
    fj_hex(N(TYPE_DATE), "\"1987-03-23\"", "80001892"); /* 2^31 + 6290 */
    fj_hex(N(TYPE_DATE), "\"2147483648\"", "80000000");
    fj_err(N(TYPE_DATE), "123",
           "Expected a string representation of a date value, but got a "
           "Integer: 123");
    fj_err(N(TYPE_DATE), "\"xyz\"", "Unable to coerce 'xyz' to a formatted date (long)");
    /* decimal: numbers are re-read from their Java text */
    fj_hex(N(TYPE_DECIMAL), "123123.123123", "000000061caab5c3b3"); /* scale 6 */
    fj_hex(N(TYPE_DECIMAL), "123123", "0000000001e0f3");
    fj_hex(N(TYPE_DECIMAL), "\"123123.123123\"", "000000061caab5c3b3");
    rt(N(TYPE_DECIMAL), "0.000", "0.0"); /* Jackson's Double 0.0 */
    rt(N(TYPE_DECIMAL), "\"0.000\"", "0.000");
    fj_hex(N(TYPE_DECIMAL), "1E2", "0000000103e8");         /* Double 100.0 */
    fj_hex(N(TYPE_DECIMAL), "1e-5", "000000060a");          /* 1.0E-5 */
    fj_hex(N(TYPE_DECIMAL), "\"-1.23E-12\"", "0000000e85"); /* -123, scale 14 */
    fj_err(N(TYPE_DECIMAL), "\"xyzz\"",
           "Value 'xyzz' is not a valid representation of a decimal value");
    fj_err(N(TYPE_DECIMAL), "true",
           "Value 'true' is not a valid representation of a decimal value");
    fj_err(N(TYPE_DECIMAL), "\"\"", "Value '' is not a valid representation of a decimal value");
    fj_err(N(TYPE_DECIMAL), "1e400",
           "Value 'Infinity' is not a valid representation of a decimal value");
    /* double, float */
    fj_hex(N(TYPE_DOUBLE), "123123.123123", "40fe0f31f84fd2a6");
    fj_hex(N(TYPE_DOUBLE), "123123", "40fe0f3000000000");
    fj_hex(N(TYPE_DOUBLE), "\"123123\"", "40fe0f3000000000");
    fj_hex(N(TYPE_DOUBLE), "\" 1.5d \"", "3ff8000000000000");
    fj_hex(N(TYPE_DOUBLE), "\"NaN\"", "7ff8000000000000");
    fj_hex(N(TYPE_DOUBLE), "\"-Infinity\"", "fff0000000000000");
    fj_hex(N(TYPE_DOUBLE), "\"\"", "");
    fj_hex(N(TYPE_DOUBLE), "123456789012345678901234567890", "45f8ee90ff6c373e");
    fj_err(N(TYPE_DOUBLE), "\"xyzz\"", "Unable to make double from 'xyzz'");
    fj_err(N(TYPE_DOUBLE), "true", "Expected a double value, but got a Boolean: true");
    fj_hex(N(TYPE_FLOAT), "123123.123123", "47f07990");
    fj_hex(N(TYPE_FLOAT), "123123", "47f07980");
    fj_hex(N(TYPE_FLOAT), "\"123123.0\"", "47f07980");
    fj_hex(N(TYPE_FLOAT), "\"1.1f\"", "3f8ccccd");
    fj_err(N(TYPE_FLOAT), "\"xyzz\"", "Unable to make float from 'xyzz'");
    fj_err(N(TYPE_FLOAT), "\"1.5x\"", "Unable to make float from '1.5x'");
    fj_err(N(TYPE_FLOAT), "true", "Expected a float value, but got a Boolean: true");
    /* inet */
    fj_hex(N(TYPE_INET), "\"127.0.0.1\"", "7f000001");
    fj_hex(N(TYPE_INET), "\"::1\"", "00000000000000000000000000000001");
    fj_hex(N(TYPE_INET), "\"\"", "");
    fj_err(N(TYPE_INET), "\"xyzz\"", "Unable to make inet address from 'xyzz'");
    fj_err(N(TYPE_INET), "123",
           "Expected a string representation of an inet value, but got a Integer: 123");
    /* int */
    fj_hex(N(TYPE_INT), "123123", "0001e0f3");
    fj_hex(N(TYPE_INT), "\"123123\"", "0001e0f3");
    fj_hex(N(TYPE_INT), "-2147483648", "80000000");
    fj_hex(N(TYPE_INT), "-0", "00000000");
    fj_hex(N(TYPE_INT), "\"\"", "");
    fj_err(N(TYPE_INT), "2147483648", "Expected an int value, but got a Long: 2147483648");
    fj_err(N(TYPE_INT), "123.456", "Expected an int value, but got a Double: 123.456");
    fj_err(N(TYPE_INT), "1E2", "Expected an int value, but got a Double: 100.0");
    fj_err(N(TYPE_INT), "\"xyzz\"", "Unable to make int from 'xyzz'");
    fj_err(N(TYPE_INT), "true", "Expected an int value, but got a Boolean: true");
    /* smallint, tinyint */
    fj_hex(N(TYPE_SMALLINT), "32767", "7fff");
    fj_hex(N(TYPE_SMALLINT), "\"32767\"", "7fff");
    fj_err(N(TYPE_SMALLINT), "32768", "Unable to make short from '32768'");
    fj_err(N(TYPE_SMALLINT), "123.456", "Unable to make short from '123.456'");
    fj_err(N(TYPE_SMALLINT), "\"xyzz\"", "Unable to make short from 'xyzz'");
    fj_err(N(TYPE_SMALLINT), "true", "Expected a short value, but got a Boolean: true");
    fj_hex(N(TYPE_TINYINT), "127", "7f");
    fj_hex(N(TYPE_TINYINT), "\"-128\"", "80");
    fj_hex(N(TYPE_TINYINT), "\"\"", "");
    fj_err(N(TYPE_TINYINT), "128", "Unable to make byte from '128'");
    fj_err(N(TYPE_TINYINT), "123.456", "Unable to make byte from '123.456'");
    fj_err(N(TYPE_TINYINT), "1e1", "Unable to make byte from '10.0'");
    fj_err(N(TYPE_TINYINT), "\"xyzz\"", "Unable to make byte from 'xyzz'");
    fj_err(N(TYPE_TINYINT), "true", "Expected a byte value, but got a Boolean: true");
    /* text */
    fj_hex(N(TYPE_VARCHAR), "\"\"", "");
    fj_hex(N(TYPE_VARCHAR), "\"abcd\"", "61626364");
    fj_hex(N(TYPE_VARCHAR), "\"\\u2013\"", "e28093");
    fj_err(N(TYPE_VARCHAR), "123", "Expected a UTF-8 string, but got a Integer: 123");
    fj_err(N(TYPE_VARCHAR), "[1, \"a\"]", "Expected a UTF-8 string, but got a ArrayList: [1, a]");
    /* time */
    fj_hex(N(TYPE_TIME), "\"07:35:07.000111222\"", "000018d5e80aa076");
    fj_err(N(TYPE_TIME), "123456",
           "Expected a string representation of a time value, but got a Integer: 123456");
    fj_err(N(TYPE_TIME), "\"xyz\"", "(TimeType) Unable to coerce 'xyz' to a formatted time (long)");
    /* timestamp: Long only, strings */
    fj_hex(N(TYPE_TIMESTAMP), "123123123123", "0000001caab5c3b3");
    fj_hex(N(TYPE_TIMESTAMP), "\"2014-01-01\"", "000001434b198400");
    fj_hex(N(TYPE_TIMESTAMP), "\"123\"", "000000000000007b");
    fj_hex(N(TYPE_TIMESTAMP), "\"\"", "");
    fj_err(N(TYPE_TIMESTAMP), "123.456",
           "Expected a long or a datestring representation of a timestamp value, but got a "
           "Double: 123.456");
    fj_err(N(TYPE_TIMESTAMP), "2147483647",
           "Expected a long or a datestring representation of a timestamp value, but got a "
           "Integer: 2147483647");
    fj_err(N(TYPE_TIMESTAMP), "\"abcd\"", "Unable to coerce 'abcd' to a formatted date (long)");
    /* timeuuid, uuid */
    fj_hex(N(TYPE_TIMEUUID), "\"6bddc89a-5644-11e4-97fc-56847afe9799\"",
           "6bddc89a564411e497fc56847afe9799");
    fj_hex(N(TYPE_TIMEUUID), "\"6BDDC89A-5644-11E4-97FC-56847AFE9799\"",
           "6bddc89a564411e497fc56847afe9799");
    fj_err(N(TYPE_TIMEUUID), "\"00000000-0000-0000-0000-000000000000\"",
           "TimeUUID supports only version 1 UUIDs");
    fj_err(N(TYPE_TIMEUUID), "123",
           "Expected a string representation of a timeuuid, but got a Integer: 123");
    fj_hex(N(TYPE_UUID), "\"6bddc89a-5644-11e4-97fc-56847afe9799\"",
           "6bddc89a564411e497fc56847afe9799");
    fj_hex(N(TYPE_UUID), "\"\"", "");
    fj_err(N(TYPE_UUID), "\"00000000-0000-0000-zzzz-000000000000\"",
           "Unable to make UUID from '00000000-0000-0000-zzzz-000000000000'");
    fj_err(N(TYPE_UUID), "123",
           "Expected a string representation of a uuid, but got a Integer: 123");
    /* varint */
    fj_hex(N(TYPE_VARINT), "123123123123", "1caab5c3b3");
    fj_hex(N(TYPE_VARINT), "\"1234567890123456789012345678901234567890\"",
           "03a0c92075c0dbf3b8acbc5f96ce3f0ad2");
    fj_hex(N(TYPE_VARINT), "-1", "ff");
    fj_err(N(TYPE_VARINT), "123123.123",
           "Value '123123.123' is not a valid representation of a varint value");
    fj_err(N(TYPE_VARINT), "\"xyzz\"",
           "Value 'xyzz' is not a valid representation of a varint value");
    fj_err(N(TYPE_VARINT), "\"\"", "Value '' is not a valid representation of a varint value");
    fj_err(N(TYPE_VARINT), "true", "Value 'true' is not a valid representation of a varint value");
    /* duration */
    fj_hex(N(TYPE_DURATION), "\"53us\"", "0000c19e10");
    fj_hex(N(TYPE_DURATION), "\"P2W\"", "001c00");
    fj_hex(N(TYPE_DURATION), "\"\"", "");
    fj_err(N(TYPE_DURATION), "\"xyz\"", "Unable to convert 'xyz' to a duration");
    fj_err(N(TYPE_DURATION), "12",
           "Expected a string representation of a duration, but got a Integer: 12");
    /* counter */
    fj_err(N(TYPE_COUNTER), "1", "Cannot set the value of a counter from JSON");
}

/* ---------------------------------------------------- fromJson, composites */

static void test_from_json_composites(void **st)
{
    (void)st;
    init_udts();
    const struct type *li = P("list<int>"), *lf = P("frozen<list<int>>");
    const struct type *su = P("set<uuid>"), *ma = P("map<ascii, int>");
    const struct type *tu = P("frozen<tuple<int, ascii, uuid>>");
    /* lists */
    rt(li, "[1, 2, 3]", "[1, 2, 3]");
    rt(lf, "[3, 1, 3]", "[3, 1, 3]");
    fj_hex(li, "[]", "00000000");
    fj_err(li, "123", "Expected a list, but got a Integer: 123");
    fj_err(li, "[\"abc\"]", "Unable to make int from 'abc'");
    fj_err(li, "[null]", "Invalid null element in list");
    fj_err(li, "{\"a\": 1}", "Expected a list, but got a LinkedHashMap: {a=1}");
    /* a JSON string holding the list is decoded first */
    rt(li, "\"[1, 2]\"", "[1, 2]");
    fj_err(li, "\"[1, \"", "Error decoding JSON string: Expected a value at end of input");
    /* sets: sorted, duplicates dropped */
    rt(su,
       "[\"6bddc89a-5644-11e4-97fc-56847afe9799\", \"6bddc89a-5644-11e4-97fc-56847afe9798\", "
       "\"6bddc89a-5644-11e4-97fc-56847afe9798\"]",
       "[\"6bddc89a-5644-11e4-97fc-56847afe9798\", \"6bddc89a-5644-11e4-97fc-56847afe9799\"]");
    rt(P("set<int>"), "[3, 1, 2]", "[1, 2, 3]");
    fj_hex(su, "[]", "00000000");
    fj_err(su, "123", "Expected a list (representing a set), but got a Integer: 123");
    fj_err(su, "[\"abc\"]", "Unable to make UUID from 'abc'");
    fj_err(su, "[null]", "Invalid null element in set");
    /* maps */
    rt(ma, "{\"b\": 2, \"a\": 1}", "{\"a\": 1, \"b\": 2}");
    rt(ma, "{\"a\": 1, \"a\": 2}", "{\"a\": 2}");
    fj_hex(ma, "{}", "00000000");
    fj_err(ma, "123", "Expected a map, but got a Integer: 123");
    fj_err(ma, "[1]", "Expected a map, but got a ArrayList: [1]");
    fj_err(ma, "{\"\\u1fff\\u2013\\u33B4\\u2014\": 1}",
           "Invalid ASCII character in string literal: "
           "java.nio.charset.UnmappableCharacterException: Input length = 1");
    fj_err(ma, "{\"a\": null}", "Invalid null value in map");
    rt(P("map<text, boolean>"), "{\"a\": true, \"b\": false}", "{\"a\": true, \"b\": false}");
    /* non-text map keys: strings of the key type's JSON (testInsertJsonSyntaxWithNonNativeMapKeys)
     */
    rt(P("map<int, boolean>"), "{\"0\": true, \"1\": false}", "{\"0\": true, \"1\": false}");
    rt(P("map<bigint, boolean>"), "{\"1\": false, \"0\": true}", "{\"0\": true, \"1\": false}");
    rt(P("map<varint, boolean>"), "{\"0\": true, \"1\": false}", "{\"0\": true, \"1\": false}");
    rt(P("map<smallint, boolean>"), "{\"0\": true, \"1\": false}", "{\"0\": true, \"1\": false}");
    rt(P("map<tinyint, boolean>"), "{\"0\": true, \"1\": false}", "{\"0\": true, \"1\": false}");
    rt(P("map<boolean, boolean>"), "{\"true\": true, \"false\": false}",
       "{\"false\": false, \"true\": true}");
    rt(P("map<float, boolean>"), "{\"1.23\": true, \"4.56\": false}",
       "{\"1.23\": true, \"4.56\": false}");
    rt(P("map<double, boolean>"), "{\"1.23\": true, \"4.56\": false}",
       "{\"1.23\": true, \"4.56\": false}");
    rt(P("map<decimal, boolean>"), "{\"1.23\": true, \"4.56\": false}",
       "{\"1.23\": true, \"4.56\": false}");
    rt(P("map<frozen<tuple<int, text>>, boolean>"),
       "{\"[0, \\\"a\\\"]\": true, \"[1, \\\"b\\\"]\": false}",
       "{\"[0, \\\"a\\\"]\": true, \"[1, \\\"b\\\"]\": false}");
    {
        struct type *mp[2] = {&ua, (struct type *)N(TYPE_BOOLEAN)};
        struct type m = {.kind = TYPE_MAP, .n_params = 2, .params = mp};
        rt(&m, "{\"{\\\"a\\\": 0}\": true, \"{\\\"a\\\": 1}\": false}",
           "{\"{\\\"a\\\": 0}\": true, \"{\\\"a\\\": 1}\": false}");
    }
    rt(P("map<frozen<set<int>>, boolean>"), "{\"[0, 1, 2]\": true, \"[3, 4, 5]\": false}",
       "{\"[0, 1, 2]\": true, \"[3, 4, 5]\": false}");
    rt(P("map<frozen<list<int>>, boolean>"), "{\"[3, 4, 5]\": false, \"[0, 1, 2]\": true}",
       "{\"[0, 1, 2]\": true, \"[3, 4, 5]\": false}");
    rt(P("map<frozen<set<text>>, boolean>"),
       "{\"[\\\"0\\\", \\\"1\\\"]\": true, \"[\\\"3\\\", \\\"4\\\"]\": false}",
       "{\"[\\\"0\\\", \\\"1\\\"]\": true, \"[\\\"3\\\", \\\"4\\\"]\": false}");
    /* map<frozen<map<set<text>, text>>, boolean>: keys quoted twice */
    rt(P("map<frozen<map<frozen<set<text>>, text>>, boolean>"),
       "{\"{\\\"[\\\\\\\"0\\\\\\\", \\\\\\\"1\\\\\\\"]\\\": \\\"a\\\"}\": true}",
       "{\"{\\\"[\\\\\\\"0\\\\\\\", \\\\\\\"1\\\\\\\"]\\\": \\\"a\\\"}\": true}");
    rt(P("map<blob, int>"), "{\"0x01\": 1}", "{\"0x01\": 1}");
    rt(P("map<timestamp, int>"), "{\"2014-01-01\": 1}", "{\"2014-01-01 00:00:00.000Z\": 1}");
    fj_err(P("map<int, int>"), "{\"x\": 1}", "Unable to make int from 'x'");
    /* tuples */
    rt(tu, "[1, \"foobar\", \"6bddc89a-5644-11e4-97fc-56847afe9799\"]",
       "[1, \"foobar\", \"6bddc89a-5644-11e4-97fc-56847afe9799\"]");
    rt(tu, "[1, null, \"6bddc89a-5644-11e4-97fc-56847afe9799\"]",
       "[1, null, \"6bddc89a-5644-11e4-97fc-56847afe9799\"]");
    fj_err(tu, "[1, \"foobar\", \"6bddc89a-5644-11e4-97fc-56847afe9799\", 1, 2, 3]",
           "Tuple contains extra items (expected 3): [1, foobar, "
           "6bddc89a-5644-11e4-97fc-56847afe9799, 1, 2, 3]");
    fj_err(tu, "[1, \"foobar\"]", "Tuple is missing items (expected 3): [1, foobar]");
    fj_err(tu, "[\"not an int\", \"foobar\", \"6bddc89a-5644-11e4-97fc-56847afe9799\"]",
           "Unable to make int from 'not an int'");
    fj_err(tu, "{}", "Expected a list representation of a tuple, but got a LinkedHashMap: {}");
    rt(P("tuple<int, boolean>"), "[0, true]", "[0, true]");
    /* UDTs */
    rt(&ut,
       "{\"a\": 1, \"b\": \"6bddc89a-5644-11e4-97fc-56847afe9799\", \"c\": [\"foo\", \"bar\"]}",
       "{\"a\": 1, \"b\": \"6bddc89a-5644-11e4-97fc-56847afe9799\", \"c\": [\"bar\", \"foo\"]}");
    rt(&ut,
       "{\"b\": \"6bddc89a-5644-11e4-97fc-56847afe9799\", \"a\": 1, \"c\": [\"foo\", \"bar\"]}",
       "{\"a\": 1, \"b\": \"6bddc89a-5644-11e4-97fc-56847afe9799\", \"c\": [\"bar\", \"foo\"]}");
    rt(&ut, "{\"a\": null, \"b\": \"6bddc89a-5644-11e4-97fc-56847afe9799\", \"c\": [\"foo\"]}",
       "{\"a\": null, \"b\": \"6bddc89a-5644-11e4-97fc-56847afe9799\", \"c\": [\"foo\"]}");
    rt(&ut, "{\"a\": 1, \"b\": \"6bddc89a-5644-11e4-97fc-56847afe9799\"}",
       "{\"a\": 1, \"b\": \"6bddc89a-5644-11e4-97fc-56847afe9799\", \"c\": null}");
    rt(&ut, "{\"A\": 1}", "{\"a\": 1, \"b\": null, \"c\": null}");
    rt(&ut, "{}", "{\"a\": null, \"b\": null, \"c\": null}");
    fj_err(&ut, "{\"xxx\": 1}", "Unknown field 'xxx' in value of user defined type ut");
    fj_err(&ut, "{\"XxX\": 1}", "Unknown field 'xxx' in value of user defined type ut");
    fj_err(&ut, "{\"\\\"A\\\"\": 1}", "Unknown field 'A' in value of user defined type ut");
    fj_err(&ut, "{\"a\": \"foobar\"}", "Unable to make int from 'foobar'");
    /* a bad known field is reported before an unknown one, as in Cassandra */
    fj_err(&ut, "{\"zz\": 1, \"a\": \"foobar\"}", "Unable to make int from 'foobar'");
    /* unchanged keys come before rewritten ones in Java's key order */
    fj_err(&ut, "{\"Yy\": 1, \"zz\": 1}", "Unknown field 'zz' in value of user defined type ut");
    fj_err(&ut, "[1]", "Expected a map, but got a ArrayList: [1]");
    /* case-sensitive field names (testCaseSensitivity) */
    rt(&cs, "{\"a\": 0, \"\\\"Foo\\\"\": 0}", "{\"a\": 0, \"\\\"Foo\\\"\": 0}");
    rt(&cs, "{\"A\": 0, \"\\\"Foo\\\"\": 0}", "{\"a\": 0, \"\\\"Foo\\\"\": 0}");
    fj_err(&cs, "{\"Foo\": 0}", "Unknown field 'foo' in value of user defined type cs");
    /* a UDT with a tuple and a set (testInsertJsonSyntaxWithTuplesAndUDTs) */
    {
        static char *n3[3] = {"a", "b", "c"};
        struct type *p3[3] = {(struct type *)N(TYPE_INT), (struct type *)P("frozen<set<int>>"),
                              (struct type *)P("tuple<int, int>")};
        struct type u3 = {
            .kind = TYPE_UDT, .n_params = 3, .params = p3, .field_names = n3, .name = "u3"};
        rt(&u3, "{\"a\": 0, \"b\": [1, 2, 3], \"c\": [0, 1]}",
           "{\"a\": 0, \"b\": [1, 2, 3], \"c\": [0, 1]}");
        rt(&u3, "{\"a\": 0, \"b\": [3, 2, 1], \"c\": null}",
           "{\"a\": 0, \"b\": [1, 2, 3], \"c\": null}");
    }
    /* vectors */
    rt(P("vector<float, 3>"), "[1, 2.5, \"3\"]", "[1.0, 2.5, 3.0]");
    rt(P("vector<text, 2>"), "[\"a\", \"\"]", "[\"a\", \"\"]");
    fj_err(P("vector<int, 3>"), "[1, 2]",
           "List had incorrect size: expected 3 but given 2; [1, 2]");
    fj_err(P("vector<int, 2>"), "[1, null]", "Invalid null element in list");
    fj_err(P("vector<int, 2>"), "1", "Expected a list, but got a Integer: 1");
    /* deep nesting */
    rt(P("list<frozen<map<text, frozen<list<frozen<tuple<int, frozen<set<text>>>>>>>>>"),
       "[{\"k\": [[1, [\"b\", \"a\"]], [2, []]]}, {}]",
       "[{\"k\": [[1, [\"a\", \"b\"]], [2, []]]}, {}]");
}

/* from_json(to_json(v)) == v for values of every kind */
static void test_round_trip(void **st)
{
    (void)st;
    static const struct {
        const char *type, *json;
    } cases[] = {
        {"ascii", "\"a\\\"b\\\\c\\u0001\""},
        {"bigint", "-9223372036854775808"},
        {"blob", "\"0x00ff10\""},
        {"boolean", "true"},
        {"date", "\"-0001-12-31\""},
        {"decimal", "-1.23E-12"},
        {"double", "1.7976931348623157E308"},
        {"double", "-0.0"},
        {"float", "3.4028235E38"},
        {"float", "1.4E-45"},
        {"inet", "\"0:0:0:0:0:0:0:1\""},
        {"int", "-2147483648"},
        {"smallint", "-32768"},
        {"text", "\"\\u0000\xf0\x9f\x98\x80\\n\""},
        {"time", "\"23:59:59.999999999\""},
        {"timestamp", "\"2014-01-01 00:00:00.000Z\""},
        {"timestamp", "\"1969-12-31 23:59:59.999Z\""},
        {"timeuuid", "\"6bddc89a-5644-11e4-97fc-56847afe9799\""},
        {"tinyint", "-128"},
        {"uuid", "\"6bddc89a-5644-11e4-97fc-56847afe9799\""},
        {"varint", "-123123123123123123123123"},
        {"duration", "\"-1y2mo3d4h5m6s7ms8us9ns\""},
        {"list<frozen<list<int>>>", "[[1], [], [2, 3]]"},
        {"map<int, frozen<map<text, int>>>", "{\"1\": {\"a\": 1}, \"2\": {}}"},
        {"tuple<int, text, frozen<tuple<boolean>>>", "[null, \"x\", [false]]"},
        {"vector<double, 2>", "[1.0E10, -0.5]"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        rt(P(cases[i].type), cases[i].json, cases[i].json);
}

static void test_object_get(void **st)
{
    (void)st;
    struct json_val *o = J("{\"k\": 0, \"\\\"Foo\\\"\": 1, \"BAR\": 2, \"\\\"\": 3, \"v\": 4, "
                           "\"V\": 5}");
    const struct json_val *v = json_object_get_column(o, "k", 1);
    assert_string_equal(v->s, "0");
    assert_string_equal(json_object_get_column(o, "Foo", 3)->s, "1");
    assert_null(json_object_get_column(o, "foo", 3));
    assert_string_equal(json_object_get_column(o, "bar", 3)->s, "2");
    assert_null(json_object_get_column(o, "BAR", 3));
    /* a lone quote is a plain key */
    assert_string_equal(json_object_get_column(o, "\"", 1)->s, "3");
    /* clashes: the last member wins */
    assert_string_equal(json_object_get_column(o, "v", 1)->s, "5");
    assert_null(json_object_get_column(J("[1]"), "k", 1));
    assert_null(json_object_get(J("1"), "k", 1));
    char tmp[16];
    size_t n;
    const char *nm = json_key_name("\"Foo\"", 5, tmp, &n);
    assert_int_equal(n, 3);
    assert_memory_equal(nm, "Foo", 3);
    nm = json_key_name("MiXed_1", 7, tmp, &n);
    assert_memory_equal(nm, "mixed_1", 7);
    /* Java views */
    buf b;
    buf_init(&b);
    json_java_string(J("[1, -0, 1.5E300, 2e-7, \"s\", {\"a\": null}, 12345678901234567890]"), &b);
    out_eq(&b, "[1, 0, 1.5E300, 2.0E-7, s, {a=null}, 12345678901234567890]");
    buf_free(&b);
    assert_string_equal(json_java_class(J("2147483647")), "Integer");
    assert_string_equal(json_java_class(J("-2147483648")), "Integer");
    assert_string_equal(json_java_class(J("-2147483649")), "Long");
    assert_string_equal(json_java_class(J("-9223372036854775808")), "Long");
    assert_string_equal(json_java_class(J("9223372036854775808")), "BigInteger");
    assert_string_equal(json_java_class(J("1.0")), "Double");
    assert_string_equal(json_java_class(J("1e0")), "Double");
}

/* Every allocation of parse + from_json + to_json may fail: the result is
 * then TYPE_ENOMEM (never a crash or a leak), and the outputs are unchanged. */
static void test_oom(void **st)
{
    (void)st;
    init_udts();
    const struct type *t = P("map<frozen<list<int>>, frozen<tuple<text, frozen<set<int>>, "
                             "frozen<map<text, double>>>>>");
    const char *json = "{\"[1, 2]\": [\"a\\u00e9\", \"[3, 1, 2]\", {\"x\": 1.5, \"y\": \"2\"}], "
                       "\"[3]\": [null, [], {}], \"[1, 2]\": [\"b\", [9], {}]}";
    const char *want = "{\"[1, 2]\": [\"b\", [9], {}], "
                       "\"[3]\": [null, [], {}]}";
    int done = 0;
    for (int64_t k = 0; k < 100000 && !done; k++) {
        int64_t before = mem_outstanding();
        arena a;
        arena_init(&a, 256);
        buf v, o;
        buf_init(&v);
        buf_init(&o);
        struct json_val *jv;
        mem_fail_after(k);
        int rc = json_parse(json, strlen(json), &a, &jv, err, sizeof(err));
        if (rc == 0) rc = type_from_json(t, jv, &v, err, sizeof(err));
        if (rc == 0) rc = type_to_json(t, v.data, (int32_t)v.len, &o);
        mem_fail_after(-1);
        if (rc == 0) {
            out_eq(&o, want);
            done = 1;
        } else {
            assert_int_equal(rc, TYPE_ENOMEM);
            assert_int_equal(o.len, 0);
        }
        buf_free(&v);
        buf_free(&o);
        arena_destroy(&a);
        assert_int_equal(mem_outstanding(), before);
    }
    assert_true(done);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_parse_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_to_json_scalars, setup, teardown),
        cmocka_unit_test_setup_teardown(test_to_json_floats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_to_json_temporal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_to_json_composites, setup, teardown),
        cmocka_unit_test_setup_teardown(test_from_json_scalars, setup, teardown),
        cmocka_unit_test_setup_teardown(test_from_json_composites, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_object_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oom, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
