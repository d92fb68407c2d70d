/*
 * func_time -- TimeFcts (now/current_*, to_date, to_timestamp,
 * to_unix_timestamp, min/max_timeuuid, floor) and timestamp/date +/-
 * duration (TemporalType.addDuration / substractDuration).
 *
 * Calendar arithmetic is proleptic Gregorian in UTC; Cassandra's
 * java.util.Calendar switches to the Julian calendar before 1582-10-15,
 * so month arithmetic on such old dates differs (days/milliseconds do not).
 */
#include "cql/func_int.h"
#include "util/uuid.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define MS_PER_DAY    INT64_C(86400000)
#define NANOS_PER_DAY INT64_C(86400000000000)

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

int64_t func_time_ms(enum type_kind k, const uint8_t *p)
{
    switch (k) {
    case TYPE_TIMEUUID: {
        uuid u;
        memcpy(u.b, p, 16);
        return uuid_timestamp_ms(&u);
    }
    case TYPE_DATE: return (int64_t)(int32_t)(be32(p) - UINT32_C(0x80000000)) * MS_PER_DAY;
    default: return (int64_t)be64(p);
    }
}

static void civil_str(int64_t days, char *s, size_t n)
{
    int64_t y;
    int m, d;
    val_civil_from_days(days, &y, &m, &d);
    snprintf(s, n, "%04" PRId64 "-%02d-%02d", y, m, d);
}

int func_date_from_ms(int64_t ms, uint32_t *raw, char *err, size_t errsz)
{
    int64_t days = floor_div(ms, MS_PER_DAY);
    char s[48];
    if (days > INT32_MAX || days < INT32_MIN) {
        civil_str(days, s, sizeof(s));
        return func_fail(err, errsz,
                         days > 0 ? "Input date %s is greater than max supported date 5881580-07-11"
                                  : "Input date %s is less than min supported date -5877641-06-23",
                         s);
    }
    *raw = (uint32_t)(days + INT64_C(2147483648));
    return 0;
}

/* ---- durations ---- */

struct dur {
    int64_t months, days, nanos;
};

static int dur_decode(const uint8_t *p, int32_t len, struct dur *d)
{
    uint64_t u[3];
    size_t off = 0;
    for (int i = 0; i < 3; i++) {
        if (off >= (size_t)len) return -1;
        int k = val_get_uvint(p + off, (size_t)len - off, &u[i]);
        if (k < 0) return -1;
        off += (size_t)k;
    }
    d->months = val_unzigzag(u[0]);
    d->days = val_unzigzag(u[1]);
    d->nanos = val_unzigzag(u[2]);
    return 0;
}

void func_duration_str(const uint8_t *p, int32_t len, buf *b)
{
    struct dur d;
    if (dur_decode(p, len, &d)) return;
    char tmp[48];
    if (d.months < 0 || d.days < 0 || d.nanos < 0) buf_put_u8(b, '-');
    uint64_t am = (uint64_t)(d.months < 0 ? -d.months : d.months);
    uint64_t ad = (uint64_t)(d.days < 0 ? -d.days : d.days);
    uint64_t an = d.nanos < 0 ? (uint64_t)0 - (uint64_t)d.nanos : (uint64_t)d.nanos;
    static const struct {
        uint64_t div;
        const char *unit;
    } units[] = {{UINT64_C(3600000000000), "h"},
                 {UINT64_C(60000000000), "m"},
                 {1000000000, "s"},
                 {1000000, "ms"},
                 {1000, "us"},
                 {1, "ns"}};
    if (am >= 12) {
        snprintf(tmp, sizeof(tmp), "%" PRIu64 "y", am / 12);
        buf_put(b, tmp, strlen(tmp));
    }
    if (am % 12) {
        snprintf(tmp, sizeof(tmp), "%" PRIu64 "mo", am % 12);
        buf_put(b, tmp, strlen(tmp));
    }
    if (ad) {
        snprintf(tmp, sizeof(tmp), "%" PRIu64 "d", ad);
        buf_put(b, tmp, strlen(tmp));
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && an; i++) {
        if (an >= units[i].div) {
            snprintf(tmp, sizeof(tmp), "%" PRIu64 "%s", an / units[i].div, units[i].unit);
            buf_put(b, tmp, strlen(tmp));
            an %= units[i].div;
        }
    }
}

