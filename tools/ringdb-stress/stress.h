/*
 * stress.h -- shared declarations of ringdb-stress, a cassandra-stress-like
 * load generator over the CQL native protocol (src/client).
 *
 *   opts.c  the command line (cassandra-stress syntax) -> struct st_opts
 *   hist.c  a log-linear latency histogram (HDR-style, ~3% resolution)
 *   main.c  schema, connections, worker threads, progress and summary
 *
 * Every non-static name carries the prefix st_ (sthist_ for histograms).
 */
#ifndef RINGDB_TOOLS_STRESS_H
#define RINGDB_TOOLS_STRESS_H

#include <stdint.h>
#include <stdio.h>

#define ST_VERSION "ringdb-stress 1.0.0"

/* ---- histogram ---------------------------------------------------------- */

/* Values are nanoseconds. 64 powers of two x 32 linear sub-buckets: every
 * value is within 1/32 (~3%) of its bucket's upper edge. */
#define STHIST_SUB_BITS 5
#define STHIST_SUB      (1 << STHIST_SUB_BITS)
#define STHIST_N        (64 * STHIST_SUB)

typedef struct sthist {
    uint64_t count[STHIST_N];
    uint64_t total; /* number of values */
    uint64_t max;
    double sum; /* for the mean */
} sthist;

void sthist_reset(sthist *h);
void sthist_add(sthist *h, uint64_t v);
void sthist_merge(sthist *into, const sthist *from);
/* The value at percentile pct (0..100]: the upper edge of the bucket holding
 * it, capped at the maximum. 0 when empty. */
uint64_t sthist_pct(const sthist *h, double pct);
double sthist_mean(const sthist *h);

/* ---- options ------------------------------------------------------------ */

enum { ST_WRITE, ST_READ, ST_MIXED, ST_COUNTER_WRITE, ST_COUNTER_READ };
enum { ST_POP_SEQ, ST_POP_UNIFORM, ST_POP_GAUSSIAN, ST_POP_ZIPF };

#define ST_MAX_HOSTS 16

typedef struct st_opts {
    int command;                    /* ST_WRITE ... */
    int64_t n;                      /* operations; 0: run for duration */
    double duration_s;              /* with n == 0 */
    double ratio_write, ratio_read; /* mixed */
    int consistency;
    const char *hosts[ST_MAX_HOSTS];
    int n_hosts;
    int port;
    int threads;     /* requests in flight, in total */
    int conns;       /* connections (one thread each) */
    double throttle; /* ops/s in total; 0: unlimited */
    int col_n;       /* columns C0..C{n-1} */
    int col_size;    /* bytes per column value */
    int key_size;    /* bytes per key (10, like cassandra-stress) */
    int pop;         /* ST_POP_* */
    int64_t pop_lo, pop_hi;
    double pop_mean, pop_stdev; /* gaussian */
    double zipf_s;              /* zipf exponent */
    const char *user, *password;
    int version; /* 0 negotiates */
    const char *keyspace;
    const char *strategy;
    int rf;
    const char *table; /* NULL: standard1 / counter1 */
    int user_table;    /* -table given */
    double interval_s; /* progress line period */
} st_opts;

/* Parses argv into *o. Returns 0 and fills o; 1 after printing help
 * (exit 0); -1 after printing "ringdb-stress: error: ..." and the usage to
 * stderr (exit 2). Strings in o point into argv or static storage. */
int st_parse_args(int argc, char **argv, st_opts *o);
void st_usage(FILE *f);

#endif
