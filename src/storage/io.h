/*
 * io (sio_) -- the only code that writes, syncs, renames or removes data
 * files (STYLE.md: one I/O shim, SQLite's VFS / LevelDB's Env). Test builds
 * can arm injected failures here: EIO, ENOSPC, a short (torn) write, or a
 * crash that drops every unsynced byte, at the Nth call (see the end).
 *
 * Two families:
 *  - whole files written atomically (sio_write_file_atomic, sio_read_file);
 *  - log-style files kept open and written at explicit offsets (commit log
 *    segments): sio_open, sio_pwrite(v), sio_pread, sio_fallocate,
 *    sio_fsync, sio_close, sio_unlink, sio_fsync_dir, sio_list_dir.
 *    Descriptors are plain fds, owned by the caller until sio_close.
 *
 * Thread context: any; calls block (callers keep them off the request path,
 * e.g. on the shard's worker thread, or accept the cost, e.g. rare schema
 * writes). Every function returns 0 (or a count) on success and -1 with
 * errno on failure.
 */
#ifndef RINGDB_STORAGE_IO_H
#define RINGDB_STORAGE_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/* mkdir -p. 0 ok, -1 with errno. */
int sio_mkdirs(const char *path);
/* Writes data to path atomically and durably: path.tmp, write, fsync, rename,
 * fsync the directory. 0 ok, -1 with errno (the old file is untouched). */
int sio_write_file_atomic(const char *path, const void *data, size_t n);
/* Reads a whole file (mem_alloc'd, caller frees with mem_free). 0 ok,
 * -1 with errno (ENOENT when missing). Files over max_sz fail with EFBIG. */
int sio_read_file(const char *path, size_t max_sz, uint8_t **out, size_t *out_n);
/* Checks that dir exists (or can be created) and is writable. */
int sio_check_dir(const char *path);

/* ---- log-style files ---- */

#define SIO_RDONLY 0x0 /* open for reading */
#define SIO_RDWR   0x1 /* open for reading and writing */
#define SIO_CREATE 0x2 /* create; fails with EEXIST if it exists (O_EXCL) */

/* Opens path; returns the fd (>= 0), -1 with errno. */
int sio_open(const char *path, int flags);
/* Writes all n bytes at offset off (loops over short writes and EINTR).
 * 0 ok, -1 with errno; on failure any prefix may have reached the file. */
int sio_pwrite(int fd, const void *p, size_t n, uint64_t off);
/* Same for a gather list of iovcnt (<= IOV_MAX) buffers, one system call
 * when the kernel takes it all. The iov array is not modified. */
int sio_pwritev(int fd, const struct iovec *iov, int iovcnt, uint64_t off);
/* Reads up to n bytes at off; returns the count (short only at end of
 * file), -1 with errno. */
ssize_t sio_pread(int fd, void *p, size_t n, uint64_t off);
/* Reserves [0, len) on disk (file size becomes at least len; new bytes read
 * as zeros). -1 with EOPNOTSUPP where the file system cannot. */
int sio_fallocate(int fd, uint64_t len);
/* fdatasync (data_only) or fsync. */
int sio_fsync(int fd, int data_only);
int sio_close(int fd);
int sio_unlink(const char *path);
/* fsyncs the directory itself (makes created/removed names durable). */
int sio_fsync_dir(const char *dir);
/* Names of the regular entries of dir ("." and ".." left out), unsorted.
 * *names is one mem_alloc'd block (array + strings): the caller frees it
 * with mem_free. 0 ok (possibly *n = 0), -1 with errno. */
int sio_list_dir(const char *dir, char ***names, size_t *n);
/* Size of an open file. */
int sio_file_size(int fd, uint64_t *size);
/* Renames oldpath to newpath (atomically replacing newpath). The new name
 * is durable only after sio_fsync_dir of its directory: a crash before that
 * (test builds: SIO_FAULT_CRASH) leaves the file under its old name if that
 * name was durable, else no file at all. Counted as SIO_OP_RENAME. */
int sio_rename(const char *oldpath, const char *newpath);

#ifdef RINGDB_TEST_BUILD
/* ---- fault injection (test builds only) ----
 * Counted calls: SIO_OP_WRITE = sio_pwrite/sio_pwritev, SIO_OP_FSYNC =
 * sio_fsync/sio_fsync_dir, SIO_OP_OPEN = sio_open, SIO_OP_FALLOCATE,
 * SIO_OP_READ = sio_pread, SIO_OP_UNLINK, SIO_OP_RENAME. Arm one fault: the nth call
 * (1-based, counted from the arming) of any op in op_mask fails:
 *   SIO_FAULT_EIO, SIO_FAULT_ENOSPC: nothing happens, -1 with that errno;
 *   SIO_FAULT_SHORT_WRITE: (writes only) the first half of the bytes reach
 *       the file, then -1 with ENOSPC (a disk that filled up mid-write);
 *   SIO_FAULT_CRASH: the call does not happen; instead the machine "loses
 *       power": every file opened for writing through sio_open since the
 *       last sio_fault_reset loses what was not fsynced (bytes written after
 *       its last sync read as zeros, the file shrinks back to its last
 *       synced size or reservation), files whose directory was not fsynced
 *       after their creation disappear, renames not followed by an fsync
 *       of the directory are undone (see sio_rename), and every later counted call fails
 *       with EIO until sio_fault_reset (the process is "dead").
 * Thread-safe (a mutex); meant for tests that drive one I/O thread. */
#define SIO_OP_OPEN      0x01u
#define SIO_OP_WRITE     0x02u
#define SIO_OP_FSYNC     0x04u
#define SIO_OP_FALLOCATE 0x08u
#define SIO_OP_READ      0x10u
#define SIO_OP_UNLINK    0x20u
#define SIO_OP_RENAME    0x40u
#define SIO_OP_ALL       0x7fu
enum sio_fault {
    SIO_FAULT_NONE,
    SIO_FAULT_EIO,
    SIO_FAULT_ENOSPC,
    SIO_FAULT_SHORT_WRITE,
    SIO_FAULT_CRASH,
};
void sio_fault_arm(unsigned op_mask, uint64_t nth, enum sio_fault kind);
/* Disarms, leaves the "crashed" state, forgets tracked files, zeroes counters. */
void sio_fault_reset(void);
/* Calls of the ops in op_mask since the last reset. */
uint64_t sio_fault_calls(unsigned op_mask);
/* 1 once the armed fault fired (until reset). */
int sio_fault_fired(void);
/* Crashes now (as SIO_FAULT_CRASH, without waiting for a call). */
void sio_fault_crash_now(void);
#endif

#endif
