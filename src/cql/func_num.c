/*
 * func_num -- Java number semantics for the CQL functions: arithmetic
 * operators (OperationFcts + NumberType subclasses), math functions
 * (MathFcts), numeric casts (CastFcts), sum/avg aggregate states
 * (AggregateFcts) and Java's number-to-text forms.
 *
 * Numbers are loaded into a `struct jnum` the way Cassandra deserializes
 * them into java.lang.Number objects (Byte, Short, Integer, Long, Float,
 * Double, BigInteger, BigDecimal) and converted with the same rules as
 * Number.byteValue()/intValue()/longValue()/floatValue()/doubleValue():
 * integer narrowing wraps, float-to-integer casts saturate (NaN -> 0),
 * BigInteger/BigDecimal narrowing keeps the low bits of the integer part.
 *
 * varint and decimal use a small sign-magnitude bignum (32-bit limbs,
 * heap via mem_, freed before returning). Decimal results follow
 * DecimalType: add/subtract/multiply exact (Cassandra's 10000-digit
 * MathContext is not applied: results that long are not expected), divide
 * with scale max(32 - first-digit position, scales, 32) capped at 1000,
 * HALF_UP, trailing zeros stripped; remainder as BigDecimal.remainder.
 *
 * Departure: exp/log/log10 of decimal and varint are computed in double
 * precision (Cassandra uses 32+ significant digits via BigDecimalMath);
 * the result is BigDecimal.valueOf(double) (decimal) or its integer part
 * (varint).
 */
#include "cql/func_int.h"
#include "util/mem.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* bignum: sign + magnitude, 32-bit limbs, little-endian               */

struct bn {
    uint32_t *w;
    int n, cap; /* n == 0: zero */
    int neg;
};

static void bn_init(struct bn *a)
{
    memset(a, 0, sizeof(*a));
}

static void bn_free(struct bn *a)
{
    mem_free(a->w);
    bn_init(a);
}

static int bn_reserve(struct bn *a, int n)
{
    if (n <= a->cap) return 0;
    int cap = a->cap ? a->cap : 4;
    while (cap < n)
        cap *= 2;
    uint32_t *w = mem_realloc(a->w, (size_t)cap * sizeof(uint32_t));
    if (!w) return -1;
    a->w = w;
    a->cap = cap;
    return 0;
}

static void bn_trim(struct bn *a)
{
    while (a->n > 0 && a->w[a->n - 1] == 0)
        a->n--;
    if (a->n == 0) a->neg = 0;
}

static int bn_copy(struct bn *d, const struct bn *s)
{
    if (d == s) return 0;
    if (bn_reserve(d, s->n)) return -1;
    if (s->n) memcpy(d->w, s->w, (size_t)s->n * sizeof(uint32_t));
    d->n = s->n;
    d->neg = s->neg;
    return 0;
}

static int bn_set_u64(struct bn *a, uint64_t m, int neg)
{
    if (bn_reserve(a, 2)) return -1;
    a->w[0] = (uint32_t)m;
    a->w[1] = (uint32_t)(m >> 32);
    a->n = 2;
    a->neg = neg;
    bn_trim(a);
    return 0;
}

static int bn_set_i64(struct bn *a, int64_t v)
{
    return bn_set_u64(a, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, v < 0);
}

/* Two's complement big-endian (varint encoding) -> bn. len 0 is zero. */
static int bn_from_bytes(struct bn *a, const uint8_t *p, int32_t len)
{
    int nl = (int)((len + 3) / 4);
    if (bn_reserve(a, nl > 0 ? nl : 1)) return -1;
    int neg = len > 0 && (p[0] & 0x80);
    memset(a->w, 0, (size_t)(nl > 0 ? nl : 1) * sizeof(uint32_t));
    for (int32_t i = 0; i < len; i++) {
        uint8_t byte = neg ? (uint8_t)~p[len - 1 - i] : p[len - 1 - i];
        a->w[i / 4] |= (uint32_t)byte << (8 * (i % 4));
    }
    a->n = nl;
    a->neg = 0;
    if (neg) { /* magnitude = ~x + 1 */
        for (int i = 0; i < nl; i++) {
            if (++a->w[i] != 0) break;
        }
        /* bytes beyond len in the top limb were 0 in the complemented form:
         * fine, the complement of the sign extension is 0 */
        a->neg = 1;
    }
    bn_trim(a);
    return 0;
}

/* bn -> minimal two's complement big-endian bytes appended to out. */
static void bn_to_bytes(const struct bn *a, buf *out)
{
    if (a->n == 0) {
        buf_put_u8(out, 0);
        return;
    }
    size_t nb = (size_t)a->n * 4 + 1;
    uint8_t tmp[64];
    uint8_t *b = nb <= sizeof(tmp) ? tmp : mem_alloc(nb);
    if (!b) {
        out->oom = 1;
        return;
    }
    /* little-endian magnitude bytes, one extra for the sign */
    for (size_t i = 0; i < nb; i++)
        b[i] = i / 4 < (size_t)a->n ? (uint8_t)(a->w[i / 4] >> (8 * (i % 4))) : 0;
    if (a->neg) {
        int carry = 1;
        for (size_t i = 0; i < nb; i++) {
            unsigned v = (uint8_t)~b[i] + (unsigned)carry;
            b[i] = (uint8_t)v;
            carry = v >> 8;
        }
    }
    /* drop redundant sign bytes from the top */
    size_t k = nb;
    while (k > 1) {
        uint8_t top = b[k - 1], next = b[k - 2];
        if ((top == 0 && !(next & 0x80)) || (top == 0xff && (next & 0x80)))
            k--;
        else
            break;
    }
    for (size_t i = 0; i < k; i++)
        buf_put_u8(out, b[k - 1 - i]);
    if (b != tmp) mem_free(b);
}

static int cmp_mag(const struct bn *a, const struct bn *b)
{
    if (a->n != b->n) return a->n < b->n ? -1 : 1;
    for (int i = a->n - 1; i >= 0; i--)
        if (a->w[i] != b->w[i]) return a->w[i] < b->w[i] ? -1 : 1;
    return 0;
}

/* r = |a| + |b| (magnitudes); r may alias a or b. */
static int mag_add(struct bn *r, const struct bn *a, const struct bn *b)
{
    int n = (a->n > b->n ? a->n : b->n) + 1;
    uint32_t *w = mem_alloc((size_t)n * sizeof(uint32_t));
    if (!w) return -1;
    uint64_t c = 0;
    for (int i = 0; i < n; i++) {
        c += (uint64_t)(i < a->n ? a->w[i] : 0) + (i < b->n ? b->w[i] : 0);
        w[i] = (uint32_t)c;
        c >>= 32;
    }
    mem_free(r->w);
    r->w = w;
    r->cap = n;
    r->n = n;
    bn_trim(r);
    return 0;
}

