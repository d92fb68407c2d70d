/*
 * copy -- COPY <table> [(cols)] TO|FROM '<file>'|STDOUT|STDIN [WITH ...],
 * cqlsh's CSV import/export (pylib/cqlshlib/copyutil.py) on one connection:
 *
 *   TO    pages through SELECT <cols> FROM ks.t (PAGESIZE rows a page) and
 *         writes one CSV record per row; values as cqlsh formats them
 *         (timestamps with milliseconds, FLOATPRECISION 5, DOUBLEPRECISION
 *         12, collections as CQL literals, null as NULL='') except that
 *         top-level text is written raw (cqlsh doubles backslashes, which
 *         its own COPY FROM does not undo);
 *   FROM  reads CSV records, converts each field by the column's type
 *         (collections, tuples and UDTs parsed as CQL literals) and runs a
 *         prepared INSERT per record, keeping up to MAXREQUESTS requests in
 *         flight on stream ids (pipelining, no per-row round trip).
 *
 * CSV dialect as cqlsh: DELIMITER ',', QUOTE '"', ESCAPE '\\' (a quote
 * inside a quoted field is written \" unless QUOTE == ESCAPE, then ""),
 * HEADER false, NULL ''. Messages as cqlsh: "Using 1 child processes",
 * "Starting copy of ks.t with columns [a, b].", a "Processed: ..." progress
 * line ending in '\r', "N rows exported to 1 files in X seconds." and
 * "N rows imported from 1 files in X seconds (S skipped).".
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ringsh.h"
#include "transport/wire.h"
#include "util/mem.h"

struct copy_opts {
    char delim, quote, escape;
    int header;
    char nullval[64];
    int page_size;
    int max_requests;
    int64_t max_rows;
    int64_t skip_rows;
    int float_precision, double_precision;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* cqlsh CopyTask.describe_interval */
static void describe_interval(double seconds, char *out, size_t cap)
{
    char desc[3][32];
    int nd = 0;
    static const struct {
        int len;
        const char *unit;
    } units[] = {{86400, "day"}, {3600, "hour"}, {60, "minute"}};
    for (int i = 0; i < 3; i++) {
        long num = (long)(seconds / units[i].len);
        if (num > 0) {
            snprintf(desc[nd++], sizeof(desc[0]), "%ld %s%s", num, units[i].unit,
                     num > 1 ? "s" : "");
            seconds -= (double)num * units[i].len;
        }
    }
    char words[64];
    snprintf(words, sizeof(words), "%.3f seconds", seconds);
    if (nd > 1) {
        size_t k = 0;
        out[0] = 0;
        for (int i = 0; i < nd; i++)
            k += (size_t)snprintf(out + k, cap - k, "%s%s", i ? ", " : "", desc[i]);
        snprintf(out + k, cap - k, ", and %s", words);
    } else if (nd == 1) {
        snprintf(out, cap, "%s and %s", desc[0], words);
    } else {
        snprintf(out, cap, "%s", words);
    }
}

struct meter {
    double start, last_report, last_time;
    int64_t total, last_total;
    double rate;
};

static void meter_report(struct meter *m, int force)
{
    double t = now_s();
    if (!force && t - m->last_report < 0.25) return;
    double dt = t - m->last_time;
    if (dt > 1e-9) {
        double nr = (double)(m->total - m->last_total) / dt;
        m->rate = m->rate == 0 ? nr : (m->rate + nr) / 2.0;
    }
    m->last_time = t;
    m->last_total = m->total;
    m->last_report = t;
    double el = t - m->start;
    printf("Processed: %lld rows; Rate: %7.0f rows/s; Avg. rate: %7.0f rows/s\r",
           (long long)m->total, m->rate, el >= 1e-9 ? (double)m->total / el : 0.0);
    fflush(stdout);
}

/* ---- table columns ----------------------------------------------------- */

struct tcol {
    char name[256];
    char kind[32];
    int64_t pos;
};

static int cmp_tcol(const void *a, const void *b)
{
    const struct tcol *x = a, *y = b;
    int rx = strcmp(x->kind, "partition_key") == 0 ? 0 : strcmp(x->kind, "clustering") == 0 ? 1 : 2;
    int ry = strcmp(y->kind, "partition_key") == 0 ? 0 : strcmp(y->kind, "clustering") == 0 ? 1 : 2;
    if (rx != ry) return rx - ry;
    if (rx < 2) return x->pos < y->pos ? -1 : x->pos > y->pos;
    return strcmp(x->name, y->name);
}

/* Columns of ks.table in the driver's order. Returns the count, 0 if the
 * table does not exist, -1 after a printed error. */
