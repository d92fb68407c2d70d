/*
 * test_types.c -- values of every CQL type (src/types/value.h): literals,
 * validation, comparison, collection building, formatting, round trips,
 * and an OOM loop over the allocating paths.
 *
 * Expected encodings of varints, decimals and durations were produced with
 * Debian's python3-cassandra (cassandra.cqltypes *Type.serialize); expected
 * messages are Cassandra's (the serializers, db.marshal types and cql3.Duration).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "types/type.h"
#include "types/value.h"
#include "util/mem.h"

static char err[512];

static const struct type *N(enum type_kind k)
{
    return type_native(k);
}

/* Parsed composite types, freed by the teardown. */
static struct type *parsed[64];
static int n_parsed;

static const struct type *P(const char *s)
{
    char e[128];
    struct type *t = type_parse(s, strlen(s), NULL, e, sizeof(e));
    if (!t) fail_msg("type_parse(%s): %s", s, e);
    assert_true(n_parsed < 64);
    parsed[n_parsed++] = t;
    return t;
}

static int teardown(void **st)
{
    (void)st;
    for (int i = 0; i < n_parsed; i++)
        type_free(parsed[i]);
    n_parsed = 0;
    return 0;
}

/* A user type pt (a int, "Big" text, c list<int>). */
static struct type *udt_params[3];
static char *udt_names[3] = {"a", "Big", "c"};
static struct type udt = {.kind = TYPE_UDT,
                          .frozen = 1,
                          .n_params = 3,
                          .params = udt_params,
                          .field_names = udt_names,
                          .ks = "ks",
                          .name = "pt"};

static const struct type *UDT(void)
{
    udt_params[0] = (struct type *)N(TYPE_INT);
    udt_params[1] = (struct type *)N(TYPE_VARCHAR);
    udt_params[2] = (struct type *)P("frozen<list<int>>");
    return &udt;
}

/* ---- hex helpers ---- */

static size_t unhex(const char *h, uint8_t *out)
{
    size_t n = 0;
    for (; h[0] && h[1]; h += 2) {
        if (h[0] == ' ') {
            h--;
            continue;
        }
        unsigned v;
        sscanf(h, "%2x", &v);
        out[n++] = (uint8_t)v;
    }
    return n;
}

static const char *hexstr(const uint8_t *p, size_t n)
{
    static char s[8192];
    size_t k = 0;
    for (size_t i = 0; i < n && k + 3 < sizeof(s); i++)
        k += (size_t)snprintf(s + k, 3, "%02x", p[i]);
    s[k] = 0;
    return s;
}

/* ---- literal helpers ---- */

static void lit_ok(const struct type *t, enum type_lit k, const char *text, const char *want)
{
    buf b;
    buf_init(&b);
    err[0] = 0;
    int rc = type_from_literal(t, k, text, strlen(text), &b, err, sizeof(err));
    if (rc) fail_msg("literal %s: rc %d %s", text, rc, err);
    if (strcmp(hexstr(b.data, b.len), want) != 0)
        fail_msg("literal %s: got %s want %s", text, hexstr(b.data, b.len), want);
    buf_free(&b);
}

static void lit_err(const struct type *t, enum type_lit k, const char *text, const char *want)
{
    buf b;
    buf_init(&b);
    buf_put(&b, "xy", 2); /* must survive the failure */
    err[0] = 0;
    int rc = type_from_literal(t, k, text, strlen(text), &b, err, sizeof(err));
    if (rc != TYPE_EINVAL) fail_msg("literal %s: rc %d, want -1 (%s)", text, rc, want);
    if (strcmp(err, want) != 0)
        fail_msg("literal %s: error\n  got  %s\n  want %s", text, err, want);
    assert_int_equal(b.len, 2);
    buf_free(&b);
}

static void lit_kind(const struct type *t, enum type_lit k, const char *text)
{
    buf b;
    buf_init(&b);
    int rc = type_from_literal(t, k, text, strlen(text), &b, err, sizeof(err));
    if (rc != TYPE_EKIND) fail_msg("literal %s kind %s: rc %d", text, type_lit_name(k), rc);
    assert_int_equal(b.len, 0);
    buf_free(&b);
}

/* ---- validation / format helpers ---- */

static void val_ok(const struct type *t, const char *h)
{
    uint8_t v[1024];
    size_t n = unhex(h, v);
    err[0] = 0;
    if (type_validate(t, v, (int32_t)n, err, sizeof(err)) != 0) fail_msg("validate %s: %s", h, err);
}

static void val_err(const struct type *t, const char *h, const char *want)
{
    uint8_t v[1024];
    size_t n = unhex(h, v);
    err[0] = 0;
    if (type_validate(t, v, (int32_t)n, err, sizeof(err)) != TYPE_EINVAL)
        fail_msg("validate %s: accepted, want %s", h, want);
    if (strcmp(err, want) != 0) fail_msg("validate %s:\n  got  %s\n  want %s", h, err, want);
}

static void fmt_is(const struct type *t, const char *h, const char *want)
{
    uint8_t v[1024];
    size_t n = unhex(h, v);
    buf b;
    buf_init(&b);
    assert_int_equal(type_format_value(t, v, (int32_t)n, &b), 0);
    buf_put_u8(&b, 0);
    if (strcmp((char *)b.data, want) != 0)
        fail_msg("format %s: got %s want %s", h, (char *)b.data, want);
    buf_free(&b);
}

/* Reads back what type_format_value printed, guessing the literal kind
 * the way the CQL lexer would classify the token. */
static int reparse(const struct type *t, const char *s, size_t n, buf *out)
{
    enum type_lit k;
    char tmp[512];
    if (s[0] == '\'') {
        size_t j = 0;
        for (size_t i = 1; i + 1 < n; i++) {
            tmp[j++] = s[i];
            if (s[i] == '\'') i++;
        }
        return type_from_literal(t, TYPE_LIT_STRING, tmp, j, out, err, sizeof(err));
    }
    if (n > 1 && s[0] == '0' && s[1] == 'x')
        k = TYPE_LIT_HEX;
    else if (!strncmp(s, "true", n) || !strncmp(s, "false", n))
        k = TYPE_LIT_BOOLEAN;
    else if (strstr(s, "NaN"))
        k = TYPE_LIT_NAN;
    else if (strstr(s, "Infinity"))
        k = TYPE_LIT_INFINITY;
    else if (n == 36 && s[8] == '-')
        k = TYPE_LIT_UUID;
    else if (t->kind == TYPE_DURATION)
        k = TYPE_LIT_DURATION;
    else if (strpbrk(s, ".eE"))
        k = TYPE_LIT_FLOAT;
    else
        k = TYPE_LIT_INTEGER;
    return type_from_literal(t, k, s, n, out, err, sizeof(err));
}

/* literal -> bytes -> text (== want if given) -> bytes, equal. */
static void roundtrip(const struct type *t, enum type_lit k, const char *text, const char *want)
{
    buf a, f, b;
    buf_init(&a);
    buf_init(&f);
    buf_init(&b);
    if (type_from_literal(t, k, text, strlen(text), &a, err, sizeof(err)))
        fail_msg("roundtrip literal %s: %s", text, err);
    assert_int_equal(type_format_value(t, a.data, (int32_t)a.len, &f), 0);
    buf_put_u8(&f, 0);
    if (want && strcmp((char *)f.data, want) != 0)
        fail_msg("roundtrip %s: formatted %s want %s", text, (char *)f.data, want);
    if (reparse(t, (char *)f.data, f.len - 1, &b))
        fail_msg("roundtrip %s: reparse of %s: %s", text, (char *)f.data, err);
    if (a.len != b.len || (a.len && memcmp(a.data, b.data, a.len)))
        fail_msg("roundtrip %s -> %s: bytes differ", text, (char *)f.data);
    buf_free(&a);
    buf_free(&f);
    buf_free(&b);
}

/* ---- literals ---- */