/* r = |a| - |b|, requires |a| >= |b|; r may alias a or b. */
static int mag_sub(struct bn *r, const struct bn *a, const struct bn *b)
{
    int n = a->n;
    uint32_t *w = mem_alloc((size_t)(n > 0 ? n : 1) * sizeof(uint32_t));
    if (!w) return -1;
    int64_t br = 0;
    for (int i = 0; i < n; i++) {
        int64_t v = (int64_t)a->w[i] - (i < b->n ? b->w[i] : 0) - br;
        br = v < 0;
        w[i] = (uint32_t)(v + (br ? INT64_C(0x100000000) : 0));
    }
    mem_free(r->w);
    r->w = w;
    r->cap = n > 0 ? n : 1;
    r->n = n;
    bn_trim(r);
    return 0;
}

/* r = a + (neg_b ? -b : b) */
static int bn_addsub(struct bn *r, const struct bn *a, const struct bn *b, int sub)
{
    int bneg = b->n ? (b->neg ^ sub) : 0;
    int aneg = a->neg;
    if (aneg == bneg) {
        if (mag_add(r, a, b)) return -1;
        r->neg = r->n ? aneg : 0;
        return 0;
    }
    if (cmp_mag(a, b) >= 0) {
        if (mag_sub(r, a, b)) return -1;
        r->neg = r->n ? aneg : 0;
    } else {
        if (mag_sub(r, b, a)) return -1;
        r->neg = r->n ? bneg : 0;
    }
    return 0;
}

static int bn_mul(struct bn *r, const struct bn *a, const struct bn *b)
{
    int n = a->n + b->n;
    uint32_t *w = mem_calloc((size_t)(n > 0 ? n : 1), sizeof(uint32_t));
    if (!w) return -1;
    for (int i = 0; i < a->n; i++) {
        uint64_t c = 0;
        for (int j = 0; j < b->n; j++) {
            c += (uint64_t)a->w[i] * b->w[j] + w[i + j];
            w[i + j] = (uint32_t)c;
            c >>= 32;
        }
        w[i + b->n] = (uint32_t)c;
    }
    int neg = a->neg ^ b->neg;
    mem_free(r->w);
    r->w = w;
    r->cap = n > 0 ? n : 1;
    r->n = n;
    r->neg = neg;
    bn_trim(r);
    return 0;
}

/* |a| = |a| * m + add */
static int bn_mul_small(struct bn *a, uint32_t m, uint32_t add)
{
    if (bn_reserve(a, a->n + 1)) return -1;
    uint64_t c = add;
    for (int i = 0; i < a->n; i++) {
        c += (uint64_t)a->w[i] * m;
        a->w[i] = (uint32_t)c;
        c >>= 32;
    }
    if (c) a->w[a->n++] = (uint32_t)c;
    bn_trim(a);
    return 0;
}

/* |a| /= d, returns the remainder */
static uint32_t bn_div_small(struct bn *a, uint32_t d)
{
    uint64_t r = 0;
    for (int i = a->n - 1; i >= 0; i--) {
        uint64_t cur = (r << 32) | a->w[i];
        a->w[i] = (uint32_t)(cur / d);
        r = cur % d;
    }
    int neg = a->neg;
    bn_trim(a);
    if (a->n) a->neg = neg;
    return (uint32_t)r;
}

static int bn_mul_pow10(struct bn *a, int64_t k)
{
    int neg = a->neg;
    for (; k >= 9; k -= 9)
        if (bn_mul_small(a, 1000000000u, 0)) return -1;
    static const uint32_t p10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
    if (k > 0 && bn_mul_small(a, p10[k], 0)) return -1;
    if (a->n) a->neg = neg;
    return 0;
}

static int bn_bits(const struct bn *a)
{
    if (!a->n) return 0;
    int b = 32;
    uint32_t top = a->w[a->n - 1];
    while (b > 0 && !(top >> (b - 1)))
        b--;
    return (a->n - 1) * 32 + b;
}

/* q = trunc(a / b), r = a - q * b (sign of a); b != 0. q or r may be NULL. */
static int bn_divmod(struct bn *q, struct bn *r, const struct bn *a, const struct bn *b)
{
    struct bn qq, rr;
    bn_init(&qq);
    bn_init(&rr);
    int nb = bn_bits(a);
    if (bn_reserve(&qq, a->n + 1) || bn_reserve(&rr, b->n + 2)) goto oom;
    memset(qq.w, 0, (size_t)(a->n + 1) * sizeof(uint32_t));
    qq.n = a->n;
    if (b->n == 1) { /* fast path */
        if (bn_copy(&qq, a)) goto oom;
        uint32_t rem = bn_div_small(&qq, b->w[0]);
        qq.neg = qq.n ? a->neg ^ b->neg : 0;
        if (bn_set_u64(&rr, rem, a->neg)) goto oom;
        goto done;
    }
    for (int i = nb - 1; i >= 0; i--) {
        /* rr = rr << 1 | bit i of a */
        uint32_t carry = (a->w[i / 32] >> (i % 32)) & 1;
        for (int j = 0; j < rr.n; j++) {
            uint32_t nc = rr.w[j] >> 31;
            rr.w[j] = (rr.w[j] << 1) | carry;
            carry = nc;
        }
        if (carry) {
            if (bn_reserve(&rr, rr.n + 1)) goto oom;
            rr.w[rr.n++] = carry;
        }
        if (cmp_mag(&rr, b) >= 0) {
            /* in place subtraction */
            int64_t br = 0;
            for (int j = 0; j < rr.n; j++) {
                int64_t v = (int64_t)rr.w[j] - (j < b->n ? b->w[j] : 0) - br;
                br = v < 0;
                rr.w[j] = (uint32_t)(v + (br ? INT64_C(0x100000000) : 0));
            }
            rr.neg = 0;
            bn_trim(&rr);
            qq.w[i / 32] |= 1u << (i % 32);
        }
    }
    bn_trim(&qq);
    qq.neg = qq.n ? a->neg ^ b->neg : 0;
    rr.neg = rr.n ? a->neg : 0;
done:
    if (q) {
        bn_free(q);
        *q = qq;
    } else
        bn_free(&qq);
    if (r) {
        bn_free(r);
        *r = rr;
    } else
        bn_free(&rr);
    return 0;
oom:
    bn_free(&qq);
    bn_free(&rr);
    return -1;
}

/* Low 64 bits of the two's complement value (BigInteger.longValue()). */
static int64_t bn_low64(const struct bn *a)
{
    uint64_t m = 0;
    if (a->n > 0) m = a->w[0];
    if (a->n > 1) m |= (uint64_t)a->w[1] << 32;
    return (int64_t)(a->neg ? (uint64_t)0 - m : m);
}

/* Decimal text of a ("-123"); appends to out. */
static int bn_to_str(const struct bn *a, buf *out)
{
    buf tmp;
    buf_init(&tmp);
    bn_to_bytes(a, &tmp);
    int rc = buf_ok(&tmp) ? val_varint_to_dec(tmp.data, tmp.len, out) : -3;
    buf_free(&tmp);
    return rc == 0 && buf_ok(out) ? 0 : -1;
}