static int table_columns(struct shell *sh, const char *ks, const char *table, struct tcol **out)
{
    *out = NULL;
    buf q;
    buf_init(&q);
    const char *a = "SELECT column_name, kind, position FROM system_schema.columns WHERE "
                    "keyspace_name = '";
    buf_put(&q, a, strlen(a));
    for (const char *p = ks; *p; p++) {
        if (*p == '\'') buf_put_u8(&q, '\'');
        buf_put_u8(&q, (uint8_t)*p);
    }
    buf_put(&q, "' AND table_name = '", 20);
    for (const char *p = table; *p; p++) {
        if (*p == '\'') buf_put_u8(&q, '\'');
        buf_put_u8(&q, (uint8_t)*p);
    }
    buf_put(&q, "'", 2);
    cqlc_result r;
    cqlc_result_init(&r);
    cqlc_qopts o;
    cqlc_qopts_init(&o);
    int rc = cqlc_query(sh->conn, (const char *)q.data, &o, &r);
    buf_free(&q);
    int n = -1;
    if (rc != CQLC_OK) {
        sh_print_request_error(sh, rc, &r);
    } else {
        n = r.n_rows;
        struct tcol *c = mem_calloc((size_t)n + 1, sizeof(*c));
        for (int32_t i = 0; i < r.n_rows; i++) {
            const struct type_val *v0 = cqlc_cell(&r, i, 0), *v1 = cqlc_cell(&r, i, 1),
                                  *v2 = cqlc_cell(&r, i, 2);
            snprintf(c[i].name, sizeof(c[i].name), "%.*s", v0->len > 0 ? (int)v0->len : 0,
                     v0->len > 0 ? (const char *)v0->p : "");
            snprintf(c[i].kind, sizeof(c[i].kind), "%.*s", v1->len > 0 ? (int)v1->len : 0,
                     v1->len > 0 ? (const char *)v1->p : "");
            c[i].pos = v2->len == 4 ? (int32_t)be32(v2->p) : 0;
        }
        qsort(c, (size_t)n, sizeof(*c), cmp_tcol);
        *out = c;
    }
    cqlc_result_free(&r);
    return n;
}

/* ---- CSV ---------------------------------------------------------------- */

static void csv_field(const struct copy_opts *o, const char *s, size_t n, int force_quote, buf *b)
{
    int need = force_quote;
    for (size_t i = 0; i < n && !need; i++)
        if (s[i] == o->delim || s[i] == o->quote || s[i] == '\n' || s[i] == '\r' ||
            s[i] == o->escape)
            need = 1;
    if (!need) {
        buf_put(b, s, n);
        return;
    }
    buf_put_u8(b, (uint8_t)o->quote);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == o->quote)
            buf_put_u8(b, (uint8_t)o->escape);
        else if (s[i] == o->escape && o->escape != o->quote)
            buf_put_u8(b, (uint8_t)o->escape);
        buf_put_u8(b, (uint8_t)s[i]);
    }
    buf_put_u8(b, (uint8_t)o->quote);
}

/* One CSV record from f: fields (heap copies) in *fields, quoted flags in
 * *quoted. Returns the field count, 0 for a blank line, -1 at EOF. */
struct record {
    buf *f; /* n_alloc bufs */
    int *quoted;
    int n, n_alloc;
};

static int read_record(FILE *f, const struct copy_opts *o, struct record *r, int *lineno)
{
    r->n = 0;
    int c = fgetc(f);
    if (c == EOF) return -1;
    int field = 0, in_quotes = 0, started = 0;
    for (;;) {
        if (field >= r->n_alloc) {
            int na = r->n_alloc ? r->n_alloc * 2 : 16;
            r->f = mem_realloc(r->f, sizeof(buf) * (size_t)na);
            r->quoted = mem_realloc(r->quoted, sizeof(int) * (size_t)na);
            for (int i = r->n_alloc; i < na; i++)
                buf_init(&r->f[i]);
            r->n_alloc = na;
        }
        if (!started) {
            buf_clear(&r->f[field]);
            r->quoted[field] = 0;
            started = 1;
        }
        if (c == EOF) break;
        if (in_quotes) {
            if (c == o->escape && o->escape != o->quote) {
                int d = fgetc(f);
                if (d == EOF) break;
                buf_put_u8(&r->f[field], (uint8_t)d);
            } else if (c == o->quote) {
                int d = fgetc(f);
                if (d == o->quote) {
                    buf_put_u8(&r->f[field], (uint8_t)d);
                } else {
                    in_quotes = 0;
                    c = d;
                    continue;
                }
            } else {
                if (c == '\n') (*lineno)++;
                buf_put_u8(&r->f[field], (uint8_t)c);
            }
        } else if (c == o->quote && r->f[field].len == 0) {
            in_quotes = 1;
            r->quoted[field] = 1;
        } else if (c == o->delim) {
            field++;
            started = 0;
        } else if (c == '\n' || c == '\r') {
            if (c == '\r') {
                int d = fgetc(f);
                if (d != '\n' && d != EOF) ungetc(d, f);
            }
            (*lineno)++;
            break;
        } else if (c == o->escape && o->escape != o->quote) {
            int d = fgetc(f);
            if (d == EOF) break;
            buf_put_u8(&r->f[field], (uint8_t)d);
        } else {
            buf_put_u8(&r->f[field], (uint8_t)c);
        }
        c = fgetc(f);
    }
    r->n = field + 1;
    if (r->n == 1 && r->f[0].len == 0 && !r->quoted[0]) return 0;
    return r->n;
}

/* ---- value parsing (COPY FROM) ------------------------------------------ */

static int is_int_text(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && (s[i] == '-' || s[i] == '+')) i++;
    if (i == n) return 0;
    for (; i < n; i++)
        if (!isdigit((unsigned char)s[i])) return 0;
    return 1;
}

