/*
 * io.c -- see io.h.
 *
 * Test builds keep, for every file opened for writing with sio_open, how far
 * it was written and how far it was synced (a small table under a mutex,
 * allocated with libc's malloc so that it never shows in mem_outstanding()).
 * That is enough to simulate a power loss (SIO_FAULT_CRASH) the way
 * LevelDB's fault_injection_test and SQLite's test6.c do: unsynced bytes
 * vanish, unsynced directory entries vanish.
 */
#include "storage/io.h"
#include "util/mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef RINGDB_TEST_BUILD
#include <pthread.h>

struct tracked {
    char *path;
    int fd; /* -1 once closed (its unsynced bytes can still be lost) */
    uint64_t written_end, synced_end;
    uint64_t alloc, synced_alloc;
    int dir_synced;
    char *old_path; /* renamed from here, the new name not yet durable (else NULL) */
    int old_dir_synced;
};

static struct {
    pthread_mutex_t mu;
    unsigned mask;
    uint64_t nth;
    enum sio_fault kind;
    int fired, crashed;
    uint64_t calls[7];
    struct tracked *t;
    size_t n, cap;
} F = {.mu = PTHREAD_MUTEX_INITIALIZER};

static int op_index(unsigned op)
{
    return __builtin_ctz(op);
}

static void crash_locked(void)
{
    for (size_t i = 0; i < F.n; i++) {
        struct tracked *t = &F.t[i];
        if (t->old_path) { /* undo a rename whose directory entry never became durable */
            if (t->old_dir_synced) {
                if (rename(t->path, t->old_path) == 0) {
                    free(t->path);
                    t->path = t->old_path;
                    t->old_path = NULL;
                    t->dir_synced = 1;
                }
            } else {
                t->dir_synced = 0;
            }
            free(t->old_path);
            t->old_path = NULL;
        }
        if (!t->dir_synced) {
            unlink(t->path);
        } else {
            int fd = open(t->path, O_RDWR | O_CLOEXEC);
            struct stat st;
            if (fd >= 0 && fstat(fd, &st) == 0) {
                uint64_t size = (uint64_t)st.st_size;
                uint64_t keep = t->synced_end > t->synced_alloc ? t->synced_end : t->synced_alloc;
                uint64_t zend = t->written_end < size ? t->written_end : size;
                static const uint8_t zeros[4096];
                for (uint64_t o = t->synced_end; o < zend;) {
                    size_t k = zend - o > sizeof(zeros) ? sizeof(zeros) : (size_t)(zend - o);
                    if (pwrite(fd, zeros, k, (off_t)o) <= 0) break;
                    o += k;
                }
                if (size > keep && ftruncate(fd, (off_t)keep) < 0) {
                    /* best effort: the test will see the extra bytes */
                }
            }
            if (fd >= 0) close(fd);
        }
        free(t->path);
    }
    F.n = 0;
    F.crashed = 1;
}

/* Counts the call; returns the fault to apply (SIO_FAULT_NONE: go on). */
static enum sio_fault fault_check(unsigned op)
{
    enum sio_fault k = SIO_FAULT_NONE;
    pthread_mutex_lock(&F.mu);
    F.calls[op_index(op)]++;
    if (F.crashed) {
        k = SIO_FAULT_EIO;
    } else if (F.kind != SIO_FAULT_NONE && (F.mask & op) && --F.nth == 0) {
        k = F.kind;
        F.kind = SIO_FAULT_NONE;
        F.fired = 1;
        if (k == SIO_FAULT_SHORT_WRITE && op != SIO_OP_WRITE) k = SIO_FAULT_ENOSPC;
        if (k == SIO_FAULT_CRASH) crash_locked();
    }
    pthread_mutex_unlock(&F.mu);
    if (k == SIO_FAULT_EIO || k == SIO_FAULT_CRASH) errno = EIO;
    if (k == SIO_FAULT_ENOSPC || k == SIO_FAULT_SHORT_WRITE) errno = ENOSPC;
    return k;
}

static struct tracked *find_fd(int fd)
{
    for (size_t i = 0; i < F.n; i++)
        if (F.t[i].fd == fd) return &F.t[i];
    return NULL;
}

static void track_open(int fd, const char *path, int created, uint64_t size)
{
    pthread_mutex_lock(&F.mu);
    if (F.n == F.cap) {
        size_t nc = F.cap ? F.cap * 2 : 16;
        struct tracked *nt = realloc(F.t, nc * sizeof(*nt));
        if (!nt) goto out;
        F.t = nt;
        F.cap = nc;
    }
    char *p = strdup(path);
    if (!p) goto out;
    F.t[F.n++] = (struct tracked){p, fd, size, size, 0, 0, !created, NULL, 0};
out:
    pthread_mutex_unlock(&F.mu);
}