static void test_integers(void **st)
{
    (void)st;
    const struct type *ti = N(TYPE_TINYINT), *ts = N(TYPE_SMALLINT), *in = N(TYPE_INT),
                      *bi = N(TYPE_BIGINT), *co = N(TYPE_COUNTER);
    lit_ok(ti, TYPE_LIT_INTEGER, "-128", "80");
    lit_ok(ti, TYPE_LIT_INTEGER, "127", "7f");
    lit_err(ti, TYPE_LIT_INTEGER, "128", "Unable to make byte from '128'");
    lit_ok(ts, TYPE_LIT_INTEGER, "-32768", "8000");
    lit_ok(ts, TYPE_LIT_INTEGER, "32767", "7fff");
    lit_err(ts, TYPE_LIT_INTEGER, "32768", "Unable to make short from '32768'");
    lit_ok(in, TYPE_LIT_INTEGER, "-2147483648", "80000000");
    lit_ok(in, TYPE_LIT_INTEGER, "2147483647", "7fffffff");
    lit_ok(in, TYPE_LIT_INTEGER, "0", "00000000");
    lit_ok(in, TYPE_LIT_INTEGER, "-1", "ffffffff");
    lit_err(in, TYPE_LIT_INTEGER, "2147483648", "Unable to make int from '2147483648'");
    lit_err(in, TYPE_LIT_INTEGER, "-2147483649", "Unable to make int from '-2147483649'");
    lit_ok(bi, TYPE_LIT_INTEGER, "-9223372036854775808", "8000000000000000");
    lit_ok(bi, TYPE_LIT_INTEGER, "9223372036854775807", "7fffffffffffffff");
    lit_err(bi, TYPE_LIT_INTEGER, "9223372036854775808",
            "Unable to make long from '9223372036854775808'");
    lit_err(bi, TYPE_LIT_INTEGER, "99999999999999999999999",
            "Unable to make long from '99999999999999999999999'");
    lit_ok(co, TYPE_LIT_INTEGER, "42", "000000000000002a");
    lit_kind(co, TYPE_LIT_FLOAT, "1.5");
    lit_kind(co, TYPE_LIT_STRING, "1");
    lit_kind(in, TYPE_LIT_FLOAT, "1.0");
    lit_kind(in, TYPE_LIT_STRING, "1");
    /* hex constants reach tinyint (Cassandra's HEX "preferred type") */
    lit_ok(ti, TYPE_LIT_HEX, "0x05", "05");
    lit_err(ti, TYPE_LIT_HEX, "0x0102", "Expected 1 byte for a tinyint (2)");
    lit_kind(in, TYPE_LIT_HEX, "0x00000001");

    const struct type *vi = N(TYPE_VARINT);
    lit_ok(vi, TYPE_LIT_INTEGER, "0", "00");
    lit_ok(vi, TYPE_LIT_INTEGER, "-0", "00");
    lit_ok(vi, TYPE_LIT_INTEGER, "127", "7f");
    lit_ok(vi, TYPE_LIT_INTEGER, "128", "0080");
    lit_ok(vi, TYPE_LIT_INTEGER, "-128", "80");
    lit_ok(vi, TYPE_LIT_INTEGER, "-129", "ff7f");
    lit_ok(vi, TYPE_LIT_INTEGER, "255", "00ff");
    lit_ok(vi, TYPE_LIT_INTEGER, "256", "0100");
    lit_ok(vi, TYPE_LIT_INTEGER, "-1", "ff");
    lit_ok(vi, TYPE_LIT_INTEGER, "000000000000000000000000000000000000001", "01");
    lit_ok(vi, TYPE_LIT_INTEGER, "123456789012345678901234567890", "018ee90ff6c373e0ee4e3f0ad2");
    lit_ok(vi, TYPE_LIT_INTEGER, "-1267650600228229401496703205376", "f0000000000000000000000000");
    lit_ok(vi, TYPE_LIT_INTEGER, "1267650600228229401496703205376", "10000000000000000000000000");
    lit_kind(vi, TYPE_LIT_FLOAT, "1.5");
    roundtrip(vi, TYPE_LIT_INTEGER, "-1267650600228229401496703205376",
              "-1267650600228229401496703205376");
    roundtrip(vi, TYPE_LIT_INTEGER, "1000000000000000000000000000000000000000000000000000000000001",
              "1000000000000000000000000000000000000000000000000000000000001");
    roundtrip(vi, TYPE_LIT_INTEGER, "-1000000000", "-1000000000");
    roundtrip(in, TYPE_LIT_INTEGER, "-2147483648", "-2147483648");
    roundtrip(ts, TYPE_LIT_INTEGER, "-32768", "-32768");
    roundtrip(ti, TYPE_LIT_INTEGER, "-128", "-128");
    roundtrip(bi, TYPE_LIT_INTEGER, "-9223372036854775808", "-9223372036854775808");
    roundtrip(co, TYPE_LIT_INTEGER, "9223372036854775807", "9223372036854775807");
}

static void test_floats(void **st)
{
    (void)st;
    const struct type *f = N(TYPE_FLOAT), *d = N(TYPE_DOUBLE);
    lit_ok(f, TYPE_LIT_FLOAT, "1.5", "3fc00000");
    lit_ok(f, TYPE_LIT_FLOAT, "0.1", "3dcccccd");
    lit_ok(f, TYPE_LIT_INTEGER, "3", "40400000");
    lit_ok(f, TYPE_LIT_NAN, "NaN", "7fc00000");
    lit_ok(f, TYPE_LIT_NAN, "-NaN", "7fc00000");
    lit_ok(f, TYPE_LIT_INFINITY, "Infinity", "7f800000");
    lit_ok(f, TYPE_LIT_INFINITY, "-Infinity", "ff800000");
    lit_ok(f, TYPE_LIT_FLOAT, "1e39", "7f800000"); /* Java: Infinity, no error */
    lit_ok(f, TYPE_LIT_FLOAT, "-0.0", "80000000");
    lit_ok(d, TYPE_LIT_FLOAT, "0.1", "3fb999999999999a");
    lit_ok(d, TYPE_LIT_FLOAT, "-2.5E-3", "bf647ae147ae147b");
    lit_ok(d, TYPE_LIT_INTEGER, "12345678901234567890", "43e56a95319d63e1");
    lit_ok(d, TYPE_LIT_NAN, "NaN", "7ff8000000000000");
    lit_ok(d, TYPE_LIT_INFINITY, "-Infinity", "fff0000000000000");
    lit_ok(d, TYPE_LIT_FLOAT, "1.7976931348623157E308", "7fefffffffffffff");
    lit_ok(d, TYPE_LIT_FLOAT, "4.9e-324", "0000000000000001");
    lit_err(d, TYPE_LIT_FLOAT, "1.5x", "Unable to make double from '1.5x'");
    lit_err(f, TYPE_LIT_FLOAT, "e5", "Unable to make float from 'e5'");
    lit_kind(d, TYPE_LIT_STRING, "1.5");
    lit_kind(d, TYPE_LIT_BOOLEAN, "true");
    fmt_is(f, "3dcccccd", "0.1");
    fmt_is(f, "40400000", "3");
    fmt_is(f, "80000000", "-0");
    fmt_is(f, "7f800001", "NaN");
    fmt_is(d, "3fb999999999999a", "0.1");
    fmt_is(d, "7ff0000000000000", "Infinity");
    fmt_is(d, "fff0000000000000", "-Infinity");
    fmt_is(d, "4415af1d78b58c40", "1e+20");
    fmt_is(d, "", "");
    roundtrip(d, TYPE_LIT_FLOAT, "0.30000000000000004", "0.30000000000000004");
    roundtrip(d, TYPE_LIT_FLOAT, "1.7976931348623157E308", "1.7976931348623157e+308");
    roundtrip(d, TYPE_LIT_FLOAT, "4.9e-324", "5e-324");
    roundtrip(d, TYPE_LIT_NAN, "NaN", "NaN");
    roundtrip(d, TYPE_LIT_INFINITY, "-Infinity", "-Infinity");
    roundtrip(f, TYPE_LIT_FLOAT, "3.4028235E38", "3.4028235e+38");
    roundtrip(f, TYPE_LIT_FLOAT, "1.4E-45", "1e-45");
    roundtrip(f, TYPE_LIT_FLOAT, "-0.0", "-0");
    roundtrip(f, TYPE_LIT_FLOAT, "123.456", "123.456");
}

static void test_decimal(void **st)
{
    (void)st;
    const struct type *t = N(TYPE_DECIMAL);
    lit_ok(t, TYPE_LIT_FLOAT, "1.50", "000000020096");
    lit_ok(t, TYPE_LIT_FLOAT, "-0.0", "0000000100");
    lit_ok(t, TYPE_LIT_FLOAT, "1.5e10", "fffffff70f");
    lit_ok(t, TYPE_LIT_FLOAT, "12345678901234567890.123", "00000003029d42b64e76714244cb");
    lit_ok(t, TYPE_LIT_FLOAT, "1E-7", "0000000701");
    lit_ok(t, TYPE_LIT_INTEGER, "-42", "00000000d6");
    lit_ok(t, TYPE_LIT_INTEGER, "123456789012345678901234567890",
           "00000000018ee90ff6c373e0ee4e3f0ad2");
    lit_err(t, TYPE_LIT_NAN, "NaN", "unable to make BigDecimal from 'NaN'");
    lit_err(t, TYPE_LIT_INFINITY, "-Infinity", "unable to make BigDecimal from '-Infinity'");
    lit_err(t, TYPE_LIT_FLOAT, "1e99999999999", "unable to make BigDecimal from '1e99999999999'");
    lit_kind(t, TYPE_LIT_STRING, "1.5");
    fmt_is(t, "000000020096", "1.50");
    fmt_is(t, "fffffff70f", "1.5E+10");
    fmt_is(t, "0000000701", "1E-7");
    fmt_is(t, "0000000601", "0.000001");
    fmt_is(t, "0000000100", "0.0");
    fmt_is(t, "00000000d6", "-42");
    fmt_is(t, "00000003029d42b64e76714244cb", "12345678901234567890.123");
    roundtrip(t, TYPE_LIT_FLOAT, "1.5e10", "1.5E+10");
    roundtrip(t, TYPE_LIT_FLOAT, "-0.000000000123", "-1.23E-10");
    roundtrip(t, TYPE_LIT_FLOAT, "100e-2", "1.00");
    roundtrip(t, TYPE_LIT_FLOAT, "0E+3", "0E+3");
    roundtrip(t, TYPE_LIT_FLOAT, "-12345678901234567890.123", "-12345678901234567890.123");
}

