/*
 * cfg.c -- see cfg.h.
 *
 * One table (keys[]) describes every accepted key: its kind, where it is
 * stored, its range, and for a 4.0 spelling ("_in_ms", "_in_mb") the unit
 * of its integer. YAML values and --set values both end in set_scalar(),
 * so the two paths validate identically; only lists and the nested
 * seed_provider / {class_name: ...} forms are YAML-specific.
 *
 * Every write of a string or list builds the new value first and swaps it
 * in only when complete (cfg.h invariant (2)).
 */
#include "util/cfg.h"
#include "util/mem.h"
#include "util/err.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#define MIB (INT64_C(1) << 20)

enum kind {
    K_STR,       /* required, non-empty string */
    K_OPT_STR,   /* optional string; "" unsets */
    K_CLASS,     /* class name; YAML may also say {class_name: X, parameters: ...} */
    K_INT,       /* int in [min, max] */
    K_LONG,      /* int64 in [min, max] */
    K_BOOL,      /* YAML 1.1 boolean */
    K_DUR,       /* "10000ms" -> ms, <= max */
    K_SIZE,      /* "32MiB" -> bytes, <= max */
    K_LEG_DUR,   /* legacy integer milliseconds, <= max */
    K_LEG_SIZE,  /* legacy integer in units of `unit` bytes, <= max bytes */
    K_LIST,      /* list of non-empty strings (YAML sequence; --set: comma separated) */
    K_SEEDS,     /* seeds: comma separated string, in YAML too */
    K_SEED_PROV, /* YAML seed_provider structure */
    K_SYNC,      /* commitlog_sync */
    K_LOG_LEVEL, /* log_level */
    K_ADDRESS,   /* ringdb: sets listen_address and rpc_address */
};

#define F_OPTIONAL 1u /* sizes: -1 = unset, "" unsets */
#define F_DOUBLE   2u /* legacy duration that Cassandra reads as a double */

struct key {
    const char *name;
    enum kind kind;
    size_t off;        /* offsetof(struct cfg, field) */
    int64_t min, max;  /* K_INT/K_LONG range; K_DUR/K_SIZE/K_LEG_*: max (ms or bytes) */
    int64_t unit;      /* K_LEG_SIZE: bytes per unit */
    const char *strip; /* K_CLASS: package prefix to drop */
    unsigned flags;
};

#define OFF(f)   offsetof(struct cfg, f)
#define AUTH_PKG "org.apache.cassandra.auth."
#define LOC_PKG  "org.apache.cassandra.locator."
/* Cassandra's Int*Bound specs must stay below Integer.MAX_VALUE in their unit. */
#define INT_MS  ((int64_t)INT32_MAX - 1)
#define INT_MIB (((int64_t)INT32_MAX - 1) * MIB)
#define LONG_MS (INT64_MAX - 1)

