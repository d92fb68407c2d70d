/*
 * db.c -- see db.h.
 */
#include "db/db.h"
#include "db/systab.h"
#include "storage/commitlog/clog.h"
#include "types/value.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/murmur3.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct db_table_rt {
    uint8_t id[16];
    struct memtable *mt;
};

struct db_shard {
    struct clog *clog;
    struct db_table_rt *tables;
    int n_tables, cap_tables;
    int64_t last_ts;
    buf rec; /* scratch for serializing a record */
    size_t max_record;
    const struct schema *replay_schema;
    struct shard *shard;
    arena replay_arena;
    uint64_t n_replayed, n_skipped;
};

int db_shard_of(int64_t token, int n_shards)
{
    /* biased token as an unsigned fraction of 2^64, times n: the top 32
     * bits are precise enough for any shard count we run */
    uint64_t u = (uint64_t)token ^ (1ull << 63);
    return (int)(((u >> 32) * (uint64_t)n_shards) >> 32);
}

int64_t db_shard_first_token(int shard, int n_shards)
{
    if (shard == 0) return INT64_MIN;
    /* smallest u with ((u >> 32) * n) >> 32 == shard */
    uint64_t hi = (((uint64_t)shard << 32) + (uint64_t)n_shards - 1) / (uint64_t)n_shards;
    return (int64_t)((hi << 32) ^ (1ull << 63));
}

int32_t db_now_seconds(void)
{
    return (int32_t)time(NULL);
}