/* [+-]?[0-9]+ -> bn */
static int bn_from_str(struct bn *a, const char *s, size_t n)
{
    buf tmp;
    buf_init(&tmp);
    int rc = val_varint_from_dec(s, n, &tmp);
    if (rc == 0 && buf_ok(&tmp))
        rc = bn_from_bytes(a, tmp.data, (int32_t)tmp.len);
    else
        rc = -1;
    buf_free(&tmp);
    return rc;
}

/* Number of decimal digits of |a| (1 for zero). */
static int bn_digits(const struct bn *a)
{
    if (!a->n) return 1;
    buf s;
    buf_init(&s);
    int d = 1;
    if (bn_to_str(a, &s) == 0) d = (int)s.len - (s.data[0] == '-');
    buf_free(&s);
    return d;
}

/* a * 10^-scale as "digitsE-scale" text, NUL-terminated, for strtod/strtof
 * (each rounds once, from the exact decimal). 0, or -1 out of memory. */
static int bn_sci_text(const struct bn *a, int32_t scale, buf *s)
{
    if (bn_to_str(a, s) != 0) return -1;
    char e[24];
    snprintf(e, sizeof(e), "e%" PRId64, -(int64_t)scale);
    buf_put(s, e, strlen(e) + 1);
    return buf_ok(s) ? 0 : -1;
}

static double bn_to_double(const struct bn *a, int32_t scale)
{
    buf s;
    buf_init(&s);
    double d = bn_sci_text(a, scale, &s) == 0 ? strtod((const char *)s.data, NULL) : 0;
    buf_free(&s);
    return d;
}

static float bn_to_float(const struct bn *a, int32_t scale)
{
    buf s;
    buf_init(&s);
    float f = bn_sci_text(a, scale, &s) == 0 ? strtof((const char *)s.data, NULL) : 0;
    buf_free(&s);
    return f;
}

/* ------------------------------------------------------------------ */
/* Java's Double.toString / Float.toString                             */

