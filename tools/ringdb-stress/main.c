/*
 * ringdb-stress main -- a load generator on the CQL native protocol, with
 * cassandra-stress's commands, schema and output (opts.c has the syntax).
 *
 * How it works:
 *   1. A control connection (the first -node) creates the keyspace and the
 *      table if missing -- cassandra-stress's
 *          keyspace1 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}
 *          standard1 (key blob PRIMARY KEY, "C0" blob, ..., "C4" blob)
 *          counter1  (key blob PRIMARY KEY, "C0" counter, ..., "C4" counter)
 *      or reads the columns of a -table from system_schema.columns.
 *   2. -conns connections are opened (round-robin over the hosts), each
 *      with its own prepared INSERT / UPDATE / SELECT, each driven by one
 *      thread. The -rate threads=N requests in flight are split between
 *      them; a thread keeps its share pipelined on distinct stream ids
 *      (closed loop), refilling in small batches so that one send() carries
 *      several requests.
 *   3. Every interval the main thread swaps out the threads' interval
 *      histograms, prints a progress line and folds them into the totals;
 *      at the end it prints the summary.
 *
 * Invariants:
 *   (1) An operation is counted once, when its answer (or its connection's
 *       failure) arrives; latency runs from queueing to that answer. The
 *       request is flushed right after queueing, so batching never adds to
 *       the measured latency.
 *   (2) A worker's interval stats are touched only under its mutex; the
 *       totals only by the main thread.
 *   (3) With n=, exactly n operations are issued (g_next_op hands out
 *       indexes 0..n-1); with duration=, none is issued after the deadline
 *       and those in flight are waited for.
 *
 * Exit status: 0 when the run completed (errors are reported, not fatal);
 * 1 when a node cannot be reached or the schema cannot be set up; 2 on bad
 * arguments.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "client/client.h"
#include "stress.h"

enum { OP_WRITE, OP_READ, N_OPS };
enum { CK_BYTES, CK_TEXT, CK_BIGINT, CK_INT, CK_COUNTER };

#define MAX_COLS      1024
#define MAX_ERR_PRINT 10

struct col {
    char name[128]; /* CQL identifier, quoted */
    int kind;       /* CK_* */
    int is_pk;      /* partition key */
    int is_ck;      /* clustering key */
};

struct worker {
    int id;
    const char *host;
    int depth;       /* requests in flight on this connection */
    double interval; /* throttle: ns between requests; 0 unlimited */
    pthread_t thread;
    cqlc_conn *c;
    cqlc_result prep[N_OPS];
    cqlc_result res;
    uint64_t *start; /* by stream id */
    uint8_t *op;     /* by stream id */
    uint64_t rng;
    struct type_val *vals;
    uint8_t (*scratch)[32];
    /* guarded by mu (invariant 2) */
    pthread_mutex_t mu;
    sthist h[N_OPS];
    uint64_t errors[N_OPS];
    int done;
};

static st_opts O;
static struct col g_cols[MAX_COLS];
static int g_n_cols;
static int g_counter_table;
static char g_cql[N_OPS][8192];
static int g_ops_used[N_OPS]; /* which statements the command needs */
static uint8_t *g_block;      /* value bytes, printable */
static size_t g_n_block;
static atomic_llong g_next_op;
static atomic_int g_stop;
static atomic_int g_n_err_printed;
static uint64_t g_end_ns; /* duration mode */

static const char *const CL_NAMES[] = {"ANY",    "ONE",          "TWO",          "THREE",
                                       "QUORUM", "ALL",          "LOCAL_QUORUM", "EACH_QUORUM",
                                       "SERIAL", "LOCAL_SERIAL", "LOCAL_ONE"};
static const char *const OP_NAMES[] = {"WRITE", "READ"};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u),
                          .tv_nsec = (long)(ns % 1000000000u)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !atomic_load(&g_stop))
        ;
}

static uint64_t rng_next(uint64_t *s) /* splitmix64 */
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double rng_unit(uint64_t *s) /* (0, 1) */
{
    return ((double)(rng_next(s) >> 11) + 0.5) / 9007199254740992.0;
}

