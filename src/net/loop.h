/*
 * loop -- one shard's event loop: file descriptor readiness, timers, and a
 * hook run before each wait (the shard drains its cross-shard queues there).
 *
 * The mechanism (epoll today, io_uring later) sits behind `struct
 * loop_backend` in its own file (loop_epoll.c), as nginx's event actions and
 * Redis's ae_*.c do. Everything else here is backend-independent.
 *
 * Invariants:
 *  (1) a loop is created, run and destroyed by one thread; no call is
 *      thread-safe;
 *  (2) a struct loop_io or loop_timer is owned by the caller and must stay
 *      valid while registered; loop_del/loop_timer_cancel may be called from
 *      inside any callback, including the handle's own;
 *  (3) timers fire in deadline order; a timer fires at most once per arming.
 */
#ifndef RINGDB_NET_LOOP_H
#define RINGDB_NET_LOOP_H

#include <stddef.h>
#include <stdint.h>

#define LOOP_READ  0x1u
#define LOOP_WRITE 0x2u
#define LOOP_ERROR 0x4u /* reported only: hangup or error on the fd */

struct loop;
typedef void (*loop_io_fn)(struct loop *l, void *arg, unsigned events);
typedef void (*loop_timer_fn)(struct loop *l, void *arg);

struct loop_io {
    int fd;
    unsigned events; /* LOOP_READ | LOOP_WRITE currently wanted */
    loop_io_fn fn;
    void *arg;
};

struct loop_timer {
    uint64_t deadline_ns; /* CLOCK_MONOTONIC */
    size_t heap_idx;      /* position in the heap, SIZE_MAX when not armed */
    loop_timer_fn fn;
    void *arg;
};

struct loop_backend {
    const char *name;
    int (*init)(struct loop *l);
    void (*destroy)(struct loop *l);
    int (*add)(struct loop *l, struct loop_io *h);
    int (*mod)(struct loop *l, struct loop_io *h);
    void (*del)(struct loop *l, struct loop_io *h);
    /* Waits up to timeout_ms (-1: forever) and calls h->fn for each ready fd. */
    int (*poll)(struct loop *l, int timeout_ms);
};

typedef struct loop {
    const struct loop_backend *be;
    int fd;         /* backend's fd (epoll) */
    void *be_state; /* backend's private state */
    struct loop_timer **heap;
    size_t n_heap, cap_heap;
    uint64_t now_ns; /* cached monotonic time, refreshed every iteration */
    int stop;
    void (*before_wait)(struct loop *l, void *arg); /* may set *may_sleep = 0 via loop_no_sleep */
    void *before_wait_arg;
    int no_sleep;
} loop;

int loop_init(loop *l); /* 0 ok, -1 with errno */
void loop_destroy(loop *l);
int loop_add(loop *l, struct loop_io *h, int fd, unsigned events, loop_io_fn fn, void *arg);
int loop_mod(loop *l, struct loop_io *h, unsigned events);
void loop_del(loop *l, struct loop_io *h);

void loop_timer_init(struct loop_timer *t, loop_timer_fn fn, void *arg);
/* Arms (or re-arms) t to fire after delay_ms. 0 ok, -1 on OOM. */
int loop_timer_arm(loop *l, struct loop_timer *t, uint64_t delay_ms);
void loop_timer_cancel(loop *l, struct loop_timer *t);
static inline int loop_timer_armed(const struct loop_timer *t)
{
    return t->heap_idx != (size_t)-1;
}

/* Called by the before_wait hook when it found work: the next poll must not block. */
static inline void loop_no_sleep(loop *l)
{
    l->no_sleep = 1;
}
uint64_t loop_now_ns(loop *l);
uint64_t loop_monotonic_ns(void);

/* Runs until loop_stop(); returns 0. */
int loop_run(loop *l);
/* One iteration: before_wait, poll (at most max_wait_ms; -1 = until an event or timer), timers. */
void loop_run_once(loop *l, int max_wait_ms);
void loop_stop(loop *l);

extern const struct loop_backend loop_epoll_backend;

#endif
