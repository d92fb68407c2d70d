/*
 * cfg -- the node configuration: cassandra.yaml keys, ringdb's own keys,
 * --set overrides, defaults and validation.
 *
 * Life cycle (main thread, at start):
 *
 *     cfg_defaults(&c);                       Cassandra 4.1 defaults
 *     cfg_load_yaml(&c, path, err, sz);       optional: ringdb.yaml / cassandra.yaml
 *     cfg_set(&c, "key", "value", err, sz);   each --set KEY=VALUE, --address ...
 *     cfg_finalize(&c, err, sz);              derive directories, cross-check
 *     ... the node runs; shards read c, nobody writes it ...
 *     cfg_free(&c);
 *
 * Key names are cassandra.yaml's (4.1 spelling, e.g. commitlog_sync_period:
 * 10000ms) and the legacy 4.0 spelling with a unit in the name
 * (commitlog_sync_period_in_ms: 10000, commitlog_segment_size_in_mb: 32)
 * is accepted too; setting both spellings in one file is an error, as in
 * Cassandra. ringdb-only keys: data_dir, dc, rack, smp, admin_port,
 * prometheus_port, log_level, and `seeds` (the seed list, as a comma
 * separated string; shorthand for the seed_provider structure).
 *
 * Values:
 *  - durations: "<digits><unit>", unit one of d h m s ms (case matters, no
 *    sign, no space), as Cassandra's DurationSpec. Every duration here is
 *    millisecond-bound in Cassandra, so us/µs/ns are rejected as Cassandra
 *    rejects them for these keys. Stored in milliseconds (field suffix _ms).
 *  - sizes: "<digits><unit>", unit one of B KiB MiB GiB (case matters), as
 *    Cassandra's DataStorageSpec. The sizes here are MiB-bound in Cassandra
 *    (B and KiB rejected for them, like Cassandra). Stored in bytes (suffix
 *    _bytes).
 *  - legacy keys take plain non-negative integers in the unit of their name.
 *  - booleans: YAML 1.1 true/false/yes/no/on/off, any case.
 *  - a YAML null (empty value, ~, null) leaves the setting as it was.
 *
 * Unknown keys in YAML are ignored with a debug log line, so a stock
 * cassandra.yaml loads; a known key with a value of the wrong kind or out
 * of range is an error that names the key (and file:line for YAML).
 * cfg_set() rejects unknown keys (a typo on the command line is a mistake).
 *
 * Invariants:
 *  (1) every string and list in a struct cfg is owned by it (mem_ heap) and
 *      freed by cfg_free(); pointers stay valid until the setting changes or
 *      cfg_free();
 *  (2) a failed cfg_set/cfg_load_yaml leaves every setting valid (possibly
 *      some settings of the file applied, never a half-written one);
 *  (3) after a successful cfg_finalize: data_file_directories has >= 1
 *      entry, commitlog/hints/saved_caches directories, broadcast_address,
 *      broadcast_rpc_address and the seed list are set (never NULL), and
 *      every range check below holds.
 *
 * Thread context: build and finalize on one thread at start; afterwards the
 * struct is read-only and may be read from any thread without locks
 * (DESIGN.md 4: immutable configuration is the one allowed global).
 */
#ifndef RINGDB_UTIL_CFG_H
#define RINGDB_UTIL_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/log.h"

enum cfg_commitlog_sync {
    CFG_COMMITLOG_PERIODIC, /* "periodic": ack at once, fsync every period */
    CFG_COMMITLOG_BATCH,    /* "batch": fsync before the ack */
    CFG_COMMITLOG_GROUP,    /* "group": fsync before the ack, at most once per window */
};

struct cfg {
    /* ring */
    char *cluster_name; /* "Test Cluster" */
    int num_tokens;     /* 16; 1..1536 */
    /* initial_token: NULL = unset; else comma separated int64 tokens, num_tokens of them */
    char *initial_token;

    /* addresses and ports (ringdb's --address sets listen_address and rpc_address) */
    char *listen_address;        /* "127.0.0.1" (internode) */
    char *rpc_address;           /* "127.0.0.1" (CQL clients) */
    char *broadcast_address;     /* NULL until finalize, then listen_address if unset */
    char *broadcast_rpc_address; /* NULL until finalize, then rpc_address if unset */
    int native_transport_port;   /* 9042 */
    int storage_port;            /* 7000 */
    int admin_port;              /* ringdb: 7199 */
    int prometheus_port;         /* ringdb: 9180 */
    char **seeds;                /* seed_provider seeds, each "host" or "host:port" */
    size_t n_seeds;              /* 0 until finalize, then [listen_address] if unset */

