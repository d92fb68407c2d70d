/*
 * hist.c -- a small log-linear latency histogram in the spirit of
 * HdrHistogram: values below 32 get a bucket each; above, every power of
 * two [2^k, 2^(k+1)) is cut into 32 equal sub-buckets, so a reported
 * percentile is within ~3% of the true value. 2048 counters cover the
 * whole uint64 range; adding is a clz, a shift and an increment.
 *
 * Invariants:
 *   (1) total == sum of count[];
 *   (2) every value v added satisfies bucket_lo(index(v)) <= v <= edge(index(v)).
 *
 * Thread context: none of its own; callers serialise access.
 */
#include <stdio.h>
#include <string.h>

#include "stress.h"

static int index_of(uint64_t v)
{
    if (v < STHIST_SUB) return (int)v;
    int msb = 63 - __builtin_clzll(v);
    int shift = msb - STHIST_SUB_BITS;
    return (shift + 1) * STHIST_SUB + (int)((v >> shift) & (STHIST_SUB - 1));
}

/* The largest value that lands in bucket idx. */
static uint64_t edge_of(int idx)
{
    if (idx < STHIST_SUB) return (uint64_t)idx;
    int shift = idx / STHIST_SUB - 1;
    uint64_t sub = (uint64_t)(idx % STHIST_SUB) | STHIST_SUB;
    return ((sub + 1) << shift) - 1;
}

void sthist_reset(sthist *h)
{
    memset(h, 0, sizeof *h);
}

void sthist_add(sthist *h, uint64_t v)
{
    h->count[index_of(v)]++;
    h->total++;
    h->sum += (double)v;
    if (v > h->max) h->max = v;
}

void sthist_merge(sthist *into, const sthist *from)
{
    if (from->total == 0) return;
    for (int i = 0; i < STHIST_N; i++)
        into->count[i] += from->count[i];
    into->total += from->total;
    into->sum += from->sum;
    if (from->max > into->max) into->max = from->max;
}

uint64_t sthist_pct(const sthist *h, double pct)
{
    if (h->total == 0) return 0;
    uint64_t want = (uint64_t)((double)h->total * pct / 100.0 + 0.5);
    if (want == 0) want = 1;
    if (want > h->total) want = h->total;
    uint64_t seen = 0;
    for (int i = 0; i < STHIST_N; i++) {
        seen += h->count[i];
        if (seen >= want) return edge_of(i) < h->max ? edge_of(i) : h->max;
    }
    return h->max;
}

double sthist_mean(const sthist *h)
{
    return h->total ? h->sum / (double)h->total : 0.0;
}
