/*
 * func_coll -- Cassandra 5.0's CollectionFcts: map_keys, map_values,
 * collection_count, collection_min, collection_max, collection_sum,
 * collection_avg. Like Cassandra's FunctionFactory they are built for the
 * type of their argument when resolved (in the caller's arena); min/max
 * compare with the element comparator, sum/avg reuse the sum/avg
 * aggregate states (same overflow and rounding rules as across rows).
 */
#include "cql/func_int.h"
#include "util/mem.h"

#include <stdio.h>
#include <string.h>

static const char *const factories[] = {"map_keys",       "map_values",     "collection_count",
                                        "collection_min", "collection_max", "collection_sum",
                                        "collection_avg"};

int func_is_coll_factory(const char *name)
{
    for (size_t i = 0; i < sizeof(factories) / sizeof(factories[0]); i++)
        if (strcmp(name, factories[i]) == 0) return 1;
    return 0;
}

static const char *param_desc(const char *name)
{
    if (!strcmp(name, "map_keys") || !strcmp(name, "map_values")) return "map";
    if (!strcmp(name, "collection_count")) return "collection";
    return "numeric_set_or_list"; /* Cassandra prints this for setOrList() too */
}

static void arg_text(const struct cql_func_arg *arg, char *dst, size_t n)
{
    snprintf(dst, n, "%s",
             arg->text        ? arg->text
             : arg->is_marker ? "?"
             : arg->is_null   ? "NULL"
                              : "?");
}

static const struct type *frozen_copy(const struct type *t, arena *a)
{
    if (t->frozen || (t->kind != TYPE_LIST && t->kind != TYPE_SET && t->kind != TYPE_MAP &&
                      t->kind != TYPE_UDT && t->kind != TYPE_TUPLE))
        return t;
    struct type *c = arena_memdup(a, t, sizeof(*t));
    if (c) c->frozen = 1;
    return c;
}

const struct cql_func *func_coll_build(const char *name, const struct cql_func_arg *args, int n,
                                       arena *a, char *err, size_t errsz)
{
    char fname[64], at[256], tt[256];
    snprintf(fname, sizeof(fname), "system.%s(%s)", name, param_desc(name));
    if (n != 1) {
        func_fail(err, errsz, "Invalid number of arguments for function %s", fname);
        return NULL;
    }
    const struct type *t = args[0].type;
    arg_text(&args[0], at, sizeof(at));
    if (!t && args[0].lit >= 0 && !args[0].is_null && !args[0].is_marker) {
        /* a literal's compatible type is its preferred native type: never a collection */
        enum type_kind pk = TYPE_VARCHAR;
        switch (args[0].lit) {
        case TYPE_LIT_INTEGER: pk = TYPE_INT; break;
        case TYPE_LIT_FLOAT:
        case TYPE_LIT_NAN:
        case TYPE_LIT_INFINITY: pk = TYPE_DOUBLE; break;
        case TYPE_LIT_BOOLEAN: pk = TYPE_BOOLEAN; break;
        case TYPE_LIT_DURATION: pk = TYPE_DURATION; break;
        case TYPE_LIT_UUID: pk = TYPE_UUID; break;
        case TYPE_LIT_HEX: pk = TYPE_TINYINT; break;
        default: break;
        }
        t = type_native(pk);
    }
    if (!t) {
        func_fail(err, errsz,
                  "Cannot infer type of argument %s in call to function %s: use type casts to "
                  "disambiguate",
                  at, fname);
        return NULL;
    }
    buf b;
    buf_init(&b);
    type_format(t, &b);
    snprintf(tt, sizeof(tt), "%.*s", (int)b.len, b.data ? (const char *)b.data : "");
    buf_free(&b);
    int is_map = t->kind == TYPE_MAP, is_sl = t->kind == TYPE_SET || t->kind == TYPE_LIST;
    if (!strcmp(name, "map_keys") || !strcmp(name, "map_values")) {
        if (!is_map) {
            func_fail(
                err, errsz,
                "Function system.%s requires a map argument, but found argument %s of type %s",
                name, at, tt);
            return NULL;
        }
    } else if (!strcmp(name, "collection_count")) {
        if (!is_map && !is_sl) {
            func_fail(err, errsz,
                      "Function system.%s requires a collection argument, but found argument %s "
                      "of type %s",
                      name, at, tt);
            return NULL;
        }
    } else if (!strcmp(name, "collection_min") || !strcmp(name, "collection_max")) {
        if (!is_sl) {
            func_fail(err, errsz,
                      "Function system.%s requires a set or list argument, but found argument %s "
                      "of type %s",
                      name, at, tt);
            return NULL;
        }
    } else if (!is_sl || !func_is_numeric(t->params[0]->kind)) {
        func_fail(err, errsz,
                  "Function system.%s requires a numeric set/list argument, but found argument %s "
                  "of type %s",
                  name, at, tt);
        return NULL;
    }
    struct cql_func *f = a ? arena_calloc(a, sizeof(*f)) : NULL;
    if (!f) {
        func_fail(err, errsz, "Out of memory");
        return NULL;
    }
    f->name = name; /* the static factory name string is the caller's; copy below */
    for (size_t i = 0; i < sizeof(factories) / sizeof(factories[0]); i++)
        if (!strcmp(name, factories[i])) f->name = factories[i];
    f->n = 1;
    f->flags = FF_DYNAMIC;
    f->darg = t;
    if (!strcmp(name, "map_keys") || !strcmp(name, "map_values")) {
        struct type *r = arena_calloc(a, sizeof(*r));
        struct type **pp = arena_calloc(a, sizeof(*pp));
        const struct type *el = frozen_copy(t->params[name[4] == 'k' ? 0 : 1], a);
        if (!r || !pp || !el) {
            func_fail(err, errsz, "Out of memory");
            return NULL;
        }
        r->kind = name[4] == 'k' ? TYPE_SET : TYPE_LIST;
        r->frozen = 1;
        r->n_params = 1;
        pp[0] = (struct type *)el;
        r->params = pp;
        f->impl = name[4] == 'k' ? FI_MAP_KEYS : FI_MAP_VALUES;
        f->dret = r;
    } else if (!strcmp(name, "collection_count")) {
        f->impl = FI_COLL_COUNT;
        f->dret = type_native(TYPE_INT);
    } else {
        f->impl = FI_COLL_AGG;
        f->dret = t->params[0];
        const char *w = name + strlen("collection_");
        f->sub = !strcmp(w, "min")   ? FA_MIN
                 : !strcmp(w, "max") ? FA_MAX
                 : !strcmp(w, "sum") ? FA_SUM
                                     : FA_AVG;
    }
    f->ret = f->dret->kind;
    f->arg[0] = t->kind;
    return f;
}

