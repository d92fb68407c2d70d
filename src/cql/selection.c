/*
 * selection.c -- selectors compiled into expression trees (selection.h).
 *
 * Planning resolves every function call against the native function library
 * (functions.h) from what is known about its arguments: column types, and
 * for literals and bind markers their kind; literal and marker arguments
 * are then encoded with the parameter type the chosen overload declares.
 * Result column names follow Cassandra: a column by its name, functions as
 * `system.name(args)` (count(*) as `count`), writetime(c), ttl(c),
 * cast(c as type), m['k'], u.f, arithmetic as written.
 */
#include "cql/selection.h"
#include "cql/functions.h"
#include "types/json.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum sx_kind {
    SX_COLUMN,
    SX_WRITETIME,
    SX_MAXWRITETIME,
    SX_TTL,
    SX_TOKEN,
    SX_CONST,
    SX_FUNC,
    SX_AGG,
    SX_ELEMENT,
    SX_FIELD,
    SX_TOJSON,
    SX_SLICE,
};

struct sx {
    enum sx_kind kind;
    const struct type *type;
    int ci;
    struct sx **args;
    int n_args;
    const struct cql_func *f;
    struct type_val cval;  /* SX_CONST; SX_ELEMENT: the key; SX_SLICE: the lower bound */
    struct type_val cval2; /* SX_SLICE: the upper bound */
    size_t agg_off;        /* SX_AGG: offset of its state in a group */
    int field;             /* SX_FIELD */
    int has_agg;           /* an aggregate is in this subtree */
    int slot;              /* aggregation: the group keeps this subtree's first-row value, or -1 */
};

/* A group: its first row's values of the non-aggregate subtrees, then the
 * aggregate states at s->agg_base. */
struct group {
    int has_first;
    struct type_val slots[];
};

/* ---- planning ---- */

struct planner {
    struct cql_exec *x;
    const struct schema_table *t;
    const struct schema_keyspace *ks;
    struct selection *s;
    int distinct;
};

static void sel_text(buf *b, const struct cql_selector *s);

/* The selector as Cassandra names it (result column names, messages). */
static const char *sel_name(struct planner *pl, const struct cql_selector *s)
{
    buf b;
    buf_init(&b);
    sel_text(&b, s);
    char *nm =
        buf_ok(&b) ? arena_strndup(&pl->x->r->arena, b.len ? (char *)b.data : "", b.len) : NULL;
    buf_free(&b);
    if (!nm) cql_error(pl->x->r, PROTO_ERR_SERVER, "Out of memory");
    return nm;
}

static struct sx *new_sx(struct planner *pl, enum sx_kind k)
{
    struct sx *e = arena_calloc(&pl->x->r->arena, sizeof(*e));
    if (!e) cql_error(pl->x->r, PROTO_ERR_SERVER, "Out of memory");
    if (e) {
        e->kind = k;
        e->slot = -1;
    }
    return e;
}

static int col_of(struct planner *pl, const char *name)
{
    for (int i = 0; i < pl->t->n_cols; i++)
        if (strcmp(pl->t->cols[i].name, name) == 0) return i;
    cql_error(pl->x->r, PROTO_ERR_INVALID, "Undefined column name %s in selection clause", name);
    return -1;
}

static const struct type *default_lit_type(enum cql_const_kind k)
{
    switch (k) {
    case CQL_CONST_STRING: return type_native(TYPE_VARCHAR);
    case CQL_CONST_INTEGER: return type_native(TYPE_INT);
    case CQL_CONST_FLOAT:
    case CQL_CONST_NAN:
    case CQL_CONST_INFINITY: return type_native(TYPE_DOUBLE);
    case CQL_CONST_BOOLEAN: return type_native(TYPE_BOOLEAN);
    case CQL_CONST_UUID: return type_native(TYPE_UUID);
    case CQL_CONST_HEX: return type_native(TYPE_BLOB);
    case CQL_CONST_DURATION: return type_native(TYPE_DURATION);
    default: return NULL;
    }
}

static int lit_kind_of(enum cql_const_kind k)
{
    switch (k) {
    case CQL_CONST_STRING: return TYPE_LIT_STRING;
    case CQL_CONST_INTEGER: return TYPE_LIT_INTEGER;
    case CQL_CONST_FLOAT: return TYPE_LIT_FLOAT;
    case CQL_CONST_BOOLEAN: return TYPE_LIT_BOOLEAN;
    case CQL_CONST_DURATION: return TYPE_LIT_DURATION;
    case CQL_CONST_UUID: return TYPE_LIT_UUID;
    case CQL_CONST_HEX: return TYPE_LIT_HEX;
    case CQL_CONST_NAN: return TYPE_LIT_NAN;
    case CQL_CONST_INFINITY: return TYPE_LIT_INFINITY;
    default: return -1;
    }
}

static struct sx *plan(struct planner *pl, const struct cql_selector *s);

/* A term (literal, marker, hinted term) encoded for type ty. */
static struct sx *const_sx(struct planner *pl, const struct cql_term *term, const struct type *ty)
{
    struct sx *e = new_sx(pl, SX_CONST);
    if (!e) return NULL;
    if (term->kind == CQL_TERM_BIND && !pl->x->params) { /* PREPARE: no values yet */
        const struct cql_stmt *st = pl->x->stmt;
        for (int i = 0; pl->x->markers && i < st->n_binds; i++)
            if (st->binds[i].term == term) {
                pl->x->markers[i].type = ty;
                pl->x->markers[i].name = "[selection]"; /* Cassandra's name for them */
            }
        e->type = ty;
        e->cval = (struct type_val){NULL, -1};
        return e;
    }
    proto_value v;
    if (cql_encode_term(pl->x, term, ty, "selection", &v) < 0) return NULL;
    if (v.len == PROTO_VALUE_UNSET) v.len = -1;
    e->type = ty;
    e->cval = (struct type_val){v.p, v.len};
    return e;
}

