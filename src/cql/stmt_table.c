/*
 * stmt_table.c -- CREATE / ALTER / DROP TABLE, TRUNCATE, CREATE / DROP
 * TYPE: validation with Cassandra's messages, then a schema change through
 * the migration service (shard 0 applies, persists, installs everywhere).
 *
 * Table options are stored exactly as system_schema.tables holds them:
 * each value encoded in that column's CQL type (schema_opt), with
 * Cassandra 4.1's defaults filled in at CREATE time.
 */
#include "cql/cql_int.h"
#include "db/db.h"
#include "util/md5.h"
#include "util/mem.h"
#include "util/uuid.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------ types */

static const enum type_kind native_kinds[] = {
    [CQL_NATIVE_ASCII] = TYPE_ASCII,       [CQL_NATIVE_BIGINT] = TYPE_BIGINT,
    [CQL_NATIVE_BLOB] = TYPE_BLOB,         [CQL_NATIVE_BOOLEAN] = TYPE_BOOLEAN,
    [CQL_NATIVE_COUNTER] = TYPE_COUNTER,   [CQL_NATIVE_DATE] = TYPE_DATE,
    [CQL_NATIVE_DECIMAL] = TYPE_DECIMAL,   [CQL_NATIVE_DOUBLE] = TYPE_DOUBLE,
    [CQL_NATIVE_DURATION] = TYPE_DURATION, [CQL_NATIVE_FLOAT] = TYPE_FLOAT,
    [CQL_NATIVE_INET] = TYPE_INET,         [CQL_NATIVE_INT] = TYPE_INT,
    [CQL_NATIVE_SMALLINT] = TYPE_SMALLINT, [CQL_NATIVE_TEXT] = TYPE_VARCHAR,
    [CQL_NATIVE_TIME] = TYPE_TIME,         [CQL_NATIVE_TIMESTAMP] = TYPE_TIMESTAMP,
    [CQL_NATIVE_TIMEUUID] = TYPE_TIMEUUID, [CQL_NATIVE_TINYINT] = TYPE_TINYINT,
    [CQL_NATIVE_UUID] = TYPE_UUID,         [CQL_NATIVE_VARCHAR] = TYPE_VARCHAR,
    [CQL_NATIVE_VARINT] = TYPE_VARINT,
};

enum type_kind cql_native_kind(enum cql_native n)
{
    return native_kinds[n];
}

static int is_collection(const struct type *t)
{
    return t->kind == TYPE_LIST || t->kind == TYPE_SET || t->kind == TYPE_MAP;
}

/* Formats an AST type back to CQL for messages. */
static void ast_type_text(const struct cql_type *t, buf *b)
{
    static const char *names[] = {"list", "set", "map", "tuple", "vector"};
    if (t->frozen) buf_put(b, "frozen<", 7);
    switch (t->kind) {
    case CQL_TYPE_NATIVE: {
        const char *n = type_kind_name(native_kinds[t->native]);
        if (t->native == CQL_NATIVE_VARCHAR) n = "varchar";
        buf_put(b, n, strlen(n));
        break;
    }
    case CQL_TYPE_UDT: buf_put(b, t->udt.name, strlen(t->udt.name)); break;
    case CQL_TYPE_CUSTOM: buf_put(b, t->custom, strlen(t->custom)); break;
    default: {
        const char *n = names[t->kind - CQL_TYPE_LIST];
        buf_put(b, n, strlen(n));
        buf_put_u8(b, '<');
        for (int i = 0; i < t->n_params; i++) {
            if (i) buf_put(b, ", ", 2);
            ast_type_text(t->params[i], b);
        }
        if (t->kind == CQL_TYPE_VECTOR) {
            char d[16];
            int n2 = snprintf(d, sizeof(d), ", %d", t->vector_dim);
            buf_put(b, d, (size_t)n2);
        }
        buf_put_u8(b, '>');
    }
    }
    if (t->frozen) buf_put_u8(b, '>');
}

/* AST type -> struct type in the request arena, UDTs resolved against ks.
 * inside: 1 when nested in a collection/tuple/UDT. Errors written into r. */
