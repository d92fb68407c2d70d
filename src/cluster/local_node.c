/*
 * local_node.c -- see local_node.h.
 *
 * local.state is text, one "key value" per line:
 *   format 1
 *   cluster_name <name>
 *   host_id <uuid>
 *   tokens <t1>,<t2>,...
 * Tokens are chosen at random on first start (Cassandra's random allocation
 * with num_tokens), never 0 or INT64_MIN, distinct.
 */
#include "cluster/local_node.h"
#include "storage/io.h"
#include "util/mem.h"
#include "util/uuid.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static struct node_info the_node;
const struct node_info *node;

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int parse_state(struct node_info *n, char *text, char *err, size_t errsz, const char *path)
{
    char *save = NULL;
    int have_id = 0;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *sp = strchr(line, ' ');
        if (!sp) continue;
        *sp = 0;
        const char *v = sp + 1;
        if (strcmp(line, "cluster_name") == 0) {
            snprintf(n->cluster_name, sizeof(n->cluster_name), "%s", v);
        } else if (strcmp(line, "host_id") == 0) {
            uuid u;
            if (uuid_parse(&u, v, strlen(v)) < 0) break;
            memcpy(n->host_id, u.b, 16);
            have_id = 1;
        } else if (strcmp(line, "tokens") == 0) {
            int cnt = 1;
            for (const char *q = v; *q; q++)
                cnt += *q == ',';
            n->tokens = mem_calloc((size_t)cnt, sizeof(int64_t));
            if (!n->tokens) break;
            const char *q = v;
            while (*q && n->n_tokens < cnt) {
                char *end;
                errno = 0;
                long long t = strtoll(q, &end, 10);
                if (errno || end == q) break;
                n->tokens[n->n_tokens++] = t;
                q = *end == ',' ? end + 1 : end;
            }
        }
    }
    if (!have_id || n->n_tokens == 0) {
        snprintf(err, errsz, "%s: corrupt node state file", path);
        return -1;
    }
    qsort(n->tokens, (size_t)n->n_tokens, sizeof(int64_t), cmp64);
    return 0;
}

static int create_state(struct node_info *n, const struct cfg *c, const char *path, char *err,
                        size_t errsz)
{
    uuid u;
    uuid_v4(&u);
    memcpy(n->host_id, u.b, 16);
    snprintf(n->cluster_name, sizeof(n->cluster_name), "%s", c->cluster_name);
    n->n_tokens = c->num_tokens;
    n->tokens = mem_calloc((size_t)n->n_tokens, sizeof(int64_t));
    if (!n->tokens) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    for (int i = 0; i < n->n_tokens; i++) {
        for (;;) {
            int64_t t;
            if (getrandom(&t, sizeof(t), 0) != sizeof(t)) t = (int64_t)rand() * 7919;
            if (t == 0 || t == INT64_MIN) continue;
            int dup = 0;
            for (int j = 0; j < i; j++)
                dup |= n->tokens[j] == t;
            if (dup) continue;
            n->tokens[i] = t;
            break;
        }
    }
    qsort(n->tokens, (size_t)n->n_tokens, sizeof(int64_t), cmp64);
    char idtxt[UUID_STR_LEN + 1];
    uuid_format(&u, idtxt);
    size_t cap = 256 + strlen(n->cluster_name) + (size_t)n->n_tokens * 22;
    char *txt = mem_alloc(cap);
    if (!txt) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    size_t o = (size_t)snprintf(txt, cap, "format 1\ncluster_name %s\nhost_id %s\ntokens ",
                                n->cluster_name, idtxt);
    for (int i = 0; i < n->n_tokens; i++)
        o += (size_t)snprintf(txt + o, cap - o, "%s%" PRId64, i ? "," : "", n->tokens[i]);
    o += (size_t)snprintf(txt + o, cap - o, "\n");
    int rc = sio_write_file_atomic(path, txt, o);
    mem_free(txt);
    if (rc < 0) {
        snprintf(err, errsz, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int node_init(const struct cfg *c, char *err, size_t errsz)
{
    struct node_info *n = &the_node;
    memset(n, 0, sizeof(*n));
    n->cfg = c;
    snprintf(n->address, sizeof(n->address), "%s",
             c->broadcast_address ? c->broadcast_address : c->listen_address);
    snprintf(n->rpc_address, sizeof(n->rpc_address), "%s",
             c->broadcast_rpc_address ? c->broadcast_rpc_address : c->rpc_address);
    n->native_port = c->native_transport_port;
    n->storage_port = c->storage_port;
    snprintf(n->dc, sizeof(n->dc), "%s", c->dc);
    snprintf(n->rack, sizeof(n->rack), "%s", c->rack);
    n->gossip_generation = (int64_t)time(NULL);

    char dir[4096], path[4200];
    snprintf(dir, sizeof(dir), "%s/system", c->data_file_directories[0]);
    if (sio_mkdirs(dir) < 0) {
        snprintf(err, errsz, "cannot create data directory %s: %s", dir, strerror(errno));
        return -1;
    }
    snprintf(path, sizeof(path), "%s/local.state", dir);
    uint8_t *data;
    size_t len;
    if (sio_read_file(path, 1 << 20, &data, &len) == 0) {
        data[len] = 0;
        int rc = parse_state(n, (char *)data, err, errsz, path);
        mem_free(data);
        if (rc < 0) return -1;
        if (strcmp(n->cluster_name, c->cluster_name) != 0) {
            snprintf(err, errsz, "Saved cluster name %s != configured name %s (data directory %s)",
                     n->cluster_name, c->cluster_name, c->data_file_directories[0]);
            return -1;
        }
    } else if (errno == ENOENT) {
        if (create_state(n, c, path, err, errsz) < 0) return -1;
    } else {
        snprintf(err, errsz, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    node = n;
    return 0;
}

void node_shutdown(void)
{
    mem_free(the_node.tokens);
    the_node.tokens = NULL;
    node = NULL;
}