static int convert_scalar(const struct type *t, const char *s, size_t n, buf *out, char *err,
                          size_t errsz)
{
    enum type_lit kind;
    switch (t->kind) {
    case TYPE_ASCII:
    case TYPE_VARCHAR: kind = TYPE_LIT_STRING; break;
    case TYPE_BLOB:
        if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
            kind = TYPE_LIT_HEX;
            break;
        }
        snprintf(err, errsz, "can't interpret '%.*s' as a blob", (int)n, s);
        return -1;
    case TYPE_BOOLEAN: kind = TYPE_LIT_BOOLEAN; break;
    case TYPE_UUID:
    case TYPE_TIMEUUID: kind = TYPE_LIT_UUID; break;
    case TYPE_TINYINT:
    case TYPE_SMALLINT:
    case TYPE_INT:
    case TYPE_BIGINT:
    case TYPE_COUNTER:
    case TYPE_VARINT: kind = TYPE_LIT_INTEGER; break;
    case TYPE_FLOAT:
    case TYPE_DOUBLE:
    case TYPE_DECIMAL: {
        const char *q = s;
        size_t m = n;
        if (m && (*q == '-' || *q == '+')) {
            q++;
            m--;
        }
        if (m == 3 && strncasecmp(q, "nan", 3) == 0)
            kind = TYPE_LIT_NAN;
        else if (m == 8 && strncasecmp(q, "infinity", 8) == 0)
            kind = TYPE_LIT_INFINITY;
        else
            kind = is_int_text(s, n) ? TYPE_LIT_INTEGER : TYPE_LIT_FLOAT;
        break;
    }
    case TYPE_TIMESTAMP:
    case TYPE_TIME: kind = is_int_text(s, n) ? TYPE_LIT_INTEGER : TYPE_LIT_STRING; break;
    case TYPE_DATE:
        if (is_int_text(s, n)) {
            /* cqlsh writes dates outside years 1..9999 as days since epoch */
            long long days = strtoll(s, NULL, 10);
            buf_put_be32(out, (uint32_t)(days + (1LL << 31)));
            return 0;
        }
        kind = TYPE_LIT_STRING;
        break;
    case TYPE_INET: kind = TYPE_LIT_STRING; break;
    case TYPE_DURATION: kind = TYPE_LIT_DURATION; break;
    default: snprintf(err, errsz, "unsupported type for COPY FROM"); return -1;
    }
    int rc = type_from_literal(t, kind, s, n, out, err, errsz);
    if (rc == TYPE_EKIND)
        snprintf(err, errsz, "can't interpret '%.*s' as %s", (int)n, s, type_kind_name(t->kind));
    return rc ? -1 : 0;
}

struct lp {
    const char *s;
    size_t n, pos;
    char err[256];
};

static void lp_ws(struct lp *p)
{
    while (p->pos < p->n && isspace((unsigned char)p->s[p->pos]))
        p->pos++;
}

static int is_collection(const struct type *t)
{
    return t->kind == TYPE_LIST || t->kind == TYPE_SET || t->kind == TYPE_MAP ||
           t->kind == TYPE_TUPLE || t->kind == TYPE_UDT;
}

/* Parse one literal of type t at p->pos; append its encoding to out.
 * *is_null set for `null`. 0 or -1 (p->err). */