int selection_group_by(struct cql_exec *x, const struct schema_table *t,
                       const struct cql_select *sel, const uint64_t *eq, int *n_ck)
{
    struct cql_req *r = x->r;
    int k = 0; /* next primary key column */
    for (int i = 0; i < sel->n_group_by; i++) {
        const struct cql_selector *g = sel->group_by[i];
        if (g->kind != CQL_SEL_COLUMN) {
            cql_error(r, PROTO_ERR_INVALID,
                      "Only column names and monotonic scalar functions "
                      "are supported in the GROUP BY clause.");
            return -1;
        }
        const struct schema_column *c = schema_find_column(t, g->column);
        if (!c) {
            cql_error(r, PROTO_ERR_INVALID, "Undefined column name %s", g->column);
            return -1;
        }
        if (c->kind != COL_PARTITION_KEY && c->kind != COL_CLUSTERING) {
            cql_error(r, PROTO_ERR_INVALID,
                      "Group by is currently only supported on the columns "
                      "of the PRIMARY KEY, got %s",
                      c->name);
            return -1;
        }
        if (!eq) continue; /* planning only: the order is checked with the WHERE */
        /* columns fixed by an equality may be left out */
        while (k < t->n_pk + t->n_ck && &t->cols[k] != c && (*eq >> k & 1))
            k++;
        if (k >= t->n_pk + t->n_ck || &t->cols[k] != c) {
            cql_error(r, PROTO_ERR_INVALID,
                      "Group by currently only support groups of columns "
                      "following their declared order in the PRIMARY KEY");
            return -1;
        }
        k++;
    }
    if (!eq) return 0;
    while (k < t->n_pk && (*eq >> k & 1))
        k++;
    if (k < t->n_pk) {
        cql_error(r, PROTO_ERR_INVALID,
                  "Group by is not supported on only a part of the "
                  "partition key");
        return -1;
    }
    *n_ck = k - t->n_pk;
    if (*n_ck > 0 && sel->distinct) {
        cql_error(r, PROTO_ERR_INVALID,
                  "Grouping on clustering columns is not allowed for "
                  "SELECT DISTINCT queries");
        return -1;
    }
    return 0;
}

static int has_agg(struct sx *e)
{
    e->has_agg = e->kind == SX_AGG;
    for (int i = 0; i < e->n_args; i++)
        e->has_agg |= has_agg(e->args[i]);
    return e->has_agg;
}

/* Arguments of a call, and the descriptors for overload resolution. Terms
 * (literals, markers) are planned after resolution, with their declared
 * parameter types. */
static struct sx *plan_call(struct planner *pl, const char *ks, const char *name,
                            struct cql_selector *const *args, int n)
{
    struct cql_req *r = pl->x->r;
    struct cql_func_arg d[MAX_FUNC_ARGS];
    struct sx *planned[MAX_FUNC_ARGS];
    memset(d, 0, sizeof(d));
    if (n > MAX_FUNC_ARGS) {
        cql_error(r, PROTO_ERR_INVALID, "Too many arguments in call to function %s", name);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        memset(&d[i], 0, sizeof(d[i]));
        d[i].lit = -1;
        planned[i] = NULL;
        const struct cql_selector *a = args[i];
        if (!(d[i].text = sel_name(pl, a))) return NULL;
        if (a->kind == CQL_SEL_TERM) {
            const struct cql_term *term = a->term;
            if (term->kind == CQL_TERM_BIND)
                d[i].is_marker = 1;
            else if (term->kind == CQL_TERM_CONST && term->constant.kind == CQL_CONST_NULL)
                d[i].is_null = 1;
            else if (term->kind == CQL_TERM_CONST)
                d[i].lit = lit_kind_of(term->constant.kind);
            continue;
        }
        if (!(planned[i] = plan(pl, a))) return NULL;
        d[i].type = planned[i]->type;
    }
    char err[512];
    const struct cql_func *f = cql_func_resolve(ks, name, d, n, NULL, &r->arena, err, sizeof(err));
    if (!f && strncmp(err, "Unknown function", 16) == 0) { /* the selection clause's wording */
        cql_error(r, PROTO_ERR_INVALID, "Unknown function '%s%s%s'", ks && name[0] != '_' ? ks : "",
                  ks && name[0] != '_' ? "." : "", name);
        return NULL;
    }
    if (!f) {
        cql_error(r, PROTO_ERR_INVALID, "%s", err);
        return NULL;
    }
    int agg = cql_func_is_aggregate(f), nested = 0;
    for (int i = 0; i < n; i++)
        nested |= planned[i] && has_agg(planned[i]);
    if (agg && nested) {
        cql_error(r, PROTO_ERR_INVALID,
                  "aggregate functions cannot be used as arguments of "
                  "aggregate functions");
        return NULL;
    }
    struct sx *e = new_sx(pl, agg ? SX_AGG : SX_FUNC);
    if (!e) return NULL;
    e->f = f;
    e->type = cql_func_return_type(f);
    e->n_args = n;
    e->args = arena_calloc(&r->arena, sizeof(*e->args) * (size_t)(n ? n : 1));
    if (!e->args) return NULL;
    for (int i = 0; i < n; i++) {
        if (planned[i]) {
            e->args[i] = planned[i];
            continue;
        }
        if (!(e->args[i] = const_sx(pl, args[i]->term, cql_func_arg_type(f, i)))) return NULL;
    }
    if (agg) {
        e->agg_off = pl->s->agg_state_size;
        pl->s->agg_state_size += (cql_agg_state_size(f) + 15) & ~(size_t)15;
        pl->s->n_aggs++;
        pl->s->has_agg = 1;
    }
    return e;
}

