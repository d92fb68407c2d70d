/*
 * format.c -- values as CQL literal text (type_format_value, see value.h).
 *
 * The output is what cqlsh shows for a value nested in a collection, and it
 * is always a literal that type_from_literal (and Cassandra) reads back to
 * the same bytes:
 *  (1) strings, inets, dates, times and timestamps are quoted ('' doubled);
 *  (2) floats use the fewest significant digits that read back to the same
 *      bits ("%.{1..17}g"), NaN/Infinity/-Infinity spelled as CQL does;
 *  (3) decimals follow Java's BigDecimal.toString (1.50, 1.5E+10, 1E-7);
 *  (4) timestamps are UTC with milliseconds ('2011-02-03 04:05:00.000+0000':
 *      cqlsh shows microseconds, which Cassandra's parser does not take
 *      back), using GregorianCalendar's Julian dates before 1582-10-15 as
 *      Cassandra's parser does; values whose year is outside 1..9999 print
 *      as the integer number of milliseconds; dates outside years 0..9999
 *      as the raw unsigned day number;
 *  (5) a malformed value prints as 0x<hex> of its bytes.
 */
#include "types/value.h"
#include "util/uuid.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_hex(buf *b, const uint8_t *p, int32_t n)
{
    static const char hx[] = "0123456789abcdef";
    buf_put(b, "0x", 2);
    if (n <= 0 || buf_reserve(b, (size_t)n * 2) < 0) return;
    for (int32_t i = 0; i < n; i++) {
        b->data[b->len++] = (uint8_t)hx[p[i] >> 4];
        b->data[b->len++] = (uint8_t)hx[p[i] & 15];
    }
}

static void put_quoted(buf *b, const char *s, size_t n)
{
    buf_put_u8(b, '\'');
    size_t st = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\'') {
            buf_put(b, s + st, i + 1 - st);
            buf_put_u8(b, '\'');
            st = i + 1;
        }
    }
    buf_put(b, s + st, n - st);
    buf_put_u8(b, '\'');
}

static void fmt_float(buf *b, const uint8_t *p, int dbl)
{
    char tmp[40];
    if (dbl) {
        uint64_t bits = be64(p);
        double d;
        memcpy(&d, &bits, 8);
        if (isnan(d) || isinf(d)) {
            buf_put_str(b, isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
            return;
        }
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
            double back = strtod(tmp, NULL);
            if (memcmp(&back, &d, 8) == 0) break;
        }
    } else {
        uint32_t bits = be32(p);
        float f;
        memcpy(&f, &bits, 4);
        if (isnan(f) || isinf(f)) {
            buf_put_str(b, isnan(f) ? "NaN" : f > 0 ? "Infinity" : "-Infinity");
            return;
        }
        for (int prec = 1; prec <= 9; prec++) {
            snprintf(tmp, sizeof(tmp), "%.*g", prec, (double)f);
            float back = strtof(tmp, NULL);
            if (memcmp(&back, &f, 4) == 0) break;
        }
    }
    buf_put_str(b, tmp);
}

/* Java's BigDecimal.toString over [int scale][varint unscaled]. */
static void fmt_decimal(buf *b, const uint8_t *p, int32_t len)
{
    int32_t scale = (int32_t)be32(p);
    buf digits;
    buf_init(&digits);
    if (len > 4)
        val_varint_to_dec(p + 4, (size_t)(len - 4), &digits);
    else
        buf_put_u8(&digits, '0');
    if (!buf_ok(&digits)) {
        b->oom = 1;
        buf_free(&digits);
        return;
    }
    const char *d = (const char *)digits.data;
    size_t nd = digits.len;
    if (d[0] == '-') {
        buf_put_u8(b, '-');
        d++;
        nd--;
    }
    int64_t adjusted = -(int64_t)scale + (int64_t)nd - 1;
    if (scale == 0) {
        buf_put(b, d, nd);
    } else if (scale > 0 && adjusted >= -6) {
        if (nd > (size_t)scale) {
            buf_put(b, d, nd - (size_t)scale);
            buf_put_u8(b, '.');
            buf_put(b, d + nd - (size_t)scale, (size_t)scale);
        } else {
            buf_put(b, "0.", 2);
            for (size_t i = nd; i < (size_t)scale; i++)
                buf_put_u8(b, '0');
            buf_put(b, d, nd);
        }
    } else {
        buf_put_u8(b, (uint8_t)d[0]);
        if (nd > 1) {
            buf_put_u8(b, '.');
            buf_put(b, d + 1, nd - 1);
        }
        if (adjusted != 0) buf_printf(b, "E%s%" PRId64, adjusted > 0 ? "+" : "", adjusted);
    }
    buf_free(&digits);
}