static int dur_fail(char *err, size_t errsz, const char *fmt, const uint8_t *p, int32_t len)
{
    buf b;
    buf_init(&b);
    func_duration_str(p, len, &b);
    buf_put_u8(&b, 0);
    func_fail(err, errsz, fmt, buf_ok(&b) ? (const char *)b.data : "");
    buf_free(&b);
    return -1;
}

/* Calendar.add(MONTH, months) on a UTC millisecond instant: the day of the
 * month is clamped to the length of the target month. */
static int64_t add_months(int64_t ms, int64_t months)
{
    if (months == 0) return ms;
    int64_t days = floor_div(ms, MS_PER_DAY), tod = ms - days * MS_PER_DAY;
    int64_t y;
    int m, d;
    val_civil_from_days(days, &y, &m, &d);
    int64_t mi = y * 12 + (m - 1) + months;
    int64_t ny = floor_div(mi, 12);
    int nm = (int)(mi - ny * 12) + 1;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int maxd = mdays[nm - 1];
    if (nm == 2 && ((ny % 4 == 0 && ny % 100 != 0) || ny % 400 == 0)) maxd = 29;
    if (d > maxd) d = maxd;
    return val_days_from_civil(ny, nm, d) * MS_PER_DAY + tod;
}

/* Duration.addTo / substractFrom */
static int64_t dur_add(int64_t ms, const struct dur *d, int sign)
{
    int64_t months = sign * d->months, days = sign * d->days, nanos = sign * d->nanos;
    if (months == 0) return ms + days * MS_PER_DAY + nanos / 1000000;
    ms = add_months(ms, months);
    ms += days * MS_PER_DAY;
    ms += (int32_t)(nanos / 1000000);
    return ms;
}

static void ym_of(int64_t ms, int64_t *y, int *m)
{
    int d;
    val_civil_from_days(floor_div(ms, MS_PER_DAY), y, m, &d);
}

/* Duration.floorTimestamp */
static int floor_ts(int64_t t, const struct dur *d, int64_t start, int64_t *res, char *err,
                    size_t errsz)
{
    if (start > t)
        return func_fail(err, errsz,
                         "The floor function starting time is greater than the provided time");
    if (d->months < 0 || d->days < 0 || d->nanos < 0)
        return func_fail(err, errsz, "Negative durations are not supported by the floor function");
    if (d->months == 0) {
        int64_t dm = d->days * MS_PER_DAY + d->nanos / 1000000;
        if (dm == 0) {
            *res = t;
            return 0;
        }
        *res = t - (t - start) % dm;
        return 0;
    }
    int64_t y, sy;
    int m, sm;
    ym_of(t, &y, &m);
    ym_of(start, &sy, &sm);
    int64_t in_months = (y - sy) * 12 + (m - sm);
    int64_t mult = in_months / d->months;
    int64_t cal = add_months(start, mult * d->months);
    if (d->days == 0 && d->nanos == 0) {
        *res = cal;
        return 0;
    }
    int64_t dm = d->days * MS_PER_DAY + d->nanos / 1000000;
    int64_t fl = cal + mult * dm;
    while (fl > t) {
        mult--;
        cal = add_months(cal, -d->months);
        fl = cal + mult * dm;
    }
    *res = fl > start ? fl : start;
    return 0;
}

static int put_date_ms(int64_t ms, buf *out, char *err, size_t errsz)
{
    uint32_t raw = 0;
    if (func_date_from_ms(ms, &raw, err, errsz)) return -1;
    buf_put_be32(out, raw);
    return 0;
}