static const char *op_func(char op)
{
    switch (op) {
    case '+': return "_add";
    case '-': return "_substract";
    case '*': return "_multiply";
    case '/': return "_divide";
    default: return "_modulo";
    }
}

static struct sx *plan(struct planner *pl, const struct cql_selector *s)
{
    struct cql_req *r = pl->x->r;
    const struct schema_table *t = pl->t;
    struct sx *e;
    switch (s->kind) {
    case CQL_SEL_COLUMN: {
        int ci = col_of(pl, s->column);
        if (ci < 0) return NULL;
        enum schema_col_kind ck = t->cols[ci].kind;
        if (pl->distinct && ck != COL_PARTITION_KEY && ck != COL_STATIC) {
            cql_error(r, PROTO_ERR_INVALID,
                      "SELECT DISTINCT queries must only request partition "
                      "key columns and/or static columns (not %s)",
                      s->column);
            return NULL;
        }
        if (!(e = new_sx(pl, SX_COLUMN))) return NULL;
        e->ci = ci;
        e->type = t->cols[ci].type;
        return e;
    }
    case CQL_SEL_WRITETIME:
    case CQL_SEL_MAXWRITETIME:
    case CQL_SEL_TTL: {
        const char *fn = s->kind == CQL_SEL_TTL         ? "ttl"
                         : s->kind == CQL_SEL_WRITETIME ? "writetime"
                                                        : "maxwritetime";
        if (s->arg->kind != CQL_SEL_COLUMN) {
            cql_error(r, PROTO_ERR_INVALID,
                      "%s on collection elements and UDT fields is not "
                      "supported yet by ringdb",
                      fn);
            return NULL;
        }
        int ci = col_of(pl, s->arg->column);
        if (ci < 0) return NULL;
        const struct schema_column *c = &t->cols[ci];
        if (c->kind == COL_PARTITION_KEY || c->kind == COL_CLUSTERING) {
            cql_error(r, PROTO_ERR_INVALID,
                      "Cannot use selection function %s on PRIMARY KEY part "
                      "%s",
                      fn, c->name);
            return NULL;
        }
        int complex =
            !c->type->frozen && (c->type->kind == TYPE_LIST || c->type->kind == TYPE_SET ||
                                 c->type->kind == TYPE_MAP || c->type->kind == TYPE_UDT);
        if (complex && s->kind != CQL_SEL_MAXWRITETIME) {
            cql_error(r, PROTO_ERR_INVALID, "Cannot use selection function %s on non-frozen %s %s",
                      fn, c->type->kind == TYPE_UDT ? "UDT" : "collection", c->name);
            return NULL;
        }
        e = new_sx(pl, s->kind == CQL_SEL_TTL         ? SX_TTL
                       : s->kind == CQL_SEL_WRITETIME ? SX_WRITETIME
                                                      : SX_MAXWRITETIME);
        if (!e) return NULL;
        e->ci = ci;
        e->type = type_native(s->kind == CQL_SEL_TTL ? TYPE_INT : TYPE_BIGINT);
        return e;
    }
    case CQL_SEL_COUNT_ROWS: {
        if (!(e = new_sx(pl, SX_AGG))) return NULL;
        e->f = cql_func_count_rows();
        e->type = cql_func_return_type(e->f);
        e->agg_off = pl->s->agg_state_size;
        pl->s->agg_state_size += (cql_agg_state_size(e->f) + 15) & ~(size_t)15;
        pl->s->n_aggs++;
        pl->s->has_agg = 1;
        return e;
    }
    case CQL_SEL_FUNCTION: {
        const char *name = s->func.name.name;
        if (strcasecmp(name, "token") == 0 && !s->func.name.ks) {
            if (s->func.n_args != t->n_pk) goto bad_token;
            for (int k = 0; k < t->n_pk; k++)
                if (s->func.args[k]->kind != CQL_SEL_COLUMN ||
                    strcmp(s->func.args[k]->column, t->cols[k].name) != 0)
                    goto bad_token;
            if (!(e = new_sx(pl, SX_TOKEN))) return NULL;
            e->type = type_native(TYPE_BIGINT);
            return e;
        }
        if (!s->func.name.ks && (!strcmp(name, "tojson") || !strcmp(name, "to_json"))) {
            if (s->func.n_args != 1) {
                cql_error(r, PROTO_ERR_INVALID, "toJson() only accepts one argument (got %d)",
                          s->func.n_args);
                return NULL;
            }
            if (s->func.args[0]->kind == CQL_SEL_TERM) {
                cql_error(r, PROTO_ERR_INVALID,
                          "Cannot use toJson() on a literal or bind marker "
                          "without a type hint");
                return NULL;
            }
            struct sx *arg = plan(pl, s->func.args[0]);
            if (!arg || !(e = new_sx(pl, SX_TOJSON))) return NULL;
            e->n_args = 1;
            e->args = arena_alloc(&r->arena, sizeof(*e->args));
            if (!e->args) return NULL;
            e->args[0] = arg;
            e->type = type_native(TYPE_VARCHAR);
            return e;
        }
        if (!s->func.name.ks && (!strcmp(name, "fromjson") || !strcmp(name, "from_json"))) {
            cql_error(r, PROTO_ERR_INVALID,
                      "fromJson() cannot be used in the selection clause of "
                      "a SELECT statement");
            return NULL;
        }
        return plan_call(pl, s->func.name.ks, name, s->func.args, s->func.n_args);
    bad_token:
        cql_error(r, PROTO_ERR_INVALID,
                  "Invalid arguments for token(): the partition key "
                  "columns, in order, are expected");
        return NULL;
    }
    case CQL_SEL_CAST: {
        struct sx *arg = plan(pl, s->cast.arg);
        if (!arg) return NULL;
        char err[256];
        const struct type *to = type_native(cql_native_kind(s->cast.type));
        const struct cql_func *f;
        const char *text = sel_name(pl, s->cast.arg);
        if (!text) return NULL;
        if (cql_func_cast(arg->type, text, to, &f, err, sizeof(err)) < 0) {
            cql_error(r, PROTO_ERR_INVALID, "%s", err);
            return NULL;
        }
        if (!f) return arg;
        if (!(e = new_sx(pl, SX_FUNC))) return NULL;
        e->f = f;
        e->type = cql_func_return_type(f);
        e->n_args = 1;
        e->args = arena_alloc(&r->arena, sizeof(*e->args));
        if (!e->args) return NULL;
        e->args[0] = arg;
        return e;
    }
    case CQL_SEL_BINOP: {
        struct cql_selector *args[2] = {s->binop.left, s->binop.right};
        return plan_call(pl, "system", op_func(s->binop.op), args, 2);
    }
    case CQL_SEL_NEGATE: {
        struct cql_selector *args[1] = {s->arg};
        return plan_call(pl, "system", "_negate", args, 1);
    }
    case CQL_SEL_TERM: {
        const struct cql_term *term = s->term;
        if (term->kind == CQL_TERM_BIND) {
            cql_error(r, PROTO_ERR_INVALID,
                      "Bind markers in the selection need a type hint, e.g. "
                      "(int)?");
            return NULL;
        }
        const struct type *ty =
            term->kind == CQL_TERM_CONST ? default_lit_type(term->constant.kind) : NULL;
        if (!ty) {
            cql_error(r, PROTO_ERR_INVALID,
                      "Cannot infer the type of this literal in the "
                      "selection; use a type hint");
            return NULL;
        }
        return const_sx(pl, term, ty);
    }
    case CQL_SEL_TYPE_HINT: {
        struct type *ty = cql_build_type(r, pl->ks, s->hint.type);
        if (!ty) return NULL;
        if (s->hint.arg->kind == CQL_SEL_TERM) return const_sx(pl, s->hint.arg->term, ty);
        return plan(pl, s->hint.arg);
    }
    case CQL_SEL_FIELD: {
        struct sx *arg = plan(pl, s->field.arg);
        if (!arg) return NULL;
        const struct type *ty = arg->type;
        if (ty->kind != TYPE_UDT) {
            cql_error(r, PROTO_ERR_INVALID, "Invalid field selection: %s is not a user type",
                      type_kind_name(ty->kind));
            return NULL;
        }
        int fi = -1;
        for (int i = 0; i < ty->n_params; i++)
            if (strcmp(ty->field_names[i], s->field.name) == 0) fi = i;
        if (fi < 0) {
            cql_error(r, PROTO_ERR_INVALID, "%s of type %s has no field %s", "selection", ty->name,
                      s->field.name);
            return NULL;
        }
        if (!(e = new_sx(pl, SX_FIELD))) return NULL;
        e->n_args = 1;
        e->args = arena_alloc(&r->arena, sizeof(*e->args));
        if (!e->args) return NULL;
        e->args[0] = arg;
        e->field = fi;
        e->type = ty->params[fi];
        return e;
    }
    case CQL_SEL_ELEMENT: {
        struct sx *arg = plan(pl, s->element.arg);
        if (!arg) return NULL;
        const struct type *ty = arg->type;
        if (ty->kind != TYPE_MAP && ty->kind != TYPE_SET) {
            const char *what = sel_name(pl, s->element.arg);
            if (what)
                cql_error(r, PROTO_ERR_INVALID,
                          "Element selection is only allowed on sets and maps, "
                          "but %s is a %s",
                          what, type_kind_name(ty->kind));
            return NULL;
        }
        struct sx *key = const_sx(pl, s->element.key, ty->params[0]);
        if (!key || !(e = new_sx(pl, SX_ELEMENT))) return NULL;
        e->n_args = 1;
        e->args = arena_alloc(&r->arena, sizeof(*e->args));
        if (!e->args) return NULL;
        e->args[0] = arg;
        e->cval = key->cval;
        e->type = ty->kind == TYPE_MAP ? ty->params[1] : ty->params[0];
        return e;
    }
    case CQL_SEL_SLICE: {
        struct sx *arg = plan(pl, s->slice.arg);
        if (!arg) return NULL;
        const struct type *ty = arg->type;
        if (ty->kind != TYPE_MAP && ty->kind != TYPE_SET) {
            const char *what = sel_name(pl, s->slice.arg);
            if (what)
                cql_error(r, PROTO_ERR_INVALID,
                          "Slice selection is only allowed on sets and maps, "
                          "but %s is a %s",
                          what, type_kind_name(ty->kind));
            return NULL;
        }
        struct sx *from = NULL, *to = NULL;
        if (s->slice.from && !(from = const_sx(pl, s->slice.from, ty->params[0]))) return NULL;
        if (s->slice.to && !(to = const_sx(pl, s->slice.to, ty->params[0]))) return NULL;
        if (!(e = new_sx(pl, SX_SLICE))) return NULL;
        e->n_args = 1;
        e->args = arena_alloc(&r->arena, sizeof(*e->args));
        if (!e->args) return NULL;
        e->args[0] = arg;
        e->cval = from ? from->cval : (struct type_val){NULL, -1};
        e->cval2 = to ? to->cval : (struct type_val){NULL, -1};
        e->field = (from ? 1 : 0) | (to ? 2 : 0); /* which bounds are given */
        e->type = ty;
        return e;
    }
    case CQL_SEL_TUPLE:
        if (s->list.n_items == 1) return plan(pl, s->list.items[0]); /* parentheses */
        /* fall through */
    default:
        cql_error(r, PROTO_ERR_INVALID, "This selector is not supported yet by ringdb");
        return NULL;
    }
}