static struct type *build_type(struct cql_req *r, const struct schema_keyspace *ks,
                               const struct cql_type *ct, int inside, const struct cql_type *top)
{
    arena *a = &r->arena;
    struct type *t = arena_calloc(a, sizeof(*t));
    if (!t) goto oom;
    t->frozen = ct->frozen;
    switch (ct->kind) {
    case CQL_TYPE_NATIVE:
        t->kind = native_kinds[ct->native];
        if (t->kind == TYPE_COUNTER && inside) {
            buf tb;
            buf_init(&tb);
            ast_type_text(top, &tb);
            cql_error(r, PROTO_ERR_INVALID, "Counters are not allowed inside collections: %.*s",
                      (int)tb.len, (char *)tb.data);
            buf_free(&tb);
            return NULL;
        }
        return (struct type *)type_native(t->kind);
    case CQL_TYPE_LIST:
    case CQL_TYPE_SET:
    case CQL_TYPE_MAP:
    case CQL_TYPE_TUPLE:
    case CQL_TYPE_VECTOR:
        t->kind = ct->kind == CQL_TYPE_LIST    ? TYPE_LIST
                  : ct->kind == CQL_TYPE_SET   ? TYPE_SET
                  : ct->kind == CQL_TYPE_MAP   ? TYPE_MAP
                  : ct->kind == CQL_TYPE_TUPLE ? TYPE_TUPLE
                                               : TYPE_VECTOR;
        if (t->kind == TYPE_TUPLE || t->kind == TYPE_VECTOR) t->frozen = 1;
        if (inside == 2 && is_collection(t)) t->frozen = 1; /* in a tuple: implicitly frozen */
        if (inside == 1 && is_collection(t) && !t->frozen) {
            buf tb;
            buf_init(&tb);
            ast_type_text(top, &tb);
            cql_error(r, PROTO_ERR_INVALID,
                      "Non-frozen collections are not allowed inside "
                      "collections: %.*s",
                      (int)tb.len, (char *)tb.data);
            buf_free(&tb);
            return NULL;
        }
        t->n_params = ct->n_params;
        t->params = arena_calloc(a, sizeof(*t->params) * (size_t)(ct->n_params ? ct->n_params : 1));
        if (!t->params) goto oom;
        for (int i = 0; i < ct->n_params; i++)
            if (!(t->params[i] =
                      build_type(r, ks, ct->params[i], t->kind == TYPE_TUPLE ? 2 : 1, top)))
                return NULL;
        if (t->kind == TYPE_VECTOR) {
            if (ct->vector_dim <= 0) {
                cql_error(r, PROTO_ERR_INVALID,
                          "vectors may only have positive dimensions; given %d", ct->vector_dim);
                return NULL;
            }
            t->dim = ct->vector_dim;
        }
        return t;
    case CQL_TYPE_UDT: {
        if (ct->udt.ks && strcmp(ct->udt.ks, ks->name) != 0) {
            cql_error(r, PROTO_ERR_INVALID,
                      "Statement on keyspace %s cannot refer to a user type in keyspace %s; user "
                      "types can only be used in the keyspace they are defined in",
                      ks->name, ct->udt.ks);
            return NULL;
        }
        const struct schema_udt *u = schema_find_udt(ks, ct->udt.name);
        if (!u) {
            cql_error(r, PROTO_ERR_INVALID, "Unknown type %s.%s", ks->name, ct->udt.name);
            return NULL;
        }
        if (inside == 2) t->frozen = 1;
        if (inside == 1 && !t->frozen) {
            cql_error(r, PROTO_ERR_INVALID,
                      "Non-frozen UDTs are not allowed inside collections: %s", ct->udt.name);
            return NULL;
        }
        t->kind = TYPE_UDT;
        t->name = arena_strndup(a, u->name, strlen(u->name));
        t->ks = arena_strndup(a, ks->name, strlen(ks->name));
        t->n_params = u->n_fields;
        t->params = arena_alloc(a, sizeof(*t->params) * (size_t)(u->n_fields ? u->n_fields : 1));
        t->field_names = arena_alloc(a, sizeof(char *) * (size_t)(u->n_fields ? u->n_fields : 1));
        if (!t->name || !t->ks || !t->params || !t->field_names) goto oom;
        for (int i = 0; i < u->n_fields; i++) {
            t->params[i] = u->field_types[i];
            t->field_names[i] = u->field_names[i];
        }
        return t;
    }
    case CQL_TYPE_CUSTOM:
        t->kind = TYPE_CUSTOM;
        t->name = arena_strndup(a, ct->custom, strlen(ct->custom));
        return t->name ? t : NULL;
    }
oom:
    cql_error(r, PROTO_ERR_SERVER, "Out of memory");
    return NULL;
}

struct type *cql_build_type(struct cql_req *r, const struct schema_keyspace *ks,
                            const struct cql_type *ct)
{
    return build_type(r, ks, ct, 0, ct);
}

/* ------------------------------------------------------------ options */

struct opt_val {
    const char *name;
    enum { OV_TEXT, OV_INT, OV_DOUBLE, OV_BOOL, OV_MAP, OV_BLOBMAP } kind;
};

static const struct opt_val table_opts[] = {
    {"additional_write_policy", OV_TEXT},
    {"bloom_filter_fp_chance", OV_DOUBLE},
    {"caching", OV_MAP},
    {"cdc", OV_BOOL},
    {"comment", OV_TEXT},
    {"compaction", OV_MAP},
    {"compression", OV_MAP},
    {"crc_check_chance", OV_DOUBLE},
    {"default_time_to_live", OV_INT},
    {"extensions", OV_BLOBMAP},
    {"gc_grace_seconds", OV_INT},
    {"max_index_interval", OV_INT},
    {"memtable", OV_TEXT},
    {"memtable_flush_period_in_ms", OV_INT},
    {"min_index_interval", OV_INT},
    {"read_repair", OV_TEXT},
    {"speculative_retry", OV_TEXT},
};

static void enc_map(buf *b, const char *const *kv, int n)
{
    buf_put_be32(b, (uint32_t)n);
    for (int i = 0; i < 2 * n; i++) {
        size_t l = strlen(kv[i]);
        buf_put_be32(b, (uint32_t)l);
        buf_put(b, kv[i], l);
    }
}

static int set_text(struct schema_table *t, const char *name, const char *v)
{
    return schema_table_set_opt(t, name, v, (int32_t)strlen(v));
}

static int set_int(struct schema_table *t, const char *name, int32_t v)
{
    uint8_t b[4];
    put_be32(b, (uint32_t)v);
    return schema_table_set_opt(t, name, b, 4);
}

static int set_double(struct schema_table *t, const char *name, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, 8);
    uint8_t b[8];
    put_be64(b, bits);
    return schema_table_set_opt(t, name, b, 8);
}

static int set_map(struct schema_table *t, const char *name, const char *const *kv, int n)
{
    buf b;
    buf_init(&b);
    enc_map(&b, kv, n);
    int rc = buf_ok(&b) ? schema_table_set_opt(t, name, b.data, (int32_t)b.len) : -1;
    buf_free(&b);
    return rc;
}

static int set_defaults(struct schema_table *t)
{
    static const char *caching[] = {"keys", "ALL", "rows_per_partition", "NONE"};
    static const char *compaction[] = {
        "class",         "org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy",
        "max_threshold", "32",
        "min_threshold", "4"};
    static const char *compression[] = {"chunk_length_in_kb", "16", "class",
                                        "org.apache.cassandra.io.compress.LZ4Compressor"};
    uint8_t empty[4] = {0, 0, 0, 0};
    if (set_text(t, "additional_write_policy", "99p") ||
        set_double(t, "bloom_filter_fp_chance", 0.01) || set_map(t, "caching", caching, 2) ||
        set_text(t, "comment", "") || set_map(t, "compaction", compaction, 3) ||
        set_map(t, "compression", compression, 2) || set_double(t, "crc_check_chance", 1.0) ||
        set_int(t, "default_time_to_live", 0) || schema_table_set_opt(t, "extensions", empty, 4) ||
        set_int(t, "gc_grace_seconds", 864000) || set_int(t, "max_index_interval", 2048) ||
        set_int(t, "memtable_flush_period_in_ms", 0) || set_int(t, "min_index_interval", 128) ||
        set_text(t, "read_repair", "BLOCKING") || set_text(t, "speculative_retry", "99p"))
        return -1;
    return 0;
}

static const char *term_text(struct cql_req *r, const struct cql_term *v)
{
    return arena_strndup(&r->arena, v->constant.text, v->constant.len);
}

