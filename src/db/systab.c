/*
 * systab.c -- see systab.h. One generator per enum schema_vtab; each calls
 * row_begin() and fills cells by column name with the set_* helpers, so a
 * generator does not depend on the column order.
 */
#include "db/systab.h"
#include "cluster/local_node.h"
#include "util/murmur3.h"
#include "util/mem.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gen {
    const struct schema_table *t;
    struct db_rows *r;
    arena *a;
    int oom;
    db_val *row; /* current row */
};

static int row_begin(struct gen *g)
{
    struct db_rows *r = g->r;
    if (r->n_rows == r->cap_rows) {
        int ncap = r->cap_rows ? r->cap_rows * 2 : 32;
        db_val *nc = arena_alloc(g->a, sizeof(*nc) * (size_t)ncap * (size_t)r->n_cols);
        if (!nc) {
            g->oom = 1;
            return -1;
        }
        if (r->n_rows) memcpy(nc, r->cells, sizeof(*nc) * (size_t)r->n_rows * (size_t)r->n_cols);
        r->cells = nc;
        r->cap_rows = ncap;
    }
    g->row = &r->cells[(size_t)r->n_rows * (size_t)r->n_cols];
    for (int i = 0; i < r->n_cols; i++)
        g->row[i] = (db_val){NULL, -1};
    r->n_rows++;
    return 0;
}

static db_val *cell(struct gen *g, const char *col)
{
    for (int i = 0; i < g->t->n_cols; i++)
        if (strcmp(g->t->cols[i].name, col) == 0) return &g->row[i];
    return NULL; /* a column this version's table does not have */
}

static void set_bytes(struct gen *g, const char *col, const void *p, size_t n)
{
    db_val *c = cell(g, col);
    if (!c) return;
    uint8_t *d = arena_memdup(g->a, p, n ? n : 1);
    if (!d) {
        g->oom = 1;
        return;
    }
    c->p = d;
    c->len = (int32_t)n;
}

static void set_text(struct gen *g, const char *col, const char *s)
{
    if (s) set_bytes(g, col, s, strlen(s));
}

static void set_int(struct gen *g, const char *col, int32_t v)
{
    uint8_t b[4];
    put_be32(b, (uint32_t)v);
    set_bytes(g, col, b, 4);
}

static void set_bigint(struct gen *g, const char *col, int64_t v)
{
    uint8_t b[8];
    put_be64(b, (uint64_t)v);
    set_bytes(g, col, b, 8);
}

static void set_bool(struct gen *g, const char *col, int v)
{
    uint8_t b = v ? 1 : 0;
    set_bytes(g, col, &b, 1);
}

static void set_double(struct gen *g, const char *col, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, 8);
    uint8_t b[8];
    put_be64(b, bits);
    set_bytes(g, col, b, 8);
}

static void set_inet(struct gen *g, const char *col, const char *addr)
{
    uint8_t b[16];
    if (inet_pton(AF_INET, addr, b) == 1)
        set_bytes(g, col, b, 4);
    else if (inet_pton(AF_INET6, addr, b) == 1)
        set_bytes(g, col, b, 16);
}

/* A collection of text values: set<text>/list<text> (n items), or
 * map<text,text> (n pairs in kv[2i], kv[2i+1]). Protocol v3+ layout:
 * [int n] then [int len][bytes] per element. */
static void set_text_coll(struct gen *g, const char *col, const char *const *items, int n,
                          int is_map)
{
    buf b;
    buf_init(&b);
    buf_put_be32(&b, (uint32_t)n);
    for (int i = 0; i < n * (is_map ? 2 : 1); i++) {
        size_t l = strlen(items[i]);
        buf_put_be32(&b, (uint32_t)l);
        buf_put(&b, items[i], l);
    }
    if (!buf_ok(&b))
        g->oom = 1;
    else
        set_bytes(g, col, b.data, b.len);
    buf_free(&b);
}

static void set_empty_map(struct gen *g, const char *col)
{
    set_text_coll(g, col, NULL, 0, 1);
}

