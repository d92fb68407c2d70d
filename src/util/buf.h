/*
 * buf -- growable byte buffer with a read cursor, heap-backed via mem_.
 *
 * Used for connection input/output and for building encoded values. Writers
 * append at len; readers consume from rpos. buf_compact() moves unread bytes
 * to the front. A failed growth sets the sticky `oom` flag and the append is
 * dropped, so encoders can append many times and check once (buf_ok).
 *
 * Thread context: owned by one thread at a time.
 */
#ifndef RINGDB_UTIL_BUF_H
#define RINGDB_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct buf {
    uint8_t *data;
    size_t len;  /* bytes written */
    size_t cap;  /* bytes allocated */
    size_t rpos; /* read cursor, <= len */
    int oom;     /* sticky: an append failed */
} buf;

void buf_init(buf *b);
void buf_free(buf *b);
void buf_clear(buf *b);                /* len = rpos = 0, oom = 0; keeps capacity */
int buf_reserve(buf *b, size_t extra); /* 0 ok, -1 oom (sets oom) */
void buf_compact(buf *b);
static inline int buf_ok(const buf *b)
{
    return !b->oom;
}
static inline size_t buf_unread(const buf *b)
{
    return b->len - b->rpos;
}

void buf_put(buf *b, const void *p, size_t n);
void buf_put_str(buf *b, const char *s); /* without the NUL */
/* printf-style append (any length) */
void buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3))); /* GCC/Clang */
void buf_put_u8(buf *b, uint8_t v);
void buf_put_be16(buf *b, uint16_t v);
void buf_put_be32(buf *b, uint32_t v);
void buf_put_be64(buf *b, uint64_t v);
/* Reserve n bytes at the end and return their offset (to patch later). */
size_t buf_skip(buf *b, size_t n);
void buf_patch_be32(buf *b, size_t off, uint32_t v);
void buf_patch_be16(buf *b, size_t off, uint16_t v);

/* Big-endian loads from raw memory (no bounds check). */
static inline uint16_t be16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint64_t be64(const uint8_t *p)
{
    return ((uint64_t)be32(p) << 32) | be32(p + 4);
}
static inline void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline void put_be64(uint8_t *p, uint64_t v)
{
    put_be32(p, (uint32_t)(v >> 32));
    put_be32(p + 4, (uint32_t)v);
}

#endif