/* ---- names ---- */

static void term_text(buf *b, const struct cql_term *t)
{
    if (t->kind == CQL_TERM_CONST) {
        if (t->constant.kind == CQL_CONST_STRING) {
            buf_put_u8(b, '\'');
            buf_put(b, t->constant.text, t->constant.len);
            buf_put_u8(b, '\'');
        } else {
            buf_put(b, t->constant.text, t->constant.len);
        }
    } else if (t->kind == CQL_TERM_BIND) {
        buf_put_u8(b, '?');
    } else {
        buf_put(b, "...", 3);
    }
}

static void sel_text(buf *b, const struct cql_selector *s)
{
    static const char *natives[] = {
        "ascii",  "bigint",    "blob",     "boolean", "counter", "date",     "decimal",
        "double", "duration",  "float",    "inet",    "int",     "smallint", "text",
        "time",   "timestamp", "timeuuid", "tinyint", "uuid",    "varchar",  "varint"};
    switch (s->kind) {
    case CQL_SEL_COLUMN: buf_put(b, s->column, strlen(s->column)); break;
    case CQL_SEL_COUNT_ROWS: buf_put(b, "count", 5); break;
    case CQL_SEL_WRITETIME:
    case CQL_SEL_MAXWRITETIME:
    case CQL_SEL_TTL: {
        const char *fn = s->kind == CQL_SEL_TTL         ? "ttl("
                         : s->kind == CQL_SEL_WRITETIME ? "writetime("
                                                        : "maxwritetime(";
        buf_put(b, fn, strlen(fn));
        sel_text(b, s->arg);
        buf_put_u8(b, ')');
        break;
    }
    case CQL_SEL_FUNCTION: {
        if (strcasecmp(s->func.name.name, "count") == 0 && s->func.n_args == 1 &&
            s->func.args[0]->kind == CQL_SEL_TERM && !s->func.name.ks) {
            buf_put(b, "count", 5); /* count(1), like count(*) */
            break;
        }
        const char *ks = s->func.name.ks ? s->func.name.ks : "system";
        buf_put(b, ks, strlen(ks));
        buf_put_u8(b, '.');
        for (const char *q = s->func.name.name; *q; q++)
            buf_put_u8(b, (uint8_t)(*q >= 'A' && *q <= 'Z' ? *q - 'A' + 'a' : *q));
        buf_put_u8(b, '(');
        for (int i = 0; i < s->func.n_args; i++) {
            if (i) buf_put(b, ", ", 2);
            sel_text(b, s->func.args[i]);
        }
        buf_put_u8(b, ')');
        break;
    }
    case CQL_SEL_CAST:
        buf_put(b, "cast(", 5);
        sel_text(b, s->cast.arg);
        buf_put(b, " as ", 4);
        buf_put(b, natives[s->cast.type], strlen(natives[s->cast.type]));
        buf_put_u8(b, ')');
        break;
    case CQL_SEL_FIELD:
        sel_text(b, s->field.arg);
        buf_put_u8(b, '.');
        buf_put(b, s->field.name, strlen(s->field.name));
        break;
    case CQL_SEL_ELEMENT:
        sel_text(b, s->element.arg);
        buf_put_u8(b, '[');
        term_text(b, s->element.key);
        buf_put_u8(b, ']');
        break;
    case CQL_SEL_BINOP:
        sel_text(b, s->binop.left);
        buf_put_u8(b, ' ');
        buf_put_u8(b, (uint8_t)s->binop.op);
        buf_put_u8(b, ' ');
        sel_text(b, s->binop.right);
        break;
    case CQL_SEL_NEGATE:
        buf_put_u8(b, '-');
        sel_text(b, s->arg);
        break;
    case CQL_SEL_TERM: term_text(b, s->term); break;
    case CQL_SEL_TYPE_HINT: sel_text(b, s->hint.arg); break;
    case CQL_SEL_SLICE:
        sel_text(b, s->slice.arg);
        buf_put_u8(b, '[');
        if (s->slice.from) term_text(b, s->slice.from);
        buf_put(b, "..", 2);
        if (s->slice.to) term_text(b, s->slice.to);
        buf_put_u8(b, ']');
        break;
    case CQL_SEL_TUPLE:
        buf_put_u8(b, '(');
        for (int i = 0; i < s->list.n_items; i++) {
            if (i) buf_put(b, ", ", 2);
            sel_text(b, s->list.items[i]);
        }
        buf_put_u8(b, ')');
        break;
    default: buf_put(b, "expr", 4); break;
    }
}

