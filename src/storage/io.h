/*
 * io (sio_) -- the only code that writes, syncs, renames or removes data
 * files (STYLE.md: one I/O shim, SQLite's VFS / LevelDB's Env). Test builds
 * can arm injected failures here (later: EIO/ENOSPC/crash points).
 *
 * Thread context: any; calls block (callers keep them off the request path
 * or accept the cost, e.g. rare schema writes).
 */
#ifndef RINGDB_STORAGE_IO_H
#define RINGDB_STORAGE_IO_H

#include <stddef.h>
#include <stdint.h>

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

#endif