static const char *class_full(struct cql_req *r, const char *cls, const char *pkg)
{
    if (strchr(cls, '.')) return cls;
    size_t n = strlen(pkg) + strlen(cls) + 1;
    char *f = arena_alloc(&r->arena, n);
    if (f) snprintf(f, n, "%s%s", pkg, cls);
    return f;
}

/* Validates and stores one WITH option into t (a clone). -1 with error. */
static int apply_option(struct cql_req *r, struct schema_table *t, const struct cql_property *p)
{
    const struct opt_val *ov = NULL;
    for (size_t i = 0; i < sizeof(table_opts) / sizeof(table_opts[0]); i++)
        if (strcmp(table_opts[i].name, p->name) == 0) ov = &table_opts[i];
    if (!ov) {
        if (strcmp(p->name, "id") == 0) return 0; /* handled by the caller */
        cql_error(r, PROTO_ERR_SYNTAX, "Unknown property '%s'", p->name);
        return -1;
    }
    int want_map = ov->kind == OV_MAP || ov->kind == OV_BLOBMAP;
    if (want_map != p->is_map) {
        if (want_map)
            cql_error(r, PROTO_ERR_SYNTAX, "Invalid value for property '%s'. It should be a map.",
                      p->name);
        else
            cql_error(r, PROTO_ERR_SYNTAX, "Invalid value for property '%s'. It should be a %s.",
                      p->name, ov->kind == OV_TEXT ? "string" : "number");
        return -1;
    }
    if (ov->kind == OV_MAP) {
        const char *kv[128];
        int n = 0, have_class = 0;
        for (int i = 0; i < p->n_entries && n < 60; i++) {
            const char *k = term_text(r, p->keys[i]), *v = term_text(r, p->values[i]);
            if (!k || !v) goto oom;
            if (strcmp(k, "class") == 0 || strcmp(k, "sstable_compression") == 0) {
                have_class = 1;
                k = "class";
                v = class_full(r, v,
                               strcmp(p->name, "compaction") == 0
                                   ? "org.apache.cassandra.db.compaction."
                                   : "org.apache.cassandra.io.compress.");
                if (!v) goto oom;
            }
            kv[2 * n] = k;
            kv[2 * n + 1] = v;
            n++;
        }
        if (strcmp(p->name, "compaction") == 0) {
            if (!have_class) {
                cql_error(r, PROTO_ERR_CONFIG,
                          "Missing sub-option 'class' for the 'compaction' "
                          "option.");
                return -1;
            }
            int has_min = 0, has_max = 0;
            for (int i = 0; i < n; i++) {
                has_min |= strcmp(kv[2 * i], "min_threshold") == 0;
                has_max |= strcmp(kv[2 * i], "max_threshold") == 0;
            }
            if (!has_max) {
                kv[2 * n] = "max_threshold";
                kv[2 * n + 1] = "32";
                n++;
            }
            if (!has_min) {
                kv[2 * n] = "min_threshold";
                kv[2 * n + 1] = "4";
                n++;
            }
        }
        if (strcmp(p->name, "compression") == 0 && have_class) {
            int has_chunk = 0;
            for (int i = 0; i < n; i++)
                has_chunk |= strcmp(kv[2 * i], "chunk_length_in_kb") == 0;
            if (!has_chunk) {
                kv[2 * n] = "chunk_length_in_kb";
                kv[2 * n + 1] = "16";
                n++;
            }
        }
        /* map<text, text> values are sorted by key */
        for (int i = 1; i < n; i++)
            for (int j = i; j > 0 && strcmp(kv[2 * (j - 1)], kv[2 * j]) > 0; j--) {
                const char *tk = kv[2 * j], *tv = kv[2 * j + 1];
                kv[2 * j] = kv[2 * (j - 1)];
                kv[2 * j + 1] = kv[2 * (j - 1) + 1];
                kv[2 * (j - 1)] = tk;
                kv[2 * (j - 1) + 1] = tv;
            }
        return set_map(t, p->name, kv, n) < 0
                   ? (cql_error(r, PROTO_ERR_SERVER, "Out of memory"), -1)
                   : 0;
    }
    if (ov->kind == OV_BLOBMAP) return 0; /* extensions: accepted, kept empty */
    const struct cql_term *v = p->value;
    const char *txt = term_text(r, v);
    if (!txt) goto oom;
    char *end;
    switch (ov->kind) {
    case OV_TEXT:
        if (v->constant.kind != CQL_CONST_STRING && v->constant.kind != CQL_CONST_IDENT) break;
        if (strcmp(p->name, "speculative_retry") == 0 ||
            strcmp(p->name, "additional_write_policy") == 0) {
            /* Cassandra normalises: 99PERCENTILE -> 99p, 50MS -> 50ms, always/never upper */
            char norm[64];
            size_t n = strlen(txt);
            if (n > 10 && strcasecmp(txt + n - 10, "percentile") == 0)
                snprintf(norm, sizeof(norm), "%.*sp", (int)(n - 10), txt);
            else if (strcasecmp(txt, "always") == 0 || strcasecmp(txt, "never") == 0 ||
                     strcasecmp(txt, "none") == 0)
                snprintf(norm, sizeof(norm), "%s",
                         strcasecmp(txt, "always") == 0 ? "ALWAYS" : "NEVER");
            else {
                snprintf(norm, sizeof(norm), "%s", txt);
                for (char *q = norm; *q; q++)
                    if (*q >= 'A' && *q <= 'Z') *q = (char)(*q - 'A' + 'a');
            }
            return set_text(t, p->name, norm) ? -1 : 0;
        }
        return set_text(t, p->name, txt) ? -1 : 0;
    case OV_INT: {
        errno = 0;
        long long x = strtoll(txt, &end, 10);
        if (v->constant.kind != CQL_CONST_INTEGER && v->constant.kind != CQL_CONST_STRING) break;
        if (errno || *end || x < INT32_MIN || x > INT32_MAX) {
            cql_error(r, PROTO_ERR_SYNTAX, "Invalid integer value %s for '%s'", txt, p->name);
            return -1;
        }
        if (x < 0 && (strcmp(p->name, "default_time_to_live") == 0 ||
                      strcmp(p->name, "gc_grace_seconds") == 0)) {
            cql_error(r, PROTO_ERR_CONFIG, "%s must be greater than or equal to 0 (got %lld)",
                      p->name, x);
            return -1;
        }
        if (strcmp(p->name, "default_time_to_live") == 0 && x > 630720000) {
            cql_error(r, PROTO_ERR_CONFIG,
                      "default_time_to_live must be less than or equal to "
                      "630720000 (got %lld)",
                      x);
            return -1;
        }
        return set_int(t, p->name, (int32_t)x) ? -1 : 0;
    }
    case OV_DOUBLE: {
        errno = 0;
        double d = strtod(txt, &end);
        if (errno || *end) {
            cql_error(r, PROTO_ERR_SYNTAX, "Invalid double value %s for '%s'", txt, p->name);
            return -1;
        }
        if (strcmp(p->name, "bloom_filter_fp_chance") == 0 && (d <= 0 || d > 1)) {
            cql_error(r, PROTO_ERR_CONFIG,
                      "bloom_filter_fp_chance must be larger than 0 and less "
                      "than or equal to 1.0 (got %s)",
                      txt);
            return -1;
        }
        return set_double(t, p->name, d) ? -1 : 0;
    }
    case OV_BOOL: {
        uint8_t bv;
        if (!strcasecmp(txt, "true"))
            bv = 1;
        else if (!strcasecmp(txt, "false"))
            bv = 0;
        else {
            cql_error(r, PROTO_ERR_SYNTAX, "Invalid boolean value %s for '%s' property", txt,
                      p->name);
            return -1;
        }
        return schema_table_set_opt(t, p->name, &bv, 1) ? -1 : 0;
    }
    default: break;
    }
    cql_error(r, PROTO_ERR_SYNTAX, "Invalid value for property '%s'", p->name);
    return -1;
oom:
    cql_error(r, PROTO_ERR_SERVER, "Out of memory");
    return -1;
}

