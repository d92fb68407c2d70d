/*
 * uuid.c -- see uuid.h.
 *
 * Process state (node id, clock_seq base) is seeded once through
 * pthread_once; each thread then takes its own clock_seq from an atomic
 * counter on its first uuid_v1() call and keeps its last timestamp in
 * thread-local storage, so the steady state touches no shared memory.
 */
#include "util/uuid.h"
#include "util/md5.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static int fill_random(void *p, size_t n)
{
    uint8_t *d = p;
    while (n > 0) {
        ssize_t r = getrandom(d, n, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        d += r;
        n -= (size_t)r;
    }
    return 0;
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

int uuid_v4(uuid *out)
{
    if (fill_random(out->b, sizeof(out->b)) != 0) {
        memset(out->b, 0, sizeof(out->b));
        return -1;
    }
    out->b[6] = (uint8_t)((out->b[6] & 0x0f) | 0x40);
    out->b[8] = (uint8_t)((out->b[8] & 0x3f) | 0x80);
    return 0;
}

/* ---- version 1 ---------------------------------------------------------- */

static pthread_once_t proc_once = PTHREAD_ONCE_INIT;
static uint64_t proc_node;                 /* 48 bits, multicast bit set; written once */
static uint32_t proc_clock_base;           /* 14 bits; written once */
static atomic_uint_fast32_t n_thread_gens; /* threads that took a clock_seq */

static _Thread_local struct {
    uint64_t last_ts; /* last timestamp handed out, 100 ns since 1582 */
    uint64_t csn;     /* clock_seq_and_node, the low 64 bits */
    int seeded;
} gen;

static uint64_t splitmix64(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

static void seed_process(void)
{
    uint64_t r[2];
    if (fill_random(r, sizeof(r)) != 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        r[0] = splitmix64((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
        r[1] = splitmix64(r[0] ^ (uint64_t)getpid());
    }
    /* Multicast bit: the least significant bit of the node's first byte. */
    proc_node = (r[0] & UINT64_C(0xffffffffffff)) | UINT64_C(0x010000000000);
    proc_clock_base = (uint32_t)(r[1] & 0x3fff);
}

static uint64_t now_100ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 10000000u + (uint64_t)ts.tv_nsec / 100u +
           (uint64_t)UUID_EPOCH_OFFSET_100NS;
}

void uuid_v1_make(uuid *out, uint64_t ts_100ns, uint64_t clock_seq_node)
{
    uint64_t msb = (ts_100ns << 32)                          /* time_low */
                   | ((ts_100ns >> 16) & 0xffff0000u)        /* time_mid */
                   | 0x1000u | ((ts_100ns >> 48) & 0x0fffu); /* version + time_hi */
    put64(out->b, msb);
    put64(out->b + 8, clock_seq_node);
}

void uuid_v1(uuid *out)
{
    if (!gen.seeded) {
        pthread_once(&proc_once, seed_process);
        uint32_t i = (uint32_t)atomic_fetch_add(&n_thread_gens, 1);
        uint64_t clock_seq = (proc_clock_base + i) & 0x3fff; /* invariant (2) */
        gen.csn = UINT64_C(0x8000000000000000) | (clock_seq << 48) | proc_node;
        gen.last_ts = 0;
        gen.seeded = 1;
    }
    uint64_t ts = now_100ns();
    if (ts <= gen.last_ts) ts = gen.last_ts + 1; /* invariant (1) */
    gen.last_ts = ts;
    uuid_v1_make(out, ts, gen.csn);
}

void uuid_min_timeuuid(uuid *out, int64_t unix_ms)
{
    uint64_t ts = (uint64_t)unix_ms * 10000u + (uint64_t)UUID_EPOCH_OFFSET_100NS;
    uuid_v1_make(out, ts, UINT64_C(0x8080808080808080));
}

void uuid_max_timeuuid(uuid *out, int64_t unix_ms)
{
    uint64_t ts = (uint64_t)unix_ms * 10000u + 9999u + (uint64_t)UUID_EPOCH_OFFSET_100NS;
    uuid_v1_make(out, ts, UINT64_C(0x7f7f7f7f7f7f7f7f));
}

uint64_t uuid_timestamp_100ns(const uuid *u)
{
    uint64_t msb = get64(u->b);
    return ((msb & 0x0fffu) << 48) | (((msb >> 16) & 0xffffu) << 32) | (msb >> 32);
}

int64_t uuid_timestamp_ms(const uuid *u)
{
    /* The timestamp is non-negative, so this division floors. */
    return (int64_t)(uuid_timestamp_100ns(u) / 10000u) - UUID_EPOCH_OFFSET_100NS / 10000;
}

/* ---- version 3 ---------------------------------------------------------- */

int uuid_from_md5_name(uuid *out, const void *name, size_t n)
{
    if (md5_digest(name, n, out->b) != 0) return -1;
    out->b[6] = (uint8_t)((out->b[6] & 0x0f) | 0x30);
    out->b[8] = (uint8_t)((out->b[8] & 0x3f) | 0x80);
    return 0;
}

/* ---- text --------------------------------------------------------------- */

void uuid_format(const uuid *u, char out[UUID_STR_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) *o++ = '-';
        *o++ = hex[u->b[i] >> 4];
        *o++ = hex[u->b[i] & 15];
    }
    *o = 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int uuid_parse(uuid *out, const char *s, size_t n)
{
    if (n != UUID_STR_LEN) return -1;
    uint8_t b[16];
    size_t j = 0;
    for (size_t i = 0; i < UUID_STR_LEN;) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') return -1;
            i++;
            continue;
        }
        int hi = hexval(s[i]), lo = hexval(s[i + 1]);
        if (hi < 0 || lo < 0) return -1;
        b[j++] = (uint8_t)(hi << 4 | lo);
        i += 2;
    }
    memcpy(out->b, b, sizeof(b));
    return 0;
}