static const struct key keys[] = {
    {"cluster_name", K_STR, OFF(cluster_name), 0, 0, 0, NULL, 0},
    {"num_tokens", K_INT, OFF(num_tokens), 1, 1536, 0, NULL, 0},
    {"initial_token", K_OPT_STR, OFF(initial_token), 0, 0, 0, NULL, 0},
    {"listen_address", K_STR, OFF(listen_address), 0, 0, 0, NULL, 0},
    {"rpc_address", K_STR, OFF(rpc_address), 0, 0, 0, NULL, 0},
    {"address", K_ADDRESS, 0, 0, 0, 0, NULL, 0},
    {"broadcast_address", K_OPT_STR, OFF(broadcast_address), 0, 0, 0, NULL, 0},
    {"broadcast_rpc_address", K_OPT_STR, OFF(broadcast_rpc_address), 0, 0, 0, NULL, 0},
    {"native_transport_port", K_INT, OFF(native_transport_port), 1, 65535, 0, NULL, 0},
    {"storage_port", K_INT, OFF(storage_port), 1, 65535, 0, NULL, 0},
    {"admin_port", K_INT, OFF(admin_port), 1, 65535, 0, NULL, 0},
    {"prometheus_port", K_INT, OFF(prometheus_port), 1, 65535, 0, NULL, 0},
    {"seed_provider", K_SEED_PROV, OFF(seeds), 0, 0, 0, NULL, 0},
    {"seeds", K_SEEDS, OFF(seeds), 0, 0, 0, NULL, 0},
    {"data_dir", K_STR, OFF(data_dir), 0, 0, 0, NULL, 0},
    {"data_file_directories", K_LIST, OFF(data_file_directories), 0, 0, 0, NULL, 0},
    {"commitlog_directory", K_OPT_STR, OFF(commitlog_directory), 0, 0, 0, NULL, 0},
    {"hints_directory", K_OPT_STR, OFF(hints_directory), 0, 0, 0, NULL, 0},
    {"saved_caches_directory", K_OPT_STR, OFF(saved_caches_directory), 0, 0, 0, NULL, 0},
    {"commitlog_sync", K_SYNC, OFF(commitlog_sync), 0, 0, 0, NULL, 0},
    {"commitlog_sync_period", K_DUR, OFF(commitlog_sync_period_ms), 0, INT_MS, 0, NULL, 0},
    {"commitlog_sync_period_in_ms", K_LEG_DUR, OFF(commitlog_sync_period_ms), 0, INT_MS, 0, NULL,
     0},
    {"commitlog_sync_group_window", K_DUR, OFF(commitlog_sync_group_window_ms), 0, INT_MS, 0, NULL,
     0},
    {"commitlog_sync_group_window_in_ms", K_LEG_DUR, OFF(commitlog_sync_group_window_ms), 0, INT_MS,
     0, NULL, F_DOUBLE},
    {"commitlog_segment_size", K_SIZE, OFF(commitlog_segment_size_bytes), 0, INT_MIB, 0, NULL, 0},
    {"commitlog_segment_size_in_mb", K_LEG_SIZE, OFF(commitlog_segment_size_bytes), 0, INT_MIB, MIB,
     NULL, 0},
    {"native_transport_max_frame_size", K_SIZE, OFF(native_transport_max_frame_size_bytes), 0,
     INT_MIB, 0, NULL, 0},
    {"native_transport_max_frame_size_in_mb", K_LEG_SIZE,
     OFF(native_transport_max_frame_size_bytes), 0, INT_MIB, MIB, NULL, 0},
    {"native_transport_max_concurrent_connections", K_LONG,
     OFF(native_transport_max_concurrent_connections), -1, INT64_MAX, 0, NULL, 0},
    {"endpoint_snitch", K_CLASS, OFF(endpoint_snitch), 0, 0, 0, LOC_PKG, 0},
    {"dc", K_STR, OFF(dc), 0, 0, 0, NULL, 0},
    {"rack", K_STR, OFF(rack), 0, 0, 0, NULL, 0},
    {"authenticator", K_CLASS, OFF(authenticator), 0, 0, 0, AUTH_PKG, 0},
    {"authorizer", K_CLASS, OFF(authorizer), 0, 0, 0, AUTH_PKG, 0},
    {"role_manager", K_CLASS, OFF(role_manager), 0, 0, 0, AUTH_PKG, 0},
    {"memtable_heap_space", K_SIZE, OFF(memtable_heap_space_bytes), 0, INT_MIB, 0, NULL,
     F_OPTIONAL},
    {"memtable_heap_space_in_mb", K_LEG_SIZE, OFF(memtable_heap_space_bytes), 0, INT_MIB, MIB, NULL,
     F_OPTIONAL},
    {"memtable_offheap_space", K_SIZE, OFF(memtable_offheap_space_bytes), 0, INT_MIB, 0, NULL,
     F_OPTIONAL},
    {"memtable_offheap_space_in_mb", K_LEG_SIZE, OFF(memtable_offheap_space_bytes), 0, INT_MIB, MIB,
     NULL, F_OPTIONAL},
    {"concurrent_reads", K_INT, OFF(concurrent_reads), 2, INT_MAX, 0, NULL, 0},
    {"concurrent_writes", K_INT, OFF(concurrent_writes), 2, INT_MAX, 0, NULL, 0},
    {"read_request_timeout", K_DUR, OFF(read_request_timeout_ms), 0, LONG_MS, 0, NULL, 0},
    {"read_request_timeout_in_ms", K_LEG_DUR, OFF(read_request_timeout_ms), 0, LONG_MS, 0, NULL, 0},
    {"write_request_timeout", K_DUR, OFF(write_request_timeout_ms), 0, LONG_MS, 0, NULL, 0},
    {"write_request_timeout_in_ms", K_LEG_DUR, OFF(write_request_timeout_ms), 0, LONG_MS, 0, NULL,
     0},
    {"range_request_timeout", K_DUR, OFF(range_request_timeout_ms), 0, LONG_MS, 0, NULL, 0},
    {"range_request_timeout_in_ms", K_LEG_DUR, OFF(range_request_timeout_ms), 0, LONG_MS, 0, NULL,
     0},
    {"request_timeout", K_DUR, OFF(request_timeout_ms), 0, LONG_MS, 0, NULL, 0},
    {"request_timeout_in_ms", K_LEG_DUR, OFF(request_timeout_ms), 0, LONG_MS, 0, NULL, 0},
    {"cas_contention_timeout", K_DUR, OFF(cas_contention_timeout_ms), 0, LONG_MS, 0, NULL, 0},
    {"cas_contention_timeout_in_ms", K_LEG_DUR, OFF(cas_contention_timeout_ms), 0, LONG_MS, 0, NULL,
     0},
    {"truncate_request_timeout", K_DUR, OFF(truncate_request_timeout_ms), 0, LONG_MS, 0, NULL, 0},
    {"truncate_request_timeout_in_ms", K_LEG_DUR, OFF(truncate_request_timeout_ms), 0, LONG_MS, 0,
     NULL, 0},
    {"auto_snapshot", K_BOOL, OFF(auto_snapshot), 0, 0, 0, NULL, 0},
    {"smp", K_INT, OFF(smp), 0, 256, 0, NULL, 0},
    {"log_level", K_LOG_LEVEL, OFF(log_level), 0, 0, 0, NULL, 0},
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static const struct key *find_key(const char *name)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(keys[i].name, name) == 0) return &keys[i];
    return NULL;
}

/* ---- small helpers ------------------------------------------------------ */

#define FIELD(c, k, type) ((type *)((char *)(c) + (k)->off))

/* Replace *slot with a copy of s[0..n) (or NULL when s is NULL). */
static int set_str(char **slot, const char *s, size_t n)
{
    char *d = NULL;
    if (s) {
        d = mem_strndup(s, n);
        if (!d) return -1;
    }
    mem_free(*slot);
    *slot = d;
    return 0;
}

static void free_list(char **v, size_t n)
{
    if (!v) return;
    for (size_t i = 0; i < n; i++)
        mem_free(v[i]);
    mem_free(v);
}

/* The list that ends at a char *[] field is followed by its size_t count. */
static size_t *list_count(struct cfg *c, const struct key *k)
{
    if (k->off == OFF(seeds)) return &c->n_seeds;
    return &c->n_data_file_directories;
}

static void swap_list(struct cfg *c, const struct key *k, char **v, size_t n)
{
    char ***slot = FIELD(c, k, char **);
    size_t *cnt = list_count(c, k);
    free_list(*slot, *cnt);
    *slot = v;
    *cnt = n;
}

