/*
 * describe -- DESCRIBE, built on the client side from system_schema.*,
 * printing what the Python driver's Metadata export_as_string() prints
 * (cassandra/metadata.py: KeyspaceMetadata.as_cql_query, UserType and
 * TableMetadataV3 as_cql_query(formatted=True), SchemaParserV4's
 * recognized_table_options), laid out as cqlsh 4.0+ shows server-side
 * DESCRIBE rows (a blank line before each statement):
 *
 *   CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy',
 *       'replication_factor': '1'}  AND durable_writes = true;
 *   CREATE TYPE ks.t (\n    f int,\n    ...\n);
 *   CREATE TABLE ks.t (\n    pk columns, clustering columns, the other
 *       columns by name\n    PRIMARY KEY (...)\n) WITH CLUSTERING ORDER BY
 *       (...)\n    AND <option> = <value> ... (options sorted as strings);
 *
 * Types of a keyspace come first, in name order with dependencies before
 * their users (the driver's user_type_strings), then tables by name.
 * Errors are the server-side DESCRIBE messages ("'x' not found in
 * keyspaces"), printed as cqlsh does (only the message).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ringsh.h"
#include "transport/wire.h"
#include "util/mem.h"

/* ---- fetching ----------------------------------------------------------- */

typedef void (*row_cb)(void *ctx, const cqlc_result *r, int32_t row);

/* Run `cql` (paging through every row), calling cb per row. 0, or -1 after
 * printing the error. */
static int fetch(struct shell *sh, const char *cql, row_cb cb, void *ctx)
{
    cqlc_qopts o;
    cqlc_qopts_init(&o);
    o.consistency = PROTO_CL_ONE;
    o.page_size = 5000;
    cqlc_result r;
    cqlc_result_init(&r);
    buf ps;
    buf_init(&ps);
    int ret = 0;
    for (;;) {
        int rc = cqlc_query(sh->conn, cql, &o, &r);
        if (rc != CQLC_OK) {
            sh_print_request_error(sh, rc, &r);
            ret = -1;
            break;
        }
        if (r.kind != CQLC_RES_ROWS) break;
        for (int32_t i = 0; i < r.n_rows; i++)
            cb(ctx, &r, i);
        if (!r.has_more_pages) break;
        buf_clear(&ps);
        buf_put(&ps, r.paging_state, (size_t)r.n_paging_state);
        o.paging_state = ps.data;
        o.n_paging_state = (int32_t)ps.len;
    }
    buf_free(&ps);
    cqlc_result_free(&r);
    return ret;
}

static int col_of(const cqlc_result *r, const char *name)
{
    for (int j = 0; j < r->n_cols; j++)
        if (strcmp(r->cols[j].name, name) == 0) return j;
    return -1;
}

static char *cell_str(const cqlc_result *r, int32_t i, const char *name)
{
    int j = col_of(r, name);
    if (j < 0) return mem_strndup("", 0);
    const struct type_val *v = cqlc_cell(r, i, j);
    return mem_strndup(v->len > 0 ? (const char *)v->p : "", v->len > 0 ? (size_t)v->len : 0);
}

static int64_t cell_int(const cqlc_result *r, int32_t i, const char *name)
{
    int j = col_of(r, name);
    if (j < 0) return 0;
    const struct type_val *v = cqlc_cell(r, i, j);
    if (v->len == 4) return (int32_t)be32(v->p);
    if (v->len == 8) return (int64_t)be64(v->p);
    if (v->len == 1) return v->p[0];
    return 0;
}

/* Elements of a list<text>/set<text> cell (heap strings). */
static int cell_list(const cqlc_result *r, int32_t i, const char *name, char ***out)
{
    *out = NULL;
    int j = col_of(r, name);
    if (j < 0) return 0;
    const struct type_val *v = cqlc_cell(r, i, j);
    if (v->len <= 0) return 0;
    struct type_iter it;
    int n = type_iter_init(&it, r->cols[j].type, v->p, v->len);
    if (n <= 0) return 0;
    char **l = mem_calloc((size_t)n, sizeof(char *));
    struct type_val e;
    int k = 0;
    while (k < n && type_iter_next(&it, &e) == 1)
        l[k++] = mem_strndup(e.len > 0 ? (const char *)e.p : "", e.len > 0 ? (size_t)e.len : 0);
    *out = l;
    return k;
}

