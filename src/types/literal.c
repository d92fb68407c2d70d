/*
 * literal.c -- CQL constants to values (type_from_literal, see value.h).
 *
 * Mirrors Cassandra's Constants.Literal: testAssignment decides which
 * constant kinds a native type accepts (else TYPE_EKIND), then the type's
 * fromString turns the text into bytes, with the MarshalException message
 * of the Java code as our error text:
 *   Int32Type/LongType/ShortType/ByteType   Integer.parseInt & co.
 *   IntegerType / DecimalType               BigInteger / BigDecimal
 *   FloatType / DoubleType                  Float/Double.parseFloat
 *   TimestampSerializer.dateStringToTimestamp   "now", millis, or the
 *       SimpleDateFormat-style patterns "yyyy-MM-dd[( |T)HH:mm[:ss[.SSS]]]"
 *       followed by an optional zone (Z, +hh, +hhmm, +hh:mm, or after a
 *       space +hhmm, GMT, GMT+h:mm, UTC); no zone means UTC here (Java: the
 *       JVM's zone); Julian calendar before 1582-10-15 as GregorianCalendar
 *   SimpleDateSerializer.dateStringToDays   raw unsigned days or ISO yyyy-mm-dd
 *   TimeSerializer.timeStringToLong         raw nanos or hh:mm:ss[.fffffffff]
 *   cql3.Duration.from                      1h30m, ISO 8601 P..., P..W, P0001-..
 *   InetAddressType                         numeric IPv4 (also Java's short
 *       forms "127.1") and IPv6; no host name lookups
 * Invariant: on every error path out->len is restored to its entry value.
 */
#include "types/value.h"
#include "util/mem.h"
#include "util/uuid.h"
#include "util/err.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *type_lit_name(enum type_lit kind)
{
    switch (kind) {
    case TYPE_LIT_STRING: return "STRING";
    case TYPE_LIT_INTEGER: return "INTEGER";
    case TYPE_LIT_FLOAT:
    case TYPE_LIT_NAN:
    case TYPE_LIT_INFINITY: return "FLOAT";
    case TYPE_LIT_BOOLEAN: return "BOOLEAN";
    case TYPE_LIT_DURATION: return "DURATION";
    case TYPE_LIT_UUID: return "UUID";
    case TYPE_LIT_HEX: return "HEX";
    }
    return "UNKNOWN";
}

/* Constants.Literal.testAssignment (plus the exact-match of the constant's
 * preferred type, which adds tinyint for HEX). */
static int assignable(enum type_kind k, enum type_lit lit)
{
    switch (lit) {
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
    case TYPE_LIT_HEX: return k == TYPE_BLOB || k == TYPE_TINYINT || k == TYPE_CUSTOM;
    case TYPE_LIT_DURATION: return k == TYPE_DURATION;
    }
    return 0;
}

/* ---- small text helpers ---- */

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int all_digits(const char *s, size_t n)
{
    if (!n) return 0;
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i])) return 0;
    return 1;
}

/* ASCII case-insensitive s[0..n) == lower-case word w (no locale). */
static int ieq(const char *s, size_t n, const char *w)
{
    size_t k = strlen(w);
    if (n != k) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c + 32);
        if (c != w[i]) return 0;
    }
    return 1;
}

/* "^-?\d+$" */
static int is_raw_int(const char *s, size_t n)
{
    if (n && s[0] == '-') return all_digits(s + 1, n - 1);
    return all_digits(s, n);
}

