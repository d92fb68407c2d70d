/*
 * type.c -- CQL type descriptors (see type.h).
 *
 * Grammar accepted by type_parse (CQL's, case-insensitive):
 *   type   := native | 'frozen' '<' type '>' | ('list'|'set') '<' type '>'
 *           | 'map' '<' type ',' type '>' | 'tuple' '<' type (',' type)* '>'
 *           | 'vector' '<' type ',' int '>' | 'counter' | quoted custom class
 *           | [ks '.'] udt_name
 */
#include "types/type.h"
#include "util/mem.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *name;
    enum type_kind kind;
} natives[] = {
    {"ascii", TYPE_ASCII},         {"bigint", TYPE_BIGINT},   {"blob", TYPE_BLOB},
    {"boolean", TYPE_BOOLEAN},     {"counter", TYPE_COUNTER}, {"decimal", TYPE_DECIMAL},
    {"double", TYPE_DOUBLE},       {"float", TYPE_FLOAT},     {"int", TYPE_INT},
    {"timestamp", TYPE_TIMESTAMP}, {"uuid", TYPE_UUID},       {"text", TYPE_VARCHAR},
    {"varchar", TYPE_VARCHAR},     {"varint", TYPE_VARINT},   {"timeuuid", TYPE_TIMEUUID},
    {"inet", TYPE_INET},           {"date", TYPE_DATE},       {"time", TYPE_TIME},
    {"smallint", TYPE_SMALLINT},   {"tinyint", TYPE_TINYINT}, {"duration", TYPE_DURATION},
};

#define N_NATIVE_KINDS 0x16
#define NAT(k)         [k] = {.kind = k}
/* Read-only singletons, one per native kind (index = kind). */
static struct type native_singletons[N_NATIVE_KINDS] = {
    NAT(TYPE_ASCII),   NAT(TYPE_BIGINT),    NAT(TYPE_BLOB),    NAT(TYPE_BOOLEAN),
    NAT(TYPE_COUNTER), NAT(TYPE_DECIMAL),   NAT(TYPE_DOUBLE),  NAT(TYPE_FLOAT),
    NAT(TYPE_INT),     NAT(TYPE_TIMESTAMP), NAT(TYPE_UUID),    NAT(TYPE_VARCHAR),
    NAT(TYPE_VARINT),  NAT(TYPE_TIMEUUID),  NAT(TYPE_INET),    NAT(TYPE_DATE),
    NAT(TYPE_TIME),    NAT(TYPE_SMALLINT),  NAT(TYPE_TINYINT), NAT(TYPE_DURATION),
};

static int is_native_kind(enum type_kind k)
{
    return k >= TYPE_ASCII && k <= TYPE_DURATION && k != 0x000A;
}

const struct type *type_native(enum type_kind k)
{
    if (!is_native_kind(k)) return NULL;
    return &native_singletons[k];
}

static int is_singleton(const struct type *t)
{
    return t >= native_singletons && t < native_singletons + N_NATIVE_KINDS;
}

const struct type *type_native_by_name(const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof(natives) / sizeof(natives[0]); i++)
        if (strlen(natives[i].name) == n && strncasecmp(natives[i].name, name, n) == 0)
            return type_native(natives[i].kind);
    return NULL;
}

const char *type_kind_name(enum type_kind k)
{
    switch (k) {
    case TYPE_LIST: return "list";
    case TYPE_SET: return "set";
    case TYPE_MAP: return "map";
    case TYPE_TUPLE: return "tuple";
    case TYPE_UDT: return "udt";
    case TYPE_VECTOR: return "vector";
    case TYPE_CUSTOM: return "custom";
    case TYPE_VARCHAR: return "text";
    default: break;
    }
    for (size_t i = 0; i < sizeof(natives) / sizeof(natives[0]); i++)
        if (natives[i].kind == k) return natives[i].name;
    return "unknown";
}

/* ---- parsing ---- */

struct tp {
    const char *s;
    size_t n, pos;
    arena *a;
    char *err;
    size_t errsz;
    int depth;
};

