/*
 * display -- values and result sets printed exactly as cqlsh prints them
 * (pylib/cqlshlib/formatting.py, cqlshmain.py print_result & co.):
 *
 *   - text/ascii: as is at top level, '...' with '' doubled inside
 *     collections; backslashes doubled and control characters
 *     (U+0000..U+001F, U+007F..U+00A0) shown as Python escapes (\n, \x07);
 *   - timestamps '%Y-%m-%d %H:%M:%S.%f%z' in UTC (microseconds, +0000),
 *     the integer milliseconds outside years 1..9999; quoted in collections;
 *   - dates YYYY-MM-DD (days since epoch outside years 1..9999), times
 *     HH:MM:SS.nnnnnnnnn, never quoted; inet quoted in collections;
 *   - float/double: cqlsh's format_floating_point_type with precision 5;
 *     decimal as Python's str(Decimal); booleans True/False; blobs 0x..;
 *     durations as duration_as_str (1y2mo3d4h5m6s7ms8us9ns);
 *   - null as null; an empty value of a non-string type as nothing;
 *   - tables: a blank line, header names left-justified (line rstripped),
 *     a '-+-' separator, every value right-justified, '(N rows)';
 *     EXPAND: '@ Row N' blocks; PAGING: '---MORE---' between pages when
 *     interactive, header repeated per page.
 */
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <math.h>
#include <float.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <editline/readline.h>

#include "ringsh.h"
#include "transport/wire.h"
#include "util/mem.h"
#include "util/uuid.h"

void disp_init(void)
{
    if (!setlocale(LC_CTYPE, "C.UTF-8")) setlocale(LC_CTYPE, "");
}

int disp_width(const char *s, size_t n)
{
    mbstate_t st;
    memset(&st, 0, sizeof(st));
    int w = 0;
    size_t i = 0;
    while (i < n) {
        wchar_t wc;
        size_t k = mbrtowc(&wc, s + i, n - i, &st);
        if (k == (size_t)-1 || k == (size_t)-2) {
            memset(&st, 0, sizeof(st));
            w++;
            i++;
            continue;
        }
        if (k == 0) k = 1;
        int cw = wcwidth(wc);
        w += cw < 0 ? 1 : cw;
        i += k;
    }
    return w;
}

/* ---- scalar formatting ------------------------------------------------- */

static void put_str(buf *out, const char *s)
{
    buf_put(out, s, strlen(s));
}