static void track_write(int fd, uint64_t end)
{
    pthread_mutex_lock(&F.mu);
    struct tracked *t = find_fd(fd);
    if (t && end > t->written_end) t->written_end = end;
    pthread_mutex_unlock(&F.mu);
}

static void track_alloc(int fd, uint64_t len)
{
    pthread_mutex_lock(&F.mu);
    struct tracked *t = find_fd(fd);
    if (t && len > t->alloc) t->alloc = len;
    pthread_mutex_unlock(&F.mu);
}

static void track_fsync(int fd)
{
    pthread_mutex_lock(&F.mu);
    struct tracked *t = find_fd(fd);
    if (t) {
        t->synced_end = t->written_end;
        t->synced_alloc = t->alloc;
    }
    pthread_mutex_unlock(&F.mu);
}

static void track_close(int fd)
{
    pthread_mutex_lock(&F.mu);
    struct tracked *t = find_fd(fd);
    if (t) t->fd = -1;
    pthread_mutex_unlock(&F.mu);
}

static void track_unlink(const char *path)
{
    pthread_mutex_lock(&F.mu);
    for (size_t i = 0; i < F.n; i++)
        if (strcmp(F.t[i].path, path) == 0) {
            free(F.t[i].path);
            free(F.t[i].old_path);
            F.t[i] = F.t[--F.n];
            break;
        }
    pthread_mutex_unlock(&F.mu);
}

static void track_fsync_dir(const char *dir)
{
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    pthread_mutex_lock(&F.mu);
    for (size_t i = 0; i < F.n; i++) {
        const char *p = F.t[i].path;
        if (strncmp(p, dir, dl) == 0 && p[dl] == '/' && !strchr(p + dl + 1, '/')) {
            F.t[i].dir_synced = 1;
            free(F.t[i].old_path);
            F.t[i].old_path = NULL;
        }
    }
    pthread_mutex_unlock(&F.mu);
}

/* A rename: the tracked file (if any) now lives at newpath; until its
 * directory is fsynced a crash undoes the rename. A file tracked at newpath
 * (replaced) is forgotten. */
static void track_rename(const char *oldpath, const char *newpath)
{
    pthread_mutex_lock(&F.mu);
    for (size_t i = 0; i < F.n; i++)
        if (strcmp(F.t[i].path, newpath) == 0) {
            free(F.t[i].path);
            free(F.t[i].old_path);
            F.t[i] = F.t[--F.n];
            break;
        }
    for (size_t i = 0; i < F.n; i++) {
        struct tracked *t = &F.t[i];
        if (strcmp(t->path, oldpath) != 0) continue;
        char *np = strdup(newpath);
        if (!np) break;
        if (!t->old_path) {
            t->old_path = t->path;
            t->old_dir_synced = t->dir_synced;
        } else {
            free(t->path);
        }
        t->path = np;
        t->dir_synced = 0;
        break;
    }
    pthread_mutex_unlock(&F.mu);
}

void sio_fault_arm(unsigned op_mask, uint64_t nth, enum sio_fault kind)
{
    pthread_mutex_lock(&F.mu);
    F.mask = op_mask;
    F.nth = nth ? nth : 1;
    F.kind = kind;
    F.fired = 0;
    pthread_mutex_unlock(&F.mu);
}

void sio_fault_reset(void)
{
    pthread_mutex_lock(&F.mu);
    for (size_t i = 0; i < F.n; i++) {
        free(F.t[i].path);
        free(F.t[i].old_path);
    }
    free(F.t);
    F.t = NULL;
    F.n = F.cap = 0;
    F.kind = SIO_FAULT_NONE;
    F.mask = 0;
    F.fired = F.crashed = 0;
    memset(F.calls, 0, sizeof(F.calls));
    pthread_mutex_unlock(&F.mu);
}

uint64_t sio_fault_calls(unsigned op_mask)
{
    uint64_t n = 0;
    pthread_mutex_lock(&F.mu);
    for (int i = 0; i < 7; i++)
        if (op_mask & (1u << i)) n += F.calls[i];
    pthread_mutex_unlock(&F.mu);
    return n;
}

