/*
 * value.c -- validation, comparison, iteration and building of CQL values
 * (see value.h for the encodings).
 *
 * Sources of truth are Cassandra's TypeSerializer subclasses (validate and
 * their messages) and AbstractType subclasses (compare). Invariants:
 *  (1) type_validate and type_compare never allocate (type_compare only for
 *      decimals over 1 KiB) and never read outside [p, p + len), whatever
 *      the bytes: they also run on values read back from disk;
 *  (2) type_compare is a total order on valid values, consistent with the
 *      set/map order type_build_collection produces;
 *  (3) builders either append one complete value to out or leave out's
 *      length as it was.
 * The small bignum kit at the end (uint32 limbs, least significant first)
 * serves decimal comparison here and varint text in literal.c/format.c.
 */
#include "types/value.h"
#include "util/mem.h"
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* CQL text of t for messages ("vector<float, 3>"); falls back to the kind
 * name if memory is short. */
static void type_text(const struct type *t, char *dst, size_t n)
{
    buf b;
    buf_init(&b);
    type_format(t, &b);
    if (buf_ok(&b) && b.len)
        snprintf(dst, n, "%.*s", (int)b.len, (const char *)b.data);
    else
        snprintf(dst, n, "%s", type_kind_name(t->kind));
    buf_free(&b);
}

/* ---- sizes and kinds ---- */

int type_fixed_size(const struct type *t)
{
    switch (t->kind) {
    case TYPE_BOOLEAN: return 1;
    case TYPE_INT:
    case TYPE_FLOAT: return 4;
    case TYPE_BIGINT:
    case TYPE_COUNTER:
    case TYPE_DOUBLE:
    case TYPE_TIMESTAMP: return 8;
    case TYPE_UUID:
    case TYPE_TIMEUUID: return 16;
    case TYPE_VECTOR: {
        int e = type_fixed_size(t->params[0]);
        if (e < 0 || t->dim <= 0 || (int64_t)e * t->dim > INT32_MAX) return -1;
        return e * t->dim;
    }
    default: return -1;
    }
}

int type_is_counter(const struct type *t)
{
    return t && t->kind == TYPE_COUNTER;
}

int type_is_byte_order(const struct type *t)
{
    switch (t->kind) {
    case TYPE_ASCII:
    case TYPE_VARCHAR:
    case TYPE_BLOB:
    case TYPE_INET:
    case TYPE_DATE:
    case TYPE_TIME:
    case TYPE_DURATION:
    case TYPE_CUSTOM: return 1;
    default: return 0;
    }
}

/* ---- unsigned vints ---- */

int val_uvint_size(uint64_t v)
{
    int bits = 64 - __builtin_clzll(v | 1);
    int n = 1 + (bits - 1) / 7;
    return n > 9 ? 9 : n;
}

void val_put_uvint(buf *b, uint64_t v)
{
    int n = val_uvint_size(v);
    uint8_t tmp[9];
    if (n == 9) {
        tmp[0] = 0xff;
        put_be64(tmp + 1, v);
    } else {
        for (int i = n - 1; i >= 0; i--, v >>= 8)
            tmp[i] = (uint8_t)v;
        tmp[0] |= (uint8_t) ~(0xffu >> (n - 1));
    }
    buf_put(b, tmp, (size_t)n);
}

int val_get_uvint(const uint8_t *p, size_t n, uint64_t *v)
{
    if (n < 1) return -1;
    uint8_t first = p[0];
    int extra = first == 0xff ? 8 : __builtin_clz((unsigned)(uint8_t)~first) - 24;
    if ((size_t)extra + 1 > n) return -1;
    uint64_t x = extra == 8 ? 0 : (uint64_t)(first & (0xffu >> extra));
    for (int i = 1; i <= extra; i++)
        x = (x << 8) | p[i];
    *v = x;
    return extra + 1;
}

/* ---- civil dates (Howard Hinnant's algorithms, proleptic Gregorian) ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

int64_t val_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void val_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* ---- UTF-8, exactly as Cassandra's UTF8Serializer.UTF8Validator ---- */

/* States: 0 START, 1 TWO, 2 TWO_80, 3 THREE_a0bf, 4 THREE_80bf_1,
 * 5 THREE_80bf_2, 6 FOUR_90bf, 7 FOUR_80bf_3. Note its quirks, kept for
 * fidelity: 0xc0 0x80 (modified UTF-8 NUL) is accepted, surrogates and
 * 0xf5..0xf7 leads are accepted, and after 0xe0 / 0xf0 the second byte is
 * only range-checked, not checked to be a continuation byte. */
static int utf8_valid(const uint8_t *p, size_t n)
{
    int state = 0;
    size_t i = 0;
    while (i < n) {
        if (state == 0) {
            /* fast path over ASCII, 8 bytes at a time */
            while (i + 8 <= n) {
                uint64_t w;
                memcpy(&w, p + i, 8);
                if (w & UINT64_C(0x8080808080808080)) break;
                i += 8;
            }
            if (i >= n) break;
        }
        uint8_t b = p[i++];
        switch (state) {
        case 0:
            if (b < 0x80) break;
            if ((b & 0xe0) == 0xc0) {
                if (b == 0xc0)
                    state = 2;
                else if ((b & 0x1e) == 0)
                    return 0;
                else
                    state = 1;
            } else if ((b & 0xf0) == 0xe0) {
                state = b == 0xe0 ? 3 : 5;
            } else if ((b & 0xf8) == 0xf0) {
                state = b == 0xf0 ? 6 : 7;
            } else {
                return 0;
            }
            break;
        case 1:
            if ((b & 0xc0) != 0x80) return 0;
            state = 0;
            break;
        case 2:
            if (b != 0x80) return 0;
            state = 0;
            break;
        case 3:
            if ((b & 0xe0) == 0x80) return 0;
            state = 4;
            break;
        case 4:
            if ((b & 0xc0) != 0x80) return 0;
            state = 0;
            break;
        case 5:
            if ((b & 0xc0) != 0x80) return 0;
            state = 4;
            break;
        case 6:
            if ((b & 0x30) == 0) return 0;
            state = 5;
            break;
        case 7:
            if ((b & 0xc0) != 0x80) return 0;
            state = 5;
            break;
        }
    }
    return state == 0;
}