static int parse_literal(struct lp *p, const struct type *t, buf *out, int *is_null, int depth)
{
    *is_null = 0;
    lp_ws(p);
    if (depth > 32) {
        snprintf(p->err, sizeof(p->err), "literal nested too deeply");
        return -1;
    }
    if (p->pos >= p->n) {
        snprintf(p->err, sizeof(p->err), "unexpected end of value");
        return -1;
    }
    char c = p->s[p->pos];
    if (is_collection(t)) {
        if (p->n - p->pos >= 4 && strncasecmp(p->s + p->pos, "null", 4) == 0) {
            p->pos += 4;
            *is_null = 1;
            return 0;
        }
        char open = t->kind == TYPE_LIST ? '[' : t->kind == TYPE_TUPLE ? '(' : '{';
        char close = open == '[' ? ']' : open == '(' ? ')' : '}';
        if (c != open && !(t->kind == TYPE_SET && c == '[') &&
            !(t->kind == TYPE_LIST && c == '{')) {
            snprintf(p->err, sizeof(p->err), "expected '%c' at position %zu", open, p->pos);
            return -1;
        }
        if (c != open) close = c == '[' ? ']' : '}';
        p->pos++;
        int cap = 16, n = 0;
        buf *elems = mem_calloc((size_t)cap, sizeof(buf));
        int *nulls = mem_calloc((size_t)cap, sizeof(int));
        int rc = 0;
        lp_ws(p);
        if (p->pos < p->n && p->s[p->pos] == close) {
            p->pos++;
        } else {
            for (;;) {
                int per = t->kind == TYPE_MAP ? 2 : 1;
                for (int k = 0; k < per && rc == 0; k++) {
                    if (n + 2 > cap) {
                        elems = mem_realloc(elems, sizeof(buf) * (size_t)cap * 2);
                        nulls = mem_realloc(nulls, sizeof(int) * (size_t)cap * 2);
                        cap *= 2;
                    }
                    buf_init(&elems[n]);
                    nulls[n] = 0;
                    const struct type *et;
                    if (t->kind == TYPE_UDT) {
                        /* field name, then ':' and the value */
                        lp_ws(p);
                        size_t st = p->pos;
                        while (p->pos < p->n && p->s[p->pos] != ':' &&
                               !isspace((unsigned char)p->s[p->pos]))
                            p->pos++;
                        char fname[256];
                        sh_unprotect_name(p->s + st, p->pos - st, fname, sizeof(fname));
                        int fi = -1;
                        for (int f = 0; f < t->n_params; f++)
                            if (strcmp(t->field_names[f], fname) == 0) fi = f;
                        lp_ws(p);
                        if (fi < 0 || p->pos >= p->n || p->s[p->pos] != ':') {
                            snprintf(p->err, sizeof(p->err), "unknown field '%s'", fname);
                            rc = -1;
                            break;
                        }
                        p->pos++;
                        /* store as (index, value) pair: index in nulls[] high bits */
                        et = t->params[fi];
                        rc = parse_literal(p, et, &elems[n], &nulls[n], depth + 1);
                        nulls[n] |= (fi + 1) << 1;
                        n++;
                        break;
                    }
                    et = type_elem_type(t, t->kind == TYPE_TUPLE ? n : k);
                    if (!et) {
                        snprintf(p->err, sizeof(p->err), "too many elements");
                        rc = -1;
                        break;
                    }
                    rc = parse_literal(p, et, &elems[n], &nulls[n], depth + 1);
                    n++;
                    if (rc == 0 && per == 2 && k == 0) {
                        lp_ws(p);
                        if (p->pos >= p->n || p->s[p->pos] != ':') {
                            snprintf(p->err, sizeof(p->err), "expected ':' at position %zu",
                                     p->pos);
                            rc = -1;
                        } else {
                            p->pos++;
                        }
                    }
                }
                if (rc) break;
                lp_ws(p);
                if (p->pos < p->n && p->s[p->pos] == ',') {
                    p->pos++;
                    continue;
                }
                if (p->pos < p->n && p->s[p->pos] == close) {
                    p->pos++;
                    break;
                }
                snprintf(p->err, sizeof(p->err), "expected ',' or '%c' at position %zu", close,
                         p->pos);
                rc = -1;
                break;
            }
        }
        if (rc == 0) {
            int count = n;
            struct type_val *vals;
            if (t->kind == TYPE_UDT) {
                count = t->n_params;
                vals = mem_calloc((size_t)count + 1, sizeof(*vals));
                for (int f = 0; f < count; f++)
                    vals[f].len = -1;
                for (int i = 0; i < n; i++) {
                    int fi = (nulls[i] >> 1) - 1;
                    if (nulls[i] & 1) continue;
                    vals[fi].p = elems[i].data;
                    vals[fi].len = (int32_t)elems[i].len;
                }
            } else {
                vals = mem_calloc((size_t)count + 1, sizeof(*vals));
                for (int i = 0; i < n; i++) {
                    vals[i].p = elems[i].data;
                    vals[i].len = nulls[i] ? -1 : (int32_t)elems[i].len;
                    if (!vals[i].p) vals[i].p = (const uint8_t *)"";
                }
            }
            if (type_build_collection(t, vals, count, NULL, out, p->err, sizeof(p->err)) != 0)
                rc = -1;
            mem_free(vals);
        }
        for (int i = 0; i < n; i++)
            buf_free(&elems[i]);
        mem_free(elems);
        mem_free(nulls);
        return rc;
    }
    /* scalar */
    if (c == '\'') {
        buf s;
        buf_init(&s);
        p->pos++;
        int closed = 0;
        while (p->pos < p->n) {
            char d = p->s[p->pos++];
            if (d == '\'') {
                if (p->pos < p->n && p->s[p->pos] == '\'') {
                    buf_put_u8(&s, '\'');
                    p->pos++;
                    continue;
                }
                closed = 1;
                break;
            }
            buf_put_u8(&s, (uint8_t)d);
        }
        int rc = -1;
        if (!closed)
            snprintf(p->err, sizeof(p->err), "unterminated string");
        else
            rc = convert_scalar(t, s.len ? (const char *)s.data : "", s.len, out, p->err,
                                sizeof(p->err));
        buf_free(&s);
        return rc;
    }
    size_t st = p->pos;
    int colon_ok = t->kind == TYPE_TIME || t->kind == TYPE_TIMESTAMP;
    while (p->pos < p->n) {
        char d = p->s[p->pos];
        if (d == ',' || d == ']' || d == '}' || d == ')' || (d == ':' && !colon_ok)) break;
        p->pos++;
    }
    size_t en = p->pos;
    while (en > st && isspace((unsigned char)p->s[en - 1]))
        en--;
    if (en - st == 4 && strncasecmp(p->s + st, "null", 4) == 0) {
        *is_null = 1;
        return 0;
    }
    return convert_scalar(t, p->s + st, en - st, out, p->err, sizeof(p->err));
}