/* Java's Long.parseLong-style: [+-]?[0-9]+ within [lo, hi]. */
static int parse_int_range(const char *s, size_t n, int64_t lo, int64_t hi, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    if (i < n && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
    if (i == n) return -1;
    uint64_t v = 0, lim = neg ? (uint64_t)0 - (uint64_t)lo : (uint64_t)hi;
    for (; i < n; i++) {
        if (!is_digit(s[i])) return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (d > lim || v > (lim - d) / 10) return -1;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads 1..maxd digits at s[*i]; -1 if none. */
static int read_num(const char *s, size_t n, size_t *i, int maxd, int64_t *v)
{
    size_t st = *i;
    int64_t x = 0;
    while (*i < n && is_digit(s[*i]) && (int)(*i - st) < maxd)
        x = x * 10 + (s[(*i)++] - '0');
    if (*i == st || (*i < n && is_digit(s[*i]))) return -1;
    *v = x;
    return 0;
}

/* Reads exactly k digits. */
static int read_fixed(const char *s, size_t n, size_t *i, int k, int64_t *v)
{
    if (*i + (size_t)k > n) return -1;
    int64_t x = 0;
    for (int j = 0; j < k; j++) {
        if (!is_digit(s[*i + (size_t)j])) return -1;
        x = x * 10 + (s[*i + (size_t)j] - '0');
    }
    *i += (size_t)k;
    *v = x;
    return 0;
}

/* ---- integers ---- */

static int lit_fixed_int(const struct type *t, const char *s, size_t n, buf *out, char *err,
                         size_t errsz)
{
    int64_t v;
    switch (t->kind) {
    case TYPE_TINYINT:
        if (parse_int_range(s, n, INT8_MIN, INT8_MAX, &v))
            return err_set(err, errsz, "Unable to make byte from '%.*s'", (int)n, s);
        buf_put_u8(out, (uint8_t)v);
        return 0;
    case TYPE_SMALLINT:
        if (parse_int_range(s, n, INT16_MIN, INT16_MAX, &v))
            return err_set(err, errsz, "Unable to make short from '%.*s'", (int)n, s);
        buf_put_be16(out, (uint16_t)v);
        return 0;
    case TYPE_INT:
        if (parse_int_range(s, n, INT32_MIN, INT32_MAX, &v))
            return err_set(err, errsz, "Unable to make int from '%.*s'", (int)n, s);
        buf_put_be32(out, (uint32_t)v);
        return 0;
    default: /* bigint, counter */
        if (parse_int_range(s, n, INT64_MIN, INT64_MAX, &v))
            return err_set(err, errsz, "Unable to make long from '%.*s'", (int)n, s);
        buf_put_be64(out, (uint64_t)v);
        return 0;
    }
}

/* ---- floating point and decimal ---- */

/* Java's Float/Double.parseFloat over the constant's text. */
static int lit_float(const struct type *t, enum type_lit kind, const char *s, size_t n, buf *out,
                     char *err, size_t errsz)
{
    int dbl = t->kind == TYPE_DOUBLE;
    const char *what = dbl ? "double" : "float";
    if (kind == TYPE_LIT_NAN) {
        if (dbl)
            buf_put_be64(out, UINT64_C(0x7ff8000000000000));
        else
            buf_put_be32(out, 0x7fc00000u);
        return 0;
    }
    if (kind == TYPE_LIT_INFINITY) {
        int neg = n && s[0] == '-';
        if (dbl)
            buf_put_be64(out, neg ? UINT64_C(0xfff0000000000000) : UINT64_C(0x7ff0000000000000));
        else
            buf_put_be32(out, neg ? 0xff800000u : 0x7f800000u);
        return 0;
    }
    /* [+-]? digits [. digits] [eE [+-] digits], at least one digit */
    size_t i = 0, nd = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    while (i < n && is_digit(s[i]))
        i++, nd++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && is_digit(s[i]))
            i++, nd++;
    }
    if (nd && i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        size_t st = i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == st) nd = 0;
    }
    if (!nd || i != n) return err_set(err, errsz, "Unable to make %s from '%.*s'", what, (int)n, s);
    char stack[128];
    char *z = n < sizeof(stack) ? stack : mem_alloc(n + 1);
    if (!z) return TYPE_ENOMEM;
    memcpy(z, s, n);
    z[n] = 0;
    if (dbl) {
        double d = strtod(z, NULL);
        uint64_t bits;
        memcpy(&bits, &d, 8);
        buf_put_be64(out, bits);
    } else {
        float f = strtof(z, NULL);
        uint32_t bits;
        memcpy(&bits, &f, 4);
        buf_put_be32(out, bits);
    }
    if (z != stack) mem_free(z);
    return 0;
}