/* ---- readers over [int len][bytes] layouts ---- */

struct rd {
    const uint8_t *p, *end;
};

static int rd_int(struct rd *r, int32_t *v)
{
    if (r->end - r->p < 4) return -1;
    *v = (int32_t)be32(r->p);
    r->p += 4;
    return 0;
}

/* [int len][bytes]: 0 with *len -1 for null, -1 if truncated. */
static int rd_val(struct rd *r, const uint8_t **p, int32_t *len)
{
    if (rd_int(r, len) < 0) return -1;
    if (*len < 0) {
        *len = -1;
        *p = NULL;
        return 0;
    }
    if (r->end - r->p < *len) return -1;
    *p = r->p;
    r->p += *len;
    return 0;
}

/* ---- validation ---- */

static int validate_duration(const uint8_t *p, int32_t len, char *err, size_t errsz)
{
    if (len < 3) return err_set(err, errsz, "Expected at least 3 bytes for a duration (%d)", len);
    uint64_t u[3];
    size_t off = 0;
    for (int i = 0; i < 3; i++) {
        int k = val_get_uvint(p + off, (size_t)len - off, &u[i]);
        if (k < 0) return err_set(err, errsz, "Not enough bytes to read a duration");
        off += (size_t)k;
    }
    int64_t months = val_unzigzag(u[0]), days = val_unzigzag(u[1]), nanos = val_unzigzag(u[2]);
    if (months != (int32_t)months)
        return err_set(err, errsz, "The duration months must be a 32 bits integer but was: %lld",
                       (long long)months);
    if (days != (int32_t)days)
        return err_set(err, errsz, "The duration days must be a 32 bits integer but was: %lld",
                       (long long)days);
    if (!((months >= 0 && days >= 0 && nanos >= 0) || (months <= 0 && days <= 0 && nanos <= 0)))
        return err_set(err, errsz,
                       "The duration months, days and nanoseconds must be all of the same sign "
                       "(%lld, %lld, %lld)",
                       (long long)months, (long long)days, (long long)nanos);
    return 0;
}

static int validate_coll(const struct type *t, const uint8_t *p, int32_t len, char *err,
                         size_t errsz)
{
    const char *what = t->kind == TYPE_LIST ? "list" : t->kind == TYPE_SET ? "set" : "map";
    /* SetSerializer and MapSerializer accept an empty value; ListSerializer
     * fails reading its size. */
    if (len == 0 && t->kind != TYPE_LIST) return 0;
    struct rd r = {p, p + len};
    int32_t n;
    if (rd_int(&r, &n) < 0) return err_set(err, errsz, "Not enough bytes to read a %s", what);
    if (n < 0) return err_set(err, errsz, "The data cannot be deserialized as a %s", what);
    int per = t->kind == TYPE_MAP ? 2 : 1;
    for (int32_t i = 0; i < n; i++) {
        for (int j = 0; j < per; j++) {
            const uint8_t *e;
            int32_t elen;
            if (rd_val(&r, &e, &elen) < 0)
                return err_set(err, errsz, "Not enough bytes to read a %s", what);
            if (elen < 0) return err_set(err, errsz, "Null value read when not allowed");
            int rc = type_validate(t->params[t->kind == TYPE_MAP ? j : 0], e, elen, err, errsz);
            if (rc) return rc;
        }
    }
    if (r.p != r.end)
        return err_set(err, errsz, "Unexpected extraneous bytes after %s value", what);
    return 0;
}

static int validate_tuple(const struct type *t, const uint8_t *p, int32_t len, char *err,
                          size_t errsz)
{
    struct rd r = {p, p + len};
    int udt = t->kind == TYPE_UDT;
    int named = 0; /* UserTypeSerializer's counter: advances on non-null fields only */
    for (int i = 0; i < t->n_params; i++) {
        if (r.p == r.end) return 0; /* fewer fields than declared: fine */
        const char *fname = udt && t->field_names ? t->field_names[i] : "";
        int32_t flen;
        if (rd_int(&r, &flen) < 0) {
            if (udt)
                return err_set(err, errsz, "Not enough bytes to read size of %dth field %s", named,
                               fname);
            return err_set(err, errsz, "Not enough bytes to read size of %dth component", i);
        }
        if (flen < 0) continue;
        if (r.end - r.p < flen) {
            if (udt)
                return err_set(err, errsz, "Not enough bytes to read %dth field %s", named, fname);
            return err_set(err, errsz, "Not enough bytes to read %dth component", i);
        }
        int rc = type_validate(t->params[i], r.p, flen, err, errsz);
        if (rc) return rc;
        r.p += flen;
        named++;
    }
    if (r.p != r.end)
        return err_set(err, errsz, "Invalid remaining data after end of %s value",
                       udt ? "UDT" : "tuple");
    return 0;
}

