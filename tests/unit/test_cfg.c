/*
 * test_cfg -- cfg_: defaults, YAML files (written to temporary files),
 * every unit form, legacy keys, seed_provider nesting, bad YAML, wrong
 * types, bad values, --set overrides, finalize derivation and checks, and
 * an out-of-memory sweep.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/cfg.h"
#include "util/mem.h"

#define MIB (INT64_C(1) << 20)

static char tmp_path[64];
static char err[512];

/* Write text to a fresh temporary file; its path is tmp_path. */
static const char *write_tmp(const char *text)
{
    snprintf(tmp_path, sizeof(tmp_path), "/tmp/test_cfg_XXXXXX");
    int fd = mkstemp(tmp_path);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
    return tmp_path;
}

/* Load text as a YAML file into c; returns cfg_load_yaml's result. */
static int load(struct cfg *c, const char *text)
{
    const char *p = write_tmp(text);
    err[0] = 0;
    int rc = cfg_load_yaml(c, p, err, sizeof(err));
    unlink(p);
    return rc;
}

static void assert_err_has(const char *needle)
{
    if (!strstr(err, needle)) fail_msg("error \"%s\" lacks \"%s\"", err, needle);
}

/* Load text into a fresh default cfg and expect failure mentioning needle. */
static void load_fails(const char *text, const char *needle)
{
    struct cfg c;
    cfg_defaults(&c);
    if (load(&c, text) != -1) fail_msg("loaded without error:\n%s", text);
    assert_err_has(needle);
    cfg_free(&c);
}

/* cfg_set on a fresh default cfg; expect failure mentioning needle. */
static void set_fails(const char *key, const char *value, const char *needle)
{
    struct cfg c;
    cfg_defaults(&c);
    err[0] = 0;
    if (cfg_set(&c, key, value, err, sizeof(err)) != -1) fail_msg("%s=%s accepted", key, value);
    assert_err_has(needle);
    cfg_free(&c);
}

static void set_ok(struct cfg *c, const char *key, const char *value)
{
    err[0] = 0;
    if (cfg_set(c, key, value, err, sizeof(err)) != 0) fail_msg("%s=%s: %s", key, value, err);
}

/* finalize on defaults + one --set; expect failure mentioning needle. */
static void finalize_fails(const char *key, const char *value, const char *needle)
{
    struct cfg c;
    cfg_defaults(&c);
    set_ok(&c, key, value);
    err[0] = 0;
    if (cfg_finalize(&c, err, sizeof(err)) != -1) fail_msg("finalize accepted %s=%s", key, value);
    assert_err_has(needle);
    cfg_free(&c);
}

static int64_t outstanding_at_start;

static int setup(void **state)
{
    (void)state;
    outstanding_at_start = mem_outstanding();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(mem_outstanding(), outstanding_at_start); /* nothing leaked */
    return 0;
}

/* ---- defaults and finalize ----------------------------------------------- */

static void test_defaults(void **state)
{
    (void)state;
    struct cfg c;
    cfg_defaults(&c);
    assert_string_equal(c.cluster_name, "Test Cluster");
    assert_int_equal(c.num_tokens, 16);
    assert_null(c.initial_token);
    assert_string_equal(c.listen_address, "127.0.0.1");
    assert_string_equal(c.rpc_address, "127.0.0.1");
    assert_null(c.broadcast_address);
    assert_null(c.broadcast_rpc_address);
    assert_int_equal(c.native_transport_port, 9042);
    assert_int_equal(c.storage_port, 7000);
    assert_int_equal(c.admin_port, 7199);
    assert_int_equal(c.prometheus_port, 9180);
    assert_int_equal(c.n_seeds, 0);
    assert_string_equal(c.data_dir, "./data");
    assert_int_equal(c.n_data_file_directories, 0);
    assert_null(c.commitlog_directory);
    assert_int_equal(c.commitlog_sync, CFG_COMMITLOG_PERIODIC);
    assert_string_equal(cfg_commitlog_sync_name(c.commitlog_sync), "periodic");
    assert_int_equal(c.commitlog_sync_period_ms, 10000);
    assert_int_equal(c.commitlog_sync_group_window_ms, 1000);
    assert_int_equal(c.commitlog_segment_size_bytes, 32 * MIB);
    assert_int_equal(c.native_transport_max_frame_size_bytes, 16 * MIB);
    assert_int_equal(c.native_transport_max_concurrent_connections, -1);
    assert_string_equal(c.endpoint_snitch, "SimpleSnitch");
    assert_string_equal(c.dc, "datacenter1");
    assert_string_equal(c.rack, "rack1");
    assert_string_equal(c.authenticator, "AllowAllAuthenticator");
    assert_string_equal(c.authorizer, "AllowAllAuthorizer");
    assert_string_equal(c.role_manager, "CassandraRoleManager");
    assert_int_equal(c.memtable_heap_space_bytes, -1);
    assert_int_equal(c.memtable_offheap_space_bytes, -1);
    assert_int_equal(c.concurrent_reads, 32);
    assert_int_equal(c.concurrent_writes, 32);
    assert_int_equal(c.read_request_timeout_ms, 5000);
    assert_int_equal(c.write_request_timeout_ms, 2000);
    assert_int_equal(c.range_request_timeout_ms, 10000);
    assert_int_equal(c.request_timeout_ms, 10000);
    assert_int_equal(c.cas_contention_timeout_ms, 1000);
    assert_int_equal(c.truncate_request_timeout_ms, 60000);
    assert_true(c.auto_snapshot);
    assert_int_equal(c.smp, 0);
    assert_int_equal(c.log_level, LOG_INFO);
    cfg_free(&c);
}

