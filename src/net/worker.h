/*
 * worker -- each shard's helper thread for work that would block its event
 * loop (bcrypt, fsync, large reads): DESIGN.md §4.
 *
 * A job is submitted by the shard, run on its worker thread, and completed
 * back on the shard: work(arg) runs on the worker, then done(shard, arg)
 * runs on the shard's own thread. Jobs run one at a time, in submission
 * order. Two SPSC rings (shard -> worker, worker -> shard) carry them; the
 * worker sleeps on an eventfd and wakes the shard through the shard's
 * eventfd, like any cross-shard message.
 *
 * Invariants:
 *  (1) `work` never touches shard state (it runs on another thread); it
 *      owns `arg` until it returns, then `done` owns it;
 *  (2) every submitted job's `done` runs exactly once, also at shutdown
 *      (the worker drains its queue before it exits).
 */
#ifndef RINGDB_NET_WORKER_H
#define RINGDB_NET_WORKER_H

struct shard;

typedef void (*worker_work_fn)(void *arg);
typedef void (*worker_done_fn)(struct shard *s, void *arg);

/* Submits a job from shard s. 0 ok, -1 out of memory (nothing submitted). */
int worker_submit(struct shard *s, worker_work_fn work, worker_done_fn done, void *arg);

/* For shard.c: run completions (1: more may be ready), idle check, and
 * the final drain + join at stop. */
int worker_poll(struct shard *s);
int worker_idle(struct shard *s);
void worker_stop(struct shard *s);

#endif