/* Split "a, b,c" on commas, trimming blanks and dropping empty items.
 * OUT: *out (caller owns), *n. Returns 0 or -1 (out of memory). */
static int split_list(const char *s, char ***out, size_t *n)
{
    size_t cap = 1;
    for (const char *p = s; *p; p++)
        cap += *p == ',';
    char **v = mem_calloc(cap, sizeof(*v));
    if (!v) return -1;
    size_t i = 0;
    const char *p = s;
    for (;;) {
        const char *e = strchr(p, ',');
        if (!e) e = p + strlen(p);
        const char *b = p, *t = e;
        while (b < t && (*b == ' ' || *b == '\t'))
            b++;
        while (t > b && (t[-1] == ' ' || t[-1] == '\t'))
            t--;
        if (t > b) {
            v[i] = mem_strndup(b, (size_t)(t - b));
            if (!v[i]) {
                free_list(v, i);
                return -1;
            }
            i++;
        }
        if (!*e) break;
        p = e + 1;
    }
    *out = v;
    *n = i;
    return 0;
}

/* Strict decimal integer: optional sign, digits, nothing else. */
static int parse_i64(const char *s, int64_t *out)
{
    const char *p = s;
    if (*p == '+' || *p == '-') p++;
    if (*p < '0' || *p > '9') return -1;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9') return -1;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end) return -1;
    *out = v;
    return 0;
}

/* Leading digits of s as a non-negative int64. OUT: *q, *rest (unit text).
 * Returns -1 when there are no digits, -2 on overflow. */
static int parse_quantity(const char *s, int64_t *q, const char **rest)
{
    const char *p = s;
    int64_t v = 0;
    if (*p < '0' || *p > '9') return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (INT64_MAX - (*p - '0')) / 10) return -2;
        v = v * 10 + (*p - '0');
    }
    *q = v;
    *rest = p;
    return 0;
}

static int mul_ok(int64_t a, int64_t b, int64_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}

static int parse_bool(const char *s, bool *out)
{
    static const char *yes[] = {"true", "yes", "on"}, *no[] = {"false", "no", "off"};
    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp(s, yes[i]) == 0) return *out = true, 0;
        if (strcasecmp(s, no[i]) == 0) return *out = false, 0;
    }
    return -1;
}

/* ---- setting one value -------------------------------------------------- */

static int oom(const struct key *k, char *err, size_t errsz)
{
    return err_set(err, errsz, "%s: out of memory", k->name);
}

/* Durations: Cassandra's DurationSpec "<digits><unit>"; these keys are all
 * millisecond-bound, so us/µs/ns are rejected as Cassandra rejects them. */
static int set_duration(int64_t *slot, const struct key *k, const char *v, char *err, size_t errsz)
{
    static const struct {
        const char *sym;
        int64_t ms; /* 0: finer than a millisecond */
    } units[] = {{"ms", 1},       {"s", 1000}, {"m", 60000}, {"h", 3600000},
                 {"d", 86400000}, {"us", 0},   {"µs", 0},    {"ns", 0}};
    int64_t q, ms;
    const char *u;
    int rc = parse_quantity(v, &q, &u);
    if (rc == 0) {
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
            if (strcmp(u, units[i].sym) != 0) continue;
            if (units[i].ms == 0)
                return err_set(err, errsz,
                               "%s: invalid duration \"%s\": the smallest unit accepted is ms "
                               "(accepted units: ms, s, m, h, d)",
                               k->name, v);
            if (!mul_ok(q, units[i].ms, &ms) || ms > k->max)
                return err_set(err, errsz,
                               "%s: invalid duration \"%s\": it should be less than %" PRId64 " ms",
                               k->name, v, k->max + 1);
            *slot = ms;
            return 0;
        }
    }
    return err_set(err, errsz,
                   "%s: invalid duration \"%s\": expected a non-negative integer and a unit, one "
                   "of ms, s, m, h, d (e.g. 10000ms)",
                   k->name, v);
}

/* Sizes: Cassandra's DataStorageSpec "<digits><unit>"; these keys are all
 * mebibyte-bound, so B and KiB are rejected as Cassandra rejects them. */
static int set_size(int64_t *slot, const struct key *k, const char *v, char *err, size_t errsz)
{
    static const struct {
        const char *sym;
        int64_t bytes; /* 0: finer than a mebibyte */
    } units[] = {{"MiB", MIB}, {"GiB", MIB * 1024}, {"KiB", 0}, {"B", 0}};
    int64_t q, b;
    const char *u;
    if (*v == 0 && (k->flags & F_OPTIONAL)) {
        *slot = -1;
        return 0;
    }
    int rc = parse_quantity(v, &q, &u);
    if (rc == 0) {
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
            if (strcmp(u, units[i].sym) != 0) continue;
            if (units[i].bytes == 0)
                return err_set(err, errsz,
                               "%s: invalid size \"%s\": the smallest unit accepted is MiB "
                               "(accepted units: MiB, GiB)",
                               k->name, v);
            if (!mul_ok(q, units[i].bytes, &b) || b > k->max)
                return err_set(err, errsz,
                               "%s: invalid size \"%s\": it should be less than %" PRId64 " MiB",
                               k->name, v, k->max / MIB + 1);
            *slot = b;
            return 0;
        }
    }
    return err_set(err, errsz,
                   "%s: invalid size \"%s\": expected a non-negative integer and a unit, one of "
                   "MiB, GiB (e.g. 32MiB)",
                   k->name, v);
}

/* Legacy "_in_ms" / "_in_mb" keys: a plain non-negative integer in the
 * key's unit (commitlog_sync_group_window_in_ms: a number, rounded). */
