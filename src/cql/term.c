/*
 * term.c -- a CQL term (literal, bind marker, collection/tuple/UDT literal,
 * function call) to the native-protocol bytes of a given type.
 *
 * Messages follow Cassandra: "Invalid INTEGER constant (abc) for \"v\" of
 * type int", "Invalid list literal for v of type int", "Invalid null value
 * in condition for column ..." etc. Values bound through the protocol are
 * validated with the type's rules ("Expected 4 or 0 byte int (3)").
 */
#include "cql/cql_int.h"
#include "cql/functions.h"
#include "types/json.h"
#include "db/db.h"
#include "types/value.h"
#include "util/uuid.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static void type_text(const struct type *t, char *out, size_t cap)
{
    buf b;
    buf_init(&b);
    type_format(t, &b);
    snprintf(out, cap, "%.*s", (int)b.len, b.data ? (char *)b.data : "");
    buf_free(&b);
}

static int put(struct cql_exec *x, proto_value *out, const void *p, size_t n)
{
    if (n == 0) { /* an empty value: valid bytes, never NULL */
        out->p = (const uint8_t *)"";
        out->len = 0;
        return 0;
    }
    uint8_t *d = arena_memdup(&x->r->arena, p, n);
    if (!d) {
        cql_error(x->r, PROTO_ERR_SERVER, "Out of memory");
        return -1;
    }
    out->p = d;
    out->len = (int32_t)n;
    return 0;
}

static enum type_lit lit_of(enum cql_const_kind k)
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
    default: return TYPE_LIT_INFINITY;
    }
}

static int needs_norm(const struct type *t)
{
    if (t->kind == TYPE_SET || t->kind == TYPE_MAP) return 1;
    for (int i = 0; i < t->n_params; i++)
        if (needs_norm(t->params[i])) return 1;
    return 0;
}

/* A bound collection as Cassandra would store it: sets and maps sorted
 * and deduplicated by their element order, recursively (a client may send
 * them in any order). */
static int normalize(struct cql_exec *x, const struct type *ty, const char *col, proto_value *v)
{
    if (!needs_norm(ty) || v->len < 0) return 0;
    if (ty->kind != TYPE_LIST && ty->kind != TYPE_SET && ty->kind != TYPE_MAP &&
        ty->kind != TYPE_TUPLE && ty->kind != TYPE_UDT)
        return 0;
    struct type_iter it;
    int n = type_iter_init(&it, ty, v->p, v->len);
    if (n < 0) return 0; /* validated already; keep as is */
    struct type_val *ev = arena_alloc(&x->r->arena, sizeof(*ev) * (size_t)(n ? n : 1));
    if (!ev) return -1;
    int k = 0;
    struct type_val e;
    while (k < n && type_iter_next(&it, &e) > 0) {
        proto_value pv = {e.p, e.len};
        const struct type *et = type_elem_type(ty, k);
        if (et && pv.len > 0 && normalize(x, et, col, &pv) < 0) return -1;
        ev[k++] = (struct type_val){pv.p, pv.len};
    }
    buf b;
    buf_init(&b);
    char err[256];
    int rc = type_build_collection(ty, ev, k, col, &b, err, sizeof(err));
    if (rc == TYPE_OK)
        rc = put(x, v, b.data, b.len);
    else if (rc == TYPE_ENOMEM)
        rc = -1;
    else
        rc = 0; /* keep the original bytes */
    buf_free(&b);
    return rc;
}

static const struct cql_bind_marker *marker_of(const struct cql_stmt *st, const struct cql_term *t)
{
    for (int i = 0; i < st->n_binds; i++)
        if (st->binds[i].term == t) return &st->binds[i];
    return NULL;
}

