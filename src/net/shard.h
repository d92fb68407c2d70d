/*
 * shard -- the shard-per-core runtime (DESIGN.md §4).
 *
 * A shard group is N shard threads. Each shard owns an event loop, its own
 * SO_REUSEPORT listening socket on the node's CQL address (the kernel spreads
 * new connections over the shards), an eventfd to be woken by other shards,
 * and one incoming SPSC queue per other shard. Shards share nothing mutable:
 * they talk only through shard_send().
 *
 * The layers above plug in through `struct shard_hooks`; their per-shard
 * state hangs off shard->transport, ->cql and ->service.
 *
 * Life cycle (main thread):  shard_group_init -> shard_group_start ->
 *   (serving) -> shard_group_stop -> shard_group_join -> shard_group_destroy
 * Life cycle (one shard thread):
 *   hooks->start -> READY -> serving ... stop flag seen -> hooks->drain ->
 *   (layers finish in-flight work, call shard_drain_done) -> hooks->stop -> exit
 *
 * Invariants:
 *  (1) every field of struct shard except `sleeping` and the queues' indexes
 *      is touched only by its own thread after start;
 *  (2) a message sent with shard_send(from, to, ...) runs on `to`, in send
 *      order for the same (from, to) pair, never lost: when the ring is full
 *      it waits in from's overflow list and is retried every iteration;
 *  (3) a shard sleeping in poll is woken by an eventfd write whenever a
 *      message is published for it (Dekker-style flag + seq_cst fences).
 */
#ifndef RINGDB_NET_SHARD_H
#define RINGDB_NET_SHARD_H

#include "net/loop.h"
#include "net/xq.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

struct shard;
struct shard_group;

struct shard_hooks {
    /* On the shard thread before it serves; 0 ok, -1 fails the start. */
    int (*start)(struct shard *s);
    /* A new connection; the hook owns fd from now on (non-blocking, CLOEXEC). */
    void (*accept)(struct shard *s, int fd, const struct sockaddr_storage *peer);
    /* Stop requested; listener already closed. Finish in-flight work, then
     * call shard_drain_done(s). */
    void (*drain)(struct shard *s);
    /* On the shard thread after its loop ended; free what start made. */
    void (*stop)(struct shard *s);
};

struct xq_overflow; /* messages waiting for room in a full ring */
struct worker;      /* the shard's helper thread (worker.c) */

struct shard {
    int id;
    int n_shards;
    struct shard_group *group;
    pthread_t thread;
    loop loop;
    int listen_fd;
    struct loop_io listen_io;
    int wake_fd;
    struct loop_io wake_io;
    _Atomic int sleeping;          /* invariant (3): set before poll, cleared after */
    struct xq *in;                 /* in[from]: ring written by shard `from` */
    struct xq_overflow **overflow; /* overflow[to]: head of FIFO waiting for room */
    struct xq_overflow **overflow_tail;
    int draining;
    int drained;
    struct worker *worker; /* helper thread for blocking work (worker.c) */
    uint64_t n_accepted;   /* stats */
    uint64_t n_msgs_in;
    /* The upper layers' per-shard state, one slot per layer (each layer
     * owns and frees its own). */
    void *transport;
    void *cql;
    void *service;
    void *db;
};

struct shard_group {
    int n;
    struct shard *shards;
    const struct shard_hooks *hooks;
    void *hooks_arg;              /* immutable, shared: e.g. the node's config */
    struct sockaddr_storage addr; /* CQL listen address */
    socklen_t addr_len;
    _Atomic int n_started;
    _Atomic int n_failed;
    _Atomic int stop;
};

/* Creates the shards, their queues and their listening sockets (bound and
 * listening, so address errors are reported here, in errbuf). 0 ok, -1 error. */
int shard_group_init(struct shard_group *g, int n, const struct shard_hooks *hooks, void *hooks_arg,
                     const char *address, int port, char *errbuf, size_t errsz);
/* Starts the threads and waits until every shard ran hooks->start. */
int shard_group_start(struct shard_group *g, char *errbuf, size_t errsz);
/* Any thread (signal-safe apart from eventfd write): ask every shard to stop. */
void shard_group_stop(struct shard_group *g);
void shard_group_join(struct shard_group *g);
void shard_group_destroy(struct shard_group *g);

/* Runs fn(to_shard, arg) on shard `to` (may be from->id). 0 ok, -1 OOM. */
int shard_send(struct shard *from, int to, xq_fn fn, void *arg);
void shard_drain_done(struct shard *s);

/* Number of online CPUs (the default shard count). */
int shard_default_count(void);

#endif