static int set_legacy(int64_t *slot, const struct key *k, const char *v, char *err, size_t errsz)
{
    int64_t q, out;
    const char *rest;
    if (*v == 0 && (k->flags & F_OPTIONAL)) {
        *slot = -1;
        return 0;
    }
    int rc = parse_quantity(v, &q, &rest);
    if (rc == 0 && *rest == '.' && (k->flags & F_DOUBLE)) {
        const char *p = rest + 1;
        if (*p >= '0' && *p <= '9') {
            int round_up = *p >= '5';
            while (*p >= '0' && *p <= '9')
                p++;
            if (*p == 0) {
                rest = p;
                if (round_up) q++;
            }
        }
    }
    if (rc != 0 || *rest != 0)
        return err_set(err, errsz, "%s: expected a non-negative integer, got \"%s\"", k->name, v);
    int64_t unit = k->kind == K_LEG_SIZE ? k->unit : 1;
    if (!mul_ok(q, unit, &out) || out > k->max)
        return err_set(err, errsz, "%s: value \"%s\" is too large", k->name, v);
    *slot = out;
    return 0;
}

static const char *strip_prefix(const char *v, const char *prefix)
{
    size_t n = prefix ? strlen(prefix) : 0;
    if (n && strncmp(v, prefix, n) == 0 && v[n]) return v + n;
    return v;
}

static int set_seeds_str(struct cfg *c, const struct key *k, const char *v, char *err, size_t errsz)
{
    char **list;
    size_t n;
    if (split_list(v, &list, &n) != 0) return oom(k, err, errsz);
    if (n == 0) {
        mem_free(list);
        return err_set(err, errsz, "%s: the seed list is empty", k->name);
    }
    swap_list(c, k, list, n);
    return 0;
}

/* Apply scalar value v (NUL-terminated) to key k. The common path for YAML
 * scalars and --set. Errors name the key; the caller adds the location. */
static int set_scalar(struct cfg *c, const struct key *k, const char *v, char *err, size_t errsz)
{
    switch (k->kind) {
    case K_STR:
        if (!*v) return err_set(err, errsz, "%s: must not be empty", k->name);
        if (set_str(FIELD(c, k, char *), v, strlen(v)) != 0) return oom(k, err, errsz);
        return 0;
    case K_OPT_STR:
        if (set_str(FIELD(c, k, char *), *v ? v : NULL, strlen(v)) != 0) return oom(k, err, errsz);
        return 0;
    case K_CLASS: {
        const char *s = strip_prefix(v, k->strip);
        if (!*s) return err_set(err, errsz, "%s: must not be empty", k->name);
        if (set_str(FIELD(c, k, char *), s, strlen(s)) != 0) return oom(k, err, errsz);
        return 0;
    }
    case K_INT:
    case K_LONG: {
        int64_t x;
        if (parse_i64(v, &x) != 0)
            return err_set(err, errsz, "%s: expected an integer, got \"%s\"", k->name, v);
        if (x < k->min || x > k->max)
            return err_set(err, errsz,
                           "%s: must be between %" PRId64 " and %" PRId64 ", got %" PRId64, k->name,
                           k->min, k->max, x);
        if (k->kind == K_INT)
            *FIELD(c, k, int) = (int)x;
        else
            *FIELD(c, k, int64_t) = x;
        return 0;
    }
    case K_BOOL: {
        bool b;
        if (parse_bool(v, &b) != 0)
            return err_set(err, errsz, "%s: expected true or false, got \"%s\"", k->name, v);
        *FIELD(c, k, bool) = b;
        return 0;
    }
    case K_DUR: return set_duration(FIELD(c, k, int64_t), k, v, err, errsz);
    case K_SIZE: return set_size(FIELD(c, k, int64_t), k, v, err, errsz);
    case K_LEG_DUR:
    case K_LEG_SIZE: return set_legacy(FIELD(c, k, int64_t), k, v, err, errsz);
    case K_LIST: {
        char **list;
        size_t n;
        if (split_list(v, &list, &n) != 0) return oom(k, err, errsz);
        if (n == 0) {
            mem_free(list);
            return err_set(err, errsz, "%s: the list is empty", k->name);
        }
        swap_list(c, k, list, n);
        return 0;
    }
    case K_SEEDS: return set_seeds_str(c, k, v, err, errsz);
    case K_SEED_PROV:
        return err_set(err, errsz, "%s: not a scalar setting (use seeds=HOST[,HOST...])", k->name);
    case K_SYNC: {
        static const char *names[] = {"periodic", "batch", "group"};
        for (int i = 0; i < 3; i++) {
            if (strcasecmp(v, names[i]) == 0) {
                c->commitlog_sync = (enum cfg_commitlog_sync)i;
                return 0;
            }
        }
        return err_set(err, errsz, "%s: expected periodic, batch or group, got \"%s\"", k->name, v);
    }
    case K_LOG_LEVEL: {
        static const struct {
            const char *name;
            enum log_level lvl;
        } lv[] = {{"debug", LOG_DEBUG},
                  {"info", LOG_INFO},
                  {"warn", LOG_WARN},
                  {"warning", LOG_WARN},
                  {"error", LOG_ERROR}};
        for (size_t i = 0; i < sizeof(lv) / sizeof(lv[0]); i++) {
            if (strcasecmp(v, lv[i].name) == 0) {
                c->log_level = lv[i].lvl;
                return 0;
            }
        }
        return err_set(err, errsz, "%s: expected debug, info, warn or error, got \"%s\"", k->name,
                       v);
    }
    case K_ADDRESS: {
        if (!*v) return err_set(err, errsz, "%s: must not be empty", k->name);
        char *a = mem_strndup(v, strlen(v)), *b = mem_strndup(v, strlen(v));
        if (!a || !b) {
            mem_free(a);
            mem_free(b);
            return oom(k, err, errsz);
        }
        mem_free(c->listen_address);
        mem_free(c->rpc_address);
        c->listen_address = a;
        c->rpc_address = b;
        return 0;
    }
    }
    return err_set(err, errsz, "%s: unsupported setting", k->name);
}