static int validate_vector(const struct type *t, const uint8_t *p, int32_t len, char *err,
                           size_t errsz)
{
    char tn[128];
    if (len == 0) return err_set(err, errsz, "Invalid empty vector value");
    const struct type *et = t->params[0];
    int esz = type_fixed_size(et);
    int32_t off = 0;
    if (esz >= 0) {
        if ((int64_t)esz * t->dim > len) {
            type_text(t, tn, sizeof(tn));
            return err_set(err, errsz, "Not enough bytes to read a %s", tn);
        }
        for (int i = 0; i < t->dim; i++, off += esz) {
            int rc = type_validate(et, p + off, esz, err, errsz);
            if (rc) return rc;
        }
    } else {
        for (int i = 0; i < t->dim; i++) {
            uint64_t elen;
            int k = off < len ? val_get_uvint(p + off, (size_t)(len - off), &elen) : -1;
            if (k < 0 || elen > (uint64_t)(len - off - k)) {
                type_text(t, tn, sizeof(tn));
                return err_set(err, errsz, "Not enough bytes to read a %s", tn);
            }
            off += k;
            int rc = type_validate(et, p + off, (int32_t)elen, err, errsz);
            if (rc) return rc;
            off += (int32_t)elen;
        }
    }
    if (off < len) {
        type_text(t, tn, sizeof(tn));
        return err_set(err, errsz, "Unexpected %d extraneous bytes after %s value", len - off, tn);
    }
    return 0;
}

int type_validate(const struct type *t, const uint8_t *p, int32_t len, char *err, size_t errsz)
{
    switch (t->kind) {
    case TYPE_INT:
        if (len != 4 && len != 0) return err_set(err, errsz, "Expected 4 or 0 byte int (%d)", len);
        return 0;
    case TYPE_BIGINT:
    case TYPE_COUNTER:
        if (len != 8 && len != 0) return err_set(err, errsz, "Expected 8 or 0 byte long (%d)", len);
        return 0;
    case TYPE_TIMESTAMP:
        if (len != 8 && len != 0)
            return err_set(err, errsz, "Expected 8 or 0 byte long for date (%d)", len);
        return 0;
    case TYPE_SMALLINT:
        if (len != 2) return err_set(err, errsz, "Expected 2 bytes for a smallint (%d)", len);
        return 0;
    case TYPE_TINYINT:
        if (len != 1) return err_set(err, errsz, "Expected 1 byte for a tinyint (%d)", len);
        return 0;
    case TYPE_BOOLEAN:
        if (len != 1 && len != 0)
            return err_set(err, errsz, "Expected 1 or 0 byte value (%d)", len);
        return 0;
    case TYPE_FLOAT:
        if (len != 4 && len != 0)
            return err_set(err, errsz, "Expected 4 or 0 byte value for a float (%d)", len);
        return 0;
    case TYPE_DOUBLE:
        if (len != 8 && len != 0)
            return err_set(err, errsz, "Expected 8 or 0 byte value for a double (%d)", len);
        return 0;
    case TYPE_UUID:
    case TYPE_TIMEUUID:
        if (len != 16 && len != 0)
            return err_set(err, errsz, "UUID should be 16 or 0 bytes (%d)", len);
        if (t->kind == TYPE_TIMEUUID && len == 16 && (p[6] & 0xf0) != 0x10)
            return err_set(err, errsz, "Invalid version for TimeUUID type.");
        return 0;
    case TYPE_INET:
        if (len != 0 && len != 4 && len != 16) {
            /* "got <hex>", as ByteBufferUtil.bytesToHex */
            char hex[129];
            int32_t k = len < 64 ? len : 64;
            for (int32_t i = 0; i < k; i++)
                snprintf(hex + 2 * i, 3, "%02x", p[i]);
            hex[2 * k] = 0;
            return err_set(err, errsz, "Expected 4 or 16 byte inetaddress; got %s%s", hex,
                           len > k ? "..." : "");
        }
        return 0;
    case TYPE_DATE:
        if (len != 4) return err_set(err, errsz, "Expected 4 byte long for date (%d)", len);
        return 0;
    case TYPE_TIME:
        if (len != 8) return err_set(err, errsz, "Expected 8 byte long for time (%d)", len);
        return 0;
    case TYPE_VARCHAR:
        if (!utf8_valid(p, (size_t)len)) return err_set(err, errsz, "String didn't validate.");
        return 0;
    case TYPE_ASCII:
        for (int32_t i = 0; i < len; i++)
            if (p[i] & 0x80) return err_set(err, errsz, "Invalid byte for ascii: %d", (int8_t)p[i]);
        return 0;
    case TYPE_DECIMAL:
        if (len != 0 && len < 4)
            return err_set(err, errsz, "Expected 0 or at least 4 bytes (%d)", len);
        return 0;
    case TYPE_DURATION: return validate_duration(p, len, err, errsz);
    case TYPE_LIST:
    case TYPE_SET:
    case TYPE_MAP: return validate_coll(t, p, len, err, errsz);
    case TYPE_TUPLE:
    case TYPE_UDT: return validate_tuple(t, p, len, err, errsz);
    case TYPE_VECTOR: return validate_vector(t, p, len, err, errsz);
    case TYPE_BLOB:
    case TYPE_VARINT:
    case TYPE_CUSTOM:
    default: return 0;
    }
}

/* ---- comparison ---- */

static int sgn(int64_t x)
{
    return (x > 0) - (x < 0);
}

static int cmp_bytes(const uint8_t *a, int32_t alen, const uint8_t *b, int32_t blen)
{
    int32_t n = alen < blen ? alen : blen;
    int c = n > 0 ? memcmp(a, b, (size_t)n) : 0;
    if (c) return c < 0 ? -1 : 1;
    return (alen > blen) - (alen < blen);
}

/* Empty first; then a two's complement integer of a given width: first
 * byte signed, the rest unsigned (Cassandra's compareLongs / Int32Type). */