static void test_finalize_derives(void **state)
{
    (void)state;
    struct cfg c;
    cfg_defaults(&c);
    assert_int_equal(cfg_finalize(&c, err, sizeof(err)), 0);
    assert_int_equal(c.n_data_file_directories, 1);
    assert_string_equal(c.data_file_directories[0], "./data/data");
    assert_string_equal(c.commitlog_directory, "./data/commitlog");
    assert_string_equal(c.hints_directory, "./data/hints");
    assert_string_equal(c.saved_caches_directory, "./data/saved_caches");
    assert_string_equal(c.broadcast_address, "127.0.0.1");
    assert_string_equal(c.broadcast_rpc_address, "127.0.0.1");
    assert_int_equal(c.n_seeds, 1);
    assert_string_equal(c.seeds[0], "127.0.0.1");
    cfg_free(&c);

    /* data_dir set after (or before) other overrides; explicit dirs are kept. */
    cfg_defaults(&c);
    set_ok(&c, "commitlog_directory", "/fast/commitlog");
    set_ok(&c, "data_dir", "/var/lib/ringdb//");
    set_ok(&c, "address", "127.0.0.2");
    assert_int_equal(cfg_finalize(&c, err, sizeof(err)), 0);
    assert_string_equal(c.data_file_directories[0], "/var/lib/ringdb/data");
    assert_string_equal(c.commitlog_directory, "/fast/commitlog");
    assert_string_equal(c.hints_directory, "/var/lib/ringdb/hints");
    assert_string_equal(c.saved_caches_directory, "/var/lib/ringdb/saved_caches");
    assert_string_equal(c.listen_address, "127.0.0.2");
    assert_string_equal(c.rpc_address, "127.0.0.2");
    assert_string_equal(c.broadcast_address, "127.0.0.2");
    assert_string_equal(c.seeds[0], "127.0.0.2");
    cfg_free(&c);

    cfg_defaults(&c);
    set_ok(&c, "data_dir", "/");
    set_ok(&c, "broadcast_address", "10.0.0.1");
    set_ok(&c, "rpc_address", "0.0.0.0");
    set_ok(&c, "broadcast_rpc_address", "10.0.0.2");
    assert_int_equal(cfg_finalize(&c, err, sizeof(err)), 0);
    assert_string_equal(c.commitlog_directory, "/commitlog");
    assert_string_equal(c.broadcast_address, "10.0.0.1");
    assert_string_equal(c.broadcast_rpc_address, "10.0.0.2");
    cfg_free(&c);
}

