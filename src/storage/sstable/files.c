/*
 * files.c -- which sstables exist in a table directory, and removing them.
 *
 * Names (README.md "Files"): rdb-<gen>-<Component>, temporaries
 * tmp-rdb-<gen>-<Component>. A generation is live iff rdb-<gen>-TOC.db
 * exists (sst.h invariant 1). Removal unlinks the TOC first and fsyncs the
 * directory, so a crash in the middle leaves components without a TOC,
 * which the next sst_list removes.
 */
#include "storage/io.h"
#include "storage/sstable/sst_int.h"
#include "util/mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sst_remove(const char *dir, const char *table_dirname, uint64_t generation)
{
    char p[SST_PATH_MAX], d[SST_PATH_MAX];
    if (sst_dir_path(d, sizeof(d), dir, table_dirname) < 0) {
        SST_ERR(ENAMETOOLONG, "%s/%s: path too long", dir, table_dirname);
        return -1;
    }
    int rc = 0;
    if (sst_path(p, sizeof(p), dir, table_dirname, generation, SST_C_TOC, 0) < 0 ||
        (sio_unlink(p) < 0 && errno != ENOENT) || sio_fsync_dir(d) < 0) {
        SST_ERR(errno, "%s: cannot remove: %s", p, strerror(errno));
        return -1;
    }
    for (int c = 0; c < SST_N_COMP - 1; c++) {
        if (sst_path(p, sizeof(p), dir, table_dirname, generation, c, 0) < 0) continue;
        if (sio_unlink(p) < 0 && errno != ENOENT) {
            SST_ERR(errno, "%s: cannot remove: %s", p, strerror(errno));
            rc = -1;
        }
    }
    if (sio_fsync_dir(d) < 0 && rc == 0) {
        SST_ERR(errno, "%s: fsync failed: %s", d, strerror(errno));
        rc = -1;
    }
    return rc;
}

/* Parses "rdb-<gen>-<Component>"; the component index or -1. */
static int parse_name(const char *name, uint64_t *gen)
{
    if (strncmp(name, "rdb-", 4) != 0) return -1;
    const char *p = name + 4;
    if (*p < '0' || *p > '9') return -1;
    char *end;
    errno = 0;
    unsigned long long g = strtoull(p, &end, 10);
    if (errno || *end != '-') return -1;
    for (int c = 0; c < SST_N_COMP; c++)
        if (strcmp(end + 1, sst_comp_name[c]) == 0) {
            *gen = g;
            return c;
        }
    return -1;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

int sst_list(const char *dir, const char *table_dirname, uint64_t **gens, size_t *n)
{
    return sst_list_owned(dir, table_dirname, 0, 0, gens, n);
}

int sst_list_owned(const char *dir, const char *table_dirname, uint64_t mask, uint64_t val,
                   uint64_t **gens, size_t *n)
{
    *gens = NULL;
    *n = 0;
    char d[SST_PATH_MAX], p[SST_PATH_MAX];
    if (sst_dir_path(d, sizeof(d), dir, table_dirname) < 0) {
        SST_ERR(ENAMETOOLONG, "%s/%s: path too long", dir, table_dirname);
        return -1;
    }
    char **names;
    size_t nn;
    if (sio_list_dir(d, &names, &nn) < 0) {
        if (errno == ENOENT) return 0;
        SST_ERR(errno, "%s: cannot list: %s", d, strerror(errno));
        return -1;
    }
    uint64_t *live = mem_alloc(sizeof(uint64_t) * (nn ? nn : 1));
    if (!live) {
        mem_free(names);
        SST_ERR(ENOMEM, "sst_list: out of memory");
        return -1;
    }
    size_t nl = 0;
    for (size_t i = 0; i < nn; i++) {
        uint64_t g;
        if (parse_name(names[i], &g) == SST_C_TOC) live[nl++] = g;
    }
    qsort(live, nl, sizeof(uint64_t), cmp_u64);
    int removed = 0, rc = 0;
    for (size_t i = 0; i < nn; i++) {
        uint64_t g;
        int c = parse_name(names[i], &g);
        int drop = 0;
        if (strncmp(names[i], "tmp-rdb-", 8) == 0) {
            uint64_t tg;
            drop = parse_name(names[i] + 4, &tg) < 0 || (tg & mask) == val;
        }
        if (c >= 0 && c != SST_C_TOC && !bsearch(&g, live, nl, sizeof(uint64_t), cmp_u64) &&
            (g & mask) == val)
            drop = 1;
        if (!drop) continue;
        snprintf(p, sizeof(p), "%s/%s", d, names[i]);
        if (sio_unlink(p) < 0 && errno != ENOENT) {
            SST_ERR(errno, "%s: cannot remove: %s", p, strerror(errno));
            rc = -1;
        }
        removed = 1;
    }
    mem_free(names);
    if (removed && rc == 0 && sio_fsync_dir(d) < 0) {
        SST_ERR(errno, "%s: fsync failed: %s", d, strerror(errno));
        rc = -1;
    }
    if (rc < 0 || nl == 0) {
        mem_free(live);
        return rc;
    }
    *gens = live;
    *n = nl;
    return 0;
}
