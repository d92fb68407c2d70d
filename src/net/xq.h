/*
 * xq -- lock-free single-producer/single-consumer queue of cross-shard
 * messages (DESIGN.md §4). One xq exists for every ordered pair of shards
 * (from, to): only `from` pushes, only `to` pops.
 *
 * A message is a function to run on the receiving shard and its argument.
 * Ownership of whatever `arg` points to passes to the receiver with the
 * message (it sends it back, or frees it, as the protocol of that message
 * says).
 *
 * Invariants:
 *  (1) capacity is a power of two; head and tail only grow (mod 2^64);
 *  (2) the producer writes slot[tail] before publishing tail (release); the
 *      consumer reads slot[head] after observing tail (acquire), and frees a
 *      slot by publishing head (release);
 *  (3) head and tail live on separate cache lines, each side caches the
 *      other's index and rereads it only when the cached value says
 *      full/empty.
 */
#ifndef RINGDB_NET_XQ_H
#define RINGDB_NET_XQ_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct shard;
typedef void (*xq_fn)(struct shard *to, void *arg);

struct xq_msg {
    xq_fn fn;
    void *arg;
};

struct xq {
    alignas(64) _Atomic uint64_t head; /* consumer's index */
    uint64_t tail_cache;               /* consumer's copy of tail */
    alignas(64) _Atomic uint64_t tail; /* producer's index */
    uint64_t head_cache;               /* producer's copy of head */
    alignas(64) uint64_t mask;
    struct xq_msg *slot;
};

int xq_init(struct xq *q, size_t cap_pow2); /* 0 ok, -1 OOM or cap not a power of two */
void xq_destroy(struct xq *q);
bool xq_push(struct xq *q, xq_fn fn, void *arg); /* producer; false when full */
bool xq_pop(struct xq *q, struct xq_msg *out);   /* consumer; false when empty */
bool xq_empty(struct xq *q);                     /* consumer side */

#endif