static int apply_options(struct cql_req *r, struct schema_table *t, const struct cql_props *props)
{
    for (int i = 0; i < props->n; i++)
        if (apply_option(r, t, props->items[i]) < 0) return -1;
    return 0;
}

/* ------------------------------------------------------------ changes */

enum tchange_kind { TC_CREATE_TABLE, TC_ALTER_TABLE, TC_DROP_TABLE, TC_CREATE_TYPE, TC_DROP_TYPE };

struct tchange {
    enum tchange_kind kind;
    char ks[64], name[64];
    int if_flag;
    struct schema_table *table; /* CREATE: the new table (heap, ours) */
    struct schema_udt *udt;     /* CREATE TYPE (heap, ours) */
    /* ALTER: the edit, replayed on shard 0 against the authoritative table */
    const struct cql_alter_table *alter;
    struct cql_req *r;
    struct schema_table *altered; /* ALTER: built by the request shard from its snapshot */
    int base_next_col_id;         /* ALTER: the snapshot's next_col_id it started from */
    int base_n_cols;
};

static int sp_fail(struct sp_change *c, int code, const char *fmt, const char *a, const char *b)
{
    c->rc = SP_ERROR;
    c->err_code = code;
    snprintf(c->err_msg, sizeof(c->err_msg), fmt, a, b);
    return SP_ERROR;
}

static const char *used_by(const struct schema_keyspace *ks, const char *udt)
{
    for (int i = 0; i < ks->n_tables; i++)
        for (int j = 0; j < ks->tables[i]->n_cols; j++) {
            buf b;
            buf_init(&b);
            type_format(ks->tables[i]->cols[j].type, &b);
            buf_put_u8(&b, 0);
            int hit = 0;
            if (buf_ok(&b)) {
                /* the type text names the UDT as a whole word */
                const char *s = (const char *)b.data;
                size_t n = strlen(udt);
                for (const char *q = strstr(s, udt); q && !hit; q = strstr(q + 1, udt))
                    hit = (q == s || strchr("<, ", q[-1])) && strchr(">, ", q[n] ? q[n] : ' ');
            }
            buf_free(&b);
            if (hit) return ks->tables[i]->name;
        }
    return NULL;
}