void cql_error_function_failure(struct cql_req *r, const struct cql_func *f, const char *msg)
{
    const char *full = cql_func_name(f);
    const char *dot = strchr(full, '.');
    if (!dot || dot[1] != '_') {
        /* native functions throw InvalidRequestException; only operators
         * fail with OperationExecutionException (FUNCTION_FAILURE) */
        cql_error(r, PROTO_ERR_INVALID, "%s", msg);
        return;
    }
    buf *b = &r->body;
    buf_clear(b);
    buf_put_be32(b, PROTO_ERR_FUNCTION_FAILURE);
    proto_wr_cstring(b, msg);
    proto_wr_string(b, full, dot ? (size_t)(dot - full) : 0);
    proto_wr_cstring(b, dot ? dot + 1 : full);
    int n = cql_func_arg_count(f);
    buf_put_be16(b, (uint16_t)n);
    for (int i = 0; i < n; i++) {
        buf tn;
        buf_init(&tn);
        type_format(cql_func_arg_type(f, i), &tn);
        proto_wr_string(b, buf_ok(&tn) && tn.len ? (const char *)tn.data : "",
                        buf_ok(&tn) ? tn.len : 0);
        buf_free(&tn);
    }
    if (buf_ok(b))
        r->opcode = PROTO_OP_ERROR;
    else
        cql_error(r, PROTO_ERR_SERVER, "Out of memory");
}

static int term_value(struct cql_exec *x, const struct cql_term *term, const struct type *receiver,
                      const char *col, proto_value *out, const struct type **type);

/* What overload resolution knows about an argument term; computed terms
 * (calls, operations, casts) are evaluated here, their value in *pre. */
static int describe(struct cql_exec *x, const struct cql_term *a, const char *col,
                    struct cql_func_arg *d, proto_value *pre, int *have)
{
    struct cql_req *r = x->r;
    memset(d, 0, sizeof(*d));
    d->lit = -1;
    *have = 0;
    switch (a->kind) {
    case CQL_TERM_BIND:
        d->is_marker = 1;
        d->text = "?";
        return 0;
    case CQL_TERM_CONST:
        if (a->constant.kind == CQL_CONST_NULL) {
            d->is_null = 1;
            d->text = "NULL";
            return 0;
        }
        if (a->constant.kind == CQL_CONST_IDENT) return 0;
        d->lit = (int)lit_of(a->constant.kind);
        if (a->constant.kind == CQL_CONST_STRING) {
            char *t = arena_alloc(&r->arena, a->constant.len + 3);
            if (!t) return -1;
            snprintf(t, a->constant.len + 3, "'%.*s'", (int)a->constant.len, a->constant.text);
            d->text = t;
        } else {
            d->text = a->constant.text;
        }
        return 0;
    case CQL_TERM_TYPE_HINT: {
        const struct schema_keyspace *ks = NULL;
        struct type *ty = cql_build_type(r, ks, a->hint.type);
        if (!ty) return -1;
        d->type = ty;
        if (cql_encode_term(x, a->hint.arg, ty, col, pre) < 0) return -1;
        *have = 1;
        return 0;
    }
    case CQL_TERM_FUNCTION:
    case CQL_TERM_BINOP:
    case CQL_TERM_NEGATE:
    case CQL_TERM_CAST:
        if (term_value(x, a, NULL, col, pre, &d->type) < 0) return -1;
        *have = 1;
        return 0;
    default: return 0; /* collection literals: any parameter, weakly */
    }
}

