/*
 * schema.c -- snapshots, built-in keyspaces, (de)serialization. See schema.h.
 */
#include "schema/schema.h"
#include "util/md5.h"
#include "util/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- built-in keyspaces and tables ------------------------------------
 * Each table is a list of "name type [pk|ck]" column specs, key columns in
 * key order, as Cassandra 4.1 defines them (SystemKeyspace, SchemaKeyspace,
 * VirtualSchemaKeyspace, SystemViewsKeyspace). */

struct builtin_table {
    const char *ks, *name, *comment;
    enum schema_vtab vtab;
    const char *cols[32];
};

#define SS_TABLE_PARAMS                                                                            \
    "additional_write_policy text", "bloom_filter_fp_chance double",                               \
        "caching frozen<map<text, text>>", "cdc boolean", "comment text",                          \
        "compaction frozen<map<text, text>>", "compression frozen<map<text, text>>",               \
        "crc_check_chance double", "default_time_to_live int",                                     \
        "extensions frozen<map<text, blob>>", "gc_grace_seconds int", "max_index_interval int",    \
        "memtable text", "memtable_flush_period_in_ms int", "min_index_interval int",              \
        "read_repair text", "speculative_retry text", "dclocal_read_repair_chance double",         \
        "read_repair_chance double"

static const struct builtin_table builtin_tables[] = {
    {"system",
     "local",
     "information about the local node",
     VT_LOCAL,
     {"key text pk",
      "bootstrapped text",
      "broadcast_address inet",
      "broadcast_port int",
      "cluster_name text",
      "cql_version text",
      "data_center text",
      "gossip_generation int",
      "host_id uuid",
      "listen_address inet",
      "listen_port int",
      "native_protocol_version text",
      "partitioner text",
      "rack text",
      "release_version text",
      "rpc_address inet",
      "rpc_port int",
      "schema_version uuid",
      "tokens set<text>",
      "truncated_at map<uuid, blob>"}},
    {"system",
     "peers",
     "information about known peers in the cluster",
     VT_PEERS,
     {"peer inet pk", "data_center text", "host_id uuid", "preferred_ip inet", "rack text",
      "release_version text", "rpc_address inet", "schema_version uuid", "tokens set<text>"}},
    {"system",
     "peers_v2",
     "information about known peers in the cluster",
     VT_PEERS_V2,
     {"peer inet pk", "peer_port int ck", "data_center text", "host_id uuid", "native_address inet",
      "native_port int", "preferred_ip inet", "preferred_port int", "rack text",
      "release_version text", "schema_version uuid", "tokens set<text>"}},
    {"system_schema",
     "keyspaces",
     "keyspace definitions",
     VT_SS_KEYSPACES,
     {"keyspace_name text pk", "durable_writes boolean", "replication frozen<map<text, text>>"}},
    {"system_schema",
     "tables",
     "table definitions",
     VT_SS_TABLES,
     {"keyspace_name text pk", "table_name text ck", SS_TABLE_PARAMS, "flags frozen<set<text>>",
      "id uuid"}},
    {"system_schema",
     "columns",
     "column definitions",
     VT_SS_COLUMNS,
     {"keyspace_name text pk", "table_name text ck", "column_name text ck", "clustering_order text",
      "column_name_bytes blob", "kind text", "position int", "type text"}},
    {"system_schema",
     "dropped_columns",
     "dropped column registry",
     VT_SS_DROPPED_COLUMNS,
     {"keyspace_name text pk", "table_name text ck", "column_name text ck",
      "dropped_time timestamp", "kind text", "type text"}},
    {"system_schema",
     "types",
     "user defined type definitions",
     VT_SS_TYPES,
     {"keyspace_name text pk", "type_name text ck", "field_names frozen<list<text>>",
      "field_types frozen<list<text>>"}},
    {"system_schema",
     "functions",
     "user defined function definitions",
     VT_SS_FUNCTIONS,
     {"keyspace_name text pk", "function_name text ck", "argument_types frozen<list<text>> ck",
      "argument_names frozen<list<text>>", "body text", "called_on_null_input boolean",
      "language text", "return_type text"}},
    {"system_schema",
     "aggregates",
     "user defined aggregate definitions",
     VT_SS_AGGREGATES,
     {"keyspace_name text pk", "aggregate_name text ck", "argument_types frozen<list<text>> ck",
      "final_func text", "initcond text", "return_type text", "state_func text",
      "state_type text"}},
    {"system_schema",
     "indexes",
     "secondary index definitions",
     VT_SS_INDEXES,
     {"keyspace_name text pk", "table_name text ck", "index_name text ck", "kind text",
      "options frozen<map<text, text>>"}},
    {"system_schema",
     "triggers",
     "trigger definitions",
     VT_SS_TRIGGERS,
     {"keyspace_name text pk", "table_name text ck", "trigger_name text ck",
      "options frozen<map<text, text>>"}},
    {"system_schema",
     "views",
     "view definitions",
     VT_SS_VIEWS,
     {"keyspace_name text pk", "view_name text ck", SS_TABLE_PARAMS, "base_table_id uuid",
      "base_table_name text", "id uuid", "include_all_columns boolean", "where_clause text"}},
    {"system_virtual_schema",
     "keyspaces",
     "virtual keyspace definitions",
     VT_VS_KEYSPACES,
     {"keyspace_name text pk"}},
    {"system_virtual_schema",
     "tables",
     "virtual table definitions",
     VT_VS_TABLES,
     {"keyspace_name text pk", "table_name text ck", "comment text"}},
    {"system_virtual_schema",
     "columns",
     "virtual column definitions",
     VT_VS_COLUMNS,
     {"keyspace_name text pk", "table_name text ck", "column_name text ck", "clustering_order text",
      "column_name_bytes blob", "kind text", "position int", "type text"}},
    {"system_views",
     "clients",
     "currently connected clients",
     VT_CLIENTS,
     {"address inet pk", "port int ck", "connection_stage text", "driver_name text",
      "driver_version text", "hostname text", "protocol_version int", "request_count bigint",
      "shard int", "ssl_cipher_suite text", "ssl_enabled boolean", "ssl_protocol text",
      "username text"}},
    {"system_views",
     "shard_tables",
     "ringdb: each table's data on each shard",
     VT_SHARD_TABLES,
     {"keyspace_name text pk", "table_name text ck", "shard int ck", "memtable_bytes bigint",
      "partitions bigint"}},
};

