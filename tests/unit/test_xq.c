/*
 * test_xq.c -- the cross-shard SPSC queue and shard-to-shard delivery.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "net/shard.h"
#include "net/worker.h"
#include "net/xq.h"
#include "util/mem.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

static void noop(struct shard *s, void *arg)
{
}

static void test_capacity_must_be_power_of_two(void **st)
{
    struct xq q;
    assert_int_equal(xq_init(&q, 3), -1);
    assert_int_equal(xq_init(&q, 0), -1);
    assert_int_equal(xq_init(&q, 8), 0);
    xq_destroy(&q);
}

static void test_fifo_and_full(void **st)
{
    struct xq q;
    assert_int_equal(xq_init(&q, 8), 0);
    assert_true(xq_empty(&q));
    for (uintptr_t i = 0; i < 8; i++)
        assert_true(xq_push(&q, noop, (void *)(i + 1)));
    assert_false(xq_push(&q, noop, (void *)99)); /* full */
    struct xq_msg m;
    for (uintptr_t i = 0; i < 8; i++) {
        assert_true(xq_pop(&q, &m));
        assert_ptr_equal(m.arg, (void *)(i + 1));
        assert_ptr_equal(m.fn, noop);
    }
    assert_false(xq_pop(&q, &m));
    assert_true(xq_empty(&q));
    /* wrap around many times */
    for (uintptr_t i = 0; i < 1000; i++) {
        assert_true(xq_push(&q, noop, (void *)i));
        assert_true(xq_pop(&q, &m));
        assert_ptr_equal(m.arg, (void *)i);
    }
    xq_destroy(&q);
}

#define N_MSGS 2000000u

struct two_threads {
    struct xq q;
    atomic_int done;
    uint64_t sum, n;
    int order_ok;
};

static void *producer(void *arg)
{
    struct two_threads *t = arg;
    for (uintptr_t i = 1; i <= N_MSGS; i++)
        while (!xq_push(&t->q, noop, (void *)i)) {
        }
    return NULL;
}

static void test_two_threads_no_loss_in_order(void **st)
{
    struct two_threads t = {.order_ok = 1};
    assert_int_equal(xq_init(&t.q, 1024), 0);
    pthread_t p;
    pthread_create(&p, NULL, producer, &t);
    uintptr_t expect = 1;
    struct xq_msg m;
    while (expect <= N_MSGS) {
        if (!xq_pop(&t.q, &m)) continue;
        if ((uintptr_t)m.arg != expect) t.order_ok = 0;
        t.sum += (uintptr_t)m.arg;
        expect++;
    }
    pthread_join(p, NULL);
    assert_true(t.order_ok);
    assert_true(t.sum == (uint64_t)N_MSGS * (N_MSGS + 1) / 2);
    assert_false(xq_pop(&t.q, &m));
    xq_destroy(&t.q);
}

/* ---- shard group: messages between real shard threads ---- */

#define PINGS 20000

static atomic_int pongs;

static void on_pong(struct shard *s, void *arg)
{
    atomic_fetch_add(&pongs, 1);
}

static void on_ping(struct shard *s, void *arg)
{
    int from = (int)(intptr_t)arg;
    shard_send(s, from, on_pong, NULL);
}

static void kick(struct shard *s, void *arg)
{
    /* runs on shard 0: fire PINGS pings at shard 1 (overflows the ring) */
    for (int i = 0; i < PINGS; i++)
        shard_send(s, 1, on_ping, (void *)(intptr_t)s->id);
}

static int h_start(struct shard *s)
{
    if (s->id == 0) shard_send(s, 0, kick, NULL);
    return 0;
}

static void h_accept(struct shard *s, int fd, const struct sockaddr_storage *peer)
{
    close(fd);
}

static void h_drain(struct shard *s)
{
    shard_drain_done(s);
}

static void h_stop(struct shard *s)
{
}

static const struct shard_hooks hooks = {h_start, h_accept, h_drain, h_stop};

static void test_shards_ping_pong_with_overflow(void **st)
{
    struct shard_group g;
    char err[256];
    atomic_store(&pongs, 0);
    assert_int_equal(shard_group_init(&g, 2, &hooks, NULL, "127.0.0.1", 0, err, sizeof(err)), 0);
    assert_int_equal(shard_group_start(&g, err, sizeof(err)), 0);
    for (int i = 0; i < 5000 && atomic_load(&pongs) < PINGS; i++)
        usleep(1000);
    assert_int_equal(atomic_load(&pongs), PINGS);
    shard_group_stop(&g);
    shard_group_join(&g);
    shard_group_destroy(&g);
}

static void test_listen_error_is_reported(void **st)
{
    struct shard_group g;
    char err[256];
    assert_int_equal(shard_group_init(&g, 1, &hooks, NULL, "not-an-address", 0, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "invalid address"));
}

/* ---- worker: blocking jobs run off the shard, completions on it ---- */

#define JOBS 5000
static atomic_int worked, completed, wrong_thread;
static pthread_t shard0_thread;

static void job_work(void *arg)
{
    if (pthread_equal(pthread_self(), shard0_thread)) atomic_fetch_add(&wrong_thread, 1);
    atomic_fetch_add(&worked, 1);
}

static void job_done(struct shard *s, void *arg)
{
    if (!pthread_equal(pthread_self(), shard0_thread)) atomic_fetch_add(&wrong_thread, 1);
    if ((intptr_t)arg != atomic_load(&completed)) atomic_fetch_add(&wrong_thread, 1); /* order */
    atomic_fetch_add(&completed, 1);
}

static void submit_jobs(struct shard *s, void *arg)
{
    shard0_thread = pthread_self();
    for (intptr_t i = 0; i < JOBS; i++)
        worker_submit(s, job_work, job_done, (void *)i);
}

static int w_start(struct shard *s)
{
    if (s->id == 0) shard_send(s, 0, submit_jobs, NULL);
    return 0;
}

static const struct shard_hooks worker_hooks = {w_start, h_accept, h_drain, h_stop};

static void test_worker_jobs_complete_on_shard_in_order(void **st)
{
    struct shard_group g;
    char err[256];
    atomic_store(&worked, 0);
    atomic_store(&completed, 0);
    assert_int_equal(shard_group_init(&g, 1, &worker_hooks, NULL, "127.0.0.1", 0, err, sizeof(err)),
                     0);
    assert_int_equal(shard_group_start(&g, err, sizeof(err)), 0);
    for (int i = 0; i < 5000 && atomic_load(&completed) < JOBS; i++)
        usleep(1000);
    shard_group_stop(&g);
    shard_group_join(&g);
    shard_group_destroy(&g);
    assert_int_equal(atomic_load(&worked), JOBS);
    assert_int_equal(atomic_load(&completed), JOBS);
    assert_int_equal(atomic_load(&wrong_thread), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capacity_must_be_power_of_two),
        cmocka_unit_test(test_fifo_and_full),
        cmocka_unit_test(test_two_threads_no_loss_in_order),
        cmocka_unit_test(test_shards_ping_pong_with_overflow),
        cmocka_unit_test(test_listen_error_is_reported),
        cmocka_unit_test(test_worker_jobs_complete_on_shard_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