static int cmp_signed(const uint8_t *a, int32_t alen, const uint8_t *b, int32_t blen)
{
    if (alen == 0 || blen == 0 || alen != blen) return cmp_bytes(a, alen, b, blen);
    if (a[0] != b[0]) return (int8_t)a[0] < (int8_t)b[0] ? -1 : 1;
    return cmp_bytes(a + 1, alen - 1, b + 1, blen - 1);
}

static int cmp_float(const uint8_t *a, int32_t alen, const uint8_t *b, int32_t blen)
{
    if (alen != 4 || blen != 4) return cmp_bytes(a, alen, b, blen);
    int32_t x = (int32_t)be32(a), y = (int32_t)be32(b);
    /* Java's floatToIntBits: every NaN is 0x7fc00000 */
    if ((x & 0x7fffffff) > 0x7f800000) x = 0x7fc00000;
    if ((y & 0x7fffffff) > 0x7f800000) y = 0x7fc00000;
    if (x < 0) x ^= 0x7fffffff;
    if (y < 0) y ^= 0x7fffffff;
    return (x > y) - (x < y);
}

static int cmp_double(const uint8_t *a, int32_t alen, const uint8_t *b, int32_t blen)
{
    if (alen != 8 || blen != 8) return cmp_bytes(a, alen, b, blen);
    int64_t x = (int64_t)be64(a), y = (int64_t)be64(b);
    const int64_t mag = INT64_C(0x7fffffffffffffff), inf = INT64_C(0x7ff0000000000000);
    if ((x & mag) > inf) x = INT64_C(0x7ff8000000000000);
    if ((y & mag) > inf) y = INT64_C(0x7ff8000000000000);
    if (x < 0) x ^= mag;
    if (y < 0) y ^= mag;
    return (x > y) - (x < y);
}

static int cmp_boolean(const uint8_t *a, int32_t alen, const uint8_t *b, int32_t blen)
{
    if (alen == 0 || blen == 0) return (alen > 0) - (blen > 0);
    return (a[0] != 0) - (b[0] != 0);
}

/* Bytes 6,7,4,5,0,1,2,3: the 60-bit timestamp of a v1 uuid, most
 * significant first (TimeUUIDType.reorderTimestampBytes). */
static const uint8_t ts_order[8] = {6, 7, 4, 5, 0, 1, 2, 3};

static int cmp_uuid(const uint8_t *a, int32_t alen, const uint8_t *b, int32_t blen)
{
    int pa = alen == 16, pb = blen == 16;
    if (!(pa && pb)) return pa ? 1 : pb ? -1 : cmp_bytes(a, alen, b, blen);
    int va = a[6] >> 4, vb = b[6] >> 4;
    if (va != vb) return va < vb ? -1 : 1;
    if (va == 1) {
        for (int i = 0; i < 8; i++)
            if (a[ts_order[i]] != b[ts_order[i]]) return a[ts_order[i]] < b[ts_order[i]] ? -1 : 1;
        return cmp_bytes(a + 8, 8, b + 8, 8);
    }
    return cmp_bytes(a, 16, b, 16);
}

static int cmp_timeuuid(const uint8_t *a, int32_t alen, const uint8_t *b, int32_t blen)
{
    int pa = alen == 16, pb = blen == 16;
    if (!(pa && pb)) return pa ? 1 : pb ? -1 : cmp_bytes(a, alen, b, blen);
    /* Long.compare of the reordered msb: the first byte signed */
    if (a[6] != b[6]) return (int8_t)a[6] < (int8_t)b[6] ? -1 : 1;
    for (int i = 1; i < 8; i++)
        if (a[ts_order[i]] != b[ts_order[i]]) return a[ts_order[i]] < b[ts_order[i]] ? -1 : 1;
    /* "this has to be a signed per-byte comparison for compatibility" */
    for (int i = 8; i < 16; i++)
        if (a[i] != b[i]) return (int8_t)a[i] < (int8_t)b[i] ? -1 : 1;
    return 0;
}

/* Strips redundant sign-extension bytes of a two's complement integer. */
static void varint_trim(const uint8_t **p, int32_t *n)
{
    while (*n > 1) {
        uint8_t b0 = (*p)[0], b1 = (*p)[1];
        if ((b0 == 0x00 && !(b1 & 0x80)) || (b0 == 0xff && (b1 & 0x80))) {
            (*p)++;
            (*n)--;
        } else {
            break;
        }
    }
}

static int cmp_varint_raw(const uint8_t *a, int32_t alen, const uint8_t *b, int32_t blen)
{
    int na = (a[0] & 0x80) != 0, nb = (b[0] & 0x80) != 0;
    if (na != nb) return na ? -1 : 1;
    varint_trim(&a, &alen);
    varint_trim(&b, &blen);
    if (alen != blen) return (alen < blen) == na ? 1 : -1;
    return cmp_bytes(a, alen, b, blen);
}

static int cmp_varint(const uint8_t *a, int32_t alen, const uint8_t *b, int32_t blen)
{
    if (alen == 0 || blen == 0) return (alen > 0) - (blen > 0);
    return cmp_varint_raw(a, alen, b, blen);
}

/* bignum kit, defined at the end */
static size_t mag_from_twos(const uint8_t *p, size_t n, uint32_t *l, int *neg);
static size_t mag_mul_small(uint32_t *l, size_t n, uint32_t m, uint32_t add);
static int mag_cmp(const uint32_t *a, size_t na, const uint32_t *b, size_t nb);
static size_t mag_bits(const uint32_t *l, size_t n);

static int varint_sign(const uint8_t *p, int32_t n)
{
    if (n == 0) return 0;
    if (p[0] & 0x80) return -1;
    for (int32_t i = 0; i < n; i++)
        if (p[i]) return 1;
    return 0;
}