static void test_text(void **st)
{
    (void)st;
    const struct type *a = N(TYPE_ASCII), *x = N(TYPE_VARCHAR);
    lit_ok(a, TYPE_LIT_STRING, "abc", "616263");
    lit_ok(a, TYPE_LIT_STRING, "", "");
    lit_err(a, TYPE_LIT_STRING, "caf\xc3\xa9",
            "Invalid ASCII character in string literal: "
            "java.nio.charset.UnmappableCharacterException: Input length = 1");
    lit_err(a, TYPE_LIT_STRING, "\xf0\x9f\x98\x80",
            "Invalid ASCII character in string literal: "
            "java.nio.charset.UnmappableCharacterException: Input length = 2");
    lit_ok(x, TYPE_LIT_STRING, "caf\xc3\xa9", "636166c3a9");
    lit_ok(x, TYPE_LIT_STRING, "", "");
    lit_err(x, TYPE_LIT_STRING, "\xff", "String didn't validate.");
    lit_kind(x, TYPE_LIT_INTEGER, "1");
    lit_kind(a, TYPE_LIT_UUID, "7ad54392-bcdd-35a6-8417-4e047860b377");
    /* a NUL inside a string literal */
    buf b;
    buf_init(&b);
    assert_int_equal(type_from_literal(x, TYPE_LIT_STRING, "a\0b", 3, &b, err, sizeof(err)), 0);
    assert_int_equal(b.len, 3);
    buf_free(&b);
    fmt_is(x, "6974277320", "'it''s '");
    fmt_is(x, "", "''");
    fmt_is(a, "27", "''''");
    roundtrip(x, TYPE_LIT_STRING, "it's 'quoted'", "'it''s ''quoted'''");
    roundtrip(a, TYPE_LIT_STRING, "", "''");
}

static void test_boolean_uuid_blob(void **st)
{
    (void)st;
    const struct type *bo = N(TYPE_BOOLEAN), *u = N(TYPE_UUID), *tu = N(TYPE_TIMEUUID),
                      *bl = N(TYPE_BLOB);
    lit_ok(bo, TYPE_LIT_BOOLEAN, "true", "01");
    lit_ok(bo, TYPE_LIT_BOOLEAN, "FALSE", "00");
    lit_ok(bo, TYPE_LIT_BOOLEAN, "TrUe", "01");
    lit_kind(bo, TYPE_LIT_STRING, "true");
    lit_kind(bo, TYPE_LIT_INTEGER, "1");
    fmt_is(bo, "01", "true");
    fmt_is(bo, "02", "true");
    fmt_is(bo, "00", "false");

    lit_ok(u, TYPE_LIT_UUID, "7AD54392-bcdd-35a6-8417-4e047860b377",
           "7ad54392bcdd35a684174e047860b377");
    lit_ok(tu, TYPE_LIT_UUID, "a75a9687-2c29-11ea-9234-0123456789ab",
           "a75a96872c2911ea92340123456789ab");
    lit_err(tu, TYPE_LIT_UUID, "7ad54392-bcdd-35a6-8417-4e047860b377",
            "TimeUUID supports only version 1 UUIDs");
    lit_kind(u, TYPE_LIT_STRING, "7ad54392-bcdd-35a6-8417-4e047860b377");
    lit_kind(u, TYPE_LIT_HEX, "0x00");
    fmt_is(u, "7ad54392bcdd35a684174e047860b377", "7ad54392-bcdd-35a6-8417-4e047860b377");
    roundtrip(tu, TYPE_LIT_UUID, "a75a9687-2c29-11ea-9234-0123456789ab",
              "a75a9687-2c29-11ea-9234-0123456789ab");

    lit_ok(bl, TYPE_LIT_HEX, "0xCAFEbabe", "cafebabe");
    lit_ok(bl, TYPE_LIT_HEX, "0x", "");
    lit_err(bl, TYPE_LIT_HEX, "0x123", "cannot parse '123' as hex bytes");
    lit_kind(bl, TYPE_LIT_STRING, "cafe");
    lit_kind(bl, TYPE_LIT_INTEGER, "1");
    fmt_is(bl, "cafe00", "0xcafe00");
    fmt_is(bl, "", "0x");
    roundtrip(bl, TYPE_LIT_HEX, "0x00FF", "0x00ff");
}

static void test_inet(void **st)
{
    (void)st;
    const struct type *t = N(TYPE_INET);
    lit_ok(t, TYPE_LIT_STRING, "127.0.0.1", "7f000001");
    lit_ok(t, TYPE_LIT_STRING, "127.1", "7f000001");
    lit_ok(t, TYPE_LIT_STRING, "10.65536", "0a010000");
    lit_ok(t, TYPE_LIT_STRING, "::1", "00000000000000000000000000000001");
    lit_ok(t, TYPE_LIT_STRING, "[2001:db8::ff00:42:8329]", "20010db8000000000000ff0000428329");
    lit_ok(t, TYPE_LIT_STRING, "::ffff:1.2.3.4", "01020304");
    lit_ok(t, TYPE_LIT_STRING, "", "");
    lit_err(t, TYPE_LIT_STRING, "256.0.0.1", "Unable to make inet address from '256.0.0.1'");
    lit_err(t, TYPE_LIT_STRING, "1.2.3.4.5", "Unable to make inet address from '1.2.3.4.5'");
    lit_err(t, TYPE_LIT_STRING, "::g", "Unable to make inet address from '::g'");
    lit_kind(t, TYPE_LIT_INTEGER, "1");
    fmt_is(t, "7f000001", "'127.0.0.1'");
    fmt_is(t, "", "''");
    roundtrip(t, TYPE_LIT_STRING, "2001:0db8:0000:0000:0000:ff00:0042:8329",
              "'2001:db8::ff00:42:8329'");
    roundtrip(t, TYPE_LIT_STRING, "::1", "'::1'");
}

static void test_timestamp(void **st)
{
    (void)st;
    const struct type *t = N(TYPE_TIMESTAMP);
    /* 2011-02-03 04:05 UTC = 1296705900000 */
    const char *ts = "0000012de9b1cde0";
    lit_ok(t, TYPE_LIT_STRING, "2011-02-03 04:05+0000", ts);
    lit_ok(t, TYPE_LIT_STRING, "2011-02-03 04:05", ts);
    lit_ok(t, TYPE_LIT_STRING, "2011-02-03 04:05:00", ts);
    lit_ok(t, TYPE_LIT_STRING, "2011-02-03T04:05", ts);
    lit_ok(t, TYPE_LIT_STRING, "2011-02-03T04:05:00.000Z", ts);
    lit_ok(t, TYPE_LIT_STRING, "2011-02-03T04:05:00.000+00:00", ts);
    lit_ok(t, TYPE_LIT_STRING, "2011-02-03 05:05:00+01", ts);
    lit_ok(t, TYPE_LIT_STRING, "2011-02-03 05:05:00+01:00", ts);
    lit_ok(t, TYPE_LIT_STRING, "2011-02-03 05:05 +0100", ts);
    lit_ok(t, TYPE_LIT_STRING, "2011-02-03 03:35 GMT-0:30", ts);
    lit_ok(t, TYPE_LIT_STRING, "2011-02-03 04:05:00 UTC", ts);
    lit_ok(t, TYPE_LIT_STRING, "2011-2-3 4:5", ts);
    lit_ok(t, TYPE_LIT_STRING, "2011-02-03", "0000012de8d18000"); /* 1296691200000 */
    lit_ok(t, TYPE_LIT_STRING, "2011-02-03Z", "0000012de8d18000");
    lit_ok(t, TYPE_LIT_STRING, "2011-02-03 -0000", "0000012de8d18000");
    lit_ok(t, TYPE_LIT_STRING, "2011-02-03 04:05:06.7", "0000012de9b1e557"); /* .7 = 7 ms */
    lit_ok(t, TYPE_LIT_INTEGER, "1296705900000", ts);
    lit_ok(t, TYPE_LIT_STRING, "1296705900000", ts);
    lit_ok(t, TYPE_LIT_INTEGER, "-1", "ffffffffffffffff");
    lit_ok(t, TYPE_LIT_STRING, "", "");
    lit_ok(t, TYPE_LIT_STRING, "1970-01-01 00:00:00.000+0000", "0000000000000000");
    /* GregorianCalendar: Julian before the cutover, a gap of 10 days */
    lit_ok(t, TYPE_LIT_STRING, "1582-10-15", "fffff4e2f964ac00"); /* -141427 days */
    lit_ok(t, TYPE_LIT_STRING, "1582-10-04", "fffff4e2f43e5000"); /* one day before */
    lit_ok(t, TYPE_LIT_STRING, "1000-01-01", "ffffe4291a38a000"); /* = Gregorian 1000-01-06 */
    lit_err(t, TYPE_LIT_STRING, "1582-10-10",
            "Unable to coerce '1582-10-10' to a formatted date (long)");
    lit_ok(t, TYPE_LIT_STRING, "2012-02-29", "00000135c6680400");
    lit_err(t, TYPE_LIT_STRING, "2011-02-29",
            "Unable to coerce '2011-02-29' to a formatted date (long)");
    lit_err(t, TYPE_LIT_STRING, "2011-02-03 24:00",
            "Unable to coerce '2011-02-03 24:00' to a formatted date (long)");
    lit_err(t, TYPE_LIT_STRING, "2011-02-03 04:05:06.1234",
            "Unable to coerce '2011-02-03 04:05:06.1234' to a formatted date (long)");
    lit_err(t, TYPE_LIT_STRING, "2011-02-03 04",
            "Unable to coerce '2011-02-03 04' to a formatted date (long)");
    lit_err(t, TYPE_LIT_STRING, "2011-02-03 04:05+25",
            "Unable to coerce '2011-02-03 04:05+25' to a formatted date (long)");
    lit_err(t, TYPE_LIT_STRING, "yesterday",
            "Unable to coerce 'yesterday' to a formatted date (long)");
    lit_err(t, TYPE_LIT_INTEGER, "99999999999999999999",
            "Unable to make long (for date) from: '99999999999999999999'");
    lit_kind(t, TYPE_LIT_FLOAT, "1.5");
    /* now: within a few seconds of the clock */
    buf b;
    buf_init(&b);
    assert_int_equal(type_from_literal(t, TYPE_LIT_STRING, "NOW", 3, &b, err, sizeof(err)), 0);
    assert_int_equal(b.len, 8);
    assert_true((int64_t)be64(b.data) > INT64_C(1600000000000));
    buf_free(&b);

    fmt_is(t, ts, "'2011-02-03 04:05:00.000+0000'");
    fmt_is(t, "ffffffffffffffff", "'1969-12-31 23:59:59.999+0000'");
    fmt_is(t, "fffff4e2f43e5000", "'1582-10-04 00:00:00.000+0000'");
    fmt_is(t, "8000000000000000", "-9223372036854775808");
    fmt_is(t, "", "''");
    roundtrip(t, TYPE_LIT_STRING, "2011-02-03 04:05:06.789+0000", "'2011-02-03 04:05:06.789+0000'");
    roundtrip(t, TYPE_LIT_STRING, "0001-01-01", "'0001-01-01 00:00:00.000+0000'");
    roundtrip(t, TYPE_LIT_STRING, "9999-12-31 23:59:59.999", "'9999-12-31 23:59:59.999+0000'");
    roundtrip(t, TYPE_LIT_STRING, "1000-01-01", "'1000-01-01 00:00:00.000+0000'");
    roundtrip(t, TYPE_LIT_INTEGER, "9223372036854775807", "9223372036854775807");
}

