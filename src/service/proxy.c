/*
 * proxy.c -- see proxy.h.
 */
#include "service/proxy.h"
#include "cluster/local_node.h"
#include "db/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rf_of(const struct schema_keyspace *ks, int local_only)
{
    const char *cls = schema_repl_get(ks, "class");
    if (!cls || strstr(cls, "LocalStrategy") || strstr(cls, "EverywhereStrategy")) return 1;
    if (strstr(cls, "SimpleStrategy")) {
        const char *rf = schema_repl_get(ks, "replication_factor");
        return rf ? atoi(rf) : 0;
    }
    int total = 0;
    for (int i = 0; i < ks->n_repl; i++) {
        if (strcmp(ks->repl[i].key, "class") == 0) continue;
        if (local_only && strcmp(ks->repl[i].key, node->dc) != 0) continue;
        total += atoi(ks->repl[i].val);
    }
    return total;
}

int sp_consistency(const struct schema_keyspace *ks, uint16_t cl, int is_write, int *required,
                   int *alive, const char **msg)
{
    int rf = rf_of(ks, 0), local = rf_of(ks, 1);
    int nodes = 1; /* the ring has this node only (cluster issue) */
    int local_ks = ks->is_system;
    *alive = rf < nodes ? rf : nodes;
    switch (cl) {
    case 0x0000: /* ANY */
        if (!is_write) {
            *msg = "ANY ConsistencyLevel is only supported for writes";
            return -1;
        }
        *required = 1;
        *alive = 1; /* a hint counts */
        return 0;
    case 0x0001: *required = 1; break;          /* ONE */
    case 0x0002: *required = 2; break;          /* TWO */
    case 0x0003: *required = 3; break;          /* THREE */
    case 0x0004: *required = rf / 2 + 1; break; /* QUORUM */
    case 0x0005: *required = rf; break;         /* ALL */
    case 0x0006:
        *required = local / 2 + 1;
        *alive = local < nodes ? local : nodes;
        break;
    case 0x0007: /* EACH_QUORUM */
        if (!is_write) {
            *msg = "EACH_QUORUM ConsistencyLevel is only supported for writes";
            return -1;
        }
        *required = local / 2 + 1;
        *alive = local < nodes ? local : nodes;
        break;
    case 0x0008:
    case 0x0009:
        if (is_write) {
            *msg = "You must use conditional updates for serializable writes";
            return -1;
        }
        *required = rf / 2 + 1;
        break;
    case 0x000A:
        *required = 1;
        *alive = local < nodes ? local : nodes;
        break; /* LOCAL_ONE */
    default: *msg = "Unknown consistency level"; return -1;
    }
    if (local_ks) { /* local system tables: this node is the replica */
        *required = 1;
        *alive = 1;
    }
    if (*required < 1) *required = 1;
    return *alive >= *required ? 0 : 1;
}

/* ---- the write trip ---- */

static void on_hop(struct shard *s, void *arg);
static void on_home(struct shard *s, void *arg);

static void advance(struct shard *s, struct sp_write *w)
{
    while (w->idx < w->n && w->items[w->idx].owner == s->id)
        w->idx++;
    if (w->rc == 0 && w->idx < w->n) {
        if (shard_send(s, w->items[w->idx].owner, on_hop, w) == 0) return;
        w->rc = 0x0000;
        snprintf(w->msg, sizeof(w->msg), "Out of memory");
    }
    if (shard_send(s, w->home->id, on_home, w) < 0) {
        /* cannot happen short of OOM with a full ring; finish here */
        on_home(w->home, w);
    }
}

static void on_applied(void *arg, int rc, const char *msg)
{
    struct sp_write *w = arg;
    if (rc && !w->rc) {
        w->rc = rc;
        snprintf(w->msg, sizeof(w->msg), "%s", msg ? msg : "write failed");
    }
    w->pending--;
    if (w->pending == 0 && !w->launching) {
        /* the shard we are on is the owner of items[idx] */
        struct sp_write_item *it = &w->items[w->idx];
        (void)it;
        advance(w->cur, w);
    }
}

static void on_hop(struct shard *s, void *arg)
{
    struct sp_write *w = arg;
    w->cur = s;
    w->launching = 1;
    for (int i = w->idx; i < w->n && w->items[i].owner == s->id && !w->rc; i++) {
        w->pending++;
        if (db_apply(s, w->items[i].t, w->items[i].m, w->items[i].durable, w->a, on_applied, w) <
            0) {
            w->pending--;
            if (!w->rc) {
                w->rc = 0x0000;
                snprintf(w->msg, sizeof(w->msg), "Out of memory applying a mutation");
            }
        }
    }
    w->launching = 0;
    if (w->pending == 0) advance(s, w);
}

static void on_home(struct shard *s, void *arg)
{
    struct sp_write *w = arg;
    schema_unref(w->schema);
    w->schema = NULL;
    w->done(w);
}

static int cmp_owner(const void *a, const void *b)
{
    const struct sp_write_item *x = a, *y = b;
    return (x->owner > y->owner) - (x->owner < y->owner);
}

int sp_write_start(struct shard *s, struct sp_write *w)
{
    w->home = s;
    w->idx = 0;
    w->pending = 0;
    w->rc = 0;
    w->msg[0] = 0;
    for (int i = 0; i < w->n; i++)
        w->items[i].owner = db_shard_of(w->items[i].m->token, s->n_shards);
    /* stable enough: mutations of one partition were merged by the caller */
    qsort(w->items, (size_t)w->n, sizeof(*w->items), cmp_owner);
    if (w->schema) schema_ref(w->schema);
    if (w->n == 0) return shard_send(s, s->id, on_home, w);
    return shard_send(s, w->items[0].owner, on_hop, w);
}