static void java_fp(double d, int is_float, buf *b)
{
    char tmp[48];
    if (isnan(d)) {
        buf_put(b, "NaN", 3);
        return;
    }
    if (isinf(d)) {
        if (d < 0) buf_put_u8(b, '-');
        buf_put(b, "Infinity", 8);
        return;
    }
    if (d == 0) {
        if (signbit(d)) buf_put_u8(b, '-');
        buf_put(b, "0.0", 3);
        return;
    }
    int maxp = is_float ? 9 : 17;
    for (int p = 1; p <= maxp; p++) {
        snprintf(tmp, sizeof(tmp), "%.*e", p - 1, d);
        if (is_float) {
            if (strtof(tmp, NULL) == (float)d) break;
        } else if (strtod(tmp, NULL) == d)
            break;
    }
    /* tmp = [-]D[.DDD]e[+-]X */
    char digits[24];
    int nd = 0, neg = 0;
    const char *c = tmp;
    if (*c == '-') neg = 1, c++;
    for (; *c && *c != 'e'; c++)
        if (*c >= '0' && *c <= '9') digits[nd++] = *c;
    int x = atoi(c + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    if (neg) buf_put_u8(b, '-');
    double ad = fabs(d);
    if (ad >= 1e-3 && ad < 1e7) {
        if (x >= 0) {
            for (int i = 0; i <= x; i++)
                buf_put_u8(b, i < nd ? (uint8_t)digits[i] : '0');
            buf_put_u8(b, '.');
            if (nd > x + 1)
                buf_put(b, digits + x + 1, (size_t)(nd - x - 1));
            else
                buf_put_u8(b, '0');
        } else {
            buf_put(b, "0.", 2);
            for (int i = 0; i < -x - 1; i++)
                buf_put_u8(b, '0');
            buf_put(b, digits, (size_t)nd);
        }
    } else {
        buf_put_u8(b, (uint8_t)digits[0]);
        buf_put_u8(b, '.');
        if (nd > 1)
            buf_put(b, digits + 1, (size_t)(nd - 1));
        else
            buf_put_u8(b, '0');
        snprintf(tmp, sizeof(tmp), "E%d", x);
        buf_put(b, tmp, strlen(tmp));
    }
}

void func_java_double(double d, buf *b)
{
    java_fp(d, 0, b);
}

void func_java_float(float f, buf *b)
{
    java_fp((double)f, 1, b);
}

/* ------------------------------------------------------------------ */
/* BigDecimal                                                          */

struct dec {
    struct bn u;
    int32_t s;
};

static void dec_init(struct dec *d)
{
    bn_init(&d->u);
    d->s = 0;
}

static void dec_free(struct dec *d)
{
    bn_free(&d->u);
}

static int dec_from_bytes(struct dec *d, const uint8_t *p, int32_t len)
{
    if (len < 4) return -1;
    d->s = (int32_t)be32(p);
    return bn_from_bytes(&d->u, p + 4, len - 4);
}

static void dec_to_bytes(const struct dec *d, buf *out)
{
    buf_put_be32(out, (uint32_t)d->s);
    bn_to_bytes(&d->u, out);
}

/* new BigDecimal(String) for Java's number forms: [-]digits[.digits][E[+-]n] */
static int dec_from_str(struct dec *d, const char *s)
{
    char tmp[64];
    size_t k = 0;
    int32_t scale = 0, seen_dot = 0;
    const char *c = s;
    if (*c == '-' || *c == '+') tmp[k++] = *c++;
    for (; *c && *c != 'E' && *c != 'e'; c++) {
        if (*c == '.') {
            seen_dot = 1;
            continue;
        }
        if (k >= sizeof(tmp) - 1) return -1;
        tmp[k++] = *c;
        if (seen_dot) scale++;
    }
    if (*c) scale -= (int32_t)atoi(c + 1);
    d->s = scale;
    return bn_from_str(&d->u, tmp, k);
}

/* BigDecimal.valueOf(double): new BigDecimal(Double.toString(d)). */
static int dec_from_double(struct dec *d, double x)
{
    buf b;
    buf_init(&b);
    func_java_double(x, &b);
    buf_put_u8(&b, 0);
    int rc = buf_ok(&b) ? dec_from_str(d, (const char *)b.data) : -1;
    buf_free(&b);
    return rc;
}

static int dec_copy(struct dec *d, const struct dec *s)
{
    d->s = s->s;
    return bn_copy(&d->u, &s->u);
}

/* Brings a and b (copies) to the same scale: the larger one. */
static int dec_align(struct dec *a, struct dec *b)
{
    if (a->s < b->s) {
        if (bn_mul_pow10(&a->u, (int64_t)b->s - a->s)) return -1;
        a->s = b->s;
    } else if (b->s < a->s) {
        if (bn_mul_pow10(&b->u, (int64_t)a->s - b->s)) return -1;
        b->s = a->s;
    }
    return 0;
}

static int dec_addsub(struct dec *r, const struct dec *a0, const struct dec *b0, int sub)
{
    struct dec a, b;
    dec_init(&a);
    dec_init(&b);
    int rc = -1;
    if (dec_copy(&a, a0) || dec_copy(&b, b0) || dec_align(&a, &b)) goto out;
    if (bn_addsub(&r->u, &a.u, &b.u, sub)) goto out;
    r->s = a.s;
    rc = 0;
out:
    dec_free(&a);
    dec_free(&b);
    return rc;
}

static int dec_mul(struct dec *r, const struct dec *a, const struct dec *b)
{
    int64_t s = (int64_t)a->s + b->s;
    if (bn_mul(&r->u, &a->u, &b->u)) return -1;
    r->s = (int32_t)s;
    return 0;
}

static int dec_precision(const struct dec *d)
{
    return bn_digits(&d->u);
}

enum { RM_HALF_UP, RM_HALF_EVEN, RM_DOWN };

/* r = a / b at `scale`, rounded; b != 0. */
static int dec_div_scale(struct dec *r, const struct dec *a, const struct dec *b, int32_t scale,
                         int mode)
{
    struct bn num, den, q, rem;
    bn_init(&num);
    bn_init(&den);
    bn_init(&q);
    bn_init(&rem);
    int rc = -1;
    int64_t e = (int64_t)scale + b->s - a->s;
    if (bn_copy(&num, &a->u) || bn_copy(&den, &b->u)) goto out;
    if (e >= 0) {
        if (bn_mul_pow10(&num, e)) goto out;
    } else if (bn_mul_pow10(&den, -e))
        goto out;
    if (bn_divmod(&q, &rem, &num, &den)) goto out;
    if (rem.n && mode != RM_DOWN) {
        /* compare 2|rem| with |den| */
        struct bn twice;
        bn_init(&twice);
        if (mag_add(&twice, &rem, &rem)) goto out;
        int c = cmp_mag(&twice, &den);
        bn_free(&twice);
        int up = c > 0 || (c == 0 && (mode == RM_HALF_UP || (q.n && (q.w[0] & 1))));
        if (up) {
            struct bn one;
            bn_init(&one);
            int qneg = (num.neg ^ den.neg);
            if (bn_set_i64(&one, qneg ? -1 : 1) || bn_addsub(&q, &q, &one, 0)) {
                bn_free(&one);
                goto out;
            }
            bn_free(&one);
        }
    }
    bn_free(&r->u);
    r->u = q;
    bn_init(&q);
    r->s = scale;
    rc = 0;
out:
    bn_free(&num);
    bn_free(&den);
    bn_free(&q);
    bn_free(&rem);
    return rc;
}

/* BigDecimal.stripTrailingZeros (zero becomes 0 with scale 0). */
static int dec_strip(struct dec *d)
{
    if (!d->u.n) {
        d->s = 0;
        return 0;
    }
    struct bn t;
    bn_init(&t);
    for (;;) {
        if (bn_copy(&t, &d->u)) {
            bn_free(&t);
            return -1;
        }
        if (bn_div_small(&t, 10) != 0) break;
        bn_free(&d->u);
        d->u = t;
        bn_init(&t);
        d->s--;
    }
    bn_free(&t);
    return 0;
}

/* Number of trailing decimal zeros of |u| (u != 0). */
static int64_t bn_trailing_zeros(const struct bn *u)
{
    struct bn t;
    bn_init(&t);
    int64_t k = 0;
    if (bn_copy(&t, u)) return 0;
    while (t.n && bn_div_small(&t, 10) == 0)
        k++;
    bn_free(&t);
    return k;
}

/* ------------------------------------------------------------------ */
/* Numbers as Java objects                                             */

int func_is_numeric(enum type_kind k)
{
    switch (k) {
    case TYPE_TINYINT:
    case TYPE_SMALLINT:
    case TYPE_INT:
    case TYPE_BIGINT:
    case TYPE_COUNTER:
    case TYPE_FLOAT:
    case TYPE_DOUBLE:
    case TYPE_VARINT:
    case TYPE_DECIMAL: return 1;
    default: return 0;
    }
}

static int num_size(enum type_kind k)
{
    switch (k) {
    case TYPE_TINYINT: return 1;
    case TYPE_SMALLINT: return 2;
    case TYPE_INT:
    case TYPE_FLOAT: return 4;
    case TYPE_BIGINT:
    case TYPE_COUNTER:
    case TYPE_DOUBLE: return 8;
    default: return 1 << 30;
    }
}

static int num_is_fp(enum type_kind k)
{
    return k == TYPE_FLOAT || k == TYPE_DOUBLE || k == TYPE_DECIMAL;
}

enum type_kind func_arith_result(enum type_kind l, enum type_kind r)
{
    int fp = num_is_fp(l) || num_is_fp(r);
    int sz = num_size(l) > num_size(r) ? num_size(l) : num_size(r);
    if (fp) return sz == 4 ? TYPE_FLOAT : sz == 8 ? TYPE_DOUBLE : TYPE_DECIMAL;
    switch (sz) {
    case 1: return TYPE_TINYINT;
    case 2: return TYPE_SMALLINT;
    case 4: return TYPE_INT;
    case 8: return TYPE_BIGINT;
    default: return TYPE_VARINT;
    }
}

struct jnum {
    enum type_kind k;
    int64_t i;    /* tinyint .. bigint, counter */
    double d;     /* float (exactly), double */
    struct dec x; /* varint (x.u, scale 0), decimal */
};

static void jn_free(struct jnum *n)
{
    dec_free(&n->x);
}

static int jn_load(struct jnum *n, enum type_kind k, struct type_val v, char *err, size_t errsz)
{
    memset(n, 0, sizeof(*n));
    dec_init(&n->x);
    n->k = k;
    const uint8_t *p = v.p;
    int want = k == TYPE_VARINT || k == TYPE_DECIMAL ? -1 : num_size(k);
    if ((want > 0 && v.len != want) || (k == TYPE_VARINT && v.len < 1) ||
        (k == TYPE_DECIMAL && v.len < 5))
        return func_fail(err, errsz, "Invalid %s value of %d bytes", type_kind_name(k), (int)v.len);
    switch (k) {
    case TYPE_TINYINT: n->i = (int8_t)p[0]; break;
    case TYPE_SMALLINT: n->i = (int16_t)be16(p); break;
    case TYPE_INT: n->i = (int32_t)be32(p); break;
    case TYPE_BIGINT:
    case TYPE_COUNTER: n->i = (int64_t)be64(p); break;
    case TYPE_FLOAT: {
        uint32_t bits = be32(p);
        float f;
        memcpy(&f, &bits, 4);
        n->d = f;
        break;
    }
    case TYPE_DOUBLE: {
        uint64_t bits = be64(p);
        memcpy(&n->d, &bits, 8);
        break;
    }
    case TYPE_VARINT:
        if (bn_from_bytes(&n->x.u, p, v.len)) return func_fail(err, errsz, "Out of memory");
        break;
    case TYPE_DECIMAL:
        if (dec_from_bytes(&n->x, p, v.len)) return func_fail(err, errsz, "Out of memory");
        break;
    default: return func_fail(err, errsz, "Not a number");
    }
    return 0;
}

/* Java (long) of a double: saturating, NaN -> 0 */
static int64_t d2l(double d)
{
    if (isnan(d)) return 0;
    if (d >= 9223372036854775807.0) return INT64_MAX;
    if (d <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)d;
}

static int32_t d2i(double d)
{
    if (isnan(d)) return 0;
    if (d >= 2147483647.0) return INT32_MAX;
    if (d <= -2147483648.0) return INT32_MIN;
    return (int32_t)d;
}

/* The integer part of a decimal, truncated toward zero (BigDecimal.toBigInteger). */
static int dec_int_part(const struct dec *x, struct bn *out)
{
    if (bn_copy(out, &x->u)) return -1;
    if (x->s <= 0) {
        if ((int64_t)-x->s >= 64 && out->n) {
            /* 10^k with k >= 64 is a multiple of 2^64: only the low bits
             * matter to the callers, and they are 0 */
            bn_free(out);
            return 0;
        }
        return bn_mul_pow10(out, -(int64_t)x->s);
    }
    int neg = out->neg;
    for (int64_t k = x->s; k > 0 && out->n; k--)
        bn_div_small(out, 10);
    if (out->n) out->neg = neg;
    return 0;
}

static int64_t jn_long(const struct jnum *n)
{
    switch (n->k) {
    case TYPE_FLOAT:
    case TYPE_DOUBLE: return d2l(n->d);
    case TYPE_VARINT: return bn_low64(&n->x.u);
    case TYPE_DECIMAL: {
        struct bn t;
        bn_init(&t);
        int64_t v = dec_int_part(&n->x, &t) == 0 ? bn_low64(&t) : 0;
        bn_free(&t);
        return v;
    }
    default: return n->i;
    }
}

static int32_t jn_int(const struct jnum *n)
{
    if (n->k == TYPE_FLOAT || n->k == TYPE_DOUBLE) return d2i(n->d);
    return (int32_t)(uint32_t)(uint64_t)jn_long(n);
}

static double jn_double(const struct jnum *n)
{
    switch (n->k) {
    case TYPE_FLOAT:
    case TYPE_DOUBLE: return n->d;
    case TYPE_VARINT: return bn_to_double(&n->x.u, 0);
    case TYPE_DECIMAL: return bn_to_double(&n->x.u, n->x.s);
    default: return (double)n->i;
    }
}

static float jn_float(const struct jnum *n)
{
    switch (n->k) {
    case TYPE_FLOAT:
    case TYPE_DOUBLE: return (float)n->d;
    case TYPE_VARINT: return bn_to_float(&n->x.u, 0);
    case TYPE_DECIMAL: return bn_to_float(&n->x.u, n->x.s);
    default: return (float)n->i;
    }
}

/* DecimalType.toBigDecimal(Number) */
static int jn_to_dec(const struct jnum *n, struct dec *out, char *err, size_t errsz)
{
    if (n->k == TYPE_DECIMAL || n->k == TYPE_VARINT) {
        if (dec_copy(out, &n->x)) return func_fail(err, errsz, "Out of memory");
        return 0;
    }
    double d = jn_double(n);
    if (isnan(d)) return func_fail(err, errsz, "A NaN cannot be converted into a decimal");
    if (isinf(d))
        return func_fail(err, errsz, "An infinite number cannot be converted into a decimal");
    if (dec_from_double(out, d)) return func_fail(err, errsz, "Out of memory");
    return 0;
}

/* IntegerType.toBigInteger(Number) */
static int jn_to_bn(const struct jnum *n, struct bn *out)
{
    if (n->k == TYPE_VARINT) return bn_copy(out, &n->x.u);
    return bn_set_i64(out, jn_long(n));
}

static void put_float(buf *out, float f)
{
    uint32_t bits;
    memcpy(&bits, &f, 4);
    buf_put_be32(out, bits);
}

static void put_double(buf *out, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, 8);
    buf_put_be64(out, bits);
}