#define DEC_STACK_LIMBS 256 /* 1 KiB per operand */

/* |ua| * 10^-sa against |ub| * 10^-sb, both nonzero with the same sign s.
 * A and B are limb buffers of the magnitudes (B's capacity cap_b). */
static int cmp_dec_mag(const uint32_t *la, size_t na, int32_t sa, uint32_t *lb, size_t nb,
                       int32_t sb, size_t cap_b)
{
    /* log10|x| lies in [(bits-1) * log10(2), bits * log10(2)) */
    const double l2 = 0.30102999566398120;
    double lo_a = (double)(mag_bits(la, na) - 1) * l2 - sa, hi_a = lo_a + l2;
    double lo_b = (double)(mag_bits(lb, nb) - 1) * l2 - sb, hi_b = lo_b + l2;
    if (hi_a < lo_b - 1e-9) return -1;
    if (hi_b < lo_a - 1e-9) return 1;
    /* close magnitudes: |sa - sb| is bounded by the digit counts. Scale the
     * operand with the smaller scale up: caller put it in B. */
    int64_t d = (int64_t)sa - sb; /* >= 0: the caller ordered the operands */
    while (d > 0) {
        int k = d >= 9 ? 9 : (int)d;
        static const uint32_t p10[10] = {1,      10,      100,      1000,      10000,
                                         100000, 1000000, 10000000, 100000000, 1000000000};
        if (nb + 1 > cap_b) return 0; /* cannot happen: capacity is sized by the caller */
        nb = mag_mul_small(lb, nb, p10[k], 0);
        d -= k;
    }
    return mag_cmp(la, na, lb, nb);
}

static int cmp_decimal(const uint8_t *a, int32_t alen, const uint8_t *b, int32_t blen)
{
    if (alen == 0 || blen == 0) return (alen > 0) - (blen > 0);
    if (alen < 4 || blen < 4) return cmp_bytes(a, alen, b, blen);
    int32_t sa = (int32_t)be32(a), sb = (int32_t)be32(b);
    const uint8_t *ua = a + 4, *ub = b + 4;
    int32_t na = alen - 4, nb = blen - 4;
    int ga = varint_sign(ua, na), gb = varint_sign(ub, nb);
    if (ga != gb) return ga < gb ? -1 : 1;
    if (ga == 0) return 0;
    if (sa == sb) return cmp_varint_raw(ua, na, ub, nb);
    /* Put the operand with the larger scale first (it is never multiplied);
     * the other is scaled by 10^(scale difference) in a buffer sized for
     * the worst close-magnitude case. */
    int flip = sa < sb;
    if (flip) {
        const uint8_t *tp = ua;
        ua = ub;
        ub = tp;
        int32_t tn = na;
        na = nb;
        nb = tn;
        int32_t ts = sa;
        sa = sb;
        sb = ts;
    }
    size_t la_n = (size_t)na / 4 + 2, lb_cap = (size_t)nb / 4 + (size_t)na / 2 + 8;
    uint32_t sta[DEC_STACK_LIMBS], stb[DEC_STACK_LIMBS];
    uint32_t *la = la_n <= DEC_STACK_LIMBS ? sta : mem_alloc(la_n * 4);
    uint32_t *lb = lb_cap <= DEC_STACK_LIMBS ? stb : mem_alloc(lb_cap * 4);
    int c;
    if (!la || !lb) {
        /* approximate: by byte lengths and scales */
        c = sgn(((int64_t)na - nb) * 5 / 2 - ((int64_t)sa - sb));
    } else {
        int nega, negb;
        size_t ka = mag_from_twos(ua, (size_t)na, la, &nega);
        size_t kb = mag_from_twos(ub, (size_t)nb, lb, &negb);
        c = cmp_dec_mag(la, ka, sa, lb, kb, sb, lb_cap);
    }
    if (la && la != sta) mem_free(la);
    if (lb && lb != stb) mem_free(lb);
    if (flip) c = -c;
    return ga < 0 ? -c : c;
}

static int cmp_nullable(const struct type *t, const uint8_t *a, int32_t alen, const uint8_t *b,
                        int32_t blen)
{
    if (alen < 0 || blen < 0) return (alen >= 0) - (blen >= 0);
    return type_compare(t, a, alen, b, blen);
}

static int cmp_coll(const struct type *t, const uint8_t *a, int32_t alen, const uint8_t *b,
                    int32_t blen)
{
    if (alen == 0 || blen == 0) return (alen > 0) - (blen > 0);
    struct rd ra = {a, a + alen}, rb = {b, b + blen};
    int32_t n1, n2;
    if (rd_int(&ra, &n1) < 0 || rd_int(&rb, &n2) < 0) return cmp_bytes(a, alen, b, blen);
    int32_t n = n1 < n2 ? n1 : n2;
    int per = t->kind == TYPE_MAP ? 2 : 1;
    for (int32_t i = 0; i < n; i++) {
        for (int j = 0; j < per; j++) {
            const uint8_t *e1, *e2;
            int32_t l1, l2;
            int ok1 = rd_val(&ra, &e1, &l1) == 0, ok2 = rd_val(&rb, &e2, &l2) == 0;
            if (!ok1 || !ok2) return ok1 - ok2;
            int c = cmp_nullable(t->params[per == 2 ? j : 0], e1, l1, e2, l2);
            if (c) return c;
        }
    }
    return (n1 > n2) - (n1 < n2);
}