static int call(struct cql_exec *x, const char *ks, const char *name, struct cql_term *const *args,
                int n, const struct type *receiver, const char *col, proto_value *out,
                const struct type **type)
{
    struct cql_req *r = x->r;
    struct cql_func_arg d[32];
    proto_value v[32];
    int have[32];
    char err[512];
    if (n > 32) {
        cql_error(r, PROTO_ERR_INVALID, "Too many arguments in call to function %s", name);
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (describe(x, args[i], col, &d[i], &v[i], &have[i]) < 0) return -1;
    const struct cql_func *f =
        cql_func_resolve(ks, name, d, n, receiver, &r->arena, err, sizeof(err));
    if (!f) {
        cql_error(r, PROTO_ERR_INVALID, "%s", err);
        return -1;
    }
    if (cql_func_is_aggregate(f)) {
        cql_error(r, PROTO_ERR_INVALID, "Aggregate functions are not supported in this context: %s",
                  cql_func_name(f));
        return -1;
    }
    struct type_val tv[32];
    for (int i = 0; i < n; i++) {
        if (!have[i] && cql_encode_term(x, args[i], cql_func_arg_type(f, i), col, &v[i]) < 0)
            return -1;
        if (v[i].len == PROTO_VALUE_UNSET) v[i].len = PROTO_VALUE_NULL;
        tv[i] = (struct type_val){v[i].p, v[i].len};
    }
    struct type_val res;
    if (cql_func_call(f, db_now_millis(), tv, n, &r->arena, &res, err, sizeof(err)) < 0) {
        cql_error_function_failure(r, f, err);
        return -1;
    }
    *type = cql_func_return_type(f);
    out->p = res.p;
    out->len = res.len < 0 ? PROTO_VALUE_NULL : res.len;
    if (res.len == 0) out->p = (const uint8_t *)"";
    return 0;
}

/* fromJson(text) for a receiver of a known type. */
static int from_json(struct cql_exec *x, const struct cql_term *term, const struct type *receiver,
                     const char *col, proto_value *out)
{
    struct cql_req *r = x->r;
    if (term->func.n_args != 1) {
        cql_error(r, PROTO_ERR_INVALID, "fromJson() only accepts one argument (got %d)",
                  term->func.n_args);
        return -1;
    }
    if (!receiver) {
        cql_error(r, PROTO_ERR_INVALID,
                  "fromJson() cannot be used in the selection clause of a "
                  "SELECT statement");
        return -1;
    }
    proto_value doc;
    if (cql_encode_term(x, term->func.args[0], type_native(TYPE_VARCHAR), col, &doc) < 0) return -1;
    if (doc.len < 0) {
        out->p = NULL;
        out->len = PROTO_VALUE_NULL;
        return 0;
    }
    char err[512];
    struct json_val *root;
    buf b;
    buf_init(&b);
    int rc = json_parse((const char *)doc.p, (size_t)doc.len, &r->arena, &root, err, sizeof(err));
    if (rc == TYPE_OK) rc = type_from_json(receiver, root, &b, err, sizeof(err));
    if (rc == TYPE_JSON_NULL) {
        buf_free(&b);
        out->p = NULL;
        out->len = PROTO_VALUE_NULL;
        return 0;
    }
    if (rc != TYPE_OK) {
        buf_free(&b);
        if (rc == TYPE_ENOMEM) {
            cql_error(r, PROTO_ERR_SERVER, "Out of memory");
            return -1;
        }
        cql_error(r, PROTO_ERR_INVALID, "Could not decode JSON string '%.*s': %s",
                  (int)(doc.len > 500 ? 500 : doc.len), (const char *)doc.p, err);
        return -1;
    }
    rc = put(x, out, b.data, b.len);
    buf_free(&b);
    return rc;
}

static const char *op_name(char op)
{
    switch (op) {
    case '+': return "_add";
    case '-': return "_substract";
    case '*': return "_multiply";
    case '/': return "_divide";
    default: return "_modulo";
    }
}

/* A computed term: its value and its type (the function's return type). */
static int term_value(struct cql_exec *x, const struct cql_term *term, const struct type *receiver,
                      const char *col, proto_value *out, const struct type **type)
{
    struct cql_req *r = x->r;
    switch (term->kind) {
    case CQL_TERM_FUNCTION: {
        const char *name = term->func.name.name;
        const char *ks = term->func.name.ks;
        if ((!ks || !strcmp(ks, "system")) &&
            (!strcmp(name, "fromjson") || !strcmp(name, "from_json"))) {
            *type = receiver;
            return from_json(x, term, receiver, col, out);
        }
        return call(x, ks, name, term->func.args, term->func.n_args, receiver, col, out, type);
    }
    case CQL_TERM_BINOP: {
        struct cql_term *args[2] = {term->binop.left, term->binop.right};
        return call(x, "system", op_name(term->binop.op), args, 2, receiver, col, out, type);
    }
    case CQL_TERM_NEGATE: {
        struct cql_term *args[1] = {term->negate.arg};
        return call(x, "system", "_negate", args, 1, receiver, col, out, type);
    }
    case CQL_TERM_CAST: {
        struct cql_func_arg d;
        proto_value v;
        int have;
        char err[512];
        if (describe(x, term->cast.arg, col, &d, &v, &have) < 0) return -1;
        const struct type *to = type_native(cql_native_kind(term->cast.type));
        if (!have || !d.type) {
            cql_error(r, PROTO_ERR_INVALID, "Cannot cast %s: its type is unknown; use a type hint",
                      d.text ? d.text : "?");
            return -1;
        }
        const struct cql_func *f;
        if (cql_func_cast(d.type, d.text, to, &f, err, sizeof(err)) < 0) {
            cql_error(r, PROTO_ERR_INVALID, "%s", err);
            return -1;
        }
        *type = to;
        if (!f) {
            *out = v;
            return 0;
        }
        struct type_val tv = {v.p, v.len < 0 ? -1 : v.len}, res;
        if (cql_func_call(f, db_now_millis(), &tv, 1, &r->arena, &res, err, sizeof(err)) < 0) {
            cql_error_function_failure(r, f, err);
            return -1;
        }
        out->p = res.len == 0 ? (const uint8_t *)"" : res.p;
        out->len = res.len < 0 ? PROTO_VALUE_NULL : res.len;
        return 0;
    }
    default: cql_error(r, PROTO_ERR_INVALID, "Invalid term"); return -1;
    }
}

int cql_encode_term(struct cql_exec *x, const struct cql_term *term, const struct type *ty,
                    const char *col, proto_value *out)
{
    struct cql_req *r = x->r;
    char tt[128], err[256];
    switch (term->kind) {
    case CQL_TERM_BIND: {
        const struct cql_bind_marker *m = marker_of(x->stmt, term);
        const proto_value *v = m ? bind_value(x, m) : NULL;
        if (!v) return -1;
        *out = *v;
        if (v->len >= 0 && type_validate(ty, v->p, v->len, err, sizeof(err)) != 0) {
            cql_error(r, PROTO_ERR_INVALID, "%s", err);
            return -1;
        }
        return v->len > 0 ? normalize(x, ty, col, out) : 0;
    }
    case CQL_TERM_CONST: {
        if (term->constant.kind == CQL_CONST_NULL) {
            out->p = NULL;
            out->len = PROTO_VALUE_NULL;
            return 0;
        }
        buf b;
        buf_init(&b);
        int rc = term->constant.kind == CQL_CONST_IDENT
                     ? TYPE_EKIND
                     : type_from_literal(ty, lit_of(term->constant.kind), term->constant.text,
                                         term->constant.len, &b, err, sizeof(err));
        if (rc == TYPE_OK) {
            rc = put(x, out, b.data, b.len);
            buf_free(&b);
            return rc;
        }
        buf_free(&b);
        type_text(ty, tt, sizeof(tt));
        const char *kind = term->constant.kind == CQL_CONST_STRING     ? "STRING"
                           : term->constant.kind == CQL_CONST_INTEGER  ? "INTEGER"
                           : term->constant.kind == CQL_CONST_FLOAT    ? "FLOAT"
                           : term->constant.kind == CQL_CONST_BOOLEAN  ? "BOOLEAN"
                           : term->constant.kind == CQL_CONST_DURATION ? "DURATION"
                           : term->constant.kind == CQL_CONST_UUID     ? "UUID"
                           : term->constant.kind == CQL_CONST_HEX      ? "HEX"
                                                                       : "FLOAT";
        if (rc == TYPE_ENOMEM) {
            cql_error(r, PROTO_ERR_SERVER, "Out of memory");
        } else if (rc == TYPE_EKIND) {
            cql_error(r, PROTO_ERR_INVALID, "Invalid %s constant (%.*s) for \"%s\" of type %s",
                      kind, (int)term->constant.len, term->constant.text, col, tt);
        } else {
            cql_error(r, PROTO_ERR_INVALID, "%s", err);
        }
        return -1;
    }
    case CQL_TERM_LIST:
    case CQL_TERM_SET:
    case CQL_TERM_MAP:
    case CQL_TERM_TUPLE:
    case CQL_TERM_UDT: {
        int n_el = term->kind == CQL_TERM_MAP   ? term->map.n_entries
                   : term->kind == CQL_TERM_UDT ? term->udt.n_fields
                                                : term->list.n_items;
        enum type_kind want = ty->kind;
        int ok =
            (term->kind == CQL_TERM_LIST &&
             (want == TYPE_LIST || want == TYPE_VECTOR || (want == TYPE_SET && n_el == 0))) ||
            (term->kind == CQL_TERM_SET && (want == TYPE_SET || (n_el == 0 && want == TYPE_MAP))) ||
            (term->kind == CQL_TERM_MAP && want == TYPE_MAP) ||
            (term->kind == CQL_TERM_TUPLE && want == TYPE_TUPLE) ||
            (term->kind == CQL_TERM_UDT && want == TYPE_UDT);
        if (!ok) {
            type_text(ty, tt, sizeof(tt));
            const char *what = term->kind == CQL_TERM_LIST    ? "list"
                               : term->kind == CQL_TERM_SET   ? "set"
                               : term->kind == CQL_TERM_MAP   ? "map"
                               : term->kind == CQL_TERM_TUPLE ? "tuple"
                                                              : "user type";
            cql_error(r, PROTO_ERR_INVALID, "Invalid %s literal for %s of type %s", what, col, tt);
            return -1;
        }
        int n = term->kind == CQL_TERM_MAP ? 2 * n_el : n_el;
        struct type_val *ev = arena_alloc(&r->arena, sizeof(*ev) * (size_t)(n ? n : 1));
        if (!ev) {
            cql_error(r, PROTO_ERR_SERVER, "Out of memory");
            return -1;
        }
        if (term->kind == CQL_TERM_UDT) {
            /* fields by name, in the type's order; missing ones are null */
            for (int i = 0; i < term->udt.n_fields; i++) {
                int fi = -1;
                for (int k = 0; k < ty->n_params; k++)
                    if (strcmp(ty->field_names[k], term->udt.fields[i]) == 0) fi = k;
                if (fi < 0) {
                    cql_error(r, PROTO_ERR_INVALID,
                              "Unknown field '%s' in value of user defined "
                              "type %s",
                              term->udt.fields[i], ty->name);
                    return -1;
                }
            }
            ev = arena_alloc(&r->arena, sizeof(*ev) * (size_t)(ty->n_params ? ty->n_params : 1));
            if (!ev) return -1;
            for (int k = 0; k < ty->n_params; k++) {
                ev[k] = (struct type_val){NULL, -1};
                for (int i = 0; i < term->udt.n_fields; i++)
                    if (strcmp(ty->field_names[k], term->udt.fields[i]) == 0) {
                        proto_value v;
                        if (cql_encode_term(x, term->udt.values[i], ty->params[k], col, &v) < 0)
                            return -1;
                        ev[k] = (struct type_val){v.p, v.len};
                    }
            }
            n = ty->n_params;
        } else {
            for (int i = 0; i < n_el; i++) {
                const struct type *et;
                const struct cql_term *e;
                if (term->kind == CQL_TERM_MAP) {
                    proto_value kv, vv;
                    if (cql_encode_term(x, term->map.keys[i], ty->params[0], col, &kv) < 0 ||
                        cql_encode_term(x, term->map.values[i], ty->params[1], col, &vv) < 0)
                        return -1;
                    ev[2 * i] = (struct type_val){kv.p, kv.len};
                    ev[2 * i + 1] = (struct type_val){vv.p, vv.len};
                    continue;
                }
                e = term->list.items[i];
                if (ty->kind == TYPE_TUPLE) {
                    if (i >= ty->n_params) {
                        type_text(ty, tt, sizeof(tt));
                        cql_error(r, PROTO_ERR_INVALID,
                                  "Invalid tuple literal for %s: too many "
                                  "elements. Type %s expects %d but got %d",
                                  col, tt, ty->n_params, n_el);
                        return -1;
                    }
                    et = ty->params[i];
                } else {
                    et = ty->params[0];
                }
                proto_value v;
                if (cql_encode_term(x, e, et, col, &v) < 0) return -1;
                ev[i] = (struct type_val){v.p, v.len};
            }
        }
        buf b;
        buf_init(&b);
        int rc = type_build_collection(ty, ev, n, col, &b, err, sizeof(err));
        if (rc != TYPE_OK) {
            buf_free(&b);
            cql_error(r, rc == TYPE_ENOMEM ? PROTO_ERR_SERVER : PROTO_ERR_INVALID, "%s", err);
            return -1;
        }
        rc = put(x, out, b.data, b.len);
        buf_free(&b);
        return rc;
    }
    case CQL_TERM_TYPE_HINT: return cql_encode_term(x, term->hint.arg, ty, col, out);
    case CQL_TERM_FUNCTION:
    case CQL_TERM_NEGATE:
    case CQL_TERM_BINOP:
    case CQL_TERM_CAST: {
        const struct type *got;
        if (term_value(x, term, ty, col, out, &got) < 0) return -1;
        if (out->len >= 0 && got && got != ty &&
            type_validate(ty, out->p, out->len, err, sizeof(err)) != 0) {
            type_text(ty, tt, sizeof(tt));
            cql_error(r, PROTO_ERR_INVALID, "Invalid value for %s of type %s: %s", col, tt, err);
            return -1;
        }
        return 0;
    }
    }
    return -1;
}