    /* directories; the NULL/empty ones are derived from data_dir by finalize */
    char *data_dir;               /* ringdb: "./data" */
    char **data_file_directories; /* "<data_dir>/data" */
    size_t n_data_file_directories;
    char *commitlog_directory;    /* "<data_dir>/commitlog" */
    char *hints_directory;        /* "<data_dir>/hints" */
    char *saved_caches_directory; /* "<data_dir>/saved_caches" */

    /* commit log */
    enum cfg_commitlog_sync commitlog_sync; /* periodic */
    int64_t commitlog_sync_period_ms;       /* 10000; > 0 when periodic */
    int64_t commitlog_sync_group_window_ms; /* 1000 (see README); > 0 when group */
    int64_t commitlog_segment_size_bytes;   /* 32 MiB; 1 MiB .. < 2048 MiB */

    /* native transport */
    int64_t native_transport_max_frame_size_bytes;       /* 16 MiB; 1 MiB .. < 2048 MiB */
    int64_t native_transport_max_concurrent_connections; /* -1 = unlimited */

    /* snitch */
    char *endpoint_snitch; /* "SimpleSnitch" (package prefix stripped) */
    char *dc;              /* ringdb: "datacenter1" */
    char *rack;            /* ringdb: "rack1" */

    /* auth (class names, "org.apache.cassandra.auth." prefix stripped) */
    char *authenticator; /* "AllowAllAuthenticator" */
    char *authorizer;    /* "AllowAllAuthorizer" */
    char *role_manager;  /* "CassandraRoleManager" */

    /* memory and concurrency */
    int64_t memtable_heap_space_bytes;    /* -1 = unset (derived by storage) */
    int64_t memtable_offheap_space_bytes; /* -1 = unset */
    int concurrent_reads;                 /* 32; >= 2 */
    int concurrent_writes;                /* 32; >= 2 */

    /* timeouts, milliseconds */
    int64_t read_request_timeout_ms;     /* 5000 */
    int64_t write_request_timeout_ms;    /* 2000 */
    int64_t range_request_timeout_ms;    /* 10000 */
    int64_t request_timeout_ms;          /* 10000 */
    int64_t cas_contention_timeout_ms;   /* 1000 */
    int64_t truncate_request_timeout_ms; /* 60000 */

    bool auto_snapshot; /* true */

    /* ringdb process */
    int smp;                  /* shard threads; 0 = one per core; 0..256 */
    enum log_level log_level; /* LOG_INFO; "debug" "info" "warn" "error" */
};

/* Fill c with the defaults. c's previous contents are not freed (call on a
 * fresh struct). If a default string cannot be allocated the field stays
 * NULL and cfg_finalize() reports "out of memory". */
void cfg_defaults(struct cfg *c);

/* Apply the settings of the YAML file at path over c. IN: path (read only
 * during the call). OUT: on error, err[0..errsz) gets one line such as
 * "ringdb.yaml:12: num_tokens: expected an integer, got \"x\"" or
 * "ringdb.yaml:3:1: YAML syntax error: found a tab character that violates
 * indentation". Returns 0 on success, -1 on error (see invariant (2)). */
int cfg_load_yaml(struct cfg *c, const char *path, char *err, size_t errsz);

/* Apply one KEY=VALUE override (the --set path). key is any key accepted in
 * YAML whose value is a scalar, plus: "seeds" (comma separated),
 * "data_file_directories" (comma separated) and "address" (sets
 * listen_address and rpc_address). An empty value unsets an optional
 * setting. IN: key, value (copied). Returns 0, or -1 with err set
 * ("num_tokens: expected an integer, got \"x\""). */
int cfg_set(struct cfg *c, const char *key, const char *value, char *err, size_t errsz);

/* Derive the unset directories from data_dir, default broadcast addresses
 * and seeds, and validate ranges and cross-field rules (ports 1..65535,
 * num_tokens 1..1536, smp 0..256, addresses are IPv4/IPv6 literals, ...).
 * Returns 0, or -1 with err set; c stays valid for cfg_free either way. */
int cfg_finalize(struct cfg *c, char *err, size_t errsz);

/* Free everything c owns; c must be cfg_defaults()-ed again before reuse. */
void cfg_free(struct cfg *c);

/* Name of a commitlog_sync mode ("periodic", "batch", "group"). */
const char *cfg_commitlog_sync_name(enum cfg_commitlog_sync s);

#endif
