/*
 * stmt_modify.c -- INSERT, UPDATE, DELETE and BATCH: build one mutation per
 * partition (statements of a batch on one partition merge into it, so a
 * single-partition batch is atomic), then hand them to the coordinator
 * (service/proxy.h), which applies each on its owning shard.
 *
 * Cell rules (Cassandra's): INSERT writes the row marker (primary key
 * liveness) and a cell per column, null as a tombstone; setting a whole
 * non-frozen collection deletes the old one at ts-1 then writes elements;
 * list appends get increasing time-based paths, prepends decreasing ones
 * before 2010 (PrecisionTime's reference); operations that need the current
 * value (counters, list set/delete by index, list removal) travel as
 * DB_OP_* cells resolved by the owner.
 */
#include "cql/restrict.h"
#include "types/json.h"
#include "db/db.h"
#include "service/proxy.h"
#include "types/value.h"
#include "util/log.h"
#include "util/murmur3.h"
#include "util/uuid.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define MAX_TTL 630720000 /* 20 years, Cassandra's limit */

static int64_t mm3_token_of(db_val k)
{
    return mm3_token(k.p, (size_t)k.len);
}

struct mrow_b { /* a row being built */
    struct db_row row;
    int cap_cells;
};

struct mut_b { /* a mutation being built */
    const struct schema_table *t;
    const struct schema_keyspace *ks;
    struct db_mutation m;
    struct mrow_b *rows;
    int n_rows, cap_rows;
    struct mrow_b *srow;
};

struct mod {
    struct cql_exec *x;
    struct mut_b *muts;
    int n_muts, cap_muts;
    int64_t ts;
    int32_t ttl;
    int64_t now;
    int seen_kinds; /* batches: 1 counter, 2 other tables seen */
    int prepend_seq;
};

static int oom(struct cql_req *r)
{
    cql_error(r, PROTO_ERR_SERVER, "Out of memory");
    return -1;
}

static int is_complex(const struct type *ty)
{
    return !ty->frozen && (ty->kind == TYPE_LIST || ty->kind == TYPE_SET || ty->kind == TYPE_MAP ||
                           ty->kind == TYPE_UDT);
}

static struct mut_b *get_mut(struct mod *md, const struct schema_keyspace *ks,
                             const struct schema_table *t, const struct pkey *pk)
{
    for (int i = 0; i < md->n_muts; i++) {
        struct mut_b *mb = &md->muts[i];
        if (mb->t == t && mb->m.token == pk->token && mb->m.key.len == pk->key.len &&
            memcmp(mb->m.key.p, pk->key.p, (size_t)pk->key.len) == 0)
            return mb;
    }
    arena *a = &md->x->r->arena;
    if (md->n_muts == md->cap_muts) {
        int nc = md->cap_muts ? md->cap_muts * 2 : 4;
        struct mut_b *nm = arena_calloc(a, sizeof(*nm) * (size_t)nc);
        if (!nm) return NULL;
        if (md->n_muts) memcpy(nm, md->muts, sizeof(*nm) * (size_t)md->n_muts);
        md->muts = nm;
        md->cap_muts = nc;
    }
    struct mut_b *mb = &md->muts[md->n_muts++];
    memset(mb, 0, sizeof(*mb));
    mb->t = t;
    mb->ks = ks;
    db_mutation_init(&mb->m);
    memcpy(mb->m.table_id, t->id, 16);
    mb->m.token = pk->token;
    mb->m.key = pk->key;
    return mb;
}

static struct mrow_b *new_rowb(struct mod *md, struct mut_b *mb, const db_val *ck, int n_ck)
{
    arena *a = &md->x->r->arena;
    struct mrow_b *rb;
    if (!ck) {
        if (!mb->srow && !(mb->srow = arena_calloc(a, sizeof(*mb->srow)))) return NULL;
        rb = mb->srow;
        if (rb->row.live_ts == 0 && rb->row.del.ts == 0 && rb->cap_cells == 0) {
            rb->row.live_ts = DB_NO_TS;
            rb->row.del.ts = DB_NO_TS;
        }
        return rb;
    }
    for (int i = 0; i < mb->n_rows; i++) { /* the same row twice in a batch: one row */
        struct mrow_b *o = &mb->rows[i];
        if (o->row.n_ck != n_ck) continue;
        int same = 1;
        for (int k = 0; k < n_ck && same; k++)
            same = o->row.ck[k].len == ck[k].len &&
                   (ck[k].len <= 0 || memcmp(o->row.ck[k].p, ck[k].p, (size_t)ck[k].len) == 0);
        if (same) return o;
    }
    if (mb->n_rows == mb->cap_rows) {
        int nc = mb->cap_rows ? mb->cap_rows * 2 : 4;
        struct mrow_b *nr = arena_calloc(a, sizeof(*nr) * (size_t)nc);
        if (!nr) return NULL;
        if (mb->n_rows) memcpy(nr, mb->rows, sizeof(*nr) * (size_t)mb->n_rows);
        mb->rows = nr;
        mb->cap_rows = nc;
    }
    rb = &mb->rows[mb->n_rows++];
    memset(rb, 0, sizeof(*rb));
    rb->row.ck = (db_val *)ck;
    rb->row.n_ck = n_ck;
    rb->row.live_ts = DB_NO_TS;
    rb->row.del.ts = DB_NO_TS;
    return rb;
}

static struct db_cell *add_cell(struct mod *md, struct mrow_b *rb)
{
    if (rb->row.n_cells == rb->cap_cells) {
        int nc = rb->cap_cells ? rb->cap_cells * 2 : 8;
        struct db_cell *n = arena_alloc(&md->x->r->arena, sizeof(*n) * (size_t)nc);
        if (!n) return NULL;
        if (rb->row.n_cells) memcpy(n, rb->row.cells, sizeof(*n) * (size_t)rb->row.n_cells);
        rb->row.cells = n;
        rb->cap_cells = nc;
    }
    struct db_cell *c = &rb->row.cells[rb->row.n_cells++];
    memset(c, 0, sizeof(*c));
    c->path.len = -1;
    c->value.len = -1;
    return c;
}