/* ---- generators ---- */

static void gen_local(struct gen *g, const struct schema *s)
{
    if (row_begin(g)) return;
    set_text(g, "key", "local");
    set_text(g, "bootstrapped", "COMPLETED");
    set_inet(g, "broadcast_address", node->address);
    set_int(g, "broadcast_port", node->storage_port);
    set_text(g, "cluster_name", node->cluster_name);
    set_text(g, "cql_version", NODE_CQL_VERSION);
    set_text(g, "data_center", node->dc);
    set_int(g, "gossip_generation", (int32_t)node->gossip_generation);
    set_bytes(g, "host_id", node->host_id, 16);
    set_inet(g, "listen_address", node->address);
    set_int(g, "listen_port", node->storage_port);
    set_text(g, "native_protocol_version", "5");
    set_text(g, "partitioner", NODE_PARTITIONER);
    set_text(g, "rack", node->rack);
    set_text(g, "release_version", NODE_RELEASE_VERSION);
    set_inet(g, "rpc_address", node->rpc_address);
    set_int(g, "rpc_port", node->native_port);
    set_bytes(g, "schema_version", s->version, 16);
    const char **toks = arena_alloc(g->a, sizeof(char *) * (size_t)node->n_tokens);
    if (!toks) {
        g->oom = 1;
        return;
    }
    for (int i = 0; i < node->n_tokens; i++) {
        char tmp[24];
        snprintf(tmp, sizeof(tmp), "%" PRId64, node->tokens[i]);
        toks[i] = arena_strndup(g->a, tmp, strlen(tmp));
        if (!toks[i]) {
            g->oom = 1;
            return;
        }
    }
    /* set<text> is sorted by its comparator (UTF8 byte order) */
    for (int i = 1; i < node->n_tokens; i++)
        for (int j = i; j > 0 && strcmp(toks[j - 1], toks[j]) > 0; j--) {
            const char *t = toks[j];
            toks[j] = toks[j - 1];
            toks[j - 1] = t;
        }
    set_text_coll(g, "tokens", toks, node->n_tokens, 0);
}

static void gen_keyspaces(struct gen *g, const struct schema *s, int virtual_ks)
{
    for (int i = 0; i < s->n_ks; i++) {
        const struct schema_keyspace *ks = s->ks[i];
        if (ks->is_virtual != virtual_ks) continue;
        if (row_begin(g)) return;
        set_text(g, "keyspace_name", ks->name);
        if (virtual_ks) continue;
        set_bool(g, "durable_writes", ks->durable_writes);
        const char *kv[128];
        int n = ks->n_repl < 64 ? ks->n_repl : 64;
        for (int j = 0; j < n; j++) {
            kv[2 * j] = ks->repl[j].key;
            kv[2 * j + 1] = ks->repl[j].val;
        }
        /* map<text,text> entries sorted by key: 'class' sorts first anyway
         * among lower-case option names except digits/uppercase; sort fully */
        for (int a = 1; a < n; a++)
            for (int b = a; b > 0 && strcmp(kv[2 * (b - 1)], kv[2 * b]) > 0; b--) {
                const char *tk = kv[2 * b], *tv = kv[2 * b + 1];
                kv[2 * b] = kv[2 * (b - 1)];
                kv[2 * b + 1] = kv[2 * (b - 1) + 1];
                kv[2 * (b - 1)] = tk;
                kv[2 * (b - 1) + 1] = tv;
            }
        set_text_coll(g, "replication", kv, n, 1);
    }
}