static void *tp_alloc(struct tp *p, size_t sz)
{
    void *r = arena_calloc(p->a, sz);
    if (!r) snprintf(p->err, p->errsz, "out of memory");
    return r;
}

static char *tp_strndup(struct tp *p, const char *s, size_t n)
{
    char *r = arena_strndup(p->a, s, n);
    if (!r) snprintf(p->err, p->errsz, "out of memory");
    return r;
}

static void skip_ws(struct tp *p)
{
    while (p->pos < p->n && isspace((unsigned char)p->s[p->pos]))
        p->pos++;
}

static int ident(struct tp *p, const char **start, size_t *len, char *quoted_buf, size_t qcap)
{
    skip_ws(p);
    if (p->pos < p->n && p->s[p->pos] == '"') {
        size_t o = 0;
        p->pos++;
        while (p->pos < p->n) {
            char c = p->s[p->pos++];
            if (c == '"') {
                if (p->pos < p->n && p->s[p->pos] == '"') {
                    p->pos++;
                } else {
                    *start = quoted_buf;
                    *len = o;
                    return 2;
                }
            }
            if (o + 1 >= qcap) return 0;
            quoted_buf[o++] = c;
        }
        return 0;
    }
    size_t b = p->pos;
    while (p->pos < p->n && (isalnum((unsigned char)p->s[p->pos]) || p->s[p->pos] == '_'))
        p->pos++;
    if (p->pos == b) return 0;
    *start = p->s + b;
    *len = p->pos - b;
    return 1;
}

static int expect(struct tp *p, char c)
{
    skip_ws(p);
    if (p->pos < p->n && p->s[p->pos] == c) {
        p->pos++;
        return 1;
    }
    snprintf(p->err, p->errsz, "expected '%c' at position %zu in type '%.*s'", c, p->pos, (int)p->n,
             p->s);
    return 0;
}

static struct type *parse_type(struct tp *p);

static struct type *mk(struct tp *p, enum type_kind k, int n_params)
{
    struct type *t = tp_alloc(p, sizeof(*t));
    if (!t) return NULL;
    t->kind = k;
    t->n_params = n_params;
    if (n_params) {
        t->params = tp_alloc(p, sizeof(struct type *) * (size_t)n_params);
        if (!t->params) return NULL;
    }
    return t;
}

static int word_is(const char *w, size_t n, const char *kw)
{
    return strlen(kw) == n && strncasecmp(w, kw, n) == 0;
}

