/*
 * proxy (sp_) -- the coordinator ("storage proxy"): which replicas a
 * keyspace needs for a consistency level, and carrying writes to the shards
 * that own their partitions.
 *
 * A write (struct sp_write) is a list of mutations. It travels: the home
 * shard sorts them by owner shard and sends the request to the first
 * owner; each owner applies its mutations (db_apply: commit log + memtable)
 * and, once all are durable, forwards the request to the next owner; the
 * last one sends it home, where done() runs. Mutations of one partition are
 * one mutation, so a single-partition write (or batch) is atomic.
 *
 * States of a write: HOME -> (OWNER_i: APPLYING -> WAITING_DURABLE)* -> HOME
 * (sp_write_start, on_hop, on_applied, advance, on_home).
 *
 * Invariant: while a write travels, only the shard it is on touches it;
 * it holds a reference to the schema snapshot it was built against.
 */
#ifndef RINGDB_SERVICE_PROXY_H
#define RINGDB_SERVICE_PROXY_H

#include "db/mutation.h"
#include "net/shard.h"
#include "schema/schema.h"

/* Consistency check for one node (this issue: a ring of one node).
 * Returns 0 when enough replicas are alive; 1 for Unavailable (required
 * and alive set); -1 when cl is not valid for the operation (msg set). */
int sp_consistency(const struct schema_keyspace *ks, uint16_t cl, int is_write, int *required,
                   int *alive, const char **msg);

struct sp_write_item {
    const struct schema_table *t;
    struct db_mutation *m;
    int durable;
    int owner; /* filled by sp_write_start */
};

struct sp_write {
    struct shard *home;
    struct sp_write_item *items;
    int n;
    arena *a;                         /* the request's arena (mutations live there) */
    struct schema *schema;            /* referenced for the trip */
    void (*done)(struct sp_write *w); /* on the home shard */
    void *arg;
    /* OUT */
    int rc;        /* 0 or a CQL error code */
    char msg[256]; /* error message */
    /* internal */
    int idx, pending, launching;
    struct shard *cur; /* the shard the write is on */
};

/* Starts w (home = s). done always runs later, on s. 0, or -1 on OOM. */
int sp_write_start(struct shard *s, struct sp_write *w);

#endif