static int cmp_tuple(const struct type *t, const uint8_t *a, int32_t alen, const uint8_t *b,
                     int32_t blen)
{
    if (alen == 0 || blen == 0) return (alen > 0) - (blen > 0);
    struct rd ra = {a, a + alen}, rb = {b, b + blen};
    for (int i = 0; ra.p < ra.end && rb.p < rb.end; i++) {
        const uint8_t *e1, *e2;
        int32_t l1, l2;
        int ok1 = rd_val(&ra, &e1, &l1) == 0, ok2 = rd_val(&rb, &e2, &l2) == 0;
        if (!ok1 || !ok2) return ok1 - ok2;
        int c = i < t->n_params      ? cmp_nullable(t->params[i], e1, l1, e2, l2)
                : (l1 < 0 || l2 < 0) ? (l1 >= 0) - (l2 >= 0)
                                     : cmp_bytes(e1, l1, e2, l2);
        if (c) return c;
    }
    if (ra.p >= ra.end) return rb.p >= rb.end ? 0 : -1;
    return 1;
}

static int cmp_vector(const struct type *t, const uint8_t *a, int32_t alen, const uint8_t *b,
                      int32_t blen)
{
    if (alen == 0 || blen == 0) return (alen > 0) - (blen > 0);
    struct type_iter ia, ib;
    type_iter_init(&ia, t, a, alen);
    type_iter_init(&ib, t, b, blen);
    for (;;) {
        struct type_val x, y;
        int ka = type_iter_next(&ia, &x), kb = type_iter_next(&ib, &y);
        if (ka <= 0 || kb <= 0) {
            if (ka == kb) return ka < 0 ? cmp_bytes(a, alen, b, blen) : 0;
            return ka > kb ? 1 : -1;
        }
        int c = type_compare(t->params[0], x.p, x.len, y.p, y.len);
        if (c) return c;
    }
}

int type_compare(const struct type *t, const uint8_t *a, int32_t alen, const uint8_t *b,
                 int32_t blen)
{
    switch (t->kind) {
    case TYPE_INT:
    case TYPE_BIGINT:
    case TYPE_COUNTER:
    case TYPE_SMALLINT:
    case TYPE_TINYINT:
    case TYPE_TIMESTAMP: return cmp_signed(a, alen, b, blen);
    case TYPE_FLOAT: return cmp_float(a, alen, b, blen);
    case TYPE_DOUBLE: return cmp_double(a, alen, b, blen);
    case TYPE_BOOLEAN: return cmp_boolean(a, alen, b, blen);
    case TYPE_UUID: return cmp_uuid(a, alen, b, blen);
    case TYPE_TIMEUUID: return cmp_timeuuid(a, alen, b, blen);
    case TYPE_VARINT: return cmp_varint(a, alen, b, blen);
    case TYPE_DECIMAL: return cmp_decimal(a, alen, b, blen);
    case TYPE_LIST:
    case TYPE_SET:
    case TYPE_MAP: return cmp_coll(t, a, alen, b, blen);
    case TYPE_TUPLE:
    case TYPE_UDT: return cmp_tuple(t, a, alen, b, blen);
    case TYPE_VECTOR: return cmp_vector(t, a, alen, b, blen);
    default: return cmp_bytes(a, alen, b, blen);
    }
}

/* ---- iteration ---- */

int type_iter_init(struct type_iter *it, const struct type *t, const uint8_t *p, int32_t len)
{
    it->t = t;
    it->p = p;
    it->end = p + (len > 0 ? len : 0);
    it->i = 0;
    it->n_left = 0;
    switch (t->kind) {
    case TYPE_LIST:
    case TYPE_SET:
    case TYPE_MAP: {
        if (len == 0) return 0;
        if (len < 4) return -1;
        int32_t n = (int32_t)be32(p);
        if (n < 0 || (t->kind == TYPE_MAP && n > INT32_MAX / 2)) return -1;
        it->p += 4;
        it->n_left = t->kind == TYPE_MAP ? 2 * n : n;
        return it->n_left;
    }
    case TYPE_TUPLE:
    case TYPE_UDT: it->n_left = t->n_params; return it->n_left;
    case TYPE_VECTOR: it->n_left = len > 0 ? t->dim : 0; return it->n_left;
    default: return -1;
    }
}

int type_iter_next(struct type_iter *it, struct type_val *v)
{
    if (it->n_left <= 0) return 0;
    const struct type *t = it->t;
    if (t->kind == TYPE_VECTOR) {
        int esz = type_fixed_size(t->params[0]);
        uint64_t elen;
        if (esz < 0) {
            int k = val_get_uvint(it->p, (size_t)(it->end - it->p), &elen);
            if (k < 0) return -1;
            it->p += k;
        } else {
            elen = (uint64_t)esz;
        }
        if (elen > (uint64_t)(it->end - it->p)) return -1;
        v->p = it->p;
        v->len = (int32_t)elen;
        it->p += elen;
    } else {
        if ((t->kind == TYPE_TUPLE || t->kind == TYPE_UDT) && it->p == it->end) {
            it->n_left = 0;
            return 0;
        }
        struct rd r = {it->p, it->end};
        if (rd_val(&r, &v->p, &v->len) < 0) return -1;
        it->p = r.p;
    }
    it->n_left--;
    it->i++;
    return 1;
}

const struct type *type_elem_type(const struct type *t, int i)
{
    switch (t->kind) {
    case TYPE_LIST:
    case TYPE_SET:
    case TYPE_VECTOR: return t->params[0];
    case TYPE_MAP: return t->params[i & 1];
    case TYPE_TUPLE:
    case TYPE_UDT: return i < t->n_params ? t->params[i] : type_native(TYPE_BLOB);
    default: return NULL;
    }
}

/* ---- building ---- */

struct sort_ctx {
    const struct type *t;
    const struct type_val *v;
    int stride; /* 1 for sets, 2 for maps (keys at even positions) */
};