static const struct {
    const char *name;
    int is_virtual;
    const char *strategy;
} builtin_ks[] = {
    {"system", 0, "org.apache.cassandra.locator.LocalStrategy"},
    {"system_schema", 0, "org.apache.cassandra.locator.LocalStrategy"},
    {"system_virtual_schema", 1, NULL},
    {"system_views", 1, NULL},
};

/* ---- helpers ---- */

static char *dupstr(const char *s)
{
    return s ? mem_strndup(s, strlen(s)) : NULL;
}

int schema_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > SCHEMA_NAME_MAX) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return 0;
    }
    return 1;
}

void schema_table_free(struct schema_table *t)
{
    if (!t) return;
    for (int i = 0; i < t->n_cols; i++) {
        mem_free(t->cols[i].name);
        type_free(t->cols[i].type);
    }
    for (int i = 0; i < t->n_opts; i++) {
        mem_free(t->opts[i].name);
        mem_free(t->opts[i].val);
    }
    mem_free(t->opts);
    for (int i = 0; i < t->n_dropped; i++) {
        mem_free(t->dropped[i].name);
        type_free(t->dropped[i].type);
    }
    mem_free(t->dropped);
    mem_free(t->cols);
    mem_free(t->name);
    mem_free(t->comment);
    mem_free(t);
}

void schema_udt_free(struct schema_udt *u)
{
    if (!u) return;
    for (int i = 0; i < u->n_fields; i++) {
        if (u->field_names) mem_free(u->field_names[i]);
        if (u->field_types) type_free(u->field_types[i]);
    }
    mem_free(u->field_names);
    mem_free(u->field_types);
    mem_free(u->name);
    mem_free(u);
}

void schema_ks_free(struct schema_keyspace *ks)
{
    if (!ks) return;
    for (int i = 0; i < ks->n_repl; i++) {
        mem_free(ks->repl[i].key);
        mem_free(ks->repl[i].val);
    }
    mem_free(ks->repl);
    for (int i = 0; i < ks->n_tables; i++)
        schema_table_free(ks->tables[i]);
    mem_free(ks->tables);
    for (int i = 0; i < ks->n_udts; i++)
        schema_udt_free(ks->udts[i]);
    mem_free(ks->udts);
    mem_free(ks->name);
    mem_free(ks);
}

struct schema_keyspace *schema_ks_new(const char *name)
{
    struct schema_keyspace *ks = mem_calloc(1, sizeof(*ks));
    if (!ks) return NULL;
    ks->durable_writes = 1;
    if (!(ks->name = dupstr(name))) {
        mem_free(ks);
        return NULL;
    }
    return ks;
}

static int kv_cmp(const void *a, const void *b)
{
    const struct schema_kv *x = a, *y = b;
    if (strcmp(x->key, "class") == 0) return -1;
    if (strcmp(y->key, "class") == 0) return 1;
    return strcmp(x->key, y->key);
}

int schema_ks_set_repl(struct schema_keyspace *ks, int n, const char *const *keys,
                       const char *const *vals)
{
    struct schema_kv *kv = n ? mem_calloc((size_t)n, sizeof(*kv)) : NULL;
    if (n && !kv) return -1;
    for (int i = 0; i < n; i++) {
        kv[i].key = dupstr(keys[i]);
        kv[i].val = dupstr(vals[i]);
        if (!kv[i].key || !kv[i].val) {
            for (int j = 0; j <= i; j++) {
                mem_free(kv[j].key);
                mem_free(kv[j].val);
            }
            mem_free(kv);
            return -1;
        }
    }
    if (n > 1) qsort(kv, (size_t)n, sizeof(*kv), kv_cmp);
    for (int i = 0; i < ks->n_repl; i++) {
        mem_free(ks->repl[i].key);
        mem_free(ks->repl[i].val);
    }
    mem_free(ks->repl);
    ks->repl = kv;
    ks->n_repl = n;
    return 0;
}

const char *schema_repl_get(const struct schema_keyspace *ks, const char *key)
{
    for (int i = 0; i < ks->n_repl; i++)
        if (strcmp(ks->repl[i].key, key) == 0) return ks->repl[i].val;
    return NULL;
}

static int col_cmp(const void *a, const void *b)
{
    const struct schema_column *x = a, *y = b;
    if (x->kind != y->kind) {
        int rx = x->kind == COL_PARTITION_KEY ? 0 : x->kind == COL_CLUSTERING ? 1 : 2;
        int ry = y->kind == COL_PARTITION_KEY ? 0 : y->kind == COL_CLUSTERING ? 1 : 2;
        if (rx != ry) return rx - ry;
    }
    if (x->kind == COL_PARTITION_KEY || x->kind == COL_CLUSTERING) return x->position - y->position;
    return strcmp(x->name, y->name);
}