static void put_int_kind(enum type_kind k, int64_t v, buf *out)
{
    switch (k) {
    case TYPE_TINYINT: buf_put_u8(out, (uint8_t)v); break;
    case TYPE_SMALLINT: buf_put_be16(out, (uint16_t)v); break;
    case TYPE_INT: buf_put_be32(out, (uint32_t)v); break;
    default: buf_put_be64(out, (uint64_t)v); break;
    }
}

/* ------------------------------------------------------------------ */
/* decimal division and remainder (DecimalType.divide / mod)           */

static int dec_divide(struct dec *r, const struct dec *a, const struct dec *b, char *err,
                      size_t errsz)
{
    if (!b->u.n) return func_fail(err, errsz, a->u.n ? "Division by zero" : "Division undefined");
    int64_t pos = ((int64_t)dec_precision(a) - a->s) - ((int64_t)dec_precision(b) - b->s);
    int64_t scale = 32 - pos;
    if (scale < a->s) scale = a->s;
    if (scale < b->s) scale = b->s;
    if (scale < 32) scale = 32;
    if (scale > 1000) scale = 1000;
    if (dec_div_scale(r, a, b, (int32_t)scale, RM_HALF_UP) || dec_strip(r))
        return func_fail(err, errsz, "Out of memory");
    return 0;
}

/* BigDecimal.remainder: a - q * b with q = the integral quotient; the
 * scale is max(scale(a), scale(b) - trailing zeros of q) (see the header of
 * divideToIntegralValue: q keeps the preferred scale scale(a) - scale(b)). */
static int dec_remainder(struct dec *r, const struct dec *a, const struct dec *b, char *err,
                         size_t errsz)
{
    if (!b->u.n) return func_fail(err, errsz, a->u.n ? "Division by zero" : "Division undefined");
    struct dec q, qb;
    dec_init(&q);
    dec_init(&qb);
    int rc = -1;
    if (dec_div_scale(&q, a, b, 0, RM_DOWN)) goto oom;
    int64_t qs = (int64_t)a->s - b->s; /* preferred scale */
    if (q.u.n) {
        int64_t tz = bn_trailing_zeros(&q.u);
        if (qs < -tz) qs = -tz;
    }
    /* represent q at scale qs */
    if (qs >= 0) {
        if (bn_mul_pow10(&q.u, qs)) goto oom;
    } else {
        for (int64_t k = -qs; k > 0 && q.u.n; k--)
            bn_div_small(&q.u, 10);
    }
    q.s = (int32_t)qs;
    if (dec_mul(&qb, &q, b) || dec_addsub(r, a, &qb, 1)) goto oom;
    rc = 0;
    goto out;
oom:
    func_fail(err, errsz, "Out of memory");
out:
    dec_free(&q);
    dec_free(&qb);
    return rc;
}