static void errline(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void errline(const char *fmt, ...)
{
    if (atomic_fetch_add(&g_n_err_printed, 1) >= MAX_ERR_PRINT) return;
    va_list ap;
    va_start(ap, fmt);
    fputs("ringdb-stress: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- population --------------------------------------------------------- */

/* The key index (pop_lo..pop_hi) of operation number i. */
static int64_t pick_key(struct worker *w, int64_t i)
{
    int64_t lo = O.pop_lo, hi = O.pop_hi;
    uint64_t range = (uint64_t)(hi - lo) + 1;
    double x;
    switch (O.pop) {
    case ST_POP_SEQ: return lo + (int64_t)((uint64_t)i % range);
    case ST_POP_UNIFORM: return lo + (int64_t)(rng_next(&w->rng) % range);
    case ST_POP_GAUSSIAN: {
        double u1 = rng_unit(&w->rng), u2 = rng_unit(&w->rng);
        x = O.pop_mean + O.pop_stdev * sqrt(-2.0 * log(u1)) * cos(2 * M_PI * u2);
        x = nearbyint(x);
        break;
    }
    default: { /* zipf by inversion of the continuous power law on [1, range] */
        double u = rng_unit(&w->rng), n = (double)range, s = O.zipf_s;
        if (fabs(s - 1.0) < 1e-9)
            x = exp(u * log(n));
        else
            x = pow((pow(n, 1 - s) - 1) * u + 1, 1 / (1 - s));
        x = (double)lo + floor(x) - 1;
        break;
    }
    }
    if (x < (double)lo) return lo;
    if (x > (double)hi) return hi;
    return (int64_t)x;
}

/* Fills w->vals for operation op on key index k, in bind-marker order. */
static int bind_values(struct worker *w, int op, int64_t k)
{
    int n = 0;
    /* counter UPDATE binds the counters first, then the key columns */
    for (int pass = 0; pass < 2; pass++) {
        for (int j = 0; j < g_n_cols; j++) {
            const struct col *cl = &g_cols[j];
            int is_key = cl->is_pk || cl->is_ck;
            if (op == OP_READ && !cl->is_pk) continue;
            if (g_counter_table && op == OP_WRITE && (pass == 0) == is_key) continue;
            if ((!g_counter_table || op == OP_READ) && pass == 1) continue;
            struct type_val *v = &w->vals[n];
            uint8_t *s = w->scratch[n];
            n++;
            switch (cl->kind) {
            case CK_BIGINT:
            case CK_COUNTER: {
                uint64_t x = cl->kind == CK_COUNTER ? 1 : (uint64_t)k;
                for (int b = 0; b < 8; b++)
                    s[b] = (uint8_t)(x >> (56 - 8 * b));
                v->p = s;
                v->len = 8;
                break;
            }
            case CK_INT: {
                uint32_t x = (uint32_t)k;
                for (int b = 0; b < 4; b++)
                    s[b] = (uint8_t)(x >> (24 - 8 * b));
                v->p = s;
                v->len = 4;
                break;
            }
            default:
                if (is_key) {
                    int len = snprintf((char *)s, 32, "%0*lld", O.key_size, (long long)k);
                    v->p = s;
                    v->len = len;
                } else {
                    size_t off = ((uint64_t)k * 131 + (uint64_t)j * 17) % (g_n_block - O.col_size);
                    v->p = g_block + off;
                    v->len = O.col_size;
                }
                break;
            }
        }
    }
    return n;
}

/* ---- connections -------------------------------------------------------- */

static int open_conn(const char *host, cqlc_conn **out, char *err, size_t errsz)
{
    cqlc_opts co;
    memset(&co, 0, sizeof co);
    co.host = host;
    co.port = O.port;
    co.version = O.version;
    co.username = O.user;
    co.password = O.password;
    co.request_timeout_ms = 12000;
    int32_t code;
    return cqlc_connect(&co, out, err, errsz, &code);
}

static int prepare_all(cqlc_conn *c, cqlc_result *prep, char *err, size_t errsz)
{
    for (int op = 0; op < N_OPS; op++) {
        if (!g_ops_used[op]) continue;
        int rc = cqlc_prepare(c, g_cql[op], &prep[op]);
        if (rc == CQLC_ESERVER) {
            snprintf(err, errsz, "%s: %s", cqlc_error_class(prep[op].err.code),
                     prep[op].err.message);
            return rc;
        }
        if (rc) {
            snprintf(err, errsz, "%s", cqlc_errmsg(c));
            return rc;
        }
    }
    return 0;
}

static int worker_connect(struct worker *w, char *err, size_t errsz)
{
    int rc = open_conn(w->host, &w->c, err, errsz);
    if (rc) return rc;
    rc = prepare_all(w->c, w->prep, err, errsz);
    if (rc) {
        cqlc_close(w->c);
        w->c = NULL;
    }
    return rc;
}

/* ---- the worker loop ---------------------------------------------------- */

static void record(struct worker *w, int op, uint64_t lat, int error)
{
    pthread_mutex_lock(&w->mu);
    sthist_add(&w->h[op], lat);
    if (error) w->errors[op]++;
    pthread_mutex_unlock(&w->mu);
}

/* Claims the next operation; 0 when there is none left. */
static int claim(int64_t *i)
{
    if (atomic_load(&g_stop)) return 0;
    if (O.n > 0) {
        *i = atomic_fetch_add(&g_next_op, 1);
        return *i < O.n;
    }
    if (now_ns() >= g_end_ns) return 0;
    *i = atomic_fetch_add(&g_next_op, 1);
    return 1;
}

/* One answer: latency, errors (server errors; a read that finds no row). */
static void complete(struct worker *w, int rc, int16_t s, uint64_t t)
{
    int op = w->op[s];
    int error = 0;
    if (rc == CQLC_ESERVER) {
        error = 1;
        errline("%s error: %s: %s", OP_NAMES[op], cqlc_error_class(w->res.err.code),
                w->res.err.message ? w->res.err.message : "");
    } else if (op == OP_READ && w->res.kind == CQLC_RES_ROWS && w->res.n_rows == 0) {
        error = 1;
        errline("READ error: no row found (was the key written?)");
    }
    record(w, op, t - w->start[s], error);
}

/* The connection died: every request in flight on it failed. Reconnects;
 * returns 0 on success. */
static int conn_failed(struct worker *w)
{
    uint64_t t = now_ns();
    int n = cqlc_in_flight(w->c);
    errline("connection to %s failed (%s): %d requests in flight counted as errors; "
            "reconnecting",
            w->host, cqlc_errmsg(w->c), n);
    /* charge them to the op of their stream: walk the stream table */
    for (int s = 1; s < 32768 && n > 0; s++)
        if (w->start[s]) {
            record(w, w->op[s], t - w->start[s], 1);
            w->start[s] = 0;
            n--;
        }
    cqlc_close(w->c);
    w->c = NULL;
    char err[256];
    if (worker_connect(w, err, sizeof err)) {
        errline("connection to %s: %s; this connection stops", w->host, err);
        return -1;
    }
    return 0;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    int batch = w->interval > 0 ? 1 : (w->depth >= 8 ? w->depth / 8 : 1);
    uint64_t next = now_ns();
    int more = 1;
    double ratio = O.ratio_write / (O.ratio_write + O.ratio_read);
    cqlc_qopts qo;
    cqlc_qopts_init(&qo);
    qo.consistency = (uint16_t)O.consistency;
    qo.skip_metadata = 0;
    qo.values = w->vals;

    while (w->c) {
        /* fill up to depth */
        int rc = 0;
        while (more && cqlc_in_flight(w->c) < w->depth) {
            uint64_t t = now_ns();
            if (w->interval > 0 && t < next) {
                if (cqlc_in_flight(w->c) > 0) break;
                sleep_ns(next - t);
                t = now_ns();
            }
            int64_t i;
            if (!claim(&i)) {
                more = 0;
                break;
            }
            int op;
            if (O.command == ST_MIXED)
                op = rng_unit(&w->rng) < ratio ? OP_WRITE : OP_READ;
            else
                op = (O.command == ST_WRITE || O.command == ST_COUNTER_WRITE) ? OP_WRITE : OP_READ;
            int64_t k = pick_key(w, i);
            qo.n_values = bind_values(w, op, k);
            int16_t s;
            rc = cqlc_send_execute(w->c, &w->prep[op], &qo, &s);
            if (rc) break;
            w->start[s] = t;
            w->op[s] = (uint8_t)op;
            if (w->interval > 0) next += (uint64_t)w->interval;
        }
        if (rc == 0) rc = cqlc_flush(w->c);
        if (rc == 0 && cqlc_in_flight(w->c) == 0 && !more) break;
        /* receive until a batch of slots is free (everything once nothing is left) */
        while (rc == 0 && cqlc_in_flight(w->c) > 0) {
            int16_t s = 0;
            rc = cqlc_recv_any(w->c, &s, &w->res);
            if (rc != CQLC_OK && rc != CQLC_ESERVER) break;
            complete(w, rc, s, now_ns());
            w->start[s] = 0;
            rc = 0;
            if (more && w->depth - cqlc_in_flight(w->c) >= batch) break;
        }
        if (rc && conn_failed(w)) break;
    }
    pthread_mutex_lock(&w->mu);
    w->done = 1;
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* ---- schema ------------------------------------------------------------- */

static void quote_ident(char *out, size_t n, const char *name)
{
    size_t j = 0;
    if (n < 3) return;
    out[j++] = '"';
    for (const char *p = name; *p && j + 3 < n; p++) {
        if (*p == '"') out[j++] = '"';
        out[j++] = *p;
    }
    out[j++] = '"';
    out[j] = 0;
}

static int run_ddl(cqlc_conn *c, const char *cql)
{
    cqlc_result r;
    cqlc_result_init(&r);
    cqlc_qopts qo;
    cqlc_qopts_init(&qo);
    int rc = cqlc_query(c, cql, &qo, &r);
    if (rc == CQLC_ESERVER)
        fprintf(stderr, "ringdb-stress: error: %s: %s\n  in: %s\n", cqlc_error_class(r.err.code),
                r.err.message, cql);
    else if (rc)
        fprintf(stderr, "ringdb-stress: error: %s\n", cqlc_errmsg(c));
    cqlc_result_free(&r);
    return rc;
}

static int kind_of(const char *type)
{
    if (!strcmp(type, "blob")) return CK_BYTES;
    if (!strcmp(type, "text") || !strcmp(type, "varchar") || !strcmp(type, "ascii")) return CK_TEXT;
    if (!strcmp(type, "bigint")) return CK_BIGINT;
    if (!strcmp(type, "int")) return CK_INT;
    if (!strcmp(type, "counter")) return CK_COUNTER;
    return -1;
}

/* Reads the columns of O.keyspace.O.table; 1 if the table does not exist. */
static int load_columns(cqlc_conn *c)
{
    char cql[512];
    snprintf(cql, sizeof cql,
             "SELECT column_name, kind, position, type FROM system_schema.columns "
             "WHERE keyspace_name = '%s' AND table_name = '%s'",
             O.keyspace, O.table);
    cqlc_result r;
    cqlc_result_init(&r);
    cqlc_qopts qo;
    cqlc_qopts_init(&qo);
    int rc = cqlc_query(c, cql, &qo, &r);
    if (rc) {
        fprintf(stderr, "ringdb-stress: error: reading system_schema.columns: %s\n",
                rc == CQLC_ESERVER ? r.err.message : cqlc_errmsg(c));
        cqlc_result_free(&r);
        return -1;
    }
    if (r.n_rows == 0) {
        cqlc_result_free(&r);
        return 1;
    }
    /* partition key columns by position first, then clustering, then the rest */
    g_n_cols = 0;
    int n_counter = 0, n_regular = 0;
    for (int pass = 0; pass < 3 && rc == 0; pass++) {
        for (int32_t pos = 0; pos < r.n_rows + 1 && rc == 0; pos++) {
            for (int32_t i = 0; i < r.n_rows; i++) {
                char name[128], kind[32], type[64];
                const struct type_val *v = cqlc_cell(&r, i, 0);
                snprintf(name, sizeof name, "%.*s", v->len < 0 ? 0 : (int)v->len, v->p);
                v = cqlc_cell(&r, i, 1);
                snprintf(kind, sizeof kind, "%.*s", v->len < 0 ? 0 : (int)v->len, v->p);
                v = cqlc_cell(&r, i, 3);
                snprintf(type, sizeof type, "%.*s", v->len < 0 ? 0 : (int)v->len, v->p);
                v = cqlc_cell(&r, i, 2);
                int32_t p = v->len == 4
                                ? (int32_t)((uint32_t)v->p[0] << 24 | (uint32_t)v->p[1] << 16 |
                                            (uint32_t)v->p[2] << 8 | v->p[3])
                                : -1;
                int want = pass == 0   ? !strcmp(kind, "partition_key")
                           : pass == 1 ? !strcmp(kind, "clustering")
                                       : !strcmp(kind, "regular");
                if (!want || (pass < 2 && p != pos) || (pass == 2 && pos != 0)) continue;
                if (g_n_cols == MAX_COLS) {
                    rc = -1;
                    break;
                }
                struct col *cl = &g_cols[g_n_cols++];
                quote_ident(cl->name, sizeof cl->name, name);
                cl->kind = kind_of(type);
                cl->is_pk = pass == 0;
                cl->is_ck = pass == 1;
                if (cl->kind < 0 || (cl->kind == CK_COUNTER && pass < 2)) {
                    fprintf(stderr,
                            "ringdb-stress: error: column %s of %s.%s has type %s, which "
                            "ringdb-stress cannot generate (blob, text, ascii, bigint, int, "
                            "counter)\n",
                            name, O.keyspace, O.table, type);
                    rc = -1;
                    break;
                }
                if (pass == 2) {
                    n_regular++;
                    if (cl->kind == CK_COUNTER) n_counter++;
                }
            }
            if (pass == 2) break;
        }
    }
    cqlc_result_free(&r);
    if (rc) return -1;
    if (n_counter && n_counter != n_regular) {
        fprintf(stderr, "ringdb-stress: error: %s.%s mixes counter and other columns\n", O.keyspace,
                O.table);
        return -1;
    }
    g_counter_table = n_counter > 0;
    return 0;
}

static void std_columns(int counter)
{
    g_n_cols = 0;
    struct col *k = &g_cols[g_n_cols++];
    snprintf(k->name, sizeof k->name, "key");
    k->kind = CK_BYTES;
    k->is_pk = 1;
    k->is_ck = 0;
    for (int j = 0; j < O.col_n; j++) {
        struct col *cl = &g_cols[g_n_cols++];
        snprintf(cl->name, sizeof cl->name, "\"C%d\"", j);
        cl->kind = counter ? CK_COUNTER : CK_BYTES;
        cl->is_pk = cl->is_ck = 0;
    }
    g_counter_table = counter;
}

static int setup_schema(cqlc_conn *c)
{
    char cql[16384];
    snprintf(cql, sizeof cql,
             "CREATE KEYSPACE IF NOT EXISTS %s WITH replication = {'class': '%s', "
             "'replication_factor': %d} AND durable_writes = true",
             O.keyspace, O.strategy, O.rf);
    if (run_ddl(c, cql)) return -1;
    int counter = O.command == ST_COUNTER_WRITE || O.command == ST_COUNTER_READ;
    int exists = 0;
    if (O.user_table) {
        int rc = load_columns(c);
        if (rc < 0) return -1;
        exists = rc == 0;
    }
    if (!exists) {
        std_columns(counter);
        size_t n = (size_t)snprintf(cql, sizeof cql,
                                    "CREATE TABLE IF NOT EXISTS %s.%s (key blob PRIMARY KEY",
                                    O.keyspace, O.table);
        for (int j = 1; j < g_n_cols && n < sizeof cql; j++)
            n += (size_t)snprintf(cql + n, sizeof cql - n, ", %s %s", g_cols[j].name,
                                  counter ? "counter" : "blob");
        if (n + 2 >= sizeof cql) {
            fprintf(stderr, "ringdb-stress: error: too many columns\n");
            return -1;
        }
        snprintf(cql + n, sizeof cql - n, ")");
        if (run_ddl(c, cql)) return -1;
    }
    if ((O.command == ST_COUNTER_WRITE || O.command == ST_COUNTER_READ) && !g_counter_table) {
        fprintf(stderr, "ringdb-stress: error: %s.%s has no counter columns\n", O.keyspace,
                O.table);
        return -1;
    }

    /* the statements */
    char *w = g_cql[OP_WRITE], *r = g_cql[OP_READ];
    size_t sz = sizeof g_cql[0], n;
    if (g_counter_table) {
        n = (size_t)snprintf(w, sz, "UPDATE %s.%s SET ", O.keyspace, O.table);
        int first = 1;
        for (int j = 0; j < g_n_cols; j++)
            if (!g_cols[j].is_pk && !g_cols[j].is_ck && n < sz) {
                n += (size_t)snprintf(w + n, sz - n, "%s%s = %s + ?", first ? "" : ", ",
                                      g_cols[j].name, g_cols[j].name);
                first = 0;
            }
        first = 1;
        for (int j = 0; j < g_n_cols && n < sz; j++)
            if (g_cols[j].is_pk || g_cols[j].is_ck) {
                n += (size_t)snprintf(w + n, sz - n, "%s%s = ?", first ? " WHERE " : " AND ",
                                      g_cols[j].name);
                first = 0;
            }
    } else {
        n = (size_t)snprintf(w, sz, "INSERT INTO %s.%s (", O.keyspace, O.table);
        for (int j = 0; j < g_n_cols && n < sz; j++)
            n += (size_t)snprintf(w + n, sz - n, "%s%s", j ? ", " : "", g_cols[j].name);
        n += (size_t)snprintf(w + (n < sz ? n : sz - 1), n < sz ? sz - n : 1, ") VALUES (");
        for (int j = 0; j < g_n_cols && n < sz; j++)
            n += (size_t)snprintf(w + n, sz - n, "%s?", j ? ", " : "");
        if (n < sz) n += (size_t)snprintf(w + n, sz - n, ")");
    }
    n = (size_t)snprintf(r, sz, "SELECT * FROM %s.%s", O.keyspace, O.table);
    int first = 1;
    for (int j = 0; j < g_n_cols && n < sz; j++)
        if (g_cols[j].is_pk) {
            n += (size_t)snprintf(r + n, sz - n, "%s%s = ?", first ? " WHERE " : " AND ",
                                  g_cols[j].name);
            first = 0;
        }
    if (n >= sz) {
        fprintf(stderr, "ringdb-stress: error: statement too long\n");
        return -1;
    }
    g_ops_used[OP_WRITE] =
        O.command == ST_WRITE || O.command == ST_MIXED || O.command == ST_COUNTER_WRITE;
    g_ops_used[OP_READ] =
        O.command == ST_READ || O.command == ST_MIXED || O.command == ST_COUNTER_READ;
    return 0;
}

/* ---- output ------------------------------------------------------------- */

static double ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

static void print_header(void)
{
    printf("%-9s %10s, %8s, %8s, %8s, %8s, %8s, %8s, %8s, %7s, %7s\n", "type,", "total ops", "op/s",
           "mean", "med", ".95", ".99", ".999", "max", "time", "errors");
}

static void print_line(const char *type, uint64_t total_ops, double rate, const sthist *h, double t,
                       uint64_t errors)
{
    char label[32];
    snprintf(label, sizeof label, "%s,", type);
    printf("%-9s %10llu, %8.0f, %8.3f, %8.3f, %8.3f, %8.3f, %8.3f, %8.3f, %7.1f, %7llu\n", label,
           (unsigned long long)total_ops, rate, sthist_mean(h) / 1e6, ms(sthist_pct(h, 50)),
           ms(sthist_pct(h, 95)), ms(sthist_pct(h, 99)), ms(sthist_pct(h, 99.9)), ms(h->max), t,
           (unsigned long long)errors);
    fflush(stdout);
}

static void group(char *out, size_t n, double v) /* 1234567 -> "1,234,567" */
{
    char digits[32];
    snprintf(digits, sizeof digits, "%.0f", v);
    size_t len = strlen(digits), j = 0;
    for (size_t i = 0; i < len && j + 2 < n; i++) {
        if (i > 0 && (len - i) % 3 == 0) out[j++] = ',';
        out[j++] = digits[i];
    }
    out[j] = 0;
}

struct totals {
    sthist h[N_OPS];
    uint64_t errors[N_OPS];
};

static void summary_row(const char *label, double all, const double *per_op, const char *unit,
                        int as_int)
{
    char val[64], part[256] = "";
    size_t n = 0;
    if (as_int)
        group(val, sizeof val, all);
    else
        snprintf(val, sizeof val, "%.3f", all);
    int used = 0;
    for (int op = 0; op < N_OPS; op++)
        used += g_ops_used[op];
    if (used > 1) {
        n += (size_t)snprintf(part + n, sizeof part - n, " [");
        for (int op = 0; op < N_OPS; op++) {
            if (!g_ops_used[op]) continue;
            char b2[64];
            if (as_int)
                group(b2, sizeof b2, per_op[op]);
            else
                snprintf(b2, sizeof b2, "%.3f", per_op[op]);
            n += (size_t)snprintf(part + n, sizeof part - n, "%s%s: %s%s", n > 2 ? ", " : "",
                                  OP_NAMES[op], b2, unit);
        }
        snprintf(part + n, sizeof part - n, "]");
    }
    printf("%-26s: %10s%s%s\n", label, val, unit, part);
}

static void print_summary(const struct totals *t, double secs)
{
    sthist all;
    sthist_reset(&all);
    uint64_t errors = 0;
    double per[N_OPS];
    for (int op = 0; op < N_OPS; op++) {
        sthist_merge(&all, &t->h[op]);
        errors += t->errors[op];
    }
    printf("\nResults:\n");
    for (int op = 0; op < N_OPS; op++)
        per[op] = secs > 0 ? (double)t->h[op].total / secs : 0;
    summary_row("Op rate", secs > 0 ? (double)all.total / secs : 0, per, " op/s", 1);
    static const struct {
        const char *label;
        double pct;
    } P[] = {{"Latency median", 50},
             {"Latency 95th percentile", 95},
             {"Latency 99th percentile", 99},
             {"Latency 99.9th percentile", 99.9}};
    for (int op = 0; op < N_OPS; op++)
        per[op] = sthist_mean(&t->h[op]) / 1e6;
    summary_row("Latency mean", sthist_mean(&all) / 1e6, per, " ms", 0);
    for (size_t i = 0; i < sizeof P / sizeof P[0]; i++) {
        for (int op = 0; op < N_OPS; op++)
            per[op] = ms(sthist_pct(&t->h[op], P[i].pct));
        summary_row(P[i].label, ms(sthist_pct(&all, P[i].pct)), per, " ms", 0);
    }
    for (int op = 0; op < N_OPS; op++)
        per[op] = ms(t->h[op].max);
    summary_row("Latency max", ms(all.max), per, " ms", 0);
    for (int op = 0; op < N_OPS; op++)
        per[op] = (double)t->h[op].total;
    summary_row("Total operations", (double)all.total, per, "", 1);
    for (int op = 0; op < N_OPS; op++)
        per[op] = (double)t->errors[op];
    summary_row("Total errors", (double)errors, per, "", 1);
    unsigned long long whole = (unsigned long long)secs;
    printf("%-26s: %02llu:%02llu:%02llu.%03d\n", "Total operation time", whole / 3600,
           whole / 60 % 60, whole % 60, (int)((secs - (double)whole) * 1000));
}

/* Moves every worker's interval stats into iv (reset first). */
static void collect(struct worker *ws, int n, struct totals *iv, int *n_done)
{
    memset(iv, 0, sizeof *iv);
    *n_done = 0;
    for (int i = 0; i < n; i++) {
        struct worker *w = &ws[i];
        pthread_mutex_lock(&w->mu);
        for (int op = 0; op < N_OPS; op++) {
            sthist_merge(&iv->h[op], &w->h[op]);
            iv->errors[op] += w->errors[op];
            if (w->h[op].total) sthist_reset(&w->h[op]);
            w->errors[op] = 0;
        }
        *n_done += w->done;
        pthread_mutex_unlock(&w->mu);
    }
}

static void report(const struct totals *iv, struct totals *tot, double dt, double t)
{
    int used = 0;
    for (int op = 0; op < N_OPS; op++) {
        used += g_ops_used[op];
        sthist_merge(&tot->h[op], &iv->h[op]);
        tot->errors[op] += iv->errors[op];
    }
    sthist all;
    sthist_reset(&all);
    uint64_t errs = 0, total = 0;
    for (int op = 0; op < N_OPS; op++) {
        if (used > 1 && g_ops_used[op])
            print_line(OP_NAMES[op], tot->h[op].total, (double)iv->h[op].total / dt, &iv->h[op], t,
                       iv->errors[op]);
        sthist_merge(&all, &iv->h[op]);
        errs += iv->errors[op];
        total += tot->h[op].total;
    }
    print_line("total", total, (double)all.total / dt, &all, t, errs);
}

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&g_stop, 1);
}

int main(int argc, char **argv)
{
    int prc = st_parse_args(argc, argv, &O);
    if (prc > 0) return 0;
    if (prc < 0) return 2;

    int status = 1;
    struct worker *ws = NULL;
    int n_started = 0, n_init = 0;
    cqlc_conn *ctl = NULL;
    struct totals *tot = calloc(1, sizeof *tot), *iv = calloc(1, sizeof *iv);
    char err[512];
    if (!tot || !iv) goto done;

    if (open_conn(O.hosts[0], &ctl, err, sizeof err)) {
        fprintf(stderr, "ringdb-stress: error: cannot connect to %s:%d: %s\n", O.hosts[0], O.port,
                err);
        goto done;
    }
    if (setup_schema(ctl)) goto done;

    g_n_block = (size_t)O.col_size + 65536;
    g_block = malloc(g_n_block);
    if (!g_block) goto done;
    uint64_t seed = 42;
    for (size_t i = 0; i < g_n_block; i++)
        g_block[i] = (uint8_t)("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                   [rng_next(&seed) % 62]);

    ws = calloc((size_t)O.conns, sizeof *ws);
    if (!ws) goto done;
    for (int i = 0; i < O.conns; i++) {
        struct worker *w = &ws[i];
        w->id = i;
        w->host = O.hosts[i % O.n_hosts];
        w->depth = O.threads / O.conns + (i < O.threads % O.conns);
        w->interval = O.throttle > 0 ? 1e9 * O.conns / O.throttle : 0;
        w->rng = 0x5eed0000u + (uint64_t)i * 7919;
        pthread_mutex_init(&w->mu, NULL);
        n_init++;
        for (int op = 0; op < N_OPS; op++)
            cqlc_result_init(&w->prep[op]);
        cqlc_result_init(&w->res);
        w->start = calloc(32768, sizeof *w->start);
        w->op = calloc(32768, 1);
        w->vals = calloc((size_t)g_n_cols, sizeof *w->vals);
        w->scratch = calloc((size_t)g_n_cols, sizeof *w->scratch);
        if (!w->start || !w->op || !w->vals || !w->scratch) goto done;
        if (worker_connect(w, err, sizeof err)) {
            fprintf(stderr, "ringdb-stress: error: cannot connect to %s:%d: %s\n", w->host, O.port,
                    err);
            goto done;
        }
    }

    const char *cmd_names[] = {"WRITE", "READ", "MIXED", "COUNTER_WRITE", "COUNTER_READ"};
    if (O.n > 0)
        printf("Running %s with %d requests in flight on %d connection(s) for %lld operations\n",
               cmd_names[O.command], O.threads, O.conns, (long long)O.n);
    else
        printf("Running %s with %d requests in flight on %d connection(s) for %.0f seconds\n",
               cmd_names[O.command], O.threads, O.conns, O.duration_s);
    printf("Table %s.%s, consistency %s, protocol v%d", O.keyspace, O.table,
           CL_NAMES[O.consistency], cqlc_version(ws[0].c));
    if (O.throttle > 0) printf(", throttle %.0f op/s", O.throttle);
    printf("\n");
    print_header();

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    uint64_t t0 = now_ns();
    g_end_ns = O.duration_s > 0 ? t0 + (uint64_t)(O.duration_s * 1e9) : 0;
    for (int i = 0; i < O.conns; i++) {
        if (pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]) != 0) {
            fprintf(stderr, "ringdb-stress: error: cannot start a thread\n");
            atomic_store(&g_stop, 1);
            break;
        }
        n_started++;
    }
    uint64_t iv_ns = (uint64_t)(O.interval_s * 1e9), last = t0, next_tick = t0 + iv_ns;
    for (;;) {
        int n_done = 0;
        uint64_t t = now_ns();
        if (t >= next_tick) {
            collect(ws, n_started, iv, &n_done);
            report(iv, tot, (double)(t - last) / 1e9, (double)(t - t0) / 1e9);
            last = t;
            next_tick += iv_ns;
            if (next_tick <= t) next_tick = t + iv_ns;
        } else {
            for (int i = 0; i < n_started; i++) {
                pthread_mutex_lock(&ws[i].mu);
                n_done += ws[i].done;
                pthread_mutex_unlock(&ws[i].mu);
            }
        }
        if (n_done == n_started) break;
        int64_t wait = (int64_t)(next_tick - now_ns());
        if (wait > 0) sleep_ns(wait < 20000000 ? (uint64_t)wait : 20000000u);
    }
    for (int i = 0; i < n_started; i++)
        pthread_join(ws[i].thread, NULL);
    uint64_t t_end = now_ns();
    int n_done;
    collect(ws, n_started, iv, &n_done);
    if (iv->h[0].total + iv->h[1].total + iv->errors[0] + iv->errors[1] > 0)
        report(iv, tot, (double)(t_end - last) / 1e9, (double)(t_end - t0) / 1e9);
    print_summary(tot, (double)(t_end - t0) / 1e9);
    status = 0;
    for (int i = 0; i < O.conns; i++)
        if (!ws[i].c) status = 1; /* a connection was lost for good */
    if (status) fprintf(stderr, "ringdb-stress: error: connections were lost during the run\n");

done:
    if (ws) {
        for (int i = 0; i < n_init; i++) {
            struct worker *w = &ws[i];
            if (w->c) cqlc_close(w->c);
            for (int op = 0; op < N_OPS; op++)
                cqlc_result_free(&w->prep[op]);
            cqlc_result_free(&w->res);
            free(w->start);
            free(w->op);
            free(w->vals);
            free(w->scratch);
            pthread_mutex_destroy(&w->mu);
        }
        free(ws);
    }
    if (ctl) cqlc_close(ctl);
    free(g_block);
    free(tot);
    free(iv);
    return status;
}
