/*
 * migration (sp_) -- schema changes across shards: the coordinator-side
 * "migration manager" of a node.
 *
 * Shard 0 owns the schema. A change submitted on any shard travels to shard
 * 0, which runs the caller's apply function against the current snapshot,
 * writes the new schema durably, and installs it on every shard (including
 * itself); when every shard has installed it, the submitter's done callback
 * runs on the submitting shard. Changes are therefore serialised, and a
 * client that got its answer sees the new schema on every connection of this
 * node.
 *
 * States of one change (struct sp_change, owned by the submitting shard
 * until it comes back):
 *   SUBMITTED --(msg to shard 0)--> APPLYING --apply fn--> error|no-op ----+
 *   APPLYING --persist+install msgs--> INSTALLING --all acks--> DONE <----+
 *   DONE --(msg to submitter)--> done callback
 * Functions: sp_schema_submit, on_apply (shard 0), on_install (each shard),
 * on_installed (shard 0), on_done (submitter).
 *
 * Invariants:
 *  (1) only shard 0 runs apply functions, one change at a time;
 *  (2) every shard's current snapshot is a published, immutable schema;
 *  (3) the schema file on disk is written before any shard installs the
 *      snapshot, so an acknowledged change survives a crash.
 */
#ifndef RINGDB_SERVICE_MIGRATION_H
#define RINGDB_SERVICE_MIGRATION_H

#include "net/shard.h"
#include "schema/schema.h"

enum sp_change_kind { SP_CHANGE_CREATED, SP_CHANGE_UPDATED, SP_CHANGE_DROPPED };
enum sp_change_target {
    SP_TARGET_KEYSPACE,
    SP_TARGET_TABLE,
    SP_TARGET_TYPE,
    SP_TARGET_FUNCTION,
    SP_TARGET_AGGREGATE
};

/* What a schema change did, for SCHEMA_CHANGE results and events. */
struct sp_schema_event {
    enum sp_change_kind change;
    enum sp_change_target target;
    char keyspace[64];
    char name[64];
    int n_args;
    char args[8][64]; /* function/aggregate argument types */
};

/* Result codes of an apply function / change. */
#define SP_OK    0  /* new schema produced */
#define SP_NOOP  1  /* nothing to change (IF [NOT] EXISTS) */
#define SP_ERROR -1 /* err_code/err_msg set */

struct sp_change {
    /* IN, set by the submitter */
    int (*apply)(struct sp_change *c, const struct schema *cur, struct schema **out);
    void (*done)(struct sp_change *c); /* on the submitting shard */
    void *arg;                         /* the submitter's */
    /* OUT, set by apply (on shard 0) */
    struct sp_schema_event ev;
    int rc;
    int err_code; /* CQL error code when rc == SP_ERROR */
    char err_msg[512];
    /* internal */
    int origin;
    struct schema *next;
    int pending_acks;
};

/* Per-shard service state (shard->service). */
struct sp_shard {
    struct schema *schema; /* current snapshot, one reference held */
    /* Called on this shard after a new snapshot is installed (transport
     * sends events to registered connections). */
    void (*on_schema_event)(struct shard *s, const struct sp_schema_event *ev);
    /* shard 0 only */
    int busy;                 /* a change is being applied/installed */
    struct sp_change **queue; /* changes waiting for the current one */
    int n_queue, cap_queue;
    char schema_path[4096];
};

/* Global start-up: loads the schema from the data directory (or the
 * built-ins on first start). Main thread, before shards start. */
int sp_global_init(const char *data_dir, char *err, size_t errsz);
void sp_global_shutdown(void);

int sp_shard_init(struct shard *s);
void sp_shard_free(struct shard *s);

static inline struct schema *sp_schema(struct shard *s)
{
    return ((struct sp_shard *)s->service)->schema;
}

/* Submits c (see the state diagram). c must stay valid until c->done runs. */
int sp_schema_submit(struct shard *s, struct sp_change *c);

#endif