int64_t db_now_millis(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t db_timestamp(struct shard *s)
{
    struct db_shard *d = s->db;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    if (us <= d->last_ts) us = d->last_ts + 1;
    d->last_ts = us;
    return us;
}

static struct db_table_rt *find_rt(struct db_shard *d, const uint8_t id[16])
{
    for (int i = 0; i < d->n_tables; i++)
        if (memcmp(d->tables[i].id, id, 16) == 0) return &d->tables[i];
    return NULL;
}

static struct db_table_rt *get_rt(struct db_shard *d, const uint8_t id[16])
{
    struct db_table_rt *rt = find_rt(d, id);
    if (rt) return rt;
    if (d->n_tables == d->cap_tables) {
        int nc = d->cap_tables ? d->cap_tables * 2 : 16;
        struct db_table_rt *nt = mem_realloc(d->tables, sizeof(*nt) * (size_t)nc);
        if (!nt) return NULL;
        d->tables = nt;
        d->cap_tables = nc;
    }
    struct memtable *mt = memt_create();
    if (!mt) return NULL;
    rt = &d->tables[d->n_tables++];
    memcpy(rt->id, id, 16);
    rt->mt = mt;
    return rt;
}

struct memtable *db_memtable(struct shard *s, const struct schema_table *t)
{
    struct db_table_rt *rt = get_rt(s->db, t->id);
    return rt ? rt->mt : NULL;
}

int db_table_stats(struct shard *s, struct systab_table_stat *out, int cap)
{
    struct db_shard *d = s->db;
    if (!d) return 0;
    for (int i = 0; i < d->n_tables && i < cap; i++) {
        memcpy(out[i].id, d->tables[i].id, 16);
        out[i].shard = s->id;
        out[i].partitions = (int64_t)memt_partitions(d->tables[i].mt);
        out[i].memtable_bytes = (int64_t)memt_bytes(d->tables[i].mt);
    }
    return d->n_tables;
}

void db_schema_changed(struct shard *s, const struct schema *schema)
{
    struct db_shard *d = s->db;
    if (!d) return;
    for (int i = 0; i < d->n_tables;) {
        if (!schema_find_table_by_id(schema, d->tables[i].id, NULL)) {
            memt_destroy(d->tables[i].mt);
            d->tables[i] = d->tables[--d->n_tables];
        } else {
            i++;
        }
    }
}

/* ---- replay ---- */

static int replay_record(void *arg, const uint8_t *rec, size_t n)
{
    struct db_shard *d = arg;
    if (n < 1) return 0;
    if (rec[0] == DB_REC_TRUNCATE && n >= 17) {
        struct db_table_rt *rt = find_rt(d, rec + 1);
        if (rt) {
            memt_destroy(rt->mt);
            rt->mt = memt_create();
            if (!rt->mt) return -1;
        }
        return 0;
    }
    if (rec[0] != DB_REC_MUTATION) return 0;
    struct db_mutation m;
    arena_reset(&d->replay_arena);
    if (db_mutation_deserialize(rec + 1, n - 1, &d->replay_arena, &m) < 0) {
        log_warn("commit log replay: undecodable mutation record (%zu bytes) skipped", n);
        d->n_skipped++;
        return 0;
    }
    if (db_shard_of(m.token, d->shard->n_shards) != d->shard->id) return 0;
    const struct schema_table *t = schema_find_table_by_id(d->replay_schema, m.table_id, NULL);
    if (!t) { /* dropped table */
        d->n_skipped++;
        return 0;
    }
    struct db_table_rt *rt = get_rt(d, t->id);
    if (!rt || memt_apply(rt->mt, t, &m, db_now_seconds()) < 0) return -1;
    d->n_replayed++;
    return 0;
}

int db_shard_init(struct shard *s, const struct cfg *cfg, const struct schema *schema, char *err,
                  size_t errsz)
{
    struct db_shard *d = mem_calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    s->db = d;
    d->shard = s;
    buf_init(&d->rec);
    arena_init(&d->replay_arena, 65536);
    d->replay_schema = schema;
    /* every former shard's segments: a partition may have moved here if
     * the shard count changed; mutations reconcile by timestamp, so the
     * order across logs does not matter */
    for (int sh = 0; sh < 256; sh++) {
        int n = clog_replay(cfg->commitlog_directory, sh, replay_record, d, err, errsz);
        if (n < 0) return -1;
    }
    arena_destroy(&d->replay_arena);
    arena_init(&d->replay_arena, 4096);
    d->replay_schema = NULL;
    if (d->n_replayed)
        log_info("commit log replay: %llu mutations applied, %llu skipped",
                 (unsigned long long)d->n_replayed, (unsigned long long)d->n_skipped);
    struct clog_opts o = {
        .sync_mode = cfg->commitlog_sync == CFG_COMMITLOG_BATCH   ? CLOG_SYNC_BATCH
                     : cfg->commitlog_sync == CFG_COMMITLOG_GROUP ? CLOG_SYNC_GROUP
                                                                  : CLOG_SYNC_PERIODIC,
        .period_ms = cfg->commitlog_sync_period_ms,
        .group_window_ms = cfg->commitlog_sync_group_window_ms,
        .segment_size = cfg->commitlog_segment_size_bytes,
        .dir = cfg->commitlog_directory,
    };
    d->max_record = CLOG_MAX_RECORD(o.segment_size);
    return clog_open(s, &o, &d->clog, err, errsz);
}

void db_shard_free(struct shard *s)
{
    struct db_shard *d = s->db;
    if (!d) return;
    if (d->clog) clog_close(d->clog);
    for (int i = 0; i < d->n_tables; i++)
        memt_destroy(d->tables[i].mt);
    mem_free(d->tables);
    buf_free(&d->rec);
    arena_destroy(&d->replay_arena);
    mem_free(d);
    s->db = NULL;
}

/* ---- write path ---- */

static int col_index_of(const struct schema_table *t, int id)
{
    for (int i = 0; i < t->n_cols; i++)
        if (t->cols[i].id == id) return i;
    return -1;
}

/* Turns DB_OP_* cells of one row into plain cells using the memtable's
 * current state of that row. -1 with msg on a user error, -2 OOM. */
static int resolve_row(struct mpart *p, const struct schema_table *t, struct db_row *row,
                       int32_t now, arena *a, char *msg, size_t msgsz)
{
    int has_ops = 0;
    for (int i = 0; i < row->n_cells; i++)
        has_ops |= row->cells[i].kind >= DB_OP_COUNTER_ADD;
    if (!has_ops) return 0;
    int cap = row->n_cells + 16;
    struct db_cell *out = arena_alloc(a, sizeof(*out) * (size_t)cap);
    if (!out) return -2;
    int n = 0;
    for (int i = 0; i < row->n_cells; i++) {
        const struct db_cell *c = &row->cells[i];
        if (c->kind < DB_OP_COUNTER_ADD) {
            out[n++] = *c;
            continue;
        }
        int ci = col_index_of(t, c->col);
        if (ci < 0) continue;
        struct db_rcol cur;
        if (memt_row_cells(p, t, row->ck, row->n_ck, ci, now, a, &cur) < 0) return -2;
        if (c->kind == DB_OP_COUNTER_ADD) {
            int64_t base = 0;
            int prev = -1;
            for (int k = 0; k < n; k++)
                if (out[k].col == c->col && out[k].kind == DB_CELL_LIVE) prev = k;
            if (prev >= 0)
                base = (int64_t)be64(out[prev].value.p);
            else if (cur.n == 1 && cur.cells[0].value.len == 8)
                base = (int64_t)be64(cur.cells[0].value.p);
            int64_t delta = c->value.len == 8 ? (int64_t)be64(c->value.p) : 0;
            uint8_t *v = arena_alloc(a, 8);
            if (!v) return -2;
            put_be64(v, (uint64_t)(base + delta)); /* wraps like Java's long */
            struct db_cell nc = *c;
            nc.kind = DB_CELL_LIVE;
            nc.value = (db_val){v, 8};
            if (prev >= 0)
                out[prev] = nc;
            else
                out[n++] = nc;
            continue;
        }
        if (c->kind == DB_OP_LIST_SET || c->kind == DB_OP_LIST_DEL) {
            int32_t idx = c->path.len == 4 ? (int32_t)be32(c->path.p) : -1;
            if (idx < 0 || idx >= cur.n) {
                snprintf(msg, msgsz, "List index %d out of bound, list has size %d", idx, cur.n);
                return -1;
            }
            struct db_cell nc = *c;
            nc.path = cur.cells[idx].path;
            nc.kind = c->kind == DB_OP_LIST_SET ? DB_CELL_LIVE : DB_CELL_TOMB;
            if (nc.kind == DB_CELL_TOMB) nc.value = (db_val){NULL, -1};
            out[n++] = nc;
            continue;
        }
        if (c->kind == DB_OP_LIST_DISCARD) {
            struct type_iter it;
            const struct type *lt = t->cols[ci].type;
            for (int k = 0; k < cur.n; k++) {
                if (type_iter_init(&it, lt, c->value.p, c->value.len) < 0) break;
                struct type_val v;
                int hit = 0;
                while (!hit && type_iter_next(&it, &v) > 0)
                    hit = v.len == cur.cells[k].value.len &&
                          (v.len <= 0 || memcmp(v.p, cur.cells[k].value.p, (size_t)v.len) == 0);
                if (!hit) continue;
                if (n == cap) {
                    int nc2 = cap * 2;
                    struct db_cell *no = arena_alloc(a, sizeof(*no) * (size_t)nc2);
                    if (!no) return -2;
                    memcpy(no, out, sizeof(*out) * (size_t)n);
                    out = no;
                    cap = nc2;
                }
                struct db_cell tc = *c;
                tc.kind = DB_CELL_TOMB;
                tc.path = cur.cells[k].path;
                tc.value = (db_val){NULL, -1};
                tc.ldt = now;
                out[n++] = tc;
            }
        }
    }
    row->cells = out;
    row->n_cells = n;
    return 0;
}

static int resolve(struct memtable *mt, const struct schema_table *t, struct db_mutation *m,
                   int32_t now, arena *a, char *msg, size_t msgsz)
{
    struct mpart *p = memt_find(mt, m->token, m->key);
    int rc = 0;
    if (m->srow) rc = resolve_row(p, t, m->srow, now, a, msg, msgsz);
    for (int i = 0; rc == 0 && i < m->n_rows; i++)
        rc = resolve_row(p, t, &m->rows[i], now, a, msg, msgsz);
    return rc;
}

struct apply_ctx {
    db_done_fn done;
    void *arg;
};

static void on_logged(void *arg, int rc)
{
    struct apply_ctx *ac = arg;
    db_done_fn done = ac->done;
    void *a = ac->arg;
    mem_free(ac);
    if (rc < 0)
        done(a, 0x1500 /* Write_failure */, "commit log write failed: the write is not durable");
    else
        done(a, 0, NULL);
}

static int log_record(struct db_shard *d, const void *rec, size_t n, db_done_fn done, void *arg)
{
    struct apply_ctx *ac = mem_alloc(sizeof(*ac));
    if (!ac) return -1;
    ac->done = done;
    ac->arg = arg;
    if (clog_append(d->clog, rec, n, on_logged, ac) < 0) {
        mem_free(ac);
        return -1;
    }
    return 0;
}

int db_apply(struct shard *s, const struct schema_table *t, struct db_mutation *m, int durable,
             arena *a, db_done_fn done, void *arg)
{
    struct db_shard *d = s->db;
    struct memtable *mt = db_memtable(s, t);
    if (!mt) return -1;
    int32_t now = db_now_seconds();
    char msg[256];
    int rc = resolve(mt, t, m, now, a, msg, sizeof(msg));
    if (rc == -2) return -1;
    if (rc == -1) {
        done(arg, 0x2200, msg);
        return 0;
    }
    if (durable) {
        buf_clear(&d->rec);
        db_mutation_serialize(m, &d->rec);
        if (!buf_ok(&d->rec)) return -1;
        if (d->rec.len > d->max_record) {
            snprintf(msg, sizeof(msg),
                     "Mutation of %zu bytes is too large for the maximum size of %zu", d->rec.len,
                     d->max_record);
            done(arg, 0x2200, msg);
            return 0;
        }
    }
    if (memt_apply(mt, t, m, now) < 0) return -1;
    if (!durable) {
        done(arg, 0, NULL);
        return 0;
    }
    return log_record(d, d->rec.data, d->rec.len, done, arg);
}

int db_truncate(struct shard *s, const struct schema_table *t, db_done_fn done, void *arg)
{
    struct db_shard *d = s->db;
    struct db_table_rt *rt = get_rt(d, t->id);
    if (!rt) return -1;
    struct memtable *fresh = memt_create();
    if (!fresh) return -1;
    memt_destroy(rt->mt);
    rt->mt = fresh;
    uint8_t rec[25];
    rec[0] = DB_REC_TRUNCATE;
    memcpy(rec + 1, t->id, 16);
    put_be64(rec + 17, (uint64_t)db_timestamp(s));
    return log_record(d, rec, sizeof(rec), done, arg);
}