/* Deterministic table id for built-ins: name-based uuid of "ks.table". */
static void name_uuid(const char *ks, const char *t, uint8_t out[16])
{
    char tmp[128];
    int n = snprintf(tmp, sizeof(tmp), "%s.%s", ks, t);
    md5_digest(tmp, (size_t)n, out);
    out[6] = (uint8_t)((out[6] & 0x0f) | 0x30);
    out[8] = (uint8_t)((out[8] & 0x3f) | 0x80);
}

static struct schema_table *builtin_table_new(const struct builtin_table *bt)
{
    struct schema_table *t = mem_calloc(1, sizeof(*t));
    if (!t) return NULL;
    int n = 0;
    while (n < 32 && bt->cols[n])
        n++;
    t->cols = mem_calloc((size_t)n, sizeof(*t->cols));
    if (!t->cols || !(t->name = dupstr(bt->name)) || !(t->comment = dupstr(bt->comment))) goto fail;
    t->is_virtual = 1;
    t->vtab = bt->vtab;
    name_uuid(bt->ks, bt->name, t->id);
    for (int i = 0; i < n; i++) {
        const char *spec = bt->cols[i];
        const char *sp = strchr(spec, ' ');
        const char *end = spec + strlen(spec);
        enum schema_col_kind kind = COL_REGULAR;
        if (end - spec > 3 && strcmp(end - 3, " pk") == 0) {
            kind = COL_PARTITION_KEY;
            end -= 3;
        } else if (end - spec > 3 && strcmp(end - 3, " ck") == 0) {
            kind = COL_CLUSTERING;
            end -= 3;
        }
        struct schema_column *c = &t->cols[t->n_cols++];
        c->kind = kind;
        c->position = kind == COL_PARTITION_KEY ? t->n_pk++
                      : kind == COL_CLUSTERING  ? t->n_ck++
                                                : -1;
        if (!(c->name = mem_strndup(spec, (size_t)(sp - spec)))) goto fail;
        char err[128];
        if (!(c->type = type_parse(sp + 1, (size_t)(end - sp - 1), NULL, err, sizeof(err))))
            goto fail;
    }
    qsort(t->cols, (size_t)t->n_cols, sizeof(*t->cols), col_cmp);
    return t;
fail:
    schema_table_free(t);
    return NULL;
}

static int ks_add_table(struct schema_keyspace *ks, struct schema_table *t)
{
    struct schema_table **nt = mem_realloc(ks->tables, sizeof(*nt) * (size_t)(ks->n_tables + 1));
    if (!nt) return -1;
    ks->tables = nt;
    ks->tables[ks->n_tables++] = t;
    return 0;
}

int schema_ks_add_table(struct schema_keyspace *ks, struct schema_table *t)
{
    return ks_add_table(ks, t);
}

int schema_ks_drop_table(struct schema_keyspace *ks, const char *name)
{
    for (int i = 0; i < ks->n_tables; i++) {
        if (strcmp(ks->tables[i]->name, name) == 0) {
            schema_table_free(ks->tables[i]);
            memmove(&ks->tables[i], &ks->tables[i + 1],
                    sizeof(ks->tables[0]) * (size_t)(ks->n_tables - i - 1));
            ks->n_tables--;
            return 0;
        }
    }
    return -1;
}

struct schema_table *schema_table_new(const char *name)
{
    struct schema_table *t = mem_calloc(1, sizeof(*t));
    if (!t) return NULL;
    if (!(t->name = dupstr(name)) || !(t->comment = dupstr(""))) {
        schema_table_free(t);
        return NULL;
    }
    return t;
}

int schema_table_add_column(struct schema_table *t, const char *name, const struct type *type,
                            enum schema_col_kind kind, int position, int desc)
{
    struct schema_column *nc = mem_realloc(t->cols, sizeof(*nc) * (size_t)(t->n_cols + 1));
    if (!nc) return -1;
    t->cols = nc;
    struct schema_column *c = &t->cols[t->n_cols];
    memset(c, 0, sizeof(*c));
    c->name = dupstr(name);
    c->type = type_dup(type);
    if (!c->name || !c->type) {
        mem_free(c->name);
        type_free(c->type);
        return -1;
    }
    c->kind = kind;
    c->position = position;
    c->desc = desc;
    c->id = t->next_col_id++;
    t->n_cols++;
    if (kind == COL_PARTITION_KEY) t->n_pk++;
    if (kind == COL_CLUSTERING) t->n_ck++;
    if (type->kind == TYPE_COUNTER) t->is_counter = 1;
    return 0;
}

void schema_table_forget_dropped(struct schema_table *t, const char *name)
{
    for (int i = 0; i < t->n_dropped; i++)
        if (strcmp(t->dropped[i].name, name) == 0) {
            mem_free(t->dropped[i].name);
            type_free(t->dropped[i].type);
            t->dropped[i] = t->dropped[--t->n_dropped];
            return;
        }
}

int schema_table_add_dropped(struct schema_table *t, const char *name, const struct type *type,
                             enum schema_col_kind kind, int64_t time_us)
{
    schema_table_forget_dropped(t, name);
    struct schema_dropped *nd = mem_realloc(t->dropped, sizeof(*nd) * (size_t)(t->n_dropped + 1));
    if (!nd) return -1;
    t->dropped = nd;
    struct schema_dropped *d = &nd[t->n_dropped];
    d->name = dupstr(name);
    d->type = type_dup(type);
    if (!d->name || !d->type) {
        mem_free(d->name);
        type_free(d->type);
        return -1;
    }
    d->kind = kind;
    d->time_us = time_us;
    t->n_dropped++;
    return 0;
}