int sio_fault_fired(void)
{
    pthread_mutex_lock(&F.mu);
    int f = F.fired;
    pthread_mutex_unlock(&F.mu);
    return f;
}

void sio_fault_crash_now(void)
{
    pthread_mutex_lock(&F.mu);
    F.fired = 1;
    crash_locked();
    pthread_mutex_unlock(&F.mu);
}

#define FAULT(op) fault_check(op)
#else
#define FAULT(op)                0
#define track_open(fd, p, c, sz) ((void)0)
#define track_write(fd, end)     ((void)0)
#define track_alloc(fd, len)     ((void)0)
#define track_fsync(fd)          ((void)0)
#define track_close(fd)          ((void)0)
#define track_unlink(p)          ((void)0)
#define track_fsync_dir(d)       ((void)0)
#define track_rename(o, n)       ((void)0)
#endif

int sio_mkdirs(const char *path)
{
    char tmp[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(tmp, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (tmp[i] == '/' || tmp[i] == 0) {
            char c = tmp[i];
            tmp[i] = 0;
            if (mkdir(tmp, 0755) < 0 && errno != EEXIST) return -1;
            struct stat st;
            if (stat(tmp, &st) < 0) return -1;
            if (!S_ISDIR(st.st_mode)) {
                errno = ENOTDIR;
                return -1;
            }
            tmp[i] = c;
        }
    }
    return 0;
}

static int fsync_dir_of(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s", path);
    int fd = open(dirname(tmp), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int sio_write_file_atomic(const char *path, const void *data, size_t n)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    const uint8_t *p = data;
    size_t left = n;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR) continue;
            goto fail;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) < 0) goto fail;
    if (close(fd) < 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) < 0) goto fail;
    return fsync_dir_of(path);
fail : {
    int e = errno;
    if (fd >= 0) close(fd);
    unlink(tmp);
    errno = e;
    return -1;
}
}

int sio_read_file(const char *path, size_t max_sz, uint8_t **out, size_t *out_n)
{
    *out = NULL;
    *out_n = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    struct stat st;
    if (fstat(fd, &st) < 0) goto fail;
    if ((size_t)st.st_size > max_sz) {
        errno = EFBIG;
        goto fail;
    }
    uint8_t *b = mem_alloc((size_t)st.st_size + 1);
    if (!b) {
        errno = ENOMEM;
        goto fail;
    }
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, b + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            int e = r < 0 ? errno : EIO;
            mem_free(b);
            errno = e;
            goto fail;
        }
        got += (size_t)r;
    }
    close(fd);
    *out = b;
    *out_n = got;
    return 0;
fail : {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
}
}

int sio_check_dir(const char *path)
{
    if (sio_mkdirs(path) < 0) return -1;
    return access(path, W_OK | X_OK);
}

/* ---- log-style files ---- */

int sio_open(const char *path, int flags)
{
    if (FAULT(SIO_OP_OPEN)) return -1;
    int of = O_CLOEXEC | ((flags & (SIO_RDWR | SIO_CREATE)) ? O_RDWR : O_RDONLY);
    if (flags & SIO_CREATE) of |= O_CREAT | O_EXCL;
    int fd = open(path, of, 0644);
    if (fd < 0) return -1;
    if (flags & (SIO_RDWR | SIO_CREATE)) {
        struct stat st;
        uint64_t sz = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
        (void)sz;
        track_open(fd, path, (flags & SIO_CREATE) != 0, sz);
    }
    return fd;
}

