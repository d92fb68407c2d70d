/*
 * bench_murmur3 -- tokens per second for 16-byte keys (one body block, no
 * tail) and, for comparison, 7-byte and 40-byte keys. Prints figures only;
 * never fails on speed.
 *
 *   make bench && build/bench/bench_murmur3 [n_keys]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "util/murmur3.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run(size_t key_len, long n)
{
    enum { N_KEYS = 1024 };
    static uint8_t keys[N_KEYS][64];
    for (size_t i = 0; i < N_KEYS; i++)
        for (size_t j = 0; j < sizeof(keys[i]); j++)
            keys[i][j] = (uint8_t)((i * 2654435761u) >> (j % 24)) ^ (uint8_t)j;

    int64_t sink = 0;
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        /* Independent keys (throughput); the sum keeps the calls alive. */
        sink += mm3_token(keys[i & (N_KEYS - 1)], key_len);
    }
    double dt = now_s() - t0;
    printf("mm3_token %2zu-byte keys: %ld tokens in %.3f s = %.1f M tokens/s (%.2f ns/token) "
           "[sink %lld]\n",
           key_len, n, dt, (double)n / dt / 1e6, dt * 1e9 / (double)n, (long long)sink);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 50000000L;
    if (n <= 0) n = 50000000L;
    run(16, n);
    run(7, n);
    run(40, n);
    return 0;
}