static struct type *parse_type(struct tp *p)
{
    if (++p->depth > 64) {
        snprintf(p->err, p->errsz, "type nesting too deep");
        return NULL;
    }
    skip_ws(p);
    if (p->pos < p->n && p->s[p->pos] == '\'') {
        size_t b = ++p->pos;
        while (p->pos < p->n && p->s[p->pos] != '\'')
            p->pos++;
        if (p->pos >= p->n) {
            snprintf(p->err, p->errsz, "unterminated custom type");
            return NULL;
        }
        struct type *t = mk(p, TYPE_CUSTOM, 0);
        if (!t || !(t->name = tp_strndup(p, p->s + b, p->pos - b))) return NULL;
        p->pos++;
        p->depth--;
        return t;
    }
    char q1[256], q2[256];
    const char *w;
    size_t wn;
    int r = ident(p, &w, &wn, q1, sizeof(q1));
    if (!r) {
        snprintf(p->err, p->errsz, "invalid type '%.*s'", (int)p->n, p->s);
        return NULL;
    }
    struct type *t = NULL;
    if (r == 1 && word_is(w, wn, "frozen")) {
        if (!expect(p, '<') || !(t = parse_type(p)) || !expect(p, '>')) return NULL;
        if (t->kind == TYPE_LIST || t->kind == TYPE_SET || t->kind == TYPE_MAP ||
            t->kind == TYPE_UDT || t->kind == TYPE_TUPLE)
            t->frozen = 1;
    } else if (r == 1 && (word_is(w, wn, "list") || word_is(w, wn, "set"))) {
        t = mk(p, word_is(w, wn, "list") ? TYPE_LIST : TYPE_SET, 1);
        if (!t || !expect(p, '<') || !(t->params[0] = parse_type(p)) || !expect(p, '>'))
            return NULL;
    } else if (r == 1 && word_is(w, wn, "map")) {
        t = mk(p, TYPE_MAP, 2);
        if (!t || !expect(p, '<') || !(t->params[0] = parse_type(p)) || !expect(p, ',') ||
            !(t->params[1] = parse_type(p)) || !expect(p, '>'))
            return NULL;
    } else if (r == 1 && word_is(w, wn, "tuple")) {
        struct type *tmp[64];
        int k = 0;
        if (!expect(p, '<')) return NULL;
        do {
            if (k == 64) {
                snprintf(p->err, p->errsz, "tuple has too many components");
                return NULL;
            }
            if (!(tmp[k++] = parse_type(p))) return NULL;
            skip_ws(p);
        } while (p->pos < p->n && p->s[p->pos] == ',' && ++p->pos);
        if (!expect(p, '>') || !(t = mk(p, TYPE_TUPLE, k))) return NULL;
        memcpy(t->params, tmp, sizeof(tmp[0]) * (size_t)k);
        t->frozen = 1; /* tuples are always frozen */
    } else if (r == 1 && word_is(w, wn, "vector")) {
        t = mk(p, TYPE_VECTOR, 1);
        if (!t || !expect(p, '<') || !(t->params[0] = parse_type(p)) || !expect(p, ','))
            return NULL;
        skip_ws(p);
        int dim = 0, nd = 0;
        while (p->pos < p->n && isdigit((unsigned char)p->s[p->pos]) && dim < 1000000) {
            dim = dim * 10 + (p->s[p->pos++] - '0');
            nd++;
        }
        if (!nd || dim <= 0 || !expect(p, '>')) {
            if (!p->err[0]) snprintf(p->err, p->errsz, "invalid vector dimension");
            return NULL;
        }
        t->dim = dim;
        t->frozen = 1;
    } else {
        const struct type *nat = r == 1 ? type_native_by_name(w, wn) : NULL;
        if (nat) {
            p->depth--;
            return (struct type *)nat;
        }
        /* user type: [ks.]name */
        const char *w2 = NULL;
        size_t wn2 = 0;
        skip_ws(p);
        char ksbuf[256];
        size_t kn = 0;
        int have_ks = 0;
        if (p->pos < p->n && p->s[p->pos] == '.') {
            p->pos++;
            if (wn >= sizeof(ksbuf)) return NULL;
            for (size_t i = 0; i < wn; i++)
                ksbuf[i] = r == 1 ? (char)tolower((unsigned char)w[i]) : w[i];
            kn = wn;
            have_ks = 1;
            r = ident(p, &w2, &wn2, q2, sizeof(q2));
            if (!r) {
                snprintf(p->err, p->errsz, "invalid type '%.*s'", (int)p->n, p->s);
                return NULL;
            }
            w = w2;
            wn = wn2;
        }
        t = mk(p, TYPE_UDT, 0);
        if (!t) return NULL;
        char nm[256];
        if (wn >= sizeof(nm)) return NULL;
        for (size_t i = 0; i < wn; i++)
            nm[i] = r == 1 ? (char)tolower((unsigned char)w[i]) : w[i];
        if (!(t->name = tp_strndup(p, nm, wn))) return NULL;
        if (have_ks && !(t->ks = tp_strndup(p, ksbuf, kn))) return NULL;
    }
    p->depth--;
    return t;
}

struct type *type_parse(const char *text, size_t n, arena *a, char *err, size_t errsz)
{
    char dummy[8];
    if (!err) {
        err = dummy;
        errsz = sizeof(dummy);
    }
    err[0] = 0;
    /* Heap results: parse into a scratch arena, then deep-copy, so a
     * failure half-way leaks nothing. */
    arena scratch;
    arena_init(&scratch, 1024);
    struct tp p = {.s = text, .n = n, .a = a ? a : &scratch, .err = err, .errsz = errsz};
    struct type *t = parse_type(&p);
    if (t) {
        skip_ws(&p);
        if (p.pos != p.n) {
            snprintf(err, errsz, "unexpected text after type '%.*s'", (int)n, text);
            t = NULL;
        }
    }
    if (t && !a) {
        t = type_dup(t);
        if (!t) snprintf(err, errsz, "out of memory");
    }
    arena_destroy(&scratch);
    return t;
}