/* The inverse of literal.c's hybrid_days: Julian before 1582-10-15. */
static void hybrid_civil(int64_t days, int64_t *y, int *m, int *d)
{
    if (days >= val_days_from_civil(1582, 10, 15)) {
        val_civil_from_days(days, y, m, d);
        return;
    }
    int64_t jdn = days + 2440588;
    int64_t c = jdn + 32082;
    int64_t dd = (4 * c + 3) / 1461;
    int64_t e = c - 1461 * dd / 4;
    int64_t mm = (5 * e + 2) / 153;
    *d = (int)(e - (153 * mm + 2) / 5 + 1);
    *m = (int)(mm + 3 - 12 * (mm / 10));
    *y = dd - 4800 + mm / 10;
}

static void fmt_timestamp(buf *b, int64_t ms)
{
    int64_t days = ms / 86400000, rem = ms % 86400000;
    if (rem < 0) rem += 86400000, days--;
    int64_t y = 0;
    int m = 0, d = 0;
    if (days > -2440588) hybrid_civil(days, &y, &m, &d); /* JDN >= 0 */
    if (y < 1 || y > 9999) {
        buf_printf(b, "%" PRId64, ms);
        return;
    }
    buf_printf(b, "'%04d-%02d-%02d %02d:%02d:%02d.%03d+0000'", (int)y, m, d, (int)(rem / 3600000),
               (int)(rem / 60000 % 60), (int)(rem / 1000 % 60), (int)(rem % 1000));
}

static void fmt_date(buf *b, uint32_t raw)
{
    int64_t y;
    int m, d;
    val_civil_from_days((int64_t)raw - INT64_C(2147483648), &y, &m, &d);
    if (y < 0 || y > 9999)
        buf_printf(b, "%" PRIu32, raw);
    else
        buf_printf(b, "'%04d-%02d-%02d'", (int)y, m, d);
}

static void fmt_time(buf *b, int64_t ns)
{
    if (ns < 0 || ns >= INT64_C(86400000000000)) {
        buf_printf(b, "%" PRId64, ns);
        return;
    }
    int64_t s = ns / 1000000000;
    buf_printf(b, "'%02d:%02d:%02d.%09d'", (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60),
               (int)(ns % 1000000000));
}

/* cql3.Duration.toString; the zero duration prints as 0s. */
static void fmt_duration(buf *b, const uint8_t *p, int32_t len)
{
    uint64_t u[3];
    size_t off = 0;
    for (int i = 0; i < 3; i++) {
        int k = val_get_uvint(p + off, (size_t)len - off, &u[i]);
        off += (size_t)k; /* validated by the caller */
    }
    int64_t months = val_unzigzag(u[0]), days = val_unzigzag(u[1]), nanos = val_unzigzag(u[2]);
    if (months < 0 || days < 0 || nanos < 0) buf_put_u8(b, '-');
    if (!months && !days && !nanos) {
        buf_put_str(b, "0s");
        return;
    }
    uint64_t am = (uint64_t)(months < 0 ? -months : months);
    uint64_t ad = (uint64_t)(days < 0 ? -days : days);
    uint64_t an = nanos < 0 ? (uint64_t)0 - (uint64_t)nanos : (uint64_t)nanos;
    static const struct {
        uint64_t div;
        const char *unit;
    } nano_units[] = {{UINT64_C(3600000000000), "h"},
                      {UINT64_C(60000000000), "m"},
                      {1000000000, "s"},
                      {1000000, "ms"},
                      {1000, "us"},
                      {1, "ns"}};
    if (am >= 12) buf_printf(b, "%" PRIu64 "y", am / 12);
    if (am % 12) buf_printf(b, "%" PRIu64 "mo", am % 12);
    if (ad) buf_printf(b, "%" PRIu64 "d", ad);
    for (size_t i = 0; i < sizeof(nano_units) / sizeof(nano_units[0]); i++) {
        if (an >= nano_units[i].div) {
            buf_printf(b, "%" PRIu64 "%s", an / nano_units[i].div, nano_units[i].unit);
            an %= nano_units[i].div;
        }
    }
}

/* CQL identifiers that need no quotes: [a-z][a-z0-9_]* */
static void put_ident(buf *b, const char *s)
{
    int plain = s[0] >= 'a' && s[0] <= 'z';
    for (const char *c = s; *c && plain; c++)
        plain = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_';
    if (plain) {
        buf_put_str(b, s);
        return;
    }
    buf_put_u8(b, '"');
    for (const char *c = s; *c; c++) {
        if (*c == '"') buf_put_u8(b, '"');
        buf_put_u8(b, (uint8_t)*c);
    }
    buf_put_u8(b, '"');
}

