/*
 * local_node (node_) -- this node's identity: host id, tokens, addresses,
 * data centre and rack, cluster name, versions. Loaded (or created on first
 * start) by the main thread before the shards start, then immutable: every
 * shard reads it without synchronisation (DESIGN.md §4 allows immutable
 * configuration as a global).
 *
 * File: <data_file_directories[0]>/system/local.state, written atomically
 * through the storage I/O shim; format in src/cluster/README.md.
 */
#ifndef RINGDB_CLUSTER_LOCAL_NODE_H
#define RINGDB_CLUSTER_LOCAL_NODE_H

#include "util/cfg.h"

#include <stdint.h>

#define NODE_RELEASE_VERSION "5.0.2"
#define NODE_CQL_VERSION     "3.4.7"
#define NODE_PARTITIONER     "org.apache.cassandra.dht.Murmur3Partitioner"

struct node_info {
    char cluster_name[256];
    uint8_t host_id[16];
    int n_tokens;
    int64_t *tokens;      /* sorted ascending */
    char address[64];     /* listen/broadcast address (text) */
    char rpc_address[64]; /* client address (text) */
    int native_port;
    int storage_port;
    char dc[64], rack[64];
    int64_t gossip_generation; /* seconds since epoch at start */
    const struct cfg *cfg;
};

/* The node, valid after node_init until exit. */
extern const struct node_info *node;

/* Loads or creates the identity. Fails (err set) when the stored cluster
 * name differs from the configured one, like Cassandra. */
int node_init(const struct cfg *c, char *err, size_t errsz);
void node_shutdown(void);

#endif
