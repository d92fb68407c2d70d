/*
 * restrict.c -- WHERE analysis (see restrict.h). Messages are Cassandra's
 * (StatementRestrictions, ClusteringColumnRestrictions, ...).
 */
#include "cql/restrict.h"
#include "types/value.h"
#include "util/murmur3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FILTERING_MSG                                                                              \
    "Cannot execute this query as it might involve data filtering and thus may have "              \
    "unpredictable performance. If you want to execute this query despite the performance "        \
    "unpredictability, use ALLOW FILTERING"

static int col_idx(const struct schema_table *t, const char *name)
{
    for (int i = 0; i < t->n_cols; i++)
        if (strcmp(t->cols[i].name, name) == 0) return i;
    return -1;
}

static const char *op_text(enum cql_op op)
{
    static const char *s[] = {
        "=", "<", "<=", ">", ">=", "!=", "IN", "CONTAINS", "CONTAINS KEY", "LIKE", "IS NOT"};
    return s[op];
}

/* Encodes a value for a key column (null/unset rejected). */
static int key_value(struct cql_exec *x, const struct cql_term *term, const struct schema_column *c,
                     proto_value *out)
{
    if (cql_encode_term(x, term, c->type, c->name, out) < 0) return -1;
    if (out->len == PROTO_VALUE_UNSET) {
        cql_error(x->r, PROTO_ERR_INVALID, "Invalid unset value for column %s", c->name);
        return -1;
    }
    if (out->len < 0) {
        cql_error(x->r, PROTO_ERR_INVALID, "Invalid null value in condition for column %s",
                  c->name);
        return -1;
    }
    if (out->len > 65535) {
        cql_error(x->r, PROTO_ERR_INVALID, "Key length of %d is longer than maximum of 65535",
                  out->len);
        return -1;
    }
    return 0;
}

/* The values of `col IN (...)` / `col IN ?` / `col = v`. */
static int values_of(struct cql_exec *x, const struct cql_relation *rel,
                     const struct schema_column *c, struct key_values *kv)
{
    arena *a = &x->r->arena;
    if (rel->op == CQL_OP_EQ) {
        kv->v = arena_alloc(a, sizeof(*kv->v));
        if (!kv->v) return -1;
        kv->n = 1;
        return key_value(x, rel->value, c, &kv->v[0]);
    }
    if (rel->in_marker) {
        struct type lt = {.kind = TYPE_LIST, .n_params = 1};
        struct type *p[1] = {c->type};
        lt.params = p;
        proto_value lv;
        if (cql_encode_term(x, rel->value, &lt, c->name, &lv) < 0) return -1;
        if (lv.len < 0) {
            cql_error(x->r, PROTO_ERR_INVALID, "Invalid null value for IN restriction on %s",
                      c->name);
            return -1;
        }
        struct type_iter it;
        if (type_iter_init(&it, &lt, lv.p, lv.len) < 0) {
            cql_error(x->r, PROTO_ERR_INVALID, "Invalid list value for IN restriction on %s",
                      c->name);
            return -1;
        }
        kv->n = 0;
        kv->v = arena_alloc(a, sizeof(*kv->v) * (size_t)(it.n_left > 0 ? it.n_left : 1));
        if (!kv->v) return -1;
        struct type_val v;
        while (type_iter_next(&it, &v) > 0) {
            if (v.len < 0) {
                cql_error(x->r, PROTO_ERR_INVALID, "Invalid null value in condition for column %s",
                          c->name);
                return -1;
            }
            int dup = 0; /* IN answers each row once */
            for (int k = 0; k < kv->n && !dup; k++)
                dup = kv->v[k].len == v.len && memcmp(kv->v[k].p, v.p, (size_t)v.len) == 0;
            if (!dup) kv->v[kv->n++] = (proto_value){v.p, v.len};
        }
        return 0;
    }
    kv->v = arena_alloc(a, sizeof(*kv->v) * (size_t)(rel->n_in_values ? rel->n_in_values : 1));
    if (!kv->v) return -1;
    kv->n = 0;
    for (int i = 0; i < rel->n_in_values; i++) {
        proto_value v;
        if (key_value(x, rel->in_values[i], c, &v) < 0) return -1;
        int dup = 0;
        for (int k = 0; k < kv->n && !dup; k++)
            dup = kv->v[k].len == v.len && memcmp(kv->v[k].p, v.p, (size_t)v.len) == 0;
        if (!dup) kv->v[kv->n++] = v;
    }
    return 0;
}

int cql_serialize_pk(arena *a, const proto_value *const *vals, int n, db_val *out)
{
    if (n == 1) {
        out->p = vals[0]->p;
        out->len = vals[0]->len;
        return 0;
    }
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += 3 + (size_t)vals[i]->len;
    uint8_t *b = arena_alloc(a, total ? total : 1);
    if (!b) return -1;
    size_t o = 0;
    for (int i = 0; i < n; i++) {
        put_be16(b + o, (uint16_t)vals[i]->len);
        memcpy(b + o + 2, vals[i]->p, (size_t)vals[i]->len);
        b[o + 2 + vals[i]->len] = 0;
        o += 3 + (size_t)vals[i]->len;
    }
    out->p = b;
    out->len = (int32_t)total;
    return 0;
}

