/*
 * bench_scan.c -- full-scan and filtering-scan figures for a running server.
 *
 *   build/bench/bench_scan [--host 127.0.0.1] [--port 9042] [--rows 1000000]
 *                          [--rows-per-partition 10] [--text-size 16]
 *                          [--connections 4] [--depth 128] [--page-size 5000]
 *                          [--runs 3] [--protocol 0|4|5] [--server-pid PID]
 *                          [--no-count] [--keep] [--no-load]
 *
 * Creates keyspace bench_scan and table
 *     bench_scan.t (k int, c int, v int, s text, PRIMARY KEY (k, c))
 * and loads --rows rows: row i has k = i / rows-per-partition,
 * c = i % rows-per-partition, v = (i * A + B) mod rows with A coprime to
 * rows (so v is a permutation of 0..rows-1, "uniform" and each value
 * exactly once) and s a --text-size ASCII string. The load uses a prepared
 * INSERT pipelined --depth deep on each of --connections connections (one
 * thread each) and prints rows/s.
 *
 * Then, each --runs times, on one connection, prepared, skip-metadata,
 * page size --page-size, following the paging state to the end:
 *   1. SELECT * FROM bench_scan.t: rows/s and MB/s of row data (the
 *      [bytes] cells of the Rows results: 4-byte length + value), checking
 *      the row count is exactly --rows and the sum of v is 0+1+...+rows-1;
 *   2. SELECT * FROM bench_scan.t WHERE v < rows/100 ALLOW FILTERING:
 *      scanned rows/s (--rows / time) and the result rows, checking they
 *      are exactly rows/100 with exactly the v values 0..rows/100-1;
 *   3. SELECT count(*) FROM bench_scan.t (unless --no-count): rows/s,
 *      checking the count.
 * Rows are decoded minimally: the client library splits each page into
 * cells (pointers, no copies of values); the bench reads only v.
 *
 * With --server-pid (bench/run_scan.sh passes it) it also prints the
 * server's VmRSS (/proc/PID/status) after each phase, the highest VmRSS
 * sampled every 20 ms during each phase, and the server's CPU time per
 * phase, so memory growth during scans shows. The table is dropped at the
 * end (timed: the memtable is freed on the shards) unless --keep;
 * --no-load reuses a table an earlier --keep run left (same --rows and
 * --rows-per-partition; the checks catch a mismatch).
 *
 * It never fails on speed; it exits non-zero when the server cannot be
 * reached, answers an ERROR, or a count or checksum is wrong.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "client/client.h"

#define MAX_CONNS 64
#define KS        "bench_scan"

/* ---- settings ------------------------------------------------------------ */

static const char *g_host = "127.0.0.1";
static int g_port = 9042;
static int64_t g_rows = 1000000;
static int g_rpp = 10; /* rows per partition */
static int g_text_size = 16;
static int g_conns = 4;
static int g_depth = 128;
static int g_page_size = 5000;
static int g_runs = 3;
static int g_protocol = 0;
static int g_server_pid = 0;
static int g_count = 1;
static int g_keep = 0;
static int g_load = 1;

static uint64_t g_perm_a, g_perm_b; /* v = (i * a + b) mod rows */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static int32_t v_of(int64_t i)
{
    return (int32_t)(((unsigned __int128)(uint64_t)i * g_perm_a + g_perm_b) % (uint64_t)g_rows);
}

static int32_t rd_int(const struct type_val *v)
{
    return v->len == 4 ? (int32_t)be32(v->p) : INT32_MIN;
}

/* ---- the server process: RSS and CPU ------------------------------------- */

/* VmRSS or VmHWM of the server in KiB, -1 when unknown. */
static long proc_kib(const char *field)
{
    if (g_server_pid <= 0) return -1;
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", g_server_pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long kib = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, field, n) && line[n] == ':') {
            kib = strtol(line + n + 1, NULL, 10);
            break;
        }
    fclose(f);
    return kib;
}