static void fmt_composite(const struct type *t, const uint8_t *p, int32_t len, buf *b)
{
    const char *open = "[", *close = "]";
    if (t->kind == TYPE_SET || t->kind == TYPE_MAP || t->kind == TYPE_UDT) open = "{", close = "}";
    if (t->kind == TYPE_TUPLE) open = "(", close = ")";
    struct type_iter it;
    struct type_val v;
    type_iter_init(&it, t, p, len);
    buf_put_str(b, open);
    int i = 0;
    while (type_iter_next(&it, &v) == 1) {
        if (i) buf_put_str(b, t->kind == TYPE_MAP && (i & 1) ? ": " : ", ");
        if (t->kind == TYPE_UDT) {
            put_ident(b, t->field_names ? t->field_names[i] : "?");
            buf_put_str(b, ": ");
        }
        type_format_value(type_elem_type(t, i), v.p, v.len, b);
        i++;
    }
    if (t->kind == TYPE_UDT) {
        for (; i < t->n_params; i++) {
            if (i) buf_put_str(b, ", ");
            put_ident(b, t->field_names ? t->field_names[i] : "?");
            buf_put_str(b, ": null");
        }
    }
    buf_put_str(b, close);
}

int type_format_value(const struct type *t, const uint8_t *p, int32_t len, buf *out)
{
    if (len < 0) {
        buf_put_str(out, "null");
        return buf_ok(out) ? 0 : TYPE_ENOMEM;
    }
    switch (t->kind) {
    case TYPE_ASCII:
    case TYPE_VARCHAR: put_quoted(out, (const char *)p, (size_t)len); goto done;
    case TYPE_BLOB:
    case TYPE_CUSTOM: put_hex(out, p, len); goto done;
    case TYPE_INET:
    case TYPE_TIMESTAMP:
        if (len == 0) {
            buf_put_str(out, "''");
            goto done;
        }
        break;
    default: break;
    }
    if (len == 0 && t->kind != TYPE_LIST && t->kind != TYPE_SET && t->kind != TYPE_MAP &&
        t->kind != TYPE_TUPLE && t->kind != TYPE_UDT)
        goto done;
    if (type_validate(t, p, len, NULL, 0) != 0) {
        put_hex(out, p, len);
        goto done;
    }
    switch (t->kind) {
    case TYPE_TINYINT: buf_printf(out, "%d", (int8_t)p[0]); break;
    case TYPE_SMALLINT: buf_printf(out, "%d", (int16_t)be16(p)); break;
    case TYPE_INT: buf_printf(out, "%" PRId32, (int32_t)be32(p)); break;
    case TYPE_BIGINT:
    case TYPE_COUNTER: buf_printf(out, "%" PRId64, (int64_t)be64(p)); break;
    case TYPE_BOOLEAN: buf_put_str(out, p[0] ? "true" : "false"); break;
    case TYPE_FLOAT: fmt_float(out, p, 0); break;
    case TYPE_DOUBLE: fmt_float(out, p, 1); break;
    case TYPE_VARINT: val_varint_to_dec(p, (size_t)len, out); break;
    case TYPE_DECIMAL: fmt_decimal(out, p, len); break;
    case TYPE_TIMESTAMP: fmt_timestamp(out, (int64_t)be64(p)); break;
    case TYPE_DATE: fmt_date(out, be32(p)); break;
    case TYPE_TIME: fmt_time(out, (int64_t)be64(p)); break;
    case TYPE_UUID:
    case TYPE_TIMEUUID: {
        uuid u;
        char s[UUID_STR_LEN + 1];
        memcpy(u.b, p, 16);
        uuid_format(&u, s);
        buf_put_str(out, s);
        break;
    }
    case TYPE_INET: {
        char s[INET6_ADDRSTRLEN];
        if (!inet_ntop(len == 4 ? AF_INET : AF_INET6, p, s, sizeof(s))) s[0] = 0;
        put_quoted(out, s, strlen(s));
        break;
    }
    case TYPE_DURATION: fmt_duration(out, p, len); break;
    case TYPE_LIST:
    case TYPE_SET:
    case TYPE_MAP:
    case TYPE_TUPLE:
    case TYPE_UDT:
    case TYPE_VECTOR: fmt_composite(t, p, len, out); break;
    default: put_hex(out, p, len); break;
    }
done:
    return buf_ok(out) ? 0 : TYPE_ENOMEM;
}
