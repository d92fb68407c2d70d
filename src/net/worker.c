/*
 * worker.c -- the per-shard helper thread (see worker.h).
 *
 * The worker is started lazily by the first job, so shards that never
 * block pay nothing. Jobs flow: shard pushes to `todo` (SPSC, shard ->
 * worker) and writes the worker's eventfd; the worker runs `work`, pushes
 * the job to `done` (SPSC, worker -> shard) and wakes the shard with a
 * message-less eventfd write; the shard drains `done` in its loop through a
 * message it sends itself (worker_poll below is called from shard.c's pump).
 */
#include "net/worker.h"
#include "net/shard.h"
#include "util/log.h"
#include "util/mem.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct job {
    worker_work_fn work;
    worker_done_fn done;
    void *arg;
};

struct worker {
    struct shard *shard;
    pthread_t thread;
    int wake_fd; /* wakes the worker */
    struct xq todo, done;
    struct job **pending; /* jobs that found `todo` full, FIFO (shard side) */
    int n_pending, cap_pending;
    _Atomic int stop;
    _Atomic int sleeping;
    int started;
};

/* The rings carry struct job pointers in xq_msg.arg; fn is unused. */
static void unused_fn(struct shard *s, void *arg)
{
}

static void wake_shard(struct shard *s)
{
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&s->sleeping, memory_order_relaxed)) {
        uint64_t one = 1;
        ssize_t w = write(s->wake_fd, &one, sizeof(one));
        (void)w;
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    log_set_thread_shard(w->shard->id);
    for (;;) {
        struct xq_msg m;
        int did = 0;
        while (xq_pop(&w->todo, &m)) {
            struct job *j = m.arg;
            j->work(j->arg);
            while (!xq_push(&w->done, unused_fn, j))
                usleep(100); /* shard is behind */
            wake_shard(w->shard);
            did = 1;
        }
        if (did) continue;
        if (atomic_load(&w->stop) && xq_empty(&w->todo)) break;
        atomic_store(&w->sleeping, 1);
        atomic_thread_fence(memory_order_seq_cst);
        if (xq_empty(&w->todo) && !atomic_load(&w->stop)) {
            uint64_t v;
            ssize_t r = read(w->wake_fd, &v, sizeof(v));
            (void)r;
        }
        atomic_store(&w->sleeping, 0);
    }
    return NULL;
}

static struct worker *worker_get(struct shard *s)
{
    if (s->worker) return s->worker;
    struct worker *w = mem_calloc(1, sizeof(*w));
    if (!w) return NULL;
    w->shard = s;
    w->wake_fd = eventfd(0, EFD_CLOEXEC); /* blocking: the worker sleeps in read */
    if (w->wake_fd < 0 || xq_init(&w->todo, 1024) < 0 || xq_init(&w->done, 1024) < 0) goto fail;
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) goto fail;
    w->started = 1;
    s->worker = w;
    return w;
fail:
    if (w->wake_fd >= 0) close(w->wake_fd);
    xq_destroy(&w->todo);
    xq_destroy(&w->done);
    mem_free(w);
    return NULL;
}

static void wake_worker(struct worker *w)
{
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load(&w->sleeping)) {
        uint64_t one = 1;
        ssize_t r = write(w->wake_fd, &one, sizeof(one));
        (void)r;
    }
}

int worker_submit(struct shard *s, worker_work_fn work, worker_done_fn done, void *arg)
{
    struct worker *w = worker_get(s);
    if (!w) return -1;
    struct job *j = mem_alloc(sizeof(*j));
    if (!j) return -1;
    *j = (struct job){work, done, arg};
    if (w->n_pending || !xq_push(&w->todo, unused_fn, j)) {
        if (w->n_pending == w->cap_pending) {
            int nc = w->cap_pending ? w->cap_pending * 2 : 16;
            struct job **np = mem_realloc(w->pending, sizeof(*np) * (size_t)nc);
            if (!np) {
                mem_free(j);
                return -1;
            }
            w->pending = np;
            w->cap_pending = nc;
        }
        w->pending[w->n_pending++] = j;
    }
    wake_worker(w);
    return 0;
}

/* Shard side, every loop iteration: completions, and jobs that waited for
 * room. Returns 1 if there may be more to do without sleeping. */
int worker_poll(struct shard *s)
{
    struct worker *w = s->worker;
    if (!w) return 0;
    int k = 0;
    while (k < w->n_pending && xq_push(&w->todo, unused_fn, w->pending[k]))
        k++;
    if (k) {
        memmove(w->pending, w->pending + k, sizeof(*w->pending) * (size_t)(w->n_pending - k));
        w->n_pending -= k;
        wake_worker(w);
    }
    struct xq_msg m;
    int n = 0;
    while (n < 256 && xq_pop(&w->done, &m)) {
        struct job *j = m.arg;
        j->done(s, j->arg);
        mem_free(j);
        n++;
    }
    return n == 256 || w->n_pending > 0;
}

int worker_idle(struct shard *s)
{
    struct worker *w = s->worker;
    return !w || (w->n_pending == 0 && xq_empty(&w->done) &&
                  atomic_load(&w->todo.tail) == atomic_load(&w->todo.head));
}

/* Shard side, at stop: finish every job (invariant 2), join, free. */
void worker_stop(struct shard *s)
{
    struct worker *w = s->worker;
    if (!w) return;
    while (w->n_pending) {
        worker_poll(s);
        usleep(100);
    }
    atomic_store(&w->stop, 1);
    uint64_t one = 1;
    ssize_t r = write(w->wake_fd, &one, sizeof(one));
    (void)r;
    pthread_join(w->thread, NULL);
    worker_poll(s);
    close(w->wake_fd);
    xq_destroy(&w->todo);
    xq_destroy(&w->done);
    mem_free(w->pending);
    mem_free(w);
    s->worker = NULL;
}