/* token(...) op value: the value is a bigint, or token(args) of the pk. */
static int token_value(struct cql_exec *x, const struct schema_table *t, const struct cql_term *v,
                       int64_t *out)
{
    if (v->kind == CQL_TERM_FUNCTION && strcmp(v->func.name.name, "token") == 0) {
        if (v->func.n_args != t->n_pk) {
            cql_error(x->r, PROTO_ERR_INVALID,
                      "Invalid number of arguments in call to function "
                      "system.token: %d required but %d provided",
                      t->n_pk, v->func.n_args);
            return -1;
        }
        proto_value vals[MAX_KEY_COLS];
        const proto_value *pv[MAX_KEY_COLS];
        for (int i = 0; i < t->n_pk; i++) {
            if (key_value(x, v->func.args[i], &t->cols[i], &vals[i]) < 0) return -1;
            pv[i] = &vals[i];
        }
        db_val k;
        if (cql_serialize_pk(&x->r->arena, pv, t->n_pk, &k) < 0) return -1;
        *out = mm3_token(k.p, (size_t)k.len);
        return 0;
    }
    proto_value tv;
    if (cql_encode_term(x, v, type_native(TYPE_BIGINT), "partition key token", &tv) < 0) return -1;
    if (tv.len != 8) {
        cql_error(x->r, PROTO_ERR_INVALID, "Invalid null value for partition key token");
        return -1;
    }
    *out = (int64_t)be64(tv.p);
    return 0;
}

/* The tuple type of clustering columns [first, first + n). */
static struct type *tuple_of(arena *a, const struct schema_table *t, int first, int n)
{
    struct type *tt = arena_calloc(a, sizeof(*tt));
    struct type **p = arena_alloc(a, sizeof(*p) * (size_t)(n ? n : 1));
    if (!tt || !p) return NULL;
    for (int k = 0; k < n; k++)
        p[k] = t->cols[first + k].type;
    tt->kind = TYPE_TUPLE;
    tt->frozen = 1;
    tt->n_params = n;
    tt->params = p;
    return tt;
}

/* The components of a tuple literal or a bound tuple for columns [first, first+n). */
static int tuple_values(struct cql_exec *x, const struct schema_table *t, const struct cql_term *tv,
                        int first, int n, db_val *out)
{
    struct cql_req *r = x->r;
    if (tv->kind == CQL_TERM_TUPLE) {
        if (tv->list.n_items != n) {
            cql_error(r, PROTO_ERR_INVALID, "Expected %d elements in value tuple, but got %d", n,
                      tv->list.n_items);
            return -1;
        }
        for (int k = 0; k < n; k++) {
            proto_value v;
            if (key_value(x, tv->list.items[k], &t->cols[first + k], &v) < 0) return -1;
            out[k] = (db_val){v.p, v.len};
        }
        return 0;
    }
    struct type *tt = tuple_of(&r->arena, t, first, n);
    proto_value v;
    if (!tt || cql_encode_term(x, tv, tt, "tuple", &v) < 0) return -1;
    if (v.len < 0) {
        cql_error(r, PROTO_ERR_INVALID, "Invalid null value in condition for columns (%s, ...)",
                  t->cols[first].name);
        return -1;
    }
    struct type_iter it;
    struct type_val e;
    if (type_iter_init(&it, tt, v.p, v.len) < 0) return -1;
    for (int k = 0; k < n; k++) {
        if (type_iter_next(&it, &e) <= 0 || e.len < 0) {
            cql_error(r, PROTO_ERR_INVALID, "Invalid null value in condition for column %s",
                      t->cols[first + k].name);
            return -1;
        }
        out[k] = (db_val){e.p, e.len};
    }
    return 0;
}

/* Drops repeated tuples (m tuples of n values), keeping the first of each:
 * IN answers each row once. Returns the new count. */
static int dedup_tuples(db_val *vals, int n, int m)
{
    int w = 0;
    for (int i = 0; i < m; i++) {
        int dup = 0;
        for (int j = 0; j < w && !dup; j++) {
            dup = 1;
            for (int k = 0; k < n && dup; k++) {
                const db_val *a = &vals[j * n + k], *b = &vals[i * n + k];
                dup = a->len == b->len && (a->len <= 0 || memcmp(a->p, b->p, (size_t)a->len) == 0);
            }
        }
        if (dup) continue;
        if (w != i)
            for (int k = 0; k < n; k++)
                vals[w * n + k] = vals[i * n + k];
        w++;
    }
    return w;
}