static void test_finalize_checks(void **state)
{
    (void)state;
    finalize_fails("listen_address", "localhost", "listen_address: \"localhost\" is not");
    finalize_fails("rpc_address", "1.2.3", "rpc_address");
    finalize_fails("broadcast_address", "1.2.3.4.5", "broadcast_address");
    finalize_fails("listen_address", "0.0.0.0", "listen_address cannot be a wildcard");
    finalize_fails("rpc_address", "0.0.0.0", "must set broadcast_rpc_address");
    finalize_fails("rpc_address", "::", "must set broadcast_rpc_address");
    finalize_fails("seeds", "127.0.0.1,not-an-ip", "seeds: \"not-an-ip\"");
    finalize_fails("seeds", "127.0.0.1:0", "seeds");
    finalize_fails("seeds", "[::1]x", "seeds");
    finalize_fails("initial_token", "1,2,3", "different from num_tokens value (16)");
    finalize_fails("initial_token", "abc", "initial_token: \"abc\"");
    finalize_fails("commitlog_sync_period", "0ms", "Missing value for commitlog_sync_period");
    finalize_fails("commitlog_segment_size", "2048MiB", "smaller than 2048");
    finalize_fails("commitlog_segment_size", "0MiB", "must be positive");
    finalize_fails("native_transport_max_frame_size", "0MiB", "native_transport_max_frame_size");
    finalize_fails("commitlog_directory", "./data/data", "commitlog_directory must not be");

    struct cfg c;
    cfg_defaults(&c);
    set_ok(&c, "commitlog_sync", "group");
    set_ok(&c, "commitlog_sync_group_window", "0ms");
    assert_int_equal(cfg_finalize(&c, err, sizeof(err)), -1);
    assert_err_has("Missing value for commitlog_sync_group_window");
    cfg_free(&c);

    /* Good forms of the same things. */
    cfg_defaults(&c);
    set_ok(&c, "num_tokens", "3");
    set_ok(&c, "initial_token", "-9223372036854775808, 0,9223372036854775807");
    set_ok(&c, "seeds", "127.0.0.1:7000, ::1, [::1]:7001 ,10.1.2.3");
    set_ok(&c, "listen_address", "::1");
    set_ok(&c, "commitlog_sync", "batch");
    set_ok(&c, "commitlog_sync_period", "0ms");
    assert_int_equal(cfg_finalize(&c, err, sizeof(err)), 0);
    assert_int_equal(c.n_seeds, 4);
    assert_string_equal(c.seeds[2], "[::1]:7001");
    cfg_free(&c);

    /* Values set directly in the struct are range-checked too. */
    cfg_defaults(&c);
    c.smp = 300;
    assert_int_equal(cfg_finalize(&c, err, sizeof(err)), -1);
    assert_err_has("smp");
    c.smp = 0;
    c.native_transport_port = 0;
    assert_int_equal(cfg_finalize(&c, err, sizeof(err)), -1);
    assert_err_has("native_transport_port");
    cfg_free(&c);
}

/* ---- YAML ---------------------------------------------------------------- */

static const char full_yaml[] =
    "# a cassandra.yaml-like file\n"
    "cluster_name: 'Prod Cluster'\n"
    "num_tokens: 4\n"
    "allocate_tokens_for_local_replication_factor: 3   # unknown to ringdb: ignored\n"
    "initial_token:\n"
    "hinted_handoff_enabled: true\n"
    "max_hint_window: 3h\n"
    "authenticator: PasswordAuthenticator\n"
    "authorizer: org.apache.cassandra.auth.CassandraAuthorizer\n"
    "role_manager: CassandraRoleManager\n"
    "seed_provider:\n"
    "  - class_name: org.apache.cassandra.locator.SimpleSeedProvider\n"
    "    parameters:\n"
    "      - seeds: \"127.0.0.1:7000,127.0.0.2\"\n"
    "data_file_directories:\n"
    "  - /d1/data\n"
    "  - /d2/data\n"
    "commitlog_directory: /c/commitlog\n"
    "hints_directory: /h\n"
    "saved_caches_directory: /s\n"
    "commitlog_sync: group\n"
    "commitlog_sync_group_window: 15ms\n"
    "commitlog_segment_size: 64MiB\n"
    "listen_address: 127.0.0.3\n"
    "rpc_address: 127.0.0.4\n"
    "broadcast_address: 127.0.0.5\n"
    "broadcast_rpc_address: 127.0.0.6\n"
    "native_transport_port: 19042\n"
    "storage_port: 17000\n"
    "ssl_storage_port: 7001\n"
    "native_transport_max_frame_size: 32MiB\n"
    "native_transport_max_concurrent_connections: 1000\n"
    "endpoint_snitch: GossipingPropertyFileSnitch\n"
    "dc: dc2\n"
    "rack: r7\n"
    "memtable_heap_space: 2048MiB\n"
    "memtable_offheap_space: 1GiB\n"
    "concurrent_reads: 64\n"
    "concurrent_writes: 48\n"
    "read_request_timeout: 6s\n"
    "write_request_timeout: 2500ms\n"
    "range_request_timeout: 1m\n"
    "request_timeout: 1h\n"
    "cas_contention_timeout: 1d\n"
    "truncate_request_timeout: 120000ms\n"
    "auto_snapshot: false\n"
    "client_encryption_options:\n"
    "  enabled: false\n"
    "  keystore: conf/.keystore\n"
    "audit_logging_options: {enabled: false, logger: [{class_name: BinAuditLogger}]}\n"
    "data_dir: /ringdb\n"
    "smp: 4\n"
    "admin_port: 17199\n"
    "prometheus_port: 19180\n"
    "log_level: DEBUG\n";