/* ------------------------------------------------------------------ */
/* operators                                                           */

int func_arith(enum type_kind res, int op, enum type_kind lk, struct type_val l, enum type_kind rk,
               struct type_val r, buf *out, char *err, size_t errsz)
{
    struct jnum a, b;
    int rc = -1;
    if (jn_load(&a, lk, l, err, errsz)) return -1;
    if (jn_load(&b, rk, r, err, errsz)) {
        jn_free(&a);
        return -1;
    }
    switch (res) {
    case TYPE_TINYINT:
    case TYPE_SMALLINT:
    case TYPE_INT:
    case TYPE_BIGINT:
    case TYPE_COUNTER: {
        int64_t x, y;
        if (res == TYPE_BIGINT || res == TYPE_COUNTER)
            x = jn_long(&a), y = jn_long(&b);
        else if (res == TYPE_INT)
            x = jn_int(&a), y = jn_int(&b);
        else if (res == TYPE_SMALLINT)
            x = (int16_t)jn_int(&a), y = (int16_t)jn_int(&b);
        else
            x = (int8_t)jn_int(&a), y = (int8_t)jn_int(&b);
        uint64_t v;
        switch (op) {
        case FOP_ADD: v = (uint64_t)x + (uint64_t)y; break;
        case FOP_SUB: v = (uint64_t)x - (uint64_t)y; break;
        case FOP_MUL: v = (uint64_t)x * (uint64_t)y; break;
        default:
            if (y == 0) {
                func_fail(err, errsz, "/ by zero");
                goto out;
            }
            if (y == -1) /* Java wraps MIN / -1 to MIN, MIN % -1 is 0 */
                v = op == FOP_DIV ? (uint64_t)0 - (uint64_t)x : 0;
            else
                v = (uint64_t)(op == FOP_DIV ? x / y : x % y);
            break;
        }
        if (res == TYPE_INT) v = (uint64_t)(int64_t)(int32_t)(uint32_t)v;
        put_int_kind(res, (int64_t)v, out);
        break;
    }
    case TYPE_FLOAT: {
        float x = jn_float(&a), y = jn_float(&b), v;
        switch (op) {
        case FOP_ADD: v = x + y; break;
        case FOP_SUB: v = x - y; break;
        case FOP_MUL: v = x * y; break;
        case FOP_DIV: v = x / y; break;
        default: v = fmodf(x, y); break;
        }
        put_float(out, v);
        break;
    }
    case TYPE_DOUBLE: {
        double x = jn_double(&a), y = jn_double(&b), v;
        switch (op) {
        case FOP_ADD: v = x + y; break;
        case FOP_SUB: v = x - y; break;
        case FOP_MUL: v = x * y; break;
        case FOP_DIV: v = x / y; break;
        default: v = fmod(x, y); break;
        }
        put_double(out, v);
        break;
    }
    case TYPE_VARINT: {
        struct bn x, y, v;
        bn_init(&x);
        bn_init(&y);
        bn_init(&v);
        int e = jn_to_bn(&a, &x) || jn_to_bn(&b, &y);
        if (!e) {
            switch (op) {
            case FOP_ADD: e = bn_addsub(&v, &x, &y, 0); break;
            case FOP_SUB: e = bn_addsub(&v, &x, &y, 1); break;
            case FOP_MUL: e = bn_mul(&v, &x, &y); break;
            default:
                if (!y.n) {
                    bn_free(&x);
                    bn_free(&y);
                    func_fail(err, errsz, "BigInteger divide by zero");
                    goto out;
                }
                e = op == FOP_DIV ? bn_divmod(&v, NULL, &x, &y) : bn_divmod(NULL, &v, &x, &y);
                break;
            }
        }
        if (!e) bn_to_bytes(&v, out);
        bn_free(&x);
        bn_free(&y);
        bn_free(&v);
        if (e) {
            func_fail(err, errsz, "Out of memory");
            goto out;
        }
        break;
    }
    case TYPE_DECIMAL: {
        struct dec x, y, v;
        dec_init(&x);
        dec_init(&y);
        dec_init(&v);
        int e = jn_to_dec(&a, &x, err, errsz) || jn_to_dec(&b, &y, err, errsz);
        if (!e) {
            switch (op) {
            case FOP_ADD:
            case FOP_SUB:
                e = dec_addsub(&v, &x, &y, op == FOP_SUB);
                if (e) func_fail(err, errsz, "Out of memory");
                break;
            case FOP_MUL:
                e = dec_mul(&v, &x, &y);
                if (e) func_fail(err, errsz, "Out of memory");
                break;
            case FOP_DIV: e = dec_divide(&v, &x, &y, err, errsz); break;
            default: e = dec_remainder(&v, &x, &y, err, errsz); break;
            }
        }
        if (!e) dec_to_bytes(&v, out);
        dec_free(&x);
        dec_free(&y);
        dec_free(&v);
        if (e) goto out;
        break;
    }
    default: func_fail(err, errsz, "Not a number"); goto out;
    }
    rc = buf_ok(out) ? 0 : func_fail(err, errsz, "Out of memory");
out:
    jn_free(&a);
    jn_free(&b);
    return rc;
}

int func_negate(enum type_kind k, struct type_val v, buf *out, char *err, size_t errsz)
{
    struct jnum a;
    if (jn_load(&a, k, v, err, errsz)) return -1;
    switch (k) {
    case TYPE_FLOAT: put_float(out, -(float)a.d); break;
    case TYPE_DOUBLE: put_double(out, -a.d); break;
    case TYPE_VARINT:
    case TYPE_DECIMAL:
        if (a.x.u.n) a.x.u.neg = !a.x.u.neg;
        if (k == TYPE_VARINT)
            bn_to_bytes(&a.x.u, out);
        else
            dec_to_bytes(&a.x, out);
        break;
    default: put_int_kind(k, (int64_t)((uint64_t)0 - (uint64_t)a.i), out); break;
    }
    jn_free(&a);
    return buf_ok(out) ? 0 : func_fail(err, errsz, "Out of memory");
}

/* Java's Math.round(float) / Math.round(double) */
static int64_t java_round(double x, int is_float)
{
    if (isnan(x)) return 0;
    double f = floor(x);
    if (x - f >= 0.5) f += 1;
    if (is_float) return d2i(f);
    return d2l(f);
}

static double math_d(int fm, double x)
{
    switch (fm) {
    case FM_EXP: return exp(x);
    case FM_LOG: return log(x);
    default: return log10(x);
    }
}