/* utime + stime of the server in seconds, -1 when unknown. */
static double proc_cpu_s(void)
{
    if (g_server_pid <= 0) return -1;
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", g_server_pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = 0;
    const char *p = strrchr(line, ')'); /* comm may contain spaces */
    if (!p) return -1;
    unsigned long ut = 0, st = 0;
    /* after ")": state(3) ... utime(14) stime(15) */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* A thread sampling the server's VmRSS every 20 ms; phase_begin() resets
 * the maximum, phase_end() prints it with the phase's CPU figures. */
static atomic_long g_rss_max;
static atomic_int g_sampler_stop;
static pthread_t g_sampler;
static double g_phase_srv_cpu, g_phase_cpu;

static void *sampler_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&g_sampler_stop)) {
        long kib = proc_kib("VmRSS");
        long cur = atomic_load(&g_rss_max);
        while (kib > cur && !atomic_compare_exchange_weak(&g_rss_max, &cur, kib)) {
        }
        usleep(20000);
    }
    return NULL;
}

static void phase_begin(void)
{
    atomic_store(&g_rss_max, proc_kib("VmRSS"));
    g_phase_srv_cpu = proc_cpu_s();
    g_phase_cpu = self_cpu_s();
}

/* Appends "  server cpu ... rss ..." to the current line. */
static void phase_end(double secs)
{
    double cpu = self_cpu_s() - g_phase_cpu;
    if (g_server_pid > 0) {
        long rss = proc_kib("VmRSS");
        long mx = atomic_load(&g_rss_max);
        if (rss > mx) mx = rss;
        double srv = proc_cpu_s() - g_phase_srv_cpu;
        printf("  | server cpu %5.2f s (%3.0f%%), bench cpu %5.2f s; server rss %6.1f MiB (max "
               "%6.1f)",
               srv, 100.0 * srv / secs, cpu, (double)rss / 1024.0, (double)mx / 1024.0);
    } else {
        printf("  | bench cpu %5.2f s", cpu);
    }
    printf("\n");
    fflush(stdout);
}

static void print_rss(const char *when)
{
    if (g_server_pid <= 0) return;
    printf("server rss %-22s %7.1f MiB (VmHWM %7.1f MiB)\n", when,
           (double)proc_kib("VmRSS") / 1024.0, (double)proc_kib("VmHWM") / 1024.0);
    fflush(stdout);
}

/* ---- connections ----------------------------------------------------------- */

static cqlc_conn *open_conn(void)
{
    cqlc_opts o = {
        .host = g_host, .port = g_port, .version = g_protocol, .request_timeout_ms = 600000};
    cqlc_conn *c = NULL;
    char err[256];
    if (cqlc_connect(&o, &c, err, sizeof err, NULL) != CQLC_OK) {
        fprintf(stderr, "bench_scan: cannot connect to %s:%d: %s\n", g_host, g_port, err);
        return NULL;
    }
    return c;
}

/* Reports a failed request; returns -1. */
static int req_failed(cqlc_conn *c, int rc, const cqlc_result *r, const char *what)
{
    if (rc == CQLC_ESERVER)
        fprintf(stderr, "bench_scan: %s: %s: %s\n", what, cqlc_error_class(r->err.code),
                r->err.message);
    else if (rc != CQLC_OK)
        fprintf(stderr, "bench_scan: %s: %s\n", what, cqlc_errmsg(c));
    else
        fprintf(stderr, "bench_scan: %s: unexpected result kind %d\n", what, r->kind);
    return -1;
}

static int simple(cqlc_conn *c, const char *cql)
{
    cqlc_result r;
    cqlc_result_init(&r);
    int rc = cqlc_query(c, cql, NULL, &r);
    int ret = rc == CQLC_OK ? 0 : req_failed(c, rc, &r, cql);
    cqlc_result_free(&r);
    return ret;
}

static int prepare(cqlc_conn *c, const char *cql, cqlc_result *out)
{
    int rc = cqlc_prepare(c, cql, out);
    if (rc != CQLC_OK || out->kind != CQLC_RES_PREPARED) return req_failed(c, rc, out, cql);
    return 0;
}