void schema_table_sort_columns(struct schema_table *t)
{
    qsort(t->cols, (size_t)t->n_cols, sizeof(*t->cols), col_cmp);
}

static int opt_int(const struct schema_table *t, const char *name, int dflt)
{
    const struct schema_opt *o = schema_table_opt(t, name);
    return o && o->len == 4 ? (int32_t)be32(o->val) : dflt;
}

int schema_table_set_opt(struct schema_table *t, const char *name, const void *val, int32_t len)
{
    uint8_t *v = mem_alloc(len > 0 ? (size_t)len : 1);
    if (!v) return -1;
    if (len > 0) memcpy(v, val, (size_t)len);
    int i = 0;
    while (i < t->n_opts && strcmp(t->opts[i].name, name) < 0)
        i++;
    if (i < t->n_opts && strcmp(t->opts[i].name, name) == 0) {
        mem_free(t->opts[i].val);
    } else {
        struct schema_opt *no = mem_realloc(t->opts, sizeof(*no) * (size_t)(t->n_opts + 1));
        char *nm = dupstr(name);
        if (!no || !nm) {
            if (no) t->opts = no;
            mem_free(nm);
            mem_free(v);
            return -1;
        }
        t->opts = no;
        memmove(&t->opts[i + 1], &t->opts[i], sizeof(*no) * (size_t)(t->n_opts - i));
        t->opts[i].name = nm;
        t->n_opts++;
    }
    t->opts[i].val = v;
    t->opts[i].len = len;
    t->default_ttl = opt_int(t, "default_time_to_live", 0);
    t->gc_grace = opt_int(t, "gc_grace_seconds", 864000);
    return 0;
}

const struct schema_opt *schema_table_opt(const struct schema_table *t, const char *name)
{
    for (int i = 0; i < t->n_opts; i++)
        if (strcmp(t->opts[i].name, name) == 0) return &t->opts[i];
    return NULL;
}

struct schema_udt *schema_find_udt(const struct schema_keyspace *ks, const char *name)
{
    for (int i = 0; i < ks->n_udts; i++)
        if (strcmp(ks->udts[i]->name, name) == 0) return ks->udts[i];
    return NULL;
}

int schema_ks_put_udt(struct schema_keyspace *ks, struct schema_udt *u)
{
    for (int i = 0; i < ks->n_udts; i++) {
        if (strcmp(ks->udts[i]->name, u->name) == 0) {
            schema_udt_free(ks->udts[i]);
            ks->udts[i] = u;
            return 0;
        }
    }
    struct schema_udt **nu = mem_realloc(ks->udts, sizeof(*nu) * (size_t)(ks->n_udts + 1));
    if (!nu) return -1;
    ks->udts = nu;
    ks->udts[ks->n_udts++] = u;
    return 0;
}

int schema_ks_drop_udt(struct schema_keyspace *ks, const char *name)
{
    for (int i = 0; i < ks->n_udts; i++) {
        if (strcmp(ks->udts[i]->name, name) == 0) {
            schema_udt_free(ks->udts[i]);
            memmove(&ks->udts[i], &ks->udts[i + 1],
                    sizeof(ks->udts[0]) * (size_t)(ks->n_udts - i - 1));
            ks->n_udts--;
            return 0;
        }
    }
    return -1;
}

