/*
 * prepared.c -- the per-shard prepared statement cache and the cql layer's
 * per-shard state.
 *
 * Ids are Cassandra's (4.0.2+, CASSANDRA-15252): MD5 of the query text, with
 * the keyspace prepended when the statement names a table without its
 * keyspace. Every shard keeps its own cache (no sharing, DESIGN.md §4); a
 * PREPARE on one shard is copied to every other shard, so an EXECUTE on any
 * connection finds it. Eviction is least-recently-used once the cache is
 * three quarters full.
 */
#include "cql/cql_int.h"
#include "util/log.h"
#include "util/md5.h"
#include "util/mem.h"

#include <stdio.h>
#include <string.h>

#define CACHE_SLOTS 8192 /* power of two */

int cql_shard_init(struct shard *s)
{
    struct cql_shard *cs = mem_calloc(1, sizeof(*cs));
    if (!cs) return -1;
    cs->slots = mem_calloc(CACHE_SLOTS, sizeof(*cs->slots));
    if (!cs->slots) {
        mem_free(cs);
        return -1;
    }
    cs->n_slots = CACHE_SLOTS;
    s->cql = cs;
    return 0;
}

static void entry_free(struct cql_prepared *p)
{
    if (!p) return;
    if (p->pins > 0) { /* a pending request still reads it: freed when it ends */
        p->unlinked = 1;
        return;
    }
    arena_destroy(&p->arena);
    mem_free(p->query);
    mem_free(p->keyspace);
    mem_free(p);
}

void cql_req_release(struct cql_req *r)
{
    struct cql_prepared *p = r->pinned;
    r->pinned = NULL;
    if (p && --p->pins == 0 && p->unlinked) entry_free(p);
}

void cql_shard_free(struct shard *s)
{
    struct cql_shard *cs = s->cql;
    if (!cs) return;
    for (int i = 0; i < cs->n_slots; i++)
        entry_free(cs->slots[i]);
    mem_free(cs->slots);
    mem_free(cs);
    s->cql = NULL;
}

int cql_prepared_count(struct shard *s)
{
    return ((struct cql_shard *)s->cql)->n_used;
}

void prepared_compute_id(const char *keyspace, const char *q, size_t n, uint8_t id[16])
{
    size_t kn = keyspace ? strlen(keyspace) : 0;
    char stackbuf[1024];
    char *tmp = kn + n <= sizeof(stackbuf) ? stackbuf : mem_alloc(kn + n);
    if (!tmp) {
        md5_digest(q, n, id);
        return;
    }
    memcpy(tmp, keyspace ? keyspace : "", kn);
    memcpy(tmp + kn, q, n);
    md5_digest(tmp, kn + n, id);
    if (tmp != stackbuf) mem_free(tmp);
}

static unsigned slot_of(const uint8_t id[16], int n_slots)
{
    unsigned h;
    memcpy(&h, id, sizeof(h));
    return h & (unsigned)(n_slots - 1);
}

struct cql_prepared *prepared_find(struct cql_shard *cs, const uint8_t id[16])
{
    unsigned i = slot_of(id, cs->n_slots);
    for (int k = 0; k < cs->n_slots; k++, i = (i + 1) & (unsigned)(cs->n_slots - 1)) {
        struct cql_prepared *p = cs->slots[i];
        if (!p) return NULL;
        if (memcmp(p->id, id, 16) == 0) return p;
    }
    return NULL;
}

/* Removes slot i and re-inserts the rest of its probe run (linear probing). */
static void remove_slot(struct cql_shard *cs, unsigned i)
{
    entry_free(cs->slots[i]);
    cs->slots[i] = NULL;
    cs->n_used--;
    unsigned mask = (unsigned)(cs->n_slots - 1);
    for (unsigned j = (i + 1) & mask; cs->slots[j]; j = (j + 1) & mask) {
        struct cql_prepared *p = cs->slots[j];
        cs->slots[j] = NULL;
        unsigned k = slot_of(p->id, cs->n_slots);
        while (cs->slots[k])
            k = (k + 1) & mask;
        cs->slots[k] = p;
    }
}

static void evict_lru(struct cql_shard *cs)
{
    int victim = -1;
    for (int i = 0; i < cs->n_slots; i++)
        if (cs->slots[i] && (victim < 0 || cs->slots[i]->last_used < cs->slots[victim]->last_used))
            victim = i;
    if (victim >= 0) remove_slot(cs, (unsigned)victim);
}

struct prep_copy {
    uint8_t id[16];
    char *query;
    size_t qlen;
    char *keyspace;
};

static void on_prepared_elsewhere(struct shard *s, void *arg)
{
    struct prep_copy *pc = arg;
    prepared_add(s, pc->id, pc->query, pc->qlen, pc->keyspace, 0);
    mem_free(pc->query);
    mem_free(pc->keyspace);
    mem_free(pc);
}

struct cql_prepared *prepared_add(struct shard *s, const uint8_t id[16], const char *query,
                                  size_t qlen, const char *keyspace, int broadcast)
{
    struct cql_shard *cs = s->cql;
    struct cql_prepared *p = prepared_find(cs, id);
    if (p) {
        p->last_used = ++cs->clock;
    } else {
        if (cs->n_used >= cs->n_slots * 3 / 4) evict_lru(cs);
        p = mem_calloc(1, sizeof(*p));
        if (!p) return NULL;
        memcpy(p->id, id, 16);
        arena_init(&p->arena, 4096);
        p->query = mem_strndup(query, qlen);
        p->keyspace = mem_strndup(keyspace, strlen(keyspace));
        char *text = p->query ? arena_strndup(&p->arena, query, qlen) : NULL;
        cql_parse_error pe;
        if (!p->keyspace || !text || cql_parse(text, qlen, &p->arena, &p->stmt, &pe) != 0) {
            entry_free(p);
            return NULL;
        }
        p->last_used = ++cs->clock;
        unsigned i = slot_of(id, cs->n_slots);
        while (cs->slots[i])
            i = (i + 1) & (unsigned)(cs->n_slots - 1);
        cs->slots[i] = p;
        cs->n_used++;
    }
    if (broadcast) {
        for (int k = 0; k < s->n_shards; k++) {
            if (k == s->id) continue;
            struct prep_copy *pc = mem_calloc(1, sizeof(*pc));
            if (!pc) break;
            memcpy(pc->id, id, 16);
            pc->query = mem_strndup(query, qlen);
            pc->qlen = qlen;
            pc->keyspace = mem_strndup(keyspace, strlen(keyspace));
            if (!pc->query || !pc->keyspace || shard_send(s, k, on_prepared_elsewhere, pc) < 0) {
                mem_free(pc->query);
                mem_free(pc->keyspace);
                mem_free(pc);
                log_warn("prepared statement not copied to shard %d (out of memory)", k);
            }
        }
    }
    return p;
}