struct type *type_dup(const struct type *t)
{
    if (!t || is_singleton(t)) return (struct type *)t;
    struct type *d = mem_calloc(1, sizeof(*d));
    if (!d) return NULL;
    *d = *t;
    d->params = NULL;
    d->field_names = NULL;
    d->ks = d->name = NULL;
    if (t->n_params) {
        d->params = mem_calloc((size_t)t->n_params, sizeof(*d->params));
        if (!d->params) goto fail;
        for (int i = 0; i < t->n_params; i++)
            if (!(d->params[i] = type_dup(t->params[i]))) goto fail;
    }
    if (t->field_names) {
        d->field_names = mem_calloc((size_t)t->n_params, sizeof(char *));
        if (!d->field_names) goto fail;
        for (int i = 0; i < t->n_params; i++)
            if (!(d->field_names[i] = mem_strndup(t->field_names[i], strlen(t->field_names[i]))))
                goto fail;
    }
    if (t->ks && !(d->ks = mem_strndup(t->ks, strlen(t->ks)))) goto fail;
    if (t->name && !(d->name = mem_strndup(t->name, strlen(t->name)))) goto fail;
    return d;
fail:
    type_free(d);
    return NULL;
}

void type_free(struct type *t)
{
    if (!t || is_singleton(t)) return;
    for (int i = 0; i < t->n_params; i++) {
        if (t->params) type_free(t->params[i]);
        if (t->field_names) mem_free(t->field_names[i]);
    }
    mem_free(t->params);
    mem_free(t->field_names);
    mem_free(t->ks);
    mem_free(t->name);
    mem_free(t);
}

void type_format(const struct type *t, buf *b)
{
    int fz = t->frozen && t->kind != TYPE_VECTOR;
    if (fz) buf_put_str(b, "frozen<");
    switch (t->kind) {
    case TYPE_LIST:
    case TYPE_SET:
    case TYPE_MAP:
    case TYPE_TUPLE:
        buf_put_str(b, type_kind_name(t->kind));
        buf_put_u8(b, '<');
        for (int i = 0; i < t->n_params; i++) {
            if (i) buf_put_str(b, ", ");
            type_format(t->params[i], b);
        }
        buf_put_u8(b, '>');
        break;
    case TYPE_VECTOR: {
        char d[16];
        buf_put_str(b, "vector<");
        type_format(t->params[0], b);
        snprintf(d, sizeof(d), ", %d>", t->dim);
        buf_put_str(b, d);
        break;
    }
    case TYPE_UDT: buf_put_str(b, t->name); break;
    case TYPE_CUSTOM:
        buf_put_u8(b, '\'');
        buf_put_str(b, t->name);
        buf_put_u8(b, '\'');
        break;
    default: buf_put_str(b, type_kind_name(t->kind)); break;
    }
    if (fz) buf_put_u8(b, '>');
}

static void put_pstring(buf *b, const char *s)
{
    size_t n = strlen(s);
    buf_put_be16(b, (uint16_t)n);
    buf_put(b, s, n);
}