static void free_strs(char **l, int n)
{
    for (int i = 0; i < n; i++)
        mem_free(l[i]);
    mem_free(l);
}

/* ---- value text as the driver prints options ---------------------------- */

static void put(buf *b, const char *s)
{
    buf_put(b, s, strlen(s));
}

/* Python repr(float). */
static void py_float(double v, buf *b)
{
    char tmp[64];
    if (isnan(v)) {
        put(b, "nan");
        return;
    }
    if (isinf(v)) {
        put(b, v > 0 ? "inf" : "-inf");
        return;
    }
    int p;
    for (p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof(tmp), "%.*e", p - 1, v);
        if (strtod(tmp, NULL) == v) break;
    }
    /* tmp = d.ddde[+-]XX */
    char digits[32];
    int nd = 0, neg = 0;
    const char *s = tmp;
    if (*s == '-') {
        neg = 1;
        s++;
    }
    for (; *s && *s != 'e'; s++)
        if (isdigit((unsigned char)*s)) digits[nd++] = *s;
    int exp = atoi(s + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    if (neg) buf_put_u8(b, '-');
    if (exp >= -5 && exp < 16) {
        if (exp < 0) {
            put(b, "0.");
            for (int i = 0; i < -exp - 1; i++)
                buf_put_u8(b, '0');
            buf_put(b, digits, (size_t)nd);
        } else {
            for (int i = 0; i <= exp; i++)
                buf_put_u8(b, (uint8_t)(i < nd ? digits[i] : '0'));
            buf_put_u8(b, '.');
            if (nd > exp + 1)
                buf_put(b, digits + exp + 1, (size_t)(nd - exp - 1));
            else
                buf_put_u8(b, '0');
        }
    } else {
        buf_put_u8(b, (uint8_t)digits[0]);
        if (nd > 1) {
            buf_put_u8(b, '.');
            buf_put(b, digits + 1, (size_t)(nd - 1));
        }
        snprintf(tmp, sizeof(tmp), "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
        put(b, tmp);
    }
}

/* "'...'" with ' doubled (protect_value). */
static void quote_str(const uint8_t *p, int32_t n, buf *b)
{
    buf_put_u8(b, '\'');
    for (int32_t i = 0; i < n; i++) {
        if (p[i] == '\'') buf_put_u8(b, '\'');
        buf_put_u8(b, p[i]);
    }
    buf_put_u8(b, '\'');
}

/* One table option "name = value", or 0 if it is null. */
static int option_text(const cqlc_result *r, int32_t i, int j, buf *b)
{
    const struct type_val *v = cqlc_cell(r, i, j);
    const struct type *t = r->cols[j].type;
    if (v->len < 0) return 0;
    put(b, r->cols[j].name);
    put(b, " = ");
    switch (t->kind) {
    case TYPE_MAP: {
        struct type_iter it;
        buf_put_u8(b, '{');
        if (type_iter_init(&it, t, v->p, v->len) >= 0) {
            struct type_val e;
            int k = 0;
            while (type_iter_next(&it, &e) == 1) {
                if (k) put(b, (k % 2) ? ": " : ", ");
                buf_put_u8(b, '\'');
                buf_put(b, e.p, e.len > 0 ? (size_t)e.len : 0);
                buf_put_u8(b, '\'');
                k++;
            }
        }
        buf_put_u8(b, '}');
        break;
    }
    case TYPE_DOUBLE: {
        uint64_t u = be64(v->p);
        double d;
        memcpy(&d, &u, 8);
        py_float(d, b);
        break;
    }
    case TYPE_FLOAT: {
        uint32_t u = be32(v->p);
        float f;
        memcpy(&f, &u, 4);
        py_float((double)f, b);
        break;
    }
    case TYPE_INT:
    case TYPE_BIGINT: {
        char tmp[32];
        snprintf(tmp, sizeof(tmp), "%lld",
                 (long long)(v->len == 4 ? (int32_t)be32(v->p) : (int64_t)be64(v->p)));
        put(b, tmp);
        break;
    }
    case TYPE_BOOLEAN: put(b, v->len > 0 && v->p[0] ? "true" : "false"); break;
    default: quote_str(v->p, v->len, b); break;
    }
    return 1;
}

/* ---- schema model ------------------------------------------------------- */

struct dcol {
    char *name, *kind, *type, *order;
    int64_t pos;
};

struct dtable {
    char *ks, *name;
    char **opts;
    int n_opts;
    struct dcol *cols;
    int n_cols;
};

struct dtype {
    char *name;
    char **fnames, **ftypes;
    int n_fields;
    int done;
};

struct dks {
    char *name;
    int durable;
    char *repl; /* already formatted */
};

struct schema {
    struct dks *ks;
    int n_ks;
    struct dtable *tables;
    int n_tables;
    struct dtype *types;
    int n_types;
    struct dcol *cols;
    int n_cols;
    char **col_table; /* table name of cols[i] */
};

static const char *const TABLE_OPTIONS[] = {"additional_write_policy",
                                            "bloom_filter_fp_chance",
                                            "caching",
                                            "cdc",
                                            "comment",
                                            "compaction",
                                            "compression",
                                            "crc_check_chance",
                                            "default_time_to_live",
                                            "gc_grace_seconds",
                                            "max_index_interval",
                                            "memtable_flush_period_in_ms",
                                            "min_index_interval",
                                            "read_repair",
                                            "speculative_retry",
                                            NULL};

static void on_keyspace(void *ctx, const cqlc_result *r, int32_t i)
{
    struct schema *s = ctx;
    s->ks = mem_realloc(s->ks, sizeof(*s->ks) * (size_t)(s->n_ks + 1));
    struct dks *k = &s->ks[s->n_ks++];
    k->name = cell_str(r, i, "keyspace_name");
    k->durable = (int)cell_int(r, i, "durable_writes");
    /* replication map -> export_for_schema */
    buf b;
    buf_init(&b);
    int j = col_of(r, "replication");
    char *cls = NULL;
    char *keys[64], *vals[64];
    int n = 0;
    if (j >= 0) {
        const struct type_val *v = cqlc_cell(r, i, j);
        struct type_iter it;
        if (v->len > 0 && type_iter_init(&it, r->cols[j].type, v->p, v->len) >= 0) {
            struct type_val kk, vv;
            while (n < 64 && type_iter_next(&it, &kk) == 1 && type_iter_next(&it, &vv) == 1) {
                char *ks = mem_strndup((const char *)kk.p, kk.len > 0 ? (size_t)kk.len : 0);
                char *vs = mem_strndup((const char *)vv.p, vv.len > 0 ? (size_t)vv.len : 0);
                if (strcmp(ks, "class") == 0) {
                    cls = vs;
                    mem_free(ks);
                } else {
                    keys[n] = ks;
                    vals[n++] = vs;
                }
            }
        }
    }
    const char *c = cls ? cls : "";
    if (strncmp(c, "org.apache.cassandra.locator.", 29) == 0) c += 29;
    /* keys arrive sorted (map order), as the driver sorts NTS dcs */
    put(&b, "{'class': '");
    put(&b, c);
    put(&b, "'");
    if (strcmp(c, "LocalStrategy") != 0) {
        for (int k2 = 0; k2 < n; k2++) {
            put(&b, ", '");
            put(&b, keys[k2]);
            put(&b, "': '");
            put(&b, vals[k2]);
            put(&b, "'");
        }
    }
    put(&b, "}");
    buf_put_u8(&b, 0);
    k->repl = mem_strndup((const char *)b.data, b.len - 1);
    buf_free(&b);
    for (int k2 = 0; k2 < n; k2++) {
        mem_free(keys[k2]);
        mem_free(vals[k2]);
    }
    mem_free(cls);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void on_table(void *ctx, const cqlc_result *r, int32_t i)
{
    struct schema *s = ctx;
    s->tables = mem_realloc(s->tables, sizeof(*s->tables) * (size_t)(s->n_tables + 1));
    struct dtable *t = &s->tables[s->n_tables++];
    memset(t, 0, sizeof(*t));
    t->ks = cell_str(r, i, "keyspace_name");
    t->name = cell_str(r, i, "table_name");
    t->opts = mem_calloc(16, sizeof(char *));
    buf b;
    buf_init(&b);
    for (int k = 0; TABLE_OPTIONS[k]; k++) {
        int j = col_of(r, TABLE_OPTIONS[k]);
        if (j < 0) continue;
        buf_clear(&b);
        if (!option_text(r, i, j, &b)) continue;
        t->opts[t->n_opts++] = mem_strndup((const char *)b.data, b.len);
    }
    buf_free(&b);
    qsort(t->opts, (size_t)t->n_opts, sizeof(char *), cmp_str);
}

static void on_column(void *ctx, const cqlc_result *r, int32_t i)
{
    struct schema *s = ctx;
    s->cols = mem_realloc(s->cols, sizeof(*s->cols) * (size_t)(s->n_cols + 1));
    s->col_table = mem_realloc(s->col_table, sizeof(char *) * (size_t)(s->n_cols + 1));
    struct dcol *c = &s->cols[s->n_cols];
    s->col_table[s->n_cols++] = cell_str(r, i, "table_name");
    c->name = cell_str(r, i, "column_name");
    c->kind = cell_str(r, i, "kind");
    c->type = cell_str(r, i, "type");
    c->order = cell_str(r, i, "clustering_order");
    c->pos = cell_int(r, i, "position");
}

static void on_type(void *ctx, const cqlc_result *r, int32_t i)
{
    struct schema *s = ctx;
    s->types = mem_realloc(s->types, sizeof(*s->types) * (size_t)(s->n_types + 1));
    struct dtype *t = &s->types[s->n_types++];
    memset(t, 0, sizeof(*t));
    t->name = cell_str(r, i, "type_name");
    t->n_fields = cell_list(r, i, "field_names", &t->fnames);
    int nt = cell_list(r, i, "field_types", &t->ftypes);
    if (nt < t->n_fields) t->n_fields = nt;
}

static void schema_free(struct schema *s)
{
    for (int i = 0; i < s->n_ks; i++) {
        mem_free(s->ks[i].name);
        mem_free(s->ks[i].repl);
    }
    mem_free(s->ks);
    for (int i = 0; i < s->n_tables; i++) {
        mem_free(s->tables[i].ks);
        mem_free(s->tables[i].name);
        free_strs(s->tables[i].opts, s->tables[i].n_opts);
        mem_free(s->tables[i].cols);
    }
    mem_free(s->tables);
    for (int i = 0; i < s->n_types; i++) {
        mem_free(s->types[i].name);
        free_strs(s->types[i].fnames, s->types[i].n_fields);
        free_strs(s->types[i].ftypes, s->types[i].n_fields);
    }
    mem_free(s->types);
    for (int i = 0; i < s->n_cols; i++) {
        mem_free(s->cols[i].name);
        mem_free(s->cols[i].kind);
        mem_free(s->cols[i].type);
        mem_free(s->cols[i].order);
        mem_free(s->col_table[i]);
    }
    mem_free(s->cols);
    mem_free(s->col_table);
    memset(s, 0, sizeof(*s));
}

static void cql_quote_value(const char *v, buf *b)
{
    quote_str((const uint8_t *)v, (int32_t)strlen(v), b);
}

/* Load one keyspace (or, with ks NULL, just the keyspace list). */
static int load(struct shell *sh, const char *ks, struct schema *s)
{
    memset(s, 0, sizeof(*s));
    buf q;
    buf_init(&q);
    put(&q, "SELECT * FROM system_schema.keyspaces");
    if (ks) {
        put(&q, " WHERE keyspace_name = ");
        cql_quote_value(ks, &q);
    }
    buf_put_u8(&q, 0);
    int rc = fetch(sh, (const char *)q.data, on_keyspace, s);
    const char *what[3] = {"tables", "columns", "types"};
    row_cb cbs[3] = {on_table, on_column, on_type};
    for (int k = 0; ks && rc == 0 && s->n_ks > 0 && k < 3; k++) {
        buf_clear(&q);
        put(&q, "SELECT * FROM system_schema.");
        put(&q, what[k]);
        put(&q, " WHERE keyspace_name = ");
        cql_quote_value(ks, &q);
        buf_put_u8(&q, 0);
        rc = fetch(sh, (const char *)q.data, cbs[k], s);
    }
    buf_free(&q);
    return rc;
}

/* ---- CQL text ----------------------------------------------------------- */

static void keyspace_cql(const struct dks *k, buf *b)
{
    put(b, "CREATE KEYSPACE ");
    sh_protect_name(k->name, b);
    put(b, " WITH replication = ");
    put(b, k->repl);
    put(b, "  AND durable_writes = ");
    put(b, k->durable ? "true" : "false");
    put(b, ";");
}

static void type_cql(const char *ks, const struct dtype *t, buf *b)
{
    put(b, "CREATE TYPE ");
    sh_protect_name(ks, b);
    buf_put_u8(b, '.');
    sh_protect_name(t->name, b);
    put(b, " (\n");
    for (int i = 0; i < t->n_fields; i++) {
        put(b, "    ");
        sh_protect_name(t->fnames[i], b);
        buf_put_u8(b, ' ');
        put(b, t->ftypes[i]);
        if (i + 1 < t->n_fields) put(b, ",\n");
    }
    put(b, "\n);");
}

static int cmp_pos(const void *a, const void *b)
{
    const struct dcol *x = *(struct dcol *const *)a, *y = *(struct dcol *const *)b;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int cmp_name(const void *a, const void *b)
{
    const struct dcol *x = *(struct dcol *const *)a, *y = *(struct dcol *const *)b;
    return strcmp(x->name, y->name);
}

static void table_cql(const struct schema *s, const struct dtable *t, buf *b)
{
    struct dcol **pk = mem_calloc((size_t)s->n_cols + 1, sizeof(*pk));
    struct dcol **ck = mem_calloc((size_t)s->n_cols + 1, sizeof(*ck));
    struct dcol **rest = mem_calloc((size_t)s->n_cols + 1, sizeof(*rest));
    int npk = 0, nck = 0, nrest = 0;
    for (int i = 0; i < s->n_cols; i++) {
        if (strcmp(s->col_table[i], t->name) != 0) continue;
        struct dcol *c = &s->cols[i];
        if (strcmp(c->kind, "partition_key") == 0)
            pk[npk++] = c;
        else if (strcmp(c->kind, "clustering") == 0)
            ck[nck++] = c;
        else
            rest[nrest++] = c;
    }
    qsort(pk, (size_t)npk, sizeof(*pk), cmp_pos);
    qsort(ck, (size_t)nck, sizeof(*ck), cmp_pos);
    qsort(rest, (size_t)nrest, sizeof(*rest), cmp_name);
    put(b, "CREATE TABLE ");
    sh_protect_name(t->ks, b);
    buf_put_u8(b, '.');
    sh_protect_name(t->name, b);
    put(b, " (\n");
    int first = 1;
    struct dcol **groups[3] = {pk, ck, rest};
    int ng[3] = {npk, nck, nrest};
    for (int g = 0; g < 3; g++) {
        for (int i = 0; i < ng[g]; i++) {
            struct dcol *c = groups[g][i];
            if (!first) put(b, ",\n");
            first = 0;
            put(b, "    ");
            sh_protect_name(c->name, b);
            buf_put_u8(b, ' ');
            put(b, c->type);
            if (strcmp(c->kind, "static") == 0) put(b, " static");
            if (g == 0 && npk == 1 && nck == 0) put(b, " PRIMARY KEY");
        }
    }
    if (npk > 1 || nck > 0) {
        put(b, ",\n    PRIMARY KEY (");
        if (npk > 1) buf_put_u8(b, '(');
        for (int i = 0; i < npk; i++) {
            if (i) put(b, ", ");
            sh_protect_name(pk[i]->name, b);
        }
        if (npk > 1) buf_put_u8(b, ')');
        for (int i = 0; i < nck; i++) {
            put(b, ", ");
            sh_protect_name(ck[i]->name, b);
        }
        buf_put_u8(b, ')');
    }
    put(b, "\n) WITH ");
    int nprop = 0;
    if (nck > 0) {
        put(b, "CLUSTERING ORDER BY (");
        for (int i = 0; i < nck; i++) {
            if (i) put(b, ", ");
            sh_protect_name(ck[i]->name, b);
            put(b, strcasecmp(ck[i]->order, "desc") == 0 ? " DESC" : " ASC");
        }
        buf_put_u8(b, ')');
        nprop++;
    }
    for (int i = 0; i < t->n_opts; i++) {
        if (nprop++) put(b, "\n    AND ");
        put(b, t->opts[i]);
    }
    put(b, ";");
    mem_free(pk);
    mem_free(ck);
    mem_free(rest);
}

/* Does type string `ts` mention the UDT name `n` (as an identifier)? */
static int mentions(const char *ts, const char *n)
{
    size_t ln = strlen(n);
    for (const char *p = ts; *p;) {
        if (isalnum((unsigned char)*p) || *p == '_' || *p == '"') {
            const char *st = p;
            int quoted = *p == '"';
            if (quoted) {
                p++;
                st = p;
                while (*p && *p != '"')
                    p++;
            } else {
                while (*p && (isalnum((unsigned char)*p) || *p == '_'))
                    p++;
            }
            if ((size_t)(p - st) == ln && strncmp(st, n, ln) == 0) return 1;
            if (quoted && *p) p++;
        } else {
            p++;
        }
    }
    return 0;
}

static void emit_stmt(buf *b)
{
    fputc('\n', stdout);
    fwrite(b->data, 1, b->len, stdout);
    fputc('\n', stdout);
}

static void resolve_type(struct schema *s, const char *ks, int idx)
{
    struct dtype *t = &s->types[idx];
    if (t->done) return;
    t->done = 1;
    for (int f = 0; f < t->n_fields; f++)
        for (int k = 0; k < s->n_types; k++)
            if (!s->types[k].done && mentions(t->ftypes[f], s->types[k].name))
                resolve_type(s, ks, k);
    buf b;
    buf_init(&b);
    type_cql(ks, t, &b);
    emit_stmt(&b);
    buf_free(&b);
}

static int cmp_type(const void *a, const void *b)
{
    return strcmp(((const struct dtype *)a)->name, ((const struct dtype *)b)->name);
}

static int cmp_table(const void *a, const void *b)
{
    return strcmp(((const struct dtable *)a)->name, ((const struct dtable *)b)->name);
}

/* Every statement of keyspace `ks` (export_as_string). 0, or -1 if the
 * keyspace does not exist (nothing printed). */
static int describe_keyspace(struct shell *sh, const char *ks)
{
    struct schema s;
    if (load(sh, ks, &s) != 0) {
        schema_free(&s);
        return 0;
    }
    if (s.n_ks == 0) {
        schema_free(&s);
        return -1;
    }
    buf b;
    buf_init(&b);
    keyspace_cql(&s.ks[0], &b);
    emit_stmt(&b);
    qsort(s.types, (size_t)s.n_types, sizeof(*s.types), cmp_type);
    for (int i = 0; i < s.n_types; i++)
        resolve_type(&s, ks, i);
    qsort(s.tables, (size_t)s.n_tables, sizeof(*s.tables), cmp_table);
    for (int i = 0; i < s.n_tables; i++) {
        buf_clear(&b);
        table_cql(&s, &s.tables[i], &b);
        emit_stmt(&b);
    }
    buf_free(&b);
    schema_free(&s);
    return 0;
}

static int is_system_keyspace(const char *n)
{
    static const char *const sys[] = {"system",
                                      "system_schema",
                                      "system_auth",
                                      "system_distributed",
                                      "system_traces",
                                      "system_views",
                                      "system_virtual_schema",
                                      "system_cluster_metadata",
                                      NULL};
    for (int i = 0; sys[i]; i++)
        if (strcmp(sys[i], n) == 0) return 1;
    return 0;
}

/* ---- listing ------------------------------------------------------------- */

struct namelist {
    char **ks, **name;
    int n;
};

static void on_name(void *ctx, const cqlc_result *r, int32_t i)
{
    struct namelist *l = ctx;
    l->ks = mem_realloc(l->ks, sizeof(char *) * (size_t)(l->n + 1));
    l->name = mem_realloc(l->name, sizeof(char *) * (size_t)(l->n + 1));
    const struct type_val *a = cqlc_cell(r, i, 0), *b = cqlc_cell(r, i, 1);
    l->ks[l->n] =
        mem_strndup(a->len > 0 ? (const char *)a->p : "", a->len > 0 ? (size_t)a->len : 0);
    char *raw = mem_strndup(b->len > 0 ? (const char *)b->p : "", b->len > 0 ? (size_t)b->len : 0);
    buf q;
    buf_init(&q);
    sh_protect_name(raw, &q);
    l->name[l->n++] = mem_strndup((const char *)q.data, q.len);
    buf_free(&q);
    mem_free(raw);
}

static int cmp_pair_idx;
static struct namelist *cmp_pair_list;
static int cmp_pair(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    int c = strcmp(cmp_pair_list->ks[x], cmp_pair_list->ks[y]);
    return c ? c : strcmp(cmp_pair_list->name[x], cmp_pair_list->name[y]);
}

/* DESCRIBE TABLES / TYPES (cqlsh describe_list). */
static void describe_list(struct shell *sh, const char *what, const char *namecol)
{
    struct namelist l = {0};
    char q[256];
    snprintf(q, sizeof(q), "SELECT keyspace_name, %s FROM system_schema.%s", namecol, what);
    if (fetch(sh, q, on_name, &l) != 0) goto out;
    int *idx = mem_calloc((size_t)l.n + 1, sizeof(int));
    int n = 0;
    for (int i = 0; i < l.n; i++)
        if (!sh->keyspace[0] || strcmp(l.ks[i], sh->keyspace) == 0) idx[n++] = i;
    cmp_pair_list = &l;
    (void)cmp_pair_idx;
    qsort(idx, (size_t)n, sizeof(int), cmp_pair);
    int i = 0;
    while (i < n) {
        const char *ks = l.ks[idx[i]];
        int j = i;
        char **names = mem_calloc((size_t)n, sizeof(char *));
        int k = 0;
        while (j < n && strcmp(l.ks[idx[j]], ks) == 0)
            names[k++] = l.name[idx[j++]];
        fputc('\n', stdout);
        if (!sh->keyspace[0]) {
            printf("Keyspace %s\n---------", ks);
            for (size_t d = 0; d < strlen(ks); d++)
                fputc('-', stdout);
            fputc('\n', stdout);
        }
        disp_columnize(names, k, 80);
        mem_free(names);
        i = j;
    }
    if (n > 0) fputc('\n', stdout);
    mem_free(idx);
out:
    free_strs(l.ks, l.n);
    free_strs(l.name, l.n);
}

/* ---- entry -------------------------------------------------------------- */

/* Parse "[ks.]name" from words w[i..]; returns words used (0 if none). */
static int parse_qualified(struct words *w, int i, char *ks, size_t ksz, char *name, size_t nsz)
{
    ks[0] = name[0] = 0;
    if (i >= w->n) return 0;
    if (i + 2 < w->n && strcmp(w->w[i + 1], ".") == 0) {
        sh_unprotect_name(w->w[i], strlen(w->w[i]), ks, ksz);
        sh_unprotect_name(w->w[i + 2], strlen(w->w[i + 2]), name, nsz);
        return 3;
    }
    sh_unprotect_name(w->w[i], strlen(w->w[i]), name, nsz);
    return 1;
}

static int describe_table(struct shell *sh, const char *ks, const char *table, int quiet)
{
    struct schema s;
    if (load(sh, ks, &s) != 0) {
        schema_free(&s);
        return 0;
    }
    int found = -1;
    for (int i = 0; i < s.n_tables; i++)
        if (strcmp(s.tables[i].name, table) == 0) found = i;
    if (found >= 0) {
        buf b;
        buf_init(&b);
        table_cql(&s, &s.tables[found], &b);
        emit_stmt(&b);
        buf_free(&b);
    } else if (!quiet) {
        if (s.n_ks == 0)
            sh_printerr(sh, "'%s' not found in keyspaces", ks);
        else
            sh_printerr(sh, "'%s' not found in keyspace '%s'", table, ks);
    }
    schema_free(&s);
    return found >= 0 ? 0 : -1;
}

void desc_run(struct shell *sh, const char *args)
{
    struct words w;
    sh_words_split(args, &w);
    char ks[256], name[256];
    const char *what = w.n > 0 ? w.w[0] : "";
    if (w.n == 0) {
        sh_printerr(sh, "Improper describe command.");
    } else if (strcasecmp(what, "keyspaces") == 0 && w.n == 1) {
        struct schema s;
        if (load(sh, NULL, &s) == 0) {
            char **names = mem_calloc((size_t)s.n_ks + 1, sizeof(char *));
            for (int i = 0; i < s.n_ks; i++) {
                buf q;
                buf_init(&q);
                sh_protect_name(s.ks[i].name, &q);
                names[i] = mem_strndup((const char *)q.data, q.len);
                buf_free(&q);
            }
            qsort(names, (size_t)s.n_ks, sizeof(char *), cmp_str);
            fputc('\n', stdout);
            disp_columnize(names, s.n_ks, 80);
            fputc('\n', stdout);
            free_strs(names, s.n_ks);
        }
        schema_free(&s);
    } else if ((strcasecmp(what, "keyspace") == 0 && w.n <= 2) ||
               (strcasecmp(what, "only") == 0 && w.n <= 3)) {
        int at = strcasecmp(what, "only") == 0 ? 2 : 1;
        if (at < w.n)
            sh_unprotect_name(w.w[at], strlen(w.w[at]), ks, sizeof(ks));
        else
            snprintf(ks, sizeof(ks), "%s", sh->keyspace);
        if (!ks[0])
            sh_printerr(sh, "No keyspace specified and no current keyspace");
        else if (describe_keyspace(sh, ks) != 0)
            sh_printerr(sh, "'%s' not found in keyspaces", ks);
    } else if ((strcasecmp(what, "tables") == 0 || strcasecmp(what, "columnfamilies") == 0) &&
               w.n == 1) {
        describe_list(sh, "tables", "table_name");
    } else if (strcasecmp(what, "types") == 0 && w.n == 1) {
        describe_list(sh, "types", "type_name");
    } else if ((strcasecmp(what, "table") == 0 || strcasecmp(what, "columnfamily") == 0) &&
               w.n >= 2) {
        int used = parse_qualified(&w, 1, ks, sizeof(ks), name, sizeof(name));
        if (!ks[0]) snprintf(ks, sizeof(ks), "%s", sh->keyspace);
        if (1 + used != w.n)
            sh_printerr(sh, "Improper describe command.");
        else if (!ks[0])
            sh_printerr(sh, "No keyspace specified and no current keyspace");
        else
            describe_table(sh, ks, name, 0);
    } else if (strcasecmp(what, "type") == 0 && w.n >= 2) {
        int used = parse_qualified(&w, 1, ks, sizeof(ks), name, sizeof(name));
        if (!ks[0]) snprintf(ks, sizeof(ks), "%s", sh->keyspace);
        if (1 + used != w.n) {
            sh_printerr(sh, "Improper describe command.");
        } else if (!ks[0]) {
            sh_printerr(sh, "No keyspace specified and no current keyspace");
        } else {
            struct schema s;
            if (load(sh, ks, &s) == 0) {
                int found = 0;
                for (int i = 0; i < s.n_types; i++) {
                    if (strcmp(s.types[i].name, name) != 0) continue;
                    buf b;
                    buf_init(&b);
                    type_cql(ks, &s.types[i], &b);
                    emit_stmt(&b);
                    buf_free(&b);
                    found = 1;
                }
                if (!found && s.n_ks == 0)
                    sh_printerr(sh, "'%s' not found in keyspaces", ks);
                else if (!found)
                    sh_printerr(sh, "User defined type '%s' not found in '%s'", name, ks);
            }
            schema_free(&s);
        }
    } else if ((strcasecmp(what, "schema") == 0 && w.n == 1) ||
               (strcasecmp(what, "full") == 0 && w.n == 2 && strcasecmp(w.w[1], "schema") == 0)) {
        int full = strcasecmp(what, "full") == 0;
        struct schema s;
        if (load(sh, NULL, &s) == 0) {
            char **names = mem_calloc((size_t)s.n_ks + 1, sizeof(char *));
            int n = 0;
            for (int i = 0; i < s.n_ks; i++)
                if (full || !is_system_keyspace(s.ks[i].name))
                    names[n++] = mem_strndup(s.ks[i].name, strlen(s.ks[i].name));
            qsort(names, (size_t)n, sizeof(char *), cmp_str);
            for (int i = 0; i < n; i++)
                describe_keyspace(sh, names[i]);
            free_strs(names, n);
        }
        schema_free(&s);
    } else if (strcasecmp(what, "cluster") == 0 && w.n == 1) {
        printf("\nCluster: %s\nPartitioner: Murmur3Partitioner\nSnitch: "
               "org.apache.cassandra.locator.SimpleSnitch\n\n",
               sh->cluster_name);
    } else {
        /* DESCRIBE <name>: a keyspace, else a table */
        int used = parse_qualified(&w, 0, ks, sizeof(ks), name, sizeof(name));
        if (used != w.n) {
            sh_printerr(sh, "Improper describe command.");
        } else if (!ks[0]) {
            if (describe_keyspace(sh, name) == 0) {
                /* printed */
            } else if (!sh->keyspace[0]) {
                sh_printerr(sh, "'%s' not found in keyspaces", name);
            } else if (describe_table(sh, sh->keyspace, name, 1) != 0) {
                sh_printerr(sh, "'%s' not found in keyspace '%s'", name, sh->keyspace);
            }
        } else {
            describe_table(sh, ks, name, 0);
        }
    }
    sh_words_free(&w);
    fflush(stdout);
}