static void test_full_yaml(void **state)
{
    (void)state;
    struct cfg c;
    cfg_defaults(&c);
    if (load(&c, full_yaml) != 0) fail_msg("%s", err);
    assert_string_equal(c.cluster_name, "Prod Cluster");
    assert_int_equal(c.num_tokens, 4);
    assert_null(c.initial_token);
    assert_string_equal(c.authenticator, "PasswordAuthenticator");
    assert_string_equal(c.authorizer, "CassandraAuthorizer");
    assert_int_equal(c.n_seeds, 2);
    assert_string_equal(c.seeds[0], "127.0.0.1:7000");
    assert_string_equal(c.seeds[1], "127.0.0.2");
    assert_int_equal(c.n_data_file_directories, 2);
    assert_string_equal(c.data_file_directories[1], "/d2/data");
    assert_string_equal(c.commitlog_directory, "/c/commitlog");
    assert_int_equal(c.commitlog_sync, CFG_COMMITLOG_GROUP);
    assert_int_equal(c.commitlog_sync_group_window_ms, 15);
    assert_int_equal(c.commitlog_segment_size_bytes, 64 * MIB);
    assert_string_equal(c.listen_address, "127.0.0.3");
    assert_string_equal(c.rpc_address, "127.0.0.4");
    assert_string_equal(c.broadcast_address, "127.0.0.5");
    assert_string_equal(c.broadcast_rpc_address, "127.0.0.6");
    assert_int_equal(c.native_transport_port, 19042);
    assert_int_equal(c.storage_port, 17000);
    assert_int_equal(c.native_transport_max_frame_size_bytes, 32 * MIB);
    assert_int_equal(c.native_transport_max_concurrent_connections, 1000);
    assert_string_equal(c.endpoint_snitch, "GossipingPropertyFileSnitch");
    assert_string_equal(c.dc, "dc2");
    assert_string_equal(c.rack, "r7");
    assert_int_equal(c.memtable_heap_space_bytes, 2048 * MIB);
    assert_int_equal(c.memtable_offheap_space_bytes, 1024 * MIB);
    assert_int_equal(c.concurrent_reads, 64);
    assert_int_equal(c.concurrent_writes, 48);
    assert_int_equal(c.read_request_timeout_ms, 6000);
    assert_int_equal(c.write_request_timeout_ms, 2500);
    assert_int_equal(c.range_request_timeout_ms, 60000);
    assert_int_equal(c.request_timeout_ms, 3600000);
    assert_int_equal(c.cas_contention_timeout_ms, 86400000);
    assert_int_equal(c.truncate_request_timeout_ms, 120000);
    assert_false(c.auto_snapshot);
    assert_string_equal(c.data_dir, "/ringdb");
    assert_int_equal(c.smp, 4);
    assert_int_equal(c.admin_port, 17199);
    assert_int_equal(c.prometheus_port, 19180);
    assert_int_equal(c.log_level, LOG_DEBUG);
    assert_int_equal(cfg_finalize(&c, err, sizeof(err)), 0);
    assert_string_equal(c.data_file_directories[0], "/d1/data"); /* explicit, not derived */
    assert_string_equal(c.hints_directory, "/h");
    cfg_free(&c);
}

static void test_yaml_misc(void **state)
{
    (void)state;
    struct cfg c;
    cfg_defaults(&c);
    /* Empty file and comments only: nothing changes. */
    assert_int_equal(load(&c, ""), 0);
    assert_int_equal(load(&c, "# nothing\n"), 0);
    /* Null values keep the current setting; quoted scalars are strings. */
    assert_int_equal(load(&c, "num_tokens:\ncluster_name: ~\nsmp: \"8\"\n"), 0);
    assert_int_equal(c.num_tokens, 16);
    assert_string_equal(c.cluster_name, "Test Cluster");
    assert_int_equal(c.smp, 8);
    /* Booleans in YAML 1.1 spellings. */
    assert_int_equal(load(&c, "auto_snapshot: off\n"), 0);
    assert_false(c.auto_snapshot);
    assert_int_equal(load(&c, "auto_snapshot: Yes\n"), 0);
    assert_true(c.auto_snapshot);
    /* 5.0-style authenticator with parameters. */
    assert_int_equal(load(&c, "authenticator:\n  class_name: "
                              "org.apache.cassandra.auth.PasswordAuthenticator\n"
                              "  parameters: {x: y}\n"),
                     0);
    assert_string_equal(c.authenticator, "PasswordAuthenticator");
    /* A later file overrides an earlier one. */
    assert_int_equal(load(&c, "cluster_name: a\n"), 0);
    assert_int_equal(load(&c, "cluster_name: b\n"), 0);
    assert_string_equal(c.cluster_name, "b");
    /* Anchors and aliases resolve. */
    assert_int_equal(load(&c, "x: &p 9043\nnative_transport_port: *p\n"), 0);
    assert_int_equal(c.native_transport_port, 9043);
    /* Invariant (2): a failing file leaves every setting valid; settings
     * before the failing key are applied. */
    assert_int_equal(load(&c, "cluster_name: applied\nnum_tokens: many\nsmp: 2\n"), -1);
    assert_string_equal(c.cluster_name, "applied");
    assert_int_equal(c.num_tokens, 16);
    assert_int_equal(c.smp, 8);
    cfg_free(&c);

    /* Missing file. */
    cfg_defaults(&c);
    assert_int_equal(cfg_load_yaml(&c, "/nonexistent/ringdb.yaml", err, sizeof(err)), -1);
    assert_err_has("/nonexistent/ringdb.yaml: cannot open");
    cfg_free(&c);

    load_fails("- a\n- b\n", "expected a mapping of settings at the top level, got a list");
    load_fails("just a scalar\n", "top level");
    load_fails("? [a, b]\n: c\n", "a setting name must be a scalar");
}