static void table_params(struct gen *g, const struct schema_table *t)
{
    if (t->n_opts) { /* user tables: options as stored, already in their column types */
        static const char *flags[] = {"compound", "counter"};
        for (int i = 0; i < t->n_opts; i++)
            set_bytes(g, t->opts[i].name, t->opts[i].val, (size_t)t->opts[i].len);
        set_text_coll(g, "flags", flags, t->is_counter ? 2 : 1, 0);
        set_double(g, "dclocal_read_repair_chance", 0.0);
        set_double(g, "read_repair_chance", 0.0);
        set_bytes(g, "id", t->id, 16);
        return;
    }
    static const char *caching[] = {"keys", "ALL", "rows_per_partition", "NONE"};
    static const char *compaction[] = {
        "class",         "org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy",
        "max_threshold", "32",
        "min_threshold", "4"};
    static const char *compression[] = {"chunk_length_in_kb", "16", "class",
                                        "org.apache.cassandra.io.compress.LZ4Compressor"};
    static const char *flags[] = {"compound"};
    set_text(g, "additional_write_policy", "99p");
    set_double(g, "bloom_filter_fp_chance", 0.01);
    set_text_coll(g, "caching", caching, 2, 1);
    set_bool(g, "cdc", 0);
    set_text(g, "comment", t->comment ? t->comment : "");
    set_text_coll(g, "compaction", compaction, 3, 1);
    set_text_coll(g, "compression", compression, 2, 1);
    set_double(g, "crc_check_chance", 1.0);
    set_int(g, "default_time_to_live", 0);
    set_empty_map(g, "extensions");
    set_text_coll(g, "flags", flags, 1, 0);
    set_int(g, "gc_grace_seconds", t->is_virtual ? 0 : 864000);
    set_bytes(g, "id", t->id, 16);
    set_int(g, "max_index_interval", 2048);
    set_text(g, "memtable", "default");
    set_int(g, "memtable_flush_period_in_ms", t->is_virtual ? 3600000 : 0);
    set_int(g, "min_index_interval", 128);
    set_text(g, "read_repair", "BLOCKING");
    set_text(g, "speculative_retry", "99p");
}

static void gen_tables(struct gen *g, const struct schema *s, int virtual_ks)
{
    for (int i = 0; i < s->n_ks; i++) {
        const struct schema_keyspace *ks = s->ks[i];
        if (ks->is_virtual != virtual_ks) continue;
        for (int j = 0; j < ks->n_tables; j++) {
            const struct schema_table *t = ks->tables[j];
            if (row_begin(g)) return;
            set_text(g, "keyspace_name", ks->name);
            set_text(g, "table_name", t->name);
            if (virtual_ks)
                set_text(g, "comment", t->comment ? t->comment : "");
            else
                table_params(g, t);
        }
    }
}

static void gen_columns(struct gen *g, const struct schema *s, int virtual_ks)
{
    static const char *kinds[] = {"partition_key", "clustering", "regular", "static"};
    for (int i = 0; i < s->n_ks; i++) {
        const struct schema_keyspace *ks = s->ks[i];
        if (ks->is_virtual != virtual_ks) continue;
        for (int j = 0; j < ks->n_tables; j++) {
            const struct schema_table *t = ks->tables[j];
            for (int k = 0; k < t->n_cols; k++) {
                const struct schema_column *c = &t->cols[k];
                if (row_begin(g)) return;
                set_text(g, "keyspace_name", ks->name);
                set_text(g, "table_name", t->name);
                set_text(g, "column_name", c->name);
                set_text(g, "clustering_order",
                         c->kind == COL_CLUSTERING ? (c->desc ? "desc" : "asc") : "none");
                set_bytes(g, "column_name_bytes", c->name, strlen(c->name));
                set_text(g, "kind", kinds[c->kind]);
                set_int(g, "position",
                        c->kind == COL_PARTITION_KEY || c->kind == COL_CLUSTERING ? c->position
                                                                                  : -1);
                buf tb;
                buf_init(&tb);
                type_format(c->type, &tb);
                if (!buf_ok(&tb))
                    g->oom = 1;
                else
                    set_bytes(g, "type", tb.data, tb.len);
                buf_free(&tb);
            }
        }
    }
}