static int sort_cmp(const void *x, const void *y, void *arg)
{
    const struct sort_ctx *c = arg;
    int i = *(const int *)x, j = *(const int *)y;
    const struct type_val *a = &c->v[i * c->stride], *b = &c->v[j * c->stride];
    int r = type_compare(c->t, a->p, a->len, b->p, b->len);
    if (r) return r;
    return (i > j) - (i < j); /* stable: the earlier element first */
}

static void put_val(buf *out, const struct type_val *v)
{
    if (v->len < 0) {
        buf_put_be32(out, UINT32_MAX);
        return;
    }
    buf_put_be32(out, (uint32_t)v->len);
    buf_put(out, v->p, (size_t)v->len);
}

static int build_coll(const struct type *t, const struct type_val *elems, int n, buf *out,
                      char *err, size_t errsz)
{
    int stride = t->kind == TYPE_MAP ? 2 : 1;
    if (t->kind == TYPE_MAP && (n & 1)) return err_set(err, errsz, "Invalid map literal");
    int n_items = n / stride;
    for (int i = 0; i < n; i++) {
        if (elems[i].len < 0)
            return err_set(err, errsz, "null is not supported inside collections");
        const struct type *et = t->params[stride == 2 ? (i & 1) : 0];
        int rc = type_validate(et, elems[i].p, elems[i].len, err, errsz);
        if (rc) return rc;
    }
    if (t->kind == TYPE_LIST) {
        buf_put_be32(out, (uint32_t)n);
        for (int i = 0; i < n; i++)
            put_val(out, &elems[i]);
        return 0;
    }
    int stack_idx[32];
    int *idx = n_items <= 32 ? stack_idx : mem_alloc(sizeof(int) * (size_t)n_items);
    if (!idx) return type_oom(err, errsz);
    for (int i = 0; i < n_items; i++)
        idx[i] = i;
    struct sort_ctx c = {t->params[0], elems, stride};
    qsort_r(idx, (size_t)n_items, sizeof(int), sort_cmp, &c);
    size_t count_at = buf_skip(out, 4);
    uint32_t count = 0;
    for (int i = 0; i < n_items;) {
        int j = i + 1; /* [i, j) hold equal keys, in input order */
        while (j < n_items) {
            const struct type_val *a = &elems[idx[i] * stride], *b = &elems[idx[j] * stride];
            if (type_compare(c.t, a->p, a->len, b->p, b->len) != 0) break;
            j++;
        }
        put_val(out, &elems[idx[i] * stride]);
        if (stride == 2) put_val(out, &elems[idx[j - 1] * 2 + 1]);
        count++;
        i = j;
    }
    if (buf_ok(out)) buf_patch_be32(out, count_at, count);
    if (idx != stack_idx) mem_free(idx);
    return 0;
}

int type_build_collection(const struct type *t, const struct type_val *elems, int n,
                          const char *col, buf *out, char *err, size_t errsz)
{
    size_t start = out->len;
    char tn[128];
    int rc = 0;
    if (!col) col = "?";
    switch (t->kind) {
    case TYPE_LIST:
    case TYPE_SET:
    case TYPE_MAP: rc = build_coll(t, elems, n, out, err, errsz); break;
    case TYPE_TUPLE:
    case TYPE_UDT:
        if (n > t->n_params) {
            type_text(t, tn, sizeof(tn));
            if (t->kind == TYPE_TUPLE)
                rc = err_set(err, errsz,
                             "Invalid tuple literal for %s: too many elements. Type %s expects %d "
                             "but got %d",
                             col, tn, t->n_params, n);
            else
                rc = err_set(err, errsz,
                             "Invalid user type literal for %s: too many fields. Type %s has %d "
                             "but got %d",
                             col, tn, t->n_params, n);
            break;
        }
        for (int i = 0; i < n && !rc; i++)
            if (elems[i].len >= 0)
                rc = type_validate(t->params[i], elems[i].p, elems[i].len, err, errsz);
        if (rc) break;
        for (int i = 0; i < n; i++)
            put_val(out, &elems[i]);
        if (t->kind == TYPE_UDT)
            for (int i = n; i < t->n_params; i++)
                buf_put_be32(out, UINT32_MAX);
        break;
    case TYPE_VECTOR: {
        if (n != t->dim) {
            type_text(t, tn, sizeof(tn));
            rc = err_set(
                err, errsz,
                "Invalid vector literal for %s of type %s; expected %d elements, but given %d", col,
                tn, t->dim, n);
            break;
        }
        const struct type *et = t->params[0];
        int esz = type_fixed_size(et);
        for (int i = 0; i < n && !rc; i++) {
            if (elems[i].len < 0 || (esz >= 0 && elems[i].len != esz))
                rc = err_set(err, errsz, "null is not supported inside vectors");
            else
                rc = type_validate(et, elems[i].p, elems[i].len, err, errsz);
        }
        if (rc) break;
        for (int i = 0; i < n; i++) {
            if (esz < 0) val_put_uvint(out, (uint64_t)elems[i].len);
            buf_put(out, elems[i].p, (size_t)elems[i].len);
        }
        break;
    }
    default: rc = err_set(err, errsz, "Not a collection, tuple, user type or vector type");
    }
    if (!rc && !buf_ok(out)) rc = type_oom(err, errsz);
    if (rc) out->len = start < out->len ? start : out->len;
    return rc;
}

/* ---- bignum kit: magnitudes as uint32 limbs, least significant first ---- */

/* Magnitude of the two's complement integer p[0..n) (n > 0) into l
 * (capacity n / 4 + 1 limbs); returns the limb count (0 for zero). */