static void test_date(void **st)
{
    (void)st;
    const struct type *t = N(TYPE_DATE);
    lit_ok(t, TYPE_LIT_STRING, "1970-01-01", "80000000");
    lit_ok(t, TYPE_LIT_STRING, "2011-02-03", "80003aa0"); /* 2147498656 */
    lit_ok(t, TYPE_LIT_STRING, "2012-02-29", "80003c27");
    lit_ok(t, TYPE_LIT_STRING, "1969-12-31", "7fffffff");
    lit_ok(t, TYPE_LIT_STRING, "-0001-01-01", "7ff503eb");
    lit_ok(t, TYPE_LIT_STRING, "+10000-01-01", "802cc0a1");
    lit_ok(t, TYPE_LIT_STRING, "-5877641-06-23", "00000000");
    lit_ok(t, TYPE_LIT_STRING, "+5881580-07-11", "ffffffff");
    lit_ok(t, TYPE_LIT_INTEGER, "0", "00000000");
    lit_ok(t, TYPE_LIT_INTEGER, "4294967295", "ffffffff");
    lit_ok(t, TYPE_LIT_STRING, "2147483648", "80000000");
    lit_err(t, TYPE_LIT_INTEGER, "4294967296",
            "Unable to make unsigned int (for date) from: '4294967296'");
    lit_err(t, TYPE_LIT_INTEGER, "-1", "Unable to make unsigned int (for date) from: '-1'");
    lit_err(t, TYPE_LIT_STRING, "2011-02-29",
            "Unable to coerce '2011-02-29' to a formatted date (long)");
    lit_err(t, TYPE_LIT_STRING, "2011-2-3",
            "Unable to coerce '2011-2-3' to a formatted date (long)");
    lit_err(t, TYPE_LIT_STRING, "10000-01-01",
            "Unable to coerce '10000-01-01' to a formatted date (long)");
    lit_err(t, TYPE_LIT_STRING, "", "Unable to coerce '' to a formatted date (long)");
    lit_err(t, TYPE_LIT_STRING, "-5877641-06-22",
            "Input date -5877641-06-22 is less than min supported date -5877641-06-23T00:00Z");
    lit_err(t, TYPE_LIT_STRING, "+5881580-07-12",
            "Input date +5881580-07-12 is greater than max supported date "
            "+5881580-07-11T00:00Z");
    lit_kind(t, TYPE_LIT_FLOAT, "1.0");
    fmt_is(t, "80003aa0", "'2011-02-03'");
    fmt_is(t, "00000000", "0");
    fmt_is(t, "7ff503eb", "2146763755");
    roundtrip(t, TYPE_LIT_STRING, "2012-02-29", "'2012-02-29'");
    roundtrip(t, TYPE_LIT_STRING, "0000-01-01", "'0000-01-01'");
    roundtrip(t, TYPE_LIT_STRING, "9999-12-31", "'9999-12-31'");
    roundtrip(t, TYPE_LIT_INTEGER, "4294967295", "4294967295");
}

static void test_time(void **st)
{
    (void)st;
    const struct type *t = N(TYPE_TIME);
    lit_ok(t, TYPE_LIT_STRING, "00:00:00", "0000000000000000");
    lit_ok(t, TYPE_LIT_STRING, "23:59:59.999999999", "00004e94914effff");
    lit_ok(t, TYPE_LIT_STRING, "1:2:3", "00000362d417ae00");
    lit_ok(t, TYPE_LIT_STRING, " 01:02:03 ", "00000362d417ae00");
    lit_ok(t, TYPE_LIT_STRING, "01:02:03.5", "00000362f1e51300"); /* .5 = 500 ms */
    lit_ok(t, TYPE_LIT_INTEGER, "86399999999999", "00004e94914effff");
    lit_ok(t, TYPE_LIT_STRING, "42", "000000000000002a");
    lit_err(t, TYPE_LIT_INTEGER, "86400000000000",
            "Unable to make long (for time) from: '86400000000000'");
    lit_err(t, TYPE_LIT_INTEGER, "-1", "Unable to make long (for time) from: '-1'");
    lit_err(t, TYPE_LIT_STRING, "24:00:00",
            "(TimeType) Unable to coerce '24:00:00' to a formatted time (long)");
    lit_err(t, TYPE_LIT_STRING, "10:60:00",
            "(TimeType) Unable to coerce '10:60:00' to a formatted time (long)");
    lit_err(t, TYPE_LIT_STRING, "10:00:00.",
            "(TimeType) Unable to coerce '10:00:00.' to a formatted time (long)");
    lit_err(t, TYPE_LIT_STRING, "10:00:00.1234567890",
            "(TimeType) Unable to coerce '10:00:00.1234567890' to a formatted time (long)");
    lit_err(t, TYPE_LIT_STRING, "10:00",
            "(TimeType) Unable to coerce '10:00' to a formatted time (long)");
    lit_err(t, TYPE_LIT_STRING, "", "(TimeType) Unable to coerce '' to a formatted time (long)");
    lit_kind(t, TYPE_LIT_FLOAT, "1.0");
    fmt_is(t, "00004e94914effff", "'23:59:59.999999999'");
    fmt_is(t, "0000000000000007", "'00:00:00.000000007'");
    roundtrip(t, TYPE_LIT_STRING, "23:59:59.999999999", "'23:59:59.999999999'");
    roundtrip(t, TYPE_LIT_STRING, "12:34:56.789", "'12:34:56.789000000'");
}