static struct db_cell *live_cell(struct mod *md, struct mrow_b *rb, const struct schema_column *col)
{
    struct db_cell *c = add_cell(md, rb);
    if (!c) return NULL;
    c->col = (uint16_t)col->id;
    c->kind = DB_CELL_LIVE;
    c->ts = md->ts;
    c->ttl = md->ttl;
    c->ldt = md->ttl > 0 ? md->now + md->ttl : 0;
    return c;
}

static struct db_cell *tomb_cell(struct mod *md, struct mrow_b *rb, const struct schema_column *col,
                                 int kind, int64_t ts)
{
    struct db_cell *c = add_cell(md, rb);
    if (!c) return NULL;
    c->col = (uint16_t)col->id;
    c->kind = (uint8_t)kind;
    c->ts = ts;
    c->ldt = md->now;
    return c;
}

static db_val copy_bytes(struct mod *md, const void *p, int32_t len)
{
    db_val v = {NULL, len};
    if (len > 0) v.p = arena_memdup(&md->x->r->arena, p, (size_t)len);
    if (len > 0 && !v.p) v.len = -1;
    return v;
}

/* A time-based list element path: appends use now, prepends times before
 * 2010-01-01 that decrease with each prepend (PrecisionTime). */
static db_val list_path(struct mod *md, int prepend, int i, int n)
{
    uuid u;
    if (prepend) {
        const int64_t ref_ms = 1262304000000LL;
        struct timespec tsp;
        clock_gettime(CLOCK_REALTIME, &tsp);
        int64_t now_ms = (int64_t)tsp.tv_sec * 1000 + tsp.tv_nsec / 1000000;
        int64_t ms = ref_ms - (now_ms - ref_ms);
        uint64_t t100 = (uint64_t)(ms * 10000 + UUID_EPOCH_OFFSET_100NS) - (uint64_t)(n - i) -
                        (uint64_t)md->prepend_seq * 10000;
        uuid_v1_make(&u, t100, 0x8000000000000000ull | 0x010203040506ull);
    } else {
        uuid_v1(&u);
    }
    return copy_bytes(md, u.b, 16);
}

/* Writes whole-value cells for a column (INSERT, UPDATE c = v). */
static int set_whole(struct mod *md, struct mrow_b *rb, const struct schema_column *col,
                     proto_value v)
{
    if (v.len == PROTO_VALUE_UNSET) return 0;
    if (!is_complex(col->type)) {
        if (v.len < 0) return tomb_cell(md, rb, col, DB_CELL_TOMB, md->ts) ? 0 : -1;
        struct db_cell *c = live_cell(md, rb, col);
        if (!c) return -1;
        c->value = (db_val){v.p, v.len};
        return 0;
    }
    /* non-frozen collection / UDT: replace */
    if (!tomb_cell(md, rb, col, DB_CELL_COMPLEX_DEL, md->ts - 1)) return -1;
    if (v.len < 0) return 0;
    struct type_iter it;
    if (type_iter_init(&it, col->type, v.p, v.len) < 0) {
        cql_error(md->x->r, PROTO_ERR_INVALID, "Invalid value for column %s", col->name);
        return 1;
    }
    struct type_val e, ev;
    int n = it.n_left;
    for (int i = 0; type_iter_next(&it, &e) > 0; i++) {
        struct db_cell *c = live_cell(md, rb, col);
        if (!c) return -1;
        switch (col->type->kind) {
        case TYPE_LIST:
            c->path = list_path(md, 0, i, n);
            c->value = (db_val){e.p, e.len};
            break;
        case TYPE_SET:
            c->path = (db_val){e.p, e.len};
            c->value = (db_val){(const uint8_t *)"", 0};
            break;
        case TYPE_MAP:
            if (type_iter_next(&it, &ev) <= 0) return 0;
            c->path = (db_val){e.p, e.len};
            c->value = (db_val){ev.p, ev.len};
            break;
        default: { /* UDT: path = field index */
            uint8_t fi[2];
            put_be16(fi, (uint16_t)i);
            c->path = copy_bytes(md, fi, 2);
            if (e.len < 0) {
                c->kind = DB_CELL_TOMB;
                c->ttl = 0;
                c->ldt = md->now;
            } else {
                c->value = (db_val){e.p, e.len};
            }
        }
        }
    }
    return 0;
}

static int encode(struct mod *md, const struct cql_term *term, const struct type *ty,
                  const char *col, proto_value *out)
{
    return cql_encode_term(md->x, term, ty, col, out);
}