/* ---- load ------------------------------------------------------------------ */

static cqlc_result g_insert; /* prepared; read-only once the workers run */
static atomic_llong g_next_row;
static atomic_int g_failed;

#define CHUNK 1024 /* rows a worker claims at a time */

static void *load_main(void *arg)
{
    (void)arg;
    cqlc_conn *c = open_conn();
    cqlc_result res;
    cqlc_result_init(&res);
    uint8_t kb[4], cb[4], vb[4];
    char *sb = malloc((size_t)g_text_size + 1);
    if (!c || !sb) goto fail;
    struct type_val vals[4] = {{kb, 4}, {cb, 4}, {vb, 4}, {(uint8_t *)sb, g_text_size}};
    cqlc_qopts o;
    cqlc_qopts_init(&o);
    o.values = vals;
    o.n_values = 4;
    int64_t next = 0, end = 0;
    /* refill only when a batch of answers came back, so requests go out
     * in groups (one write per group, as the client flushes on receive) */
    int batch = g_depth / 8 > 0 ? g_depth / 8 : 1;
    for (;;) {
        if (cqlc_in_flight(c) <= g_depth - batch) {
            while (cqlc_in_flight(c) < g_depth && !atomic_load(&g_failed)) {
                if (next == end) {
                    next = atomic_fetch_add(&g_next_row, CHUNK);
                    if (next >= g_rows) {
                        next = end;
                        break;
                    }
                    end = next + CHUNK < g_rows ? next + CHUNK : g_rows;
                }
                int64_t i = next++;
                put_be32(kb, (uint32_t)(i / g_rpp));
                put_be32(cb, (uint32_t)(i % g_rpp));
                put_be32(vb, (uint32_t)v_of(i));
                for (int j = 0; j < g_text_size; j++)
                    sb[j] = (char)('a' + (i + j * 7) % 26);
                int16_t st;
                int rc = cqlc_send_execute(c, &g_insert, &o, &st);
                if (rc != CQLC_OK) {
                    req_failed(c, rc, &res, "INSERT");
                    goto fail;
                }
            }
        }
        if (cqlc_in_flight(c) == 0) break;
        int16_t st;
        int rc = cqlc_recv_any(c, &st, &res);
        if (rc != CQLC_OK || res.kind != CQLC_RES_VOID) {
            req_failed(c, rc, &res, "INSERT");
            goto fail;
        }
    }
    cqlc_result_free(&res);
    cqlc_close(c);
    free(sb);
    return NULL;
fail:
    atomic_store(&g_failed, 1);
    cqlc_result_free(&res);
    if (c) cqlc_close(c);
    free(sb);
    return NULL;
}

static int load(void)
{
    pthread_t th[MAX_CONNS];
    int started = 0;
    phase_begin();
    double t0 = now_s();
    for (int i = 0; i < g_conns; i++) {
        if (pthread_create(&th[i], NULL, load_main, NULL) != 0) {
            atomic_store(&g_failed, 1);
            break;
        }
        started++;
    }
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    double secs = now_s() - t0;
    if (atomic_load(&g_failed)) return -1;
    printf("load   %8lld rows  %7.2f s  %10.0f rows/s  (%d conn x %d in flight)", (long long)g_rows,
           secs, (double)g_rows / secs, g_conns, g_depth);
    phase_end(secs);
    return 0;
}

/* ---- scans ----------------------------------------------------------------- */

struct scan_out {
    int64_t rows;
    int64_t pages;
    uint64_t bytes; /* row data: 4 + value length per cell */
    uint64_t v_sum;
    int64_t v_bad; /* rows whose v is outside [0, v_limit) */
    double secs;
    double first_page_s;
};