/* Gives each maximal aggregate-free subtree a slot for its first-row value. */
static void mark_slots(struct selection *s, struct sx *e)
{
    if (!has_agg(e)) {
        e->slot = s->n_slots++;
        return;
    }
    if (e->kind == SX_AGG) return;
    for (int i = 0; i < e->n_args; i++)
        mark_slots(s, e->args[i]);
}

int selection_plan(struct cql_exec *x, const struct schema_keyspace *ks,
                   const struct schema_table *t, const struct cql_select *sel,
                   struct selection **out)
{
    struct cql_req *r = x->r;
    struct selection *s = arena_calloc(&r->arena, sizeof(*s));
    int n = sel->wildcard ? t->n_cols : sel->n_selectors;
    if (!s) goto oom;
    s->n = n;
    s->roots = arena_calloc(&r->arena, sizeof(*s->roots) * (size_t)(n ? n : 1));
    s->names = arena_calloc(&r->arena, sizeof(*s->names) * (size_t)(n ? n : 1));
    s->types = arena_calloc(&r->arena, sizeof(*s->types) * (size_t)(n ? n : 1));
    s->simple_ci = arena_calloc(&r->arena, sizeof(int) * (size_t)(n ? n : 1));
    if (!s->roots || !s->names || !s->types || !s->simple_ci) goto oom;
    s->simple = 1;
    s->n_group_by = -1;
    struct planner pl = {.x = x, .t = t, .ks = ks, .s = s, .distinct = sel->distinct};
    for (int i = 0; i < n; i++) {
        if (sel->wildcard) {
            struct sx *e = new_sx(&pl, SX_COLUMN);
            if (!e) return -1;
            e->ci = i;
            e->type = t->cols[i].type;
            s->roots[i] = e;
            s->names[i] = t->cols[i].name;
            s->types[i] = e->type;
            s->simple_ci[i] = i;
            continue;
        }
        const struct cql_select_item *it = sel->selectors[i];
        struct sx *e = plan(&pl, it->sel);
        if (!e) return -1;
        s->roots[i] = e;
        s->types[i] = e->type;
        if (e->kind == SX_COLUMN)
            s->simple_ci[i] = e->ci;
        else
            s->simple = 0;
        if (it->alias) {
            s->names[i] = it->alias;
        } else if (e->kind == SX_COLUMN) {
            s->names[i] = t->cols[e->ci].name;
        } else if (!(s->names[i] = sel_name(&pl, it->sel))) {
            return -1;
        }
    }
    if (sel->distinct) {
        for (int k = 0; k < t->n_pk; k++) {
            int found = 0;
            for (int i = 0; i < n; i++)
                found |= s->roots[i]->kind == SX_COLUMN && s->roots[i]->ci == k;
            if (!found) {
                cql_error(r, PROTO_ERR_INVALID,
                          "SELECT DISTINCT queries must request all the "
                          "partition key columns (missing %s)",
                          t->cols[k].name);
                return -1;
            }
        }
    }
    if (sel->n_group_by &&
        selection_group_by(x, t, sel, NULL, &s->n_group_by) < 0) /* order: with the WHERE */
        return -1;
    if (sel->n_group_by) {
        s->has_agg = 1; /* one row per group, even without aggregate functions */
        s->simple = 0;
    }
    if (s->has_agg) {
        s->simple = 0;
        for (int i = 0; i < n; i++)
            mark_slots(s, s->roots[i]);
        s->agg_base = (sizeof(struct group) + sizeof(struct type_val) * (size_t)s->n_slots + 15) &
                      ~(size_t)15;
    }
    *out = s;
    return 0;
oom:
    cql_error(r, PROTO_ERR_SERVER, "Out of memory");
    return -1;
}