static void test_duration(void **st)
{
    (void)st;
    const struct type *t = N(TYPE_DURATION);
    lit_ok(t, TYPE_LIT_DURATION, "1h30m", "0000fc09d29229e000");
    lit_ok(t, TYPE_LIT_DURATION, "1y", "180000");
    lit_ok(t, TYPE_LIT_DURATION, "12mo", "180000");
    lit_ok(t, TYPE_LIT_DURATION, "-1h", "0000fc068c61713fff");
    lit_ok(t, TYPE_LIT_DURATION, "1y2mo3d4h5m6s", "1c06fc1ac003cfe800");
    lit_ok(t, TYPE_LIT_DURATION, "P1Y2M3DT4H5M6S", "1c06fc1ac003cfe800");
    lit_ok(t, TYPE_LIT_DURATION, "P0001-02-03T04:05:06", "1c06fc1ac003cfe800");
    lit_ok(t, TYPE_LIT_DURATION, "2w", "001c00");
    lit_ok(t, TYPE_LIT_DURATION, "P2W", "001c00");
    lit_ok(t, TYPE_LIT_DURATION, "14d", "001c00");
    lit_ok(t, TYPE_LIT_DURATION, "-P2W", "001b00");
    lit_ok(t, TYPE_LIT_DURATION, "P", "000000");
    lit_ok(t, TYPE_LIT_DURATION, "PT0S", "000000");
    lit_ok(t, TYPE_LIT_DURATION, "1ms", "0000de8480"); /* 1e6 ns -> zigzag 2e6 */
    lit_ok(t, TYPE_LIT_DURATION, "1us", "000087d0");   /* 1000 -> 2000 */
    lit_ok(t, TYPE_LIT_DURATION, "1\xc2\xb5s", "000087d0");
    lit_ok(t, TYPE_LIT_DURATION, "1ns", "000002");
    lit_ok(t, TYPE_LIT_DURATION, "1NS", "000002");
    lit_ok(t, TYPE_LIT_DURATION, "1MO1M", "0200f81bf08eb000");
    lit_ok(t, TYPE_LIT_DURATION, "2147483647mo", "f0fffffffe0000");
    lit_ok(t, TYPE_LIT_DURATION, "-2147483647mo", "f0fffffffd0000");
    lit_err(t, TYPE_LIT_DURATION, "2147483648mo",
            "Invalid duration. The total number of months must be less or equal to 2147483647");
    lit_err(t, TYPE_LIT_DURATION, "178956971y",
            "Invalid duration. The total number of months must be less or equal to 2147483647");
    lit_err(t, TYPE_LIT_DURATION, "1h1h",
            "Invalid duration. The hours are specified multiple times");
    lit_err(t, TYPE_LIT_DURATION, "1m1h", "Invalid duration. The minutes should be after hours");
    lit_err(t, TYPE_LIT_DURATION, "1d1w", "Invalid duration. The days should be after weeks");
    lit_err(t, TYPE_LIT_DURATION, "1x", "Unable to convert '1x' to a duration");
    lit_err(t, TYPE_LIT_DURATION, "-1h30", "Unable to convert '1h30' to a duration");
    lit_err(t, TYPE_LIT_DURATION, "P1H", "Unable to convert 'P1H' to a duration");
    lit_err(t, TYPE_LIT_DURATION, "P1Y-2M", "Unable to convert 'P1Y-2M' to a duration");
    lit_err(t, TYPE_LIT_INTEGER, "12", "Unable to convert '12' to a duration");
    lit_kind(t, TYPE_LIT_STRING, "1h");
    fmt_is(t, "0000fc09d29229e000", "1h30m");
    fmt_is(t, "1c06fc1ac003cfe800", "1y2mo3d4h5m6s");
    fmt_is(t, "0000fc068c61713fff", "-1h");
    fmt_is(t, "001c00", "14d");
    fmt_is(t, "000000", "0s");
    roundtrip(t, TYPE_LIT_DURATION, "1y2mo3w4d5h6m7s8ms9us10ns", "1y2mo25d5h6m7s8ms9us10ns");
    roundtrip(t, TYPE_LIT_DURATION, "-P3Y", "-3y");
    roundtrip(t, TYPE_LIT_DURATION, "9223372036854775807ns", "2562047h47m16s854ms775us807ns");
}

static void test_kind_matrix(void **st)
{
    (void)st;
    static const enum type_kind natives[] = {
        TYPE_ASCII,   TYPE_BIGINT,  TYPE_BLOB,     TYPE_BOOLEAN,  TYPE_COUNTER,
        TYPE_DECIMAL, TYPE_DOUBLE,  TYPE_FLOAT,    TYPE_INT,      TYPE_TIMESTAMP,
        TYPE_UUID,    TYPE_VARCHAR, TYPE_VARINT,   TYPE_TIMEUUID, TYPE_INET,
        TYPE_DATE,    TYPE_TIME,    TYPE_SMALLINT, TYPE_TINYINT,  TYPE_DURATION};
    /* accepted kinds per native type, as letters: S I F B D U H (N/Inf = F) */
    static const char *accept[] = {"S", "I", "H", "B", "I", "IF", "IF", "IF", "I",  "SI",
                                   "U", "S", "I", "U", "S", "SI", "SI", "I",  "IH", "ID"};
    static const struct {
        char c;
        enum type_lit k;
    } kinds[] = {{'S', TYPE_LIT_STRING},   {'I', TYPE_LIT_INTEGER},  {'F', TYPE_LIT_FLOAT},
                 {'F', TYPE_LIT_NAN},      {'F', TYPE_LIT_INFINITY}, {'B', TYPE_LIT_BOOLEAN},
                 {'D', TYPE_LIT_DURATION}, {'U', TYPE_LIT_UUID},     {'H', TYPE_LIT_HEX}};
    for (size_t i = 0; i < sizeof(natives) / sizeof(natives[0]); i++) {
        for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
            buf b;
            buf_init(&b);
            int rc = type_from_literal(N(natives[i]), kinds[k].k, "zz", 2, &b, err, sizeof(err));
            int want_ok = strchr(accept[i], kinds[k].c) != NULL;
            if (want_ok == (rc == TYPE_EKIND))
                fail_msg("%s <- %s: rc %d", type_kind_name(natives[i]), type_lit_name(kinds[k].k),
                         rc);
            buf_free(&b);
        }
    }
    const char *composite[] = {"list<int>",  "set<int>",         "map<int, int>",
                               "tuple<int>", "vector<float, 2>", "frozen<list<int>>"};
    for (size_t i = 0; i < sizeof(composite) / sizeof(composite[0]); i++)
        lit_kind(P(composite[i]), TYPE_LIT_STRING, "x");
    assert_string_equal(type_lit_name(TYPE_LIT_NAN), "FLOAT");
    assert_string_equal(type_lit_name(TYPE_LIT_HEX), "HEX");
}

/* ---- validation ---- */

static void test_validate_scalars(void **st)
{
    (void)st;
    val_ok(N(TYPE_INT), "");
    val_ok(N(TYPE_INT), "00000001");
    val_err(N(TYPE_INT), "000001", "Expected 4 or 0 byte int (3)");
    val_err(N(TYPE_BIGINT), "00000001", "Expected 8 or 0 byte long (4)");
    val_err(N(TYPE_COUNTER), "00", "Expected 8 or 0 byte long (1)");
    val_err(N(TYPE_TIMESTAMP), "00", "Expected 8 or 0 byte long for date (1)");
    val_err(N(TYPE_SMALLINT), "", "Expected 2 bytes for a smallint (0)");
    val_err(N(TYPE_SMALLINT), "00000001", "Expected 2 bytes for a smallint (4)");
    val_err(N(TYPE_TINYINT), "", "Expected 1 byte for a tinyint (0)");
    val_err(N(TYPE_BOOLEAN), "0000", "Expected 1 or 0 byte value (2)");
    val_ok(N(TYPE_BOOLEAN), "");
    val_err(N(TYPE_FLOAT), "00", "Expected 4 or 0 byte value for a float (1)");
    val_err(N(TYPE_DOUBLE), "00000000", "Expected 8 or 0 byte value for a double (4)");
    val_err(N(TYPE_UUID), "00", "UUID should be 16 or 0 bytes (1)");
    val_ok(N(TYPE_UUID), "");
    val_ok(N(TYPE_TIMEUUID), "a75a96872c2911ea92340123456789ab");
    val_err(N(TYPE_TIMEUUID), "7ad54392bcdd35a684174e047860b377",
            "Invalid version for TimeUUID type.");
    val_err(N(TYPE_INET), "0102030405", "Expected 4 or 16 byte inetaddress; got 0102030405");
    val_ok(N(TYPE_INET), "");
    val_err(N(TYPE_DATE), "", "Expected 4 byte long for date (0)");
    val_err(N(TYPE_TIME), "00000000", "Expected 8 byte long for time (4)");
    val_err(N(TYPE_DECIMAL), "000000", "Expected 0 or at least 4 bytes (3)");
    val_ok(N(TYPE_DECIMAL), "00000000");
    val_ok(N(TYPE_VARINT), "");
    val_ok(N(TYPE_BLOB), "ff");
    val_err(N(TYPE_ASCII), "41ff", "Invalid byte for ascii: -1");
    val_err(N(TYPE_ASCII), "80", "Invalid byte for ascii: -128");
    val_ok(N(TYPE_ASCII), "7f");
    /* UTF-8, with the quirks of Cassandra's validator */
    const struct type *x = N(TYPE_VARCHAR);
    val_ok(x, "");
    val_ok(x, "616263c3a9e282acf09f9880");
    val_ok(x, "c080");   /* modified UTF-8 NUL */
    val_ok(x, "eda080"); /* surrogate: accepted */
    val_ok(x, "4142434445464748494a4b4c4d4e4fc3a9");
    val_err(x, "c1bf", "String didn't validate.");       /* overlong */
    val_err(x, "e282", "String didn't validate.");       /* truncated */
    val_err(x, "80", "String didn't validate.");         /* lone continuation */
    val_err(x, "f880808080", "String didn't validate."); /* 5-byte form */
    val_err(x, "e08080", "String didn't validate.");     /* overlong 3-byte */
    val_err(x, "f0808080", "String didn't validate.");   /* overlong 4-byte */
    val_err(x, "c3", "String didn't validate.");
    val_err(x, "41424344454647c3", "String didn't validate.");
    /* duration */
    const struct type *d = N(TYPE_DURATION);
    val_ok(d, "000000");
    val_err(d, "", "Expected at least 3 bytes for a duration (0)");
    val_err(d, "0000", "Expected at least 3 bytes for a duration (2)");
    val_err(d, "0201ff", "Not enough bytes to read a duration");
    val_err(d, "020100",
            "The duration months, days and nanoseconds must be all of the same sign "
            "(1, -1, 0)");
    val_err(d, "f1000000000000",
            "The duration months must be a 32 bits integer but was: 2147483648");
    val_err(d, "00f1000000000000",
            "The duration days must be a 32 bits integer but was: 2147483648");
}