/* ---- public: defaults, --set -------------------------------------------- */

void cfg_defaults(struct cfg *c)
{
    memset(c, 0, sizeof(*c));
#define S(f, v) c->f = mem_strndup(v, strlen(v))
    S(cluster_name, "Test Cluster");
    S(listen_address, "127.0.0.1");
    S(rpc_address, "127.0.0.1");
    S(data_dir, "./data");
    S(endpoint_snitch, "SimpleSnitch");
    S(dc, "datacenter1");
    S(rack, "rack1");
    S(authenticator, "AllowAllAuthenticator");
    S(authorizer, "AllowAllAuthorizer");
    S(role_manager, "CassandraRoleManager");
#undef S
    c->num_tokens = 16;
    c->native_transport_port = 9042;
    c->storage_port = 7000;
    c->admin_port = 7199;
    c->prometheus_port = 9180;
    c->commitlog_sync = CFG_COMMITLOG_PERIODIC;
    c->commitlog_sync_period_ms = 10000;
    c->commitlog_sync_group_window_ms = 1000;
    c->commitlog_segment_size_bytes = 32 * MIB;
    c->native_transport_max_frame_size_bytes = 16 * MIB;
    c->native_transport_max_concurrent_connections = -1;
    c->memtable_heap_space_bytes = -1;
    c->memtable_offheap_space_bytes = -1;
    c->concurrent_reads = 32;
    c->concurrent_writes = 32;
    c->read_request_timeout_ms = 5000;
    c->write_request_timeout_ms = 2000;
    c->range_request_timeout_ms = 10000;
    c->request_timeout_ms = 10000;
    c->cas_contention_timeout_ms = 1000;
    c->truncate_request_timeout_ms = 60000;
    c->auto_snapshot = true;
    c->smp = 0;
    c->log_level = LOG_INFO;
}

int cfg_set(struct cfg *c, const char *key, const char *value, char *err, size_t errsz)
{
    if (!key || !*key) return err_set(err, errsz, "empty setting name");
    const struct key *k = find_key(key);
    if (!k) return err_set(err, errsz, "%s: unknown setting", key);
    return set_scalar(c, k, value ? value : "", err, errsz);
}

/* ---- YAML --------------------------------------------------------------- */

struct yctx {
    struct cfg *c;
    yaml_document_t *doc;
    const char *path;
    char *err;
    size_t errsz;
};

static const char *node_kind(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_SCALAR_NODE: return "a scalar";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_MAPPING_NODE: return "a mapping";
    default: return "nothing";
    }
}

static size_t line_of(const yaml_node_t *n)
{
    return n->start_mark.line + 1;
}

static const char *scalar(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

/* YAML 1.1 null: an empty or ~/null plain scalar. */
static int is_null(const yaml_node_t *n)
{
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return 0;
    const char *s = scalar(n);
    return !*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
           strcmp(s, "NULL") == 0;
}

/* Re-prefix the error that set_scalar wrote with "path:line: ". */
static int located(struct yctx *y, const yaml_node_t *at)
{
    char msg[512];
    snprintf(msg, sizeof(msg), "%s", y->err ? y->err : "");
    return err_set(y->err, y->errsz, "%s:%zu: %s", y->path, line_of(at), msg);
}

static int wrong_type(struct yctx *y, const struct key *k, const yaml_node_t *v,
                      const char *expected)
{
    return err_set(y->err, y->errsz, "%s:%zu: %s: expected %s, got %s", y->path, line_of(v),
                   k->name, expected, node_kind(v));
}

/* Value of `name` in mapping m, or NULL. */
static yaml_node_t *map_get(yaml_document_t *d, yaml_node_t *m, const char *name)
{
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = yaml_document_get_node(d, p->key);
        if (kn && kn->type == YAML_SCALAR_NODE && strcmp(scalar(kn), name) == 0)
            return yaml_document_get_node(d, p->value);
    }
    return NULL;
}

static int apply_list(struct yctx *y, const struct key *k, yaml_node_t *v)
{
    if (v->type != YAML_SEQUENCE_NODE) return wrong_type(y, k, v, "a list of strings");
    size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    if (n == 0)
        return err_set(y->err, y->errsz, "%s:%zu: %s: the list is empty", y->path, line_of(v),
                       k->name);
    char **list = mem_calloc(n, sizeof(*list));
    if (!list)
        return err_set(y->err, y->errsz, "%s:%zu: %s: out of memory", y->path, line_of(v), k->name);
    size_t i = 0;
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++, i++) {
        yaml_node_t *e = yaml_document_get_node(y->doc, *it);
        if (!e || e->type != YAML_SCALAR_NODE || is_null(e) || !*scalar(e)) {
            free_list(list, i);
            return wrong_type(y, k, e ? e : v, "a list of non-empty strings");
        }
        list[i] = mem_strndup(scalar(e), strlen(scalar(e)));
        if (!list[i]) {
            free_list(list, i);
            return err_set(y->err, y->errsz, "%s:%zu: %s: out of memory", y->path, line_of(v),
                           k->name);
        }
    }
    swap_list(y->c, k, list, n);
    return 0;
}