int func_math(int fm, enum type_kind k, struct type_val v, buf *out, char *err, size_t errsz)
{
    struct jnum a;
    int rc = -1;
    if (jn_load(&a, k, v, err, errsz)) return -1;
    switch (k) {
    case TYPE_TINYINT:
    case TYPE_SMALLINT:
    case TYPE_INT:
    case TYPE_BIGINT:
    case TYPE_COUNTER: {
        int64_t r;
        if (fm == FM_ABS)
            r = a.i < 0 ? (int64_t)((uint64_t)0 - (uint64_t)a.i) : a.i;
        else if (fm == FM_ROUND)
            r = a.i;
        else {
            double d = math_d(fm, (double)a.i);
            r = (k == TYPE_BIGINT || k == TYPE_COUNTER) ? d2l(d) : d2i(d);
        }
        put_int_kind(k, r, out); /* (byte)/(short) narrowing wraps */
        break;
    }
    case TYPE_FLOAT: {
        float f = (float)a.d, r;
        if (fm == FM_ABS)
            r = fabsf(f);
        else if (fm == FM_ROUND)
            r = (float)java_round(f, 1);
        else
            r = (float)math_d(fm, f);
        put_float(out, r);
        break;
    }
    case TYPE_DOUBLE: {
        double r;
        if (fm == FM_ABS)
            r = fabs(a.d);
        else if (fm == FM_ROUND)
            r = (double)java_round(a.d, 0);
        else
            r = math_d(fm, a.d);
        put_double(out, r);
        break;
    }
    case TYPE_VARINT:
    case TYPE_DECIMAL: {
        struct dec *x = &a.x;
        if (fm == FM_ABS) {
            x->u.neg = 0;
        } else if (fm == FM_ROUND) {
            if (k == TYPE_DECIMAL && x->s > 0) {
                struct dec one, r;
                dec_init(&one);
                dec_init(&r);
                int e = bn_set_i64(&one.u, 1) || dec_div_scale(&r, x, &one, 0, RM_HALF_UP);
                if (!e) {
                    dec_free(x);
                    *x = r;
                } else
                    dec_free(&r);
                dec_free(&one);
                if (e) {
                    func_fail(err, errsz, "Out of memory");
                    goto out;
                }
            } else if (k == TYPE_DECIMAL && x->s < 0) {
                if (bn_mul_pow10(&x->u, -(int64_t)x->s)) {
                    func_fail(err, errsz, "Out of memory");
                    goto out;
                }
                x->s = 0;
            }
        } else {
            if (fm != FM_EXP && (!x->u.n || x->u.neg)) {
                func_fail(err, errsz,
                          fm == FM_LOG ? "Natural log of number zero or less"
                                       : "Log10 of number zero or less");
                goto out;
            }
            double d = math_d(fm, jn_double(&a));
            struct dec r;
            dec_init(&r);
            if (isinf(d) || isnan(d) || dec_from_double(&r, d)) {
                dec_free(&r);
                func_fail(err, errsz, "Overflow");
                goto out;
            }
            dec_free(x);
            *x = r;
            if (k == TYPE_VARINT) {
                struct bn t;
                bn_init(&t);
                if (dec_int_part(x, &t)) {
                    bn_free(&t);
                    func_fail(err, errsz, "Out of memory");
                    goto out;
                }
                bn_free(&x->u);
                x->u = t;
                x->s = 0;
            }
        }
        if (k == TYPE_VARINT)
            bn_to_bytes(&x->u, out);
        else
            dec_to_bytes(x, out);
        break;
    }
    default: func_fail(err, errsz, "Not a number"); goto out;
    }
    rc = buf_ok(out) ? 0 : func_fail(err, errsz, "Out of memory");
out:
    jn_free(&a);
    return rc;
}

/* ------------------------------------------------------------------ */
/* casts                                                               */

int func_num_cast(enum type_kind from, struct type_val v, enum type_kind to, buf *out, char *err,
                  size_t errsz)
{
    struct jnum a;
    int rc = -1;
    if (jn_load(&a, from, v, err, errsz)) return -1;
    switch (to) {
    case TYPE_TINYINT: buf_put_u8(out, (uint8_t)jn_int(&a)); break;
    case TYPE_SMALLINT: buf_put_be16(out, (uint16_t)jn_int(&a)); break;
    case TYPE_INT: buf_put_be32(out, (uint32_t)jn_int(&a)); break;
    case TYPE_BIGINT: buf_put_be64(out, (uint64_t)jn_long(&a)); break;
    case TYPE_FLOAT: put_float(out, jn_float(&a)); break;
    case TYPE_DOUBLE: put_double(out, jn_double(&a)); break;
    case TYPE_VARINT: {
        struct bn t;
        bn_init(&t);
        /* BigInteger.valueOf(p.longValue()) */
        if (bn_set_i64(&t, jn_long(&a))) {
            func_fail(err, errsz, "Out of memory");
            goto out;
        }
        bn_to_bytes(&t, out);
        bn_free(&t);
        break;
    }
    case TYPE_DECIMAL: {
        struct dec d;
        dec_init(&d);
        int e = 0;
        if (from == TYPE_VARINT) {
            e = dec_copy(&d, &a.x);
        } else if (from == TYPE_FLOAT || from == TYPE_DOUBLE) {
            if (isnan(a.d) || isinf(a.d)) {
                dec_free(&d);
                func_fail(err, errsz,
                          from == TYPE_FLOAT ? "Character %s is neither a decimal digit "
                                               "number, decimal point, nor \"e\" "
                                               "notation exponential mark."
                                             : "Infinite or NaN",
                          isnan(a.d) ? "N" : "I");
                goto out;
            }
            buf s;
            buf_init(&s);
            if (from == TYPE_FLOAT)
                func_java_float((float)a.d, &s);
            else
                func_java_double(a.d, &s);
            buf_put_u8(&s, 0);
            e = !buf_ok(&s) || dec_from_str(&d, (const char *)s.data);
            buf_free(&s);
        } else {
            e = bn_set_i64(&d.u, jn_long(&a));
            d.s = 0;
        }
        if (!e) dec_to_bytes(&d, out);
        dec_free(&d);
        if (e) {
            func_fail(err, errsz, "Out of memory");
            goto out;
        }
        break;
    }
    default: func_fail(err, errsz, "Not a numeric type"); goto out;
    }
    rc = buf_ok(out) ? 0 : func_fail(err, errsz, "Out of memory");
out:
    jn_free(&a);
    return rc;
}

/* ------------------------------------------------------------------ */
/* sum / avg aggregate states                                          */

struct numagg {
    uint8_t fa, k;
    int overflow;
    int64_t count; /* Java uses an int count; rows beyond 2^31 are not expected */
    int64_t lsum;
    double sum, comp, simple;
    long double bigd; /* FloatAvgAggregate's BigDecimal fallback (approximated) */
    struct dec *big;  /* varint / decimal sums, AvgAggregate's BigInteger fallback */
};

size_t func_numagg_size(void)
{
    return (sizeof(struct numagg) + 15) & ~(size_t)15;
}