static void test_validate_composites(void **st)
{
    (void)st;
    const struct type *l = P("list<int>"), *s = P("set<text>"), *m = P("map<text, int>");
    val_ok(l, "00000000");
    val_ok(l, "00000002 00000004 00000001 00000000");
    val_err(l, "", "Not enough bytes to read a list");
    val_err(l, "000001", "Not enough bytes to read a list");
    val_err(l, "00000002 00000004 00000001", "Not enough bytes to read a list");
    val_err(l, "00000001 00000004 0000000100", "Unexpected extraneous bytes after list value");
    val_err(l, "00000001 00000003 000001", "Expected 4 or 0 byte int (3)");
    val_err(l, "00000001 ffffffff", "Null value read when not allowed");
    val_err(l, "ffffffff", "The data cannot be deserialized as a list");
    val_ok(s, "");
    val_ok(s, "00000001 00000001 61");
    val_err(s, "00000001 00000001 ff", "String didn't validate.");
    val_err(s, "00000002 00000001 61", "Not enough bytes to read a set");
    val_ok(m, "");
    val_ok(m, "00000001 00000001 61 00000004 00000001");
    val_err(m, "00000001 00000001 61 00000002 0001", "Expected 4 or 0 byte int (2)");
    val_err(m, "00000001 00000001 61", "Not enough bytes to read a map");
    val_err(m, "00000000 00", "Unexpected extraneous bytes after map value");

    const struct type *t = P("tuple<int, text>");
    val_ok(t, "");
    val_ok(t, "00000004 00000001");
    val_ok(t, "ffffffff ffffffff");
    val_ok(t, "00000004 00000001 00000002 6869");
    val_err(t, "00000004 00000001 00000002 6869 00",
            "Invalid remaining data after end of tuple value");
    val_err(t, "000000", "Not enough bytes to read size of 0th component");
    val_err(t, "00000004 00000001 00000005 6869", "Not enough bytes to read 1th component");
    val_err(t, "00000002 0001", "Expected 4 or 0 byte int (2)");

    const struct type *u = UDT();
    val_ok(u, "");
    val_ok(u, "00000004 00000001");
    val_ok(u, "ffffffff 00000001 41 00000004 00000000");
    val_err(u, "00000004 00000001 0000", "Not enough bytes to read size of 1th field Big");
    val_err(u, "ffffffff 00000003 41", "Not enough bytes to read 0th field Big");
    val_err(u, "ffffffff ffffffff ffffffff 00", "Invalid remaining data after end of UDT value");
    val_err(u, "ffffffff ffffffff 00000000", "Not enough bytes to read a list");

    const struct type *v = P("vector<float, 2>"), *vt = P("vector<text, 2>");
    val_ok(v, "3f800000 40000000");
    val_err(v, "", "Invalid empty vector value");
    val_err(v, "3f800000", "Not enough bytes to read a vector<float, 2>");
    val_err(v, "3f800000 40000000 00",
            "Unexpected 1 extraneous bytes after vector<float, 2> value");
    val_ok(vt, "01 61 00");
    val_err(vt, "01 61", "Not enough bytes to read a vector<text, 2>");
    val_err(vt, "01 61 05 61", "Not enough bytes to read a vector<text, 2>");
    val_err(vt, "01 61 01 ff", "String didn't validate.");
    val_err(vt, "01 61 00 00", "Unexpected 1 extraneous bytes after vector<text, 2> value");

    const struct type *nested = P("map<int, frozen<set<frozen<list<text>>>>>");
    val_ok(nested, "00000001 00000004 00000007 00000012 00000001 0000000a 00000001 00000002 6869");
    val_err(nested, "00000001 00000004 00000007 00000012 00000001 0000000a 00000001 00000002 68ff",
            "String didn't validate.");
}

/* ---- comparison ---- */

static const struct type *cmp_t;

static int qcmp(const void *x, const void *y)
{
    uint8_t a[512], b[512];
    size_t na = unhex(*(char *const *)x, a), nb = unhex(*(char *const *)y, b);
    return type_compare(cmp_t, a, (int32_t)na, b, (int32_t)nb);
}

/* vals in ascending order; a leading '=' means "equal to the previous". */
static void check_order(const struct type *t, const char **vals, int n)
{
    int rank[64];
    const char *v[64];
    assert_true(n <= 64);
    int r = 0;
    for (int i = 0; i < n; i++) {
        if (vals[i][0] == '=')
            v[i] = vals[i] + 1;
        else
            v[i] = vals[i], r++;
        rank[i] = r;
    }
    cmp_t = t;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            int c = qcmp(&v[i], &v[j]);
            int want = (rank[i] > rank[j]) - (rank[i] < rank[j]);
            if ((c > 0) - (c < 0) != want)
                fail_msg("%s: compare(%s, %s) = %d, want %d", type_kind_name(t->kind), v[i], v[j],
                         c, want);
        }
    /* sort a shuffled copy */
    const char *sh[64];
    int shr[64];
    for (int i = 0; i < n; i++)
        sh[i] = v[(n - 1 - i + 3) % n];
    qsort(sh, (size_t)n, sizeof(sh[0]), qcmp);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            if (sh[i] == v[j]) shr[i] = rank[j];
    for (int i = 1; i < n; i++)
        assert_true(shr[i - 1] <= shr[i]);
}

#define ORDER(t, ...)                                                                              \
    do {                                                                                           \
        const char *vals_[] = {__VA_ARGS__};                                                       \
        check_order(t, vals_, (int)(sizeof(vals_) / sizeof(vals_[0])));                            \
    } while (0)

static void test_compare(void **st)
{
    (void)st;
    ORDER(N(TYPE_INT), "", "80000000", "ffffff00", "ffffffff", "00000000", "00000001", "000000ff",
          "00000100", "7fffffff");
    ORDER(N(TYPE_BIGINT), "", "8000000000000000", "ffffffffffffffff", "0000000000000000",
          "7fffffffffffffff");
    ORDER(N(TYPE_TIMESTAMP), "", "fffff4e2f43e5000", "ffffffffffffffff", "0000012dedf1b9e0");
    ORDER(N(TYPE_SMALLINT), "8000", "ff00", "ffff", "0000", "00ff", "7fff");
    ORDER(N(TYPE_TINYINT), "80", "ff", "00", "7f");
    ORDER(N(TYPE_FLOAT), "", "ff800000", "bf800000", "80000001", "80000000", "00000000", "00000001",
          "3f800000", "7f800000", "7fc00000", "=7f800001", "=ffc00000");
    ORDER(N(TYPE_DOUBLE), "", "fff0000000000000", "bff0000000000000", "8000000000000000",
          "0000000000000000", "3ff0000000000000", "7ff0000000000000", "7ff8000000000000",
          "=fff8000000000001");
    ORDER(N(TYPE_BOOLEAN), "", "00", "01", "=ff");
    ORDER(N(TYPE_VARINT), "", "f0000000000000000000000000", "ff7f", "=ffff7f", "80", "ff", "=ffff",
          "00", "=0000", "01", "=000001", "7f", "0080", "00ff", "0100",
          "10000000000000000000000000");
    /* decimals: numeric order, 1.0 == 1.00, far-apart scales */
    ORDER(N(TYPE_DECIMAL), "", "fffe7960 f6",            /* -10 * 10^100000 */
          "fffffff7 f1",                                 /* -1.5E+10 */
          "00000000 ff",                                 /* -1 */
          "00000001 fb",                                 /* -0.5 */
          "00000000 00", "=00000003 00", "=fffffffd 00", /* 0, 0.000, 0E+3 */
          "7fffffff 7f",                                 /* 127E-2147483647 */
          "000186a0 01",                                 /* 1E-100000 */
          "00000003 01",                                 /* 0.001 */
          "00000001 05",                                 /* 0.5 */
          "00000001 0a", "=00000002 64", "=00000000 01", /* 1.0 = 1.00 = 1 */
          "00000014 056bc75e2d63100001",                 /* 1.00000000000000000001 */
          "00000001 0f",                                 /* 1.5 */
          "ffffffff 01",                                 /* 1E+1 */
          "fffffff7 0f",                                 /* 1.5E+10 */
          "80000000 01");                                /* 1E+2147483648 */
    /* uuid: version first; v1 by timestamp (time_hi, mid, low) then
     * unsigned bytes; others by unsigned bytes */
    ORDER(N(TYPE_UUID), "", "00000000000000000000000000000000", "ffffffff00001000 8000000000000000",
          "0000000000011000 0000000000000000", "0000000000011000 8000000000000000",
          "0000000000001001 0000000000000000", "00000000000030008000000000000000",
          "7ad54392bcdd35a684174e047860b377", "0000000000004000 0000000000000000",
          "ffffffffffff4fff ffffffffffffffff");
    /* timeuuid: timestamp, then the low bytes as *signed* bytes */
    ORDER(N(TYPE_TIMEUUID), "", "ffffffff00001000 8000000000000000",
          "0000000000011000 ff00000000000000", "0000000000011000 0000000000000000",
          "0000000000011000 007f000000000000", "0000000000001001 0000000000000000");
    ORDER(N(TYPE_VARCHAR), "", "00", "41", "4142", "61", "c3a9", "ff");
    ORDER(N(TYPE_BLOB), "", "00", "0000", "01", "ff");
    ORDER(N(TYPE_INET), "", "00000000000000000000000000000001", "01020304", "7f000001");
    ORDER(N(TYPE_DATE), "00000000", "7fffffff", "80000000", "ffffffff");
    ORDER(N(TYPE_TIME), "0000000000000000", "0000000000000001", "00004e94914effff");
    ORDER(P("list<int>"), "", "00000000", "00000001 00000004 00000001",
          "00000002 00000004 00000001 00000004 00000000",
          "00000002 00000004 00000001 00000004 00000002", "00000001 00000004 00000002");
    ORDER(P("map<int, text>"), "", "00000000", "00000001 00000004 00000001 00000000",
          "00000001 00000004 00000001 00000001 61", "00000001 00000004 00000002 00000000");
    ORDER(P("tuple<int, text>"), "", "ffffffff", "ffffffff 00000000", "00000000",
          "00000004 00000001", "00000004 00000001 ffffffff", "00000004 00000001 00000000",
          "00000004 00000001 00000001 61", "00000004 00000002");
    ORDER(P("vector<float, 2>"), "bf800000 00000000", "80000000 00000000", "00000000 bf800000",
          "00000000 00000000", "00000000 3f800000");
    ORDER(P("vector<text, 2>"), "00 00", "00 01 61", "01 61 00", "02 6161 00");
    ORDER(N(TYPE_DURATION), "000000", "000002", "020000");
}