/* Runs a prepared SELECT to its last page. v_col < 0: no v checks. */
static int scan(cqlc_conn *c, const cqlc_result *prep, int v_col, int32_t v_limit, cqlc_result *res,
                struct scan_out *out)
{
    memset(out, 0, sizeof *out);
    cqlc_qopts o;
    cqlc_qopts_init(&o);
    o.page_size = g_page_size;
    o.skip_metadata = 1;
    double t0 = now_s();
    for (;;) {
        int16_t st;
        /* o.paging_state points into res; cqlc_send_execute copies it into
         * the outgoing buffer before cqlc_recv_any reuses res */
        int rc = cqlc_send_execute(c, prep, &o, &st);
        if (rc == CQLC_OK) rc = cqlc_recv_any(c, &st, res);
        if (rc != CQLC_OK || res->kind != CQLC_RES_ROWS) return req_failed(c, rc, res, "SELECT");
        if (out->pages++ == 0) out->first_page_s = now_s() - t0;
        int nc = res->n_cols;
        size_t n_cells = (size_t)res->n_rows * (size_t)nc;
        uint64_t bytes = 4 * n_cells;
        for (size_t i = 0; i < n_cells; i++)
            if (res->cells[i].len > 0) bytes += (uint64_t)res->cells[i].len;
        out->bytes += bytes;
        if (v_col >= 0)
            for (int32_t i = 0; i < res->n_rows; i++) {
                int32_t v = rd_int(cqlc_cell(res, i, v_col));
                if (v < 0 || v >= v_limit)
                    out->v_bad++;
                else
                    out->v_sum += (uint64_t)v;
            }
        out->rows += res->n_rows;
        if (!res->has_more_pages) break;
        o.paging_state = res->paging_state;
        o.n_paging_state = res->n_paging_state;
    }
    out->secs = now_s() - t0;
    return 0;
}