#ifdef RINGDB_TEST_BUILD
static int pwrite_all(int fd, const uint8_t *p, size_t n, uint64_t off)
{
    while (n) {
        ssize_t w = pwrite(fd, p, n, (off_t)off);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (w == 0) {
            errno = EIO;
            return -1;
        }
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

/* Test builds: write the first `limit` bytes of the gather list, then fail. */
static int torn_writev(int fd, const struct iovec *iov, int iovcnt, uint64_t off, size_t limit)
{
    uint64_t o = off;
    for (int i = 0; i < iovcnt && limit; i++) {
        size_t k = iov[i].iov_len < limit ? iov[i].iov_len : limit;
        if (pwrite_all(fd, iov[i].iov_base, k, o) < 0) return -1;
        track_write(fd, o + k);
        o += k;
        limit -= k;
    }
    errno = ENOSPC;
    return -1;
}
#endif

int sio_pwritev(int fd, const struct iovec *iov, int iovcnt, uint64_t off)
{
    enum { MAX_IOV = 16 };
    if (iovcnt < 0 || iovcnt > MAX_IOV) {
        errno = EINVAL;
        return -1;
    }
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++)
        total += iov[i].iov_len;
    int f = FAULT(SIO_OP_WRITE);
#ifdef RINGDB_TEST_BUILD
    if (f == SIO_FAULT_SHORT_WRITE) return torn_writev(fd, iov, iovcnt, off, total / 2);
#endif
    if (f) return -1;
    struct iovec v[MAX_IOV];
    memcpy(v, iov, sizeof(*iov) * (size_t)iovcnt);
    struct iovec *cur = v;
    int cnt = iovcnt;
    uint64_t o = off;
    size_t left = total;
    while (left) {
        ssize_t w = pwritev(fd, cur, cnt, (off_t)o);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (w == 0) {
            errno = EIO;
            return -1;
        }
        o += (uint64_t)w;
        left -= (size_t)w;
        track_write(fd, o);
        size_t k = (size_t)w;
        while (cnt && k >= cur->iov_len) {
            k -= cur->iov_len;
            cur++;
            cnt--;
        }
        if (cnt) {
            cur->iov_base = (uint8_t *)cur->iov_base + k;
            cur->iov_len -= k;
        }
    }
    return 0;
}

int sio_pwrite(int fd, const void *p, size_t n, uint64_t off)
{
    struct iovec v = {(void *)p, n};
    return sio_pwritev(fd, &v, 1, off);
}

ssize_t sio_pread(int fd, void *p, size_t n, uint64_t off)
{
    if (FAULT(SIO_OP_READ)) return -1;
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, (uint8_t *)p + got, n - got, (off_t)(off + got));
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (r == 0) break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

int sio_fallocate(int fd, uint64_t len)
{
    if (FAULT(SIO_OP_FALLOCATE)) return -1;
    int rc = posix_fallocate(fd, 0, (off_t)len);
    if (rc != 0) {
        errno = rc == EINVAL ? EOPNOTSUPP : rc;
        return -1;
    }
    track_alloc(fd, len);
    return 0;
}

int sio_fsync(int fd, int data_only)
{
    if (FAULT(SIO_OP_FSYNC)) return -1;
    if ((data_only ? fdatasync(fd) : fsync(fd)) < 0) return -1;
    track_fsync(fd);
    return 0;
}

int sio_close(int fd)
{
    track_close(fd);
    return close(fd);
}

int sio_unlink(const char *path)
{
    if (FAULT(SIO_OP_UNLINK)) return -1;
    if (unlink(path) < 0) return -1;
    track_unlink(path);
    return 0;
}

int sio_fsync_dir(const char *dir)
{
    if (FAULT(SIO_OP_FSYNC)) return -1;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    if (rc < 0) {
        errno = e;
        return -1;
    }
    track_fsync_dir(dir);
    return 0;
}

static int is_listed(DIR *d, const struct dirent *e)
{
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) return 0;
    if (e->d_type == DT_REG) return 1;
    if (e->d_type != DT_UNKNOWN) return 0;
    struct stat st;
    return fstatat(dirfd(d), e->d_name, &st, 0) == 0 && S_ISREG(st.st_mode);
}

int sio_list_dir(const char *dir, char ***names, size_t *n)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return -1;
    size_t count = 0, bytes = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (is_listed(d, e)) {
            count++;
            bytes += strlen(e->d_name) + 1;
        }
    char **arr = mem_alloc((count + 1) * sizeof(char *) + bytes + 1);
    if (!arr) {
        closedir(d);
        errno = ENOMEM;
        return -1;
    }
    char *sp = (char *)(arr + count + 1);
    size_t k = 0, used = 0;
    rewinddir(d);
    while ((e = readdir(d)) && k < count) {
        if (!is_listed(d, e)) continue;
        size_t l = strlen(e->d_name) + 1;
        if (used + l > bytes) break; /* the directory grew between the passes */
        memcpy(sp + used, e->d_name, l);
        arr[k++] = sp + used;
        used += l;
    }
    arr[k] = NULL;
    closedir(d);
    *names = arr;
    *n = k;
    return 0;
}

int sio_rename(const char *oldpath, const char *newpath)
{
    if (FAULT(SIO_OP_RENAME)) return -1;
    if (rename(oldpath, newpath) < 0) return -1;
    track_rename(oldpath, newpath);
    return 0;
}

int sio_file_size(int fd, uint64_t *size)
{
    struct stat st;
    if (fstat(fd, &st) < 0) return -1;
    *size = (uint64_t)st.st_size;
    return 0;
}
