/*
 * err -- writing an error message into a caller's buffer.
 *
 * The convention across ringdb's libraries: a function that can fail takes
 * (char *err, size_t errsz), writes a NUL-terminated message there and
 * returns a negative code. err_set is that one step.
 *
 * Thread context: any thread; reentrant.
 */
#ifndef RINGDB_UTIL_ERR_H
#define RINGDB_UTIL_ERR_H

#include <stddef.h>

/* Formats the message into err[errsz] (when err && errsz) and returns -1. */
int err_set(char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4))); /* GCC/Clang: printf-style checking */

#endif