static int multi_in_values(struct cql_exec *x, const struct schema_table *t,
                           const struct cql_relation *rel, int first, struct restrictions *rs)
{
    struct cql_req *r = x->r;
    int n = rel->n_columns;
    if (rel->in_marker) {
        struct type *tt = tuple_of(&r->arena, t, first, n);
        struct type lt = {.kind = TYPE_LIST, .n_params = 1, .frozen = 1};
        struct type *lp[1] = {tt};
        lt.params = lp;
        proto_value v;
        if (!tt || cql_encode_term(x, rel->value, &lt, "in", &v) < 0) return -1;
        struct type_iter it;
        struct type_val e;
        int cnt = v.len >= 0 ? type_iter_init(&it, &lt, v.p, v.len) : 0;
        if (cnt < 0) return -1;
        db_val *vals = arena_alloc(&r->arena, sizeof(*vals) * (size_t)(cnt * n + 1));
        if (!vals) return -1;
        int m = 0;
        while (m < cnt && type_iter_next(&it, &e) > 0) {
            struct type_iter it2;
            struct type_val c;
            if (e.len < 0 || type_iter_init(&it2, tt, e.p, e.len) < 0) return -1;
            for (int k = 0; k < n; k++) {
                if (type_iter_next(&it2, &c) <= 0 || c.len < 0) {
                    cql_error(r, PROTO_ERR_INVALID, "Invalid null value in IN tuple");
                    return -1;
                }
                vals[m * n + k] = (db_val){c.p, c.len};
            }
            m++;
        }
        rs->mi_vals = vals;
        rs->mi_n = dedup_tuples(vals, n, m);
        return 0;
    }
    db_val *vals = arena_alloc(&r->arena, sizeof(*vals) * (size_t)(rel->n_in_values * n + 1));
    if (!vals) return -1;
    for (int i = 0; i < rel->n_in_values; i++)
        if (tuple_values(x, t, rel->in_values[i], first, n, &vals[i * n]) < 0) return -1;
    rs->mi_vals = vals;
    rs->mi_n = dedup_tuples(vals, n, rel->n_in_values);
    return 0;
}

static struct col_filter *new_filter(struct cql_req *r, struct restrictions *rs)
{
    struct col_filter *nf = arena_alloc(&r->arena, sizeof(*nf) * (size_t)(rs->n_filters + 1));
    if (!nf) return NULL;
    if (rs->n_filters) memcpy(nf, rs->filters, sizeof(*nf) * (size_t)rs->n_filters);
    rs->filters = nf;
    struct col_filter *f = &nf[rs->n_filters++];
    memset(f, 0, sizeof(*f));
    return f;
}

/* A filtering condition on column ci (regular, static, or a clustering or
 * partition column outside what the key restrictions cover). */
static int add_filter(struct cql_exec *x, const struct schema_table *t, struct restrictions *rs,
                      int ci, const struct cql_relation *rel)
{
    struct cql_req *r = x->r;
    const struct schema_column *c = &t->cols[ci];
    const struct type *ty = c->type;
    const struct type *vt = ty;
    int is_map = ty->kind == TYPE_MAP,
        is_coll = is_map || ty->kind == TYPE_LIST || ty->kind == TYPE_SET;
    if (rel->kind == CQL_REL_MAP_ELEMENT) {
        if (!is_map) {
            cql_error(r, PROTO_ERR_INVALID, "Column %s cannot be used as a map", c->name);
            return -1;
        }
        vt = ty->params[1];
    } else if (rel->op == CQL_OP_CONTAINS) {
        if (!is_coll) {
            cql_error(r, PROTO_ERR_INVALID, "Cannot use CONTAINS on non-collection column %s",
                      c->name);
            return -1;
        }
        vt = is_map ? ty->params[1] : ty->params[0];
    } else if (rel->op == CQL_OP_CONTAINS_KEY) {
        if (!is_map) {
            cql_error(r, PROTO_ERR_INVALID, "Cannot use CONTAINS KEY on non-map column %s",
                      c->name);
            return -1;
        }
        vt = ty->params[0];
    } else if (rel->op == CQL_OP_LIKE || rel->op == CQL_OP_IS_NOT) {
        cql_error(r, PROTO_ERR_INVALID, "%s restrictions are not supported yet by ringdb",
                  op_text(rel->op));
        return -1;
    } else if (is_coll && !ty->frozen) {
        cql_error(r, PROTO_ERR_INVALID,
                  "Collection column '%s' (%s) cannot be restricted by a "
                  "'%s' relation",
                  c->name,
                  ty->kind == TYPE_MAP   ? "map"
                  : ty->kind == TYPE_SET ? "set"
                                         : "list",
                  op_text(rel->op));
        return -1;
    }
    struct col_filter *f = new_filter(r, rs);
    if (!f) return -1;
    f->ci = ci;
    f->op = rel->op;
    if (rel->kind == CQL_REL_MAP_ELEMENT) {
        f->has_key = 1;
        if (cql_encode_term(x, rel->key, ty->params[0], c->name, &f->key) < 0) return -1;
        if (f->key.len < 0) {
            cql_error(r, PROTO_ERR_INVALID, "Invalid null map key for column %s", c->name);
            return -1;
        }
    }
    if (rel->op == CQL_OP_IN) {
        struct key_values kv;
        if (values_of(x, rel, c, &kv) < 0) return -1;
        f->vals = kv.v;
        f->n_vals = kv.n;
        return 0;
    }
    f->vals = arena_alloc(&r->arena, sizeof(proto_value));
    if (!f->vals) return -1;
    if (cql_encode_term(x, rel->value, vt, c->name, &f->vals[0]) < 0) return -1;
    if (f->vals[0].len == PROTO_VALUE_UNSET) {
        cql_error(r, PROTO_ERR_INVALID, "Invalid unset value for column %s", c->name);
        return -1;
    }
    f->n_vals = 1;
    return 0;
}