void func_numagg_init(void *st, int fa, enum type_kind k)
{
    struct numagg *s = st;
    memset(s, 0, sizeof(*s));
    s->fa = (uint8_t)fa;
    s->k = (uint8_t)k;
}

void func_numagg_destroy(void *st)
{
    struct numagg *s = st;
    if (s->big) {
        dec_free(s->big);
        mem_free(s->big);
        s->big = NULL;
    }
}

static int need_big(struct numagg *s)
{
    if (s->big) return 0;
    s->big = mem_alloc(sizeof(*s->big));
    if (!s->big) return -1;
    dec_init(s->big);
    return 0;
}

int func_numagg_add(void *st, struct type_val v, char *err, size_t errsz)
{
    struct numagg *s = st;
    enum type_kind k = (enum type_kind)s->k;
    if (v.len < 0 || (v.len == 0 && func_empty_is_null(k))) return 0;
    struct jnum a;
    if (jn_load(&a, k, v, err, errsz)) return -1;
    int rc = 0;
    s->count++;
    switch (k) {
    case TYPE_TINYINT:
    case TYPE_SMALLINT:
    case TYPE_INT:
    case TYPE_BIGINT:
    case TYPE_COUNTER:
        if (s->fa == FA_SUM) { /* wraps in the type's width (fixed on output) */
            s->lsum = (int64_t)((uint64_t)s->lsum + (uint64_t)a.i);
        } else if (s->overflow) {
            struct bn t;
            bn_init(&t);
            rc = bn_set_i64(&t, a.i) || bn_addsub(&s->big->u, &s->big->u, &t, 0);
            bn_free(&t);
        } else {
            int64_t prev = s->lsum, sum = (int64_t)((uint64_t)prev + (uint64_t)a.i);
            if (((prev ^ sum) & (a.i ^ sum)) < 0) {
                struct bn t;
                bn_init(&t);
                s->overflow = 1;
                rc = need_big(s) || bn_set_i64(&s->big->u, prev) || bn_set_i64(&t, a.i) ||
                     bn_addsub(&s->big->u, &s->big->u, &t, 0);
                bn_free(&t);
            }
            s->lsum = sum;
        }
        break;
    case TYPE_FLOAT:
    case TYPE_DOUBLE: {
        double x = a.d;
        if (s->fa == FA_AVG && s->overflow) {
            s->bigd += x;
            break;
        }
        s->simple += x;
        double prev = s->sum, t = x - s->comp, r = s->sum + t;
        s->comp = (r - s->sum) - t;
        s->sum = r;
        if (s->fa == FA_AVG && isinf(s->sum) && !isinf(x)) {
            s->overflow = 1;
            s->bigd = (long double)prev + x;
        }
        break;
    }
    case TYPE_VARINT: rc = need_big(s) || bn_addsub(&s->big->u, &s->big->u, &a.x.u, 0); break;
    case TYPE_DECIMAL:
        if (need_big(s)) {
            rc = -1;
            break;
        }
        if (s->fa == FA_SUM) {
            rc = dec_addsub(s->big, s->big, &a.x, 0);
        } else { /* avg = avg + (x - avg) / count, HALF_EVEN at the scale of (x - avg) */
            struct dec diff, q, cnt;
            dec_init(&diff);
            dec_init(&q);
            dec_init(&cnt);
            rc = dec_addsub(&diff, &a.x, s->big, 1) || bn_set_i64(&cnt.u, s->count) ||
                 dec_div_scale(&q, &diff, &cnt, diff.s, RM_HALF_EVEN) ||
                 dec_addsub(s->big, s->big, &q, 0);
            dec_free(&diff);
            dec_free(&q);
            dec_free(&cnt);
        }
        break;
    default: break;
    }
    jn_free(&a);
    return rc ? func_fail(err, errsz, "Out of memory") : 0;
}

int func_numagg_result(void *st, buf *out, char *err, size_t errsz)
{
    struct numagg *s = st;
    enum type_kind k = (enum type_kind)s->k;
    switch (k) {
    case TYPE_TINYINT:
    case TYPE_SMALLINT:
    case TYPE_INT:
    case TYPE_BIGINT:
    case TYPE_COUNTER: {
        int64_t v;
        if (s->fa == FA_SUM)
            v = s->lsum;
        else if (s->overflow) {
            struct bn q, c;
            bn_init(&q);
            bn_init(&c);
            if (bn_set_i64(&c, s->count) || bn_divmod(&q, NULL, &s->big->u, &c)) {
                bn_free(&q);
                bn_free(&c);
                return func_fail(err, errsz, "Out of memory");
            }
            v = bn_low64(&q);
            bn_free(&q);
            bn_free(&c);
        } else
            v = s->count ? s->lsum / s->count : 0;
        put_int_kind(k, v, out);
        break;
    }
    case TYPE_FLOAT:
    case TYPE_DOUBLE: {
        double v;
        if (s->fa == FA_AVG && s->count == 0)
            v = 0;
        else if (s->fa == FA_AVG && s->overflow)
            v = (double)(s->bigd / s->count);
        else {
            v = s->sum + s->comp;
            if (isnan(v) && isinf(s->simple)) v = s->simple;
            if (s->fa == FA_AVG) v /= (double)s->count;
        }
        if (k == TYPE_FLOAT)
            put_float(out, (float)v);
        else
            put_double(out, v);
        break;
    }
    case TYPE_VARINT: {
        struct bn z;
        bn_init(&z);
        if (!s->big || (s->fa == FA_AVG && s->count == 0)) {
            bn_to_bytes(&z, out);
        } else if (s->fa == FA_SUM) {
            bn_to_bytes(&s->big->u, out);
        } else {
            struct bn c;
            bn_init(&c);
            if (bn_set_i64(&c, s->count) || bn_divmod(&z, NULL, &s->big->u, &c)) {
                bn_free(&c);
                bn_free(&z);
                return func_fail(err, errsz, "Out of memory");
            }
            bn_free(&c);
            bn_to_bytes(&z, out);
        }
        bn_free(&z);
        break;
    }
    case TYPE_DECIMAL:
        if (!s->big) {
            struct dec z;
            dec_init(&z);
            dec_to_bytes(&z, out);
        } else
            dec_to_bytes(s->big, out);
        break;
    default: return func_fail(err, errsz, "Not a number");
    }
    return buf_ok(out) ? 0 : func_fail(err, errsz, "Out of memory");
}

/* ------------------------------------------------------------------ */
/* text forms for CAST(x AS text)                                      */

int func_to_text(enum type_kind k, struct type_val v, buf *out)
{
    switch (k) {
    case TYPE_FLOAT:
    case TYPE_DOUBLE: {
        struct jnum a;
        if (jn_load(&a, k, v, NULL, 0)) return -1;
        if (k == TYPE_FLOAT)
            func_java_float((float)a.d, out);
        else
            func_java_double(a.d, out);
        return buf_ok(out) ? 0 : -1;
    }
    default: break;
    }
    return -2; /* not a number kind handled here */
}