static int resolve_type(const struct schema_keyspace *ks, struct type *t, int depth, char *err,
                        size_t errsz)
{
    if (depth > 32) {
        snprintf(err, errsz, "user types nested too deeply");
        return -1;
    }
    if (t->kind == TYPE_UDT) {
        const struct schema_udt *u = schema_find_udt(ks, t->name);
        if (!u) {
            snprintf(err, errsz, "Unknown type %s.%s", ks->name, t->name);
            return -1;
        }
        if (t->field_names) return 0; /* already resolved */
        struct type **params = mem_calloc((size_t)(u->n_fields ? u->n_fields : 1), sizeof(*params));
        char **names = mem_calloc((size_t)(u->n_fields ? u->n_fields : 1), sizeof(*names));
        char *ksn = dupstr(ks->name);
        if (!params || !names || !ksn) goto oom;
        for (int i = 0; i < u->n_fields; i++) {
            params[i] = type_dup(u->field_types[i]);
            names[i] = dupstr(u->field_names[i]);
            if (!params[i] || !names[i]) goto oom;
            if (resolve_type(ks, params[i], depth + 1, err, errsz) < 0) {
                for (int k = 0; k <= i; k++) {
                    type_free(params[k]);
                    mem_free(names[k]);
                }
                mem_free(params);
                mem_free(names);
                mem_free(ksn);
                return -1;
            }
        }
        mem_free(t->ks);
        t->ks = ksn;
        t->params = params;
        t->field_names = names;
        t->n_params = u->n_fields;
        return 0;
    oom:
        if (params)
            for (int i = 0; i < u->n_fields; i++)
                type_free(params[i]);
        if (names)
            for (int i = 0; i < u->n_fields; i++)
                mem_free(names[i]);
        mem_free(params);
        mem_free(names);
        mem_free(ksn);
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    for (int i = 0; i < t->n_params; i++)
        if (resolve_type(ks, t->params[i], depth + 1, err, errsz) < 0) return -1;
    return 0;
}

int schema_resolve_type(const struct schema_keyspace *ks, struct type *t, char *err, size_t errsz)
{
    return resolve_type(ks, t, 0, err, errsz);
}

struct schema_table *schema_find_table_by_id(const struct schema *s, const uint8_t id[16],
                                             struct schema_keyspace **ks_out)
{
    for (int i = 0; i < s->n_ks; i++)
        for (int j = 0; j < s->ks[i]->n_tables; j++)
            if (memcmp(s->ks[i]->tables[j]->id, id, 16) == 0) {
                if (ks_out) *ks_out = s->ks[i];
                return s->ks[i]->tables[j];
            }
    return NULL;
}

struct schema *schema_new_builtin(void)
{
    struct schema *s = mem_calloc(1, sizeof(*s));
    if (!s) return NULL;
    atomic_init(&s->refs, 1);
    for (size_t i = 0; i < sizeof(builtin_ks) / sizeof(builtin_ks[0]); i++) {
        struct schema_keyspace *ks = schema_ks_new(builtin_ks[i].name);
        if (!ks) goto fail;
        ks->is_system = 1;
        ks->is_virtual = builtin_ks[i].is_virtual;
        if (builtin_ks[i].strategy) {
            const char *k[] = {"class"};
            const char *v[] = {builtin_ks[i].strategy};
            if (schema_ks_set_repl(ks, 1, k, v) < 0) {
                schema_ks_free(ks);
                goto fail;
            }
        }
        for (size_t j = 0; j < sizeof(builtin_tables) / sizeof(builtin_tables[0]); j++) {
            if (strcmp(builtin_tables[j].ks, ks->name)) continue;
            struct schema_table *t = builtin_table_new(&builtin_tables[j]);
            if (!t || ks_add_table(ks, t) < 0) {
                schema_table_free(t);
                schema_ks_free(ks);
                goto fail;
            }
        }
        if (schema_put_ks(s, ks) < 0) {
            schema_ks_free(ks);
            goto fail;
        }
    }
    schema_update_version(s);
    return s;
fail:
    schema_unref(s);
    return NULL;
}

static struct schema_table *table_clone(const struct schema_table *src)
{
    struct schema_table *t = mem_calloc(1, sizeof(*t));
    if (!t) return NULL;
    *t = *src;
    t->name = t->comment = NULL;
    t->cols = NULL;
    t->n_cols = 0;
    t->opts = NULL;
    t->n_opts = 0;
    t->dropped = NULL;
    t->n_dropped = 0;
    for (int i = 0; i < src->n_dropped; i++)
        if (schema_table_add_dropped(t, src->dropped[i].name, src->dropped[i].type,
                                     src->dropped[i].kind, src->dropped[i].time_us) < 0)
            goto fail;
    for (int i = 0; i < src->n_opts; i++)
        if (schema_table_set_opt(t, src->opts[i].name, src->opts[i].val, src->opts[i].len) < 0)
            goto fail;
    if (!(t->name = dupstr(src->name))) goto fail;
    if (src->comment && !(t->comment = dupstr(src->comment))) goto fail;
    if (src->n_cols) {
        t->cols = mem_calloc((size_t)src->n_cols, sizeof(*t->cols));
        if (!t->cols) goto fail;
        for (int i = 0; i < src->n_cols; i++) {
            t->cols[i] = src->cols[i];
            t->cols[i].name = dupstr(src->cols[i].name);
            t->cols[i].type = type_dup(src->cols[i].type);
            t->n_cols++;
            if (!t->cols[i].name || !t->cols[i].type) goto fail;
        }
    }
    return t;
fail:
    schema_table_free(t);
    return NULL;
}

static struct schema_udt *udt_new(const char *name, int n)
{
    struct schema_udt *u = mem_calloc(1, sizeof(*u));
    if (!u) return NULL;
    u->name = dupstr(name);
    u->field_names = mem_calloc((size_t)(n ? n : 1), sizeof(char *));
    u->field_types = mem_calloc((size_t)(n ? n : 1), sizeof(struct type *));
    if (!u->name || !u->field_names || !u->field_types) {
        schema_udt_free(u);
        return NULL;
    }
    u->n_fields = n;
    return u;
}

static struct schema_udt *udt_clone(const struct schema_udt *src)
{
    struct schema_udt *u = udt_new(src->name, src->n_fields);
    if (!u) return NULL;
    for (int i = 0; i < src->n_fields; i++) {
        u->field_names[i] = dupstr(src->field_names[i]);
        u->field_types[i] = type_dup(src->field_types[i]);
        if (!u->field_names[i] || !u->field_types[i]) {
            schema_udt_free(u);
            return NULL;
        }
    }
    return u;
}

static struct schema_keyspace *ks_clone(const struct schema_keyspace *src)
{
    struct schema_keyspace *ks = schema_ks_new(src->name);
    if (!ks) return NULL;
    ks->durable_writes = src->durable_writes;
    ks->is_system = src->is_system;
    ks->is_virtual = src->is_virtual;
    const char *k[64], *v[64];
    int n = src->n_repl < 64 ? src->n_repl : 64;
    for (int i = 0; i < n; i++) {
        k[i] = src->repl[i].key;
        v[i] = src->repl[i].val;
    }
    if (schema_ks_set_repl(ks, n, k, v) < 0) goto fail;
    for (int i = 0; i < src->n_tables; i++) {
        struct schema_table *t = table_clone(src->tables[i]);
        if (!t || ks_add_table(ks, t) < 0) {
            schema_table_free(t);
            goto fail;
        }
    }
    for (int i = 0; i < src->n_udts; i++) {
        struct schema_udt *u = udt_clone(src->udts[i]);
        if (!u || schema_ks_put_udt(ks, u) < 0) {
            schema_udt_free(u);
            goto fail;
        }
    }
    return ks;
fail:
    schema_ks_free(ks);
    return NULL;
}

struct schema *schema_clone(const struct schema *src)
{
    struct schema *s = mem_calloc(1, sizeof(*s));
    if (!s) return NULL;
    atomic_init(&s->refs, 1);
    memcpy(s->version, src->version, 16);
    for (int i = 0; i < src->n_ks; i++) {
        struct schema_keyspace *ks = ks_clone(src->ks[i]);
        if (!ks || schema_put_ks(s, ks) < 0) {
            schema_ks_free(ks);
            schema_unref(s);
            return NULL;
        }
    }
    return s;
}

void schema_ref(struct schema *s)
{
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
}

void schema_unref(struct schema *s)
{
    if (!s) return;
    if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1) return;
    for (int i = 0; i < s->n_ks; i++)
        schema_ks_free(s->ks[i]);
    mem_free(s->ks);
    mem_free(s);
}