int func_temporal_op(enum type_kind k, int op, struct type_val t, struct type_val dv, buf *out,
                     char *err, size_t errsz)
{
    struct dur d;
    if (dur_decode(dv.p, dv.len, &d)) return func_fail(err, errsz, "Invalid duration value");
    int sign = op == FOP_ADD ? 1 : -1;
    if (k == TYPE_DATE) {
        if (d.nanos != 0)
            return dur_fail(err, errsz, "The duration must have a day precision. Was: %s", dv.p,
                            dv.len);
        return put_date_ms(dur_add(func_time_ms(k, t.p), &d, sign), out, err, errsz);
    }
    buf_put_be64(out, (uint64_t)dur_add(func_time_ms(k, t.p), &d, sign));
    return 0;
}

static int call_floor(const struct cql_func *f, const struct type_val *args, buf *out, char *err,
                      size_t errsz)
{
    struct dur d;
    enum type_kind k = f->arg[0];
    if (dur_decode(args[1].p, args[1].len, &d))
        return func_fail(err, errsz, "Invalid duration value");
    if (f->impl == FI_FLOOR_TIME) {
        if (d.months < 0 || d.days < 0 || d.nanos < 0)
            return func_fail(err, errsz,
                             "Negative durations are not supported by the floor function");
        if (d.months != 0 || d.days != 0 || d.nanos > NANOS_PER_DAY)
            return func_fail(err, errsz,
                             "For time values, the floor can only be computed for durations "
                             "smaller that a day");
        int64_t t = (int64_t)be64(args[0].p);
        buf_put_be64(out, (uint64_t)(d.nanos == 0 ? t : t - t % d.nanos));
        return 0;
    }
    if (k == TYPE_DATE) {
        if (d.nanos != 0)
            return dur_fail(err, errsz,
                            "The floor on date values cannot be computed for the %s duration as "
                            "precision is below 1 day",
                            args[1].p, args[1].len);
    } else if (d.nanos % 1000000 != 0) {
        return dur_fail(err, errsz,
                        "The floor cannot be computed for the %s duration as precision is below 1 "
                        "millisecond",
                        args[1].p, args[1].len);
    }
    int64_t t = func_time_ms(k, args[0].p);
    int64_t start = f->n == 3 ? func_time_ms(f->arg[2], args[2].p) : 0;
    int64_t r = 0;
    if (floor_ts(t, &d, start, &r, err, errsz)) return -1;
    if (f->ret == TYPE_DATE) return put_date_ms(r, out, err, errsz);
    buf_put_be64(out, (uint64_t)r);
    return 0;
}

int func_call_time(const struct cql_func *f, int64_t now_ms, const struct type_val *args, buf *out,
                   char *err, size_t errsz)
{
    switch (f->impl) {
    case FI_NOW:
        switch (f->ret) {
        case TYPE_TIMEUUID: {
            uuid u;
            uuid_v1(&u);
            buf_put(out, u.b, 16);
            return 0;
        }
        case TYPE_TIMESTAMP: buf_put_be64(out, (uint64_t)now_ms); return 0;
        case TYPE_DATE: return put_date_ms(now_ms, out, err, errsz);
        default: /* time: nanoseconds of the UTC day */
            buf_put_be64(
                out, (uint64_t)((now_ms - floor_div(now_ms, MS_PER_DAY) * MS_PER_DAY) * 1000000));
            return 0;
        }
    case FI_UUID: {
        uuid u;
        if (uuid_v4(&u)) return func_fail(err, errsz, "Unable to generate a random uuid");
        buf_put(out, u.b, 16);
        return 0;
    }
    case FI_MIN_TU:
    case FI_MAX_TU: {
        uuid u;
        int64_t ms = (int64_t)be64(args[0].p);
        if (f->impl == FI_MIN_TU)
            uuid_min_timeuuid(&u, ms);
        else
            uuid_max_timeuuid(&u, ms);
        buf_put(out, u.b, 16);
        return 0;
    }
    case FI_TO_DATE: return put_date_ms(func_time_ms(f->arg[0], args[0].p), out, err, errsz);
    case FI_TO_TS:
    case FI_TO_UNIX: buf_put_be64(out, (uint64_t)func_time_ms(f->arg[0], args[0].p)); return 0;
    case FI_FLOOR:
    case FI_FLOOR_TIME: return call_floor(f, args, out, err, errsz);
    default: return func_fail(err, errsz, "Not a time function");
    }
}