static void putf(buf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(buf *out, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0) buf_put(out, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* Python's repr escape of one control code point. */
static void put_ctrl(buf *out, uint32_t cp)
{
    switch (cp) {
    case '\n': put_str(out, "\\n"); break;
    case '\r': put_str(out, "\\r"); break;
    case '\t': put_str(out, "\\t"); break;
    default: putf(out, "\\x%02x", cp); break;
    }
}

static void fmt_text(const uint8_t *p, int32_t len, int quote, buf *out)
{
    if (quote) buf_put_u8(out, '\'');
    int32_t i = 0;
    while (i < len) {
        uint8_t c = p[i];
        if (c == '\\') {
            put_str(out, "\\\\");
            i++;
        } else if (c == '\'' && quote) {
            put_str(out, "''");
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            put_ctrl(out, c);
            i++;
        } else if (c == 0xC2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0xA0) {
            put_ctrl(out, p[i + 1]); /* U+0080..U+00A0 */
            i += 2;
        } else {
            buf_put_u8(out, c);
            i++;
        }
    }
    if (quote) buf_put_u8(out, '\'');
}

static void fmt_hex(const uint8_t *p, int32_t len, buf *out)
{
    static const char hx[] = "0123456789abcdef";
    put_str(out, "0x");
    for (int32_t i = 0; i < len; i++) {
        buf_put_u8(out, (uint8_t)hx[p[i] >> 4]);
        buf_put_u8(out, (uint8_t)hx[p[i] & 15]);
    }
}

/* cqlsh format_floating_point_type. */
static void fmt_floating(double v, int prec, buf *out)
{
    if (isnan(v)) {
        put_str(out, "NaN");
        return;
    }
    if (isinf(v)) {
        put_str(out, v > 0 ? "Infinity" : "-Infinity");
        return;
    }
    if (fabs(v) > DBL_EPSILON) {
        int exponent = (int)log10(fabs(v));
        if (-4 <= exponent && exponent < prec) prec = prec + exponent + 1;
    }
    putf(out, "%.*g", prec, v);
}

/* Python's str(Decimal) of unscaled * 10^-scale. */
static void fmt_decimal(const uint8_t *p, int32_t len, buf *out)
{
    if (len < 5) {
        fmt_hex(p, len, out);
        return;
    }
    int32_t scale = (int32_t)be32(p);
    buf digits;
    buf_init(&digits);
    val_varint_to_dec(p + 4, (size_t)len - 4, &digits);
    const char *d = (const char *)digits.data;
    size_t nd = digits.len;
    int neg = nd > 0 && d[0] == '-';
    if (neg) {
        d++;
        nd--;
    }
    int64_t exp = -(int64_t)scale;
    int64_t leftdigits = exp + (int64_t)nd;
    int64_t dotplace = (exp <= 0 && leftdigits > -6) ? leftdigits : 1;
    if (neg) buf_put_u8(out, '-');
    if (dotplace <= 0) {
        put_str(out, "0.");
        for (int64_t i = 0; i < -dotplace; i++)
            buf_put_u8(out, '0');
        buf_put(out, d, nd);
    } else if (dotplace >= (int64_t)nd) {
        buf_put(out, d, nd);
        for (int64_t i = (int64_t)nd; i < dotplace; i++)
            buf_put_u8(out, '0');
    } else {
        buf_put(out, d, (size_t)dotplace);
        buf_put_u8(out, '.');
        buf_put(out, d + dotplace, nd - (size_t)dotplace);
    }
    if (leftdigits != dotplace) putf(out, "E%+lld", (long long)(leftdigits - dotplace));
    buf_free(&digits);
}

static int64_t floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

static void fmt_timestamp(int64_t ms, int quote, int millis, buf *out)
{
    int64_t days = floordiv(ms, 86400000);
    int64_t rem = ms - days * 86400000;
    int64_t y;
    int mo, d;
    val_civil_from_days(days, &y, &mo, &d);
    if (y < 1 || y > 9999) {
        if (quote) buf_put_u8(out, '\'');
        putf(out, "%lld", (long long)ms);
        if (quote) buf_put_u8(out, '\'');
        return;
    }
    int h = (int)(rem / 3600000), mi = (int)(rem / 60000 % 60), s = (int)(rem / 1000 % 60);
    int frac = (int)(rem % 1000) * (millis ? 1 : 1000);
    putf(out, "%s%04d-%02d-%02d %02d:%02d:%02d.%0*d+0000%s", quote ? "'" : "", (int)y, mo, d, h, mi,
         s, millis ? 3 : 6, frac, quote ? "'" : "");
}

/* cqlsh duration_as_str */
static uint64_t dur_append(buf *out, uint64_t dividend, uint64_t divisor, const char *unit)
{
    if (dividend == 0 || dividend < divisor) return dividend;
    putf(out, "%llu%s", (unsigned long long)(dividend / divisor), unit);
    return dividend % divisor;
}

static void fmt_duration(const uint8_t *p, int32_t len, buf *out)
{
    uint64_t u[3];
    size_t pos = 0;
    for (int i = 0; i < 3; i++) {
        int k = val_get_uvint(p + pos, (size_t)len - pos, &u[i]);
        if (k < 0) {
            fmt_hex(p, len, out);
            return;
        }
        pos += (size_t)k;
    }
    int64_t months = val_unzigzag(u[0]), days = val_unzigzag(u[1]), nanos = val_unzigzag(u[2]);
    if (months < 0 || days < 0 || nanos < 0) buf_put_u8(out, '-');
    uint64_t am = (uint64_t)llabs(months), ad = (uint64_t)llabs(days);
    uint64_t an = nanos < 0 ? (uint64_t)0 - (uint64_t)nanos : (uint64_t)nanos;
    uint64_t r = dur_append(out, am, 12, "y");
    dur_append(out, r, 1, "mo");
    dur_append(out, ad, 1, "d");
    if (an != 0) {
        r = dur_append(out, an, UINT64_C(3600000000000), "h");
        r = dur_append(out, r, UINT64_C(60000000000), "m");
        r = dur_append(out, r, UINT64_C(1000000000), "s");
        r = dur_append(out, r, UINT64_C(1000000), "ms");
        r = dur_append(out, r, UINT64_C(1000), "us");
        dur_append(out, r, 1, "ns");
    }
}

static int64_t be_signed(const uint8_t *p, int32_t n)
{
    uint64_t v = (p[0] & 0x80) ? ~UINT64_C(0) : 0;
    for (int32_t i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return (int64_t)v;
}

/* cqlsh prints sets and maps in Python's order of the decoded values
 * (sorted()); it differs from Cassandra's for inet (Python sorts the
 * text) and uuid/timeuuid (Python compares the 128-bit integer). */
static int needs_python_order(const struct type *kt)
{
    return kt->kind == TYPE_INET || kt->kind == TYPE_UUID || kt->kind == TYPE_TIMEUUID;
}

struct sorted_ent {
    buf key_text; /* sort key */
    buf text;     /* formatted entry */
};

static int cmp_sorted(const void *a, const void *b)
{
    const struct sorted_ent *x = a, *y = b;
    size_t n = x->key_text.len < y->key_text.len ? x->key_text.len : y->key_text.len;
    int c = n ? memcmp(x->key_text.data, y->key_text.data, n) : 0;
    if (c) return c;
    return x->key_text.len < y->key_text.len ? -1 : x->key_text.len > y->key_text.len;
}

static void fmt_sorted(const struct shell *sh, const struct type *t, struct type_iter *it, buf *out)
{
    int per = t->kind == TYPE_MAP ? 2 : 1;
    int cap = 8, n = 0;
    struct sorted_ent *e = mem_calloc((size_t)cap, sizeof(*e));
    struct type_val v;
    int i = 0;
    while (e && type_iter_next(it, &v) == 1) {
        if (i % per == 0) {
            if (n == cap) {
                cap *= 2;
                e = mem_realloc(e, sizeof(*e) * (size_t)cap);
            }
            buf_init(&e[n].key_text);
            buf_init(&e[n].text);
            n++;
            const struct type *kt = t->params[0];
            if (kt->kind == TYPE_INET && v.len >= 0)
                disp_value(sh, kt, v.p, v.len, 0, &e[n - 1].key_text);
            else if (v.len > 0)
                buf_put(&e[n - 1].key_text, v.p, (size_t)v.len);
        } else {
            buf_put(&e[n - 1].text, ": ", 2);
        }
        const struct type *et = type_elem_type(t, i);
        if (v.len < 0 || !et)
            put_str(&e[n - 1].text, "null");
        else
            disp_value(sh, et, v.p, v.len, 1, &e[n - 1].text);
        i++;
    }
    if (!e) return;
    qsort(e, (size_t)n, sizeof(*e), cmp_sorted);
    for (int k = 0; k < n; k++) {
        if (k) put_str(out, ", ");
        buf_put(out, e[k].text.data, e[k].text.len);
        buf_free(&e[k].text);
        buf_free(&e[k].key_text);
    }
    mem_free(e);
}

static void fmt_collection(const struct shell *sh, const struct type *t, const uint8_t *p,
                           int32_t len, buf *out)
{
    struct type_iter it;
    if (type_iter_init(&it, t, p, len) < 0) {
        fmt_hex(p, len, out);
        return;
    }
    const char *open = "[", *close = "]";
    int kv = 0;
    if (t->kind == TYPE_SET) {
        open = "{";
        close = "}";
    } else if (t->kind == TYPE_MAP || t->kind == TYPE_UDT) {
        open = "{";
        close = "}";
        kv = 1;
    } else if (t->kind == TYPE_TUPLE) {
        open = "(";
        close = ")";
    }
    put_str(out, open);
    struct type_val v;
    int i = 0, r;
    if ((t->kind == TYPE_SET || t->kind == TYPE_MAP) && needs_python_order(t->params[0])) {
        fmt_sorted(sh, t, &it, out);
        put_str(out, close);
        return;
    }
    while ((r = type_iter_next(&it, &v)) == 1) {
        if (t->kind == TYPE_MAP) {
            if (i > 0) put_str(out, (i % 2) ? ": " : ", ");
        } else if (t->kind == TYPE_UDT) {
            if (i > 0) put_str(out, ", ");
            const char *fname = t->field_names && i < t->n_params ? t->field_names[i] : "?";
            fmt_text((const uint8_t *)fname, (int32_t)strlen(fname), 0, out);
            put_str(out, ": ");
        } else if (i > 0) {
            put_str(out, ", ");
        }
        const struct type *et = type_elem_type(t, i);
        if (v.len < 0 || !et)
            put_str(out, "null");
        else
            disp_value(sh, et, v.p, v.len, 1, out);
        i++;
    }
    /* UDT fields missing from a shorter value are null */
    if (t->kind == TYPE_UDT && r == 0) {
        for (; i < t->n_params; i++) {
            if (i > 0) put_str(out, ", ");
            fmt_text((const uint8_t *)t->field_names[i], (int32_t)strlen(t->field_names[i]), 0,
                     out);
            put_str(out, ": null");
        }
    }
    (void)kv;
    put_str(out, close);
}

void disp_value(const struct shell *sh, const struct type *t, const uint8_t *p, int32_t len,
                int quote, buf *out)
{
    if (len < 0) {
        put_str(out, "null");
        return;
    }
    if (len == 0 && t->kind != TYPE_ASCII && t->kind != TYPE_VARCHAR && t->kind != TYPE_BLOB)
        return; /* EMPTY */
    switch (t->kind) {
    case TYPE_ASCII:
    case TYPE_VARCHAR: fmt_text(p, len, quote, out); break;
    case TYPE_BLOB:
    case TYPE_CUSTOM: fmt_hex(p, len, out); break;
    case TYPE_BOOLEAN: put_str(out, p[0] ? "True" : "False"); break;
    case TYPE_BIGINT:
    case TYPE_COUNTER:
    case TYPE_INT:
    case TYPE_SMALLINT:
    case TYPE_TINYINT:
        if (len > 8) {
            fmt_hex(p, len, out);
            break;
        }
        putf(out, "%lld", (long long)be_signed(p, len));
        break;
    case TYPE_VARINT: val_varint_to_dec(p, (size_t)len, out); break;
    case TYPE_DECIMAL: fmt_decimal(p, len, out); break;
    case TYPE_FLOAT: {
        if (len != 4) {
            fmt_hex(p, len, out);
            break;
        }
        uint32_t u = be32(p);
        float f;
        memcpy(&f, &u, 4);
        fmt_floating((double)f, sh ? sh->float_precision : 5, out);
        break;
    }
    case TYPE_DOUBLE: {
        if (len != 8) {
            fmt_hex(p, len, out);
            break;
        }
        uint64_t u = be64(p);
        double d;
        memcpy(&d, &u, 8);
        fmt_floating(d, sh ? sh->double_precision : 5, out);
        break;
    }
    case TYPE_TIMESTAMP:
        if (len != 8) {
            fmt_hex(p, len, out);
            break;
        }
        fmt_timestamp((int64_t)be64(p), quote, sh ? sh->ts_millis : 0, out);
        break;
    case TYPE_DATE: {
        if (len != 4) {
            fmt_hex(p, len, out);
            break;
        }
        int64_t days = (int64_t)be32(p) - (INT64_C(1) << 31);
        int64_t y;
        int m, d;
        val_civil_from_days(days, &y, &m, &d);
        if (y < 1 || y > 9999)
            putf(out, "%lld", (long long)days);
        else
            putf(out, "%04d-%02d-%02d", (int)y, m, d);
        break;
    }
    case TYPE_TIME: {
        if (len != 8) {
            fmt_hex(p, len, out);
            break;
        }
        int64_t ns = (int64_t)be64(p);
        putf(out, "%02lld:%02lld:%02lld.%09lld", (long long)(ns / 3600000000000LL),
             (long long)(ns / 60000000000LL % 60), (long long)(ns / 1000000000LL % 60),
             (long long)(ns % 1000000000LL));
        break;
    }
    case TYPE_UUID:
    case TYPE_TIMEUUID: {
        if (len != 16) {
            fmt_hex(p, len, out);
            break;
        }
        uuid u;
        memcpy(u.b, p, 16);
        char s[UUID_STR_LEN + 1];
        uuid_format(&u, s);
        put_str(out, s);
        break;
    }
    case TYPE_INET: {
        char s[64];
        if ((len != 4 && len != 16) || !inet_ntop(len == 4 ? AF_INET : AF_INET6, p, s, sizeof(s))) {
            fmt_hex(p, len, out);
            break;
        }
        if (quote) buf_put_u8(out, '\'');
        put_str(out, s);
        if (quote) buf_put_u8(out, '\'');
        break;
    }
    case TYPE_DURATION: fmt_duration(p, len, out); break;
    case TYPE_LIST:
    case TYPE_SET:
    case TYPE_MAP:
    case TYPE_TUPLE:
    case TYPE_UDT:
    case TYPE_VECTOR: fmt_collection(sh, t, p, len, out); break;
    default: fmt_hex(p, len, out); break;
    }
}

/* ---- tables ------------------------------------------------------------- */

struct cell {
    char *s;
    int w;
};

static struct cell make_cell(buf *b)
{
    struct cell c;
    c.s = mem_strndup(b->len ? (const char *)b->data : "", b->len);
    c.w = disp_width(c.s ? c.s : "", b->len);
    return c;
}

static void pad(int n)
{
    for (int i = 0; i < n; i++)
        fputc(' ', stdout);
}

static void dashes(int n)
{
    for (int i = 0; i < n; i++)
        fputc('-', stdout);
}

static void print_header(struct cell *names, int *widths, int n)
{
    /* ' ' + ' | '.join(ljust) rstripped */
    buf line;
    buf_init(&line);
    buf_put_u8(&line, ' ');
    for (int j = 0; j < n; j++) {
        if (j) buf_put(&line, " | ", 3);
        buf_put(&line, names[j].s, strlen(names[j].s));
        for (int k = names[j].w; k < widths[j]; k++)
            buf_put_u8(&line, ' ');
    }
    while (line.len > 0 && line.data[line.len - 1] == ' ')
        line.len--;
    fwrite(line.data, 1, line.len, stdout);
    fputc('\n', stdout);
    buf_free(&line);
    fputc('-', stdout);
    for (int j = 0; j < n; j++) {
        if (j) fputs("-+-", stdout);
        dashes(widths[j]);
    }
    fputs("-\n", stdout);
}

/* print_static_result for one page. */
static void print_page(struct shell *sh, const cqlc_result *r, int with_header, int row_offset)
{
    int n = r->n_cols;
    if (n == 0) return;
    struct cell *names = mem_calloc((size_t)n, sizeof(*names));
    int *widths = mem_calloc((size_t)n, sizeof(int));
    buf b;
    buf_init(&b);
    for (int j = 0; j < n; j++) {
        buf_clear(&b);
        const char *nm = r->cols[j].name;
        fmt_text((const uint8_t *)nm, (int32_t)strlen(nm), 0, &b);
        names[j] = make_cell(&b);
        widths[j] = names[j].w;
    }
    if (r->n_rows == 0) {
        print_header(names, widths, n);
        fputc('\n', stdout);
        goto done;
    }
    size_t nc = (size_t)r->n_rows * (size_t)n;
    struct cell *cells = mem_calloc(nc, sizeof(*cells));
    for (int32_t i = 0; i < r->n_rows; i++) {
        for (int j = 0; j < n; j++) {
            buf_clear(&b);
            const struct type_val *v = cqlc_cell(r, i, j);
            disp_value(sh, r->cols[j].type, v->p, v->len, 0, &b);
            struct cell c = make_cell(&b);
            cells[(size_t)i * n + j] = c;
            if (c.w > widths[j]) widths[j] = c.w;
        }
    }
    if (sh->expand) {
        int maxc = 0, maxv = 0;
        for (int j = 0; j < n; j++)
            if (names[j].w > maxc) maxc = names[j].w;
        for (size_t k = 0; k < nc; k++)
            if (cells[k].w > maxv) maxv = cells[k].w;
        for (int32_t i = 0; i < r->n_rows; i++) {
            printf("@ Row %d\n", row_offset + i + 1);
            fputc('-', stdout);
            dashes(maxc);
            fputs("-+-", stdout);
            dashes(maxv);
            fputs("-\n", stdout);
            for (int j = 0; j < n; j++) {
                struct cell *c = &cells[(size_t)i * n + j];
                printf(" %s", names[j].s);
                pad(maxc - names[j].w);
                printf(" | %s\n", c->s);
            }
            fputc('\n', stdout);
        }
    } else {
        if (with_header) print_header(names, widths, n);
        for (int32_t i = 0; i < r->n_rows; i++) {
            fputc(' ', stdout);
            for (int j = 0; j < n; j++) {
                struct cell *c = &cells[(size_t)i * n + j];
                if (j) fputs(" | ", stdout);
                pad(widths[j] - c->w);
                fputs(c->s, stdout);
            }
            fputc('\n', stdout);
        }
        if (sh->tty) fputc('\n', stdout);
    }
    for (size_t k = 0; k < nc; k++)
        mem_free(cells[k].s);
    mem_free(cells);
done:
    for (int j = 0; j < n; j++)
        mem_free(names[j].s);
    mem_free(names);
    mem_free(widths);
    buf_free(&b);
}

static void print_warnings(const cqlc_result *r)
{
    if (r->n_warnings == 0) return;
    printf("\nWarnings :\n");
    for (int i = 0; i < r->n_warnings; i++)
        printf("%s\n\n", r->warnings[i]);
}

int disp_run_statement(struct shell *sh, const char *cql, int is_select)
{
    cqlc_qopts o;
    cqlc_qopts_init(&o);
    o.consistency = sh->consistency;
    o.serial_consistency = sh->serial_consistency;
    if (sh->use_paging) o.page_size = sh->page_size;
    cqlc_result r;
    cqlc_result_init(&r);
    int ok = 1;
    int rc = cqlc_query(sh->conn, cql, &o, &r);
    if (rc != CQLC_OK) {
        sh_print_request_error(sh, rc, &r);
        ok = 0;
        goto out;
    }
    if (r.kind == CQLC_RES_SET_KEYSPACE) {
        snprintf(sh->keyspace, sizeof(sh->keyspace), "%s", r.keyspace);
    } else if (r.kind == CQLC_RES_ROWS && is_select) {
        fputc('\n', stdout);
        int num_rows = 0, first = 1;
        buf ps;
        buf_init(&ps);
        for (;;) {
            if (r.n_rows > 0 || first) {
                print_page(sh, &r, first || sh->tty, num_rows);
                num_rows += r.n_rows;
            }
            if (r.has_more_pages) {
                if (sh->tty) {
                    fflush(stdout);
                    char *line = readline("---MORE---");
                    if (!line) {
                        fputc('\n', stdout);
                        break;
                    }
                    free(line);
                }
                buf_clear(&ps);
                buf_put(&ps, r.paging_state, (size_t)r.n_paging_state);
                o.paging_state = ps.data;
                o.n_paging_state = (int32_t)ps.len;
                rc = cqlc_query(sh->conn, cql, &o, &r);
                if (rc != CQLC_OK) {
                    sh_print_request_error(sh, rc, &r);
                    ok = 0;
                    break;
                }
            } else {
                if (!sh->tty) fputc('\n', stdout);
                break;
            }
            first = 0;
        }
        buf_free(&ps);
        printf("(%d rows)\n", num_rows);
    } else if (r.kind == CQLC_RES_ROWS && (r.n_rows > 0)) {
        fputc('\n', stdout);
        print_page(sh, &r, 1, 0);
    }
    if (ok) print_warnings(&r);
out:
    fflush(stdout);
    cqlc_result_free(&r);
    return ok;
}

/* Python's cmd.Cmd.columnize (displaywidth = width). */
void disp_columnize(char **list, int size, int width)
{
    if (size == 0) {
        printf("<empty>\n");
        return;
    }
    if (size == 1) {
        printf("%s\n", list[0]);
        return;
    }
    int nrows = 0, ncols = 0;
    int *colwidths = mem_calloc((size_t)size, sizeof(int));
    int found = 0;
    for (nrows = 1; nrows < size; nrows++) {
        ncols = (size + nrows - 1) / nrows;
        int totwidth = -2;
        for (int col = 0; col < ncols; col++) {
            int colwidth = 0;
            for (int row = 0; row < nrows; row++) {
                int i = row + nrows * col;
                if (i >= size) break;
                int w = (int)strlen(list[i]);
                if (w > colwidth) colwidth = w;
            }
            colwidths[col] = colwidth;
            totwidth += colwidth + 2;
            if (totwidth > width) break;
        }
        if (totwidth <= width) {
            found = 1;
            break;
        }
    }
    if (!found) {
        nrows = size;
        ncols = 1;
        colwidths[0] = 0;
    }
    for (int row = 0; row < nrows; row++) {
        int last = -1;
        for (int col = 0; col < ncols; col++) {
            int i = row + nrows * col;
            if (i < size && list[i][0]) last = col;
        }
        buf line;
        buf_init(&line);
        for (int col = 0; col <= last; col++) {
            int i = row + nrows * col;
            const char *x = i < size ? list[i] : "";
            if (col) buf_put(&line, "  ", 2);
            buf_put(&line, x, strlen(x));
            for (int k = (int)strlen(x); k < colwidths[col]; k++)
                buf_put_u8(&line, ' ');
        }
        fwrite(line.data, 1, line.len, stdout);
        fputc('\n', stdout);
        buf_free(&line);
    }
    mem_free(colwidths);
}