int func_call_coll(const struct cql_func *f, const struct type_val *args, arena *a,
                   struct type_val *out, char *err, size_t errsz)
{
    const struct type *t = f->darg;
    struct type_iter it;
    int cnt = type_iter_init(&it, t, args[0].p, args[0].len);
    if (cnt < 0) return func_fail(err, errsz, "Invalid collection value");
    struct type_val v;
    if (f->impl == FI_COLL_COUNT) {
        uint8_t be[4];
        put_be32(be, (uint32_t)(t->kind == TYPE_MAP ? cnt / 2 : cnt));
        return func_out_copy(a, be, 4, out) ? func_fail(err, errsz, "Out of memory") : 0;
    }
    if (f->impl == FI_MAP_KEYS || f->impl == FI_MAP_VALUES) {
        int want = f->impl == FI_MAP_KEYS ? 0 : 1;
        struct type_val *el = mem_alloc(sizeof(*el) * (size_t)(cnt / 2 + 1));
        if (!el) return func_fail(err, errsz, "Out of memory");
        int k = 0, i = 0, r;
        while ((r = type_iter_next(&it, &v)) == 1) {
            if (i++ % 2 == want) el[k++] = v;
        }
        buf b;
        buf_init(&b);
        int rc = r < 0 ? func_fail(err, errsz, "Invalid collection value")
                       : type_build_collection(f->dret, el, k, NULL, &b, err, errsz);
        mem_free(el);
        if (rc == 0) rc = func_out_buf(a, &b, out, err, errsz);
        buf_free(&b);
        return rc ? -1 : 0;
    }
    /* collection_min / max / sum / avg */
    const struct type *et = t->params[0];
    int r;
    if (f->sub == FA_MIN || f->sub == FA_MAX) {
        struct type_val best = {NULL, -1};
        while ((r = type_iter_next(&it, &v)) == 1) {
            if (v.len < 0) continue;
            int c = best.len < 0 ? 0 : type_compare(et, best.p, best.len, v.p, v.len);
            if (best.len < 0 || (f->sub == FA_MIN ? c > 0 : c < 0)) best = v;
        }
        if (r < 0) return func_fail(err, errsz, "Invalid collection value");
        if (best.len < 0) {
            out->p = NULL;
            out->len = -1;
            return 0;
        }
        return func_out_copy(a, best.p, (size_t)best.len, out)
                   ? func_fail(err, errsz, "Out of memory")
                   : 0;
    }
    _Alignas(16) uint8_t st[256];
    if (func_numagg_size() > sizeof(st)) return func_fail(err, errsz, "Internal error");
    func_numagg_init(st, f->sub, et->kind);
    int rc = 0;
    while (rc == 0 && (r = type_iter_next(&it, &v)) == 1)
        rc = func_numagg_add(st, v, err, errsz);
    if (rc == 0 && r < 0) rc = func_fail(err, errsz, "Invalid collection value");
    buf b;
    buf_init(&b);
    if (rc == 0) rc = func_numagg_result(st, &b, err, errsz);
    if (rc == 0) rc = func_out_buf(a, &b, out, err, errsz);
    buf_free(&b);
    func_numagg_destroy(st);
    return rc;
}