/* seed_provider:
 *   - class_name: org.apache.cassandra.locator.SimpleSeedProvider
 *     parameters:
 *       - seeds: "127.0.0.1:7000,127.0.0.2"
 * (Cassandra's ParameterizedClass: a list of one mapping, or the mapping
 * itself; parameters likewise.) */
static int apply_seed_provider(struct yctx *y, const struct key *k, yaml_node_t *v)
{
    yaml_node_t *m = v;
    if (m->type == YAML_SEQUENCE_NODE) {
        if (m->data.sequence.items.top - m->data.sequence.items.start != 1)
            return err_set(y->err, y->errsz, "%s:%zu: %s: expected a list of exactly one class",
                           y->path, line_of(v), k->name);
        m = yaml_document_get_node(y->doc, *m->data.sequence.items.start);
    }
    if (!m || m->type != YAML_MAPPING_NODE)
        return wrong_type(y, k, m ? m : v, "a mapping with class_name and parameters");
    yaml_node_t *cls = map_get(y->doc, m, "class_name");
    if (!cls || cls->type != YAML_SCALAR_NODE)
        return err_set(y->err, y->errsz, "%s:%zu: %s: class_name is missing", y->path, line_of(m),
                       k->name);
    const char *cn = strip_prefix(scalar(cls), LOC_PKG);
    if (strcmp(cn, "SimpleSeedProvider") != 0)
        return err_set(y->err, y->errsz,
                       "%s:%zu: %s: unsupported class_name \"%s\" (ringdb supports "
                       "org.apache.cassandra.locator.SimpleSeedProvider)",
                       y->path, line_of(cls), k->name, scalar(cls));
    yaml_node_t *params = map_get(y->doc, m, "parameters");
    if (params && params->type == YAML_SEQUENCE_NODE &&
        params->data.sequence.items.top - params->data.sequence.items.start == 1)
        params = yaml_document_get_node(y->doc, *params->data.sequence.items.start);
    if (!params || params->type != YAML_MAPPING_NODE)
        return err_set(y->err, y->errsz, "%s:%zu: %s: parameters with seeds are missing", y->path,
                       line_of(m), k->name);
    yaml_node_t *seeds = map_get(y->doc, params, "seeds");
    if (!seeds)
        return err_set(y->err, y->errsz, "%s:%zu: %s: parameters have no seeds", y->path,
                       line_of(params), k->name);
    if (seeds->type != YAML_SCALAR_NODE)
        return wrong_type(y, k, seeds, "seeds as a comma separated string");
    if (set_seeds_str(y->c, k, scalar(seeds), y->err, y->errsz) != 0) return located(y, seeds);
    return 0;
}

static int apply_pair(struct yctx *y, const struct key *k, yaml_node_t *v)
{
    if (is_null(v)) return 0; /* YAML null: keep the current value */
    switch (k->kind) {
    case K_LIST: return apply_list(y, k, v);
    case K_SEED_PROV: return apply_seed_provider(y, k, v);
    case K_CLASS:
        if (v->type == YAML_MAPPING_NODE) { /* 5.0 style {class_name: X, parameters: {...}} */
            yaml_node_t *cls = map_get(y->doc, v, "class_name");
            if (!cls || cls->type != YAML_SCALAR_NODE)
                return err_set(y->err, y->errsz, "%s:%zu: %s: class_name is missing", y->path,
                               line_of(v), k->name);
            v = cls;
        }
        break;
    default: break;
    }
    if (v->type != YAML_SCALAR_NODE) return wrong_type(y, k, v, "a scalar value");
    if (set_scalar(y->c, k, scalar(v), y->err, y->errsz) != 0) return located(y, v);
    return 0;
}

int cfg_load_yaml(struct cfg *c, const char *path, char *err, size_t errsz)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    int rc = -1, have_parser = 0, have_doc = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return err_set(err, errsz, "%s: cannot open: %s", path, strerror(errno));

    if (!yaml_parser_initialize(&parser)) {
        err_set(err, errsz, "%s: out of memory", path);
        goto out;
    }
    have_parser = 1;
    yaml_parser_set_input_file(&parser, f);
    if (!yaml_parser_load(&parser, &doc)) {
        err_set(err, errsz, "%s:%zu:%zu: YAML syntax error: %s%s%s", path,
                parser.problem_mark.line + 1, parser.problem_mark.column + 1,
                parser.problem ? parser.problem : "unknown error", parser.context ? " " : "",
                parser.context ? parser.context : "");
        goto out;
    }
    have_doc = 1;

    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) { /* empty file: nothing to set */
        rc = 0;
        goto out;
    }
    if (root->type != YAML_MAPPING_NODE) {
        err_set(err, errsz, "%s:%zu: expected a mapping of settings at the top level, got %s", path,
                line_of(root), node_kind(root));
        goto out;
    }

    struct yctx y = {c, &doc, path, err, errsz};
    char seen[N_KEYS] = {0}; /* per key: set by this file */
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
         p++) {
        yaml_node_t *kn = yaml_document_get_node(&doc, p->key);
        yaml_node_t *vn = yaml_document_get_node(&doc, p->value);
        if (!kn || !vn) continue;
        if (kn->type != YAML_SCALAR_NODE) {
            err_set(err, errsz, "%s:%zu: a setting name must be a scalar, got %s", path,
                    line_of(kn), node_kind(kn));
            goto out;
        }
        const struct key *k = find_key(scalar(kn));
        if (!k) {
            log_debug("cfg: %s:%zu: ignoring unknown setting %s", path, line_of(kn), scalar(kn));
            continue;
        }
        /* Two spellings of one setting (e.g. X and X_in_ms) in one file. */
        for (size_t i = 0; i < N_KEYS; i++) {
            if (seen[i] && &keys[i] != k && keys[i].off == k->off && k->kind != K_ADDRESS &&
                keys[i].kind != K_ADDRESS) {
                err_set(err, errsz, "%s:%zu: %s and %s are both set; they are the same setting",
                        path, line_of(kn), keys[i].name, k->name);
                goto out;
            }
        }
        seen[k - keys] = 1;
        if (apply_pair(&y, k, vn) != 0) goto out;
    }
    rc = 0;