static int col_index(const cqlc_result *prep, const char *name)
{
    for (int i = 0; i < prep->n_cols; i++)
        if (prep->cols && !strcmp(prep->cols[i].name, name)) return i;
    return -1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* "best" and "median" lines of a phase's run times. */
static void summary(const char *label, double *secs, int n, double rows_per_run, double bytes,
                    const char *unit)
{
    qsort(secs, (size_t)n, sizeof *secs, cmp_double);
    double med = n % 2 ? secs[n / 2] : (secs[n / 2 - 1] + secs[n / 2]) / 2;
    printf("%-6s median %7.3f s  %10.0f %s", label, med, rows_per_run / med, unit);
    if (bytes > 0) printf("  %7.1f MB/s", bytes / med / 1e6);
    printf("   best %7.3f s  %10.0f %s\n", secs[0], rows_per_run / secs[0], unit);
    fflush(stdout);
}

static int run_scans(cqlc_conn *c)
{
    cqlc_result p_all, p_filter, p_count, res;
    cqlc_result_init(&p_all);
    cqlc_result_init(&p_filter);
    cqlc_result_init(&p_count);
    cqlc_result_init(&res);
    int ret = -1;
    int32_t v_limit = (int32_t)(g_rows / 100);
    char filter_cql[160];
    snprintf(filter_cql, sizeof filter_cql, "SELECT * FROM " KS ".t WHERE v < %d ALLOW FILTERING",
             (int)v_limit);
    if (prepare(c, "SELECT * FROM " KS ".t", &p_all) || prepare(c, filter_cql, &p_filter)) goto out;
    if (g_count && prepare(c, "SELECT count(*) FROM " KS ".t", &p_count)) goto out;
    int v_all = col_index(&p_all, "v"), v_filter = col_index(&p_filter, "v");
    if (v_all < 0 || v_filter < 0) {
        fprintf(stderr, "bench_scan: no column v in the SELECT * metadata\n");
        goto out;
    }
    double *secs = calloc((size_t)g_runs, sizeof *secs);
    if (!secs) goto out;
    uint64_t want_sum = (uint64_t)g_rows * (uint64_t)(g_rows - 1) / 2;
    uint64_t want_fsum = (uint64_t)v_limit * (uint64_t)(v_limit - 1) / 2;
    struct scan_out so;
    double bytes = 0;

    printf("-- SELECT * FROM t  (page size %d)\n", g_page_size);
    for (int run = 0; run < g_runs; run++) {
        phase_begin();
        if (scan(c, &p_all, v_all, (int32_t)g_rows, &res, &so) < 0) goto out_secs;
        printf("scan   run %d  %7.3f s  %10.0f rows/s  %7.1f MB/s  %lld rows %lld pages, first "
               "page %5.1f ms",
               run + 1, so.secs, (double)so.rows / so.secs, (double)so.bytes / so.secs / 1e6,
               (long long)so.rows, (long long)so.pages, so.first_page_s * 1e3);
        phase_end(so.secs);
        if (so.rows != g_rows || so.v_bad || so.v_sum != want_sum) {
            fprintf(stderr,
                    "bench_scan: SELECT * returned %lld rows (want %lld), %lld bad v, v sum %llu "
                    "(want %llu)\n",
                    (long long)so.rows, (long long)g_rows, (long long)so.v_bad,
                    (unsigned long long)so.v_sum, (unsigned long long)want_sum);
            goto out_secs;
        }
        secs[run] = so.secs;
        bytes = (double)so.bytes;
    }
    summary("scan", secs, g_runs, (double)g_rows, bytes, "rows/s");
    print_rss("after SELECT *");

    printf("-- SELECT * FROM t WHERE v < %d ALLOW FILTERING  (keeps 1%%, page size %d)\n",
           (int)v_limit, g_page_size);
    for (int run = 0; run < g_runs; run++) {
        phase_begin();
        if (scan(c, &p_filter, v_filter, v_limit, &res, &so) < 0) goto out_secs;
        printf("filter run %d  %7.3f s  %10.0f scanned rows/s  %lld result rows %lld pages, "
               "first page %6.1f ms",
               run + 1, so.secs, (double)g_rows / so.secs, (long long)so.rows, (long long)so.pages,
               so.first_page_s * 1e3);
        phase_end(so.secs);
        if (so.rows != v_limit || so.v_bad || so.v_sum != want_fsum) {
            fprintf(stderr,
                    "bench_scan: filter returned %lld rows (want %d), %lld with v >= %d, v sum "
                    "%llu (want %llu)\n",
                    (long long)so.rows, (int)v_limit, (long long)so.v_bad, (int)v_limit,
                    (unsigned long long)so.v_sum, (unsigned long long)want_fsum);
            goto out_secs;
        }
        secs[run] = so.secs;
    }
    summary("filter", secs, g_runs, (double)g_rows, 0, "scanned rows/s");
    print_rss("after filtering");

    if (g_count) {
        printf("-- SELECT count(*) FROM t\n");
        for (int run = 0; run < g_runs; run++) {
            phase_begin();
            if (scan(c, &p_count, -1, 0, &res, &so) < 0) goto out_secs;
            int64_t n = so.rows == 1 && res.n_cols == 1 && res.cells[0].len == 8
                            ? (int64_t)be64(res.cells[0].p)
                            : -1;
            printf("count  run %d  %7.3f s  %10.0f rows/s  count %lld, %lld pages", run + 1,
                   so.secs, (double)g_rows / so.secs, (long long)n, (long long)so.pages);
            phase_end(so.secs);
            if (n != g_rows) {
                fprintf(stderr, "bench_scan: count(*) answered %lld (want %lld)\n", (long long)n,
                        (long long)g_rows);
                goto out_secs;
            }
            secs[run] = so.secs;
        }
        summary("count", secs, g_runs, (double)g_rows, 0, "rows/s");
        print_rss("after count(*)");
    }
    ret = 0;
out_secs:
    free(secs);
out:
    cqlc_result_free(&p_all);
    cqlc_result_free(&p_filter);
    cqlc_result_free(&p_count);
    cqlc_result_free(&res);
    return ret;
}

/* ---- main ------------------------------------------------------------------ */

static void usage(void)
{
    fprintf(stderr, "usage: bench_scan [--host H] [--port P] [--rows N] [--rows-per-partition R]\n"
                    "                  [--text-size BYTES] [--connections N] [--depth D]\n"
                    "                  [--page-size N] [--runs N] [--protocol 0|4|5]\n"
                    "                  [--server-pid PID] [--no-count] [--keep] [--no-load]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--no-count")) {
            g_count = 0;
            continue;
        }
        if (!strcmp(a, "--keep")) {
            g_keep = 1;
            continue;
        }
        if (!strcmp(a, "--no-load")) {
            g_load = 0;
            continue;
        }
        if (i + 1 >= argc) usage();
        const char *v = argv[++i];
        if (!strcmp(a, "--host"))
            g_host = v;
        else if (!strcmp(a, "--port"))
            g_port = atoi(v);
        else if (!strcmp(a, "--rows"))
            g_rows = atoll(v);
        else if (!strcmp(a, "--rows-per-partition"))
            g_rpp = atoi(v);
        else if (!strcmp(a, "--text-size"))
            g_text_size = atoi(v);
        else if (!strcmp(a, "--connections"))
            g_conns = atoi(v);
        else if (!strcmp(a, "--depth"))
            g_depth = atoi(v);
        else if (!strcmp(a, "--page-size"))
            g_page_size = atoi(v);
        else if (!strcmp(a, "--runs"))
            g_runs = atoi(v);
        else if (!strcmp(a, "--protocol"))
            g_protocol = atoi(v);
        else if (!strcmp(a, "--server-pid"))
            g_server_pid = atoi(v);
        else
            usage();
    }
    if (g_port <= 0 || g_rows < 100 || g_rows > INT32_MAX || g_rpp < 1 || g_text_size < 0 ||
        g_text_size > (1 << 20) || g_conns < 1 || g_conns > MAX_CONNS || g_depth < 1 ||
        g_depth > 32767 || g_page_size < 1 || g_runs < 1 ||
        (g_protocol != 0 && g_protocol != 4 && g_protocol != 5))
        usage();
    /* v = (i * a + b) mod rows, a coprime to rows: a permutation */
    g_perm_a = (uint64_t)(g_rows * 0.6180339887) | 1;
    while (gcd(g_perm_a, (uint64_t)g_rows) != 1)
        g_perm_a += 2;
    g_perm_b = (uint64_t)g_rows / 3;

    cqlc_conn *c = open_conn();
    if (!c) return 1;
    if (g_load && (simple(c, "CREATE KEYSPACE IF NOT EXISTS " KS " WITH replication = "
                             "{'class': 'SimpleStrategy', 'replication_factor': 1}") ||
                   simple(c, "DROP TABLE IF EXISTS " KS ".t") ||
                   simple(c, "CREATE TABLE " KS ".t (k int, c int, v int, s text, "
                             "PRIMARY KEY (k, c))")))
        return 1;
    cqlc_result_init(&g_insert);
    if (g_load && prepare(c, "INSERT INTO " KS ".t (k, c, v, s) VALUES (?, ?, ?, ?)", &g_insert))
        return 1;
    printf("bench_scan: %s:%d protocol v%d, %lld rows (%d per partition, v = %llu*i+%llu mod %lld, "
           "s %d bytes), %d runs per query\n",
           g_host, g_port, cqlc_version(c), (long long)g_rows, g_rpp, (unsigned long long)g_perm_a,
           (unsigned long long)g_perm_b, (long long)g_rows, g_text_size, g_runs);
    fflush(stdout);
    if (g_server_pid > 0) pthread_create(&g_sampler, NULL, sampler_main, NULL);
    int rc = 0;
    if (g_load) {
        print_rss("before load");
        rc = load();
        print_rss("after load");
    }
    if (rc == 0) rc = run_scans(c);
    if (rc == 0 && !g_keep) {
        double t0 = now_s();
        rc = simple(c, "DROP TABLE " KS ".t");
        printf("drop   table  %7.3f s\n", now_s() - t0);
        print_rss("after DROP TABLE");
    }
    if (g_server_pid > 0) {
        atomic_store(&g_sampler_stop, 1);
        pthread_join(g_sampler, NULL);
    }
    cqlc_result_free(&g_insert);
    cqlc_close(c);
    return rc == 0 ? 0 : 1;
}