/* A CSV field -> the bound value (appended to out); *is_null for NULL. */
static int convert_field(const struct copy_opts *o, const struct type *t, const buf *f, int quoted,
                         buf *out, int *is_null, char *err, size_t errsz)
{
    const char *s = f->len ? (const char *)f->data : "";
    size_t n = f->len;
    *is_null = 0;
    if (!quoted && strlen(o->nullval) == n && strncmp(s, o->nullval, n) == 0) {
        *is_null = 1;
        return 0;
    }
    if (t->kind == TYPE_ASCII || t->kind == TYPE_VARCHAR) {
        buf_put(out, s, n);
        return 0;
    }
    if (is_collection(t)) {
        struct lp p = {s, n, 0, ""};
        int rc = parse_literal(&p, t, out, is_null, 0);
        lp_ws(&p);
        if (rc == 0 && p.pos != p.n) {
            snprintf(err, errsz, "unexpected text at position %zu", p.pos);
            return -1;
        }
        if (rc) snprintf(err, errsz, "%s", p.err);
        return rc;
    }
    while (n > 0 && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    return convert_scalar(t, s, n, out, err, errsz);
}

/* ---- command parsing ------------------------------------------------------ */

struct copy_cmd {
    char ks[256], table[256];
    char **cols;
    int n_cols;
    int to;
    char file[4096]; /* "" = STDIN/STDOUT */
};

static int parse_copy(struct shell *sh, const char *args, struct copy_cmd *c, struct copy_opts *o)
{
    struct words w;
    sh_words_split(args, &w);
    int i = 0, ok = 0;
    memset(c, 0, sizeof(*c));
    if (i >= w.n) goto bad;
    if (i + 2 < w.n && strcmp(w.w[i + 1], ".") == 0) {
        sh_unprotect_name(w.w[i], strlen(w.w[i]), c->ks, sizeof(c->ks));
        i += 2;
    }
    sh_unprotect_name(w.w[i], strlen(w.w[i]), c->table, sizeof(c->table));
    i++;
    if (i < w.n && strcmp(w.w[i], "(") == 0) {
        i++;
        c->cols = mem_calloc((size_t)w.n, sizeof(char *));
        while (i < w.n && strcmp(w.w[i], ")") != 0) {
            if (strcmp(w.w[i], ",") != 0) {
                char nm[256];
                sh_unprotect_name(w.w[i], strlen(w.w[i]), nm, sizeof(nm));
                c->cols[c->n_cols++] = mem_strndup(nm, strlen(nm));
            }
            i++;
        }
        if (i >= w.n) goto bad;
        i++;
    }
    if (i >= w.n) goto bad;
    if (strcasecmp(w.w[i], "to") == 0)
        c->to = 1;
    else if (strcasecmp(w.w[i], "from") != 0)
        goto bad;
    i++;
    if (i >= w.n) goto bad;
    if (w.w[i][0] == '\'') {
        size_t n = strlen(w.w[i]);
        size_t k = 0;
        for (size_t j = 1; j + 1 < n && k + 1 < sizeof(c->file); j++) {
            if (w.w[i][j] == '\'' && w.w[i][j + 1] == '\'') j++;
            c->file[k++] = w.w[i][j];
        }
        c->file[k] = 0;
        if (c->file[0] == '~' && getenv("HOME")) {
            char tmp[4096];
            snprintf(tmp, sizeof(tmp), "%s%s", getenv("HOME"), c->file + 1);
            snprintf(c->file, sizeof(c->file), "%s", tmp);
        }
    } else if (strcasecmp(w.w[i], c->to ? "stdout" : "stdin") != 0) {
        goto bad;
    }
    i++;
    if (i < w.n) {
        if (strcasecmp(w.w[i], "with") != 0) goto bad;
        i++;
        while (i < w.n) {
            if (i + 2 >= w.n || strcmp(w.w[i + 1], "=") != 0) goto bad;
            const char *name = w.w[i];
            char val[256];
            const char *raw = w.w[i + 2];
            size_t rn = strlen(raw);
            if (raw[0] == '\'' && rn >= 2) {
                size_t k = 0;
                for (size_t j = 1; j + 1 < rn && k + 1 < sizeof(val); j++) {
                    if (raw[j] == '\'' && raw[j + 1] == '\'') j++;
                    val[k++] = raw[j];
                }
                val[k] = 0;
            } else {
                snprintf(val, sizeof(val), "%s", raw);
            }
            if (!strcasecmp(name, "header"))
                o->header = strcasecmp(val, "true") == 0;
            else if (!strcasecmp(name, "delimiter") && val[0])
                o->delim = val[0];
            else if (!strcasecmp(name, "quote") && val[0])
                o->quote = val[0];
            else if (!strcasecmp(name, "escape") && val[0])
                o->escape = val[0];
            else if (!strcasecmp(name, "null"))
                snprintf(o->nullval, sizeof(o->nullval), "%s", val);
            else if (!strcasecmp(name, "pagesize") && c->to)
                o->page_size = atoi(val) > 0 ? atoi(val) : 1000;
            else if (!strcasecmp(name, "maxrequests"))
                o->max_requests = atoi(val) > 0 ? atoi(val) : o->max_requests;
            else if (!strcasecmp(name, "maxrows"))
                o->max_rows = atoll(val);
            else if (!strcasecmp(name, "skiprows") && !c->to)
                o->skip_rows = atoll(val);
            else if (!strcasecmp(name, "floatprecision") && c->to)
                o->float_precision = atoi(val);
            else if (!strcasecmp(name, "doubleprecision") && c->to)
                o->double_precision = atoi(val);
            else if (!strcasecmp(name, "numprocesses") || !strcasecmp(name, "chunksize") ||
                     !strcasecmp(name, "maxbatchsize") || !strcasecmp(name, "minbatchsize") ||
                     !strcasecmp(name, "reportfrequency") || !strcasecmp(name, "encoding") ||
                     !strcasecmp(name, "maxattempts") || !strcasecmp(name, "ingestrate") ||
                     !strcasecmp(name, "preparedstatements"))
                ; /* accepted, no effect here */
            else {
                char lower[64];
                size_t k = 0;
                for (; name[k] && k + 1 < sizeof(lower); k++)
                    lower[k] = (char)tolower((unsigned char)name[k]);
                lower[k] = 0;
                sh_printerr(sh, "Unrecognized COPY %s options: %s", c->to ? "TO" : "FROM", lower);
                goto out;
            }
            i += 3;
            if (i < w.n) {
                if (strcasecmp(w.w[i], "and") != 0) goto bad;
                i++;
            }
        }
    }
    ok = 1;
    goto out;
bad:
    sh_printerr(sh, "Improper copy command.");
out:
    sh_words_free(&w);
    return ok;
}

static void free_cmd(struct copy_cmd *c)
{
    for (int i = 0; i < c->n_cols; i++)
        mem_free(c->cols[i]);
    mem_free(c->cols);
}

/* ---- COPY TO ------------------------------------------------------------ */

static void copy_to(struct shell *sh, struct copy_cmd *c, const struct copy_opts *o)
{
    FILE *out = stdout;
    if (c->file[0]) {
        out = fopen(c->file, "w");
        if (!out) {
            sh_printerr(sh, "Can't open '%s' for writing: [Errno %d] %s: '%s'", c->file, errno,
                        strerror(errno), c->file);
            return;
        }
    }
    FILE *msg = c->file[0] ? stdout : stderr;
    buf q, line, v;
    buf_init(&q);
    buf_init(&line);
    buf_init(&v);
    if (o->header) {
        for (int i = 0; i < c->n_cols; i++) {
            if (i) buf_put_u8(&line, (uint8_t)o->delim);
            csv_field(o, c->cols[i], strlen(c->cols[i]), 0, &line);
        }
        buf_put_u8(&line, '\n');
        fwrite(line.data, 1, line.len, out);
    }
    fprintf(msg, "Using 1 child processes\n\nStarting copy of %s.%s with columns [", c->ks,
            c->table);
    for (int i = 0; i < c->n_cols; i++)
        fprintf(msg, "%s%s", i ? ", " : "", c->cols[i]);
    fprintf(msg, "].\n");
    fflush(msg);
    buf_put(&q, "SELECT ", 7);
    for (int i = 0; i < c->n_cols; i++) {
        if (i) buf_put(&q, ", ", 2);
        sh_protect_name(c->cols[i], &q);
    }
    buf_put(&q, " FROM ", 6);
    sh_protect_name(c->ks, &q);
    buf_put_u8(&q, '.');
    sh_protect_name(c->table, &q);
    buf_put_u8(&q, 0);
    struct shell fmt = *sh;
    fmt.ts_millis = 1;
    fmt.float_precision = o->float_precision;
    fmt.double_precision = o->double_precision;
    cqlc_qopts qo;
    cqlc_qopts_init(&qo);
    qo.consistency = sh->consistency;
    qo.page_size = o->page_size;
    cqlc_result r;
    cqlc_result_init(&r);
    buf ps;
    buf_init(&ps);
    struct meter m = {0};
    m.start = m.last_report = m.last_time = now_s();
    int failed = 0;
    for (;;) {
        int rc = cqlc_query(sh->conn, (const char *)q.data, &qo, &r);
        if (rc != CQLC_OK) {
            sh_print_request_error(sh, rc, &r);
            failed = 1;
            break;
        }
        if (r.kind != CQLC_RES_ROWS) break;
        buf_clear(&line);
        for (int32_t i = 0; i < r.n_rows; i++) {
            if (o->max_rows >= 0 && m.total >= o->max_rows) break;
            for (int j = 0; j < r.n_cols; j++) {
                if (j) buf_put_u8(&line, (uint8_t)o->delim);
                const struct type_val *cv = cqlc_cell(&r, i, j);
                const struct type *t = r.cols[j].type;
                if (cv->len < 0 || (cv->len == 0 && t->kind != TYPE_ASCII &&
                                    t->kind != TYPE_VARCHAR && t->kind != TYPE_BLOB)) {
                    buf_put(&line, o->nullval, strlen(o->nullval));
                    continue;
                }
                buf_clear(&v);
                if (t->kind == TYPE_ASCII || t->kind == TYPE_VARCHAR)
                    buf_put(&v, cv->p, (size_t)cv->len);
                else
                    disp_value(&fmt, t, cv->p, cv->len, 0, &v);
                csv_field(o, v.len ? (const char *)v.data : "", v.len,
                          v.len == 0 && o->nullval[0] == 0, &line);
            }
            buf_put_u8(&line, '\n');
            m.total++;
        }
        fwrite(line.data, 1, line.len, out);
        if (c->file[0]) meter_report(&m, 0);
        if (!r.has_more_pages || (o->max_rows >= 0 && m.total >= o->max_rows)) break;
        buf_clear(&ps);
        buf_put(&ps, r.paging_state, (size_t)r.n_paging_state);
        qo.paging_state = ps.data;
        qo.n_paging_state = (int32_t)ps.len;
    }
    if (c->file[0]) {
        if (fclose(out) != 0 && !failed)
            sh_printerr(sh, "Error writing '%s': %s", c->file, strerror(errno));
    } else {
        fflush(out);
    }
    if (c->file[0]) meter_report(&m, 1);
    char iv[128];
    describe_interval(now_s() - m.start, iv, sizeof(iv));
    fprintf(msg, "\n%lld rows exported to 1 files in %s.\n", (long long)m.total, iv);
    fflush(msg);
    buf_free(&ps);
    cqlc_result_free(&r);
    buf_free(&q);
    buf_free(&line);
    buf_free(&v);
}

/* ---- COPY FROM ---------------------------------------------------------- */

static void report_failure(struct shell *sh, const char *what, const char *msg, int parse)
{
    if (parse)
        sh_printerr(sh, "Failed to import 1 rows: ParseError - %s,  given up without retries", msg);
    else
        sh_printerr(sh, "Failed to import 1 rows: %s - %s,  given up after 1 attempts", what, msg);
}

static void copy_from(struct shell *sh, struct copy_cmd *c, const struct copy_opts *o)
{
    FILE *in = stdin;
    if (c->file[0]) {
        in = fopen(c->file, "r");
        if (!in) {
            sh_printerr(sh, "Can't open '%s' for reading: [Errno %d] %s: '%s'", c->file, errno,
                        strerror(errno), c->file);
            return;
        }
    } else if (sh->tty) {
        printf("[Use . on a line by itself to end input]\n");
    }
    buf q;
    buf_init(&q);
    buf_put(&q, "INSERT INTO ", 12);
    sh_protect_name(c->ks, &q);
    buf_put_u8(&q, '.');
    sh_protect_name(c->table, &q);
    buf_put(&q, " (", 2);
    for (int i = 0; i < c->n_cols; i++) {
        if (i) buf_put(&q, ", ", 2);
        sh_protect_name(c->cols[i], &q);
    }
    buf_put(&q, ") VALUES (", 10);
    for (int i = 0; i < c->n_cols; i++)
        buf_put(&q, i ? ", ?" : "?", i ? 3 : 1);
    buf_put(&q, ")", 2);
    cqlc_result prep, r;
    cqlc_result_init(&prep);
    cqlc_result_init(&r);
    struct record rec = {0};
    buf vals;
    buf_init(&vals);
    struct type_val *tv = mem_calloc((size_t)c->n_cols + 1, sizeof(*tv));
    size_t *offs = mem_calloc((size_t)c->n_cols + 1, sizeof(size_t));
    int rc = cqlc_prepare(sh->conn, (const char *)q.data, &prep);
    if (rc != CQLC_OK) {
        sh_print_request_error(sh, rc, &prep);
        goto done;
    }
    if (prep.n_bind != c->n_cols) {
        sh_printerr(sh, "Unexpected bind marker count %d", prep.n_bind);
        goto done;
    }
    printf("Using 1 child processes\n\nStarting copy of %s.%s with columns [", c->ks, c->table);
    for (int i = 0; i < c->n_cols; i++)
        printf("%s%s", i ? ", " : "", c->cols[i]);
    printf("].\n");
    fflush(stdout);
    struct meter m = {0};
    m.start = m.last_report = m.last_time = now_s();
    int64_t skipped = 0, sent = 0, records = 0, errors = 0, ins_errors = 0;
    int lineno = 0;
    int max_in_flight = o->max_requests;
    cqlc_qopts qo;
    cqlc_qopts_init(&qo);
    qo.consistency = sh->consistency;
    qo.skip_metadata = 1;
    int first = 1, dead = 0;
    char err[512];
    for (;;) {
        if (o->max_rows >= 0 && sent >= o->max_rows) break;
        int nf = read_record(in, o, &rec, &lineno);
        if (nf < 0) break;
        if (nf == 0) continue;
        if (!c->file[0] && nf == 1 && rec.f[0].len == 1 && rec.f[0].data[0] == '.' &&
            !rec.quoted[0])
            break;
        if (first && o->header) {
            first = 0;
            continue;
        }
        first = 0;
        records++;
        if (records <= o->skip_rows) {
            skipped++;
            continue;
        }
        if (nf != c->n_cols) {
            snprintf(err, sizeof(err), "Invalid row length %d should be %d", nf, c->n_cols);
            report_failure(sh, NULL, err, 1);
            errors++;
            continue;
        }
        buf_clear(&vals);
        int bad = 0;
        for (int i = 0; i < nf && !bad; i++) {
            int is_null;
            offs[i] = vals.len;
            if (convert_field(o, prep.bind[i].type, &rec.f[i], rec.quoted[i], &vals, &is_null, err,
                              sizeof(err)) != 0) {
                char msg[700];
                snprintf(msg, sizeof(msg), "Failed to parse %.*s : %s",
                         (int)(rec.f[i].len > 200 ? 200 : rec.f[i].len),
                         rec.f[i].len ? (const char *)rec.f[i].data : "", err);
                report_failure(sh, NULL, msg, 1);
                bad = 1;
                break;
            }
            tv[i].len = is_null ? -1 : (int32_t)(vals.len - offs[i]);
        }
        if (bad) {
            errors++;
            continue;
        }
        for (int i = 0; i < nf; i++)
            tv[i].p = tv[i].len >= 0 ? vals.data + offs[i] : NULL;
        qo.values = tv;
        qo.n_values = nf;
        int16_t stream;
        while (cqlc_in_flight(sh->conn) >= max_in_flight) {
            rc = cqlc_recv_any(sh->conn, &stream, &r);
            if (rc == CQLC_ESERVER) {
                char line[1024];
                snprintf(line, sizeof(line), "Error from server: code=%04x [%s] message=\"%s\"",
                         (unsigned)r.err.code, cqlc_error_summary(r.err.code), r.err.message);
                report_failure(sh, cqlc_error_class(r.err.code), line, 0);
                errors++;
                if (++ins_errors > 1000) {
                    sh_printerr(sh, "Exceeded maximum number of insert errors 1000");
                    dead = 2;
                    break;
                }
            } else if (rc != CQLC_OK) {
                dead = 1;
                break;
            } else {
                m.total++;
            }
        }
        if (dead) break;
        rc = cqlc_send_execute(sh->conn, &prep, &qo, &stream);
        if (rc != CQLC_OK) {
            dead = 1;
            break;
        }
        sent++;
        if ((sent & 1023) == 0) meter_report(&m, 0);
    }
    while (dead != 1 && cqlc_in_flight(sh->conn) > 0) {
        int16_t stream;
        rc = cqlc_recv_any(sh->conn, &stream, &r);
        if (rc == CQLC_ESERVER) {
            char line[1024];
            snprintf(line, sizeof(line), "Error from server: code=%04x [%s] message=\"%s\"",
                     (unsigned)r.err.code, cqlc_error_summary(r.err.code), r.err.message);
            report_failure(sh, cqlc_error_class(r.err.code), line, 0);
            errors++;
        } else if (rc != CQLC_OK) {
            dead = 1;
        } else {
            m.total++;
        }
    }
    if (dead == 1) sh_print_request_error(sh, rc, &r);
    meter_report(&m, 1);
    char iv[128];
    describe_interval(now_s() - m.start, iv, sizeof(iv));
    printf("\n%lld rows imported from 1 files in %s (%lld skipped).\n", (long long)m.total, iv,
           (long long)skipped);
    fflush(stdout);
    (void)errors;
done:
    if (c->file[0]) fclose(in);
    for (int i = 0; i < rec.n_alloc; i++)
        buf_free(&rec.f[i]);
    mem_free(rec.f);
    mem_free(rec.quoted);
    mem_free(tv);
    mem_free(offs);
    buf_free(&vals);
    buf_free(&q);
    cqlc_result_free(&prep);
    cqlc_result_free(&r);
}

void copy_run(struct shell *sh, const char *args)
{
    struct copy_cmd c;
    struct copy_opts o = {',', '"', '\\', 0, "", 1000, 256, -1, 0, 5, 12};
    if (!parse_copy(sh, args, &c, &o)) {
        free_cmd(&c);
        return;
    }
    if (!c.ks[0]) {
        if (!sh->keyspace[0]) {
            sh_printerr(sh, "Not in any keyspace.");
            free_cmd(&c);
            return;
        }
        snprintf(c.ks, sizeof(c.ks), "%s", sh->keyspace);
    }
    struct tcol *tc;
    int n = table_columns(sh, c.ks, c.table, &tc);
    if (n < 0) {
        free_cmd(&c);
        return;
    }
    if (n == 0) {
        sh_printerr(sh, "Column family %s not found", c.table);
        mem_free(tc);
        free_cmd(&c);
        return;
    }
    if (c.n_cols == 0) {
        c.cols = mem_calloc((size_t)n, sizeof(char *));
        for (int i = 0; i < n; i++)
            c.cols[c.n_cols++] = mem_strndup(tc[i].name, strlen(tc[i].name));
    } else {
        for (int i = 0; i < c.n_cols; i++) {
            int found = 0;
            for (int j = 0; j < n; j++)
                if (strcmp(tc[j].name, c.cols[i]) == 0) found = 1;
            if (!found) {
                sh_printerr(sh, "Invalid column name %s", c.cols[i]);
                mem_free(tc);
                free_cmd(&c);
                return;
            }
        }
    }
    mem_free(tc);
    if (o.quote == o.escape) o.escape = o.quote; /* doublequote */
    if (c.to)
        copy_to(sh, &c, &o);
    else
        copy_from(sh, &c, &o);
    free_cmd(&c);
}