out:
    if (have_doc) yaml_document_delete(&doc);
    if (have_parser) yaml_parser_delete(&parser);
    fclose(f);
    return rc;
}

/* ---- finalize ----------------------------------------------------------- */

static int is_ip(const char *s)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static int is_wildcard(const char *s)
{
    unsigned char buf[sizeof(struct in6_addr)] = {0};
    static const unsigned char zero[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, s, buf) != 1 && inet_pton(AF_INET6, s, buf) != 1) return 0;
    return memcmp(buf, zero, sizeof(buf)) == 0;
}

/* A seed is "ip", "ipv4:port" or "[ipv6]:port". */
static int check_seed(const char *seed, char *err, size_t errsz)
{
    char host[INET6_ADDRSTRLEN + 1];
    const char *s = seed;
    const char *port = NULL;
    size_t n;
    if (s[0] == '[') {
        const char *e = strchr(s, ']');
        if (!e || (e[1] && e[1] != ':')) goto bad;
        n = (size_t)(e - s - 1);
        if (e[1] == ':') port = e + 2;
        s++;
    } else {
        const char *colon = strchr(s, ':');
        if (colon && !strchr(colon + 1, ':')) { /* one colon: IPv4 with port */
            n = (size_t)(colon - s);
            port = colon + 1;
        } else {
            n = strlen(s);
        }
    }
    if (n == 0 || n >= sizeof(host)) goto bad;
    memcpy(host, s, n);
    host[n] = 0;
    if (!is_ip(host)) goto bad;
    if (port) {
        int64_t p;
        if (parse_i64(port, &p) != 0 || p < 1 || p > 65535) goto bad;
    }
    return 0;
bad:
    return err_set(err, errsz, "seeds: \"%s\" is not an IP address, IPv4:port or [IPv6]:port",
                   seed);
}

static int derive_dir(char **slot, const char *root, const char *leaf)
{
    if (*slot) return 0;
    size_t n = strlen(root);
    while (n > 0 && root[n - 1] == '/')
        n--; /* "/" + "data" -> "/data" */
    size_t sz = n + 1 + strlen(leaf) + 1;
    char *d = mem_alloc(sz);
    if (!d) return -1;
    snprintf(d, sz, "%.*s/%s", (int)n, root, leaf);
    *slot = d;
    return 0;
}

static int check_range(const char *name, int64_t v, int64_t lo, int64_t hi, char *err, size_t errsz)
{
    if (v >= lo && v <= hi) return 0;
    return err_set(err, errsz, "%s: must be between %" PRId64 " and %" PRId64 ", got %" PRId64,
                   name, lo, hi, v);
}

static int check_tokens(const struct cfg *c, char *err, size_t errsz)
{
    int n = 0;
    const char *p = c->initial_token;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        while (len && (*p == ' ' || *p == '\t'))
            p++, len--;
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        char tok[32];
        int64_t v;
        if (len == 0 || len >= sizeof(tok)) goto bad;
        memcpy(tok, p, len);
        tok[len] = 0;
        if (parse_i64(tok, &v) != 0) goto bad;
        n++;
        if (!e) break;
        p = e + 1;
        continue;
    bad:
        return err_set(err, errsz,
                       "initial_token: \"%.*s\" is not a valid token (expected a comma separated "
                       "list of 64-bit integers)",
                       (int)(len < 64 ? len : 64), p);
    }
    if (n != c->num_tokens)
        return err_set(
            err, errsz,
            "The number of initial tokens (by initial_token) specified (%d) is different "
            "from num_tokens value (%d)",
            n, c->num_tokens);
    return 0;
}

