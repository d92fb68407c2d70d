/*
 * stmt_keyspace.c -- CREATE / ALTER / DROP KEYSPACE.
 *
 * Validation that needs no schema (properties, strategy options) runs on the
 * request's shard; the change itself is applied on shard 0 by the migration
 * service (service/migration.h), which serialises changes, so "exists"
 * checks are made there against the authoritative schema.
 *
 * Replication options are stored as Cassandra stores them in
 * system_schema.keyspaces: 'class' with the full class name, then the
 * options; NetworkTopologyStrategy's 'replication_factor' shorthand is
 * expanded to every known data centre not given explicitly.
 */
#include "cluster/local_node.h"
#include "cql/cql_int.h"
#include "util/mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LOCATOR "org.apache.cassandra.locator."

enum strategy { ST_SIMPLE, ST_NTS };

/* The parsed keyspace attributes, in the request arena. */
struct ks_attrs {
    int has_repl;
    enum strategy strategy;
    int n_opts;
    const char *keys[64];
    const char *vals[64];
    int has_durable;
    int durable;
};

struct ks_change {
    enum cql_stmt_kind kind;
    char name[64];
    int if_flag;
    struct ks_attrs attrs;
    struct cql_req *r;
};

static int rf_valid(struct cql_req *r, const char *v)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (*v == 0 || errno || (*end && *end != '/')) {
        cql_error(r, PROTO_ERR_CONFIG, "For input string: \"%s\"", v);
        return 0;
    }
    if (n < 0) {
        cql_error(r, PROTO_ERR_CONFIG, "Replication factor must be non-negative, found %s", v);
        return 0;
    }
    if (*end == '/') {
        cql_error(r, PROTO_ERR_CONFIG,
                  "Transient replication is disabled. Enable in cassandra.yaml to use.");
        return 0;
    }
    return 1;
}

static const char *const_text(struct cql_req *r, const struct cql_term *t)
{
    if (!t || t->kind != CQL_TERM_CONST) return NULL;
    return arena_strndup(&r->arena, t->constant.text, t->constant.len);
}

static int parse_attrs(struct cql_req *r, const char *ks_name, const struct cql_props *props,
                       struct ks_attrs *a)
{
    memset(a, 0, sizeof(*a));
    for (int i = 0; i < props->n; i++) {
        const struct cql_property *p = props->items[i];
        if (strcmp(p->name, "replication") == 0) {
            if (!p->is_map) {
                cql_error(r, PROTO_ERR_SYNTAX,
                          "Invalid value for property 'replication'. It should be a map.");
                return -1;
            }
            const char *cls = NULL;
            for (int j = 0; j < p->n_entries; j++) {
                const char *k = const_text(r, p->keys[j]), *v = const_text(r, p->values[j]);
                if (!k || !v) {
                    cql_error(r, PROTO_ERR_SERVER, "Out of memory");
                    return -1;
                }
                if (strcmp(k, "class") == 0) {
                    cls = v;
                    continue;
                }
                if (a->n_opts == 64) {
                    cql_error(r, PROTO_ERR_CONFIG, "Too many replication options");
                    return -1;
                }
                a->keys[a->n_opts] = k;
                a->vals[a->n_opts++] = v;
            }
            if (!cls) {
                cql_error(r, PROTO_ERR_CONFIG, "Missing replication strategy class");
                return -1;
            }
            const char *shortn =
                strncmp(cls, LOCATOR, strlen(LOCATOR)) == 0 ? cls + strlen(LOCATOR) : cls;
            if (strcmp(shortn, "SimpleStrategy") == 0)
                a->strategy = ST_SIMPLE;
            else if (strcmp(shortn, "NetworkTopologyStrategy") == 0)
                a->strategy = ST_NTS;
            else if (strcmp(shortn, "LocalStrategy") == 0) {
                cql_error(r, PROTO_ERR_INVALID,
                          "Unable to use given strategy class: LocalStrategy is reserved for "
                          "internal use.");
                return -1;
            } else {
                cql_error(r, PROTO_ERR_CONFIG, "Unable to find replication strategy class '%s%s'",
                          strchr(cls, '.') ? "" : LOCATOR, cls);
                return -1;
            }
            a->has_repl = 1;
        } else if (strcmp(p->name, "durable_writes") == 0) {
            const char *v = p->is_map ? NULL : const_text(r, p->value);
            if (!v) {
                cql_error(r, PROTO_ERR_SYNTAX,
                          "Invalid value for property 'durable_writes'. It should be a boolean.");
                return -1;
            }
            if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcmp(v, "1"))
                a->durable = 1;
            else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcmp(v, "0"))
                a->durable = 0;
            else {
                cql_error(r, PROTO_ERR_SYNTAX,
                          "Invalid boolean value %s for 'durable_writes' "
                          "property",
                          v);
                return -1;
            }
            a->has_durable = 1;
        } else if (strcmp(p->name, "graph_engine") == 0) {
            /* accepted and ignored, as Cassandra does (with a warning) */
        } else {
            cql_error(r, PROTO_ERR_SYNTAX, "Unknown property '%s'", p->name);
            return -1;
        }
    }
    if (!a->has_repl) return 0;
    /* strategy options */
    if (a->strategy == ST_SIMPLE) {
        const char *rf = NULL;
        for (int i = 0; i < a->n_opts; i++) {
            if (strcmp(a->keys[i], "replication_factor") == 0) {
                rf = a->vals[i];
            } else {
                cql_error(r, PROTO_ERR_CONFIG,
                          "Unrecognized strategy option {%s} passed to SimpleStrategy for "
                          "keyspace %s",
                          a->keys[i], ks_name);
                return -1;
            }
        }
        if (!rf) {
            cql_error(r, PROTO_ERR_CONFIG,
                      "SimpleStrategy requires a replication_factor strategy option.");
            return -1;
        }
        if (!rf_valid(r, rf)) return -1;
    } else {
        const char *shorthand = NULL;
        int explicit_local = 0;
        for (int i = 0; i < a->n_opts; i++) {
            if (strcmp(a->keys[i], "replication_factor") == 0) {
                shorthand = a->vals[i];
            } else if (strcmp(a->keys[i], node->dc) != 0) {
                /* Cassandra 4.0+ rejects data centres that do not exist */
                cql_error(r, PROTO_ERR_CONFIG,
                          "Unrecognized strategy option {%s} passed to NetworkTopologyStrategy "
                          "for keyspace %s",
                          a->keys[i], ks_name);
                return -1;
            } else {
                explicit_local = 1;
            }
            if (!rf_valid(r, a->vals[i])) return -1;
        }
        /* expand the shorthand; drop it from the stored options */
        int w = 0;
        for (int i = 0; i < a->n_opts; i++) {
            if (strcmp(a->keys[i], "replication_factor") == 0) continue;
            a->keys[w] = a->keys[i];
            a->vals[w++] = a->vals[i];
        }
        a->n_opts = w;
        if (shorthand && !explicit_local) {
            a->keys[a->n_opts] = node->dc;
            a->vals[a->n_opts++] = shorthand;
        }
    }
    return 0;
}