/* On shard 0 (migration invariant 1). */
static int tapply(struct sp_change *c, const struct schema *cur, struct schema **out)
{
    struct tchange *tc = c->arg;
    const struct schema_keyspace *ks = schema_find_ks(cur, tc->ks);
    c->ev.target =
        tc->kind == TC_CREATE_TYPE || tc->kind == TC_DROP_TYPE ? SP_TARGET_TYPE : SP_TARGET_TABLE;
    snprintf(c->ev.keyspace, sizeof(c->ev.keyspace), "%s", tc->ks);
    snprintf(c->ev.name, sizeof(c->ev.name), "%s", tc->name);
    if (!ks) return sp_fail(c, PROTO_ERR_INVALID, "Keyspace '%s' doesn't exist%s", tc->ks, "");
    if (ks->is_system)
        return sp_fail(c, PROTO_ERR_UNAUTHORIZED, "%s keyspace is not user-modifiable.%s", tc->ks,
                       "");
    const struct schema_table *old = schema_find_table(ks, tc->name);
    const struct schema_udt *old_udt = schema_find_udt(ks, tc->name);
    switch (tc->kind) {
    case TC_CREATE_TABLE:
        if (old) {
            if (tc->if_flag) return SP_NOOP;
            return sp_fail(c, PROTO_ERR_ALREADY_EXISTS,
                           "Cannot add already existing table \"%s\" to keyspace \"%s\"", tc->name,
                           tc->ks);
        }
        c->ev.change = SP_CHANGE_CREATED;
        break;
    case TC_ALTER_TABLE:
    case TC_DROP_TABLE:
        if (!old) {
            if (tc->if_flag) return SP_NOOP;
            return sp_fail(c, PROTO_ERR_INVALID, "Table '%s.%s' doesn't exist", tc->ks, tc->name);
        }
        c->ev.change = tc->kind == TC_DROP_TABLE ? SP_CHANGE_DROPPED : SP_CHANGE_UPDATED;
        break;
    case TC_CREATE_TYPE:
        if (old_udt) {
            if (tc->if_flag) return SP_NOOP;
            return sp_fail(c, PROTO_ERR_ALREADY_EXISTS,
                           "A user type with name '%s' already exists%s", tc->name, "");
        }
        c->ev.change = SP_CHANGE_CREATED;
        break;
    case TC_DROP_TYPE: {
        if (!old_udt) {
            if (tc->if_flag) return SP_NOOP;
            return sp_fail(c, PROTO_ERR_INVALID, "Type '%s.%s' doesn't exist", tc->ks, tc->name);
        }
        const char *user = used_by(ks, tc->name);
        if (user) {
            c->rc = SP_ERROR;
            c->err_code = PROTO_ERR_INVALID;
            snprintf(c->err_msg, sizeof(c->err_msg),
                     "Cannot drop user type %s.%s as it is still used by table %s", tc->ks,
                     tc->name, user);
            return SP_ERROR;
        }
        for (int i = 0; i < ks->n_udts; i++)
            for (int k = 0; k < ks->udts[i]->n_fields; k++) {
                buf b;
                buf_init(&b);
                type_format(ks->udts[i]->field_types[k], &b);
                buf_put_u8(&b, 0);
                int hit = buf_ok(&b) && strstr((char *)b.data, tc->name) != NULL;
                buf_free(&b);
                if (hit && strcmp(ks->udts[i]->name, tc->name) != 0) {
                    c->rc = SP_ERROR;
                    c->err_code = PROTO_ERR_INVALID;
                    snprintf(c->err_msg, sizeof(c->err_msg),
                             "Cannot drop user type %s.%s as it is still used by user type %s",
                             tc->ks, tc->name, ks->udts[i]->name);
                    return SP_ERROR;
                }
            }
        c->ev.change = SP_CHANGE_DROPPED;
        break;
    }
    }
    struct schema *s = schema_clone(cur);
    if (!s) goto oom;
    struct schema_keyspace *nks = schema_find_ks(s, tc->ks);
    int rc = 0;
    switch (tc->kind) {
    case TC_CREATE_TABLE: {
        struct schema_table *t = schema_table_clone(tc->table);
        rc = t ? schema_ks_add_table(nks, t) : -1;
        if (rc < 0) schema_table_free(t);
        break;
    }
    case TC_ALTER_TABLE: {
        /* the request shard built the altered table from the same table
         * id; refuse if the table changed meanwhile */
        if (memcmp(old->id, tc->altered->id, 16) != 0 || old->next_col_id != tc->base_next_col_id ||
            old->n_cols != tc->base_n_cols) {
            schema_unref(s);
            return sp_fail(c, PROTO_ERR_INVALID, "Table '%s.%s' was changed concurrently; retry",
                           tc->ks, tc->name);
        }
        struct schema_table *t = schema_table_clone(tc->altered);
        if (!t) {
            rc = -1;
            break;
        }
        schema_ks_drop_table(nks, tc->name);
        rc = schema_ks_add_table(nks, t);
        if (rc < 0) schema_table_free(t);
        break;
    }
    case TC_DROP_TABLE: schema_ks_drop_table(nks, tc->name); break;
    case TC_CREATE_TYPE: {
        struct schema_udt *u = schema_udt_clone(tc->udt);
        rc = u ? schema_ks_put_udt(nks, u) : -1;
        if (rc < 0) schema_udt_free(u);
        break;
    }
    case TC_DROP_TYPE: schema_ks_drop_udt(nks, tc->name); break;
    }
    if (rc < 0) {
        schema_unref(s);
        goto oom;
    }
    *out = s;
    return SP_OK;
oom:
    return sp_fail(c, PROTO_ERR_SERVER, "Out of memory%s%s", "", "");
}

static void tdone(struct sp_change *c)
{
    struct tchange *tc = c->arg;
    struct cql_req *r = tc->r;
    if (c->rc == SP_OK)
        res_schema_change(r, &c->ev);
    else if (c->rc == SP_NOOP)
        res_void(r);
    else if (c->err_code == PROTO_ERR_ALREADY_EXISTS)
        cql_error_already_exists(r, tc->ks, tc->kind == TC_CREATE_TABLE ? tc->name : "", "%s",
                                 c->err_msg);
    else
        cql_error(r, c->err_code, "%s", c->err_msg);
    schema_table_free(tc->table);
    schema_table_free(tc->altered);
    schema_udt_free(tc->udt);
    r->done(r);
}

static int submit(struct cql_req *r, struct tchange *tc)
{
    struct sp_change *c = &r->change;
    memset(c, 0, sizeof(*c));
    c->apply = tapply;
    c->done = tdone;
    c->arg = tc;
    tc->r = r;
    if (sp_schema_submit(r->shard, c) < 0) {
        schema_table_free(tc->table);
        schema_table_free(tc->altered);
        schema_udt_free(tc->udt);
        cql_error(r, PROTO_ERR_SERVER, "Out of memory");
        return CQL_DONE;
    }
    return CQL_PENDING;
}

/* The keyspace a DDL statement targets; writes the error. */
static const struct schema_keyspace *target_ks(struct cql_req *r, const char *ks_name)
{
    const char *n = ks_name ? ks_name : r->sess->keyspace;
    if (!n || !n[0]) {
        cql_error(r, PROTO_ERR_INVALID,
                  "No keyspace has been specified. USE a keyspace, or "
                  "explicitly specify keyspace.tablename");
        return NULL;
    }
    const struct schema_keyspace *ks = schema_find_ks(sp_schema(r->shard), n);
    if (!ks) {
        cql_error(r, PROTO_ERR_INVALID, "Keyspace '%s' doesn't exist", n);
        return NULL;
    }
    if (ks->is_system) {
        cql_error(r, PROTO_ERR_UNAUTHORIZED, "%s keyspace is not user-modifiable.", n);
        return NULL;
    }
    return ks;
}

static struct tchange *new_tchange(struct cql_req *r, enum tchange_kind k,
                                   const struct schema_keyspace *ks, const char *name, int if_flag)
{
    struct tchange *tc = arena_calloc(&r->arena, sizeof(*tc));
    if (!tc) {
        cql_error(r, PROTO_ERR_SERVER, "Out of memory");
        return NULL;
    }
    tc->kind = k;
    snprintf(tc->ks, sizeof(tc->ks), "%s", ks->name);
    snprintf(tc->name, sizeof(tc->name), "%s", name);
    tc->if_flag = if_flag;
    return tc;
}

static int pk_type_ok(struct cql_req *r, const struct type *t, const char *col)
{
    if (t->kind == TYPE_COUNTER) {
        cql_error(r, PROTO_ERR_INVALID, "counter type is not supported for PRIMARY KEY column '%s'",
                  col);
        return 0;
    }
    if (t->kind == TYPE_DURATION) {
        cql_error(r, PROTO_ERR_INVALID,
                  "duration type is not supported for PRIMARY KEY column '%s'", col);
        return 0;
    }
    if ((is_collection(t) || t->kind == TYPE_UDT) && !t->frozen) {
        buf b;
        buf_init(&b);
        type_format(t, &b);
        cql_error(r, PROTO_ERR_INVALID,
                  "Invalid non-frozen %s type %.*s for PRIMARY KEY column '%s'",
                  t->kind == TYPE_UDT ? "user" : "collection", (int)b.len, (char *)b.data, col);
        buf_free(&b);
        return 0;
    }
    return 1;
}