int cfg_finalize(struct cfg *c, char *err, size_t errsz)
{
    /* A NULL required string means an allocation failed in cfg_defaults. */
    const char *req[] = {
        c->cluster_name, c->listen_address, c->rpc_address,   c->data_dir,   c->endpoint_snitch,
        c->dc,           c->rack,           c->authenticator, c->authorizer, c->role_manager};
    for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++)
        if (!req[i]) return err_set(err, errsz, "configuration: out of memory");

    /* Addresses. */
    const struct {
        const char *name, *v;
    } addrs[] = {{"listen_address", c->listen_address},
                 {"rpc_address", c->rpc_address},
                 {"broadcast_address", c->broadcast_address},
                 {"broadcast_rpc_address", c->broadcast_rpc_address}};
    for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++)
        if (addrs[i].v && !is_ip(addrs[i].v))
            return err_set(err, errsz, "%s: \"%s\" is not an IPv4 or IPv6 address", addrs[i].name,
                           addrs[i].v);
    if (is_wildcard(c->listen_address))
        return err_set(err, errsz, "listen_address cannot be a wildcard address (%s)!",
                       c->listen_address);
    if (c->broadcast_address && is_wildcard(c->broadcast_address))
        return err_set(err, errsz, "broadcast_address cannot be a wildcard address (%s)!",
                       c->broadcast_address);
    if (is_wildcard(c->rpc_address) &&
        (!c->broadcast_rpc_address || is_wildcard(c->broadcast_rpc_address)))
        return err_set(err, errsz,
                       "If rpc_address is set to a wildcard address %s, then you must set "
                       "broadcast_rpc_address to a value other than %s",
                       c->rpc_address, c->rpc_address);
    for (size_t i = 0; i < c->n_seeds; i++)
        if (check_seed(c->seeds[i], err, errsz) != 0) return -1;

    /* Ranges (also checked when set; repeated for values set directly). */
    if (check_range("num_tokens", c->num_tokens, 1, 1536, err, errsz) ||
        check_range("native_transport_port", c->native_transport_port, 1, 65535, err, errsz) ||
        check_range("storage_port", c->storage_port, 1, 65535, err, errsz) ||
        check_range("admin_port", c->admin_port, 1, 65535, err, errsz) ||
        check_range("prometheus_port", c->prometheus_port, 1, 65535, err, errsz) ||
        check_range("smp", c->smp, 0, 256, err, errsz) ||
        check_range("concurrent_reads", c->concurrent_reads, 2, INT_MAX, err, errsz) ||
        check_range("concurrent_writes", c->concurrent_writes, 2, INT_MAX, err, errsz) ||
        check_range("native_transport_max_concurrent_connections",
                    c->native_transport_max_concurrent_connections, -1, INT64_MAX, err, errsz))
        return -1;
    if (c->initial_token && check_tokens(c, err, errsz) != 0) return -1;

    /* Commit log, as Cassandra's DatabaseDescriptor checks it. */
    if (c->commitlog_sync == CFG_COMMITLOG_PERIODIC && c->commitlog_sync_period_ms <= 0)
        return err_set(err, errsz, "Missing value for commitlog_sync_period.");
    if (c->commitlog_sync == CFG_COMMITLOG_GROUP && c->commitlog_sync_group_window_ms <= 0)
        return err_set(err, errsz, "Missing value for commitlog_sync_group_window.");
    if (c->commitlog_segment_size_bytes <= 0)
        return err_set(err, errsz,
                       "commitlog_segment_size must be positive, but was %" PRId64 "MiB",
                       c->commitlog_segment_size_bytes / MIB);
    if (c->commitlog_segment_size_bytes >= 2048 * MIB)
        return err_set(err, errsz,
                       "commitlog_segment_size must be smaller than 2048, but was %" PRId64,
                       c->commitlog_segment_size_bytes / MIB);
    if (c->native_transport_max_frame_size_bytes <= 0 ||
        c->native_transport_max_frame_size_bytes >= 2048 * MIB)
        return err_set(
            err, errsz,
            "native_transport_max_frame_size must be between 1MiB and 2047MiB, got %" PRId64
            " bytes",
            c->native_transport_max_frame_size_bytes);
    if (c->read_request_timeout_ms < 0 || c->write_request_timeout_ms < 0 ||
        c->range_request_timeout_ms < 0 || c->request_timeout_ms < 0 ||
        c->cas_contention_timeout_ms < 0 || c->truncate_request_timeout_ms < 0)
        return err_set(err, errsz, "request timeouts must not be negative");

    /* Derived values. */
    if (c->n_data_file_directories == 0) {
        char **v = mem_calloc(1, sizeof(*v));
        if (!v || derive_dir(&v[0], c->data_dir, "data") != 0) {
            mem_free(v);
            return err_set(err, errsz, "configuration: out of memory");
        }
        free_list(c->data_file_directories, 0);
        c->data_file_directories = v;
        c->n_data_file_directories = 1;
    }
    if (derive_dir(&c->commitlog_directory, c->data_dir, "commitlog") ||
        derive_dir(&c->hints_directory, c->data_dir, "hints") ||
        derive_dir(&c->saved_caches_directory, c->data_dir, "saved_caches") ||
        (!c->broadcast_address &&
         set_str(&c->broadcast_address, c->listen_address, strlen(c->listen_address))) ||
        (!c->broadcast_rpc_address &&
         set_str(&c->broadcast_rpc_address, c->rpc_address, strlen(c->rpc_address))))
        return err_set(err, errsz, "configuration: out of memory");
    if (c->n_seeds == 0) {
        char **v = mem_calloc(1, sizeof(*v));
        if (!v || !(v[0] = mem_strndup(c->listen_address, strlen(c->listen_address)))) {
            mem_free(v);
            return err_set(err, errsz, "configuration: out of memory");
        }
        free_list(c->seeds, 0);
        c->seeds = v;
        c->n_seeds = 1;
    }
    for (size_t i = 0; i < c->n_data_file_directories; i++)
        if (strcmp(c->data_file_directories[i], c->commitlog_directory) == 0)
            return err_set(err, errsz,
                           "commitlog_directory must not be the same as any data_file_directories");
    return 0;
}

void cfg_free(struct cfg *c)
{
    char **strs[] = {&c->cluster_name,
                     &c->initial_token,
                     &c->listen_address,
                     &c->rpc_address,
                     &c->broadcast_address,
                     &c->broadcast_rpc_address,
                     &c->data_dir,
                     &c->commitlog_directory,
                     &c->hints_directory,
                     &c->saved_caches_directory,
                     &c->endpoint_snitch,
                     &c->dc,
                     &c->rack,
                     &c->authenticator,
                     &c->authorizer,
                     &c->role_manager};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        mem_free(*strs[i]);
        *strs[i] = NULL;
    }
    free_list(c->seeds, c->n_seeds);
    free_list(c->data_file_directories, c->n_data_file_directories);
    c->seeds = c->data_file_directories = NULL;
    c->n_seeds = c->n_data_file_directories = 0;
}

const char *cfg_commitlog_sync_name(enum cfg_commitlog_sync s)
{
    switch (s) {
    case CFG_COMMITLOG_PERIODIC: return "periodic";
    case CFG_COMMITLOG_BATCH: return "batch";
    case CFG_COMMITLOG_GROUP: return "group";
    }
    return "?";
}