static const char *class_name(enum strategy s)
{
    return s == ST_SIMPLE ? LOCATOR "SimpleStrategy" : LOCATOR "NetworkTopologyStrategy";
}

static int set_repl(struct schema_keyspace *ks, const struct ks_attrs *a)
{
    const char *keys[65], *vals[65];
    keys[0] = "class";
    vals[0] = class_name(a->strategy);
    for (int i = 0; i < a->n_opts; i++) {
        keys[i + 1] = a->keys[i];
        vals[i + 1] = a->vals[i];
    }
    return schema_ks_set_repl(ks, a->n_opts + 1, keys, vals);
}

static int fail(struct sp_change *c, int code, const char *fmt, const char *arg)
{
    c->rc = SP_ERROR;
    c->err_code = code;
    snprintf(c->err_msg, sizeof(c->err_msg), fmt, arg, arg);
    return SP_ERROR;
}

/* Runs on shard 0 (migration invariant 1). */
static int apply(struct sp_change *c, const struct schema *cur, struct schema **out)
{
    struct ks_change *kc = c->arg;
    const struct schema_keyspace *old = schema_find_ks(cur, kc->name);
    snprintf(c->ev.keyspace, sizeof(c->ev.keyspace), "%s", kc->name);
    c->ev.target = SP_TARGET_KEYSPACE;
    if (old && old->is_system && kc->kind != CQL_STMT_CREATE_KEYSPACE)
        return fail(c, PROTO_ERR_UNAUTHORIZED, "%s keyspace is not user-modifiable.", kc->name);
    switch (kc->kind) {
    case CQL_STMT_CREATE_KEYSPACE: {
        if (old) {
            if (kc->if_flag) return SP_NOOP;
            return fail(c, PROTO_ERR_ALREADY_EXISTS, "Cannot add existing keyspace \"%s\"",
                        kc->name);
        }
        struct schema *s = schema_clone(cur);
        struct schema_keyspace *ks = schema_ks_new(kc->name);
        if (!s || !ks || set_repl(ks, &kc->attrs) < 0) goto oom_ks;
        ks->durable_writes = kc->attrs.has_durable ? kc->attrs.durable : 1;
        if (schema_put_ks(s, ks) < 0) goto oom_ks;
        c->ev.change = SP_CHANGE_CREATED;
        *out = s;
        return SP_OK;
    oom_ks:
        schema_ks_free(ks);
        schema_unref(s);
        return fail(c, PROTO_ERR_SERVER, "Out of memory%s", "");
    }
    case CQL_STMT_ALTER_KEYSPACE: {
        if (!old) {
            if (kc->if_flag) return SP_NOOP;
            return fail(c, PROTO_ERR_INVALID, "Keyspace '%s' doesn't exist", kc->name);
        }
        struct schema *s = schema_clone(cur);
        if (!s) return fail(c, PROTO_ERR_SERVER, "Out of memory%s", "");
        struct schema_keyspace *ks = schema_find_ks(s, kc->name);
        if ((kc->attrs.has_repl && set_repl(ks, &kc->attrs) < 0)) {
            schema_unref(s);
            return fail(c, PROTO_ERR_SERVER, "Out of memory%s", "");
        }
        if (kc->attrs.has_durable) ks->durable_writes = kc->attrs.durable;
        c->ev.change = SP_CHANGE_UPDATED;
        *out = s;
        return SP_OK;
    }
    default: { /* DROP */
        if (!old) {
            if (kc->if_flag) return SP_NOOP;
            return fail(c, PROTO_ERR_INVALID, "Keyspace '%s' doesn't exist", kc->name);
        }
        struct schema *s = schema_clone(cur);
        if (!s) return fail(c, PROTO_ERR_SERVER, "Out of memory%s", "");
        schema_drop_ks(s, kc->name);
        c->ev.change = SP_CHANGE_DROPPED;
        *out = s;
        return SP_OK;
    }
    }
}