static void gen_dropped(struct gen *g, const struct schema *s)
{
    static const char *kinds[] = {"partition_key", "clustering", "regular", "static"};
    for (int i = 0; i < s->n_ks; i++)
        for (int j = 0; j < s->ks[i]->n_tables; j++) {
            const struct schema_table *t = s->ks[i]->tables[j];
            for (int k = 0; k < t->n_dropped; k++) {
                if (row_begin(g)) return;
                set_text(g, "keyspace_name", s->ks[i]->name);
                set_text(g, "table_name", t->name);
                set_text(g, "column_name", t->dropped[k].name);
                set_bigint(g, "dropped_time", t->dropped[k].time_us / 1000);
                set_text(g, "kind", kinds[t->dropped[k].kind]);
                buf tb;
                buf_init(&tb);
                type_format(t->dropped[k].type, &tb);
                if (buf_ok(&tb)) set_bytes(g, "type", tb.data, tb.len);
                buf_free(&tb);
            }
        }
}

static void gen_types(struct gen *g, const struct schema *s)
{
    for (int i = 0; i < s->n_ks; i++)
        for (int j = 0; j < s->ks[i]->n_udts; j++) {
            const struct schema_udt *u = s->ks[i]->udts[j];
            if (row_begin(g)) return;
            set_text(g, "keyspace_name", s->ks[i]->name);
            set_text(g, "type_name", u->name);
            const char *names[256], *types[256];
            int n = u->n_fields < 256 ? u->n_fields : 256;
            buf tb[256];
            for (int k = 0; k < n; k++) {
                names[k] = u->field_names[k];
                buf_init(&tb[k]);
                type_format(u->field_types[k], &tb[k]);
                buf_put_u8(&tb[k], 0);
                types[k] = buf_ok(&tb[k]) ? (const char *)tb[k].data : "";
            }
            set_text_coll(g, "field_names", names, n, 0);
            set_text_coll(g, "field_types", types, n, 0);
            for (int k = 0; k < n; k++)
                buf_free(&tb[k]);
        }
}

static void gen_clients(struct gen *g, const struct systab_client *cl, int n)
{
    for (int i = 0; i < n; i++) {
        if (row_begin(g)) return;
        set_bytes(g, "address", cl[i].addr, (size_t)cl[i].addr_len);
        set_int(g, "port", cl[i].port);
        set_text(g, "connection_stage", cl[i].stage);
        if (cl[i].driver_name && cl[i].driver_name[0])
            set_text(g, "driver_name", cl[i].driver_name);
        if (cl[i].driver_version && cl[i].driver_version[0])
            set_text(g, "driver_version", cl[i].driver_version);
        set_int(g, "protocol_version", cl[i].protocol_version);
        set_bigint(g, "request_count", cl[i].request_count);
        set_int(g, "shard", cl[i].shard);
        set_bool(g, "ssl_enabled", 0);
        set_text(g, "username", cl[i].username && cl[i].username[0] ? cl[i].username : "anonymous");
    }
}

/* ---- ordering: partition token, then clustering bytes ---- */

struct sort_ctx {
    const struct schema_table *t;
    int n_cols;
};