struct schema_keyspace *schema_find_ks(const struct schema *s, const char *name)
{
    for (int i = 0; i < s->n_ks; i++)
        if (strcmp(s->ks[i]->name, name) == 0) return s->ks[i];
    return NULL;
}

struct schema_table *schema_find_table(const struct schema_keyspace *ks, const char *name)
{
    for (int i = 0; i < ks->n_tables; i++)
        if (strcmp(ks->tables[i]->name, name) == 0) return ks->tables[i];
    return NULL;
}

struct schema_column *schema_find_column(const struct schema_table *t, const char *name)
{
    for (int i = 0; i < t->n_cols; i++)
        if (strcmp(t->cols[i].name, name) == 0) return &t->cols[i];
    return NULL;
}

int schema_put_ks(struct schema *s, struct schema_keyspace *ks)
{
    for (int i = 0; i < s->n_ks; i++) {
        if (strcmp(s->ks[i]->name, ks->name) == 0) {
            schema_ks_free(s->ks[i]);
            s->ks[i] = ks;
            return 0;
        }
    }
    struct schema_keyspace **nk = mem_realloc(s->ks, sizeof(*nk) * (size_t)(s->n_ks + 1));
    if (!nk) return -1;
    s->ks = nk;
    s->ks[s->n_ks++] = ks;
    return 0;
}

int schema_drop_ks(struct schema *s, const char *name)
{
    for (int i = 0; i < s->n_ks; i++) {
        if (strcmp(s->ks[i]->name, name) == 0) {
            schema_ks_free(s->ks[i]);
            memmove(&s->ks[i], &s->ks[i + 1], sizeof(s->ks[0]) * (size_t)(s->n_ks - i - 1));
            s->n_ks--;
            return 0;
        }
    }
    return -1;
}

/* ---- serialization ----------------------------------------------------
 * file  := "RDBSCHM1" u32:format_version(1) u32:payload_len payload u32:checksum
 * payload := u32:n_ks ks*
 * ks    := str:name u8:durable_writes u32:n_repl (str:key str:val)* u32:n_tables table*
 *          u32:n_udts udt*
 * table := str:name 16:id str:comment u32:next_col_id u32:n_cols col* u32:n_opts opt*
 * col   := str:name str:type_cql u8:kind i32:position u8:desc u32:id
 * opt   := str:name str:value (encoded in its system_schema.tables column type)
 * after the opts: u32:n_dropped (str:name str:type_cql u8:kind i64:time_us)*
 * udt   := str:name u32:n_fields (str:field str:type_cql)*
 * str   := u32:len bytes
 * checksum := first 4 bytes (big-endian) of MD5(payload)
 */

#define SCHEMA_MAGIC  "RDBSCHM1"
#define SCHEMA_FORMAT 1u

static void put_str(buf *b, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    buf_put_be32(b, (uint32_t)n);
    buf_put(b, s, n);
}

/* A type as CQL text; UDTs by name, resolved against the keyspace on load. */
static void put_type(buf *b, const struct type *t)
{
    buf tb;
    buf_init(&tb);
    type_format(t, &tb);
    buf_put_u8(&tb, 0);
    put_str(b, buf_ok(&tb) ? (const char *)tb.data : "");
    if (!buf_ok(&tb)) b->oom = 1;
    buf_free(&tb);
}