/* ---- evaluation ---- */

/* A non-frozen collection or UDT, assembled from its cells in the
 * protocol encoding (no length prefix). */
static void put_complex(buf *b, const struct type *ty, const struct db_rcol *rc)
{
    if (ty->kind == TYPE_UDT) {
        /* fields in order; missing ones null, trailing nulls dropped */
        int last = -1;
        for (int i = 0; i < rc->n; i++)
            if (rc->cells[i].path.len == 2 && (int)be16(rc->cells[i].path.p) > last)
                last = be16(rc->cells[i].path.p);
        for (int f = 0; f <= last; f++) {
            const struct db_cell *hit = NULL;
            for (int i = 0; i < rc->n; i++)
                if (rc->cells[i].path.len == 2 && be16(rc->cells[i].path.p) == f)
                    hit = &rc->cells[i];
            if (hit)
                proto_wr_bytes(b, hit->value.p, hit->value.len);
            else
                buf_put_be32(b, 0xffffffffu);
        }
        return;
    }
    buf_put_be32(b, (uint32_t)rc->n);
    for (int i = 0; i < rc->n; i++) {
        const struct db_cell *cell = &rc->cells[i];
        if (ty->kind == TYPE_LIST) {
            proto_wr_bytes(b, cell->value.p, cell->value.len);
        } else if (ty->kind == TYPE_SET) {
            proto_wr_bytes(b, cell->path.p, cell->path.len);
        } else {
            proto_wr_bytes(b, cell->path.p, cell->path.len);
            proto_wr_bytes(b, cell->value.p, cell->value.len);
        }
    }
}

static int is_complex(const struct type *ty)
{
    return !ty->frozen && (ty->kind == TYPE_LIST || ty->kind == TYPE_SET || ty->kind == TYPE_MAP ||
                           ty->kind == TYPE_UDT);
}

/* The cells of a regular or static column, NULL for none. */
static const struct db_rcol *column_cells(const struct sel_row *sr, int ci)
{
    const struct schema_column *c = &sr->t->cols[ci];
    const struct db_rrow *src = c->kind == COL_STATIC ? sr->srow : sr->row;
    const struct db_rcol *rc = src ? &src->cols[ci] : NULL;
    return rc && rc->n ? rc : NULL;
}

/* A key column's value, or a simple column's single cell. 1 if the column
 * is a non-frozen collection or UDT with cells (*rc set), else 0. */
