/*
 * main.c -- the ringdb server: configuration, node identity, schema, shard
 * threads, signals.
 *
 * Start-up order: defaults -> --config YAML -> command-line overrides ->
 * finalize/validate -> data directories -> node identity -> schema ->
 * listeners (port errors reported here) -> shard threads -> "ready" line.
 * SIGTERM/SIGINT: stop accepting, finish in-flight requests, exit 0.
 * Every start-up failure prints one line "ringdb: error: ..." and exits 1
 * (2 for command-line usage errors).
 */
#include "auth/auth.h"
#include "cluster/local_node.h"
#include "net/shard.h"
#include "service/migration.h"
#include "storage/io.h"
#include "transport/server.h"
#include "util/cfg.h"
#include "util/log.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RINGDB_VERSION "0.1.0"

static void usage(FILE *f)
{
    fprintf(f, "usage: ringdb [options]\n"
               "\n"
               "A masterless, replicated, wide-column database speaking Cassandra's CQL\n"
               "native protocol (v3, v4, v5). With no options: one node on 127.0.0.1:9042,\n"
               "data under ./data.\n"
               "\n"
               "options:\n"
               "  --config FILE     YAML configuration with cassandra.yaml's key names\n"
               "  --address ADDR    listen and client address (listen_address, rpc_address)\n"
               "  --port N          CQL port (native_transport_port, default 9042)\n"
               "  --data-dir DIR    root of data/, commitlog/, hints/ ... (default ./data)\n"
               "  --smp N           shard threads (default: one per core)\n"
               "  --set KEY=VALUE   any configuration key, e.g. --set num_tokens=8\n"
               "  --help            this text\n"
               "  --version         print the version\n");
}

static int die(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "ringdb: error: ");
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, "\n");
    return 1;
}

int main(int argc, char **argv)
{
    struct cfg cfg;
    char err[1024];
    const char *config_path = NULL;
    int rc = 1;
    cfg_defaults(&cfg);

    /* First pass: --help/--version/--config and syntax of every flag. */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            cfg_free(&cfg);
            return 0;
        }
        if (!strcmp(a, "--version")) {
            printf("ringdb %s (CQL %s, native protocol v3/v4/v5, Cassandra %s compatible)\n",
                   RINGDB_VERSION, NODE_CQL_VERSION, NODE_RELEASE_VERSION);
            cfg_free(&cfg);
            return 0;
        }
        int takes = !strcmp(a, "--config") || !strcmp(a, "--address") || !strcmp(a, "--port") ||
                    !strcmp(a, "--data-dir") || !strcmp(a, "--smp") || !strcmp(a, "--set");
        if (!takes) {
            fprintf(stderr, "ringdb: error: unknown option '%s' (see ringdb --help)\n", a);
            cfg_free(&cfg);
            return 2;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "ringdb: error: option '%s' needs a value (see ringdb --help)\n", a);
            cfg_free(&cfg);
            return 2;
        }
        if (!strcmp(a, "--config")) config_path = argv[i + 1];
        i++;
    }
    if (config_path && cfg_load_yaml(&cfg, config_path, err, sizeof(err)) < 0) {
        rc = die("%s%s", err, "");
        goto out_cfg;
    }
    /* Second pass: overrides, in command-line order, over the file. */
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        int r = 0;
        if (!strcmp(a, "--address"))
            r = cfg_set(&cfg, "address", v, err, sizeof(err));
        else if (!strcmp(a, "--port"))
            r = cfg_set(&cfg, "native_transport_port", v, err, sizeof(err));
        else if (!strcmp(a, "--data-dir"))
            r = cfg_set(&cfg, "data_dir", v, err, sizeof(err));
        else if (!strcmp(a, "--smp"))
            r = cfg_set(&cfg, "smp", v, err, sizeof(err));
        else if (!strcmp(a, "--set")) {
            char key[256];
            const char *eq = strchr(v, '=');
            if (!eq || eq == v || (size_t)(eq - v) >= sizeof(key)) {
                rc = die("--set expects KEY=VALUE, got '%s'%s", v, "");
                goto out_cfg;
            }
            memcpy(key, v, (size_t)(eq - v));
            key[eq - v] = 0;
            r = cfg_set(&cfg, key, eq + 1, err, sizeof(err));
        }
        if (r < 0) {
            rc = die("%s: %s", a, err);
            goto out_cfg;
        }
    }
    if (cfg_finalize(&cfg, err, sizeof(err)) < 0) {
        rc = die("%s%s", err, "");
        goto out_cfg;
    }
    log_set_level(cfg.log_level);

    const char *dirs[] = {cfg.data_file_directories[0], cfg.commitlog_directory,
                          cfg.hints_directory};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        if (sio_check_dir(dirs[i]) < 0) {
            rc = die("data directory %s is not usable: %s", dirs[i], strerror(errno));
            goto out_cfg;
        }
    }
    if (node_init(&cfg, err, sizeof(err)) < 0) {
        rc = die("%s%s", err, "");
        goto out_cfg;
    }
    if (auth_global_init(cfg.data_file_directories[0], cfg.authenticator, err, sizeof(err)) < 0) {
        rc = die("%s%s", err, "");
        goto out_node;
    }
    if (sp_global_init(cfg.data_file_directories[0], err, sizeof(err)) < 0) {
        rc = die("%s%s", err, "");
        goto out_auth;
    }

    /* Signals are taken by sigwait in this thread only: block them before
     * any shard thread exists so the shards inherit the mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    int n_shards = cfg.smp > 0 ? cfg.smp : shard_default_count();
    struct cqlt_options topts = {
        .max_frame_size = (uint32_t)cfg.native_transport_max_frame_size_bytes,
        .max_connections = cfg.native_transport_max_concurrent_connections,
    };
    struct shard_group g;
    if (shard_group_init(&g, n_shards, cqlt_hooks(&topts), &cfg, cfg.rpc_address,
                         cfg.native_transport_port, err, sizeof(err)) < 0) {
        rc = die("%s%s", err, "");
        goto out_schema;
    }
    if (shard_group_start(&g, err, sizeof(err)) < 0) {
        rc = die("%s%s", err, "");
        shard_group_destroy(&g);
        goto out_schema;
    }
    log_info("ringdb ready: CQL on %s:%d, %d shard%s, cluster '%s', data in %s", cfg.rpc_address,
             cfg.native_transport_port, n_shards, n_shards == 1 ? "" : "s", cfg.cluster_name,
             cfg.data_dir);

    int sig = 0;
    while (sigwait(&sigs, &sig) != 0) {
    }
    log_info("received %s: draining", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    shard_group_stop(&g);
    shard_group_join(&g);
    shard_group_destroy(&g);
    log_info("ringdb stopped");
    rc = 0;
out_schema:
    sp_global_shutdown();
out_auth:
    auth_global_shutdown();
out_node:
    node_shutdown();
out_cfg:
    cfg_free(&cfg);
    return rc;
}