/* Cassandra's marshal class name of a type, for CUSTOM options (vector). */
static void marshal_name(const struct type *t, buf *b)
{
    static const char *cls[N_NATIVE_KINDS] = {
        [TYPE_ASCII] = "AsciiType",
        [TYPE_BIGINT] = "LongType",
        [TYPE_BLOB] = "BytesType",
        [TYPE_BOOLEAN] = "BooleanType",
        [TYPE_COUNTER] = "CounterColumnType",
        [TYPE_DECIMAL] = "DecimalType",
        [TYPE_DOUBLE] = "DoubleType",
        [TYPE_FLOAT] = "FloatType",
        [TYPE_INT] = "Int32Type",
        [TYPE_TIMESTAMP] = "TimestampType",
        [TYPE_UUID] = "UUIDType",
        [TYPE_VARCHAR] = "UTF8Type",
        [TYPE_VARINT] = "IntegerType",
        [TYPE_TIMEUUID] = "TimeUUIDType",
        [TYPE_INET] = "InetAddressType",
        [TYPE_DATE] = "SimpleDateType",
        [TYPE_TIME] = "TimeType",
        [TYPE_SMALLINT] = "ShortType",
        [TYPE_TINYINT] = "ByteType",
        [TYPE_DURATION] = "DurationType",
    };
    buf_put_str(b, "org.apache.cassandra.db.marshal.");
    if (is_native_kind(t->kind)) {
        buf_put_str(b, cls[t->kind]);
        return;
    }
    const char *outer = t->kind == TYPE_LIST    ? "ListType("
                        : t->kind == TYPE_SET   ? "SetType("
                        : t->kind == TYPE_MAP   ? "MapType("
                        : t->kind == TYPE_TUPLE ? "TupleType("
                                                : "VectorType(";
    if (t->frozen && t->kind != TYPE_TUPLE && t->kind != TYPE_VECTOR)
        buf_put_str(b, "FrozenType(org.apache.cassandra.db.marshal.");
    buf_put_str(b, outer);
    for (int i = 0; i < t->n_params; i++) {
        if (i) buf_put_u8(b, ',');
        marshal_name(t->params[i], b);
    }
    if (t->kind == TYPE_VECTOR) {
        char d[16];
        snprintf(d, sizeof(d), ",%d", t->dim);
        buf_put_str(b, d);
    }
    buf_put_u8(b, ')');
    if (t->frozen && t->kind != TYPE_TUPLE && t->kind != TYPE_VECTOR) buf_put_u8(b, ')');
}

void type_encode_option(const struct type *t, buf *b)
{
    switch (t->kind) {
    case TYPE_LIST:
    case TYPE_SET:
        buf_put_be16(b, (uint16_t)t->kind);
        type_encode_option(t->params[0], b);
        break;
    case TYPE_MAP:
        buf_put_be16(b, TYPE_MAP);
        type_encode_option(t->params[0], b);
        type_encode_option(t->params[1], b);
        break;
    case TYPE_TUPLE:
        buf_put_be16(b, TYPE_TUPLE);
        buf_put_be16(b, (uint16_t)t->n_params);
        for (int i = 0; i < t->n_params; i++)
            type_encode_option(t->params[i], b);
        break;
    case TYPE_UDT:
        buf_put_be16(b, TYPE_UDT);
        put_pstring(b, t->ks ? t->ks : "");
        put_pstring(b, t->name ? t->name : "");
        buf_put_be16(b, (uint16_t)t->n_params);
        for (int i = 0; i < t->n_params; i++) {
            put_pstring(b, t->field_names ? t->field_names[i] : "");
            type_encode_option(t->params[i], b);
        }
        break;
    case TYPE_CUSTOM:
        buf_put_be16(b, TYPE_CUSTOM);
        put_pstring(b, t->name ? t->name : "");
        break;
    case TYPE_VECTOR: {
        buf tmp;
        buf_init(&tmp);
        marshal_name(t, &tmp);
        buf_put_be16(b, TYPE_CUSTOM);
        buf_put_be16(b, (uint16_t)tmp.len);
        buf_put(b, tmp.data, tmp.len);
        if (!buf_ok(&tmp)) b->oom = 1;
        buf_free(&tmp);
        break;
    }
    default: buf_put_be16(b, (uint16_t)t->kind); break;
    }
}

int type_equal(const struct type *a, const struct type *b)
{
    if (a == b) return 1;
    if (!a || !b || a->kind != b->kind || a->n_params != b->n_params || a->dim != b->dim) return 0;
    if (a->frozen != b->frozen) return 0;
    for (int i = 0; i < a->n_params; i++)
        if (!type_equal(a->params[i], b->params[i])) return 0;
    if ((a->name || b->name) && (!a->name || !b->name || strcmp(a->name, b->name))) return 0;
    return 1;
}