/* UPDATE c = c +/- v, c += v ... */
static int add_sub(struct mod *md, struct mrow_b *rb, const struct schema_column *col,
                   const struct cql_term *term, int sub, int prepend)
{
    struct cql_req *r = md->x->r;
    const struct type *ty = col->type;
    proto_value v;
    if (ty->kind == TYPE_COUNTER) {
        if (prepend) goto invalid;
        if (encode(md, term, type_native(TYPE_BIGINT), col->name, &v) < 0) return 1;
        if (v.len == PROTO_VALUE_UNSET) return 0;
        if (v.len != 8) {
            cql_error(r, PROTO_ERR_INVALID, "Invalid null value for counter increment");
            return 1;
        }
        int64_t d = (int64_t)be64(v.p);
        if (sub) d = (int64_t)(0 - (uint64_t)d);
        uint8_t b[8];
        put_be64(b, (uint64_t)d);
        struct db_cell *c = live_cell(md, rb, col);
        if (!c) return -1;
        c->kind = DB_OP_COUNTER_ADD;
        c->ttl = 0;
        c->ldt = 0;
        c->value = copy_bytes(md, b, 8);
        return 0;
    }
    if (!is_complex(ty)) goto invalid;
    if (ty->kind == TYPE_MAP && sub) {
        /* c = c - {k1, k2}: a set of keys */
        struct type st = {.kind = TYPE_SET, .n_params = 1, .frozen = 1};
        struct type *p[1] = {ty->params[0]};
        st.params = p;
        if (encode(md, term, &st, col->name, &v) < 0) return 1;
        if (v.len < 0) return 0;
        struct type_iter it;
        struct type_val e;
        if (type_iter_init(&it, &st, v.p, v.len) < 0) return 1;
        while (type_iter_next(&it, &e) > 0) {
            struct db_cell *c = tomb_cell(md, rb, col, DB_CELL_TOMB, md->ts);
            if (!c) return -1;
            c->path = (db_val){e.p, e.len};
        }
        return 0;
    }
    if (prepend && ty->kind != TYPE_LIST) goto invalid;
    if (encode(md, term, ty, col->name, &v) < 0) return 1;
    if (v.len == PROTO_VALUE_UNSET || v.len < 0) return 0;
    struct type_iter it;
    struct type_val e, ev;
    if (type_iter_init(&it, ty, v.p, v.len) < 0) return 1;
    if (ty->kind == TYPE_LIST && sub) {
        struct db_cell *c = live_cell(md, rb, col);
        if (!c) return -1;
        c->kind = DB_OP_LIST_DISCARD;
        c->value = (db_val){v.p, v.len};
        return 0;
    }
    int n = it.n_left;
    if (prepend) md->prepend_seq++;
    for (int i = 0; type_iter_next(&it, &e) > 0; i++) {
        if (ty->kind == TYPE_SET && sub) {
            struct db_cell *c = tomb_cell(md, rb, col, DB_CELL_TOMB, md->ts);
            if (!c) return -1;
            c->path = (db_val){e.p, e.len};
            continue;
        }
        struct db_cell *c = live_cell(md, rb, col);
        if (!c) return -1;
        if (ty->kind == TYPE_LIST) {
            c->path = list_path(md, prepend, i, n);
            c->value = (db_val){e.p, e.len};
        } else if (ty->kind == TYPE_SET) {
            c->path = (db_val){e.p, e.len};
            c->value = (db_val){(const uint8_t *)"", 0};
        } else if (ty->kind == TYPE_MAP) {
            if (type_iter_next(&it, &ev) <= 0) return 0;
            c->path = (db_val){e.p, e.len};
            c->value = (db_val){ev.p, ev.len};
        } else {
            goto invalid;
        }
    }
    return 0;
invalid:
    cql_error(r, PROTO_ERR_INVALID, "Invalid operation (%s = %s %s ...) for %s column %s",
              col->name, col->name, sub ? "-" : "+",
              ty->kind == TYPE_COUNTER ? "counter"
              : is_complex(ty)         ? "collection"
                                       : "non counter",
              col->name);
    return 1;
}

/* c[k] = v */
static int set_element(struct mod *md, struct mrow_b *rb, const struct schema_column *col,
                       const struct cql_assignment *as)
{
    struct cql_req *r = md->x->r;
    const struct type *ty = col->type;
    if (!is_complex(ty) || (ty->kind != TYPE_LIST && ty->kind != TYPE_MAP)) {
        cql_error(r, PROTO_ERR_INVALID,
                  "Invalid operation (%s[...] = ...) for non list/map column %s", col->name,
                  col->name);
        return 1;
    }
    proto_value k, v;
    if (encode(md, as->key, ty->kind == TYPE_LIST ? type_native(TYPE_INT) : ty->params[0],
               col->name, &k) < 0)
        return 1;
    if (k.len < 0) {
        cql_error(r, PROTO_ERR_INVALID, "Invalid null value for %s index",
                  ty->kind == TYPE_LIST ? "list" : "map key");
        return 1;
    }
    if (encode(md, as->value, ty->kind == TYPE_LIST ? ty->params[0] : ty->params[1], col->name,
               &v) < 0)
        return 1;
    if (v.len == PROTO_VALUE_UNSET) return 0;
    struct db_cell *c = live_cell(md, rb, col);
    if (!c) return -1;
    c->path = (db_val){k.p, k.len};
    if (ty->kind == TYPE_LIST) {
        c->kind = DB_OP_LIST_SET;
        if (v.len < 0) {
            c->kind = DB_OP_LIST_DEL;
            c->ttl = 0;
        }
    } else if (v.len < 0) {
        c->kind = DB_CELL_TOMB;
        c->ttl = 0;
        c->ldt = md->now;
    }
    c->value = (db_val){v.p, v.len};
    return 0;
}

/* c.field = v (non-frozen UDT) */
static int set_field(struct mod *md, struct mrow_b *rb, const struct schema_column *col,
                     const char *field, const struct cql_term *term)
{
    struct cql_req *r = md->x->r;
    const struct type *ty = col->type;
    if (ty->kind != TYPE_UDT) {
        cql_error(r, PROTO_ERR_INVALID, "Invalid operation (%s.%s = ...) for non-UDT column %s",
                  col->name, field, col->name);
        return 1;
    }
    if (ty->frozen) {
        cql_error(r, PROTO_ERR_INVALID, "Invalid operation (%s.%s = ...) for frozen UDT column %s",
                  col->name, field, col->name);
        return 1;
    }
    int fi = -1;
    for (int i = 0; i < ty->n_params; i++)
        if (strcmp(ty->field_names[i], field) == 0) fi = i;
    if (fi < 0) {
        cql_error(r, PROTO_ERR_INVALID, "UDT column %s does not have a field named %s", col->name,
                  field);
        return 1;
    }
    proto_value v;
    if (encode(md, term, ty->params[fi], col->name, &v) < 0) return 1;
    if (v.len == PROTO_VALUE_UNSET) return 0;
    uint8_t b[2];
    put_be16(b, (uint16_t)fi);
    struct db_cell *c =
        v.len < 0 ? tomb_cell(md, rb, col, DB_CELL_TOMB, md->ts) : live_cell(md, rb, col);
    if (!c) return -1;
    c->path = copy_bytes(md, b, 2);
    c->value = (db_val){v.p, v.len};
    return 0;
}

/* ---- attributes ---- */