/* ---- building ---- */

static struct type_val V(const char *h) {
    static uint8_t pool[8192];
    static size_t used;
    struct type_val v = {NULL, -1};
    if (!h) return v;
    if (used > 7000) used = 0;
    v.p = pool + used;
    v.len = (int32_t)unhex(h, pool + used);
    used += (size_t)v.len;
    return v;
}

static void
build_ok(const struct type *t, const struct type_val *e, int n, const char *want)
{
    buf b;
    buf_init(&b);
    int rc = type_build_collection(t, e, n, "col", &b, err, sizeof(err));
    if (rc) fail_msg("build: %d %s", rc, err);
    uint8_t w[2048];
    size_t nw = unhex(want, w);
    if (b.len != nw || memcmp(b.data, w, nw))
        fail_msg("build: got %s want %s", hexstr(b.data, b.len), hexstr(w, nw));
    assert_int_equal(type_validate(t, b.data, (int32_t)b.len, err, sizeof(err)), 0);
    buf_free(&b);
}

static void build_err(const struct type *t, const struct type_val *e, int n, const char *want)
{
    buf b;
    buf_init(&b);
    buf_put(&b, "xy", 2);
    int rc = type_build_collection(t, e, n, "col", &b, err, sizeof(err));
    if (rc != TYPE_EINVAL) fail_msg("build: rc %d want -1 (%s)", rc, want);
    if (strcmp(err, want)) fail_msg("build error:\n  got  %s\n  want %s", err, want);
    assert_int_equal(b.len, 2);
    buf_free(&b);
}

static void test_build(void **st)
{
    (void)st;
    const struct type *l = P("list<int>");
    struct type_val e[8] = {V("00000003"), V("00000001"), V("00000003")};
    build_ok(l, e, 3, "00000003 00000004 00000003 00000004 00000001 00000004 00000003");
    build_ok(l, e, 0, "00000000");
    e[1] = V(NULL);
    build_err(l, e, 3, "null is not supported inside collections");
    e[1] = V("0001");
    build_err(l, e, 3, "Expected 4 or 0 byte int (2)");

    /* set: sorted, deduplicated, the first of equal elements kept */
    const struct type *s = P("set<decimal>");
    e[0] = V("00000002 64"); /* 1.00 */
    e[1] = V("00000000 00"); /* 0 */
    e[2] = V("00000001 0a"); /* 1.0 == 1.00 */
    e[3] = V("00000000 ff"); /* -1 */
    build_ok(s, e, 4, "00000003 00000005 00000000ff 00000005 0000000000 00000005 0000000264");
    e[2] = V(NULL);
    build_err(s, e, 3, "null is not supported inside collections");

    /* map: sorted by key, for equal keys the first key bytes and last value */
    const struct type *m = P("map<decimal, text>");
    struct type_val me[8] = {V("00000001 0a"), V("61"),          V("00000000 00"),
                             V("62"),          V("00000002 64"), V("63")};
    build_ok(m, me, 6, "00000002 00000005 0000000000 00000001 62 00000005 000000010a 00000001 63");
    me[3] = V(NULL);
    build_err(m, me, 6, "null is not supported inside collections");
    me[3] = V("62");
    me[2] = V(NULL);
    build_err(m, me, 6, "null is not supported inside collections");
    build_ok(m, me, 0, "00000000");

    /* a set of frozen lists, ordered element-wise then by length */
    const struct type *sl = P("set<frozen<list<int>>>");
    struct type_val le[4] = {V("00000001 00000004 00000002"),
                             V("00000002 00000004 00000001 00000004 00000005"),
                             V("00000001 00000004 00000001"), V("00000000")};
    build_ok(sl, le, 4,
             "00000004 00000004 00000000 0000000c 00000001 00000004 00000001"
             " 00000014 00000002 00000004 00000001 00000004 00000005"
             " 0000000c 00000001 00000004 00000002");

    /* tuples: fewer elements kept as is, nulls allowed */
    const struct type *t = P("tuple<int, text, boolean>");
    struct type_val te[4] = {V("00000001"), V(NULL), V("01"), V("00")};
    build_ok(t, te, 3, "00000004 00000001 ffffffff 00000001 01");
    build_ok(t, te, 1, "00000004 00000001");
    build_err(
        t, te, 4,
        "Invalid tuple literal for col: too many elements. Type frozen<tuple<int, text, boolean>> "
        "expects 3 but got 4");
    te[2] = V("0101");
    build_err(t, te, 3, "Expected 1 or 0 byte value (2)");

    /* UDT: missing trailing fields written as null */
    const struct type *u = UDT();
    struct type_val ue[3] = {V("00000007"), V("6869")};
    build_ok(u, ue, 1, "00000004 00000007 ffffffff ffffffff");
    build_ok(u, ue, 2, "00000004 00000007 00000002 6869 ffffffff");

    /* vectors */
    const struct type *v = P("vector<float, 2>"), *vt = P("vector<text, 3>");
    struct type_val ve[3] = {V("3f800000"), V("40000000"), V("40400000")};
    build_ok(v, ve, 2, "3f800000 40000000");
    build_err(v, ve, 3,
              "Invalid vector literal for col of type vector<float, 2>; expected 2 elements, but "
              "given 3");
    ve[1] = V(NULL);
    build_err(v, ve, 2, "null is not supported inside vectors");
    ve[1] = V("");
    build_err(v, ve, 2, "null is not supported inside vectors");
    struct type_val vte[3] = {V("61"), V(""), V("6263")};
    build_ok(vt, vte, 3, "01 61 00 02 6263");
    build_err(N(TYPE_INT), vte, 1, "Not a collection, tuple, user type or vector type");

    /* nested frozen map values */
    const struct type *mm = P("map<text, frozen<map<int, text>>>");
    struct type_val inner[2] = {V("00000001"), V("78")};
    buf ib;
    buf_init(&ib);
    assert_int_equal(type_build_collection(mm->params[1], inner, 2, NULL, &ib, err, sizeof(err)),
                     0);
    struct type_val outer[2] = {V("6b"), {ib.data, (int32_t)ib.len}};
    build_ok(mm, outer, 2, "00000001 00000001 6b 00000011 00000001 00000004 00000001 00000001 78");
    buf_free(&ib);
}

/* ---- formatting of composites, iteration ---- */