static void serialize_payload(const struct schema *s, buf *b)
{
    int n_user = 0;
    for (int i = 0; i < s->n_ks; i++)
        n_user += !s->ks[i]->is_system;
    buf_put_be32(b, (uint32_t)n_user);
    for (int i = 0; i < s->n_ks; i++) {
        const struct schema_keyspace *ks = s->ks[i];
        if (ks->is_system) continue;
        put_str(b, ks->name);
        buf_put_u8(b, (uint8_t)ks->durable_writes);
        buf_put_be32(b, (uint32_t)ks->n_repl);
        for (int j = 0; j < ks->n_repl; j++) {
            put_str(b, ks->repl[j].key);
            put_str(b, ks->repl[j].val);
        }
        buf_put_be32(b, (uint32_t)ks->n_tables);
        for (int j = 0; j < ks->n_tables; j++) {
            const struct schema_table *t = ks->tables[j];
            put_str(b, t->name);
            buf_put(b, t->id, 16);
            put_str(b, t->comment ? t->comment : "");
            buf_put_be32(b, (uint32_t)t->next_col_id);
            buf_put_be32(b, (uint32_t)t->n_cols);
            for (int k = 0; k < t->n_cols; k++) {
                const struct schema_column *c = &t->cols[k];
                put_str(b, c->name);
                put_type(b, c->type);
                buf_put_u8(b, (uint8_t)c->kind);
                buf_put_be32(b, (uint32_t)c->position);
                buf_put_u8(b, (uint8_t)c->desc);
                buf_put_be32(b, (uint32_t)c->id);
            }
            buf_put_be32(b, (uint32_t)t->n_opts);
            for (int k = 0; k < t->n_opts; k++) {
                put_str(b, t->opts[k].name);
                buf_put_be32(b, (uint32_t)t->opts[k].len);
                buf_put(b, t->opts[k].val, t->opts[k].len > 0 ? (size_t)t->opts[k].len : 0);
            }
            buf_put_be32(b, (uint32_t)t->n_dropped);
            for (int k = 0; k < t->n_dropped; k++) {
                put_str(b, t->dropped[k].name);
                put_type(b, t->dropped[k].type);
                buf_put_u8(b, (uint8_t)t->dropped[k].kind);
                buf_put_be64(b, (uint64_t)t->dropped[k].time_us);
            }
        }
        buf_put_be32(b, (uint32_t)ks->n_udts);
        for (int j = 0; j < ks->n_udts; j++) {
            const struct schema_udt *u = ks->udts[j];
            put_str(b, u->name);
            buf_put_be32(b, (uint32_t)u->n_fields);
            for (int k = 0; k < u->n_fields; k++) {
                put_str(b, u->field_names[k]);
                put_type(b, u->field_types[k]);
            }
        }
    }
}

void schema_update_version(struct schema *s)
{
    buf b;
    buf_init(&b);
    serialize_payload(s, &b);
    md5_digest(b.data ? b.data : (const uint8_t *)"", b.len, s->version);
    s->version[6] = (uint8_t)((s->version[6] & 0x0f) | 0x30);
    s->version[8] = (uint8_t)((s->version[8] & 0x3f) | 0x80);
    buf_free(&b);
}

void schema_serialize(const struct schema *s, buf *out)
{
    buf_put(out, SCHEMA_MAGIC, 8);
    buf_put_be32(out, SCHEMA_FORMAT);
    size_t len_off = buf_skip(out, 4);
    size_t start = out->len;
    serialize_payload(s, out);
    if (!buf_ok(out)) return;
    size_t n = out->len - start;
    buf_patch_be32(out, len_off, (uint32_t)n);
    uint8_t d[16];
    md5_digest(out->data + start, n, d);
    buf_put(out, d, 4);
}

struct rd {
    const uint8_t *p;
    size_t n, pos;
    int err;
};

static uint32_t rd_u32(struct rd *r)
{
    if (r->err || r->n - r->pos < 4) {
        r->err = 1;
        return 0;
    }
    uint32_t v = be32(r->p + r->pos);
    r->pos += 4;
    return v;
}

static uint8_t rd_u8(struct rd *r)
{
    if (r->err || r->n - r->pos < 1) {
        r->err = 1;
        return 0;
    }
    return r->p[r->pos++];
}

static char *rd_str(struct rd *r)
{
    uint32_t n = rd_u32(r);
    if (r->err || r->n - r->pos < n) {
        r->err = 1;
        return NULL;
    }
    char *s = mem_strndup((const char *)r->p + r->pos, n);
    if (!s) r->err = 2;
    r->pos += n;
    return s;
}

static struct type *rd_type(struct rd *r, const char *text)
{
    struct type *t = type_parse(text, strlen(text), NULL, NULL, 0);
    if (!t) r->err = 1;
    return t;
}

static struct schema_table *rd_table(struct rd *r)
{
    struct schema_table *t = mem_calloc(1, sizeof(*t));
    if (!t) {
        r->err = 2;
        return NULL;
    }
    t->name = rd_str(r);
    if (!r->err && r->n - r->pos >= 16) {
        memcpy(t->id, r->p + r->pos, 16);
        r->pos += 16;
    } else {
        r->err = 1;
    }
    t->comment = rd_str(r);
    t->next_col_id = (int)rd_u32(r);
    uint32_t nc = rd_u32(r);
    if (r->err || nc > 100000) goto fail;
    t->cols = mem_calloc(nc ? nc : 1, sizeof(*t->cols));
    if (!t->cols) goto fail;
    for (uint32_t i = 0; i < nc; i++) {
        struct schema_column *c = &t->cols[t->n_cols++];
        c->name = rd_str(r);
        char *ty = rd_str(r);
        c->kind = (enum schema_col_kind)rd_u8(r);
        c->position = (int32_t)rd_u32(r);
        c->desc = rd_u8(r);
        c->id = (int)rd_u32(r);
        if (ty && !r->err) c->type = rd_type(r, ty);
        mem_free(ty);
        if (r->err || !c->type || c->kind > COL_STATIC) goto fail;
        if (c->kind == COL_PARTITION_KEY) t->n_pk++;
        if (c->kind == COL_CLUSTERING) t->n_ck++;
        if (c->type->kind == TYPE_COUNTER) t->is_counter = 1;
    }
    uint32_t no = rd_u32(r);
    for (uint32_t i = 0; i < no && !r->err; i++) {
        char *name = rd_str(r);
        uint32_t len = rd_u32(r);
        if (r->err || r->n - r->pos < len) {
            mem_free(name);
            goto fail;
        }
        int rc = schema_table_set_opt(t, name, r->p + r->pos, (int32_t)len);
        r->pos += len;
        mem_free(name);
        if (rc < 0) {
            r->err = 2;
            goto fail;
        }
    }
    uint32_t nd = rd_u32(r);
    for (uint32_t i = 0; i < nd && !r->err && nd < 100000; i++) {
        char *name = rd_str(r);
        char *ty = rd_str(r);
        uint8_t kind = rd_u8(r);
        int64_t when = (int64_t)((uint64_t)rd_u32(r) << 32);
        when |= rd_u32(r);
        struct type *tt = !r->err && ty ? type_parse(ty, strlen(ty), NULL, NULL, 0) : NULL;
        if (!r->err &&
            (!tt || schema_table_add_dropped(t, name, tt, (enum schema_col_kind)kind, when) < 0))
            r->err = 1;
        type_free(tt);
        mem_free(name);
        mem_free(ty);
    }
    if (r->err) goto fail;
    return t;
fail:
    if (!r->err) r->err = 1;
    schema_table_free(t);
    return NULL;
}

