/*
 * opts.c -- ringdb-stress's command line, in cassandra-stress's syntax so
 * that scripts carry over:
 *
 *   ringdb-stress COMMAND [n=N | duration=Ns|m|h] [cl=LEVEL] [ratio(write=1,read=3)]
 *                 [no-warmup] [-node H[,H..]] [-port native=P] [-rate threads=N throttle=N/s]
 *                 [-conns N] [-col n=FIXED(5) size=FIXED(34)] [-pop seq=A..B |
 *                 dist=UNIFORM(A..B) | dist=GAUSSIAN(A..B[,stdvrng|,mean,stdev]) |
 *                 dist=ZIPF(A..B[,s]) | zipf] [-mode native cql3 prepared user=U password=P
 *                 protocolVersion=V] [-schema replication(strategy=S,factor=N) keyspace=K]
 *                 [-table [KS.]T] [-log interval=Ns] [-reporting output-frequency=Ns]
 *
 * Defaults follow cassandra-stress (SettingsPopulation, SettingsColumn,
 * SettingsSchema): seq=1..N for write/counter_write, GAUSSIAN(1..N) with
 * mean (1+N)/2 and stdev (N-1)/6 for the others (N = n, or 1000000 when
 * running for a duration), 5 columns of 34 bytes, 10-byte keys, keyspace1
 * with SimpleStrategy RF 1, consistency LOCAL_ONE.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/client.h"
#include "stress.h"

void st_usage(FILE *f)
{
    fputs("Usage: ringdb-stress COMMAND [n=N | duration=TIME] [cl=LEVEL] [OPTIONS]\n"
          "\n"
          "Commands:\n"
          "  write          insert rows into keyspace1.standard1\n"
          "  read           read rows written by write\n"
          "  mixed          ratio(write=W,read=R) interleaving of the two (default 1:1)\n"
          "  counter_write  increment counters in keyspace1.counter1\n"
          "  counter_read   read those counters\n"
          "  help           this text\n"
          "\n"
          "Command arguments:\n"
          "  n=N                 number of operations (k, m, b suffixes: n=1m)\n"
          "  duration=TIME       run for TIME instead (30s, 5m, 1h); default 10s\n"
          "  cl=LEVEL            ONE, QUORUM, LOCAL_ONE (default), ALL, ...\n"
          "  ratio(write=W,read=R)  mixed only\n"
          "  no-warmup           accepted (there is no warm-up phase)\n"
          "\n"
          "Options:\n"
          "  -node H[,H...]      hosts (default 127.0.0.1); connections go round-robin\n"
          "  -port native=P      native protocol port (default 9042)\n"
          "  -rate threads=N     requests in flight in total (default 64)\n"
          "        throttle=N/s  limit the total rate (also fixed=N/s)\n"
          "  -conns N            connections, one client thread each (default min(N, 4))\n"
          "  -col n=FIXED(C) size=FIXED(B)   columns per row (5) and bytes per value (34)\n"
          "  -pop seq=A..B | dist=UNIFORM(A..B) | dist=GAUSSIAN(A..B[,stdvrng|,mean,stdev])\n"
          "       | dist=ZIPF(A..B[,s]) | zipf        key population\n"
          "  -mode native cql3 prepared user=U password=P protocolVersion=4|5\n"
          "  -schema replication(strategy=S,factor=N) keyspace=K\n"
          "  -table [KS.]T       use table T (created like standard1 if missing;\n"
          "                      an existing table's own columns are used)\n"
          "  -log interval=TIME  progress line period (default 1s);\n"
          "                      also -reporting output-frequency=TIME\n"
          "  -h, --help, help    this text;  --version  the version\n",
          f);
}

static char g_err[256];

static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_err, sizeof g_err, fmt, ap);
    va_end(ap);
    return -1;
}

/* "1000", "1k", "2m", "1b" (case-insensitive) -> *out. */
static int parse_count(const char *str, const char *str_end, int64_t *out)
{
    char s[64], *e;
    size_t len = (size_t)(str_end - str);
    if (len == 0 || len >= sizeof s) return -1;
    memcpy(s, str, len);
    s[len] = 0;
    const char *end = s + len;
    errno = 0;
    double v = strtod(s, &e);
    if (e == s || errno) return -1;
    if (e < end) {
        switch (tolower((unsigned char)*e)) {
        case 'k':
            v *= 1e3;
            e++;
            break;
        case 'm':
            v *= 1e6;
            e++;
            break;
        case 'b':
            v *= 1e9;
            e++;
            break;
        default: break;
        }
    }
    if (e != end || v < 0 || v > 9e18) return -1;
    *out = (int64_t)v;
    return 0;
}

