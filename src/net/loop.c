/*
 * loop.c -- backend-independent part of the event loop: the timer heap and
 * the run loop. See loop.h for the invariants.
 *
 * One iteration:
 *   1. before_wait hook (drains cross-shard queues; may forbid sleeping)
 *   2. backend poll with a timeout = time to the next timer (0 if no_sleep)
 *   3. fire every timer whose deadline has passed
 */
#include "net/loop.h"
#include "util/mem.h"

#include <errno.h>
#include <time.h>

uint64_t loop_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int loop_init(loop *l)
{
    *l = (loop){0};
    l->be = &loop_epoll_backend;
    l->fd = -1;
    l->now_ns = loop_monotonic_ns();
    return l->be->init(l);
}

void loop_destroy(loop *l)
{
    if (l->be) l->be->destroy(l);
    mem_free(l->heap);
    l->heap = NULL;
    l->n_heap = l->cap_heap = 0;
}

int loop_add(loop *l, struct loop_io *h, int fd, unsigned events, loop_io_fn fn, void *arg)
{
    h->fd = fd;
    h->events = events;
    h->fn = fn;
    h->arg = arg;
    return l->be->add(l, h);
}

int loop_mod(loop *l, struct loop_io *h, unsigned events)
{
    if (h->events == events) return 0;
    h->events = events;
    return l->be->mod(l, h);
}

void loop_del(loop *l, struct loop_io *h)
{
    if (h->fd >= 0) l->be->del(l, h);
}

/* ---- timer heap (min-heap on deadline) ---- */

static void heap_swap(loop *l, size_t a, size_t b)
{
    struct loop_timer *t = l->heap[a];
    l->heap[a] = l->heap[b];
    l->heap[b] = t;
    l->heap[a]->heap_idx = a;
    l->heap[b]->heap_idx = b;
}

static void heap_up(loop *l, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (l->heap[p]->deadline_ns <= l->heap[i]->deadline_ns) break;
        heap_swap(l, p, i);
        i = p;
    }
}

static void heap_down(loop *l, size_t i)
{
    for (;;) {
        size_t c = 2 * i + 1, m = i;
        if (c < l->n_heap && l->heap[c]->deadline_ns < l->heap[m]->deadline_ns) m = c;
        if (c + 1 < l->n_heap && l->heap[c + 1]->deadline_ns < l->heap[m]->deadline_ns) m = c + 1;
        if (m == i) break;
        heap_swap(l, i, m);
        i = m;
    }
}

void loop_timer_init(struct loop_timer *t, loop_timer_fn fn, void *arg)
{
    t->deadline_ns = 0;
    t->heap_idx = (size_t)-1;
    t->fn = fn;
    t->arg = arg;
}

void loop_timer_cancel(loop *l, struct loop_timer *t)
{
    size_t i = t->heap_idx;
    if (i == (size_t)-1) return;
    l->n_heap--;
    if (i != l->n_heap) {
        l->heap[i] = l->heap[l->n_heap];
        l->heap[i]->heap_idx = i;
        heap_down(l, i);
        heap_up(l, i);
    }
    t->heap_idx = (size_t)-1;
}

int loop_timer_arm(loop *l, struct loop_timer *t, uint64_t delay_ms)
{
    loop_timer_cancel(l, t);
    if (l->n_heap == l->cap_heap) {
        size_t ncap = l->cap_heap ? l->cap_heap * 2 : 64;
        struct loop_timer **nh = mem_realloc(l->heap, ncap * sizeof(*nh));
        if (!nh) return -1;
        l->heap = nh;
        l->cap_heap = ncap;
    }
    t->deadline_ns = loop_monotonic_ns() + delay_ms * 1000000ull;
    t->heap_idx = l->n_heap;
    l->heap[l->n_heap++] = t;
    heap_up(l, t->heap_idx);
    return 0;
}

uint64_t loop_now_ns(loop *l)
{
    return l->now_ns;
}

static void fire_timers(loop *l)
{
    l->now_ns = loop_monotonic_ns();
    while (l->n_heap && l->heap[0]->deadline_ns <= l->now_ns) {
        struct loop_timer *t = l->heap[0];
        loop_timer_cancel(l, t);
        t->fn(l, t->arg);
    }
}

void loop_run_once(loop *l, int max_wait_ms)
{
    l->no_sleep = 0;
    if (l->before_wait) l->before_wait(l, l->before_wait_arg);
    int timeout = max_wait_ms;
    if (l->no_sleep || l->stop) {
        timeout = 0;
    } else if (l->n_heap) {
        uint64_t now = loop_monotonic_ns();
        uint64_t d = l->heap[0]->deadline_ns;
        uint64_t ms = d > now ? (d - now + 999999) / 1000000 : 0;
        if (timeout < 0 || ms < (uint64_t)timeout) timeout = (int)(ms > 60000 ? 60000 : ms);
    }
    l->be->poll(l, timeout);
    fire_timers(l);
}

int loop_run(loop *l)
{
    while (!l->stop)
        loop_run_once(l, -1);
    return 0;
}

void loop_stop(loop *l)
{
    l->stop = 1;
}