static int attrs(struct mod *md, const struct cql_attrs *at, const struct schema_table *t,
                 int64_t batch_ts)
{
    struct cql_exec *x = md->x;
    proto_value v;
    md->now = db_now_seconds();
    if (at->timestamp) {
        if (batch_ts != DB_NO_TS) {
            cql_error(x->r, PROTO_ERR_INVALID,
                      "Timestamp must be set either on BATCH or "
                      "individual statements");
            return -1;
        }
        if (cql_encode_term(x, at->timestamp, type_native(TYPE_BIGINT), "[timestamp]", &v) < 0)
            return -1;
        if (v.len == 8)
            md->ts = (int64_t)be64(v.p);
        else if (v.len == PROTO_VALUE_UNSET)
            md->ts = DB_NO_TS;
        else {
            cql_error(x->r, PROTO_ERR_INVALID, "Invalid null value of timestamp");
            return -1;
        }
        if (md->ts == INT64_MIN) {
            cql_error(x->r, PROTO_ERR_INVALID, "Invalid timestamp %lld", (long long)md->ts);
            return -1;
        }
    } else {
        md->ts = DB_NO_TS;
    }
    if (md->ts == DB_NO_TS) md->ts = batch_ts;
    if (md->ts == DB_NO_TS && x->params->timestamp != PROTO_NO_TIMESTAMP)
        md->ts = x->params->timestamp;
    if (md->ts == DB_NO_TS) md->ts = db_timestamp(x->r->shard);
    md->ttl = t->default_ttl;
    if (at->ttl) {
        if (cql_encode_term(x, at->ttl, type_native(TYPE_INT), "[ttl]", &v) < 0) return -1;
        if (v.len == 4) {
            int32_t ttl = (int32_t)be32(v.p);
            if (ttl < 0) {
                cql_error(x->r, PROTO_ERR_INVALID,
                          "A TTL must be greater or equal to 0, but was %d", ttl);
                return -1;
            }
            if (ttl > MAX_TTL) {
                cql_error(x->r, PROTO_ERR_INVALID, "ttl is too large. requested (%d) maximum (%d)",
                          ttl, MAX_TTL);
                return -1;
            }
            md->ttl = ttl;
        } /* null or unset: the table's default */
    }
    if (t->is_counter && at->ttl) {
        cql_error(x->r, PROTO_ERR_INVALID, "Cannot provide custom TTL for counter updates");
        return -1;
    }
    if (t->is_counter && at->timestamp) {
        cql_error(x->r, PROTO_ERR_INVALID, "Cannot provide custom timestamp for counter updates");
        return -1;
    }
    return 0;
}

static const struct schema_table *target(struct cql_exec *x, const struct cql_qname *qn,
                                         const struct schema_keyspace **ks)
{
    const struct schema_table *t = resolve_table(x->r, qn, ks);
    if (!t) return NULL;
    if (t->is_virtual || (*ks)->is_system) {
        cql_error(x->r, PROTO_ERR_UNAUTHORIZED, "%s keyspace is not user-modifiable.", (*ks)->name);
        return NULL;
    }
    return t;
}

static int check_counter_kind(struct mod *md, const struct schema_table *t, int batch_type)
{
    if (batch_type < 0) return 0;
    if (batch_type == CQL_BATCH_COUNTER && !t->is_counter) {
        cql_error(md->x->r, PROTO_ERR_INVALID,
                  "Cannot include non-counter statement in a counter "
                  "batch");
        return -1;
    }
    if (batch_type == CQL_BATCH_LOGGED && t->is_counter) {
        cql_error(md->x->r, PROTO_ERR_INVALID,
                  "Cannot include a counter statement in a logged "
                  "batch");
        return -1;
    }
    int kind = t->is_counter ? 1 : 2;
    if (md->seen_kinds && md->seen_kinds != kind) {
        cql_error(md->x->r, PROTO_ERR_INVALID,
                  "Counter and non-counter mutations cannot exist in "
                  "the same batch");
        return -1;
    }
    md->seen_kinds = kind;
    return 0;
}

/* INSERT JSON: the columns the document names (keys as Cassandra reads
 * them: lower-cased unless double-quoted), encoded; absent columns are
 * null (DEFAULT NULL) or unset (DEFAULT UNSET; key columns always appear,
 * so that a missing one is reported like a null or unset key). */
static int json_columns(struct mod *md, const struct cql_insert *in, const struct schema_table *t,
                        const struct schema_column **cols, proto_value *vals, int *n)
{
    struct cql_req *r = md->x->r;
    proto_value doc;
    char err[512];
    if (encode(md, in->json_value, type_native(TYPE_VARCHAR), "[json]", &doc) < 0) return -1;
    if (doc.len < 0) {
        cql_error(r, PROTO_ERR_INVALID, "Got null for INSERT JSON values");
        return -1;
    }
    struct json_val *root;
    if (json_parse((const char *)doc.p, (size_t)doc.len, &r->arena, &root, err, sizeof(err)) !=
        TYPE_OK) {
        cql_error(r, PROTO_ERR_INVALID,
                  "Could not decode JSON string as a map: %s. (String was: "
                  "%.*s)",
                  err, (int)(doc.len > 1000 ? 1000 : doc.len), (const char *)doc.p);
        return -1;
    }
    if (root->kind == JSON_NULL) {
        cql_error(r, PROTO_ERR_INVALID, "Got null for INSERT JSON values");
        return -1;
    }
    if (root->kind != JSON_OBJECT) {
        cql_error(r, PROTO_ERR_INVALID,
                  "Could not decode JSON string as a map: value is not a "
                  "JSON object. (String was: %.*s)",
                  (int)(doc.len > 1000 ? 1000 : doc.len), (const char *)doc.p);
        return -1;
    }
    for (size_t i = 0; i < root->n_items; i++) {
        const struct json_member *m = &root->members[i];
        char *tmp = arena_alloc(&r->arena, m->key_n + 1);
        size_t nn;
        if (!tmp) return oom(r);
        const char *name = json_key_name(m->key, m->key_n, tmp, &nn);
        int found = 0;
        for (int c = 0; c < t->n_cols && !found; c++)
            found = strlen(t->cols[c].name) == nn && memcmp(t->cols[c].name, name, nn) == 0;
        if (!found) {
            cql_error(r, PROTO_ERR_INVALID, "JSON values map contains unrecognized column: %.*s",
                      (int)m->key_n, m->key);
            return -1;
        }
    }
    int k = 0;
    for (int c = 0; c < t->n_cols && k < 256; c++) {
        const struct schema_column *col = &t->cols[c];
        int is_key = col->kind == COL_PARTITION_KEY || col->kind == COL_CLUSTERING;
        const struct json_val *v = json_object_get_column(root, col->name, strlen(col->name));
        proto_value pv = {NULL, in->default_unset ? PROTO_VALUE_UNSET : PROTO_VALUE_NULL};
        if (v) {
            buf b;
            buf_init(&b);
            int rc = type_from_json(col->type, v, &b, err, sizeof(err));
            if (rc == TYPE_OK) {
                int multi = !col->type->frozen &&
                            (col->type->kind == TYPE_LIST || col->type->kind == TYPE_SET ||
                             col->type->kind == TYPE_MAP);
                pv.len = (int32_t)b.len;
                pv.p = arena_memdup(&r->arena, b.len ? b.data : (const uint8_t *)"",
                                    b.len ? b.len : 1);
                if (multi && b.len >= 4 && be32(b.data) == 0) pv = (proto_value){NULL, -1};
            } else if (rc == TYPE_JSON_NULL) {
                pv = (proto_value){NULL, PROTO_VALUE_NULL};
            }
            buf_free(&b);
            if (rc == TYPE_EINVAL) {
                cql_error(r, PROTO_ERR_INVALID, "Error decoding JSON value for %s: %s", col->name,
                          err);
                return -1;
            }
            if (rc == TYPE_ENOMEM || (rc == TYPE_OK && !pv.p && pv.len >= 0)) return oom(r);
        } else if (in->default_unset && !is_key) {
            continue;
        }
        cols[k] = col;
        vals[k++] = pv;
    }
    *n = k;
    return 0;
}