static void test_format_composites(void **st)
{
    (void)st;
    fmt_is(P("list<text>"), "00000002 00000001 61 00000002 2762", "['a', '''b']");
    fmt_is(P("set<int>"), "00000002 00000004 00000001 00000004 00000002", "{1, 2}");
    fmt_is(P("set<int>"), "", "{}");
    fmt_is(P("map<text, frozen<list<double>>>"),
           "00000001 00000001 6b 00000010 00000001 00000008 3ff8000000000000", "{'k': [1.5]}");
    fmt_is(P("tuple<int, text, boolean>"), "00000004 00000001 ffffffff 00000001 01",
           "(1, null, true)");
    fmt_is(UDT(), "00000004 00000007", "{a: 7, \"Big\": null, c: null}");
    fmt_is(UDT(), "ffffffff 00000002 6869 0000000c 00000001 00000004 00000009",
           "{a: null, \"Big\": 'hi', c: [9]}");
    fmt_is(P("vector<float, 2>"), "3f800000 40000000", "[1, 2]");
    fmt_is(P("vector<text, 2>"), "01 61 00", "['a', '']");
    fmt_is(P("list<int>"), "00000001 00000003 000001", "0x0000000100000003000001");
    fmt_is(N(TYPE_INT), "000001", "0x000001");
    fmt_is(N(TYPE_INT), "", "");
    buf b;
    buf_init(&b);
    assert_int_equal(type_format_value(N(TYPE_INT), NULL, -1, &b), 0);
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.data, "null", 4);
    buf_free(&b);

    /* iteration */
    uint8_t v[64];
    size_t n = unhex("00000002 00000001 61 00000004 00000001 00000001 62 ffffffff", v);
    const struct type *m = P("map<text, int>");
    struct type_iter it;
    struct type_val x;
    assert_int_equal(type_iter_init(&it, m, v, (int32_t)n), 4);
    assert_int_equal(type_iter_next(&it, &x), 1);
    assert_int_equal(x.len, 1);
    assert_ptr_equal(type_elem_type(m, 0), N(TYPE_VARCHAR));
    assert_ptr_equal(type_elem_type(m, 1), N(TYPE_INT));
    assert_int_equal(type_iter_next(&it, &x), 1);
    assert_int_equal(x.len, 4);
    assert_int_equal(type_iter_next(&it, &x), 1);
    assert_int_equal(type_iter_next(&it, &x), 1);
    assert_int_equal(x.len, -1);
    assert_int_equal(type_iter_next(&it, &x), 0);
    assert_int_equal(type_iter_init(&it, m, v, 3), -1);
    assert_int_equal(type_iter_init(&it, m, v, 12), 4);
    assert_int_equal(type_iter_next(&it, &x), 1);
    assert_int_equal(type_iter_next(&it, &x), -1);
}

/* ---- helpers ---- */

static void test_helpers(void **st)
{
    (void)st;
    static const uint64_t vals[] = {
        0, 1, 127, 128, 16383, 16384, (UINT64_C(1) << 56) - 1, UINT64_C(1) << 56, UINT64_MAX};
    static const int sizes[] = {1, 1, 1, 2, 2, 3, 8, 9, 9};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        buf b;
        buf_init(&b);
        val_put_uvint(&b, vals[i]);
        assert_int_equal(b.len, sizes[i]);
        assert_int_equal(val_uvint_size(vals[i]), sizes[i]);
        uint64_t back;
        assert_int_equal(val_get_uvint(b.data, b.len, &back), sizes[i]);
        assert_true(back == vals[i]);
        assert_int_equal(val_get_uvint(b.data, b.len - 1, &back), b.len > 1 ? -1 : -1);
        buf_free(&b);
    }
    assert_true(val_unzigzag(val_zigzag(INT64_MIN)) == INT64_MIN);
    assert_true(val_zigzag(-1) == 1 && val_zigzag(1) == 2);
    int64_t y;
    int m, d;
    for (int64_t days = -800000; days < 800000; days += 997) {
        val_civil_from_days(days, &y, &m, &d);
        assert_true(val_days_from_civil(y, m, d) == days);
    }
    assert_true(val_days_from_civil(1582, 10, 15) == -141427);
    assert_true(val_days_from_civil(2000, 2, 29) == 11016);

    assert_int_equal(type_fixed_size(N(TYPE_INT)), 4);
    assert_int_equal(type_fixed_size(N(TYPE_UUID)), 16);
    assert_int_equal(type_fixed_size(N(TYPE_BOOLEAN)), 1);
    assert_int_equal(type_fixed_size(N(TYPE_TIMESTAMP)), 8);
    assert_int_equal(type_fixed_size(N(TYPE_SMALLINT)), -1);
    assert_int_equal(type_fixed_size(N(TYPE_DATE)), -1);
    assert_int_equal(type_fixed_size(N(TYPE_VARCHAR)), -1);
    assert_int_equal(type_fixed_size(P("vector<double, 3>")), 24);
    assert_int_equal(type_fixed_size(P("vector<text, 3>")), -1);
    assert_int_equal(type_fixed_size(P("list<int>")), -1);
    assert_true(type_is_counter(N(TYPE_COUNTER)));
    assert_false(type_is_counter(N(TYPE_BIGINT)));
    assert_true(type_is_byte_order(N(TYPE_BLOB)));
    assert_false(type_is_byte_order(N(TYPE_INT)));
}

/* ---- out of memory ---- */

static const struct type *oom_set, *oom_map, *oom_list;

static int run_alloc_paths(buf *out)
{
    char e[256];
    const struct type *s = oom_set;
    struct type_val el[40];
    uint8_t raw[40][4];
    for (int i = 0; i < 40; i++) {
        put_be32(raw[i], (uint32_t)((i * 17) % 23)); /* duplicates, unsorted */
        el[i].p = raw[i];
        el[i].len = 4;
    }
    int rc = type_build_collection(s, el, 40, "c", out, e, sizeof(e));
    if (rc) return rc;
    const struct type *mp = oom_map;
    rc = type_build_collection(mp, el, 40, "c", out, e, sizeof(e));
    if (rc) return rc;
    rc = type_from_literal(N(TYPE_VARINT), TYPE_LIT_INTEGER,
                           "-123456789012345678901234567890123456789", 40, out, e, sizeof(e));
    if (rc) return rc;
    rc = type_from_literal(N(TYPE_DECIMAL), TYPE_LIT_FLOAT, "-1234567890123456789.0123456789e-3",
                           34, out, e, sizeof(e));
    if (rc) return rc;
    rc = type_format_value(N(TYPE_VARINT), out->data + out->len - 0, 0, out);
    if (rc) return rc;
    uint8_t dec[] = {0, 0, 0, 5, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    rc = type_format_value(N(TYPE_DECIMAL), dec, sizeof(dec), out);
    if (rc) return rc;
    rc = type_format_value(oom_list, (const uint8_t *)"\0\0\0\1\0\0\0\2\x01\x00", 10, out);
    return rc;
}

static void test_oom(void **st)
{
    (void)st;
    oom_set = P("set<int>");
    oom_map = P("map<int, int>");
    oom_list = P("list<varint>");
    /* reference run */
    buf ref;
    buf_init(&ref);
    assert_int_equal(run_alloc_paths(&ref), 0);
    int64_t base = mem_outstanding();
    int ok = 0;
    for (int64_t i = 0; i < 200 && !ok; i++) {
        buf b;
        buf_init(&b);
        mem_fail_after(i);
        int rc = run_alloc_paths(&b);
        mem_fail_after(-1);
        if (rc == 0) {
            assert_int_equal(b.len, ref.len);
            assert_memory_equal(b.data, ref.data, ref.len);
            ok = 1;
            assert_true(i >= 8); /* every allocating step was failed once */
        } else {
            assert_int_equal(rc, TYPE_ENOMEM);
        }
        buf_free(&b);
        assert_int_equal(mem_outstanding(), base);
    }
    assert_true(ok);
    buf_free(&ref);
    base = mem_outstanding();
    /* decimal comparison of huge values allocates; failure still orders */
    uint8_t a[1300], b2[1300];
    memset(a, 0x11, sizeof(a));
    memset(b2, 0x11, sizeof(b2));
    put_be32(a, 5);
    put_be32(b2, 6); /* b = a / 10 */
    mem_fail_after(0);
    int c = type_compare(N(TYPE_DECIMAL), a, sizeof(a), b2, sizeof(b2));
    mem_fail_after(-1);
    assert_true(c > 0);
    assert_true(type_compare(N(TYPE_DECIMAL), a, sizeof(a), b2, sizeof(b2)) > 0);
    assert_int_equal(mem_outstanding(), base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_integers, teardown),
        cmocka_unit_test_teardown(test_floats, teardown),
        cmocka_unit_test_teardown(test_decimal, teardown),
        cmocka_unit_test_teardown(test_text, teardown),
        cmocka_unit_test_teardown(test_boolean_uuid_blob, teardown),
        cmocka_unit_test_teardown(test_inet, teardown),
        cmocka_unit_test_teardown(test_timestamp, teardown),
        cmocka_unit_test_teardown(test_date, teardown),
        cmocka_unit_test_teardown(test_time, teardown),
        cmocka_unit_test_teardown(test_duration, teardown),
        cmocka_unit_test_teardown(test_kind_matrix, teardown),
        cmocka_unit_test_teardown(test_validate_scalars, teardown),
        cmocka_unit_test_teardown(test_validate_composites, teardown),
        cmocka_unit_test_teardown(test_compare, teardown),
        cmocka_unit_test_teardown(test_build, teardown),
        cmocka_unit_test_teardown(test_format_composites, teardown),
        cmocka_unit_test_teardown(test_helpers, teardown),
        cmocka_unit_test_teardown(test_oom, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