/* Back on the request's shard. */
static void done(struct sp_change *c)
{
    struct ks_change *kc = c->arg;
    struct cql_req *r = kc->r;
    if (c->rc == SP_OK) {
        res_schema_change(r, &c->ev);
        if (kc->kind == CQL_STMT_DROP_KEYSPACE && strcmp(r->sess->keyspace, kc->name) == 0)
            r->sess->keyspace[0] = 0;
    } else if (c->rc == SP_NOOP) {
        res_void(r);
    } else if (c->err_code == PROTO_ERR_ALREADY_EXISTS) {
        cql_error_already_exists(r, kc->name, "", "%s", c->err_msg);
    } else {
        cql_error(r, c->err_code, "%s", c->err_msg);
    }
    r->done(r);
}

int stmt_keyspace_ddl(struct cql_exec *x)
{
    struct cql_req *r = x->r;
    const struct cql_stmt *st = x->stmt;
    struct ks_change *kc = arena_calloc(&r->arena, sizeof(*kc));
    if (!kc) {
        cql_error(r, PROTO_ERR_SERVER, "Out of memory");
        return CQL_DONE;
    }
    kc->kind = st->kind;
    kc->r = r;
    const char *name;
    if (st->kind == CQL_STMT_CREATE_KEYSPACE) {
        name = st->create_keyspace.name;
        kc->if_flag = st->create_keyspace.if_not_exists;
    } else if (st->kind == CQL_STMT_ALTER_KEYSPACE) {
        name = st->alter_keyspace.name;
        kc->if_flag = st->alter_keyspace.if_exists;
    } else {
        name = st->drop.name.name;
        kc->if_flag = st->drop.if_exists;
    }
    if (st->kind == CQL_STMT_CREATE_KEYSPACE && !schema_name_valid(name)) {
        cql_error(r, PROTO_ERR_INVALID,
                  "Keyspace name must not be empty, more than %d characters long, or contain "
                  "non-alphanumeric-underscore characters (got '%s')",
                  SCHEMA_NAME_MAX, name);
        return CQL_DONE;
    }
    if (strlen(name) >= sizeof(kc->name)) {
        cql_error(r, PROTO_ERR_INVALID, "Keyspace '%.60s...' doesn't exist", name);
        return CQL_DONE;
    }
    snprintf(kc->name, sizeof(kc->name), "%s", name);
    if (st->kind == CQL_STMT_CREATE_KEYSPACE || st->kind == CQL_STMT_ALTER_KEYSPACE) {
        const struct cql_props *props = st->kind == CQL_STMT_CREATE_KEYSPACE
                                            ? &st->create_keyspace.props
                                            : &st->alter_keyspace.props;
        if (parse_attrs(r, name, props, &kc->attrs) < 0) return CQL_DONE;
        if (st->kind == CQL_STMT_CREATE_KEYSPACE && !kc->attrs.has_repl) {
            cql_error(r, PROTO_ERR_INVALID, "Missing mandatory option 'replication'");
            return CQL_DONE;
        }
    }
    struct sp_change *c = &r->change;
    memset(c, 0, sizeof(*c));
    c->apply = apply;
    c->done = done;
    c->arg = kc;
    if (sp_schema_submit(r->shard, c) < 0) {
        cql_error(r, PROTO_ERR_SERVER, "Out of memory");
        return CQL_DONE;
    }
    return CQL_PENDING;
}