static int build_insert(struct mod *md, const struct cql_insert *in, int64_t batch_ts, int btype)
{
    struct cql_exec *x = md->x;
    struct cql_req *r = x->r;
    const struct schema_keyspace *ks;
    const struct schema_table *t = target(x, &in->table, &ks);
    if (!t) return -1;
    if (check_counter_kind(md, t, btype)) return -1;
    if (t->is_counter) {
        cql_error(r, PROTO_ERR_INVALID,
                  "INSERT statements are not allowed on counter tables, use "
                  "UPDATE instead");
        return -1;
    }
    if (in->if_not_exists) {
        cql_error(r, PROTO_ERR_INVALID,
                  "Conditional updates (IF NOT EXISTS) are not supported yet "
                  "by ringdb");
        return -1;
    }
    if (attrs(md, &in->attrs, t, batch_ts) < 0) return -1;
    proto_value vals[256];
    const struct schema_column *cols[256];
    int n_cols;
    if (in->json) {
        if (json_columns(md, in, t, cols, vals, &n_cols) < 0) return -1;
    } else {
        if (in->n_columns != in->n_values) {
            cql_error(r, PROTO_ERR_INVALID, "Unmatched column names/values");
            return -1;
        }
        if (in->n_columns > 256) {
            cql_error(r, PROTO_ERR_INVALID, "Too many columns in INSERT");
            return -1;
        }
        n_cols = in->n_columns;
        for (int i = 0; i < n_cols; i++) {
            cols[i] = schema_find_column(t, in->columns[i]);
            if (!cols[i]) {
                cql_error(r, PROTO_ERR_INVALID, "Undefined column name %s", in->columns[i]);
                return -1;
            }
            for (int j = 0; j < i; j++)
                if (cols[j] == cols[i]) {
                    cql_error(r, PROTO_ERR_INVALID, "The column names contains duplicates");
                    return -1;
                }
            if (encode(md, in->values[i], cols[i]->type, cols[i]->name, &vals[i]) < 0) return -1;
        }
    }
    /* key columns */
    const proto_value *pk[MAX_KEY_COLS];
    db_val *ck = arena_alloc(&r->arena, sizeof(*ck) * (size_t)(t->n_ck ? t->n_ck : 1));
    if (!ck) return oom(r);
    for (int k = 0; k < t->n_pk + t->n_ck; k++) {
        const struct schema_column *kc = &t->cols[k];
        int found = -1;
        for (int i = 0; i < n_cols; i++)
            if (cols[i] == kc) found = i;
        if (found < 0 && kc->kind == COL_CLUSTERING) {
            /* allowed when every other column written is static */
            int only_static = 1, any = 0;
            for (int i = 0; i < n_cols; i++)
                if (cols[i]->kind == COL_REGULAR || cols[i]->kind == COL_CLUSTERING)
                    only_static = 0;
                else if (cols[i]->kind == COL_STATIC)
                    any = 1;
            if (only_static && any) {
                ck = NULL;
                break;
            }
        }
        if (found < 0) {
            char missing[256] = "";
            size_t o = 0;
            int from = kc->kind == COL_PARTITION_KEY ? 0 : t->n_pk;
            int to = kc->kind == COL_PARTITION_KEY ? t->n_pk : t->n_pk + t->n_ck;
            for (int j = from; j < to; j++) {
                int f = 0;
                for (int i = 0; i < n_cols; i++)
                    f |= cols[i] == &t->cols[j];
                if (!f)
                    o += (size_t)snprintf(missing + o, sizeof(missing) - o, "%s%s", o ? ", " : "",
                                          t->cols[j].name);
            }
            cql_error(r, PROTO_ERR_INVALID, "Some %s are missing: %s",
                      kc->kind == COL_PARTITION_KEY ? "partition key parts" : "clustering keys",
                      missing);
            return -1;
        }
        if (vals[found].len == PROTO_VALUE_UNSET) {
            cql_error(r, PROTO_ERR_INVALID, "Invalid unset value for column %s", kc->name);
            return -1;
        }
        if (vals[found].len < 0) {
            cql_error(r, PROTO_ERR_INVALID, "Invalid null value in condition for column %s",
                      kc->name);
            return -1;
        }
        if (kc->kind == COL_PARTITION_KEY)
            pk[kc->position] = &vals[found];
        else
            ck[kc->position] = (db_val){vals[found].p, vals[found].len};
    }
    struct pkey key;
    memset(&key, 0, sizeof(key));
    if (cql_serialize_pk(&r->arena, pk, t->n_pk, &key.key) < 0) return oom(r);
    if (key.key.len == 0) {
        cql_error(r, PROTO_ERR_INVALID, "Key may not be empty");
        return -1;
    }
    key.token = mm3_token_of(key.key);
    struct mut_b *mb = get_mut(md, ks, t, &key);
    if (!mb) return oom(r);
    /* static-only INSERT: the static row carries the liveness */
    struct mrow_b *rb = !ck       ? new_rowb(md, mb, NULL, 0)
                        : t->n_ck ? new_rowb(md, mb, ck, t->n_ck)
                                  : new_rowb(md, mb, ck, 0);
    if (!rb) return oom(r);
    if (ck) { /* a static row has no primary key liveness */
        rb->row.live_ts = md->ts;
        rb->row.live_ttl = md->ttl;
        rb->row.live_ldt = md->ttl > 0 ? md->now + md->ttl : 0;
    }
    for (int i = 0; i < n_cols; i++) {
        if (cols[i]->kind == COL_PARTITION_KEY || cols[i]->kind == COL_CLUSTERING) continue;
        struct mrow_b *target_row = rb;
        if (cols[i]->kind == COL_STATIC && !(target_row = new_rowb(md, mb, NULL, 0))) return oom(r);
        int rc = set_whole(md, target_row, cols[i], vals[i]);
        if (rc) return rc < 0 ? oom(r) : -1;
    }
    return 0;
}