struct schema *schema_deserialize(const uint8_t *p, size_t n, char *err, size_t errsz)
{
    if (n < 20 || memcmp(p, SCHEMA_MAGIC, 8) != 0) {
        snprintf(err, errsz, "not a ringdb schema file (bad magic)");
        return NULL;
    }
    uint32_t fmt = be32(p + 8), len = be32(p + 12);
    if (fmt != SCHEMA_FORMAT) {
        snprintf(err, errsz, "unsupported schema format version %u", fmt);
        return NULL;
    }
    if ((size_t)len + 20 != n) {
        snprintf(err, errsz, "truncated schema file (payload %u bytes, file %zu)", len, n);
        return NULL;
    }
    uint8_t d[16];
    md5_digest(p + 16, len, d);
    if (memcmp(d, p + 16 + len, 4) != 0) {
        snprintf(err, errsz, "schema file checksum mismatch at offset %u", 16 + len);
        return NULL;
    }
    struct schema *s = schema_new_builtin();
    if (!s) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    struct rd r = {p + 16, len, 0, 0};
    uint32_t nks = rd_u32(&r);
    for (uint32_t i = 0; i < nks && !r.err; i++) {
        struct schema_keyspace *ks = mem_calloc(1, sizeof(*ks));
        if (!ks) {
            r.err = 2;
            break;
        }
        ks->name = rd_str(&r);
        ks->durable_writes = rd_u8(&r);
        uint32_t nr = rd_u32(&r);
        if (!r.err && nr < 1000) {
            ks->repl = mem_calloc(nr ? nr : 1, sizeof(*ks->repl));
            if (!ks->repl) r.err = 2;
            for (uint32_t j = 0; j < nr && !r.err; j++) {
                ks->repl[j].key = rd_str(&r);
                ks->repl[j].val = rd_str(&r);
                ks->n_repl++;
            }
        } else {
            r.err = 1;
        }
        uint32_t nt = rd_u32(&r);
        for (uint32_t j = 0; j < nt && !r.err; j++) {
            struct schema_table *t = rd_table(&r);
            if (t && ks_add_table(ks, t) < 0) {
                schema_table_free(t);
                r.err = 2;
            }
        }
        uint32_t nu = rd_u32(&r);
        for (uint32_t j = 0; j < nu && !r.err && nu < 100000; j++) {
            char *un = rd_str(&r);
            uint32_t nf = rd_u32(&r);
            struct schema_udt *u = !r.err && nf < 10000 ? udt_new(un ? un : "", (int)nf) : NULL;
            mem_free(un);
            if (!u) {
                if (!r.err) r.err = 1;
                break;
            }
            for (uint32_t k = 0; k < nf && !r.err; k++) {
                u->field_names[k] = rd_str(&r);
                char *ty = rd_str(&r);
                if (ty && !r.err) u->field_types[k] = rd_type(&r, ty);
                mem_free(ty);
                if (!u->field_types[k] && !r.err) r.err = 1;
            }
            if (r.err || schema_ks_put_udt(ks, u) < 0) {
                schema_udt_free(u);
                if (!r.err) r.err = 2;
            }
        }
        char why[160];
        for (int j = 0; !r.err && j < ks->n_udts; j++)
            for (int k = 0; k < ks->udts[j]->n_fields; k++)
                if (resolve_type(ks, ks->udts[j]->field_types[k], 0, why, sizeof(why)) < 0)
                    r.err = 1;
        for (int j = 0; !r.err && j < ks->n_tables; j++)
            for (int k = 0; k < ks->tables[j]->n_cols; k++)
                if (resolve_type(ks, ks->tables[j]->cols[k].type, 0, why, sizeof(why)) < 0)
                    r.err = 1;
        if (r.err || !ks->name || schema_put_ks(s, ks) < 0) {
            schema_ks_free(ks);
            if (!r.err) r.err = 2;
        }
    }
    if (r.err || r.pos != r.n) {
        snprintf(err, errsz, r.err == 2 ? "out of memory" : "corrupt schema file near offset %zu",
                 r.pos + 16);
        schema_unref(s);
        return NULL;
    }
    schema_update_version(s);
    return s;
}

struct schema_table *schema_table_clone(const struct schema_table *t)
{
    return table_clone(t);
}

struct schema_udt *schema_udt_clone(const struct schema_udt *u)
{
    return udt_clone(u);
}