static int column_simple(const struct sel_row *sr, int ci, struct type_val *out,
                         const struct db_rcol **rcp)
{
    const struct schema_column *c = &sr->t->cols[ci];
    *out = (struct type_val){NULL, -1};
    if (c->kind == COL_PARTITION_KEY) {
        if (sr->pk) *out = (struct type_val){sr->pk[c->position].p, sr->pk[c->position].len};
        return 0;
    }
    if (c->kind == COL_CLUSTERING) {
        if (sr->row && sr->row->ck && c->position < sr->row->n_ck)
            *out = (struct type_val){sr->row->ck[c->position].p, sr->row->ck[c->position].len};
        return 0;
    }
    const struct db_rcol *rc = column_cells(sr, ci);
    if (!rc) return 0;
    if (!is_complex(c->type)) {
        *out = (struct type_val){rc->cells[0].value.p, rc->cells[0].value.len};
        return 0;
    }
    *rcp = rc;
    return 1;
}

void sel_write_column(buf *b, const struct sel_row *sr, int ci)
{
    struct type_val v;
    const struct db_rcol *rc;
    if (!column_simple(sr, ci, &v, &rc)) {
        proto_wr_bytes(b, v.p, v.len);
        return;
    }
    size_t len_off = buf_skip(b, 4);
    size_t start = b->len;
    put_complex(b, sr->t->cols[ci].type, rc);
    buf_patch_be32(b, len_off, (uint32_t)(b->len - start));
}

int sel_column_value(const struct sel_row *sr, int ci, arena *a, struct type_val *out)
{
    const struct db_rcol *rc;
    if (!column_simple(sr, ci, out, &rc)) return 0;
    buf b;
    buf_init(&b);
    put_complex(&b, sr->t->cols[ci].type, rc);
    int ret = -1;
    if (buf_ok(&b)) {
        uint8_t *p = arena_memdup(a, b.data ? b.data : (const uint8_t *)"", b.len ? b.len : 1);
        if (p) {
            *out = (struct type_val){p, (int32_t)b.len};
            ret = 0;
        }
    }
    buf_free(&b);
    return ret;
}

static int oom(struct sel_err *err)
{
    snprintf(err->msg, sizeof(err->msg), "Out of memory");
    err->f = NULL;
    return -1;
}

static int put8(arena *a, int64_t v, struct type_val *out)
{
    uint8_t *p = arena_alloc(a, 8);
    if (!p) return -1;
    put_be64(p, (uint64_t)v);
    *out = (struct type_val){p, 8};
    return 0;
}

/* Evaluates e over one row; inside a group's result (g set), subtrees with
 * a slot give the group's first-row value and aggregates their result. */
static int eval(const struct selection *s, const struct sx *e, const struct sel_row *sr,
                const struct group *g, arena *a, struct type_val *out, struct sel_err *err)
{
    *out = (struct type_val){NULL, -1};
    if (g && e->slot >= 0) {
        if (g->has_first) *out = g->slots[e->slot];
        return 0;
    }
    switch (e->kind) {
    case SX_COLUMN: return sel_column_value(sr, e->ci, a, out) < 0 ? oom(err) : 0;
    case SX_CONST: *out = e->cval; return 0;
    case SX_TOKEN: return put8(a, sr->token, out) < 0 ? oom(err) : 0;
    case SX_WRITETIME:
    case SX_MAXWRITETIME:
    case SX_TTL: {
        const struct db_rcol *rc = column_cells(sr, e->ci);
        if (!rc) return 0;
        if (e->kind == SX_TTL) {
            if (rc->cells[0].ttl <= 0) return 0;
            uint8_t *p = arena_alloc(a, 4);
            if (!p) return oom(err);
            int64_t left = rc->cells[0].ldt - sr->now;
            put_be32(p, (uint32_t)(left > 0 ? left : 0));
            *out = (struct type_val){p, 4};
            return 0;
        }
        int64_t ts = rc->cells[0].ts;
        for (int i = 1; e->kind == SX_MAXWRITETIME && i < rc->n; i++)
            if (rc->cells[i].ts > ts) ts = rc->cells[i].ts;
        return put8(a, ts, out) < 0 ? oom(err) : 0;
    }
    case SX_FIELD: {
        struct type_val v, f;
        if (eval(s, e->args[0], sr, g, a, &v, err) < 0) return -1;
        if (v.len < 0) return 0;
        struct type_iter it;
        if (type_iter_init(&it, e->args[0]->type, v.p, v.len) < 0) return 0;
        for (int i = 0; type_iter_next(&it, &f) > 0; i++)
            if (i == e->field) {
                *out = f;
                return 0;
            }
        return 0;
    }
    case SX_ELEMENT: {
        struct type_val v, k, val;
        if (eval(s, e->args[0], sr, g, a, &v, err) < 0) return -1;
        if (v.len < 0 || e->cval.len < 0) return 0;
        const struct type *ty = e->args[0]->type;
        struct type_iter it;
        if (type_iter_init(&it, ty, v.p, v.len) < 0) return 0;
        while (type_iter_next(&it, &k) > 0) {
            if (ty->kind == TYPE_MAP && type_iter_next(&it, &val) <= 0) break;
            if (type_compare(ty->params[0], k.p, k.len, e->cval.p, e->cval.len) == 0) {
                *out = ty->kind == TYPE_MAP ? val : k;
                return 0;
            }
        }
        return 0;
    }
    case SX_SLICE: {
        struct type_val v, k, val;
        if (eval(s, e->args[0], sr, g, a, &v, err) < 0) return -1;
        if (v.len < 0) return 0;
        const struct type *ty = e->type;
        const struct type *kt = ty->params[0];
        struct type_iter it;
        if (type_iter_init(&it, ty, v.p, v.len) < 0) return 0;
        buf b;
        buf_init(&b);
        buf_put_be32(&b, 0);
        uint32_t n = 0;
        while (type_iter_next(&it, &k) > 0) {
            if (ty->kind == TYPE_MAP && type_iter_next(&it, &val) <= 0) break;
            if ((e->field & 1) && e->cval.len >= 0 &&
                type_compare(kt, k.p, k.len, e->cval.p, e->cval.len) < 0)
                continue;
            if ((e->field & 2) && e->cval2.len >= 0 &&
                type_compare(kt, k.p, k.len, e->cval2.p, e->cval2.len) > 0)
                continue;
            proto_wr_bytes(&b, k.p, k.len);
            if (ty->kind == TYPE_MAP) proto_wr_bytes(&b, val.p, val.len);
            n++;
        }
        if (buf_ok(&b)) put_be32(b.data, n);
        int ok = buf_ok(&b);
        uint8_t *p = ok ? arena_memdup(a, b.data, b.len) : NULL;
        size_t len = b.len;
        buf_free(&b);
        if (!p) return oom(err);
        if (n > 0 || ty->frozen) *out = (struct type_val){p, (int32_t)len};
        return 0;
    }
    case SX_TOJSON: {
        struct type_val v;
        if (eval(s, e->args[0], sr, g, a, &v, err) < 0) return -1;
        buf b;
        buf_init(&b);
        if (type_to_json(e->args[0]->type, v.len >= 0 ? v.p : NULL, v.len, &b) == TYPE_EINVAL)
            buf_put(&b, "null", 4);
        int ok = buf_ok(&b);
        uint8_t *p =
            ok ? arena_memdup(a, b.len ? b.data : (const uint8_t *)"", b.len ? b.len : 1) : NULL;
        size_t n = b.len;
        buf_free(&b);
        if (!p) return oom(err);
        *out = (struct type_val){p, (int32_t)n};
        return 0;
    }
    case SX_FUNC: {
        struct type_val args[MAX_FUNC_ARGS];
        for (int i = 0; i < e->n_args; i++)
            if (eval(s, e->args[i], sr, g, a, &args[i], err) < 0) return -1;
        if (cql_func_call(e->f, sr->now_ms, args, e->n_args, a, out, err->msg, sizeof(err->msg)) <
            0) {
            err->f = e->f;
            return -1;
        }
        return 0;
    }
    case SX_AGG:
        if (!g) return oom(err); /* planning never puts an aggregate here */
        if (cql_agg_result(e->f, (uint8_t *)g + s->agg_base + e->agg_off, a, out, err->msg,
                           sizeof(err->msg)) < 0) {
            err->f = e->f;
            return -1;
        }
        return 0;
    }
    return oom(err);
}

