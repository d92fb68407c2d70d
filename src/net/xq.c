/*
 * xq.c -- see xq.h for the protocol and invariants.
 */
#include "net/xq.h"
#include "util/mem.h"

int xq_init(struct xq *q, size_t cap)
{
    if (cap < 2 || (cap & (cap - 1))) return -1;
    q->slot = mem_calloc(cap, sizeof(*q->slot));
    if (!q->slot) return -1;
    atomic_init(&q->head, 0);
    atomic_init(&q->tail, 0);
    q->head_cache = q->tail_cache = 0;
    q->mask = cap - 1;
    return 0;
}

void xq_destroy(struct xq *q)
{
    mem_free(q->slot);
    q->slot = NULL;
}

bool xq_push(struct xq *q, xq_fn fn, void *arg)
{
    uint64_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
    if (t - q->head_cache > q->mask) {
        q->head_cache = atomic_load_explicit(&q->head, memory_order_acquire);
        if (t - q->head_cache > q->mask) return false; /* invariant (3) */
    }
    q->slot[t & q->mask] = (struct xq_msg){fn, arg};
    atomic_store_explicit(&q->tail, t + 1, memory_order_release); /* invariant (2) */
    return true;
}

bool xq_pop(struct xq *q, struct xq_msg *out)
{
    uint64_t h = atomic_load_explicit(&q->head, memory_order_relaxed);
    if (h == q->tail_cache) {
        q->tail_cache = atomic_load_explicit(&q->tail, memory_order_acquire);
        if (h == q->tail_cache) return false;
    }
    *out = q->slot[h & q->mask];
    atomic_store_explicit(&q->head, h + 1, memory_order_release);
    return true;
}

bool xq_empty(struct xq *q)
{
    uint64_t h = atomic_load_explicit(&q->head, memory_order_relaxed);
    return h == atomic_load_explicit(&q->tail, memory_order_acquire);
}