static size_t mag_from_twos(const uint8_t *p, size_t n, uint32_t *l, int *neg)
{
    *neg = (p[0] & 0x80) != 0;
    size_t nl = 0;
    unsigned carry = 1; /* for the +1 of the negation */
    uint32_t limb = 0;
    int shift = 0;
    for (size_t i = n; i-- > 0;) {
        unsigned byte = p[i];
        if (*neg) {
            byte = (~byte & 0xffu) + carry;
            carry = byte >> 8;
            byte &= 0xffu;
        }
        limb |= (uint32_t)byte << shift;
        shift += 8;
        if (shift == 32) {
            l[nl++] = limb;
            limb = 0;
            shift = 0;
        }
    }
    if (shift) l[nl++] = limb;
    while (nl && !l[nl - 1])
        nl--;
    return nl;
}

/* l = l * m + add; returns the new limb count (capacity n + 1). */
static size_t mag_mul_small(uint32_t *l, size_t n, uint32_t m, uint32_t add)
{
    uint64_t carry = add;
    for (size_t i = 0; i < n; i++) {
        uint64_t v = (uint64_t)l[i] * m + carry;
        l[i] = (uint32_t)v;
        carry = v >> 32;
    }
    if (carry) l[n++] = (uint32_t)carry;
    return n;
}

/* l = l / d; returns the remainder, updates *n. */
static uint32_t mag_divmod_small(uint32_t *l, size_t *n, uint32_t d)
{
    uint64_t rem = 0;
    for (size_t i = *n; i-- > 0;) {
        uint64_t v = (rem << 32) | l[i];
        l[i] = (uint32_t)(v / d);
        rem = v % d;
    }
    while (*n && !l[*n - 1])
        (*n)--;
    return (uint32_t)rem;
}

static int mag_cmp(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
    if (na != nb) return na < nb ? -1 : 1;
    for (size_t i = na; i-- > 0;)
        if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    return 0;
}

static size_t mag_bits(const uint32_t *l, size_t n)
{
    if (!n) return 0;
    return (n - 1) * 32 + (size_t)(32 - __builtin_clz(l[n - 1]));
}

/* Appends the minimal two's complement encoding of +-magnitude. */
static void mag_to_twos(const uint32_t *l, size_t n, int neg, buf *out)
{
    if (!n) {
        buf_put_u8(out, 0);
        return;
    }
    size_t nbytes = (mag_bits(l, n) + 7) / 8;
    size_t at = out->len;
    if (buf_reserve(out, nbytes + 1) < 0) return;
    uint8_t *d = out->data + at + 1; /* leave room for a sign byte */
    for (size_t i = 0; i < nbytes; i++)
        d[nbytes - 1 - i] = (uint8_t)(l[i / 4] >> (8 * (i % 4)));
    if (neg) {
        unsigned carry = 1;
        for (size_t i = nbytes; i-- > 0;) {
            unsigned v = (~d[i] & 0xffu) + carry;
            d[i] = (uint8_t)v;
            carry = v >> 8;
        }
    }
    int need_sign = neg ? !(d[0] & 0x80) : (d[0] & 0x80) != 0;
    if (need_sign) {
        d[-1] = neg ? 0xff : 0x00;
        out->len = at + nbytes + 1;
    } else {
        memmove(d - 1, d, nbytes);
        out->len = at + nbytes;
    }
}

int val_varint_from_dec(const char *s, size_t n, buf *out)
{
    size_t i = 0;
    int neg = 0;
    if (i < n && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
    if (i == n) return -1;
    for (size_t k = i; k < n; k++)
        if (s[k] < '0' || s[k] > '9') return -1;
    size_t digits = n - i;
    size_t cap = digits / 9 + 2;
    uint32_t *l = mem_alloc(cap * sizeof(uint32_t));
    if (!l) return TYPE_ENOMEM;
    size_t nl = 0;
    size_t first = digits % 9 ? digits % 9 : 9;
    while (i < n) {
        uint32_t chunk = 0, m = 1;
        for (size_t k = 0; k < first; k++, i++) {
            chunk = chunk * 10 + (uint32_t)(s[i] - '0');
            m *= 10;
        }
        nl = mag_mul_small(l, nl, m, chunk);
        while (nl && !l[nl - 1])
            nl--;
        first = 9;
    }
    mag_to_twos(l, nl, neg, out);
    mem_free(l);
    return buf_ok(out) ? 0 : TYPE_ENOMEM;
}

int val_varint_to_dec(const uint8_t *p, size_t n, buf *out)
{
    if (!n) return 0;
    uint32_t *l = mem_alloc((n / 4 + 2) * sizeof(uint32_t));
    size_t groups_cap = n * 8 / 29 + 2; /* 9 digits hold >= 29.8 bits */
    uint32_t *g = mem_alloc(groups_cap * sizeof(uint32_t));
    if (!l || !g) {
        mem_free(l);
        mem_free(g);
        out->oom = 1;
        return TYPE_ENOMEM;
    }
    int neg;
    size_t nl = mag_from_twos(p, n, l, &neg);
    size_t ng = 0;
    while (nl && ng < groups_cap)
        g[ng++] = mag_divmod_small(l, &nl, 1000000000u);
    char tmp[16];
    if (neg && ng) buf_put_u8(out, '-');
    if (!ng) {
        buf_put_u8(out, '0');
    } else {
        int k = snprintf(tmp, sizeof(tmp), "%u", g[ng - 1]);
        buf_put(out, tmp, (size_t)k);
        for (size_t i = ng - 1; i-- > 0;) {
            k = snprintf(tmp, sizeof(tmp), "%09u", g[i]);
            buf_put(out, tmp, (size_t)k);
        }
    }
    mem_free(l);
    mem_free(g);
    return buf_ok(out) ? 0 : TYPE_ENOMEM;
}