int stmt_create_table(struct cql_exec *x)
{
    struct cql_req *r = x->r;
    const struct cql_create_table *ct = &x->stmt->create_table;
    const struct schema_keyspace *ks = target_ks(r, ct->name.ks);
    if (!ks) return CQL_DONE;
    const char *name = ct->name.name;
    if (!schema_name_valid(name)) {
        cql_error(r, PROTO_ERR_INVALID,
                  "Table name must not be empty, more than %d characters "
                  "long, or contain non-alphanumeric-underscore characters (got \"%s\")",
                  SCHEMA_NAME_MAX, name);
        return CQL_DONE;
    }
    if (ct->compact_storage) {
        cql_error(r, PROTO_ERR_INVALID,
                  "Compact tables are not allowed in Cassandra starting with 4.0 version.");
        return CQL_DONE;
    }
    if (ct->n_primary_key_decls == 0) {
        cql_error(r, PROTO_ERR_INVALID,
                  "No PRIMARY KEY specifed for table '%s.%s' (exactly one "
                  "required)",
                  ks->name, name);
        return CQL_DONE;
    }
    if (ct->n_primary_key_decls > 1) {
        cql_error(r, PROTO_ERR_INVALID,
                  "Multiple PRIMARY KEY specified for table '%s.%s' "
                  "(exactly one required)",
                  ks->name, name);
        return CQL_DONE;
    }
    struct tchange *tc = new_tchange(r, TC_CREATE_TABLE, ks, name, ct->if_not_exists);
    if (!tc) return CQL_DONE;
    struct schema_table *t = schema_table_new(name);
    if (!t || set_defaults(t) < 0) goto oom;
    tc->table = t;
    int n_counter = 0, n_static = 0;
    for (int i = 0; i < ct->n_columns; i++) {
        const struct cql_column_def *cd = ct->columns[i];
        for (int j = 0; j < i; j++)
            if (strcmp(ct->columns[j]->name, cd->name) == 0) {
                cql_error(r, PROTO_ERR_INVALID,
                          "Duplicate column '%s' declaration for table '%s.%s'", cd->name, ks->name,
                          name);
                goto fail;
            }
    }
    /* key columns first, in key order */
    const char *keys[2][64];
    int nk[2] = {ct->n_partition_key, ct->n_clustering};
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < nk[k]; i++)
            keys[k][i] = k ? ct->clustering[i] : ct->partition_key[i];
    if (nk[0] > 64 || nk[1] > 64) {
        cql_error(r, PROTO_ERR_INVALID, "Too many PRIMARY KEY columns");
        goto fail;
    }
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < nk[k]; i++) {
            const struct cql_column_def *cd = NULL;
            for (int j = 0; j < ct->n_columns; j++)
                if (strcmp(ct->columns[j]->name, keys[k][i]) == 0) cd = ct->columns[j];
            if (!cd) {
                cql_error(r, PROTO_ERR_INVALID,
                          "Unknown column '%s' referenced in PRIMARY KEY for "
                          "table '%s'",
                          keys[k][i], name);
                goto fail;
            }
            for (int kk = 0; kk <= k; kk++)
                for (int j = 0; j < (kk == k ? i : nk[kk]); j++)
                    if (strcmp(keys[kk][j], keys[k][i]) == 0) {
                        cql_error(r, PROTO_ERR_INVALID,
                                  "Duplicate column '%s' in PRIMARY KEY "
                                  "clause for table '%s'",
                                  keys[k][i], name);
                        goto fail;
                    }
            if (cd->is_static) {
                cql_error(r, PROTO_ERR_INVALID,
                          "Static column '%s' cannot be part of the PRIMARY "
                          "KEY",
                          cd->name);
                goto fail;
            }
            struct type *ty = cql_build_type(r, ks, cd->type);
            if (!ty) goto fail;
            if (!pk_type_ok(r, ty, cd->name)) goto fail;
            int desc = 0;
            if (k == 1)
                for (int o = 0; o < ct->n_clustering_order; o++)
                    if (strcmp(ct->clustering_order[o]->column, cd->name) == 0)
                        desc = ct->clustering_order[o]->desc;
            if (schema_table_add_column(t, cd->name, ty, k ? COL_CLUSTERING : COL_PARTITION_KEY, i,
                                        desc) < 0)
                goto oom;
        }
    /* the directive names a prefix of the clustering columns, in order */
    for (int o = 0; o < ct->n_clustering_order; o++) {
        const char *cn = ct->clustering_order[o]->column;
        if (o >= nk[1]) {
            cql_error(r, PROTO_ERR_INVALID,
                      "Only clustering columns can be defined in CLUSTERING "
                      "ORDER directive");
            goto fail;
        }
        int pos = -1;
        for (int i = 0; i < nk[1]; i++)
            if (strcmp(keys[1][i], cn) == 0) pos = i;
        if (pos != o) {
            int listed = 0;
            for (int p2 = 0; p2 < ct->n_clustering_order; p2++)
                listed |= strcmp(ct->clustering_order[p2]->column, keys[1][o]) == 0;
            if (!listed) {
                cql_error(r, PROTO_ERR_INVALID, "Missing CLUSTERING ORDER for column %s",
                          keys[1][o]);
                goto fail;
            }
            cql_error(r, PROTO_ERR_INVALID,
                      "The order of columns in the CLUSTERING ORDER directive "
                      "must match that of the clustering columns (%s must appear before %s)",
                      keys[1][o < nk[1] ? o : 0], cn);
            goto fail;
        }
    }
    for (int i = 0; i < ct->n_columns; i++) {
        const struct cql_column_def *cd = ct->columns[i];
        if (schema_find_column(t, cd->name)) continue;
        struct type *ty = cql_build_type(r, ks, cd->type);
        if (!ty) goto fail;
        if (ty->kind == TYPE_COUNTER) n_counter++;
        if (cd->is_static) n_static++;
        if (schema_table_add_column(t, cd->name, ty, cd->is_static ? COL_STATIC : COL_REGULAR, -1,
                                    0) < 0)
            goto oom;
    }
    if (n_static && nk[1] == 0) {
        cql_error(r, PROTO_ERR_INVALID,
                  "Static columns are only useful (and thus allowed) if the "
                  "table has at least one clustering column");
        goto fail;
    }
    if (n_counter && n_counter != t->n_cols - t->n_pk - t->n_ck) {
        cql_error(r, PROTO_ERR_INVALID,
                  "Cannot mix counter and non counter columns in the same "
                  "table");
        goto fail;
    }
    schema_table_sort_columns(t);
    if (apply_options(r, t, &ct->props) < 0) goto fail;
    if (n_counter) {
        const struct schema_opt *ttl = schema_table_opt(t, "default_time_to_live");
        if (ttl && ttl->len == 4 && be32(ttl->val) != 0) {
            cql_error(r, PROTO_ERR_INVALID,
                      "Cannot set default_time_to_live on a table with "
                      "counters");
            goto fail;
        }
    }
    uuid id;
    uuid_v1(&id);
    memcpy(t->id, id.b, 16);
    return submit(r, tc);
