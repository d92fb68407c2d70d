/*
 * migration.c -- see migration.h for the state diagram and invariants.
 */
#include "service/migration.h"
#include "db/db.h"
#include "storage/io.h"
#include "util/log.h"
#include "util/mem.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The schema loaded at start; each shard takes a reference. Read-only. */
static struct schema *initial_schema;
static char schema_path[4096];

int sp_global_init(const char *data_dir, char *err, size_t errsz)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/system", data_dir);
    if (sio_mkdirs(dir) < 0) {
        snprintf(err, errsz, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    snprintf(schema_path, sizeof(schema_path), "%s/schema.db", dir);
    uint8_t *data;
    size_t n;
    if (sio_read_file(schema_path, 256u << 20, &data, &n) == 0) {
        char why[256];
        initial_schema = schema_deserialize(data, n, why, sizeof(why));
        mem_free(data);
        if (!initial_schema) {
            snprintf(err, errsz, "%s: %s", schema_path, why);
            return -1;
        }
    } else if (errno == ENOENT) {
        initial_schema = schema_new_builtin();
        if (!initial_schema) {
            snprintf(err, errsz, "out of memory");
            return -1;
        }
    } else {
        snprintf(err, errsz, "cannot read %s: %s", schema_path, strerror(errno));
        return -1;
    }
    return 0;
}

void sp_global_shutdown(void)
{
    schema_unref(initial_schema);
    initial_schema = NULL;
}

int sp_shard_init(struct shard *s)
{
    struct sp_shard *sp = mem_calloc(1, sizeof(*sp));
    if (!sp) return -1;
    schema_ref(initial_schema);
    sp->schema = initial_schema;
    snprintf(sp->schema_path, sizeof(sp->schema_path), "%s", schema_path);
    s->service = sp;
    return 0;
}

void sp_shard_free(struct shard *s)
{
    struct sp_shard *sp = s->service;
    if (!sp) return;
    schema_unref(sp->schema);
    mem_free(sp->queue);
    mem_free(sp);
    s->service = NULL;
}

static void on_apply(struct shard *s, void *arg);

static void on_done(struct shard *s, void *arg)
{
    struct sp_change *c = arg;
    c->done(c);
}

static void finish(struct shard *s0, struct sp_change *c)
{
    struct sp_shard *sp = s0->service;
    if (shard_send(s0, c->origin, on_done, c) < 0) log_error("schema: cannot answer (OOM)");
    sp->busy = 0;
    if (sp->n_queue) {
        struct sp_change *nx = sp->queue[0];
        memmove(sp->queue, sp->queue + 1, sizeof(*sp->queue) * (size_t)(sp->n_queue - 1));
        sp->n_queue--;
        on_apply(s0, nx);
    }
}

static void on_installed(struct shard *s0, void *arg)
{
    struct sp_change *c = arg;
    if (--c->pending_acks == 0) {
        schema_unref(c->next); /* the reference that travelled with the change */
        c->next = NULL;
        finish(s0, c);
    }
}

static void on_install(struct shard *s, void *arg)
{
    struct sp_change *c = arg;
    struct sp_shard *sp = s->service;
    schema_ref(c->next);
    schema_unref(sp->schema);
    sp->schema = c->next;
    db_schema_changed(s, c->next);
    if (sp->on_schema_event) sp->on_schema_event(s, &c->ev);
    if (shard_send(s, 0, on_installed, c) < 0) log_error("schema: cannot ack install (OOM)");
}

static void on_apply(struct shard *s0, void *arg)
{
    struct sp_change *c = arg;
    struct sp_shard *sp = s0->service;
    if (sp->busy) { /* invariant (1): one at a time */
        if (sp->n_queue == sp->cap_queue) {
            int ncap = sp->cap_queue ? sp->cap_queue * 2 : 16;
            struct sp_change **nq = mem_realloc(sp->queue, sizeof(*nq) * (size_t)ncap);
            if (!nq) {
                c->rc = SP_ERROR;
                c->err_code = 0x0000;
                snprintf(c->err_msg, sizeof(c->err_msg), "out of memory");
                shard_send(s0, c->origin, on_done, c);
                return;
            }
            sp->queue = nq;
            sp->cap_queue = ncap;
        }
        sp->queue[sp->n_queue++] = c;
        return;
    }
    sp->busy = 1;
    c->next = NULL;
    c->rc = c->apply(c, sp->schema, &c->next);
    if (c->rc != SP_OK) {
        finish(s0, c);
        return;
    }
    schema_update_version(c->next);
    buf b;
    buf_init(&b);
    schema_serialize(c->next, &b);
    int wrc = buf_ok(&b) ? sio_write_file_atomic(sp->schema_path, b.data, b.len) : -1;
    int e = errno;
    buf_free(&b);
    if (wrc < 0) { /* invariant (3): nothing installed */
        schema_unref(c->next);
        c->next = NULL;
        c->rc = SP_ERROR;
        c->err_code = 0x0000;
        snprintf(c->err_msg, sizeof(c->err_msg), "cannot write schema to %s: %s", sp->schema_path,
                 strerror(e));
        finish(s0, c);
        return;
    }
    c->pending_acks = s0->n_shards;
    for (int i = 0; i < s0->n_shards; i++)
        if (shard_send(s0, i, on_install, c) < 0) log_error("schema: cannot install (OOM)");
}

int sp_schema_submit(struct shard *s, struct sp_change *c)
{
    c->origin = s->id;
    c->rc = SP_ERROR;
    c->err_code = 0;
    c->err_msg[0] = 0;
    memset(&c->ev, 0, sizeof(c->ev));
    return shard_send(s, 0, on_apply, c);
}