int restrict_analyze(struct cql_exec *x, const struct schema_table *t,
                     struct cql_relation *const *where, int n_where, int mode, bool allow_filtering,
                     struct restrictions *rs)
{
    struct cql_req *r = x->r;
    memset(rs, 0, sizeof(*rs));
    rs->tok_lo = INT64_MIN;
    rs->tok_hi = INT64_MAX;
    int ck_state[MAX_KEY_COLS] = {0}; /* 1 EQ/IN, 2 slice */
    int slice_col = -1;
    const db_val *lo = NULL, *hi = NULL;
    int n_lo = 0, n_hi = 0;
    bool lo_incl = false, hi_incl = false;
    int pk_set[MAX_KEY_COLS] = {0};
    const char *dup_name = NULL;
    const char *stmt = mode == 0 ? "SELECT" : mode == 1 ? "UPDATE" : "DELETE";
    for (int i = 0; i < n_where; i++) {
        const struct cql_relation *rel = where[i];
        if (rel->kind == CQL_REL_TOKEN) {
            if (mode != 0) {
                cql_error(r, PROTO_ERR_INVALID,
                          "The token function cannot be used in WHERE clauses "
                          "for %s statements",
                          stmt);
                return -1;
            }
            if (rel->n_columns != t->n_pk) goto bad_token;
            for (int k = 0; k < t->n_pk; k++)
                if (strcmp(rel->columns[k], t->cols[k].name) != 0) goto bad_token;
            int64_t v;
            if (token_value(x, t, rel->value, &v) < 0) return -1;
            rs->has_token = 1;
            switch (rel->op) {
            case CQL_OP_EQ:
                if (v > rs->tok_lo) rs->tok_lo = v;
                if (v < rs->tok_hi) rs->tok_hi = v;
                break;
            case CQL_OP_GT:
                if (v == INT64_MAX)
                    rs->tok_empty = 1;
                else if (v + 1 > rs->tok_lo)
                    rs->tok_lo = v + 1;
                break;
            case CQL_OP_GTE:
                if (v > rs->tok_lo) rs->tok_lo = v;
                break;
            case CQL_OP_LT:
                if (v == INT64_MIN)
                    rs->tok_empty = 1;
                else if (v - 1 < rs->tok_hi)
                    rs->tok_hi = v - 1;
                break;
            case CQL_OP_LTE:
                if (v < rs->tok_hi) rs->tok_hi = v;
                break;
            default:
                cql_error(r, PROTO_ERR_INVALID, "Unsupported \"%s\" relation: token(...) %s ...",
                          op_text(rel->op), op_text(rel->op));
                return -1;
            }
            continue;
        bad_token:
            cql_error(r, PROTO_ERR_INVALID,
                      "The token() function must be applied to all partition "
                      "key components or none of them");
            return -1;
        }
        if (rel->kind == CQL_REL_MULTI) {
            int first = col_idx(t, rel->columns[0]);
            for (int k = 0; k < rel->n_columns; k++) {
                int ci = col_idx(t, rel->columns[k]);
                if (ci < 0) {
                    cql_error(r, PROTO_ERR_INVALID, "Undefined column name %s", rel->columns[k]);
                    return -1;
                }
                if (t->cols[ci].kind != COL_CLUSTERING) {
                    cql_error(r, PROTO_ERR_INVALID,
                              "Multi-column relations can only be applied to "
                              "clustering columns but was applied to: %s",
                              rel->columns[k]);
                    return -1;
                }
                if (ci != first + k) {
                    cql_error(r, PROTO_ERR_INVALID,
                              "Clustering columns must appear in the PRIMARY "
                              "KEY order in multi-column relations: (%s)",
                              rel->columns[0]);
                    return -1;
                }
            }
            int pos = first - t->n_pk;
            if (rel->op == CQL_OP_IN) {
                if (rs->mi_ncols) {
                    cql_error(r, PROTO_ERR_INVALID,
                              "Only one multi-column IN relation is supported");
                    return -1;
                }
                for (int k = 0; k < rel->n_columns; k++) {
                    if (ck_state[pos + k]) {
                        dup_name = rel->columns[k];
                        goto dup_ck;
                    }
                    ck_state[pos + k] = 1;
                }
                if (multi_in_values(x, t, rel, first, rs) < 0) return -1;
                rs->mi_pos = pos;
                rs->mi_ncols = rel->n_columns;
                continue;
            }
            db_val *vals = arena_alloc(&r->arena, sizeof(*vals) * (size_t)rel->n_columns);
            if (!vals || tuple_values(x, t, rel->value, first, rel->n_columns, vals) < 0) return -1;
            if (rel->op == CQL_OP_EQ) {
                for (int k = 0; k < rel->n_columns; k++) {
                    int p2 = pos + k;
                    if (ck_state[p2]) goto dup_ck;
                    ck_state[p2] = 1;
                    rs->ck[p2].v = arena_alloc(&r->arena, sizeof(proto_value));
                    if (!rs->ck[p2].v) return -1;
                    rs->ck[p2].v[0] = (proto_value){vals[k].p, vals[k].len};
                    rs->ck[p2].n = 1;
                }
                continue;
            }
            for (int k = 1; k < rel->n_columns; k++)
                if (t->cols[first + k].desc != t->cols[first].desc) {
                    cql_error(r, PROTO_ERR_INVALID,
                              "Multi-column slices over columns with mixed "
                              "clustering orders are not supported yet by ringdb");
                    return -1;
                }
            if (slice_col >= 0 && slice_col != pos) goto slice_after;
            slice_col = pos;
            ck_state[pos] = 2;
            if (rel->op == CQL_OP_GT || rel->op == CQL_OP_GTE) {
                if (lo) goto dup_start;
                lo = vals;
                n_lo = rel->n_columns;
                lo_incl = rel->op == CQL_OP_GTE;
            } else if (rel->op == CQL_OP_LT || rel->op == CQL_OP_LTE) {
                if (hi) goto dup_end;
                hi = vals;
                n_hi = rel->n_columns;
                hi_incl = rel->op == CQL_OP_LTE;
            } else {
                goto unsupported_op;
            }
            continue;
        }
        if (rel->kind == CQL_REL_CUSTOM) {
            cql_error(r, PROTO_ERR_INVALID,
                      "Custom index expressions are not supported yet by "
                      "ringdb");
            return -1;
        }
        if (rel->kind == CQL_REL_MAP_ELEMENT) {
            int mi = col_idx(t, rel->columns[0]);
            if (mi < 0) {
                cql_error(r, PROTO_ERR_INVALID, "Undefined column name %s", rel->columns[0]);
                return -1;
            }
            if (mode != 0) {
                cql_error(r, PROTO_ERR_INVALID,
                          "Non PRIMARY KEY columns found in where clause: %s ", rel->columns[0]);
                return -1;
            }
            if (add_filter(x, t, rs, mi, rel) < 0) return -1;
            continue;
        }
        int ci = col_idx(t, rel->columns[0]);
        if (ci < 0) {
            cql_error(r, PROTO_ERR_INVALID, "Undefined column name %s", rel->columns[0]);
            return -1;
        }
        const struct schema_column *c = &t->cols[ci];
        if (c->kind == COL_PARTITION_KEY) {
            if (rel->op != CQL_OP_EQ && rel->op != CQL_OP_IN) {
                if (mode == 0 && allow_filtering && rel->op != CQL_OP_NEQ) goto filter;
                if (mode == 0 && rel->op != CQL_OP_NEQ) {
                    cql_error(r, PROTO_ERR_INVALID, FILTERING_MSG);
                    return -1;
                }
                if (mode == 0)
                    cql_error(r, PROTO_ERR_INVALID,
                              "Only EQ and IN relation are supported on the "
                              "partition key (unless you use the token() function)");
                else
                    cql_error(r, PROTO_ERR_INVALID,
                              "Only EQ and IN relation are supported on the "
                              "partition key (unless you use the token() function) for %s "
                              "statements",
                              stmt);
                return -1;
            }
            if (pk_set[c->position]) {
                cql_error(r, PROTO_ERR_INVALID,
                          "%s cannot be restricted by more than one relation "
                          "if it includes an Equal",
                          c->name);
                return -1;
            }
            pk_set[c->position] = 1;
            if (values_of(x, rel, c, &rs->pk[c->position]) < 0) return -1;
            continue;
        }
        if (c->kind == COL_CLUSTERING) {
            int pos = c->position;
            if (rel->op == CQL_OP_EQ || rel->op == CQL_OP_IN) {
                if (ck_state[pos]) {
                    dup_name = c->name;
                    goto dup_ck;
                }
                ck_state[pos] = 1;
                if (values_of(x, rel, c, &rs->ck[pos]) < 0) return -1;
                continue;
            }
            if (rel->op == CQL_OP_NEQ || rel->op >= CQL_OP_CONTAINS) {
                if (mode == 0 && allow_filtering) goto filter;
                goto unsupported_op;
            }
            if (ck_state[pos] == 1) goto dup_ck;
            if (slice_col >= 0 && slice_col != pos) {
                if (mode == 0 && allow_filtering) goto filter; /* a second slice: filtered */
                goto slice_after;
            }
            slice_col = pos;
            ck_state[pos] = 2;
            db_val *v = arena_alloc(&r->arena, sizeof(*v));
            proto_value pv;
            if (!v || key_value(x, rel->value, c, &pv) < 0) return -1;
            *v = (db_val){pv.p, pv.len};
            if (rel->op == CQL_OP_GT || rel->op == CQL_OP_GTE) {
                if (lo) goto dup_start;
                lo = v;
                n_lo = 1;
                lo_incl = rel->op == CQL_OP_GTE;
            } else {
                if (hi) goto dup_end;
                hi = v;
                n_hi = 1;
                hi_incl = rel->op == CQL_OP_LTE;
            }
            continue;
        }
    filter:
        if (mode != 0) {
            cql_error(r, PROTO_ERR_INVALID, "Non PRIMARY KEY columns found in where clause: %s ",
                      c->name);
            return -1;
        }
        if (add_filter(x, t, rs, ci, rel) < 0) return -1;
    }
    /* partition key completeness */
    int n_pk_set = 0;
    for (int k = 0; k < t->n_pk; k++)
        n_pk_set += pk_set[k];
    if (n_pk_set && n_pk_set < t->n_pk && rs->has_token) {
        cql_error(r, PROTO_ERR_INVALID,
                  "Columns \"%s\" cannot be restricted by both a normal "
                  "relation and a token relation",
                  t->cols[0].name);
        return -1;
    }
    if (n_pk_set && n_pk_set < t->n_pk) {
        if (mode != 0 || !allow_filtering) {
            char missing[256] = "";
            size_t o = 0;
            for (int k = 0; k < t->n_pk; k++)
                if (!pk_set[k])
                    o += (size_t)snprintf(missing + o, sizeof(missing) - o, "%s%s", o ? ", " : "",
                                          t->cols[k].name);
            if (mode != 0)
                cql_error(r, PROTO_ERR_INVALID, "Some partition key parts are missing: %s",
                          missing);
            else
                cql_error(r, PROTO_ERR_INVALID,
                          "Cannot execute this query as it might involve data "
                          "filtering and thus may have unpredictable performance. If you want to "
                          "execute this query despite the performance unpredictability, use ALLOW "
                          "FILTERING");
            return -1;
        }
        /* partial partition key with ALLOW FILTERING: filter on them */
        for (int k = 0; k < t->n_pk; k++)
            if (pk_set[k]) {
                struct col_filter *nf =
                    arena_alloc(&r->arena, sizeof(*nf) * (size_t)(rs->n_filters + 1));
                if (!nf) return -1;
                if (rs->n_filters) memcpy(nf, rs->filters, sizeof(*nf) * (size_t)rs->n_filters);
                nf[rs->n_filters] = (struct col_filter){
                    .ci = k, .op = CQL_OP_IN, .vals = rs->pk[k].v, .n_vals = rs->pk[k].n};
                rs->filters = nf;
                rs->n_filters++;
            }
    } else {
        rs->pk_restricted = n_pk_set == t->n_pk;
    }
    if (mode != 0 && !rs->pk_restricted) {
        char missing[256] = "";
        size_t o = 0;
        for (int k = 0; k < t->n_pk; k++)
            o += (size_t)snprintf(missing + o, sizeof(missing) - o, "%s%s", o ? ", " : "",
                                  t->cols[k].name);
        cql_error(r, PROTO_ERR_INVALID, "Some partition key parts are missing: %s", missing);
        return -1;
    }
    /* clustering: contiguous EQ prefix, then at most one slice */
    int k = 0;
    while (k < t->n_ck && ck_state[k] == 1)
        k++;
    rs->n_ck_eq = k;
    if (k < t->n_ck && ck_state[k] == 2) {
        rs->has_slice = 1;
        rs->s_start = lo;
        rs->n_s_start = lo ? n_lo : 0;
        rs->s_start_incl = lo_incl;
        rs->s_end = hi;
        rs->n_s_end = hi ? n_hi : 0;
        rs->s_end_incl = hi_incl;
        k++;
        /* columns covered by a multi-column slice */
        int covered = n_lo > n_hi ? n_lo : n_hi;
        for (int j = k; j < slice_col + covered && j < t->n_ck; j++)
            k = j + 1;
    }
    int first_unrestricted = k;
    for (int j = k; j < t->n_ck; j++) {
        if (!ck_state[j]) continue;
        if (mode == 0 && allow_filtering) {
            /* a clustering column past the usable prefix: filter on it */
            if (ck_state[j] == 1) {
                struct col_filter *f = new_filter(r, rs);
                if (!f) return -1;
                f->ci = t->n_pk + j;
                f->op = CQL_OP_IN;
                f->vals = rs->ck[j].v;
                f->n_vals = rs->ck[j].n;
                if (rs->mi_ncols && j >= rs->mi_pos && j < rs->mi_pos + rs->mi_ncols) {
                    cql_error(r, PROTO_ERR_INVALID,
                              "Multi-column IN restrictions on clustering "
                              "columns need the preceding columns restricted");
                    return -1;
                }
            } else if (j == slice_col) {
                if (n_lo > 1 || n_hi > 1) {
                    cql_error(r, PROTO_ERR_INVALID,
                              "Filtering with multi-column slices is not "
                              "supported yet by ringdb");
                    return -1;
                }
                if (lo) {
                    struct col_filter *f = new_filter(r, rs);
                    if (!f) return -1;
                    f->ci = t->n_pk + j;
                    f->op = lo_incl ? CQL_OP_GTE : CQL_OP_GT;
                    f->vals = arena_alloc(&r->arena, sizeof(proto_value));
                    if (!f->vals) return -1;
                    f->vals[0] = (proto_value){lo[0].p, lo[0].len};
                    f->n_vals = 1;
                }
                if (hi) {
                    struct col_filter *f = new_filter(r, rs);
                    if (!f) return -1;
                    f->ci = t->n_pk + j;
                    f->op = hi_incl ? CQL_OP_LTE : CQL_OP_LT;
                    f->vals = arena_alloc(&r->arena, sizeof(proto_value));
                    if (!f->vals) return -1;
                    f->vals[0] = (proto_value){hi[0].p, hi[0].len};
                    f->n_vals = 1;
                }
            }
            continue;
        }
        const char *prev = t->cols[t->n_pk + j - 1].name;
        if (j > 0 && ck_state[j - 1] == 2 && !(mode == 0 && allow_filtering)) {
            cql_error(r, PROTO_ERR_INVALID,
                      "Clustering column \"%s\" cannot be restricted "
                      "(preceding column \"%s\" is restricted by a non-EQ relation)",
                      t->cols[t->n_pk + j].name, prev);
            return -1;
        }
        if (!(mode == 0 && allow_filtering)) {
            cql_error(r, PROTO_ERR_INVALID,
                      "PRIMARY KEY column \"%s\" cannot be restricted as "
                      "preceding column \"%s\" is not restricted",
                      t->cols[t->n_pk + j].name, prev);
            return -1;
        }
    }
    (void)first_unrestricted;
    if (mode == 0 && !rs->pk_restricted && !allow_filtering &&
        (rs->n_ck_eq || rs->has_slice || rs->n_filters)) {
        cql_error(r, PROTO_ERR_INVALID, FILTERING_MSG);
        return -1;
    }
    if (mode == 0 && rs->n_filters && !allow_filtering) {
        cql_error(r, PROTO_ERR_INVALID, FILTERING_MSG);
        return -1;
    }
    return 0;
dup_ck:
    cql_error(r, PROTO_ERR_INVALID,
              "%s cannot be restricted by more than one relation if it "
              "includes an Equal",
              dup_name ? dup_name : where[0]->columns[0]);
    return -1;
dup_start:
    cql_error(r, PROTO_ERR_INVALID, "More than one restriction was found for the start bound on %s",
              t->cols[t->n_pk + slice_col].name);
    return -1;
dup_end:
    cql_error(r, PROTO_ERR_INVALID, "More than one restriction was found for the end bound on %s",
              t->cols[t->n_pk + slice_col].name);
    return -1;
slice_after:
    cql_error(r, PROTO_ERR_INVALID,
              "Clustering column \"%s\" cannot be restricted (preceding "
              "column \"%s\" is restricted by a non-EQ relation)",
              t->cols[t->n_pk + (slice_col > 0 ? slice_col : 0) + 1].name,
              t->cols[t->n_pk + slice_col].name);
    return -1;
unsupported_op:
    cql_error(r, PROTO_ERR_INVALID, "Unsupported \"%s\" relation on clustering column", "!=");
    return -1;
}