/* Every (partition, clustering) a row-level UPDATE/DELETE names. */
static int row_targets(struct mod *md, const struct schema_table *t, const struct restrictions *rs,
                       struct pkey **keys, int *n_keys, struct db_slice **sl, int *n_sl)
{
    if (restrict_partition_keys(md->x, t, rs, keys, n_keys) < 0) return -1;
    return restrict_slices(md->x, t, rs, sl, n_sl);
}

static int build_update(struct mod *md, const struct cql_update *up, int64_t batch_ts, int btype)
{
    struct cql_exec *x = md->x;
    struct cql_req *r = x->r;
    const struct schema_keyspace *ks;
    const struct schema_table *t = target(x, &up->table, &ks);
    if (!t) return -1;
    if (check_counter_kind(md, t, btype)) return -1;
    if (up->if_exists || up->n_conditions) {
        cql_error(r, PROTO_ERR_INVALID, "Conditional updates are not supported yet by ringdb");
        return -1;
    }
    if (attrs(md, &up->attrs, t, batch_ts) < 0) return -1;
    struct restrictions rs;
    if (restrict_analyze(x, t, up->where, up->n_where, 1, false, &rs) < 0) return -1;
    int only_static = 1;
    const struct schema_column *cols[256];
    if (up->n_assignments > 256) return oom(r);
    for (int i = 0; i < up->n_assignments; i++) {
        const struct cql_assignment *as = up->assignments[i];
        cols[i] = schema_find_column(t, as->column);
        if (!cols[i]) {
            cql_error(r, PROTO_ERR_INVALID, "Undefined column name %s", as->column);
            return -1;
        }
        if (cols[i]->kind == COL_PARTITION_KEY || cols[i]->kind == COL_CLUSTERING) {
            cql_error(r, PROTO_ERR_INVALID, "PRIMARY KEY part %s found in SET part", as->column);
            return -1;
        }
        if (cols[i]->kind != COL_STATIC) only_static = 0;
        if (cols[i]->type->kind == TYPE_COUNTER && as->kind == CQL_ASSIGN_SET) {
            cql_error(r, PROTO_ERR_INVALID,
                      "Cannot set the value of counter column %s (counters "
                      "can only be incremented/decremented, not set)",
                      as->column);
            return -1;
        }
    }
    int full_ck = rs.n_ck_eq == t->n_ck && !rs.has_slice;
    if (rs.has_slice) {
        cql_error(r, PROTO_ERR_INVALID,
                  "Slice restrictions are not supported on the clustering "
                  "columns in UPDATE statements");
        return -1;
    }
    if (only_static && up->n_assignments && rs.n_ck_eq) {
        cql_error(r, PROTO_ERR_INVALID,
                  "Invalid restrictions on clustering columns since the "
                  "UPDATE statement modifies only static columns");
        return -1;
    }
    if (!full_ck && !(only_static && rs.n_ck_eq == 0)) {
        char missing[256] = "";
        size_t o = 0;
        for (int k = rs.n_ck_eq; k < t->n_ck; k++)
            o += (size_t)snprintf(missing + o, sizeof(missing) - o, "%s%s", o ? ", " : "",
                                  t->cols[t->n_pk + k].name);
        cql_error(r, PROTO_ERR_INVALID, "Some clustering keys are missing: %s", missing);
        return -1;
    }
    struct pkey *keys;
    struct db_slice *sl;
    int nk, ns;
    if (row_targets(md, t, &rs, &keys, &nk, &sl, &ns) < 0) return -1;
    for (int p = 0; p < nk; p++) {
        struct mut_b *mb = get_mut(md, ks, t, &keys[p]);
        if (!mb) return oom(r);
        int n_rows = t->n_ck == 0 || only_static ? 1 : ns;
        for (int k = 0; k < n_rows; k++) {
            struct mrow_b *rb = NULL, *srb = NULL;
            for (int i = 0; i < up->n_assignments; i++) {
                const struct cql_assignment *as = up->assignments[i];
                const struct schema_column *col = cols[i];
                struct mrow_b *row;
                if (col->kind == COL_STATIC) {
                    if (!srb && !(srb = new_rowb(md, mb, NULL, 0))) return oom(r);
                    row = srb;
                } else {
                    if (!rb &&
                        !(rb = new_rowb(md, mb, t->n_ck ? sl[k].start : (db_val *)"", t->n_ck)))
                        return oom(r);
                    row = rb;
                }
                int rc = 0;
                proto_value v;
                switch (as->kind) {
                case CQL_ASSIGN_SET:
                    if (encode(md, as->value, col->type, col->name, &v) < 0) return -1;
                    rc = set_whole(md, row, col, v);
                    break;
                case CQL_ASSIGN_ADD: rc = add_sub(md, row, col, as->value, 0, 0); break;
                case CQL_ASSIGN_SUBTRACT: rc = add_sub(md, row, col, as->value, 1, 0); break;
                case CQL_ASSIGN_PREPEND: rc = add_sub(md, row, col, as->value, 0, 1); break;
                case CQL_ASSIGN_SET_ELEMENT: rc = set_element(md, row, col, as); break;
                case CQL_ASSIGN_SET_FIELD:
                    rc = set_field(md, row, col, as->field, as->value);
                    break;
                }
                if (rc) return rc < 0 ? oom(r) : -1;
            }
        }
    }
    return 0;
}

