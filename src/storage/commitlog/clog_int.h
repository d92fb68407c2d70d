/*
 * clog_int.h -- commit-log internals shared by clog.c (writer) and replay.c:
 * byte layouts (README.md has them as offset tables), file names, and the
 * little-endian helpers. Not for other modules (STYLE.md habit 3).
 */
#ifndef RINGDB_STORAGE_CLOG_INT_H
#define RINGDB_STORAGE_CLOG_INT_H

#include "storage/commitlog/clog.h"
#include "util/crc32c.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLOG_SEG_MAGIC   0x474C4352u /* "RCLG" as bytes on disk */
#define CLOG_CHUNK_MAGIC 0x4B4E4843u /* "CHNK" as bytes on disk */
#define CLOG_END_UNKNOWN 0xFFFFFFFFu /* segment header prev_end: not known */
#define CLOG_MIN_SEGMENT 4096
#define CLOG_MAX_SEGMENT 0x7FFFFFFF

static inline void clog_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void clog_put64(uint8_t *p, uint64_t v)
{
    clog_put32(p, (uint32_t)v);
    clog_put32(p + 4, (uint32_t)(v >> 32));
}

static inline uint32_t clog_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint64_t clog_get64(const uint8_t *p)
{
    return (uint64_t)clog_get32(p) | ((uint64_t)clog_get32(p + 4) << 32);
}

/* Segment header (CLOG_SEG_HDR_SIZE bytes), decoded. */
struct clog_seg_hdr {
    uint16_t version;
    uint32_t shard;
    uint32_t segment_size;
    uint64_t seq;
    uint64_t prev_seq; /* 0: none */
    uint32_t prev_end; /* CLOG_END_UNKNOWN or the synced end of prev_seq */
};

static inline void clog_seg_hdr_encode(uint8_t *p, const struct clog_seg_hdr *h)
{
    memset(p, 0, CLOG_SEG_HDR_SIZE);
    clog_put32(p + 0, CLOG_SEG_MAGIC);
    p[4] = (uint8_t)h->version;
    p[5] = (uint8_t)(h->version >> 8);
    /* 6..7 flags: 0 */
    clog_put32(p + 8, h->shard);
    clog_put32(p + 12, h->segment_size);
    clog_put64(p + 16, h->seq);
    clog_put64(p + 24, h->prev_seq);
    clog_put32(p + 32, h->prev_end);
    clog_put32(p + 36, crc32c(p, 36));
}

/* 0 ok, -1 not a valid header (magic, checksum, flags). */
static inline int clog_seg_hdr_decode(const uint8_t *p, struct clog_seg_hdr *h)
{
    if (clog_get32(p) != CLOG_SEG_MAGIC || clog_get32(p + 36) != crc32c(p, 36)) return -1;
    if (p[6] || p[7]) return -1;
    h->version = (uint16_t)(p[4] | (p[5] << 8));
    h->shard = clog_get32(p + 8);
    h->segment_size = clog_get32(p + 12);
    h->seq = clog_get64(p + 16);
    h->prev_seq = clog_get64(p + 24);
    h->prev_end = clog_get32(p + 32);
    return 0;
}

/* Checksum of a chunk header: binds it to its segment and offset so that
 * stale or misplaced bytes never pass for a chunk. hdr = bytes 0..11. */
static inline uint32_t clog_chunk_crc(uint64_t seq, uint32_t off, const uint8_t *hdr)
{
    uint8_t pre[12];
    clog_put64(pre, seq);
    clog_put32(pre + 8, off);
    return crc32c_extend(crc32c(pre, sizeof(pre)), hdr, 12);
}

static inline void clog_chunk_hdr_encode(uint8_t *p, uint64_t seq, uint32_t off, uint32_t len,
                                         uint32_t synced_end)
{
    clog_put32(p, CLOG_CHUNK_MAGIC);
    clog_put32(p + 4, len);
    clog_put32(p + 8, synced_end);
    clog_put32(p + 12, clog_chunk_crc(seq, off, p));
}

/* "CommitLog-<format>-<shard>-<seq>.log"; buf must hold 64 bytes. */
static inline void clog_seg_name(char *buf, size_t sz, int shard, uint64_t seq)
{
    snprintf(buf, sz, "CommitLog-%d-%d-%" PRIu64 ".log", CLOG_FORMAT_VERSION, shard, seq);
}

/* Parses a segment file name. 0 ok (any format number), -1 not ours. */
static inline int clog_seg_parse(const char *name, int *format, int *shard, uint64_t *seq)
{
    const char *p = name;
    if (strncmp(p, "CommitLog-", 10) != 0) return -1;
    p += 10;
    uint64_t v[3];
    for (int i = 0; i < 3; i++) {
        if (*p < '0' || *p > '9') return -1;
        char *e;
        v[i] = strtoull(p, &e, 10);
        p = e;
        if (i < 2 && *p++ != '-') return -1;
    }
    if (strcmp(p, ".log") != 0 || v[0] > 1000000 || v[1] > 1000000) return -1;
    *format = (int)v[0];
    *shard = (int)v[1];
    *seq = v[2];
    return 0;
}

#endif