static int cmp_pkey(const void *a, const void *b)
{
    const struct pkey *x = a, *y = b;
    if (x->token != y->token) return x->token < y->token ? -1 : 1;
    int n = x->key.len < y->key.len ? x->key.len : y->key.len;
    int c = n ? memcmp(x->key.p, y->key.p, (size_t)n) : 0;
    return c ? c : (x->key.len > y->key.len) - (x->key.len < y->key.len);
}

int restrict_partition_keys(struct cql_exec *x, const struct schema_table *t,
                            const struct restrictions *rs, struct pkey **out, int *n)
{
    long total = 1;
    for (int k = 0; k < t->n_pk; k++) {
        total *= rs->pk[k].n;
        if (total > 65535) {
            cql_error(x->r, PROTO_ERR_INVALID, "IN restrictions select too many partitions (%ld)",
                      total);
            return -1;
        }
    }
    struct pkey *keys = arena_calloc(&x->r->arena, sizeof(*keys) * (size_t)(total ? total : 1));
    if (!keys) return -1;
    for (long i = 0; i < total; i++) {
        long rem = i;
        for (int k = t->n_pk - 1; k >= 0; k--) {
            keys[i].vals[k] = &rs->pk[k].v[rem % rs->pk[k].n];
            rem /= rs->pk[k].n;
        }
        if (cql_serialize_pk(&x->r->arena, keys[i].vals, t->n_pk, &keys[i].key) < 0) return -1;
        if (keys[i].key.len == 0) {
            cql_error(x->r, PROTO_ERR_INVALID, "Key may not be empty");
            return -1;
        }
        keys[i].token = mm3_token(keys[i].key.p, (size_t)keys[i].key.len);
    }
    qsort(keys, (size_t)total, sizeof(*keys), cmp_pkey);
    int w = 0;
    for (long i = 0; i < total; i++) {
        /* a token range beside the key values keeps the keys inside it */
        if (rs->has_token &&
            (rs->tok_empty || keys[i].token < rs->tok_lo || keys[i].token > rs->tok_hi))
            continue;
        if (w == 0 || cmp_pkey(&keys[w - 1], &keys[i]) != 0) keys[w++] = keys[i];
    }
    *out = keys;
    *n = w;
    return 0;
}

