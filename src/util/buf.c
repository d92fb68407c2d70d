/*
 * buf.c -- see buf.h.
 */
#include "util/buf.h"
#include "util/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void buf_init(buf *b)
{
    memset(b, 0, sizeof(*b));
}

void buf_free(buf *b)
{
    mem_free(b->data);
    memset(b, 0, sizeof(*b));
}

void buf_clear(buf *b)
{
    b->len = b->rpos = 0;
    b->oom = 0;
}

int buf_reserve(buf *b, size_t extra)
{
    if (b->oom) return -1;
    if (b->cap - b->len >= extra) return 0;
    size_t need = b->len + extra;
    if (need < b->len) goto fail; /* overflow */
    size_t ncap = b->cap ? b->cap : 256;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2) {
            ncap = need;
            break;
        }
        ncap *= 2;
    }
    uint8_t *nd = mem_realloc(b->data, ncap);
    if (!nd) goto fail;
    b->data = nd;
    b->cap = ncap;
    return 0;
fail:
    b->oom = 1;
    return -1;
}

void buf_compact(buf *b)
{
    if (b->rpos == 0) return;
    size_t n = b->len - b->rpos;
    if (n) memmove(b->data, b->data + b->rpos, n);
    b->len = n;
    b->rpos = 0;
}

void buf_put(buf *b, const void *p, size_t n)
{
    if (n == 0 || buf_reserve(b, n)) return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void buf_put_str(buf *b, const char *s)
{
    buf_put(b, s, strlen(s));
}

void buf_printf(buf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (k < 0) return;
    if ((size_t)k < sizeof(tmp)) {
        buf_put(b, tmp, (size_t)k);
        return;
    }
    if (buf_reserve(b, (size_t)k + 1)) return;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)k + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)k;
}

void buf_put_u8(buf *b, uint8_t v)
{
    if (buf_reserve(b, 1)) return;
    b->data[b->len++] = v;
}

void buf_put_be16(buf *b, uint16_t v)
{
    if (buf_reserve(b, 2)) return;
    put_be16(b->data + b->len, v);
    b->len += 2;
}

void buf_put_be32(buf *b, uint32_t v)
{
    if (buf_reserve(b, 4)) return;
    put_be32(b->data + b->len, v);
    b->len += 4;
}

void buf_put_be64(buf *b, uint64_t v)
{
    if (buf_reserve(b, 8)) return;
    put_be64(b->data + b->len, v);
    b->len += 8;
}

size_t buf_skip(buf *b, size_t n)
{
    size_t off = b->len;
    if (buf_reserve(b, n)) return off;
    memset(b->data + b->len, 0, n);
    b->len += n;
    return off;
}

void buf_patch_be32(buf *b, size_t off, uint32_t v)
{
    if (!b->oom && off + 4 <= b->len) put_be32(b->data + off, v);
}

void buf_patch_be16(buf *b, size_t off, uint16_t v)
{
    if (!b->oom && off + 2 <= b->len) put_be16(b->data + off, v);
}