static int build_delete(struct mod *md, const struct cql_delete *de, int64_t batch_ts, int btype)
{
    struct cql_exec *x = md->x;
    struct cql_req *r = x->r;
    const struct schema_keyspace *ks;
    const struct schema_table *t = target(x, &de->table, &ks);
    if (!t) return -1;
    if (check_counter_kind(md, t, btype)) return -1;
    if (de->if_exists || de->n_conditions) {
        cql_error(r, PROTO_ERR_INVALID, "Conditional deletions are not supported yet by ringdb");
        return -1;
    }
    if (attrs(md, &de->attrs, t, batch_ts) < 0) return -1;
    md->ttl = 0;
    struct restrictions rs;
    if (restrict_analyze(x, t, de->where, de->n_where, 2, false, &rs) < 0) return -1;
    struct pkey *keys;
    struct db_slice *sl;
    int nk, ns;
    if (row_targets(md, t, &rs, &keys, &nk, &sl, &ns) < 0) return -1;
    int full_ck = rs.n_ck_eq == t->n_ck && !rs.has_slice;
    int only_static = de->n_columns > 0;
    for (int i = 0; i < de->n_columns; i++) {
        const struct schema_column *col = schema_find_column(t, de->columns[i]->column);
        if (!col) {
            cql_error(r, PROTO_ERR_INVALID, "Undefined column name %s", de->columns[i]->column);
            return -1;
        }
        if (col->kind == COL_PARTITION_KEY || col->kind == COL_CLUSTERING) {
            cql_error(r, PROTO_ERR_INVALID,
                      "Invalid identifier %s for deletion (should not be a "
                      "PRIMARY KEY part)",
                      col->name);
            return -1;
        }
        if (col->kind != COL_STATIC) only_static = 0;
    }
    if (de->n_columns && !full_ck && !(only_static && rs.n_ck_eq == 0 && !rs.has_slice)) {
        cql_error(r, PROTO_ERR_INVALID, "Range deletions are not supported for specific columns");
        return -1;
    }
    for (int p = 0; p < nk; p++) {
        struct mut_b *mb = get_mut(md, ks, t, &keys[p]);
        if (!mb) return oom(r);
        if (de->n_columns == 0) {
            if (rs.n_ck_eq == 0 && !rs.has_slice) { /* whole partition */
                if (md->ts > mb->m.pdel.ts) mb->m.pdel = (struct db_del){md->ts, md->now};
                continue;
            }
            for (int k = 0; k < ns; k++) {
                if (full_ck) {
                    struct mrow_b *rb = new_rowb(md, mb, sl[k].start, t->n_ck);
                    if (!rb) return oom(r);
                    rb->row.del = (struct db_del){md->ts, md->now};
                    continue;
                }
                /* a range tombstone over the slice */
                struct db_rt *nr = arena_alloc(&r->arena, sizeof(*nr) * (size_t)(mb->m.n_rts + 1));
                if (!nr) return oom(r);
                if (mb->m.n_rts) memcpy(nr, mb->m.rts, sizeof(*nr) * (size_t)mb->m.n_rts);
                struct db_rt *rt = &nr[mb->m.n_rts++];
                rt->start = (db_val *)sl[k].start;
                rt->n_start = sl[k].n_start;
                rt->start_incl = sl[k].start_incl;
                rt->end = (db_val *)sl[k].end;
                rt->n_end = sl[k].n_end;
                rt->end_incl = sl[k].end_incl;
                rt->del = (struct db_del){md->ts, md->now};
                mb->m.rts = nr;
            }
            continue;
        }
        int n_rows = t->n_ck == 0 || only_static ? 1 : ns;
        for (int k = 0; k < n_rows; k++) {
            struct mrow_b *rb = NULL, *srb = NULL;
            for (int i = 0; i < de->n_columns; i++) {
                const struct cql_deletion *d = de->columns[i];
                const struct schema_column *col = schema_find_column(t, d->column);
                struct mrow_b *row;
                if (col->kind == COL_STATIC) {
                    if (!srb && !(srb = new_rowb(md, mb, NULL, 0))) return oom(r);
                    row = srb;
                } else {
                    if (!rb &&
                        !(rb = new_rowb(md, mb, t->n_ck ? sl[k].start : (db_val *)"", t->n_ck)))
                        return oom(r);
                    row = rb;
                }
                if (d->kind == CQL_DEL_COLUMN) {
                    if (!tomb_cell(md, row, col,
                                   is_complex(col->type) ? DB_CELL_COMPLEX_DEL : DB_CELL_TOMB,
                                   md->ts))
                        return oom(r);
                    continue;
                }
                const struct type *ty = col->type;
                if (d->kind == CQL_DEL_FIELD) {
                    proto_value nullv = {NULL, -1};
                    struct cql_term nt;
                    (void)nullv;
                    memset(&nt, 0, sizeof(nt));
                    nt.kind = CQL_TERM_CONST;
                    nt.constant.kind = CQL_CONST_NULL;
                    int rc = set_field(md, row, col, d->field, &nt);
                    if (rc) return rc < 0 ? oom(r) : -1;
                    continue;
                }
                if (!is_complex(ty) || ty->kind == TYPE_UDT) {
                    cql_error(r, PROTO_ERR_INVALID,
                              "Invalid deletion operation for non-collection "
                              "column %s",
                              col->name);
                    return -1;
                }
                proto_value kv;
                if (encode(md, d->element,
                           ty->kind == TYPE_LIST ? type_native(TYPE_INT) : ty->params[0], col->name,
                           &kv) < 0)
                    return -1;
                if (kv.len < 0) {
                    cql_error(r, PROTO_ERR_INVALID, "Invalid null value for %s element", col->name);
                    return -1;
                }
                struct db_cell *c = tomb_cell(
                    md, row, col, ty->kind == TYPE_LIST ? DB_OP_LIST_DEL : DB_CELL_TOMB, md->ts);
                if (!c) return oom(r);
                c->path = (db_val){kv.p, kv.len};
            }
        }
    }
    return 0;
}