oom:
    cql_error(r, PROTO_ERR_SERVER, "Out of memory");
fail:
    schema_table_free(tc->table);
    return CQL_DONE;
}

int stmt_drop_table(struct cql_exec *x)
{
    struct cql_req *r = x->r;
    const struct cql_drop *d = &x->stmt->drop;
    const struct schema_keyspace *ks = target_ks(r, d->name.ks);
    if (!ks) return CQL_DONE;
    struct tchange *tc = new_tchange(r, TC_DROP_TABLE, ks, d->name.name, d->if_exists);
    return tc ? submit(r, tc) : CQL_DONE;
}

int stmt_alter_table(struct cql_exec *x)
{
    struct cql_req *r = x->r;
    const struct cql_alter_table *at = &x->stmt->alter_table;
    const struct schema_keyspace *ks = target_ks(r, at->name.ks);
    if (!ks) return CQL_DONE;
    const struct schema_table *old = schema_find_table(ks, at->name.name);
    if (!old) {
        if (at->if_exists) {
            res_void(r);
            return CQL_DONE;
        }
        cql_error(r, PROTO_ERR_INVALID, "Table '%s.%s' doesn't exist", ks->name, at->name.name);
        return CQL_DONE;
    }
    struct tchange *tc = new_tchange(r, TC_ALTER_TABLE, ks, at->name.name, at->if_exists);
    if (!tc) return CQL_DONE;
    struct schema_table *t = schema_table_clone(old);
    if (!t) goto oom;
    tc->altered = t;
    tc->base_next_col_id = old->next_col_id;
    tc->base_n_cols = old->n_cols;
    switch (at->kind) {
    case CQL_ALTER_TABLE_ADD:
        for (int i = 0; i < at->n_add; i++) {
            const struct cql_column_def *cd = at->add[i];
            if (schema_find_column(t, cd->name)) {
                if (at->if_column_not_exists) continue;
                cql_error(r, PROTO_ERR_INVALID, "Column with name '%s' already exists", cd->name);
                goto fail;
            }
            struct type *ty = cql_build_type(r, ks, cd->type);
            if (!ty) goto fail;
            if (cd->is_static && t->n_ck == 0) {
                cql_error(r, PROTO_ERR_INVALID,
                          "Static columns are only useful (and thus allowed) "
                          "if the table has at least one clustering column");
                goto fail;
            }
            if ((ty->kind == TYPE_COUNTER) != (t->is_counter != 0) &&
                t->n_cols > t->n_pk + t->n_ck) {
                cql_error(r, PROTO_ERR_INVALID, "Cannot add a %s column (%s) in a %s table",
                          ty->kind == TYPE_COUNTER ? "counter" : "non counter", cd->name,
                          t->is_counter ? "counter" : "non counter");
                goto fail;
            }
            if (schema_table_add_column(t, cd->name, ty, cd->is_static ? COL_STATIC : COL_REGULAR,
                                        -1, 0) < 0)
                goto oom;
            schema_table_forget_dropped(t, cd->name);
        }
        schema_table_sort_columns(t);
        break;
    case CQL_ALTER_TABLE_DROP:
        for (int i = 0; i < at->n_drop; i++) {
            struct schema_column *c = schema_find_column(t, at->drop[i]);
            if (!c) {
                if (at->if_column_exists) continue;
                cql_error(r, PROTO_ERR_INVALID, "Column %s was not found in table '%s.%s'",
                          at->drop[i], ks->name, t->name);
                goto fail;
            }
            if (c->kind == COL_PARTITION_KEY || c->kind == COL_CLUSTERING) {
                cql_error(r, PROTO_ERR_INVALID, "Cannot drop PRIMARY KEY column %s", c->name);
                goto fail;
            }
            int ci = (int)(c - t->cols);
            if (schema_table_add_dropped(t, c->name, c->type, c->kind, db_timestamp(r->shard)) < 0)
                goto oom;
            mem_free(c->name);
            type_free(c->type);
            memmove(&t->cols[ci], &t->cols[ci + 1], sizeof(*c) * (size_t)(t->n_cols - ci - 1));
            t->n_cols--;
        }
        break;
    case CQL_ALTER_TABLE_RENAME:
        for (int i = 0; i < at->n_renames; i++) {
            struct schema_column *c = schema_find_column(t, at->rename_from[i]);
            if (!c) {
                if (at->if_column_exists) continue;
                cql_error(r, PROTO_ERR_INVALID, "Column %s was not found in table '%s.%s'",
                          at->rename_from[i], ks->name, t->name);
                goto fail;
            }
            if (c->kind != COL_PARTITION_KEY && c->kind != COL_CLUSTERING) {
                cql_error(r, PROTO_ERR_INVALID, "Cannot rename non PRIMARY KEY column %s", c->name);
                goto fail;
            }
            if (schema_find_column(t, at->rename_to[i])) {
                cql_error(r, PROTO_ERR_INVALID,
                          "Cannot rename column %s to %s in table '%s.%s'; "
                          "another column with that name already exists",
                          c->name, at->rename_to[i], ks->name, t->name);
                goto fail;
            }
            char *nn = mem_strndup(at->rename_to[i], strlen(at->rename_to[i]));
            if (!nn) goto oom;
            mem_free(c->name);
            c->name = nn;
        }
        break;
    case CQL_ALTER_TABLE_WITH:
        if (apply_options(r, t, &at->props) < 0) goto fail;
        break;
    case CQL_ALTER_TABLE_ALTER_TYPE:
        cql_error(r, PROTO_ERR_INVALID, "Altering column types is no longer supported");
        goto fail;
    default:
        cql_error(r, PROTO_ERR_INVALID, "This ALTER TABLE form is not supported yet by ringdb");
        goto fail;
    }
    return submit(r, tc);
oom:
    cql_error(r, PROTO_ERR_SERVER, "Out of memory");
fail:
    schema_table_free(tc->altered);
    return CQL_DONE;
}