static void test_bad_yaml(void **state)
{
    (void)state;
    char want[128];
    /* Each error names the file and the line. */
    struct {
        const char *text, *line, *what;
    } bad[] = {
        {"num_tokens: 4\nseeds: [127.0.0.1, 127.0.0.2\nsmp: 2\n", ":3:", "YAML syntax error"},
        {"a: {b: 1\n", ":2:", "YAML syntax error"},
        {"cluster_name: 'unterminated\n", ":2:", "quoted scalar"},
        {"data_file_directories:\n\t- /a\n", ":2:", "YAML syntax error"},
        {"num_tokens: 1\n\tsmp: 2\n", ":2:", "tab"},
        {"num_tokens: 1\n  smp: 2\n", ":2:", "YAML syntax error"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct cfg c;
        cfg_defaults(&c);
        if (load(&c, bad[i].text) != -1) fail_msg("loaded: %s", bad[i].text);
        snprintf(want, sizeof(want), "%s%s", tmp_path, bad[i].line);
        assert_err_has(want);
        assert_err_has(bad[i].what);
        cfg_free(&c);
    }
}

static void test_wrong_types(void **state)
{
    (void)state;
    load_fails("num_tokens: [1, 2]\n", ":1: num_tokens: expected a scalar value, got a list");
    load_fails("\n\ncluster_name: {a: b}\n",
               ":3: cluster_name: expected a scalar value, got a mapping");
    load_fails("data_file_directories: /one/dir\n",
               "data_file_directories: expected a list of strings, got a scalar");
    load_fails("data_file_directories:\n  - [x]\n",
               "data_file_directories: expected a list of non-empty strings");
    load_fails("data_file_directories: []\n", "data_file_directories: the list is empty");
    load_fails("num_tokens: sixteen\n", "num_tokens: expected an integer, got \"sixteen\"");
    load_fails("native_transport_port: 9042.0\n", "native_transport_port: expected an integer");
    load_fails("native_transport_port: 0x2352\n", "native_transport_port: expected an integer");
    load_fails("auto_snapshot: maybe\n", "auto_snapshot: expected true or false");
    load_fails("commitlog_sync: [periodic]\n", "commitlog_sync: expected a scalar value");
    load_fails("seeds: [a, b]\n", "seeds: expected a scalar value, got a list");
    load_fails("authenticator: {parameters: {}}\n", "authenticator: class_name is missing");
    load_fails("read_request_timeout: {ms: 5}\n", "read_request_timeout: expected a scalar");
}

static void test_bad_values(void **state)
{
    (void)state;
    load_fails("native_transport_port: 0\n",
               "native_transport_port: must be between 1 and 65535, got 0");
    load_fails("storage_port: 70000\n", "storage_port: must be between 1 and 65535");
    load_fails("num_tokens: 0\n", "num_tokens: must be between 1 and 1536");
    load_fails("num_tokens: 1537\n", "num_tokens");
    load_fails("smp: 257\n", "smp: must be between 0 and 256");
    load_fails("smp: -1\n", "smp");
    load_fails("concurrent_reads: 1\n", "concurrent_reads: must be between 2");
    load_fails("native_transport_max_concurrent_connections: -2\n",
               "native_transport_max_concurrent_connections");
    load_fails("commitlog_sync: sometimes\n", "commitlog_sync: expected periodic, batch or group");
    load_fails("log_level: loud\n", "log_level: expected debug, info, warn or error");
    load_fails("cluster_name: ''\n", "cluster_name: must not be empty");
    load_fails("num_tokens: 99999999999999999999\n", "num_tokens: expected an integer");
    set_fails("dc", "", "dc: must not be empty");
}

/* ---- units ---------------------------------------------------------------- */

static void test_duration_units(void **state)
{
    (void)state;
    static const struct {
        const char *v;
        int64_t ms;
    } good[] = {
        {"0ms", 0},        {"7ms", 7},
        {"5s", 5000},      {"3m", 180000},
        {"2h", 7200000},   {"1d", 86400000},
        {"000100ms", 100}, {"106751991167d", INT64_C(106751991167) * 86400000},
    };
    struct cfg c;
    cfg_defaults(&c);
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        set_ok(&c, "write_request_timeout", good[i].v);
        assert_int_equal(c.write_request_timeout_ms, good[i].ms);
    }
    /* Int-bound (commitlog_sync_period) vs long-bound (timeouts). */
    set_ok(&c, "commitlog_sync_period", "2147483646ms");
    assert_int_equal(c.commitlog_sync_period_ms, 2147483646);
    cfg_free(&c);

    static const char *bad[] = {"10",           "ms",   "10 ms", " 10ms", "10ms ",
                                "-1ms",         "+1ms", "1.5s",  "10MS",  "10Ms",
                                "10sec",        "1w",   "10msx", "",      "99999999999999999999ms",
                                "106751991168d"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        set_fails("read_request_timeout", bad[i], "read_request_timeout: invalid duration");
    /* Finer than milliseconds: Cassandra rejects these for ms-bound keys. */
    set_fails("read_request_timeout", "500us", "smallest unit accepted is ms");
    set_fails("read_request_timeout", "500µs", "smallest unit accepted is ms");
    set_fails("read_request_timeout", "1000000ns", "smallest unit accepted is ms");
    set_fails("commitlog_sync_period", "2147483647ms", "commitlog_sync_period: invalid duration");
    set_fails("commitlog_sync_group_window", "25d", "less than 2147483647 ms");
}

static void test_size_units(void **state)
{
    (void)state;
    struct cfg c;
    cfg_defaults(&c);
    set_ok(&c, "commitlog_segment_size", "8MiB");
    assert_int_equal(c.commitlog_segment_size_bytes, 8 * MIB);
    set_ok(&c, "memtable_heap_space", "3GiB");
    assert_int_equal(c.memtable_heap_space_bytes, 3 * 1024 * MIB);
    set_ok(&c, "memtable_heap_space", ""); /* optional: unset again */
    assert_int_equal(c.memtable_heap_space_bytes, -1);
    set_ok(&c, "memtable_offheap_space", "0MiB");
    assert_int_equal(c.memtable_offheap_space_bytes, 0);
    cfg_free(&c);

    static const char *bad[] = {"32",     "32mib", "32MB",   "32 MiB", "32M",       "-1MiB",
                                "1.5GiB", "MiB",   "32MiBs", "",       "2097152GiB"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        set_fails("native_transport_max_frame_size", bad[i],
                  "native_transport_max_frame_size: invalid size");
    /* MiB-bound in Cassandra: B and KiB are rejected. */
    set_fails("commitlog_segment_size", "33554432B", "smallest unit accepted is MiB");
    set_fails("commitlog_segment_size", "32768KiB", "smallest unit accepted is MiB");
}

static void test_legacy_keys(void **state)
{
    (void)state;
    struct cfg c;
    cfg_defaults(&c);
    const char *yaml = "commitlog_sync_period_in_ms: 5000\n"
                       "commitlog_sync_group_window_in_ms: 10.6\n"
                       "commitlog_segment_size_in_mb: 64\n"
                       "native_transport_max_frame_size_in_mb: 256\n"
                       "memtable_heap_space_in_mb: 512\n"
                       "memtable_offheap_space_in_mb: 0\n"
                       "read_request_timeout_in_ms: 1\n"
                       "write_request_timeout_in_ms: 2\n"
                       "range_request_timeout_in_ms: 3\n"
                       "request_timeout_in_ms: 4\n"
                       "cas_contention_timeout_in_ms: 5\n"
                       "truncate_request_timeout_in_ms: 6\n";
    if (load(&c, yaml) != 0) fail_msg("%s", err);
    assert_int_equal(c.commitlog_sync_period_ms, 5000);
    assert_int_equal(c.commitlog_sync_group_window_ms, 11);
    assert_int_equal(c.commitlog_segment_size_bytes, 64 * MIB);
    assert_int_equal(c.native_transport_max_frame_size_bytes, 256 * MIB);
    assert_int_equal(c.memtable_heap_space_bytes, 512 * MIB);
    assert_int_equal(c.memtable_offheap_space_bytes, 0);
    assert_int_equal(c.read_request_timeout_ms, 1);
    assert_int_equal(c.write_request_timeout_ms, 2);
    assert_int_equal(c.range_request_timeout_ms, 3);
    assert_int_equal(c.request_timeout_ms, 4);
    assert_int_equal(c.cas_contention_timeout_ms, 5);
    assert_int_equal(c.truncate_request_timeout_ms, 6);
    set_ok(&c, "commitlog_sync_period_in_ms", "250");
    assert_int_equal(c.commitlog_sync_period_ms, 250);
    cfg_free(&c);

    load_fails("commitlog_sync_period_in_ms: 10000ms\n",
               "commitlog_sync_period_in_ms: expected a non-negative integer");
    load_fails("commitlog_segment_size_in_mb: -1\n", "commitlog_segment_size_in_mb");
    load_fails("commitlog_sync_period_in_ms: 1.5\n", "commitlog_sync_period_in_ms"); /* int only */
    load_fails("commitlog_segment_size_in_mb: 2147483647\n", "too large");
    /* Both spellings of one setting in one file, as Cassandra refuses. */
    load_fails("commitlog_sync_period: 5s\ncommitlog_sync_period_in_ms: 5000\n",
               ":2: commitlog_sync_period and commitlog_sync_period_in_ms are both set");
    load_fails("seeds: 127.0.0.1\nseed_provider: [{class_name: SimpleSeedProvider, "
               "parameters: [{seeds: 127.0.0.2}]}]\n",
               "seeds and seed_provider are both set");
}

/* ---- seed_provider -------------------------------------------------------- */

static void test_seed_provider(void **state)
{
    (void)state;
    struct cfg c;
    cfg_defaults(&c);
    /* The stock cassandra.yaml form. */
    assert_int_equal(load(&c, "seed_provider:\n"
                              "  - class_name: org.apache.cassandra.locator.SimpleSeedProvider\n"
                              "    parameters:\n"
                              "      # seeds is a comma-delimited list\n"
                              "      - seeds: \"127.0.0.1:7000\"\n"),
                     0);
    assert_int_equal(c.n_seeds, 1);
    assert_string_equal(c.seeds[0], "127.0.0.1:7000");
    /* Flow style, short class name, parameters as a plain mapping, spaces. */
    assert_int_equal(load(&c, "seed_provider: [{class_name: SimpleSeedProvider, "
                              "parameters: {seeds: ' 10.0.0.1 ,, 10.0.0.2,::1 '}}]\n"),
                     0);
    assert_int_equal(c.n_seeds, 3);
    assert_string_equal(c.seeds[0], "10.0.0.1");
    assert_string_equal(c.seeds[1], "10.0.0.2");
    assert_string_equal(c.seeds[2], "::1");
    /* The mapping without the outer list. */
    assert_int_equal(load(&c, "seed_provider:\n  class_name: SimpleSeedProvider\n"
                              "  parameters:\n    - seeds: 127.0.0.9\n"),
                     0);
    assert_string_equal(c.seeds[0], "127.0.0.9");
    assert_int_equal(cfg_finalize(&c, err, sizeof(err)), 0);
    cfg_free(&c);

    load_fails("seed_provider:\n  - class_name: com.example.K8sSeedProvider\n"
               "    parameters:\n      - seeds: a\n",
               ":2: seed_provider: unsupported class_name \"com.example.K8sSeedProvider\"");
    load_fails("seed_provider:\n  - parameters:\n      - seeds: a\n",
               "seed_provider: class_name is missing");
    load_fails("seed_provider:\n  - class_name: SimpleSeedProvider\n",
               "seed_provider: parameters with seeds are missing");
    load_fails("seed_provider:\n  - class_name: SimpleSeedProvider\n    parameters:\n"
               "      - other: x\n",
               "seed_provider: parameters have no seeds");
    load_fails("seed_provider:\n  - class_name: SimpleSeedProvider\n    parameters:\n"
               "      - seeds: [a, b]\n",
               ":4: seed_provider: expected seeds as a comma separated string, got a list");
    load_fails("seed_provider:\n  - class_name: SimpleSeedProvider\n    parameters:\n"
               "      - seeds: ' , '\n",
               ":4: seed_provider: the seed list is empty");
    load_fails("seed_provider: 127.0.0.1\n", "seed_provider: expected a mapping");
    load_fails("seed_provider: [{class_name: SimpleSeedProvider}, {class_name: X}]\n",
               "seed_provider: expected a list of exactly one class");
}

/* ---- --set ---------------------------------------------------------------- */

static void test_set_overrides(void **state)
{
    (void)state;
    struct cfg c;
    cfg_defaults(&c);
    assert_int_equal(load(&c, "num_tokens: 8\ncluster_name: from-file\n"), 0);
    set_ok(&c, "num_tokens", "32"); /* --set wins over the file */
    assert_int_equal(c.num_tokens, 32);
    set_ok(&c, "cluster_name", "from --set");
    assert_string_equal(c.cluster_name, "from --set");
    set_ok(&c, "seeds", "127.0.0.1,127.0.0.2");
    assert_int_equal(c.n_seeds, 2);
    set_ok(&c, "data_file_directories", "/a, /b,/c");
    assert_int_equal(c.n_data_file_directories, 3);
    assert_string_equal(c.data_file_directories[2], "/c");
    set_ok(&c, "initial_token", "42");
    assert_string_equal(c.initial_token, "42");
    set_ok(&c, "initial_token", ""); /* empty unsets an optional setting */
    assert_null(c.initial_token);
    set_ok(&c, "commitlog_sync", "batch");
    assert_int_equal(c.commitlog_sync, CFG_COMMITLOG_BATCH);
    set_ok(&c, "log_level", "warning");
    assert_int_equal(c.log_level, LOG_WARN);
    set_ok(&c, "auto_snapshot", "FALSE");
    assert_false(c.auto_snapshot);
    set_ok(&c, "endpoint_snitch", "org.apache.cassandra.locator.GossipingPropertyFileSnitch");
    assert_string_equal(c.endpoint_snitch, "GossipingPropertyFileSnitch");
    set_ok(&c, "smp", "+2");
    assert_int_equal(c.smp, 2);
    set_ok(&c, "native_transport_max_concurrent_connections", "-1");
    assert_int_equal(c.native_transport_max_concurrent_connections, -1);
    set_ok(&c, "memtable_heap_space_in_mb", "100");
    assert_int_equal(c.memtable_heap_space_bytes, 100 * MIB);
    set_ok(&c, "rpc_address", "::1");
    set_ok(&c, "address", "127.0.0.7");
    assert_string_equal(c.listen_address, "127.0.0.7");
    assert_string_equal(c.rpc_address, "127.0.0.7");
    set_ok(&c, "num_tokens", "1");
    assert_int_equal(cfg_finalize(&c, err, sizeof(err)), 0);
    cfg_free(&c);

    set_fails("no_such_setting", "1", "no_such_setting: unknown setting");
    set_fails("", "1", "empty setting name");
    set_fails("seed_provider", "x", "seed_provider: not a scalar setting (use seeds=");
    set_fails("seeds", "", "seeds: the seed list is empty");
    set_fails("seeds", " , ", "seeds: the seed list is empty");
    set_fails("data_file_directories", ",", "data_file_directories: the list is empty");
    set_fails("num_tokens", "", "num_tokens: expected an integer");
    set_fails("num_tokens", "1 ", "num_tokens: expected an integer");
    set_fails("cluster_name", "", "cluster_name: must not be empty");
    set_fails("address", "", "address: must not be empty");
    set_fails("prometheus_port", "65536", "prometheus_port: must be between 1 and 65535");
    set_fails("admin_port", "-7199", "admin_port");
}

/* ---- out of memory -------------------------------------------------------- */

static int one_round(const char *path)
{
    struct cfg c;
    int rc;
    cfg_defaults(&c);
    rc = cfg_load_yaml(&c, path, err, sizeof(err));
    if (rc == 0) rc = cfg_set(&c, "seeds", "127.0.0.1,127.0.0.2", err, sizeof(err));
    if (rc == 0) rc = cfg_set(&c, "address", "127.0.0.3", err, sizeof(err));
    if (rc == 0) rc = cfg_finalize(&c, err, sizeof(err));
    cfg_free(&c);
    return rc;
}

static void test_oom_sweep(void **state)
{
    (void)state;
    const char *yaml = "cluster_name: x\n"
                       "data_file_directories: [/a, /b]\n"
                       "authenticator: {class_name: PasswordAuthenticator}\n";
    const char *path = write_tmp(yaml);
    int64_t base = mem_outstanding();
    int ok = 0;
    for (int64_t n = 0; n < 200 && !ok; n++) {
        mem_fail_after(n);
        int rc = one_round(path);
        mem_fail_after(-1);
        assert_int_equal(mem_outstanding(), base); /* no leak on any failure path */
        if (rc == 0)
            ok = 1;
        else
            assert_non_null(strstr(err, "out of memory"));
    }
    unlink(path);
    assert_true(ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_finalize_derives, setup, teardown),
        cmocka_unit_test_setup_teardown(test_finalize_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_yaml, setup, teardown),
        cmocka_unit_test_setup_teardown(test_yaml_misc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_yaml, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duration_units, setup, teardown),
        cmocka_unit_test_setup_teardown(test_size_units, setup, teardown),
        cmocka_unit_test_setup_teardown(test_legacy_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seed_provider, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_overrides, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oom_sweep, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