/* new BigDecimal(text) -> [int scale][varint unscaled]. */
static int lit_decimal(const char *s, size_t n, buf *out, char *err, size_t errsz)
{
    size_t i = 0;
    int neg = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    size_t int_st = i;
    while (i < n && is_digit(s[i]))
        i++;
    size_t int_n = i - int_st, frac_st = i, frac_n = 0;
    if (i < n && s[i] == '.') {
        frac_st = ++i;
        while (i < n && is_digit(s[i]))
            i++;
        frac_n = i - frac_st;
    }
    int64_t exp = 0;
    int bad = int_n + frac_n == 0;
    if (!bad && i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        size_t st = i;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        size_t dst = i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == dst || parse_int_range(s + st, i - st, INT32_MIN, INT32_MAX, &exp)) bad = 1;
    }
    int64_t scale = (int64_t)frac_n - exp;
    if (bad || i != n || scale < INT32_MIN || scale > INT32_MAX)
        return err_set(err, errsz, "unable to make BigDecimal from '%.*s'", (int)n, s);
    size_t nd = int_n + frac_n;
    char stack[128];
    char *digits = nd + 1 < sizeof(stack) ? stack : mem_alloc(nd + 1);
    if (!digits) return TYPE_ENOMEM;
    digits[0] = neg ? '-' : '+';
    memcpy(digits + 1, s + int_st, int_n);
    memcpy(digits + 1 + int_n, s + frac_st, frac_n);
    buf_put_be32(out, (uint32_t)(int32_t)scale);
    int rc = val_varint_from_dec(digits, nd + 1, out);
    if (digits != stack) mem_free(digits);
    return rc == 0 ? 0 : TYPE_ENOMEM;
}

/* ---- text ---- */

static int lit_ascii(const char *s, size_t n, buf *out, char *err, size_t errsz)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t b = (uint8_t)s[i];
        if (b & 0x80) {
            /* Java's US_ASCII encoder reports the first unmappable char; a
             * supplementary code point is a surrogate pair: 2 chars. */
            int len = (b & 0xf8) == 0xf0 ? 2 : 1;
            return err_set(err, errsz,
                           "Invalid ASCII character in string literal: "
                           "java.nio.charset.UnmappableCharacterException: Input length = %d",
                           len);
        }
    }
    buf_put(out, s, n);
    return 0;
}

/* ---- inet ---- */

/* Java's IPAddressUtil.textToNumericFormatV4: "a.b.c.d", "a.b.c" (c 16
 * bits), "a.b" (b 24 bits), "a" (32 bits); decimal only. */
static int parse_v4(const char *s, size_t n, uint8_t out[4])
{
    int64_t part[4];
    int k = 0;
    size_t i = 0;
    if (n == 0 || n > 15) return -1;
    for (;;) {
        if (k == 4) return -1;
        size_t st = i;
        int64_t v = 0;
        while (i < n && is_digit(s[i])) {
            v = v * 10 + (s[i++] - '0');
            if (v > UINT32_MAX) return -1;
        }
        if (i == st) return -1;
        part[k++] = v;
        if (i == n) break;
        if (s[i++] != '.' || i == n) return -1;
    }
    uint32_t a = 0;
    for (int j = 0; j < k - 1; j++) {
        if (part[j] > 255) return -1;
        a |= (uint32_t)part[j] << (24 - 8 * j);
    }
    int last_bits = 32 - 8 * (k - 1);
    if (last_bits < 32 && part[k - 1] >= ((int64_t)1 << last_bits)) return -1;
    a |= (uint32_t)part[k - 1];
    put_be32(out, a);
    return 0;
}

static int lit_inet(const char *s, size_t n, buf *out, char *err, size_t errsz)
{
    if (n == 0) return 0;
    uint8_t a[16];
    char z[64];
    if (parse_v4(s, n, a) == 0) {
        buf_put(out, a, 4);
        return 0;
    }
    const char *h = s;
    size_t hn = n;
    if (hn >= 2 && h[0] == '[' && h[hn - 1] == ']') h++, hn -= 2;
    if (hn < sizeof(z) && !memchr(h, 0, hn)) {
        memcpy(z, h, hn);
        z[hn] = 0;
        if (inet_pton(AF_INET6, z, a) == 1) {
            static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
            if (memcmp(a, mapped, 12) == 0)
                buf_put(out, a + 12, 4); /* Java turns v4-mapped into an Inet4Address */
            else
                buf_put(out, a, 16);
            return 0;
        }
    }
    return err_set(err, errsz, "Unable to make inet address from '%.*s'", (int)n, s);
}

/* ---- uuid, blob ---- */