static int build_stmt(struct mod *md, const struct cql_stmt *st, int64_t batch_ts, int btype)
{
    switch (st->kind) {
    case CQL_STMT_INSERT: return build_insert(md, &st->insert, batch_ts, btype);
    case CQL_STMT_UPDATE: return build_update(md, &st->update, batch_ts, btype);
    case CQL_STMT_DELETE: return build_delete(md, &st->delete_, batch_ts, btype);
    default:
        cql_error(md->x->r, PROTO_ERR_INVALID,
                  "Invalid statement in batch: only UPDATE, INSERT "
                  "and DELETE statements are allowed.");
        return -1;
    }
}

/* ---- sending ---- */

struct mod_trip {
    struct sp_write w;
    struct cql_req *r;
};

static void on_written(struct sp_write *w)
{
    struct mod_trip *tr = w->arg;
    struct cql_req *r = tr->r;
    if (w->rc)
        cql_error(r, w->rc, "%s", w->msg);
    else
        res_void(r);
    r->done(r);
}

static int send_mutations(struct mod *md, uint16_t cl)
{
    struct cql_req *r = md->x->r;
    if (md->n_muts == 0) {
        res_void(r);
        return CQL_DONE;
    }
    /* consistency, per keyspace touched */
    for (int i = 0; i < md->n_muts; i++) {
        int req, alive;
        const char *msg = NULL;
        int rc = sp_consistency(md->muts[i].ks, cl, 1, &req, &alive, &msg);
        if (rc < 0) {
            cql_error(r, PROTO_ERR_INVALID, "%s", msg);
            return CQL_DONE;
        }
        if (rc > 0) {
            char m[128];
            snprintf(m, sizeof(m), "Cannot achieve consistency level %s",
                     proto_consistency_name(cl));
            buf_clear(&r->body);
            proto_write_error_unavailable(&r->body, m, cl, req, alive);
            r->opcode = PROTO_OP_ERROR;
            return CQL_DONE;
        }
    }
    struct mod_trip *tr = arena_calloc(&r->arena, sizeof(*tr));
    struct sp_write_item *items = arena_calloc(&r->arena, sizeof(*items) * (size_t)md->n_muts);
    if (!tr || !items) {
        oom(r);
        return CQL_DONE;
    }
    for (int i = 0; i < md->n_muts; i++) {
        struct mut_b *mb = &md->muts[i];
        mb->m.n_rows = mb->n_rows;
        mb->m.rows =
            arena_alloc(&r->arena, sizeof(*mb->m.rows) * (size_t)(mb->n_rows ? mb->n_rows : 1));
        if (!mb->m.rows) {
            oom(r);
            return CQL_DONE;
        }
        for (int k = 0; k < mb->n_rows; k++)
            mb->m.rows[k] = mb->rows[k].row;
        mb->m.srow = mb->srow ? &mb->srow->row : NULL;
        items[i].t = mb->t;
        items[i].m = &mb->m;
        items[i].durable = mb->ks->durable_writes;
    }
    tr->r = r;
    tr->w.items = items;
    tr->w.n = md->n_muts;
    tr->w.a = &r->arena;
    tr->w.schema = sp_schema(r->shard);
    tr->w.done = on_written;
    tr->w.arg = tr;
    if (sp_write_start(r->shard, &tr->w) < 0) {
        oom(r);
        return CQL_DONE;
    }
    return CQL_PENDING;
}

int stmt_modify(struct cql_exec *x)
{
    struct mod md;
    memset(&md, 0, sizeof(md));
    md.x = x;
    const struct cql_stmt *st = x->stmt;
    if (st->kind == CQL_STMT_BATCH) {
        const struct cql_batch *b = &st->batch;
        int64_t bts = DB_NO_TS;
        if (b->attrs.timestamp) {
            struct mod tmp = md;
            struct schema_table dummy;
            memset(&dummy, 0, sizeof(dummy));
            if (attrs(&tmp, &b->attrs, &dummy, DB_NO_TS) < 0) return CQL_DONE;
            bts = tmp.ts;
        }
        for (int i = 0; i < b->n_stmts; i++) {
            struct cql_exec sub = *x;
            sub.stmt = b->stmts[i];
            /* the batch's markers (indexes are batch-wide) */
            struct cql_stmt view = *b->stmts[i];
            view.binds = st->binds;
            view.n_binds = st->n_binds;
            sub.stmt = &view;
            md.x = &sub;
            if (build_stmt(&md, b->stmts[i], bts, b->type) < 0) return CQL_DONE;
        }
        md.x = x;
        return send_mutations(&md, x->params->consistency);
    }
    if (build_stmt(&md, st, DB_NO_TS, -1) < 0) return CQL_DONE;
    return send_mutations(&md, x->params->consistency);
}

/* One statement of a protocol BATCH message (its own values); the
 * mutations accumulate in *ctx until cql_batch_send. */
struct cql_batch_ctx {
    struct mod md;
    int64_t bts;
    int type;
};

struct cql_batch_ctx *cql_batch_begin(struct cql_exec *x, int type)
{
    struct cql_batch_ctx *bc = arena_calloc(&x->r->arena, sizeof(*bc));
    if (!bc) return NULL;
    bc->md.x = x;
    bc->bts = x->params->timestamp != PROTO_NO_TIMESTAMP ? x->params->timestamp : DB_NO_TS;
    bc->type = type;
    return bc;
}

int cql_batch_add(struct cql_batch_ctx *bc, struct cql_exec *x)
{
    bc->md.x = x;
    return build_stmt(&bc->md, x->stmt, bc->bts, bc->type);
}

int cql_batch_send(struct cql_batch_ctx *bc, struct cql_exec *x)
{
    bc->md.x = x;
    return send_mutations(&bc->md, x->params->consistency);
}