static _Thread_local const struct schema_table *sort_t;

static int cmp_slice(const void *a, const void *b)
{
    const struct db_slice *x = a, *y = b;
    return db_ck_compare(sort_t, x->start, x->n_start, y->start, y->n_start);
}

int restrict_slices(struct cql_exec *x, const struct schema_table *t, const struct restrictions *rs,
                    struct db_slice **out, int *n)
{
    *out = NULL;
    *n = 0;
    if (rs->n_ck_eq == 0 && !rs->has_slice) return 0;
    /* the EQ prefix as groups: one per column, or one for a multi-column IN */
    int np = rs->n_ck_eq;
    int g_start[MAX_KEY_COLS], g_cols[MAX_KEY_COLS], g_n[MAX_KEY_COLS], ng = 0;
    for (int k = 0; k < np;) {
        g_start[ng] = k;
        if (rs->mi_ncols && k == rs->mi_pos) {
            g_cols[ng] = rs->mi_ncols;
            g_n[ng] = rs->mi_n;
        } else {
            g_cols[ng] = 1;
            g_n[ng] = rs->ck[k].n;
        }
        k += g_cols[ng++];
    }
    long total = 1;
    for (int g = 0; g < ng; g++) {
        total *= g_n[g];
        if (total > 65535) {
            cql_error(x->r, PROTO_ERR_INVALID, "IN restrictions select too many rows (%ld)", total);
            return -1;
        }
    }
    struct db_slice *sl = arena_calloc(&x->r->arena, sizeof(*sl) * (size_t)(total ? total : 1));
    if (!sl) return -1;
    for (long i = 0; i < total; i++) {
        db_val *pre = arena_alloc(&x->r->arena, sizeof(*pre) * (size_t)(np + MAX_KEY_COLS));
        db_val *pre2 = arena_alloc(&x->r->arena, sizeof(*pre2) * (size_t)(np + MAX_KEY_COLS));
        if (!pre || !pre2) return -1;
        long rem = i;
        for (int g = ng - 1; g >= 0; g--) {
            int j = (int)(rem % g_n[g]);
            rem /= g_n[g];
            for (int c = 0; c < g_cols[g]; c++) {
                int k = g_start[g] + c;
                if (rs->mi_ncols && g_start[g] == rs->mi_pos) { /* (c, ...) IN tuples */
                    pre[k] = pre2[k] = rs->mi_vals[j * g_cols[g] + c];
                } else {
                    const proto_value *v = &rs->ck[k].v[j];
                    pre[k] = pre2[k] = (db_val){v->p, v->len};
                }
            }
        }
        struct db_slice *s = &sl[i];
        if (!rs->has_slice) {
            s->start = s->end = pre;
            s->n_start = s->n_end = np;
            s->start_incl = s->end_incl = true;
            continue;
        }
        for (int k = 0; k < rs->n_s_start; k++)
            pre[np + k] = rs->s_start[k];
        for (int k = 0; k < rs->n_s_end; k++)
            pre2[np + k] = rs->s_end[k];
        const db_val *lo = pre, *hi = pre2;
        int n_lo = rs->n_s_start ? np + rs->n_s_start : np;
        int n_hi = rs->n_s_end ? np + rs->n_s_end : np;
        bool lo_incl = rs->n_s_start ? rs->s_start_incl : true;
        bool hi_incl = rs->n_s_end ? rs->s_end_incl : true;
        if (t->cols[t->n_pk + np].desc) { /* value order is the reverse of clustering order */
            const db_val *tv = lo;
            lo = hi;
            hi = tv;
            int tn = n_lo;
            n_lo = n_hi;
            n_hi = tn;
            bool ti = lo_incl;
            lo_incl = hi_incl;
            hi_incl = ti;
        }
        s->start = lo;
        s->n_start = n_lo;
        s->start_incl = lo_incl;
        s->end = hi;
        s->n_end = n_hi;
        s->end_incl = hi_incl;
    }
    sort_t = t;
    qsort(sl, (size_t)total, sizeof(*sl), cmp_slice);
    sort_t = NULL;
    *out = sl;
    *n = (int)total;
    return 0;
}