static int cmp_cell(const db_val *a, const db_val *b)
{
    if (a->len < 0 || b->len < 0) return (a->len >= 0) - (b->len >= 0);
    size_t n = (size_t)(a->len < b->len ? a->len : b->len);
    int c = n ? memcmp(a->p, b->p, n) : 0;
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

static const struct sort_ctx *sort_ctx_cur; /* qsort has no context arg in C11 */
static _Thread_local const struct sort_ctx *tl_sort;

static int64_t row_token(const struct schema_table *t, const db_val *row)
{
    /* single-column partition keys only among the built-ins */
    const db_val *k = &row[0];
    return mm3_token(k->p ? (const void *)k->p : (const void *)"", k->len > 0 ? (size_t)k->len : 0);
}

struct keyed_row {
    int64_t token;
    const db_val *row;
};

static int cmp_rows(const void *x, const void *y)
{
    const struct keyed_row *a = x, *b = y;
    if (a->token != b->token) return a->token < b->token ? -1 : 1;
    const struct schema_table *t = tl_sort->t;
    for (int i = 0; i < t->n_pk + t->n_ck; i++) {
        int c = cmp_cell(&a->row[i], &b->row[i]);
        if (c) return c;
    }
    return 0;
}

static int sort_rows(struct db_rows *r, const struct schema_table *t, arena *a)
{
    if (r->n_rows < 2) return 0;
    struct keyed_row *kr = arena_alloc(a, sizeof(*kr) * (size_t)r->n_rows);
    db_val *nc = arena_alloc(a, sizeof(*nc) * (size_t)r->n_rows * (size_t)r->n_cols);
    if (!kr || !nc) return -1;
    for (int i = 0; i < r->n_rows; i++) {
        kr[i].row = &r->cells[(size_t)i * (size_t)r->n_cols];
        kr[i].token = row_token(t, kr[i].row);
    }
    struct sort_ctx sc = {t, r->n_cols};
    tl_sort = &sc;
    qsort(kr, (size_t)r->n_rows, sizeof(*kr), cmp_rows);
    tl_sort = NULL;
    for (int i = 0; i < r->n_rows; i++)
        memcpy(&nc[(size_t)i * (size_t)r->n_cols], kr[i].row, sizeof(*nc) * (size_t)r->n_cols);
    r->cells = nc;
    (void)sort_ctx_cur;
    return 0;
}

static void gen_shard_tables(struct gen *g, const struct schema *s, const struct systab_extra *ex)
{
    for (int i = 0; ex && i < ex->n_tables; i++) {
        struct schema_keyspace *ks;
        const struct schema_table *t = schema_find_table_by_id(s, ex->tables[i].id, &ks);
        if (!t || row_begin(g)) continue;
        set_text(g, "keyspace_name", ks->name);
        set_text(g, "table_name", t->name);
        set_int(g, "shard", ex->tables[i].shard);
        set_bigint(g, "partitions", ex->tables[i].partitions);
        set_bigint(g, "memtable_bytes", ex->tables[i].memtable_bytes);
    }
}

int systab_scan(const struct schema *s, const struct schema_keyspace *ks,
                const struct schema_table *t, const struct systab_extra *ex, arena *a,
                struct db_rows *out)
{
    memset(out, 0, sizeof(*out));
    out->n_cols = t->n_cols;
    out->a = a;
    struct gen g = {.t = t, .r = out, .a = a};
    switch (t->vtab) {
    case VT_LOCAL: gen_local(&g, s); break;
    case VT_SS_KEYSPACES: gen_keyspaces(&g, s, 0); break;
    case VT_SS_TABLES: gen_tables(&g, s, 0); break;
    case VT_SS_COLUMNS: gen_columns(&g, s, 0); break;
    case VT_VS_KEYSPACES: gen_keyspaces(&g, s, 1); break;
    case VT_VS_TABLES: gen_tables(&g, s, 1); break;
    case VT_VS_COLUMNS: gen_columns(&g, s, 1); break;
    case VT_CLIENTS:
        if (ex) gen_clients(&g, ex->clients, ex->n_clients);
        break;
    case VT_SHARD_TABLES: gen_shard_tables(&g, s, ex); break;
    case VT_SS_DROPPED_COLUMNS: gen_dropped(&g, s); break;
    case VT_SS_TYPES: gen_types(&g, s); break;
    default: break; /* peers (one node), UDTs/functions/...: no rows yet */
    }
    if (g.oom) return -1;
    return sort_rows(out, t, a);
}

int db_cell_text(arena *a, db_val *c, const char *s)
{
    size_t n = strlen(s);
    uint8_t *d = arena_memdup(a, s, n ? n : 1);
    if (!d) return -1;
    c->p = d;
    c->len = (int32_t)n;
    return 0;
}

int db_cell_int(arena *a, db_val *c, int32_t v)
{
    uint8_t *d = arena_alloc(a, 4);
    if (!d) return -1;
    put_be32(d, (uint32_t)v);
    c->p = d;
    c->len = 4;
    return 0;
}