static int lit_uuid(const struct type *t, const char *s, size_t n, buf *out, char *err,
                    size_t errsz)
{
    uuid u;
    if (uuid_parse(&u, s, n) < 0) {
        if (t->kind == TYPE_TIMEUUID)
            return err_set(err, errsz, "Unknown timeuuid representation: %.*s", (int)n, s);
        return err_set(err, errsz, "Unable to make UUID from '%.*s'", (int)n, s);
    }
    if (t->kind == TYPE_TIMEUUID && uuid_version(&u) != 1)
        return err_set(err, errsz, "TimeUUID supports only version 1 UUIDs");
    buf_put(out, u.b, 16);
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int lit_hex(const struct type *t, const char *s, size_t n, buf *out, char *err, size_t errsz)
{
    if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s += 2, n -= 2;
    int bad = n % 2;
    for (size_t i = 0; i < n && !bad; i++)
        bad = hexval(s[i]) < 0;
    if (bad) return err_set(err, errsz, "cannot parse '%.*s' as hex bytes", (int)n, s);
    if (t->kind == TYPE_TINYINT && n != 2)
        return err_set(err, errsz, "Expected 1 byte for a tinyint (%d)", (int)(n / 2));
    if (buf_reserve(out, n / 2) < 0) return TYPE_ENOMEM;
    for (size_t i = 0; i < n; i += 2)
        out->data[out->len++] = (uint8_t)(hexval(s[i]) << 4 | hexval(s[i + 1]));
    return 0;
}

/* ---- timestamp ---- */

/* Days since 1970-01-01 of a date in java.util.GregorianCalendar's hybrid
 * calendar: Julian up to 1582-10-04, Gregorian from 1582-10-15; -1 for the
 * ten days in between (non-lenient calendars reject them). */
static int hybrid_days(int64_t y, int m, int d, int64_t *days)
{
    static const int mdays[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t key = y * 10000 + m * 100 + d;
    int julian = key < 15821015;
    if (key > 15821004 && julian) return -1;
    int leap = julian ? y % 4 == 0 : (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
    if (m < 1 || m > 12 || d < 1 || d > mdays[m] + (m == 2 && leap)) return -1;
    if (!julian) {
        *days = val_days_from_civil(y, m, d);
        return 0;
    }
    int64_t a = (14 - m) / 12, yy = y + 4800 - a, mm = m + 12 * a - 3;
    int64_t jdn = d + (153 * mm + 2) / 5 + 365 * yy + yy / 4 - 32083;
    *days = jdn - 2440588;
    return 0;
}

/* Zone at s[*i..n): Z, +hh, +hhmm, +hh:mm (ISO 'X' forms); with a leading
 * space: +hhmm, GMT, GMT+h[h]:mm, UTC (general 'z' forms). */
static int parse_zone(const char *s, size_t n, size_t *i, int64_t *off_ms)
{
    int64_t h = 0, m = 0;
    int sign = 1;
    if (s[*i] == ' ') {
        (*i)++;
        if (n - *i == 3 && (memcmp(s + *i, "UTC", 3) == 0 || memcmp(s + *i, "GMT", 3) == 0 ||
                            memcmp(s + *i, "utc", 3) == 0 || memcmp(s + *i, "gmt", 3) == 0)) {
            *i = n;
            *off_ms = 0;
            return 0;
        }
        if (n - *i > 3 && (memcmp(s + *i, "GMT", 3) == 0 || memcmp(s + *i, "gmt", 3) == 0)) {
            *i += 3;
            if (s[*i] != '+' && s[*i] != '-') return -1;
            sign = s[(*i)++] == '-' ? -1 : 1;
            if (read_num(s, n, i, 2, &h) < 0 || *i >= n || s[(*i)++] != ':' ||
                read_fixed(s, n, i, 2, &m) < 0)
                return -1;
        } else {
            if (*i >= n || (s[*i] != '+' && s[*i] != '-')) return -1;
            sign = s[(*i)++] == '-' ? -1 : 1;
            if (read_fixed(s, n, i, 2, &h) < 0 || read_fixed(s, n, i, 2, &m) < 0) return -1;
        }
    } else if (s[*i] == 'Z') {
        (*i)++;
        *off_ms = 0;
        return 0;
    } else {
        if (s[*i] != '+' && s[*i] != '-') return -1;
        sign = s[(*i)++] == '-' ? -1 : 1;
        if (read_fixed(s, n, i, 2, &h) < 0) return -1;
        if (*i < n) {
            if (s[*i] == ':') (*i)++;
            if (read_fixed(s, n, i, 2, &m) < 0) return -1;
        }
    }
    if (h > 23 || m > 59) return -1;
    *off_ms = sign * (h * 3600000 + m * 60000);
    return 0;
}

/* The date-time patterns of TimestampSerializer; milliseconds since epoch. */
static int parse_timestamp_text(const char *s, size_t n, int64_t *ms)
{
    size_t i = 0;
    int64_t y, mo, d, hh = 0, mi = 0, ss = 0, frac = 0, off = 0, days;
    if (read_num(s, n, &i, 9, &y) < 0 || i >= n || s[i++] != '-') return -1;
    if (read_num(s, n, &i, 9, &mo) < 0 || i >= n || s[i++] != '-') return -1;
    if (read_num(s, n, &i, 9, &d) < 0) return -1;
    if (i < n && (s[i] == 'T' || (s[i] == ' ' && i + 1 < n && is_digit(s[i + 1])))) {
        i++;
        if (read_num(s, n, &i, 9, &hh) < 0 || i >= n || s[i++] != ':') return -1;
        if (read_num(s, n, &i, 9, &mi) < 0) return -1;
        if (i < n && s[i] == ':') {
            i++;
            if (read_num(s, n, &i, 9, &ss) < 0) return -1;
            if (i < n && s[i] == '.') {
                i++;
                if (read_num(s, n, &i, 9, &frac) < 0) return -1;
            }
        }
    }
    if (i < n && parse_zone(s, n, &i, &off) < 0) return -1;
    if (i != n) return -1;
    if (y < 1 || y > 100000000 || hh > 23 || mi > 59 || ss > 59 || frac > 999) return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || hybrid_days(y, (int)mo, (int)d, &days) < 0)
        return -1;
    *ms = days * 86400000 + hh * 3600000 + mi * 60000 + ss * 1000 + frac - off;
    return 0;
}

static int lit_timestamp(enum type_lit kind, const char *s, size_t n, buf *out, char *err,
                         size_t errsz)
{
    int64_t ms;
    if (kind == TYPE_LIT_STRING && n == 0) return 0; /* empty string: empty value */
    if (ieq(s, n, "now")) {
        ms = now_ms();
    } else if (is_raw_int(s, n)) {
        if (parse_int_range(s, n, INT64_MIN, INT64_MAX, &ms))
            return err_set(err, errsz, "Unable to make long (for date) from: '%.*s'", (int)n, s);
    } else if (parse_timestamp_text(s, n, &ms) < 0) {
        return err_set(err, errsz, "Unable to coerce '%.*s' to a formatted date (long)", (int)n, s);
    }
    buf_put_be64(out, (uint64_t)ms);
    return 0;
}

/* ---- date ---- */

static int lit_date(const char *s, size_t n, buf *out, char *err, size_t errsz)
{
    int64_t v;
    if (is_raw_int(s, n)) {
        if (parse_int_range(s, n, 0, UINT32_MAX, &v))
            return err_set(err, errsz, "Unable to make unsigned int (for date) from: '%.*s'",
                           (int)n, s);
        buf_put_be32(out, (uint32_t)v);
        return 0;
    }
    /* DateTimeFormatter.ISO_LOCAL_DATE, STRICT: a signed year ('+' needed
     * beyond 4 digits), then -MM-dd */
    size_t i = 0;
    int sign = 0;
    int64_t y, m, d;
    if (i < n && (s[i] == '+' || s[i] == '-')) sign = s[i++] == '-' ? -1 : 1;
    size_t st = i;
    if (read_num(s, n, &i, 10, &y) < 0) goto bad;
    size_t yd = i - st;
    if (yd < 4 || (sign == 0 && yd != 4) || (sign > 0 && yd == 4)) goto bad;
    if (i >= n || s[i++] != '-' || read_fixed(s, n, &i, 2, &m) < 0) goto bad;
    if (i >= n || s[i++] != '-' || read_fixed(s, n, &i, 2, &d) < 0 || i != n) goto bad;
    if (sign < 0) y = -y;
    {
        static const int mdays[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        int leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
        if (y > 292278993 || y < -292278993 || m < 1 || m > 12 || d < 1 ||
            d > mdays[m] + (m == 2 && leap))
            goto bad;
    }
    int64_t days = val_days_from_civil(y, (int)m, (int)d);
    if (days < INT32_MIN)
        return err_set(err, errsz,
                       "Input date %.*s is less than min supported date -5877641-06-23T00:00Z",
                       (int)n, s);
    if (days > INT32_MAX)
        return err_set(err, errsz,
                       "Input date %.*s is greater than max supported date +5881580-07-11T00:00Z",
                       (int)n, s);
    buf_put_be32(out, (uint32_t)(days - INT32_MIN));
    return 0;
bad:
    return err_set(err, errsz, "Unable to coerce '%.*s' to a formatted date (long)", (int)n, s);
}

/* ---- time ---- */

/* Integer.parseInt over s[a..b) */
static int jint(const char *s, size_t a, size_t b, int64_t *v)
{
    return parse_int_range(s + a, b - a, INT32_MIN, INT32_MAX, v);
}

static int lit_time(const char *s0, size_t n0, buf *out, char *err, size_t errsz)
{
    const int64_t day = INT64_C(86400000000000);
    int64_t v;
    if (is_raw_int(s0, n0)) {
        if (parse_int_range(s0, n0, INT64_MIN, INT64_MAX, &v) || v < 0 || v >= day)
            return err_set(err, errsz, "Unable to make long (for time) from: '%.*s'", (int)n0, s0);
        buf_put_be64(out, (uint64_t)v);
        return 0;
    }
    /* TimeSerializer.parseTimeStrictly, on the trimmed text */
    const char *s = s0;
    size_t n = n0;
    while (n && (uint8_t)s[0] <= ' ')
        s++, n--;
    while (n && (uint8_t)s[n - 1] <= ' ')
        n--;
    const char *c1 = memchr(s, ':', n);
    size_t fc = c1 ? (size_t)(c1 - s) : 0;
    const char *c2 = c1 ? memchr(s + fc + 1, ':', n - fc - 1) : NULL;
    size_t sc = c2 ? (size_t)(c2 - s) : 0;
    int64_t h, m, sec, nanos = 0;
    if (!c1 || !c2 || fc == 0 || sc >= n - 1) goto bad;
    const char *pp = memchr(s + sc + 1, '.', n - sc - 1);
    size_t per = pp ? (size_t)(pp - s) : 0;
    if (jint(s, 0, fc, &h) || h < 0 || h >= 24) goto bad;
    if (jint(s, fc + 1, sc, &m) || m < 0 || m >= 60) goto bad;
    if (pp && per < n - 1) {
        if (jint(s, sc + 1, per, &sec) || sec < 0 || sec >= 60) goto bad;
        size_t fl = n - per - 1;
        if (fl > 9 || !all_digits(s + per + 1, fl)) goto bad;
        for (size_t k = 0; k < 9; k++)
            nanos = nanos * 10 + (k < fl ? s[per + 1 + k] - '0' : 0);
    } else if (pp) {
        goto bad;
    } else {
        if (jint(s, sc + 1, n, &sec) || sec < 0 || sec >= 60) goto bad;
    }
    buf_put_be64(out, (uint64_t)(((h * 60 + m) * 60 + sec) * INT64_C(1000000000) + nanos));
    return 0;
bad:
    return err_set(err, errsz, "(TimeType) Unable to coerce '%.*s' to a formatted time (long)",
                   (int)n0, s0);
}

/* ---- duration (cql3.Duration.from) ---- */

static const char *const unit_names[11] = {
    "",        "years",   "months",       "weeks",        "days",       "hours",
    "minutes", "seconds", "milliseconds", "microseconds", "nanoseconds"};

struct dur {
    int64_t months, days, nanos; /* accumulated as positive numbers */
    int unit;                    /* index of the last unit added */
    char *err;
    size_t errsz;
};

/* Builder.addX: order check, overflow check, accumulate. */
static int dur_add(struct dur *b, int unit, int64_t units)
{
    static const int64_t per[11] = {
        0,       12,   1, 7, 1, INT64_C(3600000000000), INT64_C(60000000000), INT64_C(1000000000),
        1000000, 1000, 1};
    if (unit == b->unit)
        return err_set(b->err, b->errsz, "Invalid duration. The %s are specified multiple times",
                       unit_names[unit]);
    if (unit < b->unit)
        return err_set(b->err, b->errsz, "Invalid duration. The %s should be after %s",
                       unit_names[b->unit], unit_names[unit]);
    b->unit = unit;
    int64_t *acc = unit <= 2 ? &b->months : unit <= 4 ? &b->days : &b->nanos;
    const char *name = unit <= 2 ? "months" : unit <= 4 ? "days" : "nanoseconds";
    int64_t limit = ((unit <= 4 ? INT32_MAX : INT64_MAX) - *acc) / per[unit];
    if (units > limit)
        return err_set(b->err, b->errsz,
                       "Invalid duration. The total number of %s must be less or equal to %d", name,
                       INT32_MAX);
    *acc += units * per[unit];
    return 0;
}

/* Reads \d+ as Long.parseLong would; -1 on overflow or no digit. */
static int dur_num(const char *s, size_t n, size_t *i, int64_t *v)
{
    size_t st = *i;
    while (*i < n && is_digit(s[*i]))
        (*i)++;
    if (*i == st) return -1;
    return parse_int_range(s + st, *i - st, 0, INT64_MAX, v);
}

/* The unit symbol at s[*i] (longest match in the Java regex's order). */
static int dur_unit(const char *s, size_t n, size_t *i)
{
    char c0 = *i < n ? (char)(s[*i] | 0x20) : 0;
    char c1 = *i + 1 < n ? (char)(s[*i + 1] | 0x20) : 0;
    if (c0 == 'y') return (*i += 1), 1;
    if (c0 == 'm' && c1 == 'o') return (*i += 2), 2;
    if (c0 == 'w') return (*i += 1), 3;
    if (c0 == 'd') return (*i += 1), 4;
    if (c0 == 'h') return (*i += 1), 5;
    if (c0 == 's') return (*i += 1), 7;
    if (c0 == 'm' && c1 == 's') return (*i += 2), 8;
    if (c0 == 'u' && c1 == 's') return (*i += 2), 9;
    if (*i + 2 < n && (uint8_t)s[*i] == 0xc2 && (uint8_t)s[*i + 1] == 0xb5 &&
        (s[*i + 2] | 0x20) == 's')
        return (*i += 3), 9; /* µs */
    if (c0 == 'n' && c1 == 's') return (*i += 2), 10;
    if (c0 == 'm') return (*i += 1), 6;
    return -1;
}

static int lit_duration(const char *s0, size_t n0, buf *out, char *err, size_t errsz)
{
    int neg = n0 && s0[0] == '-';
    const char *s = s0 + neg;
    size_t n = n0 - (size_t)neg, i = 0;
    struct dur b = {0, 0, 0, 0, err, errsz};
    int64_t v;
    if (n && s[0] == 'P') {
        i = 1;
        if (s[n - 1] == 'W') { /* P(\d+)W */
            if (dur_num(s, n, &i, &v) < 0 || i != n - 1) goto bad;
            if (dur_add(&b, 3, v)) return TYPE_EINVAL;
        } else if (memchr(s, '-', n)) { /* P(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2}) */
            static const int widths[6] = {4, 2, 2, 2, 2, 2};
            static const char seps[6] = {'-', '-', 'T', ':', ':', 0};
            static const int units[6] = {1, 2, 4, 5, 6, 7};
            int64_t f[6];
            for (int k = 0; k < 6; k++) {
                if (read_fixed(s, n, &i, widths[k], &f[k]) < 0) goto bad;
                if (seps[k] && (i >= n || s[i++] != seps[k])) goto bad;
            }
            if (i != n) goto bad;
            for (int k = 0; k < 6; k++)
                if (dur_add(&b, units[k], f[k])) return TYPE_EINVAL;
        } else { /* P(nY)?(nM)?(nD)?(T(nH)?(nM)?(nS)?)? */
            static const char date_d[3] = {'Y', 'M', 'D'}, time_d[3] = {'H', 'M', 'S'};
            static const int date_u[3] = {1, 2, 4}, time_u[3] = {5, 6, 7};
            int64_t val[7] = {0};
            int have[7] = {0};
            int k = 0;
            while (i < n && s[i] != 'T') {
                if (dur_num(s, n, &i, &v) < 0 || i >= n) goto bad;
                while (k < 3 && s[i] != date_d[k])
                    k++;
                if (k == 3) goto bad;
                i++;
                val[k] = v;
                have[k++] = 1;
            }
            if (i < n) {
                i++; /* 'T' */
                k = 0;
                while (i < n) {
                    if (dur_num(s, n, &i, &v) < 0 || i >= n) goto bad;
                    while (k < 3 && s[i] != time_d[k])
                        k++;
                    if (k == 3) goto bad;
                    i++;
                    val[3 + k] = v;
                    have[3 + k++] = 1;
                }
            }
            for (k = 0; k < 6; k++)
                if (have[k] && dur_add(&b, k < 3 ? date_u[k] : time_u[k - 3], val[k]))
                    return TYPE_EINVAL;
        }
    } else { /* \G(\d+)(unit) repeated to the end */
        if (n == 0) goto bad;
        while (i < n) {
            if (dur_num(s, n, &i, &v) < 0) goto bad;
            int u = dur_unit(s, n, &i);
            if (u < 0) goto bad;
            if (dur_add(&b, u, v)) return TYPE_EINVAL;
        }
    }
    int64_t sg = neg ? -1 : 1;
    val_put_uvint(out, val_zigzag(sg * b.months));
    val_put_uvint(out, val_zigzag(sg * b.days));
    val_put_uvint(out, val_zigzag(sg * b.nanos));
    return 0;
bad:
    return err_set(err, errsz, "Unable to convert '%.*s' to a duration", (int)n, s);
}

/* ---- entry point ---- */

int type_from_literal(const struct type *t, enum type_lit kind, const char *text, size_t n,
                      buf *out, char *err, size_t errsz)
{
    if (!assignable(t->kind, kind)) return TYPE_EKIND;
    size_t start = out->len;
    int rc;
    if (kind == TYPE_LIT_HEX) {
        rc = lit_hex(t, text, n, out, err, errsz);
        goto done;
    }
    switch (t->kind) {
    case TYPE_TINYINT:
    case TYPE_SMALLINT:
    case TYPE_INT:
    case TYPE_BIGINT:
    case TYPE_COUNTER: rc = lit_fixed_int(t, text, n, out, err, errsz); break;
    case TYPE_VARINT: {
        rc = val_varint_from_dec(text, n, out);
        if (rc == -1) rc = err_set(err, errsz, "unable to make int from '%.*s'", (int)n, text);
        break;
    }
    case TYPE_DECIMAL: rc = lit_decimal(text, n, out, err, errsz); break;
    case TYPE_FLOAT:
    case TYPE_DOUBLE: rc = lit_float(t, kind, text, n, out, err, errsz); break;
    case TYPE_BOOLEAN:
        if (ieq(text, n, "true"))
            buf_put_u8(out, 1);
        else if (ieq(text, n, "false"))
            buf_put_u8(out, 0);
        else
            return err_set(err, errsz, "Unable to make boolean from '%.*s'", (int)n, text);
        rc = 0;
        break;
    case TYPE_ASCII: rc = lit_ascii(text, n, out, err, errsz); break;
    case TYPE_VARCHAR:
        if (type_validate(t, (const uint8_t *)text, (int32_t)n, err, errsz)) {
            rc = TYPE_EINVAL;
            break;
        }
        buf_put(out, text, n);
        rc = 0;
        break;
    case TYPE_INET: rc = lit_inet(text, n, out, err, errsz); break;
    case TYPE_UUID:
    case TYPE_TIMEUUID: rc = lit_uuid(t, text, n, out, err, errsz); break;
    case TYPE_TIMESTAMP: rc = lit_timestamp(kind, text, n, out, err, errsz); break;
    case TYPE_DATE: rc = lit_date(text, n, out, err, errsz); break;
    case TYPE_TIME: rc = lit_time(text, n, out, err, errsz); break;
    case TYPE_DURATION: rc = lit_duration(text, n, out, err, errsz); break;
    default: rc = TYPE_EKIND; break;
    }
done:
    if (rc == 0 && !buf_ok(out)) rc = TYPE_ENOMEM;
    if (rc == TYPE_ENOMEM && err && errsz) snprintf(err, errsz, "Out of memory");
    if (rc) out->len = start < out->len ? start : out->len;
    return rc;
}