int stmt_create_type(struct cql_exec *x)
{
    struct cql_req *r = x->r;
    const struct cql_create_type *ct = &x->stmt->create_type;
    const struct schema_keyspace *ks = target_ks(r, ct->name.ks);
    if (!ks) return CQL_DONE;
    for (int i = 0; i < ct->n_fields; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(ct->fields[i]->name, ct->fields[j]->name) == 0) {
                cql_error(r, PROTO_ERR_INVALID, "Duplicate field name %s in type %s",
                          ct->fields[i]->name, ct->name.name);
                return CQL_DONE;
            }
    struct tchange *tc = new_tchange(r, TC_CREATE_TYPE, ks, ct->name.name, ct->if_not_exists);
    if (!tc) return CQL_DONE;
    struct schema_udt *u = mem_calloc(1, sizeof(*u));
    if (!u) goto oom;
    tc->udt = u;
    u->name = mem_strndup(ct->name.name, strlen(ct->name.name));
    u->field_names = mem_calloc((size_t)(ct->n_fields ? ct->n_fields : 1), sizeof(char *));
    u->field_types = mem_calloc((size_t)(ct->n_fields ? ct->n_fields : 1), sizeof(struct type *));
    if (!u->name || !u->field_names || !u->field_types) goto oom;
    for (int i = 0; i < ct->n_fields; i++) {
        const struct cql_type *fty = ct->fields[i]->type;
        if (fty->kind == CQL_TYPE_UDT && strcmp(fty->udt.name, ct->name.name) == 0) {
            cql_error(r, PROTO_ERR_INVALID, "Cannot refer to user type %s within itself",
                      ct->name.name);
            goto fail;
        }
        struct type *ty = cql_build_type(r, ks, fty);
        if (!ty) goto fail;
        if (ty->kind == TYPE_COUNTER) {
            cql_error(r, PROTO_ERR_INVALID, "A user type cannot contain counters");
            goto fail;
        }
        if (ty->kind == TYPE_UDT && !ty->frozen) {
            cql_error(r, PROTO_ERR_INVALID, "A user type cannot contain non-frozen UDTs");
            goto fail;
        }
        if (is_collection(ty) && !ty->frozen) { /* fields are implicitly frozen */
            struct type *fz = arena_alloc(&r->arena, sizeof(*fz));
            if (!fz) goto oom;
            *fz = *ty;
            fz->frozen = 1;
            ty = fz;
        }
        u->field_names[i] = mem_strndup(ct->fields[i]->name, strlen(ct->fields[i]->name));
        u->field_types[i] = type_dup(ty);
        u->n_fields = i + 1;
        if (!u->field_names[i] || !u->field_types[i]) goto oom;
    }
    return submit(r, tc);
oom:
    cql_error(r, PROTO_ERR_SERVER, "Out of memory");
fail:
    schema_udt_free(tc->udt);
    return CQL_DONE;
}

int stmt_drop_type(struct cql_exec *x)
{
    struct cql_req *r = x->r;
    const struct cql_drop *d = &x->stmt->drop;
    const struct schema_keyspace *ks = target_ks(r, d->name.ks);
    if (!ks) return CQL_DONE;
    struct tchange *tc = new_tchange(r, TC_DROP_TYPE, ks, d->name.name, d->if_exists);
    return tc ? submit(r, tc) : CQL_DONE;
}

/* ---- TRUNCATE: every shard drops the table's rows, durably ---- */

struct trunc_trip {
    struct cql_req *r;
    const struct schema_table *t;
    struct schema *schema;
    int shard_cur;
    int rc;
};

static void trunc_visit(struct shard *s, void *arg);

static void trunc_home(struct shard *s, void *arg)
{
    struct trunc_trip *tt = arg;
    schema_unref(tt->schema);
    if (tt->rc)
        cql_error(tt->r, PROTO_ERR_TRUNCATE, "Error during truncate: commit log write failed");
    else
        res_void(tt->r);
    tt->r->done(tt->r);
}

static void trunc_next(struct shard *s, struct trunc_trip *tt)
{
    if (++tt->shard_cur < s->n_shards && !tt->rc)
        shard_send(s, tt->shard_cur, trunc_visit, tt);
    else
        shard_send(s, tt->r->shard->id, trunc_home, tt);
}

static void trunc_done(void *arg, int rc, const char *msg)
{
    struct trunc_trip *tt = arg;
    if (rc) tt->rc = rc;
    trunc_next(tt->r->shard->group->shards + tt->shard_cur, tt);
}

static void trunc_visit(struct shard *s, void *arg)
{
    struct trunc_trip *tt = arg;
    if (db_truncate(s, tt->t, trunc_done, tt) < 0) {
        tt->rc = 1;
        trunc_next(s, tt);
    }
}

int stmt_truncate(struct cql_exec *x)
{
    struct cql_req *r = x->r;
    const struct schema_keyspace *ks;
    const struct schema_table *t = resolve_table(r, &x->stmt->drop.name, &ks);
    if (!t) return CQL_DONE;
    if (t->is_virtual || ks->is_system) {
        cql_error(r, PROTO_ERR_UNAUTHORIZED, "%s keyspace is not user-modifiable.", ks->name);
        return CQL_DONE;
    }
    struct trunc_trip *tt = arena_calloc(&r->arena, sizeof(*tt));
    if (!tt) {
        cql_error(r, PROTO_ERR_SERVER, "Out of memory");
        return CQL_DONE;
    }
    tt->r = r;
    tt->t = t;
    tt->schema = sp_schema(r->shard);
    schema_ref(tt->schema);
    tt->shard_cur = 0;
    if (shard_send(r->shard, 0, trunc_visit, tt) < 0) {
        schema_unref(tt->schema);
        cql_error(r, PROTO_ERR_SERVER, "Out of memory");
        return CQL_DONE;
    }
    return CQL_PENDING;
}