/* "30s", "5m", "1h", "500ms", "10" (seconds). */
static int parse_time(const char *s, double *out)
{
    char *e;
    errno = 0;
    double v = strtod(s, &e);
    if (e == s || errno || v <= 0) return -1;
    if (!strcmp(e, "") || !strcasecmp(e, "s"))
        ;
    else if (!strcasecmp(e, "ms"))
        v /= 1000;
    else if (!strcasecmp(e, "m"))
        v *= 60;
    else if (!strcasecmp(e, "h"))
        v *= 3600;
    else
        return -1;
    *out = v;
    return 0;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
    char *e;
    errno = 0;
    long v = strtol(s, &e, 10);
    if (e == s || *e || errno || v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

/* "FIXED(n)" or a bare number. */
static int parse_fixed(const char *s, int lo, int hi, int *out)
{
    if (!strncasecmp(s, "FIXED(", 6)) {
        size_t n = strlen(s);
        if (n < 8 || s[n - 1] != ')') return -1;
        char tmp[32];
        if (n - 7 >= sizeof tmp) return -1;
        memcpy(tmp, s + 6, n - 7);
        tmp[n - 7] = 0;
        return parse_int(tmp, lo, hi, out);
    }
    return parse_int(s, lo, hi, out);
}

/* "A..B" inside s[0..end) -> lo, hi. */
static int parse_range(const char *s, const char *end, int64_t *lo, int64_t *hi)
{
    const char *dots = strstr(s, "..");
    if (!dots || dots >= end) return -1;
    if (parse_count(s, dots, lo) || parse_count(dots + 2, end, hi)) return -1;
    if (*lo < 1 || *hi < *lo) return -1;
    return 0;
}

/* "NAME(A..B[,x[,y]])" after "dist=". */
static int parse_dist(const char *s, st_opts *o)
{
    const char *open = strchr(s, '(');
    size_t len = strlen(s);
    if (!open || len < 2 || s[len - 1] != ')') return -1;
    const char *end = s + len - 1;
    const char *comma = memchr(open + 1, ',', (size_t)(end - open - 1));
    const char *rend = comma ? comma : end;
    if (parse_range(open + 1, rend, &o->pop_lo, &o->pop_hi)) return -1;
    double extra[2];
    int n_extra = 0;
    for (const char *p = comma; p && p < end; p = memchr(p + 1, ',', (size_t)(end - p - 1))) {
        if (n_extra == 2) return -1;
        char *e;
        extra[n_extra++] = strtod(p + 1, &e);
        if (e == p + 1 || (e != end && *e != ',')) return -1;
    }
    size_t nl = (size_t)(open - s);
    double lo = (double)o->pop_lo, hi = (double)o->pop_hi;
    if (nl == 7 && !strncasecmp(s, "UNIFORM", 7)) {
        if (n_extra) return -1;
        o->pop = ST_POP_UNIFORM;
    } else if ((nl == 8 && !strncasecmp(s, "GAUSSIAN", 8)) ||
               (nl == 5 && !strncasecmp(s, "GAUSS", 5)) ||
               (nl == 6 && !strncasecmp(s, "NORMAL", 6))) {
        o->pop = ST_POP_GAUSSIAN;
        o->pop_mean = (lo + hi) / 2;
        if (n_extra == 0) o->pop_stdev = (hi - lo) / 6;
        if (n_extra == 1) {
            if (extra[0] <= 0) return -1;
            o->pop_stdev = (o->pop_mean - lo) / extra[0];
        }
        if (n_extra == 2) {
            o->pop_mean = extra[0];
            o->pop_stdev = extra[1];
        }
        if (!(o->pop_stdev > 0)) o->pop_stdev = 1;
    } else if (nl == 4 && !strncasecmp(s, "ZIPF", 4)) {
        if (n_extra > 1) return -1;
        o->pop = ST_POP_ZIPF;
        o->zipf_s = n_extra ? extra[0] : 1.0;
        if (!(o->zipf_s > 0)) return -1;
    } else {
        return -1;
    }
    return 0;
}

static int is_cmd_arg(const char *a)
{
    return a[0] != '-';
}

/* ratio(write=1,read=3) */
static int parse_ratio(const char *a, st_opts *o)
{
    size_t len = strlen(a);
    if (strncasecmp(a, "ratio(", 6) || a[len - 1] != ')') return -1;
    char tmp[128];
    if (len - 7 >= sizeof tmp) return -1;
    memcpy(tmp, a + 6, len - 7);
    tmp[len - 7] = 0;
    o->ratio_write = o->ratio_read = 0;
    char *save = NULL;
    for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(t, '=');
        if (!eq) return -1;
        *eq = 0;
        char *e;
        double v = strtod(eq + 1, &e);
        if (*e || e == eq + 1 || v < 0) return -1;
        if (!strcasecmp(t, "write"))
            o->ratio_write = v;
        else if (!strcasecmp(t, "read"))
            o->ratio_read = v;
        else
            return -1;
    }
    if (o->ratio_write + o->ratio_read <= 0) return -1;
    return 0;
}

static int parse_command_args(int argc, char **argv, int *i, st_opts *o, int *pop_set)
{
    for (; *i < argc && is_cmd_arg(argv[*i]); (*i)++) {
        const char *a = argv[*i];
        if (!strncasecmp(a, "n=", 2)) {
            if (parse_count(a + 2, a + strlen(a), &o->n) || o->n <= 0)
                return bad("invalid operation count: %s", a);
        } else if (!strncasecmp(a, "duration=", 9)) {
            if (parse_time(a + 9, &o->duration_s)) return bad("invalid duration: %s", a);
        } else if (!strncasecmp(a, "cl=", 3)) {
            o->consistency = cqlc_consistency_from_name(a + 3);
            if (o->consistency < 0) return bad("invalid consistency level: %s", a + 3);
        } else if (!strncasecmp(a, "ratio(", 6)) {
            if (o->command != ST_MIXED) return bad("ratio(...) is only valid with mixed");
            if (parse_ratio(a, o)) return bad("invalid ratio: %s", a);
        } else if (!strcasecmp(a, "no-warmup") || !strncasecmp(a, "err<", 4) ||
                   !strncasecmp(a, "n>", 2) || !strncasecmp(a, "n<", 2)) {
            /* accepted for compatibility; nothing to do */
        } else {
            return bad("unrecognised argument: %s", a);
        }
    }
    (void)pop_set;
    return 0;
}

int st_parse_args(int argc, char **argv, st_opts *o)
{
    memset(o, 0, sizeof *o);
    o->ratio_write = o->ratio_read = 1;
    o->consistency = 10; /* LOCAL_ONE, cassandra-stress's default */
    o->port = 9042;
    o->threads = 64;
    o->col_n = 5;
    o->col_size = 34;
    o->key_size = 10;
    o->pop = -1;
    o->keyspace = "keyspace1";
    o->strategy = "SimpleStrategy";
    o->rf = 1;
    o->interval_s = 1;
    int pop_set = 0, rc = 0;

    if (argc < 2) {
        rc = bad("missing command");
        goto out;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "help") || !strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
        st_usage(stdout);
        return 1;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        puts(ST_VERSION);
        return 1;
    }
    if (!strcmp(cmd, "write"))
        o->command = ST_WRITE;
    else if (!strcmp(cmd, "read"))
        o->command = ST_READ;
    else if (!strcmp(cmd, "mixed"))
        o->command = ST_MIXED;
    else if (!strcmp(cmd, "counter_write"))
        o->command = ST_COUNTER_WRITE;
    else if (!strcmp(cmd, "counter_read"))
        o->command = ST_COUNTER_READ;
    else {
        rc = bad("unknown command: %s", cmd);
        goto out;
    }
    int i = 2;
    rc = parse_command_args(argc, argv, &i, o, &pop_set);
    if (rc) goto out;
    if (o->n > 0 && o->duration_s > 0) {
        rc = bad("n= and duration= are mutually exclusive");
        goto out;
    }
    if (o->n == 0 && o->duration_s == 0) o->duration_s = 10;

    int conns_set = 0;
    while (i < argc && !rc) {
        const char *opt = argv[i++];
        /* the option's sub-arguments: everything up to the next -option */
        int first = i;
        while (i < argc && argv[i][0] != '-')
            i++;
        int n_sub = i - first;
        char **sub = argv + first;
        if (!strcmp(opt, "-h") || !strcmp(opt, "--help")) {
            st_usage(stdout);
            return 1;
        } else if (!strcmp(opt, "-node")) {
            if (n_sub < 1) {
                rc = bad("-node needs a host");
                break;
            }
            o->n_hosts = 0;
            for (int k = 0; k < n_sub && !rc; k++) {
                char *save = NULL;
                for (char *h = strtok_r(sub[k], ",", &save); h; h = strtok_r(NULL, ",", &save)) {
                    if (!strncmp(h, "file=", 5)) {
                        rc = bad("-node file= is not supported");
                        break;
                    }
                    if (o->n_hosts == ST_MAX_HOSTS) {
                        rc = bad("too many hosts in -node (at most %d)", ST_MAX_HOSTS);
                        break;
                    }
                    o->hosts[o->n_hosts++] = h;
                }
            }
        } else if (!strcmp(opt, "-port")) {
            for (int k = 0; k < n_sub && !rc; k++) {
                const char *v = sub[k];
                if (!strncmp(v, "native=", 7))
                    v += 7;
                else if (!strncmp(v, "thrift=", 7) || !strncmp(v, "jmx=", 4))
                    continue;
                if (parse_int(v, 1, 65535, &o->port)) rc = bad("invalid port: %s", sub[k]);
            }
            if (n_sub < 1) rc = bad("-port needs native=PORT");
        } else if (!strcmp(opt, "-rate")) {
            for (int k = 0; k < n_sub && !rc; k++) {
                const char *v = sub[k];
                if (!strncmp(v, "threads=", 8)) {
                    if (parse_int(v + 8, 1, 100000, &o->threads))
                        rc = bad("invalid thread count: %s", v);
                } else if (!strncmp(v, "throttle=", 9) || !strncmp(v, "fixed=", 6)) {
                    const char *num = strchr(v, '=') + 1;
                    char *e;
                    o->throttle = strtod(num, &e);
                    if (e == num || (strcmp(e, "/s") && strcmp(e, "")) || o->throttle <= 0)
                        rc = bad("invalid rate: %s (use N/s)", v);
                } else if (!strncmp(v, "threads>=", 9) || !strncmp(v, "threads<=", 9) ||
                           !strncmp(v, "auto", 4)) {
                    rc = bad("automatic thread ranging (%s) is not supported: use threads=N", v);
                } else {
                    rc = bad("invalid -rate argument: %s", v);
                }
            }
        } else if (!strcmp(opt, "-conns")) {
            if (n_sub != 1 || parse_int(sub[0], 1, 1024, &o->conns))
                rc = bad("-conns needs a number of connections (1..1024)");
            conns_set = 1;
        } else if (!strcmp(opt, "-col")) {
            for (int k = 0; k < n_sub && !rc; k++) {
                const char *v = sub[k];
                if (!strncmp(v, "n=", 2)) {
                    if (parse_fixed(v + 2, 1, 1000, &o->col_n))
                        rc = bad("invalid column count: %s (use n=FIXED(N))", v);
                } else if (!strncmp(v, "size=", 5)) {
                    if (parse_fixed(v + 5, 0, 16 << 20, &o->col_size))
                        rc = bad("invalid column size: %s (use size=FIXED(N))", v);
                } else {
                    rc = bad("invalid -col argument: %s", v);
                }
            }
        } else if (!strcmp(opt, "-pop")) {
            for (int k = 0; k < n_sub && !rc; k++) {
                const char *v = sub[k];
                if (!strncmp(v, "seq=", 4)) {
                    o->pop = ST_POP_SEQ;
                    if (parse_range(v + 4, v + strlen(v), &o->pop_lo, &o->pop_hi))
                        rc = bad("invalid sequence: %s (use seq=A..B)", v);
                } else if (!strncmp(v, "dist=", 5)) {
                    if (parse_dist(v + 5, o))
                        rc = bad("invalid distribution: %s (UNIFORM(A..B), GAUSSIAN(A..B), "
                                 "ZIPF(A..B,s))",
                                 v);
                } else if (!strcasecmp(v, "zipf")) {
                    o->pop = ST_POP_ZIPF;
                    o->zipf_s = 1.0;
                    o->pop_lo = 0; /* range from n below */
                } else if (!strncmp(v, "contents=", 9) || !strncmp(v, "read-lookback=", 14) ||
                           !strcmp(v, "no-wrap")) {
                    /* accepted, no effect */
                } else {
                    rc = bad("invalid -pop argument: %s", v);
                }
            }
            pop_set = 1;
        } else if (!strcmp(opt, "-mode")) {
            for (int k = 0; k < n_sub && !rc; k++) {
                const char *v = sub[k];
                if (!strcmp(v, "native") || !strcmp(v, "cql3") || !strcmp(v, "prepared") ||
                    !strcmp(v, "simplenative"))
                    ;
                else if (!strncmp(v, "user=", 5))
                    o->user = v + 5;
                else if (!strncmp(v, "password=", 9))
                    o->password = v + 9;
                else if (!strncmp(v, "protocolVersion=", 16)) {
                    if (parse_int(v + 16, 4, 5, &o->version))
                        rc = bad("protocol version %s is not supported (4 or 5)", v + 16);
                } else if (!strncmp(v, "connectionsPerHost=", 19)) {
                    if (parse_int(v + 19, 1, 1024, &o->conns)) rc = bad("invalid %s", v);
                    conns_set = 1;
                } else if (!strncmp(v, "maxPending=", 11) || !strncmp(v, "compression=", 12))
                    ;
                else if (!strcmp(v, "unprepared") || !strcmp(v, "thrift"))
                    rc = bad("-mode %s is not supported (native cql3 prepared only)", v);
                else
                    rc = bad("invalid -mode argument: %s", v);
            }
        } else if (!strcmp(opt, "-schema")) {
            for (int k = 0; k < n_sub && !rc; k++) {
                char *v = sub[k];
                size_t len = strlen(v);
                if (!strncmp(v, "keyspace=", 9) && len > 9) {
                    o->keyspace = v + 9;
                } else if (!strncmp(v, "replication(", 12) && v[len - 1] == ')') {
                    v[len - 1] = 0;
                    char *save = NULL;
                    for (char *t = strtok_r(v + 12, ",", &save); t && !rc;
                         t = strtok_r(NULL, ",", &save)) {
                        if (!strncmp(t, "factor=", 7)) {
                            if (parse_int(t + 7, 1, 100, &o->rf))
                                rc = bad("invalid replication factor: %s", t);
                        } else if (!strncmp(t, "strategy=", 9) && t[9]) {
                            o->strategy = t + 9;
                            if (strchr(o->strategy, '\'')) rc = bad("invalid strategy");
                        } else {
                            rc = bad("invalid replication option: %s", t);
                        }
                    }
                } else if (!strncmp(v, "compaction(", 11) || !strncmp(v, "compression=", 12)) {
                    /* ringdb has no compaction settings yet: accepted, ignored */
                } else {
                    rc = bad("invalid -schema argument: %s", v);
                }
            }
        } else if (!strcmp(opt, "-table")) {
            if (n_sub != 1) {
                rc = bad("-table needs [KEYSPACE.]TABLE");
                break;
            }
            char *dot = strchr(sub[0], '.');
            if (dot) {
                *dot = 0;
                o->keyspace = sub[0];
                o->table = dot + 1;
            } else {
                o->table = sub[0];
            }
            o->user_table = 1;
        } else if (!strcmp(opt, "-log") || !strcmp(opt, "-reporting")) {
            for (int k = 0; k < n_sub && !rc; k++) {
                const char *v = sub[k];
                const char *eq = strchr(v, '=');
                if (!strncmp(v, "interval=", 9) || !strncmp(v, "output-frequency=", 17)) {
                    if (parse_time(eq + 1, &o->interval_s)) rc = bad("invalid interval: %s", v);
                } else if (eq) {
                    /* level=, file=, hdrfile= ...: accepted, ignored */
                } else {
                    rc = bad("invalid %s argument: %s", opt, v);
                }
            }
        } else {
            rc = bad("unrecognised option: %s", opt);
        }
    }
    if (rc) goto out;

    for (const char *p = o->keyspace; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_') {
            rc = bad("invalid keyspace name: %s", o->keyspace);
            goto out;
        }
    if (o->table)
        for (const char *p = o->table; *p; p++)
            if (!isalnum((unsigned char)*p) && *p != '_') {
                rc = bad("invalid table name: %s", o->table);
                goto out;
            }
    if (!o->table)
        o->table = (o->command == ST_COUNTER_WRITE || o->command == ST_COUNTER_READ) ? "counter1"
                                                                                     : "standard1";
    if (o->n_hosts == 0) o->hosts[o->n_hosts++] = "127.0.0.1";
    if (!conns_set) o->conns = o->threads < 4 ? o->threads : 4;
    if (o->conns > o->threads) o->conns = o->threads;
    int64_t limit = o->n > 0 ? o->n : 1000000;
    if (o->pop < 0 || (o->pop == ST_POP_ZIPF && o->pop_lo == 0)) {
        int zipf = o->pop == ST_POP_ZIPF;
        o->pop_lo = 1;
        o->pop_hi = limit;
        if (zipf)
            o->pop = ST_POP_ZIPF;
        else if (o->command == ST_WRITE || o->command == ST_COUNTER_WRITE)
            o->pop = ST_POP_SEQ;
        else {
            o->pop = ST_POP_GAUSSIAN;
            o->pop_mean = (1.0 + (double)limit) / 2;
            o->pop_stdev = fmax(((double)limit - 1.0) / 6, 1);
        }
    }
out:
    if (rc) {
        fprintf(stderr, "ringdb-stress: error: %s\n", g_err);
        st_usage(stderr);
        return -1;
    }
    return 0;
}