int selection_eval(const struct selection *s, int i, const struct sel_row *sr, arena *a,
                   struct type_val *out, struct sel_err *err)
{
    return eval(s, s->roots[i], sr, NULL, a, out, err);
}

static void walk_aggs(const struct selection *s, const struct sx *e, uint8_t *g, int destroy)
{
    if (e->kind == SX_AGG) {
        if (destroy)
            cql_agg_destroy(e->f, g + s->agg_base + e->agg_off);
        else
            cql_agg_init(e->f, g + s->agg_base + e->agg_off);
        return;
    }
    for (int i = 0; i < e->n_args; i++)
        walk_aggs(s, e->args[i], g, destroy);
}

void *selection_group_new(const struct selection *s, arena *a)
{
    uint8_t *g = arena_calloc(a, s->agg_base + s->agg_state_size);
    if (!g) return NULL;
    for (int i = 0; i < s->n; i++)
        walk_aggs(s, s->roots[i], g, 0);
    return g;
}

void selection_group_free(const struct selection *s, void *g)
{
    for (int i = 0; g && i < s->n; i++)
        walk_aggs(s, s->roots[i], g, 1);
}

/* Feeds a row to the group: the first-row values of slotted subtrees
 * (copied into keep), and each aggregate's arguments. */
static int add(const struct selection *s, const struct sx *e, struct group *g,
               const struct sel_row *sr, arena *keep, arena *scratch, struct sel_err *err)
{
    if (e->slot >= 0) {
        if (g->has_first) return 0;
        struct type_val v;
        if (eval(s, e, sr, NULL, scratch, &v, err) < 0) return -1;
        if (v.len > 0 && !(v.p = arena_memdup(keep, v.p, (size_t)v.len))) return oom(err);
        g->slots[e->slot] = v;
        return 0;
    }
    if (e->kind == SX_AGG) {
        struct type_val args[MAX_FUNC_ARGS];
        for (int i = 0; i < e->n_args; i++)
            if (eval(s, e->args[i], sr, NULL, scratch, &args[i], err) < 0) return -1;
        if (cql_agg_add(e->f, (uint8_t *)g + s->agg_base + e->agg_off, args, e->n_args, err->msg,
                        sizeof(err->msg)) < 0) {
            err->f = e->f;
            return -1;
        }
        return 0;
    }
    for (int i = 0; i < e->n_args; i++)
        if (add(s, e->args[i], g, sr, keep, scratch, err) < 0) return -1;
    return 0;
}

int selection_group_add(const struct selection *s, void *gv, const struct sel_row *sr, arena *keep,
                        arena *scratch, struct sel_err *err)
{
    struct group *g = gv;
    for (int i = 0; i < s->n; i++)
        if (add(s, s->roots[i], g, sr, keep, scratch, err) < 0) return -1;
    g->has_first = 1;
    return 0;
}

int selection_group_result(const struct selection *s, void *gv, int i, int64_t now_ms, arena *a,
                           struct type_val *out, struct sel_err *err)
{
    struct sel_row none = {.now_ms = now_ms};
    return eval(s, s->roots[i], &none, gv, a, out, err);
}
