/*
 * server (cqlt_) -- the CQL native-protocol server of one shard: accepted
 * connections, their state machine (conn.c), request dispatch to the cql
 * layer, responses and events. Plugs into the shard runtime as its hooks.
 */
#ifndef RINGDB_TRANSPORT_SERVER_H
#define RINGDB_TRANSPORT_SERVER_H

#include "net/shard.h"

#include <stdint.h>

struct cqlt_options {
    uint32_t max_frame_size; /* native_transport_max_frame_size, bytes */
    int64_t max_connections; /* -1 = unlimited (per node, split over shards) */
};

/* The hooks for shard_group_init. opts must outlive the shard group. */
const struct shard_hooks *cqlt_hooks(const struct cqlt_options *opts);

/* One connected client, for system_views.clients. */
struct cqlt_client_info {
    uint8_t addr[16];
    int addr_len; /* 4 or 16 */
    int port;
    int shard;
    int protocol_version;
    uint64_t request_count;
    char stage[16];
    char driver_name[64];
    char driver_version[32];
};

#endif
